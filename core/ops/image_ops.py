"""Image ops behind ``tf.image`` (core/image.py): ResizeBilinear, ResizeNearestNeighbor and
ResizeBicubic with their Grad ops, AdjustContrastv2, AdjustHue, AdjustSaturation, RGBToHSV and
HSVToRGB. TensorFlow's names, attrs, type constraints and messages; its numerics too: source
coordinates, interpolation weights and lerps are computed in float32 in TF's order, so results
agree with TF's kernels to the last bit or two.

Resizing is separable: per output row/column, the input indices and weights it reads (its
"taps"). Forward kernels gather with those indices (no per-pixel loop); gradient kernels
scatter-add each tap's share (np.add.at) or, for bicubic's 16 taps, apply the transposed tap
matrices. Each Grad op's own gradient is the forward resize of its incoming gradient (the
adjoint of a linear map), which TF leaves undefined.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import dtypes as _dt
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ._conv_util import _require
from ._util import const_ints
from .concat_split_ops import _dims_str

__all__: list[str] = []  # the public functions are in core/image.py

_RESIZE_TYPES = (_dt.int8, _dt.uint8, _dt.int16, _dt.uint16, _dt.int32, _dt.int64, _dt.float16,
                 _dt.float32, _dt.float64)
_NN_GRAD_TYPES = (_dt.uint8, _dt.int8, _dt.int32, _dt.float16, _dt.float32, _dt.float64)
_BILINEAR_GRAD_TYPES = (_dt.float32, _dt.float16, _dt.float64)
_BICUBIC_GRAD_TYPES = (_dt.float32, _dt.float64)
_HALF_FLOAT = (_dt.float16, _dt.float32)
_HSV_TYPES = (_dt.float16, _dt.float32, _dt.float64)
_F32 = np.float32


def _error(message):
    return InvalidArgumentError(None, None, message)


# -- geometry: TF's CalculateResizeScale and its scalers, in float32 -----------------------------


def _source(out_size, in_size, align_corners, half_pixel, nearest=False):
    """Where each output row/column samples the input (TF's Legacy/HalfPixel scalers)."""
    if align_corners and out_size > 1:
        scale = _F32(in_size - 1) / _F32(out_size - 1)
    else:
        scale = _F32(in_size) / _F32(out_size)
    i = np.arange(out_size, dtype=_F32)
    if not half_pixel:
        return i * scale
    # Nearest neighbour's half-pixel scaler does not subtract the half pixel again.
    return (i + _F32(0.5)) * scale if nearest else (i + _F32(0.5)) * scale - _F32(0.5)


def _nearest_index(out_size, in_size, align_corners, half_pixel):
    src = _source(out_size, in_size, align_corners, half_pixel, nearest=True)
    low = np.floor(src)
    # roundf (half away from zero; src >= 0 here), not numpy's round-half-to-even.
    idx = np.where(src - low >= 0.5, low + 1, low) if align_corners else low
    return np.clip(idx.astype(np.int64), 0, in_size - 1)


def _linear_taps(out_size, in_size, align_corners, half_pixel):
    """(lower, upper, lerp) per output position, as TF's compute_interpolation_weights."""
    src = _source(out_size, in_size, align_corners, half_pixel)
    low = np.floor(src)
    lower = np.maximum(low, 0).astype(np.int64)
    upper = np.minimum(np.ceil(src), in_size - 1).astype(np.int64)
    return lower, upper, src - low


@functools.lru_cache(maxsize=2)
def _cubic_table(a):
    """TF's 1025-entry table of Keys cubic coefficients (computed in double, stored as float)."""
    x = np.arange(1025) / 1024.0
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x = x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return near.astype(_F32), far.astype(_F32)


def _cubic_taps(out_size, in_size, align_corners, half_pixel):
    """(indices, weights), each [out_size, 4]: TF's GetWeightsAndIndices. With half-pixel
    centers (Keys, a=-0.5) taps outside the image get weight 0 and the rest are renormalised;
    the legacy kernel (a=-0.75) clamps the indices and keeps the weights."""
    src = _source(out_size, in_size, align_corners, half_pixel)
    low = np.floor(src)
    offset = np.rint((src - low) * _F32(1024)).astype(np.int64)
    near, far = _cubic_table(-0.5 if half_pixel else -0.75)
    w = np.stack([far[offset], near[offset], near[1024 - offset], far[1024 - offset]], axis=1)
    raw = low.astype(np.int64)[:, None] + np.arange(-1, 3)
    idx = np.clip(raw, 0, in_size - 1)
    if half_pixel:
        w = np.where(idx == raw, w, _F32(0))
        total = ((w[:, 0] + w[:, 1]) + w[:, 2]) + w[:, 3]
        ok = np.abs(total) >= 1000 * np.finfo(_F32).tiny
        w = np.where(ok[:, None], w * (_F32(1) / np.where(ok, total, _F32(1)))[:, None], w)
    return idx, w


def _tap_matrix(idx, weights, in_size, dtype):
    """The [out, in] matrix of taps (repeated clamped indices add up)."""
    m = np.zeros((idx.shape[0], in_size), dtype)
    np.add.at(m, (np.arange(idx.shape[0])[:, None], idx), weights.astype(dtype))
    return m


def _apply_transposed(dy, my, mx):
    """``out[b, i, j, c] = sum_yx my[y, i] mx[x, j] dy[b, y, x, c]``: the gradient of a
    separable resize whose tap matrices are my and mx."""
    t = np.tensordot(my, dy, axes=([0], [1]))  # [in_h, n, out_w, c]
    t = np.tensordot(mx, t, axes=([0], [2]))  # [in_w, in_h, n, c]
    return np.ascontiguousarray(t.transpose(2, 1, 0, 3))


# -- argument checks (run time) and shape functions (graph construction) -------------------------


def _check_attrs(align_corners, half_pixel_centers):
    if align_corners and half_pixel_centers:
        raise _error("If half_pixel_centers is True, align_corners must be False.")


def _check_resize(images, size, align_corners, half_pixel_centers):
    """TF's ImageResizerState checks; returns (images, out_height, out_width)."""
    _check_attrs(align_corners, half_pixel_centers)
    x, s = np.asarray(images), np.asarray(size)
    if x.ndim != 4:
        raise _error(f"input must be 4-dimensional{_dims_str(x.shape)}")
    if s.ndim != 1:
        raise _error(f"shape_t must be 1-dimensional{_dims_str(s.shape)}")
    if s.size != 2:
        raise _error(f"shape_t must have two elements{_dims_str(s.shape)}")
    oh, ow = int(s[0]), int(s[1])
    if oh <= 0 or ow <= 0:
        raise _error("output dimensions must be positive")
    if x.shape[3] <= 0:
        raise _error("image must have at least one channel")
    if x.shape[1] <= 0 or x.shape[2] <= 0:
        raise _error("input image must be of non-zero size")
    return x, oh, ow


def _rank4(spec) -> tuple:
    dims = spec.shape.as_tuple()
    if dims is None:
        return (None,) * 4
    if len(dims) != 4:
        raise shape_error(f"Shape must be rank 4 but is rank {len(dims)}")
    return dims


def _size_hw(size) -> tuple:
    """(height, width) a size input is statically known to hold (None where unknown)."""
    dims = size.shape.as_tuple()
    if dims is not None:
        if len(dims) != 1:
            raise shape_error(f"Shape must be rank 1 but is rank {len(dims)}")
        if dims[0] is not None and dims[0] != 2:
            raise shape_error(f"Dimension must be 2 but is {dims[0]}")
    vals = const_ints(size)
    if vals is None:
        partial = size.shape_value
        return tuple(partial.as_list()) if partial is not None and partial.rank == 2 else \
            (None, None)
    for v in vals:
        if v < 0:
            raise shape_error(f"Dimension {v} must be >= 0")
    return vals[0], vals[1]


def _resize_infer(allowed, out_dtype=None):
    def infer(images, size, *, align_corners, half_pixel_centers):
        _require(images, "images", allowed)
        _check_attrs(align_corners, half_pixel_centers)
        n, _, _, c = _rank4(images)
        h, w = _size_hw(size)
        return [TensorSpec([n, h, w, c], out_dtype or images.dtype)]
    return infer


def _resize_grad_infer(allowed):
    """ResizeBilinearGrad / ResizeBicubicGrad: the original image's shape and dtype."""
    def infer(grads, original_image, *, align_corners, half_pixel_centers):
        _require(original_image, "original_image", allowed)
        _check_attrs(align_corners, half_pixel_centers)
        _rank4(grads)
        _rank4(original_image)
        return [TensorSpec(original_image.shape, original_image.dtype)]
    return infer


def _check_grad(grads, original_image, align_corners, half_pixel_centers):
    _check_attrs(align_corners, half_pixel_centers)
    dy, x = np.asarray(grads), np.asarray(original_image)
    if dy.ndim != 4:
        raise _error(f"input_grad must be 4-dimensional{_dims_str(dy.shape)}")
    if x.ndim != 4:
        raise _error(f"original_image must be 4-dimensional{_dims_str(x.shape)}")
    if x.shape[1] <= 0 or x.shape[2] <= 0:
        raise _error("original sizes must be positive")
    return dy, x.shape[1], x.shape[2]


def _hw_of(t):
    """[height, width] of a 4-D tensor: constants when static, else from Shape."""
    from . import array_ops

    dims = t.shape.as_tuple()
    if dims is not None and dims[1] is not None and dims[2] is not None:
        return list(dims[1:3])
    return array_ops.shape(t)[1:3]


def _attrs(op):
    return {k: op.get_attr(k) for k in ("align_corners", "half_pixel_centers")}


# -- kernels -------------------------------------------------------------------------------------


def _bilinear_kernel(images, size, *, align_corners, half_pixel_centers):
    x, oh, ow = _check_resize(images, size, align_corners, half_pixel_centers)
    x = x.astype(_F32, copy=False)
    top, bottom, y_lerp = _linear_taps(oh, x.shape[1], align_corners, half_pixel_centers)
    left, right, x_lerp = _linear_taps(ow, x.shape[2], align_corners, half_pixel_centers)
    x_lerp, y_lerp = x_lerp[:, None], y_lerp[:, None, None]
    rows_t, rows_b = x[:, top], x[:, bottom]
    top_l, top_r = rows_t[:, :, left], rows_t[:, :, right]
    bot_l, bot_r = rows_b[:, :, left], rows_b[:, :, right]
    # TF's compute_lerp, in its order of operations.
    t = top_l + (top_r - top_l) * x_lerp
    b = bot_l + (bot_r - bot_l) * x_lerp
    return t + (b - t) * y_lerp


def _bilinear_grad_kernel(grads, original_image, *, align_corners, half_pixel_centers):
    dy, h, w = _check_grad(grads, original_image, align_corners, half_pixel_centers)
    dy = dy.astype(_F32, copy=False)
    top, bottom, y_lerp = _linear_taps(dy.shape[1], h, align_corners, half_pixel_centers)
    left, right, x_lerp = _linear_taps(dy.shape[2], w, align_corners, half_pixel_centers)
    # As TF: each tap's share is a float32 product, summed in float32 (float64 for double).
    acc = np.float64 if original_image.dtype == np.float64 else _F32
    out = np.zeros((dy.shape[0], h, w, dy.shape[3]), acc)
    for rows, wy in ((top, 1 - y_lerp), (bottom, y_lerp)):
        for cols, wx in ((left, 1 - x_lerp), (right, x_lerp)):
            np.add.at(out, (slice(None), rows[:, None], cols[None, :]),
                      dy * wy[:, None, None] * wx[:, None])
    return out.astype(original_image.dtype, copy=False)





def _nearest_kernel(images, size, *, align_corners, half_pixel_centers):
    x, oh, ow = _check_resize(images, size, align_corners, half_pixel_centers)
    rows = _nearest_index(oh, x.shape[1], align_corners, half_pixel_centers)
    cols = _nearest_index(ow, x.shape[2], align_corners, half_pixel_centers)
    return x[:, rows][:, :, cols]


def _nearest_grad_kernel(grads, size, *, align_corners, half_pixel_centers):
    dy, h, w = _check_resize(grads, size, align_corners, half_pixel_centers)
    rows = _nearest_index(dy.shape[1], h, align_corners, half_pixel_centers)
    cols = _nearest_index(dy.shape[2], w, align_corners, half_pixel_centers)
    # Each gradient position adds into the pixel it was copied from, in TF's order (row-major),
    # so float16 sums round as TF's do.
    out = np.zeros((dy.shape[0], h, w, dy.shape[3]), dy.dtype)
    np.add.at(out, (slice(None), rows[:, None], cols[None, :]), dy)
    return out





def _bicubic_kernel(images, size, *, align_corners, half_pixel_centers):
    x, oh, ow = _check_resize(images, size, align_corners, half_pixel_centers)
    x = x.astype(_F32, copy=False)
    ys, wy = _cubic_taps(oh, x.shape[1], align_corners, half_pixel_centers)
    xs, wx = _cubic_taps(ow, x.shape[2], align_corners, half_pixel_centers)
    # As TF: interpolate down the columns first, then along the rows; taps summed in order.
    rows = x[:, ys[:, 0]] * wy[:, 0, None, None]
    for k in range(1, 4):
        rows = rows + x[:, ys[:, k]] * wy[:, k, None, None]
    out = rows[:, :, xs[:, 0]] * wx[:, 0, None]
    for k in range(1, 4):
        out = out + rows[:, :, xs[:, k]] * wx[:, k, None]
    return out


def _bicubic_grad_kernel(grads, original_image, *, align_corners, half_pixel_centers):
    dy, h, w = _check_grad(grads, original_image, align_corners, half_pixel_centers)
    dtype = original_image.dtype
    my = _tap_matrix(*_cubic_taps(dy.shape[1], h, align_corners, half_pixel_centers), h, dtype)
    mx = _tap_matrix(*_cubic_taps(dy.shape[2], w, align_corners, half_pixel_centers), w, dtype)
    return _apply_transposed(dy.astype(dtype), my, mx)



def _resize_ops(type_, kernel, grad_kernel, out_dtype, grad_types, by_size):
    """Registers a resize op and its Grad op. The Grad op takes the input's [height, width]
    (``by_size``, nearest neighbour) or the input itself; each op's gradient is the other."""
    attrs = {"align_corners": False, "half_pixel_centers": False}

    def grad(op, dy):
        if op.inputs[0].dtype not in grad_types:
            return [None, None]
        second = _hw_of(op.inputs[0]) if by_size else op.inputs[0]
        return [backward(dy, second, **_attrs(op)), None]

    forward = register(OpDef(
        type_, inputs=["images:T=float32", "size:int32"], attrs=dict(attrs),
        kernel=kernel,
        infer=_resize_infer(_RESIZE_TYPES, out_dtype),
        grad=grad,
    ))
    backward = register(OpDef(
        type_ + "Grad", attrs=dict(attrs),
        inputs=["grads:T=float32", "size:int32"] if by_size else
        ["grads:float32", "original_image:T"],
        kernel=grad_kernel,
        infer=_resize_infer(grad_types) if by_size else _resize_grad_infer(grad_types),
        grad=lambda op, dy: [forward(dy, _hw_of(op.inputs[0]), **_attrs(op)), None],
    ))
    return forward, backward


RESIZE_BILINEAR, RESIZE_BILINEAR_GRAD = _resize_ops(
    "ResizeBilinear", _bilinear_kernel, _bilinear_grad_kernel, _dt.float32,
    _BILINEAR_GRAD_TYPES, by_size=False)
RESIZE_NEAREST_NEIGHBOR, RESIZE_NEAREST_NEIGHBOR_GRAD = _resize_ops(
    "ResizeNearestNeighbor", _nearest_kernel, _nearest_grad_kernel, None, _NN_GRAD_TYPES,
    by_size=True)
RESIZE_BICUBIC, RESIZE_BICUBIC_GRAD = _resize_ops(
    "ResizeBicubic", _bicubic_kernel, _bicubic_grad_kernel, _dt.float32, _BICUBIC_GRAD_TYPES,
    by_size=False)


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

