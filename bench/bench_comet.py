"""Segments per second of the `comet` and `cometkiwi` adapters on the CPU, on the tiny checkpoints the tests build.

The tiny models (tests/neural_fixtures.py `build_comet`: 2-layer XLM-R of width 32, a 600-piece tokenizer, 62
tokens at most) measure the adapter's own cost: tokenising, length batching, padding, layer mix, pooling, the
feed-forward head and putting the scores back in input order. The real Unbabel/wmt22-comet-da and
wmt22-cometkiwi-da (XLM-R large / InfoXLM large) are not measured: the hub is not reachable here. Inputs: WMT22
zh-en (../shared/data), one system and reference A, the first ``--segments`` segments that fit the tiny
encoder (the rest would be too_long, not scored). The model is loaded and warmed up first; the time is the best
of ``--repeat`` calls of ``score``.

With ``--comet DIR`` / ``--cometkiwi DIR`` (an unbabel-comet checkpoint folder) and ``--device cuda`` it measures
a real model instead (bench/device_neural.sh, on a GPU machine where the weights are at hand).

Run: nice .venv/bin/python bench/bench_comet.py [--segments 500] [--batch-size 16] [--repeat 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
    from _common import machine, neural_rate, wmt
    from neural_fixtures import build_comet

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--comet", help="a real wmt22-comet-da checkpoint folder instead of the tiny model")
    parser.add_argument("--cometkiwi", help="a real wmt22-cometkiwi-da checkpoint folder instead of the tiny model")
    args = parser.parse_args()
    src, systems, refs = wmt("zh-en")
    system = sorted(systems)[0]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EVALKIT_CACHE"] = tmp  # checkpoint hashes; the adapters' score() never caches
        import torch

        from evalkit.neural.comet import Comet, CometKiwi

        print(machine(), f"| torch {torch.__version__}, {torch.get_num_threads()} threads | {system}")
        for cls, kind, real in ((Comet, "regression_metric", args.comet), (CometKiwi, "unified_metric", args.cometkiwi)):
            folder = real or str(build_comet(Path(tmp) / kind, kind))
            metric = cls(model=folder, device=args.device, batch_size=str(args.batch_size))
            n, best, first = neural_rate(metric, src, systems[system], refs[0] if cls is Comet else None, args.segments,
                                         args.repeat)  # fmt: skip
            print(f"{cls.name:<9} {'real' if real else 'tiny'} on {args.device}: {n} segments in {best:.2f} s = {n / best:.0f} segments/s "
                  f"(batch {args.batch_size}, {len(src) - sum(not math.isnan(v) for v in first)} of {len(src)} too long "
                  f"or empty)")  # fmt: skip


if __name__ == "__main__":
    main()
