"""``tf.contrib.data`` (TF 1.x): tf.data.experimental's transformations and sources under
their contrib names, plus the contrib-only helpers TF 1.x kept there (``batch_and_drop_remainder``,
``sliding_window_batch``, ``sloppy_interleave``, ``assert_element_shape``,
``reduce_dataset``, ``read_batch_features``)."""

from __future__ import annotations

import numpy as np

from .. import nest
from ..errors import InvalidArgumentError
from ..data.experimental import (AUTOTUNE, Counter, CsvDataset, Optional, RandomDataset, Reducer,
                                 TFRecordWriter, bucket_by_sequence_length,
                                 choose_from_datasets, copy_to_device, dense_to_sparse_batch,
                                 enumerate_dataset, get_next_as_optional, get_single_element,
                                 group_by_reducer, group_by_window, ignore_errors,
                                 make_batched_features_dataset, make_csv_dataset,
                                 map_and_batch, parallel_interleave, parse_example_dataset,
                                 prefetch_to_device, rejection_resample, sample_from_datasets,
                                 scan, shuffle_and_repeat, unbatch, unique)
from ..data.readers import TFRecordDataset
from ..tensor_shape import as_shape

__all__ = ["AUTOTUNE", "Counter", "CsvDataset", "Optional", "RandomDataset", "Reducer",
           "TFRecordWriter",
           "assert_element_shape", "batch_and_drop_remainder", "bucket_by_sequence_length",
           "choose_from_datasets", "copy_to_device", "dense_to_sparse_batch",
           "enumerate_dataset", "get_next_as_optional", "get_single_element",
           "group_by_reducer", "group_by_window", "ignore_errors",
           "make_batched_features_dataset", "make_csv_dataset", "map_and_batch",
           "padded_batch_and_drop_remainder", "parallel_interleave", "parse_example_dataset",
           "prefetch_to_device", "read_batch_features", "reduce_dataset", "rejection_resample",
           "sample_from_datasets", "scan", "shuffle_and_repeat", "sliding_window_batch",
           "sloppy_interleave", "unbatch", "unique"]


def batch_and_drop_remainder(batch_size):
    """``Dataset.batch(batch_size, drop_remainder=True)`` as a transformation."""
    return lambda dataset: dataset.batch(batch_size, drop_remainder=True)


def padded_batch_and_drop_remainder(batch_size, padded_shapes, padding_values=None):
    """``Dataset.padded_batch(..., drop_remainder=True)`` as a transformation."""
    return lambda dataset: dataset.padded_batch(batch_size, padded_shapes, padding_values,
                                                drop_remainder=True)


def sliding_window_batch(window_size, stride=None, window_shift=None, window_stride=1):
    """Batches of ``window_size`` consecutive elements, each window ``window_shift`` (TF 1.x's
    ``stride``; default 1) after the last, taking every ``window_stride``-th element; only
    full windows, with TF's unknown static batch dimension."""
    if stride is not None and window_shift is not None:
        raise ValueError("Cannot specify both `stride` and `window_shift`")
    shift = window_shift if window_shift is not None else (stride if stride is not None else 1)

    def apply(dataset):
        from ..data.dataset_ops import Dataset

        def batch_window(*windows):
            batched = [w.batch(window_size) for w in windows]
            return batched[0] if len(batched) == 1 else Dataset.zip(tuple(batched))

        if window_size <= 0:  # (TF's kernel says so when it runs)
            raise InvalidArgumentError(None, None, "Window size must be greater than zero.")
        windows = dataset.window(window_size, shift=shift, stride=window_stride,
                                 drop_remainder=True)
        flat = nest.flatten(dataset.output_types)
        if len(flat) == 1 and not isinstance(dataset.output_types, (tuple, list, dict)):
            return windows.flat_map(lambda w: w.batch(window_size))
        structure = dataset.output_types

        def rebuild(*windows):
            parts = nest.flatten(windows)
            zipped = batch_window(*parts)
            return zipped.map(lambda *xs: nest.pack_sequence_as(structure, list(xs)))
        return windows.flat_map(rebuild)
    return apply


def sloppy_interleave(map_func, cycle_length, block_length=1):
    """``parallel_interleave(..., sloppy=True)``."""
    return parallel_interleave(map_func, cycle_length, block_length, sloppy=True)


def reduce_dataset(dataset, reducer):
    """``dataset.reduce`` from ``reducer``'s initial state (its init_func of key 0) with its
    reduce_func, as TF 1.x's: no finalize_func, and an empty dataset gives the state."""
    return dataset.reduce(reducer.init_func(np.int64(0)), reducer.reduce_func)


def assert_element_shape(expected_shapes):
    """A transformation giving elements ``expected_shapes`` (merged with what is known
    statically; a ValueError if they conflict) and checking them when the graph runs."""
    from .framework import with_shape

    def apply(dataset):
        flat_known = [as_shape(s) for s in nest.flatten(dataset.output_shapes)]
        flat_expected = [as_shape(s) for s in _flatten_up_to(dataset.output_shapes,
                                                             expected_shapes)]
        merged = [known.merge_with(want) for known, want in zip(flat_known, flat_expected)]

        def check(*elements):
            element = elements[0] if len(elements) == 1 else elements
            flat = nest.flatten(element)
            checked = []
            for tensor, want, shape in zip(flat, flat_expected, merged):
                if want.rank is not None:
                    tensor = with_shape(want.as_list(), tensor)
                tensor.set_shape(shape)
                checked.append(tensor)
            return nest.pack_sequence_as(element, checked)
        return dataset.map(check)
    return apply


def _flatten_up_to(shallow, deep) -> list:
    """``deep``'s parts where ``shallow`` (the elements' shapes) has leaves: a shape may be
    a list itself."""
    if not nest.is_nested(shallow):
        return [deep]
    if not nest.is_nested(deep) or len(deep) != len(shallow):
        raise ValueError(f"expected_shapes {deep} do not match the elements' structure "
                         f"{shallow}")
    if isinstance(shallow, dict):
        return [x for k in sorted(shallow) for x in _flatten_up_to(shallow[k], deep[k])]
    return [x for s, d in zip(shallow, deep) for x in _flatten_up_to(s, d)]


def read_batch_features(file_pattern, batch_size, features, reader=TFRecordDataset,
                        reader_args=None, randomize_input=True, num_epochs=None,
                        capacity=10000):
    """The next batch of parsed Examples from ``file_pattern``'s files (a one-shot iterator's
    ``get_next()`` over ``make_batched_features_dataset``)."""
    from ..data.iterators import make_one_shot_iterator

    dataset = make_batched_features_dataset(
        file_pattern, batch_size, features, reader=reader, reader_args=reader_args,
        shuffle=randomize_input, num_epochs=num_epochs, shuffle_buffer_size=capacity)
    return make_one_shot_iterator(dataset).get_next()
