"""``tf.contrib.layers`` normalization: batch_norm, layer_norm, instance_norm, group_norm.

As TF1's: batch_norm with the default UPDATE_OPS collection runs the core batch normalization
layer (minitf's tf.layers one) in a ``BatchNorm`` scope of model variables; in-place updates
(``updates_collections=None``), zero-debiased means and rank-2 inputs take TF1's
``_fused_batch_norm`` (FusedBatchNormV3 on a 4-D view, so the moving variance takes the
Bessel-corrected batch variance); ``fused=False`` and ``batch_weights`` take the composed ops.
"""

from __future__ import annotations

import numpy as np

from ... import dtypes as _dt
from ... import init_ops, math_extra, nn_impl
from ... import layers as _core
from ... import layers_batch_norm as _core_bn
from ...graph import GraphKeys, convert_to_tensor, get_default_graph
from ...ops import array_ops, batch_norm_ops, concat_split_ops, unary_ops
from ...tensor_shape import TensorShape
from ...train.moving_averages import _assign_moving_average
from ...variables import get_variable_scope, variable_scope
from ..arg_scope import add_arg_scope
from .layers import (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC, _add_variable_to_collections,
                     _build_variable_getter, _collect, _model_variable, _variable_collections)

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm"]

_ZEROS = init_ops.zeros_initializer()
_ONES = init_ops.ones_initializer()


def _static(is_training):
    """``is_training`` as a bool when known at graph construction (``utils.constant_value``)."""
    return _core_bn._static_training(is_training)


def _cond(is_training, static, if_true, if_false):
    """TF1's ``utils.smart_cond``: one branch when ``is_training`` is known, else a tf.cond,
    so a branch's side effects (the moving averages' updates) run only when it is taken."""
    if static is not None:
        return if_true() if static else if_false()
    from ...control_flow import cond

    return cond(is_training, if_true, if_false)


def _params(variables_collections, param_initializers, param_regularizers, params_shape, dtype,
            center, scale, trainable, gamma_first=False):
    """beta and gamma (model variables) or None when not ``center``/``scale``."""
    param_initializers = param_initializers or {}
    param_regularizers = param_regularizers or {}

    def make(name, default):
        return _model_variable(name, shape=params_shape, dtype=dtype,
                               initializer=param_initializers.get(name, default),
                               regularizer=param_regularizers.get(name),
                               collections=_variable_collections(variables_collections, name),
                               trainable=trainable)
    beta = make("beta", _ZEROS) if center else None
    gamma = make("gamma", _ONES) if scale else None
    return beta, gamma


def _moving(variables_collections, param_initializers, params_shape, dtype):
    param_initializers = param_initializers or {}
    with variable_scope(get_variable_scope()) as local_scope:
        local_scope.set_partitioner(None)
        return [_model_variable(name, shape=params_shape, dtype=dtype,
                                initializer=param_initializers.get(name, init), trainable=False,
                                collections=_variable_collections(variables_collections, name))
                for name, init in (("moving_mean", _ZEROS), ("moving_variance", _ONES))]


def _updates(moving_mean, moving_variance, mean, variance, decay, zero_debias_moving_mean):
    """The function building the two moving-average updates (TF1's branch functions)."""
    def updates():
        return (_assign_moving_average(moving_mean, mean, decay, zero_debias_moving_mean),
                _assign_moving_average(moving_variance, variance, decay, zero_debias=False))
    return updates


def _fused_batch_norm(inputs, decay, center, scale, epsilon, activation_fn, param_initializers,
                      param_regularizers, updates_collections, is_training, reuse,
                      variables_collections, outputs_collections, trainable, data_format,
                      zero_debias_moving_mean, scope):
    """TF1's ``_fused_batch_norm``: FusedBatchNormV3, rank 2 seen as ``[-1, 1, 1, C]``."""
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    with variable_scope(scope, "BatchNorm", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        original_shape = inputs.shape
        original_inputs = inputs
        rank = original_shape.rank
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank")
        if rank not in (2, 4):
            raise ValueError(f"Inputs {inputs.name} has unsupported rank. Expected 2 or 4 but "
                             f"got {rank}")
        if rank == 2:
            channels = inputs.shape[-1].value
            if channels is None:
                raise ValueError("`C` dimension must be known but is None")
            new_shape = [-1, channels, 1, 1] if data_format == DATA_FORMAT_NCHW else \
                [-1, 1, 1, channels]
            inputs = array_ops.reshape(inputs, new_shape)
        inputs_shape = inputs.shape
        params_shape = inputs_shape[-1:] if data_format == DATA_FORMAT_NHWC else \
            inputs_shape[1:2]
        if not params_shape.is_fully_defined():
            raise ValueError(f"Inputs {inputs.name} has undefined `C` dimension "
                             f"{params_shape}.")
        dtype = _dt.float32
        beta, gamma = _params(variables_collections, param_initializers, param_regularizers,
                              params_shape, dtype, center, scale, trainable)
        if beta is None:
            beta = array_ops.constant(0.0, dtype, shape=params_shape.as_list())
        if gamma is None:
            gamma = array_ops.constant(1.0, dtype, shape=params_shape.as_list())
        moving_mean, moving_variance = _moving(variables_collections, param_initializers,
                                               params_shape, dtype)
        static = _static(is_training)
        outputs, mean, variance = _cond(
            is_training, static,
            lambda: batch_norm_ops.fused_batch_norm(inputs, gamma, beta, epsilon=epsilon,
                                                    data_format=data_format),
            lambda: batch_norm_ops.fused_batch_norm(
                inputs, gamma, beta, mean=moving_mean.value(),
                variance=moving_variance.value(), epsilon=epsilon, is_training=False,
                data_format=data_format))
        update = _updates(moving_mean, moving_variance, mean, variance, decay,
                          zero_debias_moving_mean)
        if static is None or static:
            if updates_collections is None:
                def force():
                    with get_default_graph().control_dependencies(list(update())):
                        return array_ops.identity(outputs)
                outputs = _cond(is_training, static, force, lambda: outputs)
            else:
                update_mean, update_variance = _cond(
                    is_training, static, update,
                    lambda: (moving_mean.value(), moving_variance.value()))
                _add_to_collections(updates_collections, update_mean)
                _add_to_collections(updates_collections, update_variance)
        outputs.set_shape(inputs_shape)
        if rank == 2:
            dims = original_inputs.shape.as_list()
            if dims.count(None) <= 1:
                target = [-1 if d is None else d for d in dims]
            else:
                target = array_ops.shape(original_inputs)
            outputs = array_ops.reshape(outputs, target)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect(outputs_collections, sc.name, outputs)


def _add_to_collections(keys, value):
    graph = get_default_graph()
    for key in ([keys] if isinstance(keys, str) else keys):
        graph.add_to_collection(key, value)


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
               param_initializers=None, param_regularizers=None,
               updates_collections=GraphKeys.UPDATE_OPS, is_training=True, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format=DATA_FORMAT_NHWC,
               zero_debias_moving_mean=False, scope=None, renorm=False, renorm_clipping=None,
               renorm_decay=0.99, adjustment=None):
    """``tf.contrib.layers.batch_norm``: normalises by the batch's moments when
    ``is_training`` (updating ``moving_mean``/``moving_variance`` with ``decay``, through
    ``updates_collections`` or in place when it is None), by the moving averages otherwise.
    As TF1, ``renorm`` (with ``renorm_clipping``, ``renorm_decay``) and ``adjustment`` go to
    the core layer (tf.layers.batch_normalization), never fused."""
    if fused is None:
        fused = True
    inputs = convert_to_tensor(inputs)
    rank = inputs.shape.rank
    possible_to_fuse = batch_weights is None and not renorm and rank in (2, 4) and \
        adjustment is None
    if fused and possible_to_fuse and (zero_debias_moving_mean or rank == 2 or
                                       updates_collections is not GraphKeys.UPDATE_OPS):
        return _fused_batch_norm(inputs, decay, center, scale, epsilon, activation_fn,
                                 param_initializers, param_regularizers, updates_collections,
                                 is_training, reuse, variables_collections,
                                 outputs_collections, trainable, data_format,
                                 zero_debias_moving_mean, scope)
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    core = batch_weights is None and updates_collections is GraphKeys.UPDATE_OPS and \
        not zero_debias_moving_mean
    # The core layer's beta/gamma regularizers, applied by the scope's getter besides the
    # variable scope's (as TF1's core layer); TF1's composed ops take none.
    layer_regularizers = {k: (param_regularizers or {}).get(k) if core else None
                          for k in ("beta", "gamma")}
    with variable_scope(scope, "BatchNorm", [inputs], reuse=reuse,
                        custom_getter=_build_variable_getter(None, layer_regularizers)) as sc:
        if core:
            # TF 1.15's layer fuses 4-D inputs only (TF 2's also 5-D): others take the
            # composed ops, whose moving variance is the biased batch variance.
            param_initializers = param_initializers or {}
            outputs = _core_bn.batch_normalization(
                inputs, axis=1 if data_format == DATA_FORMAT_NCHW else -1, momentum=decay,
                epsilon=epsilon, center=center, scale=scale,
                beta_initializer=param_initializers.get("beta", _ZEROS),
                gamma_initializer=param_initializers.get("gamma", _ONES),
                moving_mean_initializer=param_initializers.get("moving_mean", _ZEROS),
                moving_variance_initializer=param_initializers.get("moving_variance", _ONES),
                training=is_training,
                trainable=trainable, fused=bool(fused) and rank == 4, renorm=renorm,
                renorm_clipping=renorm_clipping, renorm_momentum=renorm_decay,
                adjustment=adjustment, _scope_out=_core._IN_LAYER)
            found = {v.op.name[len(sc.name) + 1:]: v for v in
                     get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
                     if v.op.name.startswith(sc.name + "/")}
            for name in ("moving_mean", "moving_variance", "beta", "gamma"):
                if name in found:
                    _add_variable_to_collections(found[name], variables_collections, name)
            if activation_fn is not None:
                outputs = activation_fn(outputs)
            return _collect(outputs_collections, sc.name, outputs)
        if renorm:  # as TF1: only the core layer renormalizes (an adjustment is dropped)
            raise ValueError("renorm is not supported with batch_weights, "
                             "updates_collections or zero_debias_moving_mean")
        return _composed_batch_norm(sc, inputs, decay, center, scale, epsilon, activation_fn,
                                    param_initializers, updates_collections, is_training,
                                    variables_collections, outputs_collections, trainable,
                                    batch_weights, data_format, zero_debias_moving_mean)


def _composed_batch_norm(sc, inputs, decay, center, scale, epsilon, activation_fn,
                         param_initializers, updates_collections, is_training,
                         variables_collections, outputs_collections, trainable, batch_weights,
                         data_format, zero_debias_moving_mean):
    """TF1's non-fused batch_norm: nn.moments (or weighted_moments) and batch_normalization."""
    inputs_shape = inputs.shape
    rank = inputs_shape.rank
    if rank is None:
        raise ValueError(f"Inputs {inputs.name} has undefined rank.")
    dtype = inputs.dtype
    if batch_weights is not None:
        batch_weights = convert_to_tensor(batch_weights)
        inputs_shape[0:1].assert_is_compatible_with(batch_weights.shape)
        batch_weights = array_ops.reshape(batch_weights, [-1] + [1] * (rank - 1))
    if data_format == DATA_FORMAT_NCHW:
        moments_axes = [0] + list(range(2, rank))
        params_shape = inputs_shape[1:2]
        broadcast = [1, inputs_shape[1].value] + [1] * (rank - 2)
    else:
        moments_axes = list(range(rank - 1))
        params_shape = inputs_shape[-1:]
        broadcast = None
    if not params_shape.is_fully_defined():
        raise ValueError(f"Inputs {inputs.name} has undefined channels dimension "
                         f"{params_shape}.")
    beta, gamma = _params(variables_collections, param_initializers, None, params_shape, dtype,
                          center, scale, trainable)
    moving_mean, moving_variance = _moving(variables_collections, param_initializers,
                                           params_shape, dtype)
    static = _static(is_training)
    if static is None or static:
        keep = data_format == DATA_FORMAT_NCHW
        if batch_weights is None:
            mean, variance = nn_impl.moments(inputs, moments_axes, keep_dims=keep)
        else:
            mean, variance = math_extra.weighted_moments(inputs, moments_axes, batch_weights,
                                                         keepdims=keep)
        if keep:
            mean, variance = array_ops.reshape(mean, [-1]), array_ops.reshape(variance, [-1])
        moving = lambda: (moving_mean.value(), moving_variance.value())  # noqa: E731
        update = _updates(moving_mean, moving_variance, mean, variance, decay,
                          zero_debias_moving_mean)
        if updates_collections is None:
            def force():
                with get_default_graph().control_dependencies(list(update())):
                    return array_ops.identity(mean), array_ops.identity(variance)
            mean, variance = _cond(is_training, static, force, moving)
        else:
            update_mean, update_variance = _cond(is_training, static, update, moving)
            _add_to_collections(updates_collections, update_mean)
            _add_to_collections(updates_collections, update_variance)
            batch = mean, variance
            mean, variance = _cond(is_training, static, lambda: batch, moving)
    else:
        mean, variance = moving_mean.value(), moving_variance.value()
    if broadcast is not None:
        mean, variance = (array_ops.reshape(t, broadcast) for t in (mean, variance))
        beta = None if beta is None else array_ops.reshape(beta, broadcast)
        gamma = None if gamma is None else array_ops.reshape(gamma, broadcast)
    outputs = nn_impl.batch_normalization(inputs, mean, variance, beta, gamma, epsilon)
    outputs.set_shape(inputs_shape)
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return _collect(outputs_collections, sc.name, outputs)


@add_arg_scope
def layer_norm(inputs, center=True, scale=True, activation_fn=None, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               begin_norm_axis=1, begin_params_axis=-1, scope=None):
    """``tf.contrib.layers.layer_norm``: normalises over the axes from ``begin_norm_axis``,
    with ``beta``/``gamma`` of the shape of the axes from ``begin_params_axis``."""
    with variable_scope(scope, "LayerNorm", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        inputs_shape = inputs.shape
        rank = inputs_shape.rank
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank.")
        dtype = inputs.dtype
        if begin_norm_axis < 0:
            begin_norm_axis = rank + begin_norm_axis
        if begin_params_axis >= rank or begin_norm_axis >= rank:
            raise ValueError(f"begin_params_axis ({begin_params_axis}) and begin_norm_axis "
                             f"({begin_norm_axis}) must be < rank(inputs) ({rank})")
        params_shape = TensorShape(inputs_shape.as_list()[begin_params_axis:])
        if not params_shape.is_fully_defined():
            raise ValueError(f"Inputs {inputs.name}: shape(inputs)[{begin_params_axis}:] is "
                             f"not fully defined: {inputs_shape}")
        beta, gamma = _params(variables_collections, None, None, params_shape, dtype, center,
                              scale, trainable)
        mean, variance = nn_impl.moments(inputs, list(range(begin_norm_axis, rank)),
                                         keep_dims=True)
        epsilon = 1e-12 if dtype != _dt.float16 else 1e-3
        outputs = nn_impl.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                              variance_epsilon=epsilon)
        outputs.set_shape(inputs_shape)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect(outputs_collections, sc.name, outputs)


@add_arg_scope
def instance_norm(inputs, center=True, scale=True, epsilon=1e-6, activation_fn=None,
                  param_initializers=None, reuse=None, variables_collections=None,
                  outputs_collections=None, trainable=True, data_format=DATA_FORMAT_NHWC,
                  scope=None):
    """``tf.contrib.layers.instance_norm``: normalises each example and channel over the
    spatial axes."""
    inputs = convert_to_tensor(inputs)
    inputs_shape = inputs.shape
    rank = inputs_shape.rank
    if rank is None:
        raise ValueError(f"Inputs {inputs.name} has undefined rank.")
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    with variable_scope(scope, "InstanceNorm", [inputs], reuse=reuse) as sc:
        if data_format == DATA_FORMAT_NCHW:
            reduction_axis = 1
            broadcast = [1, inputs_shape[1].value] + [1] * (rank - 2)
        else:
            reduction_axis = rank - 1
            broadcast = None
        moments_axes = [a for a in range(1, rank) if a != reduction_axis]
        params_shape = inputs_shape[reduction_axis:reduction_axis + 1]
        if not params_shape.is_fully_defined():
            raise ValueError(f"Inputs {inputs.name} has undefined channels dimension "
                             f"{params_shape}.")
        beta, gamma = _params(variables_collections, param_initializers, None, params_shape,
                              inputs.dtype, center, scale, trainable)
        if broadcast:
            beta = None if beta is None else array_ops.reshape(beta, broadcast)
            gamma = None if gamma is None else array_ops.reshape(gamma, broadcast)
        mean, variance = nn_impl.moments(inputs, moments_axes, keep_dims=True)
        outputs = nn_impl.batch_normalization(inputs, mean, variance, beta, gamma, epsilon,
                                              name="instancenorm")
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect(outputs_collections, sc.name, outputs)


@add_arg_scope
def group_norm(inputs, groups=32, channels_axis=-1, reduction_axes=(-3, -2), center=True,
               scale=True, epsilon=1e-6, activation_fn=None, param_initializers=None,
               reuse=None, variables_collections=None, outputs_collections=None,
               trainable=True, scope=None, mean_close_to_zero=False):
    """``tf.contrib.layers.group_norm``: splits the channels into ``groups`` and normalises
    each group over it and ``reduction_axes``."""
    inputs = convert_to_tensor(inputs)
    rank = inputs.shape.rank
    if rank is None:
        raise ValueError(f"Inputs {inputs.name} has undefined rank.")
    if channels_axis > rank - 1:
        raise ValueError("Axis is out of bounds.")
    dynamic = array_ops.shape(inputs)
    shape_list = [dynamic[i] if d is None else d for i, d in enumerate(inputs.shape.as_list())]
    if channels_axis < 0:
        channels_axis += rank
    channels = inputs.shape[channels_axis].value
    if channels is None:
        raise ValueError(f"Inputs {inputs.name} has undefined channel dimension: "
                         f"{channels_axis}.")
    reduction_axes = [a + rank if a < 0 else a for a in reduction_axes]
    for a in reduction_axes:
        if a > rank:
            raise ValueError("Axis is out of bounds.")
        if inputs.shape[a].value is None:
            raise ValueError(f"Inputs {inputs.name} has undefined dimensions {a}.")
        if channels_axis == a:
            raise ValueError("reduction_axis must be mutually exclusive with channels_axis")
    if groups > channels:
        raise ValueError(f"Invalid groups {groups} for {channels} channels.")
    if channels % groups != 0:
        raise ValueError(f"{channels} channels is not commensurate with {groups} groups.")
    before, after = shape_list[:channels_axis], shape_list[channels_axis + 1:]
    broadcast = [1] * len(before) + [groups, channels // groups] + [1] * len(after)
    grouped = before + [groups, channels // groups] + after
    if any(not isinstance(d, (int, np.integer)) for d in grouped):
        grouped = concat_split_ops.stack(grouped)
    inputs = array_ops.reshape(inputs, grouped)
    moments_axes = [channels_axis + 1] + [a + 1 if a > channels_axis else a
                                          for a in reduction_axes]
    with variable_scope(scope, "GroupNorm", [inputs], reuse=reuse) as sc:
        beta, gamma = _params(variables_collections, param_initializers, None, [channels],
                              inputs.dtype, center, scale, trainable)
        beta = None if beta is None else array_ops.reshape(beta, broadcast)
        gamma = None if gamma is None else array_ops.reshape(gamma, broadcast)
        if mean_close_to_zero:
            counts, means_ss, variance_ss, _ = math_extra.sufficient_statistics(
                inputs, moments_axes, keep_dims=True)
            mean, variance = math_extra.normalize_moments(counts, means_ss, variance_ss,
                                                       shift=None)
        else:
            mean, variance = nn_impl.moments(inputs, moments_axes, keep_dims=True)
        gain = unary_ops.rsqrt(variance + epsilon)
        offset = -mean * gain
        if gamma is not None:
            gain *= gamma
            offset *= gamma
        if beta is not None:
            offset += beta
        outputs = inputs * gain + offset
        if any(not isinstance(d, (int, np.integer)) for d in shape_list):
            shape_list = concat_split_ops.stack(shape_list)
        outputs = array_ops.reshape(outputs, shape_list)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return _collect(outputs_collections, sc.name, outputs)
