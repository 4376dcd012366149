"""``tf.contrib.layers``: the less used layer functions of TF 1.x's layers.py —
conv2d_in_plane, pool, dense_to_sparse and the pre-arg_scope ``legacy_fully_connected``."""

from __future__ import annotations

import functools

from ... import dtypes as _dt
from ... import nn_convolution
from ...graph import GraphKeys, convert_to_tensor, get_default_graph, name_scope
from ...ops import (array_ops, concat_split_ops, gather_ops, linalg_ops, logic_ops, nn_ops,
                    transform_ops)
from ...sparse_tensor import SparseTensor
from ...variables import get_variable, variable_scope
from ..arg_scope import add_arg_scope
from .layers import _XAVIER, _ZEROS, _collect, _model_variable, _variable_collections

__all__ = ["conv2d_in_plane", "convolution2d_in_plane", "dense_to_sparse", "legacy_fully_connected",
           "legacy_linear", "legacy_relu", "pool"]


def _n_ints(n, value, what):
    values = [value] * n if isinstance(value, int) else list(value)
    if len(values) != n or any(not isinstance(v, int) or v <= 0 for v in values):
        raise ValueError(f"{what} must be {n} positive integers, got {value!r}")
    return values


@add_arg_scope
def convolution2d_in_plane(inputs, kernel_size, stride=1, padding="SAME",
                           activation_fn=nn_ops.relu, normalizer_fn=None,
                           normalizer_params=None, weights_initializer=_XAVIER,
                           weights_regularizer=None, biases_initializer=_ZEROS,
                           biases_regularizer=None, reuse=None, variables_collections=None,
                           outputs_collections=None, trainable=True, scope=None):
    """``tf.contrib.layers.conv2d_in_plane``: one ``[kh, kw]`` filter applied to every
    channel on its own (a depthwise convolution with the filter tiled)."""
    with variable_scope(scope, "ConvInPlane", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        dtype = inputs.dtype
        kernel_h, kernel_w = _n_ints(2, kernel_size, "kernel_size")
        stride_h, stride_w = _n_ints(2, stride, "stride")
        if inputs.shape.rank is None or inputs.shape.rank < 4:
            raise ValueError(f"rank of shape must be at least 4 not: {inputs.shape.rank}")
        num_filters_in = inputs.shape[-1].value
        if num_filters_in is None:
            raise ValueError("last dimension shape must be known but is None")
        weights = _model_variable(
            "weights", shape=[kernel_h, kernel_w, 1, 1], dtype=dtype,
            initializer=weights_initializer, regularizer=weights_regularizer,
            collections=_variable_collections(variables_collections, "weights"),
            trainable=trainable)
        depthwise_weights = transform_ops.tile(weights, [1, 1, num_filters_in, 1])
        outputs = nn_convolution.depthwise_conv2d(inputs, depthwise_weights,
                                                  [1, stride_h, stride_w, 1], padding)
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        elif biases_initializer is not None:
            biases = _model_variable(
                "biases", shape=[num_filters_in], dtype=dtype, initializer=biases_initializer,
                regularizer=biases_regularizer,
                collections=_variable_collections(variables_collections, "biases"),
                trainable=trainable)
            outputs = nn_ops.bias_add(outputs, biases)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect(outputs_collections, sc.name, outputs)


conv2d_in_plane = convolution2d_in_plane


@add_arg_scope
def pool(inputs, kernel_size, pooling_type, padding="VALID", data_format=None, dilation_rate=1,
         stride=1, outputs_collections=None, scope=None):
    """``tf.contrib.layers.pool``: ``tf.nn.pool`` (``"MAX"`` or ``"AVG"``) over the N-D
    spatial dimensions of the input, in a ``<type>_pool`` scope."""
    with name_scope(scope, f"{pooling_type.lower()}_pool", [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        rank = inputs.shape.rank
        if rank is None:
            raise ValueError("Rank of inputs must be known")
        if rank < 3:
            raise ValueError("Rank of inputs must be >= 3")
        n = rank - 2
        output = nn_convolution.pool(
            inputs, window_shape=_n_ints(n, kernel_size, "kernel_size"),
            pooling_type=pooling_type, padding=padding, data_format=data_format,
            dilation_rate=_n_ints(n, dilation_rate, "dilation_rate"),
            strides=_n_ints(n, stride, "stride"), name=sc)
        return _collect(outputs_collections, sc, output)


def dense_to_sparse(tensor, eos_token=0, outputs_collections=None, scope=None):
    """``tf.contrib.layers.dense_to_sparse``: the SparseTensor of the entries that are not
    ``eos_token``."""
    with variable_scope(scope, "dense_to_sparse", [tensor]) as sc:
        tensor = convert_to_tensor(tensor)
        indices = logic_ops.where(logic_ops.not_equal(
            tensor, array_ops.constant(eos_token, tensor.dtype)))
        values = gather_ops.gather_nd(tensor, indices)
        shape = array_ops.shape(tensor, out_type=_dt.int64)
        return _collect(outputs_collections, sc.name, SparseTensor(indices, values, shape))


def legacy_fully_connected(x, num_output_units, activation_fn=None, weight_init=_XAVIER,
                           bias_init=_ZEROS, name=None,
                           weight_collections=(GraphKeys.WEIGHTS,),
                           bias_collections=(GraphKeys.BIASES,),
                           output_collections=(GraphKeys.ACTIVATIONS,), trainable=True,
                           weight_regularizer=None, bias_regularizer=None):
    """``tf.contrib.layers.legacy_fully_connected``: ``fully_connected/weights`` and
    ``fully_connected/bias`` (plain variables in WEIGHTS/BIASES), output in ACTIVATIONS."""
    with variable_scope(name, "fully_connected", [x]):
        x = convert_to_tensor(x)
        dims = x.shape.as_list() if x.shape.rank is not None else None
        if dims is None:
            raise ValueError("dims of x must be known but is None")
        if len(dims) < 2:
            raise ValueError(f"rank of x must be at least 2 not: {len(dims)}")
        num_input_units = dims[-1]
        if num_input_units is None:
            raise ValueError("last dimension of x must be known but is None")
        dtype = x.dtype
        w = get_variable("weights", shape=[num_input_units, num_output_units], dtype=dtype,
                         initializer=weight_init,
                         collections=list(dict.fromkeys([*(weight_collections or []),
                                                         GraphKeys.GLOBAL_VARIABLES])),
                         regularizer=weight_regularizer, trainable=trainable)
        x_2_dim = x if len(dims) <= 2 else array_ops.reshape(x, [-1, num_input_units])
        y = linalg_ops.matmul(x_2_dim, w)
        if bias_init is not None:
            b = get_variable("bias", shape=[num_output_units], dtype=dtype,
                             initializer=bias_init,
                             collections=list(dict.fromkeys([*(bias_collections or []),
                                                             GraphKeys.GLOBAL_VARIABLES])),
                             regularizer=bias_regularizer, trainable=trainable)
            y = nn_ops.bias_add(y, b)
        if len(dims) > 2:
            out_shape = concat_split_ops.unstack(array_ops.shape(x))
            out_shape[-1] = num_output_units
            y = array_ops.reshape(y, concat_split_ops.stack(out_shape))
            y.set_shape(dims[:-1] + [num_output_units])
        if activation_fn is not None:
            y = activation_fn(y)
        graph = get_default_graph()
        # as TF1 (add_to_collections takes a set): once per distinct collection
        for key in dict.fromkeys([*(output_collections or []), GraphKeys.ACTIVATIONS]):
            graph.add_to_collection(key, y)
        return y


legacy_relu = functools.partial(legacy_fully_connected, activation_fn=nn_ops.relu)
legacy_linear = functools.partial(legacy_fully_connected, activation_fn=None)
