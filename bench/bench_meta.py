"""Goal (issue 15): `evalkit meta`'s statistics for 20k segments x 10 metrics in under a minute.

Synthetic but MQM-shaped: 20 systems x 1000 items; human scores as MQM gives them (0 for about 40% of the
segments, else minus a sum of weights 5, 1 and 0.1, so heavy ties); 10 metrics = human + noise of 10 levels,
rounded to 2 decimals for half of them (metric ties). Timed: `evalkit.meta.run.evaluate` with the defaults of
`evalkit meta` (Kendall tau-b, acc_eq pooled over all 200M pairs and per item, Pearson, system Pearson, pairwise
accuracy, SPA with 1000 permutations, 1000 bootstrap resamples, 1000 permutations between each of the 45 metric
pairs). Text scoring is not timed here (the metrics' own benchmarks do it).

    python bench/bench_meta.py [--items N] [--systems N] [--metrics N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's evalkit
from evalkit.meta.run import MetaOptions, evaluate  # noqa: E402


def synthetic(systems: int, items: int, metrics: int, seed: int = 1) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=(systems, 1)) * 0.5 + rng.normal(size=(1, items))
    n_major = rng.poisson(np.exp(-1.0 - quality).clip(0, 5) * 0.6)
    n_minor = rng.poisson(np.exp(-quality).clip(0, 8) * 0.8)
    n_punct = rng.poisson(0.3, size=quality.shape)
    human = -(5.0 * n_major + 1.0 * n_minor + 0.1 * n_punct)
    out = {}
    for k in range(metrics):
        noise = 0.5 + 0.4 * k
        values = human + noise * rng.normal(size=human.shape) * 5
        out[f"m{k}"] = np.round(values, 2) if k % 2 else values
    return human, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", type=int, default=20)
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--metrics", type=int, default=10)
    a = ap.parse_args()
    human, raw = synthetic(a.systems, a.items, a.metrics)
    print(f"{human.size} segments ({a.systems} systems x {a.items} items), {a.metrics} metrics; "
          f"{(human == 0).mean():.0%} of human scores are 0, {len(np.unique(human))} distinct")
    start, cpu = time.perf_counter(), time.process_time()
    metrics, sig = evaluate(human, raw, {}, MetaOptions())
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, m in metrics.items():
        print(f"  {name}: tau_b {m.segment.kendall_b:.3f}  acc_eq {m.segment.acc_eq.acc:.4f} (eps {m.segment.acc_eq.epsilon:.3g})"
              f"  item acc_eq {m.segment.acc_eq_item.acc:.4f}  sys r {m.system.pearson:.3f}  SPA {m.system.spa:.3f}")
    verdict = "met" if wall < 60 else "NOT met"
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s, peak {peak:.0f} MB; goal < 60 s: {verdict}")


if __name__ == "__main__":
    main()
