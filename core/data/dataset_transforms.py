"""The Dataset transformations of one or more input datasets: element-wise (``map``, ``filter``,
``flat_map``, ``interleave``), order and count (``repeat``, ``take``, ``skip``, ``shard``,
``shuffle``) and combining (``zip``, ``concatenate``); batching, windowing, caching and
reducing have their own modules.

Split from dataset_ops.py (the Dataset class, whose methods build these, re-exports them) so
that each module reads in one sitting. ``interleave`` (the generator) is shared with the file
readers (readers.py).
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OpError
from ..ops.random_ops import get_seed
from ..tensor_shape import TensorShape
from . import structure as st
from .dataset_ops import _END, Dataset, _captured, _count_arg
from .function import Function


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
        # TF treats every negative count as "forever" (and, in take/skip, "all"), not just -1.
        self._count = -1 if count is None else _count_arg(count, "count", None)
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
        self._count = _count_arg(count, "count", None)
        super().__init__(dataset._structure, (dataset,), _captured([self._count]))

    def _elements(self, ctx):
        count = ctx.int_value(self._count)
        it = self._inputs[0]._elements(ctx)
        yield from (it if count < 0 else itertools.islice(it, count))


class _Skip(Dataset):
    def __init__(self, dataset, count):
        self._count = _count_arg(count, "count", None)
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


# -- combining ------------------------------------------------------------------------------------
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
