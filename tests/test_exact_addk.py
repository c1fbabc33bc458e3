"""BLEU smoothing in evalkit's statistics path equals sacrebleu 2.6.0 for every method and value (issue 20).

sacrebleu's add-k adds ``smooth_value`` to the counts in place. Its ``sentence_score``/``corpus_score`` hand
it Python lists (``3 += 0.5`` is 3.5), while an int64 numpy row truncates (3): ``score_rows`` used to
give 0.0 where ``sentence_score`` gives 34.70. Expected values are sacrebleu's own, computed at test time.
"""

from __future__ import annotations

import numpy as np
import pytest
from sacrebleu.metrics import BLEU
from sacrebleu.significance import PairedTest

from evalkit.stats import paired_from_stats, score_rows

HYPS = [
    "the cat sat here",
    "the cat sat on the mat",
    "a dog",
    "",
    "on the mat the cat sat",
    "the the the the",
    "cat",
    "the cat sat on a mat today",
]
REFS = [
    "the cat sat on the mat",
    "the cat sat on the mat",
    "a dog barks",
    "nothing",
    "the cat sat on the mat",
    "the cat",
    "cat",
    "the cat sat on the mat",
]

SMOOTHING = [
    ("add-k", value) for value in (None, 0.01, 0.1, 0.5, 1, 2, 2.5)
] + [("floor", value) for value in (None, 0.01, 0.5, 2)] + [("exp", None), ("none", None)]


@pytest.mark.parametrize("effective_order", [True, False])
@pytest.mark.parametrize("method,value", SMOOTHING)
def test_score_rows_equal_sentence_score(method: str, value: float | None, effective_order: bool) -> None:
    metric = BLEU(smooth_method=method, smooth_value=value, effective_order=effective_order)
    stats = np.array(metric._extract_corpus_statistics(HYPS, [REFS]))
    assert stats.dtype == np.int64
    expected = [metric.sentence_score(h, [r]).score for h, r in zip(HYPS, REFS)]
    assert score_rows(metric, stats).tolist() == expected
    assert score_rows(metric, stats.astype(np.float64)).tolist() == expected
    # the corpus score from summed rows, as corpus_score
    total = score_rows(metric, stats.sum(axis=0, keepdims=True))[0]
    assert total == metric.corpus_score(HYPS, [REFS]).score


def test_the_issue_example() -> None:
    # sacrebleu 2.6.0 sentence_score: 34.70 (issue 20); score_rows gave 0.0 before the fix.
    metric = BLEU(smooth_method="add-k", smooth_value=0.5, effective_order=True)
    stats = np.array(metric._extract_corpus_statistics(["the cat sat here"], [["the cat sat on the mat"]]))
    assert round(float(score_rows(metric, stats)[0]), 2) == 34.70
    assert float(score_rows(metric, stats)[0]) == metric.sentence_score("the cat sat here", ["the cat sat on the mat"]).score


@pytest.mark.parametrize("method", ["ar", "bs"])
def test_paired_tests_with_fractional_add_k_equal_sacrebleu(method: str) -> None:
    # sacrebleu's paired_ar scores int64 numpy rows (where its add-k truncates): evalkit's p-values follow it.
    refs = [REFS * 3]
    systems = [("base", HYPS * 3), ("sys", (HYPS[1:] + HYPS[:1]) * 3)]
    metric = BLEU(smooth_method="add-k", smooth_value=0.5, references=refs)
    stats = {name: np.array(metric._extract_corpus_statistics(h, None)) for name, h in systems}
    ours = paired_from_stats(metric, stats["base"], {"sys": stats["sys"]}, method=method, n_samples=200)
    _, scores = PairedTest(systems, {"BLEU": metric}, None, test_type=method, n_samples=200)()
    theirs = scores["BLEU"][1]
    assert (ours[0].system_score, ours[0].p_value) == (theirs.score, theirs.p_value)
