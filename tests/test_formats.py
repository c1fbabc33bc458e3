"""The format registry (`evalkit.io.formats`): one place says what a path is and who reads it; the local run,
``--stream`` and Ray refuse a format they do not read with the same registry-worded error."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.errors import UsageError
from evalkit.io.formats import FORMATS, format_of, require, table_suffixes

from conftest import ROOT

FORMATS_DIR = ROOT / "tests" / "data" / "formats"


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.tsv", "tsv"), ("a.CSV", "csv"), ("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("a.parquet", "parquet"),
    ("s3://bucket/a.pq?version=2", "parquet"), ("a.tmx", "tmx"), ("a.xlf", "xliff"), ("a.xliff", "xliff"),
    ("a.en", "lines"), ("a.txt", "lines"),
])
def test_suffix(name: str, fmt: str) -> None:
    assert format_of(name).name == fmt


def test_sniffing_a_file_without_a_known_suffix(tmp_path: Path) -> None:
    tmx = tmp_path / "memory.xml"
    tmx.write_bytes((FORMATS_DIR / "seed.zh-en.tmx").read_bytes())
    assert format_of(tmx, sniff=True).name == "tmx" and format_of(tmx).name == "lines"
    plain = tmp_path / "plain.txt"
    plain.write_text("hello\n", encoding="utf-8")
    assert format_of(plain, sniff=True).name == "lines"


def test_every_suffix_is_declared_once() -> None:
    suffixes = [s for f in FORMATS.values() for s in f.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert table_suffixes("local") == (".tsv", ".csv", ".jsonl", ".ndjson")
    assert table_suffixes("ray") == (".jsonl", ".ndjson", ".parquet", ".pq")


@pytest.mark.parametrize(("path", "engine", "words"), [
    ("a.parquet", "local", "a.parquet: the local engine reads line files, TSV, CSV, JSONL, TMX, XLIFF, not Parquet"),
    ("a.tsv", "ray", "a.tsv: the Ray engine reads line files, JSONL, Parquet, not TSV"),
    ("a.jsonl", "stream", "a.jsonl: --stream reads line files, not JSONL"),
])
def test_refusals_come_from_the_registry(path: str, engine: str, words: str) -> None:
    with pytest.raises(UsageError) as info:
        require(path, engine)  # type: ignore[arg-type]
    assert info.value.message.startswith(words)


def test_cli_refuses_parquet_locally_and_a_table_with_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "pairs.parquet"
    table.write_bytes(b"PAR1")
    assert main(["score", "--src", str(table), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "the local engine reads" in err and "not Parquet" in err and "--engine ray" in err
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("source\ttarget\n你好\thello\n", encoding="utf-8")
    assert main(["score", "--src", str(tsv), "--tgt", str(tsv), "-o", str(tmp_path / "o"), "--stream"]) == 2
    assert "--stream reads line files, not TSV" in capsys.readouterr().err
