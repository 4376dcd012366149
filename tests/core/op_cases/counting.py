"""Cases for the counting ops (Bincount, DenseBincount, RaggedBincount, SparseBincount,
UniqueWithCounts,
HistogramFixedWidth, LowerBound, UpperBound) and the decompositions (Svd, Qr, SelfAdjointEigV2).

The counting references are loops written from the definitions. A decomposition is not unique
(the signs of singular vectors and eigenvectors are the implementation's), so its cases check
what defines it: orthonormal factors, the order of the values, the product giving the input
back, and eigenvalues against the trace and determinant. Their gradients are checked
numerically by the harness (a small perturbation keeps LAPACK's signs)."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(2024)


def i32(*values):
    return np.array(values, np.int32)


# -- counting references --------------------------------------------------------------------------
def _bincount_ref(arr, size, weights):
    out = [0] * int(size)
    for k, a in enumerate(np.asarray(arr).reshape(-1)):
        if a < size:
            out[a] += weights.reshape(-1)[k] if weights.size else 1
    return np.array(out, weights.dtype)


def _dense_bincount_ref(arr, size, weights, binary_output=False):
    """Bincount of a 1-D arr, or of each row of a 2-D one; 0/1 with binary_output."""
    rows = [_bincount_ref(r, size, w) for r, w in zip(
        np.atleast_2d(arr), np.atleast_2d(weights) if weights.size else [weights] * len(
            np.atleast_2d(arr)))]
    out = np.array(rows, weights.dtype).reshape(len(rows), int(size))
    out = (out != 0).astype(weights.dtype) if binary_output else out
    return out if np.ndim(arr) == 2 else out[0]


def _ragged_bincount_ref(splits, values, size, weights, binary_output=False):
    """Row r counts values[splits[r]:splits[r + 1]] (weights likewise); 0/1 with
    binary_output."""
    rows = [_bincount_ref(values[a:b], size, weights[a:b] if weights.size else weights)
            for a, b in zip(splits[:-1], splits[1:])]
    out = np.array(rows, weights.dtype).reshape(len(rows), int(size))
    return (out != 0).astype(weights.dtype) if binary_output else out


def _sparse_bincount_ref(indices, values, dense_shape, size, weights, binary_output=False):
    """Rank 1: one count of the values; else a row per index of the first dimension. Values
    at or past size are skipped."""
    batched = len(dense_shape) > 1
    out = np.zeros((dense_shape[0], size) if batched else (size,), weights.dtype)
    for k, v in enumerate(values.tolist()):
        if v < size:
            at = (indices[k][0], v) if batched else v
            if binary_output:
                out[at] = 1
            else:
                out[at] += weights[k] if weights.size else 1
    return out


def _unique_with_counts_ref(x, out_idx=np.int32):
    first, idx, counts = {}, [], []
    for v in x.tolist():
        if v not in first:
            first[v] = len(first)
            counts.append(0)
        idx.append(first[v])
        counts[first[v]] += 1
    return (np.array(list(first), x.dtype), np.array(idx, out_idx), np.array(counts, out_idx))


def _histogram_ref(values, value_range, nbins, dtype=np.int32):
    lo, hi = (float(v) for v in value_range)
    n = int(nbins)
    out = [0] * n
    for v in values.reshape(-1).tolist():
        k = int((v - lo) / ((hi - lo) / n)) if v > lo else 0
        out[min(k, n - 1)] += 1
    return np.array(out, dtype)


def _bound_ref(strict):
    def ref(sorted_inputs, values, out_type=np.int32):
        # The insertion index in a sorted row is how many of its entries come before v.
        return np.array([[sum(1 for s in row if (s <= v if strict else s < v)) for v in vals]
                         for row, vals in zip(sorted_inputs.tolist(), values.tolist())],
                        out_type)
    return ref


# -- decomposition checks -------------------------------------------------------------------------
def _t(x):
    return np.swapaxes(x, -1, -2)


def _orthonormal_columns(q, tol):
    k = q.shape[-1]
    np.testing.assert_allclose(_t(q).conj() @ q,
                               np.broadcast_to(np.eye(k), q.shape[:-2] + (k, k)), atol=tol)


def _svd_check(full_matrices, compute_uv=True, tol=1e-5):
    def check(outputs, inputs):
        (a,) = inputs
        s, u, v = outputs
        m, n = a.shape[-2:]
        p = min(m, n)
        assert s.shape == a.shape[:-2] + (p,)
        assert np.all(s >= 0) and np.all(np.diff(s, axis=-1) <= tol), "s not descending"
        # The singular values' squares sum to the squared Frobenius norm.
        np.testing.assert_allclose((s.astype(np.float64) ** 2).sum(-1),
                                   (a.astype(np.float64) ** 2).sum((-2, -1)), rtol=tol)
        if not compute_uv:
            assert u.shape == (0,) and v.shape == (0,)
            return
        assert u.shape == a.shape[:-2] + (m, m if full_matrices else p)
        assert v.shape == a.shape[:-2] + (n, n if full_matrices else p)
        _orthonormal_columns(u, tol)
        _orthonormal_columns(v, tol)
        recon = (u[..., :p] * s[..., None, :]) @ _t(v[..., :p])
        np.testing.assert_allclose(recon, a, atol=tol * 10)
    return check


def _qr_check(full_matrices, tol=1e-5):
    def check(outputs, inputs):
        (a,) = inputs
        q, r = outputs
        m, n = a.shape[-2:]
        k = m if full_matrices else min(m, n)
        assert q.shape == a.shape[:-2] + (m, k) and r.shape == a.shape[:-2] + (k, n)
        _orthonormal_columns(q, tol)
        np.testing.assert_array_equal(r, np.triu(r), "r not upper triangular")
        # Householder QR (LAPACK's, Eigen's in TF): R's diagonal is real, the gauge TF's
        # complex gradient assumes.
        np.testing.assert_array_equal(np.diagonal(r, axis1=-2, axis2=-1).imag, 0)
        np.testing.assert_allclose(q @ r, a, atol=tol * 10)
    return check


def _eig_check(compute_v, tol=1e-5):
    def check(outputs, inputs):
        (a,) = inputs
        sym = np.tril(a) + _t(np.tril(a, -1))  # only the lower triangle is read
        e, v = outputs
        assert np.all(np.diff(e, axis=-1) >= -tol), "eigenvalues not ascending"
        np.testing.assert_allclose(e.sum(-1), np.trace(sym, axis1=-2, axis2=-1), atol=tol * 10)
        np.testing.assert_allclose(np.prod(e, -1), np.linalg.det(sym), rtol=tol * 10)
        if not compute_v:
            assert v.shape == (0,)
            return
        _orthonormal_columns(v, tol)
        np.testing.assert_allclose((v * e[..., None, :]) @ _t(v), sym, atol=tol * 10)
    return check


def _separated_symmetric(*batch, n=3):
    """Symmetric matrices with well-separated eigenvalues (a stable gradient check), stored
    with a different upper triangle: the op must read only the lower one."""
    q, _ = np.linalg.qr(R.standard_normal(batch + (n, n)))
    a = (q * np.arange(1.0, 2.0 * n, 2.0)[..., None, :]) @ _t(q)
    return np.tril(a) + np.triu(R.standard_normal(a.shape), 1)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return R.standard_normal(shape)


def c128(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


CASES = [
    Case("Bincount", [i32(1, 1, 2, 3, 2, 4, 4, 5), Const(np.int32(7)),
                      np.zeros(0, np.float32)], ref=_bincount_ref),
    Case("Bincount", [np.array([[0, 3], [3, 9]], np.int32), Const(np.int32(4)),
                      np.array([[0.5, 1.0], [2.0, 4.0]], np.float64)],
         ref=_bincount_ref, id="Bincount-weights-dropped"),
    Case("Bincount", [i32(2, 0, 2), Const(np.int32(3)), np.array([5, 6, 7], np.int64)],
         ref=_bincount_ref, id="Bincount-int64"),
    Case("DenseBincount", [i32(1, 1, 2, 3, 2, 4, 4, 5), Const(np.int32(7)),
                           np.zeros(0, np.float32)], ref=_dense_bincount_ref),
    Case("DenseBincount", [np.array([[0, 3, 3], [3, 9, 1]], np.int64), Const(np.int64(4)),
                           np.array([[0.5, 1.0, 2.0], [2.0, 4.0, 8.0]])],
         ref=_dense_bincount_ref, id="DenseBincount-rows-weights-dropped"),
    Case("DenseBincount", [np.array([[2, 2, 0], [1, 1, 1]], np.int32), Const(np.int32(3)),
                           np.array([[5, 6, 7], [1, 2, 3]], np.int64)],
         attrs={"binary_output": True}, ref=_dense_bincount_ref, id="DenseBincount-binary"),
    Case("RaggedBincount", [np.array([0, 3, 3, 7], np.int64), i32(1, 1, 4, 0, 2, 9, 2),
                            Const(np.int32(5)), np.zeros(0, np.float32)],
         ref=_ragged_bincount_ref),
    Case("RaggedBincount", [np.array([0, 2, 5], np.int64), np.array([3, 3, 0, 6, 0], np.int64),
                            Const(np.int64(4)), np.array([0.5, 1.0, 2.0, 4.0, 8.0])],
         ref=_ragged_bincount_ref, id="RaggedBincount-weights-dropped"),
    Case("RaggedBincount", [np.array([0, 4, 6], np.int64), i32(2, 2, 0, 2, 1, 1),
                            Const(np.int32(3)), np.array([5, 6, 7, 1, 2, 3], np.int64)],
         attrs={"binary_output": True}, ref=_ragged_bincount_ref, id="RaggedBincount-binary"),
    Case("SparseBincount", [np.array([[0, 0], [0, 2], [1, 1], [1, 3], [2, 0]], np.int64),
                            i32(1, 3, 1, 0, 4), Const(np.array([4, 5], np.int64)),
                            Const(np.int32(4)),
                            np.zeros(0, np.float32)], ref=_sparse_bincount_ref),
    Case("SparseBincount", [np.array([[0], [2], [3], [4]], np.int64),
                            np.array([2, 2, 1, 7], np.int64), np.array([5], np.int64),
                            Const(np.int64(3)), np.array([0.5, 1.0, 2.0, 4.0])],
         ref=_sparse_bincount_ref, id="SparseBincount-1d-weights"),
    Case("SparseBincount", [np.array([[0, 1], [0, 2], [2, 0]], np.int64), i32(2, 2, 0),
                            np.array([3, 3], np.int64), Const(np.int32(3)),
                            np.array([5, 6, 7], np.int64)],
         attrs={"binary_output": True}, ref=_sparse_bincount_ref, exact_shape=False,
         id="SparseBincount-binary"),  # (the batch comes from a fed dense_shape)
    Case("UniqueWithCounts", [np.array([4, 1, 4, 4, 2, 1, 9], np.int64)],
         ref=_unique_with_counts_ref, exact_shape=False),
    Case("UniqueWithCounts", [np.array([0.5, -1.0, 0.5], np.float32)],
         attrs={"out_idx": np.int64}, ref=_unique_with_counts_ref, exact_shape=False,
         id="UniqueWithCounts-float-int64"),
    Case("HistogramFixedWidth", [np.array([-1.0, 0.0, 1.5, 2.0, 5.0, 15.0, 4.99]),
                                 np.array([0.0, 5.0]), Const(np.int32(5))],
         ref=_histogram_ref),
    Case("HistogramFixedWidth", [R.uniform(-3, 3, (4, 5)).astype(np.float32),
                                 np.array([-2.0, 2.0], np.float32), Const(np.int32(3))],
         attrs={"dtype": np.int64}, ref=_histogram_ref, id="HistogramFixedWidth-2d-int64"),
    Case("HistogramFixedWidth", [i32(-4, 0, 3, 7, 10, 12), i32(0, 10), Const(np.int32(4))],
         ref=_histogram_ref, id="HistogramFixedWidth-int"),
    Case("LowerBound", [np.array([[0, 3, 3, 9], [1, 2, 2, 2]], np.float32),
                        np.array([[3, -1, 10], [2, 1.5, 0]], np.float32)],
         ref=_bound_ref(False)),
    Case("UpperBound", [np.array([[0, 3, 3, 9], [1, 2, 2, 2]], np.float32),
                        np.array([[3, -1, 10], [2, 1.5, 0]], np.float32)],
         ref=_bound_ref(True)),
    Case("LowerBound", [np.array([[1, 5, 5, 8, 8]], np.int64), np.array([[5, 8, 0, 9]],
                                                                        np.int64)],
         attrs={"out_type": np.int64}, ref=_bound_ref(False), id="LowerBound-int64"),
    Case("UpperBound", [np.array([[1, 5, 5, 8, 8]], np.int32), np.array([[5, 8, 0, 9]],
                                                                        np.int32)],
         attrs={"out_type": np.int64}, ref=_bound_ref(True), id="UpperBound-int64"),
    # Decompositions: properties (see the module docstring), gradients numerically.
    Case("Svd", [f64(4, 3)], ref=None, check=_svd_check(False)),
    Case("Svd", [f64(2, 3, 5)], ref=None, check=_svd_check(False), id="Svd-batch-wide"),
    Case("Svd", [f64(2, 4, 3)], attrs={"full_matrices": True}, ref=None,
         check=_svd_check(True), id="Svd-full"),
    # full_matrices with |M - N| > 1 has no gradient in TF either.
    Case("Svd", [f32(2, 5)], attrs={"full_matrices": True}, ref=None,
         check=_svd_check(True, tol=1e-4), grad=[], id="Svd-full-float32"),
    Case("Svd", [f64(2, 3, 3)], attrs={"compute_uv": False}, ref=None,
         check=_svd_check(False, compute_uv=False), id="Svd-values"),
    Case("Qr", [f64(4, 3)], ref=None, check=_qr_check(False)),
    Case("Qr", [f64(2, 3, 5)], ref=None, check=_qr_check(False), id="Qr-batch-wide"),
    Case("Qr", [f32(3, 3)], attrs={"full_matrices": True}, ref=None,
         check=_qr_check(True, tol=1e-4), id="Qr-full-square"),
    # Complete Q of a tall matrix: no gradient (TF's neither).
    Case("Qr", [f64(2, 4, 2)], attrs={"full_matrices": True}, ref=None,
         check=_qr_check(True), grad=[], id="Qr-full-tall"),
    # Complex Qr (TF's OpDef and kernel take complex64/128); its complex gradient is checked by
    # tests/core/test_complex_grad_sweep.py and test_logm_qr_complex.py.
    Case("Qr", [c128(4, 3)], ref=None, check=_qr_check(False, tol=1e-12), id="Qr-complex128"),
    Case("Qr", [c128(2, 3, 5).astype(np.complex64)], ref=None, check=_qr_check(False, tol=1e-5),
         id="Qr-complex64-batch-wide"),
    Case("Qr", [c128(3, 3)], attrs={"full_matrices": True}, ref=None,
         check=_qr_check(True, tol=1e-12), id="Qr-complex128-full-square"),
    Case("Qr", [c128(4, 2).astype(np.complex64)], attrs={"full_matrices": True}, ref=None,
         check=_qr_check(True, tol=1e-5), id="Qr-complex64-full-tall"),
    Case("SelfAdjointEigV2", [_separated_symmetric()], ref=None, check=_eig_check(True)),
    Case("SelfAdjointEigV2", [_separated_symmetric(2, n=4).astype(np.float32)], ref=None,
         check=_eig_check(True, tol=1e-4), id="SelfAdjointEigV2-batch-float32"),
    Case("SelfAdjointEigV2", [_separated_symmetric(2)], attrs={"compute_v": False}, ref=None,
         check=_eig_check(False), id="SelfAdjointEigV2-values"),
]

COVERED_BY = {
    # Stateful optimizer updates: hand-computed trajectories on variables.
    "ApplyFtrl": "test_optimizers_extra.py::test_ftrl_matches_hand_computed_updates",
    "ApplyFtrlV2": "test_optimizers_extra.py::test_ftrl_matches_hand_computed_updates",
    "SparseApplyFtrl": "test_optimizers_extra.py::test_sparse_updates_move_only_their_rows",
    "SparseApplyFtrlV2": "test_optimizers_extra.py::test_sparse_updates_move_only_their_rows",
    "ApplyProximalGradientDescent":
        "test_optimizers_extra.py::test_proximal_gradient_descent_matches_hand_computed_updates",
    "SparseApplyProximalGradientDescent":
        "test_optimizers_extra.py::test_sparse_updates_move_only_their_rows",
    "ApplyProximalAdagrad":
        "test_optimizers_extra.py::test_proximal_adagrad_matches_hand_computed_updates",
    "SparseApplyProximalAdagrad":
        "test_optimizers_extra.py::test_sparse_updates_move_only_their_rows",
}
