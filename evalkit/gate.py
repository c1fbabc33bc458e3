"""The CI gate: compare a new run with a baseline and decide pass (exit 0) or regression (exit 1).

A baseline is a JSON file from an earlier run: ``summary.json`` of ``evalkit score``, one system of a
``leaderboard.json``, or the file ``evalkit check --write-baseline`` records. It must carry the inputs'
fingerprints (`evalkit.compare.report_fingerprints`): a run on a different source, different references or
another segment count is refused (exit 2), because its scores say nothing about a regression.

Rules, per metric (``bleu``, ``chrf``, ``chrf++``, ``ter``, ``similarity``, ``margin``, ``flag_rate`` = percent
of links flagged): ``max_drop`` (largest allowed worsening: a fall, or a rise for ``ter`` and ``flag_rate``),
``min`` and ``max`` (absolute limits). A ``max_drop`` rule fails only when the worsening is larger than
allowed *and*, when the baseline's own output is given (``baseline_report``), significant in a paired test
(p < alpha), so noise does not fail a build. Without the baseline output no paired test is possible: the
size of the drop alone decides. ``min``/``max`` never take a test: they are limits, not comparisons.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .compare import EMBEDDING_METRICS, LOWER_IS_BETTER, REFERENCE_METRICS, paired_means, report_fingerprints
from .config import find_config
from .errors import ConfigError, EvalkitError, InputError, UsageError
from .records import Report
from .stats import DEFAULT_SEED, paired_from_stats

__all__ = [
    "DEFAULT_RULES",
    "METRICS",
    "Baseline",
    "BaselineMismatch",
    "CheckResult",
    "CheckSettings",
    "RegressedSegment",
    "RegressionError",
    "Rule",
    "Verdict",
    "baseline_record",
    "check_inputs",
    "judge",
    "load_baseline",
    "load_settings",
    "report_values",
    "run_check",
]

METRICS = (*REFERENCE_METRICS, *EMBEDDING_METRICS)
RuleKind = Literal["max_drop", "min", "max"]
# Used when neither options nor the config name a rule for a metric (reference metrics only with references).
DEFAULT_RULES: dict[tuple[str, RuleKind], float] = {
    ("chrf", "max_drop"): 0.5, ("bleu", "max_drop"): 1.0, ("similarity", "max_drop"): 0.01, ("flag_rate", "max_drop"): 2.0,
}
_CONFIG_KEYS = {"alpha", "paired", "samples", "top", "max_drop", "min", "max"}


class RegressionError(EvalkitError):
    """The new run is worse than the baseline by more than the rules allow (exit code 1)."""

    exit_code = 1


class BaselineMismatch(EvalkitError):
    """The run and the baseline are not on the same test set (exit code 2)."""


@dataclass(frozen=True)
class Rule:
    """One rule on one metric. ``value`` in the metric's units (flag_rate in percentage points)."""

    metric: str
    kind: RuleKind
    value: float
    origin: str = "default"

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ConfigError(f"{self.origin}: unknown metric {self.metric!r} in a check rule", f"use one of: {', '.join(METRICS)}")
        if not math.isfinite(self.value) or (self.kind == "max_drop" and self.value < 0):
            raise ConfigError(f"{self.origin}: {self.kind} {self.metric}={self.value} is not a finite value >= 0", "e.g. chrf=1.0")

    def __str__(self) -> str:
        op = {"max_drop": "max drop", "min": "min", "max": "max"}[self.kind]
        return f"{self.metric} {op} {self.value:g}"


@dataclass(frozen=True)
class CheckSettings:
    """Rules and test settings: ``alpha`` 0-1, ``method`` bs (paired bootstrap) or ar (approximate
    randomization), ``n_samples`` (None: 1000 for bs, 10000 for ar), ``top`` segments to name."""

    rules: tuple[Rule, ...]
    alpha: float = 0.05
    method: Literal["bs", "ar"] = "bs"
    n_samples: int | None = None
    seed: int = DEFAULT_SEED
    top: int = 10
    origin: str = "defaults"

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha={self.alpha} must be between 0 and 1", "e.g. --alpha 0.05")
        if self.method not in ("bs", "ar"):
            raise ConfigError(f"unknown paired test {self.method!r}", "use bs or ar")
        counts_ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (self.top, self.n_samples or 1, self.seed))
        if not counts_ok or self.top < 0 or (self.n_samples is not None and self.n_samples < 1):
            raise ConfigError(f"top={self.top!r} must be an integer >= 0, samples={self.n_samples!r} >= 1", "e.g. top = 10, samples = 1000")


def _parse_pairs(items: Sequence[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {item!r} is not METRIC=VALUE", f"e.g. {option} chrf=1.0")
        out[key.strip()] = value.strip()
    return out


def _number(value: Any, where: str) -> float | None:
    if isinstance(value, str) and value.lower() == "off":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {value!r} is not a number", "give a number, or 'off' to drop the rule") from None


def load_settings(
    max_drop: Sequence[str] = (),
    minimum: Sequence[str] = (),
    maximum: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
    start: Path | None = None,
) -> CheckSettings:
    """Settings from `DEFAULT_RULES`, then ``[check]`` of evalkit.toml / ``[tool.evalkit.check]`` of
    pyproject.toml (found from ``start``), then the options (``METRIC=VALUE``; ``off`` drops a rule).

    ``overrides`` holds option values that replace the config's (alpha, method, n_samples, seed, top).
    """
    rules: dict[tuple[str, str], Rule | None] = {k: Rule(k[0], k[1], v) for k, v in DEFAULT_RULES.items()}
    values: dict[str, Any] = {}
    origin = "defaults"
    found = find_config(start or Path.cwd())
    if found and isinstance(found[1].get("check"), dict):
        path, section = found[0], found[1]["check"]
        unknown = set(section) - _CONFIG_KEYS
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} in [check]", f"use: {', '.join(sorted(_CONFIG_KEYS))}")
        for kind in ("max_drop", "min", "max"):
            table = section.get(kind, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: [check.{kind}] must be a table", f"write e.g. [check.{kind}] chrf = 1.0")
            for metric, raw in table.items():
                number = _number(raw, f"{path} [check.{kind}] {metric}")
                rules[(metric, kind)] = None if number is None else Rule(metric, kind, number, str(path))  # type: ignore[arg-type]
        values = {"alpha": section.get("alpha"), "method": section.get("paired"), "n_samples": section.get("samples"), "top": section.get("top")}
        origin = str(path)
    for kind, items in (("max_drop", max_drop), ("min", minimum), ("max", maximum)):
        option = "--" + kind.replace("_", "-")
        for metric, raw in _parse_pairs(items, option).items():
            number = _number(raw, f"{option} {metric}")
            rules[(metric, kind)] = None if number is None else Rule(metric, kind, number, option)  # type: ignore[arg-type]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    kept = tuple(r for r in rules.values() if r is not None)
    try:
        return CheckSettings(kept, **{k: v for k, v in values.items() if v is not None}, origin=origin)
    except TypeError as exc:
        raise ConfigError(f"{origin}: bad [check] value ({exc})", "see `evalkit check --help`") from None


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
    from .report.summary import summary

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


def _paired_p(metric: str, new: Report, old: Report, settings: CheckSettings) -> float | None:
    """Two-sided p-value of the difference between the two runs on ``metric`` (paired, same segments)."""
    from .io.markup import strip_placeholders
    from .metrics.reference import prepare

    if metric in REFERENCE_METRICS:
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
    if metric == "flag_rate":
        return np.array([100.0 if link.flagged else 0.0 for link in report.links])
    return np.array([np.nan if (v := getattr(link, metric)) is None else v for link in report.links], dtype=np.float64)


def judge(rule: Rule, base: float | None, value: float, p: float | None, alpha: float = 0.05) -> Verdict:
    """The verdict of one rule: ``base``/``value`` are the baseline's and the new corpus scores, ``p`` the
    paired test's p-value of their difference (None: no test possible, the size alone decides).

    The change is rounded to 6 decimals, the precision baseline files keep, so an unchanged output shows 0.
    """
    digits = 4 if rule.metric in ("similarity", "margin") else 2

    def f(x: float) -> str:
        return f"{x:.{digits}f}"

    if rule.kind in ("min", "max"):
        ok = value >= rule.value if rule.kind == "min" else value <= rule.value
        op = (">=" if ok else "<") if rule.kind == "min" else ("<=" if ok else ">")
        return Verdict(rule, base, value, None, None, ok, f"{f(value)} {op} {rule.kind} {rule.value:g}")
    if base is None:
        raise UsageError(f"rule '{rule}' needs the baseline's {rule.metric} score", "re-record the baseline with that metric")
    lower = rule.metric in LOWER_IS_BETTER
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
            p = _paired_p(rule.metric, report, baseline_report, settings)
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
        out.sort(key=lambda s: (s.delta, s.line or 0))  # type: ignore[arg-type, return-value]
    else:
        for link in report.flagged:
            v = value(link)
            out.append(RegressedSegment(link.tgt_lines[0] if link.tgt_lines else None, link.source, link.target,
                                        metric, v, flags=tuple(f.code for f in link.flags)))
        out.sort(key=lambda s: (math.inf if s.score is None else s.score, s.line or 0))
    return tuple(out[:top])
