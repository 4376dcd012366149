"""JPEG encoding ops: EncodeJpeg and EncodeJpegVariableQuality (``tf.image.encode_jpeg`` /
``tf.io.encode_jpeg``), with ``tf.image.adjust_jpeg_quality`` and ``random_jpeg_quality``
composed from them as TF composes them. The codec is core/ops/_jpeg_encode.py.

The bytes equal TensorFlow's on a CPU (libjpeg-turbo) for every attr: baseline or progressive,
standard or optimised Huffman tables, 4:2:0 or 4:4:4 chroma, JFIF densities and an XMP APP1
segment. TensorFlow's op names, attrs, shape functions and messages: ``format`` and
``density_unit`` are checked against their allowed values when the node is built, ``quality``
and the image's rank and channels when the kernel runs (TF's kernel constructor / Compute);
libjpeg's own refusals (an empty image, an XMP packet too long for one marker) are TF's
InternalError "JPEG encoding failed". TF registers no gradient for these ops.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InternalError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import _jpeg_encode
from .png_ops import _error, _shape_str

__all__ = ["adjust_jpeg_quality", "encode_jpeg", "random_jpeg_quality"]

_FORMATS = ("", "grayscale", "rgb")
_DENSITY_UNITS = {"in": 1, "cm": 2}  # JFIF's codes


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise shape_error(f"Attr '{name}' of 'EncodeJpeg' Op passed string '{value}' not in: "
                          + ", ".join(f'"{a}"' for a in allowed) + ".")


def _check_quality(quality):
    if not 0 <= quality <= 100:
        raise _error(f"quality must be in [0,100], got {quality}")


def _image(image, format=""):  # noqa: A002 - TF's attr name
    """The uint8 [height, width, channels] array, checked as TF's Compute checks it."""
    x = np.asarray(image)
    if x.ndim != 3:
        raise _error(f"image must be 3-dimensional{_shape_str(x.shape)}")
    if x.size >= 2 ** 31 - 1:
        raise _error("Cannot encode images with >= max int32 elements")
    if not format:
        if x.shape[2] not in (1, 3):
            raise _error(f"image must have 1 or 3 channels, got {_shape_str(x.shape)}")
    elif x.shape[2] != (1 if format == "grayscale" else 3):
        raise _error(f"format {format} expects {1 if format == 'grayscale' else 3} channels, "
                     f"got {_shape_str(x.shape)}")
    return x


def _compress(x, quality, progressive=False, optimize_size=False, chroma_downsampling=True,
              density_unit="in", x_density=300, y_density=300, xmp_metadata=""):
    """jpeg::Compress, or TF's InternalError when libjpeg refuses."""
    xmp = xmp_metadata.encode("utf-8", "surrogateescape") if isinstance(xmp_metadata, str) \
        else bytes(xmp_metadata)
    try:
        data = _jpeg_encode.encode(x, quality, progressive, optimize_size, chroma_downsampling,
                                   _DENSITY_UNITS[density_unit], x_density & 0xFFFF,
                                   y_density & 0xFFFF, xmp)
    except _jpeg_encode.JpegEncodeError:
        raise InternalError(None, None, "JPEG encoding failed") from None
    return np.array(data, dtype=object)


# -- EncodeJpeg -----------------------------------------------------------------------------------


def _encode_jpeg_kernel(image, *, format, quality, progressive, optimize_size,  # noqa: A002
                        chroma_downsampling, density_unit, x_density, y_density, xmp_metadata):
    _check_quality(quality)
    x = _image(image, format)
    return _compress(x, quality, progressive, optimize_size, chroma_downsampling, density_unit,
                     x_density, y_density, xmp_metadata)


def _rank3(spec):
    rank = spec.shape.rank
    if rank not in (None, 3):
        raise shape_error(f"Shape must be rank 3 but is rank {rank}")


def _encode_jpeg_infer(image, *, format, density_unit, **_):  # noqa: A002
    _check_choice("format", format, _FORMATS)
    _check_choice("density_unit", density_unit, tuple(_DENSITY_UNITS))
    _rank3(image)
    return [TensorSpec(TensorShape([]), _dt.string)]


ENCODE_JPEG = register(OpDef(
    "EncodeJpeg", inputs=["image:uint8"],
    attrs={"format": "", "quality": 95, "progressive": False, "optimize_size": False,
           "chroma_downsampling": True, "density_unit": "in", "x_density": 300,
           "y_density": 300, "xmp_metadata": ""},
    kernel=_encode_jpeg_kernel, infer=_encode_jpeg_infer, grad=NO_GRADIENT,
))


# -- EncodeJpegVariableQuality --------------------------------------------------------------------


def _encode_variable_kernel(images, quality):
    x = np.asarray(images)
    if x.ndim != 3:
        raise _error(f"image must be 3-dimensional{_shape_str(x.shape)}")
    q = np.asarray(quality)
    if q.ndim != 0:
        raise _error(f"quality must be scalar: {_shape_str(q.shape)}")
    _check_quality(int(q))
    return _compress(_image(x), int(q))  # TF's default CompressFlags otherwise


def _encode_variable_infer(images, quality):
    _rank3(images)
    if quality.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {quality.shape.rank}")
    return [TensorSpec(TensorShape([]), _dt.string)]


ENCODE_JPEG_VARIABLE_QUALITY = register(OpDef(
    "EncodeJpegVariableQuality", inputs=["images:uint8", "quality:int32"],
    kernel=_encode_variable_kernel, infer=_encode_variable_infer, grad=NO_GRADIENT,
))


# -- public wrappers ------------------------------------------------------------------------------


def encode_jpeg(image, format="", quality=95, progressive=False,  # noqa: A002
                optimize_size=False, chroma_downsampling=True, density_unit="in",
                x_density=300, y_density=300, xmp_metadata="", name=None):
    """``tf.image.encode_jpeg`` / ``tf.io.encode_jpeg``: the JPEG file (a scalar string) of a
    uint8 [height, width, channels] image; ``format`` '' takes 1 or 3 channels as grey / RGB."""
    return ENCODE_JPEG(image, format=format, quality=quality, progressive=progressive,
                       optimize_size=optimize_size, chroma_downsampling=chroma_downsampling,
                       density_unit=density_unit, x_density=x_density, y_density=y_density,
                       xmp_metadata=xmp_metadata, name=name)


def adjust_jpeg_quality(image, jpeg_quality, dct_method="", name=None):
    """``tf.image.adjust_jpeg_quality``: the image JPEG-encoded at ``jpeg_quality`` (0..100,
    checked when the graph runs) and decoded again, in its own dtype. As in TF, a float image
    is saturated to uint8 first, and the channel count must be static or the decode keeps the
    file's own."""
    from ..image_color import convert_image_dtype  # core.image_color builds on core.ops
    from .jpeg_ops import decode_jpeg

    with name_scope(name, "adjust_jpeg_quality", [image]):
        image = convert_to_tensor(image, name="image")
        channels = image.shape.as_list()[-1]
        orig_dtype = image.dtype
        image = convert_image_dtype(image, _dt.uint8, saturate=True)
        jpeg_quality = convert_to_tensor(jpeg_quality, dtype=_dt.int32)
        image = ENCODE_JPEG_VARIABLE_QUALITY(image, jpeg_quality)
        image = decode_jpeg(image, channels=channels or 0, dct_method=dct_method)
        return convert_image_dtype(image, orig_dtype, saturate=True)


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """``tf.image.random_jpeg_quality``: adjust_jpeg_quality at a quality drawn uniformly from
    [min_jpeg_quality, max_jpeg_quality) (both in 0..100), seeded as minitf's other random image
    ops (graph seed + ``seed``)."""
    from .random_ops import random_uniform

    if min_jpeg_quality < 0 or max_jpeg_quality < 0 or min_jpeg_quality > 100 or \
            max_jpeg_quality > 100:
        raise ValueError("jpeg encoding range must be between 0 and 100.")
    if min_jpeg_quality >= max_jpeg_quality:
        raise ValueError("`min_jpeg_quality` must be less than `max_jpeg_quality`.")
    quality = random_uniform([], min_jpeg_quality, max_jpeg_quality, seed=seed, dtype=_dt.int32)
    return adjust_jpeg_quality(image, quality)
