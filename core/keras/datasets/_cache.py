"""Where ``tf.keras.datasets`` finds its files: Keras' download cache
(``$KERAS_HOME`` or ``~/.keras``, subfolder ``datasets``), read without touching the network.
Only formats that load without unpickling are read: npz files with ``allow_pickle=False``,
gzipped IDX files and CIFAR's binary (not pickled "python") release; the rest are refused with
the reason and the path the file belongs at."""

from __future__ import annotations

import os

import numpy as np


def cache_dir() -> str:
    """``$KERAS_HOME/datasets`` when set, else ``~/.keras/datasets`` (Keras' get_file)."""
    base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(base, "datasets")


def cached_path(name: str, origin: str) -> str:
    """The path of ``name`` in Keras' cache; a clear error (FileNotFoundError, an OSError as
    Keras' download failures are) saying where to put it when it is absent."""
    path = os.path.join(cache_dir(), name)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} not found: minitf's tf.keras.datasets does not download. Fetch {origin} "
            f"yourself and put it at {path} (Keras' cache: $KERAS_HOME or ~/.keras, "
            "subfolder datasets).")
    return path


def load_npz(path: str, keys):
    """The arrays ``keys`` of an npz file, loaded with ``allow_pickle=False``."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return [f[k] for k in keys]
    except ValueError as e:
        if "allow_pickle" not in str(e) and "Object arrays" not in str(e):
            raise
        raise ValueError(f"{path} holds object arrays, which numpy stores as pickles; minitf "
                         "never unpickles files (a pickle can run arbitrary code), so it "
                         "cannot load it.") from e


def word_index_dataset(name: str, keys):
    """``load_data`` and ``get_word_index`` of a Keras text dataset (imdb, reuters): its npz
    stores variable-length sequences as object arrays, i.e. pickles, so ``load_data`` always
    raises saying so; ``get_word_index`` reads the JSON file Keras downloads beside it."""
    import json

    origin = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

    def load_data(path=f"{name}.npz", **kwargs):
        arrays = load_npz(cached_path(path, origin + path), keys)  # raises on object arrays
        raise ValueError(f"{path} loaded without object arrays ({[a.dtype for a in arrays]}), "
                         f"which is not Keras' {name} format")

    def get_word_index(path=f"{name}_word_index.json"):
        """{word: index} from the JSON file Keras downloads next to the npz."""
        with open(cached_path(path, origin + path)) as f:
            return json.load(f)

    return load_data, get_word_index
