"""ZeroInitializer: contrib.framework's in-place initializer of an uninitialized variable to
zeros (``tf.contrib.framework.zero_initializer``), a contrib-only TF 1.x op.

TF's VariableV2 gives even an uninitialized variable its shape, so the kernel allocates zeros
of that shape. A minitf ``Cell`` holds no value before initialization, so the variable's static
shape and dtype travel with the op as kernel-only attrs (``_shape``, ``_dtype``: never in the
GraphDef, whose node carries only TF's ``T``), bound by ``bind_variable_shape``.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register

__all__ = ["ZERO_INITIALIZER", "bind_variable_shape"]


def _zero_initializer_kernel(cell, *, _shape=None, _dtype=None):
    if cell.initialized():
        raise InvalidArgumentError(None, None, "input is already initialized")
    if _shape is None:
        raise InvalidArgumentError(
            None, None, f"ZeroInitializer: the shape of variable {cell.name} is not known "
            "(the op was not built by zero_initializer with a fully defined variable)")
    cell.set(np.zeros(_shape, dtype=_dtype))
    return cell.read


def _zero_initializer_infer(ref):
    if not (ref.dtype.is_floating or ref.dtype.is_integer):
        raise TypeError(f"ZeroInitializer: the variable's dtype {ref.dtype.name} is not a real "
                        "number type")
    return [TensorSpec(ref.shape, ref.dtype)]


ZERO_INITIALIZER = register(OpDef(
    "ZeroInitializer", inputs=["ref:Ref(T)"],
    kernel=_zero_initializer_kernel, infer=_zero_initializer_infer, grad=NOT_DIFFERENTIABLE,
    stateful=True,
    doc="Initializes an uninitialized variable to zeros in place; fails if it already is.",
))


def bind_variable_shape(output, ref) -> None:
    """Gives the ZeroInitializer op producing ``output`` the static shape and dtype of the
    variable ``ref`` (its kernel allocates them); ValueError if the shape is not fully known."""
    shape = ref.shape
    if not shape.is_fully_defined():
        raise ValueError(f"zero_initializer needs a variable of fully defined shape, got "
                         f"{ref.name} of shape {shape}")
    op = output.op
    op._kernel_attrs = {**op._kernel_attrs, "_shape": tuple(shape.as_list()),
                        "_dtype": ref.dtype.base_dtype.as_numpy_dtype}
