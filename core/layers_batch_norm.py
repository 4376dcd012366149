"""``tf.layers.batch_normalization``: TF1's batch normalization layer function (its object,
``tf.layers.BatchNormalization``, is made in core/layers.py), on the fused kernel where TF1
uses it and on composed ops (moments) elsewhere."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from . import init_ops, nn_impl
from .graph import GraphKeys, convert_to_tensor, get_default_graph
from .layer_identifiers import initializer_of, regularizer_of
from .layers import _scope, _select
from .ops import array_ops, batch_norm_ops, math_ops
from .tensor_conversion import constant_value
from .variables import get_variable

__all__ = ["batch_normalization"]


# TF1's fused kernel's data format by (input rank, normalised axis): the cases in which its
# BatchNormalizationV1.build takes the fused path (with fused None or True; an explicit
# fused=True that cannot be honoured falls back to the composed ops without a word, as TF1's).
_FUSED_FORMATS = {(4, 1): "NCHW", (4, 3): "NHWC", (5, 1): "NCDHW", (5, 4): "NDHWC"}


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


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=None, gamma_initializer=None,
                        moving_mean_initializer=None, moving_variance_initializer=None,
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None, _scope_out=None):
    """TF1's batch normalization layer: with ``training``, normalises by the batch's mean and
    variance and adds the moving-average updates to ``tf.GraphKeys.UPDATE_OPS`` (run them with
    the train op, as in TF1); otherwise normalises by the moving averages. A ``training``
    tensor selects at run time (both are computed; the averages move only when it is true).

    As TF1, a float16/float32 input of rank 4 normalised over axis 1 or 3 (rank 5: 1 or 4) runs
    TF's fused kernel, FusedBatchNormV3 (see _fused_batch_norm), unless ``fused=False``; other
    inputs are normalised with the composed ops (moments), whose moving variance takes the
    biased batch variance."""
    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise NotImplementedError("batch_normalization: renorm, virtual_batch_size and "
                                  "adjustment are not supported")
    inputs = convert_to_tensor(inputs)
    rank = inputs.shape.rank
    if rank is None:
        raise ValueError("Input has undefined rank.")
    axes = [axis] if isinstance(axis, int) else list(axis)
    axes = [a % rank for a in axes]
    reduce = [i for i in range(rank) if i not in axes]
    if any(inputs.shape[a].value is None for a in axes):
        raise ValueError(f"Input has undefined `axis` dimension. Input shape: {inputs.shape}")
    # Parameters broadcast against the input: their axes kept, the others of size 1. As TF1,
    # one axis gives them its length as their shape; several, the input's rank with 1s.
    bshape = [inputs.shape[i].value if i in axes else 1 for i in range(rank)]
    param_shape = [inputs.shape[axes[0]].value] if len(axes) == 1 else bshape
    in_dtype = inputs.dtype
    fused_format = _FUSED_FORMATS.get((rank, axes[0])) if fused is not False and \
        len(axes) == 1 and in_dtype in (_dt.float16, _dt.float32) else None
    # As TF's layer, a float16 input has float32 parameters and statistics (so checkpoints
    # agree, and the averages do not round away); the composed path computes in float32.
    dtype = _dt.float32 if in_dtype == _dt.float16 else in_dtype
    static = _static_training(training)
    with _scope(name, "batch_normalization", reuse, _scope_out):
        gamma = get_variable("gamma", param_shape, dtype=dtype,
                             initializer=initializer_of(gamma_initializer) or
                             init_ops.ones_initializer(),
                             regularizer=regularizer_of(gamma_regularizer),
                             constraint=gamma_constraint,
                             trainable=trainable) if scale else None
        beta = get_variable("beta", param_shape, dtype=dtype,
                            initializer=initializer_of(beta_initializer) or
                            init_ops.zeros_initializer(),
                            regularizer=regularizer_of(beta_regularizer),
                            constraint=beta_constraint,
                            trainable=trainable) if center else None
        moving_mean = get_variable(
            "moving_mean", param_shape, dtype=dtype, trainable=False,
            initializer=initializer_of(moving_mean_initializer) or init_ops.zeros_initializer())
        moving_variance = get_variable(
            "moving_variance", param_shape, dtype=dtype, trainable=False,
            initializer=initializer_of(moving_variance_initializer) or
            init_ops.ones_initializer())
        if fused_format is not None:
            out, mean, variance = _fused_batch_norm(
                inputs, fused_format, gamma, beta, moving_mean, moving_variance, epsilon,
                training, static, param_shape, dtype)
        else:
            x = math_ops.cast(inputs, dtype) if dtype != in_dtype else inputs

            def normalised(mean, variance):
                def b(t):
                    return array_ops.reshape(t, bshape) if t is not None and rank > 1 and \
                        list(t.shape.as_list()) != bshape else t
                out = nn_impl.batch_normalization(x, b(mean), b(variance), b(beta), b(gamma),
                                                  epsilon)
                return math_ops.cast(out, in_dtype) if in_dtype != dtype else out

            averages = moving_mean.value(), moving_variance.value()
            if static is False:
                return normalised(*averages)
            # Several axes keep the reduced dimensions, as the parameters do (TF1's keep_dims).
            mean, variance = nn_impl.moments(x, reduce, keep_dims=len(axes) > 1)
            out = normalised(mean, variance)
            if static is None:
                out = _select(training, out, normalised(*averages))
                mean, variance = [_select(training, a, b) for a, b in
                                  zip((mean, variance), averages)]
        if static is False:
            return out
        # As TF1: decay = 1 - momentum, a float32 tensor (momentum 1 when training is false).
        momentum = array_ops.constant(momentum, _dt.float32)
        if static is None:
            momentum = _select(training, momentum, array_ops.constant(1.0, _dt.float32))
        decay = 1.0 - momentum
        from .train.moving_averages import move_toward

        graph = get_default_graph()
        updates = [move_toward(moving_mean, mean, decay),  # AssignMovingAvg, AssignMovingAvg_1
                   move_toward(moving_variance, variance, decay)]
        for u in updates:
            graph.add_to_collection(GraphKeys.UPDATE_OPS, u.op)  # operations, as TF1's layers
        return out
