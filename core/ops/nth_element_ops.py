"""NthElement (TF's nn_ops): the n-th smallest value (the n-th largest with ``reverse``) along
the last axis, counting from 0, as a sorted row would hold it. TF 1.x's only public wrapper is
``tf.contrib.nn.nth_element`` (core/contrib/nn.py); TF 2 keeps the op in raw_ops.

The gradient is TF's: the output gradient goes to the entries equal to the selected value,
shared equally among them when the value occurs several times in a row.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape
from ._math_util import _REAL, _check_dtype

__all__ = ["NTH_ELEMENT", "nth_element"]


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, message)


def _nth_element_kernel(input, n, *, reverse):  # noqa: A002 - TF's argument name
    x, n = np.asarray(input), np.asarray(n)
    if n.ndim != 0:
        raise _invalid(f"N must be scalar, got shape [{','.join(map(str, n.shape))}]")
    n = int(n)
    if n < 0:
        raise _invalid(f"Need n >= 0, got {n}")
    if x.ndim < 1:
        raise _invalid("Input must be >= 1-D, got shape []")
    last = x.shape[-1]
    if last <= n:
        raise _invalid("Input must have at least n+1 columns")
    k = last - n - 1 if reverse else n
    return np.partition(x, k, axis=-1)[..., k].astype(x.dtype, copy=False)


def _nth_element_infer(input, n, *, reverse):  # noqa: A002
    _check_dtype(input, _REAL, "input")
    if input.shape.rank == 0:
        raise shape_error("Shape must be at least rank 1 but is rank 0 for 'input'")
    if n.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {n.shape.rank} for 'n'")
    value = n.value
    if value is not None:
        value = int(value)
        if value < 0:
            raise shape_error("Dimension size, given by scalar input 1, must be non-negative "
                              f"but is {value}")
        last = input.shape[-1].value if input.shape.rank is not None else None
        if last is not None and last <= value:
            raise shape_error(f"Input must have last dimension > n = {value}")
    if input.shape.rank is None:
        return [TensorSpec(TensorShape(None), input.dtype)]
    return [TensorSpec(TensorShape(list(input.shape.dims[:-1])), input.dtype)]


def _nth_element_grad(op, grad):
    """TF's _NthElementGrad: ``grad`` spread over the entries equal to the output, divided
    by how many there are in the row."""
    from .logic_ops import equal
    from .math_ops import cast, div
    from .reduction_ops import reduce_sum
    from .transform_ops import expand_dims

    x, output = op.inputs[0], op.outputs[0]
    indicators = cast(equal(expand_dims(output, -1), x), grad.dtype)
    grad = expand_dims(grad, -1)
    num_selected = expand_dims(reduce_sum(indicators, -1), -1)
    return [div(indicators, num_selected) * grad, None]


NTH_ELEMENT = register(OpDef(
    "NthElement", inputs=["input:T", "n:int32"], attrs={"reverse": False},
    kernel=_nth_element_kernel, infer=_nth_element_infer, grad=_nth_element_grad,
    doc="the n-th smallest (reverse: largest) value along the last axis",
))


def nth_element(input, n, reverse=False, name=None):  # noqa: A002
    """TF's ``nn_ops.nth_element``: the NthElement op."""
    return NTH_ELEMENT(input, n, reverse=reverse, name=name)
