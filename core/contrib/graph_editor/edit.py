"""``tf.contrib.graph_editor.edit`` (TF 1.15): cutting a subgraph out of its surroundings
(its inputs replaced by new placeholders, its consumers fed by new placeholders), plugging
one subgraph's outputs into another's inputs, and bypassing a subgraph."""

from __future__ import annotations

from ...ops.constant_ops import placeholder
from . import reroute, select, subgraph, util

__all__ = ["detach_control_inputs", "detach_control_outputs", "detach_inputs",
           "detach_outputs", "detach", "connect", "bypass"]


def detach_control_inputs(sgv):
    """Removes the control inputs of the view's ops that come from outside the view."""
    sgv = subgraph.make_view(sgv)
    inside = set(sgv.ops)
    for op in sgv.ops:
        outside = [c for c in op.control_inputs if c not in inside]
        if outside:
            reroute.remove_control_inputs(op, outside)


def detach_control_outputs(sgv, control_outputs):
    """Removes the control edges from the view's ops to ops outside it (``control_outputs``:
    a util.ControlOutputs of the graph)."""
    if not isinstance(control_outputs, util.ControlOutputs):
        raise TypeError(f"Expected a util.ControlOutputs, got: {type(control_outputs).__name__}")
    control_outputs.update()
    sgv = subgraph.make_view(sgv)
    inside = set(sgv.ops)
    for op in sgv.ops:
        for cop in list(control_outputs.get(op)):
            if cop not in inside:
                reroute.remove_control_inputs(cop, op)


def detach_inputs(sgv, control_inputs=False):
    """The view's ops read new placeholders (``geph__...``, of the inputs' dtypes) instead of
    its inputs; with ``control_inputs`` outside control inputs are removed too.

    Returns ``(sgv, input_placeholders)``; a view given is updated in place."""
    sgv = subgraph.make_view(sgv)
    with sgv.graph.as_default():
        input_placeholders = [placeholder(dtype=t.dtype, name=util.placeholder_name(t))
                              for t in sgv.inputs]
    reroute.swap_inputs(sgv, input_placeholders)
    if control_inputs:
        detach_control_inputs(sgv)
    return sgv, input_placeholders


def detach_outputs(sgv, control_outputs=None):
    """The consumers of the view's outputs read new placeholders (of the outputs' dtypes and
    shapes) instead; with ``control_outputs`` (a util.ControlOutputs) control edges to outside
    ops are removed too.

    Returns ``(sgv, output_placeholders)``: the view of the outputs that had consumers, and a
    placeholder for each."""
    sgv = subgraph.make_view(sgv)
    # only the outputs with consumers
    sgv_ = sgv.remap_outputs([i for i, t in enumerate(sgv.outputs) if t.consumers()])
    consumers_sgv = subgraph.SubGraphView(sgv_.consumers())
    consumers_sgv = consumers_sgv.remap_inputs(
        [i for i, t in enumerate(consumers_sgv.inputs) if t in sgv_.outputs])
    with sgv_.graph.as_default():
        output_placeholders = [util.make_placeholder_from_tensor(t)
                               for t in consumers_sgv.inputs]
    reroute.swap_outputs(sgv_, output_placeholders)
    if control_outputs is not None:
        detach_control_outputs(sgv_, control_outputs)
    return sgv_, output_placeholders


def detach(sgv, control_inputs=False, control_outputs=None, control_ios=None):
    """detach_inputs and detach_outputs. Returns ``(sgv, input_placeholders,
    output_placeholders)``."""
    control_inputs, control_outputs = select.check_cios(control_inputs, control_outputs,
                                                        control_ios)
    _, detached_inputs = detach_inputs(sgv, control_inputs)
    _, detached_outputs = detach_outputs(sgv, control_outputs)
    return sgv, detached_inputs, detached_outputs


def connect(sgv0, sgv1, disconnect_first=False):
    """sgv1's ops read sgv0's outputs in place of sgv1's inputs (pairwise, in order). With
    ``disconnect_first``, sgv0's outputs first lose their current consumers. Returns the two
    views."""
    sgv0 = subgraph.make_view(sgv0)
    sgv1 = subgraph.make_view(sgv1)
    util.check_graphs(sgv0, sgv1)
    if disconnect_first:
        detach_outputs(sgv0)
    sgv0_outputs = subgraph.SubGraphView(passthrough_ts=sgv0.outputs)
    reroute.reroute_inputs(sgv0_outputs, sgv1)
    return sgv0, sgv1


def bypass(sgv):
    """The consumers of the view's outputs read its inputs instead (pairwise: the view must
    have as many inputs as outputs, of matching dtypes), and the view's ops read new
    placeholders. Returns ``(sgv, input_placeholders)``."""
    sgv = subgraph.make_view(sgv)
    sgv_inputs = list(sgv.inputs)
    reroute._check_ts_compatibility(sgv_inputs, sgv.outputs)  # before anything changes
    sgv, detached_inputs = detach_inputs(sgv)
    reroute.reroute_ts(sgv_inputs, sgv.outputs)
    return sgv, detached_inputs
