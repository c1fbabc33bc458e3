"""The WMT metrics task's statistics, as google-research/mt-metrics-eval defines them (``stats.py``, ``pce.py``).

Scores come as a matrix ``(systems, items)`` with NaN where the human gave no score (mt-metrics-eval's None).
- segment level: Kendall tau-b and Pearson (scipy) over every rated (system, item) cell pooled; acc_eq pooled
  and grouped by item (`evalkit.meta.tiecal`);
- system level, over the items rated for every system: system means, Pearson, pairwise accuracy
  (``stats.Agreement``: pairs of systems ordered alike, ties included) and soft pairwise accuracy
  (WMT24; ``pce.py``: 1 - mean |p_human - p_metric| of permutation p-values, seed 4 as there).
Intervals are percentile bootstraps over items; significance between two metrics is a paired permutation
test (PERM-BOTH, arXiv:2104.00054, as ``PermutationSigDiff``; for grouped acc_eq by pairs as
``PairwisePermutationSigDiff``). Every random draw comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tiecal import TieCalibrated, grouped, pooled

__all__ = [
    "SPA_SEED",
    "Segment",
    "System",
    "agreement",
    "complete_items",
    "item_rows",
    "kendall_b",
    "pairwise_p_values",
    "pearson",
    "scored_systems",
    "segment_stats",
    "soft_pairwise_accuracy",
    "system_stats",
]

SPA_SEED = 4  # pce.compute_pairwise_p_values' default seed


def kendall_b(human: np.ndarray, metric: np.ndarray) -> float:
    """Kendall tau-b (scipy, O(n log n)); NaN when either side is constant."""
    import scipy.stats  # type: ignore[import-untyped]

    if len(human) < 2:
        return float("nan")
    return float(scipy.stats.kendalltau(human, metric, variant="b").statistic)


def pearson(human: np.ndarray, metric: np.ndarray) -> float:
    """Pearson's r (scipy); NaN when either side is constant or shorter than 2."""
    import scipy.stats

    if len(human) < 2 or np.ptp(human) == 0 or np.ptp(metric) == 0:
        return float("nan")
    return float(scipy.stats.pearsonr(human, metric).statistic)


def agreement(human: np.ndarray, metric: np.ndarray) -> tuple[int, int]:
    """(agreeing pairs, pairs): sign(human diff) == sign(metric diff), as ``stats.Agreement``."""
    i, j = np.triu_indices(len(human), 1)
    agree = np.sign(human[i] - human[j]) == np.sign(metric[i] - metric[j])
    return int(agree.sum()), len(i)


def pairwise_p_values(seg_scores: np.ndarray, num_permutations: int = 1000, seed: int = SPA_SEED) -> np.ndarray:
    """p-values that system i beats system j (upper triangle, NaN elsewhere), by paired permutation of segment
    scores: the draws, float32 arithmetic and ``>=`` of ``pce.compute_pairwise_p_values``."""
    n_sys, n_seg = seg_scores.shape
    rng = np.random.default_rng(seed)
    signs = rng.random(size=(num_permutations, n_seg), dtype=np.float32)
    np.rint(signs, out=signs, casting="same_kind")
    signs *= 2.0
    signs -= 1.0
    scores = seg_scores.astype(np.float32)
    sys_scores = np.sum(scores, axis=1)
    partial = np.matmul(signs, scores.T)
    p = np.full((n_sys, n_sys), np.nan)
    for a in range(n_sys):
        for b in range(a + 1, n_sys):
            p[a, b] = np.sum(partial[:, a] - partial[:, b] >= sys_scores[a] - sys_scores[b]) / num_permutations
    return p


def soft_pairwise_accuracy(human: np.ndarray, metric: np.ndarray, num_permutations: int = 1000,
                           seed: int = SPA_SEED) -> float:
    """SPA = 1 - PCE over (systems, segments) matrices without gaps (``pce.compute_one_minus_pce``)."""
    if human.shape[0] < 2:
        return float("nan")
    ph = pairwise_p_values(human, num_permutations, seed)
    pm = pairwise_p_values(metric, num_permutations, seed)
    upper = np.triu_indices(human.shape[0], 1)
    return float(1.0 - np.mean(np.abs(ph - pm)[upper]))


def item_rows(rated: np.ndarray) -> list[np.ndarray]:
    """Per item (column), the flat indices (row-major in the (systems, items) matrix) of its rated cells."""
    n_sys, n_items = rated.shape
    flat = np.arange(n_sys * n_items).reshape(n_sys, n_items)
    return [flat[rated[:, k], k] for k in range(n_items)]


@dataclass(frozen=True)
class Segment:
    """Segment-level figures of one metric: pooled over ``n`` rated cells, and acc_eq grouped by item."""

    kendall_b: float
    pearson: float
    acc_eq: TieCalibrated
    acc_eq_item: TieCalibrated
    n: int


@dataclass(frozen=True)
class System:
    """System-level figures over ``n`` systems and the ``items`` rated for all of them; means per system."""

    pearson: float
    pairwise_accuracy: float
    spa: float
    n: int
    items: int
    human_means: tuple[float, ...]
    metric_means: tuple[float, ...]


def segment_stats(human: np.ndarray, metric: np.ndarray) -> Segment:
    """Figures over the cells where both ``human`` and ``metric`` (systems, items) are finite."""
    rated = np.isfinite(human) & np.isfinite(metric)
    h, m = human[rated], metric[rated]
    flat_h, flat_m = np.where(rated, human, 0.0).ravel(), np.where(rated, metric, 0.0).ravel()
    return Segment(kendall_b(h, m), pearson(h, m), pooled(h, m), grouped(flat_h, flat_m, item_rows(rated)), len(h))


def complete_items(human: np.ndarray, metric: np.ndarray) -> np.ndarray:
    """Items (columns) rated by the humans and scored by the metric for every system the metric scores at all."""
    scored = scored_systems(metric)
    ok = np.isfinite(human[scored]) & np.isfinite(metric[scored])
    return np.flatnonzero(np.all(ok, axis=0)) if len(scored) else np.zeros(0, dtype=np.intp)


def scored_systems(metric: np.ndarray) -> np.ndarray:
    """Systems (rows) with at least one metric value (a system without outputs has none)."""
    return np.flatnonzero(np.isfinite(metric).any(axis=1))


def system_stats(human: np.ndarray, metric: np.ndarray, num_permutations: int = 1000, seed: int = SPA_SEED) -> System:
    """System means over the complete items of the scored systems; Pearson, pairwise accuracy and SPA of the
    metric's against the humans'. Means are NaN for systems the metric does not score."""
    rows = scored_systems(metric)
    items = complete_items(human, metric)
    h, m = human[np.ix_(rows, items)], metric[np.ix_(rows, items)]
    hm = np.full(human.shape[0], np.nan)
    mm = np.full(human.shape[0], np.nan)
    if len(items):
        hm[rows], mm[rows] = h.mean(axis=1), m.mean(axis=1)
    agree, pairs = agreement(hm[rows], mm[rows]) if len(items) else (0, 0)
    return System(
        pearson(hm[rows], mm[rows]) if len(items) else float("nan"),
        agree / pairs if pairs else float("nan"),
        soft_pairwise_accuracy(h, m, num_permutations, seed) if len(items) else float("nan"),
        len(rows),
        len(items),
        tuple(float(x) for x in hm),
        tuple(float(x) for x in mm),
    )
