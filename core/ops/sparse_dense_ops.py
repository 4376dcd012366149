"""Sparse-dense ops: the kernels that read a SparseTensor's (indices, values, dense_shape)
triple and give a dense result or combine it with a dense operand: SparseToDense,
SparseTensorDenseMatMul, SparseTensorDenseAdd, SparseReduceSum/Max and
SparseDenseCwiseMul/Div/Add, with TF's names, inputs and gradient rules; plus the triple checks
every sparse kernel shares.

Split from sparse_ops (which keeps the SparseTensor-valued ops) to keep each module readable in
one sitting; sparse_ops re-exports every name here, so ``sparse_ops.X`` keeps working."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from . import array_ops, math_ops, reduction_ops, transform_ops, unary_ops
from ._util import const_ints, shape_from_value
from .complex_ops import conj, conjugate_transpose
from .gather_ops import gather, gather_nd

__all__: list[str] = []  # the public functions live in core/sparse.py


# -- checks shared by the kernels ----------------------------------------------------------------
def _triple(indices, values, shape, what="input"):
    """(indices [N, rank] int64, values [N], shape [rank] int64), checked as TF's
    SparseTensor::ValidateAndInitialize does (indices may also be a vector for rank 1)."""
    idx, vals, shp = np.asarray(indices), np.asarray(values), np.asarray(shape)
    if idx.ndim != 2:
        raise InvalidArgumentError(None, None, f"{what}_indices should be a matrix but "
                                   f"received shape {list(idx.shape)}")
    if vals.ndim != 1:
        raise InvalidArgumentError(None, None, f"{what}_values should be a vector but "
                                   f"received shape {list(vals.shape)}")
    if shp.ndim != 1:
        raise InvalidArgumentError(None, None, f"{what}_shape should be a vector but "
                                   f"received shape {list(shp.shape)}")
    if idx.shape[0] != vals.shape[0]:
        raise InvalidArgumentError(None, None, f"Expected {idx.shape[0]} non-empty "
                                   f"{what}_values, got {vals.shape[0]}")
    if idx.shape[1] != shp.shape[0]:
        raise InvalidArgumentError(None, None, f"{what}_indices has rank {idx.shape[1]} but "
                                   f"{what}_shape has {shp.shape[0]} dimensions")
    return idx.astype(np.int64, copy=False), vals, shp.astype(np.int64, copy=False)


def _check_bounds(idx, shape, what="indices"):
    bad = ((idx < 0) | (idx >= shape)).any(axis=1) if idx.size else np.zeros(0, bool)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidArgumentError(None, None, f"{what}[{i}] = {list(map(int, idx[i]))} is out "
                                   f"of bounds: need 0 <= index < {list(map(int, shape))}")


def _linear(idx, shape):
    """Row-major positions of index tuples (the order canonical sparse tensors keep)."""
    if idx.shape[1] == 0:
        return np.zeros(idx.shape[0], np.int64)
    return np.ravel_multi_index(tuple(idx.T), tuple(int(d) for d in shape))


def _sparse_infer(indices, values, shape, what="input"):
    for spec, rank, part in ((indices, 2, "indices"), (values, 1, "values"), (shape, 1, "shape")):
        if spec.shape.rank not in (None, rank):
            raise shape_error(f"{what}_{part}: shape must be rank {rank} but is rank "
                              f"{spec.shape.rank}")


# -- SparseToDense -----------------------------------------------------------------------------
def _sparse_to_dense_kernel(sparse_indices, output_shape, sparse_values, default_value, *,
                            validate_indices):
    idx = np.asarray(sparse_indices)
    shape = np.asarray(output_shape).reshape(-1)
    if idx.ndim > 2:
        raise InvalidArgumentError(None, None, "sparse_indices should be a scalar, vector, or "
                                   f"matrix, got shape {list(idx.shape)}")
    idx = idx.reshape(-1, 1) if idx.ndim < 2 else idx  # a scalar or vector: 1-D positions
    n = idx.shape[0]
    if idx.shape[1] != shape.size:
        raise InvalidArgumentError(None, None, f"sparse_indices has {idx.shape[1]} columns "
                                   f"but output_shape has {shape.size} dimensions")
    vals = np.asarray(sparse_values)
    if vals.ndim > 1 or (vals.ndim == 1 and vals.shape[0] != n):
        raise InvalidArgumentError(None, None, f"sparse_values has incorrect shape "
                                   f"{list(vals.shape)}, should be [] or [{n}]")
    if np.ndim(default_value) != 0:
        raise InvalidArgumentError(None, None, "default_value should be a scalar, got shape "
                                   f"{list(np.shape(default_value))}")
    if (shape < 0).any():
        raise InvalidArgumentError(None, None, f"output_shape has a negative dimension: "
                                   f"{list(map(int, shape))}")
    _check_bounds(idx, shape, "indices")
    if validate_indices and n > 1:
        lin = _linear(idx, shape)
        step = np.diff(lin)
        if (step <= 0).any():
            i = int(np.argmax(step <= 0)) + 1
            problem = "is repeated" if step[i - 1] == 0 else "is out of order"
            raise InvalidArgumentError(None, None, f"indices[{i}] = {list(map(int, idx[i]))} "
                                       f"{problem}. Many sparse ops require sorted indices. "
                                       "Use `tf.sparse.reorder` to create a correctly ordered "
                                       "copy.")
    out = np.full(tuple(int(d) for d in shape), default_value, dtype=vals.dtype)
    if shape.size:
        out[tuple(idx.T)] = vals
    elif n:  # a scalar output: every (empty) index names it, the last value stays
        out[()] = vals if vals.ndim == 0 else vals[-1]
    return out


def _sparse_to_dense_infer(sparse_indices, output_shape, sparse_values, default_value, *,
                           validate_indices):
    if sparse_indices.shape.rank is not None and sparse_indices.shape.rank > 2:
        raise shape_error("Shape must be at most rank 2 but is rank "
                          f"{sparse_indices.shape.rank}")
    if default_value.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {default_value.shape.rank}")
    return [TensorSpec(shape_from_value(output_shape), sparse_values.dtype)]


def _sparse_to_dense_grad(op, dy):
    """TF's rule: the values' gradient is dy at their positions; the default value's is the
    rest of dy (summed)."""
    indices, _, values, _ = op.inputs
    if indices.shape.rank is not None and indices.shape.rank < 2:
        indices = array_ops.reshape(indices, [-1, 1])
    values_grad = gather_nd(dy, indices)
    default_grad = reduction_ops.reduce_sum(dy) - reduction_ops.reduce_sum(values_grad)
    if values.shape.rank == 0:  # one value broadcast to every index
        values_grad = reduction_ops.reduce_sum(values_grad)
    return [None, None, values_grad, default_grad]


SPARSE_TO_DENSE = register(OpDef(
    "SparseToDense", inputs=["sparse_indices:Tindices", "output_shape:Tindices",
                             "sparse_values:T", "default_value:T"],
    attrs={"validate_indices": True},
    kernel=_sparse_to_dense_kernel, infer=_sparse_to_dense_infer, grad=_sparse_to_dense_grad,
    doc="A dense tensor of default_value with sparse_values at sparse_indices.",
))


# -- SparseTensorDenseMatMul ---------------------------------------------------------------------
def _matmul_kernel(a_indices, a_values, a_shape, b, *, adjoint_a, adjoint_b):
    idx, vals, shape = _triple(a_indices, a_values, a_shape, "a")
    b = np.asarray(b)
    if shape.size != 2 or b.ndim != 2:
        raise InvalidArgumentError(None, None, f"Tensor 'a_shape' is not a vector of 2 or 'b' "
                                   f"is not a matrix: a_shape {list(map(int, shape))}, b "
                                   f"{list(b.shape)}")
    if adjoint_b:
        b = b.T.conj()
    rows, cols = (1, 0) if adjoint_a else (0, 1)
    m, k = int(shape[rows]), int(shape[cols])
    if k != b.shape[0]:
        raise InvalidArgumentError(None, None, f"Cannot multiply A and B because inner "
                                   f"dimension does not match: {k} vs. {b.shape[0]}.  Did you "
                                   f"forget a transpose?  Dimensions of A: "
                                   f"{list(map(int, shape))}.  Dimensions of B: {list(b.shape)}")
    _check_bounds(idx, shape, "a_indices")
    if adjoint_a:
        vals = vals.conj()
    out = np.zeros((m, b.shape[1]), np.result_type(vals.dtype, b.dtype))
    # Each entry adds its value times one row of b into one output row (repeats add up).
    np.add.at(out, idx[:, rows], vals[:, None] * b[idx[:, cols]])
    return out


def _matmul_infer(a_indices, a_values, a_shape, b, *, adjoint_a, adjoint_b):
    _sparse_infer(a_indices, a_values, a_shape, "a")
    if b.shape.rank not in (None, 2):
        raise shape_error(f"Shape must be rank 2 but is rank {b.shape.rank}")
    dims = shape_from_value(a_shape)
    if dims.rank not in (None, 2):
        raise shape_error(f"a_shape must have 2 elements, got {dims.rank}")
    m = dims[1 if adjoint_a else 0].value if dims.rank else None
    k = dims[0 if adjoint_a else 1].value if dims.rank else None
    bdims = b.shape.as_tuple() or (None, None)
    bk, n = (bdims[1], bdims[0]) if adjoint_b else bdims
    if k is not None and bk is not None and k != bk:
        raise shape_error(f"Dimensions must be equal, but are {k} and {bk}")
    return [TensorSpec([m, n], a_values.dtype)]


def _matmul_grad(op, dy):
    """TF's _SparseTensorDenseMatMulGrad: b's gradient is A^H dy (its adjoint if adjoint_b);
    the value at (r, c)'s is dy[r, :] . conj(b[c, :]), with b transposed (not conjugated) if
    adjoint_b, and the result conjugated, r and c swapped, if adjoint_a. (Conj adds no op for
    real tensors.)"""
    a_indices, a_values, a_shape, b = op.inputs
    adj_a, adj_b = op._get_attr("adjoint_a"), op._get_attr("adjoint_b")
    b_grad = SPARSE_TENSOR_DENSE_MAT_MUL(a_indices, a_values, a_shape, dy, adjoint_a=not adj_a)
    if adj_b:
        b_grad = conjugate_transpose(b_grad, [1, 0])  # one Transpose for a real b_grad
    rows, cols = a_indices[:, 0], a_indices[:, 1]
    parts_a = gather(dy, cols if adj_a else rows)
    parts_b = gather(transform_ops.transpose(b) if adj_b else b, rows if adj_a else cols)
    # adjoint(b)[:, c] is conj(b[c, :]); adjoint_a conjugates the whole product again.
    if adj_a:
        parts_a = conj(parts_a)
    if adj_a == adj_b:
        parts_b = conj(parts_b)
    return [None, reduction_ops.reduce_sum(parts_a * parts_b, axis=1), None, b_grad]


SPARSE_TENSOR_DENSE_MAT_MUL = register(OpDef(
    "SparseTensorDenseMatMul", inputs=["a_indices:Tindices=int64", "a_values:T",
                                       "a_shape:int64", "b:T"],
    attrs={"adjoint_a": False, "adjoint_b": False},
    kernel=_matmul_kernel, infer=_matmul_infer, grad=_matmul_grad,
    doc="The product of a sparse matrix A and a dense matrix B (either adjoint).",
))


# -- SparseTensorDenseAdd ----------------------------------------------------------------------
def _dense_add_kernel(a_indices, a_values, a_shape, b):
    idx, vals, shape = _triple(a_indices, a_values, a_shape, "a")
    b = np.asarray(b)
    if tuple(map(int, shape)) != b.shape:
        raise InvalidArgumentError(None, None, f"Dimension mismatch: a_shape "
                                   f"{list(map(int, shape))} vs. b.shape {list(b.shape)}")
    _check_bounds(idx, shape, "a_indices")
    out = b.copy()
    np.add.at(out, tuple(idx.T), vals)
    return out


def _dense_add_infer(a_indices, a_values, a_shape, b):
    _sparse_infer(a_indices, a_values, a_shape, "a")
    return [TensorSpec(b.shape, b.dtype)]


SPARSE_TENSOR_DENSE_ADD = register(OpDef(
    "SparseTensorDenseAdd", inputs=["a_indices:Tindices", "a_values:T", "a_shape:Tindices",
                                    "b:T"],
    kernel=_dense_add_kernel, infer=_dense_add_infer,
    grad=lambda op, dy: [None, gather_nd(dy, op.inputs[0]), None, dy],
    doc="A dense tensor: b with the sparse values added at their indices.",
))


# -- SparseReduceSum / SparseReduceMax -------------------------------------------------------------
def _reduce_kernel(ufunc, identity):
    def kernel(input_indices, input_values, input_shape, reduction_axes, *, keep_dims):
        idx, vals, shape = _triple(input_indices, input_values, input_shape)
        rank = shape.size
        axes = np.asarray(reduction_axes).reshape(-1)
        if ((axes < -rank) | (axes >= rank)).any():
            raise InvalidArgumentError(None, None, f"Invalid reduction dimension "
                                       f"{int(axes[(axes < -rank) | (axes >= rank)][0])}, for "
                                       f"input with {rank} dimensions.")
        _check_bounds(idx, shape, "indices")
        # Into the output directly: densifying the input first would allocate its whole dense
        # shape (a [batch, vocabulary] bag of words reduced to [batch] took gigabytes).
        axes = {int(a) % rank for a in axes}  # repeats: once
        kept = [i for i in range(rank) if i not in axes]
        kept_shape = tuple(int(shape[i]) for i in kept)
        flat = (np.ravel_multi_index(tuple(idx[:, kept].T), kept_shape) if kept
                else np.zeros(len(vals), np.intp))
        out = np.full(int(np.prod(kept_shape, dtype=np.int64)), identity(vals.dtype),
                      vals.dtype)
        ufunc.at(out, flat, vals)
        if ufunc is not np.add:  # only the entries present count; a slice without any is 0
            present = np.zeros(out.shape, bool)
            present[flat] = True
            out[~present] = 0
        out_shape = [1 if i in axes else int(d) for i, d in enumerate(shape)] if keep_dims \
            else list(kept_shape)
        return out.reshape(out_shape)
    return kernel


def _reduce_infer(input_indices, input_values, input_shape, reduction_axes, *, keep_dims):
    _sparse_infer(input_indices, input_values, input_shape)
    dims, axes = shape_from_value(input_shape), const_ints(reduction_axes)
    if dims.rank is None or axes is None:
        return [TensorSpec(None, input_values.dtype)]
    hit = {a % dims.rank for a in axes} if dims.rank else set()
    out = [1 if i in hit else d for i, d in enumerate(dims.as_tuple()) if keep_dims or
           i not in hit]
    return [TensorSpec(out, input_values.dtype)]


def _reduce_sum_grad(op, dy):
    """TF's rule: each value's gradient is dy at its index with the reduced dims zeroed, found
    by dividing the index by shape // kept shape."""
    indices, _, shape, axes = op.inputs
    kept = reduction_ops.reduced_shape(shape, axes)
    scale = math_ops.floordiv(shape, kept)
    return [None, gather_nd(array_ops.reshape(dy, kept), math_ops.floordiv(indices, scale)),
            None, None]


SPARSE_REDUCE_SUM = register(OpDef(
    "SparseReduceSum", inputs=["input_indices:int64", "input_values:T", "input_shape:int64",
                               "reduction_axes:int32"],
    attrs={"keep_dims": False},
    kernel=_reduce_kernel(np.add, lambda t: 0), infer=_reduce_infer, grad=_reduce_sum_grad,
    doc="The dense sum of a sparse tensor over reduction_axes.",
))

SPARSE_REDUCE_MAX = register(OpDef(
    "SparseReduceMax", inputs=["input_indices:int64", "input_values:T", "input_shape:int64",
                               "reduction_axes:int32"],
    attrs={"keep_dims": False},
    # -inf for floats (not the lowest finite value: an entry that is -inf stays -inf, as TF's)
    kernel=_reduce_kernel(np.maximum, lambda t: -np.inf if t.kind == "f" else np.iinfo(t).min),
    infer=_reduce_infer, grad=NO_GRADIENT,  # TF registers none: tf.gradients raises
    doc="The dense max of the entries present over reduction_axes (0 where there are none).",
))


# -- SparseDenseCwiseMul / Div -------------------------------------------------------------------
def _cwise_kernel(fn):
    def kernel(sp_indices, sp_values, sp_shape, dense):
        idx, vals, shape = _triple(sp_indices, sp_values, sp_shape, "sp")
        dense = np.asarray(dense)
        target = tuple(int(d) for d in shape)
        try:
            full = np.broadcast_to(dense, target)  # only the dense side broadcasts
        except ValueError:
            raise InvalidArgumentError(None, None, f"SparseDenseBinaryOpShared broadcasts "
                                       f"dense to sparse only; got incompatible shapes: "
                                       f"[{','.join(map(str, target))}] vs. "
                                       f"[{','.join(map(str, dense.shape))}]") from None
        _check_bounds(idx, shape, "sp_indices")
        return fn(vals, full[tuple(idx.T)]).astype(vals.dtype, copy=False)
    return kernel


def _truncating_div(a, b):
    """Integer division rounding toward zero, as TF's C++ kernel divides."""
    q = a // b
    return q + ((q < 0) & (q * b != a))


def _cwise_infer(sp_indices, sp_values, sp_shape, dense):
    _sparse_infer(sp_indices, sp_values, sp_shape, "sp")
    return [TensorSpec(sp_values.shape, sp_values.dtype)]


def _cwise_grad(is_mul):
    def grad(op, dy):
        """TF's rule: the dense operand's values at the sparse indices (dims it broadcast
        along divided out), scattered back with SparseTensorDenseAdd for its gradient."""
        x_indices, x_values, x_shape, y = op.inputs
        y_shape = array_ops.shape(y, out_type=_dt.int64)
        added = transform_ops.expand_dims(array_ops.size(x_shape) - array_ops.size(y_shape), 0)
        from .concat_split_ops import concat
        from .slicing_ops import slice_

        augmented = concat([array_ops.ones(added, _dt.int64), y_shape], 0)
        scaled = math_ops.floordiv(x_indices, math_ops.floordiv(x_shape, augmented))
        scaled = slice_(scaled, concat([[0], added], 0), [-1, -1])
        # Conjugated, unlike TF's Python rule, which TF cannot run for complex (no CPU
        # kernel): dL/dz of a complex operand is dy times the conjugate derivative, as for
        # Mul and RealDiv. Conj adds no op for real tensors.
        dense_vals = conj(gather_nd(y, scaled))
        if is_mul:
            dx, dy_val = dy * dense_vals, dy * conj(x_values)
        else:
            dx = dy / dense_vals
            dy_val = dy * (-conj(x_values) / unary_ops.square(dense_vals))
        dy_dense = SPARSE_TENSOR_DENSE_ADD(scaled, dy_val, y_shape, array_ops.zeros_like(y))
        return [None, dx, None, dy_dense]
    return grad


SPARSE_DENSE_CWISE_MUL = register(OpDef(
    "SparseDenseCwiseMul", inputs=["sp_indices:int64", "sp_values:T", "sp_shape:int64",
                                   "dense:T"],
    kernel=_cwise_kernel(np.multiply), infer=_cwise_infer, grad=_cwise_grad(True),
    doc="The sparse values times the dense tensor (broadcast to the sparse shape) there.",
))

SPARSE_DENSE_CWISE_DIV = register(OpDef(
    "SparseDenseCwiseDiv", inputs=["sp_indices:int64", "sp_values:T", "sp_shape:int64",
                                   "dense:T"],
    kernel=_cwise_kernel(lambda a, b: _truncating_div(a, b) if a.dtype.kind in "iu" else a / b),
    infer=_cwise_infer, grad=_cwise_grad(False),
    doc="The sparse values divided by the dense tensor (broadcast to the sparse shape) there.",
))


SPARSE_DENSE_CWISE_ADD = register(OpDef(
    "SparseDenseCwiseAdd", inputs=["sp_indices:int64", "sp_values:T", "sp_shape:int64",
                                   "dense:T"],
    kernel=_cwise_kernel(np.add), infer=_cwise_infer, grad=NO_GRADIENT,  # as TF
    doc="The sparse values plus the dense tensor (broadcast to the sparse shape) there; the "
        "implicit zeros stay zero.",
))

