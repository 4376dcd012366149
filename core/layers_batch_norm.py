"""``tf.layers.batch_normalization``: TF1's batch normalization layer function (its object,
``tf.layers.BatchNormalization``, is made in core/layers.py), on the fused kernel where TF1
uses it and on composed ops (moments) elsewhere."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from . import init_ops, nn_impl
from .graph import convert_to_tensor, get_default_graph
from .layer_identifiers import initializer_of
from .layers import _file_updates, _scope, _select
from .layers_base import layer_variable
from .ops import (array_ops, batch_norm_ops, concat_split_ops, fill_ops, math_ops, nn_ops,
                  reduction_ops, state_ops, unary_ops)
from .tensor_conversion import constant_value
from .variables import get_variable, get_variable_scope

__all__ = ["batch_normalization"]


# TF1's fused kernel's data format by (input rank, normalised axis): the cases in which its
# BatchNormalizationV1.build takes the fused path (with fused None or True; an explicit
# fused=True that cannot be honoured falls back to the composed ops without a word, as TF1's).
# TF 1.15 fuses rank 4 only (``ndims == 4 and self._fused_can_be_used()``); a 5-D input takes
# the composed ops and their biased batch variance (TF 2 / tf_keras fuse 5-D too).
_FUSED_FORMATS = {(4, 1): "NCHW", (4, 3): "NHWC"}


def _static_training(training):
    """``training`` as a Python bool when it is known at graph construction (a bool, None as
    TF1's default learning phase, or a constant tensor, as smart_cond), else None."""
    if training is None or isinstance(training, (bool, np.bool_)):
        return bool(training)
    value = constant_value(convert_to_tensor(training))
    return None if value is None else bool(value)


def _fused_batch_norm(inputs, data_format, gamma, beta, moving_mean, moving_variance, epsilon,
                      training, static, param_shape, dtype):
    """TF1's fused path (BatchNormalizationBase._fused_batch_norm in graph mode): one
    FusedBatchNormV3 on the input in its own dtype (float16 with float32 parameters). Returns
    y and what the moving averages take: when training, the op's batch mean and its
    Bessel-corrected (n / (n - 1)) batch variance; when not, the averages it echoes. A
    ``training`` tensor builds both ops and picks (see _select) where TF1 builds a cond. Its
    gradient is the fused op's, whose own gradient is exact: the composed path's moments
    stop the gradient through the mean's shift, which second-order gradients (a gradient
    penalty) feel."""
    if beta is None:  # as TF1: constants in their place, beta's first
        beta = array_ops.constant(0.0, dtype, shape=param_shape)
    if gamma is None:
        gamma = array_ops.constant(1.0, dtype, shape=param_shape)

    def run(is_training):
        return batch_norm_ops.fused_batch_norm(
            inputs, gamma, beta, moving_mean.value(), moving_variance.value(), epsilon=epsilon,
            data_format=data_format, is_training=is_training)

    if static is not None:
        return run(static)
    return [_select(training, a, b) for a, b in zip(run(True), run(False))]


def _check_renorm_and_virtual(renorm, renorm_clipping, virtual_batch_size, adjustment, axes):
    """TF 1.15's checks of BatchNormalizationBase.__init__ and build, with its messages."""
    if renorm:
        keys = ["rmax", "rmin", "dmax"]
        if set(renorm_clipping or {}) - set(keys):
            raise ValueError(f"renorm_clipping {renorm_clipping} contains keys not in {keys}")
    if virtual_batch_size is not None:
        if virtual_batch_size <= 0:
            raise ValueError("virtual_batch_size must be a positive integer that divides the "
                             "true batch size of the input Tensor")
        if 0 in axes:
            raise ValueError("When using virtual_batch_size, the batch dimension must be 0 and "
                             "thus axis cannot include 0")
        if adjustment is not None:
            raise ValueError("When using virtual_batch_size, adjustment cannot be specified")


class _SqrtOf(init_ops.Initializer):
    """TF's moving_stddev initializer: the square root of the moving variance's."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, shape, dtype=None, partition_info=None):
        return unary_ops.sqrt(self.initializer(shape, dtype=dtype, partition_info=partition_info))


def _compose(scale, offset, then_scale, then_offset):
    """TF's _compose_transforms: (x * scale + offset) * then_scale + then_offset."""
    if then_scale is not None:
        scale = scale * then_scale
        offset = offset * then_scale
    if then_offset is not None:
        offset = offset + then_offset
    return scale, offset


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=None, gamma_initializer=None,
                        moving_mean_initializer=None, moving_variance_initializer=None,
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None, _scope_out=None):
    """TF1's batch normalization layer: with ``training``, normalises by the batch's mean and
    variance and adds the moving-average updates to ``tf.GraphKeys.UPDATE_OPS`` (run them with
    the train op, as in TF1) unless the layer is not ``trainable`` (TF1's layer then reports
    none: a frozen layer's averages stay put, though it still normalises by the batch);
    otherwise normalises by the moving averages. A ``training``
    tensor selects at run time (both are computed; the averages move only when it is true).

    As TF 1.15, a float16/float32 input of rank 4 normalised over axis 1 or 3 runs TF's fused
    kernel, FusedBatchNormV3 (see _fused_batch_norm), unless ``fused=False``; other inputs
    (5-D ones too, even with ``fused=True``) are normalised with the composed ops (moments),
    whose moving variance takes the biased batch variance. ``renorm`` (batch renormalization),
    ``virtual_batch_size`` (ghost batches) and ``adjustment`` take the composed ops, as TF's
    layer (BatchNormalizationBase: variables moving_stddev, renorm_mean and renorm_stddev; see
    _renorm_correction)."""
    inputs = convert_to_tensor(inputs)
    rank = inputs.shape.rank
    if rank is None:
        raise ValueError("Input has undefined rank.")
    axes = [axis] if isinstance(axis, int) else list(axis)
    axes = [a % rank for a in axes]
    _check_renorm_and_virtual(renorm, renorm_clipping, virtual_batch_size, adjustment, axes)
    reduce = [i for i in range(rank) if i not in axes]
    if any(inputs.shape[a].value is None for a in axes):
        raise ValueError(f"Input has undefined `axis` dimension. Input shape: {inputs.shape}")
    # Parameters broadcast against the input: their axes kept, the others of size 1. As TF1,
    # one axis gives them its length as their shape; several, the input's rank with 1s.
    bshape = [inputs.shape[i].value if i in axes else 1 for i in range(rank)]
    param_shape = [inputs.shape[axes[0]].value] if len(axes) == 1 else bshape
    in_dtype = inputs.dtype
    # As TF1's build, renorm, ghost batches and an adjustment never fuse, even with an
    # explicit fused=True (which TF1 drops without a word: only Keras' V2 layer raises).
    plain = not renorm and virtual_batch_size is None and adjustment is None
    fused_format = _FUSED_FORMATS.get((rank, axes[0])) if fused is not False and plain and \
        len(axes) == 1 and in_dtype in (_dt.float16, _dt.float32) else None
    # As TF's layer, a float16 input has float32 parameters and statistics (so checkpoints
    # agree, and the averages do not round away); the composed path computes in float32.
    dtype = _dt.float32 if in_dtype == _dt.float16 else in_dtype
    static = _static_training(training)
    with _scope(name, "batch_normalization", reuse, _scope_out):
        if virtual_batch_size is not None:
            # Ghost batches, as TF1: the input seen as [virtual_batch_size, -1, ...] (TF1's
            # legacy order, so a virtual batch is every (batch / virtual_batch_size)-th
            # example; also at inference), parameters and statistics with an extra 1 at
            # index 1, moments over every axis but the normalised ones and that one.
            inputs, undo = _virtual_batches(inputs, virtual_batch_size)
            axes = [a + 1 for a in axes]
            rank += 1
            bshape = param_shape = [1, 1] + [d if i + 2 in axes else 1
                                             for i, d in enumerate(bshape[1:])]
            reduce = [i for i in range(rank) if i not in axes and i != 1]
        gamma = layer_variable("gamma", param_shape, dtype=dtype,
                             initializer=initializer_of(gamma_initializer) or
                             init_ops.ones_initializer(),
                             regularizer=gamma_regularizer,
                             constraint=gamma_constraint,
                             trainable=trainable)[0] if scale else None
        beta = layer_variable("beta", param_shape, dtype=dtype,
                            initializer=initializer_of(beta_initializer) or
                            init_ops.zeros_initializer(),
                            regularizer=beta_regularizer,
                            constraint=beta_constraint,
                            trainable=trainable)[0] if center else None
        mean_init = initializer_of(moving_mean_initializer) or init_ops.zeros_initializer()
        variance_init = initializer_of(moving_variance_initializer) or \
            init_ops.ones_initializer()
        # As TF's build: the moving statistics are made with the scope's partitioner off
        # (gamma and beta are partitioned; the canned DNN's scope partitions everything).
        scope = get_variable_scope()
        partitioner = scope.partitioner
        scope.set_partitioner(None)
        try:
            moving_mean = get_variable("moving_mean", param_shape, dtype=dtype,
                                       trainable=False, initializer=mean_init)
            moving_variance = get_variable("moving_variance", param_shape, dtype=dtype,
                                           trainable=False, initializer=variance_init)
            if renorm:  # as TF's build: the inference stddev, then the training averages
                moving_stddev = get_variable("moving_stddev", param_shape, dtype=dtype,
                                             trainable=False,
                                             initializer=_SqrtOf(variance_init))
                renorm_vars = (get_variable("renorm_mean", param_shape, dtype=dtype,
                                            trainable=False, initializer=mean_init),
                               get_variable("renorm_stddev", param_shape, dtype=dtype,
                                            trainable=False,
                                            initializer=_SqrtOf(variance_init)))
        finally:
            scope.set_partitioner(partitioner)
        if fused_format is not None:
            out, mean, variance = _fused_batch_norm(
                inputs, fused_format, gamma, beta, moving_mean, moving_variance, epsilon,
                training, static, param_shape, dtype)
            new_mean, new_variance = mean, variance
        else:
            x = math_ops.cast(inputs, dtype) if dtype != in_dtype else inputs
            vbs = virtual_batch_size is not None

            def b(t):  # a parameter-shaped tensor, broadcast against the input
                return array_ops.reshape(t, bshape) if t is not None and rank > 1 and \
                    not vbs and list(t.shape.as_list()) != bshape else t

            def normalised(mean, variance, gain, offset):
                out = nn_impl.batch_normalization(x, b(mean), b(variance), offset, gain,
                                                  epsilon)
                out = math_ops.cast(out, in_dtype) if in_dtype != dtype else out
                return undo(out) if vbs else out

            gain, offset = b(gamma), b(beta)
            averages = moving_mean.value(), moving_variance.value()
            if static is False:
                return normalised(*averages, gain, offset)
            if adjustment is not None:  # scale and shift the normalised values, in training
                adj_scale, adj_bias = adjustment(array_ops.shape(x))
                if static is None:
                    adj_scale = _select(training, adj_scale, fill_ops.ones_like(adj_scale))
                    adj_bias = _select(training, adj_bias, fill_ops.zeros_like(adj_bias))
                gain, offset = _compose(adj_scale, adj_bias, gain, offset)
            # Several axes and ghost batches keep the reduced dimensions (TF1's keep_dims).
            mean, variance = nn_impl.moments(x, reduce, keep_dims=len(axes) > 1 or vbs)
            if static is None:
                if vbs:  # the averages broadcast to the virtual batches' statistics
                    averages = [a + fill_ops.zeros_like(mean) for a in averages]
                mean, variance = [_select(training, a, m) for a, m in
                                  zip((mean, variance), averages)]
            new_mean, new_variance = mean, variance
            if vbs:  # TF1 moves the averages once, by the virtual batches' mean statistics
                new_mean = reduction_ops.reduce_mean(mean, axis=1, keepdims=True)
                new_variance = reduction_ops.reduce_mean(variance, axis=1, keepdims=True)
            if renorm:
                r, d, renorm_updates = _renorm_correction(
                    new_mean, new_variance, training, static, epsilon, *renorm_vars,
                    renorm_clipping or {}, renorm_momentum)
                gain, offset = _compose(b(r), b(d), gain, offset)
                # As TF1, the averages' updates run the renorm variables' (after r and d).
                with get_default_graph().control_dependencies(renorm_updates):
                    new_mean = array_ops.identity(new_mean)
                    new_variance = array_ops.identity(new_variance)
            out = normalised(mean, variance, gain, offset)
        if static is False:
            return out
        # As TF1: decay = 1 - momentum, a float32 tensor (momentum 1 when training is false).
        momentum = array_ops.constant(momentum, _dt.float32)
        if static is None:
            momentum = _select(training, momentum, array_ops.constant(1.0, _dt.float32))
        decay = 1.0 - momentum
        from .train.moving_averages import move_toward

        graph = get_default_graph()
        updates = [move_toward(moving_mean, new_mean, decay)]  # AssignMovingAvg
        if renorm:
            # TF's layer tracks the inference stddev (epsilon inside, as in training) and
            # sets the variance from it, relu'd against rounding below zero.
            stddev = move_toward(moving_stddev, unary_ops.sqrt(new_variance + epsilon), decay)
            value = nn_ops.relu(stddev * stddev - epsilon)
            if static is None:
                value = _select(training, value, moving_variance.value())
            with graph.colocate_with(moving_variance):
                updates.append(state_ops.assign(moving_variance, value, name="AssignNewValue"))
        else:
            updates.append(move_toward(moving_variance, new_variance, decay))
        _file_updates([u.op for u in updates], trainable)  # operations, as TF1's layers
        return out


def _virtual_batches(inputs, virtual_batch_size):
    """``inputs`` reshaped to [virtual_batch_size, -1, ...] and the function undoing it (a
    batch the virtual batch size does not divide fails in the reshape, as TF1's)."""
    rest = inputs.shape.as_list()[1:]
    if all(d is not None for d in rest):
        expanded, original = [virtual_batch_size, -1] + rest, [-1] + rest
    else:
        tail = array_ops.shape(inputs)[1:]
        expanded = concat_split_ops.concat([[virtual_batch_size, -1], tail], 0)
        original = concat_split_ops.concat([[-1], tail], 0)
    shape = inputs.shape

    def undo(outputs):
        outputs = array_ops.reshape(outputs, original)
        outputs.set_shape(shape)
        return outputs

    return array_ops.reshape(inputs, expanded), undo


def _renorm_correction(mean, variance, training, static, epsilon, renorm_mean, renorm_stddev,
                       clipping, renorm_momentum):
    """TF's _renorm_correction_and_moments: the corrections r = stddev / renorm_stddev and
    d = (mean - renorm_mean) / renorm_stddev (clipped to [rmin, rmax] and [-dmax, dmax]; 1 and
    0 when not training), from the renorm averages before this batch moves them, and those
    moves (by ``1 - renorm_momentum``, none when not training)."""
    from .train.moving_averages import move_toward

    stddev = unary_ops.sqrt(variance + epsilon)
    # renorm_stddev kept from 0 (a zeros variance initializer) early in training
    averaged = math_ops.maximum(renorm_stddev.value(), float(np.sqrt(epsilon)))
    r = stddev / averaged
    d = (mean - renorm_mean.value()) / averaged
    if clipping.get("rmin") is not None:
        r = math_ops.maximum(r, clipping["rmin"])
    if clipping.get("rmax") is not None:
        r = math_ops.minimum(r, clipping["rmax"])
    if clipping.get("dmax") is not None:
        d = math_ops.maximum(d, -clipping["dmax"])
        d = math_ops.minimum(d, clipping["dmax"])
    rate = array_ops.constant(1.0 - renorm_momentum, _dt.float32)
    if static is None:
        r = _select(training, r, fill_ops.ones_like(r))
        d = _select(training, d, fill_ops.zeros_like(d))
        rate = _select(training, rate, array_ops.constant(0.0, _dt.float32))
    with get_default_graph().control_dependencies([r, d]):  # the pre-update averages
        updates = [move_toward(renorm_mean, array_ops.identity(mean), rate),
                   move_toward(renorm_stddev, array_ops.identity(stddev), rate)]
    return (array_ops.stop_gradient(r, name="renorm_r"),
            array_ops.stop_gradient(d, name="renorm_d"), updates)
