"""TF1 meta graph files (``.meta``, a MetaGraphDef): a graph with its collections, so a training
script's graph can be rebuilt elsewhere with ``tf.train.import_meta_graph`` and its variables
restored from a checkpoint. ``Saver.save`` writes one beside each checkpoint, as TF1 does.

Collections are written as TF1 writes them: variables as VariableDef protos (the names of their
storage, initializer, snapshot and initial value), tensors and ops by name (``node_list``),
numbers and strings as value lists. Entries of any other kind (Python objects) are left out,
as TF1 leaves them out with a warning. TF1's control-flow collections (``while_context``,
``cond_context``) are written from minitf's record of its loops, so TensorFlow can take new
gradients through the loops of an imported graph.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from minitf.errors import DataLossError, InvalidArgumentError
from minitf.graph import GraphKeys, Operation, Tensor, constant_value, get_default_graph
from minitf.partitioned_variables import SaveSliceInfo
from minitf.resource_variable import is_resource_storage
from minitf.protos import (control_flow_pb2, graph_pb2, meta_graph_pb2, queue_runner_pb2,
                           variable_pb2)
from minitf.variables import Variable

from .graph_def import (graph_to_graph_def, import_graph_def, parse_text_proto,
                        strip_default_valued_attrs)
from .meta_graph_contexts import COND_CONTEXT, WHILE_CONTEXT, control_flow_contexts
from .meta_graph_scope import (UNBOUND_INPUTS_KEY, check_unbound_inputs, in_scope,
                               scoped_contexts, scoped_graph_def, strip_name_scope)

log = logging.getLogger("minitf.export")

# The collections whose Variables are written as VariableDefs (TF1 registers the same ones);
# another collection's Variables are written by name, and read back as their tensors, as TF1.
VARIABLE_COLLECTIONS = (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES,
                        GraphKeys.LOCAL_VARIABLES, GraphKeys.MODEL_VARIABLES,
                        GraphKeys.MOVING_AVERAGE_VARIABLES, GraphKeys.METRIC_VARIABLES,
                        GraphKeys.CONCATENATED_VARIABLES, GraphKeys.GLOBAL_STEP)
# What the Saver that wrote the file saves, under which checkpoint names (_record_saver).
SAVER_VAR_LIST_KEY = "minitf_saver_var_list"


def meta_graph_of(graph, collection_list=None, export_scope=None,
                  graph_def=None) -> meta_graph_pb2.MetaGraphDef:
    """``graph`` (its GraphDef, or ``graph_def`` when given, and its collections) as a
    MetaGraphDef; with ``export_scope``, only what is inside that scope, the scope stripped
    (meta_graph_scope.py)."""
    meta = meta_graph_pb2.MetaGraphDef()
    meta.meta_info_def.meta_graph_version = "minitf"
    graph_def = graph_to_graph_def(graph) if graph_def is None else graph_def
    unbound: dict = {}
    if export_scope:
        graph_def, names = scoped_graph_def(graph_def, export_scope)
        if names:
            unbound[UNBOUND_INPUTS_KEY] = names
    meta.graph_def.CopyFrom(graph_def)
    contexts = control_flow_contexts(graph)
    if export_scope:
        contexts = scoped_contexts(contexts, export_scope)
    contexts.update(unbound)
    keys = graph.get_all_collection_keys() if collection_list is None else collection_list
    if collection_list is None:
        keys = [*keys, *contexts]
    for key in sorted(set(keys)):
        values = graph.get_collection(key) + contexts.get(key, [])
        if export_scope and key not in contexts:  # TF1's _should_include_node
            values = [v for v in values if not hasattr(v, "name") or
                      in_scope(v.name, export_scope)]
        if not values:
            continue
        if key == GraphKeys.SAVERS:  # minitf's Saver has no graph ops a SaverDef could name
            continue
        if key == GraphKeys.SAVEABLE_OBJECTS:
            _record_tables(meta, values)
            continue
        col = meta_graph_pb2.CollectionDef()
        if key == GraphKeys.QUEUE_RUNNERS and all(hasattr(v, "to_proto") for v in values):
            protos = [v.to_proto(export_scope=export_scope) for v in values]
            col.bytes_list.value.extend(p.SerializeToString() for p in protos if p is not None)
        elif key in VARIABLE_COLLECTIONS and all(isinstance(v, Variable) for v in values):
            col.bytes_list.value.extend(_variable_def(v, export_scope).SerializeToString()
                                        for v in values)
        elif all(isinstance(v, (Tensor, Operation, Variable)) for v in values):
            col.node_list.value.extend(strip_name_scope(v.name, export_scope) for v in values)
        elif all(isinstance(v, float) for v in values):
            col.float_list.value.extend(values)
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            col.int64_list.value.extend(values)
        elif all(isinstance(v, (str, bytes)) for v in values):
            col.bytes_list.value.extend(v.encode() if isinstance(v, str) else v for v in values)
        else:
            log.warning("Collection %r holds values of types a meta graph cannot record (%s): "
                        "left out", key, sorted({type(v).__name__ for v in values}))
            continue
        meta.collection_def[key].CopyFrom(col)
    return meta


def _record_tables(meta, saveables):
    """The tables a Saver saves with their checkpoint names, in a collection of minitf's
    (TF reads it as plain bytes). Not as TF records them (their ops by name in
    ``saveable_objects``): without a SaverDef, TF's import_meta_graph would build a Saver of
    that collection and fail on the ops."""
    from .table_restore import TABLE_NAMES_KEY, encode_names

    tables = {o.table_handle.op.name: tuple(n for n, _ in o.specs) for o in saveables
              if getattr(o, "table_handle", None) is not None}
    if len(tables) < len(saveables):
        log.warning("Collection %r holds saveables other than lookup tables: left out",
                    GraphKeys.SAVEABLE_OBJECTS)
    if tables:
        meta.collection_def[TABLE_NAMES_KEY].bytes_list.value.extend(encode_names(tables))


def _table_saveables(graph, meta, prefix: str) -> list:
    """Saveables for the imported graph's mutable tables whose checkpoint names are known:
    from TF's restore ops, or the names minitf's Saver recorded."""
    from minitf.lookup_mutable import table_saveable

    from .table_restore import TABLE_NAMES_KEY, decode_names, names_in_graph

    names = {prefix + t: n for t, n in decode_names(
        meta.collection_def[TABLE_NAMES_KEY].bytes_list.value).items()} \
        if TABLE_NAMES_KEY in meta.collection_def else {}
    names.update({t: n for t, n in names_in_graph(graph).items() if t.startswith(prefix)})
    out = []
    for table, (keys, values) in sorted(names.items()):
        try:
            op = graph.get_operation_by_name(table)
        except (KeyError, ValueError):
            continue
        name = keys[:-len("-keys")] if keys.endswith("-keys") else keys
        out.append(table_saveable(op.outputs[0], op._get_attr("key_dtype"),
                                  op._get_attr("value_dtype"), name, (keys, values)))
    return out


def _record_saver(meta, var_list: dict, export_scope=None):
    """What the Saver writing the file saves, under which checkpoint names, in a collection of
    minitf's (TF imports it as plain bytes): a SaverDef would name restore ops, which minitf's
    .npz Saver does not build, and without a record import_meta_graph could only guess (all
    global variables, by their own names). Bytes: JSON {"restore_op": the file's SaverDef's
    restore op ("" for none: a record beside another Saver's SaverDef is stale), "saved":
    [[checkpoint name, saved as a slice, base64 VariableDef, or null for a table's tensor]]}."""
    saved = []
    for name, parts in var_list.items():
        if not parts:
            saved.append([name, False, None])
        for v, info in parts:
            if export_scope and not in_scope(v.name, export_scope):
                continue  # not in the scoped graph: nothing to restore it into
            vd = _variable_def(v, export_scope).SerializeToString()
            saved.append([name, info is not None, base64.b64encode(vd).decode()])
    record = {"restore_op": meta.saver_def.restore_op_name if meta.HasField("saver_def")
              else "", "saved": saved}
    meta.collection_def[SAVER_VAR_LIST_KEY].CopyFrom(meta_graph_pb2.CollectionDef(
        bytes_list=meta_graph_pb2.CollectionDef.BytesList(value=[json.dumps(record).encode()])))


def _recorded_saver(meta) -> list | None:
    """The record ``_record_saver`` wrote, [(checkpoint name, sliced, VariableDef or None)],
    or None when there is none for the file's SaverDef (TF wrote the file, or re-saved it
    with a Saver of its own)."""
    col = meta.collection_def.get(SAVER_VAR_LIST_KEY)
    if col is None or len(col.bytes_list.value) != 1:
        return None
    try:
        record = json.loads(col.bytes_list.value[0])
        restore_op = meta.saver_def.restore_op_name if meta.HasField("saver_def") else ""
        if record["restore_op"] != restore_op:
            return None
        return [(name, bool(sliced), None if vd is None else
                 variable_pb2.VariableDef.FromString(base64.b64decode(vd)))
                for name, sliced, vd in record["saved"]]
    except (ValueError, KeyError, TypeError, DecodeError) as e:
        raise InvalidArgumentError(None, None, f"MetaGraphDef collection {SAVER_VAR_LIST_KEY}: "
                                   f"not a record of minitf's Saver ({e})") from None


def _variable_def(v: Variable, export_scope=None) -> variable_pb2.VariableDef:
    """TF1's ``Variable.to_proto(export_scope)``: the names of its ops, the scope stripped."""
    def s(name):
        return strip_name_scope(name, export_scope)

    vd = variable_pb2.VariableDef(
        variable_name=s(v.name), initial_value_name=s(v.initial_value.name),
        initializer_name=s(v.initializer.name), snapshot_name=s(v._snapshot.name),
        trainable=v.trainable)
    info = v._save_slice_info
    if info is not None:  # as TF1 writes a part of a partitioned variable
        vd.save_slice_info_def.CopyFrom(variable_pb2.SaveSliceInfoDef(
            full_name=s(info.full_name), full_shape=info.full_shape, var_offset=info.var_offset,
            var_shape=info.var_shape))
    return vd


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None,
                      collection_list=None, as_text=False, graph=None, export_scope=None,
                      clear_devices=False, clear_extraneous_savers=False,
                      strip_default_attrs=False, save_debug_info=False, saver_var_list=None,
                      **kwargs):
    """``tf.train.export_meta_graph``: the default graph (or ``graph``) as a MetaGraphDef,
    written to ``filename`` (binary, or text with ``as_text``) when given. ``graph_def``
    replaces the graph's GraphDef (its collections are still the graph's); ``export_scope``
    keeps only that name scope, stripped, as TF1's ``export_scoped_meta_graph``.
    ``strip_default_attrs`` leaves attrs at their default out of the GraphDef, as TF's.
    ``saver_var_list`` (minitf's, from the Saver writing the file): what that Saver saves,
    {checkpoint name: [(Variable, SaveSliceInfo or None)], or [] for a table's tensor}."""
    if graph_def is not None and not isinstance(graph_def, graph_pb2.GraphDef):
        raise TypeError("graph_def must be of type GraphDef. "
                        f"Received type: {type(graph_def)}.")
    if export_scope is not None and not isinstance(export_scope, str):
        raise TypeError(f"export_scope must be a string, got {type(export_scope).__name__}")
    meta = meta_graph_of(graph or get_default_graph(), collection_list, export_scope,
                         graph_def)
    if clear_devices:
        _clear_devices(meta.graph_def)
    if meta_info_def is not None:
        meta.meta_info_def.MergeFrom(meta_info_def)
    if strip_default_attrs:  # TF1's: the GraphDef is written whole otherwise
        strip_default_valued_attrs(meta.graph_def)
        meta.meta_info_def.stripped_default_attrs = True
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    if saver_var_list is not None:
        _record_saver(meta, saver_var_list, export_scope)
    if filename:
        data = text_format.MessageToString(meta).encode() if as_text else \
            meta.SerializeToString()
        tmp = f"{filename}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, filename)  # a reader never sees half a file
    return meta


def _clear_devices(graph_def):
    """``clear_devices``: every node's device field emptied, as TF1 does (colocation kept)."""
    for node in graph_def.node:
        node.device = ""


def read_meta_graph(meta_graph_or_file) -> meta_graph_pb2.MetaGraphDef:
    if isinstance(meta_graph_or_file, meta_graph_pb2.MetaGraphDef):
        return meta_graph_or_file
    path = os.fspath(meta_graph_or_file)
    if not os.path.exists(path):
        raise OSError(f"File {path} does not exist.")  # TF1's error and text
    from minitf.gfile import open_file  # (a directory: TF's FailedPreconditionError)

    with open_file(path, "rb") as f:
        data = f.read()
    meta = meta_graph_pb2.MetaGraphDef()
    try:
        meta.ParseFromString(data)
        if not meta.HasField("graph_def"):
            raise DecodeError("no graph_def")
    except DecodeError:
        try:  # TF1 also reads the text form
            meta = parse_text_proto(data, meta_graph_pb2.MetaGraphDef(), path, "MetaGraphDef")
        except DataLossError as e:
            raise InvalidArgumentError(None, None, f"{path}: not a MetaGraphDef (binary or "
                                       f"text): {e.message}") from None
    return meta


def import_meta_graph(meta_graph_or_file, clear_devices=False, import_scope=None,
                      input_map=None, **kwargs):
    """``tf.train.import_meta_graph``: adds the file's graph to the default graph (under
    ``import_scope``), restores its collections (variables as Variable objects) and returns a
    Saver for its global variables (None if it has none)."""
    from minitf.train import Saver

    meta = read_meta_graph(meta_graph_or_file)
    check_unbound_inputs(meta, input_map)  # TF1's: a scoped export's outside inputs
    graph = get_default_graph()
    graph_def = meta.graph_def
    if clear_devices:
        graph_def = graph_pb2.GraphDef.FromString(graph_def.SerializeToString())
        _clear_devices(graph_def)
    # The scope the import opens: "s_1/" when "s" is taken (TF's scope_to_prepend_to_names).
    prefix = "" if not import_scope else import_scope if import_scope.endswith("/") else \
        graph.unique_name(import_scope, mark_as_used=False) + "/"
    # Without import_scope, a node whose name the graph already has is renamed ("w" -> "w_1"),
    # its inputs with it. The collections, as TF's, hold what the file's names resolve to; the
    # Saver, as TF's (which runs the imported restore ops), the variables the import made.
    col = meta.collection_def.get(GraphKeys.GLOBAL_VARIABLES)
    gvars = [variable_pb2.VariableDef.FromString(raw) for raw in col.bytes_list.value] \
        if col is not None and col.WhichOneof("kind") == "bytes_list" else []
    names = {n for vd in gvars for n in (vd.variable_name, vd.initializer_name,
                                         vd.snapshot_name, vd.initial_value_name)}
    if meta.HasField("saver_def"):
        names.update(getattr(meta.saver_def, f) for f in _SAVER_DEF_FIELDS)
    record = _recorded_saver(meta)
    names.update(n for _, _, vd in record or () if vd is not None for n in (
        vd.variable_name, vd.initializer_name, vd.snapshot_name, vd.initial_value_name))
    wanted = sorted({n.split(":")[0] for n in names} & {n.name for n in graph_def.node})
    created = dict(zip(wanted, import_graph_def(
        graph_def, input_map=input_map, name=import_scope or "", return_elements=wanted,
        source=str(meta_graph_or_file)
        if not isinstance(meta_graph_or_file, meta_graph_pb2.MetaGraphDef)
        else "MetaGraphDef")))

    def imported(name: str):  # a tensor or op name of the file -> the one the import made
        node, _, index = name.partition(":")
        if node not in created:  # not a node of the file: what the name is in the graph
            return graph.as_graph_element(prefix + name)
        return created[node].outputs[int(index)] if index else created[node]

    graph._loops_without_back_prop.update(_no_back_prop_exits(meta, prefix))
    variables: dict[str, Variable] = {}
    from .table_restore import TABLE_NAMES_KEY

    for key in sorted(meta.collection_def):
        if key in (GraphKeys.SAVEABLE_OBJECTS, TABLE_NAMES_KEY, UNBOUND_INPUTS_KEY,
                   SAVER_VAR_LIST_KEY):
            # the tables' saveables, made below; TF1 never restores unbound_inputs; the saver
            # record is the file's Saver's (kept, a later export would write it for another)
            continue
        col = meta.collection_def[key]
        kind = col.WhichOneof("kind")
        if kind == "node_list":
            values = [graph.as_graph_element(prefix + name) for name in col.node_list.value]
        elif kind == "bytes_list" and key in VARIABLE_COLLECTIONS:
            values = []
            for raw in col.bytes_list.value:
                vd = variable_pb2.VariableDef.FromString(raw)
                name = prefix + vd.variable_name
                if name not in variables:
                    variables[name] = _variable_from_def(
                        lambda n: graph.as_graph_element(prefix + n), vd)
                values.append(variables[name])
        elif kind == "bytes_list" and key == GraphKeys.QUEUE_RUNNERS:  # QueueRunnerDefs
            from minitf.train import QueueRunner

            values = [QueueRunner(queue_runner_def=queue_runner_pb2.QueueRunnerDef.FromString(
                raw), import_scope=import_scope) for raw in col.bytes_list.value]
        elif kind == "bytes_list" and key in _PROTO_COLLECTIONS:
            values = list(col.bytes_list.value)
        elif kind == "bytes_list":  # names, as TF1 reads them: under the import's scope
            values = [_prepend_scope(raw, prefix) for raw in col.bytes_list.value]
        elif kind == "int64_list":
            values = list(col.int64_list.value)
        elif kind == "float_list":
            values = list(col.float_list.value)
        else:
            continue
        for v in values:
            graph.add_to_collection(key, v)
    # Checkpoint keys are the names the variables had when saved, without import_scope; the
    # parts of a partitioned variable go together under its name, as TF saves them.
    saved: dict = {}
    collected = {v.op: v for v in variables.values()}

    def variable_of(vd):  # the import's Variable for vd
        op = imported(vd.variable_name).op
        v = collected.get(op)
        if v is None:  # renamed by the import: the collections hold another variable
            v = collected[op] = _variable_from_def(imported, vd)
        return v

    for vd in gvars:
        v = variable_of(vd)
        info = v._save_slice_info
        if info is None:
            saved[vd.variable_name.split(":")[0]] = v
        else:
            saved.setdefault(info.full_name, []).append(v)
    tables = _table_saveables(graph, meta, prefix)
    for t in tables:
        graph.add_to_collection(GraphKeys.SAVEABLE_OBJECTS, t)
    own = None  # the checkpoint names the file's Saver saves, when known
    if record is not None:  # minitf's Saver wrote the file: exactly its variables and names
        parts: dict = {}
        for name, sliced, vd in record:
            parts.setdefault(name, [])
            if vd is not None:
                parts[name].append((variable_of(vd), sliced))
        own = set(parts)
        # A slice list restores its part of the tensor; a variable alone, the whole tensor.
        saved = {name: [v for v, _ in got] if got[0][1] else got[0][0]
                 for name, got in parts.items() if got}
    elif meta.HasField("saver_def"):  # TF's Saver: what its ops save
        own = _saved_by(graph, created.get(meta.saver_def.restore_op_name))
        saved = {k: v for k, v in saved.items() if own is None or k in own}
    saved.update((t.name, t) for t in tables if own is None or t.specs[0][0] in own)
    if not saved:
        return None
    if not meta.HasField("saver_def"):
        return Saver(saved)
    # Save in the file's format (V2: TF's bundle), reusing its ops (as the import named
    # them), as TF's Saver does.
    saver_def = type(meta.saver_def)()
    saver_def.CopyFrom(meta.saver_def)
    for field in _SAVER_DEF_FIELDS:
        name = getattr(saver_def, field)
        if name:
            setattr(saver_def, field, imported(name).name if name.split(":")[0] in created
                    else prefix + name)
    return Saver(saved, write_version=meta.saver_def.version, saver_def=saver_def)


# The bytes collections TF1 reads as protos (from_proto), kept as they are: not names.
_PROTO_COLLECTIONS = (WHILE_CONTEXT, COND_CONTEXT, GraphKeys.SAVERS)


def _prepend_scope(raw: bytes, prefix: str):
    """TF1's ops.prepend_name_scope on a bytes collection value: ``x:0`` under ``net/`` is the
    str ``net/x:0`` (``^x`` -> ``^net/x``, ``loc:@x`` -> ``loc:@net/x``); without a scope the
    value stays bytes, as TF1 leaves it."""
    if not prefix:
        return raw
    try:
        text = raw.decode()
    except UnicodeDecodeError:  # not a name (TF1 fails the import here): kept as it is
        return raw
    return re.sub(r"([\^]|loc:@|^)(.*)", lambda m: m.group(1) + prefix + m.group(2), text)


def _no_back_prop_exits(meta, prefix: str) -> set:
    """The Exit tensors of the loops the file's ``while_context`` records with
    ``back_prop=False`` (nested ones too): tf.gradients stops at them, as TF1's does (the
    gradient recovers each imported loop from its frame, which does not say this)."""
    found: set = set()

    def walk(proto):
        if isinstance(proto, control_flow_pb2.WhileContextDef) and not proto.back_prop:
            found.update(prefix + name for name in proto.loop_exit_names)
        for nested in proto.nested_contexts:
            if nested.WhichOneof("ctxt"):
                walk(getattr(nested, nested.WhichOneof("ctxt")))

    if WHILE_CONTEXT in meta.collection_def:
        for raw in meta.collection_def[WHILE_CONTEXT].bytes_list.value:
            walk(control_flow_pb2.WhileContextDef.FromString(raw))
    return found


_SAVER_DEF_FIELDS = ("filename_tensor_name", "save_tensor_name", "restore_op_name")


def _saved_by(graph, restore_op) -> set | None:
    """The checkpoint names the SaveV2 ops of the imported ``restore_op``'s scope write (a
    Saver given a var_list saves only those), or None when the graph has none to read."""
    if restore_op is None:
        return None
    scope = restore_op.name.rpartition("/")[0] + "/"
    names = None
    for op in graph.get_operations():
        if op.type == "SaveV2" and op.name.startswith(scope):
            value = constant_value(op.inputs[1])
            if value is None:
                return None
            names = (names or set()) | {n.decode() for n in value.reshape(-1)}
    return names


def _variable_from_def(lookup, vd) -> Variable:
    """A Variable of the ops ``lookup`` finds for the names ``vd`` records."""
    variable = lookup(vd.variable_name)
    initializer = lookup(vd.initializer_name)
    snapshot = lookup(vd.snapshot_name)
    initial_value = lookup(vd.initial_value_name) if vd.initial_value_name \
        else initializer.inputs[1]
    v = Variable._from_graph(variable, initializer, snapshot, initial_value, vd.trainable)
    if vd.is_resource:
        # TF's resource variable, imported in minitf's resource form (resource_import.py):
        # its storage a VariableV2, each read a new Copy.
        if not is_resource_storage(variable):
            raise InvalidArgumentError(None, None, f"resource variable {vd.variable_name}: "
                                       f"'{variable.name}' is not a VarHandleOp's storage")
        v._resource = True
    if vd.HasField("save_slice_info_def"):  # a part of a partitioned variable
        info = vd.save_slice_info_def
        v._save_slice_info = SaveSliceInfo(info.full_name, info.full_shape, info.var_offset,
                                           info.var_shape)
    return v
