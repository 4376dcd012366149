"""Cases for the ops of core/ops/linalg_extra_ops.py (MatrixTriangularSolve, MatrixSolveLs,
LogMatrixDeterminant, Cross, MatrixSquareRoot, Lu) and core/ops/tridiagonal_ops.py
(TridiagonalSolve, TridiagonalMatMul).

References are written from the definitions, one matrix at a time: substitution loops, the
normal equations through numpy's general solver, Cramer-free products of eigenvalues, the
component formula of the cross product, a Doolittle loop, dense tridiagonal matrices."""

import numpy as np

from .harness import Case

R = np.random.default_rng(2718)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return R.standard_normal(shape)


def _triangular(*shape, lower=True, dtype=np.float32):
    a = R.standard_normal(shape) + 4 * np.eye(shape[-1])  # well away from singular
    return (np.tril(a) if lower else np.triu(a)).astype(dtype)


def _spd(*shape, dtype=np.float64):
    a = R.standard_normal(shape)
    return (np.einsum("...ij,...kj->...ik", a, a) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _per_matrix(fn, x, *rest):
    """fn over the batch of matrices, in float64."""
    batch = x.shape[:-2]
    outs = [np.asarray(fn(x[i].astype(np.float64), *(r[i].astype(np.float64) for r in rest)))
            for i in np.ndindex(*batch)]
    return np.array(outs).reshape(batch + outs[0].shape) if batch else outs[0]


# -- references -----------------------------------------------------------------------------------
def _triangular_ref(matrix, rhs, lower=True, adjoint=False):
    batch = np.broadcast_shapes(matrix.shape[:-2], rhs.shape[:-2])
    a = np.broadcast_to(matrix, batch + matrix.shape[-2:])
    b = np.broadcast_to(rhs, batch + rhs.shape[-2:])

    def one(m, r):
        m = np.tril(m) if lower else np.triu(m)
        return np.linalg.solve(m.T if adjoint else m, r)
    return _per_matrix(one, a, b).astype(rhs.dtype)


def _ls_ref(matrix, rhs, l2, fast=True):
    def one(a, b):
        m, n = a.shape
        if not fast:  # the minimum-norm least-squares solution
            return np.linalg.lstsq(a, b, rcond=None)[0]
        if m >= n:
            return np.linalg.solve(a.T @ a + l2 * np.eye(n), a.T @ b)
        return a.T @ np.linalg.solve(a @ a.T + l2 * np.eye(m), b)
    return _per_matrix(one, matrix, rhs).astype(rhs.dtype)


def _slogdet_ref(x):
    def one(a):
        e = np.linalg.eigvals(a)  # det = product of the eigenvalues
        return np.prod(e).real
    det = np.array(_per_matrix(one, x))
    return np.sign(det).astype(x.dtype), np.log(np.abs(det)).astype(x.dtype)


def _cross_ref(a, b):
    out = np.empty(a.shape, a.dtype)
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        out[..., i] = a[..., j] * b[..., k] - a[..., k] * b[..., j]
    return out


def _sqrtm_ref(x):
    def one(a):  # symmetric positive definite: V sqrt(w) V^T
        w, v = np.linalg.eigh(a)
        return v @ np.diag(np.sqrt(w)) @ v.T
    return _per_matrix(one, x).astype(x.dtype)


def _lu_ref(x, output_idx_type=None):
    def one(a):
        n = a.shape[0]
        a, p = a.copy(), list(range(n))
        for k in range(n):
            piv = max(range(k, n), key=lambda r: abs(a[r, k]))
            a[[k, piv]], p[k], p[piv] = a[[piv, k]], p[piv], p[k]
            for r in range(k + 1, n):
                a[r, k] /= a[k, k]
                for c in range(k + 1, n):
                    a[r, c] -= a[r, k] * a[k, c]
        return np.concatenate([a, np.array(p, np.float64)[:, None]], axis=1)
    packed = _per_matrix(one, x)
    idx = np.int32 if output_idx_type in (None, "int32") else np.int64
    return packed[..., :-1].astype(x.dtype), packed[..., -1].astype(idx)


def _dense_tridiagonal(sup, dia, sub):
    n = dia.shape[-1]
    out = np.zeros(dia.shape[:-1] + (n, n))
    for i in range(n):
        out[..., i, i] = dia[..., i]
        if i + 1 < n:  # the superdiagonal's last and the subdiagonal's first are not read
            out[..., i, i + 1], out[..., i + 1, i] = sup[..., i], sub[..., i + 1]
    return out


def _tridiagonal_solve_ref(diagonals, rhs, partial_pivoting=True, perturb_singular=False):
    dense = _dense_tridiagonal(diagonals[..., 0, :], diagonals[..., 1, :], diagonals[..., 2, :])
    return _per_matrix(np.linalg.solve, dense, rhs).astype(rhs.dtype)


def _tridiagonal_matmul_ref(superdiag, maindiag, subdiag, rhs):
    dense = _dense_tridiagonal(superdiag[..., 0, :], maindiag[..., 0, :], subdiag[..., 0, :])
    return _per_matrix(np.matmul, dense, rhs).astype(rhs.dtype)


def _diagonals(*batch, m=4, dtype=np.float64):
    d = R.standard_normal(batch + (3, m))
    d[..., 1, :] *= 0.2  # small main diagonals: the pivoting path swaps rows
    return d.astype(dtype)


CASES = [
    Case("MatrixTriangularSolve", [_triangular(3, 3), f32(3, 2)],
         attrs={"lower": True, "adjoint": False}, ref=_triangular_ref, rtol=1e-4, atol=1e-5),
    # Only the named triangle is read: the junk in the other must not matter.
    Case("MatrixTriangularSolve", [_triangular(4, 4, lower=False) + np.tril(f32(4, 4), -1),
                                   f32(4, 1)],
         attrs={"lower": False, "adjoint": True}, ref=_triangular_ref, rtol=1e-4, atol=1e-5,
         id="MatrixTriangularSolve-upper-adjoint"),
    Case("MatrixTriangularSolve", [_triangular(2, 3, 3, dtype=np.float64), f64(1, 3, 2)],
         attrs={"lower": True, "adjoint": True}, ref=_triangular_ref,
         id="MatrixTriangularSolve-broadcast"),
    Case("MatrixSolveLs", [f32(4, 2), f32(4, 3), np.float64(0.0)], attrs={"fast": True},
         ref=_ls_ref, grad=[0, 1], rtol=1e-4, atol=1e-5),
    Case("MatrixSolveLs", [f64(2, 2, 4), f64(2, 2, 1), np.float64(0.3)], attrs={"fast": True},
         ref=_ls_ref, grad=[0, 1], id="MatrixSolveLs-under-l2"),
    # fast=False: the gradient is not defined (TF raises), so no numerical check.
    Case("MatrixSolveLs", [np.ones((3, 2)), f64(3, 2), np.float64(0.0)], attrs={"fast": False},
         ref=_ls_ref, grad=[], id="MatrixSolveLs-rank-deficient"),
    Case("LogMatrixDeterminant", [f32(3, 3) + 3 * np.eye(3, dtype=np.float32)],
         ref=_slogdet_ref, rtol=1e-4, atol=1e-5),
    Case("LogMatrixDeterminant", [f64(2, 4, 4)], ref=_slogdet_ref,
         id="LogMatrixDeterminant-batch"),
    Case("Cross", [f32(3), f32(3)], ref=_cross_ref),
    Case("Cross", [f64(2, 4, 3), f64(2, 4, 3)], ref=_cross_ref, id="Cross-batch"),
    Case("Cross", [R.integers(-9, 9, (5, 3)).astype(np.int32),
                   R.integers(-9, 9, (5, 3)).astype(np.int32)], ref=_cross_ref, id="Cross-int"),
    Case("MatrixSquareRoot", [_spd(3, 3, dtype=np.float32)], ref=_sqrtm_ref, rtol=1e-4,
         atol=1e-5),
    Case("MatrixSquareRoot", [_spd(2, 3, 3)], ref=_sqrtm_ref, id="MatrixSquareRoot-batch"),
    Case("Lu", [f64(4, 4)], ref=_lu_ref),
    Case("Lu", [f32(2, 3, 3)], attrs={"output_idx_type": "int64"}, ref=_lu_ref, rtol=1e-4,
         atol=1e-5, id="Lu-batch-int64"),
    Case("TridiagonalSolve", [_diagonals(m=5, dtype=np.float32), f32(5, 2)],
         attrs={"partial_pivoting": True, "perturb_singular": False},
         ref=_tridiagonal_solve_ref, rtol=1e-3, atol=1e-4),
    Case("TridiagonalSolve", [_diagonals(2, m=4) + np.array([[0], [4], [0]]), f64(2, 4, 3)],
         attrs={"partial_pivoting": False, "perturb_singular": False},
         ref=_tridiagonal_solve_ref, id="TridiagonalSolve-thomas-batch"),
    Case("TridiagonalSolve", [_diagonals(m=3), f64(3, 1)],
         attrs={"partial_pivoting": True, "perturb_singular": True},
         ref=_tridiagonal_solve_ref, id="TridiagonalSolve-perturb"),
    Case("TridiagonalMatMul", [f32(1, 4), f32(1, 4), f32(1, 4), f32(4, 3)],
         ref=_tridiagonal_matmul_ref),
    Case("TridiagonalMatMul", [f64(2, 1, 5), f64(2, 1, 5), f64(2, 1, 5), f64(2, 5, 2)],
         ref=_tridiagonal_matmul_ref, id="TridiagonalMatMul-batch"),
]
