"""TF1's guard for a variable whose initial value reads other variables (``Variable(a * 3)``):
its initializer computes a copy of the value in which each read of a variable of the global or
local collections becomes that variable's ``initialized_value()`` (the value, or the variable's
own initial value while it is uninitialized). So ``b.initializer`` runs on its own, whatever
order the initializers run in. As TF 1.x (``_try_guard_against_uninitialized_dependencies``):
copies are named ``<op>_<variable>``, a RefSwitch is copied as a Switch, a value with a cycle
(a loop) is left as it is, and the guard is one level deep (the ``initialized_value()`` used
reads the other variable's raw initial value). Stateful ops (an ``assign_add`` of the other
variable, a Generator's RngReadAndSkip) are kept as they are: a copy would repeat their effect,
and those that take the variable by reference cannot take a value instead."""

from __future__ import annotations

from .tensor import GraphKeys

_VARIABLE_TYPES = ("Variable", "VariableV2", "VarHandleOp")
# Reads that already check, or cannot be rewritten: left as they are, not walked through.
_KEPT_TYPES = ("IsVariableInitialized", "VarIsInitializedOp", "ReadVariableOp", "If")


def guard_uninitialized_reads(scope: str, value):
    """``value`` (a Tensor) with reads of other variables guarded; ``scope`` is the variable's
    name scope (``"b/"``), which suffixes the copies' names."""
    if _has_cycle(value.op):
        return value
    graph = value.graph
    variables = None  # by name; made only when a variable is read (the collections are long)
    suffix = scope.replace(":", "_")
    done: dict = {}  # op -> the op computing its guarded outputs (itself when nothing changed)
    for op in _upstream(value.op):
        if _kept(op):
            done[op] = op
        elif op.type in _VARIABLE_TYPES:
            if variables is None:
                variables = _variables_by_name(graph)
            v = variables.get(op.name + ":0")
            done[op] = op if v is None else v.initialized_value().op
        else:
            inputs = [done[t.op].outputs[t.value_index] for t in op.inputs]
            if all(new is old for new, old in zip(inputs, op.inputs)):
                done[op] = op
            else:
                op_type = "Switch" if op.type == "RefSwitch" else op.type
                done[op] = graph.create_op(op_type, inputs, name=f"{op.name}_{suffix}",
                                           attrs=dict(op._attrs))
    return done[value.op].outputs[value.value_index]


def _variables_by_name(graph) -> dict:
    variables = {}
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES):
        for v in graph.get_collection(key):
            if hasattr(v, "initialized_value"):
                variables.setdefault(v.name, v)
    return variables


def _kept(op) -> bool:
    return op.type in _KEPT_TYPES or (op._opdef.stateful and op.type not in _VARIABLE_TYPES)


def _upstream(op) -> list:
    """The ops ``op`` reads through data inputs, each after its inputs; the walk stops at
    variables and at the kept reads. (Depth first: an op met again while unfinished would be a
    cycle, which the caller has ruled out.)"""
    order, visited, stack = [], set(), [(op, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        if node.type in _VARIABLE_TYPES or _kept(node):
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((t.op, False) for t in reversed(list(node.inputs)) if t.op not in visited)
    return order


def _has_cycle(op) -> bool:
    """Whether a loop (a NextIteration edge back) is upstream of ``op``, through data and
    control inputs."""
    def edges(node):
        return iter([t.op for t in node.inputs] + list(node.control_inputs))

    state = {op: 1}  # 1 while on the current path, 2 once finished
    stack = [(op, edges(op))]
    while stack:
        node, todo = stack[-1]
        for nxt in todo:
            mark = state.get(nxt)
            if mark == 1:
                return True
            if mark is None:
                state[nxt] = 1
                stack.append((nxt, edges(nxt)))
                break
        else:
            state[node] = 2
            stack.pop()
    return False


__all__ = ["guard_uninitialized_reads"]
