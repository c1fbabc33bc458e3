"""Scores from summed sacrebleu statistics, one per row, vectorised: BLEU, chrF and TER as sacrebleu 2.6.0
computes them (same float32 or float64 arithmetic), any other metric through sacrebleu's own function."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["score_rows", "sum_stats"]

# numpy >= 2 keeps float32 when a Python float meets a float32 scalar (NEP 50), as sacrebleu's bootstrap relies on.
_NEP50 = int(np.__version__.split(".")[0]) >= 2


def score_rows(metric: Any, sums: np.ndarray, *, array_rows: bool = False) -> np.ndarray:
    """Scores for each row of summed statistics, as ``metric._compute_score_from_stats(row).score``.

    ``sums`` is (rows, k). Its dtype decides the arithmetic exactly as in sacrebleu: float32 rows (its
    bootstrap path) give float32 chrF/TER and float32 BLEU precisions; integer or float64 rows give
    float64. BLEU, chrF (without eps smoothing) and TER are vectorised; any other metric or setting
    falls back to sacrebleu's own function row by row (so does float32 under numpy 1.x, whose scalar
    type promotion differs). Ranges: BLEU and chrF 0-100, TER >= 0 (can pass 100).

    BLEU add-k with a non-integer value equals ``sentence_score``/``corpus_score``, which hand sacrebleu
    Python lists. ``array_rows=True`` hands it numpy rows instead, as sacrebleu's ``paired_ar`` does, where
    its in-place ``correct += smooth_value`` truncates on an integer row (kept so p-values stay equal).
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
    # sacrebleu's add-k smoothing adds to the statistics in place (``correct[n - 1] += smooth_value``). Its
    # sentence_score and corpus_score hand it Python lists, where ``3 += 0.5`` is 3.5; an int64 numpy row
    # would truncate to 3 (issue 20). So integer and float64 rows go as lists of Python numbers (the same
    # float64 arithmetic); float32 rows (sacrebleu's bootstrap passes numpy float32 rows) as copies.
    if sums.dtype == np.float32 or array_rows:
        return np.array([metric._compute_score_from_stats(row.copy()).score for row in sums])
    return np.array([metric._compute_score_from_stats(row).score for row in sums.tolist()])


def sum_stats(rows: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Column sums of a statistics matrix in sacrebleu's order (``utils.sum_of_lists``: row after row from 0,
    then ``start`` first when given, for a running total over chunks).

    Integer counts sum exactly in any order; float columns (TER's mean reference length, thirds with three
    references) do not, and numpy's pairwise ``sum`` can differ from sacrebleu's left-to-right sum in the
    last bit (issue 20: a streamed TER of 24.14980628497633 against 24.149806284976314). ``cumsum`` adds
    left to right, so its last row is sacrebleu's sum.
    """
    rows = np.atleast_2d(np.asarray(rows))
    if start is not None:
        rows = np.concatenate([np.atleast_2d(start).astype(rows.dtype), rows])
    if rows.dtype.kind != "f":
        return rows.sum(axis=0)
    if not len(rows):
        return np.zeros(rows.shape[1], dtype=rows.dtype)
    return np.cumsum(rows, axis=0)[-1]


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
    avg_p: np.ndarray = np.zeros(rows, dtype=fdt)
    avg_r: np.ndarray = np.zeros(rows, dtype=fdt)
    eff = np.zeros(rows, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(metric.order):
            n_hyp, n_ref, n_match = sums[:, 3 * i], sums[:, 3 * i + 1], sums[:, 3 * i + 2]
            ok = (n_hyp > 0) & (n_ref > 0)
            avg_p = avg_p + np.where(ok, n_match / n_hyp, 0).astype(fdt)
            avg_r = avg_r + np.where(ok, n_match / n_ref, 0).astype(fdt)
            eff += ok
        divisor: np.ndarray = np.maximum(eff, 1).astype(fdt)
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
