"""The dense fallbacks of ``tf.linalg.LinearOperator``: what an operator without a faster
structure of its own does -- materialise ``to_dense()`` (A @ I) and use the O(N^3) dense ops
(MatrixDeterminant, MatrixSolve, Cholesky, Svd...), with TF's "possibly slow" warning. A
mixin of LinearOperator, kept apart so the base class reads as the public API."""

from __future__ import annotations

import numpy as np

from . import linear_operator_util as lou
from . import tf_logging as logging
from .graph import convert_to_tensor, name_scope
from .ops import diag_ops, logging_ops, math_ops, reduction_ops, unary_ops
from .ops.decomposition_ops import self_adjoint_eigvals, svd
from .ops.linalg_extra_ops import cholesky_solve, log_matrix_determinant
from .ops.linalg_ops import cholesky, matrix_determinant


class DenseFallbacks:
    """The default ``_method`` implementations of LinearOperator's public methods."""

    def _assert_non_singular(self):
        logging.warning("Using (possibly slow) default implementation of assert_non_singular."
                        "  Requires conversion to a dense matrix and O(N^3) operations.")
        if self._can_use_cholesky():
            return self.assert_positive_definite()
        singular_values = svd(self.to_dense(), compute_uv=False)
        cond = (reduction_ops.reduce_max(singular_values, axis=-1) /
                reduction_ops.reduce_min(singular_values, axis=-1))
        return logging_ops.assert_less(cond, self._max_condition_number_to_be_non_singular(),
                                       message="Singular matrix up to precision epsilon.")

    def _max_condition_number_to_be_non_singular(self):
        with name_scope("max_nonsingular_condition_number"):
            dtype_eps = np.finfo(self.dtype.as_numpy_dtype).eps
            dims = [convert_to_tensor(100.0, dtype=self.dtype),
                    math_ops.cast(self.range_dimension_tensor(), self.dtype),
                    math_ops.cast(self.domain_dimension_tensor(), self.dtype)]
            eps = math_ops.cast(reduction_ops.reduce_max(dims), self.dtype) * dtype_eps
            return 1.0 / eps

    def _assert_positive_definite(self):
        logging.warning("Using (possibly slow) default implementation of "
                        "assert_positive_definite.  Requires conversion to a dense matrix and "
                        "O(N^3) operations.")
        if self.is_self_adjoint:
            return logging_ops.assert_positive(
                diag_ops.matrix_diag_part(cholesky(self.to_dense())),
                message="Matrix was not positive definite.")
        raise NotImplementedError("assert_positive_definite is not implemented.")

    def _assert_self_adjoint(self):
        dense = self.to_dense()
        logging.warning("Using (possibly slow) default implementation of assert_self_adjoint."
                        "  Requires conversion to a dense matrix.")
        return logging_ops.assert_equal(dense, lou.adjoint(dense),
                                        message="Matrix was not equal to its adjoint.")

    def _determinant(self):
        logging.warning("Using (possibly slow) default implementation of determinant."
                        "  Requires conversion to a dense matrix and O(N^3) operations.")
        if self._can_use_cholesky():
            return unary_ops.exp(self.log_abs_determinant())
        return matrix_determinant(self.to_dense())

    def _log_abs_determinant(self):
        logging.warning("Using (possibly slow) default implementation of determinant."
                        "  Requires conversion to a dense matrix and O(N^3) operations.")
        if self._can_use_cholesky():
            diag = diag_ops.matrix_diag_part(cholesky(self.to_dense()))
            return 2 * reduction_ops.reduce_sum(unary_ops.log(diag), axis=[-1])
        return log_matrix_determinant(self.to_dense())[1]

    def _dense_solve(self, rhs, adjoint=False, adjoint_arg=False):
        """Solve through the dense matrix: Cholesky when self-adjoint positive definite."""
        if self.is_square is False:
            raise NotImplementedError("Solve is not yet implemented for non-square operators.")
        rhs = lou.adjoint(rhs) if adjoint_arg else rhs
        if self._can_use_cholesky():
            return cholesky_solve(cholesky(self.to_dense()), rhs)
        return lou.matrix_solve_with_broadcast(self.to_dense(), rhs, adjoint=adjoint)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        logging.warning("Using (possibly slow) default implementation of solve."
                        "  Requires conversion to a dense matrix and O(N^3) operations.")
        return self._dense_solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _linop_cholesky(self):
        from .linear_operator_basic import LinearOperatorLowerTriangular

        return LinearOperatorLowerTriangular(cholesky(self.to_dense()), is_non_singular=True,
                                             is_self_adjoint=False, is_square=True)

    def _to_dense(self):
        if self.batch_shape.is_fully_defined():
            batch_shape = self.batch_shape.as_list()
        else:
            batch_shape = self.batch_shape_tensor()
        n = lou.dimension_value(self.domain_dimension)
        if n is None:
            n = self.domain_dimension_tensor()
        return self.matmul(lou.eye(num_rows=n, batch_shape=batch_shape, dtype=self.dtype))

    def _diag_part(self):
        return diag_ops.matrix_diag_part(self.to_dense())

    def _trace(self):
        return reduction_ops.reduce_sum(self.diag_part(), axis=-1)

    def _add_to_tensor(self, x):
        return self.to_dense() + x

    def _eigvals(self):
        return self_adjoint_eigvals(self.to_dense())

    def _cond(self):
        if not self.is_self_adjoint:
            vals = svd(self.to_dense(), compute_uv=False)
        else:
            vals = unary_ops.abs(self._eigvals())
        return reduction_ops.reduce_max(vals, axis=-1) / reduction_ops.reduce_min(vals, axis=-1)
