"""Neural-network ops: activations, softmax, cross-entropy, BiasAdd, L2Loss, InTopK.

Ops TensorFlow writes as one node (Relu, Softmax, BiasAdd, ...) are one OpDef here, each with the
dedicated gradient op TensorFlow uses (ReluGrad, BiasAddGrad, ...), which in turn has its own
gradient rule so second derivatives work. Composite functions (dropout, sigmoid cross-entropy,
moments, ...) are composed from ops, as TensorFlow's Python does. ``__all__`` lists the ``tf.nn``
names (core/nn.py star-imports it).
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor, constant_value, convert_to_tensor, name_scope
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape, as_shape, broadcast_shapes
from . import array_ops, math_ops, random_ops, slicing_ops
from ._util import same_as

__all__ = [
    "bias_add", "relu", "relu6", "leaky_relu", "elu", "selu", "softplus", "softsign",
    "sigmoid", "tanh", "softmax", "log_softmax", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits", "l2_loss",
    "dropout", "l2_normalize", "moments", "batch_normalization", "xw_plus_b", "relu_layer",
    "embedding_lookup", "in_top_k",
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


def _is_zeros(t) -> bool:
    """An output gradient autodiff filled in for an unused output (TF's ``_is_zeros_tensor``)."""
    return t is None or t.op.type == "ZerosLike"


# -- activations and their gradient ops -----------------------------------------------------------


def _activation(type_, kernel, grad, float_only, attrs=None):
    def infer(x, **_):
        if float_only:
            _require_float(x, "features")
        return same_as(x)
    return register(OpDef(type_, inputs=["features:T"], attrs=attrs or {}, kernel=kernel,
                          infer=infer, grad=grad))


def _activation_grad(type_, kernel, grad, float_only, second="features", attrs=None):
    def infer(g, x, **_):
        if float_only:
            _require_float(g, "gradients")
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
    scaled = x * x.dtype.type(alpha)
    # x > 0 ? x : alpha * x, as a max (alpha <= 1) or a min (alpha > 1).
    return np.maximum(x, scaled) if alpha <= 1 else np.minimum(x, scaled)


def _leaky_relu_grad(g, x, *, alpha):
    pos = x > 0
    return g * pos + (g * g.dtype.type(alpha)) * ~pos


def _elu(x):
    # max(x, 0) + expm1(min(x, 0)) is x for x >= 0 and e^x - 1 below, exact near 0.
    return np.maximum(x, 0) + np.expm1(np.minimum(x, 0))


def _elu_grad(g, y):
    return g * (np.minimum(y, 0) + 1)  # y + 1 where the output is negative, else 1


_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


def _selu(x):
    t = x.dtype.type
    return t(_SELU_SCALE) * np.maximum(x, 0) + t(_SELU_SCALE * _SELU_ALPHA) * np.expm1(
        np.minimum(x, 0))


def _selu_grad(g, y):
    t = g.dtype.type
    neg = y < 0
    return g * ((y + t(_SELU_SCALE * _SELU_ALPHA)) * neg + t(_SELU_SCALE) * ~neg)


def _softplus(x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, accurate in both tails.
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _softplus_grad(g, x):
    # TF's SoftplusGrad: gradients / (exp(-features) + 1); exp overflow gives the right 0.
    d = np.negative(x)
    with np.errstate(over="ignore"):
        np.exp(d, out=d)
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
    return [LEAKY_RELU_GRAD(grad, x, alpha=op.get_attr("alpha")), array_ops.zeros_like(x)]


def _exp_family_grad_grad(grad_op):
    """EluGrad/SeluGrad: d/dy of dy*(y + c) is dy where y < 0 (the output), else 0."""
    def rule(op, grad):
        dy, y = op.inputs
        return [grad_op(grad, y),
                math_ops.where(math_ops.less(y, 0), grad * dy, array_ops.zeros_like(y))]
    return rule


def _softplus_grad_grad(op, grad):
    # dx = dy * sigmoid(x): d/ddy = sigmoid(x), d/dx = dy * sigmoid'(x) = dy / (e^-x + 2 + e^x).
    dy, x = op.inputs
    d2x = grad * dy / (math_ops.exp(-x) + 2.0 + math_ops.exp(x))
    return [SOFTPLUS_GRAD(grad, x), d2x]


def _softsign_grad_grad(op, grad):
    # dx = dy / (1 + |x|)^2: d/ddy = 1 / (1 + |x|)^2, d/dx = -2 dy sign(x) / (1 + |x|)^3.
    dy, x = op.inputs
    denom = 1.0 + math_ops.abs(x)
    return [SOFTSIGN_GRAD(grad, x),
            SOFTSIGN_GRAD(grad * dy, x) * (-2.0 * math_ops.sign(x) / denom)]


RELU = _activation("Relu", _relu, lambda op, dy: [RELU_GRAD(dy, op.outputs[0])], False)
RELU_GRAD = _activation_grad("ReluGrad", _relu_grad, _relu_grad_grad, False)
RELU6 = _activation("Relu6", _relu6, lambda op, dy: [RELU6_GRAD(dy, op.outputs[0])], False)
RELU6_GRAD = _activation_grad("Relu6Grad", _relu6_grad, _relu6_grad_grad, False)
LEAKY_RELU = _activation(
    "LeakyRelu", _leaky_relu,
    lambda op, dy: [LEAKY_RELU_GRAD(dy, op.inputs[0], alpha=op.get_attr("alpha"))], True,
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

# -- Softmax, LogSoftmax --------------------------------------------------------------------------


def _softmax_infer(logits):
    _require_float(logits, "logits")
    if logits.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0")
    return same_as(logits)


def _shifted(x):
    """``x - max(x, -1)``, a fresh array (safe to modify in place)."""
    return np.subtract(x, np.max(x, axis=-1, keepdims=True))


def _softmax(x):
    if x.size == 0:
        return np.array(x)
    e = _shifted(x)
    np.exp(e, out=e)
    e /= np.sum(e, axis=-1, keepdims=True)
    return e


def _log_softmax(x):
    if x.size == 0:
        return np.array(x)
    s = _shifted(x)
    s -= np.log(np.sum(np.exp(s), axis=-1, keepdims=True))
    return s


def _softmax_grad(op, dy):
    y = op.outputs[0]
    return [(dy - math_ops.reduce_sum(dy * y, -1, keepdims=True)) * y]


def _log_softmax_grad(op, dy):
    return [dy - math_ops.reduce_sum(dy, -1, keepdims=True) * math_ops.exp(op.outputs[0])]


SOFTMAX = register(OpDef("Softmax", inputs=["logits:T"], kernel=_softmax, infer=_softmax_infer,
                         grad=_softmax_grad))
LOG_SOFTMAX = register(OpDef("LogSoftmax", inputs=["logits:T"], kernel=_log_softmax,
                             infer=_softmax_infer, grad=_log_softmax_grad))

# -- cross-entropy --------------------------------------------------------------------------------


def _xent_infer(features, labels):
    _require_float(features, "features")
    f, lab = features.shape, labels.shape
    if f.rank in (None, 2) and f.with_rank(2).is_compatible_with(lab):
        merged = f.with_rank(2).merge_with(lab)
        return [TensorSpec([merged[0].value], features.dtype),
                TensorSpec(merged, features.dtype)]
    try:
        out = broadcast_shapes(f, lab)
    except ValueError as e:
        raise shape_error(str(e)) from None
    if out.rank is None:
        raise shape_error("Shape must be broadcasted with rank 2, but is rank is unknown.")
    if out.rank != 2:
        raise shape_error(f"Shape must be broadcasted with rank 2, but is rank {out.rank}")
    return [TensorSpec([out[0].value], features.dtype), TensorSpec(out, features.dtype)]


def _softmax_and_loss(shifted, loss_of):
    """Softmax of max-shifted logits (in place) and the loss from log(sum(exp))."""
    e = np.exp(shifted)
    total = np.sum(e, axis=-1, keepdims=True)
    loss = loss_of(np.log(total))
    e /= total
    return loss, e


def _xent_kernel(features, labels):
    if features.shape != labels.shape:
        try:
            shape = np.broadcast_shapes(features.shape, labels.shape)
        except ValueError:
            shape = None
        if shape is None or len(shape) != 2:
            raise InvalidArgumentError(
                None, None, "logits and labels must be broadcastable: logits_size="
                f"{list(features.shape)} labels_size={list(labels.shape)}")
        features = np.broadcast_to(features, shape)
        labels = np.broadcast_to(labels, shape)
    elif features.ndim != 2:
        raise InvalidArgumentError(None, None, "logits and labels must be either 2-dimensional, "
                                   "or broadcasted to be 2-dimensional")
    if features.shape[1] == 0:
        return np.zeros(features.shape[:1], features.dtype), np.zeros(features.shape,
                                                                     features.dtype)
    shifted = _shifted(features)
    loss, sm = _softmax_and_loss(
        shifted, lambda log_total: np.sum(labels * (log_total - shifted), axis=-1))
    sm -= labels
    return loss.astype(features.dtype, copy=False), sm


def _xent_grad(op, grad_loss, grad_grad):
    """TensorFlow's rule, with d(backprop)/d(labels) = -1 also applied to ``grad_grad``."""
    features, labels = op.inputs
    gl = array_ops.expand_dims(grad_loss, -1)
    g_features = gl * op.outputs[1]
    g_labels = gl * -LOG_SOFTMAX(features)
    if not _is_zeros(grad_grad):
        sm = SOFTMAX(features)
        g_features += (grad_grad - math_ops.reduce_sum(grad_grad * sm, -1, keepdims=True)) * sm
        g_labels -= grad_grad
    return [math_ops.sum_to_operand(g_features, features, labels),
            math_ops.sum_to_operand(g_labels, labels, features)]


SOFTMAX_CROSS_ENTROPY_WITH_LOGITS = register(OpDef(
    "SoftmaxCrossEntropyWithLogits", inputs=["features:T", "labels:T"],
    kernel=_xent_kernel, infer=_xent_infer, grad=_xent_grad,
))


def _sparse_xent_infer(features, labels):
    _require_float(features, "features")
    if labels.dtype not in (_dt.int32, _dt.int64):
        raise TypeError(f"Value passed to parameter 'labels' has DataType {labels.dtype.name} "
                        "not in list of allowed values: int32, int64")
    f, lab = features.shape, labels.shape
    if f.rank not in (None, 2):
        raise shape_error(f"Shape must be rank 2 but is rank {f.rank}")
    if lab.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {lab.rank}")
    f, lab = f.with_rank(2), lab.with_rank(1)
    b0, b1 = f[0].value, lab[0].value
    if b0 is not None and b1 is not None and b0 != b1:
        raise shape_error(f"Dimensions must be equal, but are {b0} and {b1}")
    batch = b0 if b0 is not None else b1
    return [TensorSpec([batch], features.dtype), TensorSpec([batch, f[1].value], features.dtype)]


def _sparse_xent_kernel(features, labels):
    n, classes = features.shape
    if labels.shape != (n,):
        raise InvalidArgumentError(None, None, "logits and labels must have the same first "
                                   f"dimension, got logits shape {list(features.shape)} and "
                                   f"labels shape {list(labels.shape)}")
    if classes == 0 and n:
        raise InvalidArgumentError(None, None, "Must have at least one class, but got logits "
                                   f"shape {list(features.shape)}")
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        first = labels[np.argmax(bad)]
        raise InvalidArgumentError(
            None, None, f"Received a label value of {first} which is outside the valid range "
            f"of [0, {classes}).  Label values: {' '.join(str(v) for v in labels)}")
    rows = np.arange(n)
    shifted = _shifted(features) if n else np.array(features)
    loss, sm = _softmax_and_loss(shifted, lambda log_total: log_total[:, 0] - shifted[rows, labels])
    sm[rows, labels] -= 1
    return loss.astype(features.dtype, copy=False), sm


def _sparse_xent_grad(op, grad_loss, grad_grad):
    features = op.inputs[0]
    g = array_ops.expand_dims(grad_loss, -1) * op.outputs[1]
    if not _is_zeros(grad_grad):
        sm = SOFTMAX(features)
        g += (grad_grad - math_ops.reduce_sum(grad_grad * sm, -1, keepdims=True)) * sm
    return [g, None]


SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS = register(OpDef(
    "SparseSoftmaxCrossEntropyWithLogits", inputs=["features:T", "labels:Tlabels=int64"],
    kernel=_sparse_xent_kernel, infer=_sparse_xent_infer, grad=_sparse_xent_grad,
))

# -- BiasAdd, BiasAddGrad -------------------------------------------------------------------------


def _channel_axis(shape: TensorShape, data_format: str):
    """The channel axis of a value of this (known-rank) shape; checks TF's rank rules."""
    if data_format not in ("NHWC", "NCHW"):
        raise shape_error(f"Invalid data format: {data_format}")
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
    if value.ndim < (2 if data_format == "NHWC" else 3) or bias.ndim != 1 \
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
    if g.ndim < (2 if data_format == "NHWC" else 3):
        raise InvalidArgumentError(None, None, f"Input tensor must be at least "
                                   f"{2 if data_format == 'NHWC' else 3}D: {list(g.shape)}")
    acc = np.float32 if g.dtype == np.float16 else g.dtype  # half sums accumulate in float
    channel = g.ndim - 1 if data_format == "NHWC" else 1
    out = np.sum(g, axis=tuple(a for a in range(g.ndim) if a != channel), dtype=acc)
    return np.asarray(out).astype(g.dtype, copy=False)


BIAS_ADD = register(OpDef(
    "BiasAdd", inputs=["value:T", "bias:T"], attrs={"data_format": "NHWC"},
    kernel=_bias_add_kernel, infer=_bias_add_infer,
    grad=lambda op, dy: [dy, BIAS_ADD_GRAD(dy, data_format=op.get_attr("data_format"))],
))
# The gradient of the bias sum is the bias gradient spread over the value's shape: BiasAdd of
# zeros (works for any rank, known or not).
BIAS_ADD_GRAD = register(OpDef(
    "BiasAddGrad", inputs=["out_backprop:T"], attrs={"data_format": "NHWC"},
    kernel=_bias_add_grad_kernel, infer=_bias_add_grad_infer,
    grad=lambda op, g: [BIAS_ADD(array_ops.zeros_like(op.inputs[0]), g,
                                 data_format=op.get_attr("data_format"))],
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
    return valid & np.isfinite(target_pred) & (larger < int(k))


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
sigmoid = math_ops.sigmoid
tanh = math_ops.tanh


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


# -- tf.nn: softmax family ------------------------------------------------------------------------


def _axis_or_dim(axis, dim):
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    return axis if axis is not None else dim


def _static_int(v):
    if isinstance(v, Tensor):
        value = constant_value(v)
        if value is None:
            raise ValueError(f"axis must be statically known, got {v}")
        return int(value)
    return int(v)


def _move_axis_perm(rank, axis, swap):
    """A permutation taking ``axis`` to the end: swapped with the last (TF's softmax) or moved
    behind the others (TF's cross-entropy)."""
    if swap:
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        return perm
    return [d for d in range(rank) if d != axis] + [axis]


def _on_last_axis(opdef, logits, axis, name):
    """Applies a last-axis op along ``axis``: TF transposes ``axis`` to the end and back."""
    x = convert_to_tensor(logits)
    axis = -1 if axis is None else _static_int(axis)
    rank = x.shape.rank
    if axis == -1 or (rank is not None and axis == rank - 1):
        return opdef(x, name=name)
    if rank is None:
        raise ValueError(f"softmax along axis {axis} needs a known rank, got {x}")
    if not -rank <= axis < rank:
        raise InvalidArgumentError(None, None, f"`dim` must be in the range [{-rank}, {rank}) "
                                   f"where {rank} is the number of dimensions in the input. "
                                   f"Received: dim={axis}")
    perm = _move_axis_perm(rank, axis % rank, swap=True)
    out = array_ops.transpose(opdef(array_ops.transpose(x, perm)), perm, name=name)
    out.set_shape(x.shape)
    return out


def softmax(logits, axis=None, name=None, dim=None):
    """Softmax along ``axis`` (default the last): exp(x) / sum(exp(x)), computed max-shifted."""
    return _on_last_axis(SOFTMAX, logits, _axis_or_dim(axis, dim), name)


def log_softmax(logits, axis=None, name=None, dim=None):
    return _on_last_axis(LOG_SOFTMAX, logits, _axis_or_dim(axis, dim), name)


# -- tf.nn: cross-entropy -------------------------------------------------------------------------


def _ensure_xent_args(name, sentinel, labels, logits):
    if sentinel is not None:
        raise ValueError(f"Only call `{name}` with named arguments (labels=..., logits=..., ...)")
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")


def _flatten_outer_dims(x: Tensor) -> Tensor:
    """``x`` as a matrix [-1, last dim] (TensorFlow's ``_flatten_outer_dims``)."""
    last = x.shape[-1].value if x.shape.rank else None
    if last is None:
        last = array_ops.shape(x)[-1:]
        return array_ops.reshape(x, array_ops.concat([[-1], last], 0))
    return array_ops.reshape(x, [-1, last])


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """Cross-entropy of softmax(logits) against the distributions ``labels`` along ``axis``;
    gradients flow into both logits and labels."""
    axis = _axis_or_dim(axis, dim)
    axis = -1 if axis is None else _static_int(axis)
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        half = logits.dtype == _dt.float16
        precise = math_ops.cast(logits, _dt.float32) if half else logits
        labels = math_ops.cast(labels, precise.dtype)
        shape = logits.shape
        rank = shape.rank
        if axis != -1 and not (rank is not None and axis == rank - 1):
            if rank is None:
                raise ValueError(f"axis {axis} needs logits of known rank, got {logits}")
            perm = _move_axis_perm(rank, axis % rank, swap=False)
            precise = array_ops.transpose(precise, perm)
            labels = array_ops.transpose(labels, perm)
        if rank == 2 and labels.shape.rank in (1, 2):
            cost = SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(precise, labels, name=scope)[0]
        else:
            in_shape = array_ops.shape(precise)
            cost = SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(
                _flatten_outer_dims(precise), _flatten_outer_dims(labels), name=scope)[0]
            outer = shape.as_list()[:-1] if rank is not None and axis == -1 else None
            if outer is not None and None not in outer:
                cost = array_ops.reshape(cost, outer)
            else:
                cost = array_ops.reshape(cost, in_shape[:-1])
        if rank is not None:
            dims = shape.as_list()
            del dims[axis]
            cost.set_shape(dims)
        return math_ops.cast(cost, logits.dtype) if half else cost


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1,
                                      name=None, axis=None):
    """TF1's version: like ``_v2`` but no gradient flows into ``labels``."""
    _ensure_xent_args("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    axis = axis if axis is not None else dim
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as scope:
        labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=axis,
                                                name=scope)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name=None):
    """Cross-entropy of softmax(logits) against integer class ``labels`` (shape logits[:-1])."""
    _ensure_xent_args("sparse_softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        half = logits.dtype == _dt.float16
        precise = math_ops.cast(logits, _dt.float32) if half else logits
        lab, lg = labels.shape, logits.shape
        if lg.rank == 0:
            raise ValueError(f"`logits` cannot be a scalar. Received logits={logits}`")
        if lg.rank is not None and lab.rank is not None and lab.rank != lg.rank - 1:
            raise ValueError(
                "`labels.shape.rank` must equal `logits.shape.rank - 1`. Received: "
                f"labels.shape={lab} of rank {lab.rank} and logits.shape={lg} of rank {lg.rank}")
        if lab.is_fully_defined() and lg[:-1].is_fully_defined() and lab != lg[:-1]:
            raise ValueError("`labels.shape` must equal `logits.shape` except for the last "
                             f"dimension. Received: labels.shape={lab} and logits.shape={lg}")
        op_name = name or "SparseSoftmaxCrossEntropyWithLogits"
        if lg.rank == 2:
            cost = SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(precise, labels, name=op_name)[0]
        else:
            labels_shape = array_ops.shape(labels)
            cost = SPARSE_SOFTMAX_CROSS_ENTROPY_WITH_LOGITS(
                _flatten_outer_dims(precise), array_ops.reshape(labels, [-1]), name=op_name)[0]
            cost = array_ops.reshape(cost, lab.as_list() if lab.is_fully_defined()
                                     else labels_shape)
            cost.set_shape(lab)
        return math_ops.cast(cost, _dt.float16) if half else cost


def _same_shape_or_raise(logits, labels):
    if not labels.shape.is_compatible_with(logits.shape):
        raise ValueError(f"logits and labels must have the same shape ({logits.shape} vs "
                         f"{labels.shape})")


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Elementwise logistic loss ``max(x, 0) - x * z + log(1 + exp(-|x|))`` (TF's stable form,
    whose gradient is also right at x = 0)."""
    _ensure_xent_args("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _same_shape_or_raise(logits, labels)
        zeros = array_ops.zeros_like(logits)
        cond = math_ops.greater_equal(logits, zeros)
        relu_logits = math_ops.where(cond, logits, zeros)
        neg_abs_logits = math_ops.where(cond, -logits, logits)
        # softplus(-|x|) = log1p(exp(-|x|)), computed by one stable kernel.
        return math_ops.add(relu_logits - logits * labels, softplus(neg_abs_logits), name=scope)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None,
                                       targets=None):
    """Logistic loss with positives weighted by ``pos_weight``:
    ``(1 - z) * x + (1 + (q - 1) * z) * log(1 + exp(-x))``."""
    if labels is None:
        labels = targets
    elif targets is not None:
        raise ValueError("Cannot specify both 'labels' and 'targets'")
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _same_shape_or_raise(logits, labels)
        log_weight = 1 + (pos_weight - 1) * labels
        # softplus(-x) = log1p(exp(-|x|)) + relu(-x) (TF's spelling), stable in one kernel.
        return math_ops.add((1 - labels) * logits, log_weight * softplus(-logits), name=scope)


def l2_loss(t, name=None):
    """``sum(t ** 2) / 2``."""
    return L2_LOSS(t, name=name)


# -- tf.nn: composites ----------------------------------------------------------------------------


def _noise_shape(x: Tensor, noise_shape):
    if noise_shape is None:
        return x.shape.as_list() if x.shape.is_fully_defined() else array_ops.shape(x)
    if isinstance(noise_shape, Tensor):
        return noise_shape
    ns = as_shape(noise_shape)
    if x.shape.rank is not None and ns.rank == x.shape.rank:
        ns = TensorShape([n if n is not None else d
                          for n, d in zip(ns.as_tuple(), x.shape.as_tuple())])
    return ns.as_list()


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """TF1 dropout: keeps each element with probability ``keep_prob`` (or ``1 - rate``), scaling
    kept ones by ``1 / keep_prob``; ``keep_prob`` may be a tensor (e.g. a placeholder)."""
    if keep_prob is not None and rate is not None:
        raise ValueError("Cannot specify both 'rate' and 'keep_prob'")
    if keep_prob is None and rate is None:
        raise ValueError(f"`rate` must be provided. Received: rate={rate}")
    with name_scope(name, "dropout", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError("x has to be a floating point tensor since it's going to be scaled. "
                             f"Got a {x.dtype.name} tensor instead.")
        if rate is not None:
            if isinstance(rate, numbers.Real) and not 0 <= rate < 1:
                raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), "
                                 f"got {rate:g}")
            keep_prob = 1 - rate if isinstance(rate, numbers.Real) else \
                math_ops.subtract(1.0, convert_to_tensor(rate, dtype=x.dtype, name="rate"))
        if isinstance(keep_prob, numbers.Real) and not 0 < keep_prob <= 1:
            raise ValueError("keep_prob must be a scalar tensor or a float in the range (0, 1], "
                             f"got {keep_prob:g}")
        keep_prob = convert_to_tensor(keep_prob, dtype=x.dtype, name="keep_prob")
        if not keep_prob.shape.is_compatible_with([]):
            raise ValueError(f"keep_prob must be a scalar, got shape {keep_prob.shape}")
        value = constant_value(keep_prob)
        if value is not None and value == 1:
            return x
        # keep_prob + U[0, 1) is in [keep_prob, 1 + keep_prob): its floor is 1 with
        # probability keep_prob, else 0.
        random_tensor = keep_prob + random_ops.random_uniform(
            _noise_shape(x, noise_shape), seed=seed, dtype=x.dtype)
        binary_tensor = math_ops.floor(random_tensor)
        ret = math_ops.divide(x, keep_prob, name="div") * binary_tensor  # "dropout/mul", as TF1
        ret.set_shape(x.shape)
        return ret


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))``."""
    axis = _axis_or_dim(axis, dim)
    with name_scope(name, "l2_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = math_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        x_inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, x_inv_norm, name=scope)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """Mean and variance of ``x`` over ``axes``."""
    keep = keepdims if keepdims is not None else bool(keep_dims)
    with name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x, name="x")
        y = math_ops.cast(x, _dt.float32) if x.dtype == _dt.float16 else x
        mean = math_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        variance = math_ops.reduce_mean(
            math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes,
            keepdims=True, name="variance")
        if not keep:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        if x.dtype == _dt.float16:
            return math_ops.cast(mean, _dt.float16), math_ops.cast(variance, _dt.float16)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + epsilon) + offset`` (offset/scale may be None)."""
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        x = convert_to_tensor(x, name="x")
        inv = math_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv *= scale
        shift = offset - mean * inv if offset is not None else -mean * inv
        return x * math_ops.cast(inv, x.dtype) + math_ops.cast(shift, x.dtype)


def xw_plus_b(x, weights, biases, name=None):
    """``matmul(x, weights) + biases``."""
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return bias_add(math_ops.matmul(x, weights), biases, name=scope)


def relu_layer(x, weights, biases, name=None):
    """``relu(matmul(x, weights) + biases)``."""
    with name_scope(name, "relu_layer", [x, weights, biases]) as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return relu(bias_add(math_ops.matmul(x, weights), biases), name=scope)


def in_top_k(predictions, targets, k, name=None):
    """Whether each target class is among the ``k`` largest predictions of its row."""
    with name_scope(name, "in_top_k"):
        return IN_TOP_K_V2(predictions, targets, k, name=name)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """Rows of ``params`` (one tensor, or a list of shards split by ``partition_strategy``)."""
    if isinstance(params, (list, tuple)):
        params = list(params)
    else:
        params = [params]
    if not params:
        raise ValueError("Need at least one param")
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"Unrecognized partition strategy: {partition_strategy}")
    with name_scope(name, "embedding_lookup", params + [ids]) as scope:
        params = [convert_to_tensor(p, name="params") for p in params]
        ids = convert_to_tensor(ids, name="ids")
        if len(params) == 1:
            table, index = params[0], ids
        else:
            table, index = _sharded_table(params, ids, partition_strategy)
        result = slicing_ops.gather(table, index, name=scope)
        if max_norm is not None:
            result = _clip_rows(result, ids, max_norm)
        return array_ops.identity(result)


def _sharded_table(shards, ids, strategy):
    """One table (the shards concatenated) and the row of each id in it. TF's 'div' puts
    contiguous id ranges in each shard; 'mod' puts id i in shard i % n at row i // n."""
    sizes = [p.shape[0].value if p.shape.rank else None for p in shards]
    table = array_ops.concat(shards, 0)
    if strategy == "div":
        return table, ids
    if None in sizes:
        raise ValueError("embedding_lookup with partition_strategy='mod' needs shards with a "
                         f"static first dimension, got {[str(p.shape) for p in shards]}")
    n = len(shards)
    offsets = array_ops.constant(np.cumsum([0] + sizes[:-1]).astype(ids.dtype.as_numpy_dtype))
    shard = math_ops.floormod(ids, n)
    return table, slicing_ops.gather(offsets, shard) + math_ops.floordiv(ids, n)


def _clip_rows(result, ids, max_norm):
    """Each embedding rescaled to L2 norm at most ``max_norm`` (TF's clip_by_norm per row)."""
    ids_rank, rank = ids.shape.rank, result.shape.rank
    if ids_rank is None or rank is None:
        raise ValueError("embedding_lookup with max_norm needs ids and params of known rank")
    axes = list(range(ids_rank, rank))
    norm = math_ops.sqrt(math_ops.reduce_sum(math_ops.square(result), axes, keepdims=True))
    max_norm = convert_to_tensor(max_norm, dtype=result.dtype)
    return result * max_norm / math_ops.maximum(norm, max_norm)
