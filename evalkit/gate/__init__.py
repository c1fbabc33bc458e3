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

Modules: `evalkit.gate.settings` (rules and settings), `evalkit.gate.baseline` (reading and matching the
baseline), `evalkit.gate.decision` (verdicts). Import from ``evalkit.gate``. Over time (issue 17):
`evalkit.gate.history` (the SQLite run history), `evalkit.gate.drift` (``max_cumulative_drop``, measured from
the history's first or pinned run) and `evalkit.gate.agreement` (how often humans agree with a difference,
Kocmi et al. 2024).
"""

from __future__ import annotations

from .baseline import Baseline, BaselineMismatch, baseline_from_dict, baseline_record, check_inputs, load_baseline, report_values
from .decision import CheckResult, RegressedSegment, RegressionError, Verdict, judge, run_check
from .run import check_baseline_report, check_metrics, check_run
from .settings import DEFAULT_RULES, METRICS, CheckSettings, Rule, load_settings

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
    "baseline_from_dict",
    "baseline_record",
    "check_baseline_report",
    "check_inputs",
    "check_metrics",
    "check_run",
    "judge",
    "load_baseline",
    "load_settings",
    "report_values",
    "run_check",
]
