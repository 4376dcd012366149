"""SavedModel directories (the subset a frozen graph needs) and frozen GraphDef files.

``<base>/<model>/<version>/saved_model.pb`` holds one MetaGraphDef tagged "serve" with the
frozen GraphDef and its signatures (``serving_default``, method
``tensorflow/serving/predict``), plus an empty ``variables/`` directory, as TensorFlow expects
for a graph without variables. Versions are written to a temporary directory and renamed into
place, so a polling server never sees half a model. Loading a SavedModel (TF's too, with
variables) is in saved_model_load.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile
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
from .freeze import (MAIN_OP_KEY, PREDICT_METHOD, VARIABLE_OPS,
                     FrozenGraph, freeze_signatures)
from .graph_def import graph_from_graph_def, graph_versions, node_def_of, tensor_by_name
from .tensors import (little_endian, make_ndarray, make_tensor_proto, shape_to_proto,
                      uses_content)

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
    """``defaults``: SignatureDef.defaults, the value of an input a request may leave out
    (TF2 writes one for a tf.function argument with a default; TF Serving feeds it)."""

    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]
    method_name: str = PREDICT_METHOD
    defaults: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Model:
    """A loaded model: its graph and signatures by name; ``init_ops`` (names) run once before
    serving (they fill its lookup tables), fed ``assets`` (tensor name -> file path);
    ``unserved``: the SignatureDefs of its file that are not served (TF2's
    ``__saved_model_init_op``, a signature that changes variables), which model metadata
    lists as TF Serving's does (it lists the file's whole map); ``left_out``: why each
    signature of the file that could not be served was left out, by key."""

    graph: Graph
    signatures: dict[str, Signature]
    path: str = ""
    init_ops: tuple = ()
    assets: dict = field(default_factory=dict)
    unserved: dict = field(default_factory=dict)
    left_out: dict = field(default_factory=dict)

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
    """Writes MetaGraphDefs ``[(frozen graph, {name: Signature}, tags[, strip])]`` as a
    SavedModel at ``export_dir`` (which must not exist, or be an empty directory); returns the
    model file. ``strip`` (True when left out) leaves attrs at their default out of the
    GraphDef, as minitf's export always does: TensorFlow's importer and minitf's fill them back
    in, and a reader older than an op's newer attrs still reads the file. TF1's
    SavedModelBuilder passes its ``strip_default_attrs`` (False by default, as TF's)."""
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
        inputs = {a: _info(t) for a, t in ins[name].items()}
        sigs[name] = Signature(inputs, {a: _info(t) for a, t in outs[name].items()},
                               sig.get("method_name", PREDICT_METHOD),
                               checked_defaults(sig.get("defaults") or {}, inputs,
                                                f"signature '{name}'"))
    return graph, sigs


def checked_defaults(defaults, inputs: dict, what: str) -> dict:
    """``defaults`` (alias -> TensorProto, array or value) as read-only arrays, each checked
    against its input (``inputs``: alias -> TensorInfo): a default for no input, or of another
    dtype or an incompatible shape, would fail every request that leaves the input out, so it
    is refused up front. A Python value takes its input's dtype (as TF's make_tensor_proto
    with a dtype); an array keeps its own."""
    out = {}
    for alias, value in defaults.items():
        where = f"{what} default for input '{alias}'"
        info = inputs.get(alias)
        if info is None:
            raise InvalidArgumentError(None, None, f"{where}: the signature has no such input "
                                       f"(inputs: {', '.join(sorted(inputs)) or 'none'})")
        if hasattr(value, "tensor_shape"):  # a TensorProto
            arr = make_ndarray(value, where)
        elif isinstance(value, (np.ndarray, np.generic)):
            arr = np.asarray(value)
        else:
            arr = np.asarray(value, dtype=object if info.dtype is _dt.string else
                             info.dtype.as_numpy_dtype)
        dtype = _dt.from_numpy(arr)
        if dtype is _dt.string and arr.dtype != object:  # (numpy's str/bytes: as served)
            arr = make_ndarray(make_tensor_proto(arr), where)
        if dtype != info.dtype:
            raise InvalidArgumentError(None, None, f"{where} is {dtype.name}, but the input is "
                                       f"{info.dtype.name}")
        if not info.shape.is_compatible_with(TensorShape(arr.shape)):
            raise InvalidArgumentError(None, None, f"{where} has shape {list(arr.shape)}, "
                                       f"which the input's shape {info.shape} does not allow")
        if arr.flags.writeable:  # fed to every request that leaves it out: never changed
            arr = arr.copy()
            arr.flags.writeable = False
        out[alias] = arr
    return out


def _tensor_info_proto(info: TensorInfo, proto):
    proto.name = info.name
    proto.dtype = info.dtype.as_datatype_enum
    shape_to_proto(info.shape, proto.tensor_shape)


def _meta_graph_parts(sigs, tags, graph=None, stripped=False):
    meta = meta_graph_pb2.MetaGraphDef()
    meta.meta_info_def.tags.extend(tags)
    meta.meta_info_def.stripped_default_attrs = stripped  # as TF records it
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
        for alias, value in checked_defaults(sig.defaults, sig.inputs,
                                             f"signature '{name}'").items():
            sd.defaults[alias].CopyFrom(make_tensor_proto(value))
    head = meta_graph_pb2.MetaGraphDef()
    head.meta_info_def.CopyFrom(meta.meta_info_def)
    meta.ClearField("meta_info_def")
    return head.SerializeToString(deterministic=True), meta.SerializeToString(deterministic=True)


def graph_def_chunks(graph: Graph, strip_default_attrs: bool = True) -> wire.Chunks:
    """The serialized GraphDef of ``graph``, with large Const values streamed from numpy;
    attrs at their default left out unless ``strip_default_attrs`` is False."""
    strip = strip_default_attrs
    out = wire.Chunks()
    for op in graph.get_operations():
        value = op._attrs.get("value") if op.type == "Const" else None
        # Streamed only where TF's encoding is tensor_content (not bool, not strings).
        if value is not None and value.nbytes >= wire.LARGE and \
                value.dtype != object and uses_content(_dt.from_numpy(value), value.size):
            # Without the weight's bytes: serialising them here only to drop them would copy
            # every large tensor twice (tobytes, then into the proto).
            node = node_def_of(op, skip_tensor_content=lambda *_: True,
                               strip_default_attrs=strip)
            del node.attr["value"]
            small = make_tensor_proto(value, with_content=False).SerializeToString()
            content = memoryview(little_endian(value)).cast("B")
            out.field(wire.GRAPH_NODE, wire.const_node_chunks(
                node.SerializeToString(deterministic=True), small, content))
        else:
            out.field(wire.GRAPH_NODE, wire.Chunks(
                [node_def_of(op, strip_default_attrs=strip).SerializeToString(
                    deterministic=True)]))
    tail = graph_pb2.GraphDef()
    tail.versions.CopyFrom(graph_versions(graph))  # as as_graph_def: imported ones merged
    return out.add(tail.SerializeToString(deterministic=True))


def _saved_model_chunks(metas) -> wire.Chunks:
    sm = saved_model_pb2.SavedModel()
    sm.saved_model_schema_version = 1
    out = wire.Chunks([sm.SerializeToString()])
    for graph, sigs, tags, *strip in metas:
        strip = strip[0] if strip else True
        head, rest = _meta_graph_parts(sigs, tags, graph, strip)
        meta = wire.Chunks([head]).field(wire.META_GRAPH_GRAPH_DEF,
                                         graph_def_chunks(graph, strip))
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
    from .saved_model_load import load_saved_model

    return load_saved_model(path, tags)
