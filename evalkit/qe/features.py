"""Features of one (source, target) link for the learned ``qe`` score: numpy only.

``[u*v, |u-v|]`` of the two unit sentence vectors (the element-wise product and distance of Conneau et al.
2017's InferSent head, as in the issue's recipe), their cosine, and length features: log character counts
of both sides and the log length ratio's distance from the language pair's typical ratio (learned at
training and stored with the weights; 0 for a pair the model was not trained on); and counts behind the
errors embeddings miss (log1p each): CJK characters left in a non-CJK target (untranslated fragments),
source numbers missing from the target, target numbers not in the source, repeated target words, an
empty target, and quotation marks gained or lost (a quoted passage dropped or left open); last, the share
of target words missing from the target language's word list (`wordlists.known_words`: misspelt, invented
or untranslated words; 0 without a list). The length
features carry most of the signal on the MQM data: MQM sums errors, and a longer segment has more room
for them (MODEL_CARD.md).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .wordlists import known_words

__all__ = ["EXTRA_NAMES", "check_counts", "link_features", "log_ratio", "text_length", "unknown_share"]

EXTRA_NAMES = ("cos", "log_len_src", "log_len_tgt", "abs_ratio_dev", "ratio_dev",
               "wide_in_tgt", "numbers_missing", "numbers_added", "repeated_words", "empty_tgt", "quotes_changed",
               "unknown_words")
_CJK_LANGS = {"zh", "ja", "ko"}
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W\d_]{2,}")  # a word: two or more letters
# Quotation marks of English, German, French and CJK typography: a faithful translation keeps their number
# (“”, „“ and «» are all pairs); the apostrophe is left out (English possessives have no German counterpart).
_QUOTES = frozenset('"\u201c\u201d\u201e\u00ab\u00bb\u300c\u300d\u300e\u300f')

# CJK ideographs, kana and hangul carry about a word each; other scripts are counted in characters / 5.5,
# so the log lengths of zh and en/de segments are on about the same scale (a word of English or German
# is ~5.5 characters with its space; Chinese averages ~1.5 characters a word, here counted as 1 each to
# keep the rule simple: the learned pair ratio absorbs the constant).
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@lru_cache(maxsize=1 << 16)
def text_length(text: str) -> float:
    """Length in word-sized units (≥ 0): wide characters count 1, other non-space characters 1/5.5. Cached:
    the features and the `low_qe` rule's length adjustment both ask it of every link's texts."""
    wide = len(_WIDE.findall(text))
    narrow = len(text) - wide - text.count(" ")
    return wide + max(narrow, 0) / 5.5


def log_ratio(src_texts: Sequence[str], tgt_texts: Sequence[str]) -> np.ndarray:
    """log((1 + len(target)) / (1 + len(source))) per link, in `text_length` units."""
    ls = np.array([text_length(t) for t in src_texts], dtype=np.float64)
    lt = np.array([text_length(t) for t in tgt_texts], dtype=np.float64)
    return np.log1p(lt) - np.log1p(ls)


def _count_quotes(text: str) -> int:
    return sum(text.count(q) for q in _QUOTES)  # ten str.count calls: a loop over characters took half of qe's time


def check_counts(src: str, tgt: str, tgt_lang: str | None) -> list[float]:
    """The six count features of one link (`EXTRA_NAMES` from ``wide_in_tgt`` to ``quotes_changed``), each
    log1p of a count."""
    wide = 0 if tgt_lang in _CJK_LANGS else len(_WIDE.findall(tgt))
    src_numbers, tgt_numbers = _DIGITS.findall(src), _DIGITS.findall(tgt)
    missing = added = 0
    if src_numbers or tgt_numbers:
        ns, nt = Counter(src_numbers), Counter(tgt_numbers)
        missing, added = sum((ns - nt).values()), sum((nt - ns).values())
    words = tgt.split()
    quotes = abs(_count_quotes(src) - _count_quotes(tgt))
    counts = (wide, missing, added, len(words) - len(set(words)), int(not tgt.strip()), quotes)
    return [math.log1p(c) for c in counts]


def unknown_share(target: str, known: frozenset[str] | None) -> float:
    """Share of the target's words (two or more letters, lower-cased) that ``known`` lacks; 0 without a list
    or without words."""
    if known is None:
        return 0.0
    words = _WORD.findall(target.lower())
    return sum(w not in known for w in words) / len(words) if words else 0.0


def link_features(
    src_vecs: np.ndarray,
    tgt_vecs: np.ndarray,
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    pair_ratio: float | None,
    tgt_lang: str | None,
) -> np.ndarray:
    """Feature matrix (n, 2*dim + 12), float64: ``[u*v, |u-v|]`` then `EXTRA_NAMES` (``ratio`` is the log
    length ratio, its deviation from ``pair_ratio``; None gives 0 for both deviations)."""
    u = np.asarray(src_vecs, dtype=np.float64)
    v = np.asarray(tgt_vecs, dtype=np.float64)
    n = len(u)
    if not (len(v) == len(src_texts) == len(tgt_texts) == n):
        raise ValueError(f"qe features: {n} source vectors, {len(v)} target vectors, "
                         f"{len(src_texts)} source texts, {len(tgt_texts)} target texts")
    cos = np.einsum("ij,ij->i", u, v)
    ls = np.log1p(np.array([text_length(t) for t in src_texts], dtype=np.float64))
    lt = np.log1p(np.array([text_length(t) for t in tgt_texts], dtype=np.float64))
    dev = (lt - ls - pair_ratio) if pair_ratio is not None else np.zeros(n)
    if not n:
        return np.zeros((0, 2 * u.shape[1] + len(EXTRA_NAMES))) if u.ndim == 2 else np.zeros((0, len(EXTRA_NAMES)))
    known = known_words(tgt_lang)
    checks = np.array([[*check_counts(s, t, tgt_lang), unknown_share(t, known)] for s, t in zip(src_texts, tgt_texts)],
                      dtype=np.float64)  # fmt: skip
    extra = np.concatenate([np.stack([cos, ls, lt, np.abs(dev), dev], axis=1), checks], axis=1)
    return np.concatenate([u * v, np.abs(u - v), extra], axis=1)
