"""``tf.keras.layers``' regularizing noise: GaussianNoise (adds N(0, stddev)),
GaussianDropout (multiplies by N(1, rate / (1 - rate))) and AlphaDropout (SELU-preserving
dropout), all active in training only (the learning phase unless ``training`` is given; a
tensor selects at run time) and the identity otherwise."""

from __future__ import annotations

import math

from ... import layers as _tf_layers
from ...graph import convert_to_tensor
from ...ops import array_ops, logic_ops, math_ops, random_ops
from ..base_layer import Layer
from .core import _check_rate, _config, _shape, _training

__all__ = ["GaussianNoise", "GaussianDropout", "AlphaDropout"]


class _Noise(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, training=None):
        inputs = convert_to_tensor(inputs)
        training = _training(training)
        if training is False:
            return array_ops.identity(inputs)
        noisy = self._noisy(inputs)
        if training is True:
            return noisy
        return _tf_layers._select(training, noisy, inputs)

    def compute_output_shape(self, input_shape):
        return _shape(input_shape)


class GaussianNoise(_Noise):
    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev, self.seed = stddev, seed

    def _noisy(self, inputs):
        return inputs + random_ops.random_normal(array_ops.shape(inputs), mean=0.0,
                                                 stddev=self.stddev,
                                                 dtype=inputs.dtype.base_dtype, seed=self.seed)

    def get_config(self):
        return _config(self, Layer, stddev=self.stddev, seed=self.seed)


class GaussianDropout(_Noise):
    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = _check_rate(rate), seed

    def call(self, inputs, training=None):
        if not 0 < self.rate < 1:
            return convert_to_tensor(inputs)
        return super().call(inputs, training)

    def _noisy(self, inputs):
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * random_ops.random_normal(array_ops.shape(inputs), mean=1.0,
                                                 stddev=stddev, dtype=inputs.dtype.base_dtype,
                                                 seed=self.seed)

    def get_config(self):
        return _config(self, Layer, rate=self.rate, seed=self.seed)


class AlphaDropout(_Noise):
    """Dropped entries become SELU's negative saturation, then an affine map keeps the
    inputs' mean and variance."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = _check_rate(rate), noise_shape, seed

    def call(self, inputs, training=None):
        if not 0 < self.rate < 1:
            return convert_to_tensor(inputs)
        return super().call(inputs, training)

    def _noisy(self, inputs):
        alpha = 1.6732632423543772848170429916717
        scale = 1.0507009873554804934193349852946
        alpha_p = -alpha * scale
        shape = self.noise_shape if self.noise_shape is not None else array_ops.shape(inputs)
        kept = logic_ops.greater_equal(
            random_ops.random_uniform(shape, seed=self.seed, dtype=inputs.dtype.base_dtype),
            self.rate)
        kept = math_ops.cast(kept, inputs.dtype.base_dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        return _config(self, Layer, rate=self.rate, seed=self.seed)
