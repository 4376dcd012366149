"""``tf.keras.layers``' UpSampling, ZeroPadding and Cropping in 1, 2 and 3 D (exported by
conv.py, as Keras' convolutional module): nearest upsampling repeats entries (bilinear is
ResizeBilinear with half-pixel centers, as Keras' tf.image.resize); padding and cropping take
an int, one per spatial axis, or a (before, after) pair per axis."""

from __future__ import annotations

import numpy as np

from ...graph import convert_to_tensor
from ...image_resize import resize_bilinear
from ...layers import _normalize_data_format, normalize_tuple
from ...ops import array_ops, concat_split_ops, pad_ops, transform_ops
from ...tensor_shape import TensorShape
from .. import backend
from ..base_layer import InputSpec, Layer
from .core import _config, _shape

__all__ = ["UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D",
           "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D"]


def _data_format(value):
    return _normalize_data_format(value or backend.image_data_format())


def _repeat(x, n, axis):
    """Each entry along ``axis`` repeated ``n`` times (Keras' repeat_elements)."""
    if n == 1:
        return x
    static = x.shape.as_list()
    shape = array_ops.shape(x)
    tiled = transform_ops.tile(transform_ops.expand_dims(x, axis + 1),
                               [1] * (axis + 1) + [n] + [1] * (len(static) - axis - 1))
    target = [static[i] if static[i] is not None else shape[i] for i in range(len(static))]
    target[axis] = target[axis] * n
    out = array_ops.reshape(tiled, concat_split_ops.stack(target))
    out.set_shape([None if isinstance(t, type(shape)) else t for t in target])
    return out


class _Spatial(Layer):
    """A layer over the spatial axes of a ``rank + 2``-D input (data_format aware)."""

    rank = 1

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = "channels_last" if self.rank == 1 else _data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        start = 2 if self.data_format == "channels_first" else 1
        return list(range(start, start + self.rank))

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).with_rank(self.rank + 2).as_list()
        for axis, i in zip(self._axes(), range(self.rank)):
            dims[axis] = None if dims[axis] is None else self._length(dims[axis], i)
        return TensorShape(dims)

    def get_config(self):
        config = _config(self, Layer, **self._own_config())
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class _UpSampling(_Spatial):
    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = int(size) if self.rank == 1 else normalize_tuple(size, self.rank, "size")
        self.interpolation = interpolation
        if interpolation not in ("nearest", "bilinear") or \
                (interpolation != "nearest" and self.rank != 2):
            raise ValueError("`interpolation` argument should be one of `\"nearest\"` or "
                             f"`\"bilinear\"`. Received: \"{interpolation}\".")

    def _sizes(self):
        return (self.size,) if self.rank == 1 else self.size

    def _length(self, n, i):
        return n * self._sizes()[i]

    def call(self, inputs):
        inputs = convert_to_tensor(inputs)
        if self.interpolation == "bilinear":
            first = self.data_format == "channels_first"
            x = transform_ops.transpose(inputs, [0, 2, 3, 1]) if first else inputs
            shape = array_ops.shape(x)[1:3]
            out = resize_bilinear(x, shape * np.array(self.size, np.int32),
                                  half_pixel_centers=True)
            out = transform_ops.transpose(out, [0, 3, 1, 2]) if first else out
            out.set_shape(self.compute_output_shape(inputs.shape))
            return out
        for axis, n in zip(self._axes(), self._sizes()):
            inputs = _repeat(inputs, n, axis)
        return inputs

    def _own_config(self):
        if self.rank == 1:
            return {"size": self.size}
        config = {"size": self.size}
        if self.rank == 2:
            config["interpolation"] = self.interpolation
        return config


class UpSampling1D(_UpSampling):
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size=size, **kwargs)


class UpSampling2D(_UpSampling):
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)


class UpSampling3D(_UpSampling):
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)


def _pairs(value, rank, what):
    """An int, ``rank`` ints, or ``rank`` pairs as ``rank`` (before, after) pairs."""
    if isinstance(value, (int, np.integer)):
        return ((int(value), int(value)),) * rank
    value = tuple(value)
    if rank == 1 and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        return ((int(value[0]), int(value[1])),)
    if len(value) != rank:
        raise ValueError(f"`{what}` should have {rank} elements. Received: {value}.")
    out = []
    for v in value:
        out.append(normalize_tuple(v, 2, f"{len(out) + 1}st entry of {what}", allow_zero=True))
    return tuple(out)


class _ZeroPadding(_Spatial):
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding")

    def _length(self, n, i):
        return n + sum(self.padding[i])

    def call(self, inputs):
        pads = [[0, 0] for _ in range(self.rank + 2)]
        for axis, pair in zip(self._axes(), self.padding):
            pads[axis] = list(pair)
        return pad_ops.pad(inputs, pads)

    def _own_config(self):
        return {"padding": self.padding[0] if self.rank == 1 else self.padding}


class ZeroPadding1D(_ZeroPadding):
    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__(padding, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    rank = 3

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Spatial):
    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")

    def _length(self, n, i):
        out = n - sum(self.cropping[i])
        if out <= 0:
            raise ValueError("`cropping` parameter of `Cropping` layer must be smaller than "
                             f"the input size. Received: inputs.shape={n}, "
                             f"cropping={self.cropping[i]}")
        return out

    def call(self, inputs):
        inputs = convert_to_tensor(inputs)
        self.compute_output_shape(inputs.shape)  # Keras' error for too large a crop
        index = [slice(None)] * (self.rank + 2)
        for axis, (a, b) in zip(self._axes(), self.cropping):
            index[axis] = slice(a, -b if b else None)
        return inputs[tuple(index)]

    def _own_config(self):
        return {"cropping": self.cropping[0] if self.rank == 1 else self.cropping}


class Cropping1D(_Cropping):
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
