"""Segments per second of the `metricx` and `metricx-qe` adapters on the tiny random mT5 of the tests, and their
gap to the independent transformers reference of tests/test_neural_metricx.py on real text.

The checkpoint is `build_metricx` (tests/neural_fixtures.py: 2+2 layers, d_model 32, ~2,100-piece vocabulary), so
the rate measures evalkit's own work around the model (tokenizing, length batching, padding, putting scores
back in order) plus a very small model: it says nothing about the real MetricX models (1.2B-13B parameters),
which no run here has measured (no hub, no weights). Texts: the first ``--segments`` WMT22 zh-en sources, the
first system's outputs and reference A (../shared/data). The model is loaded before the clock starts; the
best of ``--repeat`` runs is reported.

Run: nice .venv/bin/python bench/bench_metricx.py [--segments 1000] [--device cpu] [--batch-size 16] [--check 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from _common import machine, wmt
from neural_fixtures import build_metricx
from test_neural_metricx import metricx_reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", type=int, default=100, help="segments compared with the reference (batch 1, CPU)")
    parser.add_argument("--model", help="a real MetricX-24 checkpoint folder instead of the tiny model (bench/device_neural.sh)")
    parser.add_argument("--tokenizer", help="the mT5 tokenizer folder of --model")
    args = parser.parse_args()
    import torch

    from evalkit.neural.metricx import MetricX, MetricXQE

    src, systems, refs = wmt("zh-en")
    name = sorted(systems)[0]
    n = args.segments
    src, hyp, ref = src[:n], systems[name][:n], refs[0][:n]
    print(machine(), f"| torch {torch.__version__} threads {torch.get_num_threads()} | system {name}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EVALKIT_CACHE"] = str(Path(tmp) / "cache")
        folder = args.model or str(build_metricx(Path(tmp) / "tiny"))
        extra = {"tokenizer": args.tokenizer} if args.tokenizer else {}
        for cls, refs_in in ((MetricX, [ref]), (MetricXQE, None)):
            metric = cls(model=folder, device=args.device, batch_size=str(args.batch_size), **extra)
            start = time.perf_counter()
            metric.load()
            loaded = time.perf_counter() - start
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                scores = metric.score(src, hyp, refs_in)
                times.append(time.perf_counter() - start)
            best = min(times)
            inputs = [f"source: {s} candidate: {h}" + ("" if refs_in is None else f" reference: {r}")
                      for s, h, r in zip(src, hyp, ref)][: args.check]  # fmt: skip
            theirs = metricx_reference(Path(folder), inputs, 1536) if args.check and not args.model else []
            gap = max((abs(a - b) for a, b in zip(scores, theirs)), default=float("nan"))
            print(f"{cls.name:<11} device {metric.device} batch {args.batch_size}: {n} segments in {best:.2f} s "
                  f"(best of {args.repeat}) = {n / best:,.0f} segments/s; load {loaded:.2f} s; "
                  f"too_long {len(metric.last_flags)}; max |ours - reference| over {len(theirs)} = {gap:.2e}")  # fmt: skip


if __name__ == "__main__":
    main()
