"""TF1 array functions TensorFlow writes in Python (no op of their own here): ``tf.repeat``,
``tf.parallel_stack``, ``tf.batch_gather``, ``tf.broadcast_static_shape`` and the helpers
``tf.is_tensor``, ``tf.get_static_value``, ``tf.dimension_value``, ``tf.dimension_at_index``
and ``tf.convert_to_tensor_or_sparse_tensor``."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .composites import boolean_mask, sequence_mask
from .graph import Tensor, constant_value, convert_to_tensor, name_scope
from .ops import array_ops, concat_split_ops, math_ops, reduction_ops, transform_ops
from .ops.array_extra_ops import PARALLEL_CONCAT
from .ops.gather_ops import GATHER_V2
from .tensor_shape import Dimension, TensorShape, as_shape, broadcast_shapes

__all__ = ["batch_gather", "broadcast_static_shape", "convert_to_tensor_or_sparse_tensor",
           "dimension_at_index", "dimension_value", "get_static_value", "is_tensor",
           "parallel_stack", "repeat"]


def _tile_one(data, axis: int, multiple):
    multiples = [1] * data.shape.rank
    multiples[axis] = multiple  # a list holding a tensor: packed, as TF's tile_one_dimension
    return transform_ops.tile(data, multiples)


def repeat(input, repeats, axis=None, name=None):  # noqa: A002 - TF's argument name
    """``tf.repeat``: each slice of ``input`` along ``axis`` repeated ``repeats`` times (a
    scalar, or one count per slice); ``axis=None`` repeats the flattened input."""
    with name_scope(name, "Repeat", [input, repeats]):
        data = convert_to_tensor(input, name="input")
        if axis is None:
            data, axis = array_ops.reshape(data, [-1]), 0
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Argument `axis` must be an int. Received `axis` = {axis} of type "
                            f"{type(axis).__name__}")
        repeats = convert_to_tensor(repeats, name="repeats", preferred_dtype=_dt.int32)
        if repeats.dtype not in (_dt.int32, _dt.int64):
            raise TypeError(f"repeats must be an integer tensor, got {repeats.dtype.name}")
        if repeats.shape.rank not in (None, 0, 1):
            raise ValueError(f"Shape {repeats.shape} must have rank at most 1")
        if data.shape.rank is None:
            raise ValueError("repeat: the rank of the input must be known")
        if data.shape.rank == 0:
            data = concat_split_ops.stack([data])
        rank = data.shape.rank
        if not -rank <= axis < rank:
            raise ValueError(f"axis={axis} out of bounds: expected {-rank}<=axis<{rank}")
        axis = int(axis) % rank
        data_shape = array_ops.shape(data, out_type=repeats.dtype)
        if repeats.shape.num_elements() == 1:
            # One count for every slice: tile a new axis after ``axis`` and merge the two.
            repeats = array_ops.reshape(repeats, [])
            tiled = _tile_one(transform_ops.expand_dims(data, axis + 1), axis + 1, repeats)
            size = repeats * data_shape[axis]
            return array_ops.reshape(tiled, concat_split_ops.concat(
                [data_shape[:axis], array_ops.reshape(size, [1]), data_shape[axis + 1:]], 0))
        if repeats.shape.rank == 1:
            data.shape[axis].merge_with(repeats.shape[0])  # ValueError when they differ
        # Per-slice counts: tile every slice to the largest count, then keep, for each slice,
        # as many copies as its count (a sequence mask over the copies).
        counts = transform_ops.broadcast_to(repeats, array_ops.reshape(data_shape[axis], [1]))
        if axis:
            counts = transform_ops.broadcast_to(counts, data_shape[:axis + 1])
        largest = math_ops.maximum(array_ops.zeros([], counts.dtype),
                                   reduction_ops.reduce_max(counts))
        mask = sequence_mask(counts, largest)
        tiled = _tile_one(transform_ops.expand_dims(data, axis + 1), axis + 1, largest)
        result = boolean_mask(tiled, mask)
        if axis:
            total = reduction_ops.reduce_sum(repeats)
            result = array_ops.reshape(result, concat_split_ops.concat(
                [data_shape[:axis], array_ops.reshape(total, [1]), data_shape[axis + 1:]], 0))
        new = 0 if repeats.shape.num_elements() == 0 else None
        result.set_shape(data.shape[:axis].concatenate([new]).concatenate(
            data.shape[axis + 1:]))
        return result


def parallel_stack(values, name="parallel_stack"):
    """``tf.parallel_stack``: ``tf.stack(values)`` as one ParallelConcat of the values each
    given a leading dimension; their shapes must be known at graph construction."""
    with name_scope(name):
        first = convert_to_tensor(values[0])
        shape = TensorShape([len(values)]).concatenate(first.shape)
        rows = [transform_ops.expand_dims(v, 0) for v in values]
        return PARALLEL_CONCAT(rows, shape=shape)


def batch_gather(params, indices, name=None):
    """``tf.batch_gather``: ``params[b..., indices[b..., j]]`` for the leading batch
    dimensions shared by ``params`` and ``indices`` (all but the last of ``indices``)."""
    with name_scope(name, "BatchGather", [params, indices]):
        indices = convert_to_tensor(indices, name="indices")
        params = convert_to_tensor(params, name="params")
        if indices.shape.rank is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        batch_dims = indices.shape.rank - 1
        return GATHER_V2(params, indices, batch_dims, batch_dims=batch_dims)


def broadcast_static_shape(shape_x, shape_y) -> TensorShape:
    """``tf.broadcast_static_shape``: the broadcast of two static shapes; ValueError when they
    cannot broadcast."""
    shape_x, shape_y = as_shape(shape_x), as_shape(shape_y)
    try:
        return broadcast_shapes(shape_x, shape_y)
    except ValueError:
        raise ValueError(
            "Incompatible shapes for broadcasting. Two shapes are compatible if for each "
            "dimension pair they are either equal or one of them is 1. Received: "
            f"{shape_x} and {shape_y}.") from None


def is_tensor(x) -> bool:
    """``tf.is_tensor``: a graph tensor or something standing for one (a Variable, a
    SparseTensor, IndexedSlices), not a numpy array or Python value."""
    from .indexed_slices import IndexedSlices
    from .sparse_tensor import SparseTensor

    return isinstance(x, (Tensor, SparseTensor, IndexedSlices)) or hasattr(x, "_as_tensor")


def get_static_value(tensor, partial=False):
    """``tf.get_static_value``: the value of ``tensor`` if known at graph construction (a
    numpy array), else None; a non-tensor comes back as it is. With ``partial``, a stack of
    scalars some of which are unknown gives an object array with None for those."""
    if not is_tensor(tensor):
        return tensor
    if not isinstance(tensor, Tensor):
        return None
    value = constant_value(tensor)
    if value is not None:
        return np.array(value)  # writable, as TF's
    op = tensor.op
    if partial and op.type == "Pack" and op._get_attr("axis") == 0 and \
            all(t.shape.rank == 0 for t in op.inputs):
        out = np.empty(len(op.inputs), dtype=object)
        for i, t in enumerate(op.inputs):
            out[i] = get_static_value(t, partial=True)
        return out
    return None


def dimension_value(dimension):
    """``tf.dimension_value``: a Dimension's int value (None if unknown); ints as they are."""
    return dimension.value if isinstance(dimension, Dimension) else dimension


def dimension_at_index(shape, index) -> Dimension:
    """``tf.dimension_at_index``: the Dimension at ``index`` of a TensorShape (unknown for a
    shape of unknown rank)."""
    shape = as_shape(shape)
    if shape.rank is None:
        return Dimension(None)
    return shape.dims[index]


def convert_to_tensor_or_sparse_tensor(value, dtype=None, name=None):
    """``tf.convert_to_tensor_or_sparse_tensor``: a SparseTensor (from a SparseTensorValue
    too) as it is, anything else through convert_to_tensor."""
    from .sparse_tensor import SparseTensor, SparseTensorValue

    if dtype is not None:
        dtype = _dt.as_dtype(dtype)
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        if dtype is not None and value.dtype != dtype:
            raise RuntimeError(f"Sparse dtype mismatch. Requested: {dtype.name},  Actual: "
                               f"{value.dtype.name}")
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)
