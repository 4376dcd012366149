"""TF 1.15 contrib.distributions' sample statistics: ``auto_correlation`` (through the FFT, as
TF computes it) and the moving-statistics updates ``assign_moving_mean_variance``,
``assign_log_moving_mean_exp`` and ``moving_mean_variance`` (variables ``moving_mean`` /
``moving_variance``, named as TF names them so checkpoints port)."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..graph import constant_value

__all__ = ["assign_log_moving_mean_exp", "assign_moving_mean_variance", "auto_correlation",
           "moving_mean_variance"]


def auto_correlation(x, axis=-1, max_lags=None, center=True, normalize=True,
                     name="auto_correlation"):
    """R[m] = sum_n x[n] conj(x[n + m]) / (N - m) along ``axis`` for lags m = 0..max_lags
    (the unbiased estimate), centered first and divided by R[0] when asked."""
    with tf.name_scope(name, values=[x]):
        x = tf.convert_to_tensor(x, name="x")
        dtype = x.dtype.base_dtype
        if not (dtype.is_complex or dtype.is_floating):
            raise TypeError(f"Argument x must have either float or complex dtype found: "
                            f"{dtype}")
        ndims = x.shape.ndims
        if ndims is None:
            raise ValueError("auto_correlation needs `x` of a statically known rank")
        axis_value = constant_value(tf.convert_to_tensor(axis, name="axis"))
        if axis_value is None or not -ndims <= int(axis_value) < ndims:
            raise ValueError(f"auto_correlation: `axis` must be a static integer in "
                             f"[-{ndims}, {ndims}), got {axis}")
        axis = int(axis_value) % ndims
        perm = [i for i in range(ndims) if i != axis] + [axis]
        inverse = list(np.argsort(perm))
        x_rot = tf.transpose(x, perm)
        n_static = x_rot.shape[-1].value
        x_len = tf.shape(x_rot)[-1]
        if center:
            x_rot -= tf.reduce_mean(x_rot, axis=-1, keepdims=True)
        # Zero-pad to a power of 2 >= 2N: the circular correlation then equals the linear one.
        x_len_f = tf.cast(x_len, tf.float64)
        target = tf.pow(tf.constant(2.0, tf.float64),
                        tf.ceil(tf.log(x_len_f * 2.0) / np.log(2.0)))
        pad = tf.cast(target - x_len_f, tf.int32)
        paddings = tf.concat([tf.zeros([ndims - 1, 2], tf.int32),
                              tf.reshape(tf.stack([0, pad]), [1, 2])], 0)
        x_pad = tf.pad(x_rot, paddings)
        if not dtype.is_complex:
            x_pad = tf.complex(x_pad, tf.zeros_like(x_pad))
        spectrum = tf.fft(x_pad)
        product = tf.ifft(spectrum * tf.conj(spectrum))  # the power spectrum's inverse
        if not dtype.is_complex:
            product = tf.real(product)
        if max_lags is None:
            lags = n_static - 1 if n_static is not None else x_len - 1
        elif n_static is not None:
            lags = min(n_static - 1, max_lags)
        else:
            lags = tf.minimum(x_len - 1, max_lags)
        chopped = product[..., :lags + 1]
        real_dtype = dtype.real_dtype
        denominator = (tf.cast(x_len, real_dtype)
                       - tf.range(tf.constant(0, real_dtype), tf.cast(lags, real_dtype) + 1))
        result = chopped / tf.cast(denominator, dtype)
        if normalize:
            result /= result[..., :1]
        return tf.transpose(result, inverse)


def _floating(var, what):
    base = var.dtype.base_dtype
    if not base.is_floating:
        raise TypeError(f"{what}.base_dtype({base.name}) is not a floating-type.")
    return base


def assign_moving_mean_variance(mean_var, variance_var, value, decay, name=None):
    """The exponential-moving mean and variance of a stream, updated by ``value``:
    variance <- decay (variance + (1 - decay) (value - mean)^2), then
    mean <- decay mean + (1 - decay) value. Returns the two updated variables' values."""
    with tf.name_scope(name, "assign_moving_mean_variance",
                       [variance_var, mean_var, value, decay]):
        base = _floating(mean_var, "mean_var")
        if base != variance_var.dtype.base_dtype:
            raise TypeError(f"mean_var.base_dtype({base.name}) != "
                            f"variance_var.base_dtype({variance_var.dtype.base_dtype.name})")
        value = tf.convert_to_tensor(value, dtype=base, name="value")
        decay = tf.convert_to_tensor(decay, dtype=base, name="decay")
        delta = value - mean_var
        with tf.control_dependencies([delta]):
            mean = tf.assign_add(mean_var, (1.0 - decay) * delta)
            variance = tf.assign_sub(variance_var,
                                     (1.0 - decay) * (variance_var - decay * tf.square(delta)))
        return mean, variance


def assign_log_moving_mean_exp(log_mean_exp_var, log_value, decay, name=None):
    """log_mean_exp <- log(decay exp(log_mean_exp) + (1 - decay) exp(log_value)), computed as
    ``x + logsumexp([log(decay), log_value - x + log1p(-decay)])`` to stay finite."""
    with tf.name_scope(name, "assign_log_moving_mean_exp",
                       [log_mean_exp_var, log_value, decay]):
        base = _floating(log_mean_exp_var, "log_mean_exp_var")
        log_value = tf.convert_to_tensor(log_value, dtype=base, name="log_value")
        decay = tf.convert_to_tensor(decay, dtype=base, name="decay")
        delta = (log_value - log_mean_exp_var)[tf.newaxis, ...]
        terms = tf.concat([tf.log(decay) * tf.ones_like(delta), delta + tf.log1p(-decay)],
                          axis=0)
        return tf.assign_add(log_mean_exp_var, tf.reduce_logsumexp(terms, axis=0))


def moving_mean_variance(value, decay, collections=None, name=None):
    """assign_moving_mean_variance on non-trainable zero-initialized variables
    ``<scope>/moving_mean`` and ``<scope>/moving_variance`` shaped like ``value``."""
    if collections is None:
        collections = [tf.GraphKeys.GLOBAL_VARIABLES]
    with tf.variable_scope(name, "moving_mean_variance", [value, decay]):
        value = tf.convert_to_tensor(value, name="value")
        base = _floating(value, "value")
        variance_var = tf.get_variable("moving_variance", shape=value.shape, dtype=base,
                                       initializer=tf.zeros_initializer(), trainable=False,
                                       collections=collections)
        mean_var = tf.get_variable("moving_mean", shape=value.shape, dtype=base,
                                   initializer=tf.zeros_initializer(), trainable=False,
                                   collections=collections)
        return assign_moving_mean_variance(mean_var, variance_var, value, decay)
