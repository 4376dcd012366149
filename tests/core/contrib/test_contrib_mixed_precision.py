"""tf.contrib.mixed_precision: the loss scale managers' trajectories computed by hand from TF
1.15's rules, LossScaleOptimizer skipping steps with injected inf/NaN gradients (variables,
slots and global_step untouched, scale lowered), and finite steps equal to the unwrapped
optimizer's; TF1's variable names and errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import mixed_precision as mp

from ..side_by_side import tf1_or_skip

F32_MAX = float(np.finfo(np.float32).max)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _trajectory(manager, finite_steps):
    """The loss scale after each update, fed whether the step's gradients were finite."""
    finite = tf.placeholder(tf.bool, [])
    update = manager.update_loss_scale(finite)
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for f in finite_steps:
            sess.run(update, {finite: f})
            out.append(float(sess.run(manager.get_loss_scale())))
    return out


def test_namespace():
    assert tf.contrib.mixed_precision is mp
    assert issubclass(mp.FixedLossScaleManager, mp.LossScaleManager)
    assert issubclass(mp.ExponentialUpdateLossScaleManager, mp.LossScaleManager)
    with pytest.raises(TypeError):
        mp.LossScaleManager()  # abstract


def test_fixed_manager():
    m = mp.FixedLossScaleManager(1000)
    assert m.get_loss_scale().dtype == tf.float32
    assert _trajectory(m, [True, False, False, True]) == [1000.0] * 4
    with pytest.raises(ValueError, match="loss scale must be at least 1."):
        mp.FixedLossScaleManager(0.5)


@pytest.mark.parametrize("init, incr_n, decr_n, steps, want", [
    # growth every 2 finite steps
    (1, 2, 2, [True] * 6, [1, 2, 2, 4, 4, 8]),
    # shrink every 2 bad steps, never below 1
    (16, 2, 2, [False] * 10, [16, 8, 8, 4, 4, 2, 2, 1, 1, 1]),
    # a bad step clears the good count (True, True grows; True, False, True does not)
    (1, 2, 2, [True, True, True, False, True], [1, 2, 2, 2, 2]),
    # but a good step does not clear the bad count: the 2nd bad step shrinks
    (1, 2, 2, [True, True, True, False, True, False], [1, 2, 2, 2, 2, 1]),
    # thresholds of 1: every step changes the scale
    (1, 1, 1, [True, False, True, True, False], [2, 1, 2, 4, 2]),
    # mixed, as worked out on paper from TF's rules
    (4, 2, 2, [False, False, True, True, True, False, True, False, True, True, True, False],
     [4, 2, 2, 4, 4, 4, 4, 2, 2, 4, 4, 4]),
])
def test_exponential_update_trajectories(init, incr_n, decr_n, steps, want):
    m = mp.ExponentialUpdateLossScaleManager(init, incr_n, decr_every_n_nan_or_inf=decr_n,
                                             incr_ratio=2, decr_ratio=0.5)
    assert _trajectory(m, steps) == want


def test_exponential_update_default_ratios_and_overflow():
    # decr_ratio 0.8 by default: 10 -> 8 -> 6.4 after every 2nd bad step.
    m = mp.ExponentialUpdateLossScaleManager(10, 3)
    got = _trajectory(m, [False] * 4 + [True] * 3)
    np.testing.assert_allclose(got, [10, 8, 8, 6.4, 6.4, 6.4, 12.8], rtol=1e-6)
    # A product that overflows float32 keeps the scale (the counts still reset).
    init = F32_MAX / 4 + 10
    m = mp.ExponentialUpdateLossScaleManager(init, 1, incr_ratio=2)
    got = _trajectory(m, [True] * 4)
    want = np.float32(init) * np.float32(2)
    assert got[0] == float(want) and got[1] == float(np.float32(want) * np.float32(2))
    assert got[2] == got[1] and got[3] == got[1]


def test_exponential_update_variables_are_tf1s():
    with tf.variable_scope("scope"):
        m = mp.ExponentialUpdateLossScaleManager(8, 2)
    got = {v.name: v.dtype.base_dtype for v in tf.global_variables()}
    assert got == {"scope/loss_scale:0": tf.float32, "scope/good_steps:0": tf.int32,
                   "scope/bad_steps:0": tf.int32}
    assert tf.trainable_variables() == []
    assert m.get_loss_scale() is tf.global_variables()[0]


def _problem():
    """w: two float32 weights, loss = sum(w^2 * x) with x fed (inf or nan make the gradient
    non-finite)."""
    w = tf.Variable([1.0, -2.0], name="w")
    x = tf.placeholder(tf.float32, [2])
    return w, x, tf.reduce_sum(w * w * x)


def test_optimizer_skips_non_finite_steps_and_updates_the_scale():
    w, x, loss = _problem()
    m = mp.ExponentialUpdateLossScaleManager(64, 2, decr_every_n_nan_or_inf=1, incr_ratio=2,
                                             decr_ratio=0.5)
    opt = mp.LossScaleOptimizer(tf.train.GradientDescentOptimizer(0.1), m)
    step = tf.train.get_or_create_global_step()
    train = opt.minimize(loss, global_step=step)
    feeds = [[1, 1], [np.inf, 1], [1, np.nan], [1, 2], [1, 1], [-np.inf, 1], [1, 1]]
    wv, scale, count, good = np.array([1.0, -2.0]), 64.0, 0, 0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for xv in feeds:
            sess.run(train, {x: xv})
            xv = np.array(xv, np.float64)
            if np.all(np.isfinite(xv)):  # by hand: SGD on 2 w x, then TF's counting rule
                wv = wv - 0.1 * 2 * wv * xv
                count += 1
                good += 1
                if good >= 2:
                    scale, good = scale * 2, 0
            else:
                scale, good = max(scale * 0.5, 1.0), 0
            got_w, got_scale, got_step = sess.run([w, m.get_loss_scale(), step])
            np.testing.assert_allclose(got_w, wv, rtol=1e-6)
            assert got_scale == scale and got_step == count


def test_finite_updates_equal_the_unwrapped_optimizer():
    """Adam (slots, beta powers) wrapped with a scale of 2^10 against Adam alone: the same
    variables after several steps, and the wrapped one's step skipped on inf."""
    xs = [[1.0, 0.5], [0.3, -1.0], [2.0, 1.0]]
    results = []
    for wrap in (True, False):
        with tf.Graph().as_default():
            w, x, loss = _problem()
            opt = tf.train.AdamOptimizer(0.05)
            if wrap:
                opt = mp.LossScaleOptimizer(opt, mp.FixedLossScaleManager(1024))
            grads = opt.compute_gradients(loss)
            train = opt.apply_gradients(grads)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                g0 = sess.run(grads[0][0], {x: xs[0]})
                for xv in xs:
                    sess.run(train, {x: xv})
                before = sess.run(tf.global_variables())
                if wrap:
                    sess.run(train, {x: [np.nan, 1.0]})
                    after = sess.run(tf.global_variables())
                    for b, a in zip(before, after):
                        np.testing.assert_array_equal(a, b)  # nothing moved, slots included
                results.append((g0, sess.run(w)))
    (g_wrapped, w_wrapped), (g_plain, w_plain) = results
    np.testing.assert_allclose(g_wrapped, g_plain, rtol=1e-6)  # gradients come back unscaled
    np.testing.assert_allclose(w_wrapped, w_plain, rtol=1e-6)


def test_compute_gradients_scales_the_loss_and_unscales_gradients():
    w, x, loss = _problem()
    m = mp.FixedLossScaleManager(512)
    opt = mp.LossScaleOptimizer(tf.train.GradientDescentOptimizer(1.0), m)
    unused = tf.Variable(1.0, name="unused")
    grads = opt.compute_gradients(loss, var_list=[w, unused])
    assert grads[1] == (None, unused)
    (raw,) = tf.gradients(loss * 512.0, [w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, scaled = sess.run([grads[0][0], raw], {x: [1.5, 2.0]})
    np.testing.assert_allclose(got, [3.0, -8.0], rtol=1e-6)
    np.testing.assert_allclose(scaled, got * 512, rtol=1e-6)
    # The reciprocal TF multiplies by is in the graph.
    assert any(op.type == "Reciprocal" for op in tf.get_default_graph().get_operations())


def test_slots_are_the_wrapped_optimizers():
    w, x, loss = _problem()
    inner = tf.train.MomentumOptimizer(0.1, 0.9)
    opt = mp.LossScaleOptimizer(inner, mp.FixedLossScaleManager(4))
    opt.minimize(loss)
    assert opt.get_slot_names() == ["momentum"]
    assert opt.get_slot(w, "momentum") is inner.get_slot(w, "momentum")
    assert opt.variables() == inner.variables()


def test_variable_names_match_tensorflow():
    """The checkpoint keys of a wrapped Adam with an exponential manager: TF's contrib code
    (v1 control flow) built in TF 2.21's compat.v1 gives the same variables."""
    tf1 = tf1_or_skip()

    def build(lib, is_tf):
        w = lib.Variable([1.0, -2.0], name="w")
        x = lib.placeholder(lib.float32, [2])
        loss = lib.reduce_sum(w * w * x)
        if is_tf:  # contrib's classes, written out with TF's primitives
            scale = lib.Variable(8.0, name="loss_scale", trainable=False)
            lib.Variable(0, name="good_steps", trainable=False)
            lib.Variable(0, name="bad_steps", trainable=False)
            opt = lib.train.AdamOptimizer(0.1)
            gv = [(g * lib.reciprocal(scale), v)
                  for g, v in opt.compute_gradients(loss * scale)]
            finite = lib.reduce_all([lib.reduce_all(lib.is_finite(g)) for g, _ in gv])
            lib.cond(finite, lambda: opt.apply_gradients(gv), lib.no_op)
        else:
            m = mp.ExponentialUpdateLossScaleManager(8.0, 2)
            mp.LossScaleOptimizer(lib.train.AdamOptimizer(0.1), m).minimize(loss)
        return sorted(v.name for v in lib.global_variables())

    g = tf1.Graph()
    with g.as_default():
        control_flow_v2 = tf1.control_flow_v2_enabled()
        tf1.disable_control_flow_v2()
        try:
            want = build(tf1, True)
        finally:
            if control_flow_v2:
                tf1.enable_control_flow_v2()
    assert build(tf, False) == want
