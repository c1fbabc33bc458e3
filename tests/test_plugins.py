"""Metric plug-ins (`evalkit.metrics.plugins`): a third-party package installed with pip reaches every output.

The example package (examples/evalkit-plugin-example, entry point ``charjaccard`` in the group
``evalkit.metrics``) is pip-installed with ``--target`` into a temporary folder put on ``sys.path`` (and
``PYTHONPATH`` for subprocesses), so the shared virtualenv is not changed and evalkit is not touched.
Expected values are hand computations of the character-set Jaccard overlap, written out in the test.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evalkit.cli import main
from evalkit.errors import UsageError
from evalkit.metrics.base import METRICS, SegmentContext
from evalkit.metrics.plugins import PluginMetric, available, load, parse_spec, registered

from conftest import ROOT

DATA = ROOT / "tests" / "data" / "compare"
EXAMPLE = ROOT / "examples" / "evalkit-plugin-example"


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("plugin-site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                           "--target", str(target), str(EXAMPLE)], capture_output=True, text=True, timeout=120)
    if done.returncode:
        pytest.skip(f"pip could not install the example plug-in: {done.stderr.strip()[-300:]}")
    return target


@pytest.fixture
def installed(plugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(plugin_dir))
    monkeypatch.setenv("PYTHONPATH", str(plugin_dir))
    return plugin_dir


def _jaccard(a: str, b: str) -> float:
    x, y = {c for c in a if not c.isspace()}, {c for c in b if not c.isspace()}
    return len(x & y) / len(x | y)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_parse_spec() -> None:
    assert parse_spec("comet:model=Unbabel/wmt22-comet-da,batch_size=32") == (
        "comet", {"model": "Unbabel/wmt22-comet-da", "batch_size": "32"})
    assert parse_spec("mymetric") == ("mymetric", {})
    for bad in ("", ":a=1", "x:a", "x:a=1,a=2"):
        with pytest.raises(UsageError):
            parse_spec(bad)


def test_installed_plugin_is_listed_lazily(installed: Path) -> None:
    assert "charjaccard" in available()
    assert "charjaccard" not in METRICS  # nothing is registered until a run asks for it
    # `evalkit --help` imports no plug-in
    code = "import sys, evalkit.cli; evalkit.cli.main(['--help']); print('evalkit_plugin_example' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().endswith("False")
    listed = subprocess.run([sys.executable, "-m", "evalkit", "metrics"], capture_output=True, text=True, cwd=ROOT,
                            check=True).stdout  # fmt: skip
    assert "charjaccard  plug-in" in listed


def test_unknown_metric_lists_the_available_ones(installed: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["score", "--src", str(DATA / "src.zh"), "--tgt", str(DATA / "systems" / "hyp.alpha.en"), "-o", str(tmp_path)]
    assert main([*args, "--metric", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown metric 'nope'" in err and "plug-ins: charjaccard" in err
    assert main([*args, "--metric", "charjaccard:colour=red"]) == 2
    assert "unexpected keyword argument 'colour'" in capsys.readouterr().err
    assert "charjaccard" not in METRICS  # unregistered after the command


def test_plugin_reaches_every_output(installed: Path, tmp_path: Path, cache_dir: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    src, ref, alpha, beta = DATA / "src.zh", DATA / "ref.en", DATA / "systems" / "hyp.alpha.en", DATA / "systems" / "hyp.beta.en"
    common = ["--cache-dir", str(cache_dir), "-q"]
    assert main(["score", "--src", str(src), "--tgt", str(alpha), "--ref", str(ref), "-o", str(tmp_path / "s"),
                 "--metric", "charjaccard", *common]) == 0
    rows = _rows(tmp_path / "s" / "pairs.csv")
    refs = ref.read_text(encoding="utf-8").splitlines()
    hyps = alpha.read_text(encoding="utf-8").splitlines()
    expected = [_jaccard(h, r) for h, r in zip(hyps, refs)]  # the hand computation of the plug-in's value
    assert [float(r["charjaccard"]) for r in rows] == pytest.approx(expected, abs=1e-4)
    summary = json.loads((tmp_path / "s" / "summary.json").read_text(encoding="utf-8"))
    got = summary["scores"]["charjaccard"]
    assert got["score"] == pytest.approx(float(np.mean(expected)), abs=1e-6)
    assert got["ci95"][0] <= got["score"] <= got["ci95"][1]
    assert got["signature"] == "charjaccard|lc:no|version:0.1.0|bs:1000|seed:12345"
    assert ">charJaccard</button></th>" in (tmp_path / "s" / "report.html").read_text(encoding="utf-8")

    # --stream: same column, same mean, no interval
    assert main(["score", "--src", str(src), "--tgt", str(alpha), "--ref", str(ref), "-o", str(tmp_path / "st"),
                 "--stream", "--chunk", "100", "--metric", "charjaccard", *common]) == 0
    streamed = json.loads((tmp_path / "st" / "summary.json").read_text(encoding="utf-8"))["scores"]["charjaccard"]
    assert streamed["score"] == pytest.approx(got["score"], abs=1e-6) and streamed["ci95"] is None

    # compare: ranked and tested in leaderboard.json/csv/html
    board = tmp_path / "lb"
    assert main(["compare", "--src", str(src), "--ref", str(ref), str(DATA / "systems"), "-o", str(board),
                 "--metric", "charjaccard", "--bootstrap", "10", "--samples", "10", *common]) == 0
    lb = json.loads((board / "leaderboard.json").read_text(encoding="utf-8"))
    assert "charjaccard" in lb["metrics"]
    by_system = {s["name"]: s["scores"]["charjaccard"]["score"] for s in lb["systems"]}
    beta_expected = [_jaccard(h, r) for h, r in zip(beta.read_text(encoding="utf-8").splitlines(), refs)]
    assert by_system == pytest.approx({"alpha": np.mean(expected), "beta": np.mean(beta_expected)}, abs=1e-6)
    assert "charjaccard" in (board / "leaderboard.csv").read_text(encoding="utf-8").splitlines()[0]
    assert ">charJaccard<" in (board / "leaderboard.html").read_text(encoding="utf-8")

    # check: --max-drop on the plug-in (loaded from the rule alone), paired test with --baseline-tgt
    base = tmp_path / "base.json"
    inputs = ["--src", str(src), "--ref", str(ref), "--cache-dir", str(cache_dir)]
    assert main(["check", *inputs, "--tgt", str(alpha), "--max-drop", "charjaccard=0.01", "--write-baseline", str(base), "-q"]) == 0
    capsys.readouterr()
    drop = float(np.mean(expected) - np.mean(beta_expected))
    assert drop > 0.01  # beta is worse than alpha on this metric (hand computation above)
    assert main(["check", *inputs, "--tgt", str(beta), "--max-drop", "charjaccard=0.01", "--baseline", str(base), "--json"]) == 1
    verdict = next(v for v in json.loads(capsys.readouterr().out)["verdicts"] if v["metric"] == "charjaccard")
    assert not verdict["passed"]
    assert main(["check", *inputs, "--tgt", str(beta), "--max-drop", f"charjaccard={drop + 0.01}", "--baseline", str(base),
                 "--max-drop", "chrf=100", "--max-drop", "bleu=100", "--max-drop", "similarity=1", "-q"]) == 0
    assert "charjaccard" not in METRICS


def test_plugin_flags_reach_the_links(installed: Path, tmp_path: Path, cache_dir: Path) -> None:
    # charjaccard:max_chars=26 does not score a target of more than 26 characters and flags it too_long (its
    # optional last_flags); hyp.alpha.en line 3 has 27 characters (the file), the others 24-26.
    src, ref, alpha = DATA / "src.zh", DATA / "ref.en", DATA / "systems" / "hyp.alpha.en"
    assert [len(line) for line in alpha.read_text(encoding="utf-8").splitlines()] == [26, 26, 27, 24]
    for name, extra in (("local", []), ("stream", ["--stream"])):
        out = tmp_path / name
        assert main(["score", "--src", str(src), "--tgt", str(alpha), "--ref", str(ref), "-o", str(out), *extra,
                     "--metric", "charjaccard:max_chars=26", "--cache-dir", str(cache_dir), "-q"]) == 0
        rows = _rows(out / "pairs.csv")
        assert [r["charjaccard"] == "" for r in rows] == [False, False, True, False], name
        assert ["too_long" in r["reasons"].split(";") for r in rows] == [False, False, True, False], name
        assert "charjaccard reads at most 26 characters, the target has 27" in rows[2]["details"], name
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["reasons"]["too_long"] == 1, name


class Counting:
    """A plug-in that counts the segments it is asked to score (length of the target), with its own corpus."""

    name, higher_is_better, needs_reference = "counting", True, False
    signature = "counting|v:1"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def score(self, sources: list[str], targets: list[str], references: None) -> list[float]:
        assert references is None
        self.calls.append(len(targets))
        return [float(len(t)) for t in targets]

    def corpus(self, scores: list[float]) -> float:
        return max(scores)


def test_adapter_caches_scores_and_uses_its_corpus(tmp_path: Path) -> None:
    plugin = Counting()
    metric = PluginMetric(plugin, "counting", tmp_path)
    ctx = SegmentContext(("a", "b", "c"), ("xx", "y", "zzz"), ((), (), ()), "en", "de")
    assert metric.segment_values(ctx).tolist() == [2.0, 1.0, 3.0]
    ctx2 = SegmentContext(("c", "d"), ("zzz", "wwww"), ((), ()), "en", "de")
    assert metric.segment_values(ctx2).tolist() == [3.0, 4.0]
    assert plugin.calls == [3, 1]  # the second call scored only the new segment; the cached one came from SQLite
    score = metric.corpus(np.array([2.0, 1.0, 3.0, math.nan]), "counting|v:1", n_bootstrap=200, seed=1)
    # max of a resample of (2, 1, 3): 1 with probability 1/27 = 3.7% > 2.5%, 3 with 19/27: the 95% interval is (1, 3)
    assert score.score == 3.0 and score.ci95 == (1.0, 3.0)


def test_bad_plugin_output_is_one_line_error(tmp_path: Path) -> None:
    class Short(Counting):
        def score(self, sources: list[str], targets: list[str], references: None) -> list[float]:
            return [1.0]

    metric = PluginMetric(Short(), "counting", tmp_path)
    with pytest.raises(UsageError, match="returned 1 values for 2 segments"):
        metric.segment_values(SegmentContext(("a", "b"), ("x", "y"), ((), ()), "en", "de"))


def test_builtin_segment_metric_and_duplicates(installed: Path) -> None:
    with pytest.raises(UsageError, match="use --metrics for sacrebleu"):
        load("bleu")
    with pytest.raises(UsageError, match="given twice"), registered(["charjaccard", "charjaccard:lowercase=yes"]):
        pass
    assert "charjaccard" not in METRICS


class Spanning(Counting):
    """A plug-in with error spans: each target's first character, "minor"; spans offsets given by ``bad``."""

    def __init__(self, bad: bool = False) -> None:
        super().__init__()
        self.bad = bad
        self.last_spans: dict[int, list[tuple[int, int, str, str, float]]] = {}

    def score(self, sources: list[str], targets: list[str], references: None) -> list[float]:
        end = 99 if self.bad else 1
        self.last_spans = {i: [(0, end, t[:1], "minor", 0.5)] for i, t in enumerate(targets)}
        return super().score(sources, targets, references)


def test_adapter_keeps_spans_and_caches_them(tmp_path: Path) -> None:
    from evalkit.records import Span

    plugin = Spanning()
    metric = PluginMetric(plugin, "counting", tmp_path)
    assert metric.gives_spans and not PluginMetric(Counting(), "counting", tmp_path / "plain").gives_spans
    ctx = SegmentContext(("a", "b"), ("xx", "y"), ((), ()), "en", "de")
    metric.segment_values(ctx)
    assert metric.segment_spans() == {0: (Span(0, 1, "x", "minor", 0.5),), 1: (Span(0, 1, "y", "minor", 0.5),)}
    ctx2 = SegmentContext(("b", "c"), ("y", "zzz"), ((), ()), "en", "de")
    assert metric.segment_values(ctx2).tolist() == [1.0, 3.0] and plugin.calls == [2, 1]  # "y" from the cache...
    assert metric.segment_spans() == {0: (Span(0, 1, "y", "minor", 0.5),), 1: (Span(0, 1, "z", "minor", 0.5),)}  # ...its span too
    with pytest.raises(UsageError, match="last_spans.0. lies outside the targets"):
        PluginMetric(Spanning(bad=True), "counting", tmp_path / "bad").segment_values(ctx)
