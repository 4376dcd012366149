"""Colour ops behind ``tf.image`` (core/image_color.py): AdjustContrastv2, AdjustHue,
AdjustSaturation, RGBToHSV and HSVToRGB, with TensorFlow's names, attrs, type constraints and
messages, computed in float32 in TF's order as its kernels do. The resize ops are in
image_ops.py (which re-exports these OpDefs)."""

from __future__ import annotations

import functools

import numpy as np

from .. import dtypes as _dt
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ._conv_util import _require
from .concat_split_ops import _dims_str

__all__: list[str] = []  # the public functions are in core/image.py

_HALF_FLOAT = (_dt.float16, _dt.float32)
_HSV_TYPES = (_dt.float16, _dt.float32, _dt.float64)
_F32 = np.float32


def _error(message):
    return InvalidArgumentError(None, None, message)


# -- AdjustContrastv2 ----------------------------------------------------------------------------


def _at_least_3d(x):
    if x.ndim < 3:
        raise _error(f"input must be at least 3-D, got shape{_dims_str(x.shape)}")


def _scalar(value, what):
    v = np.asarray(value)
    if v.ndim != 0:
        raise _error(f"{what} must be scalar: {_dims_str(v.shape)}")
    return _F32(v)


def _contrast_kernel(images, contrast_factor):
    x = np.asarray(images)
    _at_least_3d(x)
    factor = _scalar(contrast_factor, "contrast_factor")
    xf = x.astype(_F32, copy=False)
    mean = xf.mean(axis=(-3, -2), keepdims=True, dtype=np.float64).astype(_F32)
    return ((xf - mean) * factor + mean).astype(x.dtype, copy=False)


def _image_and_scalar_infer(rank_at_least):
    def infer(images, scalar):
        _require(images, "images", _HALF_FLOAT)
        dims = images.shape.as_tuple()
        if dims is not None and len(dims) < rank_at_least:
            raise shape_error(f"Shape must be at least rank {rank_at_least} but is rank "
                              f"{len(dims)}")
        if scalar.shape.rank not in (None, 0):
            raise shape_error(f"Shape must be rank 0 but is rank {scalar.shape.rank}")
        return [TensorSpec(images.shape, images.dtype)]
    return infer


def _contrast_grad(op, dy):
    """out = (x - m) f + m with m the per-channel mean over height and width."""
    from . import math_ops, reduction_ops

    x, factor = op.inputs
    f = math_ops.cast(factor, dy.dtype)
    mean_dy = reduction_ops.reduce_mean(dy, axis=[-3, -2], keepdims=True)
    dx = f * dy + (1 - f) * mean_dy
    centred = x - reduction_ops.reduce_mean(x, axis=[-3, -2], keepdims=True)
    return [dx, math_ops.cast(reduction_ops.reduce_sum(centred * dy), _dt.float32)]


ADJUST_CONTRAST_V2 = register(OpDef(
    "AdjustContrastv2", inputs=["images:T=float32", "contrast_factor:float32"],
    kernel=_contrast_kernel,
    infer=_image_and_scalar_infer(3),
    grad=_contrast_grad,
))


# -- colour: AdjustHue, AdjustSaturation, RGBToHSV, HSVToRGB --------------------------------------

def _quiet(kernel):
    """Grey, black, inf and nan pixels divide by 0 on the way, as in TF's kernels: no warnings."""
    @functools.wraps(kernel)
    def run(*args, **attrs):
        with np.errstate(all="ignore"):
            return kernel(*args, **attrs)
    return run


# TF's six hue sectors (adjust_hue_op.cc): the channels holding (max, mid, min) in each.
_SECTORS = np.array([[0, 1, 2], [1, 0, 2], [1, 2, 0], [2, 1, 0], [2, 0, 1], [0, 2, 1]])


def _rgb(images, at_least_3d=True):
    x = np.asarray(images)
    if at_least_3d:
        _at_least_3d(x)
    if x.shape[-1] != 3:
        raise _error(f"input must have 3 channels but instead has {x.shape[-1]} channels.")
    return x, x.astype(_F32, copy=False)


@_quiet
def _hue_kernel(images, delta):
    x, xf = _rgb(images)
    d = _scalar(delta, "delta") * _F32(6)
    r, g, b = xf[..., 0], xf[..., 1], xf[..., 2]
    sector = np.where(r < g, np.where(b < r, 1, np.where(b > g, 3, 2)),
                      np.where(b < g, 0, np.where(b > r, 4, 5)))
    order = _SECTORS[sector]
    vmax, vmid, vmin = np.moveaxis(np.take_along_axis(xf, order, -1), -1, 0)
    ratio = (vmid - vmin) / (vmax - vmin)
    h = np.where(vmax == vmin, _F32(0),
                 sector.astype(_F32) + np.where(sector % 2 == 0, ratio, 1 - ratio))
    h = (h + d).astype(_F32)
    if abs(d) > 12:  # far outside TF's documented [-1, 1]: wrap at once, not 6 at a time
        h = np.mod(h, _F32(6))
    for _ in range(3):  # TF's wrap into [0, 6): add or subtract 6 (h + d is in [-12, 18))
        h = np.where(h < 0, h + _F32(6), np.where(h >= 6, h - _F32(6), h))
    sector = np.clip(h.astype(np.int64), 0, 5)  # nan: TF's cast is undefined, here 0
    ratio = h - sector.astype(_F32)
    ratio = np.where(sector % 2 == 0, ratio, 1 - ratio)
    mid = vmin + ratio * (vmax - vmin)
    out = np.empty_like(xf)
    np.put_along_axis(out, _SECTORS[sector], np.stack([vmax, mid, vmin], -1), -1)
    return out.astype(x.dtype, copy=False)


@_quiet
def _saturation_kernel(images, scale):
    x, xf = _rgb(images)
    r, g, b = xf[..., 0], xf[..., 1], xf[..., 2]
    v = np.maximum(r, np.maximum(g, b))
    rng = v - np.minimum(r, np.minimum(g, b))
    s = np.where(v > 0, rng / v, _F32(0))
    norm = _F32(1) / (_F32(6) * rng)
    # TF adds the double 2.0/6 and 4.0/6 to a float, then stores a float.
    h = np.where(r == v, norm * (g - b),
                 np.where(g == v, (norm * (b - r)).astype(np.float64) + 2.0 / 6,
                          (norm * (r - g)).astype(np.float64) + 4.0 / 6)).astype(_F32)
    h = np.where(rng <= 0, _F32(0), h)
    h = np.where(h < 0, h + _F32(1), h)
    s = np.minimum(_F32(1), np.maximum(_F32(0), s * _scalar(scale, "scale")))
    # TF's hsv_to_rgb of adjust_saturation_op.cc: a chroma and a sector table.
    c = s * v
    m = v - c
    dh = h * _F32(6)
    sector = dh.astype(np.int64)
    # TF subtracts 2 until below 2; dh is in [0, 6], where that is exactly np.mod.
    fmodu = np.mod(np.where(dh <= 0, dh + _F32(2), dh), _F32(2))
    xx = c * (1 - np.abs(fmodu - 1))
    zero = np.zeros_like(c)
    table = [(c, xx, zero), (xx, c, zero), (zero, c, xx), (zero, xx, c), (xx, zero, c),
             (c, zero, xx)]
    rgb = [np.select([sector == k for k in range(6)], [t[i] for t in table], zero) + m
           for i in range(3)]
    return np.stack(rgb, -1).astype(x.dtype, copy=False)


ADJUST_HUE = register(OpDef(
    "AdjustHue", inputs=["images:T=float32", "delta:float32"],
    kernel=_hue_kernel,
    infer=_image_and_scalar_infer(3),
    grad=NO_GRADIENT,
))

ADJUST_SATURATION = register(OpDef(
    "AdjustSaturation", inputs=["images:T=float32", "scale:float32"],
    kernel=_saturation_kernel,
    infer=_image_and_scalar_infer(3),
    grad=NO_GRADIENT,
))


def _colorspace_input(images):
    """The images, checked; RGBToHSV and HSVToRGB compute in their dtype, float16 too (each
    step rounding as Eigen's half arithmetic does)."""
    x = np.asarray(images)
    if x.ndim < 1:
        raise _error(f"input must be at least 1D{_dims_str(x.shape)}")
    if x.shape[-1] != 3:
        raise FailedPreconditionError(None, None, "input must have 3 channels but input only "
                                      f"has {x.shape[-1]} channels.")
    return x


@_quiet
def _rgb_to_hsv_kernel(images):
    x = _colorspace_input(images)
    t = x.dtype.type
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = x.max(-1)
    rng = v - x.min(-1)
    s = np.where(v > 0, rng / v, t(0))
    norm = (t(1) / rng) * (t(1) / t(6))
    h = np.where(r == v, norm * (g - b), np.where(g == v, norm * (b - r) + t(2) / t(6),
                                                  norm * (r - g) + t(4) / t(6)))
    h = np.where(rng > 0, h, t(0))
    h = np.where(h < 0, h + t(1), h)
    return np.stack([h, s, v], -1)


def _hsv_to_rgb_kernel(images):
    x = _colorspace_input(images)
    t = x.dtype.type
    h, s, v = x[..., 0], x[..., 1], x[..., 2]
    dh = h * t(6)
    dr = np.clip(np.abs(dh - t(3)) - t(1), 0, 1)
    dg = np.clip(t(2) - np.abs(dh - t(2)), 0, 1)
    db = np.clip(t(2) - np.abs(dh - t(4)), 0, 1)
    one_s = t(1) - s
    return np.stack([(one_s + s * d) * v for d in (dr, dg, db)], -1)


def _colorspace_infer(images):
    _require(images, "images", _HSV_TYPES)
    dims = images.shape.as_tuple()
    if dims is not None:
        if not dims:
            raise shape_error("Shape must be at least rank 1 but is rank 0")
        if dims[-1] is not None and dims[-1] != 3:
            raise shape_error(f"Dimension must be 3 but is {dims[-1]}")
    return [TensorSpec(images.shape, images.dtype)]


def _rgb_to_hsv_grad(op, dy):
    """d(h, s, v)/d(r, g, b) on the sector each pixel is in (ties broken as the kernel).
    v = max, s = (max - min) / max, h = n / (6 (max - min)) + const where n is the difference
    of the two other channels in cyclic order (g - b when red is the largest)."""
    from . import math_ops
    from .concat_split_ops import stack

    x, hsv = op.inputs[0], op.outputs[0]
    r, g, b = (x[..., i] for i in range(3))
    s, v = hsv[..., 1], hsv[..., 2]
    dh, ds, dv = (dy[..., i] for i in range(3))

    def cast(t):
        return math_ops.cast(t, x.dtype)

    big = [cast((r >= g) & (r >= b)), cast((g > r) & (g >= b)), cast((b > r) & (b > g))]
    small = [cast((r < g) & (r < b)), cast((g <= r) & (g < b)), cast((b <= r) & (b <= g))]
    chroma = v - (small[0] * r + small[1] * g + small[2] * b)
    n = big[0] * (g - b) + big[1] * (b - r) + big[2] * (r - g)
    n_over_c = math_ops.div_no_nan(n, chroma)
    out = []
    for j in range(3):
        d_chroma = big[j] - small[j]
        d_hue = math_ops.div_no_nan(big[(j - 1) % 3] - big[(j - 2) % 3] - n_over_c * d_chroma,
                                    6 * chroma)
        d_sat = math_ops.div_no_nan(d_chroma - s * big[j], v)
        out.append(dh * d_hue + ds * d_sat + dv * big[j])
    return [stack(out, axis=-1)]


RGB_TO_HSV = register(OpDef(
    "RGBToHSV", inputs=["images:T=float32"],
    kernel=_rgb_to_hsv_kernel,
    infer=_colorspace_infer,
    grad=_rgb_to_hsv_grad,
))

HSV_TO_RGB = register(OpDef(
    "HSVToRGB", inputs=["images:T=float32"],
    kernel=_hsv_to_rgb_kernel,
    infer=_colorspace_infer,
    grad=NOT_DIFFERENTIABLE,  # as TF
))
