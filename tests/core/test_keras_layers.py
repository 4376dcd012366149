"""minitf.keras.layers (and the activations, initializers, regularizers and constraints
namespaces) against numpy references; the side-by-side with tf_keras is
tests/core/data/keras_layers_vs_tf.py (test_layers_match_tf_keras, skipped without TF)."""

import re

import numpy as np
import pytest

import minitf as tf
import minitf.keras  # noqa: F401 - tf.keras as an attribute
from minitf.keras import activations, backend, constraints, initializers, regularizers
from tests.core.legacy_tf import run_against_tf

L = minitf.keras.layers
RNG = np.random.default_rng(7)
CASES_VS_TF = 76


@pytest.fixture(autouse=True)
def fresh_graph():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def run(fetches, feeds=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feeds or {})


def set_weights(layer, values, sess):
    for v, w in zip(layer.weights, values):
        v.load(np.asarray(w, np.float32), sess)


def normal(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def conv_nd_valid(x, k, stride=1):
    """A channels_last 2-D 'valid' convolution (cross-correlation) in numpy loops."""
    n, h, w, _ = x.shape
    kh, kw, _, f = k.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, oh, ow, f), np.float32)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


# -- core -----------------------------------------------------------------------------------------
def test_dense_matches_numpy_over_the_last_axis_and_names_its_weights():
    x = tf.placeholder(tf.float32, [None, 2, 4])
    layer = L.Dense(3, activation="relu")
    y = layer(x)
    assert [v.name for v in layer.weights] == ["dense/kernel:0", "dense/bias:0"]
    assert y.shape.as_list() == [None, 2, 3]
    xv, k, b = normal(5, 2, 4), normal(4, 3), normal(3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        set_weights(layer, [k, b], sess)
        out = sess.run(y, {x: xv})
    np.testing.assert_allclose(out, np.maximum(xv @ k + b, 0), rtol=1e-5, atol=1e-6)
    second = L.Dense(2)
    second(x)
    assert second.name == "dense_1" and second.kernel.name == "dense_1/kernel:0"


def test_dense_config_round_trips_and_defaults_are_keras():
    layer = L.Dense(4, kernel_regularizer="l2", bias_constraint="non_neg", name="d")
    config = layer.get_config()
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert config["kernel_regularizer"]["config"] == {"l2": float(np.float32(0.01))}
    assert config["activation"] == "linear"
    clone = L.Dense.from_config(config)
    assert clone.get_config() == config
    assert isinstance(clone.kernel_regularizer, regularizers.L2)


def test_dense_refuses_bad_units_and_an_unknown_last_dimension():
    with pytest.raises(ValueError, match="units"):
        L.Dense(0)
    with pytest.raises(ValueError, match="last dimension"):
        L.Dense(2)(tf.placeholder(tf.float32, [None, None]))
    with pytest.raises(TypeError, match="not understood"):
        L.Dense(2, bogus=1)


def test_dense_regularizer_losses_are_the_penalties():
    layer = L.Dense(2, kernel_regularizer=regularizers.l2(0.5),
                    kernel_initializer=initializers.Constant(2.0))
    layer(tf.placeholder(tf.float32, [None, 3]))
    (loss,) = layer.losses
    assert np.isclose(run(loss), 0.5 * 4.0 * 6)


def test_dropout_follows_the_learning_phase_and_training_argument():
    x = tf.placeholder(tf.float32, [None, 1000])
    layer = L.Dropout(0.5)
    by_phase, forced = layer(x), layer(x, training=True)
    xv = np.ones((4, 1000), np.float32)
    inference = run(by_phase, {x: xv})
    np.testing.assert_array_equal(inference, xv)
    phase = backend.learning_phase()
    trained, forced_out = run([by_phase, forced], {x: xv, phase: True})
    for out in (trained, forced_out):
        assert set(np.unique(out)) <= {0.0, 2.0}
        assert 0.4 < (out == 0).mean() < 0.6
    with pytest.raises(ValueError, match="rate"):
        L.Dropout(1.5)


def test_set_learning_phase_makes_dropout_a_constant_choice():
    backend.set_learning_phase(1)
    x = tf.placeholder(tf.float32, [None, 400])
    out = run(L.Dropout(0.25)(x), {x: np.ones((2, 400), np.float32)})
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.75)}
    assert (out == 0).any()


def test_spatial_dropout_drops_whole_channels():
    x = tf.placeholder(tf.float32, [None, 6, 6, 50])
    out = run(L.SpatialDropout2D(0.5)(x, training=True), {x: np.ones((2, 6, 6, 50))})
    per_channel = out.reshape(2, 36, 50)
    assert (per_channel.min(axis=1) == per_channel.max(axis=1)).all()
    x1 = tf.placeholder(tf.float32, [None, 7, 40])
    out1 = run(L.SpatialDropout1D(0.5)(x1, training=True), {x1: np.ones((2, 7, 40))})
    assert (out1.min(axis=1) == out1.max(axis=1)).all()


def test_shape_layers_match_numpy():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    xv = normal(2, 3, 4)
    outs = run([L.Flatten()(x), L.Reshape((2, -1))(x), L.Permute((2, 1))(x),
                L.RepeatVector(3)(x[:, 0]), L.Activation("tanh")(x),
                L.Lambda(lambda t, k: t * k, arguments={"k": 3.0})(x)], {x: xv})
    expected = [xv.reshape(2, 12), xv.reshape(2, 2, 6), xv.transpose(0, 2, 1),
                np.repeat(xv[:, None, 0], 3, axis=1), np.tanh(xv), xv * 3]
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-6)
    assert L.Reshape((2, -1)).compute_output_shape([None, 3, 4]).as_list() == [None, 2, 6]
    with pytest.raises(ValueError, match="total size"):
        L.Reshape((5, -1)).compute_output_shape([None, 3, 4])
    with pytest.raises(ValueError, match="Invalid permutation"):
        L.Permute((1, 3))
    assert L.Flatten().compute_output_shape([None, 3, 4]).as_list() == [None, 12]


def test_lambda_config_round_trips_a_lambda():
    layer = L.Lambda(lambda t: t * 2 + 1, name="twice")
    with pytest.raises(ValueError, match="'twice'.*bytecode.*safe_mode=False"):
        L.Lambda.from_config(layer.get_config())  # code from a file is not run by default
    clone = L.Lambda.from_config(layer.get_config(), safe_mode=False)
    x = tf.placeholder(tf.float32, [None, 2])
    out = run(clone(x), {x: np.array([[1.0, 2.0]])})
    np.testing.assert_allclose(out, [[3.0, 5.0]])


def test_a_model_with_a_lambda_loads_its_code_only_with_safe_mode_false():
    inputs = tf.keras.Input((2,))
    model = tf.keras.Model(inputs, L.Lambda(lambda t: t * 3.0, name="triple")(inputs))
    text = model.to_json()
    with pytest.raises(ValueError, match="'triple'.*bytecode"):
        tf.keras.models.model_from_json(text)
    clone = tf.keras.models.model_from_json(text, safe_mode=False)
    np.testing.assert_allclose(clone.predict(np.array([[1.0, 2.0]], np.float32)), [[3.0, 6.0]])


def test_masking_zeroes_and_masks_the_timesteps_equal_to_mask_value():
    x = tf.placeholder(tf.float32, [None, 3, 2])
    y = L.Masking(mask_value=-1.0)(x)
    xv = np.array([[[1, 2], [-1, -1], [-1, 3]]], np.float32)
    out, mask = run([y, y._keras_mask], {x: xv})
    np.testing.assert_array_equal(mask, [[True, False, True]])
    np.testing.assert_array_equal(out, [[[1, 2], [0, 0], [-1, 3]]])


def test_activity_regularization_adds_l1_l2_of_the_output_per_example():
    x = tf.placeholder(tf.float32, [None, 3])
    layer = L.ActivityRegularization(l1=0.1, l2=0.2)
    layer(x)
    xv = normal(4, 3)
    (loss,) = run(layer.losses, {x: xv})
    expected = (0.1 * np.abs(xv).sum() + 0.2 * (xv ** 2).sum()) / 4
    assert np.isclose(loss, expected, rtol=1e-5)
    assert layer.get_config()["l1"] == 0.1


# -- convolutions ---------------------------------------------------------------------------------
def test_conv2d_matches_a_numpy_convolution():
    x = tf.placeholder(tf.float32, [None, 6, 5, 2])
    layer = L.Conv2D(3, (3, 2), strides=2)
    y = layer(x)
    xv, k, b = normal(2, 6, 5, 2), normal(3, 2, 2, 3), normal(3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        set_weights(layer, [k, b], sess)
        out = sess.run(y, {x: xv})
    np.testing.assert_allclose(out, conv_nd_valid(xv, k, 2) + b, rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape([None, 6, 5, 2]).as_list() == [None, 2, 2, 3]
    assert layer.get_config()["kernel_size"] == (3, 2)


def test_conv1d_causal_pads_on_the_left():
    x = tf.placeholder(tf.float32, [None, 5, 1])
    layer = L.Conv1D(1, 2, padding="causal", dilation_rate=2, use_bias=False)
    y = layer(x)
    xv = np.arange(5, dtype=np.float32).reshape(1, 5, 1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        set_weights(layer, [np.array([[[1.0]], [[10.0]]])], sess)
        out = sess.run(y, {x: xv})
    padded = np.concatenate([[0, 0], xv.ravel()])
    np.testing.assert_allclose(out.ravel(), [padded[i] + 10 * padded[i + 2] for i in range(5)])


def test_conv2d_transpose_is_the_convolution_gradient():
    x = tf.placeholder(tf.float32, [None, 2, 2, 1])
    layer = L.Conv2DTranspose(1, 2, strides=2, use_bias=False)
    y = layer(x)
    k = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32).reshape(2, 2, 1, 1)
    xv = np.array([1.0, 10.0, 100.0, 1000.0], np.float32).reshape(1, 2, 2, 1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        set_weights(layer, [k], sess)
        out = sess.run(y, {x: xv})
    expected = np.kron(xv[0, :, :, 0], k[:, :, 0, 0])  # stride = kernel: disjoint tiles
    np.testing.assert_allclose(out[0, :, :, 0], expected)
    assert layer.compute_output_shape([None, 2, 2, 1]).as_list() == [None, 4, 4, 1]
    padded = L.Conv2DTranspose(1, 3, strides=2, output_padding=1)
    assert padded.compute_output_shape([None, 3, 3, 1]).as_list() == [None, 8, 8, 1]
    with pytest.raises(ValueError, match="greater than output padding"):
        L.Conv2DTranspose(1, 3, strides=2, output_padding=2)


def test_depthwise_and_separable_convolutions_match_numpy():
    x = tf.placeholder(tf.float32, [None, 4, 4, 2])
    depthwise = L.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)
    separable = L.SeparableConv2D(3, 3, use_bias=False)
    yd, ys = depthwise(x), separable(x)
    xv, dk = normal(2, 4, 4, 2), normal(3, 3, 2, 2)
    sk, spk = normal(3, 3, 2, 1), normal(1, 1, 2, 3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        set_weights(depthwise, [dk], sess)
        set_weights(separable, [sk, spk], sess)
        out_d, out_s = sess.run([yd, ys], {x: xv})
    expected_d = np.concatenate([conv_nd_valid(xv[..., c:c + 1], dk[:, :, c:c + 1, :])
                                 for c in range(2)], axis=-1)
    np.testing.assert_allclose(out_d, expected_d, rtol=1e-4, atol=1e-5)
    per_channel = np.concatenate([conv_nd_valid(xv[..., c:c + 1], sk[:, :, c:c + 1, :])
                                  for c in range(2)], axis=-1)
    np.testing.assert_allclose(out_s, per_channel @ spk[0, 0], rtol=1e-4, atol=1e-5)
    assert [v.name for v in separable.weights] == [
        "separable_conv2d/depthwise_kernel:0", "separable_conv2d/pointwise_kernel:0"]


def test_conv_arguments_are_checked_with_keras_messages():
    with pytest.raises(ValueError, match="filters"):
        L.Conv2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        L.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="padding"):
        L.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="Causal padding"):
        L.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="dilation_rate"):
        L.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="ndim"):
        L.Conv2D(2, 3)(tf.placeholder(tf.float32, [None, 5, 5]))


def test_resampling_padding_and_cropping_match_numpy():
    x = tf.placeholder(tf.float32, [None, 3, 4, 2])
    xv = normal(2, 3, 4, 2)
    outs = run([L.UpSampling2D((2, 3))(x), L.ZeroPadding2D(((1, 0), (2, 1)))(x),
                L.Cropping2D(((1, 0), (1, 2)))(x), L.UpSampling1D(2)(x[:, 0]),
                L.ZeroPadding1D(2)(x[:, 0]), L.Cropping1D((1, 1))(x[:, 0])], {x: xv})
    expected = [np.repeat(np.repeat(xv, 2, 1), 3, 2),
                np.pad(xv, [(0, 0), (1, 0), (2, 1), (0, 0)]), xv[:, 1:, 1:-2],
                np.repeat(xv[:, 0], 2, 1), np.pad(xv[:, 0], [(0, 0), (2, 2), (0, 0)]),
                xv[:, 0, 1:-1]]
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o, e)
    with pytest.raises(ValueError, match="interpolation"):
        L.UpSampling2D(interpolation="cubic")


# -- pooling --------------------------------------------------------------------------------------
def test_pooling_matches_numpy():
    x = tf.placeholder(tf.float32, [None, 4, 4, 3])
    xv = normal(2, 4, 4, 3)
    blocks = xv.reshape(2, 2, 2, 2, 2, 3)
    outs = run([L.MaxPooling2D()(x), L.AveragePooling2D()(x), L.GlobalMaxPooling2D()(x),
                L.GlobalAveragePooling2D(keepdims=True)(x), L.MaxPooling1D(2)(x[:, 0]),
                L.GlobalAveragePooling1D()(x[:, 0])], {x: xv})
    expected = [blocks.max(axis=(2, 4)), blocks.mean(axis=(2, 4)), xv.max(axis=(1, 2)),
                xv.mean(axis=(1, 2), keepdims=True),
                xv[:, 0].reshape(2, 2, 2, 3).max(axis=2), xv[:, 0].mean(axis=1)]
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-6)
    pool = L.MaxPool2D(pool_size=3, strides=2, padding="same")
    assert pool.compute_output_shape([None, 5, 5, 1]).as_list() == [None, 3, 3, 1]
    assert pool.get_config()["strides"] == (2, 2)


def test_global_average_pooling1d_skips_masked_steps():
    ids = tf.placeholder(tf.int32, [None, 4])
    emb = L.Embedding(5, 2, mask_zero=True)
    x = emb(ids)  # carries the mask to the pooling
    pooled = L.GlobalAveragePooling1D()(x)
    table = normal(5, 2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        set_weights(emb, [table], sess)
        out = sess.run(pooled, {ids: np.array([[1, 3, 0, 0]])})
    np.testing.assert_allclose(out, [(table[1] + table[3]) / 2], rtol=1e-6)
    assert pooled._keras_mask is None


# -- normalization --------------------------------------------------------------------------------
def test_batch_normalization_trains_on_batch_statistics_and_moves_its_averages():
    x = tf.placeholder(tf.float32, [None, 3])
    bn = L.BatchNormalization(momentum=0.8, epsilon=0.01)
    y = bn(x)
    assert len(bn.updates) == 2
    assert {u.name for u in tf.get_collection(tf.GraphKeys.UPDATE_OPS)} == \
        {u.name for u in bn.updates}
    xv = normal(6, 3) * 2 + 1
    phase = backend.learning_phase()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        trained, _ = sess.run([y, bn.updates], {x: xv, phase: True})
        mean, var = sess.run([bn.moving_mean, bn.moving_variance])
        inferred = sess.run(y, {x: xv})
    np.testing.assert_allclose(trained, (xv - xv.mean(0)) / np.sqrt(xv.var(0) + 0.01),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mean, 0.2 * xv.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, 0.8 + 0.2 * xv.var(0), rtol=1e-5)
    np.testing.assert_allclose(inferred, (xv - mean) / np.sqrt(var + 0.01), rtol=1e-4,
                               atol=1e-5)
    assert bn.get_config()["axis"] == [1]
    assert [v.name for v in bn.non_trainable_weights] == [
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]


def test_batch_normalization_trains_through_update_ops():
    x = tf.placeholder(tf.float32, [None, 2])
    bn = L.BatchNormalization(momentum=0.5)
    loss = tf.reduce_sum(bn(x, training=True))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    xv = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(step, {x: xv})
        np.testing.assert_allclose(sess.run(bn.moving_mean), [1.0, 2.0])


def test_batch_normalization_refuses_an_axis_out_of_range():
    with pytest.raises(ValueError, match="Invalid axis"):
        L.BatchNormalization(axis=3)(tf.placeholder(tf.float32, [None, 2]))


def test_layer_normalization_matches_numpy():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    layer = L.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    y = layer(x)
    xv, gamma, beta = normal(2, 3, 4), normal(3, 4), normal(3, 4)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        set_weights(layer, [gamma, beta], sess)
        out = sess.run(y, {x: xv})
    mean = xv.mean(axis=(1, 2), keepdims=True)
    var = xv.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, (xv - mean) / np.sqrt(var + 1e-5) * gamma + beta,
                               rtol=1e-4, atol=1e-5)


# -- embedding, merging ---------------------------------------------------------------------------
def test_embedding_looks_up_rows_and_masks_zeros():
    ids = tf.placeholder(tf.int32, [None, 3])
    layer = L.Embedding(4, 2, mask_zero=True)
    y = layer(ids)
    table = normal(4, 2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        set_weights(layer, [table], sess)
        out, mask = sess.run([y, y._keras_mask], {ids: [[1, 0, 3]]})
    np.testing.assert_allclose(out, table[[[1, 0, 3]]])
    np.testing.assert_array_equal(mask, [[True, False, True]])
    assert layer.get_config()["embeddings_initializer"]["config"]["minval"] == -0.05
    with pytest.raises(ValueError, match="positive"):
        L.Embedding(0, 2)


def test_merge_layers_match_numpy():
    a, b = tf.placeholder(tf.float32, [None, 4]), tf.placeholder(tf.float32, [None, 4])
    c = tf.placeholder(tf.float32, [None, 3, 4])
    av, bv, cv = normal(2, 4), normal(2, 4), normal(2, 3, 4)
    outs = run([L.add([a, b]), L.subtract([a, b]), L.multiply([a, b]), L.average([a, b]),
                L.maximum([a, b]), L.minimum([a, b]), L.concatenate([a, b], axis=-1),
                L.dot([a, b], axes=1), L.dot([c, a], axes=(2, 1)),
                L.Dot(axes=1, normalize=True)([a, b])], {a: av, b: bv, c: cv})
    cosine = (av * bv).sum(1, keepdims=True) / np.linalg.norm(av, axis=1, keepdims=True) / \
        np.linalg.norm(bv, axis=1, keepdims=True)
    expected = [av + bv, av - bv, av * bv, (av + bv) / 2, np.maximum(av, bv),
                np.minimum(av, bv), np.concatenate([av, bv], 1),
                (av * bv).sum(1, keepdims=True), np.einsum("bij,bj->bi", cv, av), cosine]
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        L.Subtract()([a, b, a])
    with pytest.raises(ValueError, match="list of inputs"):
        L.Add()(a)
    with pytest.raises(ValueError, match="incompatible shapes"):
        L.Add()([a, tf.placeholder(tf.float32, [None, 3])])


def test_merge_masks_are_combined():
    ids = tf.placeholder(tf.int32, [None, 3])
    emb = L.Embedding(5, 2, mask_zero=True)
    x1, x2 = emb(ids), emb(ids[:, ::-1])
    summed, joined = L.Add()([x1, x2]), L.Concatenate(axis=1)([x1, x2])
    m1, m2 = run([summed._keras_mask, joined._keras_mask], {ids: [[1, 0, 0]]})
    np.testing.assert_array_equal(m1, [[False, False, False]])
    np.testing.assert_array_equal(m2, [[True, False, False, False, False, True]])


# -- activations, noise ---------------------------------------------------------------------------
def test_activation_layers_match_numpy():
    x = tf.placeholder(tf.float32, [None, 6])
    xv = np.array([[-2.0, -0.5, 0.0, 0.3, 0.7, 8.0]], np.float32)
    prelu = L.PReLU(alpha_initializer=initializers.Constant(0.25))
    outs = run([L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5)(x),
                L.LeakyReLU(0.2)(x), L.ELU(0.5)(x), L.ThresholdedReLU(0.5)(x),
                L.Softmax()(x), prelu(x)], {x: xv})
    relu = np.where(xv >= 0.5, np.minimum(xv, 6.0), 0.1 * (xv - 0.5))
    relu = np.where(xv > 0.5, relu, 0.1 * (xv - 0.5))
    e = np.exp(xv - xv.max())
    expected = [relu, np.where(xv > 0, xv, 0.2 * xv),
                np.where(xv > 0, xv, 0.5 * (np.exp(xv) - 1)), np.where(xv > 0.5, xv, 0),
                e / e.sum(), np.where(xv > 0, xv, 0.25 * xv)]
    for o, ex in zip(outs, expected):
        np.testing.assert_allclose(o, ex, rtol=1e-5, atol=1e-6)
    assert prelu.alpha.shape.as_list() == [6]
    with pytest.raises(ValueError, match="negative"):
        L.ReLU(max_value=-1)


def test_noise_layers_are_identity_in_inference_and_noisy_in_training():
    x = tf.placeholder(tf.float32, [None, 20000])
    xv = np.ones((1, 20000), np.float32)
    layers = [L.GaussianNoise(0.5), L.GaussianDropout(0.2), L.AlphaDropout(0.1)]
    inference = run([layer(x) for layer in layers], {x: xv})
    for out in inference:
        np.testing.assert_array_equal(out, xv)
    noise, gdrop, adrop = run([layer(x, training=True) for layer in layers],
                              {x: xv * 0 + RNG.standard_normal((1, 20000)).astype(np.float32)})
    assert abs(gdrop.mean()) < 0.1 and abs(noise.std() - np.sqrt(1.25)) < 0.05
    assert abs(adrop.mean()) < 0.05 and abs(adrop.std() - 1.0) < 0.05  # self-normalizing


# -- the namespaces -------------------------------------------------------------------------------
def test_initializers_namespace():
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    init = initializers.get({"class_name": "RandomNormal", "config": {"stddev": 2.0}})
    assert init.get_config() == {"mean": 0.0, "stddev": 2.0, "seed": None}
    assert initializers.serialize(initializers.he_normal(seed=3))["config"] == {"seed": 3}
    assert initializers.RandomUniform().get_config()["maxval"] == 0.05
    values = run(initializers.Constant(3.0)([2, 2]))
    np.testing.assert_array_equal(values, np.full((2, 2), 3.0))
    uniform = run(initializers.GlorotUniform(seed=1)([200, 100]))
    assert np.abs(uniform).max() <= np.sqrt(6 / 300) + 1e-6
    np.testing.assert_allclose(run(initializers.Identity(2.0)([2, 2])), 2 * np.eye(2))
    with pytest.raises(ValueError, match="Unknown initializer"):
        initializers.get("nope")


def test_regularizers_and_constraints_namespaces():
    w = tf.constant([[3.0, -4.0], [0.0, 1.0]])
    l1l2 = regularizers.get("l1_l2")
    assert l1l2.get_config() == {"l1": float(np.float32(0.01)), "l2": float(np.float32(0.01))}
    reg = run(l1l2(w))
    assert np.isclose(reg, 0.01 * 8 + 0.01 * 26)
    assert regularizers.deserialize(regularizers.serialize(regularizers.L1(0.3))).l1 == \
        float(np.float32(0.3))
    wv = np.array([[3.0, -4.0], [0.0, 1.0]])
    norms = np.sqrt((wv ** 2).sum(0, keepdims=True))
    outs = run([constraints.MaxNorm(2.0)(w), constraints.NonNeg()(w),
                constraints.UnitNorm(axis=0)(w), constraints.get("min_max_norm")(w)])
    expected = [wv * np.clip(norms, 0, 2) / (1e-7 + norms), np.maximum(wv, 0),
                wv / (1e-7 + norms), wv * np.clip(norms, 0, 1) / (1e-7 + norms)]
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-6)
    assert constraints.serialize(constraints.MaxNorm())["config"] == {"max_value": 2, "axis": 0}
    with pytest.raises(ValueError, match="Unknown constraint"):
        constraints.get("nope")


def test_activations_namespace():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.serialize(tf.nn.relu) == "relu"
    assert activations.deserialize("softmax") is activations.softmax
    x = tf.constant([[-1.0, 0.5, 3.0]])
    outs = run([activations.relu(x, alpha=0.1, max_value=2.0), activations.hard_sigmoid(x),
                activations.elu(x, 2.0), activations.gelu(x), activations.swish(x)])
    xv = np.array([[-1.0, 0.5, 3.0]])
    from math import erf
    gelu = 0.5 * xv * (1 + np.vectorize(erf)(xv / np.sqrt(2)))
    expected = [np.where(xv > 0, np.minimum(xv, 2.0), 0.1 * xv),
                np.clip(0.2 * xv + 0.5, 0, 1), np.where(xv > 0, xv, 2 * (np.exp(xv) - 1)),
                gelu, xv / (1 + np.exp(-xv))]
    for o, e in zip(outs, expected):
        np.testing.assert_allclose(o, e, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Unknown activation"):
        activations.get("nope")
    with pytest.raises(ValueError, match="1D"):
        activations.softmax(tf.constant([1.0, 2.0]))


def test_every_layer_config_round_trips():
    specs = [(L.Conv1D, (2, 3)), (L.Conv3D, (2, 2)), (L.SeparableConv1D, (2, 2)),
             (L.DepthwiseConv2D, (3,)), (L.Conv2DTranspose, (2, 3)), (L.Dropout, (0.3,)),
             (L.BatchNormalization, ()), (L.LayerNormalization, ()), (L.Embedding, (3, 2)),
             (L.Concatenate, ()), (L.Dot, (1,)), (L.PReLU, ()), (L.Softmax, ()),
             (L.GaussianNoise, (0.1,)), (L.AlphaDropout, (0.1,)), (L.ZeroPadding2D, ()),
             (L.Cropping3D, ()), (L.UpSampling2D, ()), (L.AveragePooling3D, ()),
             (L.GlobalMaxPooling1D, ()), (L.ReLU, (2.0,)), (L.Masking, ())]
    for cls, args in specs:
        config = cls(*args).get_config()
        assert cls.from_config(config).get_config() == config, cls.__name__


def test_layers_match_tf_keras():
    run_against_tf("keras_layers_vs_tf.py", cases=CASES_VS_TF)


def test_clone_model_copies_a_lambda_layer_made_in_this_process():
    inputs = tf.keras.Input((2,))
    model = tf.keras.Model(inputs, L.Lambda(lambda t: t + 1.0)(inputs))
    clone = tf.keras.models.clone_model(model)
    np.testing.assert_allclose(clone.predict(np.array([[1.0, 2.0]], np.float32)), [[2.0, 3.0]])


def test_merge_errors_print_shapes_as_keras_does():
    # Keras prints input shapes as tuples, "(None, 3, 2)", not TensorShape reprs.
    with pytest.raises(ValueError, match=re.escape(
            "Received: input_shape=[(None, 3, 2), (None, 4, 3)]")):
        L.Concatenate(axis=0)([L.Input((3, 2)), L.Input((4, 3))])
    with pytest.raises(ValueError, match=re.escape("Full input_shape received: [(None, 3)]")):
        L.Add()([L.Input((3,))])
