"""``tf.estimator.inputs``: ``numpy_input_fn`` and ``pandas_input_fn`` over tf.data.

TF 1.x feeds the arrays through queues; here a ``Dataset.from_generator`` yields whole batches
cut from the arrays, so the data stays out of the graph (graph.pbtxt and the .meta files stay
small) and costs one Python step per batch. Batches are TF's: with ``num_epochs=None`` they run
across epoch boundaries and are always full; with a number of epochs the last may be short.
Shuffling is a fresh permutation per epoch, seeded from the graph's seed (``tf_random_seed``)
when there is one. ``queue_capacity`` and ``num_threads`` are accepted and unused."""

from __future__ import annotations

import collections
import uuid

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


def _get_unique_target_key(features, target_column_name):
    """``target_column_name``, or it with a uuid appended if ``features`` has that column."""
    if target_column_name in features:
        target_column_name += "_" + str(uuid.uuid4())
    return target_column_name


def pandas_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000,
                    num_threads=1, target_column="target"):
    """An input_fn giving ``(features, target)`` batches of a pandas DataFrame ``x`` (its
    columns are the features) and ``y`` (a Series: the target; a DataFrame: a dict of its
    columns; None: features only), batched as ``numpy_input_fn``. ``y``'s index must match
    ``x``'s. pandas is imported here, not a dependency of minitf: without it, TypeError as
    TF's."""
    try:
        import pandas as pd
    except ImportError:
        raise TypeError("pandas_input_fn should not be called without pandas installed") \
            from None
    _check_shuffle(shuffle)
    if not isinstance(target_column, str):
        raise TypeError("target_column must be a string type")
    x = x.copy()
    y_columns = None
    if y is not None:
        if target_column in x:
            raise ValueError(f"Cannot use name {target_column} for target column: DataFrame "
                             f"already has a column with that name: {x.columns}")
        if not np.array_equal(x.index, y.index):
            raise ValueError(f"Index for x and y are mismatched.\nIndex for x: {x.index}\n"
                             f"Index for y: {y.index}\n")
        if isinstance(y, pd.DataFrame):
            y_columns = [(column, _get_unique_target_key(x, column)) for column in list(y)]
            target_column = [v for _, v in y_columns]
        x[target_column] = y
    columns = list(x.columns)

    def input_fn():
        batch = _batches(collections.OrderedDict((c, np.asarray(x[c].values)) for c in columns),
                         batch_size, num_epochs, shuffle)
        features = {c: batch[c] for c in columns}
        if y is None:
            return features
        if y_columns is not None:
            return features, {k: features.pop(c) for (k, _), c in zip(y_columns, target_column)}
        return features, features.pop(target_column)

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
    # TF dequeues with dequeue_many (every batch full: a static batch size) when the data
    # repeats forever, with dequeue_up_to (the last batch may be short) otherwise.
    rows = batch_size if num_epochs is None else None
    shapes = {k: TensorShape([rows, *v.shape[1:]]) for k, v in arrays.items()}
    dataset = Dataset.from_generator(generate, types, shapes)
    return dataset.make_one_shot_iterator().get_next()

