"""``tf.layers``' 3-D convolution and pooling layers (core/layers.py imports them): conv3d,
conv3d_transpose, max_pooling3d and average_pooling3d, and their layer objects Conv3D,
Conv3DTranspose, MaxPooling3D and AveragePooling3D.

As TF1's (Keras 2) layers: variables ``kernel`` (``[kd, kh, kw, in_channels, filters]``, or
``[kd, kh, kw, filters, in_channels]`` for the transpose) and ``bias``, from ``glorot_uniform``
and zeros; the convolution is named after the layer class ("conv3d/Conv3D"), a dilated one runs
between SpaceToBatchND and BatchToSpaceND (tf.nn.convolution); the transpose's output shape is
stacked from the input's (Keras' deconv_output_length); ``channels_first`` pooling transposes
to NDHWC and back, as Keras does.
"""

from __future__ import annotations

import numpy as np

from . import nn_conv3d, nn_impl
from .graph import convert_to_tensor, name_scope
from .layers import _layer, _nhwc, _padding, _scope, _weights
from .layers_conv import _channels, _finish, _no_strided_dilation
from .ops import array_ops, concat_split_ops, transform_ops
from .ops.conv3d_ops import CONV3D

__all__ = ["conv3d", "conv3d_transpose", "max_pooling3d", "average_pooling3d", "Conv3D",
           "Conv3DTranspose", "MaxPooling3D", "AveragePooling3D"]


def _triple(value, what):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * 3
    value = tuple(int(v) for v in value)
    if len(value) != 3:
        raise ValueError(f"The `{what}` argument must be a tuple of 3 integers. Received: "
                         f"{value}")
    return value


def _format(data_format):
    return "NDHWC" if _nhwc(data_format) == "NHWC" else "NCDHW"


def _around(values, fmt):
    """Per-spatial-dimension values -> the 5 of a data_format (1 on batch and channels)."""
    return [1, *values, 1] if fmt == "NDHWC" else [1, 1, *values]


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1, 1), activation=None,
           use_bias=True, kernel_initializer=None, bias_initializer=None,
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True, name=None, reuse=None,
           _scope_out=None):
    """A 3-D convolution layer: kernel ``[kd, kh, kw, in_channels, filters]`` and a bias."""
    inputs = convert_to_tensor(inputs)
    fmt = _format(data_format)
    channels = _channels(inputs, 5, "conv3d", 4 if fmt == "NDHWC" else 1)
    ks = _triple(kernel_size, "kernel_size")
    ss = _triple(strides, "strides")
    ds = _triple(dilation_rate, "dilation_rate")
    _no_strided_dilation(ss, ds)
    filters = int(filters)
    with _scope(name, "conv3d", reuse, _scope_out):
        kernel, bias = _weights([*ks, channels, filters], inputs.dtype, kernel_initializer,
                                bias_initializer, use_bias, kernel_regularizer,
                                bias_regularizer, trainable, filters, kernel_constraint,
                                bias_constraint)
        with name_scope("Conv3D") as conv_scope:
            def op(converted, _, pad):
                return CONV3D(converted, kernel, strides=_around(ss, fmt), padding=pad,
                              data_format=fmt, name=conv_scope)

            out = nn_impl.with_space_to_batch(inputs, list(ds), _padding(padding), op,
                                              filter_shape=list(ks), data_format=fmt)
        return _finish(out, bias, activation, fmt, activity_regularizer)


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None,
                     _scope_out=None):
    """A transposed 3-D convolution: kernel ``[kd, kh, kw, filters, in_channels]``; the output
    is ``in * stride`` (SAME) or ``in * stride + max(k - stride, 0)`` (VALID) per spatial
    dim."""
    inputs = convert_to_tensor(inputs)
    fmt = _format(data_format)
    axes = (1, 2, 3) if fmt == "NDHWC" else (2, 3, 4)
    channels = _channels(inputs, 5, "conv3d_transpose", 4 if fmt == "NDHWC" else 1)
    ks = _triple(kernel_size, "kernel_size")
    ss = _triple(strides, "strides")
    pad = _padding(padding)
    filters = int(filters)
    with _scope(name, "conv3d_transpose", reuse, _scope_out):
        kernel, bias = _weights([*ks, filters, channels], inputs.dtype, kernel_initializer,
                                bias_initializer, use_bias, kernel_regularizer,
                                bias_regularizer, trainable, filters, kernel_constraint,
                                bias_constraint)
        shape = array_ops.shape(inputs)
        dims = inputs.shape.as_list()

        def out_len(axis, k, s):  # Keras' deconv_output_length, on an int or a tensor
            size = dims[axis] if dims[axis] is not None else shape[axis]
            return size * s if pad == "SAME" else size * s + max(k - s, 0)

        spatial = [out_len(a, k, s) for a, k, s in zip(axes, ks, ss)]
        sizes = [shape[0], *spatial, filters] if fmt == "NDHWC" else \
            [shape[0], filters, *spatial]
        out = nn_conv3d.conv3d_transpose(inputs, kernel, concat_split_ops.stack(sizes),
                                         strides=_around(ss, fmt), padding=pad,
                                         data_format=fmt)
        out.set_shape([dims[0]] + [v if isinstance(v, int) else None for v in sizes[1:]])
        return _finish(out, bias, activation, fmt, activity_regularizer)


def _pooling3d(pool, default_name):
    def layer(inputs, pool_size, strides, padding="valid", data_format="channels_last",
              name=None, _scope_out=None):
        first = _format(data_format) == "NCDHW"
        ps = _triple(pool_size, "pool_size")
        ss = _triple(strides, "strides")
        with _scope(name, default_name, None, _scope_out):
            # Keras: TensorFlow's 3-D pooling is run in NDHWC, channels_first transposed.
            x = transform_ops.transpose(inputs, [0, 2, 3, 4, 1]) if first else inputs
            out = pool(x, [1, *ps, 1], [1, *ss, 1], _padding(padding))
            return transform_ops.transpose(out, [0, 4, 1, 2, 3]) if first else out
    layer.__name__ = default_name
    layer.__doc__ = (f"A 3-D {default_name.split('_')[0]} pooling layer "
                     f"(``tf.nn.{pool.__name__}``).")
    return layer


max_pooling3d = _pooling3d(nn_conv3d.max_pool3d, "max_pooling3d")
average_pooling3d = _pooling3d(nn_conv3d.avg_pool3d, "average_pooling3d")

Conv3D = _layer(conv3d, "Conv3D", variables=("kernel", "bias"))
Conv3DTranspose = _layer(conv3d_transpose, "Conv3DTranspose", variables=("kernel", "bias"))
MaxPooling3D = _layer(max_pooling3d, "MaxPooling3D")
AveragePooling3D = _layer(average_pooling3d, "AveragePooling3D")
