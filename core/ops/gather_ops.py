"""Gathering: GatherV2, GatherNd and ScatterNd (each the other's gradient) and TopKV2 (whose
gradient is a ScatterNd).

The segment reductions (UnsortedSegmentSum, the dense form of the gather gradient, and the
others) and Unique live in segment_ops; they are re-exported here, so ``gather_ops.X`` and
``tf.<name>`` (``__all__``) work as before."""

from __future__ import annotations

import collections

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value
from .. import dtypes as _dt
from ..opdef import OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import array_ops
from ._math_util import _check_dtype
from ._util import const_ints, shape_from_value
# Re-exported: the segment family, and the helpers other modules import from here.
from .segment_ops import (SEGMENT_MAX, SEGMENT_MEAN, SEGMENT_MIN, SEGMENT_SUM,  # noqa: F401
                          UNIQUE, UNSORTED_SEGMENT_MAX, UNSORTED_SEGMENT_MIN,
                          UNSORTED_SEGMENT_SUM, _check_sorted_ids, _check_unsorted_segments,
                          _extreme, _extreme_grad, _first_bad, _gather_drop_negatives,
                          _index_str, _ordered, _per_row, _reduce_at, _segment_mean_grad,
                          _sorted_segment, _sorted_segment_infer, _unique_infer,
                          _unique_kernel, _unsorted_extreme_kernel, _uss_infer, _uss_kernel,
                          segment_max, segment_mean, segment_min, segment_sum, unique,
                          unsorted_segment_max, unsorted_segment_mean, unsorted_segment_min,
                          unsorted_segment_sum)
from .slicing_ops import _shape_str

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



_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _gather_kernel(params, indices, axis, *, batch_dims):
    params, indices = np.asarray(params), np.asarray(indices)
    axis, batch_dims = _gather_axes(params.ndim, indices.ndim, int(axis), batch_dims)
    _check_batch_shapes(params.shape, indices.shape, batch_dims)
    n = params.shape[axis]
    out_shape = params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis + 1:]
    if 0 in out_shape:  # (np.prod would cost 3.5 us a call here)
        return np.zeros(out_shape, params.dtype)  # nothing is read: TF checks no index
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
    batch_dims = op._get_attr("batch_dims")
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


# -- GatherNd / ScatterNd -------------------------------------------------------------------------
#: TF's bad_indices_policy values: "" and "DEFAULT" mean ERROR on CPU; IGNORE skips (scatters)
#: or zero-fills (GatherNd) the index tuples out of range.
BAD_INDICES_POLICIES = ("", "DEFAULT", "ERROR", "IGNORE")


def check_bad_indices_policy(policy):
    """Raises TF's kernel-construction error (at run time) for an unknown policy; returns
    whether out-of-range index tuples are ignored."""
    if policy not in BAD_INDICES_POLICIES:
        raise InvalidArgumentError(None, None, "Unknown bad indices handling attribute: "
                                   f"{policy}")
    return policy == "IGNORE"


def _nd_positions(indices, shape, what, ignore_bad=False):
    """Row numbers, in ``shape`` seen as (prod(shape[:K]), prod(shape[K:])) rows, of the index
    tuples on the last axis (K) of ``indices``; raises TF's message for one out of range, or,
    with ``ignore_bad`` (bad_indices_policy IGNORE), gives it row -1.
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
    bad = None
    if k:
        bad = ((idx < 0) | (idx >= dims)).any(axis=-1)
        if bad.any() and not ignore_bad:
            pos = _first_bad(bad)
            raise InvalidArgumentError(None, None, f"{_index_str('indices', pos)} = "
                                       f"{list(map(int, idx[pos]))} does not index into "
                                       f"{what} {_shape_str(shape)}")
    rows = idx.astype(np.int64) @ strides if k else np.zeros(idx.shape[:-1], np.int64)
    if bad is not None and ignore_bad:
        rows = np.where(bad, -1, rows)
    return rows, int(np.prod(dims)), int(np.prod(shape[k:], dtype=np.int64))


def _gather_nd_kernel(params, indices, *, bad_indices_policy):
    params = np.asarray(params)
    ignore = check_bad_indices_policy(bad_indices_policy)
    idx_shape = np.shape(indices)
    if params.size == 0 and len(idx_shape) >= 1 and idx_shape[-1] <= params.ndim and \
            int(np.prod(idx_shape[:-1], dtype=np.int64)):
        # TF refuses any index tuple into empty params, even one in range (whatever policy).
        raise InvalidArgumentError(None, None, "Requested more than 0 entries, but params is "
                                   f"empty.  Params shape: {_shape_str(params.shape)}")
    rows, n, size = _nd_positions(indices, params.shape, "param shape", ignore)
    k = np.shape(indices)[-1]
    flat_rows = rows.reshape(-1)
    if ignore:  # TF's IGNORE on CPU: an index tuple out of range gathers zeros
        keep = flat_rows >= 0
        out = np.zeros((flat_rows.size, size), params.dtype)
        out[keep] = params.reshape((n, size))[flat_rows[keep]]
        return out.reshape(rows.shape + params.shape[k:])
    return params.reshape((n, size))[flat_rows].reshape(rows.shape + params.shape[k:])


_INDEX_TYPES = ("int32", "int64")


def _gather_nd_infer(params, indices, *, bad_indices_policy):
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
    dx = SCATTER_ND(indices, dy, array_ops.shape(params, out_type=indices.dtype),
                    bad_indices_policy=op._get_attr("bad_indices_policy"))  # as TF's rule
    dx.set_shape(params.shape)
    return [dx, None]


GATHER_ND = register(OpDef(
    "GatherNd", inputs=["params:Tparams", "indices:Tindices"], attrs={"bad_indices_policy": ""},
    kernel=_gather_nd_kernel,
    infer=_gather_nd_infer,
    grad=_gather_nd_grad,
    doc="Slices of params at index tuples (the last axis of indices).",
))


def _scatter_nd_kernel(indices, updates, shape, *, bad_indices_policy):
    shape = tuple(int(d) for d in np.asarray(shape).reshape(-1))
    if any(d < 0 for d in shape):
        raise InvalidArgumentError(None, None, f"Dimensions must be non-negative, got shape "
                                   f"{list(shape)}")
    updates = np.asarray(updates)
    ignore = check_bad_indices_policy(bad_indices_policy)
    if 0 in shape:
        # An empty output takes no index tuple and no update (rows of size 0 included).
        if np.size(indices) or updates.size:
            raise InvalidArgumentError(None, None, "Indices and updates specified for empty "
                                       f"output shape {_shape_str(shape)}")
        return np.zeros(shape, updates.dtype)
    rows, n, size = _nd_positions(indices, shape, "shape", ignore)
    want = rows.shape + shape[np.shape(indices)[-1]:]
    if updates.shape != want:
        raise InvalidArgumentError(None, None, f"updates has shape {_shape_str(updates.shape)}, "
                                   "but indices.shape[:-1] + shape[indices.shape[-1]:] is "
                                   f"{_shape_str(want)}")
    out = np.zeros((n, size), updates.dtype)
    rows, updates = rows.reshape(-1), updates.reshape(-1, size)
    keep = rows >= 0  # IGNORE: an index tuple out of range updates nothing
    np.add.at(out, rows[keep], updates[keep])  # repeated indices add up
    return out.reshape(shape)


def _scatter_nd_infer(indices, updates, shape, *, bad_indices_policy):
    _check_dtype(indices, _INDEX_TYPES, "Tindices")
    if indices.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    dims = shape_from_value(shape)
    if dims.is_fully_defined() and dims.num_elements() == 0 and any(
            t.shape.is_fully_defined() and t.shape.num_elements() for t in (indices, updates)):
        raise shape_error(f"Indices and updates specified for empty output shape {dims}")
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
    attrs={"bad_indices_policy": ""},
    kernel=_scatter_nd_kernel,
    infer=_scatter_nd_infer,
    grad=_scatter_nd_grad,
    doc="Zeros of ``shape`` with updates added at index tuples (repeated ones summed).",
))


def gather_nd(params, indices, name=None, batch_dims=0):
    """``tf.gather_nd``: ``params[tuple(indices[..., :])]`` for every leading index of
    ``indices``."""
    if batch_dims:
        return _batch_gather_nd(params, indices, int(batch_dims), name)
    return GATHER_ND(params, indices, name=name or "GatherNd")


def _batch_gather_nd(params, indices, batch_dims, name):
    """gather_nd within each of the first ``batch_dims`` dimensions (TF's batch_gather_nd):
    the batch dimensions flattened to one, each index prefixed with its batch row."""
    from ..graph import convert_to_tensor, name_scope
    from .concat_split_ops import concat
    from .fill_ops import range_
    from .math_ops import cast
    from .reduction_ops import reduce_prod
    from .shape_ops import reshape, shape
    from .transform_ops import broadcast_to

    if batch_dims < 0:
        raise ValueError(f"gather_nd does not allow negative batch_dims, got {batch_dims}")
    with name_scope(name, "GatherNd", [params, indices]):
        params, indices = convert_to_tensor(params), convert_to_tensor(indices)
        rank = indices.shape.rank
        if rank is not None and batch_dims >= rank:
            raise ValueError(f"batch_dims = {batch_dims} must be less than rank(indices) = "
                             f"{rank}")
        p_shape, i_shape = shape(params), shape(indices, out_type=indices.dtype)
        batch_shape = p_shape[:batch_dims]
        rows = reduce_prod(batch_shape)
        # The batch row count spelt out, not -1: with a zero-size batch or rest, -1 is 0 or
        # ambiguous, and the row ids below would not broadcast against the indices.
        n_rows = reshape(rows, [1])
        flat_params = reshape(params, concat([n_rows, p_shape[batch_dims:]], 0))
        flat_indices = reshape(indices, concat([cast(n_rows, indices.dtype),
                                                i_shape[batch_dims:]], 0))
        # Each index tuple gets its batch row in front: [rows, i..., 1] beside [rows, i..., C].
        row = reshape(cast(range_(rows), indices.dtype),
                      concat([[-1], array_ops.ones_like(i_shape[batch_dims:])], 0))
        row = broadcast_to(row, concat([shape(flat_indices, out_type=indices.dtype)[:-1],
                                        [1]], 0))
        out = GATHER_ND(flat_params, concat([row, flat_indices], -1))
        return reshape(out, concat([batch_shape, shape(out)[1:]], 0))


def scatter_nd(indices, updates, shape, name=None):
    """``tf.scatter_nd``: zeros of ``shape`` with ``updates`` added at ``indices``."""
    return SCATTER_ND(indices, updates, shape, name=name or "ScatterNd")


# -- TopKV2 ---------------------------------------------------------------------------------------
def _top_k_candidates(x, k):
    """(values, columns, valid) of each row's elements that can be among its k largest, as
    padded 2-D arrays in index order, or None. Every block of 64 has a maximum; the k-th
    largest of those maxima is <= the row's k-th largest, so only elements >= it matter."""
    rows, n = x.shape
    nb = n // 64
    if nb < 4 * k:
        return None
    maxima = x[:, :nb * 64].reshape(rows, nb, 64).max(axis=2)
    if n > nb * 64:
        maxima = np.concatenate([maxima, x[:, nb * 64:].max(axis=1, keepdims=True)], axis=1)
    low = np.partition(maxima, maxima.shape[1] - k, axis=1)[:, maxima.shape[1] - k, None]
    flat = np.flatnonzero(x >= low)
    count = np.bincount(flat // n, minlength=rows)
    width = int(count.max())
    if width > 16 * k + 256:  # many ties at the bound: the plain partition is as good
        return None
    row = flat // n
    pos = np.arange(flat.size) - np.repeat(np.cumsum(count) - count, count)
    # Padding below every value, so it never counts among the k largest of a row.
    pad = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    vals = np.full((rows, width), pad, dtype=x.dtype)
    cols = np.zeros((rows, width), dtype=np.intp)
    valid = np.zeros((rows, width), dtype=bool)
    vals[row, pos] = x.reshape(-1)[flat]
    cols[row, pos] = flat - row * n
    valid[row, pos] = True
    return vals, cols, valid


def _top_k_select(x, k):
    """Indices of the k largest of each row of the 2-D NaN-free ``x``, ordered as the full
    stable sort orders them: the k-th largest value ``t`` comes from a partition; everything
    above ``t`` is taken, then the first (by index) of the values equal to ``t`` that fit."""
    if k == 1:  # argmax picks the first of equal maxima
        return np.argmax(x, axis=1)[:, None]
    found = _top_k_candidates(x, k)
    if found is None:
        vals, cols, valid = x, np.broadcast_to(np.arange(x.shape[1]), x.shape), True
    else:
        vals, cols, valid = found
    w = vals.shape[1]
    t = np.partition(vals, w - k, axis=1)[:, w - k, None]
    above = vals > t
    tied = (vals == t) & valid  # padding may equal t
    room = k - np.count_nonzero(above, axis=1)
    keep = above | tied
    over = np.flatnonzero(np.count_nonzero(tied, axis=1) > room)
    if over.size:  # more ties than room: keep only the lowest-index ones
        keep[over] = above[over] | (tied[over] & (np.cumsum(tied[over], axis=1)
                                                  <= room[over, None]))
    cols = cols[keep].reshape(-1, k)  # exactly k per row, in index order
    vals = np.take_along_axis(x, cols, axis=1)
    rank = (k - 1 - np.argsort(vals[:, ::-1], axis=1, kind="stable"))[:, ::-1]
    return np.take_along_axis(cols, rank, axis=1)


def _top_k_kernel(input, k, *, sorted, index_type=_dt.int32):  # noqa: A002 - TF's names
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
    nan = np.isnan(x) if x.dtype.kind == "f" else None
    has_nan = nan is not None and nan.any()
    if not has_nan and 0 < k and 8 * k <= n and x.size:
        # Few of many: select in O(n) instead of sorting whole rows (same result).
        order = _top_k_select(x.reshape(-1, n), k).reshape(x.shape[:-1] + (k,))
    elif has_nan:  # NaNs last, as TF's comparisons leave them
        keys = (np.broadcast_to(np.arange(n), x.shape), -np.where(nan, 0, x), nan)
        order = np.lexsort(keys, axis=-1)[..., :k]
    else:
        order = (n - 1 - np.argsort(x[..., ::-1], axis=-1, kind="stable"))[..., ::-1][..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(index_type.as_numpy_dtype)


def _top_k_infer(input, k, *, sorted, index_type):  # noqa: A002
    _check_dtype(input, _REAL_TYPES, "T")
    if index_type.name not in ("int16", "int32", "int64"):
        raise TypeError(f"Value passed to parameter 'index_type' has DataType "
                        f"{index_type.name} not in list of allowed values: int16, int32, int64")
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
    return [TensorSpec(shape, input.dtype), TensorSpec(shape, index_type)]


def _top_k_grad(op, dvalues, _):
    """dvalues added back at the positions the values came from (TF's rule: ScatterNd over
    the flattened input)."""
    from .concat_split_ops import stack
    from .transform_ops import expand_dims

    x, indices = op.inputs[0], op.outputs[1]
    if indices.dtype != _dt.int32:  # index_type int16/int64 (TF's rule fails on them)
        from .math_ops import cast

        indices = cast(indices, _dt.int32)
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
    "TopKV2", inputs=["input:T", "k:int32"], attrs={"sorted": True, "index_type": _dt.int32},
    kernel=_top_k_kernel,
    infer=_top_k_infer,
    grad=_top_k_grad,
    doc="The k largest entries of the last axis and their indices, largest first.",
))


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None, index_type=_dt.int32):  # noqa: A002
    """``tf.nn.top_k`` / ``tf.math.top_k``: (values, indices) of the ``k`` largest entries of
    the last axis, largest first (ties: the lower index first), as TF's namedtuple; the
    indices are of ``index_type`` (int16, int32 or int64; after ``name``, which TF1 code
    may pass positionally, where TF 2.x has it before)."""
    return TopKV2(*TOP_K_V2(input, k, sorted=sorted, index_type=index_type,
                            name=name or "TopKV2"))
