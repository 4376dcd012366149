"""``tf.ragged.constant`` and ``tf.ragged.constant_value``: a RaggedTensor (of Const tensors)
or a RaggedTensorValue (of numpy arrays) from a nested Python list, as TF's _constant_value
builds them: the nesting is checked, then the list is split level by level into row_splits.

Apart from core/ragged_ops.py (which re-exports both names) because this is Python list
handling, not ops: no node is built but Consts. The RaggedTensor classes are core/ragged.py's,
which imports this module: this one imports them inside functions."""

from __future__ import annotations

import builtins

import numpy as np

from . import dtypes as _dt
from .graph import name_scope

__all__ = ["constant", "constant_value"]


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=_dt.int64):
    """``tf.ragged.constant``: a RaggedTensor of Const tensors from a nested list (a plain
    Tensor when it has no ragged dimension, as TF's)."""
    from .ops.array_ops import constant as dense_constant
    from .ragged import RaggedTensor

    splits_dtype = _dt.as_dtype(row_splits_dtype)

    def ragged(values, splits):
        splits = dense_constant(splits, dtype=splits_dtype)
        return RaggedTensor.from_row_splits(values, splits, validate=False)

    def inner(values, dtype, shape, name=None):
        return dense_constant(values, dtype=dtype, shape=shape, name=name or "Const")

    with name_scope(name, "RaggedConstant"):
        return _constant_value(ragged, inner, pylist, dtype, ragged_rank, inner_shape)


def constant_value(pylist, dtype=None, ragged_rank=None, inner_shape=None,
                   row_splits_dtype="int64"):
    """``tf.ragged.constant_value`` (TF1): the RaggedTensorValue of a nested list (a numpy
    array when it has no ragged dimension)."""
    from .ragged import RaggedTensorValue

    if isinstance(dtype, _dt.DType):
        dtype = dtype.as_numpy_dtype
    splits_dtype = _dt.as_dtype(row_splits_dtype).as_numpy_dtype

    def ragged(values, splits):
        return RaggedTensorValue(values, np.array(splits, splits_dtype))

    def inner(values, dtype, shape, name=None):
        arr = np.array(values, dtype=dtype) if dtype in (object, None) else \
            np.array(values).astype(dtype)
        return arr.reshape(shape) if shape is not None else arr

    return _constant_value(ragged, inner, pylist, dtype, ragged_rank, inner_shape)


def _constant_value(ragged, inner, pylist, dtype, ragged_rank, inner_shape):
    """TF's _constant_value: checks the nesting, then splits the list level by level."""
    from .ragged import RaggedTensor, RaggedTensorValue

    if isinstance(pylist, (RaggedTensor, RaggedTensorValue)):
        raise TypeError("pylist may not be a RaggedTensor or RaggedTensorValue.")
    if not isinstance(pylist, (list, tuple)) and np.ndim(pylist) == 0:
        if ragged_rank is not None and ragged_rank != 0:
            raise ValueError(f"Invalid pylist={pylist!r}: incompatible with "
                             f"ragged_rank={ragged_rank}")
        if inner_shape:
            raise ValueError(f"Invalid pylist={pylist!r}: incompatible with "
                             f"dim(inner_shape)={len(inner_shape)}")
        return inner(pylist, dtype, ())
    if ragged_rank is not None and ragged_rank < 0:
        raise ValueError(f"Invalid ragged_rank={ragged_rank!r}: must be nonnegative")
    scalar_depth, max_depth = _depths(pylist)
    if scalar_depth is not None:
        if max_depth > scalar_depth:
            raise ValueError(f"Invalid pylist={pylist!r}: empty list nesting is greater than "
                             "scalar value nesting")
        if ragged_rank is not None and max_depth < ragged_rank:
            raise ValueError(f"Invalid pylist={pylist}, max depth smaller than "
                             f"ragged_rank={ragged_rank}")
    if inner_shape is not None and ragged_rank is not None:
        expected = ragged_rank + len(inner_shape) + 1
        if (scalar_depth is not None and expected != scalar_depth) or \
                (scalar_depth is None and expected < max_depth):
            raise ValueError(f"Invalid pylist={pylist!r}: incompatible with ragged_rank="
                             f"{ragged_rank} and dim(inner_shape)={len(inner_shape)}")
    if ragged_rank == 0 or (ragged_rank is None and (
            max_depth < 2 or (inner_shape is not None and max_depth - len(inner_shape) < 2))):
        return inner(pylist, dtype, inner_shape)
    if inner_shape is None:
        inner_shape = () if ragged_rank is None else _default_inner_shape(pylist, ragged_rank)
    if ragged_rank is None:
        ragged_rank = max(1, max_depth - 1) if scalar_depth is None else \
            max(1, scalar_depth - 1 - len(inner_shape))
    nested_splits, values = [], pylist
    for _ in builtins.range(ragged_rank):
        splits, flat = [0], []
        for row in values:
            splits.append(splits[-1] + len(row))
            flat.extend(row)
        nested_splits.append(splits)
        values = flat
    result = inner(values, dtype, (len(values),) + tuple(inner_shape), "values")
    for splits in reversed(nested_splits):
        result = ragged(result, splits)
    return result


def _depths(pylist):
    """(depth of the scalars or None, the deepest nesting, empty lists included)."""
    if isinstance(pylist, (list, tuple)) or np.ndim(pylist) != 0:
        scalar_depth, max_depth = None, 1
        for child in pylist:
            child_scalar, child_max = _depths(child)
            if child_scalar is not None:
                if scalar_depth is not None and scalar_depth != child_scalar + 1:
                    raise ValueError("all scalar values must have the same nesting depth")
                scalar_depth = child_scalar + 1
            max_depth = max(max_depth, child_max + 1)
        return scalar_depth, max_depth
    return 0, 0


def _default_inner_shape(pylist, ragged_rank):
    def nested(item):
        return isinstance(item, (list, tuple)) or np.ndim(item) != 0

    def shape_of(item):
        if not nested(item):
            return ()
        return (len(item),) + shape_of(item[0]) if len(item) else (0,)

    def check(item, shape):
        if nested(item) != bool(shape) or (shape and shape[0] != len(item)):
            raise ValueError("inner values have inconsistent shape")
        for child in (item if shape else ()):
            check(child, shape[1:])

    flat = pylist
    for dim in builtins.range(ragged_rank):
        if not all(nested(v) for v in flat):
            raise ValueError(f"pylist has scalar values depth {dim + 1}, but ragged_rank="
                             f"{ragged_rank} requires scalar value depth greater than "
                             f"{ragged_rank}")
        flat = [x for v in flat for x in v]
    shape = shape_of(flat)
    check(flat, shape)
    return shape[1:]
