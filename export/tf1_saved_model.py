"""TF1's ``tf.saved_model`` API: SavedModelBuilder, simple_save, loader.load and the signature
helpers (export/tf1_signature_defs.py), over minitf's SavedModel writer and loader.

minitf writes frozen SavedModels: ``add_meta_graph_and_variables`` freezes the session's graph
for its signatures with the variables' values at that moment (when TF saves its checkpoint),
so ``variables/`` stays empty and TensorFlow and TF Serving load the result like any
SavedModel; the graph's collections (of what the frozen graph holds) and asset files are
written as TF writes them. ``loader.load`` reads TensorFlow's unfrozen SavedModels too: their
variables come back as constants holding the checkpoint's values (enough to run and serve them,
not to train them further), and their mutable lookup tables are filled from the checkpoint as
TF's restore fills them (export/table_restore.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import ChainMap

import numpy as np

from minitf.errors import NotFoundError
from minitf.graph import Tensor
from minitf.protos import meta_graph_pb2

from .freeze import (VARIABLE_OPS, cut_at_inputs, cuttable_inputs, freeze_graph_def,
                     freeze_signatures, graph_def_closure, initialised_locals)
from .freeze_graph_def import as_no_ops, asset_assignments, node_index, restore_keys
from .functions import inline_functions
from .meta_graph import import_meta_graph
from .saved_model import (Signature, TensorInfo, checked_defaults, read_saved_model,
                          write_saved_model)
from .saved_model_load import (_checkpoint_values, after_init_op, asset_paths,
                               frozen_meta_graph, init_op_roots, local_variables, runnable,
                               table_initializers, unsupported)
from .table_restore import add_checkpoint_fills
from .tf1_signature_defs import (_signature_def, _tensor_map,  # noqa: F401 (re-exported)
                                 build_signature_def, build_tensor_info,
                                 classification_signature_def, get_tensor_from_tensor_info,
                                 is_valid_signature, predict_signature_def,
                                 regression_signature_def)

from minitf.saved_model import (DEFAULT_SERVING_SIGNATURE_DEF_KEY, SAVED_MODEL_FILENAME_PB,
                                SAVED_MODEL_FILENAME_PBTXT, SERVING)


class SavedModelBuilder:
    """``tf.saved_model.Builder``: one or more MetaGraphDefs (each a tag set and signatures)
    over one set of variable values, written by ``save``."""

    def __init__(self, export_dir):
        self._export_dir = os.fspath(export_dir)
        if os.path.exists(self._export_dir) and (not os.path.isdir(self._export_dir) or
                                                 os.listdir(self._export_dir)):
            raise AssertionError(f"Export directory {self._export_dir} already exists, and "
                                 "isn't empty. Please choose a different export directory, or "
                                 "delete all the contents of the specified directory.")
        self._metas = []
        self._extras = []  # per MetaGraphDef: its collection_def and asset_file_def, serialized
        self._assets = {}  # file name under assets/ -> the file it is copied from
        self._session = None
        self._values = None  # the variables' values when add_meta_graph_and_variables ran
        self._saved = False

    def add_meta_graph_and_variables(self, sess, tags, signature_def_map=None,
                                     assets_collection=None, legacy_init_op=None,
                                     clear_devices=False, main_op=None, strip_default_attrs=False,
                                     saver=None, train_op=None, **_ignored):
        """Freezes ``sess``'s graph for the signatures with the variables' current values.
        ``main_op``/``legacy_init_op`` are not saved: a local variable they initialise is
        frozen at its initial value (what TF's loader gives it), and table initialisers are
        kept by freezing; ``saver`` and ``clear_devices`` do not change a
        frozen graph. With ``strip_default_attrs`` the GraphDef leaves attrs at their default
        out, as TF's (it writes them all by default). ``assets_collection`` (file path
        constants, as TF's) are copied into ``assets/`` and recorded, as TF does."""
        if self._session is not None:
            raise AssertionError("Graph state including variables and assets has already "
                                 "been saved. Please invoke `add_meta_graph()` instead.")
        # What TF's Saver would save: the global variables (local ones, uninitialised metrics
        # counters say, are not read). Copies: training may go on updating them in place.
        from minitf.graph import GraphKeys

        variables = sess.graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
        values = {v.op.name: np.array(x, copy=True) for v, x in zip(
            variables, sess.run([v.op.outputs[0] for v in variables]))}
        values.update(initialised_locals(sess, main_op if main_op is not None else
                                          legacy_init_op))
        self._session, self._values = sess, values
        try:
            self._add(tags, signature_def_map, assets_collection, strip_default_attrs)
        except BaseException:
            self._session = self._values = None  # nothing was saved: the call may be repeated
            raise

    def add_meta_graph(self, tags, signature_def_map=None, assets_collection=None,
                       legacy_init_op=None, clear_devices=False, main_op=None,
                       strip_default_attrs=False, saver=None, **_ignored):
        """Another tag set over the default graph, frozen with the values saved by
        ``add_meta_graph_and_variables``."""
        if self._session is None:
            raise AssertionError("Graph state including variables and assets has not been "
                                 "saved yet. Please invoke `add_meta_graph_and_variables()` "
                                 "first.")
        self._add(tags, signature_def_map, assets_collection, strip_default_attrs)

    def _add(self, tags, signature_def_map, assets_collection=None, strip_default_attrs=False):
        if isinstance(tags, (str, bytes)):
            raise TypeError(f"tags must be a list of strings, got {tags!r}")
        tags = [t.decode() if isinstance(t, bytes) else t for t in tags]
        if any(set(tags) == set(t) for _, _, t, _ in self._metas):
            raise AssertionError(f"MetaGraphDef with tags {tags} has already been added")
        graph = self._session.graph
        specs, methods, sparse = {}, {}, {}
        for key, sd in (signature_def_map or {}).items():
            if not isinstance(sd, meta_graph_pb2.SignatureDef):
                raise TypeError(f"signature_def_map['{key}'] must be a SignatureDef (from "
                                f"build_signature_def), got {type(sd).__name__}")
            if not sd.outputs:
                raise ValueError(f"signature '{key}' has no outputs")
            specs[key] = (_tensor_map(key, "input", sd.inputs, graph),
                          _tensor_map(key, "output", sd.outputs, graph))
            methods[key] = sd.method_name
            if any(i.WhichOneof("encoding") == "coo_sparse"
                   for i in (*sd.inputs.values(), *sd.outputs.values())):
                sparse[key] = sd
        if not specs:
            raise ValueError("signature_def_map is empty: minitf saves what the signatures "
                             "need, so a MetaGraphDef needs at least one signature")
        assets = _asset_files(assets_collection, self._assets)
        first = next(iter(specs))  # the path constants are kept, as TF keeps them (its
        # loader feeds them)
        specs[first][1].update((_ASSET + str(k), t) for k, (t, _, _) in enumerate(assets))
        frozen, ins, outs = freeze_signatures(self._session, specs, values=self._values)
        # (internal aliases, "\0...", are not written: an asset's path constant, which the
        # loader feeds, and a sparse entry's components, written below)
        sigs = {}
        for key in specs:
            dense = {a: _info(t) for a, t in ins[key].items() if a[:1] != "\0"}
            sigs[key] = Signature(dense, {a: _info(t) for a, t in outs[key].items()
                                          if a[:1] != "\0"}, methods[key], checked_defaults(
                signature_def_map[key].defaults, dense, f"signature '{key}'"))
        extra = meta_graph_pb2.MetaGraphDef()
        # A signature with a SparseTensor is written whole here: merged after the one the
        # writer wrote (dense entries only), it replaces it (a map's last entry wins).
        for key, sd in sparse.items():
            extra.signature_def[key].CopyFrom(_signature_def(sd, ins[key], outs[key]))
        for key, col in _collection_defs(graph, frozen).items():
            extra.collection_def[key].CopyFrom(col)
        for k, (_, filename, _) in enumerate(assets):
            extra.asset_file_def.add(filename=filename).tensor_info.name = \
                outs[first][_ASSET + str(k)].name
        self._metas.append((frozen, sigs, tags, bool(strip_default_attrs)))
        self._extras.append(extra.SerializeToString(deterministic=True))
        self._assets.update((filename, source) for _, filename, source in assets)

    def save(self, as_text=False) -> bytes:
        """Writes the SavedModel (binary saved_model.pb, or saved_model.pbtxt with
        ``as_text``); returns the file's path as bytes, as TF does."""
        if not self._metas:
            raise AssertionError("No MetaGraphDef has been added: call "
                                 "add_meta_graph_and_variables() first")
        if self._saved:
            raise AssertionError(f"SavedModel {self._export_dir} has already been saved")
        emptied = os.path.isdir(self._export_dir) and not os.listdir(self._export_dir)
        parent = os.path.dirname(os.path.abspath(self._export_dir))
        os.makedirs(parent, exist_ok=True)
        # Written whole (collections, asset files) in a staging directory, then renamed into
        # place: a polling server never sees half a model.
        staging = tempfile.mkdtemp(dir=parent, prefix=".tmp-builder-")
        try:
            staged = os.path.join(staging, "model")
            path = write_saved_model(staged, self._metas, as_text=as_text)
            _add_to_meta_graphs(path, self._extras, as_text)
            if self._assets:
                os.makedirs(os.path.join(staged, "assets"))
            for filename, source in self._assets.items():
                shutil.copyfile(source, os.path.join(staged, "assets", filename))
            if emptied:
                os.rmdir(self._export_dir)  # (renaming onto an empty directory is not portable)
            try:
                os.rename(staged, self._export_dir)
            except BaseException:
                if emptied:
                    os.makedirs(self._export_dir, exist_ok=True)  # left as it was found
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self._saved = True
        return os.path.join(self._export_dir, os.path.basename(path)).encode()


Builder = SavedModelBuilder


def _info(t: Tensor) -> TensorInfo:
    return TensorInfo(t.name, t.dtype, t.shape)


_ASSET = "\0asset"  # an output alias of no SignatureDef: what keeps an asset constant


def _asset_files(assets_collection, taken: dict) -> list:
    """[(tensor, file name under assets/, source path)] of TF's ``assets_collection``: string
    constants holding file paths. A file name another file has taken gets TF's ``_1`` suffix."""
    from minitf import dtypes as _dt

    out, taken = [], dict(taken)
    for t in assets_collection or ():
        if not isinstance(t, Tensor):
            raise TypeError(f"Asset path tensor {t} must be a Tensor.")
        if t.op.type != "Const":
            raise TypeError(f"Asset path tensor {t} must be of type constant."
                            f"Has type {t.op.type} instead.")
        if t.dtype != _dt.string:
            raise TypeError(f"Asset path tensor {t}` must be of dtype string."
                            f"Has type {t.dtype.name} instead.")
        value = np.asarray(t.op._get_attr("value"))
        source = value.reshape(-1)[0] if value.size == 1 else b""
        source = os.fsdecode(source)
        if not source:
            raise ValueError(f"Asset filepath tensor {t} in is invalid.")
        filename = base = os.path.basename(source)
        k = 1
        while filename in taken and taken[filename] != source:
            filename, k = f"{base}_{k}", k + 1
        if not os.path.isfile(source):  # TF skips it silently; its loader then fails
            raise NotFoundError(None, None, f"Asset file {source} (tensor {t.name}) does not "
                                "exist")
        taken[filename] = source
        out.append((t, filename, source))
    return out


def _collection_defs(graph, frozen) -> dict:
    """The CollectionDefs of ``graph``'s collections as the meta graph export writes them
    (export/meta_graph.py), of what ``frozen`` holds: tensors and ops freezing left out drop
    out, and the variable collections go (the variables are constants)."""
    from minitf.graph import Graph, GraphKeys, Operation

    from .freeze import MAIN_OP_KEY
    from .meta_graph import VARIABLE_COLLECTIONS, meta_graph_of

    holder = Graph()  # only its collections are written: of ``frozen``'s tensors and ops
    skip = {*VARIABLE_COLLECTIONS, MAIN_OP_KEY, GraphKeys.SAVEABLE_OBJECTS, GraphKeys.SAVERS,
            GraphKeys.QUEUE_RUNNERS, "saved_model_assets", "legacy_init_op"}
    for key in graph.get_all_collection_keys():
        if key in skip:
            continue
        for value in graph.get_collection(key):
            if isinstance(value, (Tensor, Operation)) or hasattr(value, "_as_graph_element"):
                try:
                    value = frozen.as_graph_element(value.name)
                except (KeyError, ValueError):
                    continue
            holder.add_to_collection(key, value)
    return dict(meta_graph_of(holder).collection_def)


def _add_to_meta_graphs(path, extras, as_text):
    """Merges ``extras[k]`` (serialized MetaGraphDef fields) into the k-th MetaGraphDef of
    the SavedModel file ``path``: appended on the wire (how protobuf merges), so the weights
    are not parsed again."""
    from google.protobuf import text_format

    from minitf.protos import saved_model_pb2

    from .wire import SAVED_MODEL_META_GRAPHS, _rewrite

    if not any(extras):
        return
    with open(path, "rb") as f:
        data = f.read()
    if as_text:
        sm = text_format.Parse(data.decode(), saved_model_pb2.SavedModel())
        for meta, extra in zip(sm.meta_graphs, extras):
            meta.MergeFromString(extra)
        data = text_format.MessageToString(sm).encode()
    else:
        pending = iter(extras)
        data = _rewrite(data, 0, len(data), {SAVED_MODEL_META_GRAPHS: lambda b, s, e: (
            bytes(b[s:e]) + next(pending))}) or data
    with open(path, "wb") as f:
        f.write(data)


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None):
    """``tf.saved_model.simple_save``: a "serve" SavedModel with one predict signature,
    ``serving_default``, from alias -> tensor maps."""
    builder = SavedModelBuilder(export_dir)
    builder.add_meta_graph_and_variables(
        session, [SERVING],
        signature_def_map={DEFAULT_SERVING_SIGNATURE_DEF_KEY:
                           predict_signature_def(inputs, outputs)},
        legacy_init_op=legacy_init_op)
    builder.save()


# -- reading ------------------------------------------------------------------------------------
def maybe_saved_model_directory(export_dir) -> bool:
    """Whether ``export_dir`` holds a saved_model.pb or saved_model.pbtxt."""
    return any(os.path.isfile(os.path.join(os.fsdecode(export_dir), name))
               for name in (SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_PBTXT))


def _inline_contents(graph_def, contents) -> None:
    """Puts the raw bytes freeze_graph_def hands back beside the nodes (a big variable's
    value, kept out of the proto for the zero-copy importer) into each Const's
    ``tensor_content``, in place: import_meta_graph takes values from the nodes only, and a
    Const without them would hold zeros."""
    for i, buf in contents.items():
        graph_def.node[i].attr["value"].tensor.tensor_content = bytes(buf)


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs):
    """``tf.saved_model.loader.load``: imports the MetaGraphDef tagged ``tags`` into
    ``sess.graph`` (under ``import_scope``), with its collections, and returns it. Variables
    become constants holding the checkpoint's values (local ones, the values the main op
    assigns them); the saver's ops, initialisers and variable updates are left out (a frozen
    graph cannot run them), and so drop out of the collections."""
    export_dir = os.fsdecode(export_dir)  # bytes too: what Estimator.export_saved_model returns
    if not maybe_saved_model_directory(export_dir):
        raise OSError(f"SavedModel file does not exist at: {export_dir}{os.sep}"
                      f"{{{SAVED_MODEL_FILENAME_PBTXT}|{SAVED_MODEL_FILENAME_PB}}}")
    file, sm, _ = read_saved_model(export_dir, zero_copy=False)
    wanted = set(tags)
    found = [m for m in sm.meta_graphs if set(m.meta_info_def.tags) == wanted]
    if not found:  # TF's loader raises RuntimeError here
        available = [sorted(m.meta_info_def.tags) for m in sm.meta_graphs]
        raise RuntimeError(f"MetaGraphDef associated with tags {sorted(wanted)} could not be "
                           f"found in SavedModel {file}, with available tags {available}")
    meta = found[0]
    gd = meta.graph_def
    # A signature input computed by ops minitf lacks becomes a placeholder (it is fed anyway).
    by_name = node_index(gd)  # (once, shared by the signatures' closures)
    cuttable = cuttable_inputs(gd, meta.signature_def, by_name)
    gd, _ = cut_at_inputs(
        gd, [ti for sd in meta.signature_def.values() for ti in sd.inputs.values()
             if ti.WhichOneof("encoding") == "name"], index=by_name,
        only=lambda name: name in cuttable and any(
            unsupported(by_name[n]) for n in graph_def_closure(gd, [name], index=by_name)))
    original = gd
    gd = inline_functions(gd, file)  # TF2's graphs call functions
    roots = init_op_roots(meta)
    # A vocabulary file's path in a variable the init op assigns (TF2's way): a Const.
    assigns = asset_assignments(gd, asset_paths(meta, export_dir, {n.name for n in gd.node}),
                                roots)
    as_no_ops(gd, assigns)
    assigned = {var: np.array(path.encode(), dtype=object) for var, path in assigns.values()}
    # Local variables: not in the checkpoint (TF writes none if there are only those); the
    # main op gives them their initial values, and so does this (as constants).
    local = local_variables(meta, gd, roots)
    values, unsaved = {}, []
    if any(n.op in VARIABLE_OPS and n.name not in assigned for n in gd.node):
        values = after_init_op(gd, local, _checkpoint_values(export_dir, file, gd, restore_keys(
            original, meta.saver_def.restore_op_name), local), assigned, file)
        # Variables with no value (a local one the main op does not initialise) go, with
        # what depends on them.
        unsaved = [n.name for n in gd.node if n.op in VARIABLE_OPS and n.name not in values
                   and n.name not in assigned and not (
                       "shared_name" in n.attr and n.attr["shared_name"].s.decode() in values)]
    unfrozen = gd
    gd, contents = freeze_graph_def(gd, ChainMap(assigned, values), graph_def_closure(
        gd, runnable(gd, meta.saver_def, unsaved, file, meta.signature_def)), file)
    _inline_contents(gd, contents)
    # TF's loader restores the checkpoint (its mutable tables' contents too), then runs the
    # main op: here, its table initializers (the rest of a main op, variable initialisers,
    # was done above), the asset files fed. They are found from the main op in the graph
    # before freezing: a main op that also assigns variables is not in the frozen one.
    names = {n.name for n in gd.node}
    inits = [n for n in table_initializers(meta, unfrozen, names) if n in names]
    inits = add_checkpoint_fills(gd, meta, inits, lambda: values or _checkpoint_values(
        export_dir, file, gd, local=local), file) + inits
    with sess.graph.as_default():  # with the collections, as TF's loader imports them
        import_meta_graph(frozen_meta_graph(meta, gd), import_scope=import_scope)
    if inits:
        prefix = f"{import_scope}/" if import_scope else ""
        graph = sess.graph
        assets = {graph.get_tensor_by_name(prefix + name): path.encode()
                  for name, path in asset_paths(meta, export_dir, names).items()}
        sess.run([graph.get_operation_by_name(prefix + name) for name in inits], assets)
    return meta
