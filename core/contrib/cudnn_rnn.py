"""``tf.contrib.cudnn_rnn`` (TF 1.x, ``contrib/cudnn_rnn/python/layers/cudnn_rnn.py``): the
cuDNN RNN layers CudnnLSTM, CudnnGRU, CudnnRNNTanh and CudnnRNNRelu, which minitf runs on CPU
with numpy kernels for TF's cuDNN ops (core/ops/cudnn_rnn_ops.py).

As in TF, a layer keeps all its weights in one opaque params variable, ``<scope>/opaque_kernel``,
initialised from per-gate canonical weights (``kernel_initializer``, glorot uniform by default)
and biases (``bias_initializer``, zeros), and runs one CudnnRNN op over time-major inputs
``[time, batch, depth]``. Building it registers a saveable (CudnnLSTMSaveable...) so a Saver
checkpoints the params in canonical form, converted by core/contrib/cudnn_rnn_ops.py, under the
names of the equivalent CudnnCompatibleLSTMCell / CudnnCompatibleGRUCell / BasicRNNCell graph
(``<scope>/rnn/multi_rnn_cell/cell_<i>/cudnn_compatible_lstm_cell/kernel``...), and restores
them from one.

Not supported (a clear error): ``input_mode`` 'skip_input' (and 'auto_select' when the input
depth equals ``num_units``), the LSTM projection ``num_proj`` and object-based checkpoints.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from .. import init_ops
from ..errors import InvalidArgumentError
from ..graph import GraphKeys, add_to_collection, convert_to_tensor
from ..layers_base import InputSpec, Layer
from ..ops import cudnn_rnn_ops as _cudnn_ops
from ..ops import fill_ops, shape_ops
from ..tensor_shape import TensorShape
from ..train.saver import SaveableObject
from ..variable_scopes import VariableScope
from ..variables import get_variable, get_variable_scope
from . import cudnn_rnn_ops
from .cudnn_rnn_ops import (CUDNN_GRU, CUDNN_GRU_PARAMS_PER_LAYER,  # noqa: F401
                            CUDNN_INPUT_AUTO_MODE, CUDNN_INPUT_LINEAR_MODE,
                            CUDNN_INPUT_SKIP_MODE, CUDNN_LSTM, CUDNN_LSTM_PARAMS_PER_LAYER,
                            CUDNN_RNN_BIDIRECTION, CUDNN_RNN_RELU,
                            CUDNN_RNN_RELU_PARAMS_PER_LAYER, CUDNN_RNN_TANH,
                            CUDNN_RNN_TANH_PARAMS_PER_LAYER, CUDNN_RNN_UNIDIRECTION,
                            CudnnCompatibleGRUCell, CudnnCompatibleLSTMCell,
                            CudnnParamsFormatConverterGRU, CudnnParamsFormatConverterLSTM,
                            CudnnParamsFormatConverterRelu, CudnnParamsFormatConverterTanh,
                            _NumpyOps, cudnn_gru, cudnn_lstm,
                            cudnn_rnn_canonical_to_opaque_params,
                            cudnn_rnn_opaque_params_size, cudnn_rnn_opaque_params_to_canonical,
                            cudnn_rnn_relu, cudnn_rnn_tanh)

__all__ = ["CudnnCompatibleGRUCell", "CudnnCompatibleLSTMCell", "CudnnGRU", "CudnnGRUSaveable",
           "CudnnLSTM", "CudnnLSTMSaveable", "CudnnParamsFormatConverterGRU",
           "CudnnParamsFormatConverterLSTM", "CudnnParamsFormatConverterRelu",
           "CudnnParamsFormatConverterTanh", "CudnnRNNRelu", "CudnnRNNReluSaveable",
           "CudnnRNNTanh", "CudnnRNNTanhSaveable"]


class CudnnOpaqueParamsSaveable(SaveableObject):
    """What a Saver saves for a cuDNN layer's opaque params (TF's saveable of that name): the
    TF canonical weights and biases under ``<scope>/rnn/multi_rnn_cell/cell_<i>/<cell>/...``
    (bidirectional: ``<scope>/stack_bidirectional_rnn/cell_<i>/bidirectional_rnn/{fw,bw}/
    <cell>/...``), the names a CudnnCompatible cell graph gives its variables; restoring
    converts them back into the opaque variable."""

    _format_converter_cls = None
    _rnn_cell_name = None

    def __init__(self, opaque_params, num_layers, num_units, input_size,
                 input_mode=CUDNN_INPUT_LINEAR_MODE, direction=CUDNN_RNN_UNIDIRECTION,
                 scope=None, name="cudnn_rnn_saveable"):
        self._num_layers, self._num_units, self._input_size = num_layers, num_units, input_size
        self._input_mode, self._direction = input_mode, direction
        scope = scope.name if isinstance(scope, VariableScope) else scope
        self._scope = scope or None
        self._variables = opaque_params
        self._num_dirs = 1 if direction == CUDNN_RNN_UNIDIRECTION else 2
        self._format_converter = None
        weights, biases = self.format_converter.opaque_to_tf_canonical(opaque_params)
        self._weight_names, self._bias_names = self._tf_canonical_names()
        self._param_names = self._weight_names + self._bias_names
        names = [f"{self._scope}/{n}" if self._scope else n for n in self._param_names]
        super().__init__(opaque_params.op, list(zip(names, weights + biases)), name)

    @property
    def format_converter(self):
        if self._format_converter is None:
            self._format_converter = self._format_converter_cls(
                self._num_layers, self._num_units, self._input_size,
                input_mode=self._input_mode, direction=self._direction)
        return self._format_converter

    def _opaque_from(self, arrays):
        return self.format_converter.tf_canonical_to_opaque(
            [np.asarray(a) for a in arrays], ops=_NumpyOps)

    def check(self, arrays, save_path):
        conv = self.format_converter
        size = _cudnn_ops.params_size(conv._rnn_mode, self._num_layers, self._num_units,
                                self._input_size, self._num_dirs)
        want = conv.opaque_to_tf_canonical(np.zeros(size), ops=_NumpyOps)
        for (name, _), arr, expected in zip(self.specs, arrays, want[0] + want[1]):
            if np.shape(arr) != np.shape(expected):
                raise InvalidArgumentError(
                    None, None, f"Checkpoint {save_path}: {name} has shape {list(np.shape(arr))}"
                    f" in the checkpoint but {list(np.shape(expected))} in the graph (of "
                    f"'{self.name}')")

    def restore(self, sess, arrays):
        dtype = self._variables.dtype.base_dtype.as_numpy_dtype
        value = self._opaque_from(arrays).astype(dtype)
        sess._resources.variable(self._variables.op).set(value)

    def _tf_canonical_names(self):
        weights, biases = [], []
        for layer in range(self._num_layers):
            if self._direction == CUDNN_RNN_UNIDIRECTION:
                prefixes = [f"rnn/multi_rnn_cell/cell_{layer}/{self._rnn_cell_name}"]
            else:
                prefixes = [f"stack_bidirectional_rnn/cell_{layer}/bidirectional_rnn/{d}/"
                            f"{self._rnn_cell_name}" for d in ("fw", "bw")]
            for prefix in prefixes:
                self._tf_canonical_names_single_layer(prefix, weights, biases)
        return weights, biases

    def _tf_canonical_names_single_layer(self, prefix, weights, biases):
        weights.append(f"{prefix}/kernel")
        biases.append(f"{prefix}/bias")


class CudnnLSTMSaveable(CudnnOpaqueParamsSaveable):
    _format_converter_cls = CudnnParamsFormatConverterLSTM
    _rnn_cell_name = "cudnn_compatible_lstm_cell"


class CudnnGRUSaveable(CudnnOpaqueParamsSaveable):
    _format_converter_cls = CudnnParamsFormatConverterGRU
    _rnn_cell_name = "cudnn_compatible_gru_cell"

    def _tf_canonical_names_single_layer(self, prefix, weights, biases):
        for part in ("gates", "candidate/input_projection", "candidate/hidden_projection"):
            weights.append(f"{prefix}/{part}/kernel")
            biases.append(f"{prefix}/{part}/bias")


class CudnnRNNTanhSaveable(CudnnLSTMSaveable):
    _format_converter_cls = CudnnParamsFormatConverterTanh
    _rnn_cell_name = "basic_rnn_cell"


class CudnnRNNReluSaveable(CudnnLSTMSaveable):
    _format_converter_cls = CudnnParamsFormatConverterRelu
    _rnn_cell_name = "basic_rnn_cell"


class _CudnnRNN(Layer):
    """TF1's abstract cuDNN RNN layer: one opaque params variable for every layer and
    direction; ``call`` returns ``(outputs, states)`` with ``outputs`` ``[time, batch,
    num_dirs * num_units]`` (forward and backward outputs concatenated) and ``states`` shaped as
    ``initial_state``: ``(h, c)`` for LSTM, ``(h,)`` otherwise, each ``[num_layers * num_dirs,
    batch, num_units]``."""

    _rnn_mode = None
    _num_params_per_layer = None
    _saveable_cls = None

    def __init__(self, num_layers, num_units, input_mode=CUDNN_INPUT_LINEAR_MODE,
                 direction=CUDNN_RNN_UNIDIRECTION, dropout=0., seed=None, dtype=_dt.float32,
                 kernel_initializer=None, bias_initializer=None, name=None):
        super().__init__(dtype=dtype, name=name)
        cudnn_rnn_ops.check_direction(direction)
        cudnn_rnn_ops.check_input_mode(input_mode)
        dtype = _dt.as_dtype(dtype)
        if dtype not in (_dt.float16, _dt.float32, _dt.float64):
            raise ValueError(f"Only support float16, float32, float64, provided {dtype}")
        if not (isinstance(num_layers, int) and num_layers > 0):
            raise ValueError(f"num_layers must be a positive int, got {num_layers!r}")
        if not (isinstance(num_units, int) and num_units > 0):
            raise ValueError(f"num_units must be a positive int, got {num_units!r}")
        self._plain_dtype = dtype
        self._num_layers, self._num_units = num_layers, num_units
        self._input_mode, self._direction = input_mode, direction
        self._dropout, self._seed = dropout, seed
        self._kernel_initializer, self._bias_initializer = kernel_initializer, bias_initializer
        self._input_size = None
        self._saveable = None

    num_layers = property(lambda self: self._num_layers)
    num_units = property(lambda self: self._num_units)
    input_mode = property(lambda self: self._input_mode, doc="Input mode of the first layer.")
    rnn_mode = property(lambda self: self._rnn_mode, doc="lstm, gru, rnn_relu or rnn_tanh.")
    direction = property(lambda self: self._direction)
    saveable = property(lambda self: self._saveable)

    @property
    def input_size(self):
        if not self._input_size:
            raise ValueError("'input_size' is unknown since layer has not been built.")
        return self._input_size

    @property
    def num_dirs(self):
        return 1 if self._direction == CUDNN_RNN_UNIDIRECTION else 2

    @property
    def canonical_weight_shapes(self):
        """Shapes of cuDNN's canonical weights, layer by layer: per direction, one
        ``(num_units, width)`` per gate for the input, then ``(num_units, num_units)`` per gate
        for the recurrent state."""
        if not self._input_size:
            raise RuntimeError(f"{type(self).__name__}.canonical_weight_shapes invoked before "
                               "input shape is known")
        return [s for layer in range(self._num_layers)
                for s in self._canonical_weight_shape(layer)]

    @property
    def canonical_bias_shapes(self):
        """Shapes of cuDNN's canonical biases (input then recurrent, per gate and direction)."""
        return self._canonical_bias_shape(0) * self._num_layers

    def _canonical_weight_shape(self, layer):
        if layer < 0 or layer >= self._num_layers:
            raise ValueError(f"'layer' is not valid, got {layer}, expecting [0, "
                             f"{self._num_layers - 1}]")
        if not self._input_size:
            raise RuntimeError(f"{type(self).__name__}._canonical_weight_shape invoked before "
                               "input shape is known")
        units, gates = self._num_units, self._num_params_per_layer // 2
        width = self._input_size if layer == 0 else units * self.num_dirs
        return ([(units, width)] * gates + [(units, units)] * gates) * self.num_dirs

    def _canonical_bias_shape(self, unused_layer):
        return [[self._num_units]] * self.num_dirs * self._num_params_per_layer

    def build(self, input_shape):
        """Creates ``opaque_kernel`` for inputs of ``input_shape`` (3-D, depth known) and the
        saveable; run by the first call, or called ahead of it."""
        if self.built:
            return
        input_shape = TensorShape(input_shape)
        if input_shape.rank != 3:
            raise ValueError(f"Expecting input_shape with 3 dims, got {input_shape.rank}")
        if input_shape[-1].value is None:
            raise ValueError("The last dimension of the inputs to `CudnnRNN` should be "
                             "defined. Found `None`.")
        self._input_size = input_shape[-1].value
        self.input_spec = InputSpec(ndim=3, axes={-1: self._input_size})
        self._set_scope(None)
        with self._enter_scope(self._reuse):
            if self._kernel_initializer is None:
                self._kernel_initializer = init_ops.glorot_uniform_initializer(
                    seed=self._seed, dtype=self._plain_dtype)
            if self._bias_initializer is None:
                self._bias_initializer = init_ops.constant_initializer(
                    0.0, dtype=self._plain_dtype)
            weights = [self._kernel_initializer(sp, dtype=self._plain_dtype)
                       for sp in self.canonical_weight_shapes]
            biases = [self._bias_initializer(sp, dtype=self._plain_dtype)
                      for sp in self.canonical_bias_shapes]
            opaque = self._canonical_to_opaque(weights, biases)
            # One variable for every layer and direction, as cuDNN wants its params. (TF's
            # has no static shape, the size being cuDNN's business; here it is known, which
            # optimizers' slots need.)
            self.kernel = get_variable("opaque_kernel", dtype=self._plain_dtype,
                                       initializer=opaque)
        self._track([self.kernel])
        # In the outer scope, so the equivalent cell graph's names match the saved ones.
        if not (self.built or get_variable_scope().reuse is True):
            self._create_saveable()
        self.built = True

    def call(self, inputs, initial_state=None, sequence_lengths=None, time_major=True,
             training=True):
        """One cuDNN op over ``inputs`` (``[time, batch, depth]``; ``[batch, time, depth]``
        with ``time_major=False``) from ``initial_state`` (zeros if None); see the class."""
        if initial_state is not None and not isinstance(initial_state, tuple):
            raise TypeError(f"Invalid initial_state type: {initial_state}, expecting tuple.")
        inputs = convert_to_tensor(inputs, dtype=self._plain_dtype)
        if initial_state is None:
            initial_state = self._zero_state(inputs, time_major)
        if self._rnn_mode == CUDNN_LSTM:
            if len(initial_state) != 2:
                raise ValueError(f"{type(self).__name__} expects initial_state (h, c), got "
                                 f"{len(initial_state)} tensor(s)")
            h, c = (convert_to_tensor(s, dtype=self._plain_dtype) for s in initial_state)
        else:
            if len(initial_state) != 1:
                raise ValueError(f"{type(self).__name__} expects initial_state (h,), got "
                                 f"{len(initial_state)} tensor(s)")
            h = convert_to_tensor(initial_state[0], dtype=self._plain_dtype)
            c = cudnn_rnn_ops.array_ops.constant([], dtype=self._plain_dtype)
        outputs, (output_h, output_c) = self._forward(
            inputs, h, c, self.kernel, sequence_lengths, time_major, training)
        if self._rnn_mode == CUDNN_LSTM:
            return outputs, (output_h, output_c)
        return outputs, (output_h,)

    def state_shape(self, batch_size):
        raise NotImplementedError

    def _zero_state(self, inputs, time_major):
        # (TF takes the batch from axis 1 even for batch-major inputs; the states of
        # batch-major inputs are batch-major, so here it comes from axis 0 for them.)
        axis = 1 if time_major else 0
        batch = inputs.shape[axis].value if inputs.shape.rank == 3 else None
        if batch is None:
            batch = shape_ops.shape(inputs)[axis]
        shapes = self.state_shape(batch)
        if not time_major:
            shapes = [[s[1], s[0], s[2]] for s in shapes]
        return tuple(fill_ops.zeros(s, dtype=self._plain_dtype) for s in shapes)

    def _canonical_to_opaque(self, cu_weights, cu_biases):
        if not self._input_size:
            raise RuntimeError(f"{type(self).__name__}._canonical_to_opaque invoked before "
                               "input shape is known")
        return cudnn_rnn_ops.cudnn_rnn_canonical_to_opaque_params(
            rnn_mode=self._rnn_mode, num_layers=self._num_layers, num_units=self._num_units,
            input_size=self._input_size, weights=cu_weights, biases=cu_biases,
            input_mode=self._input_mode, seed=self._seed, dropout=self._dropout,
            direction=self._direction)

    def _forward(self, inputs, h, c, opaque_params, sequence_lengths, time_major, training):
        output, output_h, output_c = cudnn_rnn_ops._cudnn_rnn(
            inputs, h, c, opaque_params, training, self._rnn_mode,
            sequence_lengths=sequence_lengths, time_major=time_major,
            input_mode=self._input_mode, direction=self._direction, dropout=self._dropout,
            seed=self._seed)
        return output, (output_h, output_c)

    def _create_saveable(self):
        """Makes the layer's saveable and adds it to SAVEABLE_OBJECTS (once)."""
        if self._saveable is not None:
            raise RuntimeError("Cudnn saveable already created.")
        self._saveable = self._saveable_cls(
            opaque_params=self.kernel, num_layers=self.num_layers, num_units=self.num_units,
            input_size=self.input_size, input_mode=self.input_mode, direction=self.direction,
            scope=get_variable_scope(), name=f"{self.kernel.op.name}_saveable")
        add_to_collection(GraphKeys.SAVEABLE_OBJECTS, self._saveable)

    def _gather_saveables_for_checkpoint(self):
        raise NotImplementedError("This cell does not yet support object-based saving. File a "
                                  "feature request if this limitation bothers you.")


class CudnnLSTM(_CudnnRNN):
    """TF1's ``tf.contrib.cudnn_rnn.CudnnLSTM``: cuDNN's LSTM (gates i, f, c, o; no forget
    bias; states (h, c)); its checkpoints load into CudnnCompatibleLSTMCell graphs."""

    _rnn_mode = CUDNN_LSTM
    _num_params_per_layer = CUDNN_LSTM_PARAMS_PER_LAYER
    _saveable_cls = CudnnLSTMSaveable

    def state_shape(self, batch_size):
        """([layers * dirs, batch, units], [layers * dirs, batch, units]): h and c."""
        shape = [self.num_layers * self.num_dirs, batch_size, self.num_units]
        return (list(shape), list(shape))


class _CudnnRNNNoInputC(_CudnnRNN):
    def state_shape(self, batch_size):
        """([layers * dirs, batch, units],): h."""
        return ([self.num_layers * self.num_dirs, batch_size, self.num_units],)


class CudnnGRU(_CudnnRNNNoInputC):
    """TF1's ``tf.contrib.cudnn_rnn.CudnnGRU``: cuDNN's GRU (``h' = (1 - z) n + z h``, ``n =
    tanh(W x + b_W + r * (R h + b_R))``); its checkpoints load into CudnnCompatibleGRUCell
    graphs."""

    _rnn_mode = CUDNN_GRU
    _num_params_per_layer = CUDNN_GRU_PARAMS_PER_LAYER
    _saveable_cls = CudnnGRUSaveable


class CudnnRNNTanh(_CudnnRNNNoInputC):
    """TF1's ``tf.contrib.cudnn_rnn.CudnnRNNTanh``: ``h' = tanh(W x + R h + b_W + b_R)``."""

    _rnn_mode = CUDNN_RNN_TANH
    _num_params_per_layer = CUDNN_RNN_TANH_PARAMS_PER_LAYER
    _saveable_cls = CudnnRNNTanhSaveable


class CudnnRNNRelu(_CudnnRNNNoInputC):
    """TF1's ``tf.contrib.cudnn_rnn.CudnnRNNRelu``: ``h' = relu(W x + R h + b_W + b_R)``."""

    _rnn_mode = CUDNN_RNN_RELU
    _num_params_per_layer = CUDNN_RNN_RELU_PARAMS_PER_LAYER
    _saveable_cls = CudnnRNNReluSaveable
