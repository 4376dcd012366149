"""TF1's RNN cell wrappers (``tf.nn.rnn_cell.DropoutWrapper``, ``ResidualWrapper``,
``DeviceWrapper``): a cell around another one, adding no variable scope of its own. Re-exported
by core/rnn.py, which defines the cells."""

from __future__ import annotations

from .graph import convert_to_tensor, get_default_graph
from .ops import math_ops, unary_ops
from .rnn import LSTMStateTuple, RNNCell
from .tensor_shape import TensorShape

class _Wrapper(RNNCell):
    """A cell around another one, adding no variable scope of its own (TF1's wrappers)."""

    def __init__(self, cell):
        super().__init__()
        self._cell = cell

    cell = property(lambda self: self._cell)
    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

    def build(self, inputs_shape):
        """Builds the wrapped cell (TF1's wrappers)."""
        self._cell.build(inputs_shape)
        self.built = True

    # a wrapper has no scope of its own: its variables are its cell's
    variables = weights = property(lambda self: self._cell.variables)
    trainable_variables = trainable_weights = property(lambda self: self._cell.trainable_variables)
    non_trainable_variables = non_trainable_weights = property(
        lambda self: self._cell.non_trainable_variables)


class DropoutWrapper(_Wrapper):
    """TF1's ``DropoutWrapper``: dropout on the cell's inputs, outputs and state (not an LSTM
    state's ``c``, as TF1's default filter), each with its keep probability (a float or a
    tensor; 1 adds nothing). With ``variational_recurrent``, one mask per input, state and
    output, drawn when the wrapper is made and shared by every time step and batch row (TF1's
    variational dropout; ``dtype``, and ``input_size`` for input dropout, are then needed).
    Random draws are minitf's, not TF's."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):
        super().__init__(cell)
        self._noise = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")
            if not (isinstance(input_keep_prob, (int, float)) and input_keep_prob >= 1.0) \
                    and input_size is None:
                raise ValueError("When variational_recurrent=True and input_keep_prob < 1.0 or "
                                 "is unknown, input_size must be provided")
            self._seed = seed
            self._noise = {
                what: None if sizes is None else _map_sizes(
                    sizes, lambda i, size, what=what: self._batch_noise(size, dtype, what, i))
                for what, sizes in (("input", input_size), ("state", cell.state_size),
                                    ("output", cell.output_size))}
        if dropout_state_filter_visitor is not None:
            raise NotImplementedError("DropoutWrapper(dropout_state_filter_visitor=...) is not "
                                      "supported")
        for what, p in (("input", input_keep_prob), ("output", output_keep_prob),
                        ("state", state_keep_prob)):
            if isinstance(p, (int, float)) and not 0.0 < p <= 1.0:
                raise ValueError(f"Parameter {what}_keep_prob must be between 0 and 1: {p}")
        self._keep = (input_keep_prob, output_keep_prob, state_keep_prob)
        self._seed = seed

    wrapped_cell = property(lambda self: self._cell)

    def _batch_noise(self, size, dtype, what, index):
        """Uniform noise of shape [1, *size]: one mask for every batch row and step."""
        from .ops.random_ops import random_uniform
        from .tensor_shape import TensorShape

        shape = [1] + TensorShape(size).as_list()
        return random_uniform(shape, seed=self._salted(f"{what}_{index}"), dtype=dtype)

    def _dropout(self, x, keep, salt: str, noise=None):
        if isinstance(keep, (int, float)) and keep == 1.0:
            return x
        if noise is not None:  # variational: the wrapper's fixed mask, scaled as dropout's
            out = math_ops.multiply(math_ops.divide(x, keep), unary_ops.floor(keep + noise))
            out.set_shape(x.shape)
            return out
        from .nn_impl import dropout

        return dropout(x, keep_prob=keep, seed=self._salted(salt))

    def _salted(self, salt: str):
        """A seed of its own per input, state and output (TF1's salting), so their masks
        differ; None stays None."""
        if self._seed is None:
            return None
        import hashlib

        digest = hashlib.md5(f"{self._seed}{salt}".encode()).hexdigest()
        return int(digest[:8], 16) & 0x7FFFFFFF

    def __call__(self, inputs, state, scope=None):
        keep_in, keep_out, keep_state = self._keep
        noise = self._noise or {"input": None, "state": None, "output": None}
        output, state = self._cell(self._dropout(convert_to_tensor(inputs), keep_in, "input_0",
                                                 _first(noise["input"])), state, scope=scope)
        if not (isinstance(keep_state, (int, float)) and keep_state == 1.0):
            if noise["state"] is None:
                state = _map_state(state, lambda s: self._dropout(s, keep_state, "state_0"))
            else:
                state = _map_state_with(state, noise["state"],
                                        lambda s, n: self._dropout(s, keep_state, "", n))
        return self._dropout(output, keep_out, "output_0", _first(noise["output"])), state


def _map_sizes(sizes, fn, counter=None):
    """``fn(i, size)`` for each size of a (nested) state or output size, i counting the
    leaves in order; the nesting (LSTMStateTuple, tuples) kept."""
    counter = counter if counter is not None else [0]
    if isinstance(sizes, tuple) and not isinstance(sizes, TensorShape):
        items = [_map_sizes(s, fn, counter) for s in sizes]
        return type(sizes)(*items) if hasattr(sizes, "_fields") else tuple(items)
    counter[0] += 1
    return fn(counter[0] - 1, sizes)


def _first(noise):
    """The one noise tensor of an input or output (their size is a single shape)."""
    while isinstance(noise, tuple):
        noise = noise[0]
    return noise


def _map_state_with(state, noise, fn):
    if isinstance(state, LSTMStateTuple):
        return LSTMStateTuple(state.c, fn(state.h, noise.h))  # c left alone, as TF1's filter
    if isinstance(state, tuple):
        return type(state)(*[_map_state_with(s, n, fn) for s, n in zip(state, noise)]) \
            if hasattr(state, "_fields") else tuple(_map_state_with(s, n, fn)
                                                    for s, n in zip(state, noise))
    return fn(state, noise)


def _map_state(state, fn):
    if isinstance(state, LSTMStateTuple):
        return LSTMStateTuple(state.c, fn(state.h))  # TF1 leaves the memory cell alone
    if isinstance(state, tuple):
        items = [_map_state(s, fn) for s in state]
        return type(state)(*items) if hasattr(state, "_fields") else tuple(items)
    return fn(state)


class ResidualWrapper(_Wrapper):
    """TF1's ``ResidualWrapper``: the cell's output plus its input (same depth)."""

    def __init__(self, cell, residual_fn=None):
        super().__init__(cell)
        self._residual_fn = residual_fn

    def __call__(self, inputs, state, scope=None):
        inputs = convert_to_tensor(inputs)
        output, state = self._cell(inputs, state, scope=scope)
        if self._residual_fn is not None:
            return self._residual_fn(inputs, output), state
        return math_ops.add(inputs, output), state


class DeviceWrapper(_Wrapper):
    """TF1's ``DeviceWrapper``: the cell's ops (and its zero state) built under
    ``tf.device(device)``; the device is recorded on them (minitf runs every op on the
    CPU)."""

    def __init__(self, cell, device):
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size, dtype):
        g = get_default_graph()
        with g.name_scope(type(self).__name__ + "ZeroState"), g.device(self._device):
            return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        with get_default_graph().device(self._device):
            return self._cell(inputs, state, scope=scope)
