"""Leaderboard writers: leaderboard.json (with signatures and fingerprints), leaderboard.csv, leaderboard.html,
and the terminal table of ``evalkit compare``.

Deterministic: keys sorted, no timestamps, so the same inputs give byte-identical files. The HTML page is
self-contained (inline CSS, no network, Content-Security-Policy meta, jinja2 autoescape) in the style of
report.html; its drill-down lists, for each system against the baseline (and any pair asked for), the
segments whose sentence scores differ most, with the two outputs diffed.
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

from .. import __version__
from ..compare import CLUSTER_RULE, Leaderboard
from ..metrics.base import LABELS, METRICS, lower_is_better, metric_names
from .files import atomic_write, prepare_dir
from .table import neutralise

__all__ = [
    "LABELS",
    "differences",
    "format_table",
    "leaderboard_csv",
    "leaderboard_dict",
    "leaderboard_header",
    "leaderboard_json",
    "leaderboard_rows",
    "render_leaderboard_html",
    "write_leaderboard",
]



def _num(value: float | None, digits: int = 6) -> float | None:
    return round(float(value), digits) if value is not None and math.isfinite(value) else None


def _vs_baseline(lb: Leaderboard, name: str, metric: str) -> dict[str, Any] | None:
    if name == lb.baseline:
        return None
    test = lb.test(metric, lb.baseline, name)
    if test is None:
        return None
    base, score = lb.system(lb.baseline).scores[metric].score, lb.system(name).scores[metric].score
    return {"p_value": _num(test.p_value), "delta": _num(score - base), "significant": test.p_value < lb.options.alpha}


def leaderboard_dict(lb: Leaderboard) -> dict[str, Any]:
    """Everything of the leaderboard as plain JSON values (the content of leaderboard.json)."""
    opts = lb.options
    systems = []
    for s in lb.systems:
        systems.append({
            "rank": s.rank, "cluster": s.cluster, "name": s.name, "path": s.path,
            "fingerprint": s.target_fingerprint,
            "scores": {
                m: {"score": _num(sc.score), "ci95": [_num(sc.ci95[0]), _num(sc.ci95[1])] if sc.ci95 else None,
                    "signature": sc.signature}
                for m, sc in s.scores.items()
            },
            "counts": {"links": s.n_links, "flagged": s.n_flagged} if "flag_rate" in lb.metrics else {},
            "reasons": s.reasons,
            "vs_baseline": {m: v for m in lb.metrics if (v := _vs_baseline(lb, s.name, m))},
            "warnings": list(s.warnings),
        })
    pairwise = [
        {"metric": r.metric, "method": r.method, "baseline": r.baseline, "system": r.system,
         "baseline_score": _num(r.baseline_score), "system_score": _num(r.system_score),
         "delta": _num(r.system_score - r.baseline_score), "p_value": _num(r.p_value),
         "significant": r.p_value < opts.alpha, "signature": r.signature}
        for r in lb.paired
    ]
    return {
        "evalkit_version": __version__,
        "kind": "leaderboard",
        "inputs": lb.inputs,
        "languages": {"source": lb.src_lang, "target": lb.tgt_lang},
        "fingerprints": lb.fingerprints,
        "main_metric": lb.main,
        "baseline": lb.baseline,
        "metrics": {m: {"higher_is_better": not lower_is_better(m),
                        "signature": lb.system(lb.baseline).scores[m].signature} for m in lb.metrics},
        "settings": {"paired_test": opts.method, "paired_samples": opts.n_samples or (1000 if opts.method == "bs" else 10000),
                     "bootstrap": opts.n_bootstrap, "seed": opts.seed, "alpha": opts.alpha, "all_pairs": opts.all_pairs,
                     "clusters": CLUSTER_RULE},
        "systems": systems,
        "pairwise": pairwise,
        "model": lb.model,
        "thresholds": opts.thresholds.as_dict() if "flag_rate" in lb.metrics else {},
        "thresholds_origin": opts.thresholds_origin if "flag_rate" in lb.metrics else "",
        "warnings": list(lb.warnings),
    }


def leaderboard_json(lb: Leaderboard) -> str:
    return json.dumps(leaderboard_dict(lb), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def leaderboard_rows(lb: Leaderboard) -> list[dict[str, Any]]:
    """One row per system in rank order, the cells of leaderboard.csv as typed values (None for an empty cell):
    rank, cluster, system, then per metric its score, 95% interval and p-value against the baseline, then the
    flagged and all links (with flag_rate) and the path."""
    rows = []
    for s in lb.systems:
        row: dict[str, Any] = {"rank": s.rank, "cluster": s.cluster, "system": s.name}
        for m in lb.metrics:
            sc = s.scores[m]
            vs = _vs_baseline(lb, s.name, m)
            row |= {m: _num(sc.score, 4), f"{m}_low": _num(sc.ci95[0], 4) if sc.ci95 else None,
                    f"{m}_high": _num(sc.ci95[1], 4) if sc.ci95 else None, f"{m}_p": vs["p_value"] if vs else None}
        flags = "flag_rate" in lb.metrics
        row |= {"flagged": s.n_flagged if flags else None, "links": s.n_links if flags else None, "path": s.path}
        rows.append(row)
    return rows


def leaderboard_header(lb: Leaderboard) -> list[str]:
    """The columns of leaderboard.csv (and of `leaderboard_rows`), in order."""
    header = ["rank", "cluster", "system"]
    for m in lb.metrics:
        header += [m, f"{m}_low", f"{m}_high", f"{m}_p"]
    return header + ["flagged", "links", "path"]


def leaderboard_csv(lb: Leaderboard) -> str:
    """One row per system in rank order: each metric with its 95% interval and p-value against the baseline."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(leaderboard_header(lb))
    for row in leaderboard_rows(lb):
        writer.writerow([neutralise(v) if isinstance(v, str) else ("" if v is None else v) for v in row.values()])
    return out.getvalue()


def _fmt(metric: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{METRICS[metric].digits if metric in METRICS else 2}f}"


def format_table(lb: Leaderboard) -> str:
    """The terminal table: rank, cluster, system, the main metric with its 95% interval and p-value against
    the baseline, then the other metrics; ``*`` marks a significant difference from the baseline."""
    main, others = lb.main, [m for m in lb.metrics if m != lb.main]
    width = max(6, *(len(s.name) for s in lb.systems))
    head = f"{'rank':>4} {'cl':>3}  {'system':<{width}}  {LABELS[main]:>8} {'95% CI':<17} {'p':>6}"
    head += "".join(f" {LABELS[m]:>10}" for m in others)
    lines = [head]
    cluster = None
    for s in lb.systems:
        if cluster is not None and s.cluster != cluster:
            lines.append(" " * 9 + "-" * (len(head) - 9))
        cluster = s.cluster
        sc = s.scores[main]
        ci = f"[{_fmt(main, sc.ci95[0])}, {_fmt(main, sc.ci95[1])}]" if sc.ci95 else ""
        vs = _vs_baseline(lb, s.name, main)
        p = "base" if s.name == lb.baseline else (f"{vs['p_value']:.3f}" if vs else "")
        line = f"{s.rank:>4} {s.cluster:>3}  {s.name:<{width}}  {_fmt(main, sc.score):>8} {ci:<17} {p:>6}"
        for m in others:
            v = _vs_baseline(lb, s.name, m)
            mark = "*" if v and v["significant"] else " "
            line += f" {_fmt(m, s.scores[m].score):>9}{mark}"
        lines.append(line)
    opts = lb.options
    n = opts.n_samples or (1000 if opts.method == "bs" else 10000)
    test = "paired bootstrap" if opts.method == "bs" else "approximate randomization"
    lines.append(
        f"\n{len(lb.systems)} systems on {lb.fingerprints['segments']} segments ({lb.src_lang}→{lb.tgt_lang}); "
        f"p: {test} ({n} samples, seed {opts.seed}) on {LABELS[main]} against {lb.baseline}; "
        f"* p < {opts.alpha:g} against the baseline; clusters split where a system is significantly worse "
        "than every system of the cluster above"
    )
    return "\n".join(lines)


def differences(lb: Leaderboard, a: str, b: str, top: int = 20) -> dict[str, Any]:
    """The ``top`` segments where systems ``a`` and ``b`` differ most on the drill-down metric (the main
    metric's sentence score, or sentence chrF when the main metric is not a reference metric and chrF
    was computed, else similarity), largest absolute difference first; ties by line."""
    from .html import char_diff

    metric = lb.main if lb.main in metric_names("statistics") else "chrf" if "chrf" in lb.metrics else "similarity"
    sa, sb = lb.system(a), lb.system(b)
    va, vb = sa.sentence.get(metric, ()), sb.sentence.get(metric, ())
    scored = [(abs(y - x), i) for i, (x, y) in enumerate(zip(va, vb)) if x is not None and y is not None]
    rows = []
    for delta, i in sorted(scored, key=lambda t: (-t[0], t[1]))[:top]:
        diff = char_diff(sa.texts[i], sb.texts[i])
        rows.append({
            "line": i + 1, "source": lb.sources[i] if lb.sources else "",
            "reference": lb.references[0][i] if lb.references else "",
            "a": sa.texts[i], "b": sb.texts[i], "score_a": va[i], "score_b": vb[i], "delta": (vb[i] or 0) - (va[i] or 0),
            "diff": diff,
        })
    return {"a": a, "b": b, "metric": metric, "label": LABELS.get(metric, metric), "rows": rows}


@functools.cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evalkit.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["num"] = lambda v, m: _fmt(m, v)
    return env


def render_leaderboard_html(lb: Leaderboard, pairs: Sequence[tuple[str, str]] = (), top: int = 20) -> str:
    """The whole leaderboard page. Drill-downs: each system against the baseline, then ``pairs``."""
    from .html import CSP

    wanted = [(lb.baseline, s.name) for s in lb.systems if s.name != lb.baseline] + list(pairs)
    drills = [differences(lb, a, b, top) for a, b in dict.fromkeys(wanted)]
    info = leaderboard_dict(lb)
    names = [s.name for s in lb.systems]
    matrix = [[None if x == y else (t.p_value if (t := lb.test(lb.main, x, y)) else None) for y in names] for x in names]
    return _environment().get_template("leaderboard.html.j2").render(
        csp=CSP, info=info, lb=lb, labels=LABELS, drills=drills, names=names, matrix=matrix,
        alpha=lb.options.alpha, others=[m for m in lb.metrics if m != lb.main],
    )


def write_leaderboard(lb: Leaderboard, out_dir: Path, pairs: Sequence[tuple[str, str]] = (), top: int = 20) -> dict[str, Path]:
    """Write leaderboard.json, leaderboard.csv and leaderboard.html into ``out_dir``, each atomically."""
    prepare_dir(out_dir)
    paths = {name: out_dir / name for name in ("leaderboard.json", "leaderboard.csv", "leaderboard.html")}
    atomic_write(paths["leaderboard.json"], leaderboard_json(lb))
    atomic_write(paths["leaderboard.csv"], leaderboard_csv(lb))
    atomic_write(paths["leaderboard.html"], render_leaderboard_html(lb, pairs, top))
    return paths
