"""Segments per second of the `xcomet` adapter on the CPU, on the tiny checkpoint the tests build (no hub here).

The tiny model (tests/neural_fixtures.py `build_xcomet`: 2-layer XLM-R XL encoder of width 32, a 600-piece
tokenizer) measures the adapter's own cost: tokenising, three encoder passes per segment with a reference (one
without), span decoding and MQM. The real XCOMET-XL (3.5B parameters) is not measured: it is not reachable here.
Inputs: WMT22 zh-en (../shared/data), one system and reference A, the segments that fit the tiny encoder's
128 positions (the rest would be too_long, not scored). The model is loaded and warmed up first; the time is
the best of ``--repeat`` calls of `XComet.score`.

Run: nice .venv/bin/python bench/bench_xcomet.py [--segments 500] [--batch-size 16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
    from _common import machine, neural_rate, wmt
    from neural_fixtures import build_xcomet

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", help="a real XCOMET checkpoint folder instead of the tiny model (bench/device_neural.sh)")
    args = parser.parse_args()
    src, systems, refs = wmt("zh-en")
    system = sorted(systems)[0]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EVALKIT_CACHE"] = tmp  # checkpoint hashes; XComet.score itself never caches
        import torch

        from evalkit.neural.xcomet import XComet

        tiny = args.model or str(build_xcomet(Path(tmp) / "xcomet"))
        print(machine(), f"| torch {torch.__version__}, {torch.get_num_threads()} threads | {system}")
        for qe in ("no", "yes"):
            metric = XComet(model=str(tiny), device=args.device, batch_size=str(args.batch_size), qe=qe)
            n, best, _ = neural_rate(metric, src, systems[system], refs[0] if qe == "no" else None, args.segments, args.repeat)
            spans = sum(len(x) for x in metric.last_spans.values())
            print(f"mode {'qe' if qe == 'yes' else 'ref'}: {n} segments in {best:.2f} s = {n / best:.0f} "
                  f"segments/s (batch {args.batch_size}, {spans} spans)")


if __name__ == "__main__":
    main()
