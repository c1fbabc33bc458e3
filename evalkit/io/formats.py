"""The format registry: one place maps an input path (its suffix, else its first bytes) to a format, and
says which engine reads it.

Every decision "what kind of file is this" reads `FORMATS` through `format_of`: the local pipeline (TMX/XLIFF
units, tables, line files), `evalkit.io.parallel` (which table reader), the CLI (``--src`` alone must be a
table; ``--stream`` reads line files), ``evalkit check`` and the Ray engine's index. `require` turns "this
engine does not read that format" into one `UsageError`, worded from the registry, the same in every path.

A new input format is a reader in `evalkit.io` plus one `Format` line here (docs/extending.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import UsageError

__all__ = ["ENGINES", "FORMATS", "Format", "format_of", "require", "table_suffixes"]

Engine = Literal["local", "stream", "ray"]
ENGINES: tuple[Engine, ...] = ("local", "stream", "ray")


@dataclass(frozen=True)
class Format:
    """One input format. ``kind``: ``"lines"`` (one segment per line, a file per side), ``"table"`` (one file
    holding every side, a row per segment), ``"units"`` (TMX/XLIFF translation units); ``engines``: who reads
    it; ``sniff``: bytes that identify it when the suffix says nothing."""

    name: str
    label: str
    kind: Literal["lines", "table", "units"]
    suffixes: tuple[str, ...]
    engines: tuple[Engine, ...]
    sniff: tuple[bytes, ...] = ()


# Order matters only for sniffing: the first format whose marker is in the file's first 4 KB wins.
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("lines", "line files", "lines", (), ("local", "stream", "ray")),
    Format("tsv", "TSV", "table", (".tsv",), ("local",)),
    Format("csv", "CSV", "table", (".csv",), ("local",)),
    Format("jsonl", "JSONL", "table", (".jsonl", ".ndjson"), ("local", "ray")),
    Format("parquet", "Parquet", "table", (".parquet", ".pq"), ("ray",), (b"PAR1",)),
    Format("tmx", "TMX", "units", (".tmx",), ("local",), (b"<tmx",)),
    Format("xliff", "XLIFF", "units", (".xlf", ".xliff", ".xlif", ".sdlxliff", ".mqxliff", ".mxliff", ".txlf"), ("local",),
           (b"<xliff",)),  # Trados, memoQ, Phrase, Wordfast dialects (issue 20)
)}  # fmt: skip


def _suffix(path: str | Path) -> str:
    return Path(str(path).split("?")[0]).suffix.lower()  # a URL's query string is not part of the name


def format_of(path: str | Path, *, sniff: bool = False) -> Format:
    """The format of ``path`` by its suffix; with ``sniff``, a file whose suffix names no format is
    recognised by its first bytes (an XML declaration before ``<tmx``, Parquet's magic); else line files."""
    suffix = _suffix(path)
    for fmt in FORMATS.values():
        if suffix in fmt.suffixes:
            return fmt
    if sniff:
        try:
            with open(path, "rb") as fh:
                head = fh.read(4096)
        except OSError:
            head = b""
        for fmt in FORMATS.values():
            if any(marker in head for marker in fmt.sniff):
                return fmt
    return FORMATS["lines"]


def require(path: str | Path, engine: Engine, *, sniff: bool = False) -> Format:
    """``path``'s format when ``engine`` reads it; otherwise the one `UsageError` of every path, naming the
    formats this engine reads and the engines that read this one."""
    fmt = format_of(path, sniff=sniff)
    if engine in fmt.engines:
        return fmt
    reads = ", ".join(f.label for f in FORMATS.values() if engine in f.engines)
    others = " or ".join(_ENGINE_OPTION[e] for e in fmt.engines)
    raise UsageError(f"{path}: {_ENGINE_NAME[engine]} reads {reads}, not {fmt.label}",
                     f"convert it, or score it {others}")  # fmt: skip


def table_suffixes(engine: Engine = "local") -> tuple[str, ...]:
    """Suffixes of the table formats ``engine`` reads (``--src`` alone may be one of them)."""
    return tuple(s for f in FORMATS.values() if f.kind == "table" and engine in f.engines for s in f.suffixes)


_ENGINE_NAME = {"local": "the local engine", "stream": "--stream", "ray": "the Ray engine"}
_ENGINE_OPTION = {"local": "without --engine ray or --stream", "stream": "with --stream", "ray": "with --engine ray"}
