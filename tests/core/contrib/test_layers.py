"""tf.contrib.layers' layer functions without TensorFlow: numpy references for values and
gradients, TF1's variable names, scopes, collections, reuse and errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import layers
from minitf.contrib.arg_scope import arg_scope

RNG = np.random.RandomState(1)
X4 = RNG.randn(2, 5, 5, 3).astype(np.float32)
X2 = RNG.randn(4, 3).astype(np.float32)


def const(value):
    return tf.constant_initializer(np.asarray(value, np.float32))


def run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def names(key):
    return [v.op.name for v in tf.get_collection(key)]


def conv2d_same(x, w, stride=1):
    """numpy NHWC convolution with SAME padding."""
    kh, kw = w.shape[:2]
    h, wd = x.shape[1:3]
    oh, ow = -(-h // stride), -(-wd // stride)
    ph = max((oh - 1) * stride + kh - h, 0)
    pw = max((ow - 1) * stride + kw - wd, 0)
    xp = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]), np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_fully_connected_values_names_and_collections():
    w = RNG.randn(3, 2).astype(np.float32)
    b = np.array([0.5, -1.0], np.float32)
    with tf.Graph().as_default():
        y = layers.fully_connected(tf.constant(X2), 2, weights_initializer=const(w),
                                   biases_initializer=const(b), outputs_collections="outs",
                                   variables_collections={"weights": ["wc"]})
        assert y.op.name == "fully_connected/Relu" and y.shape.as_list() == [4, 2]
        assert names("variables") == ["fully_connected/weights", "fully_connected/biases"]
        assert names("model_variables") == names("variables") == names("trainable_variables")
        assert names("wc") == ["fully_connected/weights"]
        assert tf.get_collection("outs") == [y]
        z = layers.linear(tf.constant(X2), 2, scope="fully_connected", reuse=True)
        assert len(tf.global_variables()) == 2
        grad = tf.gradients(tf.reduce_sum(y), tf.trainable_variables())
        got_y, got_z, (gw, gb) = run([y, z, grad])
    pre = X2 @ w + b
    np.testing.assert_allclose(got_y, np.maximum(pre, 0), rtol=1e-5)
    np.testing.assert_allclose(got_z, pre, rtol=1e-5)
    np.testing.assert_allclose(gw, X2.T @ (pre > 0), rtol=1e-5)
    np.testing.assert_allclose(gb, (pre > 0).sum(0), rtol=1e-5)


def test_fully_connected_errors_and_untrainable():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="num_outputs type should be one of"):
            layers.fully_connected(tf.constant(X2), 2.0)
        layers.fully_connected(tf.constant(X2), 2, trainable=False, biases_initializer=None)
        assert names("variables") == ["fully_connected/weights"]
        assert tf.trainable_variables() == []
        with pytest.raises(ValueError, match="already exists"):
            layers.fully_connected(tf.constant(X2), 2, scope="fully_connected")
        with pytest.raises(ValueError, match="does not exist"):
            layers.fully_connected(tf.constant(X2), 2, scope="other", reuse=True)


def test_fully_connected_regularizer_and_normalizer():
    with tf.Graph().as_default():
        y = layers.fully_connected(tf.constant(X2), 3,
                                   weights_regularizer=lambda w: tf.reduce_sum(w * 0.0 + 2.0),
                                   normalizer_fn=layers.layer_norm)
        assert names("variables") == ["fully_connected/weights", "fully_connected/LayerNorm/beta",
                                      "fully_connected/LayerNorm/gamma"]
        losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        assert [t.op.name for t in losses] == ["fully_connected/kernel/Regularizer/Sum"]
        got, loss = run([y, losses[0]])
    assert loss == 18.0  # 2 for each of the 3 x 3 weights
    assert (got >= 0).all() and got.shape == (4, 3)


def test_conv2d_matches_numpy_and_scopes():
    w = RNG.randn(3, 3, 3, 4).astype(np.float32)
    with tf.Graph().as_default():
        y = layers.conv2d(tf.constant(X4), 4, 3, stride=2, weights_initializer=const(w),
                          activation_fn=None)
        y2 = layers.conv2d(tf.constant(X4), 2, [1, 1], scope="c2")
        assert y.op.name == "Conv/BiasAdd" and y.shape.as_list() == [2, 3, 3, 4]
        assert names("model_variables") == ["Conv/weights", "Conv/biases", "c2/weights",
                                            "c2/biases"]
        assert y2.shape.as_list() == [2, 5, 5, 2]
        got = run(y)
    np.testing.assert_allclose(got, conv2d_same(X4, w, 2), rtol=1e-4, atol=1e-5)


def test_convolution_by_rank_and_errors():
    with tf.Graph().as_default():
        assert layers.convolution(tf.zeros([2, 7, 3]), 4, 3).shape.as_list() == [2, 7, 4]
        assert layers.conv3d(tf.zeros([1, 4, 4, 4, 2]), 3, 2).shape.as_list() == [1, 4, 4, 4, 3]
        y = layers.conv2d(tf.zeros([1, 3, 6, 6]), 5, 3, data_format="NCHW")
        assert y.shape.as_list() == [1, 5, 6, 6]
        with pytest.raises(ValueError, match="Invalid data_format"):
            layers.conv2d(tf.zeros([1, 3, 6, 6]), 5, 3, data_format="NWHC")
        with pytest.raises(ValueError, match="Convolution expects input with rank 4, got 3"):
            layers.conv2d(tf.zeros([2, 7, 3]), 4, 3)
        with pytest.raises(ValueError, match="Convolution not supported"):
            layers.convolution(tf.zeros([2, 3]), 4, 3)


def test_conv2d_transpose_and_pools():
    w = RNG.randn(2, 2, 4, 3).astype(np.float32)
    x = RNG.randn(1, 2, 2, 3).astype(np.float32)
    with tf.Graph().as_default():
        t = layers.conv2d_transpose(tf.constant(x), 4, 2, stride=2, padding="VALID",
                                    weights_initializer=const(w), activation_fn=None)
        assert names("variables") == ["Conv2d_transpose/weights", "Conv2d_transpose/biases"]
        m = layers.max_pool2d(tf.constant(X4), [2, 2])
        a = layers.avg_pool2d(tf.constant(X4), 3, stride=1, padding="SAME")
        assert m.op.name == "MaxPool2D/MaxPool" and m.shape.as_list() == [2, 2, 2, 3]
        m3 = layers.max_pool3d(tf.constant(X4[..., None]), 2)
        assert m3.shape.as_list() == [2, 2, 2, 1, 1]
        with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC"):
            layers.max_pool2d(tf.constant(X4), 2, data_format="NDHWC")
        got_t, got_m, got_a = run([t, m, a])
    want = np.zeros((1, 4, 4, 4))
    for i in range(2):
        for j in range(2):
            want[0, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = np.einsum("c,hwoc->hwo", x[0, i, j], w)
    np.testing.assert_allclose(got_t, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_m, X4[:, :4, :4].reshape(2, 2, 2, 2, 2, 3).max((2, 4)))
    np.testing.assert_allclose(got_a[:, 2, 2], X4[:, 1:4, 1:4].mean((1, 2)), rtol=1e-5)


def test_flatten_dropout_bias_add_one_hot():
    with tf.Graph().as_default():
        f = layers.flatten(tf.constant(X4), outputs_collections=["o"])
        assert f.shape.as_list() == [2, 75] and tf.get_collection("o") == [f]
        ones = tf.ones([200, 50])
        d = layers.dropout(ones, keep_prob=0.8, seed=1)
        off = layers.dropout(ones, is_training=False)
        flag = tf.placeholder(tf.bool, [])
        sel = layers.dropout(ones, 0.5, is_training=flag)
        b = layers.bias_add(tf.constant(X4), initializer=const([1.0, 2.0, 3.0]),
                            activation_fn=tf.nn.relu)
        assert names("model_variables") == ["BiasAdd/biases"]
        with pytest.raises(ValueError, match="Data format NCHW only supports 4D Tensor"):
            layers.bias_add(tf.constant(X2), data_format="NCHW")
        o = layers.one_hot_encoding(tf.constant([2, 0]), 3)
        assert o.op.name.startswith("OneHotEncoding/")
        got = run([f, d, off, sel, b, o], {flag: False})
    np.testing.assert_allclose(got[0], X4.reshape(2, -1))
    assert set(np.unique(got[1])) <= {0.0, 1.25} and abs((got[1] > 0).mean() - 0.8) < 0.02
    assert (got[2] == 1).all() and (got[3] == 1).all()
    np.testing.assert_allclose(got[4], np.maximum(X4 + [1.0, 2.0, 3.0], 0), rtol=1e-6)
    np.testing.assert_array_equal(got[5], [[0, 0, 1], [1, 0, 0]])


def test_repeat_stack_and_arg_scope():
    with tf.Graph().as_default():
        with arg_scope([layers.fully_connected], activation_fn=None,
                       weights_initializer=tf.ones_initializer()):
            r = layers.repeat(tf.constant(X2), 2, layers.fully_connected, 3)
            s = layers.stack(tf.constant(X2), layers.fully_connected, [4, (2,)], scope="fc")
            rl = layers.repeat(tf.constant(X2), 1, layers.relu, 3)
        assert names("variables") == [
            "Repeat/fully_connected_1/weights", "Repeat/fully_connected_1/biases",
            "Repeat/fully_connected_2/weights", "Repeat/fully_connected_2/biases",
            "fc/fc_1/weights", "fc/fc_1/biases", "fc/fc_2/weights", "fc/fc_2/biases",
            "Repeat_1/fully_connected_1/weights", "Repeat_1/fully_connected_1/biases"]
        with pytest.raises(ValueError, match="stack_args need to be a list or tuple"):
            layers.stack(tf.constant(X2), layers.fully_connected, 3)
        got_r, got_s, got_rl = run([r, s, rl])
    np.testing.assert_allclose(got_r, np.repeat(X2.sum(1, keepdims=True) * 3, 3, 1), rtol=1e-5)
    np.testing.assert_allclose(got_s, np.repeat(X2.sum(1, keepdims=True) * 4, 2, 1), rtol=1e-5)
    np.testing.assert_allclose(got_rl, np.maximum(np.repeat(X2.sum(1, keepdims=True), 3, 1), 0),
                               rtol=1e-5)


def test_softmax_unit_norm_one_hot_errors():
    x3 = RNG.randn(2, 3, 4).astype(np.float32)
    with tf.Graph().as_default():
        s = layers.softmax(tf.constant(x3))
        assert s.shape.as_list() == [2, 3, 4]
        u = layers.unit_norm(tf.constant(x3), 1)
        with pytest.raises(ValueError, match="dim must be positive"):
            layers.unit_norm(tf.constant(x3), 3)
        got_s, got_u = run([s, u])
    e = np.exp(x3 - x3.max(-1, keepdims=True))
    np.testing.assert_allclose(got_s, e / e.sum(-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(got_u, x3 / np.sqrt(1e-7 + (x3 ** 2).sum(1, keepdims=True)),
                               rtol=1e-5)


def test_arg_scope_on_model_variable_places_layer_variables():
    """slim's parameter-server idiom: arg_scope([model_variable], device=...) reaches the
    variables layers make (they go through model_variable, as in TF 1.x)."""
    from minitf.contrib import framework

    with tf.Graph().as_default():
        x = tf.zeros([2, 3])
        with framework.arg_scope([framework.model_variable], device="/cpu:0"):
            tf.contrib.layers.fully_connected(x, 4, scope="fc",
                                              normalizer_fn=tf.contrib.layers.batch_norm)
        tf.contrib.layers.fully_connected(x, 4, scope="free")
        placed = {v.op.name: v.device for v in tf.global_variables()}
    assert {n: d for n, d in placed.items() if n.startswith("fc/")} == {
        "fc/weights": "/device:CPU:0", "fc/BatchNorm/beta": "/device:CPU:0",
        "fc/BatchNorm/moving_mean": "/device:CPU:0",
        "fc/BatchNorm/moving_variance": "/device:CPU:0"}
    assert placed["free/weights"] == "" and placed["free/biases"] == ""


def test_flatten_and_unit_norm_op_names_are_tfs():
    """get_tensor_by_name in TF1 code relies on these: flatten runs the core layer in its own
    scope, unit_norm divides with TF 1.15's div."""
    with tf.Graph().as_default():
        flat = tf.contrib.layers.flatten(tf.zeros([2, 3, 4]))
        unit = tf.contrib.layers.unit_norm(tf.ones([2, 3]), 1)
        with tf.Session() as sess:
            f, u = sess.run([flat, unit])
    assert (flat.name, unit.name) == ("Flatten/flatten/Reshape:0", "UnitNorm/div:0")
    assert f.shape == (2, 12)
    np.testing.assert_allclose(u, np.full((2, 3), 1 / np.sqrt(3)), rtol=1e-6)


def test_regularizer_losses_are_named_in_the_layers_name_scope():
    """TF1's core layer makes a weight's loss in the layer's name scope, so a model that
    re-enters its own scope (slim's nets) names it Net/Net/...; the expected names are
    tf_slim's for the same program."""
    reg = tf.contrib.layers.l2_regularizer(0.1)
    with tf.Graph().as_default():
        x = tf.zeros([1, 8, 8, 3])
        with tf.variable_scope("Net") as sc, tf.variable_scope(sc):
            tf.contrib.layers.conv2d(x, 4, 3, weights_regularizer=reg, scope="c1")
            tf.contrib.layers.fully_connected(tf.zeros([2, 3]), 4, weights_regularizer=reg)
        with tf.name_scope("outer"):
            tf.contrib.layers.fully_connected(tf.zeros([2, 3]), 4, weights_regularizer=reg,
                                              scope="fc2")
            tf.contrib.layers.separable_conv2d(x, 4, 3, weights_regularizer=reg, scope="sep")
        names = [t.name for t in tf.losses.get_regularization_losses()]
    assert names == [f"{p}/Regularizer/l2_regularizer:0" for p in (
        "Net/Net/c1/kernel", "Net/Net/fully_connected/kernel", "outer/fc2/kernel",
        "outer/sep/depthwise_kernel", "outer/sep/pointwise_kernel")]
