"""The links of an alignment as TSV or JSONL (``evalkit pair``)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..records import Alignment
from .files import atomic_write, prepare_dir

__all__ = ["links_table", "write_links"]

COLUMNS = ("src_ids", "tgt_ids", "link", "confidence", "source", "target")


def links_table(alignment: Alignment) -> list[dict[str, object]]:
    rows = []
    for link in alignment.links:
        source, target = alignment.texts(link)
        rows.append({
            "src_ids": " ".join(map(str, link.src)),
            "tgt_ids": " ".join(map(str, link.tgt)),
            "link": link.kind,
            "confidence": round(float(link.confidence), 4),
            "source": source,
            "target": target,
        })
    return rows


def write_links(alignment: Alignment, path: Path) -> None:
    """TSV (``.tsv``, quoted where a cell holds a tab or newline) or JSONL (``.jsonl``), in document order."""
    rows = links_table(alignment)
    prepare_dir(path.parent if str(path.parent) else Path("."))
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    atomic_write(path, text)
