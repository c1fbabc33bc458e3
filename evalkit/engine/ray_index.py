"""The index of the Ray engine's inputs: one pass over the files before any shard is read.

Rows must keep their order and line numbers exactly, which `ray.data.read_text` does not give (no line
numbers; blocks of several read tasks arrive in any order). So one pass (:func:`index_inputs`, run as
one Ray task) validates the encoding, counts the lines, checks that line-aligned files have as many
lines (the same `InputError` as the local reader) and records the byte offset of every line where a
shard or its overlap starts; shard tasks then read by byte range (`evalkit.engine.ray_io`).

Formats: line files (source, target, references), JSONL (fields as the local reader: ``src``, ``tgt``,
every field starting with ``ref``, optional ``id``) and Parquet (the same column names; a
``list<string>`` column holds several references). Encoding: UTF-8 with or without a BOM. A file the
local reader would refuse gives the same error; a GB18030 or UTF-16/32 file, which the local reader
accepts, is refused with a fix, since its lines cannot be split by byte without decoding it whole.
TSV/CSV tables are refused (a quoted field may hold a newline): convert them to JSONL or Parquet.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from ..errors import InputError, UsageError
from ..io.document import WHITESPACE
from ..io.formats import require
from ..report.summary import fingerprint_update
from .ray_io import (
    OTHER_BOMS,
    SCAN_CHUNK,
    UTF8_BOM,
    Inputs,
    Kind,
    filesystem_of,
    jsonl_records,
    mark_rows,
    parquet_table,
    raw_lines,
    read_rows,
    refusal,
    resolve_location,
    side_error,
)

__all__ = ["index_inputs", "input_kind", "line_fingerprint", "scan_lines", "shard_ranges"]

class _Digests:
    """`evalkit.report.summary.fingerprint` of several text streams, fed one text at a time."""

    def __init__(self, streams: int) -> None:
        self.digests = [hashlib.sha256() for _ in range(streams)]

    def add(self, stream: int, text: str) -> None:
        fingerprint_update(self.digests[stream], (text,))

    def hex(self) -> tuple[str, ...]:
        return tuple(d.hexdigest() for d in self.digests)


def line_fingerprint(location: str) -> str:
    digests = _Digests(1)
    for raw in raw_lines(location, 0, SCAN_CHUNK):
        digests.add(0, raw.decode("utf-8").strip(WHITESPACE))
    return digests.hex()[0]


def input_kind(src: str) -> Kind:
    """``"jsonl"``/``"parquet"`` for a table, ``"lines"`` otherwise, from the format registry
    (`evalkit.io.formats`); a format the Ray engine does not read (TSV, CSV, TMX, XLIFF) is its `UsageError`."""
    fmt = require(src, "ray")
    return fmt.name if fmt.kind == "table" else "lines"  # type: ignore[return-value]  # the Ray table formats are Kinds


def shard_ranges(n: int, shard_rows: int) -> list[tuple[int, int]]:
    """[lo, hi) row ranges of the shards of ``n`` rows."""
    return [(lo, min(n, lo + shard_rows)) for lo in range(0, n, shard_rows)]


def scan_lines(location: str, name: str, side: str, shard_rows: int, overlap: int) -> tuple[int, list[int]]:
    """(number of lines, byte offsets of the indexed rows) of a UTF-8 line file."""
    fs, inner = filesystem_of(location)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    marks = mark_rows(shard_rows, overlap)
    target = next(marks)
    offsets: list[int] = []
    pos = newlines = bom = 0
    last = b""
    try:
        with fs.open_input_stream(inner) as fh:
            while chunk := fh.read(SCAN_CHUNK):
                if pos == 0:
                    if chunk.startswith(OTHER_BOMS):
                        raise refusal(location, name, side)
                    bom = len(UTF8_BOM) if chunk.startswith(UTF8_BOM) else 0
                if b"\x00" in chunk:
                    raise refusal(location, name, side)
                decoder.decode(chunk)
                count, at, seen = chunk.count(b"\n"), 0, newlines
                while target <= newlines + count:  # row `target` starts after the target-th newline
                    while seen < target:
                        at = chunk.index(b"\n", at) + 1
                        seen += 1
                    offsets.append(bom if target == 0 else pos + at)
                    target = next(marks)
                newlines += count
                pos += len(chunk)
                last = chunk[-1:]
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise refusal(location, name, side) from None
    except OSError as exc:
        raise side_error(InputError(name, f"cannot read the file: {exc}", "check the path"), side) from None
    lines = newlines + (1 if pos > bom and last != b"\n" else 0)
    return lines, offsets


class _Lines:
    """A file's lines as the local reader's count check sees its segments: a length, and a tail
    (``lines[k:]``) of items with a ``text``, read lazily from the file."""

    def __init__(self, location: str, count: int, start: int = 0) -> None:
        self.location, self.count, self.start = location, count, start

    def __len__(self) -> int:
        return self.count - self.start

    def __getitem__(self, rows: slice) -> _Lines:
        return _Lines(self.location, self.count, self.start + (rows.start or 0))

    def __iter__(self) -> Iterator[SimpleNamespace]:
        for i, raw in enumerate(raw_lines(self.location, 0, SCAN_CHUNK)):
            if i >= self.start:
                yield SimpleNamespace(text=raw.decode("utf-8").strip(WHITESPACE))


def _check_counts(names: Sequence[str], locations: Sequence[str], counts: Sequence[int]) -> None:
    """The local reader's count check (`evalkit.io.parallel.check_line_count`, same errors) on every file."""
    from ..io.parallel import check_line_count

    for k in range(1, len(names)):
        src, other = _Lines(locations[0], counts[0]), _Lines(locations[k], counts[k])
        check_line_count(names[0], src, names[k], other)  # type: ignore[arg-type]


def _index_lines(names: Sequence[str], locations: Sequence[str], shard_rows: int, overlap: int) -> Inputs:
    sides = ["src", "tgt"] + ["ref"] * (len(names) - 2)
    scans = [scan_lines(loc, name, side, shard_rows, overlap) for loc, name, side in zip(locations, names, sides)]
    counts = [count for count, _ in scans]
    _check_counts(names, locations, counts)
    inputs = Inputs("lines", tuple(names), tuple(locations), counts[0], shard_rows, overlap)
    keep = len(inputs.marks())  # a scan may record a mark at the very end of a file
    return replace(inputs, offsets=tuple(tuple(offsets[:keep]) for _, offsets in scans),
                   fingerprints=tuple(line_fingerprint(location) for location in locations))  # fmt: skip


def _columns(name: str, fmt: str, names: list[str]) -> tuple[str, str, list[str]]:
    """Source, target and reference fields, resolved as the local reader resolves them."""
    from ..io.parallel import resolve_column

    src = resolve_column(Path(name), fmt, "src", names, "src_col")
    tgt = resolve_column(Path(name), fmt, "tgt", names, "tgt_col")
    return src, tgt, [k for k in names if k.lower().startswith("ref") and k not in (src, tgt)]


def _index_jsonl(name: str, location: str, shard_rows: int, overlap: int) -> Inputs:
    from ..io.parallel import table_cell

    fields: dict[str, None] = {}
    for _, _, record in jsonl_records(location, name):
        fields.update(dict.fromkeys(record))
    src, tgt, refs = _columns(name, "jsonl", list(fields))
    marks = mark_rows(shard_rows, overlap)
    target, n, has_ids = next(marks), 0, False
    offsets: list[int] = []
    lines: list[int] = []
    widths: list[int] = []
    digests: _Digests | None = None
    for offset, line, record in jsonl_records(location, name):
        texts = [table_cell(Path(name), line, record, field)[0] for field in (src, tgt)]
        cells = [table_cell(Path(name), line, record, field, many=True) for field in refs]
        row_widths = [len(values) for values in cells]
        if not widths:
            first_line, widths = line, row_widths
            digests = _Digests(2 + sum(widths))
        for field, have, want in zip(refs, row_widths, widths):
            if have != want:
                raise InputError(name, f"field {field!r} holds {have} references, on line {first_line} {want}",
                                 "give every line as many references", line=line)  # fmt: skip
        for k, text in enumerate(texts + [v for values in cells for v in values]):
            digests.add(k, text.strip(WHITESPACE))  # type: ignore[union-attr]
        has_ids = has_ids or record.get("id") not in (None, "")
        if n == target:
            offsets.append(offset)
            lines.append(line)
            target = next(marks)
        n += 1
    return Inputs("jsonl", (name,), (location,), n, shard_rows, overlap, (tuple(offsets),), tuple(lines),
                  (src, tgt, *refs), tuple(widths or [1] * len(refs)), has_ids,
                  fingerprints=(digests or _Digests(2 + len(refs))).hex())  # fmt: skip


def _index_parquet(names: Sequence[str], locations: Sequence[str], shard_rows: int, overlap: int) -> Inputs:
    import pyarrow.parquet as pq

    groups: list[tuple[int, int, int, int]] = []
    n = 0
    schema_names: list[str] = []
    for f, location in enumerate(locations):
        fs, inner = filesystem_of(location)
        meta = pq.ParquetFile(inner, filesystem=fs).metadata
        schema_names = schema_names or list(meta.schema.to_arrow_schema().names)
        for g in range(meta.num_row_groups):
            rows = meta.row_group(g).num_rows
            groups.append((f, g, n, rows))
            n += rows
    src, tgt, refs = _columns(names[0], "parquet", schema_names)
    widths = [1] * len(refs)
    has_ids = "id" in schema_names
    if n and refs:  # a list<string> reference column holds several references: as many as in row 1
        first = parquet_table(locations, groups[:1], [*refs])
        widths = [len(v) if isinstance(v, list) else 1 for v in (first.column(c)[0].as_py() for c in refs)]
    inputs = Inputs("parquet", tuple(names), tuple(locations), n, shard_rows, overlap, columns=(src, tgt, *refs),
                    ref_widths=tuple(widths), has_ids=has_ids, row_groups=tuple(groups))  # fmt: skip
    digests = _Digests(2 + sum(widths))
    for _, _, first_row, count in groups:  # every row once: fingerprints, and null cells found before any work
        rows = read_rows(inputs, first_row, first_row + count)
        for k, stream in enumerate([rows.src, rows.tgt, *rows.refs]):
            for text in stream:
                digests.add(k, text)
    return replace(inputs, fingerprints=digests.hex())


def index_inputs(kind: Kind, names: Sequence[str], shard_rows: int, overlap: int) -> Inputs:
    """Validate and index the input files (``names``: src, tgt, refs for line files; the table files otherwise)."""
    if shard_rows < 1 or not 0 <= overlap < shard_rows:
        raise UsageError(f"shard_rows={shard_rows}, overlap={overlap}", "use shard_rows >= 1 and 0 <= overlap < shard_rows")
    locations = [resolve_location(name) for name in names]
    sides: list[str | None] = [None] * len(names)
    if kind == "lines":
        sides = ["src", "tgt", *(["ref"] * (len(names) - 2))]
    for name, location, side in zip(names, locations, sides):
        try:
            if "://" not in location:  # the local reader's message for a missing file, a folder, no permission
                open(location, "rb").close()  # noqa: SIM115
        except OSError as exc:
            error = InputError(name, f"cannot read the file: {exc.strerror or exc}", "check the path")
            raise side_error(error, side) from None
    if kind == "lines":
        if len(names) < 2:
            raise UsageError(f"{names[0]}: a line file holds one side only", "give the translation file as tgt")
        return _index_lines(names, locations, shard_rows, overlap)
    if kind == "jsonl":
        if len(names) != 1:
            raise UsageError("a jsonl file holds every side; got a tgt or refs file too", "pass only the one file")
        return _index_jsonl(names[0], locations[0], shard_rows, overlap)
    return _index_parquet(names, locations, shard_rows, overlap)
