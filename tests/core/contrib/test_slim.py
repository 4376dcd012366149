"""tf.contrib.slim end to end: a slim CNN under arg_scope (conv, batch norm, dropout, L2
regularizers), slim.losses' total loss and slim.learning's loop, side by side with tf_slim in
a TF1-behaviour process; and the namespace itself."""

import os

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

# One program, run with ``slim`` = minitf's tf.contrib.slim or tf_slim; prints JSON results.
PROGRAM = """
import numpy as np

def det(tf, scale):
    def init(shape, dtype=None, partition_info=None):
        n = int(np.prod(shape))
        return tf.constant(scale * np.sin(np.arange(n) + 1.0).reshape(shape), tf.float32)
    return init

def run(tf, slim, logdir):
    rng = np.random.RandomState(0)
    x = tf.constant(rng.randn(8, 6, 6, 2).astype(np.float32))
    labels = tf.constant(np.eye(3, dtype=np.float32)[rng.randint(0, 3, 8)])
    with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_initializer=det(tf, 0.3),
                        weights_regularizer=slim.l2_regularizer(0.01)):
        with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                            normalizer_params={"decay": 0.9, "is_training": True}):
            net = slim.conv2d(x, 4, [3, 3], scope="conv1")
            net = slim.max_pool2d(net, [2, 2], scope="pool1")
        net = slim.flatten(net)
        net = slim.fully_connected(net, 5, scope="fc1")
        logits = slim.fully_connected(net, 3, activation_fn=None, scope="logits")
    slim.losses.softmax_cross_entropy(logits, labels)
    total = slim.losses.get_total_loss()
    train_op = slim.learning.create_train_op(total, tf.train.MomentumOptimizer(0.1, 0.9),
                                             clip_gradient_norm=5.0)
    final = slim.learning.train(train_op, logdir, number_of_steps=5, save_interval_secs=0,
                                log_every_n_steps=0)
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(logdir))
    names = sorted(n for n, _ in tf.train.list_variables(tf.train.latest_checkpoint(logdir)))
    return {"loss": float(final), "names": names,
            "moving_mean": reader.get_tensor("conv1/BatchNorm/moving_mean").tolist(),
            "logits_w": reader.get_tensor("logits/weights")[:2].tolist(),
            "model_vars": sorted(v.op.name for v in slim.get_model_variables()),
            "reg_losses": sorted(t.op.name for t in tf.losses.get_regularization_losses())}
"""

TF_SIDE = PROGRAM + """
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()  # slim's Supervisor loop and batch norm on TF1's ref variables
sys.path.insert(0, sys.argv[2])
from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2
patch_tf_slim_for_tf2()
from tf_slim.training import training as slim_training
for name in ("IndexedSlices", "Tensor"):
    setattr(slim_training.ops, name, getattr(tf, name))
import tf_slim as slim
print(json.dumps(run(tf, slim, sys.argv[1])))
"""


def _ours(logdir):
    scope = {}
    exec(compile(PROGRAM, "slim_program", "exec"), scope)  # noqa: S102 - the shared program
    with tf.Graph().as_default():
        return scope["run"](tf, tf.contrib.slim, logdir)


def test_slim_program_trains_and_names_variables_as_slim(tmp_path):
    got = _ours(str(tmp_path))
    assert got["model_vars"] == sorted([
        "conv1/weights", "conv1/BatchNorm/beta", "conv1/BatchNorm/moving_mean",
        "conv1/BatchNorm/moving_variance", "fc1/weights", "fc1/biases", "logits/weights",
        "logits/biases"])
    assert got["reg_losses"] == ["conv1/kernel/Regularizer/l2_regularizer",
                                 "fc1/kernel/Regularizer/l2_regularizer",
                                 "logits/kernel/Regularizer/l2_regularizer"]
    assert "global_step" in got["names"] and "fc1/weights/Momentum" in got["names"]
    assert np.isfinite(got["loss"]) and any(m != 0 for m in got["moving_mean"])


def test_slim_program_matches_tf_slim(tmp_path):
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_slim")
    pytest.importorskip("tf_keras")
    want = tf_side_json(TF_SIDE, str(tmp_path / "tf"), REPO)
    got = _ours(str(tmp_path / "mt"))
    assert got["loss"] == pytest.approx(want["loss"], rel=1e-4)
    np.testing.assert_allclose(got["moving_mean"], want["moving_mean"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got["logits_w"], want["logits_w"], rtol=1e-4, atol=1e-6)
    for key in ("names", "model_vars", "reg_losses"):
        assert got[key] == want[key], key


def test_namespace():
    slim = tf.contrib.slim
    assert slim.conv2d is tf.contrib.layers.conv2d
    assert slim.arg_scope is tf.contrib.framework.arg_scope
    assert slim.losses is tf.contrib.losses and slim.metrics is tf.contrib.metrics
    assert callable(slim.learning.train) and callable(slim.evaluation.evaluation_loop)
    with pytest.raises(AttributeError, match="its models are alexnet, inception"):
        slim.nets.googlenet  # noqa: B018
    assert slim.queues.QueueRunners is tf.contrib.slim.queues.QueueRunners
