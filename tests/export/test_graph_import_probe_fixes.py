"""import_graph_def, Operation.op_def, convert_variables_to_constants and get_collection as
TF 1.x (tf.compat.v1 2.21) has them, from a probe comparing the two: ``_output_shapes`` refine
the imported shapes, OpDef protos, TF's import checks (required attrs, versions, colocation,
unknown ops), the controls of an enclosing control_dependencies on every imported op, bytes
names, "^node" input_map keys, an empty whitelist, and a collection's scope filter. The
expected values are TF's, written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.errors import NotFoundError
from minitf.protos import graph_pb2, op_def_pb2, types_pb2


def _set_output_shapes(gd, name, *shapes):
    """Sets node ``name``'s ``_output_shapes`` (a shape: a list of dims, or None: unknown)."""
    node = next(n for n in gd.node if n.name == name)
    lst = node.attr["_output_shapes"].list
    lst.SetInParent()
    del lst.shape[:]
    for dims in shapes:
        s = lst.shape.add()
        if dims is None:
            s.unknown_rank = True
        else:
            for d in dims:
                s.dim.add().size = d
    return gd


def _placeholder_identity(shape):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape, name="x")
        tf.identity(x, name="y")
    return g.as_graph_def()


def _imported(gd, **kwargs):
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="", **kwargs)
    return g


def _mlp():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        tf.nn.relu(tf.matmul(x, tf.constant([[1.0, 2.0], [3.0, 4.0]])), name="y")
    return g.as_graph_def()


# -- _output_shapes -------------------------------------------------------------------------------
def test_output_shapes_refine_the_imported_shapes_and_what_reads_them():
    g = _imported(_set_output_shapes(_placeholder_identity([None, 3]), "x", [5, 3]))
    assert g.get_tensor_by_name("x:0").shape.as_list() == [5, 3]
    assert g.get_tensor_by_name("y:0").shape.as_list() == [5, 3]  # inferred from x's
    # the attr is the importer's: not kept on the op (TF clears it)
    assert "_output_shapes" not in g.get_operation_by_name("x").node_def.attr


def test_output_shapes_give_a_rank_to_an_unknown_shape():
    src = tf.Graph()
    with src.as_default():
        x = tf.placeholder(tf.float32, name="x")
        tf.reshape(x, tf.shape(x), name="z")
    g = _imported(_set_output_shapes(src.as_graph_def(add_shapes=True), "z", [3, 4]))
    assert g.get_tensor_by_name("z:0").shape.as_list() == [3, 4]
    # an unknown-rank entry adds nothing
    g = _imported(_set_output_shapes(_placeholder_identity([None, 3]), "x", None))
    assert g.get_tensor_by_name("x:0").shape.as_list() == [None, 3]


def test_inconsistent_output_shapes_are_refused():
    with pytest.raises(ValueError, match=(
            r"Node 'x' has an _output_shapes attribute inconsistent with the GraphDef for "
            r"output #0: Dimension 1 in both shapes must be equal, but are 3 and 4\. Shapes "
            r"are \[\?,3\] and \[5,4\]\.")):
        _imported(_set_output_shapes(_placeholder_identity([None, 3]), "x", [5, 4]))
    with pytest.raises(ValueError, match="Shapes must be equal rank, but are 2 and 1"):
        _imported(_set_output_shapes(_placeholder_identity([None, 3]), "x", [7]))
    g = tf.Graph()
    with g.as_default():
        tf.split(tf.placeholder(tf.float32, [4, 2], name="x"), 2, name="s")
    with pytest.raises(ValueError, match="Node 's' has 2 outputs but the _output_shapes "
                                         "attribute specifies shapes for 1 outputs"):
        _imported(_set_output_shapes(g.as_graph_def(), "s", [2, 2]))


def test_output_shapes_of_a_placeholder_refuse_another_feed():
    g = _imported(_set_output_shapes(_placeholder_identity(None), "x", [2]))
    with g.as_default(), tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(3,\) for Tensor "
                                             r"x:0, which has shape \(2,\)"):
            sess.run("y:0", {"x:0": [1.0, 2.0, 3.0]})
        assert sess.run("y:0", {"x:0": [1.0, 2.0]}).tolist() == [1.0, 2.0]


# -- Operation.op_def -----------------------------------------------------------------------------
def test_op_def_is_tfs_op_def_proto():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, name="x")
        z = tf.add(x, tf.constant(1.0))
    od = z.op.op_def
    assert isinstance(od, op_def_pb2.OpDef)
    assert (od.name, od.is_stateful) == ("AddV2", False)
    assert [(a.name, a.type_attr) for a in od.input_arg] == [("x", "T"), ("y", "T")]
    [t] = od.attr
    assert (t.name, t.type) == ("T", "type")
    assert types_pb2.DT_FLOAT in t.allowed_values.list.type
    assert types_pb2.DT_BOOL not in t.allowed_values.list.type
    assert op_def_pb2.OpDef.FromString(od.SerializeToString()) == od
    od.name = "changed"  # a new proto each time, as TF's
    assert z.op.op_def.name == "AddV2"


def test_op_def_attrs_defaults_refs_and_statefulness():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0, name="v")
        x = tf.placeholder(tf.float32, [1, 4, 4, 1], name="x")
        pool = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        s = tf.split(x, 2, axis=1)
    attrs = {a.name: a for a in x.op.op_def.attr}
    assert attrs["dtype"].type == "type" and not attrs["dtype"].HasField("default_value")
    assert attrs["shape"].default_value.shape.unknown_rank  # TF's default: unknown shape
    assert v.op.op_def.is_stateful  # VariableV2
    assign = v.initializer.op_def
    assert assign.name == "Assign" and assign.input_arg[0].is_ref
    assert not assign.is_stateful  # as TF's registry: the reference orders it
    pool_attrs = {a.name: a for a in pool.op.op_def.attr}
    assert pool_attrs["T"].default_value.type == types_pb2.DT_FLOAT  # TF's default for T
    assert pool_attrs["data_format"].default_value.s == b"NHWC"
    split = s[0].op.op_def
    assert [a.name for a in split.input_arg] == ["split_dim", "value"]
    assert [(a.name, a.number_attr) for a in split.output_arg] == [("output", "num_split")]


# -- import checks --------------------------------------------------------------------------------
def test_a_node_missing_a_required_attr_is_refused():
    gd = _mlp()
    next(n for n in gd.node if n.op == "MatMul").attr.pop("T")
    with pytest.raises(ValueError, match=r"NodeDef missing attr 'T' from Op<name=MatMul; "
                                         r".*NodeDef: \{\{node import/MatMul\}\}"):
        with tf.Graph().as_default():
            tf.import_graph_def(gd)
    # an attr with a default may be left out, as TF's stripped GraphDefs do (MaxPool's T)
    g = tf.Graph()
    with g.as_default():
        tf.nn.max_pool(tf.placeholder(tf.float32, [1, 2, 2, 1], name="x"), [1, 2, 2, 1],
                       [1, 1, 1, 1], "VALID", name="mp")
    gd = g.as_graph_def()
    for key in ("T", "data_format", "explicit_paddings"):
        next(n for n in gd.node if n.name == "mp").attr.pop(key)
    g = _imported(gd)
    with g.as_default(), tf.Session() as sess:
        got = sess.run("mp:0", {"x:0": np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)})
    assert got.tolist() == [[[[3.0]]]]


def test_versions_are_checked_and_merged_as_tf():
    gd = _mlp()
    gd.versions.min_consumer = 100000
    with pytest.raises(ValueError, match="GraphDef min consumer version 100000 above current "
                                         "version"):
        _imported(gd)
    gd = _mlp()
    gd.versions.bad_consumers.append(tf.GRAPH_DEF_VERSION)
    with pytest.raises(ValueError, match=f"GraphDef disallows consumer version "
                                         f"{tf.GRAPH_DEF_VERSION}"):
        _imported(gd)
    gd = _mlp()
    gd.versions.producer, gd.versions.min_consumer = 5, 3
    gd.versions.bad_consumers.append(7)
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
        assert g.graph_def_versions.producer == tf.GRAPH_DEF_VERSION
        tf.import_graph_def(gd)
    from minitf.export.saved_model import graph_def_chunks

    written = graph_pb2.GraphDef.FromString(b"".join(bytes(c) for c in graph_def_chunks(g).parts))
    for versions in (g.graph_def_versions, g.as_graph_def().versions, written.versions):
        assert (versions.producer, versions.min_consumer, list(versions.bad_consumers)) == \
            (5, 3, [7])
    # a failed import leaves the versions as they were
    g = tf.Graph()
    bad = _mlp()
    bad.versions.producer = 5
    bad.node[-1].op = "NoSuchOpXYZ"
    with g.as_default(), pytest.raises(NotFoundError):
        tf.import_graph_def(bad)
    assert g.graph_def_versions.producer == tf.GRAPH_DEF_VERSION


def test_unknown_op_is_not_found_and_unknown_colocation_is_refused():
    gd = _mlp()
    gd.node[-1].op = "NoSuchOpXYZ"
    with pytest.raises(NotFoundError, match="NoSuchOpXYZ"):
        _imported(gd)
    src = tf.Graph()
    with src.as_default():
        a = tf.constant(1.0, name="a")
        with tf.colocate_with(a):
            tf.identity(a, name="b")
    gd = src.as_graph_def()
    gd.node[1].attr["_class"].list.s[0] = b"loc:@zzz"
    g = tf.Graph()
    with g.as_default(), pytest.raises(
            ValueError, match="Node 'b' expects to be colocated with unknown node 'zzz'"):
        tf.import_graph_def(gd, name="m")
    assert not g.get_operations()


# -- control dependencies, input_map and return_elements ------------------------------------------
def test_every_imported_op_runs_after_the_enclosing_controls():
    src = tf.Graph()
    with src.as_default():
        a = tf.constant(1.0, name="a")
        with tf.control_dependencies([a]):
            b = tf.constant(2.0, name="b")
        tf.add(tf.placeholder(tf.float32, name="x"), b, name="y")
    g = tf.Graph()
    with g.as_default():
        z = tf.constant(0.0, name="z")
        z2 = tf.no_op(name="z2")
        with tf.control_dependencies([z]), tf.control_dependencies([z2]):
            tf.import_graph_def(src.as_graph_def())
            after = tf.identity(g.get_tensor_by_name("import/y:0"), name="after")
    got = {op.name: [c.name for c in op.control_inputs] for op in g.get_operations()}
    assert got == {"z": [], "z2": [], "import/a": ["z", "z2"], "import/b": ["import/a", "z", "z2"],
                   "import/x": ["z", "z2"], "import/y": ["z", "z2"], "after": []}
    assert after.op.control_inputs == []


def test_bytes_names_in_input_map_and_return_elements():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(np.ones((1, 2), np.float32), name="a")
        y, y_op = tf.import_graph_def(_mlp(), input_map={b"x:0": a},
                                      return_elements=[b"y:0", b"y"])
        assert (y.name, y_op.name) == ("import/y:0", "import/y")
        assert g.get_operation_by_name("import/MatMul").inputs[0] is a
        with tf.Session() as sess:
            assert sess.run(y).tolist() == [[4.0, 6.0]]


def test_control_input_map_key_of_a_node_nothing_waits_for():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")
        # node "Const" exists; no node has a control edge from it
        [y] = tf.import_graph_def(_mlp(), input_map={"^Const": a}, return_elements=["y"])
        assert y.name == "import/y"
        with pytest.raises(ValueError, match=r"Attempted to map inputs that were not found in "
                                             r"graph_def: \[\^nope\]"):
            tf.import_graph_def(_mlp(), input_map={"^nope": a})


# -- convert_variables_to_constants and get_collection --------------------------------------------
def test_an_empty_whitelist_converts_no_variable():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(2.0, name="v")
        tf.identity(v, name="out")
        sess = tf.Session()
        sess.run(v.initializer)
        gu = tf.graph_util
        none = gu.convert_variables_to_constants(sess, g.as_graph_def(), ["out"],
                                                 variable_names_whitelist=[])
        every = gu.convert_variables_to_constants(sess, g.as_graph_def(), ["out"],
                                                  variable_names_blacklist=[])
    assert [(n.name, n.op) for n in none.node] == [("v", "VariableV2"), ("v/read", "Identity"),
                                                   ("out", "Identity")]
    assert [(n.name, n.op) for n in every.node] == [("v", "Const"), ("v/read", "Identity"),
                                                    ("out", "Identity")]


def test_get_collection_with_a_scope_leaves_out_items_without_a_name():
    g = tf.Graph()
    with g.as_default():
        a = tf.constant(1.0, name="a")

        class Named:
            name = "foo/zzz"

        named = Named()
        for item in (a, 5, named, None):
            g.add_to_collection("k", item)
        assert g.get_collection("k", scope="") == [a, named]
        assert g.get_collection("k") == [a, 5, named, None]
        assert g.get_collection("k", scope="foo") == [named]
        named.name = None  # TF matches the name: None is no string
        with pytest.raises(TypeError):
            g.get_collection("k", scope="")


def test_graph_def_proto_round_trip_keeps_the_merged_producer():
    gd = _mlp()
    gd.versions.producer = 5
    g = _imported(gd)
    again = graph_pb2.GraphDef.FromString(g.as_graph_def().SerializeToString())
    assert again.versions.producer == 5


# -- TF_DERIVED_DEFAULTS against TensorFlow's registry (skips without TensorFlow) ------------------
_TF_DEFAULTS_PROGRAM = """
import json, sys
from tensorflow.python.framework import dtypes, op_def_registry
derived = json.loads(sys.stdin.read())
table = {}
for op, attrs in sorted(derived.items()):
    theirs = op_def_registry.get(op)
    if theirs is None:
        continue
    by_name = {a.name: a for a in theirs.attr}
    for name, ours in attrs.items():
        a = by_name.get(name)
        if a is None:
            continue
        default = None
        if a.HasField("default_value"):
            v = a.default_value
            which = v.WhichOneof("value")
            default = dtypes.as_dtype(v.type).name if which == "type" else v.i if \\
                which == "i" else [dtypes.as_dtype(t).name for t in v.list.type]
        if default != ours:
            table.setdefault(op, {})[name] = default
print(json.dumps(table))
"""


def test_derived_attr_defaults_are_tensorflows():
    """TF_DERIVED_DEFAULTS holds exactly where TF's defaults for the attrs minitf derives
    differ from its declarations' (a dtype after "="): re-derived from TF's registry."""
    import json

    from minitf.export.graph_def import TF_DERIVED_DEFAULTS
    from minitf.opdef import registered
    from tests.core.legacy_tf import tf_side_json

    derived = {}
    for op_type, opdef in registered().items():
        ours = derived[op_type] = {}
        for a in opdef.args:
            for name in (a.type_attr, a.number_attr, a.type_list_attr):
                if name in opdef.derived_attrs and name not in ours:
                    ours[name] = a.default_dtype.name if name == a.type_attr and \
                        a.default_dtype is not None else None
    theirs = tf_side_json(_TF_DEFAULTS_PROGRAM, legacy_keras=False, stdin=json.dumps(derived))
    assert TF_DERIVED_DEFAULTS == theirs
