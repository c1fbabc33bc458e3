"""The ``Encoder`` protocol: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Encoder", "normalise"]


@runtime_checkable
class Encoder(Protocol):
    """A sentence encoder.

    ``model_id`` names the weights (recorded in signatures and cache keys), ``backend`` the adapter.
    ``max_tokens`` is the longest input the model reads whole (None: no limit); ``count_tokens``
    tells how many tokens a text takes, so over-long segments are reported, never silently truncated.
    """

    model_id: str
    backend: str
    max_tokens: int | None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), float32, each row of unit length."""
        ...

    def count_tokens(self, text: str) -> int: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)
