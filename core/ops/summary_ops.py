"""Summary ops: ScalarSummary, HistogramSummary, ImageSummary, AudioSummaryV2, TensorSummaryV2 and
MergeSummary.

Each kernel returns a scalar tf.string holding a serialized ``tensorflow.Summary`` proto,
written with the small wire encoder in ``core/_wire.py`` (core may not import the generated
protos). Field order, proto3 default elision and the numerics follow TensorFlow's kernels
(tensorflow/core/kernels/summary_op.cc, summary_image_op.cc, summary_audio_op.cc,
summary_tensor_op.cc, lib/wav/wav_io.cc and tsl/lib/histogram/histogram.cc), so the bytes match
what TensorFlow produces; the PNG encoding of images is our own (core/ops/_png.py: same pixels,
possibly different compression).

The public wrappers (``tf.summary.scalar`` ...) live in ``core/summary.py``.
"""

from __future__ import annotations

import struct
import sys

import numpy as np

from .. import _wire as w
from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ._png import encode_png


# Field numbers of tensorflow.Summary / Summary.Value / Summary.Image / HistogramProto /
# TensorProto / TensorShapeProto (protos/summary.proto, histogram.proto, tensor.proto).
SUMMARY_VALUE = 1
VALUE_TAG, VALUE_SIMPLE, VALUE_IMAGE, VALUE_HISTO, VALUE_TENSOR, VALUE_METADATA = 1, 2, 4, 5, 8, 9
IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_COLORSPACE, IMAGE_ENCODED = 1, 2, 3, 4
VALUE_AUDIO = 6
AUDIO_RATE, AUDIO_CHANNELS, AUDIO_FRAMES, AUDIO_ENCODED, AUDIO_CONTENT_TYPE = 1, 2, 3, 4, 5
HISTO_MIN, HISTO_MAX, HISTO_NUM, HISTO_SUM, HISTO_SUM_SQUARES = 1, 2, 3, 4, 5
HISTO_BUCKET_LIMIT, HISTO_BUCKET = 6, 7
TENSOR_DTYPE, TENSOR_SHAPE, TENSOR_CONTENT, TENSOR_STRING_VAL = 1, 2, 4, 8
SHAPE_DIM, DIM_SIZE = 2, 1

_REAL = (_dt.float32, _dt.float64, _dt.int32, _dt.uint8, _dt.int16, _dt.int8, _dt.int64,
         _dt.uint16, _dt.float16, _dt.uint32, _dt.uint64)
_IMAGE_TYPES = (_dt.uint8, _dt.float32, _dt.float16, _dt.float64)


def _scalar_string() -> list[TensorSpec]:
    return [TensorSpec([], _dt.string)]


def _check_dtype(spec, allowed, arg: str, op: str):
    if spec.dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(f"Value passed to parameter '{arg}' has DataType {spec.dtype.name} not "
                        f"in list of allowed values: {names} (op '{op}')")


def _summary(values: list[bytes]) -> np.ndarray:
    """A scalar string tensor holding a Summary with the given serialized Values."""
    out = np.empty((), dtype=object)
    out[()] = b"".join(w.length_delimited(SUMMARY_VALUE, v) for v in values)
    return out


def _as_bytes(v) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode()


def _shape_string(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _tag_of(tags: np.ndarray, message: str) -> bytes:
    """The single string of a scalar string input; ``message`` is TensorFlow's error text."""
    if np.ndim(tags) != 0:
        raise InvalidArgumentError(None, None, message)
    return _as_bytes(tags[()] if isinstance(tags, np.ndarray) else tags)


# -- ScalarSummary --------------------------------------------------------------------------------
def _scalar_kernel(tags, values):
    tags, values = np.asarray(tags, dtype=object), np.asarray(values)
    if tags.shape != values.shape:
        single = f" (tag '{_as_bytes(tags.reshape(-1)[0]).decode(errors='replace')}')" \
            if tags.size == 1 else ""
        raise InvalidArgumentError(
            None, None, f"tags and values are not the same shape: {_shape_string(tags.shape)} "
            f"!= {_shape_string(values.shape)}{single}")
    with np.errstate(over="ignore"):  # static_cast<float>: out of range becomes inf
        floats = values.astype("<f4").reshape(-1)
    tag_key, simple_key = w.key(VALUE_TAG, w.LEN), w.key(VALUE_SIMPLE, w.FIXED32)
    out = []
    for tag, f in zip(tags.reshape(-1), floats):
        tag = _as_bytes(tag)
        head = tag_key + w.varint(len(tag)) + tag if tag else b""  # proto3 omits ""
        out.append(head + simple_key + f.tobytes())
    return _summary(out)


def _scalar_infer(tags, values):
    _check_dtype(values, _REAL, "values", "ScalarSummary")
    return _scalar_string()


SCALAR_SUMMARY = register(OpDef(
    "ScalarSummary", inputs=["tags:string", "values:T"],
    kernel=_scalar_kernel, infer=_scalar_infer, grad=NOT_DIFFERENTIABLE,
))


# -- HistogramSummary -----------------------------------------------------------------------------
def _default_bucket_limits() -> np.ndarray:
    """tsl::histogram's default buckets: +-1e-12 growing by 10% up to 1e20, 0 and +-DBL_MAX.
    Built by the same repeated multiplication in double, so the limits are bit-identical."""
    pos, v = [], 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(sys.float_info.max)
    neg = [-x for x in reversed(pos)]
    return np.array(neg + [0.0] + pos, dtype=np.float64)


_LIMITS = _default_bucket_limits()
_LIMITS.flags.writeable = False


def histogram_proto(values: np.ndarray) -> bytes:
    """A serialized HistogramProto of ``values`` (finite, any shape) with TensorFlow's buckets.

    Sums accumulate sequentially in double (np.cumsum), as the C++ loop does, so they match to
    the last bit; empty runs of buckets collapse into one entry as in EncodeToProto."""
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    n = len(_LIMITS)
    if x.size:
        lo, hi = float(x.min()), float(x.max())
        total = float(np.cumsum(x)[-1])
        squares = float(np.cumsum(x * x)[-1])
        idx = np.minimum(np.searchsorted(_LIMITS, x, side="right"), n - 1)
        counts = np.bincount(idx, minlength=n).astype(np.float64)
    else:
        lo, hi, total, squares = sys.float_info.max, -sys.float_info.max, 0.0, 0.0
        counts = np.zeros(n)
    full = counts > 0
    # A bucket is written if it is non-empty or ends a run of empty buckets.
    keep = full | np.append(full[1:], True)
    parts = [w.optional_double(HISTO_MIN, lo), w.optional_double(HISTO_MAX, hi),
             w.optional_double(HISTO_NUM, float(x.size)), w.optional_double(HISTO_SUM, total),
             w.optional_double(HISTO_SUM_SQUARES, squares),
             w.packed_doubles(HISTO_BUCKET_LIMIT, _LIMITS[keep]),
             w.packed_doubles(HISTO_BUCKET, counts[keep])]
    return b"".join(parts)


def _histogram_kernel(node_name, tag, values):
    tag = _tag_of(tag, "tags must be scalar")
    x = np.asarray(values, dtype=np.float64)
    if not np.isfinite(x).all():
        first = x.reshape(-1)[~np.isfinite(x.reshape(-1))][0]
        msg = "Nan in summary histogram for: " if np.isnan(first) else \
            "Infinity in Histogram for: "
        raise InvalidArgumentError(None, None, msg + node_name)
    value = w.string(VALUE_TAG, tag) if tag else b""
    return _summary([value + w.length_delimited(VALUE_HISTO, histogram_proto(x))])


def _histogram_infer(tag, values):
    _check_dtype(values, _REAL, "values", "HistogramSummary")
    return _scalar_string()


HISTOGRAM_SUMMARY = register(OpDef(
    "HistogramSummary", inputs=["tag:string", "values:T=float32"],
    kernel=_histogram_kernel, infer=_histogram_infer, grad=NOT_DIFFERENTIABLE,
    resource="name",  # the error for NaN/Inf names the node, as TensorFlow's does
))


# -- ImageSummary ---------------------------------------------------------------------------------
_ZERO_THRESHOLD = np.float32(1e-6)


def _normalize_image(img: np.ndarray, bad_color: np.ndarray) -> np.ndarray:
    """NormalizeFloatImage: scale into [0, 255] (or centre at 128 when there are negative
    values) from the range of the finite pixels; non-finite pixels get ``bad_color``.
    The range is taken in float32 and the transform computed in the image's own type."""
    t = img.dtype.type
    finite = np.isfinite(img).all(axis=-1)
    good = img[finite].astype(np.float32)
    lo = good.min() if good.size else np.float32(np.inf)
    hi = good.max() if good.size else np.float32(-np.inf)
    if lo < 0:
        max_val = max(abs(lo), abs(hi))
        scale = t(0.0 if max_val < _ZERO_THRESHOLD else np.float32(127.0) / max_val)
        offset = t(128.0)
    else:
        scale = t(0.0 if hi < _ZERO_THRESHOLD else np.float32(255.0) / hi)
        offset = t(0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        out = (img * scale + offset).astype(np.uint8)
    out[~finite] = bad_color
    return out


def _image_kernel(tag, tensor, *, max_images, bad_color):
    tag = _tag_of(tag, "Tags must be a scalar")
    x = np.asarray(tensor)
    if x.ndim != 4 or x.shape[3] not in (1, 3, 4):
        raise InvalidArgumentError(None, None, "Tensor must be 4-D with last dim 1, 3, or 4, "
                                   f"not {_shape_string(x.shape)}")
    batch, h, wd, depth = x.shape
    if not (h and wd):  # a PNG has at least one pixel
        raise InvalidArgumentError(None, None, "input tensor must have non-zero dims. Found: "
                                   f"{_shape_string(x.shape)}")
    if x.dtype != np.uint8:
        bad = np.asarray(bad_color)
        if bad.ndim != 1 or bad.dtype != np.uint8:
            raise InvalidArgumentError(None, None, "bad_color must be a uint8 vector, got "
                                       f"{bad.dtype} {_shape_string(bad.shape)}")
        if bad.shape[0] < depth:
            raise InvalidArgumentError(None, None, "expected depth <= bad_color.size, got "
                                       f"depth = {depth}, bad_color.size = {bad.shape[0]}")
    values = []
    for i in range(min(max_images, batch)):
        img = x[i] if x.dtype == np.uint8 else _normalize_image(x[i], bad_color[:depth])
        # The tag depends on the number of requested images, not the number produced.
        name = tag + (b"/image/%d" % i if max_images > 1 else b"/image")
        image = w.uint(IMAGE_HEIGHT, h) + w.uint(IMAGE_WIDTH, wd) \
            + w.uint(IMAGE_COLORSPACE, depth) + w.length_delimited(IMAGE_ENCODED, encode_png(img))
        values.append(w.string(VALUE_TAG, name) + w.length_delimited(VALUE_IMAGE, image))
    return _summary(values)


def _image_infer(tag, tensor, *, max_images, bad_color):
    _check_dtype(tensor, _IMAGE_TYPES, "tensor", "ImageSummary")
    if max_images < 1:
        raise shape_error(f"Attr max_images has value {max_images} < the minimum 1")
    return _scalar_string()


_RED = np.array([255, 0, 0, 255], dtype=np.uint8)
_RED.flags.writeable = False  # a shared attr default

IMAGE_SUMMARY = register(OpDef(
    "ImageSummary", inputs=["tag:string", "tensor:T=float32"],
    attrs={"max_images": 3, "bad_color": _RED},
    kernel=_image_kernel, infer=_image_infer, grad=NOT_DIFFERENTIABLE,
))


# -- AudioSummaryV2 -------------------------------------------------------------------------------
def _wav(samples: np.ndarray, rate: int) -> bytes:
    """A 16-bit PCM WAV file of ``samples`` ([frames, channels] floats in [-1, 1]), as TF's
    EncodeAudioAsS16LEWav (also EncodeWav's encoder, core/ops/audio_ops.py): its checks in its
    order, then samples scaled by 2^15, rounded half away from zero (roundf), clamped to int16."""
    frames, channels = samples.shape
    if samples.size == 0 and frames > 0:
        raise InvalidArgumentError(None, None, "audio is null")
    if not 0 < rate < 1 << 32:
        raise InvalidArgumentError(None, None, f"sample_rate must be in (0, 2^32), got: {rate}")
    if not 0 < channels < 1 << 16:
        raise InvalidArgumentError(None, None,
                                   f"num_channels must be in (0, 2^16), got: {channels}")
    scaled = samples.astype(np.float32) * np.float32(32768)
    whole = np.trunc(scaled)
    # roundf; adding 0.5 first would round 0.5 - 2^-25 up. scaled - whole is exact.
    pcm = np.clip(whole + np.where(np.abs(scaled - whole) >= 0.5, np.sign(scaled), 0),
                  -32768, 32767)
    with np.errstate(invalid="ignore"):  # NaN becomes 0, as the C++ cast does on x86
        data = pcm.astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * channels * 2) & 0xFFFFFFFF,
                      channels * 2, 16)
    return b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<I", 16) \
        + fmt + b"data" + struct.pack("<I", len(data)) + data


def _audio_kernel(tag, tensor, sample_rate, *, max_outputs):
    tag = _tag_of(tag, "Tag must be a scalar")
    rate = np.asarray(sample_rate, np.float32)
    if rate.size != 1:
        raise InvalidArgumentError(None, None,
                                   "sample_rate must be rank-0 or contain a single value")
    rate = rate.reshape(())
    x = np.asarray(tensor, np.float32)
    if x.ndim not in (2, 3):
        raise InvalidArgumentError(None, None,
                                   f"Tensor must be 3-D or 2-D, got: {_shape_string(x.shape)}")
    if not rate > 0:  # NaN included
        raise InvalidArgumentError(None, None, "sample_rate must be > 0")
    if x.ndim == 2:
        x = x[:, :, None]
    whole_rate = int(np.rint(rate.astype(np.float64)))  # lrintf: half to even
    values = []
    for i in range(min(max_outputs, x.shape[0])):
        name = tag + (b"/audio/%d" % i if max_outputs > 1 else b"/audio")
        frames, channels = x.shape[1:]
        audio = w.float32(AUDIO_RATE, rate) + w.uint(AUDIO_CHANNELS, channels) \
            + (w.uint(AUDIO_FRAMES, frames) if frames else b"") \
            + w.length_delimited(AUDIO_ENCODED, _wav(x[i], whole_rate)) \
            + w.string(AUDIO_CONTENT_TYPE, "audio/wav")
        values.append(w.string(VALUE_TAG, name) + w.length_delimited(VALUE_AUDIO, audio))
    return _summary(values)


def _audio_infer(tag, tensor, sample_rate, *, max_outputs):
    if max_outputs < 1:
        raise ValueError(f"Attr 'max_outputs' of 'AudioSummaryV2' Op passed {max_outputs} less "
                         "than minimum 1.")
    return _scalar_string()


AUDIO_SUMMARY_V2 = register(OpDef(
    "AudioSummaryV2", inputs=["tag:string", "tensor:float32", "sample_rate:float32"],
    attrs={"max_outputs": 3},
    kernel=_audio_kernel, infer=_audio_infer, grad=NOT_DIFFERENTIABLE,
))


# -- TensorSummaryV2 ------------------------------------------------------------------------------
def tensor_proto(x: np.ndarray) -> bytes:
    """A serialized TensorProto as TensorFlow's summary kernel writes it: string tensors in
    ``string_val`` (AsProtoField), everything else as little-endian ``tensor_content``."""
    dtype = _dt.from_numpy(x)
    dims = b"".join(w.length_delimited(SHAPE_DIM, w.uint(DIM_SIZE, d) if d else b"")
                    for d in x.shape)
    out = w.uint(TENSOR_DTYPE, dtype.as_datatype_enum) + w.length_delimited(TENSOR_SHAPE, dims)
    if dtype is _dt.string:
        return out + b"".join(w.string(TENSOR_STRING_VAL, _as_bytes(v)) for v in x.reshape(-1))
    data = np.ascontiguousarray(x, dtype=x.dtype.newbyteorder("<")).tobytes()
    return out + (w.length_delimited(TENSOR_CONTENT, data) if data else b"")


def _tensor_summary_kernel(tag, tensor, serialized_summary_metadata):
    tag = _tag_of(tag, "tag must be scalar")
    metadata = _tag_of(serialized_summary_metadata, "serialized_summary_metadata must be scalar")
    value = (w.string(VALUE_TAG, tag) if tag else b"") \
        + w.length_delimited(VALUE_TENSOR, tensor_proto(np.asarray(tensor))) \
        + w.length_delimited(VALUE_METADATA, metadata)
    return _summary([value])


TENSOR_SUMMARY_V2 = register(OpDef(
    "TensorSummaryV2", inputs=["tag:string", "tensor:T", "serialized_summary_metadata:string"],
    kernel=_tensor_summary_kernel, infer=lambda tag, tensor, meta: _scalar_string(),
    grad=NOT_DIFFERENTIABLE,
))


# -- MergeSummary ---------------------------------------------------------------------------------
def _merge_kernel(inputs):
    seen: set[bytes] = set()
    out = []
    for arr in inputs:
        for serialized in np.asarray(arr, dtype=object).reshape(-1):
            try:
                for number, wt, value, _, _ in w.fields(_as_bytes(serialized)):
                    if number != SUMMARY_VALUE or wt != w.LEN:
                        continue  # unknown fields of Summary are dropped, as on re-serialising
                    tag = next((v for n, t, v, _, _ in w.fields(value)
                                if n == VALUE_TAG and t == w.LEN), b"")
                    if tag and tag in seen:
                        raise InvalidArgumentError(
                            None, None, f"Duplicate tag {tag.decode(errors='replace')} found in "
                            "summary inputs")
                    seen.add(tag)
                    out.append(value)
            except w.WireError:
                raise InvalidArgumentError(
                    None, None, "Could not parse one of the summary inputs") from None
    return _summary(out)


MERGE_SUMMARY = register(OpDef(
    "MergeSummary", inputs=["inputs:N*string"],
    kernel=_merge_kernel, infer=lambda inputs: _scalar_string(), grad=NOT_DIFFERENTIABLE,
))
