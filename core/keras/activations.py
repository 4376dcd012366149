"""``tf.keras.activations``: Keras' activation functions (``relu`` with ``alpha``,
``max_value`` and ``threshold``, ``softmax`` over an ``axis``...) and ``get``/``serialize``/
``deserialize``, which map them to and from their names (``None`` is ``linear``)."""

from __future__ import annotations

import math

from ..graph import convert_to_tensor
from ..ops import logic_ops, math_ops, nn_ops, softmax_ops, unary_ops

__all__ = ["relu", "elu", "selu", "softmax", "softplus", "softsign", "tanh", "sigmoid",
           "hard_sigmoid", "exponential", "linear", "swish", "gelu", "get", "serialize",
           "deserialize"]


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``; below ``threshold`` it is ``alpha * (x - threshold)``, and it is capped
    at ``max_value`` (Keras' backend.relu)."""
    x = convert_to_tensor(x)
    dtype = x.dtype.base_dtype
    if alpha != 0.0:
        if max_value is None and threshold == 0:
            return nn_ops.leaky_relu(x, alpha=alpha)
        if threshold != 0:
            negative = nn_ops.relu(-x + threshold)
        else:
            negative = nn_ops.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = x * math_ops.cast(logic_ops.greater(x, threshold), dtype)
    elif max_value == 6:
        x = nn_ops.relu6(x)
        clip_max = False
    else:
        x = nn_ops.relu(x)
    if clip_max:
        x = math_ops.clip_by_value(x, math_ops.cast(0.0, dtype), math_ops.cast(max_value, dtype))
    if alpha != 0.0:
        x = x - math_ops.cast(alpha, dtype) * negative
    return x


def elu(x, alpha=1.0):
    out = nn_ops.elu(x)
    if alpha == 1:
        return out
    return logic_ops.where_v2(logic_ops.greater(x, 0.0), out, alpha * out)


def selu(x):
    return nn_ops.selu(x)


def softmax(x, axis=-1):
    """Softmax over ``axis``; Keras refuses a 1-D input."""
    x = convert_to_tensor(x)
    if x.shape.rank is not None and x.shape.rank <= 1:
        raise ValueError(f"Cannot apply softmax to a tensor that is 1D. Received input: {x}")
    return softmax_ops.softmax(x, axis=axis)


def softplus(x):
    return nn_ops.softplus(x)


def softsign(x):
    return nn_ops.softsign(x)


def tanh(x):
    return unary_ops.tanh(x)


def sigmoid(x):
    return unary_ops.sigmoid(x)


def hard_sigmoid(x):
    """``clip(0.2 * x + 0.5, 0, 1)``, Keras 2's piecewise-linear sigmoid."""
    return math_ops.clip_by_value(0.2 * convert_to_tensor(x) + 0.5, 0.0, 1.0)


def exponential(x):
    return unary_ops.exp(x)


def linear(x):
    return x


def swish(x):
    return x * unary_ops.sigmoid(x)


def gelu(x, approximate=False):
    x = convert_to_tensor(x)
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + unary_ops.tanh(inner))
    from ..ops.special_ops import erf
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


_BY_NAME = {f.__name__: f for f in (relu, elu, selu, softmax, softplus, softsign, tanh,
                                    sigmoid, hard_sigmoid, exponential, linear, swish, gelu)}
_BY_NAME["silu"] = swish
# TF's own ops (tf.nn.relu, tf.tanh...) serialize under their Keras names, as in Keras.
_ALIASES = {nn_ops.relu: "relu", nn_ops.elu: "elu", nn_ops.selu: "selu",
            nn_ops.softplus: "softplus", nn_ops.softsign: "softsign", unary_ops.tanh: "tanh",
            unary_ops.sigmoid: "sigmoid", unary_ops.exp: "exponential",
            softmax_ops.softmax: "softmax"}


def serialize(activation):
    """An activation's name (Keras' built-ins), else its ``get_config`` or ``__name__``."""
    if activation is None:
        return "linear"
    name = _ALIASES.get(activation)
    if name is None and getattr(activation, "__name__", None) in _BY_NAME and \
            _BY_NAME[activation.__name__] is activation:
        name = activation.__name__
    if name is not None:
        return name
    if hasattr(activation, "get_config"):
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    if hasattr(activation, "__name__"):
        return activation.__name__
    raise ValueError(f"Unknown activation function {activation!r}")


def deserialize(name, custom_objects=None):
    known = {**_BY_NAME, **(custom_objects or {})}
    if isinstance(name, dict):
        from . import layers
        cls = known.get(name.get("class_name")) or getattr(layers, name.get("class_name", ""),
                                                           None)
        if cls is None:
            raise ValueError(f"Unknown activation function: '{name.get('class_name')}'")
        return cls.from_config(name.get("config", {}))
    if name not in known:
        raise ValueError(f"Unknown activation function: '{name}'. Please ensure you are using "
                         "a `keras.utils.custom_object_scope` and that this object is included "
                         "in the scope.")
    return known[name]


def get(identifier):
    """``linear`` for None; the function for a name or serialized dict; a callable as is."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")
