"""TF 1.15 contrib's multivariate normals: ``Y = scale @ X + loc`` with X ~ N(0, I_k) and
``scale`` a ``tf.linalg.LinearOperator``. TF builds them as a TransformedDistribution of a
standard Normal through an AffineLinearOperator bijector; here the same maths is written
directly (log_prob solves with ``scale``, entropy adds log|det scale|), with TF's
constructor signatures, scopes, shapes and the registered KL(MVN || MVN)."""

from __future__ import annotations

import math

import minitf as tf

from ..distributions_more import FULLY_REPARAMETERIZED, Distribution, RegisterKL
from ..distributions_util import with_dependencies
from ..linear_operator import (LinearOperator, LinearOperatorDiag, LinearOperatorIdentity,
                               LinearOperatorLowerTriangular, LinearOperatorLowRankUpdate,
                               LinearOperatorScaledIdentity)
from ..tensor_shape import TensorShape

__all__ = ["LinearOperatorLocScale", "MultivariateNormalDiag", "MultivariateNormalDiagPlusLowRank",
           "MultivariateNormalDiagWithSoftplusScale", "MultivariateNormalFullCovariance",
           "MultivariateNormalLinearOperator", "MultivariateNormalTriL"]

_DIAGONAL = (LinearOperatorIdentity, LinearOperatorScaledIdentity, LinearOperatorDiag)


def _to_tensor(x, name):
    return None if x is None else tf.convert_to_tensor(x, name=name)


def _event_size(loc, shape_hint=None):
    """k from a hint or loc's last dimension (static when known)."""
    if shape_hint is not None:
        return shape_hint
    k = loc.shape[-1].value if loc.shape.ndims is not None else None
    return k if k is not None else tf.shape(loc)[-1]


def make_diag_scale(loc=None, scale_diag=None, scale_identity_multiplier=None, shape_hint=None,
                    validate_args=False, assert_positive=False, name=None):
    """TF's distribution_util.make_diag_scale: a Diag, ScaledIdentity or Identity operator
    (``scale_diag + scale_identity_multiplier``), checked non-zero / positive when asked."""

    def _checked(x):
        if not validate_args:
            return x
        if assert_positive:
            check = tf.assert_positive(x, message="diagonal part must be positive")
        else:
            check = tf.assert_none_equal(x, tf.zeros([], x.dtype),
                                         message="diagonal part must be non-zero")
        return with_dependencies([check], x)

    with tf.name_scope(name, "make_diag_scale", [loc, scale_diag, scale_identity_multiplier]):
        loc = _to_tensor(loc, "loc")
        scale_diag = _to_tensor(scale_diag, "scale_diag")
        multiplier = _to_tensor(scale_identity_multiplier, "scale_identity_multiplier")
        if scale_diag is not None:
            if multiplier is not None:
                scale_diag += multiplier[..., tf.newaxis]
            return LinearOperatorDiag(diag=_checked(scale_diag), is_non_singular=True,
                                      is_self_adjoint=True, is_positive_definite=assert_positive)
        if loc is None and shape_hint is None:
            raise ValueError("Cannot infer `event_shape` unless `loc` or `shape_hint` is "
                             "specified.")
        k = _event_size(loc, shape_hint)
        if multiplier is None:
            return LinearOperatorIdentity(num_rows=k, dtype=loc.dtype.base_dtype,
                                          is_self_adjoint=True, is_positive_definite=True,
                                          assert_proper_shapes=validate_args)
        return LinearOperatorScaledIdentity(num_rows=k, multiplier=_checked(multiplier),
                                            is_non_singular=True, is_self_adjoint=True,
                                            is_positive_definite=assert_positive,
                                            assert_proper_shapes=validate_args)


def _static_or_dynamic_broadcast(a_static, a_dynamic, b_static, b_dynamic):
    if a_static.is_fully_defined() and b_static.is_fully_defined():
        shape = tf.broadcast_static_shape(a_static, b_static)
        return shape, tf.constant(shape.as_list(), dtype=tf.int32)
    return (tf.broadcast_static_shape(a_static, b_static),
            tf.broadcast_dynamic_shape(a_dynamic, b_dynamic))


class LinearOperatorLocScale(Distribution):
    """``Y = scale @ X + loc`` for X of k iid standard draws of a scalar family (the hooks
    below), ``scale`` a LinearOperator [B..., k, k] and ``loc`` [B..., k] (zero when None):
    TF's TransformedDistribution through AffineLinearOperator, written out. Batch shape is
    the broadcast of both batch shapes."""

    # hooks: the standard family's draws, summed log-density, per-coordinate entropy,
    # mean and variance
    def _standard_sample(self, shape, seed):
        raise NotImplementedError

    def _standard_log_prob(self, z):
        raise NotImplementedError

    _standard_entropy = 0.0
    _standard_mean = 0.0
    _standard_variance = 1.0

    def __init__(self, loc, scale, validate_args, allow_nan_stats, name, parameters):
        if scale is None:
            raise ValueError("Missing required `scale` parameter.")
        if not isinstance(scale, LinearOperator):
            raise TypeError("scale is not an instance of tf.LinearOperator")
        if not scale.dtype.is_floating:
            raise TypeError("`scale` parameter must have floating-point dtype.")
        with tf.name_scope(name, values=[loc] + list(scale.graph_parents)) as name:
            k_static = scale.range_dimension
            k_static = k_static if isinstance(k_static, int) else getattr(k_static, "value",
                                                                          None)
            batch_static, batch_dynamic = scale.batch_shape, scale.batch_shape_tensor()
            if loc is not None:
                loc = tf.convert_to_tensor(loc, name="loc")
                if loc.dtype.base_dtype != scale.dtype.base_dtype:
                    raise TypeError(f"shift.dtype({loc.dtype}) is incompatible with "
                                    f"scale.dtype({scale.dtype}).")
                loc_static = loc.shape.with_rank_at_least(1)
                loc_k = loc_static[-1].value
                if loc_k is not None and k_static is not None and loc_k not in (1, k_static):
                    raise ValueError(f"`loc` has event size {loc_k} but `scale` is "
                                     f"{k_static} x {k_static}")
                batch_static, batch_dynamic = _static_or_dynamic_broadcast(
                    batch_static, batch_dynamic, loc_static[:-1], tf.shape(loc)[:-1])
            self._loc, self._scale = loc, scale
            self._k_static = k_static
            self._batch_static, self._batch_dynamic = batch_static, batch_dynamic
            self._checks = [scale.assert_non_singular()] if validate_args else []
        super().__init__(dtype=scale.dtype, reparameterization_type=FULLY_REPARAMETERIZED,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         parameters=parameters,
                         graph_parents=([loc] if loc is not None else [])
                         + list(scale.graph_parents), name=name)

    loc = property(lambda self: self._loc, doc="The `loc` in `Y = scale @ X + loc`.")
    scale = property(lambda self: self._scale, doc="The `scale` LinearOperator.")

    def _batch_shape(self):
        return self._batch_static

    def _batch_shape_tensor(self):
        return self._batch_dynamic

    def _event_shape(self):
        return TensorShape([self._k_static])

    def _event_shape_tensor(self):
        return tf.reshape(self.scale.range_dimension_tensor(), [1])

    def _full_shape(self):
        return tf.concat([self.batch_shape_tensor(), self.event_shape_tensor()], 0)

    def _affine(self, z):
        with tf.control_dependencies(self._checks):
            y = self.scale.matmul(z[..., tf.newaxis])[..., 0]
        return y if self.loc is None else y + self.loc

    def _sample_n(self, n, seed=None):
        return self._affine(self._standard_sample(tf.concat([[n], self._full_shape()], 0),
                                                  seed))

    def _log_prob(self, x):
        centered = x if self.loc is None else x - self.loc
        # Broadcast up to batch + event, so the solve below covers the whole batch.
        centered += tf.zeros(self._full_shape(), dtype=self.dtype)
        with tf.control_dependencies(self._checks):
            z = self.scale.solve(centered[..., tf.newaxis])[..., 0]
        return self._standard_log_prob(z) - self.scale.log_abs_determinant()

    def _prob(self, x):
        return tf.exp(self._log_prob(x))

    def _entropy(self):
        # H[scale X + loc] = H[X] + log|det scale| (a constant Jacobian).
        k = tf.cast(self.scale.range_dimension_tensor(), self.dtype)
        entropy = k * self._standard_entropy + self.scale.log_abs_determinant()
        entropy = entropy + tf.zeros(self.batch_shape_tensor(), dtype=self.dtype)
        entropy.set_shape(self.batch_shape)
        return entropy

    def _mean(self):
        zeros = tf.zeros(self._full_shape(), self.dtype)
        if self._standard_mean:
            return self._affine(self._standard_mean + zeros)
        return zeros if self.loc is None else tf.identity(self.loc) + zeros

    def _covariance(self):
        if isinstance(self.scale, _DIAGONAL):
            cov = tf.matrix_diag(tf.square(self.scale.diag_part()))
        else:
            cov = self.scale.matmul(self.scale.to_dense(), adjoint_arg=True)
        return self._standard_variance * cov + tf.zeros(
            tf.concat([self._full_shape(), self.event_shape_tensor()], 0), dtype=self.dtype)

    def _variance(self):
        if isinstance(self.scale, _DIAGONAL):
            var = tf.square(self.scale.diag_part())
        elif isinstance(self.scale, LinearOperatorLowRankUpdate) and self.scale.is_self_adjoint:
            var = tf.matrix_diag_part(self.scale.matmul(self.scale.to_dense()))
        else:
            var = tf.matrix_diag_part(self.scale.matmul(self.scale.to_dense(), adjoint_arg=True))
        return self._standard_variance * var + tf.zeros(self._full_shape(), dtype=self.dtype)

    def _stddev(self):
        if isinstance(self.scale, _DIAGONAL):
            return (math.sqrt(self._standard_variance) * tf.abs(self.scale.diag_part())
                    + tf.zeros(self._full_shape(), self.dtype))
        return tf.sqrt(self._variance())


class MultivariateNormalLinearOperator(LinearOperatorLocScale):
    """N(loc, scale @ scale^T) on R^k for a ``LinearOperator`` ``scale`` [B..., k, k] and a
    ``loc`` [B..., k] (zero when None); batch shape = broadcast of both batch shapes."""

    _standard_entropy = 0.5 * (1.0 + math.log(2.0 * math.pi))

    def __init__(self, loc=None, scale=None, validate_args=False, allow_nan_stats=True,
                 name="MultivariateNormalLinearOperator"):
        parameters = dict(locals())
        super().__init__(loc, scale, validate_args, allow_nan_stats, name, parameters)

    def _standard_sample(self, shape, seed):
        return tf.random_normal(shape, dtype=self.dtype, seed=seed)

    def _standard_log_prob(self, z):
        k = tf.cast(self.scale.range_dimension_tensor(), self.dtype)
        return -0.5 * tf.reduce_sum(tf.square(z), axis=-1) - 0.5 * k * math.log(2.0 * math.pi)

    def log_det_covariance(self, name="log_det_covariance"):
        """log det(scale @ scale^T) = 2 log|det scale|."""
        with self._name_scope(name):
            return 2.0 * self.scale.log_abs_determinant()

    def det_covariance(self, name="det_covariance"):
        with self._name_scope(name):
            return tf.exp(2.0 * self.scale.log_abs_determinant())

    def _mode(self):
        return self._mean()


@RegisterKL(MultivariateNormalLinearOperator, MultivariateNormalLinearOperator)
def _kl_brute_force(a, b, name=None):
    """KL(a || b) = log|det B| - log|det A| + (||B^-1 A||_F^2 + ||B^-1 (mu_b - mu_a)||^2
    - k) / 2 for covariances A A^T and B B^T."""

    def squared_frobenius_norm(x):
        return tf.reduce_sum(tf.square(x), axis=[-2, -1])

    values = [v for v in (a.loc, b.loc) if v is not None]
    with tf.name_scope(name, "kl_mvn", values):
        if isinstance(a.scale, _DIAGONAL) and isinstance(b.scale, _DIAGONAL):
            b_inv_a = (a.stddev() / b.stddev())[..., tf.newaxis]
        else:
            b_inv_a = b.scale.solve(a.scale.to_dense())
        k = tf.cast(a.scale.domain_dimension_tensor(), a.dtype)
        kl = (b.scale.log_abs_determinant() - a.scale.log_abs_determinant()
              + 0.5 * (-k + squared_frobenius_norm(b_inv_a)
                       + squared_frobenius_norm(b.scale.solve(
                           (b.mean() - a.mean())[..., tf.newaxis]))))
        kl.set_shape(tf.broadcast_static_shape(a.batch_shape, b.batch_shape))
        return kl


class MultivariateNormalDiag(MultivariateNormalLinearOperator):
    """N(loc, diag(scale_diag + scale_identity_multiplier)^2); Identity scale when both are
    None (k taken from ``loc``)."""

    def __init__(self, loc=None, scale_diag=None, scale_identity_multiplier=None,
                 validate_args=False, allow_nan_stats=True, name="MultivariateNormalDiag"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[loc, scale_diag, scale_identity_multiplier]) as name:
            with tf.name_scope("init", values=[loc, scale_diag, scale_identity_multiplier]):
                scale = make_diag_scale(loc=loc, scale_diag=scale_diag,
                                        scale_identity_multiplier=scale_identity_multiplier,
                                        validate_args=False, assert_positive=False)
        super().__init__(loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters


class MultivariateNormalDiagWithSoftplusScale(MultivariateNormalDiag):
    """MultivariateNormalDiag with ``scale_diag = softplus(scale_diag)``."""

    def __init__(self, loc, scale_diag, validate_args=False, allow_nan_stats=True,
                 name="MultivariateNormalDiagWithSoftplusScale"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[scale_diag]) as name:
            super().__init__(loc=loc, scale_diag=tf.nn.softplus(scale_diag),
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             name=name)
        self._parameters = parameters


class MultivariateNormalTriL(MultivariateNormalLinearOperator):
    """N(loc, scale_tril @ scale_tril^T) for a lower-triangular ``scale_tril`` (its upper
    triangle is ignored); Identity scale when None."""

    def __init__(self, loc=None, scale_tril=None, validate_args=False, allow_nan_stats=True,
                 name="MultivariateNormalTriL"):
        parameters = dict(locals())
        if loc is None and scale_tril is None:
            raise ValueError("Must specify one or both of `loc`, `scale_tril`.")
        with tf.name_scope(name, values=[loc, scale_tril]) as name:
            with tf.name_scope("init", values=[loc, scale_tril]):
                loc = _to_tensor(loc, "loc")
                scale_tril = _to_tensor(scale_tril, "scale_tril")
                if scale_tril is None:
                    scale = LinearOperatorIdentity(num_rows=_event_size(loc), dtype=loc.dtype,
                                                   is_self_adjoint=True,
                                                   is_positive_definite=True,
                                                   assert_proper_shapes=validate_args)
                else:
                    scale = LinearOperatorLowerTriangular(scale_tril, is_non_singular=True,
                                                          is_self_adjoint=False,
                                                          is_positive_definite=False)
        super().__init__(loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters


class MultivariateNormalFullCovariance(MultivariateNormalTriL):
    """N(loc, covariance_matrix), through the Cholesky factor of ``covariance_matrix``
    (checked symmetric when ``validate_args``)."""

    def __init__(self, loc=None, covariance_matrix=None, validate_args=False,
                 allow_nan_stats=True, name="MultivariateNormalFullCovariance"):
        parameters = dict(locals())
        if loc is None and covariance_matrix is None:
            raise ValueError("Must specify one or both of `loc`, `covariance_matrix`.")
        with tf.name_scope(name, values=[loc, covariance_matrix]) as name:
            with tf.name_scope("init", values=[loc, covariance_matrix]):
                scale_tril = None
                if covariance_matrix is not None:
                    cov = tf.convert_to_tensor(covariance_matrix, name="covariance_matrix")
                    if validate_args:
                        # cholesky reads one triangle only, so symmetry is checked apart.
                        cov = with_dependencies([tf.assert_near(
                            cov, tf.matrix_transpose(cov),
                            message="Matrix was not symmetric")], cov)
                    scale_tril = tf.cholesky(cov)
        super().__init__(loc=loc, scale_tril=scale_tril, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters


class MultivariateNormalDiagPlusLowRank(MultivariateNormalLinearOperator):
    """N(loc, scale @ scale^T), scale = diag(scale_diag + scale_identity_multiplier) +
    U diag(scale_perturb_diag) U^T with U = ``scale_perturb_factor`` [B..., k, r]."""

    def __init__(self, loc=None, scale_diag=None, scale_identity_multiplier=None,
                 scale_perturb_factor=None, scale_perturb_diag=None, validate_args=False,
                 allow_nan_stats=True, name="MultivariateNormalDiagPlusLowRank"):
        parameters = dict(locals())
        values = [loc, scale_diag, scale_identity_multiplier, scale_perturb_factor,
                  scale_perturb_diag]
        if scale_perturb_diag is not None and scale_perturb_factor is None:
            raise ValueError("`scale_perturb_diag` can only be given with "
                             "`scale_perturb_factor`.")
        with tf.name_scope(name, values=values) as name:
            with tf.name_scope("init", values=values):
                has_low_rank = scale_perturb_factor is not None
                scale = make_diag_scale(loc=loc, scale_diag=scale_diag,
                                        scale_identity_multiplier=scale_identity_multiplier,
                                        validate_args=validate_args,
                                        assert_positive=has_low_rank)
                factor = _to_tensor(scale_perturb_factor, "scale_perturb_factor")
                perturb_diag = _to_tensor(scale_perturb_diag, "scale_perturb_diag")
                if has_low_rank:
                    scale = LinearOperatorLowRankUpdate(
                        scale, u=factor, diag_update=perturb_diag,
                        is_diag_update_positive=perturb_diag is None, is_non_singular=True,
                        is_self_adjoint=True, is_positive_definite=True, is_square=True)
        super().__init__(loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters
