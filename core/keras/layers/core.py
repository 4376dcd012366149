"""``tf.keras.layers``' core layers: Dense, Activation, Dropout (and the spatial ones), Flatten,
Reshape, Permute, RepeatVector, Lambda, Masking and ActivityRegularization.

The layers with a ``tf.layers`` function (core/layers.py: dense, dropout, flatten...) call it
for their computation, so the ops (and their names: ``dense/MatMul``, ``dense/BiasAdd``) are
the same; the weights are the Keras layer's own (made by ``add_weight`` in ``build``), handed
to the function's ``get_variable`` calls by a custom getter (``_weights_of``). The helpers
here (``_weights_of``, ``_training``, ``_config``) are shared by the other layer modules.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ... import dtypes as _dt
from ... import layers as _tf_layers
from ...graph import convert_to_tensor
from ...layers import _IN_LAYER
from ...ops import (array_ops, concat_split_ops, logic_ops, math_ops, reduction_ops,
                    transform_ops)
from ...sparse_tensor import SparseTensor
from ...tensor_shape import TensorShape
from ...variable_scopes import get_variable_scope
from .. import activations, backend, constraints, initializers, regularizers
from ..base_layer import InputSpec, Layer
from .lambda_layer import Lambda  # noqa: F401 - exported here, as in Keras' core module

__all__ = ["Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
           "SpatialDropout3D", "Flatten", "Reshape", "Permute", "RepeatVector", "Lambda",
           "Masking", "ActivityRegularization"]


# -- shared by the layer modules -----------------------------------------------------------------
@contextlib.contextmanager
def _weights_of(layer):
    """Within: ``get_variable("kernel")`` (any scope prefix) is ``layer.kernel``, so a
    ``tf.layers`` function computes with the Keras layer's weights."""
    scope = get_variable_scope()
    previous = scope.custom_getter

    def getter(getter, name, *args, **kwargs):
        return getattr(layer, name.rsplit("/", 1)[-1])

    scope.set_custom_getter(getter)
    try:
        yield _IN_LAYER
    finally:
        scope.set_custom_getter(previous)


def _training(training):
    """The training flag a call uses: the learning phase when none is given; a Python bool for
    a constant (0/1 from set_learning_phase)."""
    if training is None:
        training = backend.learning_phase()
    if isinstance(training, (bool, int, np.bool_, np.integer)):
        return bool(training)
    return training


def _floats(layer, inputs):
    """Floating inputs in the layer's dtype (Keras casts them before call); a SparseTensor stays
    one, its values cast (Dense multiplies it as sparse)."""
    if not isinstance(inputs, SparseTensor):
        inputs = convert_to_tensor(inputs)
    dtype = _dt.as_dtype(layer.dtype or backend.floatx())
    if inputs.dtype.is_floating and inputs.dtype.base_dtype != dtype:
        inputs = math_ops.cast(inputs, dtype)
    return inputs


def _config(layer, base_cls, **extra) -> dict:
    """The base layer's config (name, trainable, dtype...) plus the layer's own keys."""
    config = base_cls.get_config(layer)
    config.update(extra)
    return config


def _shape(input_shape) -> TensorShape:
    if isinstance(input_shape, TensorShape):
        return input_shape
    return TensorShape(input_shape)


def _kernel_and_bias_arguments(layer, use_bias, kernel_initializer, bias_initializer,
                               kernel_regularizer, bias_regularizer, kernel_constraint,
                               bias_constraint):
    """Dense's and the convolutions' kernel and bias arguments, resolved as Keras keeps them."""
    layer.use_bias = use_bias
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.kernel_constraint = constraints.get(kernel_constraint)
    layer.bias_constraint = constraints.get(bias_constraint)


def _positive_int(value, what, layer):
    try:
        ok = int(value) == value and int(value) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"Received an invalid value for `{what}`, expected a positive "
                         f"integer. Received: {what}={value}")
    return int(value)


def _check_rate(rate):
    if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
        raise ValueError(f"Invalid value {rate} received for `rate`, expected a value between "
                         "0 and 1.")
    return rate


# -- the layers ----------------------------------------------------------------------------------
class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` over the last axis (core/layers.py's dense; a
    rank-2 SparseTensor input goes through sparse_tensor_dense_matmul, as in TF 1.15)."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        if "input_shape" not in kwargs and "input_dim" in kwargs:
            kwargs["input_shape"] = (kwargs.pop("input_dim"),)
        super().__init__(activity_regularizer=regularizers.get(activity_regularizer), **kwargs)
        self.units = _positive_int(units, "units", self)
        self.activation = activations.get(activation)
        _kernel_and_bias_arguments(self, use_bias, kernel_initializer, bias_initializer,
                                   kernel_regularizer, bias_regularizer, kernel_constraint,
                                   bias_constraint)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_shape = _shape(input_shape)
        last = input_shape[-1].value if input_shape.rank else None
        if last is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.kernel = self.add_weight("kernel", shape=[last, self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, dtype=self.dtype,
                                      trainable=True)
        self.bias = self.add_weight("bias", shape=[self.units],
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint, dtype=self.dtype,
                                    trainable=True) if self.use_bias else None
        self.built = True

    def call(self, inputs):
        with _weights_of(self) as scope:
            return _tf_layers.dense(_floats(self, inputs), self.units,
                                    activation=self.activation, use_bias=self.use_bias,
                                    _scope_out=scope)

    def compute_output_shape(self, input_shape):
        input_shape = _shape(input_shape).with_rank_at_least(2)
        if input_shape[-1].value is None:
            raise ValueError("The innermost dimension of input_shape must be defined, but saw: "
                             f"{input_shape}")
        return input_shape[:-1].concatenate(self.units)

    def get_config(self):
        return _config(
            self, Layer, units=self.units, activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(
                getattr(self, "activity_regularizer", None)),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint))


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return _shape(input_shape)

    def get_config(self):
        return _config(self, Layer, activation=activations.serialize(self.activation))


class Dropout(Layer):
    """Drops ``rate`` of the inputs (the rest scaled by ``1 / (1 - rate)``) in training
    (core/layers.py's dropout); ``noise_shape`` entries None are the input's."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def _get_noise_shape(self, inputs):
        return _tf_layers.fill_noise_shape(inputs, self.noise_shape)

    def call(self, inputs, training=None):
        inputs = convert_to_tensor(inputs)
        training = _training(training)
        if training is False or self.rate == 0:
            return array_ops.identity(inputs)
        return _tf_layers.dropout(inputs, rate=self.rate,
                                  noise_shape=self._get_noise_shape(inputs), seed=self.seed,
                                  training=training, _scope_out=_IN_LAYER)

    def compute_output_shape(self, input_shape):
        return _shape(input_shape)

    def get_config(self):
        return _config(self, Layer, rate=self.rate, noise_shape=self.noise_shape,
                       seed=self.seed)


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: the noise is 1 along the spatial axes."""

    _rank = 1

    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = _tf_layers._normalize_data_format(
            data_format or backend.image_data_format()) if self._rank > 1 else None
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _get_noise_shape(self, inputs):
        shape = array_ops.shape(inputs)
        ones = [1] * self._rank
        if self.data_format == "channels_first":
            return concat_split_ops.stack([shape[0], shape[1], *ones])
        return concat_split_ops.stack([shape[0], *ones, shape[self._rank + 1]])



class SpatialDropout1D(_SpatialDropout):
    _rank = 1

    def __init__(self, rate, **kwargs):
        super().__init__(rate, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    _rank = 2


class SpatialDropout3D(_SpatialDropout):
    _rank = 3


class Flatten(Layer):
    """``[batch, ...]`` to ``[batch, rest]`` (a 1-D input gets a unit axis)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _tf_layers._normalize_data_format(
            data_format or backend.image_data_format())
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        inputs = convert_to_tensor(inputs)
        if inputs.shape.rank == 1:
            return transform_ops.expand_dims(inputs, 1)
        return _tf_layers.flatten(inputs, data_format=self.data_format, _scope_out=_IN_LAYER)

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).as_list()
        if not dims:
            return TensorShape([1])
        rest = [d for d in dims[1:]]
        if len(dims) == 1:
            return TensorShape([dims[0], 1])
        size = None if None in rest else int(np.prod(rest))
        return TensorShape([dims[0], size])

    def get_config(self):
        return _config(self, Layer, data_format=self.data_format)


class Reshape(Layer):
    """To ``(batch,) + target_shape``; one entry may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def _fix_unknown_dimension(self, input_shape, output_shape):
        output_shape = list(output_shape)
        msg = ("total size of new array must be unchanged, input_shape = "
               f"{list(input_shape)}, output_shape = {list(output_shape)}")
        known, unknown = 1, None
        for index, dim in enumerate(output_shape):
            if dim < 0:
                if unknown is not None:
                    raise ValueError("There must be at most one unknown dimension in "
                                     f"output_shape. Received: output_shape={output_shape}.")
                unknown = index
            else:
                known *= dim
        original = int(np.prod(input_shape))
        if unknown is not None:
            if known == 0 or original % known != 0:
                raise ValueError(msg)
            output_shape[unknown] = original // known
        elif original != known:
            raise ValueError(msg)
        return output_shape

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).as_list()
        if None in dims[1:]:
            out = [dims[0]] + [None if d == -1 else d for d in self.target_shape]
        else:
            out = [dims[0]] + self._fix_unknown_dimension(dims[1:], self.target_shape)
        return TensorShape(out)

    def call(self, inputs):
        inputs = convert_to_tensor(inputs)
        out = array_ops.reshape(inputs, concat_split_ops.stack(
            [array_ops.shape(inputs)[0], *self.target_shape]))
        out.set_shape(self.compute_output_shape(inputs.shape))
        return out

    def get_config(self):
        return _config(self, Layer, target_shape=self.target_shape)


class Permute(Layer):
    """Permutes the non-batch axes: ``dims`` is a permutation of 1..n."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set "
                             "of indices in `dims` must be consecutive and start from 1. "
                             f"Received dims={dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return transform_ops.transpose(inputs, perm=(0,) + self.dims)

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).as_list()
        return TensorShape([dims[0]] + [dims[d] for d in self.dims])

    def get_config(self):
        return _config(self, Layer, dims=self.dims)


class RepeatVector(Layer):
    """``[batch, features]`` to ``[batch, n, features]``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        if not isinstance(n, (int, np.integer)):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return transform_ops.tile(transform_ops.expand_dims(inputs, 1), [1, self.n, 1])

    def compute_output_shape(self, input_shape):
        dims = _shape(input_shape).as_list()
        return TensorShape([dims[0], self.n, dims[1]])

    def get_config(self):
        return _config(self, Layer, n=self.n)


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value`` (zeroed in the output, and
    the output's ``_keras_mask`` is False there)."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return reduction_ops.reduce_any(logic_ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        inputs = convert_to_tensor(inputs)
        keep = reduction_ops.reduce_any(logic_ops.not_equal(inputs, self.mask_value), axis=-1,
                                        keepdims=True)
        outputs = inputs * math_ops.cast(keep, inputs.dtype)
        outputs._keras_mask = transform_ops.squeeze(keep, axis=-1)
        return outputs

    def compute_output_shape(self, input_shape):
        return _shape(input_shape)

    def get_config(self):
        return _config(self, Layer, mask_value=self.mask_value)


class ActivityRegularization(Layer):
    """The identity, adding ``l1 * sum|x| + l2 * sum x^2`` of its output to the losses."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):  # noqa: E741 - Keras' names
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1, self.l2 = l1, l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return _shape(input_shape)

    def get_config(self):
        return _config(self, Layer, l1=self.l1, l2=self.l2)
