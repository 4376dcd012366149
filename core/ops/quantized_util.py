"""What TF's quantized nn/math kernels share (quantization_utils.h), for quantized_nn_ops.py
and quantized_math_ops.py: ``FloatToQuantizedUnclamped`` / ``FloatToQuantized`` (a float
placed on a range's integer levels, in double precision as TF does),
``QuantizationRangeForMultiplication`` (the range of a product of two quantized values), the
int32 wrap-around of TF's accumulators, and the run-time checks and "no kernel" error of
their kernels.

Scalars follow TF's CPU build: float inputs with denormals read as zero (DAZ), float results
flushed (FTZ), a double out of int64's range (or NaN) converted to INT64_MIN (cvttsd2si)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ._quantize_util import F32, LIMITS, f32, round_half_away
from .quantize_ops import _BY_STORAGE

_INT64_MIN = -(1 << 63)
_QUANTIZED_NAMES = "qint8, quint8, qint32, qint16, quint16"


def storage_type(value) -> _dt.DType:
    """The quantized type of a kernel's input, from its storage integers (int8 -> qint8)."""
    return _BY_STORAGE[np.asarray(value).dtype]


def check_out_type(dtype: _dt.DType, attr: str) -> None:
    """A type attr limited to the quantized types (TF's op_def_library message)."""
    if dtype not in LIMITS:
        raise TypeError(f"Value passed to parameter '{attr}' has DataType {dtype.name} not in "
                        f"list of allowed values: {_QUANTIZED_NAMES}")


def no_kernel(op: str, attrs: dict, takes: str) -> InvalidArgumentError:
    """TF's error (at run time) for a type combination its CPU build has no kernel for."""
    listed = ", ".join(f"{k}=DT_{v.name.upper()}" for k, v in attrs.items())
    return InvalidArgumentError(None, None, f"No OpKernel was registered to support Op '{op}' "
                                f"with these attrs: [{listed}]; its CPU kernels take {takes}")


def _shape_str(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def run_scalar(value, message: str):
    """A kernel's float32 scalar input (flushed), or InvalidArgumentError with ``message``
    (formatted with the value's ``rank`` and ``shape``) when it is not rank 0."""
    arr = np.asarray(value, F32)
    if arr.ndim != 0:
        raise InvalidArgumentError(None, None, message.format(rank=arr.ndim,
                                                              shape=_shape_str(arr.shape)))
    return f32(arr)


def to_int32(v: int) -> int:
    """An integer's low 32 bits as a signed int32 (C++'s narrowing on x86)."""
    return ((int(v) + (1 << 31)) % (1 << 32)) - (1 << 31)


def _to_int64(d) -> int:
    """``static_cast<int64_t>(double)``: truncation; NaN or out of range gives INT64_MIN."""
    d = float(d)
    if not (-9.223372036854775808e18 <= d < 9.223372036854775808e18):
        return _INT64_MIN
    return int(d)


def unclamped_offset(lo, hi, T: _dt.DType, value: float = 0.0) -> int:
    """``FloatToQuantizedUnclamped<T>(value, lo, hi)`` as the int64 TF computes: the level of
    ``value`` in the range, from the range's width times 2^bits / (2^bits - 1), in doubles."""
    lowest = LIMITS[T][0]
    lo, hi = f32(lo), f32(hi)
    if lo == hi:
        return lowest
    steps = 1 << (8 * np.dtype(T._np).itemsize)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        width = np.float64(f32(hi - lo)) * (steps / (steps - 1.0))
        scale = np.float64(steps) / width
        q = (round_half_away(np.asarray(np.float64(value) * scale))
             - round_half_away(np.asarray(np.float64(lo) * scale)))
    # No wrap-around: TF's build folds ``max(q + lowest, lowest)`` as if the sum could not
    # overflow (signed overflow is undefined), so INT64_MIN + lowest still clamps to lowest.
    return _to_int64(q) + lowest


def float_to_quantized(value, lo, hi, T: _dt.DType) -> int:
    """``FloatToQuantized<T>``: the unclamped level clamped into T's range."""
    lowest, highest = LIMITS[T]
    return min(max(unclamped_offset(lo, hi, T, float(f32(value))), lowest), highest)


def _one_level(lo, hi, T):
    """``FloatForOneQuantizedLevel<T>``: the range's width over the type's number of steps."""
    lowest, highest = LIMITS[T]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return f32(f32(hi - lo) / F32(highest - lowest))


def range_for_multiplication(min_a, max_a, min_b, max_b, T1, T2, T3):
    """``QuantizationRangeForMultiplication``: one level of a times one of b, times T3's
    lowest and highest (as floats: qint32's highest rounds to 2^31)."""
    lowest, highest = LIMITS[T3]
    with np.errstate(over="ignore", invalid="ignore"):
        level = f32(_one_level(min_a, max_a, T1) * _one_level(min_b, max_b, T2))
        return (np.asarray(f32(level * F32(lowest)), F32),
                np.asarray(f32(level * F32(highest)), F32))
