"""TensorFlow's bitwise ops (``tf.bitwise``, core/bitwise.py): BitwiseAnd, BitwiseOr,
BitwiseXor, Invert, LeftShift, RightShift and PopulationCount, on the eight integer dtypes only
(TF's allowed list). None is differentiable: TF registers them NotDifferentiable."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register
from ._math_util import _INTS, _binary, _check_dtype, _unary

__all__: list[str] = []  # the public functions live in core/bitwise.py


def _shift(np_shift):
    """TF's shift kernels: the shift is clamped to [0, bits - 1] (a negative or too large
    shift is not undefined behaviour there), and a left shift wraps as unsigned."""
    def kernel(x, y):
        x, y = np.asarray(x), np.asarray(y)
        bits = x.dtype.itemsize * 8
        y = np.clip(y.astype(np.int64), 0, bits - 1)
        if np_shift is np.left_shift:  # shift the unsigned view: no signed overflow
            unsigned = np.dtype(f"u{x.dtype.itemsize}")
            out = np.left_shift(x.astype(unsigned), y.astype(unsigned))
            return out.astype(x.dtype)
        return np.right_shift(x, y.astype(x.dtype)).astype(x.dtype)
    return kernel


BITWISE_AND = _binary("BitwiseAnd", np.bitwise_and, NOT_DIFFERENTIABLE, allowed=_INTS,
                      doc="x & y element-wise (broadcasting).")
BITWISE_OR = _binary("BitwiseOr", np.bitwise_or, NOT_DIFFERENTIABLE, allowed=_INTS,
                     doc="x | y element-wise (broadcasting).")
BITWISE_XOR = _binary("BitwiseXor", np.bitwise_xor, NOT_DIFFERENTIABLE, allowed=_INTS,
                      doc="x ^ y element-wise (broadcasting).")
LEFT_SHIFT = _binary("LeftShift", _shift(np.left_shift), NOT_DIFFERENTIABLE, allowed=_INTS,
                     doc="x << y, the shift clamped to [0, bits - 1] as TF's kernel.")
RIGHT_SHIFT = _binary("RightShift", _shift(np.right_shift), NOT_DIFFERENTIABLE, allowed=_INTS,
                      doc="x >> y (arithmetic for signed types), the shift clamped as TF's.")
INVERT = _unary("Invert", np.invert, NOT_DIFFERENTIABLE, allowed=_INTS)


def _popcount_kernel(x):
    x = np.asarray(x)
    unsigned = x.astype(f"u{x.dtype.itemsize}")  # two's complement bits of a negative value
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(unsigned).astype(np.uint8)
    # numpy < 2.0 has no bitwise_count: count the bits of each byte
    bytes_ = np.ascontiguousarray(unsigned).reshape(unsigned.shape + (1,)).view(np.uint8)
    return np.unpackbits(bytes_, axis=-1).sum(axis=-1, dtype=np.uint8)


def _popcount_infer(x):
    _check_dtype(x, _INTS, "x")
    return [TensorSpec(x.shape, _dt.uint8)]


POPULATION_COUNT = register(OpDef(
    "PopulationCount", inputs=["x:T"], kernel=_popcount_kernel, infer=_popcount_infer,
    grad=NOT_DIFFERENTIABLE, doc="The number of bits set in each element, as uint8.",
))
