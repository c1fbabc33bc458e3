"""report.html: one self-contained page to read, filter, sort and judge the flagged links.

The page opens offline and makes no network request: CSS, script and charts (SVG drawn by
the template from bins computed here) are inline, and a Content-Security-Policy meta forbids
anything else. All text is escaped by jinja2 autoescape. The data the script needs (flagged
links, for the verdict export) travels as JSON in ``<script type="application/json">`` with
``<``, ``>``, ``&`` and U+2028/2029 escaped; the script writes text only via ``textContent``.

Reviewer verdicts (``real_problem``, ``false_alarm``, ``fixed``) live in the browser's
localStorage under a key specific to the report (`report_key`); "Export verdicts" downloads
them as JSONL, which `read_verdicts` reads back so the next report marks pairs judged earlier.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..flag import REASONS
from ..metrics.base import METRICS
from ..records import Report, ScoredLink, Span
from .files import atomic_write
from .summary import summary
from .table import link_rows, report_metric_names

__all__ = ["CSP", "VERDICTS", "char_diff", "render_html", "report_key", "target_pieces", "write_report_html"]

VERDICTS: dict[str, str] = {"real_problem": "real problem", "false_alarm": "false alarm", "fixed": "fixed"}

# No fetch of any kind is allowed: the policy itself proves the page needs no network.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

VerdictKey = tuple[Sequence[int] | str, Sequence[int] | str]
# Verdicts keyed by (src ids, tgt ids): as read back from files (strings) or built in code (ids); Mapping's
# key type is invariant, so both shapes are named.
Verdicts = Mapping[VerdictKey, str] | Mapping[tuple[str, str], str]

# Scripts written without spaces between words are diffed one character at a time; the
# others one word at a time (a character diff of English matches stray letters and is noise).
_CHAR_SCRIPTS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fff\u3005-\u3007\u3040-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKEN = re.compile(rf"[{_CHAR_SCRIPTS}]|[^\W{_CHAR_SCRIPTS}]+|\s+|[^\w\s]")
_MAX_DIFF_CELLS = 4_000_000  # token pairs; SequenceMatcher is quadratic in the worst case

# Histograms: (field, label, threshold name or None, fixed range or None).
_CHARTS = (
    ("margin", "Ratio margin (source↔target)", "margin", None),
    ("similarity", "Cosine similarity (source↔target)", "similarity", None),
    ("chrf", "Sentence chrF vs reference (0–100)", "chrf", (0.0, 100.0)),
    ("bleu", "Sentence BLEU vs reference (0–100)", None, (0.0, 100.0)),
)
_W, _H, _PAD_L, _PAD_B, _PAD_T = 288, 136, 30, 22, 16


def report_key(report: Report) -> str:
    """A short id of the report's inputs and links (16 hex digits); names its verdicts in localStorage."""
    digest = hashlib.sha256(json.dumps(report.inputs, sort_keys=True, ensure_ascii=False).encode())
    for link in report.links:
        digest.update(json.dumps([link.link.src, link.link.tgt, link.source, link.target], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def char_diff(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]] | None:
    """Pieces of ``a`` and of ``b`` with ``True`` where they differ from the other text.

    Character-level for Chinese, Japanese, Thai, ...; word-level for space-separated scripts.
    None when the texts are too long to diff quickly.
    """
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    if "".join(ta) != a or "".join(tb) != b or len(ta) * len(tb) > _MAX_DIFF_CELLS:
        return None
    out_a: list[tuple[str, bool]] = []
    out_b: list[tuple[str, bool]] = []

    def add(out: list[tuple[str, bool]], text: str, changed: bool) -> None:
        if not text:
            return
        if out and out[-1][1] == changed:
            out[-1] = (out[-1][0] + text, changed)
        else:
            out.append((text, changed))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        add(out_a, "".join(ta[i1:i2]), op != "equal")
        add(out_b, "".join(tb[j1:j2]), op != "equal")
    return out_a, out_b


_SEVERITY_CLASS = re.compile(r"[a-z]+")


def _span_view(name: str, span: Span) -> dict[str, str]:
    """Class (``es es-<severity>``: the severity as a class when it is a plain lower-case word) and tooltip."""
    cls = f"es es-{span.severity}" if _SEVERITY_CLASS.fullmatch(span.severity) else "es"
    return {"cls": cls, "title": f"{METRICS[name].label if name in METRICS else name}: {span.severity} error, "
                                 f"confidence {span.confidence:.2f}", "text": span.text}  # fmt: skip


def target_pieces(link: ScoredLink, diff: list[tuple[str, bool]] | None) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The target as pieces ``{"text", "changed" (not in the reference), "span" (an error span's view or
    None)}``, and the spans that could not be placed in it (listed under the text instead).

    The spans are those of the first metric (registry order) that gives the link some. A span is placed
    where its offsets hold its text in the target as shown (a target with inline placeholders was scored
    without them: its spans are listed); empty spans and spans overlapping an earlier one are listed too."""
    pieces: list[dict[str, Any]] = [{"text": text, "changed": changed, "span": None}
                                    for text, changed in (diff or [(link.target, False)])]  # fmt: skip
    name = next((m for m in [*METRICS, *link.spans] if link.spans.get(m)), None)
    if name is None:
        return pieces, []
    placed: list[tuple[int, int, dict[str, str]]] = []
    unplaced: list[dict[str, str]] = []
    for span in sorted(link.spans[name], key=lambda s: (s.start, s.end)):
        fits = span.start < span.end and link.target[span.start : span.end] == span.text
        if fits and (not placed or placed[-1][1] <= span.start):
            placed.append((span.start, span.end, _span_view(name, span)))
        else:
            unplaced.append(_span_view(name, span))
    out: list[dict[str, Any]] = []
    pos = 0
    for piece in pieces:
        text, end = piece["text"], pos + len(piece["text"])
        cuts = sorted({pos, end, *(c for a, b, _ in placed for c in (a, b) if pos < c < end)})
        for lo, hi in zip(cuts, cuts[1:]):
            view = next((v for a, b, v in placed if a <= lo and hi <= b), None)
            out.append({"text": text[lo - pos : hi - pos], "changed": piece["changed"], "span": view})
        pos = end
    return out, unplaced


def _ids(value: Sequence[int] | str) -> tuple[int, ...]:
    return tuple(int(x) for x in value.split()) if isinstance(value, str) else tuple(int(x) for x in value)


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: those become null."""
    return value if value is None or math.isfinite(value) else None


def _script_json(value: Any) -> Markup:
    """JSON safe inside <script>: nothing in it can close the element or start markup."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)


def _histogram(values: list[float], threshold: float | None, fixed: tuple[float, float] | None) -> dict[str, Any]:
    """Bar geometry (SVG user units) for the template; bins wholly below the threshold are marked."""
    lo, hi = fixed or (min(values), max(values))
    if threshold is not None and fixed is None:
        lo, hi = min(lo, threshold), max(hi, threshold)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    if fixed is None:  # a margin of 4% each side, so a threshold at an end stays clear of the axis
        pad = (hi - lo) * 0.04
        lo, hi = lo - pad, hi + pad
    n_bins = 20 if fixed else min(24, max(8, round(2 * math.sqrt(len(values)))))
    width = (hi - lo) / n_bins
    counts = [0] * n_bins
    for v in values:
        counts[min(n_bins - 1, max(0, int((v - lo) / width)))] += 1
    plot_w, plot_h = _W - _PAD_L - 6, _H - _PAD_B - _PAD_T
    top = max(counts)

    def x(v: float) -> float:
        return round(_PAD_L + (v - lo) / (hi - lo) * plot_w, 2)

    bars = []
    for k, count in enumerate(counts):
        left, right = lo + k * width, lo + (k + 1) * width
        h = round(count / top * plot_h, 2) if top else 0.0
        bars.append({
            "x": x(left), "w": max(0.5, round(plot_w / n_bins - 1, 2)), "y": round(_PAD_T + plot_h - h, 2), "h": h,
            "low": threshold is not None and right <= threshold + 1e-12,
            "title": f"{left:.3g} – {right:.3g}: {count} link{'s' if count != 1 else ''}",
        })
    return {
        "w": _W, "h": _H, "base": _PAD_T + plot_h, "top_y": _PAD_T + 4, "left": _PAD_L, "right": _W - 6, "top": top,
        "bars": bars, "ticks": [{"x": x(v), "label": f"{v:.3g}"} for v in (lo, (lo + hi) / 2, hi)],
        "threshold": None if threshold is None else {"x": x(threshold), "label": f"{threshold:g}"},
        "n": len(values),
    }


def _charts(report: Report) -> list[dict[str, Any]]:
    charts = []
    for name, label, th_name, fixed in _CHARTS:
        if name in ("margin", "similarity"):
            raw = [getattr(link, name) for link in report.links]
        else:
            raw = [link.metrics.get(name) for link in report.links]
        values = [float(v) for v in raw if v is not None and math.isfinite(v)]
        if values:
            threshold = report.thresholds.get(th_name) if th_name else None
            charts.append({"name": name, "label": label, "threshold_name": th_name, **_histogram(values, threshold, fixed)})
    return charts


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _sort_value(value: float | None) -> str:
    """A number for ``data-v`` that JavaScript's ``Number()`` reads back; "" (sorted last) when missing."""
    if value is None or math.isnan(value):
        return ""
    return "Infinity" if value == math.inf else "-Infinity" if value == -math.inf else repr(value)


@functools.cache
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evalkit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["sortv"] = _sort_value
    return env


MAX_ROWS = 5000


def render_html(report: Report, verdicts: Verdicts | None = None) -> str:
    """The whole page as text. ``verdicts`` (from `read_verdicts`) marks pairs judged in an earlier review."""
    earlier: dict[tuple[tuple[int, ...], tuple[int, ...]], str] = {}
    if verdicts and any(link.document for link in report.links):
        raise ValueError("verdicts name links by segment ids, which restart in every document: give one document")
    for (src, tgt), verdict in (verdicts or {}).items():
        if verdict not in VERDICTS:
            raise ValueError(f"verdicts: unknown verdict {verdict!r} for {src}/{tgt}; use one of {', '.join(VERDICTS)}")
        earlier[(_ids(src), _ids(tgt))] = verdict
    table = link_rows(report)
    has_refs = any(link.references for link in report.links)
    rows: list[dict[str, Any]] = []
    export: dict[str, Any] = {}
    for n, (link, row) in enumerate(zip(report.links, table)):
        rid = f"{row['src_ids']}|{row['tgt_ids']}"
        if link.document is not None:  # ids restart in every document
            rid = f"{link.document}|{rid}"
        diff = char_diff(link.target, link.references[0]) if link.references and link.target else None
        earlier_verdict = earlier.get((link.link.src, link.link.tgt))
        pieces, unplaced = target_pieces(link, diff[0] if diff else None)
        rows.append({
            "id": rid, "n": n + 1, "row": row, "link": link, "diff": diff, "pieces": pieces, "unplaced": unplaced,
            "flags": [{"code": f.code, "detail": f.detail, "why": REASONS.get(f.code, "")} for f in link.flags],
            "earlier": earlier_verdict and {"code": earlier_verdict, "label": VERDICTS[earlier_verdict]},
        })
        if link.flagged:
            export[rid] = {
                **({} if link.document is None else {"document": link.document}),
                "src_ids": list(link.link.src), "tgt_ids": list(link.link.tgt),
                "source": link.source, "target": link.target,
                "reasons": [f.code for f in link.flags],
                "flags": [
                    {"code": f.code, "detail": f.detail, "value": _finite(f.value), "threshold": _finite(f.threshold)}
                    for f in link.flags
                ],
            }
    rows.sort(key=lambda r: (not r["link"].flagged, r["n"]))  # flagged first, then document order
    # A page a browser can open: every flagged link, then unflagged ones up to MAX_ROWS (pairs.csv has all).
    shown = max(MAX_ROWS, sum(1 for r in rows if r["link"].flagged))
    omitted = max(0, len(rows) - shown)
    rows = rows[:shown]
    key = report_key(report)
    info = summary(report)
    present = [code for code in REASONS if info["reasons"].get(code)]
    present += sorted(code for code, count in info["reasons"].items() if count and code not in REASONS)
    extra = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
             for k, v in report.extra.items() if k != "documents"}  # documents: a table of their own
    return _environment().get_template("report.html.j2").render(
        csp=CSP, key=key, info=info, rows=rows, has_refs=has_refs, charts=_charts(report),
        metric_cols=_metric_columns(report), metric_labels={m: METRICS[m].label for m in METRICS},
        metric_titles={m: METRICS[m].description for m in METRICS},
        reasons=REASONS, present=present, verdicts=VERDICTS, extra=extra, omitted=omitted,
        span_metrics=[METRICS[m].label if m in METRICS else m for m in dict.fromkeys(m for l in report.links for m in l.spans)],
        data=_script_json({"key": key, "rows": export}),
    )


def _metric_columns(report: Report) -> list[str]:
    """The per-link metrics shown as columns: registered ones with an ``html_column``, in that order."""
    shown = [m for m in report_metric_names(report) if METRICS[m].html_column is not None]
    return sorted(shown, key=lambda m: METRICS[m].html_column or 0)


def write_report_html(report: Report, path: Path, verdicts: Verdicts | None = None) -> None:
    """Write `render_html` to ``path`` atomically (UTF-8)."""
    atomic_write(path, render_html(report, verdicts))
