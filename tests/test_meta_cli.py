"""`evalkit meta` end to end on a small MQM file: the files it writes and their contract."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from evalkit.cli import main

HERE = Path(__file__).parent / "data" / "meta"


def test_meta_writes_segments_json_html(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "meta"
    code = main(["meta", str(HERE / "classic_mqm.tsv"), "--ref", str(HERE / "ref.en"), "-o", str(out), "--lp", "de-en",
                 "--bootstrap", "50", "--permutations", "50", "--cache-dir", str(cache_dir)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    rows = list(csv.reader((out / "segments.csv").open(encoding="utf-8")))
    # every registered metric that can run: evalkit.meta.scoring.METRICS, then the registry's segment metrics (qe)
    assert rows[0] == ["system", "seg_id", "human", "similarity", "bleu", "chrf", "ter", "qe"]
    assert len(rows) == 1 + 9 and rows[1][:3] == ["sysA", "1", "-2.55"]
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    chrf = meta["metrics"]["chrf"]
    assert set(chrf) == {"signature", "segment", "segment_item", "system", "ci95"}
    assert set(chrf["segment"]) == {"kendall_b", "acc_eq", "acc_eq_epsilon", "pearson", "n"} and chrf["segment"]["n"] == 9
    assert chrf["system"]["n"] == 3 and chrf["system"]["items"] == 3 and "nc:6|nw:0" in chrf["signature"]
    assert "seed:12345" in meta["signature"] and "bs:50|perm:50" in meta["signature"]
    assert meta["significance"]["system.pearson"]["chrf"]["bleu"] is not None
    assert "any flag|major" in meta["flag_validity"] and meta["flag_validity"]["any flag|major"]["positives"] == 2  # sysA 3 (-15), sysC 1 (-5)
    page = (out / "meta.html").read_text(encoding="utf-8")
    # one scatter plot per metric: similarity, bleu, chrf, ter, qe
    assert "Content-Security-Policy" in page and page.count("<svg") == 5 and "http" not in page.split("<body>")[1]
    assert "seg acc_eq" in printed and "any flag" in printed


def test_meta_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.tsv"
    bad.write_text("system score seg_id\nA\t-1 1\n", encoding="utf-8")
    assert main(["meta", str(bad), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--src" in err
    assert main(["meta", str(HERE / "classic_mqm.tsv"), "-o", str(tmp_path / "o"), "--metric", "bleu"]) == 2
    assert "need(s) references" in capsys.readouterr().err
