"""evalkit.io.parallel: line-aligned files, TSV/CSV/JSONL tables, and their errors.

Files come from tests/data/io/make_files.py: src.zh.txt / tgt.en.txt are the seed's 15 Chinese and
15 English bullets, one per line; ref.en.txt is the English with ASCII apostrophes; tables hold the
first 5 (or 3) bullets with a header on line 1.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from evalkit.errors import InputError, UsageError
from evalkit.io import Parallel, read_lines, read_parallel

DATA = Path(__file__).resolve().parent / "data" / "io"
PAR = DATA / "parallel"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

_spec = importlib.util.spec_from_file_location("make_io_files", DATA / "make_files.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
ZH, EN = gen.ZH, gen.EN
REF = [t.replace("’", "'") for t in EN]


def test_read_lines() -> None:
    segs = read_lines(PAR / "src.zh.txt")
    assert [s.text for s in segs] == ZH
    assert [(s.index, s.line) for s in segs] == [(i, i + 1) for i in range(15)]
    assert {s.lang for s in segs} == {"zh"} and {s.file for s in segs} == {str(PAR / "src.zh.txt")}
    assert {s.lang for s in read_lines(PAR / "tgt.en.txt")} == {"en"}
    assert {s.lang for s in read_lines(PAR / "tgt.en.txt", lang="de")} == {"de"}


@pytest.mark.parametrize("name", ["empty-lines.zh.txt", "empty-lines.en.txt"])
def test_empty_lines_are_kept_and_a_final_newline_adds_none(name: str) -> None:
    # "x\n\nz\n" (zh) and "x\n\nz" (en, no final newline) are both 3 lines, the middle one empty.
    segs = read_lines(PAR / name)
    assert [s.text for s in segs][1] == "" and len(segs) == 3
    assert segs[2].line == 3


def test_empty_file_has_no_lines() -> None:
    assert read_lines(DATA / "errors" / "empty.txt") == ()


def test_read_lines_names_its_side_in_errors() -> None:
    with pytest.raises(InputError, match=r"binary\.png:3 \(byte 8\): tgt file: looks binary"):
        read_lines(DATA / "errors" / "binary.png", side="tgt")
    with pytest.raises(UsageError):
        read_lines(PAR / "src.zh.txt", side="hyp")  # type: ignore[arg-type]


def test_read_parallel_line_files() -> None:
    par = read_parallel(PAR / "src.zh.txt", PAR / "tgt.en.txt", [PAR / "ref.en.txt"])
    assert (par.src_lang, par.tgt_lang) == ("zh", "en")
    assert [s.text for s in par.tgt] == EN
    assert len(par.refs) == 1 and [s.text for s in par.refs[0]] == REF  # one stream, as long as src
    assert {s.lang for s in par.refs[0]} == {"en"}
    assert par.encodings == {str(PAR / n): "utf-8" for n in ("src.zh.txt", "tgt.en.txt", "ref.en.txt")}


@pytest.mark.parametrize(
    ("tgt", "refs", "counts", "hint"),
    [
        ("short.en.txt", [], "short.en.txt has 14 lines but", None),  # the last bullet removed
        ("tgt.en.txt", ["trailing-blank.en.txt"], "trailing-blank.en.txt has 16 lines but", "remove the 1 empty line"),
    ],
)
def test_line_count_mismatch_names_both_files_and_counts(
    tgt: str, refs: list[str], counts: str, hint: str | None
) -> None:
    with pytest.raises(InputError) as info:
        read_parallel(PAR / "src.zh.txt", PAR / tgt, [PAR / r for r in refs])
    message = str(info.value)
    assert counts in message and f"{PAR / 'src.zh.txt'} has 15" in message
    assert (hint in message) if hint else ("empty" not in message)


def test_tsv_with_quotes_tabs_and_ids() -> None:
    par = read_parallel(PAR / "table.tsv")
    assert [s.text for s in par.src] == ZH[:5]
    assert par.tgt[2].text == 'A "quoted"\tfield: ' + EN[2]  # written by csv.writer: quoted, quotes doubled
    assert [s.text for s in par.tgt[:2]] == EN[:2]
    assert [s.id for s in par.src] == ["s1", "s2", "s3", "s4", "s5"]
    assert [s.line for s in par.tgt] == [2, 3, 4, 5, 6]  # header on line 1, no row spans lines
    assert len(par.refs) == 1 and [s.text for s in par.refs[0]] == REF[:5]
    assert (par.src_lang, par.tgt_lang) == ("zh", "en")


def test_csv_with_two_reference_columns() -> None:
    par = read_parallel(PAR / "table.csv")  # columns source, target, ref_a, ref_b
    assert len(par.refs) == 2
    assert [s.text for s in par.refs[1]] == [r.upper() for r in REF[:5]]
    only_a = read_parallel(PAR / "table.csv", ref_cols=["ref_a"])
    assert len(only_a.refs) == 1 and [s.text for s in only_a.refs[0]] == REF[:5]


def test_named_columns() -> None:
    par = read_parallel(PAR / "custom-cols.tsv", src_col="zh", tgt_col="EN")  # case-insensitive match
    assert [s.text for s in par.tgt] == EN[:3] and par.refs == ()
    with pytest.raises(InputError, match=r"custom-cols\.tsv:1: no column 'source' \(found: 'zh', 'en'\).*src_col="):
        read_parallel(PAR / "custom-cols.tsv")


def test_jsonl() -> None:
    par = read_parallel(PAR / "table.jsonl")
    assert [s.text for s in par.src] == ZH[:5] and [s.text for s in par.refs[0]] == REF[:5]
    assert [s.id for s in par.tgt] == ["1", "2", "3", "4", "5"]
    multi = read_parallel(PAR / "multiref.jsonl")  # "ref": [reference, English bullet]
    assert [[s.text for s in stream] for stream in multi.refs] == [REF[:3], EN[:3]]


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("bad-json.jsonl", 3, ["not valid JSON"]),  # line 3 cut short by make_files.py
        ("missing-field.jsonl", 4, ["field 'tgt' is missing"]),  # record 4 written without "tgt"
        ("bad-columns.tsv", 5, ["row has 2 columns but the header has 3"]),  # header + 3 rows, then a short one
        ("bad-quote.tsv", 2, ["malformed TSV"]),  # line 2 opens a quote that never closes
    ],
)
def test_table_errors_name_the_line(name: str, line: int, words: list[str]) -> None:
    with pytest.raises(InputError) as info:
        read_parallel(PAR / name)
    assert info.value.line == line
    message = str(info.value)
    assert message.startswith(f"{PAR / name}:{line}: ") and "\n" not in message
    for word in words:
        assert word in message


def test_fmt_overrides_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "table.txt"
    shutil.copy(PAR / "table.tsv", path)
    assert len(read_parallel(path, fmt="tsv").src) == 5
    with pytest.raises(UsageError):
        read_parallel(PAR / "table.tsv", PAR / "tgt.en.txt")  # a table holds every side
    with pytest.raises(UsageError):
        read_parallel(PAR / "src.zh.txt")  # a line file needs its translation
    with pytest.raises(UsageError):
        read_parallel(PAR / "src.zh.txt", PAR / "tgt.en.txt", src_col="zh")


def test_parallel_checks_stream_lengths() -> None:
    src = read_lines(PAR / "src.zh.txt")
    with pytest.raises(ValueError, match="tgt has 14 segments, src has 15"):
        Parallel(src, read_lines(PAR / "short.en.txt"), (), "zh", "en")


def test_wmt22_zh_en() -> None:
    wmt = SHARED / "wmt22-general-zh-en"
    if not wmt.is_dir():
        pytest.skip("../shared/data absent (a user's clone): WMT22 zh-en files not available")
    par = read_parallel(
        wmt / "sources" / "generaltest2022.zh-en.src.zh",
        wmt / "system-outputs" / "zh-en" / "generaltest2022.zh-en.hyp.Online-W.en",
        [wmt / "references" / f"generaltest2022.zh-en.ref.{r}.en" for r in "AB"],
    )
    # ../shared/data/README.md: 1875 segments; Online-W has one empty line (line 1479 by grep -n '^$');
    # reference B line 1364 contains a TAB (awk -F'\t' 'NF>1').
    assert (len(par.src), len(par.tgt), len(par.refs)) == (1875, 1875, 2)
    assert [s.line for s in par.tgt if not s.text] == [1479]
    assert "\t" in par.refs[1][1363].text
    assert (par.src_lang, par.tgt_lang) == ("zh", "en")
