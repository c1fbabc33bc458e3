"""pairs.csv: one row per link, unpaired included, in document order; formula cells neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..records import Report
from .files import atomic_write
from .table import link_rows, neutralise

__all__ = ["CsvSink", "csv_cells", "csv_text", "pairs_csv", "write_pairs_csv"]


def pairs_csv(report: Report) -> str:
    """The CSV text (UTF-8, no BOM, header first). Empty numbers are empty cells."""
    return csv_text(link_rows(report))


class CsvSink:
    """pairs.csv rows written to an open text file as they come, header first (the header is the first
    row's keys): the one writer of the local run, ``--stream`` (chunk by chunk) and Ray (shard by shard)."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.writer: Any = None

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if self.writer is None:
                self.writer = csv.DictWriter(self.fh, fieldnames=list(row), lineterminator="\n")
                self.writer.writeheader()
            self.writer.writerow(csv_cells(row))


def csv_text(rows: Iterable[dict[str, Any]]) -> str:
    """`link_row` rows as pairs.csv text with its header ("" for no rows)."""
    buffer = io.StringIO()
    CsvSink(buffer).write(rows)
    return buffer.getvalue()


def csv_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A `link_row` as pairs.csv cells: text neutralised against spreadsheet formulas, None an empty cell."""
    return {k: neutralise(v) if isinstance(v, str) else ("" if v is None else v) for k, v in row.items()}


def write_pairs_csv(report: Report, path: Path) -> None:
    atomic_write(path, pairs_csv(report))
