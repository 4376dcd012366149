"""``tf.keras.backend``'s crossentropies (from logits when a softmax/sigmoid output carries
them, else clipped at ``epsilon()``), learning-phase switches, ``function``, gradients, random
tensors and variable updates; the rest of the math is core/keras/backend_math.py and both are
re-exported by core/keras/backend.py."""

from __future__ import annotations

from .. import dtypes as _dt
from .. import nn_losses
from ..control_flow import cond
from ..gradients import gradients as _gradients
from ..ops import (constant_ops, fill_ops, logic_ops, math_ops, random_ops, reduction_ops,
                   shape_ops, softmax_ops, state_ops, transform_ops, unary_ops)
from .backend_math import _const, _eps, _floatx, _t, int_shape, ndim

__all__ = [
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "switch", "in_train_phase", "in_test_phase", "Function", "function", "gradients",
    "stop_gradient", "random_normal", "random_uniform", "truncated_normal", "random_binomial",
    "eval", "print_tensor", "get_variable_shape", "update", "update_add", "update_sub",
    "moving_average_update",
]


# -- crossentropies ----------------------------------------------------------------------------
def _logits_of(output, from_logits, op_type):
    """tf_keras computes the loss from logits when it can: a softmax/sigmoid activation's output
    carries them (``_keras_logits``; a Dense or Activation layer's ``activation='softmax'``)
    and a bare Softmax/Sigmoid op is undone. minitf's activations do not tag their outputs, so
    a ``op_type`` op's input is taken as the logits in both cases (no saturation at
    ``epsilon``)."""
    if from_logits:
        return output, True
    logits = getattr(output, "_keras_logits", None)
    if logits is not None:
        return logits, True
    if getattr(output, "op", None) is not None and output.op.type == op_type:
        return output.op.inputs[0], True
    return output, False


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _t(target), _t(output)
    output, from_logits = _logits_of(output, from_logits, "Softmax")
    if from_logits:
        return softmax_ops.softmax_cross_entropy_with_logits_v2(labels=target, logits=output,
                                                                axis=axis)
    output = output / reduction_ops.reduce_sum(output, axis, keepdims=True)
    e = _const(_eps(), output)
    output = math_ops.clip_by_value(output, e, 1.0 - e)
    return -reduction_ops.reduce_sum(target * unary_ops.log(output), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _t(target), _t(output)
    output, from_logits = _logits_of(output, from_logits, "Softmax")
    rank = ndim(output)
    if axis not in (-1, rank - 1):
        output = transform_ops.transpose(
            output, [i for i in range(rank) if i != axis % rank] + [axis % rank])
    if not from_logits:
        e = _const(_eps(), output)
        output = unary_ops.log(math_ops.clip_by_value(output, e, 1 - e))
    target = math_ops.cast(target, _dt.int64)
    out_shape = int_shape(output)
    if ndim(target) == rank:  # labels (batch, 1): drop the trailing 1 as Keras flattens
        target = shape_ops.reshape(target, [-1] if rank == 2 else shape_ops.shape(output)[:-1])
    if rank > 2:
        flat_logits = shape_ops.reshape(output, [-1, out_shape[-1]])
        res = softmax_ops.sparse_softmax_cross_entropy_with_logits(
            labels=shape_ops.reshape(target, [-1]), logits=flat_logits)
        return shape_ops.reshape(res, shape_ops.shape(output)[:-1])
    return softmax_ops.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)


def binary_crossentropy(target, output, from_logits=False):
    target, output = _t(target), _t(output)
    output, from_logits = _logits_of(output, from_logits, "Sigmoid")
    if from_logits:
        return nn_losses.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    e = _const(_eps(), output)
    output = math_ops.clip_by_value(output, e, 1.0 - e)
    bce = target * unary_ops.log(output + e)
    bce = bce + (1 - target) * unary_ops.log(1 - output + e)
    return -bce


# -- the learning phase and control flow -------------------------------------------------------
def switch(condition, then_expression, else_expression):
    """A scalar bool condition picks a branch (tf.cond; branches may be callables); a tensor
    condition selects elementwise."""
    condition = _t(condition)
    if condition.dtype.base_dtype != _dt.bool:
        condition = math_ops.cast(condition, _dt.bool)
    rank = ndim(condition)
    if rank == 0:
        then_fn = then_expression if callable(then_expression) else (lambda: then_expression)
        else_fn = else_expression if callable(else_expression) else (lambda: else_expression)
        return cond(condition, then_fn, else_fn)
    then_expression = then_expression() if callable(then_expression) else then_expression
    else_expression = else_expression() if callable(else_expression) else else_expression
    return logic_ops.where(condition, then_expression, else_expression)


def in_train_phase(x, alt, training=None):
    from .backend import learning_phase
    if training is None:
        training = learning_phase()
    if training is True or (isinstance(training, int) and not isinstance(training, bool)
                            and training == 1):
        return x() if callable(x) else x
    if training is False or (isinstance(training, int) and training == 0):
        return alt() if callable(alt) else alt
    return switch(training, x, alt)


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


class Function:
    """``K.function``: runs ``outputs`` (and the ``updates``) in ``get_session()`` for a list of
    input values."""

    def __init__(self, inputs, outputs, updates=None, name=None, **session_kwargs):
        if not isinstance(inputs, (list, tuple)):
            raise TypeError("`inputs` to a Keras backend function should be a list or tuple.")
        self.inputs = list(inputs)
        self._single = not isinstance(outputs, (list, tuple))
        self.outputs = [outputs] if self._single else list(outputs)
        ops = []
        for u in updates or []:
            if isinstance(u, tuple):
                u = state_ops.assign(u[0], u[1])
            ops.append(u)
        self.updates = ops
        self.name = name
        self.feed_dict = session_kwargs.pop("feed_dict", None) or {}
        self.fetches = list(session_kwargs.pop("fetches", []))
        if session_kwargs:
            raise ValueError(f"Invalid argument {sorted(session_kwargs)[0]!r} passed to "
                             "K.function with TensorFlow backend")

    def __call__(self, inputs):
        from .backend import get_session
        if not isinstance(inputs, (list, tuple)):
            raise TypeError("`inputs` should be a list or tuple.")
        if len(inputs) != len(self.inputs):
            raise ValueError(f"Function expects {len(self.inputs)} inputs, got {len(inputs)}")
        feed = dict(self.feed_dict)
        for tensor, value in zip(self.inputs, inputs):
            feed[tensor] = value
        results = get_session().run(self.outputs + self.updates + self.fetches, feed)
        return results[: len(self.outputs)]


def function(inputs, outputs, updates=None, name=None, **kwargs):
    return Function(inputs, outputs, updates=updates, name=name, **kwargs)


def gradients(loss, variables):
    return _gradients(loss, variables, colocate_gradients_with_ops=True)


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return [constant_ops.stop_gradient(v) for v in variables]
    return constant_ops.stop_gradient(variables)


# -- random ------------------------------------------------------------------------------------
def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):  # noqa: A002
    return random_ops.random_normal(shape, mean, stddev, dtype=dtype or _floatx(), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):  # noqa: A002
    return random_ops.random_uniform(shape, minval, maxval, dtype=dtype or _floatx(), seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):  # noqa: A002
    return random_ops.truncated_normal(shape, mean, stddev, dtype=dtype or _floatx(), seed=seed)


def random_binomial(shape, p=0.0, dtype=None, seed=None):  # noqa: A002
    dt = dtype or _floatx()
    u = random_ops.random_uniform(shape, dtype=dt, seed=seed)
    return logic_ops.where(logic_ops.less(u, p), fill_ops.ones(shape, dtype=dt),
                           fill_ops.zeros(shape, dtype=dt))


def eval(x):  # noqa: A001 - Keras' name
    """A tensor's or variable's value, run in ``get_session()``."""
    from .backend import get_value
    return get_value(x)


def print_tensor(x, message=""):
    """``x``, printing ``message`` and its value whenever it is computed."""
    from ..ops.logging_ops import Print
    return Print(x, [x], message)


def get_variable_shape(x):
    return int_shape(x)


# -- variable updates --------------------------------------------------------------------------
def update(x, new_x):
    return state_ops.assign(x, new_x)


def update_add(x, increment):
    return state_ops.assign_add(x, increment)


def update_sub(x, decrement):
    return state_ops.assign_sub(x, decrement)


def moving_average_update(x, value, momentum):
    """x <- x * momentum + value * (1 - momentum) (TF1 Keras, no zero-debias)."""
    value = math_ops.cast(value, x.dtype)
    return state_ops.assign_sub(x, (x - value) * (1 - momentum))
