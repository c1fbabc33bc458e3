"""The per-link scoring kernel: what happens to one measured link, the same in every path.

The local run (`evalkit.pipeline.score_alignment`, hence several documents and compare), ``--stream``
(`evalkit.stream`) and Ray (`evalkit.engine.ray_stages.check_shard`) each measure links their own way, then
call `finish_link`: the content checks (`run_checks`), ``too_long`` against the model's input limit, and the
flag rules (`flag_link`). Segment metrics of the registry go through `segment_values` in every path.

Where the paths differ, by design, the difference is what the caller measures before the kernel, never in
the kernel (written down once, here):

=====================  ==========================  ============================  ==========================
                       local (and documents)       ``--stream``                  Ray
=====================  ==========================  ============================  ==========================
margin neighbours      the whole document/file     the chunk (a short last       the shard, or the whole set
                                                   chunk adds the previous one)  (``RaySettings.neighbours``)
length model           fitted on all links         fitted on the first chunk     fitted on all rows
corpus intervals       bootstrap                   none (``bs:0``)               exact or Poisson bootstrap
shift check, moves     yes (``extra`` flags)       no                            shift check only
token counts           encoder, in the kernel's    encoder, before the checks    the embedding stage
                       caller                      go to the worker processes
=====================  ==========================  ============================  ==========================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..config import Thresholds
from ..flag import flag_link
from ..metrics.base import SegmentContext, SegmentMetric
from ..metrics.checks import LengthModel, run_checks
from ..records import Flag, ScoredLink, Span

__all__ = ["LinkContext", "finish_link", "finish_links", "segment_flags", "segment_spans", "segment_values", "token_counts",
           "too_long"]


@dataclass(frozen=True)
class LinkContext:
    """What `finish_link` needs besides the link: languages, the fitted length model, the thresholds, and the
    embedding model's input limit in tokens (None: no limit, or no model in this run)."""

    src_lang: str
    tgt_lang: str
    length_model: LengthModel
    thresholds: Thresholds
    max_tokens: int | None = None


def too_long(n_tokens: int, max_tokens: int | None, side: str) -> Flag | None:
    """The ``too_long`` flag when a side has more tokens than the model reads (it scored a truncated text)."""
    if max_tokens is None or n_tokens <= max_tokens:
        return None
    return Flag("too_long", f"too_long: {side} has {n_tokens} tokens > {max_tokens} the model reads", n_tokens, max_tokens)


def token_counts(encoder: Any, source: str, target: str) -> tuple[int, int] | None:
    """Tokens of both sides as the encoder counts them; None when it has no input limit."""
    if encoder is None or encoder.max_tokens is None:
        return None
    return encoder.count_tokens(source), encoder.count_tokens(target)


def finish_link(
    scored: ScoredLink,
    source: str,
    target: str,
    ctx: LinkContext,
    tokens: tuple[int, int] | None = None,
    extra: Iterable[Flag] = (),
) -> ScoredLink:
    """``scored`` with its flags and notes: checks → too_long → flag rules.

    ``source``/``target`` are the texts as scored (placeholders stripped); ``tokens`` their token counts
    (`token_counts`) for the ``too_long`` check; ``extra`` flags found elsewhere (``moved``, absorbed
    ``unpaired``). An unpaired link gets no content check; a link with an empty side gets the checks,
    which say ``empty``.
    """
    th = ctx.thresholds
    checks: list[Flag] = []
    if scored.link.paired:
        checks = run_checks(source, target, ctx.src_lang, ctx.tgt_lang, ctx.length_model, repetition=th.repetition)
        if tokens is not None and source.strip() and target.strip():
            checks += [f for f in (too_long(tokens[0], ctx.max_tokens, "source"),
                                   too_long(tokens[1], ctx.max_tokens, "target")) if f]  # fmt: skip
    checks += extra
    flags, info = flag_link(scored, checks, th)
    return replace(scored, flags=flags, info=info)


def finish_links(
    batch: Sequence[tuple[ScoredLink, str, str, tuple[int, int] | None, tuple[Flag, ...]]], ctx: LinkContext
) -> list[ScoredLink]:
    """`finish_link` over ``(scored, source, target, tokens, extra)`` items: the unit of work of a worker process."""
    return [finish_link(scored, source, target, ctx, tokens, extra) for scored, source, target, tokens, extra in batch]


def segment_values(metrics: Sequence[SegmentMetric], ctx: SegmentContext) -> dict[str, np.ndarray]:
    """Each segment metric's values over ``ctx``'s links (float64, NaN where undefined), shapes checked."""
    out: dict[str, np.ndarray] = {}
    for metric in metrics:
        values = np.asarray(metric.segment_values(ctx), dtype=np.float64)
        if values.shape != (len(ctx.sources),):
            raise ValueError(f"metric {metric.name}: segment_values gave shape {values.shape} for {len(ctx.sources)} links")
        out[metric.name] = values
    return out


def segment_flags(metrics: Sequence[SegmentMetric]) -> dict[int, tuple[Flag, ...]]:
    """The flags the metrics' last `segment_values` calls raised (`SegmentMetric.flags`), by link position in
    that call's ``ctx``: every path passes them to `finish_link` as ``extra`` flags."""
    out: dict[int, list[Flag]] = {}
    for metric in metrics:
        for position, flag in metric.flags().items():
            out.setdefault(position, []).append(flag)
    return {position: tuple(flags) for position, flags in out.items()}


def segment_spans(metrics: Sequence[SegmentMetric]) -> dict[str, dict[int, tuple[Span, ...]]]:
    """The error spans of the metrics that give them (``gives_spans``), from their last `segment_values`
    call: ``{name: {position in ctx: spans}}``."""
    return {metric.name: metric.segment_spans() for metric in metrics if metric.gives_spans}
