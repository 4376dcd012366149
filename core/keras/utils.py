"""``tf.keras.utils``: to_categorical, normalize, Sequence (batches ``fit_generator`` and
``fit`` accept), and the downloads and plots minitf cannot do (clear errors)."""

from __future__ import annotations

import numpy as np

__all__ = ["to_categorical", "normalize", "Sequence", "get_file", "plot_model",
           "model_to_dot", "CustomObjectScope", "custom_object_scope", "get_custom_objects"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """Class vector (ints) -> one-hot matrix; a trailing axis of 1 is dropped, as Keras."""
    y = np.array(y, dtype="int")
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    y = y.ravel()
    if num_classes is None:
        num_classes = int(np.max(y)) + 1
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must be in [0, {num_classes}), got "
                         f"[{y.min()}, {y.max()}]")
    categorical = np.zeros((y.shape[0], num_classes), dtype=dtype)
    categorical[np.arange(y.shape[0]), y] = 1
    return np.reshape(categorical, input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms left as 1)."""
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)


class Sequence:
    """A dataset as batches: ``__getitem__(index)`` returns one batch (x, y[, sample_weight]),
    ``__len__`` the number of batches; ``on_epoch_end`` runs after each epoch."""

    def __getitem__(self, index):
        raise NotImplementedError("Sequence subclasses define __getitem__")

    def __len__(self):
        raise NotImplementedError("Sequence subclasses define __len__")

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def get_file(fname=None, origin=None, *args, **kwargs):
    raise RuntimeError(f"get_file cannot download {origin or fname!r}: minitf does not fetch "
                       "files from the network. Download it yourself and load it from disk.")


def plot_model(model, to_file="model.png", *args, **kwargs):
    raise ImportError("plot_model needs pydot and graphviz, which minitf does not use; "
                      "print model.summary() instead.")


def model_to_dot(model, *args, **kwargs):
    raise ImportError("model_to_dot needs pydot and graphviz, which minitf does not use.")


_GLOBAL_CUSTOM_OBJECTS: dict = {}


def get_custom_objects() -> dict:
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    def __init__(self, *args):
        self.custom_objects = args
        self.backup = None

    def __enter__(self):
        self.backup = dict(_GLOBAL_CUSTOM_OBJECTS)
        for objects in self.custom_objects:
            _GLOBAL_CUSTOM_OBJECTS.update(objects)
        return self

    def __exit__(self, *exc):
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self.backup)
        return False


def custom_object_scope(*args):
    return CustomObjectScope(*args)
