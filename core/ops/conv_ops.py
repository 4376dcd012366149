"""Convolution: Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter (TensorFlow's names, attrs,
shape functions and gradient graph), and the TF1 ``tf.nn`` wrappers. Pooling is in pool_ops;
the window geometry and layout helpers both use are in _conv_util.

Kernels work in NHWC (NCHW is transposed in and out) and never loop in Python over batch or
spatial positions, only over the kh*kw kernel taps:
- Conv2D: im2col (one copy of a strided window view) and one matmul; above ~2**20 patch
  elements, one matmul per tap on strided views instead (the copy stops paying off), except
  with 1-2 input channels, where per-tap matmuls (K = c) are thousands of tiny gemms: there
  the tap-major patch matrix is built in chunks of images (or output-row bands) of ~2**21
  elements, one matmul per chunk;
- Conv2DBackpropInput: one (n*oh*ow, o) x (o, c) matmul per tap added into the padded input;
  with 1-2 input channels, per chunk one wide (rows, o) x (o, kh*kw*c) matmul and col2im;
- Conv2DBackpropFilter: the im2col matrix transposed times out_backprop (one matmul).
Grouped convolutions (input depth a multiple of the filter's) run one such pass per group.

``__all__`` lists the ``tf.nn`` names (core/nn.py star-imports it).
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from . import array_ops
from ._conv_util import (_CONV_TYPES, _FLOAT_TYPES, _alias, _channel_index, _check_4d,
                         _check_format_and_padding, _check_groups, _convert_padding, _crop, _dims4,
                         _explicit_pads, _format_list, _from_nhwc, _geometry, _get_sequence,
                         _merge, _nhwc, _nhwc_list, _pad, _require, _shaped_like,
                         _sizes_spec, _spatial_axes, _taps, _Window)
from ._util import shape_from_value

__all__ = ["conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "conv2d_transpose"]


# -- Conv2D and its backprop ops ------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _conv_window(op, strides, dilations, padding, explicit, data_format,
                 batch_depth=True) -> _Window:
    """Validates Conv2D-family attrs (TensorFlow's messages); cached per attr combination.
    ``batch_depth=False`` (the shape functions here) skips the batch and depth strides and
    dilations, which TF's shape functions ignore and only its kernels refuse."""
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
    if batch_depth and (strides[n] != 1 or strides[c] != 1):
        error = UnimplementedError if op == "Conv2D" else InvalidArgumentError  # as TF's
        raise error(None, None, "Current implementation does not yet support strides in the "
                    "batch and depth dimensions.")
    if batch_depth and (dilations[n] != 1 or dilations[c] != 1):
        raise shape_error("Current implementation does not yet support dilations in the batch "
                          "and depth dimensions.")
    pads = _explicit_pads(padding, explicit, data_format)
    return _Window(0, 0, strides[h], strides[w], dilations[h], dilations[w], padding, pads,
                   data_format == "NCHW")


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


# Above this many patch-matrix elements (a few MB) a whole-batch im2col stops paying for itself
# with 3+ channels: the copy (runs of only c elements) outgrows the cache, and per-tap matmuls
# on strided views are faster (measured, benchmarks/conv.py). conv3d_ops uses it too.
_IM2COL_MAX_ELEMENTS = 1 << 20
# With 1-2 channels the patch matrix is instead built in chunks of about this many elements
# (8 MB of float32): per-tap matmuls there have K = c, which numpy runs as thousands of tiny
# gemms (60x slower), while the tap-major copy stays cheap; chunks bound its memory. Chunks
# stay few and large on purpose: under a loaded machine each multi-threaded BLAS call costs
# a thread hand-off, so many mid-sized calls measured slower than one large one.
_CHUNK_ELEMENTS = 1 << 21


def _chunks(n, oh, ow, k_cols, win, kh):
    """(flat row start, flat row end, images, output rows, padded-input index) of each chunk
    of the output positions, in (batch, output row, output col) order: whole images when one
    image's patch matrix (oh*ow x k_cols) fits in _CHUNK_ELEMENTS, else bands of output rows of
    one image.
    Each chunk's output rows are a contiguous range of the (n*oh*ow, .) matrices."""
    per_row = ow * k_cols
    span = (kh - 1) * win.dh + 1
    if oh * per_row <= _CHUNK_ELEMENTS:
        nb = max(1, _CHUNK_ELEMENTS // (oh * per_row))
        nb = -(-n // -(-n // nb))  # equal chunks: 64 images by 27 -> 3 chunks of 22
        for b in range(0, n, nb):
            e = min(b + nb, n)
            yield b * oh * ow, e * oh * ow, e - b, oh, (slice(b, e), slice(None))
        return
    nr = max(1, _CHUNK_ELEMENTS // per_row)
    nr = -(-oh // -(-oh // nr))
    for b in range(n):
        for r in range(0, oh, nr):
            e = min(r + nr, oh)
            rows = slice(r * win.sh, (e - 1) * win.sh + span)
            yield (b * oh + r) * ow, (b * oh + e) * ow, 1, e - r, (slice(b, b + 1), rows)


def _conv_fwd(xp, f, oh, ow, win):
    n, c = xp.shape[0], xp.shape[3]
    kh, kw, _, o = f.shape
    if kh == kw == 1:  # 1x1: a strided subsample and one matmul, no patch copy
        xs = xp[:, :(oh - 1) * win.sh + 1:win.sh, :(ow - 1) * win.sw + 1:win.sw]
        return (xs.reshape(-1, c) @ f.reshape(c, o)).reshape(n, oh, ow, o)
    if c <= 2 or n * oh * ow * kh * kw * c <= _IM2COL_MAX_ELEMENTS:
        fm = f.reshape(kh * kw * c, o)
        out = np.empty((n * oh * ow, o), np.result_type(xp, f))
        for start, end, _, rows, index in _chunks(n, oh, ow, kh * kw * c, win, kh):
            np.matmul(_im2col(xp[index], kh, kw, rows, ow, win), fm, out=out[start:end])
        return out.reshape(n, oh, ow, o)
    out = np.zeros((n, oh, ow, o), np.result_type(xp, f))
    for t, rows, cols_ in _taps(kh, kw, oh, ow, win):
        out += xp[:, rows, cols_] @ f[t // kw, t % kw]
    return out


def _conv_bwd_input(dy, f, padded_shape, win):
    """Transposed convolution into the padded input. With 1-2 input channels, per chunk one
    wide matmul dy_chunk @ filter_matrix^T (N = kh*kw*c) then col2im as kh*kw strided adds;
    otherwise per kernel tap dy @ f[tap]^T, one contiguous (n, oh, ow, c) block added per tap.
    (Measured: with c >= 3 the col2im adds, c elements per inner loop, cost more than the
    narrow per-tap matmuls save, single- or multi-threaded.)"""
    n, oh, ow, o = dy.shape
    kh, kw, c, _ = f.shape
    dy2 = np.ascontiguousarray(dy).reshape(-1, o)
    dxp = np.zeros(padded_shape, np.result_type(dy, f))
    disjoint = win.sh >= (kh - 1) * win.dh + 1 and win.sw >= (kw - 1) * win.dw + 1
    if c > 2:
        for t, rows, cols in _taps(kh, kw, oh, ow, win):
            part = (dy2 @ f[t // kw, t % kw].T).reshape(n, oh, ow, c)
            if disjoint:
                dxp[:, rows, cols] = part
            else:
                dxp[:, rows, cols] += part
        return dxp
    fm = f.reshape(kh * kw * c, o)
    for start, end, nb, rows, index in _chunks(n, oh, ow, kh * kw * c, win, kh):
        cols = (dy2[start:end] @ fm.T).reshape(nb, rows, ow, kh, kw, c)
        target = dxp[index]
        for t, r, s in _taps(kh, kw, rows, ow, win):
            if disjoint:
                target[:, r, s] = cols[:, :, :, t // kw, t % kw]
            else:
                target[:, r, s] += cols[:, :, :, t // kw, t % kw]
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
    x = _nhwc(input, win.nchw)
    n, h, w, c = x.shape
    kh, kw, fc, o = filter.shape
    g = _groups(c, fc, o)
    oh, ow, pads = _geometry(h, w, kh, kw, win, at_run_time=True)
    if n * oh * ow * o == 0:  # nothing to compute: TF returns before it checks the filter
        return _from_nhwc(np.zeros((n, oh, ow, o), input.dtype), win.nchw)
    if filter.size == 0:
        raise InvalidArgumentError(None, None, "filter must not have zero elements (i.e. all "
                                   "dimensions must be non-zero)")
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
    oh, ow, pads = _geometry(h, w, kh, kw, win, at_run_time=True)
    _check_out_backprop("Conv2DBackpropInput", dy, n, oh, ow, o)
    if dy.size == 0 or n * h * w * c == 0:  # no output position saw the input: zeros
        return _from_nhwc(np.zeros((n, h, w, c), filter.dtype), win.nchw)
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
    oh, ow, pads = _geometry(h, w, kh, kw, win, at_run_time=True)
    _check_out_backprop("Conv2DBackpropFilter", dy, n, oh, ow, o)
    if dy.size == 0 or x.size == 0:  # no output position saw the input: zeros
        return np.zeros((kh, kw, fc, o), input.dtype)
    xp = _pad(x, pads)
    if g == 1:
        return _conv_bwd_filter(xp, dy, kh, kw, win)
    og = o // g
    return np.concatenate([_conv_bwd_filter(xp[..., k * fc:(k + 1) * fc],
                                            dy[..., k * og:(k + 1) * og], kh, kw, win)
                           for k in range(g)], axis=3)


def _partial_sizes(sizes: TensorSpec) -> list | None:
    """What a 1-D sizes input is known to hold, entry by entry (see _sizes_spec); None when
    even its length is unknown."""
    shape = shape_from_value(sizes)
    return None if shape.rank is None else list(shape.as_tuple())


def _conv2d_infer(x, f, *, strides, use_cudnn_on_gpu, padding, explicit_paddings, data_format,
                  dilations):
    _require(x, "input", _CONV_TYPES)
    win = _conv_window("Conv2D", *_conv_attrs(strides, padding, explicit_paddings, data_format,
                                              dilations), batch_depth=False)
    n, h, w, c = _nhwc_list(_dims4(x.shape), win.nchw)
    kh, kw, fc, o = _dims4(f.shape)
    _check_groups(c, fc, o)
    oh, ow, _ = _geometry(h, w, kh, kw, win)
    return [TensorSpec(_format_list([n, oh, ow, o], win.nchw), x.dtype)]


def _conv2d_backprop_input_infer(sizes, f, dy, *, strides, use_cudnn_on_gpu, padding,
                                 explicit_paddings, data_format, dilations):
    _require(f, "filter", _CONV_TYPES)
    win = _conv_window("Conv2DBackpropInput", *_conv_attrs(
        strides, padding, explicit_paddings, data_format, dilations), batch_depth=False)
    kh, kw, fc, o = _dims4(f.shape)
    dn, _, _, dc = _nhwc_list(_dims4(dy.shape), win.nchw)
    _merge(dc, o)
    dims = _partial_sizes(sizes)
    if dims is not None and len(dims) not in (2, 4):
        raise shape_error("Conv2DBackpropInput requires input_sizes to contain 4 values or 2 "
                          f"values, but got: {len(dims)}")
    if dims is None:
        out = [dn, None, None, None]
    elif len(dims) == 2:
        out = [dn, dims[0], dims[1], fc]
    else:
        n, h, w, c = _nhwc_list(dims, win.nchw)
        # TF 1.x's shape is input_sizes' (DCGAN's deconv2d reshapes to it: a [None, ...] input
        # with output_shape [64, ...] gives [64, ...]); TF 2 took the batch from out_backprop.
        # Both known must agree; either known is the batch.
        out = [_merge(n, dn), h, w, c]
    return [TensorSpec(_format_list(out, win.nchw), f.dtype)]


def _conv2d_backprop_filter_infer(x, sizes, dy, *, strides, use_cudnn_on_gpu, padding,
                                  explicit_paddings, data_format, dilations):
    _require(x, "input", _FLOAT_TYPES)
    _conv_window("Conv2DBackpropFilter", *_conv_attrs(
        strides, padding, explicit_paddings, data_format, dilations), batch_depth=False)
    _dims4(x.shape)
    _dims4(dy.shape)
    return _sizes_spec(sizes, x.dtype)


def _conv_grad_attrs(op) -> dict:
    return {k: op._get_attr(k) for k in ("strides", "use_cudnn_on_gpu", "padding",
                                        "explicit_paddings", "data_format", "dilations")}


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


# -- tf.nn wrappers (TF1 signatures and node names) ----------------------------------------------


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
