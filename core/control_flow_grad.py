"""The gradient of a tf.while_loop, as TF1 builds it: a second loop that runs the iterations
backwards.

tf.gradients treats a loop as one node (its inputs: the values entering it; its outputs: its
Exits). Given the Exits' gradients, ``loop_gradients`` adds to the forward loop a counter of
its iterations, and builds a gradient loop that runs that many times. Each of its iterations
is the gradient of the forward body (tf.gradients of the NextIteration inputs with respect to
the body's inputs), carrying the loop variables' gradients from one iteration to the one
before and summing the gradients of the values every iteration saw (the loop invariants).

The gradient functions of the body's ops refer to forward values of that iteration. The
gradient loop's context (``_GradContext``) replaces each such value by a pop from a stack
(StackV2) to which the forward body pushes it every iteration; the pops come back in reverse,
which is the gradient loop's order. A loop invariant needs no stack: its outer value enters.
"""

from __future__ import annotations

from .control_flow import WhileContext
from .graph import Tensor, constant_value, convert_to_tensor, name_scope
from .ops.stack_ops import STACK, STACK_POP, STACK_PUSH
from .tensor_shape import TensorShape


def _unsupported(what: str) -> LookupError:
    return LookupError(f"minitf does not differentiate {what}. Unroll the loop in Python (or "
                       "give dynamic_rnn a static time dimension) to train through it.")


def loop_of(exit_op):
    """The WhileContext that built ``exit_op``'s loop, or None (a loop imported from a
    GraphDef: nothing records which of its values are its variables)."""
    merge = exit_op.inputs[0].op.inputs[0].op
    enter = next((t.op for t in merge.inputs if t.op.type == "Enter"), None)
    ctx = exit_op.graph._while_contexts.get(enter.get_attr("frame_name")) if enter else None
    return ctx if ctx is not None and exit_op in ctx.exits else None


def loop_inputs(ctx: WhileContext) -> list:
    """The values entering the loop that gradients can flow to: each loop variable's initial
    value, then each value every iteration sees (what an Enter with is_constant takes)."""
    variables = [e.inputs[0] for e in ctx.entries]
    invariants = [e.inputs[0] for e in ctx.enters
                  if e.get_attr("is_constant") and e not in ctx.entries and
                  e.outputs[0].dtype.is_floating]
    return variables + invariants


def loop_gradients(ctx: WhileContext, exit_grads: list) -> list:
    """Gradients of ``loop_inputs(ctx)`` given those of ``ctx.exits`` (None: no gradient)."""
    from .gradients import gradients
    from .ops import array_ops, math_ops

    graph = ctx.graph
    if ctx.outer is not None or graph._control_flow_context is not None:
        raise _unsupported("a tf.while_loop inside another loop or a tf.cond branch")
    n = len(ctx.entries)
    variables = [k for k in range(n) if ctx.merges[k].dtype.is_floating]
    invariants = [e for e in ctx.enters if e.get_attr("is_constant") and
                  e not in ctx.entries and e.outputs[0].dtype.is_floating]
    result = [None] * (n + len(invariants))
    if not ctx.back_prop or not variables or all(exit_grads[k] is None for k in variables):
        return result  # back_prop=False: the loop is a stop_gradient, as in TF1
    with name_scope(None, "while_grad"):
        counted = []

        def count(i):
            counted.append(i + 1)
            return counted[0]

        # The forward loop counts its iterations; each push runs before its iteration's count.
        with name_scope("f_count"):
            iterations = ctx.add_loop_variable(array_ops.constant(0, name="zero"), count)
        grad_ctx = _GradContext(graph, graph.unique_name("while_context"),
                                ctx.parallel_iterations, ctx, counted[0].op)
        start = [exit_grads[k] if exit_grads[k] is not None else
                 array_ops.zeros_like(ctx.exits[k].outputs[0]) for k in variables]
        sums = [array_ops.zeros_like(e.inputs[0]) for e in invariants]
        ys = [ctx.nexts[k] for k in variables]
        xs = [ctx.inside[k] for k in variables] + [e.outputs[0] for e in invariants]

        def body(i, carried, summed):
            grads = gradients(ys, xs, grad_ys=list(carried), _stop_at={x.op for x in xs})
            carried = [g if g is not None else array_ops.zeros_like(c)
                       for g, c in zip(grads[:len(variables)], carried)]
            summed = [s if g is None else s + convert_to_tensor(g)  # sparse ones made dense
                      for s, g in zip(summed, grads[len(variables):])]
            return i - 1, carried, summed

        _, carried, summed = grad_ctx.loop(
            lambda i, _c, _s: math_ops.greater(i, 0), body, (iterations, start, sums),
            [TensorShape([]), [ctx.merges[k].shape for k in variables],
             [e.outputs[0].shape for e in invariants]])
    for k, g in zip(variables, carried):
        result[k] = g
    for j, g in enumerate(summed):
        result[n + j] = g
    return result


class _GradContext(WhileContext):
    """The gradient loop of ``forward`` under construction: a value of the forward loop's
    inside comes from a stack the forward body pushes it to (see the module docstring)."""

    def __init__(self, graph, name, parallel_iterations, forward: WhileContext, counter_op):
        super().__init__(graph, name, parallel_iterations, None, [])
        self.forward = forward
        self.counter_op = counter_op  # the forward counter's step: runs after the pushes

    def loop(self, cond, body, loop_vars, shape_invariants):
        from .nest import pack

        result, exits = self.build(cond, body, loop_vars, shape_invariants)
        return pack(result, iter(exits))

    def add_value(self, t: Tensor) -> Tensor:
        forward = self.forward
        if t in self.values or t.op not in forward.ops:
            return super().add_value(t)
        op = t.op
        if op.type in ("Enter", "RefEnter") and op.get_attr("is_constant"):
            entered = super().add_value(op.inputs[0])  # the same value every iteration
        else:
            entered = self._popped(t)
        self.values.add(t)
        self.external[t] = entered
        return entered

    def _popped(self, t: Tensor) -> Tensor:
        """``t``'s value in the forward iteration this gradient iteration undoes."""
        graph, forward = self.graph, self.forward
        if forward.op_context(t.op) is not None:
            raise _unsupported(f"through '{t.op.name}' ({t.op.type}), made in a tf.cond "
                               "branch (or loop) inside a tf.while_loop")
        value = constant_value(t)
        if value is not None and value.size <= 16:  # a constant: no stack needed
            from .ops.array_ops import constant

            return constant(value, dtype=t.dtype)
        with graph.control_dependencies(None):
            stack = STACK(-1, elem_type=t.dtype, stack_name=t.op.name, name="stack")
        saved, graph._control_flow_context = graph._control_flow_context, forward
        try:
            push = STACK_PUSH(forward.add_value(stack), t, name="stack_push")
        finally:
            graph._control_flow_context = saved
        self.counter_op._add_control_input(push.op)
        popped = STACK_POP(stack, elem_type=t.dtype, name="stack_pop")
        popped.set_shape(t.shape)
        return popped

