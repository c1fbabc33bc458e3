"""The cumulative rule: the drop from the history's reference run (its first, or the pinned one).

Teams re-baseline after every accepted change, so a slow decline passes forever when each step is judged
against the step before. ``max_cumulative_drop`` judges each run against a fixed run of the history
(`evalkit.gate.history.reference_run`) instead, with the same verdict as ``max_drop`` (`evalkit.gate.judge`):
a drop fails when it is larger than allowed and, when the reference run's output is at hand (kept in the
history for line files), significant in a paired test.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..records import Report
from .baseline import report_values
from .decision import CheckResult, Verdict, judge, paired_p
from .history import Run, RunScore, check_history, record_run, reference_run, run_output

__all__ = ["cumulative_verdicts", "gate_history", "run_scores"]

ScoreOutput = Callable[[bytes], Report]  # scores an output file's bytes on the run's test set


def cumulative_verdicts(report: Report, reference: Run | None, result: CheckResult, path: Path,
                        score_output: ScoreOutput | None = None,
                        known: tuple[str | None, Report | None] = (None, None)) -> tuple[list[Verdict], list[str]]:
    """The verdicts of ``result.settings``' cumulative rules, and warnings.

    ``reference`` None: this run is the history's first, nothing to measure from (every rule passes and says
    so). ``score_output`` scores the reference's kept output for the paired test; ``known`` is an output
    already scored (target fingerprint, report), e.g. the baseline's, reused when it is the same output.
    """
    settings = result.settings
    rules = [r for r in settings.rules if r.kind == "max_cumulative_drop"]
    values = report_values(report)
    verdicts: list[Verdict] = []
    notes: list[str] = []
    old_report: Report | None = None
    old_tried = False
    for rule in rules:
        if rule.metric not in values:
            if rule.origin.startswith("--"):
                raise UsageError(f"rule '{rule}' ({rule.origin}): this run has no {rule.metric} score",
                                 "give references for reference metrics")
            continue
        value = values[rule.metric]
        if reference is None:
            verdicts.append(dataclasses.replace(
                judge(rule, value, value, None, settings.alpha), baseline=None, change=None,
                detail=f"cumulative: first run in {path}, later runs are measured from it"))
            continue
        base = reference.values().get(rule.metric)
        if base is None:
            notes.append(f"{reference.name} in {path} has no {rule.metric} score: '{rule}' not checked")
            continue
        then, now = reference.scores.get(rule.metric), report.scores.get(rule.metric)
        if then and now and then.signature.split("|bs:")[0] != now.signature.split("|bs:")[0]:
            notes.append(f"{rule.metric}: signature differs from {reference.name}'s ({then.signature} vs {now.signature})")
        verdict = judge(rule, base, value, None, settings.alpha)
        reason = f"{reference.name} kept no output"
        if not verdict.passed and reference.has_output and score_output is not None:
            if not old_tried:
                old_tried = True
                old_report = known[1] if known[0] is not None and known[0] == reference.target else None
                if old_report is None:
                    data = run_output(path, reference.id)
                    old_report = score_output(data) if data is not None else None
            if old_report is not None and len(old_report.links) == len(report.links):
                verdict = judge(rule, base, value, paired_p(rule.metric, report, old_report, settings), settings.alpha)
            else:
                reason = f"{reference.name}'s output does not pair line by line with this run's"
        detail = verdict.detail.replace("no --baseline-tgt", reason)
        verdicts.append(dataclasses.replace(verdict, detail=f"cumulative since {reference.name}: {detail}"))
    return verdicts, notes


def run_scores(report: Report) -> list[RunScore]:
    """The run's corpus scores as the history keeps them."""
    return [RunScore(m, s.score, s.signature, s.ci95) for m, s in sorted(report.scores.items())
            if math.isfinite(s.score)]


def gate_history(path: Path, report: Report, result: CheckResult, fingerprints: dict[str, Any], *, label: str | None,
                 commit: str | None, output: bytes | None = None, score_output: ScoreOutput | None = None,
                 known: tuple[str | None, Report | None] = (None, None)) -> tuple[CheckResult, Run]:
    """Judge the cumulative rules against the history at ``path``, then record the run with the final
    verdict; return the completed result and the run as recorded."""
    check_history(path, fingerprints)
    reference = reference_run(path)
    extra, notes = cumulative_verdicts(report, reference, result, path, score_output, known)
    full = dataclasses.replace(result, verdicts=result.verdicts + tuple(extra),
                               warnings=tuple(dict.fromkeys(result.warnings + tuple(notes))))
    run = record_run(path, fingerprints=fingerprints, scores=run_scores(report), flag_rate=report_values(report).get("flag_rate"),
                     passed=full.passed, verdicts=full.as_dict()["verdicts"], label=label, commit=commit,
                     baseline=result.baseline, output=output)
    return full, run
