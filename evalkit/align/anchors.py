"""First pass: 1-1 anchors from single-segment ratio margins, and the band the second pass searches.

Bertalign's first pass (Liu & Zhu 2022, ``corelib.find_first_search_path``, ``first_pass_align``,
``find_second_search_path``), with the ratio margin of Artetxe & Schwenk (2019) in place of the
raw cosine. The wide band is visited a block of rows at a time and only each source segment's few
best candidates are kept, so memory grows with the document, not with document x band width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dp import Band
from .grid import band_blocks, top_mean, transpose

__all__ = ["PairStats", "anchors", "around", "diagonal_band", "pair_stats"]


@dataclass(frozen=True)
class PairStats:
    """What the first pass learns about single segments (arrays indexed like DP rows/columns: ``k`` = segment ``k - 1``).

    ``near_*``: mean cosine of the ``knn`` nearest counterparts in the band (the margin's denominator
    terms); ``best_*``: best ratio margin with any single counterpart (``-inf``: none, a blank
    segment); ``cells``/``scores``: each source segment's top candidates as DP cells ``(i, j)``.
    """

    near_src: np.ndarray
    near_tgt: np.ndarray
    best_src: np.ndarray
    best_tgt: np.ndarray
    cells: np.ndarray  # (k, 2) int64
    scores: np.ndarray  # (k,) ratio margins


def diagonal_band(n: int, m: int, window: int, share: float) -> Band:
    """The diagonal widened by ``max(window, share * longer side)`` segments (Bertalign: 250, 0.06)."""
    half = max(window, int(max(n, m) * share))
    centre = np.round(np.arange(n + 1) * m / max(n, 1)).astype(np.int64)
    return Band.between(centre - half, centre + half, m)


def pair_stats(
    x: np.ndarray, x_ok: np.ndarray, y: np.ndarray, y_ok: np.ndarray, band: Band, knn: int, top_k: int
) -> PairStats:
    """Neighbourhoods, best margins and top candidates of single segments ``x`` (rows) and ``y`` (columns)."""
    lo, hi = band.lo, band.hi
    near_src = np.zeros(len(lo))
    for r0, r1, cos in band_blocks(x, x_ok, y, y_ok, lo, hi):
        near_src[r0:r1] = top_mean(cos, knn)
    t_lo, t_hi = transpose(lo, hi, len(y) - 1)
    near_tgt = np.zeros(len(t_lo))
    for r0, r1, cos in band_blocks(y, y_ok, x, x_ok, t_lo, t_hi):
        near_tgt[r0:r1] = top_mean(cos, knn)
    best_src = np.full(len(lo), -np.inf)
    best_tgt = np.full(len(t_lo), -np.inf)
    cells: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    for r0, r1, cos in band_blocks(x, x_ok, y, y_ok, lo, hi):
        rows = np.arange(r0, r1)[:, None]
        cols = np.clip(lo[r0:r1, None] + np.arange(cos.shape[1])[None, :], 0, len(y) - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            margin = cos / ((near_src[rows] + near_tgt[cols]) / 2)
        filled = np.where(np.isnan(margin), -np.inf, margin)
        best_src[r0:r1] = filled.max(axis=1)
        np.maximum.at(best_tgt, cols.ravel(), filled.ravel())
        k = min(top_k, filled.shape[1])
        top = np.argpartition(-filled, k - 1, axis=1)[:, :k]
        top_scores = np.take_along_axis(filled, top, axis=1)
        keep = np.isfinite(top_scores)
        cells.append(np.stack([np.broadcast_to(rows, top.shape)[keep], np.take_along_axis(cols, top, axis=1)[keep]], axis=1))
        scores.append(top_scores[keep])
    return PairStats(near_src, near_tgt, best_src, best_tgt, np.concatenate(cells), np.concatenate(scores))


def anchors(stats: PairStats) -> list[tuple[int, int]]:
    """The chain of candidate cells, increasing in both rows and columns, with the largest total margin.

    Bertalign's first-pass DP with free 1-0 / 0-1 links is this heaviest-increasing-chain
    problem; a Fenwick tree of prefix maxima over columns solves it in O(k log m).
    """
    order = np.lexsort((stats.cells[:, 1], stats.cells[:, 0]))
    cells, scores = stats.cells[order], stats.scores[order]
    size = int(cells[:, 1].max()) + 1 if len(cells) else 1
    tree_val = np.full(size + 1, 0.0)  # prefix maxima; 0 = the empty chain
    tree_id = np.full(size + 1, -1)
    total = np.zeros(len(cells))
    before = np.full(len(cells), -1)
    start = 0
    while start < len(cells):
        stop = start
        while stop < len(cells) and cells[stop, 0] == cells[start, 0]:
            stop += 1
        # All of one row first, then their updates: two cells of one row never chain.
        for c in range(start, stop):
            if scores[c] <= 0:
                continue
            value, prev = _prefix_max(tree_val, tree_id, int(cells[c, 1]) - 1)
            total[c], before[c] = value + scores[c], prev
        for c in range(start, stop):
            if scores[c] > 0:
                _raise(tree_val, tree_id, int(cells[c, 1]), total[c], c)
        start = stop
    chain: list[tuple[int, int]] = []
    c = int(np.argmax(total)) if len(total) and total.max() > 0 else -1
    while c >= 0:
        chain.append((int(cells[c, 0]), int(cells[c, 1])))
        c = int(before[c])
    return chain[::-1]


def _prefix_max(tree_val: np.ndarray, tree_id: np.ndarray, pos: int) -> tuple[float, int]:
    best, best_id = 0.0, -1
    while pos > 0:
        if tree_val[pos] > best:
            best, best_id = float(tree_val[pos]), int(tree_id[pos])
        pos -= pos & -pos
    return best, best_id


def _raise(tree_val: np.ndarray, tree_id: np.ndarray, pos: int, value: float, ident: int) -> None:
    while pos < len(tree_val):
        if value > tree_val[pos]:
            tree_val[pos], tree_id[pos] = value, ident
        pos += pos & -pos


def around(cells: list[tuple[int, int]], n: int, m: int, reach: int) -> Band:
    """Bertalign's second search path: rows between two anchors span their columns, plus ``reach``."""
    lo = np.zeros(n + 1, dtype=np.int64)
    hi = np.zeros(n + 1, dtype=np.int64)
    prev_i, prev_j = 0, 0
    for i, j in [*cells, (n, m)]:
        lo[prev_i + 1 : i + 1] = prev_j - reach
        hi[prev_i + 1 : i + 1] = j + reach
        prev_i, prev_j = i, j
    hi[0] = hi[1] if n else m
    return Band.between(lo, hi, m)
