"""Shared by conv_ops and pool_ops: TensorFlow's type constraints, the 2-D window geometry
(validated attrs in NHWC terms, output sizes and paddings, kernel taps), NHWC layout helpers,
static-shape helpers and the argument handling of the TF1 ``tf.nn`` wrappers. The helpers for
any number of spatial dimensions (conv3d_ops, pool3d_ops) are at the end.

Spatial geometry is TensorFlow's: SAME ``out = ceil(in / stride)`` with ``pad_before =
pad_total // 2``; VALID ``out = ceil((in - (k - 1) * dilation) / stride)``; EXPLICIT paddings.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import TensorSpec, shape_error
from ..tensor_shape import TensorShape
from ._util import shape_from_value


# TensorFlow's type constraints (in its order) and the error it raises at graph construction.
_CONV_TYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32)
_FLOAT_TYPES = (_dt.float16, _dt.float32, _dt.float64)
_MAX_POOL_TYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.int64, _dt.uint8,
                   _dt.int16, _dt.int8, _dt.uint16)
_MAX_POOL_GRAD_TYPES = _MAX_POOL_TYPES + (_dt.uint32, _dt.uint64)


def _check_groups(c, fc, o):
    """TF's static check of a (grouped) convolution's depths: input depth ``c``, the filter's
    input depth ``fc`` and output depth ``o`` (None where unknown)."""
    if c is None or not fc:
        return
    if c % fc:
        raise shape_error(f"Depth of input ({c}) is not a multiple of input depth of filter "
                          f"({fc})")
    if o is not None and o % (c // fc):
        raise shape_error(f"Depth of output ({o}) is not a multiple of the number of groups "
                          f"({c // fc})")


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


def _out_dim(size, k, stride, dilation, padding, pads, at_run_time=False):
    """(output size, pad before, pad after) of one spatial dimension, TensorFlow's rules.
    Unknown (None) ``size`` or ``k`` give None where they matter (SAME needs no ``k``).
    A window larger than the padded input is an error at graph construction; ``at_run_time``
    (a kernel's check) follows TF's kernels instead, see ``_run_time_out``."""
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
    if at_run_time:
        return _run_time_out(size, padded, eff, stride), before, after
    if padded < eff:
        raise shape_error(f"Negative dimension size caused by subtracting {eff} from {padded}")
    return (padded - eff) // stride + 1, before, after


def _run_time_out(size, padded, eff, stride):
    """TF's kernels compute (padded - eff + stride) / stride in C++ (truncating toward zero):
    a window up to a stride too large gives 0 outputs, only a negative count is an error."""
    num = padded - eff + stride
    out = num // stride if num >= 0 else -(-num // stride)
    if out < 0:
        raise InvalidArgumentError(None, None, f"Computed output size would be negative: {out} "
                                   f"[input_size: {size}, effective_filter_size: {eff}, "
                                   f"stride: {stride}]")
    return out


def _geometry(h, w, kh, kw, win: _Window, at_run_time=False):
    """(oh, ow, (top, bottom, left, right)) for an NHWC input of spatial size h x w."""
    oh, pt, pb = _out_dim(h, kh, win.sh, win.dh, win.padding, win.pads[:2], at_run_time)
    ow, pl, pr = _out_dim(w, kw, win.sw, win.dw, win.padding, win.pads[2:], at_run_time)
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


# -- static shapes ---------------------------------------------------------------------------------


def _dims(shape: TensorShape, rank: int) -> list:
    if shape.rank is None:
        return [None] * rank
    if shape.rank != rank:
        raise shape_error(f"Shape must be rank {rank} but is rank {shape.rank}")
    return list(shape.as_tuple())


def _dims4(shape: TensorShape) -> list:
    return _dims(shape, 4)


def _sizes_spec(sizes: TensorSpec, dtype, rank: int = 4) -> list[TensorSpec]:
    """The output of a gradient op whose shape is an input (``sizes``): what it is known
    to hold, entry by entry (a constant, or in part a Pack or Shape: ``tf.stack([batch, 8,
    8, 8])`` holds (?, 8, 8, 8), as TF's MakeShapeFromShapeTensor reads it)."""
    shape = shape_from_value(sizes)
    if shape.rank is None:
        return [TensorSpec([None] * rank, dtype)]
    if shape.rank != rank:
        raise shape_error(f"Shape must be rank {rank} but is rank {shape.rank}")
    return [TensorSpec(shape, dtype)]


def _merge(a, b):
    if a is not None and b is not None and a != b:
        raise shape_error(f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def _shaped_like(t, like):
    """``t`` with the static shape of ``like`` merged in: a Shape tensor of a partially known
    shape is not constant, but the gradient's shape is still that of the forward input."""
    t.set_shape(like.shape)
    return t


# -- arguments of the tf.nn wrappers (TensorFlow's conversions) ------------------------------------


def _get_sequence(value, channel_index, name, n=2):
    """TensorFlow's ``_get_sequence`` for ``n`` spatial dims: int / 1 / n / n + 2 values ->
    n + 2 values."""
    if value is None:
        return [1] * (n + 2)
    value = list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]
    if len(value) == n + 2:
        return [int(v) for v in value]
    if len(value) == 1:
        value = value * n
    elif len(value) != n:
        raise ValueError(f"{name} should be of length 1, {n} or {n + 2}. Received: "
                         f"{name}={value} of length {len(value)}")
    value = [int(v) for v in value]
    return [1, 1] + value if channel_index == 1 else [1] + value + [1]


def _convert_padding(padding, expected=4):
    """TensorFlow's ``convert_padding``: a list of ``expected`` (before, after) pairs means
    EXPLICIT."""
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
        if len(padding) != expected:
            raise ValueError(f"When padding is a list, it must be of size {expected}. Received: "
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


# -- any number of spatial dimensions (the 3-D ops; kernels work channels-last) ------------------


class _WindowN(NamedTuple):
    """Validated attrs, per spatial dimension in channels-last order. ``ksize`` is () for
    convolutions (taken from the filter)."""

    ksize: tuple
    strides: tuple
    dilations: tuple
    padding: str
    channels_first: bool


def _last_list(values, channels_first):
    """Per-dimension values in data_format order -> channels-last order."""
    values = list(values)
    return [values[0], *values[2:], values[1]] if channels_first else values


def _format_list_n(values, channels_first):
    """Per-dimension values in channels-last order -> data_format order."""
    values = list(values)
    return [values[0], values[-1], *values[1:-1]] if channels_first else values


def _to_last(x, channels_first):
    return x.transpose(0, *range(2, x.ndim), 1) if channels_first else x


def _from_last(x, channels_first):
    if not channels_first:
        return x
    return np.ascontiguousarray(x.transpose(0, x.ndim - 1, *range(1, x.ndim - 1)))


def _check_rank(x, rank, what):
    if x.ndim != rank:
        raise InvalidArgumentError(None, None, f"{what} must be {rank}-dimensional"
                                   f"{_shape_str(x.shape)}")


def _geometry_n(sizes, ksize, win: _WindowN):
    """(output sizes, [(pad before, pad after)]) of the spatial ``sizes``; unknown (None)
    sizes give None, as in _out_dim."""
    outs, pads = [], []
    for size, k, s, d in zip(sizes, ksize, win.strides, win.dilations):
        out, before, after = _out_dim(size, k, s, d, win.padding, (0, 0))
        outs.append(out)
        pads.append((before, after))
    return outs, pads


def _pad_n(x, pads, value=0):
    """A channels-last array padded (with ``value``) on its spatial dimensions."""
    if not any(b or a for b, a in pads):
        return x
    shape = (x.shape[0],) + tuple(s + b + a for s, (b, a) in zip(x.shape[1:-1], pads)) + \
        (x.shape[-1],)
    out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    out[(slice(None),) + tuple(slice(b, b + s) for s, (b, _) in zip(x.shape[1:-1], pads))] = x
    return out


def _crop_n(xp, pads, sizes):
    if tuple(xp.shape[1:-1]) == tuple(sizes):
        return xp
    return xp[(slice(None),) + tuple(slice(b, b + s) for s, (b, _) in zip(sizes, pads))]


def _taps_n(ksize, outs, win: _WindowN):
    """(tap index, index tuple) of each window tap into the padded channels-last input, in
    row-major tap order (the index tuple selects that tap's element of every window)."""
    for t, offsets in enumerate(np.ndindex(*ksize)):
        yield t, (slice(None),) + tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s)
            for o, n, s, d in zip(offsets, outs, win.strides, win.dilations))


def _disjoint(ksize, win: _WindowN):
    """Whether no two windows share an input element (each tap writes its slots once)."""
    return all(s >= (k - 1) * d + 1 for k, s, d in zip(ksize, win.strides, win.dilations))


def _windows(xp, ksize, outs, win: _WindowN, tap_major=False):
    """A read-only strided view of every window of a padded channels-last input:
    (n, *outs, *ksize, c), or (*ksize, c, n, *outs) with ``tap_major``."""
    strides = xp.strides
    n_str, c_str, sp = strides[0], strides[-1], strides[1:-1]
    out_strides = tuple(s * st for s, st in zip(sp, win.strides))
    tap_strides = tuple(s * d for s, d in zip(sp, win.dilations))
    n, c = xp.shape[0], xp.shape[-1]
    if tap_major:
        return as_strided(xp, tuple(ksize) + (c, n) + tuple(outs),
                          tap_strides + (c_str, n_str) + out_strides, writeable=False)
    return as_strided(xp, (n,) + tuple(outs) + tuple(ksize) + (c,),
                      (n_str,) + out_strides + tap_strides + (c_str,), writeable=False)


def _tap_valid_n(sizes, outs, ksize, win: _WindowN, pads):
    """Per tap, the (1, *outs, 1) mask of windows where that tap is a real input element
    (None without padding)."""
    if not any(b or a for b, a in pads):
        return None
    per_dim = [_tap_valid(size, out, k, s, b) for size, out, k, s, (b, _) in
               zip(sizes, outs, ksize, win.strides, pads)]
    masks = []
    for offsets in np.ndindex(*ksize):
        m = np.ones((), bool)
        for v, o in zip(per_dim, offsets):
            m = np.multiply.outer(m, v[o])
        masks.append(m[None, ..., None])
    return masks


def _window_counts_n(sizes, outs, ksize, win: _WindowN, pads, dtype):
    """(1, *outs, 1) number of real (unpadded) input elements in each window."""
    m = np.ones((), np.int64)
    for size, out, k, s, (b, _) in zip(sizes, outs, ksize, win.strides, pads):
        m = np.multiply.outer(m, _tap_valid(size, out, k, s, b).sum(axis=0))
    return m.astype(dtype)[None, ..., None]
