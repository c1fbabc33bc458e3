"""evalkit.meta statistics pinned to google-research/mt-metrics-eval's own test values.

Sources (read with the search tool; values ported as facts, code not copied):
- TO: mt_metrics_eval/tau_optimization_test.py (commit 0b82d96)
- ST: mt_metrics_eval/stats_test.py (commit 38882cc)
- PT: mt_metrics_eval/pce_test.py (commit 1b47eab)
"""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.meta import resample, stats, tiecal

NONE = None


def _rows(human: list[list[float | None]], metric: list[list[float | None]]) -> tuple[np.ndarray, np.ndarray, list]:
    """Matrices with None (mt-metrics-eval's missing value) as flat arrays and the rows of valid cells."""
    h = np.array([[np.nan if v is None else v for v in r] for r in human], dtype=float).ravel()
    m = np.array([[np.nan if v is None else v for v in r] for r in metric], dtype=float).ravel()
    width = len(human[0])
    rows = [np.array([r * width + c for c in range(width) if np.isfinite(h[r * width + c]) and np.isfinite(m[r * width + c])])
            for r in range(len(human))]
    return np.nan_to_num(h), np.nan_to_num(m), rows


@pytest.mark.parametrize(("metric", "human", "thresholds", "taus", "best_t", "best"), [
    # TO test_zero_threshold_is_best
    ([0, 2, 6, 8], [1, 2, 3, 4], [0, 2, 4, 6, 8], [6 / 6, 4 / 6, 3 / 6, 1 / 6, 0 / 6], 0, 1.0),
    # TO test_nonzero_threshold_is_best
    ([0, 2, 6, 8], [1, 1, 1, 4], [0, 2, 4, 6, 8], [3 / 6, 3 / 6, 4 / 6, 4 / 6, 3 / 6], 4, 4 / 6),
])
def test_tau_optimization_vectors(metric, human, thresholds, taus, best_t, best) -> None:
    t, accs, pairs, rows = tiecal.curve(np.array(human, float), np.array(metric, float), [np.arange(4)])
    assert t.tolist() == thresholds and pairs == 6 and rows == 1
    np.testing.assert_allclose(accs, taus, atol=1e-12)
    result = tiecal.grouped(np.array(human, float), np.array(metric, float), [np.arange(4)])
    assert result.epsilon == best_t and result.acc == pytest.approx(best, abs=1e-12)


def test_tau_optimization_regression_example_with_nones() -> None:
    # TO test_regression_example: rows averaged, None cells (and the all-None row) left out.
    metric = [[0, 5, 2, 3, 2], [NONE, 2, 1, 5, 3], [9, 1, 5, 3, 8], [9, 3, 4, 4, 1], [NONE] * 5]
    human = [[1, 5, 2, 1, 1], [4, 2, 2, 1, 4], [5, 9, 2, 8, 7], [7, 6, NONE, 3, 2], [NONE] * 5]
    h, m, rows = _rows(human, metric)
    t, accs, _, n_rows = tiecal.curve(h, m, rows)
    assert t.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8] and n_rows == 4
    expected = [0.4666666666666667, 0.4916666666666668, 0.38333333333333347, 0.29166666666666674, 0.2666666666666667,
                0.2, 0.15833333333333335, 0.15833333333333335, 0.1166666666666667]
    np.testing.assert_allclose(accs, expected, atol=1e-6)
    best = tiecal.grouped(h, m, rows)
    assert best.epsilon == 1 and best.acc == pytest.approx(0.4916666666666668, abs=1e-6)


def test_kendall_variants_and_ties_opt() -> None:
    # ST CorrelationTest.testKendallVariants / testKendallWithTiesOpt: gold [1,2,2,3,4], metric [2,1,1.5,5,3].
    gold, metric = np.array([1, 2, 2, 3, 4.0]), np.array([2, 1, 1.5, 5, 3])
    assert stats.kendall_b(gold, metric) == pytest.approx(0.316227766, abs=1e-9)
    assert tiecal.acc23_at(gold, metric, 0.0) == pytest.approx(0.6, abs=1e-12)
    assert tiecal.acc23_at(gold, metric, 2.0) == pytest.approx(0.4, abs=1e-12)
    assert tiecal.pooled(gold, metric).acc == pytest.approx(0.7, abs=1e-12)


def test_kendall_variants_23_counts() -> None:
    # ST testKendallVariants_23 / testKendallVariantsWithPositiveEpsilon, gold x, metric y: 21 pairs.
    x, y = np.array([1, 1, 1, 2, 2, 3, 4.0]), np.array([1, 1, 2, 2, 4, 3, 3.0])
    # epsilon 0: 2 discordant, 3 ties only in x, 2 only in y, 1 in both -> 13 concordant; acc23 = (13 + 1) / 21
    assert tiecal.acc23_at(x, y, 0.0) == pytest.approx(14 / 21, abs=1e-12)
    assert tiecal.acc23_at(x, y, 0.1) == pytest.approx(14 / 21, abs=1e-12)  # "too small to introduce any ties"
    # epsilon 1: 13 metric ties (3 also human ties), 1 discordant -> 21 - 1 - 10 - 0 - 3 = 7 concordant; (7 + 3) / 21
    assert tiecal.acc23_at(x, y, 1.0) == pytest.approx(10 / 21, abs=1e-12)


@pytest.mark.parametrize("average_by", ["none", "sys", "item"])
def test_ties_opt_equals_variant_at_its_epsilon(average_by: str) -> None:
    # ST CorrelationFunctionsTest.testKendallWithTiesOpt: gold [1,2,2,3,3,4], metric [2,1,1.5,5,3,2], 2 systems;
    # the optimised value is the mean acc23 of the rows at the optimal epsilon.
    gold, metric = np.array([1, 2, 2, 3, 3, 4.0]), np.array([2, 1, 1.5, 5, 3, 2])
    rows = {"none": [np.arange(6)], "sys": [np.arange(3), np.arange(3, 6)],
            "item": [np.array([0, 3]), np.array([1, 4]), np.array([2, 5])]}[average_by]
    best = tiecal.grouped(gold, metric, rows)
    assert best.acc == pytest.approx(np.mean([tiecal.acc23_at(gold[r], metric[r], best.epsilon) for r in rows]), abs=1e-12)


def test_pearson_kendall_agreement() -> None:
    # ST testPearson / testKendall: Correlation(2, [1..6], [2,1,4,3,3,7]) pooled ('none') and by system ('sys').
    g, m = np.arange(1, 7.0), np.array([2, 1, 4, 3, 3, 7.0])
    assert stats.pearson(g, m) == pytest.approx(0.776, abs=5e-4)
    assert np.mean([stats.pearson(g[:3], m[:3]), stats.pearson(g[3:], m[3:])]) == pytest.approx(0.760, abs=5e-4)
    assert stats.kendall_b(g, m) == pytest.approx(0.552, abs=5e-4)
    assert np.mean([stats.kendall_b(g[:3], m[:3]), stats.kendall_b(g[3:], m[3:])]) == pytest.approx(0.575, abs=5e-4)
    # ST testAgreement: gold [1,2,3,3,4], metric [1,1,2,1,2] -> 5 of 10 pairs agree (ties included).
    assert stats.agreement(np.array([1, 2, 3, 3, 4.0]), np.array([1, 1, 2, 1, 2.0])) == (5, 10)


def test_pooled_equals_enumeration_on_tied_data(monkeypatch: pytest.MonkeyPatch) -> None:
    # The O(n log n) counts and the branch and bound against the definition, every pair listed (tau_optimization).
    rng = np.random.default_rng(7)
    n = 300
    human = np.where(rng.random(n) < 0.4, 0.0, -rng.integers(1, 8, n) * 1.0)  # MQM-like: many ties at 0
    metric = np.round(rng.normal(size=n) + 0.2 * human, 1)
    exact = tiecal.grouped(human, metric, [np.arange(n)])
    monkeypatch.setattr(tiecal, "_ENUMERATE", 500)  # force the search (44,850 pairs)
    fast = tiecal.pooled(human, metric)
    assert fast.epsilon == exact.epsilon and fast.acc == pytest.approx(exact.acc, abs=1e-12)
    i, j = np.triu_indices(n, 1)
    for t in (0.0, 0.1, 0.3, 1.0):
        dm, dh = np.abs(metric[j] - metric[i]), human[j] - human[i]
        brute = np.mean(((dm > t) & ((metric[j] - metric[i]) * dh > 0)) | ((dm <= t) & (dh == 0)))
        assert tiecal.acc23_at(human, metric, t) == pytest.approx(brute, abs=1e-12)


def test_pairwise_p_values_deterministic_and_spa() -> None:
    # PT test_pairwise_p_values_are_deterministic: the same scores give the same p-values (fixed seed 4).
    scores = np.random.default_rng(0).random((10, 100))
    np.testing.assert_array_equal(stats.pairwise_p_values(scores), stats.pairwise_p_values(scores))
    # 1 - PCE is 1 when the metric's p-values are the human's (same scores): pce.compute_one_minus_pce.
    assert stats.soft_pairwise_accuracy(scores, scores) == 1.0
    # A system better on every one of 20 segments: null deltas reach the observed one only when every sign is +1.
    better = np.vstack([np.ones(20), np.zeros(20)])
    assert stats.pairwise_p_values(better)[0, 1] <= 0.002


def test_significance_prefers_the_better_metric() -> None:
    rng = np.random.default_rng(3)
    human = rng.normal(size=(6, 80))
    good, bad = human + 0.3 * rng.normal(size=human.shape), rng.normal(size=human.shape)
    settings = resample.Resampling(n_bootstrap=200, n_permutations=200, seed=1)
    # p[a][b]: p-value that a is better than b. good over bad: tiny; bad over good: large.
    p = resample.significance(human, {"good": good, "bad": bad}, {"good": 0.0, "bad": 0.0}, settings)
    for stat in ("segment.pearson", "segment_item.acc_eq"):
        assert p[stat]["good"]["bad"] < 0.01 < 0.99 < p[stat]["bad"]["good"]
    assert p["system.pearson"]["good"]["bad"] <= p["system.pearson"]["bad"]["good"]
    ci = resample.intervals(human, good, 0.0, settings)
    low, high = ci["segment.pearson"]
    assert low < stats.pearson(human.ravel(), good.ravel()) < high


def test_pooled_scipy_path_equals_prefix_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many distinct human scores take the scipy tau-b route for the cross sums; both routes give the same counts.
    rng = np.random.default_rng(11)
    human, metric = np.round(rng.normal(size=200), 1), np.round(rng.normal(size=200), 1)
    prefix = [tiecal.acc23_at(human, metric, t) for t in (0.0, 0.2, 0.5)]
    monkeypatch.setattr(tiecal, "_PREFIX_CELLS", 0)
    assert [tiecal.acc23_at(human, metric, t) for t in (0.0, 0.2, 0.5)] == prefix


@pytest.mark.slow
def test_pooled_equals_enumeration_on_wmt23_zhen() -> None:
    # 3,770 segments, 7.1M pairs: the branch and bound against every pair listed (about a minute on 2 cores).
    from pathlib import Path

    from evalkit.meta.human import read_mqm_tsv

    path = (Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wmt23-general-mqm-sxs"
            / "sxs_mqm_generalMT2023_zhen.3ratingsPerSegment.tsv.tar.gz")
    if not path.exists():
        pytest.skip("../shared/data is absent (a user's clone): real-data test")
    human = read_mqm_tsv(path).human.ravel()
    metric = np.round(human + np.random.default_rng(5).normal(size=human.size) * 4, 1)
    fast, exact = tiecal.pooled(human, metric), tiecal.grouped(human, metric, [np.arange(human.size)])
    assert fast.epsilon == exact.epsilon and fast.acc == pytest.approx(exact.acc, abs=1e-12)
