"""``tf.image``'s resizes, crops and pads: resize_images (one ResizeBilinear,
ResizeNearestNeighbor, ResizeBicubic or ResizeArea node, ops in core/ops/image_ops.py and
image_extra_ops.py), crop_to_bounding_box, pad_to_bounding_box, the crop-or-pad and
resize-with-pad compositions, central_crop and random_crop, composed from minitf's ops as TF
composes them. A family of its own because these functions change an image's height and width
and build on one another (resize_image_with_pad resizes, then pads); core/image.py re-exports
every name here."""

from __future__ import annotations

from . import dtypes as _dt
from .graph import constant_value, convert_to_tensor, name_scope
from .image_checks import (_as_batch, _check, _check_at_least_3d, _dims4, _is_tensor, _static,
                           _unbatch, _with_deps)
from .ops import (array_ops, concat_split_ops, logging_ops, logic_ops, math_ops, pad_ops,
                  random_ops, reduction_ops, slicing_ops, unary_ops)
from .ops.image_extra_ops import RESIZE_AREA
from .ops.image_ops import RESIZE_BICUBIC, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR
from .tensor_shape import TensorShape

__all__ = [
    "ResizeMethod", "central_crop", "crop_to_bounding_box", "pad_to_bounding_box", "random_crop",
    "resize", "resize_bicubic", "resize_bilinear", "resize_image_with_crop_or_pad",
    "resize_image_with_pad", "resize_images", "resize_nearest_neighbor",
    "resize_with_crop_or_pad",
]


class ResizeMethod:
    """TF1's ``tf.image.ResizeMethod`` (TF2's names 'bilinear', 'nearest', ... work too)."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


# -- resizing ------------------------------------------------------------------------------------

_METHODS = {ResizeMethod.BILINEAR: RESIZE_BILINEAR, "bilinear": RESIZE_BILINEAR,
            ResizeMethod.NEAREST_NEIGHBOR: RESIZE_NEAREST_NEIGHBOR,
            "nearest": RESIZE_NEAREST_NEIGHBOR,
            ResizeMethod.BICUBIC: RESIZE_BICUBIC, "bicubic": RESIZE_BICUBIC,
            ResizeMethod.AREA: RESIZE_AREA, "area": RESIZE_AREA}


def resize_images(images, size, method=ResizeMethod.BILINEAR, align_corners=False,
                  preserve_aspect_ratio=False, name=None):
    """Resizes ``images`` to ``size`` = [new_height, new_width] (3-D or 4-D; float32 out for
    bilinear, bicubic and area, the input dtype for nearest neighbour). Unchanged when the size is
    already right; with ``preserve_aspect_ratio``, the largest size that fits in ``size``."""
    method = method.lower() if isinstance(method, str) else method
    if method not in _METHODS:
        raise ValueError(f"Resize method is not implemented: {method}")
    opdef = _METHODS[method]
    with name_scope(name, "resize", [images, size]):
        images = convert_to_tensor(images, name="images")
        if images.shape.rank is None:
            raise ValueError("'images' contains no shape.")
        if images.shape.rank not in (3, 4):
            raise ValueError("'images' must have either 3 or 4 dimensions.")
        images, is_batch = _as_batch(images)
        _, height, width, _ = images.shape.as_list()
        try:
            size = convert_to_tensor(size, _dt.int32, name="size")
        except (TypeError, ValueError):
            raise ValueError("'size' must be a 1-D int32 Tensor") from None
        if not size.shape.is_compatible_with([2]):
            raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, new_width")
        if preserve_aspect_ratio:
            size = _fitting_size(images, size)
        hw = _tf_static_shape(size)
        new_h, new_w = (hw[0].value, hw[1].value) if hw.rank == 2 else (None, None)
        if None not in (height, width, new_h, new_w) and (height, width) == (new_h, new_w):
            return _unbatch(images, is_batch)
        images = opdef(images, size, align_corners=align_corners)
        images.set_shape([None, new_h, new_w, None])
        return _unbatch(images, is_batch)


resize = resize_images


# Whether resize_images skips the resize (and so keeps a uint8 image uint8) is decided in TF by
# tensor_util.constant_value_as_shape, which folds only the few op types below; minitf's
# constant_value folds any stateless op (``tf.constant([4, 6]) * 1``), so the skip follows TF's
# narrower rules here. The values themselves are minitf's: they are the same numbers.
_TF_FOLDS_INPUTS = frozenset({"Range", "Cast", "Concat", "ConcatV2", "Pack", "Unpack", "Split",
                              "Equal", "NotEqual", "StopGradient", "Identity", "CheckNumericsV2",
                              "DebugIdentityV2"})


def _tf_static(t) -> bool:
    """Whether TF's tensor_util.constant_value finds the value of ``t``."""
    op = t.op
    if op.type == "Const":
        return True
    if op.type in ("Shape", "Size"):
        return op.inputs[0].shape.is_fully_defined()
    if op.type == "Rank":
        return op.inputs[0].shape.rank is not None
    if op.type in ("Pack", "Unpack") and (not op.inputs or op._get_attr("axis") != 0):
        return False
    if op.type == "Fill":
        return t.shape.is_fully_defined() and _tf_static(op.inputs[1])
    return op.type in _TF_FOLDS_INPUTS and all(_tf_static(x) for x in op.inputs)


def _tf_static_value(t):
    return constant_value(t) if _tf_static(t) else None


def _tf_static_shape(t) -> TensorShape:
    """TF's tensor_util.constant_value_as_shape of a 1-D int32 size."""
    n = t.shape[0].value if t.shape.rank == 1 else None
    op = t.op
    if n == 0:
        return TensorShape([])
    if op.type == "Cast":
        pre = _tf_static_shape(op.inputs[0])
        if pre.rank is not None and op._get_attr("DstT") not in (_dt.int32, _dt.int64):
            return TensorShape(None if n is None else [None] * n)
        return pre
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "Pack":
        dims = [_tf_static_value(x) for x in op.inputs]
        return TensorShape([None if d is None or d < 0 else int(d) for d in dims])
    if op.type in ("Concat", "ConcatV2"):
        parts = [_tf_static_shape(x) for x in
                 (op.inputs[1:] if op.type == "Concat" else op.inputs[:-1])]
        if any(p.rank is None for p in parts):
            return TensorShape(None)
        return TensorShape([d for p in parts for d in p.as_list()])
    if op.type == "StridedSlice":
        sliced = _tf_sliced_shape(op)
        if sliced is not None:
            return sliced
    value = _tf_static_value(t)
    if value is not None and value.ndim == 1:
        return TensorShape([None if d < 0 else int(d) for d in value])
    return TensorShape(None if n is None else [None] * n)


def _tf_sliced_shape(op):
    """``shape[begin:end:stride]`` of a StridedSlice with only the masks TF reads there."""
    begin, end, strides = (_tf_static_value(x) for x in op.inputs[1:4])
    masks = {k: op._get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask",
                                         "new_axis_mask", "shrink_axis_mask")}
    if begin is None or end is None or strides is None or masks["begin_mask"] not in (0, 1) or \
            masks["end_mask"] not in (0, 1) or masks["ellipsis_mask"] or \
            masks["new_axis_mask"] or masks["shrink_axis_mask"]:
        return None
    prev = _tf_static_shape(op.inputs[0])
    if prev.rank is None or int(strides[0]) == 0:
        return None
    dims = prev.as_list()[None if masks["begin_mask"] else int(begin[0]):
                          None if masks["end_mask"] else int(end[0]):int(strides[0])]
    return TensorShape(dims)


def _fitting_size(images, size):
    _, height, width, _ = _dims4(images)
    h = math_ops.cast(height, _dt.float32)
    w = math_ops.cast(width, _dt.float32)
    scale = math_ops.minimum(math_ops.cast(size[0], _dt.float32) / h,
                             math_ops.cast(size[1], _dt.float32) / w)
    return concat_split_ops.stack([math_ops.cast(unary_ops.round(scale * h), _dt.int32),
                                   math_ops.cast(unary_ops.round(scale * w), _dt.int32)],
                                  name="size")


def _resize_op(opdef):
    def resize(images, size, align_corners=False, name=None, half_pixel_centers=False):
        return opdef(images, size, align_corners=align_corners,
                     half_pixel_centers=half_pixel_centers, name=name)
    resize.__doc__ = f"The {opdef.type} op (4-D images)."
    return resize


resize_bilinear = _resize_op(RESIZE_BILINEAR)
resize_nearest_neighbor = _resize_op(RESIZE_NEAREST_NEIGHBOR)
resize_bicubic = _resize_op(RESIZE_BICUBIC)


# -- crops and pads ------------------------------------------------------------------------------


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The ``target_height x target_width`` window at (offset_height, offset_width)."""
    with name_scope(None, "crop_to_bounding_box", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        checks = _check_at_least_3d(image)
        batch, height, width, depth = _dims4(image)
        for ok, message in [(offset_width >= 0, "offset_width must be >= 0."),
                            (offset_height >= 0, "offset_height must be >= 0."),
                            (target_width > 0, "target_width must be > 0."),
                            (target_height > 0, "target_height must be > 0."),
                            (width >= target_width + offset_width,
                             "width must be >= target + offset."),
                            (height >= target_height + offset_height,
                             "height must be >= target + offset.")]:
            checks += _check(ok, message)
        image = _with_deps(checks, image)
        shape = array_ops.shape(image)
        cropped = slicing_ops.slice_(
            image, concat_split_ops.stack([0, offset_height, offset_width, 0]),
            concat_split_ops.stack([shape[0], target_height, target_width, shape[3]]))
        cropped.set_shape(_static(batch, target_height, target_width, depth))
        return _unbatch(cropped, is_batch)


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Pads with zeros to ``target_height x target_width``, the image at the offsets."""
    with name_scope(None, "pad_to_bounding_box", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        batch, height, width, depth = _dims4(image)
        after_w = target_width - offset_width - width
        after_h = target_height - offset_height - height
        checks = _check_at_least_3d(image)
        for ok, message in [(offset_height >= 0, "offset_height must be >= 0"),
                            (offset_width >= 0, "offset_width must be >= 0"),
                            (after_w >= 0, "width must be <= target - offset"),
                            (after_h >= 0, "height must be <= target - offset")]:
            checks += _check(ok, message)
        image = _with_deps(checks, image)
        paddings = array_ops.reshape(concat_split_ops.stack(
            [0, 0, offset_height, after_h, offset_width, after_w, 0, 0]), [4, 2])
        padded = pad_ops.pad(image, paddings)
        padded.set_shape(_static(batch, target_height, target_width, depth))
        return _unbatch(padded, is_batch)


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """Centrally crops and/or zero-pads to ``target_height x target_width``."""
    with name_scope(None, "resize_image_with_crop_or_pad", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        checks = _check_at_least_3d(image)
        checks += _check(target_width > 0, "target_width must be > 0.")
        checks += _check(target_height > 0, "target_height must be > 0.")
        image = _with_deps(checks, image)
        if _is_tensor(target_height):
            target_height = _with_deps(checks, target_height)
        if _is_tensor(target_width):
            target_width = _with_deps(checks, target_width)

        def either(fn, py):
            return lambda x, y: fn(x, y) if _is_tensor(x) or _is_tensor(y) else py(x, y)

        max_, min_ = either(math_ops.maximum, max), either(math_ops.minimum, min)
        _, height, width, _ = _dims4(image)
        width_diff, height_diff = target_width - width, target_height - height
        cropped = crop_to_bounding_box(
            image, max_(-height_diff // 2, 0), max_(-width_diff // 2, 0),
            min_(target_height, height), min_(target_width, width))
        resized = pad_to_bounding_box(cropped, max_(height_diff // 2, 0),
                                      max_(width_diff // 2, 0), target_height, target_width)
        return _unbatch(resized, is_batch)


resize_with_crop_or_pad = resize_image_with_crop_or_pad


def resize_image_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR,
                          align_corners=False):
    """Resizes to fit in ``target_height x target_width`` keeping the aspect ratio, then pads
    with zeros (centred) to exactly that size; composed as TF1 composes it."""
    with name_scope(None, "resize_image_with_pad", [image]):
        image, is_batch = _as_batch(convert_to_tensor(image, name="image"))
        checks = _check_at_least_3d(image)
        checks += _check(target_width > 0, "target_width must be > 0.")
        checks += _check(target_height > 0, "target_height must be > 0.")
        image = _with_deps(checks, image)

        def max_(x, y):
            return math_ops.maximum(x, y) if _is_tensor(x) or _is_tensor(y) else max(x, y)

        _, height, width, _ = _dims4(image)
        f_height, f_width, f_target_height, f_target_width = (
            math_ops.cast(v, _dt.float32) for v in (height, width, target_height, target_width))
        ratio = max_(f_width / f_target_width, f_height / f_target_height)
        resized_height_float = f_height / ratio
        resized_width_float = f_width / ratio
        resized_height = math_ops.cast(unary_ops.floor(resized_height_float), _dt.int32)
        resized_width = math_ops.cast(unary_ops.floor(resized_width_float), _dt.int32)
        padding_height = (f_target_height - resized_height_float) / 2
        padding_width = (f_target_width - resized_width_float) / 2
        f_padding_height = unary_ops.floor(padding_height)
        f_padding_width = unary_ops.floor(padding_width)
        p_height = max_(0, math_ops.cast(f_padding_height, _dt.int32))
        p_width = max_(0, math_ops.cast(f_padding_width, _dt.int32))
        resized = resize_images(image, [resized_height, resized_width], method,
                                align_corners=align_corners)
        padded = pad_to_bounding_box(resized, p_height, p_width, target_height, target_width)
        return _unbatch(padded, is_batch)


def central_crop(image, central_fraction):
    """The central ``central_fraction`` (in (0, 1]) of each spatial dimension."""
    with name_scope(None, "central_crop", [image]):
        image = convert_to_tensor(image, name="image")
        fraction = constant_value(convert_to_tensor(central_fraction)) \
            if _is_tensor(central_fraction) else central_fraction
        if fraction is not None:
            if fraction <= 0.0 or fraction > 1.0:
                raise ValueError("central_fraction must be within (0, 1]")
            if fraction == 1.0:
                return image
        else:
            image = _with_deps(_check(logic_ops.logical_and(
                central_fraction > 0.0, central_fraction <= 1.0),
                "central_fraction must be within (0, 1]"), image)
        _check_at_least_3d(image)
        rank = image.shape.rank
        if rank not in (3, 4):
            raise ValueError("`image` should either be a Tensor with rank = 3 or rank = 4. Had "
                             f"rank = {rank}.")
        h_axis = rank - 3
        starts, sizes, static = [], [], []
        for axis in (h_axis, h_axis + 1):
            size = image.shape[axis].value
            if size is not None and fraction is not None:
                start = int((float(size) - float(size) * fraction) / 2)
                static.append(size - start * 2)
            else:
                size = array_ops.shape(image)[axis] if size is None else size
                sd = math_ops.cast(size, _dt.float64)
                frac = math_ops.cast(central_fraction, _dt.float64)
                start = math_ops.cast((sd - sd * frac) / 2, _dt.int32)
                static.append(None)
            starts.append(start)
            sizes.append(size - start * 2)
        dims = image.shape.as_list()
        image = slicing_ops.slice_(image, concat_split_ops.stack([0] * h_axis + starts + [0]),
                                   concat_split_ops.stack([-1] * h_axis + sizes + [-1]))
        image.set_shape(dims[:h_axis] + static + dims[-1:])
        return image


def random_crop(value, size, seed=None, name=None):
    """A window of ``size`` at a uniformly random offset (any rank; also ``tf.random_crop``)."""
    with name_scope(name, "random_crop", [value, size]) as name:
        value = convert_to_tensor(value, name="value")
        size = convert_to_tensor(size, dtype=_dt.int32, name="size")
        shape = array_ops.shape(value)
        check = logging_ops.Assert(reduction_ops.reduce_all(shape >= size),
                                   ["Need value.shape >= size, got ", shape, size],
                                   summarize=1000)
        limit = _with_deps([check], shape) - size + 1
        offset = random_ops.random_uniform(array_ops.shape(shape), dtype=size.dtype,
                                           maxval=size.dtype.max, seed=seed) % limit
        return slicing_ops.slice_(value, offset, size, name=name)
