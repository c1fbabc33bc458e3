"""Count evalkit-vs-sacrebleu mismatches over hypothesis-generated corpora (issue 20).

``python bench/diff_count.py [N]``: N generated corpora per metric (default 500; derandomized, so the same
inputs on every run and every checkout), every option drawn as in tests/test_differential.py. Prints, per
metric, the corpora, segments, and mismatching statistics rows, sentence scores and corpus scores. The tests
assert zero; this script counts, so that a before/after comparison has numbers.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from difftext import corpus  # noqa: E402
from test_differential import _OPTIONS, _metric  # noqa: E402

from evalkit.metrics import fast  # noqa: E402
from evalkit.stats import score_rows  # noqa: E402


def count(kind: str, n: int) -> dict[str, int]:
    tally = dict(corpora=0, segments=0, rows=0, sentence=0, corpus=0)

    @settings(max_examples=n, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(options=_OPTIONS[kind], data=corpus(long=kind != "ter", max_segments=10))
    def run(options: dict, data: tuple[list[str], list[list[str]]]) -> None:
        hyps, refs = data
        metric = _metric(kind, options)
        expected = np.array(metric._extract_corpus_statistics(hyps, refs))
        got = fast.extract_stats(metric, hyps, refs)
        tally["corpora"] += 1
        tally["segments"] += len(hyps)
        tally["rows"] += int((got != expected).any(axis=1).sum()) if got.shape == expected.shape else len(hyps)
        sentence = [metric.sentence_score(h, [r[i] for r in refs]).score for i, h in enumerate(hyps)]
        tally["sentence"] += sum(a != b for a, b in zip(score_rows(metric, got).tolist(), sentence))
        tally["corpus"] += metric._aggregate_and_compute(got.tolist()).score != metric.corpus_score(hyps, refs).score

    run()
    return tally


if __name__ == "__main__":
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    for kind in ("bleu", "chrf", "ter"):
        print(kind, count(kind, n), flush=True)
