"""Freezing a GraphDef with checkpoint values (a TensorFlow SavedModel's variables): each
variable a Const, each variable read a plain op (TF's convert_variables_to_constants over a
GraphDef), and the GraphDef helpers the SavedModel loaders cut it with. (Split from freeze.py,
which re-exports these names.)"""

from __future__ import annotations

from minitf.errors import InvalidArgumentError

VARIABLE_OPS = frozenset({"VariableV2", "Variable", "VarHandleOp"})
# Ops that read a variable without changing it, and what they become once it is a Const (the
# renames TF's convert_variables_to_constants makes; ResourceGather also gains an axis input).
FROZEN_FORMS = {"ReadVariableOp": "Identity", "RefIdentity": "Identity", "RefSwitch": "Switch",
                "RefEnter": "Enter", "RefMerge": "Merge", "RefExit": "Exit",
                "RefNextIteration": "NextIteration", "ResourceGather": "GatherV2"}
# Ops that change a variable (or its state): a frozen graph cannot keep them.
_WRITER_PREFIXES = ("Assign", "Apply", "ResourceApply", "SparseApply", "ResourceSparseApply",
                    "Scatter", "ResourceScatter")
_PURE_SCATTERS = frozenset({"ScatterNd", "ScatterNdNonAliasingAdd"})


def is_variable_writer(op_type: str) -> bool:
    return op_type.startswith(_WRITER_PREFIXES) and op_type not in _PURE_SCATTERS or \
        op_type == "DestroyResourceOp"


def node_index(graph_def) -> dict:
    """{node name: NodeDef} of ``graph_def``: built once per GraphDef by a caller that asks
    many closures of it (one per signature), so a load costs nodes + signatures, not their
    product."""
    return {n.name: n for n in graph_def.node}


def graph_def_closure(graph_def, roots, stop=(), index=None) -> set:
    """The names of ``roots`` and every node they reach through data and control inputs (not
    going past the nodes in ``stop``). ``index``: ``node_index(graph_def)``, if at hand."""
    from .graph_def import _parse_input

    by_name = node_index(graph_def) if index is None else index
    keep, stack = set(), [r for r in roots if r in by_name]
    while stack:
        name = stack.pop()
        if name not in keep and name in by_name:  # (a missing input: the importer names it)
            keep.add(name)
            if name not in stop:
                stack.extend(_parse_input(i)[0] for i in by_name[name].input)
    return keep


def cuttable_inputs(graph_def, signature_defs, index=None) -> set:
    """The signature input nodes no signature computes through: for each signature, either
    one of its own inputs or not needed by its outputs (as freeze_signatures decides)."""
    from .graph_def import _parse_input

    index = node_index(graph_def) if index is None else index

    def names(infos):
        return {_parse_input(i.name)[0] for i in infos if i.WhichOneof("encoding") == "name"}

    sigs = [(names(sd.inputs.values()), names(sd.outputs.values()))
            for sd in signature_defs.values()]
    needed = [graph_def_closure(graph_def, outs, ins, index) for ins, outs in sigs]
    candidates = set().union(*(ins for ins, _ in sigs)) if sigs else set()
    return {x for x in candidates
            if all(x in ins or x not in need for (ins, _), need in zip(sigs, needed))}


def cut_at_inputs(graph_def, infos, contents=None, only=None, index=None):
    """``graph_def`` with each signature input (TensorInfo) that is not a placeholder made one,
    so nothing upstream of it is needed: TF Serving feeds every input. Only inputs that are a
    node's output 0 and whose node has no other output in use are cut (else the node stays);
    ``only(node name)`` may narrow which. Returns (GraphDef, contents), contents re-keyed."""
    from minitf.protos import graph_pb2, node_def_pb2

    from .graph_def import _parse_input

    index = node_index(graph_def) if index is None else index
    # (Nodes with an output other than 0 in use: found once, not per input.)
    multi = {name for n in graph_def.node for name, k in map(_parse_input, n.input) if k > 0}
    cut = {}
    for info in infos:
        name, k = _parse_input(info.name)
        node = index.get(name)
        if node is None or k != 0 or node.op in ("Placeholder", "PlaceholderWithDefault") or \
                name in multi or (only and not only(name)):
            continue
        ph = node_def_pb2.NodeDef(name=name, op="Placeholder")
        ph.attr["dtype"].type = info.dtype or (node.attr["T"].type if "T" in node.attr else
                                               node.attr["dtype"].type)
        if info.HasField("tensor_shape"):
            ph.attr["shape"].shape.CopyFrom(info.tensor_shape)
        cut[name] = ph
    if not cut:
        return graph_def, contents
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    new_contents = {}
    for i, node in enumerate(graph_def.node):
        out.node.append(cut.get(node.name, node))
        if contents and i in contents and node.name not in cut:
            new_contents[i] = contents[i]
    return out, new_contents


def freeze_graph_def(graph_def, values, keep, source: str, contents=None):
    """``graph_def`` cut to the node names in ``keep`` (in their order) with each variable a
    Const holding ``values[name]`` and each variable read made a plain op: TF's
    convert_variables_to_constants over values from a checkpoint instead of a session.

    ``contents`` maps node index to raw tensor bytes (the zero-copy loader's); the result's map
    is keyed by the new indices, and the variables' bytes are passed the same way. Returns
    (GraphDef, contents).
    """
    import numpy as np

    from minitf import dtypes as _dt
    from minitf.errors import NotFoundError, UnimplementedError
    from minitf.protos import graph_pb2

    from .tensors import dtype_from_enum, little_endian, make_tensor_proto, uses_content

    contents = contents or {}
    names = {n.name for n in graph_def.node}
    out, out_contents = graph_pb2.GraphDef(), {}
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    for i, node in enumerate(graph_def.node):
        if node.name not in keep:
            continue
        if node.op in VARIABLE_OPS:
            key = node.name
            if key not in values and "shared_name" in node.attr and node.attr["shared_name"].s:
                key = node.attr["shared_name"].s.decode()
            if key not in values:
                raise NotFoundError(None, None, f"{source}: variable {node.name} is not in the "
                                    "checkpoint")
            dtype = dtype_from_enum(node.attr["dtype"].type, f"{source}: variable {node.name}")
            value = np.asarray(values[key])
            if _dt.from_numpy(value) != dtype.base_dtype:
                raise InvalidArgumentError(None, None, f"{source}: variable {node.name} is "
                                           f"{dtype.base_dtype.name}, but the checkpoint holds "
                                           f"{_dt.from_numpy(value).name}")
            dims = node.attr["shape"].shape if "shape" in node.attr else None
            if dims is not None and not dims.unknown_rank and all(
                    d.size >= 0 for d in dims.dim) and \
                    [d.size for d in dims.dim] != list(value.shape):
                raise InvalidArgumentError(None, None, f"{source}: variable {node.name} has "
                                           f"shape {[d.size for d in dims.dim]}, but the "
                                           f"checkpoint's value has {list(value.shape)}")
            const = out.node.add(name=node.name, op="Const")
            const.attr["dtype"].type = dtype.base_dtype.as_datatype_enum
            big = uses_content(dtype.base_dtype, value.size) and value.nbytes >= 1024
            const.attr["value"].tensor.CopyFrom(make_tensor_proto(value, with_content=not big))
            if big:  # the loader takes the bytes as they are instead of copying them in
                out_contents[len(out.node) - 1] = memoryview(little_endian(value)).cast("B")
            continue
        if is_variable_writer(node.op):
            raise UnimplementedError(None, None, f"{source}: node {node.name} ({node.op}) "
                                     "changes a variable, but the graph is frozen for serving "
                                     "(it is needed by a signature tensor)")
        new = out.node.add()
        new.CopyFrom(node)
        if i in contents:
            out_contents[len(out.node) - 1] = contents[i]
        if node.op == "ResourceGather":
            _gather_of_resource_gather(new, out, names)
        elif node.op in FROZEN_FORMS:
            new.op = FROZEN_FORMS[node.op]
            if node.op == "ReadVariableOp":
                new.attr["T"].type = node.attr["dtype"].type
                del new.attr["dtype"]
    _retype_handles(out)
    drop_cut_colocation(out)
    return out, out_contents


def drop_cut_colocation(graph_def):
    """Leaves out the ``loc:@`` groups of nodes the cut left out (a variable's initializer
    colocated with it): TF's importer refuses a group naming a node the GraphDef lacks."""
    names = {n.name for n in graph_def.node}
    for node in graph_def.node:
        if "_class" not in node.attr or node.attr["_class"].WhichOneof("value") != "list":
            continue
        groups = node.attr["_class"].list.s
        kept = [g for g in groups if not g.startswith(b"loc:@") or
                g[5:].decode("utf-8", "replace") in names]
        if len(kept) != len(groups):
            del groups[:]
            groups.extend(kept)
            if not kept:
                del node.attr["_class"]


# Ops that pass a value through unchanged: one that carried a resource variable's handle (a
# read inside tf.cond or tf.while_loop goes through Switch or Enter) now carries its value.
# Their outputs, by the one type ``T``; IdentityN (what a lowered functional While/If/Case
# becomes, TF2's control flow v2) passes input k to output k, each typed by ``T``'s entry k.
_PASS_THROUGH = {"Identity": (0,), "Switch": (0, 1), "Merge": (0,), "Enter": (0,),
                 "Exit": (0,), "NextIteration": (0,)}


def _retype_handles(graph_def):
    """Sets the ``T`` of the pass-through nodes typed DT_RESOURCE (an IdentityN's entries
    too) to the dtype of the frozen variable they carry, as TF's converter does, until
    nothing changes (loops feed back): so every node after a frozen variable, through a
    lowered while loop's outputs too, is typed as the value it now carries."""
    from minitf.protos import types_pb2

    from .graph_def import _parse_input

    resource = types_pb2.DT_RESOURCE
    dtype_of = {(n.name, 0): n.attr["dtype"].type for n in graph_def.node if n.op == "Const"}

    def known(ref):
        name, k = _parse_input(ref)
        return dtype_of.get((name, k))

    single = [n for n in graph_def.node if n.op in _PASS_THROUGH and "T" in n.attr
              and n.attr["T"].type == resource]
    lists = [n for n in graph_def.node if n.op == "IdentityN" and "T" in n.attr
             and resource in n.attr["T"].list.type]
    changed = True
    while changed:
        changed = False
        for n in single:
            if n.attr["T"].type != resource:
                continue
            found = next((t for t in map(known, (i for i in n.input if not i.startswith("^")))
                          if t not in (None, resource)), None)
            if found is not None:
                n.attr["T"].type = found
                if "_output_shapes" in n.attr:  # the handle's, as TF's converter drops them
                    del n.attr["_output_shapes"]
                dtype_of.update({(n.name, k): found for k in _PASS_THROUGH[n.op]})
                changed = True
        for n in lists:
            types = n.attr["T"].list.type
            data = [i for i in n.input if not i.startswith("^")]
            for k, t in enumerate(types):
                found = known(data[k]) if t == resource and k < len(data) else None
                if found not in (None, resource):
                    types[k] = dtype_of[(n.name, k)] = found
                    changed = True
                    if "_output_shapes" in n.attr:  # (as for the single ones)
                        del n.attr["_output_shapes"]


def _gather_of_resource_gather(node, graph_def, names):
    """ResourceGather(variable, indices) -> GatherV2(value, indices, axis=batch_dims)."""
    from minitf.protos import types_pb2

    batch_dims = node.attr["batch_dims"].i if "batch_dims" in node.attr else 0
    axis = f"{node.name}/axis"
    while axis in names:
        axis += "_"
    names.add(axis)
    const = graph_def.node.add(name=axis, op="Const")
    const.attr["dtype"].type = types_pb2.DT_INT32
    t = const.attr["value"].tensor
    t.dtype = types_pb2.DT_INT32
    t.int_val.append(batch_dims)  # TF gathers from axis batch_dims
    t.tensor_shape.SetInParent()
    dtype = node.attr["dtype"].type
    tindices = node.attr["Tindices"].type
    node.op = "GatherV2"
    node.input.insert(2, axis)
    node.attr.clear()
    node.attr["Tparams"].type = dtype
    node.attr["Tindices"].type = tindices
    node.attr["Taxis"].type = types_pb2.DT_INT32
    node.attr["batch_dims"].i = batch_dims


# What assignments read through on their way to the variable (and from RestoreV2 or an asset).
_PASS = frozenset({"Identity", "IdentityN"})


def _source(by_name, ref):
    """(node name, output index) the input ``ref`` comes from, through Identity/IdentityN."""
    from .graph_def import _parse_input

    name, k = _parse_input(ref)
    while name in by_name and by_name[name].op in _PASS:
        node = by_name[name]
        name, k = _parse_input(node.input[k if node.op == "IdentityN" else 0])
    return name, k


def restore_keys(graph_def, restore_op: str) -> dict:
    """{variable node name: (checkpoint key, SliceSpec or None)} as the restore op of a
    SaverDef assigns them: TF2 names a variable's value in the checkpoint by its place in the
    object graph (``layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE``), not by the
    node's name, and a partitioned variable's parts each restore a slice of one key (RestoreV2's
    ``shape_and_slices``). Function calls on the way (TF2's restore function) are inlined
    first. Assignments whose value is not a RestoreV2 output of a constant name are left out."""
    import numpy as np

    from .functions import inline_functions
    from .graph_def import _parse_input
    from .tensors import make_ndarray

    restore_op = _parse_input(restore_op)[0]
    by_name = node_index(graph_def)
    if restore_op not in by_name:
        return {}
    graph_def = inline_functions(graph_def, "restore op", only=graph_def_closure(
        graph_def, [restore_op], index=by_name))
    by_name = node_index(graph_def)

    def source(ref):
        name, k = _source(by_name, ref)
        return by_name.get(name), k

    keys = {}
    for name in graph_def_closure(graph_def, [restore_op], index=by_name):
        node = by_name[name]
        if node.op not in ("AssignVariableOp", "Assign") or len(node.input) < 2:
            continue
        var, _ = source(node.input[0])
        value, k = source(node.input[1])
        if var is None or var.op not in VARIABLE_OPS or value is None or \
                value.op != "RestoreV2":
            continue
        names_node, _ = source(value.input[1])
        if names_node is None or names_node.op != "Const":
            continue
        tensor_names = np.asarray(make_ndarray(names_node.attr["value"].tensor))
        if tensor_names.ndim == 1 and k < tensor_names.size:
            key = tensor_names[k]
            keys[var.name] = (key.decode() if isinstance(key, bytes) else str(key),
                              _slice_of(source(value.input[2])[0], k))
    return keys


def _slice_of(specs_node, k):
    """The SliceSpec RestoreV2's ``shape_and_slices`` (a Const) gives its output ``k``; None
    for the whole tensor."""
    import numpy as np

    from minitf.train.tensor_bundle_slices import parse_shape_and_slice

    from .tensors import make_ndarray

    if specs_node is None or specs_node.op != "Const":
        return None
    specs = np.asarray(make_ndarray(specs_node.attr["value"].tensor))
    return parse_shape_and_slice(specs[k]) if specs.ndim == 1 and k < specs.size else None


def asset_assignments(graph_def, asset_tensors: dict, roots, index=None) -> dict:
    """{assign node name: (variable node name, file path)} of the assignments reached from
    ``roots`` (the init op) that set a variable to an asset's path: how TF2 holds a vocabulary
    file's path (a string variable its init op assigns from the asset placeholder, not in the
    checkpoint). ``asset_tensors`` maps the asset placeholders' tensor names to their files."""
    from .graph_def import _parse_input

    by_name = node_index(graph_def) if index is None else index
    paths = {_parse_input(t): p for t, p in asset_tensors.items()}
    out = {}
    for name in graph_def_closure(graph_def, roots, index=by_name):
        node = by_name[name]
        if node.op not in ("AssignVariableOp", "Assign") or len(node.input) < 2:
            continue
        var, _ = _source(by_name, node.input[0])
        value = _source(by_name, node.input[1])
        if value in paths and var in by_name and by_name[var].op in VARIABLE_OPS:
            out[name] = (var, paths[value])
    return out


def as_no_ops(graph_def, names):
    """Turns the nodes ``names`` of ``graph_def`` into input-less NoOps, in place (their
    places and names kept, so node indices and ``^name`` inputs still hold)."""
    for node in graph_def.node:
        if node.name in names:
            name, device = node.name, node.device
            node.Clear()
            node.name, node.op, node.device = name, "NoOp", device
