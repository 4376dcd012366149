"""Pooling: MaxPool, MaxPoolGrad, MaxPoolGradGrad, AvgPool and AvgPoolGrad (TensorFlow's names,
attrs, shape functions and gradient graph), and the TF1 ``tf.nn`` wrappers.

MaxPool also pools across depth alone, as TF's CPU kernel does (see ``_depthwise_max_pool``);
the other pooling kernels refuse a depth window with TF's errors.

Kernels work in NHWC (NCHW is transposed in and out) and never loop in Python over batch or
spatial positions, only over the kh*kw window taps: whole-array maximum/add/compare per tap on
strided views of the padded input. The window geometry and layout helpers are shared with
conv_ops (in _conv_util).

``__all__`` lists the ``tf.nn`` names (core/nn.py star-imports it).
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import OpDef, TensorSpec, register, req, shape_error
from . import array_ops
from ._conv_util import (_FLOAT_TYPES, _MAX_POOL_GRAD_TYPES, _MAX_POOL_TYPES, _alias,
                         _channel_index, _check_4d, _check_format_and_padding,
                         _convert_padding, _crop, _dims4, _explicit_pads, _format_list,
                         _from_nhwc, _geometry, _get_sequence, _merge, _nhwc, _nhwc_list,
                         _out_dim, _pad, _require, _shape_str, _shaped_like, _sizes_spec,
                         _spatial_axes, _tap_valid, _taps, _Window)

__all__ = ["max_pool", "max_pool2d", "avg_pool", "avg_pool2d"]


# -- pooling -------------------------------------------------------------------------------------


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


@functools.lru_cache(maxsize=512)
def _pool_window(op, ksize, strides, padding, explicit, data_format, batch=True) -> _Window:
    """Validates pooling attrs (TensorFlow's messages); cached per attr combination.
    ``batch=False`` (the shape functions) skips the batch window and stride, which TF's shape
    functions ignore and only its kernels refuse."""
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
    h, w, n, _ = _spatial_axes(data_format)
    if batch and (ksize[n] != 1 or strides[n] != 1):
        raise UnimplementedError(None, None, "Pooling is not yet supported on the batch "
                                 "dimension.")
    # The depth window and stride are the kernels' business (``_depth``): TF's shape functions
    # accept any, its kernels pool across depth (MaxPool) or refuse it at run time.
    pads = _explicit_pads(padding, explicit, data_format, (ksize[h], ksize[w]))
    return _Window(ksize[h], ksize[w], strides[h], strides[w], 1, 1, padding, pads,
                   data_format == "NCHW")


def _depth(ksize, strides, data_format):
    """(depth window, depth stride) from the 4-value attrs."""
    c = _channel_index(data_format)
    return ksize[c], strides[c]


def _refuse_depth(ksize, strides, data_format, what):
    """TF's gradient kernels' check: no window or stride across depth."""
    if _depth(ksize, strides, data_format) != (1, 1):
        raise UnimplementedError(None, None, f"{what} is not yet supported on the depth "
                                 "dimension.")


def _check_depthwise(x, win, kd, sd):
    """TF's PoolParameters rules for a depth window ``kd`` > 1 (x in NHWC), in its order."""
    if win.kh != 1 or win.kw != 1:
        raise UnimplementedError(None, None, "MaxPooling supports exactly one of pooling across "
                                 "depth or pooling across width/height.")
    if x.shape[3] % kd:
        raise UnimplementedError(None, None, "Depthwise max pooling requires the depth window "
                                 "to evenly divide the input depth")
    if sd != kd:
        raise UnimplementedError(None, None, "Depthwise max pooling requires the depth window "
                                 "to equal the depth stride")
    if win.nchw:
        # TF computes it only on CPU, where its kernels take NHWC alone; its NCHW (GPU) kernels
        # refuse a depth window with this message.
        raise UnimplementedError(None, None, "Depthwise max pooling is currently only "
                                 "implemented for CPU devices.")


def _depthwise_max_pool(input, ksize, strides, padding, explicit_paddings,  # noqa: A002
                        data_format):
    """TF's DepthwiseMaxPool: the max over each group of ``kd`` consecutive channels, at every
    position. As in TF's CPU kernel, spatial strides (and SAME padding) play no part at run
    time: the output keeps the input's height and width, even where TF's shape function (and
    ``infer``) computed a smaller static shape from the strides.

    TF reduces each group with Eigen's ``maxCoeff`` (``acc < v ? v : acc``): a NaN in a
    group's first channel gives NaN, a NaN further on is skipped. That is what we compute.
    (Eigen's vectorised reduction, used for groups of 8 or more floats, can order the
    comparisons differently, so a NaN elsewhere in such a group may change TF's result.)"""
    kd, sd = _depth(ksize, strides, data_format)
    win = _pool_window("MaxPool", tuple(ksize), tuple(strides), padding,
                       tuple(explicit_paddings), data_format)
    _check_4d(input, "input")
    x = _nhwc(input, win.nchw)
    _check_depthwise(x, win, kd, sd)
    if padding == "EXPLICIT":
        raise UnimplementedError(None, None, "Depthwise max pooling does not support explicit "
                                 "padding.")
    n, h, w, d = x.shape
    groups = x.reshape(n, h, w, d // kd, kd)
    if x.dtype.kind != "f":
        return groups.max(axis=4, initial=_lowest(x.dtype))
    out = np.fmax.reduce(groups, axis=4, initial=-np.inf)  # NaN skipped ...
    first = groups[..., 0]
    return np.where(np.isnan(first), first, out)  # ... unless it comes first


def _pool_setup(op, x, ksize, strides, padding, explicit_paddings, data_format):
    win = _pool_window(op, tuple(ksize), tuple(strides), padding, tuple(explicit_paddings),
                       data_format)
    _check_4d(x, "input")
    x = _nhwc(x, win.nchw)
    oh, ow, pads = _geometry(x.shape[1], x.shape[2], win.kh, win.kw, win, at_run_time=True)
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
    """Max over each window of a (-inf-)padded input: one np.fmax per tap on strided views
    (several times faster than a multi-axis reduction over a window view). As TF's CPU
    kernel, which starts from the lowest finite value and skips NaN: a window of only NaN or
    -inf gives that lowest value."""
    out = np.empty((xp.shape[0], oh, ow, xp.shape[3]), xp.dtype)
    for t, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
        if t == 0:
            out[...] = xp[:, rows, cols]
        else:
            np.fmax(out, xp[:, rows, cols], out=out)
    if out.dtype.kind == "f":
        np.fmax(out, np.finfo(out.dtype).min, out=out)
    return out


def _max_pool_kernel(input, *, ksize, strides, padding, explicit_paddings,  # noqa: A002
                     data_format):
    if _depth(ksize, strides, data_format)[0] != 1:
        return _depthwise_max_pool(input, ksize, strides, padding, explicit_paddings,
                                   data_format)
    # A depth stride without a depth window is ignored, as by TF's kernel (not its shape fn).
    win, x, oh, ow, pads = _pool_setup("MaxPool", input, ksize, strides, padding,
                                       explicit_paddings, data_format)
    return _from_nhwc(_window_max(_pad(x, pads, _lowest(x.dtype)), win, oh, ow), win.nchw)


def _check_grad_shape(what, got, want):
    if tuple(got) != tuple(want):
        raise InvalidArgumentError(None, None, f"Expected {what} shape to be "
                                   f"{_shape_str(want)}, but got {_shape_str(got)}")


def _max_pool_grad_kernel(orig_input, orig_output, grad, *, ksize, strides, padding,
                          explicit_paddings, data_format):
    _pool_window("MaxPoolGrad", tuple(ksize), tuple(strides), padding,
                 tuple(explicit_paddings), data_format)
    _refuse_depth(ksize, strides, data_format, "MaxPoolingGrad")
    win, x, oh, ow, pads = _pool_setup("MaxPoolGrad", orig_input, ksize, strides, padding,
                                       explicit_paddings, data_format)
    _check_4d(grad, "grad")
    dy = _nhwc(grad, win.nchw)
    n, h, w, c = x.shape
    _check_grad_shape("grad", dy.shape, (n, oh, ow, c))
    if dy.size == 0:  # no window (a window larger than the input): nothing flows back
        return np.zeros(orig_input.shape, dy.dtype)
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
    _pool_window("MaxPoolGradGrad", tuple(ksize), tuple(strides), padding, (), data_format)
    _refuse_depth(ksize, strides, data_format, "MaxPoolingGradGrad")
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
    kd, sd = _depth(ksize, strides, data_format)
    if kd != 1:  # TF's reference kernel (TF_ENABLE_ONEDNN_OPTS=0); a depth stride is ignored
        _check_depthwise(x, win, kd, sd)
        raise UnimplementedError(None, None, "Non-spatial pooling is not yet supported. "
                                 "Volunteers? :)")
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
    if _depth(ksize, strides, data_format)[0] != 1:  # TF's reference kernel; a stride is ignored
        raise UnimplementedError(None, None, "Non-spatial pooling is not yet supported. "
                                 "Volunteers? :)")
    _check_4d(grad, "grad")
    n, h, w, c = _nhwc_list(sizes, win.nchw)
    oh, ow, pads = _geometry(h, w, win.kh, win.kw, win, at_run_time=True)
    dy = _nhwc(grad, win.nchw)
    _check_grad_shape("grad", dy.shape, (n, oh, ow, c))
    if dy.size == 0:  # no window (a window larger than the input): nothing flows back
        return np.zeros(sizes, dy.dtype)
    share = dy / _window_counts((n, h, w, c), win, oh, ow, pads, dy.dtype)
    dxp = np.zeros((n, h + pads[0] + pads[1], w + pads[2] + pads[3], c), dy.dtype)
    disjoint = win.sh >= win.kh and win.sw >= win.kw
    for _, rows, cols in _taps(win.kh, win.kw, oh, ow, win):
        if disjoint:
            dxp[:, rows, cols] = share
        else:
            dxp[:, rows, cols] += share
    return _from_nhwc(_crop(dxp, pads, h, w), win.nchw)


def _pool_out_shape(op, shape, ksize, strides, padding, explicit_paddings, data_format,
                    depth=True):
    """TF's MaxPoolShape: the depth too is a windowed size (of the depth window and stride,
    VALID-like for EXPLICIT) unless ``depth`` is False (AvgPoolShape keeps it)."""
    win = _pool_window(op, tuple(ksize), tuple(strides), padding, tuple(explicit_paddings),
                       data_format, batch=False)
    n, h, w, c = _nhwc_list(_dims4(shape), win.nchw)
    oh, ow, _ = _geometry(h, w, win.kh, win.kw, win)
    if depth:
        kd, sd = _depth(ksize, strides, data_format)
        c = _out_dim(c, kd, sd, 1, padding, (0, 0))[0]
    return _format_list([n, oh, ow, c], win.nchw)


def _max_pool_infer(x, *, ksize, strides, padding, explicit_paddings, data_format):
    _require(x, "input", _MAX_POOL_TYPES)
    out = _pool_out_shape("MaxPool", x.shape, ksize, strides, padding, explicit_paddings,
                          data_format)
    return [TensorSpec(out, x.dtype)]


def _max_pool_grad_infer(x, y, g, *, ksize, strides, padding, explicit_paddings, data_format):
    _require(x, "orig_input", _MAX_POOL_GRAD_TYPES)
    _pool_out_shape("MaxPoolGrad", x.shape, ksize, strides, padding, explicit_paddings,
                    data_format, depth=False)
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
                                       data_format, depth=False), x.dtype)]


def _avg_pool_grad_infer(sizes, g, *, ksize, strides, padding, data_format):
    _require(g, "grad", _FLOAT_TYPES)
    _pool_window("AvgPoolGrad", tuple(ksize), tuple(strides), padding, (), data_format,
                 batch=False)
    _dims4(g.shape)
    return _sizes_spec(sizes, g.dtype)


def _pool_attrs(op, *names):
    return {k: op._get_attr(k) for k in ("ksize", "strides", "padding") + names}


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
