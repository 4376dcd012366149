"""The counting ops tf.sparse.bincount writes: DenseCountSparseOutput and
SparseCountSparseOutput, with TF's attrs and kernel rules: per row of a 2-D input (or for the
whole of a 1-D one), how often each value occurs (or the sum of its weights, or 1 with
binary_output), as a SparseTensor ordered by (row, value); values at or past maxlength drop; the
last dim is maxlength when > 0, else max(largest value + 1, minlength). TF registers no gradient
for either. Registered through core/ops/sparse_extra_ops.py; the wrapper is in
core/sparse_extra.py."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from ._math_util import _check_dtype
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
