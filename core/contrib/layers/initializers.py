"""``tf.contrib.layers`` initializers (TF 1.x): Xavier/Glorot and contrib's own variance scaling.

contrib's ``variance_scaling_initializer`` predates ``tf.initializers.variance_scaling``: its
modes are upper case, its ``factor`` is the variance numerator, and its truncated normal uses
``stddev = sqrt(1.3 * factor / n)`` (1.3 undoes most of the variance lost to truncation at two
standard deviations), not the core initializer's 0.8796 divisor. The fans are computed as TF
1.x's contrib did: for rank > 2 both fans are multiplied by the receptive field size.
"""

from __future__ import annotations

import math

from ... import dtypes as _dt
from ...ops import random_ops

__all__ = ["variance_scaling_initializer", "xavier_initializer", "xavier_initializer_conv2d"]

_MODES = ("FAN_IN", "FAN_OUT", "FAN_AVG")


def xavier_initializer(uniform=True, seed=None, dtype=_dt.float32):
    """TF's ``tf.contrib.layers.xavier_initializer``: Glorot, uniform or truncated normal."""
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform, seed=seed,
                                        dtype=dtype)


xavier_initializer_conv2d = xavier_initializer


def _fans(shape):
    """(fan_in, fan_out) as contrib computes them (a scalar shape counts as 1 in, 1 out)."""
    if shape:
        fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
        fan_out = float(shape[-1])
    else:
        fan_in = fan_out = 1.0
    for dim in shape[:-2]:
        fan_in *= float(dim)
        fan_out *= float(dim)
    return fan_in, fan_out


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                 dtype=_dt.float32):
    """TF's ``tf.contrib.layers.variance_scaling_initializer``: values of variance
    ``factor / n``, n being ``mode``'s fan ('FAN_IN', 'FAN_OUT' or 'FAN_AVG')."""
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in _MODES:
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")

    def _initializer(shape, dtype=dtype, partition_info=None):
        """contrib's variance-scaling initializer function."""
        dtype = _dt.as_dtype(dtype)
        if not dtype.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        shape = [int(d) for d in (shape.as_list() if hasattr(shape, "as_list") else shape)]
        fan_in, fan_out = _fans(shape)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return random_ops.random_uniform(shape, -limit, limit, dtype, seed=seed)
        return random_ops.truncated_normal(shape, 0.0, math.sqrt(1.3 * factor / n), dtype,
                                           seed=seed)

    return _initializer
