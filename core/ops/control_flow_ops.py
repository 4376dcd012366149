"""TF1's conditional dataflow: Switch, which sends its input down one of two outputs and leaves
the other dead, and Merge, which forwards whichever of its inputs is live. ``tf.cond``
(core/control_flow.py) builds on them, and TF1 graphs that use them load and run as they are.
The executor (core/plan.py) propagates the dead values (core/opdef.py's DEAD)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import DEAD, OpDef, TensorSpec, register, shape_error
from ..tensor_shape import TensorShape


def switch_kernel(data, pred):
    p = np.asarray(pred)
    if p.shape != ():
        raise InvalidArgumentError(None, None, "The second input must be a scalar, but it has "
                                   f"shape {list(p.shape)}")
    return (DEAD, data) if p else (data, DEAD)


def _switch_infer(data, pred):
    if pred.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {pred.shape.rank}")
    return [TensorSpec(data.shape, data.dtype), TensorSpec(data.shape, data.dtype)]


def _switch_grad(op, grad_false, grad_true):
    """The two outputs' gradients merged: only the taken branch's is live. tf.gradients gives
    an output without a gradient zeros_like(output), which is live exactly when that branch is
    taken (TF1's ZerosLikeOutsideLoop), so the merged gradient always has a value."""
    return [MERGE([grad_false, grad_true])[0], None]


SWITCH = register(OpDef(
    "Switch", inputs=["data:T", "pred:bool"],
    kernel=switch_kernel,
    infer=_switch_infer,
    grad=_switch_grad,
    dead="makes",
))


def _merge_kernel(inputs):
    for i, v in enumerate(inputs):
        if v is not DEAD:
            return v, np.int32(i)
    return DEAD, DEAD


def _merge_infer(inputs):
    shape = inputs[0].shape
    for s in inputs[1:]:  # the dims all inputs agree on; any other dim is unknown
        if shape.rank is None or s.shape.rank != shape.rank:
            shape = TensorShape(None)
            break
        shape = TensorShape([a if a == b else None for a, b in
                             zip(shape.as_tuple(), s.shape.as_tuple())])
    return [TensorSpec(shape, inputs[0].dtype), TensorSpec(TensorShape([]), _dt.int32)]


def _merge_grad(op, grad, _):
    """The gradient goes to the input that was live: TF1's general Merge rule, a Switch of the
    gradient on ``value_index == i`` per input."""
    from .logic_ops import equal

    index = op.outputs[1]
    return [SWITCH(grad, equal(index, np.int32(i)))[1] for i in range(len(op.inputs))]


MERGE = register(OpDef(
    "Merge", inputs=["inputs:N*T"],
    kernel=_merge_kernel,
    infer=_merge_infer,
    grad=_merge_grad,
    dead="takes",
))
