"""What `evalkit meta` writes: segments.csv, meta.json, the console table (meta.html is `evalkit.meta.html`)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..report.files import atomic_write
from .run import MetaResult

__all__ = ["console_table", "fmt", "meta_dict", "meta_json", "segments_csv", "write_outputs"]


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def segments_csv(result: MetaResult) -> str:
    """One row per rated (system, item): system, seg_id, human, then each metric's raw value ("" = not scored)."""
    data = result.data
    names = list(result.metrics)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["system", "seg_id", "human", *names])
    for s, system in enumerate(data.systems):
        for k, item in enumerate(data.items):
            h = data.human[s, k]
            if not np.isfinite(h):
                continue
            row = [system, item, repr(float(h))]
            for name in names:
                v = result.metrics[name].values[s, k]
                row.append(repr(float(v)) if np.isfinite(v) else "")
            writer.writerow(row)
    return out.getvalue()


def _tie(t: Any) -> dict[str, Any]:
    return {"value": _num(t.acc), "epsilon": _num(t.epsilon), "pairs": t.pairs, "rows": t.rows}


def meta_dict(result: MetaResult) -> dict[str, Any]:
    data = result.data
    metrics: dict[str, Any] = {}
    for name, m in result.metrics.items():
        seg, sysl = m.segment, m.system
        metrics[name] = {
            "signature": m.signature,
            "segment": {"kendall_b": _num(seg.kendall_b), "acc_eq": _num(seg.acc_eq.acc),
                        "acc_eq_epsilon": _num(seg.acc_eq.epsilon), "pearson": _num(seg.pearson), "n": seg.n},
            "segment_item": {"acc_eq": _num(seg.acc_eq_item.acc), "acc_eq_epsilon": _num(seg.acc_eq_item.epsilon),
                             "items": seg.acc_eq_item.rows, "pairs": seg.acc_eq_item.pairs},
            "system": {"pearson": _num(sysl.pearson), "pairwise_accuracy": _num(sysl.pairwise_accuracy),
                       "spa": _num(sysl.spa), "n": sysl.n, "items": sysl.items,
                       "metric_means": dict(zip(data.systems, (_num(x) for x in sysl.metric_means)))},
            "ci95": {k: (list(v) if v else None) for k, v in sorted(m.ci.items())},
        }
    first = next(iter(result.metrics.values()), None)
    return {
        "signature": result.signature,
        "human": {"file": data.origin, "kind": data.kind, "systems": list(data.systems), "items": len(data.items),
                  "rated": data.rated, "src_lang": result.src_lang, "tgt_lang": result.tgt_lang,
                  "system_means": dict(zip(data.systems, (_num(x) for x in first.system.human_means)))
                  if first else {}},
        "metrics": metrics,
        "significance": {"note": "p[a][b]: p-value that metric a is better than metric b (paired permutation test; small = significant)",
                         **{stat: {a: {b: p for b, p in sorted(row.items())} for a, row in sorted(rows.items())}
                            for stat, rows in sorted(result.significance.items())}},
        "flag_validity": {f"{v.rule}|{v.target}": v.as_dict() for v in result.validity},
        "warnings": list(result.warnings),
    }


def meta_json(result: MetaResult) -> str:
    return json.dumps(meta_dict(result), ensure_ascii=False, indent=2, sort_keys=False, allow_nan=False) + "\n"


def fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}" if x is not None and math.isfinite(x) else "-"


def console_table(result: MetaResult) -> str:
    """The figures of every metric, one line each, then the flag rules' validity."""
    lines = [f"{result.data.origin}: {len(result.data.systems)} systems, {result.data.rated} rated segments "
             f"({result.src_lang}-{result.tgt_lang})",
             f"{'metric':<12} {'seg tau_b':>9} {'seg acc_eq':>10} {'item acc_eq':>11} {'seg r':>7} "
             f"{'sys r':>7} {'sys acc':>7} {'sys SPA':>7}"]
    for name, m in result.metrics.items():
        seg, sysl = m.segment, m.system
        lines.append(f"{name:<12} {fmt(seg.kendall_b):>9} {fmt(seg.acc_eq.acc):>10} {fmt(seg.acc_eq_item.acc):>11} "
                     f"{fmt(seg.pearson):>7} {fmt(sysl.pearson):>7} {fmt(sysl.pairwise_accuracy):>7} {fmt(sysl.spa):>7}")
    if result.validity:
        lines.append("")
        lines.append(f"{'flag rule':<18} {'major: P':>9} {'R':>6} {'lift':>5}   {'error-free: P':>13} {'R':>6} {'lift':>5}  flagged")
        by_rule: dict[str, dict[str, Any]] = {}
        for v in result.validity:
            by_rule.setdefault(v.rule, {})[v.target] = v
        for rule, t in by_rule.items():
            a, b = t["major"], t["error_free"]
            lines.append(f"{rule:<18} {fmt(a.precision):>9} {fmt(a.recall):>6} {fmt(a.lift, 2):>5}   "
                         f"{fmt(b.precision):>13} {fmt(b.recall):>6} {fmt(b.lift, 2):>5}  {a.flagged}")
    for w in result.warnings:
        lines.append(f"warning: {w}")
    lines.append(f"signature: {result.signature}")
    return "\n".join(lines) + "\n"


def write_outputs(result: MetaResult, out_dir: Path) -> dict[str, Path]:
    """segments.csv, meta.json and meta.html into ``out_dir`` (created), each written atomically."""
    from .html import render_meta_html

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"segments.csv": out_dir / "segments.csv", "meta.json": out_dir / "meta.json",
             "meta.html": out_dir / "meta.html"}
    atomic_write(paths["segments.csv"], segments_csv(result))
    atomic_write(paths["meta.json"], meta_json(result))
    atomic_write(paths["meta.html"], render_meta_html(result))
    return paths
