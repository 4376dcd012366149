"""``tf.contrib.layers.optimize_loss`` (TF 1.x): one call from a loss to a training op, with
learning-rate decay, gradient noise, multipliers, clipping and summaries.

As TF 1.x's: everything is built under ``variable_scope(name or "OptimizeLoss")``; a float
learning rate becomes the non-trainable variable ``OptimizeLoss/learning_rate``; the returned
training op is the loss, run after the update (and after UPDATE_OPS, run before the loss).
"""

from __future__ import annotations

from ... import dtypes as _dt
from ... import summary
from ...check_ops import assert_scalar
from ...clip_ops import clip_by_global_norm, global_norm
from ...distributions_util import with_dependencies
from ...graph import GraphKeys, Tensor, convert_to_tensor, get_collection
from ...indexed_slices import IndexedSlices
from ...init_ops import constant_initializer, zeros_initializer
from ...ops import fill_ops, logic_ops, math_ops, random_ops, unary_ops
from ...train import step as _step
from ...train.moving_averages import _assign_moving_average
from ...train.optimizer import (AdagradOptimizer, AdamOptimizer, GradientDescentOptimizer,
                                MomentumOptimizer, Optimizer, RMSPropOptimizer)
from ...train.optimizer_extra import FtrlOptimizer
from ...variables import get_variable, trainable_variables, variable_scope

__all__ = ["OPTIMIZER_CLS_NAMES", "OPTIMIZER_SUMMARIES", "adaptive_clipping_fn",
           "optimize_loss"]

OPTIMIZER_CLS_NAMES = {
    "Adagrad": AdagradOptimizer,
    "Adam": AdamOptimizer,
    "Ftrl": FtrlOptimizer,
    "Momentum": lambda learning_rate: MomentumOptimizer(learning_rate, momentum=0.9),
    "RMSProp": RMSPropOptimizer,
    "SGD": GradientDescentOptimizer,
}

OPTIMIZER_SUMMARIES = ["learning_rate", "loss", "gradients", "gradient_norm",
                       "global_gradient_norm"]


def _learning_rate(learning_rate):
    """The learning rate as a scalar tensor or a new ``learning_rate`` variable (or None)."""
    if learning_rate is None:
        return None
    if isinstance(learning_rate, Tensor) and learning_rate.get_shape().ndims == 0:
        return learning_rate
    if isinstance(learning_rate, float):
        if learning_rate < 0.0:
            raise ValueError(f"Invalid learning_rate {learning_rate}.")
        return get_variable("learning_rate", [], trainable=False,
                            initializer=constant_initializer(learning_rate))
    raise ValueError("Learning rate should be 0d Tensor or float. "
                     f"Got {learning_rate} of type {type(learning_rate)}")


def _make_optimizer(optimizer, learning_rate, lr):
    """The Optimizer instance ``optimizer`` (a name, class, instance or function) stands for."""
    if isinstance(optimizer, str):
        if lr is None:
            raise ValueError("Learning rate is None, but should be specified if optimizer is "
                             f"string ({optimizer}).")
        if optimizer not in OPTIMIZER_CLS_NAMES:
            raise ValueError(f"Optimizer name should be one of "
                             f"[{', '.join(OPTIMIZER_CLS_NAMES)}], you provided {optimizer}.")
        return OPTIMIZER_CLS_NAMES[optimizer](learning_rate=lr)
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        if lr is None:
            raise ValueError("Learning rate is None, but should be specified if optimizer is "
                             f"class ({optimizer}).")
        return optimizer(learning_rate=lr)
    if isinstance(optimizer, Optimizer):
        return optimizer
    if callable(optimizer):
        opt = optimizer(lr) if learning_rate is not None else optimizer()
        if not isinstance(opt, Optimizer):
            raise ValueError("Unrecognized optimizer: function should return subclass of "
                             f"Optimizer. Got {opt}.")
        return opt
    raise ValueError("Unrecognized optimizer: should be string, subclass of Optimizer, "
                     "instance of subclass of Optimizer or function with one argument. "
                     f"Got {optimizer}.")


def optimize_loss(loss, global_step, learning_rate, optimizer, gradient_noise_scale=None,
                  gradient_multipliers=None, clip_gradients=None, learning_rate_decay_fn=None,
                  update_ops=None, variables=None, name=None, summaries=None,
                  colocate_gradients_with_ops=False, increment_global_step=True):
    """TF's ``tf.contrib.layers.optimize_loss``: the training op minimizing ``loss``."""
    loss = convert_to_tensor(loss)
    assert_scalar(loss)
    if global_step is None:
        global_step = _step.get_global_step()
    else:
        _step.assert_global_step(global_step)
    with variable_scope(name, "OptimizeLoss", [loss, global_step]):
        if update_ops is None:
            update_ops = set(get_collection(GraphKeys.UPDATE_OPS))
        if update_ops:
            loss = with_dependencies(list(update_ops), loss)

        lr = _learning_rate(learning_rate)
        if summaries is None:
            summaries = ["loss", "learning_rate", "global_gradient_norm"]
        else:
            for summ in summaries:
                if summ not in OPTIMIZER_SUMMARIES:
                    raise ValueError(f"Summaries should be one of "
                                     f"[{', '.join(OPTIMIZER_SUMMARIES)}], you provided {summ}.")
        if learning_rate is not None and learning_rate_decay_fn is not None:
            if global_step is None:
                raise ValueError("global_step is required for learning_rate_decay_fn.")
            lr = learning_rate_decay_fn(lr, global_step)
            if "learning_rate" in summaries:
                summary.scalar("learning_rate", lr)

        opt = _make_optimizer(optimizer, learning_rate, lr)
        if variables is None:
            variables = trainable_variables()
        gradients = opt.compute_gradients(
            loss, variables, colocate_gradients_with_ops=colocate_gradients_with_ops)

        if gradient_noise_scale is not None:
            gradients = _add_scaled_noise_to_gradients(gradients, gradient_noise_scale)
        if gradient_multipliers is not None:
            gradients = _multiply_gradients(gradients, gradient_multipliers)
            if not gradients:
                raise ValueError(
                    "Empty list of (gradient, var) pairs encountered. This is most likely to "
                    "be caused by an improper value of gradient_multipliers.")

        norms = "global_gradient_norm" in summaries or "gradient_norm" in summaries
        if norms:
            summary.scalar("global_norm/gradient_norm", global_norm(list(zip(*gradients))[0]))

        if isinstance(clip_gradients, float):
            gradients = _clip_gradients_by_norm(gradients, clip_gradients)
        elif callable(clip_gradients):
            gradients = clip_gradients(gradients)
        elif clip_gradients is not None:
            raise ValueError(f"Unknown type {type(clip_gradients)} for clip_gradients")

        if "loss" in summaries:
            summary.scalar("loss", loss)
        for gradient, var in gradients:
            values = gradient.values if isinstance(gradient, IndexedSlices) else gradient
            if values is not None:
                var_name = var.name.replace(":", "_")
                if "gradients" in summaries:
                    summary.histogram(f"gradients/{var_name}", values)
                if "gradient_norm" in summaries:
                    summary.scalar(f"gradient_norm/{var_name}", global_norm([values]))
        if clip_gradients is not None and norms:
            summary.scalar("global_norm/clipped_gradient_norm",
                           global_norm(list(zip(*gradients))[0]))

        grad_updates = opt.apply_gradients(
            gradients, global_step=global_step if increment_global_step else None,
            name="train")
        return with_dependencies([grad_updates], loss)


def _clip_gradients_by_norm(grads_and_vars, clip_gradients):
    """Gradients clipped to a global norm of ``clip_gradients``."""
    gradients, variables = zip(*grads_and_vars)
    clipped, _ = clip_by_global_norm(gradients, clip_gradients)
    return list(zip(clipped, variables))


def _adaptive_max_norm(norm, std_factor, decay, global_step, epsilon, name):
    """(max_norm, mean of log norm) from moving averages of log(norm) and its square."""
    with variable_scope(name, "AdaptiveMaxNorm", [norm]):
        log_norm = unary_ops.log(norm + epsilon)

        def moving_average(var_name, value, decay):
            average = get_variable(var_name, shape=value.get_shape(), dtype=value.dtype,
                                   initializer=zeros_initializer(), trainable=False)
            return _assign_moving_average(average, value, decay, zero_debias=False)

        decay = convert_to_tensor(decay, dtype=_dt.float32)
        if global_step is not None:
            n = math_ops.cast(global_step, _dt.float32)
            decay = math_ops.minimum(decay, n / (n + 1.0))
        mean = moving_average("mean", log_norm, decay)
        sq_mean = moving_average("sq_mean", unary_ops.square(log_norm), decay)
        variance = sq_mean - unary_ops.square(mean)
        std = unary_ops.sqrt(math_ops.maximum(epsilon, variance))
        return unary_ops.exp(mean + std_factor * std), mean


def adaptive_clipping_fn(std_factor=2.0, decay=0.95, static_max_norm=None, global_step=None,
                         report_summary=False, epsilon=1e-8, name=None):
    """TF's ``tf.contrib.layers.adaptive_clipping_fn``: a ``clip_gradients`` function that
    rescales gradients to ``exp(mean)`` when their global norm exceeds
    ``exp(mean + std_factor * std)`` of the running log-norm statistics."""

    def gradient_clipping(grads_and_vars):
        """Internal function for adaptive clipping."""
        grads, variables = zip(*grads_and_vars)
        norm = global_norm(grads)
        max_norm, log_mean = _adaptive_max_norm(norm, std_factor, decay, global_step,
                                                epsilon, name)
        if report_summary:
            summary.scalar("global_norm/adaptive_max_gradient_norm", max_norm)
        factor = logic_ops.where(norm < max_norm, fill_ops.ones_like(norm),
                                 unary_ops.exp(log_mean) / norm)
        if static_max_norm is not None:
            factor = math_ops.minimum(static_max_norm / norm, factor)
        clipped = []
        for grad in grads:
            if grad is None:
                clipped.append(None)
            elif isinstance(grad, IndexedSlices):
                clipped.append(IndexedSlices(grad.values * factor, grad.indices,
                                             grad.dense_shape))
            else:
                clipped.append(grad * factor)
        return list(zip(clipped, variables))

    return gradient_clipping


def _add_scaled_noise_to_gradients(grads_and_vars, gradient_noise_scale):
    """Gradients plus ``gradient_noise_scale`` times standard truncated-normal noise."""
    noisy = []
    for gradient, var in grads_and_vars:
        if gradient is None:
            noisy.append((None, var))
            continue
        shape = (gradient.dense_shape if isinstance(gradient, IndexedSlices)
                 else gradient.get_shape())
        noise = random_ops.truncated_normal(shape) * gradient_noise_scale
        noisy.append((gradient + noise, var))
    return noisy


def _multiply_gradients(grads_and_vars, gradient_multipliers):
    """Gradients of the variables (or variable names) in ``gradient_multipliers`` scaled."""
    result = []
    for grad, var in grads_and_vars:
        if grad is not None and (var in gradient_multipliers
                                 or var.name in gradient_multipliers):
            key = var if var in gradient_multipliers else var.name
            multiplier = gradient_multipliers[key]
            if isinstance(grad, IndexedSlices):
                grad = IndexedSlices(grad.values * multiplier, grad.indices, grad.dense_shape)
            else:
                grad = grad * math_ops.cast(multiplier, grad.dtype)
        result.append((grad, var))
    return result
