"""tf.contrib.factorization's GmmAlgorithm / gmm: initial covariances, the E step's
log-likelihoods, memberships and assignments, and EM iterations (full and diagonal
covariances, every parameter or some) against numpy written from the EM equations; TF1's
variables; the errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import factorization as fz

R = np.random.default_rng(99)
F = np.float32
MEANS = np.array([[0, 0, 0], [6, 6, 0], [0, 6, 6]], F)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _data():
    labels = np.repeat([0, 1, 2], [30, 20, 10])
    return (MEANS[labels] + R.normal(size=(60, 3)) * [1.0, 0.5, 1.5]).astype(F)


def _logsumexp(a, axis):
    m = a.max(axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis, keepdims=True))).squeeze(axis)


class NumpyGmm:
    """EM for a Gaussian mixture with TF's regularizers: covariances get 1e-3 I when updated
    and again when evaluated; MEPS in the M step's divisions."""

    def __init__(self, x, means, covariance, params="wmc"):
        self.x, self.cov_type, self.params = x.astype(np.float64), covariance, params
        k, d = means.shape
        self.means = means.astype(np.float64)
        centered = self.x - self.x.mean(0)
        full = centered.T @ centered / (len(x) - 1) + 1e-3 * np.eye(d)
        self.covs = np.tile(full if covariance == fz.FULL_COVARIANCE else np.diag(full),
                            (k, 1, 1) if covariance == fz.FULL_COVARIANCE else (k, 1))
        self.alphas = np.full(k, 1.0 / k)

    def log_probs(self):
        n, d = self.x.shape
        out = []
        for mu, cov in zip(self.means, self.covs):
            diff = self.x - mu
            if self.cov_type == fz.FULL_COVARIANCE:
                s = cov + 1e-3 * np.eye(d)
                maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(s), diff)
                logdet = np.linalg.slogdet(s)[1]
            else:
                maha = (diff ** 2 / (cov + 1e-3)).sum(1)
                logdet = np.log(cov + 1e-3).sum()
            out.append(-0.5 * (maha + d * np.log(2 * np.pi) + logdet))
        return np.stack(out, 1) + np.log(self.alphas)

    def step(self):
        probs = self.log_probs()
        w = np.exp(probs - _logsumexp(probs, 1)[:, None])
        nk = w.sum(0)
        if "w" in self.params:
            self.alphas = nk / (nk.sum() + fz.MEPS)
        if "m" in self.params:
            self.means = (w.T @ self.x) / (nk[:, None] + fz.MEPS)
        if "c" in self.params:
            d = self.x.shape[1]
            new = []
            for c in range(len(nk)):
                b = (self.x.T * w[:, c]) @ self.x / (nk[c] + fz.MEPS)
                cov = b - np.outer(self.means[c], self.means[c]) + 1e-3 * np.eye(d)
                new.append(cov if self.cov_type == fz.FULL_COVARIANCE else np.diag(cov))
            self.covs = np.array(new)


def _var(name):
    return tf.get_default_graph().get_tensor_by_name(name + ":0")


@pytest.mark.parametrize("covariance", [fz.FULL_COVARIANCE, fz.DIAG_COVARIANCE])
@pytest.mark.parametrize("params", ["wmc", "mc", "w"])
def test_em_iterations_match_numpy(covariance, params):
    x = _data()
    start = MEANS + R.normal(size=MEANS.shape).astype(F)
    loss, scores, assignments, train_op, init_op, initialized = fz.gmm(
        tf.constant(x), start, 3, random_seed=0, covariance_type=covariance, params=params)
    assert {v.op.name for v in tf.global_variables()} == {"clusters", "clusters_covs",
                                                          "alphas", "initialized"}
    ref = NumpyGmm(x, start, covariance, params)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert not sess.run(initialized)
        sess.run(init_op)
        assert sess.run(initialized)
        np.testing.assert_allclose(sess.run(_var("clusters")), start[:, None, :])
        np.testing.assert_allclose(sess.run(_var("clusters_covs")), ref.covs, rtol=1e-4)
        for _ in range(3):
            probs = ref.log_probs()
            got_loss, got_scores, got_assign = sess.run([loss, scores, assignments[0][0]])
            np.testing.assert_allclose(got_scores[:, 0], _logsumexp(probs, 1), rtol=1e-4,
                                       atol=1e-4)
            np.testing.assert_allclose(got_loss, _logsumexp(_logsumexp(probs, 1), 0),
                                       rtol=1e-4)
            np.testing.assert_array_equal(got_assign, probs.argmax(1))
            sess.run(train_op)
            ref.step()
            np.testing.assert_allclose(sess.run(_var("alphas")), ref.alphas, rtol=1e-4)
            np.testing.assert_allclose(sess.run(_var("clusters"))[:, 0], ref.means, rtol=1e-4,
                                       atol=1e-4)
            np.testing.assert_allclose(sess.run(_var("clusters_covs")), ref.covs, rtol=1e-3,
                                       atol=1e-4)
        sess.run(init_op)  # initializes once: a second run keeps the trained values
        np.testing.assert_allclose(sess.run(_var("clusters"))[:, 0], ref.means, rtol=1e-4,
                                   atol=1e-4)


def test_random_initial_means_are_rows_of_the_data():
    x = _data()
    _, _, _, _, init_op, _ = fz.gmm(tf.constant(x), "random", 3, random_seed=4)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(init_op)
        means = sess.run(_var("clusters"))[:, 0]
    assert means.shape == (3, 3)
    assert all(np.any(np.all(x == m, axis=1)) for m in means)


def test_gmm_errors():
    x = tf.constant(_data())
    with pytest.raises(ValueError, match="Invalid covariance type: 'tied'"):
        fz.gmm(x, "random", 2, 0, covariance_type="tied")
    with pytest.raises(ValueError, match="Unsupported initial_clusters 'kmeans'"):
        fz.gmm(x, "kmeans", 2, 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="x <= y did not hold"):
        fz.gmm(tf.constant(_data()[:2]), "random", 3, 0)  # more classes than points
    points = tf.placeholder(tf.float32, [None, 3])
    _, _, _, _, init_op, _ = fz.gmm(points, "random", 3, 0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match="x <= y did not hold"):
            sess.run(init_op, {points: _data()[:2]})
