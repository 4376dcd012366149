"""tf.clip_by_value / clip_by_norm / clip_by_global_norm / global_norm against numpy."""

import numpy as np
import pytest

import minitf as tf

X = np.array([[3.0, -4.0], [1.0, 2.0]], np.float32)


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_clip_by_value():
    np.testing.assert_allclose(run(tf.clip_by_value(X, -1.0, 2.5)), np.clip(X, -1.0, 2.5))


@pytest.mark.parametrize("axes", [None, [1], [0]])
def test_clip_by_norm(axes):
    clip = 2.0
    got = run(tf.clip_by_norm(tf.constant(X), clip, axes=axes))
    norm = np.sqrt((X.astype(np.float64) ** 2).sum(axis=None if axes is None else tuple(axes),
                                                      keepdims=True))
    np.testing.assert_allclose(got, X * clip / np.maximum(norm, clip), rtol=1e-6)


def test_clip_by_norm_of_zeros_has_finite_gradient():
    x = tf.placeholder(tf.float32, [3])
    (g,) = tf.gradients(tf.reduce_sum(tf.clip_by_norm(x, 1.0)), [x])
    out = run(g, {x: np.zeros(3)})
    assert np.all(np.isfinite(out))


def test_global_norm_and_clip_by_global_norm():
    a = np.array([3.0, 4.0], np.float32)
    b = np.array([[12.0]], np.float32)
    norm = np.sqrt(9 + 16 + 144)  # 13
    assert run(tf.global_norm([tf.constant(a), None, tf.constant(b)])) == pytest.approx(norm)
    clipped, got_norm = tf.clip_by_global_norm([tf.constant(a), None, tf.constant(b)], 6.5)
    assert clipped[1] is None
    ca, cb, n = run([clipped[0], clipped[2], got_norm])
    assert n == pytest.approx(norm)
    np.testing.assert_allclose(ca, a * 6.5 / norm, rtol=1e-6)
    np.testing.assert_allclose(cb, b * 6.5 / norm, rtol=1e-6)
    # Below the threshold nothing changes.
    small, _ = tf.clip_by_global_norm([tf.constant(a)], 100.0)
    np.testing.assert_allclose(run(small[0]), a, rtol=1e-6)
    assert clipped[0].op.name.startswith("clip_by_global_norm/")


def test_clip_gradients_in_a_training_step():
    w = tf.Variable([3.0, 4.0])
    loss = tf.reduce_sum(w * w)  # gradient 2w = [6, 8], norm 10
    opt = tf.train.GradientDescentOptimizer(1.0)
    grads, variables = zip(*opt.compute_gradients(loss))
    clipped, _ = tf.clip_by_global_norm(list(grads), 1.0)
    train = opt.apply_gradients(zip(clipped, variables))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [3.0 - 0.6, 4.0 - 0.8], rtol=1e-6)
