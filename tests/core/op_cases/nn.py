"""Cases for the neural-network ops: activations and their gradient ops, softmax, cross-entropy,
BiasAdd, L2Loss, InTopK. References are written from the math in float64."""

import numpy as np

from .harness import Case

R = np.random.default_rng(7)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return R.standard_normal(shape)


def away(*shape, lo=0.1, dtype=np.float32):
    """Values of both signs with |x| >= lo: gradient checks stay off the kinks at 0."""
    x = R.uniform(lo, 2.0, shape) * R.choice([-1.0, 1.0], shape)
    return x.astype(dtype)


def probs(*shape):
    p = R.uniform(0.1, 1.0, shape)
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


# -- references -----------------------------------------------------------------------------------

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _as(x, ref):
    return np.asarray(ref).astype(np.asarray(x).dtype)


def relu(x):
    return _as(x, np.where(x > 0, x, 0))


def relu6(x):
    return _as(x, np.minimum(np.maximum(x, 0), 6))


def leaky(x, alpha=0.2):
    return _as(x, np.where(x > 0, x, alpha * x.astype(np.float64)))


def elu(x):
    x64 = x.astype(np.float64)
    return _as(x, np.where(x64 > 0, x64, np.exp(np.minimum(x64, 0)) - 1))


def selu(x):
    x64 = x.astype(np.float64)
    neg = SELU_ALPHA * (np.exp(np.minimum(x64, 0)) - 1)
    return _as(x, SELU_SCALE * np.where(x64 > 0, x64, neg))


def softplus(x):
    x64 = x.astype(np.float64)
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|)
    return _as(x, np.maximum(x64, 0) + np.log1p(np.exp(-np.abs(x64))))


def sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


def softsign(x):
    return _as(x, x / (1 + np.abs(x.astype(np.float64))))


def softmax(x):
    z = np.exp(x.astype(np.float64) - x.max(-1, keepdims=True))
    return _as(x, z / z.sum(-1, keepdims=True))


def log_softmax(x):
    x64 = x.astype(np.float64)
    m = x64.max(-1, keepdims=True)
    return _as(x, x64 - m - np.log(np.exp(x64 - m).sum(-1, keepdims=True)))


def xent(features, labels):
    f, lab = np.broadcast_arrays(features.astype(np.float64), labels.astype(np.float64))
    ls = log_softmax(f)
    return _as(features, -(lab * ls).sum(-1)), _as(features, np.exp(ls) - lab)


def sparse_xent(features, labels):
    ls = log_softmax(features.astype(np.float64))
    onehot = np.eye(features.shape[1])[labels]
    return _as(features, -(onehot * ls).sum(-1)), _as(features, np.exp(ls) - onehot)


def bias_add(value, bias, data_format="NHWC"):
    if data_format == "NCHW":
        return value + bias.reshape((-1,) + (1,) * (value.ndim - 2))
    return value + bias


def bias_add_grad(g, data_format="NHWC"):
    axes = tuple(i for i in range(g.ndim) if i != (1 if data_format == "NCHW" else g.ndim - 1))
    return _as(g, g.astype(np.float64).sum(axes))


def in_top_k(pred, targets, k):
    out = []
    for row, t in zip(pred, targets):
        ok = 0 <= t < len(row) and np.isfinite(row[t])
        out.append(bool(ok and np.sum(row > row[t]) < k))
    return np.array(out, dtype=bool)


# -- cases ----------------------------------------------------------------------------------------

_X = away(3, 4)
_X64 = away(2, 5, dtype=np.float64)
_Y_ELU = elu(away(3, 4))  # EluGrad/SeluGrad take the op's outputs
_Y_SELU = selu(away(3, 4))
_X6 = np.array([[-1.5, 0.5, 2.5], [3.5, 5.5, 7.0]], np.float32)  # away from 0 and 6
_INT = np.array([[-3, 0, 4], [7, -1, 9]], np.int32)
_BIG = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], np.float32)

CASES = [
    # Relu family
    Case("Relu", [_X], ref=relu),
    Case("Relu", [_X64], ref=relu, id="Relu-float64"),
    Case("Relu", [_INT], ref=relu, id="Relu-int32"),
    Case("Relu", [np.zeros((0, 3), np.float32)], ref=relu, id="Relu-empty"),
    Case("Relu", [np.float32(-2.5)], ref=relu, id="Relu-scalar"),
    Case("ReluGrad", [f32(3, 4), _X], ref=lambda g, x: _as(g, np.where(x > 0, g, 0))),
    Case("ReluGrad", [f64(2, 5), _X64], ref=lambda g, x: np.where(x > 0, g, 0),
         id="ReluGrad-float64"),
    Case("Relu6", [_X6], ref=relu6),
    Case("Relu6", [_INT], ref=relu6, id="Relu6-int32"),
    Case("Relu6Grad", [f32(2, 3), _X6], ref=lambda g, x: _as(g, np.where((x > 0) & (x < 6), g, 0))),
    Case("LeakyRelu", [_X], ref=lambda x, **k: leaky(x)),
    Case("LeakyRelu", [_X64], attrs={"alpha": 0.01}, ref=lambda x, alpha: leaky(x, alpha),
         id="LeakyRelu-alpha-float64"),
    Case("LeakyReluGrad", [f32(3, 4), _X], ref=lambda g, x: _as(g, np.where(x > 0, g, 0.2 * g))),
    Case("LeakyReluGrad", [f32(3, 4), _X], attrs={"alpha": 0.3},
         ref=lambda g, x, alpha: _as(g, np.where(x > 0, g, 0.3 * g.astype(np.float64))),
         id="LeakyReluGrad-alpha"),
    # exponential family
    Case("Elu", [_X], ref=elu),
    Case("Elu", [np.array([-50.0, -1e-3, 1e-3, 80.0])], ref=elu, id="Elu-tails-float64"),
    Case("EluGrad", [f32(3, 4), _Y_ELU],
         ref=lambda g, y: _as(g, np.where(y < 0, g * (y + 1.0), g))),
    Case("Selu", [_X], ref=selu),
    Case("Selu", [_X64], ref=selu, id="Selu-float64"),
    Case("SeluGrad", [f32(3, 4), _Y_SELU],
         ref=lambda g, y: _as(g, np.where(y < 0, g * (y + SELU_SCALE * SELU_ALPHA),
                                          g * SELU_SCALE))),
    Case("Softplus", [_X], ref=softplus),
    Case("Softplus", [np.array([-200.0, -30.0, 0.0, 30.0, 200.0], np.float32)], ref=softplus,
         id="Softplus-stable", grad=[]),
    Case("Softplus", [_X64], ref=softplus, id="Softplus-float64"),
    Case("SoftplusGrad", [f32(3, 4), _X], ref=lambda g, x: _as(g, g * sigmoid(x))),
    Case("SoftplusGrad", [np.ones(4, np.float32), np.array([-100, -20, 20, 100], np.float32)],
         ref=lambda g, x: _as(g, g * sigmoid(x)), id="SoftplusGrad-tails", grad=[]),
    Case("Softsign", [_X], ref=softsign),
    Case("SoftsignGrad", [f32(3, 4), _X],
         ref=lambda g, x: _as(g, g / (1 + np.abs(x.astype(np.float64))) ** 2)),
    # softmax
    Case("Softmax", [f32(3, 5)], ref=softmax),
    Case("Softmax", [f32(2, 3, 4)], ref=softmax, id="Softmax-3d"),
    Case("Softmax", [f32(6)], ref=softmax, id="Softmax-1d"),
    Case("Softmax", [f64(4, 3)], ref=softmax, id="Softmax-float64"),
    Case("Softmax", [_BIG], ref=softmax, id="Softmax-large-logits", grad=[]),
    Case("Softmax", [np.zeros((0, 4), np.float32)], ref=softmax, id="Softmax-empty-batch"),
    Case("Softmax", [np.zeros((3, 0), np.float32)], ref=lambda x: x, id="Softmax-no-classes",
         grad=[]),
    Case("LogSoftmax", [f32(3, 5)], ref=log_softmax),
    Case("LogSoftmax", [f64(2, 2, 3)], ref=log_softmax, id="LogSoftmax-3d-float64"),
    Case("LogSoftmax", [_BIG], ref=log_softmax, id="LogSoftmax-large-logits", grad=[]),
    # cross-entropy
    Case("SoftmaxCrossEntropyWithLogits", [f32(3, 5), probs(3, 5)], ref=xent),
    Case("SoftmaxCrossEntropyWithLogits", [f64(4, 3), probs(4, 3).astype(np.float64)],
         ref=xent, id="Xent-float64"),
    Case("SoftmaxCrossEntropyWithLogits", [f32(3, 5), probs(1, 5)], ref=xent,
         id="Xent-broadcast-labels-row"),
    Case("SoftmaxCrossEntropyWithLogits", [f32(3, 5), probs(5)], ref=xent,
         id="Xent-broadcast-labels-vector"),
    Case("SoftmaxCrossEntropyWithLogits", [f32(1, 4), probs(3, 4)], ref=xent,
         id="Xent-broadcast-logits"),
    Case("SoftmaxCrossEntropyWithLogits", [_BIG, probs(2, 3)], ref=xent,
         id="Xent-large-logits", grad=[]),
    Case("SoftmaxCrossEntropyWithLogits", [np.zeros((0, 5), np.float32),
                                           np.zeros((0, 5), np.float32)],
         ref=xent, id="Xent-empty-batch"),
    Case("SparseSoftmaxCrossEntropyWithLogits", [f32(4, 6), np.array([0, 5, 2, 2], np.int32)],
         ref=sparse_xent),
    Case("SparseSoftmaxCrossEntropyWithLogits", [f64(3, 4), np.array([3, 0, 1], np.int64)],
         ref=sparse_xent, id="SparseXent-int64-float64"),
    Case("SparseSoftmaxCrossEntropyWithLogits", [_BIG, np.array([1, 0], np.int64)],
         ref=sparse_xent, id="SparseXent-large-logits", grad=[]),
    Case("SparseSoftmaxCrossEntropyWithLogits", [np.zeros((0, 3), np.float32),
                                                 np.zeros(0, np.int32)],
         ref=sparse_xent, id="SparseXent-empty-batch"),
    # BiasAdd
    Case("BiasAdd", [f32(4, 3), f32(3)], ref=bias_add),
    Case("BiasAdd", [f32(2, 3, 2, 5), f32(5)], ref=bias_add, id="BiasAdd-NHWC-4d"),
    Case("BiasAdd", [f32(2, 3, 4, 2), f32(3)], attrs={"data_format": "NCHW"}, ref=bias_add,
         id="BiasAdd-NCHW-4d"),
    Case("BiasAdd", [f64(2, 4, 3), f64(4)], attrs={"data_format": "NCHW"}, ref=bias_add,
         id="BiasAdd-NCHW-3d-float64"),
    Case("BiasAdd", [_INT, np.array([1, -2, 3], np.int32)], ref=bias_add, id="BiasAdd-int32"),
    Case("BiasAdd", [np.zeros((0, 3), np.float32), f32(3)], ref=bias_add, id="BiasAdd-empty"),
    Case("BiasAddGrad", [f32(4, 3)], ref=bias_add_grad),
    Case("BiasAddGrad", [f32(2, 3, 2, 5)], ref=bias_add_grad, id="BiasAddGrad-NHWC-4d"),
    Case("BiasAddGrad", [f32(2, 3, 4, 2)], attrs={"data_format": "NCHW"}, ref=bias_add_grad,
         id="BiasAddGrad-NCHW-4d"),
    Case("BiasAddGrad", [_INT], ref=bias_add_grad, id="BiasAddGrad-int32"),
    # L2Loss
    Case("L2Loss", [f32(3, 4)], ref=lambda t: _as(t, (t.astype(np.float64) ** 2).sum() / 2)),
    Case("L2Loss", [f64(5)], ref=lambda t: (t ** 2).sum() / 2, id="L2Loss-float64"),
    Case("L2Loss", [np.float32(3.0)], ref=lambda t: np.float32(4.5), id="L2Loss-scalar"),
    # InTopK: ties at the boundary count as in; invalid targets and non-finite rows do not.
    Case("InTopKV2", [np.array([[0.1, 0.5, 0.5, 0.2], [0.9, 0.1, 0.3, 0.3],
                                [0.2, 0.2, 0.2, 0.2], [1.0, np.inf, 0.0, 0.5],
                                [0.3, 0.1, 0.2, 0.4]], np.float32),
                      np.array([2, 2, 0, 1, 7], np.int32), np.int32(2)],
         ref=in_top_k),
    Case("InTopKV2", [f32(6, 5), np.array([0, 1, 2, 3, 4, 0], np.int64), np.int64(1)],
         ref=in_top_k, id="InTopKV2-int64-k1"),
    Case("InTopK", [f32(4, 5), np.array([4, 0, 3, 1], np.int32)], attrs={"k": 3},
         ref=lambda p, t, k: in_top_k(p, t, k)),
]
