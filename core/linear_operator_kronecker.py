"""``LinearOperatorKronecker``: ``A1 x A2 x ... x An`` (Kronecker product) used through its
factors, as TF writes it -- matmul and solve reshape the argument and apply one factor at a time
(``(A x B) vec(X) = vec(B X A^T)``), determinants and traces combine the factors'."""

from __future__ import annotations

from . import linear_operator_util as lou
from .array_extra import broadcast_static_shape
from .check_ops import assert_proper_iterable
from .errors import InvalidArgumentError
from .graph import Tensor, constant_value, name_scope
from .linear_operator_base import LinearOperator
from .ops import array_ops, complex_ops, concat_split_ops, math_ops
from .ops.array_extra_ops import broadcast_dynamic_shape
from .tensor_shape import TensorShape

__all__ = ["LinearOperatorKronecker"]


def _prefer_static_shape(x):
    return x.shape if x.shape.is_fully_defined() else array_ops.shape(x)


def _static_int(x):
    if isinstance(x, Tensor):
        v = constant_value(x)
        return None if v is None else int(v)
    return lou.dimension_value(x)


def _prefer_static_concat_shape(first_shape, second):
    """``first_shape + second`` as a TensorShape when all is known, else a shape Tensor."""
    second_static = [_static_int(s) for s in second]
    if isinstance(first_shape, TensorShape) and all(s is not None for s in second_static):
        return first_shape.concatenate(second_static)
    if isinstance(first_shape, TensorShape):
        first_shape = first_shape.as_list()
    return concat_split_ops.concat(
        [first_shape, concat_split_ops.stack([_as_int32(s) for s in second])], axis=0)


def _as_int32(s):
    s = lou.dimension_value(s)
    return math_ops.cast(s, "int32") if isinstance(s, Tensor) else s


def _as_shape_arg(shape):
    return shape.as_list() if isinstance(shape, TensorShape) else shape


class LinearOperatorKronecker(LinearOperator):
    """The Kronecker product of operators: shape ``[B, prod(M_i), prod(N_i)]``, batch shapes
    broadcast. Never materialised unless ``to_dense`` is asked for."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        parameters = dict(operators=operators, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        assert_proper_iterable(operators)
        operators = list(operators)
        if not operators:
            raise ValueError(f"Argument `operators` must be a list of >=1 operators. "
                             f"Received: {operators}.")
        self._operators = operators
        dtype = operators[0].dtype
        for op in operators:
            if op.dtype != dtype:
                name_type = [str((o.name, o.dtype)) for o in operators]
                raise TypeError(f"Expected every operation in argument `operators` to have the "
                                f"same dtype. Received {name_type}.")
        for attr, what, value in (
                ("is_non_singular", "non-singular", is_non_singular),
                ("is_self_adjoint", "self-adjoint", is_self_adjoint),
                ("is_positive_definite", "positive-definite", is_positive_definite)):
            if all(getattr(op, attr) for op in operators):
                if value is False:
                    raise ValueError(f"The Kronecker product of {what} operators is always "
                                     f"{what}. Expected argument `{attr}` to be True. "
                                     f"Received: {value}.")
        if all(op.is_non_singular for op in operators):
            is_non_singular = True
        if all(op.is_self_adjoint for op in operators):
            is_self_adjoint = True
        if all(op.is_positive_definite for op in operators):
            is_positive_definite = True
        if name is None:
            name = "_x_".join(op.name for op in operators)
        with name_scope(name):
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)

    operators = property(lambda self: self._operators)

    def _shape(self):
        domain = self.operators[0].domain_dimension
        rng = self.operators[0].range_dimension
        for op in self.operators[1:]:
            domain = domain * op.domain_dimension
            rng = rng * op.range_dimension
        batch_shape = self.operators[0].batch_shape
        for op in self.operators[1:]:
            batch_shape = broadcast_static_shape(batch_shape, op.batch_shape)
        return batch_shape.concatenate([rng.value, domain.value])

    def _shape_tensor(self):
        domain = self.operators[0].domain_dimension_tensor()
        rng = self.operators[0].range_dimension_tensor()
        for op in self.operators[1:]:
            domain = domain * op.domain_dimension_tensor()
            rng = rng * op.range_dimension_tensor()
        batch_shape = self.operators[0].batch_shape_tensor()
        for op in self.operators[1:]:
            batch_shape = broadcast_dynamic_shape(batch_shape, op.batch_shape_tensor())
        return concat_split_ops.concat((batch_shape, concat_split_ops.stack([rng, domain])), 0)

    def _with_factors(self, factors, **hints):
        return LinearOperatorKronecker(operators=factors, is_square=True, **hints)

    def _linop_adjoint(self):
        return self._with_factors([op.adjoint() for op in self.operators],
                                  is_non_singular=self.is_non_singular,
                                  is_self_adjoint=self.is_self_adjoint,
                                  is_positive_definite=self.is_positive_definite)

    def _linop_cholesky(self):
        return self._with_factors([op.cholesky() for op in self.operators],
                                  is_non_singular=True, is_self_adjoint=None)

    def _linop_inverse(self):
        return self._with_factors([op.inverse() for op in self.operators],
                                  is_non_singular=self.is_non_singular,
                                  is_self_adjoint=self.is_self_adjoint,
                                  is_positive_definite=self.is_positive_definite)

    def _solve_matmul_internal(self, x, solve_matmul_fn, adjoint=False, adjoint_arg=False):
        """Apply ``solve_matmul_fn`` factor by factor (last first), each time on ``x`` reshaped
        so the factor's dimension is the last axis (TF's algorithm, shape by shape)."""
        output = x
        if adjoint_arg:
            if self.dtype.is_complex:
                output = complex_ops.conj(output)
        else:
            output = lou.matrix_transpose(output)
        for o in reversed(self.operators):
            op_dim = o.range_dimension_tensor() if adjoint else o.domain_dimension_tensor()
            output_shape = _prefer_static_shape(output)
            static_dim = _static_int(op_dim)
            if static_dim is not None:
                op_dim = static_dim
                if output.shape[-2].value is not None and output.shape[-1].value is not None:
                    dim = int(output.shape[-2].value * output.shape[-1].value // op_dim)
                else:
                    dim = (array_ops.shape(output)[-2] * array_ops.shape(output)[-1]) // op_dim
            else:
                dim = math_ops.cast(output_shape[-2] * output_shape[-1] // op_dim, "int32")
            output_shape = _prefer_static_concat_shape(output_shape[:-2], [dim, op_dim])
            output = array_ops.reshape(output, shape=_as_shape_arg(output_shape))
            if self.dtype.is_complex:
                output = complex_ops.conj(output)
            output = solve_matmul_fn(o, output, adjoint=adjoint, adjoint_arg=True)
        col_dim = _prefer_static_shape(x)[-2 if adjoint_arg else -1]
        row_dim = self.domain_dimension_tensor() if adjoint else self.range_dimension_tensor()
        output = array_ops.reshape(output, _as_shape_arg(_prefer_static_concat_shape(
            _prefer_static_shape(output)[:-2], [row_dim, col_dim])))
        if x.shape.is_fully_defined():
            column_dim = x.shape[-2] if adjoint_arg else x.shape[-1]
            batch = broadcast_static_shape(x.shape[:-2], self.batch_shape)
            rows = self.domain_dimension if adjoint else self.range_dimension
            output.set_shape(batch.concatenate([rows.value, column_dim.value]))
        return output

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        def matmul_fn(o, x, adjoint, adjoint_arg):
            return o.matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)
        return self._solve_matmul_internal(x, matmul_fn, adjoint=adjoint,
                                           adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        def solve_fn(o, rhs, adjoint, adjoint_arg):
            return o.solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)
        return self._solve_matmul_internal(rhs, solve_fn, adjoint=adjoint,
                                           adjoint_arg=adjoint_arg)

    def _determinant(self):
        total = self.domain_dimension_tensor()
        determinant = 1.0
        for op in self.operators:
            determinant = determinant * op.determinant() ** math_ops.cast(
                total / op.domain_dimension_tensor(), dtype=op.dtype)
        return determinant

    def _log_abs_determinant(self):
        total = self.domain_dimension_tensor()
        log_abs_det = 0.0
        for op in self.operators:
            log_abs_det += op.log_abs_determinant() * math_ops.cast(
                total / op.domain_dimension_tensor(), dtype=op.dtype)
        return log_abs_det

    def _trace(self):
        trace = 1.0
        for op in self.operators:
            trace = trace * op.trace()
        return trace

    def _diag_part(self):
        diag_part = self.operators[0].diag_part()
        for op in self.operators[1:]:
            diag_part = diag_part[..., :, None] * op.diag_part()[..., None, :]
            diag_part = array_ops.reshape(diag_part, concat_split_ops.concat(
                [array_ops.shape(diag_part)[:-2], [-1]], axis=0))
        if self.range_dimension > self.domain_dimension:
            diag_dimension = self.domain_dimension
        else:
            diag_dimension = self.range_dimension
        diag_part.set_shape(self.batch_shape.concatenate([diag_dimension.value]))
        return diag_part

    def _to_dense(self):
        product = self.operators[0].to_dense()
        for op in self.operators[1:]:
            product = product[..., :, None, :, None] * op.to_dense()[..., None, :, None, :]
            shape = _prefer_static_shape(product)
            product = array_ops.reshape(product, _as_shape_arg(_prefer_static_concat_shape(
                shape[:-4], [shape[-4] * shape[-3], shape[-2] * shape[-1]])))
        product.set_shape(self.shape)
        return product

    def _eigvals(self):
        eigvals = [op.eigvals() for op in self.operators]
        product = eigvals[0]
        for e in eigvals[1:]:
            product = product[..., None] * e[..., None, :]
            product = array_ops.reshape(product, concat_split_ops.concat(
                [array_ops.shape(product)[:-2], [-1]], axis=0))
        product.set_shape(self.shape[:-1])
        return product

    def _assert_factors(self, assertion):
        if all(op.is_square for op in self.operators):
            return array_ops.group([getattr(op, assertion)() for op in self.operators])
        raise InvalidArgumentError(None, None, "All Kronecker factors must be square for the "
                                   "product to be invertible. Expected hint `is_square` to be "
                                   "True for every operator in argument `operators`.")

    def _assert_non_singular(self):
        return self._assert_factors("assert_non_singular")

    def _assert_self_adjoint(self):
        return self._assert_factors("assert_self_adjoint")
