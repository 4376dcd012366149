"""``LinearOperatorBlockLowerTriangular``: a block lower-triangular matrix of operators, as TF
writes it -- matmul row by row, solve by block forward (or, for the adjoint, backward)
substitution with the diagonal blocks' own solves, determinants from the diagonal blocks.

Its ``inverse()`` needs sums of operators; ``add_operators`` here is TF's
linear_operator_addition (identity-family, diagonal, triangular and full-matrix tiers)."""

from __future__ import annotations

from . import linear_operator_util as lou
from .array_extra import broadcast_static_shape
from .check_ops import assert_proper_iterable
from .graph import convert_to_tensor, name_scope
from .linear_operator_base import LinearOperator
from .linear_operator_basic import (LinearOperatorDiag, LinearOperatorFullMatrix,
                                    LinearOperatorLowerTriangular)
from .linear_operator_block_diag import _BlockOperator
from .linear_operator_identity import LinearOperatorIdentity, LinearOperatorScaledIdentity
from .ops import array_ops, concat_split_ops, math_ops, unary_ops
from .ops.array_extra_ops import broadcast_dynamic_shape

__all__ = ["LinearOperatorBlockLowerTriangular"]


class LinearOperatorBlockLowerTriangular(_BlockOperator):
    """``operators[i]`` is row i's blocks ``[A_i0, ..., A_ii]``; the diagonal blocks (the last
    of each row) must be square, the blocks above the diagonal are zero."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None,
                 name="LinearOperatorBlockLowerTriangular"):
        parameters = dict(operators=operators, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        assert_proper_iterable(operators)
        for row in operators:
            assert_proper_iterable(row)
        operators = [list(row) for row in operators]
        if not operators:
            raise ValueError(f"Argument `operators` must be a list of >=1 operators. "
                             f"Received: {operators}.")
        self._operators = operators
        self._diagonal_operators = [row[-1] for row in operators]
        dtype = operators[0][0].dtype
        self._validate_dtype(dtype)
        is_non_singular = self._validate_non_singular(is_non_singular)
        self._validate_num_operators()
        self._validate_operator_dimensions()
        is_square = self._validate_square(is_square)
        with name_scope(name):
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)

    def _validate_num_operators(self):
        for i, row in enumerate(self.operators):
            if len(row) != i + 1:
                raise ValueError(f"Argument `operators[{i}]` must contain `{i + 1}` blocks. "
                                 f"Received: {len(row)} blocks.")

    def _validate_operator_dimensions(self):
        for i in range(1, len(self.operators)):
            for j in range(i):
                op = self.operators[i][j]
                above, right = self.operators[i - 1][j], self.operators[i][j + 1]
                if op.domain_dimension != above.domain_dimension and \
                        op.domain_dimension.value is not None and \
                        above.domain_dimension.value is not None:
                    raise ValueError(
                        f"Argument `operators[{i}][{j}].domain_dimension` "
                        f"({op.domain_dimension}) must be the same as "
                        f"`operators[{i - 1}][{j}].domain_dimension` "
                        f"({above.domain_dimension}).")
                if op.range_dimension != right.range_dimension and \
                        op.range_dimension.value is not None and \
                        right.range_dimension.value is not None:
                    raise ValueError(
                        f"Argument `operators[{i}][{j}].range_dimension` "
                        f"({op.range_dimension}) must be the same as "
                        f"`operators[{i}][{j + 1}].range_dimension` "
                        f"({right.range_dimension}).")

    def _validate_non_singular(self, is_non_singular):
        if all(op.is_non_singular for op in self._diagonal_operators):
            if is_non_singular is False:
                raise ValueError(
                    f"A blockwise lower-triangular operator with non-singular operators on "
                    f"the main diagonal is always non-singular. Expected argument "
                    f"`is_non_singular` to be True. Received: {is_non_singular}.")
            return True
        if any(op.is_non_singular is False for op in self._diagonal_operators):
            if is_non_singular is True:
                raise ValueError(
                    f"A blockwise lower-triangular operator with a singular operator on the "
                    f"main diagonal is always singular. Expected argument `is_non_singular` "
                    f"to be True. Received: {is_non_singular}.")
            return False
        return None

    def _validate_square(self, is_square):
        if is_square is False:
            raise ValueError(f"`LinearOperatorBlockLowerTriangular` must be square. Expected "
                             f"argument `is_square` to be True. Received: {is_square}.")
        for i, op in enumerate(self._diagonal_operators):
            if op.is_square is False:
                raise ValueError(
                    f"Matrices on the diagonal (the final elements of each row-partition in "
                    f"the `operators` list) must be square. Expected argument "
                    f"`operators[{i}][-1].is_square` to be True. Received: {op.is_square}.")
        return True

    def _validate_dtype(self, dtype):
        for i, row in enumerate(self.operators):
            for op in row:
                if op.dtype != dtype:
                    name_type = (str((o.name, o.dtype)) for o in row)
                    raise TypeError(f"Expected all operators to have the same dtype.  Found "
                                    f"{name_type} in row {i} and {dtype} in row 0.")

    operators = property(lambda self: self._operators)

    def _shape(self):
        domain = sum(self._block_domain_dimensions())
        rng = sum(self._block_range_dimensions())
        batch_shape = self.operators[0][0].batch_shape
        for row in self.operators[1:]:
            for op in row:
                batch_shape = broadcast_static_shape(batch_shape, op.batch_shape)
        return batch_shape.concatenate([domain.value, rng.value])  # (square: TF's order)

    def _shape_tensor(self):
        if self.shape.is_fully_defined():
            return convert_to_tensor(self.shape.as_list(), dtype="int32", name="shape")
        domain = sum(self._block_domain_dimension_tensors())
        rng = sum(self._block_range_dimension_tensors())
        batch_shape = self.operators[0][0].batch_shape_tensor()
        for row in self.operators[1:]:
            for op in row:
                batch_shape = broadcast_dynamic_shape(batch_shape, op.batch_shape_tensor())
        return concat_split_ops.concat(
            (batch_shape, concat_split_ops.stack([domain, rng])), 0)

    def _linop_inverse(self):
        """The inverse, block lower triangular too: built recursively from the upper-left
        blocks' inverse and the bottom row (Schur complement of a triangular matrix)."""
        hints = dict(is_non_singular=self.is_non_singular, is_self_adjoint=self.is_self_adjoint,
                     is_positive_definite=self.is_positive_definite, is_square=True)
        if len(self.operators) == 1:
            return LinearOperatorBlockLowerTriangular([[self.operators[0][0].inverse()]],
                                                      **hints)
        n = len(self.operators)
        upper_left_inverse = LinearOperatorBlockLowerTriangular(self.operators[:-1]).inverse()
        bottom_row = self.operators[-1]
        bottom_right_inverse = bottom_row[-1].inverse()
        inverse_bottom_row = []
        for i in range(n - 1):
            blocks = []
            for j in range(i, n - 1):
                result = bottom_row[j].matmul(upper_left_inverse.operators[j][i])
                if not isinstance(result, tuple(_SUPPORTED_OPERATORS)):
                    result = LinearOperatorFullMatrix(result.to_dense())
                blocks.append(result)
            summed = add_operators(blocks)
            assert len(summed) == 1  # the last tier adds anything
            block = bottom_right_inverse.matmul(summed[0])
            block = LinearOperatorScaledIdentity(
                num_rows=bottom_right_inverse.domain_dimension_tensor(),
                multiplier=math_ops.cast(-1, dtype=block.dtype)).matmul(block)
            inverse_bottom_row.append(block)
        inverse_bottom_row.append(bottom_right_inverse)
        return LinearOperatorBlockLowerTriangular(
            upper_left_inverse.operators + [inverse_bottom_row], **hints)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        arg_dim = -1 if adjoint_arg else -2
        block_dimensions = (self._block_range_dimensions() if adjoint
                            else self._block_domain_dimensions())
        blockwise = lou.arg_is_blockwise(block_dimensions, x, arg_dim)
        split_x = x if blockwise else lou.split_arg_into_blocks(
            self._block_domain_dimensions(), self._block_domain_dimension_tensors, x,
            axis=arg_dim)
        ops = self.operators
        results = []
        if adjoint:  # column i of the blocks, adjointed
            for index in range(len(ops)):
                result = ops[index][index].matmul(split_x[index], adjoint=adjoint,
                                                  adjoint_arg=adjoint_arg)
                for j in range(index + 1, len(ops)):
                    result += ops[j][index].matmul(split_x[j], adjoint=adjoint,
                                                   adjoint_arg=adjoint_arg)
                results.append(result)
        else:
            for row in ops:
                result = row[0].matmul(split_x[0], adjoint=adjoint, adjoint_arg=adjoint_arg)
                for j, op in enumerate(row[1:]):
                    result += op.matmul(split_x[j + 1], adjoint=adjoint,
                                        adjoint_arg=adjoint_arg)
                results.append(result)
        return results if blockwise else self._batch_broadcast_concat(results)

    def _determinant(self):
        if all(op.is_positive_definite for op in self._diagonal_operators):
            return unary_ops.exp(self._log_abs_determinant())
        result = self._diagonal_operators[0].determinant()
        for op in self._diagonal_operators[1:]:
            result *= op.determinant()
        return result

    def _log_abs_determinant(self):
        result = self._diagonal_operators[0].log_abs_determinant()
        for op in self._diagonal_operators[1:]:
            result += op.log_abs_determinant()
        return result

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """X with ``A X = rhs`` by block substitution; rhs may be a list of per-block
        Tensors (then a list is returned)."""
        if isinstance(rhs, LinearOperator):
            left, right = self._solve_prelude(rhs, adjoint, adjoint_arg, name)
            with self._name_scope(name):
                return self._linop_solve(left, right)
        self._check_solvable()
        with self._name_scope(name):
            block_dimensions = (self._block_domain_dimensions() if adjoint
                                else self._block_range_dimensions())
            arg_dim = -1 if adjoint_arg else -2
            blockwise = lou.arg_is_blockwise(block_dimensions, rhs, arg_dim)
            if blockwise:
                rhs = self._checked_blocks(rhs, block_dimensions, arg_dim)
                split_rhs = [lou.adjoint(y) for y in rhs] if adjoint_arg else rhs
            else:
                rhs = self._checked_whole(
                    rhs, self.domain_dimension if adjoint else self.range_dimension, arg_dim,
                    "rhs")
                rhs = lou.adjoint(rhs) if adjoint_arg else rhs
                split_rhs = lou.split_arg_into_blocks(
                    self._block_domain_dimensions(), self._block_domain_dimension_tensors, rhs,
                    axis=-2)
            ops = self.operators
            solutions = []
            if adjoint:  # backward substitution with the adjointed blocks
                for index in reversed(range(len(ops))):
                    y = split_rhs[index]
                    for j in reversed(range(index + 1, len(ops))):
                        y = y - ops[j][index].matmul(solutions[len(ops) - 1 - j],
                                                     adjoint=adjoint)
                    solutions.append(self._diagonal_operators[index].solve(y, adjoint=adjoint))
                solutions.reverse()
            else:
                for row, y in zip(ops, split_rhs):
                    for i, op in enumerate(row[:-1]):
                        y = y - op.matmul(solutions[i], adjoint=adjoint)
                    solutions.append(row[-1].solve(y, adjoint=adjoint))
            return solutions if blockwise else self._batch_broadcast_concat(solutions)

    def _diag_part(self):
        return self._diagonal_parts("diag_part")

    def _trace(self):
        result = self._diagonal_operators[0].trace()
        for op in self._diagonal_operators[1:]:
            result += op.trace()
        return result

    def _to_dense(self):
        num_cols = 0
        dense_rows = []
        flat = lou.broadcast_matrix_batch_dims(
            [op.to_dense() for row in self.operators for op in row])
        rows = [flat[i * (i + 1) // 2:(i + 1) * (i + 2) // 2]
                for i in range(len(self.operators))]
        for row_blocks in rows:
            batch_row_shape = array_ops.shape(row_blocks[0])[:-1]
            num_cols += array_ops.shape(row_blocks[-1])[-1]
            pad = array_ops.zeros(concat_split_ops.concat(
                [batch_row_shape, concat_split_ops.stack(
                    [self.domain_dimension_tensor() - num_cols])], axis=-1), self.dtype)
            dense_rows.append(concat_split_ops.concat(list(row_blocks) + [pad], axis=-1))
        mat = concat_split_ops.concat(dense_rows, axis=-2)
        mat.set_shape(self.shape)
        return mat

    def _assert_non_singular(self):
        return array_ops.group([op.assert_non_singular() for op in self._diagonal_operators])

    def _eigvals(self):
        return self._diagonal_parts("eigvals")


# -- TF's linear_operator_addition: sums of operators by tiers -----------------------------------

_SUPPORTED_OPERATORS = [LinearOperatorDiag, LinearOperatorLowerTriangular,
                        LinearOperatorFullMatrix, LinearOperatorIdentity,
                        LinearOperatorScaledIdentity]
_DIAG_LIKE = {"diag", "identity", "scaled_identity"}
_IDENTITY_FAMILY = {"identity", "scaled_identity"}


def _type(operator):
    for cls, kind in ((LinearOperatorDiag, "diag"), (LinearOperatorLowerTriangular, "tril"),
                      (LinearOperatorFullMatrix, "matrix"), (LinearOperatorIdentity, "identity"),
                      (LinearOperatorScaledIdentity, "scaled_identity")):
        if isinstance(operator, cls):
            return kind
    raise TypeError(f"Expected operator to be one of [LinearOperatorDiag, "
                    f"LinearOperatorLowerTriangular, LinearOperatorFullMatrix, "
                    f"LinearOperatorIdentity, LinearOperatorScaledIdentity]. "
                    f"Received: {operator}")


def _sum_hints(op1, op2):
    is_self_adjoint = op1.is_self_adjoint and op2.is_self_adjoint
    is_positive_definite = op1.is_positive_definite and op2.is_positive_definite
    return dict(is_non_singular=True if is_positive_definite else None,
                is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite)


def _add_scaled_identity(op1, op2, name, hints):
    def multiplier(op):
        if _type(op) == "scaled_identity":
            return op.multiplier
        return array_ops.ones(op.batch_shape_tensor(), dtype=op.dtype)
    return LinearOperatorScaledIdentity(num_rows=op1.range_dimension_tensor(),
                                        multiplier=multiplier(op1) + multiplier(op2), name=name,
                                        **hints)


def _add_with_dense(cls):
    def add(op1, op2, name, hints):
        first, other = (op1, op2) if _type(op1) in _DIAG_LIKE else (op2, op1)
        return cls(first.add_to_tensor(other.to_dense()), name=name, **hints)
    return add


_TIERS = [  # (scope name, can_add(types), add)
    ("AddAndReturnScaledIdentity", lambda t: not t - _IDENTITY_FAMILY, _add_scaled_identity),
    ("AddAndReturnDiag", lambda t: not t - _DIAG_LIKE,
     lambda op1, op2, name, hints: LinearOperatorDiag(op1.diag_part() + op2.diag_part(),
                                                      name=name, **hints)),
    ("AddAndReturnTriL", lambda t: not t - (_DIAG_LIKE | {"tril"}),
     _add_with_dense(LinearOperatorLowerTriangular)),
    ("AddAndReturnMatrix", lambda t: True, _add_with_dense(LinearOperatorFullMatrix)),
]


def add_operators(operators, operator_name=None, name=None):
    """The sum of operators, as few operators as the tiers allow (TF's add_operators)."""
    assert_proper_iterable(operators)
    operators = list(reversed(operators))
    if not operators:
        raise ValueError(f"Argument `operators` must contain at least one operator. "
                         f"Received: {operators}.")
    if not all(isinstance(op, LinearOperator) for op in operators):
        raise TypeError(f"Argument `operators` must contain only LinearOperator instances. "
                        f"Received: {operators}.")
    for attr in ("domain_dimension", "range_dimension"):
        values = {lou.dimension_value(getattr(op, attr)) for op in operators} - {None}
        if len(operators) > 1 and len(values) > 1:
            raise ValueError(f"All `operators` must have the same `{attr}`. Received: "
                             f"{[(op.name, getattr(op, attr)) for op in operators]}.")
    batch_shape = operators[0].batch_shape
    for op in operators[1:]:
        batch_shape = broadcast_static_shape(batch_shape, op.batch_shape)
    with name_scope(name or "add_operators"):
        next_tier = list(operators)
        for scope, can_add, add in _TIERS:
            this_tier, next_tier = next_tier, []
            while this_tier:
                op1 = this_tier.pop()
                match = None
                for i in range(1, len(this_tier) + 1):
                    if can_add({_type(op1), _type(this_tier[-i])}):
                        match = this_tier.pop(-i)
                        break
                if match is None:
                    next_tier.append(op1)
                    continue
                op_name = operator_name or f"Add/{op1.name}__{match.name}/"
                with name_scope(scope):
                    this_tier.append(add(op1, match, op_name, _sum_hints(op1, match)))
        return next_tier
