"""Bootstrap confidence intervals and paired significance tests over sacrebleu sufficient statistics.

Everything here works on per-segment statistics matrices (one row per segment, as sacrebleu's
``Metric._extract_corpus_statistics`` gives them) and reproduces sacrebleu 2.6.0
(``sacrebleu/significance.py``) draw for draw: the same ``numpy.random.default_rng(seed)`` calls in the
same order, the same float32 arithmetic where sacrebleu's bootstrap uses float32, the same p-value
``(c + 1) / (n + 1)``. Only the work is vectorised: resample sums come from one index-count matrix times
the statistics matrix, and scores from summed statistics come from :func:`score_rows`.

This module imports no sacrebleu: metric objects are read by duck typing, and the functions that start
from text (:func:`paired_test`, :func:`paired_tests`) import :mod:`evalkit.metrics.reference` lazily.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import UsageError

__all__ = [
    "DEFAULT_SAMPLES",
    "DEFAULT_SEED",
    "Bootstrap",
    "PairedResult",
    "bootstrap",
    "bootstrap_indices",
    "bootstraps",
    "estimate_ci",
    "paired_from_stats",
    "paired_test",
    "paired_tests",
    "resample_sums",
    "score_rows",
]

DEFAULT_SEED = 12345  # sacrebleu's default when SACREBLEU_SEED is unset
DEFAULT_SAMPLES = {"bs": 1000, "ar": 10000}  # sacrebleu's PairedTest._DEFAULT_SAMPLES
_CHUNK = 4_000_000  # matrix cells per chunk when building resample sums
# numpy >= 2 keeps float32 when a Python float meets a float32 scalar (NEP 50), as sacrebleu's bootstrap relies on.
_NEP50 = int(np.__version__.split(".")[0]) >= 2


# --- scores from summed statistics, vectorised -------------------------------------------------


def score_rows(metric: Any, sums: np.ndarray) -> np.ndarray:
    """Scores for each row of summed statistics, as ``metric._compute_score_from_stats(row).score``.

    ``sums`` is (rows, k). Its dtype decides the arithmetic exactly as in sacrebleu: float32 rows (its
    bootstrap path) give float32 chrF/TER and float32 BLEU precisions; integer or float64 rows give
    float64. BLEU, chrF (without eps smoothing) and TER are vectorised; any other metric or setting
    falls back to sacrebleu's own function row by row (so does float32 under numpy 1.x, whose scalar
    type promotion differs). Ranges: BLEU and chrF 0-100, TER >= 0 (can pass 100).
    """
    sums = np.atleast_2d(np.asarray(sums))
    kind = type(metric).__name__
    if _NEP50 or sums.dtype != np.float32:
        if kind == "BLEU" and metric.smooth_method in {"exp", "none", "floor"}:
            return _bleu_rows(metric, sums, metric.effective_order)
        if kind == "CHRF" and not metric.eps_smoothing:
            return _chrf_rows(metric, sums)
        if kind == "TER":
            return _ter_rows(sums)
    # sacrebleu's add-k smoothing adds to the statistics in place: give it copies.
    return np.array([metric._compute_score_from_stats(row.copy()).score for row in sums])


def _float_type(sums: np.ndarray) -> type:
    # A Python float combined with a float32 scalar stays float32 (NEP 50); with an integer, float64.
    return np.float32 if sums.dtype == np.float32 else np.float64


def _exps(values: np.ndarray) -> np.ndarray:
    return np.array([math.exp(v) for v in values.tolist()], dtype=np.float64)


def _bleu_rows(metric: Any, sums: np.ndarray, effective_order: bool) -> np.ndarray:
    """sacrebleu ``BLEU.compute_bleu`` on every row (smoothing exp, none or floor)."""
    order, method = metric.max_ngram_order, metric.smooth_method
    value = metric.smooth_value if metric.smooth_value is not None else metric.SMOOTH_DEFAULTS[method]
    fdt = _float_type(sums)
    rows = sums.shape[0]
    sys_len = sums[:, 0].astype(np.int64)
    ref_len = sums[:, 1].astype(np.int64)
    correct, total = sums[:, 2 : 2 + order], sums[:, 2 + order : 2 + 2 * order]
    bp = np.ones(rows)
    bp[(sys_len < ref_len) & (sys_len == 0)] = 0.0
    short = np.flatnonzero((sys_len < ref_len) & (sys_len > 0))
    bp[short] = _exps(1 - ref_len[short] / sys_len[short])  # Python int / int is correctly rounded too
    precisions = np.zeros((rows, order), dtype=fdt)
    live = np.ones(rows, dtype=bool)  # no order with zero total seen yet (sacrebleu breaks there)
    smooth = np.ones(rows)
    eff = np.full(rows, order)
    with np.errstate(divide="ignore", invalid="ignore"):
        for n in range(order):
            c, t = correct[:, n], total[:, n]
            live &= t != 0
            if effective_order:
                eff = np.where(live, n + 1, eff)
            hit = live & (c != 0)
            miss = live & (c == 0)
            precisions[:, n] = np.where(hit, 100.0 * c / t, precisions[:, n])
            if method == "exp":
                smooth = np.where(miss, smooth * 2, smooth)
                precisions[:, n] = np.where(miss, 100.0 / (smooth.astype(fdt) * t), precisions[:, n])
            elif method == "floor":
                precisions[:, n] = np.where(miss, 100.0 * value / t, precisions[:, n])
    # The last step row by row in Python, as sacrebleu: math.log/exp (numpy's SIMD versions differ from
    # libm in the last bit for some inputs) and the built-in sum (compensated from Python 3.12 on).
    score = np.array(
        [
            b * math.exp(sum([math.log(p) if p != 0.0 else -9999999999 for p in row[:e]]) / e)
            for row, e, b in zip(precisions.tolist(), eff.tolist(), bp.tolist())
        ]
    )
    return np.where(correct.any(axis=1), score, 0.0)


def _chrf_rows(metric: Any, sums: np.ndarray) -> np.ndarray:
    """sacrebleu ``CHRF._compute_f_score`` (effective-order averaging) on every row."""
    fdt = _float_type(sums)
    factor = metric.beta**2
    rows = sums.shape[0]
    avg_p = np.zeros(rows, dtype=fdt)
    avg_r = np.zeros(rows, dtype=fdt)
    eff = np.zeros(rows, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(metric.order):
            n_hyp, n_ref, n_match = sums[:, 3 * i], sums[:, 3 * i + 1], sums[:, 3 * i + 2]
            ok = (n_hyp > 0) & (n_ref > 0)
            avg_p = avg_p + np.where(ok, n_match / n_hyp, 0).astype(fdt)
            avg_r = avg_r + np.where(ok, n_match / n_ref, 0).astype(fdt)
            eff += ok
        divisor = np.maximum(eff, 1).astype(fdt)
        avg_p = np.where(eff > 0, avg_p / divisor, 0).astype(fdt)
        avg_r = np.where(eff > 0, avg_r / divisor, 0).astype(fdt)
        nonzero = (avg_p + avg_r) != 0
        score = (1 + factor) * avg_p * avg_r
        score = 100 * (score / ((factor * avg_p) + avg_r))
    return _with_python_zero(score, nonzero, 0.0)


def _ter_rows(sums: np.ndarray) -> np.ndarray:
    """sacrebleu ``TER._compute_score_from_stats`` on every row."""
    edits, ref_len = sums[:, 0], sums[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = 100 * (edits / ref_len)
    return _with_python_zero(score, ref_len > 0, np.where(edits > 0, 100.0, 0.0))


def _with_python_zero(score: np.ndarray, ok: np.ndarray, fallback: Any) -> np.ndarray:
    # sacrebleu returns a Python float in the fallback branch; np.array() of a mixed list is float64.
    if ok.all():
        return score
    return np.where(ok, score.astype(np.float64), fallback)


# --- resampling --------------------------------------------------------------------------------


def bootstrap_indices(n: int, n_samples: int, seed: int | None) -> np.ndarray:
    """sacrebleu's resample draw: ``default_rng(seed).choice(n, size=(n_samples, n), replace=True)``."""
    return np.random.default_rng(seed).choice(n, size=(n_samples, n), replace=True)


def _exact_scale(stats: np.ndarray, mantissa: int) -> bool:
    """True when every partial sum of a resample is exact in a float with ``mantissa`` bits, in any order."""
    for scale in (1, 2, 4):  # TER averages reference lengths: halves with 2 references, quarters with 4
        scaled = stats * scale
        if np.array_equal(scaled, np.round(scaled)):
            return bool(np.all(stats.shape[0] * np.abs(scaled).max(axis=0, initial=0) < 2**mantissa))
    return False


def resample_sums(stats: np.ndarray, idxs: np.ndarray) -> np.ndarray:
    """Summed statistics per resample, float32 as sacrebleu's ``stats_np[idxs]`` then ``.sum(0)``.

    ``stats`` is (segments, k), ``idxs`` (resamples, segments). When every partial sum is exact in float32
    (integer counts below 2**24, the usual case) the sums come from an index-count matrix times ``stats``,
    where the order of additions cannot matter; otherwise from the same gather-and-sum as sacrebleu, so
    the rounding is identical either way. Pass several systems' statistics side by side to share the counts.
    """
    stats32 = np.asarray(stats, dtype=np.float32)
    n_samples, n = idxs.shape
    out = np.empty((n_samples, stats32.shape[1]), dtype=np.float32)
    step = max(1, _CHUNK // max(n, 1))
    exact = _exact_scale(np.asarray(stats, dtype=np.float64), 24)
    for lo in range(0, n_samples, step):
        block = idxs[lo : lo + step]
        rows = block.shape[0]
        if exact:
            flat = (block + (np.arange(rows) * n)[:, None]).ravel()
            counts = np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float32)
            out[lo : lo + rows] = counts @ stats32
        else:
            out[lo : lo + rows] = stats32[block].sum(axis=1)
    return out


def estimate_ci(scores: np.ndarray) -> tuple[float, float]:
    """sacrebleu's ``significance.estimate_ci``: (mean of the resampled scores, half-width of the 95% interval)."""
    scores = np.sort(scores)
    n = len(scores)
    lower_idx = n // 40
    lower, upper = scores[lower_idx], scores[n - lower_idx - 1]
    return float(scores.mean()), float(0.5 * (upper - lower))


@dataclass(frozen=True)
class Bootstrap:
    """A 95% bootstrap interval of a corpus score, in the metric's units (BLEU/chrF 0-100, TER >= 0).

    ``low``/``high`` are the 2.5th and 97.5th percentile resampled scores (sorted positions n//40 and
    n - n//40 - 1, as sacrebleu); ``mean`` and ``half_width`` are what sacrebleu prints as ``μ = mean ± half_width``.
    """

    mean: float
    half_width: float
    low: float
    high: float
    n_samples: int
    seed: int | None

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"Bootstrap.low must be <= high, got {self.low} > {self.high}")


def bootstrap(stats: np.ndarray, metric: Any, n_samples: int = 1000, seed: int | None = DEFAULT_SEED) -> Bootstrap:
    """95% interval of the corpus score by resampling segments, as ``metric.corpus_score(..., n_bootstrap=n)``.

    Same draws and same numbers as sacrebleu's ``--confidence`` (its mean uses ``statistics.mean`` as there).
    """
    return bootstraps([stats], metric, n_samples, seed)[0]


def bootstraps(
    stats: Sequence[np.ndarray], metric: Any, n_samples: int = 1000, seed: int | None = DEFAULT_SEED
) -> list[Bootstrap]:
    """:func:`bootstrap` for several systems on the same segments, drawing the resamples once for all."""
    if n_samples < 1:
        raise UsageError(f"bootstrap needs at least 1 resample, got {n_samples}", "pass n_samples >= 1")
    mats = [np.asarray(s) for s in stats]
    if not mats:
        return []
    k = mats[0].shape[1]
    sums = resample_sums(np.concatenate(mats, axis=1), bootstrap_indices(len(mats[0]), n_samples, seed))
    lower_idx = n_samples // 40
    out = []
    for i in range(len(mats)):
        ordered = sorted(score_rows(metric, sums[:, i * k : (i + 1) * k]))  # numpy scalars kept, as in sacrebleu
        low, high = float(ordered[lower_idx]), float(ordered[n_samples - lower_idx - 1])
        out.append(Bootstrap(float(statistics.mean(ordered)), 0.5 * (high - low), low, high, n_samples, seed))
    return out


# --- paired tests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedResult:
    """One system compared with the baseline on one metric, as a row of ``sacrebleu --paired-bs/--paired-ar``.

    ``p_value`` is two-sided, (c + 1) / (n + 1), 0-1; lower means the difference is less likely chance.
    ``mean``/``ci`` are the system's bootstrap mean and 95% half-width (``μ ± ci``; ``None`` for ``ar``
    unless ``n_ar_confidence`` > 0), likewise ``baseline_mean``/``baseline_ci``. Scores in the metric's units.
    """

    metric: str
    method: Literal["bs", "ar"]
    baseline: str
    system: str
    baseline_score: float
    system_score: float
    p_value: float
    mean: float | None
    ci: float | None
    baseline_mean: float | None
    baseline_ci: float | None
    n_samples: int
    seed: int | None
    signature: str

    def __post_init__(self) -> None:
        if not 0.0 < self.p_value <= 1.0:
            raise ValueError(f"PairedResult.p_value must be in (0, 1], got {self.p_value}")


def _p_value(stats: np.ndarray, real_difference: float) -> float:
    # sacrebleu's _compute_p_value (after multeval): strictly greater, plus-one smoothing.
    c = np.sum(stats > real_difference).item()
    return (c + 1) / (len(stats) + 1)


def _selector_products(sel: np.ndarray, mats: list[np.ndarray]) -> list[np.ndarray]:
    """``sel @ m`` for each statistics matrix, exact, in one BLAS product when the sums are exact in floats."""
    joined = np.concatenate([np.asarray(m, dtype=np.float64) for m in mats], axis=1)
    if not _exact_scale(joined, 53):
        return [sel @ np.asarray(m) for m in mats]  # as sacrebleu: numpy's own product, same rounding
    ftype = np.float32 if _exact_scale(joined, 24) else np.float64
    prod = np.empty((sel.shape[0], joined.shape[1]), dtype=np.float64)
    step = max(1, _CHUNK // max(sel.shape[1], 1))
    for lo in range(0, sel.shape[0], step):
        prod[lo : lo + step] = sel[lo : lo + step].astype(ftype) @ joined.astype(ftype)
    out, col = [], 0
    for m in mats:
        k = m.shape[1]
        out.append(prod[:, col : col + k].astype(np.asarray(m).dtype))
        col += k
    return out


def _paired_signature(metric: Any, method: str, n_samples: int, seed: int | None, conf_n: int) -> str:
    # As PairedTest builds it: the metric's signature plus seed, trials and (AR) interval resamples.
    sig = metric.get_signature()
    sig.update("seed", str(seed).lower())
    sig.update(method, n_samples)
    if method == "ar" and conf_n > 0:
        sig.update("bs", conf_n)
    return str(sig.format())


def _check_method(method: str, n_samples: int | None) -> None:
    if method not in DEFAULT_SAMPLES:
        raise UsageError(f"unknown paired test {method!r}", "use method='bs' or method='ar'")
    if n_samples is not None and n_samples < 0:
        raise UsageError(f"n_samples must be >= 0 (0 for the default), got {n_samples}", "pass a positive count")


def paired_from_stats(
    metric: Any,
    baseline_stats: np.ndarray,
    systems_stats: Mapping[str, np.ndarray],
    *,
    baseline: str = "baseline",
    metric_name: str | None = None,
    method: Literal["bs", "ar"] = "bs",
    n_samples: int | None = None,
    seed: int | None = DEFAULT_SEED,
    n_ar_confidence: int = -1,
) -> list[PairedResult]:
    """Paired tests from statistics matrices: each named system against the baseline (the core of :func:`paired_tests`).

    ``metric`` is the sacrebleu metric object that extracted the (segments, k) matrices (int64, or float64
    for TER). ``n_samples`` defaults to 1000 (bs) or 10000 (ar); ``n_ar_confidence`` as sacrebleu's
    (-1 none, 0 for 1000). Seeds as sacrebleu: each system starts a fresh ``default_rng(seed)``, so all
    see the same resamples or coin flips (sacrebleu also reads seed 0 as "unseeded"; here 0 is a seed).
    """
    _check_method(method, n_samples)
    n_samples = n_samples or DEFAULT_SAMPLES[method]
    conf_n = DEFAULT_SAMPLES["bs"] if n_ar_confidence == 0 else n_ar_confidence
    bl = np.asarray(baseline_stats)
    names = list(systems_stats)
    sys_all = [np.asarray(systems_stats[name]) for name in names]
    for name, s in zip(names, sys_all):
        if s.shape != bl.shape:
            what = f"statistics of {name!r} have shape {s.shape}, the baseline's {bl.shape}"
            raise UsageError(what, "score every system on the same segments")
    n, k = bl.shape
    bl_result = metric._aggregate_and_compute(bl.tolist())
    bl_score = bl_result.score
    sys_scores = [metric._aggregate_and_compute(s.tolist()).score for s in sys_all]
    signature = _paired_signature(metric, method, n_samples, seed, conf_n)
    rows: list[tuple[float, float | None, float | None]] = []  # (p, mean, ci) per system
    bl_mean = bl_ci = None
    if method == "bs":
        # sacrebleu draws the baseline's interval from its own default_rng(seed): the same resamples.
        sums = resample_sums(np.concatenate([bl, *sys_all], axis=1), bootstrap_indices(n, n_samples, seed))
        scores_bl = score_rows(metric, sums[:, :k])
        bl_mean, bl_ci = estimate_ci(scores_bl)
        for i, score in enumerate(sys_scores, start=1):
            scores_sys = score_rows(metric, sums[:, i * k : (i + 1) * k])
            sample_diffs = np.abs(scores_sys - scores_bl)
            p = _p_value(sample_diffs - sample_diffs.mean(), abs(bl_score - score))
            rows.append((p, *estimate_ci(scores_sys)))
    else:
        if conf_n > 0:
            bl_mean, bl_ci = estimate_ci(score_rows(metric, resample_sums(bl, bootstrap_indices(n, conf_n, seed))))
        rng = np.random.default_rng(seed)
        pos_sel = rng.integers(2, size=(n_samples, n), dtype=bool)
        bs_idxs = rng.choice(n, size=(conf_n, n), replace=True) if conf_n > 0 else None
        prods = _selector_products(pos_sel, [bl, *sys_all])  # pos_sel @ stats; neg_sel @ stats = total - that
        p_bl, tot_bl = prods[0], bl.sum(axis=0)
        for s, p_sys, score in zip(sys_all, prods[1:], sys_scores):
            if _exact_scale(np.concatenate([bl, s], axis=1).astype(np.float64), 53):
                shuf_a = p_bl + (s.sum(axis=0) - p_sys)
                shuf_b = (tot_bl - p_bl) + p_sys
            else:  # sacrebleu's expression verbatim, so float rounding matches
                shuf_a = pos_sel @ bl + ~pos_sel @ s
                shuf_b = ~pos_sel @ bl + pos_sel @ s
            p = _p_value(np.abs(score_rows(metric, shuf_a) - score_rows(metric, shuf_b)), abs(bl_score - score))
            mean = ci = None
            if bs_idxs is not None:
                mean, ci = estimate_ci(score_rows(metric, resample_sums(s, bs_idxs)))
            rows.append((p, mean, ci))
    label = metric_name or bl_result.name
    return [
        PairedResult(
            label, method, baseline, name, float(bl_score), float(score), p, mean, ci, bl_mean, bl_ci,
            n_samples, seed, signature,
        )
        for name, score, (p, mean, ci) in zip(names, sys_scores, rows)
    ]


def paired_tests(
    systems: Mapping[str, Sequence[str]],
    refs: Sequence[Sequence[str]],
    *,
    metric: str,
    tgt_lang: str,
    baseline: str | None = None,
    method: Literal["bs", "ar"] = "bs",
    n_samples: int | None = None,
    seed: int | None = DEFAULT_SEED,
    n_ar_confidence: int = -1,
    **overrides: Any,
) -> list[PairedResult]:
    """Every system against ``baseline`` (default: the first) on one metric, as ``sacrebleu -i ... --paired-bs``.

    ``refs`` are reference streams (``refs[k][i]``: reference k of segment i). References are prepared
    once and each system's statistics extracted once. ``overrides`` go to
    :func:`evalkit.metrics.reference.prepare` (``tokenize``, ``lowercase``, ``chrf_word_order``, ``ter_asian``).
    Same p-values as sacrebleu for the same inputs, ``n_samples`` and seed.
    """
    from .metrics.reference import prepare

    _check_method(method, n_samples)
    names = list(systems)
    baseline = names[0] if baseline is None and names else baseline
    if baseline not in systems:
        raise UsageError(f"baseline {baseline!r} is not among the systems {names}", "name one of the systems")
    others = [name for name in names if name != baseline]
    if not others:
        raise UsageError("paired tests need at least one system besides the baseline", "pass two or more systems")
    prepared = prepare(metric, refs, tgt_lang=tgt_lang, **overrides)
    return paired_from_stats(
        prepared.metric,
        prepared.stats(systems[baseline]),
        {name: prepared.stats(systems[name]) for name in others},
        baseline=baseline,
        metric_name=metric,
        method=method,
        n_samples=n_samples,
        seed=seed,
        n_ar_confidence=n_ar_confidence,
    )


def paired_test(
    baseline_hyps: Sequence[str],
    system_hyps: Sequence[str],
    refs: Sequence[Sequence[str]],
    *,
    metric: str,
    tgt_lang: str,
    method: Literal["bs", "ar"] = "bs",
    n_samples: int | None = None,
    seed: int | None = DEFAULT_SEED,
    **overrides: Any,
) -> PairedResult:
    """One system against one baseline: :func:`paired_tests` with systems named ``baseline`` and ``system``."""
    systems = {"baseline": baseline_hyps, "system": system_hyps}
    return paired_tests(
        systems, refs, metric=metric, tgt_lang=tgt_lang, method=method, n_samples=n_samples, seed=seed, **overrides
    )[0]
