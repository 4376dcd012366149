"""tf.signal (and TF1's tf.spectral): the FFT ops' wrappers, and TensorFlow's Python
compositions over them: frame, overlap_and_add, the hann/hamming windows, stft and inverse_stft,
linear_to_mel_weight_matrix, mfccs_from_log_mel_spectrograms, dct/idct (types 1-4), mdct,
fftshift/ifftshift. Values follow TF's formulas step by step (same dtypes, same rounding)."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, constant_value, convert_to_tensor
from .ops import array_ops, concat_split_ops, gather_ops, manip_ops, pad_ops, transform_ops
from .ops._math_util import _scope
from .ops.complex_ops import complex as _complex
from .ops.complex_ops import real as _real
from .ops.fft_ops import (fft, fft2d, fft3d, ifft, ifft2d, ifft3d, irfft, irfft2d, irfft3d,
                          rfft, rfft2d, rfft3d)
from .ops.fftnd_ops import fftnd, ifftnd, irfftnd, rfftnd
from .ops.math_ops import cast, maximum, minimum
from .ops.reduction_ops import reduce_sum
from .ops.unary_ops import exp, log, rsqrt, sqrt, square
from .signal_windows import (_scalar, _static_int, hamming_window, hann_window,  # noqa: F401
                             kaiser_bessel_derived_window, kaiser_window, vorbis_window)

__all__ = [
    "fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d", "irfft2d",
    "rfft3d", "irfft3d", "fftshift", "ifftshift", "frame", "overlap_and_add", "hann_window",
    "hamming_window", "stft", "inverse_stft", "inverse_stft_window_fn",
    "linear_to_mel_weight_matrix", "mfccs_from_log_mel_spectrograms", "dct", "idct", "mdct",
    "inverse_mdct", "vorbis_window", "kaiser_window", "kaiser_bessel_derived_window",
    "fftnd", "ifftnd", "rfftnd", "irfftnd",
]


# -- fftshift / ifftshift -------------------------------------------------------------------
def _shift(x, axes, name, default, sign):
    with _scope(name, default, (x,)) as scope:
        x = convert_to_tensor(x)
        if axes is None:
            axes = list(range(x.shape.rank))
            shift = array_ops.shape(x) // 2
        elif isinstance(axes, int):
            shift = array_ops.shape(x)[axes] // 2
        else:
            shift = gather_ops.gather(array_ops.shape(x), [a % x.shape.rank for a in axes]) // 2
        return manip_ops.roll(x, shift * sign, axes, name=scope)


def fftshift(x, axes=None, name=None):
    """Moves the zero-frequency bin to the center (numpy.fft.fftshift), with tf.roll."""
    return _shift(x, axes, name, "fftshift", 1)


def ifftshift(x, axes=None, name=None):
    """The inverse of fftshift (they differ by one for odd lengths)."""
    return _shift(x, axes, name, "ifftshift", -1)


# -- frame / overlap_and_add ----------------------------------------------------------------
def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Frames of ``frame_length`` samples every ``frame_step`` along ``axis`` (which becomes
    two axes: frames, samples). With ``pad_end`` the end is padded with ``pad_value`` to give
    ceil(length / step) frames, as TF; else only whole frames."""
    with _scope(name, "frame", (signal,)):
        signal = convert_to_tensor(signal, name="signal")
        if signal.shape.rank is not None and signal.shape.rank < 1:
            raise ValueError(f"Shape must be at least rank 1 but is rank {signal.shape.rank}")
        frame_length = _scalar(frame_length, "frame_length")
        frame_step = _scalar(frame_step, "frame_step")
        rank = signal.shape.rank
        if not isinstance(axis, (int, np.integer)):
            axis = _scalar(axis, "axis")
        static_axis = _static_int(axis)
        if rank is not None and static_axis is not None:
            axis = range(rank)[static_axis]
            static_shape = _frame_shape(signal, frame_length, frame_step, pad_end, axis)
            outer, inner = axis, rank - axis - 1
            length = array_ops.shape(signal)[axis]
        else:
            # TF's run-time path: an unknown rank or a tensor axis resolved when the graph
            # runs (indexing range(rank) counts a negative axis from the end, as Python does)
            signal_rank = array_ops.rank(signal)
            axis = array_ops.range_(signal_rank)[axis]
            static_shape = None if rank is None else [None] * (rank + 1)
            outer, inner = axis, signal_rank - axis - 1
            length = gather_ops.gather(array_ops.shape(signal), axis)
        if pad_end:
            num_frames = -(-length // frame_step)
            pad = maximum(0, frame_length + frame_step * (num_frames - 1) - length)
            paddings = concat_split_ops.concat([
                array_ops.zeros([outer, 2], _dt.int32),
                array_ops.reshape(concat_split_ops.stack([0, pad]), [1, 2]),
                array_ops.zeros([inner, 2], _dt.int32)], 0)
            signal = pad_ops.pad(signal, paddings,
                                 constant_values=convert_to_tensor(pad_value, signal.dtype))
        else:
            num_frames = maximum(0, 1 + (length - frame_length) // frame_step)
        # indices[f, i] = f * step + i: one gather picks every frame's samples
        starts = array_ops.range_(num_frames) * frame_step
        indices = transform_ops.expand_dims(starts, 1) + \
            transform_ops.expand_dims(array_ops.range_(frame_length), 0)
        frames = gather_ops.gather(signal, indices, axis=axis)
        if static_shape is not None:
            frames.set_shape(static_shape)
        return frames


def _frame_shape(signal, frame_length, frame_step, pad_end, axis):
    """TF's _infer_frame_shape: the static shape of frame's result."""
    dims = list(signal.shape.as_tuple())
    n, step, length = _static_int(frame_length), _static_int(frame_step), dims[axis]
    count = None
    if length is not None and step is not None:
        # TF divides numpy values, where x // 0 is 0 (a step of 0 fails in FloorDiv at run)
        div = (lambda a: a // step) if step else (lambda a: 0)
        if pad_end:
            count = max(0, -div(-length))
        elif n is not None:
            count = max(0, div(length - n + step))
    return dims[:axis] + [count, n] + dims[axis + 1:]


def overlap_and_add(signal, frame_step, name=None):
    """Sums frames (the last two dims: frames, samples) placed ``frame_step`` apart: the
    inverse of frame (TF's pad / reshape / transpose / reduce_sum composition)."""
    with _scope(name, "overlap_and_add", (signal,)):
        signal = convert_to_tensor(signal, name="signal")
        if signal.shape.rank is not None and signal.shape.rank < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {signal.shape.rank}")
        frame_step = _scalar(frame_step, "frame_step")
        if not frame_step.dtype.is_integer:
            raise ValueError(f"frame_step must be an integer. Got {frame_step.dtype}")
        step = _static_int(frame_step)
        shape = array_ops.shape(signal)
        outer = shape[:-2]
        frames, frame_length = shape[-2], shape[-1]
        output_length = frame_length + frame_step * (frames - 1)

        def full(inner):
            return concat_split_ops.concat([outer, concat_split_ops.stack(inner)], 0)

        if step is not None and signal.shape.as_tuple() is not None and \
                signal.shape.as_tuple()[-1] == step:
            return array_ops.reshape(signal, full([output_length]), name="fast_path")
        segments = -(-frame_length // frame_step)
        outer_rank = array_ops.size(outer)
        paddings = concat_split_ops.concat([
            array_ops.zeros(concat_split_ops.stack([outer_rank, 2]), _dt.int32),
            concat_split_ops.stack([concat_split_ops.stack([0, segments]), concat_split_ops.stack(
                [0, segments * frame_step - frame_length])])], 0)
        signal = pad_ops.pad(signal, paddings)
        signal = array_ops.reshape(signal, full([frames + segments, segments, frame_step]))
        perm = concat_split_ops.concat([array_ops.range_(outer_rank),
                                        outer_rank + np.array([1, 0, 2], np.int32)], 0)
        signal = transform_ops.transpose(signal, perm)
        signal = array_ops.reshape(signal, full([(frames + segments) * segments, frame_step]))
        signal = signal[..., :(frames + segments - 1) * segments, :]
        signal = array_ops.reshape(signal, full([segments, frames + segments - 1, frame_step]))
        signal = reduce_sum(signal, -3)
        signal = array_ops.reshape(signal, full([(frames + segments - 1) * frame_step]))
        return signal[..., :output_length]


# -- STFT -----------------------------------------------------------------------------------
def _enclosing_power_of_two(value):
    """The smallest power of two >= value (TF's fft_length default for stft)."""
    v = _static_int(value)
    if v is not None:
        return array_ops.constant(int(2 ** np.ceil(np.log(v) / np.log(2.0))), value.dtype)
    from .ops.math_ops import pow as _pow
    from .ops.unary_ops import ceil

    return cast(_pow(2.0, ceil(log(cast(value, _dt.float32)) / math.log(2.0))), value.dtype)


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window,
         pad_end=False, name=None):
    """The short-time Fourier transform: windowed frames, each RFFT'd to fft_length // 2 + 1
    bins (fft_length defaults to the power of two enclosing frame_length)."""
    with _scope(name, "stft", (signals,)):
        signals = convert_to_tensor(signals, name="signals")
        if signals.shape.rank is not None and signals.shape.rank < 1:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        frame_length = _scalar(frame_length, "frame_length")
        frame_step = _scalar(frame_step, "frame_step")
        fft_length = _enclosing_power_of_two(frame_length) if fft_length is None else \
            _scalar(fft_length, "fft_length")
        framed = frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            framed *= window_fn(frame_length, dtype=framed.dtype)
        return rfft(framed, concat_split_ops.stack([fft_length]))


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window_fn for inverse_stft that undoes ``forward_window_fn``'s overlapping squares,
    so inverse_stft(stft(x)) reconstructs x (where the windows' overlap is non-zero)."""
    def inverse_stft_window_fn_inner(frame_length, dtype):
        with _scope(name, "inverse_stft_window_fn", ()):
            step = _scalar(frame_step, "frame_step")
            length = _scalar(frame_length, "frame_length")
            forward = forward_window_fn(length, dtype=dtype)
            denom = square(forward)
            overlaps = -(-length // step)
            denom = pad_ops.pad(denom, array_ops.reshape(
                concat_split_ops.stack([0, overlaps * step - length]), [1, 2]))
            denom = array_ops.reshape(denom, concat_split_ops.stack([overlaps, step]))
            denom = reduce_sum(denom, 0, keepdims=True)
            denom = transform_ops.tile(denom, concat_split_ops.stack([overlaps, 1]))
            denom = array_ops.reshape(denom, concat_split_ops.stack([overlaps * step]))[:length]
            from .ops.logic_ops import equal, where_v2

            return where_v2(equal(denom, 0.0), array_ops.zeros_like(forward), forward / denom)
    return inverse_stft_window_fn_inner


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window,
                 name=None):
    """IRFFT of each frame, cropped or padded to frame_length, windowed, overlap-added. For a
    reconstruction pass ``window_fn=inverse_stft_window_fn(frame_step)``."""
    with _scope(name, "inverse_stft", (stfts,)):
        stfts = convert_to_tensor(stfts, name="stfts")
        if stfts.shape.rank is not None and stfts.shape.rank < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {stfts.shape.rank}")
        frame_length = _scalar(frame_length, "frame_length")
        frame_step = _scalar(frame_step, "frame_step")
        fft_length = _enclosing_power_of_two(frame_length) if fft_length is None else \
            _scalar(fft_length, "fft_length")
        frames = irfft(stfts, concat_split_ops.stack([fft_length]))
        frames = _fit_last(frames, frame_length)
        if window_fn is not None:
            frames *= window_fn(frame_length, dtype=stfts.dtype.real_dtype)
        return overlap_and_add(frames, frame_step)


def _fit_last(t, length):
    """``t`` cropped or zero-padded on its last dim to ``length`` (a scalar tensor)."""
    n, have = _static_int(length), t.shape.as_tuple() and t.shape.as_tuple()[-1]
    if n is not None and have is not None:
        if have > n:
            return t[..., :n]
        if have < n:
            return pad_ops.pad(t, [[0, 0]] * (t.shape.rank - 1) + [[0, n - have]])
        return t
    t = t[..., :length]
    pads = concat_split_ops.concat([
        array_ops.zeros(concat_split_ops.stack([array_ops.rank(t) - 1, 2]), _dt.int32),
        array_ops.reshape(concat_split_ops.stack(
            [0, maximum(0, length - array_ops.shape(t)[-1])]), [1, 2])], 0)
    out = pad_ops.pad(t, pads)
    if n is not None and out.shape.rank is not None:
        out.set_shape([None] * (out.shape.rank - 1) + [n])
    return out


# -- mel scale and MFCCs --------------------------------------------------------------------
_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies_hertz):
    return _MEL_HIGH_FREQUENCY_Q * log(1.0 + (frequencies_hertz / _MEL_BREAK_FREQUENCY_HERTZ))


def _validate_mel(num_mel_bins, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype):
    if num_mel_bins <= 0:
        raise ValueError(f"num_mel_bins must be positive. Got: {num_mel_bins}")
    if lower_edge_hertz < 0.0:
        raise ValueError(f"lower_edge_hertz must be non-negative. Got: {lower_edge_hertz}")
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(f"lower_edge_hertz {lower_edge_hertz:.1f} >= upper_edge_hertz "
                         f"{upper_edge_hertz:.1f}")
    if sample_rate <= 0.0:
        raise ValueError(f"sample_rate must be positive. Got: {sample_rate}")
    if upper_edge_hertz > sample_rate / 2:
        raise ValueError("upper_edge_hertz must not be larger than the Nyquist frequency "
                         f"(sample_rate / 2). Got {upper_edge_hertz} for sample_rate: "
                         f"{sample_rate}")
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Got: {dtype}")


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype=_dt.float32, name=None):
    """A [num_spectrogram_bins, num_mel_bins] matrix of triangular mel filters (HTK mel
    scale; the DC bin gets no weight), to matmul a magnitude spectrogram with."""
    from .composites import linspace

    dtype = _dt.as_dtype(dtype)
    with _scope(name, "linear_to_mel_weight_matrix", ()) as scope:
        if isinstance(sample_rate, Tensor):
            static = constant_value(sample_rate)
            if static is None:
                raise NotImplementedError("sample_rate must be known at graph construction")
            sample_rate = static
        _validate_mel(num_mel_bins, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype)
        sample_rate = cast(sample_rate, dtype, name="sample_rate")
        lower = convert_to_tensor(lower_edge_hertz, dtype, name="lower_edge_hertz")
        upper = convert_to_tensor(upper_edge_hertz, dtype, name="upper_edge_hertz")
        zero = convert_to_tensor(0.0, dtype)
        linear = linspace(zero, sample_rate / 2.0, num_spectrogram_bins)[1:]
        bins_mel = transform_ops.expand_dims(_hertz_to_mel(linear), 1)
        edges = frame(linspace(_hertz_to_mel(lower), _hertz_to_mel(upper), num_mel_bins + 2),
                      frame_length=3, frame_step=1)
        low, center, high = (array_ops.reshape(t, [1, num_mel_bins])
                             for t in concat_split_ops.split(edges, 3, axis=1))
        lower_slopes = (bins_mel - low) / (center - low)
        upper_slopes = (high - bins_mel) / (high - center)
        weights = maximum(zero, minimum(lower_slopes, upper_slopes))
        return pad_ops.pad(weights, [[1, 0], [0, 0]], name=scope)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """MFCCs: the orthonormal-scaled DCT-II of log-mel spectrograms (HTK's scaling)."""
    with _scope(name, "mfccs_from_log_mel_spectrograms", (log_mel_spectrograms,)):
        x = convert_to_tensor(log_mel_spectrograms)
        dims = x.shape.as_tuple()
        if dims and dims[-1] is not None:
            if dims[-1] == 0:
                raise ValueError(f"num_mel_bins must be positive. Got: {x}")
            num_mel_bins = dims[-1]
        else:
            num_mel_bins = array_ops.shape(x)[-1]
        dct2 = dct(x, type=2)
        return dct2 * rsqrt(cast(num_mel_bins, dct2.dtype) * 2.0)


# -- DCT ------------------------------------------------------------------------------------
def _validate_dct(x, dct_type, n, axis, norm):
    if axis != -1:
        raise NotImplementedError(f"axis must be -1. Got: {axis}")
    if n is not None and n < 1:
        raise ValueError("n should be a positive integer or None")
    if dct_type not in (1, 2, 3, 4):
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    if dct_type == 1:
        if norm == "ortho":
            raise ValueError("Normalization is not supported for the Type-I DCT.")
        last = x.shape.as_tuple() and x.shape.as_tuple()[-1]
        if last is not None and last < 2:
            raise ValueError("Type-I DCT requires the dimension to be greater than one.")
    if norm not in (None, "ortho"):
        raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 - TF's names
    """The discrete cosine transform of the last axis (types 1-4, norm None or "ortho"),
    computed as TF does through an RFFT of twice the length."""
    x = convert_to_tensor(input)
    _validate_dct(x, type, n, axis, norm)
    return _dct(x, type, n, norm, name)


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """The inverse DCT: the DCT of the inverse type (2 <-> 3); with norm="ortho" an exact
    inverse, else scaled by 2N (0.5 / N undoes it)."""
    x = convert_to_tensor(input)
    _validate_dct(x, type, n, axis, norm)
    return _dct(x, {1: 1, 2: 3, 3: 2, 4: 4}[type], n, norm, name)


def _last_dim(x):
    last = x.shape.as_tuple() and x.shape.as_tuple()[-1]
    return last if last else array_ops.shape(x)[-1]


def _dct(x, dct_type, n, norm, name):
    with _scope(name, "dct", (x,)):
        zero = convert_to_tensor(0.0, dtype=x.dtype)
        if n is not None:
            x = _fit_last(x, convert_to_tensor(n, _dt.int32))
        dim = _last_dim(x)
        dim_f = cast(dim, x.dtype)
        if dct_type == 1:
            return _real(rfft(concat_split_ops.concat([x, x[..., -2:0:-1]], axis=-1)))
        if dct_type == 2:
            scale = 2.0 * exp(_complex(
                zero, -array_ops.range_(dim_f) * math.pi * 0.5 / dim_f))
            out = _real(rfft(x, fft_length=concat_split_ops.stack([2 * dim]))[..., :dim] * scale)
            if norm == "ortho":
                n1 = 0.5 * rsqrt(dim_f)
                weights = pad_ops.pad(transform_ops.expand_dims(n1, 0),
                                      _tail_pad(dim), constant_values=n1 * math.sqrt(2.0))
                out *= weights
            return out
        if dct_type == 3:
            if norm == "ortho":
                n1 = sqrt(dim_f)
                x *= pad_ops.pad(transform_ops.expand_dims(n1, 0), _tail_pad(dim),
                                 constant_values=n1 * math.sqrt(0.5))
            else:
                x *= dim_f
            scale = 2.0 * exp(_complex(zero, array_ops.range_(dim_f) * math.pi * 0.5 / dim_f))
            full = irfft(scale * _complex(x, array_ops.zeros_like(x)),
                         fft_length=concat_split_ops.stack([2 * dim]))
            return _real(full)[..., :dim]
        out = _dct(_fit_last(x, 2 * dim), 2, None, None, None)[..., 1::2]
        if norm == "ortho":
            out *= math.sqrt(0.5) * rsqrt(dim_f)
        return out


def _tail_pad(dim):
    return array_ops.reshape(concat_split_ops.stack([0, dim - 1]), [1, 2])


def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """The modified DCT of frames of ``frame_length`` (a multiple of 4) every half frame."""
    with _scope(name, "mdct", (signals,)):
        signals = convert_to_tensor(signals, name="signals")
        n = _static_int(frame_length)
        if n is None:
            raise NotImplementedError("mdct needs a frame_length known at graph construction")
        if n % 4:
            raise ValueError("The frame length must be a multiple of 4.")
        framed = frame(signals, n, n // 2, pad_end=pad_end)
        framed = framed * (window_fn(n, dtype=framed.dtype) if window_fn is not None
                           else 1.0 / np.sqrt(2))
        a, b, c, d = concat_split_ops.split(framed, 4, axis=-1)
        rearranged = concat_split_ops.concat(
            [-_reverse_last(c) - d, a - _reverse_last(b)], axis=-1)
        return dct(rearranged, type=4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """The inverse of mdct: a type-4 DCT, unfolded, windowed and overlap-added."""
    with _scope(name, "inverse_mdct", (mdcts,)):
        mdcts = convert_to_tensor(mdcts, name="mdcts")
        half = mdcts.shape.as_tuple()[-1]
        if norm is None:
            idct4 = (0.5 / half) * dct(mdcts, type=4)
        else:
            idct4 = dct(mdcts, type=4, norm="ortho")
        a, b = concat_split_ops.split(idct4, 2, axis=-1)
        frames = concat_split_ops.concat(
            [b, -_reverse_last(b), -_reverse_last(a), -a], axis=-1)
        frames = frames * (window_fn(2 * half, dtype=mdcts.dtype) if window_fn is not None
                           else 1.0 / np.sqrt(2))
        return overlap_and_add(frames, half)


def _reverse_last(t):
    from .composites import reverse  # composites imports the root API: not at module load

    return reverse(t, [-1])
