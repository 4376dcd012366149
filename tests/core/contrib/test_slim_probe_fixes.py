"""Fixes from the slim probe: ``slim.layers`` is TF 1.15's contrib layers.py (batch_norm,
layer_norm, separable and legacy layers... re-exported), ``slim.utils`` has layers/utils.py's
helpers, and a batch norm that is not ``trainable`` files no moving-average updates where
TF's does not (tf.layers' function and object, slim's paths through the core layer), checked
by hand and side by side with TF 2.21 + tf_slim."""

import os

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

# TF 1.15's contrib/layers/python/layers/layers.py __all__ (tf_slim 1.1's layers.py keeps it)
TF_LAYERS_ALL = [
    "avg_pool2d", "avg_pool3d", "batch_norm", "bias_add", "conv1d", "conv2d", "conv3d",
    "conv2d_in_plane", "conv2d_transpose", "conv3d_transpose", "convolution", "convolution1d",
    "convolution2d", "convolution2d_in_plane", "convolution2d_transpose", "convolution3d",
    "convolution3d_transpose", "dense_to_sparse", "dropout", "elu", "flatten",
    "fully_connected", "GDN", "gdn", "images_to_sequence", "layer_norm", "linear", "pool",
    "max_pool2d", "max_pool3d", "one_hot_encoding", "relu", "relu6", "repeat",
    "scale_gradient", "separable_conv2d", "separable_convolution2d", "sequence_to_images",
    "softmax", "spatial_softmax", "stack", "unit_norm", "legacy_fully_connected",
    "legacy_linear", "legacy_relu", "maxout"]


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


# -- slim.layers ----------------------------------------------------------------------------------

def test_slim_layers_module_has_tf_layers_py_names():
    layers = tf.contrib.slim.layers
    assert layers is tf.contrib.layers.layers
    assert sorted(layers.__all__) == sorted(TF_LAYERS_ALL)
    # defined in TF's layers.py besides its __all__
    for name in ("poincare_normalize", "DATA_FORMAT_NCHW", "DATA_FORMAT_NHWC",
                 "DATA_FORMAT_NCDHW", "DATA_FORMAT_NDHWC"):
        assert hasattr(layers, name), name
    for name in TF_LAYERS_ALL:  # re-exports: the package's objects, arg scopes and all
        assert getattr(layers, name) is getattr(tf.contrib.layers, name), name
        assert getattr(tf.contrib.slim, name) is getattr(layers, name), name


def test_conv2d_with_slim_layers_batch_norm():
    slim = tf.contrib.slim
    with tf.Graph().as_default():
        x = tf.zeros([2, 4, 4, 3])
        net = slim.layers.conv2d(x, 8, [3, 3], normalizer_fn=slim.layers.batch_norm, scope="c")
        assert net.op.name == "c/Relu"
        assert sorted(v.op.name for v in tf.global_variables()) == [
            "c/BatchNorm/beta", "c/BatchNorm/moving_mean", "c/BatchNorm/moving_variance",
            "c/weights"]
        assert _run(net).shape == (2, 4, 4, 8)


def test_poincare_normalize_against_numpy():
    x = np.array([[0.3, 0.4], [3.0, 4.0], [0.0, 2.0]], np.float32)
    with tf.Graph().as_default():
        out = tf.contrib.slim.layers.poincare_normalize(x, axis=1, epsilon=0.01)
        assert out.op.name == "poincare_normalize"
        got = _run(out)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    want = np.where(norms > 0.99, x * 0.99 / norms, x)
    np.testing.assert_allclose(got, want, rtol=1e-6)


# -- slim.utils -----------------------------------------------------------------------------------

def test_utils_shape_and_argument_helpers():
    utils = tf.contrib.slim.utils
    assert utils is tf.contrib.layers.utils
    assert utils.two_element_tuple(3) == (3, 3)
    assert utils.two_element_tuple([2, 5]) == (2, 5)
    assert [int(d) for d in utils.two_element_tuple(tf.TensorShape([4, 6]))] == [4, 6]
    for bad in ([1, 2, 3], "ab", tf.TensorShape([1, 2, 3])):
        with pytest.raises(ValueError):
            utils.two_element_tuple(bad)
    shape = tf.TensorShape([2, 3, 4, 5])
    assert utils.channel_dimension(shape, "NHWC") == 5
    assert utils.channel_dimension(shape, "channels_first") == 3
    assert utils.channel_dimension(shape, "NCHW") == 5  # TF1 tests for "channels_first" only
    assert utils.last_dimension(shape, min_rank=4) == 5
    with pytest.raises(ValueError, match="rank of shape must be at least 5 not: 4"):
        utils.channel_dimension(shape, "NHWC", min_rank=5)
    with pytest.raises(ValueError, match="dimension 1 of shape must be known"):
        utils.channel_dimension(tf.TensorShape([2, None]), "channels_first")
    assert utils.n_positive_integers(3, 2) == (2, 2, 2)
    assert utils.n_positive_integers(2, [4, "5"]) == (4, 5)
    assert utils.n_positive_integers(2, tf.TensorShape([7, 8])) == (7, 8)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        utils.n_positive_integers(1.5, 2)
    with pytest.raises(ValueError, match="Expected sequence of 2 positive integers"):
        utils.n_positive_integers(2, [1, 2, 3])
    with pytest.raises(ValueError, match="expected positive integer, but received 0"):
        utils.n_positive_integers(2, [1, 0])
    out = utils.NamedOutputs("conv1", 7)
    assert out.name == "conv1" and out.outputs == 7 and tuple(out) == ("conv1", 7)
    assert sorted(utils.__all__) == sorted([
        "collect_named_outputs", "constant_value", "static_cond", "smart_cond",
        "get_variable_collections", "two_element_tuple", "n_positive_integers",
        "channel_dimension", "last_dimension"])


def test_utils_constant_value_and_conds():
    utils = tf.contrib.slim.utils
    with tf.Graph().as_default():
        assert utils.constant_value(True) is True
        assert utils.constant_value(tf.constant(3)) == 3
        assert utils.constant_value(tf.Variable(1.0)) is None  # a variable is never constant
        assert utils.constant_value(tf.placeholder(tf.bool, [])) is None
        with pytest.raises(ValueError, match="cannot be None"):
            utils.constant_value(None)
        with pytest.raises(ValueError, match="wrong type"):
            utils.constant_value(tf.constant(1), dtype=tf.float32)
        with pytest.raises(TypeError, match="fn1 must be callable"):
            utils.static_cond(True, 1, lambda: 2)
        assert utils.static_cond(0, lambda: "a", lambda: "b") == "b"
        before = len(tf.get_default_graph().get_operations())
        # a known predicate builds one branch, no Switch
        assert utils.smart_cond(tf.constant(False), lambda: 1, lambda: 2) == 2
        ops = tf.get_default_graph().get_operations()[before:]
        assert not any(op.type == "Switch" for op in ops)
        pred = tf.placeholder(tf.bool, [])
        out = utils.smart_cond(pred, lambda: tf.constant(10), lambda: tf.constant(20))
        with tf.Session() as sess:
            assert sess.run(out, {pred: True}) == 10 and sess.run(out, {pred: False}) == 20


# -- batch norm with trainable=False --------------------------------------------------------------

# One program, run with minitf (in this process) and TF 2.21 + tf_slim (in its own).
PROGRAM = """
import numpy as np

X4 = (np.arange(24, dtype=np.float32).reshape(2, 2, 2, 3) ** 1.5 / 7)
SHAPES = {2: X4.reshape(8, 3), 3: X4.reshape(4, 2, 3), 4: X4}

def cases(tf, slim):
    C = lambda rank: tf.constant(SHAPES[rank])
    def flag():
        p = tf.placeholder_with_default(False, [])
        tf.add_to_collection("training_flag", p)
        return p
    def obj(rank, **kw):
        layer = tf.layers.BatchNormalization(momentum=0.5, **kw)
        return layer(C(rank), training=True), layer
    bn = lambda rank, **kw: (slim.batch_norm(C(rank), decay=0.5, **kw), None)
    fn = lambda rank, **kw: (tf.layers.batch_normalization(C(rank), momentum=0.5, **kw), None)
    return {
        "slim4": lambda: bn(4, trainable=False),
        "slim4_unfused": lambda: bn(4, trainable=False, fused=False),
        "slim2": lambda: bn(2, trainable=False),  # slim's own fused path: updates
        "slim2_unfused": lambda: bn(2, trainable=False, fused=False),
        "slim3": lambda: bn(3, trainable=False),
        "slim4_zero_debias": lambda: bn(4, trainable=False, zero_debias_moving_mean=True),
        "slim4_collection": lambda: bn(4, trainable=False, updates_collections="mine"),
        "slim3_collection": lambda: bn(3, trainable=False, updates_collections="mine"),
        "slim4_weights": lambda: bn(4, trainable=False,
                                    batch_weights=tf.constant(np.ones(2, np.float32))),
        "slim4_renorm": lambda: bn(4, trainable=False, renorm=True),
        "slim4_flag": lambda: bn(4, trainable=False, is_training=flag()),
        "slim2_flag": lambda: bn(2, trainable=False, is_training=flag()),
        "slim4_trainable": lambda: bn(4),
        "fn4": lambda: fn(4, training=True, trainable=False),
        "fn4_unfused": lambda: fn(4, training=True, trainable=False, fused=False),
        "fn2": lambda: fn(2, training=True, trainable=False),
        "fn3": lambda: fn(3, training=True, trainable=False),
        "fn4_flag": lambda: fn(4, training=flag(), trainable=False),
        "fn4_renorm": lambda: fn(4, training=True, trainable=False, renorm=True),
        "fn4_trainable": lambda: fn(4, training=True),
        "obj4": lambda: obj(4, trainable=False),
        "obj2": lambda: obj(2, trainable=False),
        "obj4_unfused": lambda: obj(4, trainable=False, fused=False),
        "obj4_trainable": lambda: obj(4),
    }

def run(tf, slim):
    results = {}
    for name, build in cases(tf, slim).items():
        with tf.Graph().as_default():
            out, layer = build()
            updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
            mine = tf.get_collection("mine")
            means = [v for v in tf.global_variables() if v.op.name.endswith("moving_mean")]
            feed = {p: True for p in tf.get_collection("training_flag")}
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                y = sess.run(out, feed)
                if updates or mine:
                    sess.run(updates + mine, feed)
                mean = sess.run(means)
            r = {"update_ops": len(updates), "mine": len(mine),
                 "moving_mean": [np.round(m, 4).ravel().tolist() for m in mean],
                 "y": np.round(y, 3).ravel().tolist()}
            if layer is not None:
                r["layer_updates"] = len(layer.updates)
                layer.trainable = True  # TF's layer kept them: they show again
                r["layer_updates_when_trainable"] = len(layer.updates)
            results[name] = r
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
print(json.dumps(run(tf, slim)))
"""

# TF 2.21 + tf_slim's UPDATE_OPS (or "mine") counts: slim's own fused and composed paths
# update whatever ``trainable`` says; its core-layer paths and tf.layers' file none.
WITH_UPDATES = {"slim2", "slim4_zero_debias", "slim4_weights", "slim2_flag",
                "slim4_trainable", "fn4_trainable", "obj4_trainable"}
IN_MINE = {"slim4_collection", "slim3_collection"}


def _ours():
    scope = {}
    exec(compile(PROGRAM, "bn_program", "exec"), scope)  # noqa: S102 - the shared program
    return scope["run"](tf, tf.contrib.slim)


def test_frozen_batch_norm_files_no_updates_by_hand():
    got = _ours()
    batch_mean = np.mean(np.arange(24, dtype=np.float32).reshape(8, 3) ** 1.5 / 7, axis=0)
    for name, r in got.items():
        moved = name in WITH_UPDATES or name in IN_MINE
        assert r["update_ops"] == (2 if name in WITH_UPDATES else 0), name
        assert r["mine"] == (2 if name in IN_MINE else 0), name
        # decay 0.5 from 0: half the batch mean once the updates ran (all of it when the
        # average is zero-debiased), else still 0
        want = (1.0 if "zero_debias" in name else 0.5) * batch_mean if moved else np.zeros(3)
        np.testing.assert_allclose(r["moving_mean"][0], want, atol=2e-4, err_msg=name)
        if name.startswith("obj"):
            assert r["layer_updates"] == (2 if name.endswith("trainable") else 0), name
            assert r["layer_updates_when_trainable"] == 2, name


def test_frozen_layer_object_files_updates_once_trainable():
    # TF1's Layer.__call__ files ``layer.updates``: a second call once trainable files the
    # first call's updates too (TF 2.21: 0 and 0, then 4 AssignMovingAvg ops in both)
    with tf.Graph().as_default():
        layer = tf.layers.BatchNormalization(trainable=False)
        x = tf.ones([4, 3])
        layer(x, training=True)
        assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == [] and layer.updates == []
        layer.trainable = True
        layer(x, training=True)
        assert len(layer.updates) == 4
        assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == layer.updates


def test_frozen_batch_norm_matches_tf():
    pytest.importorskip("tf_slim")
    want = tf_side_json(TF_SIDE, REPO, timeout=900)
    got = _ours()
    assert sorted(got) == sorted(want)
    for name in want:
        w, g = want[name], got[name]
        for key in ("update_ops", "mine", "layer_updates", "layer_updates_when_trainable"):
            assert g.get(key) == w.get(key), (name, key)
        np.testing.assert_allclose(g["moving_mean"], w["moving_mean"], atol=2e-4, err_msg=name)
        np.testing.assert_allclose(g["y"], w["y"], atol=2e-3, err_msg=name)

