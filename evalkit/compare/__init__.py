"""A leaderboard of several MT systems on one test set: scores, 95% intervals, paired tests, clusters.

Every system is read and scored once. Reference metrics (BLEU, chrF, chrF++, TER) come from each system's
sacrebleu sufficient statistics, extracted once: corpus scores, bootstrap intervals (one set of resamples
shared by all systems) and paired tests are numpy work on those matrices (`evalkit.stats`), with the same
draws and p-values as sacrebleu's ``--paired-bs``/``--paired-ar`` for the same seed. Embedding similarity,
ratio margin and the flag rate come from the same pipeline as ``evalkit score`` (each distinct text is
encoded once: the encoder caches, and the source is shared by all systems).

Clusters (as in the WMT findings, where systems in one cluster are not told apart): systems are sorted by
the main metric, best first; the first opens cluster 1; each next system opens a new cluster exactly when
it is significantly worse (paired test on the main metric, p < alpha) than *every* system already in the
current cluster, and otherwise joins it. So a cluster never holds two systems whose order is significant
in both directions, and a system is never split from a better one it does not significantly trail.

`evalkit.compare.scoring` reads and scores the systems on this machine; `evalkit.ranking` turns what each
system gives (`ScoredSystem`: per-segment statistics, outputs, embedding part) into the `Leaderboard`. The Ray
engine (`evalkit.engine.ray_compare`) computes the same per-segment parts on a cluster and shares that step.

Modules: `evalkit.compare.records` (settings and results), `evalkit.compare.inputs` (reading the inputs),
`evalkit.compare.scoring` (per-system scoring), `evalkit.compare.significance` (clusters, paired tests of
means). Import from ``evalkit.compare``.
"""

from __future__ import annotations

from ..fingerprint import fingerprint, report_fingerprints
from .inputs import check_baseline, check_line_count, parse_systems, plan_metrics, system_name, target_language
from .records import (
    EMBEDDING_METRICS,
    LOWER_IS_BETTER,
    REFERENCE_METRICS,
    CompareOptions,
    EmbeddingPart,
    Leaderboard,
    ScoredSystem,
    SystemResult,
)
from .scoring import compare, compare_parallel, score_options, with_embedding
from .significance import CLUSTER_RULE, assign_clusters, better, paired_means

__all__ = [
    "CLUSTER_RULE",
    "EMBEDDING_METRICS",
    "LOWER_IS_BETTER",
    "REFERENCE_METRICS",
    "CompareOptions",
    "EmbeddingPart",
    "Leaderboard",
    "ScoredSystem",
    "SystemResult",
    "assign_clusters",
    "better",
    "check_baseline",
    "check_line_count",
    "compare",
    "compare_parallel",
    "fingerprint",
    "paired_means",
    "parse_systems",
    "plan_metrics",
    "report_fingerprints",
    "score_options",
    "system_name",
    "target_language",
    "with_embedding",
]
