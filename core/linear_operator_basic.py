"""The dense-backed operators: ``LinearOperatorFullMatrix`` (any matrix, dense algorithms),
``LinearOperatorDiag`` (products and solves by elementwise multiply / divide, O(N) determinants)
and ``LinearOperatorLowerTriangular`` (solves by MatrixTriangularSolve, determinants from the
diagonal), as TF writes them."""

from __future__ import annotations

from . import dtypes as _dt
from . import linear_operator_util as lou
from .graph import convert_to_tensor, name_scope
from .linear_operator_base import LinearOperator
from .ops import (array_ops, complex_ops, concat_split_ops, diag_ops, logging_ops, math_ops,
                  reduction_ops, transform_ops, unary_ops)
from .ops.linalg_extra_ops import matrix_triangular_solve
from .ops.linalg_ops import matmul

__all__ = ["LinearOperatorDiag", "LinearOperatorFullMatrix", "LinearOperatorLowerTriangular"]

_FULL_MATRIX_DTYPES = [_dt.float16, _dt.float32, _dt.float64, _dt.complex64, _dt.complex128]


class LinearOperatorFullMatrix(LinearOperator):
    """A [batch] matrix ``[B1,...,Bb, M, N]`` wrapped as an operator: matmul is MatMul, solve a
    (broadcasting) MatrixSolve, or a Cholesky solve when self-adjoint positive definite."""

    def __init__(self, matrix, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorFullMatrix"):
        parameters = dict(matrix=matrix, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        with name_scope(name, values=[matrix]):
            self._matrix = lou.convert_nonref_to_tensor(matrix, name="matrix")
            self._check_matrix(self._matrix)
            super().__init__(dtype=self._matrix.dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)

    @staticmethod
    def _check_matrix(matrix):
        if matrix.dtype not in _FULL_MATRIX_DTYPES:
            raise TypeError(f"Argument `matrix` must have dtype in {_FULL_MATRIX_DTYPES}. "
                            f"Received: {matrix.dtype!r}.")
        if matrix.shape.rank is not None and matrix.shape.rank < 2:
            raise ValueError(f"Argument `matrix` must have at least 2 dimensions. "
                             f"Received: {matrix}.")

    matrix = property(lambda self: self._matrix)

    def _shape(self):
        return self._matrix.shape

    def _shape_tensor(self):
        return array_ops.shape(self._matrix)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return matmul(self._matrix, x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._dense_solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _to_dense(self):
        return self._matrix


class LinearOperatorDiag(LinearOperator):
    """A [batch] square diagonal matrix given by its diagonal ``[B1,...,Bb, N]``: products and
    solves are O(N) elementwise multiplies and divides."""

    def __init__(self, diag, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorDiag"):
        parameters = dict(diag=diag, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        with name_scope(name, values=[diag]):
            self._diag = lou.convert_nonref_to_tensor(diag, name="diag")
            self._check_diag(self._diag)
            if not self._diag.dtype.is_complex:
                if is_self_adjoint is False:
                    raise ValueError("A real diagonal operator is always self adjoint.")
                is_self_adjoint = True
            if is_square is False:
                raise ValueError("Only square diagonal operators currently supported.")
            super().__init__(dtype=self._diag.dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=True,
                             parameters=parameters, name=name)

    @staticmethod
    def _check_diag(diag):
        if diag.shape.rank is not None and diag.shape.rank < 1:
            raise ValueError(f"Argument diag must have at least 1 dimension.  Found: {diag}")

    diag = property(lambda self: self._diag)

    def _shape(self):
        d_shape = self._diag.shape
        return d_shape.concatenate(d_shape[-1:])

    def _shape_tensor(self):
        d_shape = array_ops.shape(self._diag)
        return concat_split_ops.concat((d_shape, [d_shape[-1]]), 0)

    def _linop_inverse(self):
        return LinearOperatorDiag(1.0 / self.diag, is_non_singular=self.is_non_singular,
                                  is_self_adjoint=self.is_self_adjoint,
                                  is_positive_definite=self.is_positive_definite, is_square=True)

    def _combined(self, left, right, diag=None, tril=None):
        """Diag (or LowerTriangular) operator of a product/quotient of commuting factors."""
        hints = dict(is_non_singular=lou.combined_non_singular_hint(left, right),
                     is_self_adjoint=lou.combined_commuting_self_adjoint_hint(left, right),
                     is_square=True)
        if tril is not None:
            return LinearOperatorLowerTriangular(tril=tril, is_positive_definite=None, **hints)
        return LinearOperatorDiag(
            diag=diag, is_positive_definite=lou.combined_commuting_positive_definite_hint(
                left, right), **hints)

    def _linop_matmul(self, left_operator, right_operator):
        if isinstance(right_operator, LinearOperatorDiag):
            return self._combined(left_operator, right_operator,
                                  diag=left_operator.diag * right_operator.diag)
        if hasattr(right_operator, "_ones_diag") and hasattr(right_operator, "multiplier"):
            return self._combined(left_operator, right_operator,
                                  diag=left_operator.diag * right_operator.multiplier)
        if isinstance(right_operator, LinearOperatorLowerTriangular):
            return self._combined(left_operator, right_operator,
                                  tril=left_operator.diag[..., None] * right_operator.to_dense())
        return super()._linop_matmul(left_operator, right_operator)

    def _linop_solve(self, left_operator, right_operator):
        if isinstance(right_operator, LinearOperatorDiag):
            return self._combined(left_operator, right_operator,
                                  diag=right_operator.diag / left_operator.diag)
        if hasattr(right_operator, "_ones_diag") and hasattr(right_operator, "multiplier"):
            return self._combined(left_operator, right_operator,
                                  diag=right_operator.multiplier / left_operator.diag)
        if isinstance(right_operator, LinearOperatorLowerTriangular):
            return self._combined(left_operator, right_operator,
                                  tril=right_operator.to_dense() / left_operator.diag[..., None])
        return super()._linop_solve(left_operator, right_operator)

    def _assert_non_singular(self):
        return lou.assert_no_entries_with_modulus_zero(
            self._diag, message="Singular operator:  Diagonal contained zero values.")

    def _assert_positive_definite(self):
        if self.dtype.is_complex:
            message = ("Diagonal operator had diagonal entries with non-positive real part, "
                       "thus was not positive definite.")
        else:
            message = ("Real diagonal operator had non-positive diagonal entries, thus was not "
                       "positive definite.")
        return logging_ops.assert_positive(complex_ops.real(self._diag), message=message)

    def _assert_self_adjoint(self):
        return lou.assert_zero_imag_part(
            self._diag, message="This diagonal operator contained non-zero imaginary values.  "
                                " Thus it was not self-adjoint.")

    def _linop_adjoint(self):
        diag = complex_ops.conj(self.diag) if self.diag.dtype.is_complex else self.diag
        return LinearOperatorDiag(diag=diag, is_non_singular=self.is_non_singular,
                                  is_self_adjoint=self.is_self_adjoint,
                                  is_positive_definite=self.is_positive_definite, is_square=True)

    def _linop_cholesky(self):
        return LinearOperatorDiag(unary_ops.sqrt(self.diag), is_non_singular=True,
                                  is_self_adjoint=True, is_positive_definite=True,
                                  is_square=True)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        diag_term = complex_ops.conj(self._diag) if adjoint else self._diag
        x = lou.adjoint(x) if adjoint_arg else x
        return transform_ops.expand_dims(diag_term, -1) * x

    def _matvec(self, x, adjoint=False):
        diag_term = complex_ops.conj(self._diag) if adjoint else self._diag
        return diag_term * x

    def _determinant(self):
        return reduction_ops.reduce_prod(self._diag, axis=[-1])

    def _log_abs_determinant(self):
        log_det = reduction_ops.reduce_sum(unary_ops.log(unary_ops.abs(self._diag)), axis=[-1])
        if self.dtype.is_complex:
            log_det = math_ops.cast(log_det, dtype=self.dtype)
        return log_det

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        diag_term = complex_ops.conj(self._diag) if adjoint else self._diag
        rhs = lou.adjoint(rhs) if adjoint_arg else rhs
        return rhs * transform_ops.expand_dims(1.0 / diag_term, -1)

    def _to_dense(self):
        return diag_ops.matrix_diag(self._diag)

    def _diag_part(self):
        return self.diag

    def _add_to_tensor(self, x):
        return diag_ops.matrix_set_diag(x, self._diag + diag_ops.matrix_diag_part(x))

    def _eigvals(self):
        return convert_to_tensor(self.diag)

    def _cond(self):
        abs_diag = unary_ops.abs(self.diag)
        return (reduction_ops.reduce_max(abs_diag, axis=-1) /
                reduction_ops.reduce_min(abs_diag, axis=-1))


class LinearOperatorLowerTriangular(LinearOperator):
    """A [batch] square lower-triangular matrix (the upper triangle of ``tril`` is ignored):
    solves by back substitution (MatrixTriangularSolve), determinants from the diagonal."""

    def __init__(self, tril, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowerTriangular"):
        parameters = dict(tril=tril, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        if is_square is False:
            raise ValueError("Only square lower triangular operators supported at this time.")
        with name_scope(name, values=[tril]):
            self._tril = lou.convert_nonref_to_tensor(tril, name="tril")
            if self._tril.shape.rank is not None and self._tril.shape.rank < 2:
                raise ValueError(f"Argument tril must have at least 2 dimensions.  Found: "
                                 f"{self._tril}")
            super().__init__(dtype=self._tril.dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=True,
                             parameters=parameters, name=name)

    tril = property(lambda self: self._tril)

    def _get_tril(self):
        return diag_ops.matrix_band_part(self._tril, -1, 0)

    def _get_diag(self):
        return diag_ops.matrix_diag_part(self._tril)

    def _shape(self):
        return self._tril.shape

    def _shape_tensor(self):
        return array_ops.shape(self._tril)

    def _assert_non_singular(self):
        return lou.assert_no_entries_with_modulus_zero(
            self._get_diag(), message="Singular operator:  Diagonal contained zero values.")

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return matmul(self._get_tril(), x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def _linop_matmul(self, left_operator, right_operator):
        if hasattr(right_operator, "_check_diag"):  # a LinearOperatorDiag on the right
            return LinearOperatorLowerTriangular(
                tril=left_operator.to_dense() * right_operator.diag,
                is_non_singular=lou.combined_non_singular_hint(right_operator, left_operator),
                is_self_adjoint=lou.combined_commuting_self_adjoint_hint(right_operator,
                                                                         left_operator),
                is_positive_definite=None, is_square=True)
        return super()._linop_matmul(left_operator, right_operator)

    def _determinant(self):
        return reduction_ops.reduce_prod(self._get_diag(), axis=[-1])

    def _log_abs_determinant(self):
        return reduction_ops.reduce_sum(unary_ops.log(unary_ops.abs(self._get_diag())),
                                        axis=[-1])

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = lou.adjoint(rhs) if adjoint_arg else rhs
        return matrix_triangular_solve(self._get_tril(), rhs, lower=True, adjoint=adjoint)

    def _to_dense(self):
        return self._get_tril()

    def _eigvals(self):
        return self._get_diag()
