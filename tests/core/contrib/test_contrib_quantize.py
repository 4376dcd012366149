"""tf.contrib.quantize (TF 1.15): the rewritten graphs' numbers against numpy written from TF's
equations (the FakeQuant nudging rule of fake_quant_ops_functor.h, batch norm folding with its
corrections, last-value and zero-debiased EMA ranges), the quant_delay switch, folding alone,
and training through the rewritten graph."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import quantize_fold

EPS = 0.001  # contrib batch_norm's epsilon, also passed to tf.layers'
N, H, W, C, K, OUT = 4, 6, 6, 3, 4, 3
KINDS = ["contrib_fused", "contrib_unfused", "layers_fused", "layers_unfused"]


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _params(seed=0):
    rs = np.random.RandomState(seed)
    return dict(x=rs.randn(N, H, W, C).astype(np.float32),
                w=(rs.randn(3, 3, C, K) * 0.3).astype(np.float32),
                gamma=rs.uniform(0.5, 1.5, K).astype(np.float32),
                beta=(rs.randn(K) * 0.3).astype(np.float32),
                mm=(rs.randn(K) * 0.5).astype(np.float32),
                mv=rs.uniform(0.5, 2.0, K).astype(np.float32),
                wfc=(rs.randn(H * W * K, OUT) * 0.2).astype(np.float32),
                bfc=(rs.randn(OUT) * 0.1).astype(np.float32),
                y=rs.randn(N, OUT).astype(np.float32))


def _build(kind, training, p, x=None):
    """conv2d (no bias) + batch norm + relu, flatten, fully connected: the net of the tests."""
    const = tf.constant_initializer
    x = tf.constant(p["x"]) if x is None else x
    fused = kind.endswith("_fused")
    if kind.startswith("contrib"):
        bn = {"fused": fused, "is_training": training, "scale": True, "epsilon": EPS,
              "param_initializers": {"gamma": const(p["gamma"]), "beta": const(p["beta"]),
                                     "moving_mean": const(p["mm"]),
                                     "moving_variance": const(p["mv"])}}
        net = tf.contrib.layers.conv2d(x, K, [3, 3], weights_initializer=const(p["w"]),
                                       normalizer_fn=tf.contrib.layers.batch_norm,
                                       normalizer_params=bn, scope="conv1")
        net = tf.contrib.layers.flatten(net)
        return tf.contrib.layers.fully_connected(net, OUT, activation_fn=None, scope="fc",
                                                 weights_initializer=const(p["wfc"]),
                                                 biases_initializer=const(p["bfc"]))
    net = tf.layers.conv2d(x, K, 3, padding="same", use_bias=False,
                           kernel_initializer=const(p["w"]), name="conv1")
    net = tf.layers.batch_normalization(
        net, epsilon=EPS, training=training, fused=fused, name="bn",
        gamma_initializer=const(p["gamma"]), beta_initializer=const(p["beta"]),
        moving_mean_initializer=const(p["mm"]), moving_variance_initializer=const(p["mv"]))
    net = tf.layers.flatten(tf.nn.relu(net))
    return tf.layers.dense(net, OUT, kernel_initializer=const(p["wfc"]),
                           bias_initializer=const(p["bfc"]), name="fc")


# -- numpy references -----------------------------------------------------------------------------
def fake_quant(x, lo, hi, bits=8, narrow=False):
    """TF's FakeQuant: nudge [lo, hi] so that 0 is a level, clamp, round to the level."""
    qmin, qmax = (1.0 if narrow else 0.0), 2.0 ** bits - 1
    scale = (hi - lo) / (qmax - qmin)
    zero_from_min = qmin - lo / scale
    zero = qmin if zero_from_min < qmin else qmax if zero_from_min > qmax else \
        np.floor(zero_from_min + 0.5)
    nmin, nmax = (qmin - zero) * scale, (qmax - zero) * scale
    clamped = np.clip(np.asarray(x, np.float64), nmin, nmax)
    return np.floor((clamped - nmin) / scale + 0.5) * scale + nmin


def _range(x):
    return min(float(x.min()), 0.0), max(float(x.max()), 0.0)


def conv_same(x, w):
    """3x3 stride-1 SAME convolution, NHWC."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros(x.shape[:3] + (w.shape[3],))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nhwc,ck->nhwk", xp[:, i:i + H, j:j + W, :], w[i, j])
    return out


def ref_training_step(p):
    """The first run of the rewritten training graph (quant_delay 0): folded weights scaled by
    the moving sigma, quantized on their last range; the layer corrected back to batch
    statistics; activations quantized on their first EMA value (the batch's range)."""
    y = conv_same(p["x"], p["w"])
    mb, vb = y.mean((0, 1, 2)), y.var((0, 1, 2))
    sigma_b, sigma_mv = np.sqrt(vb + EPS), np.sqrt(p["mv"] + EPS)
    wf = p["w"] * p["gamma"] / sigma_mv
    wq = fake_quant(wf, *_range(wf), narrow=True)
    z = conv_same(p["x"], wq) * (sigma_mv / sigma_b) + (p["beta"] - mb * p["gamma"] / sigma_b)
    a = np.maximum(z, 0)
    aq = fake_quant(a, *_range(a)).reshape(N, -1)
    wfcq = fake_quant(p["wfc"], *_range(p["wfc"]), narrow=True)
    o = aq @ wfcq + p["bfc"]
    return o, fake_quant(o, *_range(o)), dict(a=_range(a), o=_range(o), wf=_range(wf))


def ref_float(p, training):
    y = conv_same(p["x"], p["w"])
    mean, var = (y.mean((0, 1, 2)), y.var((0, 1, 2))) if training else (p["mm"], p["mv"])
    a = np.maximum((y - mean) / np.sqrt(var + EPS) * p["gamma"] + p["beta"], 0)
    return a.reshape(N, -1) @ p["wfc"] + p["bfc"]


def _var(name):
    return next(v for v in tf.global_variables() if v.op.name == name)


# -- (a) the training graph computes TF's quantized forward pass -----------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_training_graph_matches_numpy(kind):
    p = _params()
    out = _build(kind, True, p)
    tf.contrib.quantize.create_training_graph(quant_delay=0)
    want, want_q, ranges = ref_training_step(p)
    # the net's output tensor stays the float BiasAdd; its consumers would read fc/act_quant
    out_q = tf.get_default_graph().get_tensor_by_name("fc/act_quant/FakeQuantWithMinMaxVars:0")
    assert out_q.op.inputs[0] is out
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, got_q = sess.run([out, out_q])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-5)
        # (float32's 1 - 0.999 in the EMA's debiasing costs ~1e-5 of relative precision)
        np.testing.assert_allclose(got_q, want_q, rtol=1e-4, atol=2e-5)
        # the ranges the variables took: last value for weights, EMA (first step: the value)
        np.testing.assert_allclose(sess.run(_var("conv1/weights_quant/min")), ranges["wf"][0],
                                   rtol=1e-5)
        np.testing.assert_allclose(sess.run(_var("conv1/act_quant/max")), ranges["a"][1],
                                   rtol=1e-4)
        np.testing.assert_allclose(sess.run([_var("fc/act_quant/min"), _var("fc/act_quant/max")]),
                                   ranges["o"], rtol=1e-4)


def test_ema_is_zero_debiased():
    """act_quant's range after two runs: biased = EMA from 0, divided by 1 - decay^steps."""
    v = tf.placeholder(tf.float32, [3], name="v")
    x = tf.constant(np.ones([2, 3], np.float32))
    w = tf.get_variable("fc/weights", initializer=np.eye(3, dtype=np.float32))
    relu = tf.nn.relu(tf.matmul(x, w, name="fc/MatMul") + v, name="fc/Relu")
    out = tf.reshape(relu, [-1], name="out")  # a consumer: it reads act_quant after the rewrite
    tf.contrib.quantize.create_training_graph()
    assert out.op.inputs[0].op.name == "fc/act_quant/FakeQuantWithMinMaxVars"
    mx = _var("fc/act_quant/max")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(out, {v: [1.0, 2.0, 3.0]})   # range max 4
        sess.run(out, {v: [5.0, 7.0, 9.0]})   # range max 10
        got = sess.run(mx)
    biased = 0.001 * 4.0
    biased = biased * 0.999 + 0.001 * 10.0
    np.testing.assert_allclose(got, biased / (1 - 0.999 ** 2), rtol=1e-4)


# -- (b) quant_delay ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["contrib_fused", "layers_unfused"])
def test_quant_delay_switches_quantization_on(kind):
    p = _params(1)
    out = tf.reshape(_build(kind, True, p), [N, OUT])  # reads fc/act_quant's result
    tf.contrib.quantize.create_training_graph(quant_delay=3)
    assert out.op.inputs[0].op.name == "fc/act_quant/delayed_quant/Merge"
    step = _var("fake_quantization_step")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        results = [sess.run(out) for _ in range(3)]
        assert sess.run(step) == 3
        lo, hi = sess.run([_var("fc/act_quant/min"), _var("fc/act_quant/max")])
    # steps 1 and 2 (< quant_delay) run the float graph (batch statistics: same each run)
    want = ref_float(p, True)
    np.testing.assert_allclose(results[0], want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(results[1], want, rtol=1e-4, atol=1e-5)
    # step 3 quantizes: the output lies on the grid of the tracked range, and differs
    assert not np.allclose(results[2], want, atol=1e-6)
    q = fake_quant(results[2], float(lo), float(hi))
    np.testing.assert_allclose(results[2], q, atol=1e-5)


# -- (c) batch norm folding ------------------------------------------------------------------------
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_fold_alone_equals_batch_norm(kind, training):
    p = _params(2)
    out = _build(kind, training, p)
    g = tf.get_default_graph()
    quantize_fold.FoldBatchNorms(g, is_training=training)
    types = {op.type for op in g.get_operations()}
    assert "Conv2D" in types
    assert any(op.name.endswith("Conv2D_Fold") for op in g.get_operations())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(out)
    np.testing.assert_allclose(got, ref_float(p, training), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fused", [True, False])
def test_fold_batch_norm_without_gamma_or_beta(fused):
    """scale=False, center=False: nn.batch_normalization's ``-mean * rsqrt(var + eps)``
    shift; the training corrections take gamma = 1."""
    p = _params(3)
    x = tf.constant(p["x"])
    bn = {"fused": fused, "scale": False, "center": False, "epsilon": EPS,
          "param_initializers": {"moving_variance": tf.constant_initializer(p["mv"])}}
    out = tf.contrib.layers.conv2d(x, K, [3, 3], weights_initializer=tf.constant_initializer(
        p["w"]), normalizer_fn=tf.contrib.layers.batch_norm, normalizer_params=bn, scope="c")
    relu = out.op
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run(relu.inputs[0])
        old = set(tf.global_variables())
        tf.contrib.quantize.create_training_graph(quant_delay=100)
        sess.run(tf.variables_initializer([v for v in tf.global_variables() if v not in old]))
        got = sess.run(relu.inputs[0])
    assert relu.inputs[0].op.name == "c/add_fold"
    if not fused:  # the corrections' gamma is ones
        assert tf.get_default_graph().get_operation_by_name("c/correction_mult")
    y = conv_same(p["x"], p["w"])
    ref = (y - y.mean((0, 1, 2))) / np.sqrt(y.var((0, 1, 2)) + EPS)
    np.testing.assert_allclose(want, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)


def test_fold_matmul_and_depthwise_batch_norms():
    """fully_connected + fused batch norm (reshaped to 4-D) and a depthwise conv + batch norm."""
    rs = np.random.RandomState(4)
    x = tf.constant(rs.randn(N, H, W, C).astype(np.float32))
    bn = {"is_training": False, "scale": True,
          "param_initializers": {"moving_mean": tf.constant_initializer(rs.randn(6)),
                                 "moving_variance": tf.constant_initializer(rs.uniform(1, 2, 6)),
                                 "gamma": tf.constant_initializer(rs.uniform(1, 2, 6))}}
    net = tf.contrib.layers.separable_conv2d(x, None, [3, 3], depth_multiplier=2,
                                             normalizer_fn=tf.contrib.layers.batch_norm,
                                             normalizer_params=bn, scope="dw")
    bn = dict(bn, param_initializers={"beta": tf.constant_initializer(rs.randn(5))})
    out = tf.contrib.layers.fully_connected(tf.contrib.layers.flatten(net), 5, scope="fc",
                                            normalizer_fn=tf.contrib.layers.batch_norm,
                                            normalizer_params=bn)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run(out)
        quantize_fold.FoldBatchNorms(tf.get_default_graph(), is_training=False)
        got = sess.run(out)
    g = tf.get_default_graph()
    assert g.get_operation_by_name("dw/depthwise_Fold").type == "DepthwiseConv2dNative"
    assert g.get_operation_by_name("dw/BatchNorm_Fold/scale_reshape").type == "Reshape"
    assert g.get_operation_by_name("fc/MatMul_Fold").type == "MatMul"
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["contrib_fused", "layers_unfused"])
def test_eval_graph_at_16_bits_equals_float(kind):
    """The folded, quantized eval graph with 16-bit weights and activations (ranges set to
    cover the values) is the float graph up to quantization error."""
    p = _params(5)
    out = _build(kind, False, p)
    tf.contrib.quantize.experimental_create_eval_graph(weight_bits=16, activation_bits=16)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for name, (lo, hi) in {"conv1/act_quant": (0.0, 8.0), "fc/act_quant": (-8.0, 8.0),
                               "conv1/weights_quant": (-4.0, 4.0),
                               "fc/weights_quant": (-1.0, 1.0)}.items():
            sess.run([tf.assign(_var(name + "/min"), lo), tf.assign(_var(name + "/max"), hi)])
        got = sess.run(out)
    want = ref_float(p, False)
    assert np.abs(want).max() < 8
    np.testing.assert_allclose(got, want, atol=2e-3)
    assert not np.allclose(got, want, atol=1e-6)  # it is quantized


def test_freeze_bn_delay_switches_to_moving_statistics():
    """After freeze_bn_delay steps the folded layer normalises by the moving statistics, which
    stop moving; before, by the batch's, as the batch norm does."""
    p = _params(6)
    out = _build("contrib_fused", True, p)
    tf.contrib.quantize.experimental_create_training_graph(quant_delay=100, freeze_bn_delay=2)
    mm, mv = _var("conv1/BatchNorm/moving_mean"), _var("conv1/BatchNorm/moving_variance")
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run([out, updates])[0]
        stats1 = sess.run([mm, mv])
        second = sess.run([out, updates])[0]
        stats2 = sess.run([mm, mv])
        third = sess.run([out, updates])[0]
        stats3 = sess.run([mm, mv])
    np.testing.assert_allclose(first, ref_float(p, True), rtol=1e-4, atol=1e-5)
    assert not np.allclose(stats1[0], p["mm"])  # updated at step 1
    # step 2 on: moving statistics (as they were after step 1), no longer updated
    frozen = dict(p, mm=stats1[0], mv=stats1[1])
    np.testing.assert_allclose(second, ref_float(frozen, False), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(third, second, rtol=1e-6)
    np.testing.assert_array_equal(stats2[0], stats1[0])
    np.testing.assert_array_equal(stats3[1], stats1[1])


# -- (d) training ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["contrib_fused", "layers_unfused"])
def test_gradients_of_folded_float_graph_equal_the_batch_norm_ones(kind):
    """With quantization still delayed the rewritten graph is the float net: its gradients
    (through the folded fused batch norm's statistics too) are the original's."""
    p = _params(7)
    grads = []
    for rewrite in (False, True):
        with tf.Graph().as_default():
            out = _build(kind, True, p)
            if rewrite:
                tf.contrib.quantize.create_training_graph(quant_delay=1000)
            loss = tf.reduce_mean(tf.square(out - p["y"]))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                grads.append(sess.run(tf.gradients(loss, tf.trainable_variables())))
    for a, b in zip(*grads):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind", ["contrib_fused", "contrib_unfused"])
def test_training_reduces_loss(kind):
    p = _params(8)
    out = _build(kind, True, p)
    tf.contrib.quantize.create_training_graph(quant_delay=0)
    loss = tf.reduce_mean(tf.square(out - p["y"]))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([train, loss])[1] for _ in range(25)]
    assert losses[-1] < 0.5 * losses[0], losses
