"""What a Keras model says about itself and writes to disk: ``summary()`` (Keras' table),
configs (``get_config``/``from_config``/``to_json``: layers by class name from
``minitf.keras.layers``, nodes as ``[layer name, node index, tensor index, kwargs]``), weights
in TensorFlow's checkpoint format (minitf's Saver, SaverDef.V2: keys are the variables' names),
and ``model.save(dir)``: a SavedModel whose ``serving_default`` signature maps input layer
names to the inputs and output layer names to the outputs, so ``minitf serve`` serves it. The
model's config and weight names ride along in ``keras_metadata.json``, its weights in
``assets.extra/keras_weights`` (the SavedModel's graph is frozen), so ``load_model`` rebuilds
functional and Sequential models.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import tempfile

import numpy as np

from .. import nest
from . import backend

__all__ = ["print_summary", "network_config", "reconstruct_from_config", "serialize_layer",
           "deserialize_layer", "to_json", "save_weights", "load_weights", "save_model",
           "load_model", "count_params"]

METADATA = "keras_metadata.json"
WEIGHTS = os.path.join("assets.extra", "keras_weights")


# -- summary ------------------------------------------------------------------------------------
def count_params(weights) -> int:
    unique = {id(w): w for w in weights}.values()
    return int(sum(np.prod([0 if d is None else d for d in w.shape.as_list()])
                   for w in unique))


def _memory(weights) -> int:
    total = 0
    for w in {id(w): w for w in weights}.values():
        dims = w.shape.as_list()
        if None not in dims:
            total += int(np.prod(dims)) * w.dtype.base_dtype.size
    return total


def _readable(size) -> str:
    for unit in ["Byte", "KB", "MB", "GB", "TB", "PB"]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _sequential_like(model) -> bool:
    if type(model).__name__ == "Sequential" or not model._is_graph_network:
        return True
    nodes = []
    for v in model._nodes_by_depth.values():
        if len(v) > 1 or (len(v) == 1 and len(v[0].keras_inputs) > 1):
            return False
        nodes += v
    for layer in model.layers:
        if sum(1 for node in layer._inbound_nodes if node in nodes) > 1:
            return False
    return True


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Keras' (tf_keras') summary table."""
    print_fn = print_fn or print
    sequential_like = _sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        to_display = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.3, 0.6, 0.70, 1.0]
        to_display = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        relevant = [n for v in model._nodes_by_depth.values() for n in v]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def print_row(fields):
        left = [str(x) for x in fields]
        while any(left):
            line = ""
            for col in range(len(left)):
                start = positions[col - 1] if col > 0 else 0
                space = 2 if col != len(positions) - 1 else 0
                cutoff = positions[col] - start - space - (1 if col != len(positions) - 1
                                                           else 0)
                fit = left[col][:cutoff]
                cuts = [fit.find(x) + len(x) for x in ("),", "},", "],", "',")
                        if fit.find(x) >= 0]
                if cuts:
                    cutoff = min(cuts)
                    fit = fit[:cutoff]
                if col == 0:
                    line += " "
                line += fit + " " * space
                left[col] = left[col][cutoff:]
                line += " " * (positions[col] - len(line))
            print_fn(line)

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_row(to_display)
    print_fn("=" * line_length)
    layers = model.layers
    for layer in layers:
        try:
            output_shape = layer.output_shape
        except (AttributeError, RuntimeError):
            output_shape = "multiple"
        name = f"{layer.name} ({type(layer).__name__})"
        if sequential_like:
            params = "0 (unused)" if not layer.built and \
                not getattr(layer, "_is_graph_network", False) else layer.count_params()
            print_row([name, output_shape, params])
        else:
            connections = [f"{inbound.name}[{node_index}][{tensor_index}]"
                           for node in layer._inbound_nodes if node in relevant
                           for inbound, node_index, tensor_index, _ in node.iterate_inbound()]
            print_row([name, output_shape, layer.count_params(), connections])
        print_fn(" " * line_length)
    print_fn("=" * line_length)
    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    t_mem, n_mem = _memory(trainable), _memory(non_trainable)
    t_count, n_count = count_params(trainable), count_params(non_trainable)
    print_fn(f"Total params: {t_count + n_count} ({_readable(t_mem + n_mem)})")
    print_fn(f"Trainable params: {t_count} ({_readable(t_mem)})")
    print_fn(f"Non-trainable params: {n_count} ({_readable(n_mem)})")
    print_fn("_" * line_length)


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


def network_config(network) -> dict:
    """Keras' functional config: name, layers (with inbound_nodes), input_layers,
    output_layers. Node indices are renumbered to count only this model's nodes."""
    conversion = {}
    for layer in network.layers:
        kept = 0
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
        counts[layer] = 0
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


# -- weights -------------------------------------------------------------------------------------
def _refuse_h5(filepath, save_format):
    path = os.fspath(filepath)
    if save_format in ("h5", "hdf5", "keras") or path.endswith((".h5", ".hdf5", ".keras")):
        raise ImportError("`save_weights`/`load_weights`/`save` in HDF5 format need h5py, which "
                          f"minitf does not ship ({path!r}). Use a path without .h5 to write "
                          "TensorFlow's checkpoint format (or, for save, a SavedModel).")


def _saver(model):
    """The model's Saver over its current weights, made once: a Saver adds ops to the graph,
    and a new op makes every run recompile its plan."""
    from ..train.saver import Saver, SaverDef

    weights = model.weights
    key = tuple(id(w) for w in weights)
    cached = getattr(model, "_weights_saver", None)
    if cached is None or cached[0] != key:
        saver = Saver(var_list={w.op.name: w for w in weights}, write_version=SaverDef.V2,
                      allow_empty=True)
        cached = model._weights_saver = (key, saver)
    return cached[1]


def save_weights(model, filepath, overwrite=True, save_format=None):
    """TensorFlow's checkpoint format: ``<filepath>.index`` and ``.data-00000-of-00001``, keys
    are the weights' variable names, plus the ``checkpoint`` state file."""
    _refuse_h5(filepath, save_format)
    if save_format not in (None, "tf"):
        raise ValueError(f'Unknown format "{save_format}". Was expecting one of {{"tf", "h5"}}.')
    _saver(model).save(backend.get_session(), os.fspath(filepath), write_meta_graph=False)


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Restores the weights of a ``save_weights`` checkpoint, matched by variable name; a
    tf_keras (object-based) checkpoint is matched by layer order and weight name instead."""
    _refuse_h5(filepath, None)
    if by_name:
        raise NotImplementedError("Weights may only be loaded based on topology into Models "
                                  "when loading TensorFlow-formatted weights (got by_name=True "
                                  "to load_weights).")
    from ..errors import NotFoundError
    from ..train.checkpoint_reader import load_checkpoint

    path = os.fspath(filepath)
    if os.path.isdir(path):
        from ..train.saver import latest_checkpoint

        path = latest_checkpoint(path) or path
    reader = load_checkpoint(path)
    keys = {id(w): w.op.name for w in model.weights}
    missing = [k for k in keys.values() if not reader.has_tensor(k)]
    if missing and reader.has_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"):
        keys = _object_keys(model)  # tf_keras' save_weights: keys by the model's structure
        missing = [k for k in keys.values() if not reader.has_tensor(k)]
    if missing:
        raise NotFoundError(None, None, f"Key {missing[0]} not found in checkpoint {path} (the "
                            f"model's weights missing from it: {missing})")
    backend.batch_set_value([(w, reader.get_tensor(keys[id(w)])) for w in model.weights])


def _object_keys(model) -> dict:
    """tf_keras' object-based checkpoint keys for a model whose layers own their weights
    directly: ``layer_with_weights-<i>/<weight name>/.ATTRIBUTES/VARIABLE_VALUE``."""
    keys, index = {}, 0
    for layer in model.layers:
        if not layer.weights:
            continue
        for w in layer.weights:
            short = w.op.name.rsplit("/", 1)[-1]
            keys[id(w)] = f"layer_with_weights-{index}/{short}/.ATTRIBUTES/VARIABLE_VALUE"
        index += 1
    return keys


# -- whole models -------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None):
    """A SavedModel in ``filepath`` (serving_default: input layer names -> inputs, output
    layer names -> outputs), plus ``keras_metadata.json`` (config and weight names) when the
    model has a config."""
    from .. import saved_model

    _refuse_h5(filepath, save_format)
    if save_format not in (None, "tf"):
        raise ValueError(f'Unknown format "{save_format}". Was expecting one of {{"tf", "h5"}}.')
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
        _write_model(model, written, saved_model)
        if os.path.exists(path):
            os.rename(path, os.path.join(staging, "replaced"))
        os.rename(written, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_model(model, path, saved_model):
    inputs = dict(zip(model.input_names, model.inputs))
    outputs = dict(zip(model.output_names, model.outputs))
    try:
        config = {"class_name": type(model).__name__, "config": model.get_config()}
    except NotImplementedError:
        config = None  # a subclassed model: serves, but load_model cannot rebuild it
    metadata = None if config is None else json.dumps(
        {"model": config, "weights": [w.op.name for w in model.weights]}, default=_jsonable)
    saved_model.simple_save(backend.get_session(), path, inputs, outputs)
    if metadata is None:
        return
    with open(os.path.join(path, METADATA), "w") as f:
        f.write(metadata)
    # The SavedModel's graph is frozen (its variables are constants), so the weights for
    # load_model go beside it, where serving loaders do not look.
    _saver(model).save(backend.get_session(), os.path.join(path, WEIGHTS),
                       write_meta_graph=False, write_state=False)


def load_model(filepath, custom_objects=None, compile=True,  # noqa: A002 - Keras' name
               safe_mode=True):
    """Rebuilds a functional or Sequential model that ``model.save`` wrote (its config, then
    its weights from the SavedModel's variables), in the default graph. Not compiled. A Lambda
    layer's code is loaded only with ``safe_mode=False``."""
    path = os.fspath(filepath)
    _refuse_h5(path, None)
    meta = os.path.join(path, METADATA)
    if not os.path.isfile(meta):
        raise OSError(f"No Keras model to load at {path}: minitf's load_model reads a "
                      f"directory written by model.save() of a functional or Sequential model "
                      f"(with {METADATA}); serve other SavedModels with tf.saved_model.loader")
    with open(meta) as f:
        metadata = json.load(f)
    model = deserialize_layer(metadata["model"], custom_objects, safe_mode)
    from ..train.checkpoint_reader import load_checkpoint

    reader = load_checkpoint(os.path.join(path, WEIGHTS))
    weights = model.weights
    if len(weights) != len(metadata["weights"]):
        raise ValueError(f"The saved model has {len(metadata['weights'])} weights but the "
                         f"rebuilt model has {len(weights)}")
    backend.batch_set_value([(w, reader.get_tensor(name))
                             for w, name in zip(weights, metadata["weights"])])
    return model
