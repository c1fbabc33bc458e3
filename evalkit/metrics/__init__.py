"""Metrics: the registry (`METRICS`, `evalkit.metrics.base`) and the sacrebleu adapter (BLEU, chrF, chrF++, TER).

Names are imported on first use (PEP 562), so importing a sibling module such as ``evalkit.metrics.checks``
does not load sacrebleu.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import METRICS, Metric, SegmentContext, SegmentMetric, get_metric, link_value, metric_names
    from .reference import (
        MetricRefs,
        check_streams,
        corpus_score,
        corpus_scores,
        note_for,
        prepare,
        sentence_scores,
        tokenizer_for,
    )

__all__ = [
    "METRICS",
    "Metric",
    "MetricRefs",
    "SegmentContext",
    "SegmentMetric",
    "check_streams",
    "corpus_score",
    "corpus_scores",
    "get_metric",
    "link_value",
    "metric_names",
    "note_for",
    "prepare",
    "sentence_scores",
    "tokenizer_for",
]

# Public name -> the module that defines it.
_BASE = {"METRICS", "Metric", "SegmentContext", "SegmentMetric", "get_metric", "link_value", "metric_names"}
_LAZY = {name: ".base" if name in _BASE else ".reference" for name in __all__}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
