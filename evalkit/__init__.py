"""evalkit: translation-quality evaluation that aligns before it scores.

From Python (see README, "From Python")::

    import evalkit
    report = evalkit.score(sources, targets, [references])   # -> evalkit.Report
    board = evalkit.compare({"A": outputs_a, "B": outputs_b}, sources, [references])   # -> evalkit.Leaderboard
    gate = evalkit.check(report, "references/mt.json", max_drop={"chrf": 0.5})   # -> evalkit.GateResult

The names are loaded on first use (module ``__getattr__``), so ``import evalkit`` imports none of torch,
sentence-transformers, sacrebleu or pandas.

``evalkit.compare`` is the function even though the package ``evalkit/compare/`` exists: importing a
subpackage binds it as an attribute of its parent, and evalkit's module type refuses that binding for the API's
names. The package stays importable as ever (``from evalkit.compare import CompareOptions``); only
``import evalkit.compare as m`` would give the function.
"""

from __future__ import annotations

import importlib
import sys
import types
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


class _Package(types.ModuleType):
    """evalkit's module type: a subpackage named like an API name (evalkit/compare/) never replaces it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return  # the import system binding the subpackage evalkit.<name>: the API's function keeps the name
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later reads skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
