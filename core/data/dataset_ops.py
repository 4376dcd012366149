"""``tf.data.Dataset`` as TF1 graph-mode code uses it: the Dataset class, its iterator context
and argument checks; the Dataset subclasses its methods build are next to it (dataset_sources.py:
sources; dataset_transforms.py: map, filter, interleave, order and count, shuffle, zip and
concatenate) and re-exported at the end of this module.

A Dataset is a Python object describing the pipeline; nothing runs when it is built except
the tracing of its functions (core/data/function.py) and the static checks TF makes then. Each
dataset knows its element structure (a nest of TensorSpecs), the user-graph tensors it captures
(its own and its inputs') and how to produce elements: ``_elements(ctx)`` is a Python
generator of flat tuples of numpy arrays. An iterator op (core/ops/iterator_ops.py) calls
``_start`` with the captured tensors' values when its initializer runs; ``ctx`` holds those
values and the state of one iterator instance (shuffle generators, cached elements, the Plans
of stateful functions).

An element that fails (its map function raises, its record is corrupt, its batch does not
stack) travels down the pipeline as a value, its OpError in the element's place: the stages after
it pass it on (or act on it as TF's do: ignore_errors drops it, batch fails that batch), so
the pipeline's generators stay alive and the iterator's get_next raises it for that element
only, then goes on with the next, as TF's. An error a generator raises instead ends the run.
"""

from __future__ import annotations

import os

import numpy as np

from .. import dtypes as _dt
from ..errors import OpError, OutOfRangeError
from ..graph import Tensor, constant_value
from . import structure as st
from .function import Function

AUTOTUNE = -1

_END = object()


def failed(element) -> bool:
    """Whether ``element`` is a failed one: its OpError, travelling in its place."""
    return isinstance(element, OpError)


def attempt(fn, *args):
    """``fn(*args)``, or the OpError it raised (a failed element)."""
    try:
        return fn(*args)
    except OpError as e:
        return e


def raising(elements):
    """``elements`` for a consumer that fails on the first failed element (the reduce and
    single-element ops, TFRecordWriter: one failed element fails the op). An OutOfRangeError
    element (a fused batch's end for one get_next, see Batch) is the end for them, as TF's."""
    for element in elements:
        if isinstance(element, OutOfRangeError):
            return
        if failed(element):
            raise element.with_traceback(None)
        yield element


class Raising:
    """A dataset as the ops that read all of it see it (DatasetToSingleElement): its first
    failed element is raised."""

    def __init__(self, dataset):
        self.dataset = dataset

    def _start(self, captured_values):
        return raising(self.dataset._start(captured_values))


class Context:
    """One iterator instance: captured values (by tensor) and per-dataset state."""

    def __init__(self, captured: dict, root: Context | None = None,
                 fuse_map_and_batch: bool = True):
        self.captured = captured
        self.root = root or self
        self.runners = {} if root is None else root.runners
        self._states: dict = {}
        self.ends_passed = frozenset()  # set by Dataset._start (see there and Batch)
        # TF's map_and_batch_fusion (a default optimization): a batch right after a map reads
        # its whole batch even when an element fails (see Batch).
        self.fuse_map_and_batch = fuse_map_and_batch if root is None else \
            root.fuse_map_and_batch

    def value(self, x):
        return self.captured[x] if isinstance(x, Tensor) else x

    def int_value(self, x) -> int:
        return int(np.asarray(self.value(x)))

    def state(self, dataset) -> dict:
        return self._states.setdefault(id(dataset), {})

    def child(self, captured: dict) -> Context:
        """A context for a dataset made per element (flat_map): its own state, the root's
        Plans."""
        return Context(captured, self.root)

    def run(self, fn: Function, element) -> list:
        return fn.runner(self)(list(element))


class Dataset(st.Structured):
    """A pipeline of elements: ``Dataset.from_tensor_slices(x).map(f).batch(32)``."""

    def __init__(self, structure, inputs=(), captures=()):
        self._structure = structure
        self._inputs = tuple(inputs)
        self._own_captures = tuple(captures)

    # -- what subclasses define ------------------------------------------------------------------
    def _elements(self, ctx: Context):
        raise NotImplementedError

    # -- structure (output_types, output_shapes, ... from st.Structured) -----------------------
    def _specs(self) -> list:
        return st.components(self._structure)

    def _captures(self) -> list:
        """The user-graph tensors the pipeline reads, each once (its iterator's inputs)."""
        out = dict.fromkeys(self._own_captures)
        for d in self._inputs:
            out.update(dict.fromkeys(d._captures()))
        return list(out)

    def _start(self, captured_values):
        """A fresh run of the pipeline, from the captured tensors' values (in _captures'
        order), as an iterator of flat element tuples (a failed element as its OpError)."""
        from .options import options_of

        values = dict(zip(self._captures(), captured_values))
        optimization = options_of(self).experimental_optimization
        fuse = optimization.map_and_batch_fusion
        if fuse is None:  # unset: on unless the default optimizations are turned off
            fuse = optimization.apply_default_optimizations is not False
        ctx = Context(values, fuse_map_and_batch=bool(fuse))
        ctx.ends_passed = _ends_passed(self)
        return self._elements(ctx)

    def __iter__(self):
        raise RuntimeError("__iter__() is only supported when eager execution is enabled; in "
                           "graph mode make an iterator (dataset.make_one_shot_iterator() or "
                           "make_initializable_iterator()) and run its get_next()")

    def __repr__(self):
        return f"<{type(self).__name__} shapes: {self.output_shapes}, types: {self.output_types}>"

    # -- sources ---------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors) -> Dataset:
        return _TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors) -> Dataset:
        return _Tensors(tensors)

    @staticmethod
    def range(*args, output_type=_dt.int64) -> Dataset:  # noqa: A003 - TF's name
        return _Range(args, output_type)

    @staticmethod
    def zip(datasets) -> Dataset:  # noqa: A003 - TF's name
        return _Zip(datasets)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None) -> Dataset:
        """The elements ``generator(*args)`` yields, described either by ``output_types``
        (and ``output_shapes``) or by ``output_signature``, a nest of tf.TensorSpec and
        tf.SparseTensorSpec (a SparseTensor component is yielded as a SparseTensorValue)."""
        return _Generator(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None) -> Dataset:
        """The files matching ``file_pattern`` (a glob or a list of them), matched when the
        iterator starts; shuffled (every epoch anew) unless ``shuffle=False``, as TF."""
        files = _ListFiles(file_pattern)
        if shuffle is None or shuffle:
            return files.shuffle(_ALL, seed=seed)
        return files

    @staticmethod
    def from_sparse_tensor_slices(sparse_tensor) -> Dataset:
        """The rows of a SparseTensor as (indices, values, dense_shape) triples of tensors, one
        rank lower (TF1's deprecated form; from_tensor_slices gives SparseTensors)."""
        from ..sparse_tensor import SparseTensor, SparseTensorValue

        if not isinstance(sparse_tensor, (SparseTensor, SparseTensorValue)):
            raise TypeError(f"Dataset.from_sparse_tensor_slices(): expected a SparseTensor, "
                            f"got {type(sparse_tensor).__name__}")
        return _TensorSlices(sparse_tensor).map(lambda sp: (sp.indices, sp.values,
                                                            sp.dense_shape))

    # -- options and cardinality ------------------------------------------------------------------
    def with_options(self, options) -> Dataset:
        """Records ``options`` (see core/data/options.py: they change nothing here)."""
        from .options import WithOptions

        return WithOptions(self, options)

    def options(self):
        from .options import options_of

        return options_of(self)

    def cardinality(self):
        """An int64 scalar: the number of elements, or INFINITE_CARDINALITY (-1) /
        UNKNOWN_CARDINALITY (-2)."""
        from ..ops.array_ops import constant
        from .options import cardinality_of

        return constant(np.int64(cardinality_of(self)), name="Cardinality")

    # -- transformations -------------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None) -> Dataset:  # noqa: A003
        return _Map(self, map_func)

    def filter(self, predicate) -> Dataset:  # noqa: A003 - TF's name
        return _Filter(self, predicate)

    def flat_map(self, map_func) -> Dataset:
        return _Interleave(self, map_func, 1, 1, "Dataset.flat_map()")

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None) -> Dataset:
        cycle_length = tensor_arg(cycle_length)
        if cycle_length is None or (not isinstance(cycle_length, Tensor)
                                    and cycle_length == AUTOTUNE):
            cycle_length = os.cpu_count() or 1  # TF's default: the machine's parallelism
        if block_length is None:
            block_length = 1
        return _Interleave(self, map_func, _length_arg(cycle_length, "cycle_length"),
                           _length_arg(block_length, "block_length"), "Dataset.interleave()")

    def batch(self, batch_size, drop_remainder=False) -> Dataset:
        from .batching import Batch

        return Batch(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False) -> Dataset:
        from .batching import PaddedBatch

        return PaddedBatch(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def unbatch(self) -> Dataset:
        from .batching import Unbatch

        return Unbatch(self)

    def repeat(self, count=None) -> Dataset:
        return _Repeat(self, count)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True) -> Dataset:
        return _Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def take(self, count) -> Dataset:
        return _Take(self, count)

    def shard(self, num_shards, index) -> Dataset:
        """Every ``num_shards``-th element, starting at ``index`` (one worker's share)."""
        return _Shard(self, num_shards, index)

    def skip(self, count) -> Dataset:
        return _Skip(self, count)

    def prefetch(self, buffer_size) -> Dataset:
        # Elements are made when asked for: nothing to overlap in one thread. Still a stage of
        # its own: a map, then prefetch, then batch is not fused as map then batch is (Batch).
        return _Prefetch(self)

    def cache(self, filename="") -> Dataset:
        from .cache import Cache

        return Cache(self, filename)

    def concatenate(self, dataset) -> Dataset:
        return _Concatenate(self, dataset)

    def enumerate(self, start=0) -> Dataset:  # noqa: A003 - TF's name
        return Dataset.zip((Dataset.range(start, np.iinfo(np.int64).max), self))

    def apply(self, transformation_func) -> Dataset:
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError(f"Dataset.apply(): the transformation must return a Dataset, got "
                            f"{type(out).__name__}")
        return out

    # -- iterators -------------------------------------------------------------------------------
    def make_one_shot_iterator(self):
        from .iterators import make_one_shot_iterator

        return make_one_shot_iterator(self)

    def make_initializable_iterator(self, shared_name=None):
        from .iterators import make_initializable_iterator

        return make_initializable_iterator(self, shared_name)


# -- argument checks ------------------------------------------------------------------------------
def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def tensor_arg(value):
    """``value`` as TF's convert_to_tensor takes it when it stands for a tensor: a Variable (its
    value read when the iterator starts) or a type given to tf.register_tensor_conversion_function;
    anything else unchanged, for the caller's own checks."""
    if hasattr(value, "_as_tensor"):
        return value._as_tensor()
    from ..tensor_conversion import _CONVERSIONS, _registered_conversion

    if not _CONVERSIONS or isinstance(value, (Tensor, int, float, str, bytes, np.generic,
                                              np.ndarray, list, tuple, type(None))):
        return value
    converted = _registered_conversion(value, None, None)
    return value if converted is None else converted


def _length_arg(value, name: str):
    """A positive int, or a scalar integer tensor (its value taken when the iterator starts)."""
    value = tensor_arg(value)
    if isinstance(value, Tensor):
        return _count_arg(value, name, 1)
    return _positive(value, name)


def _count_arg(value, name: str, minimum):
    """An int (>= minimum; any int when minimum is None) or a scalar integer tensor (captured,
    checked when it runs)."""
    value = tensor_arg(value)
    if isinstance(value, Tensor):
        if not value.dtype.is_integer or value.shape.rank not in (None, 0):
            raise ValueError(f"{name} must be a scalar integer, got {value!r}")
        known = constant_value(value)
        if known is None:
            return value
        value = known
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) and \
            not (isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu"):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _ends_passed(dataset) -> frozenset:
    """The ids of ``dataset`` and of the inputs whose end of sequence reaches its reader as
    theirs: TF's map and with_options return their input's end rather than end themselves, so
    a fused batch's end for one get_next (see Batch) passes them."""
    from .options import WithOptions

    ids = {id(dataset)}
    while type(dataset) in (_Map, WithOptions):
        dataset = dataset._inputs[0]
        ids.add(id(dataset))
    return frozenset(ids)


def _captured(values) -> list:
    return [v for v in values if isinstance(v, Tensor)]


# -- the Dataset subclasses the methods above build ---------------------------------------------
# Imported last: they subclass Dataset and use the helpers above, and this module is always
# loaded first (core/data/__init__.py imports it before them). Other modules import some of
# these names from here (batching, windowing, readers, iterators), so all are re-exported.
from .dataset_sources import (  # noqa: E402, F401
    _ALL, _dense_rows, _frozen, _Generator, _generated, _leaf_widths, _ListFiles, _name, _Range,
    _range_arg, _rows_of, _sparse_rows, _Tensors, _TensorSlices, _tuples)
from .dataset_transforms import (  # noqa: E402, F401
    _Concatenate, _Filter, _Interleave, _Map, _Prefetch, _Repeat, _Shard, _Shuffle, _Skip,
    _Take, _Zip, interleave)
