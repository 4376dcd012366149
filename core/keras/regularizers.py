"""``tf.keras.regularizers``: ``L1``, ``L2``, ``L1L2`` (factors kept as float32, as Keras'
``cast_to_floatx``, so configs read 0.009999999776482582) and ``l1``/``l2``/``l1_l2``."""

from __future__ import annotations

import numpy as np

from ..ops import math_ops, reduction_ops, unary_ops
from .initializers import _deserialize, _get, _serialize

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize",
           "deserialize"]


def _factor(value, name):
    if value is None:
        value = 0.01
    try:
        value = float(np.float32(value))
    except (TypeError, ValueError):
        raise ValueError(f"Value for argument `{name}` must be a float. "
                         f"Received: {value}") from None
    if not np.isfinite(value):
        raise ValueError(f"Value for argument `{name}` must be finite. Received: {value}")
    return value


class Regularizer:
    """``regularizer(weight)`` gives a scalar penalty added to the model's losses."""

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _factor(l1, "l1"), _factor(l2, "l2")

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * reduction_ops.reduce_sum(unary_ops.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * reduction_ops.reduce_sum(unary_ops.square(x))
        if isinstance(penalty, float):
            return math_ops.cast(0.0, x.dtype.base_dtype) if hasattr(x, "dtype") else penalty
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1=0.01, **kwargs):
        self.l1 = _factor(kwargs.pop("l", l1), "l1")
        if kwargs:
            raise TypeError(f"Unexpected keyword arguments: {sorted(kwargs)}")

    def __call__(self, x):
        return self.l1 * reduction_ops.reduce_sum(unary_ops.abs(x))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2=0.01, **kwargs):
        self.l2 = _factor(kwargs.pop("l", l2), "l2")
        if kwargs:
            raise TypeError(f"Unexpected keyword arguments: {sorted(kwargs)}")

    def __call__(self, x):
        return self.l2 * reduction_ops.reduce_sum(unary_ops.square(x))

    def get_config(self):
        return {"l2": self.l2}


def l1_l2(l1=0.01, l2=0.01):  # noqa: E741 - Keras' names
    return L1L2(l1=l1, l2=l2)


l1, l2 = L1, L2
_CLASSES = {"Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2,
            "l1_l2": l1_l2}


def serialize(regularizer):
    return _serialize(regularizer, "regularizers")


def deserialize(config, custom_objects=None):
    return _deserialize(config, _CLASSES, custom_objects, "regularizer")


def get(identifier):
    """None, a regularizer (or any callable), its name ("l2"), or serialized dict."""
    return _get(identifier, Regularizer, deserialize, "regularizer")
