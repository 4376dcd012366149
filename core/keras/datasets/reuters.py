"""reuters from Keras' cache: get_word_index reads reuters_word_index.json; load_data's
reuters.npz stores variable-length sequences as object arrays, i.e. pickles, which minitf never
loads (a pickle can run arbitrary code), so it raises saying so."""

import json

from ._cache import cached_path, load_npz

__all__ = ["load_data", "get_word_index"]

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def load_data(path="reuters.npz", **kwargs):
    """Refused unless the npz holds no object arrays (never the case for Keras' file): the
    ValueError names the pickling."""
    arrays = load_npz(cached_path(path, _ORIGIN + path), ["x", "y"])
    raise ValueError(f"{path} loaded without object arrays ({[a.dtype for a in arrays]}), "
                     "which is not Keras' reuters format")


def get_word_index(path="reuters_word_index.json"):
    """{word: index} from the JSON file Keras downloads next to the npz."""
    with open(cached_path(path, _ORIGIN + path)) as f:
        return json.load(f)
