"""tf.GradientTape in graph mode: against hand-derived values and numpy, and side by side with
TensorFlow's graph-mode tape (skipped where TensorFlow is not installed)."""

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import run, tf1_or_skip


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()
    yield


X = np.array([1.0, 2.0, 3.0], np.float32)


def _x():
    return tf.placeholder(tf.float32, [3], name="x")


# -- what the tape differentiates ---------------------------------------------------------------
def test_polynomial_gradient_matches_hand_derivative():
    x = _x()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x * x + 2.0 * x
    g = tape.gradient(y, x)
    np.testing.assert_allclose(run(g, {x: X}), 3 * X ** 2 + 2, rtol=1e-6)


def test_ops_before_watch_are_not_recorded():
    # TF's tape records an op only when an input is watched at that moment: y0 is a constant
    x = _x()
    with tf.GradientTape() as tape:
        y0 = x * x
        tape.watch(x)
        z = y0 * x
    np.testing.assert_allclose(run(tape.gradient(z, x), {x: X}), X ** 2)


def test_unwatched_sources_get_none_and_a_target_source_gets_ones():
    x = _x()
    c = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        k = tf.constant([2.0, 2.0, 2.0])
        y = c * x + k * x
        u = c * 5.0  # nothing watched: not recorded
    assert tape.gradient(y, c) is None
    assert tape.gradient(y, k) is None
    assert tape.gradient(u, c) is None
    np.testing.assert_allclose(run(tape.gradient(c, c)), [1, 1, 1])
    np.testing.assert_allclose(run(tape.gradient(y, x), {x: X}), [3, 4, 5])


def test_ops_outside_the_context_are_not_recorded():
    x = _x()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2.0
    z = y * y  # after the context
    assert tape.gradient(z, x) is None
    np.testing.assert_allclose(run(tape.gradient(y, x), {x: X}), [2, 2, 2])


def test_integer_path_has_no_gradient():
    x = _x()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(tf.cast(x, tf.int32) * 2, tf.float32)
    assert tape.gradient(y, x) is None


def test_intermediate_tensor_source():
    x = _x()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = tf.reduce_sum(y * 3.0)
    np.testing.assert_allclose(run(tape.gradient(z, y), {x: X}), [3, 3, 3])


# -- variables ------------------------------------------------------------------------------------
def test_trainable_variables_are_watched_on_access():
    v = tf.Variable(2.0)
    w = tf.Variable(3.0, trainable=False)
    unused = tf.Variable(4.0)
    with tf.GradientTape(persistent=True) as tape:
        a = v * w
    assert tape.watched_variables() == (v,)
    gv, gw, gu = tape.gradient(a, [v, w, unused])
    assert gw is None and gu is None
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(gv) == 3.0


def test_watch_variable_explicitly_and_watch_accessed_false():
    v = tf.Variable(2.0)
    w = tf.Variable(3.0, trainable=False)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        a = v * w * w
    gv, gw = tape.gradient(a, [v, w])
    assert gv is None
    assert tape.watched_variables() == (w,)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(gw) == 12.0  # d(v w^2)/dw = 2 v w


def test_watched_variables_in_construction_order():
    a, b, c = tf.Variable(1.0), tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = c * b + a * 0.0
    assert tape.watched_variables() == (a, b, c)
    tape.gradient(y, [a])
    assert tape.watched_variables() == (a, b, c)  # kept after the tape is used up


def test_nested_sources_keep_their_structure():
    v = tf.Variable(2.0)
    x = _x()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x) * v
    out = tape.gradient(y, {"b": [v], "a": (x,)})
    assert set(out) == {"a", "b"} and isinstance(out["a"], tuple) and isinstance(out["b"], list)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(out, {x: X})
    np.testing.assert_allclose(got["a"][0], [2, 2, 2])
    assert got["b"][0] == 6.0


def test_sparse_read_gives_indexed_slices():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.gather(v, [0, 2]) * 2.0)
    g = tape.gradient(y, v)
    assert isinstance(g, tf.IndexedSlices)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(tf.convert_to_tensor(g)), [[2, 2], [0, 0], [2, 2]])


def test_training_step_with_tape_gradients():
    w = tf.Variable([1.0, -1.0])
    x = tf.constant([2.0, 3.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(w * x - 1.0))
    grads = tape.gradient(loss, [w])
    step = tf.train.GradientDescentOptimizer(0.1).apply_gradients(zip(grads, [w]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step)
        # dL/dw = 2 (w x - 1) x = [4, -24]
        np.testing.assert_allclose(sess.run(w), [1 - 0.4, -1 + 2.4], rtol=1e-6)


# -- arguments --------------------------------------------------------------------------------
def test_output_gradients_and_unconnected_zero():
    x = _x()
    other = tf.placeholder(tf.float32, [2, 2])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, other])
        y = x * x
    g = tape.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(run(g, {x: X}), [2, 0, 12])
    gx, go = tape.gradient(y, [x, other], unconnected_gradients=tf.UnconnectedGradients.ZERO)
    np.testing.assert_allclose(run(go), np.zeros((2, 2)))
    assert tape.gradient(y, [x, other], unconnected_gradients="none")[1] is None


def test_bad_arguments():
    x = _x()
    with tf.GradientTape(persistent=True) as tape:
        with pytest.raises(ValueError, match="Passed in object of type <class 'float'>"):
            tape.watch(3.0)
        with pytest.raises(ValueError, match="not tf.Tensor"):
            tape.watch([x, "s"])
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'bad'"):
        tape.gradient(y, x, unconnected_gradients="bad")
    with pytest.raises(TypeError, match="sources must be Tensors or Variables"):
        tape.gradient(y, 3.0)
    with pytest.raises(ValueError, match="2 output_gradients for 1 targets"):
        tape.gradient(y, x, output_gradients=[tf.ones([3]), tf.ones([3])])


# -- the tape's life -------------------------------------------------------------------------------
def test_non_persistent_tape_gives_one_gradient():
    x = _x()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="can only be called once on non-persistent tapes"):
        tape.gradient(y, x)
    with tape:  # a used tape may be entered again: a new recording
        tape.watch(x)
        z = x * 3.0
    np.testing.assert_allclose(run(tape.gradient(z, x), {x: X}), [3, 3, 3])


def test_gradient_inside_a_non_persistent_context_stops_recording():
    x = _x()
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        g = tape.gradient(y, x)
        z = g * x  # not recorded: the tape stopped
    assert not tape._recording
    np.testing.assert_allclose(run(g, {x: X}), 2 * X)
    with pytest.raises(RuntimeError):
        tape.gradient(z, x)


def test_persistent_tape_records_its_own_gradient_for_second_order():
    x = _x()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x * x
        g = tape.gradient(y, x)
    g2 = tape.gradient(g, x)
    np.testing.assert_allclose(run([g, g2], {x: X}), [3 * X ** 2, 6 * X])


def test_nested_tapes_second_derivative():
    x = _x()
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.sin(x) * x
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    # y = x sin x: y' = sin x + x cos x, y'' = 2 cos x - x sin x
    np.testing.assert_allclose(run(dy, {x: X}), np.sin(X) + X * np.cos(X), rtol=1e-5)
    np.testing.assert_allclose(run(d2y, {x: X}), 2 * np.cos(X) - X * np.sin(X), rtol=1e-5)


def test_stop_recording_and_reset():
    x = _x()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            a = x * x
        b = x * 5.0
        first = x * x
        tape.reset()
        tape.watch(x)
        second = x * 7.0
    assert tape.gradient(a, x) is None
    assert tape.gradient(b, x) is None  # forgotten by reset
    assert tape.gradient(first, x) is None
    np.testing.assert_allclose(run(tape.gradient(second, x), {x: X}), [7, 7, 7])


def test_recording_errors():
    tape = tf.GradientTape()
    with pytest.raises(RuntimeError, match="Trying to stop recording a tape which is not"):
        with tape.stop_recording():
            pass
    with pytest.raises(ValueError, match="Tape is not recording."):
        tape.reset()
    with pytest.raises(ValueError, match="Tape is still recording"):
        with tape:
            with tape:
                pass
    assert tape.watched_variables() == ()


def test_control_flow_in_the_tape():
    x = _x()
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        c = tf.cond(x[0] > 0, lambda: x * 2.0, lambda: x * 3.0)
        _, w = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * x),
                             [tf.constant(0), tf.ones([3])])
    np.testing.assert_allclose(run(tape.gradient(c, x), {x: X}), [2, 2, 2])
    np.testing.assert_allclose(run(tape.gradient(w, x), {x: X}), 3 * X ** 2)
    np.testing.assert_allclose(run(tape.gradient(c, x), {x: -X}), [3, 3, 3])


# -- jacobians -------------------------------------------------------------------------------------
def test_jacobian_matches_hand_matrix():
    x = tf.placeholder(tf.float32, [2])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.stack([x[0] * x[1], x[0] + x[1], tf.sin(x[0])])
    j = tape.jacobian(y, x)
    assert j.shape.as_list() == [3, 2]
    a, b = 0.5, 2.0
    want = [[b, a], [1, 1], [np.cos(a), 0]]
    np.testing.assert_allclose(run(j, {x: [a, b]}), want, rtol=1e-6)
    with pytest.raises(RuntimeError):  # a non-persistent tape: one jacobian
        tape.jacobian(y, x)


def test_jacobian_shapes_structure_and_unconnected():
    x = _x()
    p = tf.placeholder(tf.float32, [None, 2])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, p])
        y = tf.reshape(x[:, None] * x, [3, 3])
        q = p * p
    j, jp = tape.jacobian(y, [x, p])
    assert j.shape.as_list() == [3, 3, 3] and jp is None
    jz = tape.jacobian(y, {"p": p}, unconnected_gradients="zero")["p"]
    assert jz.shape.as_list() == [3, 3, None, 2]
    jq = tape.jacobian(q, p)
    assert jq.shape.as_list() == [None, 2, None, 2]
    got_j, got_jz, got_jq = run([j, jz, jq], {x: X, p: [[1, 2], [3, 4]]})
    want = np.zeros((3, 3, 3))
    for r in range(3):
        for c in range(3):
            want[r, c, r] += X[c]
            want[r, c, c] += X[r]
    np.testing.assert_allclose(got_j, want)
    assert got_jz.shape == (3, 3, 2, 2) and not got_jz.any()
    want_q = np.zeros((2, 2, 2, 2))
    pv = np.array([[1, 2], [3, 4]], np.float32)
    for i in range(2):
        for k in range(2):
            want_q[i, k, i, k] = 2 * pv[i, k]
    np.testing.assert_allclose(got_jq, want_q)


def test_batch_jacobian_matches_hand_values():
    p = tf.placeholder(tf.float32, [None, 2])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(p)
        q = p * p
        r = tf.reshape(tf.stack([p[:, 0] * p[:, 1], p[:, 0]], axis=1), [-1, 2, 1])
        unrelated = tf.ones([2, 2]) * 3.0
    bj = tape.batch_jacobian(q, p)
    br = tape.batch_jacobian(r, p)
    assert bj.shape.as_list() == [None, 2, 2] and br.shape.as_list() == [None, 2, 1, 2]
    assert tape.batch_jacobian(unrelated, p) is None  # TF 1.15's (later TFs give zeros)
    pv = np.array([[1, 2], [3, 4]], np.float32)
    got, got_r = run([bj, br], {p: pv})
    np.testing.assert_allclose(got, [[[2, 0], [0, 4]], [[6, 0], [0, 8]]])
    np.testing.assert_allclose(got_r[:, :, 0, :], [[[2, 1], [1, 0]], [[4, 3], [1, 0]]])


def test_batch_jacobian_bad_shapes():
    x = tf.placeholder(tf.float32, [2, 2])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.ones([3, 2]) * 2.0
        v = x[:, 0]
    with pytest.raises(ValueError, match=r"Need first dimension of target shape \(\(3, 2\)\)"):
        tape.batch_jacobian(y, x)
    with pytest.raises(ValueError, match="rank"):
        tape.batch_jacobian(v, x)


# -- side by side with TensorFlow's graph-mode tape -----------------------------------------------
def _build_mixed(t):
    """The same graph in minitf or TensorFlow (``t``): (fetches, feeds, Python facts)."""
    x = t.placeholder(t.float32, [3])
    p = t.placeholder(t.float32, [None, 2])
    v = t.Variable([0.5, -1.0])
    frozen = t.Variable(2.0, trainable=False)
    with t.GradientTape(persistent=True) as tape:
        y0 = x * x
        tape.watch(x)
        z = t.reduce_sum(y0 * x) + t.reduce_sum(t.sin(x) * frozen)
        tape.watch(p)
        q = t.matmul(p, t.reshape(v, [2, 1])) * t.reduce_sum(x)
        s = t.tanh(p * v)
    grads = tape.gradient([z, q], {"x": x, "v": v, "p": p})
    jac = tape.jacobian(q, [v, x])
    bjac = tape.batch_jacobian(s, p)
    facts = [tape.gradient(z, frozen) is None, [v.name for v in tape.watched_variables()],
             [j.shape.as_list() for j in jac], bjac.shape.as_list()]
    return [grads, jac, bjac], [x, p], facts


def _run_both(build, feed_values):
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        fetches, feeds, want_facts = build(tf1)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            want = sess.run(fetches, dict(zip(feeds, feed_values)))
    fetches, feeds, got_facts = build(tf)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(fetches, dict(zip(feeds, feed_values)))
    return got, want, got_facts, want_facts


def test_side_by_side_with_tensorflow():
    feeds = [X, np.array([[1.0, 2.0], [-0.5, 0.25]], np.float32)]
    got, want, got_facts, want_facts = _run_both(_build_mixed, feeds)
    for key in ("x", "v", "p"):
        np.testing.assert_allclose(got[0][key], want[0][key], rtol=1e-5, atol=1e-6)
    for g, w in zip(got[1] + [got[2]], want[1] + [want[2]]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert got_facts == want_facts


def _build_nested(t):
    x = t.placeholder(t.float32, [3])
    w = t.Variable([1.0, 2.0, 3.0])
    with t.GradientTape() as outer:
        outer.watch(x)
        with t.GradientTape() as inner:
            inner.watch(x)
            y = t.reduce_sum(t.exp(x * w) * x)
        g = inner.gradient(y, [x, w])
        total = g[0] * g[1]
    second = outer.gradient(total, [x, w])
    return [g, second], [x], [s is None for s in second]


def test_nested_tapes_side_by_side():
    got, want, got_facts, want_facts = _run_both(_build_nested, [X / 4])
    for g, w in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-5)
    assert got_facts == want_facts
