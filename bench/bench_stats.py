"""Goal 2: bootstrap intervals and paired tests from per-sentence statistics (numpy), not by rescoring text.

WMT22 zh-en: 12 systems x 1875 segments, 1000 resamples; for each of BLEU, chrF and TER: a 95% interval for
every system (one set of resamples shared) and a paired bootstrap test of every system against the first.
Statistics are extracted before the clock starts (goal 1 measures that). There is no peer row: sacrebleu
resamples only inside its ``--paired-bs`` command, which goal 3 (bench_compare.py) times end to end.

    python bench/bench_stats.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Row, median_run, print_table  # noqa: E402


def run(quick: bool, runs: int) -> list[Row]:
    metrics = ["bleu", "chrf", "ter"]
    n = 200 if quick else 1000
    r = median_run("ek_bootstrap", runs, n_samples=n, metrics=metrics)
    what = f"{n} resamples x {r['systems']} systems x {r['segments']} segments, {'/'.join(metrics)}: intervals + paired bs"
    ok = r["wall_s"] < 10
    return [Row(what, f"{r['wall_s']:.2f} s ({r['cpu_s']:.2f} CPU-s), {r['peak_mb']:,.0f} MB", "n/a (see compare)", "",
                "seconds: " + ("met" if ok else "NOT met"), f"runs {r['runs']}")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="200 resamples instead of 1000")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    print_table("Goal 2: bootstrap and paired tests from statistics", run(a.quick, a.runs))


if __name__ == "__main__":
    main()
