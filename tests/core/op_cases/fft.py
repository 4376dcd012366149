"""Cases for core/ops/fft_ops.py: FFT/IFFT in 1-3 dimensions and RFFT/IRFFT with their
fft_length cropping and zero-padding. References are numpy.fft, written per axis (an FFT over
the inner k dims is k one-dimensional FFTs) so they do not share the kernels' n-d calls.

Gradients (through complex tensors) are checked in tests/core/test_complex.py."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(47)


def c64(*shape):
    return (R.standard_normal(shape) + 1j * R.standard_normal(shape)).astype(np.complex64)


def c128(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _per_axis(fn, rank):
    def ref(x):
        out = x.astype(np.complex128)
        for a in range(-rank, 0):
            out = fn(out, axis=a)
        return out.astype(x.dtype)
    return ref


def _fit(x, n, axis):
    """x cropped or zero-padded to n along axis."""
    x = np.take(x, range(min(n, x.shape[axis])), axis=axis)
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, max(n - x.shape[axis], 0))
    return np.pad(x, pad)


def _rfft_ref(rank):
    def ref(x, fft_length, Tcomplex):  # noqa: N803 - TensorFlow's attr name
        out = x.astype(np.complex128)
        for a, n in zip(range(-rank, 0), fft_length):
            out = np.fft.fft(_fit(out, n, a), axis=a)
        half = fft_length[-1] // 2 + 1
        return out[..., :half].astype(np.dtype(Tcomplex))
    return ref


def _irfft_ref(rank):
    def ref(x, fft_length, Treal):  # noqa: N803
        out = x.astype(np.complex128)
        for a, n in zip(range(-rank, -1), fft_length[:-1]):  # the outer axes first, as numpy
            out = np.fft.ifft(_fit(out, n, a), axis=a)
        n = fft_length[-1]
        half = _fit(out, n // 2 + 1, -1)
        # the full Hermitian spectrum; the real part drops the imaginary parts of the DC and
        # Nyquist bins, which the kernels ignore
        tail = np.conj(half[..., 1:(n + 1) // 2][..., ::-1])
        full = np.concatenate([half[..., :n - tail.shape[-1]], tail], axis=-1)
        return np.fft.ifft(full, axis=-1).real.astype(np.dtype(Treal))
    return ref


def _n(*v):
    return Const(np.array(v, np.int32))


_C64 = {"Tcomplex": "complex64"}
_F32 = {"Treal": "float32"}
CASES = [
    Case("FFT", [c64(3, 8)], _per_axis(np.fft.fft, 1)),
    Case("FFT", [c128(5)], _per_axis(np.fft.fft, 1), id="FFT-complex128"),
    Case("IFFT", [c64(2, 6)], _per_axis(np.fft.ifft, 1)),
    Case("FFT2D", [c64(2, 4, 6)], _per_axis(np.fft.fft, 2)),
    Case("IFFT2D", [c128(3, 5)], _per_axis(np.fft.ifft, 2)),
    Case("FFT3D", [c64(2, 3, 4, 5)], _per_axis(np.fft.fft, 3)),
    Case("IFFT3D", [c64(3, 4, 2)], _per_axis(np.fft.ifft, 3)),
    # grad=[]: complex outputs (their gradients are checked in test_complex.py)
    Case("RFFT", [f32(3, 8), _n(8)], _rfft_ref(1), attrs=_C64, grad=[]),
    Case("RFFT", [f32(3, 7), _n(7)], _rfft_ref(1), attrs=_C64, grad=[], id="RFFT-odd"),
    Case("RFFT", [f32(2, 5), _n(8)], _rfft_ref(1), attrs=_C64, grad=[], id="RFFT-pads"),
    Case("RFFT", [f32(2, 9), _n(4)], _rfft_ref(1), attrs=_C64, grad=[], id="RFFT-crops"),
    Case("RFFT", [R.standard_normal((4,)), _n(4)], _rfft_ref(1),
         attrs={"Tcomplex": "complex128"}, grad=[], id="RFFT-float64"),
    Case("RFFT2D", [f32(2, 4, 6), _n(4, 6)], _rfft_ref(2), attrs=_C64, grad=[]),
    Case("RFFT2D", [f32(3, 5), _n(4, 7)], _rfft_ref(2), attrs=_C64, grad=[],
         id="RFFT2D-crop-pad"),
    Case("RFFT3D", [f32(2, 3, 4), _n(2, 3, 4)], _rfft_ref(3), attrs=_C64, grad=[]),
    Case("IRFFT", [c64(3, 5), _n(8)], _irfft_ref(1), attrs=_F32),
    Case("IRFFT", [c64(3, 5), _n(9)], _irfft_ref(1), attrs=_F32, id="IRFFT-odd"),
    Case("IRFFT", [c64(2, 7), _n(6)], _irfft_ref(1), attrs=_F32, id="IRFFT-crops"),
    Case("IRFFT", [c128(2, 3), _n(8)], _irfft_ref(1), attrs={"Treal": "float64"},
         id="IRFFT-pads"),
    Case("IRFFT2D", [c64(2, 4, 4), _n(4, 6)], _irfft_ref(2), attrs=_F32),
    Case("IRFFT3D", [c64(2, 3, 3), _n(2, 3, 4)], _irfft_ref(3), attrs=_F32),
]

_GRADS = "tests/core/test_complex.py::test_gradients_through_complex_ops_numerically"
COVERED_BY = {op: _GRADS for op in ("FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D",
                                    "RFFT", "RFFT2D", "IRFFT", "IRFFT2D")}
