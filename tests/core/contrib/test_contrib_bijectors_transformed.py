"""TransformedDistribution (tf.contrib.distributions, TF 1.15) against closed forms: Exp of a
Normal is the log-normal (log_prob, prob, cdf, quantile), an affine map of a Normal is a
Normal / multivariate Normal (log_prob, entropy, gradients), |Normal| the half-normal; the
batch_shape / event_shape overrides (shapes, samples, the rotation over a batched base); the
sample -> log_prob cache; ConditionalTransformedDistribution's kwargs; errors."""

import math

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import distributions_bijectors as tfb
from minitf.contrib.distributions_bijectors_transformed import (
    ConditionalTransformedDistribution, TransformedDistribution)

R = np.random.default_rng(13)
ERF = np.vectorize(math.erf)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(4)
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _normal_logpdf(x, loc=0.0, scale=1.0):
    z = (x - loc) / scale
    return -0.5 * z * z - 0.5 * math.log(2 * math.pi) - np.log(scale)


def test_exp_of_normal_is_lognormal():
    mu, sigma = 0.3, 0.8
    dist = TransformedDistribution(tf.distributions.Normal(loc=np.float64(mu),
                                                           scale=np.float64(sigma)),
                                   tfb.Exp(), name="LogNormal")
    y = np.array([0.2, 1.0, 3.5])
    got = _run([dist.log_prob(y), dist.prob(y), dist.cdf(y), dist.log_cdf(y),
                dist.survival_function(y), dist.quantile([0.1, 0.5, 0.9])])
    log_pdf = -np.log(y * sigma * np.sqrt(2 * np.pi)) - (np.log(y) - mu) ** 2 / (2 * sigma ** 2)
    cdf = 0.5 * (1 + ERF((np.log(y) - mu) / (sigma * np.sqrt(2))))
    np.testing.assert_allclose(got[0], log_pdf, rtol=1e-10)
    np.testing.assert_allclose(got[1], np.exp(log_pdf), rtol=1e-10)
    np.testing.assert_allclose(got[2], cdf, rtol=1e-7)
    np.testing.assert_allclose(got[3], np.log(cdf), rtol=1e-7)
    np.testing.assert_allclose(got[4], 1 - cdf, rtol=1e-7)
    np.testing.assert_allclose(got[5], np.exp(mu + sigma * np.array([-1.2815515655446004, 0.0,
                                                                     1.2815515655446004])),
                               rtol=1e-7)
    assert dist.name == "LogNormal/" and dist.batch_shape == [] and dist.event_shape == []
    assert dist.dtype == tf.float64 and dist.distribution.dtype == tf.float64


def test_default_name_and_identity_bijector():
    normal = tf.distributions.Normal(0.0, 1.0)
    assert TransformedDistribution(normal, tfb.Exp()).name == "expNormal/"
    same = TransformedDistribution(normal)  # no bijector: the identity
    assert same.bijector.name == "identity"
    x = np.array([-1.0, 0.5], np.float32)
    np.testing.assert_allclose(_run(same.log_prob(x)), _normal_logpdf(x), rtol=1e-6)


def test_affine_scalar_of_normal_is_normal():
    loc, scale = np.array([1.0, -2.0], np.float32), np.array([0.5, 3.0], np.float32)
    shift, mult = tf.constant(loc), tf.constant(scale)
    dist = TransformedDistribution(tf.distributions.Normal(np.zeros(2, np.float32), 1.0),
                                   tfb.AffineScalar(shift=shift, scale=mult))
    ref = tf.distributions.Normal(loc, scale)
    y = R.normal(size=(4, 2)).astype(np.float32)
    lp, ref_lp = dist.log_prob(y), ref.log_prob(y)
    grads = tf.gradients(tf.reduce_sum(lp), [shift, mult])
    got = _run([lp, ref_lp, dist.entropy(), ref.entropy(), dist.cdf(y), ref.cdf(y)] + grads)
    np.testing.assert_allclose(got[0], got[1], rtol=1e-5)
    np.testing.assert_allclose(got[0], _normal_logpdf(y, loc, scale), rtol=1e-5)
    np.testing.assert_allclose(got[2], got[3], rtol=1e-6)
    np.testing.assert_allclose(got[4], got[5], rtol=1e-6)
    z = (y - loc) / scale  # d/dloc = z / s, d/ds = (z^2 - 1) / s
    np.testing.assert_allclose(got[6], (z / scale).sum(0), rtol=1e-4)
    np.testing.assert_allclose(got[7], ((z * z - 1) / scale).sum(0), rtol=1e-4)


def test_affine_with_event_shape_is_a_multivariate_normal():
    mean = np.array([[-1.0, 0.0], [0.0, 1.0]])
    chol = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [2.0, 2.0]]])
    mvn = TransformedDistribution(tf.distributions.Normal(np.float64(0.0), np.float64(1.0)),
                                  tfb.Affine(shift=mean, scale_tril=chol),
                                  batch_shape=[2], event_shape=[2])
    assert mvn.batch_shape == [2] and mvn.event_shape == [2]
    x = R.normal(size=(3, 2, 2))
    samples = mvn.sample(4000, seed=7)
    got = _run([mvn.log_prob(x), samples, mvn.entropy(), mvn.batch_shape_tensor(),
                mvn.event_shape_tensor()])
    for b in range(2):
        cov = chol[b] @ chol[b].T
        d = x[:, b] - mean[b]
        want = (-0.5 * np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
                - np.log(2 * np.pi) - 0.5 * np.log(np.linalg.det(cov)))
        np.testing.assert_allclose(got[0][:, b], want, rtol=1e-10)
        np.testing.assert_allclose(got[2][b], np.log(2 * np.pi * np.e)
                                   + 0.5 * np.log(np.linalg.det(cov)), rtol=1e-10)
        np.testing.assert_allclose(np.cov(got[1][:, b].T), cov, atol=0.25)
        np.testing.assert_allclose(got[1][:, b].mean(0), mean[b], atol=0.1)
    assert got[1].shape == (4000, 2, 2)
    np.testing.assert_array_equal(got[3], [2])
    np.testing.assert_array_equal(got[4], [2])


def test_event_override_over_a_batched_base_rotates_the_draws():
    loc = np.array([0.0, 5.0, -5.0], np.float32)
    dist = TransformedDistribution(tf.distributions.Normal(loc, 1.0), tfb.Identity(),
                                   event_shape=[2])
    assert dist.batch_shape == [3] and dist.event_shape == [2]
    x = R.normal(size=(4, 3, 2)).astype(np.float32)
    samples = dist.sample(2000, seed=2)
    got = _run([dist.log_prob(x), samples])
    np.testing.assert_allclose(got[0], _normal_logpdf(x, loc[:, None]).sum(-1), rtol=1e-5)
    assert got[1].shape == (2000, 3, 2)
    np.testing.assert_allclose(got[1].mean(axis=(0, 2)), loc, atol=0.1)  # batch b ~ loc[b]


def test_shape_overrides_of_a_scalar_base():
    dist = TransformedDistribution(tf.distributions.Normal(0.0, 1.0), tfb.Exp(),
                                   batch_shape=[2], event_shape=[3])
    samples = dist.sample([5], seed=1)
    assert samples.shape.as_list() == [5, 2, 3]
    lp = dist.log_prob(samples)
    assert lp.shape.as_list() == [5, 2]
    s, got = _run([samples, lp])
    np.testing.assert_allclose(got, (_normal_logpdf(np.log(s)) - np.log(s)).sum(-1), rtol=1e-5)
    assert np.all(s > 0)
    with pytest.raises(NotImplementedError, match="cdf is not implemented when overriding "
                       "event_shape"):
        dist.cdf(s)


def test_log_prob_of_samples_uses_the_bijector_cache():
    calls = []

    def inverse(y):
        calls.append(y)
        return tf.log(y)

    bij = tfb.Inline(forward_fn=tf.exp, inverse_fn=inverse,
                     inverse_log_det_jacobian_fn=lambda y: -tf.log(y),
                     forward_min_event_ndims=0, name="exp_inline")
    dist = TransformedDistribution(tf.distributions.Normal(0.0, 1.0), bij)
    samples = dist.sample(3, seed=5)
    lp = dist.log_prob(samples)
    assert calls == []  # x came from the cache of the sampled pair
    dist.log_prob(tf.constant([1.0]))
    assert len(calls) == 1
    s, got = _run([samples, lp])
    np.testing.assert_allclose(got, _normal_logpdf(np.log(s)) - np.log(s), rtol=1e-5)


def test_absolute_value_of_normal_is_half_normal():
    dist = TransformedDistribution(tf.distributions.Normal(np.float64(0.0), np.float64(2.0)),
                                   tfb.AbsoluteValue())
    y = np.array([0.5, 1.0, 4.0])
    got = _run([dist.log_prob(y), dist.prob(y)])
    want = np.log(2.0) + _normal_logpdf(y, 0.0, 2.0)
    np.testing.assert_allclose(got[0], want, rtol=1e-10)
    np.testing.assert_allclose(got[1], np.exp(want), rtol=1e-10)
    with pytest.raises(NotImplementedError, match="not injective"):
        dist.cdf(y)


def test_errors_name_what_is_wrong():
    normal = tf.distributions.Normal(0.0, 1.0)
    with pytest.raises(ValueError, match="positive elements: event_shape is"):
        TransformedDistribution(normal, tfb.Exp(), event_shape=[2, 0])
    with pytest.raises(ValueError, match="must be a vector"):
        TransformedDistribution(normal, tfb.Exp(), batch_shape=[[2]])
    batched = tf.distributions.Normal([0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="base distribution not scalar: cannot override its "
                       "batch_shape"):
        TransformedDistribution(batched, tfb.Exp(), batch_shape=[3])
    with pytest.raises(NotImplementedError, match="entropy is not implemented"):
        TransformedDistribution(normal, tfb.Exp()).entropy()
    shape = tf.placeholder(tf.int32, [None])
    checked = TransformedDistribution(normal, tfb.Exp(), event_shape=shape, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="positive elements"):
        _run(checked.event_shape_tensor(), {shape: [2, -1]})
    np.testing.assert_array_equal(_run(checked.event_shape_tensor(), {shape: [2, 3]}), [2, 3])


def test_conditional_transformed_distribution_passes_kwargs():
    class ScaleBy(tfb.ConditionalBijector):
        def __init__(self):
            super().__init__(forward_min_event_ndims=0, name="scale_by")

        def _forward(self, x, s=None):
            return x * s

        def _inverse(self, y, s=None):
            return y / s

        def _inverse_log_det_jacobian(self, y, s=None):
            return -tf.log(tf.abs(s)) * tf.ones_like(y)

    dist = ConditionalTransformedDistribution(tf.distributions.Normal(0.0, 1.0), ScaleBy())
    y = np.array([0.5, -1.0], np.float32)
    lp = dist.log_prob(y, bijector_kwargs={"s": 2.0})
    samples = dist.sample(2000, seed=3, bijector_kwargs={"s": 3.0})
    cdf = dist.cdf(y, bijector_kwargs={"s": 2.0})
    got = _run([lp, samples, cdf])
    np.testing.assert_allclose(got[0], _normal_logpdf(y, 0.0, 2.0), rtol=1e-5)
    assert abs(got[1].std() - 3.0) < 0.2
    np.testing.assert_allclose(got[2], 0.5 * (1 + ERF(y / (2.0 * np.sqrt(2)))), rtol=1e-5)
