"""More of TF 1.x contrib.rnn, built as TF 1.15 builds it from minitf's ops, with its variable
names so TF1 checkpoints load by name:

- LayerRNNCell (``rnn_cell_impl.LayerRNNCell``): a cell whose subclass makes its variables in
  ``build(inputs_shape)`` (``add_variable``) and steps in ``call``; built once, on the first
  call, inside the cell's variable scope;
- ConvLSTMCell and Conv1D/2D/3DLSTMCell (Shi et al., 2015): ``kernel`` [*kernel_shape,
  in + out channels, 4 * out] and ``biases`` [4 * out] (TF1's ``_conv``), states of spatial
  shape;
- SRUCell (``kernel``, ``bias``), MinimalRNNCell (``kernel``, ``bias``), CFNCell (``kernel``,
  ``recurrent_kernel``, ``bias``): LayerRNNCells, as in TF1;
- CudnnCompatibleLSTMCell (LSTMBlockCell, forget bias 0, scope
  ``cudnn_compatible_lstm_cell``) and CudnnCompatibleGRUCell (``gates/kernel``,
  ``candidate/input_projection/kernel``, ``candidate/hidden_projection/kernel``...);
- transpose_batch_time, best_effort_input_batch_size (TF1's ``rnn._transpose_batch_time`` /
  ``_best_effort_input_batch_size``, which contrib.rnn exports).

LayerNormLSTMCell, GLSTMCell and PhasedLSTMCell are in rnn_more_lstm.py.
"""

from __future__ import annotations

from .. import dtypes as _dt
from .. import init_ops
from ..graph import convert_to_tensor
from ..layer_identifiers import activation_of, initializer_of
from ..layers_base import _to_snake_case
from ..nest_util import flatten, pack
from ..nn_conv3d import conv3d
from ..nn_convolution import conv1d
from ..ops import (array_ops, concat_split_ops, conv_ops, fill_ops, linalg_ops, nn_ops,
                   shape_ops, transform_ops, unary_ops)
from ..rnn import GRUCell, LSTMStateTuple, RNNCell
from ..rnn_extra import _zeros
from ..tensor_shape import TensorShape
from ..variables import get_variable, variable_scope
from .rnn_block import LSTMBlockCell

__all__ = ["CFNCell", "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell", "ConvLSTMCell",
           "CudnnCompatibleGRUCell", "CudnnCompatibleLSTMCell", "LayerRNNCell", "MinimalRNNCell",
           "SRUCell", "best_effort_input_batch_size", "transpose_batch_time"]

sigmoid, tanh = unary_ops.sigmoid, unary_ops.tanh


def _convert(inputs):
    """The inputs as tensors, nesting kept (PhasedLSTMCell takes a (time, features) tuple)."""
    return pack(inputs, iter([convert_to_tensor(x) for x in flatten(inputs)]))


class _NamedCell(RNNCell):
    """An RNNCell named as TF1's layers are: its variable scope is a unique one named after
    ``self._base_name`` (a ``name`` given to the cell, else its class's), on its first call
    (or ``scope`` if the call gives one); every later call reuses it."""

    _base_name = "rnn_cell"

    def _scope_names(self, scope):
        return scope, self._base_name


class LayerRNNCell(_NamedCell):
    """TF1's ``tf.contrib.rnn.LayerRNNCell``: an RNNCell whose subclass creates its variables
    in ``build(inputs_shape)`` with ``self.add_variable`` (or ``add_weight``) and steps in
    ``call(inputs, state)``; ``build`` runs once, on the first call, inside the cell's variable
    scope (named after ``name``, else the class), and later calls reuse what it made."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        reuse = kwargs.pop("_reuse", None)
        for key in kwargs:
            raise TypeError(f"Keyword argument not understood: {key}")
        super().__init__(None, reuse, dtype)
        self._base_name = name or _to_snake_case(type(self).__name__)
        self.trainable = trainable
        self.built = False
        self._trainable_weights, self._non_trainable_weights = [], []

    name = property(lambda self: self._base_name)
    dtype = property(lambda self: self._dtype)
    trainable_weights = property(lambda self: list(self._trainable_weights)
                                 if self.trainable else [])
    non_trainable_weights = property(lambda self: list(self._non_trainable_weights) + (
        [] if self.trainable else list(self._trainable_weights)))
    weights = variables = property(lambda self: self.trainable_weights +
                                   self.non_trainable_weights)
    trainable_variables = property(lambda self: self.trainable_weights)

    def build(self, inputs_shape):
        """Creates the cell's variables (a subclass's); the base makes none."""
        self.built = True

    def add_variable(self, name, shape, dtype=None, initializer=None, regularizer=None,
                     trainable=True, constraint=None, partitioner=None):
        """TF1's ``Layer.add_variable``: ``get_variable`` in the cell's scope (made now if
        ``build`` runs before any call), of the cell's dtype unless given, tracked in
        ``trainable_weights`` / ``non_trainable_weights``."""
        if self._scope is None:
            with variable_scope(None, default_name=self._base_name, reuse=self._reuse) as vs:
                self._scope = vs
        with variable_scope(self._scope, auxiliary_name_scope=False):
            var = get_variable(name, shape,
                               dtype=_dt.as_dtype(dtype or self._dtype or "float32"),
                               initializer=initializer, regularizer=regularizer,
                               trainable=trainable and self.trainable, constraint=constraint,
                               partitioner=partitioner)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        return var

    add_weight = add_variable

    def _step(self, inputs, state):
        if self._dtype is None:
            self._dtype = flatten(inputs)[0].dtype.base_dtype
        if not self.built:
            shapes = pack(inputs, iter([x.shape for x in flatten(inputs)]))
            self.build(shapes)
            self.built = True
        return self.call(inputs, state)


class ConvLSTMCell(_NamedCell):
    """TF1's ``tf.contrib.rnn.ConvLSTMCell``: an LSTM whose input and recurrent transforms
    are one SAME, stride-1 convolution of ``[inputs, h]`` (``kernel``, plus ``biases`` with
    ``use_bias``); gates i, j, f, o; with ``skip_connection`` the output (and, as in TF1, the
    state's h) is ``[h, inputs]`` side by side. ``initializers`` is unused, as in TF1."""

    _base_name = "conv_lstm_cell"

    def __init__(self, conv_ndims, input_shape, output_channels, kernel_shape, use_bias=True,
                 skip_connection=False, forget_bias=1.0, initializers=None,
                 name="conv_lstm_cell"):
        super().__init__()
        self._base_name = name or type(self)._base_name
        if conv_ndims != len(input_shape) - 1:
            raise ValueError(f"Invalid input_shape {input_shape} for conv_ndims={conv_ndims}.")
        self._conv_ndims = conv_ndims
        self._input_shape = list(input_shape)
        self._output_channels = output_channels
        self._kernel_shape = list(kernel_shape)
        self._use_bias, self._forget_bias = use_bias, forget_bias
        self._skip_connection = skip_connection
        self._total_output_channels = output_channels + (
            self._input_shape[-1] if skip_connection else 0)
        size = TensorShape(self._input_shape[:-1] + [output_channels])
        self._state_size = LSTMStateTuple(size, size)
        self._output_size = TensorShape(self._input_shape[:-1] + [self._total_output_channels])

    state_size = property(lambda self: self._state_size)
    output_size = property(lambda self: self._output_size)

    def zero_state(self, batch_size, dtype):
        """Zeros [batch_size, *spatial, output_channels] for c and h."""
        from ..graph import get_default_graph

        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return LSTMStateTuple(*(_zeros(batch_size, s, dtype) for s in self._state_size))

    def _step(self, inputs, state):
        cell, hidden = state
        gates = concat_split_ops.split(
            _conv([inputs, hidden], self._kernel_shape, 4 * self._output_channels,
                  self._use_bias), 4, axis=self._conv_ndims + 1)
        input_gate, new_input, forget_gate, output_gate = gates
        new_cell = sigmoid(forget_gate + self._forget_bias) * cell
        new_cell += sigmoid(input_gate) * tanh(new_input)
        output = tanh(new_cell) * sigmoid(output_gate)
        if self._skip_connection:
            output = concat_split_ops.concat([output, inputs], axis=-1)
        return output, LSTMStateTuple(new_cell, output)


class Conv1DLSTMCell(ConvLSTMCell):
    """TF1's ``tf.contrib.rnn.Conv1DLSTMCell``: ConvLSTMCell over [batch, width, channels]
    (scope ``conv_1d_lstm_cell``)."""

    _base_name = "conv_1d_lstm_cell"

    def __init__(self, name="conv_1d_lstm_cell", **kwargs):
        super().__init__(conv_ndims=1, name=name, **kwargs)


class Conv2DLSTMCell(ConvLSTMCell):
    """TF1's ``tf.contrib.rnn.Conv2DLSTMCell``: ConvLSTMCell over [batch, height, width,
    channels] (scope ``conv_2d_lstm_cell``)."""

    _base_name = "conv_2d_lstm_cell"

    def __init__(self, name="conv_2d_lstm_cell", **kwargs):
        super().__init__(conv_ndims=2, name=name, **kwargs)


class Conv3DLSTMCell(ConvLSTMCell):
    """TF1's ``tf.contrib.rnn.Conv3DLSTMCell``: ConvLSTMCell over [batch, depth, height,
    width, channels] (scope ``conv_3d_lstm_cell``)."""

    _base_name = "conv_3d_lstm_cell"

    def __init__(self, name="conv_3d_lstm_cell", **kwargs):
        super().__init__(conv_ndims=3, name=name, **kwargs)


def _conv(args, filter_size, num_features, bias, bias_start=0.0):
    """TF1's contrib ``_conv``: the args side by side on their last axis, convolved (SAME,
    stride 1; conv1d/2d/3d by rank) with ``kernel`` [*filter_size, total depth, num_features],
    plus ``biases`` [num_features] (starting at ``bias_start``) with ``bias``."""
    shapes = [a.shape.as_list() if a.shape.rank is not None else None for a in args]
    total_depth = 0
    for shape in shapes:
        if shape is None or len(shape) not in (3, 4, 5):
            raise ValueError(f"Conv Linear expects 3D, 4D or 5D arguments: {shapes}")
        if len(shape) != len(shapes[0]):
            raise ValueError(f"Conv Linear expects all args to be of same Dimension: {shapes}")
        total_depth += shape[-1]
    rank, dtype = len(shapes[0]), args[0].dtype
    kernel = get_variable("kernel", list(filter_size) + [total_depth, num_features],
                          dtype=dtype)
    x = args[0] if len(args) == 1 else concat_split_ops.concat(args, axis=rank - 1)
    if rank == 3:
        res = conv1d(x, kernel, 1, padding="SAME")
    elif rank == 4:
        res = conv_ops.conv2d(x, kernel, [1] * 4, padding="SAME")
    else:
        res = conv3d(x, kernel, [1] * 5, padding="SAME")
    if not bias:
        return res
    bias_term = get_variable("biases", [num_features], dtype=dtype,
                             initializer=init_ops.constant_initializer(bias_start))
    return res + bias_term


class SRUCell(LayerRNNCell):
    """TF1's ``tf.contrib.rnn.SRUCell`` (Lei et al., 2017): ``x~, f, r, x' = split(x W)``,
    ``f, r = sigmoid([f, r] + b)``, ``c' = f c + (1 - f) x~``, ``h = r act(c') + (1 - r) x'``;
    ``kernel`` [depth, 4 num_units], ``bias`` [2 num_units]; the state is ``c``."""

    def __init__(self, num_units, activation=None, reuse=None, name=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, **kwargs)
        self._num_units = num_units
        self._activation = activation_of(activation) or tanh

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        """``kernel`` [depth, 4 num_units] (the scope's initializer), ``bias`` (zeros)."""
        depth = _check_2d(self, inputs_shape)
        self._kernel = self.add_variable("kernel", [depth, 4 * self._num_units])
        self._bias = self.add_variable("bias", [2 * self._num_units],
                                       initializer=init_ops.zeros_initializer())
        self.built = True

    def call(self, inputs, state):
        """One SRU step: (h, c)."""
        x_bar, f_pre, r_pre, x_tx = concat_split_ops.split(
            linalg_ops.matmul(inputs, self._kernel), 4, axis=1)
        f, r = concat_split_ops.split(sigmoid(nn_ops.bias_add(
            concat_split_ops.concat([f_pre, r_pre], 1), self._bias)), 2, axis=1)
        c = f * state + (1.0 - f) * x_bar
        h = r * self._activation(c) + (1.0 - r) * x_tx
        return h, c


def _check_2d(cell, inputs_shape):
    """TF1's InputSpec(ndim=2) of these cells, and a known depth."""
    if inputs_shape.rank != 2:
        raise ValueError(f"Input 0 of layer {cell._base_name} is incompatible with the layer: "
                         f"expected ndim=2, found ndim={inputs_shape.rank}. Full shape "
                         f"received: {inputs_shape}")
    if inputs_shape[-1].value is None:
        raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: {inputs_shape}")
    return inputs_shape[-1].value


class MinimalRNNCell(LayerRNNCell):
    """TF1's ``tf.contrib.rnn.MinimalRNNCell`` (Chen et al., 2018): ``z = act(x W_x)``, ``u =
    sigmoid([z, h] W_u + b)``, ``h' = u h + (1 - u) z``; ``kernel`` [depth + 2 units, units]
    holds W_x (its first ``depth`` rows) and W_u, ``bias`` starts at ones."""

    def __init__(self, units, activation="tanh", kernel_initializer="glorot_uniform",
                 bias_initializer="ones", name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.units = units
        self.activation = activation_of(activation)
        self.kernel_initializer = initializer_of(kernel_initializer)
        self.bias_initializer = initializer_of(bias_initializer)

    state_size = property(lambda self: self.units)
    output_size = property(lambda self: self.units)

    def build(self, inputs_shape):
        """``kernel`` [depth + 2 units, units], ``bias`` [units]."""
        depth = _check_2d(self, inputs_shape)
        self.kernel = self.add_weight("kernel", [depth + 2 * self.units, self.units],
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight("bias", [self.units], initializer=self.bias_initializer)
        self.built = True

    def call(self, inputs, state):
        """One MinimalRNN step: (h', h')."""
        depth = inputs.shape[1].value
        feedforward_weight, gate_weight = concat_split_ops.split(
            self.kernel, [depth, 2 * self.units], axis=0)
        feedforward = self.activation(linalg_ops.matmul(inputs, feedforward_weight))
        u = sigmoid(nn_ops.bias_add(linalg_ops.matmul(
            concat_split_ops.concat([feedforward, state], 1), gate_weight), self.bias))
        new_h = u * state + (1 - u) * feedforward
        return new_h, new_h


class CFNCell(LayerRNNCell):
    """TF1's ``tf.contrib.rnn.CFNCell`` (Chaos Free Network, Laurent & von Brecht, 2017):
    ``theta, eta = sigmoid(h U + x V + b)``, ``h' = theta act(h) + (1 - eta) act(x W)``;
    ``kernel`` [depth, 3 units] holds V and W, ``recurrent_kernel`` [units, 2 units] U,
    ``bias`` [2 units] starts at ones."""

    def __init__(self, units, activation="tanh", kernel_initializer="glorot_uniform",
                 bias_initializer="ones", name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.units = units
        self.activation = activation_of(activation)
        self.kernel_initializer = initializer_of(kernel_initializer)
        self.bias_initializer = initializer_of(bias_initializer)

    state_size = property(lambda self: self.units)
    output_size = property(lambda self: self.units)

    def build(self, inputs_shape):
        """``kernel`` [depth, 3 units], ``recurrent_kernel`` [units, 2 units], ``bias``."""
        depth = _check_2d(self, inputs_shape)
        self.kernel = self.add_weight("kernel", [depth, 3 * self.units],
                                      initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", [self.units, 2 * self.units],
                                                initializer=self.kernel_initializer)
        self.bias = self.add_weight("bias", [2 * self.units], initializer=self.bias_initializer)
        self.built = True

    def call(self, inputs, state):
        """One CFN step: (h', h')."""
        v, w = concat_split_ops.split(self.kernel, [2 * self.units, self.units], axis=1)
        gates = sigmoid(nn_ops.bias_add(linalg_ops.matmul(state, self.recurrent_kernel) +
                                        linalg_ops.matmul(inputs, v), self.bias))
        theta, eta = concat_split_ops.split(gates, 2, axis=1)
        new_h = theta * self.activation(state) + \
            (1 - eta) * self.activation(linalg_ops.matmul(inputs, w))
        return new_h, new_h


class CudnnCompatibleLSTMCell(LSTMBlockCell):
    """TF1's ``tf.contrib.cudnn_rnn.CudnnCompatibleLSTMCell``: LSTMBlockCell with forget bias
    0, no clipping nor peepholes, in scope ``cudnn_compatible_lstm_cell`` (``kernel``,
    ``bias``), so CudnnLSTM-trained checkpoints (their canonical names) load into it."""

    _base_name = "cudnn_compatible_lstm_cell"

    def __init__(self, num_units, reuse=None):
        super().__init__(num_units, forget_bias=0, cell_clip=None, use_peephole=False,
                         reuse=reuse, name="cudnn_compatible_lstm_cell")


class CudnnCompatibleGRUCell(GRUCell):
    """TF1's ``tf.contrib.cudnn_rnn.CudnnCompatibleGRUCell``: cuDNN's GRU, whose candidate
    resets the recurrent projection: ``h~ = tanh(x W_h + b_Wh + r * (h R_h + b_Rh))``, ``h' =
    (1 - u) h~ + u h``; variables ``gates/kernel``, ``gates/bias`` (ones),
    ``candidate/input_projection/kernel``, ``candidate/hidden_projection/kernel`` and their
    ``bias`` (zeros), in scope ``cudnn_compatible_gru_cell``."""

    _base_name = "cudnn_compatible_gru_cell"

    def __init__(self, num_units, reuse=None, kernel_initializer=None):
        super().__init__(num_units, activation=None, reuse=reuse,
                         kernel_initializer=kernel_initializer)

    def _step(self, inputs, state):
        depth = inputs.shape[1].value if inputs.shape.rank == 2 else None
        if depth is None:
            raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: "
                             f"{inputs.shape}")
        n, dtype, init = self._num_units, inputs.dtype, self._kernel_initializer

        def var(name, shape, initializer):
            return get_variable(name, shape, dtype=dtype, initializer=initializer)

        gate_k = var("gates/kernel", [depth + n, 2 * n], init)
        gate_b = var("gates/bias", [2 * n], init_ops.constant_initializer(1.0))
        in_k = var("candidate/input_projection/kernel", [depth, n], init)
        hid_k = var("candidate/hidden_projection/kernel", [n, n], init)
        in_b = var("candidate/input_projection/bias", [n], init_ops.zeros_initializer())
        hid_b = var("candidate/hidden_projection/bias", [n], init_ops.zeros_initializer())
        value = sigmoid(nn_ops.bias_add(linalg_ops.matmul(
            concat_split_ops.concat([inputs, state], 1), gate_k), gate_b))
        r, u = concat_split_ops.split(value, 2, axis=1)
        candidate = nn_ops.bias_add(linalg_ops.matmul(inputs, in_k), in_b)
        candidate += r * nn_ops.bias_add(linalg_ops.matmul(state, hid_k), hid_b)
        candidate = self._activation(candidate)
        new_h = (1 - u) * candidate + u * state
        return new_h, new_h


def transpose_batch_time(x):
    """TF1's ``tf.contrib.rnn.transpose_batch_time``: ``x`` with its first two axes swapped
    ([batch, time, ...] <-> [time, batch, ...]), its static shape kept; ``x`` itself if its
    rank is below 2."""
    x = convert_to_tensor(x)
    static = x.shape
    if static.rank is not None and static.rank < 2:
        return x
    if static.rank is not None:
        return transform_ops.transpose(x, [1, 0] + list(range(2, static.rank)))
    perm = concat_split_ops.concat(
        [array_ops.constant([1, 0]), fill_ops.range_(2, shape_ops.rank(x))], 0)
    return transform_ops.transpose(x, perm)


def best_effort_input_batch_size(flat_input):
    """TF1's ``tf.contrib.rnn.best_effort_input_batch_size``: the batch size of time-major
    inputs (axis 1), from the first input whose static shape knows it, else the first input's
    dynamic ``shape[1]``."""
    flat_input = [convert_to_tensor(x) for x in flat_input]
    for x in flat_input:
        shape = x.shape
        if shape.rank is None:
            continue
        if shape.rank < 2:
            raise ValueError(f"Expected input tensor {x} to have rank at least 2")
        if shape[1].value is not None:
            return shape[1].value
    return array_ops.shape(flat_input[0])[1]

