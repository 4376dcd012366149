"""Simulated quantization of float tensors: QuantizeAndDequantizeV2, V3 (num_bits a tensor), V4
(V2 with a gradient that is zero outside the range) and QuantizeAndDequantizeV4Grad, with the
wrappers ``tf.quantization.quantize_and_dequantize`` (V2) and ``quantize_and_dequantize_v2``
(V4).

The kernels follow TF 2.21's (quantize_and_dequantize_op.h) in the input's own precision:
the scale comes from whichever side of [min, max] needs the smaller one (0 stays exact), then
``round(clamp(x) * scale) * inverse_scale``. Gradients are TF's (array_grad.py / array_ops.py):
V2 and V3 pass the gradient straight through to the input; V4 masks it to [min, max]."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor
from ..opdef import OpDef, TensorSpec, register, shape_error
from ._quantize_util import (cmax, cmin, ftz, merge_shapes, minmax_shape, round_half_up,
                             with_rank)
from .quantize_ops import _check_choice, _normalize_axis, _split_slices

__all__: list = []  # tf.quantization's names; TF1 has none of them at the root

_FLOATS = (_dt.float16, _dt.float32, _dt.float64)
_ROUND_MODES = ("HALF_TO_EVEN", "HALF_UP")


def _quantization_range(lo, hi, signed_input, num_bits, narrow_range):
    """ComputeQuantizationRange: (min, max, scale, inverse_scale) in the input's type."""
    t = type(lo)
    if signed_input:
        min_q = -(1 << (num_bits - 1)) + (1 if narrow_range else 0)
        max_q = (1 << (num_bits - 1)) - 1
    else:
        min_q, max_q = 0, (1 << num_bits) - 1
    big = t(np.finfo(t).max)
    fmin, fmax = t(min_q), t(max_q)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        from_min = ftz(fmin / lo) if ftz(fmin * lo) > 0 else big
        from_max = ftz(fmax / hi) if ftz(fmax * hi) > 0 else big
        if from_min < from_max:  # keep the side that sets the scale exact
            inverse = ftz(t(lo / fmin))
            return lo, ftz(t(fmax * inverse)), from_min, inverse
        inverse = ftz(t(hi / fmax))
        return ftz(t(fmin * inverse)), hi, from_max, inverse


def _one_scale(x, lo, hi, signed_input, num_bits, range_given, round_mode, narrow_range):
    t = x.dtype.type
    x = ftz(x)  # TF's kernels run with denormals flushed to zero
    if not range_given:  # Eigen's minimum()/maximum() skip NaNs
        lo, hi = (t(np.fmin.reduce(x, axis=None)), t(np.fmax.reduce(x, axis=None))) \
            if x.size else (t(np.inf), t(-np.inf))
    lo, hi, scale, inverse = _quantization_range(ftz(t(lo)), ftz(t(hi)), signed_input,
                                                 num_bits, narrow_range)
    with np.errstate(invalid="ignore", over="ignore"):
        if range_given:
            x = cmax(cmin(x, hi), lo)
        v = ftz(x * scale)
        r = np.rint(v) if round_mode == "HALF_TO_EVEN" else round_half_up(v)
        out = ftz(r * inverse)
    # Which NaN a NaN result carries (its sign bit), as TF's build picks it: a NaN input comes
    # out as itself, except where the inverse scale is NaN too, in the last size % 8 elements
    # (Eigen's scalar tail, where the compiled multiply hands on the scale's NaN).
    keep = np.isnan(x)
    if np.isnan(inverse) and x.size % 8:
        keep = keep.copy().reshape(-1)
        keep[x.size - x.size % 8:] = False
        keep = keep.reshape(x.shape)
    return np.where(keep, x, out)


def _qdq(x, lo, hi, *, signed_input, num_bits, range_given, round_mode, narrow_range, axis,
         op_type):
    x = np.asarray(x)
    if x.dtype == np.float16:  # the op allows half; TF's CPU kernels are float and double
        raise InvalidArgumentError(None, None, f"No OpKernel was registered to support Op "
                                   f"'{op_type}' with these attrs: [T=DT_HALF]; its CPU "
                                   "kernels take T in [DT_DOUBLE, DT_FLOAT]")
    if axis < -1:
        raise InvalidArgumentError(None, None, f"Axis must be at least -1. Found {axis}")
    if op_type == "QuantizeAndDequantizeV3":
        if not -x.ndim <= axis < x.ndim:
            raise InvalidArgumentError(None, None, "Axis requested is larger than input "
                                       f"dimensions. Axis: {axis} Input Dimensions: {x.ndim}")
        bits = np.asarray(num_bits)
        if bits.ndim != 0:
            raise InvalidArgumentError(None, None, "Invalid shape. The `num_bits` tensor should "
                                       f"be a scalar. Got dimensions: {bits.ndim}")
        num_bits = int(bits)
    elif not (axis == -1 or axis < x.ndim):
        raise InvalidArgumentError(None, None, f"Shape must be at least rank {axis + 1} but is "
                                   f"rank {x.ndim}")
    quote = "`" if op_type == "QuantizeAndDequantizeV3" else ""
    if not 0 < num_bits < (62 if signed_input else 63):
        raise InvalidArgumentError(None, None, f"num_bits is out of range: {num_bits} with "
                                   f"{quote}signed_input_{quote} {int(signed_input)}")
    lo, hi = np.asarray(lo), np.asarray(hi)
    depth = 1 if axis == -1 else x.shape[axis]
    if range_given:
        if op_type != "QuantizeAndDequantizeV3":
            # TF 2.21's V2/V4 kernel wants scalars before it looks at the axis (so a range per
            # slice is refused there, although the shape function asks for one).
            for name, v in (("input_min", lo), ("input_max", hi)):
                if v.ndim != 0:
                    raise InvalidArgumentError(None, None, f"{name} must be a scalar.")
        if axis == -1:
            if not lo <= hi:
                raise InvalidArgumentError(None, None, f"Invalid range: input_min {lo:g} > "
                                           f"input_max {hi:g}")
        else:
            for name, v in (("input_min", lo), ("input_max", hi)):
                if v.ndim != 1:
                    raise InvalidArgumentError(None, None, "Shape must be rank 1 for "
                                               f"{name}_tensor when the axis is specified")
                if v.shape[0] != depth:
                    raise InvalidArgumentError(
                        None, None, f"{name}_tensor has incorrect size, was {v.shape[0]} "
                        f"expected {depth} to match dim {axis} of the input "
                        f"{_shape_str(v.shape)}")
    args = (signed_input, num_bits, range_given, round_mode, narrow_range)
    if axis == -1:
        return _one_scale(x, lo, hi, *args)
    axis %= x.ndim
    x3 = _split_slices(x, axis)
    out = np.empty_like(x3)
    for i in range(depth):
        out[:, i] = _one_scale(x3[:, i], lo[i] if range_given else 0,
                               hi[i] if range_given else 0, *args)
    return out.reshape(x.shape)


def _shape_str(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _check_float(x):
    if x.dtype not in _FLOATS:
        raise TypeError(f"Value passed to parameter 'input' has DataType {x.dtype.name} not in "
                        "list of allowed values: bfloat16, float16, float32, float64")


_V2_ATTRS = {"signed_input": True, "num_bits": 8, "range_given": False,
             "round_mode": "HALF_TO_EVEN", "narrow_range": False, "axis": -1}


def _qdq_def(op_type, grad, doc):
    def kernel(x, lo, hi, **attrs):
        return _qdq(x, lo, hi, op_type=op_type, **attrs)

    def infer(x, input_min, input_max, **attrs):
        _check_float(x)
        _check_choice(op_type, "round_mode", attrs["round_mode"], _ROUND_MODES)
        minmax_shape([input_min, input_max], attrs["axis"], x)
        return [TensorSpec(x.shape, x.dtype)]

    return register(OpDef(op_type, inputs=["input:T", "input_min:T", "input_max:T"],
                          attrs=dict(_V2_ATTRS), kernel=kernel, infer=infer, grad=grad, doc=doc))


QDQ_V2 = _qdq_def("QuantizeAndDequantizeV2", lambda op, dy: [dy, None, None],
                  "x quantized to num_bits and back; the gradient passes straight through")


def _v3_kernel(x, lo, hi, num_bits, *, signed_input, range_given, narrow_range, axis):
    return _qdq(x, lo, hi, signed_input=signed_input, num_bits=num_bits,
                range_given=range_given, round_mode="HALF_TO_EVEN", narrow_range=narrow_range,
                axis=axis, op_type="QuantizeAndDequantizeV3")


def _v3_infer(x, input_min, input_max, num_bits, *, signed_input, range_given, narrow_range,
              axis):
    _check_float(x)
    minmax_shape([input_min, input_max], axis, x)
    with_rank(num_bits, 0)
    return [TensorSpec(x.shape, x.dtype)]


QDQ_V3 = register(OpDef(
    "QuantizeAndDequantizeV3", inputs=["input:T", "input_min:T", "input_max:T",
                                       "num_bits:int32"],
    attrs={"signed_input": True, "range_given": True, "narrow_range": False, "axis": -1},
    kernel=_v3_kernel, infer=_v3_infer, grad=lambda op, dy: [dy, None, None, None],
    doc="V2 with num_bits a tensor (and ranges given by default); straight-through gradient",
))


def _v4_grad_kernel(gradients, x, lo, hi, *, axis):
    g, x, lo, hi = (np.asarray(a) for a in (gradients, x, lo, hi))
    if axis < -1:
        raise InvalidArgumentError(None, None, f"Axis must be at least -1. Found {axis}")
    if not (axis == -1 or axis < x.ndim):
        raise InvalidArgumentError(None, None, "Axis should be -1 or 0 or a positive value less "
                                   f"than {x.ndim}but given axis value was {axis}")
    if g.shape != x.shape:
        raise InvalidArgumentError(None, None, "gradient and input must be the same size")
    for name, v in (("min", lo), ("max", hi)):
        if v.ndim not in (0, 1):
            raise InvalidArgumentError(None, None, f"Input {name} tensor must have dimension 0 "
                                       f"or 1. Received {v.ndim}.")
    minmax = lo.shape
    if axis != -1:
        depth = x.shape[axis]
        for name, v in (("min", lo), ("max", hi)):
            if v.ndim != 1:
                raise InvalidArgumentError(None, None, f"Shape must be rank 1 for input_{name}"
                                           "_tensor when the axis is specified")
            if v.shape[0] != depth:
                raise InvalidArgumentError(None, None, f"{name} has incorrect size, expected "
                                           f"{depth} was {v.shape[0]}")
        shape = [1] * x.ndim
        shape[axis] = depth
        lo, hi = lo.reshape(shape), hi.reshape(shape)
    else:
        for name, v in (("input_min", lo), ("input_max", hi)):
            if v.ndim != 0:
                raise InvalidArgumentError(None, None, f"{name} must be a scalar if axis is "
                                           "unspecified")
    t = x.dtype.type
    # gradient * (0 or 1), as TF multiplies: an inf or nan gradient outside stays nan.
    inside = ((x >= lo) & (x <= hi)).astype(t)
    return g * inside, np.zeros(minmax, t), np.zeros(minmax, t)


def _v4_grad_infer(gradients, x, input_min, input_max, *, axis):
    _check_float(x)
    rank = 0 if axis == -1 else 1
    with_rank(input_min, rank)
    mm = merge_shapes(input_max.shape, input_min.shape.with_rank(rank))
    if axis < -1:
        raise shape_error(f"axis should be at least -1, got {axis}")
    if axis != -1:
        mm = minmax_shape([TensorSpec(mm, x.dtype)], axis, gradients)
    shape = merge_shapes(gradients.shape, x.shape)
    return [TensorSpec(shape, x.dtype), TensorSpec(mm, x.dtype), TensorSpec(mm, x.dtype)]


def _v4_grad_grad(op, *grads):
    # TF registers a gradient for QuantizeAndDequantizeV4Grad that cannot run: it is declared
    # with one output gradient for an op with three, so TF raises this TypeError.
    raise TypeError("_QuantizeAndDequantizeV4GradGrad() takes 2 positional arguments but "
                    f"{len(grads) + 1} were given (TensorFlow's gradient of "
                    "QuantizeAndDequantizeV4Grad is broken; minitf raises as TF does)")


QDQ_V4_GRAD = register(OpDef(
    "QuantizeAndDequantizeV4Grad",
    inputs=["gradients:T", "input:T", "input_min:T", "input_max:T"], attrs={"axis": -1},
    kernel=_v4_grad_kernel, infer=_v4_grad_infer, grad=_v4_grad_grad,
    doc="gradients where input lies in [input_min, input_max], else 0; zeros for min and max",
))


def _v4_grad(op, dy):
    return QDQ_V4_GRAD(dy, op.inputs[0], op.inputs[1], op.inputs[2], axis=op._get_attr("axis"))


QDQ_V4 = _qdq_def("QuantizeAndDequantizeV4", _v4_grad,
                  "as V2; the gradient is zero where the input is outside [min, max]")


def _wrap(opdef, input, input_min, input_max, signed_input, num_bits,  # noqa: A002
          range_given, round_mode, name, narrow_range, axis):
    x = convert_to_tensor(input, name="input")
    axis = _normalize_axis(x, axis)
    return opdef(x, input_min, input_max, signed_input=signed_input, num_bits=num_bits,
                 range_given=range_given, round_mode=round_mode, narrow_range=narrow_range,
                 axis=axis, name=name)


def quantize_and_dequantize(input, input_min, input_max, signed_input=True,  # noqa: A002
                            num_bits=8, range_given=False, round_mode="HALF_TO_EVEN",
                            name=None, narrow_range=False, axis=None):
    """``tf.quantization.quantize_and_dequantize`` (deprecated in TF): a
    QuantizeAndDequantizeV2 node, whose gradient passes straight through."""
    return _wrap(QDQ_V2, input, input_min, input_max, signed_input, num_bits, range_given,
                 round_mode, name, narrow_range, axis)


def quantize_and_dequantize_v2(input, input_min, input_max, signed_input=True,  # noqa: A002
                               num_bits=8, range_given=False, round_mode="HALF_TO_EVEN",
                               name=None, narrow_range=False, axis=None):
    """``tf.quantization.quantize_and_dequantize_v2``: a QuantizeAndDequantizeV4 node, whose
    gradient is zero where the input lies outside [input_min, input_max]."""
    return _wrap(QDQ_V4, input, input_min, input_max, signed_input, num_bits, range_given,
                 round_mode, name, narrow_range, axis)
