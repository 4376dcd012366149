"""The N-dimensional FFTs: FFTND, IFFTND (complex -> complex), RFFTND (real -> half spectrum)
and IRFFTND (half spectrum -> real), each taking ``fft_length`` and ``axes`` inputs; then their
public wrappers tf.signal.fftnd / ifftnd / rfftnd / irfftnd (also at the root).

The kernels follow TF's FFTNBase: ``axes`` (negative ones count from the end) must be
successive, ascending and end at the last axis, so the transform is always over the inner
``len(axes)`` dims; those dims of the output are ``fft_length`` (``n // 2 + 1`` for RFFTND's
last). FFTND/IFFTND crop or zero-pad their input to ``fft_length``; RFFTND/IRFFTND only crop
(an input shorter than ``fft_length``, or than ``n // 2 + 1`` for IRFFTND's last dim, is an
error: TF's wrappers pad first). TF 2.21 has these kernels on GPU only, and registers no
gradient for any of the four (tf.gradients raises LookupError, as here).

Static shapes: TF's shape function gives the output the input's shape, even where the kernel
changes it; minitf infers the kernel's real output shape when fft_length and axes are constant,
and unknown inner dims otherwise."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import constant_value, convert_to_tensor
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from . import array_ops
from ._math_util import _check_dtype, _scope
from ._util import const_ints
from .fft_ops import _pad_for_rfft

__all__ = ["fftnd", "ifftnd", "rfftnd", "irfftnd"]

_COMPLEX = ("complex64", "complex128")
_REALS = ("float32", "float64")


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _checked_axes(axes, rank: int) -> list:
    """TF's FFTNBase checks of ``axes`` against an input of ``rank`` dims."""
    axes = np.asarray(axes)
    if axes.ndim != 1:
        raise _invalid(f"axes must be a vector, got shape {list(axes.shape)}")
    k = axes.shape[0]
    if rank < k:
        raise _invalid(f"Input must have rank of at least {k} but got: {rank}")
    if k == 0:
        raise _invalid("axes must name at least one axis to transform")
    norm = [int(a) + rank if a < 0 else int(a) for a in axes]
    for prev, cur in zip(norm, norm[1:]):
        if prev + 1 != cur:
            raise _invalid("axes must be successive and ascending.")
    if norm[-1] != rank - 1:
        raise _invalid("The last axis to perform transform on must be -1.")
    return norm


def _checked_lengths(fft_length, k: int) -> list:
    n = np.asarray(fft_length)
    if n.ndim != 1 or n.shape[0] != k:
        got = n.shape[0] if n.ndim == 1 else list(n.shape)
        raise _invalid(f"fft_length must have shape [{k}], but got: {got}.")
    for i, v in enumerate(n):
        if v < 0:
            raise _invalid(f"fft_length[{i}] must >= 0, but got: {int(v)}")
    return [int(v) for v in n]


def _out_inner(n: list, real: bool, forward: bool) -> list:
    if real and forward:
        return n[:-1] + [n[-1] // 2 + 1 if n[-1] else 0]
    return list(n)


def _fftnd_kernel(real: bool, forward: bool):
    def kernel(x, fft_length, axes, **attrs):
        axes_ = _checked_axes(axes, x.ndim)
        k = len(axes_)
        n = _checked_lengths(fft_length, k)
        if real:
            for i, length in enumerate(n):
                need = length // 2 + 1 if not forward and i == k - 1 else length
                index = x.ndim - k + i
                if x.shape[index] != 0 and x.shape[index] < need:
                    raise _invalid(f"Input dimension {index} must have length of at least "
                                   f"{need} but got: {x.shape[index]}")
        out_dtype = (attrs["Tcomplex"] if forward else attrs["Treal"]).as_numpy_dtype \
            if real else x.dtype
        out_shape = x.shape[:x.ndim - k] + tuple(_out_inner(n, real, forward))
        if x.size == 0 or 0 in out_shape:
            return np.zeros(out_shape, out_dtype)
        inner = list(range(x.ndim - k, x.ndim))
        if not real:
            fn = np.fft.fftn if forward else np.fft.ifftn
            return fn(x, s=n, axes=inner).astype(out_dtype, copy=False)
        if forward:  # crops to fft_length (the input is never shorter here)
            return np.fft.rfftn(x, s=n, axes=inner).astype(out_dtype, copy=False)
        # crops the outer dims to n and the last to n // 2 + 1; DC and Nyquist imaginary parts
        # are ignored, as pocketfft (numpy) and DUCC (TF) both do
        return np.fft.irfftn(x, s=n, axes=inner).astype(out_dtype, copy=False)
    return kernel


def _fftnd_infer(type_: str, real: bool, forward: bool):
    def infer(x, fft_length, axes, **attrs):
        if real:
            _check_dtype(x, _REALS if forward else _COMPLEX, "input")
            out = attrs["Tcomplex" if forward else "Treal"]
            if out.real_dtype != x.dtype.real_dtype:
                raise TypeError(f"{type_}: {'Tcomplex' if forward else 'Treal'}={out.name} "
                                f"does not match an input of type {x.dtype.name}")
        else:
            _check_dtype(x, _COMPLEX, "input")
            out = x.dtype
        for what, spec in (("fft_length", fft_length), ("axes", axes)):
            if spec.shape.rank not in (None, 1):
                raise shape_error(f"Shape must be rank 1 but is rank {spec.shape.rank} for "
                                  f"'{type_}' input '{what}'")
        k = axes.shape[0].value if axes.shape.rank == 1 else None
        dims = x.shape.as_tuple()
        if dims is None:
            return [TensorSpec(None, out)]
        if k is not None and len(dims) < k:
            raise shape_error(f"Shape must be at least rank {k} but is rank {len(dims)} for "
                              f"'{type_}' input 'input'")
        n, ax = const_ints(fft_length), const_ints(axes)
        if n is None or ax is None or len(n) != len(ax) or any(v < 0 for v in n):
            inner = [None] * (k if k is not None else len(dims))
            keep = dims[:len(dims) - len(inner)]
            return [TensorSpec(TensorShape(keep + tuple(inner)), out)]
        try:
            _checked_axes(ax, len(dims))
        except InvalidArgumentError as e:
            raise shape_error(f"{type_}: {e.message}") from None
        inner = tuple(_out_inner(n, real, forward))
        return [TensorSpec(TensorShape(dims[:len(dims) - len(n)] + inner), out)]
    return infer


def _fftnd_op(type_: str, real: bool, forward: bool):
    if not real:
        inputs, attrs = ["input:Tcomplex", "fft_length:int32", "axes:int32"], {}
    elif forward:
        inputs = ["input:Treal", "fft_length:int32", "axes:int32"]
        attrs = {"Tcomplex": _dt.complex64}
    else:
        inputs = ["input:Tcomplex", "fft_length:int32", "axes:int32"]
        attrs = {"Treal": _dt.float32}
    return register(OpDef(type_, inputs=inputs, attrs=attrs,
                          kernel=_fftnd_kernel(real, forward),
                          infer=_fftnd_infer(type_, real, forward),
                          grad=NO_GRADIENT))  # TF registers none for the ND family


FFTND = _fftnd_op("FFTND", False, True)
IFFTND = _fftnd_op("IFFTND", False, False)
RFFTND = _fftnd_op("RFFTND", True, True)
IRFFTND = _fftnd_op("IRFFTND", True, False)


# == Public wrappers (TF's _fftn_wrapper and siblings, step by step) ============================
def _axes_tensor(x, axes):
    """TF's _process_empty_axes: every axis of the input by default."""
    if axes is None:
        if x.shape.rank is None:
            raise ValueError("fftnd's default axes need an input of known rank")
        return convert_to_tensor(np.arange(x.shape.rank, dtype=np.int32))
    return convert_to_tensor(axes, _dt.int32)


def _default_length(x, inverse: bool):
    """TF's _infer_fft_length_for_fftn (the whole shape, as a tensor) and
    _infer_fft_length_for_irfftn (the static shape, the last dim as 2 * (n - 1))."""
    if not inverse:
        return array_ops.shape(x)
    dims = x.shape.as_list() if x.shape.rank else None
    if dims is None or None in dims:
        raise TypeError(f"irfftnd without fft_length needs the input's shape known statically, "
                        f"got {x.shape}")
    dims[-1] = max(0, 2 * (dims[-1] - 1))
    return convert_to_tensor(np.array(dims, np.int32))


def _normalize(x, fft_length, norm, forward: bool):
    """TF's norm handling: "forward" and "ortho" scale the input by the product of the
    (static) lengths before the op; anything else leaves it as "backward"."""
    static = constant_value(fft_length)
    if norm is None or norm == "backward":
        return x
    if static is None:
        raise TypeError(f"norm={norm!r} needs fft_length known at graph construction")
    n = 1
    for v in np.reshape(static, -1):
        n *= int(v)
    scale = {"forward": float(n), "ortho": float(np.sqrt(n))}.get(norm)
    if scale is None:
        return x
    scale = array_ops.constant(scale, x.dtype)
    return x / scale if forward else x * scale


def _wrapper(opdef, default: str, real: bool, forward: bool):
    def wrapper(input_tensor, fft_length=None, axes=None, norm=None, name=None):
        with _scope(name, default, (input_tensor,)) as scope:
            preferred = _dt.float32 if real and forward else _dt.complex64
            x = convert_to_tensor(input_tensor, preferred_dtype=preferred)
            if real and forward and x.dtype.name not in _REALS:
                raise ValueError(f"RFFT requires tf.float32 or tf.float64 inputs, got: {x}")
            if real and not forward and x.dtype.name not in _COMPLEX:
                raise ValueError(f"IRFFT requires tf.complex64 or tf.complex128 inputs, got: "
                                 f"{x}")
            axes_t = _axes_tensor(x, axes)
            k = axes_t.shape[0].value
            if k is not None:
                x.shape.with_rank_at_least(k)
            if fft_length is None:
                n = _default_length(x, real and not forward)
            else:
                n = convert_to_tensor(fft_length, _dt.int32)
            pad_rank = n.shape[0].value if n.shape.rank == 1 else None
            pad_rank = pad_rank if pad_rank is not None else k
            if pad_rank:
                x = _pad_for_rfft(x, pad_rank, n, real and not forward)
            x = _normalize(x, n, norm, forward)
            if not real:
                return opdef(x, n, axes_t, name=scope)
            if forward:
                tc = _dt.complex64 if x.dtype == _dt.float32 else _dt.complex128
                return opdef(x, n, axes_t, Tcomplex=tc, name=scope)
            return opdef(x, n, axes_t, Treal=x.dtype.real_dtype, name=scope)
    wrapper.__name__ = default
    wrapper.__doc__ = (f"tf.signal.{default}: the {opdef.type} over the inner dims named by "
                       "``axes`` (default: all), to ``fft_length`` (default: the input's "
                       "shape); ``norm`` is \"backward\" (default), \"forward\" or \"ortho\".")
    return wrapper


fftnd = _wrapper(FFTND, "fftnd", False, True)
ifftnd = _wrapper(IFFTND, "ifftnd", False, False)
rfftnd = _wrapper(RFFTND, "rfftnd", True, True)
irfftnd = _wrapper(IRFFTND, "irfftnd", True, False)
