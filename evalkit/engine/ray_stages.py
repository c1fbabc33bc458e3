"""The work on one shard, without Ray: what the local pipeline does to each line, cut into row ranges.

``embed_shard`` (run by an actor that holds the encoder): the shift check over the shard and its
overlap, the embeddings of the shard's rows, cosines, reference similarity, token counts, the language
votes and length ratios the driver needs. ``check_shard`` (a task): sacrebleu statistics and sentence
scores, checks and flags, and the shard's rows of pairs.csv and pairs.parquet, built by the same
functions as the local run (`run_checks`, `flag_link`, `link_row`), so every row is the same.

Scores that need the whole corpus are finished on the driver from what the shards return: statistics
per row for sacrebleu's exact bootstrap, or, beyond the driver's memory, Poisson resample sums
(each row weighted by a Poisson(1) draw per resample, drawn per block of 4096 rows from the seed and
the block number, so the result does not depend on how rows were cut into shards; Hanley & MacGibbon
2006, Chamandy et al. 2012 "Estimating uncertainty for massive data streams").
"""

from __future__ import annotations

import inspect
import math
import statistics
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Thresholds
from ..embed.base import Encoder
from ..io.markup import strip_placeholders
from ..lang import line_vote
from ..metrics.base import metric_names
from ..metrics.checks import LengthModel, text_length
from ..metrics.embedding import pair_cosine, ratio_margin
from ..records import Flag, Link, Score, ScoredLink, Segment, Span
from ..report.csv import csv_text
from ..report.table import link_row
from ..score.kernel import LinkContext, finish_link
from .ray_io import Rows

__all__ = [
    "POISSON_BLOCK",
    "CheckContext",
    "CheckOut",
    "EmbedOut",
    "check_shard",
    "embed_shard",
    "merge_shifts",
    "poisson_mean",
    "poisson_score",
    "poisson_weights",
]

POISSON_BLOCK = 4096  # rows per block of Poisson weights
Piece = tuple[int, int, int, float, int, int]  # a shifted stretch in one shard: start, end, offset, gain, lines


def _plain(rows: Rows) -> tuple[list[str], list[str], np.ndarray]:
    """Texts as scored (placeholders stripped) and which rows are paired with both sides non-empty."""
    src = [strip_placeholders(t) for t in rows.src]
    tgt = [strip_placeholders(t) for t in rows.tgt]
    paired = np.array([bool(s.strip()) and bool(t.strip()) for s, t in zip(src, tgt)], dtype=bool)
    return src, tgt, paired


@dataclass(frozen=True)
class EmbedOut:
    """What one shard's embedding step returns: arrays over the shard's rows (NaN or -1 where undefined)."""

    lo: int
    src_votes: list[str]  # detected language of each voting source text, "" for a text that does not vote
    tgt_votes: list[str]
    paired: np.ndarray
    logratio: np.ndarray  # ln(target chars / source chars), NaN where the length model does not count the row
    cos: np.ndarray
    ref_sim: np.ndarray
    tokens: np.ndarray  # (rows, 2) tokens of source and target, -1 where not counted
    margin: np.ndarray | None  # ratio margin within the shard ("shard" neighbours)
    vectors: tuple[np.ndarray, np.ndarray] | None  # source and target vectors ("all" neighbours, on the driver)
    shifts: list[Piece]  # shifted stretches found in this shard
    ids: list[str] | None
    device: dict[str, Any] | None = None  # where the shard was embedded (`ray_workers.device_report`)


def _shift_pieces(window: Rows, lo: int, hi: int, encoder: Encoder, files: tuple[str, str]) -> list[Piece]:
    """`check_line_pairing` over the window, cut to the shard's own rows ``lo .. hi - 1``."""
    from ..align.shift import check_line_pairing

    def segments(texts: list[str], lines: list[int], file: str) -> list[Segment]:
        return [Segment(t, "und", window.lo + i, file, line) for i, (t, line) in enumerate(zip(texts, lines))]

    found = check_line_pairing(segments(window.src, window.src_lines, files[0]),
                               segments(window.tgt, window.tgt_lines, files[1]), encoder)  # fmt: skip
    pieces = []
    for shift in found:
        a, b = max(window.lo + shift.start, lo), min(window.lo + shift.end, hi)
        if a < b:
            first, last = window.tgt_lines[a - window.lo], window.tgt_lines[b - 1 - window.lo]
            pieces.append((a, b, shift.offset, shift.gain, first, last))
    return pieces


def merge_shifts(pieces: list[Piece], file: str) -> list[Any]:
    """Shifted stretches from the shards' pieces: touching pieces with the same offset join; stretches shorter
    than `check_line_pairing`'s ``min_lines`` are dropped, as there. The gain is the pieces' mean by length."""
    from ..align.shift import Shift, check_line_pairing

    min_lines = inspect.signature(check_line_pairing).parameters["min_lines"].default
    merged: list[list[Any]] = []
    for a, b, offset, gain, first, last in sorted(pieces):
        if merged and merged[-1][1] == a and merged[-1][2] == offset:
            prev = merged[-1]
            prev[3] = (prev[3] * (prev[1] - prev[0]) + gain * (b - a)) / (b - prev[0])
            prev[1], prev[5] = b, last
        else:
            merged.append([a, b, offset, gain, first, last])
    return [Shift(a, b, o, round(g, 4), f, l, file) for a, b, o, g, f, l in merged if b - a >= min_lines]


def embed_shard(
    window: Rows,
    lo: int,
    hi: int,
    encoder: Encoder,
    *,
    files: tuple[str, str],
    margin_k: int,
    neighbours: str,
) -> EmbedOut:
    """Embeddings and everything measured from them for rows ``lo .. hi - 1``; ``window`` holds them and the
    overlap on either side, read only by the shift check. ``neighbours`` is ``"all"`` (vectors go back to the
    driver for the whole-set k-NN) or ``"shard"`` (margins against this shard's rows)."""
    # The shift check first, as in the local run: its encode call is the one that fills the cache.
    shifts = _shift_pieces(window, lo, hi, encoder, files)
    core = slice(lo - window.lo, hi - window.lo)
    rows = Rows(lo, window.src[core], window.tgt[core], [r[core] for r in window.refs], window.src_lines[core],
                window.tgt_lines[core], window.src_voted[core], window.tgt_voted[core],
                window.ids[core] if window.ids else None)  # fmt: skip
    src, tgt, paired = _plain(rows)
    n = len(src)
    logratio = np.full(n, np.nan)
    for i in np.flatnonzero(paired):
        ls, lt = text_length(src[i]), text_length(tgt[i])
        if ls and lt:
            logratio[i] = math.log(lt / ls)
    src_vec, tgt_vec = encoder.encode(src), encoder.encode(tgt)
    idx = np.flatnonzero(paired)
    cos = np.full(n, np.nan)
    cos[idx] = pair_cosine(src_vec[idx], tgt_vec[idx])
    ref_sim = np.full(n, np.nan)
    if rows.refs and len(idx):
        sims = [pair_cosine(tgt_vec[idx], encoder.encode([stream[i] for i in idx])) for stream in rows.refs]
        ref_sim[idx] = np.max(np.vstack(sims), axis=0)
    tokens = np.full((n, 2), -1, dtype=np.int64)
    if encoder.max_tokens is not None:
        for i in idx:
            tokens[i] = (encoder.count_tokens(src[i]), encoder.count_tokens(tgt[i]))
    margin = None
    if neighbours == "shard":
        margin = np.full(n, np.nan)
        margin[idx] = ratio_margin(src_vec[idx], tgt_vec[idx], src_vec, tgt_vec, k=margin_k)
    def votes(texts: list[str], voted: list[bool]) -> list[str]:
        return [line_vote(t) if v else "" for t, v in zip(texts, voted)]

    return EmbedOut(lo, votes(rows.src, rows.src_voted), votes(rows.tgt, rows.tgt_voted), paired, logratio, cos,
                    ref_sim, tokens, margin, (src_vec, tgt_vec) if neighbours == "all" else None, shifts,
                    rows.ids)  # fmt: skip


@dataclass(frozen=True)
class CheckContext:
    """What every check task needs from the driver. ``exact`` returns statistics per row (sacrebleu's
    bootstrap on the driver); otherwise Poisson resample sums of ``n_bootstrap`` resamples from ``seed``."""

    src_lang: str
    tgt_lang: str
    length_model: LengthModel
    thresholds: Thresholds
    metrics: tuple[str, ...]
    n_refs: int
    max_tokens: int | None
    exact: bool
    n_bootstrap: int
    seed: int
    # registered segment metrics (qe, plug-ins) the shard computes from the embedding model's vectors: their
    # names, the model (its vectors are read back from the run's shared cache) and its signature; the
    # ``--metric`` specs of the plug-ins among them, which each worker loads itself (`evalkit.metrics.plugins`)
    segment: tuple[str, ...] = ()
    model: str = ""
    cache_dir: str | None = None
    model_signature: str = ""
    plugins: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckOut:
    """One shard's results: ``reasons`` the reason codes of each row (no fixed set of bits: any registered
    code fits); ``stats`` per metric,
    per row (exact) or summed (Poisson, shape (1, k); float statistics such as TER's stay per row, so the
    driver sums them in sacrebleu's order); ``resampled`` Poisson sums per resample (for
    ``similarity``/``margin``: weighted sum and weight); ``csv`` the shard's pairs.csv with its header."""

    lo: int
    reasons: tuple[tuple[str, ...], ...]
    stats: dict[str, np.ndarray]
    resampled: dict[str, np.ndarray]
    sums: dict[str, tuple[float, int]]
    csv: str
    rows: list[dict[str, Any]]
    segment: dict[str, np.ndarray] = field(default_factory=dict)  # per row, NaN where a metric has no value


def segment_rows(rows: Rows, src: list[str], tgt: list[str], paired: np.ndarray,
                 ctx: CheckContext) -> tuple[dict[str, np.ndarray], dict[int, tuple[Flag, ...]],
                                             dict[int, dict[str, tuple[Span, ...]]]]:  # fmt: skip
    """The registered segment metrics ``ctx.segment`` over the shard's paired rows, through the kernel's one
    `segment_values`, as the local run computes them (same texts, languages, unit vectors and signature), and
    the flags they raised (`segment_flags`) and the error spans of those that give them (`segment_spans`),
    by row of the shard. The plug-ins are registered (`check_shard`)."""
    from ..embed import get_encoder
    from ..metrics.base import SegmentContext, SegmentMetric, get_metric
    from ..score.kernel import segment_flags, segment_spans, segment_values

    cache = None if ctx.cache_dir is None else Path(ctx.cache_dir)
    # an unknown name is an error (get_metric), never a dropped column; the driver sent segment metrics only
    metrics = [m for m in map(get_metric, ctx.segment) if isinstance(m, SegmentMetric)]
    out = {m.name: np.full(len(src), np.nan) for m in metrics}
    idx = [int(i) for i in np.flatnonzero(paired)]
    if not metrics or not idx:
        return out, {}, {}
    encoder = get_encoder(ctx.model, cache)
    sources, targets = [src[i] for i in idx], [tgt[i] for i in idx]
    seg = SegmentContext(tuple(sources), tuple(targets), tuple(tuple(r[i] for r in rows.refs) for i in idx),
                         ctx.src_lang, ctx.tgt_lang, encoder.encode(sources), encoder.encode(targets),
                         ctx.model_signature)  # fmt: skip
    for name, values in segment_values(metrics, seg).items():
        out[name][idx] = values
    spans: dict[int, dict[str, tuple[Span, ...]]] = {}
    for name, by_position in segment_spans(metrics).items():
        for position, found in by_position.items():
            spans.setdefault(idx[position], {})[name] = found
    return out, {idx[position]: flags for position, flags in segment_flags(metrics).items()}, spans


def poisson_weights(rows: np.ndarray, n_samples: int, seed: int) -> np.ndarray:
    """(n_samples, len(rows)) Poisson(1) weights; the weight of a row depends only on its number and ``seed``."""
    out = np.empty((n_samples, len(rows)), dtype=np.float64)
    blocks = rows // POISSON_BLOCK
    for block in np.unique(blocks):
        draws = np.random.default_rng([seed, int(block)]).poisson(1.0, size=(n_samples, POISSON_BLOCK))
        here = blocks == block
        out[:, here] = draws[:, rows[here] - block * POISSON_BLOCK]
    return out


def check_shard(rows: Rows, per_row: np.ndarray, ctx: CheckContext) -> CheckOut:
    """Metrics, checks and flags of every row, as `evalkit.pipeline.score_alignment` does for a by-line alignment.

    ``per_row`` is (rows, 5): cosine, margin, reference similarity, source and target tokens (NaN / -1 where
    undefined), from the embedding step and the driver's k-NN. The plug-ins of ``ctx.plugins`` are loaded
    from their specs for the shard (a worker is another process than the driver) and unloaded afterwards.
    """
    import socket
    from contextlib import ExitStack

    from ..errors import UsageError
    from ..metrics.base import METRICS
    from ..metrics.plugins import parse_spec, registered

    missing = [spec for spec in ctx.plugins if parse_spec(spec)[0] not in METRICS]  # the driver's process has them
    with ExitStack() as stack:
        try:
            stack.enter_context(registered(missing, None if ctx.cache_dir is None else Path(ctx.cache_dir)))
        except UsageError as exc:  # the plug-in's package is on the driver, not on this worker
            raise UsageError(f"Ray worker {socket.gethostname()}: {exc.what}",
                             "install the plug-in's package on every worker of the cluster") from None
        return _check_shard(rows, per_row, ctx)


def _check_shard(rows: Rows, per_row: np.ndarray, ctx: CheckContext) -> CheckOut:
    from ..metrics.reference import prepare

    src, tgt, paired = _plain(rows)
    n, th = len(src), ctx.thresholds
    stats: dict[str, np.ndarray] = {}
    sent: dict[str, list[float]] = {}
    for metric in ctx.metrics if ctx.n_refs else ():
        refs = prepare(metric, rows.refs, tgt_lang=ctx.tgt_lang)
        stats[metric] = refs.stats(tgt)
        sent[metric] = refs.sentence_from_stats(stats[metric])
    seg, seg_flags, seg_spans = segment_rows(rows, src, tgt, paired, ctx) if ctx.segment else ({}, {}, {})
    names = [m for m in metric_names("statistics", "segment") if m in sent or m in seg]
    out_rows = []
    kernel = LinkContext(ctx.src_lang, ctx.tgt_lang, ctx.length_model, th, ctx.max_tokens)
    reasons: list[tuple[str, ...]] = []
    for i in range(n):
        row = rows.lo + i
        refs_i = tuple(stream[i] for stream in rows.refs)
        scored = ScoredLink(Link((row,), (row,)), rows.src[i], rows.tgt[i], refs_i, (rows.src_lines[i],),
                            (rows.tgt_lines[i],), metrics={m: float(v[i]) for m, v in sent.items()})  # fmt: skip
        tokens = None
        if paired[i]:
            cos, margin, ref_sim, n_src, n_tgt = per_row[i]
            scored = replace(scored, similarity=float(cos), margin=float(margin),
                             ref_similarity=None if math.isnan(ref_sim) else float(ref_sim),
                             metrics=scored.metrics | {m: float(v[i]) for m, v in seg.items() if math.isfinite(v[i])},
                             spans=seg_spans.get(i, {}))  # fmt: skip
            tokens = (int(n_src), int(n_tgt)) if ctx.max_tokens is not None else None
        scored = finish_link(scored, src[i], tgt[i], kernel, tokens, seg_flags.get(i, ()))
        reasons.append(tuple(flag.code for flag in scored.flags))
        out_rows.append(link_row(scored, names, len(rows.refs)))
    resampled: dict[str, np.ndarray] = {}
    sums: dict[str, tuple[float, int]] = {}
    idx = np.flatnonzero(paired)
    for name, col in (("similarity", 0), ("margin", 1)):
        sums[name] = (float(per_row[idx, col].sum()), len(idx))
    finite = {name: np.flatnonzero(np.isfinite(values)) for name, values in seg.items()}
    for name, values in seg.items():
        sums[name] = (float(values[finite[name]].sum()), len(finite[name]))
    if not ctx.exact:
        weights = poisson_weights(np.arange(rows.lo, rows.lo + n), ctx.n_bootstrap, ctx.seed)
        for metric in list(stats):
            resampled[metric] = weights @ stats[metric].astype(np.float64)
            if stats[metric].dtype.kind != "f":  # float rows (TER) go whole: sacrebleu sums them in row order
                stats[metric] = stats[metric].sum(axis=0, keepdims=True)
        for name, col in (("similarity", 0), ("margin", 1)):
            w = weights[:, idx]
            resampled[name] = np.stack([w @ per_row[idx, col], w.sum(axis=1)], axis=1)
        for name, values in seg.items():
            w = weights[:, finite[name]]
            resampled[name] = np.stack([w @ values[finite[name]], w.sum(axis=1)], axis=1)
    return CheckOut(rows.lo, tuple(reasons), stats, resampled, sums, csv_text(out_rows), out_rows, seg)


def poisson_score(refs: Any, total: np.ndarray, resampled: np.ndarray, n_bootstrap: int, seed: int | None) -> Score:
    """A corpus score from summed statistics, with the 95% interval of Poisson resample sums."""
    from ..stats import score_rows

    point = refs.score_from_stats(np.atleast_2d(total), n_bootstrap=0)
    if n_bootstrap <= 1:
        return point
    scores = sorted(score_rows(refs.metric, resampled))
    lower = n_bootstrap // 40
    low, high = float(scores[lower]), float(scores[n_bootstrap - lower - 1])
    extra = {**point.extra, "bs_mean": float(statistics.mean(scores)), "bs_ci": 0.5 * (high - low)}
    return Score(point.name, point.score, refs.signature(n_bootstrap, seed) + "|resample:poisson", (low, high), extra)


def poisson_mean(
    total: float, count: int, resampled: np.ndarray, n_bootstrap: int
) -> tuple[float, tuple[float, float] | None]:
    """Mean and 95% interval from per-resample (weighted sum, weight) pairs, positions as `bootstrap_mean`."""
    if n_bootstrap < 1:
        return total / count, None
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.sort(resampled[:, 0] / resampled[:, 1])
    lower = n_bootstrap // 40
    return total / count, (float(means[lower]), float(means[n_bootstrap - lower - 1]))
