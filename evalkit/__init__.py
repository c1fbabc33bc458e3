"""evalkit: translation-quality evaluation that aligns before it scores."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

__all__ = ["__version__"]

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
