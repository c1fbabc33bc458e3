"""All of issue 6's benchmarks in one run: evalkit vs its peer side by side, medians, ratios.

    python bench/run_all.py [--quick] [--runs N] [--only metrics,stats,compare,embed,startup,stream]

``make bench`` runs it in full (about an hour on a quiet 2-core machine, most of it sacrebleu); ``--quick``
takes a few minutes. The tables are Markdown, ready for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_compare  # noqa: E402
import bench_embed  # noqa: E402
import bench_metrics  # noqa: E402
import bench_startup  # noqa: E402
import bench_stats  # noqa: E402
import bench_stream  # noqa: E402
from _common import machine, print_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    ap.add_argument("--runs", type=int, default=3, help="runs per measure (median)")
    ap.add_argument("--only", default="metrics,stats,compare,embed,startup,stream")
    a = ap.parse_args()
    only = set(a.only.split(","))
    print(f"# evalkit benchmarks ({'quick' if a.quick else 'full'})\n\n{machine()}\n", flush=True)
    t0 = time.time()
    from evalkit.metrics import fast

    print(f"C kernel: {'built' if fast.kernel() else 'NOT built (sacrebleu fallback)'}; threads {fast.workers()}\n")
    if "metrics" in only:
        print_table("Goal 1: reference metrics vs sacrebleu's API", bench_metrics.run(a.quick, a.runs, a.runs if a.quick else 1))
    if "stats" in only:
        print_table("Goal 2: bootstrap and paired tests from statistics", bench_stats.run(a.quick, a.runs))
    if "compare" in only:
        print_table("Goal 3: evalkit compare vs sacrebleu --paired-bs (WMT22 zh-en)", bench_compare.run(a.quick, a.runs))
    if "embed" in only:
        print_table("Goal 4: embeddings and their cache", bench_embed.run(a.quick, a.runs))
    if "startup" in only:
        print_table("Goal 5: start-up", bench_startup.run(a.quick, 0))
    if "stream" in only:
        sizes, embed = ([2000, 10000], [500, 1000]) if a.quick else ([10000, 100000, 1_000_000], [10000, 100000])
        print_table("Goal 6: streaming scale", bench_stream.run(sizes, embed))
    print(f"\n{machine()}; total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
