"""Training under a strategy: tf.train optimizers inside experimental_run_v2 give the numbers
of the same steps without a strategy (checked against numpy), and go through TF 1.15's
distributed apply (merge_call, batch_reduce_to(SUM), update per variable)."""

import numpy as np
import pytest

import minitf as tf
from minitf.distribute.optimizer_v1 import apply_in_strategy, distributed_apply
from minitf.train.optimizer import Optimizer

ds = tf.distribute
X = np.array([[1., 2.], [3., 4.], [5., 6.]], np.float32)
Y = np.array([[1.], [2.], [4.]], np.float32)
HOOKED = hasattr(Optimizer, "_distributed_apply")  # core/train/optimizer.py's hook (report)


def _numpy_gd(steps, lr=0.01):
    w, b = np.zeros((2, 1)), np.zeros(1)
    for _ in range(steps):
        err = X @ w + b - Y
        w, b = w - lr * 2 * X.T @ err / len(X), b - lr * 2 * err.mean(0)
    return w, b


def _linear_step(opt, use_strategy, steps=3, make=ds.MirroredStrategy):
    with tf.Graph().as_default():
        strategy = make() if use_strategy else ds.get_strategy()
        with strategy.scope():
            w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
            b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
            gs = tf.train.get_or_create_global_step()

            def step(x, y):
                loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
                train = opt().minimize(loss, global_step=gs)
                with tf.control_dependencies([train]):
                    return tf.identity(loss)

            args = (tf.constant(X), tf.constant(Y))
            loss = strategy.experimental_run_v2(step, args=args) if use_strategy \
                else step(*args)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                sess.run(loss)
            return sess.run([w, b, gs])


@pytest.mark.parametrize("make", [ds.MirroredStrategy, lambda: ds.OneDeviceStrategy("/cpu:0"),
                                  ds.experimental.CentralStorageStrategy,
                                  ds.experimental.MultiWorkerMirroredStrategy])
def test_linear_step_under_a_strategy_matches_no_strategy_and_numpy(make):
    opt = lambda: tf.train.GradientDescentOptimizer(0.01)  # noqa: E731
    w, b, step = _linear_step(opt, True, make=make)
    w0, b0, step0 = _linear_step(opt, False)
    want_w, want_b = _numpy_gd(3)
    np.testing.assert_allclose(w, w0)
    np.testing.assert_allclose(b, b0)
    np.testing.assert_allclose(w, want_w, rtol=1e-5)
    np.testing.assert_allclose(b, want_b, rtol=1e-5)
    assert step == step0 == 3


@pytest.mark.skipif(not HOOKED, reason="Adam's _finish assigns its beta powers: in a replica "
                    "context that needs the apply_gradients hook in core/train/optimizer.py")
@pytest.mark.parametrize("opt", [lambda: tf.train.AdamOptimizer(0.1),
                                 lambda: tf.train.MomentumOptimizer(0.05, 0.9)])
def test_slot_optimizers_match_no_strategy(opt):
    got, want = _linear_step(opt, True), _linear_step(opt, False)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)


def _distributed_train(strategy, optimizer):
    with strategy.scope():
        w = tf.Variable([[0.0], [0.0]], name="w")
        gs = tf.train.get_or_create_global_step()

        def step():
            loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(X), w) - tf.constant(Y)))
            pairs = optimizer.compute_gradients(loss)
            return ds.get_replica_context().merge_call(
                lambda st, gv: distributed_apply(st, optimizer, gv, gs), args=(pairs,))

        return w, gs, strategy.experimental_run_v2(step)


def test_distributed_apply_goes_through_batch_reduce_and_update():
    s = ds.MirroredStrategy()
    calls = []
    ext = s.extended
    reduce_, update = ext.batch_reduce_to, ext.update
    ext.batch_reduce_to = lambda op, pairs: calls.append(("reduce", op)) or reduce_(op, pairs)
    ext.update = lambda var, fn, **kw: calls.append(("update", var.op.name)) or update(
        var, fn, **kw)
    w, gs, train = _distributed_train(s, tf.train.GradientDescentOptimizer(0.01))
    assert calls == [("reduce", ds.ReduceOp.SUM), ("update", "w"), ("update", "global_step")]
    assert train.name == "GradientDescent" and train in tf.get_collection(tf.GraphKeys.TRAIN_OP)
    names = [op.name for op in tf.get_default_graph().get_operations()]
    assert "GradientDescent/update_0/update_w/ApplyGradientDescent" in names
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        want, _ = _numpy_gd(1)
        np.testing.assert_allclose(sess.run(w), want, rtol=1e-5)
        assert sess.run(gs) == 1


def test_apply_in_strategy_refuses_the_cross_replica_context():
    s = ds.MirroredStrategy()
    opt = tf.train.GradientDescentOptimizer(0.1)
    with s.scope():
        v = tf.Variable(1.0)
        with pytest.raises(RuntimeError, match="Use `_distributed_apply\\(\\)` instead of "
                           "`apply_gradients\\(\\)` in a cross-replica context."):
            apply_in_strategy(opt, [(tf.constant(1.0), v)], None, None)
    assert apply_in_strategy(opt, [(tf.constant(1.0), v)], None, None) is None  # no strategy


@pytest.mark.skipif(not HOOKED, reason="needs the apply_gradients hook in "
                    "core/train/optimizer.py (see the distribute report)")
def test_optimizers_use_the_distributed_apply():
    s = ds.MirroredStrategy()
    calls = []
    reduce_ = s.extended.batch_reduce_to
    s.extended.batch_reduce_to = lambda op, pairs: calls.append(op) or reduce_(op, pairs)
    with s.scope():
        v = tf.Variable(1.0)
        with pytest.raises(RuntimeError, match="in a cross-replica context"):
            tf.train.GradientDescentOptimizer(0.1).minimize(v * v)
        train = s.experimental_run_v2(
            lambda: tf.train.GradientDescentOptimizer(0.1).minimize(v * v))
    assert calls == [ds.ReduceOp.SUM]
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(train)
        assert sess.run(v) == pytest.approx(0.8)  # 1 - 0.1 * 2


def test_step_under_make_input_fn_iterator():
    s = ds.MirroredStrategy()
    with tf.Graph().as_default():
        with s.scope():
            it = s.make_input_fn_iterator(
                lambda ctx: tf.data.Dataset.from_tensor_slices((X, Y)).batch(
                    ctx.get_per_replica_batch_size(3)).repeat())
            w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
            b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())

            def step(inputs):
                x, y = inputs
                loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
                pairs = tf.train.GradientDescentOptimizer(0.01).compute_gradients(loss)
                return ds.get_replica_context().merge_call(
                    lambda st, gv: distributed_apply(
                        st, tf.train.GradientDescentOptimizer(0.01), gv), args=(pairs,))

            train = s.experimental_run(step, it)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), it.initialize()])
            for _ in range(2):
                sess.run(train)
            want_w, want_b = _numpy_gd(2)
            np.testing.assert_allclose(sess.run(w), want_w, rtol=1e-5)
            np.testing.assert_allclose(sess.run(b), want_b, rtol=1e-5)
