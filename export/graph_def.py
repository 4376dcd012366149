"""Graph <-> GraphDef with TensorFlow's op names and attrs (the OpDefs are the contract).

Export writes every derived and required attr and leaves defaulted attrs out (TensorFlow's
importer fills defaults in, and old readers never see attrs they do not know). Import accepts
what TensorFlow writes: ``Add`` and ``AddV2``, ``name:index`` / ``^control`` inputs in any node
order, unknown and ``_``-prefixed attrs (ignored), missing defaulted attrs, typed value lists.
"""

from __future__ import annotations

import heapq

from minitf import dtypes as _dt
from minitf.errors import (InvalidArgumentError, NotFoundError, OpError,
                           UnimplementedError)
from minitf.graph import (Graph, Operation, Tensor, apply_op, get_default_graph,
                          group_by_args)
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
    ("import" when None; "" for no prefix). ``contents`` maps node index to raw tensor bytes
    held outside the proto (zero-copy loading). Returns the ``return_elements``, if given."""
    if not isinstance(graph_def, graph_pb2.GraphDef):
        raise TypeError(f"graph_def must be a GraphDef proto, got {type(graph_def).__name__}")
    graph = graph or get_default_graph()
    prefix = ("import" if name is None else name)
    if prefix and not prefix.endswith("/"):
        # TensorFlow opens name_scope(name): a second import under "import" gets "import_1/".
        with graph.as_default():
            prefix = graph.unique_name(prefix) + "/"
    input_map = {(_norm(k)): v for k, v in (input_map or {}).items()}
    for k, v in input_map.items():
        if not isinstance(v, Tensor):
            raise TypeError(f"input_map values must be Tensors, got {v!r} for {k!r}")
    nodes = list(graph_def.node)
    index = {}
    for i, node in enumerate(nodes):
        if not node.name:
            raise InvalidArgumentError(None, None, f"{source}: node #{i} has no name")
        if node.name in index:
            raise InvalidArgumentError(None, None, f"{source}: duplicate node name "
                                       f"'{node.name}'")
        index[node.name] = i
    unknown = sorted(k for k in input_map if _parse_input(k)[0] not in index)
    if unknown:  # TensorFlow's check and message
        raise ValueError(f"Attempted to map inputs that were not found in graph_def: "
                         f"[{', '.join(unknown)}]")
    order = _topological_order(nodes, index, input_map, source)
    for node in nodes:  # before adding anything: an unknown op leaves the graph as it was
        _opdef_of(node, source)
    created: dict[str, Operation] = {}
    back_edges: list = []  # (Merge op, input position, NextIteration node name)
    with graph.as_default():
        for i in order:
            node = nodes[i]
            try:
                created[node.name] = op = _import_node(node, created, input_map, prefix,
                                                       graph, source, (contents or {}).get(i),
                                                       back_edges)
                if "_gradient_op_type" in node.attr:  # a gradient_override_map's mark
                    graph._gradient_overrides[op] = node.attr["_gradient_op_type"].s.decode()
            except OpError:
                raise
            except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as e:
                # A malformed node must not escape as a bare Python error (ArithmeticError: an
                # infer dividing by a zero attr, e.g. Split with num_split 0).
                raise InvalidArgumentError(
                    None, None, f"{source}: node '{node.name}' ({node.op}): {e}") from None
        for merge, k, src, idx in back_edges:
            try:
                merge._update_input(k, created[src]._outputs[idx])
            except TypeError as e:
                raise InvalidArgumentError(None, None, f"{source}: node '{merge.name}': "
                                           f"{e}") from None
    if return_elements is None:
        return None
    out = []
    for r in return_elements:
        node_name, idx = _parse_input(r)
        op = created.get(node_name)
        if op is None:
            raise ValueError(f"Requested return_element {r!r} not found in graph_def.")
        if ":" in r:
            if idx >= len(op.outputs):
                raise ValueError(f"Requested return_element {r!r} not found in graph_def.")
            out.append(op.outputs[idx])
        else:
            out.append(op)
    return out


def _norm(key: str) -> str:
    name, idx = _parse_input(key)
    return f"{name}:{max(idx, 0)}"


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
            if idx >= 0 and f"{src}:{idx}" in input_map:
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


def _import_node(node, created, input_map, prefix, graph, source, content, back_edges):
    opdef = _opdef_of(node, source)
    what = f"{source}: node '{node.name}' ({node.op}) attr"
    attrs = {}
    for key, av in node.attr.items():
        if key.startswith("_"):
            continue  # TensorFlow-internal (_class, _output_shapes...)
        kind = _attr_kind(opdef, key)
        if kind is None:
            continue  # an attr from a newer TensorFlow we do not model: ignored, as TF does
        attrs[key] = attr_from_proto(av, kind, f"{what} '{key}'",
                                     content if key == "value" else None)
    inputs, controls = [], []
    pending = []  # back edges: (input position, NextIteration node), joined by the caller
    for text in node.input:
        src, idx = _parse_input(text)
        if idx < 0:
            controls.append(created[src])
            continue
        mapped = input_map.get(f"{src}:{idx}")
        if mapped is not None:
            inputs.append(mapped)
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
    args = _group(opdef, inputs, attrs, node, source)
    try:
        op = apply_op(opdef, args, attrs, prefix + node.name, graph=graph, exact_name=True,
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
