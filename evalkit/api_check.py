"""The Python API's `check`: the CI gate of ``evalkit check`` on a `Report` scored in memory, against a baseline
file or another `Report`, and the `GateResult` it returns."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .api import PathLike, Report
from .errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from .gate import CheckResult, RegressedSegment, Verdict

__all__ = ["GateResult", "check"]


@dataclass(frozen=True)
class GateResult:
    """The gate's outcome: ``passed``; ``rules``, one `evalkit.gate.Verdict` per rule (its rule, baseline and new
    value, change, p-value, passed, detail); ``exit_code`` as ``evalkit check`` exits (0 pass, 1 regression);
    ``record`` is the `evalkit.gate.CheckResult` the CLI's formats take."""

    record: CheckResult

    @property
    def passed(self) -> bool:
        return self.record.passed

    @property
    def rules(self) -> tuple[Verdict, ...]:
        return self.record.verdicts

    @property
    def failed(self) -> tuple[Verdict, ...]:
        return self.record.failed

    @property
    def segments(self) -> tuple[RegressedSegment, ...]:
        return self.record.segments

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.record.warnings

    @property
    def exit_code(self) -> int:
        from .gate import RegressionError

        return 0 if self.passed else RegressionError.exit_code

    def as_dict(self) -> dict[str, Any]:
        """What ``evalkit check --json`` prints."""
        return self.record.as_dict()

    def raise_for_regression(self) -> None:
        """Raise `evalkit.gate.RegressionError` (exit code 1) with ``evalkit check``'s message when a rule failed."""
        from .gate import RegressionError

        if not self.passed:
            names = ", ".join(f"{v.rule}" for v in self.failed)
            raise RegressionError(f"regression: {len(self.failed)} of {len(self.rules)} rules failed ({names})")

    def to_pandas(self) -> pd.DataFrame:
        """One row per rule: metric, rule (max_drop, min, max), limit, origin, baseline, value, change, p_value
        (floats, NaN where none), passed (bool), detail."""
        import pandas as pd

        rows = self.record.as_dict()["verdicts"]
        frame = pd.DataFrame(rows, columns=["metric", "rule", "limit", "origin", "baseline", "value", "change", "p_value",
                                            "passed", "detail"])  # fmt: skip
        for name in ("limit", "baseline", "value", "change", "p_value"):
            frame[name] = frame[name].astype("float64")
        return frame.astype({"passed": bool})

    def __repr__(self) -> str:
        return f"<evalkit.GateResult {'PASS' if self.passed else 'FAIL'}: {len(self.rules) - len(self.failed)} of {len(self.rules)} rules passed>"

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(f"<tr><td>{'ok' if v.passed else '<b>FAIL</b>'}</td><td>{e(str(v.rule))}</td><td>{e(v.detail)}</td></tr>"
                       for v in self.rules)  # fmt: skip
        head = f"<b>{'PASS' if self.passed else 'FAIL'}</b>: {len(self.rules) - len(self.failed)} of {len(self.rules)} rules passed"
        warnings = "".join(f"<li>{e(w)}</li>" for w in self.warnings)
        return (f"<div>{head} against {e(self.record.baseline)}<table>{rows}</table>"
                + (f"<ul>{warnings}</ul>" if warnings else "") + "</div>")  # fmt: skip


def check(
    run: Report, baseline: PathLike | Report, *, baseline_run: Report | None = None, system: str | None = None,
    max_drop: Mapping[str, float | str] | None = None, min: Mapping[str, float | str] | None = None,
    max: Mapping[str, float | str] | None = None, alpha: float | None = None, paired: Literal["bs", "ar"] | None = None,
    samples: int | None = None, top: int | None = None, seed: int | None = None,
) -> GateResult:
    """Judge ``run`` (from `evalkit.score`, `score_files` or `score_document`) against ``baseline``, as
    ``evalkit check`` does: rules from ``max_drop``/``min``/``max`` (metric -> value, ``"off"`` drops a rule),
    then ``[check]`` of evalkit.toml / pyproject.toml, then the defaults.

    ``baseline`` is a file (summary.json, leaderboard.json with ``system``, or `Report.write_baseline`'s), or the
    baseline's own `Report`. A drop fails only when also significant (paired test, p < ``alpha``) when the
    baseline's output is at hand: ``baseline_run`` (``--baseline-tgt``), or ``baseline`` given as a `Report`.
    A run on other inputs than the baseline's is an `evalkit.gate.BaselineMismatch`.
    """
    from .gate import baseline_from_dict, baseline_record, check_run, load_baseline, load_settings

    for name, value in (("run", run), ("baseline_run", baseline_run)):
        if value is not None and not isinstance(value, Report):
            raise UsageError(f"{name} is {type(value).__name__}, not an evalkit.Report", "score it first: run = evalkit.score(...)")
    settings = load_settings(max_drop or {}, min or {}, max or {},
                             {"alpha": alpha, "method": paired, "n_samples": samples, "top": top, "seed": seed})  # fmt: skip
    old: Report | None
    if isinstance(baseline, Report):
        if system is not None:
            raise UsageError("system= picks a system of a leaderboard.json; the baseline here is a Report", "drop system=")
        base = baseline_from_dict(baseline_record(baseline.record), Path("<baseline Report>"))
        old = baseline_run or baseline
    elif isinstance(baseline, str | Path):
        base = load_baseline(Path(baseline), system)
        old = baseline_run
    else:
        raise UsageError(f"baseline is {type(baseline).__name__}", "give a baseline file's path or the baseline's Report")
    result = check_run(run.record, base, settings, old.record if old is not None else None, "baseline_run")
    return GateResult(result)
