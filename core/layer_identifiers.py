"""Keras' names for activations, initializers and regularizers, which TF1's ``tf.layers`` and
RNN cells take in place of the objects (``activation="relu"``,
``kernel_initializer="glorot_uniform"``, ``kernel_regularizer="l2"``), resolved as Keras'
``activations.get`` / ``initializers.get`` / ``regularizers.get`` resolve them: the defaults are
Keras' (random initializers' scale 0.05, regularizers' factor 0.01)."""

from __future__ import annotations


def _activations() -> dict:
    from .ops import math_ops, nn_ops, softmax_ops, unary_ops

    def hard_sigmoid(x):
        return math_ops.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)

    def swish(x):
        return x * unary_ops.sigmoid(x)

    return {"relu": nn_ops.relu, "tanh": unary_ops.tanh, "sigmoid": unary_ops.sigmoid,
            "softmax": softmax_ops.softmax, "elu": nn_ops.elu, "selu": nn_ops.selu,
            "softplus": nn_ops.softplus, "softsign": nn_ops.softsign, "linear": lambda x: x,
            "exponential": unary_ops.exp, "hard_sigmoid": hard_sigmoid, "swish": swish,
            "silu": swish}


def activation_of(identifier):
    """A callable for ``identifier``: None, a callable, or a Keras activation name."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        found = _activations().get(identifier)
        if found is not None:
            return found
    raise ValueError(f"Unknown activation function: {identifier!r}. Expected a callable or "
                     f"one of {sorted(_activations())}")


def initializer_of(identifier):
    """An initializer for ``identifier``: None, an initializer (or its class), or a Keras
    initializer name such as ``"glorot_uniform"`` or ``"zeros"``."""
    if not isinstance(identifier, str):
        return identifier
    from . import init_ops, initializers

    names = {"zeros": init_ops.zeros_initializer, "ones": init_ops.ones_initializer,
             "constant": init_ops.zeros_initializer,  # Keras' Constant(0)
             "glorot_uniform": init_ops.glorot_uniform_initializer,
             "glorot_normal": init_ops.glorot_normal_initializer,
             "he_normal": init_ops.he_normal, "he_uniform": init_ops.he_uniform,
             "lecun_normal": init_ops.lecun_normal, "lecun_uniform": init_ops.lecun_uniform,
             "orthogonal": init_ops.orthogonal_initializer,
             "identity": initializers.identity,
             "variance_scaling": init_ops.variance_scaling_initializer,
             "random_normal": lambda: init_ops.random_normal_initializer(0.0, 0.05),
             "random_uniform": lambda: init_ops.random_uniform_initializer(-0.05, 0.05),
             "truncated_normal": lambda: init_ops.truncated_normal_initializer(0.0, 0.05)}
    key = {"Zeros": "zeros", "Ones": "ones"}.get(identifier, identifier)
    if key not in names:
        raise ValueError(f"Unknown initializer: {identifier!r}. Expected an initializer or one "
                         f"of {sorted(names)}")
    return names[key]()


def regularizer_of(identifier):
    """A regularizer for ``identifier``: None, a callable, or ``"l1"``, ``"l2"``, ``"l1_l2"``
    (Keras' defaults: 0.01 each)."""
    if not isinstance(identifier, str):
        return identifier
    from .ops import reduction_ops, unary_ops

    def l1(w):
        return 0.01 * reduction_ops.reduce_sum(unary_ops.abs(w))

    def l2(w):
        return 0.01 * reduction_ops.reduce_sum(unary_ops.square(w))

    names = {"l1": l1, "l2": l2, "l1_l2": lambda w: l1(w) + l2(w)}
    if identifier not in names:
        raise ValueError(f"Unknown regularizer: {identifier!r}. Expected a callable or one of "
                         f"{sorted(names)}")
    return names[identifier]


__all__ = ["activation_of", "initializer_of", "regularizer_of"]
