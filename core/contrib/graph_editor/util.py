"""``tf.contrib.graph_editor.util`` (TF 1.15): turning what the user gives (an op, a tensor,
lists of them, a graph) into lists of ops or tensors of one graph, the control-output map TF's
graph does not keep, and the placeholders ("geph...") the editor puts where it cuts a graph."""

from __future__ import annotations

import collections.abc
import re

from ...graph import Graph, GraphKeys, Operation, Tensor
from ...ops.constant_ops import placeholder

__all__ = ["make_list_of_op", "get_tensors", "make_list_of_t", "get_generating_ops",
           "get_consuming_ops", "ControlOutputs", "placeholder_name",
           "make_placeholder_from_tensor", "make_placeholder_from_dtype_and_shape"]

_DEFAULT_PLACEHOLDER_PREFIX = "geph"


def concatenate_unique(la: list, lb) -> list:
    """Appends to ``la`` (in place) the elements of ``lb`` it lacks, in ``lb``'s order."""
    seen = set(la)
    for x in lb:
        if x not in seen:
            la.append(x)
            seen.add(x)
    return la


class ListView:
    """A read-only view of a list (SubGraphView's inputs and outputs)."""

    def __init__(self, list_):
        if not isinstance(list_, list):
            raise TypeError(f"Expected a list, got: {type(list_).__name__}.")
        self._list = list_

    def __iter__(self):
        return iter(self._list)

    def __len__(self):
        return len(self._list)

    def __bool__(self):
        return bool(self._list)

    def __getitem__(self, i):
        return self._list[i]

    def __add__(self, other):
        return list(self) + list(other)

    def __repr__(self):
        return f"ListView({self._list!r})"


def is_iterable(obj) -> bool:
    """Whether ``iter(obj)`` works (a Tensor refuses, as TF's does in graph mode)."""
    try:
        iter(obj)
    except Exception:  # noqa: BLE001 - anything refusing iteration is "not iterable"
        return False
    return True


def flatten_tree(tree, leaves=None) -> list:
    """The leaves of a nest of lists, tuples and dicts (dict values), in order."""
    if leaves is None:
        leaves = []
    if isinstance(tree, dict):
        for child in tree.values():
            flatten_tree(child, leaves)
    elif is_iterable(tree) and not isinstance(tree, str):
        for child in tree:
            flatten_tree(child, leaves)
    else:
        leaves.append(tree)
    return leaves


def transform_tree(tree, fn, iterable_type=tuple):
    """``tree`` with ``fn`` applied to each leaf, keeping its structure (dicts, namedtuples,
    tuples, lists; other iterables become ``iterable_type``)."""
    if isinstance(tree, str) or not is_iterable(tree):
        return fn(tree)
    if isinstance(tree, dict):
        return type(tree)((k, transform_tree(v, fn, iterable_type)) for k, v in tree.items())
    if isinstance(tree, tuple):
        items = [transform_tree(c, fn, iterable_type) for c in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    if isinstance(tree, collections.abc.Sequence):
        return type(tree)(transform_tree(c, fn, iterable_type) for c in tree)
    return iterable_type(transform_tree(c, fn, iterable_type) for c in tree)


def check_graphs(*args):
    """Raises ValueError unless all the arguments with a graph have the same one."""
    graph = None
    for i, sgv in enumerate(args):
        if graph is None and sgv.graph is not None:
            graph = sgv.graph
        elif sgv.graph is not None and sgv.graph is not graph:
            raise ValueError(f"Argument[{i}]: Wrong graph! It is not in the graph of the "
                             "arguments before it.")


def _describe(x) -> str:
    kind = "Operation" if isinstance(x, Operation) else "Tensor" if isinstance(x, Tensor) \
        else type(x).__name__
    name = getattr(x, "name", None)
    return f"{kind} {name!r}" if isinstance(name, str) else f"{kind} {x!r}"


def get_unique_graph(tops, check_types=None, none_if_empty=False):
    """The one graph of the ops/tensors in ``tops`` (or ``tops`` if it is a Graph).

    TypeError if an element is not of ``check_types`` (default: Operation or Tensor);
    ValueError if two elements are of different graphs, or (unless ``none_if_empty``) if
    ``tops`` is empty."""
    if isinstance(tops, Graph):
        return tops
    if not is_iterable(tops):
        raise TypeError(f"{type(tops).__name__} is not iterable")
    if check_types is None:
        check_types = (Operation, Tensor)
    elif not is_iterable(check_types):
        check_types = (check_types,)
    check_types = tuple(check_types)
    graph, first = None, None
    for top in tops:
        if not isinstance(top, check_types):
            want = " or ".join(f"tf.{t.__name__}" for t in check_types)
            raise TypeError(f"Expected a {want}, got: {_describe(top)}")
        if graph is None:
            graph, first = top.graph, top
        elif top.graph is not graph:
            raise ValueError(f"{_describe(top)} is not in the same graph as {_describe(first)}: "
                             "the graph editor works on one graph at a time.")
    if graph is None and not none_if_empty:
        raise ValueError("Can't find the unique graph of an empty list")
    return graph


def _as_list(items) -> list:
    """A single element, or any iterable (dict views, generators), as a new list."""
    return list(items) if is_iterable(items) and not isinstance(items, str) else [items]


def make_list_of_op(ops, check_graph=True, allow_graph=True, ignore_ts=False) -> list:
    """``ops`` (an op, an iterable of ops, or a Graph) as a new list of tf.Operation.

    With ``ignore_ts``, tensors among them are dropped; otherwise they are a TypeError.
    With ``check_graph``, ops of different graphs are a ValueError."""
    if isinstance(ops, Graph):
        if not allow_graph:
            raise TypeError("allow_graph is False: cannot convert a tf.Graph.")
        return ops.get_operations()
    ops = _as_list(ops)
    if not ops:
        return []
    if check_graph:
        get_unique_graph(ops, check_types=None if ignore_ts else Operation)
    return [op for op in ops if isinstance(op, Operation)]


def get_tensors(graph) -> list:
    """All the output tensors of the ops of ``graph``."""
    if not isinstance(graph, Graph):
        raise TypeError(f"Expected a graph, got: {type(graph).__name__}")
    return [t for op in graph.get_operations() for t in op.outputs]


def make_list_of_t(ts, check_graph=True, allow_graph=True, ignore_ops=False) -> list:
    """``ts`` (a tensor, an iterable of tensors, or a Graph) as a new list of tf.Tensor.

    With ``ignore_ops``, ops among them are dropped; otherwise they are a TypeError.
    With ``check_graph``, tensors of different graphs are a ValueError."""
    if isinstance(ts, Graph):
        if not allow_graph:
            raise TypeError("allow_graph is False: cannot convert a tf.Graph.")
        return get_tensors(ts)
    ts = _as_list(ts)
    if not ts:
        return []
    if check_graph:
        get_unique_graph(ts, check_types=None if ignore_ops else Tensor)
    return [t for t in ts if isinstance(t, Tensor)]


def get_generating_ops(ts) -> list:
    """The ops producing the tensors ``ts``."""
    return [t.op for t in make_list_of_t(ts, allow_graph=False)]


def get_consuming_ops(ts) -> list:
    """The ops consuming any of the tensors ``ts``, each once, in order of first use."""
    ops: list = []
    for t in make_list_of_t(ts, allow_graph=False):
        concatenate_unique(ops, t.consumers())
    return ops


class ControlOutputs:
    """The reverse of the control edges: op -> the ops that have it as a control input.

    Built from the graph once; ``update()`` rebuilds it if the graph changed since (its
    version number moves on every added op and every edit)."""

    def __init__(self, graph):
        if not isinstance(graph, Graph):
            raise TypeError(f"Expected a tf.Graph, got: {type(graph).__name__}")
        self._control_outputs: dict = {}
        self._graph = graph
        self._version = None
        self._build()

    def update(self):
        if self._version != self._graph.version:
            self._build()
        return self

    def _build(self):
        self._control_outputs.clear()
        for op in self._graph.get_operations():
            for ci in op.control_inputs:
                outs = self._control_outputs.setdefault(ci, [])
                if op not in outs:
                    outs.append(op)
        self._version = self._graph.version

    def get_all(self) -> dict:
        return self._control_outputs

    def get(self, op):
        return self._control_outputs.get(op, ())

    @property
    def graph(self):
        return self._graph


def scope_finalize(scope: str) -> str:
    return scope + "/" if scope and not scope.endswith("/") else scope


def scope_dirname(scope: str) -> str:
    slash = scope.rfind("/")
    return "" if slash == -1 else scope[:slash + 1]


def scope_basename(scope: str) -> str:
    return scope[scope.rfind("/") + 1:]


def placeholder_name(t=None, scope=None, prefix=_DEFAULT_PLACEHOLDER_PREFIX) -> str:
    """The name the editor gives a placeholder: ``<scope>geph__<op>_<index>`` for one standing
    for tensor ``t`` (``scope`` None: ``t``'s own scope; "": the root), ``<scope>geph``
    without ``t``. A placeholder of a placeholder keeps its name."""
    if scope is not None:
        scope = scope_finalize(scope)
    if t is None:
        return ("" if scope is None else scope) + prefix
    if not isinstance(t, Tensor):
        raise TypeError(f"Expected a tf.Tensor, got: {type(t).__name__}")
    base = scope_basename(t.op.name)
    if scope is None:
        scope = scope_dirname(t.op.name)
    if base.startswith(prefix + "__"):
        return scope + base
    return f"{scope}{prefix}__{base}_{t.value_index}"


def make_placeholder_from_tensor(t, scope=None, prefix=_DEFAULT_PLACEHOLDER_PREFIX):
    """A placeholder of ``t``'s dtype and static shape, named by placeholder_name (made in the
    default graph: the caller sets it)."""
    return placeholder(dtype=t.dtype, shape=t.get_shape(),
                       name=placeholder_name(t, scope=scope, prefix=prefix))


def make_placeholder_from_dtype_and_shape(dtype, shape=None, scope=None,
                                          prefix=_DEFAULT_PLACEHOLDER_PREFIX):
    """A placeholder of ``dtype`` and ``shape`` named ``<scope>geph`` (made in the default
    graph: the caller sets it)."""
    return placeholder(dtype=dtype, shape=shape,
                       name=placeholder_name(scope=scope, prefix=prefix))


_INTERNAL_NAME = re.compile(r"^__\w+__$")


def get_predefined_collection_names() -> list:
    """The standard collection names (tf.GraphKeys' values)."""
    return [getattr(GraphKeys, k) for k in dir(GraphKeys)
            if not _INTERNAL_NAME.match(k) and isinstance(getattr(GraphKeys, k), str)]


def find_corresponding_elem(target, dst_graph, dst_scope="", src_scope=""):
    """The op/tensor of ``dst_graph`` named as ``target`` with ``src_scope`` replaced by
    ``dst_scope`` (KeyError if there is none)."""
    name = target.name
    if src_scope:
        src_scope = scope_finalize(src_scope)
        if not name.startswith(src_scope):
            raise ValueError(f"{name} does not start with {src_scope}")
        name = name[len(src_scope):]
    if dst_scope:
        name = scope_finalize(dst_scope) + name
    if isinstance(target, Tensor):
        return dst_graph.get_tensor_by_name(name)
    if isinstance(target, Operation):
        return dst_graph.get_operation_by_name(name)
    raise TypeError(f"Expected tf.Tensor or tf.Operation, got: {type(target).__name__}")


def find_corresponding(targets, dst_graph, dst_scope="", src_scope=""):
    """find_corresponding_elem over a nest of ops and tensors, keeping its structure."""
    return transform_tree(
        targets, lambda top: find_corresponding_elem(top, dst_graph, dst_scope, src_scope))
