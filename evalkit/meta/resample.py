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
    # Segment Pearson from per-item sums (count, h, m, hm, hh, mm): a draw weights each item by its draw count.
    h, m = np.where(rated, human, 0.0), np.where(rated, metric, 0.0)
    sums = np.stack([rated.sum(axis=0), h.sum(axis=0), m.sum(axis=0), (h * m).sum(axis=0), (h * h).sum(axis=0),
                     (m * m).sum(axis=0)], axis=1).astype(np.float64)  # (items, 6)
    n, sh, sm, shm, shh, smm = (weights @ sums).T
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = shm / n - (sh / n) * (sm / n)
        out["segment.pearson"] = _percentile(cov / np.sqrt((shh / n - (sh / n) ** 2) * (smm / n - (sm / n) ** 2)))
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


def _pearson_from_sums(n: int, sh: float, shh: float, sm: np.ndarray, smm: np.ndarray, shm: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return (shm / n - sh / n * sm / n) / np.sqrt((shh / n - (sh / n) ** 2) * (smm / n - (sm / n) ** 2))


def _signs(rng: np.random.Generator, k: int, n: int) -> np.ndarray:
    return rng.integers(0, 2, size=(k, n)).astype(np.float32)


def significance(human: np.ndarray, oriented: dict[str, np.ndarray], epsilons: dict[str, float],
                 settings: Resampling) -> dict[str, dict[str, dict[str, float]]]:
    """p[statistic][a][b]: p-value that metric a is better than metric b (small: significant).

    mt-metrics-eval's ``sig_matrix[a, b]`` (``PermutationSigDiff(corr_b, corr_a)``): the share of null draws whose
    delta a - b reaches the observed one. Over the cells every metric scores; one set of draws serves every pair
    of metrics (as ``pce`` shares its draws between system pairs), and each figure's pieces are linear in the
    swap mask, so the draws are a few matrix products.
    """
    k, names = settings.n_permutations, list(oriented)
    if k < 1 or len(names) < 2:
        return {}
    rng = np.random.default_rng(settings.seed)
    common = np.isfinite(human) & np.all([np.isfinite(v) for v in oriented.values()], axis=0)
    out: dict[str, dict[str, dict[str, float]]] = {}

    def record(stat: str, observed: np.ndarray, draws: np.ndarray) -> None:
        # observed: per metric figure (M,); draws: (k, M, M) null deltas a - b.
        table = out.setdefault(stat, {})
        for x, a in enumerate(names):
            for y, b in enumerate(names):
                if x != y and np.isfinite(observed[x]) and np.isfinite(observed[y]):
                    table.setdefault(a, {})[b] = float(np.mean(draws[:, x, y] >= observed[x] - observed[y]))

    h = human[common]
    n = len(h)
    if n >= 3:
        z = np.stack([_zscore(oriented[m][common]) for m in names], axis=1)  # (cells, M)
        sh, shh = float(h.sum()), float((h * h).sum())
        base = _pearson_from_sums(n, sh, shh, z.sum(axis=0), (z * z).sum(axis=0), (h[:, None] * z).sum(axis=0))
        draws = np.empty((k, len(names), len(names)))
        cols = np.concatenate([z, z * z, h[:, None] * z], axis=1).astype(np.float32)
        for start in range(0, k, _CHUNK):
            w = _signs(rng, min(_CHUNK, k - start), n)  # 1: the cell keeps metric a's score
            taken = w @ cols  # (draws, 3M): sums over the cells where w = 1
            rest = cols.sum(axis=0) - taken
            m = len(names)
            # hybrid a' = w * a + (1 - w) * b, hybrid b' = w * b + (1 - w) * a
            for x in range(m):
                for y in range(m):
                    if x == y:
                        continue
                    parts_a = [taken[:, j * m + x] + rest[:, j * m + y] for j in range(3)]
                    parts_b = [taken[:, j * m + y] + rest[:, j * m + x] for j in range(3)]
                    draws[start:start + len(w), x, y] = (_pearson_from_sums(n, sh, shh, *parts_a)
                                                         - _pearson_from_sums(n, sh, shh, *parts_b))
        record("segment.pearson", base, draws)
    # acc_eq per item: swap the outcomes of pairwise comparisons (PairwisePermutationSigDiff); linear in the swaps.
    outcomes = [_pair_outcomes(np.where(common, human, np.nan), np.where(common, oriented[m], np.nan), epsilons[m])
                for m in names]
    if len(outcomes[0][0]):
        weighted = np.stack([c * wt for c, _, wt in outcomes], axis=1).astype(np.float64)  # (pairs, M)
        observed = weighted.sum(axis=0)
        draws = np.empty((k, len(names), len(names)))
        for start in range(0, k, _CHUNK):
            signs = 1.0 - 2.0 * _signs(rng, min(_CHUNK, k - start), len(weighted))  # -1: swapped
            signed = signs @ weighted.astype(np.float32)  # (draws, M)
            draws[start:start + len(signs)] = signed[:, :, None] - signed[:, None, :]
        record("segment_item.acc_eq", observed, draws)
    rows = np.flatnonzero(np.all([np.isfinite(v).any(axis=1) for v in oriented.values()], axis=0))
    items = np.flatnonzero(np.all(common[rows], axis=0)) if len(rows) else np.zeros(0, dtype=np.intp)
    if len(items) >= 2 and len(rows) >= 2:
        hs = human[np.ix_(rows, items)].mean(axis=1)
        zs = np.stack([_zscore(oriented[m][np.ix_(rows, items)].mean(axis=1)) for m in names], axis=1)  # (sys, M)
        w = rng.integers(0, 2, size=(k, len(hs))).astype(bool)
        hh = np.broadcast_to(hs, w.shape)
        for key, fn in (("system.pearson", _rows_pearson), ("system.pairwise_accuracy", _rows_agreement)):
            observed = np.array([fn(hs[None], zs[None, :, x])[0] for x in range(len(names))])
            draws = np.empty((k, len(names), len(names)))
            for x in range(len(names)):
                for y in range(len(names)):
                    if x != y:
                        a, b = zs[:, x], zs[:, y]
                        draws[:, x, y] = fn(hh, np.where(w, a, b)) - fn(hh, np.where(w, b, a))
            record(key, observed, draws)
    return out
