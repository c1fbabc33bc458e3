"""One row per link, the shape shared by pairs.csv, the HTML table and the JSON export."""

from __future__ import annotations

import json
from typing import Any

from ..records import Report, ScoredLink

__all__ = ["CSV_FORMULA_PREFIXES", "link_row", "link_rows", "neutralise", "report_metric_names", "spans_cell", "unneutralise"]

# OWASP "CSV injection": a cell starting with one of these is evaluated by spreadsheets.
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefix a cell a spreadsheet would evaluate with a single quote (OWASP's recommendation)."""
    # A cell that already looks neutralised gets one more quote, so `unneutralise` round-trips.
    risky = cell.startswith(CSV_FORMULA_PREFIXES) or (cell.startswith("'") and cell[1:].startswith(CSV_FORMULA_PREFIXES))
    return "'" + cell if risky else cell


def unneutralise(cell: str) -> str:
    """Undo `neutralise` (for reading pairs.csv back)."""
    tail = cell[1:]
    risky = tail.startswith(CSV_FORMULA_PREFIXES) or (tail.startswith("'") and tail[1:].startswith(CSV_FORMULA_PREFIXES))
    return tail if cell.startswith("'") and risky else cell


def _ids(ids: tuple[int, ...]) -> str:
    return " ".join(str(i) for i in ids)


def _num(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def spans_cell(link: ScoredLink, name: str) -> str:
    """Metric ``name``'s error spans on ``link`` as the ``NAME_spans`` cell: a JSON list of objects
    ``{"start", "end", "text", "severity", "confidence"}`` (``[]``: scored, no span found), "" where the
    metric gave the link no value."""
    if name not in link.spans:
        return ""
    return json.dumps([s.as_dict() for s in link.spans[name]], ensure_ascii=False, separators=(",", ":"))


def link_row(link: ScoredLink, metric_names: list[str], n_refs: int) -> dict[str, Any]:
    """One link as a row: ids, lines, texts, similarity, margin, the metrics of ``metric_names`` that need no
    reference, then (with references) reference similarity and the reference metrics, then the flags. A
    metric that gives error spans (XCOMET) has its ``NAME_spans`` column (`spans_cell`) after its own.

    The one row writer of pairs.csv, report.html and the JSON export (local run, ``--stream`` and Ray)."""
    from ..metrics.base import METRICS

    def add(name: str) -> None:
        row[name] = _num(link.metrics.get(name))
        if getattr(METRICS.get(name), "gives_spans", False):
            row[f"{name}_spans"] = spans_cell(link, name)

    # With several documents each row names its document first; ids and lines count within it.
    row: dict[str, Any] = {} if link.document is None else {"document": link.document}
    row |= {
        "src_ids": _ids(link.link.src),
        "tgt_ids": _ids(link.link.tgt),
        "link": link.link.kind,
        "confidence": _num(link.link.confidence),
        "src_lines": _ids(link.src_lines),
        "tgt_lines": _ids(link.tgt_lines),
        "source": link.source,
        "target": link.target,
    }
    for k in range(n_refs):
        row[f"reference_{k + 1}" if n_refs > 1 else "reference"] = link.references[k] if link.references else ""
    row["similarity"] = _num(link.similarity)
    row["margin"] = _num(link.margin)
    for name in metric_names:
        if name in METRICS and not METRICS[name].needs_reference:
            add(name)
    if n_refs:
        row["ref_similarity"] = _num(link.ref_similarity)
        for name in metric_names:
            if name not in METRICS or METRICS[name].needs_reference:
                add(name)
    row["flagged"] = "true" if link.flagged else "false"
    row["reasons"] = ";".join(f.code for f in link.flags)
    row["details"] = "; ".join(f.detail for f in link.flags)
    row["info"] = "; ".join(link.info)
    return row


def link_rows(report: Report) -> list[dict[str, Any]]:
    """Rows in document order, unpaired links included."""
    n_refs = max((len(link.references) for link in report.links), default=0)
    names = report_metric_names(report)
    return [link_row(link, names, n_refs) for link in report.links]


def report_metric_names(report: Report) -> list[str]:
    """The registered per-link metrics (statistics and segment kinds) some link of ``report`` has, in registry order."""
    from ..metrics.base import metric_names

    return [name for name in metric_names("statistics", "segment") if any(name in l.metrics for l in report.links)]

