"""TF1 methods of TensorShape, Tensor, Variable, VariableScope and Graph that TF1 library code
calls: each checked against the values and messages TF 2.21's tf.compat.v1 gave (hard-coded),
and side by side with TF where it is installed."""

import numpy as np
import pytest

import minitf as tf
from minitf.protos import tensor_shape_pb2


def test_tensor_shape_rank_checks_and_common_shape():
    s = tf.TensorShape([2, None])
    assert s.with_rank_at_least(2) is s and s.with_rank_at_most(2) is s
    with pytest.raises(ValueError, match=r"Shape \(2, \?\) must have rank at least 3"):
        s.with_rank_at_least(3)
    with pytest.raises(ValueError, match=r"Shape \(2, \?\) must have rank at most 1"):
        s.with_rank_at_most(1)
    with pytest.raises(ValueError, match=r"Shapes \(2, \?\) and \(1,\) must have the same rank"):
        s.assert_same_rank(tf.TensorShape([1]))
    s.assert_same_rank(tf.TensorShape(None))  # unknown rank: nothing to compare
    assert tf.TensorShape(None).with_rank_at_least(5).rank is None
    assert s.most_specific_compatible_shape([2, 3]).as_list() == [2, None]
    assert s.most_specific_compatible_shape([3, 3]).as_list() == [None, None]
    assert s.most_specific_compatible_shape([3]).rank is None


def test_tensor_shape_proto_both_ways():
    proto = tf.TensorShape([2, None]).as_proto()
    assert isinstance(proto, tensor_shape_pb2.TensorShapeProto)
    assert [d.size for d in proto.dim] == [2, -1] and not proto.unknown_rank
    assert tf.TensorShape(None).as_proto().unknown_rank
    assert tf.TensorShape([]).as_proto().SerializeToString() == b""
    assert tf.TensorShape(proto).as_list() == [2, None]
    assert tf.TensorShape(tf.TensorShape(None).as_proto()).rank is None


def test_references_hash_and_compare_by_identity():
    a, b = tf.constant(1.0), tf.constant(1.0)
    v = tf.Variable([1.0, 2.0])
    keys = {a.ref(): "a", b.experimental_ref(): "b", v.ref(): "v"}
    assert keys[a.experimental_ref()] == "a" and keys[b.ref()] == "b"
    assert keys[v.experimental_ref()] == "v" and len(keys) == 3
    assert a.ref().deref() is a and v.ref().deref() is v
    assert a.ref() != b.ref() and a.ref() != a


def test_variable_is_initialized_sparse_read_and_gather_nd():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], name="v")
    ready = v.is_initialized()
    rows = v.sparse_read([2, 0])
    picked = v.gather_nd([[1, 0], [2, 1]])
    assert ready.op.type == "IsVariableInitialized"
    assert rows.op.type == "GatherV2" and rows.op.inputs[0].name == "v:0"  # the variable itself
    assert picked.op.type == "GatherNd"
    with tf.Session() as sess:
        assert not sess.run(ready)
        sess.run(v.initializer)
        got_ready, got_rows, got_picked = sess.run([ready, rows, picked])
    assert got_ready
    np.testing.assert_array_equal(got_rows, [[5.0, 6.0], [1.0, 2.0]])
    np.testing.assert_array_equal(got_picked, [3.0, 6.0])


def test_variable_scope_collections_and_recorded_settings():
    with tf.variable_scope("s", caching_device="/cpu:0") as sc:
        tf.get_variable("w", [1])
        tf.get_variable("l", [1], collections=[tf.GraphKeys.LOCAL_VARIABLES])
        with tf.variable_scope("in", use_resource=False) as inner:
            tf.get_variable("x", [1])
    tf.get_variable("sx", [1])  # "s" is a prefix of its name but not its scope
    names = lambda vs: [v.name for v in vs]  # noqa: E731
    assert names(sc.global_variables()) == ["s/w:0", "s/in/x:0"]
    assert names(sc.local_variables()) == ["s/l:0"]
    assert names(sc.trainable_variables()) == ["s/w:0", "s/l:0", "s/in/x:0"]
    assert names(inner.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)) == ["s/in/x:0"]
    assert (sc.caching_device, sc.use_resource) == ("/cpu:0", None)
    assert (inner.caching_device, inner.use_resource) == ("/cpu:0", False)  # inherited
    sc.set_caching_device("/cpu:1")
    sc.set_use_resource(True)
    assert (sc.caching_device, sc.use_resource) == ("/cpu:1", True)


def test_graph_collections_lists_the_names():
    g = tf.Graph()
    with g.as_default():
        tf.Variable(1.0)
        tf.add_to_collection("mine", 3)
    assert sorted(g.collections) == ["mine", "trainable_variables", "variables"]


def test_side_by_side_with_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from .legacy_tf import tf1_shape_spellings
    out = []
    for lib in (tf, tf1):
        g = lib.Graph()
        with g.as_default():
            with lib.variable_scope("s") as sc:
                lib.get_variable("w", [2], initializer=lib.ones_initializer(), use_resource=False)
                lib.get_variable("l", [1], collections=[lib.GraphKeys.LOCAL_VARIABLES],
                                 use_resource=False)
            v = lib.Variable([[1.0, 2.0], [3.0, 4.0]], use_resource=False)
            # (TF's RefVariable lacks sparse_read, gather_nd and is_initialized: its
            # ResourceVariable has them, and minitf's variables have both sets of methods.)
            fetches = [lib.is_variable_initialized(v), v.read_value()]
            listed = [[x.name for x in f()] for f in (sc.global_variables, sc.local_variables,
                                                      sc.trainable_variables)]
            shape = lib.TensorShape([3, None])
            with tf1_shape_spellings():  # TF 1.x's "(3, ?)", as minitf's
                shapes = [str(shape.most_specific_compatible_shape(d))
                          for d in ([3, 1], [1, 1])]
        with lib.Session(graph=g) as sess:
            sess.run(lib.global_variables_initializer())
            values = [np.asarray(x).tolist() for x in sess.run(fetches)]
        out.append((listed, shapes, values, [str(shape.as_proto())]))
    assert out[0] == out[1]


def test_create_op_flat_inputs_attr_protos_and_scopes():
    a, b = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
    g = tf.get_default_graph()
    add = g.create_op("AddV2", [a, b], [tf.float32], name="s")
    with tf.name_scope("sc"):
        cat = g.create_op("ConcatV2", [a, b, tf.constant(0)], [tf.float32],
                          attrs={"N": tf.AttrValue(i=2)})
    stack = g.create_op("Pack", [a, b], attrs={"axis": tf.AttrValue(i=1)})  # N from the inputs
    assert (add.name, cat.name, stack.name) == ("s", "sc/ConcatV2", "Pack")
    assert cat.get_attr("N") == 2 and cat.get_attr("Tidx") == tf.int32
    with tf.Session() as sess:
        got = sess.run([add.outputs[0], cat.outputs[0], stack.outputs[0]])
    np.testing.assert_array_equal(got[0], [4.0, 6.0])
    np.testing.assert_array_equal(got[1], [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(got[2], [[1.0, 3.0], [2.0, 4.0]])


def test_create_op_refuses_bad_requests_and_adds_nothing():
    a = tf.constant([1.0, 2.0])
    g = tf.get_default_graph()
    cases = [
        (("Nope", [a]), {}, tf.errors.NotFoundError, "Op type not registered 'Nope'"),
        (("AddV2", [a]), {}, ValueError, r"takes 2 inputs \(x, y\), got 1"),
        (("AddV2", [a, a], [tf.int32]), {}, TypeError, r"outputs of types \['float32'\]"),
        (("AddV2", [a, a]), {"attrs": {"T": tf.AttrValue(type=3)}}, tf.errors.InvalidArgumentError,
         "attr 'T' of AddV2 is tf.int32"),
        (("AddN", [a, a]), {"attrs": {"N": 3}}, ValueError, "takes 3 inputs"),
        (("Pack", [a, a]), {"attrs": {"axis": tf.AttrValue(s=b"x")}},
         tf.errors.InvalidArgumentError, "attr 'axis' of 'Pack' holds a string"),
        (("Pack", [a, [1.0, 2.0]]), {"attrs": {"bogus": 1}}, ValueError, "no attr 'bogus'"),
    ]
    for args, kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            g.create_op(*args, **kwargs)
    assert [op.name for op in g.get_operations()] == ["Const"]


def test_create_op_side_by_side_with_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    out = []
    for lib in (tf, tf1):
        g = lib.Graph()
        with g.as_default():
            a, b = lib.constant([1.0, 2.0]), lib.constant([3.0, 4.0])
            with lib.name_scope("sc"):
                cat = g.create_op("ConcatV2", [a, b, lib.constant(0)], [lib.float32],
                                  attrs={"N": lib.AttrValue(i=2)})
            stack = g.create_op("Pack", [a, b], [lib.float32],
                                attrs={"axis": lib.AttrValue(i=1), "N": lib.AttrValue(i=2)})
        with lib.Session(graph=g) as sess:
            values = [v.tolist() for v in sess.run([cat.outputs[0], stack.outputs[0]])]
        out.append((values, cat.name, stack.name, [o.name for o in g.get_operations()]))
    assert out[0] == out[1]


def _containers(lib):
    g = lib.Graph()
    ref = {"use_resource": False}  # TF1's reference variables (TF 2.x makes resource ones)
    with g.as_default():
        with g.container("exp"):
            lib.Variable(1.0, name="v", **ref)
            lib.FIFOQueue(2, lib.float32)
            lib.get_variable("w", [1], **ref)
            lib.constant(1.0)
            with lib.container("inner"):
                lib.Variable(1.0, name="in", **ref)
        with lib.container("other"):
            lib.Variable(1.0, name="u", **ref)
        lib.Variable(2.0, name="x", **ref)
    # (minitf's GraphDefs leave attrs at their defaults out: container "" is absent.)
    return {n.name: n.attr["container"].s for n in g.as_graph_def().node
            if n.op in ("VariableV2", "FIFOQueueV2")}


def test_container_names_the_stateful_ops_made_in_it():
    assert _containers(tf) == {"v": b"exp", "fifo_queue": b"exp", "w": b"exp", "in": b"inner",
                               "u": b"other", "x": b""}


def test_container_side_by_side_with_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert _containers(tf) == _containers(tf1)


def test_string_conversion_refuses_non_strings():
    # TF 2.21: TypeError "Expected string, but got 1 of type 'int'." (its words, naming the
    # first element refused). minitf turned 1 into b"\x00", 2 into b"\x00\x00".
    for value in ([1, 2], 1, [b"a", 3.0]):
        with pytest.raises(TypeError, match="Expected string, but got .* of type"):
            tf.constant(value, dtype=tf.string)
    got = tf.Session().run(tf.constant(["a", b"b", np.bytes_(b"c"), np.str_("d")], tf.string))
    assert got.tolist() == [b"a", b"b", b"c", b"d"]


def test_operation_str_is_its_node_def_and_outputs_a_list():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        y = tf.identity(x, name="y")
        assert str(y.op) == str(y.op.node_def)
        assert str(y.op).startswith('name: "y"\nop: "Identity"\ninput: "x"\n')
        assert repr(y.op) == "<tf.Operation 'y' type=Identity>"
        outs = y.op.outputs
        assert isinstance(outs, list) and outs == [y] and outs + [x] == [y, x]
        outs.append(x)  # a copy: the op's own outputs do not change
        assert y.op.outputs == [y]


def test_operation_str_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def text(lib):
        with lib.Graph().as_default():
            x = lib.placeholder(lib.float32, [2], name="x")
            return str(lib.identity(x, name="y").op)

    assert text(tf) == text(tf1)
