"""Language from script: Han -> zh, Latin -> en (or the Latin language named by the caller), ...

evalkit decides the language of a segment from the characters it is written in, not from its
position in a file. Digits, punctuation and symbols count for no script.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

__all__ = ["SCRIPT_LANG", "detect_lang", "script_counts", "script_of"]

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
