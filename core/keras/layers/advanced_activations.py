"""``tf.keras.layers``' activation layers: ReLU (with ``max_value``, ``negative_slope``,
``threshold``), LeakyReLU, PReLU (a learned slope ``alpha``, shared along ``shared_axes``),
ELU, ThresholdedReLU and Softmax (a mask makes masked entries' probability 0)."""

from __future__ import annotations

import numpy as np

from ...graph import convert_to_tensor
from ...ops import logic_ops, math_ops, nn_ops
from ...tensor_shape import TensorShape
from .. import activations, constraints, initializers, regularizers
from ..base_layer import InputSpec, Layer
from .core import _config, _shape

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax"]


def _floatx(value):
    return None if value is None else np.float32(value)


class _Elementwise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return _shape(input_shape)


class ReLU(_Elementwise):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError("max_value of a ReLU layer cannot be a negative value. Received: "
                             f"{max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError("negative_slope of a ReLU layer cannot be a negative value. "
                             f"Received: {negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError("threshold of a ReLU layer cannot be a negative value. Received: "
                             f"{threshold}")
        self.max_value = _floatx(max_value)
        self.negative_slope = _floatx(negative_slope)
        self.threshold = _floatx(threshold)

    def call(self, inputs):
        return activations.relu(inputs, alpha=float(self.negative_slope),
                                max_value=None if self.max_value is None else
                                float(self.max_value), threshold=float(self.threshold))

    def get_config(self):
        return _config(self, Layer, max_value=self.max_value,
                       negative_slope=self.negative_slope, threshold=self.threshold)


class LeakyReLU(_Elementwise):
    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError("The alpha value of a Leaky ReLU layer cannot be None, Expecting "
                             f"a float. Received: {alpha}")
        self.alpha = _floatx(alpha)

    def call(self, inputs):
        return nn_ops.leaky_relu(inputs, alpha=float(self.alpha))

    def get_config(self):
        return _config(self, Layer, alpha=float(self.alpha))


class ELU(_Elementwise):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError("Alpha of an ELU layer cannot be None, expecting a float. "
                             f"Received: {alpha}")
        self.alpha = _floatx(alpha)

    def call(self, inputs):
        return activations.elu(inputs, float(self.alpha))

    def get_config(self):
        return _config(self, Layer, alpha=float(self.alpha))


class ThresholdedReLU(_Elementwise):
    """``x`` where ``x > theta``, else 0."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError("Theta of a Thresholded ReLU layer cannot be None, expecting a "
                             f"float. Received: {theta}")
        if theta < 0:
            raise ValueError("The theta value of a Thresholded ReLU layer should be >=0. "
                             f"Received: {theta}")
        self.theta = _floatx(theta)

    def call(self, inputs):
        inputs = convert_to_tensor(inputs)
        return inputs * math_ops.cast(logic_ops.greater(inputs, float(self.theta)),
                                      inputs.dtype.base_dtype)

    def get_config(self):
        return _config(self, Layer, theta=float(self.theta))


class Softmax(_Elementwise):
    """Softmax over ``axis`` (an int or a list: then exp(x - logsumexp) over them)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        inputs = convert_to_tensor(inputs)
        if mask is not None:
            adder = (1.0 - math_ops.cast(mask, inputs.dtype)) * (-1e9 if inputs.dtype.size > 2
                                                                 else -65500.0)
            inputs = inputs + adder
        if isinstance(self.axis, (tuple, list)):
            from ...ops import reduction_ops, unary_ops
            if len(self.axis) > 1:
                return unary_ops.exp(inputs - reduction_ops.reduce_logsumexp(
                    inputs, axis=list(self.axis), keepdims=True))
            return activations.softmax(inputs, axis=self.axis[0])
        return activations.softmax(inputs, axis=self.axis)

    def get_config(self):
        return _config(self, Layer, axis=self.axis)


class PReLU(Layer):
    """``max(0, x) - alpha * relu(-x)`` with ``alpha`` learned per input entry (shared along
    ``shared_axes``)."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape):
        dims = _shape(input_shape).as_list()
        param_shape = list(dims[1:])
        if self.shared_axes is not None:
            for i in self.shared_axes:
                param_shape[i - 1] = 1
        if None in param_shape:
            raise ValueError("The non-shared dimensions of the input to PReLU must be defined. "
                             f"Received: input_shape={tuple(dims)}")
        self.alpha = self.add_weight("alpha", shape=param_shape,
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {}
        if self.shared_axes:
            for i in range(1, len(dims)):
                if i not in self.shared_axes:
                    axes[i] = dims[i]
        self.input_spec = InputSpec(ndim=len(dims), axes=axes)
        self.built = True

    def call(self, inputs):
        inputs = convert_to_tensor(inputs)
        pos = nn_ops.relu(inputs)
        neg = -self.alpha * nn_ops.relu(-inputs)
        return pos + neg

    def compute_output_shape(self, input_shape):
        return TensorShape(_shape(input_shape))

    def get_config(self):
        return _config(self, Layer,
                       alpha_initializer=initializers.serialize(self.alpha_initializer),
                       alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
                       alpha_constraint=constraints.serialize(self.alpha_constraint),
                       shared_axes=self.shared_axes)
