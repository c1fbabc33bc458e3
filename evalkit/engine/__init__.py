"""Engines that run the scoring pipeline on more than one machine.

``score_parallel_ray`` (Ray, ``pip install 'evalkit[ray]'``) is loaded on first use: importing this
package, like every local code path, never imports Ray.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RayRun", "RaySettings", "score_parallel_ray"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import ray_engine

        return getattr(ray_engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
