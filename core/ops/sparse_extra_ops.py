"""More sparse ops, with TF's names, inputs and kernels' rules: SparseSparseMaximum/Minimum (the
element-wise max/min of two SparseTensors over the union of their entries), SparseSplit (TF's
uneven split: the first ``dim % num_split`` pieces are one longer),
SparseReduceMaxSparse/SumSparse (reductions that keep only the slots with entries, as a
SparseTensor) and SparseCrossV2 (tf.sparse.cross). Then the TF1 root functions over them, and
``tf.sparse_reset_shape`` and ``tf.sparse_mask`` (IndexedSlices), composed as TF composes them.
The ops of tf.sparse.bincount are in sparse_count_ops.py (imported here, so registered); the
``tf.sparse`` names are in core/sparse_extra.py."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import constant_value, control_dependencies, convert_to_tensor, name_scope
from ..indexed_slices import IndexedSlices
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..sparse_tensor import SparseTensor, convert_to_sparse
from . import array_ops, sparse_count_ops  # noqa: F401 - registers the ops of bincount
from ._math_util import _REAL, _check_dtype
from .feature_ops import _feature, _rows_of_sparse
from .sparse_ops import _check_bounds, _reduce_infer, _sparse_infer, _triple

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["sparse_mask", "sparse_maximum", "sparse_minimum", "sparse_reduce_max_sparse",
           "sparse_reduce_sum_sparse", "sparse_reset_shape", "sparse_split"]


def _invalid(message):
    return InvalidArgumentError(None, None, message)


def _ints(a) -> list:
    return [int(v) for v in a]


# -- SparseSparseMaximum / SparseSparseMinimum ---------------------------------------------------
def _same_shapes(ashape, bshape):
    if ashape.size != bshape.size:
        raise _invalid(f"Operands do not have the same ranks; got shapes: "
                       f"{' '.join(map(str, _ints(ashape)))} and "
                       f"{' '.join(map(str, _ints(bshape)))}")
    for d, (x, y) in enumerate(zip(_ints(ashape), _ints(bshape))):
        if x != y:
            raise _invalid(f"Operands' shapes do not match: got {x} and {y} for dimension {d}")


def _union(ai, av, bi, bv):
    """TF's UnionSparseIndicesAndValues: one merge walk over both entry lists (assumed in
    row-major order, not checked), an entry only one side has meeting an implicit zero. Returns
    (indices, a's values, b's values), aligned."""
    a_rows, b_rows = list(map(tuple, ai.tolist())), list(map(tuple, bi.tolist()))
    pairs, i, j = [], 0, 0  # (a's position, b's position); -1 for the implicit zero
    while i < len(a_rows) and j < len(b_rows):
        if a_rows[i] < b_rows[j]:
            pairs.append((i, -1))
            i += 1
        elif a_rows[i] > b_rows[j]:
            pairs.append((-1, j))
            j += 1
        else:
            pairs.append((i, j))
            i, j = i + 1, j + 1
    pairs += [(k, -1) for k in range(i, len(a_rows))] + [(-1, k) for k in range(j, len(b_rows))]
    ta, tb = np.array(pairs, np.int64).reshape(-1, 2).T
    from_a, from_b = ta >= 0, tb >= 0
    index = np.zeros((ta.size, ai.shape[1]), np.int64)
    index[from_a] = ai[ta[from_a]]
    index[~from_a] = bi[tb[~from_a]]
    a_aug, b_aug = np.zeros(ta.size, av.dtype), np.zeros(tb.size, bv.dtype)
    a_aug[from_a], b_aug[from_b] = av[ta[from_a]], bv[tb[from_b]]
    return index, a_aug, b_aug


def _min_max_kernel(fn):
    def kernel(a_indices, a_values, a_shape, b_indices, b_values, b_shape):
        ai, av, ashape = _triple(a_indices, a_values, a_shape, "a")
        bi, bv, bshape = _triple(b_indices, b_values, b_shape, "b")
        _same_shapes(ashape, bshape)
        _check_bounds(ai, ashape, "a_indices")
        _check_bounds(bi, bshape, "b_indices")
        index, a_aug, b_aug = _union(ai, av, bi, bv)
        return [index, fn(a_aug, b_aug).astype(av.dtype, copy=False)]
    return kernel


def _min_max_infer(a_indices, a_values, a_shape, b_indices, b_values, b_shape):
    _check_dtype(a_values, _REAL, "T")
    _sparse_infer(a_indices, a_values, a_shape, "a")
    _sparse_infer(b_indices, b_values, b_shape, "b")
    rank = a_shape.shape[0].value if a_shape.shape.rank == 1 else None
    return [TensorSpec([None, rank], _dt.int64), TensorSpec([None], a_values.dtype)]


def _min_max_grad(op_type):
    def grad(op, *_):
        raise NotImplementedError(f"Gradient for {op_type} is not implemented.")  # as TF's
    return grad


_MIN_MAX_INPUTS = ["a_indices:int64", "a_values:T", "a_shape:int64", "b_indices:int64",
                   "b_values:T", "b_shape:int64"]

SPARSE_SPARSE_MAXIMUM = register(OpDef(
    "SparseSparseMaximum", inputs=_MIN_MAX_INPUTS, kernel=_min_max_kernel(np.maximum),
    infer=_min_max_infer, grad=_min_max_grad("SparseSparseMaximum"),
    doc="The element-wise max of two SparseTensors of one shape, over the union of entries.",
))

SPARSE_SPARSE_MINIMUM = register(OpDef(
    "SparseSparseMinimum", inputs=_MIN_MAX_INPUTS, kernel=_min_max_kernel(np.minimum),
    infer=_min_max_infer, grad=_min_max_grad("SparseSparseMinimum"),
    doc="The element-wise min of two SparseTensors of one shape, over the union of entries.",
))


# -- SparseSplit ---------------------------------------------------------------------------------
def _split_kernel(split_dim, indices, values, shape, *, num_split):
    idx, vals, shp = _triple(indices, values, shape)
    rank, axis = shp.size, int(split_dim)
    if not -rank <= axis < rank:
        raise _invalid(f"Input axis should be in range [{-rank}, {rank}), got {axis}")
    axis %= rank
    dim = int(shp[axis])
    if not 1 <= num_split <= dim:
        raise _invalid(f"Input num_split should be between 1 and the splitting dimension size "
                       f"({dim}), got {num_split}")
    _check_bounds(idx, shp, "indices")
    size, extra = divmod(dim, num_split)
    starts = np.array([k * size + min(k, extra) for k in range(num_split + 1)], np.int64)
    piece = np.searchsorted(starts, idx[:, axis], side="right") - 1
    out_idx, out_vals, out_shapes = [], [], []
    for k in range(num_split):  # each piece keeps its entries in input order, as TF
        mine = piece == k
        moved = idx[mine].copy()
        moved[:, axis] -= starts[k]
        shape_k = shp.copy()
        shape_k[axis] = starts[k + 1] - starts[k]
        out_idx.append(moved)
        out_vals.append(vals[mine])
        out_shapes.append(shape_k)
    return out_idx + out_vals + out_shapes


def _split_infer(split_dim, indices, values, shape, *, num_split):
    if num_split < 1:
        raise shape_error(f"Value for attr 'num_split' of {num_split} must be at least "
                          "minimum 1")
    if split_dim.shape.rank not in (None, 0):
        raise shape_error(f"split_dim: shape must be rank 0 but is rank {split_dim.shape.rank}")
    _sparse_infer(indices, values, shape)
    rank = shape.shape[0].value if shape.shape.rank == 1 else None
    return ([TensorSpec([None, rank], _dt.int64) for _ in range(num_split)] +
            [TensorSpec([None], values.dtype) for _ in range(num_split)] +
            [TensorSpec([rank], _dt.int64) for _ in range(num_split)])


SPARSE_SPLIT = register(OpDef(
    "SparseSplit", inputs=["split_dim:int64", "indices:int64", "values:T", "shape:int64"],
    attrs={"num_split": req("int")},
    kernel=_split_kernel, infer=_split_infer, grad=NO_GRADIENT,  # TF registers none
    doc="num_split SparseTensors along split_dim; the first dim % num_split one longer.",
))


# -- SparseReduceMaxSparse / SparseReduceSumSparse ---------------------------------------------
def _reduce_sparse_kernel(ufunc):
    def kernel(input_indices, input_values, input_shape, reduction_axes, *, keep_dims):
        idx, vals, shape = _triple(input_indices, input_values, input_shape)
        rank = shape.size
        axes = np.asarray(reduction_axes).reshape(-1)
        if ((axes < -rank) | (axes >= rank)).any():
            raise _invalid(f"Invalid reduction dimension "
                           f"{int(axes[(axes < -rank) | (axes >= rank)][0])}, for input with "
                           f"{rank} dimensions.")
        hit = {int(a) % rank for a in axes}
        kept = [d for d in range(rank) if d not in hit]
        # One output entry per group of entries sharing their kept coordinates (no bounds
        # check, as TF's kernel), in row-major order.
        if idx.shape[0] and kept:
            groups, where = np.unique(idx[:, kept], axis=0, return_inverse=True)
        else:
            groups = np.zeros((min(idx.shape[0], 1), len(kept)), np.int64)
            where = np.zeros(idx.shape[0], np.int64)
        out = np.full(groups.shape[0], _identity(ufunc, vals.dtype), vals.dtype)
        ufunc.at(out, where.reshape(-1), vals)
        if keep_dims:
            full = np.zeros((groups.shape[0], rank), np.int64)
            full[:, kept] = groups
            groups, out_shape = full, np.where(np.isin(np.arange(rank), list(hit)), 1, shape)
        else:
            out_shape = shape[kept]
        return [groups.astype(np.int64), out, out_shape.astype(np.int64)]
    return kernel


def _identity(ufunc, dtype):
    if ufunc is np.add:
        return 0
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _reduce_sparse_infer(input_indices, input_values, input_shape, reduction_axes, *,
                         keep_dims):
    _check_dtype(input_values, _REAL, "T")
    dense = _reduce_infer(input_indices, input_values, input_shape, reduction_axes,
                          keep_dims=keep_dims)[0]
    rank = dense.shape.rank
    shape_spec = TensorSpec([rank], _dt.int64)
    if dense.shape.is_fully_defined():  # the shape is known: so is the output's dense shape
        shape_spec = TensorSpec([rank], _dt.int64,
                                value=np.array(dense.shape.as_list(), np.int64))
    return [TensorSpec([None, rank], _dt.int64), TensorSpec([None], input_values.dtype),
            shape_spec]


_REDUCE_INPUTS = ["input_indices:int64", "input_values:T", "input_shape:int64",
                  "reduction_axes:int32"]

SPARSE_REDUCE_SUM_SPARSE = register(OpDef(
    "SparseReduceSumSparse", inputs=_REDUCE_INPUTS, attrs={"keep_dims": False},
    kernel=_reduce_sparse_kernel(np.add), infer=_reduce_sparse_infer,
    grad=NO_GRADIENT,  # TF registers none: tf.gradients raises
    doc="The sum over reduction_axes as a SparseTensor: an entry per slot with entries.",
))

SPARSE_REDUCE_MAX_SPARSE = register(OpDef(
    "SparseReduceMaxSparse", inputs=_REDUCE_INPUTS, attrs={"keep_dims": False},
    kernel=_reduce_sparse_kernel(np.maximum), infer=_reduce_sparse_infer,
    grad=NO_GRADIENT,  # TF registers none: tf.gradients raises
    doc="The max over reduction_axes of the entries present, as a SparseTensor.",
))


# -- SparseCrossV2 -------------------------------------------------------------------------------
def _cross_v2_kernel(indices, values, shapes, dense_inputs, sep):
    """SparseCross's walk (core/ops/feature_ops.py) with the features joined by ``sep``: per
    row, every combination of one feature of each input, sparse inputs first, the last input
    varying fastest."""
    columns, batch = [], None
    for k, (i, v, s) in enumerate(zip(indices, values, shapes)):
        n, rows = _rows_of_sparse(i, v, s, f"sparse input {k}")
        if batch is not None and n != batch:
            raise _invalid(f"SparseCrossV2: expected batch size {batch}, got {n} for sparse "
                           f"input {k}")
        columns.append(rows)
        batch = n
    for k, d in enumerate(map(np.asarray, dense_inputs)):
        if d.ndim != 2 or (batch is not None and d.shape[0] != batch):
            raise _invalid(f"SparseCrossV2: dense input {k} must be a matrix of {batch} rows, "
                           f"got shape {list(d.shape)}")
        columns.append(list(d))
        batch = d.shape[0]
    sep = np.asarray(sep).item()
    sep = sep if isinstance(sep, bytes) else str(sep).encode()
    out_idx, out_vals, widest = [], [], 0
    for b in range(batch or 0):
        crosses = [[]]
        for col in columns:
            crosses = [c + [_feature(f, False)] for c in crosses for f in col[b]]
        for n, cross in enumerate(crosses if columns else []):
            out_idx.append((b, n))
            out_vals.append(sep.join(cross))
        widest = max(widest, len(crosses) if columns else 0)
    return [np.array(out_idx, np.int64).reshape(-1, 2),
            np.array(out_vals + [b""], object)[:-1],  # bytes objects, not a numpy "S" array
            np.array([batch or 0, widest], np.int64)]


def _cross_v2_infer(indices, values, shapes, dense_inputs, sep):
    for v in list(values) + list(dense_inputs):
        if v.dtype not in (_dt.int64, _dt.string):
            raise shape_error(f"SparseCrossV2: inputs must be int64 or string, got "
                              f"{v.dtype.name}")
    for d in dense_inputs:
        if d.shape.rank not in (None, 2):
            raise shape_error(f"SparseCrossV2: dense inputs must be matrices, got {d.shape}")
    if sep.shape.rank not in (None, 0):
        raise shape_error(f"sep: shape must be rank 0 but is rank {sep.shape.rank}")
    return [TensorSpec([None, 2], _dt.int64), TensorSpec([None], _dt.string),
            TensorSpec([2], _dt.int64)]


SPARSE_CROSS_V2 = register(OpDef(
    "SparseCrossV2", inputs=["indices:N*int64", "values:list(sparse_types)", "shapes:N*int64",
                             "dense_inputs:list(dense_types)", "sep:string"],
    kernel=_cross_v2_kernel, infer=_cross_v2_infer, grad=NOT_DIFFERENTIABLE,
    doc="Per row, every combination of one feature of each input (sparse inputs first), the "
        "features as strings joined with sep.",
))


# == Public wrappers (TF1 names, signatures and node names) =====================================
def _min_max(op, default_name):
    def wrapper(sp_a, sp_b, name=None):
        sp_a, sp_b = convert_to_sparse(sp_a, "sp_a"), convert_to_sparse(sp_b, "sp_b")
        with name_scope(name, default_name, [sp_a.indices, sp_a.values, sp_b.indices,
                                             sp_b.values]) as scope:
            indices, values = op(sp_a.indices, sp_a.values, sp_a.dense_shape, sp_b.indices,
                                 sp_b.values, sp_b.dense_shape, name=scope)
        return SparseTensor(indices, values, sp_a.dense_shape)
    return wrapper


sparse_maximum = _min_max(SPARSE_SPARSE_MAXIMUM, "SparseSparseMaximum")
sparse_maximum.__doc__ = ("The element-wise max of two SparseTensors of one shape (indices in "
                          "row-major order); an entry one side lacks meets a zero.")
sparse_minimum = _min_max(SPARSE_SPARSE_MINIMUM, "SparseSparseMinimum")
sparse_minimum.__doc__ = ("The element-wise min of two SparseTensors of one shape (indices in "
                          "row-major order); an entry one side lacks meets a zero.")


class KeywordRequired:
    """TF1's stand-in first parameter of sparse_split: its arguments go by keyword."""

    def __repr__(self):
        return "KeywordRequired()"


def sparse_split(keyword_required=KeywordRequired(), sp_input=None, num_split=None,  # noqa: B008
                 axis=None, name=None, split_dim=None):
    """``num_split`` SparseTensors of ``sp_input`` along ``axis``; when ``num_split`` does not
    divide the dim, the first ``dim % num_split`` pieces are one longer. TF1's checks, in its
    order (``axis`` is required even with the deprecated ``split_dim``, as in TF)."""
    if not isinstance(keyword_required, KeywordRequired):
        raise ValueError("Keyword arguments are required for this function.")
    if sp_input is None:
        raise ValueError("sp_input is required")
    if num_split is None:
        raise ValueError("num_split is required")
    if axis is None:
        raise ValueError("axis is required")
    if split_dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'split_dim'")
    sp = convert_to_sparse(sp_input)
    num_split = int(num_split)
    outs = SPARSE_SPLIT(convert_to_tensor(axis, dtype=_dt.int64, name="split_dim"),
                        sp.indices, sp.values, sp.dense_shape, num_split=num_split,
                        name=name or "SparseSplit")
    outs = outs if isinstance(outs, list) else [outs]
    return [SparseTensor(outs[k], outs[num_split + k], outs[2 * num_split + k])
            for k in range(num_split)]


def _lookup(new, new_name, old, old_name):
    """TF's deprecated_argument_lookup: the new name's value, or the old one's; not both."""
    if new is not None and old is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'")
    return new if new is not None else old


def _reduce_sparse(op, default_name):
    def reduce(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
        from ..sparse import _axes

        keep = bool(_lookup(keepdims, "keepdims", keep_dims, "keep_dims"))
        axis = _lookup(axis, "axis", reduction_axes, "reduction_axes")
        sp = convert_to_sparse(sp_input)
        with name_scope(None, default_name, [sp.values]) as scope:
            axes = convert_to_tensor(_axes(sp, axis), dtype=_dt.int32, name="reduction_axes")
            indices, values, shape = op(sp.indices, sp.values, sp.dense_shape, axes,
                                        keep_dims=keep, name=scope)
        return SparseTensor(indices, values, shape)
    return reduce


sparse_reduce_sum_sparse = _reduce_sparse(SPARSE_REDUCE_SUM_SPARSE, "SparseReduceSumSparse")
sparse_reduce_sum_sparse.__doc__ = ("The sum of a SparseTensor over ``axis`` (every axis if "
                                    "None) as a SparseTensor: one entry per slot with entries.")
sparse_reduce_max_sparse = _reduce_sparse(SPARSE_REDUCE_MAX_SPARSE, "SparseReduceMaxSparse")
sparse_reduce_max_sparse.__doc__ = ("The max of a SparseTensor's entries over ``axis`` (every "
                                    "axis if None) as a SparseTensor; implicit zeros take no "
                                    "part.")


def sparse_reset_shape(sp_input, new_shape=None):
    """The same entries with dense shape ``new_shape`` (no smaller in any dim, checked at
    build time when known, else at run time), or the entries' tight bounding box."""
    from . import math_ops, reduction_ops
    from .logging_ops import assert_equal, assert_less_equal

    sp = convert_to_sparse(sp_input)
    indices, values = array_ops.identity(sp.indices), array_ops.identity(sp.values)
    in_shape = array_ops.identity(sp.dense_shape)
    if new_shape is None:
        low = reduction_ops.reduce_max(indices, axis=0)
        shape = math_ops.maximum(array_ops.constant(0, _dt.int64),
                                 math_ops.add(low, array_ops.ones_like(in_shape)))
        return SparseTensor(indices, values, shape)
    shape = convert_to_tensor(new_shape)
    shape.shape.assert_has_rank(1)
    shape = math_ops.cast(shape, _dt.int64)
    if shape.shape.rank is not None:
        shape.shape[0].merge_with(in_shape.shape[0])  # ValueError: not compatible
    wanted = constant_value(shape)
    if wanted is not None and sp.shape.is_fully_defined():
        have = np.array(sp.shape.as_list())
        if not np.all(have <= wanted):
            raise ValueError(f"Requested new_shape should have dimension sizes >= "
                             f"sp_input.shape.  Found new_shape ({have}), sp_input.shape "
                             f"({wanted}).")  # sic: TF names the two the other way round
        return SparseTensor(indices, values, wanted)
    with control_dependencies([assert_equal(array_ops.shape(in_shape),
                                            array_ops.shape(shape))]):
        shape = array_ops.identity(shape)
    with control_dependencies([assert_less_equal(in_shape, shape)]):
        shape = array_ops.identity(shape)
    return SparseTensor(indices, values, shape)


def sparse_mask(a, mask_indices, name=None):
    """The IndexedSlices ``a`` without the slices at ``mask_indices`` (ListDiff + Gather)."""
    from .array_extra_ops import LIST_DIFF
    from .gather_ops import gather

    with name_scope(name, "sparse_mask", [a, mask_indices]) as scope:
        out_indices, to_gather = LIST_DIFF(a.indices, mask_indices, out_idx=_dt.int32)
        out_values = gather(a.values, to_gather, name=scope)
        return IndexedSlices(out_values, out_indices, a.dense_shape)
