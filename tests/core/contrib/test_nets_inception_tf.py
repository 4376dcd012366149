"""slim.nets' Inception v1/v2/v3 side by side with tf_slim.nets (TF-slim's own model code on
TensorFlow, in a TF1-behaviour subprocess): the same program builds each model in both, sets
every variable from a value derived from its name (minitf's random ops do not reproduce TF's
draws), and compares variable names and shapes, collections, end points (keys, order, shapes,
tensor names), logits and gradients."""

import os

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

# One program, run with ``inception`` = minitf's slim.nets.inception or tf_slim's.
PROGRAM = """
import zlib
import numpy as np

def value_for(name, shape):
    rng = np.random.RandomState(zlib.crc32(name.encode()))
    base = name.split("/")[-1]
    if base == "moving_variance":
        return rng.uniform(0.5, 1.5, shape)
    if base in ("beta", "moving_mean", "biases"):
        return rng.uniform(-0.2, 0.2, shape)
    if base == "gamma":
        return rng.uniform(0.8, 1.2, shape)
    fan_in = shape[0] * shape[1] if base == "depthwise_weights" else np.prod(shape[:-1])
    return rng.randn(*shape) * np.sqrt(1.5 / fan_in)

def summary(tf, graph, sess, logits, end_points, feed, grad_wrt=()):
    for v in tf.global_variables():
        v.load(value_for(v.op.name, v.shape.as_list()).astype(np.float32), sess)
    out = {"variables": [[v.op.name, v.shape.as_list()] for v in tf.global_variables()],
           "model_variables": sorted(v.op.name for v in tf.model_variables()),
           "moving_vars": sorted(v.op.name for v in tf.get_collection("moving_vars")),
           "reg_losses": sorted(t.op.name for t in tf.losses.get_regularization_losses()),
           "update_ops": len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)),
           "end_points": [[k, t.name, t.shape.as_list()] for k, t in end_points.items()]}
    fetch = {"logits": logits}
    if "AuxLogits" in end_points:
        fetch["aux"] = end_points["AuxLogits"]
        fetch["predictions"] = end_points["Predictions"]
    if grad_wrt:
        weight = tf.constant(np.linspace(-1.0, 1.0, int(np.prod(logits.shape.as_list())))
                             .reshape(logits.shape.as_list()).astype(np.float32))
        targets = [graph.get_tensor_by_name(n) for n in grad_wrt]
        for i, g in enumerate(tf.gradients(tf.reduce_sum(logits * weight), targets)):
            fetch[f"grad{i}"] = g
    values = sess.run(fetch, feed)
    out.update({k: np.asarray(v, np.float64).tolist() for k, v in values.items()})
    return out

def images(shape, seed):
    return np.random.RandomState(seed).uniform(-1.0, 1.0, shape).astype(np.float32)

def run(tf, slim, inception):
    results = {}
    with tf.Graph().as_default() as g:   # v1 with its arg scope (batch norm), full size
        x = tf.placeholder(tf.float32, [1, 224, 224, 3])
        with slim.arg_scope(inception.inception_v1_arg_scope()):
            logits, eps = inception.inception_v1(x, num_classes=5, is_training=False)
        with tf.Session() as sess:
            results["v1"] = summary(tf, g, sess, logits, eps, {x: images([1, 224, 224, 3], 1)})
    with tf.Graph().as_default() as g:   # v1's base cut at Mixed_4b, no arg scope
        x = tf.placeholder(tf.float32, [2, 33, 40, 3])
        net, eps = inception.inception_v1_base(x, final_endpoint="Mixed_4b")
        with tf.Session() as sess:
            results["v1_base"] = summary(tf, g, sess, net, eps, {x: images([2, 33, 40, 3], 2)})
    with tf.Graph().as_default() as g:   # v2 thinned, plain (biases, no batch norm), small input
        x = tf.placeholder(tf.float32, [2, 64, 64, 3])
        logits, eps = inception.inception_v2(x, num_classes=7, is_training=False,
                                             depth_multiplier=0.25, spatial_squeeze=False)
        with tf.Session() as sess:
            results["v2"] = summary(
                tf, g, sess, logits, eps, {x: images([2, 64, 64, 3], 3)},
                grad_wrt=("InceptionV2/Conv2d_1a_7x7/depthwise_weights:0",
                          "InceptionV2/Mixed_4b/Branch_2/Conv2d_0c_3x3/weights:0"))
    with tf.Graph().as_default() as g:   # v2 training mode: batch statistics, dropout kept all
        x = tf.placeholder(tf.float32, [2, 128, 128, 3])
        with slim.arg_scope(inception.inception_v2_arg_scope()):
            logits, eps = inception.inception_v2(x, num_classes=4, dropout_keep_prob=1.0,
                                                 depth_multiplier=0.25)
        with tf.Session() as sess:
            results["v2_train"] = summary(
                tf, g, sess, logits, eps, {x: images([2, 128, 128, 3], 5)},
                grad_wrt=("InceptionV2/Mixed_5a/Branch_1/Conv2d_0b_3x3/weights:0",))
    with tf.Graph().as_default() as g:   # v3 thinned with its arg scope and the aux head
        x = tf.placeholder(tf.float32, [2, 107, 107, 3])
        with slim.arg_scope(inception.inception_v3_arg_scope()):
            logits, eps = inception.inception_v3(x, num_classes=6, is_training=False,
                                                 depth_multiplier=0.1)
        with tf.Session() as sess:
            results["v3"] = summary(
                tf, g, sess, logits, eps, {x: images([2, 107, 107, 3], 4)},
                grad_wrt=("InceptionV3/Conv2d_1a_3x3/weights:0",
                          "InceptionV3/Mixed_6e/Branch_2/Conv2d_0e_1x7/BatchNorm/beta:0",
                          "Placeholder:0"))
    errors = []
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, 224, 224, 3])
        calls = [(inception.inception_v1_base, {"final_endpoint": "Mixed_9z"}),
                 (inception.inception_v2_base, {"final_endpoint": "Logits"}),
                 (inception.inception_v3_base, {"final_endpoint": "Mixed_7d"}),
                 (inception.inception_v2_base, {"depth_multiplier": 0.0}),
                 (inception.inception_v2, {"depth_multiplier": -1.0}),
                 (inception.inception_v3_base, {"depth_multiplier": 0}),
                 (inception.inception_v3, {"depth_multiplier": -0.5})]
        for fn, kwargs in calls:
            try:
                fn(tf.zeros([1, 96, 96, 3]) if "depth_multiplier" not in kwargs else x,
                   **kwargs)
                errors.append(None)
            except ValueError as e:
                errors.append(str(e))
    results["errors"] = errors
    return results
"""

TF_SIDE = PROGRAM + """
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
sys.path.insert(0, sys.argv[1])
from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2
patch_tf_slim_for_tf2()
import tf_slim as slim
from tf_slim.nets import inception
print(json.dumps(run(tf, slim, inception)))
"""


@pytest.fixture(scope="module")
def both():
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_slim")
    pytest.importorskip("tf_keras")
    want = tf_side_json(TF_SIDE, REPO, timeout=900)
    scope = {}
    exec(compile(PROGRAM, "inception_program", "exec"), scope)  # noqa: S102 - the shared program
    got = scope["run"](tf, tf.contrib.slim, tf.contrib.slim.nets.inception)
    return got, want


@pytest.mark.parametrize("case", ["v1", "v1_base", "v2", "v2_train", "v3"])
def test_structure_matches_tf_slim(both, case):
    got, want = both[0][case], both[1][case]
    for key in ("variables", "model_variables", "moving_vars", "update_ops", "end_points"):
        assert got[key] == want[key], (case, key)
    assert len(got["reg_losses"]) == len(want["reg_losses"])


@pytest.mark.parametrize("case", ["v1", "v3"])
def test_regularization_loss_names_match_tf_slim(both, case):
    """Made in the layer's name scope: InceptionV1/InceptionV1/... (the model re-enters its
    VariableScope object)."""
    assert both[0][case]["reg_losses"] == both[1][case]["reg_losses"]


@pytest.mark.parametrize("case", ["v1", "v1_base", "v2", "v2_train", "v3"])
def test_values_match_tf_slim(both, case):
    got, want = both[0][case], both[1][case]
    keys = sorted(k for k in want if k in ("logits", "aux", "predictions") or
                  k.startswith("grad"))
    assert keys == sorted(k for k in got if k in ("logits", "aux", "predictions") or
                          k.startswith("grad"))
    for key in keys:
        w = np.asarray(want[key])
        assert np.isfinite(w).all() and np.abs(w).max() > 1e-4, (case, key)
        # training-mode batch norm normalises each channel of Mixed_5* over only 32 values
        # (batch 2, 4x4 grid), which amplifies float32 rounding layer by layer (both ways);
        # eval mode is held to 1e-4
        rtol = 1e-3 if case == "v2_train" else 1e-4
        np.testing.assert_allclose(got[key], w, rtol=rtol, atol=rtol * 0.1 * np.abs(w).max(),
                                   err_msg=f"{case} {key}")


def test_errors_match_tf_slim(both):
    assert both[0]["errors"] == both[1]["errors"]
    assert all(both[1]["errors"])
