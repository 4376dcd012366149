"""``@tf.custom_gradient`` in graph mode, built as TF1 builds it: the function's results and
arguments (and the variables it reads) go through one IdentityN op whose gradient, overridden,
is the function's ``grad_fn``; the computation inside the function gets no gradient."""

from __future__ import annotations

import functools
import inspect
import itertools

from .gradients import RegisterGradient
from .graph import GraphKeys, convert_to_tensor, get_default_graph
from .nest_util import flatten, pack
from .ops.manip_ops import identity_n

_names = itertools.count()


# Ops TF registers a gradient for that returns None (minitf marks them not differentiable):
# TF's walk for dependent variables goes through them (its registry test, from TF 2.21's).
_TF_NONE_GRADIENTS = frozenset((
    "ArgMax", "ArgMin", "Ceil", "EagerPyFunc", "Floor", "FloorDiv", "LoopCond",
    "OptionalFromValue", "OptionalGetValue", "Rint", "Round", "SparseDenseCwiseAdd",
    "TruncateDiv"))


def _variables_read(graph, results, args) -> list:
    """The variables (global ones) the results are differentiably computed from, not
    through the args: as TF's _get_dependent_variables, the walk back stops at ops without a
    gradient (comparisons, StopGradient, a cond's predicate), so a mask or switch made from a
    variable does not count."""
    from .gradients import gradient_function
    from .opdef import NO_GRADIENT, NOT_DIFFERENTIABLE

    owners = {v.op: v for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES)}
    stop = {id(a) for a in args}
    seen, stack, found = set(), [t for t in results if id(t) not in stop], []
    while stack:
        op = stack.pop().op
        if op in seen:
            continue
        seen.add(op)
        if op in owners:
            found.append(owners[op])
            continue
        if op.type not in _TF_NONE_GRADIENTS and \
                gradient_function(op) in (None, NO_GRADIENT, NOT_DIFFERENTIABLE):
            continue
        stack.extend(t for t in op.inputs if id(t) not in stop)
    return sorted(found, key=lambda v: v.op.name)


def custom_gradient(f):
    """Decorates ``f(*args) -> (result, grad_fn)``: the result, whose gradient with respect
    to ``args`` is ``grad_fn(*result_grads)`` (and, if ``f`` reads variables,
    ``grad_fn(*result_grads, variables=...)`` returns ``(arg_grads, variable_grads)``)."""

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        if kwargs:
            raise ValueError("The custom_gradient decorator currently supports keywords "
                             "arguments only when eager execution is enabled.")
        graph = get_default_graph()
        args = [convert_to_tensor(a) for a in args]
        result, grad_fn = f(*args)
        flat = [convert_to_tensor(r) for r in flatten(result)]
        variables = _variables_read(graph, flat, args)
        takes_variables = "variables" in inspect.signature(grad_fn).parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD
            for p in inspect.signature(grad_fn).parameters.values())
        if variables and not takes_variables:
            raise TypeError("@tf.custom_gradient grad_fn must accept keyword argument "
                            "'variables', since function uses variables: "
                            f"{[v.op.name for v in variables]}")
        name = f"CustomGradient-{next(_names)}"

        @RegisterGradient(name)
        def _grad(op, *grads):
            dys = list(grads[:len(flat)])
            if variables:
                arg_grads, var_grads = grad_fn(*dys, variables=variables)
                var_grads = list(var_grads)
            else:
                arg_grads, var_grads = grad_fn(*dys), []
            arg_grads = list(arg_grads) if isinstance(arg_grads, (list, tuple)) else [arg_grads]
            if len(arg_grads) != len(args):
                raise ValueError(f"custom_gradient function expected to return {len(args)} "
                                 f"gradients but returned {len(arg_grads)} instead.")
            if len(var_grads) != len(variables):
                raise ValueError(f"Must return gradient for each variable from "
                                 f"@custom_gradient grad_fn: {len(variables)} variables, "
                                 f"{len(var_grads)} gradients")
            return [None] * len(flat) + arg_grads + var_grads

        with graph.gradient_override_map({"IdentityN": name}):
            outs = identity_n(flat + args + [v.value() for v in variables])
        return pack(result, iter(outs[:len(flat)]))

    return decorated
