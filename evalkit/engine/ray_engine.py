"""Scoring line-aligned corpora on Ray: the local pipeline spread over a cluster, the same summary.json.

``pip install 'evalkit[ray]'``. Only this module and `ray_workers` import Ray; the local path never does.
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
from typing import Any, Literal

import numpy as np
import ray

from ..embed import default_cache_dir, get_encoder
from ..errors import EvalkitError, UsageError
from ..metrics.embedding import pair_cosine
from ..pipeline import ScoreOptions
from ..records import Report
from .ray_index import input_kind, shard_ranges
from .ray_io import Inputs, prepare_output, write_bytes
from .ray_stages import CheckContext, EmbedOut
from .ray_summary import build_report, length_model, majority_lang, summary_of
from .ray_workers import (
    FAIL_ONCE_ENV,
    RETRIED,
    RETRY_PATTERNS,
    Carrier,
    EmbedActor,
    ShardFailure,
    check_batch,
    index_task,
    knn_task,
    payloads,
    rebuild,
)

__all__ = ["FAIL_ONCE_ENV", "RayRun", "RaySettings", "ShardFailure", "score_parallel_ray"]

_USEM3 = {"usem3", "use", "muse"}


@dataclass(frozen=True)
class RaySettings:
    """How the work is cut and spread over the cluster.

    shard_rows: rows per shard: one embedding call, one check task, one output file each.
    overlap: lines read past each shard edge by the shift check (its margins look 10 lines away).
    actors: embedding actors; None: one per GPU (sentence-transformers on GPUs), else one per ``actor_cpus``.
    neighbours: "all" = the margins' k-NN over every pair (the local run's; O(pairs²) work), "shard" =
        within each shard, "auto" = "all" up to ``max_all_neighbours`` pairs.
    bootstrap: "exact" = sacrebleu's resampling on the driver (n_bootstrap x pairs x 8 bytes of indices),
        "poisson" = Poisson resample sums per shard, "auto" = exact up to ``max_exact_cells`` cells.
    """

    shard_rows: int = 10_000
    overlap: int = 64
    actors: int | None = None
    actor_cpus: float = 1.0
    neighbours: Literal["auto", "all", "shard"] = "auto"
    max_all_neighbours: int = 200_000
    bootstrap: Literal["auto", "exact", "poisson"] = "auto"
    max_exact_cells: int = 500_000_000
    max_retries: int = 3
    knn_rows: int = 8 * 4096  # queries per k-NN task: whole 4096-row chunks of knn_mean, as in the local run

    def __post_init__(self) -> None:
        if self.knn_rows % 4096 or self.knn_rows <= 0:
            raise UsageError(f"knn_rows={self.knn_rows}", "use a positive multiple of 4096")
        if self.neighbours not in ("auto", "all", "shard") or self.bootstrap not in ("auto", "exact", "poisson"):
            raise UsageError(f"neighbours={self.neighbours!r}, bootstrap={self.bootstrap!r}",
                             "neighbours: auto, all or shard; bootstrap: auto, exact or poisson")  # fmt: skip


@dataclass(frozen=True)
class RayRun:
    """The result of a Ray run. ``report`` is the local `Report` without its links (they are in the shard
    files); ``summary`` what summary.json holds; ``paths`` the files and shard folders written;
    ``engine`` how the run was cut and timed (also in engine.json)."""

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
    started = _connect(address)
    restore, retry_args = _data_context(settings.max_retries)
    try:
        return _run(src, tgt, refs, options, str(out_dir), settings, address, retry_args)
    except Exception as exc:
        err = _evalkit_error(exc)
        if err is None:
            raise
        raise err from None
    finally:
        for key, value in restore.items():
            setattr(ray.data.DataContext.get_current(), key, value)
        if started:
            ray.shutdown()


def _connect(address: str | None) -> bool:
    """Attach to ``address`` (or start a local cluster); False when the caller had initialised Ray."""
    if ray.is_initialized():
        return False
    ray.init(address=address, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    return True


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


def _evalkit_error(exc: BaseException) -> EvalkitError | None:
    """The evalkit error behind a Ray error (Ray wraps a task's exception in a RayTaskError)."""
    stack, seen = [exc], set()
    while stack:
        err = stack.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        cause = getattr(err, "cause", None)
        for candidate in (cause, err):  # a RayTaskError(Carrier) is a Carrier too, with other args
            if isinstance(candidate, Carrier) and not isinstance(candidate, ray.exceptions.RayError):
                return rebuild(candidate.args[0])
        if isinstance(err, EvalkitError) and not isinstance(err, ray.exceptions.RayError):
            return err
        stack += [e for e in (cause, err.__cause__, err.__context__) if isinstance(e, BaseException)]
    return None


def _actors(model: str, settings: RaySettings, n_shards: int) -> tuple[int, float]:
    """(embedding actors, GPUs per actor)."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if model not in _USEM3 and gpus:
        return settings.actors or min(gpus, n_shards), 1.0
    return settings.actors or max(1, min(n_shards, int(resources.get("CPU", 1) // settings.actor_cpus))), 0.0


def _margins(embedded: list[EmbedOut], paired: np.ndarray, cos: np.ndarray, k: int, rows: int) -> np.ndarray:
    """`ratio_margin` against every pair, as the local run: cosines recomputed by the local call on the same
    arrays, the k-NN means as Ray tasks over blocks of whole 4096-row chunks (``cos`` is updated in place)."""
    src, tgt = (np.concatenate([e.vectors[side] for e in embedded]) for side in (0, 1))  # type: ignore[index]
    idx = np.flatnonzero(paired)
    cos[idx] = pair_cosine(src[idx], tgt[idx])
    pools = ray.put(src), ray.put(tgt)
    # knn_mean holds a 4096 x pool similarity block and its partition: reserve that much memory per task
    # (at most half of the smallest node's), so that Ray runs no more of them at once than memory allows.
    smallest = min(node["Resources"].get("memory", 0) for node in ray.nodes() if node.get("Alive")) or 2**30
    memory = int(min(3 * 4096 * len(src) * 4, smallest / 2))
    task = knn_task.options(max_retries=3, memory=memory)
    futures = [[task.remote(queries[a : a + rows], pool, k) for a in range(0, len(idx), rows)]
               for queries, pool in ((src[idx], pools[1]), (tgt[idx], pools[0]))]  # fmt: skip
    halves = [np.concatenate(ray.get(f)) if f else np.zeros(0) for f in futures]
    denom = halves[0] / 2 + halves[1] / 2
    margin = np.full(len(paired), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        margin[idx] = np.where(np.abs(denom) > 1e-9, cos[idx] / denom, 0.0)
    return margin


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
    neighbours = settings.neighbours
    if neighbours == "auto":
        neighbours = "all" if n <= settings.max_all_neighbours else "shard"
    exact = settings.bootstrap == "exact" or (
        settings.bootstrap == "auto" and n * max(options.n_bootstrap, 1) <= settings.max_exact_cells)  # fmt: skip
    ranges = shard_ranges(n, settings.shard_rows)
    shards = ray.data.from_items([{"lo": lo, "hi": hi} for lo, hi in ranges])
    embedded: list[EmbedOut] = []
    if n:
        actors, gpus = _actors(options.model, settings, len(ranges))
        files = (names[0], names[1] if kind == "lines" else names[0])
        embedded = payloads(shards.map_batches(
            EmbedActor, batch_size=1, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=settings.actor_cpus, num_gpus=gpus or None,
            fn_constructor_kwargs=dict(inputs=inputs, model=options.model, cache_dir=cache_dir, files=files,
                                       margin_k=options.margin_k, neighbours=neighbours)))  # fmt: skip
    lap("embed")

    def cat(field: str, empty: np.ndarray) -> np.ndarray:
        return np.concatenate([getattr(e, field) for e in embedded]) if embedded else empty

    langs = tuple(majority_lang([v for e in embedded for v in getattr(e, f"{side}_votes")]) for side in ("src", "tgt"))
    lengths = length_model(cat("logratio", np.zeros(0)), *langs, th.length_k)
    paired, cos = cat("paired", np.zeros(0, bool)), cat("cos", np.zeros(0))
    if neighbours == "all" and embedded:
        margin = _margins(embedded, paired, cos, options.margin_k, settings.knn_rows)
    else:
        margin = cat("margin", np.zeros(0))
    per_row = np.column_stack([cos, margin, cat("ref_sim", np.zeros(0)), cat("tokens", np.zeros((0, 2)))])
    lap("neighbours")
    seed = options.seed if options.seed is not None else int(np.random.SeedSequence().entropy % 2**32)
    metrics = tuple(options.metrics) if inputs.n_refs else ()
    ctx = CheckContext(*langs, lengths, th, metrics, inputs.n_refs, encoder.max_tokens, exact, options.n_bootstrap, seed)
    checked = []
    if n:
        checked = payloads(shards.map_batches(
            check_batch, batch_size=1, batch_format="numpy", num_cpus=1, **retry_args,
            fn_kwargs=dict(inputs=inputs, per_row=[ray.put(per_row)], ctx=ctx, out=out)))  # fmt: skip
    lap("check")
    report = build_report(inputs, options, encoder, langs, lengths, embedded, checked, per_row, neighbours, exact)
    summary = summary_of(report, inputs, checked)
    write_bytes(f"{out}/summary.json", (json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode())
    lap("scores")
    engine = {
        "engine": "ray", "ray_version": ray.__version__, "address": address, "pairs": n, "shards": len(ranges),
        "neighbours": neighbours, "bootstrap": "exact" if exact else "poisson", "settings": asdict(settings),
        "cluster": {k: v for k, v in ray.cluster_resources().items() if k in ("CPU", "GPU", "memory")},
        "seconds": times,
    }  # fmt: skip
    write_bytes(f"{out}/engine.json", (json.dumps(engine, indent=2, sort_keys=True) + "\n").encode())
    paths = {name: f"{out}/{name}" for name in ("summary.json", "pairs.csv", "pairs.parquet", "engine.json")}
    return RayRun(report, summary, paths, engine)
