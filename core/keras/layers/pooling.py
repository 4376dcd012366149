"""``tf.keras.layers``' pooling: Max/AveragePooling1D/2D/3D (core/layers.py's pooling
functions: the same MaxPool/AvgPool ops, 1-D over a dummy axis, 3-D channels_first transposed)
and the global poolings (a reduce over the spatial axes, ``keepdims`` optional; the 1-D
average honours a mask), with Keras' aliases (MaxPool2D, GlobalAvgPool1D...)."""

from __future__ import annotations

from ... import layers as _tf_layers
from ...graph import convert_to_tensor
from ...layers import _IN_LAYER, _normalize_data_format, normalize_tuple
from ...ops import math_ops, reduction_ops, transform_ops
from ...tensor_shape import TensorShape
from .. import backend
from ..base_layer import InputSpec, Layer
from .conv import conv_output_length
from .core import _config, _shape

__all__ = ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
           "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "GlobalMaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
           "GlobalAveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
           "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D"]


class _Pooling(Layer):
    rank = 2
    _fn = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _normalize_data_format(data_format or backend.image_data_format())
        if strides is None:
            strides = pool_size
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = normalize_tuple(strides, self.rank, "strides", allow_zero=True)
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise ValueError('The `padding` argument must be a list/tuple or one of "valid", '
                             f'"same". Received: {padding}')
        self.padding = padding
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        size = self.pool_size[0] if self.rank == 1 else self.pool_size
        strides = self.strides[0] if self.rank == 1 else self.strides
        return type(self)._fn(inputs, size, strides, padding=self.padding,
                              data_format=self.data_format, _scope_out=_IN_LAYER)

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).with_rank(self.rank + 2).as_list()
        first = self.data_format == "channels_first"
        axes = range(2, self.rank + 2) if first else range(1, self.rank + 1)
        for axis, p, s in zip(axes, self.pool_size, self.strides):
            dims[axis] = conv_output_length(dims[axis], p, self.padding, s)
        return TensorShape(dims)

    def get_config(self):
        return _config(self, Layer, pool_size=self.pool_size, padding=self.padding,
                       strides=self.strides, data_format=self.data_format)


def _pooling(name, rank, fn, defaults):
    def init(self, pool_size=defaults, strides=None, padding="valid", data_format=None,
             **kwargs):
        if rank == 1 and data_format is None:
            data_format = "channels_last"
        _Pooling.__init__(self, pool_size, strides, padding, data_format, **kwargs)

    return type(name, (_Pooling,), {"rank": rank, "_fn": staticmethod(fn),
                                    "__init__": init,
                                    "__doc__": f"Keras' {name} (tf.layers' {fn.__name__})."})


MaxPooling1D = _pooling("MaxPooling1D", 1, _tf_layers.max_pooling1d, 2)
MaxPooling2D = _pooling("MaxPooling2D", 2, _tf_layers.max_pooling2d, (2, 2))
MaxPooling3D = _pooling("MaxPooling3D", 3, _tf_layers.max_pooling3d, (2, 2, 2))
AveragePooling1D = _pooling("AveragePooling1D", 1, _tf_layers.average_pooling1d, 2)
AveragePooling2D = _pooling("AveragePooling2D", 2, _tf_layers.average_pooling2d, (2, 2))
AveragePooling3D = _pooling("AveragePooling3D", 3, _tf_layers.average_pooling3d, (2, 2, 2))


class _GlobalPooling(Layer):
    rank = 1
    _reduce = staticmethod(reduction_ops.reduce_max)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        if self.rank == 1 and data_format is None:
            data_format = "channels_last"
        self.data_format = _normalize_data_format(data_format or backend.image_data_format())
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return list(range(start, start + self.rank))

    def call(self, inputs):
        return type(self)._reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).with_rank(self.rank + 2).as_list()
        if self.keepdims:
            for a in self._axes():
                dims[a] = 1
            return TensorShape(dims)
        return TensorShape([d for i, d in enumerate(dims) if i not in self._axes()])

    def get_config(self):
        return _config(self, Layer, data_format=self.data_format, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling):
    rank = 1


class GlobalMaxPooling2D(_GlobalPooling):
    rank = 2


class GlobalMaxPooling3D(_GlobalPooling):
    rank = 3


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over time; with a mask, over the unmasked steps only."""

    rank = 1
    _reduce = staticmethod(reduction_ops.reduce_mean)

    def __init__(self, data_format="channels_last", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        inputs = convert_to_tensor(inputs)
        steps = 2 if self.data_format == "channels_first" else 1
        weights = math_ops.cast(mask, inputs.dtype)
        weights = transform_ops.expand_dims(weights, 1 if steps == 2 else 2)
        total = reduction_ops.reduce_sum(inputs * weights, axis=steps, keepdims=self.keepdims)
        count = reduction_ops.reduce_sum(weights, axis=steps, keepdims=self.keepdims)
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    rank = 2
    _reduce = staticmethod(reduction_ops.reduce_mean)


class GlobalAveragePooling3D(_GlobalPooling):
    rank = 3
    _reduce = staticmethod(reduction_ops.reduce_mean)


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
