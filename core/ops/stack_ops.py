"""TF1's stacks (StackV2, StackPushV2, StackPopV2): how a while loop's gradient gets the values
its forward iterations computed. The forward loop pushes each value it will need, one per
iteration; the gradient loop, which runs the iterations backwards, pops them in reverse. A
stack lives for one run: StackV2's output is its handle (a resource, the list itself)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape


class _Stack(list):
    """One stack's values during one run."""

    __slots__ = ("name", "max_size")


def _stack_kernel(name, max_size, *, elem_type, stack_name):
    stack = _Stack()
    stack.name, stack.max_size = stack_name or name, int(np.asarray(max_size))
    return stack


STACK = register(OpDef(
    "StackV2", inputs=["max_size:int32"], attrs={"elem_type": req("type"), "stack_name": ""},
    kernel=_stack_kernel,
    infer=lambda max_size, **_: [TensorSpec(TensorShape([]), _dt.resource)],
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="name",
))


def _push_kernel(stack, elem, *, swap_memory):
    if 0 <= stack.max_size <= len(stack):
        raise InvalidArgumentError(None, None, f"Stack[{stack.name}] overflowed its max_size "
                                   f"({stack.max_size})")
    stack.append(elem)
    return elem


STACK_PUSH = register(OpDef(
    "StackPushV2", inputs=["handle:resource", "elem:T"], attrs={"swap_memory": False},
    kernel=_push_kernel,
    infer=lambda handle, elem, **_: [TensorSpec(elem.shape, elem.dtype)],
    grad=NOT_DIFFERENTIABLE, stateful=True,
))


def _pop_kernel(stack, *, elem_type):
    if not stack:
        raise InvalidArgumentError(None, None, f"Stack[{stack.name}] is empty.")
    return stack.pop()


STACK_POP = register(OpDef(
    "StackPopV2", inputs=["handle:resource"], attrs={"elem_type": req("type")},
    kernel=_pop_kernel,
    infer=lambda handle, *, elem_type: [TensorSpec(TensorShape(None), elem_type)],
    grad=NOT_DIFFERENTIABLE, stateful=True,
))
