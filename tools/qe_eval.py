"""Segment-level agreement of a score with expert MQM: Kendall tau-b, Pearson, acc_eq, and flag lift/recall.

acc_eq is the tie-calibrated pairwise accuracy of Deutsch, Foster & Freitag (2023, "Ties Matter"): over all
pairs of segments (no grouping), (concordant + tied in both) / all pairs, where the metric calls a pair
tied when its scores differ by at most epsilon, epsilon chosen to maximise the accuracy. Above 5,000
segments it is computed on a fixed random subset of 5,000 (seed 0) to bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MAJOR", "Agreement", "FlagStats", "acc_eq", "agreement", "flag_stats"]

MAJOR = -5.0  # one major error costs 5 MQM points


@dataclass(frozen=True)
class Agreement:
    n: int
    tau_b: float
    pearson: float
    acc_eq: float
    epsilon: float


@dataclass(frozen=True)
class FlagStats:
    flagged: float  # share of all segments flagged
    recall_major: float  # share of major-error segments (MQM <= -5) flagged
    rate_clean: float  # share of error-free segments (MQM = 0) flagged
    lift: float  # recall_major / rate_clean
    precision: float  # share of flagged segments with a major error


def acc_eq(metric: np.ndarray, human: np.ndarray, max_n: int = 5000) -> tuple[float, float]:
    """(acc_eq, epsilon) of ``metric`` against ``human`` (both: higher is better)."""
    m = np.asarray(metric, dtype=np.float64)
    h = np.asarray(human, dtype=np.float64)
    if len(m) > max_n:
        keep = np.sort(np.random.default_rng(0).choice(len(m), max_n, replace=False))
        m, h = m[keep], h[keep]
    i, j = np.triu_indices(len(m), k=1)
    dm = m[i] - m[j]
    dh = np.sign(h[i] - h[j])
    del i, j
    order = np.argsort(np.abs(dm), kind="stable")
    adm = np.abs(dm)[order]
    conc = (np.sign(dm[order]) == dh[order]) & (dh[order] != 0)
    htie = dh[order] == 0
    total = len(dm)
    # Tying the first k pairs (smallest |dm|): accuracy = (concordant among the rest + human ties among the first k).
    conc_cum = np.concatenate([[0], np.cumsum(conc)])
    htie_cum = np.concatenate([[0], np.cumsum(htie)])
    # Only cut between distinct |dm| values (all pairs with equal |dm| are tied or not together).
    ends = np.concatenate([np.flatnonzero(np.diff(adm) > 0) + 1, [total]])
    ks = np.concatenate([[0], ends])
    acc = (conc_cum[-1] - conc_cum[ks] + htie_cum[ks]) / total
    best = int(np.argmax(acc))
    eps = 0.0 if ks[best] == 0 else float(adm[ks[best] - 1])
    return float(acc[best]), eps


def agreement(metric: np.ndarray, human: np.ndarray) -> Agreement:
    from scipy.stats import kendalltau, pearsonr

    tau = float(kendalltau(metric, human, variant="b").statistic)
    r = float(pearsonr(metric, human).statistic)
    acc, eps = acc_eq(metric, human)
    return Agreement(len(metric), tau, r, acc, eps)


def flag_stats(flagged: np.ndarray, human: np.ndarray) -> FlagStats:
    flagged = np.asarray(flagged, dtype=bool)
    major = human <= MAJOR
    clean = human == 0
    recall = float(flagged[major].mean()) if major.any() else float("nan")
    rate = float(flagged[clean].mean()) if clean.any() else float("nan")
    precision = float(major[flagged].mean()) if flagged.any() else float("nan")
    lift = recall / rate if rate > 0 else float("inf")
    return FlagStats(float(flagged.mean()), recall, rate, lift, precision)
