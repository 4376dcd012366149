"""3-D convolution: Conv3D, Conv3DBackpropInputV2 and Conv3DBackpropFilterV2 (TensorFlow's names,
attrs, shape functions and gradient graph). The TF1 ``tf.nn`` wrappers are in core/nn_conv3d.py;
the window geometry and layout helpers are shared with the 2-D ops (_conv_util).

Kernels work channels-last (NCDHW is transposed in and out) and never loop in Python over batch
or spatial positions, only over the kd*kh*kw kernel taps, and only when im2col does not pay:
- Conv3D: im2col (one copy of a strided window view) and one matmul; above ~2**20 patch
  elements, one matmul per tap on strided views instead;
- Conv3DBackpropInputV2: one (n*od*oh*ow, o) x (o, c) matmul per tap added into the padded input;
- Conv3DBackpropFilterV2: the im2col matrix transposed times out_backprop (one matmul), or one
  matmul per tap when large.
float16 is computed in float32 and rounded once, as TensorFlow's CPU kernels accumulate.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from . import array_ops
from ._conv_util import (_FLOAT_TYPES, _check_format_and_padding, _check_groups, _check_rank,
                         _crop_n, _dims, _disjoint, _format_list_n, _from_last, _geometry_n,
                         _last_list, _pad_n, _require, _shaped_like, _sizes_spec, _taps_n,
                         _to_last, _windows, _WindowN)
from .conv_ops import _IM2COL_MAX_ELEMENTS

_FORMATS = ("NDHWC", "NCDHW")


@functools.lru_cache(maxsize=256)
def _conv3d_window(op, strides, dilations, padding, data_format, batch_depth) -> _WindowN:
    """Validates Conv3D-family attrs (TensorFlow's messages); cached per attr combination.
    ``batch_depth=False`` (the shape functions) skips the batch and depth strides and
    dilations, which TF's shape functions ignore and only its kernels refuse."""
    _check_format_and_padding(op, data_format, padding, _FORMATS, ("SAME", "VALID"))
    for attr, values in (("strides", strides), ("dilations", dilations)):
        if len(values) < 5:
            raise shape_error(f"Attr '{attr}' of '{op}' Op passed list of length {len(values)} "
                              "less than minimum 5.")
        if len(values) != 5:
            raise shape_error(f"{op} requires the {attr[:-1]} "
                              f"attribute to contain 5 values, but got: {len(values)}")
    for s in strides:
        if s <= 0:
            raise shape_error(f"Stride must be > 0, but got {s}")
    for d in dilations:
        if d < 1:
            raise shape_error(f"Dilation rate must be >= 1, but got {d}")
    first = data_format == "NCDHW"
    strides, dilations = _last_list(strides, first), _last_list(dilations, first)
    if batch_depth and (strides[0] != 1 or strides[-1] != 1):
        error = UnimplementedError if op == "Conv3D" else InvalidArgumentError  # as TF's
        raise error(None, None, "Current implementation does not yet support strides in the "
                    "batch and depth dimensions.")
    # (TF's backprop kernels do not look at these dilations at all.)
    if batch_depth and op == "Conv3D" and (dilations[0] != 1 or dilations[-1] != 1):
        raise InvalidArgumentError(None, None, "Current implementation does not yet support "
                                   "dilations rates in the batch and depth dimensions.")
    return _WindowN((), tuple(strides[1:-1]), tuple(dilations[1:-1]), padding, first)


def _window(op, strides, padding, data_format, dilations, batch_depth=True):
    return _conv3d_window(op, tuple(strides), tuple(dilations), padding, data_format,
                          batch_depth)


def _compute_dtype(*arrays):
    dtype = np.result_type(*arrays)
    return np.float32 if dtype == np.float16 else dtype


def _same_depth(op, c, fc):
    # TensorFlow's CPU kernels take no grouped 3-D convolution (its shape function does).
    if c != fc:
        raise InvalidArgumentError(None, None, f"{op}: input and filter must have the same "
                                   f"depth: {c} vs {fc}")


def _check_out_backprop(op, dy, want):
    if tuple(dy.shape) != tuple(want):
        raise InvalidArgumentError(
            None, None, f"{op}: Size of out_backprop doesn't match computed: actual = "
            f"{list(dy.shape)}, computed = {list(want)} (NDHWC)")


def _sizes(values, what):
    sizes = [int(v) for v in np.asarray(values).reshape(-1)]
    if len(sizes) != 5 or min(sizes) < 0:
        raise InvalidArgumentError(None, None, f"{what} must hold 5 non-negative values, got "
                                   f"{sizes}")
    return sizes


def _forward(xp, f, outs, win):
    n, c = xp.shape[0], xp.shape[-1]
    ks, o = f.shape[:3], f.shape[-1]
    taps = int(np.prod(ks))
    rows = n * int(np.prod(outs))
    if rows * taps * c <= _IM2COL_MAX_ELEMENTS:
        cols = _windows(xp, ks, outs, win).reshape(rows, taps * c)
        return (cols @ f.reshape(taps * c, o)).reshape((n, *outs, o))
    out = np.zeros((n, *outs, o), xp.dtype)
    fk = f.reshape(taps, c, o)
    for t, index in _taps_n(ks, outs, win):
        out += xp[index] @ fk[t]
    return out


def _backprop_input(dy, f, padded_shape, win):
    """Transposed convolution: per tap, dy @ f[tap]^T added where that tap read."""
    outs = dy.shape[1:-1]
    ks, c, o = f.shape[:3], f.shape[3], f.shape[4]
    fk = f.reshape(-1, c, o)
    dy2 = dy.reshape(-1, o)
    dxp = np.zeros(padded_shape, dy.dtype)
    disjoint = _disjoint(ks, win)
    for t, index in _taps_n(ks, outs, win):
        part = (dy2 @ fk[t].T).reshape((dy.shape[0], *outs, c))
        if disjoint:
            dxp[index] = part
        else:
            dxp[index] += part
    return dxp


def _backprop_filter(xp, dy, ks, win):
    outs, o = dy.shape[1:-1], dy.shape[-1]
    c = xp.shape[-1]
    taps = int(np.prod(ks))
    dy2 = dy.reshape(-1, o)
    if dy2.shape[0] * taps * c <= _IM2COL_MAX_ELEMENTS:
        cols = _windows(xp, ks, outs, win).reshape(dy2.shape[0], taps * c)
        return (cols.T @ dy2).reshape((*ks, c, o))
    df = np.empty((taps, c, o), dy.dtype)
    for t, index in _taps_n(ks, outs, win):
        df[t] = xp[index].reshape(-1, c).T @ dy2
    return df.reshape((*ks, c, o))


def _conv3d_kernel(input, filter, *, strides, padding, data_format, dilations):  # noqa: A002
    win = _window("Conv3D", strides, padding, data_format, dilations)
    _check_rank(input, 5, "input")
    _check_rank(filter, 5, "filter")
    dtype = _compute_dtype(input, filter)
    x = _to_last(input, win.channels_first).astype(dtype, copy=False)
    f = filter.astype(dtype, copy=False)
    _same_depth("Conv3D", x.shape[-1], f.shape[3])
    outs, pads = _geometry_n(x.shape[1:-1], f.shape[:3], win)
    out = _forward(_pad_n(x, pads), f, outs, win)
    return _from_last(out.astype(input.dtype, copy=False), win.channels_first)


def _conv3d_backprop_input_kernel(input_sizes, filter, out_backprop, *, strides,  # noqa: A002
                                  padding, data_format, dilations):
    op = "Conv3DBackpropInputOp"
    win = _window("Conv3DBackpropInputV2", strides, padding, data_format, dilations)
    _check_rank(filter, 5, "filter")
    _check_rank(out_backprop, 5, "out_backprop")
    n, *sizes, c = _last_list(_sizes(input_sizes, f"{op}: input_sizes"), win.channels_first)
    dtype = _compute_dtype(filter, out_backprop)
    f = filter.astype(dtype, copy=False)
    dy = _to_last(out_backprop, win.channels_first).astype(dtype, copy=False)
    _same_depth(op, c, f.shape[3])
    outs, pads = _geometry_n(sizes, f.shape[:3], win)
    _check_out_backprop(op, dy, (n, *outs, f.shape[4]))
    padded = (n, *(s + b + a for s, (b, a) in zip(sizes, pads)), c)
    dx = _crop_n(_backprop_input(dy, f, padded, win), pads, sizes)
    return _from_last(dx.astype(filter.dtype, copy=False), win.channels_first)


def _conv3d_backprop_filter_kernel(input, filter_sizes, out_backprop, *, strides,  # noqa: A002
                                   padding, data_format, dilations):
    op = "Conv3DBackpropFilterOp"
    win = _window("Conv3DBackpropFilterV2", strides, padding, data_format, dilations)
    _check_rank(input, 5, "input")
    _check_rank(out_backprop, 5, "out_backprop")
    *ks, fc, o = _sizes(filter_sizes, f"{op}: filter_sizes")
    dtype = _compute_dtype(input, out_backprop)
    x = _to_last(input, win.channels_first).astype(dtype, copy=False)
    dy = _to_last(out_backprop, win.channels_first).astype(dtype, copy=False)
    _same_depth(op, x.shape[-1], fc)
    outs, pads = _geometry_n(x.shape[1:-1], ks, win)
    _check_out_backprop(op, dy, (x.shape[0], *outs, o))
    return _backprop_filter(_pad_n(x, pads), dy, tuple(ks), win).astype(input.dtype, copy=False)


def _conv3d_infer(x, f, *, strides, padding, data_format, dilations):
    _require(x, "input", _FLOAT_TYPES)
    win = _window("Conv3D", strides, padding, data_format, dilations, batch_depth=False)
    n, *sizes, c = _last_list(_dims(x.shape, 5), win.channels_first)
    *ks, fc, o = _dims(f.shape, 5)
    _check_groups(c, fc, o)
    outs, _ = _geometry_n(sizes, ks, win)
    return [TensorSpec(_format_list_n([n, *outs, o], win.channels_first), x.dtype)]


def _conv3d_backprop_input_infer(sizes, f, dy, *, strides, padding, data_format, dilations):
    _require(f, "filter", _FLOAT_TYPES)
    _window("Conv3DBackpropInputV2", strides, padding, data_format, dilations, batch_depth=False)
    _dims(f.shape, 5)
    _dims(dy.shape, 5)
    return _sizes_spec(sizes, f.dtype, rank=5)


def _conv3d_backprop_filter_infer(x, sizes, dy, *, strides, padding, data_format, dilations):
    _require(x, "input", _FLOAT_TYPES)
    _window("Conv3DBackpropFilterV2", strides, padding, data_format, dilations, batch_depth=False)
    _dims(x.shape, 5)
    _dims(dy.shape, 5)
    return _sizes_spec(sizes, x.dtype, rank=5)


def _attrs(op) -> dict:
    return {k: op._get_attr(k) for k in ("strides", "padding", "data_format", "dilations")}


# TensorFlow's rules (nn_grad.py): Conv3D's input and filter shapes come from one ShapeN.
def _conv3d_grad(op, dy):
    x, f = op.inputs
    shape_x, shape_f = array_ops.SHAPE_N([x, f])
    return [_shaped_like(CONV3D_BACKPROP_INPUT_V2(shape_x, f, dy, **_attrs(op)), x),
            _shaped_like(CONV3D_BACKPROP_FILTER_V2(x, shape_f, dy, **_attrs(op)), f)]


def _conv3d_backprop_input_grad(op, grad):
    _, f, dy = op.inputs
    return [None, _shaped_like(CONV3D_BACKPROP_FILTER_V2(grad, array_ops.shape(f), dy,
                                                         **_attrs(op)), f),
            CONV3D(grad, f, **_attrs(op))]


def _conv3d_backprop_filter_grad(op, grad):
    x, _, dy = op.inputs
    return [_shaped_like(CONV3D_BACKPROP_INPUT_V2(array_ops.shape(x), grad, dy, **_attrs(op)),
                         x), None,
            CONV3D(x, grad, **_attrs(op))]


_ATTRS = {"strides": req("list(int)"), "padding": req("string"), "data_format": "NDHWC",
          "dilations": [1, 1, 1, 1, 1]}

CONV3D = register(OpDef(
    "Conv3D", inputs=["input:T", "filter:T"], attrs=dict(_ATTRS),
    kernel=_conv3d_kernel, infer=_conv3d_infer, grad=_conv3d_grad,
))
CONV3D_BACKPROP_INPUT_V2 = register(OpDef(
    "Conv3DBackpropInputV2", inputs=["input_sizes:Tshape=int32", "filter:T", "out_backprop:T"],
    attrs=dict(_ATTRS),
    kernel=_conv3d_backprop_input_kernel, infer=_conv3d_backprop_input_infer,
    grad=_conv3d_backprop_input_grad,
))
CONV3D_BACKPROP_FILTER_V2 = register(OpDef(
    "Conv3DBackpropFilterV2", inputs=["input:T", "filter_sizes:int32", "out_backprop:T"],
    attrs=dict(_ATTRS),
    kernel=_conv3d_backprop_filter_kernel, infer=_conv3d_backprop_filter_infer,
    grad=_conv3d_backprop_filter_grad,
))
