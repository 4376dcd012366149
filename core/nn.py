"""``tf.nn``: activations, softmax, cross-entropy, convolution, pooling, dropout."""

from .ops.conv_ops import *
from .ops.nn_ops import *
