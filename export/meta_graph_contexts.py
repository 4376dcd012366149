"""TF1's control-flow collections of a meta graph: minitf's record of its while loops (and the
cond branches in or around them) written as the WhileContextDefs and CondContextDefs that TF1's
``to_proto`` writes, so TensorFlow can take new gradients through an imported graph's loops."""

from __future__ import annotations

from minitf.control_flow import WhileContext
from minitf.protos import control_flow_pb2

# TF1's GraphKeys.WHILE_CONTEXT and COND_CONTEXT (minitf records its loops on the graph).
WHILE_CONTEXT, COND_CONTEXT = "while_context", "cond_context"


def control_flow_contexts(graph) -> dict[str, list[bytes]]:
    """The graph's tf.while_loops and tf.cond branches as TF1's collections hold them: each
    outermost one as a serialized WhileContextDef (``while_context``) or CondContextDef
    (``cond_context``), the ones inside it in its ``nested_contexts``. minitf records every
    loop (``graph._while_contexts``) and, through it, the branches inside a loop or around one;
    a cond with no loop in or around it is recorded nowhere and left out (TensorFlow takes its
    gradients without a context)."""
    if not graph._while_contexts:
        return {}
    writer = _ContextWriter(graph)
    out: dict[str, list[bytes]] = {}
    for ctx in writer.children.get(None, []):
        key = WHILE_CONTEXT if isinstance(ctx, WhileContext) else COND_CONTEXT
        out.setdefault(key, []).append(writer.to_proto(ctx).SerializeToString())
    return out


class _ContextWriter:
    """Writes minitf's control-flow contexts as TF1's ``to_proto`` does. TensorFlow's import
    gives each op named in a context's values (outside values apart) that context, the outer
    contexts first: so a loop's values leave out the loops inside it (as TF1's do), and keep the
    branches inside it, which TF1 also lists in the context around them."""

    def __init__(self, graph):
        self.order = {op: k for k, op in enumerate(graph.get_operations())}
        found: dict = {}
        for loop in graph._while_contexts.values():
            if getattr(loop, "forward", None) is not None:
                continue  # a gradient loop: TF1 does not record it either
            for ctx in (loop, *loop._inner.values()):
                while ctx is not None and ctx not in found:  # and the contexts around it
                    found[ctx] = None
                    ctx = ctx.outer
        # (A loop whose building failed is not recorded, nor what was made inside it.)
        built = [c for c in found if not isinstance(c, WhileContext)
                 or graph._while_contexts.get(c.name) is c]
        self.children: dict = {}
        for ctx in sorted(built, key=self._made_at):
            self.children.setdefault(ctx.outer, []).append(ctx)
        # A branch's Switch gives it one output; TF1 lists only that one.
        self.unused = {out for ctx in built if not isinstance(ctx, WhileContext)
                       for inside in ctx.external.values()
                       for out in inside.op.outputs if out is not inside}

    def _made_at(self, ctx) -> int:
        """The position of ``ctx``'s first op: siblings are nested in the order TF1 made them."""
        first = ctx.enters[0] if isinstance(ctx, WhileContext) else ctx.pivot.op
        return self.order[first]

    def to_proto(self, ctx):
        proto = self._while_def(ctx) if isinstance(ctx, WhileContext) else self._cond_def(ctx)
        for child in self.children.get(ctx, []):
            nested = proto.nested_contexts.add()
            which = nested.while_ctxt if isinstance(child, WhileContext) else nested.cond_ctxt
            which.CopyFrom(self.to_proto(child))
        return proto

    def _while_def(self, loop):
        enters, exits = self._loop_variables(loop)
        bound = _maximum_iterations(loop)
        return control_flow_pb2.WhileContextDef(
            context_name=loop.name, parallel_iterations=loop.parallel_iterations,
            back_prop=loop.back_prop, pivot_name=loop.loop_cond.name,
            pivot_for_pred_name=loop.merges[0].name, pivot_for_body_name=loop.inside[0].name,
            loop_exit_names=exits, loop_enter_names=enters,
            values_def=self._values_def(loop, exits),  # TF1 counts the Exits in the loop
            maximum_iterations_name=bound.name if bound is not None else "")

    def _cond_def(self, branch):
        outside = [branch.pred]  # TF1's: the predicate is an outside value
        if branch.outer is not None:  # and so is the value the context around passes in
            outside += [s.op.inputs[0] for s in branch.external.values()]
        values = self._values_def(branch, [t.name for t in outside])
        for t in outside:
            if t.name not in values.external_values:  # else already mapped to its Switch
                values.external_values[t.name] = t.name
        scope = branch.pivot.op.name.rpartition("/")[0]
        return control_flow_pb2.CondContextDef(
            context_name=f"{scope}/cond_text{'' if branch.branch else '_1'}",  # TF1's names
            pred_name=branch.pred.name, pivot_name=branch.pivot.name, branch=branch.branch,
            values_def=values)

    def _values_def(self, ctx, extra=()):
        """The values of ``ctx`` but not of the loops inside it, and the outside values it
        uses (each with the tensor standing for it inside)."""
        inner = self._inner_loop_ops(ctx)
        names = {t.name for t in ctx.values if t.op not in inner and t not in self.unused}
        values = control_flow_pb2.ValuesDef(values=sorted(names | set(extra)))
        for outside, inside in ctx.external.items():
            values.external_values[outside.name] = inside.name
        return values

    def _inner_loop_ops(self, ctx) -> set:
        ops: set = set()
        for child in self.children.get(ctx, []):
            ops |= child.ops if isinstance(child, WhileContext) else self._inner_loop_ops(child)
        return ops

    def _loop_variables(self, loop) -> tuple[list[str], list[str]]:
        """The names of the loop's Enters and Exits, with those of the variables added later
        (a gradient's iteration counter) after them, as TF1 appends them."""
        exits = {x.outputs[0] for x in loop.exits}
        for op in loop.ops:
            if op.type == "Switch" and loop.graph._loop_ops.get(op) is loop:
                exits.update(c.outputs[0] for c in op.outputs[0].consumers() if c.type == "Exit")
        exits = sorted(exits, key=lambda t: self.order[t.op])
        known = {x.outputs[0] for x in loop.exits}
        # Exit <- Switch <- Merge <- Enter: the Enter of each added variable.
        added = [x.op.inputs[0].op.inputs[0].op.inputs[0] for x in exits if x not in known]
        enters = [e.outputs[0] for e in loop.entries] + added
        return [t.name for t in enters], [t.name for t in exits]


def _maximum_iterations(loop):
    """The bound of a loop made with ``maximum_iterations``, or None. tf.while_loop makes such
    a loop's first variable the counter ``iteration_counter`` and tests it first, with
    ``counter < bound`` (as TF1), so the bound is the outside value that Less reads."""
    counter = loop.entries[0].inputs[0]
    while counter.op.type in ("Switch", "Enter"):  # brought in by the contexts around the loop
        counter = counter.op.inputs[0]
    if counter.op.name != loop.name.rpartition("/")[0] + "/iteration_counter":
        return None
    entered = {inside: outside for outside, inside in loop.external.items()}
    for op in loop.merges[0].consumers():
        if op.type == "Less" and op.inputs[0] is loop.merges[0] and op.inputs[1] in entered:
            return entered[op.inputs[1]]
    return None
