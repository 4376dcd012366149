"""``tf.linalg``: TF1's linear-algebra namespace, bound to the same functions as the root names
(``tf.linalg.inv`` is ``tf.matrix_inverse``, ``tf.linalg.diag`` is ``tf.matrix_diag``...), plus
the compositions TF writes in Python: ``trace`` here, ``matrix_transpose``/``adjoint`` in
linalg_base.py (the linear operators use them too), the rest (``logdet``, ``pinv``,
``lu_solve``...) in linalg_extra.py."""

from __future__ import annotations

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


transpose = matrix_transpose
