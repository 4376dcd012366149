"""``Dataset.reduce`` and ``tf.data.experimental.rejection_resample``.

``reduce(initial_state, reduce_func)`` folds the whole dataset into tensors computed anew on
each run: a Scan (its state shapes relaxed as TF relaxes them) whose last state is the one
element of a dataset read by DatasetToSingleElement (what get_single_element builds).

``rejection_resample`` follows TF's algorithm (resampling.py), with numpy's random stream:
acceptance probabilities a_c = (r_c - m) / (max r - m) of r = target / initial and m = min r;
each output comes, with probability m, from the original stream, else from the stream of
elements accepted with probability a_{class}; without ``initial_dist`` the initial
distribution is estimated from the class counts seen so far (each estimate stream reads the
input anew, as TF's separate datasets do). Elements become ``(class, element)`` pairs.
"""

from __future__ import annotations

import collections

import numpy as np

from ..graph import Tensor
from ..ops.random_ops import get_seed
from ..tensor_shape import TensorShape
from . import structure as st
from .dataset_ops import Dataset, _captured, attempt, failed
from .experimental_ops import Scan, get_single_element
from .function import Function


class _LastState(Dataset):
    """One element: the scan's last output (its final state), or the initial state when the
    dataset is empty."""

    def __init__(self, scan: Scan):
        super().__init__(scan._structure, (scan,))

    def _elements(self, ctx):
        scan = self._inputs[0]
        last = collections.deque(maxlen=1)  # only the final state
        for element in scan._elements(ctx):
            if failed(element):  # one failed element fails the reduce
                yield element
                return
            last.append(element)
        yield last[0] if last else tuple(np.asarray(ctx.value(x))
                                         for x in st.component_values(scan._initial))


def reduce(self, initial_state, reduce_func):  # noqa: A001 - TF's method name
    """``Dataset.reduce``: ``reduce_func(state, element)`` applied over every element, starting
    from ``initial_state``; the final state as tensors (a run computes it anew)."""
    if not callable(reduce_func):
        raise TypeError(f"reduce(): `reduce_func` must be callable, got {reduce_func!r}")

    def step(state, element):
        new = reduce_func(state, element)
        return new, new

    return get_single_element(_LastState(Scan(self, initial_state, step, "Dataset.reduce()")))


class RejectionResample(Dataset):
    """(class, element) pairs whose class distribution approaches ``target_dist``."""

    def __init__(self, dataset, class_func, target_dist, initial_dist, seed):
        what = "rejection_resample()"
        self._class = Function(class_func, dataset._structure, what)
        out = self._class.output_structure()
        if not isinstance(out, Tensor) or not out.dtype.is_integer or \
                not out.shape.is_compatible_with(TensorShape([])):
            raise ValueError(f"{what}: `class_func` must return a scalar integer tensor, got "
                             f"{out!r}")
        self._class.finalize()
        self._target = _distribution(target_dist, "target_dist")
        self._initial = None if initial_dist is None else _distribution(initial_dist,
                                                                          "initial_dist")
        seeds = get_seed(seed)
        self._seeds = None if seeds == (None, None) else [int(s) & 0xFFFFFFFF for s in seeds]
        super().__init__((st.spec_of(out), dataset._structure), (dataset,),
                         self._class.captures + _captured([self._target, self._initial]))

    def _classified(self, ctx):
        """(class, element) pairs; a failed element (or class_func failing) as its error."""
        run = self._class.runner(ctx)
        for element in self._inputs[0]._elements(ctx):
            c = element if failed(element) else attempt(run, list(element))
            yield c if failed(c) else (int(np.asarray(c[0])), element)

    def _initial_estimates(self, ctx, target):
        """The initial distribution known before each element (TF's running estimate, which
        counts the element itself)."""
        if self._initial is not None:
            initial = _as_probabilities(ctx.value(self._initial), target.size, "initial_dist")
            while True:
                yield initial
        counts = np.zeros(target.size, np.int64)
        for item in self._classified(ctx):
            if failed(item):  # the estimate counts the elements that did not fail
                continue
            counts[_checked(item[0], target.size)] += 1
            yield (counts / counts.sum()).astype(np.float32)

    def _elements(self, ctx):
        target = _as_probabilities(ctx.value(self._target), None, "target_dist")
        rng = np.random.default_rng(self._seeds)
        dtype = self._structure[0].dtype.as_numpy_dtype
        original = self._classified(ctx)
        filtered = self._filtered(ctx, target, rng)
        mixing = (_mixing(i, target)[1] for i in self._initial_estimates(ctx, target))
        for m in mixing:
            if m >= 1 or (m > 0 and rng.random() < m):
                item = next(original, None)
            else:
                item = next(filtered, None)
            if item is None:  # TF stops when the stream it picked is exhausted
                return
            if failed(item):
                yield item
                continue
            c, element = item
            yield (np.asarray(c, dtype),) + tuple(element)

    def _filtered(self, ctx, target, rng):
        estimates = self._initial_estimates(ctx, target)
        for item in self._classified(ctx):
            if failed(item):
                yield item
                continue
            c, element = item
            initial = next(estimates, None)
            if initial is None:
                return
            accept, _ = _mixing(initial, target)
            if rng.random() < accept[_checked(c, target.size)]:
                yield c, element


def _mixing(initial, target):
    """TF's (acceptance probabilities, probability of taking the original element)."""
    ratio = target / (initial + np.finfo(np.float32).tiny)
    low, high = ratio.min(), ratio.max()
    if high == low:  # target == initial: every element is taken as it is
        return np.ones_like(ratio), 1.0
    return (ratio - low) / (high - low), float(low)


def _checked(c: int, n: int) -> int:
    if not 0 <= c < n:
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError(None, None, f"rejection_resample(): class {c} is not in "
                                   f"[0, {n}) (one probability of target_dist per class)")
    return c


def _distribution(value, name: str):
    """A Tensor (captured, checked when it runs) or a checked numpy vector."""
    if isinstance(value, Tensor):
        if not value.dtype.is_floating:
            raise TypeError(f"rejection_resample(): {name} must be a float tensor, got {value!r}")
        return value
    return _as_probabilities(value, None, name)


def _as_probabilities(value, n, name: str) -> np.ndarray:
    p = np.asarray(value, np.float32).reshape(-1)
    if p.size == 0 or (n is not None and p.size != n) or (p < 0).any() or \
            not abs(float(p.sum()) - 1) < 1e-3:
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError(None, None, f"rejection_resample(): {name} must be a "
                                   f"probability vector{'' if n is None else f' of {n} classes'}"
                                   f", got {p.tolist()}")
    return p


def rejection_resample(class_func, target_dist, initial_dist=None, seed=None):
    """``tf.data.experimental.rejection_resample``: a transformation for ``apply``, giving
    ``(class, element)`` pairs resampled toward ``target_dist``."""
    return lambda dataset: RejectionResample(dataset, class_func, target_dist, initial_dist,
                                             seed)
