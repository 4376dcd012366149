"""SpaceToBatchND and BatchToSpaceND, the block rearrangements atrous convolution runs on:
TensorFlow's names, attrs, shape functions and gradient graphs, and the wrappers
``tf.space_to_batch_nd`` / ``tf.batch_to_space_nd`` and TF1's square-block
``tf.space_to_batch`` / ``tf.batch_to_space``. depthwise_conv_ops re-exports them (its
``__all__`` gives ``tf.nn.space_to_batch``); core/__init__.py imports the root's names.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, shape_error
from . import array_ops
from ._conv_util import _alias, _merge
from ._util import const_ints

__all__ = ["space_to_batch"]


# -- SpaceToBatchND / BatchToSpaceND ---------------------------------------------------------------
# What atrous (dilated) convolution runs on in TensorFlow's graphs (with_space_to_batch in
# nn_convolution.py): the M block dimensions after the batch are padded and folded into the
# batch, block offsets major, and unfolded back.


def _block_args(op, x, block_shape, amounts, what):
    block = [int(b) for b in np.asarray(block_shape).reshape(-1)]
    m = len(block)
    amounts = np.asarray(amounts).astype(np.int64)
    if np.asarray(block_shape).ndim != 1 or amounts.shape != (m, 2):
        raise InvalidArgumentError(None, None, f"{op}: block_shape must be 1-D and {what} of "
                                   f"shape [{m}, 2], got {list(np.shape(block_shape))} and "
                                   f"{list(amounts.shape)}")
    if x.ndim < m + 1:
        raise InvalidArgumentError(None, None, f"{op}: input rank should be >= {m + 1} instead "
                                   f"of {x.ndim}")
    if min(block, default=1) < 1:
        raise InvalidArgumentError(None, None, f"{op}: block_shape must be positive, got "
                                   f"{block}")
    if (amounts < 0).any():
        raise InvalidArgumentError(None, None, f"{op}: {what} must be non-negative, got "
                                   f"{amounts.tolist()}")
    return block, m, amounts.tolist()


def _space_to_batch_kernel(input, block_shape, paddings):  # noqa: A002
    block, m, pads = _block_args("SpaceToBatchND", input, block_shape, paddings, "paddings")
    x = np.pad(input, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (input.ndim - m - 1))
    n, spatial, rest = x.shape[0], x.shape[1:m + 1], x.shape[m + 1:]
    for i, (s, b) in enumerate(zip(spatial, block)):
        if s % b:
            raise InvalidArgumentError(None, None, f"SpaceToBatchND: padded_shape[{i}]={s} is "
                                       f"not divisible by block_shape[{i}]={b}")
    split = [n] + [v for s, b in zip(spatial, block) for v in (s // b, b)] + list(rest)
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + \
        list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    out = x.reshape(split).transpose(perm)
    return out.reshape([n * int(np.prod(block))] + [s // b for s, b in zip(spatial, block)]
                       + list(rest))


def _batch_to_space_kernel(input, block_shape, crops):  # noqa: A002
    block, m, crops = _block_args("BatchToSpaceND", input, block_shape, crops, "crops")
    prod = int(np.prod(block))
    n, spatial, rest = input.shape[0], input.shape[1:m + 1], input.shape[m + 1:]
    if n % prod:
        raise InvalidArgumentError(None, None, f"BatchToSpaceND: input batch dimension ({n}) "
                                   f"is not divisible by product of block sizes ({prod})")
    for i, (s, b, (c0, c1)) in enumerate(zip(spatial, block, crops)):
        if c0 + c1 > s * b:
            raise InvalidArgumentError(None, None, f"BatchToSpaceND: crops must be less than "
                                       f"or equal to input spatial dimension {i}'s size "
                                       f"{s * b} times block, got {c0} + {c1}")
    x = input.reshape(block + [n // prod] + list(spatial) + list(rest))
    perm = [m] + [v for i in range(m) for v in (m + 1 + i, i)] + \
        list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    x = x.transpose(perm).reshape([n // prod] + [s * b for s, b in zip(spatial, block)]
                                  + list(rest))
    window = tuple(slice(c0, s * b - c1) for s, b, (c0, c1) in zip(spatial, block, crops))
    return np.ascontiguousarray(x[(slice(None),) + window])


def _block_infer(op, x, block_shape, amounts, what):
    """(dims of x or None, block values or None, amounts rows or None, M or None)."""
    bs = block_shape.shape.as_tuple()
    if bs is not None and len(bs) != 1:
        raise shape_error("block_shape must have rank 1.")
    m = bs[0] if bs is not None else None
    ashape = amounts.shape.as_tuple()
    if ashape is not None:
        if len(ashape) != 2:
            raise shape_error(f"Shape must be rank 2 but is rank {len(ashape)}")
        m = _merge(m, ashape[0])
        _merge(ashape[1], 2)
    dims = x.shape.as_tuple()
    if dims is not None and m is not None and len(dims) < m + 1:
        raise shape_error(f"Shape must be at least rank {m + 1} but is rank {len(dims)}")
    block = const_ints(block_shape)
    rows = const_ints(amounts)
    if block is not None and min(block, default=1) < 1:
        raise shape_error("block_shape must be positive")
    if rows is not None:
        if min(rows, default=0) < 0:
            raise shape_error(f"{what} cannot be negative")
        rows = [rows[i:i + 2] for i in range(0, len(rows), 2)]
    return dims, block, rows, m


def _divisible(size, b):
    if size is not None and size % b:
        raise shape_error(f"Dimension size must be evenly divisible by {b} but is {size}")


def _space_to_batch_infer(x, block_shape, paddings):
    dims, block, pads, m = _block_infer("SpaceToBatchND", x, block_shape, paddings, "paddings")
    if dims is None:
        return [TensorSpec(None, x.dtype)]
    if m is None:
        return [TensorSpec([None] * len(dims), x.dtype)]
    spatial = [None] * m
    n = dims[0] if m == 0 else None
    if block is not None:  # the batch needs only the block shape (TF's shape function)
        n = None if dims[0] is None else dims[0] * int(np.prod(block))
    if block is not None and pads is not None:
        spatial = []
        for d, b, (p0, p1) in zip(dims[1:m + 1], block, pads):
            size = None if d is None else d + p0 + p1
            _divisible(size, b)
            spatial.append(None if size is None else size // b)
    return [TensorSpec([n] + spatial + list(dims[m + 1:]), x.dtype)]


def _batch_to_space_infer(x, block_shape, crops):
    dims, block, crops, m = _block_infer("BatchToSpaceND", x, block_shape, crops, "crops")
    if dims is None:
        return [TensorSpec(None, x.dtype)]
    if m is None:
        return [TensorSpec([None] * len(dims), x.dtype)]
    spatial = [None] * m
    n = None
    if block is not None:
        prod = int(np.prod(block))
        _divisible(dims[0], prod)
        n = None if dims[0] is None else dims[0] // prod
    if block is not None and crops is not None:
        spatial = []
        for d, b, (c0, c1) in zip(dims[1:m + 1], block, crops):
            if d is None:
                spatial.append(None)
                continue
            if c0 + c1 > d * b:
                raise shape_error(f"Negative dimension size caused by subtracting {c0 + c1} "
                                  f"from {d * b}")
            spatial.append(d * b - c0 - c1)
    return [TensorSpec([n] + spatial + list(dims[m + 1:]), x.dtype)]


SPACE_TO_BATCH_ND = register(OpDef(
    "SpaceToBatchND",
    inputs=["input:T", "block_shape:Tblock_shape=int32", "paddings:Tpaddings=int32"],
    kernel=_space_to_batch_kernel, infer=_space_to_batch_infer,
    grad=lambda op, dy: [BATCH_TO_SPACE_ND(dy, op.inputs[1], op.inputs[2]), None, None],
))
BATCH_TO_SPACE_ND = register(OpDef(
    "BatchToSpaceND",
    inputs=["input:T", "block_shape:Tblock_shape=int32", "crops:Tcrops=int32"],
    kernel=_batch_to_space_kernel, infer=_batch_to_space_infer,
    grad=lambda op, dy: [SPACE_TO_BATCH_ND(dy, op.inputs[1], op.inputs[2]), None, None],
))


def space_to_batch_nd(input, block_shape, paddings, name=None):  # noqa: A002
    """``tf.space_to_batch_nd``: a SpaceToBatchND node named "SpaceToBatchND"."""
    return SPACE_TO_BATCH_ND(input, block_shape, paddings, name=name)


def batch_to_space_nd(input, block_shape, crops, name=None):  # noqa: A002
    """``tf.batch_to_space_nd``: a BatchToSpaceND node named "BatchToSpaceND"."""
    return BATCH_TO_SPACE_ND(input, block_shape, crops, name=name)


def _square_block(op, x, block_size, block_shape):
    """TF1's 4-D forms: one block size for height and width (an int64 block_shape)."""
    size = _alias("block_shape", block_shape, "block_size", block_size)
    # A tensor, not the array: minitf would convert an array to int32 (TF keeps int64).
    out = op(x, array_ops.constant(np.array([size, size], np.int64), name="block_shape"))
    out.set_shape(out.shape.with_rank(4))
    return out


def space_to_batch(input, paddings, block_size=None, name=None,  # noqa: A002
                   block_shape=None):
    """``tf.space_to_batch`` / ``tf.nn.space_to_batch`` (TF1): SpaceToBatchND of a 4-D input
    with a square block of ``block_size``."""
    return _square_block(lambda x, b: SPACE_TO_BATCH_ND(x, b, paddings, name=name), input,
                         block_size, block_shape)


def batch_to_space(input, crops, block_size=None, name=None, block_shape=None):  # noqa: A002
    """``tf.batch_to_space`` (TF1): BatchToSpaceND of a 4-D input with a square block of
    ``block_size``."""
    return _square_block(lambda x, b: BATCH_TO_SPACE_ND(x, b, crops, name=name), input,
                         block_size, block_shape)
