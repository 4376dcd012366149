"""``export_scope`` for meta graphs (TF1's ``export_scoped_meta_graph``): the part of a graph
under one name scope, with that scope taken off every name, so it can be imported again under
another scope (``import_meta_graph(..., import_scope=...)``).

As TF1: a node is kept when its name starts with the scope; its inputs from outside the scope
become ``$unbound_inputs_<name>`` ("^$unbound_inputs_<name>" for a control input), and the data
ones are listed in the ``unbound_inputs`` collection, which the importer requires
``input_map`` to bind. Collections keep their members inside the scope (and every plain number
or string). Unlike TF1, the ``unbound_inputs`` collection lists each name once (TF1 lists an
outside tensor once per reader, and then refuses its own file, as its check compares sorted
lists), the graph's collections are left as they were (TF1 also stores the list in the graph,
so a later unscoped export of it asks for input_map too), and nested control-flow contexts are
stripped as well (TF1 strips only the outermost one).
"""

from __future__ import annotations

import re

from minitf.protos import control_flow_pb2, graph_pb2, node_def_pb2

UNBOUND_INPUT_PREFIX = "$unbound_inputs_"  # TF1's _UNBOUND_INPUT_PREFIX
UNBOUND_INPUTS_KEY = "unbound_inputs"  # TF1's unbound_inputs_col_name


def strip_name_scope(name: str, export_scope) -> str:
    """TF1's ``ops.strip_name_scope``: ``scope/x``, ``^scope/x`` and ``loc:@scope/x`` lose the
    scope; any other name is returned as it is."""
    if not export_scope:
        return name
    scope = export_scope[:-1] if export_scope.endswith("/") else export_scope
    return re.sub(r"([\^]|loc:@|^)" + re.escape(scope) + r"[\/]+(.*)", r"\1\2", name, count=1)


def in_scope(name: str, export_scope) -> bool:
    """TF1's ``_should_include_node`` on a name (a plain prefix test, as TF1's)."""
    return name.startswith(UNBOUND_INPUT_PREFIX) or not export_scope or \
        name.startswith(export_scope)


def scoped_node_def(node, export_scope, unbound: list):
    """TF1's ``_node_def``: a copy of ``node`` with ``export_scope`` stripped from its name,
    inputs, colocation (``_class``) and Enter frame name; inputs from outside the scope are
    renamed ``$unbound_inputs_<input>`` and appended to ``unbound``."""
    out = node_def_pb2.NodeDef()
    out.CopyFrom(node)
    del out.input[:]
    for text in node.input:
        if export_scope and not text.lstrip("^").startswith(export_scope):
            control = "^" if text.startswith("^") else ""
            text = control + UNBOUND_INPUT_PREFIX + text[len(control):]
            unbound.append(text)
        else:
            text = strip_name_scope(text, export_scope)
        out.input.append(text)
    out.name = strip_name_scope(node.name, export_scope)
    if "_class" in node.attr:
        kept = [s for s in node.attr["_class"].list.s
                if not export_scope or s.decode().partition("@")[2].startswith(export_scope)]
        del out.attr["_class"].list.s[:]
        out.attr["_class"].list.s.extend(
            strip_name_scope(s.decode(), export_scope).encode() for s in kept)
    if node.op in ("Enter", "RefEnter") and "frame_name" in node.attr:
        frame = node.attr["frame_name"].s.decode()
        if not export_scope or frame.startswith(export_scope):  # (else TF1 fails)
            out.attr["frame_name"].s = strip_name_scope(frame, export_scope).encode()
    return out


def scoped_graph_def(graph_def, export_scope):
    """The nodes of ``graph_def`` inside ``export_scope``, stripped (TF1's loop in
    ``export_scoped_meta_graph``), and the data inputs left unbound, each once."""
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    unbound: list = []
    for node in graph_def.node:
        if in_scope(node.name, export_scope):
            out.node.append(scoped_node_def(node, export_scope, unbound))
    # TF1 lists only the names _should_include_node keeps: the control ones ("^...") drop out.
    names = list(dict.fromkeys(u for u in unbound if u.startswith(UNBOUND_INPUT_PREFIX)))
    return out, names


def scoped_contexts(contexts: dict, export_scope) -> dict:
    """The ``while_context`` / ``cond_context`` entries of the loops and branches inside
    ``export_scope``, stripped (nested ones too). One inside the scope but in a context
    outside it is written as an outermost one (TF1 leaves it out, so TensorFlow could not take
    gradients through that loop of the imported part)."""
    out: dict = {}

    def visit(proto):
        if proto.context_name.startswith(export_scope):
            _check_inside(proto, export_scope)
            _strip_context(proto, export_scope)
            key = "while_context" if isinstance(proto, control_flow_pb2.WhileContextDef) \
                else "cond_context"
            out.setdefault(key, []).append(proto.SerializeToString())
            return
        for nested in proto.nested_contexts:
            if nested.WhichOneof("ctxt"):
                visit(getattr(nested, nested.WhichOneof("ctxt")))

    for key, kind in (("while_context", control_flow_pb2.WhileContextDef),
                      ("cond_context", control_flow_pb2.CondContextDef)):
        for raw in contexts.get(key, []):
            visit(kind.FromString(raw))
    return out


def _looked_up(proto) -> list[str]:
    """The names TensorFlow's importer looks up in the graph when it reads the context (each
    under the import scope): they must be exported nodes."""
    vd = proto.values_def
    names = [*vd.external_values.values(),
             *(v for v in vd.values if v not in vd.external_values), proto.pivot_name]
    if isinstance(proto, control_flow_pb2.WhileContextDef):
        names += [proto.pivot_for_pred_name, proto.pivot_for_body_name,
                  *proto.loop_exit_names, *proto.loop_enter_names]
        if proto.maximum_iterations_name:
            names.append(proto.maximum_iterations_name)
    else:
        names.append(proto.pred_name)
    return names


def _check_inside(proto, export_scope):
    outside = sorted({n for n in _looked_up(proto) if not n.startswith(export_scope)})
    if outside:
        kind = "tf.while_loop" if isinstance(proto, control_flow_pb2.WhileContextDef) \
            else "tf.cond"
        raise ValueError(
            f"export_meta_graph: the {kind} context '{proto.context_name}' inside export_scope "
            f"'{export_scope}' uses {', '.join(repr(n) for n in outside)} from outside the "
            "scope (e.g. a maximum_iterations tensor made outside it): its context could not "
            "be imported under another scope. Make these tensors inside the scope, or export "
            "a scope that holds them.")
    for nested in proto.nested_contexts:
        if nested.WhichOneof("ctxt"):
            _check_inside(getattr(nested, nested.WhichOneof("ctxt")), export_scope)


def _strip_context(proto, scope):
    """Every name in a context proto (and its nested ones) with ``scope`` stripped, in place
    (TF1's ``to_proto(export_scope)``: outside names stay as they are, but in ``values``)."""
    def s(name):
        return strip_name_scope(name, scope)

    for field in ("context_name", "pivot_name", "pred_name", "pivot_for_pred_name",
                  "pivot_for_body_name", "maximum_iterations_name"):
        if field in proto.DESCRIPTOR.fields_by_name and getattr(proto, field):
            setattr(proto, field, s(getattr(proto, field)))
    if isinstance(proto, control_flow_pb2.WhileContextDef):
        for names in (proto.loop_exit_names, proto.loop_enter_names):
            names[:] = [s(n) for n in names]
    vd = proto.values_def
    # An outside value is not exported (its readers read an unbound input): TensorFlow's
    # import under a scope looks every listed value up, so it is left out of the list (TF1
    # keeps it, and then cannot import its own file under a scope). Its external_values key
    # is kept, as TF1's.
    vd.values[:] = [s(v) for v in vd.values if v.startswith(scope)]
    external = {s(k): s(v) for k, v in vd.external_values.items()}
    vd.external_values.clear()
    vd.external_values.update(external)
    for nested in proto.nested_contexts:
        if nested.WhichOneof("ctxt"):
            _strip_context(getattr(nested, nested.WhichOneof("ctxt")), scope)


def check_unbound_inputs(meta, input_map):
    """TF1's check in ``import_scoped_meta_graph``: every name in the file's ``unbound_inputs``
    collection must be bound by ``input_map`` (TF1 wants exactly those keys, in a sorted-list
    comparison; here each listed name must be a key, "x" and "x:0" alike, and other keys are
    left to import_graph_def's own check)."""
    if UNBOUND_INPUTS_KEY not in meta.collection_def:
        return
    col = meta.collection_def[UNBOUND_INPUTS_KEY]
    kind = col.WhichOneof("kind")
    if kind is None:
        return
    names = [v.decode() if isinstance(v, bytes) else str(v) for v in getattr(col, kind).value]
    keys = {_tensor_key(k) for k in (input_map or {}) if isinstance(k, str)}
    missing = list(dict.fromkeys(n for n in names if _tensor_key(n) not in keys))
    if missing:
        raise ValueError(f"Graph contains unbound inputs: {','.join(missing)}. Must provide "
                         "these inputs through input_map.")


def _tensor_key(name: str) -> str:
    if name.startswith("^"):
        return name
    base, sep, idx = name.rpartition(":")
    return name if sep and idx.isdigit() else f"{name}:0"
