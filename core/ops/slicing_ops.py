"""Slicing: Slice, StridedSlice (and Tensor.__getitem__) and StridedSliceGrad. Gathering
(GatherV2, UnsortedSegmentSum) is in gather_ops."""

from __future__ import annotations

import builtins
import functools
import numbers
import weakref

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value, convert_to_tensor
from ..opdef import OpDef, TensorSpec, register, shape_error
from ..tensor_shape import Dimension, TensorShape
from . import array_ops, concat_split_ops, math_ops
from ._util import const_ints, shape_from_value

# Python's slice: this module defines tf.slice (bound to the name ``slice`` at the end).
_BaseSlice = builtins.slice

# Public names at the root of ``minitf`` (``tf.<name>``); core/__init__.py star-imports these.
__all__ = ["slice", "strided_slice", "newaxis"]

#: ``tf.newaxis``: inserts a size-1 dimension in ``tensor[...]``, as in numpy.
newaxis = None


def _with_rank1(spec):
    if spec.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {spec.shape.rank}")
    return None if spec.shape.rank is None else spec.shape.as_tuple()[0]


def _merge_lengths(*lengths):
    """The common length of 1-D spec vectors (None if unknown); raises on a mismatch."""
    known = None
    for n in lengths:
        if n is not None:
            if known is not None and n != known:
                raise shape_error(f"Dimension 0 in both shapes must be equal, but are {known} "
                                  f"and {n}. Shapes are [{known}] and [{n}].")
            known = n
    return known


def _ints(a) -> tuple:
    return tuple(np.asarray(a).reshape(-1).tolist())


def _shape_str(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


# -- StridedSlice: TensorFlow's sparse -> dense spec and per-dimension canonicalisation ----------

_NEW = -1  # marks an inserted axis in the output order


def _dense_spec(n, rank, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask):
    """Expands an ``n``-entry slice spec over a rank-``rank`` input (TF's BuildDenseSpec).

    Returns (sources, dense_masks, order): per input dim the spec entry it reads (None when an
    ellipsis covers it), its (begin_masked, end_masked, shrink) flags, and the output order as
    input dims (shrunk dims included, they become integer indices) and ``_NEW`` markers.
    """
    if ellipsis_mask & (ellipsis_mask - 1):
        raise shape_error("Multiple ellipses in slice spec not allowed")
    ellipsis_seen, add_after = False, 0
    for i in range(n):
        if ellipsis_seen and new_axis_mask >> i & 1:
            add_after += 1
        if ellipsis_mask >> i & 1:
            ellipsis_seen = True
    dims = n
    if not ellipsis_seen:  # an implicit ellipsis at the end
        ellipsis_mask |= 1 << n
        dims += 1
    sources, flags, order = [], [], []
    full = 0
    for i in range(dims):
        if ellipsis_mask >> i & 1:
            nxt = min(rank - (dims - i) + 1 + add_after, rank)
            while full < nxt:
                sources.append(None)
                flags.append((True, True, False))
                order.append(full)
                full += 1
        elif new_axis_mask >> i & 1:
            order.append(_NEW)
        else:
            if full == rank:
                raise shape_error(f"Index out of range using input dim {full}; input has only "
                                  f"{rank} dims")
            sources.append(i)
            flags.append((bool(begin_mask >> i & 1), bool(end_mask >> i & 1),
                          bool(shrink_axis_mask >> i & 1)))
            order.append(full)
            full += 1
    return sources, flags, order


def _canonical_dim(i, dim, b, e, s, begin_masked, end_masked, shrink):
    """(begin, end, size) of input dim ``i`` (TF's ValidateStridedSliceOp); None = not static.

    ``dim``, ``b``, ``e``, ``s`` may be None (unknown). For a shrunk dim, begin is the index.
    """
    if s is not None and s == 0:
        raise shape_error(f"strides[{i}] must be non-zero")
    if dim is None or s is None:
        return None, None, (1 if shrink else None)
    if shrink and s < 0:
        raise shape_error("only stride 1 allowed on non-range indexing.")
    if shrink:
        if b is None:
            return None, None, 1
        fwd = b + dim if b < 0 else b
        if not 0 <= fwd < dim:
            raise shape_error(f"slice index {fwd} of dimension {i} out of bounds.")
        return fwd, fwd + 1, 1
    lo, hi = (0, dim) if s > 0 else (-1, dim - 1)

    def canonical(x, masked, c):
        if masked:
            return (lo, hi)[c] if s > 0 else (hi, lo)[c]
        fwd = x + dim if x < 0 else x
        return lo if fwd < lo else hi if fwd > hi else fwd

    if (b is None and not begin_masked) or (e is None and not end_masked):
        return None, None, None
    b = canonical(b, begin_masked, 0)
    e = canonical(e, end_masked, 1)
    length = e - b
    if length == 0 or (length < 0) != (s < 0):
        return b, e, 0
    q, r = divmod(abs(length), abs(s))
    return b, e, q + (1 if r else 0)


def _resolve(dims_in, n, begin, end, strides, masks):
    """(flags, order, ranges) of a spec over an input of dims ``dims_in`` (int|None each):
    ``_dense_spec``'s flags and order, and per input dim (begin, end, size, stride), None where
    not static. ``begin``/``end``/``strides`` are sequences of ints or None (unknown)."""
    sources, flags, order = _dense_spec(n, len(dims_in), *masks)
    ranges = []
    for d, (src, (bm, em, shrink)) in enumerate(zip(sources, flags)):
        if src is None:  # covered by an ellipsis: the full range
            b, e, s = 0, 0, 1
        else:
            b, e, s = (None if v is None else v[src] for v in (begin, end, strides))
        ranges.append((*_canonical_dim(d, dims_in[d], b, e, s, bm, em, shrink), s))
    return flags, order, ranges


def _out_dims(flags, order, ranges) -> list:
    """Output dims in order: 1 for an inserted axis, the size of every dim that is not shrunk."""
    return [1 if o == _NEW else ranges[o][2] for o in order if o == _NEW or not flags[o][2]]


def _slice_shape(in_shape, n, begin, end, strides, masks) -> TensorShape:
    """The static output shape of StridedSlice."""
    dims_in = in_shape.as_tuple()
    if dims_in is None or n is None:
        return TensorShape(None)
    return TensorShape(_out_dims(*_resolve(dims_in, n, begin, end, strides, masks)))


@functools.lru_cache(maxsize=4096)
def _slice_plan(shape, begin, end, strides, masks):
    """The numpy basic index realising a StridedSlice on a concrete shape, cached per spec.

    Returns (index with None for new axes, index without them, output shape, shape of the
    region without new axes).
    """
    n = len(begin)
    if not len(end) == len(strides) == n:
        raise shape_error(f"Expected begin, end, and strides to be 1D equal size tensors, but got "
                          f"shapes [{n}], [{len(end)}], and [{len(strides)}] instead.")
    flags, order, ranges = _resolve(shape, n, begin, end, strides, masks)
    per_dim = []
    for (_, _, shrink), (b, e, size, s) in zip(flags, ranges):
        if shrink:
            per_dim.append(b)
        elif size == 0:
            per_dim.append(_BaseSlice(0, 0))
        else:  # a negative stride's canonical end -1 means "past index 0": Python's None
            per_dim.append(_BaseSlice(b, None if e < 0 else e, s))
    # A trailing Ellipsis keeps all-integer indexing a 0-d array rather than a numpy scalar.
    index = tuple(None if o == _NEW else per_dim[o] for o in order) + (Ellipsis,)
    region = tuple(r[2] for f, r in zip(flags, ranges) if not f[2])
    return index, tuple(per_dim), tuple(_out_dims(flags, order, ranges)), region


def _plan_for(shape, begin, end, strides, masks):
    return _slice_plan(tuple(shape), _ints(begin), _ints(end), _ints(strides), masks)


def _ss_kernel(x, begin, end, strides, *, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
               shrink_axis_mask):
    masks = (begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)
    index = _plan_for(np.shape(x), begin, end, strides, masks)[0]
    return np.asarray(x)[index]


def _ss_infer(x, begin, end, strides, **masks):
    n = _merge_lengths(_with_rank1(begin), _with_rank1(end), _with_rank1(strides))
    vals = [const_ints(v) for v in (begin, end, strides)]
    masks = _mask_tuple(masks)
    # TF's shape function reports stride errors before bounds errors, as a pass without
    # begin/end would (the kernel checks dim by dim).
    _slice_shape(x.shape, n, None, None, vals[2], masks)
    return [TensorSpec(_slice_shape(x.shape, n, *vals, masks), x.dtype)]


def _mask_tuple(attrs):
    return (attrs["begin_mask"], attrs["end_mask"], attrs["ellipsis_mask"],
            attrs["new_axis_mask"], attrs["shrink_axis_mask"])


def _mask_attrs(op):
    return {k: op._get_attr(k) for k in _MASK_NAMES}


_MASK_NAMES = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")
_MASK_DEFAULTS = {k: 0 for k in _MASK_NAMES}


def _shape_input(x: Tensor, dtype):
    """``x``'s shape as a value of ``dtype``: a numpy constant when static, else a Shape op."""
    if x.shape.is_fully_defined():
        return np.array(x.shape.as_list(), dtype=dtype.as_numpy_dtype)
    return array_ops.shape(x, out_type=dtype)


def _ss_grad(op, dy):
    x, begin, end, strides = op.inputs
    dx = STRIDED_SLICE_GRAD(_shape_input(x, begin.dtype), begin, end, strides, dy,
                            **_mask_attrs(op))
    return [dx, None, None, None]


STRIDED_SLICE = register(OpDef(
    "StridedSlice", inputs=["input:T", "begin:Index=int32", "end:Index=int32",
                            "strides:Index=int32"],
    attrs=dict(_MASK_DEFAULTS),
    kernel=_ss_kernel,
    infer=_ss_infer,
    grad=_ss_grad,
    doc="input[begin:end:strides] with TensorFlow's mask semantics (ellipsis, new and shrunk "
        "axes, negative strides, clamping).",
))


def _ssg_kernel(shape, begin, end, strides, dy, *, begin_mask, end_mask, ellipsis_mask,
                new_axis_mask, shrink_axis_mask):
    masks = (begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask)
    shape = _ints(shape)
    if min(shape, default=0) < 0:
        raise InvalidArgumentError(None, None, f"Dimension {min(shape)} must be >= 0 in shape "
                                   f"{_shape_str(shape)}")
    _, index, want, region = _plan_for(shape, begin, end, strides, masks)
    if np.shape(dy) != want:
        raise InvalidArgumentError(None, None, f"shape of dy was {_shape_str(np.shape(dy))} "
                                   f"instead of {_shape_str(want)}")
    out = np.zeros(shape, dtype=np.asarray(dy).dtype)
    out[index] = np.reshape(dy, region)  # dy without its inserted axes
    return out


def _ssg_infer(shape, begin, end, strides, dy, **masks):
    n = _merge_lengths(_with_rank1(begin), _with_rank1(end), _with_rank1(strides))
    out = shape_from_value(shape)
    vals = [const_ints(v) for v in (begin, end, strides)]
    if out.is_fully_defined() and dy.shape.rank is not None and None not in vals:
        want = _slice_shape(out, n, *vals, _mask_tuple(masks))
        if not want.is_compatible_with(dy.shape):
            raise shape_error(f"shape of dy was {_shape_str(dy.shape.as_tuple())} instead of "
                              f"{_shape_str(want.as_tuple())}")
    return [TensorSpec(out, dy.dtype)]


def _ssg_grad(op, grad):
    # TF: the gradient of the scatter is the slice of the incoming gradient.
    _, begin, end, strides, _ = op.inputs
    return [None, None, None, None, STRIDED_SLICE(grad, begin, end, strides, **_mask_attrs(op))]


STRIDED_SLICE_GRAD = register(OpDef(
    "StridedSliceGrad", inputs=["shape:Index=int32", "begin:Index=int32", "end:Index=int32",
                                "strides:Index=int32", "dy:T"],
    attrs=dict(_MASK_DEFAULTS),
    kernel=_ssg_kernel,
    infer=_ssg_infer,
    grad=_ssg_grad,
    doc="Zeros of ``shape`` with ``dy`` scattered into the StridedSlice region.",
))


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """``tf.strided_slice``. With ``var`` (a Variable's slice), the result has TF's
    ``assign(value, name=None)``: StridedSliceAssign of the same region."""
    if strides is None:
        strides = array_ops.ones_like(begin)  # as TF: a node named "ones_like"
    out = STRIDED_SLICE(input_, begin, end, strides, begin_mask=begin_mask, end_mask=end_mask,
                        ellipsis_mask=ellipsis_mask, new_axis_mask=new_axis_mask,
                        shrink_axis_mask=shrink_axis_mask, name=name or "StridedSlice")
    if var is not None:
        out.__class__ = _VariableSlice  # TF sets an ``assign`` attribute on the tensor
        _SLICED[out] = var
    return out


_SLICED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # slice -> its Variable


class _VariableSlice(Tensor):
    """The result of ``variable[spec]``: a Tensor that can also be assigned to."""

    __slots__ = ()

    def assign(self, value, name=None):
        """``variable[spec] = value`` as a StridedSliceAssign op; its value is the variable's
        new value."""
        from .state_ops import STRIDED_SLICE_ASSIGN

        var, op = _SLICED[self], self.op
        # The value is converted by the op (TF's op_def_library, with its TypeError naming
        # parameter 'value'), to the variable's dtype. TF's name: the slice's scope plus
        # "_assign" ("strided_slice/_assign").
        return STRIDED_SLICE_ASSIGN(var, *op.inputs[1:4], value,
                                    name=name or op.name + "/_assign", **_mask_attrs(op))


def strided_slice_grad(shape, begin, end, strides, dy, begin_mask=0, end_mask=0,
                       ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0, name=None):
    """The StridedSliceGrad op (``tf.raw_ops.StridedSliceGrad``)."""
    return STRIDED_SLICE_GRAD(shape, begin, end, strides, dy, begin_mask=begin_mask,
                              end_mask=end_mask, ellipsis_mask=ellipsis_mask,
                              new_axis_mask=new_axis_mask, shrink_axis_mask=shrink_axis_mask,
                              name=name or "StridedSliceGrad")


# -- Tensor.__getitem__ (TF's array_ops._slice_helper) --------------------------------------------

_SLICE_TYPE_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                     "scalar tf.int32/tf.int64 tensors are valid indices")
_INDEX_DTYPES = (_dt.int16, _dt.int32, _dt.int64)


def _check_index(idx):
    """An int, a known Dimension or a scalar integer tensor; returns it as int or Tensor."""
    if isinstance(idx, Dimension) and idx.value is not None:
        return idx.value
    if isinstance(idx, numbers.Integral) and not isinstance(idx, (bool, np.bool_)):
        return int(idx)
    conv = getattr(idx, "_as_tensor", None)  # Variables
    if conv is not None:
        idx = conv()
    if isinstance(idx, Tensor) and idx.dtype in _INDEX_DTYPES and idx.shape.rank in (None, 0):
        return idx
    if (isinstance(idx, np.ndarray) and idx.ndim == 0 and idx.dtype.kind in "iu"):
        return int(idx)
    raise TypeError(f"{_SLICE_TYPE_ERROR}, got {idx!r}")


def _is_unset(v):
    return v is None or (isinstance(v, Dimension) and v.value is None)


def _stack_indices(values, name):
    """``tf.stack`` of begin/end/strides: one Const when all are Python ints, else a Pack whose
    Python entries become Consts named by position ("stack/1"), as TF's autopacking does."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not tensors:
        return array_ops.constant(values, name=name)
    dtype = tensors[0].dtype
    graph = tensors[0].graph
    with graph.as_default(), graph.name_scope(name) as scope:
        items = [v if isinstance(v, Tensor) else array_ops.constant(v, dtype=dtype, name=str(k))
                 for k, v in enumerate(values)]
        return concat_split_ops.PACK(items, axis=0, name=scope)


def _slice_helper(tensor, slice_spec, var=None):
    """``tensor[slice_spec]`` as one StridedSlice, with TF's node names and masks."""
    if not isinstance(slice_spec, (list, tuple)):
        slice_spec = [slice_spec]
    tensor = convert_to_tensor(tensor)
    graph = tensor.graph
    with graph.as_default():
        begin, end, strides, masks = _encode_spec(slice_spec)
        with graph.name_scope("strided_slice") as name:
            if begin:
                packed = [_stack_indices(v, n) for v, n in ((begin, "stack"), (end, "stack_1"),
                                                           (strides, "stack_2"))]
                if any(p.dtype == _dt.int64 for p in packed):
                    packed = [math_ops.cast(p, _dt.int64) for p in packed]
            else:
                empty = array_ops.constant([], dtype=_dt.int32)
                packed = [empty] * 3
            return strided_slice(tensor, *packed, var=var, name=name, **masks)


def _encode_spec(slice_spec):
    """begin, end, strides (ints or scalar Tensors) and the masks of a ``tensor[...]`` spec."""
    begin, end, strides = [], [], []
    masks = dict.fromkeys(_MASK_NAMES, 0)
    for index, s in enumerate(slice_spec):
        bit = 1 << index
        if isinstance(s, _BaseSlice):
            parts = [None if _is_unset(v) else _check_index(v) for v in (s.start, s.stop, s.step)]
            # Filled-in bounds take the widest dtype of the tensor bounds (TF2's helper).
            dtype = max((p.dtype for p in parts if isinstance(p, Tensor)), default=None,
                        key=_INDEX_DTYPES.index)
            for part, default, out in zip(parts, (0, 0, 1), (begin, end, strides)):
                if part is None:
                    part = default if dtype is None else array_ops.constant(default, dtype=dtype)
                out.append(part)
            masks["begin_mask"] |= bit if parts[0] is None else 0
            masks["end_mask"] |= bit if parts[1] is None else 0
        elif s is Ellipsis or s is newaxis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["ellipsis_mask" if s is Ellipsis else "new_axis_mask"] |= bit
        else:
            s = _check_index(s)
            begin.append(s)
            end.append(s + 1)  # a Tensor index builds an "add" op, as in TF
            wide = isinstance(s, Tensor) and s.dtype in (_dt.int16, _dt.int64)
            strides.append(array_ops.constant(1, dtype=s.dtype) if wide else 1)
            masks["shrink_axis_mask"] |= bit
    return begin, end, strides, masks


Tensor.__getitem__ = _slice_helper


# -- Slice ----------------------------------------------------------------------------------------


def _slice_kernel(x, begin, size):
    x = np.asarray(x)
    begin, size = _ints(begin), _ints(size)
    if not len(begin) == len(size) == x.ndim:
        raise InvalidArgumentError(
            None, None, f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, "
            f"but got shapes [{len(begin)}] and [{len(size)}] instead.")
    index = []
    for i, (b, s, dim) in enumerate(zip(begin, size, x.shape)):
        if s == -1:
            s = dim - b
        if not 0 <= b <= dim:
            raise InvalidArgumentError(None, None,
                                       f"Expected begin[{i}] in [0, {dim}], but got {b}")
        if not 0 <= s <= dim - b:
            raise InvalidArgumentError(None, None,
                                       f"Expected size[{i}] in [0, {dim - b}], but got {s}")
        index.append(_BaseSlice(b, b + s))
    return x[tuple(index)]


def _slice_infer(x, begin, size):
    n = _merge_lengths(_with_rank1(begin), _with_rank1(size))
    rank = x.shape.rank
    if n is not None and rank is not None and n != rank:
        raise shape_error(f"Shape must be rank {n} but is rank {rank}")
    n = rank if n is None else n
    if n is None:
        return [TensorSpec(TensorShape(None), x.dtype)]
    sizes = const_ints(size)
    if sizes is None:  # the sizes known so far ([tf.shape(x)[0], 2, 3] is (?, 2, 3)); -1 is None
        partial = size.shape_value
        known = partial.as_tuple() if partial is not None else None
        return [TensorSpec(list(known) if known is not None and len(known) == n else
                           [None] * n, x.dtype)]
    begins = const_ints(begin)
    dims_in = x.shape.as_tuple() or (None,) * n
    out = []
    for i, s in enumerate(sizes):
        if s < -1:
            raise shape_error(f"Invalid value in tensor used for shape: {s}")
        if s == -1:
            s = None if begins is None or dims_in[i] is None else dims_in[i] - begins[i]
            s = None if s is not None and s < 0 else s  # the kernel reports the bad begin
        out.append(s)
    return [TensorSpec(out, x.dtype)]


def _slice_grad(op, dy):
    # TF pads dy (Pad); the same scatter is a unit-stride StridedSliceGrad over [begin, end).
    x, begin, _ = op.inputs
    y = op.outputs[0]
    b = constant_value(begin)
    if b is not None and y.shape.is_fully_defined():
        end = (b + np.array(y.shape.as_list())).astype(b.dtype)
        strides = np.ones_like(b)
    else:
        end = math_ops.add(begin, array_ops.shape(y, out_type=begin.dtype))
        strides = array_ops.ones_like(begin)
    dx = STRIDED_SLICE_GRAD(_shape_input(x, begin.dtype), begin, end, strides, dy)
    return [dx, None, None]


SLICE = register(OpDef(
    "Slice", inputs=["input:T", "begin:Index=int32", "size:Index=int32"],
    kernel=_slice_kernel,
    infer=_slice_infer,
    grad=_slice_grad,
    doc="input[begin:begin+size] per dimension; size -1 means to the end.",
))


def slice_(input_, begin, size, name=None):
    """``tf.slice`` (bound to the module name ``slice`` at the end of this module)."""
    return SLICE(input_, begin, size, name=name or "Slice")


# ``tf.slice``: bound last so the code above still sees Python's builtin ``slice``.
slice = slice_  # noqa: A001
