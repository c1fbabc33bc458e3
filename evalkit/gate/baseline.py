"""The gate's baseline: reading a summary.json, leaderboard.json or ``--write-baseline`` file, what a new
baseline records, and the check that a run is on the same inputs as its baseline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compare import report_fingerprints
from ..errors import EvalkitError, InputError, UsageError
from ..records import Report

__all__ = ["Baseline", "BaselineMismatch", "baseline_from_dict", "baseline_record", "check_inputs", "load_baseline", "report_values"]


class BaselineMismatch(EvalkitError):
    """The run and the baseline are not on the same test set (exit code 2)."""


@dataclass(frozen=True)
class Baseline:
    """Corpus scores of the baseline run keyed by metric (flag_rate in percent), their signatures, and the
    fingerprints of its inputs (None for a file written before evalkit recorded them)."""

    path: Path
    scores: dict[str, float]
    signatures: dict[str, str]
    fingerprints: dict[str, Any] | None
    segments: int | None
    thresholds: dict[str, float] = field(default_factory=dict)
    system: str | None = None


def _flag_rate(counts: Mapping[str, Any]) -> float | None:
    links, flagged = counts.get("links"), counts.get("flagged")
    return 100.0 * flagged / links if isinstance(links, int) and isinstance(flagged, int) and links else None


def load_baseline(path: Path, system: str | None = None) -> Baseline:
    """Read a summary.json, a leaderboard.json (``system``: which one; default its baseline) or a
    ``--write-baseline`` file. Raises InputError (exit 2) for anything else."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(path, f"cannot read the baseline ({exc})", "give a summary.json or leaderboard.json") from None
    return baseline_from_dict(data, path, system)


def baseline_from_dict(data: Any, path: Path, system: str | None = None) -> Baseline:
    """The `Baseline` in the content of a summary.json, leaderboard.json or ``--write-baseline`` file (``data``,
    parsed; ``path`` names it in messages): what `load_baseline` reads, and `baseline_record` of a run in memory."""
    if not isinstance(data, dict) or not isinstance(data.get("scores", data.get("systems")), (dict, list)):
        raise InputError(path, "not an evalkit summary.json or leaderboard.json", "give the file evalkit wrote")
    fingerprints = data.get("fingerprints")
    if data.get("kind") == "leaderboard":
        names = [s.get("name") for s in data["systems"]]
        wanted = system or data.get("baseline")
        if wanted not in names:
            raise UsageError(f"{path}: no system {wanted!r} in the leaderboard", f"pick one with --system: {', '.join(map(str, names))}")
        entry = data["systems"][names.index(wanted)]
        fingerprints = {**(fingerprints or {}), "target": entry.get("fingerprint")}
        scores_raw, counts, thresholds = entry.get("scores", {}), entry.get("counts", {}), data.get("thresholds", {})
    else:
        if system:
            raise UsageError(f"{path} holds one run; --system applies to a leaderboard.json", "drop --system")
        scores_raw, counts, thresholds = data["scores"], data.get("counts", {}), data.get("thresholds", {})
    scores = {m: float(v["score"]) for m, v in scores_raw.items() if isinstance(v, dict) and isinstance(v.get("score"), (int, float))}
    signatures = {m: str(v.get("signature", "")) for m, v in scores_raw.items() if isinstance(v, dict)}
    rate = _flag_rate(counts)
    if rate is not None:
        scores["flag_rate"] = rate
    segments = (fingerprints or {}).get("segments", counts.get("source_segments"))
    return Baseline(path, scores, signatures, fingerprints, segments, thresholds, system if system else None)


def report_values(report: Report) -> dict[str, float]:
    """Corpus scores of a run keyed by metric, with ``flag_rate`` (percent of links flagged)."""
    values = {m: s.score for m, s in report.scores.items()}
    if report.links:
        values["flag_rate"] = 100.0 * len(report.flagged) / len(report.links)
    return values


def baseline_record(report: Report) -> dict[str, Any]:
    """What ``--write-baseline`` stores: summary.json's content plus the inputs' fingerprints."""
    from ..report.summary import summary

    return {**summary(report), "fingerprints": report_fingerprints(report)}


def _short(digest: Any) -> str:
    return str(digest)[:12] + "…" if digest else "none"


def check_inputs(baseline: Baseline, report: Report) -> list[str]:
    """Raise `BaselineMismatch` when the run's source, references or segment count differ from the
    baseline's; return warnings (no fingerprints in the baseline, other thresholds)."""
    now = report_fingerprints(report)
    fix = "check that you gave the same test set, or record a new baseline with --write-baseline"
    where = str(baseline.path)
    if baseline.segments is not None and baseline.segments != now["segments"]:
        raise BaselineMismatch(f"{where}: the baseline has {baseline.segments} source segments, this run {now['segments']}", fix)
    warnings = []
    fp = baseline.fingerprints
    if not fp:
        warnings.append(f"{where} records no input fingerprints (written by an older evalkit): only the segment count was compared")
    else:
        if fp.get("source") != now["source"]:
            raise BaselineMismatch(f"{where}: the source differs from the baseline's (fingerprint {_short(now['source'])}, baseline {_short(fp.get('source'))})", fix)
        refs = list(fp.get("references") or [])
        if len(refs) != len(now["references"]):
            raise BaselineMismatch(f"{where}: the baseline was scored with {len(refs)} reference(s), this run with {len(now['references'])}", fix)
        for k, (a, b) in enumerate(zip(refs, now["references"]), start=1):
            if a != b:
                raise BaselineMismatch(f"{where}: reference {k} differs from the baseline's (fingerprint {_short(b)}, baseline {_short(a)})", fix)
    changed = {k for k, v in baseline.thresholds.items() if k in report.thresholds and report.thresholds[k] != v}
    if changed:
        warnings.append(f"flag thresholds differ from the baseline's ({', '.join(sorted(changed))}): flag_rate is not comparable")
    return warnings
