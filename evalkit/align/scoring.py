"""What a link is worth: embedding similarity of its joined texts, a neighbour margin, a length prior.

The score of a link joining source run ``x`` and target run ``y`` is Bertalign's second-pass score
(Liu & Zhu 2022, ``corelib.calculate_similarity_score`` and ``calculate_length_penalty``)::

    (cos(x, y) - margin_weight * neighbours(x, y)) * log2(1 + min(|x|, r|y|) / max(|x|, r|y|)) ** length_exponent

``neighbours`` is the mean cosine of ``x`` with the target segments just before and after ``y``,
averaged with the same for ``y``: a link only scores well if it beats the links next to it.
``|x|`` counts characters and ``r`` is the corpus character ratio (source over target).

A **quote prior** follows: a run loses ``quote_penalty`` for each member but its last that ends with
a quotation mark, on a side not written in Chinese or Japanese (an apostrophe ending a word, as in
"the boys'", counts too). In English a closing quote ends a spoken turn, and translators keep turns
apart: on MAC dev an English segment ending in a quote closes its gold link in 488 of 500 cases, one
ending in a full stop in 1,764 of 2,776. Chinese puts the speaker before the quote (黄宗羲道：“真是好诗！”) and the English after it
('Yes, it is a very good poem,' he said), so a Chinese 。” is followed by narrative that English
joins to it more often (32 of 596 inside a gold link), and the prior is not applied there.

A **long-link bonus** ends it: a link of ``LONG_LINK`` (4) segments or more gains ``long_link_bonus``.
The DP sums link scores, so a gold 1-3 (one long Chinese sentence, three English ones) competes with
a 1-2 plus a neighbouring link that takes the third sentence, and each of those two earns a score of
its own. On MAC dev +0.03 turns 1-2 + neighbour into 1-3 more often right than wrong (strict F1 0.904
-> 0.910; chosen by leaving each file out in turn: 0.025-0.035 on the other eleven). The aligner gives
no bonus to a document translated unit by unit (`aligner.align`), where long links are rare.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..records import UNSPACED_LANGS, Segment
from .grid import band_dot, shift_rows

__all__ = ["LONG_LINK", "Side", "kind_scores", "length_model"]

LONG_LINK = 4  # a link of this many segments or more (1-3, 3-1, 2-2 and larger) gets the long-link bonus


@dataclass
class Side:
    """One side of the alignment: texts, lengths and vectors, indexed like DP rows (row 0 unused).

    ``runs[k]`` holds the vectors of the joined texts of ``k`` consecutive segments, row ``i`` for
    the run ending at segment ``i - 1``; ``runs_ok[k]`` says which rows are filled.
    """

    segments: Sequence[Segment]
    runs: dict[int, np.ndarray] = field(default_factory=dict)
    runs_ok: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.texts = [s.text for s in self.segments]
        # Blank segments have nothing to compare: they are never paired and cost nothing to skip.
        self.usable = np.array([bool(t.strip()) for t in self.texts])
        self.cum_chars = np.concatenate([[0.0], np.cumsum([len(t) for t in self.texts], dtype=np.float64)])
        cjk = bool(self.segments) and self.segments[0].lang in UNSPACED_LANGS
        self.joiner = "" if cjk else " "
        # Per DP row: how many of the segments before it end with a quotation mark (0 on a CJK side).
        quote_ends = [not cjk and _ends_with_quote(t) for t in self.texts]
        self.cum_quote_ends = np.concatenate([[0.0], np.cumsum(quote_ends, dtype=np.float64)])

    def __len__(self) -> int:
        return len(self.texts)

    def run_text(self, end: int, size: int) -> str:
        """The joined text of segments ``end - size .. end - 1`` (as `records.join_texts` joins them)."""
        return self.joiner.join(self.texts[end - size : end])

    def runs_usable(self, size: int) -> np.ndarray:
        """Per DP row: does a run of ``size`` segments end here, all of them non-blank?"""
        ok = np.zeros(len(self) + 1, dtype=bool)
        if size > len(self):
            return ok
        blank = np.concatenate([[0], np.cumsum(~self.usable)])
        ok[size:] = blank[size:] == blank[: len(self) + 1 - size]
        return ok

    def set_run(self, size: int, vectors: np.ndarray, ok: np.ndarray) -> None:
        self.runs[size] = vectors
        self.runs_ok[size] = ok & self.runs_usable(size)


def kind_scores(
    kind: tuple[int, int],
    src: Side,
    tgt: Side,
    lo: np.ndarray,
    hi: np.ndarray,
    char_ratio: float,
    margin_weight: float,
    length_exponent: float,
    quote_penalty: float = 0.0,
    long_link_bonus: float = 0.0,
) -> np.ndarray:
    """Scores of the ``a``-``b`` links ending at each band cell, ``-inf`` where not defined.

    Band layout (``[i, c]`` is cell ``(i, lo[i] + c)``), float64; uses ``src.runs[a]``,
    ``tgt.runs[b]`` and both sides' single-segment vectors ``runs[1]``.
    """
    a, b = kind
    x, x_ok = src.runs[a], src.runs_ok[a]
    y, y_ok = tgt.runs[b], tgt.runs_ok[b]
    sim = band_dot(x, x_ok, y, y_ok, lo, hi).astype(np.float64)
    if margin_weight:
        ys, ys_ok = tgt.runs[1], tgt.runs_ok[1]
        before_x, before_ok = shift_rows(src.runs[1], src.runs_ok[1], -a)
        after_x, after_ok = shift_rows(src.runs[1], src.runs_ok[1], 1)
        # x against the target segment before y (column j - b) and after it (column j + 1);
        # y against the source segment before x (row i - a) and after it (row i + 1).
        around_y = _mean_defined(band_dot(x, x_ok, ys, ys_ok, lo, hi, -b), band_dot(x, x_ok, ys, ys_ok, lo, hi, 1))
        around_x = _mean_defined(
            band_dot(before_x, before_ok, y, y_ok, lo, hi), band_dot(after_x, after_ok, y, y_ok, lo, hi)
        )
        sim -= margin_weight * (around_y + around_x) / 2
    # DP row and target column of each band cell, for the two priors.
    rows = np.arange(len(lo))[:, None]
    cols = np.clip(lo[:, None] + np.arange(sim.shape[1])[None, :], 0, len(tgt))
    if length_exponent:
        x_len = src.cum_chars[rows] - src.cum_chars[np.clip(rows - a, 0, None)]
        y_len = (tgt.cum_chars[cols] - tgt.cum_chars[np.clip(cols - b, 0, None)]) * char_ratio
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.minimum(x_len, y_len) / np.maximum(x_len, y_len)
        sim *= np.log2(1.0 + ratio) ** length_exponent
    if quote_penalty:
        sim -= quote_penalty * (_inner_quote_ends(src, rows, a) + _inner_quote_ends(tgt, cols, b))
    if a + b >= LONG_LINK:
        sim += long_link_bonus
    return np.where(np.isnan(sim), -np.inf, sim)


def length_model(pairs: Sequence[tuple[int, int]], src: Side, tgt: Side) -> tuple[float, float]:
    """The document's own length model: median and spread (MAD x 1.4826) of log(source chars / target chars)
    over 1-1 pairs of segment indices ``(i, j)``; ``(0, inf)`` with fewer than 3 pairs."""
    if len(pairs) < 3:
        return 0.0, float("inf")
    i, j = np.array(pairs).T
    x = src.cum_chars[i + 1] - src.cum_chars[i]
    y = tgt.cum_chars[j + 1] - tgt.cum_chars[j]
    logs = np.log(np.maximum(x, 1.0) / np.maximum(y, 1.0))
    centre = float(np.median(logs))
    return centre, max(float(np.median(np.abs(logs - centre))) * 1.4826, 1e-3)


def _mean_defined(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Mean of the defined values of two arrays (Bertalign: one neighbour at a document edge, 0 with none)."""
    both = np.stack([left, right])
    count = (~np.isnan(both)).sum(axis=0)
    total = np.nansum(both, axis=0)
    return np.divide(total, count, out=np.zeros(total.shape), where=count > 0)


def _ends_with_quote(text: str) -> bool:
    """Does the text end with a quotation mark (' " or Unicode initial/final punctuation: ” ’ » « ...)?"""
    last = text.rstrip()[-1:]
    return bool(last) and (last in "'\"" or unicodedata.category(last) in {"Pi", "Pf"})


def _inner_quote_ends(side: Side, ends: np.ndarray, size: int) -> np.ndarray:
    """For runs of ``size`` segments ending at DP rows ``ends``: members but the last that end with a quote."""
    if size < 2:
        return np.zeros(ends.shape)
    # A run that would start before the first segment is not defined (its score is -inf already).
    stop = np.clip(ends - 1, 0, len(side))
    start = np.clip(ends - size, 0, stop)
    return side.cum_quote_ends[stop] - side.cum_quote_ends[start]
