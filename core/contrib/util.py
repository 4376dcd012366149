"""``tf.contrib.util`` (TF 1.x): tensor protos and graph-time constant folding, the core
functions under their contrib names."""

from ..tensor_conversion import constant_value
from ..tf1_extras import make_ndarray, make_tensor_proto

__all__ = ["constant_value", "make_ndarray", "make_tensor_proto"]
