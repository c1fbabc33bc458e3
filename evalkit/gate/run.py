"""One gate run as `evalkit check` and the Python API's `evalkit.check` both do it: which metrics a run must
score for the rules, the check that the baseline's own output is the one the baseline was made from, and
the inputs' match followed by every rule's verdict."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import Report
from .baseline import Baseline, BaselineMismatch, check_inputs
from .decision import CheckResult, run_check
from .settings import CheckSettings

__all__ = ["check_baseline_report", "check_metrics", "check_run"]


def check_metrics(settings: CheckSettings) -> tuple[str, ...]:
    """The sacrebleu (statistics) metrics a run is scored with for ``settings``: those the rules name, plus chrF,
    BLEU and chrF++ (recorded in a baseline); TER, the slow one, only when a rule asks for it. The registry's
    segment metrics are always computed by the pipeline."""
    from ..metrics.base import metric_names

    wanted = {r.metric for r in settings.rules} | {"chrf", "bleu", "chrf++"}
    return tuple(m for m in metric_names("statistics") if m in wanted)


def check_baseline_report(baseline: Baseline, old: Report, label: str) -> None:
    """A `BaselineMismatch` unless ``old`` (the baseline's output scored now; ``label`` names it) is the output
    the baseline was made from (same target fingerprint; a baseline without one is not checked)."""
    from ..report.summary import report_fingerprints

    expected = (baseline.fingerprints or {}).get("target")
    if expected and report_fingerprints(old)["target"] != expected:
        raise BaselineMismatch(f"{label}: not the output the baseline {baseline.path} was made from (target fingerprint differs)",
                               "give the output file that was scored for the baseline")  # fmt: skip


def check_run(
    report: Report, baseline: Baseline, settings: CheckSettings, baseline_report: Report | None = None,
    baseline_label: str = "the baseline output", notes: Sequence[str] = (),
) -> CheckResult:
    """Refuse a run on other inputs than the baseline's (`check_inputs`, `check_baseline_report`), then judge
    every rule (`run_check`). ``baseline_report``: the baseline's output scored now, for paired tests;
    ``notes``: the caller's warnings, reported with the run's (e.g. how --history was asked for)."""
    warnings = check_inputs(baseline, report) + list(notes)
    if baseline_report is not None:
        check_baseline_report(baseline, baseline_report, baseline_label)
    return run_check(report, baseline, settings, baseline_report, warnings)
