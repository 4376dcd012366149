"""The range bookkeeping ops of TF1's eight-bit graphs, raw ops only (TF gives them no public
Python name; they are here so GraphDefs written by TF1's graph_transforms ``quantize_nodes``,
QuantizeV2 -> QuantizedConv2D -> RequantizationRange -> Requantize -> QuantizedRelu ->
Dequantize, import and run): QuantizeDownAndShrinkRange, Requantize, RequantizationRange and
QuantizedReshape. Each takes quantized integers with the float range they stand for.

The kernels follow TF 2.21's CPU kernels (quantize_down_and_shrink_range.cc, requantize.cc,
requantization_range_op.cc, quantized_reshape_op.cc): the qint32 -> quint8 requantization is
quantization_utils.h's fixed-point path (RequantizeManyInNewRangeUsingEigen<qint32, quint8>),
integer for integer, with its constants computed in the float/double mix TF computes them in
(and the int32 levels widened through float32, as Eigen's qint32 converts).
TF's CPU build registers kernels only for Tinput qint32 (out_type quint8) and, for
QuantizedReshape, quint8 and qint32; other types build, as in TF, and fail at run time with
TF's "No OpKernel was registered" error (a plain uint8 or int32 tensor given to
QuantizedReshape, whose T is unconstrained, cannot be told from quint8/qint32 by the kernel
and is reshaped).

TF registers no gradient for any of them: asking for one raises LookupError."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req
from ._conv_util import _require
from ._quantize_util import F32, LIMITS, f32, quantized_to_float, smin, with_rank
from .quantize_ops import _BY_STORAGE, _check_quantized
from .quantized_util import _to_int64, check_out_type, no_kernel, run_scalar, storage_type
from .shape_ops import _reshape_infer, _reshape_kernel

__all__: list = []  # raw ops: no public names

_FP_SHIFT = 16
_SCALARS = [TensorSpec([], _dt.float32), TensorSpec([], _dt.float32)]


def _wrap64(v: int) -> np.int64:
    """A Python int as the int64 C++ keeps of it (two's complement wrap-around)."""
    return np.int64(((int(v) + (1 << 63)) % (1 << 64)) - (1 << 63))


def requantize_32_to_8(x, min_input, max_input, min_output, max_output) -> np.ndarray:
    """RequantizeManyInNewRangeUsingEigen<qint32, quint8>: int32 levels of [min_input,
    max_input] as uint8 levels of [min_output, max_output], in 16.16 fixed point."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        input_range = f32(max_input - min_input)
        output_range = f32(max_output - min_output)
        zero = output_range == 0.0
        recip = F32(0) if zero else f32(255.0 / np.float64(output_range))
        rezero = f32(np.float64(f32(min_input + max_input)) / 2.0)
        # ``range == 0.0 ? 0.0 : static_cast<int64_t>(...)`` is a double: the truncated int64
        # goes through a double (rounded above 2^53) on its way to the int64 constant.
        scale_fp = 0 if zero else _to_int64(np.float64(_to_int64(
            255.0 * (1 << _FP_SHIFT) * np.float64(input_range) / np.float64(output_range))))
        input_offset = _to_int64(f32(f32(rezero * recip) * F32(1 << _FP_SHIFT)))
        output_offset = 0 if zero else _to_int64(
            (1 << _FP_SHIFT) * (np.float64(min_output) * 255.0) / np.float64(output_range))
    delta = _wrap64(input_offset - output_offset + (1 << (_FP_SHIFT - 1)))
    # ``cast<int64_t>()`` of a qint32 goes through its ``operator float``: 2^31 - 1 is 2^31.
    wide = np.asarray(x).astype(F32).astype(np.int64)
    with np.errstate(over="ignore"):  # int64 products and sums wrap, as TF's
        fp = ((wide * _wrap64(scale_fp)) >> 32) + delta
    return np.clip(fp >> _FP_SHIFT, 0, 255).astype(np.uint8)


def _used_range(q, lo, hi):
    """The float range qint32 values use, its minimum at most 0 (QuantizeDownAndShrinkRange's
    and RequantizationRange's); with no values, that of their starting points (the type's
    highest as the minimum, its lowest as the maximum)."""
    lowest, highest = LIMITS[_dt.qint32]
    q_min = q.min() if q.size else highest
    q_max = q.max() if q.size else lowest
    used_min = smin(F32(0), quantized_to_float(q_min, lo, hi, _dt.qint32)[()])
    return F32(used_min), quantized_to_float(q_max, lo, hi, _dt.qint32)[()]


def _check_32_to_8(op_type, x, out_type=None):
    """The one kernel TF's CPU build has (Tinput qint32, out_type quint8), or its error."""
    T = storage_type(x)
    attrs = {"Tinput": T} if out_type is None else {"Tinput": T, "out_type": out_type}
    if T is not _dt.qint32 or out_type not in (None, _dt.quint8):
        takes = "Tinput = qint32" if out_type is None else "(Tinput, out_type) = (qint32, quint8)"
        raise no_kernel(op_type, attrs, takes)
    return np.asarray(x)


def _text(v) -> str:
    """A float32 as TF's messages write it (FloatToBuffer: %.6g, or %.9g to read back)."""
    short = f"{v:.6g}"
    return short if F32(short) == v or np.isnan(v) else f"{v:.9g}"


def _ranges(values, names):
    return [run_scalar(v, f"`{n}` must be rank 0 but is rank {{rank}}")
            for v, n in zip(values, names)]


def _data_infer(x, *ranges, out_type):
    """QuantizeDownAndShrinkRange's and Requantize's shape function: the input's shape, scalar
    ranges in and out."""
    _check_quantized(x.dtype, "input")
    check_out_type(out_type, "out_type")
    for r in ranges:
        with_rank(r, 0)
    return [TensorSpec(x.shape, out_type), *_SCALARS]


# -- QuantizeDownAndShrinkRange -----------------------------------------------------------------
def _qdsr_kernel(input, input_min, input_max, *, out_type):  # noqa: A002
    x = _check_32_to_8("QuantizeDownAndShrinkRange", input, out_type)
    lo, hi = _ranges((input_min, input_max), ("input_min", "input_max"))
    out_min, out_max = _used_range(x, lo, hi)
    out = requantize_32_to_8(x, lo, hi, out_min, out_max) if x.size else \
        np.zeros(x.shape, np.uint8)
    return out, np.asarray(out_min, F32), np.asarray(out_max, F32)


QUANTIZE_DOWN_AND_SHRINK_RANGE = register(OpDef(
    "QuantizeDownAndShrinkRange",
    inputs=["input:Tinput", "input_min:float32", "input_max:float32"],
    attrs={"out_type": req("type")},
    kernel=_qdsr_kernel, infer=_data_infer, grad=NO_GRADIENT,
    doc="wide quantized values requantized into the range they actually use",
))


# -- Requantize ---------------------------------------------------------------------------------
def _requantize_kernel(input, input_min, input_max, requested_output_min,  # noqa: A002
                       requested_output_max, *, out_type):
    x = _check_32_to_8("Requantize", input, out_type)
    lo, hi, out_min, out_max = _ranges(
        (input_min, input_max, requested_output_min, requested_output_max),
        ("input_min", "input_max", "requested_output_min", "requested_output_max"))
    if not out_min <= 0.0:
        raise InvalidArgumentError(None, None, "requested_output_min must be <= 0, but got "
                                   f"{_text(out_min)}")
    if not out_max >= out_min:
        raise InvalidArgumentError(None, None, "requested_output_max must be >= "
                                   f"requested_output_min, but got {_text(out_max)} and "
                                   f"{_text(out_min)}")
    out = requantize_32_to_8(x, lo, hi, out_min, out_max) if x.size else \
        np.zeros(x.shape, np.uint8)
    return out, np.asarray(out_min, F32), np.asarray(out_max, F32)


REQUANTIZE = register(OpDef(
    "Requantize",
    inputs=["input:Tinput", "input_min:float32", "input_max:float32",
            "requested_output_min:float32", "requested_output_max:float32"],
    attrs={"out_type": req("type")},
    kernel=_requantize_kernel, infer=_data_infer, grad=NO_GRADIENT,
    doc="wide quantized values requantized into the requested range",
))


# -- RequantizationRange ------------------------------------------------------------------------
def _first(value, what):
    """``flat<float>()(0)`` after TF's check that there is one."""
    arr = np.asarray(value, F32)
    if arr.size == 0:
        raise InvalidArgumentError(None, None, f"Input {what} must not be empty.")
    return f32(arr.reshape(-1)[0])


def _range_kernel(input, input_min, input_max):  # noqa: A002
    x = _check_32_to_8("RequantizationRange", input)
    lo, hi = _first(input_min, "min"), _first(input_max, "max")
    out_min, out_max = _used_range(x, lo, hi)
    return np.asarray(out_min, F32), np.asarray(out_max, F32)


def _range_infer(x, input_min, input_max):
    _check_quantized(x.dtype, "input")
    with_rank(input_min, 0)
    with_rank(input_max, 0)
    return list(_SCALARS)


REQUANTIZATION_RANGE = register(OpDef(
    "RequantizationRange",
    inputs=["input:Tinput", "input_min:float32", "input_max:float32"],
    kernel=_range_kernel, infer=_range_infer, grad=NO_GRADIENT,
    doc="the float range quantized values actually use (its minimum at most 0)",
))


# -- QuantizedReshape ---------------------------------------------------------------------------
def _one_element(value, what):
    arr = np.asarray(value, F32)
    if not (arr.ndim == 0 or (arr.ndim == 1 and arr.shape[0] == 1)):
        raise InvalidArgumentError(None, None, f"{what} must be a scalar or a vector of 1 "
                                   "element")
    return f32(arr.reshape(-1)[0])


def _reshape_q_kernel(tensor, shape, input_min, input_max):
    x = np.asarray(tensor)
    T = _BY_STORAGE.get(x.dtype)
    if T not in (_dt.quint8, _dt.qint32):
        name = T.name if T is not None else _dt.from_numpy(x).name
        raise InvalidArgumentError(
            None, None, "No OpKernel was registered to support Op 'QuantizedReshape' with "
            f"these attrs: [T=DT_{name.upper()}]; its CPU kernels take T in [DT_QUINT8, "
            "DT_QINT32]")
    out = _reshape_kernel(x, np.asarray(shape))  # Reshape's checks and errors come first
    lo = _one_element(input_min, "input_min")
    hi = _one_element(input_max, "input_max")
    return out, np.asarray(lo, F32), np.asarray(hi, F32)


def _reshape_q_infer(tensor, shape, input_min, input_max):
    _require(shape, "shape", (_dt.int32, _dt.int64))
    (out,) = _reshape_infer(tensor, shape)
    with_rank(input_min, 0)
    with_rank(input_max, 0)
    return [out, *_SCALARS]


QUANTIZED_RESHAPE = register(OpDef(
    "QuantizedReshape",
    inputs=["tensor:T", "shape:Tshape=int32", "input_min:float32", "input_max:float32"],
    kernel=_reshape_q_kernel, infer=_reshape_q_infer, grad=NO_GRADIENT,
    doc="Reshape of quantized values; the range passes through",
))
