"""3-D pooling and the other pooling variants TensorFlow registers: MaxPool3D, MaxPool3DGrad,
MaxPool3DGradGrad, AvgPool3D, AvgPool3DGrad; MaxPoolWithArgmax and MaxPoolGradWithArgmax; MaxPoolV2,
MaxPoolGradV2 and MaxPoolGradGradV2 (the 2-D ops with ksize and strides as tensors, which run
pool_ops' kernels). TensorFlow's names, attrs, shape functions and gradient rules; the TF1
``tf.nn`` wrappers are in core/nn_conv3d.py.

Kernels work channels-last (NCDHW is transposed in and out) and loop in Python only over window
taps: whole-array maximum/add/compare per tap on strided views of the padded input, with the
geometry helpers of _conv_util for any number of spatial dimensions.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from . import array_ops, pool_ops
from ._conv_util import (_FLOAT_TYPES, _check_format_and_padding, _check_rank, _crop_n, _dims,
                         _dims4, _disjoint, _format_list, _format_list_n, _from_last,
                         _geometry_n, _last_list, _merge, _nhwc_list, _pad_n, _require,
                         _shape_str, _shaped_like, _sizes_spec, _tap_valid_n, _taps_n, _to_last,
                         _window_counts_n, _WindowN)
from ._util import const_ints

_MAX3D_TYPES = (_dt.float16, _dt.float32)  # TF's {half, bfloat16, float}
_AVG3D_TYPES = _FLOAT_TYPES
# TensorFlow's realnumbertypes, in its order (bfloat16 has no minitf dtype).
_REAL_TYPES = (_dt.float32, _dt.float64, _dt.int32, _dt.uint8, _dt.int16, _dt.int8, _dt.int64,
               _dt.uint16, _dt.float16, _dt.uint32, _dt.uint64)


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# -- N-D pooling kernels (channels-last arrays, validated windows) ------------------------------


def _window_max(xp, ksize, outs, win):
    """As TF's CPU kernel: NaN skipped (a window of only NaN gives NaN)."""
    out = None
    for t, index in _taps_n(ksize, outs, win):
        if t == 0:
            out = xp[index].copy()
        else:
            np.fmax(out, xp[index], out=out)
    return out


def _max_pool(x, win):
    outs, pads = _geometry_n(x.shape[1:-1], win.ksize, win)
    return _window_max(_pad_n(x, pads, _lowest(x.dtype)), win.ksize, outs, win)


def _first_max_hits(x, win):
    """Yields (tap index, tap's index tuple into the padded input, hit mask): each window's
    first maximum in row-major tap order claims it (padding never does), as TensorFlow's CPU
    kernels pick. Also returns the geometry first: (outs, pads, padded shape)."""
    outs, pads = _geometry_n(x.shape[1:-1], win.ksize, win)
    xp = _pad_n(x, pads, _lowest(x.dtype))
    ymax = _window_max(xp, win.ksize, outs, win)
    valid = _tap_valid_n(x.shape[1:-1], outs, win.ksize, win, pads)
    claimed = np.zeros(ymax.shape, bool)

    def hits():
        for t, index in _taps_n(win.ksize, outs, win):
            hit = xp[index] == ymax
            if valid is not None:
                hit &= valid[t]
            hit &= ~claimed
            claimed[...] |= hit
            yield t, index, hit

    return (outs, pads, xp.shape), hits()


def _max_pool_grad(x, dy, win):
    (outs, pads, padded), hits = _first_max_hits(x, win)
    _check_grad_shape("grad", dy.shape, (x.shape[0], *outs, x.shape[-1]))
    dxp = np.zeros(padded, dy.dtype)
    zero = np.zeros((), dy.dtype)
    disjoint = _disjoint(win.ksize, win)
    for _, index, hit in hits:
        part = np.where(hit, dy, zero)  # not dy * hit: 0 * inf would be NaN
        if disjoint:
            dxp[index] = part
        else:
            dxp[index] += part
    return _crop_n(dxp, pads, x.shape[1:-1])


def _max_pool3d_grad_near(x, y, dy, win):
    """TensorFlow's MaxPool3DGrad: every element of a window within 1e-5 of the window's
    output (``y``) gets its gradient, ties all of them (2-D's MaxPoolGrad picks the first)."""
    outs, pads = _geometry_n(x.shape[1:-1], win.ksize, win)
    _check_grad_shape("grad", dy.shape, (x.shape[0], *outs, x.shape[-1]))
    xp = _pad_n(x, pads, _lowest(x.dtype))
    valid = _tap_valid_n(x.shape[1:-1], outs, win.ksize, win, pads)
    dxp = np.zeros(xp.shape, dy.dtype)
    zero = np.zeros((), dy.dtype)
    with np.errstate(invalid="ignore"):  # inf - inf: not near
        for t, index in _taps_n(win.ksize, outs, win):
            hit = np.abs(xp[index] - y) < 1e-5
            if valid is not None:
                hit &= valid[t]
            dxp[index] += np.where(hit, dy, zero)
    return _crop_n(dxp, pads, x.shape[1:-1])


def _max_pool_grad_grad(x, y, g, win):
    outs, pads = _geometry_n(x.shape[1:-1], win.ksize, win)
    _check_grad_shape("orig_output", y.shape, (x.shape[0], *outs, x.shape[-1]))
    _check_grad_shape("grad", g.shape, x.shape)
    # TensorFlow's CPU kernel: each output takes grad at the first window element equal to
    # orig_output (0 if none matches).
    xp, gp = _pad_n(x, pads, _lowest(x.dtype)), _pad_n(g, pads)
    valid = _tap_valid_n(x.shape[1:-1], outs, win.ksize, win, pads)
    out = np.zeros(y.shape, g.dtype)
    found = np.zeros(y.shape, bool)
    for t, index in _taps_n(win.ksize, outs, win):
        hit = (xp[index] == y) & ~found
        if valid is not None:
            hit &= valid[t]
        np.copyto(out, gp[index], where=hit)
        found |= hit
    return out


def _avg_pool(x, win):
    outs, pads = _geometry_n(x.shape[1:-1], win.ksize, win)
    xp = _pad_n(x, pads)
    out = np.zeros((x.shape[0], *outs, x.shape[-1]), x.dtype)
    for _, index in _taps_n(win.ksize, outs, win):
        out += xp[index]
    out /= _window_counts_n(x.shape[1:-1], outs, win.ksize, win, pads, x.dtype)
    return out


def _avg_pool_grad(shape, dy, win):
    sizes = shape[1:-1]
    outs, pads = _geometry_n(sizes, win.ksize, win)
    _check_grad_shape("grad", dy.shape, (shape[0], *outs, shape[-1]))
    share = dy / _window_counts_n(sizes, outs, win.ksize, win, pads, dy.dtype)
    dxp = np.zeros((shape[0], *(s + b + a for s, (b, a) in zip(sizes, pads)), shape[-1]),
                   dy.dtype)
    disjoint = _disjoint(win.ksize, win)
    for _, index in _taps_n(win.ksize, outs, win):
        if disjoint:
            dxp[index] = share
        else:
            dxp[index] += share
    return _crop_n(dxp, pads, sizes)


def _check_grad_shape(what, got, want):
    if tuple(got) != tuple(want):
        raise InvalidArgumentError(None, None, f"Expected {what} shape to be "
                                   f"{_shape_str(want)}, but got {_shape_str(got)}")


# -- MaxPool3D, AvgPool3D and their gradients ---------------------------------------------------


@functools.lru_cache(maxsize=256)
def _pool_window(op, ksize, strides, padding, data_format, rank=5, formats=("NDHWC", "NCDHW")):
    """Validates pooling attrs (TensorFlow's messages); cached per attr combination."""
    _check_format_and_padding(op, data_format, padding, formats, ("SAME", "VALID"))
    for attr, values in (("ksize", ksize), ("strides", strides)):
        if len(values) < rank:
            raise shape_error(f"Attr '{attr}' of '{op}' Op passed list of length {len(values)} "
                              f"less than minimum {rank}.")
        if len(values) != rank:
            what = "Pool3D ops" if rank == 5 else op
            raise shape_error(f"{what} require{'' if rank == 5 else 's'} the "
                              f"{attr.rstrip('s')} attribute to contain {rank} values, but "
                              f"got: {len(values)}")
    if any(k <= 0 for k in ksize):
        raise shape_error("Sliding window ksize must be positive. The specified or inferred "
                          f"ksize is: {','.join(map(str, ksize))}")
    for s in strides:
        if s <= 0:
            raise shape_error(f"Stride must be > 0, but got {s}")
    first = data_format.startswith("NC")
    ksize, strides = _last_list(ksize, first), _last_list(strides, first)
    if ksize[0] != 1 or strides[0] != 1:
        raise UnimplementedError(None, None, "Pooling is not yet supported on the batch "
                                 "dimension.")
    if ksize[-1] != 1 or strides[-1] != 1:
        # TensorFlow pools over depth alone for 2-D max pooling only; not implemented here.
        raise UnimplementedError(None, None, "Pooling is not yet supported on the depth "
                                 "dimension.")
    return _WindowN(tuple(ksize[1:-1]), tuple(strides[1:-1]), (1,) * (rank - 2), padding, first)


def _window3(op, ksize, strides, padding, data_format):
    return _pool_window(op, tuple(ksize), tuple(strides), padding, data_format)


def _max_pool3d_kernel(input, *, ksize, strides, padding, data_format):  # noqa: A002
    win = _window3("MaxPool3D", ksize, strides, padding, data_format)
    _check_rank(input, 5, "tensor_in")
    out = _max_pool(_to_last(input, win.channels_first), win)
    return _from_last(out, win.channels_first)


def _max_pool3d_grad_kernel(orig_input, orig_output, grad, *, ksize, strides, padding,
                            data_format):
    win = _window3("MaxPool3DGrad", ksize, strides, padding, data_format)
    _check_rank(orig_input, 5, "tensor_in")
    _check_rank(grad, 5, "out_backprop")
    x, dy = _to_last(orig_input, win.channels_first), _to_last(grad, win.channels_first)
    y = _to_last(orig_output, win.channels_first)
    return _from_last(_max_pool3d_grad_near(x, y, dy, win).astype(grad.dtype, copy=False),
                      win.channels_first)


def _max_pool3d_grad_grad_kernel(orig_input, orig_output, grad, *, ksize, strides, padding,
                                 data_format):
    win = _window3("MaxPool3DGradGrad", ksize, strides, padding, data_format)
    for arr, what in ((orig_input, "tensor_in"), (orig_output, "tensor_out"),
                      (grad, "out_backprop")):
        _check_rank(arr, 5, what)
    x, y, g = (_to_last(a, win.channels_first) for a in (orig_input, orig_output, grad))
    return _from_last(_max_pool_grad_grad(x, y, g, win), win.channels_first)


def _avg_pool3d_kernel(input, *, ksize, strides, padding, data_format):  # noqa: A002
    win = _window3("AvgPool3D", ksize, strides, padding, data_format)
    _check_rank(input, 5, "tensor_in")
    out = _avg_pool(_to_last(input, win.channels_first), win)
    return _from_last(out, win.channels_first)


def _avg_pool3d_grad_kernel(orig_input_shape, grad, *, ksize, strides, padding, data_format):
    win = _window3("AvgPool3DGrad", ksize, strides, padding, data_format)
    sizes = [int(v) for v in np.asarray(orig_input_shape).reshape(-1)]
    if len(sizes) != 5 or min(sizes) < 0:
        raise InvalidArgumentError(None, None, "orig_input_shape must be 1-dimensional and 5 "
                                   f"elements, got {sizes}")
    _check_rank(grad, 5, "out_backprop")
    shape = _last_list(sizes, win.channels_first)
    dx = _avg_pool_grad(shape, _to_last(grad, win.channels_first), win)
    return _from_last(dx, win.channels_first)


def _pool3d_out_shape(op, shape, ksize, strides, padding, data_format):
    win = _window3(op, ksize, strides, padding, data_format)
    n, *sizes, c = _last_list(_dims(shape, 5), win.channels_first)
    outs, _ = _geometry_n(sizes, win.ksize, win)
    return _format_list_n([n, *outs, c], win.channels_first)


def _max_pool3d_infer(x, *, ksize, strides, padding, data_format):
    _require(x, "input", _MAX3D_TYPES)
    return [TensorSpec(_pool3d_out_shape("MaxPool3D", x.shape, ksize, strides, padding,
                                         data_format), x.dtype)]


def _max_pool3d_grad_infer(x, y, g, *, ksize, strides, padding, data_format):
    _require(x, "orig_input", _MAX3D_TYPES)
    _require(g, "grad", _MAX3D_TYPES)
    _pool3d_out_shape("MaxPool3DGrad", x.shape, ksize, strides, padding, data_format)
    _dims(y.shape, 5)
    _dims(g.shape, 5)
    return [TensorSpec(x.shape, g.dtype)]


def _max_pool3d_grad_grad_infer(x, y, g, *, ksize, strides, padding, data_format):
    _require(x, "orig_input", _REAL_TYPES)
    out = _pool3d_out_shape("MaxPool3DGradGrad", x.shape, ksize, strides, padding, data_format)
    _dims(g.shape, 5)
    return [TensorSpec([_merge(a, b) for a, b in zip(out, _dims(y.shape, 5))], x.dtype)]


def _avg_pool3d_infer(x, *, ksize, strides, padding, data_format):
    _require(x, "input", _AVG3D_TYPES)
    return [TensorSpec(_pool3d_out_shape("AvgPool3D", x.shape, ksize, strides, padding,
                                         data_format), x.dtype)]


def _avg_pool3d_grad_infer(sizes, g, *, ksize, strides, padding, data_format):
    _require(g, "grad", _AVG3D_TYPES)
    _window3("AvgPool3DGrad", ksize, strides, padding, data_format)
    _dims(g.shape, 5)
    return _sizes_spec(sizes, g.dtype, rank=5)


def _attrs(op, *names):
    return {k: op._get_attr(k) for k in ("ksize", "strides", "padding") + names}


def _max_pool3d_grad_grad(op, grad):
    x, y, _ = op.inputs
    return [array_ops.zeros_like(x), array_ops.zeros_like(y),
            MAX_POOL3D_GRAD_GRAD(x, y, grad, **_attrs(op, "data_format"))]


def _max_pool3d_grad_grad_grad(op, grad):
    x, y, _ = op.inputs
    return [array_ops.zeros_like(x), array_ops.zeros_like(y),
            MAX_POOL3D_GRAD(x, y, grad, **_attrs(op, "data_format"))]


_POOL_ATTRS = {"ksize": req("list(int)"), "strides": req("list(int)"), "padding": req("string"),
               "data_format": "NDHWC"}

MAX_POOL3D = register(OpDef(
    "MaxPool3D", inputs=["input:T"], attrs=dict(_POOL_ATTRS),
    kernel=_max_pool3d_kernel, infer=_max_pool3d_infer,
    grad=lambda op, dy: [MAX_POOL3D_GRAD(op.inputs[0], op.outputs[0], dy,
                                         **_attrs(op, "data_format"))],
))
MAX_POOL3D_GRAD = register(OpDef(
    "MaxPool3DGrad", inputs=["orig_input:TInput", "orig_output:TInput", "grad:T"],
    attrs=dict(_POOL_ATTRS),
    kernel=_max_pool3d_grad_kernel, infer=_max_pool3d_grad_infer, grad=_max_pool3d_grad_grad,
))
MAX_POOL3D_GRAD_GRAD = register(OpDef(
    "MaxPool3DGradGrad", inputs=["orig_input:T", "orig_output:T", "grad:T"],
    attrs=dict(_POOL_ATTRS),
    kernel=_max_pool3d_grad_grad_kernel, infer=_max_pool3d_grad_grad_infer,
    grad=_max_pool3d_grad_grad_grad,
))
AVG_POOL3D = register(OpDef(
    "AvgPool3D", inputs=["input:T"], attrs=dict(_POOL_ATTRS),
    kernel=_avg_pool3d_kernel, infer=_avg_pool3d_infer,
    grad=lambda op, dy: [_shaped_like(AVG_POOL3D_GRAD(array_ops.shape(op.inputs[0]), dy,
                                                      **_attrs(op, "data_format")),
                                      op.inputs[0])],
))
AVG_POOL3D_GRAD = register(OpDef(
    "AvgPool3DGrad", inputs=["orig_input_shape:int32", "grad:T"], attrs=dict(_POOL_ATTRS),
    kernel=_avg_pool3d_grad_kernel, infer=_avg_pool3d_grad_infer,
    # TensorFlow returns stop_gradient(orig_input_shape) for the int32 shape: no gradient.
    grad=lambda op, g: [None, AVG_POOL3D(g, **_attrs(op, "data_format"))],
))


# -- MaxPoolWithArgmax and MaxPoolGradWithArgmax (2-D, NHWC only) --------------------------------


def _argmax_window(op, ksize, strides, padding):
    return _pool_window(op, tuple(ksize), tuple(strides), padding, "NHWC", 4, ("NHWC",))


def _max_pool_with_argmax_kernel(input, *, ksize, strides, Targmax, padding,  # noqa: A002,N803
                                 include_batch_in_index):
    win = _argmax_window("MaxPoolWithArgmax", ksize, strides, padding)
    _check_rank(input, 4, "tensor_in")
    n, h, w, c = input.shape
    outs, pads = _geometry_n((h, w), win.ksize, win)
    xp = _pad_n(input, pads, _lowest(input.dtype))
    valid = _tap_valid_n((h, w), outs, win.ksize, win, pads)
    out = np.full((n, *outs, c), _lowest(input.dtype), input.dtype)
    arg = np.full(out.shape, -1, np.int64)
    rows = np.arange(outs[0])[:, None] * win.strides[0] - pads[0][0]
    cols = np.arange(outs[1])[None, :] * win.strides[1] - pads[1][0]
    channel = np.arange(c)
    batch = np.arange(n)[:, None, None, None] * (h * w * c) if include_batch_in_index else 0
    for t, index in _taps_n(win.ksize, outs, win):
        i, j = divmod(t, win.ksize[1])
        v = xp[index]
        # The first maximum in row-major order wins (strictly greater replaces); a window's
        # first real element is taken even when it is the lowest value (padding never is).
        better = (v > out) | (arg < 0)
        if valid is not None:
            better &= valid[t]
        flat = ((rows + i) * w + cols + j)[None, :, :, None] * c + channel + batch
        np.copyto(out, v, where=better)
        np.copyto(arg, np.broadcast_to(flat, arg.shape), where=better)
    return [out, arg.astype(Targmax.as_numpy_dtype, copy=False)]


def _max_pool_grad_with_argmax_kernel(input, grad, argmax, *, ksize, strides,  # noqa: A002
                                      padding, include_batch_in_index):
    win = _argmax_window("MaxPoolGradWithArgmax", ksize, strides, padding)
    _check_rank(input, 4, "tensor_in")
    n, h, w, c = input.shape
    outs, _ = _geometry_n((h, w), win.ksize, win)
    _check_grad_shape("grad", grad.shape, (n, *outs, c))
    _check_grad_shape("argmax", argmax.shape, (n, *outs, c))
    index = argmax.astype(np.int64).reshape(n, -1)
    if not include_batch_in_index:  # indices are per image: offset each by its image
        index = index + np.arange(n)[:, None] * (h * w * c)
    index = index.reshape(-1)
    if index.size and (index.min() < 0 or index.max() >= input.size):
        bad = index[(index < 0) | (index >= input.size)][0]
        raise InvalidArgumentError(None, None, f"Received argmax index {bad} outside the "
                                   f"input of {input.size} elements")
    out = np.zeros(input.size, grad.dtype)
    np.add.at(out, index, grad.reshape(-1))
    return out.reshape(input.shape)


def _max_pool_with_argmax_infer(x, *, ksize, strides, Targmax, padding,  # noqa: N803
                                include_batch_in_index):
    _require(x, "input", _REAL_TYPES)
    if Targmax not in (_dt.int32, _dt.int64):
        raise TypeError(f"Value passed to parameter 'Targmax' has DataType {Targmax.name} not "
                        "in list of allowed values: int32, int64")
    win = _argmax_window("MaxPoolWithArgmax", ksize, strides, padding)
    n, h, w, c = _dims4(x.shape)
    outs, _ = _geometry_n((h, w), win.ksize, win)
    return [TensorSpec([n, *outs, c], x.dtype), TensorSpec([n, *outs, c], Targmax)]


def _max_pool_grad_with_argmax_infer(x, g, a, *, ksize, strides, padding,
                                     include_batch_in_index):
    _require(x, "input", _REAL_TYPES)
    _argmax_window("MaxPoolGradWithArgmax", ksize, strides, padding)
    _dims4(g.shape)
    _dims4(a.shape)
    return [TensorSpec(_dims4(x.shape), x.dtype)]


MAX_POOL_WITH_ARGMAX = register(OpDef(
    "MaxPoolWithArgmax", inputs=["input:T"],
    attrs={"ksize": req("list(int)"), "strides": req("list(int)"), "Targmax": _dt.int64,
           "padding": req("string"), "include_batch_in_index": False},
    kernel=_max_pool_with_argmax_kernel, infer=_max_pool_with_argmax_infer,
    grad=lambda op, dy, _: [MAX_POOL_GRAD_WITH_ARGMAX(
        op.inputs[0], dy, op.outputs[1], **_attrs(op, "include_batch_in_index"))],
))
MAX_POOL_GRAD_WITH_ARGMAX = register(OpDef(
    "MaxPoolGradWithArgmax", inputs=["input:T", "grad:T", "argmax:Targmax"],
    attrs={"ksize": req("list(int)"), "strides": req("list(int)"), "padding": req("string"),
           "include_batch_in_index": False},
    kernel=_max_pool_grad_with_argmax_kernel, infer=_max_pool_grad_with_argmax_infer,
    grad=NO_GRADIENT,  # TensorFlow registers none (nn_grad.py)
))


# -- MaxPoolV2 family: MaxPool with ksize and strides as int32 tensors ---------------------------


def _v2_lists(op, ksize, strides):
    ksize = [int(v) for v in np.asarray(ksize).reshape(-1)]
    strides = [int(v) for v in np.asarray(strides).reshape(-1)]
    if len(ksize) != 4 or len(strides) != 4:
        raise InvalidArgumentError(None, None, f"{op}: Sliding window ksize and strides field "
                                   f"must specify 4 dimensions, got {ksize} and {strides}")
    return ksize, strides


def _max_pool_v2_kernel(input, ksize, strides, *, padding, data_format):  # noqa: A002
    ksize, strides = _v2_lists("MaxPoolV2", ksize, strides)
    return pool_ops._max_pool_kernel(input, ksize=ksize, strides=strides, padding=padding,
                                     explicit_paddings=[], data_format=data_format)


def _max_pool_grad_v2_kernel(orig_input, orig_output, grad, ksize, strides, *, padding,
                             data_format):
    ksize, strides = _v2_lists("MaxPoolGradV2", ksize, strides)
    return pool_ops._max_pool_grad_kernel(orig_input, orig_output, grad, ksize=ksize,
                                          strides=strides, padding=padding,
                                          explicit_paddings=[], data_format=data_format)


def _max_pool_grad_grad_v2_kernel(orig_input, orig_output, grad, ksize, strides, *, padding,
                                  data_format):
    ksize, strides = _v2_lists("MaxPoolGradGradV2", ksize, strides)
    return pool_ops._max_pool_grad_grad_kernel(orig_input, orig_output, grad, ksize=ksize,
                                               strides=strides, padding=padding,
                                               data_format=data_format)


def _v2_out_shape(op, x, ksize, strides, padding, data_format, formats=("NHWC", "NCHW")):
    """The pooled shape when ksize and strides are constants, else (TF's) unknown dims."""
    _check_format_and_padding(op, data_format, padding, formats, ("SAME", "VALID"))
    if data_format == "NCHW_VECT_C":
        raise shape_error("data_format NCHW_VECT_C (int8 vectorised channels) is not supported "
                          "by minitf")
    k, s = const_ints(ksize), const_ints(strides)
    if k is None or s is None:
        _dims4(x.shape)
        return [None] * 4
    if op == "MaxPoolV2":  # MaxPool's shape function, depth windows included
        return pool_ops._pool_out_shape(op, x.shape, k, s, padding, [], data_format)
    win = _pool_window(op, tuple(k), tuple(s), padding, data_format, 4, ("NHWC", "NCHW"))
    n, h, w, c = _nhwc_list(_dims4(x.shape), win.channels_first)
    outs, _ = _geometry_n((h, w), win.ksize, win)
    return _format_list([n, *outs, c], win.channels_first)


def _max_pool_v2_infer(x, ksize, strides, *, padding, data_format):
    _require(x, "input", pool_ops._MAX_POOL_TYPES)
    return [TensorSpec(_v2_out_shape("MaxPoolV2", x, ksize, strides, padding, data_format,
                                     ("NHWC", "NCHW", "NCHW_VECT_C")), x.dtype)]


def _max_pool_grad_v2_infer(x, y, g, ksize, strides, *, padding, data_format):
    _require(x, "orig_input", pool_ops._MAX_POOL_GRAD_TYPES)
    _v2_out_shape("MaxPoolGradV2", x, ksize, strides, padding, data_format)
    return [TensorSpec(x.shape, x.dtype)]


def _max_pool_grad_grad_v2_infer(x, y, g, ksize, strides, *, padding, data_format):
    _require(x, "orig_input", pool_ops._MAX_POOL_GRAD_TYPES)
    out = _v2_out_shape("MaxPoolGradGradV2", x, ksize, strides, padding, data_format)
    return [TensorSpec([_merge(a, b) for a, b in zip(out, _dims4(y.shape))], x.dtype)]


def _max_pool_grad_v2_grad(op, grad):
    x, y, _, ksize, strides = op.inputs
    return [array_ops.zeros_like(x), array_ops.zeros_like(y),
            MAX_POOL_GRAD_GRAD_V2(x, y, grad, ksize, strides, padding=op._get_attr("padding"),
                                  data_format=op._get_attr("data_format")), None, None]


_V2_ATTRS = {"padding": req("string"), "data_format": "NHWC"}

MAX_POOL_V2 = register(OpDef(
    "MaxPoolV2", inputs=["input:T", "ksize:int32", "strides:int32"], attrs=dict(_V2_ATTRS),
    kernel=_max_pool_v2_kernel, infer=_max_pool_v2_infer,
    grad=lambda op, dy: [MAX_POOL_GRAD_V2(op.inputs[0], op.outputs[0], dy, op.inputs[1],
                                          op.inputs[2], padding=op._get_attr("padding"),
                                          data_format=op._get_attr("data_format")), None, None],
))
MAX_POOL_GRAD_V2 = register(OpDef(
    "MaxPoolGradV2",
    inputs=["orig_input:T", "orig_output:T", "grad:T", "ksize:int32", "strides:int32"],
    attrs=dict(_V2_ATTRS),
    kernel=_max_pool_grad_v2_kernel, infer=_max_pool_grad_v2_infer, grad=_max_pool_grad_v2_grad,
))
MAX_POOL_GRAD_GRAD_V2 = register(OpDef(
    "MaxPoolGradGradV2",
    inputs=["orig_input:T", "orig_output:T", "grad:T", "ksize:int32", "strides:int32"],
    attrs=dict(_V2_ATTRS),
    kernel=_max_pool_grad_grad_v2_kernel, infer=_max_pool_grad_grad_v2_infer,
    grad=NO_GRADIENT,  # TensorFlow registers none (nn_grad.py)
))
