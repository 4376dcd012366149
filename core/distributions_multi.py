"""``tf.distributions`` (TF1), part three: Beta, Dirichlet, Multinomial, DirichletMultinomial and
StudentT, composed from minitf ops as TF1 composes them (re-exported by
``core/distributions.py``)."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .distributions_more import (FULLY_REPARAMETERIZED, NOT_REPARAMETERIZED, Distribution,
                                 RegisterKL, ScalarEventDistribution)
from .distributions_util import (assert_one_less, checked_identities,
                                 embed_check_categorical_event_shape,
                                 embed_check_nonnegative_integer_form, gen_new_seed,
                                 get_logits_and_probs, log_combinations, nan_where,
                                 with_dependencies)
from .functional_ops import map_fn
from .graph import convert_to_tensor, name_scope
from .math_extra import lbeta
from .check_ops import assert_near, assert_rank_at_least, assert_same_float_dtype
from .ops import (array_ops, concat_split_ops, diag_ops, linalg_ops, logging_ops, logic_ops,
                  math_extra_ops, math_ops, random_gamma_ops, random_ops, reduction_ops,
                  softmax_ops, special_extra_ops, special_ops, transform_ops, unary_ops)

__all__ = ["Beta", "Dirichlet", "DirichletMultinomial", "Multinomial", "StudentT"]


def _positive_concentration(concentration, validate_args):
    if not validate_args:
        return concentration
    return with_dependencies([logging_ops.assert_positive(
        concentration, message="Concentration parameter must be positive.")], concentration)


class Beta(ScalarEventDistribution):
    """Beta(concentration1, concentration0), sampled as a ratio of two gamma draws."""

    _PARAM_NAMES = ("concentration1", "concentration0")

    def __init__(self, concentration1=None, concentration0=None, validate_args=False,
                 allow_nan_stats=True, name="Beta"):
        parameters = dict(locals())
        with name_scope(name, values=[concentration1, concentration0]) as name:
            self._concentration1 = _positive_concentration(
                convert_to_tensor(concentration1, name="concentration1"), validate_args)
            self._concentration0 = _positive_concentration(
                convert_to_tensor(concentration0, name="concentration0"), validate_args)
            assert_same_float_dtype([self._concentration1, self._concentration0])
            self._total_concentration = self._concentration1 + self._concentration0
        super().__init__(dtype=self._total_concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=FULLY_REPARAMETERIZED, parameters=parameters,
                         graph_parents=[self._concentration1, self._concentration0,
                                        self._total_concentration], name=name)

    concentration1 = property(lambda self: self._concentration1)
    concentration0 = property(lambda self: self._concentration0)
    total_concentration = property(lambda self: self._total_concentration)

    def _batch_parents(self):
        return [self._total_concentration]

    def _sample_n(self, n, seed=None):
        ones = array_ops.ones_like(self.total_concentration, dtype=self.dtype)
        gamma1 = random_gamma_ops.random_gamma(shape=[n], alpha=ones * self.concentration1,
                                               dtype=self.dtype, seed=seed)
        gamma2 = random_gamma_ops.random_gamma(shape=[n], alpha=ones * self.concentration0,
                                               dtype=self.dtype, seed=gen_new_seed(seed, "beta"))
        return gamma1 / (gamma1 + gamma2)

    def _log_prob(self, x):
        x = self._maybe_assert_valid_sample(x)
        unnormalized = (math_extra_ops.xlogy(self.concentration1 - 1.0, x)
                        + (self.concentration0 - 1.0) * unary_ops.log1p(-x))
        return unnormalized - self._log_normalization()

    def _prob(self, x):
        return unary_ops.exp(self._log_prob(x))

    def _cdf(self, x):
        return special_extra_ops.betainc(self.concentration1, self.concentration0, x)

    def _log_cdf(self, x):
        return unary_ops.log(self._cdf(x))

    def _log_normalization(self):
        return (special_ops.lgamma(self.concentration1) + special_ops.lgamma(self.concentration0)
                - special_ops.lgamma(self.total_concentration))

    def _entropy(self):
        digamma = special_ops.digamma
        return (self._log_normalization()
                - (self.concentration1 - 1.0) * digamma(self.concentration1)
                - (self.concentration0 - 1.0) * digamma(self.concentration0)
                + (self.total_concentration - 2.0) * digamma(self.total_concentration))

    def _mean(self):
        return self._concentration1 / self._total_concentration

    def _variance(self):
        return self._mean() * (1.0 - self._mean()) / (1.0 + self.total_concentration)

    def _mode(self):
        mode = (self.concentration1 - 1.0) / (self.total_concentration - 2.0)
        if self.allow_nan_stats:
            defined = logic_ops.logical_and(self.concentration1 > 1.0, self.concentration0 > 1.0)
            return nan_where(defined, mode, self.batch_shape_tensor(), self.dtype)
        return with_dependencies([
            assert_one_less(self.dtype, self.concentration1,
                            "Mode undefined for concentration1 <= 1."),
            assert_one_less(self.dtype, self.concentration0,
                            "Mode undefined for concentration0 <= 1.")], mode)

    def _maybe_assert_valid_sample(self, x):
        if not self.validate_args:
            return x
        return with_dependencies([
            logging_ops.assert_positive(x, message="sample must be positive"),
            logging_ops.assert_less(x, array_ops.ones([], self.dtype),
                                    message="sample must be less than `1`.")], x)


@RegisterKL(Beta, Beta)
def _kl_beta_beta(d1, d2, name=None):
    with name_scope(name, "kl_beta_beta", [d1.concentration1, d1.concentration0,
                                           d1.total_concentration, d2.concentration1,
                                           d2.concentration0, d2.total_concentration]):
        digamma = special_ops.digamma
        return (d2._log_normalization() - d1._log_normalization()
                - digamma(d1.concentration1) * (d2.concentration1 - d1.concentration1)
                - digamma(d1.concentration0) * (d2.concentration0 - d1.concentration0)
                + digamma(d1.total_concentration)
                * (d2.total_concentration - d1.total_concentration))


class StudentT(ScalarEventDistribution):
    """Student's t(df, loc, scale); reparameterized sampling ``N(0, 1) / sqrt(G / df)``."""

    _PARAM_NAMES = ("df", "loc", "scale")

    def __init__(self, df, loc, scale, validate_args=False, allow_nan_stats=True,
                 name="StudentT"):
        parameters = dict(locals())
        with name_scope(name, values=[df, loc, scale]) as name:
            checks = [logging_ops.assert_positive(df)] if validate_args else []
            self._df, self._loc, self._scale = checked_identities(
                {"df": df, "loc": loc, "scale": scale}, checks)
        super().__init__(dtype=self._scale.dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=[self._df, self._loc, self._scale], name=name)

    df = property(lambda self: self._df)
    loc = property(lambda self: self._loc)
    scale = property(lambda self: self._scale)

    def _batch_parents(self):
        return [self._df, self._loc, self._scale]

    def _ones(self):
        return array_ops.ones(self.batch_shape_tensor(), dtype=self.dtype)

    def _sample_n(self, n, seed=None):
        normal = random_ops.random_normal(self._draw_shape(n), dtype=self.dtype, seed=seed)
        df = self.df * self._ones()
        gamma = random_gamma_ops.random_gamma([n], 0.5 * df, beta=0.5, dtype=self.dtype,
                                              seed=gen_new_seed(seed, salt="student_t"))
        return normal * unary_ops.rsqrt(gamma / df) * self.scale + self.loc

    def _log_prob(self, x):
        y = (x - self.loc) / self.scale
        unnormalized = -0.5 * (self.df + 1.0) * unary_ops.log1p(y ** 2.0 / self.df)
        return unnormalized - (unary_ops.log(unary_ops.abs(self.scale))
                               + 0.5 * unary_ops.log(self.df) + 0.5 * np.log(np.pi)
                               + special_ops.lgamma(0.5 * self.df)
                               - special_ops.lgamma(0.5 * (self.df + 1.0)))

    def _cdf(self, x):
        y = (x - self.loc) / unary_ops.abs(self.scale)  # |scale|: the where below needs it
        x_t = self.df / (y ** 2.0 + self.df)
        neg_cdf = 0.5 * special_extra_ops.betainc(0.5 * self.df, 0.5, x_t)
        return logic_ops.where_v2(logic_ops.less(y, 0.0), neg_cdf, 1.0 - neg_cdf)

    def _entropy(self):
        v = self._ones()[..., None]
        beta_arg = concat_split_ops.concat([v * self.df[..., None], v], -1) / 2.0
        half_df = 0.5 * self.df
        return (unary_ops.log(unary_ops.abs(self.scale)) + 0.5 * unary_ops.log(self.df)
                + lbeta(beta_arg) + 0.5 * (self.df + 1.0)
                * (special_ops.digamma(half_df + 0.5) - special_ops.digamma(half_df)))

    def _undefined_below_one(self, value, message):
        if self.allow_nan_stats:
            return nan_where(logic_ops.greater(self.df, self._ones()), value,
                             self.batch_shape_tensor(), self.dtype)
        return with_dependencies([assert_one_less(self.dtype, self.df, message)], value)

    def _mean(self):
        return self._undefined_below_one(self.loc * self._ones(),
                                         "mean not defined for components of df <= 1")

    def _variance(self):
        denom = logic_ops.where_v2(logic_ops.greater(self.df, 2.0), self.df - 2.0,
                                   array_ops.ones_like(self.df))
        var = self._ones() * unary_ops.square(self.scale) * self.df / denom
        inf = array_ops.fill(self.batch_shape_tensor(),
                             np.array(np.inf, self.dtype.as_numpy_dtype), name="inf")
        defined = logic_ops.where_v2(
            self.df > array_ops.fill(self.batch_shape_tensor(), 2.0), var, inf)
        return self._undefined_below_one(defined,
                                         "variance not defined for components of df <= 1")

    def _mode(self):
        return array_ops.identity(self.loc)


class _VectorEvent(Distribution):
    """Distributions over the last axis of ``_shape_source()`` (its leading axes: the batch)."""

    def _batch_shape_tensor(self):
        return array_ops.shape(self._shape_source())[:-1]

    def _batch_shape(self):
        return self._shape_source().shape.with_rank_at_least(1)[:-1]

    def _event_shape_tensor(self):
        return array_ops.shape(self._shape_source())[-1:]

    def _event_shape(self):
        return self._shape_source().shape.with_rank_at_least(1)[-1:]

    def _scaled_covariance(self):
        x = self._variance_scale_term() * self._mean()
        outer = linalg_ops.matmul(x[..., None], x[..., None, :])
        return diag_ops.matrix_set_diag(-outer, self._variance())


class Dirichlet(_VectorEvent):
    """Dirichlet(concentration) over the last axis; sampled as normalized gamma draws."""

    def __init__(self, concentration, validate_args=False, allow_nan_stats=True,
                 name="Dirichlet"):
        parameters = dict(locals())
        with name_scope(name, values=[concentration]) as name:
            self._concentration = self._maybe_assert_valid_concentration(
                convert_to_tensor(concentration, name="concentration"), validate_args)
            self._total_concentration = reduction_ops.reduce_sum(self._concentration, -1)
        super().__init__(dtype=self._concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=FULLY_REPARAMETERIZED, parameters=parameters,
                         graph_parents=[self._concentration, self._total_concentration],
                         name=name)

    concentration = property(lambda self: self._concentration)
    total_concentration = property(lambda self: self._total_concentration)

    def _shape_source(self):
        return self._concentration

    def _sample_n(self, n, seed=None):
        gamma = random_gamma_ops.random_gamma(shape=[n], alpha=self.concentration,
                                              dtype=self.dtype, seed=seed)
        return gamma / reduction_ops.reduce_sum(gamma, -1, keepdims=True)

    def _log_prob(self, x):
        x = self._maybe_assert_valid_sample(x)
        unnormalized = reduction_ops.reduce_sum(
            math_extra_ops.xlogy(self.concentration - 1.0, x), -1)
        return unnormalized - lbeta(self.concentration)

    def _prob(self, x):
        return unary_ops.exp(self._log_prob(x))

    def _event_size(self):
        return math_ops.cast(self.event_shape_tensor()[0], self.dtype)

    def _entropy(self):
        k, total = self._event_size(), self.total_concentration
        return (lbeta(self.concentration) + (total - k) * special_ops.digamma(total)
                - reduction_ops.reduce_sum((self.concentration - 1.0)
                                           * special_ops.digamma(self.concentration), axis=-1))

    def _mean(self):
        return self.concentration / self.total_concentration[..., None]

    def _covariance(self):
        return self._scaled_covariance()

    def _variance(self):
        scale = self._variance_scale_term()
        x = scale * self._mean()
        return x * (scale - x)

    def _variance_scale_term(self):
        return unary_ops.rsqrt(1.0 + self.total_concentration[..., None])

    def _mode(self):
        mode = (self.concentration - 1.0) / (self.total_concentration[..., None]
                                             - self._event_size())
        if self.allow_nan_stats:
            defined = reduction_ops.reduce_all(self.concentration > 1.0, axis=-1)
            return nan_where(defined, mode, array_ops.shape(mode), self.dtype)
        return with_dependencies([assert_one_less(
            self.dtype, self.concentration, "Mode undefined when any concentration <= 1")], mode)

    @staticmethod
    def _maybe_assert_valid_concentration(concentration, validate_args):
        if not validate_args:
            return concentration
        return with_dependencies([
            logging_ops.assert_positive(concentration,
                                        message="Concentration parameter must be positive."),
            assert_rank_at_least(concentration, 1,
                                 message="Concentration parameter must have >=1 dimensions."),
            logging_ops.assert_less(1, array_ops.shape(concentration)[-1],
                                    message="Concentration parameter must have event_size >= 2.")
        ], concentration)

    def _maybe_assert_valid_sample(self, x):
        if not self.validate_args:
            return x
        return with_dependencies([
            logging_ops.assert_positive(x, message="samples must be positive"),
            assert_near(array_ops.ones([], dtype=self.dtype), reduction_ops.reduce_sum(x, -1),
                        message="sample last-dimension must sum to `1`")], x)


@RegisterKL(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(d1, d2, name=None):
    with name_scope(name, "kl_dirichlet_dirichlet", [d1.concentration, d2.concentration]):
        digamma_sum_d1 = special_ops.digamma(
            reduction_ops.reduce_sum(d1.concentration, axis=-1, keepdims=True))
        digamma_diff = special_ops.digamma(d1.concentration) - digamma_sum_d1
        concentration_diff = d1.concentration - d2.concentration
        return (reduction_ops.reduce_sum(concentration_diff * digamma_diff, axis=-1)
                - lbeta(d1.concentration) + lbeta(d2.concentration))


def _checked_counts(dist, counts, message):
    """``counts`` checked to be non-negative integers summing to ``total_count``."""
    if not dist.validate_args:
        return counts
    counts = embed_check_nonnegative_integer_form(counts)
    return with_dependencies([logging_ops.assert_equal(
        dist.total_count, reduction_ops.reduce_sum(counts, -1), message=message)], counts)


def _checked_total_count(total_count, validate_args):
    total_count = convert_to_tensor(total_count, name="total_count")
    return embed_check_nonnegative_integer_form(total_count) if validate_args else total_count


class Multinomial(_VectorEvent):
    """Multinomial(total_count, logits | probs): counts over the last axis."""

    def __init__(self, total_count, logits=None, probs=None, validate_args=False,
                 allow_nan_stats=True, name="Multinomial"):
        parameters = dict(locals())
        with name_scope(name, values=[total_count, logits, probs]) as name:
            self._total_count = _checked_total_count(total_count, validate_args)
            self._logits, self._probs = get_logits_and_probs(
                logits=logits, probs=probs, multidimensional=True, validate_args=validate_args,
                name=name)
            self._mean_val = self._total_count[..., None] * self._probs
        super().__init__(dtype=self._probs.dtype, reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=[self._total_count, self._logits, self._probs], name=name)

    total_count = property(lambda self: self._total_count)
    logits = property(lambda self: self._logits)
    probs = property(lambda self: self._probs)

    def _shape_source(self):
        return self._mean_val

    def _sample_n(self, n, seed=None):
        n_draws = math_ops.cast(self.total_count, dtype=_dt.int32)
        k = self.event_shape_tensor()[0]
        n_draws = array_ops.ones_like(self.logits[..., 0], dtype=n_draws.dtype) * n_draws
        logits = array_ops.ones_like(n_draws[..., None], dtype=self.logits.dtype) * self.logits
        flat_logits = array_ops.reshape(logits, [-1, k])
        flat_ndraws = n * array_ops.reshape(n_draws, [-1])

        def _sample_single(args):  # one batch member: its n * total_count draws, counted
            x = random_ops.multinomial(args[0][None, ...], args[1], seed)
            x = array_ops.reshape(x, shape=[n, -1])
            return reduction_ops.reduce_sum(transform_ops.one_hot(x, depth=k), axis=-2)

        x = map_fn(_sample_single, [flat_logits, flat_ndraws], dtype=self.dtype)
        x = transform_ops.transpose(x, perm=[1, 0, 2])
        return array_ops.reshape(x, concat_split_ops.concat(
            [[n], self.batch_shape_tensor(), [k]], 0))

    def _log_prob(self, counts):
        counts = _checked_counts(self, counts, "counts must sum to `self.total_count`")
        unnormalized = reduction_ops.reduce_sum(counts * softmax_ops.log_softmax(self.logits), -1)
        return unnormalized + log_combinations(self.total_count, counts)

    def _mean(self):
        return array_ops.identity(self._mean_val)

    def _broadcast_probs(self):
        return self.probs * array_ops.ones_like(self.total_count)[..., None]

    def _covariance(self):
        outer = linalg_ops.matmul(self._mean_val[..., None], self._broadcast_probs()[..., None, :])
        return diag_ops.matrix_set_diag(-outer, self._variance())

    def _variance(self):
        return self._mean_val - self._mean_val * self._broadcast_probs()


class DirichletMultinomial(_VectorEvent):
    """DirichletMultinomial(total_count, concentration): counts over the last axis."""

    def __init__(self, total_count, concentration, validate_args=False, allow_nan_stats=True,
                 name="DirichletMultinomial"):
        parameters = dict(locals())
        with name_scope(name, values=[total_count, concentration]) as name:
            self._total_count = _checked_total_count(total_count, validate_args)
            concentration = convert_to_tensor(concentration, name="concentration")
            if validate_args:
                concentration = _positive_concentration(
                    embed_check_categorical_event_shape(concentration), True)
            self._concentration = concentration
            self._total_concentration = reduction_ops.reduce_sum(self._concentration, -1)
        super().__init__(dtype=self._concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=NOT_REPARAMETERIZED, parameters=parameters,
                         graph_parents=[self._total_count, self._concentration], name=name)

    total_count = property(lambda self: self._total_count)
    concentration = property(lambda self: self._concentration)
    total_concentration = property(lambda self: self._total_concentration)

    def _shape_source(self):
        return self._concentration

    def _sample_n(self, n, seed=None):
        n_draws = math_ops.cast(self.total_count, dtype=_dt.int32)
        k = self.event_shape_tensor()[0]
        gamma = random_gamma_ops.random_gamma(shape=[n], alpha=self.concentration,
                                              dtype=self.dtype, seed=seed)
        logits = array_ops.reshape(unary_ops.log(gamma), shape=[-1, k])
        draws = random_ops.multinomial(logits=logits, num_samples=n_draws,
                                       seed=gen_new_seed(seed, salt="dirichlet_multinomial"))
        x = reduction_ops.reduce_sum(transform_ops.one_hot(draws, depth=k), -2)
        x = array_ops.reshape(x, concat_split_ops.concat([[n], self.batch_shape_tensor(), [k]],
                                                         0))
        return math_ops.cast(x, self.dtype)

    def _log_prob(self, counts):
        counts = _checked_counts(self, counts,
                                 "counts last-dimension must sum to `self.total_count`")
        ordered = lbeta(self.concentration + counts) - lbeta(self.concentration)
        return ordered + log_combinations(self.total_count, counts)

    def _prob(self, counts):
        return unary_ops.exp(self._log_prob(counts))

    def _mean(self):
        return self.total_count * (self.concentration / self.total_concentration[..., None])

    def _covariance(self):
        return self._scaled_covariance()

    def _variance(self):
        scale = self._variance_scale_term()
        x = scale * self._mean()
        return x * (self.total_count * scale - x)

    def _variance_scale_term(self):
        c0 = self.total_concentration[..., None]
        return unary_ops.sqrt((1.0 + c0 / self.total_count) / (1.0 + c0))
