"""tf.contrib.training's create_train_op / train and evaluate_once / evaluate_repeatedly,
against hand-computed updates, the files they write, and tf_slim's copy of TF1's code."""

import glob
import os

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import training_eval, training_loop
from minitf.export.events import summary_iterator

X = np.array([[1.0], [2.0], [3.0]], np.float32)
Y = np.array([[2.0], [4.0], [7.0]], np.float32)


def _numpy_steps(w, lr, steps):
    """Losses and weights of plain gradient descent on mean((x*w - y)^2)."""
    losses = []
    for _ in range(steps):
        err = X * w - Y
        losses.append(float(np.mean(err ** 2)))
        w = w - lr * float(np.mean(2 * err * X))
    return losses, w


def _build(tfm, w0=0.5):
    x = tfm.constant(X)
    w = tfm.get_variable("w", initializer=tfm.constant([[w0]]))
    loss = tfm.reduce_mean(tfm.square(tfm.matmul(x, w) - Y))
    return w, loss


def test_create_train_op_returns_the_loss_and_applies_the_update():
    with tf.Graph().as_default():
        w, loss = _build(tf)
        counter = tf.get_variable("updates", initializer=0, trainable=False)
        tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_add(counter, 1))
        train_op = training_loop.create_train_op(loss, tf.train.GradientDescentOptimizer(0.05))
        assert train_op in tf.get_collection(tf.GraphKeys.TRAIN_OP)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = [float(sess.run(train_op)) for _ in range(3)]
            step, n, w_end = sess.run([tf.train.get_global_step(), counter, w])
    want, w_want = _numpy_steps(0.5, 0.05, 3)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(w_end, [[w_want]], rtol=1e-6)
    assert (step, n) == (3, 3)


def test_transform_grads_multiply_and_clip():
    with tf.Graph().as_default():
        w, loss = _build(tf)
        opt = tf.train.GradientDescentOptimizer(1.0)
        grads = opt.compute_gradients(loss, [w])
        doubled = training_loop.multiply_gradients(grads, {"w": 2.0})
        clipped = training_loop.clip_gradient_norms(grads, 0.5)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            g, g2, gc = sess.run([grads[0][0], doubled[0][0], clipped[0][0]])
        with pytest.raises(ValueError, match="must be a list"):
            training_loop.multiply_gradients(tuple(grads), {"w": 2.0})
        with pytest.raises(ValueError, match="is empty"):
            training_loop.multiply_gradients(grads, {})
    want = float(np.mean(2 * (X * 0.5 - Y) * X))
    np.testing.assert_allclose(g, [[want]], rtol=1e-6)
    np.testing.assert_allclose(g2, [[2 * want]], rtol=1e-6)
    np.testing.assert_allclose(gc, [[-0.5]], rtol=1e-6)  # |g| > 0.5: clipped to norm 0.5


def test_nan_loss_fails_the_step_with_tfs_message():
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=1.0)
        loss = tf.log(w - 1.0) * 0.0 + tf.sqrt(w - 2.0)
        train_op = training_loop.create_train_op(loss, tf.train.GradientDescentOptimizer(0.1))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            with pytest.raises(tf.errors.InvalidArgumentError, match="LossTensor is inf or nan"):
                sess.run(train_op)


def test_train_runs_until_the_stop_hook_and_checkpoints(tmp_path):
    with tf.Graph().as_default():
        _, loss = _build(tf)
        train_op = training_loop.create_train_op(loss, tf.train.GradientDescentOptimizer(0.05))
        last = training_loop.train(train_op, str(tmp_path),
                                   hooks=[tf.train.StopAtStepHook(last_step=4)])
    want, _ = _numpy_steps(0.5, 0.05, 4)
    np.testing.assert_allclose(last, want[-1], rtol=1e-6)
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-4")
    with tf.Graph().as_default():
        _, loss = _build(tf)
        train_op = training_loop.create_train_op(loss, tf.train.GradientDescentOptimizer(0.05))
        with pytest.raises(ValueError, match="logdir cannot be None"):
            training_loop.train(train_op, None)


def _checkpoint(tmp_path, w0):
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=tf.constant([[w0]]))
        step = tf.train.get_or_create_global_step()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.assign(step, 7))
            return tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"), global_step=7), w


def test_evaluate_once_counts_evals_feeds_and_returns_final_ops(tmp_path):
    path, _ = _checkpoint(tmp_path, 2.0)
    with tf.Graph().as_default():
        w = tf.get_variable("w", shape=[1, 1])
        tf.train.get_or_create_global_step()
        x = tf.placeholder(tf.float32, [None, 1])
        mean, update = tf.metrics.mean(tf.matmul(x, w))
        tf.summary.scalar("x_mean", mean)
        hook = training_eval.StopAfterNEvalsHook(3)
        at_end = training_eval.SummaryAtEndHook(log_dir=str(tmp_path / "eval"))
        got = training_eval.evaluate_once(path, eval_ops=update, feed_dict={x: X},
                                          final_ops={"mean": mean}, hooks=[hook, at_end])
    assert got["mean"] == pytest.approx(float(np.mean(X * 2.0)))
    events = [e for f in glob.glob(os.path.join(tmp_path, "eval", "events.*"))
              for e in summary_iterator(f) if e.summary.value]
    assert [(e.step, e.summary.value[0].tag) for e in events] == [(7, "x_mean")]
    assert events[0].summary.value[0].simple_value == pytest.approx(got["mean"])
    with pytest.raises(ValueError, match="log_dir or summary_writer"):
        training_eval.SummaryAtEndHook()


def test_evaluate_once_stops_after_n_evals(tmp_path):
    path, _ = _checkpoint(tmp_path, 1.0)
    with tf.Graph().as_default():
        tf.get_variable("w", shape=[1, 1])
        tf.train.get_or_create_global_step()
        count = tf.get_variable("count", initializer=0, trainable=False,
                                collections=[tf.GraphKeys.LOCAL_VARIABLES])
        got = training_eval.evaluate_once(
            path, eval_ops=tf.assign_add(count, 1), final_ops=count,
            hooks=[training_eval.StopAfterNEvalsHook(5, log_progress=False)])
    assert got == 5


def test_evaluate_repeatedly_evaluates_the_latest_checkpoint(tmp_path):
    _checkpoint(tmp_path, 3.0)
    with tf.Graph().as_default():
        w = tf.get_variable("w", shape=[1, 1])
        tf.train.get_or_create_global_step()
        got = training_eval.evaluate_repeatedly(
            str(tmp_path), final_ops=w * 2.0, eval_interval_secs=0,
            max_number_of_evaluations=1, timeout=5)
    np.testing.assert_allclose(got, [[6.0]])


def test_create_train_op_matches_tf_slim(monkeypatch):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    slim_training = pytest.importorskip("tf_slim.training.training")
    # tf_slim 1.1 predates TF 2.x moving IndexedSlices out of framework.ops
    monkeypatch.setattr(slim_training.ops, "IndexedSlices", tf1.IndexedSlices, raising=False)
    results = []
    for tfm, create in ((tf1, slim_training.create_train_op),
                        (tf, training_loop.create_train_op)):
        with tfm.Graph().as_default():
            w, loss = _build(tfm)
            opt = tfm.train.MomentumOptimizer(0.05, 0.9)
            train_op = create(loss, opt, summarize_gradients=True,
                              transform_grads_fn=slim_training.clip_gradient_norms_fn(1.0)
                              if tfm is tf1 else training_loop.clip_gradient_norms_fn(1.0))
            tags = sorted(op.name for op in tfm.get_default_graph().get_operations()
                          if op.type in ("HistogramSummary", "ScalarSummary"))
            with tfm.Session() as sess:
                sess.run(tfm.global_variables_initializer())
                losses = [float(sess.run(train_op)) for _ in range(4)]
                results.append((losses, float(sess.run(w)[0, 0]), tags, train_op.op.type))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-6)
    assert results[1][1] == pytest.approx(results[0][1], rel=1e-6)
    assert results[1][2:] == results[0][2:]


@pytest.mark.parametrize("form", ["list", "dict"])
def test_evaluate_once_takes_a_list_or_dict_of_eval_ops(tmp_path, form):
    """slim's eval scripts pass list(names_to_updates.values()); TF appends the eval step's
    update to the list (or dict) and counts after all of them."""
    path, _ = _checkpoint(tmp_path, 2.0)
    with tf.Graph().as_default():
        w = tf.get_variable("w", shape=[1, 1])
        tf.train.get_or_create_global_step()
        x = tf.constant(X)
        mean, mean_up = tf.metrics.mean(tf.matmul(x, w))
        total, total_up = tf.metrics.mean(tf.reduce_sum(x))
        ops = [mean_up, total_up] if form == "list" else {"m": mean_up, "t": total_up}
        got = training_eval.evaluate_once(path, eval_ops=ops, final_ops=[mean, total],
                                          hooks=[training_eval.StopAfterNEvalsHook(2)])
    assert got[0] == pytest.approx(float(np.mean(X * 2.0)))
    assert got[1] == pytest.approx(float(X.sum()))
