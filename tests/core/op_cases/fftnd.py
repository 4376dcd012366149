"""Cases for core/ops/fftnd_ops.py: FFTND/IFFTND (cropping and zero-padding to fft_length) and
RFFTND/IRFFTND (cropping) over the inner dims named by ``axes``. References are numpy.fft
written one axis at a time (an N-d FFT is N one-dimensional ones), not the kernels' n-d calls.
TF registers no gradient for these ops (NO_GRADIENT)."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(53)


def c64(*shape):
    return (R.standard_normal(shape) + 1j * R.standard_normal(shape)).astype(np.complex64)


def c128(*shape):
    return R.standard_normal(shape) + 1j * R.standard_normal(shape)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def _fit(x, n, axis):
    """x cropped or zero-padded to n along axis."""
    x = np.take(x, range(min(n, x.shape[axis])), axis=axis)
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, max(n - x.shape[axis], 0))
    return np.pad(x, pad)


def _c2c(fn):
    def ref(x, fft_length, axes):
        out = x.astype(np.complex128)
        for a, n in zip(axes, fft_length):
            out = fn(_fit(out, n, a), axis=a)
        return out.astype(x.dtype)
    return ref


def _r2c(x, fft_length, axes, Tcomplex):  # noqa: N803 - TensorFlow's attr name
    out = x.astype(np.complex128)
    for a, n in zip(axes, fft_length):
        out = np.fft.fft(_fit(out, n, a), axis=a)
    return out[..., :fft_length[-1] // 2 + 1].astype(np.dtype(Tcomplex))


def _c2r(x, fft_length, axes, Treal):  # noqa: N803
    out = x.astype(np.complex128)
    for a, n in zip(axes[:-1], fft_length[:-1]):
        out = np.fft.ifft(_fit(out, n, a), axis=a)
    n = fft_length[-1]
    half = _fit(out, n // 2 + 1, -1)
    tail = np.conj(half[..., 1:(n + 1) // 2][..., ::-1])  # the Hermitian partner bins
    full = np.concatenate([half[..., :n - tail.shape[-1]], tail], axis=-1)
    return np.fft.ifft(full, axis=-1).real.astype(np.dtype(Treal))


def _i(*v):
    return Const(np.array(v, np.int32))


CASES = [
    Case("FFTND", [c64(2, 3, 4), _i(2, 3, 4), _i(0, 1, 2)], _c2c(np.fft.fft), rtol=1e-4,
         atol=1e-5),
    Case("FFTND", [c64(2, 3, 4), _i(5, 2), _i(-2, -1)], _c2c(np.fft.fft), rtol=1e-4,
         atol=1e-5, id="FFTND-pad-crop-negative-axes"),
    Case("FFTND", [c128(3, 6), _i(4), _i(1)], _c2c(np.fft.fft), id="FFTND-complex128"),
    Case("IFFTND", [c64(2, 4, 3), _i(4, 3), _i(1, 2)], _c2c(np.fft.ifft), rtol=1e-4,
         atol=1e-5),
    Case("IFFTND", [c128(2, 3), _i(3, 5), _i(0, 1)], _c2c(np.fft.ifft),
         id="IFFTND-pads-complex128"),
    Case("RFFTND", [f32(2, 3, 6), _i(3, 6), _i(1, 2)], _r2c, attrs={"Tcomplex": "complex64"},
         rtol=1e-4, atol=1e-5),
    Case("RFFTND", [f32(4, 7), _i(3, 5), _i(0, 1)], _r2c, attrs={"Tcomplex": "complex64"},
         rtol=1e-4, atol=1e-5, id="RFFTND-crops"),
    Case("RFFTND", [R.standard_normal((3, 5)), _i(5), _i(-1)], _r2c,
         attrs={"Tcomplex": "complex128"}, id="RFFTND-float64-odd"),
    Case("IRFFTND", [c64(2, 3, 4), _i(3, 6), _i(1, 2)], _c2r, attrs={"Treal": "float32"},
         rtol=1e-4, atol=1e-5),
    Case("IRFFTND", [c64(4, 5), _i(3, 7), _i(0, 1)], _c2r, attrs={"Treal": "float32"},
         rtol=1e-4, atol=1e-5, id="IRFFTND-crops-odd"),
    Case("IRFFTND", [c128(2, 4), _i(2, 5), _i(0, 1)], _c2r, attrs={"Treal": "float64"},
         id="IRFFTND-complex128"),
]
