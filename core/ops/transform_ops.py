"""Ops that rearrange or expand a tensor's dimensions: ExpandDims, Squeeze, Transpose (with
InvertPermutation), Tile, BroadcastTo, OneHot (indices expanded along a new depth axis) and
ReverseSequence (each row's first ``length`` elements reversed)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ._util import const_ints, rank_with, shape_error, shape_from_value
from .array_ops import RANGE, _is_tensor, range_, rank, reshape, shape, size

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = [
    "expand_dims", "squeeze", "transpose", "invert_permutation", "tile", "broadcast_to",
    "one_hot", "reverse_sequence",
]


# -- ExpandDims / Squeeze -----------------------------------------------------------------------


def _scalar_axis(value, what):
    """A scalar (or one-element) axis argument as an int."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise InvalidArgumentError(None, None, f"'{what}' must be a tensor with a single value, "
                                   f"got {arr.tolist()}")
    return int(arr.reshape(-1)[0])


def _expand_dims_kernel(x, dim):
    x = np.asarray(x)
    axis = _scalar_axis(dim, "dim")
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise InvalidArgumentError(None, None, f"Tried to expand dim index {axis} for tensor "
                                   f"with {x.ndim} dimensions.")
    return np.expand_dims(x, axis)


def _expand_dims_infer(x, dim):
    if dim.shape.num_elements() not in (None, 1):
        raise shape_error(f"'dim' must be a tensor with a single value, got shape {dim.shape}")
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype)]
    vals = const_ints(dim)
    if vals is None:
        return [TensorSpec([None] * (len(dims) + 1), x.dtype)]
    axis = vals[0]
    if not -len(dims) - 1 <= axis <= len(dims):
        raise shape_error(f"dim {axis} not in the interval [{-len(dims) - 1}, {len(dims)}].")
    axis = axis % (len(dims) + 1)
    return [TensorSpec(dims[:axis] + (1,) + dims[axis:], x.dtype)]


EXPAND_DIMS = register(OpDef(
    "ExpandDims", inputs=["input:T", "dim:Tdim=int32"],
    kernel=_expand_dims_kernel,
    infer=_expand_dims_infer,
    grad=lambda op, dy: [reshape(dy, shape(op.inputs[0])), None],
))


def expand_dims(input, axis=None, name=None, dim=None):  # noqa: A002
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    return EXPAND_DIMS(input, axis, name=name or "ExpandDims")


def _squeeze_kernel(x, *, squeeze_dims):
    x = np.asarray(x)
    if not squeeze_dims:
        return np.squeeze(x)
    axes = []
    for a in squeeze_dims:
        if not -x.ndim <= a < x.ndim:
            raise InvalidArgumentError(None, None, f"Tried to squeeze dim index {a} for tensor "
                                       f"with {x.ndim} dimensions.")
        a %= x.ndim
        if x.shape[a] != 1:
            raise InvalidArgumentError(None, None, f"Can not squeeze dim[{a}], expected a "
                                       f"dimension of 1, got {x.shape[a]}")
        axes.append(a)
    return np.squeeze(x, axis=tuple(set(axes)))


def _squeeze_infer(x, *, squeeze_dims):
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype)]
    n = len(dims)
    if not squeeze_dims:
        if any(d is None for d in dims):  # an unknown dim may or may not be 1
            return [TensorSpec(None, x.dtype)]
        return [TensorSpec([d for d in dims if d != 1], x.dtype)]
    drop = set()
    for i, a in enumerate(squeeze_dims):
        if not -n <= a < n:
            raise shape_error(f"squeeze_dims[{i}] not in [{-n},{n}).")
        a %= n
        if dims[a] is not None and dims[a] != 1:
            raise shape_error(f"Can not squeeze dim[{a}], expected a dimension of 1, got "
                              f"{dims[a]}")
        drop.add(a)
    return [TensorSpec([d for i, d in enumerate(dims) if i not in drop], x.dtype)]


SQUEEZE = register(OpDef(
    "Squeeze", inputs=["input:T"], attrs={"squeeze_dims": []},
    kernel=_squeeze_kernel,
    infer=_squeeze_infer,
    grad=lambda op, dy: [reshape(dy, shape(op.inputs[0]))],
))


def squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002
    if squeeze_dims is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'squeeze_dims'.")
        axis = squeeze_dims
    if axis is None:
        axis = []
    elif np.isscalar(axis):
        axis = [axis]
    return SQUEEZE(input, squeeze_dims=[int(a) for a in axis], name=name or "Squeeze")


# -- Transpose / InvertPermutation --------------------------------------------------------------


def _check_permutation(p, n, missing_msg):
    """Raises TF's messages unless ``p`` is a permutation of range(n)."""
    bad = (p < 0) | (p >= n)
    if bad.any():
        raise InvalidArgumentError(None, None, f"{int(p[bad][0])} is not between 0 and {n}")
    seen = np.zeros(n, dtype=bool)
    seen[p] = True
    if not seen.all():
        if missing_msg:
            listed = ",".join(str(int(v)) for v in p)
            raise InvalidArgumentError(None, None, f"{int(np.argmin(seen))} is missing from "
                                       f"{{{listed}}}.")
        u, c = np.unique(p, return_counts=True)
        raise InvalidArgumentError(None, None, f"{int(u[c > 1][0])} is duplicated in the input.")


def _transpose_kernel(x, perm):
    x = np.asarray(x)
    p = np.asarray(perm).reshape(-1)
    if np.ndim(perm) != 1 or p.size != x.ndim:
        raise InvalidArgumentError(None, None, f"transpose expects a vector of size {x.ndim}. "
                                   f"But input(1) is a vector of size {p.size}")
    p = np.where(p < 0, p + x.ndim, p)  # a negative entry counts from the end (TF 2.x)
    _check_permutation(p, x.ndim, missing_msg=True)
    return np.transpose(x, p)


def _transpose_infer(x, perm):
    if perm.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {perm.shape.rank}")
    n = perm.shape.as_tuple()[0] if perm.shape.rank == 1 else None
    dims, rank = rank_with(x, n, lambda r, n: f"Dimension must be {r} but is {n}")
    if rank is None:
        return [TensorSpec(None, x.dtype)]
    p = const_ints(perm)
    if p is None:
        return [TensorSpec([None] * rank, x.dtype)]
    for i in p:
        if not -rank <= i < rank:
            raise shape_error(f"perm dim {i} is out of range of input rank {rank}")
    p = [i % rank for i in p]  # a negative entry counts from the end (TF 2.x)
    # Like TF, a repeated index is left for the kernel to report.
    return [TensorSpec([None] * rank if dims is None else [dims[i] for i in p], x.dtype)]


def inverse_perm(op):
    """The inverse of a (Conjugate)Transpose's perm. TF's gradients fail on a negative perm
    entry (InvertPermutation rejects it); a constant perm is normalised first so that it works."""
    from ..tensor_conversion import constant_value

    perm = op.inputs[1]
    p = constant_value(perm)
    if p is not None and (p < 0).any():
        perm = np.where(p < 0, p + p.size, p).astype(p.dtype)
    return invert_permutation(perm)


def _transpose_grad(op, dy):
    return [transpose(dy, inverse_perm(op)), None]


TRANSPOSE = register(OpDef(
    "Transpose", inputs=["x:T", "perm:Tperm=int32"],
    kernel=_transpose_kernel,
    infer=_transpose_infer,
    grad=_transpose_grad,
))


def _invert_permutation_kernel(x):
    p = np.asarray(x)
    if p.ndim != 1:
        raise InvalidArgumentError(None, None, f"invert_permutation expects a 1D vector, got "
                                   f"shape {list(p.shape)}")
    _check_permutation(p, p.size, missing_msg=False)
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return out


def _invert_permutation_infer(x):
    if x.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {x.shape.rank}")
    return [TensorSpec([None] if x.shape.rank is None else x.shape, x.dtype)]


INVERT_PERMUTATION = register(OpDef(
    "InvertPermutation", inputs=["x:T=int32"],
    kernel=_invert_permutation_kernel,
    infer=_invert_permutation_infer,
    grad=NOT_DIFFERENTIABLE,
))


def invert_permutation(x, name=None):
    return INVERT_PERMUTATION(x, name=name or "InvertPermutation")


def transpose(a, perm=None, name="transpose", conjugate=False):
    """``tf.transpose``; ``perm=None`` reverses the dimensions. With ``conjugate`` a complex
    tensor is conjugated too (ConjugateTranspose); other dtypes have nothing to conjugate."""
    if conjugate and not _is_tensor(a):  # a list or array: its dtype decides, as TF's
        a = convert_to_tensor(a, name="a")
    if conjugate and a.dtype.is_complex:
        from .complex_ops import conjugate_transpose  # complex_ops imports this module

        return conjugate_transpose(a, perm, name=name)
    with name_scope(name, "transpose", [a]) as scope:
        if not _is_tensor(a):
            a = convert_to_tensor(a, name="a")
        if perm is None:
            r = convert_to_tensor(a).shape.rank
            if r is None:
                perm = RANGE(rank(a) - 1, -1, -1, name="Range")
            else:
                perm = np.arange(r - 1, -1, -1, dtype=np.int32)
        return TRANSPOSE(a, perm, name=scope)


# -- Tile ---------------------------------------------------------------------------------------


def _tile_kernel(x, multiples):
    x = np.asarray(x)
    m = np.asarray(multiples)
    if m.ndim != 1 or m.size != x.ndim:
        raise InvalidArgumentError(None, None, "Expected multiples argument to be a vector of "
                                   f"length {x.ndim} but got length {m.size}")
    if (m < 0).any():
        i = int(np.argmax(m < 0))
        raise InvalidArgumentError(None, None, f"Expected multiples[{i}] >= 0, but got {m[i]}")
    return np.tile(x, m)


def _times(d, k):
    """InferenceContext::Multiply: a known 0 wins, a 1 gives the other (known or not)."""
    if d == 0 or k == 0:
        return 0
    if d == 1:
        return k
    if k == 1:
        return d
    return None if d is None or k is None else d * k


def _tile_infer(x, multiples):
    """TF's Tile shape function: the multiples read as a partial shape (MakeShapeFromShapeTensor),
    so ``[1, tf.shape(q)[1], 1]`` still keeps q's last dimension."""
    if multiples.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {multiples.shape.rank}")
    bad = [k for k in const_ints(multiples) or () if k < -1]
    if bad:
        raise shape_error(f"Invalid value in tensor used for shape: {bad[0]}")
    m = shape_from_value(multiples).as_tuple()
    dims, r = rank_with(x, None if m is None else len(m),
                        lambda r, n: f"Shape must be rank {r} but is rank {n}")
    if r is None:
        return [TensorSpec(None, x.dtype)]
    dims = dims if dims is not None else (None,) * r
    m = m if m is not None else (None,) * r
    return [TensorSpec([_times(d, k) for d, k in zip(dims, m)], x.dtype)]


def _tile_grad(op, dy):
    """Sums the tiled copies: reshape dy to interleaved [m0, d0, m1, d1, ...] and reduce the
    multiples' axes (TF's formulation)."""
    from .concat_split_ops import stack
    from .reduction_ops import reduce_sum

    x, multiples = op.inputs
    input_shape = shape(x, out_type=multiples.dtype)
    split_shape = reshape(transpose(stack([multiples, input_shape])), [-1])
    axes = range_(0, size(split_shape), 2)
    dx = reduce_sum(reshape(dy, split_shape), axes)
    dx.set_shape(x.shape)
    return [dx, None]


TILE = register(OpDef(
    "Tile", inputs=["input:T", "multiples:Tmultiples=int32"],
    kernel=_tile_kernel,
    infer=_tile_infer,
    grad=_tile_grad,
))


def tile(input, multiples, name=None):  # noqa: A002
    return TILE(input, multiples, name=name or "Tile")


# -- BroadcastTo ----------------------------------------------------------------------------------


def _broadcast_to_infer(x, shape):
    from ..tensor_shape import broadcast_shapes

    target = shape_from_value(shape)
    try:
        out = broadcast_shapes(x.shape, target)
    except ValueError as e:
        raise shape_error(f"Unable to broadcast tensor of shape {x.shape} to {target}: {e}") \
            from None
    if target.rank is not None and out.rank is not None and out.rank != target.rank:
        raise shape_error(f"Unable to broadcast tensor of rank {x.shape.rank} to rank "
                          f"{target.rank}")
    return [TensorSpec(target.merge_with(out) if target.rank is not None else out, x.dtype)]


# Below this many elements BroadcastTo materialises its result (np.broadcast_to's Python
# overhead exceeds copying); above it, it returns a view.
SMALL_BROADCAST = 1 << 14


def _broadcast_to_kernel(x, shape):
    target = np.asarray(shape).tolist()
    x = np.asarray(x)
    try:
        if x.ndim > len(target):
            raise ValueError
        n = 1
        for d in target:
            n *= d
        if n <= SMALL_BROADCAST:  # cheaper to fill a small array than to build a view
            out = np.empty(target, dtype=x.dtype)
            out[...] = x
            return out
        return np.broadcast_to(x, target)  # a read-only view: no copy
    except ValueError:
        raise InvalidArgumentError(None, None, f"Unable to broadcast tensor of shape "
                                   f"{list(np.shape(x))} to tensor of shape "
                                   f"{[int(d) for d in shape]}") from None


def _broadcast_to_grad(op, dy):
    from .math_ops import sum_to_operand

    x = op.inputs[0]
    return [sum_to_operand(dy, x, op.outputs[0]), None]


BROADCAST_TO = register(OpDef(
    "BroadcastTo", inputs=["input:T", "shape:Tidx=int32"],
    kernel=_broadcast_to_kernel, infer=_broadcast_to_infer, grad=_broadcast_to_grad,
))


def broadcast_to(input, shape, name=None):  # noqa: A002
    return BROADCAST_TO(input, shape, name=name or "BroadcastTo")


# -- OneHot -------------------------------------------------------------------------------------


def _one_hot_kernel(indices, depth, on_value, off_value, *, axis):
    for value, what in ((on_value, "on_value"), (off_value, "off_value")):
        if np.ndim(value) != 0:  # the shapes may only be known now
            raise InvalidArgumentError(None, None, f"{what} must be a scalar, but got: "
                                       f"{list(np.shape(value))}")
    idx = np.asarray(indices)
    depth = int(depth)
    if depth < 0:
        raise InvalidArgumentError(None, None, f"depth must be non-negative, got: {depth}")
    r = idx.ndim
    if not -1 <= axis <= r:
        raise InvalidArgumentError(None, None, f"Expected axis to be -1 or between [0, {r + 1})."
                                   f" But received: {axis}")
    a = r if axis == -1 else axis
    # off_value everywhere, then on_value at (position, index) for the indices in [0, depth):
    # one write per index instead of a compare and select over the whole output.
    on, off = np.asarray(on_value), np.asarray(off_value)
    out = np.full(idx.shape[:a] + (depth,) + idx.shape[a:], off, dtype=on.dtype)
    valid = (idx >= 0) & (idx < depth)
    where = np.nonzero(valid) if r else ()  # (nonzero refuses 0-d)
    out[where[:a] + (idx[valid],) + where[a:]] = on
    return out


def _one_hot_infer(indices, depth, on_value, off_value, *, axis):
    if axis < -1:
        raise shape_error("axis must be >= -1")
    for s, what in ((depth, "depth"), (on_value, "on_value"), (off_value, "off_value")):
        if s.shape.rank not in (None, 0):
            raise shape_error(f"{what} must be a scalar, not shape {s.shape}")
    dims = indices.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, on_value.dtype)]
    r = len(dims)
    if axis > r:
        raise shape_error(f"Expected axis to be -1 or between [0, {r + 1}). But received: "
                          f"{axis}")
    dv = depth.value
    d = None if dv is None else int(np.asarray(dv))
    if d is not None and d < 0:
        raise shape_error(f"Dimension size, given by scalar input 1, must be non-negative but "
                          f"is {d}")
    a = r if axis == -1 else axis
    return [TensorSpec(dims[:a] + (d,) + dims[a:], on_value.dtype)]


ONE_HOT = register(OpDef(
    "OneHot", inputs=["indices:TI=int64", "depth:int32", "on_value:T", "off_value:T"],
    attrs={"axis": -1},
    kernel=_one_hot_kernel,
    infer=_one_hot_infer,
    grad=NOT_DIFFERENTIABLE,
))


def _dtype_str(dtype) -> str:
    return f"<dtype: '{dtype.name}'>"


def _convert_hinted(value, dtype):
    """convert_to_tensor with a dtype hint that, like TF's, never turns floats into ints."""
    if dtype is not None and not _is_tensor(value) and not dtype.is_floating and \
            np.asarray(value).dtype.kind == "f":
        dtype = None
    return convert_to_tensor(value, preferred_dtype=dtype)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    dtype = _dt.as_dtype(dtype) if dtype is not None else None
    with name_scope(name, "one_hot", [indices, depth, on_value, off_value]) as scope:
        on_dtype = off_dtype = None
        if on_value is not None:
            on_value = _convert_hinted(on_value, dtype)
            on_dtype = on_value.dtype
        if off_value is not None:
            off_value = _convert_hinted(off_value, dtype)
            off_dtype = off_value.dtype
        if on_dtype is not None or off_dtype is not None:
            if dtype is not None:
                for d, what in ((on_dtype, "on_value"), (off_dtype, "off_value")):
                    if d is not None and d != dtype:
                        raise TypeError(f"dtype {_dtype_str(d)} of {what} does not match "
                                        f"dtype parameter {_dtype_str(dtype)}")
            else:
                dtype = on_dtype if on_dtype is not None else off_dtype
        elif dtype is None:
            dtype = _dt.float32
        if on_value is None:
            on_value, on_dtype = convert_to_tensor(1, dtype, name="on_value"), dtype
        if off_value is None:
            off_value, off_dtype = convert_to_tensor(0, dtype, name="off_value"), dtype
        if on_dtype != off_dtype:
            raise TypeError(f"dtype {_dtype_str(on_dtype)} of on_value does not match dtype "
                            f"{_dtype_str(off_dtype)} of off_value")
        if not _is_tensor(indices):  # TF converts Python indices with the default int32
            indices = convert_to_tensor(indices, name="indices")
        return ONE_HOT(indices, depth, on_value, off_value, axis=-1 if axis is None else axis,
                       name=scope)


# -- ReverseSequence ------------------------------------------------------------------------------
def _reverse_sequence_kernel(x, lengths, *, seq_dim, batch_dim):
    x = np.asarray(x)
    lengths = np.asarray(lengths).reshape(-1)
    if lengths.shape[0] != x.shape[batch_dim]:
        raise InvalidArgumentError(None, None, f"Length of seq_lengths != input.dims({batch_dim})"
                                   f", ({lengths.shape[0]} vs. {x.shape[batch_dim]})")
    if (lengths < 0).any() or (lengths > x.shape[seq_dim]).any():
        bad = int(lengths[(lengths < 0) | (lengths > x.shape[seq_dim])][0])
        raise InvalidArgumentError(None, None, f"seq_lens(...) has a value {bad} outside "
                                   f"[0, input.dims({seq_dim}) = {x.shape[seq_dim]}]")
    out = x.copy()
    for b, n in enumerate(lengths.tolist()):
        index = [slice(None)] * x.ndim
        index[batch_dim] = b
        index[seq_dim] = slice(0, n)
        reversed_index = list(index)
        reversed_index[seq_dim] = slice(n - 1, None, -1) if n else slice(0, 0)
        out[tuple(index)] = x[tuple(reversed_index)]
    return out


def _reverse_sequence_infer(x, lengths, *, seq_dim, batch_dim):
    rank = x.shape.rank
    if lengths.shape.rank not in (None, 1):
        raise shape_error(f"seq_lengths must be 1-D, got shape {lengths.shape}")
    if rank is not None and not (0 <= seq_dim < rank and 0 <= batch_dim < rank) or \
            seq_dim == batch_dim:
        raise shape_error(f"Invalid seq_dim {seq_dim} or batch_dim {batch_dim} for an input of "
                          f"rank {rank}")
    if rank is None or lengths.shape.rank is None:
        return [TensorSpec(x.shape, x.dtype)]
    # TF's: the batch dimension merged with the lengths' count.
    dims = list(x.shape.as_tuple())
    n, m = dims[batch_dim], lengths.shape.as_tuple()[0]
    if n is not None and m is not None and n != m:
        raise shape_error(f"Dimensions must be equal, but are {n} and {m}")
    dims[batch_dim] = n if n is not None else m
    return [TensorSpec(dims, x.dtype)]


REVERSE_SEQUENCE = register(OpDef(
    "ReverseSequence", inputs=["input:T", "seq_lengths:Tlen=int64"],
    attrs={"seq_dim": req("int"), "batch_dim": 0},
    kernel=_reverse_sequence_kernel,
    infer=_reverse_sequence_infer,
    # Reversing is its own inverse: the gradient reverses the same prefixes back.
    grad=lambda op, dy: [REVERSE_SEQUENCE(dy, op.inputs[1], seq_dim=op._get_attr("seq_dim"),
                                          batch_dim=op._get_attr("batch_dim")), None],
))


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None,  # noqa: A002
                     seq_dim=None, batch_dim=None):
    """TF1's ``tf.reverse_sequence``: for each index ``b`` along ``batch_axis``, the first
    ``seq_lengths[b]`` elements along ``seq_axis`` in reverse order, the rest as they are."""
    seq_axis = seq_dim if seq_axis is None else seq_axis
    batch_axis = 0 if batch_axis is None and batch_dim is None else (
        batch_dim if batch_axis is None else batch_axis)
    if seq_axis is None:
        raise ValueError("reverse_sequence: seq_axis is required")
    x = convert_to_tensor(input, name="input")
    rank = x.shape.rank
    if rank is not None:
        seq_axis, batch_axis = seq_axis % rank, batch_axis % rank
    return REVERSE_SEQUENCE(x, seq_lengths, seq_dim=int(seq_axis), batch_dim=int(batch_axis),
                            name=name or "ReverseSequence")
