"""Goal 1: BLEU, chrF, chrF++ and TER, corpus and sentence level, evalkit vs sacrebleu's own API.

Same synthetic pairs for both (WMT22 outputs, then perturbed copies: ``_common.synthetic``), one reference.
Peer: ``metric.corpus_score(hyps, [refs])`` and a loop of ``metric.sentence_score`` (sacrebleu 2.6.0; it uses
one core). evalkit: ``prepare(...).score(hyps, n_bootstrap=0)`` and ``.sentence(hyps)`` (C kernel, both cores).
Every run also checks the numbers: corpus scores equal, sentence scores within 1e-9.

    python bench/bench_metrics.py [--quick] [--runs N] [--peer-runs N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TMP, Row, median_run, print_table  # noqa: E402

# (metric, pair, corpus n, sentence n): sacrebleu's TER is slow (Tercom shifts in Python), so fewer pairs.
FULL = [
    ("bleu", "zh-en", 100_000, 20_000), ("bleu", "en-zh", 100_000, 20_000),
    ("chrf", "zh-en", 100_000, 20_000), ("chrf", "en-zh", 100_000, 20_000),
    ("chrf++", "zh-en", 100_000, 20_000), ("chrf++", "en-zh", 100_000, 20_000),
    ("ter", "zh-en", 10_000, 5_000), ("ter", "en-zh", 2_000, 1_000),
]
QUICK = [
    ("bleu", "zh-en", 10_000, 2_000), ("bleu", "en-zh", 10_000, 2_000),
    ("chrf", "zh-en", 10_000, 2_000), ("chrf++", "zh-en", 10_000, 2_000),
    ("ter", "zh-en", 1_000, 500),
]


def _rate(r: dict, n: int, key: str = "wall_s") -> float:
    return n / r[key] if r[key] > 0 else float("inf")


def run(quick: bool, runs: int, peer_runs: int) -> list[Row]:
    rows: list[Row] = []
    TMP.mkdir(parents=True, exist_ok=True)
    for metric, pair, n_corpus, n_sent in QUICK if quick else FULL:
        lang = pair.split("-")[1]
        # corpus level
        args = dict(metric=metric, pair=pair, n=n_corpus, nrefs=1)
        ek = median_run("ek_corpus", runs, **args)
        sb = median_run("sb_corpus", peer_runs, **args)
        same = ek["score"] == sb["score"]
        rows.append(_row(f"{metric} corpus, {lang}, {n_corpus:,} pairs", ek, sb, n_corpus, same,
                         f"score {ek['score']:.4f} {'=' if same else '!='} {sb['score']:.4f}"))
        # sentence level
        ek_out, sb_out = TMP / f"ek-{metric}-{pair}.npy", TMP / f"sb-{metric}-{pair}.npy"
        args = dict(metric=metric, pair=pair, n=n_sent, nrefs=1)
        ek = median_run("ek_sentence", runs, out=str(ek_out), **args)
        sb = median_run("sb_sentence", peer_runs, out=str(sb_out), **args)
        diff = float(np.max(np.abs(np.load(ek_out) - np.load(sb_out))))
        rows.append(_row(f"{metric} sentence, {lang}, {n_sent:,} pairs", ek, sb, n_sent, diff <= 1e-9,
                         f"max |diff| {diff:.1e}"))
    return rows


def _row(what: str, ek: dict, sb: dict, n: int, same: bool, check: str) -> Row:
    wall = sb["wall_s"] / ek["wall_s"]
    cpu = sb["cpu_s"] / ek["cpu_s"]
    print(f"  done: {what}: {wall:.1f}x wall, {check}", flush=True)  # progress (the table comes at the end)
    return Row(
        what,
        f"{_rate(ek, n):,.0f}/s, {ek['peak_mb']:,.0f} MB",
        f"{_rate(sb, n):,.0f}/s, {sb['peak_mb']:,.0f} MB",
        f"{wall:.1f}x wall ({cpu:.1f}x CPU)",
        "≥10x, equal: " + ("met" if wall >= 10 and same else "NOT met" if same else "NUMBERS DIFFER"),
        f"{check}; runs {ek['runs']}/{sb['runs']}",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10k pairs instead of 100k (TER fewer)")
    ap.add_argument("--runs", type=int, default=3, help="evalkit runs (median)")
    ap.add_argument("--peer-runs", type=int, default=None, help="sacrebleu runs (default: --runs in quick mode, 1 in full)")
    a = ap.parse_args()
    peer_runs = a.peer_runs or (a.runs if a.quick else 1)
    print_table("Goal 1: reference metrics vs sacrebleu's API (segments per second, wall clock)", run(a.quick, a.runs, peer_runs))


if __name__ == "__main__":
    main()
