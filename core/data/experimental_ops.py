"""The datasets behind ``tf.data.experimental``'s transformations: ignore_errors,
group_by_window, sample/choose_from_datasets, scan, and the DatasetToSingleElement op's
wrapper (get_single_element).

A failed element (its OpError, see dataset_ops.py) is passed on, and a function that fails
for an element (key_func, scan_func, ...) fails that element only, as in TF; ignore_errors
drops them."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, OpError
from ..graph import Tensor, convert_to_tensor, get_default_graph
from ..type_spec_base import TensorSpec
from ..ops.random_ops import get_seed
from ..tensor_shape import TensorShape
from . import structure as st
from .dataset_ops import _END, Dataset, Raising, _captured, attempt, failed
from .function import Function

_SCALAR_INT64 = TensorSpec(TensorShape([]), _dt.int64)


class IgnoreErrors(Dataset):
    """Drops the failed elements (TF's ignore_errors): a map or filter function failing, a
    record that does not parse, a corrupt file (its reader goes on with the next file), a
    batch holding a failed element. An error the input raises instead ends it here: TF asks
    its input again, but a generator cannot go on after raising."""

    def __init__(self, dataset):
        super().__init__(dataset._structure, (dataset,))

    def _elements(self, ctx):
        try:
            for element in self._inputs[0]._elements(ctx):
                if not failed(element):
                    yield element
        except OpError:
            return


class _Window(Dataset):
    """The elements of one group_by_window window: given to reduce_func as a dataset, filled
    per call through the context (the window's elements are ``ctx.captured[self]``)."""

    def __init__(self, structure):
        super().__init__(structure)

    def _elements(self, ctx):
        yield from ctx.captured[self]


def _scalar_int64_fn(fn, structure, what: str, name: str) -> Function:
    f = Function(fn, structure, what)
    out = f.output_structure()
    if st.is_nest(out) or not isinstance(out, Tensor) or out.dtype != _dt.int64 or \
            not out.shape.is_compatible_with(TensorShape([])):
        got = st.describe(st.map_structure(st.spec_of, out))
        raise ValueError(f"{what}: `{name}` must return a single tf.int64 scalar tensor, but "
                         f"it returned {got}")
    f.finalize()
    return f


class GroupByWindow(Dataset):
    """Elements grouped by ``key_func``; each full window (and, at the end, each partial one,
    by increasing key as TF's ordered map) is given to ``reduce_func(key, window_dataset)``,
    whose dataset's elements are the output."""

    def __init__(self, dataset, key_func, reduce_func, window_size=None, window_size_func=None):
        what = "group_by_window()"
        if (window_size is None) == (window_size_func is None):
            raise ValueError("Either the `window_size` argument or the `window_size_func` "
                             "argument must be specified.")
        if window_size is not None:
            window_size_func = lambda _key: convert_to_tensor(window_size, _dt.int64)  # noqa: E731
        self._key = _scalar_int64_fn(key_func, dataset._structure, what, "key_func")
        self._size = _scalar_int64_fn(window_size_func, _SCALAR_INT64, what,
                                      "window_size_func")
        self._window = _Window(dataset._structure)
        self._reduce = Function(lambda key: reduce_func(key, self._window), _SCALAR_INT64, what)
        inner = self._reduce.returned
        if not isinstance(inner, Dataset):
            raise TypeError(f"{what}: `reduce_func` must return a Dataset, got "
                            f"{type(inner).__name__}")
        self._reduce.set_outputs(inner._captures())
        self._reduce.finalize()
        self._inner = inner
        super().__init__(inner._structure, (dataset,),
                         self._key.captures + self._size.captures + self._reduce.captures)

    def _flush(self, ctx, key, window):
        values = attempt(self._reduce.runner(ctx), [np.asarray(key, np.int64)])
        if failed(values):
            yield values
            return
        captured = dict(zip(self._reduce.output_keys, values))
        captured[self._window] = window
        yield from self._inner._elements(ctx.child(captured))

    @staticmethod
    def _key_of(element, key_of, size_of, sizes) -> int:
        """The element's key; its window size is computed once per key, as TF's."""
        key = int(key_of(list(element))[0])
        if key not in sizes:
            size = int(size_of([np.asarray(key, np.int64)])[0])
            if size <= 0:
                raise InvalidArgumentError(None, None, f"Window size must be greater than "
                                           f"zero, but got {size}.")
            sizes[key] = size
        return key

    def _elements(self, ctx):
        key_of, size_of = self._key.runner(ctx), self._size.runner(ctx)
        groups: dict[int, list] = {}
        sizes: dict[int, int] = {}
        for element in self._inputs[0]._elements(ctx):
            key = element if failed(element) else \
                attempt(self._key_of, element, key_of, size_of, sizes)
            if failed(key):  # the element fails, and is not grouped
                yield key
                continue
            window = groups.setdefault(key, [])
            window.append(element)
            if len(window) >= sizes[key]:
                del groups[key]
                yield from self._flush(ctx, key, window)
        for key in sorted(groups):
            yield from self._flush(ctx, key, groups[key])


def _check_same_structure(datasets, what: str):
    if not datasets or not all(isinstance(d, Dataset) for d in datasets):
        raise TypeError(f"{what}: `datasets` must be a non-empty list of datasets, got "
                        f"{datasets!r}")
    first = datasets[0]._structure
    for d in datasets[1:]:
        if not st.same_structure(first, d._structure) or \
                [s.dtype for s in st.flatten(first)] != \
                [s.dtype for s in st.flatten(d._structure)]:
            raise TypeError(f"{what}: all datasets must have the same type and structure, "
                            f"got {st.describe(first)} and {st.describe(d._structure)}")
    return st.pack(first, [_common(list(leaves)) for leaves in
                           zip(*[st.flatten(d._structure) for d in datasets])])


def _common(specs):
    """A spec whose shape every one of ``specs`` conforms to."""
    shape = specs[0].shape
    for s in specs[1:]:
        shape = st.most_specific_compatible(shape, s.shape)
    return type(specs[0])(shape, specs[0].dtype)


class SampleFromDatasets(Dataset):
    """Each element drawn from a dataset picked at random by ``weights``; an exhausted one
    is dropped from the draw (or ends the whole with ``stop_on_empty_dataset``)."""

    def __init__(self, datasets, weights, seed, stop_on_empty_dataset):
        what = "sample_from_datasets()"
        datasets = list(datasets)
        structure = _check_same_structure(datasets, what)
        n = len(datasets)
        self._weights_ds = None
        if isinstance(weights, Dataset):  # TF1 documents a dataset of weight vectors
            spec = weights._structure
            if st.is_nest(spec) or not isinstance(spec, TensorSpec) or \
                    not spec.dtype.is_floating:
                raise TypeError(f"{what}: a `weights` dataset must yield one float vector per "
                                f"element, got {st.describe(spec)}")
            if not spec.shape.is_compatible_with(TensorShape([n])):
                raise ValueError(f"{what}: the `weights` dataset's vectors must have one value "
                                 f"per dataset ({n}), got shape {spec.shape}")
            self._weights_ds = weights
            datasets = [*datasets, weights]
            weights = None
        if weights is None:
            weights = np.full(n, 1.0 / n, np.float32)
        elif not isinstance(weights, Tensor):
            weights = np.asarray(weights, dtype=np.float64)
            if weights.shape != (n,):
                raise ValueError(f"{what}: `weights` must have one value per dataset ({n}), "
                                 f"got shape {weights.shape}")
        elif not weights.dtype.is_floating:
            raise TypeError(f"{what}: `weights` must be a float tensor, got {weights!r}")
        self._weights = weights
        seeds = get_seed(seed)
        self._seeds = None if seeds == (None, None) else [int(s) & 0xFFFFFFFF for s in seeds]
        self._stop = bool(stop_on_empty_dataset)
        super().__init__(structure, datasets, _captured([weights]))

    @staticmethod
    def _checked(weights, n):
        weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        if weights.size != n or (weights < 0).any() or not weights.sum() > 0:
            raise InvalidArgumentError(None, None, f"sample_from_datasets(): `weights` must be "
                                       f"{n} non-negative numbers, not all zero; got "
                                       f"{weights.tolist()}")
        return weights

    def _elements(self, ctx):
        rng = np.random.default_rng(self._seeds)
        if self._weights_ds is not None:
            yield from self._varying(ctx, rng)
            return
        weights = self._checked(ctx.value(self._weights), len(self._inputs))
        its = [d._elements(ctx) for d in self._inputs]
        live = weights.copy()
        while live.sum() > 0:
            i = int(rng.choice(len(its), p=live / live.sum()))
            element = next(its[i], _END)
            if element is _END:
                if self._stop:
                    return
                live[i] = 0.0
                continue
            yield element

    def _varying(self, ctx, rng):
        # TF: one draw per weight vector; a draw of an exhausted input consumes the vector
        # and yields nothing (DirectedInterleave skips it); ends with the weights dataset.
        *inputs, weights_ds = self._inputs
        n = len(inputs)

        def draws():
            for element in weights_ds._elements(ctx):
                weights = element if failed(element) else attempt(self._checked, element[0], n)
                yield weights if failed(weights) else \
                    int(rng.choice(n, p=weights / weights.sum()))
        yield from _directed_interleave(inputs, draws(), ctx, self._stop)


class ChooseFromDatasets(Dataset):
    def __init__(self, datasets, choice_dataset, stop_on_empty_dataset):
        what = "choose_from_datasets()"
        datasets = list(datasets)
        structure = _check_same_structure(datasets, what)
        if not isinstance(choice_dataset, Dataset) or st.is_nest(choice_dataset._structure) \
                or not isinstance(choice_dataset._structure, TensorSpec) or \
                choice_dataset._structure.dtype != _dt.int64 or \
                not choice_dataset._structure.shape.is_compatible_with(TensorShape([])):
            got = st.describe(choice_dataset._structure) if isinstance(
                choice_dataset, Dataset) else repr(choice_dataset)
            raise TypeError(f"Invalid `choice_dataset`. Elements of `choice_dataset` must be "
                            f"scalar of `tf.int64` dtype, but got {got}.")
        self._stop = bool(stop_on_empty_dataset)
        super().__init__(structure, [choice_dataset, *datasets])

    def _elements(self, ctx):
        choices, *inputs = self._inputs

        def indices():
            for choice in choices._elements(ctx):
                if failed(choice):
                    yield choice
                    continue
                i = int(choice[0])
                if not 0 <= i < len(inputs):
                    yield InvalidArgumentError(None, None, f"Selector index out of range: {i} "
                                               f">= {len(inputs)}")
                    continue
                yield i
        yield from _directed_interleave(inputs, indices(), ctx, self._stop)


def _directed_interleave(inputs, indices, ctx, stop):
    """TF's DirectedInterleave: for each index, the next element of that input; an index of
    an exhausted input yields nothing. Ends with the indices, or when an input is exhausted
    if ``stop`` (stop_on_empty_dataset), or when all are. A failed index fails its element."""
    its = [d._elements(ctx) for d in inputs]
    done = [False] * len(its)
    for i in indices:
        if failed(i):
            yield i
            continue
        element = _END if done[i] else next(its[i], _END)
        if element is _END:
            done[i] = True
            if stop or all(done):
                return
            continue
        yield element


class Scan(Dataset):
    """``scan(initial_state, scan_func)``: ``scan_func(state, element)`` gives the new state
    and the output element. A state whose shape changes is traced again with the shape both
    fit, as TF relaxes it."""

    def __init__(self, dataset, initial_state, scan_func, what="scan()"):
        self._initial = st.normalize(initial_state, what)
        state = st.map_structure(st.spec_of, self._initial)
        for _ in range(8):
            fn = Function(scan_func, (state, dataset._structure), what)
            out = fn.output_structure()
            if not isinstance(out, tuple) or len(out) != 2:
                raise TypeError(f"{what}: `scan_func` must return a pair (new_state, "
                                f"output_element), got {out!r}")
            new = st.map_structure(st.spec_of, out[0])
            if not st.same_structure(state, new):
                raise TypeError(f"{what}: the new state {st.describe(new)} does not match the "
                                f"initial state's structure {st.describe(state)}")
            for a, b in zip(st.flatten(state), st.flatten(new)):
                if a.dtype != b.dtype:
                    raise TypeError(f"{what}: the new state's dtypes {st.describe(new)} do not "
                                    f"match the initial state's {st.describe(state)}")
            relaxed = st.pack(state, [type(a)(st.most_specific_compatible(a.shape, b.shape),
                                              a.dtype)
                                      for a, b in zip(st.flatten(state), st.flatten(new))])
            if all(_dims(a.shape) == _dims(b.shape)
                   for a, b in zip(st.flatten(state), st.flatten(relaxed))):
                break
            state = relaxed
        fn.finalize()
        self._fn, self._n_state = fn, len(st.components(state))
        super().__init__(st.map_structure(st.spec_of, out[1]), (dataset,),
                         fn.captures + _captured(st.component_values(self._initial)))

    def _elements(self, ctx):
        run = self._fn.runner(ctx)
        state = [np.asarray(ctx.value(x)) for x in st.component_values(self._initial)]
        for element in self._inputs[0]._elements(ctx):
            out = element if failed(element) else attempt(run, state + list(element))
            if failed(out):  # the element fails; the state stays as it was (TF's)
                yield out
                continue
            state, produced = list(out[:self._n_state]), out[self._n_state:]
            yield tuple(produced)


def _dims(shape: TensorShape):
    return None if shape.rank is None else shape.as_list()


def get_single_element(dataset):
    """``tf.data.experimental.get_single_element(dataset)``: the dataset's only element, as
    tensors computed anew on every run; InvalidArgumentError when it has none or several."""
    from ..ops import dataset_reduce_ops as ops
    from ..ops import iterator_ops

    if not isinstance(dataset, Dataset):
        raise TypeError(f"`dataset` must be a `tf.data.Dataset` object, got "
                        f"{type(dataset).__name__}")
    specs = st.components(dataset._structure)
    # The op reads the whole dataset: one failed element fails it.
    token = iterator_ops.register_dataset(get_default_graph(), Raising(dataset))
    outs = ops.DATASET_TO_SINGLE_ELEMENT(dataset._captures(), dataset=token,
                                         output_types=[s.dtype for s in specs],
                                         output_shapes=[s.shape for s in specs],
                                         name="DatasetToSingleElement")
    outs = outs if isinstance(outs, list) else [outs]
    return st.pack_components(dataset._structure, outs)
