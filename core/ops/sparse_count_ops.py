"""The counting ops tf.sparse.bincount writes: DenseCountSparseOutput and
SparseCountSparseOutput, with TF's attrs and kernel rules: per row of a 2-D input (or for the
whole of a 1-D one), how often each value occurs (or the sum of its weights, or 1 with
binary_output), as a SparseTensor ordered by (row, value); values at or past maxlength drop; the
last dim is maxlength when > 0, else max(largest value + 1, minlength). TF registers no gradient
for either. Registered through core/ops/sparse_extra_ops.py; the wrapper is in
core/sparse_extra.py. Also SparseBincount (what TF2's tf.math.bincount writes for a
SparseTensor): the same counts as a dense [size] or [batch, size] tensor."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from ._math_util import _check_dtype
from ._util import const_ints
from .count_ops import check_one_weight_per_value, scalar_size, static_size
from .sparse_ops import _sparse_infer, _triple

__all__: list[str] = []


def _invalid(message):
    return InvalidArgumentError(None, None, message)


def _count(rows, values, weights, batch, *, minlength, maxlength, binary_output, out_dtype):
    """(indices, values, dense_shape) of the counts; ``batch`` None for a 1-D input."""
    if values.size and values.min() < 0:
        raise _invalid("Input values must all be non-negative")
    keep = values < maxlength if maxlength > 0 else np.ones(values.shape, bool)
    rows, values = rows[keep], values[keep].astype(np.int64)
    size = maxlength if maxlength > 0 else \
        max(int(values.max()) + 1 if values.size else 1, minlength)
    pairs, where = np.unique(np.stack([rows, values], axis=1), axis=0, return_inverse=True)
    where = where.reshape(-1)
    if binary_output:
        out = np.ones(pairs.shape[0], out_dtype)
    elif weights.size:
        out = np.zeros(pairs.shape[0], out_dtype)
        np.add.at(out, where, weights[keep])
    else:
        out = np.bincount(where, minlength=pairs.shape[0]).astype(out_dtype)
    if batch is None:
        return [pairs[:, 1:], out, np.array([size], np.int64)]
    return [pairs, out, np.array([batch, size], np.int64)]


def _dense_kernel(values, weights, *, minlength, maxlength, binary_output):
    values, weights = np.asarray(values), np.asarray(weights)
    if values.ndim not in (1, 2):
        raise _invalid(f"Input must be a 1 or 2-dimensional tensor. Got: "
                       f"[{','.join(map(str, values.shape))}]")
    if weights.size and weights.shape != values.shape:
        raise _invalid(f"Weights and data must have the same shape. Weight shape: "
                       f"[{','.join(map(str, weights.shape))}]; data shape: "
                       f"[{','.join(map(str, values.shape))}]")
    batched = values.ndim == 2
    rows = np.repeat(np.arange(values.shape[0]), values.shape[1]) if batched else \
        np.zeros(values.size, np.int64)
    return _count(rows, values.reshape(-1), weights.reshape(-1), values.shape[0] if batched
                  else None, minlength=minlength, maxlength=maxlength,
                  binary_output=binary_output, out_dtype=weights.dtype)


def _sparse_kernel(indices, values, dense_shape, weights, *, minlength, maxlength,
                   binary_output):
    idx, vals, shape = _triple(indices, values, dense_shape)
    weights = np.asarray(weights)
    if shape.size not in (1, 2):
        raise _invalid(f"Input must be a 1 or 2-dimensional tensor. Got: "
                       f"[{','.join(map(str, shape.tolist()))}]")
    if weights.size and weights.shape != vals.shape:
        raise _invalid(f"Weights and values must have the same shape. Weight shape: "
                       f"[{','.join(map(str, weights.shape))}]; values shape: "
                       f"[{','.join(map(str, vals.shape))}]")
    batched = shape.size == 2
    rows = idx[:, 0] if batched else np.zeros(vals.size, np.int64)
    return _count(rows, vals, weights.reshape(-1), int(shape[0]) if batched else None,
                  minlength=minlength, maxlength=maxlength, binary_output=binary_output,
                  out_dtype=weights.dtype)


def _check(values, weights, minlength, maxlength):
    _check_dtype(values, ("int32", "int64"), "values")
    _check_dtype(weights, ("int32", "int64", "float32", "float64"), "weights")
    for name, value in (("minlength", minlength), ("maxlength", maxlength)):
        if value < -1:
            raise shape_error(f"Value for attr '{name}' of {value} must be at least minimum -1")


def _outputs(rank, output_type):
    return [TensorSpec([None, rank], _dt.int64), TensorSpec([None], output_type),
            TensorSpec([rank], _dt.int64)]


def _dense_infer(values, weights, *, minlength, maxlength, binary_output):
    _check(values, weights, minlength, maxlength)
    rank = values.shape.rank
    if rank is not None and rank not in (1, 2):
        raise shape_error(f"Input must be a 1 or 2-dimensional tensor, got rank {rank}")
    return _outputs(rank, weights.dtype)


def _sparse_infer_counts(indices, values, dense_shape, weights, *, minlength, maxlength,
                         binary_output):
    _check(values, weights, minlength, maxlength)
    _sparse_infer(indices, values, dense_shape)
    rank = dense_shape.shape[0].value if dense_shape.shape.rank == 1 else None
    return _outputs(rank, weights.dtype)


_ATTRS = {"minlength": -1, "maxlength": -1, "binary_output": req("bool")}

DENSE_COUNT_SPARSE_OUTPUT = register(OpDef(
    "DenseCountSparseOutput", inputs=["values:T", "weights:output_type"], attrs=_ATTRS,
    kernel=_dense_kernel, infer=_dense_infer, grad=NO_GRADIENT,
    doc="Per row of a 2-D (or for a 1-D) tensor: each value's count, weight sum or 1.",
))

SPARSE_COUNT_SPARSE_OUTPUT = register(OpDef(
    "SparseCountSparseOutput", inputs=["indices:int64", "values:T", "dense_shape:int64",
                                       "weights:output_type"], attrs=_ATTRS,
    kernel=_sparse_kernel, infer=_sparse_infer_counts, grad=NO_GRADIENT,
    doc="Per row of a 2-D (or for a 1-D) SparseTensor: each value's count, weight sum or 1.",
))


# -- SparseBincount (dense output) ----------------------------------------------------------------
def _sparse_bincount_kernel(indices, values, dense_shape, size, weights, *, binary_output):
    idx, vals, shape = np.asarray(indices), np.asarray(values), np.asarray(dense_shape)
    for name, x, rank in (("indices", idx, 2), ("values", vals, 1), ("shape", shape, 1)):
        if x.ndim != rank:
            raise _invalid(f"Sparse {name} must be rank {rank} but is rank {x.ndim}")
    if idx.shape[0] != vals.shape[0]:
        raise _invalid(f"Number of elements in indices ({idx.shape[0]}) and values "
                       f"({vals.shape[0]}) do not match")
    if idx.shape[1] != shape.shape[0]:
        raise _invalid(f"Index rank ({idx.shape[1]}) and shape rank ({shape.shape[0]}) do not "
                       "match")
    bad = ((idx < 0) | (idx >= shape)).any(axis=1) if idx.size else np.zeros(0, bool)
    if bad.any():
        i = int(np.argmax(bad))
        raise _invalid(f"Sparse index tuple indices[{i}, :] = "
                       f"[{', '.join(map(str, idx[i].tolist()))}] is out of bounds")
    size, weights = scalar_size(size), np.asarray(weights).reshape(-1)
    check_one_weight_per_value(weights, vals)
    # TF: an error for a rank-1 input; for higher ranks its kernel writes before the row
    # (undefined behaviour), so the same error here.
    if vals.size and vals.min() < 0:
        raise _invalid("Input arr must be non-negative!")
    keep = vals < size  # values at or past size are dropped
    batched = shape.size > 1  # (TF counts by the first index column from rank 2 on)
    out = np.zeros((int(shape[0]), size) if batched else (size,), weights.dtype)
    at = (idx[keep, 0], vals[keep]) if batched else vals[keep]
    if binary_output:
        out[at] = 1
    else:
        np.add.at(out, at, weights[keep] if weights.size else 1)
    return out


def _sparse_bincount_infer(indices, values, dense_shape, size, weights, *, binary_output):
    n = static_size(values, size, weights)
    rank = dense_shape.shape[0].value if dense_shape.shape.rank == 1 else None
    if rank is None:
        return [TensorSpec(None, weights.dtype)]
    if rank == 1:
        return [TensorSpec([n], weights.dtype)]
    batch = const_ints(dense_shape)
    return [TensorSpec([batch[0] if batch else None, n], weights.dtype)]


SPARSE_BINCOUNT = register(OpDef(
    "SparseBincount", inputs=["indices:int64", "values:Tidx", "dense_shape:int64", "size:Tidx",
                              "weights:T"], attrs={"binary_output": False},
    kernel=_sparse_bincount_kernel, infer=_sparse_bincount_infer, grad=NO_GRADIENT,
    doc="Bincount of a SparseTensor's values: [size] for rank 1, else per row (the first "
        "index) [batch, size]; binary_output gives 0/1",
))
