"""TF 1.15 contrib's continuous relaxations of discrete distributions (Concrete /
Gumbel-softmax): RelaxedBernoulli, ExpRelaxedOneHotCategorical and RelaxedOneHotCategorical.
TF builds RelaxedBernoulli as Logistic(logits / T, 1 / T) through a Sigmoid bijector and
RelaxedOneHotCategorical as ExpRelaxedOneHotCategorical through Exp; here the change of
variables is written out (the same log_prob, cdf and reparameterized samples)."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..distributions_more import FULLY_REPARAMETERIZED, Distribution, ScalarEventDistribution
from ..distributions_util import get_logits_and_probs, with_dependencies

__all__ = ["ExpRelaxedOneHotCategorical", "RelaxedBernoulli", "RelaxedOneHotCategorical"]


def _uniform_open(shape, dtype, seed):
    """U(0, 1) without 0: tiny is the smallest normal float, so every log stays finite."""
    return tf.random_uniform(shape, minval=np.finfo(dtype.as_numpy_dtype).tiny, maxval=1.0,
                             dtype=dtype, seed=seed)


def _checked_temperature(temperature, dtype, validate_args):
    if isinstance(temperature, tf.Tensor):
        if temperature.dtype.base_dtype != dtype:
            temperature = tf.cast(temperature, dtype)
    else:  # python and numpy values take the logits' dtype directly (no float32 rounding)
        temperature = tf.convert_to_tensor(temperature, name="temperature", dtype=dtype)
    with tf.control_dependencies([tf.assert_positive(temperature)] if validate_args else []):
        return tf.identity(temperature, name="temperature")


class RelaxedBernoulli(ScalarEventDistribution):
    """Y = sigmoid((logits + L) / temperature), L ~ Logistic(0, 1): a reparameterized
    relaxation of Bernoulli(logits) on (0, 1)."""

    def __init__(self, temperature, logits=None, probs=None, validate_args=False,
                 allow_nan_stats=True, name="RelaxedBernoulli"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[logits, probs, temperature]) as name:
            self._logits, self._probs = get_logits_and_probs(logits=logits, probs=probs,
                                                             validate_args=validate_args)
            self._temperature = _checked_temperature(temperature, self._logits.dtype,
                                                     validate_args)
        super().__init__(dtype=self._logits.dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=[self._logits, self._probs, self._temperature],
                         name=name)

    temperature = property(lambda self: self._temperature)
    logits = property(lambda self: self._logits)
    probs = property(lambda self: self._probs)

    def _batch_parents(self):
        return [self._logits, self._temperature]

    def _logistic_z(self, y):
        """The standardized Logistic variable behind ``y``: T logit(y) - logits."""
        return self.temperature * (tf.log(y) - tf.log1p(-y)) - self.logits

    def _sample_n(self, n, seed=None):
        u = _uniform_open(self._draw_shape(n), self.dtype, seed)
        return tf.sigmoid((self.logits + tf.log(u) - tf.log1p(-u)) / self.temperature)

    def _log_prob(self, y):
        z = self._logistic_z(y)
        logistic = -z - 2.0 * tf.nn.softplus(-z) + tf.log(self.temperature)
        return logistic - tf.log(y) - tf.log1p(-y)  # |d logit(y) / dy| = 1 / (y (1 - y))

    def _cdf(self, y):
        return tf.sigmoid(self._logistic_z(y))

    def _log_cdf(self, y):
        return -tf.nn.softplus(-self._logistic_z(y))

    def _survival_function(self, y):
        return tf.sigmoid(-self._logistic_z(y))

    def _log_survival_function(self, y):
        return -tf.nn.softplus(self._logistic_z(y))


class ExpRelaxedOneHotCategorical(Distribution):
    """The log of a RelaxedOneHotCategorical sample: log_softmax((logits + G) / temperature)
    with G standard Gumbel; events are vectors over the last axis of logits."""

    def __init__(self, temperature, logits=None, probs=None, dtype=None, validate_args=False,
                 allow_nan_stats=True, name="ExpRelaxedOneHotCategorical"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[logits, probs, temperature]) as name:
            self._logits, self._probs = get_logits_and_probs(
                name=name, logits=logits, probs=probs, validate_args=validate_args,
                multidimensional=True)
            dtype = self._logits.dtype if dtype is None else tf.as_dtype(dtype)
            self._temperature = _checked_temperature(temperature, dtype, validate_args)
            with tf.name_scope("event_size"):
                self._event_size = tf.shape(self._logits)[-1]
        super().__init__(dtype=dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=[self._logits, self._probs, self._temperature],
                         name=name)

    event_size = property(lambda self: self._event_size, doc="Scalar int32: the classes.")
    temperature = property(lambda self: self._temperature)
    logits = property(lambda self: self._logits)
    probs = property(lambda self: self._probs)

    def _batch_shape_tensor(self):
        return tf.broadcast_dynamic_shape(tf.shape(self._logits)[:-1],
                                          tf.shape(self._temperature))

    def _batch_shape(self):
        return tf.broadcast_static_shape(self._logits.shape.with_rank_at_least(1)[:-1],
                                         self._temperature.shape)

    def _event_shape_tensor(self):
        return tf.shape(self._logits)[-1:]

    def _event_shape(self):
        return self._logits.shape.with_rank_at_least(1)[-1:]

    def _sample_n(self, n, seed=None):
        shape = tf.concat([[n], self.batch_shape_tensor(), self.event_shape_tensor()], 0)
        gumbel = -tf.log(-tf.log(_uniform_open(shape, self.dtype, seed)))
        return tf.nn.log_softmax((self.logits + gumbel) / self.temperature[..., tf.newaxis])

    def _log_prob(self, x):
        x = self._checked_sample(x)
        k = tf.cast(self.event_size, x.dtype)
        temperature = self.temperature[..., tf.newaxis]
        # Density of the log-Concrete: (k-1)! T^(k-1) prod(softmax(logits - T x)).
        log_norm = tf.lgamma(k) + (k - 1.0) * tf.log(self.temperature)
        return log_norm + tf.reduce_sum(tf.nn.log_softmax(self.logits - x * temperature),
                                        axis=-1)

    def _prob(self, x):
        return tf.exp(self._log_prob(x))

    def _checked_sample(self, x):
        if not self.validate_args:
            return x
        return with_dependencies([
            tf.assert_non_positive(x),
            tf.assert_near(tf.zeros([], dtype=self.dtype), tf.reduce_logsumexp(x, axis=[-1]),
                           message="samples must be log-probabilities (logsumexp 0)")], x)


class RelaxedOneHotCategorical(Distribution):
    """exp of an ExpRelaxedOneHotCategorical sample: reparameterized points of the simplex
    that approach one-hot vectors as the temperature goes to 0."""

    def __init__(self, temperature, logits=None, probs=None, dtype=None, validate_args=False,
                 allow_nan_stats=True, name="RelaxedOneHotCategorical"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[logits, probs, temperature]) as name:
            self._exp_relaxed = ExpRelaxedOneHotCategorical(
                temperature, logits=logits, probs=probs, dtype=dtype,
                validate_args=validate_args, allow_nan_stats=allow_nan_stats)
        base = self._exp_relaxed
        super().__init__(dtype=base.dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=list(base._graph_parents),
                         name=name)

    distribution = property(lambda self: self._exp_relaxed,
                            doc="The ExpRelaxedOneHotCategorical this is the exp of.")
    temperature = property(lambda self: self._exp_relaxed.temperature)
    logits = property(lambda self: self._exp_relaxed.logits)
    probs = property(lambda self: self._exp_relaxed.probs)
    event_size = property(lambda self: self._exp_relaxed.event_size)

    def _batch_shape_tensor(self):
        return self._exp_relaxed.batch_shape_tensor()

    def _batch_shape(self):
        return self._exp_relaxed.batch_shape

    def _event_shape_tensor(self):
        return self._exp_relaxed.event_shape_tensor()

    def _event_shape(self):
        return self._exp_relaxed.event_shape

    def _sample_n(self, n, seed=None):
        return tf.exp(self._exp_relaxed.sample(n, seed=seed))

    def _log_prob(self, y):
        log_y = tf.log(y)
        # Change of variables through exp: minus log|dy/dx| = sum(log y).
        return self._exp_relaxed.log_prob(log_y) - tf.reduce_sum(log_y, axis=-1)

    def _prob(self, y):
        return tf.exp(self._log_prob(y))
