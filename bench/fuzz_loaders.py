"""Fuzz the input readers with hypothesis: random and mutated bytes must end in a result or an
`evalkit.errors.EvalkitError` (InputError, UsageError), never in any other exception or a hang.

Readers run on every input: ``read_text``, ``read_document``, ``read_lines``, ``read_references``,
``read_parallel`` on two line files, and ``read_parallel`` on the bytes named ``.tsv``, ``.csv`` and
``.jsonl``. Inputs are drawn from four generators: raw bytes; text made of tokens that matter to
the readers (separators, quotes, JSON pieces, bullets, Chinese, control characters) in one of
several encodings, with or without a BOM; the seed document and test tables cut and mutated byte
by byte; rows of a table built field by field. Results also pass light checks: decoding loses or
adds no line, segments are trimmed, indexed 0..n-1 and encodable as UTF-8 (what the reports are
written in), a line file gives one segment per line, a document has segments on both sides.

    .venv/bin/python bench/fuzz_loaders.py --seconds 600    # prints a summary; exit 1 on a crash
    .venv/bin/python bench/fuzz_loaders.py --seconds 30 --crash-dir /tmp/crashes

A crash is shrunk by hypothesis to a small input; it is printed and, with --crash-dir, saved as
``<reader>-<n>.bin`` for a regression test. Uses one core.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import platform
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from evalkit.errors import EvalkitError
from evalkit.io import read_document, read_lines, read_parallel, read_text
from evalkit.io.document import WHITESPACE
from evalkit.io.references import read_references

ROOT = Path(__file__).resolve().parents[1]
SLOW_S = 5.0  # one reader on one input of at most a few KB: slower than this counts as a hang

_TOKENS = [
    "\t", ",", ";", '"', "'", "\n", "\r\n", "\r", " ", "\u3000", "\ufeff", "\u200b", "\x00", "\x0b", "\x1b",
    "{", "}", "[", "]", ":", '"src"', '"tgt"', '"ref"', '"id"', "null", "1", "true", '"', "\\", '\\u00', '\\ud800',
    "source", "target", "reference", "ref", "id", "=", "+", "-", "@", "=HYPERLINK(\"x\")",
    "•", "- ", "* ", "1. ", "(1) ", "1、", "# ", "## ", "...", "。", "，", "“", "”",
    "中国", "习近平", "国防", "合作", "鑫", "乂", "Xi", "Putin", "defense", "ties", "The", "a", "Größe", "Ελλάδα",
    "Москва", "東京", "ひらがな", "한국어", "عربى", "🙂", "\U00020000", "\ud7ff", "<script>", "&amp;",
]
_CODECS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "gb18030", "gbk", "latin-1", "cp1252"]


def _seeds() -> list[bytes]:
    files = [ROOT / "seeds" / "xi-putin-defense-ties.zh-en.txt", ROOT / "references" / "xi-putin-defense-ties.ref.en.txt"]
    files += sorted((ROOT / "tests" / "data" / "io").rglob("*.*"))
    out = []
    for f in files:
        if f.is_file() and f.suffix != ".py":
            out.append(f.read_bytes()[:4000])
    return out or [b"a\tb\n"]


def _encode(text: str, codec: str) -> bytes:
    return text.encode(codec, errors="surrogatepass" if codec.startswith("utf") else "replace")


@st.composite
def token_text(draw: st.DrawFn) -> bytes:
    text = "".join(draw(st.lists(st.sampled_from(_TOKENS) | st.text(max_size=4), max_size=80)))
    codec = draw(st.sampled_from(_CODECS))
    try:
        return _encode(text, codec)
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogatepass")


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    start = draw(st.integers(0, len(data)))
    data = data[start : start + draw(st.integers(0, 2000))]
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4) | st.sampled_from([t.encode("utf-8", "surrogatepass") for t in _TOKENS]))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 4))]
        elif op == "dup" and data:
            end = draw(st.integers(pos, min(len(data), pos + 200)))
            data[pos:pos] = data[pos:end]
    return bytes(data)


@st.composite
def table_rows(draw: st.DrawFn) -> bytes:
    cell = st.lists(st.sampled_from([t for t in _TOKENS if t not in ("\x00", "\ud800")]), max_size=6).map("".join)
    sep = draw(st.sampled_from(["\t", ","]))
    if not draw(st.integers(0, 2)):  # JSONL: objects, some broken
        lines = []
        for _ in range(draw(st.integers(0, 6))):
            record = draw(st.dictionaries(st.sampled_from(["src", "tgt", "ref", "ref2", "id", "x"]),
                                          cell | st.lists(cell, max_size=3) | st.integers() | st.none(), max_size=5))
            line = json.dumps(record, ensure_ascii=draw(st.booleans()))
            if draw(st.integers(0, 5)) == 0:
                line = line[: draw(st.integers(0, len(line)))]
            lines.append(line)
        return "\n".join(lines).encode("utf-8", "surrogatepass")
    names = ["source", "target", "reference", "ref_b", "id", "Source", ""]
    header = ["source", "target"] + draw(st.lists(st.sampled_from(names), max_size=3))
    header = draw(st.permutations(header)) if draw(st.integers(0, 3)) else draw(st.lists(st.sampled_from(names), max_size=5))
    rows = [header]
    for _ in range(draw(st.integers(0, 6))):  # mostly as wide as the header, sometimes one off
        n = len(header) if draw(st.integers(0, 3)) else draw(st.integers(max(0, len(header) - 1), len(header) + 1))
        rows.append(draw(st.lists(cell, min_size=n, max_size=n)))
    if draw(st.integers(0, 3)):  # well-formed: the csv module quotes what needs quoting
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=sep, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
        return buffer.getvalue().encode("utf-8", "surrogatepass")
    return "\n".join(sep.join(row) for row in rows).encode("utf-8", "surrogatepass")


_SEEDS = _seeds()
INPUTS = st.one_of(st.binary(max_size=600), token_text(), mutated_seed(), table_rows(), table_rows(), table_rows())


def _check_lines(data: bytes, segs: tuple) -> None:
    for i, s in enumerate(segs):
        if s.index != i or s.text != s.text.strip(WHITESPACE):
            raise AssertionError(f"segment {i} badly formed: {s!r}")
        s.text.encode("utf-8")  # the reports are UTF-8: a lone surrogate could not be written
        (s.id or "").encode("utf-8")


def _readers(tmp: Path) -> dict[str, Callable[[bytes], None]]:
    def put(name: str, data: bytes) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    def text(data: bytes) -> None:
        decoded = read_text(put("in.txt", data))
        # CR-LF ends a line, a lone CR is text ("\r\r\n" reads as "\r\n"): the line count stays.
        ends = data.count(b"\r" if decoded.newline == "\r" else b"\n")
        if decoded.encoding == "utf-8" and decoded.text.count("\n") != ends:
            raise AssertionError("decoding changed the number of lines")

    def document(data: bytes) -> None:
        doc = read_document(put("doc.txt", data))
        _check_lines(data, doc.src)
        _check_lines(data, doc.tgt)
        if not doc.src or not doc.tgt:
            raise AssertionError("a document read without error has segments on both sides")

    def lines(data: bytes) -> None:
        path = put("lines.txt", data)
        segs = read_lines(path)
        _check_lines(data, segs)
        text = read_text(path).text
        expected = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if len(segs) != expected:
            raise AssertionError(f"{len(segs)} segments from {expected} lines")

    def references(data: bytes) -> None:
        _check_lines(data, read_references(put("ref.txt", data), lang="en"))

    def parallel_lines(data: bytes) -> None:
        half = len(data) // 2
        p = read_parallel(put("a.txt", data[:half]), put("b.txt", data[half:]))
        if len(p.src) != len(p.tgt):
            raise AssertionError("parallel streams differ in length")

    def table(suffix: str) -> Callable[[bytes], None]:
        def run(data: bytes) -> None:
            p = read_parallel(put("table" + suffix, data))
            _check_lines(data, p.src)
            _check_lines(data, p.tgt)

        return run

    return {
        "read_text": text,
        "read_document": document,
        "read_lines": lines,
        "read_references": references,
        "read_parallel(lines)": parallel_lines,
        "read_parallel(.tsv)": table(".tsv"),
        "read_parallel(.csv)": table(".csv"),
        "read_parallel(.jsonl)": table(".jsonl"),
    }


class Crash(Exception):
    def __init__(self, reader: str, data: bytes, detail: str) -> None:
        super().__init__(f"{reader}: {detail}")
        self.reader, self.data, self.detail = reader, data, detail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600, help="how long to fuzz (default 600)")
    parser.add_argument("--crash-dir", type=Path, default=None, help="save each crashing input here")
    parser.add_argument("--batch", type=int, default=200, help="inputs per hypothesis run (default 200)")
    args = parser.parse_args(argv)

    tried = 0
    outcomes: Counter[str] = Counter()
    crashes: dict[str, Crash] = {}  # first line of the traceback's last frame -> shrunk example
    slowest = (0.0, "", b"")
    with tempfile.TemporaryDirectory(prefix="evalkit-fuzz-") as tmpdir:
        readers = _readers(Path(tmpdir))
        shrinking = False

        @settings(max_examples=args.batch, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])  # fmt: skip
        @given(INPUTS)
        def fuzz(data: bytes) -> None:
            nonlocal tried, slowest, shrinking
            if not shrinking:
                tried += 1
            for name, reader in readers.items():
                t0 = time.perf_counter()
                try:
                    reader(data)
                    outcome = "ok"
                except EvalkitError as exc:
                    outcome = type(exc).__name__
                except Exception as exc:  # noqa: BLE001 - the point of a fuzzer
                    shrinking = True  # later calls of this run are hypothesis shrinking the input
                    tb = traceback.extract_tb(exc.__traceback__)[-1]
                    raise Crash(name, data, f"{type(exc).__name__}: {exc} at {tb.filename}:{tb.lineno}") from exc
                took = time.perf_counter() - t0
                if took > slowest[0]:
                    slowest = (took, name, data)
                if took > SLOW_S:
                    shrinking = True
                    raise Crash(name, data, f"took {took:.1f} s (hang?)")
                if not shrinking:
                    outcomes[f"{name}: {outcome}"] += 1

        start = time.monotonic()
        while time.monotonic() - start < args.seconds:
            shrinking = False
            try:
                fuzz()
            except Exception as exc:  # a Crash, or several distinct ones in an ExceptionGroup
                found = exc.exceptions if isinstance(exc, BaseExceptionGroup) else [exc]
                for crash in found:
                    if not isinstance(crash, Crash):
                        crash = Crash("?", b"", f"{type(crash).__name__}: {crash}")
                    key = f"{crash.reader}|{crash.detail.split(' at ')[-1]}"
                    crashes.setdefault(key, crash)
                    print(f"CRASH {crash}: input {crash.data[:300]!r}", file=sys.stderr, flush=True)
        elapsed = time.monotonic() - start

    if args.crash_dir:
        args.crash_dir.mkdir(parents=True, exist_ok=True)
        (args.crash_dir / "slowest.bin").write_bytes(slowest[2])
        for n, crash in enumerate(crashes.values()):
            safe = "".join(c if c.isalnum() else "_" for c in crash.reader)
            (args.crash_dir / f"{safe}-{n}.bin").write_bytes(crash.data)
    print(f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"duration: {elapsed:.0f} s; inputs tried: {tried} (each through {len(_readers(Path('.')))} readers)")
    print(f"slowest reader call: {slowest[0] * 1000:.0f} ms ({slowest[1]}, {len(slowest[2])} bytes)")
    for key, n in sorted(outcomes.items()):
        print(f"  {key}: {n}")
    print(f"crashes (distinct): {len(crashes)}")
    for crash in crashes.values():
        print(f"  {crash}: {crash.data[:200]!r}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
