"""``tf.keras.optimizers.schedules``: learning-rate schedules an optimizer takes as its
``learning_rate``. A schedule is called with the optimizer's step (``iterations``) when the
update is built, so its value is part of the training graph; each is the TF1 function of the
same formula (core/train/step.py), as in TF 1.15, where those functions call these classes.
Configs are tf_keras', so a compiled model's optimizer with a schedule saves and loads."""

from __future__ import annotations

import math

from ..graph import convert_to_tensor, get_default_graph
from ..ops import logic_ops, math_ops, unary_ops
from ..train import step as _decay

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "LinearCosineDecay", "NoisyLinearCosineDecay", "serialize", "deserialize"]


class LearningRateSchedule:
    """The base: a subclass defines ``__call__(step)`` (the rate at an integer step) and, to be
    saved with a model, ``get_config``."""

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _Configured(LearningRateSchedule):
    """A schedule whose constructor arguments are its config (``_ARGS``, in order)."""

    _ARGS: tuple = ()

    def get_config(self):
        return {k: getattr(self, k) for k in self._ARGS}


class _RateDecay(_Configured):
    """The TF1 decays of ``p = step / decay_steps`` (floored if staircase) and a rate."""

    _ARGS = ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name")
    _function = None  # the TF1 decay function

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step):
        return self._function(self.initial_learning_rate, step, self.decay_steps,
                              self.decay_rate, self.staircase, self.name)


class ExponentialDecay(_RateDecay):
    _function = staticmethod(_decay.exponential_decay)


class InverseTimeDecay(_RateDecay):
    _function = staticmethod(_decay.inverse_time_decay)


class PolynomialDecay(_Configured):
    _ARGS = ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle",
             "name")

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.end_learning_rate, self.power = end_learning_rate, power
        self.cycle, self.name = cycle, name

    def __call__(self, step):
        return _decay.polynomial_decay(self.initial_learning_rate, step, self.decay_steps,
                                       self.end_learning_rate, self.power, self.cycle,
                                       self.name)


class PiecewiseConstantDecay(_Configured):
    """``values[0]`` up to and including ``boundaries[0]``, then each next value up to its
    boundary, ``values[-1]`` after the last."""

    _ARGS = ("boundaries", "values", "name")

    def __init__(self, boundaries, values, name=None):
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length "
                             f"{len(values)}.")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        # Keras' schedule casts its boundaries to the step's dtype (tf.train's refuses most)
        step = convert_to_tensor(step)
        bounds = [math_ops.cast(convert_to_tensor(b), step.dtype) for b in self.boundaries]
        return _decay.piecewise_constant(step, bounds, self.values, self.name)


class CosineDecay(_Configured):
    """Cosine decay over ``decay_steps`` to ``alpha`` times the start; with a
    ``warmup_target``, first a linear warm-up from ``initial_learning_rate`` to it over
    ``warmup_steps``, then the decay from the target (tf_keras' later addition)."""

    _ARGS = ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target",
             "warmup_steps")

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate, self.decay_steps, self.alpha = (
            initial_learning_rate, decay_steps, alpha)
        self.name, self.warmup_target, self.warmup_steps = name, warmup_target, warmup_steps

    def __call__(self, step):
        if self.warmup_target is None:
            return _decay.cosine_decay(self.initial_learning_rate, step, self.decay_steps,
                                       self.alpha, self.name)
        with get_default_graph().name_scope(self.name or "CosineDecay"):
            lr = convert_to_tensor(self.initial_learning_rate, name="initial_learning_rate")
            dtype = lr.dtype
            steps = math_ops.cast(self.decay_steps, dtype)
            warmup = math_ops.cast(self.warmup_steps, dtype)
            target = math_ops.cast(self.warmup_target, dtype)
            at = math_ops.minimum(_decay._step_as(step, dtype), steps + warmup)
            # Both sides are cheap and finite (warmup_steps of 0 divides only in the side not
            # taken, whose value is then dropped), so a select stands in for tf_keras' cond.
            warming = (target - lr) * (at / math_ops.maximum(warmup, 1.0)) + lr
            cosine = 0.5 * (1.0 + unary_ops.cos(math.pi * ((at - warmup) / steps)))
            decaying = target * ((1 - self.alpha) * cosine + self.alpha)
            return logic_ops.where(logic_ops.less(at, warmup), warming, decaying)


class CosineDecayRestarts(_Configured):
    _ARGS = ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha", "name")

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name=None):
        self.initial_learning_rate, self.first_decay_steps = (initial_learning_rate,
                                                              first_decay_steps)
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step):
        return _decay.cosine_decay_restarts(self.initial_learning_rate, step,
                                            self.first_decay_steps, self.t_mul, self.m_mul,
                                            self.alpha, self.name)


class LinearCosineDecay(_Configured):
    _ARGS = ("initial_learning_rate", "decay_steps", "num_periods", "alpha", "beta", "name")

    def __init__(self, initial_learning_rate, decay_steps, num_periods=0.5, alpha=0.0,
                 beta=0.001, name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.num_periods, self.alpha, self.beta, self.name = num_periods, alpha, beta, name

    def __call__(self, step):
        return _decay.linear_cosine_decay(self.initial_learning_rate, step, self.decay_steps,
                                          self.num_periods, self.alpha, self.beta, self.name)


class NoisyLinearCosineDecay(_Configured):
    _ARGS = ("initial_learning_rate", "decay_steps", "initial_variance", "variance_decay",
             "num_periods", "alpha", "beta", "name")

    def __init__(self, initial_learning_rate, decay_steps, initial_variance=1.0,
                 variance_decay=0.55, num_periods=0.5, alpha=0.0, beta=0.001, name=None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.initial_variance, self.variance_decay = initial_variance, variance_decay
        self.num_periods, self.alpha, self.beta, self.name = num_periods, alpha, beta, name

    def __call__(self, step):
        return _decay.noisy_linear_cosine_decay(
            self.initial_learning_rate, step, self.decay_steps, self.initial_variance,
            self.variance_decay, self.num_periods, self.alpha, self.beta, self.name)


_BUILTIN = {c.__name__: c for c in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
                                    InverseTimeDecay, CosineDecay, CosineDecayRestarts,
                                    LinearCosineDecay, NoisyLinearCosineDecay)}


def serialize(schedule) -> dict:
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config, custom_objects=None):
    """The schedule a ``{'class_name', 'config'}`` dict names (custom ones from
    ``custom_objects``)."""
    from .utils import get_custom_objects

    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or get_custom_objects().get(name) or \
        _BUILTIN.get(name)
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule: {name}. Please ensure this object "
                         "is passed to the `custom_objects` argument.")
    return cls.from_config(config.get("config", {}))
