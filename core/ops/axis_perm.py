"""Run-time permutations that bring one axis of a tensor of unknown rank to the end, for the ops
that work on the last axis only (softmax, cross-entropy, sort): TF builds the same from
``tf.rank`` when the rank is not known when the graph is built."""

from __future__ import annotations

from ..graph import control_dependencies, name_scope
from . import array_ops, concat_split_ops, logic_ops, math_ops
from .logging_ops import Assert


def axis_to_last(x, axis: int, what: str, swap: bool = True):
    """For ``x`` of unknown rank: the permutation taking ``axis`` (negative counts from the end)
    to the end, swapped with the last axis (its own inverse: TF's softmax and sort) or moved
    behind the others (TF's cross-entropy), and the length of ``axis``; both after a run-time
    check that ``axis`` is in range, which fails with an InvalidArgumentError naming ``what``
    and the shape (TF's own error would come from the strided slice that reads the length)."""
    rank = array_ops.rank(x)
    check = Assert(logic_ops.logical_and(logic_ops.greater_equal(axis, -rank),
                                         logic_ops.less(axis, rank)),
                   [f"{what}: axis {axis} is out of range: it must be in [-rank, rank) for "
                    "values of rank", rank, "and shape", array_ops.shape(x)],
                   summarize=32, name="check_axis")
    with name_scope(None, "transposition", [x]), control_dependencies([check]):
        axis_t = math_ops.add(axis, rank) if axis < 0 else array_ops.constant(axis)
        last = math_ops.subtract(rank, 1)
        if swap:
            dims = array_ops.range_(rank)
            perm = logic_ops.where_v2(logic_ops.equal(dims, axis_t), last,
                                      logic_ops.where_v2(logic_ops.equal(dims, last), axis_t,
                                                         dims))
        else:  # the others in order (each one at or past axis shifted by one), then axis
            dims = array_ops.range_(last)
            rest = math_ops.add(dims, math_ops.cast(logic_ops.greater_equal(dims, axis_t),
                                                    dims.dtype))
            perm = concat_split_ops.concat([rest, array_ops.reshape(axis_t, [1])], 0)
        k = array_ops.shape(x)[axis]
    return perm, k
