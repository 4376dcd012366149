"""The default graph, which ops join when none of their inputs is in a graph: the
innermost ``Graph.as_default()`` of the thread, else a global one; and the tf.* functions that
act on it: get_default_graph, reset_default_graph, name_scope, control_dependencies, device,
colocate_with, container and the collection functions.

Split from graph.py, which re-exports these names. It is loaded by graph.py once Graph exists
(it imports Graph and the thread's graph stack from there)."""

from __future__ import annotations

import contextlib

from .graph import Graph, _graph_stack

# -- default graph ------------------------------------------------------------------------------
_global_default_graph = Graph()


def get_default_graph() -> Graph:
    stack = _graph_stack()
    return stack[-1] if stack else _global_default_graph


def reset_default_graph():
    """Clears the global default graph. Not allowed inside a ``with graph.as_default()`` block."""
    global _global_default_graph
    if _graph_stack():
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If you "
                             "need a cleared graph, exit the nesting and create a new graph.")
    _global_default_graph = Graph()


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    """``tf.name_scope(name, default_name=None, values=None)``: a name scope in the graph of
    ``values`` (the default graph if none), which is also the default graph in the block."""
    graph = _graph_of(values) if values else get_default_graph()
    default = contextlib.nullcontext() if graph is get_default_graph() else graph.as_default()
    with default, graph.name_scope(name if name is not None or default_name is None
                                   else default_name) as scope:
        yield scope


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name_or_function):
    return get_default_graph().device(device_name_or_function)


def colocate_with(op, ignore_existing=False):
    return get_default_graph().colocate_with(op, ignore_existing)


def container(container_name):
    return get_default_graph().container(container_name)


def _graph_of(values) -> Graph:
    default = get_default_graph()
    if default._capture is not None:  # tracing a dataset function: outer tensors come in
        return default
    for v in values:
        g = getattr(v, "graph", None)
        if isinstance(g, Graph):
            return g
    return get_default_graph()


def get_collection(key, scope=None) -> list:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key) -> list:
    return get_default_graph().get_collection_ref(key)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)
