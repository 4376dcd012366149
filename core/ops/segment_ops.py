"""Segment reductions: UnsortedSegmentSum (the dense form of the gather gradient), SegmentSum,
SegmentMean, SegmentMax/Min, UnsortedSegmentMax/Min and the unsorted_segment_mean composite, plus
Unique (which, with UnsortedSegmentSum, sums a sparse gradient's repeated rows).

Split from gather_ops to keep each module readable in one sitting; gather_ops re-exports every
name here (its ``__all__`` is unchanged), so ``gather_ops.X`` keeps working. This module sits
below gather_ops: it never imports gather_ops at module level (see ``gather`` below)."""

from __future__ import annotations

import collections

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value
from .. import dtypes as _dt
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import array_ops, concat_split_ops, math_ops
from ._math_util import _REAL, _typed
from ._util import const_ints
from .slicing_ops import STRIDED_SLICE_GRAD, _shape_input, _shape_str

__all__ = ["segment_max", "segment_mean", "segment_min", "segment_sum", "unique",
           "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min",
           "unsorted_segment_sum"]


# -- index messages (shared with gather_ops' GatherV2 and GatherNd) ------------------------------
def _first_bad(bad) -> tuple:
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _index_str(name, pos) -> str:
    return name + ("[" + ",".join(map(str, pos)) + "]" if pos else "")


def gather(params, indices):
    """GatherV2 along axis 0, for the gradients below. GatherV2 lives in gather_ops, which
    imports this module to re-export it, so it is imported here only when a gradient is built."""
    from .gather_ops import gather as gather_v2

    return gather_v2(params, indices)


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
    # TF checks the ids only when there is data to move: empty data takes any ids.
    if ids.size and 0 not in data_shape and ids.max() >= n:
        pos = _first_bad(ids >= n)
        raise InvalidArgumentError(None, None, f"{_index_str('segment_ids', pos)} = {ids[pos]} "
                                   f"is out of range [0, {n})")
    return n


def _uss_kernel(data, segment_ids, num_segments):
    data, ids = np.asarray(data), np.asarray(segment_ids)
    n = _check_unsorted_segments(data.shape, ids, num_segments)
    tail = data.shape[ids.ndim:]
    if not data.size:
        return np.zeros((n,) + tail, dtype=data.dtype)
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
    if flat.size:  # empty data may come with ids beyond n (unsorted ops accept them)
        vals = flat[keep]
        if ufunc is not np.add and data.dtype.kind == "f" and np.isnan(vals).any():
            _extreme_with_nans(ufunc, out, ids, vals, fill)
        else:
            ufunc.at(out, ids, vals)
    return out, np.bincount(ids, minlength=n)


def _extreme_with_nans(ufunc, out, ids, vals, fill):
    """TF's max (min) keeps its running value only while it compares greater (less): a NaN
    replaces it, and the next value replaces the NaN. So a segment holding a NaN comes out as
    the max (min) of the values after its last NaN, or NaN if none follows (not numpy's NaN
    wherever there is one)."""
    order = np.arange(len(vals)).reshape((-1,) + (1,) * (vals.ndim - 1))
    last = np.full(out.shape, -1, np.intp)  # per output element: its last NaN's position
    np.maximum.at(last, ids, np.where(np.isnan(vals), order, -1))
    has = last[ids] >= 0
    ufunc.at(out, ids, np.where(has, fill, vals))  # the segments without a NaN, as usual
    after = has & (order > last[ids])
    start = -np.inf if ufunc is np.maximum else np.inf  # after a NaN TF restarts from a value
    tail = np.full(out.shape, start, out.dtype)
    ufunc.at(tail, ids, np.where(after, vals, start))
    seen = np.zeros(out.shape, np.intp)
    np.add.at(seen, ids, after)
    nan_seg = last >= 0
    out[nan_seg] = np.where(seen > 0, tail, np.nan)[nan_seg]


def _identity(dtype, largest: bool):
    """Where a sorted segment's max (min if not ``largest``) starts: -inf (+inf), or the
    integer dtype's lowest (highest), so every value, infinities included, comes out as is."""
    if dtype.kind == "f":
        return -np.inf if largest else np.inf
    return _extreme(dtype, not largest)


def _trunc_div(total, count):
    """Integer ``total / count`` as C++ divides (toward zero), in ``total``'s dtype; the count
    cast to that dtype first, as Eigen's mean reducer does (so it wraps for narrow types)."""
    count = count.astype(total.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):  # a count wrapped to 0 gives 0
        q = total // count
        if total.dtype.kind == "i":  # floor -> toward zero where the signs differ
            q += ((total % count) != 0) & ((total < 0) != (count < 0))
    return q.astype(total.dtype, copy=False)


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
                count = np.maximum(count, 1).reshape((n,) + (1,) * (data.ndim - 1))
                if data.dtype.kind in "iu":  # an integer mean stays exact (no float64 trip)
                    return _trunc_div(out, count)
                out = (out / count).astype(data.dtype)
            return out
        out, count = _reduce_at(ufunc, data, ids, n, _identity(data.dtype, ufunc is np.maximum))
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
        # TF starts an unsorted segment from the finite lowest (highest): an empty one, or
        # one of -inf (+inf) only, gives that.
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
    kernel=_unique_kernel, infer=_unique_infer, grad=NO_GRADIENT,
    doc="y: the distinct values of x in order of first appearance; idx: where each x is in y",
))


UniqueOutput = collections.namedtuple("Unique", ["y", "idx"])  # TF's result type


def unique(x, out_idx=_dt.int32, name=None):
    """(y, idx): x's distinct values in order of first appearance, and each x's index in y."""
    return UniqueOutput(*UNIQUE(x, out_idx=_dt.as_dtype(out_idx), name=name or "Unique"))

