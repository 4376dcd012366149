"""The helper functions TF 1.15's ``tf.contrib.distributions`` exported (from
``distributions/util.py``, ``sample_stats.py`` and ``normal_conjugate_posteriors.py``):
softplus_inverse, fill_triangular (and its inverse), matrix_diag_transform,
reduce_weighted_logsumexp, tridiag, percentile, the known-scale normal conjugates, plus
``SeedStream``. All compose minitf ops, so they freeze and differentiate like any graph."""

from __future__ import annotations

import hashlib

import numpy as np

import minitf as tf

from ..distributions import Normal
from ..graph import constant_value

__all__ = ["SeedStream", "fill_triangular", "fill_triangular_inverse", "matrix_diag_transform",
           "normal_conjugates_known_scale_posterior", "normal_conjugates_known_scale_predictive",
           "percentile", "reduce_weighted_logsumexp", "softplus_inverse", "tridiag"]


def softplus_inverse(x, name=None):
    """log(exp(x) - 1), stable at both ends: log(x) for tiny x, x for large x."""
    with tf.name_scope(name, "softplus_inverse", [x]):
        x = tf.convert_to_tensor(x, name="x")
        # Past these points exp(-x) underflows relative to 1 (large x) or expm1(x) ~ x
        # (small x), so the closed forms are exact to the dtype's precision.
        threshold = np.log(np.finfo(x.dtype.as_numpy_dtype).eps) + 2.0
        too_small = x < np.exp(threshold)
        too_large = x > -threshold
        safe = tf.where(tf.logical_or(too_small, too_large), tf.ones_like(x), x)
        y = safe + tf.log(-tf.math.expm1(-safe))
        return tf.where(too_small, tf.log(x), tf.where(too_large, x, y))


def _static_last_dim(x, what):
    n = x.shape[-1].value if x.shape.ndims is not None else None
    if n is None:
        raise ValueError(f"{what}: the last dimension of `x` must be known statically, "
                         f"got shape {x.shape}")
    return n


def fill_triangular(x, upper=False, name=None):
    """The vector ``x[..., n]``, n = m(m+1)/2, laid out as an [m, m] triangular matrix in
    TF's clockwise-spiral order (so no gather is needed)."""
    with tf.name_scope(name, "fill_triangular", [x]):
        x = tf.convert_to_tensor(x, name="x")
        n = _static_last_dim(x, "fill_triangular")
        m = int(np.sqrt(0.25 + 2.0 * n) - 0.5)
        if m * (m + 1) // 2 != n:
            raise ValueError(f"Input right-most shape ({n}) does not correspond to a "
                             "triangular matrix.")
        ndims = x.shape.ndims
        if upper:
            parts = [x, tf.reverse(x[..., m:], axis=[ndims - 1])]
        else:
            parts = [x[..., m:], tf.reverse(x, axis=[ndims - 1])]
        square = tf.reshape(tf.concat(parts, axis=-1),
                            tf.concat([tf.shape(x)[:-1], [m, m]], axis=0))
        out = tf.matrix_band_part(square, 0 if upper else -1, -1 if upper else 0)
        out.set_shape(x.shape[:-1].concatenate([m, m]))
        return out


def fill_triangular_inverse(x, upper=False, name=None):
    """The inverse of ``fill_triangular``: the [..., m(m+1)/2] vector of a triangular matrix."""
    with tf.name_scope(name, "fill_triangular_inverse", [x]):
        x = tf.convert_to_tensor(x, name="x")
        m = _static_last_dim(x, "fill_triangular_inverse")
        n = m * (m + 1) // 2
        ndims = x.shape.ndims
        if upper:
            first, rest = x[..., 0, :], x[..., 1:, :]
        else:
            first, rest = tf.reverse(x[..., -1, :], axis=[ndims - 2]), x[..., :-1, :]
        # Each remaining row pairs with its mirror image: their non-zero parts tile a row.
        merged = rest + tf.reverse(tf.reverse(rest, axis=[ndims - 1]), axis=[ndims - 2])
        flat = tf.reshape(merged, tf.concat([tf.shape(x)[:-2], [m * (m - 1)]], axis=0))
        out = tf.concat([first, flat[..., :n - m]], axis=-1)
        out.set_shape(x.shape[:-2].concatenate([n]))
        return out


def matrix_diag_transform(matrix, transform=None, name=None):
    """``matrix`` with ``transform`` applied to its diagonal only (identity when None)."""
    with tf.name_scope(name, "matrix_diag_transform", [matrix]):
        matrix = tf.convert_to_tensor(matrix, name="matrix")
        if transform is None:
            return matrix
        return tf.matrix_set_diag(matrix, transform(tf.matrix_diag_part(matrix)))


def reduce_weighted_logsumexp(logx, w=None, axis=None, keep_dims=False, return_sign=False,
                              name=None):
    """log|sum(w * exp(logx))| over ``axis`` (and its sign when ``return_sign``)."""
    with tf.name_scope(name, "reduce_weighted_logsumexp", [logx, w]):
        logx = tf.convert_to_tensor(logx, name="logx")
        if w is None:
            lswe = tf.reduce_logsumexp(logx, axis=axis, keepdims=keep_dims)
            return (lswe, tf.ones_like(lswe)) if return_sign else lswe
        w = tf.convert_to_tensor(w, dtype=logx.dtype, name="w")
        log_absw_x = logx + tf.log(tf.abs(w))
        max_log = tf.reduce_max(log_absw_x, axis=axis, keepdims=True)
        # An infinite max would give inf - inf; any finite shift is as good.
        max_log = tf.where(tf.is_inf(max_log), tf.zeros_like(max_log), max_log)
        scaled = tf.sign(w) * tf.exp(log_absw_x - max_log)
        total = tf.reduce_sum(scaled, axis=axis, keepdims=keep_dims)
        if not keep_dims:
            max_log = tf.reshape(max_log, tf.shape(total))
        sgn = tf.sign(total)
        lswe = max_log + tf.log(sgn * total)
        return (lswe, sgn) if return_sign else lswe


def tridiag(below=None, diag=None, above=None, name=None):
    """The [..., n, n] tridiagonal matrix of sub-diagonal ``below`` [..., n-1], ``diag``
    [..., n] and super-diagonal ``above`` [..., n-1]; missing parts are zero."""

    def _pad(x):  # a zero before and after every vector
        zeros = tf.zeros(tf.concat([tf.shape(x)[:-1], [1]], axis=0), dtype=x.dtype)
        return tf.concat([zeros, x, zeros], axis=-1)

    with tf.name_scope(name, "tridiag", [below, diag, above]):
        parts = []
        if below is not None:
            below = tf.convert_to_tensor(below, name="below")
            parts.append(tf.matrix_diag(_pad(below))[..., :-1, 1:])
        if diag is not None:
            parts.append(tf.matrix_diag(tf.convert_to_tensor(diag, name="diag")))
        if above is not None:
            above = tf.convert_to_tensor(above, name="above")
            parts.append(tf.matrix_diag(_pad(above))[..., 1:, :-1])
        if not parts:
            raise ValueError("Must specify at least one of `below`, `diag`, `above`.")
        return tf.add_n(parts) if len(parts) > 1 else parts[0]


_INTERPOLATIONS = ("lower", "higher", "nearest")


def percentile(x, q, axis=None, interpolation=None, keep_dims=False, validate_args=False,
               name=None):
    """The ``q``-th percentile (scalar q in [0, 100]) of ``x`` over ``axis`` (all axes when
    None) as TF 1.15's contrib computes it: an index into the descending sort, rounded per
    ``interpolation`` ('nearest' by default, 'lower' or 'higher')."""
    if interpolation is None:
        interpolation = "nearest"
    elif interpolation not in _INTERPOLATIONS:
        raise ValueError(f"Argument 'interpolation' must be in {set(_INTERPOLATIONS)}.  "
                         f"Found {interpolation}")
    with tf.name_scope(name, "percentile", [x, q]):
        x = tf.convert_to_tensor(x, name="x")
        q = tf.cast(q, tf.float64, name="q")
        if q.shape.ndims not in (None, 0):
            raise ValueError(f"Expected argument 'q' to be a scalar; found shape {q.shape}")
        if validate_args:
            with tf.control_dependencies([
                    tf.assert_rank(q, 0),
                    tf.assert_greater_equal(q, tf.constant(0.0, tf.float64)),
                    tf.assert_less_equal(q, tf.constant(100.0, tf.float64))]):
                q = tf.identity(q)
        ndims = x.shape.ndims
        if axis is None:
            y = tf.reshape(x, [-1])
        else:
            axis = _static_axes(axis, ndims)
            keep = [i for i in range(ndims) if i not in axis]
            y = tf.transpose(x, keep + axis)
            kept_shape = tf.gather(tf.shape(x), keep) if keep else tf.zeros([0], tf.int32)
            y = tf.reshape(y, tf.concat([kept_shape, [-1]], axis=0))
        frac_at_or_above = 1.0 - q / 100.0
        d = tf.cast(tf.shape(y)[-1], tf.float64)
        rounding = {"lower": tf.ceil, "higher": tf.floor, "nearest": tf.round}[interpolation]
        index = rounding((d - 1.0) * frac_at_or_above)
        # Clipping guards huge d, where d - 1 == d in float64.
        index = tf.clip_by_value(tf.cast(index, tf.int32), 0, tf.shape(y)[-1] - 1)
        descending, _ = tf.nn.top_k(y, k=tf.shape(y)[-1])
        result = tf.gather(descending, index, axis=-1)
        if keep_dims:
            if axis is None:
                result = tf.reshape(result, [1] * ndims)
            else:  # ascending axes: each insertion lands where the reduced axis was
                for a in axis:
                    result = tf.expand_dims(result, a)
        return result


def _static_axes(axis, ndims):
    if ndims is None:
        raise ValueError("Expected argument 'x' to have statically defined 'ndims'.")
    value = constant_value(tf.convert_to_tensor(axis, name="axis"))
    if value is None:
        raise ValueError(f"Expected argument 'axis' to be statically available.  Found: {axis}")
    axes = [int(a) for a in np.atleast_1d(value)]
    for a in axes:
        if not -ndims <= a < ndims:
            raise ValueError(f"percentile: axis {a} is out of range for x of rank {ndims}")
    return sorted({a % ndims for a in axes})


def _known_scale_posterior(prior, scale, s, n):
    """The posterior mean and variance of Normal(mean, ``scale``) data's mean, from a Normal
    ``prior`` and the sum ``s`` of ``n`` observations; and the data's variance."""
    if not isinstance(prior, Normal):
        raise TypeError("Expected prior to be an instance of type Normal")
    if s.dtype != prior.dtype:
        raise TypeError(f"Observation sum s.dtype does not match prior dtype: {s.dtype} vs. "
                        f"{prior.dtype}")
    n = tf.cast(n, prior.dtype)
    scale0_2 = tf.square(prior.scale)
    scale_2 = tf.square(scale)
    scalep_2 = 1.0 / (1.0 / scale0_2 + n / scale_2)
    return (prior.loc / scale0_2 + s / scale_2) * scalep_2, scalep_2, scale_2


def normal_conjugates_known_scale_posterior(prior, scale, s, n):
    """The posterior Normal of the mean of Normal(mean, ``scale``) data, from a Normal
    ``prior``, the sum ``s`` of ``n`` observations."""
    loc, scalep_2, _ = _known_scale_posterior(prior, scale, s, n)
    return Normal(loc=loc, scale=tf.sqrt(scalep_2))


def normal_conjugates_known_scale_predictive(prior, scale, s, n):
    """The posterior predictive Normal of one more observation (see the posterior)."""
    loc, scalep_2, scale_2 = _known_scale_posterior(prior, scale, s, n)
    return Normal(loc=loc, scale=tf.sqrt(scalep_2 + scale_2))


class SeedStream:
    """A reproducible stream of op seeds derived from one seed and a salt: each call hashes
    (seed, counter, salt), so independent draws get independent seeds."""

    def __init__(self, seed, salt):
        self._seed = seed.original_seed if isinstance(seed, SeedStream) else seed
        self._salt = salt
        self._counter = 0

    original_seed = property(lambda self: self._seed)
    salt = property(lambda self: self._salt)

    def __call__(self):
        self._counter += 1
        if self._seed is None:
            return None
        composite = str((self._seed, self._counter, self._salt)).encode("utf-8")
        return int(hashlib.sha512(composite).hexdigest(), 16)  # ops reduce it mod 2**31-1
