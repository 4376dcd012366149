"""Writes the WAV fixtures and what TensorFlow's DecodeWav -> AudioSpectrogram -> Mfcc gives on
them (cases.json describes each pipeline; <name>.<stage>.npy holds TF's arrays), so tests run
without TensorFlow. Needs TensorFlow: ``python tests/core/data/audio/make_fixtures.py``."""

import json
import pathlib
import struct

import numpy as np

HERE = pathlib.Path(__file__).parent
R = np.random.default_rng(2026)

# speech_commands' pipeline (30 ms windows, 10 ms stride at 16 kHz, 40 coefficients, the clip
# zero-padded to desired_samples), then non-default window, stride and Mfcc attrs.
CASES = {
    "speech_16k_mono": dict(
        decode=dict(desired_channels=1, desired_samples=3200),
        spectrogram=dict(window_size=480, stride=160, magnitude_squared=True),
        mfcc=dict(dct_coefficient_count=40)),
    "stereo_8k_chunks": dict(
        decode=dict(),
        spectrogram=dict(window_size=200, stride=80, magnitude_squared=False),
        mfcc=dict(upper_frequency_limit=3500.0, lower_frequency_limit=60.0,
                  filterbank_channel_count=30, dct_coefficient_count=20)),
    "three_channel_44k": dict(
        decode=dict(desired_channels=2),
        spectrogram=dict(window_size=100, stride=37, magnitude_squared=True),
        mfcc=dict(upper_frequency_limit=12000.0, lower_frequency_limit=0.0,
                  filterbank_channel_count=20, dct_coefficient_count=13)),
}


def chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body


def wav_with_chunks(pcm: np.ndarray, rate: int) -> bytes:
    """A WAV as editors write it: JUNK before "fmt ", an 18-byte "fmt ", LIST between "fmt "
    and "data", and a trailing "id3 " chunk."""
    channels = pcm.shape[1]
    fmt = struct.pack("<HHIIHHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16, 0)
    body = b"WAVE" + chunk(b"JUNK", bytes(28)) + chunk(b"fmt ", fmt) \
        + chunk(b"LIST", b"INFOISFT\x06\x00\x00\x00minitf") \
        + chunk(b"data", pcm.astype("<i2").tobytes()) + chunk(b"id3 ", b"ID3\x03\x00\x00")
    return chunk(b"RIFF", body)


def clips():
    t = np.arange(3000) / 16000
    speech = 0.4 * np.sin(2 * np.pi * (300 + 2000 * t) * t) + 0.05 * R.standard_normal(3000)
    stereo = R.integers(-12000, 12000, (1500, 2))
    stereo[:, 1] = (np.sin(np.arange(1500) * 0.3) * 20000).astype(int)
    return {"speech_16k_mono": (speech[:, None].astype(np.float32), 16000),
            "stereo_8k_chunks": wav_with_chunks(stereo, 8000),
            "three_channel_44k": (R.uniform(-1, 1, (600, 3)).astype(np.float32), 44100)}


def main():
    import tensorflow.compat.v1 as tf1
    from tensorflow.python.ops import gen_audio_ops as audio_ops

    for name, clip in clips().items():
        with tf1.Graph().as_default(), tf1.Session() as sess:
            if isinstance(clip, tuple):  # written by TF's EncodeWav
                clip = sess.run(audio_ops.encode_wav(clip[0], clip[1]))
            (HERE / f"{name}.wav").write_bytes(clip)
            spec = CASES[name]
            audio, rate = audio_ops.decode_wav(clip, **spec["decode"])
            spectrogram = audio_ops.audio_spectrogram(audio, **spec["spectrogram"])
            squared = dict(spec["spectrogram"], magnitude_squared=True)
            mfcc = audio_ops.mfcc(audio_ops.audio_spectrogram(audio, **squared), rate,
                                  **spec["mfcc"])
            out = sess.run({"decode": audio, "rate": rate, "spectrogram": spectrogram,
                            "mfcc": mfcc})
        spec["sample_rate"] = int(out.pop("rate"))
        for stage, value in out.items():
            np.save(HERE / f"{name}.{stage}.npy", value)
    (HERE / "cases.json").write_text(json.dumps(CASES, indent=1) + "\n")


if __name__ == "__main__":
    main()
