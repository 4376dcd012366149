"""Neural-network ops: activations, BiasAdd, L2Loss, InTopK.

Ops TensorFlow writes as one node (Relu, BiasAdd, ...) are one OpDef here, each with the
dedicated gradient op TensorFlow uses (ReluGrad, BiasAddGrad, ...), which in turn has its own
gradient rule so second derivatives work. Softmax, LogSoftmax and the softmax cross-entropy ops
are in softmax_ops; the functions TensorFlow composes in Python (dropout, sigmoid cross-entropy,
moments, ...) are in core/nn_impl.py. ``__all__`` lists the ``tf.nn`` names (core/nn.py
star-imports it).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape
from . import array_ops, logic_ops, math_ops, unary_ops
from ._math_util import _REAL, _check_dtype, _silence_float_warnings
from ._util import same_as

_silence_float_warnings(__name__)  # inf * alpha, inf - inf: TF's NaNs, silently

__all__ = [
    "bias_add", "relu", "relu6", "leaky_relu", "elu", "selu", "softplus", "softsign",
    "sigmoid", "tanh", "l2_loss", "in_top_k",
]


_FLOATS = "float16, bfloat16, float32, float64"


def _require_float(spec: TensorSpec, arg: str):
    """TensorFlow's type-constraint error for the float-only ops (raised at graph construction)."""
    if not spec.dtype.is_floating:
        raise TypeError(f"Value passed to parameter '{arg}' has DataType {spec.dtype.name} not "
                        f"in list of allowed values: {_FLOATS}")


def _same_shape(a: TensorShape, b: TensorShape) -> TensorShape:
    """TensorFlow's Merge of two shapes that must be equal (gradient ops), with its wording."""
    if a.rank is not None and b.rank is not None:
        if a.rank != b.rank:
            raise shape_error(f"Shapes must be equal rank, but are {a.rank} and {b.rank}")
        for i, (x, y) in enumerate(zip(a.as_tuple(), b.as_tuple())):
            if x is not None and y is not None and x != y:
                raise shape_error(f"Dimension {i} in both shapes must be equal, but are {x} and "
                                  f"{y}. Shapes are {a.debug_string()} and {b.debug_string()}.")
    return a.merge_with(b)


def _check_same_shape(op_type, a, b, names=("gradients", "features")):
    if a.shape != b.shape:
        raise InvalidArgumentError(None, None, f"{op_type}: {names[0]} and {names[1]} must have "
                                   f"the same shape, got {list(a.shape)} and {list(b.shape)}")


# -- activations and their gradient ops -----------------------------------------------------------


def _activation(type_, kernel, grad, float_only, attrs=None, real=_REAL):
    def infer(x, **_):
        if float_only:
            _require_float(x, "features")
        else:  # not bool (numpy's max(bool, 0) is an int64), not complex
            _check_dtype(x, real, "features")
        return same_as(x)
    return register(OpDef(type_, inputs=["features:T"], attrs=attrs or {}, kernel=kernel,
                          infer=infer, grad=grad))


def _activation_grad(type_, kernel, grad, float_only, second="features", attrs=None):
    def infer(g, x, **_):
        if float_only:
            _require_float(g, "gradients")
        else:  # ReluGrad, Relu6Grad: TF's real types (as their forward ops: no complex)
            _check_dtype(g, _REAL, "gradients")
        return [TensorSpec(_same_shape(g.shape, x.shape), g.dtype)]

    def checked(g, x, **kw):
        _check_same_shape(type_, g, x, ("gradients", second))
        return kernel(g, x, **kw)
    return register(OpDef(type_, inputs=["gradients:T", f"{second}:T"], attrs=attrs or {},
                          kernel=checked, infer=infer, grad=grad))


# Kernels use masks and arithmetic rather than np.where, which is several times slower here.


def _relu(x):
    return np.maximum(x, 0)


def _relu_grad(g, x):
    return g * (x > 0)  # TF's ReluGrad: gradients * (features > 0)


def _relu6(x):
    return np.minimum(np.maximum(x, 0), 6)


def _relu6_grad(g, x):
    return g * ((x > 0) & (x < 6))


def _leaky_relu(x, *, alpha):
    # TF's select, x > 0 ? x : alpha * x (a max would make inf * 0 a NaN for alpha = 0).
    return np.where(x > 0, x, x * x.dtype.type(alpha))


def _leaky_relu_grad(g, x, *, alpha):
    # Selects, as TF does: masks multiplied in would turn an infinite gradient into NaN.
    return np.where(x > 0, g, g * g.dtype.type(alpha))


def _elu(x):
    # TF's kernel: exp(x) - 1 below 0 (not expm1: just below 0 it is 0, as TF's, so the
    # gradient takes the same branch); exp of min(x, 0) so large x does not overflow.
    return np.where(x < 0, np.exp(np.minimum(x, 0)) - 1, x)


def _elu_grad(g, y):
    return np.where(y < 0, g * (y + 1), g)  # selects, as TF (NaN or inf outputs give g)


_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


def _selu(x):
    t = x.dtype.type
    return np.where(x < 0, t(_SELU_SCALE * _SELU_ALPHA) * (np.exp(np.minimum(x, 0)) - 1),
                    t(_SELU_SCALE) * x)  # exp(x) - 1 as TF's kernel (see _elu)


def _selu_grad(g, y):
    t = g.dtype.type
    return np.where(y < 0, g * (y + t(_SELU_SCALE * _SELU_ALPHA)), g * t(_SELU_SCALE))


# TF's Softplus functor for half: x above -threshold, exp(x) below threshold, else
# log1p(exp(x)), the exp rounded to half first; the threshold is log(eps) + 2
# with half's epsilon 2^-13 as TF's functor evaluates it, compared in float32 (found bit by bit
# against TF 2.21 on every finite half value).
_SOFTPLUS_HALF_THRESHOLD = np.float32(np.log(np.float32(2.0 ** -13))) + np.float32(2)


def _softplus_half(x):
    e = np.exp(x.astype(np.float32)).astype(np.float16)
    xf = x.astype(np.float32)
    t = _SOFTPLUS_HALF_THRESHOLD
    return np.where(xf > -t, x, np.where(xf < t, e, np.log1p(e)))


def _softplus(x):
    if x.dtype == np.float16:
        return _softplus_half(x)
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, accurate in both tails.
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _softplus_grad(g, x):
    # TF's SoftplusGrad: gradients / (exp(-features) + 1); exp overflow gives the right 0.
    d = np.negative(np.asarray(x))
    with np.errstate(over="ignore"):
        d = np.exp(d, out=d) if d.ndim else np.exp(d)  # (a 0-d result is a numpy scalar)
    d += 1
    return g / d


def _softsign(x):
    return x / (1 + np.abs(x))


def _softsign_grad(g, x):
    return g / np.square(1 + np.abs(x))


def _relu_grad_grad(op, grad):
    x = op.inputs[1]
    return [RELU_GRAD(grad, x), array_ops.zeros_like(x)]


def _relu6_grad_grad(op, grad):
    x = op.inputs[1]
    return [RELU6_GRAD(grad, x), array_ops.zeros_like(x)]


def _leaky_relu_grad_grad(op, grad):
    x = op.inputs[1]
    return [LEAKY_RELU_GRAD(grad, x, alpha=op._get_attr("alpha")), array_ops.zeros_like(x)]


def _exp_family_grad_grad(grad_op):
    """EluGrad/SeluGrad: d/dy of dy*(y + c) is dy where y < 0 (the output), else 0."""
    def rule(op, grad):
        dy, y = op.inputs
        return [grad_op(grad, y),
                logic_ops.where(logic_ops.less(y, 0), grad * dy, array_ops.zeros_like(y))]
    return rule


def _softplus_grad_grad(op, grad):
    # dx = dy * sigmoid(x): d/ddy = sigmoid(x), d/dx = dy * sigmoid'(x) = dy / (e^-x + 2 + e^x).
    dy, x = op.inputs
    d2x = grad * dy / (unary_ops.exp(-x) + 2.0 + unary_ops.exp(x))
    return [SOFTPLUS_GRAD(grad, x), d2x]


def _softsign_grad_grad(op, grad):
    # dx = dy / (1 + |x|)^2: d/ddy = 1 / (1 + |x|)^2, d/dx = -2 dy sign(x) / (1 + |x|)^3.
    dy, x = op.inputs
    denom = 1.0 + unary_ops.abs(x)
    return [SOFTSIGN_GRAD(grad, x),
            SOFTSIGN_GRAD(grad * dy, x) * (-2.0 * unary_ops.sign(x) / denom)]


# TF's Relu list ends with qint8 (minitf has no quantized types: only the message shows it).
RELU = _activation("Relu", _relu, lambda op, dy: [RELU_GRAD(dy, op.outputs[0])], False,
                   real=_REAL + ("qint8",))
RELU_GRAD = _activation_grad("ReluGrad", _relu_grad, _relu_grad_grad, False)
RELU6 = _activation("Relu6", _relu6, lambda op, dy: [RELU6_GRAD(dy, op.outputs[0])], False)
RELU6_GRAD = _activation_grad("Relu6Grad", _relu6_grad, _relu6_grad_grad, False)
LEAKY_RELU = _activation(
    "LeakyRelu", _leaky_relu,
    lambda op, dy: [LEAKY_RELU_GRAD(dy, op.inputs[0], alpha=op._get_attr("alpha"))], True,
    attrs={"alpha": 0.2})
LEAKY_RELU_GRAD = _activation_grad("LeakyReluGrad", _leaky_relu_grad, _leaky_relu_grad_grad,
                                   True, attrs={"alpha": 0.2})
ELU = _activation("Elu", _elu, lambda op, dy: [ELU_GRAD(dy, op.outputs[0])], True)
ELU_GRAD = _activation_grad("EluGrad", _elu_grad,
                            _exp_family_grad_grad(lambda g, y: ELU_GRAD(g, y)), True,
                            second="outputs")
SELU = _activation("Selu", _selu, lambda op, dy: [SELU_GRAD(dy, op.outputs[0])], True)
SELU_GRAD = _activation_grad("SeluGrad", _selu_grad,
                             _exp_family_grad_grad(lambda g, y: SELU_GRAD(g, y)), True,
                             second="outputs")
# TensorFlow's Softplus gradient is dy * sigmoid(x): exactly what SoftplusGrad computes.
SOFTPLUS = _activation("Softplus", _softplus,
                       lambda op, dy: [SOFTPLUS_GRAD(dy, op.inputs[0])], True)
SOFTPLUS_GRAD = _activation_grad("SoftplusGrad", _softplus_grad, _softplus_grad_grad, True)
SOFTSIGN = _activation("Softsign", _softsign,
                       lambda op, dy: [SOFTSIGN_GRAD(dy, op.inputs[0])], True)
# TensorFlow registers no gradient for SoftsignGrad; we give it one (second derivatives).
SOFTSIGN_GRAD = _activation_grad("SoftsignGrad", _softsign_grad, _softsign_grad_grad, True)


# -- BiasAdd, BiasAddGrad -------------------------------------------------------------------------


def _channel_axis(shape: TensorShape, data_format: str):
    """The channel axis of a value of this (known-rank) shape; checks TF's rank rules."""
    if data_format not in ("NHWC", "NCHW"):
        raise shape_error(f"Invalid data format: {data_format}")
    # TF's shape function wants rank 3 for NCHW, though its kernel takes rank 2 (channels in
    # dimension 1 either way); the kernels below follow the kernel, for unknown ranks.
    need = 2 if data_format == "NHWC" else 3
    if shape.rank is not None and shape.rank < need:
        raise shape_error(f"Shape must be at least rank {need} but is rank {shape.rank}")
    if shape.rank is None:
        return None
    return shape.rank - 1 if data_format == "NHWC" else 1


def _bias_add_infer(value, bias, *, data_format):
    axis = _channel_axis(value.shape, data_format)
    if bias.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {bias.shape.rank}")
    if axis is None:
        return same_as(value)
    dims = list(value.shape.as_tuple())
    c, b = dims[axis], bias.shape.with_rank(1)[0].value
    if c is not None and b is not None and c != b:
        raise shape_error(f"Dimensions must be equal, but are {c} and {b}")
    dims[axis] = c if c is not None else b
    return [TensorSpec(dims, value.dtype)]


def _bias_add_kernel(value, bias, *, data_format):
    axis = value.ndim - 1 if data_format == "NHWC" else 1
    if value.ndim < 2 or bias.ndim != 1 \
            or bias.shape[0] != value.shape[axis]:
        raise InvalidArgumentError(
            None, None, f"Must provide as many biases as the channel dimension of the input "
            f"tensor: {list(bias.shape)} vs. {list(value.shape)} (data_format {data_format})")
    if data_format == "NCHW":
        bias = bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return np.add(value, bias)


def _bias_add_grad_infer(out_backprop, *, data_format):
    axis = _channel_axis(out_backprop.shape, data_format)
    c = None if axis is None else out_backprop.shape[axis].value
    return [TensorSpec([c], out_backprop.dtype)]


def _bias_add_grad_kernel(out_backprop, *, data_format):
    g = out_backprop
    if g.ndim < 2:
        raise InvalidArgumentError(None, None, f"Input tensor must be at least 2D: "
                                   f"{list(g.shape)}")
    acc = np.float32 if g.dtype == np.float16 else g.dtype  # half sums accumulate in float
    channel = g.ndim - 1 if data_format == "NHWC" else 1
    out = np.sum(g, axis=tuple(a for a in range(g.ndim) if a != channel), dtype=acc)
    return np.asarray(out).astype(g.dtype, copy=False)


BIAS_ADD = register(OpDef(
    "BiasAdd", inputs=["value:T", "bias:T"], attrs={"data_format": "NHWC"},
    kernel=_bias_add_kernel, infer=_bias_add_infer,
    grad=lambda op, dy: [dy, BIAS_ADD_GRAD(dy, data_format=op._get_attr("data_format"))],
))
# The gradient of the bias sum is the bias gradient spread over the value's shape: BiasAdd of
# zeros (works for any rank, known or not).
BIAS_ADD_GRAD = register(OpDef(
    "BiasAddGrad", inputs=["out_backprop:T"], attrs={"data_format": "NHWC"},
    kernel=_bias_add_grad_kernel, infer=_bias_add_grad_infer,
    grad=lambda op, g: [BIAS_ADD(array_ops.zeros_like(op.inputs[0]), g,
                                 data_format=op._get_attr("data_format"))],
))

# -- L2Loss ---------------------------------------------------------------------------------------


def _l2_loss_kernel(t):
    v = t.reshape(-1)
    if t.dtype == np.float16:
        v = v.astype(np.float32)
    return np.asarray(np.dot(v, v) * 0.5, dtype=t.dtype)


def _l2_loss_infer(t):
    _require_float(t, "t")
    return [TensorSpec([], t.dtype)]


L2_LOSS = register(OpDef("L2Loss", inputs=["t:T"], kernel=_l2_loss_kernel, infer=_l2_loss_infer,
                         grad=lambda op, dy: [op.inputs[0] * dy]))

# -- InTopK ---------------------------------------------------------------------------------------


def _in_top_k(predictions, targets, k):
    if predictions.ndim != 2 or targets.shape != predictions.shape[:1]:
        raise InvalidArgumentError(None, None, "predictions must be 2-dimensional and targets "
                                   "1-dimensional with the same first dimension, got "
                                   f"{list(predictions.shape)} and {list(targets.shape)}")
    n, classes = predictions.shape
    valid = (targets >= 0) & (targets < classes)
    target_pred = predictions[np.arange(n), np.where(valid, targets, 0)] if classes else \
        np.zeros(n, predictions.dtype)
    # Ties at the boundary count as in the top k: only strictly larger predictions push out.
    larger = np.count_nonzero(predictions > target_pred[:, None], axis=1)
    # As TF: a row with any non-finite prediction is never in the top k.
    return valid & np.isfinite(predictions).all(axis=1) & (larger < int(k))


def _in_top_k_infer(predictions, targets, *k):
    p = predictions.shape
    if p.rank not in (None, 2):
        raise shape_error(f"Shape must be rank 2 but is rank {p.rank}")
    if targets.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {targets.shape.rank}")
    b0, b1 = p.with_rank(2)[0].value, targets.shape.with_rank(1)[0].value
    if b0 is not None and b1 is not None and b0 != b1:
        raise shape_error(f"Dimensions must be equal, but are {b0} and {b1}")
    if k and isinstance(k[0], TensorSpec) and k[0].shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {k[0].shape.rank}")
    return [TensorSpec([b0 if b0 is not None else b1], _dt.bool)]


IN_TOP_K_V2 = register(OpDef(
    "InTopKV2", inputs=["predictions:float32", "targets:T=int32", "k:T"],
    kernel=_in_top_k, infer=_in_top_k_infer, grad=NOT_DIFFERENTIABLE,
))
IN_TOP_K = register(OpDef(
    "InTopK", inputs=["predictions:float32", "targets:T=int32"], attrs={"k": req("int")},
    kernel=lambda predictions, targets, *, k: _in_top_k(predictions, targets, k),
    infer=lambda predictions, targets, *, k: _in_top_k_infer(predictions, targets),
    grad=NOT_DIFFERENTIABLE,
))


# -- tf.nn: activations ---------------------------------------------------------------------------


def relu(features, name=None):
    return RELU(features, name=name)


def relu6(features, name=None):
    return RELU6(features, name=name)


def leaky_relu(features, alpha=0.2, name=None):
    with name_scope(name, "LeakyRelu", [features]) as scope:
        features = convert_to_tensor(features, name="features")
        if features.dtype.is_integer:
            features = math_ops.cast(features, _dt.float32)
        if isinstance(alpha, np.ndarray):
            alpha = alpha.item()
        return LEAKY_RELU(features, alpha=alpha, name=scope)


def elu(features, name=None):
    return ELU(features, name=name)


def selu(features, name=None):
    return SELU(features, name=name)


def softplus(features, name=None):
    return SOFTPLUS(features, name=name)


def softsign(features, name=None):
    return SOFTSIGN(features, name=name)


# tf.nn.sigmoid and tf.nn.tanh are tf.sigmoid and tf.tanh.
sigmoid = unary_ops.sigmoid
tanh = unary_ops.tanh


def bias_add(value, bias, data_format=None, name=None):
    """Adds the 1-D ``bias`` along the channel dimension (last for 'N...C', 1 for 'NC...')."""
    if data_format is not None:
        if data_format.startswith("NC"):
            data_format = "NCHW"
        elif data_format.startswith("N") and data_format.endswith("C"):
            data_format = "NHWC"
        else:
            raise ValueError("`data_format` must be of the form `N...C` or `NC...`. Received: "
                             f"data_format={data_format}")
    with name_scope(name, "BiasAdd", [value, bias]) as scope:
        value = convert_to_tensor(value, name="input")
        bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
        return BIAS_ADD(value, bias, data_format=data_format or "NHWC", name=scope)


# -- tf.nn: L2 loss, InTopK ------------------------------------------------------------------------


def l2_loss(t, name=None):
    """``sum(t ** 2) / 2``."""
    return L2_LOSS(t, name=name)


def in_top_k(predictions, targets, k, name=None):
    """Whether each target class is among the ``k`` largest predictions of its row."""
    with name_scope(name, "in_top_k"):
        return IN_TOP_K_V2(predictions, targets, k, name=name)
