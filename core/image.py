"""``tf.image``: TF1's image functions. Images are 3-D ``[height, width, channels]`` or 4-D
``[batch, height, width, channels]``. Resizing and the colour adjustments are ops
(core/ops/image_ops.py); what TensorFlow composes in Python (crops, pads, flips, rotations,
standardisation, dtype conversion...) is composed here from minitf's ops, as TF does; flips and
rotations reverse axes with ReverseV2 nodes, as TF's."""

from __future__ import annotations

import numpy as np

from . import composites
from . import dtypes as _dt
from .control_flow import case, cond
from .graph import (Tensor, constant_value, constant_value_as_shape, control_dependencies,
                    convert_to_tensor, name_scope)
from .ops import (array_ops, concat_split_ops, logging_ops, logic_ops, math_ops, pad_ops,
                  random_ops, reduction_ops, slicing_ops, transform_ops, unary_ops)
from .ops.image_ops import (ADJUST_CONTRAST_V2, ADJUST_HUE, ADJUST_SATURATION, HSV_TO_RGB,
                            RESIZE_BICUBIC, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, RGB_TO_HSV)
from .ops.image_extra_ops import RESIZE_AREA
from .ops.png_ops import DECODE_IMAGE, decode_png, encode_png

__all__ = [
    "ResizeMethod", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
    "adjust_saturation", "central_crop", "convert_image_dtype", "crop_to_bounding_box",
    "decode_image", "decode_png", "encode_png",
    "flip_left_right", "flip_up_down", "grayscale_to_rgb", "hsv_to_rgb", "image_gradients",
    "pad_to_bounding_box", "per_image_standardization", "random_brightness", "random_contrast",
    "random_crop", "random_flip_left_right", "random_flip_up_down", "random_hue",
    "random_saturation", "resize", "resize_bicubic", "resize_bilinear",
    "resize_image_with_crop_or_pad", "resize_image_with_pad", "resize_images",
    "resize_nearest_neighbor", "resize_with_crop_or_pad", "rgb_to_grayscale", "rgb_to_hsv",
    "rot90", "sobel_edges", "total_variation", "transpose", "transpose_image",
]


class ResizeMethod:
    """TF1's ``tf.image.ResizeMethod`` (TF2's names 'bilinear', 'nearest', ... work too)."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


# -- checks (TF's _assert, _CheckAtLeast3DImage) ---------------------------------------------------


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor) or hasattr(x, "_as_tensor")  # a Variable reads as a tensor


def _check(condition, message) -> list:
    """A Python condition raises ValueError now; a tensor one becomes an Assert op."""
    if _is_tensor(condition):
        return [logging_ops.Assert(condition, [message])]
    if not condition:
        raise ValueError(message)
    return []


def _with_deps(deps, t):
    if not deps:
        return t
    with control_dependencies(deps):
        return array_ops.identity(t)


def _check_at_least_3d(image) -> list:
    shape = image.shape
    if shape.rank is not None and shape.rank < 3:
        raise ValueError(f"'image' (shape {shape}) must be at least three-dimensional.")
    inner = shape.as_list()[-3:] if shape.rank is not None else [None] * 3
    if any(d == 0 for d in inner):
        raise ValueError(f"inner 3 dims of 'image.shape' must be > 0: {shape}")
    if None not in inner:
        return []
    # Not known statically: checked when the graph runs, as TF does.
    dims = array_ops.shape(image)[-3:]
    return [logging_ops.Assert(reduction_ops.reduce_all(dims > 0),
                               ["inner 3 dims of 'image.shape' must be > 0."]),
            logging_ops.Assert(array_ops.rank(image) >= 3,
                               ["'image' must be at least three-dimensional."])]


def _image(image):
    image = convert_to_tensor(image, name="image")
    return _with_deps(_check_at_least_3d(image), image)


def _rank_3_or_4(image):
    rank = image.shape.rank
    if rank not in (None, 3, 4):
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 dimensions.")
    return rank


def _by_rank(image, f3, f4):
    """f3() for a 3-D image, f4() for a 4-D batch; a cond on the rank when it is unknown."""
    rank = _rank_3_or_4(image)
    if rank is None:
        return cond(logic_ops.equal(array_ops.rank(image), 3), f3, f4)
    return f3() if rank == 3 else f4()


def _as_batch(image):
    """(4-D image, whether it was a batch): a 3-D or unknown-rank image gains a batch axis."""
    if _rank_3_or_4(image) == 4:
        return image, True
    batched = transform_ops.expand_dims(image, 0)
    batched.set_shape([None] * 4)
    return batched, False


def _unbatch(image, is_batch):
    return image if is_batch else transform_ops.squeeze(image, axis=[0])


def _dims4(image) -> list:
    """TF's _ImageDimensions: static dims as ints, the rest as scalar tensors."""
    static = image.shape.as_list()
    if None not in static:
        return static
    dynamic = concat_split_ops.unstack(array_ops.shape(image), num=4)
    return [s if s is not None else d for s, d in zip(static, dynamic)]


def _static(*values) -> list:
    return [None if _is_tensor(v) else v for v in values]


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
        hw = constant_value_as_shape(size)
        new_h, new_w = (hw[0].value, hw[1].value) if hw.rank == 2 else (None, None)
        if None not in (height, width, new_h, new_w) and (height, width) == (new_h, new_w):
            return _unbatch(images, is_batch)
        images = opdef(images, size, align_corners=align_corners)
        images.set_shape([None, new_h, new_w, None])
        return _unbatch(images, is_batch)


resize = resize_images


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


# -- flips, transposes, rotations ------------------------------------------------------------------


def _flip_shape(image, result):
    result.set_shape(image.shape)  # TF's fix_image_flip_shape (a cond loses the static dims)
    return result


def _flip(image, flip_index, scope_name):
    """TF's _flip: ReverseV2 of the height (0) or width (1) axis of an image or a batch."""
    with name_scope(None, scope_name, [image]):
        image = _image(image)
        return _by_rank(image,
                        lambda: _flip_shape(image, composites.reverse(image, [flip_index])),
                        lambda: composites.reverse(image, [flip_index + 1]))


def flip_left_right(image):
    """Reverses the width axis (axis -2 of a 3-D image or a 4-D batch)."""
    return _flip(image, 1, "flip_left_right")


def flip_up_down(image):
    """Reverses the height axis (axis -3 of a 3-D image or a 4-D batch)."""
    return _flip(image, 0, "flip_up_down")


def _random_flip(image, flip_index, seed, scope_name):
    with name_scope(None, scope_name, [image]) as scope:
        image = _image(image)

        def f3():
            mirror = logic_ops.less(random_ops.random_uniform([], 0, 1.0, seed=seed), 0.5)
            result = cond(mirror, lambda: composites.reverse(image, [flip_index]),
                          lambda: image, name=scope)
            return _flip_shape(image, result)

        def f4():
            batch = array_ops.shape(image)[0]
            flips = unary_ops.round(array_ops.reshape(
                random_ops.random_uniform(concat_split_ops.stack([batch]), 0, 1.0, seed=seed),
                concat_split_ops.stack([batch, 1, 1, 1])))
            flips = math_ops.cast(flips, image.dtype)
            return flips * composites.reverse(image, [flip_index + 1]) + (1 - flips) * image

        return _by_rank(image, f3, f4)


def random_flip_left_right(image, seed=None):
    """Flips a 3-D image left-right with probability 1/2; each image of a batch on its own."""
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """Flips a 3-D image upside down with probability 1/2; each image of a batch on its own."""
    return _random_flip(image, 0, seed, "random_flip_up_down")


def transpose(image, name=None):
    """Swaps height and width."""
    with name_scope(name, "transpose", [image]):
        image = _image(image)
        return _by_rank(image, lambda: transform_ops.transpose(image, [1, 0, 2], name=name),
                        lambda: transform_ops.transpose(image, [0, 2, 1, 3], name=name))


transpose_image = transpose


def rot90(image, k=1, name=None):
    """Rotates by ``k`` quarter turns counter-clockwise (``k`` an int or an int32 scalar)."""
    with name_scope(name, "rot90", [image, k]) as scope:
        image = _image(image)
        k_t = convert_to_tensor(k, dtype=_dt.int32, name="k")
        if k_t.shape.rank not in (None, 0):
            raise ValueError(f"Shape {k_t.shape} must have rank 0")
        known = constant_value(k_t)

        def rotate(perm, k):
            h = len(perm) - 3  # the height axis: 0 in an image, 1 in a batch

            def turn(x, times):  # TF's _rot90_3D / _rot90_4D branches
                if times == 1:  # reverse the width, then swap height and width
                    return transform_ops.transpose(composites.reverse(x, [h + 1]), perm)
                if times == 2:
                    return composites.reverse(x, [h, h + 1])
                if times == 3:
                    return composites.reverse(transform_ops.transpose(x, perm), [h + 1])
                return array_ops.identity(x)  # a tensor of its own, for its static shape

            if known is not None:  # a constant k: just that rotation
                return turn(image, int(known) % 4)
            k = math_ops.floormod(k, 4)
            pairs = [(logic_ops.equal(k, t), lambda t=t: turn(image, t)) for t in (1, 2, 3)]
            return case(pairs, default=lambda: image, exclusive=True, name=scope)

        def shaped(result, dims):
            result.set_shape(dims)
            return result

        c = image.shape[-1].value if image.shape.rank else None
        n = image.shape[0].value if image.shape.rank == 4 else None
        return _by_rank(image, lambda: shaped(rotate([1, 0, 2], k_t), [None, None, c]),
                        lambda: shaped(rotate([0, 2, 1, 3], k_t), [n, None, None, c]))


# -- values: dtype conversion, standardisation, brightness, contrast, colour -----------------------


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Converts between image dtypes, rescaling: floats are in [0, 1], integers in [0, MAX]."""
    image = convert_to_tensor(image, name="image")
    dtype = _dt.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_integer):
        raise AttributeError("dtype must be either floating point or integer")
    if not (image.dtype.is_floating or image.dtype.is_integer):
        raise AttributeError("image dtype must be either floating point or integer")
    if dtype == image.dtype:
        return array_ops.identity(image, name=name)
    with name_scope(name, "convert_image", [image]) as name:
        cast = composites.saturate_cast if saturate else math_ops.cast
        if image.dtype.is_integer and dtype.is_integer:
            scale_in, scale_out = image.dtype.max, dtype.max
            if scale_in > scale_out:
                scale = (scale_in + 1) // (scale_out + 1)
                return cast(math_ops.floordiv(image, scale), dtype, name=name)
            return math_ops.multiply(cast(image, dtype), (scale_out + 1) // (scale_in + 1),
                                     name=name)
        if image.dtype.is_floating and dtype.is_floating:
            return math_ops.cast(image, dtype, name=name)
        if image.dtype.is_integer:
            return math_ops.multiply(math_ops.cast(image, dtype), 1.0 / image.dtype.max,
                                     name=name)
        # +0.5 so that the cast's truncation does not lose the top value to rounding.
        return cast(math_ops.multiply(image, dtype.max + 0.5), dtype, name=name)


def decode_image(contents, channels=None, dtype=_dt.uint8, name=None, expand_animations=True):
    """``tf.image.decode_image`` as TF's: one DecodeImage node (PNG, JPEG, GIF, BMP); dtypes the
    op does not produce are decoded as uint16 and converted with convert_image_dtype."""
    with name_scope(name, "decode_image"):
        channels = 0 if channels is None else channels
        dtype = _dt.as_dtype(dtype)
        op_dtype = dtype if dtype in (_dt.float32, _dt.uint8, _dt.uint16) else _dt.uint16
        image = DECODE_IMAGE(contents, channels=channels, dtype=op_dtype,
                             expand_animations=expand_animations)
        if op_dtype != dtype:
            image = convert_image_dtype(image, dtype)
        if not expand_animations:
            image.set_shape([None, None, channels or None])
        return image


def _as_float(image):
    return image if image.dtype in (_dt.float16, _dt.float32) else \
        convert_image_dtype(image, _dt.float32)


def per_image_standardization(image):
    """``(x - mean) / max(stddev, 1/sqrt(num_pixels))`` per image, in float32."""
    with name_scope(None, "per_image_standardization", [image]) as scope:
        image = math_ops.cast(_image(image), _dt.float32)
        num_pixels = reduction_ops.reduce_prod(array_ops.shape(image)[-3:])
        mean = reduction_ops.reduce_mean(image, axis=[-1, -2, -3], keepdims=True)
        stddev = composites.reduce_std(image, axis=[-1, -2, -3], keepdims=True)
        min_stddev = unary_ops.rsqrt(math_ops.cast(num_pixels, _dt.float32))
        adjusted = math_ops.maximum(stddev, min_stddev)
        return math_ops.truediv(image - mean, adjusted, name=scope)


def adjust_brightness(image, delta):
    """Adds ``delta`` (in float, for integer images in [0, 1) units), saturating back."""
    with name_scope(None, "adjust_brightness", [image, delta]) as name:
        image = convert_to_tensor(image, name="image")
        flt = _as_float(image)
        adjusted = math_ops.add(flt, math_ops.cast(delta, flt.dtype), name=name)
        return convert_image_dtype(adjusted, image.dtype, saturate=True)


def adjust_contrast(images, contrast_factor):
    """``(x - mean) * contrast_factor + mean`` per channel of each image (AdjustContrastv2)."""
    with name_scope(None, "adjust_contrast", [images, contrast_factor]) as name:
        images = convert_to_tensor(images, name="images")
        adjusted = ADJUST_CONTRAST_V2(_as_float(images), contrast_factor, name=name)
        return convert_image_dtype(adjusted, images.dtype, saturate=True)


def adjust_gamma(image, gamma=1, gain=1):
    """``gain * x ** gamma`` (in float for integer images)."""
    with name_scope(None, "adjust_gamma", [image, gamma, gain]):
        image = convert_to_tensor(image, name="image")
        checks = _check(gamma >= 0, "Gamma should be a non-negative real number.")
        gamma = _with_deps(checks, gamma)
        return convert_image_dtype(gain * _as_float(image) ** gamma, image.dtype, saturate=True)


def adjust_hue(image, delta, name=None):
    """Rotates the hue of RGB images by ``delta`` (in [-1, 1]) turns (AdjustHue)."""
    with name_scope(name, "adjust_hue", [image]):
        image = convert_to_tensor(image, name="image")
        return convert_image_dtype(ADJUST_HUE(_as_float(image), delta), image.dtype)


def adjust_saturation(image, saturation_factor, name=None):
    """Scales the saturation of RGB images, clipped to [0, 1] (AdjustSaturation)."""
    with name_scope(name, "adjust_saturation", [image]):
        image = convert_to_tensor(image, name="image")
        return convert_image_dtype(ADJUST_SATURATION(_as_float(image), saturation_factor),
                                   image.dtype)


def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] to hue, saturation, value in [0, 1] (RGBToHSV)."""
    return RGB_TO_HSV(images, name=name)


def hsv_to_rgb(images, name=None):
    """Hue, saturation, value in [0, 1] to RGB (HSVToRGB)."""
    return HSV_TO_RGB(images, name=name)


def _random_factor(lower, upper, seed):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return random_ops.random_uniform([], lower, upper, seed=seed)


def random_brightness(image, max_delta, seed=None):
    """adjust_brightness by a delta uniform in [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return adjust_brightness(image, random_ops.random_uniform([], -max_delta, max_delta,
                                                              seed=seed))


def random_contrast(image, lower, upper, seed=None):
    """adjust_contrast by a factor uniform in [lower, upper)."""
    return adjust_contrast(image, _random_factor(lower, upper, seed))


def random_hue(image, max_delta, seed=None):
    """adjust_hue by a delta uniform in [-max_delta, max_delta), max_delta <= 0.5."""
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return adjust_hue(image, random_ops.random_uniform([], -max_delta, max_delta, seed=seed))


def random_saturation(image, lower, upper, seed=None):
    """adjust_saturation by a factor uniform in [lower, upper)."""
    return adjust_saturation(image, _random_factor(lower, upper, seed))


def rgb_to_grayscale(images, name=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` as a last axis of size 1, in the input dtype."""
    with name_scope(name, "rgb_to_grayscale", [images]) as name:
        images = convert_to_tensor(images, name="images")
        flt = convert_image_dtype(images, _dt.float32)
        gray = composites.tensordot(flt, [0.2989, 0.5870, 0.1140], [[-1], [-1]])
        return convert_image_dtype(transform_ops.expand_dims(gray, -1), images.dtype,
                                   name=name)


def grayscale_to_rgb(images, name=None):
    """Repeats the single channel three times."""
    with name_scope(name, "grayscale_to_rgb", [images]) as name:
        images = convert_to_tensor(images, name="images")
        shape = images.shape
        if shape.rank is not None and shape.rank < 2:
            raise ValueError(f"A grayscale image (shape {shape}) must be at least "
                             "two-dimensional.")
        if shape.rank and shape[-1].value not in (None, 1):
            raise ValueError("Last dimension of a grayscale image should be size 1.")
        ones = array_ops.ones(transform_ops.expand_dims(array_ops.rank(images) - 1, 0),
                              dtype=_dt.int32)
        rgb = transform_ops.tile(images, concat_split_ops.concat([ones, [3]], 0), name=name)
        if shape.rank is not None:
            rgb.set_shape(shape[:-1].concatenate([3]))
        return rgb


# -- measures ------------------------------------------------------------------------------------


def total_variation(images, name=None):
    """Sum of absolute differences of neighbouring pixels: a scalar for a 3-D image, one value
    per image for a 4-D batch."""
    with name_scope(name, "total_variation"):
        images = convert_to_tensor(images, name="images")
        if images.shape.rank not in (3, 4):
            raise ValueError("'images' must be either 3 or 4-dimensional.")
        axis = None if images.shape.rank == 3 else [1, 2, 3]
        dif1 = images[..., 1:, :, :] - images[..., :-1, :, :]
        dif2 = images[..., 1:, :] - images[..., :-1, :]
        return reduction_ops.reduce_sum(unary_ops.abs(dif1), axis=axis) + \
            reduction_ops.reduce_sum(unary_ops.abs(dif2), axis=axis)


def image_gradients(image):
    """(dy, dx): forward differences along height and width, zero in the last row/column."""
    image = convert_to_tensor(image, name="image")
    if image.shape.rank != 4:
        raise ValueError("image_gradients expects a 4D tensor [batch_size, h, w, d], not "
                         f"{image.shape}.")
    image_shape = array_ops.shape(image)
    batch, height, width, depth = concat_split_ops.unstack(image_shape, num=4)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    zeros_y = array_ops.zeros(concat_split_ops.stack([batch, 1, width, depth]), image.dtype)
    zeros_x = array_ops.zeros(concat_split_ops.stack([batch, height, 1, depth]), image.dtype)
    dy = array_ops.reshape(concat_split_ops.concat([dy, zeros_y], 1), image_shape)
    dx = array_ops.reshape(concat_split_ops.concat([dx, zeros_x], 2), image_shape)
    return dy, dx


_SOBEL = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                   [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])


def sobel_edges(image):
    """``[batch, h, w, d, 2]``: the vertical and horizontal Sobel responses of each channel
    (reflect-padded). TF runs a depthwise convolution; here each kernel is a sum of shifted
    windows of the padded image: the same values, no convolution op needed."""
    image = convert_to_tensor(image, name="image")
    static = image.shape
    padded = pad_ops.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    outputs = []
    for kernel in _SOBEL:
        total = None
        for (i, j), weight in np.ndenumerate(kernel):
            if weight:
                window = padded[:, i:(i - 2) or None, j:(j - 2) or None, :]
                term = window * math_ops.cast(float(weight), image.dtype)
                total = term if total is None else total + term
        outputs.append(total)
    output = concat_split_ops.stack(outputs, axis=-1)
    if static.rank is not None:
        output.set_shape(static.concatenate([2]))
    return output


from .image_extra import *  # noqa: E402, F401, F403 - more of tf.image (core/image_extra.py)
from .image_decode_extra import *  # noqa: E402, F401, F403 - decode_bmp/gif, distorted boxes
from .image_jpeg import *  # noqa: E402, F401, F403 - decode_jpeg, extract_jpeg_shape, is_jpeg
