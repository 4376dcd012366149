"""``save_weights``/``load_weights``: tf_keras' object-based checkpoint format, written with
minitf's tf.train.Checkpoint (keys by the model's structure, ``layer_with_weights-<i>/...``),
so a model of the same architecture loads them and tf_keras reads them; a checkpoint without
an object graph (an older minitf one, a ``tf.train.Saver``'s) is matched by variable name.
HDF5 paths (.h5/.hdf5, save_format="h5") go to core/keras/h5_io.py (needs h5py)."""

from __future__ import annotations

import os

from .. import nest
from ..train import checkpoint_restore
from . import backend, h5_io

__all__ = ["save_weights", "load_weights"]


def _tree(layer, memo) -> dict:
    """tf_keras' checkpoint dependencies of ``layer`` as nested dicts: a functional or
    Sequential model's ``layer_with_weights-<i>`` (the i-th layer that has weights) and
    ``layer-<j>`` (both the same object, so one path: the first), another layer's own weights
    by their ``add_weight`` names (``kernel``; BatchNormalization's ``gamma``, ``beta``,
    ``moving_mean``, ``moving_variance``) and its sub-layers by attribute (an RNN's ``cell``)."""
    from .functional import Sequential

    if id(layer) in memo:
        return memo[id(layer)]
    tree = memo[id(layer)] = {}
    if getattr(layer, "_is_graph_network", False) or isinstance(layer, Sequential):
        index = 0
        for j, sub in enumerate(layer.layers):
            child = _tree(sub, memo)
            if sub.weights:
                tree[f"layer_with_weights-{index}"] = child
                index += 1
            tree[f"layer-{j}"] = child
        return tree
    subs = {id(sub) for sub in layer._self_tracked_layers}
    inner = {id(w) for sub in layer._self_tracked_layers for w in sub.weights}
    for w in layer._trainable_weights + layer._non_trainable_weights:
        if id(w) not in inner:
            tree.setdefault(w.op.name.rsplit("/", 1)[-1], w)
    for name, value in vars(layer).items():
        if name.startswith("_"):  # tf_keras tracks public attributes only
            continue
        if id(value) in subs:
            tree.setdefault(name, _tree(value, memo))
        elif isinstance(value, (list, tuple)) and value and all(id(v) in subs for v in value):
            tree.setdefault(name, [_tree(v, memo) for v in value])
    return tree


def _checkpoint(model):
    """A ``tf.train.Checkpoint`` whose dependencies are the model's (``_tree``), so it writes
    and reads tf_keras' ``save_weights`` layout; made once per set of weights (reading
    variables in a session adds no op)."""
    from ..train.checkpoint import Checkpoint

    key = tuple(id(w) for w in model.weights)
    cached = getattr(model, "_weights_checkpoint", None)
    if cached is None or cached[0] != key:
        tree = _tree(model, {})
        found = {id(v) for v in nest.flatten(tree)}
        lost = [w.op.name for w in model.weights if id(w) not in found]
        if lost:  # a checkpoint without them would save, and restore, nothing of them
            raise ValueError(f"save_weights/load_weights cannot place these weights of "
                             f"{model.name!r} in tf_keras' checkpoint layout: {lost}")
        root = Checkpoint()
        for name, child in tree.items():
            setattr(root, name, child)
        cached = (key, root)
        object.__setattr__(model, "_weights_checkpoint", cached)
    return cached[1]


def save_weights(model, filepath, overwrite=True, save_format=None):
    """tf_keras' object-based checkpoint: ``<filepath>.index`` and ``.data-00000-of-00001``
    with keys by the model's structure (``layer_with_weights-0/kernel/.ATTRIBUTES/
    VARIABLE_VALUE``) and the object graph (``_CHECKPOINTABLE_OBJECT_GRAPH``), so a model of the
    same architecture loads it whatever its variables are named (tf_keras' too); plus the
    ``checkpoint`` state file naming only this path, as tf_keras writes it."""
    from ..train.checkpoint_manager import write_state

    if h5_io.wants_h5(filepath, save_format):  # else save_format is None, "tf"/"tensorflow"
        return h5_io.save_weights(model, filepath, overwrite)
    prefix = os.fspath(filepath)
    directory = os.path.dirname(prefix)
    if directory:
        os.makedirs(directory, exist_ok=True)
    _checkpoint(model).write(prefix, session=backend.get_session())
    write_state(directory, prefix, [prefix])


class _InKerasSession:
    """A load status whose ``run_restore_ops``/``initialize_or_restore`` default to the Keras
    session (where load_weights restored), not only to a default session."""

    def run_restore_ops(self, session=None):
        return super().run_restore_ops(session or backend.get_session())

    def initialize_or_restore(self, session=None):
        return super().initialize_or_restore(session or backend.get_session())


class CheckpointLoadStatus(_InKerasSession, checkpoint_restore.CheckpointLoadStatus):
    pass


class NameBasedSaverStatus(_InKerasSession, checkpoint_restore.NameBasedSaverStatus):
    pass


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Restores a ``save_weights`` checkpoint (a file prefix, or a directory: its latest) now,
    in the Keras session, and returns TF's status (``assert_consumed``,
    ``assert_existing_objects_matched``, ``expect_partial``, ``run_restore_ops``). An
    object-based checkpoint (minitf's or tf_keras') is matched by the model's structure; one
    without an object graph (older minitf, ``tf.train.Saver``) by variable names. A weight the
    checkpoint does not have is a NotFoundError naming the keys, and nothing is assigned."""
    if skip_mismatch and not by_name:
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to "
                         "True when by_name is True.")
    if h5_io.is_h5_source(filepath):
        return h5_io.load_weights(model, filepath, by_name, skip_mismatch)
    if by_name:
        raise NotImplementedError("Weights may only be loaded based on topology into Models "
                                  "when loading TensorFlow-formatted weights (got by_name=True "
                                  "to load_weights).")
    from ..errors import NotFoundError
    from ..train.checkpoint_graph import serialize

    path = os.fspath(filepath)
    if os.path.isdir(path):
        from ..train.saver import latest_checkpoint

        path = latest_checkpoint(path) or path
    root, session = _checkpoint(model), backend.get_session()
    status = root.read(path)  # NotFoundError when there is no checkpoint
    status.__class__ = {checkpoint_restore.CheckpointLoadStatus: CheckpointLoadStatus,
                        checkpoint_restore.NameBasedSaverStatus: NameBasedSaverStatus}[
        type(status)]
    if isinstance(status, NameBasedSaverStatus):
        missing = [v.op.name for v in status._pairs(session.graph)[1]]
        how = "a name-based checkpoint: weights are matched by variable name"
    else:
        bound = {id(o) for o in status._match(session.graph).bound.values()}
        missing = [key for key, v in serialize(root, session.graph).variables
                   if id(v) not in bound]
        how = "weights are matched by the model's structure"
    if missing:
        raise NotFoundError(None, None, f"Key {missing[0]} not found in checkpoint {path} ({how}"
                            f"; the model's weights missing from it: {missing})")
    status.run_restore_ops(session)
    return status
