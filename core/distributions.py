"""TF1's ``tf.distributions`` (``tf.compat.v1.distributions``), composed from minitf ops as TF1
composes them: each distribution's name scopes, parameter broadcasting, ``validate_args``
assertions with TF's messages and ``allow_nan_stats`` behaviour. This module holds Normal,
Uniform, Laplace, Bernoulli and Categorical and re-exports the rest: the base class,
``kl_divergence``, ``RegisterKL`` and Gamma live in ``distributions_more.py`` (Exponential, a
Gamma, is here: its cdf 1 - exp(-rate x) is exact without Igamma); Beta,
Dirichlet, Multinomial, DirichletMultinomial and StudentT in ``distributions_multi.py``; TF's
util / special_math helpers in ``distributions_util.py``."""

from __future__ import annotations

import math

import numpy as np

from . import composites, nn_impl
from . import dtypes as _dt
from .distributions_more import (FULLY_REPARAMETERIZED, NOT_REPARAMETERIZED, Distribution,
                                 Gamma, RegisterKL, ReparameterizationType,
                                 ScalarEventDistribution, kl_divergence)
from .distributions_multi import Beta, Dirichlet, DirichletMultinomial, Multinomial, StudentT
from .distributions_util import (checked_identities, embed_check_categorical_event_shape,
                                 embed_check_integer_casting_closed, get_logits_and_probs,
                                 log_cdf_laplace, log_ndtr, ndtr, ndtri)
from .graph import convert_to_tensor, name_scope
from .ops import (array_ops, concat_split_ops, logging_ops, logic_ops, math_ops, random_ops,
                  reduction_ops, softmax_ops, transform_ops, unary_ops)
from .ops.array_extra_ops import broadcast_dynamic_shape
from .ops.nn_ops import softplus
from .tensor_shape import TensorShape

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "DirichletMultinomial",
           "Distribution", "Exponential", "FULLY_REPARAMETERIZED", "Gamma", "Laplace",
           "Multinomial", "NOT_REPARAMETERIZED", "Normal", "RegisterKL",
           "ReparameterizationType", "StudentT", "Uniform", "kl_divergence"]


class Normal(ScalarEventDistribution):
    """N(loc, scale); reparameterized sampling ``loc + scale * N(0, 1)``."""

    _PARAM_NAMES = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Normal"):
        parameters = dict(locals())
        with name_scope(name, values=[loc, scale]) as name:
            checks = [logging_ops.assert_positive(scale)] if validate_args else []
            self._loc, self._scale = checked_identities({"loc": loc, "scale": scale}, checks)
        super().__init__(dtype=self._scale.dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._loc, self._scale], name=name)

    loc = property(lambda self: self._loc)
    scale = property(lambda self: self._scale)

    def _batch_parents(self):
        return [self.loc, self.scale]

    def _sample_n(self, n, seed=None):
        sampled = random_ops.random_normal(self._draw_shape(n), mean=0.0, stddev=1.0,
                                           dtype=self.loc.dtype, seed=seed)
        return sampled * self.scale + self.loc

    def _log_prob(self, x):
        return -0.5 * unary_ops.square(self._z(x)) - self._log_normalization()

    def _log_cdf(self, x):
        return log_ndtr(self._z(x))

    def _cdf(self, x):
        return ndtr(self._z(x))

    def _log_survival_function(self, x):
        return log_ndtr(-self._z(x))

    def _survival_function(self, x):
        return ndtr(-self._z(x))

    def _log_normalization(self):
        return 0.5 * math.log(2.0 * math.pi) + unary_ops.log(self.scale)

    def _entropy(self):
        scale = self.scale * array_ops.ones_like(self.loc)
        return 0.5 * math.log(2.0 * math.pi * math.e) + unary_ops.log(scale)

    def _mean(self):
        return self.loc * array_ops.ones_like(self.scale)

    def _quantile(self, p):
        # TF's special_math.ndtri (-inf / inf outside (0, 1)), not the Ndtri op (nan there)
        z = ndtri(p)
        with name_scope("reconstruct", values=[z]):
            return z * self.scale + self.loc

    def _stddev(self):
        return self.scale * array_ops.ones_like(self.loc)

    def _mode(self):
        return self._mean()

    def _z(self, x):
        with name_scope("standardize", values=[x]):
            return (x - self.loc) / self.scale


@RegisterKL(Normal, Normal)
def _kl_normal_normal(n_a, n_b, name=None):
    with name_scope(name, "kl_normal_normal", [n_a.loc, n_b.loc]):
        one, two, half = (array_ops.constant(v, dtype=n_a.dtype) for v in (1, 2, 0.5))
        s_a_squared, s_b_squared = unary_ops.square(n_a.scale), unary_ops.square(n_b.scale)
        ratio = s_a_squared / s_b_squared
        return (math_ops.squared_difference(n_a.loc, n_b.loc) / (two * s_b_squared)
                + half * (ratio - one - unary_ops.log(ratio)))


class Uniform(ScalarEventDistribution):
    """Uniform on [low, high); reparameterized sampling ``low + (high - low) * U(0, 1)``."""

    _PARAM_NAMES = ("low", "high")

    def __init__(self, low=0.0, high=1.0, validate_args=False, allow_nan_stats=True,
                 name="Uniform"):
        parameters = dict(locals())
        with name_scope(name, values=[low, high]) as name:
            checks = ([logging_ops.assert_less(low, high, message="uniform not defined when "
                                               "low >= high.")] if validate_args else [])
            self._low, self._high = checked_identities({"low": low, "high": high}, checks)
        super().__init__(dtype=self._low.dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._low, self._high], name=name)

    low = property(lambda self: self._low)
    high = property(lambda self: self._high)

    def _batch_parents(self):
        return [self.low, self.high]

    def range(self, name="range"):
        """``high - low``."""
        with self._name_scope(name):
            return self.high - self.low

    def _sample_n(self, n, seed=None):
        samples = random_ops.random_uniform(self._draw_shape(n), dtype=self.dtype, seed=seed)
        return self.low + self.range() * samples

    def _prob(self, x):
        x = x * array_ops.ones(self.batch_shape_tensor(), dtype=x.dtype)
        outside = logic_ops.logical_or(x < self.low, x >= self.high)
        density = logic_ops.where_v2(outside, array_ops.zeros_like(x),
                                     array_ops.ones_like(x) / self.range())
        return logic_ops.where_v2(logic_ops.is_nan(x), x, density)

    def _cdf(self, x):
        shape = broadcast_dynamic_shape(array_ops.shape(x), self.batch_shape_tensor())
        zeros = array_ops.zeros(shape, dtype=self.dtype)
        ones = array_ops.ones(shape, dtype=self.dtype)
        below = logic_ops.where_v2(x < self.low, zeros, (x * ones - self.low) / self.range())
        return logic_ops.where_v2(x >= self.high, ones, below)

    def _entropy(self):
        return unary_ops.log(self.range())

    def _mean(self):
        return (self.low + self.high) / 2.0

    def _variance(self):
        return unary_ops.square(self.range()) / 12.0

    def _stddev(self):
        return self.range() / math.sqrt(12.0)


class Laplace(ScalarEventDistribution):
    """Laplace(loc, scale); reparameterized sampling by the inverse CDF of U(-1, 1)."""

    _PARAM_NAMES = ("loc", "scale")

    def __init__(self, loc, scale, validate_args=False, allow_nan_stats=True, name="Laplace"):
        parameters = dict(locals())
        with name_scope(name, values=[loc, scale]) as name:
            checks = [logging_ops.assert_positive(scale)] if validate_args else []
            self._loc, self._scale = checked_identities({"loc": loc, "scale": scale}, checks)
            super().__init__(dtype=self._loc.dtype,
                             reparameterization_type=FULLY_REPARAMETERIZED,
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             parameters=parameters, graph_parents=[self._loc, self._scale],
                             name=name)

    loc = property(lambda self: self._loc)
    scale = property(lambda self: self._scale)

    def _batch_parents(self):
        return [self.loc, self.scale]

    def _sample_n(self, n, seed=None):
        np_dtype = self.dtype.as_numpy_dtype
        u = random_ops.random_uniform(self._draw_shape(n),
                                      minval=np.nextafter(np_dtype(-1.0), np_dtype(0.0)),
                                      maxval=1.0, dtype=self.dtype, seed=seed)
        return self.loc - self.scale * unary_ops.sign(u) * unary_ops.log1p(-unary_ops.abs(u))

    def _log_prob(self, x):
        return -unary_ops.abs(self._z(x)) - (math.log(2.0) + unary_ops.log(self.scale))

    def _prob(self, x):
        return unary_ops.exp(self._log_prob(x))

    def _log_cdf(self, x):
        return log_cdf_laplace(self._z(x))

    def _log_survival_function(self, x):
        return log_cdf_laplace(-self._z(x))

    def _cdf(self, x):
        z = self._z(x)
        return 0.5 + 0.5 * unary_ops.sign(z) * (1.0 - unary_ops.exp(-unary_ops.abs(z)))

    def _entropy(self):
        return math.log(2.0) + 1.0 + unary_ops.log(self.scale + array_ops.zeros_like(self.loc))

    def _mean(self):
        return self.loc + array_ops.zeros_like(self.scale)

    def _stddev(self):
        return math.sqrt(2.0) * self.scale + array_ops.zeros_like(self.loc)

    def _mode(self):
        return self._mean()

    def _z(self, x):
        return (x - self.loc) / self.scale


class Bernoulli(ScalarEventDistribution):
    """Bernoulli from ``logits`` or ``probs``; samples of ``dtype`` (int32)."""

    _PARAM_NAMES = ("logits",)

    def __init__(self, logits=None, probs=None, dtype=_dt.int32, validate_args=False,
                 allow_nan_stats=True, name="Bernoulli"):
        parameters = dict(locals())
        with name_scope(name) as name:
            self._logits, self._probs = get_logits_and_probs(
                logits=logits, probs=probs, validate_args=validate_args, name=name)
        super().__init__(dtype=_dt.as_dtype(dtype), reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._logits, self._probs],
                         name=name)

    logits = property(lambda self: self._logits)
    probs = property(lambda self: self._probs)

    def _batch_parents(self):
        return [self._logits]

    def _sample_n(self, n, seed=None):
        uniform = random_ops.random_uniform(self._draw_shape(n), seed=seed,
                                            dtype=self.probs.dtype)
        return math_ops.cast(logic_ops.less(uniform, self.probs), self.dtype)

    def _log_prob(self, event):
        if self.validate_args:
            event = embed_check_integer_casting_closed(event, target_dtype=_dt.bool)
        event = math_ops.cast(event, self.logits.dtype)
        logits = self.logits
        if not (event.shape.is_fully_defined() and logits.shape.is_fully_defined()
                and event.shape == logits.shape):
            logits, event = (array_ops.ones_like(event) * logits,
                             array_ops.ones_like(logits) * event)
        return -nn_impl.sigmoid_cross_entropy_with_logits(labels=event, logits=logits)

    def _entropy(self):
        return -self.logits * (unary_ops.sigmoid(self.logits) - 1) + softplus(-self.logits)

    def _mean(self):
        return array_ops.identity(self.probs)

    def _variance(self):
        return self._mean() * (1.0 - self.probs)

    def _mode(self):
        return math_ops.cast(self.probs > 0.5, self.dtype)


@RegisterKL(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(a, b, name=None):
    with name_scope(name, "kl_bernoulli_bernoulli", [a.logits, b.logits]):
        delta_probs0 = softplus(-b.logits) - softplus(-a.logits)
        delta_probs1 = softplus(b.logits) - softplus(a.logits)
        return (unary_ops.sigmoid(a.logits) * delta_probs0
                + unary_ops.sigmoid(-a.logits) * delta_probs1)


def _broadcast_cat_event_and_params(event, params, base_dtype):
    """Event and params broadcast against each other (params keep their last axis)."""
    if event.dtype.is_floating:
        event = math_ops.cast(event, _dt.int32)
    elif not event.dtype.is_integer:
        raise TypeError(f"`value` should have integer `dtype` or `self.dtype` ({base_dtype})")
    static = (params.shape.ndims is not None and params.shape[:-1].is_fully_defined()
              and event.shape.is_fully_defined())
    if not static or params.shape[:-1] != event.shape:
        params *= array_ops.ones_like(event[..., None], dtype=params.dtype)
        event *= array_ops.ones(array_ops.shape(params)[:-1], dtype=event.dtype)
        if params.shape.ndims is not None:
            event.set_shape(TensorShape(params.shape[:-1]))
    return event, params


class Categorical(Distribution):
    """Categorical over the last axis of ``logits`` or ``probs``; scalar events of ``dtype``."""

    def __init__(self, logits=None, probs=None, dtype=_dt.int32, validate_args=False,
                 allow_nan_stats=True, name="Categorical"):
        parameters = dict(locals())
        with name_scope(name, values=[logits, probs]) as name:
            self._logits, self._probs = get_logits_and_probs(
                logits=logits, probs=probs, validate_args=validate_args, multidimensional=True,
                name=name)
            if validate_args:
                self._logits = embed_check_categorical_event_shape(self._logits)
            static = self._logits.shape.with_rank_at_least(1)
            if static.ndims is not None:
                self._batch_rank = convert_to_tensor(static.ndims - 1, dtype=_dt.int32,
                                                     name="batch_rank")
            else:  # unknown rank (TF's too): the batch rank is known at run time only
                with name_scope("batch_rank"):
                    self._batch_rank = array_ops.rank(self._logits) - 1
            logits_shape = array_ops.shape(self._logits, name="logits_shape")
            if static[-1].value is not None:
                self._event_size = convert_to_tensor(static[-1].value, dtype=_dt.int32,
                                                     name="event_size")
            else:
                with name_scope("event_size"):
                    self._event_size = logits_shape[self._batch_rank]
            if static[:-1].is_fully_defined():
                self._batch_shape_val = array_ops.constant(static[:-1].as_list(),
                                                           dtype=_dt.int32, name="batch_shape")
            else:
                with name_scope("batch_shape"):
                    self._batch_shape_val = logits_shape[:-1]
        super().__init__(dtype=_dt.as_dtype(dtype), reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=[self._logits, self._probs],
                         name=name)

    event_size = property(lambda self: self._event_size)
    logits = property(lambda self: self._logits)
    probs = property(lambda self: self._probs)

    def _batch_shape_tensor(self):
        return array_ops.identity(self._batch_shape_val)

    def _batch_shape(self):
        return self.logits.shape[:-1]

    def _event_shape_tensor(self):
        return array_ops.constant([], dtype=_dt.int32)

    def _event_shape(self):
        return TensorShape([])

    def _sample_n(self, n, seed=None):
        logits_2d = (self.logits if self.logits.shape.ndims == 2
                     else array_ops.reshape(self.logits, [-1, self.event_size]))
        sample_dtype = _dt.int64 if self.dtype.size > 4 else _dt.int32
        draws = random_ops.multinomial(logits_2d, n, seed=seed, output_dtype=sample_dtype)
        draws = array_ops.reshape(transform_ops.transpose(draws), concat_split_ops.concat(
            [[n], self.batch_shape_tensor()], 0))
        return math_ops.cast(draws, self.dtype)

    def _checked_k(self, k):
        k = convert_to_tensor(k, name="k")
        if self.validate_args:
            k = embed_check_integer_casting_closed(k, target_dtype=_dt.int32)
        return k

    def _cdf(self, k):
        k, probs = _broadcast_cat_event_and_params(self._checked_k(k), self.probs, self.dtype)
        flat_probs = array_ops.reshape(probs, (-1, self._event_size))
        flat_k = array_ops.reshape(k, [-1])
        to_sum = logic_ops.where(composites.sequence_mask(flat_k, self._event_size),
                                 flat_probs, array_ops.zeros_like(flat_probs))
        return array_ops.reshape(reduction_ops.reduce_sum(to_sum, axis=-1), array_ops.shape(k))

    def _log_prob(self, k):
        k, logits = _broadcast_cat_event_and_params(self._checked_k(k), self.logits, self.dtype)
        return -softmax_ops.sparse_softmax_cross_entropy_with_logits(labels=k, logits=logits)

    def _entropy(self):
        return -reduction_ops.reduce_sum(softmax_ops.log_softmax(self.logits) * self.probs,
                                         axis=-1)

    def _mode(self):
        ret = math_ops.cast(reduction_ops.argmax(self.logits, axis=self._batch_rank),
                            self.dtype)
        ret.set_shape(self.batch_shape)
        return ret


@RegisterKL(Categorical, Categorical)
def _kl_categorical_categorical(a, b, name=None):
    with name_scope(name, "kl_categorical_categorical", [a.logits, b.logits]):
        delta = softmax_ops.log_softmax(a.logits) - softmax_ops.log_softmax(b.logits)
        return reduction_ops.reduce_sum(softmax_ops.softmax(a.logits) * delta, axis=-1)


class Exponential(Gamma):
    """Exponential(rate): Gamma(1, rate), sampled as ``-log(U) / rate``."""

    _PARAM_NAMES = ("rate",)

    def __init__(self, rate, validate_args=False, allow_nan_stats=True, name="Exponential"):
        parameters = dict(locals())
        with name_scope(name, values=[rate]) as name:
            self._rate = convert_to_tensor(rate, name="rate")
        super().__init__(concentration=array_ops.ones([], dtype=self._rate.dtype),
                         rate=self._rate, allow_nan_stats=allow_nan_stats,
                         validate_args=validate_args, name=name)
        self._parameters = parameters
        self._graph_parents += [self._rate]

    def _log_survival_function(self, value):
        return self._log_prob(value) - unary_ops.log(self._rate)

    def _sample_n(self, n, seed=None):
        shape = concat_split_ops.concat([[n], array_ops.shape(self._rate)], 0)
        sampled = random_ops.random_uniform(shape, minval=np.finfo(self.dtype.as_numpy_dtype).tiny,
                                            maxval=1.0, seed=seed, dtype=self.dtype)
        return -unary_ops.log(sampled) / self._rate
