"""Image file ops: DecodePng, DecodeImage (PNG, JPEG, GIF, BMP) and EncodePng, with the
``tf.image`` / ``tf.io`` wrappers ``decode_png`` and ``encode_png`` (``decode_image`` is in
core/image.py, as it composes convert_image_dtype). The codec is core/ops/_png.py; a JPEG goes
to jpeg_ops.py and GIF/BMP to gif_bmp_ops.py, as TF's kernel decodes by the bytes whatever the
op's name.

TensorFlow's op names, argument names, attrs, shape functions and messages. TF registers no
gradient for these ops (strings and integer images are never differentiated), hence NO_GRADIENT.
Attrs TF checks when it builds the kernel (``channels`` in {0, 1, 3, 4}, ``compression`` in
[-1, 9]) are checked when the kernel runs, so a graph with a bad value builds, as in TF.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InternalError, InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape, unknown_shape
from . import _png

__all__ = ["decode_png", "encode_png"]

_DECODE_PNG_TYPES = (_dt.uint8, _dt.uint16)
_DECODE_IMAGE_TYPES = (_dt.uint8, _dt.uint16, _dt.float32)
_F32 = np.float32


def _error(message):
    return InvalidArgumentError(None, None, message)


def _check_type(dtype, allowed, arg):
    if dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(f"Value passed to parameter '{arg}' has DataType {dtype.name} not in list "
                        f"of allowed values: {names}")


def _shape_str(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _contents(value) -> bytes:
    if np.ndim(value) != 0:
        raise _error(f"contents must be scalar, got shape {_shape_str(np.shape(value))}")
    x = value[()] if isinstance(value, np.ndarray) else value
    return x if isinstance(x, bytes) else str(x).encode()


def _decode(contents, channels: int, sixteen_bit: bool, op: str = "DecodePng",
            expand_animations: bool = False) -> np.ndarray:
    """TF's DecodeImageV2 kernel, which decodes by the bytes whatever the op's name: PNG here,
    JPEG in jpeg_ops.py, GIF and BMP in gif_bmp_ops.py (BMP for DecodeImage only, a GIF of
    several frames for DecodeImage only)."""
    if channels not in (0, 1, 3, 4):
        raise _error(f"`channels` must be 0, 1, 3 or 4 but got {channels}")
    data = _contents(contents)
    if not data:
        raise _error("Input is empty.")
    fmt = _png.sniff(data)
    if fmt is None:
        raise _error("Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, BMP, WebP "
                     "required.")
    if fmt == "PNG":
        try:
            return _png.decode_png(data, channels, sixteen_bit)
        except _png.PngError as e:
            head = "Invalid PNG. Failed to initialize decoder" if e.in_header else \
                f"Invalid PNG data, size {len(data)}"
            raise _error(f"{head}: {e}") from None
    image = _decode_8bit(data, fmt, channels, op, expand_animations)
    # TF widens the 8-bit formats' pixels to 16 bits by a shift (PNG's are * 257).
    return image.astype(np.uint16) << 8 if sixteen_bit else image


def _decode_8bit(data: bytes, fmt: str, channels: int, op: str, expand_animations: bool):
    from . import gif_bmp_ops, jpeg_ops  # both import this module

    if fmt == "JPEG":
        return jpeg_ops.decode_contents(data, channels)
    if fmt == "GIF":
        if channels not in (0, 3):
            raise _error(f"channels must be 0 or 3 for GIF, got {channels}")
        frames = gif_bmp_ops.decode_gif_pixels(data, expand_animations or op != "DecodeImage")
        if op == "DecodeImage":
            return frames if expand_animations else frames[0]
        if len(frames) > 1:
            raise _error(f"Got {len(frames)} frames, but animated gifs can only be decoded by "
                         "tf.io.decode_gif or tf.io.decode_image")
        return frames[0]
    if fmt == "BMP":
        if op != "DecodeImage":
            raise _error("Trying to decode BMP format using a wrong op. Use `decode_bmp` or "
                         f"`decode_image` instead. Op used: {op}")
        return gif_bmp_ops.decode_bmp_pixels(data, channels)
    raise _error(f"minitf cannot decode {fmt} images: decode it outside the graph (e.g. with "
                 "PIL) and feed the pixels")


def _decode_infer(contents, channels):
    if contents.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {contents.shape.rank}")
    if channels < 0:
        raise shape_error(f"channels must be non-negative, got {channels}")
    return TensorShape([None, None, channels or None])


# -- DecodePng ------------------------------------------------------------------------------------


def _decode_png_kernel(contents, *, channels, dtype):
    return _decode(contents, channels, dtype == _dt.uint16)


def _decode_png_infer(contents, *, channels, dtype):
    _check_type(dtype, _DECODE_PNG_TYPES, "dtype")
    return [TensorSpec(_decode_infer(contents, channels), dtype)]


DECODE_PNG = register(OpDef(
    "DecodePng", inputs=["contents:string"], attrs={"channels": 0, "dtype": _dt.uint8},
    kernel=_decode_png_kernel, infer=_decode_png_infer, grad=NO_GRADIENT,
))


# -- DecodeImage ----------------------------------------------------------------------------------


def _decode_image_kernel(contents, *, channels, dtype, expand_animations):
    if dtype == _dt.float32 and _png.sniff(_contents(contents)) in ("JPEG", "GIF", "BMP"):
        # TF's scale for the 8-bit formats
        return _decode(contents, channels, False, "DecodeImage", expand_animations) * \
            _F32(1 / 255)
    image = _decode(contents, channels, dtype != _dt.uint8, "DecodeImage", expand_animations)
    # TF's kernel scales the 16-bit pixels by a float32 1/65535 (8-bit ones were * 257).
    return image * _F32(1 / 65535) if dtype == _dt.float32 else image


def _decode_image_infer(contents, *, channels, dtype, expand_animations):
    _check_type(dtype, _DECODE_IMAGE_TYPES, "dtype")
    shape = _decode_infer(contents, channels)
    # A GIF would be [frames, h, w, 3]: with animations expanded TF knows nothing of the rank.
    return [TensorSpec(unknown_shape() if expand_animations else shape, dtype)]


DECODE_IMAGE = register(OpDef(
    "DecodeImage", inputs=["contents:string"],
    attrs={"channels": 0, "dtype": _dt.uint8, "expand_animations": True},
    kernel=_decode_image_kernel, infer=_decode_image_infer, grad=NO_GRADIENT,
))


# -- EncodePng ------------------------------------------------------------------------------------


def _encode_png_kernel(image, *, compression):
    if not -1 <= compression <= 9:
        raise _error(f"compression should be in [-1,9], got {compression}")
    x = np.asarray(image)
    if x.ndim < 3:
        raise _error(f"images must be at least rank 3, got shape {_shape_str(x.shape)}")
    if not 1 <= x.shape[-1] <= 4:
        raise _error(f"image must have 1, 2, 3, or 4 channels, got {x.shape[-1]}")
    images = x.reshape((int(np.prod(x.shape[:-3])),) + x.shape[-3:])
    if not x.shape[-3] or not x.shape[-2]:  # libpng cannot write an image without pixels
        failed = " ".join(str(i) for i in range(len(images)))
        raise InternalError(None, None, "PNG encoding failed at the following flattened batch "
                            f"indices: {failed}")
    out = np.empty(len(images), dtype=object)
    for i, img in enumerate(images):
        out[i] = _png.encode_png(img, compression)
    return out.reshape(x.shape[:-3])


def _encode_png_infer(image, *, compression):
    _check_type(image.dtype, _DECODE_PNG_TYPES, "image")
    rank = image.shape.rank
    if rank is None:
        return [TensorSpec(unknown_shape(), _dt.string)]
    if rank < 3:
        raise shape_error(f"Shape must be at least rank 3 but is rank {rank}")
    return [TensorSpec(image.shape[:-3], _dt.string)]


ENCODE_PNG = register(OpDef(
    "EncodePng", inputs=["image:T=uint8"], attrs={"compression": -1},
    kernel=_encode_png_kernel, infer=_encode_png_infer, grad=NO_GRADIENT,
))


# -- public wrappers ------------------------------------------------------------------------------


def decode_png(contents, channels=0, dtype=_dt.uint8, name=None):
    """``tf.image.decode_png``: a [height, width, channels] uint8/uint16 image of a PNG file."""
    return DECODE_PNG(contents, channels=channels, dtype=_dt.as_dtype(dtype), name=name)


def encode_png(image, compression=-1, name=None):
    """``tf.image.encode_png``: the PNG of a uint8/uint16 [..., height, width, channels] image
    (1-4 channels); a scalar string for one image."""
    return ENCODE_PNG(image, compression=compression, name=name)
