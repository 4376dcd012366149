"""What a model needs that minitf lacks: the op types and DataTypes the nodes of a GraphDef
reach (its signatures' closure, through the functions they call). ``minitf inspect`` reports
them, and the SavedModel loader leaves out the signatures that need them."""

from __future__ import annotations

from minitf import dtypes as _dt
from minitf.protos import types_pb2

from .freeze import VARIABLE_OPS

__all__ = ["missing_ops", "unsupported_dtypes"]


def _called(node, library) -> list[str]:
    """The functions ``node`` calls: by its op, or through its func attrs (a call's ``f``,
    an If's branches, a While's cond and body, a Case's branch list)."""
    names = [node.op] if node.op in library else []
    for value in node.attr.values():
        if value.HasField("func"):
            names.append(value.func.name)
        names.extend(f.name for f in value.list.func)
    return names


def _reached_nodes(graph_def, roots=None, index=None) -> list:
    """The nodes ``roots`` reach (every node when None), with the bodies of the functions
    they call, transitively. ``index``: ``node_index(graph_def)``, shared by a caller that
    asks of many roots (a loader's signatures), so each call costs what it reaches."""
    from .freeze_graph_def import graph_def_closure, node_index

    library = {f.signature.name: f for f in graph_def.library.function}
    if roots is None:
        nodes = list(graph_def.node)
    else:
        index = node_index(graph_def) if index is None else index
        nodes = [index[name] for name in graph_def_closure(graph_def, roots, index=index)]
    done, todo, out = set(), [f for n in nodes for f in _called(n, library)], list(nodes)
    while todo:
        fname = todo.pop()
        if fname in done or fname not in library:
            continue
        done.add(fname)
        for n in library[fname].node_def:
            out.append(n)
            todo.extend(_called(n, library))
    return out


def missing_ops(graph_def, roots=None, index=None) -> list[str]:
    """The op types minitf lacks among the nodes ``roots`` reach (every node when None), the
    bodies of the functions they call included: what stops the model from loading. Ops the
    loaders handle themselves (variables and their reads, which are frozen; calls and
    functional control flow, which are inlined; variable updates, whose signatures are left
    out) are not counted. ``index``: see _reached_nodes."""
    from minitf.opdef import lookup

    from .freeze import FROZEN_FORMS, is_variable_writer
    from .functional_ops import LOWERINGS
    from .functions import CALL_OPS

    handled = VARIABLE_OPS | set(FROZEN_FORMS) | CALL_OPS | set(LOWERINGS)
    library = {f.signature.name for f in graph_def.library.function}
    ops = {n.op for n in _reached_nodes(graph_def, roots, index)}
    return sorted(op for op in ops if op not in library and op not in handled and
                  not is_variable_writer(op) and lookup(op) is None)


def unsupported_dtypes(graph_def, roots=None, index=None) -> list[str]:
    """The DataTypes minitf cannot hold (``DT_BFLOAT16``, the float8 types...) in the attrs
    and constants of the nodes ``roots`` reach, function bodies included: they stop the
    model from loading as a missing op does. ``index``: see _reached_nodes."""
    enums = set()
    for n in _reached_nodes(graph_def, roots, index):
        for value in n.attr.values():
            kind = value.WhichOneof("value")
            if kind == "type":
                enums.add(value.type)
            elif kind == "list":
                enums.update(value.list.type)
            elif kind == "tensor":
                enums.add(value.tensor.dtype)
    out = set()
    for enum in enums:
        try:
            _dt.as_dtype(int(enum))
        except TypeError:
            if enum:  # DT_INVALID: an unset attr, not a dtype
                out.add(types_pb2.DataType.Name(enum) if enum in types_pb2.DataType.values()
                        else str(enum))
    return sorted(out)
