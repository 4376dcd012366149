"""``tf.estimator.inputs``: ``numpy_input_fn`` over tf.data.

TF 1.x feeds the arrays through queues; here a ``Dataset.from_generator`` yields whole batches
cut from the arrays, so the data stays out of the graph (graph.pbtxt and the .meta files stay
small) and costs one Python step per batch. Batches are TF's: with ``num_epochs=None`` they run
across epoch boundaries and are always full; with a number of epochs the last may be short.
Shuffling is a fresh permutation per epoch, seeded from the graph's seed (``tf_random_seed``)
when there is one. ``queue_capacity`` and ``num_threads`` are accepted and unused."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt

_DIRECT = "__direct_np_input__"


def _features_dict(x) -> collections.OrderedDict:
    if isinstance(x, dict):
        if not x:
            raise ValueError("x cannot be an empty dict")
        return collections.OrderedDict(sorted(x.items(), key=lambda t: t[0]))
    if isinstance(x, np.ndarray):
        if x.size == 0:
            raise ValueError("x cannot be an empty array")
        return collections.OrderedDict({_DIRECT: x})
    raise TypeError(f"x must be a dict or array; got {type(x).__name__}")


def _check_shuffle(shuffle):
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be provided and explicitly set as boolean (it is "
                         f"recommended to set it as True for training); got {shuffle}")


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000,
                   num_threads=1):
    """An input_fn giving ``(features, labels)`` batches of the arrays ``x`` (a dict of them,
    or one array: then features is one Tensor) and ``y`` (an array, a dict, or None: then
    features only)."""
    _check_shuffle(shuffle)
    if num_epochs is not None and num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 or None, got {num_epochs}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be > 0, got {batch_size}")

    def input_fn():
        data = _features_dict(x)
        feature_keys = list(data)
        target_keys = None
        if isinstance(y, dict):
            if not y:
                raise ValueError("y cannot be empty dict, use None instead.")
            ordered_y = collections.OrderedDict(sorted(y.items(), key=lambda t: t[0]))
            target_keys = list(ordered_y)
            duplicate = set(feature_keys) & set(target_keys)
            if duplicate:
                raise ValueError(f"{len(duplicate)} duplicate keys are found in both x and y: "
                                 f"{duplicate}")
            data.update(ordered_y)
        elif y is not None:
            target_keys = "__target_key__"
            while target_keys in data:
                target_keys += "_n"
            data[target_keys] = y
        arrays = collections.OrderedDict((k, np.asarray(v)) for k, v in data.items())
        if len({len(v) for v in arrays.values()}) != 1:
            shape_y = None if target_keys is None else (
                np.shape(y) if isinstance(target_keys, str)
                else {k: arrays[k].shape for k in target_keys})
            raise ValueError(f"Length of tensors in x and y is mismatched. All elements in x "
                             f"and y must have the same length.\nShapes in x: "
                             f"{ {k: arrays[k].shape for k in feature_keys} }\nShapes in y: "
                             f"{shape_y}\n")
        batch = _batches(arrays, batch_size, num_epochs, shuffle)
        features = batch[_DIRECT] if _DIRECT in batch else \
            {k: batch[k] for k in feature_keys}
        if target_keys is None:
            return features
        if isinstance(target_keys, str):
            return features, batch[target_keys]
        return features, {k: batch[k] for k in target_keys}

    return input_fn


def _batches(arrays, batch_size, num_epochs, shuffle) -> dict:
    """The next batch of every array, from a one-shot iterator over a generator of batches."""
    from ..data import Dataset
    from ..graph import get_default_graph
    from ..tensor_shape import TensorShape

    n = len(next(iter(arrays.values())))
    seed = get_default_graph().seed

    def generate():
        rng = np.random.RandomState(seed)
        pending, epoch = np.empty(0, np.int64), 0
        while True:
            while len(pending) < batch_size and (num_epochs is None or epoch < num_epochs):
                order = rng.permutation(n) if shuffle else np.arange(n)
                pending, epoch = np.concatenate([pending, order]), epoch + 1
            if not len(pending):
                return
            take, pending = pending[:batch_size], pending[batch_size:]
            yield {k: v[take] for k, v in arrays.items()}

    types = {k: _dt.as_dtype(v.dtype) if v.dtype.kind not in "USO" else _dt.string
             for k, v in arrays.items()}
    shapes = {k: TensorShape([None, *v.shape[1:]]) for k, v in arrays.items()}
    dataset = Dataset.from_generator(generate, types, shapes)
    return dataset.make_one_shot_iterator().get_next()

