"""Freezing: variables become Consts holding their session values; the graph is pruned to the
outputs (training, initializer, saver and assign ops are gone)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from minitf.errors import FailedPreconditionError, InvalidArgumentError, OpError
from minitf.graph import Graph, GraphKeys, Operation, Tensor, apply_op, group_inputs
from minitf.opdef import lookup
from minitf.sparse_tensor import SparseTensor

from .freeze_graph_def import (FROZEN_FORMS, VARIABLE_OPS, cut_at_inputs,  # noqa: F401
                               drop_cut_colocation,
                               cuttable_inputs, freeze_graph_def, graph_def_closure,
                               is_variable_writer, node_index)

PREDICT_METHOD = "tensorflow/serving/predict"


@dataclass
class FrozenGraph:
    """A variable-free graph and its signature: input and output aliases to tensors."""

    graph: Graph
    inputs: dict[str, Tensor]
    outputs: dict[str, Tensor]
    method_name: str = PREDICT_METHOD
    extra_signatures: dict = field(default_factory=dict)

    def as_graph_def(self):
        return self.graph.as_graph_def()


def _as_tensor_map(graph, mapping, what):
    if not isinstance(mapping, dict) or not mapping:
        raise InvalidArgumentError(None, None, f"{what} must be a non-empty dict of alias -> "
                                   "tensor")
    out = {}
    for alias, t in mapping.items():
        if not isinstance(alias, str) or not alias:
            raise InvalidArgumentError(None, None, f"{what}: aliases must be non-empty strings, "
                                       f"got {alias!r}")
        conv = getattr(t, "_as_tensor", None)
        t = conv() if conv is not None else t
        if isinstance(t, str):
            t = graph.get_tensor_by_name(t if ":" in t else t + ":0")
        if isinstance(t, SparseTensor):  # TensorInfo's coo_sparse is not supported
            raise InvalidArgumentError(None, None, f"{what}[{alias!r}] is a SparseTensor: "
                                       "signatures take dense tensors; feed its indices, "
                                       "values and dense_shape as three inputs (or densify "
                                       "it with tf.sparse.to_dense)")
        if not isinstance(t, Tensor) or t.graph is not graph:
            raise InvalidArgumentError(None, None, f"{what}[{alias!r}] is not a tensor of the "
                                       "session's graph")
        out[alias] = t
    return out


def needed_ops(outputs, stop_at=()) -> list[Operation]:
    """Ops the outputs depend on (data and control edges), stopping at ``stop_at`` tensors,
    in graph order."""
    stop = set(stop_at)
    seen: set[Operation] = set()
    stack = [t.op for t in outputs if t not in stop]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs if t not in stop)
        stack.extend(op.control_inputs)
    return sorted(seen, key=lambda o: o._id)


def freeze(sess, inputs: dict, outputs: dict) -> FrozenGraph:
    """Freezes ``sess.graph`` for a signature ``inputs -> outputs`` (alias -> tensor).

    Inputs that are not placeholders become placeholders (their upstream is cut). A placeholder
    the outputs need but ``inputs`` does not name is an error.
    """
    graph, ins, outs = freeze_signatures(sess, {"": (inputs, outputs)})
    return FrozenGraph(graph, ins[""], outs[""])


def freeze_signatures(sess, signatures: dict, values=None) -> tuple[Graph, dict, dict]:
    """Freezes ``sess.graph`` for several signatures ``{name: (inputs, outputs)}`` at once:
    one graph holding what any of them needs, and per name its alias -> tensor maps. The
    variables' values are the session's, or ``values[variable name]`` when given (a snapshot).

    An intermediate input is cut off (it becomes a placeholder) only when no signature
    computes through it: with ``x -> h -> y`` and signatures ``x -> y`` and ``h -> y``, ``h``
    stays the op it was, and is fed (TF1 feeding) when the second signature runs.
    """
    graph = sess.graph
    sigs = {name: (_as_tensor_map(graph, i, "inputs"), _as_tensor_map(graph, o, "outputs"))
            for name, (i, o) in signatures.items()}
    needed: set[Operation] = set()
    for ins, outs in sigs.values():
        for what, tensors, ok in (("input", ins, graph.is_feedable),
                                  ("output", outs, graph.is_fetchable)):
            for alias, t in tensors.items():
                if not ok(t):  # inside a loop or a cond branch: no single value to serve
                    raise InvalidArgumentError(
                        None, None, f"Signature {what} '{alias}' ({t.name}) is inside a "
                        f"tf.while_loop or a tf.cond branch, so it cannot be "
                        f"{'fed' if what == 'input' else 'fetched'}; use the loop's or the "
                        "cond's results")
        input_set = set(ins.values())
        # A PlaceholderWithDefault input keeps its default, as in TF's SavedModel (it may go
        # unfed, e.g. a learning phase): the pruning goes through it, so it is copied.
        stops = {t for t in input_set if t.op.type != "PlaceholderWithDefault"}
        for op in needed_ops(outs.values(), stop_at=stops):
            if op.type in ("Placeholder",) and op.outputs[0] not in input_set:
                raise InvalidArgumentError(
                    None, None, f"Placeholder '{op.name}' ({op.outputs[0].dtype.name}, shape "
                    f"{op.outputs[0].shape}) is needed by the outputs but is not one of the "
                    f"signature inputs {sorted(t.name for t in input_set)}")
            if op._opdef.ref_args and op.type not in _REFERENCES:  # these only read
                raise InvalidArgumentError(
                    None, None, f"The outputs depend on '{op.name}' ({op.type}), which updates "
                    "a variable; an inference graph cannot contain variable updates")
            needed.add(op)
    ops = sorted(needed, key=lambda o: o._id)
    variables = [op for op in ops if op.type == "VariableV2"]
    if values is None:
        value_of = dict(zip(variables, sess.run([v.outputs[0] for v in variables])
                            if variables else []))
    else:
        missing = [v.name for v in variables if v.name not in values]
        if missing:
            raise InvalidArgumentError(None, None, f"The outputs need variable '{missing[0]}', "
                                       "which was not saved (only global variables are)")
        value_of = {v: values[v.name] for v in variables}

    frozen = Graph()
    frozen.seed = graph.seed
    mapping: dict[Tensor, Tensor] = {}
    op_map: dict[Operation, Operation] = {}
    const = lookup("Const")
    placeholder = lookup("Placeholder")
    taken = {op.name for op in ops}
    with frozen.as_default():
        for ins, _ in sigs.values():  # the other inputs become placeholders
            for t in ins.values():
                if t in mapping or t.op in needed:
                    continue
                base = t.op.name if t.value_index == 0 else f"{t.op.name}_{t.value_index}"
                name, k = base, 0
                while name in taken:  # e.g. the producer of a cut input's sibling output
                    k += 1
                    name = f"{base}_{k}"
                taken.add(name)
                mapping[t] = apply_op(placeholder, [], {"dtype": t.dtype, "shape": t.shape},
                                      name, graph=frozen, exact_name=True).outputs[0]
        back_edges = []  # a loop's Merge takes its NextIteration once that exists
        for op in ops:
            controls = [op_map[c] for c in op.control_inputs if c in op_map]
            if op in value_of:
                new = apply_op(const, [], {"value": value_of[op], "dtype": op.outputs[0].dtype},
                               op.name, graph=frozen, exact_name=True)
            else:
                inputs = [mapping.get(t) for t in op.inputs]
                if op.type == "Merge" and None in inputs:
                    back_edges += [(op, k, t) for k, t in enumerate(op.inputs)
                                   if inputs[k] is None]
                    first = next(t for t in inputs if t is not None)
                    inputs = [first if t is None else t for t in inputs]
                args = group_inputs(op, inputs)
                attrs = {k: v for k, v in op._attrs.items() if k in op._opdef.attrs}
                # A reference to a variable that is now a Const is plain, as TF's
                # convert_variables_to_constants makes it (RefSwitch: Switch, RefEnter: Enter).
                opdef = lookup(_REFERENCES.get(op.type, op.type))
                new = apply_op(opdef, args, attrs, op.name, graph=frozen, exact_name=True,
                               control_inputs=controls)
                if op.type in ("Enter", "RefEnter", "Merge"):
                    new.outputs[0]._shape = op.outputs[0].shape  # a loop's shape invariant
                else:  # what set_shape told the original (inference alone may know less)
                    for old_t, new_t in zip(op.outputs, new.outputs):
                        if new_t.shape.is_compatible_with(old_t.shape):
                            new_t._shape = new_t.shape.merge_with(old_t.shape)
            op_map[op] = new
            for old_t, new_t in zip(op.outputs, new.outputs):
                mapping.setdefault(old_t, new_t)
        for op, k, t in back_edges:
            op_map[op]._update_input(k, mapping[t])
        tables = [op for op in ops if op.type in TABLE_OPS]
        if tables:
            _freeze_tables(sess, tables, op_map, frozen)
    return (frozen, {n: {a: mapping[t] for a, t in ins.items()} for n, (ins, _) in sigs.items()},
            {n: {a: mapping[t] for a, t in outs.items()} for n, (_, outs) in sigs.items()})


MAIN_OP_KEY = "saved_model_main_op"  # TF's collection naming the op a loader runs first


def _freeze_tables(sess, tables, op_map, frozen):
    """Lookup tables are frozen as variables are: each table's contents in the session become
    Consts that a LookupTableImportV2 loads, and the SavedModel's main op (TF's
    ``saved_model_main_op`` collection, which TF's loaders and servers run before serving) runs
    them all. So a vocabulary read from a file travels inside the model, not as an asset, and a
    mutable table keeps what the session put in it."""
    const, imports = lookup("Const"), []
    resources = getattr(sess, "_resources", None)
    for op in tables:
        table = resources.state(op).get("table") if resources is not None else None
        if table is None and op.type != "HashTableV2":
            continue  # a mutable table this session never touched: empty, as it starts
        if table is None or table.data is None and op.type == "HashTableV2":
            raise FailedPreconditionError(
                None, None, f"Lookup table '{op.name}' is not initialized in the session: run "
                "tf.tables_initializer() before exporting (the table's contents are saved with "
                "the model)")
        parts = [apply_op(const, [], {"value": arr, "dtype": dtype},
                          f"{op.name}/table_{what}", graph=frozen).outputs[0]
                 for arr, dtype, what in zip(table.contents(),
                                             (table.key_dtype, table.value_dtype),
                                             ("keys", "values"))]
        # A static table is filled whole by its import; a mutable one takes its entries (a
        # dense table's buckets then follow its own growth rule).
        fill = "LookupTableImportV2" if op.type == "HashTableV2" else "LookupTableInsertV2"
        imports.append(apply_op(lookup(fill), [op_map[op].outputs[0], *parts],
                                {}, f"{op.name}/table_init", graph=frozen))
    if imports:
        main = apply_op(lookup("NoOp"), [], {}, "main_op", graph=frozen, control_inputs=imports)
        frozen.add_to_collection(MAIN_OP_KEY, main)


def convert_variables_to_constants(sess, input_graph_def, output_node_names,
                                   variable_names_whitelist=None,
                                   variable_names_blacklist=None):
    """TF1's ``tf.graph_util.convert_variables_to_constants``: ``input_graph_def`` cut to what
    ``output_node_names`` need (``extract_sub_graph``: ops without outputs, such as a
    ``tf.group`` or ``tables_initializer``, too), each variable (as the lists allow) a Const of
    its value in ``sess``, and each reference to a converted variable a plain op. The nodes are
    the GraphDef's as given, so edits made to it (devices cleared, training nodes removed,
    shapes added) are kept."""
    from .graph_def import _parse_input, attr_to_proto

    sub = extract_sub_graph(input_graph_def, output_node_names)
    # As TF: a whitelist, even an empty one, is what may be converted (None: every variable)
    keep = None if variable_names_whitelist is None else set(variable_names_whitelist)
    drop = set(variable_names_blacklist or [])
    variables = [n.name for n in sub.node if n.op in ("VariableV2", "Variable") and
                 n.name not in drop and (keep is None or n.name in keep)]
    values = dict(zip(variables, sess.run([f"{v}:0" for v in variables]))) if variables \
        else {}
    by_name = {n.name: n for n in sub.node}

    def source(node):  # the node a chain of references starts from
        while node.op in _REFERENCES and node.input:
            above = by_name.get(_parse_input(node.input[0])[0])
            if above is None:  # (an input the GraphDef lacks: the importer will name it)
                break
            node = above
        return node

    gd = type(sub)()
    gd.versions.CopyFrom(sub.versions)
    gd.library.CopyFrom(sub.library)
    for node in sub.node:
        new = gd.node.add()
        if node.name in values:
            new.name, new.op = node.name, "Const"
            new.attr["dtype"].type = node.attr["dtype"].type
            attr_to_proto(values[node.name], "tensor", new.attr["value"])
            continue
        new.CopyFrom(node)
        if node.op in _REFERENCES and source(node).name in values:
            new.op = _REFERENCES[node.op]  # its variable is a Const now, as TF renames it
    return gd


# Ops that pass a variable on by reference without updating it, and their plain forms.
_REFERENCES = {"RefSwitch": "Switch", "RefEnter": "Enter"}


def extract_sub_graph(graph_def, dest_nodes):
    """TF1's ``tf.graph_util.extract_sub_graph``: the nodes ``dest_nodes`` need, in order."""
    from .graph_def import _parse_input

    if not hasattr(graph_def, "node") or not hasattr(graph_def, "versions"):
        raise TypeError("graph_def must be a graph_pb2.GraphDef proto.")
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be an iterable of strings.")
    by_name = {n.name: n for n in graph_def.node}
    for d in dest_nodes:
        if d not in by_name:  # TF's assertion (a tensor name such as "y:0" included)
            raise AssertionError(f"{d} is not in graph")
    keep, stack = set(), list(dest_nodes)
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        node = by_name[name]
        stack.extend(_parse_input(i)[0] for i in node.input)
        for s in node.attr["_class"].list.s if "_class" in node.attr else []:
            if s.startswith(b"loc:@"):
                stack.append(s[5:].decode())
    out = type(graph_def)()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(n for n in graph_def.node if n.name in keep)
    return out


# Lookup tables minitf runs, and the ops that fill one (its first input is the table).
TABLE_OPS = frozenset({"HashTableV2", "MutableHashTableV2", "MutableHashTableOfTensorsV2",
                       "MutableDenseHashTableV2"})
TABLE_INIT_OPS = frozenset({"LookupTableImportV2", "InitializeTableV2",
                            "InitializeTableFromTextFileV2"})


def table_initializer_ops(graph: Graph, tables) -> list[Operation]:
    """The ops of ``graph`` that fill one of ``tables``, found by type: a GraphDef carries no
    TABLE_INITIALIZERS collection, so a graph read from one has only the ops."""
    tables = set(tables)
    return [op for op in graph.get_operations()
            if op.type in TABLE_INIT_OPS and op.inputs and op.inputs[0].op in tables]


def freeze_from_checkpoint(graph: Graph, checkpoint: str, inputs: dict, outputs: dict
                           ) -> FrozenGraph:
    """Freezes ``graph`` with variable values read from a checkpoint (no training code).

    ``inputs``/``outputs`` map aliases to tensor names. Only the variables the outputs need are
    read; each must be in the checkpoint with the graph's dtype and a compatible shape. The
    static lookup tables the outputs use are filled by their initializers (a checkpoint does
    not hold them), the mutable ones from the checkpoint (an error if it lacks them); their
    contents are frozen into the model as ``freeze`` does.
    """
    from minitf.errors import NotFoundError
    from minitf.session import Session
    from minitf.train.saver import load_checkpoint_arrays

    arrays = load_checkpoint_arrays(checkpoint)
    inputs = _as_tensor_map(graph, inputs, "inputs")
    outputs = _as_tensor_map(graph, outputs, "outputs")
    stop = set(inputs.values())
    needed = needed_ops(outputs.values(), stop_at=stop)
    # Static tables only: a mutable one is filled from the checkpoint below (a TF graph's
    # LookupTableImportV2 into it is its Saver's restore, reading a file of its own).
    inits = table_initializer_ops(graph, [op for op in needed if op.type == "HashTableV2"])
    # The initializers' own inputs (keys from a variable, say) are restored too.
    init_needs = needed_ops([t for op in inits for t in op.inputs[1:]], stop_at=stop)
    sess = Session(graph=graph)
    try:
        for op in sorted(set(needed) | set(init_needs), key=lambda o: o._id):
            if op.type != "VariableV2":
                continue
            if op.name not in arrays:
                raise NotFoundError(None, None, f"variable {op.name} is not in checkpoint "
                                    f"{checkpoint}")
            value = arrays[op.name]
            spec = op.outputs[0]
            if value.dtype != np.dtype(spec.dtype.as_numpy_dtype) or \
                    not spec.shape.is_compatible_with(value.shape):
                raise InvalidArgumentError(
                    None, None, f"variable {op.name}: checkpoint has {value.dtype} "
                    f"{list(value.shape)}, the graph wants {spec.dtype.name} {spec.shape}")
            sess._resources.variable(op).set(np.array(value))
        from .table_restore import fill_from_checkpoint  # (it imports this module)

        fill_from_checkpoint(sess, graph, [op for op in needed if op.type in TABLE_OPS], arrays,
                             f"checkpoint {checkpoint}")
        for op in inits:
            try:
                sess.run(op)
            except NotFoundError as e:  # a vocabulary file at the path the graph recorded
                raise NotFoundError(
                    None, None, f"cannot fill lookup table '{op.inputs[0].op.name}' ({op.name}):"
                    f" {e.message}. A vocabulary file is read from the path recorded in the "
                    "graph; it must exist when exporting (its contents are then frozen into "
                    "the model)") from None
        return freeze(sess, inputs, outputs)
    finally:
        sess.close()


def graph_def_for_outputs(graph_def, output_names):
    """``graph_def`` cut to what the nodes ``output_names`` need, plus the initializers of the
    lookup tables they use: a training graph's initializers, optimizer and saver are left out,
    so ops there that minitf lacks (TF 2's stateless random initializers) do not stop an
    import whose outputs never run them. The variables stay; their values come from a
    checkpoint."""
    from minitf.protos import graph_pb2

    from .graph_def import _parse_input

    index = node_index(graph_def)
    keep = graph_def_closure(graph_def, output_names, index=index)
    tables = {n.name for n in graph_def.node if n.op in TABLE_OPS and n.name in keep}
    inits = [n.name for n in graph_def.node if n.op in TABLE_INIT_OPS and n.input and
             _parse_input(n.input[0])[0] in tables]
    keep |= graph_def_closure(graph_def, inits, index=index)
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(n for n in graph_def.node if n.name in keep)
    drop_cut_colocation(out)  # (a kept initializer colocated with its left-out variable)
    return out


def initialised_locals(sess, init_op) -> dict:
    """{name: initial value} of the local variables ``init_op`` (a SavedModel's main op)
    initialises: TF's loader runs it, so they start there. One whose initial value needs a
    feed is left out (freezing then names it)."""
    if init_op is None:
        return {}
    reached, stack = set(), [getattr(init_op, "op", init_op)]
    while stack:  # the ops the init op runs: through data and control inputs
        op = stack.pop()
        if op not in reached:
            reached.add(op)
            stack.extend(t.op for t in op.inputs)
            stack.extend(op.control_inputs)
    out = {}
    for v in sess.graph.get_collection(GraphKeys.LOCAL_VARIABLES):
        if getattr(v, "initializer", None) in reached:
            try:
                out[v.op.name] = np.array(sess.run(v.initial_value), copy=True)
            except OpError:
                pass
    return out
