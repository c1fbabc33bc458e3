"""summary.json: counts, per-reason counts, corpus scores with ci95 and signature, model, thresholds.

Deterministic: keys sorted, no timestamps, so the same input gives byte-identical files.
The JSON Schema is `evalkit/schemas/summary.schema.json`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..flag import REASONS
from ..records import Report
from .files import atomic_write

__all__ = ["finite", "fingerprint", "fingerprint_update", "report_fingerprints", "summary", "summary_json", "write_summary"]

_WHITESPACE = re.compile(r"\s+")


def fingerprint(texts: Sequence[str]) -> str:
    """SHA-256 (hex) of the texts in order with all whitespace removed.

    Insensitive to whitespace and to how segments are split or merged, sensitive to every other character.
    """
    digest = hashlib.sha256()
    fingerprint_update(digest, texts)
    return digest.hexdigest()


def fingerprint_update(digest: Any, texts: Iterable[str]) -> None:
    """Feed ``texts`` to a ``hashlib.sha256()`` as `fingerprint` does: a stream's fingerprint, chunk by chunk."""
    for text in texts:
        digest.update(_WHITESPACE.sub("", text).encode("utf-8", "surrogatepass"))


def report_fingerprints(report: Report) -> dict[str, Any]:
    """What makes two runs comparable: source and reference fingerprints and the segment count.

    Keys: ``source`` and ``target`` (`fingerprint` of the link texts), ``references`` (one per stream),
    ``segments`` (source segments), ``links``.
    """
    links = report.links
    with_refs = [link for link in links if link.references]
    n_refs = max((len(link.references) for link in with_refs), default=0)
    return {
        "source": fingerprint([link.source for link in links if link.link.src]),
        "target": fingerprint([link.target for link in links if link.link.tgt]),
        "references": [fingerprint([link.references[k] for link in with_refs]) for k in range(n_refs)],
        "segments": sum(len(link.link.src) for link in links),
        "links": len(links),
    }


def finite(value: float) -> float | None:
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
                "score": finite(s.score),
                "ci95": [finite(s.ci95[0]), finite(s.ci95[1])] if s.ci95 else None,
                "signature": s.signature,
            }
            for name, s in report.scores.items()
        },
        "model": report.model,
        "thresholds": report.thresholds,
        "thresholds_origin": report.thresholds_origin,
        "warnings": list(report.warnings),
        "fingerprints": report_fingerprints(report),
        **{k: v for k, v in report.extra.items()},
    }


def summary_json(report: Report) -> str:
    return json.dumps(summary(report), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_summary(report: Report, path: Path) -> None:
    atomic_write(path, summary_json(report))
