"""Confidence intervals (bootstrap over items) and significance between metrics (paired permutation tests).

- Intervals: 95% percentile bootstrap; each draw resamples items (all systems of an item together), seeded.
  Covered: segment Pearson, segment acc_eq grouped by item (at each metric's calibrated threshold, as
  ``PairwisePermutationSigDiff`` keeps it fixed), system Pearson and pairwise accuracy.
- Significance, for each ordered pair (a, b): the p-value that a is better than b (the share of null draws
  whose delta reaches the observed one), as mt-metrics-eval's ``PermutationSigDiff(corr_b, corr_a)``: PERM-BOTH swaps of z-scored scores cell by cell
  (segment Pearson) or system by system (system Pearson and pairwise accuracy); grouped acc_eq swaps the
  outcomes of pairwise comparisons (``PairwisePermutationSigDiff``). Kendall tau-b and pooled acc_eq get
  neither (a scipy call per draw over every cell would dominate the run).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stats import complete_items, item_rows, scored_systems
from .tiecal import pairs_of_rows

__all__ = ["Resampling", "intervals", "significance"]

_CHUNK = 50  # draws per vectorised block


@dataclass(frozen=True)
class Resampling:
    """Settings of the intervals and tests, written into every signature."""

    n_bootstrap: int = 1000
    n_permutations: int = 1000
    seed: int = 12345

    def signature(self) -> str:
        return f"bs:{self.n_bootstrap}|perm:{self.n_permutations}|seed:{self.seed}|ci:95%-percentile"


def _rows_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson of each row pair of (draws, n) matrices."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xc * yc).sum(axis=1) / den


def _rows_agreement(human: np.ndarray, metric: np.ndarray) -> np.ndarray:
    """stats.Agreement accuracy per row of (draws, systems) matrices."""
    i, j = np.triu_indices(human.shape[1], 1)
    if not len(i):
        return np.full(human.shape[0], np.nan)
    return np.mean(np.sign(human[:, i] - human[:, j]) == np.sign(metric[:, i] - metric[:, j]), axis=1)


def _pair_outcomes(human: np.ndarray, metric: np.ndarray, epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per within-item pair: correct at ``epsilon`` (acc23), its item, and its weight 1 / (pairs of item * items)."""
    rated = np.isfinite(human) & np.isfinite(metric)
    flat_h, flat_m = np.where(rated, human, 0.0).ravel(), np.where(rated, metric, 0.0).ravel()
    i, j, owner = pairs_of_rows(item_rows(rated))
    dh, dm = flat_h[j] - flat_h[i], flat_m[j] - flat_m[i]
    tie = np.abs(dm) <= epsilon
    correct = np.where(tie, dh == 0, ((dh > 0) & (dm > 0)) | ((dh < 0) & (dm < 0)))
    counts = np.bincount(owner)
    weight = 1.0 / (counts[owner] * np.count_nonzero(counts))
    return correct.astype(np.float64), owner, weight


def _percentile(draws: np.ndarray) -> tuple[float, float] | None:
    draws = draws[np.isfinite(draws)]
    if not len(draws):
        return None
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(low), float(high)


def intervals(human: np.ndarray, metric: np.ndarray, epsilon_item: float, settings: Resampling) -> dict[str, tuple[float, float] | None]:
    """95% intervals keyed ``segment.pearson``, ``segment_item.acc_eq``, ``system.pearson``, ``system.pairwise_accuracy``."""
    n_sys, n_items = human.shape
    if settings.n_bootstrap < 2 or n_items < 2:
        return {}
    rng = np.random.default_rng(settings.seed)
    draws = rng.integers(0, n_items, size=(settings.n_bootstrap, n_items))
    weights = np.stack([np.bincount(d, minlength=n_items) for d in draws]).astype(np.float64)  # (draws, items)
    rated = np.isfinite(human) & np.isfinite(metric)
    out: dict[str, tuple[float, float] | None] = {}
    # Segment Pearson: weighted moments over cells, each cell weighted by how often its item was drawn.
    h, m = np.where(rated, human, 0.0), np.where(rated, metric, 0.0)
    cw = weights[:, None, :] * rated[None, :, :]  # (draws, sys, items)
    n = cw.sum(axis=(1, 2))
    mh = (cw * h).sum(axis=(1, 2)) / n
    mm = (cw * m).sum(axis=(1, 2)) / n
    cov = (cw * h * m).sum(axis=(1, 2)) / n - mh * mm
    vh = (cw * h * h).sum(axis=(1, 2)) / n - mh * mh
    vm = (cw * m * m).sum(axis=(1, 2)) / n - mm * mm
    with np.errstate(invalid="ignore", divide="ignore"):
        out["segment.pearson"] = _percentile(cov / np.sqrt(vh * vm))
    correct, owner, _ = _pair_outcomes(human, metric, epsilon_item)
    per_item = np.full(n_items, np.nan)
    if len(owner):
        per_item_sum = np.bincount(owner, weights=correct, minlength=n_items)
        per_item_n = np.bincount(owner, minlength=n_items)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_item = per_item_sum / per_item_n
    has = np.isfinite(per_item)
    w_items = weights[:, has]
    out["segment_item.acc_eq"] = _percentile((w_items @ per_item[has]) / w_items.sum(axis=1)) if has.any() else None
    items, rows = complete_items(human, metric), scored_systems(metric)
    if len(items) >= 2 and len(rows) >= 2:
        w = weights[:, items]
        hs = (w @ human[np.ix_(rows, items)].T) / w.sum(axis=1, keepdims=True)  # (draws, sys)
        ms = (w @ metric[np.ix_(rows, items)].T) / w.sum(axis=1, keepdims=True)
        out["system.pearson"] = _percentile(_rows_pearson(hs, ms))
        out["system.pairwise_accuracy"] = _percentile(_rows_agreement(hs, ms))
    return out


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else x - x.mean()


def significance(human: np.ndarray, metric_a: np.ndarray, metric_b: np.ndarray, eps_a: float, eps_b: float,
                 settings: Resampling) -> dict[str, float]:
    """p-values that metric a is better than metric b, keyed like `intervals` (small: a significantly better);
    mt-metrics-eval's ``sig_matrix[a, b]``, i.e. ``PermutationSigDiff(corr_b, corr_a)``."""
    # Below, as in PermutationSigDiff(corr1, corr2): the tested delta is metric2 - metric1, metric2 being a.
    metric_a, metric_b, eps_a, eps_b = metric_b, metric_a, eps_b, eps_a
    k = settings.n_permutations
    if k < 1:
        return {}
    rng = np.random.default_rng(settings.seed)
    out: dict[str, float] = {}
    rated = np.isfinite(human) & np.isfinite(metric_a) & np.isfinite(metric_b)
    h = human[rated]
    za, zb = _zscore(metric_a[rated]), _zscore(metric_b[rated])
    delta = _rows_pearson(h[None], zb[None])[0] - _rows_pearson(h[None], za[None])[0]
    larger = 0
    for start in range(0, k, _CHUNK):
        w = rng.integers(0, 2, size=(min(_CHUNK, k - start), len(h))).astype(bool)
        m1, m2 = np.where(w, za, zb), np.where(w, zb, za)
        larger += int(np.sum(_rows_pearson(np.broadcast_to(h, m1.shape), m2)
                             - _rows_pearson(np.broadcast_to(h, m1.shape), m1) >= delta))
    out["segment.pearson"] = larger / k
    ca, owner, weight = _pair_outcomes(human, metric_a, eps_a)
    cb, owner_b, _ = _pair_outcomes(human, metric_b, eps_b)
    if len(ca) and len(ca) == len(cb) and np.array_equal(owner, owner_b):
        delta = float(np.sum(weight * (cb - ca)))
        diff = weight * (cb - ca)
        larger = 0
        for start in range(0, k, _CHUNK):
            swap = rng.integers(0, 2, size=(min(_CHUNK, k - start), len(diff))).astype(bool)
            larger += int(np.sum(np.where(swap, -diff, diff).sum(axis=1) >= delta))
        out["segment_item.acc_eq"] = larger / k
    items = complete_items(human, metric_a) if np.array_equal(complete_items(human, metric_a),
                                                              complete_items(human, metric_b)) else np.zeros(0, int)
    rows = scored_systems(metric_a)
    if len(items) >= 2 and len(rows) >= 2 and np.array_equal(rows, scored_systems(metric_b)):
        hs = human[np.ix_(rows, items)].mean(axis=1)
        sa = _zscore(metric_a[np.ix_(rows, items)].mean(axis=1))
        sb = _zscore(metric_b[np.ix_(rows, items)].mean(axis=1))
        w = rng.integers(0, 2, size=(k, len(hs))).astype(bool)
        m1, m2 = np.where(w, sa, sb), np.where(w, sb, sa)
        hh = np.broadcast_to(hs, m1.shape)
        for key, fn in (("system.pearson", _rows_pearson), ("system.pairwise_accuracy", _rows_agreement)):
            delta = fn(hs[None], sb[None])[0] - fn(hs[None], sa[None])[0]
            out[key] = float(np.mean(fn(hh, m2) - fn(hh, m1) >= delta))
    return out
