"""Cases for DecodeWav, EncodeWav, AudioSpectrogram and Mfcc. DecodeWav and Mfcc are checked
against what real TensorFlow gave on the fixtures in tests/core/data/audio (made by
make_fixtures.py); EncodeWav's files are read back with Python's ``wave`` module (an independent
decoder); AudioSpectrogram against a direct DFT of Hann-windowed frames."""

import io
import json
import pathlib
import wave

import numpy as np

from .harness import Case

DATA = pathlib.Path(__file__).parent.parent / "data" / "audio"
SPECS = json.loads((DATA / "cases.json").read_text())
R = np.random.default_rng(11)


def _file(name):
    return np.array((DATA / f"{name}.wav").read_bytes(), dtype=object)


def _tf(name, stage):
    return np.load(DATA / f"{name}.{stage}.npy")


def _tf_decoded(name):
    want = _tf(name, "decode"), np.int32(SPECS[name]["sample_rate"])
    return lambda contents, **attrs: want


def _read_back(outs, inputs):
    audio, rate = inputs
    with wave.open(io.BytesIO(outs[0][()]), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == \
            (audio.shape[1], 2, int(rate))
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, audio.shape[1])
    # 16-bit PCM: scaled by 2^15, rounded half away from zero (exact in float64), clamped.
    scaled = audio.astype(np.float64) * 32768
    want = np.clip(np.trunc(scaled + np.copysign(0.5, scaled)), -32768, 32767)
    np.testing.assert_array_equal(pcm, want)


def _dft_spectrogram(audio, *, window_size, stride, magnitude_squared=False):
    """|DFT|, zero-padded to the next power of two, of periodic-Hann-windowed frames."""
    n = 1 << (window_size - 1).bit_length()
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window_size) / window_size)
    k = np.arange(n // 2 + 1)[:, None]
    basis = np.exp(-2j * np.pi * k * np.arange(window_size) / n)  # padding adds nothing
    count = 1 + (audio.shape[0] - window_size) // stride if audio.shape[0] >= window_size else 0
    out = []
    for c in range(audio.shape[1]):
        frames = [audio[t * stride:t * stride + window_size, c] * hann for t in range(count)]
        power = np.abs(np.array(frames).reshape(count, window_size) @ basis.T) ** 2
        out.append(power if magnitude_squared else np.sqrt(power))
    return np.array(out, dtype=np.float32).reshape(audio.shape[1], count, n // 2 + 1)


def _mfcc_case(name):
    spec = SPECS[name]
    squared = spec["spectrogram"]["magnitude_squared"]
    assert squared, "the Mfcc fixtures are made from squared magnitudes"
    want = _tf(name, "mfcc")
    return Case("Mfcc", [_tf(name, "spectrogram"), np.int32(spec["sample_rate"])],
                attrs={k: float(v) if "frequency" in k else v for k, v in spec["mfcc"].items()},
                ref=lambda s, r, **attrs: want, id=f"Mfcc-{name}")


CASES = [
    Case("DecodeWav", [_file("speech_16k_mono")], attrs=SPECS["speech_16k_mono"]["decode"],
         ref=_tf_decoded("speech_16k_mono"), rtol=0, atol=0, id="DecodeWav-speech-padded"),
    Case("DecodeWav", [_file("stereo_8k_chunks")], ref=_tf_decoded("stereo_8k_chunks"),
         rtol=0, atol=0, exact_shape=False, id="DecodeWav-extra-chunks"),
    Case("DecodeWav", [_file("three_channel_44k")], attrs=SPECS["three_channel_44k"]["decode"],
         ref=_tf_decoded("three_channel_44k"), rtol=0, atol=0, exact_shape=False,
         id="DecodeWav-drop-channel"),
    Case("EncodeWav", [R.uniform(-1.2, 1.2, (37, 2)).astype(np.float32), np.int32(22050)],
         ref=None, check=_read_back, id="EncodeWav-stereo-clamped"),
    Case("EncodeWav", [R.uniform(-1, 1, (0, 1)).astype(np.float32), np.int32(8000)],
         ref=None, check=_read_back, id="EncodeWav-empty"),
    Case("AudioSpectrogram", [R.uniform(-1, 1, (300, 2)).astype(np.float32)],
         attrs={"window_size": 48, "stride": 20}, ref=_dft_spectrogram, rtol=1e-4, atol=1e-5,
         id="AudioSpectrogram-pad-to-64"),
    Case("AudioSpectrogram", [R.uniform(-1, 1, (100, 1)).astype(np.float32)],
         attrs={"window_size": 32, "stride": 40, "magnitude_squared": True},
         ref=_dft_spectrogram, rtol=1e-4, atol=1e-5, id="AudioSpectrogram-squared-gaps"),
    Case("AudioSpectrogram", [R.uniform(-1, 1, (10, 3)).astype(np.float32)],
         attrs={"window_size": 16, "stride": 1}, ref=_dft_spectrogram,
         id="AudioSpectrogram-too-short"),
    _mfcc_case("speech_16k_mono"),
    _mfcc_case("three_channel_44k"),
]
