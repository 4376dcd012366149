"""``tf.contrib.distributions.bijectors`` (TF 1.15), part six: the learned flows.
MaskedAutoregressiveFlow with its MADE network (``masked_dense``,
``masked_autoregressive_default_template``), RealNVP (``real_nvp_default_template``) and
BatchNormalization over a ``tf.layers.BatchNormalization`` layer. The templates' variables are
TF's: ``masked_autoregressive_default_template/dense/kernel``, ``.../dense_1/kernel``...,
``real_nvp_default_template/dense/kernel``..."""

from __future__ import annotations

import numpy as np

import minitf as tf

from .distributions_bijectors_base import Bijector

__all__ = ["BatchNormalization", "MaskedAutoregressiveFlow", "RealNVP",
           "masked_autoregressive_default_template", "masked_dense",
           "real_nvp_default_template"]


def _apply_shift_and_log_scale(x, shift, log_scale):
    """``x * exp(log_scale) + shift``; a None term is skipped."""
    y = x
    if log_scale is not None:
        y *= tf.exp(log_scale)
    if shift is not None:
        y += shift
    return y


def _undo_shift_and_log_scale(y, shift, log_scale):
    x = y
    if shift is not None:
        x -= shift
    if log_scale is not None:
        x *= tf.exp(-log_scale)
    return x


class MaskedAutoregressiveFlow(Bijector):
    """Affine autoregressive flow on vectors: ``y[i] = x[i] * exp(log_scale[i]) + shift[i]``
    where ``(shift, log_scale) = shift_and_log_scale_fn(y)`` depends on ``y[:i]`` only. The
    inverse is one call of the network; the forward needs ``event_size`` of them (a
    ``tf.while_loop``, or a Python loop with ``unroll_loop``)."""

    def __init__(self, shift_and_log_scale_fn, is_constant_jacobian=False, validate_args=False,
                 unroll_loop=False, name=None):
        self._shift_and_log_scale_fn = shift_and_log_scale_fn
        self._unroll_loop = unroll_loop
        super().__init__(forward_min_event_ndims=1, is_constant_jacobian=is_constant_jacobian,
                         validate_args=validate_args, name=name or "masked_autoregressive_flow")

    def _forward(self, x):
        static_event_size = x.shape.with_rank_at_least(1)[-1].value
        if self._unroll_loop:
            if static_event_size is None:
                raise ValueError("The final dimension of `x` must be known at graph "
                                 f"construction time if `unroll_loop=True`. `x.shape: {x.shape}`")
            y = tf.zeros_like(x, name="y0")
            for _ in range(static_event_size):
                y = _apply_shift_and_log_scale(x, *self._shift_and_log_scale_fn(y))
            return y
        event_size = tf.shape(x)[-1]
        y0 = tf.zeros_like(x, name="y0")
        self._shift_and_log_scale_fn(y0)  # makes the variables outside the loop

        def body(index, y):
            return index + 1, _apply_shift_and_log_scale(x, *self._shift_and_log_scale_fn(y))

        _, y = tf.while_loop(lambda index, _: index < event_size, body, loop_vars=(0, y0),
                             maximum_iterations=static_event_size)
        return y

    def _inverse(self, y):
        return _undo_shift_and_log_scale(y, *self._shift_and_log_scale_fn(y))

    def _inverse_log_det_jacobian(self, y):
        _, log_scale = self._shift_and_log_scale_fn(y)
        if log_scale is None:
            return tf.constant(0.0, dtype=y.dtype, name="ildj")
        return -tf.reduce_sum(log_scale, axis=-1)


MASK_INCLUSIVE = "inclusive"
MASK_EXCLUSIVE = "exclusive"


def _gen_mask(num_blocks, n_in, n_out, mask_type=MASK_EXCLUSIVE, dtype=np.float32):
    """The ``[n_out, n_in]`` MADE mask: ``num_blocks`` blocks of inputs, the k-th feeding the
    outputs from block k on (from block k + 1 for an exclusive mask)."""
    mask = np.zeros([n_out, n_in], dtype=dtype)
    d_in, d_out = n_in // num_blocks, n_out // num_blocks
    first_row = d_out if mask_type == MASK_EXCLUSIVE else 0
    for k in range(num_blocks):
        mask[first_row + k * d_out:, k * d_in:(k + 1) * d_in] = 1
    return mask


def masked_dense(inputs, units, num_blocks=None, exclusive=False, kernel_initializer=None,
                 reuse=None, name=None, *args, **kwargs):
    """``tf.layers.dense`` with an autoregressive (MADE) mask on the kernel: initialised
    masked and re-masked by its constraint after every optimizer update."""
    input_depth = inputs.shape.with_rank_at_least(1)[-1].value
    if input_depth is None:
        raise NotImplementedError("Rightmost dimension must be known prior to graph execution.")
    if num_blocks is None:
        raise ValueError("masked_dense needs `num_blocks` (the input depth, for MADE).")
    mask = _gen_mask(num_blocks, input_depth, units,
                     MASK_EXCLUSIVE if exclusive else MASK_INCLUSIVE).T
    mask = mask.astype(inputs.dtype.base_dtype.as_numpy_dtype)
    if kernel_initializer is None:
        kernel_initializer = tf.glorot_normal_initializer()

    def masked_initializer(shape, dtype=None, partition_info=None):
        return mask * kernel_initializer(shape, dtype, partition_info)

    with tf.name_scope(name, "masked_dense", [inputs, units, num_blocks]):
        return tf.layers.dense(inputs, units, *args, kernel_initializer=masked_initializer,
                               kernel_constraint=lambda kernel: mask * kernel, name=name,
                               reuse=reuse, **kwargs)


def _clip_by_value_preserve_grad(x, clip_value_min, clip_value_max, name=None):
    """``clip_by_value`` whose gradient is the identity's."""
    with tf.name_scope(name, "clip_by_value_preserve_grad", [x, clip_value_min, clip_value_max]):
        clip_x = tf.clip_by_value(x, clip_value_min, clip_value_max)
        return x + tf.stop_gradient(clip_x - x)


def masked_autoregressive_default_template(hidden_layers, shift_only=False, activation=tf.nn.relu,
                                           log_scale_min_clip=-5.0, log_scale_max_clip=3.0,
                                           log_scale_clip_gradient=False, name=None, *args,
                                           **kwargs):
    """The MADE network (Germain et al., 2015) as a template: ``masked_dense`` hidden layers
    (the first exclusive) and a last layer of ``2 * depth`` units read as interleaved
    ``(shift, log_scale)`` pairs; ``log_scale`` is clipped (its gradient too only with
    ``log_scale_clip_gradient``)."""
    with tf.name_scope(name, "masked_autoregressive_default_template",
                       values=[log_scale_min_clip, log_scale_max_clip]):
        def _fn(x):
            input_depth = x.shape.with_rank_at_least(1)[-1].value
            if input_depth is None:
                raise NotImplementedError(
                    "Rightmost dimension must be known prior to graph execution.")
            input_shape = (np.int32(x.shape.as_list()) if x.shape.is_fully_defined()
                           else tf.shape(x))
            for i, units in enumerate(hidden_layers):
                x = masked_dense(inputs=x, units=units, num_blocks=input_depth,
                                 exclusive=i == 0, activation=activation, *args, **kwargs)  # noqa: B026
            x = masked_dense(inputs=x, units=(1 if shift_only else 2) * input_depth,
                             num_blocks=input_depth, activation=None, *args, **kwargs)  # noqa: B026
            if shift_only:
                return tf.reshape(x, shape=input_shape), None
            x = tf.reshape(x, shape=tf.concat([input_shape, [2]], axis=0))
            shift, log_scale = tf.unstack(x, num=2, axis=-1)
            clip = tf.clip_by_value if log_scale_clip_gradient else _clip_by_value_preserve_grad
            return shift, clip(log_scale, log_scale_min_clip, log_scale_max_clip)

        return tf.make_template("masked_autoregressive_default_template", _fn)


class RealNVP(Bijector):
    """Real NVP coupling layer (Dinh et al., 2017): the first ``num_masked`` coordinates pass
    through and condition an affine map of the rest, ``y1 = x1 * exp(log_scale) + shift`` with
    ``(shift, log_scale) = shift_and_log_scale_fn(x0, event_size - num_masked)``."""

    def __init__(self, num_masked, shift_and_log_scale_fn, is_constant_jacobian=False,
                 validate_args=False, name=None):
        if num_masked <= 0:
            raise ValueError(f"num_masked must be a positive integer, got {num_masked}.")
        self._num_masked = num_masked
        self._input_depth = None  # the event size, known at the first call
        self._shift_and_log_scale_fn = shift_and_log_scale_fn
        super().__init__(forward_min_event_ndims=1, is_constant_jacobian=is_constant_jacobian,
                         validate_args=validate_args, name=name or "real_nvp")

    def _cache_input_depth(self, x):
        if self._input_depth is None:
            self._input_depth = x.shape.with_rank_at_least(1)[-1].value
            if self._input_depth is None:
                raise NotImplementedError("Rightmost dimension must be known prior to graph "
                                          "execution.")
            if self._num_masked >= self._input_depth:
                self._input_depth = None
                raise ValueError("Number of masked units must be smaller than the event size.")

    def _split_and_params(self, t):
        self._cache_input_depth(t)
        t0, t1 = t[..., :self._num_masked], t[..., self._num_masked:]
        return t0, t1, self._shift_and_log_scale_fn(t0, self._input_depth - self._num_masked)

    def _forward(self, x):
        x0, x1, (shift, log_scale) = self._split_and_params(x)
        return tf.concat([x0, _apply_shift_and_log_scale(x1, shift, log_scale)], axis=-1)

    def _inverse(self, y):
        y0, y1, (shift, log_scale) = self._split_and_params(y)
        return tf.concat([y0, _undo_shift_and_log_scale(y1, shift, log_scale)], axis=-1)

    def _inverse_log_det_jacobian(self, y):
        _, _, (_, log_scale) = self._split_and_params(y)
        if log_scale is None:
            return tf.constant(0.0, dtype=y.dtype, name="ildj")
        return -tf.reduce_sum(log_scale, axis=-1)

    def _forward_log_det_jacobian(self, x):
        _, _, (_, log_scale) = self._split_and_params(x)
        if log_scale is None:
            return tf.constant(0.0, dtype=x.dtype, name="ildj")
        return tf.reduce_sum(log_scale, axis=-1)


def real_nvp_default_template(hidden_layers, shift_only=False, activation=tf.nn.relu, name=None,
                              *args, **kwargs):
    """A template ``(x0, output_units) -> (shift, log_scale)``: ``tf.layers.dense`` hidden
    layers and a last layer of ``2 * output_units`` split in halves (shift only: one)."""
    with tf.name_scope(name, "real_nvp_default_template"):
        def _fn(x, output_units):
            for units in hidden_layers:
                x = tf.layers.dense(x, units, *args, activation=activation, **kwargs)
            x = tf.layers.dense(x, (1 if shift_only else 2) * output_units, *args,
                                activation=None, **kwargs)
            if shift_only:
                return x, None
            shift, log_scale = tf.split(x, 2, axis=-1)
            return shift, log_scale

        return tf.make_template("real_nvp_default_template", _fn)


class BatchNormalization(Bijector):
    """Batch normalization as a bijector: ``inverse`` normalises (by the batch's statistics
    when ``training``, updating the layer's moving averages), ``forward`` undoes it with the
    moving averages (so the two are inverses only when not training)."""

    def __init__(self, batchnorm_layer=None, training=True, validate_args=False,
                 name="batch_normalization"):
        self.batchnorm = batchnorm_layer or tf.layers.BatchNormalization(
            gamma_constraint=lambda x: tf.nn.relu(x) + 1e-6)  # keeps the scale positive
        self._validate_bn_layer(self.batchnorm)
        self._training = training
        axis = self.batchnorm.axis
        forward_min_event_ndims = 1 if isinstance(axis, int) else len(axis)
        super().__init__(forward_min_event_ndims=forward_min_event_ndims,
                         validate_args=validate_args, name=name)

    @staticmethod
    def _validate_bn_layer(layer):
        if not isinstance(layer, tf.layers.BatchNormalization):
            raise ValueError("batchnorm_layer must be an instance of BatchNormalization layer.")
        if layer.renorm:
            raise ValueError("BatchNorm Bijector does not support renormalization.")
        if layer.virtual_batch_size:
            raise ValueError("BatchNorm Bijector does not support virtual batch sizes.")

    def _axes(self, ndims):
        axis = self.batchnorm.axis
        return sorted(a % ndims for a in ([axis] if isinstance(axis, int) else axis))

    def _static_shape(self, t):
        if not t.shape.is_fully_defined():
            raise ValueError(f"Input must have shape known at graph construction; got "
                             f"{t.shape}.")
        return t.shape.as_list()

    def _ensure_built(self, shape, dtype):
        """Makes the layer's variables (TF's ``layer.build``): by applying it in inference
        mode to zeros of the input's shape."""
        if self.batchnorm.moving_mean is None:
            self.batchnorm.apply(tf.zeros(shape, dtype), training=False)

    def _broadcast(self, v, ndims, input_shape):
        """A parameter of the normalised axis, shaped to broadcast against the input (only
        needed for one axis that is not the last)."""
        axes = self._axes(ndims)
        if v is None or len(v.shape) == ndims or axes == [ndims - 1]:
            return v
        shape = [1] * ndims
        for a in axes:
            shape[a] = input_shape[a]
        return tf.reshape(v, shape)

    def _forward(self, x):
        shape = self._static_shape(x)
        self._ensure_built(shape, x.dtype)
        bn, ndims = self.batchnorm, len(shape)
        mean, variance = (self._broadcast(v, ndims, shape)
                          for v in (bn.moving_mean, bn.moving_variance))
        offset = self._broadcast(bn.beta, ndims, shape) if bn.center else None
        scale = self._broadcast(bn.gamma, ndims, shape) if bn.scale else None
        with tf.name_scope(None, "undo_batchnorm", [x, mean, variance, scale, offset]):
            rescale = tf.sqrt(variance + bn.epsilon)
            if scale is not None:
                rescale /= scale
            return x * rescale + (mean - offset * rescale if offset is not None else mean)

    def _inverse(self, y):
        return self.batchnorm.apply(y, training=self._training)

    def _forward_log_det_jacobian(self, x):
        return -self._inverse_log_det_jacobian(x, use_saved_statistics=True)

    def _inverse_log_det_jacobian(self, y, use_saved_statistics=False):
        shape = self._static_shape(y)
        self._ensure_built(shape, y.dtype)
        bn = self.batchnorm
        if use_saved_statistics or not self._training:
            log_variance = tf.log(bn.moving_variance + bn.epsilon)
        else:  # the current batch's variance
            axes = self._axes(len(shape))
            reduction_axes = [i for i in range(len(shape)) if i not in axes]
            _, v = tf.nn.moments(y, axes=reduction_axes, keepdims=True)
            log_variance = tf.log(v + bn.epsilon)
        # Constant over the batch: log prod(gamma) - log prod(std) over the normalised axes.
        log_total_gamma = tf.reduce_sum(tf.log(bn.gamma)) if bn.scale else 0.0
        return log_total_gamma - 0.5 * tf.reduce_sum(log_variance)
