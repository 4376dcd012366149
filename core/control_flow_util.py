"""The plumbing tf.cond's branches (core/control_flow.py) and tf.while_loop's loops
(core/control_flow_while.py) share: making an op outside a context (``_outside``, for the Switch
or Enter that brings a value in), recording that an op belongs to a context and every context
around it (``_register``), and carrying a TensorArray through either construct as its flow
(``_as_loop_tensor``, ``_with_arrays``). Kept apart so that neither construct's module has to
import the other's for these.
"""

from __future__ import annotations

import contextlib

from .graph import Operation, Tensor, convert_to_tensor
from .ops.tensor_array_ops import TensorArray


@contextlib.contextmanager
def _outside(ctx):
    """Ops made here (a Switch or Enter bringing a value in) belong to the context around
    ``ctx``, without the control inputs of the scope they are made in."""
    with ctx.graph.control_dependencies(None):  # restores the context on the way out
        ctx.graph._control_flow_context = ctx.outer
        yield


def _register(ctx, op: Operation):
    """``op`` was made in context ``ctx`` (a branch or a loop): it belongs to ``ctx`` and every
    context around it, and, as in TF1, cannot be fetched."""
    ctx.graph._control_flow_ops.add(op)
    ctx.graph.prevent_fetching(op)
    while ctx is not None:
        ctx._contains(op)
        ctx = ctx.outer


def _with_arrays(originals, tensors):
    """``tensors`` (a loop's flat values) with each TensorArray's flow as that array again."""
    return iter([o._with_flow(t) if isinstance(o, TensorArray) else t
                 for o, t in zip(originals, tensors)])


def _as_loop_tensor(v) -> Tensor:
    if isinstance(v, TensorArray):
        return v.flow  # what the loop carries for an array: its flow (the handle enters)
    if hasattr(v, "_as_tensor") and not isinstance(v, Tensor):
        v = v._as_tensor()  # a Variable's value, an IndexedSlices made dense
    return convert_to_tensor(v)
