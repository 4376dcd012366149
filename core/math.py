"""``tf.math``: TensorFlow's math namespace (the same functions as at the root)."""

from .ops.math_ops import *
