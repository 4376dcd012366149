"""The WhileContext of a loop this program did not build: one imported with a GraphDef or a
meta graph (TF1's tf.while_loop, or a TensorFlow 2 ``While`` lowered at import), recovered
from its frame so that tf.gradients differentiates it as it does a loop built here.

A frame of TF1's control flow describes itself: each loop variable is an Enter feeding a Merge
with a NextIteration, a Switch on the LoopCond sends it to the body (output 1) or out through
an Exit (output 0), and the values every iteration sees are Enters with ``is_constant``. The
loop's ops are those its variables' Enters reach before its Exits, and what those read back
to the loop's other Enters (an inner loop's ops included). A loop inside another loop gets the
enclosing loop's context as its ``outer``, as when built. TF1's import_meta_graph restores the
same from the ``while_context`` collection; the frame alone says as much, so a bare GraphDef's
loops differentiate too. A loop is known by its LoopCond, not its frame name: importing one
GraphDef twice gives two loops of one name (TF keeps the names too).
"""

from __future__ import annotations

from .control_flow_while import WhileContext
from .graph import Operation
from .ops.constant_ops import IDENTITY
from .ops.control_flow_ops import EXIT

_ENTERS = ("Enter", "RefEnter")
_SWITCHES = ("Switch", "RefSwitch")


def recovered_loop(exit_op: Operation) -> WhileContext | None:
    """The WhileContext of ``exit_op``'s loop, recovered from the graph (and recorded on it);
    None when the frame is not TF1's form (the gradient then names the Exit)."""
    switch = exit_op.inputs[0]
    while switch.op.type == "Identity":  # TF's gradient loops gate the value before its Exit
        switch = switch.op.inputs[0]
    if switch.op.type not in _SWITCHES or switch.value_index != 0 or \
            switch.op.inputs[1].op.type != "LoopCond":
        return None
    return _recover(exit_op.graph, switch.op.inputs[1].op)


def _recover(graph, loop_cond: Operation) -> WhileContext | None:
    for ctx in graph._while_contexts.values():
        if ctx.loop_cond is not None and ctx.loop_cond.op is loop_cond:
            return ctx
    switches = sorted((c for c in loop_cond.outputs[0].consumers() if c.type in _SWITCHES),
                      key=lambda o: o._id)
    merges, entries, nexts, exits, inside = [], [], [], [], []
    for sw in switches:
        m = sw.inputs[0].op
        kinds = [t.op.type for t in m.inputs]
        if m.type != "Merge" or len(kinds) != 2 or "NextIteration" not in kinds or \
                not set(kinds) & set(_ENTERS):
            return None
        merges.append(m.outputs[0])
        entries.append(next(t.op for t in m.inputs if t.op.type in _ENTERS))
        nexts.append(next(t.op for t in m.inputs if t.op.type == "NextIteration").inputs[0])
        exits.append(_exit_of(sw.outputs[0]))  # None: pruned away (frozen graphs keep only
        body = sw.outputs[1].consumers()  # the Exits they use). TF1 reads each variable
        inside.append(body[0].outputs[0] if len(body) == 1 and body[0].type == "Identity"
                      else sw.outputs[1])  # through one Identity
    frame = entries[0]._get_attr("frame_name")
    ops = _loop_ops(entries, {x for x in exits if x is not None}, frame)
    outer, in_cond = _enclosing(graph, entries[0].inputs[0].op)
    ctx = WhileContext(graph, frame, entries[0]._get_attr("parallel_iterations"), outer, [])
    if in_cond and outer is not None:  # (as a loop built so: its gradient would need the
        ctx.refusal = (f"the loop of '{loop_cond.name}', in a tf.cond branch inside "  # cond's
                       "another loop")  # context, which a GraphDef does not record)
    ctx.is_gradient = _pops_another_loops_stack(ops)
    ctx.back_prop = not any(x is not None and x.outputs[0].name in
                            graph._loops_without_back_prop for x in exits)
    ctx.enters = [op for op in ops if op.type in _ENTERS and op._get_attr("frame_name") == frame]
    ctx.entries, ctx.merges, ctx.nexts, ctx.inside = entries, merges, nexts, inside
    ctx.loop_cond = loop_cond.outputs[0]
    ctx.external = {e.inputs[0]: e.outputs[0] for e in ctx.enters if e._get_attr("is_constant")}
    ctx.values.update(ctx.external)
    for op in ops:
        ctx.ops.add(op)
        ctx.values.update(op.outputs)
        inner = graph._loop_ops.get(op)
        graph._loop_ops[op] = ctx if inner is None or inner is outer else inner
        c = outer
        while c is not None:  # as when built: the loops around know it is inside them
            c.ops.add(op)
            c.values.update(op.outputs)
            c._inner.setdefault(op, ctx)
            c = c.outer
    # Keyed apart from the loops built here (a frame name of the program's own may be the
    # same): a meta graph written later leaves it out, as it has no branch contexts inside it
    # (an imported meta graph's while_context collection still holds the loop's own).
    graph._while_contexts[f"{frame}:{loop_cond.name}"] = ctx
    ctx.exits = [x if x is not None else _made_in(graph, outer, EXIT, sw.outputs[0]).op
                 for x, sw in zip(exits, switches)]
    ctx.pivot = _pivot(graph, ctx, switches[0])
    return ctx


def _loop_ops(entries, exits, frame) -> list:
    """The ops of the loop (in creation order): what its variables' Enters reach before its
    Exits, then what those read, back to the Enters of values every iteration sees."""
    seen, todo = set(), list(entries)
    while todo:
        op = todo.pop()
        if op in seen or op in exits:
            continue
        seen.add(op)
        todo.extend(c for t in op.outputs for c in t.consumers())
        todo.extend(op._control_outputs)
    todo = list(seen)
    while todo:
        op = todo.pop()
        if op.type in _ENTERS and op._get_attr("frame_name") == frame:
            continue  # the loop's edge: what enters comes from outside
        for p in [t.op for t in op.inputs] + list(op.control_inputs):
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return sorted(seen, key=lambda o: o._id)


def _exit_of(t):
    for c in t.consumers():
        if c.type == "Exit":
            return c
        if c.type == "Identity":
            found = _exit_of(c.outputs[0])
            if found is not None:
                return found
    return None


def _made_in(graph, ctx, op, *args):
    """``op(*args)`` made in context ``ctx`` (None: outside every loop), in no control scope."""
    saved = graph._control_flow_context
    with graph.control_dependencies(None):
        try:
            graph._control_flow_context = ctx
            return op(*args)
        finally:
            graph._control_flow_context = saved


def _pivot(graph, ctx, switch: Operation):
    """The tensor a new input-less op in the body hangs on: the first variable's Identity
    (TF1's body input, TF2's ``loop_body_control``); made if the body has none."""
    for c in switch.outputs[1].consumers():
        if c.type == "Identity":
            return c.outputs[0]
    return _made_in(graph, ctx, IDENTITY, switch.outputs[1])


def _enclosing(graph, op: Operation) -> tuple:
    """(the loop ``op`` runs in, None outside every loop, recovered if need be; whether it
    runs in a tf.cond branch inside that loop): the loop of the Enter its first inputs lead
    back to, stepping over each inner loop (from an Exit to the values entering that loop)
    and each whole cond (a cond's Merge opens one, its Switch closes it; a Switch with none
    open is the branch ``op`` is in)."""
    seen, conds, in_cond = set(), 0, False
    while op not in seen:  # (to the loop's edge even when its ops are known: a cond between
        seen.add(op)  # is found on the way)
        if op.type in _ENTERS:
            loop_cond = _loop_cond_of(op)
            return (_recover(graph, loop_cond) if loop_cond is not None else None), in_cond
        if op.type == "Exit":
            t = op.inputs[0]
            while t.op.type in ("Identity", "Merge", *_SWITCHES):
                t = next(x for x in t.op.inputs if x.op.type != "NextIteration")
            op = t.op.inputs[0].op if t.op.type in _ENTERS else t.op  # what entered the loop
            continue
        if op.type in _SWITCHES and op.inputs[1].op.type == "LoopCond":  # a loop's variable
            return _recover(graph, op.inputs[1].op), in_cond
        if op.type == "Merge" and all(t.op.type != "NextIteration" for t in op.inputs):
            conds += 1
        elif op.type in _SWITCHES:
            in_cond |= conds == 0
            conds = max(conds - 1, 0)
        if op.inputs:
            op = op.inputs[0].op
        elif op.control_inputs:
            op = op.control_inputs[0]
        else:
            return None, in_cond
    return None, in_cond


def _pops_another_loops_stack(ops) -> bool:
    """Whether the loop pops a stack another loop pushes: a gradient loop (TF1's or minitf's),
    whose pops hold the forward loop's values."""
    mine = set(ops)
    for op in ops:
        if op.type not in ("StackPopV2", "StackPop"):
            continue
        stack, todo, seen = op.inputs[0].op, [], set()
        while stack.type in _ENTERS:
            stack = stack.inputs[0].op
        todo.append(stack)
        while todo:  # the stack's users, through the Enters that bring it into loops
            user = todo.pop()
            if user in seen:
                continue
            seen.add(user)
            if user.type in ("StackPushV2", "StackPush") and user not in mine:
                return True
            if user is stack or user.type in _ENTERS:
                todo.extend(c for t in user.outputs for c in t.consumers())
    return False


def _loop_cond_of(enter: Operation) -> Operation | None:
    """The LoopCond of ``enter``'s loop: the first one its value reaches without entering
    an inner loop (another frame's Enter) or leaving through an Exit."""
    frame, seen, todo = enter._get_attr("frame_name"), set(), [enter]
    while todo:
        op = todo.pop(0)
        if op in seen:
            continue
        seen.add(op)
        if op.type == "LoopCond":
            return op
        if op.type == "Exit" or (op is not enter and op.type in _ENTERS and
                                 op._get_attr("frame_name") != frame):
            continue
        todo.extend(c for t in op.outputs for c in t.consumers())
        todo.extend(op._control_outputs)
    return None
