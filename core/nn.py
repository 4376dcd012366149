"""``tf.nn``: activations, softmax, cross-entropy, convolution, pooling, dropout."""

from .nn_impl import *
from .ops.conv_ops import *
from .ops.nn_ops import *
from .ops.pool_ops import *
from .ops.softmax_ops import *
