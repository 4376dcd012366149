"""tf.RegisterGradient, Graph.gradient_override_map and tf.NotDifferentiable: a registered
function replaces an op's gradient (the usual way to give a py_func one), and the mark travels
in GraphDefs as TF's _gradient_op_type attr."""

import numpy as np
import pytest

import minitf as tf

_STRAIGHT = "test_override_straight_through"
_TRIPLE = "test_override_triple"


@tf.RegisterGradient(_STRAIGHT)
def _straight_through(op, dy):
    return dy  # bare, not in a list: TF takes both


@tf.RegisterGradient(_TRIPLE)
def _triple(op, dy):
    return [dy * 3.0]


def test_override_replaces_the_gradient_of_the_mapped_ops_only():
    with tf.Graph().as_default() as g:
        x = tf.constant([1.0, 2.0])
        with g.gradient_override_map({"Square": _STRAIGHT}):
            y = tf.square(x)
            with g.gradient_override_map({"Square": _TRIPLE}):  # the inner map wins
                y3 = tf.square(x)
            r = tf.round(x)  # not mapped
        plain = tf.square(x)
        with tf.Session() as sess:
            assert sess.run(tf.gradients(y, x))[0].tolist() == [1.0, 1.0]
            assert sess.run(tf.gradients(y3, x))[0].tolist() == [3.0, 3.0]
            assert sess.run(tf.gradients(plain, x))[0].tolist() == [2.0, 4.0]  # d x^2 = 2x
        assert tf.gradients(r, x) == [None]


def test_py_func_gets_a_gradient_and_the_mark_survives_a_graph_def():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2], name="x")
        with g.gradient_override_map({"PyFunc": _TRIPLE}):
            y = tf.py_func(lambda a: a * 3, [x], tf.float32, name="triple")
        [dx] = tf.gradients(tf.reduce_sum(y), x)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(dx, {x: [1.0, 5.0]}), [3.0, 3.0])
        gd = g.as_graph_def()
    node = next(n for n in gd.node if n.name == "triple")
    assert node.attr["_gradient_op_type"].s == _TRIPLE.encode()
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(g.as_graph_def(), name="")
        y2 = g2.get_tensor_by_name("triple:0")
        x2 = g2.get_tensor_by_name("x:0")
        assert g2._gradient_overrides[y2.op] == _TRIPLE
        # The imported py_func's Python function belongs to the first graph: only the
        # gradient graph is checked here (it does not call the function).
        [dx2] = tf.gradients(y2, x2)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(dx2, {x2: [1.0, 1.0]}), [3.0, 3.0])


def test_registration_errors():
    with pytest.raises(KeyError, match="Registering two gradient with name 'Square'"):
        tf.RegisterGradient("Square")(lambda op, dy: dy)  # minitf's own rule
    with pytest.raises(KeyError, match=f"Registering two gradient with name '{_TRIPLE}'"):
        tf.RegisterGradient(_TRIPLE)(lambda op, dy: dy)
    with pytest.raises(KeyError, match="'Shape'"):
        tf.NotDifferentiable("Shape")  # already not differentiable in minitf
    with pytest.raises(TypeError, match="op_type must be a string"):
        tf.RegisterGradient(3)
    with tf.Graph().as_default() as g:
        with pytest.raises(TypeError, match="mapping strings to strings"):
            with g.gradient_override_map({"Square": 1}):
                pass
        x = tf.constant(2.0)
        with g.gradient_override_map({"Square": "test_override_never_registered"}):
            y = tf.square(x)
        with pytest.raises(LookupError, match="no entry for: test_override_never_registered"):
            tf.gradients(y, x)


def test_not_differentiable_registration_stops_the_gradient():
    tf.no_gradient("test_override_blocked")
    with pytest.raises(KeyError, match="test_override_blocked"):
        tf.NotDifferentiable("test_override_blocked")
    with tf.Graph().as_default() as g:
        x = tf.constant([1.0, 2.0])
        with g.gradient_override_map({"Square": "test_override_blocked"}):
            y = tf.square(x)
        assert tf.gradients(y, x) == [None]
        assert tf.gradients(y + x, x)[0] is not None  # the other path still counts


def test_override_with_a_builtin_gradient():
    """The straight-through estimator: a map to a built-in op's name takes that op's rule
    (TF 2.21 gave these values); a not-differentiable one stops the gradient."""
    with tf.Graph().as_default() as g:
        x = tf.constant([-2.0, 0.5, 1.7])
        with g.gradient_override_map({"Sign": "Identity", "Round": "Identity"}):
            sign, rounded = tf.sign(x), tf.round(x)
        with g.gradient_override_map({"Square": "StopGradient"}):
            stopped = tf.square(x)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(tf.gradients(sign * 3.0, x)[0]), [3, 3, 3])
            np.testing.assert_array_equal(sess.run(tf.gradients(rounded, x)[0]), [1, 1, 1])
        assert tf.gradients(stopped, x) == [None]
