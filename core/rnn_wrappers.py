"""TF1's RNN cell wrappers (``tf.nn.rnn_cell.DropoutWrapper``, ``ResidualWrapper``,
``DeviceWrapper``): a cell around another one, adding no variable scope of its own. Re-exported
by core/rnn.py, which defines the cells."""

from __future__ import annotations

from .graph import convert_to_tensor, get_default_graph
from .nest import _children, _sequence_like, is_nested
from .ops import math_ops, unary_ops
from .ops.tensor_array_ops import TensorArray
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

    def get_config(self) -> dict:
        """TF1's wrappers': the Layer config and the wrapped cell's."""
        return {**super().get_config(), "cell": {"class_name": type(self._cell).__name__,
                                                 "config": self._cell.get_config()}}

    # a wrapper has no scope of its own: its variables are its cell's
    variables = weights = property(lambda self: self._cell.variables)
    trainable_variables = trainable_weights = property(lambda self: self._cell.trainable_variables)
    non_trainable_variables = non_trainable_weights = property(
        lambda self: self._cell.non_trainable_variables)


class DropoutWrapper(_Wrapper):
    """TF1's ``DropoutWrapper``: dropout on the cell's inputs, outputs and state, each with its
    keep probability (a float or a tensor; 1 adds nothing). Which parts of the state drop out
    is ``dropout_state_filter_visitor``'s say (TF1's): called on the state and, where it
    answers True, on each of its parts in turn, it returns a bool (drop out all of this part,
    or none of it) or a structure of bools one level deep (which of its parts to visit); by
    default everything but an LSTM state's ``c`` (and a TensorArray). With
    ``variational_recurrent``, one mask per input, state and output, drawn when the wrapper is
    made and shared by every time step and batch row (TF1's variational dropout; ``dtype``, and
    ``input_size`` for input dropout, are then needed). Random draws are minitf's, not TF's."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):
        super().__init__(cell)
        if dropout_state_filter_visitor is not None and \
                not callable(dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable. Received: "
                            f"{dropout_state_filter_visitor}")
        self._dropout_state_filter = dropout_state_filter_visitor or \
            _default_dropout_state_filter_visitor
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
        for what, p in (("input", input_keep_prob), ("output", output_keep_prob),
                        ("state", state_keep_prob)):
            if isinstance(p, (int, float)) and not 0.0 < p <= 1.0:
                raise ValueError(f"Parameter {what}_keep_prob must be between 0 and 1: {p}")
        self._keep = (input_keep_prob, output_keep_prob, state_keep_prob)
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed

    wrapped_cell = property(lambda self: self._cell)

    def get_config(self) -> dict:
        """TF1's: the keep probabilities (floats), ``variational_recurrent``, ``input_size``,
        ``seed`` and, for a visitor of one's own, the function (Keras' serialization)."""
        keep_in, keep_out, keep_state = (float(p) if isinstance(p, (int, float)) else p
                                         for p in self._keep)
        config = {"input_keep_prob": keep_in, "output_keep_prob": keep_out,
                  "state_keep_prob": keep_state,
                  "variational_recurrent": self._variational_recurrent,
                  "input_size": self._input_size, "seed": self._seed}
        if self._dropout_state_filter is not _default_dropout_state_filter_visitor:
            function, kind, module = _serialized_function(self._dropout_state_filter)
            config.update(dropout_fn=function, dropout_fn_type=kind, dropout_fn_module=module)
        return {**super().get_config(), **config}

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
            # TF1's: the visitor's shallow structure of bools, each of its leaves (counted
            # in order, salting each part's seed) dropped out or left whole
            chosen = _traverse_shallow(self._dropout_state_filter, state)
            state = _drop_where(chosen, state, noise["state"], lambda i, s, n: self._dropout(
                s, keep_state, f"state_{i}", n), [0])
        return self._dropout(output, keep_out, "output_0", _first(noise["output"])), state


def _default_dropout_state_filter_visitor(substate):
    """TF1's default: no dropout on an LSTM state's memory ``c`` nor on a TensorArray."""
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    return not isinstance(substate, TensorArray)


def _traverse_shallow(visitor, structure):
    """TF's ``nest.get_traverse_shallow_structure``: ``structure`` down to where ``visitor``
    answers with a bool, that bool in its place."""
    answer = visitor(structure)
    if not is_nested(structure):
        if not isinstance(answer, bool):
            raise TypeError(f"traverse_fn returned structure: {answer} for non-structure: "
                            f"{structure}")
        return answer
    children = _children(structure, False)
    if isinstance(answer, bool):
        if not answer:
            return False
        return _sequence_like(structure, [_traverse_shallow(visitor, c) for c in children])
    if not is_nested(answer):
        raise TypeError(f"traverse_fn returned a non-bool scalar: {answer} for input: "
                        f"{structure}")
    picks = _children(answer, False)
    if len(picks) != len(children) or not all(isinstance(t, bool) for t in picks):
        raise TypeError("traverse_fn didn't return a depth=1 structure of bools.  saw: "
                        f"{answer}  for structure: {structure}")
    return _sequence_like(structure, [_traverse_shallow(visitor, c) if t else False
                                      for t, c in zip(picks, children)])


def _drop_where(chosen, state, noise, fn, counter):
    """``fn(i, part, noise)`` for each part of ``state`` at a True leaf of the shallow
    structure ``chosen`` (a False leaf leaves its part whole); i counts the leaves."""
    if isinstance(chosen, bool):
        counter[0] += 1
        return fn(counter[0] - 1, state, noise) if chosen else state
    parts = zip(_children(chosen, False), _children(state, False),
                _children(noise, False) if noise is not None else
                [None] * len(_children(state, False)))
    return _sequence_like(state, [_drop_where(c, s, n, fn, counter) for c, s, n in parts])


def _serialized_function(function):
    """Keras' ``_serialize_function_to_config``: (code, defaults, closure) of a Python
    function ("lambda", as Keras calls every one), else (its name, "function"), and its
    module."""
    import types

    if isinstance(function, types.LambdaType):
        import codecs
        import marshal

        code = codecs.encode(marshal.dumps(function.__code__), "base64").decode("ascii")
        closure = tuple(c.cell_contents for c in function.__closure__) \
            if function.__closure__ else None
        return (code, function.__defaults__, closure), "lambda", function.__module__
    return function.__name__, "function", function.__module__


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


class ResidualWrapper(_Wrapper):
    """TF1's ``ResidualWrapper``: the cell's output plus its input (same depth)."""

    def __init__(self, cell, residual_fn=None):
        super().__init__(cell)
        self._residual_fn = residual_fn

    def get_config(self) -> dict:
        """TF1's: the wrapper's, with ``residual_fn`` if one was given."""
        config = super().get_config()
        if self._residual_fn is not None:
            function, kind, module = _serialized_function(self._residual_fn)
            config.update(residual_fn=function, residual_fn_type=kind,
                          residual_fn_module=module)
        return config

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

    def get_config(self) -> dict:
        return {**super().get_config(), "device": self._device}

    def zero_state(self, batch_size, dtype):
        g = get_default_graph()
        with g.name_scope(type(self).__name__ + "ZeroState"), g.device(self._device):
            return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        with get_default_graph().device(self._device):
            return self._cell(inputs, state, scope=scope)
