"""Overhead of the `qe` metric (and its `low_qe` rule) on `evalkit score` of 10k line-aligned pairs, cached embeddings.

The pairs are the zh-en system outputs rated in ../shared/data (tools/mqm_data.py: newstest2021 and WMT23,
repeated to 10,000 lines), whose vectors are in evalkit's cache once tools/train_qe.py has run (the first
run here fills it otherwise). `score_parallel` runs with no reference metrics, once to warm up, then
`--repeat` times without and with qe, interleaved; the best times are compared, wall clock and the process's
CPU time (the CPU ratio is the one a loaded machine does not blur: other processes take wall time, not this
process's CPU time). Target (issue 14): ratio < 1.10.

Run: nice .venv/bin/python bench/bench_qe.py [--pairs 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

from mqm_data import load_newstest2021, load_wmt23

from evalkit.pipeline import ScoreOptions, score_parallel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = load_newstest2021("zh-en") + load_wmt23("zh-en")
    rows = (rows * (args.pairs // len(rows) + 1))[: args.pairs]
    with tempfile.TemporaryDirectory() as tmp:
        src, tgt = Path(tmp) / "src.zh", Path(tmp) / "tgt.en"
        # one segment a line: the few multi-line WMT23 paragraphs are joined with a space
        src.write_text("".join(" ".join(r.src.split("\n")) + "\n" for r in rows), encoding="utf-8")
        tgt.write_text("".join(" ".join(r.tgt.split("\n")) + "\n" for r in rows), encoding="utf-8")
        base = ScoreOptions(metrics=(), src_lang="zh", segment_metrics=())
        with_qe = ScoreOptions(metrics=(), src_lang="zh", segment_metrics=("qe",))
        score_parallel(src, tgt, (), base)  # warm-up: model load, cache
        times: dict[str, list[float]] = {"without qe": [], "with qe": []}
        cpu: dict[str, list[float]] = {"without qe": [], "with qe": []}
        for _ in range(args.repeat):
            for name, options in (("without qe", base), ("with qe", with_qe)):
                start, start_cpu = time.perf_counter(), time.process_time()
                report = score_parallel(src, tgt, (), options)
                times[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
                assert ("qe" in report.scores) == (name == "with qe")
    for label, table in (("wall", times), ("cpu", cpu)):
        best = {k: min(v) for k, v in table.items()}
        for name, t in best.items():
            print(f"{label:<4} {name:<11} {t:7.2f} s  (best of {args.repeat}: {', '.join(f'{x:.2f}' for x in table[name])})")
        print(f"{label:<4} {args.pairs} pairs: qe overhead ratio {best['with qe'] / best['without qe']:.3f} (target < 1.10)")


if __name__ == "__main__":
    main()
