"""What a Keras model writes to disk besides its weights (core/keras/weights_io.py) and
summary (summary.py): configs (``get_config``/``from_config``/``to_json``: layers by class
name from ``minitf.keras.layers``, nodes as ``[layer name, node index, tensor index,
kwargs]``), and ``model.save(dir)``: a SavedModel whose ``serving_default`` signature maps
input layer names to the inputs and output layer names to the outputs, so ``minitf serve``
serves it. The model's config, weight names and training config ride along in
``keras_metadata.json``, its weights in ``assets.extra/keras_weights`` (as ``save_weights``
writes them; the SavedModel's graph is frozen), so ``load_model`` rebuilds (and compiles)
functional and Sequential models. A .h5/.hdf5 path (or save_format="h5") is Keras' HDF5 file
instead: core/keras/h5_io.py.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile

import numpy as np

from .. import nest
from .. import tf_logging as logging
from . import backend
from . import h5_io
from .weights_io import _checkpoint, load_weights

__all__ = ["network_config", "reconstruct_from_config", "serialize_layer", "deserialize_layer",
           "to_json", "save_model", "load_model"]

METADATA = "keras_metadata.json"
WEIGHTS = os.path.join("assets.extra", "keras_weights")


# -- configs ------------------------------------------------------------------------------------
def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "as_list"):  # TensorShape
        return value.as_list()
    if hasattr(value, "get_config"):
        return {"class_name": type(value).__name__, "config": value.get_config()}
    if hasattr(value, "name") and hasattr(value, "is_floating"):  # DType
        return value.name
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    raise TypeError(f"Not JSON Serializable: {value!r}")


def serialize_layer(layer) -> dict:
    """tf_keras' layout: module, class_name, config, registered_name, and build_config (the
    input shape ``build`` got) for a built layer that is not a model or an InputLayer."""
    out = {"module": "keras.layers", "class_name": type(layer).__name__,
           "config": layer.get_config(), "registered_name": None}
    shape = getattr(layer, "_build_input_shape", None)
    if layer.built and shape is not None and not hasattr(layer, "_is_graph_network") and \
            type(layer).__name__ != "InputLayer":
        out["build_config"] = {"input_shape": nest.map_structure(
            lambda s: tuple(s.as_list()) if hasattr(s, "as_list") else s, shape)}
    return out


def _layer_classes(custom_objects=None) -> dict:
    """Class name -> class: minitf.keras.layers, the models, then custom_object_scope's and
    ``custom_objects`` (which win)."""
    from . import layers as layers_module
    from .functional import Functional, Model, Sequential
    from .op_layer import TensorFlowOpLayer
    from .utils import get_custom_objects

    classes = {name: obj for name, obj in vars(layers_module).items() if isinstance(obj, type)}
    classes.update({"Model": Model, "Functional": Functional, "Sequential": Sequential,
                    "TensorFlowOpLayer": TensorFlowOpLayer})
    classes.update(get_custom_objects())
    classes.update(custom_objects or {})
    return classes


def deserialize_layer(config, custom_objects=None, safe_mode=True):
    """A layer or model from its ``{"class_name", "config"}`` (a layer is returned as it is).
    Its ``from_config`` gets ``custom_objects`` and ``safe_mode`` if it takes them, so they
    reach nested layers, and the Lambda layers, whose code in a file is refused unless
    ``safe_mode`` is False."""
    from .base_layer import Layer

    if isinstance(config, Layer):
        return config
    class_name = config.get("class_name") if isinstance(config, dict) else None
    cls = _layer_classes(custom_objects).get(class_name)
    if cls is None:
        raise ValueError(f"Unknown layer: {class_name!r}. Please ensure this object is passed "
                         "to the `custom_objects` argument or is in a custom_object_scope.")
    params = inspect.signature(cls.from_config).parameters
    kwargs = {key: value for key, value in (("custom_objects", custom_objects),
                                            ("safe_mode", safe_mode)) if key in params}
    return cls.from_config(dict(config["config"]), **kwargs)


def _skips_first_node(layer) -> bool:
    """Keras' rule: a nested model made on its own Input layers counts its creation as its
    node 0 in configs (Keras' models have that node; minitf's do not), so its calls in a
    config are numbered from 1."""
    from .input_layer import InputLayer

    tracked = getattr(layer, "_self_tracked_layers", None)
    return bool(getattr(layer, "_is_graph_network", False) and tracked and
                isinstance(tracked[0], InputLayer))


def network_config(network) -> dict:
    """Keras' functional config: name, layers (with inbound_nodes), input_layers,
    output_layers. Node indices are renumbered to count only this model's nodes (from 1 for
    a nested model, as Keras numbers them)."""
    conversion = {}
    for layer in network.layers:
        kept = 1 if _skips_first_node(layer) else 0
        for index in range(len(layer._inbound_nodes)):
            if (layer.name, index) in network._network_nodes:
                conversion[(layer.name, index)] = kept
                kept += 1

    def coordinates(x):
        kh = x._keras_history
        return [kh.layer.name, conversion.get((kh.layer.name, kh.node_index), 0),
                kh.tensor_index]

    layer_configs = []
    for layer in network.layers:
        inbound = []
        for index, node in enumerate(layer._inbound_nodes):
            if (layer.name, index) not in network._network_nodes or node.is_input:
                continue
            names = layer._call_arg_names
            arguments = dict(zip(names[1:], node.call_args[1:]))
            arguments.update(node.call_kwargs)
            kwargs = nest.map_structure(
                lambda t: coordinates(t) if getattr(t, "_keras_history", None) else t,
                arguments)
            data = nest.map_structure(lambda t, kw=kwargs: coordinates(t) + [kw],
                                      node.call_args[0])
            inbound.append(data if isinstance(data, list) and data and
                           isinstance(data[0], list) else [data])
        config = serialize_layer(layer)
        config["name"] = layer.name
        config["inbound_nodes"] = inbound
        layer_configs.append(config)

    def endpoints(coords, nested):
        flat = [[layer.name, conversion[(layer.name, node_index)], tensor_index]
                for layer, node_index, tensor_index in coords]
        packed = nest.pack_sequence_as(nested, flat) if nest.is_nested(nested) else flat
        return packed

    return {"name": network.name, "trainable": network.trainable, "layers": layer_configs,
            "input_layers": endpoints(network._input_coordinates, network._nested_inputs),
            "output_layers": endpoints(network._output_coordinates, network._nested_outputs)}


def reconstruct_from_config(config, custom_objects=None, safe_mode=True):
    """Makes the layers of a functional config and calls them as its nodes say; returns
    (inputs, outputs)."""
    from .input_layer import InputLayer

    created, pending, node_map, counts = {}, {}, {}, {}
    for layer_data in config["layers"]:
        layer = deserialize_layer(layer_data, custom_objects, safe_mode)
        created[layer_data["name"]] = layer
        counts[layer] = 1 if _skips_first_node(layer) else 0  # (a config's numbering)
        pending[layer_data["name"]] = list(layer_data.get("inbound_nodes", []))

    def tensor_at(name, node_index, tensor_index):
        layer = created[name]
        index = 0 if isinstance(layer, InputLayer) else node_map.get((name, node_index))
        if index is None:
            raise IndexError
        return nest.flatten(layer._inbound_nodes[index].outputs)[tensor_index]

    def resolve(value):
        if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and \
                value[0] in created and all(isinstance(v, int) for v in value[1:]):
            return tensor_at(*value)
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    def process(name, node_data):
        items = node_data if isinstance(node_data, list) and node_data and \
            isinstance(node_data[0], list) else [node_data]
        try:
            tensors = [tensor_at(*item[:3]) for item in items]
            kwargs = resolve(items[0][3]) if len(items[0]) > 3 else {}
        except IndexError:
            return False
        layer = created[name]
        outputs = layer(tensors[0] if len(tensors) == 1 else tensors, **kwargs)
        node_map[(name, counts[layer])] = nest.flatten(outputs)[0]._keras_history.node_index
        counts[layer] += 1
        return True

    while any(pending.values()):
        progressed = False
        for layer_data in config["layers"]:
            queue = pending[layer_data["name"]]
            while queue and process(layer_data["name"], queue[0]):
                queue.pop(0)
                progressed = True
        if not progressed:
            raise ValueError("Improperly formatted model config: some layer calls can never "
                             "get their inputs.")

    def endpoints(spec):
        if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
            return tensor_at(*spec)
        if isinstance(spec, dict):
            return {k: endpoints(v) for k, v in spec.items()}
        return [endpoints(s) for s in spec]

    return endpoints(config["input_layers"]), endpoints(config["output_layers"])


def to_json(model, **kwargs) -> str:
    return json.dumps({"class_name": type(model).__name__, "config": model.get_config(),
                       "keras_version": "2.2.4-tf", "backend": "tensorflow"},
                      default=_jsonable, **kwargs)


# -- whole models -------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None):
    """A SavedModel in ``filepath`` (serving_default: input layer names -> inputs, output
    layer names -> outputs), plus ``keras_metadata.json`` (config and weight names) when the
    model has a config."""
    from .. import saved_model

    if h5_io.wants_h5(filepath, save_format):  # else save_format is None, "tf"/"tensorflow"
        return h5_io.save_model(model, filepath, overwrite, include_optimizer)
    if not model.inputs or not model.outputs:
        raise ValueError("Model cannot be saved because the input shapes have not been set. "
                         "Usually, input shapes are automatically determined from calling "
                         "`.fit()` or `.predict()`. To manually set the shapes, call "
                         "`model.build(input_shape)`.")
    path = os.fspath(filepath)
    if os.path.exists(path):
        if not overwrite:
            raise FileExistsError(f"{path} exists and overwrite=False")
        if not saved_model.maybe_saved_model_directory(path) and os.listdir(path):
            raise ValueError(f"{path} exists and is not a SavedModel directory; refusing to "
                             "replace it")
    # Written beside the target, then renamed into place: a server polling the model's base
    # path never sees a half-written version, and a failed save leaves nothing behind.
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", dir=parent)
    try:
        written = os.path.join(staging, "model")
        _write_model(model, written, saved_model, include_optimizer)
        if os.path.exists(path):
            os.rename(path, os.path.join(staging, "replaced"))
        os.rename(written, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _training_config(model):
    """tf_keras' ``training_config`` of a compiled model (loss, metrics, weighted_metrics,
    loss_weights, sample_weight_mode, optimizer_config: class name and get_config), or None
    (with a warning) when part of it cannot be serialized: a loss or metric function that is
    not Keras' own nor a registered custom object, a TF1 optimizer."""
    from . import losses, metrics
    from .utils import get_custom_objects

    custom = get_custom_objects()

    def serial(value, registry):
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, dict):
            return {k: serial(v, registry) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [serial(v, registry) for v in value]
        if hasattr(value, "get_config"):
            return {"class_name": type(value).__name__, "config": value.get_config()}
        name = getattr(value, "__name__", None)
        if callable(value) and (registry.get(name) is value or custom.get(name) is value):
            return name
        raise ValueError(f"Cannot serialize {value!r}: it is not a Keras loss or metric nor a "
                         "registered custom object")

    args = model._compile_args
    try:
        config = {"loss": serial(model.loss, losses._registry()),
                  "metrics": serial(args["metrics"], metrics._registry()),
                  "weighted_metrics": serial(args["weighted_metrics"], metrics._registry()),
                  "loss_weights": args["loss_weights"],
                  "sample_weight_mode": args["sample_weight_mode"],
                  "optimizer_config": {"class_name": type(model.optimizer).__name__,
                                       "config": model.optimizer.get_config()}}
        json.dumps(config, default=_jsonable)
    except (ValueError, TypeError, NotImplementedError) as e:
        logging.warning(f"Saving {model.name} without its training configuration (load_model "
                        f"will not compile it): {e}")
        return None
    return config


def _compile_args(training_config, custom_objects=None):
    """model.compile's arguments from a ``training_config`` (tf_keras'
    compile_args_from_training_config: names become the functions they stand for)."""
    from . import losses, metrics, optimizers
    from .utils import get_custom_objects

    custom = dict(get_custom_objects(), **(custom_objects or {}))

    def back(value, deserialize):
        if isinstance(value, dict) and "class_name" not in value:
            return {k: back(v, deserialize) for k, v in value.items()}
        if isinstance(value, list):
            return [back(v, deserialize) for v in value]
        if value is None or value in ("accuracy", "acc", "crossentropy", "ce"):
            return value  # resolved by compile from the model's outputs, as tf_keras leaves it
        return deserialize(value, custom)  # 'mae' -> mean_absolute_error, named so, as TF's

    return dict(optimizer=optimizers.deserialize(training_config["optimizer_config"], custom),
                loss=back(training_config.get("loss"), losses.deserialize),
                metrics=back(training_config.get("metrics"), metrics.deserialize),
                weighted_metrics=back(training_config.get("weighted_metrics"),
                                      metrics.deserialize),
                loss_weights=training_config.get("loss_weights"),
                sample_weight_mode=training_config.get("sample_weight_mode"))


def _write_model(model, path, saved_model, include_optimizer=True):
    inputs = dict(zip(model.input_names, model.inputs))
    outputs = dict(zip(model.output_names, model.outputs))
    try:
        config = {"class_name": type(model).__name__, "config": model.get_config()}
    except NotImplementedError:
        config = None  # a subclassed model: serves, but load_model cannot rebuild it
    metadata = None if config is None else \
        {"model": config, "weights": [w.op.name for w in model.weights]}
    if metadata is not None and include_optimizer and getattr(model, "_is_compiled", False):
        training_config = _training_config(model)
        if training_config is not None:
            metadata["training_config"] = training_config
    metadata = None if metadata is None else json.dumps(metadata, default=_jsonable)
    saved_model.simple_save(backend.get_session(), path, inputs, outputs)
    if metadata is None:
        return
    with open(os.path.join(path, METADATA), "w") as f:
        f.write(metadata)
    # The SavedModel's graph is frozen (its variables are constants), so the weights for
    # load_model go beside it, where serving loaders do not look.
    _checkpoint(model).write(os.path.join(path, WEIGHTS), session=backend.get_session())


def load_model(filepath, custom_objects=None, compile=True,  # noqa: A002 - Keras' name
               safe_mode=True):
    """Rebuilds a functional or Sequential model that ``model.save`` wrote (its config, then
    its weights from the SavedModel's variables), in the default graph. A Lambda layer's code
    is loaded only with ``safe_mode=False``. With ``compile=True`` a model saved compiled is
    compiled again from its training config (optimizer, loss, metrics, loss_weights): a new
    optimizer, whose state (iterations, slots) starts over, as it is not saved. A model saved
    without one (never compiled, or its loss was a custom function) comes back uncompiled, with
    tf_keras' warning."""
    if h5_io.is_h5_source(filepath):
        return h5_io.load_model(filepath, custom_objects, compile, safe_mode)
    path = os.fspath(filepath)
    meta = os.path.join(path, METADATA)
    if not os.path.isfile(meta):
        raise OSError(f"No Keras model to load at {path}: minitf's load_model reads a "
                      f"directory written by model.save() of a functional or Sequential model "
                      f"(with {METADATA}); serve other SavedModels with tf.saved_model.loader")
    with open(meta) as f:
        metadata = json.load(f)
    model = deserialize_layer(metadata["model"], custom_objects, safe_mode)
    from ..train.checkpoint_reader import load_checkpoint

    weights, sidecar = model.weights, os.path.join(path, WEIGHTS)
    if len(weights) != len(metadata["weights"]):
        raise ValueError(f"The saved model has {len(metadata['weights'])} weights but the "
                         f"rebuilt model has {len(weights)}")
    reader = load_checkpoint(sidecar)
    if reader.has_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"):
        load_weights(model, sidecar)  # by structure, as save_weights
    else:  # written by an older minitf: a Saver's, keyed by the saved model's variable names
        backend.batch_set_value([(w, reader.get_tensor(name))
                                 for w, name in zip(weights, metadata["weights"])])
    if compile:
        if metadata.get("training_config") is None:
            logging.warning("No training configuration found in save file, so the model was "
                            "*not* compiled. Compile it manually.")
        else:
            model.compile(**_compile_args(metadata["training_config"], custom_objects))
    return model
