"""Graph <-> GraphDef with TensorFlow's op names and attrs (the OpDefs are the contract).

Export writes every derived and required attr and leaves defaulted attrs out (TensorFlow's
importer fills defaults in, and old readers never see attrs they do not know), and each op's
device and colocation (``_class``). Import accepts what TensorFlow writes: ``Add`` and ``AddV2``,
``name:index`` / ``^control`` inputs in any node order, unknown and ``_``-prefixed attrs
(ignored, but ``_class``), missing defaulted attrs, typed value lists; like TensorFlow's, it
uniquifies names already in the graph and adds all nodes or none.
"""

from __future__ import annotations

import contextlib
import heapq

from minitf import dtypes as _dt
from minitf.errors import (InvalidArgumentError, NotFoundError, OpError,
                           UnimplementedError)
from minitf.graph import (Graph, Operation, Tensor, _scopes_of, apply_op, convert_to_tensor,
                          get_default_graph, group_by_args)
from minitf.opdef import lookup
from minitf.tensor_shape import TensorShape
from minitf.protos import attr_value_pb2, graph_pb2, node_def_pb2

from .tensors import (dtype_from_enum, make_ndarray, make_tensor_proto, shape_from_proto,
                      shape_to_proto)

# TF reads scalar placeholder shapes correctly from producer 22 on (reference §1.8).
GRAPH_DEF_PRODUCER = 27


# -- attrs ---------------------------------------------------------------------------------------
def _attr_kind(opdef, name):
    kind = opdef.attr_kinds.get(name)
    if kind is not None:
        return kind
    for a in opdef.args:
        if a.type_attr == name:
            return "type"
        if a.number_attr == name:
            return "int"
        if a.type_list_attr == name:
            return "list(type)"
    return None


def attr_to_proto(value, kind: str, av=None) -> attr_value_pb2.AttrValue:
    av = av if av is not None else attr_value_pb2.AttrValue()
    if kind == "string":
        av.s = value.encode() if isinstance(value, str) else bytes(value)
    elif kind == "int":
        av.i = int(value)
    elif kind == "float":
        av.f = float(value)
    elif kind == "bool":
        av.b = bool(value)
    elif kind == "type":
        av.type = _dt.as_dtype(value).as_datatype_enum
    elif kind == "shape":
        av.shape.SetInParent()  # a scalar shape has no fields, but the attr must be present
        shape_to_proto(value, av.shape)
    elif kind == "tensor":
        av.tensor.CopyFrom(make_tensor_proto(value))
    elif kind.startswith("list("):
        lst = av.list
        lst.SetInParent()  # an empty list is written as `list {}`, not left unset
        inner = kind[5:-1]
        for v in value:
            if inner == "int":
                lst.i.append(int(v))
            elif inner == "float":
                lst.f.append(float(v))
            elif inner == "bool":
                lst.b.append(bool(v))
            elif inner == "string":
                lst.s.append(v.encode() if isinstance(v, str) else bytes(v))
            elif inner == "type":
                lst.type.append(_dt.as_dtype(v).as_datatype_enum)
            elif inner == "shape":
                shape_to_proto(v, lst.shape.add())
    else:
        raise ValueError(f"unknown attr kind {kind}")
    return av


_ONEOF_KIND = {"s": "string", "i": "int", "f": "float", "b": "bool", "type": "type",
               "shape": "shape", "tensor": "tensor"}


def attr_from_proto(av, kind: str, what: str, content=None):
    """The Python value of an AttrValue that should be of ``kind``."""
    which = av.WhichOneof("value")
    if which is None:
        if kind.startswith("list("):
            return []
        raise InvalidArgumentError(None, None, f"{what} has no value")
    if which == "list":
        if not kind.startswith("list("):
            raise InvalidArgumentError(None, None, f"{what} is a list, expected {kind}")
        inner, lst = kind[5:-1], av.list
        if inner == "int":
            return list(lst.i)
        if inner == "float":
            return list(lst.f)
        if inner == "bool":
            return list(lst.b)
        if inner == "string":
            return [_decode(s, what) for s in lst.s]
        if inner == "type":
            return [dtype_from_enum(t, what) for t in lst.type]
        if inner == "shape":
            return [shape_from_proto(s, what) for s in lst.shape]
        raise InvalidArgumentError(None, None, f"{what}: unsupported list kind {kind}")
    got = _ONEOF_KIND.get(which)
    if got != kind:
        raise InvalidArgumentError(None, None, f"{what} holds a {got or which}, expected {kind}")
    if which == "s":
        return _decode(av.s, what)
    if which == "type":
        return dtype_from_enum(av.type, what)
    if which == "shape":
        return shape_from_proto(av.shape, what)
    if which == "tensor":
        return make_ndarray(av.tensor, what, content=content)
    return getattr(av, which)


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgumentError(None, None, f"{what} is not valid UTF-8") from None


# -- export ---------------------------------------------------------------------------------------
def node_def_of(op: Operation, skip_tensor_content=None) -> node_def_pb2.NodeDef:
    """The NodeDef of one op. ``skip_tensor_content(op, key, array)`` returning True leaves a
    tensor attr's raw bytes out (the streaming writer adds them)."""
    node = node_def_pb2.NodeDef()
    node.name = op.name
    node.op = op.type
    node.input.extend(t._as_node_def_input() for t in op.inputs)
    node.input.extend("^" + c.name for c in op.control_inputs)
    node.device = op.device
    if op._colocation:  # TF's attr for tf.colocate_with
        node.attr["_class"].list.s.extend(op._colocation)
    opdef = op.op_def
    for key, value in op._attrs.items():
        kind = _attr_kind(opdef, key)
        if key in opdef.attr_defaults and kind in ("bool", "int", "float", "string", "type",
                                                   "list(int)", "list(string)", "list(float)"):
            default = opdef.attr_defaults[key]
            if _same(value, default):
                continue
        if kind == "tensor" and skip_tensor_content is not None and \
                skip_tensor_content(op, key, value):
            node.attr[key].tensor.CopyFrom(make_tensor_proto(value, with_content=False))
            continue
        attr_to_proto(value, kind, node.attr[key])
    override = op.graph._gradient_overrides.get(op)
    if override is not None:  # TF's attr for a gradient_override_map
        node.attr["_gradient_op_type"].s = override.encode()
    return node


def _same(a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return list(a) == list(b)
    return type(a) is type(b) and a == b


def graph_to_graph_def(graph: Graph, add_shapes: bool = False, ops=None,
                       skip_tensor_content=None) -> graph_pb2.GraphDef:
    """A GraphDef of ``graph`` (or of ``ops`` only, in graph order)."""
    gd = graph_pb2.GraphDef()
    gd.versions.producer = GRAPH_DEF_PRODUCER
    for op in (ops if ops is not None else graph.get_operations()):
        node = node_def_of(op, skip_tensor_content)
        if add_shapes and op.outputs:
            attr_to_proto([t.shape for t in op.outputs], "list(shape)",
                          node.attr["_output_shapes"])
        gd.node.append(node)
    return gd


# -- import ---------------------------------------------------------------------------------------
def _parse_input(text: str):
    """(node name, output index) for "n", "n:1"; (name, -1) for "^n" (TensorFlow's rules)."""
    if text.startswith("^"):
        return text[1:], -1
    name, sep, idx = text.rpartition(":")
    if sep and idx.isdigit():
        return name, int(idx)
    return text, 0


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None,
                     producer_op_list=None, *, source: str = "GraphDef", contents=None,
                     graph: Graph | None = None):
    """``tf.import_graph_def``: adds ``graph_def``'s nodes to the default graph under ``name``
    ("import" when None; "" for no prefix), all or none of them. ``contents`` maps node index
    to raw tensor bytes held outside the proto (zero-copy loading). Returns the
    ``return_elements``, if given."""
    if not isinstance(graph_def, graph_pb2.GraphDef):
        raise TypeError(f"graph_def must be a GraphDef proto, got {type(graph_def).__name__}")
    graph = graph or get_default_graph()
    prefix = ("import" if name is None else name)
    if prefix and not prefix.endswith("/"):
        # TensorFlow opens name_scope(name): a second import under "import" gets "import_1/".
        with graph.as_default():
            prefix = graph.unique_name(prefix) + "/"
    input_map = _input_map_tensors(input_map, name, prefix, graph)
    nodes = list(graph_def.node)
    index = {}
    for i, node in enumerate(nodes):
        if not node.name:
            raise InvalidArgumentError(None, None, f"{source}: node #{i} has no name")
        if node.name in index:
            raise InvalidArgumentError(None, None, f"{source}: duplicate node name "
                                       f"'{node.name}'")
        index[node.name] = i
    order = _topological_order(nodes, index, input_map, source)
    for node in nodes:  # before adding anything: an unknown op leaves the graph as it was
        _opdef_of(node, source)
    names = _import_names(nodes, prefix, graph)
    with graph.as_default(), graph._all_or_nothing():
        created = _import_nodes(nodes, order, names, input_map, graph, source, contents or {})
        _check_input_map_found(input_map, nodes, created)
        if return_elements is None:
            return None
        return [_return_element(r, created, input_map) for r in return_elements]


def _input_map_tensors(input_map, name, prefix, graph) -> dict:
    """``input_map`` keyed by tensor names ("x" -> "x:0"), its values as Tensors: as TF, other
    values become Consts under "<prefix>_inputs/" (so a prefix is needed)."""
    if input_map is None:
        return {}
    if not isinstance(input_map, dict) or not all(isinstance(k, str) for k in input_map):
        raise TypeError("input_map must be a dictionary mapping strings to Tensor objects, "
                        f"got {input_map!r}")
    if not all(isinstance(v, Tensor) for v in input_map.values()):
        if name == "":
            raise ValueError("tf.import_graph_def() requires a non-empty `name` if `input_map` "
                             "contains non-Tensor values. Try calling tf.convert_to_tensor() "
                             "on `input_map` values before calling tf.import_graph_def().")
        with graph.as_default(), graph.name_scope(prefix), graph.name_scope("_inputs"):
            input_map = {k: convert_to_tensor(v) for k, v in input_map.items()}
    return {_norm(k): v for k, v in input_map.items()}


def _check_input_map_found(input_map, nodes, created):
    """TF's check: an input_map key no node reads must at least name an imported output."""
    if not input_map:
        return
    used = {text if idx < 0 else f"{src}:{idx}"
            for n in nodes for text in n.input for src, idx in [_parse_input(text)]}
    unknown = []
    for key in input_map:
        src, idx = _parse_input(key)
        if key not in used and (idx < 0 or src not in created or
                                idx >= len(created[src].outputs)):
            unknown.append(key)
    if unknown:
        raise ValueError(f"Attempted to map inputs that were not found in graph_def: "
                         f"[{', '.join(sorted(unknown))}]")


def _import_names(nodes, prefix, graph) -> dict:
    """Each node's name in ``graph``: prefixed and, if an op or a scope of one has that name,
    suffixed "_1", "_2"... past the names of the GraphDef's own nodes (TF's importer)."""
    names = {n.name: prefix + n.name for n in nodes}
    if not graph._by_name:
        return names
    taken = graph._taken_names()
    planned = None
    for key, name in names.items():
        if name in taken:
            planned = planned or _with_scopes(names.values())
            i = 1
            while f"{name}_{i}" in taken or f"{name}_{i}" in planned:
                i += 1
            names[key] = f"{name}_{i}"
    return names


def _with_scopes(names) -> set:
    """``names`` and the scopes they are in ("a/b/c" adds "a/b" and "a")."""
    return {s for name in names for s in _scopes_of(name)}


class _InputMapDtypeError(Exception):
    """An input_map tensor whose dtype the node's input does not take (TF: a ValueError)."""


def _import_nodes(nodes, order, names, input_map, graph, source, contents) -> dict:
    """Adds the nodes in ``order``; returns GraphDef name -> Operation."""
    created: dict[str, Operation] = {}
    back_edges: list = []  # (Merge op, input position, NextIteration node name)
    colocated = []
    for i in order:
        node = nodes[i]
        groups = _colocation_groups(node, names)
        # As TF's importer: a colocated node takes the device of its group (below), not the
        # device scopes'; another keeps its own device, merged under the scopes'.
        placement = graph.colocate_with(None, ignore_existing=True) if groups else \
            graph.device(node.device) if node.device else contextlib.nullcontext()
        try:
            with placement:
                created[node.name] = op = _import_node(
                    node, names[node.name], created, input_map, graph, source, contents.get(i),
                    back_edges)
        except OpError:
            raise
        except _InputMapDtypeError as e:
            raise ValueError(str(e)) from None
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as e:
            # A malformed node must not escape as a bare Python error (ArithmeticError: an
            # infer dividing by a zero attr, e.g. Split with num_split 0).
            raise InvalidArgumentError(
                None, None, f"{source}: node '{node.name}' ({node.op}): {e}") from None
        if "_gradient_op_type" in node.attr:  # a gradient_override_map's mark
            graph._gradient_overrides[op] = node.attr["_gradient_op_type"].s.decode()
        if groups:
            op._colocation = tuple(groups)
            colocated.append(op)
    for op in colocated:
        op._device = next((d for d in _group_devices(graph, op._colocation) if d), "")
    for merge, k, src, idx in back_edges:
        try:
            merge._update_input(k, created[src]._outputs[idx])
        except TypeError as e:
            raise InvalidArgumentError(None, None, f"{source}: node '{merge.name}': "
                                       f"{e}") from None
    return created


def _colocation_groups(node, names) -> list:
    """The node's ``_class`` groups, naming the ops as imported. A group of a node the GraphDef
    does not hold is dropped (TF refuses it; minitf keeps loading such a pruned graph)."""
    av = node.attr["_class"] if "_class" in node.attr else None
    if av is None or av.WhichOneof("value") != "list":
        return []
    out = []
    for group in av.list.s:
        if not group.startswith(b"loc:@"):
            out.append(group)
            continue
        target = names.get(group[5:].decode("utf-8", "replace"))
        if target is not None:
            out.append(b"loc:@" + target.encode())
    return out


def _group_devices(graph, groups):
    for group in groups:
        op = graph._by_name.get(group[5:].decode()) if group.startswith(b"loc:@") else None
        if op is not None:
            yield op.device


def _return_element(text: str, created: dict, input_map: dict):
    """A return_elements entry: an imported op, or a tensor (input_map's, if it maps it)."""
    node_name, idx = _parse_input(text)
    op = created.get(node_name)
    if op is None or (":" in text and idx >= len(op.outputs)):
        raise ValueError(f"Requested return_element {text!r} not found in graph_def.")
    if ":" not in text:
        return op
    return input_map.get(f"{node_name}:{idx}", op.outputs[idx])


def _norm(key: str) -> str:
    """"x" -> "x:0"; a control key "^x" stays itself (it maps x's control edges)."""
    name, idx = _parse_input(key)
    return key if idx < 0 else f"{name}:{idx}"


def _topological_order(nodes, index, input_map, source) -> list:
    deps = []
    for node in nodes:
        d = set()
        seen_control = False
        for text in node.input:
            src, idx = _parse_input(text)
            if idx < 0:
                seen_control = True
            elif seen_control:
                raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' has data "
                                           f"input '{text}' after a control input")
            if f"{src}:{idx}" in input_map or (idx < 0 and text in input_map):
                continue
            if src not in index:
                raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' has input "
                                           f"'{text}', but there is no node '{src}'")
            if _is_back_edge(node, nodes[index[src]], idx):
                continue  # a while loop's NextIteration -> Merge: joined after both exist
            d.add(index[src])
        deps.append(d)
    users = [[] for _ in nodes]
    for i, d in enumerate(deps):
        for j in d:
            users[j].append(i)
    indeg = [len(d) for d in deps]
    # Lowest index first (TensorFlow's importer keeps a sorted ready set), so a GraphDef that is
    # already in topological order imports in its own order and exports back unchanged.
    ready = [i for i, n in enumerate(indeg) if n == 0]
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for u in users[i]:
            indeg[u] -= 1
            if indeg[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(nodes):
        stuck = min(i for i, n in enumerate(indeg) if n > 0)
        raise InvalidArgumentError(None, None, f"{source}: the graph has a cycle through node "
                                   f"'{nodes[stuck].name}'")
    return order


def _is_back_edge(node, src_node, idx: int) -> bool:
    """A while loop's back edge (TF's importer makes the same exception to the order)."""
    return idx >= 0 and node.op in ("Merge", "RefMerge") and \
        src_node.op in ("NextIteration", "RefNextIteration")


def _opdef_of(node, source):
    opdef = lookup(node.op)
    if opdef is None:
        raise UnimplementedError(None, None, f"{source}: node '{node.name}' uses op type "
                                 f"'{node.op}', which minitf does not support")
    return opdef


def _import_node(node, op_name, created, input_map, graph, source, content, back_edges):
    opdef = _opdef_of(node, source)
    what = f"{source}: node '{node.name}' ({node.op}) attr"
    attrs = {}
    for key, av in node.attr.items():
        if key.startswith("_"):
            continue  # TensorFlow-internal (_output_shapes...; _class: _colocation_groups)
        kind = _attr_kind(opdef, key)
        if kind is None:
            continue  # an attr from a newer TensorFlow we do not model: ignored, as TF does
        attrs[key] = attr_from_proto(av, kind, f"{what} '{key}'",
                                     content if key == "value" else None)
    inputs, controls, mapped = [], [], set()
    pending = []  # back edges: (input position, NextIteration node), joined by the caller
    for text in node.input:
        src, idx = _parse_input(text)
        if idx < 0:  # "^src" in input_map moves the control edge to the mapped op (TF)
            mapped_op = input_map.get("^" + src)
            controls.append(created[src] if mapped_op is None else mapped_op.op)
            continue
        if f"{src}:{idx}" in input_map:
            mapped.add(len(inputs))
            inputs.append(input_map[f"{src}:{idx}"])
            continue
        if src not in created:  # a back edge (see _is_back_edge): for now, another input
            pending.append((len(inputs), src, idx))
            inputs.append(None)
            continue
        op = created[src]
        if idx >= len(op.outputs):
            raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' has input "
                                       f"'{text}', but '{src}' has only {len(op.outputs)} "
                                       "outputs")
        inputs.append(op.outputs[idx])
    if pending:
        others = [t for t in inputs if t is not None]
        if not others:
            raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' ({node.op}) "
                                       "has no input from outside its loop")
        for k, _, _ in pending:
            inputs[k] = others[0]
    if mapped:
        _check_mapped_dtypes(opdef, inputs, attrs, mapped, op_name)
    args = _group(opdef, inputs, attrs, node, source)
    try:
        op = apply_op(opdef, args, attrs, op_name, graph=graph, exact_name=True,
                      strict_attrs=False, control_inputs=controls)
    except OpError as e:
        raise type(e)(None, None, f"{source}: node '{node.name}' ({node.op}): "
                      f"{e.message}") from None
    # As TensorFlow's importer does: imported names count as used, so ops added later under the
    # same name are uniquified ("probs_1") instead of clashing.
    graph._names_in_use.setdefault(op.name.lower(), 1)
    if pending:
        # The values a loop variable takes may differ in shape from its first (TF1's shape
        # invariants are not in the GraphDef): nothing static is assumed about them.
        op._outputs[0]._shape = TensorShape(None)
        back_edges.extend((op, k, src, idx) for k, src, idx in pending)
    return op


def _check_mapped_dtypes(opdef, inputs, attrs, mapped, op_name):
    """Raises TF's error for an input_map tensor whose dtype the node's input does not take
    (as far as the node's attrs tell the dtypes)."""
    wants = []  # the dtype of each flat input (None: not fixed by an attr)
    for spec in opdef.args:
        if spec.type_list_attr:
            wants.extend(attrs.get(spec.type_list_attr) or [])
        elif spec.number_attr:
            count = attrs.get(spec.number_attr, 0)
            if not 0 <= count <= len(inputs):
                return  # malformed: _group reports it
            wants.extend([spec.fixed_dtype or attrs.get(spec.type_attr)] * count)
        else:
            wants.append(spec.fixed_dtype or attrs.get(spec.type_attr))
    if len(wants) != len(inputs):
        return  # malformed: _group reports it
    for k in sorted(mapped):
        t, want = inputs[k], wants[k]
        if want is not None and t.dtype.base_dtype != want.base_dtype:
            raise _InputMapDtypeError(
                f"Input {k} of node {op_name} was passed {_dt.dtype_string(t.dtype)} from "
                f"{t.name} incompatible with expected {_dt.dtype_string(want)}.")


def _group(opdef, inputs, attrs, node, source):
    """Splits a NodeDef's flat inputs into the OpDef's arguments (lists for N*T)."""
    lists = [a for a in opdef.args if a.is_list]
    n_single = len(opdef.args) - len(lists)
    if lists:
        counts = {}  # list argument's count attr -> its length (N, or len(U))
        for a in lists:
            key = a.number_attr or a.type_list_attr
            if key in attrs:
                given = attrs.pop(key)
                counts[key] = given if a.number_attr else len(given)
        spare = len(inputs) - n_single - sum(counts.values())
        missing = [a for a in lists if (a.number_attr or a.type_list_attr) not in counts]
        if len(missing) == 1 and spare >= 0:
            counts[missing[0].number_attr or missing[0].type_list_attr] = spare
        expected = n_single + sum(counts.get(a.number_attr or a.type_list_attr, 0)
                                  for a in lists)
    else:
        expected = n_single
    if len(inputs) != expected or (lists and any(
            (a.number_attr or a.type_list_attr) not in counts for a in lists)):
        raise InvalidArgumentError(None, None, f"{source}: node '{node.name}' ({node.op}) has "
                                   f"{len(inputs)} inputs, expected {expected}")
    return group_by_args(opdef, inputs, counts) if lists else inputs


# -- loading files --------------------------------------------------------------------------------
def parse_text_proto(data, message, source: str, what: str):
    """Parses TensorFlow's text format (``data``: str or bytes) into ``message``; returns it.

    Every text-format read of a TF file goes through here. Fields a newer TensorFlow writes
    that our protos do not declare (NodeDef's ``experimental_type``, OpDef's
    ``experimental_full_type``...) are skipped, as the binary parser keeps them aside as
    unknown fields; minitf never reads them."""
    from google.protobuf import text_format

    from minitf.errors import DataLossError

    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        text_format.Parse(text, message, allow_unknown_field=True)
    except (UnicodeDecodeError, text_format.ParseError) as e:
        raise DataLossError(None, None, f"{source}: not a valid text {what}: {e}") from None
    return message


def parse_graph_def(data: bytes, source: str) -> graph_pb2.GraphDef:
    from google.protobuf.message import DecodeError

    gd = graph_pb2.GraphDef()
    try:
        gd.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as e:
        from minitf.errors import DataLossError

        raise DataLossError(None, None, f"{source}: not a valid GraphDef protobuf (truncated "
                            f"or corrupt): {e}") from None
    if not len(gd.node):
        raise InvalidArgumentError(None, None, f"{source}: the GraphDef has no nodes; is this "
                                   "a model file?")
    return gd


def graph_from_graph_def(gd, source="GraphDef", contents=None) -> Graph:
    """A new Graph holding ``gd``'s nodes under their own names."""
    graph = Graph()
    import_graph_def(gd, name="", source=source, contents=contents, graph=graph)
    return graph


def tensor_by_name(graph: Graph, name: str, source: str) -> Tensor:
    try:
        return graph.get_tensor_by_name(name if ":" in name else name + ":0")
    except (KeyError, ValueError):
        raise NotFoundError(None, None, f"{source}: tensor '{name}' is not in the "
                            "graph") from None
