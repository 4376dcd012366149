"""More of ``tf.data.experimental`` (TF 1.15 / TF 2.21's compat.v1): parse_example_dataset,
make_batched_features_dataset, Reducer and group_by_reducer. RandomDataset, TFRecordWriter,
copy_to_device and prefetch_to_device are in experimental_more_io.py.

Each is built from the Dataset machinery the rest of tf.data uses: parse_example_dataset is a
map of ``tf.io.parse_example`` (the ParseExampleV2 node, traced once per pipeline) and
make_batched_features_dataset composes list_files, interleave, shuffle, repeat, batch and that
parse in TF's order; group_by_reducer is a Dataset whose three traced functions keep one state
per key over the whole input."""

from __future__ import annotations

import collections

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..graph import Tensor
from ..tensor_shape import TensorShape
from ..type_spec_base import TensorSpec
from . import structure as st
from .dataset_ops import AUTOTUNE, Dataset, _captured, attempt, failed
from .function import Function

__all__ = ["Reducer", "group_by_reducer", "make_batched_features_dataset",
           "parse_example_dataset"]

_STRING_VECTOR = TensorSpec(TensorShape([None]), _dt.string)
_SCALAR_INT64 = TensorSpec(TensorShape([]), _dt.int64)


# -- parse_example_dataset -------------------------------------------------------------------------
def parse_example_dataset(features, num_parallel_calls=1, deterministic=None):
    """``dataset.apply(parse_example_dataset(features))``: each element, a vector of
    serialized ``tf.train.Example``s, parsed as ``tf.io.parse_example`` parses it into a dict:
    FixedLenFeature -> [batch] + shape, FixedLenSequenceFeature -> [batch, None] + shape,
    VarLenFeature -> a SparseTensor [batch, None], SparseFeature -> a SparseTensor
    [batch, size] (its index and value keys parsed as VarLenFeatures, then merged)."""
    if features is None:
        raise ValueError("Argument `features` is required, but not specified.")
    return lambda dataset: ParseExampleDataset(dataset, features, num_parallel_calls,
                                               deterministic)


def _plain_features(features: dict) -> dict:
    """The features parse_example reads: a SparseFeature becomes VarLenFeatures of its index
    keys (int64) and value key, as TF's _ParseOpParams adds them (a key used twice must keep
    its dtype)."""
    from ..ops.parsing_ops import SparseFeature, VarLenFeature

    plain: dict = {}

    def add_sparse(key, dtype):
        dtype = _dt.as_dtype(dtype)
        old = plain.get(key)
        if old is not None and _dt.as_dtype(old.dtype) != dtype:
            raise ValueError(f"Conflicting type {_dt.as_dtype(old.dtype)!r} vs {dtype!r} for "
                             f"feature {key}.")
        plain[key] = VarLenFeature(dtype)

    for key in sorted(features):
        feature = features[key]
        if isinstance(feature, VarLenFeature):
            if not feature.dtype:
                raise ValueError(f"Missing type for feature {key}. Received feature={feature}")
            add_sparse(key, feature.dtype)
        elif isinstance(feature, SparseFeature):
            if not feature.index_key:
                raise ValueError(f"Missing index_key for SparseFeature {feature}.")
            if not feature.value_key:
                raise ValueError(f"Missing value_key for SparseFeature {feature}.")
            if not feature.dtype:
                raise ValueError(f"Missing type for feature {key}. Received "
                                 f"feature={feature}.")
            index_keys = [feature.index_key] if isinstance(feature.index_key, str) else \
                list(feature.index_key)
            for index_key in sorted(index_keys):
                add_sparse(index_key, _dt.int64)
            add_sparse(feature.value_key, feature.dtype)
        else:
            plain[key] = feature  # dense features: parse_example checks them
    return plain


def _composite(features: dict, parsed: dict, batch) -> dict:
    """TF's _construct_tensors_for_composite_features: each SparseFeature's SparseTensor
    (sparse_merge of its ids and values, shape [batch, size...]); the index and value keys
    that are not features themselves are dropped."""
    from ..ops.parsing_ops import SparseFeature
    from ..sparse import merge

    updates = {}
    for key in sorted(features):
        feature = features[key]
        if not isinstance(feature, SparseFeature):
            continue
        many = not isinstance(feature.index_key, str)
        ids = [parsed[k] for k in feature.index_key] if many else parsed[feature.index_key]
        merged = merge(ids, parsed[feature.value_key], vocab_size=feature.size,
                       already_sorted=feature.already_sorted)
        sizes = list(feature.size) if many else [feature.size]
        merged._shape = TensorShape([batch] + [s if isinstance(s, int) else None
                                               for s in sizes])
        updates[key] = merged
    parsed = dict(parsed)
    parsed.update(updates)
    return {k: parsed[k] for k in parsed if k in features}


class ParseExampleDataset(Dataset):
    """The elements of a map of ``parse_example`` over vectors of serialized Examples; the
    element spec keeps the input's batch dimension, as TF's ParseExampleDataset."""

    def __init__(self, dataset, features, num_parallel_calls=1, deterministic=None):
        from ..ops.parsing_ops import SparseFeature, parse_example

        if not isinstance(dataset, Dataset):
            raise TypeError(f"parse_example_dataset() transforms a Dataset, got "
                            f"{type(dataset).__name__}")
        spec = dataset._structure
        if st.is_nest(spec) or not isinstance(spec, TensorSpec) or \
                spec.dtype != _dt.string or not spec.shape.is_compatible_with(
                    _STRING_VECTOR.shape):
            raise TypeError("Input dataset should be a dataset of vectors of strings. Instead "
                            f"it is `{spec!r}`.")
        if not isinstance(features, dict) or not features:
            raise ValueError(f"Missing: features was {features!r}.")
        self._calls = _parallel_calls(num_parallel_calls)
        if deterministic is not None and not isinstance(deterministic, (bool, np.bool_)):
            raise TypeError(f"`deterministic` must be None or a bool, got {deterministic!r}")
        plain = _plain_features(features)
        batch = spec.shape[0].value if spec.shape.rank else None
        composite = any(isinstance(f, SparseFeature) for f in features.values())

        def parse(serialized):
            parsed = parse_example(serialized, plain)
            for value in parsed.values():  # a VarLenFeature's SparseTensor: [batch, None]
                if isinstance(value, st.SparseTensor):
                    value._shape = TensorShape([batch, None])
            return _composite(features, parsed, batch) if composite else parsed

        mapped = dataset.map(parse)
        super().__init__(mapped._structure, (mapped,), _captured([self._calls]))

    def _elements(self, ctx):
        calls = ctx.int_value(self._calls)
        if calls <= 0 and calls != AUTOTUNE:
            raise InvalidArgumentError(None, None, "num_parallel_calls must be greater than "
                                       "zero.")
        yield from self._inputs[0]._elements(ctx)


def _parallel_calls(value):
    """An int or a scalar integer tensor (checked when the iterator starts, as TF's kernel)."""
    if isinstance(value, Tensor):
        if not value.dtype.is_integer or value.shape.rank not in (None, 0):
            raise TypeError(f"`num_parallel_calls` must be a scalar integer, got {value!r}")
        return value
    if value is None:
        return 1
    if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0 or \
            np.asarray(value).dtype.kind not in "iu":
        raise TypeError(f"`num_parallel_calls` must be an integer, got {value!r}")
    return int(value)


# -- make_batched_features_dataset -----------------------------------------------------------------
def make_batched_features_dataset(file_pattern, batch_size, features, reader=None,
                                  label_key=None, reader_args=None, num_epochs=None,
                                  shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                                  prefetch_buffer_size=None, reader_num_threads=None,
                                  parser_num_threads=None, sloppy_ordering=False,
                                  drop_final_batch=False):
    """Batches of parsed Examples from the files of ``file_pattern``, in TF's order: list the
    files (shuffled unless ``shuffle=False``), read ``reader_num_threads`` of them at a time
    (interleaved record by record), shuffle, repeat ``num_epochs`` (None: forever), batch
    (dropping the last partial batch with ``drop_final_batch`` or when repeating forever),
    parse with ``parse_example_dataset``, then split off ``label_key`` as ``(features,
    label)``."""
    from ..queues import ReaderBase
    from .readers import TFRecordDataset

    if reader is None:
        reader = TFRecordDataset
    if reader_num_threads is None:
        reader_num_threads = 1
    if parser_num_threads is None:
        parser_num_threads = 2
    if prefetch_buffer_size is None:
        prefetch_buffer_size = AUTOTUNE
    dataset = Dataset.list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed)
    if isinstance(reader, type) and issubclass(reader, ReaderBase):
        raise TypeError("The `reader` argument must return a `Dataset` object. "
                        "`tf.ReaderBase` subclasses are not supported. For example, pass "
                        "`tf.data.TFRecordDataset` instead of `tf.TFRecordReader`.")
    reader_args = list(reader_args or [])
    if not isinstance(reader_num_threads, Tensor) and reader_num_threads == AUTOTUNE:
        from .options import Options

        dataset = dataset.interleave(lambda filename: reader(filename, *reader_args),
                                     num_parallel_calls=reader_num_threads)
        options = Options()
        options.deterministic = not sloppy_ordering
        dataset = dataset.with_options(options)
    else:  # TF's ParallelInterleaveDataset, block_length 1 (sloppy only allows reordering)
        dataset = dataset.interleave(lambda filename: reader(filename, *reader_args),
                                     cycle_length=reader_num_threads, block_length=1)
    if st.legacy_types(dataset._structure) == (_dt.string, _dt.string):
        dataset = dataset.map(lambda _, v: v)  # (key, value) records: the values
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed)
    if num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    # TF drops the remainder when repeating forever: every batch is full, so the batch
    # dimension is static.
    dataset = dataset.batch(batch_size, drop_remainder=drop_final_batch or num_epochs is None)
    dataset = dataset.apply(parse_example_dataset(features,
                                                  num_parallel_calls=parser_num_threads))
    if label_key:
        if label_key not in features:
            raise ValueError(f"The `label_key` provided ({label_key}) must be one of the "
                             f"`features` keys: {features.keys()}.")
        dataset = dataset.map(lambda x: (x, x.pop(label_key)))
    return dataset.prefetch(prefetch_buffer_size)


# -- Reducer and group_by_reducer --------------------------------------------------------------
class Reducer:
    """``tf.data.experimental.Reducer(init_func, reduce_func, finalize_func)``: a key's
    initial state (``init_func(key)``), the state after each of its elements
    (``reduce_func(state, element)``) and the output from the last state
    (``finalize_func(state)``)."""

    def __init__(self, init_func, reduce_func, finalize_func):
        self._init_func = init_func
        self._reduce_func = reduce_func
        self._finalize_func = finalize_func

    @property
    def init_func(self):
        return self._init_func

    @property
    def reduce_func(self):
        return self._reduce_func

    @property
    def finalize_func(self):
        return self._finalize_func


def group_by_reducer(key_func, reducer):
    """``dataset.apply(group_by_reducer(key_func, reducer))``: the whole input is reduced
    per key (``key_func``: an int64 scalar); the output is one ``finalize_func`` result per
    key, by increasing key (TF's kernel keeps the states in an ordered map)."""
    return lambda dataset: GroupByReducer(dataset, key_func, reducer)


class GroupByReducer(Dataset):
    _what = "tf.data.experimental.group_by_reducer()"

    def __init__(self, dataset, key_func, reducer):
        what = self._what
        if not all(hasattr(reducer, f) for f in ("init_func", "reduce_func", "finalize_func")):
            raise TypeError(f"{what}: `reducer` must be a tf.data.experimental.Reducer, got "
                            f"{type(reducer).__name__}")
        self._key = Function(key_func, dataset._structure, what)
        out = self._key.output_structure()
        spec = st.map_structure(st.spec_of, out)
        if st.is_nest(spec) or not _SCALAR_INT64.is_compatible_with(spec):
            raise ValueError("Invalid `key_func`. Expected `key_func` to return a scalar "
                             "tf.int64 tensor, but instead `key_func` has output "
                             f"types={st.legacy_types(spec)!r} and "
                             f"shapes={st.legacy_shapes(spec)}.")
        self._key.finalize()
        self._init = Function(reducer.init_func, _SCALAR_INT64, what)
        init_out = st.map_structure(st.spec_of, self._init.output_structure())
        self._init.finalize()
        self._reduce, state = self._reduce_fn(reducer.reduce_func, init_out, dataset)
        self._n_state = len(st.components(state))
        self._finalize = Function(reducer.finalize_func, state, what)
        out = self._finalize.output_structure()
        self._finalize.finalize()
        fns = (self._key, self._init, self._reduce, self._finalize)
        super().__init__(st.map_structure(st.spec_of, out), (dataset,),
                         [t for f in fns for t in f.captures])

    def _reduce_fn(self, reduce_func, init, dataset):
        """reduce_func traced until the state's shapes are a fixed point: a dimension that the
        new state changes becomes unknown, as TF relaxes it."""
        state = init
        while True:
            fn = Function(reduce_func, (state, dataset._structure), self._what)
            new = st.map_structure(st.spec_of, fn.output_structure())
            if not st.same_structure(state, new):
                raise TypeError(f"Invalid `reducer`. The new state {st.describe(new)} does not "
                                f"match the structure of the reduce state "
                                f"{st.describe(state)}.")
            old_specs, new_specs = st.flatten(state), st.flatten(new)
            for a, b in zip(old_specs, new_specs):
                if type(a) is not type(b):
                    raise TypeError(f"Invalid `reducer`. The output class of the "
                                    f"`reducer.reduce_func` {st.legacy_classes(new)}, does not "
                                    f"match the class of the reduce state "
                                    f"{st.legacy_classes(state)}.")
            for a, b in zip(old_specs, new_specs):
                if a.dtype != b.dtype:
                    raise TypeError(f"Invalid `reducer`. The element types for the new state "
                                    f"{st.legacy_types(new)} do not match the element types "
                                    f"of the old state {st.legacy_types(init)}.")
            weakened = [st.most_specific_compatible(a.shape, b.shape)
                        for a, b in zip(old_specs, new_specs)]
            if all(a.shape.rank is None or (w.rank is not None and
                                            a.shape.as_list() == w.as_list())
                   for a, w in zip(old_specs, weakened)):
                fn.finalize()
                return fn, state
            state = st.pack(state, [type(a)(w, a.dtype) for a, w in zip(old_specs, weakened)])

    def _elements(self, ctx):
        key_of, init = self._key.runner(ctx), self._init.runner(ctx)
        reduce, finalize = self._reduce.runner(ctx), self._finalize.runner(ctx)
        states: dict = collections.OrderedDict()

        def step(element):
            key = int(np.asarray(key_of(list(element))[0]))
            state = states.get(key)
            if state is None:
                state = list(init([np.asarray(key, np.int64)]))
            states[key] = list(reduce(state + list(element)))[:self._n_state]

        # An element that fails (or whose functions fail) fails a GetNext of the reading and
        # is left out, a key whose finalize_func fails fails its output, as TF's.
        for element in self._inputs[0]._elements(ctx):
            error = element if failed(element) else attempt(step, element)
            if failed(error):
                yield error
        for key in sorted(states):
            out = attempt(finalize, states[key])
            yield out if failed(out) else tuple(out)
