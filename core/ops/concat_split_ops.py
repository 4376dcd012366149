"""Joining and splitting tensors: ConcatV2, Pack / Unpack (tf.stack / tf.unstack), Split and
SplitV."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import constant_value, convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import Dimension, TensorShape
from ._util import const_ints, shape_error
from .array_ops import _is_tensor, constant, identity, rank, shape
from .transform_ops import _scalar_axis, one_hot

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["concat", "stack", "unstack", "split"]


# -- ConcatV2 -----------------------------------------------------------------------------------


def _concat_kernel(values, axis):
    arrays = [np.asarray(v) for v in values]
    a = _scalar_axis(axis, "axis")
    r = arrays[0].ndim
    if r == 0:
        raise InvalidArgumentError(None, None, "Can't concatenate scalars (use tf.stack "
                                   "instead)")
    if not -r <= a < r:
        raise InvalidArgumentError(None, None, f"ConcatOp : Expected concatenating dimensions "
                                   f"in the range [{-r}, {r}), but got {a}")
    try:
        return np.concatenate(arrays, axis=a)
    except ValueError:
        pass  # find the offending input for TF's message
    a %= r
    s0 = arrays[0].shape
    for i, v in enumerate(arrays[1:], 1):
        if v.ndim != r:
            raise InvalidArgumentError(None, None, "ConcatOp : Ranks of all input tensors "
                                       f"should match: shape[0] = {list(s0)} vs. shape[{i}] = "
                                       f"{list(v.shape)}")
        for d in range(r):
            if d != a and v.shape[d] != s0[d]:
                raise InvalidArgumentError(
                    None, None, f"ConcatOp : Dimension {d} in both shapes must be equal: "
                    f"shape[0] = {_dims_str(s0)} vs. shape[{i}] = {_dims_str(v.shape)}")
    raise InvalidArgumentError(None, None, "ConcatOp : cannot concatenate the inputs")


def _dims_str(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _merge_dim(a, b, d, sa, sb):
    if a is None:
        return b
    if b is not None and a != b:
        raise shape_error(f"Dimension {d} in both shapes must be equal, but are {a} and {b}. "
                          f"Shapes are {_dims_str(sa)} and {_dims_str(sb)}.")
    return a


def _concat_infer(values, axis):
    if axis.shape.rank not in (None, 0) and axis.shape.num_elements() != 1:
        raise shape_error(f"Shape must be rank 0 but is rank {axis.shape.rank}")
    known = [v.shape.as_tuple() for v in values if v.shape.rank is not None]
    dtype = values[0].dtype
    if not known:
        return [TensorSpec(None, dtype)]
    r = len(known[0])
    for dims in known[1:]:
        if len(dims) != r:
            raise shape_error(f"Shape must be rank {r} but is rank {len(dims)}")
    if r == 0:
        raise shape_error("Can't concatenate scalars (use tf.stack instead)")
    av = const_ints(axis)
    if av is None:
        return [TensorSpec([None] * r, dtype)]
    a = av[0]
    if not -r <= a < r:
        raise shape_error(f"Shape must be at least rank {(a if a >= 0 else -a - 1) + 1} but is "
                          f"rank {r}")
    a %= r
    out = list(known[0])
    out[a] = None
    total = 0
    for v in values:
        dims = v.shape.as_tuple()
        if dims is None:
            total = None
            continue
        total = None if total is None or dims[a] is None else total + dims[a]
        rest, dims_rest = out[:a] + out[a + 1:], dims[:a] + dims[a + 1:]
        merged = [_merge_dim(x, y, d, rest, dims_rest)
                  for d, (x, y) in enumerate(zip(rest, dims_rest))]
        out = merged[:a] + [None] + merged[a:]
    out[a] = total
    return [TensorSpec(out, dtype)]


def _concat_grad(op, dy):
    values, axis = op.inputs[:-1], op.inputs[-1]
    from ..indexed_slices import IndexedSlices

    if isinstance(dy, IndexedSlices):
        rank = next((v.shape.rank for v in values if v.shape.rank is not None), None)
        a = constant_value(axis)
        if a is not None and rank and int(np.asarray(a).reshape(-1)[0]) % rank == 0:
            return _split_rows(dy, values) + [None]
        dy = convert_to_tensor(dy)  # along another axis: dense, as TF1
    return _split_like(dy, values, axis) + [None]


def _split_rows(dy, values):
    """A sparse gradient of a concatenation along axis 0 (sharded embeddings): each piece gets
    the rows that fall in its range, renumbered from 0 (TF1's ConcatV2 rule keeps them
    sparse)."""
    from ..indexed_slices import IndexedSlices
    from .array_ops import reshape
    from .gather_ops import gather
    from .logic_ops import greater_equal, less, logical_and, where
    from .math_ops import cast, subtract

    out, start = [], 0
    index_dtype = dy.indices.dtype
    for v in values:
        rows = v.shape.as_tuple()[0] if v.shape.rank else None
        size = rows if rows is not None else cast(shape(v)[0], index_dtype)
        end = start + size
        inside = logical_and(greater_equal(dy.indices, cast(start, index_dtype)),
                             less(dy.indices, cast(end, index_dtype)))
        picked = reshape(where(inside), [-1])
        piece = IndexedSlices(gather(dy.values, picked),
                              subtract(gather(dy.indices, picked), cast(start, index_dtype)),
                              shape(v))
        out.append(piece._with_static_shape(v.shape))
        start = end
    return out


def _split_like(dy, values, axis):
    """Splits ``dy`` along ``axis`` into pieces shaped like ``values`` (ConcatV2's gradient).

    Static sizes when every piece's size on the axis is known; otherwise they are read from the
    pieces' shapes at run time."""
    from .math_ops import cast
    from .reduction_ops import reduce_sum

    a = constant_value(axis)
    r = next((v.shape.rank for v in values if v.shape.rank is not None), None)
    if a is not None and r is not None:
        a = int(np.asarray(a).reshape(-1)[0]) % r
        sizes = [None if v.shape.rank is None else v.shape.as_tuple()[a] for v in values]
        if all(s is not None for s in sizes):
            return SPLIT_V(dy, np.array(sizes, np.int32), a, num_split=len(values))
    # sizes[i] = shape(values[i])[axis], picked by a one-hot mask (valid for negative axes too)
    dim = cast(axis, _dt.int32) if axis.dtype != _dt.int32 else axis
    n = rank(values[0])
    mask = one_hot(dim, n, dtype=_dt.int32) + one_hot(dim + n, n, dtype=_dt.int32)
    sizes = reduce_sum(stack([shape(v) for v in values]) * mask, 1)
    return SPLIT_V(dy, sizes, dim, num_split=len(values))


CONCAT_V2 = register(OpDef(
    "ConcatV2", inputs=["values:N*T", "axis:Tidx=int32"],
    kernel=_concat_kernel,
    infer=_concat_infer,
    grad=_concat_grad,
    sparse_grad=True,  # along axis 0, a sparse gradient is split into sparse pieces
))


# -- ConcatOffset ----------------------------------------------------------------------------------
def _concat_offset_kernel(concat_dim, shapes):
    """Where each input of a concatenation starts: 0 everywhere but along ``concat_dim``, the
    sizes of the inputs before it (TF's concat gradient slices with these)."""
    shapes = [np.asarray(s) for s in shapes]
    rank = shapes[0].size
    dim = int(concat_dim)
    if not -rank <= dim < rank:
        raise InvalidArgumentError(None, None, f"Concat dim is out of range: {dim} vs. {rank}")
    dim %= rank
    out, start = [], 0
    for i, s in enumerate(shapes):
        if s.size != rank:
            raise InvalidArgumentError(None, None, f"input {i} should contain {rank} elements, "
                                       f"but got {s.size}")
        for d in range(rank):
            if d != dim and s[d] != shapes[0][d]:
                raise InvalidArgumentError(None, None, f"All dimensions except {dim} must "
                                           f"match. Input {i} has shape [{' '.join(map(str, s))}]"
                                           f" and doesn't match input 0 with shape "
                                           f"[{' '.join(map(str, shapes[0]))}].")
        offset = np.zeros(rank, s.dtype)
        offset[dim] = start
        out.append(offset)
        start += int(s[dim])
    return tuple(out)


def _concat_offset_infer(concat_dim, shapes):
    if len(shapes) < 2:
        raise shape_error(f"ConcatOffset needs at least 2 shapes, got {len(shapes)}")
    return [TensorSpec(s.shape, s.dtype) for s in shapes]


CONCAT_OFFSET = register(OpDef(
    "ConcatOffset", inputs=["concat_dim:int32", "shape:N*shape_type=int32"],
    kernel=_concat_offset_kernel,
    infer=_concat_offset_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="each input's start offset in a concatenation along concat_dim (TF's concat gradient)",
))


def concat(values, axis, name="concat"):
    if not isinstance(values, (list, tuple)):
        values = [values]
    if len(values) == 1:  # TF: no ConcatV2 node for one value (axis still checked)
        with name_scope(name, values=values):
            dim = convert_to_tensor(axis, name="concat_dim", dtype=_dt.int32)
            if dim.shape.rank not in (None, 0):
                raise ValueError(f"Shape {dim.shape} must have rank 0")
            return identity(values[0], name=name)
    return CONCAT_V2(list(values), axis, name=name)


# -- Pack / Unpack ------------------------------------------------------------------------------


def _pack_kernel(values, *, axis):
    try:
        return np.stack(values, axis=axis)
    except ValueError:
        pass  # find the offending input for TF's message
    arrays = [np.asarray(v) for v in values]
    s0 = arrays[0].shape
    for i, v in enumerate(arrays[1:], 1):
        if v.shape != s0:
            raise InvalidArgumentError(None, None, "Shapes of all inputs must match: "
                                       f"values[0].shape = {list(s0)} != values[{i}].shape = "
                                       f"{list(v.shape)}")
    r = len(s0) + 1
    raise InvalidArgumentError(None, None, f"axis = {axis} not in [{-r}, {r})")


def _pack_infer(values, *, axis):
    out = TensorShape(None)
    for v in values:
        if out.is_compatible_with(v.shape):
            out = out.merge_with(v.shape)
        elif out.rank != v.shape.rank:
            raise shape_error(f"Shapes must be equal rank, but are {out.rank} and "
                              f"{v.shape.rank}")
        else:
            dims = out.as_tuple()
            for d, (x, y) in enumerate(zip(dims, v.shape.as_tuple())):
                _merge_dim(x, y, d, dims, v.shape.as_tuple())
    dims = out.as_tuple()
    if dims is None:
        return [TensorSpec(None, values[0].dtype)]
    r = len(dims) + 1
    if not -r <= axis < r:
        raise shape_error(f"Invalid axis: {axis}; must be in [{-r},{r})")
    a = axis % r
    return [TensorSpec(dims[:a] + (len(values),) + dims[a:], values[0].dtype)]


PACK = register(OpDef(
    "Pack", inputs=["values:N*T"], attrs={"axis": 0},
    kernel=_pack_kernel,
    infer=_pack_infer,
    grad=lambda op, dy: unstack(dy, num=op._get_attr("N"), axis=op._get_attr("axis")),
))


def _unpack_kernel(x, *, num, axis):
    x = np.asarray(x)
    r = x.ndim
    if not -r <= axis < r:
        raise InvalidArgumentError(None, None, f"axis = {axis} not in [{-r}, {r})")
    a = axis % r
    if x.shape[a] != num:
        raise InvalidArgumentError(None, None, f"Input shape axis {a} must equal {num}, got "
                                   f"shape {list(x.shape)}")
    parts = tuple(np.moveaxis(x, a, 0))
    return parts[0] if num == 1 else parts


def _unpack_infer(x, *, num, axis):
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, x.dtype) for _ in range(num)]
    r = len(dims)
    if not -r <= axis < r:
        raise shape_error(f"Invalid axis: {axis}; must be in [{-r},{r})")
    a = axis % r
    if dims[a] is not None and dims[a] != num:
        raise shape_error(f"Dimension must be {num} but is {dims[a]}")
    return [TensorSpec(dims[:a] + dims[a + 1:], x.dtype) for _ in range(num)]


UNPACK = register(OpDef(
    "Unpack", inputs=["value:T"], attrs={"num": req("int"), "axis": 0},
    kernel=_unpack_kernel,
    infer=_unpack_infer,
    grad=lambda op, *dys: [stack(list(dys), axis=op._get_attr("axis"))],
))


def _has_graph_value(values) -> bool:
    if isinstance(values, (list, tuple)):
        return any(_has_graph_value(v) for v in values)
    return _is_tensor(values)


def stack(values, axis=0, name="stack"):
    if axis == 0 and not _has_graph_value(values):
        try:  # TF1: a list of Python values becomes one constant
            return constant(values, name=name)
        except (TypeError, ValueError):
            pass
    first = convert_to_tensor(values[0]) if _is_tensor(values[0]) else None
    if first is not None and first.shape.rank is not None:
        r = first.shape.rank + 1
        if not -r <= axis < r:
            raise ValueError(f"Argument `axis` = {axis} not in range [{-r}, {r})")
    return PACK(list(values), axis=axis, name=name)


def unstack(value, num=None, axis=0, name="unstack"):
    value = convert_to_tensor(value)
    if num is None:
        dims = value.shape.as_tuple()
        if dims is not None:
            if not -len(dims) <= axis < len(dims):
                raise ValueError(f"Argument `axis` = {axis} not in range [{-len(dims)}, "
                                 f"{len(dims)})")
            num = dims[axis]
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {value.shape}")
    out = UNPACK(value, num=num, axis=axis, name=name)
    return [] if num == 0 else out if isinstance(out, list) else [out]


# -- Split / SplitV -----------------------------------------------------------------------------


def _split_dim(split_dim, r: int) -> int:
    """The split axis of a rank-``r`` input, in [0, r)."""
    a = _scalar_axis(split_dim, "split_dim")
    if not -r <= a < r:
        raise InvalidArgumentError(None, None, f"-input rank(-{r}) <= split_dim < input rank "
                                   f"({r}), but got {a}")
    return a % r


def _split_kernel(split_dim, x, *, num_split):
    x = np.asarray(x)
    r = x.ndim
    a = _split_dim(split_dim, r)
    if x.shape[a] % num_split:
        raise InvalidArgumentError(None, None, "Number of ways to split should evenly divide "
                                   f"the split dimension, but got split_dim {a} (size = "
                                   f"{x.shape[a]}) and num_split {num_split}")
    parts = np.split(x, num_split, axis=a)
    return parts[0] if num_split == 1 else tuple(parts)


def _known_split_axis(split_dim, x):
    """``(dims, axis)`` with the axis normalised, or None while x's rank or the axis is
    unknown; an axis out of range is a shape error."""
    dims = x.shape.as_tuple()
    av = None if dims is None else const_ints(split_dim)
    if av is None:
        return None
    r, a = len(dims), av[0]
    if not -r <= a < r:
        raise shape_error(f"Dimension size, given by scalar input {a} must be in range "
                          f"[{-r}, {r})")
    return dims, a % r


def _unknown_pieces(x, num_split):
    rank = x.shape.rank
    return [TensorSpec(None if rank is None else [None] * rank, x.dtype)
            for _ in range(num_split)]


def _split_infer(split_dim, x, *, num_split):
    if num_split < 1:
        raise shape_error(f"num_split must be >= 1, got {num_split}")
    known = _known_split_axis(split_dim, x)
    if known is None:
        return _unknown_pieces(x, num_split)
    dims, a = known
    d = dims[a]
    if d is not None and d % num_split:
        raise shape_error(f"Dimension size must be evenly divisible by {num_split} but is {d}")
    piece = dims[:a] + (None if d is None else d // num_split,) + dims[a + 1:]
    return [TensorSpec(piece, x.dtype) for _ in range(num_split)]


SPLIT = register(OpDef(
    "Split", inputs=["split_dim:int32", "value:T"], attrs={"num_split": req("int")},
    kernel=_split_kernel,
    infer=_split_infer,
    grad=lambda op, *dys: [None, concat(list(dys), op.inputs[0])],
))


def _resolve_splits(sizes, d):
    """size_splits with the one -1 filled in; raises TF's messages."""
    neg = [i for i, s in enumerate(sizes) if s == -1]
    if len(neg) > 1:
        raise InvalidArgumentError(None, None, "There can only be one -1 in the input.")
    for i, s in enumerate(sizes):
        if s < -1:
            raise InvalidArgumentError(None, None, f"Split size at index {i} must be >= 0. "
                                       f"Got: {s}")
    known = sum(s for s in sizes if s >= 0)
    if (not neg and known != d) or (neg and known > d):
        raise InvalidArgumentError(
            None, None, "Determined shape must either match input shape along split_dim "
            "exactly if fully specified, or be less than the size of the input along split_dim "
            f"if not fully specified.  Got: {known}")
    if neg:
        sizes = list(sizes)
        sizes[neg[0]] = d - known
    return sizes


def _split_v_kernel(x, size_splits, split_dim, *, num_split):
    x = np.asarray(x)
    r = x.ndim
    a = _split_dim(split_dim, r)
    sizes = [int(s) for s in np.asarray(size_splits).reshape(-1)]
    if len(sizes) != num_split:
        raise InvalidArgumentError(None, None, f"size_splits has {len(sizes)} values, but "
                                   f"num_split is {num_split}")
    sizes = _resolve_splits(sizes, x.shape[a])
    parts = np.split(x, np.cumsum(sizes[:-1]), axis=a)
    return parts[0] if num_split == 1 else tuple(parts)


def _split_v_infer(x, size_splits, split_dim, *, num_split):
    n = size_splits.shape.num_elements()
    if n is not None and n != num_split:
        raise shape_error(f"size_splits has {n} values, but num_split is {num_split}")
    known = _known_split_axis(split_dim, x)
    if known is None:
        return _unknown_pieces(x, num_split)
    dims, a = known
    d = dims[a]
    sizes = const_ints(size_splits)
    if sizes is None:
        sizes = [None] * num_split
    else:
        if sum(1 for s in sizes if s == -1) > 1:
            raise shape_error("size_splits can only have one -1")
        if d is not None:
            try:
                sizes = _resolve_splits(sizes, d)
            except InvalidArgumentError:
                raise shape_error(f"can't split axis of size {d} into pieces of size "
                                  f"{_dims_str(sizes)}") from None
        sizes = [None if s == -1 else s for s in sizes]
    return [TensorSpec(dims[:a] + (s,) + dims[a + 1:], x.dtype) for s in sizes]


SPLIT_V = register(OpDef(
    "SplitV", inputs=["value:T", "size_splits:Tlen=int64", "split_dim:int32"],
    attrs={"num_split": req("int")},
    kernel=_split_v_kernel,
    infer=_split_v_infer,
    grad=lambda op, *dys: [concat(list(dys), op.inputs[2]), None, None],
))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """``tf.split``: Split for a number of pieces, SplitV for a list of sizes."""
    if isinstance(num_or_size_splits, (int, np.integer, Dimension)) and \
            not isinstance(num_or_size_splits, bool):
        out = SPLIT(axis, value, num_split=int(num_or_size_splits), name=name)
        return out if isinstance(out, list) else [out]
    size_splits = convert_to_tensor(num_or_size_splits)
    if size_splits.shape.rank == 0:
        raise ValueError("Rank-0 tensors are not supported as the num_or_size_splits argument "
                         f"to split. Argument provided: {num_or_size_splits}")
    if num is None:
        dims = size_splits.shape.as_tuple()
        if dims:
            num = dims[0]
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {num_or_size_splits}")
    out = SPLIT_V(value, size_splits, axis, num_split=num, name=name)
    return out if isinstance(out, list) else [out]
