"""tf.contrib.compiler.jit.experimental_jit_scope: the _XlaCompile / _XlaScope /
_XlaSeparateCompiledGradients attrs TensorFlow sets on the ops built in the scope (nested
scopes, a callable compile_ops, scope numbering per graph), checked by hand and against
TensorFlow's own jit_scope side by side; GraphDefs carry them and running is unaffected."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import compiler

from ..side_by_side import tf1_or_skip

jit = compiler.jit
KEYS = ("_XlaCompile", "_XlaScope", "_XlaSeparateCompiledGradients")


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _attrs(op):
    out = {}
    for k in KEYS:
        try:
            out[k] = op.get_attr(k)
        except ValueError:
            pass
    return out


def test_namespace():
    assert tf.contrib.compiler is compiler
    assert jit.experimental_jit_scope is compiler.experimental_jit_scope
    assert jit.__name__ == "minitf.contrib.compiler.jit"


def test_ops_in_the_scope_get_the_attrs_and_others_do_not():
    before = tf.constant(1.0, name="before")
    with jit.experimental_jit_scope():
        a = tf.add(before, 2.0, name="a")
    after = tf.multiply(a, 3.0, name="after")
    assert _attrs(before.op) == {} and _attrs(after.op) == {}
    assert _attrs(a.op) == {"_XlaCompile": True, "_XlaScope": b"jit_scope_0",
                            "_XlaSeparateCompiledGradients": False}
    assert _attrs(tf.get_default_graph().get_operation_by_name("a/y")) == _attrs(a.op)


def test_scopes_are_numbered_per_graph_and_nested_ones_share_the_outer_scope():
    with jit.experimental_jit_scope():
        a = tf.constant(1.0, name="a")
        with jit.experimental_jit_scope(compile_ops=False, separate_compiled_gradients=True):
            b = tf.identity(a, name="b")
        c = tf.identity(b, name="c")
    with jit.experimental_jit_scope():
        d = tf.identity(c, name="d")
    assert _attrs(a.op) == _attrs(c.op) == {
        "_XlaCompile": True, "_XlaScope": b"jit_scope_0", "_XlaSeparateCompiledGradients": False}
    assert _attrs(b.op) == {"_XlaCompile": False, "_XlaScope": b"jit_scope_0",
                            "_XlaSeparateCompiledGradients": True}
    assert _attrs(d.op)["_XlaScope"] == b"jit_scope_1"
    with tf.Graph().as_default():  # another graph counts from 0
        with jit.experimental_jit_scope():
            e = tf.constant(2.0)
        assert _attrs(e.op)["_XlaScope"] == b"jit_scope_0"


def test_callable_compile_ops_sees_each_node_def():
    seen = []

    def only_matmul(node_def):
        seen.append(node_def.name)
        return node_def.op == "MatMul"

    with jit.experimental_jit_scope(compile_ops=only_matmul):
        m = tf.matmul(tf.ones([2, 2], name="x"), tf.ones([2, 2], name="y"), name="m")
        s = tf.nn.relu(m, name="s")
    assert _attrs(m.op)["_XlaCompile"] is True and _attrs(s.op)["_XlaCompile"] is False
    assert {"m", "s", "x", "y"} <= set(seen)


def test_running_is_unaffected_and_graph_defs_carry_the_attrs():
    x = tf.placeholder(tf.float32, [3])
    with jit.experimental_jit_scope():
        y = tf.reduce_sum(tf.square(x) * 2.0)
        (g,) = tf.gradients(y, [x])
    xv = np.array([1.0, -2.0, 0.5], np.float32)
    with tf.Session() as sess:
        got_y, got_g = sess.run([y, g], {x: xv})
    np.testing.assert_allclose(got_y, 2 * np.sum(xv ** 2), rtol=1e-6)
    np.testing.assert_allclose(got_g, 4 * xv, rtol=1e-6)
    assert _attrs(g.op)["_XlaCompile"] is True  # gradient ops built in the scope too
    node = {n.name: n for n in tf.get_default_graph().as_graph_def().node}[y.op.name]
    assert node.attr["_XlaCompile"].b is True
    assert node.attr["_XlaScope"].s == b"jit_scope_0"
    assert node.attr["_XlaSeparateCompiledGradients"].b is False


def test_attrs_match_tensorflows_jit_scope():
    tf1_or_skip()
    import tensorflow as tf2

    def build(lib, scope):
        x = lib.constant([[1.0, 2.0]], name="x")
        with scope():
            a = lib.matmul(x, x, transpose_b=True, name="a")
            with scope(compile_ops=False, separate_compiled_gradients=True):
                b = lib.add(a, 1.0, name="b")
            lib.identity(b, name="c")
        with scope(compile_ops=lambda nd: nd.op == "Mul"):
            lib.multiply(b, lib.sqrt(a, name="d"), name="e")
        return lib.get_default_graph()

    g = tf2.Graph()
    with g.as_default():
        build(tf2.compat.v1, tf2.xla.experimental.jit_scope)
    want = {op.name: {k: v for k, v in (
        (k, op.node_def.attr[k]) for k in KEYS) if k in op.node_def.attr}
        for op in g.get_operations()}
    want = {n: {k: (v.b if k != "_XlaScope" else v.s) for k, v in a.items()}
            for n, a in want.items()}
    got = {op.name: _attrs(op) for op in build(tf, jit.experimental_jit_scope).get_operations()}
    assert got == want
