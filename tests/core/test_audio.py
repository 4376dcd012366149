"""tf.audio.decode_wav / encode_wav and the ops of TF's speech graphs (DecodeWav ->
AudioSpectrogram -> Mfcc): against what TensorFlow 2.21 gave on the fixtures in
tests/core/data/audio (no TF needed), hand-made WAVs, TF's error messages, static shapes, and
side by side with real TensorFlow (random audio, malformed files, GraphDefs both ways)."""

import json
import pathlib
import re
import struct
import wave
from io import BytesIO

import numpy as np
import pytest

import minitf as tf
from minitf.ops import audio_ops

DATA = pathlib.Path(__file__).parent / "data" / "audio"
SPECS = json.loads((DATA / "cases.json").read_text())
R = np.random.default_rng(3)
PCM = np.array([0, 1, -1, 32767, -32768, 100], "<i2")


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def wav(data: bytes, fmt=1, channels=1, rate=16000, bits=16, frame_bytes=None, per_second=None,
        fmt_size=16, before_fmt=b"", after_fmt=b"", data_size=None, fmt_extra=b"") -> bytes:
    frame_bytes = (bits * channels + 7) // 8 if frame_bytes is None else frame_bytes
    per_second = frame_bytes * rate if per_second is None else per_second
    header = struct.pack("<HHIIHH", fmt, channels, rate, per_second, frame_bytes, bits)
    size = len(data) if data_size is None else data_size
    body = b"WAVE" + before_fmt + b"fmt " + struct.pack("<I", fmt_size) + header + fmt_extra \
        + after_fmt + b"data" + struct.pack("<I", size) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def wave_module_file(width: int) -> bytes:
    """An 8/24/32-bit PCM WAV written by Python's wave module."""
    out = BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(8000)
        w.writeframes(bytes(width * 4))
    return out.getvalue()


def pipeline(api, contents, spec):
    """DecodeWav -> AudioSpectrogram (as specified, and squared) -> Mfcc, in ``api``."""
    gen = audio_ops if api is tf else _tf_gen()
    audio, rate = gen.decode_wav(contents, **spec["decode"])
    squared = dict(spec["spectrogram"], magnitude_squared=True)
    return {"decode": audio, "rate": rate,
            "spectrogram": gen.audio_spectrogram(audio, **spec["spectrogram"]),
            "mfcc": gen.mfcc(gen.audio_spectrogram(audio, **squared), rate, **spec["mfcc"])}


def _tf_gen():
    from tensorflow.python.ops import gen_audio_ops

    return gen_audio_ops


# -- TF's outputs on the fixtures -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_fixture_pipelines_match_tensorflow(name):
    contents = tf.placeholder(tf.string, [])
    got = run(pipeline(tf, contents, SPECS[name]),
              {contents: (DATA / f"{name}.wav").read_bytes()})
    assert got["rate"] == SPECS[name]["sample_rate"] and got["rate"].dtype == np.int32
    np.testing.assert_array_equal(got["decode"], np.load(DATA / f"{name}.decode.npy"))
    for stage in ("spectrogram", "mfcc"):
        want = np.load(DATA / f"{name}.{stage}.npy")
        assert got[stage].dtype == np.float32 and got[stage].shape == want.shape
        np.testing.assert_allclose(got[stage], want, rtol=1e-5, atol=1e-6, err_msg=stage)


def test_encode_wav_rewrites_the_file_tensorflow_wrote():
    data = (DATA / "speech_16k_mono.wav").read_bytes()  # written by TF's EncodeWav
    audio, rate = tf.audio.decode_wav(data)
    assert run(tf.audio.encode_wav(audio, rate)) == data


# -- DecodeWav --------------------------------------------------------------------------------


def test_decode_hand_made_wavs():
    stereo = wav(PCM.tobytes(), channels=2, rate=44100)
    audio, rate = run(tf.audio.decode_wav(stereo))
    assert audio.dtype == np.float32 and rate == 44100
    np.testing.assert_array_equal(audio, PCM.reshape(3, 2) / 32768.0)
    # Fewer channels wanted: the first ones; more: the last repeated; samples padded with 0.
    # TF 2.21 gave these.
    np.testing.assert_array_equal(run(tf.audio.decode_wav(stereo, 3, 4).audio) * 32768,
                                  [[0, 1, 1], [-1, 32767, 32767], [-32768, 100, 100], [0, 0, 0]])
    np.testing.assert_array_equal(run(tf.audio.decode_wav(stereo, 1, 2).audio) * 32768,
                                  [[0], [-1]])
    assert run(tf.audio.decode_wav(stereo, 0, 0).audio).shape == (0, 0)
    assert run(tf.audio.decode_wav(wav(b"", channels=2)).audio).shape == (0, 2)


@pytest.mark.parametrize("data", [
    wav(PCM.tobytes(), before_fmt=b"JUNK\x04\x00\x00\x00abcd"),
    wav(PCM.tobytes(), before_fmt=b"bext\x00\x00\x00\x00iXML\x01\x00\x00\x00x"),
    wav(PCM.tobytes(), after_fmt=b"LIST\x04\x00\x00\x00abcd"),
    wav(PCM.tobytes(), fmt_size=18, fmt_extra=b"\x00\x00"),
    wav(PCM.tobytes()) + b"abcd" + struct.pack("<I", 2**31 - 1),  # past the end: loop stops
], ids=["junk", "bext-ixml", "list-after-fmt", "fmt-18", "huge-trailing-chunk"])
def test_decode_skips_chunks_as_tensorflow(data):
    audio, rate = run(tf.audio.decode_wav(data))
    np.testing.assert_array_equal(audio[:, 0], PCM / 32768.0)
    assert rate == 16000


def test_decode_rate_zero_is_accepted():
    assert run(tf.audio.decode_wav(wav(b"", rate=0)).sample_rate) == 0


# Malformed files and TF 2.21's messages (InvalidArgumentError when the op runs).
BAD_WAVS = {
    "float": (wav(bytes(12), fmt=3, bits=32),
              "Bad audio format for WAV: Expected 1 (PCM), but got3"),
    "8-bit": (wave_module_file(1), "Can only read 16-bit WAV files, but received 8"),
    "24-bit": (wave_module_file(3), "Can only read 16-bit WAV files, but received 24"),
    "32-bit": (wave_module_file(4), "Can only read 16-bit WAV files, but received 32"),
    "extensible": (wav(PCM.tobytes(), fmt=0xFFFE, fmt_size=40, fmt_extra=bytes(24)),
                   "Bad format chunk size for WAV: Expected 16 or 18, but got40"),
    "list-before-fmt": (wav(PCM.tobytes(), before_fmt=b"LIST\x04\x00\x00\x00abcd"),
                        "Unexpected field LIST"),
    "odd-data-size": (wav(PCM.tobytes() + b"\x01", data_size=13),
                      "Data too short when trying to read string"),
    "data-past-end": (wav(PCM.tobytes(), data_size=100),
                      "Data too short when trying to read string"),
    "empty": (b"", "Data too short when trying to read string"),
    "truncated-header": (wav(PCM.tobytes())[:30], "Data too short when trying to read string"),
    "no-data": (wav(b"")[:-8], "No data chunk found in WAV"),
    "two-data": (wav(PCM.tobytes()) + b"data\x02\x00\x00\x00\x00\x00",
                 "More than one data chunk found in WAV"),
    "no-channels": (wav(PCM.tobytes(), channels=0, frame_bytes=2),
                    "Bad number of channels for WAV: Expected at least 1, but got 0"),
    "bytes-per-frame": (wav(PCM.tobytes(), frame_bytes=4),
                        "Bad bytes per sample in WAV header: Expected 2 but got 4"),
    "bytes-per-second": (wav(PCM.tobytes(), per_second=3),
                         "Bad bytes per second in WAV header: Expected 32000 but got 3 "
                         "(sample_rate=16000, bytes_per_sample=2)"),
    "rate-over-int32": (wav(b"", rate=3_000_000_000, per_second=6_000_000_000 % 2**32),
                        "Bad bytes per second in WAV header: Expected 6000000000 but got "
                        "1705032704 (sample_rate=3000000000, bytes_per_sample=2)"),
    "rifx": (b"RIFX" + wav(PCM.tobytes())[4:], "Header mismatch: Expected RIFF but found RIFX"),
    "chunk-too-large": (wav(PCM.tobytes(), after_fmt=b"abcd\x00\x00\x00\x80"),
                        "WAV data chunk 'abcd' is too large: 2147483648 bytes, but the limit "
                        "is 2147483647"),
}


@pytest.mark.parametrize("name", sorted(BAD_WAVS))
def test_decode_refuses_what_tensorflow_refuses(name):
    data, message = BAD_WAVS[name]
    contents = tf.placeholder(tf.string, [])
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
        run(tf.audio.decode_wav(contents), {contents: data})


def test_decode_static_shapes_and_build_errors():
    contents = tf.placeholder(tf.string)
    audio, rate = tf.audio.decode_wav(contents, desired_samples=7)
    assert audio.shape.as_list() == [7, None] and rate.shape.as_list() == []
    assert tf.audio.decode_wav(contents, 2).audio.shape.as_list() == [None, 2]
    assert audio.op.type == "DecodeWav" and audio.op.get_attr("desired_channels") == -1
    for kwargs, message in [({"desired_channels": -2}, "channels must be non-negative, got -2"),
                            ({"desired_samples": -3}, "samples must be non-negative, got -3")]:
        with pytest.raises(ValueError, match=message):
            tf.audio.decode_wav(contents, **kwargs)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.audio.decode_wav(tf.constant([b"x"]))
    with pytest.raises(ValueError, match="Attr desired_samples has value 1099511627776 out of "
                       "range for an int32"):
        tf.audio.decode_wav(contents, desired_samples=1 << 40)
    fed = tf.placeholder(tf.string)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("contents must be scalar, got shape [1]")):
        run(tf.audio.decode_wav(fed), {fed: [b"x"]})


# -- EncodeWav --------------------------------------------------------------------------------


def test_encode_wav_bytes_rounding_and_clamping():
    tiny = np.float32(0.5 - 2**-25) / np.float32(32768)  # just under half a step: rounds to 0
    audio = np.array([[tiny], [-tiny], [1.5 / 32768], [2.5 / 32768], [1.0], [-1.1], [np.nan]],
                     np.float32)
    data = run(tf.audio.encode_wav(audio, 10))
    # TF 2.21 gave these: a 44-byte header, then roundf'ed, clamped int16 samples.
    assert data == b"RIFF2\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\n\x00\x00\x00" \
        b"\x14\x00\x00\x00\x02\x00\x10\x00data\x0e\x00\x00\x00" \
        b"\x00\x00\x00\x00\x02\x00\x03\x00\xff\x7f\x00\x80\x00\x00"
    assert run(tf.audio.encode_wav(np.zeros((0, 2), np.float32), 100)) == \
        b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00d\x00\x00\x00\x90\x01\x00" \
        b"\x00\x04\x00\x10\x00data\x00\x00\x00\x00"


def test_encode_wav_errors():
    audio, rate = tf.placeholder(tf.float32), tf.placeholder(tf.int32)
    encoded = tf.audio.encode_wav(audio, rate)
    assert encoded.shape.as_list() == [] and encoded.dtype == tf.string
    for a, r, message in [
            (np.zeros((2, 1)), 0, "sample_rate must be in (0, 2^32), got: 0"),
            (np.zeros((2, 1)), -1, "sample_rate must be in (0, 2^32), got: 18446744073709551615"),
            (np.zeros((0, 0)), 0, "sample_rate must be in (0, 2^32), got: 0"),  # rate first
            (np.zeros((0, 0)), 5, "num_channels must be in (0, 2^16), got: 0"),
            (np.zeros((1, 70000)), 5, "num_channels must be in (0, 2^16), got: 70000"),
            (np.zeros((2, 0)), 5, "audio is null"),  # as TF for a constant (no buffer)
            (np.zeros(2), 5, "audio must be 2-dimensional[2]"),
            (np.zeros((2, 1)), [5],
             "Input sample_rate should be a scalar tensor, got [1] instead.")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
            run(encoded, {audio: a, rate: r})
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        tf.audio.encode_wav(tf.zeros([2]), 8000)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.audio.encode_wav(tf.zeros([2, 1]), [8000])


# -- AudioSpectrogram and Mfcc ----------------------------------------------------------------


def test_spectrogram_of_a_tone_peaks_at_its_bin():
    # A cosine at bin 8 of a 64-point frame: the periodic Hann window spreads it over bins
    # 7-9 with magnitudes 1/4, 1/2, 1/4 of the frame's sum of samples (64 * amplitude / 2).
    tone = np.cos(2 * np.pi * 8 * np.arange(256) / 64).astype(np.float32)[:, None]
    s = run(audio_ops.audio_spectrogram(tone, window_size=64, stride=64))
    assert s.shape == (1, 4, 33)
    np.testing.assert_allclose(s[0, :, 7:10], np.tile([8.0, 16.0, 8.0], (4, 1)), rtol=1e-5)
    assert np.abs(np.delete(s[0], [7, 8, 9], axis=1)).max() < 1e-4


def test_spectrogram_static_shapes_and_errors():
    x = tf.placeholder(tf.float32, [100, 2])
    s = audio_ops.audio_spectrogram(x, window_size=16, stride=4)
    assert s.shape.as_list() == [2, 22, 9] and s.op.get_attr("magnitude_squared") is False
    assert audio_ops.audio_spectrogram(x, 480, 4).shape.as_list() == [2, 0, 257]
    unknown = audio_ops.audio_spectrogram(tf.placeholder(tf.float32), 5, 3)
    assert unknown.shape.as_list() == [None, None, 5]
    for w, stride, message in [(1, 4, "window size must be > 1, got 1"),
                               (0, 1, "window size must be > 1, got 0"),
                               (4, 0, "stride must be strictly positive, got 0")]:
        with pytest.raises(ValueError, match=message):
            audio_ops.audio_spectrogram(x, w, stride)
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        audio_ops.audio_spectrogram(tf.zeros([10]), 4, 1)
    with pytest.raises(ValueError, match="Attr window_size has value 8589934592 out of range"):
        audio_ops.audio_spectrogram(x, 1 << 33, 2)
    p = tf.placeholder(tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("input must be 2-dimensional[10,1,1]")):
        run(audio_ops.audio_spectrogram(p, 4, 1), {p: np.zeros((10, 1, 1))})


MFCC_ERRORS = [  # (spectrogram bins, rate, attrs); TF 2.21 refuses each when it runs
    (257, 0, {}), (257, 16000, {"dct_coefficient_count": 41}),
    (257, 16000, {"dct_coefficient_count": 0}), (257, 16000, {"dct_coefficient_count": -1}),
    (257, 16000, {"filterbank_channel_count": 0}),
    (257, 16000, {"lower_frequency_limit": -1.0}), (257, 16000, {"upper_frequency_limit": 20.0}),
    (1, 16000, {})]


@pytest.mark.parametrize("bins,rate,attrs", MFCC_ERRORS)
def test_mfcc_initialization_errors(bins, rate, attrs):
    s, r = tf.placeholder(tf.float32), tf.placeholder(tf.int32)
    channels = attrs.get("filterbank_channel_count", 40)
    message = f"Mfcc initialization failed for channel count {bins}, sample rate {rate} and " \
        f"filterbank_channel_count {channels}"
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
        run(audio_ops.mfcc(s, r, **attrs), {s: np.ones((1, 3, bins)), r: rate})


def test_mfcc_values_shapes_and_edges():
    s = np.random.default_rng(0).random((1, 3, 257)).astype(np.float32)
    m = audio_ops.mfcc(s, 16000)
    assert m.shape.as_list() == [1, 3, 13] and m.op.get_attr("upper_frequency_limit") == 4000.0
    # TF 2.21 gave these for this spectrogram's first frame.
    np.testing.assert_allclose(run(m)[0, 0, :3], [4.8429804, -3.975175, -0.46939886], rtol=1e-6)
    # An upper limit above the Nyquist frequency: TF logs "Input too short" and gives zeros.
    np.testing.assert_array_equal(run(audio_ops.mfcc(s, 4000, upper_frequency_limit=4000.0)), 0)
    assert np.isnan(run(audio_ops.mfcc(-s, 16000))).all()  # sqrt of a negative power
    assert run(audio_ops.mfcc(s[:, :0], 16000)).shape == (1, 0, 13)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Attr filterbank_channel_count has value 1099511627776 out of range"):
        run(audio_ops.mfcc(s, 16000, filterbank_channel_count=1 << 40))
    assert audio_ops.mfcc(tf.placeholder(tf.float32), 8000).shape.as_list() == [None, None, 13]
    with pytest.raises(ValueError, match="Shape must be rank 3 but is rank 2"):
        audio_ops.mfcc(tf.zeros([3, 257]), 16000)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        audio_ops.mfcc(tf.zeros([1, 3, 257]), [16000])


def _differentiate(api, gen, op):
    x = api.placeholder(api.float32, [100, 1])
    y = gen.audio_spectrogram(x, 16, 8) if op == "AudioSpectrogram" else gen.mfcc(
        api.reshape(x, [1, 4, 25]), 100, upper_frequency_limit=40.0, lower_frequency_limit=2.0,
        filterbank_channel_count=5, dct_coefficient_count=3)
    return api.gradients(api.reduce_sum(y), x)


@pytest.mark.parametrize("op", ["AudioSpectrogram", "Mfcc"])
def test_no_gradient_as_in_tensorflow(op):
    """TF registers no gradient for the audio ops: asking for one is a LookupError."""
    with pytest.raises(LookupError, match=f"op type: {op}"):
        _differentiate(tf, audio_ops, op)


# -- side by side with TensorFlow -------------------------------------------------------------


def _both(build, feed=None):
    """``build(api, gen_ops)`` run in minitf and in TensorFlow: (ours, theirs)."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        theirs = tf1.Session(graph=g).run(build(tf1, _tf_gen()), feed)
    with tf.Graph().as_default():
        ours = run(build(tf, audio_ops), feed)
    return ours, theirs


@pytest.mark.parametrize("op", ["AudioSpectrogram", "Mfcc"])
def test_tensorflow_has_no_gradient_either(op):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default(), pytest.raises(LookupError, match=f"op type: {op}"):
        _differentiate(tf1, _tf_gen(), op)


@pytest.mark.parametrize("samples,channels", [(4000, 1), (1234, 2), (777, 3), (40, 1)])
def test_random_audio_matches_tensorflow(samples, channels):
    audio = R.uniform(-1, 1, (samples, channels)).astype(np.float32)
    mfcc_attrs = [{}, {"dct_coefficient_count": 40},
                  {"upper_frequency_limit": 7600.3, "lower_frequency_limit": 123.4,
                   "filterbank_channel_count": 26, "dct_coefficient_count": 26}]

    def build(api, gen):
        out = {}
        for w, stride in [(480, 160), (256, 128), (100, 37), (64, 100), (2, 1), (1000, 1)]:
            for squared in (True, False):
                out[w, stride, squared] = gen.audio_spectrogram(api.constant(audio), w, stride,
                                                                magnitude_squared=squared)
        for rate in (8000, 16000, 44100):
            encoded = gen.encode_wav(api.constant(audio), rate)
            decoded, sr = gen.decode_wav(encoded, desired_channels=2,
                                         desired_samples=samples + 7)
            squared = gen.audio_spectrogram(decoded, 30, 11, magnitude_squared=True)
            out[rate] = encoded, decoded, sr, [gen.mfcc(squared, sr, **a) for a in mfcc_attrs]
        return out

    ours, theirs = _both(build)
    for key, want in theirs.items():
        if isinstance(key, tuple):
            np.testing.assert_allclose(ours[key], want, rtol=1e-5, atol=1e-6, err_msg=str(key))
            continue
        assert ours[key][0] == want[0], "the WAV bytes"
        np.testing.assert_array_equal(ours[key][1], want[1])
        assert ours[key][2] == want[2]
        for got, w in zip(ours[key][3], want[3]):
            np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-5)


def test_malformed_wavs_fail_in_tensorflow_with_the_same_messages():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default():
        contents = tf1.placeholder(tf1.string, [])
        audio = _tf_gen().decode_wav(contents).audio
        with tf1.Session() as sess:
            for data, message in BAD_WAVS.values():
                with pytest.raises(tf1.errors.InvalidArgumentError, match=re.escape(message)):
                    sess.run(audio, {contents: data})


def test_mfcc_initialization_errors_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default(), tf1.Session() as sess:
        s, r = tf1.placeholder(tf1.float32), tf1.placeholder(tf1.int32)
        for bins, rate, attrs in MFCC_ERRORS:
            with pytest.raises(tf1.errors.InvalidArgumentError,
                               match=f"Mfcc initialization failed for channel count {bins}, "):
                sess.run(_tf_gen().mfcc(s, r, **attrs), {s: np.ones((1, 3, bins)), r: rate})


def _speech_graph(api, gen):
    """The front end speech_commands freezes: wav_data -> DecodeWav -> AudioSpectrogram ->
    Mfcc, with speech_commands' attrs."""
    wav_data = api.placeholder(api.string, [], name="wav_data")
    audio, rate = gen.decode_wav(wav_data, desired_channels=1, desired_samples=16000,
                                 name="decoded_sample_data")
    spectrogram = gen.audio_spectrogram(audio, window_size=480, stride=160,
                                        magnitude_squared=True, name="AudioSpectrogram")
    gen.mfcc(spectrogram, rate, dct_coefficient_count=40, name="Mfcc")


def _speech_wavs():
    return [(DATA / "speech_16k_mono.wav").read_bytes(),
            wav(R.integers(-30000, 30000, 17000).astype("<i2").tobytes()),
            (DATA / "stereo_8k_chunks.wav").read_bytes()]


def test_tensorflow_speech_graph_def_runs_in_minitf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        _speech_graph(tf1, _tf_gen())
    graph_def = tf.GraphDef.FromString(g.as_graph_def().SerializeToString())
    fetches = ["decoded_sample_data:0", "decoded_sample_data:1", "AudioSpectrogram:0", "Mfcc:0"]
    with tf.Graph().as_default() as ours:
        tf.import_graph_def(graph_def, name="")
        assert ours.get_tensor_by_name("Mfcc:0").shape.as_list() == [1, 98, 40]
    with tf1.Session(graph=g) as theirs, tf.Session(graph=ours) as sess:
        for data in _speech_wavs():
            want = theirs.run(fetches, {"wav_data:0": data})
            got = sess.run(fetches, {"wav_data:0": data})
            for o, w in zip(got, want):
                np.testing.assert_allclose(o, w, rtol=1e-5, atol=1e-5)


def test_minitf_frozen_speech_graph_runs_in_tensorflow():
    """Built in minitf, frozen with minitf.export (as speech_commands freezes its graph), the
    GraphDef bytes imported into TensorFlow give the same MFCCs and WAV bytes."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf import export

    with tf.Graph().as_default() as ours:
        _speech_graph(tf, audio_ops)
        tf.audio.encode_wav(tf.constant(R.uniform(-1, 1, (5, 2)).astype(np.float32)), 8000,
                            name="encoded")
        with tf.Session() as sess:
            frozen = export.freeze(
                sess, {"wav_data": ours.get_tensor_by_name("wav_data:0")},
                {name: ours.get_tensor_by_name(f"{name}:0") for name in ("Mfcc", "encoded")})
            graph_def = frozen.as_graph_def().SerializeToString()
    assert {"DecodeWav", "AudioSpectrogram", "Mfcc", "EncodeWav"} <= \
        {n.op for n in tf1.GraphDef.FromString(graph_def).node}
    fetches = ["Mfcc:0", "encoded:0"]
    with tf1.Graph().as_default() as g:
        tf1.import_graph_def(tf1.GraphDef.FromString(graph_def), name="")
    with tf1.Session(graph=g) as theirs, tf.Session(graph=ours) as sess:
        for data in _speech_wavs():
            got = sess.run(fetches, {"wav_data:0": data})
            want = theirs.run(fetches, {"wav_data:0": data})
            np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
            assert got[1] == want[1]
