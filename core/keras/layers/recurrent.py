"""``tf.keras.layers`` recurrent layers as TF 1.15 has them in graph mode: RNN (a cell, or a list
of cells stacked, over time), SimpleRNN, LSTM and GRU (the v1 classes: hard_sigmoid recurrent
activation, GRU with ``reset_after=False``), and their cells (core/keras/layers/
recurrent_cells.py).

The loop is Keras' ``backend.rnn``: a ``tf.while_loop`` over TensorArrays (``unroll=False``) or
the steps written out one by one (``unroll=True``, which needs a known number of steps); both
differentiate and freeze like any graph. A mask (``Embedding(mask_zero=True)``, ``Masking``)
carries the state and the output of the previous step through a masked step, as Keras does;
``go_backwards`` runs the steps last to first and returns them in that order. Weights are the
cell's, under the layer's and the cell's name scopes, as tf_keras names them
(``lstm/lstm_cell/kernel:0``).
"""

from __future__ import annotations

import inspect

from ...graph import convert_to_tensor, get_default_graph
from ...nest_util import flatten, pack
from ...ops import concat_split_ops, fill_ops, logic_ops, math_ops, shape_ops, transform_ops
from ... import dtypes as _dt
from ..base_layer import Layer
from .recurrent_cells import (GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells, _call_cell,
                              _output_size, _state_sizes,
                              deserialize_layer, serialize_layer)


# -- the loop (Keras' backend.rnn) ------------------------------------------------------------
def _select(mask_t, new, old):
    """Rows of ``new`` where ``mask_t`` [batch] holds, else of ``old``."""
    return logic_ops.where(mask_t, new, old)


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, unroll=False,
        zero_output_for_mask=False):
    """``step_function(x_t, states) -> (output_t, new_states)`` over time-major ``inputs``
    ``[time, batch, ...]``: (last output, outputs ``[time, batch, ...]``, final states).

    With ``mask`` (``[time, batch]`` bool), a masked step keeps the states and repeats the
    previous output (zeros with ``zero_output_for_mask``), as Keras' ``backend.rnn``."""
    from ...composites import reverse

    states = list(initial_states)
    steps = inputs.shape[0].value if inputs.shape.rank else None
    if mask is not None and mask.dtype != _dt.bool:
        mask = math_ops.cast(mask, _dt.bool)
    if unroll:
        if not steps:
            raise ValueError("Unrolling requires a fixed number of timesteps.")
        xs = concat_split_ops.unstack(inputs, num=steps)
        ms = concat_split_ops.unstack(mask, num=steps) if mask is not None else None
        if go_backwards:
            xs.reverse()
            ms = ms[::-1] if ms is not None else None
        outputs = []
        for t, x in enumerate(xs):
            output, new_states = step_function(x, states)
            new_states = flatten(new_states)
            if ms is not None:
                prev = outputs[-1] if outputs else fill_ops.zeros_like(output)
                if zero_output_for_mask:
                    prev = fill_ops.zeros_like(output)
                output = _select(ms[t], output, prev)
                new_states = [_select(ms[t], n, o) for n, o in zip(new_states, states)]
            outputs.append(output)
            states = new_states
        return outputs[-1], concat_split_ops.stack(outputs), states

    from ...control_flow_while import while_loop
    from ...ops.tensor_array_ops import TensorArray

    time_steps = shape_ops.shape(inputs)[0]
    if go_backwards:
        inputs = reverse(inputs, axis=[0])
        mask = reverse(mask, axis=[0]) if mask is not None else None
    input_ta = TensorArray(inputs.dtype, size=time_steps, element_shape=inputs.shape[1:],
                           tensor_array_name="input_ta_0").unstack(inputs)
    mask_ta = (TensorArray(_dt.bool, size=time_steps, tensor_array_name="mask_ta").unstack(mask)
               if mask is not None else None)
    out_shape = step_function.output_shape
    dtype = flatten(states)[0].dtype if states else inputs.dtype
    output_ta = TensorArray(dtype, size=time_steps, element_shape=out_shape,
                            tensor_array_name="output_ta_0")
    time = convert_to_tensor(0, dtype=_dt.int32, name="time")
    batch = shape_ops.shape(inputs)[1]
    zero_output = fill_ops.zeros(concat_split_ops.stack([batch, out_shape[-1]]), dtype=dtype)

    def body(t, ta, prev_output, *states):
        output, new_states = step_function(input_ta.read(t), list(states))
        new_states = flatten(new_states)
        for old, new in zip(states, new_states):
            new.set_shape(old.shape)
        if mask_ta is not None:
            mask_t = mask_ta.read(t)
            output = _select(mask_t, output,
                             zero_output if zero_output_for_mask else prev_output)
            new_states = [_select(mask_t, n, o) for n, o in zip(new_states, states)]
        output.set_shape(prev_output.shape)
        return (t + 1, ta.write(t, output), output) + tuple(new_states)

    zero_output.set_shape(out_shape)
    results = while_loop(lambda t, *_: t < time_steps, body,
                         (time, output_ta, zero_output) + tuple(states),
                         parallel_iterations=32, swap_memory=True,
                         maximum_iterations=time_steps)
    outputs = results[1].stack()
    return results[2], outputs, list(results[3:])


# -- the layer --------------------------------------------------------------------------------
class RNN(Layer):
    """Keras' ``RNN(cell, return_sequences=False, return_state=False, go_backwards=False,
    stateful=False, unroll=False, time_major=False)``: ``cell`` (or a list of cells, stacked)
    over the time axis of ``[batch, time, ...]`` inputs (``[time, batch, ...]`` if
    ``time_major``). Returns the last output, or every step's with ``return_sequences``; with
    ``return_state`` also the final states, as ``[output] + states``."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, time_major=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call"):
            raise ValueError("Argument `cell` should have a `call` method. "
                             f"The RNN was passed: cell={cell}")
        if not hasattr(cell, "state_size"):
            raise ValueError("The RNN cell should have a `state_size` attribute (tuple of "
                             "integers, one integer per RNN state). "
                             f"Received: cell={cell}")
        if stateful:
            raise ValueError("stateful=True is not supported by minitf's RNN layers: pass "
                             "the previous states as `initial_state` instead.")
        self.zero_output_for_mask = kwargs.pop("zero_output_for_mask", False)
        if "input_shape" not in kwargs and ("input_dim" in kwargs or "input_length" in kwargs):
            kwargs["input_shape"] = (kwargs.pop("input_length", None),
                                     kwargs.pop("input_dim", None))
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.time_major = bool(time_major)
        self.supports_masking = True

    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        """Keras' RNN.__call__: initial states that are Keras tensors (``Input``s, other
        layers' outputs) become inputs of the call, so a functional model records them."""
        inputs, initial_state = _standardize(inputs, initial_state)
        if constants is not None:
            kwargs["constants"] = constants
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        if _keras_states(inputs, initial_state):
            return super().__call__([inputs] + initial_state, **kwargs)
        return super().__call__(inputs, initial_state=initial_state, **kwargs)

    @property
    def states(self):
        return [None] * len(_state_sizes(self.cell))

    def _shapes(self, input_shape):
        from ...tensor_shape import TensorShape

        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        shape = TensorShape(input_shape)
        if shape.rank is not None and shape.rank < 3:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected ndim=3, found ndim={shape.rank}. Full shape received: "
                             f"{shape.as_list()}")
        dims = shape.as_list()
        batch, steps = (dims[1], dims[0]) if self.time_major else (dims[0], dims[1])
        return batch, steps, dims[2:]

    def compute_output_shape(self, input_shape):
        from ...tensor_shape import TensorShape

        batch, steps, _ = self._shapes(input_shape)
        units = _output_size(self.cell)
        if self.return_sequences:
            out = [steps, batch, units] if self.time_major else [batch, steps, units]
        else:
            out = [batch, units]
        out = TensorShape(out)
        if self.return_state:
            return [out] + [TensorShape([batch, s]) for s in _state_sizes(self.cell)]
        return out

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_state_sizes(self.cell))
        return output_mask

    def build(self, input_shape):
        batch, _, rest = self._shapes(input_shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            with get_default_graph().name_scope(self.cell.name):
                self.cell.build(tuple([batch] + rest))
                self.cell.built = True
        self.built = True

    def get_initial_state(self, inputs):
        batch = shape_ops.shape(inputs)[1 if self.time_major else 0]
        return [fill_ops.zeros(concat_split_ops.stack([batch, size]), dtype=inputs.dtype)
                for size in _state_sizes(self.cell)]

    def call(self, inputs, mask=None, training=None, initial_state=None, constants=None):
        if constants is not None:
            raise ValueError(f"RNN cell {self.cell} does not support constants.")
        inputs, initial_state = _standardize(inputs, initial_state)
        inputs = convert_to_tensor(inputs)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        sizes = _state_sizes(self.cell)
        if initial_state is None:
            initial_state = self.get_initial_state(inputs)
        else:
            initial_state = [convert_to_tensor(s) for s in initial_state]
            if len(initial_state) != len(sizes):
                raise ValueError(f"Layer {self.name} expects {len(sizes)} state(s), but it "
                                 f"received {len(initial_state)} initial state(s). Input "
                                 f"received: {initial_state}")
        _, steps, _ = self._shapes(inputs.shape)
        if self.unroll and steps is None:
            raise ValueError("Cannot unroll a RNN if the time dimension is undefined. \n"
                             "- If using a Sequential model, specify the time dimension by "
                             "passing an `input_shape` or `batch_input_shape` argument to "
                             "your first layer.\n- If using the functional API, specify the "
                             "time dimension by passing a `shape` or `batch_shape` argument "
                             "to your Input layer.")
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            if hasattr(self.cell, reset):
                getattr(self.cell, reset)()
        cell = self.cell
        takes_training = "training" in inspect.signature(cell.call).parameters
        if training is None and takes_training:
            from ..backend import learning_phase

            training = learning_phase()

        def step(x, states):
            if takes_training:
                return _call_cell(cell, x, states, training)
            return cell.call(x, states)

        if not self.time_major:
            inputs = transform_ops.transpose(inputs, [1, 0, 2] + list(range(3, inputs.shape.rank)))
        if mask is not None:
            mask = transform_ops.transpose(convert_to_tensor(mask), [1, 0])
        from ...tensor_shape import TensorShape

        step.output_shape = TensorShape([inputs.shape[1].value, _output_size(cell)])
        if not self.unroll and _needs_dropout(cell):
            # Keras runs step 0 outside the loop: its dropout masks are drawn there once
            step(inputs[0], initial_state)
        last, outputs, states = rnn(step, inputs, initial_state, self.go_backwards, mask,
                                    self.unroll, self.zero_output_for_mask)
        if self.return_sequences:
            output = outputs if self.time_major else transform_ops.transpose(outputs, [1, 0, 2])
        else:
            output = last
        if self.return_state:
            # as the cell's state_size nests them: [output, [h, c], h2] for stacked cells
            size = self.cell.state_size
            nested = pack(list(size) if isinstance(size, (list, tuple)) else [size],
                          iter(states))
            return [output] + list(nested)
        return output

    def get_config(self):
        config = {"return_sequences": self.return_sequences, "return_state": self.return_state,
                  "go_backwards": self.go_backwards, "stateful": self.stateful,
                  "unroll": self.unroll, "time_major": self.time_major}
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = True
        config["cell"] = serialize_layer(self.cell)
        base = super().get_config()
        base.update(config)
        return base

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = dict(config)
        cell = deserialize_layer(config.pop("cell"), custom_objects, safe_mode)
        return cls(cell, **config)


def _standardize(inputs, initial_state):
    """(inputs, list of initial states or None) from ``[inputs, *states]`` or the keyword."""
    if isinstance(inputs, (list, tuple)):
        if len(inputs) > 1:
            if initial_state is not None:
                raise ValueError("initial_state was given both in the inputs and as "
                                 "`initial_state`")
            initial_state = list(inputs[1:])
        inputs = inputs[0]
    if initial_state is not None:
        initial_state = flatten(initial_state)
    return inputs, initial_state


def _keras_states(inputs, states) -> bool:
    """Whether the states are Keras tensors (then with the inputs), refusing a mix."""
    from ..node import is_keras_tensor

    kinds = {bool(is_keras_tensor(s)) for s in states}
    if len(kinds) > 1:
        raise ValueError("The initial state of an RNN layer cannot be specified with a mix of "
                         "Keras tensors and non-Keras tensors (a \"Keras tensor\" is a tensor "
                         "that was returned by a Keras layer, or by `Input`)")
    return kinds == {True} and bool(is_keras_tensor(inputs))


def _needs_dropout(cell) -> bool:
    cells = getattr(cell, "cells", [cell])
    return any(getattr(c, "dropout", 0) or getattr(c, "recurrent_dropout", 0) for c in cells)


# -- SimpleRNN, LSTM, GRU ---------------------------------------------------------------------
_RNN_KEYS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "time_major")
_BASE_KEYS = ("name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_size",
              "weights", "activity_regularizer", "input_dim", "input_length",
              "zero_output_for_mask")


class _CellLayer(RNN):
    """A layer made of one cell of ``_cell_class``: the cell's arguments are the layer's, and
    its config is the cell's config and the RNN's in one dict, as Keras'."""

    _cell_class: type = None
    _cell_name: str = ""

    def __init__(self, units, **kwargs):
        rnn_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in _RNN_KEYS + _BASE_KEYS}
        cell = self._cell_class(units, name=self._cell_name, dtype=rnn_kwargs.get("dtype"),
                                trainable=rnn_kwargs.get("trainable", True), **kwargs)
        super().__init__(cell, **rnn_kwargs)

    def __getattr__(self, name):
        # units, activation, dropout, kernel, ...: the cell's (Keras' properties)
        if name.startswith("_") or name == "cell":
            raise AttributeError(name)
        cell = self.__dict__.get("cell")
        if cell is None or not hasattr(cell, name):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(cell, name)

    def get_config(self):
        config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            config.pop(key, None)
        base = super().get_config()
        base.pop("cell")
        config.update(base)
        config.setdefault("activity_regularizer", None)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if config.get("activity_regularizer") is None:
            config.pop("activity_regularizer", None)
        return cls(**config)


class SimpleRNN(_CellLayer):
    """A fully connected RNN whose output is fed back: ``SimpleRNNCell`` over time."""

    _cell_class, _cell_name = SimpleRNNCell, "simple_rnn_cell"


class LSTM(_CellLayer):
    """TF1.15's v1 ``tf.keras.layers.LSTM``: ``LSTMCell`` over time (recurrent_activation
    hard_sigmoid, implementation 1 by default)."""

    _cell_class, _cell_name = LSTMCell, "lstm_cell"


class GRU(_CellLayer):
    """TF1.15's v1 ``tf.keras.layers.GRU``: ``GRUCell`` over time (reset_after=False,
    recurrent_activation hard_sigmoid by default)."""

    _cell_class, _cell_name = GRUCell, "gru_cell"


__all__ = ["RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "SimpleRNN",
           "LSTM", "GRU"]
