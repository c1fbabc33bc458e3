"""Goal 5: start-up. ``evalkit --help`` and ``evalkit --version`` wall time, as hyperfine would measure it:
a few warm-up runs, then N runs, median and min; ``sacrebleu --version`` alongside for scale.

    python bench/bench_startup.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PY, ROOT, Row, print_table  # noqa: E402

BIN = Path(PY).parent


def _times(argv: list[str], runs: int, warmup: int = 2) -> list[float]:
    out = []
    for k in range(warmup + runs):
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
        if k >= warmup:
            out.append(time.perf_counter() - t)
    return out


def run(quick: bool, runs: int) -> list[Row]:
    runs = runs if runs > 3 else (5 if quick else 15)
    peer = _times([str(BIN / "sacrebleu"), "--version"], runs)
    rows = []
    for args in (["--help"], ["--version"]):
        ts = _times([str(BIN / "evalkit"), *args], runs)
        med = statistics.median(ts)
        rows.append(Row(f"evalkit {args[0]}", f"median {med * 1000:.0f} ms (min {min(ts) * 1000:.0f})",
                        f"sacrebleu --version {statistics.median(peer) * 1000:.0f} ms",
                        f"{statistics.median(peer) / med:.1f}x", "<0.5 s: " + ("met" if med < 0.5 else "NOT met"),
                        f"{runs} runs after 2 warm-up"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=0)
    a = ap.parse_args()
    print_table("Goal 5: start-up", run(a.quick, a.runs))


if __name__ == "__main__":
    main()
