"""The ragged ops TensorFlow writes as one node, and the ``tf.ragged`` functions.

RaggedTensorToTensor (``RaggedTensor.to_tensor``), RaggedTensorToSparse (``to_sparse``) and
RaggedRange (``tf.ragged.range``) are OpDefs with TF's names, inputs and attrs, so their graphs
serialise as TF's. ``row_splits_to_segment_ids``, ``segment_ids_to_row_splits`` and
``map_flat_values`` are composed from other ops, as TF composes them; ``tf.ragged.constant`` /
``constant_value`` (from a nested list) are core/ragged_constant.py's, re-exported here. The
RaggedTensor class is core/ragged.py's, which imports this module: this one imports it inside
functions."""

from __future__ import annotations

import builtins

import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError
from .graph import convert_to_tensor, name_scope
from .opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from .ragged_constant import constant, constant_value  # tf.ragged's, re-exported

__all__ = ["constant", "constant_value", "map_flat_values", "range", "row_splits_to_segment_ids",
           "segment_ids_to_row_splits"]


# -- kernels: nested row_splits and the position of each flat value -----------------------------
def _check_splits(nested_splits, nvals):
    """TF's RaggedTensorToSparse checks: each level starts at 0, never decreases and ends at
    the length of what it splits."""
    for k, s in enumerate(nested_splits):
        size = len(nested_splits[k + 1]) - 1 if k + 1 < len(nested_splits) else nvals
        if len(s) == 0 or s[0] != 0:
            raise InvalidArgumentError(None, None, "First value of ragged splits must be 0.")
        drop = np.flatnonzero(np.diff(s) < 0)
        if drop.size:
            i = int(drop[0])
            raise InvalidArgumentError(None, None, f"Ragged splits should be non decreasing, "
                                       f"but we got {s[i]} followed by {s[i + 1]}")
        if s[-1] != size:
            raise InvalidArgumentError(None, None, "Final value of ragged splits must match "
                                       "the length the corresponding ragged values.")


def _positions(nested_splits, nvals):
    """For each flat value, its index along the outer axis and each ragged axis: int64
    [nvals, 1 + ragged_rank] (the splits are valid)."""
    rows = np.arange(nvals, dtype=np.int64)
    cols = []
    for s in reversed(nested_splits):
        parent = np.searchsorted(s, rows, side="right") - 1
        cols.append(rows - s[parent])
        rows = parent
    return np.stack([rows] + cols[::-1], axis=1).astype(np.int64)


def _bounding_dims(nested_splits):
    """The number of rows, then the longest row at each ragged axis."""
    return [len(nested_splits[0]) - 1] + [int(np.diff(s).max(initial=0)) for s in nested_splits]


def _partitions_to_splits(types, tensors, nvals):
    """RaggedTensorToTensor's row partition tensors as nested row_splits."""
    if list(types[:1]) == ["FIRST_DIM_SIZE"]:
        nrows, rest = int(np.asarray(tensors[0])), list(zip(types[1:], tensors[1:]))
    else:
        nrows, rest = None, list(zip(types, tensors))
    splits = []
    for kind, t in rest:
        t = np.asarray(t, np.int64).reshape(-1)
        if kind == "ROW_SPLITS":
            if t.size == 0:
                raise InvalidArgumentError(None, None, "Invalid first partition input. Tensor "
                                           "requires at least one element.")
            splits.append(t)
        elif kind == "VALUE_ROWIDS":
            n = nrows if not splits else int(splits[-1][-1])
            if t.size and (t[0] < 0 or t[-1] >= n or np.any(np.diff(t) < 0)):
                raise InvalidArgumentError(None, None, f"Invalid value_rowids: they must be "
                                           f"sorted and in [0, {n})")
            splits.append(np.concatenate([[0], np.cumsum(np.bincount(t, minlength=n))]))
        else:
            raise InvalidArgumentError(None, None, f"Unsupported partition type {kind!r}: "
                                       "minitf reads ROW_SPLITS, FIRST_DIM_SIZE, VALUE_ROWIDS")
    for k, s in enumerate(splits):
        size = len(splits[k + 1]) - 1 if k + 1 < len(splits) else nvals
        # TF's kernel reads past the values when the last split is too big (and drops values
        # when it is too small): both are refused here.
        if s[0] != 0 or np.any(np.diff(s) < 0) or s[-1] != size:
            raise InvalidArgumentError(None, None, "Invalid row split size.")
    return splits


def _shape_text(dims) -> str:  # as TF's TensorShape::DebugString: [3,?,2]
    return "[" + ",".join("?" if d is None or d < 0 else str(d) for d in dims) + "]"


def _check_wanted(wanted, dims, outer):
    """TF's checks of the shape asked for (None: any size) against the ragged tensor's dims
    (None where ragged or unknown; None for an unknown rank), at graph construction and run."""
    if dims is None:
        return
    if len(wanted) != len(dims):
        raise shape_error(f"rt_input.shape and shape={_shape_text(wanted)} are incompatible: "
                          f"rt_input.rank = {len(dims)} but shape.rank = {len(wanted)}")
    for i in builtins.range(outer, len(dims)):
        if None not in (wanted[i], dims[i]) and wanted[i] != dims[i]:
            raise shape_error(f"rt_input.shape and shape={_shape_text(wanted)} are incompatible: "
                              f"rt_input.shape[{i}] = {dims[i]} but shape[{i}] = {wanted[i]}")


def _wanted_dims(shape, outer, value_shape) -> list:
    """The output dims asked for at run time (None: the bounding size), checked as TF's
    kernel checks them."""
    shape = np.asarray(shape)
    if shape.ndim > 1:
        raise shape_error(f"Shape must be at most rank 1 but is rank {shape.ndim}")
    if shape.ndim == 0:
        if shape != -1:
            raise shape_error("The only valid scalar shape tensor is the fully unknown shape "
                              "specified as -1.")
        return [None] * (outer - 1 + len(value_shape))
    wanted = shape.astype(np.int64).tolist()
    if min(wanted, default=0) < -1:
        raise shape_error(f"Dimension {next(d for d in wanted if d < -1)} must be >= -1")
    wanted = [None if d == -1 else d for d in wanted]
    _check_wanted(wanted, [None] * outer + list(value_shape[1:]), outer)
    return wanted


def _to_tensor_kernel(shape, values, default_value, partitions, *, row_partition_types):
    values = np.asarray(values)
    wanted = _wanted_dims(shape, 1 + _ragged_rank(row_partition_types), values.shape)
    splits = _partitions_to_splits(row_partition_types, partitions, len(values))
    dims = [have if d is None else d for d, have in  # pad or cut to the size given
            zip(wanted, _bounding_dims(splits) + list(values.shape[1:]))]
    out = np.empty(dims, values.dtype)
    out[...] = np.asarray(default_value, values.dtype)
    pos = _positions(splits, len(values))
    keep = np.all(pos < np.array(dims[:pos.shape[1]]), axis=1)
    out[tuple(pos[keep].T)] = values[keep]
    return out


def _ragged_rank(types) -> int:
    return len(types) - (list(types[:1]) == ["FIRST_DIM_SIZE"])


def _to_tensor_infer(shape, values, default_value, partitions, *, row_partition_types):
    vals, dv = values.shape, default_value.shape
    if vals.rank is not None and dv.rank is not None:
        if dv.rank >= vals.rank:
            raise shape_error(f"default_value.shape={dv} and rt_input.flat_values.shape={vals} "
                              f"are incompatible: default_value.rank = {dv.rank}  must be less "
                              f"than rt_input.flat_values.rank = {vals.rank}")
        for i in builtins.range(1, dv.rank + 1):
            d, v = dv[-i].value, vals[-i].value
            if d not in (None, 1) and v is not None and d != v:
                raise shape_error(f"default_value.shape={dv} and rt_input.flat_values.shape="
                                  f"{vals} are incompatible: default_value.shape[-{i}] = {d} "
                                  f"but rt_input.flat_values.shape[-{i}] = {v}")
    outer = 1 + _ragged_rank(row_partition_types)
    dims = None if vals.rank is None else [None] * outer + vals.as_list()[1:]
    wanted = _static_wanted(shape)
    if wanted is not None:
        _check_wanted(wanted, dims, outer)
        dims = [w if w is not None else d for w, d in zip(wanted, dims or wanted)]
    return [TensorSpec(dims, values.dtype)]


def _static_wanted(shape) -> list | None:
    """What graph construction knows of the shape input, as TF's shape function reads it: its
    dims (None where unknown), or None for any shape (-1, or a vector of unknown length). A
    scalar must be a constant -1; a matrix is refused."""
    rank = shape.shape.rank
    if rank is not None and rank > 1:
        raise shape_error(f"Shape must be at most rank 1 but is rank {rank}")
    value = shape.value
    if rank == 0 or (value is not None and np.ndim(value) == 0):
        if value is None:
            raise shape_error("Received a shape scalar with unknown static value.  A static "
                              "value of '-1' is required to represent an unknown shape.")
        if value != -1:
            raise shape_error(f"Received an invalid shape scalar with a static value that is "
                              f"not '-1': Tensor<type: {shape.dtype.name} shape: [] values: "
                              f"{value}>")
        return None
    if value is not None:
        wanted = [int(d) for d in np.asarray(value).tolist()]
        if min(wanted, default=0) < -1:
            raise shape_error("Invalid value in tensor used for shape: "
                              f"{next(d for d in wanted if d < -1)}")
        return [None if d == -1 else d for d in wanted]
    partial = shape.shape_value  # e.g. [tf.shape(x)[0], 2] holds (?, 2)
    if partial is not None and partial.rank is not None:
        return partial.as_list()
    length = shape.shape[0].value if rank == 1 else None
    return None if length is None else [None] * length


def _to_tensor_grad(op, dy):
    """TF's rule: each flat value gets dy at its place (found by converting a range with the
    same partitions), the default value the sum of dy over the padding it filled."""
    from .composites import boolean_mask
    from .ops import array_ops, logic_ops, reduction_ops
    from .ops.gather_ops import unsorted_segment_sum

    _, values, default_value, *partitions = op.inputs
    outer = 1 + _ragged_rank(op._get_attr("row_partition_types"))
    nvals = array_ops.shape(values)[0]
    index = RAGGED_TENSOR_TO_TENSOR(
        array_ops.shape(dy, out_type=op.inputs[0].dtype)[:outer], array_ops.range_(nvals),
        np.int32(-1), list(partitions), row_partition_types=op._get_attr("row_partition_types"))
    mask = logic_ops.not_equal(index, -1)
    d_values = unsorted_segment_sum(boolean_mask(dy, mask), boolean_mask(index, mask), nvals)
    padded = reduction_ops.reduce_sum(boolean_mask(dy, logic_ops.logical_not(mask)), axis=0)
    default_shape = array_ops.shape(default_value)
    axes, _ = array_ops.broadcast_gradient_args(default_shape, array_ops.shape(padded))
    d_default = array_ops.reshape(reduction_ops.reduce_sum(padded, axis=axes), default_shape)
    return [None, d_values, d_default] + [None] * len(partitions)


RAGGED_TENSOR_TO_TENSOR = register(OpDef(
    "RaggedTensorToTensor",
    inputs=["shape:Tshape", "values:T", "default_value:T",
            "row_partition_tensors:num_row_partition_tensors*Tindex"],
    attrs={"row_partition_types": req("list(string)")},
    kernel=_to_tensor_kernel, infer=_to_tensor_infer, grad=_to_tensor_grad,
    doc="A ragged tensor made dense: rows padded with default_value, or cut to shape.",
))


def _to_sparse_kernel(nested_splits, values):
    values = np.asarray(values)
    splits = [np.asarray(s, np.int64) for s in nested_splits]
    _check_splits(splits, len(values))
    pos = _positions(splits, len(values))
    inner = values.shape[1:]
    if inner:  # each flat value is a block: one index per element, row-major
        within = np.array(list(np.ndindex(*inner)), np.int64).reshape(-1, len(inner))
        pos = np.concatenate([np.repeat(pos, len(within), axis=0),
                              np.tile(within, (len(values), 1))], axis=1)
    dense_shape = np.array(_bounding_dims(splits) + list(inner), np.int64)
    return pos.reshape(-1, len(dense_shape)), values.reshape(-1), dense_shape


def _to_sparse_infer(nested_splits, values):
    for s in nested_splits:
        if s.shape.rank not in (None, 1):
            raise shape_error(f"Shape must be rank 1 but is rank {s.shape.rank}")
    if values.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    rank = None if values.shape.rank is None else len(nested_splits) + values.shape.rank
    return [TensorSpec([None, rank], _dt.int64), TensorSpec([None], values.dtype),
            TensorSpec([rank], _dt.int64)]


def _to_sparse_grad(op, d_indices, d_values, d_shape):
    from .ops import array_ops

    values = op.inputs[-1]
    return [None] * (len(op.inputs) - 1) + [array_ops.reshape(d_values,
                                                             array_ops.shape(values))]


RAGGED_TENSOR_TO_SPARSE = register(OpDef(
    "RaggedTensorToSparse", inputs=["rt_nested_splits:RAGGED_RANK*Tsplits", "rt_dense_values:T"],
    kernel=_to_sparse_kernel, infer=_to_sparse_infer, grad=_to_sparse_grad,
    doc="The (indices, values, dense_shape) of a ragged tensor's values, in row-major order.",
))


def _range_kernel(starts, limits, deltas, *, Tsplits):  # noqa: N803 - TF's attr name
    arrays = [np.asarray(a) for a in (starts, limits, deltas)]
    for what, a in zip(("starts", "limits", "deltas"), arrays):
        if a.ndim > 1:
            raise InvalidArgumentError(None, None, f"{what} must be a scalar or vector")
    sizes = {a.shape[0] for a in arrays if a.ndim == 1}
    if len(sizes) > 1:
        raise InvalidArgumentError(None, None, "starts, limits, and deltas must have the same "
                                   "shape")
    n = sizes.pop() if sizes else 1
    dtype = arrays[0].dtype
    starts, limits, deltas = (np.broadcast_to(a, (n,)) for a in arrays)
    sizes = _range_sizes(starts, limits, deltas, dtype)
    splits = np.concatenate([np.zeros(1, np.int64), np.cumsum(sizes)])
    if Tsplits == _dt.int32 and n and splits[-1] > np.iinfo(np.int32).max:
        raise InvalidArgumentError(None, None, "The total range size overflowed. Consider using "
                                   "int64 instead of int32 for row_splits_dtype.")
    if dtype.kind in "iu":  # start + i * delta wraps as TF's repeated += does
        within = np.arange(splits[-1]) - np.repeat(splits[:-1], sizes)
        values = (np.repeat(starts.astype(np.int64), sizes) +
                  within * np.repeat(deltas.astype(np.int64), sizes)).astype(dtype)
    else:
        values = _float_rows(starts, deltas, sizes, splits, dtype)
    return splits.astype(Tsplits.as_numpy_dtype), values


def _range_sizes(starts, limits, deltas, dtype) -> np.ndarray:
    """The length of each row, as TF's kernel computes it; TF checks the rows in order, so
    the first bad row decides the error."""
    zero = deltas == 0
    empty = ((deltas > 0) & (limits < starts)) | ((deltas < 0) & (limits > starts))
    step = np.where(zero, 1, deltas)
    with np.errstate(all="ignore"):
        if dtype.kind in "iu":  # divup(|limit - start|, |delta|), exact in int64
            step = np.abs(step.astype(np.int64))
            size = (np.abs(limits.astype(np.int64) - starts.astype(np.int64)) + step - 1) // step
        else:  # ceil(|(limit - start) / delta|), in T as TF's
            size = np.ceil(np.abs((limits - starts) / step))
        too_big = ~empty & ~(size <= 2.0**63)  # NaN too
        sizes = np.where(empty | too_big, 0, size).astype(np.int64)
    bad = np.flatnonzero(zero | too_big)
    if bad.size:
        raise InvalidArgumentError(None, None, "Requires delta != 0" if zero[bad[0]] else
                                   f"Requires ((limit - start) / delta) <= {2**63 - 1}")
    return sizes


def _float_rows(starts, deltas, sizes, splits, dtype) -> np.ndarray:
    """Float rows as TF builds them, adding delta once per element in T (not start + i *
    delta, which rounds differently): one cumsum over each group of rows of equal length."""
    values = np.empty(int(splits[-1]), dtype)
    order = np.argsort(sizes, kind="stable")
    lengths, first = np.unique(sizes[order], return_index=True)
    for length, lo, hi in zip(lengths, first, [*first[1:], len(order)]):
        if length == 0:
            continue
        rows = order[lo:hi]
        block = np.empty((len(rows), int(length)), dtype)
        block[:] = deltas[rows, None]
        block[:, 0] = starts[rows]
        np.cumsum(block, axis=1, out=block)
        values[(splits[rows][:, None] + np.arange(length)).reshape(-1)] = block.reshape(-1)
    return values


def _range_infer(starts, limits, deltas, *, Tsplits):  # noqa: N803
    n = None
    for spec in (starts, limits, deltas):
        if spec.shape.rank is not None and spec.shape.rank > 1:
            raise shape_error(f"Shape must be at most rank 1 but is rank {spec.shape.rank}")
        if spec.shape.rank == 1 and spec.shape[0].value is not None:
            if n is not None and n != spec.shape[0].value:
                raise shape_error(f"Dimensions must be equal, but are {n} and "
                                  f"{spec.shape[0].value}")
            n = spec.shape[0].value
    if n is None and all(s.shape.rank == 0 for s in (starts, limits, deltas)):
        n = 1
    return [TensorSpec([None if n is None else n + 1], Tsplits),
            TensorSpec([None], starts.dtype)]


RAGGED_RANGE = register(OpDef(
    "RaggedRange", inputs=["starts:T=int32", "limits:T", "deltas:T"],
    attrs={"Tsplits": _dt.int64}, kernel=_range_kernel, infer=_range_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="One row per (start, limit, delta): the range from start to limit by delta.",
))


# -- tf.ragged ------------------------------------------------------------------------------------
def range(starts, limits=None, deltas=1, dtype=None, name=None,  # noqa: A001 - TF's name
          row_splits_dtype=_dt.int64):
    """``tf.ragged.range``: row i is ``range(starts[i], limits[i], deltas[i])`` (scalars
    broadcast); ``range(n)`` counts from 0."""
    from .ragged import RaggedTensor

    if limits is None:
        starts, limits = 0, starts
    with name_scope(name, "RaggedRange", [starts, limits, deltas]) as scope:
        ts = [convert_to_tensor(v, dtype=dtype, name=n) for v, n in
              ((starts, "starts"), (limits, "limits"), (deltas, "deltas"))]
        if dtype is None:  # the widest of int32, int64, float32, float64 among them
            order = [_dt.int32, _dt.int64, _dt.float32, _dt.float64]
            for t in ts:
                if t.dtype not in order:
                    raise TypeError(f"tf.ragged.range takes int32, int64, float32 or float64, "
                                    f"got {t.dtype.name}")
            widest = max((t.dtype for t in ts), key=order.index)
            from .ops.math_ops import cast

            ts = [t if t.dtype == widest else cast(t, widest) for t in ts]
        splits, values = RAGGED_RANGE(*ts, Tsplits=_dt.as_dtype(row_splits_dtype), name=scope)
        return RaggedTensor.from_row_splits(values, splits, validate=False)


def row_splits_to_segment_ids(splits, name=None, out_type=None):
    """``tf.ragged.row_splits_to_segment_ids``: the row of each value, ``[0, 0, 1, 3]`` for
    splits ``[0, 2, 3, 3, 4]``."""
    from .array_extra import repeat
    from .ops import array_ops

    with name_scope(name, "RaggedSplitsToSegmentIds", [splits]):
        splits = convert_to_tensor(splits, name="splits", preferred_dtype=_dt.int64)
        if splits.dtype not in (_dt.int32, _dt.int64):
            raise ValueError("splits must have dtype int32 or int64")
        splits.shape.assert_has_rank(1)
        if splits.shape[0].value == 0:
            raise ValueError("Invalid row_splits: []")
        out_type = splits.dtype if out_type is None else _dt.as_dtype(out_type)
        nrows = array_ops.shape(splits, out_type=out_type)[-1] - 1
        return repeat(array_ops.range_(nrows), splits[1:] - splits[:-1], axis=0)


def segment_ids_to_row_splits(segment_ids, num_segments=None, out_type=None, name=None):
    """``tf.ragged.segment_ids_to_row_splits``: splits with ``count(segment_ids == i)`` values
    in row i, for ``num_segments`` rows (``max(segment_ids) + 1`` if None)."""
    from .graph import Tensor, constant_value
    from .ops import array_ops
    from .ops.concat_split_ops import concat
    from .ops.count_ops import bincount
    from .ops.reduction_ops import cumsum

    if out_type is None:
        out_type = segment_ids.dtype if isinstance(segment_ids, Tensor) else \
            num_segments.dtype if isinstance(num_segments, Tensor) else _dt.int64
    out_type = _dt.as_dtype(out_type)
    with name_scope(name, "SegmentIdsToRaggedSplits", [segment_ids]):
        segment_ids = _int_tensor(segment_ids, "segment_ids")
        segment_ids.shape.assert_has_rank(1)
        if num_segments is not None:
            num_segments = _int_tensor(num_segments, "num_segments")
            num_segments.shape.assert_has_rank(0)
        lengths = bincount(segment_ids, minlength=num_segments, maxlength=num_segments,
                           dtype=out_type)
        splits = concat([array_ops.zeros([1], out_type), cumsum(lengths)], axis=0)
        if num_segments is not None:
            n = constant_value(num_segments)
            if n is not None:
                splits.set_shape([int(n) + 1])
        return splits


def _int_tensor(value, what):
    """An int32 tensor of ``value`` (as TF's bincount needs), cast from int64."""
    from .ops.math_ops import cast

    t = convert_to_tensor(value, name=what, preferred_dtype=_dt.int32)
    if t.dtype not in (_dt.int32, _dt.int64):
        raise TypeError(f"{what} must be an integer tensor; dtype={t.dtype.name}")
    return t if t.dtype == _dt.int32 else cast(t, _dt.int32)


def map_flat_values(op, *args, **kwargs):
    """``tf.ragged.map_flat_values``: ``op`` applied to the flat_values of the RaggedTensors
    among its arguments (in lists, tuples and dicts too), the result given their row
    partitions. The ragged arguments must share their partitions: different tensors are
    checked equal at run time, as TF does."""
    from .ragged import RaggedTensor

    partitions, nrows = [], []

    def flat(v):
        if isinstance(v, RaggedTensor):
            partitions.append(list(v.nested_row_splits))
            nrows.append(v.flat_values.shape[0].value if v.flat_values.shape.rank else None)
            return v.flat_values
        if isinstance(v, (list, tuple)):
            return type(v)(flat(x) for x in v) if not hasattr(v, "_fields") else \
                type(v)(*[flat(x) for x in v])
        if isinstance(v, dict):
            return {k: flat(x) for k, x in v.items()}
        return v

    inner_args, inner_kwargs = flat(list(args)), flat(kwargs)
    if not partitions:
        return op(*args, **kwargs)
    known = {n for n in nrows if n is not None}
    if len(known) > 1:
        raise ValueError(f"Input RaggedTensors' flat_values must all have the same "
                         f"outer-dimension size.  Got sizes: {known}")
    splits = _merge_partitions(partitions)
    out = op(*inner_args, **inner_kwargs)
    if known and out.shape.rank and out.shape[0].value not in (None, *known):
        raise ValueError(f"tf.ragged.map_flat_values requires that the output of `op` have the "
                         f"same outer-dimension size as flat_values of any ragged inputs. "
                         f"(output shape: {out.shape}; expected outer dimension size: "
                         f"{known.pop()})")
    return RaggedTensor.from_nested_row_splits(out, splits, validate=False)


def _merge_partitions(partitions):
    from .distributions_util import with_dependencies
    from .ops.logging_ops import assert_equal

    merged = list(partitions[0])
    for other in partitions[1:]:
        if len(other) != len(merged):
            raise ValueError("All ragged inputs must have the same ragged_rank.")
        for i, (a, b) in enumerate(zip(merged, other)):
            if a.dtype != b.dtype:
                raise ValueError("Input RaggedTensors have mismatched row partition dtypes; "
                                 "use RaggedTensor.with_row_splits_dtype() to convert them to "
                                 "compatible dtypes.")
            if a is not b:
                msg = ("RowPartition._merge_precomputed_encodings: partitions have "
                       "incompatible row_splits")
                if not a.shape.is_compatible_with(b.shape):
                    raise ValueError(msg)
                merged[i] = with_dependencies([assert_equal(a, b, message=msg)], a)
    return merged
