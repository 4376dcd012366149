"""TF 1.x contrib.rnn's extra cells (``contrib/rnn/python/ops/rnn_cell.py``), built as TF1 builds
them from minitf's ops, with TF1's variable names:

- CoupledInputForgetGateLSTMCell: ``W_0``, ``B``, ``W_F_diag``, ``W_O_diag``, ``W_P_0``
  (TF1's one-shard ``_get_concat_variable`` names), layer norm ``transform/gamma``...;
- LayerNormBasicLSTMCell: ``kernel`` (``bias`` without layer norm), ``input/gamma``,
  ``input/beta``... ``state/gamma`` (contrib.layers.layer_norm: epsilon 1e-12);
- UGRNNCell, IntersectionRNNCell: ``kernel``/``bias`` of TF1's _Linear;
- NASCell: ``recurrent_kernel``, ``kernel``, ``bias``, ``projection_weights``;
- IndRNNCell / IndyGRUCell / IndyLSTMCell: ``kernel_w``, ``kernel_u`` (uniform in [-1, 1]),
  ``bias`` (``gates/...``, ``candidate/...`` for IndyGRUCell).

Each cell's scope is named after its class (``nas_cell``, ``ind_rnn_cell``...), as TF1's.
"""

from __future__ import annotations

from .. import init_ops
from ..layer_identifiers import activation_of
from ..nn import batch_normalization, dropout, moments
from ..ops import (concat_split_ops, linalg_ops, math_ops, nn_ops, slicing_ops, transform_ops,
                   unary_ops)
from ..rnn import LSTMStateTuple, RNNCell
from ..variables import get_variable, get_variable_scope, variable_scope
from .rnn_legacy import _linear

__all__ = ["CoupledInputForgetGateLSTMCell", "IndRNNCell", "IndyGRUCell", "IndyLSTMCell",
           "IntersectionRNNCell", "LayerNormBasicLSTMCell", "NASCell", "UGRNNCell"]

sigmoid, tanh = unary_ops.sigmoid, unary_ops.tanh


def _input_depth(inputs):
    depth = inputs.shape[1].value if inputs.shape.rank == 2 else None
    if inputs.shape.rank not in (None, 2):
        raise ValueError(f"Shape {inputs.shape} must have rank 2")
    if depth is None:
        raise ValueError("Could not infer input size from inputs.get_shape()[-1]")
    return depth


def _layer_norm(x, scope, gain, shift):
    """TF1's ``_norm``: ``gamma`` (``gain``) and ``beta`` (``shift``) in variable scope
    ``scope``, then contrib.layers.layer_norm over the last axis (variance epsilon 1e-12)."""
    size = x.shape[-1].value
    with variable_scope(scope):
        gamma = get_variable("gamma", [size], dtype=x.dtype,
                             initializer=init_ops.constant_initializer(gain))
        beta = get_variable("beta", [size], dtype=x.dtype,
                            initializer=init_ops.constant_initializer(shift))
        mean, variance = moments(x, [1], keep_dims=True)
        return batch_normalization(x, mean, variance, offset=beta, scale=gamma,
                                   variance_epsilon=1e-12)


def _concat_variable(name, shape, dtype, num_shards):
    """TF1's ``_get_concat_variable``: ``name_0`` ... ``name_{k-1}``, row shards of ``shape``
    (the first ``rows % k`` one row longer), concatenated (``name/concat``) when k > 1."""
    if num_shards > shape[0]:
        raise ValueError(f"Too many shards: shape={shape}, num_shards={num_shards}")
    unit, extra = divmod(shape[0], num_shards)
    shards = [get_variable(f"{name}_{i}", [unit + (i < extra)] + shape[1:], dtype=dtype)
              for i in range(num_shards)]
    if len(shards) == 1:
        return shards[0]
    return concat_split_ops.concat(shards, 0, name=f"{name}/concat")


def _split_state(state, state_is_tuple, n, proj):
    if state_is_tuple:
        return state
    return (slicing_ops.slice_(state, [0, 0], [-1, n]),
            slicing_ops.slice_(state, [0, n], [-1, proj]))


class CoupledInputForgetGateLSTMCell(RNNCell):
    """TF1's ``tf.contrib.rnn.CoupledInputForgetGateLSTMCell``: an LSTM whose input gate is
    one minus its forget gate, ``c' = f c + (1 - f) tanh(j)``; optional peepholes (f, o),
    projection and layer normalization."""

    def __init__(self, num_units, use_peepholes=False, initializer=None, num_proj=None,
                 proj_clip=None, num_unit_shards=1, num_proj_shards=1, forget_bias=1.0,
                 state_is_tuple=True, activation=None, reuse=None, layer_norm=False,
                 norm_gain=1.0, norm_shift=0.0):
        super().__init__(reuse=reuse)
        self._num_unit_shards, self._num_proj_shards = num_unit_shards, num_proj_shards
        self._num_units, self._num_proj, self._proj_clip = num_units, num_proj, proj_clip
        self._use_peepholes, self._initializer = use_peepholes, initializer
        self._forget_bias, self._state_is_tuple = forget_bias, state_is_tuple
        self._activation = activation_of(activation) or tanh
        self._layer_norm, self._norm_gain, self._norm_shift = layer_norm, norm_gain, norm_shift

    @property
    def state_size(self):
        n, p = self._num_units, self._num_proj or self._num_units
        return LSTMStateTuple(n, p) if self._state_is_tuple else n + p

    output_size = property(lambda self: self._num_proj or self._num_units)

    def _step(self, inputs, state):
        n = self._num_units
        proj = self._num_proj or n
        c_prev, m_prev = _split_state(state, self._state_is_tuple, n, proj)
        dtype = inputs.dtype
        with variable_scope(get_variable_scope(), initializer=self._initializer):
            w = _concat_variable("W", [_input_depth(inputs) + proj, 3 * n], dtype,
                                 self._num_unit_shards)
            b = get_variable("B", [3 * n], dtype=dtype,
                             initializer=init_ops.zeros_initializer())
            matrix = linalg_ops.matmul(concat_split_ops.concat([inputs, m_prev], 1), w)
            if not self._layer_norm:
                matrix = nn_ops.bias_add(matrix, b)
            j, f, o = concat_split_ops.split(matrix, 3, axis=1)
            if self._layer_norm:
                j, f, o = (_layer_norm(t, s, self._norm_gain, self._norm_shift)
                           for t, s in ((j, "transform"), (f, "forget"), (o, "output")))
            if self._use_peepholes:
                w_f = get_variable("W_F_diag", [n], dtype=dtype)
                w_o = get_variable("W_O_diag", [n], dtype=dtype)
                f_act = sigmoid(f + self._forget_bias + w_f * c_prev)
            else:
                f_act = sigmoid(f + self._forget_bias)
            c = f_act * c_prev + (1 - f_act) * self._activation(j)
            if self._layer_norm:
                c = _layer_norm(c, "state", self._norm_gain, self._norm_shift)
            gate = o + w_o * c if self._use_peepholes else o
            m = sigmoid(gate) * self._activation(c)
            if self._num_proj is not None:
                m = linalg_ops.matmul(m, _concat_variable("W_P", [n, self._num_proj], dtype,
                                                          self._num_proj_shards))
                if self._proj_clip is not None:
                    m = math_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else \
            concat_split_ops.concat([c, m], 1)
        return m, new_state


class LayerNormBasicLSTMCell(RNNCell):
    """TF1's ``tf.contrib.rnn.LayerNormBasicLSTMCell``: BasicLSTMCell with layer
    normalization of each gate and of the new cell state (``norm_gain``/``norm_shift`` the
    initial gamma/beta; no bias then) and recurrent dropout of the candidate
    (``dropout_keep_prob``, ``dropout_prob_seed``)."""

    def __init__(self, num_units, forget_bias=1.0, input_size=None, activation=None,
                 layer_norm=True, norm_gain=1.0, norm_shift=0.0, dropout_keep_prob=1.0,
                 dropout_prob_seed=None, reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._forget_bias = num_units, forget_bias
        self._activation = activation_of(activation) or tanh
        self._layer_norm, self._norm_gain, self._norm_shift = layer_norm, norm_gain, norm_shift
        self._keep_prob, self._seed = dropout_keep_prob, dropout_prob_seed

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_units))
    output_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        c, h = state
        args = concat_split_ops.concat([inputs, h], 1)
        out_size, dtype = 4 * self._num_units, args.dtype
        concat = linalg_ops.matmul(args, get_variable(
            "kernel", [args.shape[-1].value, out_size], dtype=dtype))
        if not self._layer_norm:
            concat = nn_ops.bias_add(concat, get_variable("bias", [out_size], dtype=dtype))
        i, j, f, o = concat_split_ops.split(concat, 4, axis=1)
        if self._layer_norm:
            i, j, f, o = (_layer_norm(t, s, self._norm_gain, self._norm_shift) for t, s in
                          ((i, "input"), (j, "transform"), (f, "forget"), (o, "output")))
        g = self._activation(j)
        if not isinstance(self._keep_prob, float) or self._keep_prob < 1:
            g = dropout(g, keep_prob=self._keep_prob, seed=self._seed)
        new_c = c * sigmoid(f + self._forget_bias) + sigmoid(i) * g
        if self._layer_norm:
            new_c = _layer_norm(new_c, "state", self._norm_gain, self._norm_shift)
        new_h = self._activation(new_c) * sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)


class NASCell(RNNCell):
    """TF1's ``tf.contrib.rnn.NASCell``: the cell Neural Architecture Search found (Zoph & Le,
    2017), eight input and recurrent branches combined in three layers; optional biases on
    the recurrent branches and a projection of the output."""

    def __init__(self, num_units, num_proj=None, use_biases=False, reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._num_proj, self._use_biases = num_units, num_proj, use_biases

    state_size = property(lambda self: LSTMStateTuple(self._num_units,
                                                      self._num_proj or self._num_units))
    output_size = property(lambda self: self._num_proj or self._num_units)

    def _step(self, inputs, state):
        n, proj = self._num_units, self._num_proj or self._num_units
        c_prev, m_prev = state
        dtype = inputs.dtype
        depth = _input_depth(inputs)
        w_m = get_variable("recurrent_kernel", [proj, 8 * n], dtype=dtype)
        w_in = get_variable("kernel", [depth, 8 * n], dtype=dtype)
        m_matrix = linalg_ops.matmul(m_prev, w_m)
        in_matrix = linalg_ops.matmul(inputs, w_in)
        if self._use_biases:
            m_matrix = nn_ops.bias_add(m_matrix, get_variable(
                "bias", [8 * n], dtype=dtype, initializer=init_ops.zeros_initializer()))
        m_s = concat_split_ops.split(m_matrix, 8, axis=1)
        x_s = concat_split_ops.split(in_matrix, 8, axis=1)
        relu = nn_ops.relu
        l1 = [sigmoid(x_s[0] + m_s[0]), relu(x_s[1] + m_s[1]), sigmoid(x_s[2] + m_s[2]),
              relu(x_s[3] * m_s[3]), tanh(x_s[4] + m_s[4]), sigmoid(x_s[5] + m_s[5]),
              tanh(x_s[6] + m_s[6]), sigmoid(x_s[7] + m_s[7])]
        l2_0 = tanh(tanh(l1[0] * l1[1]) + c_prev)
        l2_1 = tanh(l1[2] + l1[3])
        l2_2 = tanh(l1[4] * l1[5])
        l2_3 = sigmoid(l1[6] + l1[7])
        new_c = l2_0 * l2_1
        new_m = tanh(new_c * tanh(l2_2 + l2_3))
        if self._num_proj is not None:
            new_m = linalg_ops.matmul(new_m, get_variable(
                "projection_weights", [n, self._num_proj], dtype=dtype))
        return new_m, LSTMStateTuple(new_c, new_m)


class UGRNNCell(RNNCell):
    """TF1's ``tf.contrib.rnn.UGRNNCell`` (Collins et al., 2017): one update gate,
    ``g = sigmoid(W_g [x, h] + b_g + forget_bias)``, ``h' = g h + (1 - g) tanh(W_c [x, h] +
    b_c)``."""

    def __init__(self, num_units, initializer=None, forget_bias=1.0, activation=None,
                 reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._initializer = num_units, initializer
        self._forget_bias = forget_bias
        self._activation = activation_of(activation) or tanh

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        _input_depth(inputs)
        with variable_scope(get_variable_scope(), initializer=self._initializer):
            matrix = _linear([inputs, state], 2 * self._num_units)
            g_act, c_act = concat_split_ops.split(matrix, 2, axis=1)
            g = sigmoid(g_act + self._forget_bias)
            new_state = g * state + (1.0 - g) * self._activation(c_act)
        return new_state, new_state


class IntersectionRNNCell(RNNCell):
    """TF1's ``tf.contrib.rnn.IntersectionRNNCell`` (+RNN): gated updates through time (the
    state) and through depth (the output); inputs of another size than ``num_units`` need
    ``num_in_proj`` (an ``in_projection`` layer)."""

    def __init__(self, num_units, num_in_proj=None, initializer=None, forget_bias=1.0,
                 y_activation=None, reuse=None):
        super().__init__(reuse=reuse)
        self._num_units, self._num_in_proj = num_units, num_in_proj
        self._initializer, self._forget_bias = initializer, forget_bias
        self._y_activation = activation_of(y_activation) or nn_ops.relu

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        n = self._num_units
        with variable_scope(get_variable_scope(), initializer=self._initializer):
            if _input_depth(inputs) != n:
                if not self._num_in_proj:
                    raise ValueError("Must have input size == output size for Intersection "
                                     "RNN. To fix, num_in_proj should be set to num_units at "
                                     "cell init.")
                with variable_scope("in_projection"):
                    inputs = _linear([inputs], n)
            matrix = _linear([inputs, state], 4 * n)
            gh_act, h_act, gy_act, y_act = concat_split_ops.split(matrix, 4, axis=1)
            gh = sigmoid(gh_act + self._forget_bias)
            gy = sigmoid(gy_act + self._forget_bias)
            new_state = gh * state + (1.0 - gh) * tanh(h_act)
            new_y = gy * inputs + (1.0 - gy) * self._y_activation(y_act)
        return new_y, new_state


class _IndCell(RNNCell):
    """The IndRNN family: input kernels ``kernel_w``, recurrent weights ``kernel_u`` that
    multiply each unit's own state (uniform in [-1, 1] initially)."""

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None):
        super().__init__(name, reuse, dtype)
        self._num_units = num_units
        self._activation = activation_of(activation) or tanh
        self._kernel_initializer, self._bias_initializer = kernel_initializer, bias_initializer

    output_size = property(lambda self: self._num_units)

    def _depth(self, inputs):
        depth = inputs.shape[1].value if inputs.shape.rank == 2 else None
        if depth is None:
            raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: "
                             f"{inputs.shape}")
        return depth

    def _weights(self, prefix, depth, width, dtype, bias_default):
        w = get_variable(f"{prefix}kernel_w", [depth, width], dtype=dtype,
                         initializer=self._kernel_initializer)
        u = get_variable(f"{prefix}kernel_u", [1, width], dtype=dtype,
                         initializer=init_ops.random_uniform_initializer(-1, 1))
        b = get_variable(f"{prefix}bias", [width], dtype=dtype,
                         initializer=self._bias_initializer or bias_default)
        return w, u, b


class IndRNNCell(_IndCell):
    """TF1's ``tf.contrib.rnn.IndRNNCell`` (Li et al., 2018): ``h' = act(W x + u * h + b)``."""

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None):
        super().__init__(num_units, activation, reuse, name=name, dtype=dtype)

    state_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        w, u, b = self._weights("", self._depth(inputs), self._num_units, inputs.dtype,
                                init_ops.zeros_initializer())
        out = self._activation(nn_ops.bias_add(linalg_ops.matmul(inputs, w) + state * u, b))
        return out, out


class IndyGRUCell(_IndCell):
    """TF1's ``tf.contrib.rnn.IndyGRUCell``: GRUCell with each recurrent matrix replaced by a
    per-unit weight (``gates/kernel_u``, ``candidate/kernel_u``)."""

    state_size = property(lambda self: self._num_units)

    def _step(self, inputs, state):
        n, depth, dtype = self._num_units, self._depth(inputs), inputs.dtype
        gate_w, gate_u, gate_b = self._weights("gates/", depth, 2 * n, dtype,
                                               init_ops.constant_initializer(1.0))
        cand_w, cand_u, cand_b = self._weights("candidate/", depth, n, dtype,
                                               init_ops.zeros_initializer())
        gates = nn_ops.bias_add(linalg_ops.matmul(inputs, gate_w) +
                                transform_ops.tile(state, [1, 2]) * gate_u, gate_b)
        r, u = concat_split_ops.split(sigmoid(gates), 2, axis=1)
        candidate = nn_ops.bias_add(linalg_ops.matmul(inputs, cand_w) + r * state * cand_u,
                                    cand_b)
        new_h = u * state + (1 - u) * self._activation(candidate)
        return new_h, new_h


class IndyLSTMCell(_IndCell):
    """TF1's ``tf.contrib.rnn.IndyLSTMCell``: BasicLSTMCell with each recurrent matrix
    replaced by a per-unit weight: gates ``W x + u * tile(h, 4) + b``."""

    def __init__(self, num_units, forget_bias=1.0, activation=None, reuse=None,
                 kernel_initializer=None, bias_initializer=None, name=None, dtype=None):
        super().__init__(num_units, activation, reuse, kernel_initializer, bias_initializer,
                         name, dtype)
        self._forget_bias = forget_bias

    state_size = property(lambda self: LSTMStateTuple(self._num_units, self._num_units))

    def _step(self, inputs, state):
        c, h = state
        w, u, b = self._weights("", self._depth(inputs), 4 * self._num_units, inputs.dtype,
                                init_ops.zeros_initializer())
        gates = nn_ops.bias_add(linalg_ops.matmul(inputs, w) + transform_ops.tile(h, [1, 4]) * u,
                                b)
        i, j, f, o = concat_split_ops.split(gates, 4, axis=1)
        forget = math_ops.cast(self._forget_bias, f.dtype)
        new_c = c * sigmoid(f + forget) + sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)
