"""`knn_mean`, the k-NN half of the ratio margin: its value for a query must not depend on which other
queries share its call, because the Ray engine computes it shard by shard and the local run in one call,
and the two must agree to the last bit (tests/test_ray_engine.py). With float32 BLAS they did not on some
CPUs: the 8th digit of a margin moved with the matrix's shape."""

from __future__ import annotations

import math

import numpy as np

from evalkit.metrics.embedding import knn_mean


def _unit(rows: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(rows, 512)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_a_query_gets_the_same_bits_alone_in_a_subset_and_in_the_whole_set() -> None:
    queries, pool = _unit(700, 0), _unit(650, 1)
    whole = knn_mean(queries, pool, 4)
    subset = np.arange(1, 700, 3)
    assert np.array_equal(knn_mean(queries[subset], pool, 4), whole[subset])
    assert np.array_equal(np.array([knn_mean(queries[i : i + 1], pool, 4)[0] for i in range(60)]), whole[:60])


def test_the_mean_of_the_k_largest_cosines() -> None:
    queries, pool = _unit(5, 2), _unit(40, 3)
    got = knn_mean(queries, pool, 3)
    for q, value in zip(queries.astype(np.float64), got):
        cosines = sorted((math.fsum(q * p) for p in pool.astype(np.float64)), reverse=True)
        # the cosines are rounded to float32 (a relative 6e-8) before the mean
        assert math.isclose(value, sum(cosines[:3]) / 3, rel_tol=2e-7)
    assert np.array_equal(knn_mean(queries, pool, 99), knn_mean(queries, pool, 40))  # k capped at the pool
