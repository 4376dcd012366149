"""``tf.contrib.stateless`` (TF 1.15): random numbers that are a function of a ``seed`` tensor
of shape [2] (and the shape), not of a session's random state: the same seed gives the same
numbers on every run. TF 1.15's contrib module re-exported the core stateless ops, as this one
re-exports minitf's (``tf.random.stateless_uniform`` and its siblings)."""

from __future__ import annotations

from ..ops.stateless_random_extra_ops import stateless_multinomial
from ..ops.stateless_random_ops import (stateless_random_normal, stateless_random_uniform,
                                        stateless_truncated_normal)

__all__ = ["stateless_multinomial", "stateless_random_normal", "stateless_random_uniform",
           "stateless_truncated_normal"]
