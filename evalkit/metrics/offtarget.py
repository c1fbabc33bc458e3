"""Off-target output in the target's own script: German or French where English is expected,
English where German is. The script checks (``wrong_language``, ``untranslated``) cannot see these.

The one adapter for py3langid (langid.py's model, 97 languages, numpy only, the model ships in the
wheel): it is imported on first use, so ``evalkit --help`` never loads it.

Why the thresholds (measured with ``bench/offtarget_false_alarms.py`` on human translations, which
are never off-target): a target of 4+ words whose top language is not the expected one with a
probability of 0.5 or more, and the expected language's probability under a tenth of that, fires on
0 of 3,750 WMT22 zh-en English references (A and B), 1 of 1,948 newstest2021 zh-en references (a
"Deutsche Presse-Agentur" byline), 0 of 3,006 newstest2021 en-de German references (A, C, D); and on
996 of 1,002 German references read as English and 979 of 1,002 English sources read as German.
Below 4 words langid guesses (names, bylines, headlines), so short targets are never judged.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..errors import UsageError
from ..records import Flag

__all__ = ["LANGID_VERSION", "MIN_PROB", "MIN_WORDS", "RATIO", "SAMPLE_CHARS", "check_off_target", "lang_probs"]

LANGID_VERSION = "0.4.0"  # the py3langid release the thresholds were measured with (pyproject pins it)
SAMPLE_CHARS = 2000  # langid reads the first 2,000 characters: plenty to tell a language, and bounded
MIN_WORDS = 4  # words of 2+ letters below which a target is never judged
MIN_PROB = 0.5  # probability of the detected language at or above which it can fire
RATIO = 0.1  # ... and the expected language's probability must be under RATIO x that
# Scripts whose languages langid tells apart and no script check does; Han/kana/Hangul targets are
# left to wrong_language/untranslated (langid confuses Chinese without kana with Japanese).
_SCRIPTS = ("Latin", "Cyrillic", "Arabic", "Greek")
_WORD = re.compile(r"[^\W\d_]{2,}")
_FAIL = "pip install 'py3langid==0.4.0' (evalkit depends on it)"


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities (softmax at temperature sqrt(bytes))."""
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError("the off_target check needs py3langid, which is not installed", _FAIL) from None
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=1)
def _version() -> str:
    """The installed py3langid release, named in each flag (the thresholds were set on LANGID_VERSION)."""
    from importlib.metadata import version

    return version("py3langid")


def lang_probs(text: str) -> dict[str, float]:
    """Probability of each of langid's languages (ISO 639-1 codes) for ``text``; they sum to 1."""
    return {lang: float(p) for lang, p in _identifier().rank(text)}


def check_off_target(tgt: str, tgt_lang: str, script: str) -> Flag | None:
    """``off_target`` when the target is in another language than ``tgt_lang``, in a script langid
    tells languages apart in.

    ``script`` is the target's dominant script as the caller measured it (``run_checks`` asks the
    script checks first, so a target in a foreign script is ``wrong_language``). Fires for a target
    of :data:`MIN_WORDS`+ words whose most likely language is not ``tgt_lang``, with probability
    >= :data:`MIN_PROB`, while ``tgt_lang``'s is below :data:`RATIO` times that. ``value`` is the
    detected language's probability (0-1), ``threshold`` :data:`MIN_PROB`; the detail names both
    languages and both probabilities. A language langid does not know is never judged; langid reads
    the first :data:`SAMPLE_CHARS` characters.
    """
    if script not in _SCRIPTS or len(_WORD.findall(tgt[:SAMPLE_CHARS])) < MIN_WORDS:
        return None
    probs = lang_probs(tgt[:SAMPLE_CHARS])
    if tgt_lang not in probs:
        return None
    top = max(sorted(probs), key=lambda lang: probs[lang])
    p_top, p_expected = probs[top], probs[tgt_lang]
    if top == tgt_lang or p_top < MIN_PROB or p_expected >= RATIO * p_top:
        return None
    return Flag(
        "off_target",
        f"off_target: target is {top} (p={p_top:.2f}), expected {tgt_lang} (p={p_expected:.3f}) [py3langid {_version()}]",
        p_top,
        MIN_PROB,
    )
