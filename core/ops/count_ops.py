"""Counting and bucketing: Bincount, DenseBincount (what TF >= 2.3's tf.bincount writes; here
so that imported graphs run), RaggedBincount (per row of a ragged tensor: what Keras 2's
TextVectorization multi_hot / tf_idf writes), UniqueWithCounts, HistogramFixedWidth, LowerBound
and UpperBound; then the TF1 wrappers, composed as TF1 composes them: ``bincount`` (around
TF1's Bincount, or UnsortedSegmentSum with weights, so TF 1.x runtimes load its graphs),
``unique_with_counts``, ``histogram_fixed_width``, ``histogram_fixed_width_bins`` (no op of its
own), ``searchsorted`` (reshaped to 2-D around LowerBound/UpperBound) and ``confusion_matrix``
(ScatterNd). None of these ops is
differentiable, as in TF."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from . import array_ops, math_ops, reduction_ops
from ._math_util import _check_dtype
from ._util import const_ints
from .gather_ops import _unique_kernel, _unique_infer, unsorted_segment_sum

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["bincount", "confusion_matrix", "histogram_fixed_width", "histogram_fixed_width_bins",
           "searchsorted", "unique_with_counts"]

def _invalid(message):
    return InvalidArgumentError(None, None, message)


def scalar_size(size) -> int:
    """A bincount's ``size`` input, checked as TF's kernels check it."""
    if np.ndim(size) != 0:
        raise _invalid(f"Shape must be rank 0 but is rank {np.ndim(size)}")
    size = int(size)
    if size < 0:
        raise _invalid(f"size ({size}) must be non-negative")
    return size


def check_one_weight_per_value(weights, values):
    """TF's Ragged/SparseBincount kernels read weights[i] for every value unchecked (past the
    end of shorter weights); a clear error here instead."""
    if weights.size and weights.size != values.size:
        raise _invalid("`weights` must have one entry per value (or none, in which case it "
                       f"acts as all weights equal to 1): {weights.size} weights for "
                       f"{values.size} values")


# -- Bincount -------------------------------------------------------------------------------------
def _bincount_kernel(arr, size, weights):
    arr, weights = np.asarray(arr), np.asarray(weights)
    if np.ndim(size) != 0:
        raise _invalid(f"Shape must be rank 0 but is rank {np.ndim(size)} for size")
    size = int(size)
    if size < 0:
        raise _invalid(f"size ({size}) must be non-negative")
    if weights.size and weights.shape != arr.shape:
        raise _invalid(f"Input arr and weights must have the same shape: {list(arr.shape)} vs "
                       f"{list(weights.shape)}")
    if arr.size and arr.min() < 0:
        raise _invalid("Input arr must be non-negative!")
    keep = arr < size  # values at or past size are dropped, as TF's kernel does
    out = np.zeros(size, weights.dtype)
    if weights.size:
        np.add.at(out, arr[keep], weights[keep])
    else:
        out += np.bincount(arr[keep], minlength=size).astype(weights.dtype)
    return out


def _bincount_infer(arr, size, weights):
    _check_dtype(weights, ("int32", "int64", "float32", "float64"), "weights")
    if size.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {size.shape.rank} for size")
    n = const_ints(size)
    return [TensorSpec([n[0] if n and n[0] >= 0 else None], weights.dtype)]


BINCOUNT = register(OpDef(
    "Bincount", inputs=["arr:int32", "size:int32", "weights:T"],
    kernel=_bincount_kernel, infer=_bincount_infer, grad=NOT_DIFFERENTIABLE,
    doc="bins[i]: how often i is in arr (or the sum of its weights); values >= size dropped",
))



# -- DenseBincount (what TF >= 2.3's tf.bincount writes) --------------------------------------
def _dense_bincount_kernel(input, size, weights, *, binary_output):  # noqa: A002
    arr, weights = np.asarray(input), np.asarray(weights)
    if arr.ndim > 2:
        raise _invalid(f"Shape must be at most rank 2 but is rank {arr.ndim}")
    size = scalar_size(size)
    if weights.size and weights.shape != arr.shape:
        raise _invalid("`weights` must be the same shape as `arr` or a length-0 `Tensor`, in "
                       "which case it acts as all weights equal to 1. Received "
                       f"{list(weights.shape)}")
    if arr.size and arr.min() < 0:
        raise _invalid("Input arr must be non-negative!")
    rows = arr if arr.ndim == 2 else arr.reshape(1, -1)
    w = weights.reshape(rows.shape) if weights.size else None
    out = np.zeros((rows.shape[0], size), weights.dtype)
    for r in range(rows.shape[0]):  # a row per bincount of a 2-D input
        keep = rows[r] < size  # values at or past size are dropped
        if binary_output:
            out[r, rows[r][keep]] = 1
        elif w is not None:
            np.add.at(out[r], rows[r][keep], w[r][keep])
        else:
            out[r] += np.bincount(rows[r][keep], minlength=size).astype(out.dtype)
    return out if arr.ndim == 2 else out[0]


def _dense_bincount_infer(input, size, weights, *, binary_output):  # noqa: A002
    _check_dtype(input, ("int32", "int64"), "Tidx")
    _check_dtype(weights, ("int32", "int64", "float32", "float64"), "weights")
    rank = input.shape.rank
    if rank is not None and rank > 2:
        raise shape_error(f"Shape must be at most rank 2 but is rank {rank}")
    if size.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {size.shape.rank}")
    n = const_ints(size)
    if n and n[0] < 0:
        raise shape_error(f"size ({n[0]}) must be non-negative")
    n = n[0] if n else None
    if rank is None:
        return [TensorSpec(None, weights.dtype)]
    return [TensorSpec([input.shape[0].value, n] if rank == 2 else [n], weights.dtype)]


DENSE_BINCOUNT = register(OpDef(
    "DenseBincount", inputs=["input:Tidx", "size:Tidx", "weights:T"],
    attrs={"binary_output": False},
    kernel=_dense_bincount_kernel, infer=_dense_bincount_infer, grad=NOT_DIFFERENTIABLE,
    doc="Bincount of a 1-D input, or of each row of a 2-D one; binary_output gives 0/1",
))

# -- RaggedBincount (what Keras 2's TextVectorization multi_hot / tf_idf writes) -------------
def _ragged_bincount_kernel(splits, values, size, weights, *, binary_output):
    splits = np.asarray(splits, np.int64).reshape(-1)  # TF's kernel reads every input flat
    values, weights = np.asarray(values).reshape(-1), np.asarray(weights).reshape(-1)
    size = scalar_size(size)
    if splits.size == 0:
        raise _invalid("Splits must be non-empty")
    if splits[0] != 0:
        raise _invalid(f"Splits must start with 0, not with {splits[0]}")
    if splits[-1] != values.size:
        raise _invalid(f"Splits must end with the number of values, got {splits[-1]} instead "
                       f"of {values.size}")
    check_one_weight_per_value(weights, values)
    if values.size and values.min() < 0:
        raise _invalid("Input must be non-negative")
    # TF walks the values moving to the next row while value index >= splits[row]; the row of
    # value i is the first j with max(splits[:j+1]) > i, minus one (so, like TF, splits that
    # are not non-decreasing are not an error: a lower split is skipped over).
    row = np.searchsorted(np.maximum.accumulate(splits), np.arange(values.size), "right") - 1
    out = np.zeros((splits.size - 1, size), weights.dtype)
    keep = values < size  # values at or past size are dropped
    row, values = row[keep], values[keep]
    if binary_output:
        out[row, values] = 1
    else:
        np.add.at(out, (row, values), weights[keep] if weights.size else 1)
    return out


def static_size(values, size, weights):
    """A bincount's inputs checked at graph construction (TF's dtypes, a scalar size that is
    not negative); the size if it is a constant, else None."""
    _check_dtype(values, ("int32", "int64"), "values")
    _check_dtype(weights, ("int32", "int64", "float32", "float64"), "weights")
    if size.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {size.shape.rank}")
    n = const_ints(size)
    if n and n[0] < 0:
        raise shape_error(f"size ({n[0]}) must be non-negative")
    return n[0] if n else None


def _ragged_bincount_infer(splits, values, size, weights, *, binary_output):
    n = static_size(values, size, weights)
    rows = splits.shape[0].value if splits.shape.rank == 1 else None
    return [TensorSpec([rows - 1 if rows else None, n], weights.dtype)]


RAGGED_BINCOUNT = register(OpDef(
    "RaggedBincount", inputs=["splits:int64", "values:Tidx", "size:Tidx", "weights:T"],
    attrs={"binary_output": False},
    kernel=_ragged_bincount_kernel, infer=_ragged_bincount_infer, grad=NOT_DIFFERENTIABLE,
    doc="Bincount of each row of a ragged tensor (row_splits, flat values): [rows, size]",
))


# -- UniqueWithCounts -----------------------------------------------------------------------------
def _unique_with_counts_kernel(x, *, out_idx):
    y, idx = _unique_kernel(x, out_idx=out_idx)
    return [y, idx, np.bincount(idx, minlength=y.size).astype(idx.dtype)]


def _unique_with_counts_infer(x, *, out_idx):
    y, idx = _unique_infer(x, out_idx=out_idx)
    return [y, idx, TensorSpec([None], out_idx)]


UNIQUE_WITH_COUNTS = register(OpDef(
    "UniqueWithCounts", inputs=["x:T"], attrs={"out_idx": _dt.int32},
    kernel=_unique_with_counts_kernel, infer=_unique_with_counts_infer, grad=NO_GRADIENT,
    doc="Unique's (y, idx) and count: how often each y is in x",
))


# -- HistogramFixedWidth --------------------------------------------------------------------------
def _histogram_kernel(values, value_range, nbins, *, dtype):
    values, vr, nbins = np.asarray(values), np.asarray(value_range), np.asarray(nbins)
    if vr.ndim != 1:
        raise _invalid("value_range should be a vector.")
    if vr.size != 2:
        raise _invalid("value_range should be a vector of 2 elements.")
    if nbins.ndim != 0:
        raise _invalid("nbins should be a scalar.")
    lo, hi, n = vr[0], vr[1], int(nbins)
    if not lo < hi:
        raise _invalid(f"value_range should satisfy value_range[0] < value_range[1], but got "
                       f"'[{lo}, {hi}]'")
    if n <= 0:
        raise _invalid(f"nbins should be a positive number, but got '{n}'")
    flat = values.reshape(-1)
    if flat.dtype.kind == "f" and np.isnan(flat).any():
        raise _invalid("Histogram values must not contain NaN")
    # TF's arithmetic: the offset in T, the division in double, clamped to the outer bins.
    step = float(hi - lo) / n
    bins = np.minimum((np.maximum(flat, lo) - lo).astype(np.float64) / step, n - 1)
    return np.bincount(bins.astype(np.int64), minlength=n).astype(dtype.as_numpy_dtype)


def _histogram_infer(values, value_range, nbins, *, dtype):
    _check_dtype(values, ("int32", "int64", "float32", "float64"), "values")
    if dtype.name not in ("int32", "int64"):
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not in "
                        "list of allowed values: int32, int64")
    if value_range.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {value_range.shape.rank} for "
                          "value_range")
    if nbins.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {nbins.shape.rank} for nbins")
    n = const_ints(nbins)
    return [TensorSpec([n[0] if n and n[0] > 0 else None], dtype)]


HISTOGRAM_FIXED_WIDTH = register(OpDef(
    "HistogramFixedWidth", inputs=["values:T", "value_range:T", "nbins:int32"],
    attrs={"dtype": _dt.int32},
    kernel=_histogram_kernel, infer=_histogram_infer, grad=NOT_DIFFERENTIABLE,
    doc="Counts of values in nbins equal-width bins over value_range; outliers in the end bins",
))


# -- LowerBound / UpperBound ----------------------------------------------------------------------
def _bound_kernel(side, op_type):
    def kernel(sorted_inputs, values, *, out_type):
        seq, vals = np.asarray(sorted_inputs), np.asarray(values)
        for a, what in ((seq, "sorted_inputs"), (vals, "values")):
            if a.ndim != 2:
                raise _invalid(f"{op_type}: {what} must be 2-D, got shape {list(a.shape)}")
        if seq.shape[0] != vals.shape[0]:
            raise _invalid("Leading dim_size of both tensors must match.")
        out = np.empty(vals.shape, out_type.as_numpy_dtype)
        for row in range(seq.shape[0]):
            out[row] = np.searchsorted(seq[row], vals[row], side=side)
        if vals.dtype.kind == "f":  # TF's bounds compare with <, false for NaN: numpy puts
            out[np.isnan(vals)] = 0 if side == "left" else seq.shape[1]  # NaN last instead
        return out
    return kernel


def _bound_infer(sorted_inputs, values, *, out_type):
    if out_type.name not in ("int32", "int64"):
        raise TypeError(f"Value passed to parameter 'out_type' has DataType {out_type.name} "
                        "not in list of allowed values: int32, int64")
    for s, what in ((sorted_inputs, "sorted_inputs"), (values, "values")):
        if s.shape.rank not in (None, 2):
            raise shape_error(f"Shape must be rank 2 but is rank {s.shape.rank} for {what}")
    if sorted_inputs.shape.rank == 2 and values.shape.rank == 2 and \
            not sorted_inputs.shape[0].is_compatible_with(values.shape[0]):
        raise shape_error(f"Leading dim_size of both tensors must match: {sorted_inputs.shape} "
                          f"vs {values.shape}")
    return [TensorSpec(values.shape if values.shape.rank is not None else [None, None],
                       out_type)]


LOWER_BOUND = register(OpDef(
    "LowerBound", inputs=["sorted_inputs:T", "values:T"], attrs={"out_type": _dt.int32},
    kernel=_bound_kernel("left", "LowerBound"), infer=_bound_infer, grad=NOT_DIFFERENTIABLE,
    doc="Per row: the first index of sorted_inputs whose value is >= each value",
))
UPPER_BOUND = register(OpDef(
    "UpperBound", inputs=["sorted_inputs:T", "values:T"], attrs={"out_type": _dt.int32},
    kernel=_bound_kernel("right", "UpperBound"), infer=_bound_infer, grad=NOT_DIFFERENTIABLE,
    doc="Per row: the first index of sorted_inputs whose value is > each value",
))


# == Public wrappers (TF1 names, signatures and node names) =====================================


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=_dt.int32, name=None):
    """``tf.bincount`` / ``tf.math.bincount`` as TF1 composes it: the output length is
    ``max(arr) + 1`` (0 for an empty arr) clamped to [minlength, maxlength]; weights are summed
    with UnsortedSegmentSum, counts come from Bincount."""
    with name_scope(name or "bincount"):
        if isinstance(getattr(arr, "dtype", None), _dt.DType) and arr.dtype == _dt.int64:
            # TF 2.x counts an int64 tensor too (TF 1.x's Bincount takes int32 only). Saturated,
            # not wrapped: a value past int32 fails on the output's size instead of counting
            # as another bin.
            from ..composites import saturate_cast

            arr = saturate_cast(arr, _dt.int32)
        arr = convert_to_tensor(arr, name="arr", dtype=_dt.int32)
        array_is_nonempty = reduction_ops.reduce_prod(array_ops.shape(arr)) > 0
        output_size = math_ops.cast(array_is_nonempty, _dt.int32) * (
            reduction_ops.reduce_max(arr) + 1)
        if minlength is not None:
            minlength = convert_to_tensor(minlength, name="minlength", dtype=_dt.int32)
            output_size = math_ops.maximum(minlength, output_size)
        if maxlength is not None:
            maxlength = convert_to_tensor(maxlength, name="maxlength", dtype=_dt.int32)
            output_size = math_ops.minimum(maxlength, output_size)
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
            # Values at or past maxlength are skipped, as documented (TF 1.x's segment sum
            # failed on them instead); a negative segment id is dropped.
            from .logic_ops import where_v2

            kept = where_v2(arr < output_size, arr, array_ops.fill(array_ops.shape(arr), -1))
            return unsorted_segment_sum(weights, kept, output_size)
        weights = array_ops.constant([], _dt.as_dtype(dtype))
        return BINCOUNT(arr, output_size, weights, name="Bincount")


UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique_with_counts(x, out_idx=_dt.int32, name=None):
    """(y, idx, count): x's distinct values in order of first appearance, each x's index in y,
    and how often each y occurs."""
    y, idx, count = UNIQUE_WITH_COUNTS(x, out_idx=_dt.as_dtype(out_idx),
                                       name=name or "UniqueWithCounts")
    return UniqueWithCounts(y, idx, count)


def histogram_fixed_width(values, value_range, nbins=100, dtype=_dt.int32, name=None):
    """Counts of ``values`` in ``nbins`` equal bins spanning ``value_range``; values below or
    above the range count in the first or last bin."""
    with name_scope(name, "histogram_fixed_width", [values, value_range, nbins]) as scope:
        return HISTOGRAM_FIXED_WIDTH(values, value_range, nbins, dtype=_dt.as_dtype(dtype),
                                     name=scope)


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=_dt.int32, name=None):
    """For each value, the index of its bin among ``nbins`` equal bins spanning
    ``value_range`` (values outside it in the end bins), shaped like ``values``; composed as
    TF composes it (Floor of the scaled values, clipped, cast to int32 whatever ``dtype``)."""
    from .logging_ops import Assert
    from .unary_ops import floor

    with name_scope(name, "histogram_fixed_width_bins", [values, value_range, nbins]):
        values = convert_to_tensor(values, name="values")
        shape = array_ops.shape(values)
        values = array_ops.reshape(values, [-1])
        value_range = convert_to_tensor(value_range, name="value_range")
        nbins = convert_to_tensor(nbins, dtype=_dt.int32, name="nbins")
        check = Assert(math_ops.greater(nbins, 0), [f"nbins {nbins} must > 0"])
        nbins = _with_dependencies([check], nbins)
        nbins_float = math_ops.cast(nbins, values.dtype)
        scaled_values = math_ops.truediv(values - value_range[0],
                                         value_range[1] - value_range[0], name="scaled_values")
        indices = floor(nbins_float * scaled_values, name="indices")
        indices = math_ops.clip_by_value(indices, 0, nbins_float - 1)
        return array_ops.reshape(math_ops.cast(indices, _dt.int32), shape)


def searchsorted(sorted_sequence, values, side="left", out_type=_dt.int32, name=None):
    """For each value, its insertion index in the innermost dimension of ``sorted_sequence``
    (leading dimensions paired up): LowerBound for side='left', UpperBound for 'right', on the
    inputs reshaped to 2-D, as TF's composition."""
    if side not in ("left", "right"):
        raise ValueError("Argument `side` must be either 'right' or 'left'. Received: `side` = "
                         f"{side}.")
    sorted_sequence = convert_to_tensor(sorted_sequence)
    values = convert_to_tensor(values, dtype=sorted_sequence.dtype)
    sequence_size = array_ops.shape(sorted_sequence)[-1]
    values_size = array_ops.shape(values)[-1]
    from .concat_split_ops import stack

    seq_2d = array_ops.reshape(sorted_sequence, stack([-1, sequence_size]))
    values_2d = array_ops.reshape(values, stack([-1, values_size]))
    bound = UPPER_BOUND if side == "right" else LOWER_BOUND
    output = bound(seq_2d, values_2d, out_type=_dt.as_dtype(out_type),
                   name=name or ("UpperBound" if side == "right" else "LowerBound"))
    return array_ops.reshape(output, array_ops.shape(values))


def _remove_squeezable_dimensions(labels, predictions, expected_rank_diff=0):
    """TF's confusion_matrix.remove_squeezable_dimensions: when ``predictions`` has one rank
    more (or less) than ``expected_rank_diff`` above ``labels``, the trailing size-1 dimension
    of the one with the extra rank is squeezed out. Known ranks decide at graph construction;
    unknown ones, as TF, at run time with a cond."""
    from ..control_flow import cond
    from .logic_ops import equal
    from .transform_ops import squeeze

    with name_scope(None, "remove_squeezable_dimensions", [labels, predictions]):
        p_rank, l_rank = predictions.shape.rank, labels.shape.rank
        if p_rank is not None and l_rank is not None:
            diff = p_rank - l_rank
            if diff == expected_rank_diff + 1 and predictions.shape[-1].is_compatible_with(1):
                predictions = squeeze(predictions, [-1])
            elif diff == expected_rank_diff - 1 and labels.shape[-1].is_compatible_with(1):
                labels = squeeze(labels, [-1])
            return labels, predictions
        rank_diff = array_ops.rank(predictions) - array_ops.rank(labels)
        if p_rank is None or predictions.shape[-1].is_compatible_with(1):
            p = predictions
            predictions = cond(equal(expected_rank_diff + 1, rank_diff),
                               lambda: squeeze(p, [-1]), lambda: p)
        if l_rank is None or labels.shape[-1].is_compatible_with(1):
            lab = labels
            labels = cond(equal(expected_rank_diff - 1, rank_diff),
                          lambda: squeeze(lab, [-1]), lambda: lab)
        return labels, predictions


def _with_dependencies(dependencies, output):
    """TF's control_flow_ops.with_dependencies: ``output`` through an Identity that runs after
    ``dependencies``."""
    graph = output.graph
    with name_scope(None, "control_dependency", [output]) as scope:
        with graph.control_dependencies(dependencies):
            return array_ops.identity(output, name=scope)


def confusion_matrix(labels, predictions, num_classes=None, dtype=_dt.int32, name=None,
                     weights=None):
    """``tf.confusion_matrix`` (TF1's argument order): ``[num_classes, num_classes]`` counts
    (or summed weights) of (label, prediction) pairs, rows labels, columns predictions; a
    ScatterNd, after Asserts that the ids are non-negative (and below num_classes)."""
    from .logging_ops import assert_less, assert_non_negative

    with name_scope(name, "confusion_matrix", [predictions, labels, num_classes, weights]):
        labels, predictions = _remove_squeezable_dimensions(
            convert_to_tensor(labels, name="labels"),
            convert_to_tensor(predictions, name="predictions"))
        predictions = math_ops.cast(predictions, _dt.int64)
        labels = math_ops.cast(labels, _dt.int64)
        labels = _with_dependencies([assert_non_negative(
            labels, message="`labels` contains negative values")], labels)
        predictions = _with_dependencies([assert_non_negative(
            predictions, message="`predictions` contains negative values")], predictions)
        if num_classes is None:
            num_classes = math_ops.maximum(reduction_ops.reduce_max(predictions),
                                           reduction_ops.reduce_max(labels)) + 1
        else:
            num_classes_int64 = math_ops.cast(num_classes, _dt.int64)
            labels = _with_dependencies([assert_less(
                labels, num_classes_int64, message="`labels` out of bound")], labels)
            predictions = _with_dependencies([assert_less(
                predictions, num_classes_int64, message="`predictions` out of bound")],
                predictions)
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
            if not predictions.shape.is_compatible_with(weights.shape):
                raise ValueError(f"Shapes {predictions.shape} and {weights.shape} are "
                                 "incompatible")
            weights = math_ops.cast(weights, dtype)
        from .concat_split_ops import stack
        from .gather_ops import scatter_nd

        shape = stack([num_classes, num_classes])
        indices = stack([labels, predictions], axis=1)
        values = (array_ops.ones_like(predictions, dtype) if weights is None else weights)
        return scatter_nd(indices=indices, updates=values,
                          shape=math_ops.cast(shape, _dt.int64))
