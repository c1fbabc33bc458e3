"""Cross-lingual embedding similarity and the ratio margin of Artetxe & Schwenk (2019).

cosine(x, y) is in [-1, 1]. The ratio margin divides it by the mean cosine of each side's
k nearest neighbours on the other side, taken from the same document or test set (no outside
corpus):  margin(x, y) = cos(x, y) / (sum_{z in NN_k(x)} cos(x, z) / 2k + sum_{z in NN_k(y)} cos(y, z) / 2k).
Around 1.0 means "no better than the usual neighbour"; true translations stand out above it.
Artetxe & Schwenk, "Margin-based Parallel Corpus Mining with Multilingual Sentence Embeddings", ACL 2019.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bootstrap_mean", "cosines", "knn_mean", "pair_cosine", "ratio_margin"]

_CHUNK = 4096  # rows per block: bounds memory to CHUNK x N floats for large test sets
_SUB = 512  # rows per float64 product (`cosines`)


def pair_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of unit vectors ``a[i]`` and ``b[i]``, clipped to [-1, 1]."""
    if len(a) == 0:
        return np.zeros(0, dtype=np.float64)
    return np.clip(np.einsum("ij,ij->i", a.astype(np.float64), b.astype(np.float64)), -1.0, 1.0)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of every row of ``a`` with every row of ``b`` (unit vectors), as float32, the same bits for a row
    whatever the matrices' shapes.

    In float64, rounded back to float32: a product of two float32 values is exact in float64, so the sum's
    order (which BLAS picks by the matrix's shape, its alignment and the thread count) moves only bits that
    the rounding drops. In float32 it moved the 8th digit of a margin between a whole test set and its shards
    (the Ray engine) on some CPUs. The float64 products are made _SUB rows at a time, so that the peak stays
    near a float32 product's (the result, and ``b`` in float64).
    """
    b64 = np.asarray(b, dtype=np.float64).T
    out = np.empty((len(a), len(b)), dtype=np.float32)
    for start in range(0, len(a), _SUB):
        out[start : start + _SUB] = np.asarray(a[start : start + _SUB], dtype=np.float64) @ b64
    return out


def knn_mean(queries: np.ndarray, pool: np.ndarray, k: int) -> np.ndarray:
    """Mean cosine of each query's ``k`` nearest rows of ``pool`` (k capped at len(pool))."""
    n = len(queries)
    out = np.zeros(n, dtype=np.float64)
    if n == 0 or len(pool) == 0:
        return out
    k = max(1, min(k, len(pool)))
    pool64 = np.asarray(pool, dtype=np.float64)  # once, not per block (`cosines` keeps a float64 one as it is)
    for start in range(0, n, _CHUNK):  # a 4096 x pool float32 block and its partition at a time
        sims = cosines(queries[start : start + _CHUNK], pool64)
        top = np.partition(sims, len(pool) - k, axis=1)[:, len(pool) - k :]
        out[start : start + _CHUNK] = top.mean(axis=1)
    return out


def ratio_margin(
    src: np.ndarray, tgt: np.ndarray, src_pool: np.ndarray, tgt_pool: np.ndarray, k: int = 4
) -> np.ndarray:
    """Ratio margin of each pair (``src[i]``, ``tgt[i]``) against the other side's pool.

    ``src_pool``/``tgt_pool`` are all source/target vectors of the test set (the pairs' own
    vectors included, as in the paper). Returns values > 0 where neighbours have positive
    cosine; NaN never leaves this function (a zero denominator gives 0.0).
    """
    cos = pair_cosine(src, tgt)
    denom = knn_mean(src, tgt_pool, k) / 2 + knn_mean(tgt, src_pool, k) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = np.where(np.abs(denom) > 1e-9, cos / denom, 0.0)
    return margin


def bootstrap_mean(values: np.ndarray, n_samples: int = 1000, seed: int | None = 12345) -> tuple[float, tuple[float, float] | None]:
    """Mean of ``values`` and its 95% bootstrap interval (2.5th/97.5th percentile resampled means,
    same draws and positions as `evalkit.stats.bootstrap`); no interval when ``n_samples`` < 1."""
    from ..stats import bootstrap_indices, percentile_bounds

    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    if n_samples < 1 or len(values) == 0:
        return mean, None
    low, high = percentile_bounds(np.sort(values[bootstrap_indices(len(values), n_samples, seed)].mean(axis=1)))
    return mean, (float(low), float(high))
