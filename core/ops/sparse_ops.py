"""Sparse ops that give a SparseTensor: SparseAdd (+ SparseAddGrad), SparseReorder,
SparseReshape and SparseFillEmptyRows (+ its grad), with TF's names, inputs and gradient rules;
plus the helpers core/sparse.py builds ``tf.sparse.add`` and ``*``, ``/`` from. Indices are int64
``[N, rank]`` tuples in row-major ("canonical") order where an op needs order, as in TF.

The sparse-dense ops (SparseToDense, SparseTensorDenseMatMul, SparseTensorDenseAdd,
SparseReduceSum/Max, SparseDenseCwise*) and the shared triple checks live in sparse_dense_ops;
they are re-exported here, so ``sparse_ops.X`` works as before.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register
from ..tensor_shape import TensorShape
from . import array_ops, math_ops, transform_ops
from ._math_util import _REAL, _check_dtype
from ._util import const_ints, shape_from_value
from .gather_ops import gather
# Re-exported: the sparse-dense family and the checks other sparse modules import from here.
from .sparse_dense_ops import (SPARSE_DENSE_CWISE_ADD, SPARSE_DENSE_CWISE_DIV,  # noqa: F401
                               SPARSE_DENSE_CWISE_MUL, SPARSE_REDUCE_MAX, SPARSE_REDUCE_SUM,
                               SPARSE_TENSOR_DENSE_ADD, SPARSE_TENSOR_DENSE_MAT_MUL,
                               SPARSE_TO_DENSE, _check_bounds, _cwise_grad, _cwise_infer,
                               _cwise_kernel, _dense_add_infer, _dense_add_kernel, _linear,
                               _matmul_grad, _matmul_infer, _matmul_kernel, _reduce_infer,
                               _reduce_kernel, _reduce_sum_grad, _sparse_infer,
                               _sparse_to_dense_grad, _sparse_to_dense_infer,
                               _sparse_to_dense_kernel, _triple, _truncating_div)

__all__: list[str] = []  # the public functions live in core/sparse.py


# -- SparseAdd ------------------------------------------------------------------------------------
def _sparse_add_kernel(a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    ai, av, ashape = _triple(a_indices, a_values, a_shape, "a")
    bi, bv, bshape = _triple(b_indices, b_values, b_shape, "b")
    if not np.array_equal(ashape, bshape):
        raise InvalidArgumentError(None, None, f"Operands do not have the same ranks or "
                                   f"shapes: a_shape {list(map(int, ashape))} vs. b_shape "
                                   f"{list(map(int, bshape))}")
    _check_bounds(ai, ashape, "a_indices")
    _check_bounds(bi, bshape, "b_indices")
    keys = np.concatenate([_linear(ai, ashape), _linear(bi, bshape)])
    vals = np.concatenate([av, bv])
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    sums = np.zeros(uniq.shape, vals.dtype)
    np.add.at(sums, inverse, vals)
    # As TF's merge: only a pair that met (an index in both) is dropped below thresh.
    keep = (counts == 1) | (np.abs(sums) >= thresh)
    uniq, sums = uniq[keep], sums[keep]
    if ashape.size:
        out_idx = np.stack(np.unravel_index(uniq, tuple(int(d) for d in ashape)), axis=1)
    else:
        out_idx = np.zeros((uniq.size, 0), np.int64)
    return [out_idx.astype(np.int64), sums, ashape.copy()]


def _sparse_add_infer(a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    _check_dtype(thresh, _REAL, "thresh")  # TF's Treal: a magnitude, never complex
    _sparse_infer(a_indices, a_values, a_shape, "a")
    _sparse_infer(b_indices, b_values, b_shape, "b")
    rank = a_shape.shape[0] if a_shape.shape.rank == 1 else None
    return [TensorSpec(TensorShape([None, rank]), _dt.int64),
            TensorSpec([None], a_values.dtype), TensorSpec(a_shape.shape, _dt.int64)]


def _sparse_add_grad(op, d_indices, d_values, d_shape):
    a_indices, _, _, b_indices = op.inputs[:4]
    if d_values is None:
        return [None] * 7
    a_grad, b_grad = SPARSE_ADD_GRAD(d_values, a_indices, b_indices, op.outputs[0])
    return [None, a_grad, None, None, b_grad, None, None]


SPARSE_ADD = register(OpDef(
    "SparseAdd", inputs=["a_indices:int64", "a_values:T", "a_shape:int64", "b_indices:int64",
                         "b_values:T", "b_shape:int64", "thresh:Treal"],
    kernel=_sparse_add_kernel, infer=_sparse_add_infer, grad=_sparse_add_grad,
    doc="The sum of two sparse tensors, in canonical order; summed pairs below thresh drop.",
))


def _rows_in(needles, haystack):
    """For each index tuple of ``needles``, its row in ``haystack`` (-1 where absent)."""
    if needles.shape[0] == 0:
        return np.zeros(0, np.int64)
    if haystack.shape[0] == 0:
        return np.full(needles.shape[0], -1, np.int64)
    both = np.concatenate([haystack, needles])
    _, inverse = np.unique(both, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    where = np.full(inverse.max() + 1, -1, np.int64)
    where[inverse[:haystack.shape[0]]] = np.arange(haystack.shape[0])
    return where[inverse[haystack.shape[0]:]]


def _sparse_add_grad_kernel(backprop_val_grad, a_indices, b_indices, sum_indices):
    grad = np.asarray(backprop_val_grad)
    s = np.asarray(sum_indices)  # [N, rank], N may be 0

    def part(indices):
        rows = _rows_in(np.asarray(indices), s)
        out = np.zeros(rows.shape, grad.dtype)
        found = rows >= 0
        out[found] = grad[rows[found]]
        return out

    return [part(a_indices), part(b_indices)]


SPARSE_ADD_GRAD = register(OpDef(
    "SparseAddGrad", inputs=["backprop_val_grad:T", "a_indices:int64", "b_indices:int64",
                             "sum_indices:int64"],
    kernel=_sparse_add_grad_kernel,
    infer=lambda g, a, b, s: [TensorSpec([a.shape[0] if a.shape.rank else None], g.dtype),
                              TensorSpec([b.shape[0] if b.shape.rank else None], g.dtype)],
    grad=NOT_DIFFERENTIABLE,
    doc="The gradients of SparseAdd's two value vectors from the sum's values' gradient.",
))


# -- SparseReorder / SparseReshape ---------------------------------------------------------------
def _reorder_kernel(input_indices, input_values, input_shape):
    idx, vals, shape = _triple(input_indices, input_values, input_shape)
    _check_bounds(idx, shape, "indices")
    order = np.argsort(_linear(idx, shape), kind="stable")
    return [idx[order], vals[order]]


def _reorder_grad(op, d_indices, d_values):
    """TF's rule: reorder the positions 0..N-1 the same way and invert that permutation."""
    indices, _, shape = op.inputs
    n = array_ops.shape(indices, out_type=_dt.int64)[0]
    positions = array_ops.range_(n)
    _, ordered = SPARSE_REORDER(indices, positions, shape)
    return [None, gather(d_values, transform_ops.invert_permutation(ordered)), None]


SPARSE_REORDER = register(OpDef(
    "SparseReorder", inputs=["input_indices:int64", "input_values:T", "input_shape:int64"],
    kernel=_reorder_kernel,
    infer=lambda i, v, s: [TensorSpec(i.shape, _dt.int64), TensorSpec(v.shape, v.dtype)],
    grad=_reorder_grad,
    doc="The same sparse tensor with its entries in canonical (row-major) order.",
))


def _reshape_kernel(input_indices, input_shape, new_shape):
    idx = np.asarray(input_indices)
    shape = np.asarray(input_shape).astype(np.int64)
    new = np.asarray(new_shape).astype(np.int64).reshape(-1)
    if idx.ndim != 2 or shape.ndim != 1 or idx.shape[1] != shape.size:
        raise InvalidArgumentError(None, None, f"Input indices {list(idx.shape)} and shape "
                                   f"{list(shape.shape)} do not make a sparse tensor")
    total = int(np.prod(shape))
    unknown = np.flatnonzero(new == -1)
    if unknown.size > 1:
        raise InvalidArgumentError(None, None, "only one output dimension may be -1, not both "
                                   f"{int(unknown[0])} and {int(unknown[1])}")
    if (new < -1).any():
        raise InvalidArgumentError(None, None, f"size {int(new[new < -1][0])} must be "
                                   "non-negative")
    if unknown.size:
        known = int(np.prod(new[new != -1]))
        if known == 0 or total % known:
            raise InvalidArgumentError(None, None, f"Input to reshape is a SparseTensor with "
                                       f"{total} dense values, but the requested shape "
                                       f"{list(map(int, new))} cannot hold them")
        new = new.copy()
        new[unknown[0]] = total // known
    if int(np.prod(new)) != total:
        raise InvalidArgumentError(None, None, f"Input to reshape is a tensor with {total} "
                                   f"dense values, but the requested shape has "
                                   f"{int(np.prod(new))}")
    _check_bounds(idx, shape, "indices")
    if new.size == 0:
        return [np.zeros((idx.shape[0], 0), np.int64), new]
    lin = _linear(idx, shape) if idx.shape[1] else np.zeros(idx.shape[0], np.int64)
    out = np.stack(np.unravel_index(lin, tuple(int(d) for d in new)), axis=1)
    return [out.astype(np.int64), new]


def _reshape_infer(input_indices, input_shape, new_shape):
    dims = shape_from_value(new_shape)
    rank = dims.rank
    n = input_indices.shape[0] if input_indices.shape.rank == 2 else None
    known = const_ints(input_shape)
    if known is not None and dims.rank is not None and \
            sum(d is None for d in dims.as_tuple()) == 1:  # fill the -1 statically
        rest = int(np.prod([d for d in dims.as_tuple() if d is not None]))
        if rest and int(np.prod(known)) % rest == 0:
            dims = TensorShape([int(np.prod(known)) // rest if d is None else d
                                for d in dims.as_tuple()])
    shape_spec = TensorSpec([rank], _dt.int64)
    if dims.is_fully_defined():
        shape_spec = TensorSpec([rank], _dt.int64, value=np.array(dims.as_tuple(), np.int64))
    return [TensorSpec([n, rank], _dt.int64), shape_spec]


SPARSE_RESHAPE = register(OpDef(
    "SparseReshape", inputs=["input_indices:int64", "input_shape:int64", "new_shape:int64"],
    kernel=_reshape_kernel, infer=_reshape_infer, grad=NOT_DIFFERENTIABLE,
    doc="The indices of the same entries in a tensor of new_shape (one -1 is inferred).",
))


# -- SparseFillEmptyRows ----------------------------------------------------------------------
def _fill_kernel(indices, values, dense_shape, default_value):
    idx, vals, shape = _triple(indices, values, dense_shape)
    if np.ndim(default_value) != 0:
        raise InvalidArgumentError(None, None, "default_value must be a scalar, got shape "
                                   f"{list(np.shape(default_value))}")
    if shape.size == 0:
        raise InvalidArgumentError(None, None, "dense_shape must not be empty")
    _check_bounds(idx, shape, "indices")
    rows = int(shape[0])
    empty = np.ones(rows, bool)
    empty[idx[:, 0]] = False
    fill_rows = np.flatnonzero(empty)
    filled = np.zeros((fill_rows.size, shape.size), np.int64)
    filled[:, 0] = fill_rows
    all_idx = np.concatenate([idx, filled])
    all_vals = np.concatenate([vals, np.full(fill_rows.size, default_value, vals.dtype)])
    # Rows in order, each row's entries kept in their input order (TF sorts by row only).
    order = np.argsort(all_idx[:, 0], kind="stable")
    reverse = np.empty(idx.shape[0], np.int64)
    position = np.empty(order.size, np.int64)
    position[order] = np.arange(order.size)
    reverse[:] = position[:idx.shape[0]]
    return [all_idx[order], all_vals[order], empty, reverse]


def _fill_infer(indices, values, dense_shape, default_value):
    _sparse_infer(indices, values, dense_shape)
    rank = dense_shape.shape[0] if dense_shape.shape.rank == 1 else None
    dense = shape_from_value(dense_shape).as_tuple()
    rows = dense[0] if dense else None  # the indicator has one flag per dense row
    return [TensorSpec([None, rank], _dt.int64), TensorSpec([None], values.dtype),
            TensorSpec([rows], _dt.bool), TensorSpec(values.shape, _dt.int64)]


def _fill_grad(op, d_indices, d_values, d_empty, d_reverse):
    if d_values is None:
        return [None] * 4
    values_grad, default_grad = SPARSE_FILL_EMPTY_ROWS_GRAD(op.outputs[3], d_values)
    return [None, values_grad, None, default_grad]


SPARSE_FILL_EMPTY_ROWS = register(OpDef(
    "SparseFillEmptyRows", inputs=["indices:int64", "values:T", "dense_shape:int64",
                                   "default_value:T"],
    kernel=_fill_kernel, infer=_fill_infer, grad=_fill_grad,
    doc="Puts default_value at [row, 0, ...] of every row without an entry; the indicator of "
        "those rows; where each input entry went.",
))


def _fill_grad_kernel(reverse_index_map, grad_values):
    reverse, grad = np.asarray(reverse_index_map), np.asarray(grad_values)
    used = np.zeros(grad.shape[0], bool)
    used[reverse] = True
    return [grad[reverse], grad[~used].sum(dtype=grad.dtype)]


SPARSE_FILL_EMPTY_ROWS_GRAD = register(OpDef(
    "SparseFillEmptyRowsGrad", inputs=["reverse_index_map:int64", "grad_values:T"],
    kernel=_fill_grad_kernel,
    infer=lambda r, g: [TensorSpec(r.shape, g.dtype), TensorSpec([], g.dtype)],
    grad=NOT_DIFFERENTIABLE,
    doc="SparseFillEmptyRows' values gradient: the input entries' and the filled rows' sum.",
))


# -- helpers for core/sparse.py ----------------------------------------------------------------


def _cwise(sp, dense, kind):
    from ..sparse_tensor import SparseTensor

    with name_scope(None, kind, [sp.values, dense]) as scope:
        values = sp.values
        dense = convert_to_tensor(dense, dtype=None if kind == "truediv" else sp.dtype,
                                  name="y", preferred_dtype=sp.dtype)
        if kind == "truediv":  # as TF's truediv: integers cast to a float first (its table)
            values, dense = math_ops.as_truediv_operands(values, dense, "__truediv__")
        op = SPARSE_DENSE_CWISE_MUL if kind == "mul" else SPARSE_DENSE_CWISE_DIV
        values = op(sp.indices, values, sp.dense_shape, dense, name=scope)
    out = SparseTensor(sp.indices, values, sp.dense_shape)
    out._shape = sp.shape
    return out


def sparse_add(a, b, threshold=0, thresh=None):
    """``tf.sparse.add``: sparse + dense is dense (SparseTensorDenseAdd); sparse + sparse is
    sparse (SparseAdd), where summed entries smaller than ``threshold`` drop out."""
    from ..sparse_tensor import SparseTensor, convert_to_sparse, is_sparse

    if thresh is not None:
        threshold = thresh
    if not (is_sparse(a) or is_sparse(b)):
        raise TypeError("At least one input should be SparseTensor; do you mean to use "
                        "tf.add?")
    if is_sparse(a) and is_sparse(b):
        a, b = convert_to_sparse(a, "a"), convert_to_sparse(b, "b")
        with name_scope(None, "SparseAdd", [a.values, b.values]) as scope:
            thresh_t = convert_to_tensor(threshold, dtype=a.values.dtype.real_dtype
                                         if hasattr(a.values.dtype, "real_dtype") else
                                         a.values.dtype, name="threshold")
            i, v, s = SPARSE_ADD(a.indices, a.values, a.dense_shape, b.indices, b.values,
                                 b.dense_shape, thresh_t, name=scope)
        a.shape.assert_is_compatible_with(b.shape)  # TF's build-time ValueError
        out = SparseTensor(i, v, s)
        out._shape = a.shape.merge_with(b.shape)
        return out
    sp, dense = (a, b) if is_sparse(a) else (b, a)
    sp = convert_to_sparse(sp)
    with name_scope(None, "SparseTensorDenseAdd", [sp.values, dense]) as scope:
        dense = convert_to_tensor(dense, dtype=sp.dtype, name="b")
        return SPARSE_TENSOR_DENSE_ADD(sp.indices, sp.values, sp.dense_shape, dense,
                                       name=scope)
