"""Cases for the ops of tf.contrib.factorization: NearestNeighbors, KmeansPlusPlusInitialization,
KMC2ChainInitialization (core/ops/clustering_ops.py), WALSComputePartialLhsAndRhs and
MaskedMatmul (core/ops/wals_ops.py). The references are numpy from the ops' definitions: the
k nearest centers by sorted squared distance, the normal-equation sums entry by entry, the
masked products as dot products. The samplers are checked by what any valid draw satisfies
(every row sampled when all are asked for) or by inputs whose draw is certain. Side by side
with TensorFlow and the wrappers: tests/core/contrib/test_contrib_factorization_ops.py."""

import numpy as np

import minitf.ops.clustering_ops  # noqa: F401 - registers the clustering ops
import minitf.ops.wals_ops  # noqa: F401 - registers the WALS ops (contrib)

from .harness import Case, Const

R = np.random.default_rng(18)
F = np.float32


def ref_nearest_neighbors(points, centers, k):
    d = ((points[:, None, :].astype(np.float64) - centers[None, :, :]) ** 2).sum(-1)
    k = min(int(k), centers.shape[0])
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return order.astype(np.int64), np.take_along_axis(d, order, axis=1).astype(F)


def check_all_rows_sampled(outputs, inputs):
    (samples,), points = outputs, inputs[0]
    assert samples.shape == points.shape and samples.dtype == F
    np.testing.assert_array_equal(np.unique(samples, axis=0), np.unique(points, axis=0))


def ref_kmc2(distances, seed):
    # A chain starting at zero distances moves to the first positive one for sure, then only
    # to one larger by a factor beyond any uniform draw in [0, 1).
    del seed
    return np.int64(6)


def ref_wals(factors, factor_weights, w0, input_weights, indices, values, entry_weights,
             block_size, transpose):
    k = factors.shape[1]
    lhs = np.zeros((int(block_size), k, k))
    rhs = np.zeros((int(block_size), k))
    for n, (a, b) in enumerate(indices):
        row, col = (b, a) if transpose else (a, b)
        w = entry_weights[n] if entry_weights.size else input_weights[row] * factor_weights[col]
        f = factors[col].astype(np.float64)
        lhs[row] += w * np.outer(f, f)
        rhs[row] += values[n] * (w0 + w) * f
    return lhs.astype(F), rhs.astype(F)


def ref_masked_matmul(a, b, indices, transpose_a, transpose_b):
    prod = (a.T if transpose_a else a).astype(np.float64) @ (b.T if transpose_b else b)
    return prod[indices[:, 0], indices[:, 1]].astype(F)


POINTS = R.normal(size=(7, 3)).astype(F)
CENTERS = np.concatenate([R.normal(size=(4, 3)), POINTS[2:3]]).astype(F)  # one center on a point
DUP = np.array([[0, 0], [1, 1], [0, 0], [3, 3]], F)  # equal centers: the lower index first
KMC2_DISTANCES = np.zeros(20, F)
KMC2_DISTANCES[[4, 6]] = [1e4, 1e8]

FACTORS = R.normal(size=(4, 3)).astype(F)
WALS_INDICES = np.array([[0, 1], [2, 0], [0, 3], [1, 2], [2, 2]], np.int64)
WALS_VALUES = R.normal(size=5).astype(F)
EMPTY = np.zeros(0, F)


def _wals(input_weights, factor_weights, entry_weights, transpose, block):
    indices = WALS_INDICES[:, ::-1] if transpose else WALS_INDICES
    return [FACTORS, factor_weights, Const(F(0.25)), input_weights, Const(indices), WALS_VALUES,
            entry_weights, Const(np.int64(block)), Const(np.bool_(transpose))]


MM_A = R.normal(size=(3, 4)).astype(F)
MM_B = R.normal(size=(4, 5)).astype(F)
MM_INDICES = np.array([[0, 0], [2, 4], [1, 3], [2, 4], [0, 1]], np.int64)

CASES = [
    Case("NearestNeighbors", [POINTS, CENTERS, Const(np.int64(3))], ref=ref_nearest_neighbors,
         rtol=1e-4, atol=1e-5),
    Case("NearestNeighbors", [POINTS, CENTERS, Const(np.int64(1))], ref=ref_nearest_neighbors,
         rtol=1e-4, atol=1e-5, id="NearestNeighbors-k1"),
    Case("NearestNeighbors", [POINTS[:, :2], DUP, Const(np.int64(9))],
         ref=ref_nearest_neighbors, rtol=1e-4, atol=1e-5, id="NearestNeighbors-k-above-m-ties"),
    Case("NearestNeighbors", [POINTS, CENTERS, np.int64(2)], ref=ref_nearest_neighbors,
         rtol=1e-4, atol=1e-5, exact_shape=False, id="NearestNeighbors-fed-k"),
    Case("KmeansPlusPlusInitialization",
         [POINTS, Const(np.int64(7)), Const(np.int64(5)), Const(np.int64(2))],
         ref=None, check=check_all_rows_sampled, id="KmeansPlusPlusInitialization-all-rows"),
    Case("KmeansPlusPlusInitialization",
         [POINTS, Const(np.int64(7)), Const(np.int64(-3)), Const(np.int64(0))],
         ref=None, check=check_all_rows_sampled,
         id="KmeansPlusPlusInitialization-no-retries"),
    Case("KMC2ChainInitialization", [KMC2_DISTANCES, Const(np.int64(11))], ref=ref_kmc2),
    Case("WALSComputePartialLhsAndRhs",
         _wals(R.uniform(size=3).astype(F), R.uniform(size=4).astype(F), EMPTY, False, 3),
         ref=ref_wals, rtol=1e-4, atol=1e-5, unknown_shapes=False),
    Case("WALSComputePartialLhsAndRhs",
         _wals(EMPTY, EMPTY, R.uniform(size=5).astype(F), True, 4),
         ref=ref_wals, rtol=1e-4, atol=1e-5, unknown_shapes=False,
         id="WALSComputePartialLhsAndRhs-entry-weights-transposed"),
    Case("MaskedMatmul", [MM_A, MM_B, MM_INDICES, Const(np.bool_(False)),
                          Const(np.bool_(False))], ref=ref_masked_matmul, rtol=1e-5),
    Case("MaskedMatmul", [MM_A.T.copy(), MM_B.T.copy(), MM_INDICES, Const(np.bool_(True)),
                          Const(np.bool_(True))],
         ref=ref_masked_matmul, rtol=1e-5, id="MaskedMatmul-both-transposed"),
]
