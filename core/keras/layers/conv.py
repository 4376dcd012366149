"""``tf.keras.layers``' convolutions (Conv1D/2D/3D, Conv2DTranspose/Conv3DTranspose,
SeparableConv1D/2D, DepthwiseConv2D) and the shape layers that go with them (UpSampling,
ZeroPadding, Cropping in 1-3 D, written in resampling.py).

The convolutions compute with core/layers.py's functions (conv1d, conv2d, conv3d,
separable_conv1d/2d: same ops, same names, causal padding and dilations included) over the
Keras layer's weights (core.py's ``_weights_of``); the transposed ones use Keras'
``deconv_output_length`` (with ``output_padding`` and the dilated kernel's length), a dilated
Conv2DTranspose K.conv2d_transpose as Keras. ``groups`` > 1 is refused, and so is a dilated
Conv3DTranspose (Keras ignores its dilation_rate).
"""

from __future__ import annotations


from ... import layers as _tf_layers
from ... import nn_conv3d, nn_convolution
from ...layers import _normalize_data_format, _normalize_padding, normalize_tuple
from ...ops import array_ops, concat_split_ops, conv_ops, nn_ops
from ...tensor_shape import TensorShape
from .. import activations, backend, backend_ops, constraints, initializers, regularizers
from ..base_layer import InputSpec, Layer
from .core import _config, _floats, _kernel_and_bias_arguments, _shape, _weights_of
from .resampling import (Cropping1D, Cropping2D, Cropping3D, UpSampling1D,  # noqa: F401
                         UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                         ZeroPadding3D)

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose",
           "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D", "UpSampling1D",
           "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
           "Cropping1D", "Cropping2D", "Cropping3D", "Convolution1D", "Convolution2D",
           "Convolution3D", "Convolution2DTranspose", "Convolution3DTranspose",
           "SeparableConvolution1D", "SeparableConvolution2D"]


def _data_format(value):
    return _normalize_data_format(value or backend.image_data_format())


def conv_output_length(length, filter_size, padding, stride, dilation=1):
    """Keras' conv_utils.conv_output_length."""
    if length is None:
        return None
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    if padding in ("same", "causal"):
        out = length
    elif padding == "valid":
        out = length - dilated + 1
    else:  # full
        out = length + dilated - 1
    return (out + stride - 1) // stride


def deconv_output_length(length, filter_size, padding, output_padding=None, stride=0,
                         dilation=1):
    """Keras' conv_utils.deconv_output_length (a transposed convolution's output length)."""
    if length is None:
        return None
    filter_size = filter_size + (filter_size - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(filter_size - stride, 0)
        if padding == "full":
            return length * stride - (stride + filter_size - 2)
        return length * stride
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[padding]
    return (length - 1) * stride + filter_size - 2 * pad + output_padding


class _Conv(Layer):
    """Keras' Conv base: ``kernel`` ``kernel_size + (in_channels, filters)`` and ``bias``."""

    rank = 2
    _fn = staticmethod(_tf_layers.conv2d)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        rank = self.rank
        if isinstance(filters, float):
            filters = int(filters)
        if filters is not None and filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly "
                             f"positive value. Received filters={filters}.")
        self.filters = filters
        self.groups = groups or 1
        if self.groups != 1:
            raise ValueError(f"minitf's {type(self).__name__} supports groups=1 only. "
                             f"Received: groups={groups}")
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides", allow_zero=True)
        if not all(self.strides):
            raise ValueError(f"The argument `strides` cannot contains 0(s). Received: "
                             f"{self.strides}")
        self.padding = _normalize_padding(padding)
        self.data_format = _data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = activations.get(activation)
        _kernel_and_bias_arguments(self, use_bias, kernel_initializer, bias_initializer,
                                   kernel_regularizer, bias_regularizer, kernel_constraint,
                                   bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        if self.padding == "causal" and rank != 1:
            raise ValueError("Causal padding is only supported for `Conv1D` and "
                             "`SeparableConv1D`.")
        if any(s != 1 for s in self.strides) and any(d != 1 for d in self.dilation_rate):
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate "
                             f"> 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    @property
    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _input_channels(self, input_shape):
        input_shape = _shape(input_shape)
        channels = input_shape[self._channel_axis].value if input_shape.rank else None
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. The "
                             f"input_shape received is {input_shape}, where axis "
                             f"{self._channel_axis} (0-based) is the channel dimension, which "
                             "found to be `None`.")
        return channels

    def _kernel_shape(self, channels):
        return self.kernel_size + (channels, self.filters)

    def _bias(self, shape):
        """The bias weight of ``shape`` (None without ``use_bias``)."""
        if not self.use_bias:
            return None
        return self.add_weight("bias", shape=shape, initializer=self.bias_initializer,
                               regularizer=self.bias_regularizer,
                               constraint=self.bias_constraint, trainable=True,
                               dtype=self.dtype)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight("kernel", shape=self._kernel_shape(channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, trainable=True,
                                      dtype=self.dtype)
        self.bias = self._bias((self.filters,))
        axis = self._channel_axis % (self.rank + 2)
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _run(self, inputs):
        return type(self)._fn(inputs, self.filters, self.kernel_size, strides=self.strides,
                              padding=self.padding, data_format=self.data_format,
                              dilation_rate=self.dilation_rate, activation=self.activation,
                              use_bias=self.use_bias, _scope_out=self._scope)

    def call(self, inputs):
        with _weights_of(self) as scope:
            self._scope = scope
            return self._run(_floats(self, inputs))

    def _spatial(self, input_shape):
        dims = _shape(input_shape).with_rank(self.rank + 2).as_list()
        return dims[2:] if self.data_format == "channels_first" else dims[1:-1]

    def _output_spatial(self, spatial):
        return [conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).with_rank(self.rank + 2).as_list()
        out = self._output_spatial(self._spatial(input_shape))
        if self.data_format == "channels_first":
            return TensorShape([dims[0], self.filters, *out])
        return TensorShape([dims[0], *out, self.filters])

    def _base_config(self):
        return _config(self, Layer, filters=self.filters, kernel_size=self.kernel_size,
                       strides=self.strides, padding=self.padding,
                       data_format=self.data_format, dilation_rate=self.dilation_rate,
                       groups=self.groups, activation=activations.serialize(self.activation),
                       use_bias=self.use_bias,
                       bias_initializer=initializers.serialize(self.bias_initializer),
                       bias_regularizer=regularizers.serialize(self.bias_regularizer),
                       activity_regularizer=regularizers.serialize(
                           getattr(self, "activity_regularizer", None)),
                       bias_constraint=constraints.serialize(self.bias_constraint))

    def get_config(self):
        config = self._base_config()
        config.update(kernel_initializer=initializers.serialize(self.kernel_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      kernel_constraint=constraints.serialize(self.kernel_constraint))
        return config


class Conv1D(_Conv):
    """1-D convolution; ``padding="causal"`` pads on the left only."""

    rank = 1
    _fn = staticmethod(_tf_layers.conv1d)

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)

    def _run(self, inputs):
        return _tf_layers.conv1d(inputs, self.filters, self.kernel_size, self.strides,
                                 self.padding, self.data_format, self.dilation_rate,
                                 self.activation, self.use_bias, _scope_out=self._scope)


class Conv2D(_Conv):
    rank = 2
    _fn = staticmethod(_tf_layers.conv2d)

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)


class Conv3D(_Conv):
    rank = 3
    _fn = staticmethod(_tf_layers.conv3d)

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)


class _ConvTranspose(_Conv):
    """Kernel ``kernel_size + (filters, in_channels)``; output lengths as Keras'
    deconv_output_length (``output_padding`` < strides)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)
        self.output_padding = output_padding
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, self.rank, "output_padding",
                                                  allow_zero=True)
            for stride, pad in zip(self.strides, self.output_padding):
                if pad >= stride:
                    raise ValueError("Strides must be greater than output padding. Received "
                                     f"strides={self.strides}, output_padding="
                                     f"{self.output_padding}.")
        if self.rank == 3 and any(d != 1 for d in self.dilation_rate):
            # Keras' Conv3DTranspose takes dilation_rate but computes (and sizes) without it;
            # refused rather than silently ignored.
            raise ValueError("Conv3DTranspose ignores `dilation_rate` in Keras (no dilated "
                             "3-D transposed convolution), so minitf refuses it. Received: "
                             f"dilation_rate={self.dilation_rate}")

    def _kernel_shape(self, channels):
        return self.kernel_size + (self.filters, channels)

    def _output_spatial(self, spatial):
        pads = self.output_padding or (None,) * self.rank
        return [deconv_output_length(n, k, self.padding, p, s, d) for n, k, p, s, d in
                zip(spatial, self.kernel_size, pads, self.strides, self.dilation_rate)]

    def _run(self, inputs):
        first = self.data_format == "channels_first"
        shape = array_ops.shape(inputs)
        static = inputs.shape.as_list()
        axes = list(range(2, self.rank + 2)) if first else list(range(1, self.rank + 1))
        known = self._output_spatial([static[a] for a in axes])
        pads = self.output_padding or (None,) * self.rank
        spatial = [n if n is not None else deconv_output_length(
            shape[a], k, self.padding, p, s, d) for n, a, k, p, s, d in
            zip(known, axes, self.kernel_size, pads, self.strides, self.dilation_rate)]
        sizes = [shape[0], self.filters, *spatial] if first else \
            [shape[0], *spatial, self.filters]
        fmt = ("NCHW" if first else "NHWC") if self.rank == 2 else \
            ("NCDHW" if first else "NDHWC")
        strides = [1, 1, *self.strides] if first else [1, *self.strides, 1]
        padding = self.padding.upper()
        if self.rank == 2 and any(d != 1 for d in self.dilation_rate):
            # as Keras: K.conv2d_transpose, an atrous_conv2d_transpose (equal rates only, the
            # strides 1) on channels-last data
            out = backend_ops.conv2d_transpose(inputs, self.kernel, sizes, self.strides,
                                               self.padding, self.data_format,
                                               self.dilation_rate)
        elif self.rank == 2:
            out = conv_ops.conv2d_transpose(inputs, self.kernel, concat_split_ops.stack(sizes),
                                            strides=strides, padding=padding, data_format=fmt,
                                            name="conv2d_transpose")
        else:
            out = nn_conv3d.conv3d_transpose(inputs, self.kernel, concat_split_ops.stack(sizes),
                                             strides=strides, padding=padding, data_format=fmt)
        out.set_shape(self.compute_output_shape(inputs.shape))
        if self.use_bias:
            out = nn_ops.bias_add(out, self.bias, data_format=fmt)
        return self.activation(out) if self.activation is not None else out

    def get_config(self):
        config = super().get_config()
        config["output_padding"] = self.output_padding
        if self.rank == 3:  # as Keras' Conv3DTranspose
            config.pop("dilation_rate")
        return config


class Conv2DTranspose(_ConvTranspose):
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, **kwargs)


class _SeparableConv(_Conv):
    """``depthwise_kernel`` ``kernel_size + (in_channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1,) * rank + (in_channels * depth_multiplier, filters)``, bias."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, trainable=True, dtype=self.dtype)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel",
            shape=(1,) * self.rank + (self.depth_multiplier * channels, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, trainable=True, dtype=self.dtype)
        self.bias = self._bias((self.filters,))
        axis = self._channel_axis % (self.rank + 2)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _run(self, inputs):
        fn = _tf_layers.separable_conv1d if self.rank == 1 else _tf_layers.separable_conv2d
        return fn(inputs, self.filters, self.kernel_size, self.strides, self.padding,
                  self.data_format, self.dilation_rate, self.depth_multiplier,
                  self.activation, self.use_bias, _scope_out=self._scope)

    def get_config(self):
        config = super().get_config()  # Keras keeps the kernel_* keys of Conv here
        config.update(
            depth_multiplier=self.depth_multiplier,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
            pointwise_regularizer=regularizers.serialize(self.pointwise_regularizer),
            depthwise_constraint=constraints.serialize(self.depthwise_constraint),
            pointwise_constraint=constraints.serialize(self.pointwise_constraint))
        return config


class SeparableConv1D(_SeparableConv):
    rank = 1


class SeparableConv2D(_SeparableConv):
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, **kwargs)


class DepthwiseConv2D(_Conv):
    """Per-channel convolution (tf.nn.depthwise_conv2d): ``depthwise_kernel``
    ``kernel_size + (in_channels, depth_multiplier)``, bias ``in_channels * multiplier``."""

    rank = 2

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(None, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        if _shape(input_shape).rank != 4:
            raise ValueError("Inputs to `DepthwiseConv2D` should have rank 4. Received input "
                             f"shape: {input_shape}")
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, trainable=True, dtype=self.dtype)
        self.bias = self._bias((channels * self.depth_multiplier,))
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis % 4: channels})
        self.built = True

    def _run(self, inputs):
        first = self.data_format == "channels_first"
        fmt = "NCHW" if first else "NHWC"
        strides = [1, 1, *self.strides] if first else [1, *self.strides, 1]
        out = nn_convolution.depthwise_conv2d(inputs, self.depthwise_kernel, strides,
                                              self.padding.upper(), rate=self.dilation_rate,
                                              data_format=fmt)
        if self.use_bias:
            out = nn_ops.bias_add(out, self.bias, data_format=fmt)
        return self.activation(out) if self.activation is not None else out

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).with_rank(4).as_list()
        channels = dims[1 if self.data_format == "channels_first" else 3]
        out_filters = None if channels is None else channels * self.depth_multiplier
        out = self._output_spatial(self._spatial(input_shape))
        if self.data_format == "channels_first":
            return TensorShape([dims[0], out_filters, *out])
        return TensorShape([dims[0], *out, out_filters])

    def get_config(self):
        config = self._base_config()
        config.pop("filters")
        config.update(
            depth_multiplier=self.depth_multiplier,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            depthwise_regularizer=regularizers.serialize(self.depthwise_regularizer),
            depthwise_constraint=constraints.serialize(self.depthwise_constraint))
        return config


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
