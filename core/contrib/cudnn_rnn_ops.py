"""TF 1.x's ``tf.contrib.cudnn_rnn.python.ops.cudnn_rnn_ops``: the function API over TF's cuDNN
RNN ops (core/ops/cudnn_rnn_ops.py, which minitf runs on CPU), TF's model objects and the
params format converters between a cuDNN opaque buffer and the canonical, per-cell weights
CudnnCompatibleLSTMCell / CudnnCompatibleGRUCell / BasicRNNCell graphs use (the saveables that
checkpoint them live with the layers, in core/contrib/cudnn_rnn.py).

Format conversion (TF's CudnnParamsFormatConverter*): cuDNN's canonical weights are per gate,
``[units, width]`` for the layer input and ``[units, units]`` for the recurrent state, with
separate input and recurrent biases. TF's cells want one ``[width + units, gates * units]``
kernel: LSTM's gates reordered from cuDNN's i, f, c, o to i, c, f, o and its two biases summed
into one; GRU's ``gates/kernel`` stacks the reset and update gates (their biases summed into
``gates/bias``) while the candidate keeps ``input_projection`` and ``hidden_projection`` apart.
Going back, a summed bias is split into two halves, as TF does.
"""

from __future__ import annotations

import os

import numpy as np

from ..ops import array_ops, concat_split_ops, fill_ops, shape_ops, transform_ops
from ..ops import cudnn_rnn_ops as _ops
from ..ops.stateless_random_seed import get_seed
from .rnn_more import CudnnCompatibleGRUCell, CudnnCompatibleLSTMCell  # noqa: F401

CUDNN_RNN_UNIDIRECTION = "unidirectional"
CUDNN_RNN_BIDIRECTION = "bidirectional"
CUDNN_LSTM = "lstm"
CUDNN_GRU = "gru"
CUDNN_RNN_RELU = "rnn_relu"
CUDNN_RNN_TANH = "rnn_tanh"
CUDNN_LSTM_PARAMS_PER_LAYER = 8
CUDNN_GRU_PARAMS_PER_LAYER = 6
CUDNN_RNN_TANH_PARAMS_PER_LAYER = 2
CUDNN_RNN_RELU_PARAMS_PER_LAYER = 2
CUDNN_INPUT_LINEAR_MODE = "linear_input"
CUDNN_INPUT_SKIP_MODE = "skip_input"
CUDNN_INPUT_AUTO_MODE = "auto_select"

_PER_LAYER = {CUDNN_LSTM: 8, CUDNN_GRU: 6, CUDNN_RNN_TANH: 2, CUDNN_RNN_RELU: 2}


class _GraphOps:
    """The converters' array operations as graph ops (saving, the layer's initial value)."""
    concat = staticmethod(lambda ts, axis: concat_split_ops.concat(list(ts), axis))
    transpose = staticmethod(lambda t: transform_ops.transpose(t))
    split = staticmethod(lambda t, n, axis: concat_split_ops.split(t, n, axis=axis))
    reshape = staticmethod(shape_ops.reshape)


class _NumpyOps:
    """The same in numpy (restoring runs no graph ops, as minitf's Saver)."""
    concat = staticmethod(lambda ts, axis: np.concatenate(list(ts), axis))
    transpose = staticmethod(np.transpose)
    split = staticmethod(lambda t, n, axis: np.split(
        t, n if isinstance(n, int) else np.cumsum(n)[:-1], axis))
    reshape = staticmethod(np.reshape)


class CudnnParamsFormatConverter:
    """TF's abstract converter between a cuDNN opaque params buffer and TF's canonical
    per-cell weights and biases (layer by layer, forward before backward)."""

    _rnn_mode = None
    _num_params_per_layer = None

    def __init__(self, num_layers, num_units, input_size, num_proj=None,
                 input_mode=CUDNN_INPUT_LINEAR_MODE, direction=CUDNN_RNN_UNIDIRECTION):
        if num_proj:
            raise NotImplementedError("cuDNN LSTM projection (num_proj) is not supported")
        check_direction(direction)
        check_input_mode(input_mode)
        self._num_layers, self._num_units, self._input_size = num_layers, num_units, input_size
        self._num_proj, self._input_mode, self._direction = num_proj, input_mode, direction
        self._num_dirs = 1 if direction == CUDNN_RNN_UNIDIRECTION else 2
        self._num_params = self._num_params_per_layer * num_layers * self._num_dirs

    def _kw(self):
        return dict(rnn_mode=self._rnn_mode, input_mode=self._input_mode,
                    direction=self._direction)

    def tf_canonical_to_opaque(self, tf_canonicals, weights_proj=None, ops=_GraphOps):
        """TF canonical weights then biases -> the opaque buffer."""
        cu_weights, cu_biases = self._tf_canonical_to_cu_canonical(tf_canonicals, ops)
        cu_weights = [ops.reshape(w, [-1]) for w in cu_weights]
        return self._cu_canonical_to_opaque(cu_weights, cu_biases, ops)

    def opaque_to_tf_canonical(self, opaque_param, ops=_GraphOps):
        """The opaque buffer -> (TF canonical weights, biases)."""
        cu_weights, cu_biases = self._opaque_to_cu_canonical(opaque_param, ops)
        return self._cu_canonical_to_tf_canonical(cu_weights, cu_biases, ops)

    def _sizes(self):
        return self._num_layers, self._num_units, self._input_size

    def _opaque_to_cu_canonical(self, opaque_param, ops=_GraphOps):
        n = self._num_params
        if ops is _NumpyOps:
            out = _ops._to_canonical_kernel(*self._sizes(), np.asarray(opaque_param),
                                            num_params=n, **self._kw())
        else:
            out = _ops.CUDNN_RNN_PARAMS_TO_CANONICAL(*self._sizes(), opaque_param,
                                                     num_params=n, **self._kw())
        return list(out[:n]), list(out[n:])

    def _cu_canonical_to_opaque(self, cu_weights, cu_biases, ops=_GraphOps):
        if ops is _NumpyOps:
            return _ops._to_params_kernel(*self._sizes(), cu_weights, cu_biases, **self._kw())
        return _ops.CUDNN_RNN_CANONICAL_TO_PARAMS(*self._sizes(), cu_weights, cu_biases,
                                                  **self._kw())

    def _cu_canonical_to_tf_canonical(self, cu_weights, cu_biases, ops=_GraphOps):
        tf_weights, tf_biases = [], []
        k = self._num_params_per_layer
        for p in range(self._num_layers * self._num_dirs):  # layer by layer, fw then bw
            tf_weights += self._cudnn_to_tf_weights(ops, *cu_weights[p * k:(p + 1) * k])
            tf_biases += self._cudnn_to_tf_biases(ops, *cu_biases[p * k:(p + 1) * k])
        return tf_weights, tf_biases

    def _tf_canonical_to_cu_canonical(self, tf_canonicals, ops=_GraphOps):
        tf_canonicals = list(tf_canonicals)
        half = len(tf_canonicals) // 2
        weights, biases = tf_canonicals[:half], tf_canonicals[half:]
        pseudo = self._num_layers * self._num_dirs
        nw, nb = len(weights) // pseudo, len(biases) // pseudo
        cu_weights, cu_biases = [], []
        for p in range(pseudo):
            cu_weights += self._tf_to_cudnn_weights(ops, p // self._num_dirs,
                                                    *weights[p * nw:(p + 1) * nw])
            cu_biases += self._tf_to_cudnn_biases(ops, *biases[p * nb:(p + 1) * nb])
        return cu_weights, cu_biases

    def _width(self, layer):
        return self._input_size if layer == 0 else self._num_units * self._num_dirs


class CudnnParamsFormatConverterLSTM(CudnnParamsFormatConverter):
    """cuDNN LSTM <-> CudnnCompatibleLSTMCell: one kernel (gates i, c, f, o), one bias."""

    _rnn_mode = CUDNN_LSTM
    _num_params_per_layer = CUDNN_LSTM_PARAMS_PER_LAYER

    def _cudnn_to_tf_weights(self, ops, *cu):
        i, f, c, o = (ops.concat([w, r], 1) for w, r in zip(cu[:4], cu[4:]))
        return [ops.transpose(ops.concat([i, c, f, o], 0))]

    def _tf_to_cudnn_weights(self, ops, layer, kernel):
        i, c, f, o = ops.split(ops.transpose(kernel), 4, 0)
        parts = [ops.split(g, [self._width(layer), self._num_units], 1) for g in (i, f, c, o)]
        return [p[0] for p in parts] + [p[1] for p in parts]

    def _cudnn_to_tf_biases(self, ops, *cu):
        i, f, c, o = (cu[k] + cu[k + 4] for k in range(4))
        return [ops.concat([i, c, f, o], 0)]

    def _tf_to_cudnn_biases(self, ops, bias):
        i, c, f, o = ops.split(bias, 4, 0)
        halves = [g * 0.5 for g in (i, f, c, o)]
        return halves + halves


class CudnnParamsFormatConverterGRU(CudnnParamsFormatConverter):
    """cuDNN GRU <-> CudnnCompatibleGRUCell: gates kernel (reset, update), the candidate's
    input and hidden projections; gates bias (summed), the two projection biases."""

    _rnn_mode = CUDNN_GRU
    _num_params_per_layer = CUDNN_GRU_PARAMS_PER_LAYER

    def _cudnn_to_tf_weights(self, ops, w_r, w_z, w_h, r_r, r_z, r_h):
        gates = ops.concat([ops.concat([w_r, r_r], 1), ops.concat([w_z, r_z], 1)], 0)
        return [ops.transpose(gates), ops.transpose(w_h), ops.transpose(r_h)]

    def _tf_to_cudnn_weights(self, ops, layer, gates, w_h, r_h):
        g_r, g_z = ops.split(ops.transpose(gates), 2, 0)
        w_r, r_r = ops.split(g_r, [self._width(layer), self._num_units], 1)
        w_z, r_z = ops.split(g_z, [self._width(layer), self._num_units], 1)
        return [w_r, w_z, ops.transpose(w_h), r_r, r_z, ops.transpose(r_h)]

    def _cudnn_to_tf_biases(self, ops, b_wr, b_wz, b_wh, b_rr, b_rz, b_rh):
        return [ops.concat([b_wr, b_wz], 0) + ops.concat([b_rr, b_rz], 0), b_wh, b_rh]

    def _tf_to_cudnn_biases(self, ops, gates_bias, b_wh, b_rh):
        b_r, b_z = ops.split(gates_bias * 0.5, 2, 0)
        return [b_r, b_z, b_wh, b_r, b_z, b_rh]


class CudnnParamsFormatConverterBasic(CudnnParamsFormatConverterLSTM):
    """cuDNN's plain RNN <-> BasicRNNCell: one kernel, one (summed) bias."""

    def _cudnn_to_tf_weights(self, ops, w, r):
        return [ops.transpose(ops.concat([w, r], 1))]

    def _tf_to_cudnn_weights(self, ops, layer, kernel):
        return list(ops.split(ops.transpose(kernel), [self._width(layer), self._num_units], 1))

    def _cudnn_to_tf_biases(self, ops, b_w, b_r):
        return [b_w + b_r]

    def _tf_to_cudnn_biases(self, ops, bias):
        return [bias * 0.5, bias * 0.5]


class CudnnParamsFormatConverterTanh(CudnnParamsFormatConverterBasic):
    _rnn_mode = CUDNN_RNN_TANH
    _num_params_per_layer = CUDNN_RNN_TANH_PARAMS_PER_LAYER


class CudnnParamsFormatConverterRelu(CudnnParamsFormatConverterBasic):
    _rnn_mode = CUDNN_RNN_RELU
    _num_params_per_layer = CUDNN_RNN_RELU_PARAMS_PER_LAYER


def _check_rnn_mode(rnn_mode):
    if rnn_mode not in _PER_LAYER:
        raise ValueError(f"Invalid rnn_mode: {rnn_mode}, expect one of ({CUDNN_LSTM}, "
                         f"{CUDNN_GRU}, {CUDNN_RNN_TANH}, {CUDNN_RNN_RELU})")


def check_direction(direction):
    """ValueError unless ``direction`` is 'unidirectional' or 'bidirectional'."""
    if direction not in (CUDNN_RNN_UNIDIRECTION, CUDNN_RNN_BIDIRECTION):
        raise ValueError(f"Invalid direction: {direction}, expecting {CUDNN_RNN_UNIDIRECTION} "
                         f"or {CUDNN_RNN_BIDIRECTION}")


def check_input_mode(input_mode):
    if input_mode not in (CUDNN_INPUT_LINEAR_MODE, CUDNN_INPUT_SKIP_MODE,
                          CUDNN_INPUT_AUTO_MODE):
        raise ValueError(f"Invalid input_mode: {input_mode}, expect one of "
                         f"({CUDNN_INPUT_LINEAR_MODE}, {CUDNN_INPUT_SKIP_MODE}, "
                         f"{CUDNN_INPUT_AUTO_MODE})")


def _get_num_params(rnn_mode, num_layers, direction):
    _check_rnn_mode(rnn_mode)
    return num_layers * _PER_LAYER[rnn_mode] * (1 if direction == CUDNN_RNN_UNIDIRECTION else 2)


def _seeds(seed):
    """The ops' (seed, seed2) attrs: TF's get_seed, (0, 0) when neither is set."""
    seed, seed2 = get_seed(seed)
    return seed or 0, seed2 or 0


def _check_all(rnn_mode, direction, input_mode):
    _check_rnn_mode(rnn_mode)
    check_direction(direction)
    check_input_mode(input_mode)


def _cudnn_rnn(inputs, input_h, input_c, params, is_training, rnn_mode, sequence_lengths=None,
               time_major=True, input_mode=CUDNN_INPUT_LINEAR_MODE,
               direction=CUDNN_RNN_UNIDIRECTION, dropout=0., seed=0, num_proj=None, name=None):
    """(outputs, output_h, output_c) of one cuDNN op: CudnnRNNV3 with sequence lengths, batch-
    major inputs or a projection; else CudnnRNN (CudnnRNNV2 with TF_CUDNN_RNN_USE_V2=1)."""
    _check_all(rnn_mode, direction, input_mode)
    seed, seed2 = _seeds(seed)
    attrs = dict(is_training=is_training, rnn_mode=rnn_mode, input_mode=input_mode,
                 direction=direction, dropout=dropout, seed=seed, seed2=seed2, name=name)
    args = [inputs, input_h, input_c, params]
    if sequence_lengths is None and (time_major is False or num_proj):
        batch_id, time_id = (1, 0) if time_major else (0, 1)
        shape = shape_ops.shape(inputs)
        sequence_lengths = fill_ops.fill([shape[batch_id]], shape[time_id])
    if sequence_lengths is not None:
        out = _ops.CUDNN_RNN_V3(*args, sequence_lengths, time_major=time_major,
                                num_proj=num_proj or 0, **attrs)
    elif os.environ.get("TF_CUDNN_RNN_USE_V2", "0") == "1":
        out = _ops.CUDNN_RNN_V2(*args, **attrs)
    else:
        out = _ops.CUDNN_RNN(*args, **attrs)
    return out[0], out[1], out[2]


def cudnn_lstm(inputs, input_h, input_c, params, is_training, sequence_lengths=None,
               time_major=True, input_mode=CUDNN_INPUT_LINEAR_MODE,
               direction=CUDNN_RNN_UNIDIRECTION, dropout=0., seed=0, num_proj=None, name=None):
    """cuDNN LSTM: (outputs, output_h, output_c)."""
    return _cudnn_rnn(inputs, input_h, input_c, params, is_training, CUDNN_LSTM,
                      sequence_lengths, time_major, input_mode, direction, dropout, seed,
                      num_proj, name)


def _cudnn_rnn_no_input_c(inputs, input_h, params, is_training, rnn_mode, sequence_lengths=None,
                          time_major=True, input_mode=CUDNN_INPUT_LINEAR_MODE,
                          direction=CUDNN_RNN_UNIDIRECTION, dropout=0., seed=0, name=None):
    input_c = array_ops.constant([], dtype=getattr(input_h, "dtype", None))
    outputs, output_h, _ = _cudnn_rnn(inputs, input_h, input_c, params, is_training, rnn_mode,
                                      sequence_lengths, time_major, input_mode, direction,
                                      dropout, seed, None, name)
    return outputs, output_h


def cudnn_gru(inputs, input_h, params, is_training, sequence_lengths=None, time_major=True,
              input_mode=CUDNN_INPUT_LINEAR_MODE, direction=CUDNN_RNN_UNIDIRECTION, dropout=0.,
              seed=0, name=None):
    """cuDNN GRU: (outputs, output_h)."""
    return _cudnn_rnn_no_input_c(inputs, input_h, params, is_training, CUDNN_GRU,
                                 sequence_lengths, time_major, input_mode, direction, dropout,
                                 seed, name)


def cudnn_rnn_relu(inputs, input_h, params, is_training, input_mode=CUDNN_INPUT_LINEAR_MODE,
                   direction=CUDNN_RNN_UNIDIRECTION, dropout=0., seed=0,
                   sequence_lengths=None, time_major=True, name=None):
    """cuDNN RNN with relu: (outputs, output_h)."""
    return _cudnn_rnn_no_input_c(inputs, input_h, params, is_training, CUDNN_RNN_RELU,
                                 sequence_lengths, time_major, input_mode, direction, dropout,
                                 seed, name)


def cudnn_rnn_tanh(inputs, input_h, params, is_training, sequence_lengths=None,
                   time_major=True, input_mode=CUDNN_INPUT_LINEAR_MODE,
                   direction=CUDNN_RNN_UNIDIRECTION, dropout=0., seed=0, name=None):
    """cuDNN RNN with tanh: (outputs, output_h)."""
    return _cudnn_rnn_no_input_c(inputs, input_h, params, is_training, CUDNN_RNN_TANH,
                                 sequence_lengths, time_major, input_mode, direction, dropout,
                                 seed, name)


def cudnn_rnn_opaque_params_to_canonical(rnn_mode, num_layers, num_units, input_size, params,
                                         input_mode=CUDNN_INPUT_LINEAR_MODE,
                                         direction=CUDNN_RNN_UNIDIRECTION, dropout=0, seed=0,
                                         num_proj=None, name=None):
    """(weights, biases): cuDNN's canonical tensors of an opaque params buffer."""
    _check_all(rnn_mode, direction, input_mode)
    n = _get_num_params(rnn_mode, num_layers, direction)
    seed, seed2 = _seeds(seed)
    kw = dict(rnn_mode=rnn_mode, input_mode=input_mode, direction=direction, dropout=dropout,
              seed=seed, seed2=seed2, name=name)
    if num_proj:
        out = _ops.CUDNN_RNN_PARAMS_TO_CANONICAL_V2(
            num_layers, num_units, input_size, params, num_params_biases=n,
            num_params_weights=n + n // _PER_LAYER[rnn_mode], num_proj=num_proj, **kw)
        nw = len(out) - n
    else:
        out = _ops.CUDNN_RNN_PARAMS_TO_CANONICAL(num_layers, num_units, input_size, params,
                                                 num_params=n, **kw)
        nw = n
    return list(out[:nw]), list(out[nw:])


def cudnn_rnn_canonical_to_opaque_params(rnn_mode, num_layers, num_units, input_size, weights,
                                         biases, input_mode=CUDNN_INPUT_LINEAR_MODE,
                                         direction=CUDNN_RNN_UNIDIRECTION, dropout=0, seed=0,
                                         num_proj=None, name=None):
    """The opaque params buffer of cuDNN's canonical weights and biases."""
    _check_all(rnn_mode, direction, input_mode)
    seed, seed2 = _seeds(seed)
    kw = dict(rnn_mode=rnn_mode, input_mode=input_mode, direction=direction, dropout=dropout,
              seed=seed, seed2=seed2, name=name)
    if num_proj:
        return _ops.CUDNN_RNN_CANONICAL_TO_PARAMS_V2(num_layers, num_units, input_size,
                                                     list(weights), list(biases),
                                                     num_proj=num_proj, **kw)
    return _ops.CUDNN_RNN_CANONICAL_TO_PARAMS(num_layers, num_units, input_size, list(weights),
                                              list(biases), **kw)


def cudnn_rnn_opaque_params_size(rnn_mode, num_layers, num_units, input_size,
                                 input_mode=CUDNN_INPUT_LINEAR_MODE,
                                 direction=CUDNN_RNN_UNIDIRECTION, dtype=None, dropout=0,
                                 seed=0, num_proj=None, name=None):
    """A scalar int32 tensor: the opaque buffer's number of elements."""
    from .. import dtypes as _dt

    _check_all(rnn_mode, direction, input_mode)
    seed, seed2 = _seeds(seed)
    return _ops.CUDNN_RNN_PARAMS_SIZE(
        num_layers, num_units, input_size, T=dtype or _dt.float32, S=_dt.int32,
        rnn_mode=rnn_mode, input_mode=input_mode, direction=direction, dropout=dropout,
        seed=seed, seed2=seed2, num_proj=num_proj or 0, name=name)[0]


class _CudnnRNN:
    """TF's model object (not a layer): the caller owns the params buffer."""

    _rnn_mode = None

    def __init__(self, rnn_mode, num_layers, num_units, input_size,
                 input_mode=CUDNN_INPUT_LINEAR_MODE, direction=CUDNN_RNN_UNIDIRECTION,
                 dtype=None, dropout=0., seed=0, num_proj=None):
        from .. import dtypes as _dt

        self._rnn_mode, self._num_layers, self._num_units = rnn_mode, num_layers, num_units
        self._input_size, self._input_mode, self._direction = input_size, input_mode, direction
        self._dtype, self._dropout = dtype or _dt.float32, dropout
        self._seed, self._num_proj = seed, num_proj

    input_mode = property(lambda self: self._input_mode)
    input_size = property(lambda self: self._input_size)
    num_units = property(lambda self: self._num_units)
    num_layers = property(lambda self: self._num_layers)
    rnn_mode = property(lambda self: self._rnn_mode)
    direction = property(lambda self: self._direction)
    num_proj = property(lambda self: self._num_proj)

    def _kw(self):
        return dict(rnn_mode=self._rnn_mode, num_layers=self._num_layers,
                    num_units=self._num_units, input_size=self._input_size,
                    input_mode=self._input_mode, direction=self._direction,
                    dropout=self._dropout, seed=self._seed, num_proj=self._num_proj)

    def params_size(self):
        return cudnn_rnn_opaque_params_size(dtype=self._dtype, **self._kw())

    def __call__(self, input_data, input_h, input_c, params, is_training=True,
                 sequence_lengths=None, time_major=True):
        return _cudnn_rnn(input_data, input_h, input_c, params, is_training, self._rnn_mode,
                          sequence_lengths, time_major, self._input_mode, self._direction,
                          self._dropout, self._seed, self._num_proj)

    def params_to_canonical(self, params):
        return cudnn_rnn_opaque_params_to_canonical(params=params, **self._kw())

    def canonical_to_params(self, weights, biases):
        return cudnn_rnn_canonical_to_opaque_params(weights=weights, biases=biases,
                                                    **self._kw())


class CudnnLSTM(_CudnnRNN):
    """TF's cuDNN LSTM model object: ``(output, output_h, output_c)``."""

    _NUM_PARAMS_PER_LAYER = CUDNN_LSTM_PARAMS_PER_LAYER

    def __init__(self, num_layers, num_units, input_size, input_mode=CUDNN_INPUT_LINEAR_MODE,
                 direction=CUDNN_RNN_UNIDIRECTION, dtype=None, dropout=0., seed=0,
                 num_proj=None):
        super().__init__(CUDNN_LSTM, num_layers, num_units, input_size, input_mode, direction,
                         dtype, dropout, seed, num_proj)

    def __call__(self, input_data, input_h, input_c, params, sequence_lengths=None,
                 time_major=True, is_training=True):
        return super().__call__(input_data, input_h, input_c, params, is_training,
                                sequence_lengths, time_major)


class _CudnnRNNNoInputC(_CudnnRNN):
    def __init__(self, num_layers, num_units, input_size, input_mode=CUDNN_INPUT_LINEAR_MODE,
                 direction=CUDNN_RNN_UNIDIRECTION, dtype=None, dropout=0., seed=0):
        check_direction(direction)
        super().__init__(self._rnn_mode, num_layers, num_units, input_size, input_mode,
                         direction, dtype, dropout, seed)

    def __call__(self, input_data, input_h, params, sequence_lengths=None, time_major=True,
                 is_training=True):
        return _cudnn_rnn_no_input_c(input_data, input_h, params, is_training, self._rnn_mode,
                                     sequence_lengths, time_major, self._input_mode,
                                     self._direction, self._dropout, self._seed)


class CudnnGRU(_CudnnRNNNoInputC):
    _rnn_mode, _NUM_PARAMS_PER_LAYER = CUDNN_GRU, CUDNN_GRU_PARAMS_PER_LAYER


class CudnnRNNTanh(_CudnnRNNNoInputC):
    _rnn_mode, _NUM_PARAMS_PER_LAYER = CUDNN_RNN_TANH, CUDNN_RNN_TANH_PARAMS_PER_LAYER


class CudnnRNNRelu(_CudnnRNNNoInputC):
    _rnn_mode, _NUM_PARAMS_PER_LAYER = CUDNN_RNN_RELU, CUDNN_RNN_RELU_PARAMS_PER_LAYER


_SAVEABLES = ("CudnnOpaqueParamsSaveable", "CudnnLSTMSaveable", "CudnnGRUSaveable",
              "CudnnRNNTanhSaveable", "CudnnRNNReluSaveable")


def __getattr__(name):
    """TF's saveables, which live with the layers (core/contrib/cudnn_rnn.py) that make them."""
    if name in _SAVEABLES:
        from . import cudnn_rnn

        return getattr(cudnn_rnn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
