"""``tf.keras.layers`` wrappers as TF 1.x graph mode has them: Wrapper (a layer around another),
TimeDistributed (the inner layer applied to every time step, by folding time into the batch)
and Bidirectional (an RNN layer run forwards and a copy of it backwards, outputs merged).

Weights are named as tf_keras names them: TimeDistributed builds its inner layer in its own
scope (``time_distributed/kernel:0``); Bidirectional its two copies in theirs
(``bidirectional/forward_lstm/lstm_cell/kernel:0``, ``.../backward_lstm/...``).
"""

from __future__ import annotations

import copy
import inspect

from ...graph import get_default_graph
from ...nest_util import flatten
from ...ops import concat_split_ops, reduction_ops, shape_ops
from ...tensor_shape import TensorShape
from ..base_layer import Layer
from .recurrent_cells import deserialize_layer, serialize_layer


def _takes(layer, arg) -> bool:
    params = inspect.signature(layer.call).parameters
    return arg in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


class Wrapper(Layer):
    """Abstract base of layers around a layer (``self.layer``), which builds it on first use."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to wrapper is not a supported layer "
                             "type. Please ensure wrapped layer is a valid TF-Keras layer.")
        self.layer = layer
        super().__init__(**kwargs)

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    @property
    def activity_regularizer(self):
        return getattr(self.layer, "activity_regularizer", None)

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = copy.deepcopy(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects, safe_mode)
        return cls(layer, **config)


def _static_or_dynamic(tensor, start: int, head: list) -> list:
    """``head`` then ``tensor``'s dims from ``start``, each static one as an int, each unknown
    one read from ``tf.shape`` (Keras' _get_shape_tuple)."""
    dims = tensor.shape.as_list()[start:]
    if all(d is not None for d in dims):
        return head + dims
    dynamic = shape_ops.shape(tensor)
    return head + [d if d is not None else dynamic[start + i] for i, d in enumerate(dims)]


def _reshape(tensor, dims):
    if any(not isinstance(d, int) for d in dims):
        dims = concat_split_ops.stack(dims)
    return shape_ops.reshape(tensor, dims)


class TimeDistributed(Wrapper):
    """``layer`` applied to each time slice of ``[batch, time, ...]`` inputs (folded into the
    batch, one call of the layer): ``[batch, time, ...]`` outputs."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `TimeDistributed` layer with a "
                             f"`tf.keras.layers.Layer` instance. Received: {layer}")
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        shape = TensorShape(input_shape)
        if shape.rank is None or shape.rank < 3:
            raise ValueError("`TimeDistributed` Layer should be passed an `input_shape ` with "
                             f"at least 3 dimensions, received: {input_shape}")
        dims = shape.as_list()
        super().build(TensorShape([dims[0]] + dims[2:]))

    def compute_output_shape(self, input_shape):
        dims = TensorShape(input_shape).as_list()
        inner = TensorShape(self.layer.compute_output_shape(TensorShape([dims[0]] + dims[2:])))
        inner = inner.as_list()
        return TensorShape([inner[0], dims[1]] + inner[1:])

    def call(self, inputs, training=None, mask=None):
        kwargs = {}
        if _takes(self.layer, "training"):
            kwargs["training"] = training
        batch = inputs.shape.as_list()[0]
        steps = inputs.shape.as_list()[1]
        if steps is None:
            steps = shape_ops.shape(inputs)[1]
        inner = _reshape(inputs, _static_or_dynamic(inputs, 2, [-1]))
        if mask is not None and _takes(self.layer, "mask"):
            kwargs["mask"] = _reshape(mask, _static_or_dynamic(mask, 2, [-1]))
        y = self.layer(inner, **kwargs)
        return _reshape(y, _static_or_dynamic(y, 1, [batch if batch else -1, steps]))

    def compute_mask(self, inputs, mask=None):
        inner_mask = None
        if mask is not None:
            inner_mask = _reshape(mask, _static_or_dynamic(mask, 2, [-1]))
        inner = _reshape(inputs, _static_or_dynamic(inputs, 2, [-1]))
        output_mask = self.layer.compute_mask(inner, inner_mask)
        if output_mask is None:
            if mask is None:
                return None
            for _ in range(2, mask.shape.rank):
                mask = reduction_ops.reduce_any(mask, axis=-1)
            return mask
        batch = inputs.shape.as_list()[0]
        steps = inputs.shape.as_list()[1]
        if steps is None:
            steps = shape_ops.shape(inputs)[1]
        return _reshape(output_mask,
                        _static_or_dynamic(output_mask, 1, [batch if batch else -1, steps]))


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Wrapper):
    """``layer`` (an RNN layer) over the sequence forwards, and ``backward_layer`` (default: a
    copy of ``layer`` with ``go_backwards`` flipped) backwards; its outputs, reversed back in
    time when they are sequences, merged by ``merge_mode`` (concat, sum, mul, ave, or None for
    the list of both). With ``return_state``: ``[output] + forward states + backward
    states``."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a "
                             f"`tf.keras.layers.Layer` instance. Received: {layer}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` need to be a `tf.keras.layers.Layer` "
                             f"instance. Received: {backward_layer}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should "
                             'be one of {"sum", "mul", "ave", "concat", None}')
        if weights is not None:
            kwargs["weights"] = weights
        super().__init__(layer, **kwargs)
        # only the two copies run (and own weights); the layer given is their template
        self._self_tracked_layers.remove(layer)
        self.forward_layer = self._recreate(layer)
        if backward_layer is None:
            self.backward_layer = self._recreate(layer, go_backwards=True)
        else:
            self.backward_layer = backward_layer
            self._backward_layer_config = serialize_layer(backward_layer)
        self.forward_layer._name = "forward_" + self.forward_layer.name
        self.backward_layer._name = "backward_" + self.backward_layer.name
        self._verify()
        for one in (self.forward_layer, self.backward_layer):
            if getattr(one, "zero_output_for_mask", None) is not None:
                one.zero_output_for_mask = one.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self._trainable = kwargs.get("trainable", layer.trainable)

    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        """Initial states that are Keras tensors become inputs of the call (Keras')."""
        from .recurrent import _keras_states, _standardize

        inputs, initial_state = _standardize(inputs, initial_state)
        if constants is not None:
            kwargs["constants"] = constants
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        if len(initial_state) % 2:
            raise ValueError("When passing `initial_state` to a Bidirectional RNN, the state "
                             "should be a list containing the states of the underlying RNNs. "
                             f"Received: {initial_state}")
        if _keras_states(inputs, initial_state):
            return super().__call__([inputs] + initial_state, **kwargs)
        return super().__call__(inputs, initial_state=initial_state, **kwargs)

    def _verify(self):
        fw, bw = self.forward_layer, self.backward_layer
        if fw.go_backwards == bw.go_backwards:
            raise ValueError("Forward layer and backward layer should have different "
                             f"`go_backwards` value.forward_layer.go_backwards = "
                             f"{fw.go_backwards},backward_layer.go_backwards = "
                             f"{bw.go_backwards}")
        for a in ("stateful", "return_sequences", "return_state"):
            if getattr(fw, a) != getattr(bw, a):
                raise ValueError("Forward layer and backward layer are expected to have the "
                                 f'same value for attribute "{a}", got "{getattr(fw, a)}" for '
                                 f'forward layer and "{getattr(bw, a)}" for backward layer')

    @staticmethod
    def _recreate(layer, go_backwards=False):
        config = layer.get_config()
        if go_backwards:
            config["go_backwards"] = not config["go_backwards"]
        params = inspect.signature(type(layer).from_config).parameters
        kwargs = {}
        if "custom_objects" in params:
            custom = kwargs["custom_objects"] = {}
            cell = getattr(layer, "cell", None)
            if cell is not None:
                custom[type(cell).__name__] = type(cell)
                for c in getattr(cell, "cells", []):
                    custom[type(c).__name__] = type(c)
        if "safe_mode" in params:
            kwargs["safe_mode"] = False  # a config made in this process, not read from a file
        return type(layer).from_config(config, **kwargs)

    def build(self, input_shape):
        graph = get_default_graph()
        for one in (self.forward_layer, self.backward_layer):
            if not one.built:
                with graph.name_scope(one.name):
                    one.build(input_shape)
                    one.built = True
        self.built = True

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        shape = TensorShape(shape)
        if self.merge_mode == "concat":
            dims = shape.as_list()
            dims[-1] = dims[-1] * 2 if dims[-1] is not None else None
            shape = TensorShape(dims)
        elif self.merge_mode is None:
            shape = [shape, copy.copy(shape)]
        if self.return_state:
            head = shape if isinstance(shape, list) else [shape]
            return head + states + copy.copy(states)
        return shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = mask if self.merge_mode else [mask, mask]
        else:
            output_mask = None if self.merge_mode else [None, None]
        if self.return_state:
            state_mask = [None] * (2 * len(self.forward_layer.states))
            head = output_mask if isinstance(output_mask, list) else [output_mask]
            return head + state_mask
        return output_mask

    def call(self, inputs, training=None, mask=None, initial_state=None, constants=None):
        if constants is not None:
            raise ValueError("Bidirectional of minitf does not support `constants`.")
        if isinstance(inputs, (list, tuple)):
            inputs, extra = inputs[0], list(inputs[1:])
            if extra:
                initial_state = extra
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        kwargs = {}
        if _takes(self.layer, "training"):
            kwargs["training"] = training
        if _takes(self.layer, "mask") and mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            initial_state = flatten(initial_state)
            if len(initial_state) % 2:
                raise ValueError("When passing `initial_state` to a Bidirectional RNN, the "
                                 "state should be a list containing the states of the "
                                 f"underlying RNNs. Received: {initial_state}")
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        if forward_state is not None:
            y = self.forward_layer(inputs, initial_state=forward_state, **kwargs)
            y_rev = self.backward_layer(inputs, initial_state=backward_state, **kwargs)
        else:
            y = self.forward_layer(inputs, **kwargs)
            y_rev = self.backward_layer(inputs, **kwargs)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            from ...composites import reverse

            time_axis = 0 if getattr(self.forward_layer, "time_major", False) else 1
            y_rev = reverse(y_rev, axis=[time_axis])
        if self.merge_mode == "concat":
            output = concat_split_ops.concat([y, y_rev], -1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def get_config(self):
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        if hasattr(self, "_backward_layer_config"):
            config["backward_layer"] = self._backward_layer_config
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = copy.deepcopy(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects, safe_mode)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_layer(backward, custom_objects, safe_mode)
        return cls(**config)


__all__ = ["Wrapper", "TimeDistributed", "Bidirectional"]
