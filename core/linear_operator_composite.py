"""Operators made of other operators without touching their structure, as TF writes them:
``LinearOperatorComposition`` (a product, applied factor by factor), ``LinearOperatorInversion``
(``A^-1``: matmul is A's solve and solve A's matmul) and ``LinearOperatorAdjoint`` (``A^H``)."""

from __future__ import annotations

from . import linear_operator_util as lou
from .array_extra import broadcast_static_shape
from .check_ops import assert_proper_iterable
from .graph import convert_to_tensor, name_scope
from .linear_operator_base import LinearOperator
from .ops import array_ops, complex_ops, concat_split_ops, transform_ops, unary_ops
from .ops.linalg_ops import cholesky
from .tensor_shape import TensorShape

__all__ = ["LinearOperatorAdjoint", "LinearOperatorComposition", "LinearOperatorInversion"]


def _same_dtype(operators, message):
    dtype = operators[0].dtype
    for op in operators:
        if op.dtype != dtype:
            raise TypeError(message + "   ".join(str((o.name, o.dtype)) for o in operators))
    return dtype


class LinearOperatorComposition(LinearOperator):
    """``A1 @ A2 @ ... @ An`` of operators with compatible shapes: matmul applies the factors
    right to left, solve left to right, determinants multiply."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        parameters = dict(operators=operators, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        assert_proper_iterable(operators)
        operators = list(operators)
        if not operators:
            raise ValueError(f"Expected a non-empty list of operators. Found: {operators}")
        self._operators = operators
        dtype = _same_dtype(operators, "Expected all operators to have the same dtype.  Found ")
        if all(op.is_non_singular for op in operators):
            if is_non_singular is False:
                raise ValueError("The composition of non-singular operators is always "
                                 "non-singular.")
            is_non_singular = True
        if _composition_must_be_self_adjoint(operators):
            if is_self_adjoint is False:
                raise ValueError("The composition was determined to be self-adjoint but user "
                                 "provided incorrect `False` hint.")
            is_self_adjoint = True
        aat = lou.is_aat_form(operators)
        if aat:
            if is_square is False:
                raise ValueError("The composition was determined have the form A @ A.H, hence "
                                 "it must be square. The user provided an incorrect `False` "
                                 "hint.")
            is_square = True
        if aat and is_non_singular:
            if is_positive_definite is False:
                raise ValueError("The composition was determined to be non-singular and have "
                                 "the form A @ A.H, hence it must be positive-definite. The "
                                 "user provided an incorrect `False` hint.")
            is_positive_definite = True
        if name is None:
            name = "_o_".join(op.name for op in operators)
        with name_scope(name):
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)

    operators = property(lambda self: self._operators)

    def _shape(self):
        domain = self.operators[0].domain_dimension
        for op in self.operators[1:]:
            lou.assert_dims_compatible(domain, op.range_dimension)
            domain = op.domain_dimension
        matrix_shape = TensorShape([self.operators[0].range_dimension.value,
                                    self.operators[-1].domain_dimension.value])
        batch_shape = self.operators[0].batch_shape
        for op in self.operators[1:]:
            batch_shape = broadcast_static_shape(batch_shape, op.batch_shape)
        return batch_shape.concatenate(matrix_shape)

    def _shape_tensor(self):
        if self.shape.is_fully_defined():
            return convert_to_tensor(self.shape.as_list(), dtype="int32", name="shape")
        return _batch_and_matrix_shape(self.operators,
                                       self.operators[0].range_dimension_tensor(),
                                       self.operators[-1].domain_dimension_tensor())

    def _linop_cholesky(self):
        from .linear_operator_basic import LinearOperatorLowerTriangular

        ops = self.operators
        is_llt = (len(ops) == 2 and lou.is_aat_form(ops) and
                  isinstance(ops[0], LinearOperatorLowerTriangular))
        if not is_llt:
            return LinearOperatorLowerTriangular(cholesky(self.to_dense()),
                                                 is_non_singular=True, is_self_adjoint=False,
                                                 is_square=True)
        left = ops[0]
        if left.is_positive_definite:
            return left
        # L L^H with a diagonal of any sign: flip columns so the diagonal is positive.
        diag_sign = transform_ops.expand_dims(unary_ops.sign(left.diag_part()), axis=-2)
        return LinearOperatorLowerTriangular(
            tril=left.tril / diag_sign, is_non_singular=left.is_non_singular,
            is_self_adjoint=left.is_self_adjoint,
            is_positive_definite=True if left.is_positive_definite else None, is_square=True)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        order = self.operators if adjoint else list(reversed(self.operators))
        result = order[0].matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)
        for op in order[1:]:
            result = op.matmul(result, adjoint=adjoint)
        return result

    def _determinant(self):
        result = self.operators[0].determinant()
        for op in self.operators[1:]:
            result *= op.determinant()
        return result

    def _log_abs_determinant(self):
        result = self.operators[0].log_abs_determinant()
        for op in self.operators[1:]:
            result += op.log_abs_determinant()
        return result

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        order = list(reversed(self.operators)) if adjoint else self.operators
        solution = order[0].solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)
        for op in order[1:]:
            solution = op.solve(solution, adjoint=adjoint)
        return solution

    def _assert_non_singular(self):
        if all(op.is_square for op in self.operators):
            return array_ops.group([op.assert_non_singular() for op in self.operators])
        return super()._assert_non_singular()


def _batch_and_matrix_shape(operators, rows, cols):
    """Run-time ``broadcast(batch shapes) + [rows, cols]`` (TF broadcasts zeros to find it)."""
    zeros = array_ops.zeros(shape=operators[0].batch_shape_tensor())
    for op in operators[1:]:
        zeros += array_ops.zeros(shape=op.batch_shape_tensor())
    return concat_split_ops.concat(
        (array_ops.shape(zeros), concat_split_ops.stack([rows, cols])), 0)


def _composition_must_be_self_adjoint(operators):
    if len(operators) == 1 and operators[0].is_self_adjoint:
        return True
    return lou.is_aat_form(operators)


class _WrappedOperator(LinearOperator):
    """An operator defined by one other operator, with hints combined from both."""

    _RELATION = ""

    def _init_wrapped(self, operator, is_non_singular, is_self_adjoint, is_positive_definite,
                      is_square, name, suffix, parameters):
        self._operator = operator
        combine = lou.use_operator_or_provided_hint_unless_contradicting
        rel = self._RELATION
        is_square = combine(operator, "is_square", is_square,
                            f"An operator is square if and only if its {rel} is square.")
        is_non_singular = combine(operator, "is_non_singular", is_non_singular,
                                  f"An operator is non-singular if and only if its {rel} is "
                                  "non-singular.")
        is_self_adjoint = combine(operator, "is_self_adjoint", is_self_adjoint,
                                  f"An operator is self-adjoint if and only if its {rel} is "
                                  "self-adjoint.")
        is_positive_definite = combine(operator, "is_positive_definite", is_positive_definite,
                                       f"An operator is positive-definite if and only if its "
                                       f"{rel} is positive-definite.")
        if name is None:
            name = operator.name + suffix
        with name_scope(name):
            LinearOperator.__init__(self, dtype=operator.dtype, is_non_singular=is_non_singular,
                                    is_self_adjoint=is_self_adjoint,
                                    is_positive_definite=is_positive_definite,
                                    is_square=is_square, parameters=parameters, name=name)

    operator = property(lambda self: self._operator, doc="The operator this one is built on.")

    def _assert_non_singular(self):
        return self.operator.assert_non_singular()

    def _assert_positive_definite(self):
        return self.operator.assert_positive_definite()

    def _assert_self_adjoint(self):
        return self.operator.assert_self_adjoint()

    def _cond(self):
        return self.operator.cond()


class LinearOperatorInversion(_WrappedOperator):
    """``A^-1`` of a square, non-singular operator A: matmul is ``A.solve`` and solve is
    ``A.matmul``, so nothing is inverted densely."""

    _RELATION = "inverse"

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        parameters = dict(operator=operator, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        if operator.is_non_singular is False or is_non_singular is False:
            raise ValueError(f"Argument `is_non_singular` or argument `operator` must have "
                             f"supplied hint `is_non_singular` equal to `True` or `None`. "
                             f"Found `operator.is_non_singular`: {operator.is_non_singular}, "
                             f"`is_non_singular`: {is_non_singular}.")
        if operator.is_square is False or is_square is False:
            raise ValueError(f"Argument `is_square` or argument `operator` must have supplied "
                             f"hint `is_square` equal to `True` or `None`. Found "
                             f"`operator.is_square`: {operator.is_square}, "
                             f"`is_square`: {is_square}.")
        self._init_wrapped(operator, is_non_singular, is_self_adjoint, is_positive_definite,
                           is_square, name, "_inv", parameters)

    def _linop_inverse(self):
        return self.operator

    def _linop_solve(self, left_operator, right_operator):
        return left_operator.operator.matmul(right_operator)

    def _shape(self):
        return self.operator.shape

    def _shape_tensor(self):
        return self.operator.shape_tensor()

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self.operator.solve(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _determinant(self):
        return 1.0 / self.operator.determinant()

    def _log_abs_determinant(self):
        return -1.0 * self.operator.log_abs_determinant()

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self.operator.matmul(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _eigvals(self):
        return 1.0 / self.operator.eigvals()


class LinearOperatorAdjoint(_WrappedOperator):
    """``A^H`` of an operator A: every method calls A's with the adjoint flag flipped."""

    _RELATION = "adjoint"

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None):
        parameters = dict(operator=operator, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        self._init_wrapped(operator, is_non_singular, is_self_adjoint, is_positive_definite,
                           is_square, name, "_adjoint", parameters)

    def _linop_adjoint(self):
        return self.operator

    def _shape(self):
        shape = self.operator.shape
        return shape[:-2].concatenate([shape[-1].value, shape[-2].value])

    def _shape_tensor(self):
        shape = self.operator.shape_tensor()
        return concat_split_ops.concat([shape[:-2], concat_split_ops.stack(
            [shape[-1], shape[-2]])], axis=-1)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self.operator.matmul(x, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _matvec(self, x, adjoint=False):
        return self.operator.matvec(x, adjoint=not adjoint)

    def _determinant(self):
        if self.is_self_adjoint:
            return self.operator.determinant()
        return complex_ops.conj(self.operator.determinant())

    def _log_abs_determinant(self):
        return self.operator.log_abs_determinant()

    def _trace(self):
        if self.is_self_adjoint:
            return self.operator.trace()
        return complex_ops.conj(self.operator.trace())

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self.operator.solve(rhs, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _solvevec(self, rhs, adjoint=False):
        return self.operator.solvevec(rhs, adjoint=not adjoint)

    def _to_dense(self):
        if self.is_self_adjoint:
            return self.operator.to_dense()
        return lou.adjoint(self.operator.to_dense())

    def _eigvals(self):
        eigvals = self.operator.eigvals()
        if not self.operator.is_self_adjoint:
            eigvals = complex_ops.conj(eigvals)
        return eigvals
