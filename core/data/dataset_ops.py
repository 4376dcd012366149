"""``tf.data.Dataset`` as TF1 graph-mode code uses it: sources, transformations and iterators.

A Dataset is a Python object describing the pipeline; nothing runs when it is built except
the tracing of its functions (core/data/function.py) and the static checks TF makes then. Each
dataset knows its element structure (a nest of TensorSpecs), the user-graph tensors it captures
(its own and its inputs') and how to produce elements: ``_elements(ctx)`` is a Python
generator of flat tuples of numpy arrays. An iterator op (core/ops/iterator_ops.py) calls
``_start`` with the captured tensors' values when its initializer runs; ``ctx`` holds those
values and the state of one iterator instance (shuffle generators, cached elements, the Plans
of stateful functions).
"""

from __future__ import annotations

import itertools
import os

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OpError
from ..graph import Tensor, constant_value
from ..opdef import TensorSpec
from ..ops.random_ops import get_seed
from ..tensor_shape import TensorShape
from . import structure as st
from .function import Function

AUTOTUNE = -1

_END = object()


class Context:
    """One iterator instance: captured values (by tensor) and per-dataset state."""

    def __init__(self, captured: dict, root: Context | None = None, skip_errors=False):
        self.captured = captured
        self.root = root or self
        self.runners = {} if root is None else root.runners
        self._states: dict = {}
        # Under ignore_errors(): an element whose function fails is dropped, not raised.
        self.skip_errors = skip_errors

    def value(self, x):
        return self.captured[x] if isinstance(x, Tensor) else x

    def int_value(self, x) -> int:
        return int(np.asarray(self.value(x)))

    def state(self, dataset) -> dict:
        return self._states.setdefault(id(dataset), {})

    def child(self, captured: dict) -> Context:
        """A context for a dataset made per element (flat_map): its own state, the root's
        Plans."""
        return Context(captured, self.root, self.skip_errors)

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
        order), as an iterator of flat element tuples."""
        values = dict(zip(self._captures(), captured_values))
        return self._elements(Context(values))

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
    def from_generator(generator, output_types, output_shapes=None, args=None) -> Dataset:
        return _Generator(generator, output_types, output_shapes, args)

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
        return self  # elements are made when asked for: nothing to overlap in one thread

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


def _length_arg(value, name: str):
    """A positive int, or a scalar integer tensor (its value taken when the iterator starts)."""
    if isinstance(value, Tensor):
        return _count_arg(value, name, 1)
    return _positive(value, name)


def _count_arg(value, name: str, minimum: int):
    """An int (>= minimum) or a scalar integer tensor (captured, checked when it runs)."""
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
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _captured(values) -> list:
    return [v for v in values if isinstance(v, Tensor)]


# -- sources --------------------------------------------------------------------------------------
class _Tensors(Dataset):
    def __init__(self, tensors):
        self._value = st.normalize(tensors, "Dataset.from_tensors()")
        leaves = st.component_values(self._value)
        super().__init__(st.map_structure(st.spec_of, self._value), (), _captured(leaves))

    def _elements(self, ctx):
        yield tuple(_frozen(ctx.value(x)) for x in st.component_values(self._value))


class _TensorSlices(Dataset):
    def __init__(self, tensors):
        value = st.normalize(tensors, "Dataset.from_tensor_slices()")
        leaves = st.flatten(value)
        specs = [st.spec_of(x) for x in leaves]
        first = None
        for leaf, spec in zip(leaves, specs):
            if spec.shape.rank == 0:
                raise ValueError(f"Dataset.from_tensor_slices(): component {_name(leaf)} is a "
                                 "scalar; slicing needs every component to have rank >= 1")
            n = spec.shape[0].value if spec.shape.rank is not None else None
            if n is not None:
                if first is not None and n != first[0]:
                    raise ValueError(
                        f"Dataset.from_tensor_slices(): all components must have the same size "
                        f"in their first dimension, but {_name(first[1])} has {first[0]} and "
                        f"{_name(leaf)} has {n}")
                first = first or (n, leaf)
        self._leaves = leaves
        self._sparse = [isinstance(sp, st.SparseSpec) for sp in specs]
        super().__init__(st.pack(value, [st.unbatched(s, "Dataset.from_tensor_slices()")
                                         for s in specs]), (), _captured(
                                             st.component_values(value)))

    def _elements(self, ctx):
        slicers = [_sparse_rows(*[_frozen(ctx.value(p)) for p in
                                  (x.indices, x.values, x.dense_shape)]) if sparse else
                   _dense_rows(_frozen(ctx.value(x))) for x, sparse in
                   zip(self._leaves, self._sparse)]
        yield from _rows_of(slicers, "Dataset.from_tensor_slices(): all components")


def _rows_of(slicers, what):
    """The elements of the rows of ``slicers`` ((rows, row(i)) per leaf: _dense_rows,
    _sparse_rows), which must have as many rows each."""
    sizes = {n for n, _ in slicers}
    if len(sizes) > 1:
        raise InvalidArgumentError(None, None, f"{what} must have the same size in their first "
                                   f"dimension, got sizes {[n for n, _ in slicers]}")
    for i in range(sizes.pop() if sizes else 0):
        yield tuple(c for _, row in slicers for c in row(i))


def _dense_rows(a):
    return len(a), lambda i: (a[i, ...],)


def _sparse_rows(indices, values, shape):
    """(rows, row(i)) of a SparseTensor's components along its first dimension: row i is the
    SparseTensor of the entries with index i there, one rank lower (as TF slices it)."""
    if shape.size == 0:
        raise InvalidArgumentError(None, None, "cannot slice a SparseTensor of rank 0")
    order = np.argsort(indices[:, 0], kind="stable")
    starts = np.searchsorted(indices[order, 0], np.arange(int(shape[0]) + 1))

    def row(i):
        take = order[starts[i]:starts[i + 1]]
        return indices[take, 1:], values[take], shape[1:]
    return int(shape[0]), row


def _frozen(a) -> np.ndarray:
    """A read-only view: the elements slice the user's arrays (and feeds), and the executor
    copies read-only values it hands out, so a fetched element never aliases them."""
    a = np.asarray(a).view()
    a.flags.writeable = False
    return a


def _name(leaf) -> str:
    if isinstance(leaf, Tensor):
        return leaf.name
    if isinstance(leaf, st.SparseTensor):
        return f"SparseTensor {leaf.values.name}"
    if isinstance(leaf, st.SparseTensorValue):
        return f"SparseTensorValue of dense shape {tuple(leaf.dense_shape.tolist())}"
    return f"of shape {tuple(leaf.shape)}"


def _leaf_widths(structure) -> list[int]:
    """How many runtime components each leaf of a structure takes (3 for a SparseTensor)."""
    return [3 if isinstance(s, st.SparseSpec) else 1 for s in st.flatten(structure)]


def _range_arg(value, name: str):
    """An int64 as TF converts it: Python floats and strings are refused (numpy scalars are
    cast), a tensor must be an integer one."""
    if isinstance(value, Tensor):
        if not value.dtype.is_integer:
            raise ValueError(f"{name}: Tensor conversion requested dtype int64 for Tensor with "
                             f"dtype {value.dtype.name}: {value!r}")
        return value
    if isinstance(value, (float, str, bytes)) or not isinstance(
            value, (int, np.generic, np.ndarray)):
        raise TypeError(f"Expected int64, but got {value!s} of type "
                        f"'{type(value).__name__}'.")
    return int(np.asarray(value))


class _Range(Dataset):
    def __init__(self, args, output_type):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Dataset.range() takes 1 to 3 arguments (start, stop, step), got "
                             f"{len(args)}")
        names = ("stop",) if len(args) == 1 else ("start", "stop", "step")[:len(args)]
        values = [_range_arg(a, n) for a, n in zip(args, names)]
        start, stop, step = (0, values[0], 1) if len(values) == 1 else \
            (*values, 1) if len(values) == 2 else values
        if isinstance(step, int) and step == 0:
            raise ValueError("Dataset.range(): step must not be 0")
        self._args = (start, stop, step)
        self._dtype = _dt.as_dtype(output_type)
        super().__init__(TensorSpec(TensorShape([]), self._dtype), (), _captured(values))

    def _elements(self, ctx):
        start, stop, step = (ctx.int_value(x) for x in self._args)
        if step == 0:
            raise InvalidArgumentError(None, None, "Dataset.range(): step must not be 0")
        np_type = self._dtype.as_numpy_dtype
        for v in range(start, stop, step):
            yield (np.asarray(v, dtype=np_type),)


class _Zip(Dataset):
    def __init__(self, datasets):
        if isinstance(datasets, list):
            datasets = tuple(datasets)
        if not st.is_nest(datasets) and not isinstance(datasets, Dataset):
            raise TypeError(f"Dataset.zip(): expected a tuple or dict of datasets, got "
                            f"{type(datasets).__name__}")
        self._datasets = st.flatten(datasets)
        for d in self._datasets:
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip(): every item must be a Dataset, got "
                                f"{type(d).__name__}")
        super().__init__(st.map_structure(lambda d: d._structure, datasets), self._datasets)

    def _elements(self, ctx):
        its = [d._elements(ctx) for d in self._datasets]
        while True:
            parts = [next(it, _END) for it in its]
            if any(p is _END for p in parts):
                return
            yield tuple(x for p in parts for x in p)


class _Generator(Dataset):
    def __init__(self, generator, output_types, output_shapes, args):
        if not callable(generator):
            raise TypeError(f"Dataset.from_generator(): `generator` must be callable, got "
                            f"{generator!r}")
        types = _tuples(output_types)
        type_leaves = [_dt.as_dtype(t) for t in st.flatten(types)]
        if output_shapes is None:
            shapes = [TensorShape(None)] * len(type_leaves)
        else:
            shapes = [st.shape_arg(s, "Dataset.from_generator()") for s in st.flatten_up_to(
                types, output_shapes, "output_shapes")]
        self._generator = generator
        self._args = [st.normalize(a, "Dataset.from_generator() args") for a in (args or ())]
        super().__init__(st.pack(types, [TensorSpec(s, t) for s, t in zip(shapes, type_leaves)]),
                         (), _captured(self._args))

    def _elements(self, ctx):
        # As TF's (a py_func's inputs): a scalar as a numpy scalar, or bytes for a string.
        args = [np.asarray(v)[()] if np.ndim(v) == 0 else v
                for v in (ctx.value(a) for a in self._args)]
        specs = self._specs()
        for value in self._generator(*args):
            try:
                leaves = st.flatten_up_to(self._structure, value, "element")
            except ValueError:
                raise InvalidArgumentError(
                    None, None, "`generator` yielded an element that did not match the expected "
                    f"structure. The expected structure was {st.describe(self._structure)}, "
                    f"but the yielded element was {value!r}.") from None
            yield tuple(_generated(v, s) for v, s in zip(leaves, specs))


def _tuples(value):
    """output_types: a nest of dtypes, lists taken as tuples."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list) or (isinstance(value, tuple) and not hasattr(value, "_fields")):
        return tuple(_tuples(v) for v in value)
    return value


def _generated(value, spec: TensorSpec) -> np.ndarray:
    from ..graph import to_numpy

    try:
        arr = to_numpy(value, spec.dtype)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            None, None, "`generator` yielded an element that could not be converted to the "
            f"expected type. The expected type was {spec.dtype.name}, but the yielded element "
            f"was {value!r}.") from None
    if not spec.shape.is_compatible_with(TensorShape(arr.shape)):
        raise InvalidArgumentError(
            None, None, f"`generator` yielded an element of shape {arr.shape} where an element "
            f"of shape {tuple(spec.shape.as_list())} was expected.")
    return arr


# -- element-wise transformations ----------------------------------------------------------------
class _Map(Dataset):
    def __init__(self, dataset, fn):
        self._fn = Function(fn, dataset._structure, "Dataset.map()")
        out = self._fn.output_structure()
        self._fn.finalize()
        super().__init__(st.map_structure(st.spec_of, out), (dataset,), self._fn.captures)

    def _elements(self, ctx):
        run = self._fn.runner(ctx)
        for element in self._inputs[0]._elements(ctx):
            try:
                out = run(list(element))
            except OpError:
                if ctx.skip_errors:
                    continue
                raise
            yield tuple(out)


class _Filter(Dataset):
    def __init__(self, dataset, predicate):
        self._fn = Function(predicate, dataset._structure, "Dataset.filter()")
        out = self._fn.output_structure()
        if st.is_nest(out) or out.dtype != _dt.bool or \
                not out.shape.is_compatible_with(TensorShape([])):
            got = st.describe(st.map_structure(st.spec_of, out))
            raise ValueError(f"Dataset.filter(): `predicate` must return a scalar tf.bool tensor, "
                             f"but it returned {got}")
        self._fn.finalize()
        super().__init__(dataset._structure, (dataset,), self._fn.captures)

    def _elements(self, ctx):
        run = self._fn.runner(ctx)
        for element in self._inputs[0]._elements(ctx):
            try:
                keep = run(list(element))[0]
            except OpError:
                if ctx.skip_errors:
                    continue
                raise
            if np.ndim(keep) != 0:
                raise InvalidArgumentError(None, None, "Dataset.filter(): `predicate` must "
                                           f"return a scalar, got shape {np.shape(keep)}")
            if keep:
                yield element


class _Interleave(Dataset):
    """flat_map (cycle 1, block 1) and interleave: each input element makes a dataset."""

    def __init__(self, dataset, fn, cycle_length, block_length, what):
        self._fn = Function(fn, dataset._structure, what, datasets_ok=True)
        inner = self._fn.returned
        if not isinstance(inner, Dataset):
            raise TypeError(f"{what}: the function must return a Dataset, got "
                            f"{type(inner).__name__}")
        self._fn.set_outputs(inner._captures())
        self._fn.finalize()
        self._inner, self._cycle, self._block = inner, cycle_length, block_length
        super().__init__(inner._structure, (dataset,),
                         self._fn.captures + _captured([cycle_length, block_length]))

    def _open(self, ctx, element):
        run = self._fn.runner(ctx)
        captured = dict(zip(self._fn.output_keys, run(list(element))))
        captured.update(self._fn.window_values(element))
        return self._inner._elements(ctx.child(captured))

    def _elements(self, ctx):
        cycle, block = (ctx.int_value(x) for x in (self._cycle, self._block))
        for value, name in ((cycle, "cycle_length"), (block, "block_length")):
            if value <= 0:
                raise InvalidArgumentError(None, None, f"{name} must be greater than zero, "
                                           f"got {value}")
        yield from interleave(self._inputs[0]._elements(ctx),
                              lambda element: self._open(ctx, element), cycle, block)


def interleave(inputs, open_fn, cycle: int, block: int):
    """TF's deterministic interleave: ``cycle`` iterators (``open_fn`` of successive
    ``inputs``) open at once, ``block`` elements taken from each in turn; an exhausted one is
    replaced by the next input's in its cycle position."""
    slots = [None] * cycle  # the open inner iterators, one per cycle position
    index = taken = n_open = 0
    end_of_input = False
    while not end_of_input or n_open:
        it = slots[index]
        if it is not None:
            element = next(it, _END)
            if element is not _END:
                yield element
                taken += 1
                if taken == block:
                    index, taken = (index + 1) % cycle, 0
                continue
            slots[index] = None  # this one is done: move on along the cycle
            n_open -= 1
            index, taken = (index + 1) % cycle, 0
        elif not end_of_input:
            element = next(inputs, _END)
            if element is _END:
                end_of_input = True
            else:
                slots[index] = open_fn(element)
                n_open += 1
        else:
            index, taken = (index + 1) % cycle, 0


# -- order and count ------------------------------------------------------------------------------
class _Repeat(Dataset):
    def __init__(self, dataset, count):
        self._count = -1 if count is None else _count_arg(count, "count", -1)
        super().__init__(dataset._structure, (dataset,), _captured([self._count]))

    def _elements(self, ctx):
        count = ctx.int_value(self._count)
        epoch = 0
        while count < 0 or epoch < count:
            produced = False
            for element in self._inputs[0]._elements(ctx):
                produced = True
                yield element
            if not produced:  # repeating an empty dataset forever is empty, not a hang
                return
            epoch += 1


class _Take(Dataset):
    def __init__(self, dataset, count):
        self._count = _count_arg(count, "count", -1)
        super().__init__(dataset._structure, (dataset,), _captured([self._count]))

    def _elements(self, ctx):
        count = ctx.int_value(self._count)
        it = self._inputs[0]._elements(ctx)
        yield from (it if count < 0 else itertools.islice(it, count))


class _Skip(Dataset):
    def __init__(self, dataset, count):
        self._count = _count_arg(count, "count", -1)
        super().__init__(dataset._structure, (dataset,), _captured([self._count]))

    def _elements(self, ctx):
        count = ctx.int_value(self._count)
        it = self._inputs[0]._elements(ctx)
        if count < 0:
            return
        yield from itertools.islice(it, count, None)


class _Shard(Dataset):
    def __init__(self, dataset, num_shards, index):
        self._num = _count_arg(num_shards, "num_shards", 1)
        self._index = _count_arg(index, "index", 0)
        if isinstance(self._num, int) and isinstance(self._index, int) and \
                self._index >= self._num:
            raise ValueError(f"Dataset.shard(): index must be < num_shards, got index "
                             f"{self._index} and num_shards {self._num}")
        super().__init__(dataset._structure, (dataset,), _captured([self._num, self._index]))

    def _elements(self, ctx):
        num, index = ctx.int_value(self._num), ctx.int_value(self._index)
        if not 0 <= index < num:
            raise InvalidArgumentError(None, None, f"Dataset.shard(): index must be in [0, "
                                       f"{num}), got {index}")
        yield from itertools.islice(self._inputs[0]._elements(ctx), index, None, num)


_ALL = 2 ** 62  # a shuffle buffer that holds every file name


class _ListFiles(Dataset):
    def __init__(self, file_pattern):
        if isinstance(file_pattern, Tensor):  # matched when the iterator starts, as TF's
            if file_pattern.dtype != _dt.string or file_pattern.shape.rank not in (None, 0, 1):
                raise TypeError(f"Dataset.list_files(): file_pattern must be a tf.string "
                                f"scalar or vector tensor, got {file_pattern!r}")
            self._patterns = file_pattern
        else:
            patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else \
                file_pattern
            if not all(isinstance(p, (str, bytes)) for p in patterns):
                raise TypeError(f"Dataset.list_files(): file_pattern must be a string, a list "
                                f"of strings or a string tensor, got {file_pattern!r}")
            self._patterns = [os.fsdecode(p) for p in patterns]
        super().__init__(TensorSpec(TensorShape([]), _dt.string), (),
                         _captured([self._patterns]))

    def _elements(self, ctx):
        import glob

        patterns = [os.fsdecode(p) for p in
                    np.asarray(ctx.value(self._patterns), dtype=object).reshape(-1)]
        names = sorted({n for p in patterns for n in glob.glob(p)})
        if not names:
            raise InvalidArgumentError(None, None, f"No files matched pattern: "
                                       f"{', '.join(patterns)}")
        for n in names:
            yield (np.asarray(n.encode(), dtype=object),)


class _Shuffle(Dataset):
    def __init__(self, dataset, buffer_size, seed, reshuffle_each_iteration):
        self._buffer = _count_arg(buffer_size, "buffer_size", 1)
        seeds = get_seed(seed)
        # Unseeded: seeds drawn now, so reshuffle_each_iteration=False keeps one order.
        self._seeded = seeds != (None, None)
        self._seeds = [int(s) & 0xFFFFFFFF for s in seeds] if self._seeded else None
        self._reshuffle = bool(reshuffle_each_iteration)
        super().__init__(dataset._structure, (dataset,), _captured([self._buffer]))

    def _rng(self, ctx) -> np.random.Generator:
        """Per iterator instance: a generator from the seeds, which every epoch continues
        (reshuffle_each_iteration) or starts again (the same order every epoch)."""
        state = ctx.state(self)
        if "seeds" not in state:
            state["seeds"] = self._seeds or list(np.random.SeedSequence().generate_state(2))
            state["rng"] = np.random.default_rng(state["seeds"])
        if not self._reshuffle:
            return np.random.default_rng(state["seeds"])
        return state["rng"]

    def _elements(self, ctx):
        size = ctx.int_value(self._buffer)
        rng = self._rng(ctx)
        it = self._inputs[0]._elements(ctx)
        buffer = list(itertools.islice(it, size))
        while buffer:
            i = int(rng.integers(len(buffer)))
            element = buffer[i]
            refill = next(it, _END)
            if refill is _END:
                buffer[i] = buffer[-1]
                buffer.pop()
            else:
                buffer[i] = refill
            yield element


class _Concatenate(Dataset):
    def __init__(self, dataset, other):
        if not isinstance(other, Dataset):
            raise TypeError(f"Dataset.concatenate(): expected a Dataset, got "
                            f"{type(other).__name__}")
        a, b = dataset._structure, other._structure
        if not st.same_structure(a, b) or [s.dtype for s in st.flatten(a)] != \
                [s.dtype for s in st.flatten(b)]:
            raise TypeError(f"Incompatible dataset elements:\n  {st.describe(a)} vs. "
                            f"{st.describe(b)}")
        merged = [type(x)(st.most_specific_compatible(x.shape, y.shape), x.dtype)
                  for x, y in zip(st.flatten(a), st.flatten(b))]
        super().__init__(st.pack(a, merged), (dataset, other))

    def _elements(self, ctx):
        for d in self._inputs:
            yield from d._elements(ctx)
