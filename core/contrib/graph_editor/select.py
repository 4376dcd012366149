"""``tf.contrib.graph_editor.select`` (TF 1.15): picking ops and tensors of a graph by regex,
by filter, by name scope, and by walking the graph forward (to consumers) or backward (to
producers), optionally along control edges too.

Walks return lists: the seeds first, then each wave of newly reached ops in graph order (TF's
order within a wave is that of a Python set, so not fixed)."""

from __future__ import annotations

import re

from ...graph import Graph, Tensor
from . import util

__all__ = ["can_be_regex", "make_regex", "filter_ts", "filter_ts_from_regex", "filter_ops",
           "filter_ops_from_regex", "get_name_scope_ops", "check_cios", "get_ops_ios",
           "compute_boundary_ts", "get_within_boundary_ops", "get_forward_walk_ops",
           "get_backward_walk_ops", "get_walks_intersection_ops", "get_walks_union_ops",
           "select_ops", "select_ts", "select_ops_and_ts"]

_RE_TYPE = type(re.compile(""))


def can_be_regex(obj) -> bool:
    """Whether ``obj`` is a string or a compiled regular expression."""
    return isinstance(obj, (str, _RE_TYPE))


def make_regex(obj):
    """``obj`` as a compiled regular expression (ValueError if it is neither kind)."""
    if not can_be_regex(obj):
        raise ValueError(f"Expected a string or a regex, got: {type(obj).__name__}")
    return re.compile(obj) if isinstance(obj, str) else obj


def _get_input_ts(ops) -> list:
    ts: list = []
    for op in util.make_list_of_op(ops):
        util.concatenate_unique(ts, op.inputs)
    return ts


def _get_output_ts(ops) -> list:
    return [t for op in util.make_list_of_op(ops) for t in op.outputs]


def filter_ts(ops, positive_filter) -> list:
    """The input and output tensors of ``ops`` (each once) that ``positive_filter`` keeps
    (True keeps them all)."""
    ops = util.make_list_of_op(ops)
    ts = util.concatenate_unique(_get_input_ts(ops), _get_output_ts(ops))
    if positive_filter is not True:
        ts = [t for t in ts if positive_filter(t)]
    return ts


def filter_ts_from_regex(ops, regex) -> list:
    """The tensors of ``ops`` whose name the regex finds (``re.search``)."""
    regex = make_regex(regex)
    return filter_ts(util.make_list_of_op(ops), lambda t: regex.search(t.name))


def filter_ops(ops, positive_filter) -> list:
    """The ops of ``ops`` that ``positive_filter`` keeps (True keeps them all)."""
    ops = util.make_list_of_op(ops)
    if positive_filter is not True:
        ops = [op for op in ops if positive_filter(op)]
    return ops


def filter_ops_from_regex(ops, regex) -> list:
    """The ops of ``ops`` whose name the regex finds (``re.search``)."""
    regex = make_regex(regex)
    return filter_ops(util.make_list_of_op(ops), lambda op: regex.search(op.name))


def get_name_scope_ops(ops, scope) -> list:
    """The ops of ``ops`` in name scope ``scope`` (the op named ``scope`` too)."""
    if scope and scope.endswith("/"):
        scope = scope[:-1]
    return filter_ops_from_regex(ops, f"^{scope}(/.*)?$")


def check_cios(control_inputs=False, control_outputs=None, control_ios=None):
    """Resolves the control-edge options to ``(control_inputs, control_outputs)``:
    ``control_ios`` (a ControlOutputs) means both. The ControlOutputs is brought up to date."""
    if control_ios is not None:
        if not isinstance(control_ios, util.ControlOutputs):
            raise TypeError(f"Expected a util.ControlOutputs, got: {type(control_ios).__name__}")
        if control_outputs is not None:
            raise ValueError("control_outputs should be None when using control_ios.")
        control_inputs, control_outputs = True, control_ios
    elif control_outputs is not None and not isinstance(control_outputs, util.ControlOutputs):
        raise TypeError(f"Expected a util.ControlOutputs, got: {type(control_outputs).__name__}")
    if control_outputs is not None:
        control_outputs.update()
    return control_inputs, control_outputs


def get_ops_ios(ops, control_inputs=False, control_outputs=None, control_ios=None) -> list:
    """The ops connected to ``ops``: producers of their inputs, consumers of their outputs,
    and (if enabled) their control inputs and control outputs."""
    control_inputs, control_outputs = check_cios(control_inputs, control_outputs, control_ios)
    res: list = []
    for op in util.make_list_of_op(ops):
        util.concatenate_unique(res, [t.op for t in op.inputs])
        for t in op.outputs:
            util.concatenate_unique(res, t.consumers())
        if control_outputs is not None:
            util.concatenate_unique(res, control_outputs.get(op))
        if control_inputs:
            util.concatenate_unique(res, op.control_inputs)
    return res


def compute_boundary_ts(ops, ambiguous_ts_are_outputs=True):
    """Splits the tensors around ``ops`` into ``(inputs, outputs, insides)``: inputs are made
    outside ``ops``, outputs made inside and (all or some) consumed outside or not at all,
    insides made and consumed only inside. A tensor made inside and consumed both inside and
    outside is an output if ``ambiguous_ts_are_outputs``, else an inside."""
    ops = util.make_list_of_op(ops)
    input_ts, output_ts = _get_input_ts(ops), _get_output_ts(ops)
    output_set, ops_set = frozenset(output_ts), frozenset(ops)
    inside = []
    for t in input_ts:
        if t not in output_set:
            continue
        if ambiguous_ts_are_outputs and any(c not in ops_set for c in t.consumers()):
            continue
        inside.append(t)
    inside_set = frozenset(inside)
    return ([t for t in input_ts if t not in inside_set],
            [t for t in output_ts if t not in inside_set], inside)


def get_within_boundary_ops(ops, seed_ops, boundary_ops=(), inclusive=True,
                            control_inputs=False, control_outputs=None,
                            control_ios=None) -> list:
    """The ops of ``ops`` reachable from ``seed_ops`` in either direction without crossing
    ``boundary_ops`` (included if ``inclusive``), in the order of ``ops``."""
    control_inputs, control_outputs = check_cios(control_inputs, control_outputs, control_ios)
    ops = util.make_list_of_op(ops)
    seed_ops = util.make_list_of_op(seed_ops, allow_graph=False)
    boundary = set(util.make_list_of_op(boundary_ops))
    res = set(seed_ops)
    if boundary & res:
        raise ValueError("Boundary is intersecting with the seeds: "
                         f"{sorted(op.name for op in boundary & res)}")
    wave = set(seed_ops)
    while wave:
        new_wave = set()
        for op in get_ops_ios(wave, control_inputs, control_outputs):
            if op in res:
                continue
            if op in boundary:
                if inclusive:
                    res.add(op)
            else:
                new_wave.add(op)
        res.update(new_wave)
        wave = new_wave
    return [op for op in ops if op in res]


def _seeds(seed_ops, from_tensors):
    """The seed ops of a walk: ops as given, or for tensors ``from_tensors(ts)``."""
    seeds = list(seed_ops) if util.is_iterable(seed_ops) else [seed_ops]
    if not seeds:
        return []
    if isinstance(seeds[0], Tensor):
        return from_tensors(util.make_list_of_t(seeds, allow_graph=False))
    return util.make_list_of_op(seeds, allow_graph=False)


def _walk(seeds, inclusive, within_ops, within_ops_fn, next_ops):
    """Breadth-first from ``seeds`` through ``next_ops(op)``, restricted to ``within_ops``
    and ``within_ops_fn``. As TF's: a non-empty ``within_ops`` also filters the seeds, and an
    empty one leaves them but lets the walk reach nothing else."""
    within = None if within_ops is None else \
        frozenset(util.make_list_of_op(within_ops, allow_graph=False))
    if within:
        seeds = [op for op in seeds if op in within]
    seed_set = frozenset(seeds)
    result = list(dict.fromkeys(seeds))
    seen = set(result)
    wave = result
    while wave:
        new_wave = []
        for op in wave:
            for new_op in next_ops(op):
                if new_op in seen or (within is not None and new_op not in within) or \
                        (within_ops_fn is not None and not within_ops_fn(new_op)):
                    continue
                seen.add(new_op)
                new_wave.append(new_op)
        new_wave.sort(key=lambda o: o._id)
        result.extend(new_wave)
        wave = new_wave
    if not inclusive:
        result = [op for op in result if op not in seed_set]
    return result


def get_forward_walk_ops(seed_ops, inclusive=True, within_ops=None, within_ops_fn=None,
                         stop_at_ts=(), control_outputs=None) -> list:
    """The ops reached from ``seed_ops`` going to consumers (and, given a ControlOutputs, to
    control outputs), not through the tensors ``stop_at_ts``. Tensors as seeds mean their
    consumers. ``inclusive``: the seeds are part of the result."""
    _, control_outputs = check_cios(False, control_outputs)
    seeds = _seeds(seed_ops, util.get_consuming_ops)
    if not seeds:
        return []
    stop = frozenset(util.make_list_of_t(stop_at_ts))

    def next_ops(op):
        out = [c for t in op.outputs if t not in stop for c in t.consumers()]
        if control_outputs is not None:
            out.extend(control_outputs.get(op))
        return out

    return _walk(seeds, inclusive, within_ops, within_ops_fn, next_ops)


def get_backward_walk_ops(seed_ops, inclusive=True, within_ops=None, within_ops_fn=None,
                          stop_at_ts=(), control_inputs=False) -> list:
    """The ops reached from ``seed_ops`` going to producers of inputs (and, if
    ``control_inputs``, to control inputs), not through the tensors ``stop_at_ts``. Tensors
    as seeds mean their producers. ``inclusive``: the seeds are part of the result."""
    seeds = _seeds(seed_ops, util.get_generating_ops)
    if not seeds:
        return []
    stop = frozenset(util.make_list_of_t(stop_at_ts))

    def next_ops(op):
        out = [t.op for t in op.inputs if t not in stop]
        if control_inputs:
            out.extend(op.control_inputs)
        return out

    return _walk(seeds, inclusive, within_ops, within_ops_fn, next_ops)


def _both_walks(forward_seed_ops, backward_seed_ops, forward_inclusive, backward_inclusive,
                within_ops, within_ops_fn, control_inputs, control_outputs, control_ios):
    control_inputs, control_outputs = check_cios(control_inputs, control_outputs, control_ios)
    forward = get_forward_walk_ops(forward_seed_ops, inclusive=forward_inclusive,
                                   within_ops=within_ops, within_ops_fn=within_ops_fn,
                                   control_outputs=control_outputs)
    backward = get_backward_walk_ops(backward_seed_ops, inclusive=backward_inclusive,
                                     within_ops=within_ops, within_ops_fn=within_ops_fn,
                                     control_inputs=control_inputs)
    return forward, backward


def get_walks_intersection_ops(forward_seed_ops, backward_seed_ops, forward_inclusive=True,
                               backward_inclusive=True, within_ops=None, within_ops_fn=None,
                               control_inputs=False, control_outputs=None,
                               control_ios=None) -> list:
    """The ops both downstream of ``forward_seed_ops`` and upstream of ``backward_seed_ops``
    (what lies between them), in forward-walk order."""
    forward, backward = _both_walks(forward_seed_ops, backward_seed_ops, forward_inclusive,
                                    backward_inclusive, within_ops, within_ops_fn,
                                    control_inputs, control_outputs, control_ios)
    backward = set(backward)
    return [op for op in forward if op in backward]


def get_walks_union_ops(forward_seed_ops, backward_seed_ops, forward_inclusive=True,
                        backward_inclusive=True, within_ops=None, within_ops_fn=None,
                        control_inputs=False, control_outputs=None, control_ios=None) -> list:
    """The ops downstream of ``forward_seed_ops`` or upstream of ``backward_seed_ops``."""
    forward, backward = _both_walks(forward_seed_ops, backward_seed_ops, forward_inclusive,
                                    backward_inclusive, within_ops, within_ops_fn,
                                    control_inputs, control_outputs, control_ios)
    return util.concatenate_unique(forward, backward)


def _select_kwargs(kwargs, own_restrict, other_restrict):
    graph, positive_filter, restrict = None, None, False
    for k, v in kwargs.items():
        if k == "graph":
            graph = v
            if graph is not None and not isinstance(graph, Graph):
                raise TypeError(f"Expected a tf.Graph, got: {type(graph).__name__}")
        elif k == "positive_filter":
            positive_filter = v
        elif k == own_restrict:
            restrict = v
        elif k != other_restrict:
            raise ValueError(f"Wrong keywords argument: {k}.")
    return graph, positive_filter, restrict


def _select(args, kwargs, kind):
    """select_ops (kind "ops") / select_ts (kind "ts"): regexes (a pattern starting with the
    comment "(?#ts)" or "(?#ops)" is for that kind only) and ops/tensors, the other kind
    skipped."""
    other = "ts" if kind == "ops" else "ops"
    graph, positive_filter, restrict = _select_kwargs(kwargs, f"restrict_{kind}_regex",
                                                      f"restrict_{other}_regex")
    res: list = []
    seen: set = set()
    for arg in args:
        if can_be_regex(arg):
            if graph is None:
                raise ValueError("Use the keyword argument 'graph' to use regex.")
            regex = make_regex(arg)
            if regex.pattern.startswith(f"(?#{other})"):
                continue
            if restrict and not regex.pattern.startswith(f"(?#{kind})"):
                continue
            found = (filter_ops_from_regex if kind == "ops" else filter_ts_from_regex)(
                graph, regex)
        elif kind == "ops":
            found = util.make_list_of_op(arg, ignore_ts=True)
        else:
            found = util.make_list_of_t(arg, ignore_ops=True)
        for x in found:
            if x not in seen and (positive_filter is None or positive_filter(x)):
                seen.add(x)
                res.append(x)
    return res


def select_ops(*args, **kwargs) -> list:
    """Ops from regexes (matched against ``graph=``'s op names) and ops or lists of ops
    (tensors ignored); ``positive_filter=`` keeps some; ``restrict_ops_regex=True`` uses only
    regexes starting with "(?#ops)"."""
    return _select(args, kwargs, "ops")


def select_ts(*args, **kwargs) -> list:
    """Tensors from regexes (matched against ``graph=``'s tensor names) and tensors or lists
    of tensors (ops ignored); ``positive_filter=`` keeps some; ``restrict_ts_regex=True`` uses
    only regexes starting with "(?#ts)"."""
    return _select(args, kwargs, "ts")


def select_ops_and_ts(*args, **kwargs):
    """``(ops, ts)``: regexes select ops unless they start with "(?#ts)", which select
    tensors."""
    ops = select_ops(*args, restrict_ops_regex=False, **kwargs)
    ts = select_ts(*args, restrict_ts_regex=True, **kwargs)
    return ops, ts
