"""A run history's exports: history.html (one inline-SVG chart per metric), history.csv and history.json.

history.html is self-contained like report.html (same Content-Security-Policy, `evalkit.report.html.CSP`):
the charts are SVG computed here and drawn by the template, all text is escaped by jinja2, and a few lines
of script show a run's label, commit and verdict on hover (also in each point's SVG ``<title>``).
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..gate.history import SCHEMA_VERSION, Run
from .files import atomic_write, prepare_dir

__all__ = ["history_csv", "history_data", "history_json", "history_text", "render_history_html", "rule_name", "write_history"]

_LABELS = {"bleu": "BLEU", "chrf": "chrF", "chrf++": "chrF++", "ter": "TER (lower is better)", "similarity": "Similarity",
           "margin": "Margin", "flag_rate": "Flagged links, % (lower is better)"}
_ORDER = ("chrf", "bleu", "chrf++", "ter", "similarity", "margin", "flag_rate")
_W, _H, _L, _R, _T, _B = 720, 220, 56, 16, 14, 30  # chart size and paddings, SVG user units


def _reference(runs: Sequence[Run]) -> Run | None:
    return next((r for r in runs if r.pinned), runs[0] if runs else None)


def _metrics(runs: Sequence[Run]) -> list[str]:
    seen = {m for r in runs for m in r.values()}
    return [m for m in _ORDER if m in seen] + sorted(seen - set(_ORDER))


def _failed(run: Run) -> list[dict[str, Any]]:
    return [v for v in run.verdicts if not v.get("passed", True)]


def rule_name(verdict: dict[str, Any]) -> str:
    """A recorded verdict's rule as `evalkit.gate.Rule` prints it: ``chrf max cumulative drop 2``."""
    limit = verdict.get("limit")
    return " ".join(str(x) for x in (verdict.get("metric"), str(verdict.get("rule", "")).replace("_", " "),
                                     f"{limit:g}" if isinstance(limit, (int, float)) else limit) if x is not None)


def history_data(runs: Sequence[Run], path: Path) -> dict[str, Any]:
    """history.json's content: the test set, the reference run of the cumulative rule, every run."""
    ref = _reference(runs)
    return {
        "kind": "history", "schema": SCHEMA_VERSION, "history": str(path),
        "test_set": runs[0].test_set if runs else None, "reference_run": ref.id if ref else None,
        "runs": [
            {"id": r.id, "label": r.label, "created": r.created, "commit": r.commit, "target": r.target,
             "baseline": r.baseline, "passed": r.passed, "pinned": r.pinned, "output_kept": r.has_output,
             "flag_rate": r.flag_rate,
             "scores": {m: {"score": s.score, "ci95": list(s.ci95) if s.ci95 else None, "signature": s.signature}
                        for m, s in sorted(r.scores.items())},
             "verdicts": list(r.verdicts)}
            for r in runs
        ],
    }


def history_json(runs: Sequence[Run], path: Path) -> str:
    return json.dumps(history_data(runs, path), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"


def history_csv(runs: Sequence[Run]) -> str:
    """One row per run and metric (flag_rate included, without interval or signature)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "label", "created", "commit", "passed", "pinned", "metric", "score", "ci_low", "ci_high", "signature"])
    for r in runs:
        rows = [(m, s.score, *(s.ci95 or ("", "")), s.signature) for m, s in sorted(r.scores.items())]
        if r.flag_rate is not None:
            rows.append(("flag_rate", r.flag_rate, "", "", ""))
        for row in rows:
            writer.writerow([r.id, r.label or "", r.created, r.commit or "", int(r.passed), int(r.pinned), *row])
    return out.getvalue()


def history_text(runs: Sequence[Run], path: Path) -> str:
    """One line per run for a terminal."""
    if not runs:
        return f"{path}: no runs yet"
    metrics = [m for m in _metrics(runs) if m in ("chrf", "bleu", "flag_rate")] or _metrics(runs)[:3]
    ref = _reference(runs)
    lines = [f"{'run':>4}  {'verdict':7}  {'created':25}  {'label':16}  " + "  ".join(f"{m:>9}" for m in metrics)]
    for r in runs:
        values = r.values()
        cells = "  ".join(f"{values[m]:9.2f}" if m in values else f"{'':>9}" for m in metrics)
        mark = " *" if ref is not None and r.id == ref.id else ""
        lines.append(f"{r.id:>4}  {'pass' if r.passed else 'FAIL':7}  {r.created:25}  {(r.label or (r.commit or '')[:12]):16}  {cells}{mark}")
    lines.append(f"* the run --max-cumulative-drop measures from ({'pinned' if ref and ref.pinned else 'the first'})")
    return "\n".join(lines)


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    step = (hi - lo) / n
    magnitude = 10 ** math.floor(math.log10(step)) if step > 0 else 1.0
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= step)
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 10) for k in range(n + 2) if first + k * step <= hi + 1e-12]


def _chart(metric: str, runs: Sequence[Run], ref: Run | None) -> dict[str, Any]:
    """SVG geometry of one metric's chart: points with 95% intervals over the runs, in run order."""
    rows = [(i, r, r.values()[metric], r.scores.get(metric)) for i, r in enumerate(runs) if metric in r.values()]
    ys = [v for _, _, v, _ in rows] + [c for _, _, _, s in rows if s and s.ci95 for c in s.ci95]
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.08 or max(abs(hi) * 0.01, 0.5)
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = _W - _L - _R, _H - _T - _B
    n = len(runs)

    def x(i: int) -> float:
        return round(_L + (plot_w / 2 if n == 1 else i * plot_w / (n - 1)), 2)

    def y(v: float) -> float:
        return round(_T + (hi - v) / (hi - lo) * plot_h, 2)

    digits = 4 if metric in ("similarity", "margin") else 2
    points = []
    for i, r, v, s in rows:
        failed_here = [f for f in _failed(r) if f.get("metric") == metric]
        ci = f" [{s.ci95[0]:.{digits}f}, {s.ci95[1]:.{digits}f}]" if s and s.ci95 else ""
        verdict = ("FAIL: " + "; ".join(rule_name(f) for f in _failed(r))) if not r.passed else "pass"
        tip = " · ".join(x for x in (
            f"run {r.id}", r.label or "", f"commit {r.commit[:12]}" if r.commit else "no commit", r.created,
            f"{_LABELS.get(metric, metric)} {v:.{digits}f}{ci}", verdict) if x)
        points.append({
            "x": x(i), "y": y(v), "ci": (y(s.ci95[1]), y(s.ci95[0])) if s and s.ci95 else None, "tip": tip, "run": r.id,
            "state": "fail" if failed_here else ("fail-other" if not r.passed else "pass"),
            "reference": ref is not None and r.id == ref.id,
        })
    return {
        "metric": metric, "title": _LABELS.get(metric, metric), "w": _W, "h": _H, "left": _L, "right": _W - _R,
        "top": _T, "bottom": _H - _B, "line": " ".join(f"{p['x']},{p['y']}" for p in points), "points": points,
        "yticks": [{"y": y(t), "label": f"{t:g}"} for t in _ticks(lo, hi)],
        "xticks": [{"x": x(i), "label": str(r.id)} for i, r in enumerate(runs) if n <= 30 or i % math.ceil(n / 30) == 0],
        "ref_y": y(ref.values()[metric]) if ref is not None and metric in ref.values() else None,
    }


@functools.cache
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("evalkit.report", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("history.html.j2")


def render_history_html(runs: Sequence[Run], path: Path) -> str:
    """The page: a table of runs and one chart per metric; offline (`evalkit.report.html.CSP`)."""
    from .html import CSP

    ref = _reference(runs)
    charts = [_chart(m, runs, ref) for m in _metrics(runs)] if runs else []
    return str(_template().render(
        csp=CSP, path=str(path), runs=runs, charts=charts, reference=ref, rule_name=rule_name,
        failed=sum(1 for r in runs if not r.passed), test_set=runs[0].test_set if runs else {}))


def write_history(runs: Sequence[Run], path: Path, out_dir: Path) -> list[Path]:
    """Write history.html, history.csv and history.json into ``out_dir``; return their paths."""
    folder = prepare_dir(out_dir)
    files = [(folder / "history.html", render_history_html(runs, path)), (folder / "history.csv", history_csv(runs)),
             (folder / "history.json", history_json(runs, path))]
    for file, text in files:
        atomic_write(file, text)
    return [f for f, _ in files]
