"""tf.contrib.sparsemax against numpy: sparsemax as the Euclidean projection onto the simplex
(found by bisection on tau, not the paper's sort), its Jacobian diag(s) - s s^T / |S|, the
loss by the paper's closed form and its gradient sparsemax(z) - q; inf/nan rows; bad input."""

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import run

RNG = np.random.RandomState(3)


def _project(z):
    """argmin_p ||p - z|| over the simplex: p = max(z - tau, 0), sum(p) = 1, tau by bisection."""
    out = np.empty_like(z, dtype=np.float64)
    for i, row in enumerate(np.asarray(z, np.float64)):
        lo, hi = row.min() - 1.0, row.max()
        for _ in range(200):
            tau = (lo + hi) / 2
            if np.maximum(row - tau, 0).sum() > 1:
                lo = tau
            else:
                hi = tau
        out[i] = np.maximum(row - (lo + hi) / 2, 0)
    return out


def _paper_loss(z, q):
    """Martins & Astudillo eq. (17): -q.z + 1/2 sum_{j in S}(z_j^2 - tau^2) + 1/2 ||q||^2."""
    out = []
    for row, qr in zip(np.asarray(z, np.float64), np.asarray(q, np.float64)):
        p = _project(row[None])[0]
        support = p > 0
        tau = (row[support] - p[support])[0]
        out.append(-qr @ row + 0.5 * np.sum(row[support] ** 2 - tau ** 2) + 0.5 * qr @ qr)
    return np.array(out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparsemax_is_the_simplex_projection(dtype):
    z = (RNG.randn(6, 5) * 2).astype(dtype)
    got = run(tf.contrib.sparsemax.sparsemax(z))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, _project(z), atol=1e-5)
    np.testing.assert_allclose(got.sum(axis=1), 1, rtol=1e-5)
    assert (got == 0).any()  # sparse, unlike softmax


def test_sparsemax_hand_values_and_names():
    z = tf.constant([[1.0, 0.0, -5.0], [0.5, 0.5, 0.5], [3.0, 0.0, 0.0]])
    p = tf.contrib.sparsemax.sparsemax(z, name="sm")
    assert p.op.name.startswith("sm/")
    # row 0: tau = 0 -> [1, 0, 0]; row 1: uniform; row 2: one-hot
    np.testing.assert_allclose(run(p), [[1, 0, 0], [1 / 3] * 3, [1, 0, 0]], atol=1e-6)


def test_sparsemax_shift_invariance_and_dynamic_shape():
    z = RNG.randn(4, 7).astype(np.float32)
    ph = tf.placeholder(tf.float32, [None, None])
    p = tf.contrib.sparsemax.sparsemax(ph)
    with tf.Session() as sess:
        a = sess.run(p, {ph: z})
        b = sess.run(p, {ph: z + 10.0})
    np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(a, _project(z), atol=1e-5)


def test_sparsemax_gradient_is_the_projection_jacobian():
    z = (RNG.randn(3, 6) * 1.5).astype(np.float64)
    w = RNG.randn(3, 6)
    zt = tf.constant(z)
    p = tf.contrib.sparsemax.sparsemax(zt)
    (g,) = tf.gradients(tf.reduce_sum(p * w), zt)
    got = run(g)
    s = (_project(z) > 0).astype(np.float64)
    want = np.stack([(np.diag(si) - np.outer(si, si) / si.sum()) @ wi for si, wi in zip(s, w)])
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_sparsemax_inf_and_nan_rows():
    inf, nan = np.inf, np.nan
    z = np.array([[-inf, 0.0, 1.0], [inf, 0.0, 0.0], [nan, 0.0, 0.0], [-inf, -inf, -inf]],
                 np.float32)
    got = run(tf.contrib.sparsemax.sparsemax(z))
    np.testing.assert_allclose(got[0], [0, 0, 1])
    assert np.isnan(got[1:]).all()


def test_sparsemax_loss_matches_the_paper():
    z = (RNG.randn(5, 4) * 2).astype(np.float64)
    q = np.eye(4)[RNG.randint(0, 4, size=5)]
    zt = tf.constant(z)
    loss = tf.contrib.sparsemax.sparsemax_loss(zt, tf.contrib.sparsemax.sparsemax(zt), q)
    np.testing.assert_allclose(run(loss), _paper_loss(z, q), atol=1e-10)
    assert (run(loss) >= -1e-12).all()


def test_sparsemax_loss_gradient_is_sparsemax_minus_labels():
    z = (RNG.randn(4, 5) * 2).astype(np.float64)
    q = RNG.dirichlet(np.ones(5), size=4)
    zt = tf.constant(z)
    loss = tf.contrib.sparsemax.sparsemax_loss(zt, tf.contrib.sparsemax.sparsemax(zt), q)
    (g,) = tf.gradients(tf.reduce_sum(loss), zt)
    np.testing.assert_allclose(run(g), _project(z) - q, atol=1e-10)


def test_sparsemax_loss_minus_inf_logit_with_zero_label_costs_nothing():
    z = np.array([[-np.inf, 1.0, 0.0]], np.float32)
    q = np.array([[0.0, 1.0, 0.0]], np.float32)
    zt = tf.constant(z)
    loss = run(tf.contrib.sparsemax.sparsemax_loss(zt, tf.contrib.sparsemax.sparsemax(zt), q))
    # support {1}: p = [0, 1, 0] equals q, so the loss is 0
    np.testing.assert_allclose(loss, [0.0], atol=1e-6)


def test_sparsemax_trains_a_classifier():
    """Gradient descent on the sparsemax loss separates two blobs."""
    x = np.concatenate([RNG.randn(20, 2) + 2, RNG.randn(20, 2) - 2]).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[[0] * 20 + [1] * 20]
    w = tf.Variable(tf.zeros([2, 2]))
    logits = tf.matmul(x, w)
    sm = tf.contrib.sparsemax
    loss = tf.reduce_mean(sm.sparsemax_loss(logits, sm.sparsemax(logits), y))
    step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss)
        for _ in range(50):
            sess.run(step)
        last, pred = sess.run([loss, sm.sparsemax(logits)])
    assert last < first / 5
    assert (pred.argmax(1) == y.argmax(1)).mean() > 0.95


def test_bad_inputs():
    sm = tf.contrib.sparsemax
    with pytest.raises(ValueError, match="rank 2"):
        sm.sparsemax(tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="float"):
        sm.sparsemax(tf.constant([[1, 2]]))
    z = tf.constant([[1.0, 2.0]])
    with pytest.raises(TypeError, match="must match"):
        sm.sparsemax_loss(z, z, tf.constant([[1.0, 0.0]], tf.float64))
    with pytest.raises(ValueError, match="rank 2"):
        sm.sparsemax_loss(z, z, tf.constant([1.0, 0.0]))
