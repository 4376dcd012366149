"""Ops that GraphDefs exported from TF 1.15 and TF 2.x's tf.compat.v1 hold but which minitf's
own API does not write: Snapshot, DeepCopy, Empty, ClipByValue, NextAfter, CheckNumericsV2,
UniqueV2, UniqueWithCountsV2, TopK (v1), InplaceAdd/Sub/Update, DataFormatDimMap,
DataFormatVecPermute, ScatterNdMax/Min, TensorStridedSliceUpdate and Segment{Sum,Max,Min,
Prod}V2 (the optimizer updates are in graph_compat_train_ops). Attrs, defaults and gradients
are TF's; ops TF gives no gradient raise LookupError when asked for one (NO_GRADIENT), as
TF's."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape
from . import array_ops, logic_ops
from . import graph_compat_train_ops  # noqa: F401 - ApplyAdagradV2, ApplyAddSign...
from ._math_util import _NUMBER, _REAL, _typed
from ._util import broadcast_infer, const_ints, shape_error, shape_from_value, unary_infer
from .gather_ops import (_extreme, _reduce_at, _top_k_grad, _top_k_kernel, _unique_kernel,
                         _uss_infer)
from .logic_ops import CHECK_NUMERICS
from .reduction_ops import reduce_sum
from .slicing_ops import _MASK_NAMES, _mask_attrs, strided_slice
from .state_ops import (_scatter_nd, _scatter_nd_infer, _scatter_op, _ss_assign_infer,
                        _ss_assign_kernel)

__all__: list[str] = []


def _copy(x):
    return np.array(x, copy=True)


SNAPSHOT = register(OpDef(
    "Snapshot", inputs=["input:T"], kernel=_copy, infer=unary_infer, grad=NO_GRADIENT,
    doc="A copy of the input (TF's grappler writes it to pin a value)",
))
DEEP_COPY = register(OpDef(
    "DeepCopy", inputs=["x:T"], kernel=_copy, infer=unary_infer, grad=NO_GRADIENT,
    stateful=True, doc="A copy of x in a new buffer",
))


def _empty_kernel(shape, *, dtype, init):
    dims = np.asarray(shape).reshape(-1)
    if np.any(dims < 0):
        raise InvalidArgumentError(None, None, f"Empty: shape must be non-negative, got "
                                   f"{dims.tolist()}")
    # Uninitialised memory in TF unless init; zeros here either way (a defined value).
    return np.zeros(dims.tolist(), dtype.as_numpy_dtype)


def _empty_infer(shape, *, dtype, init):
    if shape.shape.rank not in (None, 1):
        raise shape_error(f"shape must be a vector, got rank {shape.shape.rank}")
    return [TensorSpec(shape_from_value(shape), dtype)]


EMPTY = register(OpDef(
    "Empty", inputs=["shape:int32"], attrs={"dtype": req("type"), "init": False},
    kernel=_empty_kernel, infer=_empty_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="A new tensor of shape and dtype (zeros; TF leaves it uninitialised unless init)",
))


# -- ClipByValue ----------------------------------------------------------------------------------
def _clip(t, lo, hi):
    # TF's order, max(min(t, max), min): a min above the max wins; and Eigen's min and max
    # (b < a ? b : a), so a NaN bound clips nothing while a NaN in t stays NaN.
    y = np.where(hi < t, hi, t)
    return np.where(y < lo, lo, y)


def _clip_kernel(t, clip_value_min, clip_value_max):
    t, lo, hi = (np.asarray(v) for v in (t, clip_value_min, clip_value_max))
    for name, v in (("clip_value_min", lo), ("clip_value_max", hi)):
        if v.ndim and v.shape != t.shape:
            raise InvalidArgumentError(None, None, f"ClipByValue: {name} must be a scalar or "
                                       f"have the shape of t: t {list(t.shape)}, {name} "
                                       f"{list(v.shape)}")
    if t.dtype.kind == "c":
        # TF's kernel (Eigen's min/max of complex) clips the real and imaginary parts apart;
        # numpy would order complex numbers lexicographically.
        out = np.empty(t.shape, t.dtype)
        out.real = _clip(t.real, lo.real, hi.real)
        out.imag = _clip(t.imag, lo.imag, hi.imag)
        return out
    return _clip(t, lo, hi).astype(t.dtype, copy=False)


def _clip_infer(t, lo, hi):
    for name, s in (("clip_value_min", lo), ("clip_value_max", hi)):
        if s.shape.rank not in (None, 0) and not s.shape.is_compatible_with(t.shape):
            raise shape_error(f"{name} must be a scalar or have the shape of t: {t.shape} vs "
                              f"{s.shape}")
    return [TensorSpec(t.shape, t.dtype)]


def _clip_grad(op, dy):
    """TF's _clip_by_value_grad: dy where t is inside [min, max]; to min or max where clipped,
    summed down to their shapes. Its Less refuses complex inputs, so, as in TF, a complex
    ClipByValue runs but has no gradient (TypeError when one is built)."""
    x, y, z = op.inputs
    zeros = array_ops.zeros_like(dy)
    below, above = logic_ops.less(x, y), logic_ops.greater(x, z)
    sx, sy, sz = (array_ops.shape(v) for v in (x, y, z))
    _, ry = array_ops.broadcast_gradient_args(sx, sy)
    _, rz = array_ops.broadcast_gradient_args(sx, sz)
    gx = logic_ops.where_v2(logic_ops.logical_or(below, above), zeros, dy)
    gy = array_ops.reshape(reduce_sum(logic_ops.where_v2(below, dy, zeros), ry), sy)
    gz = array_ops.reshape(reduce_sum(logic_ops.where_v2(above, dy, zeros), rz), sz)
    return [gx, gy, gz]


CLIP_BY_VALUE = register(OpDef(
    "ClipByValue", inputs=["t:T", "clip_value_min:T", "clip_value_max:T"],
    kernel=_clip_kernel, infer=_clip_infer, grad=_clip_grad,
    doc="t clipped to [clip_value_min, clip_value_max] (scalars or t's shape)",
))


# -- NextAfter, CheckNumericsV2 -------------------------------------------------------------------
def _next_after_infer(x1, x2):
    if x1.dtype not in (_dt.float32, _dt.float64):
        raise shape_error(f"NextAfter takes float32 or float64, got {x1.dtype.name}")
    return broadcast_infer(x1, x2)


def _next_after_grad(op, dy):
    """TF's rule: d/dx1 = 1, d/dx2 = 0, each summed down to its input's shape."""
    x1, x2 = op.inputs
    s1, s2 = array_ops.shape(x1), array_ops.shape(x2)
    r1, r2 = array_ops.broadcast_gradient_args(s1, s2)
    g1 = array_ops.reshape(reduce_sum(array_ops.ones(s1, x1.dtype) * dy, r1), s1)
    g2 = array_ops.reshape(reduce_sum(array_ops.zeros(s2, x2.dtype) * dy, r2), s2)
    return [g1, g2]


NEXT_AFTER = register(OpDef(
    "NextAfter", inputs=["x1:T=float32", "x2:T"],
    kernel=lambda x1, x2: np.nextafter(x1, x2), infer=_next_after_infer,
    grad=_next_after_grad, doc="The next representable value after x1 towards x2",
))


def _check_numerics_v2_kernel(tensor, *, message):
    x = np.asarray(tensor)
    kinds = [k for k, bad in (("-Inf", np.isneginf(x).any()), ("+Inf", np.isposinf(x).any()),
                              ("NaN", np.isnan(x).any())) if bad]
    if kinds:  # TF's wording: "A", "A and B", "A, B, and C"
        listed = kinds[0] if len(kinds) == 1 else " and ".join(kinds) if len(kinds) == 2 else \
            f"{kinds[0]}, {kinds[1]}, and {kinds[2]}"
        raise InvalidArgumentError(None, None, f"{message} : Tensor had {listed} values")
    return x


CHECK_NUMERICS_V2 = register(OpDef(
    "CheckNumericsV2", inputs=["tensor:T"], attrs={"message": req("string")},
    kernel=_check_numerics_v2_kernel, infer=CHECK_NUMERICS.infer,  # complex refused there
    stateful=True,
    grad=lambda op, dy: [CHECK_NUMERICS_V2(
        dy, message="Not a number (NaN) or infinity (Inf) values detected in gradient. "
        + op._get_attr("message"))],
    doc="CheckNumerics that also tells +Inf from -Inf",
))


# -- UniqueV2, UniqueWithCountsV2: unique slices along an axis ------------------------------------
def _unique_axis(x, axis, out_idx, op_type):
    x, axis = np.asarray(x), np.asarray(axis).reshape(-1)
    if axis.size == 0:  # no axis: TF's Unique on a vector
        return _unique_kernel(x, out_idx=out_idx)
    if axis.size != 1 or not -x.ndim <= int(axis[0]) < max(x.ndim, 1):
        raise InvalidArgumentError(None, None, f"{op_type}: axis has to be between "
                                   f"[{-x.ndim}, {x.ndim}), got {axis.tolist()}")
    a = int(axis[0]) % x.ndim
    rows = np.moveaxis(x, a, 0).reshape(x.shape[a], x.size // max(x.shape[a], 1))
    index: dict = {}
    idx = np.array([index.setdefault(r.tobytes(), len(index)) for r in rows], np.int64)
    first = np.unique(idx, return_index=True)[1]
    y = np.take(x, first, axis=a)
    return [y, idx.astype(out_idx.as_numpy_dtype)]


def _unique_v2_infer(x, axis, *, out_idx):
    if axis.shape.rank not in (None, 1):
        raise shape_error(f"axis must be a vector, got rank {axis.shape.rank}")
    a = const_ints(axis)
    if a is None or x.shape.rank is None:
        return [TensorSpec(TensorShape(None), x.dtype), TensorSpec([None], out_idx)]
    if not a:
        if x.shape.rank != 1:
            raise shape_error(f"Shape must be rank 1 but is rank {x.shape.rank}")
        return [TensorSpec([None], x.dtype), TensorSpec(x.shape, out_idx)]
    if len(a) != 1 or not -x.shape.rank <= a[0] < x.shape.rank:
        raise shape_error(f"axis must be one value in [{-x.shape.rank}, {x.shape.rank}), got "
                          f"{a}")
    k = a[0] % x.shape.rank
    dims = x.shape.as_list()
    n = dims[k]
    dims[k] = None
    return [TensorSpec(dims, x.dtype), TensorSpec([n], out_idx)]


UNIQUE_V2 = register(OpDef(
    "UniqueV2", inputs=["x:T", "axis:Taxis=int64"], attrs={"out_idx": _dt.int32},
    kernel=lambda x, axis, *, out_idx: _unique_axis(x, axis, out_idx, "UniqueV2"),
    infer=_unique_v2_infer, grad=NO_GRADIENT,
    doc="Unique of the slices along axis (a 1-element vector; empty for a vector x)",
))


def _with_counts(x, axis, *, out_idx):
    y, idx = _unique_axis(x, axis, out_idx, "UniqueWithCountsV2")
    return [y, idx, np.bincount(idx).astype(idx.dtype)]


UNIQUE_WITH_COUNTS_V2 = register(OpDef(
    "UniqueWithCountsV2", inputs=["x:T", "axis:Taxis=int64"], attrs={"out_idx": _dt.int32},
    kernel=_with_counts, grad=NO_GRADIENT,
    infer=lambda x, axis, *, out_idx: _unique_v2_infer(x, axis, out_idx=out_idx)
    + [TensorSpec([None], out_idx)],
    doc="UniqueV2's (y, idx) and how often each slice of y occurs",
))


# -- TopK (v1): k is an attr ----------------------------------------------------------------------
def _top_k_v1_infer(input, *, k, sorted):  # noqa: A002 - TF's argument names
    if k < 0:
        raise shape_error(f"Need k >= 0, got {k}")
    dims = input.shape.as_tuple()
    if dims is not None and not dims:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    if dims and dims[-1] is not None and k > dims[-1]:
        raise shape_error(f"input must have last dimension >= k = {k} but is {dims[-1]}")
    shape = TensorShape(None) if dims is None else TensorShape(list(dims[:-1]) + [k])
    return [TensorSpec(shape, input.dtype), TensorSpec(shape, _dt.int32)]


TOP_K = register(OpDef(
    "TopK", inputs=["input:T"], attrs={"k": req("int"), "sorted": True},
    kernel=lambda input, *, k, sorted: _top_k_kernel(input, k, sorted=sorted),  # noqa: A006
    infer=_top_k_v1_infer, grad=lambda op, dv, di: _top_k_grad(op, dv, di)[:1],  # one input
    doc="TopKV2 with k as an attr (TF 1.x GraphDefs)",
))


# -- InplaceAdd/Sub/Update: rows i of x, as a new tensor ------------------------------------------
# TF's kernels write into x's buffer when they may forward it, so another reader of x can see
# the change depending on the order ops run in; a copy here gives every reader x as it was.
def _inplace(op_type, apply):
    def kernel(x, i, v):
        x, i, v = np.array(x, copy=True), np.asarray(i).reshape(-1), np.asarray(v)
        if x.ndim == 0 or v.shape != (i.size,) + x.shape[1:]:
            raise InvalidArgumentError(None, None, f"{op_type}: v must be of shape "
                                       f"[len(i)] + x.shape[1:] = {[i.size, *x.shape[1:]]}, "
                                       f"got {list(v.shape)}")
        bad = (i < 0) | (i >= x.shape[0])
        if bad.any():
            raise InvalidArgumentError(None, None, f"{op_type}: row index {int(i[bad][0])} is "
                                       f"out of range [0, {x.shape[0]})")
        apply(x, i, v.astype(x.dtype, copy=False))
        return x
    return kernel


def _inplace_infer(x, i, v):
    if i.shape.rank not in (None, 1):
        raise shape_error(f"i must be a vector, got rank {i.shape.rank}")
    if x.shape.rank is not None and v.shape.rank is not None and \
            not x.shape[1:].is_compatible_with(v.shape[1:]):
        raise shape_error(f"v must have x's shape beyond dimension 0: x {x.shape}, v "
                          f"{v.shape}")
    return [TensorSpec(x.shape, x.dtype)]


def _set(x, i, v):
    x[i] = v


def _register_inplace(op_type, apply, what):
    return register(OpDef(op_type, inputs=["x:T", "i:int32", "v:T"],
                          kernel=_inplace(op_type, apply), infer=_inplace_infer,
                          grad=NO_GRADIENT, doc=f"A copy of x with v {what} its rows i"))


INPLACE_ADD = _register_inplace("InplaceAdd", np.add.at, "added to")
INPLACE_SUB = _register_inplace("InplaceSub", np.subtract.at, "subtracted from")
INPLACE_UPDATE = _register_inplace("InplaceUpdate", _set, "written to")


# -- DataFormatDimMap, DataFormatVecPermute -------------------------------------------------------
def _check_formats(src, dst):
    if sorted(src) != sorted(dst) or len(set(src)) != len(src):
        raise InvalidArgumentError(None, None, f"Destination and source format must determine "
                                   f"a permutation, got {src} and {dst}")


def _dim_map_kernel(x, *, src_format, dst_format):
    _check_formats(src_format, dst_format)
    x = np.asarray(x)
    n = len(src_format)
    table = np.array([dst_format.index(c) for c in src_format], x.dtype)
    return table[np.mod(x, n)]


def _vec_permute_kernel(x, *, src_format, dst_format):
    _check_formats(src_format, dst_format)
    x = np.asarray(x)
    if x.shape[:1] == (len(src_format) - 2,):  # spatial dims only, e.g. an HW pair
        src, dst = (f.replace("N", "").replace("C", "") for f in (src_format, dst_format))
    else:
        src, dst = src_format, dst_format
    if x.ndim not in (1, 2) or x.shape[0] != len(src) or (x.ndim == 2 and x.shape[1] != 2):
        raise InvalidArgumentError(None, None, f"DataFormatVecPermute: input must be a vector "
                                   f"or a 2-column matrix of {len(src_format)} or "
                                   f"{len(src_format) - 2} rows, got shape {list(x.shape)}")
    return x[[src.index(c) for c in dst]]


_FORMAT_ATTRS = {"src_format": "NHWC", "dst_format": "NCHW"}


def _format_infer(x, *, src_format, dst_format):
    if x.dtype not in (_dt.int32, _dt.int64):
        raise shape_error(f"expects int32 or int64, got {x.dtype.name}")
    if sorted(src_format) != sorted(dst_format) or len(set(src_format)) != len(src_format):
        raise shape_error(f"Destination and source format must determine a permutation, got "
                          f"{src_format} and {dst_format}")
    return [TensorSpec(x.shape, x.dtype)]


DATA_FORMAT_DIM_MAP = register(OpDef(
    "DataFormatDimMap", inputs=["x:T=int32"], attrs=dict(_FORMAT_ATTRS),
    kernel=_dim_map_kernel, infer=_format_infer, grad=NOT_DIFFERENTIABLE,  # integers only
    doc="The dst_format index of each src_format dimension index x",
))
DATA_FORMAT_VEC_PERMUTE = register(OpDef(
    "DataFormatVecPermute", inputs=["x:T=int32"], attrs=dict(_FORMAT_ATTRS),
    kernel=_vec_permute_kernel, infer=_format_infer, grad=NOT_DIFFERENTIABLE,
    doc="A shape-like vector (or [n, 2] paddings) reordered from src_format to dst_format",
))


# -- ScatterNdMax/Min: ref-variable scatters, declared as ScatterNdUpdate/Add are ------------------
SCATTER_ND_MAX = _scatter_op("ScatterNdMax", np.maximum.at, False, _scatter_nd, _scatter_nd_infer)
SCATTER_ND_MIN = _scatter_op("ScatterNdMin", np.minimum.at, False, _scatter_nd, _scatter_nd_infer)


# -- TensorStridedSliceUpdate: StridedSliceAssign on a tensor (a new value) -----------------------
def _tssu_kernel(input, begin, end, strides, value, **masks):  # noqa: A002 - TF's names
    out = np.array(input, copy=True)
    return _ss_assign_kernel(SimpleNamespace(value=out, read=out), begin, end, strides, value,
                             **masks)


def _tssu_grad(op, dy):
    """TF's rule: dy with the slice zeroed for input; the slice, summed down to value's shape
    (value may have been broadcast), for value."""
    _, begin, end, strides, value = op.inputs
    masks = _mask_attrs(op)
    dslice = strided_slice(dy, begin, end, strides, **masks)
    dx = TENSOR_STRIDED_SLICE_UPDATE(dy, begin, end, strides, array_ops.zeros_like(dslice),
                                     **masks)
    value_shape = array_ops.shape(value)
    _, axes = array_ops.broadcast_gradient_args(array_ops.shape(dslice), value_shape)
    dv = array_ops.reshape(reduce_sum(dslice, axes, keepdims=True), value_shape)
    return [dx, None, None, None, dv]


TENSOR_STRIDED_SLICE_UPDATE = register(OpDef(
    "TensorStridedSliceUpdate", inputs=["input:T", "begin:Index=int32", "end:Index=int32",
                                        "strides:Index=int32", "value:T"],
    attrs={n: 0 for n in _MASK_NAMES},
    kernel=_tssu_kernel, infer=_ss_assign_infer, grad=_tssu_grad,
    doc="A copy of input with input[begin:end:strides] (StridedSlice's masks) set to value",
))


# -- Segment{Sum,Max,Min,Prod}V2: num_segments given (XLA's kernels; TF has no CPU kernel) --------
def _segment_v2(op_type, ufunc, empty, allowed):
    """As XLA computes them (checked with tf.function(jit_compile=True)): ids need not be
    sorted, ids outside [0, num_segments) are dropped, an empty segment is ``empty(dtype)``;
    ``allowed`` is TF's OpDef list of data types (no complex for Max and Min)."""
    def kernel(data, segment_ids, num_segments):
        data, ids = np.asarray(data), np.asarray(segment_ids)
        n = int(num_segments)
        if n < 0:
            raise InvalidArgumentError(None, None, f"{op_type}: num_segments must not be "
                                       f"negative, got {n}")
        if data.shape[:ids.ndim] != ids.shape:
            raise InvalidArgumentError(None, None, f"{op_type}: data.shape = "
                                       f"{list(data.shape)} does not start with "
                                       f"segment_ids.shape = {list(ids.shape)}")
        rows = np.where((ids >= 0) & (ids < n), ids, -1)  # _reduce_at drops -1
        return _reduce_at(ufunc, data, rows, n, empty(data.dtype))[0]
    return register(OpDef(
        op_type, inputs=["data:T", "segment_ids:Tindices=int32",
                         "num_segments:Tnumsegments=int32"],
        kernel=kernel, infer=_typed(_uss_infer, allowed, "data"), grad=NO_GRADIENT,
        doc=f"{op_type[:-2]} into num_segments rows; out-of-range ids are dropped",
    ))


SEGMENT_SUM_V2 = _segment_v2("SegmentSumV2", np.add, lambda dt: 0, _NUMBER)
SEGMENT_PROD_V2 = _segment_v2("SegmentProdV2", np.multiply, lambda dt: 1, _NUMBER)
SEGMENT_MAX_V2 = _segment_v2("SegmentMaxV2", np.maximum, lambda dt: _extreme(dt, False),
                             _REAL)
SEGMENT_MIN_V2 = _segment_v2("SegmentMinV2", np.minimum, lambda dt: _extreme(dt, True),
                             _REAL)
