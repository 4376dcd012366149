"""The cells of ``tf.keras.layers`` recurrent layers, TF 1.15's v1 classes (re-exported by
core/keras/layers/recurrent.py, which runs them over time): SimpleRNNCell, LSTMCell, GRUCell
and StackedRNNCells.

A cell is a Layer whose ``call(inputs, states, training=None)`` takes one time step
``[batch, depth]`` and the list of states, and returns ``(output, new_states)``. Weights are
Keras' fused ones (LSTM ``kernel`` ``(input_dim, 4 * units)`` in gate order i, f, c, o; GRU
``kernel`` ``(input_dim, 3 * units)`` in order z, r, h), so weights copy across from Keras
unchanged. ``implementation`` 1 multiplies gate by gate, 2 all gates at once: the same result
(without dropout). Dropout masks are drawn once per layer call and reused at every step, as
Keras' DropoutRNNCellMixin does.
"""

from __future__ import annotations

from ...graph import get_default_graph
from ...nest_util import flatten, pack
from ...ops import concat_split_ops, fill_ops, linalg_ops, nn_ops
from .. import activations, backend, constraints, initializers, regularizers
from ..base_layer import Layer


def _dot(x, kernel):
    return linalg_ops.matmul(x, kernel)


# -- dropout ------------------------------------------------------------------------------------
def _in_train_phase(train_fn, other, training):
    if training is None:
        training = backend.learning_phase()
    if isinstance(training, (bool, int)):
        return train_fn() if training else other
    from ...control_flow import cond

    return cond(training, train_fn, lambda: other)


class DropoutRNNCellMixin:
    """Keras' dropout masks for a cell: drawn once per RNN call (``reset_dropout_mask``) and
    reused by every step, ``count`` independent masks for cells whose gates take their own."""

    def _init_dropout(self, dropout, recurrent_dropout):
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def reset_dropout_mask(self):
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        self._recurrent_dropout_mask = None

    @staticmethod
    def _masks(x, rate, training, count):
        from ...nn_impl import dropout

        ones = fill_ops.ones_like(x)
        masks = [_in_train_phase(lambda: dropout(ones, rate=rate), ones, training)
                 for _ in range(count)]
        return masks if count > 1 else masks[0]

    def get_dropout_mask_for_cell(self, inputs, training, count=1):
        if self.dropout == 0:
            return None
        if self._dropout_mask is None:
            self._dropout_mask = self._masks(inputs, self.dropout, training, count)
        return self._dropout_mask

    def get_recurrent_dropout_mask_for_cell(self, inputs, training, count=1):
        if self.recurrent_dropout == 0:
            return None
        if self._recurrent_dropout_mask is None:
            self._recurrent_dropout_mask = self._masks(inputs, self.recurrent_dropout, training,
                                                       count)
        return self._recurrent_dropout_mask


class _Cell(DropoutRNNCellMixin, Layer):
    """What the three cells share: units, activations and the identifiers of their weights."""

    _defaults = {"activation": "tanh", "recurrent_activation": "hard_sigmoid"}

    def __init__(self, units, activation="tanh", recurrent_activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units}.")
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_dropout(dropout, recurrent_dropout)

    def _weight(self, name, shape, which, initializer=None):
        return self.add_weight(
            name=name, shape=shape,
            initializer=initializer or getattr(self, f"{which}_initializer"),
            regularizer=getattr(self, f"{which}_regularizer"),
            constraint=getattr(self, f"{which}_constraint"))

    def _build_weights(self, input_shape, gates, bias_shape=None, bias_initializer=None):
        input_dim = input_shape[-1]
        input_dim = getattr(input_dim, "value", input_dim)
        if input_dim is None:
            raise ValueError(f"The last dimension of the inputs to `{type(self).__name__}` "
                             f"should be defined. Found `None`.")
        self.kernel = self._weight("kernel", (input_dim, gates * self.units), "kernel")
        self.recurrent_kernel = self._weight("recurrent_kernel", (self.units, gates * self.units),
                                             "recurrent")
        self.bias = (self._weight("bias", bias_shape or (gates * self.units,), "bias",
                                  bias_initializer) if self.use_bias else None)
        self.built = True

    def get_config(self):
        config = {"units": self.units, "activation": activations.serialize(self.activation)}
        if "recurrent_activation" in self._config_keys:
            config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        config["use_bias"] = self.use_bias
        for which in ("kernel", "recurrent", "bias"):
            for kind, module in (("initializer", initializers), ("regularizer", regularizers),
                                 ("constraint", constraints)):
                key = f"{which}_{kind}"
                config[key] = module.serialize(getattr(self, key))
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout)
        for key in self._config_keys:
            if key not in config:
                config[key] = getattr(self, key)
        base = super().get_config()
        base.update(config)
        return base

    _config_keys: tuple = ()


class SimpleRNNCell(_Cell):
    """``output = activation(x @ kernel + h @ recurrent_kernel + bias)``; the state is the
    output."""

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=None,
                         use_bias=use_bias, **kwargs)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self._build_weights(input_shape, 1)

    def call(self, inputs, states, training=None):
        prev_output = states[0] if isinstance(states, (list, tuple)) else states
        dp_mask = self.get_dropout_mask_for_cell(inputs, training)
        rec_dp_mask = self.get_recurrent_dropout_mask_for_cell(prev_output, training)
        h = _dot(inputs * dp_mask if dp_mask is not None else inputs, self.kernel)
        if self.bias is not None:
            h = nn_ops.bias_add(h, self.bias)
        if rec_dp_mask is not None:
            prev_output = prev_output * rec_dp_mask
        output = h + _dot(prev_output, self.recurrent_kernel)
        if self.activation is not None:
            output = self.activation(output)
        return output, [output] if isinstance(states, (list, tuple)) else output


class LSTMCell(_Cell):
    """TF1.15's v1 LSTMCell: gates i, f, c, o; ``recurrent_activation`` hard_sigmoid;
    ``unit_forget_bias`` starts the forget gate's bias at 1. States ``[h, c]``."""

    _config_keys = ("recurrent_activation", "unit_forget_bias", "implementation")

    def __init__(self, units, activation="tanh", recurrent_activation="hard_sigmoid",
                 use_bias=True, unit_forget_bias=True, implementation=1, **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         **kwargs)
        if implementation not in (1, 2):
            raise ValueError(f"`implementation` must be 1 or 2, got {implementation}")
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = implementation
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        bias_initializer = None
        if self.use_bias and self.unit_forget_bias:
            base = self.bias_initializer
            units = self.units

            def bias_initializer(shape, dtype=None, partition_info=None, **_):
                ones = fill_ops.ones((units,), dtype=dtype or "float32")
                return concat_split_ops.concat(
                    [base((units,), dtype=dtype), ones, base((units * 2,), dtype=dtype)], 0)
        self._build_weights(input_shape, 4, bias_initializer=bias_initializer)

    def call(self, inputs, states, training=None):
        h_tm1, c_tm1 = states[0], states[1]
        dp_mask = self.get_dropout_mask_for_cell(inputs, training, count=4)
        rec_dp_mask = self.get_recurrent_dropout_mask_for_cell(h_tm1, training, count=4)
        units, act, rec = self.units, self.activation, self.recurrent_activation
        if self.implementation == 1:
            xs = [inputs * m for m in dp_mask] if dp_mask is not None else [inputs] * 4
            kernels = concat_split_ops.split(self.kernel, 4, axis=1)
            x = [_dot(a, k) for a, k in zip(xs, kernels)]
            if self.bias is not None:
                biases = concat_split_ops.split(self.bias, 4, axis=0)
                x = [nn_ops.bias_add(a, b) for a, b in zip(x, biases)]
            hs = [h_tm1 * m for m in rec_dp_mask] if rec_dp_mask is not None else [h_tm1] * 4
            rk = self.recurrent_kernel
            i = rec(x[0] + _dot(hs[0], rk[:, :units]))
            f = rec(x[1] + _dot(hs[1], rk[:, units:units * 2]))
            c = f * c_tm1 + i * act(x[2] + _dot(hs[2], rk[:, units * 2:units * 3]))
            o = rec(x[3] + _dot(hs[3], rk[:, units * 3:]))
        else:
            if dp_mask is not None:
                inputs = inputs * dp_mask[0]
            z = _dot(inputs, self.kernel) + _dot(h_tm1, self.recurrent_kernel)
            if self.bias is not None:
                z = nn_ops.bias_add(z, self.bias)
            z0, z1, z2, z3 = concat_split_ops.split(z, 4, axis=1)
            i, f, o = rec(z0), rec(z1), rec(z3)
            c = f * c_tm1 + i * act(z2)
        h = o * act(c)
        return h, [h, c]


class GRUCell(_Cell):
    """TF1.15's v1 GRUCell: gates z, r, h; ``recurrent_activation`` hard_sigmoid;
    ``reset_after=False`` applies the reset gate before the recurrent matmul (bias
    ``(3 * units,)``), ``reset_after=True`` after it (bias ``(2, 3 * units)``: input and
    recurrent biases, the CuDNN convention)."""

    _config_keys = ("recurrent_activation", "implementation", "reset_after")

    def __init__(self, units, activation="tanh", recurrent_activation="hard_sigmoid",
                 use_bias=True, implementation=1, reset_after=False, **kwargs):
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         **kwargs)
        if implementation not in (1, 2):
            raise ValueError(f"`implementation` must be 1 or 2, got {implementation}")
        self.implementation = implementation
        self.reset_after = bool(reset_after)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        self._build_weights(input_shape, 3,
                            bias_shape=(2, 3 * self.units) if self.reset_after else None)

    def call(self, inputs, states, training=None):
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        dp_mask = self.get_dropout_mask_for_cell(inputs, training, count=3)
        rec_dp_mask = self.get_recurrent_dropout_mask_for_cell(h_tm1, training, count=3)
        units, act, rec = self.units, self.activation, self.recurrent_activation
        rk = self.recurrent_kernel
        input_bias = recurrent_bias = None
        if self.bias is not None:
            if self.reset_after:
                input_bias, recurrent_bias = concat_split_ops.unstack(self.bias, num=2)
            else:
                input_bias = self.bias
        if self.implementation == 1:
            xs = [inputs * m for m in dp_mask] if dp_mask is not None else [inputs] * 3
            x = [_dot(a, k) for a, k in zip(xs, concat_split_ops.split(self.kernel, 3, axis=1))]
            if input_bias is not None:
                x = [nn_ops.bias_add(a, b)
                     for a, b in zip(x, concat_split_ops.split(input_bias, 3, axis=0))]
            hs = [h_tm1 * m for m in rec_dp_mask] if rec_dp_mask is not None else [h_tm1] * 3
            r_z = _dot(hs[0], rk[:, :units])
            r_r = _dot(hs[1], rk[:, units:units * 2])
            if self.reset_after and recurrent_bias is not None:
                r_z = nn_ops.bias_add(r_z, recurrent_bias[:units])
                r_r = nn_ops.bias_add(r_r, recurrent_bias[units:units * 2])
            z, r = rec(x[0] + r_z), rec(x[1] + r_r)
            if self.reset_after:
                r_h = _dot(hs[2], rk[:, units * 2:])
                if recurrent_bias is not None:
                    r_h = nn_ops.bias_add(r_h, recurrent_bias[units * 2:])
                r_h = r * r_h
            else:
                r_h = _dot(r * hs[2], rk[:, units * 2:])
            hh = act(x[2] + r_h)
        else:
            if dp_mask is not None:
                inputs = inputs * dp_mask[0]
            matrix_x = _dot(inputs, self.kernel)
            if input_bias is not None:
                matrix_x = nn_ops.bias_add(matrix_x, input_bias)
            x_z, x_r, x_h = concat_split_ops.split(matrix_x, 3, axis=-1)
            if self.reset_after:
                inner = _dot(h_tm1, rk)
                if recurrent_bias is not None:
                    inner = nn_ops.bias_add(inner, recurrent_bias)
                r_z, r_r, r_h = concat_split_ops.split(inner, 3, axis=-1)
            else:
                r_z, r_r = concat_split_ops.split(_dot(h_tm1, rk[:, :units * 2]), 2, axis=-1)
            z, r = rec(x_z + r_z), rec(x_r + r_r)
            r_h = r * r_h if self.reset_after else _dot(r * h_tm1, rk[:, units * 2:])
            hh = act(x_h + r_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h] if nested else h


def _state_sizes(cell) -> list:
    """A cell's ``state_size`` as a flat list of ints."""
    return [int(s) for s in flatten(cell.state_size)]


def _output_size(cell) -> int:
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else _state_sizes(cell)[0]


class StackedRNNCells(Layer):
    """Cells one above the other as one cell: each step feeds each cell's output to the next;
    the states are every cell's, in order."""

    def __init__(self, cells, **kwargs):
        for cell in cells:
            if not hasattr(cell, "call"):
                raise ValueError(f"All cells must have a `call` method. Received cell {cell}")
            if not hasattr(cell, "state_size"):
                raise ValueError("All cells must have a `state_size` attribute. "
                                 f"Received cell {cell}")
        self.cells = list(cells)
        super().__init__(**kwargs)

    @property
    def state_size(self):
        return tuple(c.state_size for c in self.cells)

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                with get_default_graph().name_scope(cell.name):
                    cell.build(input_shape)
                    cell.built = True
            input_shape = (batch, _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=None):
        nested = pack(list(self.state_size), iter(flatten(states)))
        new_states = []
        for cell, cell_states in zip(self.cells, nested):
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            inputs, cell_states = _call_cell(cell, inputs, cell_states, training)
            new_states.append(cell_states)
        return inputs, flatten(new_states)

    def reset_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def reset_recurrent_dropout_mask(self):
        for cell in self.cells:
            if hasattr(cell, "reset_recurrent_dropout_mask"):
                cell.reset_recurrent_dropout_mask()

    def get_config(self):
        base = super().get_config()
        base["cells"] = [serialize_layer(c) for c in self.cells]
        return base

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = dict(config)
        cells = [deserialize_layer(c, custom_objects, safe_mode) for c in config.pop("cells")]
        return cls(cells, **config)


def _call_cell(cell, inputs, states, training):
    import inspect

    params = inspect.signature(cell.call).parameters
    if "training" in params:
        return cell.call(inputs, states, training=training)
    return cell.call(inputs, states)


def serialize_layer(layer) -> dict:
    """Keras' serialize_keras_object for a layer."""
    return {"module": "keras.layers", "class_name": type(layer).__name__,
            "config": layer.get_config(), "registered_name": None}


def deserialize_layer(config, custom_objects=None, safe_mode=True):
    """A layer from ``{"class_name", "config"}`` (core/keras/model_io.py's)."""
    from ..model_io import deserialize_layer as deserialize

    return deserialize(config, custom_objects, safe_mode)


__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]
