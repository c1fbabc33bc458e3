"""Bilingual documents on Ray: one task per document, merged on the driver as the local run merges them.

``pip install 'evalkit[ray]'``. `score_documents_ray` runs `evalkit.pipeline.score_document` for each
document as one Ray task (reading, alignment, embeddings, margins, checks and flags of that document;
the encoder is loaded once per worker process by `get_encoder`'s per-process cache, and every later
task on that worker reuses it), then `evalkit.documents.merge_documents` on the driver joins the
documents' links in input order and computes the corpus scores and intervals with the local code, and
`write_report` writes pairs.csv, summary.json and report.html: the local run's files, byte for byte.
``engine.json`` records the cluster, the times and the devices the tasks embedded on.

A task that fails with an I/O error, a lost worker or out of memory is retried (``max_retries``); a bad
document (`InputError`) is not: the first one in input order is raised on the driver as the local run
raises it, and the other tasks are cancelled. Every document must be readable from every worker (a
shared file system; on a local cluster relative paths are read from the driver's folder).
``EVALKIT_RAY_FAIL_ONCE=document:N:marker`` in the driver's environment makes the first attempt of the
N-th document's task (0-based) fail, to test the retries.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ray

from ..score.documents import check_documents, merge_documents
from ..embed import default_cache_dir, get_encoder
from ..score.pipeline import ScoreOptions, score_document
from ..records import Report
from ..report import write_report
from ..report.files import atomic_write
from .ray_common import cluster_resources, distinct_devices, gpus_each, ray_session
from .ray_workers import FAIL_ONCE_ENV, RETRIED, ShardFailure, device_report, maybe_fail

__all__ = ["DocumentsRun", "score_documents_ray"]


@dataclass(frozen=True)
class DocumentsRun:
    """A Ray run over documents: ``report`` is the local run's `Report`, ``paths`` the files written
    (pairs.csv, summary.json, report.html, engine.json), ``engine`` what engine.json holds: the cluster, the
    GPUs each task asked for (``tasks.gpus_each``), the distinct devices they got (``embedding_devices``)."""

    report: Report
    paths: dict[str, Path]
    engine: dict[str, Any]


@ray.remote(num_cpus=1)
def document_task(path: str, refs: list[str], options: ScoreOptions, position: int,
                  fail_once: str) -> tuple[Report, dict[str, Any]]:  # fmt: skip
    """`score_document` of the document at ``position`` (0-based, in input order) on a worker, and where it
    embedded (`device_report` of the worker's encoder, the one `score_document` loaded)."""
    maybe_fail("document", position, fail_once)
    report = score_document(Path(path), [Path(r) for r in refs], options)
    return report, device_report(get_encoder(options.model, options.cache_dir))


def score_documents_ray(
    paths: Sequence[Path],
    refs: Sequence[Path] = (),
    options: ScoreOptions = ScoreOptions(),
    out_dir: str | Path = "reports/ray",
    *,
    address: str | None = None,
    max_retries: int = 3,
) -> DocumentsRun:
    """Score bilingual documents on Ray, one task each, and write the local run's report into ``out_dir``.

    The arguments are `evalkit.documents.score_documents`'s plus the output folder; ``address`` goes to
    ``ray.init`` (``"auto"``, ``"ray://head:10001"``), None starts a local cluster unless the caller
    initialised Ray. Errors are evalkit's (InputError, UsageError, ModelError) as the local run raises them.
    """
    check_documents(paths, refs)
    with ray_session(address):
        return _run(paths, refs, options, Path(out_dir), address, max_retries)


def _run(paths: Sequence[Path], refs: Sequence[Path], options: ScoreOptions, out_dir: Path, address: str | None,
         max_retries: int) -> DocumentsRun:  # fmt: skip
    clock = time.perf_counter()
    # Workers may not share the driver's $EVALKIT_CACHE: they get the folder it names.
    cache_dir = (options.cache_dir or default_cache_dir()).expanduser().resolve()
    gpus = gpus_each(options.model)
    task = document_task.options(max_retries=max_retries, retry_exceptions=RETRIED + [ShardFailure], num_gpus=gpus)
    fail_once = os.environ.get(FAIL_ONCE_ENV, "")
    futures = [task.remote(str(path), [str(r) for r in refs], replace(options, cache_dir=cache_dir), n, fail_once)
               for n, path in enumerate(paths)]  # fmt: skip

    devices: list[dict[str, Any]] = []

    def in_order() -> Iterator[Report]:
        for future in futures:
            report, device = ray.get(future)
            devices.append(device)
            yield report

    try:
        reports = in_order()
        report = next(reports) if len(paths) == 1 else merge_documents(paths, reports, options)
    except BaseException:
        for future in futures:  # the first bad document decides; the rest is not needed
            ray.cancel(future)
        raise
    scored = time.perf_counter()
    written = write_report(report, out_dir)
    engine = {
        "engine": "ray", "ray_version": ray.__version__, "address": address, "documents": len(paths),
        "tasks": {"max_retries": max_retries, "gpus_each": gpus},
        "cluster": cluster_resources(), "embedding_devices": distinct_devices(devices),
        "seconds": {"documents": round(scored - clock, 3), "write": round(time.perf_counter() - scored, 3)},
    }  # fmt: skip
    written["engine.json"] = out_dir / "engine.json"
    atomic_write(written["engine.json"], json.dumps(engine, indent=2, sort_keys=True) + "\n")
    return DocumentsRun(report, written, engine)
