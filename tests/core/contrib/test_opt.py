"""tf.contrib.opt against hand-computed numpy updates over several steps, with dense and
IndexedSlices (tf.gather) gradients, plus TF1's slot names."""

import math

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import opt

W0 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], np.float64)
GRADS = [np.array([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]]),
         np.array([[-0.1, 0.6], [0.2, -0.3], [0.4, 0.1]]),
         np.array([[0.2, 0.2], [-0.4, 0.5], [0.3, -0.6]])]
IDX = np.array([0, 2, 0])  # row 0 twice (summed), row 1 never


def _train(make_opt, sparse, steps=3, decay_var_list=None):
    """Runs ``steps`` updates with the fed gradients; returns (w after each step, opt, w)."""
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(W0, name="w")
        gstep = tf.train.get_or_create_global_step()
        o = make_opt()
        if sparse:
            c = tf.placeholder(tf.float64, [3, 2])
            loss = tf.reduce_sum(c * tf.gather(w, IDX))
        else:
            c = tf.placeholder(tf.float64, [3, 2])
            loss = tf.reduce_sum(c * w)
        if decay_var_list is None:
            train = o.minimize(loss, global_step=gstep)
        else:
            train = o.apply_gradients(o.compute_gradients(loss), global_step=gstep,
                                      decay_var_list=decay_var_list(w))
        out = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for k in range(steps):
                sess.run(train, {c: GRADS[k]})
                out.append(sess.run(w))
    return out, o, w


def _dense_grad(k, sparse):
    """The gradient wrt w of step k: dense, or the gathered rows scattered (summed)."""
    if not sparse:
        return GRADS[k], np.ones(3, bool)
    g = np.zeros_like(W0)
    np.add.at(g, IDX, GRADS[k])
    rows = np.zeros(3, bool)
    rows[IDX] = True
    return g, rows


def f32(x):
    """A Python float as the float32 constant the optimizer casts to float64 (TF too)."""
    return float(np.float32(x))


def _lr_t(lr, b1, b2, k):
    """Adam's step size at step k with float32 beta powers (TF's non-slot variables)."""
    b1p, b2p = np.float32(1), np.float32(1)
    for _ in range(k + 1):
        b1p, b2p = b1p * np.float32(b1), b2p * np.float32(b2)
    return f32(lr) * math.sqrt(1 - float(b2p)) / (1 - float(b1p))


def _check(got, want):
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
def test_adamw(sparse):
    got, o, w = _train(lambda: opt.AdamWOptimizer(0.01, 0.1), sparse)
    lr, b1, b2, eps, wd = 0.1, f32(0.9), f32(0.999), f32(1e-8), 0.01
    m = v = np.zeros_like(W0)
    x, want = W0.copy(), []
    for k in range(3):
        g, rows = _dense_grad(k, sparse)
        x = x - wd * x * rows[:, None]  # decay first (the gradient's rows if sparse)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        lr_t = _lr_t(lr, b1, b2, k)
        x = x - lr_t * m / (np.sqrt(v) + eps)
        want.append(x)
    _check(got, want)
    assert [o.get_slot(w, n).op.name for n in ("m", "v")] == ["w/AdamW", "w/AdamW_1"]
    assert sorted(o.get_slot_names()) == ["m", "v"]


@pytest.mark.parametrize("sparse", [False, True])
def test_momentumw_and_decay_var_list(sparse):
    got, o, w = _train(lambda: opt.MomentumWOptimizer(0.05, 0.1, 0.9), sparse)
    lr, mom, wd = f32(0.1), f32(0.9), 0.05
    acc, x, want = np.zeros_like(W0), W0.copy(), []
    for k in range(3):
        g, rows = _dense_grad(k, sparse)
        r = rows[:, None]
        x = x - wd * x * r
        acc = np.where(r, mom * acc + g, acc)  # sparse: only the gradient's rows
        x = x - lr * acc * r
        want.append(x)
    _check(got, want)
    assert o.get_slot(w, "momentum").op.name == "w/MomentumW"
    # Not in decay_var_list: plain momentum.
    other = tf.Variable(1.0, name="other")  # (another graph's; never decayed)
    got, _, _ = _train(lambda: opt.MomentumWOptimizer(0.05, 0.1, 0.9), False,
                       decay_var_list=lambda w: [other])
    acc, x = np.zeros_like(W0), W0.copy()
    for k in range(3):
        acc = mom * acc + GRADS[k]
        x = x - lr * acc
    _check(got[-1:], [x])


def test_minimize_decay_var_list_is_overridden_as_in_tf_1_15():
    # TF 1.15's minimize stores decay_var_list, then its apply_gradients call resets it:
    # every variable decays.
    with tf.Graph().as_default():
        w = tf.Variable([1.0, 2.0], name="w")
        other = tf.Variable(0.0, name="other")
        o = opt.MomentumWOptimizer(0.5, 0.0, 0.0)
        train = o.minimize(tf.reduce_sum(w * 0.0) + other * 0.0, decay_var_list=[other])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(train)
            assert sess.run(w).tolist() == [0.5, 1.0]


def test_extend_with_decoupled_weight_decay():
    sgdw = opt.extend_with_decoupled_weight_decay(tf.train.GradientDescentOptimizer)
    got, _, _ = _train(lambda: sgdw(0.1, learning_rate=0.5), False, steps=2)
    x = W0.copy()
    for k in range(2):
        x = x - 0.1 * x
        x = x - f32(0.5) * GRADS[k]
    _check(got[-1:], [x])
    assert issubclass(sgdw, opt.DecoupledWeightDecayExtension)


@pytest.mark.parametrize("sparse", [False, True])
def test_lazy_adam_updates_only_gradient_rows(sparse):
    got, o, w = _train(lambda: opt.LazyAdamOptimizer(0.1), sparse)
    lr, b1, b2, eps = 0.1, f32(0.9), f32(0.999), f32(1e-8)
    m = v = np.zeros_like(W0)
    x, want = W0.copy(), []
    for k in range(3):
        g, rows = _dense_grad(k, sparse)
        r = rows[:, None]
        m = np.where(r, b1 * m + (1 - b1) * g, m)
        v = np.where(r, b2 * v + (1 - b2) * g * g, v)
        lr_t = _lr_t(lr, b1, b2, k)
        x = np.where(r, x - lr_t * m / (np.sqrt(v) + eps), x)
        want.append(x)
    _check(got, want)
    if sparse:
        np.testing.assert_array_equal(got[-1][1], W0[1])
    assert o.get_slot(w, "m").op.name == "w/LazyAdam"


@pytest.mark.parametrize("sparse", [False, True])
def test_nadam(sparse):
    got, o, w = _train(lambda: opt.NadamOptimizer(0.1), sparse)
    lr, b1, b2, eps = 0.1, f32(0.9), f32(0.999), f32(1e-8)
    m = v = np.zeros_like(W0)
    x, want = W0.copy(), []
    for k in range(3):
        g, rows = _dense_grad(k, sparse)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        lr_t = _lr_t(lr, b1, b2, k)
        m_bar = b1 * m + (1 - b1) * g
        x = x - lr_t * m_bar / (np.sqrt(v) + eps) * rows[:, None]  # sparse: its rows only
        want.append(x)
    _check(got, want)
    assert o.get_slot(w, "m").op.name == "w/Adam"


def _sign_reference(sparse, multiplier, lr, beta, decay=lambda k: 1.0):
    lr, beta = f32(lr), f32(beta)
    m, x, want = np.zeros_like(W0), W0.copy(), []
    for k in range(3):
        g, _ = _dense_grad(k, sparse)
        m = beta * m + (1 - beta) * g
        x = x - lr * multiplier(np.sign(g) * np.sign(m) * decay(k)) * g
        want.append(x)
    return want


@pytest.mark.parametrize("sparse", [False, True])
def test_addsign(sparse):
    got, o, w = _train(lambda: opt.AddSignOptimizer(0.1, alpha=1.5, beta=0.8), sparse)
    _check(got, _sign_reference(sparse, lambda s: f32(1.5) + s, 0.1, 0.8))
    assert o.get_slot(w, "m").op.name == "w/AddSignOptimizer"


@pytest.mark.parametrize("sparse", [False, True])
def test_powersign_with_sign_decay(sparse):
    def decay_fn(step):
        return 1.0 - tf.cast(step, tf.float32) / 4.0

    got, o, w = _train(lambda: opt.PowerSignOptimizer(0.1, base=2.0, beta=0.7,
                                                      sign_decay_fn=decay_fn), sparse)
    want = _sign_reference(sparse, lambda s: np.exp(f32(math.log(2.0)) * s), 0.1, 0.7,
                           decay=lambda k: 1.0 - k / 4.0)
    _check(got, want)
    assert o.get_slot(w, "m").op.name == "w/PowerSignOptimizer"


def test_moving_average_optimizer_and_swapping_saver(tmp_path):
    decay = 0.5
    got, o, w = _train(lambda: opt.MovingAverageOptimizer(
        tf.train.GradientDescentOptimizer(0.5), average_decay=decay), False)
    x, avg = W0.copy(), W0.copy()
    for k in range(3):
        x = x - f32(0.5) * GRADS[k]
        avg = decay * avg + (1 - decay) * x
    _check(got[-1:], [x])
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(W0, name="w")
        c = tf.placeholder(tf.float64, [3, 2])
        o = opt.MovingAverageOptimizer(tf.train.GradientDescentOptimizer(0.5),
                                       average_decay=decay)
        with pytest.raises(RuntimeError, match="Must call apply_gradients"):
            o.swapping_saver()
        train = o.minimize(tf.reduce_sum(c * w))
        saver = o.swapping_saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for k in range(3):
                sess.run(train, {c: GRADS[k]})
            path = saver.save(sess, str(tmp_path / "ckpt"))
    with tf.Graph().as_default():
        w = tf.Variable(np.zeros_like(W0), name="w")
        with tf.Session() as sess:
            tf.train.Saver([w]).restore(sess, path)
            np.testing.assert_allclose(sess.run(w), avg, rtol=1e-6)
