"""The metric registry: one `Metric` per name in `METRICS`, in the style of sacrebleu's ``METRICS`` dict.

Every list of metric names in evalkit reads from `METRICS`: the CLI choices, the columns of pairs.csv,
report.html and the leaderboard, the rules of ``evalkit check``, the Ray engine's columns. A metric is one of
four kinds (`Metric.kind`):

- ``"statistics"``: sacrebleu metrics (BLEU, chrF, chrF++, TER). Segment values and the corpus score come
  from per-segment sufficient statistics (`StatsMetric.prepare` gives a `MetricRefs`); the corpus score is
  computed from the pooled statistics, never as a mean of segment scores.
- ``"segment"``: one float per scored link (a learned quality estimate, a COMET-like plug-in). The corpus
  score is the mean over the links that have a value, its 95% interval the bootstrap of those values
  (`SegmentMetric.corpus`). The scoring kernel calls `SegmentMetric.segment_values` with a `SegmentContext`
  (texts, languages, references, and the source and target embedding vectors of each link).
- ``"embedding"``: ``similarity`` and ``margin``, measured by the kernel itself (they need the whole
  document's or chunk's neighbours); their values live in `ScoredLink.similarity`/``margin``.
- ``"flags"``: ``flag_rate`` (percent of links flagged), derived from the flags by compare and check.

A new segment metric is one class and one line (docs/extending.md)::

    class Toy(SegmentMetric):
        name, label = "toy", "toy"
        def segment_values(self, ctx): return np.array([len(t) for t in ctx.targets], dtype=float)
        def signature(self, ctx): return "toy|v:1"

    METRICS["toy"] = Toy()

This module imports neither sacrebleu nor an embedding model: `evalkit --help` reads it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

import numpy as np

from ..records import Flag, Score

if TYPE_CHECKING:
    from ..records import ScoredLink, Span
    from .reference import MetricRefs

__all__ = [
    "METRICS",
    "EmbeddingMetric",
    "FlagRate",
    "Metric",
    "MetricKind",
    "SegmentContext",
    "SegmentMetric",
    "StatsMetric",
    "LABELS",
    "get_metric",
    "link_value",
    "lower_is_better",
    "metric_names",
    "segment_metrics",
]

MetricKind = Literal["statistics", "segment", "embedding", "flags"]


@runtime_checkable
class Metric(Protocol):
    """What every registered metric declares.

    ``name``: the key in `METRICS`, the column of pairs.csv and the key of summary.json's ``scores``;
    ``label``: how tables and pages name it; ``higher_is_better``: its direction (TER and flag_rate: lower);
    ``needs_reference``/``needs_embeddings``: what it cannot be computed without; ``range``: the values it
    can take (``math.inf`` for unbounded); ``digits``: decimals in the leaderboard and the console,
    ``check_digits`` in ``evalkit check``'s verdicts; ``html_column``: position of its column in
    report.html's table (None: not shown there; pairs.csv has every metric).
    """

    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def kind(self) -> MetricKind: ...
    @property
    def higher_is_better(self) -> bool: ...
    @property
    def needs_reference(self) -> bool: ...
    @property
    def needs_embeddings(self) -> bool: ...
    @property
    def range(self) -> tuple[float, float]: ...
    @property
    def digits(self) -> int: ...
    @property
    def check_digits(self) -> int: ...
    @property
    def html_column(self) -> int | None: ...
    @property
    def description(self) -> str: ...


@dataclass(frozen=True)
class StatsMetric:
    """A sacrebleu metric: segment scores and the corpus score from sufficient statistics (see the module doc)."""

    name: str
    label: str
    higher_is_better: bool = True
    range: tuple[float, float] = (0.0, 100.0)
    digits: int = 2
    check_digits: int = 2
    html_column: int | None = None
    description: str = ""
    kind: MetricKind = "statistics"
    needs_reference: bool = True
    needs_embeddings: bool = False

    def prepare(self, streams: Sequence[Sequence[str]], *, tgt_lang: str, **overrides: Any) -> MetricRefs:
        """The metric with its reference streams (``streams[k][i]``) cached: `evalkit.metrics.reference.prepare`."""
        from .reference import prepare

        return prepare(self.name, streams, tgt_lang=tgt_lang, **overrides)


@dataclass(frozen=True)
class EmbeddingMetric:
    """``similarity`` or ``margin``: measured by the scoring kernel; the value is the `ScoredLink` attribute."""

    name: str
    label: str
    range: tuple[float, float]
    description: str = ""
    digits: int = 3
    check_digits: int = 4
    html_column: int | None = None
    kind: MetricKind = "embedding"
    higher_is_better: bool = True
    needs_reference: bool = False
    needs_embeddings: bool = True


@dataclass(frozen=True)
class FlagRate:
    """``flag_rate``: percent of links with at least one flag (compare and check)."""

    name: str = "flag_rate"
    label: str = "flagged %"
    range: tuple[float, float] = (0.0, 100.0)
    description: str = "percent of links flagged"
    digits: int = 2
    check_digits: int = 2
    html_column: int | None = None
    kind: MetricKind = "flags"
    higher_is_better: bool = False
    needs_reference: bool = False
    needs_embeddings: bool = True


@dataclass(frozen=True)
class SegmentContext:
    """What the scoring kernel gives a segment metric: the links it scores, each with both sides non-empty.

    ``sources``/``targets``: the texts as scored (inline placeholders stripped); ``references[i]``: link i's
    references (``()`` where it has none); ``src_vectors``/``tgt_vectors``: unit embedding vectors of
    ``sources``/``targets`` (rows in the same order), None when the run has no embeddings;
    ``model_signature``: the embedding model's signature ("" without embeddings).
    """

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    references: tuple[tuple[str, ...], ...]
    src_lang: str
    tgt_lang: str
    src_vectors: np.ndarray | None = None
    tgt_vectors: np.ndarray | None = None
    model_signature: str = ""

    def __post_init__(self) -> None:
        n = len(self.sources)
        if len(self.targets) != n or len(self.references) != n:
            raise ValueError(f"SegmentContext: {n} sources, {len(self.targets)} targets, {len(self.references)} references")
        for side, vectors in (("src_vectors", self.src_vectors), ("tgt_vectors", self.tgt_vectors)):
            if vectors is not None and len(vectors) != n:
                raise ValueError(f"SegmentContext.{side} has {len(vectors)} rows for {n} links")


class SegmentMetric:
    """Base of a metric with one float per link; subclass it, set the class attributes, write `segment_values`
    and `signature`, and add one line to `METRICS`. The kernel skips it where ``needs_reference`` (no
    references) or ``needs_embeddings`` (``--stream`` without embeddings) is not met."""

    name: ClassVar[str]
    label: ClassVar[str]
    kind: ClassVar[MetricKind] = "segment"
    higher_is_better: ClassVar[bool] = True
    needs_reference: ClassVar[bool] = False
    needs_embeddings: ClassVar[bool] = False
    range: ClassVar[tuple[float, float]] = (-math.inf, math.inf)
    digits: ClassVar[int] = 3
    check_digits: ClassVar[int] = 4
    html_column: ClassVar[int | None] = 10
    description: ClassVar[str] = ""
    gives_spans: ClassVar[bool] = False  # True: `segment_spans` has error spans in the targets (XCOMET)

    def segment_values(self, ctx: SegmentContext) -> np.ndarray:
        """One float per link of ``ctx`` (NaN where the metric has no value), in ``ctx``'s order."""
        raise NotImplementedError

    def segment_spans(self) -> dict[int, tuple[Span, ...]]:
        """The error spans of the last `segment_values` call, by position in its ``ctx``, for a metric with
        ``gives_spans`` (every position with a finite value, an empty tuple where none was found)."""
        return {}

    def signature(self, ctx: SegmentContext) -> str:
        """The settings that made the values (model, version...), as sacrebleu's ``name:value|...``."""
        raise NotImplementedError

    def flags(self) -> dict[int, Flag]:
        """Flags the last `segment_values` call raised, by link position in its ``ctx`` (a neural metric's
        ``too_long`` where it would have truncated an input); none by default. The kernel adds them to the
        links' flags (`evalkit.score.kernel.segment_flags`)."""
        return {}

    @property
    def own_corpus(self) -> bool:
        """True when `corpus` is not the mean of the values (a plug-in's own ``corpus``): Ray's Poisson
        resample sums, which resample means, cannot give its interval."""
        return False

    def corpus(self, values: np.ndarray, signature: str, *, n_bootstrap: int, seed: int | None) -> Score:
        """Mean of the finite values with its 95% bootstrap interval (`bootstrap_mean`)."""
        from .embedding import bootstrap_mean

        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if not len(finite):
            return Score(self.name, math.nan, f"{signature}|bs:{n_bootstrap}|seed:{seed}")
        mean, ci = bootstrap_mean(finite, n_samples=n_bootstrap, seed=seed)
        return Score(self.name, mean, f"{signature}|bs:{n_bootstrap}|seed:{seed}", ci)


def _chrf_like(name: str, label: str, html: int | None) -> StatsMetric:
    return StatsMetric(name, label, html_column=html, description=f"sentence {name} vs reference, 0..100")


from .qe import QE  # noqa: E402  (a SegmentMetric subclass: defined after the base classes above)

# The registry. Order is the order of columns everywhere (pairs.csv, leaderboard, summaries).
METRICS: dict[str, Metric] = {
    "bleu": _chrf_like("bleu", "BLEU", 2),
    "chrf": _chrf_like("chrf", "chrF", 1),
    "chrf++": _chrf_like("chrf++", "chrF++", None),
    "ter": StatsMetric("ter", "TER", higher_is_better=False, range=(0.0, math.inf), description="sentence TER vs reference, >= 0"),
    "similarity": EmbeddingMetric("similarity", "similarity", (-1.0, 1.0), "cosine source↔target, -1..1"),
    "margin": EmbeddingMetric("margin", "margin", (0.0, math.inf), "ratio margin source↔target (Artetxe & Schwenk 2019)"),
    "qe": QE(),
    "flag_rate": FlagRate(),
}


def get_metric(name: str) -> Metric:
    """The registered metric ``name``; a `UsageError` listing the known names otherwise."""
    from ..errors import UsageError

    if name not in METRICS:
        raise UsageError(f"unknown metric {name!r}", f"use one of {', '.join(METRICS)}")
    return METRICS[name]


def metric_names(*kinds: MetricKind) -> tuple[str, ...]:
    """Registered names of the given kinds (all kinds when none is given), in registry order."""
    return tuple(name for name, m in METRICS.items() if not kinds or m.kind in kinds)


def link_value(link: ScoredLink, name: str) -> float | None:
    """Metric ``name``'s value on one link: similarity and margin are attributes, the others in ``metrics``."""
    kind = METRICS[name].kind if name in METRICS else "segment"
    if kind == "embedding":
        value: float | None = getattr(link, name)
        return value
    if kind == "flags":
        return 100.0 if link.flagged else 0.0
    return link.metrics.get(name)


def segment_metrics(wanted: Sequence[str] | None, *, has_refs: bool, has_embeddings: bool) -> tuple[SegmentMetric, ...]:
    """The segment metrics a run computes: ``wanted`` (None: every registered one), less those whose needs
    (references, embeddings) the run cannot meet. An unknown or non-segment name in ``wanted`` is a `UsageError`."""
    from ..errors import UsageError

    names = metric_names("segment") if wanted is None else tuple(wanted)
    out = []
    for name in names:
        metric = get_metric(name)
        if not isinstance(metric, SegmentMetric):
            raise UsageError(f"{name} is not a segment metric", f"use some of: {', '.join(metric_names('segment'))}")
        if (metric.needs_reference and not has_refs) or (metric.needs_embeddings and not has_embeddings):
            continue
        out.append(metric)
    return tuple(out)


def lower_is_better(name: str) -> bool:
    """True for a registered metric whose lower values are better (TER, flag_rate)."""
    return name in METRICS and not METRICS[name].higher_is_better


class _Labels(Mapping[str, str]):
    """``{name: label}`` of the registry as it is now (a metric registered later is in it)."""

    def __getitem__(self, name: str) -> str:
        return METRICS[name].label

    def __iter__(self) -> Iterator[str]:
        return iter(METRICS)

    def __len__(self) -> int:
        return len(METRICS)


LABELS: Mapping[str, str] = _Labels()
