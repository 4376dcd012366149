"""``tf.keras.layers.BatchNormalization`` (TF 1.15's v1 layer) and ``LayerNormalization``.

BatchNormalization computes with core/layers.py's batch_normalization over the layer's own
weights (gamma, beta; moving_mean and moving_variance non-trainable): in training it
normalises by the batch's moments and makes the moving-average update ops, which it hands to
``add_update`` (so ``fit`` and ``model.updates`` run them) and which also stay in
``tf.GraphKeys.UPDATE_OPS`` (so ``with tf.control_dependencies(tf.get_collection(UPDATE_OPS))``
trains too; tf_keras leaves that collection empty). ``training`` is the learning phase unless
given; a tensor selects at run time. As TF's fused kernel, a 4-D input normalised over its
channel axis keeps the unbiased batch variance in its moving average. ``renorm`` (batch
renormalization), ``virtual_batch_size`` (ghost batches) and ``adjustment`` are the tf.layers
function's too (composed ops, never fused); the layer makes the weights they use.
"""

from __future__ import annotations

from ... import layers as _tf_layers
from ... import nn_impl
from ... import tf_logging as logging
from ...layers_batch_norm import _check_renorm_and_virtual
from ...graph import GraphKeys, get_default_graph
from ...ops import array_ops, unary_ops
from .. import constraints, initializers, regularizers
from ..base_layer import InputSpec, Layer
from .core import _config, _floats, _shape, _weights_of

__all__ = ["BatchNormalization", "LayerNormalization"]


def _axis_argument(axis):
    """The ``axis`` argument as Keras keeps it: a list, or an int."""
    if isinstance(axis, (list, tuple)):
        return list(axis)
    if isinstance(axis, int):
        return axis
    raise TypeError("Expected an int or a list/tuple of ints for the argument 'axis', but "
                    f"received: {axis}")


def _axes(axis, input_shape, layer):
    """The normalized axes (a list of non-negative ints) with Keras' errors."""
    ndims = input_shape.rank
    if ndims is None:
        raise ValueError(f"Input has undefined rank. Received: input_shape={input_shape}.")
    axes = [axis] if isinstance(axis, int) else list(axis)
    for i, a in enumerate(axes):
        if a < 0:
            axes[i] = a + ndims
    for a in axes:
        if a < 0 or a >= ndims:
            raise ValueError(f"Invalid axis. Expected 0 <= axis < inputs.rank (with "
                             f"inputs.rank={ndims}). Received: {layer}.axis={axis}")
    if len(axes) != len(set(axes)):
        raise ValueError(f"Duplicate axis: {axis}")
    return axes


class _SqrtInitializer:
    """TF's moving_stddev initializer: the square root of the moving variance's."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, shape, dtype=None, **kwargs):
        return unary_ops.sqrt(self.initializer(shape, dtype=dtype, **kwargs))


class BatchNormalization(Layer):
    """TF 1.15's v1 layer; ``renorm``, ``virtual_batch_size`` and ``adjustment`` as
    tf.layers' (core/layers_batch_norm.py), which computes on this layer's weights (with
    renorm: moving_stddev, renorm_mean and renorm_stddev too)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, fused=None, trainable=True, virtual_batch_size=None,
                 adjustment=None, name=None, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.axis = _axis_argument(axis)
        if renorm:  # as TF: the clipping keys checked here, the rest in build
            renorm_clipping = renorm_clipping or {}
            _check_renorm_and_virtual(True, renorm_clipping, None, None, [])
        if fused and not (isinstance(self.axis, int) or len(self.axis) == 1):
            raise ValueError("Passing `fused=True` is only supported when axis is 1 or 3 for "
                             f"input rank 4. Got axis {self.axis}")
        self.momentum, self.epsilon = momentum, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.renorm, self.renorm_clipping, self.renorm_momentum = renorm, renorm_clipping, \
            renorm_momentum
        self.fused = fused
        self.virtual_batch_size, self.adjustment = virtual_batch_size, adjustment
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = _shape(input_shape)
        self.axis = _axes(self.axis, input_shape, "BatchNormalization")
        dims = {a: input_shape[a].value for a in self.axis}
        if any(d is None for d in dims.values()):
            raise ValueError(f"Input has undefined `axis` dimension. Received input with shape "
                             f"{tuple(input_shape.as_list())} and axis={self.axis}")
        self.input_spec = InputSpec(ndim=input_shape.rank, axes=dims)
        if self.virtual_batch_size is not None:
            _check_renorm_and_virtual(False, None, self.virtual_batch_size, self.adjustment,
                                      self.axis)
        if len(dims) == 1 and self.virtual_batch_size is None:
            param_shape = (list(dims.values())[0],)
        else:
            param_shape = [dims.get(i, 1) for i in range(input_shape.rank)]
            if self.virtual_batch_size is not None:
                # as TF: the ghost batches' dimension at index 1 in the parameters. TF also
                # shifts ``axis`` by one, which get_config then reports and load_model
                # refuses (keras-team/keras#16713); minitf keeps the axes given.
                param_shape.insert(1, 1)
        dtype = "float32" if self.dtype in (None, "float16") else self.dtype
        self.gamma = self.add_weight("gamma", shape=param_shape, dtype=dtype,
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     trainable=True) if self.scale else None
        self.beta = self.add_weight("beta", shape=param_shape, dtype=dtype,
                                    initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    trainable=True) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", shape=param_shape, dtype=dtype,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape=param_shape,
                                               dtype=dtype,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        if self.renorm:  # TF's: the inference stddev, then the renorm (training) averages
            stddev_initializer = _SqrtInitializer(self.moving_variance_initializer)
            self.moving_stddev = self.add_weight("moving_stddev", shape=param_shape,
                                                 dtype=dtype, initializer=stddev_initializer,
                                                 trainable=False)
            self.renorm_mean = self.add_weight("renorm_mean", shape=param_shape, dtype=dtype,
                                               initializer=self.moving_mean_initializer,
                                               trainable=False)
            self.renorm_stddev = self.add_weight("renorm_stddev", shape=param_shape,
                                                 dtype=dtype, initializer=stddev_initializer,
                                                 trainable=False)
        self.built = True

    def call(self, inputs, training=None):
        graph = get_default_graph()
        before = len(graph.get_collection(GraphKeys.UPDATE_OPS))
        with _weights_of(self) as scope:
            out = _tf_layers.batch_normalization(
                inputs, axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
                center=self.center, scale=self.scale, training=False if training is None
                else training, fused=self.fused, renorm=self.renorm,
                renorm_clipping=self.renorm_clipping, renorm_momentum=self.renorm_momentum,
                virtual_batch_size=self.virtual_batch_size, adjustment=self.adjustment,
                _scope_out=scope)
        self.add_update(graph.get_collection(GraphKeys.UPDATE_OPS)[before:])
        return out

    def compute_output_shape(self, input_shape):
        return _shape(input_shape)

    def get_config(self):
        config = self._base_config()
        # As TF, its own arguments only when set (so external Keras can read the config);
        # ``adjustment`` (a function) is left out.
        if self.renorm:
            config.update(renorm=True, renorm_clipping=self.renorm_clipping,
                          renorm_momentum=self.renorm_momentum)
        if self.virtual_batch_size is not None:
            config["virtual_batch_size"] = self.virtual_batch_size
        if self.adjustment is not None:
            logging.warning("The `adjustment` function of this `BatchNormalization` layer "
                            "cannot be serialized and has been omitted from the layer "
                            "config. It will not be included when re-creating the layer "
                            "from the saved config.")
        return config

    def _base_config(self):
        return _config(
            self, Layer, axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
            center=self.center, scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(
                self.moving_variance_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint))


class LayerNormalization(Layer):
    """Normalises each example over ``axis`` by its own mean and variance, then ``gamma *
    x + beta`` (weights of the normalised axes' shape)."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 trainable=True, name=None, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.axis = _axis_argument(axis)
        self.epsilon, self.center, self.scale = epsilon, center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = _shape(input_shape)
        self.axis = _axes(self.axis, input_shape, "LayerNormalization")
        param_shape = [input_shape[a].value for a in self.axis]
        if None in param_shape:
            raise ValueError(f"Input has undefined `axis` dimension. Received input with shape "
                             f"{tuple(input_shape.as_list())} and axis={self.axis}")
        self.gamma = self.add_weight("gamma", shape=param_shape,
                                     initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     trainable=True) if self.scale else None
        self.beta = self.add_weight("beta", shape=param_shape,
                                    initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    trainable=True) if self.center else None
        self.built = True

    def call(self, inputs):
        inputs = _floats(self, inputs)
        ndims = inputs.shape.rank
        shape = [1] * ndims
        for a in self.axis:
            shape[a] = inputs.shape[a].value

        def broadcast(v):
            if v is not None and len(self.axis) != 1 or v is not None and self.axis[0] != \
                    ndims - 1:
                return array_ops.reshape(v, shape)
            return v

        mean, variance = nn_impl.moments(inputs, self.axis, keep_dims=True)
        out = nn_impl.batch_normalization(inputs, mean, variance, broadcast(self.beta),
                                          broadcast(self.gamma), self.epsilon)
        out.set_shape(inputs.shape)
        return out

    def compute_output_shape(self, input_shape):
        return _shape(input_shape)

    def get_config(self):
        return _config(
            self, Layer, axis=self.axis, epsilon=self.epsilon, center=self.center,
            scale=self.scale, beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=constraints.serialize(self.beta_constraint),
            gamma_constraint=constraints.serialize(self.gamma_constraint))
