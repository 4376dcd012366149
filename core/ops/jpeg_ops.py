"""JPEG ops: DecodeJpeg, DecodeAndCropJpeg and ExtractJpegShape, with the ``tf.image`` /
``tf.io`` wrappers (core/image_jpeg.py adds ``is_jpeg``). The codec is core/ops/_jpeg.py.

TensorFlow's op names, attrs, shape functions and messages. Like TF's kernel (it is DecodeImageV2
behind every name), DecodeJpeg also decodes a PNG, and DecodePng / DecodeImage (png_ops.py) hand
a JPEG to ``decode_contents`` here. TF registers no gradient for these ops, hence NO_GRADIENT.
Attrs TF checks when it builds the kernel (channels, ratio, dct_method) are checked when the
kernel runs, so a graph with a bad value builds, as in TF.

Pixels equal TF's bit for bit: dct_method "" and "INTEGER_FAST" use libjpeg's fast integer IDCT
(TF's default), "INTEGER_ACCURATE" the accurate one; ``ratio`` 2/4/8 libjpeg's reduced IDCTs.
CMYK / YCCK files become RGB by TF's own formula. Not decoded (UnimplementedError, named): 12-bit,
arithmetic-coded, lossless and hierarchical files, damaged image data that libjpeg reads on
through with warnings, and a file cut inside its image data even with try_recover_truncated
(TF's fake EOI then makes libjpeg read on in a way not reproduced), or a progressive file cut
before its last scans (libjpeg then smooths the coefficients still missing). With
try_recover_truncated a file whose image data is all there but whose end (the EOI) is cut off
decodes as TF decodes it. acceptable_fraction only matters for cut files and is otherwise
ignored, as in TF.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import UnimplementedError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import _jpeg, _png
from ._util import const_ints
from .png_ops import _check_type, _contents, _decode, _decode_infer, _error

__all__ = ["decode_and_crop_jpeg", "decode_jpeg", "extract_jpeg_shape"]

_ATTRS = {"channels": 0, "ratio": 1, "fancy_upscaling": True, "try_recover_truncated": False,
          "acceptable_fraction": 1.0, "dct_method": ""}
_DCT_METHODS = ("", "INTEGER_FAST", "INTEGER_ACCURATE")
_FAILED = "jpeg::Uncompress failed. Invalid JPEG data or crop window."


def _check_attrs(channels, ratio, dct_method):
    if channels not in (0, 1, 3, 4):
        raise _error(f"`channels` must be 0, 1, 3 or 4 but got {channels}")
    if ratio not in (1, 2, 4, 8):
        raise _error(f"ratio must be 1, 2, 4, or 8, got {ratio}")
    if dct_method not in _DCT_METHODS:
        raise _error("dct_method must be one of {'', 'INTEGER_FAST', 'INTEGER_ACCURATE'}")


def decode_contents(data: bytes, channels=0, ratio=1, fancy_upscaling=True,
                    try_recover_truncated=False, dct_method="", crop=None) -> np.ndarray:
    """uint8 pixels of a JPEG file as TF's decoder gives them, or TF's error."""
    if channels == 4:
        raise _error("JPEG does not support 4 channels")
    try:
        return _jpeg.decode(data, channels, fancy_upscaling, try_recover_truncated, crop,
                            fast=dct_method != "INTEGER_ACCURATE", ratio=ratio)
    except _jpeg.JpegUnsupportedError as e:
        raise UnimplementedError(None, None, f"minitf cannot decode this JPEG: {e}. Decode it "
                                 "outside the graph (e.g. with PIL) and feed the pixels") from None
    except _jpeg.JpegError as e:
        raise _error(f"{_FAILED} ({e})") from None


# -- DecodeJpeg -----------------------------------------------------------------------------------


def _decode_jpeg_kernel(contents, *, channels, ratio, fancy_upscaling, try_recover_truncated,
                        acceptable_fraction, dct_method):
    _check_attrs(channels, ratio, dct_method)
    data = _contents(contents)
    if not data:
        raise _error("Input is empty.")
    if _png.sniff(data) != "JPEG":  # TF's kernel decodes by the bytes, whatever the op's name
        return _decode(contents, channels, False, "DecodeJpeg")
    return decode_contents(data, channels, ratio, fancy_upscaling, try_recover_truncated,
                           dct_method)


def _decode_jpeg_infer(contents, **attrs):
    return [TensorSpec(_decode_infer(contents, attrs["channels"]), _dt.uint8)]


DECODE_JPEG = register(OpDef(
    "DecodeJpeg", inputs=["contents:string"], attrs=dict(_ATTRS),
    kernel=_decode_jpeg_kernel, infer=_decode_jpeg_infer, grad=NO_GRADIENT,
))


# -- DecodeAndCropJpeg ----------------------------------------------------------------------------


def _decode_and_crop_kernel(contents, crop_window, *, channels, ratio, fancy_upscaling,
                            try_recover_truncated, acceptable_fraction, dct_method):
    _check_attrs(channels, ratio, dct_method)
    data = _contents(contents)
    if not data:
        raise _error("Input is empty.")
    window = np.asarray(crop_window).reshape(-1)
    if window.size != 4:
        raise _error(f"crop_size must have four elements [{window.size}]")
    fmt = _png.sniff(data)
    if fmt != "JPEG":
        raise _error("DecodeAndCropJpeg operation can run on JPEG only, but detected "
                     f"{fmt or 'Unknown format'}.")
    y, x, h, w = (int(v) for v in window)
    try:
        frame = _jpeg.read_header(data)
    except _jpeg.JpegError as e:
        raise _error(f"{_FAILED} ({e})") from None
    height, width = -(-frame.height // ratio), -(-frame.width // ratio)  # the scaled output
    if h <= 0 or w <= 0 or y < 0 or x < 0 or y + h > height or x + w > width:
        raise _error(f"{_FAILED} (crop window {[y, x, h, w]} is not inside the "
                     f"{height}x{width} image)")
    return decode_contents(data, channels, ratio, fancy_upscaling, try_recover_truncated,
                           dct_method, crop=(y, x, h, w))


def _decode_and_crop_infer(contents, crop_window, **attrs):
    if contents.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {contents.shape.rank}")
    if crop_window.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {crop_window.shape.rank}")
    if crop_window.shape.rank == 1 and crop_window.shape[0].value not in (None, 4):
        raise shape_error(f"Dimension must be 4 but is {crop_window.shape[0].value}")
    window = const_ints(crop_window)
    h, w = (window[2], window[3]) if window and len(window) == 4 else (None, None)
    return [TensorSpec(TensorShape([h, w, attrs["channels"] or None]), _dt.uint8)]


DECODE_AND_CROP_JPEG = register(OpDef(
    "DecodeAndCropJpeg", inputs=["contents:string", "crop_window:int32"], attrs=dict(_ATTRS),
    kernel=_decode_and_crop_kernel, infer=_decode_and_crop_infer, grad=NO_GRADIENT,
))


# -- ExtractJpegShape -----------------------------------------------------------------------------


def _extract_shape_kernel(contents, *, output_type):
    data = _contents(contents)
    try:
        frame = _jpeg.read_header(data)
    except _jpeg.JpegError:
        raise _error(f"Invalid JPEG data, size {len(data)}") from None
    shape = [frame.height, frame.width, len(frame.components)]
    return np.array(shape, output_type.as_numpy_dtype)


def _extract_shape_infer(contents, *, output_type):
    _check_type(output_type, (_dt.int32, _dt.int64), "output_type")
    if contents.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {contents.shape.rank}")
    return [TensorSpec(TensorShape([3]), output_type)]


EXTRACT_JPEG_SHAPE = register(OpDef(
    "ExtractJpegShape", inputs=["contents:string"], attrs={"output_type": _dt.int32},
    kernel=_extract_shape_kernel, infer=_extract_shape_infer, grad=NO_GRADIENT,
))


# -- public wrappers ------------------------------------------------------------------------------


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    """``tf.image.decode_jpeg``: a uint8 [height, width, channels] image of a JPEG file."""
    return DECODE_JPEG(contents, channels=channels, ratio=ratio, fancy_upscaling=fancy_upscaling,
                       try_recover_truncated=try_recover_truncated,
                       acceptable_fraction=float(acceptable_fraction), dct_method=dct_method,
                       name=name)


def decode_and_crop_jpeg(contents, crop_window, channels=0, ratio=1, fancy_upscaling=True,
                         try_recover_truncated=False, acceptable_fraction=1, dct_method="",
                         name=None):
    """``tf.image.decode_and_crop_jpeg``: rows y..y+h, columns x..x+w of a JPEG file's image
    (``crop_window`` is [y, x, h, w]), pixels as TF's cropped decode gives them."""
    return DECODE_AND_CROP_JPEG(
        contents, crop_window, channels=channels, ratio=ratio, fancy_upscaling=fancy_upscaling,
        try_recover_truncated=try_recover_truncated,
        acceptable_fraction=float(acceptable_fraction), dct_method=dct_method, name=name)


def extract_jpeg_shape(contents, output_type=_dt.int32, name=None):
    """``tf.image.extract_jpeg_shape``: [height, width, channels] of a JPEG file, read from its
    header only."""
    return EXTRACT_JPEG_SHAPE(contents, output_type=_dt.as_dtype(output_type), name=name)
