"""Language from script: Han -> zh, Latin -> en (or the Latin language named by the caller), ...; and a
file's language from its lines' votes, where langid (py3langid) tells the languages of one script apart.

evalkit decides the language of a segment from the characters it is written in, not from its
position in a file. Digits, punctuation and symbols count for no script. Scripts shared by many
languages (Latin, Cyrillic, Arabic, Greek) are not enough for a file: German output read as "en"
would be off-target on every line and scored by the wrong language's model. So a file's lines vote
(`line_vote`): a line of `MIN_WORDS`+ words in such a script also names langid's language when langid
gives it `MIN_PROB` or more, and `file_lang` takes the most common script, then the most common langid
language among that script's lines (the script's language when none named one).

This is the one adapter for py3langid (langid.py's model, 97 languages, numpy only, the model ships in
the wheel): it is imported on first use, so ``evalkit --help`` never loads it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from .errors import UsageError

__all__ = ["LANGID_SCRIPTS", "LANGID_VERSION", "MIN_PROB", "MIN_WORDS", "SCRIPT_LANG", "detect_lang", "file_lang",
           "lang_probs", "langid_version", "line_vote", "script_counts", "script_of", "words"]

# The language evalkit assumes for a script when nothing else is known.
SCRIPT_LANG = {
    "Han": "zh",
    "Latin": "en",
    "Kana": "ja",
    "Hangul": "ko",
    "Cyrillic": "ru",
    "Arabic": "ar",
    "Greek": "el",
    "Hebrew": "he",
    "Thai": "th",
    "Devanagari": "hi",
}

_PREFIXES = (
    ("CJK UNIFIED", "Han"),
    ("CJK COMPATIBILITY IDEOGRAPH", "Han"),
    ("HIRAGANA", "Kana"),
    ("KATAKANA", "Kana"),
    ("HANGUL", "Hangul"),
    ("LATIN", "Latin"),
    ("CYRILLIC", "Cyrillic"),
    ("ARABIC", "Arabic"),
    ("GREEK", "Greek"),
    ("HEBREW", "Hebrew"),
    ("THAI", "Thai"),
    ("DEVANAGARI", "Devanagari"),
)


_SAMPLE = 10_000


def script_of(ch: str) -> str | None:
    """The script of one letter, or None for digits, punctuation, symbols and spaces."""
    if ch.isascii():
        return "Latin" if ch.isalpha() else None
    if not ch.isalpha():
        # U+3007 (〇) is a Han numeral but not alphabetic in Unicode's view.
        return "Han" if ch == "\u3007" else None
    name = unicodedata.name(ch, "")
    for prefix, script in _PREFIXES:
        if name.startswith(prefix):
            return script
    return "Other"


def script_counts(text: str) -> Counter[str]:
    """How many letters of each script ``text`` holds."""
    counts: Counter[str] = Counter()
    for ch in text:
        script = script_of(ch)
        if script:
            counts[script] += 1
    return counts


def detect_lang(text: str, latin: str = "en") -> str:
    """The language of ``text`` from its dominant script: ``"zh"``, ``"en"``, ...; ``"und"`` when it has no letters.

    Han characters weigh 3x a Latin letter (one Han character carries about a word), so a Chinese
    sentence quoting an English name stays Chinese. Kana anywhere makes Japanese.
    """
    if len(text) > 2 * _SAMPLE:  # a long text's script shows in its two ends; counting all is slow
        text = text[:_SAMPLE] + text[-_SAMPLE:]
    counts = script_counts(text)
    if not counts:
        return "und"
    if counts.get("Kana"):
        return "ja"
    weighted = {s: n * (3 if s == "Han" else 1) for s, n in counts.items()}
    script = max(sorted(weighted), key=lambda s: weighted[s])
    if script == "Latin":
        return latin
    return SCRIPT_LANG.get(script, "und")


# --- languages of one script: py3langid ----------------------------------------------------------------

LANGID_VERSION = "0.4.0"  # the py3langid release the thresholds were measured with (pyproject pins it)
LANGID_SCRIPTS = ("Latin", "Cyrillic", "Arabic", "Greek")  # scripts whose languages langid tells apart and
# no script rule does; Han/kana/Hangul are left to the script rules (langid confuses Chinese without kana
# with Japanese)
MIN_WORDS = 4  # words of 2+ letters below which langid is not asked (names, bylines, headlines)
MIN_PROB = 0.5  # probability of langid's top language at or above which it counts
SAMPLE_CHARS = 2000  # langid reads the first 2,000 characters: plenty to tell a language, and bounded
_WORD = re.compile(r"[^\W\d_]{2,}")
_FAIL = "pip install 'py3langid==0.4.0' (evalkit depends on it)"
_LANGID_LANG = {lang: script for script, lang in SCRIPT_LANG.items() if script in LANGID_SCRIPTS}


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities (softmax at temperature sqrt(bytes))."""
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError("language identification needs py3langid, which is not installed", _FAIL) from None
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=1)
def langid_version() -> str:
    """The installed py3langid release (the thresholds were set on `LANGID_VERSION`)."""
    from importlib.metadata import version

    return version("py3langid")


def lang_probs(text: str) -> dict[str, float]:
    """Probability of each of langid's languages (ISO 639-1 codes) for ``text``; they sum to 1."""
    return {lang: float(p) for lang, p in _identifier().rank(text)}


def words(text: str) -> int:
    """Words of two or more letters in ``text``: what `MIN_WORDS` counts."""
    return len(_WORD.findall(text))


def line_vote(text: str) -> str:
    """One line's vote on its file's language: `detect_lang`'s code (``"und"`` without letters), and for a
    line of `MIN_WORDS`+ words in a `LANGID_SCRIPTS` script whose top langid language has `MIN_PROB` or
    more, ``"<script's code>/<langid's code>"``: a German line votes ``"en/de"`` (Latin, German)."""
    lang = detect_lang(text)
    if lang not in _LANGID_LANG:
        return lang
    sample = text[:SAMPLE_CHARS]
    if words(sample) < MIN_WORDS:
        return lang
    probs = lang_probs(sample)
    top = max(sorted(probs), key=lambda code: probs[code])
    return f"{lang}/{top}" if probs[top] >= MIN_PROB else lang


def file_lang(votes: Iterable[str]) -> str:
    """A file's language from its lines' `line_vote` values ("" and "und" do not count): the most common
    script, then the most common langid language among that script's lines, else the script's language.
    Ties go to the first seen, so the same votes in the same order give the same answer (local and Ray)."""
    counted = [v for v in votes if v and v != "und"]
    scripts = Counter(v.partition("/")[0] for v in counted)
    if not scripts:
        return "und"
    script = scripts.most_common(1)[0][0]
    named = Counter(v.partition("/")[2] for v in counted if v.startswith(script + "/"))
    return named.most_common(1)[0][0] if named else script
