"""Read parallel data: line-aligned files, or one TSV/CSV/JSONL file with named columns or fields.

Line-aligned files must have the same number of lines: a difference is an `InputError`, never a
silent truncation (sacrebleu users lost results that way: sacrebleu issues #160 and #161).
Empty lines are empty segments, as in sacrebleu; a final newline does not add one.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from evalkit.errors import InputError, UsageError
from evalkit.io.document import WHITESPACE
from evalkit.io.encoding import read_text
from evalkit.io.formats import format_of, require
from evalkit.lang import file_lang, line_vote
from evalkit.records import Segment

__all__ = [
    "LANG_SAMPLE", "Fmt", "Parallel", "check_line_count", "jsonl_rows", "majority_lang", "read_lines", "read_parallel",
    "resolve_column", "table_cell",
]

Fmt = Literal["lines", "tsv", "csv", "jsonl"]
Side = Literal["src", "tgt", "ref"]
_DEFAULT_COLS = {"tsv": ("source", "target"), "csv": ("source", "target"), "jsonl": ("src", "tgt")}
_SURROGATE = re.compile("[\ud800-\udfff]")  # a JSON "\\ud800" escape without its other half
LANG_SAMPLE = 2000  # lines voted on to find a file's language; enough for a majority, fast on 1M lines
PathLike = str | Path


@dataclass(frozen=True)
class Parallel:
    """Source, target and reference streams, aligned by position (sacrebleu's shape: ``refs`` holds
    one stream per reference, each as long as ``src``). ``encodings`` maps each file read to its
    detected encoding."""

    src: tuple[Segment, ...]
    tgt: tuple[Segment, ...]
    refs: tuple[tuple[Segment, ...], ...]
    src_lang: str
    tgt_lang: str
    encodings: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for name, stream in [("tgt", self.tgt)] + [(f"refs[{i}]", r) for i, r in enumerate(self.refs)]:
            if len(stream) != len(self.src):
                raise ValueError(f"Parallel.{name} has {len(stream)} segments, src has {len(self.src)}")


def read_lines(path: PathLike, lang: str | None = None, side: Side = "src") -> tuple[Segment, ...]:
    """One segment per line of ``path`` (trimmed; empty lines kept as empty segments).

    ``lang`` defaults to the majority script's language of the file ("und" with no letters);
    ``side`` ("src", "tgt" or "ref") names the file in error messages.
    """
    return _read_lines(path, lang, side)[0]


def read_parallel(
    src: PathLike,
    tgt: PathLike | None = None,
    refs: Sequence[PathLike] = (),
    *,
    fmt: Fmt | None = None,
    src_col: str | None = None,
    tgt_col: str | None = None,
    ref_cols: Sequence[str] | None = None,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
) -> Parallel:
    """Read line-aligned ``src``/``tgt``/``refs`` files, or one table file ``src`` (tgt=None).

    ``fmt`` defaults from the suffix of ``src``: .tsv, .csv, .jsonl (.ndjson), else "lines".
    Columns (TSV/CSV header names) default to ``source``/``target`` and every column whose name
    starts with ``ref``; JSONL fields to ``src``/``tgt`` and every field starting with ``ref``
    (a string, or a list of strings for several references). Languages default to detection.
    """
    if fmt is None:  # the format registry decides; a table this engine does not read (Parquet) is its UsageError
        detected = format_of(src)
        fmt = require(src, "local").name if detected.kind == "table" else "lines"  # type: ignore[assignment]  # a local table format is a Fmt
    if fmt not in ("lines", "tsv", "csv", "jsonl"):
        raise UsageError(f"unknown format {fmt!r}", "use one of: lines, tsv, csv, jsonl")
    if fmt != "lines":
        if tgt is not None or refs:
            raise UsageError(f"a {fmt} file holds every side; got a tgt or refs file too", "pass only the one file")
        return _read_table(Path(src), fmt, src_col, tgt_col, ref_cols, src_lang, tgt_lang)
    if tgt is None:
        raise UsageError(f"{src}: a line file holds one side only", "give the translation file as tgt")
    if src_col or tgt_col or ref_cols:
        raise UsageError("src_col/tgt_col/ref_cols apply to tsv, csv and jsonl files", "drop them, or set fmt")
    src_segs, src_enc = _read_lines(src, src_lang, "src")
    tgt_segs, tgt_enc = _read_lines(tgt, tgt_lang, "tgt")
    encodings = {str(src): src_enc, str(tgt): tgt_enc}
    tgt_lang = tgt_segs[0].lang if tgt_segs else tgt_lang or "und"
    streams = []
    for ref in refs:
        segs, encodings[str(ref)] = _read_lines(ref, tgt_lang if tgt_lang != "und" else None, "ref")
        streams.append(segs)
    for other, segs in [(tgt, tgt_segs)] + list(zip(refs, streams)):
        check_line_count(src, src_segs, other, segs)
    src_lang = src_segs[0].lang if src_segs else src_lang or "und"
    return Parallel(src_segs, tgt_segs, tuple(streams), src_lang, tgt_lang, encodings)


def _read_lines(path: PathLike, lang: str | None, side: str) -> tuple[tuple[Segment, ...], str]:
    if side not in ("src", "tgt", "ref"):
        raise UsageError(f"side must be src, tgt or ref, got {side!r}")
    try:
        decoded = read_text(path)
    except InputError as exc:  # say which side the file was given as
        raise InputError(
            exc.path, f"{side} file: {exc.what}", exc.fix, line=exc.line, byte_offset=exc.byte_offset
        ) from None
    lines = decoded.text.split("\n")
    if lines[-1] == "":  # "a\nb\n" is two lines; "" is none
        lines.pop()
    texts = [line.strip(WHITESPACE) for line in lines]
    lang = lang or majority_lang(texts)
    segs = tuple(Segment(t, lang, i, file=str(path), line=i + 1) for i, t in enumerate(texts))
    return segs, decoded.encoding


def majority_lang(texts: Sequence[str]) -> str:
    """The language most lines are in (`evalkit.lang.file_lang`: script, then langid within it), voted on a
    spread sample of up to 2000 non-empty lines."""
    nonempty = [t for t in texts if t]
    step = max(1, len(nonempty) // LANG_SAMPLE)
    return file_lang(line_vote(t) for t in nonempty[::step])


def check_line_count(src: PathLike, src_segs: tuple[Segment, ...], other: PathLike, segs: tuple[Segment, ...]) -> None:
    """Line-aligned files must have as many lines: never truncate to the shorter one."""
    if len(segs) == len(src_segs):
        return
    longer, extra = (other, segs[len(src_segs) :]) if len(segs) > len(src_segs) else (src, src_segs[len(segs) :])
    if any(s.text for s in extra):
        fix = "find the missing or extra line (compare the files side by side) and fix it"
    else:
        fix = f"remove the {len(extra)} empty line(s) at the end of {longer}"
    raise InputError(  # at the first line of the longer file that has no counterpart
        longer, f"{other} has {len(segs)} lines but {src} has {len(src_segs)}; line-aligned files must match", fix,
        line=min(len(segs), len(src_segs)) + 1,
    )  # fmt: skip


def _read_table(
    path: Path,
    fmt: str,
    src_col: str | None,
    tgt_col: str | None,
    ref_cols: Sequence[str] | None,
    src_lang: str | None,
    tgt_lang: str | None,
) -> Parallel:
    decoded = read_text(path)
    if fmt == "jsonl":
        rows = jsonl_rows(path, decoded.text)
        names = list(dict.fromkeys(k for _, row in rows for k in row))  # in order of first appearance
    else:
        names, rows = _csv_rows(path, decoded.text, fmt)
    src_name = resolve_column(path, fmt, src_col or _DEFAULT_COLS[fmt][0], names, "src_col")
    tgt_name = resolve_column(path, fmt, tgt_col or _DEFAULT_COLS[fmt][1], names, "tgt_col")
    if ref_cols is None:
        ref_names = [k for k in names if k.lower().startswith("ref") and k not in (src_name, tgt_name)]
    else:
        ref_names = [resolve_column(path, fmt, name, names, "ref_cols") for name in ref_cols]
    src_texts = [table_cell(path, line, row, src_name)[0] for line, row in rows]
    tgt_texts = [table_cell(path, line, row, tgt_name)[0] for line, row in rows]
    streams: list[list[str]] = []
    for name in ref_names:
        cells = [table_cell(path, line, row, name, many=True) for line, row in rows]
        for (line, _), values in zip(rows, cells):
            if len(values) != len(cells[0]):
                raise InputError(path, f"field {name!r} holds {len(values)} references, on line {rows[0][0]} "
                                 f"{len(cells[0])}", "give every line as many references", line=line)  # fmt: skip
        streams += [[values[k] for values in cells] for k in range(len(cells[0]) if cells else 1)]
    src_lang = src_lang or majority_lang(src_texts)
    tgt_lang = tgt_lang or majority_lang(tgt_texts)
    ids = [None if row.get("id") is None else _no_surrogate(path, line, "id", str(row["id"])) for line, row in rows]

    def segs(texts: list[str], lang: str) -> tuple[Segment, ...]:
        return tuple(
            Segment(t.strip(WHITESPACE), lang, i, str(path), rows[i][0], ids[i]) for i, t in enumerate(texts)
        )

    refs = tuple(segs(texts, tgt_lang) for texts in streams)
    encodings = {str(path): decoded.encoding}
    return Parallel(segs(src_texts, src_lang), segs(tgt_texts, tgt_lang), refs, src_lang, tgt_lang, encodings)


def resolve_column(path: Path, fmt: str, name: str, names: list[str], option: str) -> str:
    """The column/field called ``name`` (exactly, else the one matching it case-insensitively)."""
    if name in names or (fmt == "jsonl" and not names):
        return name
    folded = [n for n in names if n.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    kind = "field" if fmt == "jsonl" else "column"
    raise InputError(path, f"no {kind} {name!r} (found: {', '.join(map(repr, names)) or 'none'})",
                     f"name the {kind} to read with {option}=", line=1)  # fmt: skip


def table_cell(path: Path, line: int, row: dict[str, object], name: str, many: bool = False) -> list[str]:
    """The text of one field; with ``many``, a list of strings gives several references."""
    if name not in row:
        raise InputError(path, f"field {name!r} is missing", f"add {name!r} to this line too", line=line)
    value = row[name]
    if isinstance(value, str):
        return [_no_surrogate(path, line, name, value)]
    if many and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [_no_surrogate(path, line, name, v) for v in value]
    raise InputError(path, f"field {name!r} is {json.dumps(value)[:40]}, not a string", "give the text as a JSON "
                     "string (an empty one for an empty segment)", line=line)  # fmt: skip


def _no_surrogate(path: Path, line: int, name: str, text: str) -> str:
    """``text``, unless a JSON escape left half of a UTF-16 surrogate pair in it (not a character:
    no file or report can hold it)."""
    m = _SURROGATE.search(text)
    if m:
        raise InputError(path, f"field {name!r} holds a lone surrogate \\u{ord(m.group()):04x} (half of a "
                         "UTF-16 pair, not a character)", "escape the character with both halves of its pair, or "
                         "write it as UTF-8", line=line)  # fmt: skip
    return text


def jsonl_rows(path: Path, text: str) -> list[tuple[int, dict[str, object]]]:
    rows = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip(WHITESPACE):
            continue  # a blank line holds no record
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON ({exc.msg}, column {exc.colno})",
                             "write one JSON object per line", line=number) from None  # fmt: skip
        if not isinstance(record, dict):
            raise InputError(path, f"expected a JSON object, found {type(record).__name__}",
                             'write one object per line, e.g. {"src": "...", "tgt": "..."}', line=number)  # fmt: skip
        rows.append((number, record))
    return rows


def _csv_rows(path: Path, text: str, fmt: str) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """Header names and data rows keyed by them, with the line each row starts on.

    Quoting follows the csv module, strictly: a quoted field may hold the separator or a newline.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if fmt == "tsv" else ",", strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, object]]] = []
    start = 1
    try:
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not fields:
                continue  # a blank line holds no row
            if header is None:
                header = [f.strip(WHITESPACE) for f in fields]
                dup = [h for h, n in Counter(header).items() if n > 1]
                if dup:
                    what = f"the header names {dup[0]!r} twice"
                    raise InputError(path, what, "give each column its own name", line=line)
            elif len(fields) != len(header):
                raise InputError(
                    path, f"row has {len(fields)} columns but the header has {len(header)}",
                    "give every row one value per header column; quote a value that holds the separator",
                    line=line,
                )  # fmt: skip
            else:
                rows.append((line, dict(zip(header, fields))))
    except csv.Error as exc:
        raise InputError(path, f"malformed {fmt.upper()}: {exc}", "quote the field and double each quote inside it",
                         line=start) from None  # fmt: skip
    return header or [], rows
