"""TF 1.x contrib.rnn's time-frequency cells and WeightNormLSTMCell
(``contrib/rnn/python/ops/rnn_cell.py``), built as TF 1.15 builds them, with its variable names
(each cell's scope named after its class, ``grid_lstm_cell``... as TF1's layers):

- TimeFreqLSTMCell (Sainath & Li, 2016): one LSTM stepped over frequency windows of the input
  (``feature_size`` wide, ``frequency_skip`` apart), each window also reading the previous
  window's output; ``W_0`` (TF1's one-shard ``_get_concat_variable`` name), ``B``,
  ``W_F_diag``/``W_I_diag``/``W_O_diag``;
- GridLSTMCell (Kalchbrenner et al., 2016): per window a frequency LSTM and a time LSTM, per
  frequency block ``k`` ``W_f_k_0``/``B_f_k`` and ``W_t_k_0``/``B_t_k`` (one set when
  ``share_time_frequency_weights``), peepholes ``W_F_diag_freqf_k``... ``W_O_diag_timet_k``;
  a namedtuple state of fields ``state_f00_b00_c``, ``state_f00_b00_m``...;
- BidirectionalGridLSTMCell: the grid run over the windows forwards (``fwd/...``) and
  backwards (``bwd/...``), outputs side by side;
- WeightNormLSTMCell (Salimans & Kingma, 2016): LSTMCell whose kernel's column blocks are
  l2-normalized and scaled by ``norm_<i>``, in scope ``wn_lstm_cell``: ``kernel``,
  ``norm_0``, ``norm_1``, ``bias``, ``w_f_diag``..., ``projection/kernel``.
"""

from __future__ import annotations

import collections

from .. import init_ops
from ..layer_identifiers import activation_of
from ..nn_impl import l2_normalize
from ..ops import concat_split_ops, linalg_ops, math_ops, nn_ops, pad_ops, shape_ops, slicing_ops
from ..ops import unary_ops
from ..rnn import LSTMStateTuple, RNNCell
from ..rnn_extra import _zeros
from ..variables import get_variable, get_variable_scope, variable_scope
from .rnn_cells import _concat_variable
from .rnn_legacy import _linear_args

__all__ = ["BidirectionalGridLSTMCell", "GridLSTMCell", "TimeFreqLSTMCell",
           "WeightNormLSTMCell"]

sigmoid, tanh = unary_ops.sigmoid, unary_ops.tanh


def _feature_depth(cell, inputs):
    if inputs.shape.rank not in (None, 2):
        raise ValueError(f"{cell}: inputs must have rank 2 [batch, depth], got {inputs.shape}")
    depth = inputs.shape[1].value if inputs.shape.rank == 2 else None
    if depth is None:
        raise ValueError(f"{cell}: cannot infer input_size from static shape inference "
                         f"(inputs {inputs.shape})")
    return depth


def _batch_size(inputs):
    return inputs.shape[0].value or shape_ops.shape(inputs)[0]


def _window_count(cell, width, feature_size, frequency_skip, what):
    """TF1's ``int((width - feature_size) / frequency_skip) + 1`` windows, refused when
    ``width`` cannot hold even one window."""
    if feature_size is None or frequency_skip is None:
        raise ValueError(f"{cell} needs feature_size and frequency_skip (got {feature_size}, "
                         f"{frequency_skip})")
    if frequency_skip <= 0:
        raise ValueError(f"{cell}: frequency_skip must be positive, got {frequency_skip}")
    if width < feature_size:
        raise ValueError(f"{cell}: {what} ({width}) is smaller than feature_size "
                         f"({feature_size})")
    return int((width - feature_size) / frequency_skip) + 1


def _clip(c, clip):
    return c if clip is None else math_ops.clip_by_value(c, -clip, clip)


def _width(state):
    return state.shape[1].value if state.shape.rank == 2 else None


class TimeFreqLSTMCell(RNNCell):
    """TF1's ``tf.contrib.rnn.TimeFreqLSTMCell``: an LSTM stepped over the frequency windows of
    each input (``feature_size`` columns every ``frequency_skip``), window k reading
    ``[x_k, m_prev_k, m_k-1]``; state and output are the windows' ``[c, m]`` / ``m`` side by
    side. As in TF1, ``state_size`` (2 * num_units) and ``output_size`` (num_units) count one
    window, so a run over several windows is given an initial state of
    ``2 * num_units * windows`` columns."""

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_unit_shards=1, forget_bias=1.0, feature_size=None, frequency_skip=1,
                 reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._use_peepholes, self._cell_clip = num_units, use_peepholes, \
            cell_clip
        self._initializer, self._num_unit_shards = initializer, num_unit_shards
        self._forget_bias = forget_bias
        self._feature_size, self._frequency_skip = feature_size, frequency_skip
        self._state_size, self._output_size = 2 * num_units, num_units

    state_size = property(lambda self: self._state_size)
    output_size = property(lambda self: self._output_size)

    def _make_tf_features(self, inputs):
        depth = _feature_depth(type(self).__name__, inputs)
        count = _window_count(type(self).__name__, depth, self._feature_size,
                              self._frequency_skip, "input depth")
        return [slicing_ops.slice_(inputs, [0, k * self._frequency_skip],
                                   [-1, self._feature_size]) for k in range(count)]

    def _step(self, inputs, state):
        n, dtype = self._num_units, inputs.dtype
        windows = self._make_tf_features(inputs)
        width = _width(state)
        if width is not None and width != 2 * n * len(windows):
            raise ValueError(
                f"TimeFreqLSTMCell: state has {width} columns, but {len(windows)} frequency "
                f"windows of {n} units need {2 * n * len(windows)} ([c, m] per window; "
                f"state_size counts one window, as TF1's)")
        # (TF1 makes these outside any initializer scope; minitf applies ``initializer`` to
        # the weights and peepholes as the argument's documentation says)
        with variable_scope(get_variable_scope(), initializer=self._initializer):
            w = _concat_variable("W", [self._feature_size + 2 * n, 4 * n], dtype,
                                 self._num_unit_shards)
            b = get_variable("B", [4 * n], dtype=dtype, initializer=init_ops.zeros_initializer())
            if self._use_peepholes:
                w_f, w_i, w_o = (get_variable(f"W_{g}_diag", [n], dtype=dtype) for g in "FIO")
        m_prev_freq = _zeros(_batch_size(inputs), n, dtype)
        states, outputs = [], []
        for k, x in enumerate(windows):
            c_prev = slicing_ops.slice_(state, [0, 2 * k * n], [-1, n])
            m_prev = slicing_ops.slice_(state, [0, (2 * k + 1) * n], [-1, n])
            matrix = nn_ops.bias_add(linalg_ops.matmul(
                concat_split_ops.concat([x, m_prev, m_prev_freq], 1), w), b)
            i, j, f, o = concat_split_ops.split(matrix, 4, axis=1)
            if self._use_peepholes:
                c = sigmoid(f + self._forget_bias + w_f * c_prev) * c_prev + \
                    sigmoid(i + w_i * c_prev) * tanh(j)
            else:
                c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * tanh(j)
            c = _clip(c, self._cell_clip)
            m = sigmoid(o + w_o * c if self._use_peepholes else o) * tanh(c)
            m_prev_freq = m
            states += [c, m]
            outputs.append(m)
        out = outputs[0] if len(outputs) == 1 else concat_split_ops.concat(outputs, 1)
        return out, concat_split_ops.concat(states, 1)


class GridLSTMCell(RNNCell):
    """TF1's ``tf.contrib.rnn.GridLSTMCell``: per frequency window a frequency LSTM (carried
    along the windows) and a time LSTM (carried through the state), both reading
    ``[x_k, m_time_prev, m_freq_prev]``. The windows come in ``num_frequency_blocks`` blocks
    (one block over the whole input, or block b over columns
    ``[start_freqindex_list[b], end_freqindex_list[b])``), each with its own weights. The
    output is ``[m_time, m_freq]`` per window; the state ``(c_time, m_time)`` per window, a
    namedtuple (``state_f<window>_b<block>_c``...) when ``state_is_tuple``."""

    def __init__(self, num_units, use_peepholes=False, share_time_frequency_weights=False,
                 cell_clip=None, initializer=None, num_unit_shards=1, forget_bias=1.0,
                 feature_size=None, frequency_skip=None, num_frequency_blocks=None,
                 start_freqindex_list=None, end_freqindex_list=None,
                 couple_input_forget_gates=False, state_is_tuple=True, reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._use_peepholes = num_units, use_peepholes
        self._share_time_frequency_weights = share_time_frequency_weights
        self._couple_input_forget_gates = couple_input_forget_gates
        self._state_is_tuple, self._cell_clip = state_is_tuple, cell_clip
        self._initializer, self._num_unit_shards = initializer, num_unit_shards
        self._forget_bias = forget_bias
        self._feature_size, self._frequency_skip = feature_size, frequency_skip
        self._start_freqindex_list = start_freqindex_list
        self._end_freqindex_list = end_freqindex_list
        if num_frequency_blocks is None:
            raise ValueError("Must specify num_frequency_blocks")
        self._num_frequency_blocks = list(num_frequency_blocks)
        self._total_blocks = sum(int(b) for b in self._num_frequency_blocks)
        if state_is_tuple:
            self._state_tuple_type = self._tuple_type("GridLSTMStateTuple", ["state"])
            self._state_size = self._state_tuple_type(*[num_units] * (2 * self._total_blocks))
        else:
            self._state_tuple_type = None
            self._state_size = num_units * self._total_blocks * 2
        self._output_size = num_units * self._total_blocks * 2

    def _tuple_type(self, name, prefixes):
        fields = [f"{prefix}_f{f:02d}_b{b:02d}_{part}" for prefix in prefixes
                  for b, count in enumerate(self._num_frequency_blocks)
                  for f in range(count) for part in "cm"]
        return collections.namedtuple(name, fields)

    state_size = property(lambda self: self._state_size)
    output_size = property(lambda self: self._output_size)
    state_tuple_type = property(lambda self: self._state_tuple_type)

    def _check_state(self, state):
        """The state as ``state_tuple_type`` (a plain tuple of the right length is taken
        field by field), or a [batch, state_size] tensor when not ``state_is_tuple``."""
        kind = self._state_tuple_type
        if kind is None:
            width = _width(state)
            if width is not None and width != self._state_size:
                raise ValueError(f"{type(self).__name__}: state has {width} columns, "
                                 f"expected state_size {self._state_size}")
            return state
        if isinstance(state, kind):
            return state
        if not isinstance(state, (tuple, list)) or len(state) != len(kind._fields):
            got = len(state) if isinstance(state, (tuple, list)) else type(state).__name__
            raise ValueError(f"{type(self).__name__}: state must be a {kind.__name__} of "
                             f"{len(kind._fields)} tensors ({kind._fields[0]}, ...), got {got}")
        return kind(*state)

    def _make_tf_features(self, inputs, slice_offset=0):
        """Per block, the list of its windows (``slice_offset``: the backward direction's shift,
        the input zero-padded at the end (> 0) or the front (< 0) to make room)."""
        name = type(self).__name__
        depth = _feature_depth(name, inputs)
        if slice_offset > 0:
            inputs = pad_ops.pad(inputs, [[0, 0], [0, slice_offset]])
        elif slice_offset < 0:
            inputs = pad_ops.pad(inputs, [[0, 0], [-slice_offset, 0]])
            slice_offset = 0
        if not self._start_freqindex_list:
            if len(self._num_frequency_blocks) != 1:
                raise ValueError(f"Length of num_frequency_blocks is not 1, but instead is "
                                 f"{len(self._num_frequency_blocks)} (without "
                                 f"start_freqindex_list the input is one block)")
            spans = [(0, depth)]
        else:
            starts, ends = self._start_freqindex_list, self._end_freqindex_list or []
            if len(starts) != len(ends):
                raise ValueError(f"Length of start and end freqindex_list does not match: "
                                 f"{len(starts)} != {len(ends)}")
            if len(self._num_frequency_blocks) != len(starts):
                raise ValueError(f"Length of num_frequency_blocks is not equal to "
                                 f"start_freqindex_list: {len(self._num_frequency_blocks)} != "
                                 f"{len(starts)}")
            spans = list(zip(starts, ends))
        blocks = []
        for b, (start, end) in enumerate(spans):
            if not 0 <= start <= end <= depth:
                raise ValueError(f"{name}: frequency block {b} spans columns [{start}, {end}), "
                                 f"outside the input's depth {depth}")
            count = _window_count(name, end - start, self._feature_size, self._frequency_skip,
                                  "input depth" if not self._start_freqindex_list else
                                  f"the width of frequency block {b}, columns [{start}, {end}),")
            if count != self._num_frequency_blocks[b]:
                raise ValueError(
                    f"Invalid num_frequency_blocks, requires {count} but gets "
                    f"{self._num_frequency_blocks[b]} for block {b}: columns [{start}, {end}) "
                    f"with feature_size {self._feature_size} and frequency_skip "
                    f"{self._frequency_skip} make {count} windows; please check the input "
                    f"size and filter config are correct.")
            blocks.append([slicing_ops.slice_(
                inputs, [0, start + slice_offset + k * self._frequency_skip],
                [-1, self._feature_size]) for k in range(count)])
        return blocks

    def _step(self, inputs, state):
        state = self._check_state(state)
        blocks = self._make_tf_features(inputs)
        batch = _batch_size(inputs)
        outputs, states = [], []
        with variable_scope(get_variable_scope(), initializer=self._initializer):
            for block, windows in enumerate(blocks):
                out, st = self._compute(windows, block, state, batch,
                                        state_is_tuple=self._state_is_tuple)
                outputs += out
                states += st
        new_state = self._state_tuple_type(*states) if self._state_is_tuple else \
            concat_split_ops.concat(states, 1)
        return concat_split_ops.concat(outputs, 1), new_state

    def _compute(self, windows, block, state, batch, state_prefix="state", state_is_tuple=True):
        """One block's windows: (outputs [m_time, m_freq, ...], states [c_time, m_time...])."""
        n, dtype = self._num_units, windows[0].dtype
        coupled, share = self._couple_input_forget_gates, self._share_time_frequency_weights
        gates = 3 if coupled else 4
        rows = windows[0].shape[1].value + 2 * n
        w_freq = _concat_variable(f"W_f_{block}", [rows, gates * n], dtype,
                                  self._num_unit_shards)
        b_freq = get_variable(f"B_f_{block}", [gates * n], dtype=dtype,
                              initializer=init_ops.zeros_initializer())
        if not share:
            w_time = _concat_variable(f"W_t_{block}", [rows, gates * n], dtype,
                                      self._num_unit_shards)
            b_time = get_variable(f"B_t_{block}", [gates * n], dtype=dtype,
                                  initializer=init_ops.zeros_initializer())
        # peep[(lstm, gate)] = (weight on the frequency cell, weight on the time cell)
        peep = {}
        if self._use_peepholes:
            for lstm in ("freq",) if share else ("freq", "time"):
                for gate in "IO" if coupled else "FIO":
                    peep[lstm, gate] = tuple(get_variable(
                        f"W_{gate}_diag_{lstm}{src}_{block}", [n], dtype=dtype) for src in "ft")
            if share:
                peep.update({("time", g): peep["freq", g] for g in "FIO" if ("freq", g) in peep})

        def gate_act(pre, lstm, gate, c_freq, c_time, bias=None):
            pre = pre if bias is None else pre + bias
            if self._use_peepholes:
                w_on_freq, w_on_time = peep[lstm, gate]
                pre = pre + w_on_freq * c_freq + w_on_time * c_time
            return sigmoid(pre)

        def unpack(matrix):
            parts = concat_split_ops.split(matrix, gates, axis=1)
            return (parts[0], parts[1], None, parts[2]) if coupled else tuple(parts)

        m_prev_freq = _zeros(batch, n, dtype)
        c_prev_freq = _zeros(batch, n, dtype)
        outputs, states = [], []
        for k, x in enumerate(windows):
            if state_is_tuple:
                prefix = f"{state_prefix}_f{k:02d}_b{block:02d}"
                c_prev_time, m_prev_time = getattr(state, prefix + "_c"), \
                    getattr(state, prefix + "_m")
            else:
                # (As TF1: the offset counts windows within the block only, so with several
                # blocks a concatenated state is read from block 0's columns.)
                c_prev_time = slicing_ops.slice_(state, [0, 2 * k * n], [-1, n])
                m_prev_time = slicing_ops.slice_(state, [0, (2 * k + 1) * n], [-1, n])
            cell_inputs = concat_split_ops.concat([x, m_prev_time, m_prev_freq], 1)
            i_f, j_f, f_f, o_f = unpack(nn_ops.bias_add(linalg_ops.matmul(cell_inputs, w_freq),
                                                        b_freq))
            if share:
                i_t, j_t, f_t, o_t = i_f, j_f, f_f, o_f
            else:
                i_t, j_t, f_t, o_t = unpack(nn_ops.bias_add(
                    linalg_ops.matmul(cell_inputs, w_time), b_time))
            cells = {}
            for lstm, i, j, f, c_own in (("freq", i_f, j_f, f_f, c_prev_freq),
                                         ("time", i_t, j_t, f_t, c_prev_time)):
                i_g = gate_act(i, lstm, "I", c_prev_freq, c_prev_time)
                f_g = 1.0 - i_g if coupled else \
                    gate_act(f, lstm, "F", c_prev_freq, c_prev_time, bias=self._forget_bias)
                cells[lstm] = _clip(f_g * c_own + i_g * tanh(j), self._cell_clip)
            c_freq, c_time = cells["freq"], cells["time"]
            m_freq = gate_act(o_f, "freq", "O", c_freq, c_time) * tanh(c_freq)
            m_time = gate_act(o_t, "time", "O", c_freq, c_time) * tanh(c_time)
            m_prev_freq, c_prev_freq = m_freq, c_freq
            states += [c_time, m_time]
            outputs += [m_time, m_freq]
        return outputs, states


class BidirectionalGridLSTMCell(GridLSTMCell):
    """TF1's ``tf.contrib.rnn.BidirectionalGridLSTMCell``: GridLSTMCell run over each block's
    windows forwards (scope ``fwd``) and backwards (scope ``bwd``, the windows shifted by
    ``backward_slice_offset`` columns), each with its own weights; the state is always a
    namedtuple (``fwd_state_f00_b00_c``... then ``bwd_state_...``), the output the forward
    then the backward ``[m_time, m_freq]`` per window."""

    def __init__(self, num_units, use_peepholes=False, share_time_frequency_weights=False,
                 cell_clip=None, initializer=None, num_unit_shards=1, forget_bias=1.0,
                 feature_size=None, frequency_skip=None, num_frequency_blocks=None,
                 start_freqindex_list=None, end_freqindex_list=None,
                 couple_input_forget_gates=False, backward_slice_offset=0, reuse=None):
        super().__init__(num_units, use_peepholes, share_time_frequency_weights, cell_clip,
                         initializer, num_unit_shards, forget_bias, feature_size,
                         frequency_skip, num_frequency_blocks, start_freqindex_list,
                         end_freqindex_list, couple_input_forget_gates, True, reuse)
        self._backward_slice_offset = int(backward_slice_offset)
        self._state_tuple_type = self._tuple_type("BidirectionalGridLSTMStateTuple",
                                                  ["fwd_state", "bwd_state"])
        self._state_size = self._state_tuple_type(*[num_units] * (4 * self._total_blocks))
        self._output_size = 2 * num_units * self._total_blocks * 2

    def _step(self, inputs, state):
        state = self._check_state(state)
        fwd_windows = self._make_tf_features(inputs)
        bwd_windows = self._make_tf_features(inputs, self._backward_slice_offset) \
            if self._backward_slice_offset else fwd_windows
        batch = _batch_size(inputs)
        outputs, states = {}, {}
        with variable_scope(get_variable_scope(), initializer=self._initializer):
            for direction, blocks in (("fwd", fwd_windows), ("bwd", bwd_windows)):
                outputs[direction], states[direction] = [], []
                with variable_scope(direction):
                    for block, windows in enumerate(blocks):
                        out, st = self._compute(windows if direction == "fwd" else windows[::-1],
                                                block, state, batch,
                                                state_prefix=f"{direction}_state")
                        outputs[direction] += out
                        states[direction] += st
        new_state = self._state_tuple_type(*(states["fwd"] + states["bwd"]))
        return concat_split_ops.concat(outputs["fwd"] + outputs["bwd"], 1), new_state


class WeightNormLSTMCell(RNNCell):
    """TF1's ``tf.contrib.rnn.WeightNormLSTMCell``: LSTMCell (peepholes, ``cell_clip``,
    ``num_proj``/``proj_clip``) whose kernel, with ``norm``, is used as
    ``l2_normalize(kernel[rows of arg i], axis 0) * norm_i`` for each argument (inputs, then
    h); without ``norm`` it computes what LSTMCell does. Variables in scope ``wn_lstm_cell``
    under the cell's, made with ``initializer``."""

    def __init__(self, num_units, norm=True, use_peepholes=False, cell_clip=None,
                 initializer=None, num_proj=None, proj_clip=None, forget_bias=1, activation=None,
                 reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._norm, self._initializer = num_units, norm, initializer
        self._use_peepholes, self._cell_clip = use_peepholes, cell_clip
        self._num_proj, self._proj_clip = num_proj, proj_clip
        self._activation = activation_of(activation) or tanh
        self._forget_bias = forget_bias
        self._state_size = LSTMStateTuple(num_units, num_proj or num_units)
        self._output_size = num_proj or num_units

    state_size = property(lambda self: self._state_size)
    output_size = property(lambda self: self._output_size)

    @staticmethod
    def _linear(args, output_size, norm, bias):
        """TF1's WeightNormLSTMCell._linear: ``kernel`` (and ``norm_<i>`` per argument, each
        [output_size], the scope's initializer) over the args side by side, ``bias`` zeros."""
        args, shapes = _linear_args(args)
        dtype = args[0].dtype
        weights = get_variable("kernel", [sum(s[1].value for s in shapes), output_size],
                               dtype=dtype)
        if norm:
            parts, start = [], 0
            for k, shape in enumerate(shapes):
                end = start + shape[1].value
                g = get_variable(f"norm_{k}", [output_size], dtype=dtype)
                parts.append(l2_normalize(weights[start:end, :], axis=0) * g)
                start = end
            weights = concat_split_ops.concat(parts, 0)
        x = args[0] if len(args) == 1 else concat_split_ops.concat(args, 1)
        res = linalg_ops.matmul(x, weights)
        if not bias:
            return res
        return nn_ops.bias_add(res, get_variable(
            "bias", [output_size], dtype=dtype, initializer=init_ops.constant_initializer(0.0)))

    def _step(self, inputs, state):
        c, h = state
        n, dtype = self._num_units, inputs.dtype
        if inputs.shape.rank not in (None, 2):
            raise ValueError(f"WeightNormLSTMCell: inputs must have rank 2, got {inputs.shape}")
        if inputs.shape.rank is None or inputs.shape[1].value is None:
            raise ValueError("Could not infer input size from inputs.get_shape()[-1]")
        with variable_scope("wn_lstm_cell", initializer=self._initializer):
            i, j, f, o = concat_split_ops.split(
                self._linear([inputs, h], 4 * n, self._norm, bias=True), 4, axis=1)
            if self._use_peepholes:
                w_f, w_i, w_o = (get_variable(f"w_{g}_diag", [n], dtype=dtype) for g in "fio")
                new_c = c * sigmoid(f + self._forget_bias + w_f * c) + \
                    sigmoid(i + w_i * c) * self._activation(j)
            else:
                new_c = c * sigmoid(f + self._forget_bias) + sigmoid(i) * self._activation(j)
            new_c = _clip(new_c, self._cell_clip)
            new_h = sigmoid(o + w_o * new_c if self._use_peepholes else o) * \
                self._activation(new_c)
            if self._num_proj is not None:
                with variable_scope("projection"):
                    new_h = self._linear(new_h, self._num_proj, self._norm, bias=False)
                if self._proj_clip is not None:
                    new_h = math_ops.clip_by_value(new_h, -self._proj_clip, self._proj_clip)
        return new_h, LSTMStateTuple(new_c, new_h)
