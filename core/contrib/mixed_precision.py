"""``tf.contrib.mixed_precision`` (TF 1.15): LossScaleOptimizer and its loss scale managers.

Not core's ``tf.mixed_precision`` (core/mixed_precision.py), whose optimizer takes a LossScale:
contrib's takes a LossScaleManager, and its rules are its own. The optimizer multiplies the
loss by the manager's loss scale, multiplies each gradient by the scale's reciprocal, and
applies the gradients (incrementing ``global_step``) only when every one is finite, through a
``tf.cond``; the same op updates the manager from that verdict. So one ``sess.run(train_op)``
both trains and adjusts the scale, and a step with an inf or NaN gradient changes no variable.

ExponentialUpdateLossScaleManager keeps TF's three non-trainable variables, ``loss_scale``
(float32), ``good_steps`` and ``bad_steps`` (int32), named in the scope it is made in, so
checkpoints hold TF's keys: after ``incr_every_n_steps`` consecutive finite steps the scale is
multiplied by ``incr_ratio`` (kept if the product overflows); after ``decr_every_n_nan_or_inf``
non-finite steps, consecutive or not, it is multiplied by ``decr_ratio`` (never below 1). Any
change clears both counts; a non-finite step clears the good count.
"""

from __future__ import annotations

import abc

import minitf as tf

from ..mixed_precision import _scale_grad
from ..mixed_precision_loss_scale import _is_all_finite
from ..train.optimizer import Optimizer

__all__ = ["ExponentialUpdateLossScaleManager", "FixedLossScaleManager", "LossScaleManager",
           "LossScaleOptimizer"]


class LossScaleManager(metaclass=abc.ABCMeta):
    """TF's abstract loss scale manager: ``get_loss_scale()`` gives the scale (a scalar
    float32 tensor or variable), ``update_loss_scale(finite_grads)`` an op adjusting it from
    a scalar bool tensor saying whether this step's gradients were all finite."""

    @abc.abstractmethod
    def get_loss_scale(self):
        """The loss scale, a scalar float32 tensor."""

    @abc.abstractmethod
    def update_loss_scale(self, finite_grads):
        """An op updating the loss scale from ``finite_grads`` (a scalar bool tensor)."""


class FixedLossScaleManager(LossScaleManager):
    """A loss scale that never changes (``loss_scale`` >= 1, a Python number)."""

    def __init__(self, loss_scale):
        if loss_scale < 1:
            raise ValueError("loss scale must be at least 1.")
        self._loss_scale = tf.convert_to_tensor(loss_scale, dtype=tf.float32)

    def get_loss_scale(self):
        return self._loss_scale

    def update_loss_scale(self, finite_grads):
        del finite_grads
        return tf.no_op()


class ExponentialUpdateLossScaleManager(LossScaleManager):
    """A loss scale that grows by ``incr_ratio`` after ``incr_every_n_steps`` consecutive
    steps with finite gradients and shrinks by ``decr_ratio`` after
    ``decr_every_n_nan_or_inf`` steps (consecutive or not) with non-finite ones."""

    def __init__(self, init_loss_scale, incr_every_n_steps, decr_every_n_nan_or_inf=2,
                 incr_ratio=2, decr_ratio=0.8):
        self._incr_every_n_steps = incr_every_n_steps
        self._decr_every_n_nan_or_inf = decr_every_n_nan_or_inf
        self._incr_ratio = incr_ratio
        self._decr_ratio = decr_ratio
        self._loss_scale = tf.Variable(
            tf.convert_to_tensor(init_loss_scale, tf.float32), name="loss_scale",
            dtype=tf.float32, trainable=False)
        self._num_good_steps = tf.Variable(0, name="good_steps", dtype=tf.int32,
                                           trainable=False)
        self._num_bad_steps = tf.Variable(0, name="bad_steps", dtype=tf.int32,
                                          trainable=False)

    def _reset_stats(self):
        return tf.group(tf.assign(self._num_good_steps, 0), tf.assign(self._num_bad_steps, 0))

    def get_loss_scale(self):
        return self._loss_scale

    def update_loss_scale(self, finite_grads):
        """TF's nested conds: on finite gradients count the step or, at the period, grow the
        scale (if the product is finite) and clear the counts; otherwise count the bad step
        and clear the good count or, at the period, shrink the scale (never below 1) and
        clear both counts."""
        scale, good, bad = self._loss_scale, self._num_good_steps, self._num_bad_steps

        def update_if_finite_grads():
            def incr_loss_scale():
                new_scale = tf.cond(tf.is_finite(scale * self._incr_ratio),
                                    lambda: scale * self._incr_ratio, lambda: scale)
                return tf.group(tf.assign(scale, new_scale), self._reset_stats())

            return tf.cond(good + 1 >= self._incr_every_n_steps, incr_loss_scale,
                           lambda: tf.assign_add(good, 1).op)

        def update_if_not_finite_grads():
            def decr_loss_scale():
                return tf.group(tf.assign(scale, tf.maximum(1.0, scale * self._decr_ratio)),
                                self._reset_stats())

            def just_update_steps():
                return tf.group(tf.assign_add(bad, 1), tf.assign(good, 0))

            return tf.cond(bad + 1 >= self._decr_every_n_nan_or_inf, decr_loss_scale,
                           just_update_steps)

        return tf.cond(finite_grads, update_if_finite_grads, update_if_not_finite_grads)


class LossScaleOptimizer(Optimizer):
    """TF's ``tf.contrib.mixed_precision.LossScaleOptimizer(opt, loss_scale_manager)``: wraps
    ``opt`` (a ``tf.train.Optimizer``), scaling the loss up and the gradients back down by
    the manager's loss scale, and skipping the update of a step whose gradients are not all
    finite. Compute gradients with this optimizer, not ``tf.gradients``, so they are scaled.

    Slots and variables are the wrapped optimizer's (TF's wrapper, which never initialises
    its Optimizer base, fails on those calls)."""

    def __init__(self, opt, loss_scale_manager):
        super().__init__(opt._use_locking if isinstance(opt, Optimizer) else False,
                         "LossScaleOptimizer")
        self._opt = opt
        self._loss_scale_manager = loss_scale_manager

    def compute_gradients(self, loss, var_list=None, gate_gradients=Optimizer.GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """The wrapped optimizer's ``[(gradient, variable)]`` of ``loss`` times the loss
        scale, each gradient times the scale's reciprocal (None gradients kept)."""
        loss_scale = self._loss_scale_manager.get_loss_scale()
        loss_val = loss() if callable(loss) else tf.convert_to_tensor(loss)
        scaled_loss = loss_val * tf.cast(loss_scale, loss_val.dtype.base_dtype)
        grads_and_vars = self._opt.compute_gradients(
            scaled_loss, var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        return self._down_scale(grads_and_vars, loss_scale)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """One op: the wrapped optimizer's update, in a cond taken only when every gradient is
        finite, grouped with the manager's update from that verdict."""
        grads_and_vars = list(grads_and_vars)
        is_overall_finite = _is_all_finite([g for g, _ in grads_and_vars])

        def true_apply_gradients_fn():
            return self._opt.apply_gradients(grads_and_vars, global_step, name)

        update_vars = tf.cond(is_overall_finite, true_apply_gradients_fn, tf.no_op)
        return tf.group(update_vars,
                        self._loss_scale_manager.update_loss_scale(is_overall_finite))

    def _down_scale(self, grads_and_vars, loss_scale):
        inv_loss_scale = tf.reciprocal(loss_scale)
        return [(g, v) if g is None else
                (_scale_grad(g, tf.cast(inv_loss_scale, g.dtype.base_dtype)), v)
                for g, v in grads_and_vars]

    def get_slot(self, var, name):
        return self._opt.get_slot(var, name)

    def get_slot_names(self):
        return self._opt.get_slot_names()

    def variables(self):
        return self._opt.variables()

    def _apply_dense(self, grad, var):
        raise RuntimeError("This function should never be called")

    def _apply_sparse(self, grad, var):
        raise RuntimeError("This function should never be called")
