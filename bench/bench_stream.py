"""Goal 6: scale. The streaming scorer (``evalkit.stream``) on growing synthetic zh-en sets: time per pair
and peak memory at each size, without embeddings (metrics + checks + flags) and with them.

Peak memory is the largest resident set of the scoring process and of any one of its check workers
(``ru_maxrss``), not their sum. Embeddings dominate (the bundled model: ~600 sentences/s on a quiet
2-core machine, 2 texts a pair), so their curve stops earlier and 1M pairs is extrapolated from it.

    python bench/bench_stream.py [--quick] [--sizes 10000,100000] [--embed-sizes 2000,5000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TMP, Row, print_table, run_task  # noqa: E402


def run(sizes: list[int], embed_sizes: list[int], use_cache: bool = True) -> list[Row]:
    rows = []
    cache = TMP / "stream-cache"
    for embed, ns in ((False, sizes), (True, embed_sizes)):
        first = None
        for n in ns:
            if embed:
                shutil.rmtree(cache, ignore_errors=True)  # a cold cache: every text encoded
            r = run_task("stream", n=n, embed=embed, out=str(TMP / f"stream-{n}"), cache_dir=str(cache), use_cache=use_cache,
                         timeout=4 * 3600)
            per, cpu = r["wall_s"] / n * 1e3, r["cpu_s"] / n * 1e3
            first = first or per
            label = "BLEU+chrF+checks+flags" + (
                (" + embeddings (cold cache)" if use_cache else " + embeddings (no cache)") if embed else "")
            rows.append(Row(f"{n:,} pairs, {label}",
                            f"{per:.2f} ms/pair wall, {cpu:.2f} CPU ({r['wall_s']:.0f} s), peak {r['peak_mb']:,.0f} MB",
                            "", f"{per / first:.2f} of first", "<2 GB: " + ("met" if r["peak_mb"] < 2048 else "NOT met"),
                            f"chunk s: median {r['chunk_s_median']:.2f}, first {_round(r['chunk_s_first'])}, "
                            f"last {_round(r['chunk_s_last'])}; corpus {_round(r['scores'])}"))
            print(f"  done: {rows[-1].what}: {rows[-1].evalkit}", flush=True)
    return rows


def _round(x: object) -> object:
    if isinstance(x, dict):
        return {k: round(v, 4) for k, v in x.items()}
    return [round(v, 2) for v in x]  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default=None, help="pair counts without embeddings, comma-separated")
    ap.add_argument("--embed-sizes", default=None, help="pair counts with embeddings, comma-separated")
    ap.add_argument("--no-cache", action="store_true", help="embed without the disk cache (a one-off corpus)")
    a = ap.parse_args()
    sizes = [int(x) for x in (a.sizes or ("2000,10000" if a.quick else "10000,100000,1000000")).split(",") if x]
    embed = [int(x) for x in (a.embed_sizes or ("500,1000" if a.quick else "10000,100000")).split(",") if x]
    print_table("Goal 6: streaming scale (time per pair should stay flat)", run(sizes, embed, use_cache=not a.no_cache))


if __name__ == "__main__":
    main()
