"""One row per link, the shape shared by pairs.csv, the HTML table and the JSON export."""

from __future__ import annotations

from typing import Any

from ..records import Report, ScoredLink

__all__ = ["CSV_FORMULA_PREFIXES", "link_row", "link_rows", "neutralise", "unneutralise"]

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


def link_row(link: ScoredLink, metric_names: list[str], n_refs: int) -> dict[str, Any]:
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
    if n_refs:
        row["ref_similarity"] = _num(link.ref_similarity)
        for name in metric_names:
            row[name] = _num(link.metrics.get(name))
    row["flagged"] = "true" if link.flagged else "false"
    row["reasons"] = ";".join(f.code for f in link.flags)
    row["details"] = "; ".join(f.detail for f in link.flags)
    row["info"] = "; ".join(link.info)
    return row


def link_rows(report: Report) -> list[dict[str, Any]]:
    """Rows in document order, unpaired links included."""
    n_refs = max((len(link.references) for link in report.links), default=0)
    metric_names = [name for name in ("bleu", "chrf", "chrf++", "ter") if any(name in l.metrics for l in report.links)]
    return [link_row(link, metric_names, n_refs) for link in report.links]
