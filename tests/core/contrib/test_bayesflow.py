"""tf.contrib.bayesflow.monte_carlo: estimates against numpy on the same samples (exact) and
against closed forms (statistical), the score-function gradient against its formula, log-space
stability at extreme values, and bad input."""

import numpy as np
import pytest

import minitf as tf
from tests.core.side_by_side import run

mc = tf.contrib.bayesflow.monte_carlo
RNG = np.random.RandomState(11)


def _normal_log_pdf(x, loc, scale):
    return -0.5 * ((x - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


def test_expectation_is_the_sample_mean():
    x = RNG.randn(50, 3)
    with tf.Graph().as_default():
        got = run([mc.expectation(lambda s: s ** 2, x),
                   mc.expectation(lambda s: s, x, axis=None),
                   mc.expectation(lambda s: s, x, axis=1, keep_dims=True)])
    np.testing.assert_allclose(got[0], (x ** 2).mean(0))
    np.testing.assert_allclose(got[1], x.mean())
    np.testing.assert_allclose(got[2], x.mean(1, keepdims=True))


def test_expectation_of_normal_moments_matches_closed_form():
    with tf.Graph().as_default():
        p = tf.contrib.distributions.Normal(loc=np.float64(1.5), scale=np.float64(2.0))
        x = p.sample(200000, seed=3)
        second = run(mc.expectation(lambda s: s ** 2, x))
    np.testing.assert_allclose(second, 1.5 ** 2 + 2.0 ** 2, rtol=0.02)


def test_reparameterized_and_score_function_gradients():
    with tf.Graph().as_default():
        loc = tf.constant(0.5, tf.float64)
        scale = tf.constant(1.5, tf.float64)
        p = tf.contrib.distributions.Normal(loc=loc, scale=scale)
        x = p.sample(4000, seed=7)
        f = lambda s: s ** 2  # noqa: E731
        rep = mc.expectation(f, x)
        score = mc.expectation(f, x, log_prob=p.log_prob, use_reparametrization=False)
        g_rep = tf.gradients(rep, loc)[0]
        g_score = tf.gradients(score, loc)[0]
        xs, v_rep, v_score, gr, gs = run([x, rep, score, g_rep, g_score])
    np.testing.assert_allclose(v_rep, v_score)  # the value does not depend on the trick
    np.testing.assert_allclose(gr, np.mean(2 * xs))  # d/dloc of mean((loc + s*eps)^2)
    # score function: mean(f(x) * d/dloc log p(x)) with x held fixed
    np.testing.assert_allclose(gs, np.mean(xs ** 2 * (xs - 0.5) / 1.5 ** 2), rtol=1e-10)
    assert abs(gs - 2 * 0.5) < 0.3 and abs(gr - 2 * 0.5) < 0.1  # both estimate 2*loc


def test_importance_sampler_is_the_weighted_mean_and_matches_closed_form():
    z = 0.5 + 2.0 * RNG.randn(100000)
    log_p = lambda s: -0.5 * s ** 2 - 0.5 * np.log(2 * np.pi)  # noqa: E731  N(0, 1)
    f = lambda s: s ** 3 - s + 1.0  # noqa: E731  changes sign; E_p[f] = 1
    with tf.Graph().as_default():
        q = tf.contrib.distributions.Normal(loc=np.float64(0.5), scale=np.float64(2.0))
        est = mc.expectation_importance_sampler(f, log_p, q, z=z)
        got = run(est)
    w = np.exp(_normal_log_pdf(z, 0, 1) - _normal_log_pdf(z, 0.5, 2.0))
    np.testing.assert_allclose(got, np.mean(f(z) * w), rtol=1e-9)
    assert abs(got - 1.0) < 0.1


def test_importance_sampler_draws_n_samples_from_q():
    with tf.Graph().as_default():
        q = tf.contrib.distributions.Normal(loc=np.float64(0.0), scale=np.float64(1.5))
        est = mc.expectation_importance_sampler(
            lambda s: s ** 2, lambda s: -0.5 * s ** 2 - 0.5 * np.log(2 * np.pi), q, n=200000,
            seed=5)
        # as in TF 1.15: the log-space means in the scope, the final difference outside it
        g = tf.get_default_graph()
        assert g.get_operation_by_name("expectation_importance_sampler/StopGradient")
        assert est.op.name == "sub"
        assert abs(run(est) - 1.0) < 0.03


def test_logspace_sampler_is_stable_at_extreme_values():
    z = RNG.randn(1000)
    shift = -2000.0  # exp(shift) underflows: the max-subtraction must keep it
    log_f = lambda s: s + shift  # noqa: E731
    log_p = lambda s: -0.5 * s ** 2 - 0.5 * np.log(2 * np.pi)  # noqa: E731
    with tf.Graph().as_default():
        q = tf.contrib.distributions.Normal(loc=np.float64(0.0), scale=np.float64(1.0))
        got = run(mc.expectation_importance_sampler_logspace(log_f, log_p, q, z=z))
    log_vals = z + shift + _normal_log_pdf(z, 0, 1) - _normal_log_pdf(z, 0, 1)
    m = log_vals.max()
    np.testing.assert_allclose(got, m + np.log(np.mean(np.exp(log_vals - m))), rtol=1e-12)
    # E_{N(0,1)}[e^Z] = e^{1/2}: the estimate is near shift + 1/2
    assert abs(got - (shift + 0.5)) < 0.2


def test_batched_importance_sampler_reduces_axis_zero_only():
    z = RNG.randn(500, 2)
    with tf.Graph().as_default():
        q = tf.contrib.distributions.Normal(loc=np.zeros(2), scale=np.ones(2))
        est = mc.expectation_importance_sampler(lambda s: s, q.log_prob, q, z=z)
        got = run(est)
    np.testing.assert_allclose(got, z.mean(0), atol=1e-10)  # p == q: the plain mean


def test_bad_inputs():
    with tf.Graph().as_default():
        q = tf.contrib.distributions.Normal(loc=0.0, scale=1.0)
        with pytest.raises(ValueError, match='exactly one of arguments "n" and "z"'):
            mc.expectation_importance_sampler(lambda s: s, q.log_prob, q)
        with pytest.raises(ValueError, match='exactly one of arguments "n" and "z"'):
            mc.expectation_importance_sampler_logspace(lambda s: s, q.log_prob, q, z=[1.0],
                                                       n=3)
        with pytest.raises(ValueError, match="`f` must be a callable"):
            mc.expectation(3.0, [1.0])
        with pytest.raises(ValueError, match="`log_prob` must be a callable"):
            mc.expectation(lambda s: s, [1.0], use_reparametrization=False)
