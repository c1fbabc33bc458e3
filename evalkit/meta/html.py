"""meta.html: one offline page (inline SVG and CSS, no script, the report's Content-Security-Policy).

A scatter plot of human score against each metric (at most `MAX_POINTS` points a plot, every k-th segment
beyond that, said under the plot), the figures table, and the system rankings side by side.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from ..report.html import CSP
from .outputs import fmt
from .run import MetaResult

__all__ = ["MAX_POINTS", "render_meta_html"]

MAX_POINTS = 4000
W, H, PAD = 320, 240, 36


def _scatter(x: np.ndarray, y: np.ndarray, xlabel: str) -> str:
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    step = max(1, math.ceil(len(x) / MAX_POINTS))
    xs, ys = x[::step], y[::step]
    if not len(xs):
        return "<p>no scored segments</p>"
    x0, x1 = float(xs.min()), float(xs.max())
    y0, y1 = float(ys.min()), float(ys.max())
    sx = (W - 2 * PAD) / ((x1 - x0) or 1.0)
    sy = (H - 2 * PAD) / ((y1 - y0) or 1.0)
    dots = "".join(f'<circle cx="{PAD + (a - x0) * sx:.1f}" cy="{H - PAD - (b - y0) * sy:.1f}" r="1.6"/>'
                   for a, b in zip(xs.tolist(), ys.tolist()))
    note = f"<p class=note>every {step}th of {len(x)} segments shown</p>" if step > 1 else ""
    return (f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="human against {escape(xlabel)}">'
            f'<rect x="{PAD}" y="{PAD}" width="{W - 2 * PAD}" height="{H - 2 * PAD}" class=frame />'
            f'<g class=dots>{dots}</g>'
            f'<text x="{W / 2}" y="{H - 6}" text-anchor="middle">{escape(xlabel)} ({x0:.3g} to {x1:.3g})</text>'
            f'<text x="10" y="{H / 2}" transform="rotate(-90 10 {H / 2})" text-anchor="middle">human ({y0:.3g} to {y1:.3g})</text>'
            f"</svg>{note}")


def _ranking(systems: tuple[str, ...], means: tuple[float, ...], title: str) -> str:
    order = sorted(range(len(systems)), key=lambda k: -means[k] if math.isfinite(means[k]) else math.inf)
    rows = "".join(f"<tr><td>{n + 1}</td><td>{escape(systems[k])}</td><td>{fmt(means[k], 3)}</td></tr>"
                   for n, k in enumerate(order))
    return f"<table class=rank><caption>{escape(title)}</caption><tr><th>#</th><th>system</th><th>mean</th></tr>{rows}</table>"


def render_meta_html(result: MetaResult) -> str:
    data = result.data
    human = data.human
    figures = "".join(
        f"<tr><td>{escape(n)}</td><td>{fmt(m.segment.kendall_b)}</td><td>{fmt(m.segment.acc_eq.acc)}</td>"
        f"<td>{fmt(m.segment.acc_eq_item.acc)}</td><td>{fmt(m.segment.pearson)}</td><td>{fmt(m.system.pearson)}</td>"
        f"<td>{fmt(m.system.pairwise_accuracy)}</td><td>{fmt(m.system.spa)}</td></tr>"
        for n, m in result.metrics.items())
    plots = "".join(f"<figure><figcaption>{escape(n)}</figcaption>{_scatter(m.values.ravel(), human.ravel(), n)}</figure>"
                    for n, m in result.metrics.items())
    first = next(iter(result.metrics.values()), None)
    rankings = ""
    if first:
        rankings = _ranking(data.systems, first.system.human_means, "human")
        rankings += "".join(_ranking(data.systems, m.system.metric_means, n) for n, m in result.metrics.items())
    validity = "".join(
        f"<tr><td>{escape(v.rule)}</td><td>{escape(v.target)}</td><td>{v.flagged}</td><td>{fmt(v.precision)}</td>"
        f"<td>{fmt(v.recall)}</td><td>{fmt(v.lift, 2)}</td></tr>" for v in result.validity)
    warn = "".join(f"<li>{escape(w)}</li>" for w in result.warnings)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>evalkit meta: {escape(data.origin)}</title>
<style>
body{{font:14px system-ui,sans-serif;margin:1.5em;color:#222}} table{{border-collapse:collapse;margin:.5em 1em .5em 0}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}} td:nth-child(2),td:first-child{{text-align:left}}
figure{{display:inline-block;margin:.5em}} .frame{{fill:none;stroke:#999}} .dots circle{{fill:#2563eb;fill-opacity:.35}}
svg text{{font-size:10px}} .rank{{display:inline-table;vertical-align:top}} .note,.sig{{color:#555;font-size:12px}}
</style></head><body>
<h1>Meta-evaluation against human scores</h1>
<p>{escape(data.origin)} ({escape(data.kind)}): {len(data.systems)} systems, {data.rated} rated segments,
{escape(result.src_lang)}&rarr;{escape(result.tgt_lang)}.</p>
<table><tr><th>metric</th><th>seg &tau;<sub>b</sub></th><th>seg acc<sub>eq</sub></th><th>item acc<sub>eq</sub></th>
<th>seg r</th><th>sys r</th><th>sys pairwise acc</th><th>sys SPA</th></tr>{figures}</table>
<h2>Human against metric</h2>{plots}
<h2>System rankings</h2><div>{rankings}</div>
<h2>Flag validity</h2>
<table><tr><th>rule</th><th>target</th><th>flagged</th><th>precision</th><th>recall</th><th>lift</th></tr>{validity}</table>
<ul>{warn}</ul>
<p class=sig>{escape(result.signature)}</p>
</body></html>
"""
