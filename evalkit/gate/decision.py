"""The gate's decision: each rule's verdict (with a paired test when the baseline's output is given), and
the segments that regressed most."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..compare import paired_means
from ..metrics.base import METRICS, link_value, lower_is_better, metric_names
from ..errors import EvalkitError, UsageError
from ..records import Report
from ..stats import paired_from_stats
from .baseline import Baseline, report_values
from .settings import CheckSettings, Rule

__all__ = ["CheckResult", "RegressedSegment", "RegressionError", "Verdict", "judge", "paired_p", "run_check"]


class RegressionError(EvalkitError):
    """The new run is worse than the baseline by more than the rules allow (exit code 1)."""

    exit_code = 1


@dataclass(frozen=True)
class Verdict:
    """One rule's outcome. ``change`` is the signed worsening (positive: worse; a rise for ter/flag_rate)."""

    rule: Rule
    baseline: float | None
    value: float
    change: float | None
    p_value: float | None
    passed: bool
    detail: str


@dataclass(frozen=True)
class RegressedSegment:
    """A segment named in the verdict: 1-based ``line`` of the target file, its scores now and before."""

    line: int | None
    source: str
    target: str
    metric: str
    score: float | None
    baseline_target: str | None = None
    baseline_score: float | None = None
    flags: tuple[str, ...] = ()

    @property
    def delta(self) -> float | None:
        return None if self.score is None or self.baseline_score is None else self.score - self.baseline_score


@dataclass(frozen=True)
class CheckResult:
    """All verdicts, the segments named, warnings, and what was compared."""

    verdicts: tuple[Verdict, ...]
    segments: tuple[RegressedSegment, ...]
    warnings: tuple[str, ...]
    settings: CheckSettings
    baseline: str
    target: str
    tested: bool  # a paired test was possible (the baseline's output was given)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def failed(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.passed)

    def as_dict(self) -> dict[str, Any]:
        def num(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else round(x, 6)

        return {
            "passed": self.passed, "baseline": self.baseline, "target": self.target, "significance_tested": self.tested,
            "alpha": self.settings.alpha, "paired_test": self.settings.method, "warnings": list(self.warnings),
            "verdicts": [
                {"metric": v.rule.metric, "rule": v.rule.kind, "limit": v.rule.value, "origin": v.rule.origin,
                 "baseline": num(v.baseline), "value": num(v.value), "change": num(v.change), "p_value": num(v.p_value),
                 "passed": v.passed, "detail": v.detail}
                for v in self.verdicts
            ],
            "segments": [
                {"line": s.line, "source": s.source, "target": s.target, "baseline_target": s.baseline_target,
                 "metric": s.metric, "score": num(s.score), "baseline_score": num(s.baseline_score), "delta": num(s.delta),
                 "flags": list(s.flags)}
                for s in self.segments
            ],
        }


def paired_p(metric: str, new: Report, old: Report, settings: CheckSettings) -> float | None:
    """Two-sided p-value of the difference between the two runs on ``metric`` (paired, same segments)."""
    from ..io.markup import strip_placeholders
    from ..metrics.reference import prepare

    if metric in metric_names("statistics"):
        rows = [i for i, link in enumerate(new.links) if link.link.paired and link.references]
        if not rows:
            return None
        streams = [[new.links[i].references[k] for i in rows] for k in range(len(new.links[rows[0]].references))]
        prepared = prepare(metric, streams, tgt_lang=new.tgt_lang)
        old_stats = prepared.stats([strip_placeholders(old.links[i].target) for i in rows])
        new_stats = prepared.stats([strip_placeholders(new.links[i].target) for i in rows])
        result = paired_from_stats(prepared.metric, old_stats, {"new": new_stats}, baseline="baseline", metric_name=metric,
                                   method=settings.method, n_samples=settings.n_samples, seed=settings.seed)
    else:
        values = [_segment_values(r, metric) for r in (old, new)]
        old_v, new_v = report_values(old).get(metric, math.nan), report_values(new).get(metric, math.nan)
        result = paired_means(metric, ("baseline", values[0], old_v), {"new": (values[1], new_v)},
                              method=settings.method, n_samples=settings.n_samples, seed=settings.seed)
    return result[0].p_value if result else None


def _segment_values(report: Report, metric: str) -> np.ndarray:
    return np.array([np.nan if (v := link_value(link, metric)) is None else v for link in report.links], dtype=np.float64)


def judge(rule: Rule, base: float | None, value: float, p: float | None, alpha: float = 0.05) -> Verdict:
    """The verdict of one rule: ``base``/``value`` are the baseline's and the new corpus scores, ``p`` the
    paired test's p-value of their difference (None: no test possible, the size alone decides).

    The change is rounded to 6 decimals, the precision baseline files keep, so an unchanged output shows 0.
    """
    digits = METRICS[rule.metric].check_digits if rule.metric in METRICS else 2

    def f(x: float) -> str:
        return f"{x:.{digits}f}"

    if rule.kind in ("min", "max"):
        ok = value >= rule.value if rule.kind == "min" else value <= rule.value
        op = (">=" if ok else "<") if rule.kind == "min" else ("<=" if ok else ">")
        return Verdict(rule, base, value, None, None, ok, f"{f(value)} {op} {rule.kind} {rule.value:g}")
    if base is None:
        raise UsageError(f"rule '{rule}' needs the baseline's {rule.metric} score", "re-record the baseline with that metric")
    lower = lower_is_better(rule.metric)
    change = round((value - base) if lower else (base - value), 6) + 0.0  # + 0.0: no "-0"
    head = f"{f(base)} -> {f(value)}, {'rise' if lower else 'drop'} {change:+.{digits}f}"
    if change <= rule.value:
        return Verdict(rule, base, value, change, p, True, f"{head} (allowed {rule.value:g})")
    if p is None:
        return Verdict(rule, base, value, change, p, False, f"{head} > {rule.value:g} (no significance test: no --baseline-tgt)")
    if p >= alpha:
        return Verdict(rule, base, value, change, p, True, f"{head} > {rule.value:g} but not significant (p={p:.3g} >= {alpha:g})")
    return Verdict(rule, base, value, change, p, False, f"{head} > {rule.value:g}, significant (p={p:.3g} < {alpha:g})")


def run_check(
    report: Report, baseline: Baseline, settings: CheckSettings, baseline_report: Report | None = None, warnings: Sequence[str] = ()
) -> CheckResult:
    """Apply every rule to ``report`` against ``baseline``; name the most regressed segments.

    Rules on metrics this run cannot measure (e.g. BLEU without references) are skipped with a warning when
    they come from the defaults, and are a `UsageError` when asked for. ``baseline_report`` (the baseline's
    output scored now, same segments) enables the paired tests and segment-by-segment deltas.
    """
    values = report_values(report)
    notes = list(warnings)
    if baseline_report is not None and len(baseline_report.links) != len(report.links):
        raise UsageError("the baseline output and the new output have different segment counts", "give line-aligned files")
    verdicts = []
    for rule in settings.rules:
        if rule.kind == "max_cumulative_drop":  # measured against the history's first run: evalkit.gate.drift
            continue
        missing = [what for what, have in (("this run", rule.metric in values),
                                           ("the baseline", rule.kind != "max_drop" or rule.metric in baseline.scores)) if not have]
        if missing:
            if rule.origin == "default":
                continue
            raise UsageError(f"rule '{rule}' ({rule.origin}): {' and '.join(missing)} has no {rule.metric} score",
                             "give references for reference metrics, or re-record the baseline with that metric")
        base = baseline.scores.get(rule.metric)
        p = None
        if rule.kind == "max_drop" and baseline_report is not None:
            p = paired_p(rule.metric, report, baseline_report, settings)
        verdicts.append(judge(rule, base, values[rule.metric], p, settings.alpha))
        sig_now = report.scores[rule.metric].signature if rule.metric in report.scores else ""
        sig_then = baseline.signatures.get(rule.metric, "")
        if sig_now and sig_then and sig_now.split("|bs:")[0] != sig_then.split("|bs:")[0]:
            notes.append(f"{rule.metric}: signature differs from the baseline's ({sig_then} vs {sig_now})")
    return CheckResult(tuple(verdicts), _segments(report, baseline_report, settings.top), tuple(dict.fromkeys(notes)),
                       settings, str(baseline.path), report.inputs.get("target", report.inputs.get("document", "")),
                       baseline_report is not None)


def _segments(report: Report, old: Report | None, top: int) -> tuple[RegressedSegment, ...]:
    """With the baseline output: the largest sentence-chrF falls (similarity without references); else the
    lowest-scoring flagged segments (chrF, else margin)."""
    has_chrf = any("chrf" in link.metrics for link in report.links)
    metric = "chrf" if has_chrf else ("similarity" if old is not None else "margin")

    def value(link: Any) -> float | None:
        return link.metrics.get("chrf") if has_chrf else getattr(link, metric)

    out = []
    if old is not None:
        for new_link, old_link in zip(report.links, old.links):
            a, b = value(new_link), value(old_link)
            if a is not None and b is not None and a < b:
                out.append(RegressedSegment(new_link.tgt_lines[0] if new_link.tgt_lines else None, new_link.source,
                                            new_link.target, metric, a, old_link.target, b, tuple(f.code for f in new_link.flags)))
        out.sort(key=lambda s: (s.delta, s.line or 0))
    else:
        for link in report.flagged:
            v = value(link)
            out.append(RegressedSegment(link.tgt_lines[0] if link.tgt_lines else None, link.source, link.target,
                                        metric, v, flags=tuple(f.code for f in link.flags)))
        out.sort(key=lambda s: (math.inf if s.score is None else s.score, s.line or 0))
    return tuple(out[:top])
