"""tf.contrib.quantize (TF 1.15): the rewritten graph's structure (names, scopes and wiring read
from TF 1.15's quantize.py, quant_ops.py, fold_batch_norms.py and common.py), residual
patterns, ``scope``, symmetric ranges, errors, and the frozen eval graph run in TensorFlow."""

import numpy as np
import pytest

import minitf as tf

from ..side_by_side import run_graph_def_in_tf, tf1_or_skip
from .test_contrib_quantize import KINDS, N, OUT, _build, _params, _var, fake_quant


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _names():
    return {op.name for op in tf.get_default_graph().get_operations()}


def _op(name):
    return tf.get_default_graph().get_operation_by_name(name)


# -- (e) names as TF 1.15 gives them ---------------------------------------------------------------
def test_training_graph_names_fused():
    _build("contrib_fused", True, _params())
    tf.contrib.quantize.experimental_create_training_graph(quant_delay=5, freeze_bn_delay=9,
                                                           weight_bits=6, activation_bits=7)
    names = _names()
    fold = ["conv1/BatchNorm/Undo_Bessel_Correction", "conv1/BatchNorm_Fold/bias",
            "conv1/correction_mult", "conv1/mul_fold", "conv1/Conv2D_Fold",
            "conv1/post_conv_mul", "conv1/correction_add", "conv1/add_fold"]
    corr = [f"conv1/BatchNorm_Fold/batch_norm_correction/{n}" for n in (
        "scale_compute", "correction_scale", "reciprocal_compute", "offset_compute",
        "use_moving_average", "freeze_moving_mean/Merge", "correction_recip/Merge",
        "correction_offset/Merge")]
    quant = [f"{layer}/weights_quant/{n}" for layer in ("conv1", "fc") for n in (
        "BatchMin", "BatchMax", "AssignMinLast", "AssignMaxLast", "FakeQuantWithMinMaxVars",
        "activate_quant", "delayed_quant/Merge")]
    quant += [f"{layer}/act_quant/{n}" for layer in ("conv1", "fc") for n in (
        "BatchMin", "BatchMax", "AssignMinEma", "AssignMaxEma", "FakeQuantWithMinMaxVars",
        "activate_quant", "delayed_quant/Merge")]
    missing = [n for n in fold + corr + quant + ["fake_quantization_step/Identity"]
               if n not in names]
    assert not missing
    # wiring: the folded conv reads the delayed weights quantizer, the relu the folded add,
    # the flatten the delayed activation quantizer; the decays of both moving averages read
    # the freeze cond; the delay compares the quantization step
    assert _op("conv1/Conv2D_Fold").inputs[1].op.name == "conv1/weights_quant/delayed_quant/Merge"
    assert _op("conv1/weights_quant/FakeQuantWithMinMaxVars").inputs[0].op.name == \
        "conv1/mul_fold"
    assert _op("conv1/Relu").inputs[0].op.name == "conv1/add_fold"
    assert _op("Flatten/flatten/Reshape").inputs[0].op.name == \
        "conv1/act_quant/delayed_quant/Merge"
    assert _op("fc/MatMul").inputs[1].op.name == "fc/weights_quant/delayed_quant/Merge"
    for update, stat in (("AssignMovingAvg", "mean"), ("AssignMovingAvg_1", "var")):
        assert _op(f"conv1/BatchNorm/{update}/mul").inputs[1].op.name == \
            f"conv1/BatchNorm_Fold/batch_norm_correction/freeze_moving_{stat}/Merge"
    assert _op("conv1/act_quant/activate_quant").inputs[0].name == \
        "fake_quantization_step/Identity:0"
    # the batch norm's statistics take the folding gradient
    assert _op("conv1/BatchNorm/FusedBatchNormV3").get_attr("_gradient_op_type") == \
        b"FoldFusedBatchNormGrad"
    # FakeQuant attrs: weights narrow, activations wide, the bit widths asked for
    for layer in ("conv1", "fc"):
        w = _op(f"{layer}/weights_quant/FakeQuantWithMinMaxVars")
        a = _op(f"{layer}/act_quant/FakeQuantWithMinMaxVars")
        assert (w.get_attr("narrow_range"), w.get_attr("num_bits")) == (True, 6)
        assert (a.get_attr("narrow_range"), a.get_attr("num_bits")) == (False, 7)


def test_training_graph_variables():
    _build("contrib_unfused", True, _params())
    before = {v.op.name for v in tf.global_variables()}
    tf.contrib.quantize.create_training_graph(quant_delay=2)
    added = {v.op.name for v in tf.global_variables()} - before
    ema = [f"{q}/{q}/{m}/{s}" for q in ("conv1/act_quant", "fc/act_quant")
           for m in ("min", "max") for s in ("biased", "local_step")]
    assert added == {f"{layer}/{q}/{m}" for layer in ("conv1", "fc")
                     for q in ("weights_quant", "act_quant") for m in ("min", "max")} | \
        set(ema) | {"fake_quantization_step"}
    assert not added & {v.op.name for v in tf.trainable_variables()}
    assert not tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES)
    assert _var("fake_quantization_step").dtype.base_dtype == tf.int64
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run([_var("conv1/weights_quant/min"), _var("conv1/act_quant/min"),
                         _var("fc/act_quant/max")]) == [-6.0, 0.0, 6.0]
    # unfused folding names its ops from the batch norm's context
    names = _names()
    assert {"conv1/mul_fold", "conv1/Conv2D_Fold", "conv1/add_fold", "conv1/correction_mult",
            "conv1/batch_norm_correction/correction_scale"} <= names


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_each_tensor_quantized_once(kind, training):
    """Weights and output of each layer, nothing else (the float layers left dangling by the
    folding are not matched)."""
    _build(kind, training, _params())
    rewrite = tf.contrib.quantize.create_training_graph if training else \
        tf.contrib.quantize.create_eval_graph
    rewrite()
    fqs = sorted(op.name for op in tf.get_default_graph().get_operations()
                 if op.type.startswith("FakeQuant"))
    assert fqs == [f"{layer}/{q}/FakeQuantWithMinMaxVars" for layer in ("conv1", "fc")
                   for q in ("act_quant", "weights_quant")]


def test_eval_graph_reads_the_variables():
    _build("layers_fused", False, _params())
    tf.contrib.quantize.create_eval_graph()
    names = _names()
    assert not any(n.endswith(("AssignMinLast", "AssignMaxLast", "AssignMinEma",
                               "AssignMaxEma", "BatchMin")) for n in names)
    assert not any("delayed_quant" in n or "correction" in n for n in names)
    fq = _op("conv1/act_quant/FakeQuantWithMinMaxVars")
    assert [t.op.name for t in fq.inputs] == ["Relu", "conv1/act_quant/min/read",
                                              "conv1/act_quant/max/read"]
    assert _op("fc/act_quant/FakeQuantWithMinMaxVars").inputs[0].op.name == "fc/BiasAdd"
    assert "conv1/BatchNorm_Fold/bias" in names and "fake_quantization_step" not in names


def test_residual_patterns():
    """conv + batch norm + bypass add + relu: conv_quant before the add, act_quant (in the
    block's scope) after the relu; an add after an activation: post_activation_bypass_quant
    (in the add's scope); an add of quantized tensors (through reshapes) and a mul of a
    quantized tensor: activation_<type>_quant in the op's own scope."""
    x = tf.placeholder(tf.float32, [2, 6, 6, 4], name="x")
    bn = tf.contrib.layers.batch_norm
    with tf.variable_scope("block"):
        net = tf.contrib.layers.conv2d(x, 4, [3, 3], normalizer_fn=bn, activation_fn=None,
                                       scope="conv1")
        net = tf.nn.relu(net + x)
    with tf.variable_scope("block2"):
        r = tf.contrib.layers.conv2d(net, 4, [3, 3], normalizer_fn=bn, scope="conv1")
        net2 = net + r
    with tf.variable_scope("block3"):
        r3 = tf.contrib.layers.conv2d(net2, 4, [1, 1], scope="conv")
    after = tf.add(net, r3, name="after")
    total = tf.add(tf.reshape(net, [-1]), tf.reshape(r3, [-1]), name="sum")
    scaled = tf.multiply(total, 2.0, name="scaled")
    out = tf.reduce_mean(scaled, name="out")
    tf.contrib.quantize.create_eval_graph()
    assert _op("block/conv1/conv_quant/FakeQuantWithMinMaxVars").inputs[0].op.name == \
        "block/conv1/add_fold"
    assert _op("block/add").inputs[0].op.name == "block/conv1/conv_quant/FakeQuantWithMinMaxVars"
    assert _op("block/act_quant/FakeQuantWithMinMaxVars").inputs[0].op.name == "block/Relu"
    assert "block/add_quant/FakeQuantWithMinMaxVars" not in _names()  # a Relu follows
    assert _op("block2/post_activation_bypass_quant/FakeQuantWithMinMaxVars").inputs[0] is \
        net2
    assert _op("block3/conv/act_quant/FakeQuantWithMinMaxVars").inputs[0].op.name == \
        "block3/conv/Relu"
    assert _op("post_activation_bypass_quant/FakeQuantWithMinMaxVars").inputs[0] is after
    fq = _op("sum/activation_AddV2_quant/FakeQuantWithMinMaxVars")
    assert fq.inputs[0] is total and scaled.op.inputs[0] is fq.outputs[0]
    fq = _op("scaled/activation_Mul_quant/FakeQuantWithMinMaxVars")
    assert fq.inputs[0] is scaled and out.op.inputs[0] is fq.outputs[0]
    assert _var("block3/conv/weights_quant/min") is not None


def test_scope_limits_the_rewrite():
    x = tf.constant(np.ones([2, 4, 4, 3], np.float32))
    a = tf.contrib.layers.conv2d(x, 2, [3, 3], scope="a/conv")
    b = tf.contrib.layers.conv2d(x, 2, [3, 3], scope="b/conv")
    tf.add(a, b, name="sum")
    tf.contrib.quantize.experimental_create_training_graph(scope="a")
    names = _names()
    assert "a/conv/weights_quant/FakeQuantWithMinMaxVars" in names
    assert "a/conv/act_quant/FakeQuantWithMinMaxVars" in names
    assert not any(n.startswith("b/conv/") and "quant" in n for n in names)


def test_symmetric_ranges():
    p = _params()
    _build("contrib_fused", True, p)
    tf.contrib.quantize.experimental_create_training_graph(symmetric=True)
    fq = tf.get_default_graph().get_tensor_by_name("conv1/act_quant/FakeQuantWithMinMaxVars:0")
    relu = _op("conv1/Relu").outputs[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, _ = sess.run([relu, fq])
        wmin, wmax, amin, amax = sess.run([_var(f"conv1/{q}/{m}")
                                           for q in ("weights_quant", "act_quant")
                                           for m in ("min", "max")])
        w = sess.run(_op("conv1/mul_fold").outputs[0])
    # weights (narrow range): [-m, m] with m the largest magnitude
    m = np.abs(w).max()
    np.testing.assert_allclose([wmin, wmax], [-m, m], rtol=1e-6)
    # activations (wide range): min = max * -(2^8 - 2) / 2^8 / ... i.e. max / ratio
    ratio = -(256 - 2) / 256
    np.testing.assert_allclose([amin, amax], [a.max() / ratio, a.max()], rtol=1e-4)


# -- errors ----------------------------------------------------------------------------------------
def test_training_ops_are_refused():
    out = _build("contrib_fused", True, _params())
    tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(out))
    with pytest.raises(ValueError, match="Training op found in graph.*ApplyGradientDescent"):
        tf.contrib.quantize.create_training_graph()


@pytest.mark.parametrize("kw, err, msg", [
    (dict(weight_bits=1), ValueError, "weight_bits must be an integer between 2 and 16"),
    (dict(activation_bits=17), ValueError, "activation_bits must be an integer"),
    (dict(input_graph="graph"), TypeError, "input_graph must be a tf.Graph, got str"),
    (dict(scope=3), TypeError, "scope must be a string"),
])
def test_bad_arguments(kw, err, msg):
    with pytest.raises(err, match=msg):
        tf.contrib.quantize.experimental_create_training_graph(**kw)


def test_bias_before_unfused_batch_norm_is_refused():
    x = tf.constant(np.ones([2, 4, 4, 3], np.float32))
    net = tf.layers.conv2d(x, 2, 3, use_bias=True, name="conv1")
    tf.nn.relu(tf.layers.batch_normalization(net, training=True, fused=False, name="bn"))
    with pytest.raises(ValueError, match="Cannot fold batch norm bn.*BiasAdd.*conv1/BiasAdd"):
        tf.contrib.quantize.create_training_graph()


def test_rewrite_twice_adds_nothing():
    _build("contrib_fused", False, _params())
    tf.contrib.quantize.create_eval_graph()
    count = len(tf.get_default_graph().get_operations())
    tf.contrib.quantize.create_eval_graph()
    fqs = [op for op in tf.get_default_graph().get_operations()
           if op.type == "FakeQuantWithMinMaxVars"]
    assert len(fqs) == 4
    assert len(tf.get_default_graph().get_operations()) == count


# -- (f) the frozen eval graph in TensorFlow -------------------------------------------------------
@pytest.mark.parametrize("kind", ["contrib_fused", "layers_unfused"])
def test_frozen_eval_graph_runs_the_same_in_tensorflow(kind):
    tf1_or_skip()
    p = _params(9)
    x = tf.placeholder(tf.float32, [N, 6, 6, 3], name="x")
    logits = _build(kind, False, p, x=x)
    out = tf.identity(tf.reshape(logits, [N, OUT]), name="out")
    tf.contrib.quantize.create_eval_graph()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for name, (lo, hi) in {"conv1/act_quant": (0.0, 5.0), "fc/act_quant": (-7.0, 5.0),
                               "conv1/weights_quant": (-1.5, 2.0)}.items():
            sess.run([tf.assign(_var(name + "/min"), lo), tf.assign(_var(name + "/max"), hi)])
        got = sess.run(out, {x: p["x"]})
        frozen = tf.graph_util.convert_variables_to_constants(
            sess, tf.get_default_graph().as_graph_def(), ["out"])
    assert {"FakeQuantWithMinMaxVars", "Conv2D"} <= {n.op for n in frozen.node}
    assert not {"VariableV2", "Assign"} & {n.op for n in frozen.node}
    theirs = run_graph_def_in_tf(frozen.SerializeToString(), "out:0", {"x:0": p["x"]})
    np.testing.assert_allclose(got, theirs, rtol=1e-5, atol=1e-5)
    # and the output lies on fc/act_quant's grid
    np.testing.assert_allclose(got, fake_quant(got, -7.0, 5.0), atol=1e-5)
