"""TF1's recurrent cells (``tf.nn.rnn_cell``) and their wrappers; ``tf.nn.static_rnn`` /
``dynamic_rnn``, which run a cell over time, are in rnn_loops.py and re-exported here.

The variable names (``rnn/basic_lstm_cell/kernel``) are TF1's. A cell creates its
variables on its first call, in a variable scope named after it (``basic_lstm_cell``,
``basic_lstm_cell_1`` for a second cell in the same scope), and reuses them on every later
call, as TF1's cells do. The core cells, built once in TF1 (LayerRNNCell), ask a scope's custom
getter once per weight and compute every later step with its answers.
"""

from __future__ import annotations

import collections

from . import init_ops
from .graph import GraphKeys, convert_to_tensor, get_default_graph
from .layer_identifiers import activation_of
from .layers_base import _to_snake_case
from .nest import is_nested, map_structure
from .ops import (array_ops, concat_split_ops, linalg_ops, math_ops, nn_ops, slicing_ops,
                  unary_ops)
from .rnn_loops import (bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn,
                        static_rnn)
from .tensor_shape import TensorShape
from .variables import get_variable, variable_scope

LSTMStateTuple = collections.namedtuple("LSTMStateTuple", ["c", "h"])


class RNNCell:
    """Base class: ``__call__(inputs, state) -> (output, new_state)``."""

    _base_name = "rnn_cell"
    # TF1's LayerRNNCell (its core cells): the weights are made once, in build, and every call
    # computes with what the getters returned then (a custom getter runs once per weight).
    # Other cells ask get_variable at each call, as TF1's contrib cells do.
    _builds_once = False

    def __init__(self, name=None, reuse=None, dtype=None, trainable=True, **kwargs):
        # TF1's RNNCell is a Layer, whose keywords cells copied from TF's source pass on
        # (``super().__init__(_reuse=reuse, name=name)``); minitf's own cells pass ``reuse``.
        reuse = kwargs.pop("_reuse", reuse)
        kwargs.pop("_scope", None)
        if kwargs:
            raise TypeError(f"Keyword argument not understood: {sorted(kwargs)[0]!r}")
        self._name = name
        self._reuse = reuse
        self._dtype = dtype
        # Kept for subclasses: TF's Layer applies it to add_weight's variables only, and a
        # cell's tf.get_variable ones stay trainable there too.
        self.trainable = trainable
        self._scope = None  # the variable scope its variables live in, set on the first call

    @property
    def state_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        raise NotImplementedError

    def zero_state(self, batch_size, dtype):
        """Zeros of the state's structure, ``batch_size`` rows (a state size is an int or,
        for a convolutional cell's, a TensorShape)."""
        def zeros(size):
            if isinstance(size, tuple):
                made = [zeros(s) for s in size]
                return type(size)(*made) if hasattr(size, "_fields") else tuple(made)
            dims = TensorShape(size).as_list() if isinstance(size, (TensorShape, list)) \
                else [size]
            if isinstance(batch_size, int):
                return array_ops.zeros([batch_size, *dims], dtype=dtype)
            return array_ops.zeros(concat_split_ops.stack([batch_size, *dims]), dtype=dtype)
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return zeros(self.state_size)

    def __call__(self, inputs, state, scope=None):
        # (nested inputs, as dynamic_rnn hands a structure on, stay a structure)
        inputs = map_structure(convert_to_tensor, inputs) if is_nested(inputs) else \
            convert_to_tensor(inputs)
        if self._scope is None:
            name, base = self._scope_names(scope)
            self._graph = get_default_graph()
            with variable_scope(name, default_name=base, reuse=self._reuse) as vs:
                self._scope = vs
                out = self._built_step(inputs, state)
        else:
            # As TF1's layers: reuse once a call has succeeded (a first call refused before
            # making its variables leaves them to the next one, in the same scope).
            with variable_scope(self._scope, reuse=True if getattr(self, "_built", False)
                                else self._reuse):
                out = self._built_step(inputs, state)
        self._built = True
        return out

    def _built_step(self, inputs, state):
        if not self._builds_once:
            return self._step(inputs, state)
        from .layers import getter_outputs_once

        with getter_outputs_once(self.__dict__.setdefault("_getter_outputs", {})):
            return self._step(inputs, state)

    def _scope_variables(self, key: str) -> list:
        """What TF's Layer tracks for a cell (none before its first call): for one that builds
        once, the values its getters returned (trainable ones first, as Keras orders them),
        else the ``key`` collection's variables under the cell's scope."""
        if self._scope is None:
            return []
        if self._builds_once:
            from .layers import split_weights

            graph = getattr(self, "_graph", None)
            with (graph if graph is not None else get_default_graph()).as_default():
                trainable, others = split_weights(
                    self.__dict__.get("_getter_outputs", {}).values())
            return trainable if key == GraphKeys.TRAINABLE_VARIABLES else trainable + others
        prefix = self._scope.name + "/"
        graph = getattr(self, "_graph", None) or get_default_graph()
        return [v for v in graph.get_collection(key) if v.op.name.startswith(prefix)]

    variables = weights = property(lambda self: self._scope_variables(GraphKeys.GLOBAL_VARIABLES))
    trainable_variables = trainable_weights = property(
        lambda self: self._scope_variables(GraphKeys.TRAINABLE_VARIABLES))
    non_trainable_variables = non_trainable_weights = property(
        lambda self: _without(self.variables, self.trainable_variables))

    def _scope_names(self, scope):
        """(name, default name) of the variable scope the first call makes: ``scope`` or the
        cell's name, else one after its class (a user's MyCell: my_cell), as TF's layers."""
        base = self._base_name if "_base_name" in type(self).__dict__ else \
            _to_snake_case(type(self).__name__)
        return scope or self._name, base

    def _step(self, inputs, state):
        return self.call(inputs, state)

    def call(self, inputs, state):
        """A subclass's step (TF1's documented way to write a cell): ``(output, new_state)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(inputs, state)")

    def _weights(self, name, rows, cols, initializer=None, bias_init=None, dtype=None):
        kernel = get_variable(f"{name}kernel", [rows, cols], dtype=dtype,
                              initializer=initializer)
        bias = get_variable(f"{name}bias", [cols], dtype=dtype,
                            initializer=bias_init or init_ops.zeros_initializer())
        return kernel, bias


def _without(values, excluded) -> list:
    """``values`` not in ``excluded``, by identity (a getter's tensors overload ==)."""
    ids = {id(v) for v in excluded}
    return [v for v in values if id(v) not in ids]


def _depth(inputs):
    depth = inputs.shape[-1].value if inputs.shape.rank == 2 else None
    if depth is None:
        raise ValueError(f"Expected inputs of shape [batch, depth] with depth known, got "
                         f"{inputs.shape}")
    return depth


def _dense(x, kernel, bias):
    return nn_ops.bias_add(linalg_ops.matmul(x, kernel), bias)


class BasicRNNCell(RNNCell):
    """``output = new_state = activation(W [inputs, state] + b)``."""

    _base_name = "basic_rnn_cell"
    _builds_once = True

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None):
        super().__init__(name, reuse, dtype)
        self._num_units = num_units
        self._activation = activation_of(activation) or unary_ops.tanh

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        kernel, bias = self._weights("", _depth(inputs) + self._num_units, self._num_units,
                                     dtype=inputs.dtype)
        output = self._activation(_dense(concat_split_ops.concat([inputs, state], 1), kernel,
                                         bias))
        return output, output


class GRUCell(RNNCell):
    """TF1's GRU: gates ``r, u = sigmoid(W_g [x, h] + b_g)`` (bias starting at 1), candidate
    ``c = tanh(W_c [x, r * h] + b_c)``, ``h' = u * h + (1 - u) * c``."""

    _base_name = "gru_cell"
    _builds_once = True

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None):
        super().__init__(name, reuse, dtype)
        self._num_units = num_units
        self._activation = activation_of(activation) or unary_ops.tanh
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        n, rows = self._num_units, _depth(inputs) + self._num_units
        with variable_scope("gates"):
            gate_k, gate_b = self._weights(
                "", rows, 2 * n, self._kernel_initializer,
                self._bias_initializer or init_ops.constant_initializer(1.0), inputs.dtype)
        with variable_scope("candidate"):
            cand_k, cand_b = self._weights("", rows, n, self._kernel_initializer,
                                           self._bias_initializer, inputs.dtype)
        value = unary_ops.sigmoid(_dense(concat_split_ops.concat([inputs, state], 1), gate_k,
                                        gate_b))
        r, u = concat_split_ops.split(value, 2, axis=1)
        candidate = self._activation(_dense(concat_split_ops.concat([inputs, r * state], 1),
                                            cand_k, cand_b))
        new_h = u * state + (1 - u) * candidate
        return new_h, new_h


class BasicLSTMCell(RNNCell):
    """TF1's LSTM: ``i, j, f, o = split(W [x, h] + b)``, ``c' = c * sigmoid(f + forget_bias) +
    sigmoid(i) * tanh(j)``, ``h' = tanh(c') * sigmoid(o)``; the state is ``(c, h)``."""

    _base_name = "basic_lstm_cell"
    _builds_once = True

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None):
        super().__init__(name, reuse, dtype)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation_of(activation) or unary_ops.tanh
        self._initializer = None

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    output_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        n = self._num_units
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = concat_split_ops.split(state, 2, axis=1)
        kernel, bias = self._weights("", _depth(inputs) + n, 4 * n, self._initializer,
                                     dtype=inputs.dtype)
        gates = _dense(concat_split_ops.concat([inputs, h], 1), kernel, bias)
        i, j, f, o = concat_split_ops.split(gates, 4, axis=1)
        forget = math_ops.cast(self._forget_bias, f.dtype)
        new_c = c * unary_ops.sigmoid(f + forget) + unary_ops.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * unary_ops.sigmoid(o)
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else \
            concat_split_ops.concat([new_c, new_h], 1)
        return new_h, new_state


class LSTMCell(BasicLSTMCell):
    """TF1's ``LSTMCell``: BasicLSTMCell's step (variables under ``lstm_cell``, an optional
    ``initializer`` for every weight but the bias), with, as TF1's:

    - ``use_peepholes``: diagonal weights ``w_f_diag``, ``w_i_diag``, ``w_o_diag`` [num_units]
      from the memory cell into the gates: ``c' = sigmoid(f + forget_bias + w_f * c) * c +
      sigmoid(i + w_i * c) * tanh(j)``, ``h' = sigmoid(o + w_o * c') * tanh(c')``;
    - ``cell_clip``: ``c'`` clipped to ``[-cell_clip, cell_clip]`` before the output uses it;
    - ``num_proj``: ``h'`` projected by ``projection/kernel`` [num_units, num_proj] (then
      clipped to ``[-proj_clip, proj_clip]`` with ``proj_clip``); the state is then
      ``(c [num_units], h [num_proj])`` and the recurrent kernel has ``num_proj`` rows for h;
    - ``num_unit_shards`` / ``num_proj_shards`` (deprecated in TF1): the kernel / projection
      kernel split in that many row partitions (``kernel/part_0``...), as a
      ``fixed_size_partitioner`` would.
    """

    _base_name = "lstm_cell"

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, num_unit_shards=None, num_proj_shards=None,
                 forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None):
        super().__init__(num_units, forget_bias, state_is_tuple, activation, reuse, name,
                         dtype)
        self._initializer = initializer
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._num_unit_shards = num_unit_shards
        self._num_proj_shards = num_proj_shards

    @property
    def state_size(self):
        n, p = self._num_units, self._num_proj
        if not p:
            return super().state_size
        return LSTMStateTuple(n, p) if self._state_is_tuple else n + p

    output_size = property(lambda self: self._num_proj or self._num_units)

    def _step(self, inputs, state):
        from .partitioned_variables import fixed_size_partitioner

        n = self._num_units
        proj = n if self._num_proj is None else self._num_proj
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = slicing_ops.slice_(state, [0, 0], [-1, n])
            m_prev = slicing_ops.slice_(state, [0, n], [-1, proj])
        dtype, init = inputs.dtype, self._initializer

        def shards(count):
            return None if count is None else fixed_size_partitioner(count)

        # Made in TF1's order: kernel, bias, the diagonals, the projection.
        kernel = get_variable("kernel", [_depth(inputs) + proj, 4 * n], dtype=dtype,
                              initializer=init, partitioner=shards(self._num_unit_shards))
        bias = get_variable("bias", [4 * n], dtype=dtype,
                            initializer=init_ops.zeros_initializer())
        if self._use_peepholes:
            w_f, w_i, w_o = (get_variable(f"w_{g}_diag", [n], dtype=dtype, initializer=init)
                             for g in "fio")
        if self._num_proj is not None:
            proj_kernel = get_variable("projection/kernel", [n, self._num_proj], dtype=dtype,
                                       initializer=init,
                                       partitioner=shards(self._num_proj_shards))

        lstm_matrix = _dense(concat_split_ops.concat([inputs, m_prev], 1), kernel, bias)
        i, j, f, o = concat_split_ops.split(lstm_matrix, 4, axis=1)
        sigmoid, forget = unary_ops.sigmoid, math_ops.cast(self._forget_bias, f.dtype)
        if self._use_peepholes:
            c = sigmoid(f + forget + w_f * c_prev) * c_prev + \
                sigmoid(i + w_i * c_prev) * self._activation(j)
        else:
            c = sigmoid(f + forget) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = math_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + w_o * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = linalg_ops.matmul(m, proj_kernel)
            if self._proj_clip is not None:
                m = math_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else \
            concat_split_ops.concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """Cells stacked: cell i runs in scope ``cell_i`` on the previous cell's output."""

    _base_name = "multi_rnn_cell"

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        self._cells = list(cells)
        # state_is_tuple=False (deprecated in TF1): the cells' states side by side in one
        # [batch, sum of state sizes] tensor, which needs each cell's state to be one tensor.
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(is_nested(c.state_size) for c in self._cells):
            raise ValueError("Some cells return tuples of states, but the flag state_is_tuple "
                             f"is not set.  State sizes are: {[c.state_size for c in cells]}")

    state_size = property(lambda self: tuple(c.state_size for c in self._cells)
                          if self._state_is_tuple else sum(c.state_size for c in self._cells))
    output_size = property(lambda self: self._cells[-1].output_size)

    # TF's: its cells' weights, the trainable ones of every cell first (Keras' sublayers).
    trainable_variables = trainable_weights = property(
        lambda self: [v for c in self._cells for v in c.trainable_variables])
    non_trainable_variables = non_trainable_weights = property(
        lambda self: [v for c in self._cells for v in c.non_trainable_variables])
    variables = weights = property(
        lambda self: self.trainable_variables + self.non_trainable_variables)

    def zero_state(self, batch_size, dtype):
        """Each cell's own zero state (an AttentionWrapper's is not zeros of its sizes)."""
        if not self._state_is_tuple:
            return super().zero_state(batch_size, dtype)
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)

    def _step(self, inputs, state):
        out, new_states, position = inputs, [], 0
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    s = state[i]
                else:
                    s = slicing_ops.slice_(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                out, s = cell(out, s)
            new_states.append(s)
        return out, (tuple(new_states) if self._state_is_tuple else
                     concat_split_ops.concat(new_states, 1))


class _Wrapper(RNNCell):
    """A cell around another one, adding no variable scope of its own (TF1's wrappers)."""

    def __init__(self, cell):
        super().__init__()
        self._cell = cell

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)

    def zero_state(self, batch_size, dtype):
        return self._cell.zero_state(batch_size, dtype)

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
        return type(state)(_map_state(s, fn) for s in state)
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


__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
           "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper",
           "bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn", "static_rnn"]
