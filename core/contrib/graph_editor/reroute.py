"""``tf.contrib.graph_editor.reroute`` (TF 1.15): moving the consuming ends of tensors.

An op and its output tensors are never separated; what moves is which tensor an op's input
reads (``Operation._update_input``, which keeps the consumer lists right and bumps the graph's
version, so a Session made before compiles a new plan on its next run). "reroute" a -> b:
b's consumers now read a (b is left without consumers); "swap": a's and b's consumers trade.

Subgraph versions do the same for all the inputs (or outputs) of two SubGraphViews, and
update the views given to them in place."""

from __future__ import annotations

from ...graph import Operation
from . import subgraph as _subgraph
from . import util as _util

__all__ = ["swap_ts", "reroute_ts", "swap_inputs", "reroute_inputs", "swap_outputs",
           "reroute_outputs", "swap_ios", "reroute_ios", "remove_control_inputs",
           "add_control_inputs"]


def _check_ts_compatibility(ts0, ts1):
    """ValueError unless ts0 and ts1 pair up: same length, compatible dtypes and shapes."""
    ts0 = _util.make_list_of_t(ts0)
    ts1 = _util.make_list_of_t(ts1)
    if len(ts0) != len(ts1):
        raise ValueError(f"ts0 and ts1 have different sizes: {len(ts0)} != {len(ts1)}")
    for t0, t1 in zip(ts0, ts1):
        if t0.graph is not t1.graph:
            raise ValueError(f"Tensors {t0.name} and {t1.name} are not in the same graph: "
                             "rerouting works within one graph.")
        if not t0.dtype.is_compatible_with(t1.dtype):
            raise ValueError(f"Dtypes {t0.dtype.name} and {t1.dtype.name} are not compatible "
                             f"(tensors {t0.name} and {t1.name}).")
        if not t0.get_shape().is_compatible_with(t1.get_shape()):
            raise ValueError(f"Shapes {t0.get_shape()} and {t1.get_shape()} are not compatible "
                             f"(tensors {t0.name} and {t1.name}).")


class _RerouteMode:
    """swap: the ends of a and b trade; a2b: b's ends go to a; b2a: a's ends go to b."""

    swap, a2b, b2a = range(3)

    @classmethod
    def check(cls, mode):
        """``(a2b, b2a)``: which directions ``mode`` reroutes."""
        if mode == cls.swap:
            return True, True
        if mode == cls.a2b:
            return True, False
        if mode == cls.b2a:
            return False, True
        raise ValueError(f"Unknown _RerouteMode: {mode}")


def _apply_updates(updates: dict) -> int:
    """Makes input ``i`` of each ``op`` read ``t`` for ``{(op, i): t}``; returns how many."""
    for (op, i), t in updates.items():
        op._update_input(i, t)
    return len(updates)


def _reroute_ts(ts0, ts1, mode, can_modify=None, cannot_modify=None) -> int:
    """Reroutes the ends of each pair (t0, t1) of ts0 x ts1 as ``mode`` says, changing only
    ops in ``can_modify`` (if given) and not in ``cannot_modify``. Returns the number of
    inputs changed.

    All changes are worked out from the graph as it is before any is made, so a swap of two
    tensors read by the same op trades them (TF, rerouting one direction after the other,
    would leave both inputs reading the same tensor). A pair of the same tensor is skipped."""
    a2b, b2a = _RerouteMode.check(mode)
    ts0 = _util.make_list_of_t(ts0)
    ts1 = _util.make_list_of_t(ts1)
    _check_ts_compatibility(ts0, ts1)
    if cannot_modify is not None:
        cannot_modify = frozenset(_util.make_list_of_op(cannot_modify))
    if can_modify is not None:
        can_modify = frozenset(_util.make_list_of_op(can_modify))

    def allowed(op):
        return (can_modify is None or op in can_modify) and \
            (cannot_modify is None or op not in cannot_modify)

    updates: dict = {}

    def move(src, dst):  # dst's consumers read src
        for op in dict.fromkeys(dst.consumers()):
            if allowed(op):
                for i, t in enumerate(op.inputs):
                    if t is dst:
                        updates.setdefault((op, i), src)  # the first pair naming it wins

    for t0, t1 in zip(ts0, ts1):
        if t0 is t1:
            continue
        if a2b:
            move(t0, t1)
        if b2a:
            move(t1, t0)
    return _apply_updates(updates)


def swap_ts(ts0, ts1, can_modify=None, cannot_modify=None) -> int:
    """For each pair (t0, t1): t0's consumers read t1 and t1's read t0. Only ops in
    ``can_modify`` (if given) and not in ``cannot_modify`` change. Returns the number of
    inputs changed; ValueError if the lists differ in length, dtypes or shapes."""
    return _reroute_ts(ts0, ts1, _RerouteMode.swap, can_modify, cannot_modify)


def reroute_ts(ts0, ts1, can_modify=None, cannot_modify=None) -> int:
    """For each pair (t0, t1): t1's consumers read t0 instead (t1 is left dangling). Only ops
    in ``can_modify`` (if given) and not in ``cannot_modify`` change. Returns the number of
    inputs changed; ValueError if the lists differ in length, dtypes or shapes."""
    return _reroute_ts(ts0, ts1, _RerouteMode.a2b, can_modify, cannot_modify)


def _reroute_sgv_remap(sgv0, sgv1, mode):
    """Updates the two views in place to match their inputs having been rerouted."""
    a2b, b2a = _RerouteMode.check(mode)
    for sgv in (sgv0, sgv1):
        if not isinstance(sgv, _subgraph.SubGraphView):
            raise TypeError(f"Expected a SubGraphView, got {type(sgv).__name__}")
    _util.check_graphs(sgv0, sgv1)
    new0, new1 = sgv0.copy(), sgv1.copy()
    if a2b and b2a:
        new0._input_ts, new1._input_ts = new1._input_ts, new0._input_ts
        new0._passthrough_ts, new1._passthrough_ts = new1._passthrough_ts, new0._passthrough_ts
    elif a2b:
        new1._input_ts = new0._input_ts[:]
        new1._passthrough_ts = new0._passthrough_ts[:]
    elif b2a:
        new0._input_ts = new1._input_ts[:]
        new0._passthrough_ts = new1._passthrough_ts[:]

    def update_passthrough_outputs(a, b):
        for i, t in enumerate(b._output_ts):
            if t in a._passthrough_ts:
                b._output_ts[i] = b._input_ts[a._input_ts.index(t)]

    if a2b:
        update_passthrough_outputs(new0, new1)
    if b2a:
        update_passthrough_outputs(new1, new0)
    sgv0._assign_from(new0)
    sgv1._assign_from(new1)


def _reroute_sgv_inputs(sgv0, sgv1, mode):
    sgv0 = _subgraph.make_view(sgv0)
    sgv1 = _subgraph.make_view(sgv1)
    _util.check_graphs(sgv0, sgv1)
    can_modify = sgv0.ops + sgv1.ops
    # the consumers of passthrough tensors read the view's input too
    can_modify += _util.get_consuming_ops(sgv0.passthroughs)
    can_modify += _util.get_consuming_ops(sgv1.passthroughs)
    _reroute_ts(sgv0.inputs, sgv1.inputs, mode, can_modify=can_modify)
    _reroute_sgv_remap(sgv0, sgv1, mode)
    return sgv0, sgv1


def _reroute_sgv_outputs(sgv0, sgv1, mode):
    sgv0 = _subgraph.make_view(sgv0)
    sgv1 = _subgraph.make_view(sgv1)
    _util.check_graphs(sgv0, sgv1)
    _reroute_ts(sgv0.outputs, sgv1.outputs, mode, cannot_modify=sgv0.ops + sgv1.ops)
    return sgv0, sgv1


def _reroute_sgv(sgv0, sgv1, mode):
    _reroute_sgv_outputs(sgv0, sgv1, mode)
    _reroute_sgv_inputs(sgv0, sgv1, mode)
    return sgv0, sgv1


def swap_inputs(sgv0, sgv1):
    """The ops of each view read the other's inputs. The arguments are anything make_view
    takes; views given are updated in place. Returns the two views."""
    return _reroute_sgv_inputs(sgv0, sgv1, _RerouteMode.swap)


def reroute_inputs(sgv0, sgv1):
    """The ops of sgv1 read sgv0's inputs (sgv1's old inputs lose those consumers). Returns
    the two views (views given are updated in place)."""
    return _reroute_sgv_inputs(sgv0, sgv1, _RerouteMode.a2b)


def swap_outputs(sgv0, sgv1):
    """The consumers (outside the views) of each view's outputs read the other's."""
    return _reroute_sgv_outputs(sgv0, sgv1, _RerouteMode.swap)


def reroute_outputs(sgv0, sgv1):
    """The consumers (outside the views) of sgv1's outputs read sgv0's instead."""
    return _reroute_sgv_outputs(sgv0, sgv1, _RerouteMode.a2b)


def swap_ios(sgv0, sgv1):
    """swap_outputs then swap_inputs: the two views trade places in the graph."""
    return _reroute_sgv(sgv0, sgv1, _RerouteMode.swap)


def reroute_ios(sgv0, sgv1):
    """reroute_outputs then reroute_inputs: sgv0's inputs feed sgv1's ops and sgv1's
    consumers read sgv0's outputs."""
    return _reroute_sgv(sgv0, sgv1, _RerouteMode.a2b)


def _check_op(op):
    if not isinstance(op, Operation):
        raise TypeError(f"Expected a tf.Operation, got: {type(op).__name__}")


def remove_control_inputs(op, cops):
    """Removes the control inputs ``cops`` (an op or ops) of ``op``; ValueError, changing
    nothing, if one of them is not a control input of ``op``."""
    _check_op(op)
    cops = _util.make_list_of_op(cops, allow_graph=False)
    for cop in cops:
        if cop not in op._control_inputs:
            raise ValueError(f"{cop.name} is not a control_input of {op.name}")
    if not cops:
        return
    keep = [c for c in op._control_inputs if c not in set(cops)]
    with op.graph._lock:
        op._remove_all_control_inputs()
        op._add_control_inputs(keep)


def add_control_inputs(op, cops):
    """Adds the control inputs ``cops`` (an op or ops of ``op``'s graph) to ``op``;
    ValueError, changing nothing, if one already is one or is of another graph."""
    _check_op(op)
    cops = _util.make_list_of_op(cops, allow_graph=False)
    for cop in cops:
        if cop.graph is not op.graph:
            raise ValueError(f"{cop.name} must be from the same graph as {op.name}.")
        if cop in op._control_inputs:
            raise ValueError(f"{cop.name} is already a control_input of {op.name}")
    op._add_control_inputs(cops)
