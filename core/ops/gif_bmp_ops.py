"""DecodeBmp and DecodeGif, TensorFlow's kernels (``decode_image_op.cc``, ``gif_io.cc``) in numpy,
with the ``tf.image`` / ``tf.io`` wrappers ``decode_bmp`` and ``decode_gif``. The GIF codec is
core/ops/_gif.py; BMP needs none: TF reads only uncompressed 8/24/32-bit pixels.

``decode_bmp_pixels`` and ``decode_gif_pixels`` are the format decoders DecodeImage dispatches to.
As in TF, DecodeGif also decodes a PNG (or JPEG) as one frame, and each op names the other op to
use for the other formats. TF registers no gradient for either op.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import _gif, _png, png_ops

__all__ = ["decode_bmp", "decode_gif"]


def _error(message):
    return InvalidArgumentError(None, None, message)


def _int(data: bytes, at: int, size: int) -> int:
    return int.from_bytes(data[at:at + size], "little", signed=True)


def _int32(x: int) -> int:
    """C's wrap of a size_t difference into an int."""
    return (x + 2**31) % 2**32 - 2**31


# -- BMP ------------------------------------------------------------------------------------------


def decode_bmp_pixels(data: bytes, channels: int) -> np.ndarray:
    """TF's DecodeBmpV2: uint8 [height, width, channels] of an uncompressed BMP, rows bottom-up
    (positive height) or top-down (negative), BGR(A) to RGB(A), 8-bit pixels as grey (TF ignores
    the palette). TF checks sizes, not the header's compression or colour fields."""
    if channels == 1:
        raise _error(f"`channels` must be 0, 3 or 4 for BMP, but got {channels}")
    if len(data) < 32:
        raise _error("Incomplete bmp content, requires at least 32 bytes to find the header "
                     f"size, width, height, and bpp, got {len(data)} bytes")
    header_size, width, height = _int(data, 10, 4), _int(data, 18, 4), _int(data, 22, 4)
    bpp = _int(data, 28, 2)
    img_channels = int(bpp / 8)  # C's division truncates toward zero
    if img_channels not in (1, 3, 4):
        raise _error("Number of channels inherent in the image must be 1, 3 or 4, was "
                     f"{img_channels}")
    if width <= 0:
        raise _error("Width must be positive")
    if height == 0:
        raise _error("Height must be nonzero")
    if header_size < 0:
        raise _error("header size must be nonnegative")
    abs_height = abs(height)
    if width * abs_height >= (2**31 - 1) // 8:
        raise _error("Total possible pixel bytes must be less than 2^30")
    row_size = (img_channels * width + 3) // 4 * 4  # rows are padded to 4 bytes
    size_diff = _int32(len(data) - header_size - row_size * abs_height)
    if size_diff != 0:
        raise _error("Input size should match (header_size + row_size * abs_height) but they "
                     f"differ by {size_diff}")
    rows = np.frombuffer(data, np.uint8, row_size * abs_height, header_size)
    pixels = rows.reshape(abs_height, row_size)[:, :width * img_channels]
    pixels = pixels.reshape(abs_height, width, img_channels)
    if height > 0:
        pixels = pixels[::-1]
    want = channels or img_channels
    if img_channels == 1:
        rgb = np.repeat(pixels, 3, axis=2) if want != 1 else pixels
    else:
        rgb = pixels[..., 2::-1]
    if want == 4:
        alpha = pixels[..., 3:] if img_channels == 4 else np.full_like(pixels[..., :1], 255)
        rgb = np.concatenate([rgb, alpha], axis=2)
    return np.ascontiguousarray(rgb)


def _decode_bmp_kernel(contents, *, channels):
    if channels not in (0, 1, 3, 4):
        raise _error(f"`channels` must be 0, 1, 3 or 4 but got {channels}")
    data = png_ops._contents(contents)
    if not data:
        raise _error("Input is empty.")
    fmt = _png.sniff(data)
    if fmt == "BMP":
        return decode_bmp_pixels(data, channels)
    if fmt == "GIF" and channels not in (0, 3):
        raise _error(f"channels must be 0 or 3 for GIF, got {channels}")
    if fmt == "JPEG" and channels == 4:
        raise _error("JPEG does not support 4 channels")
    if fmt == "PNG":  # TF reads the PNG header before it refuses the format
        png_ops._decode(contents, channels, False)
    if fmt in ("GIF", "JPEG", "PNG"):
        raise _error(f"Trying to decode {fmt} format using DecodeBmp op. Use "
                     f"`decode_{fmt.lower()}` or `decode_image` instead.")
    return png_ops._decode(contents, channels, False)  # TF's message for any other format


DECODE_BMP = register(OpDef(
    "DecodeBmp", inputs=["contents:string"], attrs={"channels": 0},
    kernel=_decode_bmp_kernel,
    infer=lambda contents, *, channels: [
        TensorSpec(png_ops._decode_infer(contents, channels), _dt.uint8)],
    grad=NO_GRADIENT,
))


# -- GIF ------------------------------------------------------------------------------------------


def decode_gif_pixels(data: bytes, expand_animations: bool = True) -> np.ndarray:
    """TF's gif::Decode: uint8 [frames, height, width, 3] (one frame unless expanding)."""
    try:
        return _gif.decode(data, expand_animations)
    except _gif.GifError as e:
        raise _error(f"Invalid GIF data (size {len(data)}), {e}") from None


def _decode_gif_kernel(contents):
    data = png_ops._contents(contents)
    if not data:
        raise _error("Input is empty.")
    fmt = _png.sniff(data)
    if fmt == "GIF":
        return decode_gif_pixels(data)
    if fmt == "BMP":
        raise _error("Trying to decode BMP format using a wrong op. Use `decode_bmp` or "
                     "`decode_image` instead. Op used: DecodeGif")
    # TF's DecodeGif decodes the other formats too, as one frame of 3 channels.
    return png_ops._decode(contents, 3, False)[None]


def _decode_gif_infer(contents):
    if contents.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {contents.shape.rank}")
    return [TensorSpec(TensorShape([None, None, None, 3]), _dt.uint8)]


DECODE_GIF = register(OpDef(
    "DecodeGif", inputs=["contents:string"], kernel=_decode_gif_kernel,
    infer=_decode_gif_infer, grad=NO_GRADIENT,
))


# -- public wrappers ------------------------------------------------------------------------------


def decode_bmp(contents, channels=0, name=None):
    """``tf.io.decode_bmp``: a uint8 [height, width, channels] image of an uncompressed BMP
    (channels 0 = the file's, 3 = RGB, 4 = RGBA)."""
    return DECODE_BMP(contents, channels=channels, name=name)


def decode_gif(contents, name=None):
    """``tf.io.decode_gif``: every frame of a GIF as uint8 [num_frames, height, width, 3]."""
    return DECODE_GIF(contents, name=name)
