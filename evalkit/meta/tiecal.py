"""Tie-calibrated pairwise accuracy ``acc_eq`` (Deutsch, Foster and Freitag 2023, arXiv:2305.14324).

Over pairs of items, acc23 = (concordant + tied in both) / pairs. The metric is given ties by a threshold
``eps``: a pair whose metric scores differ by at most ``eps`` counts as a metric tie. The threshold is the
one that maximises the accuracy, searched over 0 and every pair's metric difference, as mt-metrics-eval's
``tau_optimization`` (``KendallWithTiesOpt``, variant acc23, ``sample_rate=1``: all pairs) does it; the
smallest threshold wins a tie. With rows (groups), the accuracy is the plain mean over the rows that hold a
pair, with one threshold shared by every row.

Two exact implementations, no O(n^2) Python loop:
- `grouped`: rows of a few items each (WMT23's per-item grouping): every pair enumerated with numpy.
- `pooled`: one row of n items (n^2/2 pairs, 2e8 at n = 20k): the accuracy at any threshold is counted in
  O(n log n) (scipy's Kendall statistic on a union of the points and the points shifted by the threshold),
  and a branch and bound over thresholds finds the maximum, enumerating pairs only in narrow intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["TieCalibrated", "acc23_at", "curve", "grouped", "pairs_of_rows", "pooled", "sweep"]

_ENUMERATE = 2_000_000  # pairs in a threshold interval below which they are listed explicitly
_PREFIX_CELLS = 20_000_000  # human classes x items up to which cross sums use prefix counts (int32, 80 MB)
_BINS = 1024  # sub-intervals of a listed interval; only those that can hold the maximum are sorted


@dataclass(frozen=True)
class TieCalibrated:
    """acc_eq (0-1) at its optimal tie threshold ``epsilon`` (metric units); ``pairs`` counted, ``rows`` averaged."""

    acc: float
    epsilon: float
    pairs: int
    rows: int

    def __post_init__(self) -> None:
        if not (0.0 <= self.acc <= 1.0 or np.isnan(self.acc)):
            raise ValueError(f"acc must be within 0-1, got {self.acc}")
        if self.epsilon < 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon}")


def pairs_of_rows(rows: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i < j) within each row of global indices, and the row of each pair; rows by size, vectorised."""
    firsts, seconds, owners = [], [], []
    by_size: dict[int, list[int]] = {}
    for r, idx in enumerate(rows):
        if len(idx) >= 2:
            by_size.setdefault(len(idx), []).append(r)
    for size, members in by_size.items():
        mat = np.vstack([rows[r] for r in members])  # (rows, size)
        a, b = np.triu_indices(size, 1)
        firsts.append(mat[:, a].ravel())
        seconds.append(mat[:, b].ravel())
        owners.append(np.repeat(np.asarray(members), len(a)))
    if not firsts:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, empty
    return np.concatenate(firsts), np.concatenate(seconds), np.concatenate(owners)


def sweep(diff: np.ndarray, concordant: np.ndarray, human_tie: np.ndarray, weight: np.ndarray,
          base: float) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds (0 and each distinct pair difference) and the accuracy at each, as tau_optimization lists them.

    ``base`` is the accuracy at threshold 0 (every pair as it is); a pair whose difference is within the
    threshold changes from concordant (``concordant``) to a metric tie, correct when the humans tie.
    """
    order = np.argsort(diff, kind="stable")
    d = diff[order]
    gain = (human_tie[order].astype(np.float64) - concordant[order]) * weight[order]
    positive = d > 0
    d, gain = d[positive], gain[positive]  # pairs already tied in the metric change nothing
    total = base + np.cumsum(gain)
    last = np.r_[d[1:] != d[:-1], True] if len(d) else np.zeros(0, dtype=bool)
    return np.r_[0.0, d[last]], np.r_[base, total[last]]


def _classify(h: np.ndarray, m: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, ...]:
    dh, dm = h[j] - h[i], m[j] - m[i]
    concordant = ((dh > 0) & (dm > 0)) | ((dh < 0) & (dm < 0))
    return np.abs(dm), concordant, dh == 0, dm == 0


def curve(human: np.ndarray, metric: np.ndarray, rows: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Every threshold tau_optimization tries and the mean acc23 over ``rows`` at each; pairs and rows counted."""
    h, m = np.asarray(human, dtype=np.float64), np.asarray(metric, dtype=np.float64)
    i, j, owner = pairs_of_rows(rows)
    if not len(i):
        return np.zeros(0), np.zeros(0), 0, 0
    diff, concordant, htie, mtie = _classify(h, m, i, j)
    counts = np.bincount(owner)
    used = np.flatnonzero(counts)
    weight = 1.0 / (counts[owner] * len(used))
    per_row = np.bincount(owner, weights=concordant | (htie & mtie))[used] / counts[used]
    thresholds, accs = sweep(diff, concordant, htie, weight, float(np.mean(per_row)))
    return thresholds, accs, len(i), len(used)


def grouped(human: np.ndarray, metric: np.ndarray, rows: Sequence[np.ndarray]) -> TieCalibrated:
    """acc_eq averaged over ``rows`` (arrays of indices into ``human``/``metric``), one threshold for all.

    Rows with fewer than two items are left out of the mean, as mt-metrics-eval leaves them out.
    """
    thresholds, accs, pairs, n_rows = curve(human, metric, rows)
    if not pairs:
        return TieCalibrated(float("nan"), 0.0, 0, 0)
    best = int(np.argmax(accs))
    return TieCalibrated(float(min(max(accs[best], 0.0), 1.0)), float(thresholds[best]), pairs, n_rows)


def acc23_at(human: np.ndarray, metric: np.ndarray, epsilon: float) -> float:
    """acc23 over all pairs of one row with metric differences <= ``epsilon`` as ties (KendallVariants' epsilon)."""
    return _Pooled(np.asarray(human, dtype=np.float64), np.asarray(metric, dtype=np.float64)).accuracy(epsilon)


class _Sorted:
    """Sorted values as distinct values and cumulative counts, for the float-exact searches below."""

    def __init__(self, values: np.ndarray) -> None:
        self.u, counts = np.unique(values, return_counts=True)
        self.cum = np.r_[0, np.cumsum(counts)]

    def upto(self, base: np.ndarray, t: float) -> np.ndarray:
        """For each ``base`` value b: how many values v have v - b <= t, in float arithmetic exactly as a
        pair's difference is computed (``m_j - m_i``), not as ``b + t`` rounds."""
        return self.cum[self.distinct_upto(base, t)]

    def distinct_upto(self, base: np.ndarray, t: float) -> np.ndarray:
        """For each ``base`` value b: how many distinct values v have v - b <= t."""
        u, n = self.u, len(self.u)
        if np.isinf(t):
            return np.full(len(base), n, dtype=np.intp)
        p = np.searchsorted(u, base + t, side="right")
        while True:  # a step or two over distinct values at most: v - b is monotone in v
            up = (p < n) & (u[np.minimum(p, n - 1)] - base <= t)
            down = (p > 0) & (u[np.maximum(p - 1, 0)] - base > t)
            if not (up.any() or down.any()):
                return p
            p = p + up - down

    def below(self, top: np.ndarray, t: float) -> np.ndarray:
        """For each ``top`` value x: how many values v have x - v > t (a prefix of the sorted values)."""
        u, n = self.u, len(self.u)
        p = np.searchsorted(u, top - t, side="left")
        while True:
            up = (p < n) & (top - u[np.minimum(p, n - 1)] > t)
            down = (p > 0) & (top - u[np.maximum(p - 1, 0)] <= t)
            if not (up.any() or down.any()):
                return self.cum[p]
            p = p + up - down


def _signed_sum(x: np.ndarray, y: np.ndarray) -> int:
    """Sum over pairs of sign(dx) * sign(dy), concordant minus discordant, recovered exactly from scipy's tau-b."""
    import scipy.stats  # type: ignore[import-untyped]

    n = len(x)
    tot = n * (n - 1) // 2

    def ties(v: np.ndarray) -> int:
        _, c = np.unique(v, return_counts=True)
        return int((c * (c - 1) // 2).sum())

    tx, ty = ties(x), ties(y)
    if tot == 0 or tx == tot or ty == tot:
        return 0
    tau = scipy.stats.kendalltau(x, y, variant="b").statistic
    return int(round(float(tau) * np.sqrt(float(tot - tx)) * np.sqrt(float(tot - ty))))


class _Pooled:
    """Counts over all pairs of one row at any threshold t, in O(n log n)."""

    def __init__(self, h: np.ndarray, m: np.ndarray) -> None:
        order = np.lexsort((h, m))  # by metric
        self.h, self.m = h[order], m[order]
        self.n = n = len(h)
        self.total = n * (n - 1) // 2
        self.pos = np.arange(n)
        # Human groups sorted by metric inside: a pair's partner is searched within its group.
        by_h = np.lexsort((self.m, self.h))
        self.gh, self.gm = self.h[by_h], self.m[by_h]
        first = np.r_[True, self.gh[1:] != self.gh[:-1]]
        starts = np.flatnonzero(first)
        sizes = np.diff(np.r_[starts, n])
        self.sorted_m = _Sorted(self.m)
        # Exact integer keys (human group, metric rank) in group order: a partner search is one searchsorted.
        span = len(self.sorted_m.u) + 1
        self.group_base = (np.cumsum(first) - 1).astype(np.int64) * span
        self.group_key = self.group_base + np.searchsorted(self.sorted_m.u, self.gm)
        self.human_tied = int((sizes * (sizes - 1) // 2).sum())
        self._cache: dict[float, tuple[int, int, int]] = {}
        self.p_key = 2 * self.pos + 1
        # Few distinct human scores (MQM): prefix counts per human class make each cross sum O(n), no sort.
        classes, self.ci = np.unique(self.h, return_inverse=True)
        self.prefix: np.ndarray | None = None
        if len(classes) * n <= _PREFIX_CELLS:
            below = self.ci[None, :] < np.arange(len(classes) + 1)[:, None]  # (classes + 1, n)
            self.prefix = np.zeros((len(classes) + 1, n + 1), dtype=np.int32)
            np.cumsum(below, axis=1, out=self.prefix[:, 1:])
            self.sign_p = 0
        else:
            self.sign_p = _signed_sum(self.p_key.astype(np.float64), self.h)

    def within(self, t: float) -> tuple[int, int]:
        """(pairs with metric difference <= t, of them the human-tied ones)."""
        return self.counts(t)[1:]

    def counts(self, t: float) -> tuple[int, int, int]:
        """(accuracy count, pairs with difference <= t, human-tied pairs with difference <= t), cached."""
        if t not in self._cache:
            self._cache[t] = self._counts(t)
        return self._cache[t]

    def _counts(self, t: float) -> tuple[int, int, int]:
        pairs = int((self.sorted_m.upto(self.m, t) - (self.pos + 1)).sum())
        # Within each human group (metric-sorted): partners after i with a metric rank the threshold reaches.
        reach = self.group_base + self.sorted_m.distinct_upto(self.gm, t) - 1
        tied = int((np.searchsorted(self.group_key, reach, side="right") - (self.pos + 1)).sum())
        # Union of the points P (key 2k+1 at metric position k) and their copies Q, placed so that copy j sits
        # below point i exactly when m_j - m_i <= t. Cross pairs then sum to 2 * (concordant - discordant) over
        # the pairs with difference > t; pairs inside P or inside Q cancel out.
        lower = self.sorted_m.below(self.m, t)
        if self.prefix is not None:
            cross = self._cross(lower)
        else:
            q_key = 2 * lower
            keys = np.r_[q_key, self.p_key].astype(np.float64)
            y = np.r_[self.h, self.h]
            cross = _signed_sum(keys, y) - self.sign_p - _signed_sum(q_key.astype(np.float64), self.h)
        beyond_untied = (self.total - pairs) - (self.human_tied - tied)  # concordant + discordant beyond t
        concordant = (beyond_untied + cross // 2) // 2
        return int(concordant + tied), pairs, tied

    def _cross(self, lower: np.ndarray) -> int:
        """The cross sum from prefix counts: copy j is above the points at positions < lower[j], below the rest,
        so its pairs sum to (all signs of j) - 2 * (signs of j over positions < lower[j])."""
        assert self.prefix is not None
        n, c = self.n, self.ci
        above_all = n - self.prefix[c + 1, n].astype(np.int64)
        below_all = self.prefix[c, n].astype(np.int64)
        above = lower - self.prefix[c + 1, lower].astype(np.int64)
        below = self.prefix[c, lower].astype(np.int64)
        return int(((above_all - below_all) - 2 * (above - below)).sum())

    def accuracy_count(self, t: float) -> int:
        """(concordant pairs with difference > t) + (human-tied pairs with difference <= t)."""
        return self.counts(t)[0]

    def accuracy(self, t: float) -> float:
        return self.accuracy_count(t) / self.total if self.total else float("nan")

    def pairs_between(self, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        """Index pairs (i < j in metric order) whose difference lies in (lo, hi]."""
        start = np.maximum(self.sorted_m.upto(self.m, lo), self.pos + 1)
        stop = self.sorted_m.upto(self.m, hi)
        counts = np.maximum(stop - start, 0)
        first = np.repeat(self.pos, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        second = np.repeat(start, counts) + offsets
        return first, second


def pooled(human: np.ndarray, metric: np.ndarray) -> TieCalibrated:
    """acc_eq over all pairs of one row, exactly as tau_optimization with ``sample_rate=1``."""
    import heapq

    h, m = np.asarray(human, dtype=np.float64), np.asarray(metric, dtype=np.float64)
    if len(h) < 2:
        return TieCalibrated(float("nan"), 0.0, 0, 0)
    if len(h) * (len(h) - 1) // 2 <= _ENUMERATE:
        return grouped(h, m, [np.arange(len(h))])
    row = _Pooled(h, m)
    best = [row.accuracy_count(0.0), 0.0]

    def offer(count: int, threshold: float) -> None:
        if count > best[0] or (count == best[0] and threshold < best[1]):
            best[0], best[1] = count, threshold

    def bound(lo: float, hi: float) -> int:
        # In (lo, hi] the count grows only by human-tied pairs entering, and falls only by concordant ones.
        f_lo, _, tied_lo = row.counts(lo)
        f_hi, _, tied_hi = row.counts(hi)
        concordant_in = (f_lo - tied_lo) - (f_hi - tied_hi)
        return min(f_lo + (tied_hi - tied_lo), f_hi + concordant_in)

    spread = float(row.m[-1] - row.m[0])
    # The grid only sets where the search starts (quantiles of a fixed sample of pair differences).
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, row.n, 20_000), rng.integers(0, row.n, 20_000)
    grid = np.unique(np.r_[0.0, np.quantile(np.abs(row.m[a] - row.m[b]), np.linspace(0, 1, 33)), spread])
    for t in grid[1:]:
        offer(row.accuracy_count(float(t)), _largest_diff_upto(row, float(t)))
    heap = [(-bound(float(lo), float(hi)), float(lo), float(hi)) for lo, hi in zip(grid[:-1], grid[1:])]
    heapq.heapify(heap)
    while heap:
        neg_ub, lo, hi = heapq.heappop(heap)
        if -neg_ub < best[0]:
            break  # best first: no interval left can beat the best found
        n_lo, n_hi = row.within(lo)[0], row.within(hi)[0]
        mid = lo + (hi - lo) / 2
        if n_hi - n_lo <= _ENUMERATE or not lo < mid < hi:
            _leaf(row, lo, hi, int(best[0]), offer)
            continue
        offer(row.accuracy_count(mid), _largest_diff_upto(row, mid))
        for part in ((lo, mid), (mid, hi)):
            ub = bound(*part)
            if ub >= best[0]:
                heapq.heappush(heap, (-ub, *part))
    return TieCalibrated(best[0] / row.total, best[1], row.total, 1)


def _leaf(row: _Pooled, lo: float, hi: float, best: int, offer: Callable[[int, float], None]) -> None:
    """List the pairs with difference in (lo, hi], bin them in order of difference, and sort only the bins
    whose bound can reach ``best``: the exact maximum within (lo, hi] is offered."""
    i, j = row.pairs_between(lo, hi)
    if not len(i):
        return
    diff, concordant, htie, _ = _classify(row.h, row.m, i, j)
    f_lo = row.accuracy_count(lo)
    # Monotone in the difference, so bins keep the pairs' order.
    bins = np.clip(np.floor((diff - lo) / (hi - lo) * _BINS).astype(np.int64), 0, _BINS - 1)
    h_bin = np.bincount(bins, weights=htie, minlength=_BINS)
    c_bin = np.bincount(bins, weights=concordant, minlength=_BINS)
    f_end = f_lo + np.cumsum(h_bin - c_bin)
    f_start = np.r_[f_lo, f_end[:-1]]
    occupied = np.bincount(bins, minlength=_BINS) > 0
    ceiling = max(best, int(round(f_end[occupied].max())))
    upper = np.minimum(f_start + h_bin, f_end + c_bin)
    for k in np.flatnonzero(occupied & (upper >= ceiling)):
        inside = bins == k
        thresholds, counts = sweep(diff[inside], concordant[inside], htie[inside], np.ones(int(inside.sum())),
                                   float(f_start[k]))
        top = int(np.argmax(counts[1:])) + 1
        offer(int(round(counts[top])), float(thresholds[top]))


def _largest_diff_upto(row: _Pooled, t: float) -> float:
    """The largest pair difference <= t (0 when none is positive)."""
    j = row.sorted_m.upto(row.m, t) - 1
    return float(max(0.0, np.max(row.m[j] - row.m)))
