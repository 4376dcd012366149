"""More image ops: CropAndResize with CropAndResizeGradImage and CropAndResizeGradBoxes,
ResizeArea, ExtractImagePatches (``tf.extract_image_patches``, the one root name here) and
DrawBoundingBoxes (V1, V2).
The non-max suppression family is in nms_ops.py. TensorFlow's names, attrs, checks and
float32 arithmetic (crop_and_resize_op.cc, resize_area_op.cc, extract_image_patches_op.cc);
the Python-level ``tf.image`` functions are in core/image_extra.py.

CropAndResize's gradient is TF's: CropAndResizeGradImage for the image (float types only) and
CropAndResizeGradBoxes for the boxes (bilinear's, even for nearest). TF registers no gradient
for the two Grad ops nor for ResizeArea. ExtractImagePatches' gradient is composed as TF's:
patches of an image of pixel numbers say where each patch value came from, and the incoming
gradient is summed per pixel (UnsortedSegmentSum where TF multiplies by a sparse matrix).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OutOfRangeError, UnimplementedError
from ..opdef import NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from . import nms_ops  # noqa: F401 - registers the NonMaxSuppression ops
from ._conv_util import _merge, _out_dim, _require
from ._util import const_ints
from .concat_split_ops import _dims_str
from .image_ops import _check_resize, _rank4, _size_hw

__all__ = ["extract_image_patches"]

_F32 = np.float32
_REAL = (_dt.uint8, _dt.uint16, _dt.int8, _dt.int16, _dt.int32, _dt.int64, _dt.float16,
         _dt.float32, _dt.float64)
_GRAD_TYPES = (_dt.float16, _dt.float32, _dt.float64)


def _error(message):
    return InvalidArgumentError(None, None, message)


# -- CropAndResize -------------------------------------------------------------------------------


def _check_method(method, allowed=("bilinear", "nearest")):
    if method not in allowed:
        names = " or ".join(f"'{m}'" for m in allowed)
        raise _error(f"method must be {names}")


def _check_boxes(boxes, box_ind, batch):
    b, ind = np.asarray(boxes), np.asarray(box_ind)
    if b.ndim != 2 or b.shape[1] != 4:
        raise _error(f"boxes must be 2-D [num_boxes, 4]{_dims_str(b.shape)}")
    if ind.shape != (b.shape[0],):
        raise _error(f"box_index has incompatible shape{_dims_str(ind.shape)}")
    if ind.size and (ind.min() < 0 or ind.max() >= batch):
        raise OutOfRangeError(None, None, f"box_index has values outside [0, batch_size): "
                              f"batch_size is {batch}")
    return b.astype(_F32, copy=False), ind


def _positions(lo, hi, crop, size, ratio_first=False):
    """TF's in_y (or in_x) of each crop row (column) in float32, and whether it is inside.
    The forward and image-gradient kernels scale as (hi - lo) * (size - 1) / (crop - 1); the
    boxes-gradient kernel (``ratio_first``) as (hi - lo) * ((size - 1) / (crop - 1)), which
    can round differently (e.g. land exactly on a whole pixel where the other does not)."""
    if crop > 1:
        if ratio_first:
            scale = _F32((hi - lo) * (_F32(size - 1) / _F32(crop - 1)))
        else:
            scale = _F32((hi - lo) * _F32(size - 1) / _F32(crop - 1))
        pos = lo * _F32(size - 1) + np.arange(crop, dtype=_F32) * scale
    else:  # one row: the box centre, computed in double as TF's 0.5 * (y1 + y2) * (h - 1)
        pos = np.array([0.5 * float(_F32(lo + hi)) * (size - 1)], _F32)
    return pos, (pos >= 0) & (pos <= size - 1)  # nan is outside


def _taps(pos, valid):
    """(low index, high index, lerp, nearest index), each 0 where the position is outside."""
    pos = np.where(valid, pos, _F32(0))
    low = np.floor(pos)
    near = np.where(pos - low >= 0.5, low + 1, low)  # roundf, half away from zero
    return low.astype(np.int64), np.ceil(pos).astype(np.int64), pos - low, near.astype(np.int64)


def _box_geometry(box, crop_h, crop_w, h, w, ratio_first=False):
    ys, y_ok = _positions(box[0], box[2], crop_h, h, ratio_first)
    xs, x_ok = _positions(box[1], box[3], crop_w, w, ratio_first)
    return _taps(ys, y_ok), _taps(xs, x_ok), y_ok[:, None] & x_ok[None, :]


def _crop_size(crop_size):
    c = np.asarray(crop_size)
    if c.shape != (2,):
        raise _error(f"crop_size must be a length-2 vector, got{_dims_str(c.shape)}")
    if c[0] <= 0 or c[1] <= 0:
        raise _error("crop dimensions must be positive")
    return int(c[0]), int(c[1])


def _image4(image, what="input image"):
    x = np.asarray(image)
    if x.ndim != 4:
        raise _error(f"{what} must be 4-D{_dims_str(x.shape)}")
    if x.shape[1] <= 0 or x.shape[2] <= 0:
        raise _error("image dimensions must be positive")
    return x


def _crop_kernel(image, boxes, box_ind, crop_size, *, method, extrapolation_value):
    _check_method(method)
    x = _image4(image)
    n, h, w, c = x.shape
    b, ind = _check_boxes(boxes, box_ind, n)
    ch, cw = _crop_size(crop_size)
    out = np.empty((len(b), ch, cw, c), _F32)
    for k, box in enumerate(b):
        (top, bottom, ly, ny), (left, right, lx, nx), ok = _box_geometry(box, ch, cw, h, w)
        img = x[ind[k]].astype(_F32, copy=False)
        if method == "nearest":
            crop = img[ny][:, nx]
        else:  # TF's lerps, in its order
            rows_t, rows_b = img[top], img[bottom]
            t = rows_t[:, left] + (rows_t[:, right] - rows_t[:, left]) * lx[:, None]
            bt = rows_b[:, left] + (rows_b[:, right] - rows_b[:, left]) * lx[:, None]
            crop = t + (bt - t) * ly[:, None, None]
        out[k] = np.where(ok[..., None], crop, _F32(extrapolation_value))
    return out


def _grad_image_kernel(grads, boxes, box_ind, image_size, *, T, method):  # noqa: N803
    _check_method(method)
    dy = np.asarray(grads, _F32)
    if dy.ndim != 4:
        raise _error(f"grads image must be 4-D{_dims_str(dy.shape)}")
    size = np.asarray(image_size)
    if size.shape != (4,):
        raise _error(f"image_size must be 1-D with 4 elements{_dims_str(size.shape)}")
    n, h, w, c = (int(v) for v in size)
    if h <= 0 or w <= 0:
        raise _error("image dimensions must be positive")
    if c != dy.shape[3]:
        raise _error("image_size and grads are incompatible")
    b, ind = _check_boxes(boxes, box_ind, n)
    if len(b) != dy.shape[0]:
        raise _error("boxes and grads have incompatible shape")
    # As TF: each share is a float32 product cast to T and added into the image, in TF's
    # order (box, row, column, then the corners tl, tr, bl, br), which fixes the rounding
    # where several samples share a pixel. Samples outside the image add nothing.
    out = np.zeros((n, h, w, c), T.as_numpy_dtype)
    for k, box in enumerate(b):
        (top, bottom, ly, ny), (left, right, lx, nx), ok = _box_geometry(box, *dy.shape[1:3], h, w)
        target = out[ind[k]]  # a view: np.add.at adds in index order, one add at a time
        if method == "nearest":
            rows, cols = np.broadcast_arrays(ny[:, None], nx[None, :])
            np.add.at(target, (rows[ok], cols[ok]), dy[k][ok].astype(out.dtype))
            continue
        ly, lx = ly[:, None, None], lx[None, :, None]
        dtop, dbottom = (1 - ly) * dy[k], ly * dy[k]
        shares = np.stack([(1 - lx) * dtop, lx * dtop, (1 - lx) * dbottom, lx * dbottom], 2)
        rows = np.stack(np.broadcast_arrays(top[:, None], top[:, None], bottom[:, None],
                                            bottom[:, None]), -1)
        cols = np.stack(np.broadcast_arrays(left[None, :], right[None, :], left[None, :],
                                            right[None, :]), -1)
        rows, cols = np.broadcast_arrays(rows, cols)
        np.add.at(target, (rows[ok].ravel(), cols[ok].ravel()),
                  shares[ok].reshape(-1, c).astype(out.dtype))
    return out


def _grad_boxes_kernel(grads, image, boxes, box_ind, *, method):
    _check_method(method, ("bilinear",))
    dy = np.asarray(grads, _F32)
    x = _image4(image)
    n, h, w, c = x.shape
    b, ind = _check_boxes(boxes, box_ind, n)
    ch, cw = dy.shape[1:3]
    out = np.zeros((len(b), 4), _F32)
    for k, box in enumerate(b):
        (top, bottom, ly, _), (left, right, lx, _), ok = _box_geometry(box, ch, cw, h, w,
                                                                       ratio_first=True)
        img = x[ind[k]].astype(_F32, copy=False)
        tl, tr = img[top][:, left], img[top][:, right]
        bl, br = img[bottom][:, left], img[bottom][:, right]
        ly, lx = ly[:, None, None], lx[None, :, None]
        # TF's image gradients, each times the incoming gradient (float32, its order)
        grad_y = ((1 - lx) * (bl - tl) + lx * (br - tr)) * dy[k]
        grad_x = ((1 - ly) * (tr - tl) + ly * (br - bl)) * dy[k]
        out[k, 0], out[k, 2] = _box_grads(grad_y, ok, 0, ch, h)
        out[k, 1], out[k, 3] = _box_grads(grad_x, ok, 1, cw, w)
    return out


def _box_grads(grad, ok, axis, crop, size):
    """(d lo, d hi) of a box edge pair: TF's sums over the samples inside the image, one
    float32 add at a time in its (row, column, channel) order."""
    if crop > 1:
        ratio = _F32(size - 1) / _F32(crop - 1)
        at = np.arange(crop, dtype=_F32) * ratio
        at = at[:, None, None] if axis == 0 else at[None, :, None]
        return _sequential_sum((grad * (_F32(size - 1) - at))[ok]), \
            _sequential_sum((grad * at)[ok])
    # TF's grad * 0.5 * (size - 1) is a double, added to the float32 sum in double
    acc = 0.0
    for v in grad[ok].ravel().astype(np.float64) * 0.5 * (size - 1):
        acc = float(_F32(acc + v))
    return _F32(acc), _F32(acc)


def _sequential_sum(values):
    """0 + v0 + v1 + ... in float32, left to right (numpy's sum is pairwise; cumsum is not)."""
    values = values.ravel()
    return np.cumsum(values, dtype=_F32)[-1] if values.size else _F32(0)


def _boxes_infer(boxes, box_ind):
    dims, ind = boxes.shape.as_tuple(), box_ind.shape.as_tuple()
    if dims is not None and (len(dims) != 2 or dims[1] not in (None, 4)):
        raise shape_error(f"boxes must be 2-D [num_boxes, 4], got {boxes.shape}")
    if ind is not None and len(ind) != 1:
        raise shape_error(f"Shape must be rank 1 but is rank {len(ind)} for 'box_ind'")
    num = dims[0] if dims is not None else None
    return num if num is not None else (ind[0] if ind is not None else None)


def _crop_infer(image, boxes, box_ind, crop_size, *, method, extrapolation_value):
    _require(image, "image", _REAL)
    _check_method(method)
    _boxes_infer(boxes, box_ind)
    # Both are num_boxes: TF merges them at graph construction (its Grad ops do not).
    num = _merge(*(s.shape.as_tuple()[0] if s.shape.rank else None for s in (boxes, box_ind)))
    depth = _rank4(image)[3]
    ch, cw = _size_hw(crop_size)
    return [TensorSpec([num, ch, cw, depth], _dt.float32)]


def _grad_image_infer(grads, boxes, box_ind, image_size, *, T, method):  # noqa: N803
    if T not in _GRAD_TYPES:
        raise TypeError(f"CropAndResizeGradImage: T must be one of float16, float32, float64, "
                        f"not {T.name}")
    _check_method(method)
    _rank4(grads)
    _boxes_infer(boxes, box_ind)
    size = const_ints(image_size)
    return [TensorSpec(size if size is not None else [None] * 4, T)]


def _grad_boxes_infer(grads, image, boxes, box_ind, *, method):
    _require(image, "image", _REAL)
    _check_method(method, ("bilinear",))
    _rank4(grads)
    _rank4(image)
    return [TensorSpec([_boxes_infer(boxes, box_ind), 4], _dt.float32)]


def _crop_grad(op, dy):
    """TF's _CropAndResizeGrad: the image's gradient (float images only) and the boxes'."""
    from . import array_ops

    image, boxes, box_ind = op.inputs[:3]
    method = op._get_attr("method")
    size = image.shape.as_list() if image.shape.is_fully_defined() else \
        array_ops.shape(image)
    d_image = None
    if image.dtype in _GRAD_TYPES:
        d_image = CROP_AND_RESIZE_GRAD_IMAGE(dy, boxes, box_ind, size, T=image.dtype,
                                             method=method)
    d_boxes = CROP_AND_RESIZE_GRAD_BOXES(dy, image, boxes, box_ind)
    return [d_image, d_boxes, None, None]


CROP_AND_RESIZE = register(OpDef(
    "CropAndResize", inputs=["image:T", "boxes:float32", "box_ind:int32", "crop_size:int32"],
    attrs={"method": "bilinear", "extrapolation_value": 0.0},
    kernel=_crop_kernel, infer=_crop_infer, grad=_crop_grad,
))
CROP_AND_RESIZE_GRAD_IMAGE = register(OpDef(
    "CropAndResizeGradImage",
    inputs=["grads:float32", "boxes:float32", "box_ind:int32", "image_size:int32"],
    attrs={"T": req("type"), "method": "bilinear"},
    kernel=_grad_image_kernel, infer=_grad_image_infer,
    grad=NO_GRADIENT,
))
CROP_AND_RESIZE_GRAD_BOXES = register(OpDef(
    "CropAndResizeGradBoxes",
    inputs=["grads:float32", "image:T", "boxes:float32", "box_ind:int32"],
    attrs={"method": "bilinear"},
    kernel=_grad_boxes_kernel, infer=_grad_boxes_infer, grad=NO_GRADIENT,
))


# -- ResizeArea ----------------------------------------------------------------------------------


def _area_weights(out_size, in_size, align_corners):
    """[out, in]: how much of each input cell each output cell covers (TF's spans, clamped
    at the border), in float32; and the scale they were computed with."""
    if align_corners and out_size > 1 and in_size > 1:  # TF 2.x: a 1-pixel axis stays unaligned
        scale = _F32(in_size - 1) / _F32(out_size - 1)
    else:
        scale = _F32(in_size) / _F32(out_size)
    weights = np.zeros((out_size, in_size), _F32)
    for o in range(out_size):
        lo, hi = _F32(o * scale), _F32((o + 1) * scale)
        for i in range(int(np.floor(lo)), int(np.ceil(hi))):
            if i < lo:
                share = scale if i + 1 > hi else _F32(i + 1) - lo
            else:
                share = hi - _F32(i) if i + 1 > hi else _F32(1)
            weights[o, min(max(i, 0), in_size - 1)] += share
    return weights, scale


def _area_kernel(images, size, *, align_corners):
    x, oh, ow = _check_resize(images, size, align_corners, False)
    wy, sy = _area_weights(oh, x.shape[1], align_corners)
    wx, sx = _area_weights(ow, x.shape[2], align_corners)
    rows = np.einsum("nhwc,xw->nhxc", x.astype(_F32, copy=False), wx)
    out = np.einsum("nhxc,yh->nyxc", rows, wy)
    return out * _F32(1.0 / float(sy * sx))


def _area_infer(images, size, *, align_corners):
    _require(images, "images", _REAL)
    n, _, _, c = _rank4(images)
    h, w = _size_hw(size)
    return [TensorSpec([n, h, w, c], _dt.float32)]


RESIZE_AREA = register(OpDef(
    "ResizeArea", inputs=["images:T", "size:int32"], attrs={"align_corners": False},
    kernel=_area_kernel, infer=_area_infer, grad=NO_GRADIENT,
))


# -- ExtractImagePatches -------------------------------------------------------------------------


def _patch_attrs(ksizes, strides, rates, padding):
    """(kr, kc), (sr, sc), (rr, rc), checked as TF's kernel constructor does."""
    out = []
    for what, values in (("ksizes", ksizes), ("strides", strides), ("rates", rates)):
        if len(values) != 4:
            raise shape_error(f"ExtractImagePatches requires {what} to have 4 values, but got "
                              f"{len(values)}")
        if values[0] != 1 or values[3] != 1:  # TF's class, though TF says so only at run time
            raise UnimplementedError(None, None, f"Only support {what} across space.")
        if min(values) < 1:
            raise shape_error(f"ExtractImagePatches requires positive {what}, got {values}")
        out.append((values[1], values[2]))
    if padding not in ("SAME", "VALID"):
        raise shape_error(f"padding must be SAME or VALID, got {padding!r}")
    return out


def _patches_geometry(h, w, ksizes, strides, rates, padding, at_run_time=False):
    (kr, kc), (sr, sc), (rr, rc) = _patch_attrs(ksizes, strides, rates, padding)
    oh, top, _ = _out_dim(h, kr, sr, rr, padding, (0, 0), at_run_time)
    ow, left, _ = _out_dim(w, kc, sc, rc, padding, (0, 0), at_run_time)
    return oh, ow, top, left


def _patches_kernel(images, *, ksizes, strides, rates, padding):
    x = np.asarray(images)
    if x.ndim != 4:
        raise _error(f"input must be 4-dimensional{_dims_str(x.shape)}")
    n, h, w, c = x.shape
    oh, ow, top, left = _patches_geometry(h, w, ksizes, strides, rates, padding, True)
    (kr, kc), (sr, sc), (rr, rc) = _patch_attrs(ksizes, strides, rates, padding)
    out = np.zeros((n, oh, ow, kr, kc, c), x.dtype)
    rows = np.arange(oh) * sr - top
    cols = np.arange(ow) * sc - left
    for i in range(kr):
        r = rows + i * rr
        r_ok = (r >= 0) & (r < h)
        for j in range(kc):
            q = cols + j * rc
            ok = r_ok[:, None] & ((q >= 0) & (q < w))[None, :]
            tap = x[:, np.clip(r, 0, h - 1)][:, :, np.clip(q, 0, w - 1)]
            out[:, :, :, i, j] = np.where(ok[..., None], tap, x.dtype.type(0))
    return out.reshape(n, oh, ow, kr * kc * c)


def _patches_infer(images, *, ksizes, strides, rates, padding):
    n, h, w, c = _rank4(images)
    oh, ow, _, _ = _patches_geometry(h, w, ksizes, strides, rates, padding, True)
    depth = None if c is None else ksizes[1] * ksizes[2] * c
    return [TensorSpec([n, oh, ow, depth], images.dtype)]


def _patches_grad(op, dy):
    """TF's _ExtractImagePatchesGrad: pixel numbers 1..h*w (0 marks padding) go through the
    same patches; the gradient of each patch value is added to the pixel it came from."""
    from . import array_ops, math_ops, transform_ops
    from .gather_ops import unsorted_segment_sum

    attrs = {k: op._get_attr(k) for k in ("ksizes", "strides", "rates", "padding")}
    n, h, w, c = (array_ops.shape(op.inputs[0])[i] for i in range(4))
    out_shape = array_ops.shape(op.outputs[0])
    oh, ow = out_shape[1], out_shape[2]
    kr, kc = attrs["ksizes"][1:3]
    pixels = h * w
    numbers = array_ops.reshape(array_ops.range_(1, 1 + pixels), [1, h, w, 1])
    sources = array_ops.reshape(EXTRACT_IMAGE_PATCHES(numbers, **attrs), [-1])
    per_tap = array_ops.reshape(dy, [n, oh, ow, kr, kc, c])
    per_tap = transform_ops.transpose(per_tap, [1, 2, 3, 4, 0, 5])
    summed = unsorted_segment_sum(array_ops.reshape(per_tap, [-1, n * c]), sources, 1 + pixels)
    dx = array_ops.reshape(summed[1:], [h, w, n, c])
    return [math_ops.cast(transform_ops.transpose(dx, [2, 0, 1, 3]), op.inputs[0].dtype)]


EXTRACT_IMAGE_PATCHES = register(OpDef(
    "ExtractImagePatches", inputs=["images:T"],
    attrs={"ksizes": req("list(int)"), "strides": req("list(int)"), "rates": req("list(int)"),
           "padding": req("string")},
    kernel=_patches_kernel, infer=_patches_infer, grad=_patches_grad,
))


def extract_image_patches(images, ksizes=None, strides=None, rates=None, padding=None,
                          name=None, sizes=None):
    """TF1's ``tf.extract_image_patches``: the ExtractImagePatches op (``sizes`` is the TF2
    name of ``ksizes``)."""
    if ksizes is None:
        ksizes = sizes
    if sizes is not None and list(sizes) != list(ksizes):
        raise ValueError("Cannot specify both 'ksizes' and 'sizes'.")
    return EXTRACT_IMAGE_PATCHES(images, ksizes=list(ksizes), strides=list(strides),
                                 rates=list(rates), padding=padding, name=name)


# -- DrawBoundingBoxes ---------------------------------------------------------------------------

_DEFAULT_COLORS = np.array([[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1],
                            [0.5, 0, 0.5, 1], [0.5, 0.5, 0, 1], [0.5, 0, 0, 1], [0, 0, 0.5, 1],
                            [0, 1, 1, 1], [1, 0, 1, 1]], _F32)


def _draw_kernel(images, boxes, colors=None):
    x = np.asarray(images)
    b = np.asarray(boxes, _F32)
    if x.ndim != 4:
        raise _error(f"The rank of the images should be 4{_dims_str(x.shape)}")
    n, h, w, depth = x.shape
    if depth not in (1, 3, 4):
        raise _error("Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)")
    if b.ndim != 3 or b.shape[0] != n or b.shape[2] != 4:
        raise _error(f"boxes must be 3-D [batch, num_boxes, 4] for images{_dims_str(x.shape)}, "
                     f"got{_dims_str(b.shape)}")
    if colors is None or np.size(colors) == 0:
        table = _DEFAULT_COLORS.copy()
        if depth == 1:
            table[:, 0] = 1  # grey images get white boxes
    else:
        table = np.asarray(colors, _F32)
    if table.ndim != 2 or table.shape[1] < depth:
        raise _error("Channel depth should be less than or equal to color channels")
    out = x.copy()
    # TF truncates row * (height - 1) toward zero; boxes inverted or wholly outside are skipped.
    rows = np.trunc(b[..., [0, 2]] * _F32(h - 1)).astype(np.int64)
    cols = np.trunc(b[..., [1, 3]] * _F32(w - 1)).astype(np.int64)
    for i, k in np.ndindex(b.shape[:2]):
        (r0, r1), (c0, c1) = rows[i, k], cols[i, k]
        if r0 > r1 or c0 > c1 or r0 >= h or r1 < 0 or c0 >= w or c1 < 0:
            continue
        color = table[k % len(table), :depth].astype(x.dtype)
        rs, cs = slice(max(r0, 0), min(r1, h - 1) + 1), slice(max(c0, 0), min(c1, w - 1) + 1)
        for r in {r0, r1} & set(range(h)):
            out[i, r, cs] = color
        for c in {c0, c1} & set(range(w)):
            out[i, rs, c] = color
    return out


def _draw_infer(images, boxes, colors=None):
    _require(images, "images", (_dt.float32, _dt.float16))
    if _rank4(images)[3] not in (None, 1, 3, 4):
        raise shape_error("Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)")
    if boxes.shape.rank not in (None, 3):
        raise shape_error(f"Shape must be rank 3 but is rank {boxes.shape.rank} for 'boxes'")
    return [TensorSpec(images.shape, images.dtype)]


DRAW_BOUNDING_BOXES = register(OpDef(
    "DrawBoundingBoxes", inputs=["images:T=float32", "boxes:float32"],
    kernel=_draw_kernel, infer=_draw_infer, grad=NOT_DIFFERENTIABLE,
))
DRAW_BOUNDING_BOXES_V2 = register(OpDef(
    "DrawBoundingBoxesV2", inputs=["images:T=float32", "boxes:float32", "colors:float32"],
    kernel=_draw_kernel, infer=_draw_infer, grad=NO_GRADIENT,
))
