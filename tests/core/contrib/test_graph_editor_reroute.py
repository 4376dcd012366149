"""tf.contrib.graph_editor reroute and edit: after swapping/rerouting tensors, subgraph inputs
and outputs, control inputs, and after detach/connect/bypass, Session.run computes what numpy
computes for the new wiring (also in a Session that ran the old graph); consumer lists follow;
bad input (lengths, dtypes, shapes, graphs) is refused before anything changes."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import graph_editor as ge

R = np.random.default_rng(7)
X0 = R.standard_normal(3).astype(np.float32)
X1 = R.standard_normal(3).astype(np.float32)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


@pytest.fixture
def n():
    """x0 -> s = sin(x0); x1 -> t = exp(x1); u = s - t; v = cos(x0)."""
    x0 = tf.placeholder(tf.float32, [3], name="x0")
    x1 = tf.placeholder(tf.float32, [3], name="x1")
    s = tf.sin(x0, name="s")
    t = tf.exp(x1, name="t")
    u = tf.subtract(s, t, name="u")
    v = tf.cos(x0, name="v")
    return dict(x0=x0, x1=x1, s=s, t=t, u=u, v=v)


@pytest.fixture
def sess():
    with tf.Session() as s:
        yield s


def _run(sess, n, fetches, extra=None):
    feed = {n["x0"]: X0, n["x1"]: X1}
    feed.update(extra or {})
    return sess.run(fetches, feed)


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


# -- tensors ---------------------------------------------------------------------------------
def test_reroute_ts_rewires_and_session_recomputes(n, sess):
    _close(_run(sess, n, n["u"]), np.sin(X0) - np.exp(X1))
    version = tf.get_default_graph().version
    assert ge.reroute_ts([n["x1"]], [n["x0"]]) == 2  # s and v read x1 now
    assert tf.get_default_graph().version > version
    assert n["x0"].consumers() == [] and {op.name for op in n["x1"].consumers()} == \
        {"s", "t", "v"}
    assert [t.name for t in n["s"].op.inputs] == ["x1:0"]
    u, v = sess.run([n["u"], n["v"]], {n["x1"]: X1})  # x0 no longer needed
    _close(u, np.sin(X1) - np.exp(X1))
    _close(v, np.cos(X1))


def test_swap_ts_and_an_op_reading_both(n, sess):
    _run(sess, n, n["u"])
    assert ge.swap_ts([n["s"]], [n["t"]]) == 2
    # u read (s, t): it now reads (t, s) (TF's one-direction-then-the-other gave (t, t))
    assert [t.name for t in n["u"].op.inputs] == ["t:0", "s:0"]
    _close(_run(sess, n, n["u"]), np.exp(X1) - np.sin(X0))
    assert n["s"].consumers() == [n["u"].op] and n["t"].consumers() == [n["u"].op]


def test_can_and_cannot_modify(n, sess):
    ge.reroute_ts([n["x1"]], [n["x0"]], can_modify=[n["s"].op])
    assert [t.name for t in n["v"].op.inputs] == ["x0:0"]
    _close(_run(sess, n, [n["s"], n["v"]]), [np.sin(X1), np.cos(X0)])
    ge.reroute_ts(n["x1"], n["x0"], cannot_modify=n["s"].op)  # single tensors/ops are fine
    _close(_run(sess, n, n["v"]), np.cos(X1))


def test_reroute_forgets_folded_constant_values():
    c1 = tf.constant(2.0, name="c1")
    c2 = tf.constant(5.0, name="c2")
    r = tf.add(c1, 1.0, name="r")
    assert tf.get_static_value(r) == 3.0
    ge.reroute_ts([c2], [c1])
    assert tf.get_static_value(r) == 6.0
    with tf.Session() as sess:
        assert sess.run(r) == 6.0


def test_reroute_errors_change_nothing(n):
    consumers = {k: v.consumers() for k, v in n.items()}
    with pytest.raises(ValueError, match="ts0 and ts1 have different sizes: 2 != 1"):
        ge.reroute_ts([n["x0"], n["x1"]], [n["s"]])
    i = tf.placeholder(tf.int32, [3], name="i")
    with pytest.raises(ValueError, match="Dtypes int32 and float32 are not compatible"):
        ge.reroute_ts([i], [n["x0"]])
    w = tf.placeholder(tf.float32, [4], name="w")
    with pytest.raises(ValueError, match=r"Shapes \(4,\) and \(3,\) are not compatible"):
        ge.swap_ts([w], [n["x0"]])
    other = tf.Graph()
    with other.as_default():
        z = tf.placeholder(tf.float32, [3], name="z")
    with pytest.raises(ValueError, match="z:0 and x0:0 are not in the same graph"):
        ge.reroute_ts([z], [n["x0"]])
    with pytest.raises(TypeError, match="Expected a tf.Tensor, got: Operation 's'"):
        ge.reroute_ts([n["s"].op], [n["x0"]])
    assert {k: v.consumers() for k, v in n.items()} == consumers


# -- subgraph views --------------------------------------------------------------------------
def test_swap_inputs_updates_views(n, sess):
    sgv0, sgv1 = ge.sgv(n["s"].op), ge.sgv(n["t"].op)
    ge.swap_inputs(sgv0, sgv1)
    assert [t.name for t in sgv0.inputs] == ["x1:0"] and [t.name for t in sgv1.inputs] == ["x0:0"]
    _close(_run(sess, n, n["u"]), np.sin(X1) - np.exp(X0))


def test_reroute_inputs(n, sess):
    ge.reroute_inputs(n["s"].op, n["t"].op)  # t reads s's input
    _close(_run(sess, n, n["u"]), np.sin(X0) - np.exp(X0))
    assert n["x1"].consumers() == []


def test_swap_and_reroute_outputs(n, sess):
    ge.swap_outputs(n["s"].op, n["t"].op)
    _close(_run(sess, n, n["u"]), np.exp(X1) - np.sin(X0))
    ge.reroute_outputs(n["s"].op, n["t"].op)  # t's consumers (u's first input) read s
    _close(_run(sess, n, n["u"]), np.zeros(3))


def test_swap_and_reroute_ios(n, sess):
    ge.swap_ios(n["s"].op, n["t"].op)  # the two ops trade places
    _close(_run(sess, n, n["u"]), np.exp(X0) - np.sin(X1))
    assert [t.name for t in n["s"].op.inputs] == ["x1:0"]


def test_reroute_ios(n, sess):
    ge.reroute_ios(n["s"].op, n["t"].op)
    _close(_run(sess, n, [n["u"], n["t"]]), [np.zeros(3), np.exp(X0)])


# -- control inputs --------------------------------------------------------------------------
def test_add_and_remove_control_inputs(n, sess):
    counter = tf.Variable(0.0, name="counter")
    inc = tf.assign_add(counter, 1.0)
    y = tf.identity(n["x0"], name="y")
    sess.run(counter.initializer)
    sess.run(y, {n["x0"]: X0})
    ge.add_control_inputs(y.op, inc.op)
    assert y.op.control_inputs == [inc.op]
    sess.run(y, {n["x0"]: X0})
    sess.run(y, {n["x0"]: X0})
    assert sess.run(counter) == 2.0
    with pytest.raises(ValueError, match=r"\S+ is already a control_input of y"):
        ge.add_control_inputs(y.op, [inc.op])
    ge.remove_control_inputs(y.op, [inc.op])
    assert y.op.control_inputs == [] and y.op not in inc.op._control_outputs
    sess.run(y, {n["x0"]: X0})
    assert sess.run(counter) == 2.0
    with pytest.raises(ValueError, match="s is not a control_input of y"):
        ge.remove_control_inputs(y.op, [n["s"].op])
    with pytest.raises(TypeError, match="Expected a tf.Operation, got: Tensor"):
        ge.add_control_inputs(y, [n["s"].op])
    other = tf.Graph()
    with other.as_default():
        z = tf.no_op(name="z")
    with pytest.raises(ValueError, match="z must be from the same graph as y"):
        ge.add_control_inputs(y.op, [z])


def test_detach_control_inputs_and_outputs(n):
    with tf.control_dependencies([n["v"].op]):
        w = tf.negative(n["s"], name="w")
    ge.detach_control_inputs(ge.sgv(w.op, n["s"].op))
    assert w.op.control_inputs == []
    ge.add_control_inputs(w.op, [n["t"].op])
    co = ge.ControlOutputs(tf.get_default_graph())
    ge.detach_control_outputs(n["t"].op, co)
    assert w.op.control_inputs == []
    with pytest.raises(TypeError, match="Expected a util.ControlOutputs"):
        ge.detach_control_outputs(n["t"].op, None)


# -- edit ------------------------------------------------------------------------------------
def test_detach_inputs(n, sess):
    view, placeholders = ge.detach_inputs(n["s"].op)
    assert [p.op.name for p in placeholders] == ["geph__x0_0"]
    assert [t.name for t in view.inputs] == ["geph__x0_0:0"]
    assert [op.name for op in n["x0"].consumers()] == ["v"]
    p = np.float32([0.5, 1.0, 2.0])
    _close(_run(sess, n, n["u"], {placeholders[0]: p}), np.sin(p) - np.exp(X1))


def test_detach_outputs(n, sess):
    view, placeholders = ge.detach_outputs(n["s"].op)
    assert [p.op.name for p in placeholders] == ["geph__s_0"]
    assert placeholders[0].shape.as_list() == [3]
    assert n["s"].consumers() == []
    p = np.float32([0.5, 1.0, 2.0])
    _close(_run(sess, n, n["u"], {placeholders[0]: p}), p - np.exp(X1))


def test_detach_both(n):
    view, ins, outs = ge.detach(ge.sgv(n["s"].op, n["t"].op))
    assert sorted(p.op.name for p in ins) == ["geph__x0_0", "geph__x1_0"]
    assert sorted(p.op.name for p in outs) == ["geph__s_0", "geph__t_0"]
    assert n["u"].op.inputs[0] in outs and n["u"].op.inputs[1] in outs


def test_connect(n, sess):
    ge.connect(n["s"].op, n["t"].op)  # t reads s
    _close(_run(sess, n, n["t"]), np.exp(np.sin(X0)))
    w = tf.negative(n["x1"], name="w")
    ge.connect(n["v"].op, w.op, disconnect_first=True)
    _close(_run(sess, n, w), -np.cos(X0))


def test_bypass(n, sess):
    w = tf.negative(n["s"], name="w")
    z = tf.multiply(w, 2.0, name="z")
    view, placeholders = ge.bypass(w.op)
    assert [t.name for t in z.op.inputs][0] == "s:0"
    _close(_run(sess, n, z), 2 * np.sin(X0))
    before = [t.name for t in n["u"].op.inputs]
    with pytest.raises(ValueError, match="ts0 and ts1 have different sizes: 2 != 1"):
        ge.bypass(n["u"].op)  # two inputs, one output
    assert [t.name for t in n["u"].op.inputs] == before
