"""``tf.linalg``: TF1's linear-algebra namespace, bound to the same functions as the root names
(``tf.linalg.inv`` is ``tf.matrix_inverse``, ``tf.linalg.diag`` is ``tf.matrix_diag``...), plus
the compositions TF writes in Python: ``trace`` and ``matrix_transpose``/``adjoint`` here, the
rest (``logdet``, ``pinv``, ``lu_solve``...) in linalg_extra.py."""

from __future__ import annotations

from .clip_ops import global_norm
from .composites import einsum, eye, norm, tensordot
from .graph import convert_to_tensor, name_scope
from .nn_impl import l2_normalize
from .ops import array_ops, concat_split_ops, reduction_ops, transform_ops
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

__all__ = [
    "adjoint", "band_part", "cholesky", "cholesky_solve", "cross", "det", "diag", "diag_part",
    "eigh", "eigvalsh", "einsum", "expm", "eye", "global_norm", "inv", "l2_normalize", "logdet",
    "lstsq", "lu", "lu_matrix_inverse", "lu_reconstruct", "lu_solve", "matmul", "matrix_rank",
    "matrix_transpose", "matvec", "norm", "normalize", "pinv", "qr", "set_diag", "slogdet",
    "solve", "sqrtm", "svd", "tensor_diag", "tensor_diag_part", "tensordot", "trace", "transpose",
    "triangular_solve", "tridiagonal_matmul", "tridiagonal_solve",
]

from .linear_operator import *  # noqa: E402,F401,F403 - LinearOperator, LinearOperatorDiag, ...
from . import linear_operator as _linear_operator  # noqa: E402

__all__ += _linear_operator.__all__


def trace(x, name=None):
    """``tf.trace``: the sum of each matrix's main diagonal (MatrixDiagPartV3 then Sum)."""
    with name_scope(name, "Trace", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return reduction_ops.reduce_sum(matrix_diag_part(x), [-1], name=scope)


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """``tf.linalg.matrix_transpose``: the last two dimensions swapped (and conjugated, for a
    complex tensor with ``conjugate``)."""
    with name_scope(name, values=[a]):
        a = convert_to_tensor(a, name="a")
        rank = a.shape.rank
        if rank is not None:
            if rank < 2:
                raise ValueError(f"Argument `a` should be a (batch) matrix with rank >= 2.  "
                                 f"Received `a` = {a} with shape: {a.shape}")
            perm = list(range(rank - 2)) + [rank - 1, rank - 2]
        else:
            r = array_ops.rank(a)
            perm = concat_split_ops.concat(
                [array_ops.range_(r - 2), concat_split_ops.stack([r - 1, r - 2])], 0)
        return transform_ops.transpose(a, perm, conjugate=conjugate)


transpose = matrix_transpose


def adjoint(matrix, name=None):
    """``tf.linalg.adjoint``: the conjugate transpose (the transpose for real dtypes)."""
    with name_scope(name, "adjoint", [matrix]):
        return matrix_transpose(convert_to_tensor(matrix, name="matrix"), conjugate=True)
