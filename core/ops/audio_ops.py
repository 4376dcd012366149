"""Audio ops: DecodeWav, EncodeWav, AudioSpectrogram and Mfcc, the ops of TF's speech graphs
(the speech_commands tutorial freezes DecodeWav -> AudioSpectrogram -> Mfcc), with the
``gen_audio_ops`` wrappers ``decode_wav``, ``encode_wav``, ``audio_spectrogram`` and ``mfcc``.

TensorFlow's op names, attrs, shape functions and messages. The numerics follow TF's kernels
(tensorflow/core/lib/wav/wav_io.cc, kernels/spectrogram.cc, mfcc.cc, mfcc_mel_filterbank.cc,
mfcc_dct.cc): WAV parsing with the same cursor and chunk rules; spectrogram frames in double with
a periodic Hann window, zero-padded to the next power of two (numpy's rfft in place of Ooura's
rdft, so values agree to float rounding); the mel filterbank and DCT accumulated in double in
TF's order. WAV encoding is AudioSummaryV2's encoder (summary_ops._wav), the same wav_io rules.
TF registers no gradient for any of these ops, hence NO_GRADIENT.
"""

from __future__ import annotations

import collections
import functools
import math

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from ._conv_util import _dims
from .concat_split_ops import _dims_str
from .summary_ops import _wav

__all__ = ["audio_spectrogram", "decode_wav", "encode_wav", "mfcc"]

_F32, _F64 = np.float32, np.float64
_INT32_MAX = 2**31 - 1
# Chunks TF skips between "WAVE" and "fmt " (padding and broadcast-WAV metadata).
_PRE_FORMAT_CHUNKS = (b"JUNK", b"bext", b"iXML", b"qlty", b"mext", b"levl", b"link", b"axml")


def _error(message):
    return InvalidArgumentError(None, None, message)


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def _check_int32(**attrs):
    """TF reads these attrs as int32 (in the shape function, or building the kernel)."""
    for name, value in attrs.items():
        if not -2**31 <= value < 2**31:
            raise shape_error(f"Attr {name} has value {value} out of range for an int32")


def _scalar_rate(rate) -> int:
    if np.ndim(rate) != 0:
        raise _error(f"Input sample_rate should be a scalar tensor, got "
                     f"{_dims_str(np.shape(rate))} instead.")
    return int(np.asarray(rate).reshape(()))


# -- WAV parsing (wav_io.cc's DecodeLin16WaveAsFloatVector) ---------------------------------------


class _Cursor:
    """wav_io's offset over the file: each read is bounds-checked with TF's message."""

    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def take(self, n: int) -> bytes:
        end = self.offset + n
        if end > len(self.data):
            raise _error("Data too short when trying to read string")
        start, self.offset = self.offset, end
        return self.data[start:end]

    def expect(self, text: bytes):
        found = self.take(len(text))
        if found != text:
            raise _error(f"Header mismatch: Expected {_text(text)} but found {_text(found)}")

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "little")


def _read_format(cur: _Cursor) -> tuple[int, int, int]:
    """The "fmt " chunk after any skippable chunks: (channels, sample rate, bytes per frame)."""
    found = cur.take(4)
    while found != b"fmt ":
        if found not in _PRE_FORMAT_CHUNKS:
            raise _error(f"Unexpected field {_text(found)}")
        cur.take(cur.uint(4))
        found = cur.take(4)
    size = cur.uint(4)
    if size not in (16, 18):  # WAVE_FORMAT_EXTENSIBLE (40) is refused, as in TF
        raise _error(f"Bad format chunk size for WAV: Expected 16 or 18, but got{size}")
    audio_format = cur.uint(2)
    if audio_format != 1:
        raise _error(f"Bad audio format for WAV: Expected 1 (PCM), but got{audio_format}")
    channels = cur.uint(2)
    if channels < 1:
        raise _error(f"Bad number of channels for WAV: Expected at least 1, but got {channels}")
    rate, bytes_per_second, frame_bytes, bits = cur.uint(4), cur.uint(4), cur.uint(2), cur.uint(2)
    if bits != 16:
        raise _error(f"Can only read 16-bit WAV files, but received {bits}")
    if frame_bytes != (bits * channels + 7) // 8:
        raise _error(f"Bad bytes per sample in WAV header: Expected "
                     f"{(bits * channels + 7) // 8} but got {frame_bytes}")
    if bytes_per_second != frame_bytes * rate:  # in uint64: a rate >= 2^31 never passes
        raise _error(f"Bad bytes per second in WAV header: Expected {frame_bytes * rate} but got "
                     f"{bytes_per_second} (sample_rate={rate}, bytes_per_sample={frame_bytes})")
    if size == 18:
        cur.offset += 2  # cbSize, unused
    return channels, rate, frame_bytes


def _parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """([frames, channels] float32 samples, sample rate) of a 16-bit PCM WAV file.

    After "fmt " every chunk is walked by its declared size (no RIFF word padding, as TF);
    only "data" is read, and only whole frames of it, so a partial frame is where the next
    chunk header is looked for."""
    cur = _Cursor(data)
    cur.expect(b"RIFF")
    cur.uint(4)  # the RIFF size is not checked
    cur.expect(b"WAVE")
    channels, rate, frame_bytes = _read_format(cur)
    samples = None
    while cur.offset < len(data):
        chunk_id, size = cur.take(4), cur.uint(4)
        if size > _INT32_MAX:
            raise _error(f"WAV data chunk '{_text(chunk_id)}' is too large: {size} bytes, but "
                         f"the limit is {_INT32_MAX}")
        if chunk_id != b"data":
            cur.offset += size
            continue
        if samples is not None:
            raise _error("More than one data chunk found in WAV")
        frames = size // frame_bytes
        raw = cur.take(2 * frames * channels)
        samples = np.frombuffer(raw, "<i2").reshape(frames, channels)
    if samples is None:
        raise _error("No data chunk found in WAV")
    return samples * _F32(1 / 32768), rate


# -- DecodeWav ------------------------------------------------------------------------------------


def _decode_wav_kernel(contents, *, desired_channels, desired_samples):
    if np.ndim(contents) != 0:
        raise _error(f"contents must be scalar, got shape {_dims_str(np.shape(contents))}")
    data = contents[()] if isinstance(contents, np.ndarray) else contents
    audio, rate = _parse_wav(data if isinstance(data, bytes) else str(data).encode())
    frames, channels = audio.shape
    n = frames if desired_samples == -1 else desired_samples
    c = channels if desired_channels == -1 else desired_channels
    out = np.zeros((n, c), _F32)
    # Missing channels repeat the last one; missing samples are silence.
    out[:min(n, frames)] = audio[:n, np.minimum(np.arange(c), channels - 1)]
    return out, np.int32(rate)  # < 2^31: the bytes-per-second check refuses larger rates


def _decode_wav_infer(contents, *, desired_channels, desired_samples):
    _dims(contents.shape, 0)
    _check_int32(desired_channels=desired_channels, desired_samples=desired_samples)
    if desired_channels < -1:
        raise shape_error(f"channels must be non-negative, got {desired_channels}")
    if desired_samples < -1:
        raise shape_error(f"samples must be non-negative, got {desired_samples}")
    shape = [None if desired_samples == -1 else desired_samples,
             None if desired_channels == -1 else desired_channels]
    return [TensorSpec(shape, _dt.float32), TensorSpec([], _dt.int32)]


DECODE_WAV = register(OpDef(
    "DecodeWav", inputs=["contents:string"],
    attrs={"desired_channels": -1, "desired_samples": -1},
    kernel=_decode_wav_kernel, infer=_decode_wav_infer, grad=NO_GRADIENT,
))


# -- EncodeWav ------------------------------------------------------------------------------------


def _encode_wav_kernel(audio, sample_rate):
    x = np.asarray(audio, _F32)
    if x.ndim != 2:
        raise _error(f"audio must be 2-dimensional{_dims_str(x.shape)}")
    rate = _scalar_rate(sample_rate)
    out = np.empty((), dtype=object)
    out[()] = _wav(x, rate % 2**64)  # the C++ takes the int32 rate as a size_t
    return out


def _encode_wav_infer(audio, sample_rate):
    _dims(audio.shape, 2)
    _dims(sample_rate.shape, 0)
    return [TensorSpec([], _dt.string)]


ENCODE_WAV = register(OpDef(
    "EncodeWav", inputs=["audio:float32", "sample_rate:int32"],
    kernel=_encode_wav_kernel, infer=_encode_wav_infer, grad=NO_GRADIENT,
))


# -- AudioSpectrogram -----------------------------------------------------------------------------


def _fft_length(window_size: int) -> int:
    return 1 << (window_size - 1).bit_length()  # NextPowerOfTwo


def _frame_count(samples: int, window_size: int, stride: int) -> int:
    return 0 if samples < window_size else 1 + (samples - window_size) // stride


@functools.lru_cache(maxsize=16)
def _periodic_hann(window_size: int) -> np.ndarray:
    i = np.arange(window_size, dtype=_F64)
    return 0.5 - 0.5 * np.cos((2.0 * math.pi * i) / window_size)


def _spectrogram_kernel(input, *, window_size, stride, magnitude_squared):  # noqa: A002 - TF's
    x = np.asarray(input, _F32)
    if x.ndim != 2:
        raise _error(f"input must be 2-dimensional{_dims_str(x.shape)}")
    samples, channels = x.shape
    fft_length = _fft_length(window_size)
    height = _frame_count(samples, window_size, stride)
    out = np.zeros((channels, height, fft_length // 2 + 1), _F32)
    if height:
        signal = x.T.astype(_F64)  # the C++ queues samples as doubles
        frames = np.lib.stride_tricks.sliding_window_view(signal, window_size, axis=1)
        spectrum = np.fft.rfft(frames[:, ::stride] * _periodic_hann(window_size),
                               n=fft_length)
        out[:] = spectrum.real ** 2 + spectrum.imag ** 2  # |X|^2 in double, stored as float
    return out if magnitude_squared else np.sqrt(out)  # sqrtf of the stored float


def _spectrogram_infer(input, *, window_size, stride, magnitude_squared):  # noqa: A002
    samples, channels = _dims(input.shape, 2)
    _check_int32(window_size=window_size, stride=stride)
    if window_size <= 1:
        raise shape_error(f"window size must be > 1, got {window_size}")
    if stride <= 0:
        raise shape_error(f"stride must be strictly positive, got {stride}")
    height = None if samples is None else _frame_count(samples, window_size, stride)
    return [TensorSpec([channels, height, _fft_length(window_size) // 2 + 1], _dt.float32)]


AUDIO_SPECTROGRAM = register(OpDef(
    "AudioSpectrogram", inputs=["input:float32"],
    attrs={"window_size": req("int"), "stride": req("int"), "magnitude_squared": False},
    kernel=_spectrogram_kernel, infer=_spectrogram_infer, grad=NO_GRADIENT,
))


# -- Mfcc -----------------------------------------------------------------------------------------

_FILTERBANK_FLOOR = 1e-12
_MelBank = collections.namedtuple("_MelBank", ["start", "end", "band", "weights"])


def _mel(freq: float) -> float:
    return 1127.0 * math.log1p(freq / 700.0)


@functools.lru_cache(maxsize=16)
def _mel_filterbank(bins: int, rate: float, channels: int, lower: float, upper: float):
    """MfccMelFilterbank::Initialize: for each FFT bin in [start, end], the channel whose
    triangle's right side it falls on (-1 below the first centre) and its weight there; it
    also weighs 1 - weight on the next channel's left side. DC is always excluded (HTK)."""
    mel_low = _mel(lower)
    spacing = (_mel(upper) - mel_low) / float(channels + 1)
    centres = [mel_low + spacing * (i + 1) for i in range(channels + 1)]
    hz_per_bin = 0.5 * rate / float(bins - 1)
    start, end = int(1.5 + lower / hz_per_bin), int(upper / hz_per_bin)
    band, weights, channel = [], [], 0
    for i in range(start, min(end, bins - 1) + 1):
        melf = _mel(i * hz_per_bin)
        while channel < channels and centres[channel] < melf:
            channel += 1
        c = channel - 1
        band.append(c)
        below = centres[c] if c >= 0 else mel_low
        weights.append((centres[c + 1] - melf) / (centres[c + 1] - below))
    return _MelBank(start, end, band, np.array(weights))


@functools.lru_cache(maxsize=16)
def _dct_matrix(inputs: int, coefficients: int) -> np.ndarray:
    """MfccDct's [coefficients, inputs] cosine table, scaled by sqrt(2 / inputs)."""
    i = np.arange(coefficients, dtype=_F64)[:, None]
    j = np.arange(inputs, dtype=_F64)[None, :]
    return math.sqrt(2.0 / inputs) * np.cos(i * (math.pi / inputs) * (j + 0.5))


def _mel_energies(frames: np.ndarray, bank: _MelBank, channels: int) -> np.ndarray:
    """MfccMelFilterbank::Compute on [n, bins] squared magnitudes, summed bin by bin in
    TF's order so the doubles match."""
    out = np.zeros((len(frames), channels))
    with np.errstate(invalid="ignore"):  # sqrt of a negative "power" is NaN, as in C
        magnitude = np.sqrt(frames[:, bank.start:bank.end + 1])
    for k, (c, w) in enumerate(zip(bank.band, bank.weights)):
        weighted = magnitude[:, k] * w
        if c >= 0:
            out[:, c] += weighted
        if c + 1 < channels:
            out[:, c + 1] += magnitude[:, k] - weighted
    return out


def _mfcc_kernel(spectrogram, sample_rate, *, upper_frequency_limit, lower_frequency_limit,
                 filterbank_channel_count, dct_coefficient_count):
    s = np.asarray(spectrogram, _F32)
    if s.ndim != 3:
        raise _error(f"spectrogram must be 3-dimensional{_dims_str(s.shape)}")
    rate = _scalar_rate(sample_rate)
    _check_int32(filterbank_channel_count=filterbank_channel_count)
    bins, channels, coefficients = s.shape[2], filterbank_channel_count, dct_coefficient_count
    upper, lower = float(_F32(upper_frequency_limit)), float(_F32(lower_frequency_limit))
    if (channels < 1 or rate <= 0 or bins < 2 or lower < 0 or upper <= lower
            or not 1 <= coefficients <= channels):
        raise _error(f"Mfcc initialization failed for channel count {bins}, sample rate {rate} "
                     f"and filterbank_channel_count {channels}")
    bank = _mel_filterbank(bins, float(rate), channels, lower, upper)
    frames = s.reshape(-1, bins).astype(_F64)
    out = np.zeros((len(frames), coefficients))
    if bins > bank.end:  # else TF logs "Input too short" and the DCT of nothing is zeros
        energies = _mel_energies(frames, bank, channels)
        with np.errstate(invalid="ignore"):
            logs = np.log(np.where(energies < _FILTERBANK_FLOOR, _FILTERBANK_FLOOR, energies))
        table = _dct_matrix(channels, coefficients)
        for j in range(channels):  # the C++ sums over j in order
            out += logs[:, j:j + 1] * table[:, j]
    return out.astype(_F32).reshape(s.shape[:2] + (coefficients,))


def _mfcc_infer(spectrogram, sample_rate, *, upper_frequency_limit, lower_frequency_limit,
                filterbank_channel_count, dct_coefficient_count):
    channels, frames, _ = _dims(spectrogram.shape, 3)
    _dims(sample_rate.shape, 0)
    _check_int32(dct_coefficient_count=dct_coefficient_count)
    # A negative count builds (TF's MakeDim(-1) is an unknown dim) and fails when run.
    coefficients = dct_coefficient_count if dct_coefficient_count >= 0 else None
    return [TensorSpec([channels, frames, coefficients], _dt.float32)]


MFCC = register(OpDef(
    "Mfcc", inputs=["spectrogram:float32", "sample_rate:int32"],
    attrs={"upper_frequency_limit": 4000.0, "lower_frequency_limit": 20.0,
           "filterbank_channel_count": 40, "dct_coefficient_count": 13},
    kernel=_mfcc_kernel, infer=_mfcc_infer, grad=NO_GRADIENT,
))


# -- public wrappers (gen_audio_ops) ---------------------------------------------------------------

DecodeWav = collections.namedtuple("DecodeWav", ["audio", "sample_rate"])


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    """``tf.audio.decode_wav``: (audio, sample_rate) of a 16-bit PCM WAV file; audio is
    [samples, channels] float32 in [-1, 1), cropped or zero-padded to ``desired_samples`` and
    with channels dropped or the last one repeated to make ``desired_channels`` (-1: as is)."""
    return DecodeWav(*DECODE_WAV(contents, desired_channels=desired_channels,
                                 desired_samples=desired_samples, name=name))


def encode_wav(audio, sample_rate, name=None):
    """``tf.audio.encode_wav``: a 16-bit PCM WAV file of [samples, channels] float32 audio
    (clamped to [-1, 1]) at ``sample_rate`` (an int32 scalar)."""
    return ENCODE_WAV(audio, sample_rate, name=name)


def audio_spectrogram(input, window_size, stride, magnitude_squared=False,  # noqa: A002
                      name=None):
    """``gen_audio_ops.audio_spectrogram``: [channels, frames, fft_length / 2 + 1] magnitudes
    (or squared magnitudes) of Hann-windowed frames of [samples, channels] audio."""
    return AUDIO_SPECTROGRAM(input, window_size=window_size, stride=stride,
                             magnitude_squared=magnitude_squared, name=name)


def mfcc(spectrogram, sample_rate, upper_frequency_limit=4000, lower_frequency_limit=20,
         filterbank_channel_count=40, dct_coefficient_count=13, name=None):
    """``gen_audio_ops.mfcc``: [channels, frames, dct_coefficient_count] mel-frequency cepstral
    coefficients of a squared-magnitude spectrogram."""
    return MFCC(spectrogram, sample_rate, upper_frequency_limit=upper_frequency_limit,
                lower_frequency_limit=lower_frequency_limit,
                filterbank_channel_count=filterbank_channel_count,
                dct_coefficient_count=dct_coefficient_count, name=name)
