"""Where a mutable lookup table's contents are in a checkpoint, and filling it from there.

A checkpoint holds a MutableHashTable / DenseHashTable as two tensors (``<name>-keys``,
``<name>-values``). Which two, only the saver knows: TensorFlow's Saver records it in its
restore subgraph, ``LookupTableImportV2(table, RestoreV2:i, RestoreV2:j)`` whose RestoreV2
``tensor_names`` give the names; minitf's Saver (no graph ops) in the MetaGraphDef collection
``TABLE_NAMES_KEY`` (bytes: JSON ``{"table", "keys", "values"}``, which TF imports as plain
bytes and ignores). A model served without them would answer with empty tables, silently, so
a table whose contents cannot be found is an error.
"""

from __future__ import annotations

import json

from minitf.errors import NotFoundError

from .freeze import TABLE_OPS
from .graph_def import _parse_input

MUTABLE_TABLE_OPS = TABLE_OPS - {"HashTableV2"}
TABLE_NAMES_KEY = "minitf_table_checkpoint_names"


def _names_from_restores(nodes) -> dict:
    """{table node: (keys name, values name)} from ``nodes``: {name: (type, [(source node,
    output index)], const value getter)}; follows Identity between RestoreV2 and the import."""
    out = {}
    for node_type, inputs, _ in nodes.values():
        if node_type != "LookupTableImportV2" or len(inputs) < 3:
            continue
        names = []
        for src, idx in inputs[1:3]:
            while src in nodes and nodes[src][0] == "Identity":
                src, idx = nodes[src][1][0]
            if src not in nodes or nodes[src][0] != "RestoreV2":
                break
            const = nodes.get(nodes[src][1][1][0])
            if const is None or const[0] != "Const":
                break
            value = const[2]().reshape(-1)
            names.append(value[idx].decode() if idx < value.size else None)
        if len(names) == 2 and None not in names:
            out[inputs[0][0]] = tuple(names)
    return out


def names_in_graph_def(graph_def, restore_op: str = "") -> dict:
    """{table node: (keys, values)} that a TF Saver's restore ops in ``graph_def`` read. TF2's
    restore op is a function call: the calls ``restore_op`` reaches are inlined first."""
    from .freeze import graph_def_closure
    from .functions import inline_functions
    from .tensors import make_ndarray

    restore_op = _parse_input(restore_op)[0] if restore_op else ""
    if restore_op:
        graph_def = inline_functions(graph_def, "restore op",
                                     only=graph_def_closure(graph_def, [restore_op]))

    def getter(node):
        return lambda: make_ndarray(node.attr["value"].tensor, f"node {node.name}")
    nodes = {n.name: (n.op, [_parse_input(i) for i in n.input if not i.startswith("^")],
                      getter(n)) for n in graph_def.node}
    return _names_from_restores(nodes)


def names_in_graph(graph) -> dict:
    """{table op name: (keys, values)} that a TF Saver's restore ops in ``graph`` read."""
    import numpy as np

    def getter(op):
        return lambda: np.asarray(op._attrs["value"])
    nodes = {op.name: (op.type, [(t.op.name, t.value_index) for t in op.inputs], getter(op))
             for op in graph.get_operations()}
    return _names_from_restores(nodes)


def names_of_saveables(graph) -> dict:
    """{table op name: (keys, values)} of the tables in the graph's SAVEABLE_OBJECTS."""
    from minitf.graph import GraphKeys

    out = {}
    for obj in graph.get_collection(GraphKeys.SAVEABLE_OBJECTS):
        handle = getattr(obj, "table_handle", None)
        if handle is not None:
            out[handle.op.name] = tuple(n for n, _ in obj.specs)
    return out


def encode_names(names: dict) -> list[bytes]:
    return [json.dumps({"table": t, "keys": k, "values": v}, sort_keys=True).encode()
            for t, (k, v) in sorted(names.items())]


def decode_names(raw_values) -> dict:
    out = {}
    for raw in raw_values:
        try:
            d = json.loads(bytes(raw).decode())
            out[d["table"]] = (d["keys"], d["values"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            continue  # not ours: a collection of that name written by someone else
    return out


def missing_error(table, op_type, source, why) -> NotFoundError:
    return NotFoundError(None, None, f"{source}: mutable lookup table '{table}' ({op_type}) is "
                         f"needed, but {why}; minitf will not use it empty")


def read_entries(arrays, table, op_type, names, source) -> tuple:
    """(keys, values) of ``table`` from a checkpoint's ``arrays`` mapping."""
    out = []
    for name in names:
        if name not in arrays:
            raise missing_error(table, op_type, source,
                                f"its entry {name} is not in the checkpoint")
        out.append(arrays[name])
    return tuple(out)


def fill_from_checkpoint(sess, graph, tables, arrays, source):
    """Fills the session's mutable ``tables`` (ops) from a checkpoint's ``arrays`` mapping,
    their names from the graph's SAVEABLE_OBJECTS or TF's restore ops in it."""
    tables = [op for op in tables if op.type in MUTABLE_TABLE_OPS]
    if not tables:
        return
    names = {**names_in_graph(graph), **names_of_saveables(graph)}
    for op in tables:
        if op.name not in names:
            raise missing_error(op.name, op.type, source, "no saver in the graph saves it "
                                "(not in GraphKeys.SAVEABLE_OBJECTS, no restore op), so its "
                                "contents cannot be found in the checkpoint")
        keys, values = read_entries(arrays, op.name, op.type, names[op.name], source)
        sess.run(op.outputs[0]).import_values(keys, values)


def add_checkpoint_fills(graph_def, meta, init_ops, read_checkpoint, source) -> list[str]:
    """Adds to ``graph_def`` (a frozen SavedModel graph) Consts holding each mutable table's
    checkpoint entries and a LookupTableImportV2 filling the table from them, as TF's restore
    does at load; returns their names (the main op's fills of that table run after them).
    ``read_checkpoint()`` gives the checkpoint's arrays by name."""
    from .tensors import make_tensor_proto

    tables = [n for n in graph_def.node if n.op in MUTABLE_TABLE_OPS]
    if not tables:
        return []
    names = names_in_graph_def(meta.graph_def, meta.saver_def.restore_op_name)
    by_name = {n.name: n for n in graph_def.node}
    filled = {_parse_input(by_name[i].input[0])[0] for i in init_ops if i in by_name}
    frozen_by_minitf = meta.meta_info_def.tensorflow_git_version == "minitf"
    taken = set(by_name)
    fills, arrays = [], None
    for table in tables:
        if table.name not in names:
            if table.name in filled or frozen_by_minitf:
                continue  # its contents are in the graph (minitf froze them)
            raise missing_error(table.name, table.op, source, "the model's saver has no "
                                "restore op for it, so its contents cannot be found")
        if arrays is None:
            arrays = read_checkpoint()
        values = read_entries(arrays, table.name, table.op, names[table.name], source)
        inputs, dtypes = [table.name], []
        for value, what in zip(values, ("keys", "values")):
            name = _unique(f"{table.name}/checkpoint_{what}", taken)
            const = graph_def.node.add(name=name, op="Const")
            proto = make_tensor_proto(value)
            const.attr["dtype"].type = proto.dtype
            const.attr["value"].tensor.CopyFrom(proto)
            # As RestoreV2's outputs, of unknown shape: a dense table's keys are a matrix
            # ([buckets, 1]), which the import's shape function rejects when it sees it.
            hidden = graph_def.node.add(name=_unique(f"{name}/unknown_shape", taken),
                                        op="PlaceholderWithDefault", input=[name])
            hidden.attr["dtype"].type = proto.dtype
            hidden.attr["shape"].shape.unknown_rank = True
            inputs.append(hidden.name)
            dtypes.append(proto.dtype)
        fill = graph_def.node.add(name=_unique(f"{table.name}/checkpoint_restore", taken),
                                  op="LookupTableImportV2", input=inputs)
        fill.attr["Tin"].type, fill.attr["Tout"].type = dtypes
        fills.append(fill.name)
        for name in init_ops:  # TF restores, then runs the main op
            node = by_name.get(name)
            if node is not None and _parse_input(node.input[0])[0] == table.name:
                node.input.append("^" + fill.name)
    return fills


def _unique(name, taken) -> str:
    base, k = name, 0
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name
