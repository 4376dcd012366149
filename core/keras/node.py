"""Keras' connectivity records: a ``Node`` is one call of a layer on tensors that came from
``Input`` or from other layers' calls; each output tensor carries ``_keras_history`` =
(layer, node_index, tensor_index) naming the node that made it. The functional API walks these
records backwards from a model's outputs to its inputs, and re-runs them on new inputs.

``_keras_history`` and ``_keras_mask`` are slots of minitf's Tensor, None until a layer sets
them.
"""

from __future__ import annotations

import collections

from .. import nest
from ..tensor import Tensor
from ..graph import convert_to_tensor, get_default_graph
from ..ops import array_ops, math_ops
from ..tensor_shape import TensorShape

__all__ = ["KerasHistory", "Node", "LayerConnectivity"]

KerasHistory = collections.namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])


def is_keras_tensor(x) -> bool:
    return getattr(x, "_keras_history", None) is not None


class Node:
    """One call of ``layer``: the call's arguments (``call_args``, ``call_kwargs``: the
    structures as passed, tensors in them included) and its ``outputs``. Creating it appends
    it to ``layer._inbound_nodes`` and to each inbound layer's ``_outbound_nodes``, and stamps
    the outputs' ``_keras_history``."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        flat = nest.flatten((self.call_args, self.call_kwargs))
        self._flat_arguments = flat
        self.keras_inputs = [x for x in flat if is_keras_tensor(x)]
        self._keras_inputs_ids = [i for i, x in enumerate(flat) if is_keras_tensor(x)]
        self.is_input = not self.keras_inputs
        for x in self.keras_inputs:
            x._keras_history.layer._outbound_nodes.append(self)
        layer._inbound_nodes.append(self)
        node_index = len(layer._inbound_nodes) - 1
        for i, t in enumerate(nest.flatten(outputs)):
            t._keras_history = KerasHistory(layer, node_index, i)

    # -- Keras' Node attributes -------------------------------------------------------------------
    @property
    def input_tensors(self):
        """The first argument (the layer's ``inputs``), as passed; for an InputLayer its
        placeholder."""
        if self.is_input and self.call_args:
            return self.call_args[0]
        return self.call_args[0] if self.call_args else self.keras_inputs

    @property
    def output_tensors(self):
        return self.outputs

    @property
    def input_shapes(self):
        return nest.map_structure(lambda x: x.shape, self.input_tensors)

    @property
    def output_shapes(self):
        return nest.map_structure(lambda x: x.shape, self.outputs)

    @property
    def parent_nodes(self) -> list:
        """The nodes whose outputs this node consumed, in argument order."""
        found = []
        for x in self.keras_inputs:
            layer, node_index, _ = x._keras_history
            node = layer._inbound_nodes[node_index]
            if node not in found:
                found.append(node)
        return found

    def iterate_inbound(self) -> list:
        """[(inbound layer, node_index, tensor_index, tensor)] for each Keras input."""
        return [(x._keras_history.layer, x._keras_history.node_index,
                 x._keras_history.tensor_index, x) for x in self.keras_inputs]

    @property
    def inbound_layers(self):
        layers = [x._keras_history.layer for x in self.keras_inputs]
        return layers[0] if len(layers) == 1 else layers

    def map_arguments(self, tensor_for: dict):
        """The call's (args, kwargs) with each Keras input replaced by ``tensor_for[id(x)]``
        (how a model re-runs this node on new inputs)."""
        flat = list(self._flat_arguments)
        for i in self._keras_inputs_ids:
            flat[i] = tensor_for[id(flat[i])]
        return nest.pack_sequence_as((self.call_args, self.call_kwargs), flat)


def _base_compute_mask():
    from .base_layer import Layer

    return Layer.compute_mask


class LayerConnectivity:
    """Layer's view of its nodes (Keras' input/output/shape properties) and what a call
    records (node, masks, activity regularization), mixed into core/keras/base_layer.Layer."""

    @property
    def inbound_nodes(self) -> list:
        return self._inbound_nodes

    @property
    def outbound_nodes(self) -> list:
        return self._outbound_nodes

    def _node_attribute(self, node_index, attr, what):
        if not self._inbound_nodes:
            raise RuntimeError(f"The layer {self.name} has never been called and thus has no "
                               f"defined {what}.")
        if not len(self._inbound_nodes) > node_index:
            raise ValueError(f"Asked to get {what} at node {node_index}, but the layer has "
                             f"only {len(self._inbound_nodes)} inbound nodes.")
        values = getattr(self._inbound_nodes[node_index], attr)
        if isinstance(values, list) and len(values) == 1:
            return values[0]
        return values

    def get_input_at(self, node_index):
        return self._node_attribute(node_index, "input_tensors", "input")

    def get_output_at(self, node_index):
        return self._node_attribute(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index):
        return self._node_attribute(node_index, "input_shapes", "input shape")

    def get_output_shape_at(self, node_index):
        return self._node_attribute(node_index, "output_shapes", "output shape")

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no input to return.")
        # TF 1.x's rule: a layer called more than once answers with its first call's tensors.
        return self._node_attribute(0, "input_tensors", "input")

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        return self._node_attribute(0, "output_tensors", "output")

    def _shape_of(self, what, attr):
        if not self._inbound_nodes:
            raise AttributeError(f"The layer has never been called and thus has no defined "
                                 f"{what} shape.")
        shapes = {str(getattr(node, attr)) for node in self._inbound_nodes}
        if len(shapes) > 1:
            raise AttributeError(f'The layer "{self.name}" has multiple inbound nodes, with '
                                 f"different {what} shapes. Hence the notion of \"{what} "
                                 f'shape" is ill-defined for the layer. Use '
                                 f"`get_{what}_shape_at(node_index)` instead.")

        def as_tuple(s):
            return tuple(TensorShape(s).as_list()) if TensorShape(s).rank is not None else None

        shape = getattr(self._inbound_nodes[0], attr)
        return nest.map_structure(as_tuple, shape)

    @property
    def input_shape(self):
        return self._shape_of("input", "input_shapes")

    @property
    def output_shape(self):
        return self._shape_of("output", "output_shapes")

    # -- what a call records on its outputs ----------------------------------------------------
    def _set_connectivity_metadata(self, inputs, args, kwargs, outputs):
        """Records the call as a Node; an input returned unchanged is copied first (Identity)
        so it keeps its own history."""
        ids = {id(x) for x in nest.flatten(inputs)}
        if any(id(x) in ids for x in nest.flatten(outputs)):
            with get_default_graph().name_scope(self.name):
                outputs = nest.map_structure(
                    lambda x: array_ops.identity(x) if id(x) in ids else x, outputs)
        Node(self, (inputs,) + tuple(args), kwargs, outputs)
        return outputs

    def _handle_activity_regularization(self, outputs):
        if self._activity_regularizer is None:
            return
        with get_default_graph().name_scope("ActivityRegularizer"):
            for out in nest.flatten(outputs):
                loss = convert_to_tensor(self._activity_regularizer(out))
                batch = math_ops.cast(array_ops.shape(out)[0], loss.dtype)
                self._losses.append(math_ops.truediv(loss, batch))

    def _set_mask_metadata(self, inputs, outputs, previous_mask):
        flat = nest.flatten(outputs)
        if getattr(self, "_compute_output_and_mask_jointly", False) or \
                all(getattr(x, "_keras_mask", None) is not None for x in flat):
            return
        computes = self.supports_masking or type(self).compute_mask is not _base_compute_mask()
        masks = self.compute_mask(inputs, previous_mask) if computes else None
        masks = [None] * len(flat) if masks is None else nest.flatten(masks)
        for x, m in zip(flat, masks):
            if isinstance(x, Tensor):
                x._keras_mask = m
