"""``tf.contrib.layers`` (TF 1.x): the layer functions, built as TF1 built them.

TF1's contrib layers open a variable scope (``fully_connected``, ``Conv``...) with a custom
getter that makes every variable a *model* variable (GLOBAL_VARIABLES + MODEL_VARIABLES) and
renames the core layer's ``kernel``/``bias`` to ``weights``/``biases``, then run the core
``tf.layers`` function inside that scope. minitf does the same with its own ``tf.layers``
functions (entered with ``_IN_LAYER``, so they use the open scope), so variable names, op
names, collections and ``reuse`` follow TF1's. Normalization layers are in normalization.py,
separable convolution, embeddings and the rest in layers_extra.py, the legacy layers in
layers_legacy.py and GDN in layers_more.py; as TF1's layers.py held them all (``slim.layers``
is this module), they are re-exported at the end.
"""

from __future__ import annotations

import functools

import numpy as np

from ... import dtypes as _dt
from ... import init_ops
from ... import layers as _core
from ... import layers_conv as _core_conv
from ... import layers_conv3d as _core_conv3d
from ...graph import GraphKeys, convert_to_tensor, get_default_graph, name_scope
from ...layer_identifiers import regularizer_of
from ...layers_base import _global_ids, _weight_regularization
from ...ops import (array_ops, concat_split_ops, math_ops, nn_ops, reduction_ops, softmax_ops,
                   transform_ops, unary_ops)
from ...variables import get_variable_scope, variable_scope
from ..arg_scope import add_arg_scope
# TF's layers make their variables through model_variable, so arg_scope([model_variable],
# device=...) places them
from ..framework import model_variable as _model_variable
from .utils import collect_named_outputs as _collect
from .utils import get_variable_collections as _variable_collections

# TF 1.15's layers.py's __all__ (slim.layers is that module); the normalization, separable,
# legacy and GDN layers live in the modules named above and are re-exported at the end.
__all__ = ["avg_pool2d", "avg_pool3d", "batch_norm", "bias_add", "conv1d", "conv2d", "conv3d",
           "conv2d_in_plane", "conv2d_transpose", "conv3d_transpose", "convolution",
           "convolution1d", "convolution2d", "convolution2d_in_plane",
           "convolution2d_transpose", "convolution3d", "convolution3d_transpose",
           "dense_to_sparse", "dropout", "elu", "flatten", "fully_connected", "GDN", "gdn",
           "images_to_sequence", "layer_norm", "linear", "pool", "max_pool2d", "max_pool3d",
           "one_hot_encoding", "relu", "relu6", "repeat", "scale_gradient", "separable_conv2d",
           "separable_convolution2d", "sequence_to_images", "softmax", "spatial_softmax",
           "stack", "unit_norm", "legacy_fully_connected", "legacy_linear", "legacy_relu",
           "maxout"]

DATA_FORMAT_NCHW = "NCHW"
DATA_FORMAT_NHWC = "NHWC"
DATA_FORMAT_NCDHW = "NCDHW"
DATA_FORMAT_NDHWC = "NDHWC"


def _xavier():
    """TF1's default weights initializer, ``xavier_initializer()``: uniform in
    ``+-sqrt(6 / (fan_in + fan_out))``, the same draws as glorot_uniform."""
    try:
        from .initializers import xavier_initializer
    except ImportError:
        return init_ops.glorot_uniform_initializer()
    return xavier_initializer()


_XAVIER = _xavier()  # TF1's defaults: one initializer object per process
_ZEROS = init_ops.zeros_initializer()


# -- TF1's contrib helpers (layers/utils.py, framework/variables.py) -----------------------------
def _model_variable_getter(getter, name, shape=None, dtype=None, initializer=None,
                           regularizer=None, trainable=True, collections=None,
                           caching_device=None, partitioner=None, rename=None,
                           use_resource=None, layer_regularizers=None, **_):
    """TF1's getter for the core layers inside contrib ones: model variables, renamed.

    Its ``regularizer`` is the variable scope's (the contrib layers give the core layer none):
    tf.get_variable applies it under the renamed variable (``fc/weights/Regularizer``). The
    layer's own (``layer_regularizers``, by the core layer's name for the weight) is TF1's core
    layer's (add_weight), applied besides, to new variables only, in the layer's name scope (its
    variable scope's original one, which differs from the variable's path where a model
    re-enters its own scope: InceptionV1/InceptionV1/...) under the core layer's name for the
    weight (``fc/kernel/Regularizer``)."""
    requested = name
    short_name = name.split("/")[-1]
    if rename and short_name in rename:
        name = "/".join(name.split("/")[:-1] + [rename[short_name]])
    graph = get_default_graph()
    existing = _global_ids()
    variable = _model_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                               regularizer=regularizer, collections=collections,
                               trainable=True if trainable is None else trainable,
                               caching_device=caching_device, partitioner=partitioner,
                               custom_getter=getter, use_resource=use_resource)
    layer_regularizer = regularizer_of((layer_regularizers or {}).get(short_name))
    if layer_regularizer is not None:
        scope = get_variable_scope()
        weight = requested[len(scope.name) + 1:] if requested.startswith(scope.name + "/") \
            else short_name
        with graph.name_scope(scope.original_name_scope or None):
            _weight_regularization(weight, variable, layer_regularizer, existing)
    return variable


def _build_variable_getter(rename=None, regularizers=None):
    """The custom getter of a contrib layer's scope: ``rename`` maps the core layer's weight
    names to TF1's contrib ones, ``regularizers`` them to the layer's regularizers (which the
    core layer is not given, see _model_variable_getter)."""
    def layer_variable_getter(getter, *args, **kwargs):
        kwargs["rename"] = rename
        kwargs["layer_regularizers"] = regularizers
        return _model_variable_getter(getter, *args, **kwargs)
    return layer_variable_getter


_WEIGHTS = {"bias": "biases", "kernel": "weights"}


def _regularizers(weights_regularizer, biases_regularizer):
    """A weight layer's regularizers by its core layer's weight names."""
    return {"kernel": weights_regularizer, "bias": biases_regularizer}


def _add_variable_to_collections(variable, collections_set, collections_name):
    """Adds ``variable`` to the collections ``variables_collections`` names for it."""
    collections = _variable_collections(collections_set, collections_name) or []
    if isinstance(collections, str):
        collections = [collections]
    graph = get_default_graph()
    for key in collections:
        if variable not in graph.get_collection(key):
            graph.add_to_collection(key, variable)


def _layer_variables(scope_name):
    graph = get_default_graph()
    return {v.op.name[len(scope_name) + 1:]: v
            for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
            if v.op.name.startswith(scope_name + "/")}


def _finish(outputs, scope_name, normalizer_fn, normalizer_params, activation_fn,
            outputs_collections, variables_collections, names):
    """The common tail of the weight layers: the variables' collections, the normalizer, the
    activation and the outputs collection."""
    found = _layer_variables(scope_name)
    for short, key in names:
        if short in found:
            _add_variable_to_collections(found[short], variables_collections, key)
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return _collect(outputs_collections, scope_name, outputs)


def _channels_first(data_format):
    return bool(data_format) and data_format.startswith("NC")


# -- fully connected and convolutions ------------------------------------------------------------
@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=nn_ops.relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=_XAVIER,
                    weights_regularizer=None, biases_initializer=_ZEROS,
                    biases_regularizer=None, reuse=None, variables_collections=None,
                    outputs_collections=None, trainable=True, scope=None):
    """``tf.contrib.layers.fully_connected``: ``activation(inputs @ weights + biases)``."""
    if not isinstance(num_outputs, (int, np.integer)) or isinstance(num_outputs, bool):
        raise ValueError(f"num_outputs type should be one of [<class 'int'>], got "
                         f"{type(num_outputs)}.")
    with variable_scope(scope, "fully_connected", [inputs], reuse=reuse,
                        custom_getter=_build_variable_getter(
                            _WEIGHTS, _regularizers(weights_regularizer,
                                                    biases_regularizer))) as sc:
        inputs = convert_to_tensor(inputs)
        outputs = _core.dense(inputs, int(num_outputs), activation=None,
                              use_bias=bool(not normalizer_fn and biases_initializer),
                              kernel_initializer=weights_initializer,
                              bias_initializer=biases_initializer,
                              trainable=trainable,
                              _scope_out=_core._IN_LAYER)
        return _finish(outputs, sc.name, normalizer_fn, normalizer_params, activation_fn,
                       outputs_collections, variables_collections,
                       (("weights", "weights"), ("biases", "biases")))


_CONV_FORMATS = (None, "NWC", "NCW", "NHWC", "NCHW", "NDHWC", "NCDHW")


def _conv_layer(rank, transpose=False):
    if transpose:
        return {2: _core_conv.conv2d_transpose, 3: _core_conv3d.conv3d_transpose}[rank]
    return {1: _core_conv.conv1d, 2: _core.conv2d, 3: _core_conv3d.conv3d}[rank]


@add_arg_scope
def convolution(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None,
                rate=1, activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None,
                weights_initializer=_XAVIER, weights_regularizer=None,
                biases_initializer=_ZEROS, biases_regularizer=None,
                reuse=None, variables_collections=None, outputs_collections=None,
                trainable=True, scope=None, conv_dims=None):
    """``tf.contrib.layers.convolution``: an N-D convolution (1-3 by the input's rank) with
    ``weights`` and ``biases`` (or a normalizer), then ``activation_fn``."""
    if data_format not in _CONV_FORMATS:
        raise ValueError(f"Invalid data_format: {data_format!r}")
    with variable_scope(scope, "Conv", [inputs], reuse=reuse,
                        custom_getter=_build_variable_getter(
                            _WEIGHTS, _regularizers(weights_regularizer,
                                                    biases_regularizer))) as sc:
        inputs = convert_to_tensor(inputs)
        input_rank = inputs.shape.rank
        if conv_dims is not None and conv_dims + 2 != input_rank:
            raise ValueError(f"Convolution expects input with rank {conv_dims + 2}, got "
                             f"{input_rank}")
        if input_rank not in (3, 4, 5):
            raise ValueError("Convolution not supported for input with rank", input_rank)
        df = "channels_first" if _channels_first(data_format) else "channels_last"
        outputs = _conv_layer(input_rank - 2)(
            inputs, num_outputs, kernel_size, strides=stride, padding=padding,
            data_format=df, dilation_rate=rate, activation=None,
            use_bias=bool(not normalizer_fn and biases_initializer),
            kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
            trainable=trainable, _scope_out=_core._IN_LAYER)
        return _finish(outputs, sc.name, normalizer_fn, normalizer_params, activation_fn,
                       outputs_collections, variables_collections,
                       (("weights", "weights"), ("biases", "biases")))


def _fixed_rank(conv_dims, name):
    @add_arg_scope
    def conv(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None,
             rate=1, activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None,
             weights_initializer=_XAVIER, weights_regularizer=None,
             biases_initializer=_ZEROS, biases_regularizer=None,
             reuse=None, variables_collections=None, outputs_collections=None, trainable=True,
             scope=None):
        return convolution(inputs, num_outputs, kernel_size, stride, padding, data_format,
                           rate, activation_fn, normalizer_fn, normalizer_params,
                           weights_initializer, weights_regularizer, biases_initializer,
                           biases_regularizer, reuse, variables_collections,
                           outputs_collections, trainable, scope, conv_dims)
    conv.__name__ = conv.__qualname__ = name
    conv.__doc__ = f"``tf.contrib.layers.{name}``: ``convolution`` for {conv_dims}-D inputs."
    return conv


convolution1d = _fixed_rank(1, "convolution1d")
convolution2d = _fixed_rank(2, "convolution2d")
convolution3d = _fixed_rank(3, "convolution3d")


def _transpose(rank, default_scope, formats):
    @add_arg_scope
    def conv_transpose(inputs, num_outputs, kernel_size, stride=1, padding="SAME",
                       data_format=formats[1], activation_fn=nn_ops.relu, normalizer_fn=None,
                       normalizer_params=None, weights_initializer=_XAVIER,
                       weights_regularizer=None,
                       biases_initializer=_ZEROS,
                       biases_regularizer=None, reuse=None, variables_collections=None,
                       outputs_collections=None, trainable=True, scope=None):
        with variable_scope(scope, default_scope, [inputs], reuse=reuse,
                            custom_getter=_build_variable_getter(
                                _WEIGHTS, _regularizers(weights_regularizer,
                                                        biases_regularizer))) as sc:
            if data_format not in formats:
                raise ValueError(f"data_format has to be either {formats[0]} or "
                                 f"{formats[1]}.")
            inputs = convert_to_tensor(inputs)
            df = "channels_first" if _channels_first(data_format) else "channels_last"
            outputs = _conv_layer(rank, transpose=True)(
                inputs, num_outputs, kernel_size, strides=stride, padding=padding,
                data_format=df, activation=None,
                use_bias=bool(not normalizer_fn and biases_initializer),
                kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
                trainable=trainable, _scope_out=_core._IN_LAYER)
            return _finish(outputs, sc.name, normalizer_fn, normalizer_params, activation_fn,
                           outputs_collections, variables_collections,
                           (("weights", "weights"), ("biases", "biases")))
    return conv_transpose


convolution2d_transpose = _transpose(2, "Conv2d_transpose", (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC))
convolution2d_transpose.__name__ = "convolution2d_transpose"
convolution2d_transpose.__doc__ = "``tf.contrib.layers.conv2d_transpose``: a transposed 2-D conv."
convolution3d_transpose = _transpose(3, "Conv3d_transpose",
                                     (DATA_FORMAT_NCDHW, DATA_FORMAT_NDHWC))
convolution3d_transpose.__name__ = "convolution3d_transpose"
convolution3d_transpose.__doc__ = "``tf.contrib.layers.conv3d_transpose``: a transposed 3-D conv."


@add_arg_scope
def bias_add(inputs, activation_fn=None, initializer=_ZEROS,
             regularizer=None, reuse=None, variables_collections=None,
             outputs_collections=None, trainable=True, data_format=DATA_FORMAT_NHWC,
             scope=None):
    """``tf.contrib.layers.bias_add``: adds a ``biases`` variable over the channels."""
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    with variable_scope(scope, "BiasAdd", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        rank = inputs.shape.rank
        if rank is None:
            raise ValueError("Dims of shape must be known but is None")
        if rank != 4 and data_format == DATA_FORMAT_NCHW:
            raise ValueError("Data format NCHW only supports 4D Tensor")
        num_features = inputs.shape[1 if data_format == DATA_FORMAT_NCHW else -1].value
        if num_features is None:
            raise ValueError("`C` dimension must be known but is None")
        biases = _model_variable("biases", shape=[num_features], dtype=inputs.dtype,
                                 initializer=initializer, regularizer=regularizer,
                                 collections=_variable_collections(variables_collections,
                                                                   "biases"),
                                 trainable=trainable)
        outputs = nn_ops.bias_add(inputs, biases, data_format=data_format)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect(outputs_collections, sc.name, outputs)


# -- pooling, flatten, dropout -------------------------------------------------------------------
def _pool(layer, default_scope, formats, doc):
    @add_arg_scope
    def pool(inputs, kernel_size, stride=2, padding="VALID", data_format=formats[1],
             outputs_collections=None, scope=None):
        if data_format not in formats:
            raise ValueError(f"data_format has to be either {formats[0]} or {formats[1]}.")
        with name_scope(scope, default_scope, [inputs]) as sc:
            inputs = convert_to_tensor(inputs)
            df = "channels_first" if _channels_first(data_format) else "channels_last"
            outputs = layer(inputs, kernel_size, stride, padding=padding, data_format=df,
                            _scope_out=_core._IN_LAYER)
            return _collect(outputs_collections, sc, outputs)
    pool.__doc__ = doc
    return pool


_F2 = (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC)
_F3 = (DATA_FORMAT_NCDHW, DATA_FORMAT_NDHWC)
max_pool2d = _pool(_core.max_pooling2d, "MaxPool2D", _F2,
                   "``tf.contrib.layers.max_pool2d``: 2-D max pooling (stride 2, VALID).")
avg_pool2d = _pool(_core.average_pooling2d, "AvgPool2D", _F2,
                   "``tf.contrib.layers.avg_pool2d``: 2-D average pooling (stride 2, VALID).")
max_pool3d = _pool(_core_conv3d.max_pooling3d, "MaxPool3D", _F3,
                   "``tf.contrib.layers.max_pool3d``: 3-D max pooling (stride 2, VALID).")
avg_pool3d = _pool(_core_conv3d.average_pooling3d, "AvgPool3D", _F3,
                   "``tf.contrib.layers.avg_pool3d``: 3-D average pooling (stride 2, VALID).")
for _f, _n in ((max_pool2d, "max_pool2d"), (avg_pool2d, "avg_pool2d"),
               (max_pool3d, "max_pool3d"), (avg_pool3d, "avg_pool3d")):
    _f.__name__ = _f.__qualname__ = _n


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    """``tf.contrib.layers.flatten``: ``[batch, ...]`` to ``[batch, k]``."""
    with name_scope(scope, "Flatten", [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        outputs = _core.flatten(inputs)  # its own ``flatten`` scope inside, as TF's
        return _collect(outputs_collections, sc, outputs)


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True,
            outputs_collections=None, scope=None, seed=None):
    """``tf.contrib.layers.dropout``: keeps each element with ``keep_prob`` (scaled by its
    inverse) when ``is_training`` (a bool or a bool tensor); the identity otherwise."""
    with variable_scope(scope, "Dropout", [inputs],
                        custom_getter=_model_variable_getter) as sc:
        inputs = convert_to_tensor(inputs)
        outputs = _core.dropout(inputs, rate=1 - keep_prob, noise_shape=noise_shape, seed=seed,
                                training=is_training, _scope_out=_core._IN_LAYER)
        return _collect(outputs_collections, sc.name, outputs)


@add_arg_scope
def one_hot_encoding(labels, num_classes, on_value=1.0, off_value=0.0,
                     outputs_collections=None, scope=None):
    """``tf.contrib.layers.one_hot_encoding``: float one-hot rows of ``labels``."""
    with name_scope(scope, "OneHotEncoding", [labels, num_classes]) as sc:
        labels = convert_to_tensor(labels)
        if labels.dtype == _dt.int32:
            labels = math_ops.cast(labels, _dt.int64)
        outputs = transform_ops.one_hot(labels, num_classes, on_value=on_value,
                                        off_value=off_value)
        return _collect(outputs_collections, sc, outputs)


# -- composition ---------------------------------------------------------------------------------
def _layer_name(layer, default):
    if hasattr(layer, "__name__"):
        return layer.__name__
    if hasattr(layer, "func") and hasattr(layer.func, "__name__"):
        return layer.func.__name__  # a functools.partial
    return default


def repeat(inputs, repetitions, layer, *args, **kwargs):
    """``tf.contrib.layers.repeat``: applies ``layer`` ``repetitions`` times, in scopes
    ``<name>_1``, ``<name>_2``... under ``Repeat`` (or ``scope``)."""
    scope = kwargs.pop("scope", None)
    with variable_scope(scope, "Repeat", [inputs]):
        inputs = convert_to_tensor(inputs)
        if scope is None:
            scope = _layer_name(layer, "repeat")
        outputs = inputs
        for i in range(repetitions):
            kwargs["scope"] = scope + "_" + str(i + 1)
            outputs = layer(outputs, *args, **kwargs)
        return outputs


def stack(inputs, layer, stack_args, **kwargs):
    """``tf.contrib.layers.stack``: ``layer`` once per entry of ``stack_args`` (its
    positional arguments), in scopes ``<name>_1``... under ``Stack`` (or ``scope``)."""
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError("stack_args need to be a list or tuple")
    with variable_scope(scope, "Stack", [inputs]):
        inputs = convert_to_tensor(inputs)
        if scope is None:
            scope = _layer_name(layer, "stack")
        outputs = inputs
        for i, layer_args in enumerate(stack_args):
            kwargs["scope"] = scope + "_" + str(i + 1)
            if not isinstance(layer_args, (list, tuple)):
                layer_args = [layer_args]
            outputs = layer(outputs, *layer_args, **kwargs)
        return outputs


@add_arg_scope
def softmax(logits, scope=None):
    """``tf.contrib.layers.softmax``: softmax over the last dimension of an N-D tensor."""
    with variable_scope(scope, "softmax", [logits]):
        logits = convert_to_tensor(logits)
        shape = logits.shape
        if shape.rank is None or shape.rank < 2:
            raise ValueError(f"rank of shape must be at least 2 not: {shape.rank}")
        num_logits = shape[-1].value
        if num_logits is None:
            raise ValueError("last dimension shape must be known but is None")
        predictions = softmax_ops.softmax(array_ops.reshape(logits, [-1, num_logits]))
        predictions = array_ops.reshape(predictions, array_ops.shape(logits))
        predictions.set_shape(shape)
        return predictions


@add_arg_scope
def unit_norm(inputs, dim, epsilon=1e-7, scope=None):
    """``tf.contrib.layers.unit_norm``: ``inputs`` divided by their L2 norm along ``dim``."""
    with variable_scope(scope, "UnitNorm", [inputs]):
        inputs = convert_to_tensor(inputs)
        if inputs.shape.rank is None:
            raise ValueError("The input rank must be known.")
        input_rank = inputs.shape.rank
        if dim < 0 or dim >= input_rank:
            raise ValueError("dim must be positive but smaller than the input rank.")
        lengths = unary_ops.sqrt(epsilon + reduction_ops.reduce_sum(unary_ops.square(inputs), dim,
                                                              True))
        multiples = []
        if dim > 0:
            multiples.append(array_ops.ones([dim], _dt.int32))
        multiples.append(array_ops.shape(inputs)[dim:dim + 1])
        if dim < input_rank - 1:
            multiples.append(array_ops.ones([input_rank - 1 - dim], _dt.int32))
        multiples = concat_split_ops.concat(multiples, 0)
        return math_ops.div(inputs, transform_ops.tile(lengths, multiples))  # TF 1.15's


relu = functools.partial(fully_connected, activation_fn=nn_ops.relu)
relu6 = functools.partial(fully_connected, activation_fn=nn_ops.relu6)
linear = functools.partial(fully_connected, activation_fn=None)
elu = functools.partial(fully_connected, activation_fn=nn_ops.elu)

conv1d = convolution1d
conv2d = convolution2d
conv3d = convolution3d
conv2d_transpose = convolution2d_transpose
conv3d_transpose = convolution3d_transpose


def poincare_normalize(x, axis=1, epsilon=1e-5, name=None):
    """Projects ``x`` into the Poincare ball: each slice along ``axis`` (an int or a list)
    whose L2 norm exceeds ``1 - epsilon`` is scaled to that norm, the others kept. TF1's
    layers.py defines it without exporting it (not in its ``__all__``)."""
    with name_scope(name, "poincare_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        squares = reduction_ops.reduce_sum(unary_ops.square(x), axis, keepdims=True)
        factor = math_ops.minimum((1.0 - epsilon) * unary_ops.rsqrt(squares), 1.0)
        return math_ops.multiply(x, factor, name=scope)


# Those modules import this one's helpers, so they load after everything above is defined.
from . import initializers, utils  # noqa: E402,F401 - TF1's layers.py imported them too
from .layers_extra import (images_to_sequence, maxout, scale_gradient,  # noqa: E402
                           separable_conv2d, separable_convolution2d, sequence_to_images,
                           spatial_softmax)
from .layers_legacy import (conv2d_in_plane, convolution2d_in_plane,  # noqa: E402
                            dense_to_sparse, legacy_fully_connected, legacy_linear,
                            legacy_relu, pool)
from .layers_more import GDN, gdn  # noqa: E402
from .normalization import batch_norm, layer_norm  # noqa: E402
