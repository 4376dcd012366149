"""``LinearOperatorBlockDiag``: the direct sum of operators (a block-diagonal matrix), used
block by block as TF writes it -- the argument is split into the blocks' rows, each block
applies its own matmul/solve, and the results are concatenated. A list of per-block Tensors is
also accepted (and a list is returned). The blockwise argument handling is shared with
``LinearOperatorBlockLowerTriangular``."""

from __future__ import annotations

from . import linear_operator_util as lou
from .array_extra import broadcast_static_shape
from .check_ops import assert_proper_iterable
from .graph import convert_to_tensor, name_scope
from .linear_operator_base import LinearOperator
from .ops import array_ops, concat_split_ops, transform_ops

__all__ = ["LinearOperatorBlockDiag"]


def _check_operators_agree(right, left, message):
    if right.range_dimension != left.domain_dimension:  # None (unknown) passes
        raise ValueError(message)


class _BlockOperator(LinearOperator):
    """Block dimensions and the blockwise forms of matmul, matvec and solvevec."""

    def _block_range_dimensions(self):
        return [op.range_dimension for op in self._diagonal_operators]

    def _block_domain_dimensions(self):
        return [op.domain_dimension for op in self._diagonal_operators]

    def _block_range_dimension_tensors(self):
        return [op.range_dimension_tensor() for op in self._diagonal_operators]

    def _block_domain_dimension_tensors(self):
        return [op.domain_dimension_tensor() for op in self._diagonal_operators]

    def _checked_blocks(self, blocks, block_dimensions, arg_dim):
        """The per-block arguments as Tensors of this dtype with compatible dimensions."""
        blocks = list(blocks)
        for i, block in enumerate(blocks):
            if not isinstance(block, LinearOperator):
                block = convert_to_tensor(block)
                self._check_input_dtype(block)
                lou.assert_dims_compatible(block_dimensions[i], block.shape[arg_dim])
                blocks[i] = block
        return blocks

    def _checked_whole(self, x, op_dimension, arg_dim, name):
        x = convert_to_tensor(x, name=name)
        self._check_input_dtype(x)
        lou.assert_dims_compatible(op_dimension, lou.dimension_at_index(x.shape, arg_dim))
        return x

    def _check_linop_blocks(self, left, right):
        """Further checks on an operator argument of matmul (BlockDiag's, by the blocks)."""

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """``A @ x`` for a Tensor, a list of per-block Tensors (giving a list) or an
        operator."""
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            _check_operators_agree(
                right, left, f"Operators are incompatible. Expected `x` to have dimension "
                             f"{left.domain_dimension} but got {right.range_dimension}.")
            self._check_linop_blocks(left, right)
            with self._name_scope(name):
                return self._linop_matmul(left, right)
        with self._name_scope(name):
            arg_dim = -1 if adjoint_arg else -2
            block_dimensions = (self._block_range_dimensions() if adjoint
                                else self._block_domain_dimensions())
            if lou.arg_is_blockwise(block_dimensions, x, arg_dim):
                x = self._checked_blocks(x, block_dimensions, arg_dim)
            else:
                x = self._checked_whole(
                    x, self.range_dimension if adjoint else self.domain_dimension, arg_dim, "x")
            return self._matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def matvec(self, x, adjoint=False, name="matvec"):
        with self._name_scope(name):
            block_dimensions = (self._block_range_dimensions() if adjoint
                                else self._block_domain_dimensions())
            if lou.arg_is_blockwise(block_dimensions, x, -1):
                x = self._checked_blocks(x, block_dimensions, -1)
                y_mat = self.matmul([block[..., None] for block in x], adjoint=adjoint)
                return [transform_ops.squeeze(y, axis=-1) for y in y_mat]
            x = self._checked_whole(
                x, self.range_dimension if adjoint else self.domain_dimension, -1, "x")
            return transform_ops.squeeze(self.matmul(x[..., None], adjoint=adjoint), axis=-1)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        with self._name_scope(name):
            block_dimensions = (self._block_domain_dimensions() if adjoint
                                else self._block_range_dimensions())
            if lou.arg_is_blockwise(block_dimensions, rhs, -1):
                rhs = self._checked_blocks(rhs, block_dimensions, -1)
                solution = self.solve([transform_ops.expand_dims(b, axis=-1) for b in rhs],
                                      adjoint=adjoint)
                return [transform_ops.squeeze(x, axis=-1) for x in solution]
            rhs = self._checked_whole(
                rhs, self.domain_dimension if adjoint else self.range_dimension, -1, "rhs")
            solution = self.solve(transform_ops.expand_dims(rhs, axis=-1), adjoint=adjoint)
            return transform_ops.squeeze(solution, axis=-1)

    def _solve_prelude(self, rhs, adjoint, adjoint_arg, name):
        """The checks of solve, and the operator result for an operator rhs (else None)."""
        self._check_solvable()
        left = self.adjoint() if adjoint else self
        right = rhs.adjoint() if adjoint_arg else rhs
        _check_operators_agree(
            right, left, f"Operators are incompatible. Expected `x` to have dimension "
                         f"{left.domain_dimension} but got {right.range_dimension}.")
        return left, right

    def _batch_broadcast_concat(self, blocks, axis=-2):
        return concat_split_ops.concat(lou.broadcast_matrix_batch_dims(blocks), axis=axis)

    def _diagonal_parts(self, method):
        """The diagonal blocks' diag_part (or eigvals), concatenated."""
        parts = [getattr(op, method)()[..., None] for op in self._diagonal_operators]
        return transform_ops.squeeze(self._batch_broadcast_concat(parts), axis=-1)


class LinearOperatorBlockDiag(_BlockOperator):
    """``diag(A1, ..., An)`` for operators A_i (square blocks by default); shape
    ``[B, sum(M_i), sum(N_i)]`` with the blocks' batch shapes broadcast."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name=None):
        parameters = dict(operators=operators, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          name=name)
        assert_proper_iterable(operators)
        operators = list(operators)
        if not operators:
            raise ValueError(f"Expected a non-empty list of operators. Found: {operators}")
        self._operators = operators
        self._diagonal_operators = operators
        dtype = operators[0].dtype
        for op in operators:
            if op.dtype != dtype:
                raise TypeError("Expected all operators to have the same dtype.  Found " +
                                "   ".join(str((o.name, o.dtype)) for o in operators))
        if all(op.is_non_singular for op in operators):
            if is_non_singular is False:
                raise ValueError("The direct sum of non-singular operators is always "
                                 "non-singular.")
            is_non_singular = True
        if all(op.is_self_adjoint for op in operators):
            if is_self_adjoint is False:
                raise ValueError("The direct sum of self-adjoint operators is always "
                                 "self-adjoint.")
            is_self_adjoint = True
        if all(op.is_positive_definite for op in operators):
            if is_positive_definite is False:
                raise ValueError("The direct sum of positive definite operators is always "
                                 "positive definite.")
            is_positive_definite = True
        if name is None:
            name = "_ds_".join(op.name for op in operators)
        with name_scope(name):
            super().__init__(dtype=dtype, is_non_singular=is_non_singular,
                             is_self_adjoint=is_self_adjoint,
                             is_positive_definite=is_positive_definite, is_square=is_square,
                             parameters=parameters, name=name)

    operators = property(lambda self: self._operators)

    def _shape(self):
        domain = sum(self._block_domain_dimensions())
        rng = sum(self._block_range_dimensions())
        batch_shape = self.operators[0].batch_shape
        for op in self.operators[1:]:
            batch_shape = broadcast_static_shape(batch_shape, op.batch_shape)
        return batch_shape.concatenate([rng.value, domain.value])

    def _shape_tensor(self):
        if self.shape.is_fully_defined():
            return convert_to_tensor(self.shape.as_list(), dtype="int32", name="shape")
        domain = sum(self._block_domain_dimension_tensors())
        rng = sum(self._block_range_dimension_tensors())
        zeros = array_ops.zeros(shape=self.operators[0].batch_shape_tensor())
        for op in self.operators[1:]:
            zeros += array_ops.zeros(shape=op.batch_shape_tensor())
        return concat_split_ops.concat(
            (array_ops.shape(zeros), concat_split_ops.stack([rng, domain])), 0)

    def _blocks(self, operators, **hints):
        return LinearOperatorBlockDiag(operators=operators, is_square=True, **hints)

    def _linop_adjoint(self):
        return self._blocks([op.adjoint() for op in self.operators],
                            is_non_singular=self.is_non_singular,
                            is_self_adjoint=self.is_self_adjoint,
                            is_positive_definite=self.is_positive_definite)

    def _linop_cholesky(self):
        return self._blocks([op.cholesky() for op in self.operators], is_non_singular=True,
                            is_self_adjoint=None)

    def _linop_inverse(self):
        return self._blocks([op.inverse() for op in self.operators],
                            is_non_singular=self.is_non_singular,
                            is_self_adjoint=self.is_self_adjoint,
                            is_positive_definite=self.is_positive_definite)

    def _linop_matmul(self, left_operator, right_operator):
        if isinstance(right_operator, LinearOperatorBlockDiag):
            return self._blocks(
                [o1.matmul(o2) for o1, o2 in zip(left_operator.operators,
                                                 right_operator.operators)],
                is_non_singular=lou.combined_non_singular_hint(left_operator, right_operator),
                is_self_adjoint=None, is_positive_definite=None)
        return super()._linop_matmul(left_operator, right_operator)

    def _linop_solve(self, left_operator, right_operator):
        if isinstance(right_operator, LinearOperatorBlockDiag):
            return self._blocks(
                [o1.solve(o2) for o1, o2 in zip(left_operator.operators,
                                                right_operator.operators)],
                is_non_singular=lou.combined_non_singular_hint(left_operator, right_operator),
                is_self_adjoint=None, is_positive_definite=None)
        return super()._linop_solve(left_operator, right_operator)

    def _check_block_pairs(self, left, right, what):
        if isinstance(right, LinearOperatorBlockDiag):
            if len(left.operators) != len(right.operators):
                raise ValueError(f"Can not efficiently {what} when number of blocks differ.")
            for o1, o2 in zip(left.operators, right.operators):
                _check_operators_agree(
                    o2, o1, f"Blocks are incompatible. Expected `x` to have dimension "
                            f"{o1.domain_dimension} but got {o2.range_dimension}.")

    def _check_linop_blocks(self, left, right):
        if isinstance(right, LinearOperatorBlockDiag):  # TF checks x's type here
            self._check_block_pairs(left, right,
                                    "multiply two `LinearOperatorBlockDiag`s together")

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        arg_dim = -1 if adjoint_arg else -2
        block_dimensions = (self._block_range_dimensions() if adjoint
                            else self._block_domain_dimensions())
        dims_fn = (self._block_range_dimension_tensors if adjoint
                   else self._block_domain_dimension_tensors)
        blockwise = lou.arg_is_blockwise(block_dimensions, x, arg_dim)
        split_x = x if blockwise else lou.split_arg_into_blocks(block_dimensions, dims_fn, x,
                                                                axis=arg_dim)
        results = [op.matmul(split_x[i], adjoint=adjoint, adjoint_arg=adjoint_arg)
                   for i, op in enumerate(self.operators)]
        return results if blockwise else self._batch_broadcast_concat(results)

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

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """X with ``A X = rhs``, block by block; rhs may be a list of per-block Tensors."""
        if isinstance(rhs, LinearOperator):
            left, right = self._solve_prelude(rhs, adjoint, adjoint_arg, name)
            self._check_block_pairs(left, right, "solve `LinearOperatorBlockDiag`")
            with self._name_scope(name):
                return self._linop_solve(left, right)
        self._check_solvable()
        with self._name_scope(name):
            block_dimensions = (self._block_domain_dimensions() if adjoint
                                else self._block_range_dimensions())
            arg_dim = -1 if adjoint_arg else -2
            blockwise = lou.arg_is_blockwise(block_dimensions, rhs, arg_dim)
            if blockwise:
                split_rhs = self._checked_blocks(rhs, block_dimensions, arg_dim)
            else:
                rhs = self._checked_whole(
                    rhs, self.domain_dimension if adjoint else self.range_dimension, arg_dim,
                    "rhs")
                split_rhs = lou.split_arg_into_blocks(
                    self._block_domain_dimensions(), self._block_domain_dimension_tensors, rhs,
                    axis=arg_dim)
            solutions = [op.solve(split_rhs[i], adjoint=adjoint, adjoint_arg=adjoint_arg)
                         for i, op in enumerate(self.operators)]
            return solutions if blockwise else self._batch_broadcast_concat(solutions)

    def _require_square_blocks(self, what):
        if not all(op.is_square for op in self.operators):
            raise NotImplementedError(f"`{what}` not implemented for an operator whose blocks "
                                      "are not square.")

    def _diag_part(self):
        self._require_square_blocks("diag_part")
        return self._diagonal_parts("diag_part")

    def _trace(self):
        self._require_square_blocks("trace")
        result = self.operators[0].trace()
        for op in self.operators[1:]:
            result += op.trace()
        return result

    def _to_dense(self):
        num_cols = 0
        rows = []
        blocks = lou.broadcast_matrix_batch_dims([op.to_dense() for op in self.operators])
        for block in blocks:
            batch_row_shape = array_ops.shape(block)[:-1]
            before = array_ops.zeros(
                concat_split_ops.concat([batch_row_shape, [num_cols]], axis=-1), block.dtype)
            num_cols += array_ops.shape(block)[-1]
            after = array_ops.zeros(concat_split_ops.concat(
                [batch_row_shape, concat_split_ops.stack(
                    [self.domain_dimension_tensor() - num_cols])], axis=-1), block.dtype)
            rows.append(concat_split_ops.concat([before, block, after], axis=-1))
        mat = concat_split_ops.concat(rows, axis=-2)
        mat.set_shape(self.shape)
        return mat

    def _assert_non_singular(self):
        return array_ops.group([op.assert_non_singular() for op in self.operators])

    def _assert_self_adjoint(self):
        return array_ops.group([op.assert_self_adjoint() for op in self.operators])

    def _assert_positive_definite(self):
        return array_ops.group([op.assert_positive_definite() for op in self.operators])

    def _eigvals(self):
        self._require_square_blocks("eigvals")
        return self._diagonal_parts("eigvals")
