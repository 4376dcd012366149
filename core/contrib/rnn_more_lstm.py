"""TF 1.x contrib.rnn's LayerNormLSTMCell, GLSTMCell and PhasedLSTMCell
(``contrib/rnn/python/ops/rnn_cell.py``), built as TF 1.15 builds them, with its variable names:

- LayerNormLSTMCell: LSTMCell's ``kernel``, ``bias`` (made but not added with layer norm),
  ``w_f_diag``/``w_i_diag``/``w_o_diag``, ``projection/kernel``, and per gate
  ``input/gamma``... ``state/beta`` (contrib.layers.layer_norm, epsilon 1e-12);
- GLSTMCell: ``group<k>/kernel`` per group (no bias), ``bias_i``/``bias_j``/``bias_f``/
  ``bias_o``, ``projection/kernel``;
- PhasedLSTMCell: ``mask_gates``/``new_input``/``output_gate`` ``kernel``+``bias``,
  ``period``, ``phase``, ``ratio_on``.
"""

from __future__ import annotations

import math

from .. import init_ops
from ..layer_identifiers import activation_of
from ..ops import (array_ops, concat_split_ops, linalg_ops, logic_ops, math_ops, nn_ops,
                   slicing_ops, unary_ops)
from ..rnn import LSTMStateTuple
from ..variables import get_variable, get_variable_scope, variable_scope
from .rnn_cells import _input_depth, _layer_norm
from .rnn_legacy import _linear_args
from .rnn_more import _NamedCell

__all__ = ["GLSTMCell", "LayerNormLSTMCell", "PhasedLSTMCell"]

sigmoid, tanh = unary_ops.sigmoid, unary_ops.tanh


def _linear(args, output_size, bias, add_bias=True, kernel_initializer=None):
    """TF1's ``_Linear`` / LayerNormLSTMCell._linear: ``kernel`` (and ``bias``, zeros) in the
    current scope over the args side by side; the bias made but not added without
    ``add_bias`` (LayerNormLSTMCell with layer norm)."""
    args, shapes = _linear_args(args)
    dtype = args[0].dtype
    kernel = get_variable("kernel", [sum(s[1].value for s in shapes), output_size],
                          dtype=dtype, initializer=kernel_initializer)
    x = args[0] if len(args) == 1 else concat_split_ops.concat(args, 1)
    res = linalg_ops.matmul(x, kernel)
    if not bias:
        return res
    biases = get_variable("bias", [output_size], dtype=dtype,
                          initializer=init_ops.constant_initializer(0.0))
    return nn_ops.bias_add(res, biases) if add_bias else res


class LayerNormLSTMCell(_NamedCell):
    """TF1's ``tf.contrib.rnn.LayerNormLSTMCell``: LSTMCell (peepholes, ``cell_clip``,
    ``num_proj``/``proj_clip``) with, when ``layer_norm``, each gate and the new cell state
    layer-normalized before their nonlinearities (gamma ``norm_gain``, beta ``norm_shift``;
    the bias is then unused), the state normalized before the clip."""

    _base_name = "layer_norm_lstm_cell"

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, forget_bias=1.0, activation=None,
                 layer_norm=False, norm_gain=1.0, norm_shift=0.0, reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._use_peepholes = num_units, use_peepholes
        self._cell_clip, self._initializer = cell_clip, initializer
        self._num_proj, self._proj_clip = num_proj, proj_clip
        self._forget_bias = forget_bias
        self._activation = activation_of(activation) or tanh
        self._layer_norm, self._norm_gain, self._norm_shift = layer_norm, norm_gain, norm_shift
        proj = num_proj or num_units
        self._state_size = LSTMStateTuple(num_units, proj)
        self._output_size = proj

    state_size = property(lambda self: self._state_size)
    output_size = property(lambda self: self._output_size)

    def _step(self, inputs, state):
        c_prev, m_prev = state
        n, dtype = self._num_units, inputs.dtype
        _input_depth(inputs)
        with variable_scope(get_variable_scope(), initializer=self._initializer):
            lstm_matrix = _linear([inputs, m_prev], 4 * n, bias=True,
                                  add_bias=not self._layer_norm)
            i, j, f, o = concat_split_ops.split(lstm_matrix, 4, axis=1)
            if self._layer_norm:
                i, j, f, o = (_layer_norm(t, s, self._norm_gain, self._norm_shift) for t, s in
                              ((i, "input"), (j, "transform"), (f, "forget"), (o, "output")))
            if self._use_peepholes:
                w_f, w_i, w_o = (get_variable(f"w_{g}_diag", [n], dtype=dtype)
                                 for g in "fio")
                c = sigmoid(f + self._forget_bias + w_f * c_prev) * c_prev + \
                    sigmoid(i + w_i * c_prev) * self._activation(j)
            else:
                c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
            if self._layer_norm:
                c = _layer_norm(c, "state", self._norm_gain, self._norm_shift)
            if self._cell_clip is not None:
                c = math_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
            gate = o + w_o * c if self._use_peepholes else o
            m = sigmoid(gate) * self._activation(c)
            if self._num_proj is not None:
                with variable_scope("projection"):
                    m = _linear(m, self._num_proj, bias=False)
                if self._proj_clip is not None:
                    m = math_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m, LSTMStateTuple(c, m)


class GLSTMCell(_NamedCell):
    """TF1's ``tf.contrib.rnn.GLSTMCell`` (Kuchaiev & Ginsburg, 2017): ``number_of_groups``
    LSTM sub-cells, group k reading the k-th slice of the inputs and of the previous output
    (its own ``group<k>/kernel``, no bias), their gates side by side plus ``bias_i``...
    ``bias_o``; optional projection ``projection/kernel``."""

    _base_name = "glstm_cell"

    def __init__(self, num_units, initializer=None, num_proj=None, number_of_groups=1,
                 forget_bias=1.0, activation=None, reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._initializer, self._num_proj = num_units, initializer, num_proj
        self._forget_bias = forget_bias
        self._activation = activation_of(activation) or tanh
        self._number_of_groups = number_of_groups
        if num_units % number_of_groups != 0:
            raise ValueError("num_units must be divisible by number_of_groups")
        if num_proj and num_proj % number_of_groups != 0:
            raise ValueError("num_proj must be divisible by number_of_groups")
        self._group_shape = [(num_proj or num_units) // number_of_groups,
                             num_units // number_of_groups]
        self._state_size = LSTMStateTuple(num_units, num_proj or num_units)
        self._output_size = num_proj or num_units

    state_size = property(lambda self: self._state_size)
    output_size = property(lambda self: self._output_size)

    def _step(self, inputs, state):
        c_prev, m_prev = state
        groups, (out_group, unit_group) = self._number_of_groups, self._group_shape
        input_size = inputs.shape[1].value if inputs.shape.rank == 2 else None
        if input_size is None:
            raise ValueError("input size must be statically known")
        if input_size % groups != 0:
            raise ValueError(f"input size ({input_size}) must be divisible by "
                             f"number_of_groups ({groups})")
        in_group, dtype = input_size // groups, inputs.dtype

        def group_slice(x, k, size):
            return slicing_ops.slice_(x, [0, k * size], [-1, size],
                                      name=f"GLSTM_group{k}_input_generation")

        parts = [[], [], [], []]
        with variable_scope(get_variable_scope(), initializer=self._initializer):
            for k in range(groups):
                with variable_scope(f"group{k}"):
                    x_k = concat_split_ops.concat(
                        [group_slice(inputs, k, in_group), group_slice(m_prev, k, out_group)],
                        axis=1)
                    for part, gate in zip(parts, concat_split_ops.split(
                            _linear(x_k, 4 * unit_group, bias=False), 4, axis=1)):
                        part.append(gate)
            i, j, f, o = (nn_ops.bias_add(concat_split_ops.concat(part, axis=1), get_variable(
                f"bias_{g}", [self._num_units], dtype=dtype,
                initializer=init_ops.constant_initializer(0.0))) for part, g in zip(parts, "ijfo"))
        c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * tanh(j)
        m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            # (outside the initializer's scope, as in TF1)
            with variable_scope("projection"):
                m = _linear(m, self._num_proj, bias=False)
        return m, LSTMStateTuple(c, m)


def _random_exp_initializer(minval, maxval, seed=None):
    """TF1's ``_random_exp_initializer``: ``exp(uniform(log minval, log maxval))``."""
    from ..ops.random_ops import random_uniform

    def initializer(shape, dtype=None, partition_info=None):
        return unary_ops.exp(random_uniform(shape, math.log(minval), math.log(maxval),
                                            dtype=dtype or "float32", seed=seed))

    return initializer


class PhasedLSTMCell(_NamedCell):
    """TF1's ``tf.contrib.rnn.PhasedLSTMCell`` (Neil et al., 2016): an LSTM whose updates
    pass through a time gate ``k`` that opens for a ``ratio_on`` fraction of each unit's
    ``period`` (shifted by ``phase``), leaking ``leak`` while closed. Inputs are ``(time,
    features)``, time [batch, 1]."""

    _base_name = "phased_lstm_cell"

    def __init__(self, num_units, use_peepholes=False, leak=0.001, ratio_on=0.1,
                 trainable_ratio_on=True, period_init_min=1.0, period_init_max=1000.0,
                 reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._use_peepholes, self._leak = num_units, use_peepholes, leak
        self._ratio_on, self._trainable_ratio_on = ratio_on, trainable_ratio_on
        self._period_init_min, self._period_init_max = period_init_min, period_init_max

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_units))
    output_size = property(lambda self: self._num_units)

    @staticmethod
    def _mod(x, y):
        """``x mod y`` whose gradient wrt x is 1 (TF1's stop_gradient trick)."""
        return array_ops.stop_gradient(math_ops.floormod(x, y) - x) + x

    def _get_cycle_ratio(self, time, phase, period):
        shifted = time - math_ops.cast(phase, time.dtype)
        period = math_ops.cast(period, time.dtype)
        return math_ops.cast(self._mod(shifted, period) / period, "float32")

    def _step(self, inputs, state):
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            raise ValueError("PhasedLSTMCell expects inputs (time, features), time of shape "
                             "[batch, 1]")
        c_prev, h_prev = state
        time, x = inputs
        n = self._num_units
        in_mask = [x, h_prev] + ([c_prev] if self._use_peepholes else [])
        with variable_scope("mask_gates"):
            input_gate, forget_gate = concat_split_ops.split(
                sigmoid(_linear(in_mask, 2 * n, bias=True)), 2, axis=1)
        with variable_scope("new_input"):
            new_input = tanh(_linear([x, h_prev], n, bias=True))
        new_c = c_prev * forget_gate + input_gate * new_input
        in_out = [x, h_prev] + ([new_c] if self._use_peepholes else [])
        with variable_scope("output_gate"):
            output_gate = sigmoid(_linear(in_out, n, bias=True))
        new_h = tanh(new_c) * output_gate
        period = get_variable("period", [n], initializer=_random_exp_initializer(
            self._period_init_min, self._period_init_max))
        phase = get_variable("phase", [n], initializer=init_ops.random_uniform_initializer(
            0.0, period.initial_value))
        ratio_on = get_variable("ratio_on", [n],
                                initializer=init_ops.constant_initializer(self._ratio_on),
                                trainable=self._trainable_ratio_on)
        cycle_ratio = self._get_cycle_ratio(time, phase, period)
        k_up = 2 * cycle_ratio / ratio_on
        k_down = 2 - k_up
        k_closed = self._leak * cycle_ratio
        k = logic_ops.where(logic_ops.less(cycle_ratio, ratio_on), k_down, k_closed)
        k = logic_ops.where(logic_ops.less(cycle_ratio, 0.5 * ratio_on), k_up, k)
        new_c = k * new_c + (1 - k) * c_prev
        new_h = k * new_h + (1 - k) * h_prev
        return new_h, LSTMStateTuple(new_c, new_h)
