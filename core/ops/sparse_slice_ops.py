"""Sparse ops that cut, join and normalise SparseTensors: SparseConcat, SparseSlice (+ its
gradient op SparseSliceGrad) and SparseSoftmax, with TF's names, inputs and gradient rules.
The kernels share the checks of core/ops/sparse_ops.py."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from . import array_ops, unary_ops
from .sparse_ops import (SPARSE_DENSE_CWISE_ADD, SPARSE_REDUCE_SUM, _check_bounds, _linear,
                         _sparse_infer, _triple)

__all__: list[str] = []  # the public functions live in core/sparse.py


def _dim(spec, i):
    """Dim ``i`` of a spec's static shape as an int, or None."""
    if spec.shape.rank is None or spec.shape.rank <= i:
        return None
    return spec.shape.as_list()[i]


# -- SparseConcat ------------------------------------------------------------------------------
def _concat_kernel(indices, values, shapes, *, concat_dim):
    parts = [_triple(i, v, s) for i, v, s in zip(indices, values, shapes)]
    rank = parts[0][2].size
    if not -rank <= concat_dim < rank:
        raise InvalidArgumentError(None, None, f"Concat dimension must be in range [{-rank}, "
                                   f"{rank}), got {concat_dim}")
    axis = concat_dim % rank
    first = parts[0][2]
    for pos, (_, _, shape) in enumerate(parts):
        if shape.size != rank:
            raise InvalidArgumentError(None, None, f"Ranks of all input tensors must match: "
                                       f"expected {rank} but got {shape.size} at position "
                                       f"{pos}")
        for d in range(rank):
            if d != axis and shape[d] != first[d]:
                raise InvalidArgumentError(None, None, f"Input shapes must match: expected "
                                           f"{first[d]} for dimension {d} but got {shape[d]} "
                                           f"at position {pos}")
    out_shape = first.copy()
    out_shape[axis] = sum(int(s[axis]) for _, _, s in parts)
    offset, idx_parts = 0, []
    for idx, _, shape in parts:
        _check_bounds(idx, shape, "indices")
        moved = idx.copy()
        moved[:, axis] += offset
        idx_parts.append(moved)
        offset += int(shape[axis])
    idx = np.concatenate(idx_parts).reshape(-1, rank)
    vals = np.concatenate([v for _, v, _ in parts])
    # TF's output is in canonical row-major order whatever the inputs' order (stable: equal
    # indices keep their inputs' order).
    order = np.argsort(_linear(idx, out_shape), kind="stable")
    return [idx[order], vals[order], out_shape]


def _concat_infer(indices, values, shapes, *, concat_dim):
    for i, v, s in zip(indices, values, shapes):
        _sparse_infer(i, v, s)
    ranks = {r for r in [_dim(i, 1) for i in indices] + [_dim(s, 0) for s in shapes]
             if r is not None}
    if len(ranks) > 1:
        raise shape_error(f"SparseConcat: the inputs' ranks differ: {sorted(ranks)}")
    rank = ranks.pop() if ranks else None
    if rank is not None and not -rank <= concat_dim < rank:
        raise shape_error(f"SparseConcat: concat_dim {concat_dim} is out of range for rank "
                          f"{rank}")
    counts = [_dim(i, 0) for i in indices]
    n = None if None in counts else sum(counts)
    return [TensorSpec([n, rank], _dt.int64), TensorSpec([n], values[0].dtype),
            TensorSpec([rank], _dt.int64)]


SPARSE_CONCAT = register(OpDef(
    "SparseConcat", inputs=["indices:N*int64", "values:N*T", "shapes:N*int64"],
    attrs={"concat_dim": req("int")},
    kernel=_concat_kernel, infer=_concat_infer, grad=NOT_DIFFERENTIABLE,
    doc="The SparseTensors joined along concat_dim (the other dims must match), in canonical "
        "order.",
))


# -- SparseSlice / SparseSliceGrad ---------------------------------------------------------------
def _slice_bounds(start, size, rank):
    start = np.asarray(start, np.int64).reshape(-1)
    size = np.asarray(size, np.int64).reshape(-1)
    for what, vec in (("start", start), ("size", size)):
        if vec.size != rank:
            raise InvalidArgumentError(None, None, f"Expected {what} to be a vector of length "
                                       f"{rank} but got length {vec.size}")
    if (size < 0).any():
        raise InvalidArgumentError(None, None, f"Expected a non-negative size, got "
                                   f"{int(size[size < 0][0])}")
    return start, size


def _slice_kernel(indices, values, shape, start, size):
    idx, vals, shp = _triple(indices, values, shape)
    start, size = _slice_bounds(start, size, shp.size)
    keep = ((idx >= start) & (idx < start + size)).all(axis=1)
    # A dim's size is what of [start, start + size) lies inside the input (0 if none).
    out_shape = np.maximum(np.minimum(start + size, shp) - start, 0)
    return [(idx[keep] - start).reshape(-1, shp.size), vals[keep], out_shape]


def _slice_infer(indices, values, shape, start, size):
    _sparse_infer(indices, values, shape)
    rank = _dim(indices, 1) if _dim(indices, 1) is not None else _dim(shape, 0)
    return [TensorSpec([None, rank], _dt.int64), TensorSpec([None], values.dtype),
            TensorSpec([rank], _dt.int64)]


def _slice_grad(op, d_indices, d_values, d_shape):
    """TF's rule: each input entry that the slice kept gets its output's gradient, the others
    0 (SparseSliceGrad matches them by index)."""
    indices, values, _, start, _ = op.inputs
    grad = SPARSE_SLICE_GRAD(d_values, indices, start, op.outputs[0])
    grad.set_shape(values.shape)
    return [None, grad, None, None, None]


SPARSE_SLICE = register(OpDef(
    "SparseSlice", inputs=["indices:int64", "values:T", "shape:int64", "start:int64",
                           "size:int64"],
    kernel=_slice_kernel, infer=_slice_infer, grad=_slice_grad,
    doc="The entries inside [start, start + size), re-indexed from start; each dim of the "
        "output's shape is the part of that range inside the input.",
))


def _slice_grad_kernel(backprop_val_grad, input_indices, input_start, output_indices):
    grad = np.asarray(backprop_val_grad)
    idx = np.asarray(input_indices, np.int64)
    out = np.asarray(output_indices, np.int64)
    start = np.asarray(input_start, np.int64).reshape(-1)
    if idx.ndim != 2 or out.ndim != 2 or idx.shape[1] != out.shape[1] or \
            start.size != idx.shape[1] or grad.shape != (out.shape[0],):
        raise InvalidArgumentError(None, None, f"SparseSliceGrad: inconsistent shapes: "
                                   f"input_indices {list(idx.shape)}, input_start "
                                   f"{list(start.shape)}, output_indices {list(out.shape)}, "
                                   f"backprop_val_grad {list(grad.shape)}")
    where = {tuple(i): k for k, i in enumerate((out + start).tolist())}
    result = np.zeros(idx.shape[0], grad.dtype)
    for k, i in enumerate(idx.tolist()):
        j = where.get(tuple(i))
        if j is not None:
            result[k] = grad[j]
    return result


SPARSE_SLICE_GRAD = register(OpDef(
    "SparseSliceGrad", inputs=["backprop_val_grad:T", "input_indices:int64",
                               "input_start:int64", "output_indices:int64"],
    kernel=_slice_grad_kernel,
    infer=lambda g, i, s, o: [TensorSpec([_dim(i, 0)], g.dtype)],
    grad=NOT_DIFFERENTIABLE,
    doc="The gradient of SparseSlice's input values: the output's gradient where an input "
        "entry was kept, 0 elsewhere.",
))


# -- SparseSoftmax ----------------------------------------------------------------------------
def _softmax_kernel(sp_indices, sp_values, sp_shape):
    idx, vals, shape = _triple(sp_indices, sp_values, sp_shape, "sp")
    if shape.size < 2:
        raise InvalidArgumentError(None, None, f"Input should have rank >= 2, but received "
                                   f"shape: {shape.size}")
    if vals.size == 0:
        return vals.copy()
    # The groups are the entries that share all but the last index: a softmax within each.
    # (TF walks runs of equal leading indices, so it needs canonical order; grouping by value
    # gives the same result there and the right one for any order.)
    _, group = np.unique(idx[:, :-1], axis=0, return_inverse=True)
    group = group.reshape(-1)
    peak = np.full(group.max() + 1, -np.inf, vals.dtype)
    np.maximum.at(peak, group, vals)
    e = np.exp(vals - peak[group])
    total = np.zeros(peak.shape, vals.dtype)
    np.add.at(total, group, e)
    return (e / total[group]).astype(vals.dtype, copy=False)


def _softmax_infer(sp_indices, sp_values, sp_shape):
    _sparse_infer(sp_indices, sp_values, sp_shape, "sp")
    if not sp_values.dtype.is_floating:
        raise shape_error(f"SparseSoftmax takes float values, not {sp_values.dtype.name}")
    return [TensorSpec(sp_values.shape, sp_values.dtype)]


def _softmax_grad(op, grad):
    """TF's rule: (grad - sum over the group of grad * y) * y, the group sum taken as a dense
    reduction over the last dim and added back at the entries by SparseDenseCwiseAdd."""
    indices, _, shape = op.inputs
    y = op.outputs[0]
    summed = unary_ops.NEG(SPARSE_REDUCE_SUM(indices, y * grad, shape,
                                             array_ops.constant([-1], _dt.int32), keep_dims=True))
    return [None, SPARSE_DENSE_CWISE_ADD(indices, grad, shape, summed) * y, None]


SPARSE_SOFTMAX = register(OpDef(
    "SparseSoftmax", inputs=["sp_indices:int64", "sp_values:T", "sp_shape:int64"],
    kernel=_softmax_kernel, infer=_softmax_infer, grad=_softmax_grad,
    doc="The softmax of the entries of each innermost row (those sharing all but the last "
        "index); the implicit zeros take no part.",
))
