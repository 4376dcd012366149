"""TF 1.15 contrib's VectorLaplaceDiag and VectorExponentialDiag: ``Y = scale @ X + loc``
with X of k iid Laplace(0, 1) or Exponential(1) draws and a diagonal ``scale``
(``scale_diag + scale_identity_multiplier``), on the same affine machinery as the
multivariate normals (distributions_mvn.py). TF registers no KL for them."""

from __future__ import annotations

import math

import numpy as np

import minitf as tf

from ..distributions_util import with_dependencies
from .distributions_mvn import LinearOperatorLocScale, make_diag_scale

__all__ = ["VectorExponentialDiag", "VectorExponentialLinearOperator", "VectorLaplaceDiag",
           "VectorLaplaceLinearOperator"]


class VectorLaplaceLinearOperator(LinearOperatorLocScale):
    """Laplace(0, 1)^k through ``scale @ X + loc``: covariance 2 scale scale^T."""

    _standard_entropy = 1.0 + math.log(2.0)
    _standard_variance = 2.0

    def __init__(self, loc=None, scale=None, validate_args=False, allow_nan_stats=True,
                 name="VectorLaplaceLinearOperator"):
        parameters = dict(locals())
        super().__init__(loc, scale, validate_args, allow_nan_stats, name, parameters)

    def _standard_sample(self, shape, seed):
        np_dtype = self.dtype.as_numpy_dtype
        u = tf.random_uniform(shape, minval=np.nextafter(np_dtype(-1.0), np_dtype(0.0)),
                              maxval=1.0, dtype=self.dtype, seed=seed)
        return -tf.sign(u) * tf.log1p(-tf.abs(u))

    def _standard_log_prob(self, z):
        return -tf.reduce_sum(tf.abs(z), axis=-1) - tf.cast(
            self.scale.range_dimension_tensor(), self.dtype) * math.log(2.0)

    def _mode(self):
        return self._mean()


class VectorExponentialLinearOperator(LinearOperatorLocScale):
    """Exponential(1)^k through ``scale @ X + loc``: mean loc + scale @ 1, mode loc,
    covariance scale scale^T."""

    _standard_entropy = 1.0
    _standard_mean = 1.0

    def __init__(self, loc=None, scale=None, validate_args=False, allow_nan_stats=True,
                 name="VectorExponentialLinearOperator"):
        parameters = dict(locals())
        super().__init__(loc, scale, validate_args, allow_nan_stats, name, parameters)

    def _standard_sample(self, shape, seed):
        u = tf.random_uniform(shape, minval=np.finfo(self.dtype.as_numpy_dtype).tiny,
                              maxval=1.0, dtype=self.dtype, seed=seed)
        return -tf.log(u)

    def _standard_log_prob(self, z):
        if self.validate_args:
            z = with_dependencies([tf.assert_non_negative(
                z, message="value is outside the support: scale^-1 (value - loc) must be "
                           "non-negative")], z)
        return -tf.reduce_sum(z, axis=-1)

    def _mode(self):
        zeros = tf.zeros(self._full_shape(), self.dtype)
        return zeros if self.loc is None else self.loc + zeros


class VectorLaplaceDiag(VectorLaplaceLinearOperator):
    """VectorLaplace with scale diag(scale_diag + scale_identity_multiplier); Identity when
    both are None (k taken from ``loc``)."""

    def __init__(self, loc=None, scale_diag=None, scale_identity_multiplier=None,
                 validate_args=False, allow_nan_stats=True, name="VectorLaplaceDiag"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[loc, scale_diag, scale_identity_multiplier]) as name:
            scale = make_diag_scale(loc=loc, scale_diag=scale_diag,
                                    scale_identity_multiplier=scale_identity_multiplier,
                                    validate_args=validate_args, assert_positive=False)
        super().__init__(loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters


class VectorExponentialDiag(VectorExponentialLinearOperator):
    """VectorExponential with scale diag(scale_diag + scale_identity_multiplier); Identity
    when both are None (k taken from ``loc``)."""

    def __init__(self, loc=None, scale_diag=None, scale_identity_multiplier=None,
                 validate_args=False, allow_nan_stats=True, name="VectorExponentialDiag"):
        parameters = dict(locals())
        with tf.name_scope(name, values=[loc, scale_diag, scale_identity_multiplier]) as name:
            scale = make_diag_scale(loc=loc, scale_diag=scale_diag,
                                    scale_identity_multiplier=scale_identity_multiplier,
                                    validate_args=validate_args, assert_positive=False)
        super().__init__(loc=loc, scale=scale, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, name=name)
        self._parameters = parameters
