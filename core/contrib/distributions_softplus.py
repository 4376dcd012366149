"""The ``*WithSoftplus*`` variants TF 1.15 kept beside tf.distributions' classes and exported
only through ``tf.contrib.distributions``: the same distribution with unconstrained parameters
mapped through softplus (positive), |.| (df) or sigmoid (probs). They subclass minitf's core
classes, so every registered KL applies to them too."""

from __future__ import annotations

import minitf as tf

from ..distributions import Bernoulli, Beta, Exponential, Gamma, Laplace, Normal, StudentT

__all__ = ["BernoulliWithSigmoidProbs", "BetaWithSoftplusConcentration",
           "ExponentialWithSoftplusRate", "GammaWithSoftplusConcentrationRate",
           "LaplaceWithSoftplusScale", "NormalWithSoftplusScale",
           "StudentTWithAbsDfSoftplusScale"]


class NormalWithSoftplusScale(Normal):
    """Normal(loc, softplus(scale))."""

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True,
                 name="NormalWithSoftplusScale"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[scale]) as name:
            super().__init__(loc=loc, scale=tf.nn.softplus(scale, name="softplus_scale"),
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             name=name)
        self._parameters = parameters


class LaplaceWithSoftplusScale(Laplace):
    """Laplace(loc, softplus(scale))."""

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True,
                 name="LaplaceWithSoftplusScale"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[loc, scale]) as name:
            super().__init__(loc=loc, scale=tf.nn.softplus(scale, name="softplus_scale"),
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             name=name)
        self._parameters = parameters


class ExponentialWithSoftplusRate(Exponential):
    """Exponential(softplus(rate))."""

    def __init__(self, rate, validate_args=False, allow_nan_stats=True,
                 name="ExponentialWithSoftplusRate"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[rate]) as name:
            super().__init__(rate=tf.nn.softplus(rate, name="softplus_rate"),
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             name=name)
        self._parameters = parameters


class GammaWithSoftplusConcentrationRate(Gamma):
    """Gamma(softplus(concentration), softplus(rate))."""

    def __init__(self, concentration, rate, validate_args=False, allow_nan_stats=True,
                 name="GammaWithSoftplusConcentrationRate"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[concentration, rate]) as name:
            super().__init__(
                concentration=tf.nn.softplus(concentration, name="softplus_concentration"),
                rate=tf.nn.softplus(rate, name="softplus_rate"), validate_args=validate_args,
                allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters


class BetaWithSoftplusConcentration(Beta):
    """Beta(softplus(concentration1), softplus(concentration0))."""

    def __init__(self, concentration1, concentration0, validate_args=False,
                 allow_nan_stats=True, name="BetaWithSoftplusConcentration"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[concentration1, concentration0]) as name:
            super().__init__(
                concentration1=tf.nn.softplus(concentration1, name="softplus_concentration1"),
                concentration0=tf.nn.softplus(concentration0, name="softplus_concentration0"),
                validate_args=validate_args, allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters


class StudentTWithAbsDfSoftplusScale(StudentT):
    """StudentT(floor(|df|), loc, softplus(scale))."""

    def __init__(self, df, loc, scale, validate_args=False, allow_nan_stats=True,
                 name="StudentTWithAbsDfSoftplusScale"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[df, scale]) as name:
            super().__init__(df=tf.floor(tf.abs(df)), loc=loc,
                             scale=tf.nn.softplus(scale, name="softplus_scale"),
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             name=name)
        self._parameters = parameters


class BernoulliWithSigmoidProbs(Bernoulli):
    """Bernoulli(probs=sigmoid(logits))."""

    def __init__(self, logits=None, dtype=tf.int32, validate_args=False, allow_nan_stats=True,
                 name="BernoulliWithSigmoidProbs"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            super().__init__(probs=tf.sigmoid(logits, name="sigmoid_probs"), dtype=dtype,
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             name=name)
        self._parameters = parameters
