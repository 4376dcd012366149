"""TF1's conditional dataflow: Switch, which sends its input down one of two outputs and leaves
the other dead, and Merge, which forwards whichever of its inputs is live; RefSwitch and
RefMerge are their forms for a variable (a reference: the variable is read, or assigned, only
where the taken branch uses it). ``tf.cond``
(core/control_flow.py) builds on them, and TF1 graphs that use them load and run as they are.
The executor (core/plan.py) propagates the dead values (core/opdef.py's DEAD)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..opdef import (DEAD, NO_GRADIENT, NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req,
                     shape_error)
from ..tensor_shape import TensorShape


def switch_kernel(data, pred):
    p = np.asarray(pred)
    if p.shape != ():
        raise InvalidArgumentError(None, None, "The second input must be a scalar, but it has "
                                   f"shape {list(p.shape)}")
    return (DEAD, data) if p else (data, DEAD)


# RefSwitch's data is a variable's Cell (a ref argument): the live output holds the Cell itself,
# which the executor reads where a consumer takes the value (core/plan.py), and an update
# consumer writes through, so nothing reads an uninitialized variable in the branch not taken.


def _switch_infer(data, pred):
    if pred.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {pred.shape.rank}")
    return [TensorSpec(data.shape, data.dtype), TensorSpec(data.shape, data.dtype)]


def _switch_grad(op, grad_false, grad_true):
    """The two outputs' gradients merged: only the taken branch's is live. tf.gradients gives
    an output without a gradient zeros_like(output), which is live exactly when that branch is
    taken (TF1's ZerosLikeOutsideLoop), so the merged gradient always has a value. Sparse
    gradients (a gather in a branch) merge part by part and stay sparse, a dense one taken as
    all its rows, as TF1's merge does."""
    from ..indexed_slices import IndexedSlices

    _refuse_loop_switch(op)
    if not any(isinstance(g, IndexedSlices) for g in (grad_false, grad_true)):
        return [MERGE([grad_false, grad_true])[0], None]
    parts = [_as_slices(g) for g in (grad_false, grad_true)]
    if len({p.indices.dtype for p in parts}) > 1:  # Merge needs one dtype: int64 for both
        parts = [IndexedSlices(p.values, _cast64(p.indices), _cast64(p.dense_shape))
                 for p in parts]
    merged = IndexedSlices(*(MERGE([getattr(p, k) for p in parts])[0]
                             for k in ("values", "indices", "dense_shape")))
    return [merged._with_static_shape(op.inputs[0].shape), None]


def _refuse_loop_switch(op):
    """TF1's refusal when tf.gradients, called in a loop's body, reaches that loop's own
    Switch: the walk went through a loop variable back to its initial value, which only the
    first iteration sees (the loop's Merge is no gradient of the later ones)."""
    pred = op.inputs[1]
    if pred.op.type != "LoopCond":
        return
    for loop in _loops_building(op.graph):
        if loop.loop_cond is pred:
            start = op.inputs[0].op.inputs[0].op.inputs[0]  # Switch <- Merge <- Enter <- it
            raise ValueError(
                f"Cannot compute gradient inside while loop '{loop.name}' through its loop "
                f"variable '{op.inputs[0].name}' (initial value '{start.name}'). We do not "
                "support taking the gradient wrt or through the initial value of a loop "
                "variable. Gradients can be computed through loop invariants or wrt the input "
                "parameters to the loop body.")


def _as_slices(g):
    """``g`` as an IndexedSlices: itself, or a dense gradient as all of its rows."""
    from ..indexed_slices import IndexedSlices
    from .array_ops import SHAPE, range_

    if isinstance(g, IndexedSlices):
        if g.dense_shape is None:
            raise ValueError("a sparse gradient through a conditional needs its dense_shape")
        return g
    dims = SHAPE(g, out_type=_dt.int32)  # the op, not a folded Const: dead with g, as it must
    return IndexedSlices(g, range_(dims[0]), dims)


def _cast64(t):
    from .math_ops import cast

    return t if t.dtype == _dt.int64 else cast(t, _dt.int64)


SWITCH = register(OpDef(
    "Switch", inputs=["data:T", "pred:bool"],
    kernel=switch_kernel,
    infer=_switch_infer,
    grad=_switch_grad,
    dead="makes",
    sparse_grad=True,
))


REF_SWITCH = register(OpDef(
    "RefSwitch", inputs=["data:Ref(T)", "pred:bool"],
    kernel=switch_kernel,
    infer=_switch_infer,
    grad=_switch_grad,
    dead="makes",
    sparse_grad=True,
))


def _switch_n_kernel(data, output_index, *, num_outs):
    i = np.asarray(output_index)
    if i.shape != ():
        raise InvalidArgumentError(None, None, "output_index must be a scalar, but it has "
                                   f"shape {list(i.shape)}")
    k = int(i)
    if not 0 <= k < num_outs:  # TF's: an index out of range takes the last output
        k = num_outs - 1
    if num_outs == 1:  # one output: the plan's single slot holds the value itself
        return data
    return tuple(data if j == k else DEAD for j in range(num_outs))


def _switch_n_infer(data, output_index, *, num_outs):
    if output_index.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {output_index.shape.rank}")
    if num_outs < 1:
        raise ValueError(f"Value for attr 'num_outs' of {num_outs} must be at least minimum 1")
    return [TensorSpec(data.shape, data.dtype)] * num_outs


# Switch's N-way form (TF's lowering of a Case op, and frozen graphs of tf.switch_case):
# output_index's output gets the data, the others are dead.
SWITCH_N = register(OpDef(
    "_SwitchN", inputs=["data:T", "output_index:int32"], attrs={"num_outs": req("int")},
    kernel=_switch_n_kernel,
    infer=_switch_n_infer,
    grad=NO_GRADIENT,  # (TF registers none)
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
    gradient on ``value_index == i`` per input (of each part of a sparse gradient)."""
    from ..indexed_slices import IndexedSlices
    from .logic_ops import equal

    index = op.outputs[1]
    out = []
    for i in range(len(op.inputs)):
        taken = equal(index, np.int32(i))
        if isinstance(grad, IndexedSlices):
            out.append(IndexedSlices(*(None if t is None else SWITCH(t, taken)[1] for t in (
                grad.values, grad.indices, grad.dense_shape)))._with_static_shape(grad.shape))
        else:
            out.append(SWITCH(grad, taken)[1])
    return out


MERGE = register(OpDef(
    "Merge", inputs=["inputs:N*T"],
    kernel=_merge_kernel,
    infer=_merge_infer,
    grad=_merge_grad,
    dead="takes",
    sparse_grad=True,
))

REF_MERGE = register(OpDef(
    "RefMerge", inputs=["inputs:N*T"],
    kernel=_merge_kernel,
    infer=_merge_infer,
    grad=_merge_grad,
    dead="takes",
    sparse_grad=True,
))


# -- while loops ----------------------------------------------------------------------------------
# TF1's tf.while_loop is a frame of ops: Enter brings each value into the loop (a loop variable,
# or with is_constant a value every iteration sees), Merge picks the Enter's value on the first
# iteration and the NextIteration's after, LoopCond is the predicate and a Switch on it sends
# each variable to the body (output 1) or out through Exit (output 0). The executor runs a
# frame as one step (core/plan.py's _Loop); these kernels only run inside it, on values.
def _passthrough_infer(data, **_):
    return [TensorSpec(data.shape, data.dtype)]


def _loop_grad(op, *_):
    # tf.gradients differentiates a while loop as a whole (core/gradients.py,
    # core/control_flow_grad.py); its frame ops are never differentiated one by one. Only a
    # frame that is not TF1's form (core/control_flow_import.py finds no loop in it) gets here,
    # and an Enter reached other than from inside its own loop (see _enter_grad).
    raise LookupError(f"No gradient for '{op.name}' ({op.type}): its frame is not a while loop "
                      "of TF1's form (a Merge of an Enter and a NextIteration per variable, "
                      "switched on one LoopCond)")


def _loops_building(graph):
    """The tf.while_loops (not gradient loops) whose body the graph is building in, innermost
    first: a tf.gradients called there builds its gradient in the body."""
    from ..control_flow_while import WhileContext

    ctx = graph._control_flow_context
    while ctx is not None:
        if isinstance(ctx, WhileContext) and not ctx.is_gradient:
            yield ctx
        ctx = ctx.outer


def _enter_grad(op, grad):
    """TF1's _EnterGrad outside a gradient loop: tf.gradients called in a loop's body (a
    Jacobian's rows by map_fn) reaches the Enter of an outside value; its gradient, built in
    the body, is the incoming one, and the walk goes on to the outside value (its gradient ops
    are the body's too, which enters what they read). Any other Enter is ``_loop_grad``'s."""
    frame = op._get_attr("frame_name")
    if any(loop.name == frame for loop in _loops_building(op.graph)):
        return [grad]
    return _loop_grad(op, grad)


def _frame_attrs():
    return {"frame_name": req("string"), "is_constant": False, "parallel_iterations": 10}


ENTER = register(OpDef(
    "Enter", inputs=["data:T"], attrs=_frame_attrs(),
    kernel=lambda data, **_: data,
    infer=_passthrough_infer,
    grad=_enter_grad,
))

# A variable entering a loop by reference: the output is the variable's Cell (as RefSwitch's),
# so each iteration reads its current value and an update in the body writes through.
REF_ENTER = register(OpDef(
    "RefEnter", inputs=["data:Ref(T)"], attrs=_frame_attrs(),
    kernel=lambda cell, **_: cell,
    infer=_passthrough_infer,
    grad=_enter_grad,
))

EXIT = register(OpDef(
    "Exit", inputs=["data:T"],
    kernel=lambda data: data,
    infer=_passthrough_infer,
    grad=_loop_grad,
))

NEXT_ITERATION = register(OpDef(
    "NextIteration", inputs=["data:T"],
    kernel=lambda data: data,
    infer=_passthrough_infer,
    grad=_loop_grad,
))


def _loop_cond_kernel(pred):
    p = np.asarray(pred)
    if p.shape != ():
        raise InvalidArgumentError(None, None, "The loop condition must be a scalar, but it has "
                                   f"shape {list(p.shape)}")
    return p


def _loop_cond_infer(pred):
    if pred.shape.rank not in (None, 0):
        raise shape_error(f"Shape must be rank 0 but is rank {pred.shape.rank}")
    return [TensorSpec(TensorShape([]), _dt.bool)]


LOOP_COND = register(OpDef(
    "LoopCond", inputs=["input:bool"],
    kernel=_loop_cond_kernel,
    infer=_loop_cond_infer,
    grad=NOT_DIFFERENTIABLE,
))


# TF1's gradient loops (as TensorFlow builds them) sync on ControlTrigger: a NoOp that runs
# even when its control inputs are dead, so what waits on it is never held back.
CONTROL_TRIGGER = register(OpDef(
    "ControlTrigger",
    kernel=lambda: (),
    infer=lambda: [],
    grad=NOT_DIFFERENTIABLE,
    dead="takes",
))
