"""SavedModel directories (the subset a frozen graph needs) and frozen GraphDef files.

``<base>/<model>/<version>/saved_model.pb`` holds one MetaGraphDef tagged "serve" with the
frozen GraphDef and its signatures (``serving_default``, method
``tensorflow/serving/predict``), plus an empty ``variables/`` directory, as TensorFlow expects
for a graph without variables. Versions are written to a temporary directory and renamed into
place, so a polling server never sees half a model.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from google.protobuf import text_format
from google.protobuf.message import DecodeError

from minitf import dtypes as _dt
from minitf.errors import (AlreadyExistsError, DataLossError, InvalidArgumentError,
                           NotFoundError, UnimplementedError)
from minitf.graph import Graph, Tensor
from minitf.protos import graph_pb2, meta_graph_pb2, saved_model_pb2
from minitf.tensor_shape import TensorShape

from . import wire
from . import graph_def as graph_def_mod
from .freeze import (MAIN_OP_KEY, PREDICT_METHOD, TABLE_INIT_OPS, TABLE_OPS, VARIABLE_OPS,
                     FrozenGraph, cut_at_inputs, cuttable_inputs, freeze_graph_def,
                     freeze_signatures, graph_def_closure, is_variable_writer)
from .freeze_graph_def import as_no_ops, asset_assignments, restore_keys
from .functions import inline_functions
from .graph_def import (GRAPH_DEF_PRODUCER, graph_from_graph_def, node_def_of, tensor_by_name)
from .table_restore import add_checkpoint_fills
from .tensors import (dtype_from_enum, little_endian, make_tensor_proto, shape_from_proto,
                      shape_to_proto, uses_content)

log = logging.getLogger("minitf.export")

SAVED_MODEL_FILENAME = "saved_model.pb"
SAVED_MODEL_TEXT_FILENAME = "saved_model.pbtxt"
SERVE_TAG = "serve"
DEFAULT_SIGNATURE = "serving_default"


@dataclass(frozen=True)
class TensorInfo:
    """One signature entry: the graph tensor an alias names, with its dtype and shape."""

    name: str
    dtype: _dt.DType
    shape: TensorShape


@dataclass(frozen=True)
class Signature:
    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]
    method_name: str = PREDICT_METHOD


@dataclass
class Model:
    """A loaded model: its graph and signatures by name; ``init_ops`` (names) run once before
    serving (they fill its lookup tables), fed ``assets`` (tensor name -> file path)."""

    graph: Graph
    signatures: dict[str, Signature]
    path: str = ""
    init_ops: tuple = ()
    assets: dict = field(default_factory=dict)

    def tensor(self, name: str) -> Tensor:
        return tensor_by_name(self.graph, name, self.path or "model")


def _info(t: Tensor) -> TensorInfo:
    return TensorInfo(t.name, t.dtype, t.shape)


def signature_of(frozen: FrozenGraph) -> Signature:
    return Signature({a: _info(t) for a, t in frozen.inputs.items()},
                     {a: _info(t) for a, t in frozen.outputs.items()}, frozen.method_name)


# -- writing ------------------------------------------------------------------------------------
def save_model(export_dir, model, signatures=None, *, inputs=None, outputs=None,
               tags=(SERVE_TAG,)) -> str:
    """Writes a SavedModel to ``export_dir`` (e.g. ``models/mnist/1``) atomically.

    ``model`` is a FrozenGraph, or a Session to freeze with ``inputs``/``outputs`` (alias ->
    tensor) or with ``signatures`` = {name: {"inputs": {...}, "outputs": {...}}}. A Session's
    signatures are frozen together into one graph.
    """
    graph, sigs = _frozen_and_signatures(model, signatures, inputs, outputs)
    export_dir = os.fspath(export_dir)
    if os.path.exists(export_dir):
        raise AlreadyExistsError(None, None, f"Export directory already exists: {export_dir}")
    write_saved_model(export_dir, [(graph, sigs, tags)])
    return export_dir


def write_saved_model(export_dir: str, metas, as_text: bool = False) -> str:
    """Writes MetaGraphDefs ``[(frozen graph, {name: Signature}, tags)]`` as a SavedModel at
    ``export_dir`` (which must not exist, or be an empty directory); returns the model file."""
    parent = os.path.dirname(os.path.abspath(export_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".tmp-{os.path.basename(export_dir)}-")
    name = SAVED_MODEL_TEXT_FILENAME if as_text else SAVED_MODEL_FILENAME
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; servers often run as another user
        os.makedirs(os.path.join(tmp, "variables"))
        with open(os.path.join(tmp, name), "wb") as f:
            chunks = _saved_model_chunks(metas)
            if as_text:
                sm = saved_model_pb2.SavedModel.FromString(b"".join(chunks.parts))
                f.write(text_format.MessageToString(sm).encode())
            else:
                chunks.write_to(f)
            f.flush()
            os.fsync(f.fileno())
        # Atomic: readers see all of the version or none of it (rename may replace an empty
        # directory, as TF's builder leaves one).
        os.rename(tmp, export_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return os.path.join(export_dir, name)


def _frozen_and_signatures(model, signatures, inputs, outputs):
    if isinstance(model, FrozenGraph):
        sigs = {DEFAULT_SIGNATURE: signature_of(model)}
        for name, extra in model.extra_signatures.items():
            sigs[name] = extra
        return model.graph, sigs
    if not hasattr(model, "run") or not hasattr(model, "graph"):
        raise TypeError(f"save_model needs a FrozenGraph or a Session, got {type(model)}")
    if signatures is None:
        if inputs is None or outputs is None:
            raise InvalidArgumentError(None, None, "save_model(session) needs inputs= and "
                                       "outputs= (alias -> tensor) or signatures=")
        signatures = {DEFAULT_SIGNATURE: {"inputs": inputs, "outputs": outputs}}
    graph, ins, outs = freeze_signatures(model, {
        name: (sig["inputs"], sig["outputs"]) for name, sig in signatures.items()})
    sigs = {}
    for name, sig in signatures.items():
        sigs[name] = Signature({a: _info(t) for a, t in ins[name].items()},
                               {a: _info(t) for a, t in outs[name].items()},
                               sig.get("method_name", PREDICT_METHOD))
    return graph, sigs


def _tensor_info_proto(info: TensorInfo, proto):
    proto.name = info.name
    proto.dtype = info.dtype.as_datatype_enum
    shape_to_proto(info.shape, proto.tensor_shape)


def _meta_graph_parts(sigs, tags, graph=None):
    meta = meta_graph_pb2.MetaGraphDef()
    meta.meta_info_def.tags.extend(tags)
    main_ops = graph.get_collection(MAIN_OP_KEY) if graph is not None else []
    if main_ops:  # what a loader runs first (the frozen tables' contents), as TF records it
        meta.collection_def[MAIN_OP_KEY].node_list.value.extend(op.name for op in main_ops)
    # tensorflow_version is parsed as a version number by TF; say who wrote it in the git field.
    meta.meta_info_def.tensorflow_git_version = "minitf"
    for name, sig in sigs.items():
        sd = meta.signature_def[name]
        sd.method_name = sig.method_name
        for alias, info in sig.inputs.items():
            _tensor_info_proto(info, sd.inputs[alias])
        for alias, info in sig.outputs.items():
            _tensor_info_proto(info, sd.outputs[alias])
    head = meta_graph_pb2.MetaGraphDef()
    head.meta_info_def.CopyFrom(meta.meta_info_def)
    meta.ClearField("meta_info_def")
    return head.SerializeToString(deterministic=True), meta.SerializeToString(deterministic=True)


def graph_def_chunks(graph: Graph) -> wire.Chunks:
    """The serialized GraphDef of ``graph``, with large Const values streamed from numpy."""
    out = wire.Chunks()
    for op in graph.get_operations():
        value = op._attrs.get("value") if op.type == "Const" else None
        # Streamed only where TF's encoding is tensor_content (not bool, not strings).
        if value is not None and value.nbytes >= wire.LARGE and \
                value.dtype != object and uses_content(_dt.from_numpy(value), value.size):
            # Without the weight's bytes: serialising them here only to drop them would copy
            # every large tensor twice (tobytes, then into the proto).
            node = node_def_of(op, skip_tensor_content=lambda *_: True)
            del node.attr["value"]
            small = make_tensor_proto(value, with_content=False).SerializeToString()
            content = memoryview(little_endian(value)).cast("B")
            out.field(wire.GRAPH_NODE, wire.const_node_chunks(
                node.SerializeToString(deterministic=True), small, content))
        else:
            out.field(wire.GRAPH_NODE, wire.Chunks(
                [node_def_of(op).SerializeToString(deterministic=True)]))
    tail = graph_pb2.GraphDef()
    tail.versions.producer = GRAPH_DEF_PRODUCER
    return out.add(tail.SerializeToString(deterministic=True))


def _saved_model_chunks(metas) -> wire.Chunks:
    sm = saved_model_pb2.SavedModel()
    sm.saved_model_schema_version = 1
    out = wire.Chunks([sm.SerializeToString()])
    for graph, sigs, tags in metas:
        head, rest = _meta_graph_parts(sigs, tags, graph)
        meta = wire.Chunks([head]).field(wire.META_GRAPH_GRAPH_DEF, graph_def_chunks(graph))
        out.field(wire.SAVED_MODEL_META_GRAPHS, meta.add(rest))
    return out


def write_graph_def(path, graph_or_frozen) -> str:
    """Writes a frozen GraphDef file (``.pb``) atomically."""
    graph = graph_or_frozen.graph if isinstance(graph_or_frozen, FrozenGraph) else \
        graph_or_frozen
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-graph-")
    try:
        with os.fdopen(fd, "wb") as f:
            graph_def_chunks(graph).write_to(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


# -- reading ------------------------------------------------------------------------------------
def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise NotFoundError(None, None, f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidArgumentError(None, None, f"{path} is a directory, not a file") from None


def load_saved_model(path, tags=(SERVE_TAG,)) -> Model:
    """Loads a SavedModel directory (or its saved_model.pb). A graph with variables (as
    TensorFlow's SavedModelBuilder writes it) is frozen with the values of its checkpoint,
    keeping only what the signatures need; its mutable lookup tables are filled from the
    checkpoint by init ops (refused when their entries cannot be found)."""
    path = os.fspath(path)
    file, sm, contents = read_saved_model(path)
    mi = meta_graph_index(sm, tags, file)
    meta = sm.meta_graphs[mi]
    gd = meta.graph_def
    if not len(gd.node):
        raise InvalidArgumentError(None, None, f"{file}: the MetaGraphDef has an empty graph")
    node_contents = {k[1]: v for k, v in contents.items() if k[0] == mi}
    signatures = {k: sd for k, sd in meta.signature_def.items() if k != INIT_OP_SIGNATURE}
    # What the signatures need, as TF Serving runs it: every input is fed, so an input that is
    # an intermediate tensor becomes a placeholder and nothing upstream of it is loaded.
    cuttable = cuttable_inputs(gd, signatures)  # (not another signature's step)
    gd, node_contents = cut_at_inputs(
        gd, [ti for sd in signatures.values() for ti in sd.inputs.values()
             if ti.WhichOneof("encoding") == "name"], node_contents, only=cuttable.__contains__)
    roots = {k: _roots(sd) for k, sd in signatures.items()}
    # TF2's graphs call functions: the calls the signatures and the init op reach are inlined
    # (the original nodes keep their indices, so node_contents still holds).
    original, init_roots = gd, init_op_roots(meta)
    gd = inline_functions(gd, file, only=graph_def_closure(
        gd, [r for rs in roots.values() for r in rs] + init_roots))
    # A signature that changes a variable (a counter, a training step) cannot run frozen: it
    # is left out, unless it is all there is (then freezing names the op).
    writers = {n.name for n in gd.node if is_variable_writer(n.op)}
    stateful = sorted(k for k, rs in roots.items() if graph_def_closure(gd, rs) & writers)
    if stateful and len(stateful) < len(signatures):
        log.warning("%s: left out signature(s) %s: they change variables, which a model "
                    "frozen for serving cannot do", file, ", ".join(stateful))
        signatures = {k: sd for k, sd in signatures.items() if k not in stateful}
    keep = graph_def_closure(gd, [r for k in signatures for r in roots[k]])
    init_ops = table_initializers(meta, gd, keep)
    keep |= graph_def_closure(gd, init_ops)
    # A vocabulary file's path in a variable the init op assigns (TF2's way) becomes a Const
    # holding the path, and the assignment a NoOp.
    assigns = {a: v for a, v in asset_assignments(
        gd, asset_paths(meta, path, {n.name for n in gd.node}), init_roots).items() if a in keep}
    assigned = {var: np.array(file_path.encode(), dtype=object)
                for var, file_path in assigns.values()}
    as_no_ops(gd, assigns)
    needs_values = any(n.op in VARIABLE_OPS and n.name in keep and n.name not in assigned
                       for n in gd.node)
    # TF's unfrozen SavedModel: frozen now, with its checkpoint's values (found under the
    # names the Saver's restore op gives them: TF2's are object paths, not node names).
    values = _checkpoint_values(path, file, gd, restore_keys(
        original, meta.saver_def.restore_op_name)) if needs_values else {}
    gd, node_contents = freeze_graph_def(gd, ChainMap(assigned, values), keep, file,
                                         node_contents)
    # TF's loader restores its mutable tables from the checkpoint before the main op runs.
    init_ops = add_checkpoint_fills(gd, meta, init_ops,
                                    lambda: _checkpoint_values(path, file, gd), file) + init_ops
    graph = graph_from_graph_def(gd, file, node_contents)
    sigs = {}
    for name, sd in signatures.items():
        sigs[name] = Signature(
            {a: _read_info(graph, ti, file, f"signature '{name}' input '{a}'")
             for a, ti in sd.inputs.items()},
            {a: _read_info(graph, ti, file, f"signature '{name}' output '{a}'")
             for a, ti in sd.outputs.items()},
            sd.method_name)
    if not sigs:
        raise InvalidArgumentError(None, None, f"{file}: the model has no signatures")
    return Model(graph, sigs, path, tuple(init_ops),
                 asset_paths(meta, path, {op.name for op in graph.get_operations()}))


def _roots(signature_def) -> list[str]:
    """The nodes of a SignatureDef's (dense) inputs and outputs."""
    return [graph_def_mod._parse_input(ti.name)[0]
            for ti in (*signature_def.inputs.values(), *signature_def.outputs.values())
            if ti.WhichOneof("encoding") == "name"]


# TF's collections naming the op its loader runs after restoring (TF1's legacy one too).
_INIT_OP_KEYS = (MAIN_OP_KEY, "legacy_init_op")
# TF2's writers name it in a signature of this key instead (no inputs, the op as its output):
# the loader's init op, not a signature to serve.
INIT_OP_SIGNATURE = "__saved_model_init_op"


def init_op_roots(meta) -> list[str]:
    """The node names of a MetaGraphDef's init op: its main op or legacy init op (TF1's
    collections), or TF2's ``__saved_model_init_op`` signature."""
    roots = [name.split(":")[0].lstrip("^") for key in _INIT_OP_KEYS
             if key in meta.collection_def
             for name in meta.collection_def[key].node_list.value]
    if INIT_OP_SIGNATURE in meta.signature_def:
        roots += [ti.name.split(":")[0] for ti in
                  meta.signature_def[INIT_OP_SIGNATURE].outputs.values()]
    return roots


def table_initializers(meta, gd, keep) -> list[str]:
    """The table initializers of a MetaGraphDef's main op (or legacy init op) that fill a
    table ``keep`` holds. Only those run at load: the rest of a main op (local variables'
    initialisers, for one) has nothing to do in a frozen graph."""
    roots = init_op_roots(meta)
    if not roots:
        return []
    from .graph_def import _parse_input

    reached = graph_def_closure(gd, roots)
    # (An insert into a mutable table: how freezing restores what a session put in it.)
    fills = TABLE_INIT_OPS | {"LookupTableInsertV2"}
    return [n.name for n in gd.node if n.name in reached and n.op in fills and
            _parse_input(n.input[0])[0] in keep]


def asset_paths(meta, path, node_names) -> dict:
    """{tensor name: file under <model>/assets} of the MetaGraphDef's asset files whose nodes
    are in ``node_names`` (TF feeds them when it runs the main op)."""
    base = path if os.path.isdir(path) else os.path.dirname(path)
    assets = list(meta.asset_file_def)  # TF 2's writers; TF 1's builder uses a collection:
    if "saved_model_assets" in meta.collection_def:
        for packed in meta.collection_def["saved_model_assets"].any_list.value:
            asset = meta_graph_pb2.AssetFileDef()
            asset.ParseFromString(packed.value)
            assets.append(asset)
    out = {}
    for asset in assets:
        name = asset.tensor_info.name
        if graph_def_mod._parse_input(name)[0] in node_names:
            out[name] = os.path.join(base, "assets", asset.filename)
    return out


def saved_model_file(directory: str) -> str | None:
    """The SavedModel file of a directory: binary saved_model.pb, else the text
    saved_model.pbtxt (TF's loaders and TF Serving accept either), else None."""
    for name in (SAVED_MODEL_FILENAME, SAVED_MODEL_TEXT_FILENAME):
        file = os.path.join(directory, name)
        if os.path.isfile(file):
            return file
    return None


def read_saved_model(path: str, zero_copy: bool = True):
    """(file, SavedModel proto, contents) of a SavedModel directory or file: binary
    saved_model.pb, else the text saved_model.pbtxt. With ``zero_copy``, large tensor contents
    are left out of the proto and given in ``contents`` ({(meta, node): bytes})."""
    file = path
    if os.path.isdir(path):
        file = saved_model_file(path)
        if file is None:
            raise NotFoundError(None, None, f"{path}: no {SAVED_MODEL_FILENAME} (or "
                                f"{SAVED_MODEL_TEXT_FILENAME}) in this directory")
    data = _read(file)
    sm, contents = saved_model_pb2.SavedModel(), {}
    if file.endswith(".pbtxt"):
        return file, graph_def_mod.parse_text_proto(data, sm, file, "SavedModel"), contents
    stripped = None
    if zero_copy:
        try:
            stripped = wire.split_saved_model(memoryview(data), contents)
        except DataLossError as e:
            raise DataLossError(None, None, f"{file}: not a valid SavedModel (truncated or "
                                f"corrupt): {e.message}") from None
    try:
        sm.ParseFromString(stripped if stripped is not None else data)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise DataLossError(None, None, f"{file}: not a valid SavedModel (truncated or corrupt): "
                            f"{e}") from None
    return file, sm, contents


def meta_graph_index(sm, tags, file) -> int:
    """The index of the MetaGraphDef whose tag set is exactly ``tags``."""
    wanted = set(tags)
    mi = next((i for i, m in enumerate(sm.meta_graphs)
               if set(m.meta_info_def.tags) == wanted), None)
    if mi is None:
        found = [sorted(m.meta_info_def.tags) for m in sm.meta_graphs]
        if not found:
            raise InvalidArgumentError(None, None, f"{file}: contains no MetaGraphDef; is this a "
                                       "SavedModel?")
        raise NotFoundError(None, None, f"{file}: no MetaGraphDef with tags {sorted(wanted)} "
                            f"(found {found})")
    return mi


def _checkpoint_values(path, file, gd, keys=None):
    """The variable values of a SavedModel, TensorFlow's checkpoint ``variables/variables``:
    a mapping that reads (and checks) a tensor when it is looked up, so freezing reads only the
    variables the signatures need (not, say, the optimizer's slots). ``keys`` maps variable
    node names to other checkpoint keys (see restore_keys)."""
    from minitf.train.saver import load_checkpoint_arrays

    directory = path if os.path.isdir(path) else os.path.dirname(file)
    prefix = os.path.join(directory, "variables", "variables")
    if not os.path.exists(prefix + ".index"):
        names = [n.name for n in gd.node if n.op in VARIABLE_OPS]
        what = "variables"
        if not names:  # only mutable tables (whose contents a TF checkpoint holds)
            names, what = [n.name for n in gd.node if n.op in TABLE_OPS], "mutable tables"
        raise NotFoundError(None, None, f"{file}: the graph has {what} "
                            f"({', '.join(names[:3])}{'...' if len(names) > 3 else ''}) but "
                            f"there is no checkpoint {prefix}.index holding their values")
    values = load_checkpoint_arrays(prefix)
    return _Renamed(values, keys) if keys else values


class _Renamed(Mapping):
    """A checkpoint's tensors, where a name in ``keys`` stands for the key it maps to."""

    def __init__(self, values: Mapping, keys: dict):
        self._values, self._keys = values, keys

    def __getitem__(self, name):
        return self._values[self._keys.get(name, name)]

    def __contains__(self, name):
        return self._keys.get(name, name) in self._values

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)


def _read_info(graph, ti, file, what) -> TensorInfo:
    if ti.WhichOneof("encoding") != "name":
        raise UnimplementedError(None, None, f"{file}: {what} is a sparse or composite tensor; "
                                 "only dense tensors are supported")
    t = tensor_by_name(graph, ti.name, f"{file}: {what}")
    dtype = dtype_from_enum(ti.dtype, f"{file}: {what}") if ti.dtype else t.dtype
    if dtype != t.dtype:
        raise InvalidArgumentError(None, None, f"{file}: {what} says {dtype.name}, but tensor "
                                   f"{t.name} is {t.dtype.name}")
    shape = shape_from_proto(ti.tensor_shape, f"{file}: {what}") if ti.HasField(
        "tensor_shape") else t.shape
    return TensorInfo(t.name, t.dtype, shape)


def load_graph_def_file(path) -> Graph:
    """A frozen GraphDef file (e.g. TF's convert_variables_to_constants output) as a Graph."""
    path = os.fspath(path)
    data = _read(path)
    contents: dict = {}
    try:
        stripped = wire.split_graph_def(memoryview(data), 0, len(data), contents)
    except DataLossError as e:
        raise DataLossError(None, None, f"{path}: not a valid GraphDef (truncated or corrupt): "
                            f"{e.message}") from None
    from .graph_def import parse_graph_def

    gd = parse_graph_def(stripped if stripped is not None else data, path)
    return graph_from_graph_def(gd, path, {k[0]: v for k, v in contents.items()})


def load_frozen_graph(path, inputs: dict, outputs: dict,
                      method_name: str = PREDICT_METHOD) -> Model:
    """A frozen GraphDef file with a signature given by tensor names (alias -> "x:0")."""
    source = os.fspath(path)
    graph = load_graph_def_file(path)
    for op in graph.get_operations():  # served like a SavedModel: it must be frozen too
        if op.type in VARIABLE_OPS:
            raise UnimplementedError(None, None, f"{source}: the graph has variables "
                                     f"({op.name}...); minitf serves frozen graphs - freeze it "
                                     "first (convert_variables_to_constants)")
    sig = Signature(
        {a: _info(tensor_by_name(graph, n, f"{source}: input '{a}'")) for a, n in inputs.items()},
        {a: _info(tensor_by_name(graph, n, f"{source}: output '{a}'"))
         for a, n in outputs.items()}, method_name)
    return Model(graph, {DEFAULT_SIGNATURE: sig}, source)


def load(path, tags=(SERVE_TAG,)) -> Model:
    """A SavedModel directory/file; for a bare GraphDef use load_frozen_graph."""
    return load_saved_model(path, tags)
