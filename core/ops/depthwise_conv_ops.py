"""Depthwise convolution (DepthwiseConv2dNative and its two backprop ops) and local response
normalization (LRN, LRNGrad): TensorFlow's names, attrs, shape functions and gradient graphs,
and the TF1 ``tf.nn`` wrappers of the native ops. The block rearrangements atrous convolution
runs on (SpaceToBatchND, BatchToSpaceND) are in space_to_batch_ops.py and re-exported here.
What TensorFlow composes in Python from these (tf.nn.depthwise_conv2d, separable_conv2d,
atrous_conv2d, with_space_to_batch) is in nn_convolution.

A depthwise filter is ``[kh, kw, in_channels, multiplier]``; output channel ``k * multiplier +
q`` is input channel ``k`` convolved with ``filter[:, :, k, q]``. The kernels share Conv2D's
attr validation and window geometry (conv_ops, _conv_util), work in NHWC (NCHW is transposed in
and out) and loop in Python only over the kh*kw taps, each a whole-array multiply-add on a
strided view of the padded input.

``__all__`` lists the ``tf.nn`` names (core/nn.py star-imports it); the root's
``tf.space_to_batch_nd``, ``tf.space_to_batch`` and ``tf.batch_to_space`` (TF1's square-block
forms) are imported by core/__init__.py.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from . import array_ops
from ._conv_util import (_FLOAT_TYPES, _check_4d, _convert_padding, _crop, _dims4, _format_list,
                         _from_nhwc, _geometry, _merge, _nhwc, _nhwc_list, _pad, _require,
                         _shaped_like, _taps)
from .conv_ops import _check_out_backprop, _conv_window, _sizes_spec
from .space_to_batch_ops import (BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND,  # noqa: F401
                                 batch_to_space, batch_to_space_nd, space_to_batch,
                                 space_to_batch_nd)

__all__ = ["depthwise_conv2d_native", "depthwise_conv2d_native_backprop_input",
           "depthwise_conv2d_native_backprop_filter", "depthwise_conv2d_backprop_input",
           "depthwise_conv2d_backprop_filter", "lrn", "local_response_normalization",
           "space_to_batch"]


# -- DepthwiseConv2dNative and its backprop ops -------------------------------------------------


def _window(op, strides, padding, explicit_paddings, data_format, dilations):
    return _conv_window(op, tuple(strides), tuple(dilations), padding, tuple(explicit_paddings),
                        data_format)


def _acc_dtype(*arrays):
    # float16 backprops sum many products: accumulate in float32 (the forward op rounds to
    # half after every tap, as TF's kernel does: _dw_forward_half).
    dtype = np.result_type(*arrays)
    return np.float32 if dtype == np.float16 else dtype


def _dw_forward(xp, f, oh, ow, win):
    n, c = xp.shape[0], xp.shape[3]
    kh, kw, _, m = f.shape
    if xp.dtype == np.float16:
        return _dw_forward_half(xp, f, oh, ow, win)
    acc = _acc_dtype(xp, f)
    out = np.zeros((n, oh, ow, c, m), acc)
    part = np.empty_like(out)
    for t, rows, cols in _taps(kh, kw, oh, ow, win):
        np.multiply(xp[:, rows, cols, :, None], f[t // kw, t % kw], out=part)
        out += part
    return out.reshape(n, oh, ow, c * m)


def _dw_forward_half(xp, f, oh, ow, win):
    """TF's CPU kernel for half (DepthwiseConv2DKernel) keeps its accumulator in half: each tap
    is one Eigen pmadd, the product and sum in float32, rounded to half, taps in row-major
    order. A half product is exact in float32, so FMA or not gives the same bits."""
    n, c = xp.shape[0], xp.shape[3]
    kh, kw, _, m = f.shape
    out = np.zeros((n, oh, ow, c, m), np.float16)
    part = np.empty(out.shape, np.float32)
    for t, rows, cols in _taps(kh, kw, oh, ow, win):
        np.multiply(xp[:, rows, cols, :, None], f[t // kw, t % kw], out=part, dtype=np.float32)
        part += out
        out[...] = part
    return out.reshape(n, oh, ow, c * m)


def _dw_backprop_input(dy, f, padded_shape, win):
    """Per tap, dy times the tap's weights summed over the multiplier, added into the padded
    input where that tap read."""
    n, oh, ow, _ = dy.shape
    kh, kw, c, m = f.shape
    dy5 = dy.reshape(n, oh, ow, c, m)
    dxp = np.zeros(padded_shape, _acc_dtype(dy, f))
    for t, rows, cols in _taps(kh, kw, oh, ow, win):
        ft = f[t // kw, t % kw]
        dxp[:, rows, cols] += dy5[..., 0] * ft[:, 0] if m == 1 else (dy5 * ft).sum(axis=-1)
    return dxp


def _dw_backprop_filter(xp, dy, kh, kw, win):
    n, oh, ow, cm = dy.shape
    c = xp.shape[3]
    acc = _acc_dtype(xp, dy)
    dy3 = dy.reshape(-1, c, cm // c).astype(acc, copy=False)
    df = np.empty((kh, kw, c, cm // c), acc)
    for t, rows, cols in _taps(kh, kw, oh, ow, win):
        xs = xp[:, rows, cols].reshape(-1, c).astype(acc, copy=False)
        df[t // kw, t % kw] = np.einsum("pc,pcm->cm", xs, dy3)
    return df


def _check_depth(what, c, fc):
    if c != fc:
        raise InvalidArgumentError(None, None, f"{what}: input and filter must have the same "
                                   f"depth: {c} vs {fc}")


def _sizes(values, what):
    sizes = [int(v) for v in np.asarray(values).reshape(-1)]
    if len(sizes) != 4 or min(sizes) < 0:
        raise InvalidArgumentError(None, None, f"{what} must hold 4 non-negative values, got "
                                   f"{sizes}")
    return sizes


def _depthwise_kernel(input, filter, *, strides, padding, explicit_paddings,  # noqa: A002
                      data_format, dilations):
    win = _window("DepthwiseConv2dNative", strides, padding, explicit_paddings, data_format,
                  dilations)
    _check_4d(input, "input")
    _check_4d(filter, "filter")
    x = _nhwc(input, win.nchw)
    n, h, w, c = x.shape
    kh, kw, fc, _ = filter.shape
    _check_depth("DepthwiseConv2dNative", c, fc)
    oh, ow, pads = _geometry(h, w, kh, kw, win, at_run_time=True)
    out = _dw_forward(_pad(x, pads), filter, oh, ow, win)
    return _from_nhwc(out.astype(input.dtype, copy=False), win.nchw)


def _depthwise_backprop_input_kernel(input_sizes, filter, out_backprop, *, strides,  # noqa: A002
                                     padding, explicit_paddings, data_format, dilations):
    op = "DepthwiseConv2dNativeBackpropInput"
    win = _window(op, strides, padding, explicit_paddings, data_format, dilations)
    _check_4d(filter, "filter")
    _check_4d(out_backprop, "out_backprop")
    n, h, w, c = _nhwc_list(_sizes(input_sizes, f"{op}: input_sizes"), win.nchw)
    kh, kw, fc, m = filter.shape
    _check_depth(op, c, fc)
    oh, ow, pads = _geometry(h, w, kh, kw, win, at_run_time=True)
    dy = _nhwc(out_backprop, win.nchw)
    _check_out_backprop(op, dy, n, oh, ow, c * m)
    if dy.size == 0:  # no output position saw the input: zeros
        return _from_nhwc(np.zeros((n, h, w, c), filter.dtype), win.nchw)
    padded = (n, h + pads[0] + pads[1], w + pads[2] + pads[3], c)
    dxp = _dw_backprop_input(dy, filter, padded, win)
    return _from_nhwc(_crop(dxp, pads, h, w).astype(filter.dtype, copy=False), win.nchw)


def _depthwise_backprop_filter_kernel(input, filter_sizes, out_backprop, *, strides,  # noqa: A002
                                      padding, explicit_paddings, data_format, dilations):
    op = "DepthwiseConv2dNativeBackpropFilter"
    win = _window(op, strides, padding, explicit_paddings, data_format, dilations)
    _check_4d(input, "input")
    _check_4d(out_backprop, "out_backprop")
    kh, kw, fc, m = _sizes(filter_sizes, f"{op}: filter_sizes")
    x = _nhwc(input, win.nchw)
    n, h, w, c = x.shape
    _check_depth(op, c, fc)
    oh, ow, pads = _geometry(h, w, kh, kw, win, at_run_time=True)
    dy = _nhwc(out_backprop, win.nchw)
    _check_out_backprop(op, dy, n, oh, ow, c * m)
    if dy.size == 0 or x.size == 0:  # no output position saw the input: zeros
        return np.zeros((kh, kw, fc, m), input.dtype)
    return _dw_backprop_filter(_pad(x, pads), dy, kh, kw, win).astype(input.dtype, copy=False)


def _depthwise_infer(x, f, *, strides, padding, explicit_paddings, data_format, dilations):
    _require(x, "input", _FLOAT_TYPES)
    win = _window("DepthwiseConv2dNative", strides, padding, explicit_paddings, data_format,
                  dilations)
    n, h, w, c = _nhwc_list(_dims4(x.shape), win.nchw)
    kh, kw, fc, m = _dims4(f.shape)
    c = _merge(c, fc)
    oh, ow, _ = _geometry(h, w, kh, kw, win)
    depth = c * m if c is not None and m is not None else None
    return [TensorSpec(_format_list([n, oh, ow, depth], win.nchw), x.dtype)]


def _depthwise_backprop_input_infer(sizes, f, dy, *, strides, padding, explicit_paddings,
                                    data_format, dilations):
    _require(f, "filter", _FLOAT_TYPES)
    _window("DepthwiseConv2dNativeBackpropInput", strides, padding, explicit_paddings,
            data_format, dilations)
    _dims4(f.shape)
    _dims4(dy.shape)
    return _sizes_spec(sizes, f.dtype)


def _depthwise_backprop_filter_infer(x, sizes, dy, *, strides, padding, explicit_paddings,
                                     data_format, dilations):
    _require(x, "input", _FLOAT_TYPES)
    _window("DepthwiseConv2dNativeBackpropFilter", strides, padding, explicit_paddings,
            data_format, dilations)
    _dims4(x.shape)
    _dims4(dy.shape)
    return _sizes_spec(sizes, x.dtype)


def _dw_attrs(op) -> dict:
    return {k: op._get_attr(k) for k in ("strides", "padding", "explicit_paddings", "data_format",
                                        "dilations")}


# TensorFlow's gradient rules (nn_grad.py), each backprop op differentiated through the other
# and the forward op, so second derivatives work as there.
def _depthwise_grad(op, dy):
    x, f = op.inputs
    attrs = _dw_attrs(op)
    return [_shaped_like(DEPTHWISE_CONV2D_NATIVE_BACKPROP_INPUT(array_ops.shape(x), f, dy,
                                                                **attrs), x),
            _shaped_like(DEPTHWISE_CONV2D_NATIVE_BACKPROP_FILTER(x, array_ops.shape(f), dy,
                                                                 **attrs), f)]


def _depthwise_backprop_input_grad(op, grad):
    _, f, dy = op.inputs
    attrs = _dw_attrs(op)
    return [None,
            _shaped_like(DEPTHWISE_CONV2D_NATIVE_BACKPROP_FILTER(grad, array_ops.shape(f), dy,
                                                                 **attrs), f),
            DEPTHWISE_CONV2D_NATIVE(grad, f, **attrs)]


def _depthwise_backprop_filter_grad(op, grad):
    x, _, dy = op.inputs
    attrs = _dw_attrs(op)
    return [_shaped_like(DEPTHWISE_CONV2D_NATIVE_BACKPROP_INPUT(array_ops.shape(x), grad, dy,
                                                                **attrs), x),
            None,
            DEPTHWISE_CONV2D_NATIVE(x, grad, **attrs)]


_DW_ATTRS = {"strides": req("list(int)"), "padding": req("string"), "explicit_paddings": [],
             "data_format": "NHWC", "dilations": [1, 1, 1, 1]}

DEPTHWISE_CONV2D_NATIVE = register(OpDef(
    "DepthwiseConv2dNative", inputs=["input:T", "filter:T"], attrs=dict(_DW_ATTRS),
    kernel=_depthwise_kernel, infer=_depthwise_infer, grad=_depthwise_grad,
))
DEPTHWISE_CONV2D_NATIVE_BACKPROP_INPUT = register(OpDef(
    "DepthwiseConv2dNativeBackpropInput",
    inputs=["input_sizes:int32", "filter:T", "out_backprop:T"], attrs=dict(_DW_ATTRS),
    kernel=_depthwise_backprop_input_kernel, infer=_depthwise_backprop_input_infer,
    grad=_depthwise_backprop_input_grad,
))
DEPTHWISE_CONV2D_NATIVE_BACKPROP_FILTER = register(OpDef(
    "DepthwiseConv2dNativeBackpropFilter",
    inputs=["input:T", "filter_sizes:int32", "out_backprop:T"], attrs=dict(_DW_ATTRS),
    kernel=_depthwise_backprop_filter_kernel, infer=_depthwise_backprop_filter_infer,
    grad=_depthwise_backprop_filter_grad,
))


# -- LRN -----------------------------------------------------------------------------------------
# sqr_sum[..., d] = sum(input[..., d - r : d + r + 1] ** 2) over the depth (last) axis;
# output = input / (bias + alpha * sqr_sum) ** beta. TensorFlow allows half and float only;
# minitf also takes float64 (what its numerical gradient checks run in).


def _depth_window_sum(a, r):
    """s[..., d] = sum of a[..., d - r : d + r + 1], clipped to the depth: 2r shifted adds."""
    out = a.copy()
    for k in range(1, min(r, a.shape[-1] - 1) + 1):
        out[..., k:] += a[..., :-k]
        out[..., :-k] += a[..., k:]
    return out


def _check_radius(depth_radius):
    if depth_radius < 0:
        raise shape_error(f"LRN: depth_radius = {depth_radius} must be non-negative")


def _lrn_norm(x, depth_radius, bias, alpha):
    return bias + alpha * _depth_window_sum(x * x, depth_radius)


def _lrn_kernel(input, *, depth_radius, bias, alpha, beta):  # noqa: A002
    _check_radius(depth_radius)
    if input.ndim != 4:
        raise InvalidArgumentError(None, None, f"LRN: input must be 4-dimensional, got shape "
                                   f"{list(input.shape)}")
    x = input.astype(_acc_dtype(input), copy=False)
    return (x * _lrn_norm(x, depth_radius, bias, alpha) ** -beta).astype(input.dtype,
                                                                        copy=False)


def _lrn_grad_kernel(input_grads, input_image, output_image, *, depth_radius, bias, alpha,
                     beta):
    # TensorFlow's CPU rule: dx_k = g_k * norm_k**-beta
    #   - 2 * alpha * beta * x_k * sum over the window j of k of (g_j * y_j / norm_j).
    _check_radius(depth_radius)
    arrays = (input_grads, input_image, output_image)
    if any(a.ndim != 4 for a in arrays):
        raise InvalidArgumentError(None, None, "LRNGrad: inputs must be 4-dimensional")
    if not input_grads.shape == input_image.shape == output_image.shape:
        raise InvalidArgumentError(None, None, "LRNGrad: input_grads, input_image, and "
                                   "out_image should have the same shape, got "
                                   f"{[list(a.shape) for a in arrays]}")
    acc = _acc_dtype(input_image)
    g, x, y = (a.astype(acc, copy=False) for a in arrays)
    norm = _lrn_norm(x, depth_radius, bias, alpha)
    dx = g * norm ** -beta - 2 * alpha * beta * x * _depth_window_sum(g * y / norm, depth_radius)
    return dx.astype(input_image.dtype, copy=False)


def _lrn_infer(x, *, depth_radius, bias, alpha, beta):
    _require(x, "input", _FLOAT_TYPES)
    _check_radius(depth_radius)
    return [TensorSpec(_dims4(x.shape), x.dtype)]


def _lrn_grad_infer(g, x, y, *, depth_radius, bias, alpha, beta):
    _require(x, "input_image", _FLOAT_TYPES)
    _check_radius(depth_radius)
    dims = [_merge(a, _merge(b, c)) for a, b, c in zip(_dims4(g.shape), _dims4(x.shape),
                                                         _dims4(y.shape))]
    return [TensorSpec(dims, x.dtype)]


def _lrn_attrs(op) -> dict:
    return {k: op._get_attr(k) for k in ("depth_radius", "bias", "alpha", "beta")}


def _lrn_grad_grad(op, grad):
    # TensorFlow registers no gradient for LRNGrad: second derivatives of LRN are refused.
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: LRNGrad)")


_LRN_ATTRS = {"depth_radius": 5, "bias": 1.0, "alpha": 1.0, "beta": 0.5}

LRN = register(OpDef(
    "LRN", inputs=["input:T"], attrs=dict(_LRN_ATTRS),
    kernel=_lrn_kernel, infer=_lrn_infer,
    grad=lambda op, dy: [LRN_GRAD(dy, op.inputs[0], op.outputs[0], **_lrn_attrs(op))],
))
LRN_GRAD = register(OpDef(
    "LRNGrad", inputs=["input_grads:T", "input_image:T", "output_image:T"],
    attrs=dict(_LRN_ATTRS),
    kernel=_lrn_grad_kernel, infer=_lrn_grad_infer, grad=_lrn_grad_grad,
))


# -- tf.nn wrappers (TF1 signatures and node names) ----------------------------------------------


def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC",  # noqa: A002
                            dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """``tf.nn.depthwise_conv2d_native`` (TF1): a DepthwiseConv2dNative node; ``padding`` may
    be a list of 4 (before, after) pairs (EXPLICIT)."""
    padding, explicit = _convert_padding(padding)
    return DEPTHWISE_CONV2D_NATIVE(input, filter, strides=strides, padding=padding,
                                   explicit_paddings=explicit, data_format=data_format or "NHWC",
                                   dilations=dilations, name=name)


def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop,  # noqa: A002
                                           strides, padding, data_format="NHWC",
                                           dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """``tf.nn.depthwise_conv2d_native_backprop_input`` (also ``depthwise_conv2d_backprop_input``):
    the gradient of depthwise_conv2d_native with respect to its input."""
    padding, explicit = _convert_padding(padding)
    return DEPTHWISE_CONV2D_NATIVE_BACKPROP_INPUT(
        input_sizes, filter, out_backprop, strides=strides, padding=padding,
        explicit_paddings=explicit, data_format=data_format or "NHWC", dilations=dilations,
        name=name)


def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop,  # noqa: A002
                                            strides, padding, data_format="NHWC",
                                            dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """``tf.nn.depthwise_conv2d_native_backprop_filter`` (also
    ``depthwise_conv2d_backprop_filter``): the gradient with respect to the filter."""
    padding, explicit = _convert_padding(padding)
    return DEPTHWISE_CONV2D_NATIVE_BACKPROP_FILTER(
        input, filter_sizes, out_backprop, strides=strides, padding=padding,
        explicit_paddings=explicit, data_format=data_format or "NHWC", dilations=dilations,
        name=name)


depthwise_conv2d_backprop_input = depthwise_conv2d_native_backprop_input
depthwise_conv2d_backprop_filter = depthwise_conv2d_native_backprop_filter


def lrn(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, name=None):  # noqa: A002
    """``tf.nn.lrn`` / ``tf.nn.local_response_normalization``: an LRN node over the depth (last)
    axis of a 4-D input."""
    return LRN(input, depth_radius=depth_radius, bias=bias, alpha=alpha, beta=beta, name=name)


local_response_normalization = lrn
