"""``tf.keras.Model`` and ``tf.keras.Sequential`` in TF 1.x graph mode.

Three kinds of model share one class, as in Keras:
- functional, ``Model(inputs, outputs)``: the layers graph is recovered from the outputs'
  ``_keras_history`` (core/keras/node.py), ordered by depth; calling the model on new inputs
  re-runs every node on them (``_run_internal_graph``), so a model is a layer of another model;
- subclassed: layers assigned as attributes are tracked; ``call`` computes; the first call on
  symbolic inputs sets ``inputs``/``outputs`` (``input_1``..., ``output_1``...);
- ``Sequential``: a functional graph once its input shape is known (first layer's
  ``input_shape`` or an ``Input``), else deferred: its first call runs the layers in order (TF1
  Keras' legacy deferred mode, weights under ``sequential/...``).

Training (compile/fit/evaluate/predict) is core/keras/training.py's ``TrainingMixin``; summary,
configs and saving are in core/keras/model_io.py.
"""

from __future__ import annotations

import collections

from .. import nest
from .. import tf_logging as logging
from ..tensor import Tensor
from . import backend, model_io, weights_io
from .base_layer import Layer
from .input_layer import Input, InputLayer
from .node import is_keras_tensor
from .summary import count_params, print_summary
from .training import TrainingMixin

__all__ = ["Network", "Model", "Functional", "Sequential"]

_NETWORK_KWARGS = {"trainable", "dtype", "dynamic", "name", "autocast", "inputs", "outputs"}


def _map_graph_network(inputs, outputs):
    """Keras' topology walk: (node keys, nodes by depth, layers ordered by depth then first
    traversal); raises for cycles, disconnected graphs and duplicate layer names."""
    finished, in_progress, ordered, layer_indices = set(), set(), [], {}

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if node in finished:
            return
        if node in in_progress:
            raise ValueError(f'Tensor {tensor} from layer "{layer.name}" is part of a cycle.')
        layer_indices.setdefault(layer, len(layer_indices))
        in_progress.add(node)
        if not node.is_input:
            for x in node.keras_inputs:
                visit(x)
        finished.add(node)
        in_progress.remove(node)
        ordered.append(node)

    for x in outputs:
        visit(x)
    keys = {(n.layer.name, n.layer._inbound_nodes.index(n)) for n in ordered}
    node_depth, layer_depth = {}, {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = node_depth[node] = depth
        for parent in node.parent_nodes:
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for x in inputs:
        layer = x._keras_history.layer
        if layer not in layer_depth:
            layer_depth[layer], layer_indices[layer] = 0, -1
            node_depth[layer._inbound_nodes[0]] = 0
            keys.add((layer.name, 0))
    nodes_by_depth, layers_by_depth = collections.defaultdict(list), collections.defaultdict(list)
    for node, depth in node_depth.items():
        nodes_by_depth[depth].append(node)
    for layer, depth in layer_depth.items():
        layers_by_depth[depth].append(layer)
    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers += sorted(layers_by_depth[depth], key=lambda lay: layer_indices[lay])
    computable = {id(x) for x in inputs}
    done = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input:
                continue
            for x in node.keras_inputs:
                if id(x) not in computable:
                    raise ValueError(f'Graph disconnected: cannot obtain value for tensor {x} '
                                     f'at layer "{node.layer.name}". The following previous '
                                     f"layers were accessed without issue: {done}")
            computable.update(id(x) for x in nest.flatten(node.outputs))
            done.append(node.layer.name)
    names = [layer.name for layer in layers]
    for name in names:
        if names.count(name) != 1:
            raise ValueError(f'The name "{name}" is used {names.count(name)} times in the '
                             "model. All layer names should be unique.")
    return keys, dict(nodes_by_depth), layers


class Network(Layer):
    """The engine of ``Model``: ``Network(inputs, outputs, name=None)`` or a subclass with
    layers as attributes and a ``call``."""

    def __init__(self, *args, **kwargs):
        if len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or \
                ("inputs" in kwargs and "outputs" in kwargs):
            inputs = args[0] if args else kwargs.pop("inputs")
            outputs = args[1] if len(args) == 2 else kwargs.pop("outputs")
            for key in kwargs:
                if key not in ("name", "trainable"):
                    raise TypeError("Keyword argument not understood:", key)
            name = kwargs.get("name")
            if name is None and type(self).__name__ == "Functional":
                name = backend.unique_object_name("model")  # tf_keras names it as a Model
            Layer.__init__(self, name=name, trainable=kwargs.get("trainable", True))
            self._init_graph_network(inputs, outputs)
        else:
            if args:
                raise TypeError(f"Model() takes inputs and outputs, or keyword arguments only "
                                f"(got {len(args)} positional argument(s))")
            for key in kwargs:
                if key not in _NETWORK_KWARGS:
                    raise TypeError("Keyword argument not understood:", key)
            Layer.__init__(self, **{k: v for k, v in kwargs.items()
                                    if k in ("name", "trainable", "dtype", "dynamic")})
            self._is_graph_network = False
            self.inputs = None
            self.outputs = None
            self.input_names = None
            self.output_names = None
        if "__init__" in vars(TrainingMixin) and isinstance(self, TrainingMixin):
            TrainingMixin.__init__(self)

    def _init_graph_network(self, inputs, outputs):
        if isinstance(inputs, list) and len(nest.flatten(inputs)) == 1:
            inputs = inputs[0]
        if isinstance(outputs, list) and len(nest.flatten(outputs)) == 1:
            outputs = outputs[0]
        self._nested_inputs, self._nested_outputs = inputs, outputs
        self.inputs, self.outputs = nest.flatten(inputs), nest.flatten(outputs)
        cls = type(self).__name__
        if any(not is_keras_tensor(x) for x in self.outputs):
            from .op_layer import create_keras_history

            create_keras_history(self._nested_outputs)  # raw ops after the last layer
        if len({id(x) for x in self.inputs}) != len(self.inputs):
            raise ValueError("The list of inputs passed to the model contains the same input "
                             f"multiple times. All inputs should only appear once.Received "
                             f"inputs={self.inputs}")
        for x in self.inputs:
            if not is_keras_tensor(x):
                raise ValueError(f"Input tensors to a {cls} model must come from "
                                 f"`tf.keras.Input`. Received inputs={x} (missing previous "
                                 "layer metadata).")
        for x in self.outputs:
            if not is_keras_tensor(x):
                raise ValueError(f"Output tensors of a {cls} model must be the output of a "
                                 "TensorFlow `Layer` (thus holding past layer metadata). "
                                 f"Found: {x}")
        self._is_graph_network = True
        self._compute_output_and_mask_jointly = True
        self._expects_training_arg = self._expects_mask_arg = True
        self._input_layers = [x._keras_history.layer for x in self.inputs]
        self._input_coordinates = [tuple(x._keras_history) for x in self.inputs]
        self._output_layers = [x._keras_history.layer for x in self.outputs]
        self._output_coordinates = [tuple(x._keras_history) for x in self.outputs]
        keys, nodes_by_depth, layers = _map_graph_network(self.inputs, self.outputs)
        self._network_nodes, self._nodes_by_depth = keys, nodes_by_depth
        object.__setattr__(self, "_self_tracked_layers", list(layers))
        self.input_names = [layer.name for layer in self._input_layers]
        names, counts = [], {}
        for layer in self._output_layers:
            proposal = layer.name
            while proposal in names:
                counts[layer.name] = counts.get(layer.name, 1) + 1
                proposal = f"{layer.name}_{counts[layer.name] - 1}"
            names.append(proposal)
        self.output_names = names
        self._build_input_shape = nest.map_structure(lambda x: x.shape, inputs)
        self.built = True

    # -- layers and weights ------------------------------------------------------------------------
    @property
    def layers(self) -> list:
        return list(self._self_tracked_layers)

    def get_layer(self, name=None, index=None):
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: "
                             f"{[layer.name for layer in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    @property
    def weights(self) -> list:
        """Each layer's weights in layer order (trainable then not, per layer), then the
        model's own: Keras' order for a model, which save/load and set_weights follow."""
        weights = [w for layer in self._self_tracked_layers for w in layer.weights]
        return self._dedup(weights + self._trainable_weights + self._non_trainable_weights)

    variables = weights

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on {self.name}, but the layer "
                             f"isn't built. You can build it manually via: "
                             f"`{self.name}.build(batch_input_shape)`.")
        return count_params(self.weights)

    @property
    def state_updates(self) -> list:
        return [u for layer in self.layers if getattr(layer, "stateful", False)
                for u in layer.updates]

    # -- calling -----------------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        if not self._is_graph_network:
            raise NotImplementedError("When subclassing the `Model` class, you should "
                                      "implement a `call` method.")
        return self._run_internal_graph(inputs, training=training, mask=mask)

    def compute_mask(self, inputs, mask=None):
        if not self._is_graph_network:
            return None
        outputs = self._run_internal_graph(inputs, mask=mask)
        return nest.map_structure(lambda t: getattr(t, "_keras_mask", None), outputs)

    def _flatten_to_reference_inputs(self, tensors):
        if isinstance(tensors, dict) and not isinstance(self._nested_inputs, dict):
            try:
                return [tensors[name] for name in self.input_names]
            except KeyError:
                return nest.flatten(tensors)
        return nest.flatten(tensors)

    def _run_internal_graph(self, inputs, training=None, mask=None):
        """Re-runs the layers graph on ``inputs`` (each node once, by depth)."""
        inputs = self._flatten_to_reference_inputs(inputs)
        if len(inputs) != len(self.inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self.inputs)} input(s), but it '
                             f"received {len(inputs)} input tensors. Inputs received: {inputs}")
        masks = [None] * len(inputs) if mask is None else nest.flatten(mask)
        tensor_for = {}
        for x, y, m in zip(self.inputs, inputs, masks):
            if isinstance(y, Tensor) and m is not None:
                y._keras_mask = m
            tensor_for[id(x)] = y
        for depth in sorted(self._nodes_by_depth, reverse=True):
            for node in self._nodes_by_depth[depth]:
                if node.is_input or any(id(x) not in tensor_for for x in node.keras_inputs):
                    continue
                args, kwargs = node.map_arguments(tensor_for)
                outputs = node.layer(*args, **kwargs)
                for x, y in zip(nest.flatten(node.outputs), nest.flatten(outputs)):
                    tensor_for[id(x)] = y
        return nest.pack_sequence_as(self._nested_outputs,
                                     [tensor_for[id(x)] for x in self.outputs])

    def build(self, input_shape=None):
        """A subclassed model's weights: calls it on placeholders of ``input_shape`` (a
        shape, or a list of shapes for several inputs)."""
        if self._is_graph_network or self.built:
            self.built = True
            return
        if input_shape is None:
            raise ValueError("Input shape must be defined when calling build on a "
                             "model subclass network.")
        from ..ops.constant_ops import placeholder

        dtype = self.dtype or backend.floatx()
        if isinstance(input_shape, list) and input_shape and \
                isinstance(input_shape[0], (list, tuple)):
            x = [placeholder(dtype, shape=tuple(s)) for s in input_shape]
        else:
            x = placeholder(dtype, shape=tuple(input_shape))
        self(x)

    def _maybe_build(self, inputs):
        """Layer's, except that Model.build's own placeholder call is not what a first call
        runs (a subclass's overridden build is)."""
        if type(self).build in (Network.build, Sequential.build):
            if not self.built:
                Layer.build(self, nest.map_structure(lambda x: x.shape, inputs))
            return
        super()._maybe_build(inputs)

    def __call__(self, *args, **kwargs):
        outputs = super().__call__(*args, **kwargs)
        if not self._is_graph_network and not self.inputs and args:
            inputs = args[0]
            flat = nest.flatten(inputs)
            if flat and all(isinstance(x, Tensor) for x in flat):
                self._set_inputs(inputs, outputs)
        return outputs

    def _set_inputs(self, inputs, outputs):
        """A subclassed model's first symbolic call fixes inputs, outputs and their names
        (TF1 Keras' _set_input_attrs/_set_output_attrs)."""
        self.inputs = nest.flatten(inputs)
        if isinstance(inputs, dict):
            self.input_names = sorted(inputs)
        else:
            self.input_names = [f"input_{i + 1}" for i in range(len(self.inputs))]
        self.outputs = nest.flatten(outputs)
        self.output_names = [f"output_{i + 1}" for i in range(len(self.outputs))]
        self.built = True

    # -- shapes and I/O of the model as a layer --------------------------------------------------
    @property
    def input(self):
        if self._is_graph_network:
            return self._nested_inputs
        return super().input

    @property
    def output(self):
        if self._is_graph_network:
            return self._nested_outputs
        return super().output

    @property
    def input_shape(self):
        if self._is_graph_network:
            return nest.map_structure(lambda x: tuple(x.shape.as_list()), self._nested_inputs)
        return super().input_shape

    @property
    def output_shape(self):
        if self._is_graph_network:
            return nest.map_structure(lambda x: tuple(x.shape.as_list()), self._nested_outputs)
        return super().output_shape

    # -- summary, configs, weights on disk (core/keras/summary.py, model_io.py, weights_io.py) ----
    def summary(self, line_length=None, positions=None, print_fn=None):
        if not self.built:
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or calling `fit()` with some data, or specify "
                             "an `input_shape` argument in the first layer(s) for automatic "
                             "build.")
        print_summary(self, line_length, positions, print_fn)

    def get_config(self) -> dict:
        if not self._is_graph_network:
            raise NotImplementedError("Layer " + type(self).__name__ + " has arguments in "
                                      "`__init__` and therefore must override `get_config`.")
        return model_io.network_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        inputs, outputs = model_io.reconstruct_from_config(config, custom_objects, safe_mode)
        return cls(inputs=inputs, outputs=outputs, name=config.get("name"))

    def to_json(self, **kwargs) -> str:
        return model_io.to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        """Refused (as Keras since 2.6): YAML loaders can build arbitrary Python objects, and
        minitf does not ship PyYAML; ``to_json`` writes the same config."""
        raise RuntimeError("Method `model.to_yaml()` is not available: YAML configs can run "
                           "arbitrary code when loaded, and minitf does not ship PyYAML. Use "
                           "`model.to_json()` instead.")

    def save_weights(self, filepath, overwrite=True, save_format=None):
        weights_io.save_weights(self, filepath, overwrite, save_format)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        return weights_io.load_weights(self, filepath, by_name, skip_mismatch)

    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None,
             signatures=None, options=None):
        model_io.save_model(self, filepath, overwrite, include_optimizer, save_format)


class Model(Network, TrainingMixin):
    """``tf.keras.Model``: a Network that trains (``TrainingMixin``: compile, fit, evaluate,
    predict). ``Model(inputs, outputs)`` itself makes a ``Functional`` (tf_keras' class name,
    which summaries and configs show)."""

    def __new__(cls, *args, **kwargs):
        functional = len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or \
            ("inputs" in kwargs and "outputs" in kwargs)
        if cls is Model and functional:
            return super().__new__(Functional)
        return super().__new__(cls)


class Functional(Model):
    """A model made by ``Model(inputs, outputs)``."""


def _input_shape_and_dtype(layer):
    """What a Sequential's first layer says its input is: its ``input_shape``, or for a model
    used as a layer (transfer learning's ``Sequential([base, ...])``), its one input's shape
    (Keras' get_input_shape_and_dtype); (None, None) if it says nothing."""
    if getattr(layer, "_is_graph_network", False) and layer.inputs and \
            len(layer.inputs) == 1:
        return tuple(layer.inputs[0].shape.as_list()), layer.inputs[0].dtype.base_dtype.name
    return getattr(layer, "_batch_input_shape", None), layer.dtype


class Sequential(Model):
    """``Sequential(layers=None, name=None)``: a linear stack of single-output layers."""

    def __init__(self, layers=None, name=None):
        Model.__init__(self, name=name)
        self._stack: list = []
        self._has_explicit_input_shape = False
        self._expects_training_arg = self._expects_mask_arg = True
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def add(self, layer):
        """Appends ``layer``; the first layer's ``input_shape`` (or an ``Input``) makes the
        model a functional graph at once."""
        if is_keras_tensor(layer) and isinstance(layer._keras_history.layer, InputLayer):
            layer = layer._keras_history.layer
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. Found: "
                            f"{layer}")
        if any(layer.name == other.name for other in self._stack):
            raise ValueError("All layers added to a Sequential model should have unique "
                             f'names. Name "{layer.name}" is already the name of a layer in '
                             "this model. Update the `name` argument to pass a unique name.")
        self.built = False
        set_inputs = False
        self._stack.append(layer)
        if not self._is_graph_network and len(self._stack) == 1:
            if isinstance(layer, InputLayer):
                set_inputs = True
            elif _input_shape_and_dtype(layer)[0] is not None:
                batch_shape, dtype = _input_shape_and_dtype(layer)
                x = Input(batch_shape=batch_shape, dtype=dtype, name=layer.name + "_input")
                self._stack.insert(0, x._keras_history.layer)
                set_inputs = True
            if set_inputs:
                self._has_explicit_input_shape = True
                x = self._stack[0]._inbound_nodes[0].outputs
                if not isinstance(layer, InputLayer):
                    x = self._single_output(layer, layer(x))
                self._init_graph_network([self._stack[0]._inbound_nodes[0].outputs], [x])
        elif self._is_graph_network:
            x = self._single_output(layer, layer(self.outputs[0]))
            self._init_graph_network(self.inputs, [x])
        if not self._is_graph_network:
            object.__setattr__(self, "_self_tracked_layers", list(self.layers))

    @staticmethod
    def _single_output(layer, outputs):
        if len(nest.flatten(outputs)) != 1:
            raise ValueError("All layers in a Sequential model should have a single output "
                             "tensor. For multi-output layers, use the functional API.")
        return nest.flatten(outputs)[0]

    def pop(self):
        """Removes the last layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        if self._is_graph_network:
            if not self.layers:
                self._is_graph_network = False
                self.inputs = self.outputs = None
                self.input_names = self.output_names = None
                self._stack = []
                self.built = False
            else:
                last = self._stack[-1]
                self._init_graph_network(self.inputs, [last._inbound_nodes[-1].outputs])
        if not self._is_graph_network:
            object.__setattr__(self, "_self_tracked_layers", list(self.layers))
        return layer

    def call(self, inputs, training=None, mask=None):
        if self._is_graph_network:
            return self._run_internal_graph(inputs, training=training, mask=mask)
        outputs = inputs
        for layer in self.layers:
            kwargs = {}
            if layer._expects_mask_arg and mask is not None:
                kwargs["mask"] = mask
            outputs = layer(inputs, **kwargs)
            self._single_output(layer, outputs)
            inputs = outputs
            mask = getattr(outputs, "_keras_mask", None)
        return outputs

    def _set_inputs(self, inputs, outputs):
        super()._set_inputs(inputs, outputs)
        self._build_input_shape = (None,) + tuple(nest.flatten(inputs)[0].shape.as_list()[1:])

    def get_config(self) -> dict:
        """name and layers (its InputLayer first, as tf_keras), plus build_input_shape for a
        deferred model that was called."""
        config = {"name": self.name,
                  "layers": [model_io.serialize_layer(layer) for layer in self._stack]}
        if not self._is_graph_network and self._build_input_shape is not None:
            config["build_input_shape"] = self._build_input_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        model = cls(name=config.get("name"))
        for layer_config in config["layers"]:
            model.add(model_io.deserialize_layer(layer_config, custom_objects, safe_mode))
        if not model._is_graph_network and config.get("build_input_shape"):
            model.build(config["build_input_shape"])
        return model

    def predict_proba(self, x, batch_size=32, verbose=0):
        """TF 1.x's Sequential.predict_proba: ``predict``, with a warning when the outputs are
        not probabilities."""
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            logging.warning("Network returning invalid probability values. The last layer "
                            "might not normalize predictions into probabilities (like softmax "
                            "or sigmoid would).")
        return preds

    def predict_classes(self, x, batch_size=32, verbose=0):
        """TF 1.x's Sequential.predict_classes: the argmax of the last axis, or for one output
        unit, whether it exceeds 0.5 (int32)."""
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.shape[-1] > 1:
            return preds.argmax(axis=-1)
        return (preds > 0.5).astype("int32")
