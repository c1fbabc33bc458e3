"""From every system's per-segment work to the ranked leaderboard: the part of ``evalkit compare`` that needs
the whole test set at once, shared by the local run (`evalkit.compare.compare`) and the Ray engine
(`evalkit.engine.ray_compare`), so both give the same leaderboard.

Given each system's sufficient statistics per segment (`ScoredSystem`), it computes corpus scores, the 95%
intervals (one set of resamples shared by all systems), the paired tests (sacrebleu's draws and p-values)
and the ranks and clusters (`evalkit.compare.CLUSTER_RULE`). Numpy work only: no file is read here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..compare import (
    CompareOptions,
    Leaderboard,
    ScoredSystem,
    SystemResult,
    assign_clusters,
    better,
    paired_means,
    with_embedding,
)
from ..metrics.base import lower_is_better
from ..records import Score
from ..stats import PairedResult, bootstraps, paired_from_stats

__all__ = ["rank_systems"]


def rank_systems(
    systems: Sequence[ScoredSystem],
    prepared: Mapping[str, Any],
    metrics: tuple[str, ...],
    main: str,
    options: CompareOptions,
    *,
    src_lang: str,
    tgt_lang: str,
    inputs: dict[str, Any],
    sources: tuple[str, ...],
    references: tuple[tuple[str, ...], ...],
    source_fingerprint: str,
    reference_fingerprints: list[str],
    progress: Callable[[str], None] | None = None,
) -> Leaderboard:
    """The leaderboard of ``systems`` (in the order given, before ranking) on ``metrics`` (see `plan_metrics`).

    ``prepared`` maps each reference metric to its `MetricRefs` (only its settings are used: the statistics
    are in ``systems``). ``progress`` is called once per metric tested.
    """
    step = progress or (lambda _what: None)
    names = [s.name for s in systems]
    stats: dict[str, dict[str, np.ndarray]] = {m: {s.name: s.stats[m] for s in systems} for m in prepared}
    per_segment: dict[str, dict[str, np.ndarray]] = {m: {} for m in metrics}
    results: dict[str, SystemResult] = {}
    model: dict[str, str] = {}
    warnings: list[str] = [f"{m}: {p.note}" for m, p in prepared.items() if p.note]
    for s in systems:
        scores: dict[str, Score] = {}
        for m, p in prepared.items():
            scores[m] = p.score_from_stats(stats[m][s.name], n_bootstrap=0)
            per_segment[m][s.name] = np.array(p.sentence_from_stats(stats[m][s.name]))
        result = SystemResult(s.name, s.path, scores, s.target_fingerprint, texts=s.texts)
        if s.embedding is not None:
            part = s.embedding
            result = with_embedding(result, part, options)
            model = part.report.model
            warnings += [f"{s.name}: {w}" for w in part.report.warnings]
            per_segment["similarity"][s.name] = part.similarity
            per_segment["margin"][s.name] = part.margin
            per_segment["flag_rate"][s.name] = np.where(part.flagged, 100.0, 0.0)
            for m, values in part.segment.items():
                if m in per_segment:
                    per_segment[m][s.name] = values
        results[s.name] = result

    # 95% intervals of the reference metrics: one set of resamples for all systems.
    if options.n_bootstrap > 1:
        for m, p in prepared.items():
            boots = bootstraps([stats[m][n] for n in names], p.metric, options.n_bootstrap, options.seed)
            for n, bs in zip(names, boots):
                sc = results[n].scores[m]
                sc = replace(sc, signature=p.signature(options.n_bootstrap, options.seed), ci95=(bs.low, bs.high),
                             extra={**sc.extra, "bs_mean": bs.mean, "bs_ci": bs.half_width})
                results[n] = replace(results[n], scores={**results[n].scores, m: sc})
    sentence = {n: {m: tuple(None if not np.isfinite(v) else float(v) for v in per_segment[m][n]) for m in metrics}
                for n in names}
    results = {n: replace(r, sentence=sentence[n]) for n, r in results.items()}

    def score(n: str, m: str) -> float:
        return results[n].scores[m].score

    baseline = options.baseline or _ordered(results.values(), main)[0].name
    paired: list[PairedResult] = []
    every = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    every = [(b, a) if b == baseline else (a, b) for a, b in every]
    for m in metrics:
        pairs = every if (m == main or options.all_pairs) else [(baseline, n) for n in names if n != baseline]
        for a in dict.fromkeys(a for a, _ in pairs):
            partners = [b for a2, b in pairs if a2 == a]
            if m in prepared:
                paired += paired_from_stats(
                    prepared[m].metric, stats[m][a], {b: stats[m][b] for b in partners}, baseline=a, metric_name=m,
                    method=options.method, n_samples=options.n_samples, seed=options.seed,
                )
            else:
                sig = results[a].scores[m].signature.split("|bs:")[0]
                paired += paired_means(
                    m, (a, per_segment[m][a], score(a, m)), {b: (per_segment[m][b], score(b, m)) for b in partners},
                    method=options.method, n_samples=options.n_samples, seed=options.seed, signature=sig,
                )
        step(m)

    fingerprints = {"source": source_fingerprint, "references": list(reference_fingerprints), "segments": len(sources),
                    "links": len(sources)}  # fmt: skip
    lb = Leaderboard(
        systems=tuple(results[n] for n in names), metrics=metrics, main=main, baseline=baseline, options=options,
        paired=tuple(paired), inputs=inputs, fingerprints=fingerprints, src_lang=src_lang, tgt_lang=tgt_lang,
        model=model, warnings=tuple(warnings), sources=sources, references=references,
    )
    return _with_ranks(lb)


def _ordered(systems: Iterable[SystemResult], main: str) -> list[SystemResult]:
    """Best first on ``main``; ties by name; a system without a score (every output empty) last."""

    def key(s: SystemResult) -> tuple[float, str]:
        value = s.scores[main].score
        if not math.isfinite(value):
            return (math.inf, s.name)
        return (value if lower_is_better(main) else -value, s.name)

    return sorted(systems, key=key)


def _with_ranks(lb: Leaderboard) -> Leaderboard:
    """``lb`` with systems sorted by the main metric, ranked and clustered."""
    main, alpha = lb.main, lb.options.alpha
    ordered = _ordered(lb.systems, main)

    def sig_better(a: str, b: str) -> bool:
        test = lb.test(main, a, b)
        if test is None or test.p_value >= alpha:
            return False
        return better(main, lb.system(a).scores[main].score, lb.system(b).scores[main].score)

    clusters = assign_clusters([s.name for s in ordered], sig_better)
    ranked = tuple(replace(s, rank=i, cluster=clusters[s.name]) for i, s in enumerate(ordered, start=1))
    return replace(lb, systems=ranked)
