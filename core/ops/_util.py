"""Helpers shared by op declarations: spec builders and static-shape utilities."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..opdef import TensorSpec, shape_error
from ..tensor_shape import TensorShape, broadcast_shapes


def same_as(spec: TensorSpec, dtype=None) -> list[TensorSpec]:
    """One output with the input's shape (and its dtype unless given)."""
    return [TensorSpec(spec.shape, dtype or spec.dtype)]


def unary_infer(x, **_):
    return same_as(x)


def broadcast_infer(x, y, **_):
    try:
        return [TensorSpec(broadcast_shapes(x.shape, y.shape), x.dtype)]
    except ValueError as e:
        raise shape_error(str(e)) from None


def compare_infer(x, y, **_):
    return [TensorSpec(broadcast_infer(x, y)[0].shape, _dt.bool)]


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise shape_error(f"{what} {axis} is out of range for a tensor of rank {rank}")
    return axis % rank


def const_ints(spec: TensorSpec):
    """The value of a shape-like input as a list of ints, or None when not static."""
    v = spec.value
    if v is None:
        return None
    return [int(x) for x in np.asarray(v).reshape(-1)]


def rank_with(x: TensorSpec, n, mismatch) -> tuple:
    """``x``'s dims and rank where an input with one entry per dimension (perm, multiples,
    paddings) has ``n`` of them; either may be unknown (None). When both are known and differ,
    raises ``shape_error(mismatch(rank, n))`` (TF words it differently per op)."""
    dims = x.shape.as_tuple()
    if dims is not None and n is not None and n != len(dims):
        raise shape_error(mismatch(len(dims), n))
    return dims, len(dims) if dims is not None else n


def shape_from_value(spec: TensorSpec, rank_hint=None) -> TensorShape:
    """A static shape from a 1-D shape tensor's spec: its value if constant, else its length."""
    vals = const_ints(spec)
    if vals is not None:
        return TensorShape([None if d < 0 else d for d in vals])
    partial = spec.shape_value  # e.g. [tf.shape(x)[0], 2] is (?, 2)
    if partial is not None and partial.rank is not None:
        return partial
    dims = spec.shape.as_tuple()
    if dims is not None and len(dims) == 1 and dims[0] is not None:
        return TensorShape([None] * dims[0])
    return TensorShape(rank_hint)


def zeros_for(dtype, shape):
    return np.zeros(shape, dtype=dtype.as_numpy_dtype)
