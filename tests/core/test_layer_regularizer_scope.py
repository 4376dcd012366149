"""A layer's weight regularizers under a variable_scope with a regularizer, as TF 1.15: the
scope's regularizer is tf.get_variable's (``<variable>/Regularizer/...``, named after the
variable, so ``fc/weights`` for a contrib layer), and the layer's own is applied besides, by
the layer, on new variables only (``<layer scope>/<weight>/Regularizer/...``). Hand-computed
values first (no TensorFlow needed), then the same program side by side with TensorFlow's
tf.compat.v1 layers and tf_slim (TF-slim's contrib.layers) in a subprocess."""

import os

import numpy as np
import pytest

import minitf as tf
from .legacy_tf import tf_side_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
L1, L2 = tf.contrib.layers.l1_regularizer, tf.contrib.layers.l2_regularizer


def _losses():
    """(names, values) of REGULARIZATION_LOSSES, and get_regularization_loss()."""
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    total = tf.losses.get_regularization_loss()
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        values, total = s.run([losses, total])
    return [t.name for t in losses], [float(v) for v in values], float(total)


class _Scale(tf.layers.Layer):
    """``x * w + b`` with w, b of ones: w with ``reg`` (the layer's), b with none."""

    def __init__(self, reg, **kwargs):
        super().__init__(**kwargs)
        self.reg = reg

    def build(self, shape):
        self.w = self.add_weight("w", [3], initializer=tf.ones_initializer(),
                                 regularizer=self.reg)
        self.b = self.add_weight("b", [3], initializer=tf.ones_initializer())

    def call(self, x):
        return x * self.w + self.b


# -- hand-computed, without TensorFlow ----------------------------------------------------------
def test_add_weight_applies_the_scopes_and_the_layers_regularizer():
    with tf.Graph().as_default():
        with tf.variable_scope("m", regularizer=L2(1.0)):
            layer = _Scale(L1(2.0), name="s")
            layer(tf.ones([2, 3]))
            layer(tf.ones([2, 3]))  # reuses w and b: no new losses
        names, values, total = _losses()
        assert [t.name for t in layer.losses] == ["m/s/w/Regularizer/l1_regularizer:0"]
    # l2: sum(w^2) / 2 = 1.5 for w and for b; l1: 2 * sum|w| = 6
    assert names == ["m/s/w/Regularizer/l2_regularizer:0", "m/s/w/Regularizer/l1_regularizer:0",
                     "m/s/b/Regularizer/l2_regularizer:0"]
    assert values == [1.5, 6.0, 1.5] and total == 9.0


def test_no_layer_regularizer_gives_one_scope_loss_per_variable():
    with tf.Graph().as_default():
        with tf.variable_scope("m", regularizer=L2(1.0)):
            layer = _Scale(None, name="s")
            layer(tf.ones([2, 3]))
            tf.contrib.layers.fully_connected(tf.ones([2, 3]), 2, scope="fc",
                                              weights_initializer=tf.ones_initializer(),
                                              biases_initializer=tf.ones_initializer())
            tf.contrib.layers.fully_connected(tf.ones([2, 3]), 2, scope="fc", reuse=True)
        assert layer.losses == []  # the scope's losses are the graph's, not the layer's
        names, values, total = _losses()
    assert names == ["m/s/w/Regularizer/l2_regularizer:0", "m/s/b/Regularizer/l2_regularizer:0",
                     "m/fc/weights/Regularizer/l2_regularizer:0",
                     "m/fc/biases/Regularizer/l2_regularizer:0"]
    assert values == [1.5, 1.5, 3.0, 1.0] and total == 7.0


def test_the_scopes_own_regularizer_given_to_the_layer_counts_twice_as_in_tf():
    """TF 1.15 gives get_variable no regularizer (so it takes the scope's) and applies the
    layer's besides, even when they are the same object."""
    r = L2(1.0)
    with tf.Graph().as_default():
        with tf.variable_scope("m", regularizer=r):
            _Scale(r, name="s")(tf.ones([2, 3]))
            tf.contrib.layers.fully_connected(tf.ones([2, 3]), 2, weights_regularizer=r,
                                              weights_initializer=tf.ones_initializer(),
                                              scope="fc")
        names, values, total = _losses()
    assert names == ["m/s/w/Regularizer/l2_regularizer:0", "m/s/w/Regularizer/l2_regularizer_1:0",
                     "m/s/b/Regularizer/l2_regularizer:0",
                     "m/fc/weights/Regularizer/l2_regularizer:0",
                     "m/fc/kernel/Regularizer/l2_regularizer:0",
                     "m/fc/biases/Regularizer/l2_regularizer:0"]
    assert values == [1.5, 1.5, 1.5, 3.0, 3.0, 0.0] and total == 10.5


def test_partitioned_weight_gets_each_part_regularized_both_ways():
    class Part(tf.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight("w", [4, 2], initializer=tf.ones_initializer(),
                                     regularizer=L1(1.0),
                                     partitioner=tf.fixed_size_partitioner(2))

        def call(self, x):
            return x

    with tf.Graph().as_default():
        with tf.variable_scope("m", regularizer=L2(1.0)):
            layer = Part(name="p")
            layer(tf.ones([2]))
        assert len(layer.losses) == 2
        names, values, total = _losses()
    assert names == ["m/p/w/part_0/Regularizer/l2_regularizer:0",
                     "m/p/w/part_1/Regularizer/l2_regularizer:0",
                     "m/p/w/Regularizer/l1_regularizer:0", "m/p/w/Regularizer_1/l1_regularizer:0"]
    assert values == [2.0, 2.0, 4.0, 4.0] and total == 12.0


def test_contrib_fully_connected_under_a_regularizing_scope():
    """The brief's contrib half: TF's m/fc/weights (scope's) then m/fc/kernel (layer's)."""
    with tf.Graph().as_default():
        with tf.variable_scope("m", regularizer=L2(1.0)):
            tf.contrib.layers.fully_connected(tf.ones([2, 3]), 2, scope="fc",
                                              weights_initializer=tf.ones_initializer(),
                                              weights_regularizer=L1(1.0),
                                              biases_regularizer=L1(1.0))
        names, values, total = _losses()
    assert names == ["m/fc/weights/Regularizer/l2_regularizer:0",
                     "m/fc/kernel/Regularizer/l1_regularizer:0",
                     "m/fc/biases/Regularizer/l2_regularizer:0",
                     "m/fc/bias/Regularizer/l1_regularizer:0"]
    assert values == [3.0, 6.0, 0.0, 0.0] and total == 9.0


def test_contrib_batch_norm_normalizer_names_its_moving_statistics_once():
    with tf.Graph().as_default():
        with tf.variable_scope("m", regularizer=L2(1.0)):
            tf.contrib.layers.fully_connected(tf.ones([2, 3]), 2, scope="fc",
                                              weights_initializer=tf.ones_initializer(),
                                              weights_regularizer=L1(1.0),
                                              normalizer_fn=tf.contrib.layers.batch_norm)
        names, values, total = _losses()
    assert names == ["m/fc/weights/Regularizer/l2_regularizer:0",
                     "m/fc/kernel/Regularizer/l1_regularizer:0",
                     "m/fc/BatchNorm/beta/Regularizer/l2_regularizer:0",
                     "m/fc/BatchNorm/moving_mean/Regularizer/l2_regularizer:0",
                     "m/fc/BatchNorm/moving_variance/Regularizer/l2_regularizer:0"]
    # moving_variance starts at ones: 2 / 2
    assert values == [3.0, 6.0, 0.0, 0.0, 1.0] and total == 10.0


def test_core_dense_under_a_regularizing_scope_the_briefs_program():
    with tf.Graph().as_default():
        with tf.variable_scope("m", regularizer=L2(1.0)):
            tf.layers.dense(tf.ones([2, 3]), 2, kernel_initializer=tf.ones_initializer(),
                            kernel_regularizer=L1(1.0), name="d")
            tf.contrib.layers.fully_connected(tf.ones([2, 3]), 2,
                                              weights_initializer=tf.ones_initializer(),
                                              scope="fc")
        names, values, total = _losses()
    assert names == ["m/d/kernel/Regularizer/l2_regularizer:0",
                     "m/d/kernel/Regularizer/l1_regularizer:0",
                     "m/d/bias/Regularizer/l2_regularizer:0",
                     "m/fc/weights/Regularizer/l2_regularizer:0",
                     "m/fc/biases/Regularizer/l2_regularizer:0"]
    assert values == [3.0, 6.0, 0.0, 3.0, 0.0] and total == 12.0


# -- side by side with TensorFlow and tf_slim ---------------------------------------------------
# One program, run with tf = minitf or tf.compat.v1 and contrib = tf.contrib.layers or tf_slim.
PROGRAM = """
def run(tf, contrib):
    l1, l2 = contrib.l1_regularizer, contrib.l2_regularizer
    ones = tf.ones_initializer
    x = lambda: tf.ones([2, 3])  # noqa: E731

    class Scale(tf.layers.Layer):
        def __init__(self, reg, **kwargs):
            super().__init__(**kwargs)
            self.reg = reg

        def build(self, shape):
            self.w = self.add_weight("w", [3], initializer=ones(), regularizer=self.reg)
            self.b = self.add_weight("b", [3], initializer=ones())

        def call(self, inputs):
            return inputs * self.w + self.b

    class Part(tf.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight("w", [4, 2], initializer=ones(), regularizer=l1(1.0),
                                     partitioner=tf.fixed_size_partitioner(2))

        def call(self, inputs):
            return inputs

    def subclass():
        with tf.variable_scope("m", regularizer=l2(1.0)):
            layer = Scale(l1(2.0), name="s")
            layer(x())
            layer(x())
        return len(layer.losses)

    def subclass_plain_scope():
        with tf.variable_scope("m"):
            layer = Scale(l1(2.0), name="s")
            layer(x())
        return len(layer.losses)

    def subclass_same():
        r = l2(1.0)
        with tf.variable_scope("m", regularizer=r):
            layer = Scale(r, name="s")
            layer(x())
        return len(layer.losses)

    def subclass_none():
        with tf.variable_scope("m", regularizer=l2(1.0)):
            layer = Scale(None, name="s")
            layer(x())
        return len(layer.losses)

    def partitioned():
        with tf.variable_scope("m", regularizer=l2(1.0)):
            layer = Part(name="p")
            layer(tf.ones([2]))
        return len(layer.losses)

    def fc():
        with tf.variable_scope("m", regularizer=l2(1.0)):
            contrib.fully_connected(x(), 2, weights_initializer=ones(), scope="fc")
            contrib.fully_connected(x(), 2, scope="fc", reuse=True)

    def fc_own():
        with tf.variable_scope("m", regularizer=l2(1.0)):
            contrib.fully_connected(x(), 2, weights_initializer=ones(),
                                    biases_initializer=ones(), weights_regularizer=l1(1.0),
                                    biases_regularizer=l1(0.5), scope="fc")
            contrib.fully_connected(x(), 2, weights_initializer=ones(),
                                    weights_regularizer=l1(1.0))

    def fc_same():
        r = l2(1.0)
        with tf.variable_scope("m", regularizer=r):
            contrib.fully_connected(x(), 2, weights_initializer=ones(), weights_regularizer=r,
                                    scope="fc")

    def fc_only_own():
        contrib.fully_connected(x(), 2, weights_initializer=ones(),
                                weights_regularizer=l1(1.0), scope="fc")

    def fc_batch_norm():
        with tf.variable_scope("m", regularizer=l2(1.0)):
            contrib.fully_connected(
                x(), 2, weights_initializer=ones(), weights_regularizer=l1(1.0),
                normalizer_fn=contrib.batch_norm,
                normalizer_params={"scale": True, "param_regularizers": {"gamma": l1(3.0)}},
                scope="fc")

    def batch_norm_paths():
        img = tf.ones([2, 2, 2, 3])
        with tf.variable_scope("m", regularizer=l2(1.0)):
            regs = {"beta": l1(1.0), "gamma": l1(2.0)}
            contrib.batch_norm(img, scale=True, param_regularizers=regs, scope="core")
            contrib.batch_norm(img, scale=True, param_regularizers=regs,
                               batch_weights=tf.ones([2]), scope="composed")
            contrib.batch_norm(img, scale=True, param_regularizers=regs,
                               updates_collections=None, scope="fused")

    def convolutions():
        img = tf.ones([1, 4, 4, 2])
        with tf.variable_scope("m", regularizer=l2(1.0)):
            w = {"weights_initializer": ones()}
            contrib.conv2d(img, 2, 3, weights_regularizer=l1(1.0), scope="c", **w)
            contrib.conv2d_transpose(img, 2, 3, biases_regularizer=l1(1.0), scope="t", **w)
            contrib.separable_conv2d(img, 2, 3, weights_regularizer=l1(1.0), scope="s", **w)
            contrib.separable_conv2d(img, None, 3, weights_regularizer=l1(1.0), scope="d", **w)
            contrib.conv2d(img, 2, 3, scope="plain", **w)

    def dense():
        with tf.variable_scope("m", regularizer=l2(1.0)):
            tf.layers.dense(x(), 2, kernel_initializer=ones(), kernel_regularizer=l1(1.0),
                            name="d")
            contrib.fully_connected(x(), 2, weights_initializer=ones(), scope="fc")

    def dense_object():
        with tf.variable_scope("m", regularizer=l2(1.0)):
            layer = tf.layers.Dense(2, kernel_initializer=ones(), kernel_regularizer=l1(1.0),
                                    bias_regularizer=l1(1.0), name="d")
            layer(x())
            layer(x())
        return len(layer.losses)

    def core_layers():
        img = tf.ones([2, 4, 4, 2])
        with tf.variable_scope("m", regularizer=l2(1.0)):
            w = {"kernel_initializer": ones(), "bias_initializer": ones()}
            tf.layers.conv2d(img, 2, 3, kernel_regularizer=l1(1.0), name="c", **w)
            tf.layers.conv2d(img, 2, 3, name="plain", **w)
            tf.layers.separable_conv2d(img, 2, 3, depthwise_regularizer=l1(1.0),
                                       pointwise_initializer=ones(), name="s",
                                       depthwise_initializer=ones(), bias_initializer=ones())
            tf.layers.batch_normalization(img, beta_regularizer=l1(1.0),
                                          gamma_regularizer=l1(2.0), name="bn")
            tf.layers.dense(x(), 2, activity_regularizer=l1(1.0), name="act", **w)
            layer = tf.layers.Dense(2, activity_regularizer=l1(1.0), kernel_regularizer=l2(1.0),
                                    name="obj", **w)
            layer(x())
        return len(layer.losses)

    results = {}
    for case in (subclass, subclass_plain_scope, subclass_same, subclass_none, partitioned, fc,
                 fc_own, fc_same, fc_only_own, fc_batch_norm, batch_norm_paths, convolutions,
                 dense, dense_object, core_layers):
        with tf.Graph().as_default():
            extra = case()
            losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
            total = tf.losses.get_regularization_loss()
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                values, total = sess.run([losses, total])
            results[case.__name__] = {"names": [t.name for t in losses],
                                      "values": [float(v) for v in values],
                                      "total": float(total), "extra": extra}
    return results
"""

TF_SIDE = PROGRAM + """
import json, sys
sys.path.insert(0, sys.argv[1])
import tensorflow.compat.v1 as tf
from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2
patch_tf_slim_for_tf2()
import tf_slim
print(json.dumps(run(tf, tf_slim)))
"""

CASES = ["subclass", "subclass_plain_scope", "subclass_same", "subclass_none", "partitioned",
         "fc", "fc_own", "fc_same", "fc_only_own", "fc_batch_norm", "batch_norm_paths",
         "convolutions"]
# tf.layers.dense and Dense make their variables in core/layers.py, outside this change.
CORE_CASES = ["dense", "dense_object", "core_layers"]


@pytest.fixture(scope="module")
def both():
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_slim")
    pytest.importorskip("tf_keras")
    want = tf_side_json(TF_SIDE, REPO)
    scope = {}
    exec(compile(PROGRAM, "regularizer_program", "exec"), scope)  # noqa: S102 - shared program
    return scope["run"](tf, tf.contrib.layers), want


def _compare(got, want):
    assert got["names"] == want["names"]
    np.testing.assert_allclose(got["values"], want["values"], rtol=1e-6)
    assert got["total"] == pytest.approx(want["total"], rel=1e-6)
    assert got["extra"] == want["extra"]  # the layer's own losses (len(layer.losses))


@pytest.mark.parametrize("case", CASES)
def test_matches_tensorflow(both, case):
    _compare(both[0][case], both[1][case])


@pytest.mark.parametrize("case", CORE_CASES)
def test_core_layers_match_tensorflow(both, case):
    _compare(both[0][case], both[1][case])


def test_a_getters_tensor_is_regularized_once_however_often_the_layer_runs():
    # A getter returning a tensor (an fp16 cast, v * 2): the first call (the build) makes the
    # layer's loss of it; later calls reuse the getter's answer and add nothing, as TF's.
    def double(getter, name, *args, **kwargs):
        return getter(name, *args, **kwargs) * 2.0

    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        with tf.variable_scope("s", custom_getter=double):
            layer = tf.layers.Dense(2, kernel_initializer=tf.ones_initializer(),
                                    kernel_regularizer=tf.reduce_sum, name="d")
            layer(x)
            layer(x)
        losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        assert len(losses) == 1 and layer.losses == losses
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(losses[0]) == 12.0  # sum of the doubled 3x2 ones
