"""Scoring line-aligned corpora on Ray: the local pipeline spread over a cluster, the same summary.json.

``pip install 'evalkit[ray]'``. Only the engine's ``ray_*`` modules import Ray; the local path never does.
Stages:

1. index (one Ray task, `ray_index`): validate and count the input files, record the byte offset of each
   shard's first line, so that shards read their own lines in parallel and keep their line numbers;
2. embed (Ray Data ``map_batches`` on an actor pool; each actor loads the encoder once, and asks for a
   GPU when the sentence-transformers backend meets GPUs): per shard of ``shard_rows`` rows, the shift
   check over the shard and ``overlap`` lines past each edge, embeddings, cosines, reference similarity,
   language votes and length ratios;
3. driver: languages, the length model and, up to ``max_all_neighbours`` pairs, the margins' k-NN over
   the whole test set as the local run does (Ray tasks, each a block of queries against the whole pool);
4. check (Ray Data ``map_batches`` tasks): sacrebleu statistics, sentence scores, checks, flags, and the
   shard's ``pairs.csv/part-NNNNN.csv`` and ``pairs.parquet/part-NNNNN.parquet``;
5. driver (`ray_summary`): corpus BLEU/chrF/TER from every row's statistics with sacrebleu's bootstrap,
   similarity and margin with `bootstrap_mean`, summary.json.

Up to the limits in `RaySettings` every number is the local run's. Beyond them (tens of millions of
pairs, where the local run cannot run: its k-NN grows with the square of the pairs and sacrebleu's
bootstrap holds n_bootstrap x pairs indices) margins use neighbours within the shard and intervals a
Poisson bootstrap summed over shards; signatures and warnings say so. See docs/ray.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import ray

from ..embed import default_cache_dir, get_encoder
from ..errors import UsageError
from ..metrics.base import segment_metrics
from ..metrics.plugins import specs_of
from ..score.pipeline import ScoreOptions, embedding_signature
from ..records import Report
from .ray_common import (
    RaySettings,
    cluster_resources,
    distinct_devices,
    embedding_actors,
    per_row_matrix,
    ray_session,
)
from .ray_index import input_kind, shard_ranges
from .ray_io import Inputs, prepare_output, write_bytes
from .ray_stages import CheckContext, EmbedOut
from .ray_summary import build_report, majority_lang, summary_of
from .ray_workers import FAIL_ONCE_ENV, RETRIED, RETRY_PATTERNS, EmbedActor, ShardFailure, check_batch, index_task, payloads

__all__ = ["FAIL_ONCE_ENV", "RayRun", "RaySettings", "ShardFailure", "score_parallel_ray"]


@dataclass(frozen=True)
class RayRun:
    """The result of a Ray run. ``report`` is the local `Report` without its links (they are in the shard
    files); ``summary`` what summary.json holds; ``paths`` the files and shard folders written;
    ``engine`` how the run was cut and timed (also in engine.json), with the embedding actors asked for
    (``embedding_actors``: count, GPUs each) and the distinct devices they got (``embedding_devices``)."""

    report: Report
    summary: dict[str, Any]
    paths: dict[str, str]
    engine: dict[str, Any]


def score_parallel_ray(
    src: str | Path,
    tgt: str | Path | None,
    refs: Sequence[str | Path] = (),
    options: ScoreOptions = ScoreOptions(),
    out_dir: str | Path = "reports/ray",
    *,
    address: str | None = None,
    settings: RaySettings = RaySettings(),
) -> RayRun:
    """Score line-aligned files (or one JSONL/Parquet table, ``tgt=None``) on Ray and write the report.

    Writes ``out_dir/summary.json`` (the local run's, same keys and values), ``pairs.csv/part-NNNNN.csv``
    and ``pairs.parquet/part-NNNNN.parquet`` (the local pairs.csv rows in order, one file per shard, each
    with its header), and ``engine.json``. ``address`` goes to ``ray.init`` (``"auto"``,
    ``"ray://head:10001"``); None starts a local cluster unless the caller initialised Ray. Paths may be
    URIs (``s3://...``); ``options.cache_dir`` should be a folder every worker sees. Errors are evalkit's
    (InputError, UsageError, ModelError) as the local run raises them.
    """
    with ray_session(address):
        restore, retry_args = _data_context(settings.max_retries)
        try:
            return _run(src, tgt, refs, options, str(out_dir), settings, address, retry_args)
        finally:
            for key, value in restore.items():
                setattr(ray.data.DataContext.get_current(), key, value)


def _data_context(max_retries: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Quiet progress and retries of failed shards on Ray Data's context; returns the values replaced (put
    back at the end) and map_batches' retry arguments for Ray versions without ``retried_map_errors``."""
    ctx = ray.data.DataContext.get_current()
    wanted: dict[str, Any] = {"enable_progress_bars": False, "actor_task_retry_on_errors": RETRIED + [ShardFailure],
                              "retried_map_errors": list(RETRY_PATTERNS), "max_map_retries": max_retries}  # fmt: skip
    wanted = {k: v for k, v in wanted.items() if hasattr(ctx, k)}
    old = {k: getattr(ctx, k) for k in wanted}
    for key, value in wanted.items():
        setattr(ctx, key, value)
    if "retried_map_errors" in wanted:  # Ray >= 2.5x retries inside the task
        return old, {}
    return old, {"max_retries": max_retries, "retry_exceptions": RETRIED + [ShardFailure]}


def _run(src: str | Path, tgt: str | Path | None, refs: Sequence[str | Path], options: ScoreOptions, out_dir: str,
         settings: RaySettings, address: str | None, retry_args: dict[str, Any]) -> RayRun:  # fmt: skip
    times: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        times[stage], clock[0] = round(now - clock[0], 3), now

    kind = input_kind(str(src))
    if kind != "lines" and (tgt is not None or refs):
        raise UsageError(f"a {kind} file holds every side; got a tgt or refs file too", "pass only the one file")
    if kind == "lines" and tgt is None:
        raise UsageError(f"{src}: a line file holds one side only", "give the translation file as tgt")
    names = [str(src)] + ([str(tgt)] if tgt is not None else []) + [str(r) for r in refs]
    encoder = get_encoder(options.model, options.cache_dir)  # on the driver too: a missing model fails first
    cache_dir = str((options.cache_dir or default_cache_dir()).expanduser().resolve())
    inputs: Inputs = ray.get(index_task.options(max_retries=settings.max_retries, retry_exceptions=RETRIED)
                             .remote(kind, names, settings.shard_rows, settings.overlap))  # fmt: skip
    out = prepare_output(out_dir, ["pairs.csv", "pairs.parquet"])
    n, th = inputs.n, options.thresholds
    lap("index")
    neighbours = settings.neighbours_for(n)
    exact = settings.bootstrap == "exact" or (
        settings.bootstrap == "auto" and n * max(options.n_bootstrap, 1) <= settings.max_exact_cells)  # fmt: skip
    ranges = shard_ranges(n, settings.shard_rows)
    shards = ray.data.from_items([{"lo": lo, "hi": hi} for lo, hi in ranges])
    embedded: list[EmbedOut] = []
    actors, gpus = embedding_actors(options.model, settings, len(ranges)) if n else (0, 0)
    if n:
        files = (names[0], names[1] if kind == "lines" else names[0])
        embedded = payloads(shards.map_batches(
            EmbedActor, batch_size=1, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=settings.actor_cpus, num_gpus=gpus or None,
            fn_constructor_kwargs=dict(inputs=inputs, model=options.model, cache_dir=cache_dir, files=files,
                                       margin_k=options.margin_k, neighbours=neighbours)))  # fmt: skip
    lap("embed")

    src_lang = majority_lang([v for e in embedded for v in e.src_votes])
    langs = (src_lang, majority_lang([v for e in embedded for v in e.tgt_votes]))
    lengths, per_row = per_row_matrix(embedded, langs, th.length_k, neighbours, options.margin_k, settings.knn_rows)
    lap("neighbours")
    seed = options.seed if options.seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    metrics = tuple(options.metrics) if inputs.n_refs else ()
    segment = tuple(m.name for m in segment_metrics(options.segment_metrics, has_refs=bool(inputs.n_refs), has_embeddings=True))
    ctx = CheckContext(*langs, lengths, th, metrics, inputs.n_refs, encoder.max_tokens, exact, options.n_bootstrap, seed,
                       segment, options.model, cache_dir, embedding_signature(encoder, options.margin_k),
                       specs_of(segment))  # fmt: skip
    checked = []
    if n:
        checked = payloads(shards.map_batches(
            check_batch,  # type: ignore[arg-type]  # Ray's stubs do not model the fn_kwargs it passes
            batch_size=1, batch_format="numpy", num_cpus=1, **retry_args,
            fn_kwargs=dict(inputs=inputs, per_row=[ray.put(per_row)], ctx=ctx, out=out)))  # fmt: skip
    lap("check")
    report = build_report(inputs, options, encoder, langs, lengths, embedded, checked, per_row, neighbours, exact)
    summary = summary_of(report, inputs, checked)
    write_bytes(f"{out}/summary.json", (json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode())
    lap("scores")
    engine = {
        "engine": "ray", "ray_version": ray.__version__, "address": address, "pairs": n, "shards": len(ranges),
        "neighbours": neighbours, "bootstrap": "exact" if exact else "poisson", "settings": asdict(settings),
        "cluster": cluster_resources(), "seconds": times, "embedding_actors": {"count": actors, "gpus_each": gpus},
        "embedding_devices": distinct_devices(e.device for e in embedded),
    }  # fmt: skip
    write_bytes(f"{out}/engine.json", (json.dumps(engine, indent=2, sort_keys=True) + "\n").encode())
    paths = {name: f"{out}/{name}" for name in ("summary.json", "pairs.csv", "pairs.parquet", "engine.json")}
    return RayRun(report, summary, paths, engine)
