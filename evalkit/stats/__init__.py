"""Bootstrap confidence intervals and paired significance tests over sacrebleu sufficient statistics.

Everything here works on per-segment statistics matrices (one row per segment, as sacrebleu's
``Metric._extract_corpus_statistics`` gives them) and reproduces sacrebleu 2.6.0
(``sacrebleu/significance.py``) draw for draw: the same ``numpy.random.default_rng(seed)`` calls in the
same order, the same float32 arithmetic where sacrebleu's bootstrap uses float32, the same p-value
``(c + 1) / (n + 1)``. Only the work is vectorised: resample sums come from one index-count matrix times
the statistics matrix, and scores from summed statistics come from :func:`score_rows`.

This package imports no sacrebleu: metric objects are read by duck typing, and the functions that start
from text (:func:`paired_test`, :func:`paired_tests`) import :mod:`evalkit.metrics.reference` lazily.

Modules: `evalkit.stats.scores` (scores from summed statistics), `evalkit.stats.resample` (resampling and
95% intervals), `evalkit.stats.paired` (paired tests). Import from ``evalkit.stats``.
"""

from __future__ import annotations

from .paired import DEFAULT_SAMPLES, PairedResult, paired_from_stats, paired_test, paired_tests
from .resample import (
    DEFAULT_SEED,
    Bootstrap,
    bootstrap,
    bootstrap_indices,
    bootstraps,
    estimate_ci,
    percentile_bounds,
    resample_sums,
)
from .scores import score_rows, sum_stats

__all__ = [
    "DEFAULT_SAMPLES",
    "DEFAULT_SEED",
    "Bootstrap",
    "PairedResult",
    "bootstrap",
    "bootstrap_indices",
    "bootstraps",
    "estimate_ci",
    "paired_from_stats",
    "paired_test",
    "paired_tests",
    "percentile_bounds",
    "resample_sums",
    "score_rows",
    "sum_stats",
]
