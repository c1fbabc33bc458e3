"""Hostile inputs: each ends in a correct report or one clear error line (exit 2) naming the file,
the line and the fix.

Never a traceback, never a hang (each run is time-bounded: in-process runs by SIGALRM, processes
by a timeout and an address-space limit), never a segment silently lost (a report's pairs.csv
covers every input segment exactly once). Text that attacks the outputs (HTML, spreadsheet
formulas, terminal escapes) comes out inert. Inputs are the small files of tests/data/hostile/
(made by its make_files.py) and big ones built into tmp_path by that script's helpers. Most cases
run the CLI (`evalkit.cli.main`) in-process; table errors are also checked at `read_parallel`.
XML inputs (TMX/XLIFF) are covered by tests/test_tmx_xliff.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from evalkit.cli import main
from evalkit.errors import InputError
from evalkit.io import read_parallel
from evalkit.report.files import safe_child
from evalkit.report.table import unneutralise

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "hostile"
sys.path.insert(0, str(DATA))
import make_files  # noqa: E402  (tests/data/hostile/make_files.py: the big cases and the payloads)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REPORT_FILES = {"pairs.csv", "summary.json", "report.html"}


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that `main`'s catch-all cannot swallow it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def evalkit(capsys: pytest.CaptureFixture[str], cache_dir: Path):
    """Run ``evalkit ARGS`` in-process with the session's embedding cache; returns (code, stdout, stderr)."""

    def run(*args: str | Path, seconds: float = 60) -> tuple[int, str, str]:
        capsys.readouterr()
        with time_limit(seconds):
            code = main([str(a) for a in args] + ["--cache-dir", str(cache_dir), "--bootstrap", "0", "-q"])
        out, err = capsys.readouterr()
        assert "Traceback" not in err and "Traceback" not in out
        return code, out, err

    return run


def assert_one_line_error(code: int, err: str, *parts: str) -> None:
    """Exit 2 and one stderr line: ``evalkit: error: <where>: <what> (<fix>)`` holding ``parts``."""
    assert code == 2, err
    lines = err.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), err
    assert lines[0].endswith(")"), f"no fix in parentheses: {err}"
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"


def read_pairs(out: Path) -> list[dict[str, str]]:
    """pairs.csv as text cells (pandas: Python's csv module refuses cells over 128 KB)."""
    frame = pd.read_csv(out / "pairs.csv", keep_default_na=False, dtype=str, encoding="utf-8")
    return frame.to_dict("records")  # type: ignore[return-value]


def assert_covers(rows: list[dict[str, str]], n_src: int, n_tgt: int) -> None:
    """Every source and target segment appears in exactly one row, in order."""
    for column, n in (("src_ids", n_src), ("tgt_ids", n_tgt)):
        ids = [int(i) for row in rows for i in row[column].split()]
        assert ids == list(range(n)), f"{column}: {ids[:30]}"


# -- inputs that must be refused with one clear line ------------------------------------------------

# (file, what the message says); the line and byte of each come from the file itself (see below).
DOCUMENT_ERRORS = [
    ("binary.bin", "looks binary"),
    ("nul-inside.txt", "looks binary: NUL byte"),
    ("utf16le-nobom.txt", "UTF-16 without a BOM"),
    ("mixed-utf8-gbk.txt", "mixes encodings"),
    ("empty.txt", "has no text"),
    ("whitespace.txt", "has no text"),
    ("one.zh.txt", "only zh segments"),
    ("stray-zh-in-en.txt", "sit inside en text"),
]


@pytest.mark.parametrize(("name", "what"), DOCUMENT_ERRORS, ids=[c[0] for c in DOCUMENT_ERRORS])
def test_document_refused_with_one_line(evalkit, tmp_path: Path, name: str, what: str) -> None:
    path = DATA / name
    code, _, err = evalkit("score", path, "-o", tmp_path / "out")
    assert_one_line_error(code, err, str(path), what)
    assert not (tmp_path / "out" / "pairs.csv").exists()


# Where the message must point: 1-based line and 0-based byte, computed from the bytes.
def _nul_where() -> str:
    data = (DATA / "nul-inside.txt").read_bytes()
    at = data.index(b"\x00")
    line = data.count(b"\n", 0, at) + 1
    return f"nul-inside.txt:{line} (byte {at})"


def _gbk_where() -> str:
    lines = (DATA / "mixed-utf8-gbk.txt").read_bytes().split(b"\n")
    bad = next(i for i, line in enumerate(lines) if not _is_utf8(line))
    return f"mixed-utf8-gbk.txt:{bad + 1} "


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize(("name", "where"), [("nul-inside.txt", _nul_where), ("mixed-utf8-gbk.txt", _gbk_where)])
def test_error_names_line_and_byte(evalkit, tmp_path: Path, name: str, where) -> None:
    code, _, err = evalkit("score", DATA / name, "-o", tmp_path / "out")
    assert_one_line_error(code, err, where())


def test_invalid_utf8_in_the_middle_of_a_large_file(evalkit, tmp_path: Path) -> None:
    """0xFF at line 23,456 of a 9.5 MB file: the error names that line and the byte offset."""
    data, offset = make_files.invalid_utf8_in_middle(40_000, 23_456)
    path = tmp_path / "large.txt"
    path.write_bytes(data)
    code, _, err = evalkit("score", path, "-o", tmp_path / "out", seconds=30)
    assert_one_line_error(code, err, f"large.txt:23456 (byte {offset})", "not UTF-8", "iconv")


def test_subprocess_binary_file_no_traceback(tmp_path: Path, cache_dir: Path) -> None:
    """The real process: exit 2, one line, no traceback, within a time bound."""
    proc = subprocess.run(
        [sys.executable, "-m", "evalkit", "score", str(DATA / "binary.bin"), "-o", str(tmp_path / "out"),
         "--cache-dir", str(cache_dir)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr
    assert_one_line_error(proc.returncode, proc.stderr, "binary.bin:1 (byte 0)", "looks binary")


# -- line-aligned files whose line counts differ -----------------------------------------------------

COUNT_ERRORS = [  # (src, tgt, refs, where: the longer file and its first line without a counterpart, what, fix)
    ("three.zh.txt", "two.en.txt", (), "three.zh.txt:3", "two.en.txt has 2 lines but", "find the missing or extra line"),
    ("three.zh.txt", "three.en.txt", ("four.en.txt",), "four.en.txt:4", "four.en.txt has 4 lines but", "find the missing"),
    ("three.zh.txt", "three-blank.en.txt", (), "three-blank.en.txt:4", "has 5 lines but", "remove the 2 empty line(s)"),
]


@pytest.mark.parametrize(("src", "tgt", "refs", "where", "what", "fix"), COUNT_ERRORS,
                         ids=[c[1] + "+" + ",".join(c[2]) for c in COUNT_ERRORS])  # fmt: skip
def test_line_counts_differ(evalkit, tmp_path: Path, src: str, tgt: str, refs: tuple[str, ...], where: str, what: str, fix: str) -> None:
    ref_args = [a for r in refs for a in ("--ref", DATA / r)]
    code, _, err = evalkit("score", "--src", DATA / src, "--tgt", DATA / tgt, *ref_args, "-o", tmp_path / "out")
    assert_one_line_error(code, err, f"{DATA / where}: ", what, fix)


# -- tables: TSV columns and quotes, JSONL lines -----------------------------------------------------

TABLE_ERRORS = [  # (file, 1-based line named, what the message says)
    ("missing-column.tsv", 3, "row has 1 columns but the header has 2"),
    ("extra-column.tsv", 4, "row has 3 columns but the header has 2"),
    ("bad-quote.tsv", 3, "malformed TSV"),
    ("no-header.tsv", 1, "no column 'source'"),
    ("broken-line.jsonl", 3, "not valid JSON"),
    ("missing-field.jsonl", 4, "field 'tgt' is missing"),
    ("not-string.jsonl", 2, "field 'tgt' is 42, not a string"),
    ("lone-surrogate.jsonl", 2, "field 'src' holds a lone surrogate \\ud800"),  # could not be written as UTF-8
]


@pytest.mark.parametrize(("name", "line", "what"), TABLE_ERRORS, ids=[c[0] for c in TABLE_ERRORS])
def test_table_error_names_the_line(name: str, line: int, what: str) -> None:
    with pytest.raises(InputError) as info:
        read_parallel(DATA / name)
    assert info.value.line == line  # the line numbers are written beside each case in make_files.py
    message = info.value.message
    assert f"{DATA / name}:{line}: " in message and what in message and "\n" not in message
    assert message.endswith(")")  # the fix


@pytest.mark.parametrize(("name", "line", "what"), TABLE_ERRORS, ids=[c[0] for c in TABLE_ERRORS])
def test_table_error_through_the_cli(evalkit, tmp_path: Path, name: str, line: int, what: str) -> None:
    code, _, err = evalkit("score", "--src", DATA / name, "-o", tmp_path / "out")
    assert_one_line_error(code, err, f"{DATA / name}:{line}: ", what)


def test_tsv_quotes_and_embedded_tabs_report(evalkit, tmp_path: Path) -> None:
    """The quoted TSV scores as three pairs whose texts come back whole from pairs.csv."""
    code, _, err = evalkit("score", "--src", DATA / "quoted-tabs.tsv", "-o", tmp_path / "out")
    assert code == 0, err
    rows = read_pairs(tmp_path / "out")
    assert_covers(rows, 3, 3)
    data = read_parallel(DATA / "quoted-tabs.tsv")
    assert [unneutralise(r["target"]) for r in rows] == [s.text for s in data.tgt]
    assert [unneutralise(r["source"]) for r in rows] == [s.text for s in data.src]


def test_tsv_quotes_and_embedded_tabs_kept() -> None:
    """Quoted cells keep their tabs, doubled quotes and newlines; no row is lost or merged."""
    data = read_parallel(DATA / "quoted-tabs.tsv")
    zh, en = make_files.ZH, make_files.EN
    assert [s.text for s in data.src] == [f"{zh[0]}\t(tab)", zh[1], zh[2]]
    assert [s.text for s in data.tgt] == [f'{en[0]} "quoted" \t tab', f"{en[1]}\nsecond line", en[2]]
    assert [s.line for s in data.src] == [2, 3, 5]  # row 2 spans lines 3-4


# -- inputs that must give a correct report ---------------------------------------------------------


def test_one_pair_document(evalkit, tmp_path: Path) -> None:
    code, _, err = evalkit("score", DATA / "one-pair.txt", "-o", tmp_path / "out")
    assert code == 0, err
    rows = read_pairs(tmp_path / "out")
    assert len(rows) == 1 and rows[0]["link"] == "1-1"
    assert rows[0]["source"] == make_files.ZH[0] and rows[0]["target"] == make_files.EN[0]


def test_lone_cr_line_ends(evalkit, tmp_path: Path) -> None:
    """A file with classic Mac OS line ends (CR only) is read line by line, not as one line."""
    code, _, err = evalkit("score", DATA / "cr-only.txt", "-o", tmp_path / "out")
    assert code == 0, err
    rows = read_pairs(tmp_path / "out")
    assert_covers(rows, 3, 3)  # make_files.py: ZH[:3] and EN[:3]
    assert [r["source"] for r in rows] == make_files.ZH[:3]


def test_one_line_parallel(evalkit, tmp_path: Path) -> None:
    code, _, err = evalkit("score", "--src", DATA / "one.zh.txt", "--tgt", DATA / "one.en.txt", "-o", tmp_path / "out")
    assert code == 0, err
    rows = read_pairs(tmp_path / "out")
    assert_covers(rows, 1, 1)
    assert json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))["counts"]["links"] == 1


def _attack_texts() -> tuple[list[str], list[str]]:
    src = (DATA / "attack.zh.txt").read_text(encoding="utf-8").splitlines()
    tgt = (DATA / "attack.en.txt").read_text(encoding="utf-8").splitlines()
    return src, tgt


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip() == cell and not cell.lower().lstrip("+-").startswith(("inf", "nan"))


def _assert_outputs_defused(out: Path, src: list[str], tgt: list[str]) -> None:
    rows = read_pairs(out)
    assert_covers(rows, len(src), len(tgt))
    raw_csv = (out / "pairs.csv").read_text(encoding="utf-8")
    for row in csv.reader(io.StringIO(raw_csv)):
        for cell in row:
            # a number is no formula: qe (predicted MQM) and the cosine are negative, "-5.0139" is a value
            assert not cell.startswith(FORMULA_START) or _is_number(cell), f"formula cell not neutralised: {cell[:60]!r}"
    by_src = {int(r["src_ids"]): r for r in rows if r["src_ids"]}
    for i, (s, t) in enumerate(zip(src, tgt)):
        assert unneutralise(by_src[i]["source"]) == s and unneutralise(by_src[i]["target"]) == t
    html = (out / "report.html").read_text(encoding="utf-8")
    for raw in ("<script>alert", "<img src=x onerror", 'href="javascript:', "</textarea><b>"):
        assert raw not in html, f"raw {raw!r} in report.html"
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    summary = (out / "summary.json").read_text(encoding="utf-8")
    json.loads(summary, parse_constant=lambda c: pytest.fail(f"{c} in summary.json"))


def test_attacks_parallel(evalkit, tmp_path: Path) -> None:
    src, tgt = _attack_texts()
    code, _, err = evalkit("score", "--src", DATA / "attack.zh.txt", "--tgt", DATA / "attack.en.txt", "-o", tmp_path / "o")
    assert code == 0, err
    _assert_outputs_defused(tmp_path / "o", src, tgt)


def test_attacks_document(evalkit, tmp_path: Path) -> None:
    src, tgt = _attack_texts()
    code, _, err = evalkit("score", DATA / "attack-doc.txt", "-o", tmp_path / "o")
    assert code == 0, err
    _assert_outputs_defused(tmp_path / "o", src, tgt)


TERMINAL_ATTACKS = [
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: write to the clipboard
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\",  # OSC 8: a hidden hyperlink
    "\x1b[2J\x1b[H",  # CSI: clear the screen
    "\x9b2J",  # C1 CSI
]


@pytest.mark.parametrize("payload", TERMINAL_ATTACKS, ids=["osc52", "osc8", "csi", "c1"])
def test_console_summary_prints_no_control_sequences(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, payload: str
) -> None:
    """A segment's escape sequences must not reach the terminal: the flagged pair is printed, its
    control characters are not (a terminal would obey them)."""
    import click.utils

    from evalkit.records import Flag, Link, Report, ScoredLink
    from evalkit.report.console import print_summary

    monkeypatch.setattr(click.utils, "should_strip_ansi", lambda stream=None, color=None: False)  # as on a terminal

    flag = Flag("unpaired", "unpaired: source segment has no counterpart (1-0)")
    link = ScoredLink(Link((0,), ()), source=f"习近平{payload}访问", target="", flags=(flag,))
    report = Report({"document": "d"}, "zh", "en", (link,), {}, {}, "defaults", {"id": "m"})
    print_summary(report, {"pairs.csv": Path("pairs.csv")})
    out, err = capsys.readouterr()
    assert "习近平" in out
    printed = re.sub("\x1b\\[[0-9;]*m", "", out + err)  # evalkit's own colours (SGR) are fine
    for ch in "\x1b\x07\x9b":
        assert ch not in printed, f"{ch!r} reached the terminal"


@pytest.mark.slow
def test_ten_megabyte_line(tmp_path: Path, cache_dir: Path) -> None:
    """A document of one 10 MB Chinese line and one 10 MB English line: a report of one link, in a
    subprocess held to 6 GB of address space so a blow-up fails the test, not the machine."""
    path = tmp_path / "big.txt"
    path.write_text(make_files.big_document(10_000_000), encoding="utf-8")
    proc = _limited_run(["score", str(path), "-o", str(tmp_path / "out"), "--cache-dir", str(cache_dir),
                         "--bootstrap", "0", "-q"], seconds=400)  # fmt: skip
    assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    if proc.returncode == 2:
        assert_one_line_error(2, proc.stderr, str(path))
    else:
        rows = read_pairs(tmp_path / "out")
        assert_covers(rows, 1, 1)
        assert len(rows[0]["source"]) > 3_000_000 and len(rows[0]["target"]) > 9_000_000


@pytest.mark.slow
def test_a_million_short_lines(tmp_path: Path) -> None:
    """1,000,000 short parallel lines are read and written to pairs.csv/summary.json with no line
    lost. The readers and writers only: embedding 2M texts with the bundled CPU model takes hours
    (measured ~50 lines/s on the 2-core CI machine), which is throughput, not a hostile input."""
    from evalkit.records import Link, Report, ScoredLink
    from evalkit.report.csv import write_pairs_csv
    from evalkit.report.summary import write_summary

    n = 1_000_000
    src, tgt = make_files.big_lines(n)
    (tmp_path / "src.zh").write_text(src, encoding="utf-8")
    (tmp_path / "tgt.en").write_text(tgt, encoding="utf-8")
    with time_limit(600):
        data = read_parallel(tmp_path / "src.zh", tmp_path / "tgt.en")
        assert len(data.src) == len(data.tgt) == n
        links = tuple(ScoredLink(Link((i,), (i,)), a.text, b.text, src_lines=(a.line,), tgt_lines=(b.line,))
                      for i, (a, b) in enumerate(zip(data.src, data.tgt)))  # fmt: skip
        report = Report({"source": "src.zh", "target": "tgt.en"}, data.src_lang, data.tgt_lang, links, {}, {}, "defaults", {})
        write_pairs_csv(report, tmp_path / "pairs.csv")
        write_summary(report, tmp_path / "summary.json")
    rows = pd.read_csv(tmp_path / "pairs.csv", keep_default_na=False, dtype=str)
    assert list(rows["src_ids"]) == [str(i) for i in range(n)]
    assert list(rows["source"]) == src.split("\n")[:-1] and list(rows["target"]) == tgt.split("\n")[:-1]
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["counts"]["links"] == n


def _limited_run(args: list[str], seconds: float, memory: int = 6 << 30) -> subprocess.CompletedProcess[str]:
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True, text=True,
                          timeout=seconds, preexec_fn=limit)  # fmt: skip


# -- output paths ------------------------------------------------------------------------------------


def test_output_folder_created(evalkit, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c"
    code, _, err = evalkit("score", DATA / "one-pair.txt", "-o", out)
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == REPORT_FILES  # and no temporary file left behind
    mode = (out / "pairs.csv").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # what a plain open() gives, not mkstemp's 0o600


def test_output_under_a_regular_file(evalkit, tmp_path: Path) -> None:
    blocker = tmp_path / "somefile.txt"
    blocker.write_text("not a folder\n", encoding="utf-8")
    code, _, err = evalkit("score", DATA / "one-pair.txt", "-o", blocker / "sub")
    assert_one_line_error(code, err, str(blocker / "sub"), "cannot create the output folder", "-o")
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"


def test_output_is_an_existing_file(evalkit, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("keep\n", encoding="utf-8")
    code, out, err = evalkit("score", DATA / "one-pair.txt", "-o", blocker)
    assert code == 2 and "is a file" in err, err  # click's own usage error (three lines: usage, hint, error)
    assert blocker.read_text(encoding="utf-8") == "keep\n"


def test_report_name_taken_by_a_folder(evalkit, tmp_path: Path) -> None:
    (tmp_path / "out" / "pairs.csv").mkdir(parents=True)
    code, _, err = evalkit("score", DATA / "one-pair.txt", "-o", tmp_path / "out")
    assert_one_line_error(code, err, str(tmp_path / "out" / "pairs.csv"), "cannot write (Is a directory)")
    assert os.listdir(tmp_path / "out") == ["pairs.csv"]  # no temporary file left


def test_report_name_planted_as_a_symlink(evalkit, tmp_path: Path) -> None:
    """A symlink planted where pairs.csv goes is replaced, not followed: the file it points to is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "pairs.csv").symlink_to(victim)
    code, _, err = evalkit("score", DATA / "one-pair.txt", "-o", out)
    assert code == 0, err
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not (out / "pairs.csv").is_symlink() and len(read_pairs(out)) == 1


def test_output_folder_read_only(evalkit, tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable")
        code, _, err = evalkit("score", DATA / "one-pair.txt", "-o", out)
        assert_one_line_error(code, err, str(out), "not writable")
    finally:
        out.chmod(0o755)


def test_output_path_with_dotdot_is_the_users_choice(evalkit, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    code, _, err = evalkit("score", DATA / "one-pair.txt", "-o", tmp_path / "x" / ".." / "y")
    assert code == 0, err
    assert {p.name for p in (tmp_path / "y").iterdir()} == REPORT_FILES


@pytest.mark.parametrize("name", ["../pairs.csv", "../../etc/passwd", "sub/pairs.csv", "..", ".", "", "/tmp/x.csv"])
def test_safe_child_keeps_names_inside(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="must not contain a folder"):
        safe_child(tmp_path, name)


def test_safe_child_plain_name(tmp_path: Path) -> None:
    assert safe_child(tmp_path, "report.html") == (tmp_path / "report.html").resolve()
