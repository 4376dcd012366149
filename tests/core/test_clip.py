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


def test_global_norm_and_clip_names_are_tensorflows():
    # TF 1.x's: the norm in a scope of its own ("global_norm/global_norm", or "<name>/
    # global_norm"), each clipped tensor "<scope>_<i>" inside the clip's scope.
    a, b = tf.constant([3.0, 4.0]), tf.constant([[12.0]])
    clipped, norm = tf.clip_by_global_norm([a, b], 1.0)
    assert [t.name for t in clipped] == ["clip_by_global_norm/clip_by_global_norm/_0:0",
                                         "clip_by_global_norm/clip_by_global_norm/_1:0"]
    assert norm.name == "global_norm/global_norm:0"
    assert tf.global_norm([a, b]).name == "global_norm_1/global_norm:0"
    named, named_norm = tf.clip_by_global_norm([a, None], 1.0, name="clip")
    assert (named[0].name, named[1], named_norm.name) == ("clip_1/clip_1/_0:0", None,
                                                          "clip/global_norm:0")
    with tf.Session() as sess:
        got, got_norm = sess.run([clipped, norm])
    np.testing.assert_allclose(got_norm, 13.0)
    np.testing.assert_allclose(got[0], np.array([3.0, 4.0]) / 13.0, rtol=1e-6)
    np.testing.assert_allclose(got[1], [[12.0 / 13.0]], rtol=1e-6)
