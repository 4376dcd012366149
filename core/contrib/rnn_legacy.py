"""TF 1.x contrib.rnn's legacy cell wrappers (``core_rnn_cell.py``: EmbeddingWrapper,
InputProjectionWrapper, OutputProjectionWrapper) and its stacked bidirectional RNNs
(``contrib/rnn/python/ops/rnn.py``), built on minitf's tf.nn.rnn_cell and tf.nn RNN loops.

Unlike DropoutWrapper & co., these three wrappers are plain RNNCells in TF1: each opens a
variable scope of its own (``embedding_wrapper``, ``input_projection_wrapper``,
``output_projection_wrapper``) holding its variables and, nested, the wrapped cell's
(``rnn/embedding_wrapper/basic_lstm_cell/kernel``), so TF1 checkpoints load by name.
"""

from __future__ import annotations

import math

from .. import init_ops
from ..graph import convert_to_tensor, get_default_graph
from ..nest_util import flatten
from ..nn import conv2d, softmax, xw_plus_b
from ..nn_embedding import embedding_lookup
from ..ops import (array_ops, concat_split_ops, linalg_ops, nn_ops, reduction_ops, slicing_ops,
                   transform_ops, unary_ops)
from ..rnn import RNNCell
from ..rnn_extra import _assert_like_rnncell
from ..rnn_loops import bidirectional_dynamic_rnn, static_bidirectional_rnn
from ..variables import get_variable, get_variable_scope, variable_scope

__all__ = ["AttentionCellWrapper", "CompiledWrapper", "EmbeddingWrapper", "HighwayWrapper",
           "InputProjectionWrapper", "OutputProjectionWrapper", "stack_bidirectional_dynamic_rnn",
           "stack_bidirectional_rnn"]


class _LegacyWrapper(RNNCell):
    """A wrapper that is an RNNCell of its own (a variable scope named after it), with the
    wrapped cell's sizes and zero state."""

    def __init__(self, cell, reuse=None):
        super().__init__(reuse=reuse)
        _assert_like_rnncell("cell", cell)
        self._cell = cell

    state_size = property(lambda self: self._cell.state_size)
    output_size = property(lambda self: self._cell.output_size)

    def zero_state(self, batch_size, dtype):
        """The wrapped cell's zero state (in a ``<Wrapper>ZeroState`` name scope)."""
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return self._cell.zero_state(batch_size, dtype)


def _linear_args(args):
    """TF1's _Linear checks: ``args`` (a tensor or a list) as a list of matrices of known
    widths, and their shapes."""
    args = list(args) if isinstance(args, (list, tuple)) else [args]
    shapes = [a.shape for a in args]
    if any(s.rank != 2 for s in shapes):
        raise ValueError(f"linear is expecting 2D arguments: {shapes}")
    for s in shapes:
        if s[1].value is None:
            raise ValueError(f"linear expects shape[1] to be provided for shape {s}, but saw "
                             f"{s[1]}")
    return args, shapes


def _linear(args, output_size):
    """TF1's rnn_cell_impl._Linear with a bias over a tensor or a list of them (side by side):
    ``kernel`` (the scope's initializer) and ``bias`` (zeros) in the current variable scope."""
    args, shapes = _linear_args(args)
    x = args[0] if len(args) == 1 else concat_split_ops.concat(args, 1)
    kernel = get_variable("kernel", [sum(s[1].value for s in shapes), output_size],
                          dtype=x.dtype)
    bias = get_variable("bias", [output_size], dtype=x.dtype,
                        initializer=init_ops.constant_initializer(0.0))
    return nn_ops.bias_add(linalg_ops.matmul(x, kernel), bias)


class InputProjectionWrapper(_LegacyWrapper):
    """TF1's ``tf.contrib.rnn.InputProjectionWrapper``: the inputs projected to ``num_proj``
    (``kernel``, ``bias``; then ``activation``) before the cell runs on them."""

    _base_name = "input_projection_wrapper"

    def __init__(self, cell, num_proj, activation=None, input_size=None, reuse=None):
        super().__init__(cell, reuse)
        self._num_proj = num_proj
        self._activation = activation

    def _step(self, inputs, state):
        projected = _linear(inputs, self._num_proj)
        if self._activation:
            projected = self._activation(projected)
        return self._cell(projected, state)


class OutputProjectionWrapper(_LegacyWrapper):
    """TF1's ``tf.contrib.rnn.OutputProjectionWrapper``: the cell's output projected to
    ``output_size`` (``kernel``, ``bias``, made after the cell's own; then ``activation``)."""

    _base_name = "output_projection_wrapper"

    def __init__(self, cell, output_size, activation=None, reuse=None):
        super().__init__(cell, reuse)
        if output_size < 1:
            raise ValueError(f"Parameter output_size must be > 0: {output_size}.")
        self._output_size = output_size
        self._activation = activation

    output_size = property(lambda self: self._output_size)

    def _step(self, inputs, state):
        output, new_state = self._cell(inputs, state)
        projected = _linear(output, self._output_size)
        if self._activation:
            projected = self._activation(projected)
        return projected, new_state


class EmbeddingWrapper(_LegacyWrapper):
    """TF1's ``tf.contrib.rnn.EmbeddingWrapper``: integer ids looked up in an ``embedding``
    [embedding_classes, embedding_size] (placed on /cpu:0; initializer: ``initializer``, else
    the scope's, else uniform in [-sqrt(3), sqrt(3)]) and fed to the cell."""

    _base_name = "embedding_wrapper"

    def __init__(self, cell, embedding_classes, embedding_size, initializer=None, reuse=None):
        super().__init__(cell, reuse)
        if embedding_classes <= 0 or embedding_size <= 0:
            raise ValueError("Both embedding_classes and embedding_size must be > 0: "
                             f"{embedding_classes}, {embedding_size}.")
        self._embedding_classes = embedding_classes
        self._embedding_size = embedding_size
        self._initializer = initializer

    def _step(self, inputs, state):
        with get_default_graph().device("/cpu:0"):
            initializer = self._initializer or get_variable_scope().initializer
            if initializer is None:
                initializer = init_ops.random_uniform_initializer(-math.sqrt(3), math.sqrt(3))
            dtype = state[0].dtype if isinstance(state, tuple) else state.dtype
            embedding = get_variable("embedding",
                                     [self._embedding_classes, self._embedding_size],
                                     initializer=initializer, dtype=dtype)
            embedded = embedding_lookup(embedding, array_ops.reshape(inputs, [-1]))
        return self._cell(embedded, state)


class HighwayWrapper(_LegacyWrapper):
    """TF1's ``tf.contrib.rnn.HighwayWrapper``: ``output = x * carry + cell(x) * transform``
    with ``carry = sigmoid(x carry_w + carry_b)`` (``carry_b`` starting at
    ``carry_bias_init``) and ``transform = 1 - carry``, or its own ``transform_w``,
    ``transform_b`` when not coupled. No scope of its own: the variables are made where the
    wrapper is called (``rnn/carry_w``)."""

    def __init__(self, cell, couple_carry_transform_gates=True, carry_bias_init=1.0):
        super().__init__(cell)
        self._couple = couple_carry_transform_gates
        self._carry_bias_init = carry_bias_init

    def _highway(self, inp, out):
        size = inp.shape[1].value if inp.shape.rank == 2 else None
        if inp.shape.rank not in (None, 2):
            raise ValueError(f"Shape {inp.shape} must have rank 2")
        carry_w = get_variable("carry_w", [size, size], dtype=inp.dtype)
        carry_b = get_variable("carry_b", [size], dtype=inp.dtype,
                               initializer=init_ops.constant_initializer(self._carry_bias_init))
        carry = unary_ops.sigmoid(xw_plus_b(inp, carry_w, carry_b))
        if self._couple:
            transform = 1 - carry
        else:
            transform_w = get_variable("transform_w", [size, size], dtype=inp.dtype)
            transform_b = get_variable(
                "transform_b", [size], dtype=inp.dtype,
                initializer=init_ops.constant_initializer(-self._carry_bias_init))
            transform = unary_ops.sigmoid(xw_plus_b(inp, transform_w, transform_b))
        return inp * carry + out * transform

    def __call__(self, inputs, state, scope=None):
        inputs = convert_to_tensor(inputs)
        outputs, new_state = self._cell(inputs, state, scope=scope)
        inputs.shape.assert_is_compatible_with(outputs.shape)
        return self._highway(inputs, outputs), new_state


class CompiledWrapper(_LegacyWrapper):
    """TF1's ``tf.contrib.rnn.CompiledWrapper``: the cell's step built in an XLA jit scope
    (minitf only marks the ops; running is unchanged), its stateful ops included only with
    ``compile_stateful``. The cell's own scope, as TF's: the wrapper adds none."""

    def __init__(self, cell, compile_stateful=False):
        super().__init__(cell)
        self._compile_stateful = compile_stateful

    def __call__(self, inputs, state, scope=None):
        from ..opdef import lookup
        from .compiler import experimental_jit_scope

        def compile_ops(node_def):
            return not lookup(node_def.op).stateful

        with experimental_jit_scope(compile_ops=True if self._compile_stateful
                                    else compile_ops):
            return self._cell(inputs, state, scope=scope)


class AttentionCellWrapper(_LegacyWrapper):
    """TF1's ``tf.contrib.rnn.AttentionCellWrapper`` (Bahdanau-style attention over the
    cell's last ``attn_length`` outputs): the state is (cell state, attention, attention
    window), or their concatenation without ``state_is_tuple``; variables ``kernel``/``bias``
    (input projection), ``attention/attn_w``, ``attention/attn_v``, ``attention/kernel``...,
    ``attn_output_projection/kernel``..."""

    _base_name = "attention_cell_wrapper"

    def __init__(self, cell, attn_length, attn_size=None, attn_vec_size=None, input_size=None,
                 state_is_tuple=True, reuse=None):
        if not all(hasattr(cell, a) for a in ("output_size", "state_size", "zero_state")) \
                or not callable(cell):
            raise TypeError("The parameter cell is not RNNCell.")
        super().__init__(cell, reuse)
        if isinstance(cell.state_size, (tuple, list)) and not state_is_tuple:
            raise ValueError("Cell returns tuple of states, but the flag state_is_tuple is not "
                             f"set. State size is: {cell.state_size}")
        if attn_length <= 0:
            raise ValueError(f"attn_length should be greater than zero, got {attn_length}")
        self._attn_size = attn_size if attn_size is not None else cell.output_size
        self._attn_vec_size = attn_vec_size if attn_vec_size is not None else self._attn_size
        self._attn_length, self._input_size = attn_length, input_size
        self._state_is_tuple = state_is_tuple

    @property
    def state_size(self):
        size = (self._cell.state_size, self._attn_size, self._attn_size * self._attn_length)
        return size if self._state_is_tuple else sum(size)

    output_size = property(lambda self: self._attn_size)

    def zero_state(self, batch_size, dtype):
        """Zeros of the (cell state, attention, window) structure."""
        return RNNCell.zero_state(self, batch_size, dtype)

    def _step(self, inputs, state):
        size, length = self._attn_size, self._attn_length
        if self._state_is_tuple:
            state, attns, attn_states = state
        else:
            states, cell_size = state, self._cell.state_size
            state = slicing_ops.slice_(states, [0, 0], [-1, cell_size])
            attns = slicing_ops.slice_(states, [0, cell_size], [-1, size])
            attn_states = slicing_ops.slice_(states, [0, cell_size + size],
                                             [-1, size * length])
        attn_states = array_ops.reshape(attn_states, [-1, length, size])
        input_size = self._input_size or inputs.shape[1].value
        inputs = _linear([inputs, attns], input_size)
        cell_output, new_state = self._cell(inputs, state)
        new_state_cat = concat_split_ops.concat(flatten(new_state), 1) \
            if self._state_is_tuple else new_state
        new_attns, new_attn_states = self._attention(new_state_cat, attn_states)
        with variable_scope("attn_output_projection"):
            output = _linear([cell_output, new_attns], size)
        new_attn_states = concat_split_ops.concat(
            [new_attn_states, transform_ops.expand_dims(output, 1)], 1)
        new_attn_states = array_ops.reshape(new_attn_states, [-1, length * size])
        new_state = (new_state, new_attns, new_attn_states)
        if not self._state_is_tuple:
            new_state = concat_split_ops.concat(list(new_state), 1)
        return output, new_state

    def _attention(self, query, attn_states):
        size, vec, length = self._attn_size, self._attn_vec_size, self._attn_length
        with variable_scope("attention"):
            k = get_variable("attn_w", [1, 1, size, vec], dtype=query.dtype)
            v = get_variable("attn_v", [vec], dtype=query.dtype)
            hidden = array_ops.reshape(attn_states, [-1, length, 1, size])
            hidden_features = conv2d(hidden, k, [1, 1, 1, 1], "SAME")
            y = array_ops.reshape(_linear([query], vec), [-1, 1, 1, vec])
            s = reduction_ops.reduce_sum(v * unary_ops.tanh(hidden_features + y), [2, 3])
            a = softmax(s)
            d = reduction_ops.reduce_sum(array_ops.reshape(a, [-1, length, 1, 1]) * hidden,
                                         [1, 2])
            new_attns = array_ops.reshape(d, [-1, size])
            new_attn_states = slicing_ops.slice_(attn_states, [0, 1, 0], [-1, -1, -1])
            return new_attns, new_attn_states


def _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw):
    """TF1's argument checks of the stacked bidirectional RNNs, with its messages."""
    if not cells_fw:
        raise ValueError("Must specify at least one fw cell for BidirectionalRNN.")
    if not cells_bw:
        raise ValueError("Must specify at least one bw cell for BidirectionalRNN.")
    if not isinstance(cells_fw, list):
        raise ValueError("cells_fw must be a list of RNNCells (one per layer).")
    if not isinstance(cells_bw, list):
        raise ValueError("cells_bw must be a list of RNNCells (one per layer).")
    if len(cells_fw) != len(cells_bw):
        raise ValueError("Forward and Backward cells must have the same depth.")
    for states, cells, which in ((initial_states_fw, cells_fw, "fw"),
                                 (initial_states_bw, cells_bw, "bw")):
        if states is not None and (not isinstance(states, list) or len(states) != len(cells)):
            raise ValueError(f"initial_states_{which} must be a list of state tensors (one per "
                             "layer).")


def stack_bidirectional_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                            initial_states_bw=None, dtype=None, sequence_length=None,
                            scope=None):
    """TF1's ``tf.contrib.rnn.stack_bidirectional_rnn``: layer i is a static_bidirectional_rnn
    (scope ``stack_bidirectional_rnn/cell_i/{fw,bw}``: TF passes the cell scope on, unlike
    the dynamic stack's) over the previous layer's concatenated outputs. Returns (outputs,
    states_fw tuple, states_bw tuple)."""
    _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    states_fw, states_bw, prev_layer = [], [], inputs
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            with variable_scope(f"cell_{i}") as cell_scope:
                prev_layer, state_fw, state_bw = static_bidirectional_rnn(
                    cell_fw, cell_bw, prev_layer,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length, dtype=dtype, scope=cell_scope)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_dynamic_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None,
                                    initial_states_bw=None, dtype=None, sequence_length=None,
                                    parallel_iterations=None, time_major=False, scope=None,
                                    swap_memory=False):
    """TF1's ``tf.contrib.rnn.stack_bidirectional_dynamic_rnn``: layer i is a
    bidirectional_dynamic_rnn (scope ``stack_bidirectional_rnn/cell_i/bidirectional_rnn/...``)
    over the previous layer's outputs concatenated on the depth axis. Returns (outputs,
    states_fw tuple, states_bw tuple)."""
    _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    states_fw, states_bw, prev_layer = [], [], inputs
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            with variable_scope(f"cell_{i}"):
                outputs, (state_fw, state_bw) = bidirectional_dynamic_rnn(
                    cell_fw, cell_bw, prev_layer,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length, parallel_iterations=parallel_iterations,
                    dtype=dtype, swap_memory=swap_memory, time_major=time_major)
                prev_layer = concat_split_ops.concat(list(outputs), 2)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)
