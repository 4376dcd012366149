"""More of ``tf.data.experimental``, as TF 2.21's compat.v1 defines it: Counter, take_while,
unique, enumerate_dataset, assert_cardinality and get_structure (the datasets behind them
are here too; the rest of the namespace is experimental.py's)."""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..graph import Tensor, convert_to_tensor
from ..tensor_shape import TensorShape
from . import structure as st
from .dataset_ops import Dataset, _captured, _count_arg, attempt, failed
from .function import Function

__all__ = ["Counter", "assert_cardinality", "enumerate_dataset", "get_structure", "take_while",
           "unique"]


def Counter(start=0, step=1, dtype=_dt.int64):  # noqa: N802 - TF's name
    """``start, start + step, ...`` forever, as ``dtype`` scalars (TF builds it the same way:
    a scan over an endless repeat)."""
    from .experimental_ops import Scan

    with_dtype = _dt.as_dtype(dtype)
    start = convert_to_tensor(start, dtype=with_dtype, name="start")
    step = convert_to_tensor(step, dtype=with_dtype, name="step")
    return Scan(Dataset.from_tensors(0).repeat(None), start,
                lambda state, _: (state + step, state))


def enumerate_dataset(start=0):
    """``dataset.apply(enumerate_dataset(start))``: ``(index, element)`` pairs, the index an
    int64 from ``start`` (Dataset.enumerate)."""
    return lambda dataset: dataset.enumerate(start)


def take_while(predicate):
    """``dataset.apply(take_while(predicate))``: the elements up to the first for which
    ``predicate`` (a scalar tf.bool) is False."""
    return lambda dataset: TakeWhile(dataset, predicate)


def unique():
    """``dataset.apply(unique())``: each distinct element once, at its first occurrence. The
    elements must be one int32, int64 or string tensor (of any shape)."""
    return lambda dataset: Unique(dataset)


def assert_cardinality(expected_cardinality):
    """``dataset.apply(assert_cardinality(n))``: the elements unchanged, with cardinality
    ``n``; iterating finds a FailedPreconditionError if there are fewer or more (n may be
    INFINITE_CARDINALITY)."""
    return lambda dataset: AssertCardinality(dataset, expected_cardinality)


def get_structure(dataset_or_iterator):
    """The element structure (TensorSpecs) of a Dataset or an Iterator."""
    from .iterators import Iterator

    if isinstance(dataset_or_iterator, (Dataset, Iterator)):
        return dataset_or_iterator._structure
    raise TypeError("Invalid `dataset_or_iterator`. `dataset_or_iterator` must be a "
                    "`tf.data.Dataset` or tf.data.Iterator object, but got "
                    f"{type(dataset_or_iterator)}.")


class TakeWhile(Dataset):
    def __init__(self, dataset, predicate):
        self._fn = Function(predicate, dataset._structure, "take_while()")
        out = self._fn.output_structure()
        if st.is_nest(out) or not isinstance(out, Tensor) or out.dtype != _dt.bool or \
                not out.shape.is_compatible_with(TensorShape([])):
            got = st.describe(st.map_structure(st.spec_of, out))
            raise ValueError("Invalid `predicate`. `predicate` must return a `tf.bool` scalar "
                             f"tensor but its return type is {got}.")
        self._fn.finalize()
        super().__init__(dataset._structure, (dataset,), self._fn.captures)

    def _elements(self, ctx):
        run = self._fn.runner(ctx)
        for element in self._inputs[0]._elements(ctx):
            keep = element if failed(element) else attempt(run, list(element))
            if failed(keep):  # fails that element only (TF's)
                yield keep
            elif np.ndim(keep[0]) != 0:
                yield InvalidArgumentError(None, None, "take_while(): `predicate` must return "
                                           f"a scalar, got shape {np.shape(keep[0])}")
            elif not keep[0]:
                return
            else:
                yield element


class Unique(Dataset):
    _DTYPES = (_dt.int32, _dt.int64, _dt.string)

    def __init__(self, dataset):
        specs = st.flatten(dataset._structure)
        if len(specs) == 1 and getattr(specs[0], "dtype", None) not in self._DTYPES:
            raise TypeError(f"`tf.data.Dataset.unique` does not support type "
                            f"{specs[0].dtype!r} -- only `tf.int32`, `tf.int64`, and "
                            "`tf.string` are supported.")
        self._components = len(specs)
        super().__init__(dataset._structure, (dataset,))

    def _elements(self, ctx):
        if self._components != 1:  # TF's kernel refuses it when it runs
            raise InvalidArgumentError(None, None, "UniqueDataset only supports inputs with a "
                                       "single component.")
        seen = set()
        for element in self._inputs[0]._elements(ctx):
            if failed(element):
                yield element
                continue
            value = np.asarray(element[0])
            key = (value.shape, tuple(value.reshape(-1).tolist()))  # the whole tensor's value
            if key not in seen:
                seen.add(key)
                yield element


class AssertCardinality(Dataset):
    def __init__(self, dataset, expected_cardinality):
        self._expected = _count_arg(expected_cardinality, "expected_cardinality", None)
        super().__init__(dataset._structure, (dataset,), _captured([self._expected]))

    def _elements(self, ctx):
        expected = ctx.int_value(self._expected)
        what = "an infinite number of" if expected < 0 else str(expected)
        n = 0
        for element in self._inputs[0]._elements(ctx):
            if failed(element):  # passed on, not counted (TF's)
                yield element
                continue
            n += 1
            if 0 <= expected < n:  # this element fails, the next are counted on
                yield FailedPreconditionError(
                    None, None, f"Input dataset was expected to contain {expected} elements but "
                    f"contained at least {n} elements.")
                continue
            yield element
        if expected < 0 or n != expected:
            # TF's kernel fails every GetNext after the end: the input stays at its end.
            while True:
                yield FailedPreconditionError(
                    None, None, f"Input dataset was expected to contain {what} elements but "
                    f"contained {'at least' if 0 <= expected < n else 'only'} "
                    f"{n} elements.")
