"""Operators defined by their shape alone, as TF writes them: ``LinearOperatorIdentity``,
``LinearOperatorScaledIdentity`` (``c I`` for a [batch of] scalar c) and ``LinearOperatorZeros``.
Nothing is materialised: a product is the argument itself (times c, or zeros of the right
shape), broadcast against the operator's batch shape."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from . import linear_operator_util as lou
from .array_extra import broadcast_static_shape
from .check_ops import assert_rank
from .errors import InvalidArgumentError
from .graph import convert_to_tensor, name_scope
from .linear_operator_base import LinearOperator
from .ops import (array_ops, complex_ops, concat_split_ops, diag_ops, logging_ops, logic_ops,
                  math_ops, reduction_ops, transform_ops, unary_ops)
from .tensor_shape import TensorShape

__all__ = ["LinearOperatorIdentity", "LinearOperatorScaledIdentity", "LinearOperatorZeros"]


def _checked_dim(tensor, static, what, assert_proper_shapes):
    """A num_rows/num_columns Tensor, behind run-time checks when asked; static checks now."""
    if assert_proper_shapes:
        tensor = lou.with_dependencies([
            assert_rank(tensor, 0, message=f"Argument {what} must be a 0-D Tensor."),
            logging_ops.assert_non_negative(tensor,
                                            message=f"Argument {what} must be non-negative."),
        ], tensor)
    if not tensor.dtype.is_integer:
        raise TypeError(f"Argument {what} must be integer type.  Found: {tensor}")
    if static is not None:
        if static.ndim != 0:
            raise ValueError(f"Argument {what} must be a 0-D Tensor.  Found: {static}")
        if static < 0:
            raise ValueError(f"Argument {what} must be non-negative.  Found: {static}")
    return tensor


class _ShapeOnlyOperator(LinearOperator):
    """The shared machinery: num_rows (and batch_shape) arguments, checked statically and, with
    assert_proper_shapes, at run time."""

    def _set_batch_shape(self, batch_shape):
        if batch_shape is None:
            self._batch_shape_arg = None
            return
        arg = lou.shape_tensor(batch_shape, name="batch_shape_arg")
        self._batch_shape_static = lou.static_value(arg)
        if self._assert_proper_shapes:
            arg = lou.with_dependencies([
                assert_rank(arg, 1, message="Argument batch_shape must be a 1-D Tensor."),
                logging_ops.assert_non_negative(
                    arg, message="Argument batch_shape must be non-negative."),
            ], arg)
        if not arg.dtype.is_integer:
            raise TypeError(f"Argument batch_shape must be integer type.  Found: {arg}")
        self._batch_shape_arg = arg
        static = self._batch_shape_static
        if static is None:
            return
        if static.ndim != 1:
            raise ValueError(f"Argument batch_shape must be a 1-D Tensor.  Found: {static}")
        if np.any(static < 0):
            raise ValueError(f"Argument batch_shape must be non-negative.  Found:{static}")

    def _shape(self):  # Identity and Zeros; ScaledIdentity takes its multiplier's batch shape
        matrix_shape = TensorShape((self._num_rows_static, self._num_columns_static))
        if self._batch_shape_arg is None:
            return matrix_shape
        return TensorShape(self._batch_shape_static).concatenate(matrix_shape)

    def _shape_tensor(self):
        matrix_shape = concat_split_ops.stack((self._num_rows, self._num_columns), axis=0)
        if self._batch_shape_arg is None:
            return matrix_shape
        return concat_split_ops.concat((self._batch_shape_arg, matrix_shape), 0)

    def _min_matrix_dim(self):
        domain = lou.dimension_value(self.domain_dimension)
        rng = lou.dimension_value(self.range_dimension)
        if domain is None or rng is None:
            return None
        return min(domain, rng)

    def _min_matrix_dim_tensor(self):
        return reduction_ops.reduce_min(self.shape_tensor()[-2:])

    def _filled_diag(self, fill):
        if self.shape.is_fully_defined():
            d_shape = self.batch_shape.concatenate([self._min_matrix_dim()]).as_list()
        else:
            d_shape = concat_split_ops.concat(
                [self.batch_shape_tensor(), [self._min_matrix_dim_tensor()]], axis=0)
        return fill(shape=d_shape, dtype=self.dtype)

    def _possibly_broadcast_batch_shape(self, x):
        """``x`` broadcast against ``batch_shape + [1, 1]`` (adding zeros, as TF does)."""
        if self._batch_shape_arg is None:
            return x
        special = self.batch_shape.concatenate([1, 1])
        bshape = broadcast_static_shape(x.shape, special)
        if special.is_fully_defined():
            if bshape == x.shape:
                return x
            return x + array_ops.zeros(shape=special.as_list(), dtype=self.dtype)
        special = concat_split_ops.concat((self.batch_shape_tensor(), [1, 1]), 0)
        return x + array_ops.zeros(shape=special, dtype=self.dtype)

    def _batch_of(self, fill):
        if self.batch_shape.is_fully_defined():
            return fill(shape=self.batch_shape.as_list(), dtype=self.dtype)
        return fill(shape=self.batch_shape_tensor(), dtype=self.dtype)

    def _with_shape_check(self, x):
        if self._assert_proper_shapes:
            aps = lou.assert_compatible_matrix_dimensions(self, x)
            x = lou.with_dependencies([aps], x)
        return x


class LinearOperatorIdentity(_ShapeOnlyOperator):
    """The [batch] identity ``I`` of ``num_rows`` rows: matmul and solve return the argument
    (broadcast to the batch shape), det is one, log|det| zero."""

    def __init__(self, num_rows, batch_shape=None, dtype=None, is_non_singular=True,
                 is_self_adjoint=True, is_positive_definite=True, is_square=True,
                 assert_proper_shapes=False, name="LinearOperatorIdentity"):
        parameters = dict(num_rows=num_rows, batch_shape=batch_shape, dtype=dtype,
                          is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          assert_proper_shapes=assert_proper_shapes, name=name)
        dtype = dtype or _dt.float32
        self._assert_proper_shapes = assert_proper_shapes
        with name_scope(name):
            dtype = _dt.as_dtype(dtype)
            if not is_self_adjoint:
                raise ValueError("An identity operator is always self adjoint.")
            if not is_non_singular:
                raise ValueError("An identity operator is always non-singular.")
            if not is_positive_definite:
                raise ValueError("An identity operator is always positive-definite.")
            if not is_square:
                raise ValueError("An identity operator is always square.")
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)
            lou.assert_not_ref_type(num_rows, "num_rows")
            lou.assert_not_ref_type(batch_shape, "batch_shape")
            num_rows = lou.shape_tensor(num_rows, name="num_rows")
            self._num_rows_static = lou.static_value(num_rows)
            self._num_rows = _checked_dim(num_rows, self._num_rows_static, "num_rows",
                                          assert_proper_shapes)
            self._num_columns, self._num_columns_static = self._num_rows, self._num_rows_static
            self._set_batch_shape(batch_shape)

    def _ones_diag(self):
        return self._filled_diag(array_ops.ones)

    def _linop_adjoint(self):
        return self

    def _linop_cholesky(self):
        return LinearOperatorIdentity(num_rows=self._num_rows, batch_shape=self.batch_shape,
                                      dtype=self.dtype, is_non_singular=True,
                                      is_self_adjoint=True, is_positive_definite=True,
                                      is_square=True)

    def _linop_inverse(self):
        return self

    def _linop_matmul(self, left_operator, right_operator):
        return right_operator

    def _linop_solve(self, left_operator, right_operator):
        return right_operator

    def _assert_non_singular(self):
        return array_ops.no_op("assert_non_singular")

    def _assert_positive_definite(self):
        return array_ops.no_op("assert_positive_definite")

    def _assert_self_adjoint(self):
        return array_ops.no_op("assert_self_adjoint")

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = lou.adjoint(x) if adjoint_arg else x
        return self._possibly_broadcast_batch_shape(self._with_shape_check(x))

    def _determinant(self):
        return array_ops.ones(shape=self.batch_shape_tensor(), dtype=self.dtype)

    def _log_abs_determinant(self):
        return array_ops.zeros(shape=self.batch_shape_tensor(), dtype=self.dtype)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint_arg=adjoint_arg)

    def _trace(self):
        ones = self._batch_of(array_ops.ones)
        if self._min_matrix_dim() is not None:
            return self._min_matrix_dim() * ones
        return math_ops.cast(self._min_matrix_dim_tensor(), self.dtype) * ones

    def _diag_part(self):
        return self._ones_diag()

    def add_to_tensor(self, mat, name="add_to_tensor"):
        """``I + mat``: one added to mat's diagonal."""
        with self._name_scope(name):
            mat = convert_to_tensor(mat, name="mat")
            return diag_ops.matrix_set_diag(mat, 1 + diag_ops.matrix_diag_part(mat))

    def _eigvals(self):
        return self._ones_diag()

    def _cond(self):
        return array_ops.ones(self.batch_shape_tensor(), dtype=self.dtype)


class LinearOperatorScaledIdentity(_ShapeOnlyOperator):
    """``c I`` for a [batch] scalar multiplier c of shape ``[B1,...,Bb]``: products multiply by
    c, solves divide, ``det = c^N``."""

    def __init__(self, num_rows, multiplier, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, assert_proper_shapes=False,
                 name="LinearOperatorScaledIdentity"):
        parameters = dict(num_rows=num_rows, multiplier=multiplier,
                          is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          assert_proper_shapes=assert_proper_shapes, name=name)
        self._assert_proper_shapes = assert_proper_shapes
        with name_scope(name, values=[multiplier, num_rows]):
            self._multiplier = lou.convert_nonref_to_tensor(multiplier, name="multiplier")
            if not self._multiplier.dtype.is_complex:
                if is_self_adjoint is False:
                    raise ValueError("A real diagonal operator is always self adjoint.")
                is_self_adjoint = True
            if not is_square:
                raise ValueError("A ScaledIdentity operator is always square.")
            lou.assert_not_ref_type(num_rows, "num_rows")
            super().__init__(dtype=self._multiplier.dtype.base_dtype,
                             is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)
            num_rows = lou.shape_tensor(num_rows, name="num_rows")
            self._num_rows_static = lou.static_value(num_rows)
            self._num_rows = _checked_dim(num_rows, self._num_rows_static, "num_rows",
                                          assert_proper_shapes)
            self._num_rows_cast_to_dtype = math_ops.cast(self._num_rows, self.dtype)
            self._num_rows_cast_to_real_dtype = math_ops.cast(self._num_rows,
                                                              self.dtype.real_dtype)

    multiplier = property(lambda self: self._multiplier, doc="The [batch] scalar c.")

    def _shape(self):
        matrix_shape = TensorShape((self._num_rows_static, self._num_rows_static))
        return self.multiplier.shape.concatenate(matrix_shape)

    def _shape_tensor(self):
        matrix_shape = concat_split_ops.stack((self._num_rows, self._num_rows), axis=0)
        return concat_split_ops.concat((array_ops.shape(self.multiplier), matrix_shape), 0)

    def _ones_diag(self):
        return self._filled_diag(array_ops.ones)

    def _assert_non_singular(self):
        return logging_ops.assert_positive(unary_ops.abs(self.multiplier),
                                           message="LinearOperator was singular")

    def _assert_positive_definite(self):
        return logging_ops.assert_positive(complex_ops.real(self.multiplier),
                                           message="LinearOperator was not positive definite.")

    def _assert_self_adjoint(self):
        imag = complex_ops.imag(self.multiplier)
        return logging_ops.assert_equal(array_ops.zeros_like(imag), imag,
                                        message="LinearOperator was not self-adjoint")

    def _make_multiplier_matrix(self, conjugate=False):
        m = transform_ops.expand_dims(transform_ops.expand_dims(self.multiplier, -1), -1)
        return complex_ops.conj(m) if conjugate else m

    def _scaled(self, multiplier, **hints):
        return LinearOperatorScaledIdentity(num_rows=self._num_rows, multiplier=multiplier,
                                            is_square=True, **hints)

    def _linop_adjoint(self):
        multiplier = self.multiplier
        if multiplier.dtype.is_complex:
            multiplier = complex_ops.conj(multiplier)
        return self._scaled(multiplier, is_non_singular=self.is_non_singular,
                            is_self_adjoint=self.is_self_adjoint,
                            is_positive_definite=self.is_positive_definite)

    def _linop_cholesky(self):
        return self._scaled(unary_ops.sqrt(self.multiplier), is_non_singular=True,
                            is_self_adjoint=True, is_positive_definite=True)

    def _linop_inverse(self):
        return self._scaled(1.0 / self.multiplier, is_non_singular=self.is_non_singular,
                            is_self_adjoint=True,
                            is_positive_definite=self.is_positive_definite)

    def _combine(self, left, right, multiplier=None, diag=None):
        from .linear_operator_basic import LinearOperatorDiag

        hints = dict(is_non_singular=lou.combined_non_singular_hint(left, right),
                     is_self_adjoint=lou.combined_commuting_self_adjoint_hint(left, right),
                     is_positive_definite=lou.combined_commuting_positive_definite_hint(
                         left, right), is_square=True)
        if diag is not None:
            return LinearOperatorDiag(diag=diag, **hints)
        return LinearOperatorScaledIdentity(num_rows=left.domain_dimension_tensor(),
                                            multiplier=multiplier, **hints)

    def _linop_matmul(self, left_operator, right_operator):
        from .linear_operator_basic import LinearOperatorDiag

        if isinstance(right_operator, LinearOperatorScaledIdentity):
            return self._combine(left_operator, right_operator,
                                 multiplier=left_operator.multiplier * right_operator.multiplier)
        if isinstance(right_operator, LinearOperatorDiag):
            return self._combine(left_operator, right_operator,
                                 diag=right_operator.diag * left_operator.multiplier)
        return super()._linop_matmul(left_operator, right_operator)

    def _linop_solve(self, left_operator, right_operator):
        from .linear_operator_basic import LinearOperatorDiag

        if isinstance(right_operator, LinearOperatorScaledIdentity):
            return self._combine(left_operator, right_operator,
                                 multiplier=right_operator.multiplier / left_operator.multiplier)
        if isinstance(right_operator, LinearOperatorDiag):
            return self._combine(left_operator, right_operator,
                                 diag=right_operator.diag / left_operator.multiplier)
        return super()._linop_solve(left_operator, right_operator)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = lou.adjoint(x) if adjoint_arg else x
        return self._with_shape_check(x) * self._make_multiplier_matrix(conjugate=adjoint)

    def _determinant(self):
        return self.multiplier ** self._num_rows_cast_to_dtype

    def _log_abs_determinant(self):
        return self._num_rows_cast_to_real_dtype * unary_ops.log(unary_ops.abs(self.multiplier))

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = lou.adjoint(rhs) if adjoint_arg else rhs
        return self._with_shape_check(rhs) / self._make_multiplier_matrix(conjugate=adjoint)

    def _trace(self):
        ones = self._batch_of(array_ops.ones)
        if self._min_matrix_dim() is not None:
            return self.multiplier * self._min_matrix_dim() * ones
        return (self.multiplier * math_ops.cast(self._min_matrix_dim_tensor(), self.dtype) *
                ones)

    def _diag_part(self):
        return self._ones_diag() * self.multiplier[..., None]

    def add_to_tensor(self, mat, name="add_to_tensor"):
        """``c I + mat``: c added to mat's diagonal."""
        with self._name_scope(name):
            multiplier_vector = transform_ops.expand_dims(self.multiplier, -1)
            mat = convert_to_tensor(mat, name="mat")
            return diag_ops.matrix_set_diag(
                mat, multiplier_vector + diag_ops.matrix_diag_part(mat))

    def _eigvals(self):
        return self._ones_diag() * self.multiplier[..., None]

    def _cond(self):
        return logic_ops.where_v2(logic_ops.equal(self._multiplier, 0.0),
                                  math_ops.cast(np.nan, dtype=self.dtype),
                                  math_ops.cast(1.0, dtype=self.dtype))


class LinearOperatorZeros(_ShapeOnlyOperator):
    """The [batch] zero matrix ``[num_rows, num_columns]``: matmul gives zeros of the product's
    shape; it is singular, so there is no solve or inverse."""

    def __init__(self, num_rows, num_columns=None, batch_shape=None, dtype=None,
                 is_non_singular=False, is_self_adjoint=True, is_positive_definite=False,
                 is_square=True, assert_proper_shapes=False, name="LinearOperatorZeros"):
        parameters = dict(num_rows=num_rows, num_columns=num_columns, batch_shape=batch_shape,
                          dtype=dtype, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          assert_proper_shapes=assert_proper_shapes, name=name)
        dtype = dtype or _dt.float32
        self._assert_proper_shapes = assert_proper_shapes
        with name_scope(name):
            dtype = _dt.as_dtype(dtype)
            if not is_self_adjoint and is_square:
                raise ValueError("A zero operator is always self adjoint.")
            if is_non_singular:
                raise ValueError("A zero operator is always singular.")
            if is_positive_definite:
                raise ValueError("A zero operator is always not positive-definite.")
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)
            for arg, what in ((num_rows, "num_rows"), (num_columns, "num_columns"),
                              (batch_shape, "batch_shape")):
                lou.assert_not_ref_type(arg, what)
            num_rows = lou.shape_tensor(num_rows, name="num_rows")
            num_columns = num_rows if num_columns is None else \
                lou.shape_tensor(num_columns, name="num_columns")
            self._num_rows_static = lou.static_value(num_rows)
            self._num_columns_static = lou.static_value(num_columns)
            self._num_rows = _checked_dim(num_rows, self._num_rows_static, "num_rows",
                                          assert_proper_shapes)
            self._num_columns = _checked_dim(num_columns, self._num_columns_static,
                                             "num_columns", assert_proper_shapes)
            rows, cols = self._num_rows_static, self._num_columns_static
            if rows is not None and cols is not None and is_square and rows != cols:
                raise ValueError(f"LinearOperatorZeros initialized as is_square=True, but got "
                                 f"num_rows({rows}) != num_columns({cols})")
            self._set_batch_shape(batch_shape)

    def _zeros_diag(self):
        return self._filled_diag(array_ops.zeros)

    def _assert_non_singular(self):
        raise InvalidArgumentError(None, None, "Zero operators are always non-invertible.")

    def _assert_positive_definite(self):
        raise InvalidArgumentError(None, None, "Zero operators are always non-positive "
                                               "definite.")

    def _assert_self_adjoint(self):
        return array_ops.no_op("assert_self_adjoint")

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        if self._assert_proper_shapes:
            x = lou.adjoint(x) if adjoint_arg else x
            x = self._with_shape_check(x)
        x_shape = array_ops.shape(x)
        if self.is_square:
            if adjoint_arg:
                out_shape = concat_split_ops.concat(
                    [x_shape[:-2], concat_split_ops.stack([x_shape[-1], x_shape[-2]])], axis=0)
            else:
                out_shape = x_shape
            return self._possibly_broadcast_batch_shape(array_ops.zeros(out_shape, x.dtype))
        n = self._num_columns if adjoint else self._num_rows
        m = x_shape[-2] if adjoint_arg else x_shape[-1]
        out_shape = concat_split_ops.concat([x_shape[:-2], concat_split_ops.stack([n, m])],
                                            axis=0)
        return self._possibly_broadcast_batch_shape(array_ops.zeros(out_shape, x.dtype))

    def _linop_matmul(self, left_operator, right_operator):
        if not left_operator.is_square or not right_operator.is_square:
            raise ValueError("Matmul with non-square `LinearOperator`s or non-square "
                             "`LinearOperatorZeros` not supported at this time.")
        return left_operator

    def _determinant(self):
        return self._batch_of(array_ops.zeros)

    def _trace(self):
        return self._batch_of(array_ops.zeros)

    def _diag_part(self):
        return self._zeros_diag()

    def add_to_tensor(self, mat, name="add_to_tensor"):
        """``0 + mat``: mat, broadcast to the batch shape."""
        return self._possibly_broadcast_batch_shape(mat)

    def _eigvals(self):
        return self._zeros_diag()
