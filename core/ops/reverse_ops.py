"""ReverseV2: a tensor with the order of some of its dimensions reversed (what ``tf.reverse``,
``tf.image.flip_*`` and ``tf.image.rot90`` write in TensorFlow's graphs). Its public wrapper,
``tf.reverse``, is in core/composites.py."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, register, shape_error
from ._math_util import _check_dtype
from ._util import const_ints, same_as

_MAX_RANK = 8  # TensorFlow's kernel is instantiated up to rank 8


def _canonical_axes(axes, rank, error):
    """``axes`` made non-negative; out-of-range and repeated axes raise ``error(message)``
    with TensorFlow's words."""
    seen = []
    for i, a in enumerate(axes):
        c = a + rank if a < 0 else a
        if not 0 <= c < rank:
            raise error(f"'axis'[{i}] = {a} is out of valid range [0, {rank - 1}")
        if c in seen:
            raise error(f"axis {c} specified more than once.")
        seen.append(c)
    return seen


def _invalid(message):
    return InvalidArgumentError(None, None, message)


def _reverse_v2_kernel(tensor, axis):
    tensor, axis = np.asarray(tensor), np.asarray(axis)
    if axis.ndim != 1:
        raise _invalid(f"'dims' must be 1-dimension, not {axis.ndim}")
    if tensor.ndim > _MAX_RANK:
        raise _invalid(f"reverse is not implemented for tensors of rank > {_MAX_RANK}.")
    axes = _canonical_axes([int(a) for a in axis], tensor.ndim, _invalid)
    return np.flip(tensor, axes).copy() if axes else tensor


def _reverse_v2_infer(tensor, axis):
    _check_dtype(axis, ("int32", "int64"), "Tidx")
    if axis.shape.rank is not None and axis.shape.rank != 1:
        raise shape_error(f"Shape must be rank 1 but is rank {axis.shape.rank}")
    rank = tensor.shape.rank
    if rank is not None and rank > _MAX_RANK:
        raise shape_error(f"reverse does not work on tensors with more than {_MAX_RANK} "
                          "dimensions")
    axes = const_ints(axis)
    if axes is not None and rank is not None:
        _canonical_axes(axes, rank, shape_error)
    return same_as(tensor)


REVERSE_V2 = register(OpDef(
    "ReverseV2", inputs=["tensor:T", "axis:Tidx=int32"],
    kernel=_reverse_v2_kernel, infer=_reverse_v2_infer,
    # Reversing is its own inverse: the gradient reverses dy over the same axes.
    grad=lambda op, dy: [REVERSE_V2(dy, op.inputs[1]), None],
    doc="tensor with the order of each of its `axis` dimensions reversed",
))
