"""TF 1.x contrib.rnn's fused cells (``contrib/rnn/python/ops/lstm_ops.py``, ``gru_ops.py``,
``fused_rnn_cell.py``): LSTMBlockCell, LSTMBlockFusedCell, GRUBlockCell, GRUBlockCellV2 and the
FusedRNNCell adaptors, each built as TF1 builds it on TF's fused ops (core/ops/rnn_block_ops.py:
LSTMBlockCell, BlockLSTM, GRUBlockCell, whose gradients are TF's *Grad ops).

Their variables are TF1's: ``lstm_cell/kernel``, ``lstm_cell/bias`` (zeros) and, with
peepholes, ``w_i_diag``, ``w_f_diag``, ``w_o_diag``; ``lstm_fused_cell/...``; GRUBlockCell's
``gru_cell/w_ru``, ``b_ru`` (ones), ``w_c``, ``b_c``; GRUBlockCellV2's ``gru_cell/gates/kernel``,
``gates/bias``, ``candidate/kernel``, ``candidate/bias`` (the names of tf.nn.rnn_cell.GRUCell).
"""

from __future__ import annotations

import abc

from .. import dtypes as _dt
from .. import init_ops
from ..composites import reverse, sequence_mask
from ..graph import convert_to_tensor
from ..ops import (array_ops, concat_split_ops, gather_ops, math_ops, reduction_ops,
                   transform_ops)
from ..ops.fill_ops import range_
from ..ops.rnn_block_ops import BLOCK_LSTM, GRU_BLOCK_CELL, LSTM_BLOCK_CELL
from ..rnn import LSTMStateTuple, RNNCell, dynamic_rnn, static_rnn
from ..variables import get_variable, variable_scope

__all__ = ["FusedRNNCell", "FusedRNNCellAdaptor", "GRUBlockCell", "GRUBlockCellV2",
           "LSTMBlockCell", "LSTMBlockFusedCell", "LSTMBlockWrapper", "TimeReversedFusedRNN"]


class LSTMBlockCell(RNNCell):
    """TF1's ``tf.contrib.rnn.LSTMBlockCell``: BasicLSTMCell's equations (``cell_clip`` and
    peepholes optional) as one LSTMBlockCell op; state LSTMStateTuple(c, h)."""

    _base_name = "lstm_cell"

    def __init__(self, num_units, forget_bias=1.0, cell_clip=None, use_peephole=False,
                 dtype=None, reuse=None, name="lstm_cell"):
        super().__init__(None, reuse, dtype)
        self._base_name = name or "lstm_cell"  # (TF1's layers: a unique scope named so)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._cell_clip = cell_clip if cell_clip is not None else -1
        self._use_peephole = use_peephole

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_units))
    output_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        n = self._num_units
        depth = inputs.shape[1].value if inputs.shape.rank == 2 else None
        if not depth:
            raise ValueError(f"Expecting inputs_shape[1] to be set: {inputs.shape}")
        if len(state) != 2:
            raise ValueError("Expecting state to be a tuple with length 2.")
        kernel = get_variable("kernel", [depth + n, 4 * n], dtype=inputs.dtype)
        bias = get_variable("bias", [4 * n], dtype=inputs.dtype,
                            initializer=init_ops.constant_initializer(0.0))
        wci, wcf, wco = _peepholes(self._use_peephole, n, inputs.dtype)
        cs_prev, h_prev = state
        _, cs, _, _, _, _, h = LSTM_BLOCK_CELL(
            inputs, cs_prev, h_prev, kernel, wci, wcf, wco, bias,
            forget_bias=float(self._forget_bias), cell_clip=float(self._cell_clip),
            use_peephole=self._use_peephole)
        return h, LSTMStateTuple(cs, h)


def _peepholes(use_peephole, n, dtype):
    """``w_i_diag``, ``w_f_diag``, ``w_o_diag`` (in TF1's order), or zeros without them."""
    if use_peephole:
        return [get_variable(f"w_{g}_diag", [n], dtype=dtype) for g in "ifo"]
    zeros = array_ops.zeros([n], dtype=dtype)
    return zeros, zeros, zeros


class LSTMBlockWrapper(abc.ABC):
    """TF1's ``LSTMBlockWrapper``: an LSTM over a whole time-major sequence ([time, batch,
    depth], or a list of [batch, depth]) in one call: ``cell(inputs, initial_state=None,
    dtype=None, sequence_length=None, scope=None) -> (outputs, LSTMStateTuple)``; past each
    row's length, outputs are zero and the final state is the one at its length."""

    _base_name = "lstm_block_wrapper"

    def __init__(self, name=None, reuse=None):
        self._base_name = name or self._base_name
        self._reuse = reuse
        self._scope = None

    num_units = property(lambda self: self._num_units)

    def __call__(self, inputs, initial_state=None, dtype=None, sequence_length=None,
                 scope=None):
        if self._scope is None:
            with variable_scope(scope, default_name=self._base_name, reuse=self._reuse) as vs:
                self._scope = vs
                return self._call(inputs, initial_state, dtype, sequence_length)
        with variable_scope(self._scope, reuse=True):
            return self._call(inputs, initial_state, dtype, sequence_length)

    def _call(self, inputs, initial_state, dtype, sequence_length):
        is_list = isinstance(inputs, list)
        inputs = concat_split_ops.stack(inputs) if is_list else convert_to_tensor(inputs)
        if inputs.shape.rank != 3:
            raise ValueError(f"Shape {inputs.shape} must have rank 3")
        if not inputs.shape[2].value:
            raise ValueError(f"Expecting inputs_shape[2] to be set: {inputs.shape}")
        batch = inputs.shape[1].value
        batch = batch if batch is not None else array_ops.shape(inputs)[1]
        time_len = inputs.shape[0].value
        time_len = time_len if time_len is not None else array_ops.shape(inputs)[0]
        if initial_state is None:
            if dtype is None:
                raise ValueError("Either initial_state or dtype needs to be specified")
            z = array_ops.zeros(concat_split_ops.stack([batch, self.num_units]), dtype=dtype)
            initial_state = z, z
        else:
            if len(initial_state) != 2:
                raise ValueError("Expecting initial_state to be a tuple with length 2 or None")
            dtype = dtype or initial_state[0].dtype
        if sequence_length is not None:
            sequence_length = convert_to_tensor(sequence_length)
        initial_cs, initial_h = initial_state
        cell_states, outputs = self._call_cell(inputs, initial_cs, initial_h, dtype,
                                               sequence_length)
        if sequence_length is not None:
            mask = transform_ops.transpose(sequence_mask(sequence_length, time_len, dtype=dtype),
                                           [1, 0])
            outputs = outputs * transform_ops.expand_dims(mask, -1)
            # (the initial states in front: a row of length 0 ends with them)
            cell_states = concat_split_ops.concat(
                [transform_ops.expand_dims(initial_cs, 0), cell_states], 0)
            all_outputs = concat_split_ops.concat(
                [transform_ops.expand_dims(initial_h, 0), outputs], 0)
            where = concat_split_ops.stack(
                [math_ops.cast(sequence_length, _dt.int32), range_(batch)], axis=1)
            final_cs = gather_ops.gather_nd(cell_states, where)
            final_h = gather_ops.gather_nd(all_outputs, where)
        else:
            final_cs, final_h = cell_states[-1], outputs[-1]
        if is_list:
            outputs = concat_split_ops.unstack(outputs)
        return outputs, LSTMStateTuple(final_cs, final_h)

    @abc.abstractmethod
    def _call_cell(self, inputs, initial_cell_state, initial_output, dtype, sequence_length):
        """(cell states, outputs) [time, batch, num_units] of the whole sequence."""


class LSTMBlockFusedCell(LSTMBlockWrapper):
    """TF1's ``tf.contrib.rnn.LSTMBlockFusedCell``: the whole sequence as one BlockLSTM op
    (variables ``lstm_fused_cell/kernel``, ``bias``, peepholes ``w_i_diag``...)."""

    def __init__(self, num_units, forget_bias=1.0, cell_clip=None, use_peephole=False,
                 reuse=None, dtype=None, name="lstm_fused_cell"):
        super().__init__(name, reuse)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._cell_clip = cell_clip if cell_clip is not None else -1
        self._use_peephole = use_peephole
        self._dtype = dtype

    def _call_cell(self, inputs, initial_cell_state, initial_output, dtype, sequence_length):
        n, depth = self._num_units, inputs.shape[2].value
        vdtype = self._dtype or inputs.dtype
        kernel = get_variable("kernel", [depth + n, 4 * n], dtype=vdtype)
        bias = get_variable("bias", [4 * n], dtype=vdtype,
                            initializer=init_ops.constant_initializer(0.0))
        wci, wcf, wco = _peepholes(self._use_peephole, n, dtype)
        if sequence_length is None:
            time_len = inputs.shape[0].value
            time_len = time_len if time_len is not None else array_ops.shape(inputs)[0]
            max_len = math_ops.cast(time_len, _dt.int64)
        else:
            max_len = math_ops.cast(reduction_ops.reduce_max(sequence_length), _dt.int64)
        _, cs, _, _, _, _, h = BLOCK_LSTM(
            max_len, inputs, initial_cell_state, initial_output, kernel, wci, wcf, wco, bias,
            forget_bias=float(self._forget_bias), cell_clip=float(self._cell_clip),
            use_peephole=self._use_peephole)
        return cs, h


class GRUBlockCell(RNNCell):
    """TF1's ``tf.contrib.rnn.GRUBlockCell``: tf.nn.rnn_cell.GRUCell's equations as one
    GRUBlockCell op, variables ``w_ru``, ``b_ru`` (ones), ``w_c``, ``b_c`` (zeros)."""

    _base_name = "gru_cell"

    def __init__(self, num_units=None, cell_size=None, reuse=None, name="gru_cell"):
        super().__init__(None, reuse)
        if (cell_size is None) == (num_units is None):
            raise ValueError("Exactly one of num_units or cell_size must be provided.")
        self._base_name = name or "gru_cell"
        self._cell_size = num_units if num_units is not None else cell_size

    state_size = property(lambda self: self._cell_size)
    output_size = property(lambda self: self._cell_size)

    def _variables(self, depth, dtype):
        n = self._cell_size
        return (get_variable("w_ru", [depth + n, 2 * n], dtype=dtype),
                get_variable("b_ru", [2 * n], dtype=dtype,
                             initializer=init_ops.constant_initializer(1.0)),
                get_variable("w_c", [depth + n, n], dtype=dtype),
                get_variable("b_c", [n], dtype=dtype,
                             initializer=init_ops.constant_initializer(0.0)))

    def _step(self, inputs, h_prev):
        if inputs.shape.rank != 2:
            raise ValueError(f"Input 0 of layer {self._base_name} is incompatible with the "
                             f"layer: expected ndim=2, found ndim={inputs.shape.rank}. Full "
                             f"shape received: {inputs.shape}")
        depth = inputs.shape[1].value
        if depth is None:
            raise ValueError("Expecting input_size to be set.")
        w_ru, b_ru, w_c, b_c = self._variables(depth, inputs.dtype)
        _, _, _, new_h = GRU_BLOCK_CELL(inputs, h_prev, w_ru, w_c, b_ru, b_c)
        return new_h, new_h


class GRUBlockCellV2(GRUBlockCell):
    """TF1's ``tf.contrib.rnn.GRUBlockCellV2``: GRUBlockCell with GRUCell's variable names
    (``gates/kernel``, ``gates/bias``, ``candidate/kernel``, ``candidate/bias``)."""

    _base_name = "gru_cell"

    def _variables(self, depth, dtype):
        n = self._cell_size
        with variable_scope("gates"):
            w_ru = get_variable("kernel", [depth + n, 2 * n], dtype=dtype)
            b_ru = get_variable("bias", [2 * n], dtype=dtype,
                                initializer=init_ops.constant_initializer(1.0))
        with variable_scope("candidate"):
            w_c = get_variable("kernel", [depth + n, n], dtype=dtype)
            b_c = get_variable("bias", [n], dtype=dtype,
                               initializer=init_ops.constant_initializer(0.0))
        return w_ru, b_ru, w_c, b_c


class FusedRNNCell(abc.ABC):
    """TF1's ``tf.contrib.rnn.FusedRNNCell``: the interface of a cell run over a whole
    time-major sequence, ``cell(inputs, initial_state, dtype, sequence_length, scope)``."""

    @abc.abstractmethod
    def __call__(self, inputs, initial_state=None, dtype=None, sequence_length=None,
                 scope=None):
        """(outputs, final state) of the cell over ``inputs``."""


class FusedRNNCellAdaptor(FusedRNNCell):
    """TF1's ``FusedRNNCellAdaptor``: an RNNCell run as a FusedRNNCell, by static_rnn or (with
    ``use_dynamic_rnn``) time-major dynamic_rnn."""

    def __init__(self, cell, use_dynamic_rnn=False):
        self._cell = cell
        self._use_dynamic_rnn = use_dynamic_rnn

    def __call__(self, inputs, initial_state=None, dtype=None, sequence_length=None,
                 scope=None):
        is_list = isinstance(inputs, list)
        if self._use_dynamic_rnn:
            if is_list:
                inputs = concat_split_ops.stack(inputs)
            outputs, state = dynamic_rnn(self._cell, inputs, sequence_length=sequence_length,
                                         initial_state=initial_state, dtype=dtype,
                                         time_major=True, scope=scope)
            return (concat_split_ops.unstack(outputs) if is_list else outputs), state
        if not is_list:
            inputs = concat_split_ops.unstack(inputs)
        outputs, state = static_rnn(self._cell, inputs, initial_state=initial_state,
                                    dtype=dtype, sequence_length=sequence_length, scope=scope)
        return (outputs if is_list else concat_split_ops.stack(outputs)), state


class TimeReversedFusedRNN(FusedRNNCell):
    """TF1's ``TimeReversedFusedRNN``: a FusedRNNCell run over its inputs reversed in time
    (each row's first ``sequence_length`` steps), its outputs reversed back."""

    def __init__(self, cell):
        self._cell = cell

    @staticmethod
    def _reverse(t, lengths):
        if isinstance(t, list):
            return list(reversed(t))
        if lengths is None:
            return reverse(t, [0])
        return transform_ops.reverse_sequence(t, lengths, seq_axis=0, batch_axis=1)

    def __call__(self, inputs, initial_state=None, dtype=None, sequence_length=None,
                 scope=None):
        outputs, state = self._cell(self._reverse(inputs, sequence_length),
                                    initial_state=initial_state, dtype=dtype,
                                    sequence_length=sequence_length, scope=scope)
        return self._reverse(outputs, sequence_length), state
