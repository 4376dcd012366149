"""The global step variable and learning-rate schedules."""

from __future__ import annotations

import logging
import math

from .. import dtypes as _dt
from ..graph import GraphKeys, convert_to_tensor, get_default_graph
from ..init_ops import zeros_initializer
from ..ops import array_ops, logic_ops, math_ops, unary_ops
from ..variables import get_variable


def get_global_step(graph=None):
    """The graph's global step variable, or None (also when the collection holds several, as
    TF1, which logs an error)."""
    graph = graph or get_default_graph()
    steps = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(steps) > 1:
        logging.getLogger("minitf").error("Multiple tensors in global_step collection.")
        return None
    if steps:
        step = steps[0]
    else:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except (KeyError, ValueError):
            return None
    assert_global_step(step)
    return step


def assert_global_step(global_step_tensor):
    """Raises TypeError unless ``global_step_tensor`` is a scalar integer Variable or Tensor."""
    from ..graph import Tensor
    from ..variables import Variable

    if not isinstance(global_step_tensor, (Variable, Tensor)):
        raise TypeError(f'Existing "global_step" must be a Variable or Tensor: '
                        f'{global_step_tensor}.')
    if not global_step_tensor.dtype.is_integer:
        raise TypeError(f'Existing "global_step" does not have integer type: '
                        f'{global_step_tensor.dtype.name}')
    shape = global_step_tensor.shape
    if shape.rank != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def create_global_step(graph=None):
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError("\"global_step\" already exists.")
    # As TF1: a get_variable, so it is named by the current variable scope (model/global_step).
    with graph.as_default(), graph.name_scope(None), graph.control_dependencies(None):
        return get_variable(GraphKeys.GLOBAL_STEP, shape=[], dtype=_dt.int64,
                            initializer=zeros_initializer(), trainable=False,
                            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def global_step(sess, global_step_tensor) -> int:
    """The current value of the global step as a Python int."""
    return int(sess.run(global_step_tensor))


def _step_as(global_step, dtype):
    return math_ops.cast(global_step.value() if hasattr(global_step, "value") else global_step,
                         dtype)


def _decay_terms(name, learning_rate, global_step, decay_steps):
    """(learning rate tensor, its dtype, the step and decay_steps in that dtype)."""
    if global_step is None:
        raise ValueError(f"global_step is required for {name}.")
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    dtype = lr.dtype
    return lr, dtype, _step_as(global_step, dtype), math_ops.cast(
        convert_to_tensor(decay_steps), dtype)


def _rate_schedule(name, scope_name, learning_rate, global_step, decay_steps, decay_rate,
                   staircase, formula, scope=None):
    """The three TF1 schedules of ``p = step / decay_steps`` (floored if staircase):
    ``formula(lr, rate, p)``."""
    with get_default_graph().name_scope(scope or scope_name) as scope:
        lr, dtype, step, steps = _decay_terms(name, learning_rate, global_step, decay_steps)
        p = step / steps
        if staircase:
            p = unary_ops.floor(p)
        rate = math_ops.cast(convert_to_tensor(decay_rate), dtype)
        return formula(lr, rate, p, scope)


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """``learning_rate * decay_rate ** (global_step / decay_steps)`` (floored if staircase)."""
    return _rate_schedule(
        "exponential_decay", "ExponentialDecay", learning_rate, global_step, decay_steps,
        decay_rate, staircase, lambda lr, rate, p, scope: math_ops.multiply(
            lr, math_ops.pow(rate, p), name=scope), name)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)`` (floored if
    staircase)."""
    return _rate_schedule(
        "natural_exp_decay", "NaturalExpDecay", learning_rate, global_step, decay_steps,
        decay_rate, staircase, lambda lr, rate, p, scope: math_ops.multiply(
            lr, unary_ops.exp(unary_ops.negative(rate) * p), name=scope), name)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                       name=None):
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)`` (floored if
    staircase)."""
    return _rate_schedule(
        "inverse_time_decay", "InverseTimeDecay", learning_rate, global_step, decay_steps,
        decay_rate, staircase, lambda lr, rate, p, scope: math_ops.truediv(
            lr, 1.0 + rate * p, name=scope), name)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False, name=None):
    """From ``learning_rate`` to ``end_learning_rate`` over ``decay_steps`` as
    ``(1 - step / decay_steps) ** power``; with ``cycle`` it starts again, over a multiple of
    decay_steps, after each period."""
    with get_default_graph().name_scope(name or "PolynomialDecay") as scope:
        lr, dtype, step, steps = _decay_terms("polynomial_decay", learning_rate, global_step,
                                              decay_steps)
        end = math_ops.cast(convert_to_tensor(end_learning_rate), dtype)
        power = math_ops.cast(convert_to_tensor(power), dtype)
        if cycle:  # step 0 counts as the first period, as in TF1
            periods = logic_ops.where(logic_ops.equal(step, 0), array_ops.ones_like(step),
                                      unary_ops.ceil(step / steps))
            steps = steps * periods
        else:
            step = math_ops.minimum(step, steps)
        return math_ops.add((lr - end) * math_ops.pow(1 - step / steps, power), end,
                            name=scope)


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """``learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) /
    decay_steps)) + alpha)``."""
    with get_default_graph().name_scope(name or "CosineDecay") as scope:
        lr, dtype, step, steps = _decay_terms("cosine_decay", learning_rate, global_step,
                                              decay_steps)
        fraction = math_ops.minimum(step, steps) / steps
        cosine = 0.5 * (1.0 + unary_ops.cos(math.pi * fraction))
        alpha = math_ops.cast(convert_to_tensor(alpha), dtype)
        return math_ops.multiply(lr, (1 - alpha) * cosine + alpha, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` while ``boundaries[i - 1] < x
    <= boundaries[i]``, ``values[-1]`` beyond the last boundary."""
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with get_default_graph().name_scope(name or "PiecewiseConstant") as scope:
        x = convert_to_tensor(x.value() if hasattr(x, "value") else x)
        bounds = [_boundary(convert_to_tensor(b), x.dtype) for b in boundaries]
        vals = [convert_to_tensor(v) for v in values]
        if len({v.dtype for v in vals}) > 1:
            raise ValueError(f"Values must have elements all with the same dtype "
                             f"({sorted({v.dtype.name for v in vals})})")
        result = vals[0]
        for bound, value in zip(bounds, vals[1:]):  # boundaries increase: the last one passed
            result = logic_ops.where(logic_ops.greater(x, bound), value, result)
        return array_ops.identity(result, name=scope)


piecewise_constant_decay = piecewise_constant


def _boundary(b, dtype):
    """TF's rule: a boundary has x's dtype, or is int32 for an int64 x (cast, losing nothing);
    any other cast could change the comparison (an int64 wrapping to int32, a float floored)."""
    if b.dtype.base_dtype == dtype.base_dtype:
        return b
    if b.dtype.base_dtype == _dt.int32 and dtype.base_dtype == _dt.int64:
        return math_ops.cast(b, dtype)
    raise ValueError(f"Boundaries (<dtype: '{b.dtype.base_dtype.name}'>) must have the same "
                     f"dtype as x (<dtype: '{dtype.base_dtype.name}'>).")


def _cosine_terms(name, learning_rate, global_step, decay_steps, num_periods):
    lr, dtype, step, steps = _decay_terms(name, learning_rate, global_step, decay_steps)
    step = math_ops.minimum(step, steps)
    linear = (steps - step) / steps
    periods = math_ops.cast(convert_to_tensor(num_periods), dtype)
    cosine = 0.5 * (1.0 + unary_ops.cos(math.pi * 2.0 * periods * step / steps))
    return lr, dtype, step, linear, cosine


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0,
                        beta=0.001, name=None):
    """``learning_rate * ((alpha + linear) * cosine + beta)``, with ``linear = (decay_steps -
    step) / decay_steps`` and ``cosine = 0.5 * (1 + cos(2 pi num_periods step /
    decay_steps))``, the step capped at decay_steps."""
    with get_default_graph().name_scope(name or "LinearCosineDecay") as scope:
        lr, dtype, _, linear, cosine = _cosine_terms("linear_cosine_decay", learning_rate,
                                                     global_step, decay_steps, num_periods)
        alpha = math_ops.cast(convert_to_tensor(alpha), dtype)
        beta = math_ops.cast(convert_to_tensor(beta), dtype)
        return math_ops.multiply(lr, (alpha + linear) * cosine + beta, name=scope)


def noisy_linear_cosine_decay(learning_rate, global_step, decay_steps, initial_variance=1.0,
                              variance_decay=0.55, num_periods=0.5, alpha=0.0, beta=0.001,
                              name=None):
    """linear_cosine_decay with Gaussian noise added to the linear term, of variance
    ``initial_variance / (1 + step) ** variance_decay`` (drawn at each run)."""
    from ..ops import random_ops

    with get_default_graph().name_scope(name or "NoisyLinearCosineDecay") as scope:
        lr, dtype, step, linear, cosine = _cosine_terms(
            "noisy_linear_cosine_decay", learning_rate, global_step, decay_steps, num_periods)
        variance = math_ops.cast(convert_to_tensor(initial_variance), dtype) / math_ops.pow(
            1.0 + step, math_ops.cast(convert_to_tensor(variance_decay), dtype))
        noise = random_ops.random_normal(array_ops.shape(linear), stddev=unary_ops.sqrt(
            variance), dtype=dtype)
        alpha = math_ops.cast(convert_to_tensor(alpha), dtype)
        beta = math_ops.cast(convert_to_tensor(beta), dtype)
        return math_ops.multiply(lr, (alpha + linear + noise) * cosine + beta, name=scope)


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0,
                          alpha=0.0, name=None):
    """Cosine decay with warm restarts (SGDR): the first period lasts ``first_decay_steps``,
    each next one ``t_mul`` times longer and starting ``m_mul`` times lower."""
    with get_default_graph().name_scope(name or "SGDRDecay") as scope:
        lr, dtype, step, steps = _decay_terms("cosine_decay_restarts", learning_rate,
                                              global_step, first_decay_steps)
        done = step / steps
        t_mul = math_ops.cast(convert_to_tensor(t_mul), dtype)
        m_mul = math_ops.cast(convert_to_tensor(m_mul), dtype)
        # Periods of lengths 1, t, t^2... (in first periods): the restart reached so far and
        # the fraction of its period done; t = 1 is the arithmetic case.
        equal = logic_ops.equal(t_mul, 1.0)
        safe_t = logic_ops.where(equal, array_ops.ones_like(t_mul) * 2.0, t_mul)
        geometric = unary_ops.floor(unary_ops.log(1.0 - done * (1.0 - safe_t)) /
                                    unary_ops.log(safe_t))
        restart = logic_ops.where(equal, unary_ops.floor(done), geometric)
        before = (1.0 - math_ops.pow(safe_t, restart)) / (1.0 - safe_t)
        fraction = logic_ops.where(equal, done - restart,
                                   (done - before) / math_ops.pow(safe_t, restart))
        cosine = 0.5 * math_ops.pow(m_mul, restart) * (1.0 + unary_ops.cos(math.pi * fraction))
        alpha = math_ops.cast(convert_to_tensor(alpha), dtype)
        return math_ops.multiply(lr, (1 - alpha) * cosine + alpha, name=scope)
