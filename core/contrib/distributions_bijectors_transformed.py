"""``TransformedDistribution`` (TF 1.15's ``tf.contrib.distributions.TransformedDistribution``)
on minitf's Distribution base: ``Y = g(X)`` for a base distribution of ``X`` and a bijector
``g``; ``sample`` is ``g(x)`` and ``log_prob(y) = log p_X(g^{-1}(y)) + log|det J_{g^{-1}}(y)|``.
A scalar base distribution can be given a ``batch_shape`` / ``event_shape`` (its iid draws
become the new dimensions; with a batched base and a new event shape the draws are rotated
so the event dimensions end up on the right, as TF's). Also ConditionalTransformedDistribution,
whose methods pass ``bijector_kwargs`` / ``distribution_kwargs`` on."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..distributions_more import Distribution
from ..distributions_util import with_dependencies
from ..tensor_conversion import constant_value, constant_value_as_shape
from .distributions_bijectors_base import static_event_ndims
from .distributions_bijectors_compose import Identity

__all__ = ["ConditionalTransformedDistribution", "TransformedDistribution"]


def _static(x):
    """The value of a Python scalar or of a tensor known at graph construction, else None."""
    if isinstance(x, (bool, int, float, np.generic, np.ndarray)):
        return np.asarray(x)
    return constant_value(tf.convert_to_tensor(x))


def _logical_and(*args):
    values = [_static(x) for x in args]
    if any(v is not None and not bool(v) for v in values):
        return False
    if all(v is not None for v in values):
        return True
    return tf.reduce_all(tf.stack([tf.convert_to_tensor(x) for x in args]))


def _logical_not(x):
    value = _static(x)
    return tf.logical_not(x) if value is None else not bool(value)


def _concat_vectors(*args):
    values = [_static(x) for x in args]
    if any(v is None for v in values):
        return tf.concat([tf.convert_to_tensor(x, dtype=tf.int32) for x in args], 0)
    return tf.constant([int(e) for v in values for e in np.reshape(v, [-1])], dtype=tf.int32)


def _pick_vector(cond, true_vector, false_vector):
    """``true_vector`` if ``cond`` else ``false_vector``: at graph construction when ``cond``
    is known, else by slicing their concatenation."""
    value = _static(cond)
    if value is not None:
        return true_vector if bool(value) else false_vector
    true_vector = tf.convert_to_tensor(true_vector, dtype=tf.int32)
    false_vector = tf.convert_to_tensor(false_vector, dtype=tf.int32)
    n = tf.shape(true_vector)[0]
    return tf.slice(tf.concat([true_vector, false_vector], 0), [tf.where_v2(cond, 0, n)],
                    [tf.where_v2(cond, n, -1)])


def _ndims_from_shape(shape):
    if shape.shape.ndims not in (None, 1):
        raise ValueError("input is not a valid shape: not 1D")
    if not shape.dtype.is_integer:
        raise TypeError("input is not a valid shape: wrong dtype")
    if shape.shape.is_fully_defined():
        return shape.shape.as_list()[0]
    return tf.shape(shape)[0]


class TransformedDistribution(Distribution):
    """The distribution of ``bijector.forward(X)``, ``X ~ distribution``."""

    def __init__(self, distribution, bijector=None, batch_shape=None, event_shape=None,
                 validate_args=False, name=None):
        parameters = dict(locals())
        name = name or (("" if bijector is None else bijector.name) + distribution.name)
        with tf.name_scope(name, values=[v for v in (event_shape, batch_shape)
                                         if v is not None]) as name:
            self._empty = tf.constant([], dtype=tf.int32, name="empty")
            if bijector is None:
                bijector = Identity(validate_args=validate_args)
            self._override_batch_shape = self._maybe_validate_shape_override(
                batch_shape, distribution.is_scalar_batch(), validate_args, "batch_shape")
            self._override_event_shape = self._maybe_validate_shape_override(
                event_shape, distribution.is_scalar_event(), validate_args, "event_shape")
            batch_ndims = _ndims_from_shape(self._override_batch_shape)
            event_ndims = _ndims_from_shape(self._override_event_shape)
            self._is_batch_override = self._nonzero(batch_ndims)
            self._is_event_override = self._nonzero(event_ndims)
            self._is_maybe_batch_override = self._maybe_nonempty(self._override_batch_shape)
            self._is_maybe_event_override = self._maybe_nonempty(self._override_event_shape)
            # A new event shape over a batched base: the draws for the event come out left of
            # the batch dimensions and are rotated to the right.
            self._needs_rotation = _logical_and(
                self._is_event_override, _logical_not(self._is_batch_override),
                _logical_not(distribution.is_scalar_batch()))
            needs = _static(self._needs_rotation)
            if needs is not None:
                self._rotate_ndims = event_ndims if bool(needs) else 0
            else:
                self._rotate_ndims = tf.where_v2(self._needs_rotation, event_ndims, 0)
            # The head dimensions log_prob sums over (none without an event override).
            if isinstance(self._rotate_ndims, int) and isinstance(event_ndims, int):
                self._reduce_event_indices = list(range(self._rotate_ndims - event_ndims,
                                                        self._rotate_ndims))
            else:
                self._reduce_event_indices = tf.range(self._rotate_ndims - event_ndims,
                                                      self._rotate_ndims)
        self._distribution = distribution
        self._bijector = bijector
        super().__init__(dtype=distribution.dtype,
                         reparameterization_type=distribution.reparameterization_type,
                         validate_args=validate_args,
                         allow_nan_stats=distribution.allow_nan_stats, parameters=parameters,
                         graph_parents=distribution._graph_parents + bijector.graph_parents,
                         name=name)

    distribution = property(lambda self: self._distribution, doc="The base distribution.")
    bijector = property(lambda self: self._bijector, doc="The transform, x => y.")

    @staticmethod
    def _nonzero(ndims):
        return ndims != 0 if isinstance(ndims, int) else tf.not_equal(ndims, 0)

    @staticmethod
    def _maybe_nonempty(shape):
        value = constant_value(shape)
        return value is None or value.size != 0

    def _maybe_validate_shape_override(self, override_shape, base_is_scalar, validate_args,
                                       name):
        """The override as an int32 vector (the empty one when not given), checked: a
        vector of positive sizes, only over a base distribution scalar in that respect."""
        override_shape = tf.convert_to_tensor([] if override_shape is None else override_shape,
                                              dtype=tf.int32, name=name)
        if not override_shape.dtype.is_integer:
            raise TypeError(f"{name} override must be an integer")
        if override_shape.shape.ndims is not None and override_shape.shape.ndims != 1:
            raise ValueError(f"shape override must be a vector: {name} has shape "
                             f"{override_shape.shape}")
        ndims = _ndims_from_shape(override_shape)
        if isinstance(ndims, int) and ndims == 0:
            return self._empty
        override_is_scalar = ndims == 0 if isinstance(ndims, int) else tf.equal(ndims, 0)
        checks = []
        if override_shape.shape.ndims is None and validate_args:
            checks.append(tf.assert_rank(override_shape, 1,
                                         message="shape override must be a vector"))
        value = constant_value(override_shape)
        if value is not None:
            if np.any(value <= 0):
                raise ValueError(f"shape override must have positive elements: {name} is "
                                 f"{value.tolist()}")
        elif validate_args:
            checks.append(tf.assert_positive(
                override_shape, message="shape override must have positive elements"))
        both = _logical_and(_logical_not(base_is_scalar), _logical_not(override_is_scalar))
        if _static(both) is not None:
            if bool(_static(both)):
                raise ValueError(f"base distribution not scalar: cannot override its {name}")
        elif validate_args:
            checks.append(tf.assert_equal(both, False, message="base distribution not scalar"))
        return with_dependencies(checks, override_shape) if checks else override_shape

    # -- shapes ---------------------------------------------------------------------------------
    def _event_shape_tensor(self):
        return self.bijector.forward_event_shape_tensor(_pick_vector(
            self._is_event_override, self._override_event_shape,
            self.distribution.event_shape_tensor()))

    def _event_shape(self):
        # A possibly overridden event shape: what is known of the override; the bijector has
        # the last word, as it may change the event shape.
        static_override = constant_value_as_shape(self._override_event_shape)
        return self.bijector.forward_event_shape(
            static_override if self._is_maybe_event_override else self.distribution.event_shape)

    def _batch_shape_tensor(self):
        return _pick_vector(self._is_batch_override, self._override_batch_shape,
                            self.distribution.batch_shape_tensor())

    def _batch_shape(self):
        static_override = constant_value_as_shape(self._override_batch_shape)
        return (static_override if self._is_maybe_batch_override
                else self.distribution.batch_shape)

    def _maybe_get_static_event_ndims(self):
        if self.event_shape.ndims is not None:
            return self.event_shape.ndims
        size = tf.size(self.event_shape_tensor())
        value = static_event_ndims(size)
        return size if value is None else value

    # -- sampling -------------------------------------------------------------------------------
    def _base_sample_n(self, n, seed, distribution_kwargs):
        sample_shape = _concat_vectors(
            _pick_vector(self._needs_rotation, self._empty, [n]), self._override_batch_shape,
            self._override_event_shape, _pick_vector(self._needs_rotation, [n], self._empty))
        x = self.distribution.sample(sample_shape=sample_shape, seed=seed,
                                     **distribution_kwargs)
        return self._maybe_rotate_dims(x)

    def _sample_n(self, n, seed=None):
        return self.bijector.forward(self._base_sample_n(n, seed, {}))

    def sample(self, sample_shape=(), seed=None, name="sample"):
        return self._sample(sample_shape, seed, name, {}, {})

    def _sample(self, sample_shape, seed, name, bijector_kwargs, distribution_kwargs):
        # The bijector's forward is the last op on the samples, so that log_prob of them finds
        # x in the bijector's cache.
        with self._name_scope(name, values=[sample_shape]):
            sample_shape = tf.convert_to_tensor(sample_shape, dtype=tf.int32,
                                                name="sample_shape")
            sample_shape, n = self._expand_sample_shape_to_vector(sample_shape, "sample_shape")
            x = self._base_sample_n(n, seed, distribution_kwargs)
            x = tf.reshape(x, tf.concat([sample_shape, tf.shape(x)[1:]], 0))
            y = self.bijector.forward(x, **bijector_kwargs)
            return self._set_sample_static_shape(y, sample_shape)

    # -- probabilities --------------------------------------------------------------------------
    def _log_prob(self, y):
        return self._log_prob_with(y, {}, {})

    def _log_prob_with(self, y, bijector_kwargs, distribution_kwargs):
        x = self.bijector.inverse(y, **bijector_kwargs)  # first, so the cache can answer
        event_ndims = self._maybe_get_static_event_ndims()
        ildj = self.bijector.inverse_log_det_jacobian(y, event_ndims=event_ndims,
                                                      **bijector_kwargs)
        if self.bijector._is_injective:
            return self._finish_one_fiber(y, x, ildj, event_ndims, distribution_kwargs, True)
        return tf.reduce_logsumexp(tf.stack([
            self._finish_one_fiber(y, x_i, ildj_i, event_ndims, distribution_kwargs, True)
            for x_i, ildj_i in zip(x, ildj)]), axis=0)

    def _prob(self, y):
        return self._prob_with(y, {}, {})

    def _prob_with(self, y, bijector_kwargs, distribution_kwargs):
        x = self.bijector.inverse(y, **bijector_kwargs)
        event_ndims = self._maybe_get_static_event_ndims()
        ildj = self.bijector.inverse_log_det_jacobian(y, event_ndims=event_ndims,
                                                      **bijector_kwargs)
        if self.bijector._is_injective:
            return self._finish_one_fiber(y, x, ildj, event_ndims, distribution_kwargs, False)
        return tf.reduce_sum(tf.stack([
            self._finish_one_fiber(y, x_i, ildj_i, event_ndims, distribution_kwargs, False)
            for x_i, ildj_i in zip(x, ildj)]), axis=0)

    def _finish_one_fiber(self, y, x, ildj, event_ndims, distribution_kwargs, log_space):
        """The (log-)density of one preimage ``x`` of ``y``, with its Jacobian term."""
        x = self._maybe_rotate_dims(x, rotate_right=True)
        if log_space:
            result = self.distribution.log_prob(x, **distribution_kwargs)
            if self._is_maybe_event_override:
                result = tf.reduce_sum(result, self._reduce_event_indices)
            result += tf.cast(ildj, result.dtype)
        else:
            result = self.distribution.prob(x, **distribution_kwargs)
            if self._is_maybe_event_override:
                result = tf.reduce_prod(result, self._reduce_event_indices)
            result *= tf.exp(tf.cast(ildj, result.dtype))
        if self._is_maybe_event_override and isinstance(event_ndims, int) and event_ndims > 0:
            result.set_shape(tf.broadcast_static_shape(
                y.shape.with_rank_at_least(1)[:-event_ndims], self.batch_shape))
        return result

    def _through_inverse(self, method, y, bijector_kwargs, distribution_kwargs):
        """``distribution.<method>(g^{-1}(y))``: the CDFs of an increasing ``g``."""
        if self._is_maybe_event_override:
            raise NotImplementedError(f"{method} is not implemented when overriding "
                                      "event_shape")
        if not self.bijector._is_injective:
            raise NotImplementedError(f"{method} is not implemented when bijector is not "
                                      "injective.")
        x = self.bijector.inverse(y, **bijector_kwargs)
        return getattr(self.distribution, method)(x, **distribution_kwargs)

    def _log_cdf(self, y):
        return self._through_inverse("log_cdf", y, {}, {})

    def _cdf(self, y):
        return self._through_inverse("cdf", y, {}, {})

    def _log_survival_function(self, y):
        return self._through_inverse("log_survival_function", y, {}, {})

    def _survival_function(self, y):
        return self._through_inverse("survival_function", y, {}, {})

    def _quantile(self, value):
        return self._quantile_with(value, {}, {})

    def _quantile_with(self, value, bijector_kwargs, distribution_kwargs):
        # q = P[X <= x_q] = P[Y <= g(x_q)] for an increasing g: y_q = g(x_q).
        if self._is_maybe_event_override:
            raise NotImplementedError("quantile is not implemented when overriding event_shape")
        if not self.bijector._is_injective:
            raise NotImplementedError("quantile is not implemented when bijector is not "
                                      "injective.")
        return self.bijector.forward(self.distribution.quantile(value, **distribution_kwargs),
                                     **bijector_kwargs)

    def _entropy(self):
        # H[Y] = H[X] + E[log|det J_g(X)|], the expectation a constant when the Jacobian is.
        if not self.bijector.is_constant_jacobian:
            raise NotImplementedError("entropy is not implemented")
        if not self.bijector._is_injective:
            raise NotImplementedError("entropy is not implemented for non-injective "
                                      "bijectors.")
        entropy = self.distribution.entropy()
        if self._is_maybe_event_override:  # iid components: H sums over them
            entropy *= tf.cast(tf.reduce_prod(self._override_event_shape),
                               dtype=entropy.dtype.base_dtype)
        if self._is_maybe_batch_override:
            batch = self.distribution.batch_shape_tensor()
            entropy = tf.reshape(entropy, tf.concat([tf.ones_like(self._override_batch_shape),
                                                     batch], 0))
            entropy = tf.tile(entropy, tf.concat([self._override_batch_shape,
                                                  tf.ones_like(batch)], 0))
        dummy = tf.zeros(tf.concat([self.batch_shape_tensor(), self.event_shape_tensor()], 0),
                         dtype=self.dtype)
        event_ndims = (self.event_shape.ndims if self.event_shape.ndims is not None
                       else tf.size(self.event_shape_tensor()))
        ildj = self.bijector.inverse_log_det_jacobian(dummy, event_ndims=event_ndims)
        entropy -= tf.cast(ildj, entropy.dtype)
        entropy.set_shape(self.batch_shape)
        return entropy

    def _maybe_rotate_dims(self, x, rotate_right=False):
        """Moves the leading ``_rotate_ndims`` dimensions to the right end (or back)."""
        needs = _static(self._needs_rotation)
        if needs is not None and not bool(needs):
            return x
        ndims = x.shape.ndims if x.shape.ndims is not None else tf.rank(x)
        n = (ndims - self._rotate_ndims) if rotate_right else self._rotate_ndims
        if isinstance(ndims, int) and isinstance(n, int):
            return tf.transpose(x, list(range(n, ndims)) + list(range(n)))
        return tf.transpose(x, tf.concat([tf.range(n, ndims), tf.range(0, n)], 0))


class ConditionalTransformedDistribution(TransformedDistribution):
    """A TransformedDistribution whose methods take ``bijector_kwargs`` (for a
    ConditionalBijector) and ``distribution_kwargs`` (for a conditional base)."""

    def _with_kwargs(self, name, value, fn, bijector_kwargs, distribution_kwargs):
        with self._name_scope(name, values=[value]):
            value = tf.convert_to_tensor(value, name="value", dtype=self.dtype)
            return fn(value, bijector_kwargs or {}, distribution_kwargs or {})

    def sample(self, sample_shape=(), seed=None, name="sample", bijector_kwargs=None,
               distribution_kwargs=None):
        return self._sample(sample_shape, seed, name, bijector_kwargs or {},
                            distribution_kwargs or {})

    def log_prob(self, value, name="log_prob", bijector_kwargs=None, distribution_kwargs=None):
        return self._with_kwargs(name, value, self._log_prob_with, bijector_kwargs,
                                 distribution_kwargs)

    def prob(self, value, name="prob", bijector_kwargs=None, distribution_kwargs=None):
        return self._with_kwargs(name, value, self._prob_with, bijector_kwargs,
                                 distribution_kwargs)

    def quantile(self, value, name="quantile", bijector_kwargs=None, distribution_kwargs=None):
        return self._with_kwargs(name, value, self._quantile_with, bijector_kwargs,
                                 distribution_kwargs)


def _through(method):
    def public(self, value, name=method, bijector_kwargs=None, distribution_kwargs=None):
        return self._with_kwargs(
            name, value, lambda v, bk, dk: self._through_inverse(method, v, bk, dk),
            bijector_kwargs, distribution_kwargs)
    public.__name__ = method
    public.__doc__ = f"``distribution.{method}(bijector.inverse(value))``."
    return public


for _method in ("log_cdf", "cdf", "log_survival_function", "survival_function"):
    setattr(ConditionalTransformedDistribution, _method, _through(_method))
