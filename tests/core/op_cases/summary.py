"""Cases for the summary ops. References build the expected Summary with protobuf's own
generated classes (minitf.protos) from the definitions of TensorFlow's kernels, independently
of core's wire encoder; images are compared as decoded pixels."""

import io
import sys

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(11)
DBL_MAX = sys.float_info.max


def _s(text):
    return np.array(text.encode() if isinstance(text, str) else text, dtype=object)


def _bytes(message):
    # An object array: numpy's "S" dtype would drop trailing NUL bytes of the serialization.
    return np.array(message.SerializeToString(), dtype=object)


def _summary_pb2():
    from minitf.protos import summary_pb2

    return summary_pb2


def _scalar_ref(tags, values):
    pb = _summary_pb2()
    tags, values = np.asarray(tags), np.asarray(values)
    summary = pb.Summary()
    for tag, v in zip(tags.reshape(-1), values.reshape(-1)):
        summary.value.add(tag=tag.decode(), simple_value=float(np.float32(v)))
    return _bytes(summary)


def _limits():
    pos, v = [], 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(DBL_MAX)
    return [-x for x in reversed(pos)] + [0.0] + pos


def _histogram_ref(tag, values):
    """tsl::histogram::Histogram::Add and EncodeToProto(preserve_zero_buckets=false)."""
    pb = _summary_pb2()
    limits = _limits()
    counts = [0.0] * len(limits)
    lo, hi, total, squares = DBL_MAX, -DBL_MAX, 0.0, 0.0
    for x in np.asarray(values, dtype=np.float64).reshape(-1).tolist():
        counts[next(i for i, lim in enumerate(limits) if x < lim)] += 1
        lo, hi, total, squares = min(lo, x), max(hi, x), total + x, squares + x * x
    summary = pb.Summary()
    h = summary.value.add(tag=np.asarray(tag)[()].decode()).histo
    h.min, h.max, h.num, h.sum, h.sum_squares = lo, hi, np.size(values), total, squares
    i = 0
    while i < len(limits):
        end, count = limits[i], counts[i]
        i += 1
        if count == 0:
            while i < len(limits) and counts[i] == 0:
                end = limits[i]
                i += 1
        h.bucket_limit.append(end)
        h.bucket.append(count)
    return _bytes(summary)


def _tensor_summary_ref(tag, tensor, meta):
    pb = _summary_pb2()
    tensor = np.asarray(tensor)
    summary = pb.Summary()
    value = summary.value.add(tag=np.asarray(tag)[()].decode())
    value.metadata.ParseFromString(np.asarray(meta)[()])
    t = value.tensor
    t.tensor_shape.SetInParent()
    for d in tensor.shape:
        t.tensor_shape.dim.add(size=d)
    if tensor.dtype == object:
        t.dtype = 7
        t.string_val.extend(tensor.reshape(-1).tolist())
    else:
        t.dtype = {np.float32: 1, np.int32: 3}[tensor.dtype.type]
        t.tensor_content = tensor.astype(tensor.dtype.newbyteorder("<")).tobytes()
    return _bytes(summary)


def _merge_ref(inputs):
    pb = _summary_pb2()
    merged = pb.Summary()
    for arr in inputs:
        for data in np.asarray(arr, dtype=object).reshape(-1):
            merged.MergeFromString(data)
    return _bytes(merged)


def _audio_ref(tag, tensor, sample_rate, max_outputs=3):
    """The Summary built with protobuf's classes, the WAV with Python's ``wave`` module; samples
    quantised as TF's wav_io describes: x * 2^15 rounded half away from zero, clamped."""
    import wave

    pb = _summary_pb2()
    summary = pb.Summary()
    x = np.asarray(tensor, np.float32)
    x = x[:, :, None] if x.ndim == 2 else x
    tag = np.asarray(tag)[()].decode()
    for i in range(min(max_outputs, len(x))):
        scaled = (x[i] * np.float32(32768)).astype(np.float64)
        pcm = np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5), -32768, 32767)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as wav:
            wav.setnchannels(x.shape[2])
            wav.setsampwidth(2)
            wav.setframerate(round(float(sample_rate)))
            wav.writeframes(pcm.astype("<i2").tobytes())
        audio = summary.value.add(tag=f"{tag}/audio/{i}" if max_outputs > 1 else f"{tag}/audio"
                                  ).audio
        audio.sample_rate, audio.num_channels = float(sample_rate), x.shape[2]
        audio.length_frames, audio.content_type = x.shape[1], "audio/wav"
        audio.encoded_audio_string = buf.getvalue()
    return _bytes(summary)


def _image_check(max_images, bad_color=(255, 0, 0, 255)):
    def check(outs, inputs):
        from PIL import Image

        pb = _summary_pb2()
        tag, images = inputs
        summary = pb.Summary.FromString(np.asarray(outs[0])[()])
        n = min(max_images, len(images))
        tag = np.asarray(tag)[()].decode()
        want_tags = [f"{tag}/image/{i}" for i in range(n)] if max_images > 1 else [f"{tag}/image"]
        assert [v.tag for v in summary.value] == want_tags
        for v, img in zip(summary.value, images):
            assert (v.image.height, v.image.width, v.image.colorspace) == img.shape
            got = np.asarray(Image.open(io.BytesIO(v.image.encoded_image_string)))
            np.testing.assert_array_equal(got.reshape(img.shape),
                                          _normalized(img, np.array(bad_color, np.uint8)))
    return check


def _normalized(img, bad_color):
    """NormalizeFloatImage, written from its description: range of the finite pixels; all
    non-negative -> x * 255 / max; else -> x * 127 / max|x| + 128; bad pixels -> bad_color."""
    if img.dtype == np.uint8:
        return img
    finite = np.isfinite(img).all(axis=-1)
    good = img[finite]
    lo, hi = (float(good.min()), float(good.max())) if good.size else (np.inf, -np.inf)
    if lo < 0:
        m = max(abs(lo), abs(hi))
        out = img * img.dtype.type(127 / m) + img.dtype.type(128)
    else:
        out = img * img.dtype.type(255 / hi if hi >= 1e-6 else 0)
    with np.errstate(invalid="ignore"):
        out = out.astype(np.uint8)
    out[~finite] = bad_color[:img.shape[-1]]
    return out


_meta_text = np.array(b"\n\x06\n\x04text", dtype=object)  # SummaryMetadata{plugin_name:"text"}
_positive = np.abs(R.standard_normal((2, 3, 4, 1))).astype(np.float32)
_mixed = R.standard_normal((4, 2, 5, 3)).astype(np.float32)
_mixed[1, 0, 0, 2] = np.nan  # one bad pixel in the second image
_rgba = R.integers(0, 256, (2, 3, 3, 4), dtype=np.uint8)
_scalar_a = _scalar_ref(_s("a"), np.float32(1.5))
_scalar_bc = _scalar_ref(np.array([b"b", b"c"], dtype=object), np.array([2, 3], np.float32))

CASES = [
    Case("ScalarSummary", [_s("loss"), np.float32(0.25)], ref=_scalar_ref),
    Case("ScalarSummary", [_s("zero"), np.float64(0.0)], ref=_scalar_ref, id="ScalarSummary-0"),
    Case("ScalarSummary", [np.array([[b"x", b"y"]], dtype=object),
                           np.array([[1, -7]], np.int32)], ref=_scalar_ref,
         id="ScalarSummary-int-2d"),
    Case("ScalarSummary", [_s(""), np.int64(5)], ref=_scalar_ref, id="ScalarSummary-no-tag"),
    Case("HistogramSummary", [_s("w"), R.standard_normal((3, 4)).astype(np.float32)],
         ref=_histogram_ref),
    Case("HistogramSummary", [_s("d"), np.array([0.0, -0.0, 1e-13, -1e30, 7.0, 2e-308])],
         ref=_histogram_ref, id="HistogramSummary-float64-extremes"),
    Case("HistogramSummary", [_s("i"), np.array([3, 3, -1, 0], np.int32)],
         ref=_histogram_ref, id="HistogramSummary-int"),
    Case("HistogramSummary", [_s("e"), np.zeros((0,), np.float32)], ref=_histogram_ref,
         id="HistogramSummary-empty"),
    Case("ImageSummary", [_s("pos"), _positive], attrs={"max_images": 3}, ref=None,
         check=_image_check(3)),
    Case("ImageSummary", [_s("mixed"), _mixed], attrs={"max_images": 2}, ref=None,
         check=_image_check(2), id="ImageSummary-rgb-nan"),
    Case("ImageSummary", [_s("one"), _mixed[:, :, :, :1].astype(np.float64)],
         attrs={"max_images": 1, "bad_color": np.array([7], np.uint8)}, ref=None,
         check=_image_check(1, (7,)), id="ImageSummary-float64-one"),
    Case("ImageSummary", [_s("rgba"), _rgba], ref=None, check=_image_check(3),
         id="ImageSummary-uint8-rgba"),
    Case("AudioSummaryV2", [_s("clip"), np.concatenate(
        [R.uniform(-1.2, 1.2, (4, 7, 2)), np.full((4, 1, 2), 3 / 65536)], axis=1).astype(
            np.float32), np.float32(16000)], attrs={"max_outputs": 3}, ref=_audio_ref),
    Case("AudioSummaryV2", [_s("mono"), R.uniform(-1, 1, (2, 5)).astype(np.float32),
                            np.float32(22050.4)], attrs={"max_outputs": 1},
         ref=_audio_ref,
         id="AudioSummaryV2-2d-one"),
    Case("TensorSummaryV2", [_s("note"), np.array([b"hi *md*", b"\xc3\xa9"], dtype=object),
                             _meta_text], ref=_tensor_summary_ref),
    Case("TensorSummaryV2", [_s("t"), np.arange(6, dtype=np.float32).reshape(2, 3),
                             np.array(b"", dtype=object)], ref=_tensor_summary_ref,
         id="TensorSummaryV2-float"),
    Case("TensorSummaryV2", [_s("s"), np.int32(4), Const(np.array(b"", dtype=object))],
         ref=_tensor_summary_ref, id="TensorSummaryV2-scalar-int"),
    Case("MergeSummary", [[_scalar_a, _scalar_bc]], ref=_merge_ref),
    Case("MergeSummary", [[np.array([_scalar_a[()], _scalar_bc[()]], dtype=object)]],
         ref=_merge_ref, id="MergeSummary-vector"),
]
