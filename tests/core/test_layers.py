"""tf.layers against numpy: TF1's variable and op names, shapes, values, reuse."""

import numpy as np
import pytest

import minitf as tf

RNG = np.random.default_rng(5)


def test_dense_names_values_and_unique_scopes():
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    h = tf.layers.dense(x, 8, activation=tf.nn.relu)
    y = tf.layers.dense(h, 3, name="logits")
    z = tf.layers.dense(x, 2, use_bias=False)
    assert [v.name for v in tf.trainable_variables()] == [
        "dense/kernel:0", "dense/bias:0", "logits/kernel:0", "logits/bias:0", "dense_1/kernel:0"]
    assert (h.op.name, y.op.name, z.op.name) == ("dense/Relu", "logits/BiasAdd", "dense_1/MatMul")
    assert h.shape.as_list() == [None, 8] and y.shape.as_list() == [None, 3]
    xv = RNG.standard_normal((5, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w1, b1, w2, b2, w3 = sess.run(tf.trainable_variables())
        got_y, got_z = sess.run([y, z], {x: xv})
    assert not b1.any() and np.abs(w1).max() <= np.sqrt(6 / (4 + 8))  # zeros, glorot uniform
    np.testing.assert_allclose(got_y, np.maximum(xv @ w1 + b1, 0) @ w2 + b2, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(got_z, xv @ w3, rtol=1e-5, atol=1e-6)


def test_dense_over_the_last_axis_of_a_rank_3_input():
    x = tf.placeholder(tf.float32, [None, 5, 4])
    y = tf.layers.dense(x, 6)
    assert y.shape.as_list() == [None, 5, 6]
    xv = RNG.standard_normal((2, 5, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w, b = sess.run(tf.trainable_variables())
        np.testing.assert_allclose(sess.run(y, {x: xv}), xv @ w + b, rtol=1e-5, atol=1e-6)


def test_dense_reuse_shares_and_refuses_duplicates():
    x = tf.placeholder(tf.float32, [None, 4])
    a = tf.layers.dense(x, 3, name="shared")
    b = tf.layers.dense(x, 3, name="shared", reuse=True)
    assert len(tf.trainable_variables()) == 2
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        xv = np.ones((1, 4), np.float32)
        np.testing.assert_array_equal(*sess.run([a, b], {x: xv}))
    with pytest.raises(ValueError, match="already exists"):
        tf.layers.dense(x, 3, name="shared")
    with pytest.raises(ValueError, match="last dimension of the inputs to `Dense`"):
        tf.layers.dense(tf.placeholder(tf.float32, [None, None]), 3)


def test_conv_pooling_flatten_dropout():
    img = tf.placeholder(tf.float32, [None, 8, 8, 2])
    c = tf.layers.conv2d(img, 4, 3, padding="same", activation=tf.nn.relu)
    v = tf.layers.conv2d(img, 3, (3, 2), strides=2)  # valid padding
    p = tf.layers.max_pooling2d(c, 2, 2)
    a = tf.layers.average_pooling2d(c, 2, 2)
    f = tf.layers.flatten(p)
    training = tf.placeholder_with_default(False, [])
    d = tf.layers.dropout(f, 0.5, training=training, seed=1)
    assert (c.op.name, p.op.name, a.op.name, f.op.name) == (
        "conv2d/Relu", "max_pooling2d/MaxPool", "average_pooling2d/AvgPool", "flatten/Reshape")
    assert [t.shape.as_list() for t in (c, v, p, a, f, d)] == [
        [None, 8, 8, 4], [None, 3, 4, 3], [None, 4, 4, 4], [None, 4, 4, 4], [None, 64],
        [None, 64]]
    iv = RNG.standard_normal((2, 8, 8, 2)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        kernel, bias = sess.run(["conv2d/kernel:0", "conv2d/bias:0"])
        want_c = sess.run(tf.nn.relu(tf.nn.bias_add(
            tf.nn.conv2d(img, kernel, [1, 1, 1, 1], "SAME"), bias)), {img: iv})
        got_c, got_p, got_f, kept = sess.run([c, p, f, d], {img: iv})
        dropped = sess.run(d, {img: iv, training: True})
    np.testing.assert_allclose(got_c, want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_p, want_c.reshape(2, 4, 2, 4, 2, 4).max(axis=(2, 4)))
    np.testing.assert_array_equal(got_f, got_p.reshape(2, -1))
    np.testing.assert_array_equal(kept, got_f)  # not training: the identity
    # training: each value dropped (0) or scaled by 1 / (1 - rate)
    assert np.all((dropped == 0) | np.isclose(dropped, got_f * 2))
    assert 0 < np.count_nonzero(dropped == 0) < dropped.size
    assert tf.layers.dropout(f, 0.5, training=False).op.type == "Identity"
