"""Writers: pairs.csv, summary.json, report.html (and the console summary)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..records import Report

if TYPE_CHECKING:
    from .html import Verdicts
from .csv import write_pairs_csv
from .files import prepare_dir
from .summary import write_summary

__all__ = ["write_report"]


def write_report(report: Report, out_dir: Path, verdicts: Verdicts | None = None) -> dict[str, Path]:
    """Write the three report files into ``out_dir`` (created if needed), each atomically."""
    from .html import write_report_html

    prepare_dir(out_dir)
    paths = {"pairs.csv": out_dir / "pairs.csv", "summary.json": out_dir / "summary.json", "report.html": out_dir / "report.html"}
    write_pairs_csv(report, paths["pairs.csv"])
    write_summary(report, paths["summary.json"])
    write_report_html(report, paths["report.html"], verdicts=verdicts)
    return paths
