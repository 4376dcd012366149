"""``tf.image``'s pixel values: convert_image_dtype (and decode_image, which converts the
dtypes DecodeImage does not produce), per_image_standardization, the brightness, contrast,
gamma, hue and saturation adjustments with their random variants, and the HSV and grayscale
conversions. The adjustments are ops (core/ops/image_ops.py) or compositions run in float and
converted back, as TF's; a family of its own because every function here maps pixel values
and leaves the image's geometry alone. core/image.py re-exports every name here."""

from __future__ import annotations

from . import composites
from . import dtypes as _dt
from .graph import convert_to_tensor, name_scope
from .image_checks import _check, _image, _with_deps
from .ops import (array_ops, concat_split_ops, logic_ops, math_ops, random_ops, reduction_ops,
                  transform_ops, unary_ops)
from .ops.image_ops import (ADJUST_CONTRAST_V2, ADJUST_HUE, ADJUST_SATURATION, HSV_TO_RGB,
                            RGB_TO_HSV)
from .ops.png_ops import DECODE_IMAGE

__all__ = [
    "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue", "adjust_saturation",
    "convert_image_dtype", "decode_image", "grayscale_to_rgb", "hsv_to_rgb",
    "per_image_standardization", "random_brightness", "random_contrast", "random_hue",
    "random_saturation", "rgb_to_grayscale", "rgb_to_hsv",
]


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
        if not shape.is_fully_defined():  # TF's _AssertGrayscaleImage: checked when it runs
            images = _with_deps(
                _check(logic_ops.equal(array_ops.shape(images)[-1], 1),
                       "Last dimension of a grayscale image should be size 1.") +
                _check(array_ops.rank(images) >= 2,
                       "A grayscale image must be at least two-dimensional."), images)
        ones = array_ops.ones(transform_ops.expand_dims(array_ops.rank(images) - 1, 0),
                              dtype=_dt.int32)
        rgb = transform_ops.tile(images, concat_split_ops.concat([ones, [3]], 0), name=name)
        if shape.rank is not None:
            rgb.set_shape(shape[:-1].concatenate([3]))
        return rgb
