"""summary.json: counts, per-reason counts, corpus scores with ci95 and signature, model, thresholds.

Deterministic: keys sorted, no timestamps, so the same input gives byte-identical files.
The JSON Schema is `evalkit/schemas/summary.schema.json`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .. import __version__
from ..flag import REASONS
from ..records import Report
from .files import atomic_write

__all__ = ["summary", "summary_json", "write_summary"]


def _finite(value: float) -> float | None:
    return round(value, 6) if math.isfinite(value) else None


def summary(report: Report) -> dict[str, Any]:
    links = report.links
    reasons = {code: 0 for code in REASONS}
    for link in links:
        for flag in link.flags:
            reasons[flag.code] = reasons.get(flag.code, 0) + 1
    return {
        "evalkit_version": __version__,
        "inputs": report.inputs,
        "languages": {"source": report.src_lang, "target": report.tgt_lang},
        "counts": {
            "links": len(links),
            "paired": sum(1 for l in links if l.link.paired),
            "flagged": sum(1 for l in links if l.flagged),
            "unpaired_source": sum(1 for l in links if l.link.src and not l.link.tgt),
            "unpaired_target": sum(1 for l in links if l.link.tgt and not l.link.src),
            "merged_or_split": sum(1 for l in links if l.link.paired and l.link.kind != "1-1"),
            "source_segments": sum(len(l.link.src) for l in links),
            "target_segments": sum(len(l.link.tgt) for l in links),
        },
        "reasons": reasons,
        "scores": {
            name: {
                "score": _finite(s.score),
                "ci95": [_finite(s.ci95[0]), _finite(s.ci95[1])] if s.ci95 else None,
                "signature": s.signature,
            }
            for name, s in report.scores.items()
        },
        "model": report.model,
        "thresholds": report.thresholds,
        "thresholds_origin": report.thresholds_origin,
        "warnings": list(report.warnings),
        **{k: v for k, v in report.extra.items()},
    }


def summary_json(report: Report) -> str:
    return json.dumps(summary(report), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_summary(report: Report, path: Path) -> None:
    atomic_write(path, summary_json(report))
