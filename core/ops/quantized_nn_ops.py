"""TF 1.x's quantized neural-network ops: QuantizedRelu, QuantizedRelu6, QuantizedReluX,
QuantizedMaxPool, QuantizedAvgPool, QuantizedConv2D and QuantizedResizeBilinear, with the
``tf.nn`` wrappers ``quantized_relu_x``, ``quantized_max_pool``, ``quantized_avg_pool`` and
``quantized_conv2d`` (QuantizedRelu, QuantizedRelu6 and QuantizedResizeBilinear have no public
name in TF: they are here so TF GraphDefs that hold them import and run). QuantizedMatMul,
QuantizedBiasAdd, QuantizedAdd and QuantizedMul are in quantized_math_ops.py; Requantize and
its kin in requantize_ops.py.

Each op takes quantized integers and the float range (min, max) they stand for, and returns
integers with their range: an (output, min_output, max_output) triple. The kernels follow TF
2.21's CPU kernels (quantized_activation_ops.cc, quantized_pooling_ops.cc,
quantized_conv_ops.cc, quantized_resize_bilinear_op.cc) operation by operation, integer
overflow and padding quirks included, and take the types TF registers kernels for (other
quantized types build, as in TF, and fail at run time with TF's "No OpKernel was registered"
error). Checked bit for bit against TF in tests/core/test_quantized_nn_ops.py (and
test_quant_probe_fixes.py for QuantizedResizeBilinear).

One difference: TF 2.21's binary registers no kernel for QuantizedReluX (the kernel is in its
source, quantized_activation_ops.cc, but not linked), so ``tf.nn.quantized_relu_x`` fails in
TF at run time; minitf runs that source's kernel (QuantizedRelu6's with 6 replaced by
``max_value``) for the types it names, quint8 and qint32.

TF registers no gradient for any of them: asking for one raises LookupError."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import InternalError, InvalidArgumentError, UnimplementedError
from ..graph import convert_to_tensor
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from ._conv_util import (_check_groups, _dims4, _out_dim, _pad, _require, _taps, _tap_valid,
                         _Window)
from ._quantize_util import F32, LIMITS, with_rank
from .image_ops import _check_resize, _rank4, _size_hw
from .quantized_util import (check_out_type, float_to_quantized, no_kernel,
                              range_for_multiplication, run_scalar, storage_type, to_int32,
                              unclamped_offset)
from .quantize_ops import _check_quantized

__all__ = ["quantized_relu_x", "quantized_max_pool", "quantized_avg_pool", "quantized_conv2d"]

QuantizedReluX = collections.namedtuple("QuantizedReluX",
                                        ["activations", "min_activations", "max_activations"])
QuantizedMaxPool = collections.namedtuple("QuantizedMaxPool",
                                          ["output", "min_output", "max_output"])
QuantizedAvgPool = collections.namedtuple("QuantizedAvgPool",
                                          ["output", "min_output", "max_output"])
QuantizedConv2D = collections.namedtuple("QuantizedConv2D",
                                         ["output", "min_output", "max_output"])


# -- QuantizedRelu, QuantizedRelu6, QuantizedReluX ----------------------------------------------
def _relu_common(op, features, min_features, max_features, out_type):
    T = storage_type(features)
    if T is not out_type or T not in (_dt.quint8, _dt.qint32):
        raise no_kernel(op, {"Tinput": T, "out_type": out_type},
                        "(Tinput, out_type) (quint8, quint8) or (qint32, qint32)")
    lo = run_scalar(min_features, "`min_input` must be rank 0 but is rank {rank}")
    hi = run_scalar(max_features, "`max_input` must be rank 0 but is rank {rank}")
    return np.asarray(features), T, np.asarray(lo), np.asarray(hi)


def _clamp(x, T, low, high=None):
    """``x.cwiseMax(low)[.cwiseMin(high)]`` (high after low: it wins when they cross)."""
    out = np.maximum(x, T._np(low))
    return out if high is None else np.minimum(out, T._np(high))


def _relu_kernel(features, min_features, max_features, *, out_type):
    x, T, lo, hi = _relu_common("QuantizedRelu", features, min_features, max_features, out_type)
    return _clamp(x, T, float_to_quantized(0.0, lo, hi, T)), lo, hi


def _relu6_kernel(features, min_features, max_features, *, out_type):
    x, T, lo, hi = _relu_common("QuantizedRelu6", features, min_features, max_features,
                                out_type)
    return (_clamp(x, T, float_to_quantized(0.0, lo, hi, T),
                   float_to_quantized(6.0, lo, hi, T)), lo, hi)


def _relu_x_kernel(features, max_value, min_features, max_features, *, out_type):
    x, T, lo, hi = _relu_common("QuantizedReluX", features, min_features, max_features,
                                out_type)
    top = run_scalar(max_value, "`max_value` must be rank 0 but is rank {rank}")
    return (_clamp(x, T, float_to_quantized(0.0, lo, hi, T),
                   float_to_quantized(top, lo, hi, T)), lo, hi)


def _relu_infer(features, *ranges, out_type):
    _check_quantized(features.dtype, "features")
    check_out_type(out_type, "out_type")
    for r in ranges:
        with_rank(r, 0)
    return [TensorSpec(features.shape, out_type), TensorSpec([], _dt.float32),
            TensorSpec([], _dt.float32)]


def _relu_op(op_type, kernel, extra=(), doc=""):
    return register(OpDef(
        op_type, inputs=["features:Tinput", *extra, "min_features:float32",
                         "max_features:float32"],
        attrs={"out_type": _dt.quint8}, kernel=kernel, infer=_relu_infer, grad=NO_GRADIENT,
        doc=doc))


QUANTIZED_RELU = _relu_op("QuantizedRelu", _relu_kernel,
                          doc="max(features, 0) on quantized values")
QUANTIZED_RELU6 = _relu_op("QuantizedRelu6", _relu6_kernel,
                           doc="min(max(features, 0), 6) on quantized values")
QUANTIZED_RELU_X = _relu_op("QuantizedReluX", _relu_x_kernel, extra=("max_value:float32",),
                            doc="min(max(features, 0), max_value) on quantized values")


def quantized_relu_x(features, max_value, min_features, max_features, out_type=_dt.quint8,
                     name=None) -> QuantizedReluX:
    """``tf.nn.quantized_relu_x``: ``min(max(features, 0), max_value)`` with 0 and
    ``max_value`` quantized into the features' range; the range passes through unchanged."""
    return QuantizedReluX(*QUANTIZED_RELU_X(features, max_value, min_features, max_features,
                                            out_type=_dt.as_dtype(out_type), name=name))


# -- QuantizedMaxPool, QuantizedAvgPool ---------------------------------------------------------
def _check_padding(op, padding):
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"Attr 'padding' of '{op}' Op passed string '{padding}' not in: "
                         '"SAME", "VALID".')


def _pool_attrs_infer(op, ksize, strides):
    name = "MaxPool" if op == "QuantizedMaxPool" else "AvgPool"
    for attr, values in (("ksize", ksize), ("strides", strides)):
        if len(values) != 4:
            raise shape_error(f"{name} requires the {attr.rstrip('s')} attribute to contain 4 "
                              f"values, but got: {len(values)}")
    for s in strides:
        if s <= 0:
            raise shape_error(f"Stride must be > 0, but got {s}")


def _max_pool_infer(x, min_input, max_input, *, ksize, strides, padding):
    _check_quantized(x.dtype, "input")
    _check_padding("QuantizedMaxPool", padding)
    _pool_attrs_infer("QuantizedMaxPool", ksize, strides)
    out = _spatial_out(x, ksize, strides, padding)
    out.append(_out_dim(out.pop(), ksize[3], strides[3], 1, padding, (0, 0))[0])
    with_rank(min_input, 0)
    with_rank(max_input, 0)
    return [TensorSpec(out, x.dtype), TensorSpec([], _dt.float32), TensorSpec([], _dt.float32)]


def _avg_pool_infer(x, min_input, max_input, *, ksize, strides, padding):
    _check_quantized(x.dtype, "input")
    _check_padding("QuantizedAvgPool", padding)
    _pool_attrs_infer("QuantizedAvgPool", ksize, strides)
    out = _spatial_out(x, ksize, strides, padding)
    with_rank(min_input, 0)
    with_rank(max_input, 0)
    return [TensorSpec(out, x.dtype), TensorSpec([], _dt.float32), TensorSpec([], _dt.float32)]


def _spatial_out(x, ksize, strides, padding):
    """[n, out_h, out_w, c] of TF's pooling shape functions (None where unknown)."""
    n, h, w, c = _dims4(x.shape)
    return [n, _out_dim(h, ksize[1], strides[1], 1, padding, (0, 0))[0],
            _out_dim(w, ksize[2], strides[2], 1, padding, (0, 0))[0], c]


def _pool_setup(op, x, min_input, max_input, ksize, strides, padding, types):
    """The checks TF's pooling kernels make at run time, in their order; the window."""
    T = storage_type(x)
    if T not in types:
        raise no_kernel(op, {"T": T}, "T in [" + ", ".join(
            f"DT_{t.name.upper()}" for t in types) + "]")
    if ksize[0] != 1 or strides[0] != 1:
        raise UnimplementedError(None, None, "Pooling is not yet supported on the batch "
                                 "dimension.")
    lo = run_scalar(min_input, "min_input shape must be rank 0 but is rank {rank}, received "
                    "shape: {shape}")
    hi = run_scalar(max_input, "max_input shape must be rank 0 but is rank {rank}, received "
                    "shape: {shape}")
    x = np.asarray(x)
    if x.ndim != 4:
        raise InvalidArgumentError(None, None, "tensor_in_shape must have 2 spatial dimensions. "
                                   f"{x.ndim} 0")
    if any(k <= 0 for k in ksize):
        raise InvalidArgumentError(None, None, "Sliding window ksize must be positive. The "
                                   f"specified or inferred ksize is: {','.join(map(str, ksize))}")
    if ksize[3] > 1 and (ksize[1] != 1 or ksize[2] != 1):
        raise UnimplementedError(None, None, "MaxPooling supports exactly one of pooling across "
                                 "depth or pooling across width/height.")
    win = _Window(ksize[1], ksize[2], strides[1], strides[2], 1, 1, padding, (0, 0, 0, 0), False)
    oh, pt, pb = _out_dim(x.shape[1], ksize[1], strides[1], 1, padding, (0, 0), True)
    ow, pl, pr = _out_dim(x.shape[2], ksize[2], strides[2], 1, padding, (0, 0), True)
    return (x, T, np.asarray(lo), np.asarray(hi), win, oh, ow,
            (pt or 0, pb or 0, pl or 0, pr or 0))


def _max_pool_kernel(input, min_input, max_input, *, ksize, strides, padding):  # noqa: A002
    """MaxPoolingOp's SpatialMaxPool (or DepthwiseMaxPool): the largest real element of each
    window (padding never wins: it is the type's lowest value)."""
    x, T, lo, hi, win, oh, ow, pads = _pool_setup(
        "QuantizedMaxPool", input, min_input, max_input, ksize, strides, padding,
        (_dt.qint8, _dt.quint8))
    if ksize[3] > 1:  # depthwise: a window over the channels only, no padding, no overlap
        if x.shape[3] % ksize[3]:
            raise UnimplementedError(None, None, "Depthwise max pooling requires the depth "
                                     "window to evenly divide the input depth")
        if strides[3] != ksize[3]:
            raise UnimplementedError(None, None, "Depthwise max pooling requires the depth "
                                     "window to equal the depth stride")
        n, h, w, c = x.shape
        return x.reshape(n, h, w, c // ksize[3], ksize[3]).max(axis=4, initial=LIMITS[T][0]), \
            lo, hi
    out = np.full((x.shape[0], oh, ow, x.shape[3]), LIMITS[T][0], x.dtype)
    xp = _pad(x, pads, LIMITS[T][0])
    if out.size:
        for _, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
            np.maximum(out, xp[:, rows, cols], out=out)
    return out, lo, hi


def _avg_pool_kernel(input, min_input, max_input, *, ksize, strides, padding):  # noqa: A002
    """SpatialAvgPool on the values cast to int32: the int32 sum of each window's real
    elements (wrapping on overflow), divided by their count truncating toward zero, then
    clamped into the type. That is TF's reference kernel (TF_ENABLE_ONEDNN_OPTS=0); TF's
    oneDNN rewrite, on by default on x86, rounds the mean half to even instead (1.75 -> 2)."""
    x, T, lo, hi, win, oh, ow, pads = _pool_setup(
        "QuantizedAvgPool", input, min_input, max_input, ksize, strides, padding,
        (_dt.qint8, _dt.quint8))
    if ksize[3] != 1:
        raise UnimplementedError(None, None, "Non-spatial pooling is not yet supported. "
                                 "Volunteers? :)")
    n, h, w, c = x.shape
    total = np.zeros((n, oh, ow, c), np.int64)
    xp = _pad(x.astype(np.int64), pads)
    if total.size:
        for _, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
            total += xp[:, rows, cols]
    rows = _tap_valid(h, oh, win.kh, win.sh, pads[0]).sum(axis=0)
    cols = _tap_valid(w, ow, win.kw, win.sw, pads[2]).sum(axis=0)
    count = (rows[:, None] * cols[None, :]).astype(np.int64)[None, :, :, None]
    total = total.astype(np.int32).astype(np.int64)  # the int32 accumulator's wrap-around
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, np.abs(total) // np.maximum(count, 1) * np.sign(total), 0)
    return np.clip(mean, *LIMITS[T]).astype(x.dtype), lo, hi


_POOL_ATTRS = {"ksize": req("list(int)"), "strides": req("list(int)"), "padding": req("string")}
QUANTIZED_MAX_POOL = register(OpDef(
    "QuantizedMaxPool", inputs=["input:T", "min_input:float32", "max_input:float32"],
    attrs=dict(_POOL_ATTRS), kernel=_max_pool_kernel, infer=_max_pool_infer, grad=NO_GRADIENT,
    doc="max pooling of quantized values (the range passes through)",
))
QUANTIZED_AVG_POOL = register(OpDef(
    "QuantizedAvgPool", inputs=["input:T", "min_input:float32", "max_input:float32"],
    attrs=dict(_POOL_ATTRS), kernel=_avg_pool_kernel, infer=_avg_pool_infer, grad=NO_GRADIENT,
    doc="average pooling of quantized values in integers (the range passes through)",
))


def quantized_max_pool(input, min_input, max_input, ksize, strides, padding,  # noqa: A002
                       name=None) -> QuantizedMaxPool:
    """``tf.nn.quantized_max_pool``: MaxPool over an NHWC quantized tensor."""
    return QuantizedMaxPool(*QUANTIZED_MAX_POOL(input, min_input, max_input, ksize=list(ksize),
                                                strides=list(strides), padding=padding,
                                                name=name))


def quantized_avg_pool(input, min_input, max_input, ksize, strides, padding,  # noqa: A002
                       name=None) -> QuantizedAvgPool:
    """``tf.nn.quantized_avg_pool``: AvgPool over an NHWC quantized tensor, in integers."""
    return QuantizedAvgPool(*QUANTIZED_AVG_POOL(input, min_input, max_input, ksize=list(ksize),
                                                strides=list(strides), padding=padding,
                                                name=name))


# -- QuantizedConv2D ----------------------------------------------------------------------------
def _origin_offset(out, stride, k, size, padding):
    """Im2ColConvFunctor's ``filter_top_offset``: half the excess of the windows over the
    input, plus one first with VALID, in C++ division (truncating toward zero). Where the
    excess is negative (a stride larger than the window) the windows move one element on
    from where Conv2D puts them (VALID, excess -3: -1) or stay (SAME, excess -1: 0)."""
    excess = (out - 1) * stride + k - size + (1 if padding == "VALID" else 0)
    return int(excess / 2)


def _patch_index(size, out, k, stride, padding):
    """(out, k) input positions each window tap reads, and whether each is inside."""
    pos = (np.arange(out)[:, None] * stride - _origin_offset(out, stride, k, size, padding)
           + np.arange(k)[None, :])
    return np.clip(pos, 0, max(size - 1, 0)), (pos >= 0) & (pos < size)


def _conv2d_kernel(input, filter, min_input, max_input, min_filter,  # noqa: A002
                   max_filter, *, out_type, strides, padding, dilations):
    x, f = np.asarray(input), np.asarray(filter)
    T1, T2 = storage_type(x), storage_type(f)
    if (T1, T2, out_type) != (_dt.quint8, _dt.quint8, _dt.qint32):
        raise no_kernel("QuantizedConv2D", {"Tinput": T1, "Tfilter": T2, "out_type": out_type},
                        "(Tinput, Tfilter, out_type) = (quint8, quint8, qint32)")
    if strides[1] != strides[2]:
        raise InvalidArgumentError(None, None, "Current implementation only supports equal "
                                   "length strides in the row and column dimensions.")
    if strides[0] != 1 or strides[3] != 1:
        raise InvalidArgumentError(None, None, "Current implementation does not yet support "
                                   "strides in the batch and depth dimensions.")
    if dilations[0] != 1 or dilations[3] != 1:
        raise InvalidArgumentError(None, None, "Current implementation does not yet support "
                                   "dilations in the batch and depth dimensions.")
    if dilations[1] != 1 or dilations[2] != 1:
        raise InvalidArgumentError(None, None, "Current implementation only supports dilated "
                                   "rate as 1 in the row and column dimensions.")
    for arr, what in ((x, "input"), (f, "filter")):
        if arr.ndim != 4:
            raise InvalidArgumentError(None, None, f"{what} must be rank 4 but is rank "
                                       f"{arr.ndim}")
    ranges = [run_scalar(v, f"{what} must be rank 0 but is rank {{rank}}") for v, what in
              ((min_input, "min_input"), (max_input, "max_input"),
               (min_filter, "min_filter"), (max_filter, "max_filter"))]
    n, h, w, c = x.shape
    kh, kw, fc, o = f.shape
    if c != fc:
        raise InvalidArgumentError(None, None, "input and filter must have the same depth: "
                                   f"{c} vs {fc}")
    if n == 0:
        raise InvalidArgumentError(None, None, "Invalid input: Shapes dimension cannot be 0.")
    s = strides[1]
    oh = _out_dim(h, kh, s, 1, padding, (0, 0), True)[0]
    ow = _out_dim(w, kw, s, 1, padding, (0, 0), True)[0]
    if min(oh, ow, o) <= 0:  # TF's CHECK_GT: its process aborts
        raise InvalidArgumentError(None, None, f"QuantizedConv2D has an empty output "
                                   f"[{n},{oh},{ow},{o}] (TensorFlow aborts on CHECK_GT here)")
    off_in = to_int32(unclamped_offset(ranges[0], ranges[1], T1))
    off_f = to_int32(unclamped_offset(ranges[2], ranges[3], T2))
    # Outside the image the im2col buffer holds input_offset as a quint8 (its low byte); with a
    # negative offset TF runs its reference functor instead, where outside counts as zero.
    outside = off_in if off_in < 0 else off_in & 0xFF
    ri, rv = _patch_index(h, oh, kh, s, padding)
    ci, cv = _patch_index(w, ow, kw, s, padding)
    patches = x.astype(np.int64)[:, ri[:, None, :, None], ci[None, :, None, :]]  # n,oh,ow,kh,kw,c
    inside = (rv[:, None, :, None] & cv[None, :, None, :])[None, ..., None]
    patches = np.where(inside, patches, np.int64(outside)) - off_in
    weights = f.astype(np.int64).reshape(kh * kw * c, o) - off_f
    total = patches.reshape(n * oh * ow, kh * kw * c) @ weights  # wraps like int32, mod 2**32
    out = total.astype(np.int32).reshape(n, oh, ow, o)
    mn, mx = range_for_multiplication(*ranges, T1, T2, out_type)
    return out, mn, mx


def _conv2d_infer(x, f, *ranges, out_type, strides, padding, dilations):
    _check_quantized(x.dtype, "input")
    _check_padding("QuantizedConv2D", padding)
    _check_quantized(f.dtype, "filter")
    check_out_type(out_type, "out_type")
    if len(strides) != 4:
        raise shape_error("Conv2D on data format NHWC requires the stride attribute to contain "
                          f"4 values, but got: {len(strides)}")
    if len(dilations) != 4:
        raise shape_error("Conv2D requires the dilation attribute to contain 4 values, but "
                          f"got: {len(dilations)}")
    for s in strides:
        if s <= 0:
            raise shape_error(f"Stride must be > 0, but got {s}")
    n, h, w, c = _dims4(x.shape)
    kh, kw, fc, o = _dims4(f.shape)
    _check_groups(c, fc, o)
    oh = _out_dim(h, kh, strides[1], dilations[1], padding, (0, 0))[0]
    ow = _out_dim(w, kw, strides[2], dilations[2], padding, (0, 0))[0]
    for r in ranges:
        with_rank(r, 0)
    return [TensorSpec([n, oh, ow, o], out_type), TensorSpec([], _dt.float32),
            TensorSpec([], _dt.float32)]


QUANTIZED_CONV2D = register(OpDef(
    "QuantizedConv2D",
    inputs=["input:Tinput", "filter:Tfilter", "min_input:float32", "max_input:float32",
            "min_filter:float32", "max_filter:float32"],
    attrs={"out_type": _dt.qint32, "strides": req("list(int)"), "padding": req("string"),
           "dilations": [1, 1, 1, 1]},
    kernel=_conv2d_kernel, infer=_conv2d_infer, grad=NO_GRADIENT,
    doc="2-D convolution of quantized input and filter, in int32 with their zero points",
))


def quantized_conv2d(input, filter, min_input, max_input, min_filter, max_filter,  # noqa: A002
                     strides, padding, out_type=_dt.qint32, dilations=(1, 1, 1, 1),
                     name=None) -> QuantizedConv2D:
    """``tf.nn.quantized_conv2d``: the sum over each window of (input - its zero point) *
    (filter - its zero point) as qint32, with the range one level of each multiplies to."""
    x = convert_to_tensor(input, name="input")
    return QuantizedConv2D(*QUANTIZED_CONV2D(
        x, filter, min_input, max_input, min_filter, max_filter,
        out_type=_dt.as_dtype(out_type), strides=list(strides), padding=padding,
        dilations=list(dilations), name=name))


# -- QuantizedResizeBilinear --------------------------------------------------------------------
def _lerp_cache(out_size, in_size, align_corners, half_pixel_centers, resolution):
    """ComputeInterpolationWeights of quantized_resize_bilinear_op.cc: per output position the
    lower and upper source index and the weight of the upper one, in float32 and as an integer
    of ``resolution`` fraction bits (truncated)."""
    if align_corners and out_size > 1:  # CalculateResizeScale
        scale = F32(in_size - 1) / F32(out_size - 1)
    else:
        scale = F32(in_size) / F32(out_size)
    i = np.arange(out_size, dtype=F32)
    src = (i + F32(0.5)) * scale - F32(0.5) if half_pixel_centers else i * scale
    low = np.floor(src)
    upper = np.minimum(np.ceil(src).astype(np.int64), in_size - 1)
    lower = np.minimum(np.maximum(low.astype(np.int64), 0), upper)
    lerp = src - low
    return lower, upper, lerp, (lerp * F32(1 << resolution)).astype(np.int64)


def _cdiv(a, b: int):
    """C++ integer division (truncating toward zero) by a positive ``b``."""
    return np.sign(a) * (np.abs(a) // b)


def _resize_kernel(images, size, min, max, *, align_corners, half_pixel_centers):  # noqa: A002
    x = np.asarray(images)
    lo = run_scalar(min, "min must be a scalar")
    hi = run_scalar(max, "max must be a scalar")
    # TF's kernel builds its ImageResizerState with half_pixel_centers false: align_corners
    # with half-pixel centers is no error here, and the corners' scale meets the half pixel.
    x, oh, ow = _check_resize(x, size, align_corners, False)
    n, h, w, c = x.shape
    if n == 0:  # TF's kernel returns before it sets the output range
        raise InternalError(None, None, "Missing 1-th output from QuantizedResizeBilinear (an "
                            "empty batch)")
    if (oh, ow) == (h, w):
        return x.copy(), np.asarray(lo), np.asarray(hi)
    res = {np.dtype(np.uint8): 7, np.dtype(np.int32): 30}.get(x.dtype, 0)
    ylo, yhi, ylerp, yil = _lerp_cache(oh, h, align_corners, half_pixel_centers, res)
    xlo, xhi, xlerp, xil = _lerp_cache(ow, w, align_corners, half_pixel_centers, res)
    rows_lo, rows_hi = x[:, ylo], x[:, yhi]
    tl, tr = rows_lo[:, :, xlo], rows_lo[:, :, xhi]
    bl, br = rows_hi[:, :, xlo], rows_hi[:, :, xhi]
    if res == 0:  # float: ComputeLerpReference, in float32
        xl, yl = xlerp[None, None, :, None], ylerp[None, :, None, None]
        top = tl + (tr - tl) * xl
        bottom = bl + (br - bl) * xl
        return (top + (bottom - top) * yl).astype(F32), np.asarray(lo), np.asarray(hi)
    # ComputeLerp<RESOLUTION>: fixed point with ``resolution`` fraction bits (int16 for quint8,
    # int64 for qint32; neither overflows), C++ divisions truncating toward zero. A qint32
    # widens through its ``operator float`` (rounded to float32), as Eigen's quantized types do.
    one = 1 << res
    xi, yi = xil[None, None, :, None], yil[None, :, None, None]
    tl, tr, bl, br = (a.astype(F32).astype(np.int64) for a in (tl, tr, bl, br))
    top = tl * one + (tr - tl) * xi
    bottom = bl * one + (br - bl) * xi
    out = top + _cdiv(bottom - top, one) * yi
    return _cdiv(out + one // 2, one).astype(x.dtype), np.asarray(lo), np.asarray(hi)


def _resize_infer(images, size, min, max, *, align_corners, half_pixel_centers):  # noqa: A002
    _require(images, "images", (_dt.quint8, _dt.qint32, _dt.float32))
    n, _, _, c = _rank4(images)  # ResizeShapeFn
    h, w = _size_hw(size)
    with_rank(min, 0)
    with_rank(max, 0)
    return [TensorSpec([n, h, w, c], images.dtype), TensorSpec([], _dt.float32),
            TensorSpec([], _dt.float32)]


QUANTIZED_RESIZE_BILINEAR = register(OpDef(
    "QuantizedResizeBilinear",
    inputs=["images:T", "size:int32", "min:float32", "max:float32"],
    attrs={"align_corners": False, "half_pixel_centers": False},
    kernel=_resize_kernel, infer=_resize_infer, grad=NO_GRADIENT,
    doc="ResizeBilinear of quantized images in fixed point; the range passes through",
))
