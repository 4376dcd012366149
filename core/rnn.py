"""TF1's recurrent cells (``tf.nn.rnn_cell``); their wrappers are in rnn_wrappers.py and
``tf.nn.static_rnn`` / ``dynamic_rnn``, which run a cell over time, in rnn_loops.py, all
re-exported here.

The variable names (``rnn/basic_lstm_cell/kernel``) are TF1's. A cell creates its
variables on its first call (or a core cell on ``build(inputs_shape)``), in a variable scope
named after it (``basic_lstm_cell``, ``basic_lstm_cell_1`` for a second cell in the same
scope), and reuses them on every later call, as TF1's cells do. The core cells, built once in
TF1 (LayerRNNCell), ask a scope's custom getter once per weight and compute every later step
with its answers. As TF1's Layers, cells have a ``name``, ``built``, ``count_params``,
``get_weights``, a ``dtype`` (the inputs' once called), ``scope_name`` and ``get_config``; a
user's cell may make its weights in ``build(inputs_shape)``, which its first call runs, with
``add_variable`` / ``add_weight``.
"""

from __future__ import annotations

from . import init_ops
from .graph import get_default_graph
from .layer_identifiers import activation_of
from .nest import is_nested
from .ops import concat_split_ops, linalg_ops, math_ops, nn_ops, slicing_ops, unary_ops
from .rnn_cell_base import (LSTMStateTuple, RNNCell, _config, _serialized_activation,
                            _serialized_initializer)
from .rnn_loops import (bidirectional_dynamic_rnn, dynamic_rnn, static_bidirectional_rnn,
                        static_rnn)
from .variables import get_variable, variable_scope


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

    def get_config(self) -> dict:
        return _config(self, num_units=self._num_units,
                       activation=_serialized_activation(self._activation))

    def _make_weights(self, depth, dtype):
        return self._weights("", depth + self._num_units, self._num_units, dtype=dtype)

    def _step(self, inputs, state):
        kernel, bias = self._make_weights(_depth(inputs), inputs.dtype)
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

    def get_config(self) -> dict:
        return _config(self, num_units=self._num_units,
                       kernel_initializer=_serialized_initializer(self._kernel_initializer),
                       bias_initializer=_serialized_initializer(self._bias_initializer),
                       activation=_serialized_activation(self._activation))

    def _make_weights(self, depth, dtype):
        n, rows = self._num_units, depth + self._num_units
        with variable_scope("gates"):
            gates = self._weights("", rows, 2 * n, self._kernel_initializer,
                                  self._bias_initializer or init_ops.constant_initializer(1.0),
                                  dtype)
        with variable_scope("candidate"):
            candidate = self._weights("", rows, n, self._kernel_initializer,
                                      self._bias_initializer, dtype)
        return gates, candidate

    def _step(self, inputs, state):
        (gate_k, gate_b), (cand_k, cand_b) = self._make_weights(_depth(inputs), inputs.dtype)
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

    def get_config(self) -> dict:
        return _config(self, num_units=self._num_units, forget_bias=self._forget_bias,
                       state_is_tuple=self._state_is_tuple,
                       activation=_serialized_activation(self._activation))

    def _make_weights(self, depth, dtype):
        n = self._num_units
        return self._weights("", depth + n, 4 * n, self._initializer, dtype=dtype)

    def _step(self, inputs, state):
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = concat_split_ops.split(state, 2, axis=1)
        kernel, bias = self._make_weights(_depth(inputs), inputs.dtype)
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

    def get_config(self) -> dict:
        return _config(self, num_units=self._num_units, use_peepholes=self._use_peepholes,
                       cell_clip=self._cell_clip,
                       initializer=_serialized_initializer(self._initializer),
                       num_proj=self._num_proj, proj_clip=self._proj_clip,
                       num_unit_shards=self._num_unit_shards,
                       num_proj_shards=self._num_proj_shards, forget_bias=self._forget_bias,
                       state_is_tuple=self._state_is_tuple,
                       activation=_serialized_activation(self._activation))

    def _make_weights(self, depth, dtype):
        from .partitioned_variables import fixed_size_partitioner

        n, init = self._num_units, self._initializer
        proj = n if self._num_proj is None else self._num_proj

        def shards(count):
            return None if count is None else fixed_size_partitioner(count)

        # Made in TF1's order: kernel, bias, the diagonals, the projection.
        kernel = get_variable("kernel", [depth + proj, 4 * n], dtype=dtype,
                              initializer=init, partitioner=shards(self._num_unit_shards))
        bias = get_variable("bias", [4 * n], dtype=dtype,
                            initializer=init_ops.zeros_initializer())
        diagonals = proj_kernel = None
        if self._use_peepholes:
            diagonals = [get_variable(f"w_{g}_diag", [n], dtype=dtype, initializer=init)
                         for g in "fio"]
        if self._num_proj is not None:
            proj_kernel = get_variable("projection/kernel", [n, self._num_proj], dtype=dtype,
                                       initializer=init,
                                       partitioner=shards(self._num_proj_shards))
        return kernel, bias, diagonals, proj_kernel

    def _step(self, inputs, state):
        n = self._num_units
        proj = n if self._num_proj is None else self._num_proj
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = slicing_ops.slice_(state, [0, 0], [-1, n])
            m_prev = slicing_ops.slice_(state, [0, n], [-1, proj])
        kernel, bias, diagonals, proj_kernel = self._make_weights(_depth(inputs), inputs.dtype)
        if self._use_peepholes:
            w_f, w_i, w_o = diagonals

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


# The wrappers subclass RNNCell, so they come after it (and stay importable from here).
from .rnn_wrappers import DeviceWrapper, DropoutWrapper, ResidualWrapper  # noqa: E402

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell",
           "LSTMCell", "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper",
           "bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn", "static_rnn"]
