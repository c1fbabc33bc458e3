"""evalkit: translation-quality evaluation that aligns before it scores.

From Python (see README, "From Python")::

    import evalkit
    report = evalkit.score(sources, targets, [references])   # -> evalkit.Report
    board = evalkit.compare({"A": outputs_a, "B": outputs_b}, sources, [references])   # -> evalkit.Leaderboard
    gate = evalkit.check(report, "references/mt.json", max_drop={"chrf": 0.5})   # -> evalkit.GateResult

The names are loaded on first use (module ``__getattr__``), so ``import evalkit`` imports none of torch,
sentence-transformers, sacrebleu or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it (loaded when the name is first read).
_LAZY = {
    "ConfigError": "evalkit.errors",
    "EvalkitError": "evalkit.errors",
    "GateResult": "evalkit.api_check",
    "InputError": "evalkit.errors",
    "Leaderboard": "evalkit.api_compare",
    "ModelError": "evalkit.errors",
    "Report": "evalkit.api",
    "Score": "evalkit.records",
    "UsageError": "evalkit.errors",
    "check": "evalkit.api_check",
    "compare": "evalkit.api_compare",
    "score": "evalkit.api",
    "score_document": "evalkit.api",
    "score_files": "evalkit.api",
}

__all__ = [
    "ConfigError",
    "EvalkitError",
    "GateResult",
    "InputError",
    "Leaderboard",
    "ModelError",
    "Report",
    "Score",
    "UsageError",
    "__version__",
    "check",
    "compare",
    "score",
    "score_document",
    "score_files",
]

if TYPE_CHECKING:
    from .api import Report, score, score_document, score_files
    from .api_check import GateResult, check
    from .api_compare import Leaderboard, compare
    from .errors import ConfigError, EvalkitError, InputError, ModelError, UsageError
    from .records import Score


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later reads skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
