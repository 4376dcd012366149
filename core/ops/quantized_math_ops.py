"""TF 1.x's QuantizedMatMul and QuantizedBiasAdd, raw ops only (TF gives them no public Python
name; they are here so TF GraphDefs that hold them import and run). Like the ops of
quantized_nn_ops.py they take quantized integers with their float ranges and return an
(output, min, max) triple; the kernels follow TF 2.21's (quantized_matmul_op.cc,
quantized_bias_add_op.cc with quantization_utils.h's QuantizedAddUsingEigen) operation by
operation, for the types TF registers kernels for. TF registers no gradient for either."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req
from ._quantize_util import (F32, LIMITS, cmax, cmin, f32, ftz, merge_dims, round_half_away,
                             smax, smin, to_int, with_rank,
                             with_rank_at_least)
from .quantize_ops import _check_quantized, _min_first_to_float
from .quantized_util import (_shape_str, check_out_type, float_to_quantized, no_kernel,
                             range_for_multiplication, run_scalar, storage_type, to_int32,
                             unclamped_offset)

__all__: list = []  # raw ops: no public names


# -- QuantizedMatMul ----------------------------------------------------------------------------
def _matmul_kernel(a, b, min_a, max_a, min_b, max_b, *, Toutput, transpose_a, transpose_b,
                   Tactivation):
    a, b = np.asarray(a), np.asarray(b)
    T1, T2 = storage_type(a), storage_type(b)
    if (T1, T2, Toutput) != (_dt.quint8, _dt.quint8, _dt.qint32):
        raise no_kernel("QuantizedMatMul", {"T1": T1, "T2": T2, "Toutput": Toutput},
                        "(T1, T2, Toutput) = (quint8, quint8, qint32)")
    ranges = []
    for i, (v, what) in enumerate(((min_a, "min_a"), (max_a, "max_a"), (min_b, "min_b"),
                                   (max_b, "max_b"))):
        v = np.asarray(v, F32)
        if (v.ndim != 0) if i == 0 else (v.size != 1):  # TF reads the others' first element
            raise InvalidArgumentError(None, None, f"{what} must be a scalar, but got shape"
                                       f"{_shape_str(v.shape)}")
        ranges.append(f32(v.reshape(-1)[0]))
    lo_a, hi_a, lo_b, hi_b = ranges
    if not hi_a > lo_a:
        raise InvalidArgumentError(None, None, "max_a must be larger than min_a.")
    if not hi_b > lo_b:
        raise InvalidArgumentError(None, None, "max_b must be larger than min_b.")
    for i, m in enumerate((a, b)):
        if m.ndim != 2:
            raise InvalidArgumentError(None, None, f"In[{i}] is not a matrix")
    a2, b2 = (a.T if transpose_a else a), (b.T if transpose_b else b)
    if a2.shape[1] != b2.shape[0]:
        raise InvalidArgumentError(None, None, f"Matrix size-incompatible: In[0]: "
                                   f"{_shape_str(a.shape)}, In[1]: {_shape_str(b.shape)}")
    off_a = to_int32(unclamped_offset(lo_a, hi_a, T1))
    off_b = to_int32(unclamped_offset(lo_b, hi_b, T2))
    # gemmlowp: sum((a - off_a) * (b - off_b)) in int32 (kept mod 2**32 by int64 wrap-around)
    out = ((a2.astype(np.int64) - off_a) @ (b2.astype(np.int64) - off_b)).astype(np.int32)
    return (out, *range_for_multiplication(lo_a, hi_a, lo_b, hi_b, T1, T2, Toutput))


def _matmul_infer(a, b, *ranges, Toutput, transpose_a, transpose_b, Tactivation):
    for spec, what in ((a, "a"), (b, "b")):
        _check_quantized(spec.dtype, what)
    check_out_type(Toutput, "Toutput")
    check_out_type(Tactivation, "Tactivation")
    with_rank(a, 2)
    with_rank(b, 2)
    da = a.shape.as_tuple() if a.shape.rank is not None else (None, None)
    db = b.shape.as_tuple() if b.shape.rank is not None else (None, None)
    if transpose_a:
        da = da[::-1]
    if transpose_b:
        db = db[::-1]
    merge_dims(da[1], db[0])
    for r in ranges:
        with_rank(r, 0)
    return [TensorSpec([da[0], db[1]], Toutput), TensorSpec([], _dt.float32),
            TensorSpec([], _dt.float32)]


QUANTIZED_MATMUL = register(OpDef(
    "QuantizedMatMul",
    inputs=["a:T1", "b:T2", "min_a:float32", "max_a:float32", "min_b:float32",
            "max_b:float32"],
    attrs={"Toutput": _dt.qint32, "transpose_a": False, "transpose_b": False,
           "Tactivation": _dt.quint8},
    kernel=_matmul_kernel, infer=_matmul_infer, grad=NO_GRADIENT,
    doc="matrix product of quantized matrices, in int32 with their zero points",
))


# -- QuantizedBiasAdd ---------------------------------------------------------------------------
def _quantize_with_eigen(x, T, lo, hi):
    """QUANTIZE_WITH_EIGEN (FloatToQuantizedStruct): float32 values onto T's levels of
    [lo, hi], the range's minimum rounded to a level first."""
    lowest, highest = LIMITS[T]
    steps = float(1 << (8 * np.dtype(T._np).itemsize))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = f32(0.0 if hi == lo else (steps - 1.0) / np.float64(f32(hi - lo)))
        min_scaled = round_half_away(np.asarray(f32(lo * scale)))
        v = round_half_away(ftz(x * scale)) - f32(min_scaled - F32(lowest))
    lower = smax(F32(lowest), F32(-2.147483648e9))
    upper = smin(F32(highest), F32(2.147483520e9))
    return to_int(cmin(cmax(v, lower), upper), T)


def _bias_add_kernel(input, bias, min_input, max_input, min_bias, max_bias,  # noqa: A002
                     *, out_type):
    x, b = np.asarray(input), np.asarray(bias)
    T1, T2 = storage_type(x), storage_type(b)
    if (T1, T2, out_type) not in ((_dt.quint8, _dt.quint8, _dt.qint32),
                                  (_dt.qint8, _dt.qint8, _dt.qint32)):
        raise no_kernel("QuantizedBiasAdd", {"T1": T1, "T2": T2, "out_type": out_type},
                        "(T1, T2, out_type) = (quint8, quint8, qint32) or (qint8, qint8, qint32)")
    lo_x, hi_x, lo_b, hi_b = (run_scalar(v, f"{what} must be rank 0 but is rank {{rank}}")
                              for v, what in ((min_input, "min_input"),
                                              (max_input, "max_input"),
                                              (min_bias, "min_bias"), (max_bias, "max_bias")))
    if x.ndim < 2:
        raise InvalidArgumentError(None, None, "Input tensor must be at least 2D: "
                                   f"{_shape_str(x.shape)}")
    if b.ndim != 1:
        raise InvalidArgumentError(None, None, f"Biases must be 1D: {_shape_str(b.shape)}")
    if b.shape[0] != x.shape[-1]:
        raise InvalidArgumentError(None, None, "Must provide as many biases as the last "
                                   f"dimension of the input tensor: {_shape_str(b.shape)} vs. "
                                   f"{_shape_str(x.shape)}")
    # GetOutputMinAndMaxForQuantizedAdd: symmetric around 0, 2^17 times the widest input.
    with np.errstate(over="ignore"):
        hi = f32(smax(hi_x, smax(-lo_x, smax(hi_b, -lo_b))) * F32(1 << 17))
    lo = F32(-hi)
    if x.size == 0 or b.size == 0:
        return np.zeros(x.shape, np.int32), np.asarray(lo), np.asarray(hi)
    zero = np.int64(float_to_quantized(0.0, lo, hi, out_type))
    x_total = _quantize_with_eigen(_min_first_to_float(x, lo_x, hi_x, LIMITS[T1][0]),
                                   out_type, lo, hi)
    b_total = _quantize_with_eigen(_min_first_to_float(b, lo_b, hi_b, LIMITS[T2][0]),
                                   out_type, lo, hi)
    out = x_total.astype(np.int64) + (b_total.astype(np.int64) + zero)
    return out.astype(np.int32), np.asarray(lo), np.asarray(hi)  # int32 sums wrap


def _bias_add_infer(x, b, *ranges, out_type):
    _check_quantized(x.dtype, "input")
    _check_quantized(b.dtype, "bias")
    check_out_type(out_type, "out_type")
    with_rank_at_least(x, 2)
    with_rank(b, 1)
    if x.shape.rank is not None:
        merge_dims(x.shape.as_tuple()[-1], b.shape.as_tuple()[0] if b.shape.rank else None)
    for r in ranges:
        with_rank(r, 0)
    return [TensorSpec(x.shape, out_type), TensorSpec([], _dt.float32),
            TensorSpec([], _dt.float32)]


QUANTIZED_BIAS_ADD = register(OpDef(
    "QuantizedBiasAdd",
    inputs=["input:T1", "bias:T2", "min_input:float32", "max_input:float32",
            "min_bias:float32", "max_bias:float32"],
    attrs={"out_type": req("type")},
    kernel=_bias_add_kernel, infer=_bias_add_infer, grad=NO_GRADIENT,
    doc="quantized input plus a quantized bias on its last dimension, in a wide int32 range",
))
