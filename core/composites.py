"""TF1 functions built from minitf's ops (no op of their own here): ``tf.norm``, ``tf.eye``,
``tf.sequence_mask``, ``tf.reverse``, ``tf.tensordot``, ``tf.boolean_mask``, ``tf.einsum``
(einsum.py), ``tf.linspace``, ``tf.meshgrid``, ``tf.sort``/``tf.argsort``, ``tf.saturate_cast``,
``tf.math.reduce_variance``/``reduce_std`` and ``tf.clip_by_average_norm``. Their
values and gradients are those of the ops they are made of; node names may differ from TF's."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, convert_to_tensor, name_scope
from .ops import (array_ops, complex_ops, concat_split_ops, fill_ops, linalg_ops, logic_ops,
                  math_ops, reduction_ops, shape_ops, transform_ops, unary_ops)
from .ops.array_extra_ops import setdiff1d
from .ops.axis_perm import axis_to_last
from .ops.gather_ops import gather
from .ops.graph_compat_ops import CLIP_BY_VALUE
from .ops.reverse_ops import REVERSE_V2
from .tensor_conversion import constant_value

from .einsum import _prod, einsum  # tf.einsum lives in its own module

__all__ = ["argsort", "boolean_mask", "clip_by_average_norm", "einsum", "eye", "lin_space",
           "linspace", "meshgrid", "norm", "reverse", "reverse_v2", "saturate_cast",
           "sequence_mask", "sort", "tensordot"]


_VECTOR_NORMS = ["euclidean", 1, 2, np.inf]
_MATRIX_NORMS = ["euclidean", "fro", 1, 2, np.inf]
_AXIS_ERROR = "'axis' must be None, an integer, or a tuple of 2 unique integers"


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):  # noqa: A002,E501
    """TF 1.15's ``tf.norm``: a vector norm over ``axis`` (None: all elements; an int), with
    ``ord`` 'euclidean'/2, 1, np.inf or any p > 0; or, for two axes, a matrix norm: 'euclidean'/
    'fro' (Frobenius), 1 (largest column sum of |x|), np.inf (largest row sum) or 2 (largest
    singular value, from Svd). TF's argument checks, messages and ops, in its order."""
    keep = bool(keepdims if keepdims is not None else keep_dims)
    is_matrix_norm = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix_norm:
        axis = tuple(axis)
        if not isinstance(axis[0], int) or not isinstance(axis[1], int) or axis[0] == axis[1]:
            raise ValueError(f"{_AXIS_ERROR}, got {axis}")
        if ord not in _MATRIX_NORMS:
            raise ValueError(f"'ord' must be a supported matrix norm in {_MATRIX_NORMS}, "
                             f"got {ord}")
    else:
        if not (isinstance(axis, int) or axis is None):
            raise ValueError(f"{_AXIS_ERROR}, got {axis}")
        if (not np.isreal(ord) or ord <= 0) and ord not in _VECTOR_NORMS:
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
        if axis is not None:
            axis = (axis,)
    with name_scope(name, "norm", [tensor]) as scope:
        x = convert_to_tensor(tensor, name="tensor")
        if ord in ["fro", "euclidean", 2, 2.0]:
            if is_matrix_norm and ord in [2, 2.0]:
                result = _matrix_2_norm(x, axis)
            else:
                result = unary_ops.sqrt(reduction_ops.reduce_sum(  # TF's x * conj(x): |x|^2
                    x * complex_ops.conj(x), axis, keepdims=True))
        else:
            result = unary_ops.abs(x)
            if ord == 1:  # a matrix's: sums over axis[0] (columns), then the largest
                sum_axis = None if axis is None else axis[0]
                result = reduction_ops.reduce_sum(result, sum_axis, keepdims=True)
                if is_matrix_norm:
                    result = reduction_ops.reduce_max(result, axis[-1], keepdims=True)
            elif ord == np.inf:  # a matrix's: sums over axis[1] (rows), then the largest
                if is_matrix_norm:
                    result = reduction_ops.reduce_sum(result, axis[1], keepdims=True)
                max_axis = None if axis is None else axis[0]
                result = reduction_ops.reduce_max(result, max_axis, keepdims=True)
            else:
                # the p-norm, (sum |x|^p)^(1/p): p and 1/p Python numbers, as TF's
                result = math_ops.pow(reduction_ops.reduce_sum(
                    math_ops.pow(result, ord), axis, keepdims=True), 1.0 / ord)
        if not keep:
            result = transform_ops.squeeze(result, axis) if axis is not None else \
                array_ops.reshape(result, [])
        return array_ops.identity(result, name=scope)


def _matrix_2_norm(x, axis):
    """TF's matrix 2-norm: the two axes moved last, Svd's largest |singular value|, then the
    result moved back (two size-1 axes where the matrix was)."""
    from .ops.decomposition_ops import SVD

    rank = x.shape.rank
    if rank is not None:  # TF computes the permutations at run time; they are known here
        last = [a if a >= 0 else a + rank for a in axis]
        perm_before = [i for i in range(rank) if i not in last] + last
        perm_after = [int(i) for i in np.argsort(perm_before)]
    else:
        rank_t = shape_ops.rank(x)
        last = convert_to_tensor(np.array(axis, np.int32))
        last = logic_ops.where_v2(logic_ops.greater_equal(last, 0), last, last + rank_t)
        perm_before = concat_split_ops.concat(
            [setdiff1d(array_ops.range_(rank_t), last)[0], last], axis=0)
        perm_after = transform_ops.invert_permutation(perm_before)
    permed = transform_ops.transpose(x, perm=perm_before)
    s = SVD(permed, compute_uv=False)[0]
    largest = reduction_ops.reduce_max(unary_ops.abs(s), axis=-1, keepdims=True)
    return transform_ops.transpose(transform_ops.expand_dims(largest, axis=-1), perm=perm_after)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None):
    """The identity matrix ``[num_rows, num_columns]`` (square by default), optionally with
    leading ``batch_shape`` dimensions."""
    with name_scope(name, "eye", [num_rows, num_columns, batch_shape]) as scope:
        cols = num_rows if num_columns is None else num_columns
        rows_r = array_ops.range_(num_rows)
        cols_r = array_ops.range_(cols)
        diag = logic_ops.equal(transform_ops.expand_dims(rows_r, 1),
                               transform_ops.expand_dims(cols_r, 0))
        matrix = math_ops.cast(diag, dtype)
        if batch_shape is None or (not isinstance(batch_shape, Tensor) and
                                   len(batch_shape) == 0):
            return array_ops.identity(matrix, name=scope)
        # a list or a 1-D tensor (TF takes either)
        batch = math_ops.cast(batch_shape, _dt.int32) if isinstance(batch_shape, Tensor) \
            else list(batch_shape)
        full = concat_split_ops.concat([batch, array_ops.shape(matrix)], 0)
        return transform_ops.broadcast_to(matrix, full, name=scope)


def sequence_mask(lengths, maxlen=None, dtype=_dt.bool, name=None):
    """``mask[..., j] = j < lengths[...]``, ``maxlen`` columns (default: the longest)."""
    with name_scope(name, "SequenceMask", [lengths, maxlen]):
        lengths = convert_to_tensor(lengths, name="lengths")
        if maxlen is None:  # the longest (0 for none), in the lengths' dtype
            maxlen = math_ops.maximum(
                reduction_ops.reduce_max(lengths), array_ops.zeros([], lengths.dtype))
        else:
            maxlen = convert_to_tensor(maxlen, name="maxlen")
        if maxlen.shape.rank not in (None, 0):
            raise ValueError("maxlen must be scalar for sequence_mask")
        # As TF: maxlen's dtype rules, so float lengths are truncated by an integer maxlen.
        row = array_ops.range_(array_ops.zeros([], maxlen.dtype), maxlen,
                               array_ops.ones([], maxlen.dtype))
        # TF writes this Cast even between equal dtypes, so the result's is "Cast_1", as TF's.
        lengths = math_ops.CAST(transform_ops.expand_dims(lengths, -1), DstT=maxlen.dtype)
        mask = logic_ops.less(row, lengths)
        # As TF (1.x and 2.x), the result is the Less (or its Cast) in the scope, no Identity.
        if _dt.as_dtype(dtype) is _dt.bool:
            return mask
        return math_ops.cast(mask, dtype)


def reverse(tensor, axis, name=None):
    """``tensor`` with the order of ``axis``'s dimensions reversed: a ReverseV2 node, as TF
    writes it (``axis`` an int, a list or an int32/int64 tensor)."""
    if isinstance(axis, (int, np.integer)):
        axis = [axis]  # TF's op takes a vector; a bare int is the one-axis list
    return REVERSE_V2(tensor, axis, name=name)


reverse_v2 = reverse


def _tensordot_axes(a, b, axes):
    """The contraction axes of ``a`` and ``b``: Python lists when known while building, else
    int32 tensors (an int ``axes`` with ``a`` of unknown rank, or ``axes`` a tensor), as TF's."""
    ra, rb = a.shape.rank, b.shape.rank
    if isinstance(axes, (int, np.integer)):
        known = [r for r in (ra, rb) if r is not None]
        if axes < 0 or (known and axes > min(known)):
            raise ValueError(f"'axes' must be at most the rank of a and b, got {axes}")
        if ra is not None:
            return list(range(ra - axes, ra)), list(range(axes))
        rank = shape_ops.rank(a)  # a's trailing axes: known only when the graph runs
        return fill_ops.range_(rank - int(axes), rank, dtype=_dt.int32), list(range(axes))
    if isinstance(axes, np.ndarray):
        axes = axes.tolist()
    if isinstance(axes, (list, tuple)):
        if len(axes) != 2:
            raise ValueError(f"'axes' must be an integer or have length 2, got {axes}")
        a_axes, b_axes = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
        if len(a_axes) != len(b_axes):
            raise ValueError(f"Different number of contraction axes 'a' and 'b', "
                             f"{len(a_axes)} != {len(b_axes)}.")
        return a_axes, b_axes
    axes = convert_to_tensor(axes, dtype=_dt.int32, name="axes")
    value = constant_value(axes)  # TF's shape inference folds a constant tensor's axes too
    if value is not None and value.ndim == 2 and len(value) == 2:
        return value[0].tolist(), value[1].tolist()
    return axes[0], axes[1]


def _tensordot_reshape(t, axes, flipped):
    """``t`` transposed and reshaped into the matrix of its free dims by its summed ones (the
    summed ones first when ``flipped``, for b). Returns it with the free dims as static values
    (None: not even their number is known) and as an int32 tensor (None: all static)."""
    if t.shape.rank is not None and isinstance(axes, list):
        rank = t.shape.rank
        summed = [x % rank for x in axes]
        free = [i for i in range(rank) if i not in summed]
        order = summed + free if flipped else free + summed
        t = transform_ops.transpose(t, order) if order != list(range(rank)) else t
        dims = t.shape.as_tuple()
        k = len(summed) if flipped else len(free)
        left, right = _prod(dims[:k]), _prod(dims[k:])
        free_static = [dims[i] for i in (range(k, rank) if flipped else range(k))]
        shape = array_ops.shape(t)
        free_dyn = None
        if any(d is None for d in free_static):
            free_dyn = shape[k:] if flipped else shape[:k]
        if left is None or right is None:
            left = reduction_ops.reduce_prod(shape[:k])
            right = reduction_ops.reduce_prod(shape[k:])
            return array_ops.reshape(t, concat_split_ops.stack([left, right])), free_static, \
                free_dyn
        return array_ops.reshape(t, [left, right]), free_static, free_dyn
    # TF's dynamic _tensordot_reshape: the rank or the axes are known only at run time
    shape, rank = array_ops.shape(t), shape_ops.rank(t)
    axes = convert_to_tensor(axes, dtype=_dt.int32, name="axes")
    axes = logic_ops.where_v2(axes >= 0, axes, axes + rank)
    free = setdiff1d(fill_ops.range_(rank, dtype=_dt.int32), axes).out
    free_dims, summed_dims = gather(shape, free), gather(shape, axes)
    prod_free = reduction_ops.reduce_prod(free_dims)
    prod_summed = reduction_ops.reduce_prod(summed_dims)
    perm = concat_split_ops.concat([axes, free] if flipped else [free, axes], 0)
    new_shape = concat_split_ops.stack([prod_summed, prod_free] if flipped else
                                       [prod_free, prod_summed])
    return array_ops.reshape(transform_ops.transpose(t, perm), new_shape), None, free_dims


def tensordot(a, b, axes, name=None):
    """Sums ``a * b`` over ``axes`` (an int: a's last and b's first that many dimensions; two
    lists of axes; or an int32 tensor of shape [2, k]), as a transpose, reshape and one matmul.
    Unknown ranks and tensor axes take TF's run-time path (Rank, ListDiff, Gather)."""
    with name_scope(name, "Tensordot", [a, b, axes]) as scope:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b")
        a_axes, b_axes = _tensordot_axes(a, b, axes)
        a_mat, a_static, a_dyn = _tensordot_reshape(a, a_axes, False)
        b_mat, b_static, b_dyn = _tensordot_reshape(b, b_axes, True)
        product = linalg_ops.matmul(a_mat, b_mat)
        static = None if a_static is None or b_static is None else a_static + b_static
        if static is not None and all(d is not None for d in static):
            return array_ops.reshape(product, static, name=scope)
        out_shape = concat_split_ops.concat(
            [d if d is not None else np.asarray(s, np.int32)
             for d, s in ((a_dyn, a_static), (b_dyn, b_static))], 0)
        out = array_ops.reshape(product, out_shape, name=scope)
        if static is not None:
            out.set_shape(static)
        return out


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """``tensor`` where ``mask`` (its dims from ``axis`` on) is true, those dims flattened into
    one: TF1's composite of Where and a gather (whose gradient is an IndexedSlices)."""
    with name_scope(name, values=[tensor, mask]):
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, name="mask")
        k = mask.shape.rank
        if k == 0:
            raise ValueError("mask cannot be scalar.")
        if k is None:
            raise ValueError("Number of mask dimensions must be specified, even if some "
                             "dimensions are None.  E.g. shape=[None] is ok, but shape=None "
                             "is not.")
        axis = 0 if axis is None else int(axis)
        shape = tensor.shape
        if shape.rank is not None:  # an axis out of range finds no dims: incompatible, as TF1
            shape[axis:axis + k].assert_is_compatible_with(mask.shape)
        dims = array_ops.shape(tensor)
        leading = reduction_ops.reduce_prod(dims[axis:axis + k], [0])
        tensor = array_ops.reshape(tensor, concat_split_ops.concat(
            [dims[:axis], array_ops.reshape(leading, [1]), dims[axis + k:]], 0))
        if shape.rank is not None:
            tensor.set_shape(shape[:axis].concatenate([shape[axis:axis + k].num_elements()])
                             .concatenate(shape[axis + k:]))
        where = logic_ops.where(array_ops.reshape(mask, [-1]))
        return gather(tensor, transform_ops.squeeze(where, axis=[1]), axis=axis)


# -- linspace, meshgrid, sort, saturate_cast, reduce_variance, clip_by_average_norm -------------


def linspace(start, stop, num, name=None, axis=0):
    """``tf.linspace`` (TF 2.x's linspace_nd, also ``tf.lin_space``): ``num`` evenly spaced
    values from ``start`` to ``stop`` along a new ``axis``; start and stop broadcast against
    each other. Composed as TF composes it (the interior points are ``start + delta * i``
    between the exact endpoints), so both ends get gradients; their rank must be known."""
    from .ops.logic_ops import greater_equal, where_v2
    from .ops.slicing_ops import slice_

    with name_scope(name, "linspace", [start, stop]) as scope:
        start = convert_to_tensor(start, name="start")
        stop = convert_to_tensor(stop, dtype=start.dtype, name="stop")
        num_int = convert_to_tensor(num, name="num")
        if not num_int.dtype.is_integer:
            raise TypeError(f"num must be an integer tensor, got {num_int.dtype.name}")
        num_int = math_ops.cast(num_int, _dt.int32)
        start, stop = _broadcast_pair(start, stop)
        rank = start.shape.rank
        if rank is None:
            raise ValueError("linspace: the rank of start and stop must be known")
        if not -(rank + 1) <= axis <= rank:
            raise ValueError(f"linspace: axis {axis} is out of range for rank {rank + 1}")
        axis %= rank + 1
        first = transform_ops.expand_dims(start, axis)
        last = transform_ops.expand_dims(stop, axis)
        num_fill = math_ops.maximum(num_int - 2, 0)
        n_steps = math_ops.maximum(num_int - 1, 1)
        delta = math_ops.truediv(last - first, math_ops.cast(n_steps, last.dtype))
        first, last = math_ops.cast(first, delta.dtype), math_ops.cast(last, delta.dtype)
        # A negative num makes the range fail, with Range's message, as in TF.
        range_end = where_v2(greater_equal(num_int, 0), n_steps, -1)
        steps = math_ops.cast(array_ops.range_(
            math_ops.cast(1, _dt.int64), math_ops.cast(range_end, _dt.int64)), delta.dtype)
        ones = [1] * (rank + 1)
        steps = array_ops.reshape(steps, concat_split_ops.stack(
            ones[:axis] + [num_fill] + ones[axis + 1:]))
        interior = first + delta * steps
        joined = concat_split_ops.concat([first, interior, last], axis)
        dims = first.shape.as_list()
        if all(d is not None for d in dims):
            size = concat_split_ops.stack(dims[:axis] + [num_int] + dims[axis + 1:])
        else:
            shape = array_ops.shape(first)
            size = concat_split_ops.concat(
                [shape[:axis], array_ops.reshape(num_int, [1]), shape[axis + 1:]], 0)
        # Named after the scope: TF 1.x's linspace is one op named so ("grid:0" for
        # name="grid"), which programs look up; TF 2.x's composite ends in "grid/Slice:0".
        return slice_(joined, [0] * (rank + 1), size, name=scope)


lin_space = linspace


def _broadcast_pair(a, b):
    """``a`` and ``b`` broadcast to their common shape (statically when the shapes are known;
    else by adding zeros of the other, which has the same values and gradients)."""
    if a.shape.is_fully_defined() and b.shape.is_fully_defined():
        from .tensor_shape import broadcast_shapes

        try:
            common = broadcast_shapes(a.shape, b.shape).as_list()
        except ValueError as e:
            raise ValueError(f"linspace: start and stop do not broadcast: {e}") from None
        if a.shape.as_list() != common:
            a = transform_ops.broadcast_to(a, common)
        if b.shape.as_list() != common:
            b = transform_ops.broadcast_to(b, common)
        return a, b
    return a + array_ops.zeros_like(b), b + array_ops.zeros_like(a)


def meshgrid(*args, **kwargs):
    """``tf.meshgrid``: N coordinate arrays over the grid of N 1-D inputs; ``indexing`` 'xy'
    (the default: the first two output dimensions swapped) or 'ij'. Each input reshaped to one
    non-1 dimension, times ones of the grid's shape, as TF composes it."""
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        key = next(iter(kwargs))
        raise TypeError(f"'{key}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Argument `indexing` parameter must be either 'xy' or 'ij', got "
                         f"'{indexing}'")
    with name_scope(name, "meshgrid", args):
        ndim = len(args)
        if not ndim:
            return []
        tensors = [convert_to_tensor(x) for x in args]
        ones_shape = (1,) * ndim
        output = [array_ops.reshape(x, ones_shape[:i] + (-1,) + ones_shape[i + 1:])
                  for i, x in enumerate(tensors)]
        sizes = [x.shape.num_elements() if x.shape.is_fully_defined() else array_ops.size(x)
                 for x in tensors]
        if indexing == "xy" and ndim > 1:
            output[0] = array_ops.reshape(output[0], (1, -1) + (1,) * (ndim - 2))
            output[1] = array_ops.reshape(output[1], (-1, 1) + (1,) * (ndim - 2))
            sizes[0], sizes[1] = sizes[1], sizes[0]
        if all(isinstance(s, int) for s in sizes):
            grid = array_ops.ones(sizes, tensors[0].dtype)
        else:
            grid = array_ops.fill(concat_split_ops.stack(sizes), math_ops.cast(1,
                                                                               tensors[0].dtype),
                                  name="ones")
        return [x * grid for x in output]


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``tf.sort``: ``values`` sorted along ``axis``, by TopKV2 as TF composes it (ascending
    order sorts the negated values: ``-x`` for floats, ``-x - 1`` for signed and ``max - x``
    for unsigned integers, so that no value overflows)."""
    return _sort_or_argsort(values, axis, direction, False, name or "sort")


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """``tf.argsort``: the indices (int32) that sort ``values`` along ``axis``. Ties keep their
    order whether or not ``stable`` is set: TopKV2 puts equal values in index order."""
    return _sort_or_argsort(values, axis, direction, True, name or "argsort")


def _sort_or_argsort(values, axis, direction, return_argsort, name):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{direction} should be one of ASCENDING, DESCENDING")
    from .graph import constant_value
    from .ops.gather_ops import top_k

    with name_scope(name, values=[values]):
        axis_t = convert_to_tensor(axis, name="axis")
        axis_v = constant_value(axis_t)
        if axis_t.shape.rank not in (None, 0) or axis_v is None:
            raise ValueError("axis must be a constant scalar")
        axis = int(axis_v)
        x = convert_to_tensor(values, name="values")
        rank = x.shape.rank
        if rank is not None and not -rank <= axis < rank:
            raise ValueError(f"axis {axis} is out of range for a tensor of rank {rank}")
        dtype = x.dtype
        if direction == "ASCENDING":
            if dtype.is_unsigned:
                x = math_ops.subtract(dtype.max, x)
            elif dtype.is_integer:
                x = unary_ops.negative(x) - 1
            else:
                x = unary_ops.negative(x)
        perm = None
        if axis != -1 and (rank is None or axis + 1 != rank):
            if rank is None:  # as TF: the permutation is computed at run time
                perm, k = axis_to_last(x, axis, "argsort" if return_argsort else "sort")
            else:
                axis %= rank
                perm = array_ops.constant(np.r_[np.arange(axis), [rank - 1],
                                                np.arange(axis + 1, rank - 1), [axis]])
                k = array_ops.shape(x)[axis]
            x = transform_ops.transpose(x, perm)
        else:
            k = array_ops.shape(x)[axis]
        result = top_k(x, k)[1 if return_argsort else 0]
        if perm is not None:  # the permutation swaps two axes: it is its own inverse
            result = transform_ops.transpose(result, perm)
        if return_argsort or direction == "DESCENDING":
            return result
        if dtype.is_unsigned:
            return math_ops.subtract(dtype.max, result)
        if dtype.is_integer:
            return unary_ops.negative(result) - 1
        return unary_ops.negative(result)


def saturate_cast(value, dtype, name=None):
    """``tf.saturate_cast``: ``value`` clipped (ClipByValue "clamp") to the range of ``dtype``
    (limits representable in both dtypes, rounded toward 0), then cast. As TF 2.21: a real input
    is always clamped (inf -> float32's max even for float32 -> float32); a complex one cast to a
    real dtype loses its imaginary part first; complex -> complex clamps the real and imaginary
    parts, only when narrowing. The limits are exact: TF 2.21's own overflow (all INT64_MIN for
    int64 -> int64, inf -> INT64_MIN for float -> int64, an error for uint64 inputs) is not
    copied."""
    with name_scope(name, "saturate_cast", [value]) as scope:
        value = convert_to_tensor(value, name="value")
        dtype = _dt.as_dtype(dtype).base_dtype
        src = value.dtype.base_dtype
        if src.is_complex and not dtype.is_complex:
            value, src = complex_ops.real(value), src.real_dtype
        if src.is_complex:
            if src.real_dtype.max > dtype.real_dtype.max:
                low, high = _saturation_limits(src.real_dtype, dtype.real_dtype)
                value = _clamp(value, complex(low, low), complex(high, high), src)
        else:
            low, high = _saturation_limits(src, dtype.real_dtype)
            value = _clamp(value, low, high, src)
        return math_ops.cast(value, dtype, name=scope)


def _saturation_limits(src, dst):
    """The lowest and highest ``src`` values within ``dst``'s range."""
    np_src = src.as_numpy_dtype
    # Compared as Python numbers (exact): numpy would round int32's limit to float16's inf.
    src_min, src_max, dst_min, dst_max = (np.asarray(v).item()
                                          for v in (src.min, src.max, dst.min, dst.max))
    low = np_src(max(src_min, dst_min))
    if low.item() < dst_min:
        low = np.nextafter(low, np_src(0))
    high = np_src(min(src_max, dst_max))
    if high.item() > dst_max:
        high = np.nextafter(high, np_src(0))
    return low.item(), high.item()


def _clamp(value, low, high, dtype):
    return CLIP_BY_VALUE(value, convert_to_tensor(low, dtype=dtype),
                         convert_to_tensor(high, dtype=dtype), name="clamp")


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """``tf.math.reduce_variance``: the mean of squared deviations from the mean."""
    with name_scope(name or "reduce_variance"):
        x = convert_to_tensor(input_tensor)
        means = reduction_ops.reduce_mean(x, axis=axis, keepdims=True)
        if means.dtype.is_integer or means.dtype.is_bool:
            raise TypeError(f"Input must be either real or complex. Received integer type "
                            f"{means.dtype.name}.")
        diff = x - means  # TF's |diff|^2 for complex: real(conj(diff) * diff), real-typed
        deviations = complex_ops.real(complex_ops.conj(diff) * diff) if diff.dtype.is_complex \
            else unary_ops.square(diff)
        return reduction_ops.reduce_mean(deviations, axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """``tf.math.reduce_std``: the square root of reduce_variance."""
    with name_scope(name or "reduce_std"):
        x = convert_to_tensor(input_tensor)
        return unary_ops.sqrt(reduce_variance(x, axis=axis, keepdims=keepdims))


def clip_by_average_norm(t, clip_norm, name=None):
    """TF1's ``tf.clip_by_average_norm``: ``t * clip_norm / max(l2norm(t) / size(t),
    clip_norm)``, in TF's arrangement (rsqrt of the sum of squares, a Minimum)."""
    with name_scope(name, "clip_by_average_norm", [t, clip_norm]) as scope:
        t = convert_to_tensor(t, name="t")
        n_element = math_ops.cast(array_ops.size(t), _dt.float32)
        l2norm_inv = unary_ops.rsqrt(reduction_ops.reduce_sum(
            t * t, array_ops.range_(array_ops.rank(t))))
        scale = math_ops.minimum(l2norm_inv * n_element,
                                 math_ops.truediv(array_ops.constant(1.0), clip_norm))
        return array_ops.identity(t * clip_norm * scale, name=scope)
