"""Metric plug-ins on ``--engine ray``: each worker loads the plug-in from its ``--metric`` spec, and the files
are the local run's.

The example plug-in (examples/evalkit-plugin-example, ``charjaccard``) is pip-installed into a temporary
folder (tests/test_plugins.py's fixture) that the Ray workers get on their ``PYTHONPATH``. The local run's own
files are the expected values; the option ``max_chars=26`` makes the plug-in flag line 3 of hyp.alpha.en
(27 characters) ``too_long``, so that a plug-in's flags are checked as well as its values.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'evalkit[ray]')")
pytest.importorskip("pyarrow", reason="pyarrow is not installed (it comes with evalkit[ray])")

from test_plugins import DATA, plugin_dir  # noqa: E402,F401  (the session fixture that pip-installs the example)

from evalkit.cli import main  # noqa: E402

SPEC = "charjaccard:max_chars=26"


@pytest.fixture(scope="module")
def cluster(plugin_dir: Path) -> Iterator[Path]:  # noqa: F811
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(plugin_dir)}})  # fmt: skip
    yield plugin_dir
    ray.shutdown()


@pytest.fixture
def installed(cluster: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(cluster))
    return cluster


def _rows(path: Path) -> list[dict[str, str]]:
    """pairs.csv's rows; a Ray run writes it as a folder of shards (part-*.csv, each with the header)."""
    out: list[dict[str, str]] = []
    for part in sorted(path.glob("part-*.csv")) if path.is_dir() else [path]:
        with part.open(encoding="utf-8", newline="") as fh:
            out += list(csv.DictReader(fh))
    return out


def test_score_with_a_plugin_on_ray_is_the_local_run(installed: Path, tmp_path: Path, cache_dir: Path) -> None:
    src, ref, alpha = DATA / "src.zh", DATA / "ref.en", DATA / "systems" / "hyp.alpha.en"
    common = ["--src", str(src), "--tgt", str(alpha), "--ref", str(ref), "--metric", SPEC, "--cache-dir", str(cache_dir), "-q"]
    assert main(["score", *common, "-o", str(tmp_path / "local")]) == 0
    assert main(["score", *common, "-o", str(tmp_path / "ray"), "--engine", "ray"]) == 0
    local, on_ray = _rows(tmp_path / "local" / "pairs.csv"), _rows(tmp_path / "ray" / "pairs.csv")
    assert list(on_ray[0]) == list(local[0])  # the same columns in the same order
    assert [r["charjaccard"] for r in on_ray] == [r["charjaccard"] for r in local]
    assert [r["reasons"] for r in on_ray] == [r["reasons"] for r in local]
    assert ["too_long" in r["reasons"].split(";") for r in on_ray] == [False, False, True, False]
    scores = [json.loads((tmp_path / k / "summary.json").read_text(encoding="utf-8"))["scores"]["charjaccard"]
              for k in ("local", "ray")]  # fmt: skip
    assert scores[1] == scores[0]  # value, interval and signature (exact bootstrap at this size)


def test_compare_with_a_plugin_on_ray_is_the_local_compare(installed: Path, tmp_path: Path, cache_dir: Path) -> None:
    common = ["--src", str(DATA / "src.zh"), "--ref", str(DATA / "ref.en"), str(DATA / "systems"), "--metric", SPEC,
              "--bootstrap", "10", "--samples", "10", "--cache-dir", str(cache_dir), "-q"]  # fmt: skip
    assert main(["compare", *common, "-o", str(tmp_path / "local")]) == 0
    assert main(["compare", *common, "-o", str(tmp_path / "ray"), "--engine", "ray"]) == 0
    boards = [json.loads((tmp_path / k / "leaderboard.json").read_text(encoding="utf-8")) for k in ("local", "ray")]
    assert "charjaccard" in boards[0]["metrics"]
    assert [s["scores"]["charjaccard"] for s in boards[1]["systems"]] == [s["scores"]["charjaccard"] for s in boards[0]["systems"]]


def test_xcomet_spans_on_ray_are_the_local_run(installed: Path, tmp_path: Path) -> None:
    # The first-party XCOMET adapter (a tiny random checkpoint, tests/neural_fixtures.py) computed by the Ray
    # workers themselves (a cache of their own, empty): the same scores and error spans as the local run.
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from neural_fixtures import build_xcomet
    from test_neural_xcomet import _write_inputs

    model = build_xcomet(tmp_path / "xcomet")
    args = _write_inputs(tmp_path)  # its own --cache-dir (tmp_path / "c")
    spec = f"xcomet:model={model},device=cpu,batch_size=3"
    assert main([*args, "--metric", spec, "-o", str(tmp_path / "local")]) == 0
    on_ray = [*args, "--metric", spec, "-o", str(tmp_path / "ray"), "--engine", "ray"]
    on_ray[on_ray.index("--cache-dir") + 1] = str(tmp_path / "ray-cache")
    assert main(on_ray) == 0
    local, ray_rows = _rows(tmp_path / "local" / "pairs.csv"), _rows(tmp_path / "ray" / "pairs.csv")
    assert sum(len(json.loads(r["xcomet_spans"] or "[]")) for r in local) >= 3  # spans to compare
    for column in ("xcomet", "xcomet_spans", "reasons"):
        assert [r[column] for r in ray_rows] == [r[column] for r in local], column


def test_a_plugin_missing_on_the_workers_is_one_line(installed: Path, tmp_path: Path, cache_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    # `counting` (tests/test_plugins.py) is a plug-in of the driver's process only (a first-party entry added
    # here): the workers cannot load it, and say so in one line instead of dropping its column.
    from evalkit.metrics import plugins

    monkeypatch.setitem(plugins.FIRST_PARTY, "counting", "test_plugins:Counting")
    args = ["score", "--src", str(DATA / "src.zh"), "--tgt", str(DATA / "systems" / "hyp.alpha.en"), "--metric", "counting",
            "--cache-dir", str(cache_dir), "-q", "-o", str(tmp_path / "ray"), "--engine", "ray"]  # fmt: skip
    assert main(args) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("evalkit:")]  # not Ray's own logs
    assert len(err) == 1 and "Ray worker" in err[0] and "unknown metric 'counting'" in err[0], err
    assert "install the plug-in's package on every worker" in err[0]


def test_poisson_bootstrap_keeps_a_plugins_own_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Beyond RaySettings.max_exact_cells the shards send Poisson resample sums, which resample means. A plug-in
    # with its own corpus() (Counting: the max) gets that corpus over every row, with no interval (bs:0), not
    # the Poisson mean; the mean-style metric next to it keeps its Poisson mean.
    import numpy as np
    from test_plugins import Counting

    from evalkit.engine.ray_stages import CheckOut
    from evalkit.engine.ray_summary import _segment_scores
    from evalkit.metrics.base import METRICS
    from evalkit.metrics.plugins import PluginMetric
    from evalkit.score.pipeline import ScoreOptions

    monkeypatch.setitem(METRICS, "counting", PluginMetric(Counting(), "counting", tmp_path))
    values = [np.array([2.0, 1.0]), np.array([3.0, np.nan])]  # two shards; the NaN row has no value
    resampled = [np.array([[3.0, 2.0], [2.0, 1.0]]), np.array([[3.0, 1.0], [0.0, 1.0]])]  # (weighted sum, weight)
    checked = [CheckOut(2 * k, (), {}, {"counting": r, "qe": r}, {"counting": (float(np.nansum(v)), 2 - k), "qe": (float(np.nansum(v)), 2 - k)},
                        "", [], {"counting": v, "qe": v}) for k, (v, r) in enumerate(zip(values, resampled))]  # fmt: skip
    options = ScoreOptions(n_bootstrap=2, seed=1)
    scores = _segment_scores(options, ("zh", "en"), "emb", np.ones(4, bool), checked, exact=False)
    assert scores["counting"].score == 3.0 and scores["counting"].ci95 is None  # max(2, 1, 3): its own corpus
    assert scores["counting"].signature.endswith("|bs:0|seed:1")
    assert scores["qe"].score == 2.0  # the mean (2 + 1 + 3) / 3 from the shards' sums
    assert scores["qe"].signature.endswith("|resample:poisson")
