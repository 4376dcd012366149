"""The global step variable and learning-rate schedules."""

from __future__ import annotations

from .. import dtypes as _dt
from ..graph import GraphKeys, convert_to_tensor, get_default_graph
from ..init_ops import zeros_initializer
from ..ops import math_ops, unary_ops
from ..variables import Variable


def get_global_step(graph=None):
    """The graph's global step variable, or None."""
    graph = graph or get_default_graph()
    steps = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(steps) > 1:
        raise TypeError("There are multiple items in collection global_step. There should be "
                        "only one.")
    if steps:
        return steps[0]
    try:
        t = graph.get_tensor_by_name("global_step:0")
    except (KeyError, ValueError):
        return None
    return t


def create_global_step(graph=None):
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError("\"global_step\" already exists.")
    with graph.as_default(), graph.name_scope(None), graph.control_dependencies(None):
        return Variable(lambda: zeros_initializer(_dt.int64)([]), trainable=False,
                        name="global_step", dtype=_dt.int64,
                        collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def global_step(sess, global_step_tensor) -> int:
    """The current value of the global step as a Python int."""
    return int(sess.run(global_step_tensor))


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """``learning_rate * decay_rate ** (global_step / decay_steps)`` (floored if staircase)."""
    if global_step is None:
        raise ValueError("global_step is required for exponential_decay.")
    graph = get_default_graph()
    with graph.name_scope(name or "ExponentialDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        dtype = lr.dtype
        step = math_ops.cast(global_step.value() if hasattr(global_step, "value") else
                             global_step, dtype)
        p = step / math_ops.cast(convert_to_tensor(decay_steps), dtype)
        if staircase:
            p = unary_ops.floor(p)
        return math_ops.multiply(lr, math_ops.pow(math_ops.cast(
            convert_to_tensor(decay_rate), dtype), p), name=scope)
