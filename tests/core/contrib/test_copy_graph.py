"""tf.contrib.copy_graph: variables copied with their initial value, trainability and
collections; ops copied recursively (inputs, control inputs, shapes, tensor collections) and
run to hand-computed values; reuse of copies; get_copied_op; bad input."""

import numpy as np
import pytest

import minitf as tf

cg = tf.contrib.copy_graph


def _source():
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable([[1.0, 2.0]], name="w")
        c = tf.Variable(3.0, name="c", trainable=False)
        tf.add_to_collection("mine", w)
        x = tf.placeholder(tf.float32, [None, 1], name="x")
        y = tf.matmul(x, w, name="y")
        marker = tf.no_op(name="marker")
        with tf.control_dependencies([marker]):
            z = tf.identity(y * c, name="z")
        tf.add_to_collection("outputs", z)
        train = tf.assign_add(w, [[10.0, 10.0]])
    return g, w, c, x, z, train


def test_copy_variable_takes_the_initial_value_and_collections():
    g, w, c, _, _, train = _source()
    with g.as_default(), tf.Session() as sess:  # training the original changes nothing
        sess.run(tf.global_variables_initializer())
        sess.run(train)
    g2 = tf.Graph()
    w2 = cg.copy_variable_to_graph(w, g2, scope="s")
    c2 = cg.copy_variable_to_graph(c, g2, scope="s")
    assert (w2.name, c2.name) == ("s/w:0", "s/c:0") and w2.graph is g2
    assert g2.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES) == [w2]
    assert g2.get_collection(tf.GraphKeys.GLOBAL_VARIABLES) == [w2, c2]
    assert g2.get_collection("s/mine") == [w2] and g2.get_collection("mine") == []
    with g2.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(w2), [[1.0, 2.0]])
        assert sess.run(c2) == 3.0
    # without a scope the collection names are kept
    g3 = tf.Graph()
    w3 = cg.copy_variable_to_graph(w, g3)
    assert w3.name == "w:0" and g3.get_collection("mine") == [w3]


def test_copy_op_recursively_and_run():
    g, w, c, x, z, _ = _source()
    g2 = tf.Graph()
    copied = [cg.copy_variable_to_graph(v, g2, "s") for v in (w, c)]
    z2 = cg.copy_op_to_graph(z, g2, copied, scope="s")
    assert z2.name == "s/z:0" and z2.graph is g2
    assert z2.shape.as_list() == [None, 2]
    names = {op.name for op in g2.get_operations()}
    assert {"s/x", "s/y", "s/mul", "s/z"} <= names
    assert "s/w_1" not in names  # the copied variable is reused, not copied again
    # the control dependency on the marker was copied too
    mul = g2.get_operation_by_name("s/mul")
    assert [op.name for op in mul.control_inputs] == ["s/marker"]
    assert g2.get_collection("s/outputs") == [z2]
    assert cg.get_copied_op(z, g2, "s") is z2
    assert cg.get_copied_op(z.op, g2, "s") is z2.op
    # copying again returns what is there
    assert cg.copy_op_to_graph(z, g2, copied, scope="s") is z2
    with g2.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(z2, {g2.get_tensor_by_name("s/x:0"): [[2.0], [-1.0]]})
    np.testing.assert_allclose(got, [[6.0, 12.0], [-3.0, -6.0]])  # x @ w * c


def test_copy_into_the_same_graph_under_a_scope_and_copy_an_op():
    g, w, c, x, z, _ = _source()
    copied = [cg.copy_variable_to_graph(v, g, "twin") for v in (w, c)]
    op2 = cg.copy_op_to_graph(z.op, g, copied, scope="twin")
    assert isinstance(op2, tf.Operation) and op2.name == "twin/z"
    with g.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([z, op2.outputs[0]], {x: [[1.0]], g.get_tensor_by_name("twin/x:0"):
                                                   [[1.0]]})
    np.testing.assert_allclose(a, b)


def test_bad_inputs():
    g, w, _, _, z, _ = _source()
    g2 = tf.Graph()
    with pytest.raises(TypeError, match="is not a Variable"):
        cg.copy_variable_to_graph(z, g2)
    with pytest.raises(TypeError, match="Could not copy instance"):
        cg.copy_op_to_graph("z", g2, [])
    with pytest.raises(KeyError):
        cg.get_copied_op(z, g2, "nowhere")
