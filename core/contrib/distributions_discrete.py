"""TF 1.15 contrib's discrete distributions: Poisson, Binomial, Geometric, NegativeBinomial,
OneHotCategorical, and the point masses Deterministic / VectorDeterministic; with TF's
signatures, checks (non-negative integer counts under validate_args, else TF's floor where TF
takes it) and the registered KL(OneHotCategorical || OneHotCategorical)."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..distributions_more import NOT_REPARAMETERIZED, Distribution, RegisterKL
from ..distributions_more import ScalarEventDistribution
from ..distributions_util import (embed_check_nonnegative_integer_form, gen_new_seed,
                                  get_logits_and_probs, with_dependencies)
from ..graph import constant_value
from ..tensor_shape import TensorShape

__all__ = ["Binomial", "Deterministic", "Geometric", "NegativeBinomial", "OneHotCategorical",
           "Poisson", "VectorDeterministic"]


def _integer_or_floor(dist, x):
    """Counts under validate_args are checked non-negative integers; otherwise floored, as
    TF (and scipy) do."""
    if dist.validate_args:
        return embed_check_nonnegative_integer_form(x)
    return tf.floor(x)


class Poisson(ScalarEventDistribution):
    """Poisson(rate), given as ``rate`` or ``log_rate`` (exactly one)."""

    _PARAM_NAMES = ("rate",)

    def __init__(self, rate=None, log_rate=None, validate_args=False, allow_nan_stats=True,
                 name="Poisson"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[rate, log_rate]) as name:
            if (rate is None) == (log_rate is None):
                raise ValueError("Must specify exactly one of `rate`, `log_rate`.")
            if log_rate is None:
                rate = tf.convert_to_tensor(rate, name="rate")
                if not rate.dtype.is_floating:
                    raise TypeError(f"rate.dtype ({rate.dtype.name}) is a not a float-type.")
                with tf.control_dependencies([tf.assert_positive(rate)] if validate_args
                                             else []):
                    self._rate = tf.identity(rate, name="rate")
                    self._log_rate = tf.log(rate, name="log_rate")
            else:
                log_rate = tf.convert_to_tensor(log_rate, name="log_rate")
                if not log_rate.dtype.is_floating:
                    raise TypeError(f"log_rate.dtype ({log_rate.dtype.name}) is a not a "
                                    "float-type.")
                self._rate = tf.exp(log_rate, name="rate")
                self._log_rate = log_rate
        super().__init__(dtype=self._rate.dtype, reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._rate], name=name)

    rate = property(lambda self: self._rate)
    log_rate = property(lambda self: self._log_rate)

    def _batch_parents(self):
        return [self._rate]

    def _sample_n(self, n, seed=None):
        return tf.random_poisson(self.rate, [n], dtype=self.dtype, seed=seed)

    def _log_prob(self, x):
        x = _integer_or_floor(self, x)
        return x * self.log_rate - tf.lgamma(1.0 + x) - self.rate

    def _cdf(self, x):
        return tf.igammac(1.0 + _integer_or_floor(self, x), self.rate)

    def _log_cdf(self, x):
        return tf.log(self._cdf(x))

    def _mean(self):
        return tf.identity(self.rate)

    def _variance(self):
        return tf.identity(self.rate)

    def _mode(self):
        return tf.floor(self.rate)


class _BinaryTrials(ScalarEventDistribution):
    """Shared by Binomial / NegativeBinomial: ``total_count`` and logits-or-probs."""

    _PARAM_NAMES = ()

    def _init_trials(self, total_count, logits, probs, validate_args, name, check):
        self._logits, self._probs = get_logits_and_probs(logits=logits, probs=probs,
                                                         validate_args=validate_args, name=name)
        total_count = tf.convert_to_tensor(total_count, name="total_count",
                                           dtype=self._probs.dtype)
        self._total_count = check(total_count) if validate_args else total_count

    total_count = property(lambda self: self._total_count)
    logits = property(lambda self: self._logits)
    probs = property(lambda self: self._probs)

    def _batch_parents(self):
        return [self._total_count, self._probs]


class Binomial(_BinaryTrials):
    """Binomial(total_count, logits | probs): successes in ``total_count`` trials. As in TF
    1.15 it has no sampler."""

    def __init__(self, total_count, logits=None, probs=None, validate_args=False,
                 allow_nan_stats=True, name="Binomial"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[total_count, logits, probs]) as name:
            self._init_trials(total_count, logits, probs, validate_args, name,
                              self._checked_total_count)
        super().__init__(dtype=self._probs.dtype, reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=[self._total_count, self._logits, self._probs],
                         name=name)

    @staticmethod
    def _checked_total_count(total_count):
        return with_dependencies([
            tf.assert_non_negative(total_count, message="total_count must be non-negative."),
            tf.assert_equal(total_count, tf.round(total_count),
                            message="total_count cannot contain fractional components.")],
            total_count)

    def _checked_counts(self, counts):
        if not self.validate_args:
            return counts
        counts = embed_check_nonnegative_integer_form(counts)
        return with_dependencies([tf.assert_less_equal(
            counts, self.total_count, message="counts are not less than or equal to n.")],
            counts)

    def _log_prob(self, counts):
        counts = self._checked_counts(counts)
        n, p = self.total_count, self.probs
        unnormalized = counts * tf.log(p) + (n - counts) * tf.log1p(-p)
        return unnormalized - (tf.lgamma(1.0 + n - counts) + tf.lgamma(1.0 + counts)
                               - tf.lgamma(1.0 + n))

    def _prob(self, counts):
        return tf.exp(self._log_prob(counts))

    def _cdf(self, counts):
        counts = self._checked_counts(counts)
        counts = counts + tf.zeros_like(self.probs) + tf.zeros_like(self.total_count)
        n = self.total_count + tf.zeros_like(counts)
        probs = self.probs + tf.zeros_like(counts)
        # betainc(0, ...) is NaN (and so its gradient), so k == n takes a safe stand-in.
        ones = tf.ones_like(n - counts)
        at_n = tf.equal(counts, n)
        below = tf.betainc(tf.where(at_n, ones, n - counts), counts + 1.0, 1.0 - probs)
        return tf.where(at_n, ones, below)

    def _mean(self):
        return self.total_count * self.probs

    def _variance(self):
        return self._mean() * (1.0 - self.probs)

    def _mode(self):
        """floor((1 + n) p): the larger of the two modes when (1 + n) p is an integer."""
        return tf.floor((1.0 + self.total_count) * self.probs)


class NegativeBinomial(_BinaryTrials):
    """NegativeBinomial(total_count, logits | probs): successes (probability ``probs``)
    before ``total_count`` failures; sampled as Poisson(Gamma(total_count, exp(-logits)))."""

    def __init__(self, total_count, logits=None, probs=None, validate_args=False,
                 allow_nan_stats=True, name="NegativeBinomial"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[total_count, logits, probs]) as name:
            self._init_trials(total_count, logits, probs, validate_args, name,
                              lambda t: with_dependencies([tf.assert_positive(t)], t))
        super().__init__(dtype=self._probs.dtype, reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=[self._total_count, self._logits, self._probs],
                         name=name)

    def _sample_n(self, n, seed=None):
        rate = tf.random_gamma(shape=[n], alpha=self.total_count, beta=tf.exp(-self.logits),
                               dtype=self.dtype, seed=seed)
        return tf.random_poisson(rate, shape=[], dtype=self.dtype,
                                 seed=gen_new_seed(seed, "negative_binom"))

    def _checked(self, x):
        return embed_check_nonnegative_integer_form(x) if self.validate_args else x

    def _cdf(self, x):
        return tf.betainc(self.total_count, 1.0 + self._checked(x), tf.sigmoid(-self.logits))

    def _log_prob(self, x):
        x = self._checked(x)
        r = self.total_count
        unnormalized = r * tf.log_sigmoid(-self.logits) + x * tf.log_sigmoid(self.logits)
        return unnormalized - (-tf.lgamma(r + x) + tf.lgamma(1.0 + x) + tf.lgamma(r))

    def _mean(self):
        return self.total_count * tf.exp(self.logits)

    def _mode(self):
        adjusted = tf.where(1.0 < self.total_count, self.total_count - 1.0,
                            tf.zeros_like(self.total_count))
        return tf.floor(adjusted * tf.exp(self.logits))

    def _variance(self):
        return self._mean() / tf.sigmoid(-self.logits)


class Geometric(ScalarEventDistribution):
    """Geometric(logits | probs): failures before the first success, on {0, 1, ...}."""

    _PARAM_NAMES = ("logits",)

    def __init__(self, logits=None, probs=None, validate_args=False, allow_nan_stats=True,
                 name="Geometric"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[logits, probs]) as name:
            self._logits, probs = get_logits_and_probs(logits, probs,
                                                       validate_args=validate_args, name=name)
            with tf.control_dependencies([tf.assert_positive(probs)] if validate_args else []):
                self._probs = tf.identity(probs, name="probs")
        super().__init__(dtype=self._probs.dtype, reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._probs, self._logits],
                         name=name)

    logits = property(lambda self: self._logits)
    probs = property(lambda self: self._probs)

    def _batch_parents(self):
        return [self._probs]

    def _sample_n(self, n, seed=None):
        u = tf.random_uniform(self._draw_shape(n), minval=np.finfo(self.dtype.as_numpy_dtype).tiny,
                              maxval=1.0, dtype=self.dtype, seed=seed)
        return tf.floor(tf.log(u) / tf.log1p(-self.probs))

    def _cdf(self, x):
        x = _integer_or_floor(self, x) * tf.ones_like(self.probs)
        return tf.where(x < 0.0, tf.zeros_like(x),
                        -tf.math.expm1((1.0 + x) * tf.log1p(-self.probs)))

    def _log_prob(self, x):
        x = _integer_or_floor(self, x) * tf.ones_like(self.probs)
        probs = self.probs * tf.ones_like(x)
        # x = 0 at probs = 1 would give 0 * log(0): take 0 failures as certain there.
        safe = tf.where(tf.equal(x, 0.0), tf.zeros_like(probs), probs)
        return x * tf.log1p(-safe) + tf.log(probs)

    def _entropy(self):
        probs = self._probs
        if self.validate_args:
            probs = with_dependencies([tf.assert_less(
                probs, tf.constant(1.0, probs.dtype),
                message="Entropy is undefined when logits = inf or probs = 1.")], probs)
        return tf.nn.softplus(self.logits) / probs - self.logits  # = H(p) / p

    def _mean(self):
        return tf.exp(-self.logits)

    def _variance(self):
        return self._mean() / self.probs

    def _mode(self):
        return tf.zeros(self.batch_shape_tensor(), dtype=self.dtype)


class OneHotCategorical(Distribution):
    """Categorical over the last axis of logits/probs, with one-hot vector events of
    ``dtype``."""

    def __init__(self, logits=None, probs=None, dtype=tf.int32, validate_args=False,
                 allow_nan_stats=True, name="OneHotCategorical"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[logits, probs]) as name:
            self._logits, self._probs = get_logits_and_probs(
                name=name, logits=logits, probs=probs, validate_args=validate_args,
                multidimensional=True)
            static = self._logits.shape.with_rank_at_least(1)
            if static.ndims is not None:
                self._batch_rank = tf.convert_to_tensor(static.ndims - 1, dtype=tf.int32,
                                                        name="batch_rank")
            else:
                with tf.name_scope("batch_rank"):
                    self._batch_rank = tf.rank(self._logits) - 1
            with tf.name_scope("event_size"):
                self._event_size = tf.shape(self._logits)[-1]
        super().__init__(dtype=tf.as_dtype(dtype), reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._logits, self._probs],
                         name=name)

    event_size = property(lambda self: self._event_size, doc="Scalar int32: the classes.")
    logits = property(lambda self: self._logits)
    probs = property(lambda self: self._probs)

    def _batch_shape_tensor(self):
        return tf.shape(self._logits)[:-1]

    def _batch_shape(self):
        return self._logits.shape.with_rank_at_least(1)[:-1]

    def _event_shape_tensor(self):
        return tf.shape(self._logits)[-1:]

    def _event_shape(self):
        return self._logits.shape.with_rank_at_least(1)[-1:]

    def _sample_n(self, n, seed=None):
        sample_shape = tf.concat([[n], tf.shape(self.logits)], 0)
        logits_2d = (self.logits if self.logits.shape.ndims == 2
                     else tf.reshape(self.logits, [-1, self.event_size]))
        draws = tf.transpose(tf.multinomial(logits_2d, n, seed=seed))
        return tf.reshape(tf.one_hot(draws, self.event_size, dtype=self.dtype), sample_shape)

    def _log_prob(self, x):
        x = tf.cast(self._checked_sample(x), self.logits.dtype)
        logits = self.logits
        if not (x.shape.is_fully_defined() and logits.shape.is_fully_defined()
                and x.shape == logits.shape):
            logits = tf.ones_like(x, dtype=logits.dtype) * logits
            x = tf.ones_like(logits, dtype=x.dtype) * x
        return -tf.nn.softmax_cross_entropy_with_logits_v2(labels=x, logits=logits)

    def _entropy(self):
        return -tf.reduce_sum(tf.nn.log_softmax(self.logits) * self.probs, axis=-1)

    def _mean(self):
        return tf.identity(self.probs)

    def _mode(self):
        mode = tf.one_hot(tf.argmax(self.logits, axis=self._batch_rank), self.event_size,
                          dtype=self.dtype)
        mode.set_shape(self.logits.shape)
        return mode

    def _covariance(self):
        p = self.probs
        return tf.matrix_set_diag(-tf.matmul(p[..., None], p[..., None, :]), self._variance())

    def _variance(self):
        return self.probs * (1.0 - self.probs)

    def _checked_sample(self, x):
        # TF 1.15 checked these as log-probabilities (a copy of the relaxed version's check);
        # a one-hot vector is non-negative and sums to 1.
        if not self.validate_args:
            return x
        return with_dependencies([
            tf.assert_non_negative(x, message="OneHotCategorical samples must be "
                                   "non-negative."),
            tf.assert_equal(tf.reduce_sum(tf.cast(x, self.logits.dtype), axis=-1),
                            tf.ones([], self.logits.dtype),
                            message="OneHotCategorical samples must sum to 1.")], x)


@RegisterKL(OneHotCategorical, OneHotCategorical)
def _kl_onehot_categorical(a, b, name=None):
    with tf.name_scope(name, "kl_categorical_categorical", values=[a.logits, b.logits]):
        delta = tf.nn.log_softmax(a.logits) - tf.nn.log_softmax(b.logits)
        return tf.reduce_sum(tf.nn.softmax(a.logits) * delta, axis=-1)


class _BaseDeterministic(Distribution):
    """A point mass at ``loc``: matches within ``atol + rtol * |loc|``."""

    def __init__(self, loc, atol=None, rtol=None, is_vector=False, validate_args=False,
                 allow_nan_stats=True, name="_BaseDeterministic"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[loc, atol, rtol]) as name:
            loc = tf.convert_to_tensor(loc, name="loc")
            if is_vector and validate_args:
                msg = "Argument loc must be at least rank 1."
                if loc.shape.ndims is not None:
                    if loc.shape.ndims < 1:
                        raise ValueError(msg)
                else:
                    loc = with_dependencies([tf.assert_rank_at_least(loc, 1, message=msg)],
                                            loc)
            self._loc = loc
            super().__init__(dtype=loc.dtype, reparameterization_type=NOT_REPARAMETERIZED,
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             parameters=parameters, graph_parents=[loc], name=name)
            self._atol = self._get_tol(atol)
            self._rtol = self._get_tol(rtol)
            # Without rtol the slack need not broadcast against loc.
            self._slack = self._atol if rtol is None else self._atol + self._rtol * tf.abs(loc)

    def _get_tol(self, tol):
        if tol is None:
            return tf.convert_to_tensor(0, dtype=self.loc.dtype)
        tol = tf.convert_to_tensor(tol, dtype=self.loc.dtype)
        if self.validate_args:
            tol = with_dependencies([tf.assert_non_negative(
                tol, message="Argument 'tol' must be non-negative")], tol)
        return tol

    loc = property(lambda self: self._loc, doc="The point this distribution is supported on.")
    atol = property(lambda self: self._atol)
    rtol = property(lambda self: self._rtol)

    def _mean(self):
        return tf.identity(self.loc)

    def _variance(self):
        return tf.zeros_like(self.loc)

    def _mode(self):
        return self.mean()

    def _sample_n(self, n, seed=None):
        del seed  # nothing random
        n_static = constant_value(tf.convert_to_tensor(n))
        if n_static is not None and self.loc.shape.ndims is not None:
            multiples = [int(n_static)] + [1] * self.loc.shape.ndims
        else:
            multiples = tf.concat([[n], tf.ones_like(tf.shape(self.loc))], axis=0)
        return tf.tile(self.loc[tf.newaxis, ...], multiples=multiples)


class Deterministic(_BaseDeterministic):
    """A scalar point mass: prob 1 within the slack of ``loc``, cdf a step there."""

    def __init__(self, loc, atol=None, rtol=None, validate_args=False, allow_nan_stats=True,
                 name="Deterministic"):
        parameters = dict(locals())
        super().__init__(loc, atol=atol, rtol=rtol, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters

    def _batch_shape_tensor(self):
        return tf.shape(self.loc)

    def _batch_shape(self):
        return self.loc.shape

    def _event_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)

    def _event_shape(self):
        return TensorShape([])

    def _prob(self, x):
        return tf.cast(tf.abs(x - self.loc) <= self._slack, dtype=self.dtype)

    def _cdf(self, x):
        return tf.cast(x >= self.loc - self._slack, dtype=self.dtype)


class VectorDeterministic(_BaseDeterministic):
    """A point mass in R^k: prob 1 when every coordinate is within the slack."""

    def __init__(self, loc, atol=None, rtol=None, validate_args=False, allow_nan_stats=True,
                 name="VectorDeterministic"):
        parameters = dict(locals())
        super().__init__(loc, atol=atol, rtol=rtol, is_vector=True,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         name=name)
        self._parameters = parameters

    def _batch_shape_tensor(self):
        return tf.shape(self.loc)[:-1]

    def _batch_shape(self):
        return self.loc.shape[:-1]

    def _event_shape_tensor(self):
        return tf.shape(self.loc)[-1:]

    def _event_shape(self):
        return self.loc.shape[-1:]

    def _prob(self, x):
        if self.validate_args:
            x = with_dependencies([
                tf.assert_rank_at_least(x, 1),
                tf.assert_equal(self.event_shape_tensor(), tf.shape(x)[-1:], message=(
                    "Argument 'x' not defined in the same space R^k as this distribution"))],
                x)
        return tf.cast(tf.reduce_all(tf.abs(x - self.loc) <= self._slack, axis=-1),
                       dtype=self.dtype)
