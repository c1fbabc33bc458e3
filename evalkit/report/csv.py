"""pairs.csv: one row per link, unpaired included, in document order; formula cells neutralised."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..records import Report
from .files import atomic_write
from .table import link_rows, neutralise

__all__ = ["csv_cells", "pairs_csv", "write_pairs_csv"]


def pairs_csv(report: Report) -> str:
    """The CSV text (UTF-8, no BOM, header first). Empty numbers are empty cells."""
    rows = link_rows(report)
    buffer = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_cells(row))
    return buffer.getvalue()


def csv_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A `link_row` as pairs.csv cells: text neutralised against spreadsheet formulas, None an empty cell."""
    return {k: neutralise(v) if isinstance(v, str) else ("" if v is None else v) for k, v in row.items()}


def write_pairs_csv(report: Report, path: Path) -> None:
    atomic_write(path, pairs_csv(report))
