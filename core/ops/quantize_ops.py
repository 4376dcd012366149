"""TF 1.x's quantized tensors: QuantizeV2 (float -> qint8/quint8/qint16/quint16/qint32 and the
float range the integers stand for), Dequantize (back to float) and QuantizedConcat (concat
that requantizes its inputs into one common range), with the wrappers ``tf.quantize``,
``tf.quantize_v2``, ``tf.dequantize`` and ``tf.quantized_concat`` (also in tf.quantization).

A quantized tensor's value is an array of its storage integers (int8 for qint8...), as TF's
Session.run returns it; see dtypes.py. The kernels follow TF 2.21's CPU kernels
(quantize_op.cc, dequantize_op.cc, quantized_concat_op.cc) operation by operation in float32,
so their bits match TF's (checked side by side in tests/core/test_quantize_ops.py).

None of these ops has a gradient in TF: asking for one through their float inputs or outputs
raises LookupError (quantized tensors themselves are not backpropagated)."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, UnimplementedError
from ..graph import Tensor, convert_to_tensor, name_scope
from ..opdef import NO_GRADIENT, OpDef, TensorSpec, register, req, shape_error
from ._quantize_util import (F32, FLT_MAX, LIMITS, cmax, cmin, f32, ftz, minmax_shape,
                             round_half_away, smax, smin, to_int, to_int_rounded, with_rank)
from .concat_split_ops import _concat_infer

__all__ = ["quantize", "quantize_v2", "dequantize", "quantized_concat"]

_MODES = ("MIN_COMBINED", "MIN_FIRST", "SCALED")
_BY_STORAGE = {np.dtype(d._np): d for d in LIMITS}  # int8 -> qint8 ... (a kernel sees ints)
_ALLOWED_Q = "qint8, quint8, qint32, qint16, quint16"

QuantizeV2 = collections.namedtuple("QuantizeV2", ["output", "output_min", "output_max"])
QuantizedConcat = collections.namedtuple("QuantizedConcat",
                                         ["output", "output_min", "output_max"])


def _check_choice(op_type, name, value, allowed):
    if value not in allowed:
        raise shape_error(f"Attr '{name}' of '{op_type}' Op passed string '{value}' not in: "
                          + ", ".join(f'"{a}"' for a in allowed) + ".")


def _check_quantized(dtype, what):
    if dtype not in LIMITS:
        raise TypeError(f"Value passed to parameter '{what}' has DataType {dtype.name} not in "
                        f"list of allowed values: {_ALLOWED_Q}")


def _split_slices(x: np.ndarray, axis: int):
    """``x`` as (pre, slices, post), TF's ``flat_inner_outer_dims(axis - 1)``."""
    pre = int(np.prod(x.shape[:axis], dtype=np.int64))
    return x.reshape(pre, x.shape[axis], -1)


# -- QuantizeV2 ---------------------------------------------------------------------------------
def _adjusted_range(lo, hi, ensure_minimum_range):
    """QuantizeV2's range: min widened to include 0, max at least ``ensure_minimum_range`` (of
    the larger magnitude, at least 1) above it and at least 0."""
    if hi < lo:
        raise InvalidArgumentError(None, None, "input_max_range must be larger than "
                                   "input_min_range.")
    min_range = smin(F32(0), lo)
    eps = f32(smax(F32(1), smax(abs(lo), abs(hi))) * F32(ensure_minimum_range))
    return min_range, smax(F32(0), smax(hi, f32(min_range + eps)))


def _quantize_slice(x, lo, hi, T, mode, round_mode, narrow_range, ensure, whole=True):
    """QuantizeV2Op::QuantizeSlice (MIN_COMBINED and SCALED): (ints, out_min, out_max).
    ``whole``: the whole tensor, which Eigen converts in packets (see ``to_int_rounded``)."""
    min_range, max_range = _adjusted_range(lo, hi, ensure)
    lowest, highest = LIMITS[T]
    if mode == "MIN_COMBINED":
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            scale = f32(np.float64(highest - lowest) / np.float64(f32(max_range - min_range)))
            shifted = ftz(ftz(cmax(cmin(x, max_range), min_range) - min_range)
                          * scale)
        if lowest < 0:  # round half away from zero after centring on the signed range
            half = F32((highest - lowest + 1) / 2.0)
            return (to_int_rounded(round_half_away(shifted - half), T, 8 if whole else 0),
                    min_range, max_range)
        return to_int(shifted + F32(0.5), T), min_range, max_range  # unsigned: +0.5, truncate
    # SCALED: symmetric around 0, the scale set by whichever side of the range needs it.
    min_out, max_out = F32(lowest + (1 if narrow_range else 0)), F32(highest)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        from_min = f32(min_out / min_range) if f32(min_out * min_range) > 0 else FLT_MAX
        from_max = f32(max_out / max_range) if f32(max_out * max_range) > 0 else FLT_MAX
        scale = smin(from_min, from_max)
        min_range, max_range = f32(min_out / scale), f32(max_out / scale)
        scaled = ftz(cmax(cmin(x, max_range), min_range) * scale)
    if round_mode == "HALF_TO_EVEN":
        return to_int_rounded(np.rint(scaled), T, 32 if whole else 0), min_range, max_range
    return to_int_rounded(round_half_away(scaled), T, 8 if whole else 0), min_range, max_range


def _quantize_min_first(x, lo, hi, T, ensure):
    """FloatTensorToQuantizedInPlaceUsingEigen: the range's minimum rounded to a level first."""
    min_range, max_range = _adjusted_range(lo, hi, ensure)
    return _min_first_levels(x, min_range, max_range, T), min_range, max_range


def _min_first_levels(x, min_range, max_range, T):
    """QUANTIZE_WITH_EIGEN of float32 ``x`` over [min_range, max_range] as ``T``'s levels."""
    lowest, highest = LIMITS[T]
    steps = float(1 << (8 * np.dtype(T._np).itemsize))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = f32(0.0 if max_range == min_range else
                    (steps - 1.0) / np.float64(f32(max_range - min_range)))
        min_scaled = round_half_away(np.asarray(f32(min_range * scale)))
        v = round_half_away(ftz(x * scale)) - f32(min_scaled - F32(lowest))
    lower = smax(F32(lowest), F32(-2.147483648e9))
    upper = smin(F32(highest), F32(2.147483520e9))
    return to_int(cmin(cmax(v, lower), upper), T)


def _quantize_kernel(x, min_range, max_range, *, T, mode, round_mode, narrow_range, axis,
                     ensure_minimum_range):
    if round_mode == "HALF_TO_EVEN" and mode != "SCALED":
        raise InvalidArgumentError(None, None, "Round mode 'HALF_TO_EVEN' only supported for "
                                   f"mode 'SCALED', but mode is '{mode}'.")
    x = ftz(np.asarray(x, F32))  # DAZ: denormal inputs are zeros
    lo, hi = ftz(np.asarray(min_range, F32)), ftz(np.asarray(max_range, F32))
    slices = 1
    if axis > -1:
        if x.ndim <= axis:
            raise InvalidArgumentError(
                None, None, "Axis is on a zero-based index, so its value must always be less "
                f"than number of input's dims, but given axis value was {axis} and input's dims "
                f"was {x.ndim}")
        slices = x.shape[axis]
        for name, v in (("min_range", lo), ("max_range", hi)):
            if v.ndim != 1:
                raise InvalidArgumentError(
                    None, None, f"If axis is specified, {name} must be a 1-D tensor whose size "
                    f"matches the axis dimension of the input and output tensors, but {name} "
                    f"dims are {v.ndim}")
            if v.shape[0] != slices:
                raise InvalidArgumentError(
                    None, None, f"If axis is specified, {name} must be a 1-D tensor whose size "
                    f"matches the axis dimension of the input and output tensors, but {name} "
                    f"is a 1-D tensor of size {v.shape[0]} and input's axis dimension is of "
                    f"size {slices}")
    else:
        for name, v in (("min_range", lo), ("max_range", hi)):
            if v.size != 1:
                raise InvalidArgumentError(
                    None, None, f"If axis is not specified, {name} must contain a single float "
                    f"element, but it contains {v.size} elements")
    if slices == 1:  # one range (also a one-slice axis: TF then gives scalar min and max)
        lo1, hi1 = lo.reshape(-1)[0], hi.reshape(-1)[0]
        if mode == "MIN_FIRST":
            q, mn, mx = _quantize_min_first(x, lo1, hi1, T, ensure_minimum_range)
        else:
            q, mn, mx = _quantize_slice(x, lo1, hi1, T, mode, round_mode, narrow_range,
                                        ensure_minimum_range)
        return q, np.asarray(mn, F32), np.asarray(mx, F32)
    if mode == "MIN_FIRST":
        raise UnimplementedError(None, None, "MIN_FIRST mode is not implemented for Quantize "
                                 "with axis != -1.")
    x3 = _split_slices(x, axis)
    out = np.empty(x3.shape, T._np)
    mins, maxs = np.empty(slices, F32), np.empty(slices, F32)
    for i in range(slices):
        out[:, i], mins[i], maxs[i] = _quantize_slice(
            x3[:, i], lo[i], hi[i], T, mode, round_mode, narrow_range, ensure_minimum_range,
            whole=False)
    return out.reshape(x.shape), mins, maxs


def _quantize_infer(x, min_range, max_range, *, T, mode, round_mode, narrow_range, axis,
                    ensure_minimum_range):
    _check_choice("QuantizeV2", "mode", mode, _MODES)
    _check_choice("QuantizeV2", "round_mode", round_mode, ("HALF_AWAY_FROM_ZERO", "HALF_TO_EVEN"))
    _check_quantized(T, "T")
    if axis < -1:
        raise shape_error(f"axis should be at least -1, got {axis}")
    mm = minmax_shape([min_range, max_range], axis, x, merge=False)
    return [TensorSpec(x.shape, T), TensorSpec(mm, _dt.float32), TensorSpec(mm, _dt.float32)]


QUANTIZE_V2 = register(OpDef(
    "QuantizeV2", inputs=["input:float32", "min_range:float32", "max_range:float32"],
    attrs={"T": req("type"), "mode": "MIN_COMBINED", "round_mode": "HALF_AWAY_FROM_ZERO",
           "narrow_range": False, "axis": -1, "ensure_minimum_range": 0.01},
    kernel=_quantize_kernel, infer=_quantize_infer, grad=NO_GRADIENT,
    doc="float input as quantized integers of type T, and the float range they represent",
))


def _normalize_axis(x, axis):
    """TF's wrappers: None is -1; a negative axis counts from the end of a known rank."""
    if axis is None:
        return -1
    if axis < 0:
        if x.shape.rank is None:
            raise ValueError("input should have known rank to use negative axis.")
        axis %= x.shape.rank
    return axis


def quantize_v2(input, min_range, max_range, T, mode="MIN_COMBINED", name=None,  # noqa: A002
                round_mode="HALF_AWAY_FROM_ZERO", narrow_range=False, axis=None,
                ensure_minimum_range=0.01) -> QuantizeV2:
    """``tf.quantize_v2`` (deprecated in TF for ``tf.quantization.quantize``): a QuantizeV2
    node; returns its (output, output_min, output_max)."""
    with name_scope(name, "QuantizeV2", [input, min_range, max_range]) as scope:
        if isinstance(input, Tensor) or hasattr(input, "_as_tensor"):
            x = input  # another dtype is the op's TypeError, as TF's op_def_library gives
        else:
            x = convert_to_tensor(input, dtype=_dt.float32, name="input")  # scope/input
        axis = _normalize_axis(x, axis)
        return QuantizeV2(*QUANTIZE_V2(x, min_range, max_range, T=T, mode=mode,
                                       round_mode=round_mode, narrow_range=narrow_range,
                                       axis=axis, ensure_minimum_range=ensure_minimum_range,
                                       name=scope))


def quantize(input, min_range, max_range, T, mode="MIN_COMBINED",  # noqa: A002
             round_mode="HALF_AWAY_FROM_ZERO", name=None, narrow_range=False, axis=None,
             ensure_minimum_range=0.01) -> QuantizeV2:
    """``tf.quantization.quantize`` (TF1 also ``tf.quantize``): QuantizeV2 with TF2's argument
    order (round_mode before name)."""
    return quantize_v2(input, min_range, max_range, T, mode=mode, name=name,
                       round_mode=round_mode, narrow_range=narrow_range, axis=axis,
                       ensure_minimum_range=ensure_minimum_range)


# -- Dequantize ---------------------------------------------------------------------------------
def _dequantize_slice(q, lo, hi, T, mode, narrow_range):
    lowest, highest = LIMITS[T]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if mode == "MIN_COMBINED":
            half = F32(0) if lowest == 0 else F32((F32(highest) - F32(lowest) + F32(1)) / F32(2))
            scale = f32(f32(hi - lo) / F32(F32(highest) - F32(lowest)))
            return ftz(ftz((q.astype(F32) + half) * scale) + lo)
        if mode == "SCALED":
            if lowest == 0:
                scale = f32(hi / F32(highest))
            else:
                scale = smax(f32(lo / F32(lowest + (1 if narrow_range else 0))),
                             f32(hi / F32(highest)))
            return ftz(q.astype(F32) * scale)
        # MIN_FIRST: QuantizedToFloatStruct, the range's minimum rounded to a level.
        return _min_first_to_float(q, lo, hi, lowest)


def _min_first_to_float(q, lo, hi, lowest):
    """DEQUANTIZE_WITH_EIGEN (QuantizedToFloatStruct): the range's minimum rounded to a
    level, then ``offset + q * scale`` in float32."""
    steps = float(1 << (8 * q.dtype.itemsize))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = f32(np.float64(f32(hi - lo)) / (steps - 1.0))
        rounded = lo if hi == lo else \
            f32(round_half_away(np.asarray(f32(lo / scale))) * scale)
        return ftz(f32(rounded - f32(F32(lowest) * scale)) + ftz(q.astype(F32) * scale))


def _dequantize_kernel(x, min_range, max_range, *, mode, narrow_range, axis, dtype):
    q = np.asarray(x)
    T = _BY_STORAGE[q.dtype]
    lo, hi = ftz(np.asarray(min_range, F32)), ftz(np.asarray(max_range, F32))
    if not axis < q.ndim:
        raise InvalidArgumentError(None, None, f"Axis must be less than input dimension("
                                   f"{q.ndim}), got {axis}")
    slices = q.shape[axis] if axis > -1 else 1
    for name, v in (("input_min_tensor", lo), ("input_max_tensor", hi)):
        if v.size != slices:
            raise InvalidArgumentError(
                None, None, f"{name} must have as many elements as input on the "
                f"dequantization axis ({axis}), got {v.size}, expected {slices}")
    if slices == 1:
        lo1, hi1 = lo.reshape(-1)[0], hi.reshape(-1)[0]
        return np.asarray(_dequantize_slice(q, lo1, hi1, T, mode, narrow_range), F32)
    if mode == "MIN_FIRST":
        raise UnimplementedError(None, None, "MIN_FIRST mode is not implemented for Dequantize "
                                 "with axis != -1.")
    q3 = _split_slices(q, axis)
    out = np.empty(q3.shape, F32)
    for i in range(slices):
        out[:, i] = _dequantize_slice(q3[:, i], lo[i], hi[i], T, mode, narrow_range)
    return out.reshape(q.shape)


def _dequantize_infer(x, min_range, max_range, *, mode, narrow_range, axis, dtype):
    _check_choice("Dequantize", "mode", mode, _MODES)
    _check_quantized(x.dtype, "input")
    if dtype != _dt.float32:  # TF also allows bfloat16, which minitf has not
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not in "
                        "list of allowed values: bfloat16, float32")
    if axis < -1:
        raise shape_error(f"axis should be at least -1, got {axis}")
    if x.shape.rank is not None and axis > x.shape.rank:
        raise shape_error(f"Axis must be less than input dimension({x.shape.rank}), got {axis}")
    minmax_shape([min_range, max_range], axis, x, merge=False)
    return [TensorSpec(x.shape, dtype)]


DEQUANTIZE = register(OpDef(
    "Dequantize", inputs=["input:T", "min_range:float32", "max_range:float32"],
    attrs={"mode": "MIN_COMBINED", "narrow_range": False, "axis": -1, "dtype": _dt.float32},
    kernel=_dequantize_kernel, infer=_dequantize_infer, grad=NO_GRADIENT,
    doc="quantized integers back to the floats of their range",
))


def dequantize(input, min_range, max_range, mode="MIN_COMBINED", name=None,  # noqa: A002
               axis=None, narrow_range=False, dtype=_dt.float32):
    """``tf.quantization.dequantize`` (TF1 also ``tf.dequantize``): a Dequantize node."""
    with name_scope(name, "Dequantize", [input, min_range, max_range]) as scope:
        x = convert_to_tensor(input, name="input")
        axis = _normalize_axis(x, axis)
        return DEQUANTIZE(x, min_range, max_range, mode=mode, narrow_range=narrow_range,
                          axis=axis, dtype=dtype, name=scope)


# -- QuantizedConcat ----------------------------------------------------------------------------
def _requantize(q, T, in_min, in_max, out_min, out_max):
    """RequantizeCopier: DEQUANTIZE_WITH_EIGEN then QUANTIZE_WITH_EIGEN, in float32."""
    as_float = _min_first_to_float(q, in_min, in_max, LIMITS[T][0])
    return _min_first_levels(as_float, out_min, out_max, T)


def _shape_str(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _quantized_concat_kernel(concat_dim, values, input_mins, input_maxes):
    values = [np.asarray(v) for v in values]
    T = _BY_STORAGE[values[0].dtype]
    if T not in (_dt.quint8, _dt.qint32):  # the op takes any type; TF's kernels two
        raise InvalidArgumentError(
            None, None, "No OpKernel was registered to support Op 'QuantizedConcat' with these "
            f"attrs: [N={len(values)}, T=DT_{T.name.upper()}]; its kernels take T in "
            "[DT_QINT32, DT_QUINT8]")
    dim = np.asarray(concat_dim)
    if dim.ndim != 0:
        raise InvalidArgumentError(None, None, "Concat dim tensor should be a scalar integer, "
                                   f"but got shape {_shape_str(dim.shape)}")
    dim = int(dim)
    rank = values[0].ndim
    if not 0 <= dim < rank:
        raise InvalidArgumentError(None, None, "ConcatOp : Expected concatenating dimensions in "
                                   f"the range [0, {rank}), but got {dim}")
    lo_all, hi_all, ranges = FLT_MAX, F32(-FLT_MAX), []
    for i, (mn, mx) in enumerate(zip(input_mins, input_maxes)):
        for name, v in (("input_mins", mn), ("input_maxes", mx)):
            if np.size(v) != 1:
                raise InvalidArgumentError(
                    None, None, f"{name} each tensor's num elements must be 1, given num "
                    f"elements {np.size(v)} in index {i}")
        mn, mx = f32(np.reshape(mn, -1)[0]), f32(np.reshape(mx, -1)[0])
        ranges.append((mn, mx))
        lo_all, hi_all = smin(lo_all, mn), smax(hi_all, mx)
    lo_all = smin(F32(0), lo_all)
    if LIMITS[T][0] < 0:  # signed: a range symmetric around zero
        largest = smax(abs(lo_all), abs(hi_all))
        out_min, out_max = F32(-largest), F32(largest)
    else:
        out_min, out_max = F32(lo_all), F32(hi_all)
    s0 = values[0].shape
    for i, v in enumerate(values):
        if v.ndim != rank:
            raise InvalidArgumentError(None, None, "ConcatOp : Ranks of all input tensors should "
                                       f"match: shape[0] = {_shape_str(s0)} vs. shape[{i}] = "
                                       f"{_shape_str(v.shape)}")
        if any(v.shape[j] != s0[j] for j in range(rank) if j != dim):
            raise InvalidArgumentError(None, None, "ConcatOp : Dimensions of inputs should "
                                       f"match: shape[0] = {_shape_str(s0)} vs. shape[{i}] = "
                                       f"{_shape_str(v.shape)}")
    # TF's copier numbers only the non-empty inputs, and looks their ranges up by that number:
    # after an empty input, the next input is requantized from the range of the one before.
    nonempty = [v for v in values if v.size]
    parts = [v if (mn == out_min and mx == out_max) else  # same range: the bytes as they are
             _requantize(v, T, mn, mx, out_min, out_max) for v, (mn, mx) in zip(nonempty, ranges)]
    out = np.concatenate(parts + [v for v in values if not v.size], axis=dim)
    return out, np.asarray(out_min), np.asarray(out_max)


def _quantized_concat_infer(concat_dim, values, input_mins, input_maxes):
    with_rank(concat_dim, 0)
    out = _concat_infer(values, concat_dim)[0]
    for s in list(input_mins) + list(input_maxes):
        with_rank(s, 0)
    return [out, TensorSpec([], _dt.float32), TensorSpec([], _dt.float32)]


QUANTIZED_CONCAT = register(OpDef(
    "QuantizedConcat",
    inputs=["concat_dim:int32", "values:N*T", "input_mins:N*float32",
            "input_maxes:N*float32"],
    kernel=_quantized_concat_kernel, infer=_quantized_concat_infer, grad=NO_GRADIENT,
    doc="quantized tensors joined along concat_dim, requantized into one covering range",
))


def quantized_concat(concat_dim, values, input_mins, input_maxes, name=None) -> QuantizedConcat:
    """``tf.quantization.quantized_concat`` (TF1 also ``tf.quantized_concat``)."""
    for arg, what in ((input_mins, "input_mins"), (input_maxes, "input_maxes")):
        if not isinstance(arg, (list, tuple)):
            raise TypeError(f"Expected list for '{what}' argument to 'quantized_concat' Op, not "
                            f"{arg!r}.")
        if len(arg) != len(values):
            raise ValueError(f"List argument '{what}' to 'quantized_concat' Op with length "
                             f"{len(arg)} must match length {len(values)} of argument 'values'.")
    if len(values) < 2:
        raise ValueError(f"List argument 'values' to 'QuantizedConcat' Op with length "
                         f"{len(values)} shorter than minimum length 2.")
    return QuantizedConcat(*QUANTIZED_CONCAT(concat_dim, list(values), list(input_mins),
                                             list(input_maxes), name=name))
