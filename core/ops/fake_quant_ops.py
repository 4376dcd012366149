"""Quantization-aware training: FakeQuantWithMinMax{Args,Vars,VarsPerChannel} and their
*Gradient ops, with TensorFlow's nudging of [min, max] so that 0.0 is exactly representable
(fake_quant_ops_functor.h), float32 only as TF declares them; then the wrappers
``tf.quantization.fake_quant_*`` (also TF1's root ``tf.fake_quant_*``).

The forward ops pass the gradient straight through inside the nudged range (TF's rule in
array_ops.py); the *Gradient ops themselves are not differentiable (array_grad.py)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from ._quantize_util import merge_dims, merge_shapes, with_rank, with_rank_at_least

__all__ = ["fake_quant_with_min_max_args", "fake_quant_with_min_max_args_gradient",
           "fake_quant_with_min_max_vars", "fake_quant_with_min_max_vars_gradient",
           "fake_quant_with_min_max_vars_per_channel",
           "fake_quant_with_min_max_vars_per_channel_gradient"]

_F = np.float32
_QUANT_ATTRS = {"num_bits": 8, "narrow_range": False}


def _check_bits(num_bits, op_type):
    if not 2 <= num_bits <= 16:
        raise InvalidArgumentError(None, None, f"{op_type}: num_bits must be between 2 and 16, "
                                   "inclusive")


def _nudge(lo, hi, num_bits, narrow_range):
    """TF's Nudge in float32: (nudged_min, nudged_max, scale, inv_scale), arrays of the shape
    of ``lo``/``hi`` (scalars, or one per channel)."""
    qmin, qmax = _F(1 if narrow_range else 0), _F((1 << num_bits) - 1)
    lo, hi = np.asarray(lo, _F), np.asarray(hi, _F)
    with np.errstate(divide="ignore", invalid="ignore"):  # min == max: TF divides by 0 too
        scale = (hi - lo) / (qmax - qmin)
        inv_scale = (qmax - qmin) / (hi - lo)
        zero_from_min = qmin - lo / scale
    zero = np.floor(np.clip(zero_from_min, qmin, qmax) + _F(0.5))  # std::round, >= 0 here
    zero = np.where(np.isnan(zero_from_min), qmin, zero).astype(_F)
    return (qmin - zero) * scale, (qmax - zero) * scale, scale, inv_scale


def _fake_quant(x, lo, hi, num_bits, narrow_range, divide=True):
    """TF's Args and VarsPerChannel kernels multiply by the inverse scale, its Vars kernel
    divides by the scale: the two round differently for an element in a thousand, so both are
    kept (checked bit for bit against TF 2.21)."""
    x = np.asarray(x, _F)
    nmin, nmax, scale, inv_scale = _nudge(lo, hi, num_bits, narrow_range)
    with np.errstate(invalid="ignore", over="ignore"):
        quant_zero = np.floor(-nmin * inv_scale + _F(0.5))
        shifted = np.maximum(np.minimum(x, nmax), nmin) - nmin  # TF's order: min > max gives min
        levels = shifted / scale if divide else shifted * inv_scale
        out = np.floor(levels - quant_zero + _F(0.5)) * scale
    # TF returns zeros when min and max are both 0 (a channel never seen in calibration).
    return np.where((np.asarray(lo) == 0) & (np.asarray(hi) == 0), _F(0), out).astype(_F)


def _inside(x, lo, hi, num_bits, narrow_range):
    """Masks of the inputs inside, below and above the nudged range. Where min and max are
    both 0, TF passes every gradient to the inputs and none to min and max."""
    nmin, nmax, _, _ = _nudge(lo, hi, num_bits, narrow_range)
    x = np.asarray(x, _F)
    unset = (np.asarray(lo) == 0) & (np.asarray(hi) == 0)
    return (x >= nmin) & (x <= nmax) | unset, (x < nmin) & ~unset, (x > nmax) & ~unset


# -- FakeQuantWithMinMaxArgs: min and max are attrs ---------------------------------------------
def _check_args_range(lo, hi, op_type):
    if not lo < hi:
        raise InvalidArgumentError(None, None, f"{op_type}: min has to be smaller than max, "
                                   f"was: {lo:g} >= {hi:g}")


def _args_kernel(inputs, *, min, max, num_bits, narrow_range):  # noqa: A002 - TF's attr names
    _check_bits(num_bits, "FakeQuantWithMinMaxArgs")
    _check_args_range(min, max, "FakeQuantWithMinMaxArgs")
    return _fake_quant(inputs, min, max, num_bits, narrow_range, divide=False)


def _args_grad_kernel(gradients, inputs, *, min, max, num_bits, narrow_range):  # noqa: A002
    _check_bits(num_bits, "FakeQuantWithMinMaxArgsGradient")
    _check_args_range(min, max, "FakeQuantWithMinMaxArgsGradient")
    _check_same_shape(gradients, inputs, "FakeQuantWithMinMaxArgsGradient")
    inside, _, _ = _inside(inputs, min, max, num_bits, narrow_range)
    return np.where(inside, np.asarray(gradients, _F), _F(0))


def _check_same_shape(gradients, inputs, op_type):
    if np.shape(gradients) != np.shape(inputs):
        raise InvalidArgumentError(None, None, f"{op_type}: gradients and inputs must be the "
                                   f"same size: {list(np.shape(gradients))} vs "
                                   f"{list(np.shape(inputs))}")


def _attrs_infer(*specs, min, max, num_bits, narrow_range):  # noqa: A002
    # num_bits and the range are checked by the kernel (at run time, as TF's): a graph holding
    # a bad FakeQuant op it never runs works. TF's shape function of both Args ops is
    # UnchangedShape: the first input's shape (the Gradient op's kernel compares the two).
    return [TensorSpec(specs[0].shape, _dt.float32)]


def _grads_infer(*specs):
    """The first output has the inputs' shape (``c->Merge`` of gradients and inputs)."""
    shape = specs[0].shape
    for s in specs[1:2]:
        shape = merge_shapes(shape, s.shape)
    return [TensorSpec(shape, _dt.float32)]


def _args_grad(op, dy):
    attrs = {n: op._get_attr(n) for n in _ARGS_ATTRS}
    return [FAKE_QUANT_ARGS_GRADIENT(dy, op.inputs[0], **attrs)]


_ARGS_ATTRS = {"min": -6.0, "max": 6.0, **_QUANT_ATTRS}

FAKE_QUANT_ARGS = register(OpDef(
    "FakeQuantWithMinMaxArgs", inputs=["inputs:float32"], attrs=dict(_ARGS_ATTRS),
    kernel=_args_kernel, infer=_attrs_infer, grad=_args_grad,
    doc="inputs clamped to the nudged [min, max] and rounded to one of 2^num_bits levels",
))

FAKE_QUANT_ARGS_GRADIENT = register(OpDef(
    "FakeQuantWithMinMaxArgsGradient", inputs=["gradients:float32", "inputs:float32"],
    attrs=dict(_ARGS_ATTRS), kernel=_args_grad_kernel, infer=_attrs_infer,
    grad=NOT_DIFFERENTIABLE,
    doc="gradients where inputs lie in the nudged [min, max], 0 elsewhere",
))


# -- FakeQuantWithMinMaxVars(PerChannel): min and max are tensors (trained) ------------------------
def _check_minmax(lo, hi, x_shape, per_channel, op_type):
    for name, v in (("min", lo), ("max", hi)):
        if not per_channel and np.ndim(v) != 0:
            raise InvalidArgumentError(None, None, f"{op_type}: `{name}` must be rank 0 but is "
                                       f"rank {np.ndim(v)}")
        if per_channel:
            depth = x_shape[-1] if x_shape else None
            if np.ndim(v) != 1 or np.shape(v)[0] != depth:
                raise InvalidArgumentError(None, None, f"{op_type}: {name} has incorrect size, "
                                           f"expected {depth} was {np.size(v)}")


def _vars_kernel(per_channel, op_type):
    def kernel(inputs, min, max, *, num_bits, narrow_range):  # noqa: A002
        _check_bits(num_bits, op_type)
        _check_minmax(min, max, np.shape(inputs), per_channel, op_type)
        return _fake_quant(inputs, min, max, num_bits, narrow_range, divide=not per_channel)
    return kernel


def _vars_grad_kernel(per_channel, op_type):
    def kernel(gradients, inputs, min, max, *, num_bits, narrow_range):  # noqa: A002
        _check_bits(num_bits, op_type)
        _check_same_shape(gradients, inputs, op_type)
        _check_minmax(min, max, np.shape(inputs), per_channel, op_type)
        g = np.asarray(gradients, _F)
        inside, below, above = _inside(inputs, min, max, num_bits, narrow_range)
        axes = tuple(range(g.ndim - 1)) if per_channel else None
        zero = _F(0)
        return [np.where(inside, g, zero), np.where(below, g, zero).sum(axes, dtype=_F),
                np.where(above, g, zero).sum(axes, dtype=_F)]
    return kernel


def _check_minmax_specs(x, lo, hi, per_channel):
    """The checks of TF's shape functions for the Vars ops: (min, max) scalars, or per channel
    vectors of the inputs' last dimension (inputs of any rank from 1). num_bits is the
    kernel's check (at run time, as TF's)."""
    if not per_channel:
        with_rank(lo, 0)
        with_rank(hi, 0)
        return
    with_rank_at_least(x, 1)
    last = x.shape.as_tuple()[-1] if x.shape.rank is not None else None
    lo_shape, hi_shape = with_rank(lo, 1), with_rank(hi, 1)
    for s in (lo_shape, hi_shape):
        merge_dims(last, s.as_tuple()[0])
    merge_dims(lo_shape.as_tuple()[0], hi_shape.as_tuple()[0])


def _vars_infer(per_channel):
    def infer(inputs, min, max, *, num_bits, narrow_range):  # noqa: A002
        _check_minmax_specs(inputs, min, max, per_channel)
        return [TensorSpec(inputs.shape, _dt.float32)]
    return infer


def _vars_grad_infer(per_channel):
    """The gradient ops' shape functions: per channel, inputs of rank 1 to 4 (the forward op
    takes any rank from 1) and min/max shaped as the inputs' last dimension."""
    def infer(gradients, inputs, min, max, *, num_bits, narrow_range):  # noqa: A002
        if not per_channel:
            _check_minmax_specs(inputs, min, max, False)
            (x,) = _grads_infer(gradients, inputs)
            return [x, TensorSpec([], _dt.float32), TensorSpec([], _dt.float32)]
        with_rank_at_least(gradients, 1)
        if gradients.shape.rank is not None and gradients.shape.rank > 4:
            raise shape_error(f"Shape must be at most rank 4 but is rank "
                              f"{gradients.shape.rank}")
        (x,) = _grads_infer(gradients, inputs)
        last = TensorShape([x.shape.as_tuple()[-1] if x.shape.rank is not None else None])
        mm = merge_shapes(with_rank(min, 1), last)
        mm = merge_shapes(max.shape, mm)
        return [x, TensorSpec(mm, _dt.float32), TensorSpec(mm, _dt.float32)]
    return infer


def _vars_grad(grad_opdef):
    def grad(op, dy):
        x, lo, hi = op.inputs
        return grad_opdef(dy, x, lo, hi, num_bits=op._get_attr("num_bits"),
                          narrow_range=op._get_attr("narrow_range"))
    return grad


def _register_vars(op_type, per_channel):
    grad_op = register(OpDef(
        op_type + "Gradient",
        inputs=["gradients:float32", "inputs:float32", "min:float32", "max:float32"],
        attrs=dict(_QUANT_ATTRS), kernel=_vars_grad_kernel(per_channel, op_type + "Gradient"),
        infer=_vars_grad_infer(per_channel), grad=NOT_DIFFERENTIABLE,
        doc="(gradients inside the nudged range, the sum of those below it, the sum of those "
            "above it)" + (" per channel (last dimension)" if per_channel else ""),
    ))
    fwd = register(OpDef(
        op_type, inputs=["inputs:float32", "min:float32", "max:float32"],
        attrs=dict(_QUANT_ATTRS), kernel=_vars_kernel(per_channel, op_type),
        infer=_vars_infer(per_channel), grad=_vars_grad(grad_op),
        doc="FakeQuantWithMinMaxArgs with min and max as tensors"
            + (", one pair per channel (last dimension)" if per_channel else ""),
    ))
    return fwd, grad_op


FAKE_QUANT_VARS, FAKE_QUANT_VARS_GRADIENT = _register_vars("FakeQuantWithMinMaxVars", False)
FAKE_QUANT_VARS_PER_CHANNEL, FAKE_QUANT_VARS_PER_CHANNEL_GRADIENT = _register_vars(
    "FakeQuantWithMinMaxVarsPerChannel", True)


# -- public wrappers: TF's generated signatures ---------------------------------------------------
def fake_quant_with_min_max_args(inputs, min=-6.0, max=6.0, num_bits=8,  # noqa: A002
                                 narrow_range=False, name=None):
    """``tf.quantization.fake_quant_with_min_max_args``: quantize-dequantize ``inputs`` to
    ``num_bits`` over the nudged [min, max]."""
    return FAKE_QUANT_ARGS(inputs, min=min, max=max, num_bits=num_bits,
                           narrow_range=narrow_range, name=name or "FakeQuantWithMinMaxArgs")


def fake_quant_with_min_max_args_gradient(gradients, inputs, min=-6.0, max=6.0,  # noqa: A002
                                          num_bits=8, narrow_range=False, name=None):
    """The straight-through gradient of ``fake_quant_with_min_max_args``."""
    return FAKE_QUANT_ARGS_GRADIENT(gradients, inputs, min=min, max=max, num_bits=num_bits,
                                    narrow_range=narrow_range,
                                    name=name or "FakeQuantWithMinMaxArgsGradient")


def fake_quant_with_min_max_vars(inputs, min, max, num_bits=8,  # noqa: A002
                                 narrow_range=False, name=None):
    """``tf.quantization.fake_quant_with_min_max_vars``: as ``..._args`` with scalar tensors
    ``min`` and ``max`` (which get gradients)."""
    return FAKE_QUANT_VARS(inputs, min, max, num_bits=num_bits, narrow_range=narrow_range,
                           name=name or "FakeQuantWithMinMaxVars")


def fake_quant_with_min_max_vars_gradient(gradients, inputs, min, max, num_bits=8,  # noqa: A002
                                          narrow_range=False, name=None):
    """(backprops_wrt_input, backprop_wrt_min, backprop_wrt_max) of ``..._vars``."""
    return tuple(FAKE_QUANT_VARS_GRADIENT(gradients, inputs, min, max, num_bits=num_bits,
                                          narrow_range=narrow_range,
                                          name=name or "FakeQuantWithMinMaxVarsGradient"))


def fake_quant_with_min_max_vars_per_channel(inputs, min, max, num_bits=8,  # noqa: A002
                                             narrow_range=False, name=None):
    """``..._vars`` with one [min, max] per channel: ``min``/``max`` of shape [d], d the last
    dimension of ``inputs``."""
    return FAKE_QUANT_VARS_PER_CHANNEL(inputs, min, max, num_bits=num_bits,
                                       narrow_range=narrow_range,
                                       name=name or "FakeQuantWithMinMaxVarsPerChannel")


def fake_quant_with_min_max_vars_per_channel_gradient(gradients, inputs, min, max,  # noqa: A002
                                                      num_bits=8, narrow_range=False,
                                                      name=None):
    """(backprops_wrt_input, backprop_wrt_min, backprop_wrt_max) of ``..._per_channel``."""
    return tuple(FAKE_QUANT_VARS_PER_CHANNEL_GRADIENT(
        gradients, inputs, min, max, num_bits=num_bits, narrow_range=narrow_range,
        name=name or "FakeQuantWithMinMaxVarsPerChannelGradient"))
