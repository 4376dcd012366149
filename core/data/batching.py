"""Batching transformations: ``batch``, ``padded_batch`` and ``unbatch``.

A failed input element (its OpError, see dataset_ops.py) fails the batch it falls in, as in TF,
whose two kernels differ in what that batch loses: ``batch`` right after ``map`` runs as one
fused MapAndBatch (TF's default map_and_batch_fusion), which reads all its elements and then
fails, the next batch starting after them; any other batch (and padded_batch) fails at the
failed element, dropping the elements read before it, and the next batch starts right after
it. A batch whose elements do not stack fails alone too.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import DataLossError, InvalidArgumentError, OpError, OutOfRangeError
from ..graph import Tensor, constant_value, constant_value_as_shape
from ..type_spec_base import TensorSpec
from ..tensor_shape import TensorShape
from . import structure as st
from .dataset_ops import _END, Dataset, _captured, _count_arg, _dense_rows, _leaf_widths, \
    _Map, _rows_of, _sparse_rows, attempt, failed


class Batch(Dataset):
    def __init__(self, dataset, batch_size, drop_remainder):
        self._size = _count_arg(batch_size, "batch_size", 1)
        self._drop = bool(drop_remainder)
        dim = self._size if self._drop and isinstance(self._size, int) else None
        super().__init__(st.map_structure(lambda s: st.batched(s, dim), dataset._structure),
                         (dataset,), _captured([self._size]))

    def _groups(self, ctx):
        """The input's elements, ``size`` at a time, or the error of a batch that failed."""
        size = ctx.int_value(self._size)
        if size <= 0:
            raise InvalidArgumentError(None, None, f"batch_size must be greater than zero, got "
                                       f"{size}")
        fused = type(self) is Batch and type(self._inputs[0]) is _Map and \
            ctx.fuse_map_and_batch
        it = self._inputs[0]._results(ctx) if fused else self._inputs[0]._elements(ctx)
        while True:
            group, error, read = [], None, 0
            while read < size:
                element = next(it, _END)
                if element is _END:
                    break
                if not isinstance(element, OpError):  # failed(), inline: per element
                    if error is None:
                        group.append(element)
                elif fused:
                    error = error or element
                else:
                    yield element  # the batch fails here: what it read is lost
                    group, read = [], 0
                    continue
                read += 1
            if error is not None:
                # The map function's OutOfRange ends a fused batch there, as TF1's MapAndBatch:
                # the elements before it are the batch (dropped when short and drop_remainder);
                # with none the batch is an end of sequence for this get_next only: where the
                # iterator reads it (ctx.ends_passed, see Dataset._start) the data goes on after
                # it, any other stage reading it ends.
                if not isinstance(error, OutOfRangeError):
                    yield error
                elif group and not self._drop:
                    yield group
                elif id(self) in ctx.root.ends_passed:
                    yield error
                else:
                    return
                continue
            if not group or (self._drop and len(group) < size):
                return
            yield group

    def _elements(self, ctx):
        widths = _leaf_widths(self._inputs[0]._structure)
        for group in self._groups(ctx):
            yield group if failed(group) else attempt(self._batch, group, widths)

    @staticmethod
    def _batch(group, widths) -> tuple:
        out, k = [], 0
        for leaf, width in enumerate(widths):
            if width == 3:
                out.extend(_batch_sparse([e[k:k + 3] for e in group], leaf))
            else:
                out.append(_stack([e[k] for e in group], k))
            k += width
        return tuple(out)


def _batch_sparse(parts, leaf):
    """SparseTensors of one rank as one, a batch dimension first: each entry's index gets its
    element's position in front; the dense shape is the largest of theirs in each dimension,
    as TF batches them."""
    ranks = {len(shape) for _, _, shape in parts}
    if len(ranks) > 1:
        raise InvalidArgumentError(None, None, f"Cannot batch SparseTensors of different ranks "
                                   f"in component {leaf}: {sorted(ranks)}")
    indices = np.concatenate([np.concatenate([np.full((len(i), 1), b, np.int64), i], axis=1)
                              for b, (i, _, _) in enumerate(parts)])
    values = np.concatenate([v for _, v, _ in parts])
    shape = np.concatenate([[len(parts)], np.max([s for _, _, s in parts], axis=0)]).astype(
        np.int64)
    return indices, values, shape


def _stack(values, component) -> np.ndarray:
    first = np.shape(values[0])
    for j, v in enumerate(values):
        if np.shape(v) != first:
            raise InvalidArgumentError(
                None, None, f"Cannot batch tensors with different shapes in component "
                f"{component}. First element had shape {list(first)} and element {j} had shape "
                f"{list(np.shape(v))}.")
    if isinstance(values[0], (bytes, str)) or np.asarray(values[0]).dtype.kind in "OSU":
        # Strings stay an object array of bytes (np.stack would make them fixed-width).
        out = np.empty((len(values), *first), dtype=object)
        for j, v in enumerate(values):
            out[j, ...] = v
        flat = out.reshape(-1)
        flat[:] = [x.encode() if isinstance(x, str) else bytes(x) for x in flat]
        return out
    return np.stack(values)


def _padded_shape(value, spec) -> TensorShape | Tensor:
    """A padded shape: a TensorShape, a list (None or -1 for "the longest"), an int (one
    dimension, as TF's TensorShape(4)), or an int64 vector tensor (by value if constant, else
    read when the iterator starts)."""
    if isinstance(value, Tensor):
        if value.dtype != _dt.int64 or value.shape.rank not in (None, 1):
            raise TypeError(f"Padded shape {value!r} must be a `tf.int64` vector tensor, but "
                            f"its element type was {value.dtype.name}.")
        known = constant_value(value)
        if known is None:
            return value
        value = known
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = [value]
    if value is None and spec.shape.rank is None:
        raise ValueError("Dataset.padded_batch(): padded_shapes is needed for a component of "
                         "unknown rank")
    return spec.shape if value is None else st.shape_arg(value, "Dataset.padded_batch()")


def _padding_value(value, spec):
    """A scalar of the component's dtype exactly, as TF checks it (a Python int is an int32
    and does not pad an int64 component); a non-constant tensor is read when the iterator
    starts."""
    if value is None:
        return np.array(b"" if spec.dtype is _dt.string else 0, dtype=object if
                        spec.dtype is _dt.string else spec.dtype.as_numpy_dtype)
    known = value
    if isinstance(value, Tensor):
        got, shape, known = value.dtype, value.shape, constant_value(value)
    else:
        known = st.normalize(value, "Dataset.padded_batch() padding_values")
        if isinstance(known, Tensor):
            return _padding_value(known, spec)
        got, shape = st.string_or_numpy_dtype(known), TensorShape(known.shape)
    if not shape.is_compatible_with(TensorShape([])):
        raise ValueError(f"Invalid `padding_values`. `padding_values` values should be "
                         f"scalars, but got {shape}.")
    if got != spec.dtype:
        raise TypeError(f"Invalid `padding_values`. `padding_values` values type <dtype: "
                        f"'{got.name}'> does not match type <dtype: '{spec.dtype.name}'> of the "
                        "corresponding input component.")
    return value if known is None else st.as_component(known, spec)


class PaddedBatch(Batch):
    def __init__(self, dataset, batch_size, padded_shapes, padding_values, drop_remainder):
        if any(isinstance(s, st.SparseTensorSpec) for s in st.flatten(dataset._structure)):
            raise TypeError("Dataset.padded_batch() does not support SparseTensor components "
                            "(as TF); use batch(), which batches them")
        specs = dataset._specs()

        def per_component(value, what):
            if value is None:
                return [None] * len(specs)
            if not st.is_nest(dataset._structure) and isinstance(value, Tensor):
                return [value]  # one tensor for the one component
            return st.flatten_up_to(dataset._structure, value, what)

        shapes = [_padded_shape(v, s) for v, s in
                  zip(per_component(padded_shapes, "padded_shapes"), specs)]
        static = []
        for s, p in zip(specs, shapes):
            if isinstance(p, Tensor):  # what it is known to hold, as TF: stack([n, 2]) is (?, 2)
                p = constant_value_as_shape(p)
            elif p.rank is None:
                raise ValueError(f"Dataset.padded_batch(): padded shape {p} must have a known "
                                 "rank")
            if not p.is_compatible_with(s.shape) and not (
                    s.shape.rank == p.rank and all(a is None or b is None or a <= b for a, b in
                                                   zip(s.shape.as_list(), p.as_list()))):
                raise ValueError(f"Dataset.padded_batch(): the padded shape {p} is not "
                                 f"compatible with the component shape {s.shape}")
            static.append(p)
        self._pad_shapes = shapes
        self._pads = [_padding_value(v, s) for v, s in
                      zip(per_component(padding_values, "padding_values"), specs)]
        super().__init__(dataset, batch_size, drop_remainder)
        self._own_captures += tuple(_captured(shapes + self._pads))
        dim = self._size if self._drop and isinstance(self._size, int) else None
        self._structure = st.pack(dataset._structure, [
            TensorSpec(TensorShape([dim]).concatenate(p), s.dtype) for p, s in zip(static, specs)])

    def _elements(self, ctx):
        specs = self._inputs[0]._specs()
        targets = [[None if d < 0 else int(d) for d in np.asarray(ctx.value(p)).reshape(-1)]
                   if isinstance(p, Tensor) else p.as_list() for p in self._pad_shapes]
        pads = [st.as_component(ctx.value(v), s) for v, s in zip(self._pads, specs)]
        for group in self._groups(ctx):
            yield group if failed(group) else attempt(self._padded, group, targets, pads)

    def _padded(self, group, targets, pads) -> tuple:
        return tuple(self._pad(k, [e[k] for e in group], targets[k], pads[k])
                     for k in range(len(group[0])))

    def _pad(self, k, values, target, pad) -> np.ndarray:
        for v in values:
            if np.ndim(v) != len(target):
                raise InvalidArgumentError(
                    None, None, f"Dataset.padded_batch(): component {k} has rank {np.ndim(v)}, "
                    f"its padded shape {target} has rank {len(target)}")
        dims = []
        for d, want in enumerate(target):
            longest = max(np.shape(v)[d] for v in values)
            if want is not None and longest > want:
                raise DataLossError(  # TF's kernel's code for it
                    None, None, f"Attempted to pad to a smaller size than the input element: "
                    f"component {k} has size {longest} in dimension {d}, padded shape {target}")
            dims.append(longest if want is None else want)
        out = np.full([len(values), *dims], pad, dtype=pad.dtype)
        for i, v in enumerate(values):
            # The trailing ... keeps a view even for a scalar: out[i] = v would store a 0-d
            # string (object) array itself as the element, not the bytes it holds.
            out[(i, *(slice(0, n) for n in np.shape(v)), ...)] = v
        return out


class Unbatch(Dataset):
    def __init__(self, dataset):
        super().__init__(st.map_structure(lambda s: st.unbatched(s, "Dataset.unbatch()"),
                                          dataset._structure), (dataset,))

    def _elements(self, ctx):
        widths = _leaf_widths(self._inputs[0]._structure)
        for element in self._inputs[0]._elements(ctx):
            rows = element if failed(element) else attempt(self._rows, element, widths)
            if failed(rows):
                yield rows
            else:
                yield from rows

    @staticmethod
    def _rows(element, widths) -> list:
        slicers, k = [], 0
        for width in widths:
            if width == 1 and np.ndim(element[k]) == 0:  # (a static shape may be unknown)
                raise InvalidArgumentError(None, None, "Input element must have a non-scalar "
                                           "value in each component.")
            slicers.append(_sparse_rows(*element[k:k + 3]) if width == 3 else
                           _dense_rows(element[k]))
            k += width
        return list(_rows_of(slicers, "Dataset.unbatch(): the components of an element"))


