"""``tf.linalg``: TF1's linear-algebra namespace, bound to the same functions as the root names
(``tf.linalg.inv`` is ``tf.matrix_inverse``, ``tf.linalg.diag`` is ``tf.matrix_diag``...), plus
the compositions TF writes in Python: ``trace`` here, ``matrix_transpose``/``adjoint`` in
linalg_base.py (the linear operators use them too), the rest (``logdet``, ``pinv``,
``lu_solve``...) in linalg_extra.py."""

from __future__ import annotations

import numpy as np

from .clip_ops import global_norm
from .composites import einsum, eye, norm, tensordot
from .graph import convert_to_tensor, name_scope
from .linalg_base import adjoint, matrix_transpose
from .nn_impl import l2_normalize
from .ops import reduction_ops
from .ops.decomposition_ops import qr, svd
from .ops.decomposition_ops import self_adjoint_eig as eigh
from .ops.decomposition_ops import self_adjoint_eigvals as eigvalsh
from .ops.diag_ops import diag as tensor_diag
from .ops.diag_ops import matrix_band_part as band_part
from .ops.diag_ops import matrix_diag as diag
from .ops.diag_ops import matrix_diag_part as diag_part
from .ops.diag_ops import matrix_set_diag as set_diag
from .ops.diag_ops import matrix_diag_part, tensor_diag_part
from .ops.linalg_ops import cholesky, matmul
from .ops.linalg_ops import matrix_determinant as det
from .ops.linalg_ops import matrix_inverse as inv
from .ops.linalg_ops import matrix_solve as solve
from .linalg_extra import (logdet, lu_matrix_inverse, lu_reconstruct, lu_solve, matrix_rank,
                           matvec, normalize, pinv, tridiagonal_matmul, tridiagonal_solve)
from .linalg_extra import matrix_exponential as expm
from .ops.linalg_extra_ops import cholesky_solve, cross, lu
from .ops.linalg_extra_ops import log_matrix_determinant as slogdet
from .ops.linalg_extra_ops import matrix_solve_ls as lstsq
from .ops.linalg_extra_ops import matrix_square_root as sqrtm
from .ops.linalg_extra_ops import matrix_triangular_solve as triangular_solve
from .ops.logm_ops import logm

__all__ = [
    "adjoint", "band_part", "cholesky", "cholesky_solve", "cross", "det", "diag", "diag_part",
    "eigh", "eigvalsh", "einsum", "expm", "eye", "global_norm", "inv", "l2_normalize", "logdet",
    "lstsq", "lu", "lu_matrix_inverse", "lu_reconstruct", "lu_solve", "matmul", "matrix_rank",
    "matrix_transpose", "matvec", "norm", "normalize", "pinv", "qr", "set_diag", "slogdet",
    "solve", "sqrtm", "svd", "tensor_diag", "tensor_diag_part", "tensordot", "trace", "transpose",
    "triangular_solve", "tridiagonal_matmul", "tridiagonal_solve", "logm",
    "eigh_tridiagonal",
]

from .linear_operator import *  # noqa: E402,F401,F403 - LinearOperator, LinearOperatorDiag, ...
from . import linear_operator as _linear_operator  # noqa: E402

__all__ += _linear_operator.__all__


def trace(x, name=None):
    """``tf.trace``: the sum of each matrix's main diagonal (MatrixDiagPartV3 then Sum)."""
    with name_scope(name, "Trace", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return reduction_ops.reduce_sum(matrix_diag_part(x), [-1], name=scope)


transpose = matrix_transpose


def eigh_tridiagonal(alpha, beta, eigvals_only=True, select="a", select_range=None, tol=None,
                     name=None):
    """tf.linalg.eigh_tridiagonal: the eigenvalues (non-decreasing) of the Hermitian
    tridiagonal matrix with diagonal ``alpha`` [n] and superdiagonal ``beta`` [n - 1], and with
    ``eigvals_only=False`` its eigenvectors as the columns of an [n, k] matrix.

    TF's own algorithm, step by step: bisection on Sturm counts for the eigenvalues (to
    ``tol``, at least eps * ||T||), ``select`` "a" (all), "i" (indices select_range[0] ..
    select_range[1]) or "v" (values in (select_range[0], select_range[1]]); then inverse
    iteration from TF's seeded stateless normal start vectors (seed [7, 42]), re-orthogonalising
    clusters of close eigenvalues by QR, so the eigenvectors' signs are TF's too."""
    import minitf as tf  # the public functions, as TF's Python composes them (built lazily)

    def sturm(alpha, beta_sq, pivmin, alpha0_perturbation, x):
        """The number of eigenvalues below each x (the Sturm sequence's negative pivots)."""
        with tf.name_scope("sturm"):
            n = alpha.shape[0].value
            zeros = tf.zeros(tf.shape(x), dtype=tf.int32)
            ones = tf.ones(tf.shape(x), dtype=tf.int32)
            q = alpha[0] - x
            count = tf.where(q < 0, ones, zeros)
            q = tf.where(tf.equal(alpha[0], x), alpha0_perturbation, q)

            def step(i, q, count):
                q = alpha[i] - beta_sq[i - 1] / q - x
                count = tf.where(q <= pivmin, count + 1, count)
                q = tf.where(q <= pivmin, tf.minimum(q, -pivmin), q)
                return i + 1, q, count

            _, _, count = tf.while_loop(lambda i, q, c: tf.less(i, n), step, [1, q, count],
                                        back_prop=False)
            return count

    def compute_eigenvalues(alpha, beta):
        with tf.name_scope("compute_eigenvalues"):
            if alpha.dtype.is_complex:
                alpha = tf.real(alpha)
                beta_sq = tf.real(tf.conj(beta) * beta)
                beta_abs = tf.sqrt(beta_sq)
            else:
                beta_sq = tf.square(beta)
                beta_abs = tf.abs(beta)
            finfo = np.finfo(alpha.dtype.as_numpy_dtype)
            off_diag_abs_row_sum = tf.concat(
                [beta_abs[:1], beta_abs[:-1] + beta_abs[1:], beta_abs[-1:]], axis=0)
            lambda_est_max = tf.minimum(finfo.max, tf.reduce_max(alpha + off_diag_abs_row_sum))
            lambda_est_min = tf.maximum(finfo.min, tf.reduce_min(alpha - off_diag_abs_row_sum))
            t_norm = tf.maximum(tf.abs(lambda_est_min), tf.abs(lambda_est_max))
            one = np.ones([], dtype=alpha.dtype.as_numpy_dtype)
            safemin = np.maximum(one / finfo.max, (one + finfo.eps) * finfo.tiny)
            pivmin = safemin * tf.maximum(one, tf.reduce_max(beta_sq))
            alpha0_perturbation = tf.square(finfo.eps * beta_abs[0])
            abs_tol = finfo.eps * t_norm
            if tol:
                abs_tol = tf.maximum(tol, abs_tol)
            max_it = finfo.nmant + 1
            asserts = None
            if select == "a":
                target_counts = tf.range(n)
            elif select == "i":
                asserts = tf.assert_less_equal(select_range[0], select_range[1],
                                               message="Got empty index range in select_range.")
                target_counts = tf.range(select_range[0], select_range[1] + 1)
            elif select == "v":
                asserts = tf.assert_less(select_range[0], select_range[1],
                                         message="Got empty interval in select_range.")
            else:
                raise ValueError("'select must have a value in {'a', 'i', 'v'}.")
            if asserts:
                with tf.control_dependencies([asserts]):
                    alpha = tf.identity(alpha)
            fudge = 2.1  # TF widens the starting (Gershgorin) interval a bit
            norm_slack = tf.cast(n, alpha.dtype) * fudge * finfo.eps * t_norm
            if select in {"a", "i"}:
                lower = lambda_est_min - norm_slack - 2 * fudge * pivmin
                upper = lambda_est_max + norm_slack + fudge * pivmin
            else:
                lower = select_range[0] - norm_slack - 2 * fudge * pivmin
                upper = select_range[1] + norm_slack + fudge * pivmin
                first = sturm(alpha, beta_sq, pivmin, alpha0_perturbation, lower)
                last = sturm(alpha, beta_sq, pivmin, alpha0_perturbation, upper)
                target_counts = tf.range(first, last)
            upper = tf.minimum(upper, finfo.max)
            lower = tf.maximum(lower, finfo.min)
            target_shape = tf.shape(target_counts)
            lower = tf.broadcast_to(lower, shape=target_shape)
            upper = tf.broadcast_to(upper, shape=target_shape)
            pivmin = tf.broadcast_to(pivmin, target_shape)
            alpha0_perturbation = tf.broadcast_to(alpha0_perturbation, target_shape)

            def midpoint(lower, upper):
                return (0.5 * lower) + (0.5 * upper)

            def keep_searching(i, lower, upper):
                return tf.logical_and(tf.less(i, max_it),
                                      tf.less(abs_tol, tf.reduce_max(upper - lower)))

            def search_step(i, lower, upper):
                mid = midpoint(lower, upper)
                counts = sturm(alpha, beta_sq, pivmin, alpha0_perturbation, mid)
                lower = tf.where(counts <= target_counts, mid, lower)
                upper = tf.where(counts > target_counts, mid, upper)
                return i + 1, lower, upper

            _, lower, upper = tf.while_loop(keep_searching, search_step, [0, lower, upper])
            return midpoint(lower, upper)

    def compute_eigenvectors(alpha, beta, eigvals):
        """Inverse iteration (at most 5 steps, while some norm still grows by 10%)."""
        with tf.name_scope("compute_eigenvectors"):
            k = tf.size(eigvals)
            n = tf.size(alpha)
            alpha = tf.cast(alpha, dtype=beta.dtype)
            gap = eigvals[1:] - eigvals[:-1]
            eps = np.finfo(eigvals.dtype.as_numpy_dtype).eps
            t_norm = tf.maximum(tf.abs(eigvals[0]), tf.abs(eigvals[-1]))
            close = tf.less(gap, np.sqrt(eps) * t_norm)
            left_close = tf.concat([[False], close], axis=0)
            right_close = tf.concat([close, [False]], axis=0)
            starts = tf.squeeze(tf.where_v2(tf.logical_and(tf.logical_not(left_close),
                                                           right_close)), axis=-1)
            ends = tf.squeeze(tf.where_v2(tf.logical_and(left_close,
                                                         tf.logical_not(right_close))),
                              axis=-1) + 1
            num_clusters = tf.size(ends)
            v0 = tf.cast(tf.random.stateless_normal(shape=tf.stack([k, n]), seed=[7, 42]),
                         dtype=beta.dtype)
            nrm_v = tf.norm(v0, axis=1)
            v0 = v0 / nrm_v[:, tf.newaxis]
            zero_nrm = tf.zeros_like(nrm_v)
            eigvals_cast = tf.cast(eigvals, dtype=beta.dtype)
            alpha_shifted = alpha[tf.newaxis, :] - eigvals_cast[:, tf.newaxis]
            beta = tf.tile(beta[tf.newaxis, :], tf.stack([k, 1]))
            beta.set_shape([None, alpha.shape[0].value - 1])  # TF's tile infers the 1 too
            diags = [beta, alpha_shifted, tf.conj(beta)]

            def orthogonalize_clusters(vectors):
                def one_cluster(c, vectors):
                    start, end = starts[c], ends[c]
                    q, _ = tf.linalg.qr(tf.transpose(vectors[start:end, :]))
                    vectors = tf.tensor_scatter_nd_update(
                        vectors, tf.expand_dims(tf.range(start, end), -1), tf.transpose(q))
                    return c + 1, vectors

                _, vectors = tf.while_loop(lambda c, v: tf.less(c, num_clusters), one_cluster,
                                           [0, vectors])
                return vectors

            def keep_iterating(i, _, nrm_v, nrm_v_old):
                growth = tf.constant(1.1, dtype=nrm_v.dtype)  # LAPACK xSTEIN's 10%, 5 steps
                return tf.logical_and(tf.less(i, 5), tf.reduce_any(tf.greater_equal(
                    tf.real(nrm_v), tf.real(growth * nrm_v_old))))

            def iteration_step(i, v, nrm_v, nrm_v_old):
                v = tf.linalg.tridiagonal_solve(diags, v, diagonals_format="sequence",
                                                partial_pivoting=True, perturb_singular=True)
                nrm_v_old = nrm_v
                nrm_v = tf.norm(v, axis=1)
                v = v / nrm_v[:, tf.newaxis]
                return i + 1, orthogonalize_clusters(v), nrm_v, nrm_v_old

            _, v, _, _ = tf.while_loop(keep_iterating, iteration_step,
                                       [0, v0, nrm_v, zero_nrm])
            return tf.transpose(v)

    with tf.name_scope(name or "eigh_tridiagonal"):
        alpha = tf.convert_to_tensor(alpha, name="alpha")
        n = alpha.shape[0].value
        if n is None:
            raise ValueError("eigh_tridiagonal needs alpha's length known statically (TF "
                             "reads alpha.shape[0])")
        if n <= 1:
            return tf.real(alpha)
        beta = tf.convert_to_tensor(beta, name="beta")
        if alpha.dtype != beta.dtype:
            raise ValueError("'alpha' and 'beta' must have the same type.")
        eigvals = compute_eigenvalues(alpha, beta)
        if eigvals_only:
            return eigvals
        return eigvals, compute_eigenvectors(alpha, beta, eigvals)
