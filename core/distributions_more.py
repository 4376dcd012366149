"""``tf.distributions`` (TF1), part two: the ``Distribution`` base class (shapes, sampling,
probabilities and statistics under TF's name scopes, with TF's fallbacks between methods), the
reparameterization constants, ``kl_divergence`` / ``cross_entropy`` with the ``RegisterKL``
registry, and Gamma (re-exported by ``core/distributions.py``)."""

from __future__ import annotations

import contextlib

import numpy as np

from . import array_extra, check_ops
from . import dtypes as _dt
from .distributions_util import assert_one_less, checked_identities, nan_where, with_dependencies
from .graph import Tensor, constant_value, control_dependencies, convert_to_tensor, name_scope
from .ops import (array_extra_ops, array_ops, concat_split_ops, logging_ops, logic_ops,
                  math_extra_ops, random_gamma_ops, reduction_ops,
                  special_extra_ops, special_ops, unary_ops)
from .tensor_shape import TensorShape, as_shape


class ReparameterizationType:
    """Whether samples are differentiable functions of the parameters; compared by identity."""

    def __init__(self, rep_type):
        self._rep_type = rep_type

    def __repr__(self):
        return f"<Reparameterization Type: {self._rep_type}>"

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__


FULLY_REPARAMETERIZED = ReparameterizationType("FULLY_REPARAMETERIZED")
NOT_REPARAMETERIZED = ReparameterizationType("NOT_REPARAMETERIZED")


# --- the base class ---------------------------------------------------------------------------

def _value_tensor(value, dtype):
    """The argument of log_prob & co: a tensor, of the distribution's dtype when converting."""
    if isinstance(value, Tensor):
        return value
    try:
        return convert_to_tensor(value, name="value", dtype=dtype)
    except (TypeError, ValueError):
        return convert_to_tensor(value, name="value")


def _fallback(primary, secondary, transform):
    """TF's pattern: call ``primary``; if not implemented, ``transform(secondary())``."""
    try:
        return primary()
    except NotImplementedError as original:
        try:
            return transform(secondary())
        except NotImplementedError:
            raise original from None


class Distribution:
    """TF1's ``tf.distributions.Distribution``: shapes, sampling and statistics built as graph
    ops under ``<name>/<method>/`` scopes. Subclasses implement the ``_method`` hooks."""

    def __init__(self, dtype, reparameterization_type, validate_args, allow_nan_stats,
                 parameters=None, graph_parents=None, name=None):
        graph_parents = [] if graph_parents is None else graph_parents
        for i, t in enumerate(graph_parents):
            if t is None or not isinstance(t, Tensor):
                raise ValueError(f"Graph parent item {i} is not a Tensor; {t}.")
        if not name or name[-1] != "/":  # a unique scope name, as TF takes it
            with name_scope(name or type(self).__name__) as name:
                pass
        self._dtype = dtype
        self._reparameterization_type = reparameterization_type
        self._allow_nan_stats = allow_nan_stats
        self._validate_args = validate_args
        self._parameters = parameters or {}
        self._graph_parents = graph_parents
        self._name = name

    @property
    def _parameters(self):
        return self._parameter_dict

    @_parameters.setter
    def _parameters(self, value):
        self._parameter_dict = {k: v for k, v in value.items() if k != "self"}

    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)
    reparameterization_type = property(lambda self: self._reparameterization_type)
    allow_nan_stats = property(lambda self: self._allow_nan_stats)
    validate_args = property(lambda self: self._validate_args)

    @property
    def parameters(self):
        return {k: v for k, v in self._parameters.items()
                if not k.startswith("__") and k != "self"}

    def copy(self, **override_parameters_kwargs):
        """A new distribution of this type with these parameters, some overridden."""
        return type(self)(**dict(self.parameters, **override_parameters_kwargs))

    @classmethod
    def param_shapes(cls, sample_shape, name="DistributionParamShapes"):
        with name_scope(name, values=[sample_shape]):
            return cls._param_shapes(sample_shape)

    @classmethod
    def param_static_shapes(cls, sample_shape):
        """param_shapes as TensorShapes, for a fully defined ``sample_shape``."""
        if isinstance(sample_shape, TensorShape):
            if not sample_shape.is_fully_defined():
                raise ValueError("TensorShape sample_shape must be fully defined")
            sample_shape = sample_shape.as_list()
        shapes = {k: constant_value(v) for k, v in cls.param_shapes(sample_shape).items()}
        if any(v is None for v in shapes.values()):
            raise ValueError("sample_shape must be a fully-defined TensorShape or list/tuple")
        return {k: TensorShape(v.tolist()) for k, v in shapes.items()}

    _PARAM_NAMES: tuple = ()  # the parameters shaped like a sample, for param_shapes

    @classmethod
    def _param_shapes(cls, sample_shape):
        if not cls._PARAM_NAMES:
            raise NotImplementedError("_param_shapes not implemented")
        shape = convert_to_tensor(sample_shape, dtype=_dt.int32)
        return {k: shape for k in cls._PARAM_NAMES}

    @contextlib.contextmanager
    def _name_scope(self, name=None, values=None):
        with name_scope(self.name):
            with name_scope(name, values=(values or []) + self._graph_parents) as scope:
                yield scope

    # shapes
    def _batch_shape(self):
        return TensorShape(None)

    def _event_shape(self):
        return TensorShape(None)

    @property
    def batch_shape(self):
        return as_shape(self._batch_shape())

    @property
    def event_shape(self):
        return as_shape(self._event_shape())

    def _shape_tensor(self, method, static, name, label):
        with self._name_scope(name):
            if static.is_fully_defined():
                return convert_to_tensor(static.as_list(), dtype=_dt.int32, name=label)
            return method()

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        return self._shape_tensor(self._batch_shape_tensor, self.batch_shape, name, "batch_shape")

    def event_shape_tensor(self, name="event_shape_tensor"):
        return self._shape_tensor(self._event_shape_tensor, self.event_shape, name, "event_shape")

    def _batch_shape_tensor(self):
        raise NotImplementedError(f"batch_shape_tensor is not implemented: {type(self).__name__}")

    def _event_shape_tensor(self):
        raise NotImplementedError(f"event_shape_tensor is not implemented: {type(self).__name__}")

    def _is_scalar(self, name, static, dynamic_fn):
        with self._name_scope(name):
            if static.ndims is None:  # decided at run time: is the shape vector empty?
                return logic_ops.equal(array_ops.shape(dynamic_fn())[0], 0, name=name)
            return convert_to_tensor(static.ndims == 0, name=name)

    def is_scalar_event(self, name="is_scalar_event"):
        return self._is_scalar(name, self.event_shape, self.event_shape_tensor)

    def is_scalar_batch(self, name="is_scalar_batch"):
        return self._is_scalar(name, self.batch_shape, self.batch_shape_tensor)

    # sampling
    def sample(self, sample_shape=(), seed=None, name="sample"):
        """Samples of shape ``sample_shape + batch_shape + event_shape``."""
        with self._name_scope(name, values=[sample_shape]):
            sample_shape = convert_to_tensor(sample_shape, dtype=_dt.int32, name="sample_shape")
            sample_shape, n = self._expand_sample_shape_to_vector(sample_shape, "sample_shape")
            samples = self._sample_n(n, seed)
            batch_event_shape = array_ops.shape(samples)[1:]
            final_shape = concat_split_ops.concat([sample_shape, batch_event_shape], 0)
            samples = array_ops.reshape(samples, final_shape)
            return self._set_sample_static_shape(samples, sample_shape)

    def _sample_n(self, n, seed=None):
        raise NotImplementedError(f"sample_n is not implemented: {type(self).__name__}")

    def _expand_sample_shape_to_vector(self, x, name):
        static = constant_value(x)
        prod = (reduction_ops.reduce_prod(x) if static is None
                else np.prod(static, dtype=x.dtype.as_numpy_dtype))
        if x.shape.ndims is None:
            raise ValueError("sample_shape must have a known rank.")
        if x.shape.ndims == 0:
            x = (convert_to_tensor(np.array([static], x.dtype.as_numpy_dtype), name=name)
                 if static is not None else array_ops.reshape(x, [1]))
        elif x.shape.ndims != 1:
            raise ValueError("Input is neither scalar nor vector.")
        return x, prod

    def _set_sample_static_shape(self, x, sample_shape):
        """Merge what is known statically of sample, batch and event shapes into x's shape."""
        static = constant_value(sample_shape)
        sample = TensorShape(None if static is None else static.tolist())
        if sample.ndims is None or self.batch_shape.ndims is None or \
                self.event_shape.ndims is None:
            return x
        x.set_shape(sample.concatenate(self.batch_shape).concatenate(self.event_shape))
        return x

    # probabilities
    def _call(self, name, value, primary, secondary, transform):
        with self._name_scope(name, values=[value]):
            value = _value_tensor(value, self.dtype)
            return _fallback(lambda: primary(value), lambda: secondary(value), transform)

    def log_prob(self, value, name="log_prob"):
        return self._call(name, value, self._log_prob, self._prob, unary_ops.log)

    def prob(self, value, name="prob"):
        return self._call(name, value, self._prob, self._log_prob, unary_ops.exp)

    def log_cdf(self, value, name="log_cdf"):
        return self._call(name, value, self._log_cdf, self._cdf, unary_ops.log)

    def cdf(self, value, name="cdf"):
        return self._call(name, value, self._cdf, self._log_cdf, unary_ops.exp)

    def log_survival_function(self, value, name="log_survival_function"):
        return self._call(name, value, self._log_survival_function, self.cdf,
                          lambda c: unary_ops.log1p(-c))

    def survival_function(self, value, name="survival_function"):
        return self._call(name, value, self._survival_function, self.cdf, lambda c: 1.0 - c)

    def quantile(self, value, name="quantile"):
        with self._name_scope(name, values=[value]):
            return self._quantile(_value_tensor(value, self.dtype))

    # statistics
    def entropy(self, name="entropy"):
        with self._name_scope(name):
            return self._entropy()

    def mean(self, name="mean"):
        with self._name_scope(name):
            return self._mean()

    def mode(self, name="mode"):
        with self._name_scope(name):
            return self._mode()

    def covariance(self, name="covariance"):
        with self._name_scope(name):
            return self._covariance()

    def variance(self, name="variance"):
        with self._name_scope(name):
            return _fallback(self._variance, self._stddev, unary_ops.square)

    def stddev(self, name="stddev"):
        with self._name_scope(name):
            return _fallback(self._stddev, self._variance, unary_ops.sqrt)

    def cross_entropy(self, other, name="cross_entropy"):
        with self._name_scope(name):
            return cross_entropy(self, other, allow_nan_stats=self.allow_nan_stats)

    def kl_divergence(self, other, name="kl_divergence"):
        with self._name_scope(name):
            return kl_divergence(self, other, allow_nan_stats=self.allow_nan_stats)

    def __str__(self):
        batch = f", batch_shape={self.batch_shape}" if self.batch_shape.ndims is not None else ""
        event = f", event_shape={self.event_shape}" if self.event_shape.ndims is not None else ""
        return (f'tfp.distributions.{type(self).__name__}("{self.name}"{batch}{event}, '
                f"dtype={self.dtype.name})")

    def __repr__(self):
        return (f"<tfp.distributions.{type(self).__name__} '{self.name}' batch_shape="
                f"{self.batch_shape} event_shape={self.event_shape} dtype={self.dtype.name}>")


def _not_implemented(method):
    def hook(self, *args):
        raise NotImplementedError(f"{method} is not implemented: {type(self).__name__}")
    return hook


for _method in ("log_prob", "prob", "log_cdf", "cdf", "log_survival_function",
                "survival_function", "quantile", "entropy", "mean", "mode", "covariance",
                "variance", "stddev"):
    setattr(Distribution, "_" + _method, _not_implemented(_method))


# --- KL divergence ----------------------------------------------------------------------------

_DIVERGENCES: dict = {}


def _registered_kl(type_a, type_b):
    """The KL function registered for the closest pair of ancestors (sum of MRO distances)."""
    best, kl_fn = None, None
    for dist_a, parent_a in enumerate(type_a.__mro__):
        for dist_b, parent_b in enumerate(type_b.__mro__):
            candidate = _DIVERGENCES.get((parent_a, parent_b))
            if candidate is not None and (kl_fn is None or dist_a + dist_b < best):
                best, kl_fn = dist_a + dist_b, candidate
    return kl_fn


def kl_divergence(distribution_a, distribution_b, allow_nan_stats=True, name=None):
    """KL(a || b) by the registered function; with ``allow_nan_stats=False`` the result is
    checked for NaN by an Assert."""
    kl_fn = _registered_kl(type(distribution_a), type(distribution_b))
    if kl_fn is None:
        raise NotImplementedError(
            "No KL(distribution_a || distribution_b) registered for distribution_a type "
            f"{type(distribution_a).__name__} and distribution_b type "
            f"{type(distribution_b).__name__}")
    with name_scope("KullbackLeibler"):
        kl_t = kl_fn(distribution_a, distribution_b, name=name)
        if allow_nan_stats:
            return kl_t
        kl_t = array_ops.identity(kl_t, name="kl")
        no_nan = logic_ops.logical_not(reduction_ops.reduce_any(logic_ops.is_nan(kl_t)))
        message = (f"KL calculation between {distribution_a.name} and {distribution_b.name} "
                   "returned NaN values (and was called with allow_nan_stats=False). Values:")
        with control_dependencies([logging_ops.Assert(no_nan, [message, kl_t])]):
            return array_ops.identity(kl_t, name="checked_kl")


def cross_entropy(ref, other, allow_nan_stats=True, name=None):
    """H[ref, other] = entropy(ref) + KL(ref || other)."""
    with name_scope(name, "cross_entropy"):
        return ref.entropy() + kl_divergence(ref, other, allow_nan_stats=allow_nan_stats)


class RegisterKL:
    """Decorator registering ``kl_fn(a, b, name=None)`` for a pair of distribution classes."""

    def __init__(self, dist_cls_a, dist_cls_b):
        self._key = (dist_cls_a, dist_cls_b)

    def __call__(self, kl_fn):
        if not callable(kl_fn):
            raise TypeError(f"kl_fn must be callable, received: {kl_fn}")
        if self._key in _DIVERGENCES:
            raise ValueError(f"KL({self._key[0].__name__} || {self._key[1].__name__}) has "
                             f"already been registered to: {_DIVERGENCES[self._key]}")
        _DIVERGENCES[self._key] = kl_fn
        return kl_fn


class ScalarEventDistribution(Distribution):
    """Scalar events; batch shape the broadcast of the tensors ``_batch_parents()`` gives."""

    def _batch_shape_tensor(self):
        shapes = [array_ops.shape(p) for p in self._batch_parents()]
        result = shapes[-1]
        for s in reversed(shapes[:-1]):
            result = array_extra_ops.broadcast_dynamic_shape(s, result)
        return result

    def _batch_shape(self):
        shapes = [p.shape for p in self._batch_parents()]
        result = shapes[-1]
        for s in reversed(shapes[:-1]):
            result = array_extra.broadcast_static_shape(s, result)
        return result

    def _event_shape_tensor(self):
        return array_ops.constant([], dtype=_dt.int32)

    def _event_shape(self):
        return TensorShape([])

    def _draw_shape(self, n):
        return concat_split_ops.concat([[n], self.batch_shape_tensor()], 0)


class Gamma(ScalarEventDistribution):
    """Gamma(concentration, rate); reparameterized sampling by tf.random.gamma's implicit
    gradient."""

    _PARAM_NAMES = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args=False, allow_nan_stats=True,
                 name="Gamma"):
        parameters = dict(locals())
        with name_scope(name, values=[concentration, rate]) as name:
            checks = ([logging_ops.assert_positive(concentration),
                       logging_ops.assert_positive(rate)] if validate_args else [])
            self._concentration, self._rate = checked_identities(
                {"concentration": concentration, "rate": rate}, checks)
        super().__init__(dtype=self._concentration.dtype, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats,
                         reparameterization_type=FULLY_REPARAMETERIZED, parameters=parameters,
                         graph_parents=[self._concentration, self._rate], name=name)

    concentration = property(lambda self: self._concentration)
    rate = property(lambda self: self._rate)

    def _batch_parents(self):
        return [self._concentration, self._rate]

    def _sample_n(self, n, seed=None):
        return random_gamma_ops.random_gamma(shape=[n], alpha=self.concentration,
                                             beta=self.rate, dtype=self.dtype, seed=seed)

    def _log_prob(self, x):
        x = self._maybe_assert_valid_sample(x)
        unnormalized = (math_extra_ops.xlogy(self.concentration - 1.0, x) - self.rate * x)
        return unnormalized - (special_ops.lgamma(self.concentration)
                               - self.concentration * unary_ops.log(self.rate))

    def _cdf(self, x):
        x = self._maybe_assert_valid_sample(x)
        # igamma is the regularized incomplete gamma function: the cdf.
        return special_extra_ops.igamma(self.concentration, self.rate * x)

    def _entropy(self):
        c = self.concentration
        return (c - unary_ops.log(self.rate) + special_ops.lgamma(c)
                + (1.0 - c) * special_ops.digamma(c))

    def _mean(self):
        return self.concentration / self.rate

    def _variance(self):
        return self.concentration / unary_ops.square(self.rate)

    def _stddev(self):
        return unary_ops.sqrt(self.concentration) / self.rate

    def _mode(self):
        mode = (self.concentration - 1.0) / self.rate
        if self.allow_nan_stats:
            return nan_where(self.concentration > 1.0, mode, self.batch_shape_tensor(),
                             self.dtype)
        return with_dependencies([assert_one_less(
            self.dtype, self.concentration, "mode not defined when any concentration <= 1")],
            mode)

    def _maybe_assert_valid_sample(self, x):
        check_ops.assert_same_float_dtype(tensors=[x], dtype=self.dtype)
        if not self.validate_args:
            return x
        return with_dependencies([logging_ops.assert_positive(x)], x)


@RegisterKL(Gamma, Gamma)
def _kl_gamma_gamma(g0, g1, name=None):
    with name_scope(name, "kl_gamma_gamma", [g0.concentration, g0.rate, g1.concentration,
                                             g1.rate]):
        return ((g0.concentration - g1.concentration) * special_ops.digamma(g0.concentration)
                + special_ops.lgamma(g1.concentration) - special_ops.lgamma(g0.concentration)
                + g1.concentration * unary_ops.log(g0.rate)
                - g1.concentration * unary_ops.log(g1.rate)
                + g0.concentration * (g1.rate / g0.rate - 1.0))
