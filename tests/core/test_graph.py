"""Graph construction: names, scopes, control dependencies, collections, shapes, dtypes.

Expected names were checked against TensorFlow 2.21's tf.compat.v1.
"""

import numpy as np
import pytest

import minitf as tf
from minitf.opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register


def test_unique_names_are_case_insensitive_like_tensorflow():
    a = tf.constant(1.0, name="a")
    a2 = tf.constant(1.0, name="a")
    a3 = tf.constant(1.0, name="A")
    assert [a.name, a2.name, a3.name] == ["a:0", "a_1:0", "A_2:0"]


def test_name_scopes_nest_uniquify_and_reset():
    with tf.name_scope("s") as s1:
        c = tf.constant(1.0)
        with tf.name_scope("t") as s2:
            pass
    with tf.name_scope("s") as s3:
        pass
    with tf.name_scope("abs/") as s4:
        d = tf.constant(2, name="d")
        with tf.name_scope(None):
            root = tf.constant(3, name="root")
    assert (s1, c.name, s2, s3, s4, d.name, root.name) == (
        "s/", "s/Const:0", "s/t/", "s_1/", "abs/", "abs/d:0", "root:0")
    with pytest.raises(ValueError, match="not a valid scope name"):
        with tf.name_scope("bad name"):
            pass


def test_operator_nodes_are_named_like_tensorflow():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = x * 2 + 1 - x / 3
    z = tf.add(x, x)
    names = [op.name for op in tf.get_default_graph().get_operations()]
    assert names == ["x", "mul/y", "mul", "add/y", "add", "truediv/y", "truediv", "sub", "Add_1"]
    assert y.op.type == "Sub" and z.op.type == "AddV2"


def test_tensor_and_operation_accessors():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.matmul(x, tf.constant(np.ones((3, 2), np.float32)), name="mm")
    assert y.name == "mm:0" and y.op.name == "mm" and y.op.type == "MatMul"
    assert y.dtype == tf.float32 and y.shape.as_list() == [None, 2]
    assert y.get_shape().dims[0].value is None and y.shape[1] == 2
    assert y.op.inputs[0] is x and y.op.outputs == [y]
    assert y.op.get_attr("transpose_a") is False and y.op.get_attr("T") == tf.float32
    assert x.consumers() == [y.op] and y.graph is tf.get_default_graph()
    with pytest.raises(ValueError, match="no attr named 'nope'"):
        y.op.get_attr("nope")
    with pytest.raises(TypeError, match="as a Python `bool` is not allowed"):
        bool(x)
    with pytest.raises(TypeError, match="only iterable"):
        iter(x)
    assert (x == x) is True and (x == y) is False  # identity comparison, as TF1
    assert "mm:0" in repr(y) and "(?, 2)" in repr(y)


def test_graph_lookup_by_name():
    g = tf.get_default_graph()
    c = tf.constant(1.0, name="c")
    assert g.get_tensor_by_name("c:0") is c
    assert g.get_operation_by_name("c") is c.op
    assert g.as_graph_element("c:0") is c and g.as_graph_element(c.op) is c.op
    with pytest.raises(KeyError, match="The operation, 'd', does not exist"):
        g.get_tensor_by_name("d:0")
    with pytest.raises(ValueError, match="refers to an Operation, not a Tensor"):
        g.get_tensor_by_name("c")
    with pytest.raises(KeyError, match="exists but only has 1 outputs"):
        g.get_tensor_by_name("c:1")
    with pytest.raises(ValueError, match="appears to refer to a Tensor"):
        g.get_operation_by_name("c:0")
    with pytest.raises(TypeError, match="Can not convert a float"):
        g.as_graph_element(1.5)


def test_control_dependencies_nest_and_clear():
    a = tf.no_op(name="a")
    b = tf.no_op(name="b")
    with tf.control_dependencies([a]):
        c = tf.constant(1.0, name="c")
        with tf.control_dependencies([b]):
            d = tf.constant(1.0, name="d")
        with tf.control_dependencies(None):
            e = tf.constant(1.0, name="e")
    assert c.op.control_inputs == [a]
    assert d.op.control_inputs == [a, b]
    assert e.op.control_inputs == []
    g = tf.group(c, d, name="both")
    assert g.type == "NoOp" and set(g.control_inputs) == {c.op, d.op}


def test_many_control_inputs_keep_their_order_once_each():
    """20000 control inputs (a group of many variables' initializers), repeats and an outer
    block's ops included: each once, outer blocks first, in order; and through a GraphDef."""
    outer = [tf.no_op(name=f"outer{i}") for i in range(3)]
    ops = [tf.no_op() for _ in range(20000)]
    with tf.control_dependencies(outer):
        with tf.control_dependencies(ops + ops[:100] + outer[:1]):
            all_ = tf.no_op(name="all")
    assert all_.control_inputs == outer + ops
    gd = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        assert [o.name for o in g.get_operation_by_name("all").control_inputs] == \
            [o.name for o in outer + ops]


def test_group_flattens_nested_inputs():
    """TF1 code groups a train op with a list of update ops, or a dict: any nesting runs."""
    v = tf.Variable(0)
    a, b, c = (tf.assign_add(v, k) for k in (1, 10, 100))
    nested = tf.group([a, [b, (c,)]])
    by_key = tf.group({"x": a, "y": [b]})
    assert set(nested.control_inputs) == {a.op, b.op, c.op}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(nested)
        assert sess.run(v) == 111
        sess.run(by_key)
        assert sess.run(v) == 122
    with pytest.raises(TypeError, match="should be zero or more \\(nested\\) Tensors. "
                                        "Received 'None'"):
        tf.group(None)
    with pytest.raises(TypeError, match="Received '3'"):
        tf.group([a, 3])


def test_collections_and_finalize():
    g = tf.Graph()
    with g.as_default():
        tf.get_default_graph().add_to_collection("things", 1)
        g.add_to_collections(["a", "b"], "x")
        assert g.get_collection("things") == [1] and g.get_collection("b") == ["x"]
        g.get_collection_ref("things").append(2)
        assert g.get_collection("things") == [1, 2]
        v0 = g.version
        tf.constant(1.0)
        assert g.version == v0 + 1
        g.finalize()
        with pytest.raises(RuntimeError, match="Graph is finalized and cannot be modified."):
            tf.constant(2.0)


def test_reset_default_graph_refuses_inside_nested_graph():
    old = tf.get_default_graph()
    tf.reset_default_graph()
    assert tf.get_default_graph() is not old
    with tf.Graph().as_default():
        with pytest.raises(AssertionError, match="Do not use tf.reset_default_graph"):
            tf.reset_default_graph()


def test_mixing_graphs_is_an_error():
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default():
        a = tf.constant(1.0)
    with g2.as_default():
        b = tf.constant(1.0)
        with pytest.raises(ValueError, match="must be from the same graph"):
            tf.add(b, a)


def test_dtype_conversion_of_python_values():
    x = tf.placeholder(tf.float32, [])
    assert (x + 1).op.inputs[1].dtype == tf.float32
    assert (2 * x).op.inputs[0].dtype == tf.float32
    i = tf.placeholder(tf.int32, [])
    with pytest.raises(TypeError, match="int32"):
        i + 1.5
    assert tf.constant(2**40).dtype == tf.int64
    assert tf.constant([1.5]).dtype == tf.float32
    assert tf.constant(np.float64(1.5)).dtype == tf.float64
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant([1, 2], dtype=tf.float32).dtype == tf.float32
    with pytest.raises(TypeError):
        tf.constant("abc", dtype=tf.float32)


def test_constant_shape_fill_rule():
    with tf.Session() as sess:
        assert sess.run(tf.constant(7, shape=[2, 2])).tolist() == [[7, 7], [7, 7]]
        assert sess.run(tf.constant([1, 2], shape=[4])).tolist() == [1, 2, 2, 2]
    with pytest.raises(ValueError, match="Too many elements provided. Needed at most"):
        tf.constant([1, 2, 3], shape=[2])


def test_tensor_shape_and_dimension():
    s = tf.TensorShape([None, 3])
    assert s.rank == 2 and s.as_list() == [None, 3] and str(s) == "(?, 3)"
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    assert tf.TensorShape(None).rank is None and str(tf.TensorShape([])) == "()"
    assert str(tf.TensorShape([4])) == "(4,)" and s.debug_string() == "[?,3]"
    assert tf.Dimension(3) == 3 and tf.Dimension(None).value is None
    assert (tf.Dimension(None) == 3) is None
    with pytest.raises(ValueError, match="not compatible"):
        s.merge_with([1, 2])
    tf.Dimension(None).assert_is_compatible_with(4)
    tf.Dimension(4).assert_is_compatible_with(tf.Dimension(4))
    with pytest.raises(ValueError, match="Dimensions 3 and 4 are not compatible"):
        tf.Dimension(3).assert_is_compatible_with(4)


def test_dimension_arithmetic_and_ordering_like_tf1():
    d3, d4, unknown = tf.Dimension(3), tf.Dimension(4), tf.Dimension(None)
    assert (d3 * d4, d3 + 1, 2 * d4, d4 - d3, 10 - d3, d4 // 3, 9 // d4, d4 % 3) == \
        (12, 4, 8, 1, 7, 1, 2, 1)
    assert isinstance(d3 * d4, tf.Dimension)
    assert (unknown * 3).value is None and (1 + unknown).value is None
    assert d3 < 4 and d4 >= d3 and not d3 > d4 and d3 <= 3
    assert (unknown < 3) is None
    with pytest.raises(TypeError, match="use //"):
        d4 / 2


def test_static_shapes_as_values():
    """x.shape[i] and x.shape stand for their ints wherever a value is expected."""
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    c = tf.ones([2, 3, 4])
    assert tf.reshape(c, [-1, c.shape[1] * c.shape[2]]).shape.as_list() == [2, 12]
    assert tf.reshape(x, [-1, x.shape[1]]).shape.as_list() == [None, 4]
    assert tf.reshape(c, c.shape[::-1]).shape.as_list() == [4, 3, 2]
    assert tf.reshape(c, tf.TensorShape([4, 6])).shape.as_list() == [4, 6]
    assert tf.tile(c, [c.shape[0], 1, 1]).shape.as_list() == [4, 3, 4]
    assert tf.one_hot([0, 1], c.shape[2]).shape.as_list() == [2, 4]
    assert tf.range(c.shape[1]).shape.as_list() == [3]
    assert len(tf.unstack(c, num=c.shape[0])) == 2 and len(tf.split(c, c.shape[2], 2)) == 4
    assert tf.random_normal(c.shape).shape.as_list() == [2, 3, 4]
    const = tf.constant([c.shape[1], 2])
    assert const.dtype == tf.int32  # not a string tensor of the objects' bytes
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(const), [3, 2])
    with pytest.raises(TypeError, match=r"Failed to convert object of type <class 'list'> to "
                                        r"Tensor. Contents: \[-1, Dimension\(None\)\]"):
        tf.reshape(x, [-1, tf.Dimension(None)])
    with pytest.raises((TypeError, ValueError), match="partially known TensorShape"):
        tf.zeros(x.shape)


def test_lists_holding_tensors_are_packed():
    """TF1's autopacking: [tf.shape(x)[0], 2, 2] becomes one Pack op (named after the
    argument), its Python elements constants of the tensors' dtype."""
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    n = tf.shape(x)[0]
    y = tf.reshape(x, [n, 2, 2])
    packed = y.op.inputs[1]
    assert packed.op.type == "Pack" and packed.op.name == "Reshape/shape"
    assert [t.op.name for t in packed.op.inputs] == ["strided_slice", "Reshape/shape/1",
                                                     "Reshape/shape/2"]
    nested = tf.convert_to_tensor([[n, 2], [3, n]])
    zeros = tf.zeros([n, 3], tf.int64)
    noise = tf.random_normal([n, 2])
    xv = np.arange(12, dtype=np.float32).reshape(3, 4)
    with tf.Session() as sess:
        got = sess.run([y, nested, zeros, noise], {x: xv})
    np.testing.assert_array_equal(got[0], xv.reshape(3, 2, 2))
    np.testing.assert_array_equal(got[1], [[3, 2], [3, 3]])
    assert got[2].shape == (3, 3) and got[2].dtype == np.int64
    assert got[3].shape == (3, 2)
    # What a shape tensor is known to hold gives the static shape, as in TF: (?, 2, 2).
    assert y.shape.as_list() == [None, 2, 2]
    assert zeros.shape.as_list() == [None, 3] and noise.shape.as_list() == [None, 2]
    assert tf.reshape(x, tf.concat([[n], [2, 2]], 0)).shape.as_list() == [None, 2, 2]
    assert tf.reshape(x, tf.shape(x)).shape.as_list() == [None, 4]
    with pytest.raises(TypeError, match="tensor of dtype float32 to int32"):
        tf.convert_to_tensor([n, tf.constant(2.0)])
    with pytest.raises(TypeError, match="int32"):
        tf.convert_to_tensor([n, 2.5])


def test_dtypes():
    assert tf.as_dtype("float32") is tf.float32 and tf.as_dtype(np.int64) is tf.int64
    assert tf.as_dtype(1) is tf.float32 and tf.as_dtype(101) is tf.float32  # float32_ref
    assert tf.float32.as_numpy_dtype is np.float32 and tf.float32.as_datatype_enum == 1
    assert tf.float16.is_floating and tf.uint8.is_unsigned and not tf.int32.is_floating
    assert tf.float32 == np.float32 and tf.float32 != tf.float64
    with pytest.raises(TypeError, match="Cannot convert"):
        tf.as_dtype("complex256")


def test_opdef_registration_refuses_incomplete_or_duplicate():
    with pytest.raises(ValueError, match="incomplete: grad"):
        register(OpDef("MyIncomplete", kernel=lambda: 0, infer=lambda: [], grad=None))
    with pytest.raises(ValueError, match="already registered"):
        register(OpDef("MatMul", kernel=lambda a, b: a, infer=lambda a, b: [a],
                       grad=NOT_DIFFERENTIABLE))
    with pytest.raises(ValueError, match="incomplete: type"):
        register(OpDef("lower", kernel=lambda: 0, infer=lambda: [TensorSpec([], tf.float32)],
                       grad=NOT_DIFFERENTIABLE))


def test_static_shapes_use_constant_values():
    x = tf.placeholder(tf.float32, [None, 6])
    y = tf.reshape(x, [-1, 2, 3])
    assert y.shape.as_list() == [None, 2, 3]
    z = tf.reshape(tf.zeros([4, 6]), [8, -1])
    assert z.shape.as_list() == [8, 3]
    s = tf.shape(tf.zeros([2, 5]))
    assert tf.reshape(tf.zeros([10]), s).shape.as_list() == [2, 5]
    with pytest.raises(ValueError, match="Cannot reshape a tensor with 10 elements"):
        tf.reshape(tf.zeros([10]), [3, 3])


def test_static_shapes_follow_the_known_dims_of_a_shape_tensor():
    """As TF's shape inference: elements of tf.shape(x) that x's static shape knows are
    constants, so arithmetic on them folds; the results' static shapes are TF's (checked
    against tf.compat.v1 by hand: (?, 20), (?, 20), (?, 4), (4,), (?, 2, 3), (?, 3, 5))."""
    x = tf.placeholder(tf.float32, [None, 4, 5])
    sh = tf.shape(x)
    cases = {
        "flat": (tf.reshape(x, [-1, sh[1] * sh[2]]), [None, 20]),
        "batch-times": (tf.reshape(x, [sh[0], sh[1] * 5]), [None, 20]),
        "zeros": (tf.zeros([sh[0], sh[1]]), [None, 4]),
        "range": (tf.range(sh[1]), [4]),
        "slice": (tf.slice(x, [0, 1, 0], [sh[0], 2, 3]), [None, 2, 3]),
        "getitem": (x[:, :sh[1] - 1], [None, 3, 5]),
        "strided": (tf.zeros(sh[::2]), [None, 5]),  # a slice of the shape keeps what it knows
    }
    for name, (t, want) in cases.items():
        assert t.shape.as_list() == want, (name, t.shape)
    with tf.Session() as sess:
        batch = np.zeros((3, 4, 5), np.float32)
        out = sess.run([t for t, _ in cases.values()], {x: batch})
    assert [o.shape for o in out] == [(3, 20), (3, 20), (3, 4), (4,), (3, 2, 3), (3, 3, 5),
                                      (3, 5)]


def test_a_shape_element_not_known_statically_is_not_a_constant():
    x = tf.placeholder(tf.float32, [None, 4])
    sh = tf.shape(x)
    from minitf.graph import constant_value

    assert constant_value(sh[1]) == 4 and constant_value(sh[0]) is None
    assert constant_value(sh[:1]) is None and constant_value(sh[1:]).tolist() == [4]


def test_list_arguments_sharing_a_length_must_agree():
    """Two list inputs counted by one attr (DynamicStitch's indices and data, N): a length
    mismatch is refused as TF refuses it (the second list used to set N over the first)."""
    from minitf.ops.partition_ops import DYNAMIC_STITCH

    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="List argument 'data' to 'DynamicStitch' Op with "
                                             "length 3 must match length 2 of argument "
                                             "'indices'"):
            DYNAMIC_STITCH([[0], [1]], [[1.0], [2.0], [3.0]])


def test_tensors_and_dtypes_print_as_tensorflow_1():
    """Tutorials print them: ``print(t)`` and ``print(tf.float32)`` as TF 1.x writes them,
    the reprs as TF's; ``tf.as_dtype(None)`` is TF's TypeError (numpy reads None as
    float64, so ``tf.cast(x, None)`` used to give float64)."""
    with tf.Graph().as_default():
        c = tf.constant([1.5], name="c")
        x = tf.placeholder(tf.int64, [None, 3], name="x")
        assert str(c) == 'Tensor("c:0", shape=(1,), dtype=float32)'
        assert str(tf.placeholder(tf.int64, name="p")) == 'Tensor("p:0", dtype=int64)'
        with tf.device("/device:CPU:0"):
            d = tf.constant(1, name="d")
        assert str(d) == 'Tensor("d:0", shape=(), dtype=int32, device=/device:CPU:0)'
        assert repr(x) == "<tf.Tensor 'x:0' shape=(?, 3) dtype=int64>"
        assert str([c]) == "[<tf.Tensor 'c:0' shape=(1,) dtype=float32>]"
        assert str(tf.int64) == "<dtype: 'int64'>" and repr(tf.int64) == "tf.int64"
        with pytest.raises(TypeError, match="Cannot convert the argument `type_value`: None "
                                            "to a TensorFlow DType"):
            tf.cast(c, None)


def test_set_attr_as_graph_editing_code_uses_it():
    """``Operation._set_attr`` (TF's private setter, which graph-editing code calls): a mark no
    OpDef declares is kept, read back and written to the NodeDef; a declared attr changes what
    sessions made afterwards compute; ``get_attr("_gradient_op_type")`` reads an override map's
    mark as TF's bytes. A finalized graph refuses it."""
    with tf.Graph().as_default() as g:
        a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        m = tf.matmul(a, a, name="m")
        m.op._set_attr("_xla_compile", tf.AttrValue(b=True))
        assert m.op.get_attr("_xla_compile") is True
        assert m.op.node_def.attr["_xla_compile"].b
        m.op._set_attr("transpose_a", tf.AttrValue(b=True))
        assert m.op.get_attr("transpose_a") is True
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(m), [[10.0, 14.0], [14.0, 20.0]])  # a^T a

        @tf.RegisterGradient("SetAttrTimesSeven")
        def _seven(op, dy):
            return dy * 7.0

        with g.gradient_override_map({"Identity": "SetAttrTimesSeven"}):
            y = tf.identity(a, name="y")
        assert y.op.get_attr("_gradient_op_type") == b"SetAttrTimesSeven"
        g.finalize()  # TF's setter works on a finalized graph too
        m.op._set_attr("_types", tf.AttrValue(list=tf.AttrValue.ListValue(type=[1, 3])))
        m.op._set_attr("_t", tf.AttrValue(type=2))
        assert m.op.get_attr("_types") == [tf.float32, tf.int32]
        assert m.op.get_attr("_t") == tf.float64


def test_rewiring_an_input_or_control_inputs_as_graph_editing_code_does():
    """``_update_input`` refuses a tensor of another graph (as TF) and forgets constant values
    worked out downstream; ``_remove_all_control_inputs`` drops both ends of each edge, and
    sessions that ran before see the change."""
    with tf.Graph().as_default() as g:
        a, b = tf.constant(2.0), tf.constant(5.0)
        y = tf.square(tf.identity(a), name="y")
        z = y + 1.0
        assert tf.get_static_value(z) == 5.0
        with tf.Session() as sess:
            assert sess.run(z) == 5.0
            y.op.inputs[0].op._update_input(0, b)
            assert tf.get_static_value(z) == 26.0 and sess.run(z) == 26.0
        with tf.Graph().as_default():
            other = tf.constant(1.0)
        with pytest.raises(ValueError, match="from another graph"):
            y.op._update_input(0, other)
        v = tf.Variable(0.0)
        bump = tf.assign_add(v, 1.0)
        seen = v.read_value()
        with tf.control_dependencies([bump]):
            r = tf.identity(seen)
        assert r.op.control_inputs == [bump.op] and bump.op._control_outputs == [r.op]
        r.op._remove_all_control_inputs()
        assert r.op.control_inputs == [] and bump.op._control_outputs == []
        assert g is r.graph
        with tf.Session() as sess:
            sess.run(v.initializer)
            assert sess.run(r) == 0.0 and sess.run(v) == 0.0  # bump no longer runs
