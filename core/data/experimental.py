"""``tf.data.experimental``: the constants, transformations (for ``dataset.apply``) and helpers
TF1 code reaches for there."""

from __future__ import annotations

from .. import dtypes as _dt
from ..graph import Tensor
from .dataset_ops import AUTOTUNE, Dataset
from .experimental_extra import (Counter, assert_cardinality, enumerate_dataset, get_structure,
                                 take_while, unique)
from .experimental_more import (Reducer, group_by_reducer, make_batched_features_dataset,
                                parse_example_dataset)
from .experimental_more_io import (RandomDataset, TFRecordWriter, copy_to_device,
                                   prefetch_to_device)
from .experimental_ops import (ChooseFromDatasets, GroupByWindow, IgnoreErrors,
                               SampleFromDatasets, Scan, get_single_element)
from .iterators import get_output_classes, get_output_shapes, get_output_types
from .optional import Optional, get_next_as_optional
from .options import INFINITE as INFINITE_CARDINALITY
from .options import UNKNOWN as UNKNOWN_CARDINALITY
from .options import DistributeOptions, OptimizationOptions, ThreadingOptions
from .readers_csv import CsvDataset, make_csv_dataset
from .reducing import rejection_resample
from .windowing import dense_to_sparse_batch
from .structure import DatasetSpec as DatasetStructure
from ..type_spec_base import TensorSpec as TensorStructure
from ..type_spec_base import TypeSpec as Structure
from ..type_spec_composite import OptionalSpec as OptionalStructure
from ..type_spec_composite import RaggedTensorSpec as RaggedTensorStructure
from ..type_spec_composite import SparseTensorSpec as SparseTensorStructure
from ..type_spec_composite import TensorArraySpec as TensorArrayStructure


def unbatch():
    """``dataset.apply(tf.data.experimental.unbatch())``."""
    return lambda dataset: dataset.unbatch()


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """``dataset.apply(shuffle_and_repeat(...))``: shuffle, then repeat (each epoch anew)."""
    return lambda dataset: dataset.shuffle(buffer_size, seed=seed).repeat(count)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    """``dataset.apply(map_and_batch(...))``: map, then batch (run serially)."""
    return lambda dataset: dataset.map(map_func).batch(batch_size, drop_remainder)


def ignore_errors(log_warning=False):
    """``dataset.apply(ignore_errors())``: drops the elements whose map or filter function
    fails (a source's error, e.g. a corrupt file, still ends the pipeline)."""
    return IgnoreErrors


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False,
                        buffer_output_elements=None, prefetch_input_elements=None):
    """``dataset.apply(parallel_interleave(...))``: interleave's order (what TF gives with
    sloppy=False; sloppy=True only lets TF reorder, so the same order is valid)."""
    return lambda dataset: dataset.interleave(map_func, cycle_length, block_length)


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    """``dataset.apply(group_by_window(key_func, reduce_func, window_size))``."""
    return lambda dataset: GroupByWindow(dataset, key_func, reduce_func, window_size,
                                         window_size_func)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """Elements batched with others of similar length (``element_length_func``): bucket i
    holds lengths in [boundaries[i-1], boundaries[i]) and is batched by bucket_batch_sizes[i],
    padded (to the longest, or to the bucket's boundary - 1), as TF composes it from
    group_by_window."""
    from ..ops.array_ops import constant
    from ..ops.logic_ops import greater_equal
    from ..ops.math_ops import cast
    from ..ops.reduction_ops import reduce_sum

    boundaries = [int(b) for b in bucket_boundaries]
    sizes = [int(b) for b in bucket_batch_sizes]
    if len(sizes) != len(boundaries) + 1:
        raise ValueError(f"len(bucket_batch_sizes) must equal len(bucket_boundaries) + 1 but "
                         f"len(bucket_batch_sizes)={len(sizes)} and "
                         f"len(bucket_boundaries)={len(boundaries)}")
    if boundaries != sorted(boundaries):
        raise ValueError(f"bucket_boundaries must be sorted, got {boundaries}")

    def bucket_id(*args):
        length = cast(element_length_func(*args), _dt.int64)
        # Buckets are [-inf, b0), [b0, b1), ..., [b_last, inf): the id counts boundaries <= it.
        return reduce_sum(cast(greater_equal(length, constant(boundaries or [0], _dt.int64)),
                               _dt.int64)) if boundaries else cast(0 * length, _dt.int64)

    def window_size(key):
        return _gather(constant(sizes, _dt.int64), key)

    def batching(key, window):
        batch_size = window_size(key)
        if no_padding:
            return window.batch(batch_size, drop_remainder=drop_remainder)
        filler = None
        if pad_to_bucket_boundary:
            from ..graph import control_dependencies
            from ..ops.logging_ops import assert_less

            check = assert_less(key, constant(len(sizes) - 1, _dt.int64), message=(
                "When pad_to_bucket_boundary=True, elements must have length < "
                "max(bucket_boundaries)."))
            with control_dependencies([check]):
                filler = _gather(constant(boundaries, _dt.int64), key) - 1
        shapes = padded_shapes if padded_shapes is not None else window.output_shapes
        return window.padded_batch(batch_size, _fill_shapes(shapes, filler), padding_values,
                                   drop_remainder=drop_remainder)

    return lambda dataset: GroupByWindow(dataset, bucket_id, batching,
                                         window_size_func=window_size)


def _gather(vector, index):
    from ..ops.gather_ops import gather

    return gather(vector, index)


def _fill_shapes(shapes, filler):
    """Padded shapes with their unknown dims set to ``filler`` (an int64 scalar tensor), as a
    stacked int64 vector; unchanged without a filler."""
    from ..tensor_shape import TensorShape, as_shape

    if filler is None:
        return shapes
    if isinstance(shapes, dict):
        return {k: _fill_shapes(v, filler) for k, v in shapes.items()}
    if isinstance(shapes, tuple) or isinstance(shapes, list) and shapes and \
            isinstance(shapes[0], (list, tuple, TensorShape)):
        return type(shapes)(_fill_shapes(s, filler) for s in shapes)
    from ..ops.concat_split_ops import stack

    dims = as_shape(shapes).as_list()
    return stack([filler if d is None else _int64(d) for d in dims]) if dims else shapes


def _int64(value):
    from ..ops.array_ops import constant

    return constant(value, _dt.int64)


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    """Elements drawn at random from ``datasets`` by ``weights`` (uniform by default),
    seeded; every element of every dataset is drawn eventually (unless
    ``stop_on_empty_dataset``)."""
    return SampleFromDatasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=False):
    """The next element of ``datasets[c]`` for each ``c`` of ``choice_dataset`` (int64)."""
    return ChooseFromDatasets(datasets, choice_dataset, stop_on_empty_dataset)


def scan(initial_state, scan_func):
    """``dataset.apply(scan(initial_state, scan_func))``: a running state through the
    elements; ``scan_func(state, element)`` returns ``(new_state, output_element)``."""
    return lambda dataset: Scan(dataset, initial_state, scan_func)


def cardinality(dataset: Dataset) -> Tensor:
    """``tf.data.experimental.cardinality(dataset)``: an int64 scalar tensor."""
    return dataset.cardinality()


__all__ = ["AUTOTUNE", "CsvDataset", "DistributeOptions", "INFINITE_CARDINALITY",
           "OptimizationOptions", "Optional", "ThreadingOptions", "UNKNOWN_CARDINALITY",
           # TF1's names of the specs (tf.data.experimental.TensorStructure is tf.TensorSpec)
           "DatasetStructure", "OptionalStructure", "RaggedTensorStructure",
           "SparseTensorStructure", "Structure", "TensorArrayStructure", "TensorStructure",
           "bucket_by_sequence_length", "cardinality", "choose_from_datasets",
           "dense_to_sparse_batch", "rejection_resample",
           "get_output_classes", "get_output_shapes", "get_output_types",
           "get_next_as_optional", "get_single_element", "group_by_window", "ignore_errors",
           "make_csv_dataset",
           "map_and_batch", "parallel_interleave", "sample_from_datasets", "scan",
           "shuffle_and_repeat", "unbatch",
           "Counter", "assert_cardinality", "enumerate_dataset", "get_structure", "take_while",
           "unique",
           "RandomDataset", "Reducer", "TFRecordWriter", "copy_to_device", "group_by_reducer",
           "make_batched_features_dataset", "parse_example_dataset", "prefetch_to_device"]
