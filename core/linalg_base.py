"""``tf.linalg.matrix_transpose`` and ``tf.linalg.adjoint``: the one implementation of both.

They live below linalg.py because the linear operators need them too, and linalg.py imports
the operators (``tf.linalg.LinearOperator...``): linalg.py and linear_operator_util.py both
import them from here, so there is no cycle and no copy."""

from __future__ import annotations

from .graph import convert_to_tensor, name_scope
from .ops import array_ops, concat_split_ops, transform_ops

__all__ = ["adjoint", "matrix_transpose"]


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """``tf.linalg.matrix_transpose``: the last two dimensions swapped (and conjugated, for a
    complex tensor with ``conjugate``: one ConjugateTranspose node, as TF)."""
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


def adjoint(matrix, name=None):
    """``tf.linalg.adjoint``: the conjugate transpose (the transpose for real dtypes)."""
    with name_scope(name, "adjoint", [matrix]):
        return matrix_transpose(convert_to_tensor(matrix, name="matrix"), conjugate=True)
