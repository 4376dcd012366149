"""TF1's loss scales (``tf.mixed_precision.LossScale``, ``FixedLossScale``,
``DynamicLossScale``): the multiplier a MixedPrecisionLossScaleOptimizer applies to the loss,
and, for the dynamic one, the graph ops that adjust it from the gradients of each step.

A dynamic loss scale keeps its state in two non-trainable variables named as TensorFlow names
them, ``current_loss_scale`` (float32) and ``good_steps`` (int64), made in the name scope the
scale is constructed in, so a Saver's checkpoint holds the same keys as TensorFlow's. Its
``update`` is TensorFlow's cond-on-finite logic built as ``tf.cond`` ops, so it runs in the same
``sess.run`` as the training step. The optimizer wrapper is core/mixed_precision.py.
"""

from __future__ import annotations

import abc

from . import dtypes as _dt
from .control_flow import cond
from .graph import convert_to_tensor, get_default_graph
from .indexed_slices import IndexedSlices
from .nest import flatten
from .ops.constant_ops import group, no_op
from .ops.logic_ops import is_finite
from .ops.math_ops import maximum
from .ops.reduction_ops import reduce_all
from .ref_variable import Variable
from .variables_extra import VariableAggregation, VariableSynchronization

__all__ = ["DynamicLossScale", "FixedLossScale", "LossScale"]


class LossScale(metaclass=abc.ABCMeta):
    """Base class of the TF1 loss scales (abstract: use FixedLossScale or DynamicLossScale).

    Calling an instance gives the current loss scale as a scalar float32 tensor;
    ``update(grads)`` gives ``(update_op, should_apply_gradients)`` for one step's unscaled
    gradients."""

    def __init__(self):
        # (name, graph) -> variable: one loss scale may be used in several graphs, as in TF.
        self._weights: dict = {}

    @abc.abstractmethod
    def __call__(self):
        """The current loss scale as a scalar float32 tensor."""

    @abc.abstractmethod
    def update(self, grads):
        """``(update_op, should_apply_gradients)``: an op adjusting the loss scale from the
        unscaled gradients ``grads`` (a nested structure; None entries are ignored), and a
        bool or scalar bool tensor saying whether this step's gradients may be applied."""

    def _add_weight(self, name, initial_value, dtype=None):
        """A non-trainable variable of this loss scale's state, in the default graph; made once
        per (name, graph): TF raises RuntimeError on a second one."""
        variable = Variable(initial_value=initial_value, name=name, dtype=dtype,
                            trainable=False, synchronization=VariableSynchronization.AUTO,
                            aggregation=VariableAggregation.NONE)
        key = (name, get_default_graph())
        if self._weights.get(key) is not None:
            raise RuntimeError(f"Duplicate variables detected. {key}")
        self._weights[key] = variable
        return variable

    @abc.abstractmethod
    def get_config(self):
        """The constructor arguments, as a dict (``from_config`` takes them back)."""

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class FixedLossScale(LossScale):
    """A loss scale that never changes: every call gives the same number, and ``update``
    always lets the gradients be applied (it cannot react to non-finite ones)."""

    def __init__(self, loss_scale_value):
        super().__init__()
        if not isinstance(loss_scale_value, (int, float)):
            raise ValueError("loss_scale_value must be a Python int or float.")
        if loss_scale_value < 1:
            raise ValueError("loss_scale_value must be at least 1.")
        # Kept as a Python float, as TF does: the tensor is made where it is used.
        self._loss_scale_value = float(loss_scale_value)

    def __call__(self):
        return convert_to_tensor(self._loss_scale_value)

    def update(self, grads):
        del grads
        return no_op(), True

    def __repr__(self):
        return f"FixedLossScale({self._loss_scale_value})"

    def get_config(self):
        return {"loss_scale_value": self._loss_scale_value}


def _is_all_finite(grads):
    """A scalar bool tensor: every value of every (non-None) gradient is finite."""
    per_grad = [reduce_all(is_finite(g.values if isinstance(g, IndexedSlices) else g))
                for g in grads if g is not None]
    return reduce_all(per_grad)


def _assign_if_finite(var, value):
    """``var = value`` if ``value`` is finite (a cond, as in TF)."""
    return cond(is_finite(value), lambda: var.assign(value).op, no_op)


class DynamicLossScale(LossScale):
    """A loss scale that adjusts itself: after ``increment_period`` consecutive steps with
    finite gradients it is multiplied by ``multiplier`` (if the product is finite); a step with
    a non-finite gradient is skipped, divides it by ``multiplier`` (never below 1) and restarts
    the count. It starts high (2**15 by default) because a scale that is too high falls far
    faster than one that is too low rises."""

    def __init__(self, initial_loss_scale=2 ** 15, increment_period=2000, multiplier=2.0):
        super().__init__()
        self._initial_loss_scale = float(initial_loss_scale)
        self._increment_period = int(increment_period)
        self._multiplier = float(multiplier)
        self._current_loss_scale = self._add_weight(
            name="current_loss_scale", dtype=_dt.float32,
            initial_value=self._initial_loss_scale)
        # Consecutive steps with finite gradients since the last non-finite one or change.
        self._num_good_steps = self._add_weight(name="good_steps", dtype=_dt.int64,
                                                initial_value=0)

    @property
    def initial_loss_scale(self):
        return self._initial_loss_scale

    @property
    def increment_period(self):
        return self._increment_period

    @property
    def multiplier(self):
        return self._multiplier

    def __call__(self):
        return convert_to_tensor(self._current_loss_scale)

    def update(self, grads):
        """TF's update: a cond on "all gradients finite" whose true branch counts the step
        (or, at the period, raises the scale and resets the count) and whose false branch
        lowers the scale and resets the count. The gradients may be applied when finite."""
        is_finite_ = _is_all_finite(flatten(grads))
        scale, good_steps = self._current_loss_scale, self._num_good_steps

        def update_if_finite_grads():
            def incr_loss_scale():
                return group(_assign_if_finite(scale, scale * self._multiplier),
                             good_steps.assign(0))

            return cond(good_steps + 1 >= self._increment_period, incr_loss_scale,
                        lambda: good_steps.assign_add(1).op)

        def update_if_not_finite_grads():
            return group(good_steps.assign(0),
                         scale.assign(maximum(scale / self._multiplier, 1.0)))

        update_op = cond(is_finite_, update_if_finite_grads, update_if_not_finite_grads)
        return update_op, is_finite_

    def __repr__(self):
        return (f"DynamicLossScale(initial_loss_scale={self.initial_loss_scale}, "
                f"increment_period={self.increment_period}, multiplier={self.multiplier})")

    def get_config(self):
        return {"initial_loss_scale": self.initial_loss_scale,
                "increment_period": self.increment_period,
                "multiplier": self.multiplier}


def get(identifier):
    """A loss scale from a number (fixed), ``"dynamic"``, a LossScale (itself) or None."""
    if isinstance(identifier, (int, float)):
        return FixedLossScale(identifier)
    if isinstance(identifier, str) and identifier == "dynamic":
        return DynamicLossScale()
    if isinstance(identifier, LossScale):
        return identifier
    if identifier is None:
        return None
    raise ValueError(f"Could not interpret loss scale identifier: {identifier}")
