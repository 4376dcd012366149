"""tf.tpu and tf.tpu.experimental (core/tpu.py): TF 1.15's names; tf.contrib.tpu's objects
where TF 1.15 shares them; bfloat16_scope as a variable scope; the TPU-embedding optimizer
parameters validated as TF 1.15 validates them; the rest refused. Checked by hand and, where
TensorFlow is installed, against its tf.compat.v1.tpu."""

import numpy as np
import pytest

import minitf as tf
import minitf.tpu as tpu
from minitf.contrib import tpu as contrib_tpu

from .side_by_side import tf1_or_skip

# TF 1.15's API golden files (tensorflow/tools/api/golden/v1/tensorflow.tpu*.pbtxt).
TPU_1_15 = {"CrossShardOptimizer", "experimental", "batch_parallel", "bfloat16_scope", "core",
            "cross_replica_sum", "initialize_system", "outside_compilation", "replicate",
            "rewrite", "shard", "shutdown_system"}
EXPERIMENTAL_1_15 = {"AdagradParameters", "AdamParameters", "DeviceAssignment",
                     "StochasticGradientDescentParameters", "embedding_column",
                     "initialize_tpu_system", "shared_embedding_columns"}
REFUSED = ("batch_parallel", "cross_replica_sum", "initialize_system", "outside_compilation",
           "replicate", "rewrite", "shard", "shutdown_system")


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def test_members_are_tf_1_15s():
    assert set(dir(tpu)) == set(tpu.__all__) == TPU_1_15
    assert set(dir(tpu.experimental)) == set(tpu.experimental.__all__) == EXPERIMENTAL_1_15
    for name in TPU_1_15:
        assert getattr(tpu, name) is not None
    for name in EXPERIMENTAL_1_15:
        assert getattr(tpu.experimental, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'PaddingSpec': minitf provides "
                       "tf.tpu.{CrossShardOptimizer"):
        tpu.PaddingSpec  # noqa: B018 - added after TF 1.15
    with pytest.raises(AttributeError, match="'minitf.tpu.experimental' has no attribute "
                       "'Topology'"):
        tpu.experimental.Topology  # noqa: B018


def test_shared_with_contrib_tpu_as_in_tf_1_15():
    for name in ("CrossShardOptimizer", *REFUSED):
        assert getattr(tpu, name) is getattr(contrib_tpu, name), name
    assert tpu.experimental.DeviceAssignment is contrib_tpu.DeviceAssignment


def test_core_names_a_replicated_core_device():
    assert [tpu.core(0), tpu.core(7)] == ["device:TPU_REPLICATED_CORE:0",
                                          "device:TPU_REPLICATED_CORE:7"]
    with tf.device(tpu.core(1)):
        x = tf.constant(1.0)
    assert x.device == "/device:TPU_REPLICATED_CORE:1"


@pytest.mark.parametrize("name", REFUSED)
def test_what_needs_a_tpu_is_refused(name):
    with pytest.raises(tf.errors.UnimplementedError, match=f"{name}: minitf has no TPU"):
        getattr(tpu, name)(lambda: None)


@pytest.mark.parametrize("name", ["embedding_column", "shared_embedding_columns",
                                  "initialize_tpu_system", "DeviceAssignment"])
def test_experimental_refusals(name):
    with pytest.raises(tf.errors.UnimplementedError, match=f"{name}: minitf has no TPU"):
        getattr(tpu.experimental, name)(None)


def test_cross_shard_optimizer_computes_the_wrapped_gradients():
    w = tf.Variable(2.0, name="w")
    opt = tpu.CrossShardOptimizer(tf.train.GradientDescentOptimizer(0.1))
    ((grad, var),) = opt.compute_gradients((3.0 * w) ** 2)
    assert var is w
    with tf.Session() as sess:
        sess.run(w.initializer)
        assert sess.run(grad) == 2 * 3.0 * 6.0  # one shard: the MEAN reduction scales by 1
    with pytest.raises(tf.errors.UnimplementedError, match="CrossReplicaSum"):
        opt.apply_gradients([(grad, var)])
    with pytest.raises(ValueError, match="Unsupported reduction: max"):
        tpu.CrossShardOptimizer(tf.train.GradientDescentOptimizer(0.1), reduction="max")


def test_bfloat16_scope_is_a_nameless_variable_scope():
    with tf.variable_scope("outer"):
        with tpu.bfloat16_scope() as scope:
            v = tf.get_variable("v", [2], initializer=tf.ones_initializer())
            dense = tf.layers.dense(tf.ones([1, 2]), 3, name="d")
    assert scope.name == "outer/"
    assert [x.name for x in tf.trainable_variables()] == [
        "outer//v:0", "outer//d/kernel:0", "outer//d/bias:0"]
    assert v.dtype == tf.float32 and dense.shape.as_list() == [1, 3]


def test_bfloat16_scope_names_match_tensorflow():
    tf1 = tf1_or_skip()

    def build(lib):
        with lib.variable_scope("outer"):
            with lib.tpu.bfloat16_scope() as scope:
                lib.get_variable("v", [2], initializer=lib.ones_initializer(),
                                 use_resource=False)
                lib.get_variable("w", [], dtype=lib.int32, use_resource=False)
        return scope.name, [(x.name, x.dtype.base_dtype.name) for x in lib.global_variables()]

    with tf1.Graph().as_default():
        theirs = build(tf1)
    with tf.Graph().as_default():
        tf.tpu = tpu  # (until minitf/__init__.py imports it)
        try:
            mine = build(tf)
        finally:
            del tf.tpu
    assert mine == theirs


def test_tensorflow_has_every_name_minitf_gives():
    tf1 = tf1_or_skip()
    assert TPU_1_15 <= set(dir(tf1.tpu))
    for name in ("CrossShardOptimizer", "core", "bfloat16_scope", *REFUSED):
        assert callable(getattr(tf1.tpu, name))
    assert tf1.tpu.core(3) == tpu.core(3)


def test_embedding_optimizer_parameters():
    adagrad = tpu.experimental.AdagradParameters(0.5)
    assert (adagrad.learning_rate, adagrad.initial_accumulator, adagrad.use_gradient_accumulation,
            adagrad.clip_weight_min, adagrad.clip_weight_max) == (0.5, 0.1, True, None, None)
    adam = tpu.experimental.AdamParameters(0.1, beta2=0.9, clip_weight_max=2.0)
    assert (adam.beta1, adam.beta2, adam.epsilon, adam.lazy_adam, adam.sum_inside_sqrt,
            adam.clip_weight_max) == (0.9, 0.9, 1e-08, True, True, 2.0)
    sgd = tpu.experimental.StochasticGradientDescentParameters(0.3, clip_weight_min=-1.0)
    assert (sgd.learning_rate, sgd.use_gradient_accumulation, sgd.clip_weight_min) == \
        (0.3, False, -1.0)
    assert np.isclose(adam.learning_rate, 0.1)


@pytest.mark.parametrize("make, message", [
    (lambda e: e.AdagradParameters(0.1, initial_accumulator=0.0),
     "Adagrad initial_accumulator must be positive"),
    (lambda e: e.AdamParameters(0.1, beta1=1.0), r"beta1 must be between 0. and 1; got 1.0."),
    (lambda e: e.AdamParameters(0.1, beta2=-0.1), r"beta2 must be between 0. and 1; got -0.1."),
    (lambda e: e.AdamParameters(0.1, epsilon=0.0), "epsilon must be positive; got 0.0."),
    (lambda e: e.AdamParameters(0.1, lazy_adam=False, use_gradient_accumulation=False),
     "When disabling Lazy Adam, gradient accumulation must be used."),
])
def test_embedding_optimizer_parameters_refuse_bad_values(make, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        make(tpu.experimental)
