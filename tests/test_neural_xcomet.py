"""XCOMET adapter (`evalkit.neural.xcomet`) on a tiny checkpoint built by the test (tests/neural_fixtures.py).

Fast tests: score order and spans under batching, span offsets valid for the target, too_long, the span
decoding and MQM rules on exact inputs, a missing or wrong model (exit 2), and ``evalkit score --metric
xcomet`` end to end (pairs.csv column, report.html highlights, --stream, the score cache).
Slow test: parity with unbabel-comet's XCOMETMetric in its own virtualenv (tests/test_neural_comet.py), with and
without references: scores to 1e-5, the same spans.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from markupsafe import escape

pytest.importorskip("torch")
pytest.importorskip("transformers")

from evalkit.cli import main  # noqa: E402

from conftest import ROOT  # noqa: E402
from neural_fixtures import XCOMET_MAX_TOKENS, build_comet, build_xcomet  # noqa: E402
from test_neural_comet import MT, REF, SRC, _comet_python  # noqa: E402

SEVERITIES = {"minor", "major", "critical"}


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_xcomet(tmp_path_factory.mktemp("tiny-xcomet") / "xcomet")


def _check_spans(spans: list[Any], target: str) -> None:
    """Each span as (start, end, text, severity, confidence) fits ``target``: its text is target[start:end]."""
    for start, end, text, severity, confidence in spans:
        assert 0 <= start <= end <= len(target) and target[start:end] == text, (start, end, text, target)
        assert severity in SEVERITIES and 0.0 <= confidence <= 1.0


@pytest.mark.parametrize("qe", ["no", "yes"])
def test_order_batching_spans_and_too_long(qe: str, tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evalkit.neural.xcomet import XComet
    from evalkit.neural.xcomet_model import SCORE_WEIGHTS, mqm_score

    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path))
    src, mt, ref = [*SRC, "长" * (XCOMET_MAX_TOKENS + 5)], [*MT, "x"], [*REF, "y"]
    refs = None if qe == "yes" else [ref]

    def run(batch: str, reverse: bool = False) -> tuple[list[float], dict[int, list[Any]], XComet]:
        metric = XComet(model=str(tiny), device="cpu", batch_size=batch, qe=qe)
        if not reverse:
            return metric.score(src, mt, refs), metric.last_spans, metric
        n = len(mt)
        scores = metric.score(src[::-1], mt[::-1], [r[::-1] for r in refs] if refs else None)[::-1]
        return scores, {n - 1 - i: s for i, s in metric.last_spans.items()}, metric

    one, spans_one, metric = run("1")
    three, spans_three, _ = run("3")
    back, spans_back, _ = run("3", reverse=True)
    assert one[:4] == pytest.approx(three[:4], abs=1e-6) and one[:4] == pytest.approx(back[:4], abs=1e-6)
    assert len(set(round(x, 6) for x in one[:4])) == 4  # distinct scores: a permutation would show
    for other in (spans_three, spans_back):  # the same spans whatever the batch (confidences to float32 noise)
        assert sorted(other) == sorted(spans_one) == [0, 1, 2, 3]
        for i, spans in spans_one.items():
            assert [s[:4] for s in other[i]] == [s[:4] for s in spans]
            assert [s[4] for s in other[i]] == pytest.approx([s[4] for s in spans], abs=1e-5)
    assert sum(len(s) for s in spans_one.values()) >= 3  # the tiny tagger finds spans (else this tests nothing)
    for i, spans in spans_one.items():
        _check_spans(spans, mt[i])
        # every input's regression score is capped at 1: score <= 0.78 + 0.22 * MQM of the spans
        assert one[i] <= sum(SCORE_WEIGHTS[:3]) + SCORE_WEIGHTS[3] * mqm_score([s[3] for s in spans]) + 1e-6
    assert one[4] != one[4] and 4 not in spans_one and list(metric.last_flags) == [4] and metric.last_flags[4][0] == "too_long"
    assert metric.signature.startswith(f"xcomet|model:{tiny}|ckpt:") and f"|mode:{'qe' if qe == 'yes' else 'ref'}|" in metric.signature
    if qe == "no":  # two references: per segment the better of the two runs, with that run's spans
        other = [m.upper() for m in mt]
        second = XComet(model=str(tiny), device="cpu", batch_size="3")
        alone = second.score(src, mt, [other]), second.last_spans
        both = second.score(src, mt, [ref, other])
        for i in range(4):
            winner = max((one[i], spans_one[i]), (alone[0][i], alone[1][i]), key=lambda run: run[0])
            assert both[i] == pytest.approx(winner[0], abs=1e-6)
            assert [x[:4] for x in second.last_spans[i]] == [x[:4] for x in winner[1]]
            assert [x[4] for x in second.last_spans[i]] == pytest.approx([x[4] for x in winner[1]], abs=1e-5)
        assert any(alone[0][i] > one[i] for i in range(4)) and any(alone[0][i] < one[i] for i in range(4))  # both runs win somewhere


@pytest.mark.parametrize(("severities", "expected"), [
    ([], 1.0),                                  # no error: 25/25
    (["minor"], 0.96),                          # 1 point: 24/25
    (["major", "minor"], 0.76),                 # 5 + 1: 19/25
    (["critical", "critical", "minor"], 0.16),  # 10 + 10 + 1: 4/25
    (["critical"] * 3, 0.0),                    # 30 points, capped at 25
])  # fmt: skip
def test_mqm_score(severities: list[str], expected: float) -> None:
    """Weights and cap of unbabel-comet 2.2.7 xcomet_metric.py (_compute_mqm_from_spans): minor 1, major 5,
    critical 10, at most 25, rescaled as (25 - points) / 25."""
    from evalkit.neural.xcomet_model import mqm_score

    assert mqm_score(severities) == pytest.approx(expected, abs=1e-12)


def test_decode_runs_of_error_tags() -> None:
    """Exact tag probabilities: a run of error tags is one span with its first tag's severity, offsets from its
    first token's start to its last token's end; a run still open at ``</s>`` is dropped (unbabel-comet's
    decode closes a span on an O tag only)."""
    import torch

    from evalkit.neural.xcomet_model import XCometModel

    target = "Hello big world"
    offsets = [(0, 0), (0, 5), (5, 9), (9, 15), (0, 0)]  # <s> Hello ▁big ▁world </s>
    tags = [0, 1, 2, 0, 0]  # O minor major O O
    probs = torch.full((5, 4), 0.1)
    for k, tag in enumerate(tags):
        probs[k, tag] = 0.7
    fake = SimpleNamespace(labels=["O", "minor", "major", "critical"])
    (span,) = XCometModel._decode(fake, probs, offsets, target)  # type: ignore[arg-type]
    assert span[:4] == (0, 9, "Hello big", "minor") and span[4] == pytest.approx(0.7)
    probs[2] = torch.tensor([0.7, 0.1, 0.1, 0.1])  # ▁big O: "Hello" alone
    probs[3:] = torch.tensor([0.1, 0.1, 0.1, 0.7])  # ▁world and </s> critical: that run never closes
    assert [s[:4] for s in XCometModel._decode(fake, probs, offsets, target)] == [(0, 5, "Hello", "minor")]  # type: ignore[arg-type]


def _write_inputs(folder: Path) -> list[str]:
    (folder / "s.zh").write_text("\n".join(SRC) + "\n", encoding="utf-8")
    (folder / "h.en").write_text("\n".join(MT) + "\n", encoding="utf-8")
    (folder / "r.en").write_text("\n".join(REF) + "\n", encoding="utf-8")
    return ["score", "--src", str(folder / "s.zh"), "--tgt", str(folder / "h.en"), "--ref", str(folder / "r.en"),
            "--cache-dir", str(folder / "c"), "-q"]  # fmt: skip


def _spans_column(pairs: Path) -> list[list[dict[str, Any]]]:
    with pairs.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(row["xcomet"] for row in rows)
    return [json.loads(row["xcomet_spans"]) for row in rows]


def test_cli_end_to_end(tiny: Path, tmp_path: Path) -> None:
    args = _write_inputs(tmp_path)
    spec = f"xcomet:model={tiny},device=cpu,batch_size=3"
    assert main([*args, "--metric", spec, "-o", str(tmp_path / "o")]) == 0
    header = (tmp_path / "o" / "pairs.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[header.index("xcomet") + 1] == "xcomet_spans"
    column = _spans_column(tmp_path / "o" / "pairs.csv")
    assert sum(map(len, column)) >= 3
    page = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "Error spans found by XCOMET" in page
    for target, spans in zip(MT, column):
        _check_spans([(s["start"], s["end"], s["text"], s["severity"], s["confidence"]) for s in spans], target)
        for s in spans:  # each non-empty span highlighted with its severity as a class, its text escaped inside
            if s["end"] > s["start"]:
                opening = f'<span class="es es-{s["severity"]}" title="XCOMET: {s["severity"]} error, confidence {s["confidence"]:.2f}">'
                firsts = [re.sub(r"<[^>]+>", "", part.split("</span>")[0]) for part in page.split(opening)[1:]]
                assert any(first and str(escape(s["text"])).startswith(first) for first in firsts), (opening, firsts)
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert summary["scores"]["xcomet"]["signature"].startswith("xcomet|model:")

    # the score cache holds the spans beside the scores: a second run reads both, the same file comes out
    db = next((tmp_path / "c" / "scores").glob("*/scores.sqlite3"))
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM details").fetchone() == (len(MT),)
    assert main([*args, "--metric", spec, "-o", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "pairs.csv").read_bytes() == (tmp_path / "o" / "pairs.csv").read_bytes()

    # --stream writes the same column
    assert main([*args, "--metric", spec, "--stream", "-o", str(tmp_path / "s")]) == 0
    assert _spans_column(tmp_path / "s" / "pairs.csv") == column

    # the Python API: to_pandas gives the spans as lists of dicts
    pytest.importorskip("pandas")
    import evalkit
    from evalkit.metrics.plugins import registered

    with registered([spec], tmp_path / "c"):
        frame = evalkit.score(SRC, MT, [REF], metrics=["xcomet"], cache_dir=tmp_path / "c").to_pandas()
    assert frame["xcomet_spans"].tolist() == column


def test_missing_or_wrong_model_exit_2(tiny: Path, tmp_path: Path) -> None:
    args = _write_inputs(tmp_path)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    wrong = build_comet(tmp_path / "comet")  # a regression_metric checkpoint, not xcomet_metric
    for spec, expected in (("xcomet:model=nobody/no-such-xcomet", "huggingface-cli download"),
                           (f"xcomet:model={tmp_path / 'nowhere'}", "not found"),
                           (f"xcomet:model={wrong}", "'regression_metric' checkpoint, not 'xcomet_metric'"),
                           (f"xcomet:model={tiny},qe=maybe", "qe='maybe' is not yes or no")):  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "evalkit", *args, "--metric", spec, "-o", str(tmp_path / "o")],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)  # fmt: skip
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and expected in done.stderr, (spec, done.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["ref", "qe"])
def test_parity_with_unbabel_comet(mode: str, tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evalkit.neural.xcomet import XComet

    monkeypatch.setenv("EVALKIT_CACHE", str(tmp_path))
    samples = tmp_path / "samples.json"
    rows = [{"src": s, "mt": m, **({"ref": r} if mode == "ref" else {})} for s, m, r in zip(SRC, MT, REF)]
    samples.write_text(json.dumps(rows), encoding="utf-8")
    done = subprocess.run([str(_comet_python()), str(ROOT / "tests" / "comet_reference.py"),
                           str(tiny / "checkpoints" / "model.ckpt"), str(samples), "2", "spans"],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-500:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    metric = XComet(model=str(tiny), device="cpu", batch_size="3", qe="yes" if mode == "qe" else "no")
    ours = metric.score(SRC, MT, [REF] if mode == "ref" else None)
    assert ours == pytest.approx(theirs["scores"], abs=1e-5)
    assert sum(map(len, theirs["error_spans"])) >= 3
    for i, spans in enumerate(theirs["error_spans"]):
        mine = metric.last_spans[i]
        assert [(s["start"], s["end"], s["severity"]) for s in spans] == [s[:2] + s[3:4] for s in mine]
        assert [s["confidence"] for s in spans] == pytest.approx([s[4] for s in mine], abs=1e-5)
        # their text is the tokens decoded (no leading space, "<s>" for the sentence-start token), ours the
        # target's characters at the offsets
        assert [s["text"].replace("<s>", "").replace(" ", "") for s in spans] == [s[2].replace(" ", "") for s in mine]
