"""tf.mixed_precision / tf.train.experimental: loss scales and MixedPrecisionLossScaleOptimizer.

TF-free tests check the loss scale's state machine and the optimizer's updates against the
algorithm written out in numpy here (plain SGD on a linear model, whose gradient is easy to
write by hand). Side-by-side tests train the same small MLP in tf.compat.v1 and minitf, with
inf and NaN steps and increments, and compare variables, loss scale state, names, errors and
TF-written checkpoints."""

import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitf as tf

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning",
                                        "ignore:overflow encountered:RuntimeWarning")

# --- a linear model whose gradient is written by hand -------------------------------------------
X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]], np.float32)
Y = np.array([[1.0], [-2.0], [0.5]], np.float32)
W0 = np.array([[0.2], [-0.1]], np.float32)
B0 = np.array([0.3], np.float32)
LR = 0.1


def _linear():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable(W0, name="w")
    b = tf.Variable(B0, name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - Y))
    return x, w, b, loss


def _grads(x, w, b):
    """d loss / d (w, b) of mean((x w + b - Y)^2), in float64."""
    r = x.astype(np.float64) @ w + b - Y
    return 2 * x.T @ r / len(Y), 2 * r.mean(axis=0)


class _Reference:
    """TF's dynamic loss scale written out: skip and halve on a non-finite gradient, multiply
    after ``period`` finite steps in a row."""

    def __init__(self, scale, period, multiplier=2.0):
        self.scale, self.period, self.multiplier, self.good = scale, period, multiplier, 0

    def step(self, finite: bool) -> bool:
        if not finite:
            self.scale, self.good = max(self.scale / self.multiplier, 1.0), 0
        elif self.good + 1 >= self.period:
            if np.isfinite(np.float32(self.scale * self.multiplier)):
                self.scale *= self.multiplier
            self.good = 0
        else:
            self.good += 1
        return finite


def _feeds():
    bad = X.copy()
    bad[0, 0] = np.inf
    nan = X.copy()
    nan[1, 1] = np.nan
    return [X, X, bad, X, X, X, nan, X * 0.5]


def test_dynamic_sgd_against_the_algorithm_by_hand():
    x, w, b, loss = _linear()
    step = tf.train.get_or_create_global_step()
    ls = tf.mixed_precision.DynamicLossScale(initial_loss_scale=8, increment_period=2)
    opt = tf.mixed_precision.MixedPrecisionLossScaleOptimizer(
        tf.train.GradientDescentOptimizer(LR), ls)
    train = opt.minimize(loss, global_step=step)
    ref, rw, rb, rstep = _Reference(8.0, 2), W0.astype(np.float64), B0.astype(np.float64), 0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for feed in _feeds():
            sess.run(train, {x: feed})
            gw, gb = _grads(feed, rw, rb)
            if ref.step(bool(np.isfinite(gw).all() and np.isfinite(gb).all())):
                rw, rb, rstep = rw - LR * gw, rb - LR * gb, rstep + 1
            got_w, got_b, scale, good, got_step = sess.run(
                [w, b, ls(), ls._num_good_steps, step])
            np.testing.assert_allclose(got_w, rw, rtol=1e-5)
            np.testing.assert_allclose(got_b, rb, rtol=1e-5)
            assert (scale, good, got_step) == (ref.scale, ref.good, rstep)
    assert ref.scale == 8.0 and rstep == 6  # two skipped steps, two halvings, two increments


def test_gradients_are_scaled_then_unscaled():
    x, w, b, loss = _linear()
    opt = tf.mixed_precision.MixedPrecisionLossScaleOptimizer(
        tf.train.GradientDescentOptimizer(LR), 1024)
    (gw, _), (gb, _) = opt.compute_gradients(loss)
    # The wrapped optimizer differentiates loss * 1024: its loss tensor is a Mul by the scale.
    scaled = gw.op.inputs[0].op
    assert gw.op.type == "Mul" and scaled.type != "Const"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_w, got_b = sess.run([gw, gb], {x: X})
    want_w, want_b = _grads(X, W0, B0)
    np.testing.assert_allclose(got_w, want_w, rtol=1e-5)
    np.testing.assert_allclose(got_b, want_b, rtol=1e-5)


def test_fixed_loss_scale_applies_every_step_through_the_wrapped_optimizer():
    x, w, b, loss = _linear()
    opt = tf.mixed_precision.MixedPrecisionLossScaleOptimizer(
        tf.train.GradientDescentOptimizer(LR), 128.0)
    train = opt.minimize(loss)
    assert train.name == "GradientDescent"  # the wrapped optimizer's own op, as in TF
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        rw, rb = W0.astype(np.float64), B0.astype(np.float64)
        for _ in range(3):
            sess.run(train, {x: X})
            gw, gb = _grads(X, rw, rb)
            rw, rb = rw - LR * gw, rb - LR * gb
        np.testing.assert_allclose(sess.run(w), rw, rtol=1e-5)
        sess.run(train, {x: _feeds()[2]})  # a fixed scale cannot skip: w is no longer finite
        assert not np.isfinite(sess.run(w)).all()


def _update_graph(ls, n=2):
    grads = [tf.placeholder(tf.float32, [2]) for _ in range(n)]
    update, should_apply = ls.update(grads + [None])  # None gradients are ignored
    return grads, update, should_apply


def _run_updates(ls, steps):
    grads, update, should_apply = _update_graph(ls)
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for values in steps:
            feed = dict(zip(grads, values))
            ok = sess.run(should_apply, feed)
            sess.run(update, feed)
            out.append((bool(ok), *sess.run([ls(), ls._num_good_steps])))
    return out


def test_dynamic_update_state_machine():
    fine, inf, nan = np.ones(2, np.float32), np.array([1, np.inf], np.float32), np.full(2, np.nan)
    ls = tf.mixed_precision.DynamicLossScale(initial_loss_scale=4, increment_period=3,
                                             multiplier=4)
    got = _run_updates(ls, [(fine, fine), (fine, fine), (fine, fine), (fine, inf), (nan, fine),
                            (fine, fine), (inf, inf)])
    assert got == [(True, 4.0, 1), (True, 4.0, 2), (True, 16.0, 0), (False, 4.0, 0),
                   (False, 1.0, 0), (True, 1.0, 1), (False, 1.0, 0)]  # never below 1


def test_dynamic_scale_that_would_overflow_stays():
    fine = np.ones(2, np.float32)
    ls = tf.mixed_precision.DynamicLossScale(initial_loss_scale=2.0 ** 127, increment_period=1)
    got = _run_updates(ls, [(fine, fine), (fine, fine)])
    assert got == [(True, 2.0 ** 127, 0)] * 2  # 2**128 is inf in float32: not assigned


def test_sparse_gradient_is_unscaled_and_checked():
    emb = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="emb")
    ids = tf.placeholder(tf.int32, [None])
    scale = tf.placeholder(tf.float32, [])
    loss = tf.reduce_sum(tf.gather(emb, ids) * scale)
    ls = tf.mixed_precision.DynamicLossScale(initial_loss_scale=16, increment_period=10)
    opt = tf.mixed_precision.MixedPrecisionLossScaleOptimizer(
        tf.train.GradientDescentOptimizer(1.0), ls)
    (g, _), = opt.compute_gradients(loss, [emb])
    assert isinstance(g, tf.IndexedSlices)
    train = opt.apply_gradients([(g, emb)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(g.values, {ids: [0, 2], scale: 3.0}),
                                   np.full((2, 2), 3.0))
        sess.run(train, {ids: [0, 2, 2], scale: 1.0})
        np.testing.assert_allclose(sess.run(emb), [[-1, 0], [2, 3], [2, 3]])
        sess.run(train, {ids: [1], scale: np.inf})  # an inf in the slices' values: skipped
        np.testing.assert_allclose(sess.run(emb), [[-1, 0], [2, 3], [2, 3]])
        assert sess.run(ls()) == 8.0


def test_variables_slots_and_names():
    x, w, b, loss = _linear()
    inner = tf.train.AdamOptimizer(0.1)
    opt = tf.mixed_precision.MixedPrecisionLossScaleOptimizer(inner, "dynamic")
    with tf.name_scope("train"):
        train = opt.minimize(loss, name="step")
    assert train.name == "train/step" and train.type == "NoOp"
    assert opt.get_name() == "Adam"
    ls = opt._loss_scale
    assert (ls.initial_loss_scale, ls.increment_period, ls.multiplier) == (2.0 ** 15, 2000, 2.0)
    assert [v.name for v in tf.global_variables()] == [
        "w:0", "b:0", "current_loss_scale:0", "good_steps:0", "beta1_power:0", "beta2_power:0",
        "w/Adam:0", "w/Adam_1:0", "b/Adam:0", "b/Adam_1:0"]
    assert [v.name for v in tf.trainable_variables()] == ["w:0", "b:0"]
    assert ls._current_loss_scale.dtype == tf.float32 and ls._num_good_steps.dtype == tf.int64
    # As in TF, the wrapper has no slots of its own; the wrapped optimizer has them.
    assert opt.get_slot(w, "m") is None and opt.get_slot_names() == []
    assert inner.get_slot(w, "m").name == "w/Adam:0"
    assert [v.name for v in opt.variables()] == [
        "b/Adam:0", "b/Adam_1:0", "beta1_power:0", "beta2_power:0", "w/Adam:0", "w/Adam_1:0",
        "current_loss_scale:0", "good_steps:0"]
    assert [op.name for op in tf.get_collection(tf.GraphKeys.TRAIN_OP)] == ["step-wrapped"]


def test_loss_scale_state_saves_and_restores(tmp_path):
    x, w, b, loss = _linear()
    ls = tf.mixed_precision.DynamicLossScale(initial_loss_scale=64, increment_period=5)
    train = tf.mixed_precision.MixedPrecisionLossScaleOptimizer(
        tf.train.GradientDescentOptimizer(LR), ls).minimize(loss)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for feed in _feeds()[:4]:
            sess.run(train, {x: feed})
        saved = sess.run([ls(), ls._num_good_steps])
        path = saver.save(sess, str(tmp_path / "model"))
    assert saved == [32.0, 1]
    names = [n for n, _ in tf.train.list_variables(path)]
    assert "current_loss_scale" in names and "good_steps" in names
    with tf.Session() as sess:
        saver.restore(sess, path)
        assert sess.run([ls(), ls._num_good_steps]) == saved


def test_fixed_loss_scale():
    fixed = tf.mixed_precision.FixedLossScale(4)
    assert repr(fixed) == "FixedLossScale(4.0)" and fixed.get_config() == {
        "loss_scale_value": 4.0}
    again = tf.mixed_precision.FixedLossScale.from_config(fixed.get_config())
    op, should_apply = again.update([tf.constant([np.inf])])
    assert should_apply is True and op.type == "NoOp"
    with tf.Session() as sess:
        assert sess.run(again()) == 4.0
    assert tf.global_variables() == []
    with pytest.raises(ValueError, match="must be a Python int or float"):
        tf.mixed_precision.FixedLossScale("3")
    with pytest.raises(ValueError, match="must be at least 1"):
        tf.mixed_precision.FixedLossScale(0.5)


def test_dynamic_loss_scale_config_and_duplicates():
    ls = tf.mixed_precision.DynamicLossScale(initial_loss_scale=8, increment_period=3,
                                             multiplier=4)
    assert repr(ls) == ("DynamicLossScale(initial_loss_scale=8.0, increment_period=3, "
                        "multiplier=4.0)")
    assert ls.get_config() == {"initial_loss_scale": 8.0, "increment_period": 3,
                               "multiplier": 4.0}
    with pytest.raises(RuntimeError, match="Duplicate variables detected"):
        ls._add_weight("good_steps", 0)
    other = tf.mixed_precision.DynamicLossScale.from_config(ls.get_config())
    assert other._current_loss_scale.name == "current_loss_scale_1:0"
    with tf.Graph().as_default():  # the same loss scale may make its weights in another graph
        ls._add_weight("good_steps", 0)
    with pytest.raises(TypeError, match="abstract"):
        tf.mixed_precision.LossScale()


def test_bad_arguments():
    sgd = tf.train.GradientDescentOptimizer(0.1)
    wrapper = tf.mixed_precision.MixedPrecisionLossScaleOptimizer
    with pytest.raises(ValueError, match=r'"opt" must be an instance of Optimizer, but got: '
                                         r"<class 'int'>"):
        wrapper(3, 2)
    with pytest.raises(ValueError, match="loss_scale cannot be None"):
        wrapper(sgd, None)
    with pytest.raises(ValueError, match="Could not interpret loss scale identifier: static"):
        wrapper(sgd, "static")
    enable = tf.mixed_precision.enable_mixed_precision_graph_rewrite
    with pytest.raises(ValueError, match='"opt" must be an instance of a tf.train.Optimizer or '
                                         "a tf.keras.optimizers.Optimizer, but got: 3"):
        enable(3)
    with pytest.raises(ValueError, match='must not already be an instance of a '
                                         'MixedPrecisionLossScaleOptimizer'):
        enable(wrapper(sgd, 2))
    with pytest.raises(RuntimeError, match="should never be called"):
        wrapper(sgd, 2)._apply_dense(None, None)


def test_enable_and_disable_graph_rewrite(caplog):
    mp = tf.mixed_precision
    sgd = tf.train.GradientDescentOptimizer(0.1)
    try:
        opt = mp.enable_mixed_precision_graph_rewrite(sgd, loss_scale=16)
        assert isinstance(opt, mp.MixedPrecisionLossScaleOptimizer)
        assert opt._optimizer is sgd and isinstance(opt._loss_scale, mp.FixedLossScale)
        assert mp.is_mixed_precision_graph_rewrite_enabled()
        # TF reports the Grappler option its rewrite turned on (it is off again below).
        assert tf.config.optimizer.get_experimental_options()["auto_mixed_precision"] is True
        dyn = tf.train.experimental.enable_mixed_precision_graph_rewrite(sgd)
        assert isinstance(dyn._loss_scale, mp.DynamicLossScale)
    finally:
        mp.disable_mixed_precision_graph_rewrite()
    assert not mp.is_mixed_precision_graph_rewrite_enabled()
    assert tf.config.optimizer.get_experimental_options()["auto_mixed_precision"] is False
    with caplog.at_level(logging.WARNING, logger="minitf"):
        mp.disable_mixed_precision_graph_rewrite()
    assert "already disabled" in caplog.text


def test_namespaces():
    mp, exp = tf.mixed_precision, tf.train.experimental
    for name in ("LossScale", "FixedLossScale", "DynamicLossScale"):
        assert getattr(mp, name) is getattr(exp, name) is getattr(mp.experimental, name)
    for name in ("MixedPrecisionLossScaleOptimizer", "enable_mixed_precision_graph_rewrite",
                 "disable_mixed_precision_graph_rewrite"):
        assert getattr(mp, name) is getattr(exp, name)
    assert tf.compat.v1.mixed_precision is mp


def test_python_state():
    class Counter(tf.train.experimental.PythonState):
        def __init__(self):
            self.n = 7

        def serialize(self):
            return str(self.n).encode()

        def deserialize(self, string_value):
            self.n = int(string_value)

    c = Counter()
    saved = c._serialize_to_tensors()["py_state"]
    with tf.Session() as sess:
        value = sess.run(saved)
    assert value == b"7"
    c.n = 0
    c._restore_from_tensors({"py_state": np.array(value, dtype=object)})
    assert c.n == 7
    with pytest.raises(TypeError, match="abstract"):
        tf.train.experimental.PythonState()


# --- side by side with tf.compat.v1 -------------------------------------------------------------
RNG = np.random.default_rng(0)
MLP_X = RNG.normal(size=(8, 3)).astype(np.float32)
MLP_Y = RNG.normal(size=(8, 1)).astype(np.float32)
MLP_W1 = RNG.normal(size=(3, 4)).astype(np.float32) * 0.5
MLP_W2 = RNG.normal(size=(4, 1)).astype(np.float32) * 0.5


def _mlp_feeds():
    inf, nan = MLP_X.copy(), MLP_X.copy()
    inf[2, 1] = np.inf
    nan[5, 0] = np.nan
    return [MLP_X, MLP_X, MLP_X, inf, MLP_X * 2, MLP_X, MLP_X, nan, nan, MLP_X, MLP_X, MLP_X]


def _train_mlp(m, make_opt, loss_scale, feeds, name=None):
    """Trains the MLP in module ``m`` (minitf or tf.compat.v1) in a graph of its own: each
    step's (variables, loss scale, good steps, global step), the global variables' names,
    opt.variables()' names and the returned op's name."""
    g = m.Graph()
    with g.as_default():
        x = m.placeholder(m.float32, [None, 3], name="x")
        with m.variable_scope("mlp"):
            w1 = m.get_variable("w1", initializer=MLP_W1)
            b1 = m.get_variable("b1", initializer=np.zeros(4, np.float32))
            w2 = m.get_variable("w2", initializer=MLP_W2)
        h = m.nn.relu(m.matmul(x, w1) + b1)
        loss = m.reduce_mean(m.square(m.matmul(h, w2) - MLP_Y))
        step = m.train.get_or_create_global_step()
        opt = m.mixed_precision.MixedPrecisionLossScaleOptimizer(make_opt(m), loss_scale(m))
        ls = opt._loss_scale
        train = opt.minimize(loss, global_step=step, name=name)
        dynamic = isinstance(ls, m.mixed_precision.DynamicLossScale)
        state = [ls(), ls._num_good_steps] if dynamic else [ls()]
        history = []
        with m.Session(graph=g) as sess:
            sess.run(m.global_variables_initializer())
            for feed in feeds:
                sess.run(train, {x: feed})
                history.append(sess.run([[w1, b1, w2], state, step]))
        names = ([v.name for v in m.global_variables()], [v.name for v in opt.variables()],
                 train.name)
    return history, names


def _compare(history_tf, history_mini):
    for k, ((vt, st, gt), (vm, sm, gm)) in enumerate(zip(history_tf, history_mini)):
        for a, b in zip(vt, vm):
            np.testing.assert_allclose(b, a, rtol=2e-5, atol=1e-6, err_msg=f"step {k}")
        assert [float(s) for s in sm] == [float(s) for s in st], f"step {k}"
        assert int(gm) == int(gt), f"step {k}"


OPTIMIZERS = {
    "sgd": lambda m: m.train.GradientDescentOptimizer(0.05),
    "momentum": lambda m: m.train.MomentumOptimizer(0.05, 0.9),
    "adam": lambda m: m.train.AdamOptimizer(0.01),
}


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_dynamic_training_matches_tf(opt_name):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    scale = lambda m: m.mixed_precision.DynamicLossScale(  # noqa: E731
        initial_loss_scale=2 ** 10, increment_period=2, multiplier=2.0)
    feeds = _mlp_feeds()
    history_tf, names_tf = _train_mlp(tf1, OPTIMIZERS[opt_name], scale, feeds)
    history_mini, names_mini = _train_mlp(tf, OPTIMIZERS[opt_name], scale, feeds)
    _compare(history_tf, history_mini)
    assert names_mini == names_tf
    scales = [float(h[1][0]) for h in history_mini]
    assert max(scales) > 2 ** 10 and min(scales) < 2 ** 10  # increments and halvings seen
    assert int(history_mini[-1][2]) == len(feeds) - 3  # the inf step and two NaN steps skipped


def test_fixed_training_matches_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    feeds = [MLP_X, MLP_X * 0.5, MLP_X]
    for scale in (lambda m: m.mixed_precision.FixedLossScale(256), lambda m: 64):
        history_tf, names_tf = _train_mlp(tf1, OPTIMIZERS["adam"], scale, feeds, name="fixed")
        history_mini, names_mini = _train_mlp(tf, OPTIMIZERS["adam"], scale, feeds,
                                              name="fixed")
        _compare(history_tf, history_mini)
        assert names_mini == names_tf


def test_update_and_overflow_match_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    fine, inf = np.ones(2, np.float32), np.array([np.inf, 1], np.float32)
    steps = [(fine, fine)] * 3 + [(inf, fine), (fine, np.full(2, np.nan, np.float32))] * 4

    def run(m, initial, period):
        with m.Graph().as_default():
            ls = m.mixed_precision.DynamicLossScale(initial_loss_scale=initial,
                                                    increment_period=period, multiplier=8)
            grads = [m.placeholder(m.float32, [2]) for _ in range(2)]
            update, should_apply = ls.update(grads)
            out = []
            with m.Session() as sess:
                sess.run(m.global_variables_initializer())
                for values in steps:
                    feed = dict(zip(grads, values))
                    out.append(sess.run(should_apply, feed))
                    sess.run(update, feed)
                    out.append(sess.run([ls(), ls._num_good_steps]))
            return repr(ls), ls.get_config(), out  # TF's repr in a graph (eager: other form)

    for initial, period in ((2.0 ** 125, 1), (100.0, 2)):
        assert run(tf, initial, period) == run(tf1, initial, period)


def test_errors_match_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def messages(m):
        out = []
        cases = [
            lambda: m.mixed_precision.MixedPrecisionLossScaleOptimizer("sgd", 2),
            lambda: m.mixed_precision.MixedPrecisionLossScaleOptimizer(
                m.train.GradientDescentOptimizer(0.1), None),
            lambda: m.mixed_precision.MixedPrecisionLossScaleOptimizer(
                m.train.GradientDescentOptimizer(0.1), [2]),
            lambda: m.mixed_precision.FixedLossScale("8"),
            lambda: m.mixed_precision.FixedLossScale(0),
            lambda: m.train.experimental.FixedLossScale(None),
            lambda: m.mixed_precision.enable_mixed_precision_graph_rewrite(None),
            lambda: m.mixed_precision.enable_mixed_precision_graph_rewrite(
                m.mixed_precision.MixedPrecisionLossScaleOptimizer(
                    m.train.GradientDescentOptimizer(0.1), 2)),
            lambda: m.train.experimental.enable_mixed_precision_graph_rewrite([1]),
            lambda: m.mixed_precision.LossScale(),
        ]
        with m.Graph().as_default():
            for case in cases:
                with pytest.raises(Exception) as info:
                    case()
                out.append((type(info.value).__name__, str(info.value)))
        return out

    assert messages(tf) == messages(tf1)


def _tf_checkpoint(path, feeds):
    """Trains the MLP in TF with a dynamic loss scale and saves it with a Saver."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf1.float32, [None, 3])
        with tf1.variable_scope("mlp"):
            w1 = tf1.get_variable("w1", initializer=MLP_W1)
            b1 = tf1.get_variable("b1", initializer=np.zeros(4, np.float32))
            w2 = tf1.get_variable("w2", initializer=MLP_W2)
        loss = tf1.reduce_mean(tf1.square(tf1.matmul(tf1.nn.relu(tf1.matmul(x, w1) + b1), w2)
                                          - MLP_Y))
        ls = tf1.mixed_precision.DynamicLossScale(initial_loss_scale=2 ** 10,
                                                  increment_period=3)
        train = tf1.mixed_precision.MixedPrecisionLossScaleOptimizer(
            tf1.train.AdamOptimizer(0.01), ls).minimize(loss)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            for feed in feeds:
                sess.run(train, {x: feed})
            tf1.train.Saver().save(sess, path)
            for feed in feeds:  # what restoring and going on should give
                sess.run(train, {x: feed})
            history = sess.run([w1, b1, w2, ls(), ls._num_good_steps])
    return history


def test_tf_checkpoint_restores_into_minitf(tmp_path):
    feeds = _mlp_feeds()[:5]
    path = str(tmp_path / "tf_model")
    want = _tf_checkpoint(path, feeds)
    x = tf.placeholder(tf.float32, [None, 3])
    with tf.variable_scope("mlp"):
        w1 = tf.get_variable("w1", shape=[3, 4])
        b1 = tf.get_variable("b1", shape=[4])
        w2 = tf.get_variable("w2", shape=[4, 1])
    loss = tf.reduce_mean(tf.square(tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) - MLP_Y))
    ls = tf.mixed_precision.DynamicLossScale(initial_loss_scale=2 ** 10, increment_period=3)
    train = tf.mixed_precision.MixedPrecisionLossScaleOptimizer(
        tf.train.AdamOptimizer(0.01), ls).minimize(loss)
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, path)  # every variable by TF's name, none left over
        for feed in feeds:
            sess.run(train, {x: feed})
        got = sess.run([w1, b1, w2, ls(), ls._num_good_steps])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


_TF_ENABLE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow.compat.v1 as tf1
    x0 = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    with tf1.Graph().as_default() as g:
        x = tf1.placeholder(tf1.float32, [None, 2])
        w = tf1.get_variable("w", initializer=np.array([[0.5], [-0.25]], np.float32))
        loss = tf1.reduce_mean(tf1.square(tf1.matmul(x, w) - 1.0))
        opt = tf1.train.experimental.enable_mixed_precision_graph_rewrite(
            tf1.train.GradientDescentOptimizer(0.1))
        train = opt.minimize(loss)
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            out = []
            for feed in (x0, x0 * np.inf, x0):
                sess.run(train, {x: feed})
                out.append([sess.run(w).tolist(), float(sess.run(opt._loss_scale()))])
    print(json.dumps([type(opt).__name__, out,
                      tf1.config.optimizer.get_experimental_options()]))
""")


def test_enable_graph_rewrite_on_cpu_matches_tf():
    """TF's rewrite switch is process-wide, so TF runs it in a process of its own."""
    pytest.importorskip("tensorflow.compat.v1")
    import json

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", _TF_ENABLE], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    kind, want, options = json.loads(proc.stdout.strip().splitlines()[-1])
    assert options["auto_mixed_precision"] is True  # the switch TF sets; no effect on a CPU
    x0 = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    x = tf.placeholder(tf.float32, [None, 2])
    w = tf.get_variable("w", initializer=np.array([[0.5], [-0.25]], np.float32))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
    try:
        opt = tf.train.experimental.enable_mixed_precision_graph_rewrite(
            tf.train.GradientDescentOptimizer(0.1))
    finally:
        tf.train.experimental.disable_mixed_precision_graph_rewrite()
    assert type(opt).__name__ == kind
    train = opt.minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for (want_w, want_scale), feed in zip(want, (x0, x0 * np.inf, x0)):
            sess.run(train, {x: feed})
            np.testing.assert_allclose(sess.run(w), want_w, rtol=1e-6)
            assert float(sess.run(opt._loss_scale())) == want_scale
