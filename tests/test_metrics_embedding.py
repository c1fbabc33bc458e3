"""`cosines` and `knn_mean`, the two halves of the ratio margin: a query's value must not depend on which
other queries share its call, because the Ray engine computes it shard by shard and the local run in one call,
and the two must agree to the last bit (tests/test_ray_engine.py). With float32 BLAS they did not on some
CPUs: the 8th digit of a margin moved with the matrix's shape."""

from __future__ import annotations

import math

import numpy as np

from evalkit.metrics.embedding import cosines, knn_mean


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
        sims = sorted((math.fsum(q * p) for p in pool.astype(np.float64)), reverse=True)
        # the cosines are rounded to float32 (a relative 6e-8) before the mean
        assert math.isclose(value, sum(sims[:3]) / 3, rel_tol=2e-7)
    assert np.array_equal(knn_mean(queries, pool, 99), knn_mean(queries, pool, 40))  # k capped at the pool


def test_cosines_same_bits_whatever_the_shape_and_fsum_rounded() -> None:
    # align/moves.py takes its margins' numerators from it, on windows of any shape
    a, b = _unit(600, 4), _unit(9, 5)
    whole = cosines(a, b)
    assert whole.dtype == np.float32 and whole.shape == (600, 9)
    assert np.array_equal(cosines(a[7:8], b), whole[7:8]) and np.array_equal(cosines(a[::5], b[2:6]), whole[::5, 2:6])
    exact = np.array([[math.fsum(x * y) for y in b.astype(np.float64)] for x in a[:20].astype(np.float64)])
    assert np.array_equal(whole[:20], exact.astype(np.float32))  # float64 sums of exact products, then rounded
    assert cosines(a[:0], b).shape == (0, 9)
