"""Paired significance tests of systems against a baseline, as ``sacrebleu --paired-bs`` / ``--paired-ar``.

Same draws, statistics and p-values ``(c + 1) / (n + 1)`` as sacrebleu 2.6.0 (``sacrebleu/significance.py``),
on per-segment statistics matrices; the functions that start from text import `evalkit.metrics.reference`
lazily. See `evalkit.stats`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..errors import UsageError
from .resample import _CHUNK, DEFAULT_SEED, _exact_scale, bootstrap_indices, estimate_ci, resample_sums
from .scores import score_rows

__all__ = ["DEFAULT_SAMPLES", "PairedResult", "paired_from_stats", "paired_test", "paired_tests"]

DEFAULT_SAMPLES = {"bs": 1000, "ar": 10000}  # sacrebleu's PairedTest._DEFAULT_SAMPLES


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
            # sacrebleu scores each shuffled row as a numpy array (array_rows: its add-k truncates there)
            ar_a, ar_b = score_rows(metric, shuf_a, array_rows=True), score_rows(metric, shuf_b, array_rows=True)
            p = _p_value(np.abs(ar_a - ar_b), abs(bl_score - score))
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
    from ..metrics.reference import prepare

    _check_method(method, n_samples)
    names = list(systems)
    baseline = names[0] if baseline is None and names else baseline
    if baseline is None or baseline not in systems:
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
