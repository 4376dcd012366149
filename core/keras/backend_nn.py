"""``tf.keras.backend``'s batch normalization (``batch_normalization``,
``normalize_batch_in_training``) and locally connected convolutions (``local_conv1d``,
``local_conv2d``), as TF 1.15's keras/backend.py builds them on a CPU (no NCHW kernels, so
``_has_nchw_support()`` is False); re-exported by core/keras/backend.py."""

from __future__ import annotations

import itertools

from .. import nn_impl
from ..ops import array_ops, batch_norm_ops, concat_split_ops, shape_ops
from .backend_math import (_channels_first, _t, batch_dot, concatenate, int_shape, ndim,
                           ones_like, permute_dimensions, reshape, zeros_like)

__all__ = ["batch_normalization", "normalize_batch_in_training", "local_conv1d",
           "local_conv2d"]

# TF 1.x's tf.nn.fused_batch_norm raises a smaller epsilon to this (cuDNN's minimum)
_FUSED_MIN_EPSILON = 1.001e-5


def _fused(x, gamma, beta, epsilon, data_format, **kwargs):
    return batch_norm_ops.fused_batch_norm(
        x, gamma, beta, epsilon=max(epsilon, _FUSED_MIN_EPSILON), data_format=data_format,
        **kwargs)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``. A 4-D input runs the fused kernel
    in inference mode (NHWC for axis 3 / -1, with broadcast-shaped statistics flattened and
    None gamma / beta as ones / zeros; NCHW for axis 1 / -3, where TF1 Keras on a CPU flattens
    nothing; any other axis NHWC, as TF's fused_batch_norm takes a None data_format); other
    ranks compose tf.nn.batch_normalization."""
    x = _t(x)
    if ndim(x) == 4:
        fmt = "NCHW" if axis in (1, -3) else "NHWC" if axis in (3, -1) else None
        if fmt == "NHWC":
            if ndim(mean) > 1:
                mean = array_ops.reshape(mean, [-1])
            if ndim(var) > 1:
                var = array_ops.reshape(var, [-1])
            if beta is None:
                beta = zeros_like(mean)
            elif ndim(beta) > 1:
                beta = array_ops.reshape(beta, [-1])
            if gamma is None:
                gamma = ones_like(mean)
            elif ndim(gamma) > 1:
                gamma = array_ops.reshape(gamma, [-1])
        return _fused(x, gamma, beta, epsilon, fmt or "NHWC", mean=mean, variance=var,
                      is_training=False)[0]
    return nn_impl.batch_normalization(x, mean, var, beta, gamma, epsilon)


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """``(normalized, mean, variance)`` over ``reduction_axes``. A 4-D input reduced over
    [0, 1, 2] runs the fused kernel in training mode, whose variance is Bessel-corrected
    (n / (n - 1)); over [0, 2, 3] (NCHW, which TF1 Keras fuses only on a GPU) and any other
    reduction the moments, whose variance is biased: broadcast back to the input when the
    reduced axes are not all but the last."""
    x = _t(x)
    axes = list(reduction_axes)
    if ndim(x) == 4 and axes == [0, 1, 2]:
        if gamma is None:
            gamma = array_ops.constant(1.0, dtype=x.dtype, shape=[int_shape(x)[3]])
        if beta is None:
            beta = array_ops.constant(0.0, dtype=x.dtype, shape=[int_shape(x)[3]])
        return tuple(_fused(x, gamma, beta, epsilon, "NHWC"))
    mean, var = nn_impl.moments(x, axes, None, None, False)
    if sorted(axes) == list(range(ndim(x)))[:-1]:
        return nn_impl.batch_normalization(x, mean, var, beta, gamma, epsilon), mean, var
    dynamic = shape_ops.shape(x)
    target = concat_split_ops.stack([1 if a in axes else dynamic[a] for a in range(ndim(x))])

    def broadcast(t):
        return None if t is None else array_ops.reshape(t, target)

    normed = nn_impl.batch_normalization(x, broadcast(mean), broadcast(var), broadcast(beta),
                                         broadcast(gamma), epsilon)
    return normed, mean, var


def _local_conv(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """TF 1.15's local_conv: for each output position, the input patch under the window
    flattened to (1, -1, feature_dim); all of them batch_dot with the unshared kernel
    (output_items, feature_dim, channels_out), reshaped and permuted to the data format."""
    first = _channels_first(data_format)
    inputs = _t(inputs)
    kernel_shape = int_shape(kernel)
    feature_dim, channels_out = kernel_shape[1], kernel_shape[-1]
    ndims = len(output_shape)
    spatial = list(range(ndims))
    xs = []
    for position in itertools.product(*[range(n) for n in output_shape]):
        slices = [slice(None)] * (2 if first else 1)
        slices.extend(slice(position[d] * strides[d], position[d] * strides[d] + kernel_size[d])
                      for d in spatial)
        if not first:
            slices.append(slice(None))
        xs.append(reshape(inputs[tuple(slices)], (1, -1, feature_dim)))
    output = batch_dot(concatenate(xs, axis=0), kernel)
    output = reshape(output, tuple(output_shape) + (-1, channels_out))
    permutation = [ndims, ndims + 1] + spatial if first else [ndims] + spatial + [ndims + 1]
    return permute_dimensions(output, permutation)


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """1-D convolution with unshared weights: ``kernel`` (output_length, kernel_size[0] *
    input_dim, filters)."""
    return _local_conv(inputs, kernel, kernel_size, strides, (int_shape(kernel)[0],),
                       data_format)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """2-D convolution with unshared weights: ``kernel`` (output_row * output_col,
    kernel_size[0] * kernel_size[1] * channels_in, filters)."""
    return _local_conv(inputs, kernel, kernel_size, strides, output_shape, data_format)
