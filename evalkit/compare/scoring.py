"""Scoring every system on this machine: reference statistics once per system, the embedding part through
the `evalkit score` pipeline; `evalkit.ranking` then builds the leaderboard."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..records import Score
from ..fingerprint import fingerprint
from .inputs import _read_all, check_baseline, plan_metrics
from ..metrics.base import link_value, metric_names, segment_metrics
from .records import CompareOptions, EmbeddingPart, Leaderboard, ScoredSystem, SystemResult

__all__ = ["compare", "compare_parallel", "score_options", "with_embedding"]

Progress = Callable[[str], None]


def compare(
    src: Path,
    refs: Sequence[Path],
    systems: Sequence[tuple[str, Path]],
    options: CompareOptions = CompareOptions(),
    progress: Progress | None = None,
) -> Leaderboard:
    """Score every system on ``src`` (and ``refs``), test and rank them; see `evalkit.compare`.

    ``systems`` are ``(name, path)`` pairs (see `parse_systems`); every file must have as many lines as
    ``src``. ``progress`` is called once per finished step: one per system scored, then one per metric
    tested (``len(systems) + len(metrics)`` calls in all, metrics as in the returned leaderboard).
    """
    check_baseline(options, [name for name, _ in systems])
    data = _read_all(src, refs, systems)
    inputs = {"source": str(src), "references": [str(r) for r in refs]}
    return compare_parallel(data, {name: str(path) for name, path in systems}, inputs, options, progress)


def compare_parallel(
    data: dict[str, Any],
    paths: dict[str, str],
    inputs: dict[str, Any],
    options: CompareOptions = CompareOptions(),
    progress: Progress | None = None,
) -> Leaderboard:
    """Score, test and rank systems already read: ``data`` maps each system's name to its `Parallel` (the shared
    source and references, its output), in order; ``paths`` names where each came from (recorded as given), as
    ``inputs`` is. Files (`compare`) and lists in memory (`evalkit.compare` of the Python API) both end here."""
    from ..io.markup import strip_placeholders
    from ..metrics.reference import prepare
    from ..compare.ranking import rank_systems

    step = progress or (lambda _what: None)
    check_baseline(options, list(data))
    systems = [(name, paths[name]) for name in data]
    first = data[systems[0][0]]
    streams = [[seg.text for seg in stream] for stream in first.refs]
    metrics, main = plan_metrics(options, bool(streams))
    prepared = {m: prepare(m, streams, tgt_lang=first.tgt_lang) for m in metrics if m in metric_names("statistics")}
    scored: list[ScoredSystem] = []
    for name, path in systems:
        d = data[name]
        hyps = [strip_placeholders(seg.text) for seg in d.tgt]  # as `evalkit score` scores them
        part = _embedding_part(d, path, options) if options.embeddings else None
        scored.append(ScoredSystem(name, str(path), fingerprint([seg.text for seg in d.tgt]), tuple(hyps),
                                   {m: p.stats(hyps) for m, p in prepared.items()}, part))
        step(name)
    sources = [seg.text for seg in first.src]
    return rank_systems(
        scored, prepared, metrics, main, options, src_lang=first.src_lang, tgt_lang=first.tgt_lang,
        inputs=inputs, sources=tuple(sources),
        references=tuple(tuple(s) for s in streams), source_fingerprint=fingerprint(sources),
        reference_fingerprints=[fingerprint(stream) for stream in streams], progress=step,
    )


def _embedding_part(data: Any, path: Path | str, options: CompareOptions) -> EmbeddingPart:
    """Similarity, margin and flags of one system through the `evalkit score` pipeline (lines paired by number)."""
    from ..align import check_line_pairing
    from ..embed import get_encoder
    from ..score.pipeline import score_alignment
    from ..records import Alignment, Link

    encoder = get_encoder(options.model, options.cache_dir)
    n = len(data.src)
    alignment = Alignment(data.src, data.tgt, tuple(Link((i,), (i,)) for i in range(n)), method="by-line")
    link_refs = [tuple(stream[i].text for stream in data.refs) for i in range(n)]
    warnings = tuple(s.message for s in check_line_pairing(data.src, data.tgt, encoder))
    inputs = {"source": str(data.src[0].file if n else ""), "target": str(path)}
    report = score_alignment(alignment, link_refs, data.src_lang, data.tgt_lang, inputs, score_options(options, bool(data.refs)),
                             encoder, warnings)  # fmt: skip
    reasons: dict[str, int] = {}
    for link in report.links:
        for flag in link.flags:
            reasons[flag.code] = reasons.get(flag.code, 0) + 1

    def values(m: str) -> np.ndarray:
        return np.array([np.nan if getattr(l, m) is None else getattr(l, m) for l in report.links], dtype=np.float64)

    def segment(m: str) -> np.ndarray:
        return np.array([np.nan if (v := link_value(l, m)) is None else v for l in report.links], dtype=np.float64)

    flagged = np.array([link.flagged for link in report.links], dtype=bool)
    seg = {m.name: segment(m.name) for m in segment_metrics(None, has_refs=bool(data.refs), has_embeddings=True)}
    return EmbeddingPart(values("similarity"), values("margin"), flagged, reasons, report, seg)


def score_options(options: CompareOptions, has_refs: bool) -> Any:
    """The `evalkit score` settings a system's embedding part runs with (sentence chrF for the low_chrf flag)."""
    from ..score.pipeline import ScoreOptions

    return ScoreOptions(
        model=options.model, cache_dir=options.cache_dir, thresholds=options.thresholds,
        thresholds_origin=options.thresholds_origin, metrics=("chrf",) if has_refs else (),
        n_bootstrap=options.n_bootstrap, seed=options.seed,
    )


def with_embedding(result: SystemResult, part: EmbeddingPart, options: CompareOptions) -> SystemResult:
    """``result`` with similarity, margin, flag rate (percent of links flagged, with its bootstrap interval),
    counts, reasons and warnings from its embedding part."""
    from ..metrics.embedding import bootstrap_mean

    report = part.report
    scores = dict(result.scores)
    for m in (*metric_names("embedding"), *part.segment):  # no value at all when every output line is empty
        scores[m] = report.scores.get(m, Score(m, math.nan, report.model["signature"]))
    mean, ci = bootstrap_mean(np.where(part.flagged, 100.0, 0.0), n_samples=options.n_bootstrap, seed=options.seed)
    th = ",".join(f"{k}={v:g}" for k, v in sorted(report.thresholds.items()))
    sig = f"flags|thresholds:{th}|{report.model['signature']}|bs:{options.n_bootstrap}|seed:{options.seed}"
    scores["flag_rate"] = Score("flag_rate", mean, sig, ci)
    return replace(result, scores=scores, n_links=len(part.flagged), n_flagged=int(part.flagged.sum()),
                   reasons=dict(part.reasons), warnings=report.warnings)
