"""``tf.bitwise``: element-wise bit operations on integer tensors (core/ops/bitwise_ops.py).
Both operands share one dtype (attr T): a Python value takes the tensor's, two tensors of
different dtypes are a TypeError, as in TF's generated wrappers."""

from __future__ import annotations

from .graph import convert_to_tensor, name_scope
from .ops import bitwise_ops as _ops

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]


def _binary(opdef, x, y, name):
    with name_scope(name, opdef.type, [x, y]) as scope:
        return opdef(x, y, name=scope)


def bitwise_and(x, y, name=None):
    """x & y element-wise, broadcasting."""
    return _binary(_ops.BITWISE_AND, x, y, name)


def bitwise_or(x, y, name=None):
    """x | y element-wise, broadcasting."""
    return _binary(_ops.BITWISE_OR, x, y, name)


def bitwise_xor(x, y, name=None):
    """x ^ y element-wise, broadcasting."""
    return _binary(_ops.BITWISE_XOR, x, y, name)


def left_shift(x, y, name=None):
    """x << y; a shift below 0 or at least the bit width is clamped to [0, bits - 1]."""
    return _binary(_ops.LEFT_SHIFT, x, y, name)


def right_shift(x, y, name=None):
    """x >> y (arithmetic for signed types); the shift is clamped to [0, bits - 1]."""
    return _binary(_ops.RIGHT_SHIFT, x, y, name)


def invert(x, name=None):
    """~x: every bit flipped."""
    return _ops.INVERT(convert_to_tensor(x, name="x"), name=name or "Invert")


def population_count(x, name=None):
    """The number of bits set in each element (uint8): TF's PopulationCount, which TF1 has
    only as a raw op."""
    return _ops.POPULATION_COUNT(convert_to_tensor(x, name="x"), name=name or "PopulationCount")
