"""Telling systems apart: which score is better, clusters from paired tests, and paired tests of
per-segment means (similarity, margin, flag rate) by sacrebleu's procedure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np

from ..stats import DEFAULT_SAMPLES, DEFAULT_SEED, PairedResult, bootstrap_indices
from ..metrics.base import lower_is_better

__all__ = ["CLUSTER_RULE", "assign_clusters", "better", "paired_means"]

CLUSTER_RULE = (
    "sorted by the main metric, best first; a system opens a new cluster when it is significantly worse "
    "(paired test, p < alpha) than every system in the cluster above, else it joins that cluster"
)


def better(metric: str, a: float, b: float) -> bool:
    """True when score ``a`` is better than ``b`` on ``metric`` (lower is better for TER and flag rate)."""
    return a < b if lower_is_better(metric) else a > b


def assign_clusters(order: Sequence[str], significantly_better: Callable[[str, str], bool]) -> dict[str, int]:
    """Cluster numbers (1 = top) for systems in rank order, by `CLUSTER_RULE`.

    ``significantly_better(a, b)`` says whether ``a`` beats ``b`` significantly.
    """
    out: dict[str, int] = {}
    current: list[str] = []
    number = 0
    for name in order:
        if not current or all(significantly_better(member, name) for member in current):
            number += 1
            current = []
        current.append(name)
        out[name] = number
    return out


def paired_means(
    metric: str,
    baseline: tuple[str, np.ndarray, float],
    systems: Mapping[str, tuple[np.ndarray, float]],
    *,
    method: Literal["bs", "ar"] = "bs",
    n_samples: int | None = None,
    seed: int | None = DEFAULT_SEED,
    signature: str = "",
) -> list[PairedResult]:
    """Paired tests of a per-segment mean (similarity, margin, flag rate) by sacrebleu's procedure.

    ``baseline`` is ``(name, values, corpus score)``; ``systems`` maps names to ``(values, score)``. Values
    are per segment, NaN where a system has none (an empty output): each test uses the segments where both
    have a value. Paired bootstrap: resample segments (``default_rng(seed).choice``, as sacrebleu), p is the
    share of centred resampled |differences| above the observed one; approximate randomization: swap each
    segment's two values with probability 1/2. p = (c + 1) / (n + 1) as sacrebleu.
    """
    n_samples = n_samples or DEFAULT_SAMPLES[method]
    bl_name, bl_values, bl_score = baseline
    out = []
    for name, (values, score) in systems.items():
        a = np.asarray(bl_values, dtype=np.float64)
        b = np.asarray(values, dtype=np.float64)
        ok = np.isfinite(a) & np.isfinite(b)
        a, b = a[ok], b[ok]
        n = len(a)
        if n == 0:
            continue
        real = abs(a.mean() - b.mean())
        if method == "bs":
            idx = bootstrap_indices(n, n_samples, seed)
            diffs = np.abs(b[idx].mean(axis=1) - a[idx].mean(axis=1))
            count = int(np.sum(diffs - diffs.mean() > real))
        else:
            sel = np.random.default_rng(seed).integers(2, size=(n_samples, n), dtype=bool)
            # shuffled A takes a where sel, b elsewhere; shuffled B the other way: mean(A) - mean(B) = sel@(a-b)*2/n - sum(a-b)/n
            d = a - b
            count = 0
            for lo in range(0, n_samples, 1000):
                part = sel[lo : lo + 1000].astype(np.float64) @ d
                count += int(np.sum(np.abs((2 * part - d.sum()) / n) > real))
        p = (count + 1) / (n_samples + 1)
        sig = f"{signature}|paired:{method}|n:{n_samples}|seed:{str(seed).lower()}"
        out.append(PairedResult(metric, method, bl_name, name, bl_score, score, p, None, None, None, None, n_samples, seed, sig))
    return out
