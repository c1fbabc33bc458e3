"""README's "From Python" section runs as doctests, and docs/notebook.ipynb runs top to bottom in a fresh kernel
(nbclient), both with the bundled model, offline. The numbers the README shows are checked against
sacrebleu in the examples themselves and against the CLI in tests/test_api.py."""

from __future__ import annotations

import doctest
import importlib.util
import os
from pathlib import Path

import pytest

from conftest import ROOT

README = ROOT / "README.md"
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> Path:
    """A folder where the examples' relative paths work (seeds/, references/ of the repo) and their files land."""
    for name in ("seeds", "references"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALKIT_CACHE", str(cache_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path


def test_readme_from_python_examples_run(workdir: Path) -> None:
    text = _section(README.read_text(encoding="utf-8"), "From Python")
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md: From Python", str(README), 0)
    assert len(test.examples) >= 15  # the section's examples were found
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} README examples failed (output above)"
    assert (workdir / "reports" / "from-python" / "pairs.csv").is_file() and (workdir / "mt-baseline.json").is_file()


nb_missing = any(importlib.util.find_spec(m) is None for m in ("nbclient", "nbformat", "ipykernel"))


@pytest.mark.skipif(nb_missing, reason="nbclient, nbformat and ipykernel come with the dev extra: pip install -e '.[dev]'")
def test_notebook_runs(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.cells and all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")  # stored clean
    # The kernel imports this checkout's evalkit (its cwd is the work folder, not the repo).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    html = [out.data["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    assert any("evalkit report" in h for h in html) and any("evalkit leaderboard" in h for h in html)
    assert (workdir / "reports" / "notebook" / "pairs.csv").is_file()
