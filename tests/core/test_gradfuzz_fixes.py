"""Gradients a differential fuzz against TF 1.x found failing (references: hand-derived)."""

import numpy as np
import pytest

import minitf as tf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_and_log_sigmoid_gradients_of_a_scalar(dtype):
    sigmoid = 1 / (1 + np.exp(-0.5))
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(dtype, [])
        d_softplus, d_log_sigmoid = sess.run(
            [tf.gradients(tf.nn.softplus(x), x)[0], tf.gradients(tf.math.log_sigmoid(x), x)[0]],
            {x: 0.5})
    # softplus' = sigmoid(x); log_sigmoid' = 1 - sigmoid(x)
    assert np.asarray(d_softplus).dtype == dtype
    np.testing.assert_allclose([d_softplus, d_log_sigmoid], [sigmoid, 1 - sigmoid], rtol=1e-6)


def test_concat_gradient_with_a_piece_of_unknown_rank():
    with tf.Graph().as_default(), tf.Session() as sess:
        a = tf.placeholder(tf.float32, [None, 3])
        b = tf.placeholder(tf.float32)  # unknown rank
        y = tf.concat([a, b], axis=0)
        ga, gb = sess.run(tf.gradients(tf.reduce_sum(y * y), [a, b]),
                          {a: np.ones((1, 3)), b: np.full((2, 3), 2.0)})
    np.testing.assert_array_equal(ga, np.full((1, 3), 2.0))  # d(sum y^2) = 2y
    np.testing.assert_array_equal(gb, np.full((2, 3), 4.0))


def test_second_derivative_through_split_of_unknown_rank():
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32)
        y = tf.split(x, [1, 3], axis=0)[1]
        g = tf.gradients(tf.reduce_sum(tf.sin(y)), x)[0]
        gg = tf.gradients(tf.reduce_sum(g * g), x)[0]
        v = np.linspace(0.1, 0.4, 4).astype(np.float32)
        got = sess.run(gg, {x: v})
    # g = [0, cos(v1..3)]; d(sum g^2)/dx = [0, -2 cos(v) sin(v)]
    want = np.concatenate([[0.0], -2 * np.cos(v[1:]) * np.sin(v[1:])])
    np.testing.assert_allclose(got, want, rtol=1e-5)
