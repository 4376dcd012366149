"""``tf.layers``' other convolution and pooling layers (core/layers.py imports them):
conv2d_transpose, conv1d, separable_conv2d, separable_conv1d, max_pooling1d and
average_pooling1d, and their layer objects.

As TF1's (Keras 2) layers: variables ``kernel`` (``[kh, kw, filters, in_channels]`` for the
transpose), ``depthwise_kernel`` (``[kh, kw, in_channels, depth_multiplier]``),
``pointwise_kernel`` (``[1, 1, in_channels * depth_multiplier, filters]``) and ``bias``, from
``glorot_uniform`` and zeros; the 1-D layers run the 2-D ops on a dummy spatial axis
(ExpandDims ... Squeeze), and a dilated conv1d runs between SpaceToBatchND and BatchToSpaceND.
One difference: with ``channels_first`` the ops run in NCHW where TensorFlow on a CPU would
transpose to NHWC and back (same values).
"""

from __future__ import annotations

import numpy as np

from . import init_ops, nn_conv3d, nn_impl
from .graph import convert_to_tensor, name_scope
from .layer_identifiers import initializer_of
from .layers import (_activity, _layer, _nhwc, _padding, _pair, _scope, _weights,
                     normalize_tuple)
from .layers_base import _activate, layer_variable
from .ops import array_ops, concat_split_ops, conv_ops, nn_ops, pad_ops, pool_ops, transform_ops

__all__ = ["conv2d_transpose", "conv1d", "separable_conv2d", "separable_conv1d",
           "max_pooling1d", "average_pooling1d", "Conv2DTranspose", "Conv1D", "SeparableConv2D",
           "SeparableConv1D", "MaxPooling1D", "AveragePooling1D"]


def _single(value, what):
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 1:
        raise ValueError(f"The `{what}` argument must be a tuple of 1 integers. Received: "
                         f"{value}")
    return value[0]


def _padding_1d(padding):
    p = str(padding).lower()
    if p not in ("valid", "same", "causal"):
        raise ValueError(f"padding must be 'valid', 'same' or 'causal', got {padding!r}")
    return p


def _channels(inputs, rank, layer, channel_axis):
    if inputs.shape.rank != rank:
        raise ValueError(f"Input 0 of layer {layer} is incompatible with the layer: expected "
                         f"ndim={rank}, found ndim={inputs.shape.rank}")
    channels = inputs.shape[channel_axis].value
    if channels is None:
        raise ValueError("The channel dimension of the inputs should be defined. Found `None`.")
    return channels


def _no_strided_dilation(strides, rates):
    if any(s != 1 for s in strides) and any(r != 1 for r in rates):
        raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={list(strides)} and dilation_rate={list(rates)}")


def _finish(out, bias, activation, data_format, activity_regularizer):
    if bias is not None:
        out = nn_ops.bias_add(out, bias, data_format=data_format)
    return _activity(_activate(activation, out), activity_regularizer)


def _causal_pad(inputs, left, channels_last):
    pads = [[0, 0], [left, 0], [0, 0]] if channels_last else [[0, 0], [0, 0], [left, 0]]
    return pad_ops.pad(inputs, pads)


def _conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                      data_format="channels_last", activation=None, use_bias=True,
                      kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
                      bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                      bias_constraint=None, trainable=True, name=None, reuse=None,
                      _scope_out=None, *, dilation_rate=(1, 1), output_padding=None):
    """A transposed 2-D convolution: kernel ``[kh, kw, filters, in_channels]``; the output is
    Keras' deconv_output_length per spatial dim (``in * stride``, SAME, or ``in * stride +
    max(k - stride, 0)``, VALID, for the dilated ``k``; with ``output_padding``, ``(in - 1) *
    stride + k - 2 * pad + output_padding``). ``dilation_rate`` and ``output_padding`` come
    from the layer object only (TF's legacy layer hands them on to Keras)."""
    inputs = convert_to_tensor(inputs)
    fmt = _nhwc(data_format)
    h_axis, w_axis, c_axis = (1, 2, 3) if fmt == "NHWC" else (2, 3, 1)
    channels = _channels(inputs, 4, "conv2d_transpose", c_axis)
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    rate = _pair(dilation_rate, "dilation_rate")
    if rate[0] != rate[1]:  # Keras' backend, which runs atrous_conv2d_transpose (one rate)
        raise ValueError("Expected the 2 dimensions of the `dilation_rate` argument to be "
                         f"equal to each other. Received: dilation_rate={rate}")
    extra = (None, None) if output_padding is None else \
        normalize_tuple(output_padding, 2, "output_padding", allow_zero=True)
    pad = _padding(padding)
    filters = int(filters)
    with _scope(name, "conv2d_transpose", reuse, _scope_out):
        kernel, bias = _weights([kh, kw, filters, channels], inputs.dtype, kernel_initializer,
                                bias_initializer, use_bias, kernel_regularizer,
                                bias_regularizer, trainable, filters, kernel_constraint,
                                bias_constraint)
        shape = array_ops.shape(inputs)
        dims = inputs.shape.as_list()

        def out_len(axis, k, s, out_pad):  # Keras' deconv_output_length, on an int or a tensor
            size = dims[axis] if dims[axis] is not None else shape[axis]
            k = k + (k - 1) * (rate[0] - 1)
            if out_pad is not None:
                return (size - 1) * s + k - 2 * (k // 2 if pad == "SAME" else 0) + out_pad
            return size * s if pad == "SAME" else size * s + max(k - s, 0)

        oh, ow = out_len(h_axis, kh, sh, extra[0]), out_len(w_axis, kw, sw, extra[1])
        spatial = [shape[0], oh, ow, filters] if fmt == "NHWC" else [shape[0], filters, oh, ow]
        if rate[0] == 1:
            stride = [1, sh, sw, 1] if fmt == "NHWC" else [1, 1, sh, sw]
            out = conv_ops.conv2d_transpose(inputs, kernel, concat_split_ops.stack(spatial),
                                            strides=stride, padding=pad, data_format=fmt,
                                            name="conv2d_transpose")
        else:  # as Keras: atrous_conv2d_transpose, NHWC only (channels_first transposed)
            x = inputs if fmt == "NHWC" else transform_ops.transpose(inputs, [0, 2, 3, 1])
            out = nn_conv3d.atrous_conv2d_transpose(
                x, kernel, concat_split_ops.stack([shape[0], oh, ow, filters]), rate[0], pad)
            out = out if fmt == "NHWC" else transform_ops.transpose(out, [0, 3, 1, 2])
        static = [dims[0]] + [v if isinstance(v, int) else None for v in spatial[1:]]
        out.set_shape(static)
        return _finish(out, bias, activation, fmt, activity_regularizer)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None,
                     _scope_out=None):
    """A transposed 2-D convolution: kernel ``[kh, kw, filters, in_channels]``; the output is
    ``in * stride`` (SAME) or ``in * stride + max(k - stride, 0)`` (VALID) per spatial dim.
    (TF's functional form takes no ``dilation_rate`` nor ``output_padding``.)"""
    return _conv2d_transpose(**locals())


def _args_1d(inputs, data_format, kernel_size, strides, dilation_rate, padding, filters,
             what):
    """The checked arguments of a 1-D convolution layer: (inputs, channels last?, input
    channels, kernel size, stride, dilation, padding, filters)."""
    inputs = convert_to_tensor(inputs)
    last = _nhwc(data_format) == "NHWC"
    channels = _channels(inputs, 3, what, 2 if last else 1)
    k = _single(kernel_size, "kernel_size")
    s = _single(strides, "strides")
    d = _single(dilation_rate, "dilation_rate")
    _no_strided_dilation([s], [d])
    return inputs, last, channels, k, s, d, _padding_1d(padding), int(filters)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
           data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None, _scope_out=None):
    """A 1-D convolution layer: kernel ``[k, in_channels, filters]`` and a bias; ``padding``
    may also be "causal" (left padding only, then VALID)."""
    inputs, last, channels, k, s, d, pad, filters = _args_1d(
        inputs, data_format, kernel_size, strides, dilation_rate, padding, filters, "conv1d")
    fmt = "NWC" if last else "NCW"
    with _scope(name, "conv1d", reuse, _scope_out):
        kernel, bias = _weights([k, channels, filters], inputs.dtype, kernel_initializer,
                                bias_initializer, use_bias, kernel_regularizer,
                                bias_regularizer, trainable, filters, kernel_constraint,
                                bias_constraint)
        if pad == "causal":
            inputs = _causal_pad(inputs, d * (k - 1), last)
        # Keras names the convolution after the layer class: "conv1d/Conv1D".
        with name_scope("Conv1D") as scope:
            def op(converted, _, padding):
                return nn_impl.conv1d(converted, kernel, stride=s, padding=padding,
                                      data_format=fmt, name=scope)

            out = nn_impl.with_space_to_batch(inputs, [d], "VALID" if pad == "causal" else
                                              pad.upper(), op, filter_shape=[k],
                                              data_format=fmt)
        if bias is not None and not last:  # Keras: BiasAdd takes no 1-D NCW input
            out = out + array_ops.reshape(bias, [1, filters, 1])
            bias = None
        return _finish(out, bias, activation, "NHWC", activity_regularizer)


def _separable_weights(kernel_shape, channels, depth_multiplier, filters, dtype,
                       depthwise_initializer, pointwise_initializer, bias_initializer,
                       depthwise_regularizer, pointwise_regularizer, bias_regularizer,
                       depthwise_constraint, pointwise_constraint, bias_constraint, use_bias,
                       trainable):
    # No initializer: get_variable's default (the scope's initializer, else glorot_uniform).
    depthwise = layer_variable("depthwise_kernel", kernel_shape + [channels, depth_multiplier],
                             dtype=dtype,
                             initializer=initializer_of(depthwise_initializer),
                             regularizer=depthwise_regularizer, trainable=trainable,
                             constraint=depthwise_constraint)[0]
    pointwise = layer_variable("pointwise_kernel",
                             [1] * len(kernel_shape) + [channels * depth_multiplier, filters],
                             dtype=dtype,
                             initializer=initializer_of(pointwise_initializer),
                             regularizer=pointwise_regularizer, trainable=trainable,
                             constraint=pointwise_constraint)[0]
    bias = None
    if use_bias:
        bias = layer_variable("bias", [filters], dtype=dtype,
                            initializer=initializer_of(bias_initializer) or
                            init_ops.zeros_initializer(),
                            regularizer=bias_regularizer, trainable=trainable,
                            constraint=bias_constraint)[0]
    return depthwise, pointwise, bias


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=None,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                     reuse=None, _scope_out=None):
    """A depthwise separable 2-D convolution (tf.nn.separable_conv2d): ``depthwise_kernel``
    ``[kh, kw, in_channels, depth_multiplier]``, ``pointwise_kernel`` ``[1, 1, in_channels *
    depth_multiplier, filters]`` and a bias."""
    inputs = convert_to_tensor(inputs)
    fmt = _nhwc(data_format)
    channels = _channels(inputs, 4, "separable_conv2d", 3 if fmt == "NHWC" else 1)
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    rates = _pair(dilation_rate, "dilation_rate")
    _no_strided_dilation([sh, sw], rates)
    filters = int(filters)
    with _scope(name, "separable_conv2d", reuse, _scope_out):
        depthwise, pointwise, bias = _separable_weights(
            [kh, kw], channels, int(depth_multiplier), filters, inputs.dtype,
            depthwise_initializer, pointwise_initializer, bias_initializer,
            depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            depthwise_constraint, pointwise_constraint, bias_constraint, use_bias, trainable)
        stride = [1, sh, sw, 1] if fmt == "NHWC" else [1, 1, sh, sw]
        out = nn_impl.separable_conv2d(inputs, depthwise, pointwise, stride, _padding(padding),
                                       rate=rates, data_format=fmt)
        return _finish(out, bias, activation, fmt, activity_regularizer)


def separable_conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
                     data_format="channels_last", dilation_rate=1, depth_multiplier=1,
                     activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=None,
                     depthwise_regularizer=None, pointwise_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None, trainable=True, name=None,
                     reuse=None, _scope_out=None):
    """A depthwise separable 1-D convolution: separable_conv2d on a dummy height of 1, with
    ``depthwise_kernel`` ``[k, in_channels, depth_multiplier]`` and ``pointwise_kernel``
    ``[1, in_channels * depth_multiplier, filters]``."""
    inputs, last, channels, k, s, d, pad, filters = _args_1d(
        inputs, data_format, kernel_size, strides, dilation_rate, padding, filters,
        "separable_conv1d")
    fmt = "NHWC" if last else "NCHW"
    with _scope(name, "separable_conv1d", reuse, _scope_out):
        depthwise, pointwise, bias = _separable_weights(
            [k], channels, int(depth_multiplier), filters, inputs.dtype,
            depthwise_initializer, pointwise_initializer, bias_initializer,
            depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            depthwise_constraint, pointwise_constraint, bias_constraint, use_bias, trainable)
        if pad == "causal":
            inputs = _causal_pad(inputs, d * (k - 1), last)
        axis = 1 if last else 2  # the dummy height
        x = transform_ops.expand_dims(inputs, axis)
        dk = transform_ops.expand_dims(depthwise, 0)
        pk = transform_ops.expand_dims(pointwise, 0)
        # Keras strides the dummy height too: (1, s, s, 1); a height of 1 stays 1.
        stride = [1, s, s, 1] if last else [1, 1, s, s]
        out = nn_impl.separable_conv2d(x, dk, pk, stride,
                                       "VALID" if pad == "causal" else pad.upper(),
                                       rate=(1, d), data_format=fmt)
        if bias is not None:
            out = nn_ops.bias_add(out, bias, data_format=fmt)
        out = transform_ops.squeeze(out, [axis])
        return _activity(_activate(activation, out),
                         activity_regularizer)


def _pooling1d(pool, default_name):
    def layer(inputs, pool_size, strides, padding="valid", data_format="channels_last",
              name=None, _scope_out=None):
        last = _nhwc(data_format) == "NHWC"
        p = _single(pool_size, "pool_size")
        s = _single(strides, "strides")
        with _scope(name, default_name, None, _scope_out):
            # Keras: the window runs over a [N, W, 1, C] (or [N, C, W, 1]) view.
            axis = 2 if last else 3
            x = transform_ops.expand_dims(inputs, axis)
            ksize = [1, p, 1, 1] if last else [1, 1, p, 1]
            stride = [1, s, 1, 1] if last else [1, 1, s, 1]
            out = pool(x, ksize, stride, _padding(padding),
                       data_format="NHWC" if last else "NCHW")
            return transform_ops.squeeze(out, [axis])
    layer.__name__ = default_name
    layer.__doc__ = (f"A 1-D {default_name.split('_')[0]} pooling layer "
                     f"(``{pool.__name__}`` over a dummy spatial axis).")
    return layer


max_pooling1d = _pooling1d(pool_ops.max_pool, "max_pooling1d")
average_pooling1d = _pooling1d(pool_ops.avg_pool, "average_pooling1d")


class Conv2DTranspose(_layer(_conv2d_transpose, "Conv2DTranspose", variables=("kernel", "bias"))):
    """TF1's ``tf.layers.Conv2DTranspose``, which also takes Keras' ``dilation_rate`` and
    ``output_padding`` (checked here, at construction, as Keras does)."""

    _default_name = "conv2d_transpose"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        strides, rates = self._attrs["strides"], self._attrs["dilation_rate"]
        if max(strides) > 1 and max(rates) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > "
                             f"1`. Received: strides={strides} and dilation_rate={rates}")
        if self._attrs["output_padding"] is not None:
            extra = normalize_tuple(self._attrs["output_padding"], 2, "output_padding",
                                    allow_zero=True)
            if any(p >= s for s, p in zip(strides, extra)):
                raise ValueError(f"Strides must be greater than output padding. Received "
                                 f"strides={strides}, output_padding={extra}.")
            self._attrs["output_padding"] = extra

Conv1D = _layer(conv1d, "Conv1D", variables=("kernel", "bias"))
SeparableConv2D = _layer(separable_conv2d, "SeparableConv2D",
                         variables=("depthwise_kernel", "pointwise_kernel", "bias"))
SeparableConv1D = _layer(separable_conv1d, "SeparableConv1D",
                         variables=("depthwise_kernel", "pointwise_kernel", "bias"))
MaxPooling1D = _layer(max_pooling1d, "MaxPooling1D")
AveragePooling1D = _layer(average_pooling1d, "AveragePooling1D")
