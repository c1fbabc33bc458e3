"""The ``qe`` segment metric: learned reference-free quality estimate (evalkit/qe, MODEL_CARD.md).

Predicted expert MQM of each link from the default encoder's vectors, numpy only: 0 is no error, about -1 a
minor error, about -5 a major one; higher is better. Another encoder has no trained model: the values stay
NaN (empty cells) and a warning says why, never a number from weights trained on other vectors.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .base import SegmentContext, SegmentMetric

__all__ = ["QE"]


def _encoder_id(model_signature: str) -> str:
    """The embedding model id in an embedding signature ``model:<id>|backend:...``."""
    for part in model_signature.split("|"):
        if part.startswith("model:"):
            return part[len("model:"):]
    return model_signature


class QE(SegmentMetric):
    name: ClassVar[str] = "qe"
    label: ClassVar[str] = "QE"
    needs_embeddings: ClassVar[bool] = True
    range: ClassVar[tuple[float, float]] = (-math.inf, math.inf)
    digits: ClassVar[int] = 2
    check_digits: ClassVar[int] = 3
    html_column: ClassVar[int | None] = 11
    description: ClassVar[str] = "learned QE: predicted expert MQM, 0 = no error, -5 ≈ a major error (higher is better)"

    def segment_values(self, ctx: SegmentContext) -> np.ndarray:
        from ..qe import load_qe

        n = len(ctx.sources)
        model = load_qe(_encoder_id(ctx.model_signature)) if ctx.src_vectors is not None else None
        if model is None or ctx.src_vectors is None or ctx.tgt_vectors is None or not n:
            return np.full(n, np.nan)
        return model.predict(ctx.src_vectors, ctx.tgt_vectors, ctx.sources, ctx.targets, ctx.src_lang, ctx.tgt_lang)

    def signature(self, ctx: SegmentContext) -> str:
        import warnings

        from ..qe import load_qe

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # segment_values has warned already
            model = load_qe(_encoder_id(ctx.model_signature))
        return model.signature if model is not None else f"model:none|encoder:{_encoder_id(ctx.model_signature)}"
