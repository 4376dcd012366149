"""``tf.contrib.bayesflow.monte_carlo`` (TF 1.15): Monte Carlo expectations, plain and by
importance sampling, composed from minitf's ops as TF 1.15 composed them.

Importance sampling works in log space with the per-batch maximum subtracted (under
stop_gradient), so ``f(z) p(z) / q(z)`` can span many orders of magnitude without overflow."""

from __future__ import annotations

import minitf as tf

from .framework_deprecation import deprecated

__all__ = ["expectation", "expectation_importance_sampler",
           "expectation_importance_sampler_logspace"]


def expectation_importance_sampler(f, log_p, sampling_dist_q, z=None, n=None, seed=None,
                                   name="expectation_importance_sampler"):
    """``E_p[f(Z)]`` estimated as the mean of ``f(z) p(z) / q(z)`` over samples ``z ~ q``
    (``z`` given, or ``n`` drawn from ``sampling_dist_q``). ``f`` may change sign: its positive
    and negative parts are integrated separately, each shifted by 1 to stay positive."""
    q = sampling_dist_q
    with tf.name_scope(name, values=[z, n]):
        z = _get_samples(q, z, n, seed)
        log_p_z = log_p(z)
        q_log_prob_z = q.log_prob(z)

        def _positive_part(log_f_z):
            return _logspace_mean(log_f_z + log_p_z - q_log_prob_z)

        # E[f] = E[f+ + 1] - E[f- + 1]: the +1 keeps the logs finite and cancels exactly.
        f_z = f(z)
        log_f_plus_integral = _positive_part(tf.log(tf.nn.relu(f_z) + 1.0))
        log_f_minus_integral = _positive_part(tf.log(tf.nn.relu(-1.0 * f_z) + 1.0))
    return tf.exp(log_f_plus_integral) - tf.exp(log_f_minus_integral)


def expectation_importance_sampler_logspace(log_f, log_p, sampling_dist_q, z=None, n=None,
                                            seed=None,
                                            name="expectation_importance_sampler_logspace"):
    """``Log E_p[exp(log_f(Z))]`` by importance sampling from ``sampling_dist_q``, computed in
    log space throughout."""
    q = sampling_dist_q
    with tf.name_scope(name, values=[z, n]):
        z = _get_samples(q, z, n, seed)
        return _logspace_mean(log_f(z) + log_p(z) - q.log_prob(z))


def _logspace_mean(log_values):
    """``Log Mean[exp(log_values)]`` over axis 0, centred on the (constant) maximum."""
    center = tf.stop_gradient(_sample_max(log_values))
    return tf.log(_sample_mean(tf.exp(log_values - center))) + center


@deprecated("2018-10-01", "The tf.contrib.bayesflow library has moved to TensorFlow "
            "Probability (https://github.com/tensorflow/probability). Use "
            "`tfp.monte_carlo.expectation` instead.")
def expectation(f, samples, log_prob=None, use_reparametrization=True, axis=0,
                keep_dims=False, name=None):
    """The mean of ``f(samples)`` over ``axis`` (all axes if None): a Monte Carlo estimate of
    ``E_p[f(X)]``. With ``use_reparametrization=False`` the value is the same but the gradient
    is the score-function one, ``E[grad f + f grad log_prob]``, for samples that do not carry
    gradients (non-reparameterized distributions)."""
    with tf.name_scope(name, "expectation", [samples]):
        if not callable(f):
            raise ValueError("`f` must be a callable function.")
        if use_reparametrization:
            return tf.reduce_mean(f(samples), axis=axis, keepdims=keep_dims)
        if not callable(log_prob):
            raise ValueError("`log_prob` must be a callable function.")
        stop = tf.stop_gradient
        x = stop(samples)
        logpx = log_prob(x)
        fx = f(x)  # once, in case f has side effects
        # logpx - stop(logpx) is exactly 0 but carries grad(logpx): the score-function term.
        fx += stop(fx) * (logpx - stop(logpx))
        return tf.reduce_mean(fx, axis=axis, keepdims=keep_dims)


def _sample_mean(values):
    return tf.reduce_mean(values, axis=[0])


def _sample_max(values):
    return tf.reduce_max(values, axis=[0])


def _get_samples(dist, z, n, seed):
    with tf.name_scope("get_samples", values=[z, n]):
        if (n is None) == (z is None):
            raise ValueError(f'Must specify exactly one of arguments "n" and "z".  Found: '
                             f"n = {n}, z = {z}")
        if n is not None:
            return dist.sample(n, seed=seed)
        return tf.convert_to_tensor(z, name="z")
