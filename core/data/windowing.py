"""``Dataset.window`` (a dataset of datasets) and ``tf.data.experimental.dense_to_sparse_batch``.

A window's element is the input's structure with a DatasetSpec at each leaf; it travels as one
component per leaf, the list of that leaf's rows (flat tuples). Only a function of flat_map or
interleave takes such elements: each leaf is a Dataset argument reading its rows from the
context (core/data/function.py), so ``ds.window(3).flat_map(lambda w: w.batch(3))`` works.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import DataLossError, InvalidArgumentError
from ..graph import Tensor
from ..tensor_shape import TensorShape, as_shape
from . import structure as st
from .dataset_ops import _END, Dataset, _captured, _count_arg, _leaf_widths, attempt, failed

_ANY = -(2**63)  # no lower bound at construction: TF checks window arguments when they run


class Window(Dataset):
    """Windows of ``size`` elements ``stride`` apart, one starting every ``shift`` elements;
    the last ones may be shorter (dropped with ``drop_remainder``)."""

    def __init__(self, dataset, size, shift, stride, drop_remainder):
        self._size = _count_arg(size, "size", _ANY)
        self._shift = self._size if shift is None else _count_arg(shift, "shift", _ANY)
        self._stride = _count_arg(stride, "stride", _ANY)
        self._drop = drop_remainder
        structure = st.map_structure(st.DatasetSpec, dataset._structure)
        super().__init__(structure, (dataset,),
                         _captured([self._size, self._shift, self._stride, drop_remainder]))

    def _arguments(self, ctx):
        values = [ctx.int_value(x) for x in (self._size, self._shift, self._stride)]
        for value, what in zip(values, ("size", "shift", "stride")):
            if value <= 0:
                raise InvalidArgumentError(None, None, f"Window {what} must be greater than "
                                           "zero.")
        return values + [bool(np.asarray(ctx.value(self._drop)))]

    def _elements(self, ctx):
        size, shift, stride, drop = self._arguments(ctx)
        widths = _leaf_widths(self._inputs[0]._structure)
        it = self._inputs[0]._elements(ctx)
        kept: dict[int, tuple] = {}  # input index -> element, from the current window's start
        read, start, done = 0, 0, False
        while True:
            last = start + (size - 1) * stride
            while not done and read <= last:
                element = next(it, None)
                if element is None:
                    done = True
                    break
                if read >= start:
                    kept[read] = element
                read += 1
            window = [kept[i] for i in range(start, last + 1, stride) if i in kept]
            if not window or (drop and len(window) < size):
                return
            # A failed element keeps its place (TF buffers its status): a window holding one
            # fails; the elements the stride steps over do not matter.
            errors = [e for e in window if failed(e)]
            yield errors[0] if errors else _by_leaf(window, widths)
            start += shift
            kept = {i: e for i, e in kept.items() if i >= start}


def _by_leaf(window, widths) -> tuple:
    """One window as one component per leaf: the list of that leaf's rows."""
    out, k = [], 0
    for width in widths:
        out.append([tuple(e[k:k + width]) for e in window])
        k += width
    return tuple(out)


def window(self, size, shift=None, stride=1, drop_remainder=False) -> Dataset:
    """``Dataset.window``: a dataset of windows, each a nest (the element's structure) of
    datasets; flat_map or interleave over them, e.g. ``ds.window(3).flat_map(lambda w:
    w.batch(3))``."""
    return Window(self, size, shift, stride, drop_remainder)


class DenseToSparseBatch(Dataset):
    """Batches of ``batch_size`` elements of different shapes as one SparseTensor of dense
    shape [batch] + row_shape (a None dimension: the batch's largest)."""

    _drop = False  # for cardinality: the last, shorter batch is kept

    def __init__(self, dataset, batch_size, row_shape):
        spec = dataset._structure
        if not isinstance(spec, st.TensorSpec):
            raise TypeError(f"dense_to_sparse_batch(): the elements must be single tensors, got "
                            f"{st.describe(spec)}")
        self._size = _count_arg(batch_size, "batch_size", _ANY)
        # TF converts a list with as_shape, which refuses a negative dimension (-1 is "unknown"
        # only in a tensor row_shape).
        self._row = st.shape_arg(row_shape if isinstance(row_shape, (TensorShape, Tensor))
                                 or row_shape is None else as_shape(row_shape),
                                 "dense_to_sparse_batch()")
        if self._row.rank is None:
            raise ValueError("dense_to_sparse_batch(): row_shape must have a known rank")
        super().__init__(
            st.SparseTensorSpec(TensorShape([None]).concatenate(self._row), spec.dtype),
            (dataset,), _captured([self._size]))

    def _elements(self, ctx):
        size = ctx.int_value(self._size)
        if size <= 0:
            raise InvalidArgumentError(None, None, "Batch size must be greater than zero.")
        it = self._inputs[0]._elements(ctx)
        while True:
            group = []
            while len(group) < size:
                element = next(it, _END)
                if element is _END:
                    break
                if failed(element):  # the batch fails here: what it read is lost, as TF's
                    yield element
                    group = []
                else:
                    group.append(np.asarray(element[0]))
            if not group:
                return
            yield attempt(self._batch, group)

    def _batch(self, group):
        row = self._row.as_list()
        for x in group:
            if x.ndim != len(row):
                raise InvalidArgumentError(None, None, f"Input element had shape "
                                           f"({_text(x.shape)}) that is incompatible with the "
                                           f"row shape ({_text(row)}).")
            if any(d is not None and n > d for n, d in zip(x.shape, row)):
                raise DataLossError(None, None, f"Input element had shape ({_text(x.shape)}) "
                                    f"that is larger than the row shape ({_text(row)}).")
        dense = [len(group)] + [d if d is not None else max(x.shape[j] for x in group)
                                for j, d in enumerate(row)]
        indices = [np.concatenate([np.full((x.size, 1), b, np.int64),
                                   np.argwhere(np.ones(x.shape, bool)).astype(np.int64)], axis=1)
                   for b, x in enumerate(group)]
        values = np.concatenate([x.reshape(-1) for x in group])
        return (np.concatenate(indices).reshape(-1, len(dense)), values,
                np.array(dense, np.int64))


def _text(dims) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def dense_to_sparse_batch(batch_size, row_shape):
    """``tf.data.experimental.dense_to_sparse_batch``: a transformation for ``apply``."""
    if isinstance(batch_size, Tensor) and batch_size.dtype != _dt.int64:
        raise TypeError(f"batch_size must be a tf.int64 scalar, got {batch_size!r}")
    return lambda dataset: DenseToSparseBatch(dataset, batch_size, row_shape)
