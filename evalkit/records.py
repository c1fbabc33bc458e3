"""Frozen, typed records passed between stages: read -> align -> score -> flag -> report.

Invariants are checked in ``__post_init__`` with messages that name the field and value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Alignment", "Flag", "Link", "Report", "Score", "ScoredLink", "Segment", "Span"]

Lang = str  # ISO 639-1 code as detected from script: "zh", "en", ... ("und" when unknown)


@dataclass(frozen=True)
class Segment:
    """One source or target unit of text.

    ``index`` is the 0-based position among the segments of the same language (or side)
    in document order; ``line`` is the 1-based line in ``file`` where the segment starts.
    """

    text: str
    lang: Lang
    index: int
    file: str | None = None
    line: int | None = None
    id: str | None = None  # an id carried by the input format (TMX/XLIFF unit id, JSONL id)

    def __post_init__(self) -> None:
        if self.index < 0:
            raise ValueError(f"Segment.index must be >= 0, got {self.index}")
        if self.line is not None and self.line < 1:
            raise ValueError(f"Segment.line is 1-based, got {self.line}")


@dataclass(frozen=True)
class Link:
    """A link between consecutive source segments and consecutive target segments.

    ``src``/``tgt`` hold per-language indices; either may be empty (1-0 / 0-1: unpaired).
    ``confidence`` is the aligner's score for this link, higher is surer (0-1 for 1-1 links).
    """

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    confidence: float = 1.0

    def __post_init__(self) -> None:
        if not self.src and not self.tgt:
            raise ValueError("Link must have at least one source or target index")
        for name, ids in (("src", self.src), ("tgt", self.tgt)):
            if ids and list(ids) != list(range(ids[0], ids[0] + len(ids))):
                raise ValueError(f"Link.{name} must be consecutive, got {ids}")

    @property
    def kind(self) -> str:
        """``"1-1"``, ``"1-0"``, ``"2-1"``, ... (source count, then target count)."""
        return f"{len(self.src)}-{len(self.tgt)}"

    @property
    def paired(self) -> bool:
        return bool(self.src) and bool(self.tgt)


@dataclass(frozen=True)
class Alignment:
    """All links between ``src`` and ``tgt`` segments, in document order.

    Invariant: links are monotonic and cover each side exactly once (no gap, no overlap),
    so no segment is ever dropped.
    """

    src: tuple[Segment, ...]
    tgt: tuple[Segment, ...]
    links: tuple[Link, ...]
    method: str = "dp"

    def __post_init__(self) -> None:
        for side, segs in (("src", self.src), ("tgt", self.tgt)):
            got = [i for link in self.links for i in getattr(link, side)]
            if got != list(range(len(segs))):
                raise ValueError(
                    f"Alignment.links must cover {side} indices 0..{len(segs) - 1} once, in order; got {got[:20]}"
                )

    def texts(self, link: Link) -> tuple[str, str]:
        """Joined source and target text of a link (space-joined, or no space between CJK)."""
        return join_texts([self.src[i] for i in link.src]), join_texts([self.tgt[i] for i in link.tgt])


UNSPACED_LANGS = frozenset({"zh", "ja"})  # written without spaces between words: joined without one


def join_texts(segments: list[Segment]) -> str:
    """Join segments of a many-to-one link: Chinese/Japanese joined without a space."""
    if not segments:
        return ""
    sep = "" if segments[0].lang in UNSPACED_LANGS else " "
    return sep.join(s.text for s in segments)


@dataclass(frozen=True)
class Score:
    """A corpus-level number with the signature of the settings that made it.

    ``ci95`` is the 95% bootstrap interval (low, high) when computed.
    """

    name: str
    score: float
    signature: str
    ci95: tuple[float, float] | None = None
    extra: dict[str, float] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("Score.name must not be empty")
        if self.ci95 is not None:
            low, high = self.ci95
            if low > high:  # NaN bounds (no finite resample) pass: they compare False
                raise ValueError(f"Score.ci95 of {self.name} must be (low, high) with low <= high, got {self.ci95}")


@dataclass(frozen=True)
class Flag:
    """Why a link is flagged: a stable reason ``code`` and the values that fired it.

    ``detail`` reads like ``"low_margin: 0.91 < 1.05"``.
    """

    code: Literal[
        "unpaired",
        "low_margin",
        "low_similarity",
        "length_ratio",
        "number_mismatch",
        "untranslated",
        "wrong_language",
        "empty",
        "repetition",
        "low_chrf",
        "moved",
        "too_long",
        "low_qe",
        "off_target",
        "entity_mismatch",
    ]
    detail: str
    value: float | None = None
    threshold: float | None = None

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Span:
    """An error span a metric found in a link's target (XCOMET's ``metadata.error_spans``).

    ``start``/``end``: character offsets (Python string indices, end exclusive) into the target as scored
    (inline placeholders stripped); ``text``: those characters; ``severity``: the metric's label ("minor",
    "major", "critical" for XCOMET); ``confidence``: the mean probability of that label over the span's
    tokens, 0..1. ``start == end`` is allowed (XCOMET can tag the sentence-start token alone).
    """

    start: int
    end: int
    text: str
    severity: str
    confidence: float

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"Span offsets must satisfy 0 <= start <= end, got start={self.start} end={self.end}")
        if not self.severity:
            raise ValueError("Span.severity must not be empty")
        if not (math.isfinite(self.confidence) and 0.0 <= self.confidence <= 1.0):
            raise ValueError(f"Span.confidence is a probability in 0..1, got {self.confidence}")

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "text": self.text, "severity": self.severity,
                "confidence": round(self.confidence, 6)}  # fmt: skip


@dataclass(frozen=True)
class ScoredLink:
    """One link with everything measured on it, ready to flag and report.

    similarity: cross-lingual cosine source↔target (-1..1); margin: ratio margin (dimensionless);
    ref_similarity: cosine target↔reference (-1..1); metrics: sentence BLEU/chrF/chrF++ (0..100)
    and TER (0..∞) against the references. None where not applicable (unpaired, no references).
    spans: error spans in the target by metric name (a metric that gives spans, e.g. ``xcomet``; an empty
    tuple where it found none), for the links that metric scored.
    document: the input document the link comes from when a run scores several (None for one);
    ``link``'s indices and the lines count within that document.
    """

    link: Link
    source: str
    target: str
    references: tuple[str, ...] = ()
    src_lines: tuple[int, ...] = ()
    tgt_lines: tuple[int, ...] = ()
    similarity: float | None = None
    margin: float | None = None
    ref_similarity: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    flags: tuple[Flag, ...] = ()
    info: tuple[str, ...] = ()
    document: str | None = None
    spans: dict[str, tuple[Span, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.similarity is not None and not (math.isnan(self.similarity) or -1.0 <= self.similarity <= 1.0):
            raise ValueError(f"ScoredLink.similarity is a cosine in -1..1, got {self.similarity}")
        if self.ref_similarity is not None and not (math.isnan(self.ref_similarity) or -1.0 <= self.ref_similarity <= 1.0):
            raise ValueError(f"ScoredLink.ref_similarity is a cosine in -1..1, got {self.ref_similarity}")
        for name, lines in (("src_lines", self.src_lines), ("tgt_lines", self.tgt_lines)):
            if any(line < 1 for line in lines):
                raise ValueError(f"ScoredLink.{name} are 1-based, got {lines}")
        if not self.link.paired and (self.similarity is not None or self.margin is not None):
            raise ValueError(f"ScoredLink: an unpaired link ({self.link.kind}) has no similarity or margin")
        if any(not isinstance(f, Flag) for f in self.flags):
            raise ValueError(f"ScoredLink.flags must be Flag records, got {self.flags!r}")
        for name, spans in self.spans.items():
            if any(not isinstance(s, Span) for s in spans):
                raise ValueError(f"ScoredLink.spans[{name!r}] must be Span records, got {spans!r}")

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class Report:
    """The result of one ``evalkit score`` run: links, corpus scores and the settings behind them."""

    inputs: dict[str, str]
    src_lang: str
    tgt_lang: str
    links: tuple[ScoredLink, ...]
    scores: dict[str, Score]
    thresholds: dict[str, float]
    thresholds_origin: str
    model: dict[str, str]
    warnings: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.src_lang or not self.tgt_lang:
            raise ValueError(f"Report languages must be set, got {self.src_lang!r} -> {self.tgt_lang!r}")
        if not isinstance(self.links, tuple):
            raise ValueError(f"Report.links must be a tuple of ScoredLink, got {type(self.links).__name__}")
        for name, score in self.scores.items():
            if not isinstance(score, Score):
                raise ValueError(f"Report.scores[{name!r}] must be a Score, got {type(score).__name__}")
        documents = [link.document for link in self.links]
        if any(d is None for d in documents) and any(d is not None for d in documents):
            raise ValueError("Report.links: either every link names its document (several documents) or none does")

    @property
    def flagged(self) -> tuple[ScoredLink, ...]:
        return tuple(link for link in self.links if link.flagged)
