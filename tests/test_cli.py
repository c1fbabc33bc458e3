"""The CLI as a user runs it: score and pair on real files, output contract, one-line errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from evalkit.cli import main

from conftest import ROOT, SEED, SEED_REF

SCHEMA = json.loads((ROOT / "evalkit" / "schemas" / "summary.schema.json").read_text(encoding="utf-8"))


def run(args: list[str], cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*args[:1], "--cache-dir", str(cache_dir), *args[1:]] if args[0] in {"score", "pair"} else args)
    out, err = capsys.readouterr()
    return code, out, err


def test_score_seed_writes_the_contract(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["score", str(SEED), "--ref", str(SEED_REF), "-o", str(tmp_path / "r")], cache_dir, capsys)
    assert code == 0, err
    assert "16 links (zh→en), 1 flagged" in out  # title unpaired: 15 bullets + 1 title
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    jsonschema.validate(summary, SCHEMA)
    assert summary["counts"]["unpaired_source"] == 1 and summary["reasons"]["unpaired"] == 1
    assert summary["scores"]["bleu"]["signature"].startswith("nrefs:1|bs:1000|seed:12345|case:mixed|eff:no|tok:13a")
    rows = list(csv.DictReader((tmp_path / "r" / "pairs.csv").open(encoding="utf-8")))
    assert len(rows) == 16
    assert {"src_ids", "tgt_ids", "link", "source", "target", "similarity", "margin", "bleu", "chrf", "flagged", "reasons"} <= set(rows[0])
    assert rows[0]["tgt_ids"] == "" and rows[0]["reasons"] == "unpaired" and rows[0]["flagged"] == "true"
    assert (tmp_path / "r" / "report.html").stat().st_size > 1000
    assert not (tmp_path / "r" / "pairs.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # no BOM


def test_score_is_deterministic(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):
        assert run(["score", str(SEED), "-o", str(tmp_path / name), "-q"], cache_dir, capsys)[0] == 0
    for file in ("pairs.csv", "summary.json"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_score_json_to_stdout(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["score", str(SEED), "-o", str(tmp_path / "r"), "--json"], cache_dir, capsys)
    assert code == 0
    assert json.loads(out)["counts"]["links"] == 16


def test_threshold_override_reaches_the_report(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The seed's true pairs have margins 1.31-1.67 (README): a threshold of 1.7 flags all of them.
    code, out, _ = run(["score", str(SEED), "-o", str(tmp_path / "r"), "--threshold", "margin=1.7"], cache_dir, capsys)
    assert code == 0 and "16 flagged" in out
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert summary["thresholds"]["margin"] == 1.7 and summary["reasons"]["low_margin"] == 15


@pytest.mark.parametrize("suffix", [".tsv", ".jsonl"])
def test_pair_writes_links(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    out_file = tmp_path / f"links{suffix}"
    code, out, _ = run(["pair", str(SEED), "-o", str(out_file)], cache_dir, capsys)
    assert code == 0 and "16 links (15 × 1-1, 1 × 1-0)" in out
    if suffix == ".tsv":
        table = pd.read_csv(out_file, sep="\t", dtype=str, keep_default_na=False)
    else:
        table = pd.read_json(out_file, lines=True, dtype=False)
    assert list(table.columns) == ["src_ids", "tgt_ids", "link", "confidence", "source", "target"]
    assert str(table["src_ids"][1]) == "1" and str(table["tgt_ids"][1]) == "0" and table["link"][0] == "1-0"


def test_pair_on_two_segment_files_with_different_counts(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [l.strip().lstrip("•").strip() for l in SEED.read_text(encoding="utf-8").splitlines() if l.strip()]
    (tmp_path / "zh.txt").write_text("\n".join(lines[1:16]) + "\n", encoding="utf-8")
    en = lines[16:]
    (tmp_path / "en.txt").write_text("\n".join(en[:5] + en[6:]) + "\n", encoding="utf-8")  # English bullet 6 dropped
    code, out, _ = run(["pair", "--src", str(tmp_path / "zh.txt"), "--tgt", str(tmp_path / "en.txt"), "-o", str(tmp_path / "l.tsv")], cache_dir, capsys)
    assert code == 0 and "14 × 1-1, 1 × 1-0" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "-o", "x"], "give either a DOCUMENT or --src and --tgt"),
        (["score", "--src", str(SEED), "-o", "x"], "--src needs --tgt unless"),
        (["score", str(SEED), "-o", "x", "--threshold", "margn=1"], "unknown threshold 'margn'"),
        (["pair", str(SEED), "-o", "links.txt"], "unknown format '.txt'"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_different_line_counts_name_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.zh").write_text("一\n二\n三\n", encoding="utf-8")
    (tmp_path / "t.en").write_text("one\ntwo\n", encoding="utf-8")
    assert main(["score", "--src", str(tmp_path / "s.zh"), "--tgt", str(tmp_path / "t.en"), "-o", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "s.zh" in err and "t.en" in err and "3" in err and "2" in err


def test_every_command_help_ends_with_an_example() -> None:
    from evalkit.cli import cli

    for name, command in cli.commands.items():
        text = command.help or ""
        assert "Example" in text.split("\n\n")[-1] or "Examples" in text, name


def test_version_and_help_run_as_a_program() -> None:
    result = subprocess.run([sys.executable, "-m", "evalkit", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "evalkit, version" in result.stdout
