"""TF 1.15 contrib's compound distributions: Mixture (a Categorical over a list of
components), MixtureSameFamily (a Categorical over the rightmost batch axis of one
distribution) and Independent (rightmost batch axes reinterpreted as event axes, with the
registered KL(Independent || Independent))."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..distributions import Categorical
from ..distributions_more import NOT_REPARAMETERIZED, Distribution, RegisterKL, kl_divergence
from ..distributions_util import gen_new_seed
from ..graph import constant_value

__all__ = ["Independent", "Mixture", "MixtureSameFamily"]


def _expand_right(x, ndims):
    for _ in range(ndims):
        x = tf.expand_dims(x, -1)
    return x


class Mixture(Distribution):
    """sum_i cat.probs[i] * components[i]: components share dtype, batch and event shapes,
    and their number equals ``cat``'s (statically known) number of classes."""

    def __init__(self, cat, components, validate_args=False, allow_nan_stats=True,
                 use_static_graph=False, name="Mixture"):
        parameters = dict(locals())
        if not isinstance(cat, Categorical):
            raise TypeError(f"cat must be a Categorical distribution, but saw: {cat}")
        if not components:
            raise ValueError("components must be a non-empty list or tuple")
        if not isinstance(components, (list, tuple)):
            raise TypeError(f"components must be a list or tuple, but saw: {components}")
        if not all(isinstance(c, Distribution) for c in components):
            raise TypeError("all entries in components must be Distribution instances but "
                            f"saw: {components}")
        dtype = components[0].dtype
        if not all(d.dtype == dtype for d in components):
            raise TypeError("All components must have the same dtype, but saw dtypes: "
                            f"{[(d.name, d.dtype) for d in components]}")
        static_event_shape = components[0].event_shape
        static_batch_shape = cat.batch_shape
        for d in components:
            static_event_shape = static_event_shape.merge_with(d.event_shape)
            static_batch_shape = static_batch_shape.merge_with(d.batch_shape)
        if static_event_shape.ndims is None:
            raise ValueError("Expected to know rank(event_shape) from components, but none of "
                             "the components provide a static number of ndims")
        with tf.name_scope(name, values=[cat.logits]) as name:
            num_components = constant_value(cat.event_size)
            if num_components is None:
                raise ValueError("Could not infer number of classes from cat and unable to "
                                 "compare this value to the number of components passed in.")
            num_components = int(num_components)
            if num_components != len(components):
                raise ValueError(f"cat.num_classes != len(components): {num_components} vs. "
                                 f"{len(components)}")
            self._assertions = []
            if validate_args:
                cat_batch = cat.batch_shape_tensor()
                for i, d in enumerate(components):
                    message = f"components[{i}] batch shape must match cat batch shape"
                    batch = d.batch_shape_tensor()
                    self._assertions += [
                        tf.assert_equal(tf.size(cat_batch), tf.size(batch), message=message),
                        tf.assert_equal(cat_batch, batch, message=message)]
        self._cat = cat
        self._components = list(components)
        self._num_components = num_components
        self._static_event_shape = static_event_shape
        self._static_batch_shape = static_batch_shape
        self._use_static_graph = use_static_graph
        graph_parents = list(cat._graph_parents)
        for c in self._components:
            graph_parents += c._graph_parents
        super().__init__(dtype=dtype, reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters, graph_parents=graph_parents, name=name)

    cat = property(lambda self: self._cat)
    components = property(lambda self: self._components)
    num_components = property(lambda self: self._num_components)

    def _batch_shape_tensor(self):
        return self._cat.batch_shape_tensor()

    def _batch_shape(self):
        return self._static_batch_shape

    def _event_shape_tensor(self):
        return self._components[0].event_shape_tensor()

    def _event_shape(self):
        return self._static_event_shape

    def _cat_probs(self, log_probs):
        """The K per-component [batch] (log) mixture weights."""
        which = tf.nn.log_softmax if log_probs else tf.nn.softmax
        return tf.unstack(which(self._cat.logits), num=self._num_components, axis=-1)

    def _weighted(self, values):
        """sum_i p_i * values[i], with p broadcast over the event axes."""
        probs = [_expand_right(p, self.event_shape.ndims) for p in self._cat_probs(False)]
        return tf.add_n([p * v for p, v in zip(probs, values)])

    def _mean(self):
        with tf.control_dependencies(self._assertions):
            return self._weighted([d.mean() for d in self._components])

    def _stddev(self):
        with tf.control_dependencies(self._assertions):
            means = [d.mean() for d in self._components]
            # Law of total variance: E[Var(Y|X)] + E[E[Y|X]^2] - E[Y]^2.
            second = self._weighted([tf.square(d.stddev()) + tf.square(m)
                                     for d, m in zip(self._components, means)])
            return tf.sqrt(second - tf.square(self._weighted(means)))

    def _mix_logs(self, per_component):
        stacked = tf.stack([lp + c for lp, c in zip(self._cat_probs(True), per_component)], 0)
        return tf.reduce_logsumexp(stacked, [0])

    def _log_prob(self, x):
        with tf.control_dependencies(self._assertions):
            return self._mix_logs([d.log_prob(x) for d in self._components])

    def _log_cdf(self, x):
        with tf.control_dependencies(self._assertions):
            return self._mix_logs([d.log_cdf(x) for d in self._components])

    def _prob(self, x):
        return tf.exp(self._log_prob(x))

    def _sample_n(self, n, seed=None):
        # Every component is sampled and a one-hot mask of the categorical draw picks one:
        # the distribution TF's dynamic-partition path draws from, in static shapes (TF's
        # use_static_graph path; the two differ only in which draws are discarded).
        with tf.control_dependencies(self._assertions):
            cat_samples = self._cat.sample(n, seed=seed)
            samples = []
            for component in self._components:
                seed = gen_new_seed(seed, "mixture")
                samples.append(component.sample(n, seed=seed))
            event_ndims = self._static_event_shape.ndims
            x = tf.stack(samples, axis=-event_ndims - 1)  # [n, B, k, E]
            mask = tf.one_hot(cat_samples, depth=self._num_components, dtype=x.dtype)
            return tf.reduce_sum(x * _expand_right(mask, event_ndims), axis=-1 - event_ndims)

    def entropy_lower_bound(self, name="entropy_lower_bound"):
        """sum_i c_i H[q_i] <= H[sum_i c_i q_i] (concavity of -x log x)."""
        with self._name_scope(name, values=[self._cat.logits]):
            with tf.control_dependencies(self._assertions):
                return tf.add_n([p * d.entropy() for p, d in
                                 zip(self._cat_probs(False), self._components)])


class MixtureSameFamily(Distribution):
    """A mixture whose k components are the rightmost batch axis of
    ``components_distribution``, weighted by ``mixture_distribution`` (a Categorical over k
    with scalar batch or the components' batch without its last axis)."""

    def __init__(self, mixture_distribution, components_distribution, validate_args=False,
                 allow_nan_stats=True, name="MixtureSameFamily"):
        parameters = dict(locals())
        mix, comp = mixture_distribution, components_distribution
        with tf.name_scope(name) as name:
            self._mixture_distribution = mix
            self._components_distribution = comp
            self._runtime_assertions = []
            event_ndims = comp.event_shape.ndims
            if event_ndims is None:
                raise ValueError("`components_distribution` must have a static event rank")
            self._event_ndims = event_ndims
            if not mix.dtype.is_integer:
                raise ValueError(f"`mixture_distribution.dtype` ({mix.dtype.name}) is not over "
                                 "integers")
            if mix.event_shape.ndims is not None and mix.event_shape.ndims != 0:
                raise ValueError("`mixture_distribution` must have scalar `event_dim`s")
            mdbs = mix.batch_shape
            cdbs = comp.batch_shape.with_rank_at_least(1)[:-1]
            if mdbs.is_fully_defined() and cdbs.is_fully_defined():
                if mdbs.ndims != 0 and mdbs != cdbs:
                    raise ValueError(f"`mixture_distribution.batch_shape` (`{mdbs.as_list()}`) "
                                     "is not compatible with `components_distribution."
                                     f"batch_shape` (`{cdbs.as_list()}`)")
            elif validate_args and mdbs.ndims != 0:
                self._runtime_assertions.append(tf.assert_equal(
                    mix.batch_shape_tensor(), comp.batch_shape_tensor()[:-1],
                    message="`mixture_distribution.batch_shape` is not compatible with "
                            "`components_distribution.batch_shape`"))
            km = mix.logits.shape.with_rank_at_least(1)[-1].value
            kc = comp.batch_shape.with_rank_at_least(1)[-1].value
            if km is not None and kc is not None and km != kc:
                raise ValueError(f"`mixture_distribution components` ({km}) does not equal "
                                 f"`components_distribution.batch_shape[-1]` ({kc})")
            elif validate_args:
                self._runtime_assertions.append(tf.assert_equal(
                    tf.shape(mix.logits)[-1], comp.batch_shape_tensor()[-1],
                    message="`mixture_distribution components` does not equal "
                            "`components_distribution.batch_shape[-1:]`"))
            self._num_components = km if km is not None else tf.shape(mix.logits)[-1]
        super().__init__(dtype=comp.dtype, reparameterization_type=NOT_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=list(mix._graph_parents) + list(comp._graph_parents),
                         name=name)

    mixture_distribution = property(lambda self: self._mixture_distribution)
    components_distribution = property(lambda self: self._components_distribution)

    def _batch_shape_tensor(self):
        with tf.control_dependencies(self._runtime_assertions):
            return self.components_distribution.batch_shape_tensor()[:-1]

    def _batch_shape(self):
        return self.components_distribution.batch_shape.with_rank_at_least(1)[:-1]

    def _event_shape_tensor(self):
        with tf.control_dependencies(self._runtime_assertions):
            return self.components_distribution.event_shape_tensor()

    def _event_shape(self):
        return self.components_distribution.event_shape

    def _pad_mixture(self, x):
        """[..., k] mixture weights -> [..., (1 per batch axis if the mixture is scalar),
        k, 1 per event axis], to broadcast against the components' [B, k, E]."""
        mix_scalar = self.mixture_distribution.batch_shape.ndims == 0
        batch_ndims = self.batch_shape.ndims
        if mix_scalar and batch_ndims is None:
            raise NotImplementedError("MixtureSameFamily needs a static batch rank when the "
                                      "mixture distribution has a scalar batch")
        pad = batch_ndims if mix_scalar else 0
        shape = tf.shape(x)
        return tf.reshape(x, tf.concat([shape[:-1], tf.ones([pad], tf.int32), shape[-1:],
                                        tf.ones([self._event_ndims], tf.int32)], 0))

    def _pad_sample_dims(self, x):
        """[S, B, E] -> [S, B, 1, E]: a component axis for the components to broadcast."""
        with tf.name_scope("pad_sample_dims", values=[x]):
            ndims = x.shape.ndims if x.shape.ndims is not None else tf.rank(x)
            shape = tf.shape(x)
            d = ndims - self._event_ndims
            return tf.reshape(x, tf.concat([shape[:d], [1], shape[d:]], axis=0))

    def _sample_n(self, n, seed=None):
        with tf.control_dependencies(self._runtime_assertions):
            x = self.components_distribution.sample(n, seed=seed)  # [n, B, k, E]
            mask = tf.one_hot(self.mixture_distribution.sample(
                n, seed=gen_new_seed(seed, "mixture_same_family")),
                depth=self._num_components, dtype=x.dtype)  # [n, B, k]
            return tf.reduce_sum(x * self._pad_mixture(mask), axis=-1 - self._event_ndims)

    def _mixed(self, per_component_log):
        log_mix = tf.nn.log_softmax(self.mixture_distribution.logits, axis=-1)
        return tf.reduce_logsumexp(per_component_log + log_mix, axis=-1)

    def _log_prob(self, x):
        with tf.control_dependencies(self._runtime_assertions):
            return self._mixed(self.components_distribution.log_prob(self._pad_sample_dims(x)))

    def _log_cdf(self, x):
        with tf.control_dependencies(self._runtime_assertions):
            return self._mixed(self.components_distribution.log_cdf(self._pad_sample_dims(x)))

    def _mean(self):
        with tf.control_dependencies(self._runtime_assertions):
            probs = self._pad_mixture(self.mixture_distribution.probs)  # [B, k, [1]*e]
            return tf.reduce_sum(probs * self.components_distribution.mean(),
                                 axis=-1 - self._event_ndims)

    def _variance(self):
        with tf.control_dependencies(self._runtime_assertions):
            # Law of total variance: E[Var(Y|X)] + Var(E[Y|X]).
            probs = self._pad_mixture(self.mixture_distribution.probs)
            comp = self.components_distribution
            axis = -1 - self._event_ndims
            mean_cond_var = tf.reduce_sum(probs * comp.variance(), axis=axis)
            var_cond_mean = tf.reduce_sum(probs * tf.squared_difference(
                comp.mean(), self._pad_sample_dims(self._mean())), axis=axis)
            return mean_cond_var + var_cond_mean

    def _covariance(self):
        if self.event_shape.ndims != 1:
            raise NotImplementedError("covariance is not implemented")  # vectors only
        with tf.control_dependencies(self._runtime_assertions):
            probs = self._pad_mixture(self.mixture_distribution.probs)[..., tf.newaxis]
            comp = self.components_distribution
            diff = comp.mean() - self._pad_sample_dims(self._mean())  # [B, k, e]
            outer = diff[..., tf.newaxis, :] * diff[..., tf.newaxis]
            return (tf.reduce_sum(probs * comp.covariance(), axis=-3)
                    + tf.reduce_sum(probs * outer, axis=-3))


class Independent(Distribution):
    """``distribution`` with its rightmost ``reinterpreted_batch_ndims`` batch axes read as
    event axes: log_prob / entropy sum over them (default: all batch axes but the first)."""

    def __init__(self, distribution, reinterpreted_batch_ndims=None, validate_args=False,
                 name=None):
        parameters = dict(locals())
        name = name or "Independent" + distribution.name
        self._distribution = distribution
        with tf.name_scope(name) as name:
            if reinterpreted_batch_ndims is None:
                ndims = distribution.batch_shape.ndims
                if ndims is None:
                    reinterpreted_batch_ndims = tf.maximum(
                        0, tf.shape(distribution.batch_shape_tensor())[0] - 1)
                else:
                    reinterpreted_batch_ndims = np.maximum(0, ndims - 1)
            ndims_t = tf.convert_to_tensor(reinterpreted_batch_ndims, dtype=tf.int32,
                                           name="reinterpreted_batch_ndims")
            static = constant_value(ndims_t)
            self._reinterpreted_batch_ndims = int(static) if static is not None else ndims_t
            self._static_reinterpreted_batch_ndims = None if static is None else int(static)
            super().__init__(dtype=distribution.dtype,
                             reparameterization_type=distribution.reparameterization_type,
                             validate_args=validate_args,
                             allow_nan_stats=distribution.allow_nan_stats,
                             parameters=parameters,
                             graph_parents=[ndims_t] + list(distribution._graph_parents),
                             name=name)
            self._runtime_assertions = self._make_runtime_assertions(
                distribution, ndims_t, validate_args)

    distribution = property(lambda self: self._distribution)
    reinterpreted_batch_ndims = property(lambda self: self._reinterpreted_batch_ndims)

    @staticmethod
    def _make_runtime_assertions(distribution, ndims_t, validate_args):
        static = constant_value(ndims_t)
        batch_ndims = distribution.batch_shape.ndims
        if static is not None and static < 0:
            raise ValueError(f"reinterpreted_batch_ndims({int(static)}) must be non-negative")
        if batch_ndims is not None and static is not None:
            if static > batch_ndims:
                raise ValueError(f"reinterpreted_batch_ndims({int(static)}) cannot exceed "
                                 f"distribution.batch_ndims({batch_ndims})")
            return []
        if not validate_args:
            return []
        batch_ndims = tf.shape(distribution.batch_shape_tensor())[0]
        return [tf.assert_less_equal(
            ndims_t, batch_ndims,
            message="reinterpreted_batch_ndims cannot exceed distribution.batch_ndims")]

    def _split(self):
        """(batch rank kept, as a python int or tensor)."""
        n = self._reinterpreted_batch_ndims
        batch = self._distribution.batch_shape
        if batch.ndims is not None and isinstance(n, int):
            return batch.ndims - n
        return tf.shape(self._distribution.batch_shape_tensor())[0] - n

    def _batch_shape_tensor(self):
        with tf.control_dependencies(self._runtime_assertions):
            return self._distribution.batch_shape_tensor()[:self._split()]

    def _batch_shape(self):
        batch = self._distribution.batch_shape
        if batch.ndims is None or self._static_reinterpreted_batch_ndims is None:
            return tf.TensorShape(None)
        return batch[:batch.ndims - self._static_reinterpreted_batch_ndims]

    def _event_shape_tensor(self):
        with tf.control_dependencies(self._runtime_assertions):
            return tf.concat([self._distribution.batch_shape_tensor()[self._split():],
                              self._distribution.event_shape_tensor()], 0)

    def _event_shape(self):
        batch = self._distribution.batch_shape
        if batch.ndims is None or self._static_reinterpreted_batch_ndims is None:
            return tf.TensorShape(None)
        kept = batch.ndims - self._static_reinterpreted_batch_ndims
        return batch[kept:].concatenate(self._distribution.event_shape)

    def _sample_n(self, n, seed=None):
        with tf.control_dependencies(self._runtime_assertions):
            return self._distribution.sample(n, seed=seed)

    def _reduce(self, stat):
        n = self._reinterpreted_batch_ndims
        if isinstance(n, int):
            return tf.reduce_sum(stat, axis=list(range(-n, 0))) if n else stat
        return tf.reduce_sum(stat, axis=tf.range(-n, 0))

    def _log_prob(self, x):
        with tf.control_dependencies(self._runtime_assertions):
            return self._reduce(self._distribution.log_prob(x))

    def _entropy(self):
        with tf.control_dependencies(self._runtime_assertions):
            return self._reduce(self._distribution.entropy())

    def _mean(self):
        with tf.control_dependencies(self._runtime_assertions):
            return self._distribution.mean()

    def _variance(self):
        with tf.control_dependencies(self._runtime_assertions):
            return self._distribution.variance()

    def _stddev(self):
        with tf.control_dependencies(self._runtime_assertions):
            return self._distribution.stddev()

    def _mode(self):
        with tf.control_dependencies(self._runtime_assertions):
            return self._distribution.mode()


@RegisterKL(Independent, Independent)
def _kl_independent(a, b, name="kl_independent"):
    """KL of factored distributions = the sum of the factors' KLs over the reinterpreted
    axes."""
    p, q = a.distribution, b.distribution
    if a.event_shape.is_fully_defined() and b.event_shape.is_fully_defined():
        if a.event_shape != b.event_shape:
            raise ValueError("Event shapes do not match.")
        if p.event_shape != q.event_shape:
            raise NotImplementedError("KL between Independents with different event shapes "
                                      "not supported.")
        num_reduce = a.event_shape.ndims - p.event_shape.ndims
        kl = kl_divergence(p, q, name=name)
        return tf.reduce_sum(kl, axis=[-i - 1 for i in range(num_reduce)]) if num_reduce else kl
    with tf.control_dependencies([
            tf.assert_equal(a.event_shape_tensor(), b.event_shape_tensor()),
            tf.assert_equal(p.event_shape_tensor(), q.event_shape_tensor())]):
        num_reduce = tf.size(a.event_shape_tensor()) - tf.size(p.event_shape_tensor())
        return tf.reduce_sum(kl_divergence(p, q, name=name), axis=tf.range(-num_reduce, 0))
