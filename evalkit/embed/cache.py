"""On-disk embedding cache keyed by model id and text hash.

One ``.npy`` file per (model, text); written to a temporary file and renamed, so readers never
see half a file and two processes can share a cache. A file that fails to load or has the wrong
shape is recomputed, never served. Safe to delete at any time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .base import Encoder

__all__ = ["CachedEncoder", "default_cache_dir"]


def default_cache_dir() -> Path:
    """``$EVALKIT_CACHE``, else ``$XDG_CACHE_HOME/evalkit``, else ``~/.cache/evalkit``."""
    if env := os.environ.get("EVALKIT_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "evalkit"


class CachedEncoder:
    """Wraps an `Encoder`: encodes each distinct text once, serves repeats from memory and disk."""

    def __init__(self, encoder: Encoder, cache_dir: Path | None = None) -> None:
        self.encoder = encoder
        self.model_id = encoder.model_id
        self.backend = encoder.backend
        self.max_tokens = encoder.max_tokens
        safe = hashlib.sha256(encoder.model_id.encode()).hexdigest()[:16]
        self.dir = (cache_dir or default_cache_dir()) / safe
        self._memory: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def count_tokens(self, text: str) -> int:
        return self.encoder.count_tokens(text)

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.npy"

    def _load(self, key: str) -> np.ndarray | None:
        try:
            vec = np.load(self._path(key), allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if vec.ndim != 1 or vec.dtype != np.float32 or not np.isfinite(vec).all():
            return None
        return vec

    def _store(self, key: str, vec: np.ndarray) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, vec, allow_pickle=False)
            os.replace(tmp, path)
        except OSError:
            # A cache that cannot be written only costs time; the result is still correct.
            return

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts):
            if key in self._memory or key in todo:
                continue
            vec = self._load(key)
            if vec is None:
                todo[key] = text
            else:
                self._memory[key] = vec
        self.hits += len(set(keys)) - len(todo)
        self.misses += len(todo)
        if todo:
            vectors = self.encoder.encode(list(todo.values()))
            for key, vec in zip(todo, vectors):
                vec = np.ascontiguousarray(vec, dtype=np.float32)
                self._memory[key] = vec
                self._store(key, vec)
        if not keys:
            return self.encoder.encode([])
        return np.stack([self._memory[k] for k in keys])
