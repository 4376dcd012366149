"""Gathering: GatherV2, UnsortedSegmentSum (the dense form of the gather gradient), Unique
(which sums a sparse gradient's repeated rows), GatherNd and ScatterNd (each the other's
gradient) and TopKV2."""

from __future__ import annotations

import collections

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value
from .. import dtypes as _dt
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import array_ops, concat_split_ops, math_ops
from ._math_util import _REAL, _check_dtype, _typed
from ._util import const_ints, shape_from_value
from .slicing_ops import STRIDED_SLICE_GRAD, _shape_input, _shape_str

_REAL_TYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
               "uint16", "uint32", "uint64")

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["gather", "gather_nd", "scatter_nd", "segment_max", "segment_mean", "segment_min",
           "segment_sum", "unique", "unsorted_segment_max", "unsorted_segment_mean",
           "unsorted_segment_min", "unsorted_segment_sum"]


# -- GatherV2 -------------------------------------------------------------------------------------


def _gather_axes(params_rank, indices_rank, axis, batch_dims):
    """Normalised (axis, batch_dims); None where unknown. Raises TF's messages when invalid."""
    if axis is not None and params_rank is not None:
        if not -params_rank <= axis < params_rank:
            need = axis + 1 if axis >= 0 else -axis
            raise shape_error(f"Shape must be at least rank {need} but is rank {params_rank}")
        axis %= params_rank
    if batch_dims < 0:
        if indices_rank is None:
            return axis, None
        if batch_dims < -indices_rank:
            raise shape_error(f"Shape must be at least rank {-batch_dims} but is rank "
                              f"{indices_rank}")
        batch_dims += indices_rank
    if indices_rank is not None and batch_dims > indices_rank:
        raise shape_error(f"Shape must be at least rank {batch_dims} but is rank {indices_rank}")
    if axis is not None and axis >= 0 and batch_dims > axis:
        raise shape_error(f"batch_dims ({batch_dims}) must be less than or equal to axis "
                          f"({axis}).")
    return axis, batch_dims


def _check_batch_shapes(params_dims, indices_dims, batch_dims):
    for i in range(batch_dims):
        p, q = params_dims[i], indices_dims[i]
        if p is not None and q is not None and p != q:
            raise shape_error(f"params.shape[{i}]: {p} should be equal to indices.shape[{i}]: {q}")


def _first_bad(bad) -> tuple:
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _index_str(name, pos) -> str:
    return name + ("[" + ",".join(map(str, pos)) + "]" if pos else "")


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _gather_kernel(params, indices, axis, *, batch_dims):
    params, indices = np.asarray(params), np.asarray(indices)
    axis, batch_dims = _gather_axes(params.ndim, indices.ndim, int(axis), batch_dims)
    _check_batch_shapes(params.shape, indices.shape, batch_dims)
    n = params.shape[axis]
    # One reduction checks both bounds: negative indices viewed as unsigned are huge.
    if indices.size and indices.view(_UNSIGNED[indices.dtype.itemsize]).max() >= n:
        pos = _first_bad((indices < 0) | (indices >= n))
        raise InvalidArgumentError(None, None, f"{_index_str('indices', pos)} = "
                                   f"{indices[pos]} is not in [0, {n})")
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    # Flatten the batch dims, put the gathered axis next to them and index both at once.
    batch = params.shape[:batch_dims]
    nb = int(np.prod(batch, dtype=np.int64))
    p = np.moveaxis(params.reshape((nb,) + params.shape[batch_dims:]), axis - batch_dims + 1, 1)
    idx = indices.reshape((nb,) + indices.shape[batch_dims:])
    rows = np.arange(nb).reshape((nb,) + (1,) * (idx.ndim - 1))
    g = p[rows, idx]  # (nb, *idx_rest, *pre, *post)
    k, m = idx.ndim - 1, axis - batch_dims
    perm = [0, *range(1 + k, 1 + k + m), *range(1, 1 + k), *range(1 + k + m, g.ndim)]
    g = g.transpose(perm)
    return g.reshape(batch + g.shape[1:])


def _gather_infer(params, indices, axis, *, batch_dims):
    if axis.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {axis.shape.rank}")
    axis_v = const_ints(axis)
    axis_v = None if axis_v is None else axis_v[0]
    pdims, idims = params.shape.as_tuple(), indices.shape.as_tuple()
    ax, bd = _gather_axes(None if pdims is None else len(pdims),
                          None if idims is None else len(idims), axis_v, batch_dims)
    if pdims is None or idims is None or bd is None:
        return [TensorSpec(TensorShape(None), params.dtype)]
    _check_batch_shapes(pdims, idims, bd)
    if ax is None:
        return [TensorSpec([None] * (len(pdims) - 1 + len(idims) - bd), params.dtype)]
    batch = [p if p is not None else q for p, q in zip(pdims[:bd], idims[:bd])]
    out = batch + list(pdims[bd:ax]) + list(idims[bd:]) + list(pdims[ax + 1:])
    return [TensorSpec(out, params.dtype)]


def _gather_grad(op, dy):
    """For a gather along axis 0, TF1's IndexedSlices: dy's rows and the indices they came
    from (a sparse gradient, dense only where needed); otherwise a dense gradient."""
    params, indices, axis = op.inputs
    batch_dims = op.get_attr("batch_dims")
    axis_v = constant_value(axis)
    if axis_v is not None and int(axis_v) == 0 and batch_dims <= 0:
        # batch_dims <= axis forces 0: rows of dy go to the rows their indices name.
        from ..indexed_slices import IndexedSlices
        from .concat_split_ops import concat

        params_shape = array_ops.shape(params)
        size = array_ops.reshape(array_ops.size(indices), [1])
        values = array_ops.reshape(dy, concat([size, params_shape[1:]], 0))
        flat = array_ops.reshape(indices, size)
        return [IndexedSlices(values, flat, params_shape)._with_static_shape(params.shape),
                None, None]
    # Any axis / batch_dims: gather the flat positions of params the same way, then add every
    # element of dy into the position it was read from.
    size = array_ops.size(params)
    iota = array_ops.reshape(array_ops.range_(size), array_ops.shape(params))
    pos = GATHER_V2(iota, indices, axis, batch_dims=batch_dims)
    flat = unsorted_segment_sum(array_ops.reshape(dy, [-1]), array_ops.reshape(pos, [-1]), size)
    dx = array_ops.reshape(flat, array_ops.shape(params))
    dx.set_shape(params.shape)
    return [dx, None, None]


GATHER_V2 = register(OpDef(
    "GatherV2", inputs=["params:Tparams", "indices:Tindices=int32", "axis:Taxis=int32"],
    attrs={"batch_dims": 0},
    kernel=_gather_kernel,
    infer=_gather_infer,
    grad=_gather_grad,
    doc="Slices of params along axis at indices (per batch for batch_dims > 0).",
))


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """``tf.gather``. As TF1's wrapper: with a static axis 0, ``batch_dims`` is not passed."""
    del validate_indices  # TF ignores it: indices are always validated on CPU
    if axis is None:
        axis = batch_dims
    axis_v = constant_value(axis) if isinstance(axis, Tensor) else np.asarray(axis)
    if axis_v is None or axis_v.ndim or int(axis_v) != 0:
        return GATHER_V2(params, indices, axis, batch_dims=batch_dims, name=name or "GatherV2")
    return GATHER_V2(params, indices, axis, name=name or "GatherV2")


# -- UnsortedSegmentSum ---------------------------------------------------------------------------


def _check_unsorted_segments(data_shape, ids, num_segments) -> int:
    """TF's checks of an unsorted segment op's ids and count; returns the count."""
    n = int(num_segments)
    if n < 0:
        raise InvalidArgumentError(None, None,
                                   f"Input num_segments == {n} must not be negative.")
    if data_shape[:ids.ndim] != ids.shape:
        raise InvalidArgumentError(None, None, f"data.shape = {_shape_str(data_shape)} does not "
                                   f"start with segment_ids.shape = {_shape_str(ids.shape)}")
    if ids.size and ids.max() >= n:
        pos = _first_bad(ids >= n)
        raise InvalidArgumentError(None, None, f"{_index_str('segment_ids', pos)} = {ids[pos]} "
                                   f"is out of range [0, {n})")
    return n


def _uss_kernel(data, segment_ids, num_segments):
    data, ids = np.asarray(data), np.asarray(segment_ids)
    n = _check_unsorted_segments(data.shape, ids, num_segments)
    tail = data.shape[ids.ndim:]
    width = int(np.prod(tail, dtype=np.int64))
    flat_ids = ids.reshape(-1).astype(np.intp, copy=False)
    values = data.reshape(-1)
    if flat_ids.size and flat_ids.min() < 0:  # TF drops negative ids
        keep = flat_ids >= 0
        values = values.reshape(flat_ids.size, width)[keep].reshape(-1)
        flat_ids = flat_ids[keep]
    out = np.zeros(n * width, dtype=data.dtype)
    # Scalar-indexed np.add.at over the flat output is numpy's fast path (row indexing is not).
    if width != 1:
        flat_ids = (flat_ids[:, None] * width + np.arange(width)).reshape(-1)
    np.add.at(out, flat_ids, values)
    return out.reshape((n,) + tail)


def _uss_infer(data, segment_ids, num_segments):
    if num_segments.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {num_segments.shape.rank}")
    n = const_ints(num_segments)
    n = None if n is None else n[0]
    if n is not None and n < 0:
        raise shape_error(f"Input num_segments == {n} must not be negative.")
    ddims, idims = data.shape.as_tuple(), segment_ids.shape.as_tuple()
    if ddims is None or idims is None:
        return [TensorSpec(TensorShape(None), data.dtype)]
    if len(ddims) < len(idims):
        raise shape_error(f"Shape must be at least rank {len(idims)} but is rank {len(ddims)}")
    for d, i in zip(ddims, idims):
        if d is not None and i is not None and d != i:
            raise shape_error(f"Dimensions must be equal, but are {d} and {i}")
    return [TensorSpec([n, *ddims[len(idims):]], data.dtype)]


def _gather_drop_negatives(params: Tensor, ids: Tensor) -> Tensor:
    """``gather(params, ids)`` with rows of negative ids zero (TF's _GatherDropNegatives)."""
    v = constant_value(ids)
    if v is not None and (v.size == 0 or v.min() >= 0):
        return gather(params, ids)
    # Gather from params behind a zero row 0, at ids + 1 clipped to 0: negatives read zeros.
    np_idx = ids.dtype.as_numpy_dtype
    shape = _shape_input(params, ids.dtype)
    if isinstance(shape, np.ndarray):
        shape[0] += 1
    else:
        one_at_0 = STRIDED_SLICE_GRAD(array_ops.shape(shape, out_type=ids.dtype), [0], [1], [1],
                                      np.array([1], np_idx))
        shape = math_ops.add(shape, one_at_0)
    padded = STRIDED_SLICE_GRAD(shape, np.array([1], np_idx), np.array([0], np_idx),
                                np.array([1], np_idx), params, end_mask=1)
    shifted = math_ops.maximum(math_ops.add(ids, np.array(1, np_idx)), np.array(0, np_idx))
    return gather(padded, shifted)


UNSORTED_SEGMENT_SUM = register(OpDef(
    "UnsortedSegmentSum", inputs=["data:T", "segment_ids:Tindices=int32",
                                  "num_segments:Tnumsegments=int32"],
    kernel=_uss_kernel,
    infer=_uss_infer,
    grad=lambda op, dy: [_gather_drop_negatives(dy, op.inputs[1]), None, None],
    doc="output[i] = sum of data[j...] with segment_ids[j...] == i; negative ids are dropped.",
))


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    return UNSORTED_SEGMENT_SUM(data, segment_ids, num_segments,
                                name=name or "UnsortedSegmentSum")


# -- the other segment reductions ----------------------------------------------------------------
def _extreme(dtype, largest: bool):
    """numeric_limits<T>::max() or lowest(): an empty unsorted segment's max/min, as TF's."""
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    return info.max if largest else info.min


def _reduce_at(ufunc, data, rows, n, fill):
    """``ufunc`` of data's rows (flat ``rows``, -1 dropped) into ``n`` rows starting at
    ``fill``; also how many rows each output row got."""
    tail = data.shape[rows.ndim:]
    flat = data.reshape((rows.size,) + tail)
    keep = rows.reshape(-1) >= 0
    ids = rows.reshape(-1)[keep].astype(np.intp)
    out = np.full((n,) + tail, fill, dtype=data.dtype)
    ufunc.at(out, ids, flat[keep])
    return out, np.bincount(ids, minlength=n)


def _check_sorted_ids(data, ids, op_type):
    if ids.ndim != 1:
        raise InvalidArgumentError(None, None, f"segment_ids should be a vector, got shape "
                                   f"{_shape_str(ids.shape)}")
    if data.ndim < 1 or data.shape[0] != ids.size:
        raise InvalidArgumentError(None, None, f"segment_ids should be the same size as "
                                   f"dimension 0 of input, got {ids.size} and "
                                   f"{_shape_str(data.shape)}")
    if ids.size and ids[0] < 0:
        raise InvalidArgumentError(None, None, f"segment ids must be >= 0, got {ids[0]}")
    if ids.size > 1 and np.any(np.diff(ids) < 0):
        k = int(np.argmax(np.diff(ids) < 0)) + 1
        raise InvalidArgumentError(None, None, f"{op_type}: segment ids are not increasing: "
                                   f"{ids[k - 1]} then {ids[k]}")


def _sorted_segment(op_type, ufunc, mean=False):
    def kernel(data, segment_ids):
        data, ids = np.asarray(data), np.asarray(segment_ids)
        _check_sorted_ids(data, ids, op_type)
        n = int(ids[-1]) + 1 if ids.size else 0
        if ufunc is np.add:
            out, count = _reduce_at(np.add, data, ids, n, 0)
            if mean:
                shape = (n,) + (1,) * (data.ndim - 1)
                out = (out / np.maximum(count, 1).reshape(shape)).astype(data.dtype)
            return out
        out, count = _reduce_at(ufunc, data, ids, n, _extreme(data.dtype, ufunc is np.minimum))
        out[count == 0] = 0  # an empty sorted segment is 0, as TF's
        return out
    return kernel


def _sorted_segment_infer(data, segment_ids):
    if segment_ids.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {segment_ids.shape.rank}")
    dims = data.shape.as_tuple()
    if dims is not None and not dims:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    return [TensorSpec(TensorShape(None) if dims is None else [None, *dims[1:]], data.dtype)]


def _unsorted_extreme_kernel(largest):
    def kernel(data, segment_ids, num_segments):
        data, ids = np.asarray(data), np.asarray(segment_ids)
        n = _check_unsorted_segments(data.shape, ids, num_segments)
        ufunc = np.maximum if largest else np.minimum
        return _reduce_at(ufunc, data, ids, n, _extreme(data.dtype, not largest))[0]
    return kernel


def _extreme_grad(op, dy):
    """TF's rule for segment max and min: the gradient goes to the entries equal to their
    segment's result, shared equally among ties."""
    data, ids = op.inputs[0], op.inputs[1]
    unsorted = len(op.inputs) == 3
    chosen = _gather_drop_negatives(op.outputs[0], ids) if unsorted else \
        gather(op.outputs[0], ids)
    from .logic_ops import equal, where_v2

    selected = equal(data, chosen)
    weights = math_ops.cast(selected, dy.dtype)
    count = unsorted_segment_sum(weights, ids, op.inputs[2]) if unsorted else \
        SEGMENT_SUM(weights, ids)
    share = math_ops.div_no_nan(dy, count)
    spread = _gather_drop_negatives(share, ids) if unsorted else gather(share, ids)
    return [where_v2(selected, spread, array_ops.zeros_like(data)), None] + \
        ([None] if unsorted else [])


def _ordered(infer):
    """``infer`` behind TF's OpDef check of max and min: real data types only (no complex, which
    has no order), refused at graph construction."""
    return _typed(infer, _REAL, "data")


def _segment_mean_grad(op, dy):
    data, ids = op.inputs
    ones = array_ops.ones_like(data)
    count = SEGMENT_SUM(ones, ids)
    return [gather(math_ops.div_no_nan(dy, count), ids), None]


SEGMENT_SUM = register(OpDef(
    "SegmentSum", inputs=["data:T", "segment_ids:Tindices=int32"],
    kernel=_sorted_segment("SegmentSum", np.add), infer=_sorted_segment_infer,
    grad=lambda op, dy: [gather(dy, op.inputs[1]), None],
    doc="Sums of data's rows per (sorted) segment id; an empty segment is 0.",
))
SEGMENT_MEAN = register(OpDef(
    "SegmentMean", inputs=["data:T", "segment_ids:Tindices=int32"],
    kernel=_sorted_segment("SegmentMean", np.add, mean=True), infer=_sorted_segment_infer,
    grad=_segment_mean_grad,
    doc="Means of data's rows per (sorted) segment id; an empty segment is 0.",
))
SEGMENT_MAX = register(OpDef(
    "SegmentMax", inputs=["data:T", "segment_ids:Tindices=int32"],
    kernel=_sorted_segment("SegmentMax", np.maximum), infer=_ordered(_sorted_segment_infer),
    grad=_extreme_grad,
    doc="Maxima of data's rows per (sorted) segment id; an empty segment is 0.",
))
SEGMENT_MIN = register(OpDef(
    "SegmentMin", inputs=["data:T", "segment_ids:Tindices=int32"],
    kernel=_sorted_segment("SegmentMin", np.minimum), infer=_ordered(_sorted_segment_infer),
    grad=_extreme_grad,
    doc="Minima of data's rows per (sorted) segment id; an empty segment is 0.",
))
UNSORTED_SEGMENT_MAX = register(OpDef(
    "UnsortedSegmentMax", inputs=["data:T", "segment_ids:Tindices=int32",
                                  "num_segments:Tnumsegments=int32"],
    kernel=_unsorted_extreme_kernel(True), infer=_ordered(_uss_infer), grad=_extreme_grad,
    doc="Maxima per segment id; an empty segment is the lowest value of the dtype.",
))
UNSORTED_SEGMENT_MIN = register(OpDef(
    "UnsortedSegmentMin", inputs=["data:T", "segment_ids:Tindices=int32",
                                  "num_segments:Tnumsegments=int32"],
    kernel=_unsorted_extreme_kernel(False), infer=_ordered(_uss_infer), grad=_extreme_grad,
    doc="Minima per segment id; an empty segment is the largest value of the dtype.",
))


def segment_sum(data, segment_ids, name=None):
    return SEGMENT_SUM(data, segment_ids, name=name or "SegmentSum")


def segment_mean(data, segment_ids, name=None):
    return SEGMENT_MEAN(data, segment_ids, name=name or "SegmentMean")


def segment_max(data, segment_ids, name=None):
    return SEGMENT_MAX(data, segment_ids, name=name or "SegmentMax")


def segment_min(data, segment_ids, name=None):
    return SEGMENT_MIN(data, segment_ids, name=name or "SegmentMin")


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    return UNSORTED_SEGMENT_MAX(data, segment_ids, num_segments,
                                name=name or "UnsortedSegmentMax")


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    return UNSORTED_SEGMENT_MIN(data, segment_ids, num_segments,
                                name=name or "UnsortedSegmentMin")


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """TF's composite: the segment sums over the segment sizes (0 for an empty segment)."""
    from ..graph import convert_to_tensor, name_scope

    with name_scope(name, "UnsortedSegmentMean", [data, segment_ids, num_segments]):
        data = convert_to_tensor(data, name="data")
        ids = convert_to_tensor(segment_ids, name="segment_ids")
        total = unsorted_segment_sum(data, ids, num_segments)
        ones = array_ops.ones_like(ids, dtype=data.dtype)
        count = unsorted_segment_sum(ones, ids, num_segments)
        return math_ops.div_no_nan(total, _per_row(count, data, ids))


def _per_row(count, data, ids):
    """The segment counts reshaped [-1, 1, ...] to broadcast over each row's elements: one 1
    per dim of data beyond ids' dims (counted at run time when a rank is unknown, as TF does)."""
    if data.shape.rank is not None and ids.shape.rank is not None:
        extra = data.shape.rank - ids.shape.rank
        return array_ops.reshape(count, [-1] + [1] * extra) if extra > 0 else count
    extra = array_ops.rank(data) - array_ops.rank(ids)
    ones = array_ops.ones(array_ops.reshape(extra, [1]), dtype=_dt.int32)
    return array_ops.reshape(count, concat_split_ops.concat([[-1], ones], 0))


# -- Unique ---------------------------------------------------------------------------------------
def _unique_kernel(x, *, out_idx):
    x = np.asarray(x)
    if x.ndim != 1:
        raise InvalidArgumentError(None, None, f"unique expects a 1D vector, got shape "
                                   f"{list(x.shape)}")
    # TF's hash map never finds a NaN equal to anything: each NaN is a value of its own.
    values, first, inverse = np.unique(x, return_index=True, return_inverse=True,
                                       equal_nan=False)
    order = np.argsort(first, kind="stable")  # TF keeps the order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return [values[order], rank[inverse.reshape(-1)].astype(out_idx.as_numpy_dtype)]


def _unique_infer(x, *, out_idx):
    if x.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {x.shape.rank}")
    return [TensorSpec([None], x.dtype), TensorSpec(x.shape if x.shape.rank else [None],
                                                    out_idx)]


UNIQUE = register(OpDef(
    "Unique", inputs=["x:T"], attrs={"out_idx": _dt.int32},
    kernel=_unique_kernel, infer=_unique_infer, grad=NOT_DIFFERENTIABLE,
    doc="y: the distinct values of x in order of first appearance; idx: where each x is in y",
))


def unique(x, out_idx=_dt.int32, name=None):
    """(y, idx): x's distinct values in order of first appearance, and each x's index in y."""
    return tuple(UNIQUE(x, out_idx=_dt.as_dtype(out_idx), name=name or "Unique"))


# -- GatherNd / ScatterNd -------------------------------------------------------------------------
def _nd_positions(indices, shape, what):
    """Row numbers, in ``shape`` seen as (prod(shape[:K]), prod(shape[K:])) rows, of the index
    tuples on the last axis (K) of ``indices``; raises TF's message for one out of range.
    Returns (rows shaped indices.shape[:-1], number of rows, row size)."""
    idx = np.asarray(indices)
    k = idx.shape[-1] if idx.ndim else 0
    if idx.ndim == 0 or k > len(shape):
        raise InvalidArgumentError(None, None, f"indices.shape[-1] must be <= params.rank, "
                                   f"got indices of shape {_shape_str(idx.shape)} for "
                                   f"{_shape_str(shape)}")
    dims = np.array(shape[:k], dtype=np.int64)
    strides = np.ones(k, np.int64)
    for i in range(k - 2, -1, -1):
        strides[i] = strides[i + 1] * dims[i + 1]
    if k:
        bad = ((idx < 0) | (idx >= dims)).any(axis=-1)
        if bad.any():
            pos = _first_bad(bad)
            raise InvalidArgumentError(None, None, f"{_index_str('indices', pos)} = "
                                       f"{list(map(int, idx[pos]))} does not index into "
                                       f"{what} {_shape_str(shape)}")
    rows = idx.astype(np.int64) @ strides if k else np.zeros(idx.shape[:-1], np.int64)
    return rows, int(np.prod(dims)), int(np.prod(shape[k:], dtype=np.int64))


def _gather_nd_kernel(params, indices):
    params = np.asarray(params)
    rows, n, size = _nd_positions(indices, params.shape, "param shape")
    k = np.shape(indices)[-1]
    return params.reshape((n, size))[rows.reshape(-1)].reshape(rows.shape + params.shape[k:])


_INDEX_TYPES = ("int32", "int64")


def _gather_nd_infer(params, indices):
    _check_dtype(indices, _INDEX_TYPES, "Tindices")
    if indices.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    idims, pdims = indices.shape.as_tuple(), params.shape.as_tuple()
    if idims is None or not idims or idims[-1] is None or pdims is None:
        return [TensorSpec(TensorShape(None), params.dtype)]
    k = idims[-1]
    if k > len(pdims):
        raise shape_error(f"indices.shape[-1] must be <= params.rank, got indices.shape[-1] = "
                          f"{k} and params.rank = {len(pdims)}")
    return [TensorSpec(list(idims[:-1]) + list(pdims[k:]), params.dtype)]


def _gather_nd_grad(op, dy):
    """TF's rule: for indices of shape (n, 1), rows of params, an IndexedSlices (so sparse
    optimizer updates apply); else a dense ScatterNd."""
    params, indices = op.inputs
    if indices.shape.rank == 2 and indices.shape[-1].value == 1:
        from ..indexed_slices import IndexedSlices
        from .transform_ops import squeeze

        return [IndexedSlices(dy, squeeze(indices, axis=[-1]), array_ops.shape(
            params, out_type=indices.dtype))._with_static_shape(params.shape), None]
    dx = SCATTER_ND(indices, dy, array_ops.shape(params, out_type=indices.dtype))
    dx.set_shape(params.shape)
    return [dx, None]


GATHER_ND = register(OpDef(
    "GatherNd", inputs=["params:Tparams", "indices:Tindices"],
    kernel=_gather_nd_kernel,
    infer=_gather_nd_infer,
    grad=_gather_nd_grad,
    doc="Slices of params at index tuples (the last axis of indices).",
))


def _scatter_nd_kernel(indices, updates, shape):
    shape = tuple(int(d) for d in np.asarray(shape).reshape(-1))
    if any(d < 0 for d in shape):
        raise InvalidArgumentError(None, None, f"Dimensions must be non-negative, got shape "
                                   f"{list(shape)}")
    updates = np.asarray(updates)
    rows, n, size = _nd_positions(indices, shape, "shape")
    want = rows.shape + shape[np.shape(indices)[-1]:]
    if updates.shape != want:
        raise InvalidArgumentError(None, None, f"updates has shape {_shape_str(updates.shape)}, "
                                   "but indices.shape[:-1] + shape[indices.shape[-1]:] is "
                                   f"{_shape_str(want)}")
    out = np.zeros((n, size), updates.dtype)
    np.add.at(out, rows.reshape(-1), updates.reshape(-1, size))  # repeated indices add up
    return out.reshape(shape)


def _scatter_nd_infer(indices, updates, shape):
    _check_dtype(indices, _INDEX_TYPES, "Tindices")
    if indices.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    dims = shape_from_value(shape)
    idims = indices.shape.as_tuple()
    if idims is not None and idims[-1] is not None and dims.rank is not None and \
            updates.shape.rank is not None:
        want = TensorShape(list(idims[:-1])).concatenate(dims[idims[-1]:])
        if not updates.shape.is_compatible_with(want):
            raise shape_error(f"Dimensions of updates {updates.shape} must be "
                              f"indices.shape[:-1] + shape[indices.shape[-1]:] = {want}")
    return [TensorSpec(dims, updates.dtype)]


def _scatter_nd_grad(op, dy):
    indices = op.inputs[0]
    return [None, GATHER_ND(dy, indices), None]


SCATTER_ND = register(OpDef(
    "ScatterNd", inputs=["indices:Tindices", "updates:T", "shape:Tindices"],
    kernel=_scatter_nd_kernel,
    infer=_scatter_nd_infer,
    grad=_scatter_nd_grad,
    doc="Zeros of ``shape`` with updates added at index tuples (repeated ones summed).",
))


def gather_nd(params, indices, name=None, batch_dims=0):
    """``tf.gather_nd``: ``params[tuple(indices[..., :])]`` for every leading index of
    ``indices``."""
    if batch_dims:
        raise NotImplementedError("gather_nd: batch_dims is not supported")
    return GATHER_ND(params, indices, name=name or "GatherNd")


def scatter_nd(indices, updates, shape, name=None):
    """``tf.scatter_nd``: zeros of ``shape`` with ``updates`` added at ``indices``."""
    return SCATTER_ND(indices, updates, shape, name=name or "ScatterNd")


# -- TopKV2 ---------------------------------------------------------------------------------------
def _top_k_kernel(input, k, *, sorted):  # noqa: A002 - TF's argument names
    x = np.asarray(input)
    k = int(k)
    if x.ndim < 1:
        raise InvalidArgumentError(None, None, "input must be at least 1-D")
    if k < 0:
        raise InvalidArgumentError(None, None, f"Need k >= 0, got {k}")
    if k > x.shape[-1]:
        raise InvalidArgumentError(None, None, f"input must have at least k columns. Had "
                                   f"{x.shape[-1]}, needed {k}")
    # Largest first, equal values by position (the lower index first), as TF's: a stable
    # ascending sort of the reversed row, read backwards (negating would overflow INT_MIN).
    n = x.shape[-1]
    order = (n - 1 - np.argsort(x[..., ::-1], axis=-1, kind="stable"))[..., ::-1][..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(np.int32)


def _top_k_infer(input, k, *, sorted):  # noqa: A002
    _check_dtype(input, _REAL_TYPES, "T")
    if k.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {k.shape.rank}")
    kv = const_ints(k)
    dims = input.shape.as_tuple()
    if dims is not None and not dims:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    kv = None if kv is None else kv[0]
    if kv is not None and dims and dims[-1] is not None and kv > dims[-1]:
        raise shape_error(f"input must have last dimension >= k = {kv} but is {dims[-1]}")
    shape = TensorShape(None) if dims is None else TensorShape(list(dims[:-1]) + [kv])
    return [TensorSpec(shape, input.dtype), TensorSpec(shape, _dt.int32)]


def _top_k_grad(op, dvalues, _):
    """dvalues added back at the positions the values came from (TF's rule: ScatterNd over
    the flattened input)."""
    from .concat_split_ops import stack
    from .transform_ops import expand_dims

    x, indices = op.inputs[0], op.outputs[1]
    if indices.shape.rank is not None and indices.shape[-1].value == 0:
        return [array_ops.zeros_like(x), None]  # k = 0: nothing was picked
    in_shape = array_ops.shape(x)
    cols = array_ops.shape(indices)[-1]
    width = in_shape[-1]
    ind_2d = array_ops.reshape(indices, stack([-1, cols]))
    rows = array_ops.shape(ind_2d)[0]
    offsets = expand_dims(array_ops.range_(0, rows * width, width), -1)
    flat = array_ops.reshape(ind_2d + offsets, [-1, 1])
    total = array_ops.reshape(array_ops.size(x), [1])
    dx = array_ops.reshape(SCATTER_ND(flat, array_ops.reshape(dvalues, [-1]), total), in_shape)
    dx.set_shape(x.shape)
    return [dx, None]


TOP_K_V2 = register(OpDef(
    "TopKV2", inputs=["input:T", "k:int32"], attrs={"sorted": True},
    kernel=_top_k_kernel,
    infer=_top_k_infer,
    grad=_top_k_grad,
    doc="The k largest entries of the last axis and their indices, largest first.",
))


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002
    """``tf.nn.top_k`` / ``tf.math.top_k``: (values, indices) of the ``k`` largest entries of
    the last axis, largest first (ties: the lower index first), as TF's namedtuple."""
    return TopKV2(*TOP_K_V2(input, k, sorted=sorted, name=name or "TopKV2"))
