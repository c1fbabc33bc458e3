"""Monotonic dynamic programming over a band of the (source x target) grid.

This is the DP of Bertalign's passes (Liu & Zhu 2022, ``corelib.first_pass_align`` and
``second_pass_align``) and of Vecalign (Thompson & Koehn 2019), written row by row with numpy
instead of numba: each row is a handful of vector operations, and runs of 0-1 links (target
segments left unpaired) inside a row are one cumulative maximum.

Cell ``(i, j)`` means "the first ``i`` source and first ``j`` target segments are aligned";
a link of type ``(a, b)`` enters ``(i, j)`` from ``(i - a, j - b)`` and covers source
``i - a .. i - 1`` and target ``j - b .. j - 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Band", "best_path", "max_marginals"]


@dataclass(frozen=True)
class Band:
    """The cells the DP may visit: row ``i`` holds columns ``lo[i] .. hi[i]`` (inclusive).

    ``lo`` and ``hi`` have ``n + 1`` entries for ``n`` source segments; ``lo[0] == 0`` and
    ``hi[n]`` is the number of target segments, so the origin and the end are both inside.
    Consecutive rows overlap, so a path made of 1-0 and 0-1 links always exists.
    """

    lo: np.ndarray
    hi: np.ndarray

    def __post_init__(self) -> None:
        if len(self.lo) != len(self.hi) or len(self.lo) == 0:
            raise ValueError(f"Band.lo and Band.hi must be non-empty and equally long, got {len(self.lo)}, {len(self.hi)}")
        if self.lo[0] != 0:
            raise ValueError(f"Band.lo[0] must be 0 (the origin), got {self.lo[0]}")
        if (self.hi < self.lo).any():
            raise ValueError("Band.hi must be >= Band.lo on every row")
        if (self.lo[1:] > self.hi[:-1]).any():
            raise ValueError("Band rows must overlap: lo[i] <= hi[i - 1]")

    @property
    def width(self) -> int:
        """Columns of the widest row."""
        return int((self.hi - self.lo).max()) + 1

    @classmethod
    def between(cls, lo: Sequence[int] | np.ndarray, hi: Sequence[int] | np.ndarray, n_tgt: int) -> Band:
        """A band from rough per-row bounds, clipped to ``0 .. n_tgt`` and made monotonic."""
        lo_a = np.minimum.accumulate(np.clip(np.asarray(lo, dtype=np.int64), 0, n_tgt)[::-1])[::-1].copy()
        hi_a = np.maximum.accumulate(np.clip(np.asarray(hi, dtype=np.int64), 0, n_tgt))
        lo_a[0] = 0
        hi_a[-1] = n_tgt
        hi_a = np.maximum(hi_a, lo_a)
        # Overlap consecutive rows so that 1-0 links can always move down.
        lo_a[1:] = np.minimum(lo_a[1:], hi_a[:-1])
        return cls(lo_a, hi_a)


Scores = Sequence[np.ndarray | float]


def best_path(
    band: Band,
    kinds: Sequence[tuple[int, int]],
    scores: Scores,
    skip_src: np.ndarray,
    skip_tgt: np.ndarray,
) -> list[tuple[int, int, int, int]]:
    """The highest-scoring monotonic path from ``(0, 0)`` to ``(n, m)``.

    ``kinds[t] = (a, b)`` with ``a, b >= 1`` are the paired link kinds; ``scores[t]`` is an array
    shaped ``(n + 1, band.width)`` whose ``[i, j - band.lo[i]]`` entry scores the link of kind
    ``t`` ending at cell ``(i, j)`` (``-inf``: not allowed), or one number for every cell.
    Leaving source segment ``i`` unpaired (a 1-0 link) adds ``skip_src[i]``, target segment ``j``
    (0-1) ``skip_tgt[j]``: negative numbers.
    Returns the links as ``(i0, a, j0, b)``: source ``i0 .. i0 + a - 1``, target ``j0 .. j0 + b - 1``,
    in document order.
    """
    _, back = _sweep(band, kinds, scores, skip_src, skip_tgt, forward=True)
    return _trace(back, band, kinds)


def max_marginals(
    band: Band, kinds: Sequence[tuple[int, int]], scores: Scores, skip_src: np.ndarray, skip_tgt: np.ndarray
) -> tuple[list[np.ndarray], float]:
    """For each paired kind, the score of the best full path that uses that link, and the best score.

    Shaped like ``scores[t]``; ``best - marginal`` says how much a link loses against the optimum,
    which is how the aligner decides which multi-segment links are worth embedding exactly.
    """
    fwd, _ = _sweep(band, kinds, scores, skip_src, skip_tgt, forward=True)
    bwd, _ = _sweep(band, kinds, scores, skip_src, skip_tgt, forward=False)
    n = len(band.lo) - 1
    out = []
    for t, (a, b) in enumerate(kinds):
        marg = np.full(fwd.shape, -np.inf)
        for i in range(a, n + 1):
            lo, w = int(band.lo[i]), int(band.hi[i] - band.lo[i]) + 1
            gain = scores[t] if np.isscalar(scores[t]) else scores[t][i, :w]  # type: ignore[index]
            marg[i, :w] = _at(fwd[i - a], band.lo[i - a], band.hi[i - a], lo - b, w) + gain + bwd[i, :w]
        out.append(marg)
    return out, float(fwd[n, int(band.hi[n] - band.lo[n])])


def _sweep(
    band: Band,
    kinds: Sequence[tuple[int, int]],
    scores: Scores,
    skip_src: np.ndarray,
    skip_tgt: np.ndarray,
    forward: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Best score from the origin to each cell (``forward``) or from each cell to the end.

    Returns the score table and, forward, the kind that reached each cell (``len(kinds)`` = 1-0,
    ``len(kinds) + 1`` = 0-1, -1 = unreachable).
    """
    n = len(band.lo) - 1
    width = band.width
    s_src = np.asarray(skip_src, dtype=np.float64)
    # Cumulative 0-1 cost up to column j: a run of target skips from k to j costs tgt_cum[j] - tgt_cum[k].
    tgt_cum = np.concatenate([[0.0], np.cumsum(np.asarray(skip_tgt, dtype=np.float64))])
    steps = [*kinds, (1, 0)]
    constant = [np.isscalar(x) for x in scores]
    table = np.full((n + 1, width), -np.inf)
    back = np.full((n + 1, width), -1, dtype=np.int16)
    for i in range(n + 1) if forward else range(n, -1, -1):
        lo, hi = int(band.lo[i]), int(band.hi[i])
        w = hi - lo + 1
        cum = tgt_cum[lo : hi + 1]
        best = np.full(w, -np.inf)
        arg = np.full(w, -1, dtype=np.int16)
        if (i == 0 and forward) or (i == n and not forward):
            best[0 if forward else w - 1] = 0.0  # the origin, or the end (n, m)
        for t, (a, b) in enumerate(steps):
            if forward and i - a >= 0:
                row, first, end = i - a, lo - b, i
            elif not forward and i + a <= n:
                row, first, end = i + a, lo + b, i + a
            else:
                continue
            near = _at(table[row], band.lo[row], band.hi[row], first, w)
            if t == len(kinds):
                gain: np.ndarray | float = s_src[i - 1 if forward else i]
            elif constant[t]:
                gain = scores[t]  # type: ignore[assignment]
            elif forward:
                gain = scores[t][i, :w]  # type: ignore[index]
            else:
                # The link's score sits at its end cell (i + a, j + b).
                gain = _at(scores[t][end], band.lo[end], band.hi[end], first, w)  # type: ignore[index]
            _keep_better(best, arg, near + gain, t)
        # 0-1 links inside the row.  Forward: table[j] = max_k<=j best[k] + tgt_cum[j] - tgt_cum[k];
        # backward: table[j] = max_k>=j best[k] + tgt_cum[k] - tgt_cum[j].
        if forward:
            shifted = best - cum
            run = np.maximum.accumulate(shifted)
            table[i, :w] = run + cum
        else:
            shifted = best + cum
            run = np.maximum.accumulate(shifted[::-1])[::-1]
            table[i, :w] = run - cum
        arg[run > shifted] = len(kinds) + 1
        back[i, :w] = arg
    return table, back


def _at(row: np.ndarray, lo: int, hi: int, first: int, count: int) -> np.ndarray:
    """Entries of a band row (columns ``lo .. hi``) at columns ``first .. first + count - 1``, ``-inf`` outside."""
    out = np.full(count, -np.inf)
    start, stop = max(first, int(lo)), min(first + count - 1, int(hi))
    if start <= stop:
        out[start - first : stop - first + 1] = row[start - lo : stop - lo + 1]
    return out


def _keep_better(best: np.ndarray, arg: np.ndarray, value: np.ndarray, kind: int) -> None:
    better = value > best
    best[better] = value[better]
    arg[better] = kind


def _trace(back: np.ndarray, band: Band, kinds: Sequence[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    links: list[tuple[int, int, int, int]] = []
    i, j = len(band.lo) - 1, int(band.hi[-1])
    steps = [*kinds, (1, 0), (0, 1)]
    while i > 0 or j > 0:
        k = int(back[i, j - band.lo[i]])
        if k < 0:
            raise RuntimeError(f"alignment DP found no path through cell ({i}, {j}); the band is broken")
        a, b = steps[k]
        links.append((i - a, a, j - b, b))
        i, j = i - a, j - b
    return links[::-1]
