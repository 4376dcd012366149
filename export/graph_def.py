"""Graph <-> GraphDef with TensorFlow's op names and attrs (the OpDefs are the contract).

Export writes every attr, defaulted ones included, as TensorFlow's ``as_graph_def`` and
``node_def`` do (an op's defaults are filled in when it is made), and each op's device and
colocation (``_class``). With ``strip_default_attrs`` (TF's ``export_meta_graph`` and
SavedModelBuilder option, and minitf's own frozen export: old readers never see attrs they do
not know, and TensorFlow's importer fills the defaults back in) attrs at their default are left
out. Import accepts what TensorFlow writes: ``Add`` and ``AddV2``,
``name:index`` / ``^control`` inputs in any node order, unknown attrs (ignored), ``_``-prefixed
attrs (kept on the op as given, but ``_class``: colocation, and ``_output_shapes``: they
refine the outputs' static shapes), missing defaulted attrs, typed value lists; like
TensorFlow's, it checks the GraphDef's versions and required attrs, merges its versions into
the graph's, and
uniquifies names already in the graph and adds all nodes or none.

The attr codec is in graph_def_attrs.py and the node-by-node import in graph_def_import.py;
their names other modules use are re-exported here.
"""

from __future__ import annotations

import weakref

from minitf.errors import InvalidArgumentError, NotFoundError
from minitf.graph import Graph, Operation, Tensor, get_default_graph
from minitf.protos import graph_pb2, node_def_pb2, op_def_pb2, versions_pb2

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
    opdef = op._opdef
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
    gd.versions.CopyFrom(graph_versions(graph))
    for op in (ops if ops is not None else graph.get_operations()):
        node = node_def_of(op, skip_tensor_content, strip_default_attrs)
        if add_shapes and op.outputs:
            attr_to_proto([t.shape for t in op.outputs], "list(shape)",
                          node.attr["_output_shapes"])
        gd.node.append(node)
    return gd


# graph -> its VersionDef once GraphDefs were imported into it (as TF merges them)
_GRAPH_VERSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def graph_versions(graph: Graph) -> versions_pb2.VersionDef:
    """The VersionDef ``graph``'s GraphDefs carry (``Graph.graph_def_versions``, a new proto):
    minitf's producer, merged with those of the GraphDefs imported into it."""
    versions = versions_pb2.VersionDef(producer=GRAPH_DEF_PRODUCER)
    merged = _GRAPH_VERSIONS.get(graph)
    if merged is not None:
        versions.CopyFrom(merged)
    return versions


def _merge_versions(graph: Graph, theirs) -> None:
    """TF's importer: the graph's producer becomes the lowest, its min_consumer the highest,
    and the bad consumers all of them."""
    versions = graph_versions(graph)
    versions.producer = min(versions.producer, theirs.producer)
    versions.min_consumer = max(versions.min_consumer, theirs.min_consumer)
    bad = sorted(set(versions.bad_consumers) | set(theirs.bad_consumers))
    del versions.bad_consumers[:]
    versions.bad_consumers.extend(bad)
    _GRAPH_VERSIONS[graph] = versions


def _check_versions(versions, source: str) -> None:
    """TF's CheckVersions of a GraphDef, minitf being consumer GRAPH_DEF_VERSION (TF's
    ValueError: a bad GraphDef's InvalidArgumentError is one)."""
    from minitf.tf1_extras import (GRAPH_DEF_VERSION, GRAPH_DEF_VERSION_MIN_PRODUCER,
                                   VERSION)

    why = None
    if versions.producer < GRAPH_DEF_VERSION_MIN_PRODUCER:
        why = (f"GraphDef producer version {versions.producer} below min producer "
               f"{GRAPH_DEF_VERSION_MIN_PRODUCER} supported by TensorFlow {VERSION}.  Please "
               "regenerate your graph.")
    elif versions.min_consumer > GRAPH_DEF_VERSION:
        why = (f"GraphDef min consumer version {versions.min_consumer} above current version "
               f"{GRAPH_DEF_VERSION} for TensorFlow {VERSION}.  Please upgrade TensorFlow.")
    elif GRAPH_DEF_VERSION in versions.bad_consumers:
        why = (f"GraphDef disallows consumer version {GRAPH_DEF_VERSION}.  Please upgrade "
               "TensorFlow: this version is likely buggy.")
    if why is not None:
        raise InvalidArgumentError(None, None, f"{source}: {why}")


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


# -- OpDef protos ---------------------------------------------------------------------------------
# TF's defaults for attrs minitf derives from the inputs, where its declaration does not give
# them (a dtype after "=" is the default otherwise); None: TF's OpDef has no default. Facts
# from TensorFlow 2.21's registry (tests/export/test_graph_import_probe_fixes.py re-derives them
# where TensorFlow is installed). A NodeDef may leave out an attr with a default only.
TF_DERIVED_DEFAULTS = {
    "Angle": {"T": "complex64"}, "CTCBeamSearchDecoder": {"T": "float32"},
    "CTCGreedyDecoder": {"T": "float32"}, "CTCLoss": {"T": "float32"}, "Complex": {"T": "float32"},
    "ComplexAbs": {"T": "complex64"}, "Conj": {"T": "complex64"}, "FFT": {"Tcomplex": "complex64"},
    "FFT2D": {"Tcomplex": "complex64"}, "FFT3D": {"Tcomplex": "complex64"},
    "FFTND": {"Tcomplex": "complex64"}, "GatherV2": {"Tindices": None, "Taxis": None},
    "IFFT": {"Tcomplex": "complex64"}, "IFFT2D": {"Tcomplex": "complex64"},
    "IFFT3D": {"Tcomplex": "complex64"}, "IFFTND": {"Tcomplex": "complex64"},
    "IRFFT": {"Tcomplex": "complex64"}, "IRFFT2D": {"Tcomplex": "complex64"},
    "IRFFT3D": {"Tcomplex": "complex64"}, "IRFFTND": {"Tcomplex": "complex64"},
    "Imag": {"T": "complex64"}, "LRN": {"T": "float32"}, "LRNGrad": {"T": "float32"},
    "LeakyRelu": {"T": "float32"}, "LeakyReluGrad": {"T": "float32"},
    "LinSpace": {"Tidx": "int32"}, "MatrixBandPart": {"Tindex": "int64"},
    "MaxPool": {"T": "float32"}, "MaxPool3DGrad": {"TInput": "float32", "T": "float32"},
    "MaxPoolGrad": {"T": "float32"}, "MaxPoolGradV2": {"T": "float32"},
    "MaxPoolV2": {"T": "float32"}, "ParseSequenceExample": {"Tcontext_dense": []},
    "ParseSequenceExampleV2": {"Tcontext_dense": []},
    "ParseSingleSequenceExample": {"Ncontext_sparse": 0, "Ncontext_dense": 0,
                                   "Nfeature_list_sparse": 0, "Nfeature_list_dense": 0,
                                   "Tcontext_dense": []},
    "RFFT": {"Treal": "float32"}, "RFFT2D": {"Treal": "float32"}, "RFFT3D": {"Treal": "float32"},
    "RFFTND": {"Treal": "float32"}, "RaggedGather": {"Tindices": None},
    "RaggedTensorToSparse": {"Tsplits": "int64"}, "Real": {"T": "complex64"},
    "SegmentMax": {"Tindices": None}, "SegmentMaxV2": {"Tindices": None},
    "SegmentMean": {"Tindices": None}, "SegmentMin": {"Tindices": None},
    "SegmentMinV2": {"Tindices": None}, "SegmentProd": {"Tindices": None},
    "SegmentProdV2": {"Tindices": None}, "SegmentSum": {"Tindices": None},
    "SegmentSumV2": {"Tindices": None}, "Slice": {"Index": None},
    "SparseMatMul": {"Ta": "float32", "Tb": "float32"}, "StatefulRandomBinomial": {"T": "float64"},
    "StatefulUniformInt": {"dtype": "int64"}, "StatelessMultinomial": {"Tseed": "int64"},
    "StatelessParameterizedTruncatedNormal": {"Tseed": "int64"},
    "StatelessRandomBinomial": {"Tseed": "int64", "T": "float64"},
    "StatelessRandomGammaV2": {"Tseed": "int64"},
    "StatelessRandomGammaV3": {"shape_dtype": "int32"},
    "StatelessRandomGetKeyCounter": {"Tseed": "int64"},
    "StatelessRandomGetKeyCounterAlg": {"Tseed": "int64"},
    "StatelessRandomNormal": {"T": "int32", "Tseed": "int64"},
    "StatelessRandomNormalV2": {"Tshape": "int32"}, "StatelessRandomPoisson": {"Tseed": "int64"},
    "StatelessRandomUniform": {"T": "int32", "Tseed": "int64"},
    "StatelessRandomUniformFullInt": {"T": "int32", "Tseed": "int64"},
    "StatelessRandomUniformFullIntV2": {"Tshape": "int32"},
    "StatelessRandomUniformInt": {"Tseed": "int64"},
    "StatelessRandomUniformIntV2": {"Tshape": "int32"},
    "StatelessRandomUniformV2": {"Tshape": "int32"},
    "StatelessTruncatedNormal": {"T": "int32", "Tseed": "int64"},
    "StatelessTruncatedNormalV2": {"Tshape": "int32"}, "StridedSlice": {"Index": None},
    "StridedSliceAssign": {"Index": None}, "StridedSliceGrad": {"Index": None},
    "TensorStridedSliceUpdate": {"Index": None}, "UnsortedSegmentMax": {"Tindices": None},
    "UnsortedSegmentMin": {"Tindices": None}, "UnsortedSegmentProd": {"Tindices": None},
    "UnsortedSegmentSum": {"Tindices": None},
}
_OP_DEF_PROTOS: dict = {}  # op type -> (minitf OpDef, its proto)


def op_def_proto(opdef) -> op_def_pb2.OpDef:
    """TF's OpDef proto of a minitf declaration (``Operation.op_def``, a new proto each time as
    TF's): its inputs, attrs (the derived ``T``, ``N``... too) with their defaults and allowed
    types, and statefulness. minitf declares no outputs: they are named where TF's registry
    facts give them (core/raw_ops_outputs.py, the ops with several outputs or a list)."""
    proto = op_def_pb2.OpDef()
    proto.CopyFrom(_op_def(opdef))
    return proto


def _op_def(opdef) -> op_def_pb2.OpDef:
    """The cached proto (not to be changed)."""
    cached = _OP_DEF_PROTOS.get(opdef.type)
    if cached is None or cached[0] is not opdef:
        cached = _OP_DEF_PROTOS[opdef.type] = (opdef, _build_op_def(opdef))
    return cached[1]


def _build_op_def(opdef) -> op_def_pb2.OpDef:
    from minitf.op_type_constraints import ALLOWED
    from minitf.raw_ops_outputs import OUTPUTS

    # An op updating a variable through a reference is not stateful in TF's registry (the
    # reference orders it); minitf's declarations mark such ops stateful.
    proto = op_def_pb2.OpDef(name=opdef.type,
                             is_stateful=bool(opdef.stateful and not opdef.ref_args))
    derived = {}  # a derived attr's default: the dtype Python values convert to, or TF's
    for spec in opdef.args:
        arg = proto.input_arg.add(name=spec.name, is_ref=spec.is_ref)
        if spec.type_list_attr:
            arg.type_list_attr = spec.type_list_attr
            continue
        if spec.number_attr:
            arg.number_attr = spec.number_attr
        if spec.type_attr:
            arg.type_attr = spec.type_attr
            if spec.default_dtype is not None:
                derived.setdefault(spec.type_attr, spec.default_dtype.name)
        else:
            arg.type = spec.fixed_dtype.as_datatype_enum
    derived.update(TF_DERIVED_DEFAULTS.get(opdef.type, {}))
    for text in OUTPUTS.get(opdef.type, ()):
        name, _, count = text.partition("*")
        arg = proto.output_arg.add(name=name)
        if count and _attr_kind(opdef, count) == "int":
            arg.number_attr = count
        elif count:
            arg.type_list_attr = count
    allowed = ALLOWED.get(opdef.type, {})
    for name in (*opdef.attrs, *opdef.derived_attrs):
        kind = _attr_kind(opdef, name)
        attr = proto.attr.add(name=name, type=kind)
        if name in opdef.attr_defaults:
            attr_to_proto(opdef.attr_defaults[name], kind, attr.default_value)
        elif name in opdef.derived_attrs and derived.get(name) is not None:
            attr_to_proto(derived[name], kind, attr.default_value)
        if name in allowed:
            attr.allowed_values.list.type.extend(_datatype_enum(t) for t in allowed[name])
    return proto


def _datatype_enum(name: str) -> int:
    """The DataType of a dtype name TF's constraints list (minitf lacks bfloat16 only)."""
    from minitf import dtypes as _dt
    from minitf.protos import types_pb2

    try:
        return _dt.as_dtype(name).as_datatype_enum
    except TypeError:
        return types_pb2.DataType.Value("DT_" + name.upper())


def _check_attrs_given(node, opdef, op_name: str, source: str) -> None:
    """TF's importer refuses a NodeDef without an attr its OpDef gives no default (its
    ValueError: a bad GraphDef's InvalidArgumentError is one)."""
    proto = _op_def(opdef)
    for attr in proto.attr:
        if attr.name not in node.attr and not attr.HasField("default_value"):
            raise InvalidArgumentError(
                None, None, f"{source}: node '{node.name}' ({node.op}): NodeDef missing attr "
                f"'{attr.name}' from {_summary(proto)}; NodeDef: {{{{node {op_name}}}}}")


def _summary(proto) -> str:
    """An OpDef as TF's errors spell it: ``Op<name=MatMul; signature=a:T, b:T; attr=...>``."""
    from minitf.protos import types_pb2

    def arg(a):
        dtype = a.type_attr or types_pb2.DataType.Name(a.type)[3:].lower()
        kind = a.type_list_attr or (f"{a.number_attr}*" if a.number_attr else "") + dtype
        return f"{a.name}:{f'Ref({kind})' if a.is_ref else kind}"

    signature = ", ".join(arg(a) for a in proto.input_arg)
    if proto.output_arg:
        signature += " -> " + ", ".join(
            a.name + (f":{a.number_attr or a.type_list_attr}" if a.number_attr or
                      a.type_list_attr else "") for a in proto.output_arg)
    parts = [f"name={proto.name}", f"signature={signature}"]
    for attr in proto.attr:
        text = f"attr={attr.name}:{attr.type}"
        if attr.HasField("default_value"):
            text += f",default={_attr_text(attr.default_value)}"
        if attr.allowed_values.list.type:
            text += ",allowed=[" + ", ".join(types_pb2.DataType.Name(t) for t in
                                             attr.allowed_values.list.type) + "]"
        parts.append(text)
    if proto.is_stateful:
        parts.append("is_stateful=true")
    return f"Op<{'; '.join(parts)}>"


def _attr_text(av) -> str:
    """An AttrValue as TF's SummarizeAttrValue spells the simple ones."""
    from minitf.protos import types_pb2

    which = av.WhichOneof("value")
    if which == "b":
        return "true" if av.b else "false"
    if which == "type":
        return types_pb2.DataType.Name(av.type)
    if which == "s":
        return '"' + av.s.decode("utf-8", "replace") + '"'
    if which == "shape":
        from .tensors import shape_from_proto

        return shape_from_proto(av.shape).debug_string()
    if which == "list":
        values = [*av.list.i, *av.list.f, *av.list.s, *av.list.b,
                  *(types_pb2.DataType.Name(t) for t in av.list.type)]
        return "[" + ", ".join(map(str, values)) + "]"
    return str(getattr(av, which)) if which in ("i", "f") else f"<{which}>"


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
    _check_versions(graph_def.versions, source)
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
    opdefs = [_opdef_of(node, source) for node in nodes]  # an unknown op: nothing is added
    names = _import_names(nodes, prefix, graph)
    for node, opdef in zip(nodes, opdefs):
        if opdef.type == node.op:  # (not a TF resource-variable op taking minitf's form)
            _check_attrs_given(node, opdef, names[node.name], source)
    with graph.as_default(), graph._all_or_nothing():
        created = _import_nodes(nodes, order, names, input_map, graph, source, contents or {})
        _check_input_map_found(input_map, nodes, created)
        found = None if return_elements is None else \
            [_return_element(r, created, input_map) for r in return_elements]
        _merge_versions(graph, graph_def.versions)
        return found


def _check_input_map_found(input_map, nodes, created):
    """TF's check: an input_map key no node reads must at least name an imported output, or
    for "^name" an imported node (which no node need have a control edge from)."""
    if not input_map:
        return
    used = {text if idx < 0 else f"{src}:{idx}"
            for n in nodes for text in n.input for src, idx in [_parse_input(text)]}
    unknown = []
    for key in input_map:
        src, idx = _parse_input(key)
        if key not in used and (src not in created or idx >= len(created[src].outputs)):
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
