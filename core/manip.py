"""``tf.manip``: TF 1.x's namespace of tensor manipulations, bound to the root functions."""

from .composites import reverse
from .ops.array_ops import reshape
from .ops.depthwise_conv_ops import batch_to_space_nd, space_to_batch_nd
from .ops.gather_ops import gather_nd, scatter_nd
from .ops.manip_ops import roll
from .ops.transform_ops import tile

__all__ = ["batch_to_space_nd", "gather_nd", "reshape", "reverse", "roll", "scatter_nd",
           "space_to_batch_nd", "tile"]
