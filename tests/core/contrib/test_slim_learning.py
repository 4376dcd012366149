"""slim.learning.train / train_step and slim.evaluation against hand-computed steps, the
files written, and tf_slim's copy of TF1's slim where it still runs on TF 2."""

import glob
import os

import numpy as np
import pytest

import minitf as tf
from minitf.contrib.slim import evaluation as slim_evaluation, learning as slim_learning
from minitf.export.events import summary_iterator
from tests.core.legacy_tf import tf_side_json

X = np.array([[1.0], [2.0], [3.0]], np.float32)
Y = np.array([[2.0], [4.0], [7.0]], np.float32)


def _numpy_losses(w, lr, steps, mult=1.0):
    losses = []
    for _ in range(steps):
        err = X * w - Y
        losses.append(float(np.mean(err ** 2)))
        w = w - lr * mult * float(np.mean(2 * err * X))
    return losses, w


def _model(tfm):
    w = tfm.get_variable("w", initializer=tfm.constant([[0.5]]))
    loss = tfm.reduce_mean(tfm.square(tfm.matmul(tfm.constant(X), w) - Y))
    tfm.summary.scalar("loss", loss)
    return w, loss


def test_train_stops_at_number_of_steps_and_saves(tmp_path):
    logdir = str(tmp_path / "train")
    with tf.Graph().as_default():
        _, loss = _model(tf)
        train_op = slim_learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(0.05), gradient_multipliers={"w": 0.5})
        # no checkpoint thread: its first save (at step 0) can land after the final one
        final = slim_learning.train(train_op, logdir, number_of_steps=5,
                                    save_interval_secs=0)
    want, w_want = _numpy_losses(0.5, 0.05, 5, mult=0.5)
    assert final == pytest.approx(want[-1], rel=1e-6)
    path = tf.train.latest_checkpoint(logdir)
    assert path.endswith("model.ckpt-5")
    reader = tf.train.load_checkpoint(path)
    np.testing.assert_allclose(reader.get_tensor("w"), [[w_want]], rtol=1e-6)
    assert os.path.exists(os.path.join(logdir, "graph.pbtxt"))


def test_train_refuses_bad_arguments():
    with tf.Graph().as_default():
        _, loss = _model(tf)
        train_op = slim_learning.create_train_op(loss, tf.train.GradientDescentOptimizer(0.1))
        with pytest.raises(ValueError, match="train_op cannot be None"):
            slim_learning.train(None, "/tmp/x")
        with pytest.raises(ValueError, match="number_of_steps"):
            slim_learning.train(train_op, None, number_of_steps=0)
        with pytest.raises(ValueError, match="Cannot provide saver because logdir=None"):
            slim_learning.train(train_op, None, saver=tf.train.Saver())


def test_train_step_logs_and_stops(caplog):
    with tf.Graph().as_default():
        _, loss = _model(tf)
        train_op = slim_learning.create_train_op(loss, tf.train.GradientDescentOptimizer(0.05),
                                                 clip_gradient_norm=1.0)
        step = tf.train.get_global_step()
        kwargs = {"should_stop": tf.greater_equal(step, 2)}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = slim_learning.train_step(sess, train_op, step, kwargs)
            second = slim_learning.train_step(sess, train_op, step, kwargs)
    # the first gradient (-16.33) clips to -1; the second is computed at w = 0.55
    assert first == (pytest.approx(_numpy_losses(0.5, 0, 1)[0][0], rel=1e-6), False)
    assert second == (pytest.approx(_numpy_losses(0.55, 0, 1)[0][0], rel=1e-6), True)


def test_slim_evaluate_once_writes_summaries_at_the_checkpoints_step(tmp_path):
    logdir = str(tmp_path / "train")
    with tf.Graph().as_default():
        _, loss = _model(tf)
        slim_learning.train(slim_learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(0.05)), logdir, number_of_steps=3,
            save_interval_secs=0)
    with tf.Graph().as_default():
        _, loss = _model(tf)
        tf.train.get_or_create_global_step()
        mean, update = tf.metrics.mean(loss)
        got = slim_evaluation.evaluate_once(
            "", tf.train.latest_checkpoint(logdir), str(tmp_path / "eval"), num_evals=2,
            eval_op=update, final_op=mean)
    _, w3 = _numpy_losses(0.5, 0.05, 3)
    assert got == pytest.approx(_numpy_losses(w3, 0, 1)[0][0], rel=1e-5)
    events = [e for f in glob.glob(str(tmp_path / "eval" / "events.*"))
              for e in summary_iterator(f) if e.summary.value]
    assert [(e.step, e.summary.value[0].tag) for e in events] == [(3, "loss")]


_TF_SIDE = """
import json, os, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()  # slim's Supervisor loop needs TF1's graph-mode variables
import tf_slim as slim
from tf_slim.training import training as slim_training
for name in ("IndexedSlices", "Tensor"):  # tf_slim 1.1 predates TF 2 moving these
    setattr(slim_training.ops, name, getattr(tf, name))
X = np.array([[1.0], [2.0], [3.0]], np.float32)
Y = np.array([[2.0], [4.0], [7.0]], np.float32)
w = tf.get_variable("w", initializer=tf.constant([[0.5]]))
loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(X), w) - Y))
tf.summary.scalar("loss", loss)
train_op = slim.learning.create_train_op(loss, tf.train.AdamOptimizer(0.1),
                                         clip_gradient_norm=2.0, gradient_multipliers={"w": 3.0})
final = slim.learning.train(train_op, sys.argv[1], number_of_steps=6, log_every_n_steps=2,
                            save_interval_secs=0)
path = tf.train.latest_checkpoint(sys.argv[1])
print(json.dumps([float(final), os.path.basename(path),
                  sorted(n for n, _ in tf.train.list_variables(path))]))
"""


def test_matches_tf_slim_learning_train(tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_slim")
    want = tf_side_json(_TF_SIDE, str(tmp_path / "tf"), timeout=300, legacy_keras=False)
    with tf.Graph().as_default():
        _, loss = _model(tf)
        train_op = slim_learning.create_train_op(loss, tf.train.AdamOptimizer(0.1),
                                                 clip_gradient_norm=2.0,
                                                 gradient_multipliers={"w": 3.0})
        final = slim_learning.train(train_op, str(tmp_path / "mt"), number_of_steps=6,
                                    log_every_n_steps=2, save_interval_secs=0)
    path = tf.train.latest_checkpoint(str(tmp_path / "mt"))
    assert final == pytest.approx(want[0], rel=1e-5)
    assert [os.path.basename(path), sorted(n for n, _ in tf.train.list_variables(path))] == \
        want[1:]


def test_slim_evaluation_loop_evaluates_the_latest_checkpoint(tmp_path):
    logdir = str(tmp_path / "train")
    with tf.Graph().as_default():
        _, loss = _model(tf)
        slim_learning.train(slim_learning.create_train_op(
            loss, tf.train.GradientDescentOptimizer(0.05)), logdir, number_of_steps=2,
            save_interval_secs=0)
    with tf.Graph().as_default():
        w, _ = _model(tf)
        tf.train.get_or_create_global_step()
        got = slim_evaluation.evaluation_loop(
            "", logdir, str(tmp_path / "eval"), final_op=w, summary_op=None,
            eval_interval_secs=0, max_number_of_evaluations=1, timeout=5)
    np.testing.assert_allclose(got, [[_numpy_losses(0.5, 0.05, 2)[1]]], rtol=1e-6)


def test_the_checkpoint_thread_saves_at_start_and_the_final_save_stays_latest(tmp_path):
    """The Supervisor's checkpoint thread saves at once (step 0), as TF's; that save is made
    before training goes on, so a short run's final checkpoint is always the latest."""
    for run in range(4):
        logdir = str(tmp_path / str(run))
        with tf.Graph().as_default():
            _, loss = _model(tf)
            slim_learning.train(slim_learning.create_train_op(
                loss, tf.train.GradientDescentOptimizer(0.05)), logdir, number_of_steps=3)
        assert tf.train.latest_checkpoint(logdir).endswith("model.ckpt-3")
        state = tf.train.get_checkpoint_state(logdir)
        assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == [
            "model.ckpt-0", "model.ckpt-3"]
