"""``evalkit compare`` on Ray: every system's per-segment work spread over a cluster, the local leaderboard.

``pip install 'evalkit[ray]'``. Only the engine's modules import Ray; the local compare never does. Stages:

1. index (one Ray task per file: source, references, systems): the score engine's scan of a line file
   (validation, line count, byte offset of every shard's first line), its fingerprint, and the languages
   the local compare reads (the source's; the first reference's, else every system's); line counts are
   checked with the local compare's own error;
2. statistics (one task per system and shard of rows): sacrebleu's sufficient statistics of every
   reference metric through `MetricRefs.stats`, the local code, on the shard's outputs as scored;
3. with embeddings, as ``evalkit score --engine ray`` does for each system: `embed_shard` on actors that
   load the model once (one GPU each with a sentence-transformers model on GPUs), the margins' k-NN over
   the whole test set (up to ``RaySettings.max_all_neighbours`` pairs) as Ray tasks, then `check_shard`
   tasks (checks and flags) and `build_report` on the driver;
4. driver: the statistics, concatenated in row order, and the embedding parts go to
   `evalkit.ranking.rank_systems`, the local compare's own code (corpus scores, intervals, paired tests,
   ranks, clusters), so the leaderboard is the local one.

The driver holds what the local compare holds for the leaderboard: per-segment statistics and sentence
scores of every system, the texts (for the drill-down of leaderboard.html), and the bootstrap's
resample indices (n_bootstrap x segments). ``RaySettings.bootstrap`` does not apply: intervals and
paired tests always use sacrebleu's resampling, as the local compare. ``EVALKIT_RAY_FAIL_ONCE`` (see
`ray_workers`) takes the stages ``stats``, ``embed`` and ``check`` here: the first task of any system at
that shard row fails once. See docs/ray.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import ray

from ..compare import (
    CompareOptions,
    EmbeddingPart,
    Leaderboard,
    ScoredSystem,
    check_baseline,
    check_line_count,
    plan_metrics,
    score_options,
    target_language,
)
from ..errors import InputError
from ..metrics.base import metric_names, segment_metrics
from ..metrics.plugins import specs_of
from ..score.pipeline import embedding_signature
from ..report.summary import reason_counts
from .ray_common import (
    RaySettings,
    cluster_resources,
    distinct_devices,
    embedding_actors,
    per_row_matrix,
    ray_session,
)
from .ray_index import line_fingerprint, scan_lines, shard_ranges
from .ray_io import SCAN_CHUNK, Inputs, raw_lines, read_rows, resolve_location, side_error
from .ray_stages import CheckContext, EmbedOut, check_shard, embed_shard
from .ray_summary import build_report, segment_scores
from .ray_workers import RETRIED, ShardFailure, device_report, maybe_fail

__all__ = ["CompareRun", "compare_ray", "compare_ray_run"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FileScan:
    """One input file as the index found it: lines, byte offsets of the indexed rows, fingerprint of its
    texts, and its language by the local reader's vote (None where the compare does not need it)."""

    lines: int
    offsets: list[int]
    fingerprint: str
    lang: str | None


@dataclass(frozen=True)
class StatsOut:
    """One shard of one system: statistics per reference metric (a row per segment), the outputs as
    scored, and (for the first system only) the source and reference texts."""

    stats: dict[str, np.ndarray]
    hyps: list[str]
    sources: list[str] | None
    references: list[list[str]] | None


def _file_lang(location: str) -> str:
    """`evalkit.io.parallel`'s language vote on a file, reading two passes instead of holding its lines."""
    from ..io.document import WHITESPACE
    from ..io.parallel import LANG_SAMPLE, majority_lang

    def texts() -> Any:
        return (t for raw in raw_lines(location, 0, SCAN_CHUNK) if (t := raw.decode("utf-8").strip(WHITESPACE)))

    step = max(1, sum(1 for _ in texts()) // LANG_SAMPLE)
    # The local vote's sample is every step-th non-empty line: fewer than 2 x LANG_SAMPLE texts, which
    # `majority_lang` then takes whole, so this is the local vote exactly.
    return majority_lang(list(islice(texts(), 0, None, step)))


@ray.remote(num_cpus=1)
def scan_task(name: str, side: str, shard_rows: int, overlap: int, vote: bool) -> FileScan:
    """Index one line file (the score engine's scan and fingerprint) and, with ``vote``, find its language."""
    location = resolve_location(name)
    try:
        if "://" not in location:  # the local reader's message for a missing file, a folder, no permission
            open(location, "rb").close()  # noqa: SIM115
    except OSError as exc:
        raise side_error(InputError(name, f"cannot read the file: {exc.strerror or exc}", "check the path"), side) from None
    lines, offsets = scan_lines(location, name, side, shard_rows, overlap)
    return FileScan(lines, offsets, line_fingerprint(location), _file_lang(location) if vote else None)


@ray.remote(num_cpus=1)
def stats_task(inputs: Inputs, lo: int, hi: int, metrics: tuple[str, ...], tgt_lang: str, texts: bool) -> StatsOut:
    """Sufficient statistics of rows ``lo .. hi - 1`` of one system, as the local compare extracts them."""
    from ..io.markup import strip_placeholders
    from ..metrics.reference import prepare

    maybe_fail("stats", lo)
    rows = read_rows(inputs, lo, hi)
    hyps = [strip_placeholders(t) for t in rows.tgt]  # as `evalkit score` scores them
    stats = {m: prepare(m, rows.refs, tgt_lang=tgt_lang).stats(hyps) for m in metrics}
    return StatsOut(stats, hyps, rows.src if texts else None, rows.refs if texts else None)


@ray.remote(num_cpus=1)
def check_task(inputs: Inputs, lo: int, hi: int, per_row: np.ndarray,
               ctx: CheckContext) -> tuple[tuple[tuple[str, ...], ...], dict[str, np.ndarray]]:  # fmt: skip
    """`check_shard` of rows ``lo .. hi - 1`` of one system: the reason codes of each row and the values of
    each segment metric (NaN where none)."""
    maybe_fail("check", lo)
    out = check_shard(read_rows(inputs, lo, hi), per_row, ctx)
    return out.reasons, out.segment


def _embed(encoder: Any, inputs: Inputs, lo: int, hi: int, margin_k: int, neighbours: str) -> EmbedOut:
    maybe_fail("embed", lo)
    window = read_rows(inputs, lo - inputs.overlap, hi + inputs.overlap)
    files = (inputs.names[0], inputs.names[1])
    return embed_shard(window, lo, hi, encoder, files=files, margin_k=margin_k, neighbours=neighbours)


@ray.remote
class EmbedWorker:
    """Holds one encoder (loaded once per actor) and embeds shards of any system."""

    def __init__(self, model: str, cache_dir: str) -> None:
        from ..embed import get_encoder

        self.encoder = get_encoder(model, Path(cache_dir))
        self.device = device_report(self.encoder)

    def embed(self, inputs: Inputs, lo: int, hi: int, margin_k: int, neighbours: str) -> EmbedOut:
        return replace(_embed(self.encoder, inputs, lo, hi, margin_k, neighbours), device=self.device)


@dataclass(frozen=True)
class CompareRun:
    """A compare on Ray: ``leaderboard`` is the local compare's `Leaderboard`; ``engine`` how it ran: the
    cluster, segments and shards, the embedding actors asked for (``embedding_actors``: count, GPUs each)
    and the distinct devices they got (``embedding_devices``)."""

    leaderboard: Leaderboard
    engine: dict[str, Any]


def compare_ray(
    src: str | Path,
    refs: Sequence[str | Path],
    systems: Sequence[tuple[str, str | Path]],
    options: CompareOptions = CompareOptions(),
    progress: Progress | None = None,
    *,
    address: str | None = None,
    settings: RaySettings = RaySettings(),
) -> Leaderboard:
    """`evalkit.compare.compare` on Ray: the same arguments and the same `Leaderboard`.

    ``address`` goes to ``ray.init`` (``"auto"``, ``"ray://head:10001"``); None starts a local cluster
    unless the caller initialised Ray. Inputs are UTF-8 line files every worker can read (a shared path
    or a URI pyarrow opens); ``options.cache_dir`` should be a folder every worker sees. Errors are the
    local compare's (InputError, UsageError, ModelError). `compare_ray_run` tells how the run went too.
    """
    return compare_ray_run(src, refs, systems, options, progress, address=address, settings=settings).leaderboard


def compare_ray_run(src: str | Path, refs: Sequence[str | Path], systems: Sequence[tuple[str, str | Path]],
                    options: CompareOptions = CompareOptions(), progress: Progress | None = None, *,
                    address: str | None = None, settings: RaySettings = RaySettings()) -> CompareRun:  # fmt: skip
    """`compare_ray`, with the engine's account of the run (`CompareRun`)."""
    with ray_session(address):
        return _run(src, refs, systems, options, progress or (lambda _what: None), settings, address)


def _retried(remote: Any, settings: RaySettings) -> Any:
    return remote.options(max_retries=settings.max_retries, retry_exceptions=RETRIED + [ShardFailure])


def _run(src: str | Path, refs: Sequence[str | Path], systems: Sequence[tuple[str, str | Path]],
         options: CompareOptions, step: Progress, settings: RaySettings, address: str | None) -> CompareRun:  # fmt: skip
    from ..metrics.reference import prepare
    from ..compare.ranking import rank_systems

    check_baseline(options, [name for name, _ in systems])
    names = [str(src), *map(str, refs)]
    sides = ["src"] + ["ref"] * len(refs) + ["tgt"] * len(systems)
    votes = [True] + [k == 0 for k in range(len(refs))] + [not refs] * len(systems)
    scan = _retried(scan_task, settings)
    futures = [scan.remote(name, side, settings.shard_rows, settings.overlap, vote)
               for name, side, vote in zip(names + [str(p) for _, p in systems], sides, votes)]  # fmt: skip
    scans = [ray.get(f) for f in futures]  # in order: the first unreadable file, as the local compare reads them
    n = scans[0].lines
    for path, found in zip([*refs, *(p for _, p in systems)], scans[1:]):
        check_line_count(path, found.lines, src, n)
    ref_lang = scans[1].lang if refs and scans[1].lines else None
    tgt_lang = target_language(ref_lang, [s.lang for s in scans[1 + len(refs) :] if s.lines and s.lang])
    src_lang = scans[0].lang if n else "und"
    metrics, main = plan_metrics(options, bool(refs))
    prepared = {m: prepare(m, [[""]] * len(refs), tgt_lang=tgt_lang) for m in metrics if m in metric_names("statistics")}

    ranges = shard_ranges(n, settings.shard_rows)
    ref_scans, system_scans = scans[1 : 1 + len(refs)], scans[1 + len(refs) :]
    inputs = [_inputs([names[0], str(path), *names[1:]], [scans[0], system_scans[k], *ref_scans], n, settings)
              for k, (_, path) in enumerate(systems)]  # fmt: skip
    stats = _retried(stats_task, settings)
    stat_futures = [[stats.remote(inp, lo, hi, tuple(prepared), tgt_lang, k == 0) for lo, hi in ranges]
                    for k, inp in enumerate(inputs)]  # fmt: skip
    parts: list[EmbeddingPart | None] = [None] * len(systems)
    engine: dict[str, Any] = {
        "engine": "ray", "ray_version": ray.__version__, "address": address, "systems": len(systems), "segments": n,
        "shards": len(ranges), "cluster": cluster_resources(), "embedding_actors": {"count": 0, "gpus_each": 0},
        "embedding_devices": [],
    }  # fmt: skip
    if options.embeddings:
        embedding_parts, used = _embedding_parts(inputs, ranges, options, settings, (src_lang, tgt_lang), bool(refs))
        parts = list(embedding_parts)
        engine.update(used)

    scored = []
    for k, ((name, path), futures_k) in enumerate(zip(systems, stat_futures)):
        outs: list[StatsOut] = [ray.get(f) for f in futures_k]
        if k == 0:
            sources = tuple(t for out in outs for t in out.sources or ())
            references = tuple(tuple(t for out in outs for t in (out.references or [[]] * len(refs))[r])
                               for r in range(len(refs)))  # fmt: skip
        table = {m: np.concatenate([out.stats[m] for out in outs]) if outs else p.stats([]) for m, p in prepared.items()}
        texts = tuple(t for out in outs for t in out.hyps)
        scored.append(ScoredSystem(name, str(path), system_scans[k].fingerprint, texts, table, parts[k]))
        step(name)
    board = rank_systems(
        scored, prepared, metrics, main, options, src_lang=src_lang, tgt_lang=tgt_lang,
        inputs={"source": str(src), "references": [str(r) for r in refs]}, sources=sources, references=references,
        source_fingerprint=scans[0].fingerprint, reference_fingerprints=[s.fingerprint for s in ref_scans],
        progress=step,
    )
    return CompareRun(board, engine)


def _inputs(names: list[str], scans: list[FileScan], n: int, settings: RaySettings) -> Inputs:
    """The score engine's index of one system: its source, its output and the references."""
    inputs = Inputs("lines", tuple(names), tuple(resolve_location(name) for name in names), n, settings.shard_rows,
                    settings.overlap)  # fmt: skip
    keep = len(inputs.marks())  # a scan may record a mark at the very end of a file
    return replace(inputs, offsets=tuple(tuple(s.offsets[:keep]) for s in scans),
                   fingerprints=tuple(s.fingerprint for s in scans))  # fmt: skip


def _embedding_parts(inputs: list[Inputs], ranges: list[tuple[int, int]], options: CompareOptions,
                     settings: RaySettings, langs: tuple[str, str],
                     has_refs: bool) -> tuple[list[EmbeddingPart], dict[str, Any]]:  # fmt: skip
    """Each system's `EmbeddingPart`, as ``evalkit score --engine ray`` computes a report, in system order,
    and the embedding actors asked for and the devices they got (engine info)."""
    from ..embed import default_cache_dir, get_encoder

    encoder = get_encoder(options.model, options.cache_dir)  # on the driver too: a missing model fails first
    cache_dir = str((options.cache_dir or default_cache_dir()).expanduser().resolve())
    neighbours = settings.neighbours_for(inputs[0].n)
    sopts = replace(score_options(options, has_refs), metrics=())  # reference metrics are the stats tasks' work
    jobs = [(k, lo, hi) for k in range(len(inputs)) for lo, hi in ranges]
    embedded: list[list[Any]] = [[] for _ in inputs]
    count, gpus, devices = 0, 0, []
    if jobs:
        count, gpus = embedding_actors(options.model, settings, len(jobs))
        # ignored attr-defined below: `ray.remote` makes the class an ActorClass, which Ray's stubs do not tell mypy
        actors = [EmbedWorker.options(num_cpus=settings.actor_cpus, num_gpus=gpus,  # type: ignore[attr-defined]
                                      max_restarts=settings.max_retries,
                                      max_task_retries=settings.max_retries).remote(options.model, cache_dir)
                  for _ in range(count)]  # fmt: skip
        for j, (k, lo, hi) in enumerate(jobs):
            call = actors[j % count].embed.options(retry_exceptions=RETRIED + [ShardFailure])
            embedded[k].append(call.remote(inputs[k], lo, hi, sopts.margin_k, neighbours))
        # The actors hold their CPUs until they end: let every shard finish, then free the CPUs for the tasks.
        every = [ref for refs in embedded for ref in refs]
        ray.wait(every, num_returns=len(every), fetch_local=False)
        for actor in actors:
            ray.kill(actor)
    th = options.thresholds
    ctx_metrics = ("chrf",) if has_refs else ()
    segment = tuple(m.name for m in segment_metrics(None, has_refs=has_refs, has_embeddings=True))
    checks = _retried(check_task, settings)
    pending = []
    for k in range(len(inputs)):
        shards: list[EmbedOut] = [ray.get(ref) for ref in embedded[k]]
        embedded[k] = []  # the object store may drop this system's vectors once the k-NN is done
        devices += [e.device for e in shards]
        lengths, per_row = per_row_matrix(shards, langs, th.length_k, neighbours, sopts.margin_k, settings.knn_rows)
        shards = [replace(e, vectors=None) for e in shards]  # the k-NN is done: the driver keeps no vectors
        ctx = CheckContext(*langs, lengths, th, ctx_metrics, inputs[k].n_refs, encoder.max_tokens, True,
                           options.n_bootstrap, options.seed, segment, sopts.model, cache_dir,
                           embedding_signature(encoder, sopts.margin_k), specs_of(segment))  # fmt: skip
        report = build_report(inputs[k], sopts, encoder, langs, lengths, shards, [], per_row, neighbours, True)
        futures = [checks.remote(inputs[k], lo, hi, per_row[lo:hi], ctx) for lo, hi in ranges]
        pending.append((per_row, np.concatenate([e.paired for e in shards]) if shards else np.zeros(0, bool), report,
                        futures))  # fmt: skip
    parts = []
    for per_row, paired, report, futures in pending:
        done = [ray.get(f) for f in futures]
        reasons = [row for shard_reasons, _ in done for row in shard_reasons]
        seg = {name: np.concatenate([values[name] for _, values in done] or [np.zeros(0)]) for name in segment}
        counts = {code: c for code, c in reason_counts(code for row in reasons for code in row).items() if c}
        flagged = np.array([bool(row) for row in reasons], dtype=bool)
        report = replace(report, scores=report.scores | segment_scores(seg, paired, sopts, langs, report.model["signature"]))
        parts.append(EmbeddingPart(per_row[:, 0], per_row[:, 1], flagged, counts, report, seg))
    return parts, {"embedding_actors": {"count": count, "gpus_each": gpus}, "embedding_devices": distinct_devices(devices)}

