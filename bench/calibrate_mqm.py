"""Calibrate the default flag thresholds on newstest2021 zh-en expert MQM scores.

For each system with both an output file and MQM scores, every segment is scored with evalkit
(reference A for chrF); then the rated segments with a major error (MQM <= -5: one major error
costs 5 points) are compared with those with no error (MQM = 0). Prints precision and recall of
each rule and of the default flag set for "has a major error", and a threshold sweep per rule.

Run: .venv/bin/python bench/calibrate_mqm.py [--cache-dir DIR]
Data: ../shared/data/wmt21-newstest-zh-en-mqm (see its README).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from evalkit.config import Thresholds
from evalkit.io import read_parallel
from evalkit.pipeline import ScoreOptions, score_alignment
from evalkit.records import Alignment, Link

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wmt21-newstest-zh-en-mqm"
MAJOR = -5.0


def read_mqm(path: Path) -> dict[str, dict[int, float]]:
    scores: dict[str, dict[int, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        system, score, seg = line.split()  # the file mixes tabs and spaces
        if score != "None":
            scores.setdefault(system, {})[int(seg)] = float(score)
    return scores


def score_systems(cache_dir: Path | None) -> list[dict]:
    mqm = read_mqm(DATA / "mqm" / "mqm_newstest2021_zhen.avg_seg_scores.tsv")
    src = DATA / "sources" / "newstest2021.zh-en.src.zh"
    ref = DATA / "references" / "newstest2021.zh-en.ref.A.en"
    rows: list[dict] = []
    options = ScoreOptions(cache_dir=cache_dir, n_bootstrap=0, metrics=("chrf",))
    for system in sorted(mqm):
        hyp = DATA / "system-outputs" / "zh-en" / f"newstest2021.zh-en.hyp.{system}.en"
        if not hyp.exists():
            continue
        data = read_parallel(src, hyp, [ref])
        alignment = Alignment(data.src, data.tgt, tuple(Link((i,), (i,)) for i in range(len(data.src))), "by-line")
        refs = [tuple(s[i].text for s in data.refs) for i in range(len(data.src))]
        report = score_alignment(alignment, refs, "zh", "en", {}, options)
        for i, link in enumerate(report.links):
            if i + 1 in mqm[system]:
                rows.append({
                    "system": system, "seg": i + 1, "mqm": mqm[system][i + 1],
                    "margin": link.margin, "similarity": link.similarity, "chrf": link.metrics.get("chrf"),
                    "codes": {f.code for f in link.flags},
                })
    return rows


def pr(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, int]:
    tp = int((pred & gold).sum())
    return (tp / pred.sum() if pred.sum() else 0.0), (tp / gold.sum() if gold.sum() else 0.0), int(pred.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    rows = [r for r in score_systems(args.cache_dir) if r["mqm"] <= MAJOR or r["mqm"] == 0]
    gold = np.array([r["mqm"] <= MAJOR for r in rows])
    print(f"{len(rows)} rated segments ({gold.sum()} with a major error, {(~gold).sum()} with none), "
          f"{len({r['system'] for r in rows})} systems, {time.perf_counter() - start:.0f} s")
    th = Thresholds()
    print("\nRule (defaults)            precision  recall  flagged")
    codes = sorted({c for r in rows for c in r["codes"]})
    for code in codes:
        p, r, n = pr(np.array([code in row["codes"] for row in rows]), gold)
        print(f"  {code:<24} {p:9.3f} {r:7.3f} {n:8d}")
    p, r, n = pr(np.array([bool(row["codes"]) for row in rows]), gold)
    print(f"  {'any flag':<24} {p:9.3f} {r:7.3f} {n:8d}")
    for name, default in (("margin", th.margin), ("similarity", th.similarity), ("chrf", th.chrf)):
        values = np.array([row[name] if row[name] is not None else np.inf for row in rows])
        print(f"\nSweep of {name} (flag when below; default {default:g})")
        for q in (1, 2, 5, 10, 20, 30):
            cut = float(np.percentile(values[np.isfinite(values)], q))
            p, r, n = pr(values < cut, gold)
            print(f"  {name} < {cut:7.3f} (p{q:>2})  precision {p:.3f}  recall {r:.3f}  flagged {n}")
        p, r, n = pr(values < default, gold)
        print(f"  {name} < {default:7.3f} (default) precision {p:.3f}  recall {r:.3f}  flagged {n}")


if __name__ == "__main__":
    main()
