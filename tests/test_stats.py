"""evalkit.stats: bootstrap intervals and paired tests give sacrebleu 2.6.0's numbers, vectorised.

Expected values are computed at test time by sacrebleu itself (``Metric.corpus_score(n_bootstrap=...)``,
``significance.PairedTest`` as ``sacrebleu --paired-bs/--paired-ar`` runs it, ``_bootstrap_resample``) on
WMT22 zh-en segments from ``../shared/data``.
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.significance import PairedTest, _bootstrap_resample
from sacrebleu.significance import estimate_ci as sacrebleu_estimate_ci

from evalkit.errors import UsageError
from evalkit.metrics import prepare
from evalkit.stats import (
    PairedResult,
    bootstrap,
    bootstrap_indices,
    bootstraps,
    estimate_ci,
    paired_from_stats,
    paired_test,
    paired_tests,
    resample_sums,
    score_rows,
)

WMT22 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wmt22-general-zh-en"
# Online-G is the baseline; the others are within ~1 BLEU of it on the first 300 segments (p from 0.02 to 0.1).
SYSTEMS = ("Online-G", "LanguageX", "AISP-SJTU", "JDExploreAcademy")


@pytest.fixture(autouse=True)
def _sacrebleu_default_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SACREBLEU_SEED", raising=False)  # sacrebleu's default seed is then 12345, as evalkit's


def _lines(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8", newline="\n") as f:
        return [line.rstrip("\n") for _, line in zip(range(n), f)]


@cache
def _wmt(n: int) -> tuple[dict[str, list[str]], list[list[str]]]:
    if not WMT22.exists():
        pytest.skip(f"{WMT22} absent (../shared/data not checked out)")
    names = sorted(p.name.split(".hyp.")[1][: -len(".en")] for p in (WMT22 / "system-outputs" / "zh-en").iterdir())
    hyps = {s: _lines(WMT22 / "system-outputs" / "zh-en" / f"generaltest2022.zh-en.hyp.{s}.en", n) for s in names}
    refs = [_lines(WMT22 / "references" / f"generaltest2022.zh-en.ref.{r}.en", n) for r in "AB"]
    return hyps, refs


# sacrebleu metric objects covering every branch of the vectorised score functions.
SCORE_METRICS = {
    "bleu-exp": lambda: BLEU(),
    "bleu-exp-effective": lambda: BLEU(effective_order=True),
    "bleu-none": lambda: BLEU(smooth_method="none"),
    "bleu-floor": lambda: BLEU(smooth_method="floor"),
    "bleu-add-k (sacrebleu fallback)": lambda: BLEU(smooth_method="add-k", effective_order=True),
    "bleu-zh": lambda: BLEU(tokenize="zh"),
    "chrf": lambda: CHRF(),
    "chrf++": lambda: CHRF(word_order=2),
    "chrf-beta1": lambda: CHRF(beta=1),
    "ter": lambda: TER(),
}


@pytest.mark.parametrize("name", SCORE_METRICS)
def test_score_rows_equal_sacrebleu(name: str) -> None:
    hyps, refs = _wmt(60 if name == "ter" else 300)
    metric = SCORE_METRICS[name]()
    n = 12 if name == "ter" else 300
    stats = np.array(metric._extract_corpus_statistics(hyps["Online-W"][:n], [r[:n] for r in refs]))
    # Sentence rows (int64, as evalkit extracts them), float32 resample sums (sacrebleu's bootstrap path)
    # and an all-zero row (empty hypothesis and reference), each against sacrebleu's own function.
    zero = np.zeros((1, stats.shape[1]), dtype=stats.dtype)
    for rows in (stats, resample_sums(stats, bootstrap_indices(len(stats), 50, 1)), zero):
        got = score_rows(metric, rows)
        expected = np.array([metric._compute_score_from_stats(row.copy()).score for row in rows])
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
        assert np.array_equal(got, expected)  # same arithmetic, same dtype: bit for bit


@pytest.mark.parametrize("metric", ["bleu", "chrf", "ter"])
def test_bootstrap_interval_equals_sacrebleu_confidence(metric: str) -> None:
    hyps, refs = _wmt(300)
    n = 30 if metric == "ter" else 300
    hyp, ref = hyps["LanguageX"][:n], [refs[0][:n]]
    prepared = prepare(metric, ref, tgt_lang="en")
    score = prepared.score(hyp, n_bootstrap=1000)
    theirs = {"bleu": BLEU, "chrf": CHRF, "ter": TER}[metric]().corpus_score(hyp, ref, n_bootstrap=1000)
    assert (score.score, score.extra["bs_mean"], score.extra["bs_ci"]) == (theirs.score, theirs._mean, theirs._ci)
    assert score.ci95 is not None and score.ci95[1] - score.ci95[0] == pytest.approx(2 * theirs._ci)


@cache
def _paired(method: str) -> tuple[list[PairedResult], list[PairedResult], dict[str, object], dict[str, object]]:
    hyps, refs = _wmt(300)
    systems = {s: hyps[s] for s in SYSTEMS}
    # --paired-bs-n 1000 (its default) / --paired-ar-n 2000 (default 10000; fewer to keep the test fast).
    n = 1000 if method == "bs" else 2000
    ours = [
        paired_tests(systems, refs[:1], metric=m, tgt_lang="en", method=method, n_samples=n) for m in ("bleu", "chrf")
    ]
    metrics = {"BLEU": BLEU(references=refs[:1]), "chrF2": CHRF(references=refs[:1])}
    sigs, scores = PairedTest(list(systems.items()), metrics, None, test_type=method, n_samples=n)()
    return ours[0], ours[1], sigs, scores


@pytest.mark.parametrize("method", ["bs", "ar"])
@pytest.mark.parametrize(("index", "name"), [(0, "BLEU"), (1, "chrF2")])
def test_paired_tests_equal_sacrebleu(method: str, index: int, name: str) -> None:
    results, sigs, scores = _paired(method)[index], _paired(method)[2], _paired(method)[3]
    baseline, *others = scores[name]
    assert [r.system for r in results] == list(SYSTEMS[1:])
    assert results[0].signature == sigs[name].format()
    for ours, theirs in zip(results, others):
        assert (ours.system_score, ours.p_value) == (theirs.score, theirs.p_value)
        assert ours.baseline_score == baseline.score
        if method == "bs":
            assert (ours.mean, ours.ci) == (theirs.mean, theirs.ci)
            assert (ours.baseline_mean, ours.baseline_ci) == (baseline.mean, baseline.ci)
        else:  # sacrebleu's --paired-ar gives no interval by default
            assert ours.mean is None and theirs.mean is None
    assert 0.01 < max(r.p_value for r in results) < 0.5  # a test where the p-values are not all at their floor


def test_paired_ar_confidence_and_fractional_statistics_follow_sacrebleu() -> None:
    # TER with three references averages reference lengths into thirds, which float sums cannot hold
    # exactly: this takes the gather-and-sum and verbatim-product paths rather than the count matrix.
    hyps, refs = _wmt(8)
    streams = [refs[0], refs[1], refs[0][::-1]]
    systems = [(s, hyps[s]) for s in SYSTEMS[:3]]
    metric = TER(references=streams)
    stats = {s: np.array(metric._extract_corpus_statistics(h, None)) for s, h in systems}
    assert not np.array_equal(stats["Online-G"] * 4, np.round(stats["Online-G"] * 4))
    others = {s: stats[s] for s, _ in systems[1:]}
    for method, n, conf in (("ar", 1000, 200), ("bs", 300, -1)):
        ours = paired_from_stats(metric, stats["Online-G"], others, method=method, n_samples=n, n_ar_confidence=conf)
        sigs, scores = PairedTest(systems, {"TER": metric}, None, test_type=method, n_samples=n, n_ar_confidence=conf)()
        baseline, *theirs = scores["TER"]
        expected = [(t.score, t.p_value, t.mean, t.ci) for t in theirs]
        assert [(r.system_score, r.p_value, r.mean, r.ci) for r in ours] == expected
        assert (ours[0].baseline_mean, ours[0].baseline_ci) == (baseline.mean, baseline.ci)
        assert ours[0].signature == sigs["TER"].format()
    _, resampled = _bootstrap_resample(stats["AISP-SJTU"].tolist(), metric, 300)
    ours = score_rows(metric, resample_sums(stats["AISP-SJTU"], bootstrap_indices(8, 300, 12345)))
    assert np.array_equal(ours, np.array([s.score for s in resampled]))
    assert estimate_ci(ours) == tuple(float(x) for x in sacrebleu_estimate_ci(ours))


def test_paired_test_single_pair_and_errors() -> None:
    hyps, refs = _wmt(300)
    result = paired_test(hyps["Online-G"], hyps["LanguageX"], refs, metric="bleu", tgt_lang="en", n_samples=300, seed=1)
    assert (result.baseline, result.system, result.n_samples, result.seed) == ("baseline", "system", 300, 1)
    assert "nrefs:2|bs:300|seed:1|" in result.signature and 0 < result.p_value <= 1
    with pytest.raises(UsageError, match="use method='bs' or method='ar'"):
        paired_test(hyps["Online-G"], hyps["LanguageX"], refs, metric="bleu", tgt_lang="en", method="t-test")
    with pytest.raises(UsageError, match="baseline 'X' is not among the systems"):
        paired_tests({"a": ["x"], "b": ["y"]}, [["x"]], metric="bleu", tgt_lang="en", baseline="X")
    with pytest.raises(UsageError, match="at least 1 resample"):
        bootstrap(np.ones((3, 10), dtype=np.int64), BLEU(), n_samples=0)


def test_seed_changes_the_resamples_and_none_is_unseeded() -> None:
    hyps, refs = _wmt(300)
    prepared = prepare("chrf", refs[:1], tgt_lang="en")
    stats = prepared.stats(hyps["Online-W"])
    a, b = bootstrap(stats, prepared.metric, 500, seed=1), bootstrap(stats, prepared.metric, 500, seed=2)
    assert a == bootstrap(stats, prepared.metric, 500, seed=1) and a != b
    assert "|seed:none|" in prepared.signature(500, None)


def test_bootstrap_and_paired_test_of_twelve_full_systems_take_seconds() -> None:
    # Performance target of evalkit issue 3: 1000 resamples x 12 systems x 1875 segments in seconds.
    hyps, refs = _wmt(1875)
    prepared = prepare("bleu", refs[:1], tgt_lang="en")
    stats = [prepared.stats(h) for h in hyps.values()]
    assert len(stats) == 12 and all(s.shape == (1875, 10) for s in stats)
    start = time.perf_counter()
    intervals = bootstraps(stats, prepared.metric, 1000)
    others = {f"system {i}": s for i, s in enumerate(stats[1:])}
    rows = paired_from_stats(prepared.metric, stats[0], others, method="bs")
    elapsed = time.perf_counter() - start
    assert len(rows) == 11 and intervals[3] == bootstrap(stats[3], prepared.metric, 1000)
    assert elapsed < 5.0, f"{elapsed:.1f} s"  # about 0.5 s on 2 busy cores; sacrebleu's loop takes ~0.3 s per system
