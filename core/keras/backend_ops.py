"""``tf.keras.backend``'s crossentropies (from logits when a softmax/sigmoid output carries
them, else clipped at ``epsilon()``), learning-phase switches, ``function``, gradients, random
tensors and variable updates; the rest of the math is core/keras/backend_math.py and both are
re-exported by core/keras/backend.py."""

from __future__ import annotations

import contextlib

from .. import dtypes as _dt
from .. import nn_losses
from ..control_flow import cond
from ..gradients import gradients as _gradients
from ..ops import (concat_split_ops, constant_ops, fill_ops, logic_ops, math_ops, random_ops,
                   reduction_ops, shape_ops, softmax_ops, state_ops, transform_ops, unary_ops)
from .backend_math import (_channels_first, _const, _eps, _floatx, _t, int_shape, ndim,
                           repeat_elements, temporal_padding)

__all__ = [
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "switch", "in_train_phase", "in_test_phase", "Function", "function", "gradients",
    "stop_gradient", "random_normal", "random_uniform", "truncated_normal", "random_binomial",
    "eval", "print_tensor", "get_variable_shape", "update", "update_add", "update_sub",
    "moving_average_update", "learning_phase_scope", "map_fn", "foldl", "foldr", "rnn",
    "conv1d", "conv2d", "conv3d", "conv2d_transpose", "separable_conv2d", "depthwise_conv2d",
    "pool2d", "pool3d", "resize_images", "resize_volumes", "ctc_label_dense_to_sparse",
    "ctc_batch_cost", "ctc_decode",
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


# -- learning phase scope, functional loops, rnn -----------------------------------------------
@contextlib.contextmanager
def learning_phase_scope(value):
    """``set_learning_phase(value)`` for the block, the previous phase restored after it."""
    from .backend import _state, get_default_graph
    if value not in (0, 1):
        raise ValueError("Expected learning phase to be 0 or 1.")
    state = _state(get_default_graph())
    previous = state.learning_phase
    state.learning_phase = int(value)
    try:
        yield
    finally:
        state.learning_phase = previous


def map_fn(fn, elems, name=None, dtype=None):
    from ..functional_ops import map_fn as _map_fn
    return _map_fn(fn, elems, name=name, dtype=dtype)


def foldl(fn, elems, initializer=None, name=None):
    from ..functional_ops import foldl as _foldl
    return _foldl(fn, elems, initializer=initializer, name=name)


def foldr(fn, elems, initializer=None, name=None):
    from ..functional_ops import foldr as _foldr
    return _foldr(fn, elems, initializer=initializer, name=name)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None,
        unroll=False, input_length=None, time_major=False, zero_output_for_mask=False):
    """Keras' ``K.rnn``: ``step_function(x_t, states + constants) -> (output_t, new_states)``
    over the time axis: (last output, outputs ``[batch, time, ...]``, final states). A masked
    step ([batch, time] ``mask``) keeps the states and repeats the previous output; the loop is
    the recurrent layers' (core/keras/layers/recurrent.py)."""
    from .layers.recurrent import rnn as _loop
    inputs = _t(inputs)
    if ndim(inputs) < 3:
        raise ValueError("Input should be at least 3D.")
    perm = [1, 0] + list(range(2, ndim(inputs)))
    if not time_major:
        inputs = transform_ops.transpose(inputs, perm)
        if mask is not None:
            mask = _t(mask)
            if ndim(mask) == 3:  # [batch, time, 1], as Keras also accepts
                mask = transform_ops.squeeze(mask, [2])
            mask = transform_ops.transpose(mask, [1, 0])
    if mask is not None and ndim(mask) == 3:  # [time, batch, 1]
        mask = transform_ops.squeeze(mask, [2])
    constants = list(constants or [])

    def step(x, states):
        return step_function(x, list(states) + constants)

    if not unroll:  # the loop needs the output's shape: one step outside it, as Keras does
        out0, _ = step_function(inputs[0], list(initial_states) + constants)
        step.output_shape = out0.shape
    last, outputs, states = _loop(step, inputs, list(initial_states), go_backwards=go_backwards,
                                  mask=mask, unroll=unroll,
                                  zero_output_for_mask=zero_output_for_mask)
    if not time_major:
        outputs = transform_ops.transpose(outputs, [1, 0] + list(range(2, ndim(outputs))))
    return last, outputs, states


# -- convolutions, pooling, resizing -----------------------------------------------------------
def _padding(padding):
    if padding not in ("same", "valid"):
        raise ValueError("Invalid padding: " + str(padding))
    return padding.upper()


def _to_last(x, data_format, rank):
    """channels_first inputs are transposed to channels last (TF1 Keras on CPU, which has no
    NCHW kernels); returns the input and the transpose that undoes it (or None)."""
    x = _t(x)
    if not _channels_first(data_format):
        return x, None
    x = transform_ops.transpose(x, [0] + list(range(2, rank)) + [1])
    return x, [0, rank - 1] + list(range(1, rank - 1))


def _from_last(x, back):
    return x if back is None else transform_ops.transpose(x, back)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    from ..nn_convolution import convolution
    x, back = _to_last(x, data_format, 3)
    if padding == "causal":
        x = temporal_padding(x, (dilation_rate * (int_shape(kernel)[0] - 1), 0))
        padding = "valid"
    padding = _padding(padding)
    x = convolution(x, kernel, padding=padding, strides=(strides,),
                    dilation_rate=(dilation_rate,), data_format="NWC")
    return _from_last(x, back)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    from ..nn_convolution import convolution
    x, back = _to_last(x, data_format, 4)
    x = convolution(x, kernel, padding=_padding(padding), strides=tuple(strides),
                    dilation_rate=tuple(dilation_rate), data_format="NHWC")
    return _from_last(x, back)


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    """A Conv3D (NDHWC; channels_first transposed around it, as TF1 Keras on CPU)."""
    from ..nn_convolution import convolution
    x, back = _to_last(x, data_format, 5)
    x = convolution(x, kernel, padding=_padding(padding), strides=strides,
                    dilation_rate=dilation_rate, data_format="NDHWC")
    return _from_last(x, back)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """The gradient of conv2d; ``output_shape`` in ``data_format``, a None batch size taken
    from ``x``."""
    from ..nn_conv3d import atrous_conv2d_transpose
    from ..ops.conv_ops import conv2d_transpose as _transpose
    first = _channels_first(data_format)
    x, back = _to_last(x, data_format, 4)
    if isinstance(output_shape, (list, tuple)):
        output_shape = list(output_shape)
        if first:
            output_shape = [output_shape[0], output_shape[2], output_shape[3], output_shape[1]]
        if output_shape[0] is None:
            output_shape[0] = shape_ops.shape(x)[0]
        output_shape = concat_split_ops.stack(output_shape)
    padding = _padding(padding)
    if tuple(dilation_rate) == (1, 1):
        x = _transpose(x, kernel, output_shape, (1,) + tuple(strides) + (1,), padding=padding)
    else:
        if dilation_rate[0] != dilation_rate[1]:
            raise ValueError("Expected the 2 dimensions of the `dilation_rate` argument to be "
                             f"equal to each other. Received: dilation_rate={dilation_rate}")
        x = atrous_conv2d_transpose(x, kernel, output_shape, dilation_rate[0], padding)
    return _from_last(x, back)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    from ..nn_convolution import separable_conv2d as _separable
    if len(strides) != 2:
        raise ValueError("`strides` must be a tuple of 2 integers.")
    x, back = _to_last(x, data_format, 4)
    x = _separable(x, depthwise_kernel, pointwise_kernel, (1,) + tuple(strides) + (1,),
                   _padding(padding), rate=tuple(dilation_rate))
    return _from_last(x, back)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    from ..nn_convolution import depthwise_conv2d as _depthwise
    x, back = _to_last(x, data_format, 4)
    x = _depthwise(x, depthwise_kernel, (1,) + tuple(strides) + (1,), _padding(padding),
                   rate=tuple(dilation_rate))
    return _from_last(x, back)


def _pool(x, pool_size, strides, padding, data_format, pool_mode, n):
    from ..nn_conv3d import avg_pool3d, max_pool3d
    from ..ops.pool_ops import avg_pool, max_pool
    if len(pool_size) != n:
        raise ValueError(f"`pool_size` must be a tuple of {n} integers.")
    if len(strides) != n:
        raise ValueError(f"`strides` must be a tuple of {n} integers.")
    if pool_mode not in ("max", "avg"):
        raise ValueError("Invalid pooling mode: " + str(pool_mode))
    x, back = _to_last(x, data_format, n + 2)
    fn = {("max", 2): max_pool, ("avg", 2): avg_pool, ("max", 3): max_pool3d,
          ("avg", 3): avg_pool3d}[pool_mode, n]
    x = fn(x, (1,) + tuple(pool_size) + (1,), (1,) + tuple(strides) + (1,), _padding(padding))
    return _from_last(x, back)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Rows and columns scaled by integer factors: TF 1.15's resize_nearest_neighbor /
    resize_bilinear (align_corners=False, no half-pixel centers)."""
    from ..image_resize import resize_bilinear, resize_nearest_neighbor
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Invalid `data_format` argument: {data_format}")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError('interpolation should be one of "nearest" or "bilinear".')
    x, back = _to_last(x, data_format, 4)
    static = x.shape.as_list()
    size = shape_ops.shape(x)[1:3] * constant_ops.constant(
        [height_factor, width_factor], dtype=_dt.int32)
    fn = resize_nearest_neighbor if interpolation == "nearest" else resize_bilinear
    x = fn(x, size)
    x.set_shape([static[0], static[1] * height_factor if static[1] else None,
                 static[2] * width_factor if static[2] else None, static[3]])
    return _from_last(x, back)


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """Each spatial axis of a 5D tensor repeated elementwise by its factor."""
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Invalid data_format: {data_format}")
    first = 2 if data_format == "channels_first" else 1
    for i, factor in enumerate((depth_factor, height_factor, width_factor)):
        x = repeat_elements(x, factor, axis=first + i)
    return x


# -- CTC ---------------------------------------------------------------------------------------
def ctc_label_dense_to_sparse(labels, label_lengths):
    """The first ``label_lengths[b]`` labels of each row of ``labels`` as a SparseTensor
    (int64 indices and shape), row-major."""
    from ..sparse_tensor import SparseTensor
    from ..composites import sequence_mask
    from ..ops.gather_ops import gather_nd
    labels = _t(labels)
    label_shape = shape_ops.shape(labels)
    mask = sequence_mask(label_lengths, label_shape[1])
    indices = logic_ops.where(mask)
    return SparseTensor(indices, gather_nd(labels, indices),
                        math_ops.cast(label_shape, _dt.int64))


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """CTC loss ``[batch, 1]`` of softmax outputs ``y_pred`` [batch, time, classes] (blank the
    last class), from ``log(y_pred + epsilon())``."""
    from ..ops.ctc_ops import ctc_loss
    from ..sparse_tensor import SparseTensor
    label_length = math_ops.cast(transform_ops.squeeze(_t(label_length), [-1]), _dt.int32)
    input_length = math_ops.cast(transform_ops.squeeze(_t(input_length), [-1]), _dt.int32)
    sparse = ctc_label_dense_to_sparse(y_true, label_length)
    sparse = SparseTensor(sparse.indices, math_ops.cast(sparse.values, _dt.int32),
                          sparse.dense_shape)
    y_pred = unary_ops.log(transform_ops.transpose(_t(y_pred), [1, 0, 2]) + _eps())
    return transform_ops.expand_dims(
        ctc_loss(labels=sparse, inputs=y_pred, sequence_length=input_length), 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Best-path (``greedy``) or beam-search decoding of softmax outputs: (a list of
    ``top_paths`` dense [batch, time] int64 decodings padded with -1, log probabilities)."""
    from ..ops.ctc_ops import ctc_beam_search_decoder, ctc_greedy_decoder
    from ..sparse import to_dense
    from ..sparse_tensor import SparseTensor
    y_pred = _t(y_pred)
    dims = math_ops.cast(shape_ops.shape(y_pred)[:2], _dt.int64)
    logits = unary_ops.log(transform_ops.transpose(y_pred, [1, 0, 2]) + _eps())
    input_length = math_ops.cast(_t(input_length), _dt.int32)
    if greedy:
        decoded, log_prob = ctc_greedy_decoder(logits, input_length)
    else:
        decoded, log_prob = ctc_beam_search_decoder(logits, input_length, beam_width=beam_width,
                                                    top_paths=top_paths)
    return [to_dense(SparseTensor(st.indices, st.values, dims), default_value=-1)
            for st in decoded], log_prob
