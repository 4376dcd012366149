"""tf.contrib.compiler.jit.experimental_jit_scope: the _XlaCompile / _XlaScope /
_XlaSeparateCompiledGradients attrs TensorFlow sets on the ops built in the scope (nested
scopes, a callable compile_ops, scope numbering per graph) and the _XlaCompile / _XlaScope
tf.gradients gives their gradient ops (TF's _MaybeCompile), checked by hand and against
TensorFlow's own jit_scope side by side; GraphDefs carry them and running is unaffected."""

import contextlib

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


# -- gradients of ops in a jit scope (TF's _MaybeCompile) ----------------------------------------
def _build_with_gradients(lib, scope, separate):
    """Forward ops in two jit scopes (one nested scope not compiled), one op outside, and two
    tf.gradients calls (the second in a name scope): TF gives each gradient rule's ops the
    forward op's _XlaCompile/_XlaScope, the scope suffixed with the gradients' name scope
    when ``separate``."""
    x = lib.placeholder(lib.float32, [2, 3], name="x")
    w = lib.constant(np.arange(12, dtype=np.float32).reshape(3, 4) / 10, name="w")
    with scope(separate_compiled_gradients=separate):
        h = lib.tanh(lib.matmul(x, w, name="mm"), name="h")
        with scope(compile_ops=False):
            k = lib.exp(h, name="k")
    with scope(separate_compiled_gradients=separate):
        s = lib.sin(k, name="s") * 2.0
    loss = lib.reduce_sum(s * lib.square(x[:, :1], name="sq"), name="loss")
    g1 = lib.gradients(loss, [x, w])
    with lib.name_scope("outer"):
        g2 = lib.gradients(lib.reduce_mean(h * h), [x])
    return loss, g1 + g2


def _grad_attrs_by_rule(ops, attrs_of):
    """{a gradient rule's name scope (``.../<op>_grad``) or "<outside>": the distinct _Xla*
    attr dicts of its ops} over the ops of the gradients' name scopes. (Per rule, not per op:
    some rules name their ops differently from TF's.)"""
    out = {}
    for op in ops:
        parts = op.name.split("/")
        if "gradients" not in parts[:-1]:
            continue  # a forward op
        rule = next((i for i, p in enumerate(parts[:-1]) if p.endswith("_grad")), None)
        key = "/".join(parts[:rule + 1]) if rule is not None else "<outside>"
        out.setdefault(key, set()).add(tuple(sorted(attrs_of(op).items())))
    return out


@pytest.mark.parametrize("separate", [False, True])
def test_gradient_ops_get_tensorflows_xla_attrs(separate):
    tf1_or_skip()
    import tensorflow as tf2

    g = tf2.Graph()
    with g.as_default():
        _build_with_gradients(tf2.compat.v1, tf2.xla.experimental.jit_scope, separate)

    def tf_attrs(op):
        return {k: (op.node_def.attr[k].s if k == "_XlaScope" else op.node_def.attr[k].b)
                for k in KEYS if k in op.node_def.attr}

    want = _grad_attrs_by_rule(g.get_operations(), tf_attrs)
    _build_with_gradients(tf, jit.experimental_jit_scope, separate)
    got = _grad_attrs_by_rule(tf.get_default_graph().get_operations(), _attrs)
    assert got == want
    # (the case is not vacuous: some rules' ops are marked, with the scope TF builds)
    scopes = {dict(a).get("_XlaScope") for s in want.values() for a in s}
    assert scopes == ({None, b"jit_scope_0_grad_gradients", b"jit_scope_1_grad_gradients",
                       b"jit_scope_0_grad_outer_gradients"} if separate else
                      {None, b"jit_scope_0", b"jit_scope_1"})


def test_gradients_built_inside_the_jit_scope_match_tensorflow():
    """The scope marks ops as they are made (TF's attr scope), so a gradient built inside it
    already sees its forward ops' attrs and gets TF's separate scope."""
    tf1_or_skip()
    import tensorflow as tf2

    def build(lib, scope):
        x = lib.placeholder(lib.float32, [3], name="x")
        with scope(separate_compiled_gradients=True):
            y = lib.sin(x, name="y") * 2.0
            lib.gradients(lib.reduce_sum(y), x)
            inside = lib.identity(y, name="inside")
        return inside

    g = tf2.Graph()
    with g.as_default():
        build(tf2.compat.v1, tf2.xla.experimental.jit_scope)

    def tf_attrs(op):
        return {k: (op.node_def.attr[k].s if k == "_XlaScope" else op.node_def.attr[k].b)
                for k in KEYS if k in op.node_def.attr}

    want = _grad_attrs_by_rule(g.get_operations(), tf_attrs)
    inside = build(tf, jit.experimental_jit_scope)
    assert _attrs(inside.op)["_XlaScope"] == b"jit_scope_0"  # readable inside the block
    assert _grad_attrs_by_rule(tf.get_default_graph().get_operations(), _attrs) == want
    assert b"jit_scope_0_grad_gradients" in {dict(a).get("_XlaScope")
                                             for s in want.values() for a in s}


def test_gradient_ops_attrs_by_hand_and_running_is_unaffected():
    xv = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]], np.float32)
    values = []
    for jit_it in (False, True):
        with tf.Graph().as_default():
            with (jit.experimental_jit_scope(separate_compiled_gradients=True) if jit_it
                  else contextlib.nullcontext()):
                x = tf.placeholder(tf.float32, [2, 3], name="x")
                y = tf.sin(x, name="y")
            with tf.name_scope("a"), tf.name_scope("b"):
                (g,) = tf.gradients(tf.reduce_sum(y * y), [x])
            graph = tf.get_default_graph()
            with tf.Session() as sess:
                values.append(sess.run(g, {x: xv}))
        if jit_it:  # TF's "%s_grad_%s" % (xla_scope, "a/b/gradients/" -> "a_b_gradients")
            cos = graph.get_operation_by_name("a/b/gradients/y_grad/Cos")
            assert _attrs(cos) == {"_XlaCompile": True,
                                   "_XlaScope": b"jit_scope_0_grad_a_b_gradients"}
    np.testing.assert_array_equal(values[0], values[1])
    np.testing.assert_allclose(values[1], 2 * np.sin(xv) * np.cos(xv), rtol=1e-6)
