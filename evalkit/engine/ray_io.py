"""Shard reads and output writes of the Ray engine; the `Inputs` index they work from (see `ray_index`).

Each shard task seeks to the byte offset the index recorded for its first line and reads only its own
lines (and the shift check's overlap), so the reading is parallel and every row keeps its line number.
Paths may be local (on a file system all workers see) or any URI pyarrow opens: ``s3://``, ``gs://``,
``hdfs://``, ``abfs://``. Outputs go to the same kinds of places, one file per shard.

No Ray import here: these functions run inside Ray tasks and are tested without a cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError
from ..io.document import WHITESPACE
from ..io.encoding import decode_bytes
from ..io.parallel import jsonl_rows

__all__ = [
    "OTHER_BOMS",
    "SCAN_CHUNK",
    "UTF8_BOM",
    "Inputs",
    "Kind",
    "Rows",
    "filesystem_of",
    "jsonl_records",
    "mark_rows",
    "parquet_bytes",
    "parquet_table",
    "prepare_output",
    "raw_lines",
    "read_rows",
    "refusal",
    "resolve_location",
    "side_error",
    "write_bytes",
]

Kind = Literal["lines", "jsonl", "parquet"]
SCAN_CHUNK = 8 << 20  # bytes per read while indexing
_READ_CHUNK = 1 << 20  # bytes per read of one shard
UTF8_BOM = b"\xef\xbb\xbf"
OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")  # UTF-16/32 (the UTF-32 LE BOM starts like UTF-16 LE)


def resolve_location(path: str) -> str:
    """An absolute path or a URI: shard tasks run in other processes, maybe on other machines."""
    return path if "://" in path else str(Path(path).expanduser().resolve())


def filesystem_of(location: str) -> tuple[Any, str]:
    import pyarrow.fs as pafs

    if "://" in location:
        return pafs.FileSystem.from_uri(location)
    return pafs.LocalFileSystem(), location


def mark_rows(shard_rows: int, overlap: int) -> Iterator[int]:
    """Rows whose byte offset is indexed, ascending without end: every shard start and shard start - overlap."""
    yield 0
    start = shard_rows
    while True:
        if overlap:
            yield start - overlap
        yield start
        start += shard_rows


@dataclass(frozen=True)
class Inputs:
    """What `evalkit.engine.ray_index.index_inputs` found. ``names`` are the paths as the user gave them (messages, reports);
    ``locations`` where workers open them. ``offsets[f][i]`` is the byte offset in file ``f`` of row
    ``marks[i]`` (line files, JSONL), ``mark_lines[i]`` that row's 1-based line in a JSONL file.
    ``columns`` are the src, tgt and reference fields of a table, ``ref_widths`` how many references each holds."""

    kind: Kind
    names: tuple[str, ...]
    locations: tuple[str, ...]
    n: int
    shard_rows: int
    overlap: int
    offsets: tuple[tuple[int, ...], ...] = ()
    mark_lines: tuple[int, ...] = ()
    columns: tuple[str, ...] = ()
    ref_widths: tuple[int, ...] = ()
    has_ids: bool = False
    row_groups: tuple[tuple[int, int, int, int], ...] = ()  # parquet: (file, group, first row, rows)
    fingerprints: tuple[str, ...] = ()  # summary.json's fingerprints of the source, target and reference streams

    @property
    def n_refs(self) -> int:
        return len(self.names) - 2 if self.kind == "lines" else sum(self.ref_widths)

    def marks(self) -> list[int]:
        out: list[int] = []
        for mark in mark_rows(self.shard_rows, self.overlap):
            if mark >= max(self.n, 1):
                return out
            out.append(mark)
        return out  # pragma: no cover - the generator never ends


@dataclass(frozen=True)
class Rows:
    """Rows ``lo .. lo + len(src) - 1`` of the input: texts trimmed as the local reader trims them.

    ``src_voted``/``tgt_voted`` say whether a cell counts in the language vote (the local reader votes on
    non-empty texts, before trimming for tables)."""

    lo: int
    src: list[str]
    tgt: list[str]
    refs: list[list[str]]
    src_lines: list[int]
    tgt_lines: list[int]
    src_voted: list[bool]
    tgt_voted: list[bool]
    ids: list[str] | None = None


# --- reading, shared with the index -------------------------------------------------------------


def side_error(exc: InputError, side: str | None) -> InputError:
    if side is None:
        return exc
    return InputError(exc.path, f"{side} file: {exc.what}", exc.fix, line=exc.line, byte_offset=exc.byte_offset)


def refusal(location: str, name: str, side: str | None) -> InputError:
    """The local reader's error for a file that is not UTF-8, or a refusal of an encoding it accepts."""
    fs, inner = filesystem_of(location)
    with fs.open_input_stream(inner) as fh:
        data = fh.read()
    try:
        decoded = decode_bytes(data, name)
    except InputError as exc:
        return side_error(exc, side)
    what = f"{decoded.encoding} text; the Ray engine reads UTF-8 only"
    fix = f"re-save it as UTF-8 (iconv -f {decoded.encoding} -t utf-8), or score it without --engine ray"
    return side_error(InputError(name, what, fix), side)


def raw_lines(location: str, start: int, chunk: int = _READ_CHUNK) -> Iterator[bytes]:
    """The lines of a file from byte ``start``, without their ``\\n``; no empty last line after a final newline."""
    fs, inner = filesystem_of(location)
    with fs.open_input_file(inner) as fh:
        fh.seek(start)
        tail = b""
        while data := fh.read(chunk):
            parts = (tail + data).split(b"\n")
            tail = parts.pop()
            yield from parts
        if tail:
            yield tail


def jsonl_records(location: str, name: str, start: int = 0, first_line: int = 1) -> Iterator[tuple[int, int, dict]]:
    """(byte offset, 1-based line, record) of each non-blank line from byte ``start``, errors as the local reader."""
    offset, number = start, first_line
    for raw in raw_lines(location, start, SCAN_CHUNK if start == 0 else _READ_CHUNK):
        here, offset = offset, offset + len(raw) + 1
        line, number = number, number + 1
        if here == 0 and raw.startswith(OTHER_BOMS) or b"\x00" in raw:
            raise refusal(location, name, None)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise refusal(location, name, None) from None
        if here == 0 and text.startswith("\ufeff"):
            text, here = text[1:], len(UTF8_BOM)
        try:  # the local reader's parse of one line, its messages with this line's number
            records = jsonl_rows(Path(name), text.rstrip("\r"))
        except InputError as exc:
            raise InputError(exc.path, exc.what, exc.fix, line=line) from None
        if not records:
            continue  # a blank line holds no record
        record = records[0][1]
        yield here, line, record


# --- reading a shard ----------------------------------------------------------------------------


def _start(inputs: Inputs, lo: int) -> tuple[int, int]:
    """(index of the last mark <= lo, that mark's row)."""
    marks = inputs.marks()
    i = max(k for k, m in enumerate(marks) if m <= lo)
    return i, marks[i]


def _read_line_rows(inputs: Inputs, lo: int, hi: int) -> Rows:
    i, mark = _start(inputs, lo)
    texts = []
    for f, location in enumerate(inputs.locations):
        lines = raw_lines(location, inputs.offsets[f][i])
        texts.append([raw.decode("utf-8").strip(WHITESPACE) for k, raw in zip(range(hi - mark), lines) if k >= lo - mark])
    numbers = list(range(lo + 1, hi + 1))
    return Rows(lo, texts[0], texts[1], texts[2:], numbers, numbers, [bool(t) for t in texts[0]],
                [bool(t) for t in texts[1]])  # fmt: skip


def _table_rows(inputs: Inputs, lo: int, records: Sequence[dict[str, Any]], lines: list[int]) -> Rows:
    from ..io.parallel import table_cell

    src_name, tgt_name, *ref_names = inputs.columns
    name = Path(inputs.names[0])
    src = [table_cell(name, line, r, src_name)[0] for line, r in zip(lines, records)]
    tgt = [table_cell(name, line, r, tgt_name)[0] for line, r in zip(lines, records)]
    refs: list[list[str]] = []
    for field, width in zip(ref_names, inputs.ref_widths):
        cells = [table_cell(name, line, r, field, many=True) for line, r in zip(lines, records)]
        for line, values in zip(lines, cells):
            if len(values) != width:
                raise InputError(inputs.names[0], f"field {field!r} holds {len(values)} references, on the first "
                                 f"row {width}", "give every row as many references", line=line)  # fmt: skip
        refs += [[values[k].strip(WHITESPACE) for values in cells] for k in range(width)]
    ids = [None if r.get("id") is None else str(r["id"]) for r in records] if inputs.has_ids else None
    return Rows(lo, [t.strip(WHITESPACE) for t in src], [t.strip(WHITESPACE) for t in tgt], refs, lines, lines,
                [bool(t) for t in src], [bool(t) for t in tgt], [i or "" for i in ids] if ids else None)  # fmt: skip


def parquet_table(locations: Sequence[str], groups: Sequence[tuple[int, int, int, int]], columns: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for f, g, _, _ in groups:
        fs, inner = filesystem_of(locations[f])
        tables.append(pq.ParquetFile(inner, filesystem=fs).read_row_group(g, columns=columns))
    return pa.concat_tables(tables)


def _read_parquet_rows(inputs: Inputs, lo: int, hi: int) -> Rows:
    groups = [g for g in inputs.row_groups if g[2] < hi and g[2] + g[3] > lo]
    columns = [*inputs.columns] + (["id"] if inputs.has_ids else [])
    table = parquet_table(inputs.locations, groups, columns).slice(lo - groups[0][2], hi - lo) if groups else None
    records = table.to_pylist() if table is not None else []
    for k, record in enumerate(records):  # Parquet nulls are missing values, as a missing JSON field
        for field in inputs.columns:
            if record.get(field) is None:
                raise InputError(inputs.names[0], f"row {lo + k + 1}: column {field!r} is null",
                                 "give every row a text (an empty one for an empty segment)")  # fmt: skip
    return _table_rows(inputs, lo, records, list(range(lo + 1, hi + 1)))


def read_rows(inputs: Inputs, lo: int, hi: int) -> Rows:
    """Rows ``lo`` to ``hi - 1`` (0-based), read from the files by byte range (or Parquet row groups)."""
    lo, hi = max(0, lo), min(inputs.n, hi)
    if inputs.kind == "lines":
        return _read_line_rows(inputs, lo, hi)
    if inputs.kind == "parquet":
        return _read_parquet_rows(inputs, lo, hi)
    i, mark = _start(inputs, lo)
    records, lines = [], []
    source = jsonl_records(inputs.locations[0], inputs.names[0], inputs.offsets[0][i], inputs.mark_lines[i])
    for k, (_, line, record) in zip(range(hi - mark), source):
        if k >= lo - mark:
            records.append(record)
            lines.append(line)
    return _table_rows(inputs, lo, records, lines)


# --- output -------------------------------------------------------------------------------------


def prepare_output(out_dir: str, folders: Sequence[str]) -> str:
    """Create ``out_dir`` and its shard ``folders``, emptied of the shards of an earlier run; its location."""
    import pyarrow.fs as pafs

    location = resolve_location(out_dir)
    fs, inner = filesystem_of(location)
    for folder in folders:
        path = f"{inner.rstrip('/')}/{folder}"
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.File:  # a pairs.csv written by a local run
            fs.delete_file(path)
        fs.create_dir(path, recursive=True)
        for old in fs.get_file_info(pafs.FileSelector(path)):
            if old.base_name.startswith("part-"):
                fs.delete_file(old.path)
    return location


def write_bytes(location: str, data: bytes) -> None:
    """Write a file whole: atomically (temporary file, then rename) on a local disk, one put on object storage."""
    if "://" not in location:
        from ..report.files import atomic_write

        atomic_write(Path(location), data)
        return
    fs, inner = filesystem_of(location)
    with fs.open_output_stream(inner) as fh:
        fh.write(data)


_NUMERIC = frozenset({"confidence", "ref_similarity"})  # beside every registered metric (`_numeric`)


def _numeric(name: str) -> bool:
    from ..metrics.base import METRICS

    return name in _NUMERIC or name in METRICS


def parquet_bytes(rows: Sequence[dict[str, Any]], numeric: Sequence[str] = ()) -> bytes:
    """A shard of pairs.parquet: the columns of pairs.csv, numbers as float64 (null where empty), text as is
    (no spreadsheet neutralising: Parquet readers do not evaluate formulas). ``numeric``: more number columns
    (plug-ins, which the worker registers only while it checks its shard)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = list(rows[0]) if rows else []
    schema = pa.schema([(k, pa.float64() if _numeric(k) or k in numeric else pa.string()) for k in names])
    table = pa.Table.from_pylist(list(rows), schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()
