"""``tf.sparse`` and TF1's root sparse functions (``tf.sparse_tensor_to_dense``,
``tf.sparse_placeholder``...), over the ops of core/ops/sparse_ops.py. What TF composes in
Python (from_dense, retain, transpose, embedding_lookup_sparse) is composed here too."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .graph import constant_value, convert_to_tensor, name_scope
from .ops import array_ops, gather_ops, logic_ops, math_ops, transform_ops
from .ops import sparse_ops as _ops
from .ops import sparse_slice_ops as _ops_slice
from .ops.sparse_ops import sparse_add
from .ops.sparse_segment_ops import sparse_segment_mean, sparse_segment_sqrt_n, sparse_segment_sum
from . import sparse_extra as _sparse_extra
from .sparse_extra import *  # noqa: F403 - maximum, split, expand_dims, cross...: see there
from .accumulators import SparseConditionalAccumulator  # noqa: F401 - tf.sparse's name too
from .sparse_tensor import SparseTensor, SparseTensorValue, convert_to_sparse, sparse_placeholder
from .tensor_shape import TensorShape

add = sparse_add
placeholder = sparse_placeholder
segment_sum, segment_mean, segment_sqrt_n = (sparse_segment_sum, sparse_segment_mean,
                                             sparse_segment_sqrt_n)

__all__ = ["SparseTensor", "SparseTensorValue", "add", "concat", "fill_empty_rows",
           "from_dense", "matmul", "merge", "placeholder", "reduce_max", "reduce_sum", "reorder",
           "reshape", "retain", "segment_mean", "segment_sqrt_n", "segment_sum", "slice",
           "softmax", "sparse_dense_matmul", "to_dense", "to_indicator", "transpose"]
__all__ += _sparse_extra.__all__ + ["SparseConditionalAccumulator"]


def _with_shape(sp: SparseTensor, shape) -> SparseTensor:
    sp._shape = TensorShape(shape) if shape is not None else sp._shape
    return sp


def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor: ``default_value`` (0) everywhere but at the sparse indices."""
    sp = convert_to_sparse(sp_input)
    with name_scope(name, "SparseToDense", [sp.values]) as scope:
        default = array_ops.zeros([], sp.dtype) if default_value is None else \
            convert_to_tensor(default_value, dtype=sp.dtype, name="default_value")
        # The static shape is what dense_shape's value gives, not sp.shape: a placeholder's
        # dense_shape may be fed another one, as in TF.
        return _ops.SPARSE_TO_DENSE(sp.indices, sp.dense_shape, sp.values, default,
                                    validate_indices=validate_indices, name=scope)


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0,
                    validate_indices=True, name=None):
    """``tf.sparse_to_dense``: ``default_value`` with ``sparse_values`` at ``sparse_indices``
    (sorted, no repeats, unless ``validate_indices`` is False)."""
    with name_scope(name, "SparseToDense", [sparse_indices, output_shape, sparse_values]) \
            as scope:
        sparse_values = convert_to_tensor(sparse_values, name="sparse_values")
        sparse_indices = convert_to_tensor(sparse_indices, name="sparse_indices")
        output_shape = convert_to_tensor(output_shape, dtype=sparse_indices.dtype,
                                         name="output_shape")
        default_value = convert_to_tensor(default_value, dtype=sparse_values.dtype,
                                          name="default_value")
        return _ops.SPARSE_TO_DENSE(sparse_indices, output_shape, sparse_values, default_value,
                                    validate_indices=validate_indices, name=scope)


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """``sp_a @ b`` for a rank-2 SparseTensor and a dense matrix (either adjoint)."""
    sp = convert_to_sparse(sp_a, "sp_a")
    with name_scope(name, "SparseTensorDenseMatMul", [sp.values, b]):
        b = convert_to_tensor(b, name="b")
        if sp.shape.rank == 2 and b.shape.rank == 2:
            k = sp.shape[0 if adjoint_a else 1].value
            bk = b.shape[1 if adjoint_b else 0].value
            if k is not None and bk is not None and k != bk:
                raise ValueError(f"Dimensions must be equal, but are {k} and {bk} for "
                                 f"SparseTensorDenseMatMul with sparse shape {sp.shape} and "
                                 f"b {b.shape} (adjoint_a={adjoint_a}, "
                                 f"adjoint_b={adjoint_b})")
        return _ops.SPARSE_TENSOR_DENSE_MAT_MUL(sp.indices, sp.values, sp.dense_shape, b,
                                                adjoint_a=adjoint_a, adjoint_b=adjoint_b)


matmul = sparse_dense_matmul


def _axes(sp, axis):
    if axis is not None:
        return axis
    rank = sp.shape.rank
    if rank is not None:
        return list(range(rank))
    return array_ops.range_(array_ops.size(sp.dense_shape))


def _reduce(op, default_name):
    def reduce(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None,
               name=None):
        sp = convert_to_sparse(sp_input)
        axis = reduction_axes if axis is None else axis
        keep = bool(keepdims if keepdims is not None else keep_dims)
        with name_scope(name, default_name, [sp.values]) as scope:
            axes = convert_to_tensor(_axes(sp, axis), dtype=_dt.int32, name="reduction_axes")
            return op(sp.indices, sp.values, sp.dense_shape, axes, keep_dims=keep, name=scope)
    reduce.__doc__ = f"``tf.sparse.{default_name}``-style dense reduction over ``axis`` (all)."
    return reduce


reduce_sum = _reduce(_ops.SPARSE_REDUCE_SUM, "SparseReduceSum")
reduce_max = _reduce(_ops.SPARSE_REDUCE_MAX, "SparseReduceMax")
reduce_sum.__doc__ = "The dense sum of a SparseTensor over ``axis`` (every axis if None)."
reduce_max.__doc__ = ("The dense max of a SparseTensor's entries over ``axis`` (every axis "
                      "if None): implicit zeros do not take part; a slice without entries is "
                      "0, as in TF.")


def reorder(sp_input, name=None):
    """The same SparseTensor with its entries in canonical row-major order."""
    sp = convert_to_sparse(sp_input)
    with name_scope(name, "SparseReorder", [sp.values]) as scope:
        indices, values = _ops.SPARSE_REORDER(sp.indices, sp.values, sp.dense_shape, name=scope)
    dense_shape = _static_dense_shape(sp.shape)
    if dense_shape is None:
        dense_shape = array_ops.identity(sp.dense_shape)
    return _with_shape(SparseTensor(indices, values, dense_shape), sp.shape)


def _static_dense_shape(shape: TensorShape):
    """A constant dense_shape when ``shape`` is fully known, as TF builds one, so ops over the
    result (to_dense, ...) keep the static shape; None otherwise."""
    if not shape.is_fully_defined():
        return None
    return convert_to_tensor(np.array(shape.as_list(), np.int64), name="dense_shape")


def reshape(sp_input, shape, name=None):
    """The same entries in a SparseTensor of ``shape`` (one dim may be -1)."""
    sp = convert_to_sparse(sp_input)
    with name_scope(name, "SparseReshape", [sp.values]) as scope:
        shape = convert_to_tensor(shape, name="shape")
        if shape.dtype != _dt.int64:  # an int32 shape (tf.shape's) is cast, as TF casts it
            shape = math_ops.cast(shape, _dt.int64)
        indices, new_shape = _ops.SPARSE_RESHAPE(sp.indices, sp.dense_shape, shape, name=scope)
        wanted = constant_value(shape)
        dims = None if wanted is None else [None if d == -1 else int(d) for d in wanted]
        if dims is not None and sp.shape.is_fully_defined():
            dims = _reshaped_dims(sp.shape.num_elements(), dims)
            static = _static_dense_shape(TensorShape(dims))
            new_shape = new_shape if static is None else static
    out = SparseTensor(indices, sp.values, new_shape)
    if dims is not None and not out.shape.is_fully_defined():
        out._shape = TensorShape(dims)
    return out


def _reshaped_dims(total: int, dims: list) -> list:
    """``dims`` with its -1 (None) filled from ``total`` elements, and TF's build-time checks:
    one -1 at most, and the element counts agree. As TF, a -1 beside a 0 dim stays open."""
    if dims.count(None) > 1:
        raise ValueError("At most one dimension can be inferred (-1). Found: "
                         f"{[-1 if d is None else d for d in dims]}")
    if None in dims and 0 in dims:
        return dims
    known = int(np.prod([d for d in dims if d is not None]))
    filled = [total // known if d is None else d for d in dims]  # floored, as TF
    size = int(np.prod(filled))
    if size != total:
        raise ValueError(f"Cannot reshape a tensor with {total} elements to shape {dims} "
                         f"({size} elements).")
    return filled


def retain(sp_input, to_retain):
    """The entries where the bool vector ``to_retain`` is True (dense shape unchanged)."""
    sp = convert_to_sparse(sp_input)
    to_retain = convert_to_tensor(to_retain, dtype=_dt.bool, name="to_retain")
    if to_retain.shape.rank not in (None, 1):
        raise ValueError(f"to_retain must be a vector, got shape {to_retain.shape}")
    n, m = to_retain.shape.as_list()[0] if to_retain.shape.rank else None, \
        sp.values.shape.as_list()[0] if sp.values.shape.rank else None
    if n is not None and m is not None and n != m:  # one flag per entry
        raise ValueError(f"Dimensions {m} and {n} are not compatible: to_retain has {n} "
                         f"flags for {m} entries")
    keep = array_ops.reshape(logic_ops.where(to_retain), [-1])
    return _with_shape(SparseTensor(gather_ops.gather(sp.indices, keep),
                                    gather_ops.gather(sp.values, keep),
                                    array_ops.identity(sp.dense_shape)), sp.shape)


def fill_empty_rows(sp_input, default_value, name=None):
    """(SparseTensor with ``default_value`` at ``[row, 0, ...]`` of each empty row, the bool
    indicator of those rows)."""
    sp = convert_to_sparse(sp_input)
    with name_scope(name, "SparseFillEmptyRows", [sp.values, default_value]) as scope:
        default_value = convert_to_tensor(default_value, dtype=sp.dtype, name="default_value")
        indices, values, empty, _ = _ops.SPARSE_FILL_EMPTY_ROWS(
            sp.indices, sp.values, sp.dense_shape, default_value, name=scope)
    return _with_shape(SparseTensor(indices, values, sp.dense_shape), sp.shape), empty


def transpose(sp_input, perm=None, name=None):
    """The SparseTensor with its dims permuted by ``perm`` (reversed by default), reordered."""
    sp = convert_to_sparse(sp_input)
    with name_scope(name, "SparseTranspose", [sp.values]):
        if perm is None and sp.shape.rank is not None:
            perm = list(range(sp.shape.rank))[::-1]
        elif perm is None:
            rank = array_ops.size(sp.dense_shape)
            perm = (rank - 1) - array_ops.range_(0, rank, 1)
        perm = convert_to_tensor(perm, name="perm")
        indices = transform_ops.transpose(gather_ops.gather(transform_ops.transpose(
            sp.indices), perm))
        shape = gather_ops.gather(sp.dense_shape, perm)
        out = reorder(SparseTensor(indices, sp.values, shape))
    static, p = sp.shape, constant_value(perm)
    if static.rank is not None and p is not None:
        out._shape = TensorShape([static[int(i)] for i in np.asarray(p).reshape(-1)])
    return out


def from_dense(tensor, name=None):
    """The SparseTensor of a dense tensor's non-zero elements."""
    with name_scope(name, "dense_to_sparse", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        indices = logic_ops.where(logic_ops.not_equal(tensor, array_ops.zeros_like(tensor)))
        values = gather_ops.gather_nd(tensor, indices)
        shape = array_ops.shape(tensor, out_type=_dt.int64)
    return _with_shape(SparseTensor(indices, values, shape), tensor.shape)



# -- concat, slice, softmax, merge and indicators ------------------------------------------------
def concat(axis, sp_inputs, name=None, expand_nonconcat_dim=False, concat_dim=None,
           expand_nonconcat_dims=None):
    """The SparseTensors joined along ``axis``, in canonical order. Their other dims must match,
    unless ``expand_nonconcat_dim``: then each takes the largest of them."""
    axis = concat_dim if concat_dim is not None else axis
    expand = bool(expand_nonconcat_dims if expand_nonconcat_dims is not None
                  else expand_nonconcat_dim)
    sp_inputs = [convert_to_sparse(sp) for sp in sp_inputs]
    if len(sp_inputs) < 2:  # TF's op takes N >= 2; one input is itself
        if len(sp_inputs) == 1:
            return sp_inputs[0]
        raise ValueError("sparse concat needs at least one SparseTensor")
    axis = int(axis)
    with name_scope(name, "SparseConcat", [sp.values for sp in sp_inputs]) as scope:
        shapes = [sp.dense_shape for sp in sp_inputs]
        if expand:
            from .ops.concat_split_ops import concat as _concat
            from .ops.concat_split_ops import stack
            from .ops.reduction_ops import reduce_max

            biggest = reduce_max(stack(shapes), axis=0)
            # Negative axes work as slice bounds: the part before axis, axis, the part after.
            after = None if axis == -1 else axis + 1
            shapes = [_concat([biggest[:axis], shape[axis:after], biggest[axis:][1:]], 0)
                      for shape in shapes]
        indices, values, dense_shape = _ops_slice.SPARSE_CONCAT(
            [sp.indices for sp in sp_inputs], [sp.values for sp in sp_inputs], shapes,
            concat_dim=axis, name=scope)
    out = SparseTensor(indices, values, dense_shape)
    static = [sp.shape for sp in sp_inputs]
    if all(s.rank is not None for s in static) and len({s.rank for s in static}) == 1:
        rank = static[0].rank
        a = axis % rank if rank else 0
        dims = []
        for d in range(rank):
            sizes = [s.as_list()[d] for s in static]
            if d == a:
                dims.append(None if None in sizes else sum(sizes))
            elif expand:
                dims.append(None if None in sizes else max(sizes))
            else:
                known = {v for v in sizes if v is not None}
                dims.append(known.pop() if len(known) == 1 else None)
        out._shape = TensorShape(dims)
    return out


def slice(sp_input, start, size, name=None):  # noqa: A001 - TF's name
    """The entries of ``sp_input`` inside ``[start, start + size)``, indexed from ``start``."""
    sp = convert_to_sparse(sp_input)
    with name_scope(name, "SparseSlice", [sp.values]) as scope:
        start = convert_to_tensor(start, dtype=_dt.int64, name="start")
        size = convert_to_tensor(size, dtype=_dt.int64, name="size")
        indices, values, shape = _ops_slice.SPARSE_SLICE(sp.indices, sp.values, sp.dense_shape,
                                                         start, size, name=scope)
    return SparseTensor(indices, values, shape)


def softmax(sp_input, name=None):
    """The softmax of each innermost row's entries (the implicit zeros take no part)."""
    sp = convert_to_sparse(sp_input)
    with name_scope(name, "SparseSoftmax", [sp.indices, sp.values]) as scope:
        values = _ops_slice.SPARSE_SOFTMAX(sp.indices, sp.values, sp.dense_shape, name=scope)
    return _with_shape(SparseTensor(sp.indices, values, sp.dense_shape), sp.shape)


def merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    """``tf.sparse_merge``: the SparseTensor with ``sp_values``' values at the indices of
    ``sp_ids`` whose last column is replaced by the ids (a list of ``sp_ids`` and of
    ``vocab_size`` gives one id column each)."""
    many = isinstance(sp_ids, (list, tuple))
    ids_list = [convert_to_sparse(sp, "sp_ids") for sp in (sp_ids if many else [sp_ids])]
    sizes = list(vocab_size) if isinstance(vocab_size, (list, tuple)) else [vocab_size]
    if len(sizes) != len(ids_list):
        raise ValueError(f"sp_ids and vocab_size must have the same length: {len(ids_list)} "
                         f"SparseTensors of ids, {len(sizes)} vocabulary sizes")
    values = convert_to_sparse(sp_values, "sp_values")
    from .ops.concat_split_ops import concat as _concat

    with name_scope(name, "SparseMerge", [sp.values for sp in ids_list] + [values.values]):
        columns = [math_ops.cast(sp.values, _dt.int64) if sp.dtype != _dt.int64 else sp.values
                   for sp in ids_list]
        indices = _concat([ids_list[0].indices[:, :-1]] +
                          [transform_ops.expand_dims(c, 1) for c in columns], 1)
        sizes = [convert_to_tensor(v, dtype=_dt.int64, name="vocab_size") for v in sizes]
        shape = _concat([ids_list[0].dense_shape[:-1]] +
                        [array_ops.reshape(v, [1]) for v in sizes], 0)
        result = SparseTensor(indices, values.values, shape)
        if already_sorted:
            return result
        ordered = reorder(result)
        return SparseTensor(ordered.indices, ordered.values, shape)


def to_indicator(sp_input, vocab_size, name=None):
    """The bool dense tensor ``[..., vocab_size]`` that is True at ``[..., id]`` for each id
    of a row of ``sp_input`` (ids in its last dim's entries)."""
    sp = convert_to_sparse(sp_input)
    with name_scope(name, "SparseToIndicator", [sp.values]) as scope:
        count = array_ops.shape(sp.indices)[0]
        flags = array_ops.fill(transform_ops.expand_dims(count, 0), True)
        merged = merge(sp, SparseTensor(sp.indices, flags, sp.dense_shape), vocab_size, scope)
        # Repeated ids in a row are allowed: a flag set twice is still set.
        return to_dense(merged, default_value=False, validate_indices=False, name=scope)

# -- embeddings (tf.nn) -----------------------------------------------------------------------
def embedding_lookup_sparse(params, sp_ids, sp_weights, partition_strategy="mod", name=None,
                            combiner=None, max_norm=None):
    """Per row of ``sp_ids`` (a [batch, n] SparseTensor of ids), the ``combiner`` ("mean",
    the default, "sum" or "sqrtn") of the embeddings of its ids, weighted by ``sp_weights``'s
    values when given; composed as TF composes it."""
    if combiner is None:
        combiner = "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner!r}")
    sp_ids = convert_to_sparse(sp_ids, "sp_ids")
    if sp_weights is not None:
        sp_weights = convert_to_sparse(sp_weights, "sp_weights")
    from .nn_impl import embedding_lookup

    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    with name_scope(name, "embedding_lookup_sparse", shards + [sp_ids.values]) as scope:
        segment_ids = sp_ids.indices[:, 0]
        if segment_ids.dtype != _dt.int32:
            segment_ids = math_ops.cast(segment_ids, _dt.int32)
        ids, idx = gather_ops.unique(sp_ids.values)
        # Sharded params (a list) are looked up as embedding_lookup does, by the strategy.
        embeddings = embedding_lookup(params, ids, partition_strategy=partition_strategy,
                                      max_norm=max_norm)
        if sp_weights is None:
            reduce = {"sum": sparse_segment_sum, "mean": sparse_segment_mean,
                      "sqrtn": sparse_segment_sqrt_n}[combiner]
            return reduce(embeddings, idx, segment_ids, name=scope)
        weights = sp_weights.values
        original = embeddings.dtype
        if original == _dt.float16:  # summed in float32, as TF (float16 overflows)
            embeddings = math_ops.cast(embeddings, _dt.float32)
        if weights.dtype != embeddings.dtype:
            weights = math_ops.cast(weights, embeddings.dtype)
        embeddings = gather_ops.gather(embeddings, idx)
        # Weights [n] against embeddings [n, d...]: one weight per row.
        ones = array_ops.ones_like(array_ops.shape(embeddings)[1:])
        from .ops.concat_split_ops import concat

        bcast = array_ops.reshape(weights, concat([array_ops.shape(weights), ones], 0))
        embeddings = embeddings * bcast
        from .ops.gather_ops import segment_sum

        summed = segment_sum(embeddings, segment_ids)
        if combiner == "sum":
            return _as(summed, original, scope)
        weight_sum = segment_sum(weights, segment_ids)
        if combiner == "sqrtn":
            from .ops.unary_ops import sqrt

            weight_sum = sqrt(segment_sum(weights * weights, segment_ids))
        weight_sum = array_ops.reshape(weight_sum, concat([array_ops.shape(weight_sum), ones],
                                                          0))
        # TF 2's compat.v1 divides with div_no_nan: a row whose weights sum to 0 gives 0.
        return _as(math_ops.div_no_nan(summed, weight_sum), original, scope)


def _as(t, dtype, name):
    return math_ops.cast(t, dtype, name=name) if t.dtype != dtype else \
        array_ops.identity(t, name=name)


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None,
                                 combiner="mean", default_id=None, name=None,
                                 partition_strategy="div", max_norm=None):
    """``embedding_lookup_sparse`` that tolerates what real inputs hold: negative ids (and
    non-positive weights unless summing) are dropped, an empty row gives zeros (or the
    embedding of ``default_id``), and ids of rank > 2 are looked up per innermost row, the
    result keeping the leading dims. Composed as TF composes it."""
    from .ops.concat_split_ops import concat
    from .ops.reduction_ops import reduce_prod
    from .ops.slicing_ops import slice_

    sparse_ids = convert_to_sparse(sparse_ids, "sparse_ids")
    if sparse_weights is not None:
        sparse_weights = convert_to_sparse(sparse_weights, "sparse_weights")
    with name_scope(name, "embedding_lookup", [sparse_ids.values]) as scope:
        original_shape = sparse_ids.dense_shape
        rank_dim = original_shape.shape[0].value if original_shape.shape.rank else None
        rank = array_ops.size(original_shape) if rank_dim is None else rank_dim
        # Rank > 2: one row per innermost slice (linear segment ids).
        ids = reshape(sparse_ids, [reduce_prod(slice_(original_shape, [0], [rank - 1])),
                                   gather_ops.gather(original_shape, rank - 1)])
        weights = None if sparse_weights is None else \
            SparseTensor(ids.indices, sparse_weights.values, ids.dense_shape)
        valid = logic_ops.greater_equal(ids.values, array_ops.zeros([], ids.dtype))
        ids = retain(ids, valid)
        if weights is not None:
            weights = retain(weights, valid)
            if combiner != "sum":  # a mean or sqrtn over non-positive weights is undefined
                positive = logic_ops.greater(weights.values,
                                             array_ops.zeros([], weights.dtype))
                ids, weights = retain(ids, positive), retain(weights, positive)
        ids, empty = fill_empty_rows(ids, default_id or 0)
        if weights is not None:
            weights, _ = fill_empty_rows(weights, 1.0)
        result = embedding_lookup_sparse(embedding_weights, ids, weights, combiner=combiner,
                                         partition_strategy=partition_strategy,
                                         max_norm=max_norm)
        if default_id is None:  # an empty row is zeros, not the embedding of id 0
            from .ops.array_ops import zeros_like
            from .ops.concat_split_ops import stack
            from .ops.transform_ops import tile

            mask = tile(array_ops.reshape(empty, [-1, 1]),
                        stack([1, array_ops.shape(result)[1]]))
            result = logic_ops.where(mask, zeros_like(result), result)
        final = array_ops.reshape(result, concat([
            slice_(math_ops.cast(original_shape, _dt.int32), [0], [rank - 1]),
            slice_(array_ops.shape(result), [1], [-1])], 0), name=scope)
    if rank_dim is not None:
        final.set_shape(TensorShape([None] * (rank_dim - 1)).concatenate(result.shape[1:]))
    return final
