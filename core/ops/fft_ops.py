"""Fast Fourier transforms: FFT, IFFT, FFT2D/3D, IFFT2D/3D over the inner 1-3 dimensions of a
complex tensor, and RFFT, IRFFT, RFFT2D/3D, IRFFT2D/3D between real signals and their
non-negative-frequency half spectra, with TensorFlow's gradients (fft_ops.py); then the public
wrappers of tf.signal / tf.spectral (TF's Python wrappers pad a short input with tf.pad before
an RFFT, so the op's own zero-padding never needs a gradient)."""

from __future__ import annotations

import types

import numpy as np

from .. import dtypes as _dt
from ..graph import constant_value, convert_to_tensor
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import array_ops, concat_split_ops, pad_ops, slicing_ops
from ._math_util import _check_dtype, _scope
from ._util import const_ints
from .complex_ops import COMPLEX, real

# Public names at the root of ``minitf`` (TF1's tf.fft, tf.ifft, tf.fft2d, ..., tf.spectral).
__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "spectral"]

_COMPLEX = ("complex64", "complex128")
_REALS = ("float32", "float64")


def _axes(rank: int) -> tuple:
    return tuple(range(-rank, 0))


def _check_rank(x, rank: int, what: str = "input"):
    if x.shape.rank is not None and x.shape.rank < rank:
        raise shape_error(f"Shape must be at least rank {rank} but is rank {x.shape.rank} "
                          f"for {what}")


# -- FFT / IFFT (complex -> complex) --------------------------------------------------------------
def _fft_kernel(fn, rank):
    def kernel(x):
        if x.size == 0:  # numpy refuses a zero-length transform; TF returns the empty tensor
            return np.zeros(x.shape, x.dtype)
        return fn(x, axes=_axes(rank)).astype(x.dtype, copy=False)
    return kernel


def _fft_infer(rank):
    def infer(x):
        _check_dtype(x, _COMPLEX, "input")
        _check_rank(x, rank)
        return [TensorSpec(x.shape, x.dtype)]
    return infer


def _fft_size(t, rank: int):
    """The number of elements of ``t``'s inner ``rank`` dims, as t's real dtype (TF's
    _fft_size_for_grad): static when the shape is known."""
    from .math_ops import cast
    from .reduction_ops import reduce_prod

    dims = t.shape.as_tuple()
    if dims is not None and None not in dims[-rank:]:
        return array_ops.constant(float(np.prod(dims[-rank:], dtype=np.int64)),
                                  dtype=t.dtype.real_dtype)
    return cast(reduce_prod(array_ops.shape(t)[-rank:]), t.dtype.real_dtype)


def _to_complex(r, like):
    return COMPLEX(r, array_ops.zeros_like(r), Tout=like.dtype)


def _fft_op(type_, fn, rank, inverse):
    def grad(op, dy):
        """TF's: the gradient of FFT is IFFT(dy) * n, of IFFT FFT(dy) / n."""
        size = _fft_size(dy, rank)
        if inverse:
            return [FFTS[rank][0](dy) * _to_complex(1.0 / size, dy)]
        return [FFTS[rank][1](dy) * _to_complex(size, dy)]
    return register(OpDef(type_, inputs=["input:Tcomplex"], kernel=_fft_kernel(fn, rank),
                          infer=_fft_infer(rank), grad=grad))


FFT = _fft_op("FFT", np.fft.fftn, 1, False)
IFFT = _fft_op("IFFT", np.fft.ifftn, 1, True)
FFT2D = _fft_op("FFT2D", np.fft.fftn, 2, False)
IFFT2D = _fft_op("IFFT2D", np.fft.ifftn, 2, True)
FFT3D = _fft_op("FFT3D", np.fft.fftn, 3, False)
IFFT3D = _fft_op("IFFT3D", np.fft.ifftn, 3, True)
FFTS = {1: (FFT, IFFT), 2: (FFT2D, IFFT2D), 3: (FFT3D, IFFT3D)}


# -- RFFT / IRFFT (real <-> half spectrum) ------------------------------------------------------
def _check_fft_length(n, rank, type_):
    n = np.asarray(n)
    if n.shape != (rank,):
        raise shape_error(f"{type_}: fft_length must be a vector of {rank} values, got shape "
                          f"{list(n.shape)}")
    if np.any(n < 0):
        raise shape_error(f"{type_}: fft_length must be non-negative, got {n.tolist()}")
    return [int(v) for v in n]


def _rfft_kernel(type_, rank):
    def kernel(x, fft_length, *, Tcomplex):  # noqa: N803 - TensorFlow's attr name
        n = _check_fft_length(fft_length, rank, type_)
        _check_input_rank(x, rank)
        out_dims = x.shape[:-rank] + tuple(n[:-1]) + (n[-1] // 2 + 1 if n[-1] else 0,)
        if 0 in n or 0 in x.shape[:-rank]:
            return np.zeros(out_dims, Tcomplex.as_numpy_dtype)
        out = np.fft.rfftn(x, s=n, axes=_axes(rank))  # crops or zero-pads to fft_length
        return out.astype(Tcomplex.as_numpy_dtype, copy=False)
    return kernel


def _irfft_kernel(type_, rank):
    def kernel(x, fft_length, *, Treal):  # noqa: N803 - TensorFlow's attr name
        n = _check_fft_length(fft_length, rank, type_)
        _check_input_rank(x, rank)
        out_dims = x.shape[:-rank] + tuple(n)
        if 0 in n or 0 in x.shape:
            return np.zeros(out_dims, Treal.as_numpy_dtype)
        # numpy crops or zero-pads the inner dim to n // 2 + 1 and the others to n, as TF
        out = np.fft.irfftn(x, s=n, axes=_axes(rank))
        return out.astype(Treal.as_numpy_dtype, copy=False)
    return kernel


def _check_input_rank(x, rank):
    if x.ndim < rank:
        raise _invalid(f"Input must have rank of at least {rank} but got: {x.ndim}")


def _invalid(message):
    from ..errors import InvalidArgumentError

    return InvalidArgumentError(None, None, message)


def _spectrum_infer(rank, forward):
    def infer(x, fft_length, **attrs):
        out = attrs["Tcomplex" if forward else "Treal"]
        _check_dtype(x, _REALS if forward else _COMPLEX, "input")
        if (out.is_complex if forward else out.is_floating) is False or \
                out.real_dtype != x.dtype.real_dtype:
            raise shape_error(f"{'Tcomplex' if forward else 'Treal'}={out.name} does not match "
                              f"an input of type {x.dtype.name}")
        _check_rank(x, rank)
        if fft_length.shape.rank not in (None, 1) or \
                fft_length.shape.as_tuple() not in (None, (None,), (rank,)):
            raise shape_error(f"Shape must be [{rank}] but is {fft_length.shape} for "
                              "fft_length")
        n = const_ints(fft_length)
        if n is not None:
            n = _check_fft_length(n, rank, "fft_length")
            inner = n[:-1] + [n[-1] // 2 + 1 if forward and n[-1] else n[-1]]
        else:
            inner = [None] * rank
        if x.shape.rank is None:
            return [TensorSpec(None, out)]
        return [TensorSpec(TensorShape(x.shape.as_tuple()[:-rank] + tuple(inner)), out)]
    return infer


def _fit_inner(t, dims, rank: int):
    """``t`` with its inner ``rank`` dims cropped or zero-padded (at the end) to ``dims`` (an
    int32 vector): the adjoint of the op's own padding or cropping of its input."""
    shape = array_ops.shape(t)
    r = array_ops.size(shape)
    head = slicing_ops.slice_(shape, [0], array_ops.reshape(r - rank, [1]))
    inner = shape[-rank:]
    from .math_ops import maximum, minimum

    t = slicing_ops.slice_(t, array_ops.zeros_like(shape),
                           concat_split_ops.concat([head, minimum(inner, dims)], 0))
    pads = concat_split_ops.concat([array_ops.zeros_like(head), maximum(dims - inner, 0)], 0)
    return pad_ops.pad(t, concat_split_ops.stack([array_ops.zeros_like(pads), pads], 1))


def _rfft_grad(rank):
    def grad(op, dy):
        """Re(A^H dy) for A the RFFT: n * IFFT of dy zero-padded to the full spectrum, real
        part, fitted back to the input's shape. It is TF's 0.5 * (IRFFT(dy) * n + extra
        terms for the Hermitian pairs), written without the mask matrices."""
        x, fft_length = op.inputs
        n_last = fft_length[-1]
        half = array_ops.shape(dy)[-1]
        zeros = array_ops.zeros([rank, 1], _dt.int32)
        from .math_ops import maximum

        pad_last = array_ops.reshape(maximum(n_last - half, 0), [1, 1])
        inner_pads = concat_split_ops.concat(
            [zeros, concat_split_ops.concat([array_ops.zeros([rank - 1, 1], _dt.int32),
                                             pad_last], 0)], 1)
        outer = array_ops.reshape(array_ops.rank(dy) - rank, [1])
        pads = concat_split_ops.concat([array_ops.zeros(
            concat_split_ops.concat([outer, [2]], 0), _dt.int32), inner_pads], 0)
        full = pad_ops.pad(dy, pads)
        size = _fft_size(full, rank)
        g = real(FFTS[rank][1](full) * _to_complex(size, dy))
        return [_fit_inner(g, array_ops.shape(x)[-rank:], rank), None]
    return grad


def _irfft_grad(rank, rfft_op):
    def grad(op, dy):
        """TF's: RFFT(dy) / n with the Hermitian-paired bins doubled (mask [1, 2, ..., 2, 1],
        no last 1 for an odd length), fitted back to the input's shape."""
        from .math_ops import cast, floormod

        x, fft_length = op.inputs
        n_last = fft_length[-1]
        is_odd = floormod(n_last, 2)
        half = n_last // 2 + 1
        real_dtype = dy.dtype
        mask = concat_split_ops.concat([
            array_ops.ones([1], real_dtype),
            2.0 * array_ops.ones(array_ops.reshape(half - 2 + is_odd, [1]), real_dtype),
            array_ops.ones(array_ops.reshape(1 - is_odd, [1]), real_dtype)], 0)
        spectrum = rfft_op(dy, fft_length, Tcomplex=x.dtype)
        scale = cast(mask / _fft_size(dy, rank), x.dtype)
        return [_fit_inner(spectrum * scale, array_ops.shape(x)[-rank:], rank), None]
    return grad


def _rfft_op(type_, rank, grad):
    return register(OpDef(
        type_, inputs=["input:Treal", "fft_length:int32"], attrs={"Tcomplex": _dt.complex64},
        kernel=_rfft_kernel(type_, rank), infer=_spectrum_infer(rank, True), grad=grad))


def _irfft_op(type_, rank, grad):
    return register(OpDef(
        type_, inputs=["input:Tcomplex", "fft_length:int32"], attrs={"Treal": _dt.float32},
        kernel=_irfft_kernel(type_, rank), infer=_spectrum_infer(rank, False), grad=grad))


RFFT = _rfft_op("RFFT", 1, _rfft_grad(1))
RFFT2D = _rfft_op("RFFT2D", 2, _rfft_grad(2))
RFFT3D = _rfft_op("RFFT3D", 3, NO_GRADIENT)  # TF registers no gradient for the 3-D pair
IRFFT = _irfft_op("IRFFT", 1, _irfft_grad(1, RFFT))
IRFFT2D = _irfft_op("IRFFT2D", 2, _irfft_grad(2, RFFT2D))
IRFFT3D = _irfft_op("IRFFT3D", 3, NO_GRADIENT)


# == Public wrappers (TF1 names, signatures and default node names) ============================
def _complex_wrapper(opdef, default):
    def wrapper(input, name=None):  # noqa: A002 - TensorFlow's argument name
        with _scope(name, default, (input,)) as scope:  # a Python value: Const "<op>/input"
            return opdef(convert_to_tensor(input, preferred_dtype=_dt.complex64, name="input"),
                         name=scope)
    wrapper.__name__ = default.lower()
    wrapper.__doc__ = f"tf.signal.{default.lower()}: the {default} of the inner dimensions."
    return wrapper


fft = _complex_wrapper(FFT, "FFT")
ifft = _complex_wrapper(IFFT, "IFFT")
fft2d = _complex_wrapper(FFT2D, "FFT2D")
ifft2d = _complex_wrapper(IFFT2D, "IFFT2D")
fft3d = _complex_wrapper(FFT3D, "FFT3D")
ifft3d = _complex_wrapper(IFFT3D, "IFFT3D")


def _static_or_tensor_length(x, rank, fft_length, inverse):
    """TF's _infer_fft_length_for_(i)rfft: the inner dims (2 * (n - 1) for an inverse's last)."""
    if fft_length is not None:
        return convert_to_tensor(fft_length, dtype=_dt.int32)
    dims = x.shape.as_tuple()
    inner = None if dims is None else list(dims[-rank:])
    if inner is not None and None not in inner:
        if inverse and inner:
            inner[-1] = max(0, 2 * (inner[-1] - 1))
        return convert_to_tensor(np.array(inner, np.int32))
    from .math_ops import maximum

    n = array_ops.shape(x)[-rank:]
    if not inverse:
        return n
    last = maximum(0, 2 * (n[-1:] - 1))
    return concat_split_ops.concat([n[:-1], last], 0)


def _pad_for_rfft(x, rank, fft_length, inverse):
    """TF's _maybe_pad_for_rfft: zero-pad the inner dims up to fft_length (the last to
    fft_length // 2 + 1 for an inverse) so the op only ever crops."""
    from .math_ops import maximum

    dims = x.shape.as_tuple()
    if dims is not None and 0 in dims:
        return x
    n = constant_value(fft_length)
    n = None if n is None else [int(v) for v in np.reshape(n, -1)]
    if n is not None and dims is not None and None not in dims[-rank:]:
        if inverse:
            n = n[:-1] + [n[-1] // 2 + 1]
        pads = [[0, max(f - d, 0)] for f, d in zip(n, dims[-rank:])]
        if not any(p for _, p in pads):
            return x
        return pad_ops.pad(x, [[0, 0]] * (len(dims) - rank) + pads)
    if inverse:
        fft_length = concat_split_ops.concat([fft_length[:-1], fft_length[-1:] // 2 + 1], 0)
    outer = array_ops.zeros(array_ops.reshape(maximum(0, array_ops.rank(x) - rank), [1]),
                            _dt.int32)
    pads = concat_split_ops.concat(
        [outer, maximum(0, fft_length - array_ops.shape(x)[-rank:])], 0)
    return pad_ops.pad(x, concat_split_ops.stack([array_ops.zeros_like(pads), pads], 1))


def _rfft_wrapper(opdef, rank, default):
    def wrapper(input_tensor, fft_length=None, name=None):
        with _scope(name, default, (input_tensor,)) as scope:
            x = convert_to_tensor(input_tensor, preferred_dtype=_dt.float32)
            if x.dtype.name not in _REALS:
                raise ValueError(f"RFFT requires tf.float32 or tf.float64 inputs, got: {x}")
            x.shape.with_rank_at_least(rank)
            n = _static_or_tensor_length(x, rank, fft_length, False)
            x = _pad_for_rfft(x, rank, n, False)
            return opdef(x, n, Tcomplex=_dt.complex64 if x.dtype == _dt.float32 else
                         _dt.complex128, name=scope)
    wrapper.__name__ = default
    wrapper.__doc__ = f"tf.signal.{default}: the {opdef.type} of a real signal's inner dims."
    return wrapper


def _irfft_wrapper(opdef, rank, default):
    def wrapper(input_tensor, fft_length=None, name=None):
        with _scope(name, default, (input_tensor,)) as scope:
            x = convert_to_tensor(input_tensor, preferred_dtype=_dt.complex64)
            x.shape.with_rank_at_least(rank)
            if x.dtype.name not in _COMPLEX:
                raise ValueError(f"IRFFT requires tf.complex64 or tf.complex128 inputs, got: "
                                 f"{x}")
            n = _static_or_tensor_length(x, rank, fft_length, True)
            x = _pad_for_rfft(x, rank, n, True)
            return opdef(x, n, Treal=x.dtype.real_dtype, name=scope)
    wrapper.__name__ = default
    wrapper.__doc__ = f"tf.signal.{default}: the {opdef.type} of a half spectrum."
    return wrapper


rfft = _rfft_wrapper(RFFT, 1, "rfft")
irfft = _irfft_wrapper(IRFFT, 1, "irfft")
rfft2d = _rfft_wrapper(RFFT2D, 2, "rfft2d")
irfft2d = _irfft_wrapper(IRFFT2D, 2, "irfft2d")
rfft3d = _rfft_wrapper(RFFT3D, 3, "rfft3d")
irfft3d = _irfft_wrapper(IRFFT3D, 3, "irfft3d")


def _spectral_module():
    """TF1's tf.spectral: the FFT wrappers and tf.signal's dct/idct (looked up on first use:
    minitf.signal imports this module)."""
    module = types.ModuleType("minitf.spectral", "TF1's tf.spectral (now tf.signal).")
    names = ("fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d",
             "irfft2d", "rfft3d", "irfft3d")
    for n in names:
        setattr(module, n, globals()[n])

    def __getattr__(name):  # noqa: N807 - a module's attribute hook (PEP 562)
        if name in ("dct", "idct"):
            import importlib

            return getattr(importlib.import_module("minitf.signal"), name)
        raise AttributeError(f"module 'minitf.spectral' has no attribute {name!r}")
    module.__getattr__ = __getattr__
    module.__all__ = list(names) + ["dct", "idct"]
    return module


spectral = _spectral_module()
