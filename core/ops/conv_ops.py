"""Convolution and pooling: Conv2D, MaxPool, AvgPool and their gradient ops (TensorFlow's names,
attrs, shape functions and gradient graph), and the TF1 ``tf.nn`` wrappers.

Kernels work in NHWC (NCHW is transposed in and out) and never loop in Python over batch or
spatial positions, only over the kh*kw kernel taps:
- Conv2D: im2col (one copy of a strided window view) and one matmul; above ~2**20 patch
  elements, one matmul per tap on strided views instead (the copy stops paying off);
- Conv2DBackpropInput: one (n*oh*ow, o) x (o, c) matmul per tap added into the padded input;
- Conv2DBackpropFilter: the im2col matrix transposed times out_backprop (one matmul);
- pooling: whole-array maximum/add/compare per tap on strided views of the padded input.
Grouped convolutions (input depth a multiple of the filter's) run one such pass per group.
Spatial geometry is TensorFlow's: SAME ``out = ceil(in / stride)`` with ``pad_before =
pad_total // 2``; VALID ``out = ceil((in - (k - 1) * dilation) / stride)``; EXPLICIT paddings.

``__all__`` lists the ``tf.nn`` names (core/nn.py star-imports it).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from . import array_ops
from ._util import const_ints

__all__ = [
    "conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "conv2d_transpose",
    "max_pool", "max_pool2d", "avg_pool", "avg_pool2d",
]

# TensorFlow's type constraints (in its order) and the error it raises at graph construction.
_CONV_TYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32)
_FLOAT_TYPES = (_dt.float16, _dt.float32, _dt.float64)
_MAX_POOL_TYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.int64, _dt.uint8,
                   _dt.int16, _dt.int8, _dt.uint16)
_MAX_POOL_GRAD_TYPES = _MAX_POOL_TYPES + (_dt.uint32, _dt.uint64)


def _require(spec: TensorSpec, arg: str, allowed):
    if spec.dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(f"Value passed to parameter '{arg}' has DataType {spec.dtype.name} not "
                        f"in list of allowed values: {names}")


# -- geometry ------------------------------------------------------------------------------------


class _Window(NamedTuple):
    """Validated attrs in NHWC terms. ``kh``/``kw`` are 0 for convolutions (taken from the
    filter); ``pads`` are the explicit (top, bottom, left, right) paddings."""

    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    padding: str
    pads: tuple
    nchw: bool


def _spatial_axes(data_format: str):
    return (1, 2, 0, 3) if data_format == "NHWC" else (2, 3, 0, 1)  # h, w, batch, depth


def _check_format_and_padding(op, data_format, padding, formats, paddings):
    if data_format not in formats:
        allowed = ", ".join(f'"{f}"' for f in formats)
        raise shape_error(f"Attr 'data_format' of '{op}' Op passed string '{data_format}' not "
                          f"in: {allowed}.")
    if padding not in paddings:
        allowed = ", ".join(f'"{p}"' for p in paddings)
        raise shape_error(f"Attr 'padding' of '{op}' Op passed string '{padding}' not in: "
                          f"{allowed}.")


def _explicit_pads(padding, explicit, data_format, window=None):
    if padding != "EXPLICIT":
        if explicit:
            raise shape_error("explicit_paddings attribute must be empty if the padding "
                              "attribute is not EXPLICIT")
        return (0, 0, 0, 0)
    if len(explicit) != 8:
        raise shape_error(f"explicit_paddings attribute must contain 8 values, but got: "
                          f"{len(explicit)}")
    if any(p < 0 for p in explicit):
        raise shape_error("All elements of explicit_paddings must be nonnegative")
    h, w, n, c = _spatial_axes(data_format)
    if any(explicit[2 * a] or explicit[2 * a + 1] for a in (n, c)):
        raise shape_error("Nonzero explicit padding in the batch or depth dimensions is not "
                          "supported")
    pads = (explicit[2 * h], explicit[2 * h + 1], explicit[2 * w], explicit[2 * w + 1])
    if window is not None:  # pooling: every window must hold at least one real element
        for side, p, k in zip(("Top", "Bottom", "Left", "Right"), pads,
                              (window[0], window[0], window[1], window[1])):
            if p >= k:
                raise shape_error(f"{side} padding {p} needs to be smaller than the window "
                                  f"size {k}")
    return pads


@functools.lru_cache(maxsize=512)
def _conv_window(op, strides, dilations, padding, explicit, data_format) -> _Window:
    """Validates Conv2D-family attrs (TensorFlow's messages); cached per attr combination."""
    _check_format_and_padding(op, data_format, padding, ("NHWC", "NCHW"),
                              ("SAME", "VALID", "EXPLICIT"))
    if len(strides) != 4:
        raise shape_error(f"{op} on data format {data_format} requires the stride attribute to "
                          f"contain 4 values, but got: {len(strides)}")
    if len(dilations) != 4:
        raise shape_error(f"{op} requires the dilation attribute to contain 4 values, but got: "
                          f"{len(dilations)}")
    for s in strides:
        if s <= 0:
            raise shape_error(f"Stride must be > 0, but got {s}")
    for d in dilations:
        if d < 1:
            raise shape_error(f"Dilation rate must be >= 1, but got {d}")
    h, w, n, c = _spatial_axes(data_format)
    if strides[n] != 1 or strides[c] != 1:
        raise shape_error("Current implementation does not yet support strides in the batch "
                          "and depth dimensions.")
    if dilations[n] != 1 or dilations[c] != 1:
        raise shape_error("Current implementation does not yet support dilations in the batch "
                          "and depth dimensions.")
    pads = _explicit_pads(padding, explicit, data_format)
    return _Window(0, 0, strides[h], strides[w], dilations[h], dilations[w], padding, pads,
                   data_format == "NCHW")


@functools.lru_cache(maxsize=512)
def _pool_window(op, ksize, strides, padding, explicit, data_format) -> _Window:
    """Validates pooling attrs (TensorFlow's messages); cached per attr combination."""
    paddings = ("SAME", "VALID", "EXPLICIT") if op in ("MaxPool", "MaxPoolGrad") else \
        ("SAME", "VALID")
    formats = ("NHWC", "NCHW", "NCHW_VECT_C") if op == "MaxPool" else ("NHWC", "NCHW")
    _check_format_and_padding(op, data_format, padding, formats, paddings)
    if data_format == "NCHW_VECT_C":
        raise shape_error("data_format NCHW_VECT_C (int8 vectorised channels) is not supported "
                          "by minitf")
    for attr, values in (("ksize", ksize), ("strides", strides)):
        if len(values) < 4:
            raise shape_error(f"Attr '{attr}' of '{op}' Op passed list of length {len(values)} "
                              "less than minimum 4.")
        if len(values) != 4:
            raise shape_error(f"{op} requires the {attr.rstrip('s')} attribute to contain 4 "
                              f"values, but got: {len(values)}")
    if any(k <= 0 for k in ksize):
        raise shape_error("Sliding window ksize must be positive. The specified or inferred "
                          f"ksize is: {','.join(map(str, ksize))}")
    for s in strides:
        if s <= 0:
            raise shape_error(f"Stride must be > 0, but got {s}")
    h, w, n, c = _spatial_axes(data_format)
    if ksize[n] != 1 or strides[n] != 1:
        raise shape_error("Pooling is not yet supported on the batch dimension.")
    if ksize[c] != 1 or strides[c] != 1:
        # TensorFlow's depthwise max pooling (a window over channels only) is not implemented.
        raise shape_error("Pooling across the depth dimension is not supported by minitf "
                          "(ksize and strides must be 1 for depth).")
    pads = _explicit_pads(padding, explicit, data_format, (ksize[h], ksize[w]))
    return _Window(ksize[h], ksize[w], strides[h], strides[w], 1, 1, padding, pads,
                   data_format == "NCHW")


def _out_dim(size, k, stride, dilation, padding, pads):
    """(output size, pad before, pad after) of one spatial dimension, TensorFlow's rules.
    Unknown (None) ``size`` or ``k`` give None where they matter (SAME needs no ``k``)."""
    if size is None:
        return None, None, None
    if padding == "SAME":
        out = -(-size // stride)
        if k is None:
            return out, None, None
        total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
        return out, total // 2, total - total // 2
    if k is None:
        return None, None, None
    eff = (k - 1) * dilation + 1
    before, after = pads if padding == "EXPLICIT" else (0, 0)
    padded = size + before + after
    if padded < eff:
        raise shape_error(f"Negative dimension size caused by subtracting {eff} from {padded}")
    return (padded - eff) // stride + 1, before, after


def _geometry(h, w, kh, kw, win: _Window):
    """(oh, ow, (top, bottom, left, right)) for an NHWC input of spatial size h x w."""
    oh, pt, pb = _out_dim(h, kh, win.sh, win.dh, win.padding, win.pads[:2])
    ow, pl, pr = _out_dim(w, kw, win.sw, win.dw, win.padding, win.pads[2:])
    return oh, ow, (pt, pb, pl, pr)


def _taps(kh, kw, oh, ow, win: _Window):
    """(tap index, row slice, col slice) of each window tap into the padded input."""
    for i in range(kh):
        rows = slice(i * win.dh, i * win.dh + (oh - 1) * win.sh + 1, win.sh)
        for j in range(kw):
            yield i * kw + j, rows, slice(j * win.dw, j * win.dw + (ow - 1) * win.sw + 1, win.sw)


def _tap_valid(size, out, k, stride, before):
    """valid[i, o]: tap i of output position o falls inside the unpadded input."""
    pos = np.arange(k)[:, None] + np.arange(out)[None, :] * stride - before
    return (pos >= 0) & (pos < size)


# -- layout helpers ------------------------------------------------------------------------------


def _nhwc(x, nchw):
    return x.transpose(0, 2, 3, 1) if nchw else x


def _from_nhwc(x, nchw):
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if nchw else x


def _nhwc_list(values, nchw):
    """Four per-dimension values in data_format order -> NHWC order."""
    return [values[0], values[2], values[3], values[1]] if nchw else list(values)


def _format_list(values, nchw):
    """Four per-dimension values in NHWC order -> data_format order."""
    return [values[0], values[3], values[1], values[2]] if nchw else list(values)


def _shape_str(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _check_4d(x, what):
    if x.ndim != 4:
        raise InvalidArgumentError(None, None, f"{what} must be 4-dimensional"
                                   f"{_shape_str(x.shape)}")


def _pad(x, pads, value=0):
    pt, pb, pl, pr = pads
    if not (pt or pb or pl or pr):
        return x
    n, h, w, c = x.shape
    shape = (n, h + pt + pb, w + pl + pr, c)
    out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    out[:, pt:pt + h, pl:pl + w] = x
    return out


def _crop(xp, pads, h, w):
    pt, _, pl, _ = pads
    return xp if xp.shape[1:3] == (h, w) else xp[:, pt:pt + h, pl:pl + w]


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# -- Conv2D and its backprop ops ------------------------------------------------------------------


def _im2col(xp, kh, kw, oh, ow, win: _Window):
    """The (n*oh*ow, kh*kw*c) patch matrix of a padded NHWC input (one copy of a window view).

    With 1-2 channels the copy runs tap-major (contiguous runs along the width instead of
    runs of c elements, 2-3x faster) and the matrix is returned as a transposed view, which
    matmul hands to BLAS without another copy."""
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    rows, cols = n * oh * ow, kh * kw * c
    if c <= 2:
        view = as_strided(xp, (kh, kw, c, n, oh, ow),
                          (s1 * win.dh, s2 * win.dw, s3, s0, s1 * win.sh, s2 * win.sw),
                          writeable=False)
        return view.reshape(cols, rows).T
    view = as_strided(xp, (n, oh, ow, kh, kw, c),
                      (s0, s1 * win.sh, s2 * win.sw, s1 * win.dh, s2 * win.dw, s3),
                      writeable=False)
    return view.reshape(rows, cols)


# Above this many patch-matrix elements (a few MB) im2col stops paying for itself: the copy
# outgrows the cache and per-tap matmuls on strided views are faster (measured, benchmarks/conv.py).
_IM2COL_MAX_ELEMENTS = 1 << 20


def _conv_fwd(xp, f, oh, ow, win):
    n, c = xp.shape[0], xp.shape[3]
    kh, kw, _, o = f.shape
    if kh == kw == 1:  # 1x1: a strided subsample and one matmul, no patch copy
        xs = xp[:, :(oh - 1) * win.sh + 1:win.sh, :(ow - 1) * win.sw + 1:win.sw]
        return (xs.reshape(-1, c) @ f.reshape(c, o)).reshape(n, oh, ow, o)
    if n * oh * ow * kh * kw * c <= _IM2COL_MAX_ELEMENTS:
        cols = _im2col(xp, kh, kw, oh, ow, win)
        return (cols @ f.reshape(kh * kw * c, o)).reshape(n, oh, ow, o)
    out = np.zeros((n, oh, ow, o), np.result_type(xp, f))
    for t, rows, cols_ in _taps(kh, kw, oh, ow, win):
        out += xp[:, rows, cols_] @ f[t // kw, t % kw]
    return out


def _conv_bwd_input(dy, f, padded_shape, win):
    """Transposed convolution: per kernel tap, dy @ f[tap]^T added into the padded input (one
    contiguous matmul result per tap; no col2im scatter)."""
    n, oh, ow, o = dy.shape
    kh, kw, c, _ = f.shape
    dy2 = dy.reshape(-1, o)
    dxp = np.zeros(padded_shape, np.result_type(dy, f))
    disjoint = win.sh >= (kh - 1) * win.dh + 1 and win.sw >= (kw - 1) * win.dw + 1
    for t, rows, cols in _taps(kh, kw, oh, ow, win):
        part = (dy2 @ f[t // kw, t % kw].T).reshape(n, oh, ow, c)
        if disjoint:
            dxp[:, rows, cols] = part
        else:
            dxp[:, rows, cols] += part
    return dxp


def _conv_bwd_filter(xp, dy, kh, kw, win):
    n, oh, ow, o = dy.shape
    c = xp.shape[3]
    cols = _im2col(xp, kh, kw, oh, ow, win)
    return (cols.T @ dy.reshape(-1, o)).reshape(kh, kw, c, o)


def _groups(c, fc, o):
    """Number of groups of a (grouped) convolution; TensorFlow's runtime checks."""
    if fc == 0 or c % fc:
        raise InvalidArgumentError(None, None, "input depth must be evenly divisible by filter "
                                   f"depth: {c} vs {fc}")
    g = c // fc
    if o % g:
        raise InvalidArgumentError(None, None, f"output depth must be evenly divisible by number "
                                   f"of groups: {o} vs {g}")
    return g


def _check_out_backprop(op, dy, n, oh, ow, o):
    if dy.shape != (n, oh, ow, o):
        raise InvalidArgumentError(
            None, None, f"{op}: Size of out_backprop doesn't match computed: actual = "
            f"{list(dy.shape)}, computed = {[n, oh, ow, o]} (NHWC)")


def _conv_attrs(strides, padding, explicit_paddings, data_format, dilations):
    return (tuple(strides), tuple(dilations), padding, tuple(explicit_paddings), data_format)


def _conv2d_kernel(input, filter, *, strides, use_cudnn_on_gpu, padding,  # noqa: A002
                   explicit_paddings, data_format, dilations):
    win = _conv_window("Conv2D", *_conv_attrs(strides, padding, explicit_paddings, data_format,
                                              dilations))
    _check_4d(input, "input")
    _check_4d(filter, "filter")
    if filter.size == 0:
        raise InvalidArgumentError(None, None, "filter must not have zero elements (i.e. all "
                                   "dimensions must be non-zero)")
    x = _nhwc(input, win.nchw)
    n, h, w, c = x.shape
    kh, kw, fc, o = filter.shape
    g = _groups(c, fc, o)
    oh, ow, pads = _geometry(h, w, kh, kw, win)
    xp = _pad(x, pads)
    if g == 1:
        out = _conv_fwd(xp, filter, oh, ow, win)
    else:  # grouped convolution: one im2col + matmul per group
        og = o // g
        out = np.concatenate([_conv_fwd(xp[..., k * fc:(k + 1) * fc],
                                        filter[..., k * og:(k + 1) * og], oh, ow, win)
                              for k in range(g)], axis=3)
    return _from_nhwc(out, win.nchw)


def _conv2d_backprop_input_kernel(input_sizes, filter, out_backprop, *, strides,  # noqa: A002
                                  use_cudnn_on_gpu, padding, explicit_paddings, data_format,
                                  dilations):
    win = _conv_window("Conv2DBackpropInput", *_conv_attrs(
        strides, padding, explicit_paddings, data_format, dilations))
    _check_4d(filter, "filter")
    _check_4d(out_backprop, "out_backprop")
    dy = _nhwc(out_backprop, win.nchw)
    sizes = [int(v) for v in np.asarray(input_sizes).reshape(-1)]
    kh, kw, fc, o = filter.shape
    if len(sizes) == 2:
        n, h, w, c = dy.shape[0], sizes[0], sizes[1], fc
    elif len(sizes) == 4:
        n, h, w, c = _nhwc_list(sizes, win.nchw)
    else:
        raise InvalidArgumentError(None, None, "Conv2DBackpropInput requires input_sizes to "
                                   f"contain 4 values or 2 values, but got: {len(sizes)}")
    if min(n, h, w, c) < 0:
        raise InvalidArgumentError(None, None, f"input_sizes must be non-negative: {sizes}")
    g = _groups(c, fc, o)
    oh, ow, pads = _geometry(h, w, kh, kw, win)
    _check_out_backprop("Conv2DBackpropInput", dy, n, oh, ow, o)
    padded = (n, h + pads[0] + pads[1], w + pads[2] + pads[3])
    if g == 1:
        dxp = _conv_bwd_input(dy, filter, padded + (c,), win)
    else:
        og = o // g
        dxp = np.concatenate([_conv_bwd_input(dy[..., k * og:(k + 1) * og],
                                              filter[..., k * og:(k + 1) * og], padded + (fc,),
                                              win) for k in range(g)], axis=3)
    return _from_nhwc(_crop(dxp, pads, h, w), win.nchw)


def _conv2d_backprop_filter_kernel(input, filter_sizes, out_backprop, *, strides,  # noqa: A002
                                   use_cudnn_on_gpu, padding, explicit_paddings, data_format,
                                   dilations):
    win = _conv_window("Conv2DBackpropFilter", *_conv_attrs(
        strides, padding, explicit_paddings, data_format, dilations))
    _check_4d(input, "input")
    _check_4d(out_backprop, "out_backprop")
    sizes = [int(v) for v in np.asarray(filter_sizes).reshape(-1)]
    if len(sizes) != 4 or min(sizes) < 0:
        raise InvalidArgumentError(None, None, "Conv2DBackpropFilter: filter_sizes must hold 4 "
                                   f"non-negative values, got {sizes}")
    x = _nhwc(input, win.nchw)
    dy = _nhwc(out_backprop, win.nchw)
    n, h, w, c = x.shape
    kh, kw, fc, o = sizes
    g = _groups(c, fc, o)
    oh, ow, pads = _geometry(h, w, kh, kw, win)
    _check_out_backprop("Conv2DBackpropFilter", dy, n, oh, ow, o)
    xp = _pad(x, pads)
    if g == 1:
        return _conv_bwd_filter(xp, dy, kh, kw, win)
    og = o // g
    return np.concatenate([_conv_bwd_filter(xp[..., k * fc:(k + 1) * fc],
                                            dy[..., k * og:(k + 1) * og], kh, kw, win)
                           for k in range(g)], axis=3)


def _dims4(shape: TensorShape) -> list:
    if shape.rank is None:
        return [None] * 4
    if shape.rank != 4:
        raise shape_error(f"Shape must be rank 4 but is rank {shape.rank}")
    return list(shape.as_tuple())


def _merge(a, b):
    if a is not None and b is not None and a != b:
        raise shape_error(f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def _conv2d_infer(x, f, *, strides, use_cudnn_on_gpu, padding, explicit_paddings, data_format,
                  dilations):
    _require(x, "input", _CONV_TYPES)
    win = _conv_window("Conv2D", *_conv_attrs(strides, padding, explicit_paddings, data_format,
                                              dilations))
    n, h, w, c = _nhwc_list(_dims4(x.shape), win.nchw)
    kh, kw, fc, o = _dims4(f.shape)
    if c is not None and fc:
        if c % fc:
            raise shape_error(f"Depth of input ({c}) is not a multiple of input depth of filter "
                              f"({fc})")
        if o is not None and o % (c // fc):
            raise shape_error(f"Depth of output ({o}) is not a multiple of the number of groups "
                              f"({c // fc})")
    oh, ow, _ = _geometry(h, w, kh, kw, win)
    return [TensorSpec(_format_list([n, oh, ow, o], win.nchw), x.dtype)]


def _conv2d_backprop_input_infer(sizes, f, dy, *, strides, use_cudnn_on_gpu, padding,
                                 explicit_paddings, data_format, dilations):
    _require(f, "filter", _CONV_TYPES)
    win = _conv_window("Conv2DBackpropInput", *_conv_attrs(
        strides, padding, explicit_paddings, data_format, dilations))
    kh, kw, fc, o = _dims4(f.shape)
    dn, _, _, dc = _nhwc_list(_dims4(dy.shape), win.nchw)
    _merge(dc, o)
    values = const_ints(sizes)
    length = len(values) if values is not None else (
        sizes.shape.as_tuple()[0] if sizes.shape.rank == 1 else None)
    if length is not None and length not in (2, 4):
        raise shape_error("Conv2DBackpropInput requires input_sizes to contain 4 values or 2 "
                          f"values, but got: {length}")
    if length == 2:
        h, w = values if values is not None else (None, None)
        out = [dn, h, w, fc]
    elif values is not None:
        n, h, w, c = _nhwc_list([v if v >= 0 else None for v in values], win.nchw)
        out = [_merge(n, dn), h, w, c]
    else:
        out = [dn, None, None, None]
    return [TensorSpec(_format_list(out, win.nchw), f.dtype)]


def _conv2d_backprop_filter_infer(x, sizes, dy, *, strides, use_cudnn_on_gpu, padding,
                                  explicit_paddings, data_format, dilations):
    _require(x, "input", _FLOAT_TYPES)
    _conv_window("Conv2DBackpropFilter", *_conv_attrs(
        strides, padding, explicit_paddings, data_format, dilations))
    _dims4(x.shape)
    _dims4(dy.shape)
    values = const_ints(sizes)
    if values is not None:
        if len(values) != 4:
            raise shape_error(f"Shape must be rank 4 but is rank {len(values)}")
        return [TensorSpec([v if v >= 0 else None for v in values], x.dtype)]
    return [TensorSpec([None] * 4, x.dtype)]


def _conv_grad_attrs(op) -> dict:
    return {k: op.get_attr(k) for k in ("strides", "use_cudnn_on_gpu", "padding",
                                        "explicit_paddings", "data_format", "dilations")}


def _shaped_like(t, like):
    """``t`` with the static shape of ``like`` merged in: a Shape tensor of a partially known
    shape is not constant, but the gradient's shape is still that of the forward input."""
    t.set_shape(like.shape)
    return t


def _conv2d_grad(op, dy):
    x, f = op.inputs
    attrs = _conv_grad_attrs(op)
    return [_shaped_like(CONV2D_BACKPROP_INPUT(array_ops.shape(x), f, dy, **attrs), x),
            _shaped_like(CONV2D_BACKPROP_FILTER(x, array_ops.shape(f), dy, **attrs), f)]


def _conv2d_backprop_input_grad(op, grad):
    _, f, dy = op.inputs
    attrs = _conv_grad_attrs(op)
    return [None, _shaped_like(CONV2D_BACKPROP_FILTER(grad, array_ops.shape(f), dy, **attrs), f),
            CONV2D(grad, f, **attrs)]


def _conv2d_backprop_filter_grad(op, grad):
    x, _, dy = op.inputs
    attrs = _conv_grad_attrs(op)
    return [_shaped_like(CONV2D_BACKPROP_INPUT(array_ops.shape(x), grad, dy, **attrs), x), None,
            CONV2D(x, grad, **attrs)]


_CONV_ATTRS = {
    "strides": req("list(int)"), "use_cudnn_on_gpu": True, "padding": req("string"),
    "explicit_paddings": [], "data_format": "NHWC", "dilations": [1, 1, 1, 1],
}

CONV2D = register(OpDef(
    "Conv2D", inputs=["input:T", "filter:T"], attrs=dict(_CONV_ATTRS),
    kernel=_conv2d_kernel, infer=_conv2d_infer, grad=_conv2d_grad,
))
CONV2D_BACKPROP_INPUT = register(OpDef(
    "Conv2DBackpropInput", inputs=["input_sizes:int32", "filter:T", "out_backprop:T"],
    attrs=dict(_CONV_ATTRS),
    kernel=_conv2d_backprop_input_kernel, infer=_conv2d_backprop_input_infer,
    grad=_conv2d_backprop_input_grad,
))
CONV2D_BACKPROP_FILTER = register(OpDef(
    "Conv2DBackpropFilter", inputs=["input:T", "filter_sizes:int32", "out_backprop:T"],
    attrs=dict(_CONV_ATTRS),
    kernel=_conv2d_backprop_filter_kernel, infer=_conv2d_backprop_filter_infer,
    grad=_conv2d_backprop_filter_grad,
))

# -- pooling -------------------------------------------------------------------------------------


def _pool_setup(op, x, ksize, strides, padding, explicit_paddings, data_format):
    win = _pool_window(op, tuple(ksize), tuple(strides), padding, tuple(explicit_paddings),
                       data_format)
    _check_4d(x, "input")
    x = _nhwc(x, win.nchw)
    oh, ow, pads = _geometry(x.shape[1], x.shape[2], win.kh, win.kw, win)
    return win, x, oh, ow, pads


def _valid_masks(x, win, oh, ow, pads):
    """Per tap, the (1, oh, ow, 1) mask of windows where that tap is a real input element
    (None without padding)."""
    if not any(pads):
        return None
    rows = _tap_valid(x.shape[1], oh, win.kh, win.sh, pads[0])
    cols = _tap_valid(x.shape[2], ow, win.kw, win.sw, pads[2])
    return [(rows[i][:, None] & cols[j][None, :])[None, :, :, None]
            for i in range(win.kh) for j in range(win.kw)]


def _window_max(xp, win, oh, ow):
    """Max over each window of a (-inf-)padded input: one np.maximum per tap on strided views
    (several times faster than a multi-axis reduction over a window view)."""
    out = np.empty((xp.shape[0], oh, ow, xp.shape[3]), xp.dtype)
    for t, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
        if t == 0:
            out[...] = xp[:, rows, cols]
        else:
            np.maximum(out, xp[:, rows, cols], out=out)
    return out


def _max_pool_kernel(input, *, ksize, strides, padding, explicit_paddings,  # noqa: A002
                     data_format):
    win, x, oh, ow, pads = _pool_setup("MaxPool", input, ksize, strides, padding,
                                       explicit_paddings, data_format)
    return _from_nhwc(_window_max(_pad(x, pads, _lowest(x.dtype)), win, oh, ow), win.nchw)


def _check_grad_shape(what, got, want):
    if tuple(got) != tuple(want):
        raise InvalidArgumentError(None, None, f"Expected {what} shape to be "
                                   f"{_shape_str(want)}, but got {_shape_str(got)}")


def _max_pool_grad_kernel(orig_input, orig_output, grad, *, ksize, strides, padding,
                          explicit_paddings, data_format):
    win, x, oh, ow, pads = _pool_setup("MaxPoolGrad", orig_input, ksize, strides, padding,
                                       explicit_paddings, data_format)
    _check_4d(grad, "grad")
    dy = _nhwc(grad, win.nchw)
    n, h, w, c = x.shape
    _check_grad_shape("grad", dy.shape, (n, oh, ow, c))
    # Like TensorFlow's CPU kernel, the maxima are recomputed from orig_input (orig_output is
    # not trusted) and each window's gradient goes to its first maximum in row-major order:
    # the first tap equal to the window max claims it.
    xp = _pad(x, pads, _lowest(x.dtype))
    ymax = _window_max(xp, win, oh, ow)
    valid = _valid_masks(x, win, oh, ow, pads)
    # dy * mask is the fast select; with non-finite gradients it would turn 0 * inf into NaN.
    fast = dy.dtype.kind != "f" or bool(np.isfinite(dy).all())
    zero = np.zeros((), dy.dtype)
    dxp = np.zeros((n, h + pads[0] + pads[1], w + pads[2] + pads[3], c), dy.dtype)
    claimed = np.zeros(ymax.shape, bool)
    disjoint = win.sh >= win.kh and win.sw >= win.kw
    ntaps = win.kh * win.kw
    for t, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
        hit = np.equal(xp[:, rows, cols], ymax)
        if valid is not None:
            hit &= valid[t]
        if t:
            np.greater(hit, claimed, out=hit)  # hit and not claimed by an earlier tap
        if t < ntaps - 1:
            claimed |= hit
        if disjoint and fast:
            np.multiply(dy, hit, out=dxp[:, rows, cols])
            continue
        part = dy * hit if fast else np.where(hit, dy, zero)
        if disjoint:
            dxp[:, rows, cols] = part
        else:
            dxp[:, rows, cols] += part
    return _from_nhwc(_crop(dxp, pads, h, w), win.nchw)


def _max_pool_grad_grad_kernel(orig_input, orig_output, grad, *, ksize, strides, padding,
                               data_format):
    win, x, oh, ow, pads = _pool_setup("MaxPoolGradGrad", orig_input, ksize, strides, padding,
                                       [], data_format)
    _check_4d(orig_output, "orig_output")
    _check_4d(grad, "grad")
    y, g = _nhwc(orig_output, win.nchw), _nhwc(grad, win.nchw)
    n, h, w, c = x.shape
    _check_grad_shape("orig_output", y.shape, (n, oh, ow, c))
    _check_grad_shape("grad", g.shape, x.shape)
    # TensorFlow's CPU kernel: each output takes grad at the first window element equal to
    # orig_output (0 if none matches).
    xp, gp = _pad(x, pads, _lowest(x.dtype)), _pad(g, pads)
    valid = _valid_masks(x, win, oh, ow, pads)
    out = np.zeros(y.shape, g.dtype)
    found = np.zeros(y.shape, bool)
    for t, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
        hit = xp[:, rows, cols] == y
        hit &= ~found
        if valid is not None:
            hit &= valid[t]
        np.copyto(out, gp[:, rows, cols], where=hit)
        found |= hit
    return _from_nhwc(out, win.nchw)


def _window_counts(x_shape, win, oh, ow, pads, dtype):
    """(1, oh, ow, 1) number of real (unpadded) input elements in each window."""
    rows = _tap_valid(x_shape[1], oh, win.kh, win.sh, pads[0]).sum(axis=0)
    cols = _tap_valid(x_shape[2], ow, win.kw, win.sw, pads[2]).sum(axis=0)
    return (rows[:, None] * cols[None, :]).astype(dtype)[None, :, :, None]


def _avg_pool_kernel(value, *, ksize, strides, padding, data_format):
    win, x, oh, ow, pads = _pool_setup("AvgPool", value, ksize, strides, padding, [],
                                       data_format)
    xp = _pad(x, pads)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), x.dtype)
    for _, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
        out += xp[:, rows, cols]
    out /= _window_counts(x.shape, win, oh, ow, pads, x.dtype)
    return _from_nhwc(out, win.nchw)


def _avg_pool_grad_kernel(orig_input_shape, grad, *, ksize, strides, padding, data_format):
    sizes = [int(v) for v in np.asarray(orig_input_shape).reshape(-1)]
    if len(sizes) != 4 or min(sizes) < 0:
        raise InvalidArgumentError(None, None, "orig_input_shape must be 1-dimensional and 4 "
                                   f"elements, got {sizes}")
    win = _pool_window("AvgPoolGrad", tuple(ksize), tuple(strides), padding, (), data_format)
    _check_4d(grad, "grad")
    n, h, w, c = _nhwc_list(sizes, win.nchw)
    oh, ow, pads = _geometry(h, w, win.kh, win.kw, win)
    dy = _nhwc(grad, win.nchw)
    _check_grad_shape("grad", dy.shape, (n, oh, ow, c))
    share = dy / _window_counts((n, h, w, c), win, oh, ow, pads, dy.dtype)
    dxp = np.zeros((n, h + pads[0] + pads[1], w + pads[2] + pads[3], c), dy.dtype)
    disjoint = win.sh >= win.kh and win.sw >= win.kw
    for _, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
        if disjoint:
            dxp[:, rows, cols] = share
        else:
            dxp[:, rows, cols] += share
    return _from_nhwc(_crop(dxp, pads, h, w), win.nchw)


def _pool_out_shape(op, shape, ksize, strides, padding, explicit_paddings, data_format):
    win = _pool_window(op, tuple(ksize), tuple(strides), padding, tuple(explicit_paddings),
                       data_format)
    n, h, w, c = _nhwc_list(_dims4(shape), win.nchw)
    oh, ow, _ = _geometry(h, w, win.kh, win.kw, win)
    return _format_list([n, oh, ow, c], win.nchw)


def _max_pool_infer(x, *, ksize, strides, padding, explicit_paddings, data_format):
    _require(x, "input", _MAX_POOL_TYPES)
    out = _pool_out_shape("MaxPool", x.shape, ksize, strides, padding, explicit_paddings,
                          data_format)
    return [TensorSpec(out, x.dtype)]


def _max_pool_grad_infer(x, y, g, *, ksize, strides, padding, explicit_paddings, data_format):
    _require(x, "orig_input", _MAX_POOL_GRAD_TYPES)
    _pool_out_shape("MaxPoolGrad", x.shape, ksize, strides, padding, explicit_paddings,
                    data_format)
    _dims4(y.shape)
    _dims4(g.shape)
    return [TensorSpec(x.shape, x.dtype)]


def _max_pool_grad_grad_infer(x, y, g, *, ksize, strides, padding, data_format):
    _require(x, "orig_input", _MAX_POOL_GRAD_TYPES)
    out = _pool_out_shape("MaxPoolGradGrad", x.shape, ksize, strides, padding, [], data_format)
    _dims4(g.shape)
    merged = [_merge(a, b) for a, b in zip(out, _dims4(y.shape))]
    return [TensorSpec(merged, x.dtype)]


def _avg_pool_infer(x, *, ksize, strides, padding, data_format):
    _require(x, "value", _FLOAT_TYPES)
    return [TensorSpec(_pool_out_shape("AvgPool", x.shape, ksize, strides, padding, [],
                                       data_format), x.dtype)]


def _avg_pool_grad_infer(sizes, g, *, ksize, strides, padding, data_format):
    _require(g, "grad", _FLOAT_TYPES)
    _pool_window("AvgPoolGrad", tuple(ksize), tuple(strides), padding, (), data_format)
    _dims4(g.shape)
    values = const_ints(sizes)
    if values is not None:
        if len(values) != 4:
            raise shape_error(f"Shape must be rank 4 but is rank {len(values)}")
        return [TensorSpec([v if v >= 0 else None for v in values], g.dtype)]
    return [TensorSpec([None] * 4, g.dtype)]


def _pool_attrs(op, *names):
    return {k: op.get_attr(k) for k in ("ksize", "strides", "padding") + names}


def _max_pool_grad(op, dy):
    return [MAX_POOL_GRAD(op.inputs[0], op.outputs[0], dy,
                          **_pool_attrs(op, "explicit_paddings", "data_format"))]


def _max_pool_grad_grad(op, grad):
    # TensorFlow's rule; MaxPoolGradGrad has no explicit_paddings attr, so (as in TensorFlow)
    # second derivatives of EXPLICIT-padded max pooling are refused when the op is built.
    x, y, _ = op.inputs
    return [array_ops.zeros_like(x), array_ops.zeros_like(y),
            MAX_POOL_GRAD_GRAD(x, y, grad, **_pool_attrs(op, "data_format"))]


def _max_pool_grad_grad_grad(op, grad):
    x, y, _ = op.inputs
    return [array_ops.zeros_like(x), array_ops.zeros_like(y),
            MAX_POOL_GRAD(x, y, grad, **_pool_attrs(op, "data_format"))]


_POOL_ATTRS = {"ksize": req("list(int)"), "strides": req("list(int)"), "padding": req("string")}

MAX_POOL = register(OpDef(
    "MaxPool", inputs=["input:T"],
    attrs={**_POOL_ATTRS, "explicit_paddings": [], "data_format": "NHWC"},
    kernel=_max_pool_kernel, infer=_max_pool_infer, grad=_max_pool_grad,
))
MAX_POOL_GRAD = register(OpDef(
    "MaxPoolGrad", inputs=["orig_input:T", "orig_output:T", "grad:T"],
    attrs={**_POOL_ATTRS, "explicit_paddings": [], "data_format": "NHWC"},
    kernel=_max_pool_grad_kernel, infer=_max_pool_grad_infer, grad=_max_pool_grad_grad,
))
MAX_POOL_GRAD_GRAD = register(OpDef(
    "MaxPoolGradGrad", inputs=["orig_input:T", "orig_output:T", "grad:T"],
    attrs={**_POOL_ATTRS, "data_format": "NHWC"},
    kernel=_max_pool_grad_grad_kernel, infer=_max_pool_grad_grad_infer,
    grad=_max_pool_grad_grad_grad,
))
AVG_POOL = register(OpDef(
    "AvgPool", inputs=["value:T"], attrs={**_POOL_ATTRS, "data_format": "NHWC"},
    kernel=_avg_pool_kernel, infer=_avg_pool_infer,
    grad=lambda op, dy: [_shaped_like(AVG_POOL_GRAD(array_ops.shape(op.inputs[0]), dy,
                                                    **_pool_attrs(op, "data_format")),
                                      op.inputs[0])],
))
AVG_POOL_GRAD = register(OpDef(
    "AvgPoolGrad", inputs=["orig_input_shape:int32", "grad:T"],
    attrs={**_POOL_ATTRS, "data_format": "NHWC"},
    kernel=_avg_pool_grad_kernel, infer=_avg_pool_grad_infer,
    grad=lambda op, g: [None, AVG_POOL(g, **_pool_attrs(op, "data_format"))],
))

# -- tf.nn wrappers (TF1 signatures and node names) ----------------------------------------------


def _get_sequence(value, channel_index, name):
    """TensorFlow's ``_get_sequence`` for 2 spatial dims: int / 1 / 2 / 4 values -> 4 values."""
    if value is None:
        return [1, 1, 1, 1]
    value = list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]
    if len(value) == 4:
        return [int(v) for v in value]
    if len(value) == 1:
        value = value * 2
    elif len(value) != 2:
        raise ValueError(f"{name} should be of length 1, 2 or 4. Received: {name}={value} of "
                         f"length {len(value)}")
    value = [int(v) for v in value]
    return [1, 1] + value if channel_index == 1 else [1] + value + [1]


def _convert_padding(padding):
    """TensorFlow's ``convert_padding``: a list of 4 (before, after) pairs means EXPLICIT."""
    if padding == "EXPLICIT":
        raise ValueError("'EXPLICIT' is not a valid value for `padding`. To use explicit "
                         "padding, `padding` must be a list.")
    if isinstance(padding, (list, tuple)):
        explicit = []
        for i, pair in enumerate(padding):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError("When `padding` is a list, each element of `padding` must be "
                                 f"a list/tuple of size 2. Received: padding={padding} with "
                                 f"element at index {i}")
            explicit.extend(int(p) for p in pair)
        if len(padding) != 4:
            raise ValueError(f"When padding is a list, it must be of size 4. Received: "
                             f"padding={padding} of size {len(padding)}")
        return "EXPLICIT", explicit
    return padding, []


def _alias(new_name, new, old_name, old):
    """TensorFlow's ``deprecated_argument_lookup``."""
    if new is not None:
        if old is not None:
            raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'")
        return new
    return old


def _channel_index(data_format):
    return 1 if (data_format or "NHWC").startswith("NC") else 3


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,  # noqa: A002
           data_format="NHWC", dilations=[1, 1, 1, 1], name=None, filters=None):  # noqa: B006
    """``tf.nn.conv2d`` (TF1): a Conv2D node named "Conv2D"."""
    filter = _alias("filters", filters, "filter", filter)  # noqa: A001
    padding, explicit = _convert_padding(padding)
    data_format = data_format or "NHWC"
    ci = _channel_index(data_format)
    return CONV2D(input, filter, strides=_get_sequence(strides, ci, "strides"), padding=padding,
                  use_cudnn_on_gpu=use_cudnn_on_gpu, explicit_paddings=explicit,
                  data_format=data_format, dilations=_get_sequence(dilations, ci, "dilations"),
                  name=name)


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None,  # noqa: A002
                          padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
                          dilations=[1, 1, 1, 1], name=None, filters=None):  # noqa: B006
    """``tf.nn.conv2d_backprop_input`` (TF1): the gradient of conv2d with respect to its input."""
    filter = _alias("filters", filters, "filter", filter)  # noqa: A001
    padding, explicit = _convert_padding(padding)
    return CONV2D_BACKPROP_INPUT(input_sizes, filter, out_backprop, strides=strides,
                                 padding=padding, use_cudnn_on_gpu=use_cudnn_on_gpu,
                                 explicit_paddings=explicit, data_format=data_format,
                                 dilations=dilations, name=name)


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,  # noqa: A002
                           use_cudnn_on_gpu=True, data_format="NHWC",
                           dilations=[1, 1, 1, 1], name=None):  # noqa: B006
    """``tf.nn.conv2d_backprop_filter`` (TF1): the gradient of conv2d with respect to its
    filter."""
    padding, explicit = _convert_padding(padding)
    return CONV2D_BACKPROP_FILTER(input, filter_sizes, out_backprop, strides=strides,
                                  padding=padding, use_cudnn_on_gpu=use_cudnn_on_gpu,
                                  explicit_paddings=explicit, data_format=data_format,
                                  dilations=dilations, name=name)


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None,  # noqa: A002
                     padding="SAME", data_format="NHWC", name=None, input=None,  # noqa: A002
                     filters=None, dilations=None):
    """``tf.nn.conv2d_transpose`` (TF1): a Conv2DBackpropInput node named "conv2d_transpose"
    with ``output_shape`` as its input_sizes."""
    value = _alias("input", input, "value", value)
    filter = _alias("filters", filters, "filter", filter)  # noqa: A001
    data_format = data_format or "NHWC"
    ci = _channel_index(data_format)
    padding, explicit = _convert_padding(padding)
    return CONV2D_BACKPROP_INPUT(output_shape, filter, value,
                                 strides=_get_sequence(strides, ci, "strides"), padding=padding,
                                 explicit_paddings=explicit, data_format=data_format,
                                 dilations=_get_sequence(dilations, ci, "dilations"),
                                 name=name or "conv2d_transpose")


def _pool_args(ksize, strides, data_format):
    data_format = data_format or "NHWC"
    ci = _channel_index(data_format)
    ksize = _get_sequence(ksize, ci, "ksize")
    strides = _get_sequence(strides, ci, "strides")
    return ksize, strides, data_format


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None,
             input=None):  # noqa: A002
    """``tf.nn.max_pool`` (TF1): a MaxPool node named "MaxPool"."""
    value = _alias("input", input, "value", value)
    ksize, strides, data_format = _pool_args(ksize, strides, data_format)
    if isinstance(padding, (list, tuple)) and data_format == "NCHW_VECT_C":
        raise ValueError("`data_format='NCHW_VECT_C'` is not supported with explicit padding. "
                         f"Received: padding={padding}")
    padding, explicit = _convert_padding(padding)
    if any(v == 0 for v in ksize):
        raise ValueError(f"`ksize` cannot be zero. Received: ksize={ksize}")
    return MAX_POOL(value, ksize=ksize, strides=strides, padding=padding,
                    explicit_paddings=explicit, data_format=data_format, name=name or "MaxPool")


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """``tf.nn.max_pool2d``: a MaxPool node named "MaxPool2d"."""
    ksize, strides, data_format = _pool_args(ksize, strides, data_format)
    padding, explicit = _convert_padding(padding)
    return MAX_POOL(input, ksize=ksize, strides=strides, padding=padding,
                    explicit_paddings=explicit, data_format=data_format,
                    name=name or "MaxPool2d")


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None,
             input=None):  # noqa: A002
    """``tf.nn.avg_pool`` (TF1, also ``tf.nn.avg_pool2d``): an AvgPool node named "AvgPool"."""
    value = _alias("input", input, "value", value)
    ksize, strides, data_format = _pool_args(ksize, strides, data_format)
    return AVG_POOL(value, ksize=ksize, strides=strides, padding=padding,
                    data_format=data_format, name=name or "AvgPool")


avg_pool2d = avg_pool  # TF1's tf.nn.avg_pool2d is avg_pool itself


