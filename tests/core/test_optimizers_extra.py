"""FtrlOptimizer, ProximalGradientDescentOptimizer and ProximalAdagradOptimizer against their
updates computed by hand (TF's kernel formulas in float64), slot names, sparse updates and
minimize. The same trajectories against tf.compat.v1 are in test_count_decomp.py."""

import numpy as np
import pytest

import minitf as tf
from minitf.ops import ftrl_ops

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]], np.float32)
Y = np.array([1.0, -2.0, 0.5], np.float32)
W0 = np.array([0.2, -0.1], np.float32)
B0 = np.float32(0.3)


def _model(dtype=np.float32):
    x = tf.constant(X.astype(dtype))
    w = tf.Variable(W0.astype(dtype), name="w")
    b = tf.Variable(B0.astype(dtype), name="b")
    loss = tf.reduce_mean(tf.square(tf.reduce_sum(x * w, axis=1) + b - Y.astype(dtype)))
    return w, b, loss


def _grads(w, b):
    """d loss / d (w, b) for loss = mean((X w + b - Y)^2), in float64."""
    r = X.astype(np.float64) @ w + b - Y
    return 2 * X.T @ r / len(Y), 2 * r.mean()


def _run(optimizer, steps=4, dtype=np.float32):
    w, b, loss = _model(dtype)
    train = optimizer.minimize(loss)
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            sess.run(train)
            out.append((sess.run(w).astype(np.float64), float(sess.run(b))))
    return out


def _reference(update, slots, steps=4):
    """Trajectory of (w, b) when ``update(param, grad, slot_state) -> (param, slot_state)``
    is applied to both, starting from the slots ``slots(param)``."""
    params = [W0.astype(np.float64), float(B0)]
    state = [slots(p) for p in params]
    out = []
    for _ in range(steps):
        grads = _grads(*params)
        for i in range(2):
            params[i], state[i] = update(params[i], grads[i], state[i])
        out.append(tuple(params))
    return out


def _check(got, want, tol=1e-6):
    for (gw, gb), (ww, wb) in zip(got, want, strict=True):
        np.testing.assert_allclose(gw, ww, rtol=tol, atol=tol)
        np.testing.assert_allclose(gb, wb, rtol=tol, atol=tol)


def _ftrl_update(lr, l1, l2, lr_power, shrinkage=0.0):
    """TF's ApplyFtrl / ApplyFtrlV2 (the shrinkage enters linear, not the accumulator)."""
    def update(w, g, state):
        accum, linear = state
        new_accum = accum + g * g
        linear = linear + g + 2 * shrinkage * w - (
            new_accum ** -lr_power - accum ** -lr_power) / lr * w
        quadratic = new_accum ** -lr_power / lr + 2 * l2
        w = np.where(np.abs(linear) > l1, (l1 * np.sign(linear) - linear) / quadratic, 0.0)
        return w, (new_accum, linear)
    return update


def _proximal(prox, rate, l1, l2):
    return np.sign(prox) * np.maximum(np.abs(prox) - rate * l1, 0) / (1 + rate * l2)


FTRL_CONFIGS = {
    "default": ({}, (0.1, 0.0, 0.0, -0.5, 0.0), 0.1),
    "l1_l2_power": ({"learning_rate_power": -0.3, "initial_accumulator_value": 0.2,
                     "l1_regularization_strength": 0.05, "l2_regularization_strength": 0.1},
                    (0.1, 0.05, 0.1, -0.3, 0.0), 0.2),
    "shrinkage": ({"l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
                   "l2_shrinkage_regularization_strength": 0.05},
                  (0.1, 0.01, 0.02, -0.5, 0.05), 0.1),
    # beta / (2 lr) is added to l2 (TF 2.x's argument).
    "beta": ({"beta": 0.5}, (0.1, 0.0, 0.5 / 0.2, -0.5, 0.0), 0.1),
    # A strong l1 keeps every weight at exactly zero.
    "strong_l1": ({"l1_regularization_strength": 100.0}, (0.1, 100.0, 0.0, -0.5, 0.0), 0.1),
}


@pytest.mark.parametrize("config", sorted(FTRL_CONFIGS))
def test_ftrl_matches_hand_computed_updates(config):
    kwargs, (lr, l1, l2, power, shrink), init = FTRL_CONFIGS[config]
    want = _reference(_ftrl_update(lr, l1, l2, power, shrink),
                      lambda p: (np.full(np.shape(p), init), np.zeros(np.shape(p))))
    optimizer = tf.train.FtrlOptimizer(lr, **kwargs)
    _check(_run(optimizer), want)
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert ("ApplyFtrlV2" if shrink else "ApplyFtrl") in types
    assert ("ApplyFtrl" if shrink else "ApplyFtrlV2") not in types
    if config == "strong_l1":
        assert all(np.all(w == 0.0) and b == 0.0 for w, b in want)


@pytest.mark.parametrize("l1, l2", [(0.0, 0.0), (0.0, 0.3), (0.2, 0.1)])
def test_proximal_gradient_descent_matches_hand_computed_updates(l1, l2):
    lr = 0.1

    def update(w, g, _):
        return _proximal(w - lr * g, lr, l1, l2), None

    optimizer = tf.train.ProximalGradientDescentOptimizer(
        lr, l1_regularization_strength=l1, l2_regularization_strength=l2)
    _check(_run(optimizer), _reference(update, lambda p: None))
    assert optimizer.get_slot_names() == []
    assert "ApplyProximalGradientDescent" in {
        op.type for op in tf.get_default_graph().get_operations()}


@pytest.mark.parametrize("l1, l2", [(0.0, 0.0), (0.05, 0.1)])
def test_proximal_adagrad_matches_hand_computed_updates(l1, l2):
    lr, init = 0.2, 0.3

    def update(w, g, accum):
        accum = accum + g * g
        rate = lr / np.sqrt(accum)
        return _proximal(w - rate * g, rate, l1, l2), accum

    optimizer = tf.train.ProximalAdagradOptimizer(
        lr, initial_accumulator_value=init, l1_regularization_strength=l1,
        l2_regularization_strength=l2)
    _check(_run(optimizer), _reference(update, lambda p: np.full(np.shape(p), init)))
    assert "ApplyProximalAdagrad" in {op.type for op in tf.get_default_graph().get_operations()}


def test_float64_variables_and_tensor_learning_rates():
    """Python hyperparameters become float32 tensors cast to the variable's dtype (so they are
    float32-rounded, as in TF1); the accumulator starts at ones * 0.1 in float64; the learning
    rate may be a tensor."""
    lr = tf.placeholder(tf.float32, [])
    w, b, loss = _model(np.float64)
    train = tf.train.FtrlOptimizer(lr, l1_regularization_strength=0.01).minimize(loss)
    update = _ftrl_update(np.float32(0.1), np.float32(0.01), 0.0, -0.5)
    want = _reference(update, lambda p: (np.full(np.shape(p), 0.1), np.zeros(np.shape(p))),
                      steps=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = []
        for _ in range(2):
            sess.run(train, {lr: 0.1})
            got.append((sess.run(w), float(sess.run(b))))
    _check(got, want, tol=1e-12)


def test_slot_names_follow_tensorflow():
    w, b, loss = _model()
    ftrl = tf.train.FtrlOptimizer(0.1)
    ftrl.minimize(loss)
    assert ftrl.get_slot_names() == ["accum", "linear"]
    assert ftrl.get_slot(w, "accum").op.name == "w/Ftrl"
    assert ftrl.get_slot(w, "linear").op.name == "w/Ftrl_1"
    named = tf.train.FtrlOptimizer(0.1, accum_name="acc", linear_name="lin")
    named.minimize(loss)
    assert [named.get_slot(b, n).op.name for n in ("accum", "linear")] == ["b/acc", "b/lin"]
    prox = tf.train.ProximalAdagradOptimizer(0.1)
    prox.minimize(loss)
    assert prox.get_slot_names() == ["accumulator"]
    assert prox.get_slot(w, "accumulator").op.name == "w/ProximalAdagrad"
    tf.train.ProximalGradientDescentOptimizer(0.1).minimize(loss)
    names = {v.op.name for v in tf.global_variables()}
    assert names == {"w", "b", "w/Ftrl", "w/Ftrl_1", "b/Ftrl", "b/Ftrl_1", "w/acc", "w/lin",
                     "b/acc", "b/lin", "w/ProximalAdagrad", "b/ProximalAdagrad"}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(ftrl.get_slot(w, "accum")), np.float32([0.1] * 2))
        np.testing.assert_array_equal(sess.run(prox.get_slot(b, "accumulator")), np.float32(0.1))


def test_constructor_errors_name_the_argument():
    with pytest.raises(ValueError, match="initial_accumulator_value -0.100000 needs to be "
                                         "positive or zero"):
        tf.train.FtrlOptimizer(0.1, initial_accumulator_value=-0.1)
    with pytest.raises(ValueError, match="learning_rate_power 0.500000 needs to be negative"):
        tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)
    for arg in ("l1_regularization_strength", "l2_regularization_strength",
                "l2_shrinkage_regularization_strength"):
        with pytest.raises(ValueError, match=f"^{arg} -1.000000 needs to be positive or zero"):
            tf.train.FtrlOptimizer(0.1, **{arg: -1.0})
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive: 0.0"):
        tf.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0)


def _embedding_step(make, ids):
    """One step of loss = sum(gather(emb, ids) * c): (types, emb before, after, slots)."""
    table = np.arange(12, dtype=np.float32).reshape(4, 3) / 10 - 0.5
    emb = tf.Variable(table, name="emb")
    c = np.array([[1.0, -2.0, 0.5]] * len(ids), np.float32)
    opt = make()
    train = opt.minimize(tf.reduce_sum(tf.gather(emb, ids) * c))
    types = {op.type for op in tf.get_default_graph().get_operations() if "Apply" in op.type}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        slots = {n: sess.run(opt.get_slot(emb, n)) for n in opt.get_slot_names()}
        return types, table, sess.run(emb), slots, c[0]


SPARSE = {
    "SparseApplyFtrl": (lambda: tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01),
                        _ftrl_update(0.1, 0.01, 0.0, -0.5), lambda p: (np.full(3, 0.1),
                                                                       np.zeros(3))),
    "SparseApplyFtrlV2": (
        lambda: tf.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=0.2),
        _ftrl_update(0.1, 0.0, 0.0, -0.5, 0.2), lambda p: (np.full(3, 0.1), np.zeros(3))),
    "SparseApplyProximalGradientDescent": (
        lambda: tf.train.ProximalGradientDescentOptimizer(0.1, 0.05, 0.1),
        lambda w, g, s: (_proximal(w - 0.1 * g, 0.1, 0.05, 0.1), s), lambda p: None),
    "SparseApplyProximalAdagrad": (
        lambda: tf.train.ProximalAdagradOptimizer(0.1, 0.1, 0.05, 0.1),
        lambda w, g, a: (_proximal(w - 0.1 / np.sqrt(a + g * g) * g, 0.1 / np.sqrt(a + g * g),
                                   0.05, 0.1), a + g * g), lambda p: np.full(3, 0.1)),
}


@pytest.mark.parametrize("op_type", sorted(SPARSE))
def test_sparse_updates_move_only_their_rows(op_type):
    """An embedding's gradient (IndexedSlices, the repeated id summed as in TF1) moves the
    rows it names and their slots; the others keep their values."""
    make, update, slots = SPARSE[op_type]
    types, before, after, got_slots, c = _embedding_step(make, [2, 0, 2])
    assert types == {op_type}
    np.testing.assert_array_equal(after[[1, 3]], before[[1, 3]])
    for row, count in ((0, 1), (2, 2)):
        want, state = update(before[row].astype(np.float64), count * c.astype(np.float64),
                             slots(None))
        np.testing.assert_allclose(after[row], want, rtol=1e-6, atol=1e-6)
    for value in got_slots.values():  # untouched rows keep their initial slot values
        np.testing.assert_array_equal(value[1], value[3])


def test_sparse_kernel_applies_a_repeated_index_again():
    """The op itself (TF1's optimizers sum repeated ids first) applies a repeated index once
    per occurrence, in order, and checks its indices."""
    var = tf.Variable(np.ones((2, 2), np.float32))
    accum = tf.Variable(np.full((2, 2), 0.1, np.float32))
    linear = tf.Variable(np.zeros((2, 2), np.float32))
    grad = tf.placeholder(tf.float32, [None, 2])
    idx = tf.placeholder(tf.int32, [None])
    scalars = [tf.constant(v, tf.float32) for v in (0.1, 0.0, 0.0, -0.5)]
    step = ftrl_ops.SPARSE_APPLY_FTRL(var, accum, linear, grad, idx, *scalars)
    update = _ftrl_update(0.1, 0.0, 0.0, -0.5)
    w, state = np.ones(2), (np.full(2, 0.1), np.zeros(2))
    for g in ([1.0, 2.0], [0.5, -1.0]):
        w, state = update(w, np.array(g), state)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(step, {grad: [[1.0, 2.0], [0.5, -1.0]], idx: [1, 1]})
        np.testing.assert_allclose(got, [[1.0, 1.0], w], rtol=1e-6)
        with pytest.raises(tf.errors.InvalidArgumentError, match="index 5 at offset 0"):
            sess.run(step, {grad: [[1.0, 2.0]], idx: [5]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="var and grad do not have"):
        ftrl_ops.APPLY_FTRL(var, accum, linear, tf.zeros([3]), *scalars)


@pytest.mark.parametrize("make", [
    lambda: tf.train.FtrlOptimizer(0.5),
    lambda: tf.train.FtrlOptimizer(0.5, l2_shrinkage_regularization_strength=0.001),
    lambda: tf.train.ProximalGradientDescentOptimizer(0.1, l2_regularization_strength=0.001),
    lambda: tf.train.ProximalAdagradOptimizer(0.5, l1_regularization_strength=0.001),
], ids=["ftrl", "ftrl_v2", "proximal_gd", "proximal_adagrad"])
def test_minimize_fits_a_linear_model(make):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([1.5, -2.0, 0.5], np.float32) + 0.3
    w = tf.Variable(tf.zeros([3]))
    b = tf.Variable(0.0)
    loss = tf.reduce_mean(tf.square(tf.reduce_sum(x * w, axis=1) + b - y))
    step = tf.train.get_or_create_global_step()
    train = make().minimize(loss, global_step=step)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss)
        for _ in range(300):
            sess.run(train)
        assert sess.run(loss) < 0.05 * first
        assert sess.run(step) == 300
