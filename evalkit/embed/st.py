"""sentence-transformers backend: LaBSE, multilingual-e5, bge-m3 or any local model folder.

Imported only when asked for (torch takes seconds to import). When the model is not on disk,
``HF_HUB_OFFLINE=1`` is set first, so a missing model fails in seconds, not after network time-outs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .base import normalise

__all__ = ["SentenceTransformerEncoder"]

FAIL_MESSAGE = "pip install 'torch==2.13.0' && pip install 'evalkit[st]'"


def _hub_cache() -> Path:
    if env := os.environ.get("HF_HUB_CACHE"):
        return Path(env)
    home = os.environ.get("HF_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    return Path(home) / "hub"


def _is_cached(name: str) -> bool:
    """Whether ``name`` is a local folder or already in the Hugging Face cache.

    Decided from the file system, before huggingface_hub is imported: it reads HF_HUB_OFFLINE
    once, at import time.
    """
    if Path(name).expanduser().is_dir():
        return True
    repos = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    return any((_hub_cache() / f"models--{repo.replace('/', '--')}" / "snapshots").is_dir() for repo in repos)


class SentenceTransformerEncoder:
    backend = "sentence-transformers"

    def __init__(self, name: str, device: str | None = None, batch_size: int | None = None) -> None:
        if not _is_cached(name):
            os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError("the sentence-transformers backend is not installed", FAIL_MESSAGE) from exc
        try:
            self._model = SentenceTransformer(name, device=device)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise ModelError(
                f"cannot load sentence-transformers model {name!r}: {type(exc).__name__}",
                "give a local model folder, or download it once with network access "
                f"(python -c \"from sentence_transformers import SentenceTransformer as S; S('{name}')\")",
            ) from exc
        path = Path(name).expanduser()
        self.model_id = f"st/{path.name if path.is_dir() else name}"
        self.max_tokens: int | None = getattr(self._model, "max_seq_length", None)
        self.device = str(self._model.device)
        # Larger batches keep a GPU busy; on CPU they only pad more (measured: bench/device_gpu.py).
        self.batch_size = batch_size or (64 if self.device == "cpu" else 256)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        # sentence-transformers 6 renamed get_sentence_embedding_dimension (a FutureWarning): prefer the new name.
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = dimension() or 0
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return normalise(vectors)

    def count_tokens(self, text: str) -> int:
        # Special tokens ([CLS], [SEP]) count against max_seq_length too.
        return len(self._model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])
