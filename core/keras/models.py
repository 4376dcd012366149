"""``tf.keras.models``: the model classes, configs and JSON back to models, saving and loading
whole models (see core/keras/model_io.py for what is supported), and ``clone_model``."""

from __future__ import annotations

import inspect
import json

from .. import nest
from . import model_io
from .functional import Functional, Model, Sequential
from .input_layer import Input, InputLayer

__all__ = ["Model", "Sequential", "model_from_config", "model_from_json", "save_model",
           "load_model", "clone_model", "export_saved_model", "model_from_yaml"]


def model_from_config(config, custom_objects=None, safe_mode=True):
    """A model (or layer) from ``{"class_name": ..., "config": ...}``; a Lambda layer's code
    is loaded only with ``safe_mode=False``."""
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Received: "
                        f"config={config}. Did you meant to use `Sequential.from_config(config)`"
                        "?")
    return model_io.deserialize_layer(config, custom_objects, safe_mode)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """The model ``model.to_json()`` described (new, untrained weights)."""
    return model_from_config(json.loads(json_string), custom_objects, safe_mode)


def model_from_yaml(yaml_string, custom_objects=None):
    """Refused (as Keras since 2.6): loading YAML can run arbitrary code; use JSON."""
    raise RuntimeError("Method `model_from_yaml()` is not available: YAML configs can run "
                       "arbitrary code when loaded, and minitf does not ship PyYAML. Use "
                       "`tf.keras.models.model_from_json()` instead.")


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None,
               signatures=None, options=None):
    """``model.save(filepath)``: a SavedModel directory ``minitf serve`` serves."""
    model_io.save_model(model, filepath, overwrite, include_optimizer, save_format)


load_model = model_io.load_model


def export_saved_model(model, saved_model_path, custom_objects=None, as_text=False,
                       input_signature=None, serving_only=False):
    """``tf.keras.experimental.export_saved_model`` (TF 1.15): the same SavedModel as
    ``model.save(saved_model_path)`` (serving_default signature only; as_text unsupported)."""
    if as_text:
        raise ValueError("minitf writes saved_model.pb only (as_text=True is not supported)")
    model_io.save_model(model, saved_model_path, overwrite=False)


def _clone_layer(layer):
    config = layer.get_config()
    if "safe_mode" in inspect.signature(type(layer).from_config).parameters:
        # The config was made in this process, not read from a file: a Lambda's code is ours.
        return type(layer).from_config(config, safe_mode=False)
    return type(layer).from_config(config)


def clone_model(model, input_tensors=None, clone_function=None):
    """A functional or Sequential model with the same structure and new layers (fresh
    weights: ``clone.set_weights(model.get_weights())`` copies them)."""
    clone_function = clone_function or _clone_layer
    if isinstance(model, Sequential):
        layers = [clone_function(layer) for layer in model.layers]
        if input_tensors is not None:
            x = nest.flatten(input_tensors)[0]
            if getattr(x, "_keras_history", None) is None:
                x = Input(tensor=x)
            return Sequential([x._keras_history.layer] + layers, name=model.name)
        if model._is_graph_network and isinstance(model._stack[0], InputLayer):
            first = model._stack[0]
            layers = [InputLayer(batch_input_shape=first._batch_input_shape,
                                 dtype=first.dtype, name=first.name)] + layers
        return Sequential(layers, name=model.name)
    if not isinstance(model, Model) or not model._is_graph_network:
        raise ValueError("Expected `model` argument to be a functional `Model` instance, but "
                         f"got a subclassed model instead: {model}")
    new_layers = {}
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            continue
        new_layers[id(layer)] = clone_function(layer)
    if input_tensors is None:
        new_inputs = [Input(batch_shape=layer._batch_input_shape, dtype=layer.dtype,
                            sparse=layer.sparse, name=layer.name)
                      for layer in model._input_layers]
    else:
        new_inputs = [x if getattr(x, "_keras_history", None) is not None else Input(tensor=x)
                      for x in nest.flatten(input_tensors)]
    tensor_for = {id(x): y for x, y in zip(model.inputs, new_inputs)}
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if node.is_input or any(id(x) not in tensor_for for x in node.keras_inputs):
                continue
            args, kwargs = node.map_arguments(tensor_for)
            outputs = new_layers[id(node.layer)](*args, **kwargs)
            for x, y in zip(nest.flatten(node.outputs), nest.flatten(outputs)):
                tensor_for[id(x)] = y
    outputs = nest.pack_sequence_as(model._nested_outputs,
                                    [tensor_for[id(x)] for x in model.outputs])
    inputs = nest.pack_sequence_as(model._nested_inputs, new_inputs) \
        if nest.is_nested(model._nested_inputs) else new_inputs[0]
    return Functional(inputs, outputs, name=model.name)
