"""The Dataset transformations of one or more input datasets: element-wise (``map``, ``filter``,
``flat_map``, ``interleave``), order and count (``repeat``, ``take``, ``skip``, ``shard``,
``shuffle``) and combining (``zip``, ``concatenate``); batching, windowing, caching and
reducing have their own modules.

A failed element (its OpError, see dataset_ops.py) goes through each stage as TF's stage treats
an error of its input's GetNext: most pass it on in its place and go on; what a stage counts
(take, shard, repeat's "did this epoch give anything") counts only the elements that did not
fail.

Split from dataset_ops.py (the Dataset class, whose methods build these, re-exports them) so
that each module reads in one sitting. ``interleave`` (the generator) is shared with the file
readers (readers.py).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OpError, OutOfRangeError
from ..ops.random_ops import get_seed
from ..tensor_shape import TensorShape
from . import structure as st
from .dataset_ops import _END, Dataset, _captured, _count_arg, attempt, failed
from .function import Function


# -- element-wise transformations ----------------------------------------------------------------
class _Map(Dataset):
    def __init__(self, dataset, fn):
        self._fn = Function(fn, dataset._structure, "Dataset.map()")
        out = self._fn.output_structure()
        self._fn.finalize()
        super().__init__(st.map_structure(st.spec_of, out), (dataset,), self._fn.captures)

    def _elements(self, ctx):
        return self._results(ctx, fused=False)

    def _results(self, ctx, fused=True):
        """Each input element mapped, or the OpError of it. The function's OutOfRangeError (a
        py_func's StopIteration) ends TF1's map for good; a fused batch (see Batch) takes it
        as an element instead. An input's failed element, an OutOfRangeError too (a fused
        batch's end for one get_next), is passed on: TF's map returns its input's end."""
        run = self._fn.runner(ctx)
        for element in self._inputs[0]._elements(ctx):
            if not isinstance(element, OpError):  # failed() and attempt() inline: per element
                try:
                    element = tuple(run(list(element)))
                except OutOfRangeError as e:
                    if not fused:
                        return
                    element = e
                except OpError as e:
                    element = e
            yield element


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
            if failed(element):
                yield element
                continue
            keep = attempt(run, list(element))
            if failed(keep):
                yield keep
            elif np.ndim(keep[0]) != 0:
                yield InvalidArgumentError(None, None, "Dataset.filter(): `predicate` must "
                                           f"return a scalar, got shape {np.shape(keep[0])}")
            elif keep[0]:
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
    replaced by the next input's in its cycle position. A failed element (of an inner
    iterator, of the input, or ``open_fn`` failing) is given without moving along the cycle
    or counting in the block, as TF's."""
    slots = [None] * cycle  # the open inner iterators, one per cycle position
    index = taken = n_open = 0
    end_of_input = False
    while not end_of_input or n_open:
        it = slots[index]
        if it is not None:
            element = next(it, _END)
            if element is not _END:
                yield element
                if not failed(element):
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
                continue
            opened = element if failed(element) else attempt(open_fn, element)
            if failed(opened):
                yield opened  # the slot stays empty: the next input is opened there
            else:
                slots[index] = opened
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
                produced = produced or not failed(element)
                yield element
            # Repeating an empty dataset forever is empty, not a hang; so is one whose elements
            # all fail (TF ends it after the first epoch's errors too).
            if not produced:
                return
            epoch += 1


class _Take(Dataset):
    def __init__(self, dataset, count):
        self._count = _count_arg(count, "count", None)
        super().__init__(dataset._structure, (dataset,), _captured([self._count]))

    def _elements(self, ctx):
        count = ctx.int_value(self._count)
        if count == 0:
            return
        taken = 0
        for element in self._inputs[0]._elements(ctx):
            yield element
            if count >= 0 and not failed(element):  # a failed element is not counted
                taken += 1
                if taken == count:
                    return


class _Skip(Dataset):
    def __init__(self, dataset, count):
        self._count = _count_arg(count, "count", None)
        super().__init__(dataset._structure, (dataset,), _captured([self._count]))

    def _elements(self, ctx):
        count = ctx.int_value(self._count)
        if count < 0:
            return
        skipped = 0
        for element in self._inputs[0]._elements(ctx):
            if skipped == count:
                yield element
            elif failed(element):
                # TF's skip counts the elements skipped in one GetNext only once it is done:
                # one failing on the way loses the count, and skipping starts over after it.
                skipped = 0
                yield element
            else:
                skipped += 1


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
        position = 0  # of the elements that did not fail (a failed one passes)
        for element in self._inputs[0]._elements(ctx):
            if failed(element):
                yield element
                continue
            if position % num == index:
                yield element
            position += 1


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
        buffer: list = []
        hole = None  # the slot of the element given last, refilled by the next input element
        done = False
        while True:
            # As TF's: the buffer is filled before each pick, and a failed input element is
            # given as it comes (the buffer keeps what it holds).
            while not done and (hole is not None or len(buffer) < size):
                element = next(it, _END)
                if element is _END:
                    done = True
                elif failed(element):
                    yield element
                elif hole is not None:
                    buffer[hole], hole = element, None
                else:
                    buffer.append(element)
            if hole is not None:  # the input ended: the last element takes the free slot
                buffer[hole] = buffer[-1]
                buffer.pop()
                hole = None
            if not buffer:
                return
            hole = int(rng.integers(len(buffer)))
            yield buffer[hole]


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
            # Every input gives its element, even when one fails, so they stay aligned (TF's).
            parts = [next(it, _END) for it in its]
            errors = [p for p in parts if failed(p)]
            if errors:
                yield errors[0]
            if any(p is _END for p in parts):
                return
            if not errors:
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


class _Prefetch(Dataset):
    """``prefetch``: the elements as they are (made when asked for, in one thread)."""

    def __init__(self, dataset):
        super().__init__(dataset._structure, (dataset,))

    def _elements(self, ctx):
        return self._inputs[0]._elements(ctx)

    def cardinality(self):
        return self._inputs[0].cardinality()  # the input's own (copy_to_device has one)
