"""Graph <-> GraphDef with TensorFlow's op names and attrs (the OpDefs are the contract).

Export writes every attr, defaulted ones included, as TensorFlow's ``as_graph_def`` and
``node_def`` do (an op's defaults are filled in when it is made), and each op's device and
colocation (``_class``). With ``strip_default_attrs`` (TF's ``export_meta_graph`` and
SavedModelBuilder option, and minitf's own frozen export: old readers never see attrs they do
not know, and TensorFlow's importer fills the defaults back in) attrs at their default are left
out. Import accepts what TensorFlow writes: ``Add`` and ``AddV2``,
``name:index`` / ``^control`` inputs in any node order, unknown attrs (ignored), ``_``-prefixed
attrs (kept on the op as given, but ``_class``: colocation, and ``_output_shapes``), missing
defaulted attrs, typed value lists; like TensorFlow's, it
uniquifies names already in the graph and adds all nodes or none.

The attr codec is in graph_def_attrs.py and the node-by-node import in graph_def_import.py;
their names other modules use are re-exported here.
"""

from __future__ import annotations

from minitf.errors import InvalidArgumentError, NotFoundError
from minitf.graph import Graph, Operation, Tensor, get_default_graph
from minitf.protos import graph_pb2, node_def_pb2

from .functions import inline_functions
from .graph_def_attrs import _attr_kind, attr_from_proto, attr_to_proto  # noqa: F401
from .graph_def_import import (_import_names, _import_nodes, _input_map_tensors,
                               _opdef_of, _parse_input, _return_element, _topological_order)
from .tensors import make_tensor_proto

# TF reads scalar placeholder shapes correctly from producer 22 on (reference §1.8).
GRAPH_DEF_PRODUCER = 27


# -- export ---------------------------------------------------------------------------------------
# The attr kinds stripping leaves out at their default (as they always have been): a shape,
# tensor or list(type) default is written, which TF's importer takes as well.
_STRIPPED_KINDS = ("bool", "int", "float", "string", "type", "list(int)", "list(string)",
                   "list(float)")


def node_def_of(op: Operation, skip_tensor_content=None,
                strip_default_attrs: bool = False) -> node_def_pb2.NodeDef:
    """The NodeDef of one op: all its attrs, as TF's ``Operation.node_def``, or with
    ``strip_default_attrs`` those at their declared default left out.
    ``skip_tensor_content(op, key, array)`` returning True leaves a tensor attr's raw bytes
    out (the streaming writer adds them)."""
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
        if strip_default_attrs and key in opdef.attr_defaults and kind in _STRIPPED_KINDS \
                and _same(value, opdef.attr_defaults[key]):
            continue
        if kind == "tensor" and skip_tensor_content is not None and \
                skip_tensor_content(op, key, value):
            node.attr[key].tensor.CopyFrom(make_tensor_proto(value, with_content=False))
            continue
        attr_to_proto(value, kind, node.attr[key])
    override = op.graph._gradient_overrides.get(op)
    if override is not None:  # TF's attr for a gradient_override_map
        node.attr["_gradient_op_type"].s = override.encode()
    for key, av in (op._marks or {}).items():  # attrs set with _set_attr, as given
        node.attr[key].CopyFrom(av)
    return node


def _same(a, b) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return list(a) == list(b)
    return type(a) is type(b) and a == b


def graph_to_graph_def(graph: Graph, add_shapes: bool = False, ops=None,
                       skip_tensor_content=None,
                       strip_default_attrs: bool = False) -> graph_pb2.GraphDef:
    """A GraphDef of ``graph`` (or of ``ops`` only, in graph order)."""
    gd = graph_pb2.GraphDef()
    gd.versions.producer = GRAPH_DEF_PRODUCER
    for op in (ops if ops is not None else graph.get_operations()):
        node = node_def_of(op, skip_tensor_content, strip_default_attrs)
        if add_shapes and op.outputs:
            attr_to_proto([t.shape for t in op.outputs], "list(shape)",
                          node.attr["_output_shapes"])
        gd.node.append(node)
    return gd


def strip_default_valued_attrs(graph_def: graph_pb2.GraphDef) -> graph_pb2.GraphDef:
    """TF's ``strip_graph_default_valued_attrs`` on a GraphDef, in place (its functions'
    nodes too): the attrs ``node_def_of(strip_default_attrs=True)`` leaves out, removed where
    they equal minitf's declared default as TF compares them (AttrValue protos). Nodes calling
    a function of the library, or of an op minitf does not know, are left as they are."""
    from minitf.opdef import lookup

    functions = {f.signature.name for f in graph_def.library.function}

    def strip(node):
        opdef = None if node.op in functions else lookup(node.op)
        if opdef is None:
            return
        for key in [k for k in node.attr if k in opdef.attr_defaults]:
            kind = _attr_kind(opdef, key)
            if kind in _STRIPPED_KINDS and node.attr[key].SerializeToString(deterministic=True) \
                    == attr_to_proto(opdef.attr_defaults[key], kind).SerializeToString(
                        deterministic=True):
                del node.attr[key]

    for node in graph_def.node:
        strip(node)
    for function in graph_def.library.function:
        for node in function.node_def:
            strip(node)
    return graph_def


# -- import ---------------------------------------------------------------------------------------
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
    if prefix:
        _check_scope_name(prefix, graph)
    if prefix and not prefix.endswith("/"):
        # TensorFlow opens name_scope(name): a second import under "import" gets "import_1/".
        with graph.as_default():
            prefix = graph.unique_name(prefix) + "/"
    input_map = _input_map_tensors(input_map, name, prefix, graph)
    for key, value in input_map.items():
        if value.graph is not graph:  # TF's check, before anything is added
            raise ValueError(f"node '{value.op.name}' in input_map does not exist in graph "
                             f"(input_map entry: {key}->{value.name})")
    try:
        return _import(graph_def, input_map, return_elements, prefix, source, contents, graph)
    except InvalidArgumentError as e:
        # TF raises a ValueError for whatever the import refuses. minitf keeps
        # InvalidArgumentError for a GraphDef that is bad by itself (a bad model file), and
        # raises TF's ValueError when input_map's tensors caused it (a shape the nodes reading
        # them cannot take): the GraphDef alone imports.
        if input_map and _imports_alone(graph_def, source, contents):
            raise ValueError(e.message) from None
        raise


def _check_scope_name(name: str, graph: Graph):
    """TF's name_scope check of import_graph_def's ``name`` (a ValueError, as TF's)."""
    from minitf.graph import _VALID_OP_NAME, _VALID_SCOPE_NAME

    if graph._name_stack:  # inside a scope a name may start with "_", "-", "/" or "\\"
        if not _VALID_SCOPE_NAME.match(name):
            raise ValueError(f"'{name}' is not a valid scope name. A scope name has to match "
                             f"the following pattern: {_VALID_SCOPE_NAME.pattern}")
    elif not _VALID_OP_NAME.match(name):
        raise ValueError(f"'{name}' is not a valid root scope name. A root scope name has to "
                         f"match the following pattern: {_VALID_OP_NAME.pattern}")


def _imports_alone(graph_def, source, contents) -> bool:
    """Whether ``graph_def`` imports into a graph of its own, without an input_map."""
    try:
        _import(graph_def, {}, None, "", source, contents, Graph())
    except (InvalidArgumentError, ValueError):
        return False
    return True


def _import(graph_def, input_map, return_elements, prefix, source, contents, graph):
    graph_def = inline_functions(graph_def, source)  # TF2's graphs call functions
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


# -- loading files --------------------------------------------------------------------------------
def parse_text_proto(data, message, source: str, what: str):
    """Parses TensorFlow's text format (``data``: str or bytes) into ``message``; returns it.

    Every text-format read of a TF file goes through here. Fields a newer TensorFlow writes
    that our protos do not declare (OpDef's ``experimental_full_type``...) are skipped, as
    the binary parser keeps them aside as unknown fields; minitf never reads them."""
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
