"""Engines that run the scoring pipeline on more than one machine.

``score_parallel_ray`` (line-aligned corpora, sharded), ``score_documents_ray`` (bilingual documents,
one task each) and ``compare_ray`` (``evalkit compare``, one task per system and shard; ``compare_ray_run``
tells how it ran too), on Ray (``pip install 'evalkit[ray]'``), are loaded on first use: importing this
package, like every local code path, never imports Ray.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "CompareRun",
    "DocumentsRun",
    "RayRun",
    "RaySettings",
    "compare_ray",
    "compare_ray_run",
    "score_documents_ray",
    "score_parallel_ray",
]

_MODULES = {"CompareRun": "ray_compare", "DocumentsRun": "ray_documents", "compare_ray": "ray_compare",
            "compare_ray_run": "ray_compare", "score_documents_ray": "ray_documents"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module(f".{_MODULES.get(name, 'ray_engine')}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
