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

from .control_flow import WhileContext, _enclosing_loop
from .control_flow_import import recovered_loop
from .gradients import _is_trainable
from .graph import Tensor, constant_value, name_scope
from .indexed_slices import IndexedSlices
from .ops.control_flow_ops import CONTROL_TRIGGER
from .ops.stack_ops import STACK, STACK_POP, STACK_PUSH
from .tensor_shape import TensorShape


def _unsupported(what: str) -> LookupError:
    return LookupError(f"minitf does not differentiate {what}")


def loop_of(exit_op):
    """The WhileContext of ``exit_op``'s loop: the one that built it, or for an imported loop
    one recovered from its frame (core/control_flow_import.py); None if the frame is not
    TF1's form."""
    ctx = recovered_loop(exit_op)
    return ctx if ctx is not None and exit_op in ctx.exits else None


def loop_inputs(ctx: WhileContext) -> list:
    """The values entering the loop that gradients can flow to: each loop variable's initial
    value, then each value every iteration sees (what an Enter with is_constant takes)."""
    return [e.inputs[0] for e in ctx.entries + _invariants(ctx)]


def _invariants(ctx: WhileContext) -> list:
    """The Enter ops of the float and complex values every iteration sees."""
    return [e for e in ctx.enters if e._get_attr("is_constant") and e not in ctx.entries and
            (e.outputs[0].dtype.is_floating or e.outputs[0].dtype.is_complex)]


def loop_gradients(ctx: WhileContext, exit_grads: list) -> list:
    """Gradients of ``loop_inputs(ctx)`` given those of ``ctx.exits`` (None: no gradient)."""
    from .gradients import gradients
    from .ops import array_ops, math_ops

    graph = ctx.graph
    if ctx.is_gradient:  # its stack pops would pass for constants
        raise TypeError("Second-order gradient for while loops not supported.")  # TF1's words
    if ctx.refusal is not None:
        raise _unsupported(ctx.refusal)
    enclosing, here = _enclosing_loop(ctx.outer), graph._control_flow_context
    if (enclosing is None) != (here is None) or (
            here is not None and getattr(here, "forward", None) is not enclosing):
        # A loop inside a loop is differentiated from inside the gradient of the loop around
        # it (that gradient's body is the context), never on its own.
        raise _unsupported("a tf.while_loop inside another loop, apart from the gradient of "
                           "the loop around it")
    n = len(ctx.entries)
    invariants = _invariants(ctx)
    result = [None] * (n + len(invariants))
    variables = _connected(ctx, [k for k in range(n) if _is_trainable(ctx.merges[k]) and
                                 exit_grads[k] is not None])
    if not ctx.back_prop or not variables:
        return result  # back_prop=False: the loop is a stop_gradient, as in TF1
    with name_scope(None, "while_grad"):
        # The forward loop counts its iterations. The pushes hang on the count's
        # NextIteration, so they run in every iteration (in a cond branch: when it is taken).
        with name_scope("f_count"):
            iterations, counter = ctx.add_loop_variable(lambda: _count_start(here),
                                                        lambda i: i + 1)
        grad_ctx = _GradContext(graph, graph.unique_name("while_context"),
                                ctx.parallel_iterations, ctx, counter, here)
        start = [exit_grads[k] if exit_grads[k] is not None else
                 _zeros_for(ctx, here, ctx.exits[k].outputs[0], "zeros") for k in variables]
        sums = [_zeros_for(ctx, here, e.inputs[0], "b_acc") for e in invariants]
        ys = [ctx.nexts[k] for k in variables]
        xs = [ctx.inside[k] for k in variables] + [e.outputs[0] for e in invariants]
        # The body's gradient walk stops at the body's inputs: all loop variables (an integer
        # one fed back, say an argmax, would lead it round the back edge), the invariants.
        boundary = {x.op for x in xs} | {v.op for v in ctx.inside} | {m.op for m in ctx.merges}
        found = {}  # invariant position -> None (no gradient), "dense", or its sparse Exits

        def body(i, carried, summed):
            following = i - 1
            grad_ctx.step = following.op  # pops wait for it (TF1's order, see _popped)
            # Named apart from "gradients": TensorArray gradients find their tf.gradients
            # call by the last "gradients" in their name (TF1's rule).
            grads = gradients(ys, xs, grad_ys=list(carried), name="body", _stop_at=boundary)
            carried = [g if g is not None else array_ops.zeros_like(c, optimize=False)
                       for g, c in zip(grads[:len(variables)], carried)]
            summed = list(summed)
            for j, g in enumerate(grads[len(variables):]):
                if g is None:
                    found[j] = None
                elif isinstance(g, IndexedSlices):  # gathered: rows accumulate, as TF1's
                    found[j] = _sparse_accumulators(grad_ctx, invariants[j].inputs[0], g)
                else:
                    found[j] = "dense"
                    summed[j] = summed[j] + g
            with graph.control_dependencies(grad_ctx.pops):  # TF1's b_sync
                grad_ctx.sync = CONTROL_TRIGGER(name="b_sync")
            return following, carried, summed

        done, carried, summed = grad_ctx.loop(
            lambda i, _c, _s: math_ops.greater(i, 0), body, (iterations, start, sums),
            [TensorShape([]), [ctx.merges[k].shape for k in variables],
             [e.outputs[0].shape for e in invariants]])
        grad_ctx.merges[0].op.inputs[1].op._add_control_input(grad_ctx.sync)
        if here is not None:  # TF1's order: this run's pops end before the outer loop's
            here.pops.append(done.op)  # next iteration (its b_sync waits on them)
    for k, g in zip(variables, carried):
        result[k] = g
    for j, g in enumerate(summed):
        kind = found.get(j)
        if kind == "dense":
            result[n + j] = g
        elif kind is not None:  # no gradient in the body: None, as TF1 (not zeros)
            values, indices = kind
            result[n + j] = IndexedSlices(values, indices, array_ops.shape(
                invariants[j].inputs[0]))._with_static_shape(invariants[j].inputs[0].shape)
    return result


def _zeros_for(ctx: WhileContext, here, t: Tensor, name: str) -> Tensor:
    """The gradient loop's zeros for ``t`` (an Exit without a gradient, an invariant's sum).
    As TF1's ZerosLikeForExit and b_acc: a constant when the shape is known and the loop is
    in no cond or loop, so the gradient loop reads no forward value through them, and a
    tf.gradients of its result does not reach it from the xs (a second-order gradient then
    takes the path around it, or is None, where reaching it would refuse). Otherwise they
    read ``t``, which makes them live exactly when the forward loop's values are."""
    from .ops import array_ops
    from .ops.fill_ops import zeros

    if ctx.outer is None and here is None and t.shape.is_fully_defined():
        return zeros(t.shape.as_list(), dtype=t.dtype, name=name)
    return array_ops.zeros_like(t, optimize=False)


def _count_start(outer):
    """The forward counter's 0. In a loop inside a differentiated loop it waits for the outer
    count's step (TF1's order): one run of the inner loop pushes all its values before the
    next run starts, which TF's parallel iterations could otherwise interleave."""
    from .ops.array_ops import constant

    if outer is None:
        return constant(0, dtype="int32")
    with outer.graph.control_dependencies([outer.counter.inputs[0].op]):
        return constant(0, dtype="int32")


def _connected(ctx: WhileContext, start: list) -> list:
    """The float loop variables a gradient reaches from those in ``start`` (with a gradient
    at the Exit): they, and those their updates read, transitively. The others get None, as
    in TF1 (carrying zeros for them would give their invariants zero gradients, not None)."""
    inside = {v.op: k for k, v in enumerate(ctx.inside)}
    stop = set(inside) | {m.op for m in ctx.merges}
    reads = {}  # variable -> the variables its update reads

    def read_by(k):
        if k not in reads:
            found, stack, seen = set(), [ctx.nexts[k].op], set()
            while stack:
                op = stack.pop()
                if op in seen:
                    continue
                seen.add(op)
                if op in inside:
                    found.add(inside[op])
                elif op not in stop and op in ctx.ops:
                    stack.extend(t.op for t in op.inputs)
            reads[k] = found
        return reads[k]

    connected, todo = set(start), list(start)
    while todo:
        for j in read_by(todo.pop()):
            if j not in connected and _is_trainable(ctx.merges[j]):
                connected.add(j)
                todo.append(j)
    return sorted(connected)


def _sparse_accumulators(grad_ctx, params: Tensor, g: IndexedSlices):
    """Loop variables of the gradient loop that collect a sparse gradient's rows and indices
    over the iterations (concatenated); returns their Exits. As TF1's, they start with one
    zero row at index 0, which sparse optimizers then apply too (Momentum decays row 0's
    accumulator): so they train as TF1 does."""
    from .ops import array_ops, concat_split_ops

    row = params.shape.as_list()[1:] if params.shape.rank is not None else None

    def zero_row():
        dims = concat_split_ops.concat([[1], array_ops.shape(params)[1:]], 0)
        return array_ops.zeros(dims, dtype=g.values.dtype)

    values, _ = grad_ctx.add_loop_variable(
        zero_row, lambda acc: concat_split_ops.concat([acc, g.values], 0),
        TensorShape(None if row is None else [None] + row))
    indices, _ = grad_ctx.add_loop_variable(
        lambda: array_ops.zeros([1], dtype=g.indices.dtype),
        lambda acc: concat_split_ops.concat([acc, g.indices], 0), TensorShape([None]))
    return values, indices


class _GradContext(WhileContext):
    """The gradient loop of ``forward`` under construction: a value of the forward loop's
    inside comes from a stack the forward body pushes it to (see the module docstring)."""

    is_gradient = True

    def __init__(self, graph, name, parallel_iterations, forward: WhileContext, counter,
                 outer=None):
        super().__init__(graph, name, parallel_iterations, outer, [])
        self.forward = forward
        self.counter = counter  # the forward counter's NextIteration: the pushes hang on it
        self.step = None  # this loop's counter step, which each pop waits for
        self.pops: list = []  # the pops (TF1 gathers them before the next iteration)
        self.sync = None
        self.sync_forward = None  # f_sync, see _forward_sync
        self._conditions: dict = {}  # forward op -> the cond branches it runs in
        self._merge_inputs: dict = {}  # forward Merge -> its inputs' conditions (see _merged)
        self._merge_guards: dict = {}  # forward Merge -> its guards, see _merged

    def loop(self, cond, body, loop_vars, shape_invariants):
        from .nest_util import pack

        result, exits = self.build(cond, body, loop_vars, shape_invariants)
        return pack(result, iter(exits))

    def add_value(self, t: Tensor) -> Tensor:
        forward = self.forward
        if t in self.values or t.op not in forward.ops:
            return super().add_value(t)
        op = t.op
        if op.type in ("Enter", "RefEnter") and op._get_attr("is_constant"):
            entered = super().add_value(op.inputs[0])  # the same value every iteration
        else:
            entered = self._popped(t)
        self.values.add(t)
        self.external[t] = entered
        return entered

    def _popped(self, t: Tensor) -> Tensor:
        """``t``'s value in the forward iteration this gradient iteration undoes. A value made
        in a cond branch inside the loop is pushed only when the branch runs; its pop waits on
        a guard that is live exactly when the forward branch was taken in that iteration."""
        graph, forward = self.graph, self.forward
        inner = forward.op_context(t.op)
        while inner is not None and inner is not forward:
            if isinstance(inner, WhileContext):
                raise _unsupported(f"through '{t.op.name}' ({t.op.type}), made in a loop "
                                   "inside a tf.while_loop")
            inner = inner.outer
        saved = graph._control_flow_context
        graph._control_flow_context = self  # the pop is this loop's (when an inner gradient
        try:  # loop asks, this is its outer context)
            # Live only in the iterations where the forward value was (a value in a branch).
            guards = self._guards(self._condition(t))
            value = constant_value(t)
            if value is not None and value.size <= 16:  # a constant: no stack needed
                from .ops.array_ops import constant

                with graph.control_dependencies(guards):
                    return constant(value, dtype=t.dtype)
            with graph.control_dependencies(None):
                stack = STACK(-1, elem_type=t.dtype, stack_name=t.op.name, name="stack")
                graph._control_flow_context = forward  # in the forward loop, in no control scope
                push = STACK_PUSH(forward.add_value(stack), t, name="stack_push")
            # TF1's order, which its parallel iterations need: a push after its iteration's
            # count and before the next iteration; a pop after its own count step. A push in
            # a cond branch is dead when the branch is not taken: it goes through f_sync, a
            # ControlTrigger, which runs either way (a dead control input of the counter's
            # NextIteration would end the count in TF's executor).
            push.op._add_control_input(self.counter.inputs[0].op)
            (self._forward_sync() if guards else self.counter)._add_control_input(push.op)
            with graph.control_dependencies(guards + [self.step]):
                popped = STACK_POP(stack, elem_type=t.dtype, name="stack_pop")
            self.pops.append(popped.op)
            popped.set_shape(t.shape)
            return popped
        finally:
            graph._control_flow_context = saved

    def _forward_sync(self):
        """TF1's f_sync: the ControlTrigger in the forward body the counter's NextIteration
        waits on, made once, for the pushes in cond branches."""
        if self.sync_forward is None:
            graph = self.graph
            saved = graph._control_flow_context
            try:
                with graph.control_dependencies(None), name_scope(self.counter.name
                                                                  .rpartition("/")[0] + "/"):
                    graph._control_flow_context = self.forward
                    self.sync_forward = CONTROL_TRIGGER(name="f_sync")
            finally:
                graph._control_flow_context = saved
            self.counter._add_control_input(self.sync_forward)
        return self.sync_forward

    def _guards(self, condition: frozenset) -> list:
        """Ops all live in this gradient iteration exactly when the forward one met
        ``condition`` (from _condition): one per (predicate, branch), and for a Merge no one
        predicate decides, those of _merged."""
        out = []
        for pred, k in condition:
            out.extend([self._taken(pred, k)] if isinstance(pred, Tensor) else self._merged(k))
        return list(dict.fromkeys(out))

    def _merged(self, merge) -> list:
        """Guards for a forward Merge whose inputs' conditions are on different predicates
        (a cond's gradient taken in the loop's body merges a branch's gradient, live on the
        forward Merge's value_index, with zeros live on the cond's predicate): a Merge of one
        constant per input, each live when that input was, so live when any was (none if an
        input is always live); and the guards of its control inputs."""
        found = self._merge_guards.get(merge)
        if found is None:
            from .ops.array_ops import constant
            from .ops.control_flow_ops import MERGE

            data, controls = self._merge_inputs[merge]
            found = self._guards(frozenset().union(*controls))
            alternatives = [self._guards(c) for c in data]
            if all(alternatives):
                live = []
                for guards in alternatives:
                    with self.graph.control_dependencies(guards):
                        live.append(constant(True))
                found.append(MERGE(live)[0].op)
            self._merge_guards[merge] = found
        return found

    def _taken(self, pred: Tensor, branch: int):
        """An op that is dead in this gradient iteration unless the forward one had
        ``pred == branch`` (a Switch's live output, read by an Identity)."""
        from .ops.array_ops import identity
        from .ops.control_flow_ops import SWITCH

        p = self.add_value(pred)  # the forward predicate of this iteration (popped too)
        return identity(SWITCH(p, p)[branch]).op

    def _condition(self, t: Tensor) -> frozenset:
        """The (predicate, branch) pairs of the forward loop's conds that ``t`` is made in,
        worked out from the graph as the executor does (core/plan.py's _maybe_dead)."""
        from .plan import _merged_condition, _predicate

        boundary = set(self.forward.merges) | {v.op for v in self.forward.inside}
        memo, none = self._conditions, frozenset()

        def of(x):  # x's condition; its op's is known by then
            base = memo.get(x.op, none)
            if x.op._opdef.dead == "makes" and x.op not in boundary:
                return base | {(_predicate(x.op.inputs[1]), x.value_index)}
            return base

        def inputs(op):  # an inner loop's Exit: as the values entering that loop
            if op.type == "Exit":
                inner = loop_of(op)
                return [e.inputs[0] for e in inner.entries] if inner is not None else []
            return list(op.inputs)

        stack, visiting = [t.op], set()
        while stack:
            op = stack[-1]
            if op in memo:
                stack.pop()
                continue
            inside = op in self.forward.ops and op not in boundary and \
                op.type not in ("Enter", "RefEnter") and not self._in_inner_loop(op)
            todo = [x.op for x in inputs(op) if x.op not in memo] + \
                [c for c in op.control_inputs if c not in memo] if inside else []
            if todo and op not in visiting:
                visiting.add(op)
                stack.extend(todo)
                continue
            stack.pop()
            if not inside:
                memo[op] = none
                continue
            data = [of(x) for x in inputs(op)]
            ins = data + [memo.get(c, none) for c in op.control_inputs]
            if op._opdef.dead == "takes":
                memo[op] = _merged_condition(op, ins, of)
                self._merge_inputs[op] = (data, ins[len(data):])
            else:
                memo[op] = none.union(*ins)
        return of(t)

    def _in_inner_loop(self, op) -> bool:
        inner = self.forward.op_context(op)
        while inner is not None and inner is not self.forward:
            if isinstance(inner, WhileContext):
                return True
            inner = inner.outer
        return False
