"""Off-target output in the target's own script: German or French where English is expected,
English where German is. The script checks (``wrong_language``, ``untranslated``) cannot see these.

py3langid is asked through `evalkit.lang` (its one adapter).

Why the thresholds (measured with ``bench/checks_false_alarms.py`` on human translations, which
are never off-target): a target of 4+ words whose top language is not the expected one with a
probability of 0.5 or more, and the expected language's probability under a tenth of that, fires on
0 of 3,750 WMT22 zh-en English references (A and B), 1 of 1,948 newstest2021 zh-en references (a
"Deutsche Presse-Agentur" byline), 0 of 3,006 newstest2021 en-de German references (A, C, D); and on
996 of 1,002 German references read as English and 979 of 1,002 English sources read as German.
Below 4 words langid guesses (names, bylines, headlines), so short targets are never judged.
"""

from __future__ import annotations

from ..lang import LANGID_SCRIPTS, LANGID_VERSION, MIN_PROB, MIN_WORDS, SAMPLE_CHARS, lang_probs, langid_version, words
from ..records import Flag

__all__ = ["LANGID_VERSION", "MIN_PROB", "MIN_WORDS", "RATIO", "SAMPLE_CHARS", "check_off_target", "lang_probs"]

RATIO = 0.1  # the expected language's probability must be under RATIO x the detected one's


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
    if script not in LANGID_SCRIPTS or words(tgt[:SAMPLE_CHARS]) < MIN_WORDS:
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
        f"off_target: target is {top} (p={p_top:.2f}), expected {tgt_lang} (p={p_expected:.3f}) [py3langid {langid_version()}]",
        p_top,
        MIN_PROB,
    )
