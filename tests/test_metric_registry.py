"""The metric registry (`evalkit.metrics.base.METRICS`): every registered metric reaches every output.

A toy segment metric is registered with one line (``monkeypatch.setitem(METRICS, "toy", Toy())``); the walk
then checks that each registered metric is in pairs.csv, summary.json, report.html, the ``--stream`` files,
leaderboard.json/csv/html and ``evalkit check``'s verdicts. The toy's value is the dot product of the source
and target vectors the kernel hands it, so on unit vectors it must equal the link's cosine ``similarity``
(the same numbers through two paths: an independent check that the vectors are the link's own).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from evalkit.cli import main
from evalkit.metrics.base import (
    METRICS,
    Metric,
    SegmentContext,
    SegmentMetric,
    StatsMetric,
    get_metric,
    link_value,
    metric_names,
    segment_metrics,
)
from evalkit.metrics.reference import METRICS as SACREBLEU_METRICS

from conftest import ROOT

DATA = ROOT / "tests" / "data" / "compare"


class Toy(SegmentMetric):
    """Dot product of the link's source and target vectors (= cosine on unit vectors)."""

    name = "toy"
    label = "Toy"
    needs_embeddings = True
    range = (-1.0, 1.0)
    description = "toy: source·target vectors"

    def segment_values(self, ctx: SegmentContext) -> np.ndarray:
        assert ctx.src_vectors is not None and ctx.tgt_vectors is not None
        return np.einsum("ij,ij->i", ctx.src_vectors.astype(np.float64), ctx.tgt_vectors.astype(np.float64))

    def signature(self, ctx: SegmentContext) -> str:
        return f"toy|{ctx.model_signature}"


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Toy:
    metric = Toy()
    monkeypatch.setitem(METRICS, "toy", metric)  # the one registry line
    return metric


def test_registry_walk_declares_each_metric_once() -> None:
    kinds = {"statistics", "segment", "embedding", "flags"}
    for name, metric in METRICS.items():
        assert isinstance(metric, Metric), name
        assert metric.name == name and metric.label and metric.kind in kinds
        lo, hi = metric.range
        assert lo < hi and metric.digits >= 0 and metric.check_digits >= 0
        if isinstance(metric, StatsMetric):
            assert name in SACREBLEU_METRICS and metric.needs_reference
    # the sacrebleu adapter builds exactly the registry's statistics metrics
    assert metric_names("statistics") == SACREBLEU_METRICS
    assert [n for n in METRICS if METRICS[n].higher_is_better is False] == ["ter", "flag_rate"]


def test_unknown_metric_is_a_usage_error() -> None:
    from evalkit.errors import UsageError

    with pytest.raises(UsageError, match="unknown metric 'nope'"):
        get_metric("nope")
    with pytest.raises(UsageError, match="not a segment metric"):
        segment_metrics(["bleu"], has_refs=True, has_embeddings=True)


def test_segment_metrics_skip_unmet_needs(toy: Toy) -> None:
    assert [m.name for m in segment_metrics(None, has_refs=False, has_embeddings=True)] == ["toy"]
    assert segment_metrics(None, has_refs=True, has_embeddings=False) == ()


def _pairs(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_registered_metric_reaches_every_output(toy: Toy, tmp_path: Path, cache_dir: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    src, ref, hyp = DATA / "src.zh", DATA / "ref.en", DATA / "systems" / "hyp.alpha.en"
    common = ["--cache-dir", str(cache_dir), "-q"]
    per_link = metric_names("statistics", "segment")
    corpus = metric_names("statistics", "segment", "embedding")

    # evalkit score: pairs.csv, summary.json, report.html
    assert main(["score", "--src", str(src), "--tgt", str(hyp), "--ref", str(ref), "-o", str(tmp_path / "s"), *common]) == 0
    rows = _pairs(tmp_path / "s" / "pairs.csv")
    assert set(per_link) <= set(rows[0]), "a registered metric is missing from pairs.csv"
    summary = json.loads((tmp_path / "s" / "summary.json").read_text(encoding="utf-8"))
    assert set(corpus) <= set(summary["scores"]), "a registered metric is missing from summary.json"
    html = (tmp_path / "s" / "report.html").read_text(encoding="utf-8")
    for name in (n for n in METRICS if METRICS[n].html_column is not None):
        assert f">{METRICS[name].label}</button></th>" in html, f"{name} is not a column of report.html"
    # the toy got each link's own vectors: its value is the link's cosine
    for row in rows:
        if row["similarity"]:
            assert float(row["toy"]) == pytest.approx(float(row["similarity"]), abs=1e-4)
    assert summary["scores"]["toy"]["score"] == pytest.approx(summary["scores"]["similarity"]["score"], abs=1e-6)
    assert summary["scores"]["toy"]["signature"].startswith("toy|model:usem3")

    # --stream: the same columns and corpus scores
    out = tmp_path / "st"
    assert main(["score", "--src", str(src), "--tgt", str(hyp), "--ref", str(ref), "-o", str(out), "--stream",
                 "--chunk", "100", *common]) == 0
    streamed = _pairs(out / "pairs.csv")
    assert list(streamed[0]) == list(rows[0])  # the local run's columns, in its order
    stream_summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(corpus) <= set(stream_summary["scores"])
    assert stream_summary["scores"]["toy"]["score"] == pytest.approx(stream_summary["scores"]["similarity"]["score"])

    # evalkit compare: leaderboard.json, .csv and .html
    board = tmp_path / "lb"
    assert main(["compare", "--src", str(src), "--ref", str(ref), str(DATA / "systems"), "-o", str(board),
                 "--metrics", ",".join(metric_names("statistics")), "--bootstrap", "10", "--samples", "10", *common]) == 0
    lb = json.loads((board / "leaderboard.json").read_text(encoding="utf-8"))
    assert set(metric_names()) == set(lb["metrics"]), "leaderboard.json does not list every registered metric"
    header = (board / "leaderboard.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert set(metric_names()) <= set(header)
    assert all(math.isfinite(s["scores"]["toy"]["score"]) for s in lb["systems"])
    assert ">Toy<" in (board / "leaderboard.html").read_text(encoding="utf-8")

    # evalkit check: a rule on every registered metric is computed, not skipped
    base = tmp_path / "base.json"
    rules = [x for name in metric_names() for x in ("--max-drop", f"{name}=100")]
    inputs = ["--src", str(src), "--tgt", str(hyp), "--ref", str(ref), *rules, "--cache-dir", str(cache_dir)]
    assert main(["check", *inputs, "--write-baseline", str(base), "-q"]) == 0
    capsys.readouterr()
    assert main(["check", *inputs, "--baseline", str(base), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    checked = {v["metric"] for v in result["verdicts"]}
    assert set(metric_names()) <= checked, f"check skipped {set(metric_names()) - checked}"


def test_link_value_reads_each_kind(toy: Toy) -> None:
    from evalkit.records import Flag, Link, ScoredLink

    link = ScoredLink(Link((0,), (0,)), "a", "b", similarity=0.5, margin=1.2, metrics={"chrf": 40.0, "toy": 0.25},
                      flags=(Flag("empty", "empty"),))
    assert [link_value(link, m) for m in ("similarity", "margin", "chrf", "toy", "flag_rate", "bleu")] == [
        0.5, 1.2, 40.0, 0.25, 100.0, None]
