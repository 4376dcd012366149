"""Resize ops behind ``tf.image`` (core/image.py): ResizeBilinear, ResizeNearestNeighbor and
ResizeBicubic with their Grad ops. TensorFlow's names, attrs, type constraints and messages; its
numerics too: source coordinates, interpolation weights and lerps are computed in float32 in
TF's order, so results agree with TF's kernels to the last bit or two. The colour ops
(AdjustContrastv2, AdjustHue, AdjustSaturation, RGBToHSV, HSVToRGB) are in image_color_ops.py
and re-exported here.

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
from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, shape_error
from ._conv_util import _require
from ._util import const_ints
from .concat_split_ops import _dims_str
from .image_color_ops import (ADJUST_CONTRAST_V2, ADJUST_HUE, ADJUST_SATURATION,  # noqa: F401
                              HSV_TO_RGB, RGB_TO_HSV)

__all__: list[str] = []  # the public functions are in core/image.py

_RESIZE_TYPES = (_dt.int8, _dt.uint8, _dt.int16, _dt.uint16, _dt.int32, _dt.int64, _dt.float16,
                 _dt.float32, _dt.float64)
_NN_GRAD_TYPES = (_dt.uint8, _dt.int8, _dt.int32, _dt.float16, _dt.float32, _dt.float64)
_BILINEAR_GRAD_TYPES = (_dt.float32, _dt.float16, _dt.float64)
_BICUBIC_GRAD_TYPES = (_dt.float32, _dt.float64)
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
    return {k: op._get_attr(k) for k in ("align_corners", "half_pixel_centers")}


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
        # T has no default in TF: a numpy or list image keeps its own dtype (uint8 stays uint8)
        type_, inputs=["images:T", "size:int32"], attrs=dict(attrs),
        kernel=kernel,
        infer=_resize_infer(_RESIZE_TYPES, out_dtype),
        grad=grad,
    ))
    backward = register(OpDef(
        type_ + "Grad", attrs=dict(attrs),
        inputs=["grads:T", "size:int32"] if by_size else
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
