"""Loading a SavedModel to serve it: TF1's and TF2's, frozen or not. What the signatures need
is kept (TF2's function calls inlined, export/functions.py), the variables become Consts
holding the checkpoint's values, and the init op's table fills are kept to run at load."""

from __future__ import annotations

import logging
import os
from collections import ChainMap
from collections.abc import Mapping

import numpy as np

from minitf.errors import InvalidArgumentError, NotFoundError, UnimplementedError
from minitf.graph import GraphKeys
from minitf.opdef import lookup
from minitf.protos import meta_graph_pb2

from . import graph_def as graph_def_mod
from .freeze import (FROZEN_FORMS, MAIN_OP_KEY, TABLE_INIT_OPS, TABLE_OPS, VARIABLE_OPS,
                     cut_at_inputs, cuttable_inputs, freeze_graph_def, graph_def_closure,
                     is_variable_writer)
from .freeze_graph_def import as_no_ops, asset_assignments, node_index, restore_keys
from .functions import inline_functions
from .graph_def import _parse_input, graph_from_graph_def, tensor_by_name
from .saved_model import (SERVE_TAG, Model, Signature, TensorInfo, checked_defaults,
                          meta_graph_index, read_saved_model)
from .table_restore import add_checkpoint_fills
from .tensors import dtype_from_enum, shape_from_proto

log = logging.getLogger("minitf.export")


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
    index = node_index(gd)  # (once per GraphDef, shared: not signatures x nodes)
    cuttable = cuttable_inputs(gd, signatures, index)  # (not another signature's step)
    gd, node_contents = cut_at_inputs(
        gd, [ti for sd in signatures.values() for ti in sd.inputs.values()
             if ti.WhichOneof("encoding") == "name"], node_contents, cuttable.__contains__, index)
    roots = {k: _roots(sd) for k, sd in signatures.items()}
    # TF2's graphs call functions: the calls the signatures and the init op reach are inlined
    # (the original nodes keep their indices, so node_contents still holds).
    original, init_roots = gd, init_op_roots(meta)
    gd = inline_functions(gd, file, only=graph_def_closure(
        gd, [r for rs in roots.values() for r in rs] + init_roots))
    index = node_index(gd)
    # A signature that changes a variable (a counter, a training step) cannot run frozen: it
    # is left out, unless it is all there is (then freezing names the op).
    writers = {n.name for n in gd.node if is_variable_writer(n.op)}
    stateful = sorted(k for k, r in roots.items() if graph_def_closure(gd, r, (), index) & writers)
    left_out = {}
    if stateful and len(stateful) < len(signatures):
        log.warning("%s: left out signature(s) %s: they change variables, which a model "
                    "frozen for serving cannot do", file, ", ".join(stateful))
        signatures = {k: sd for k, sd in signatures.items() if k not in stateful}
        left_out = {k: f"signature '{k}' changes variables, which a model frozen for serving "
                       "cannot do" for k in stateful}
    signatures, needs = _servable_signatures(gd, signatures, roots, file, index)
    left_out.update(needs)
    keep = graph_def_closure(gd, [r for k in signatures for r in roots[k]], index=index)
    init_ops = table_initializers(meta, gd, keep, index)
    keep |= graph_def_closure(gd, init_ops, index=index)
    # A vocabulary file's path in a variable the init op assigns (TF2's way) becomes a Const
    # holding the path, and the assignment a NoOp.
    assigns = {a: v for a, v in asset_assignments(
        gd, asset_paths(meta, path, index), init_roots, index).items() if a in keep}
    assigned = {var: np.array(file_path.encode(), dtype=object)
                for var, file_path in assigns.values()}
    as_no_ops(gd, assigns)
    needs_values = any(n.op in VARIABLE_OPS and n.name in keep and n.name not in assigned
                       for n in gd.node)
    # TF's unfrozen SavedModel: frozen now, with its checkpoint's values (found under the
    # names the Saver's restore op gives them: TF2's are object paths, not node names); local
    # variables, which no checkpoint holds, with the values the main op gives them.
    values = {}
    if needs_values:
        local = local_variables(meta, gd, init_roots)
        values = after_init_op(gd, local, _checkpoint_values(path, file, gd, restore_keys(
            original, meta.saver_def.restore_op_name), local), assigned, file, node_contents)
    gd, node_contents = freeze_graph_def(gd, _Layers(assigned, values), keep, file,
                                         node_contents)
    # TF's loader restores its mutable tables from the checkpoint before the main op runs.
    init_ops = add_checkpoint_fills(gd, meta, init_ops,
                                    lambda: _checkpoint_values(path, file, gd), file) + init_ops
    assets = asset_paths(meta, path, {n.name for n in gd.node})
    _assets_as_consts(gd, assets, node_contents)
    graph = graph_from_graph_def(gd, file, node_contents)
    # The init ops join TABLE_INITIALIZERS, as a table's initializer does in TF's graph (TF2
    # writes no collections): so ``tf.tables_initializer()`` on the loaded graph fills the
    # tables, as the lookup ops' "Table not initialized" error says, like ``init_ops`` do.
    for name in init_ops:
        graph.add_to_collection(GraphKeys.TABLE_INITIALIZERS, graph.get_operation_by_name(name))
    sigs = {}
    for name, sd in signatures.items():
        inputs = {a: _read_info(graph, ti, file, f"signature '{name}' input '{a}'")
                  for a, ti in sd.inputs.items()}
        sigs[name] = Signature(
            inputs, {a: _read_info(graph, ti, file, f"signature '{name}' output '{a}'")
                     for a, ti in sd.outputs.items()},
            sd.method_name, checked_defaults(sd.defaults, inputs, f"{file}: signature '{name}'"))
    if not sigs:
        raise InvalidArgumentError(None, None, f"{file}: the model has no signatures")
    unserved = {}
    for name, sd in meta.signature_def.items():
        if name not in sigs:  # copied: a part would keep the whole parsed file alive
            unserved[name] = type(sd)()
            unserved[name].CopyFrom(sd)
    return Model(graph, sigs, path, tuple(init_ops), assets, unserved, left_out)


def _assets_as_consts(gd, assets: dict, contents) -> None:
    """Makes each asset tensor of ``gd`` (a path Const TF1's builder wrote, or a placeholder
    TF's loader feeds) a Const holding its file under the model's assets/, in place (its index
    kept): so the table initializers need no feed (``tf.tables_initializer()`` on the loaded
    graph) and read the model's own copy, not the path it was exported from. Feeding the
    path, as the server does, still works."""
    from minitf.protos import types_pb2

    from .tensors import make_tensor_proto

    by_name = {n.name: (i, n) for i, n in enumerate(gd.node)}
    for tensor, file_path in assets.items():
        name, k = _parse_input(tensor)
        i, node = by_name.get(name, (None, None))
        if node is None or k or node.op not in ("Const", "Placeholder",
                                                "PlaceholderWithDefault") or \
                node.attr["dtype"].type != types_pb2.DT_STRING:
            continue
        device = node.device
        node.Clear()
        node.name, node.op, node.device = name, "Const", device
        node.attr["dtype"].type = types_pb2.DT_STRING
        node.attr["value"].tensor.CopyFrom(make_tensor_proto(
            np.array(file_path.encode(), dtype=object)))
        if contents:
            contents.pop(i, None)


def _servable_signatures(gd, signatures, roots, file, index) -> tuple[dict, dict]:
    """The signatures without an op or dtype minitf lacks or a sparse entry, and why each
    other one is left out (with a warning), as long as one is left (TF Serving would serve
    them all), so one signature using a rare op does not keep the model from serving. When
    none is left, the error names the first signature and what it needs."""
    from .model_support import missing_ops, unsupported_dtypes

    needs = {}
    for key, sd in signatures.items():
        lacking = [f"op type '{op}'" for op in missing_ops(gd, roots[key], index)] + \
            [f"DataType {dt}" for dt in unsupported_dtypes(gd, roots[key], index)]
        if lacking:
            needs[key] = f"signature '{key}' needs {', '.join(lacking)}, which minitf does " \
                         "not support"
        sparse = _sparse_entries(sd)
        if sparse and key not in needs:  # e.g. an Estimator's VarLenFeature alternative
            needs[key] = f"signature '{key}' {sparse[0]} is a sparse or composite tensor; " \
                         "only dense tensors are served"
    if needs and len(needs) == len(signatures):
        raise UnimplementedError(None, None, f"{file}: {next(iter(needs.values()))}")
    for problem in needs.values():
        log.warning("%s: left out %s", file, problem)
    return {k: sd for k, sd in signatures.items() if k not in needs}, needs


def _sparse_entries(signature_def) -> list[str]:
    """The signature's inputs and outputs that are not one dense tensor, as "input 'a'"."""
    return [f"{kind} '{alias}'"
            for kind, infos in (("input", signature_def.inputs), ("output", signature_def.outputs))
            for alias, ti in infos.items() if ti.WhichOneof("encoding") != "name"]


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


def table_initializers(meta, gd, keep, index=None) -> list[str]:
    """The table initializers of a MetaGraphDef's main op (or legacy init op) that fill a
    table ``keep`` holds. Only those run at load: the rest of a main op (local variables'
    initialisers, for one) has nothing to do in a frozen graph. ``index``: node_index(gd)."""
    roots = init_op_roots(meta)
    if not roots:
        return []
    reached = graph_def_closure(gd, roots, index=index)
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


def local_variables(meta, gd, roots) -> dict:
    """{variable node name: the tensor name its initial value comes from} of the variables
    the init op (reached from ``roots``) assigns, and the names in the LOCAL_VARIABLES
    collection (value None if the init op does not assign it): the variables a checkpoint
    does not hold because TF's main op initialises them."""
    from minitf.protos import variable_pb2

    out = {}
    if "local_variables" in meta.collection_def:
        col = meta.collection_def["local_variables"]
        names = [variable_pb2.VariableDef.FromString(b).variable_name
                 for b in col.bytes_list.value] + list(col.node_list.value)
        out.update((_parse_input(n)[0], None) for n in names)
    by_name = node_index(gd)
    for name in sorted(graph_def_closure(gd, roots, index=by_name)):
        node = by_name[name]
        if node.op in ("Assign", "AssignVariableOp") and len(node.input) >= 2:
            var = _parse_input(node.input[0])[0]
            if var in by_name and by_name[var].op in VARIABLE_OPS:
                out[var] = "{}:{}".format(*_parse_input(node.input[1]))
    return out


def after_init_op(gd, sources: dict, checkpoint, assigned: dict, file, contents=None):
    """The variables' values once TF's loader has restored ``checkpoint`` and run the init op,
    which assigns the variables in ``sources`` (see local_variables): its values win, the
    checkpoint's too (TF's ``main_op.main_op()`` re-runs the global initializers; TF Serving
    then serves the initial values, and so does this, with a warning). ``contents``: the
    zero-copy reader's bytes of ``gd``'s nodes, by node index."""
    got = initial_values(gd, sources, _Layers(assigned, checkpoint), file, contents)
    overwritten = sorted(v for v in got if v in checkpoint)
    if overwritten:
        log.warning("%s: the main op assigns the variables %s after their checkpoint values are "
                    "restored (as TensorFlow's loader runs it), so they take the values it "
                    "assigns, not the checkpoint's", file, ", ".join(overwritten))
    return _Layers(got, checkpoint)


def initial_values(gd, sources: dict, values, file, contents=None) -> dict:
    """{variable: value} of the variables in ``sources`` (variable -> initial value tensor)
    whose initial value needs nothing but constants and ``values``: what TF's main op assigns
    them, computed once here (they become constants, as the checkpoint's variables do)."""
    from minitf.errors import OpError
    from minitf.graph import Graph
    from minitf.session import Session

    index = node_index(gd)  # (once: a closure per variable follows)
    computable = {}
    for var, tensor in sources.items():
        if tensor is None:
            continue
        need = graph_def_closure(gd, [graph_def_mod._parse_input(tensor)[0]], (), index)
        if all(v in values for v in need if index[v].op in VARIABLE_OPS) and not any(
                is_variable_writer(index[n].op) for n in need):
            computable[var] = (tensor, need)
    if not computable:
        return {}
    # The big tensors' bytes come beside the nodes (the zero-copy reader's, the frozen
    # variables'): without them their Consts would hold zeros.
    sub, sub_contents = freeze_graph_def(
        gd, values, set().union(*(n for _, n in computable.values())), file, contents)
    graph = Graph()
    graph_def_mod.import_graph_def(sub, name="", source=file, contents=sub_contents,
                                   graph=graph)
    try:
        got = Session(graph=graph).run([t for t, _ in computable.values()])
    except OpError as e:  # (an initial value fed at run time, say): left out, as before
        log.warning("%s: the init op's assignments to %s are left out: their values cannot "
                    "be computed at load (%s)", file, sorted(computable), e.message)
        return {}
    return {var: np.asarray(v) for var, v in zip(computable, got)}


def frozen_meta_graph(meta, gd) -> meta_graph_pb2.MetaGraphDef:
    """A MetaGraphDef of the frozen GraphDef ``gd`` with ``meta``'s collections, as far as they
    still hold: for import_meta_graph, which loader.load imports with (TF's loader imports the
    collections too). Tensors and ops freezing left out drop out of their collections, and the
    variable collections go (the variables are constants now); values stay."""
    from minitf.graph import GraphKeys
    from minitf.protos import queue_runner_pb2

    from .meta_graph import VARIABLE_COLLECTIONS
    from .table_restore import TABLE_NAMES_KEY

    names = {n.name for n in gd.node}
    out = meta_graph_pb2.MetaGraphDef(graph_def=gd)
    for key, col in meta.collection_def.items():
        kind = col.WhichOneof("kind")
        if kind == "node_list":
            kept = [v for v in col.node_list.value
                    if graph_def_mod._parse_input(v.lstrip("^"))[0] in names]
            if kept:
                out.collection_def[key].node_list.value.extend(kept)
        elif kind == "bytes_list" and key == GraphKeys.QUEUE_RUNNERS:
            kept = [raw for raw in col.bytes_list.value if all(
                graph_def_mod._parse_input(n)[0] in names for qr in (
                    queue_runner_pb2.QueueRunnerDef.FromString(raw),)
                for n in (qr.queue_name, *qr.enqueue_op_name, qr.close_op_name,
                          qr.cancel_op_name) if n)]
            if kept:
                out.collection_def[key].bytes_list.value.extend(kept)
        elif kind in ("bytes_list", "int64_list", "float_list") and \
                key not in (*VARIABLE_COLLECTIONS, GraphKeys.SAVEABLE_OBJECTS, TABLE_NAMES_KEY):
            out.collection_def[key].CopyFrom(col)
    return out


def _checkpoint_values(path, file, gd, keys=None, local=()):
    """The variable values of a SavedModel, TensorFlow's checkpoint ``variables/variables``:
    a mapping that reads (and checks) a tensor when it is looked up, so freezing reads only the
    variables the signatures need (not, say, the optimizer's slots). ``keys`` maps variable
    node names to other checkpoint keys (see restore_keys). The variables ``local`` (local
    ones, which the main op initialises) need no checkpoint: with only those, TF writes none,
    and then there are no values."""
    from minitf.train.saver import load_checkpoint_arrays

    directory = path if os.path.isdir(path) else os.path.dirname(file)
    prefix = os.path.join(directory, "variables", "variables")
    if not os.path.exists(prefix + ".index"):
        variables = [n.name for n in gd.node if n.op in VARIABLE_OPS]
        names, what = [n for n in variables if n not in local], "variables"
        if not variables:  # only mutable tables (whose contents a TF checkpoint holds)
            names, what = [n.name for n in gd.node if n.op in TABLE_OPS], "mutable tables"
        if variables and not names:
            return {}
        raise NotFoundError(None, None, f"{file}: the graph has {what} "
                            f"({', '.join(names[:3])}{'...' if len(names) > 3 else ''}) but "
                            f"there is no checkpoint {prefix}.index holding their values")
    _check_data_files(prefix, file)
    values = load_checkpoint_arrays(prefix)
    return _Renamed(values, keys) if keys else values


def _check_data_files(prefix: str, file) -> None:
    """Raises TF's NotFoundError when a data file the checkpoint's index points into is
    missing. TF's loader restores every variable, so it fails; the lazy reader would find out
    only at a lookup, where a mapping in between (a ChainMap) turns its NotFoundError, a
    KeyError, into a bare KeyError of the variable's name."""
    from minitf.train import tensor_bundle

    if not tensor_bundle.is_bundle(prefix):
        return
    num_shards, entries = tensor_bundle.read_index(prefix)
    shards = {}  # shard -> a tensor in it, for the message
    for name, entry in entries.items():
        for part in [p for _, p in entry.slices] if entry.slices else [entry]:
            shards.setdefault(part.shard_id, name)
    for shard, name in sorted(shards.items()):
        data = tensor_bundle.data_filename(prefix, shard, num_shards)
        if not os.path.isfile(data):
            raise NotFoundError(None, None, f"{file}: checkpoint {prefix}: data file {data} "
                                f"(holding tensor {name!r}) not found")


class _Layers(ChainMap):
    """A ChainMap whose lookup falls through only where a layer does not hold the key: a
    layer's own error reading a value it holds (a checkpoint's NotFoundError, which is a
    KeyError) surfaces, where ChainMap turned it into a bare KeyError of the name."""

    def __getitem__(self, key):
        for mapping in self.maps:
            if key in mapping:
                return mapping[key]
        return self.__missing__(key)


class _Renamed(Mapping):
    """A checkpoint's tensors, where a name in ``keys`` stands for the key it maps to (and the
    slice of it, for a part of a partitioned variable; see restore_keys)."""

    def __init__(self, values: Mapping, keys: dict):
        self._values, self._keys = values, keys

    def __getitem__(self, name):
        key, part = self._keys.get(name, (name, None))
        value = self._values[key]
        if part is None:
            return value
        if tuple(np.shape(value)) != part.full_shape:
            raise InvalidArgumentError(None, None, f"variable {name} is a slice of "
                                       f"{key!r}, declared {list(part.full_shape)}, but the "
                                       f"checkpoint's value has {list(np.shape(value))}")
        return value[tuple(slice(o, o + n) for o, n in zip(part.var_offset, part.var_shape))]

    def __contains__(self, name):
        return self._keys.get(name, (name, None))[0] in self._values

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


# Ops that ask whether a variable is initialised: meaningless once it is a constant.
_STATE_CHECKS = frozenset({"VarIsInitializedOp", "IsVariableInitialized"})


def unsupported(node) -> bool:
    return lookup(node.op) is None and node.op not in VARIABLE_OPS and \
        node.op not in FROZEN_FORMS


def runnable(gd, saver_def, unsaved, file, signature_defs) -> list:
    """The nodes that still mean something once the variables are constants: not the saver's
    (its scope), not a variable update, an initialisation check or an ``unsaved`` variable, and
    nothing that depends on one. Ops minitf lacks go too (with a warning), unless a signature
    needs them."""
    saver_scope = saver_def.restore_op_name.rpartition("/")[0] + "/" \
        if saver_def.restore_op_name else None
    consumers: dict[str, list] = {}
    for n in gd.node:
        for i in n.input:
            consumers.setdefault(_parse_input(i)[0], []).append(n.name)
    dropped, index = set(), node_index(gd)

    def drop(names):
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in dropped:
                dropped.add(name)
                stack.extend(consumers.get(name, ()))

    # TF2's saver is two function calls (inlined under their names), not a scope.
    saver_calls = tuple(_parse_input(name)[0] + "/" for name in (
        saver_def.save_tensor_name, saver_def.restore_op_name) if name and "/" not in name)
    drop([n.name for n in gd.node if is_variable_writer(n.op) or n.op in _STATE_CHECKS or
          (saver_scope and n.name.startswith(saver_scope)) or
          (saver_calls and (n.name + "/").startswith(saver_calls))] + list(unsaved))
    unknown = {n.name: n.op for n in gd.node if n.name not in dropped and unsupported(n)}
    drop(unknown)
    problems = {}  # signature -> why one of its tensors cannot be imported
    served = [k for k in signature_defs if k != INIT_OP_SIGNATURE]  # (that one is an op)
    for key in served:
        sd = signature_defs[key]
        for alias, info in (*sd.inputs.items(), *sd.outputs.items()):
            node = _parse_input(info.name)[0]
            if node in dropped and key not in problems:
                cause = next((f"op type '{op}' (node '{n}'), which minitf does not support"
                              for n, op in unknown.items()
                              if n in graph_def_closure(gd, [node], (), index)),
                             "a variable update or a variable the checkpoint does not hold")
                problems[key] = f"signature '{key}' tensor '{alias}' ({info.name}) needs {cause}"
    if problems and all(k in problems for k in served):
        raise UnimplementedError(None, None, f"{file}: {next(iter(problems.values()))}")
    for problem in problems.values():  # the other signatures still work
        log.warning("%s: left out %s", file, problem)
    left_out = sorted({op for n, op in unknown.items()})
    if left_out:
        log.warning("%s: left out the nodes using ops minitf does not support (%s) and "
                        "what depends on them; the signatures do not need them", file,
                        ", ".join(left_out))
    return [n.name for n in gd.node if n.name not in dropped]
