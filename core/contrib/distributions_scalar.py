"""TF 1.15 contrib's continuous scalar distributions: Logistic, Cauchy, HalfNormal,
InverseGamma, Chi2 and Kumaraswamy (TF builds the last as a TransformedDistribution of
Uniform(0, 1) through the Kumaraswamy bijector; here its density, cdf and inverse-cdf sampling
are written out), with TF's signatures, validate_args checks, allow_nan_stats rules and KLs."""

from __future__ import annotations

import math

import numpy as np

import minitf as tf

from ..distributions import Gamma
from ..distributions_more import (FULLY_REPARAMETERIZED, NOT_REPARAMETERIZED, RegisterKL,
                                  ScalarEventDistribution)
from ..distributions_util import assert_one_less, checked_identities, nan_where, with_dependencies

__all__ = ["Cauchy", "Chi2", "Chi2WithAbsDf", "HalfNormal", "InverseGamma",
           "InverseGammaWithSoftplusConcentrationRate", "Kumaraswamy", "Logistic"]


class _LocScale(ScalarEventDistribution):
    """A location-scale family: ``loc``, positive ``scale``, reparameterized."""

    _PARAM_NAMES = ("loc", "scale")

    def __init__(self, loc, scale, validate_args, allow_nan_stats, name):
        parameters = dict(locals())
        with tf.name_scope(name, values=[loc, scale]) as name:
            checks = [tf.assert_positive(scale)] if validate_args else []
            self._loc, self._scale = checked_identities({"loc": loc, "scale": scale}, checks)
        super().__init__(dtype=self._scale.dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._loc, self._scale],
                         name=name)

    loc = property(lambda self: self._loc)
    scale = property(lambda self: self._scale)

    def _batch_parents(self):
        return [self._loc, self._scale]

    def _z(self, x):
        with tf.name_scope("standardize", values=[x]):
            return (x - self.loc) / self.scale

    def _mode(self):
        return self.loc * tf.ones_like(self.scale)


class Logistic(_LocScale):
    """Logistic(loc, scale): cdf sigmoid((x - loc) / scale); sampled by the inverse cdf."""

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Logistic"):
        parameters = dict(locals())
        super().__init__(loc, scale, validate_args, allow_nan_stats, name)
        self._parameters = parameters

    def _sample_n(self, n, seed=None):
        # The open interval (0, 1): tiny, not 0, keeps both logs finite.
        u = tf.random_uniform(self._draw_shape(n), minval=np.finfo(self.dtype.as_numpy_dtype).tiny,
                              maxval=1.0, dtype=self.dtype, seed=seed)
        return (tf.log(u) - tf.log1p(-u)) * self.scale + self.loc

    def _log_prob(self, x):
        z = self._z(x)
        return -z - 2.0 * tf.nn.softplus(-z) - tf.log(self.scale)

    def _log_cdf(self, x):
        return -tf.nn.softplus(-self._z(x))

    def _cdf(self, x):
        return tf.sigmoid(self._z(x))

    def _log_survival_function(self, x):
        return -tf.nn.softplus(self._z(x))

    def _survival_function(self, x):
        return tf.sigmoid(-self._z(x))

    def _entropy(self):
        return 2.0 + tf.log(self.scale * tf.ones_like(self.loc))

    def _mean(self):
        return self.loc * tf.ones_like(self.scale)

    def _stddev(self):
        return self.scale * tf.ones_like(self.loc) * (math.pi / math.sqrt(3.0))


class Cauchy(_LocScale):
    """Cauchy(loc, scale): no mean or variance (NaN, or a ValueError without
    allow_nan_stats); sampled as ``loc + scale * tan(pi (U - 1/2))``."""

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Cauchy"):
        parameters = dict(locals())
        super().__init__(loc, scale, validate_args, allow_nan_stats, name)
        self._parameters = parameters

    def _sample_n(self, n, seed=None):
        probs = tf.random_uniform(self._draw_shape(n), minval=0.0, maxval=1.0, dtype=self.dtype,
                                  seed=seed)
        return self._quantile(probs)

    def _log_prob(self, x):
        return -tf.log1p(tf.square(self._z(x))) - (math.log(math.pi) + tf.log(self.scale))

    def _cdf(self, x):
        return tf.atan(self._z(x)) / math.pi + 0.5

    def _log_cdf(self, x):
        return tf.log1p(2.0 / math.pi * tf.atan(self._z(x))) - math.log(2.0)

    def _entropy(self):
        return (math.log(4.0 * math.pi) + tf.log(self.scale)) * tf.ones_like(self.loc)

    def _quantile(self, p):
        return self.loc + self.scale * tf.tan(math.pi * (p - 0.5))

    def _undefined(self, what):
        if self.allow_nan_stats:
            return tf.fill(self.batch_shape_tensor(), self.dtype.as_numpy_dtype(np.nan))
        raise ValueError(f"`{what}` is undefined for Cauchy distribution.")

    def _mean(self):
        return self._undefined("mean")

    def _stddev(self):
        return self._undefined("stddev")

    def _variance(self):
        return self._undefined("variance")


class HalfNormal(ScalarEventDistribution):
    """|N(0, scale)|: density sqrt(2/pi)/scale exp(-x^2 / (2 scale^2)) on x >= 0."""

    _PARAM_NAMES = ("scale",)

    def __init__(self, scale, validate_args=False, allow_nan_stats=True, name="HalfNormal"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[scale]) as name:
            checks = [tf.assert_positive(scale)] if validate_args else []
            (self._scale,) = checked_identities({"scale": scale}, checks)
        super().__init__(dtype=self._scale.dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._scale], name=name)

    scale = property(lambda self: self._scale)

    def _batch_parents(self):
        return [self._scale]

    def _sample_n(self, n, seed=None):
        sampled = tf.random_normal(self._draw_shape(n), dtype=self.dtype, seed=seed)
        return tf.abs(sampled * self.scale)

    def _log_prob(self, x):
        return (0.5 * math.log(2.0 / math.pi) - tf.log(self.scale)
                - 0.5 * tf.square(x / self.scale))

    def _cdf(self, x):
        return tf.erf(tf.nn.relu(x) / self.scale / math.sqrt(2.0))

    def _entropy(self):
        return 0.5 * tf.log(math.pi * tf.square(self.scale) / 2.0) + 0.5

    def _mean(self):
        return self.scale * math.sqrt(2.0 / math.pi)

    def _quantile(self, p):
        return math.sqrt(2.0) * self.scale * tf.math.erfinv(p)

    def _mode(self):
        return tf.zeros(self.batch_shape_tensor(), dtype=self.dtype)

    def _variance(self):
        return tf.square(self.scale) * (1.0 - 2.0 / math.pi)


@RegisterKL(HalfNormal, HalfNormal)
def _kl_half_normal_half_normal(a, b, name=None):
    with tf.name_scope(name, "kl_half_normal_half_normal", [a.scale, b.scale]):
        return (tf.log(b.scale) - tf.log(a.scale)
                + (tf.square(a.scale) - tf.square(b.scale)) / (2.0 * tf.square(b.scale)))


class InverseGamma(ScalarEventDistribution):
    """InverseGamma(concentration, rate): 1 / Gamma(concentration, rate)."""

    _PARAM_NAMES = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args=False, allow_nan_stats=True,
                 name="InverseGamma"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[concentration, rate]) as name:
            checks = ([tf.assert_positive(concentration), tf.assert_positive(rate)]
                      if validate_args else [])
            self._concentration, self._rate = checked_identities(
                {"concentration": concentration, "rate": rate}, checks)
        super().__init__(dtype=self._concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=NOT_REPARAMETERIZED, parameters=parameters,
                         graph_parents=[self._concentration, self._rate], name=name)

    concentration = property(lambda self: self._concentration)
    rate = property(lambda self: self._rate)

    def _batch_parents(self):
        return [self._concentration, self._rate]

    def _sample_n(self, n, seed=None):
        return 1.0 / tf.random_gamma(shape=[n], alpha=self.concentration, beta=self.rate,
                                     dtype=self.dtype, seed=seed)

    def _log_prob(self, x):
        x = self._maybe_assert_valid_sample(x)
        c = self.concentration
        return (-(1.0 + c) * tf.log(x) - self.rate / x
                - (tf.lgamma(c) - c * tf.log(self.rate)))

    def _cdf(self, x):
        x = self._maybe_assert_valid_sample(x)
        return tf.igammac(self.concentration, self.rate / x)  # Q(a, rate / x)

    def _entropy(self):
        c = self.concentration
        return c + tf.log(self.rate) + tf.lgamma(c) - (1.0 + c) * tf.digamma(c)

    def _defined_above(self, value, bound, message):
        c = self.concentration
        if self.allow_nan_stats:
            return nan_where(c > bound, value, self.batch_shape_tensor(), self.dtype)
        return with_dependencies([tf.assert_less(tf.constant(bound, dtype=self.dtype), c,
                                                 message=message)], value)

    def _mean(self):
        return self._defined_above(self.rate / (self.concentration - 1.0), 1.0,
                                   "mean undefined when any concentration <= 1")

    def _variance(self):
        c = self.concentration
        var = tf.square(self.rate) / tf.squared_difference(c, 1.0) / (c - 2.0)
        return self._defined_above(var, 2.0, "variance undefined when any concentration <= 2")

    def _mode(self):
        return self.rate / (1.0 + self.concentration)

    def _maybe_assert_valid_sample(self, x):
        tf.assert_same_float_dtype(tensors=[x], dtype=self.dtype)
        if not self.validate_args:
            return x
        return with_dependencies([tf.assert_positive(x)], x)


class InverseGammaWithSoftplusConcentrationRate(InverseGamma):
    """InverseGamma of softplus(concentration), softplus(rate)."""

    def __init__(self, concentration, rate, validate_args=False, allow_nan_stats=True,
                 name="InverseGammaWithSoftplusConcentrationRate"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[concentration, rate]) as name:
            super().__init__(
                concentration=tf.nn.softplus(concentration, name="softplus_concentration"),
                rate=tf.nn.softplus(rate, name="softplus_rate"), validate_args=validate_args,
                allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters


class Chi2(Gamma):
    """Chi-squared with ``df`` degrees of freedom: Gamma(df / 2, rate 1/2)."""

    _PARAM_NAMES = ("df",)

    def __init__(self, df, validate_args=False, allow_nan_stats=True, name="Chi2"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[df]) as name:
            checks = [tf.assert_positive(df)] if validate_args else []
            with tf.control_dependencies(checks):
                self._df = tf.identity(df, name="df")
            super().__init__(concentration=0.5 * self._df,
                             rate=tf.constant(0.5, dtype=self._df.dtype),
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             name=name)
        self._parameters = parameters

    df = property(lambda self: self._df)


class Chi2WithAbsDf(Chi2):
    """Chi2 with ``df = floor(|df|)``."""

    def __init__(self, df, validate_args=False, allow_nan_stats=True, name="Chi2WithAbsDf"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[df]) as name:
            super().__init__(df=tf.floor(tf.abs(df, name="abs_df"), name="floor_abs_df"),
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             name=name)
        self._parameters = parameters


class Kumaraswamy(ScalarEventDistribution):
    """Kumaraswamy(a = concentration1, b = concentration0) on (0, 1): cdf
    1 - (1 - x^a)^b, sampled by its inverse. The entropy is the closed form
    (1 - 1/b) + (1 - 1/a) H_b - log(ab) (TF 1.15's had a and b swapped and the log sign
    flipped, a bug later fixed in TensorFlow Probability)."""

    _PARAM_NAMES = ("concentration1", "concentration0")

    def __init__(self, concentration1=None, concentration0=None, validate_args=False,
                 allow_nan_stats=True, name="Kumaraswamy"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[concentration1, concentration0]) as name:
            c1 = tf.convert_to_tensor(concentration1, name="concentration1")
            c0 = tf.convert_to_tensor(concentration0, name="concentration0")
            checks = ([tf.assert_positive(c1, message="Argument concentration1 must be "
                                          "positive."),
                       tf.assert_positive(c0, message="Argument concentration0 must be "
                                          "positive.")] if validate_args else [])
            self._concentration1, self._concentration0 = checked_identities(
                {"concentration1": c1, "concentration0": c0}, checks)
        super().__init__(dtype=self._concentration1.dtype,
                         reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=[self._concentration1, self._concentration0], name=name)

    concentration1 = property(lambda self: self._concentration1)
    concentration0 = property(lambda self: self._concentration0)

    def _batch_parents(self):
        return [self._concentration1, self._concentration0]

    def _sample_n(self, n, seed=None):
        u = tf.random_uniform(self._draw_shape(n), dtype=self.dtype, seed=seed)
        a, b = self.concentration1, self.concentration0
        return tf.exp(tf.log1p(-tf.exp(tf.log1p(-u) / b)) / a)

    def _checked(self, x):
        if not self.validate_args:
            return x
        return with_dependencies([
            tf.assert_non_negative(x, message="sample must be non-negative"),
            tf.assert_less_equal(x, tf.ones([], self.dtype),
                                 message="sample must be less than or equal to `1`.")], x)

    def _log_prob(self, x):
        x = self._checked(x)
        a, b = self.concentration1, self.concentration0
        return (tf.log(a) + tf.log(b) + tf.math.xlogy(a - 1.0, x)
                + (b - 1.0) * tf.log1p(-tf.pow(x, a)))

    def _cdf(self, x):
        x = self._checked(x)
        return -tf.math.expm1(self.concentration0 * tf.log1p(-tf.pow(x, self.concentration1)))

    def _entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic_b = tf.digamma(b + 1.0) + np.euler_gamma
        return (1.0 - 1.0 / b) + (1.0 - 1.0 / a) * harmonic_b - tf.log(a) - tf.log(b)

    def _moment(self, n):
        """E[X^n] = b B(1 + n/a, b)."""
        a, b = self.concentration1, self.concentration0
        ones = tf.ones_like(a + b)
        log_beta = tf.math.lbeta(tf.stack([1.0 + n / (a * ones), b * ones], axis=-1))
        return tf.exp(tf.log(b * ones) + log_beta)

    def _mean(self):
        return self._moment(1.0)

    def _variance(self):
        return self._moment(2.0) - tf.square(self._moment(1.0))

    def _mode(self):
        a, b = self.concentration1, self.concentration0
        mode = tf.pow((a - 1.0) / (a * b - 1.0), 1.0 / a)
        if self.allow_nan_stats:
            defined = tf.logical_and(a > 1.0, b > 1.0)
            return nan_where(defined, mode, self.batch_shape_tensor(), self.dtype)
        return with_dependencies([
            assert_one_less(self.dtype, a, "Mode undefined for concentration1 <= 1."),
            assert_one_less(self.dtype, b, "Mode undefined for concentration0 <= 1.")], mode)
