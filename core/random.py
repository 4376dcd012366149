"""``tf.random``: TF 1.13+'s names for the random ops (``tf.random.normal`` is
``tf.random_normal``), bound to the same functions."""

from .ops.random_ops import random_normal as normal
from .ops.random_ops import random_uniform as uniform
from .ops.random_ops import random_shuffle as shuffle
from .ops.random_ops import categorical, multinomial, set_random_seed, truncated_normal
from .ops.stateless_random_ops import stateless_random_normal as stateless_normal
from .ops.stateless_random_ops import stateless_random_uniform as stateless_uniform
from .ops.stateless_random_ops import stateless_truncated_normal

__all__ = ["categorical", "multinomial", "normal", "set_random_seed", "shuffle",
           "stateless_normal", "stateless_truncated_normal", "stateless_uniform",
           "truncated_normal", "uniform"]
