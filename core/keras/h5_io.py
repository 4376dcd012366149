"""Keras' HDF5 format (``model.save("m.h5")``, ``save_weights("w.h5")``, ``load_model``,
``load_weights(by_name=..., skip_mismatch=...)``), laid out as tf_keras' legacy
``hdf5_format`` writes it, so files go both ways between minitf and tf_keras:

- file attrs ``keras_version``, ``backend``, ``model_config`` (JSON ``{class_name, config}``)
  and, for a compiled model, ``training_config``;
- group ``model_weights`` (attrs ``layer_names``, ``backend``, ``keras_version``), one group
  per layer (in name order) with attr ``weight_names`` and one dataset per weight, named by
  the variable (``dense/kernel:0``), weights ordered trainable then non-trainable, plus an
  empty ``top_level_model_weights``; a weights-only file is that group at its root;
- group ``optimizer_weights`` (attr ``weight_names``): ``iter`` then the slots.

h5py is optional: it is imported only when an HDF5 path or format is used."""

from __future__ import annotations

import json
import os

import numpy as np

from .. import tf_logging as logging
from . import backend

__all__ = ["wants_h5", "is_h5_source", "save_weights", "load_weights", "save_model",
           "load_model"]

KERAS_VERSION = "2.2.4-tf"  # TF 1.15's tf.keras.__version__, as to_json writes it
_HEADER_LIMIT = 64512  # bytes an HDF5 attribute may hold: longer name lists are chunked
_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_H5_SUFFIXES = (".h5", ".hdf5")


def _h5py():
    try:
        import h5py
    except ImportError as e:
        raise ImportError("Saving or loading a Keras model or weights in HDF5 format (.h5/"
                          ".hdf5) needs h5py, which is not installed: pip install "
                          '"minitf[h5]" (or h5py>=3). Or use a path without .h5 to write '
                          "TensorFlow's checkpoint format (or, for save, a SavedModel).") from e
    return h5py


def _is_h5_file_object(filepath) -> bool:
    return type(filepath).__module__.split(".")[0] == "h5py"


def _refuse_keras_zip(path):
    if path.endswith(".keras"):
        raise ValueError(f"Cannot save or load {path!r}: a .keras path is Keras 3's zip format, "
                         "which minitf does not write or read. minitf writes HDF5 for .h5/.hdf5 "
                         "paths (tf_keras' legacy format) and a TensorFlow checkpoint or "
                         "SavedModel otherwise.")


def wants_h5(filepath, save_format) -> bool:
    """For saving, as tf_keras: True for save_format "h5"/"hdf5", an h5py.File, or a path
    ending .h5/.hdf5; False for "tf"/"tensorflow" or None with another path. A .keras path
    or save_format "keras" is refused (Keras 3's zip format), and any other format."""
    if _is_h5_file_object(filepath):
        return True
    path = os.fspath(filepath)
    is_h5 = path.endswith(_H5_SUFFIXES)
    fmt = None if save_format is None else str(save_format).lower().strip()
    if fmt == "keras":
        _refuse_keras_zip(".keras")
    if fmt not in (None, "tf", "tensorflow", "h5", "hdf5"):
        raise ValueError(f"Unknown format. Received: `save_format`={save_format}. Was "
                         'expecting one of {"tf", "h5"}.')
    _refuse_keras_zip(path)
    if fmt in ("tf", "tensorflow") and is_h5:
        raise ValueError(f'save got save_format="{save_format}", but the filepath ({path}) '
                         'looks like an HDF5 file. Omit the ".h5" when saving in TensorFlow '
                         "format.")
    return fmt in ("h5", "hdf5") or (fmt is None and is_h5)


def is_h5_source(filepath) -> bool:
    """For loading: an h5py.File, a path ending .h5/.hdf5, or a file that starts with HDF5's
    signature (read without h5py, so a missing h5py is reported as such)."""
    if _is_h5_file_object(filepath):
        return True
    path = os.fspath(filepath)
    _refuse_keras_zip(path)
    if path.endswith(_H5_SUFFIXES):
        return True
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return f.read(len(_SIGNATURE)) == _SIGNATURE


class _Opened:
    """``with _Opened(filepath, mode) as f``: a path is opened (and closed) here, an
    h5py.File passed in is used as it is and left open, as tf_keras does."""

    def __init__(self, filepath, mode):
        self.filepath, self.mode, self.file = filepath, mode, None

    def __enter__(self):
        if _is_h5_file_object(self.filepath):
            return self.filepath
        h5py = _h5py()
        path = os.fspath(self.filepath)
        if self.mode == "r" and not os.path.isfile(path):
            raise OSError(f"No file or directory found at {path}")
        if self.mode == "w" and os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        self.file = h5py.File(path, self.mode)
        return self.file

    def __exit__(self, *exc):
        if self.file is not None:
            self.file.close()


# -- attributes and weight groups ---------------------------------------------------------------
def _save_names(group, name, names):
    """A list of names as an attribute of byte strings; split into ``<name>0``, ``<name>1``
    ... when it would not fit in one HDF5 object header."""
    data = [n.encode("utf8") for n in names]
    too_long = [n for n in data if len(n) > _HEADER_LIMIT]
    if too_long:
        raise RuntimeError("The following attributes cannot be saved to HDF5 file because "
                           f"they are larger than {_HEADER_LIMIT} bytes: {too_long}")
    array = np.asarray(data)
    chunks = 1
    while array.nbytes / chunks > _HEADER_LIMIT:
        chunks += 1
    if chunks == 1:
        group.attrs[name] = data
        return
    for i, part in enumerate(np.array_split(array, chunks)):
        group.attrs[f"{name}{i}"] = part


def _load_names(group, name) -> list:
    def decode(values):
        return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]

    if name in group.attrs:
        return decode(group.attrs[name])
    out, i = [], 0
    while f"{name}{i}" in group.attrs:
        out += decode(group.attrs[f"{name}{i}"])
        i += 1
    return out


def _layer_weights(layer) -> list:
    """The order Keras' HDF5 files keep: trainable weights, then non-trainable ones."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _top_level_weights(model) -> list:
    return list(getattr(model, "_trainable_weights", [])) + \
        list(getattr(model, "_non_trainable_weights", []))


def _save_subset(group, weights):
    names = [w.name for w in weights]
    _save_names(group, "weight_names", names)
    for name, value in zip(names, backend.batch_get_value(weights)):
        group.create_dataset(name, data=np.asarray(value))


def _load_subset(group) -> list:
    return [np.asarray(group[name]) for name in _load_names(group, "weight_names")]


def _save_weights_to_group(group, model):
    _save_names(group, "layer_names", [layer.name for layer in model.layers])
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    for layer in sorted(model.layers, key=lambda layer: layer.name):  # names grow strictly
        _save_subset(group.create_group(layer.name), _layer_weights(layer))
    _save_subset(group.create_group("top_level_model_weights"), _top_level_weights(model))


def _shape(w):
    return tuple(w.shape.as_list())


def _check_shape(k, layer, weight, value, skip_mismatch, pairs):
    if _shape(weight) == tuple(value.shape):
        pairs.append((weight, value))
        return
    what = (f"for weight {weight.name}. Weight expects shape {_shape(weight)}. Received saved "
            f"weight with shape {tuple(value.shape)}")
    if skip_mismatch:
        logging.warning(f"Skipping loading weights for layer #{k} (named {layer.name}) due to "
                        f"mismatch in shape {what}")
        return
    raise ValueError(f"Shape mismatch in layer #{k} (named {layer.name}) {what}")


def _load_top_level(group, model, skip_mismatch, pairs):
    if "top_level_model_weights" not in group:
        return
    weights, values = _top_level_weights(model), _load_subset(group["top_level_model_weights"])
    if len(weights) != len(values):
        message = (f"Model expects {len(weights)} top-level weight(s). Received {len(values)} "
                   "saved top-level weight(s)")
        if skip_mismatch:
            logging.warning("Skipping loading top-level weights for model due to mismatch in "
                            f"number of weights. {message}")
            return
        raise ValueError(f"Weight count mismatch for top-level weights of model. {message}")
    for weight, value in zip(weights, values):
        _check_shape("top", model, weight, value, skip_mismatch, pairs)


def _load_weights_from_group(group, model):
    """Topological loading: the i-th layer with weights gets the i-th saved layer with
    weights, whatever the names."""
    layers = [layer for layer in model.layers if _layer_weights(layer)]
    names = [name for name in _load_names(group, "layer_names")
             if _load_names(group[name], "weight_names")]
    if len(names) != len(layers):
        raise ValueError("Layer count mismatch when loading weights from file. Model expected "
                         f"{len(layers)} layers, found {len(names)} saved layers.")
    pairs = []
    for k, (name, layer) in enumerate(zip(names, layers)):
        weights, values = _layer_weights(layer), _load_subset(group[name])
        if len(weights) != len(values):
            raise ValueError(f"Weight count mismatch for layer #{k} (named {layer.name} in the "
                             f"current model, {name} in the save file). Layer expects "
                             f"{len(weights)} weight(s). Received {len(values)} saved "
                             "weight(s)")
        for weight, value in zip(weights, values):
            _check_shape(k, layer, weight, value, False, pairs)
    _load_top_level(group, model, False, pairs)
    backend.batch_set_value(pairs)


def _load_weights_by_name(group, model, skip_mismatch):
    """Name-based loading: a saved layer's weights go to the model's layers of that name;
    other layers keep theirs."""
    index = {}
    for layer in model.layers:
        index.setdefault(layer.name, []).append(layer)
    pairs = []
    for k, name in enumerate(_load_names(group, "layer_names")):
        values = _load_subset(group[name])
        for layer in index.get(name, []):
            weights = _layer_weights(layer)
            if len(weights) != len(values):
                counts = (f"Layer expects {len(weights)} weight(s). Received {len(values)} "
                          "saved weight(s)")
                if skip_mismatch:
                    logging.warning(f"Skipping loading of weights for layer #{k} (named "
                                    f"{layer.name}) due to mismatch in number of weights. "
                                    f"{counts}")
                    continue
                raise ValueError(f"Weight count mismatch for layer #{k} (named {layer.name}). "
                                 f"{counts}")
            for weight, value in zip(weights, values):
                _check_shape(k, layer, weight, value, skip_mismatch, pairs)
    _load_top_level(group, model, skip_mismatch, pairs)
    backend.batch_set_value(pairs)


def _assert_built(model):
    if not model.built:
        raise ValueError(f"Weights for model {model.name} have not yet been created. Weights "
                         "are created when the Model is first called on inputs or `build()` "
                         "is called with an `input_shape`.")


def _refuse_existing(filepath, overwrite):
    if not overwrite and not _is_h5_file_object(filepath) and os.path.isfile(filepath):
        raise FileExistsError(f"{os.fspath(filepath)} exists and overwrite=False")


# -- weights ------------------------------------------------------------------------------------
def save_weights(model, filepath, overwrite=True):
    _assert_built(model)
    _refuse_existing(filepath, overwrite)
    with _Opened(filepath, "w") as f:
        _save_weights_to_group(f, model)
        f.flush()


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Topological (by_name=False) or by layer name; a whole-model file's ``model_weights``
    are read as well. Returns None, as tf_keras does for HDF5."""
    _assert_built(model)
    with _Opened(filepath, "r") as f:
        group = f["model_weights"] if "layer_names" not in f.attrs and \
            "model_weights" in f else f
        if by_name:
            _load_weights_by_name(group, model, skip_mismatch)
        else:
            _load_weights_from_group(group, model)


# -- whole models -------------------------------------------------------------------------------
def _keras_optimizer(model):
    from .optimizer_base import Optimizer

    optimizer = getattr(model, "optimizer", None)
    return optimizer if isinstance(optimizer, Optimizer) else None


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    from .functional import Sequential
    from .model_io import _jsonable, _training_config

    if not getattr(model, "_is_graph_network", False) and not isinstance(model, Sequential):
        raise NotImplementedError(
            "Saving the model to HDF5 format requires the model to be a Functional model or a "
            "Sequential model. It does not work for subclassed models, because such models are "
            "defined via the body of a Python method, which isn't safely serializable. "
            'Consider saving to the Tensorflow SavedModel format (by setting save_format="tf")'
            " or using `save_weights`.")
    _refuse_existing(filepath, overwrite)
    config = json.dumps({"class_name": type(model).__name__, "config": model.get_config()},
                        default=_jsonable)
    compiled = include_optimizer and getattr(model, "_is_compiled", False)
    training_config = _training_config(model) if compiled else None
    with _Opened(filepath, "w") as f:
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = config.encode("utf8")
        if training_config is not None:
            f.attrs["training_config"] = json.dumps(training_config,
                                                    default=_jsonable).encode("utf8")
        _save_weights_to_group(f.create_group("model_weights"), model)
        optimizer = _keras_optimizer(model) if compiled else None
        if optimizer is not None and optimizer.weights:
            _save_subset(f.create_group("optimizer_weights"), optimizer.weights)
        f.flush()


def _decode_config(text):
    """JSON as tf_keras' json_utils.decode reads it: its tagged TensorShape, tuple, ellipsis
    and bytes objects become plain values."""
    def hook(obj):
        tag = obj.get("class_name")
        if tag == "TensorShape":
            return obj["items"]
        if tag == "__tuple__":
            return tuple(obj["items"])
        if tag == "__ellipsis__":
            return Ellipsis
        if tag == "__bytes__":
            return obj["value"].encode("utf-8")
        return obj

    if hasattr(text, "decode"):
        text = text.decode("utf-8")
    return json.loads(text, object_hook=hook)


def _restore_optimizer(model, group):
    """The saved optimizer state, after creating the optimizer's weights (``iterations`` and
    every trainable weight's slots, in tf_keras' order) now rather than at the first fit. By
    names when they are the optimizer's; else in order, as tf_keras; a mismatch warns and
    leaves the optimizer fresh, as tf_keras does."""
    from ..graph import get_default_graph

    optimizer = _keras_optimizer(model)
    names = _load_names(group, "weight_names")
    values = [np.asarray(group[name]) for name in names]
    try:
        optimizer.iterations  # noqa: B018 - created on first read
        with get_default_graph().control_dependencies(None):
            optimizer._create_slots(list(model.trainable_weights))
    except (NotImplementedError, AttributeError):
        logging.warning(f"Error when creating the weights of optimizer {optimizer}, making it "
                        "impossible to restore the saved optimizer state. As a result, your "
                        "model is starting with a freshly initialized optimizer.")
        return
    weights = optimizer.weights
    by_name = {w.name: w for w in weights}
    if sorted(by_name) == sorted(names):
        weights = [by_name[name] for name in names]
    if len(weights) != len(values) or \
            any(_shape(w) != tuple(v.shape) for w, v in zip(weights, values)):
        logging.warning("Error in loading the saved optimizer state. As a result, your model "
                        "is starting with a freshly initialized optimizer. (The file has "
                        f"{len(values)} optimizer weights, the optimizer {len(weights)}, or "
                        "their shapes differ.)")
        return
    backend.batch_set_value(list(zip(weights, values)))


def load_model(filepath, custom_objects=None, compile=True,  # noqa: A002 - Keras' name
               safe_mode=True):
    from .model_io import _compile_args, deserialize_layer

    with _Opened(filepath, "r") as f:
        config = f.attrs.get("model_config")
        if config is None:
            raise ValueError(f"No model config found in the file at {filepath}.")
        model = deserialize_layer(_decode_config(config), custom_objects, safe_mode)
        _load_weights_from_group(f["model_weights"], model)
        if not compile:
            return model
        training_config = f.attrs.get("training_config")
        if training_config is None:
            logging.warning("No training configuration found in the save file, so the model "
                            "was *not* compiled. Compile it manually.")
            return model
        model.compile(**_compile_args(_decode_config(training_config), custom_objects))
        if "optimizer_weights" in f:
            _restore_optimizer(model, f["optimizer_weights"])
    return model
