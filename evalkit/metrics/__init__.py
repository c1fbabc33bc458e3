"""Metrics: reference-based scores through sacrebleu (BLEU, chrF, chrF++, TER), sentence and corpus level.

Names are imported on first use (PEP 562), so importing a sibling module such as ``evalkit.metrics.checks``
does not load sacrebleu.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .reference import (
        METRICS,
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
    "MetricRefs",
    "check_streams",
    "corpus_score",
    "corpus_scores",
    "note_for",
    "prepare",
    "sentence_scores",
    "tokenizer_for",
]

# Public name -> the module that defines it.
_LAZY = {name: ".reference" for name in __all__}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
