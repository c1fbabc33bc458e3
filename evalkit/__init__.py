"""evalkit: translation-quality evaluation that aligns before it scores.

From Python (see README, "From Python")::

    import evalkit
    report = evalkit.score(sources, targets, [references])   # -> evalkit.Report
    board = evalkit.compare({"A": outputs_a, "B": outputs_b}, sources, [references])   # -> evalkit.Leaderboard
    gate = evalkit.check(report, "references/mt.json", max_drop={"chrf": 0.5})   # -> evalkit.GateResult

The names are loaded on first use (module ``__getattr__``), so ``import evalkit`` imports none of torch,
sentence-transformers, sacrebleu or pandas.

``evalkit.score`` and ``evalkit.compare`` call the API's functions although the packages ``evalkit/score/`` and
``evalkit/compare/`` exist (importing a subpackage binds it on its parent; evalkit's module type refuses that
binding for the API's names). Every other attribute of such a name is the package's, so
``from evalkit.score.pipeline import ScoreOptions``, ``import evalkit.compare.scoring as m`` and
``mock.patch("evalkit.score.pipeline.get_encoder")`` work as before.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Modules that moved into packages (issue 13): the old import paths keep working and name the same module
# object (so `mock.patch("evalkit.pipeline.X")` patches the real one). No file is left at the old path, so
# git's rename detection carries edits made to the old files elsewhere onto the new ones.
MOVED = {
    "evalkit.ranking": "evalkit.compare.ranking",
    "evalkit.moves": "evalkit.align.moves",
    "evalkit.gate_formats": "evalkit.gate.formats",
    "evalkit.pipeline": "evalkit.score.pipeline",
    "evalkit.documents": "evalkit.score.documents",
    "evalkit.stream": "evalkit.score.stream",
    "evalkit.cli_compare": "evalkit.cli.compare_check",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old module path of `MOVED` to the module at its new path."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: types.ModuleType) -> None:
        sys.modules[module.__name__] = module  # already executed under its new name


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())  # before an editable install's finder, which would map the old path


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
            return  # the import system binding the subpackage evalkit.<name>: the API's name stays (see _Entry)
        super().__setattr__(name, value)


class _Entry:
    """An API function whose name is also a subpackage's: calling it calls the function (whose name, signature
    and docstring it carries); any other attribute is the subpackage's, so dotted imports and mock paths through
    ``evalkit.<name>.<module>`` keep working."""

    def __init__(self, function: Any, package: str) -> None:
        functools.update_wrapper(self, function)
        self._package = package

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)  # set by update_wrapper

    def __getattr__(self, name: str) -> Any:  # only for what the function does not carry
        if name.startswith("__") or name == "_package":
            raise AttributeError(name)
        return getattr(importlib.import_module(self._package), name)

    def __repr__(self) -> str:
        return repr(self.__wrapped__)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if callable(value) and not isinstance(value, type) and os.path.isdir(os.path.join(os.path.dirname(__file__), name)):
        value = _Entry(value, f"{__name__}.{name}")
    globals()[name] = value  # later reads skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
