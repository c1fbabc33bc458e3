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
from ..records import Report, Score
from .files import atomic_write

__all__ = [
    "build_summary",
    "fingerprint",
    "fingerprint_update",
    "finite",
    "reason_counts",
    "report_fingerprints",
    "score_entries",
    "summary",
    "summary_json",
    "write_summary",
]

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


def reason_counts(codes: Iterable[str]) -> dict[str, int]:
    """Links per reason code: every registered code (0 when none), then any other code seen."""
    counts = {code: 0 for code in REASONS}
    for code in codes:
        counts[code] = counts.get(code, 0) + 1
    return counts


def score_entries(scores: dict[str, Score]) -> dict[str, Any]:
    """summary.json's ``scores``: each score rounded to 6 decimals (null when not finite), ci95, signature."""
    return {
        name: {
            "score": finite(s.score),
            "ci95": [finite(s.ci95[0]), finite(s.ci95[1])] if s.ci95 else None,
            "signature": s.signature,
        }
        for name, s in scores.items()
    }


def build_summary(*, inputs: dict[str, str], src_lang: str, tgt_lang: str, counts: dict[str, int],
                  reasons: dict[str, int], scores: dict[str, Score], model: dict[str, str], thresholds: dict[str, float],
                  thresholds_origin: str, warnings: Sequence[str], fingerprints: dict[str, Any],
                  extra: dict[str, Any]) -> dict[str, Any]:
    """summary.json's content: the one builder of the local run (`summary`), ``--stream`` and Ray."""
    return {
        "evalkit_version": __version__,
        "inputs": inputs,
        "languages": {"source": src_lang, "target": tgt_lang},
        "counts": counts,
        "reasons": reasons,
        "scores": score_entries(scores),
        "model": model,
        "thresholds": thresholds,
        "thresholds_origin": thresholds_origin,
        "warnings": list(warnings),
        "fingerprints": fingerprints,
        **extra,
    }


def summary(report: Report) -> dict[str, Any]:
    """summary.json of a report (`build_summary` with the counts and reasons of its links)."""
    links = report.links
    return build_summary(
        inputs=report.inputs,
        src_lang=report.src_lang,
        tgt_lang=report.tgt_lang,
        counts={
            "links": len(links),
            "paired": sum(1 for l in links if l.link.paired),
            "flagged": sum(1 for l in links if l.flagged),
            "unpaired_source": sum(1 for l in links if l.link.src and not l.link.tgt),
            "unpaired_target": sum(1 for l in links if l.link.tgt and not l.link.src),
            "merged_or_split": sum(1 for l in links if l.link.paired and l.link.kind != "1-1"),
            "source_segments": sum(len(l.link.src) for l in links),
            "target_segments": sum(len(l.link.tgt) for l in links),
        },
        reasons=reason_counts(flag.code for link in links for flag in link.flags),
        scores=report.scores,
        model=report.model,
        thresholds=report.thresholds,
        thresholds_origin=report.thresholds_origin,
        warnings=report.warnings,
        fingerprints=report_fingerprints(report),
        extra=dict(report.extra),
    )


def summary_json(report: Report) -> str:
    return json.dumps(summary(report), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_summary(report: Report, path: Path) -> None:
    atomic_write(path, summary_json(report))
