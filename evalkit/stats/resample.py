"""Bootstrap resampling of segments: sacrebleu's draws, resample sums of statistics, 95% intervals.

Reproduces sacrebleu 2.6.0 (``sacrebleu/significance.py``, ``Score.estimate_ci``) draw for draw; see `evalkit.stats`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UsageError
from .scores import score_rows

__all__ = [
    "DEFAULT_SEED",
    "Bootstrap",
    "bootstrap",
    "bootstrap_indices",
    "bootstraps",
    "estimate_ci",
    "percentile_bounds",
    "resample_sums",
]

DEFAULT_SEED = 12345  # sacrebleu's default when SACREBLEU_SEED is unset
_CHUNK = 4_000_000  # matrix cells per chunk when building resample sums


def bootstrap_indices(n: int, n_samples: int, seed: int | None) -> np.ndarray:
    """sacrebleu's resample draw: ``default_rng(seed).choice(n, size=(n_samples, n), replace=True)``."""
    return np.random.default_rng(seed).choice(n, size=(n_samples, n), replace=True)


def _exact_scale(stats: np.ndarray, mantissa: int) -> bool:
    """True when every partial sum of a resample is exact in a float with ``mantissa`` bits, in any order."""
    for scale in (1, 2, 4):  # TER averages reference lengths: halves with 2 references, quarters with 4
        scaled = stats * scale
        if np.array_equal(scaled, np.round(scaled)):
            return bool(np.all(stats.shape[0] * np.abs(scaled).max(axis=0, initial=0) < 2**mantissa))
    return False


def resample_sums(stats: np.ndarray, idxs: np.ndarray) -> np.ndarray:
    """Summed statistics per resample, float32 as sacrebleu's ``stats_np[idxs]`` then ``.sum(0)``.

    ``stats`` is (segments, k), ``idxs`` (resamples, segments). When every partial sum is exact in float32
    (integer counts below 2**24, the usual case) the sums come from an index-count matrix times ``stats``,
    where the order of additions cannot matter; otherwise from the same gather-and-sum as sacrebleu, so
    the rounding is identical either way. Pass several systems' statistics side by side to share the counts.
    """
    stats32 = np.asarray(stats, dtype=np.float32)
    n_samples, n = idxs.shape
    out = np.empty((n_samples, stats32.shape[1]), dtype=np.float32)
    step = max(1, _CHUNK // max(n, 1))
    exact = _exact_scale(np.asarray(stats, dtype=np.float64), 24)
    for lo in range(0, n_samples, step):
        block = idxs[lo : lo + step]
        rows = block.shape[0]
        if exact:
            flat = (block + (np.arange(rows) * n)[:, None]).ravel()
            counts = np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float32)
            out[lo : lo + rows] = counts @ stats32
        else:
            out[lo : lo + rows] = stats32[block].sum(axis=1)
    return out


def percentile_bounds(ordered: Sequence[Any] | np.ndarray) -> tuple[Any, Any]:
    """The 2.5th and 97.5th percentiles of resampled values sorted ascending: the elements at sacrebleu's
    positions n // 40 and n - n // 40 - 1 (``Score.estimate_ci``, ``significance.estimate_ci``), returned as
    they are (a float32 scalar stays float32, so callers keep sacrebleu's arithmetic). Sorting is left to
    the caller: sacrebleu sorts a list of scalars with ``sorted`` in one place and ``np.sort`` in the other.
    """
    lower = len(ordered) // 40
    return ordered[lower], ordered[len(ordered) - lower - 1]


def estimate_ci(scores: np.ndarray) -> tuple[float, float]:
    """sacrebleu's ``significance.estimate_ci``: (mean of the resampled scores, half-width of the 95% interval)."""
    scores = np.sort(scores)
    lower, upper = percentile_bounds(scores)  # numpy scalars: the half-width in their precision, as sacrebleu
    return float(scores.mean()), float(0.5 * (upper - lower))


@dataclass(frozen=True)
class Bootstrap:
    """A 95% bootstrap interval of a corpus score, in the metric's units (BLEU/chrF 0-100, TER >= 0).

    ``low``/``high`` are the 2.5th and 97.5th percentile resampled scores (sorted positions n//40 and
    n - n//40 - 1, as sacrebleu); ``mean`` and ``half_width`` are what sacrebleu prints as ``μ = mean ± half_width``.
    """

    mean: float
    half_width: float
    low: float
    high: float
    n_samples: int
    seed: int | None

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"Bootstrap.low must be <= high, got {self.low} > {self.high}")


def bootstrap(stats: np.ndarray, metric: Any, n_samples: int = 1000, seed: int | None = DEFAULT_SEED) -> Bootstrap:
    """95% interval of the corpus score by resampling segments, as ``metric.corpus_score(..., n_bootstrap=n)``.

    Same draws and same numbers as sacrebleu's ``--confidence`` (its mean uses ``statistics.mean`` as there).
    """
    return bootstraps([stats], metric, n_samples, seed)[0]


def bootstraps(
    stats: Sequence[np.ndarray], metric: Any, n_samples: int = 1000, seed: int | None = DEFAULT_SEED
) -> list[Bootstrap]:
    """:func:`bootstrap` for several systems on the same segments, drawing the resamples once for all."""
    if n_samples < 1:
        raise UsageError(f"bootstrap needs at least 1 resample, got {n_samples}", "pass n_samples >= 1")
    mats = [np.asarray(s) for s in stats]
    if not mats:
        return []
    k = mats[0].shape[1]
    sums = resample_sums(np.concatenate(mats, axis=1), bootstrap_indices(len(mats[0]), n_samples, seed))
    out = []
    for i in range(len(mats)):
        ordered = sorted(score_rows(metric, sums[:, i * k : (i + 1) * k]))  # numpy scalars kept, as in sacrebleu
        low, high = (float(x) for x in percentile_bounds(ordered))
        out.append(Bootstrap(float(statistics.mean(ordered)), 0.5 * (high - low), low, high, n_samples, seed))
    return out

