"""TF1 meta graph files (``.meta``, a MetaGraphDef): a graph with its collections, so a training
script's graph can be rebuilt elsewhere with ``tf.train.import_meta_graph`` and its variables
restored from a checkpoint. ``Saver.save`` writes one beside each checkpoint, as TF1 does.

Collections are written as TF1 writes them: variables as VariableDef protos (the names of their
storage, initializer, snapshot and initial value), tensors and ops by name (``node_list``),
numbers and strings as value lists. Entries of any other kind (Python objects) are left out,
as TF1 leaves them out with a warning.
"""

from __future__ import annotations

import logging
import os

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from minitf.errors import DataLossError, InvalidArgumentError
from minitf.graph import GraphKeys, Operation, Tensor, get_default_graph
from minitf.protos import meta_graph_pb2, queue_runner_pb2, variable_pb2
from minitf.variables import Variable

from .graph_def import graph_to_graph_def, import_graph_def, parse_text_proto

log = logging.getLogger("minitf.export")

# The collections whose Variables are written as VariableDefs (TF1 registers the same ones);
# another collection's Variables are written by name, and read back as their tensors, as TF1.
VARIABLE_COLLECTIONS = (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES,
                        GraphKeys.LOCAL_VARIABLES, GraphKeys.MODEL_VARIABLES,
                        GraphKeys.MOVING_AVERAGE_VARIABLES, GraphKeys.METRIC_VARIABLES,
                        GraphKeys.CONCATENATED_VARIABLES, GraphKeys.GLOBAL_STEP)


def meta_graph_of(graph, collection_list=None) -> meta_graph_pb2.MetaGraphDef:
    """``graph`` (its GraphDef and collections) as a MetaGraphDef."""
    meta = meta_graph_pb2.MetaGraphDef()
    meta.meta_info_def.meta_graph_version = "minitf"
    meta.graph_def.CopyFrom(graph_to_graph_def(graph))
    keys = graph.get_all_collection_keys() if collection_list is None else collection_list
    for key in sorted(keys):
        values = graph.get_collection(key)
        if not values:
            continue
        if key == GraphKeys.SAVERS:  # minitf's Saver has no graph ops a SaverDef could name
            continue
        col = meta_graph_pb2.CollectionDef()
        if key == GraphKeys.QUEUE_RUNNERS and all(hasattr(v, "to_proto") for v in values):
            col.bytes_list.value.extend(v.to_proto().SerializeToString() for v in values)
        elif key in VARIABLE_COLLECTIONS and all(isinstance(v, Variable) for v in values):
            col.bytes_list.value.extend(_variable_def(v).SerializeToString() for v in values)
        elif all(isinstance(v, (Tensor, Operation, Variable)) for v in values):
            col.node_list.value.extend(v.name for v in values)
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


def _variable_def(v: Variable) -> variable_pb2.VariableDef:
    return variable_pb2.VariableDef(
        variable_name=v.name, initial_value_name=v.initial_value.name,
        initializer_name=v.initializer.name, snapshot_name=v._snapshot.name,
        trainable=v.trainable)


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None,
                      collection_list=None, as_text=False, graph=None, export_scope=None,
                      clear_devices=False, clear_extraneous_savers=False,
                      strip_default_attrs=False, save_debug_info=False, **kwargs):
    """``tf.train.export_meta_graph``: the default graph (or ``graph``) as a MetaGraphDef,
    written to ``filename`` (binary, or text with ``as_text``) when given."""
    if export_scope is not None or graph_def is not None:
        raise NotImplementedError("export_meta_graph: export_scope and graph_def are not "
                                  "supported")
    meta = meta_graph_of(graph or get_default_graph(), collection_list)
    if meta_info_def is not None:
        meta.meta_info_def.MergeFrom(meta_info_def)
    if saver_def is not None:
        meta.saver_def.CopyFrom(saver_def)
    if filename:
        data = text_format.MessageToString(meta).encode() if as_text else \
            meta.SerializeToString()
        tmp = f"{filename}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, filename)  # a reader never sees half a file
    return meta


def read_meta_graph(meta_graph_or_file) -> meta_graph_pb2.MetaGraphDef:
    if isinstance(meta_graph_or_file, meta_graph_pb2.MetaGraphDef):
        return meta_graph_or_file
    path = os.fspath(meta_graph_or_file)
    if not os.path.exists(path):
        raise OSError(f"File {path} does not exist.")  # TF1's error and text
    with open(path, "rb") as f:
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
    graph = get_default_graph()
    import_graph_def(meta.graph_def, input_map=input_map, name=import_scope or "",
                     source=str(meta_graph_or_file)
                     if not isinstance(meta_graph_or_file, meta_graph_pb2.MetaGraphDef)
                     else "MetaGraphDef")
    prefix = f"{import_scope}/" if import_scope else ""
    variables: dict[str, Variable] = {}
    for key in sorted(meta.collection_def):
        col = meta.collection_def[key]
        kind = col.WhichOneof("kind")
        if kind == "node_list":
            values = [graph.as_graph_element(prefix + name) for name in col.node_list.value]
        elif kind == "bytes_list" and key in VARIABLE_COLLECTIONS:
            values = []
            for raw in col.bytes_list.value:
                vd = variable_pb2.VariableDef.FromString(raw)
                if vd.is_resource:
                    raise InvalidArgumentError(None, None, f"{key}: resource variable "
                                               f"{vd.variable_name} is not supported")
                name = prefix + vd.variable_name
                if name not in variables:
                    variables[name] = _variable_from_def(graph, vd, prefix)
                values.append(variables[name])
        elif kind == "bytes_list" and key == GraphKeys.QUEUE_RUNNERS:  # QueueRunnerDefs
            from minitf.train import QueueRunner

            values = [QueueRunner(queue_runner_def=queue_runner_pb2.QueueRunnerDef.FromString(
                raw), import_scope=import_scope) for raw in col.bytes_list.value]
        elif kind == "bytes_list":
            values = list(col.bytes_list.value)
        elif kind == "int64_list":
            values = list(col.int64_list.value)
        elif kind == "float_list":
            values = list(col.float_list.value)
        else:
            continue
        for v in values:
            graph.add_to_collection(key, v)
    # Checkpoint keys are the names the variables had when saved, without import_scope.
    saved = {v.op.name[len(prefix):]: v for v in graph.get_collection(
        GraphKeys.GLOBAL_VARIABLES) if v in variables.values()}
    return Saver(saved) if saved else None


def _variable_from_def(graph, vd, prefix: str) -> Variable:
    variable = graph.get_tensor_by_name(prefix + vd.variable_name)
    initializer = graph.get_operation_by_name(prefix + vd.initializer_name)
    snapshot = graph.get_tensor_by_name(prefix + vd.snapshot_name)
    initial_value = graph.get_tensor_by_name(prefix + vd.initial_value_name) \
        if vd.initial_value_name else initializer.inputs[1]
    return Variable._from_graph(variable, initializer, snapshot, initial_value, vd.trainable)
