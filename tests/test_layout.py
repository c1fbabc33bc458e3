"""The package layout (docs/extending.md, "Layout"): moved modules still import under their old paths as the
same module objects, and modules stay small."""

from __future__ import annotations

import importlib

import pytest

import evalkit

from conftest import ROOT


@pytest.mark.parametrize(("old", "new"), sorted(evalkit.MOVED.items()))
def test_old_paths_are_the_moved_modules(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)
    assert not (ROOT / (old.replace(".", "/") + ".py")).exists(), "a file at the old path would break git's rename detection"


def test_no_module_over_400_lines() -> None:
    # metrics/numbers.py (479 lines) was the last exception: its Chinese grammar is now metrics/numbers_zh.py
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "evalkit").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}  # fmt: skip
    assert not long, long


def _package_graph() -> dict[str, set[str]]:
    """Top-level part (``compare``, ``report``, ``records``...) -> the parts its module-level imports reach.
    Imports inside functions and under ``if TYPE_CHECKING`` are left out: they run no code at import time."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in (ROOT / "evalkit").rglob("*.py"):
        rel = path.relative_to(ROOT / "evalkit")
        part = rel.parts[0].removesuffix(".py")
        depth = len(rel.parts) - 1  # 0 for evalkit/x.py, 1 for evalkit/pkg/x.py
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.level and node.level == depth + 1 and node.module:
                target = node.module.split(".")[0]
                if target != part:
                    graph.setdefault(part, set()).add(target)
    return graph


def test_no_import_cycle_between_parts() -> None:
    graph = _package_graph()

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(part for part in graph if part in reach(part))
    assert not cycles, {part: sorted(graph[part]) for part in cycles}
