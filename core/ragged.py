"""``tf.RaggedTensor``, ``tf.RaggedTensorValue`` and the ``tf.ragged`` namespace.

A RaggedTensor is, as TensorFlow's, a composite: a ``values`` tensor (or a nested RaggedTensor)
cut into rows by an int64 (or int32) ``row_splits`` vector: row i is
``values[row_splits[i]:row_splits[i + 1]]``. It has no op of its own: its factories
(core/ragged_factories.py) compose ordinary ops (and, with ``validate=True``, the run-time
assertions TF adds), ``to_tensor`` and ``to_sparse`` are TF's single ops (core/ragged_ops.py),
and Session.run fetches it as a RaggedTensorValue and feeds one to its flat values and row
splits (``tf.ragged.placeholder`` makes those placeholders). The elementwise ops and Python
operators take one (core/ragged_dispatch.py) and keep its row partitions; indexing is not
provided: use ``values``, ``row_splits``, ``to_tensor`` or ``tf.ragged.map_flat_values``."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from . import dtypes as _dt
from . import ragged_dispatch as _dispatch
from . import ragged_factories as _factories
from . import ragged_ops as _ops
from .graph import Tensor, convert_to_tensor, name_scope
from .ragged_constant import constant, constant_value
from .ragged_factories import _values
from .ragged_ops import map_flat_values, range, row_splits_to_segment_ids  # noqa: A004
from .ragged_ops import segment_ids_to_row_splits
from .tensor_shape import TensorShape

__all__ = ["RaggedTensor", "RaggedTensorValue", "constant", "constant_value", "map_flat_values",
           "placeholder", "range", "row_splits_to_segment_ids", "segment_ids_to_row_splits"]


class RaggedTensorValue:
    """What Session.run gives for a fetched RaggedTensor: numpy ``values`` (or a nested
    RaggedTensorValue) and ``row_splits``, as TF1's."""

    def __init__(self, values, row_splits):
        if not (isinstance(row_splits, (np.ndarray, np.generic)) and
                row_splits.dtype in (np.int64, np.int32) and row_splits.ndim == 1):
            raise TypeError("row_splits must be a 1D int32 or int64 numpy array")
        if not isinstance(values, (np.ndarray, np.generic, RaggedTensorValue)):
            raise TypeError("values must be a numpy array or a RaggedTensorValue")
        if isinstance(values, RaggedTensorValue) and row_splits.dtype != values.row_splits.dtype:
            raise ValueError("row_splits and values.row_splits must have the same dtype")
        self._values, self._row_splits = values, row_splits

    values = property(lambda self: self._values)
    row_splits = property(lambda self: self._row_splits)
    dtype = property(lambda self: self._values.dtype)

    @property
    def flat_values(self):
        v = self._values
        while isinstance(v, RaggedTensorValue):
            v = v.values
        return v

    @property
    def nested_row_splits(self) -> tuple:
        out, v = [self._row_splits], self._values
        while isinstance(v, RaggedTensorValue):
            out.append(v.row_splits)
            v = v.values
        return tuple(out)

    @property
    def ragged_rank(self) -> int:
        return self._values.ragged_rank + 1 if isinstance(self._values, RaggedTensorValue) else 1

    @property
    def shape(self) -> tuple:
        return (self._row_splits.shape[0] - 1, None) + self._values.shape[1:]

    def to_list(self) -> list:
        """The value as a nested Python list."""
        inner = self._values.to_list() if isinstance(self._values, RaggedTensorValue) else \
            self._values.tolist()
        s = self._row_splits
        return [inner[s[i]:s[i + 1]] for i in builtins.range(len(s) - 1)]

    def __str__(self):
        return f"<tf.RaggedTensorValue {self.to_list()}>"

    def __repr__(self):
        return f"tf.RaggedTensorValue(values={self._values!r}, row_splits={self._row_splits!r})"


class RaggedTensor(_factories.RaggedFactories):
    """Rows of different lengths: row i of ``values`` is ``values[row_splits[i]:row_splits[i
    + 1]]``. Build one with a factory (``from_row_splits``, ``from_tensor``...)."""

    def __init__(self, values, row_splits, internal=False, row_lengths=None,
                 value_rowids=None, nrows=None, uniform_row_length=None):
        if not internal:
            raise ValueError("RaggedTensor constructor is private; please use one of the "
                             "factory methods instead (e.g., RaggedTensor.from_row_lengths())")
        if isinstance(values, RaggedTensor) and values.row_splits.dtype != row_splits.dtype:
            raise ValueError(f"dtype mismatch: values' row_splits are "
                             f"{values.row_splits.dtype.name}, row_splits "
                             f"{row_splits.dtype.name}; use with_row_splits_dtype()")
        self._values, self._row_splits = values, row_splits
        self._row_lengths, self._value_rowids, self._nrows = row_lengths, value_rowids, nrows
        self._uniform = uniform_row_length  # a static row length, shown in the shape

    # -- factories: from_row_splits, from_tensor... are the classmethods of its base class,
    # RaggedFactories (core/ragged_factories.py).

    # -- properties ---------------------------------------------------------------------------
    values = property(lambda self: self._values, doc="The concatenated rows.")
    row_splits = property(lambda self: self._row_splits, doc="Where each row starts and ends.")
    dtype = property(lambda self: self._values.dtype)

    @property
    def flat_values(self) -> Tensor:
        v = self._values
        while isinstance(v, RaggedTensor):
            v = v.values
        return v

    @property
    def nested_row_splits(self) -> tuple:
        out, v = [self._row_splits], self._values
        while isinstance(v, RaggedTensor):
            out.append(v.row_splits)
            v = v.values
        return tuple(out)

    @property
    def ragged_rank(self) -> int:
        return self._values.ragged_rank + 1 if isinstance(self._values, RaggedTensor) else 1

    @property
    def shape(self) -> TensorShape:
        """[nrows, (row length), inner...]: a ragged axis is None unless its rows are of a
        known uniform length."""
        n = self._row_splits.shape[0].value if self._row_splits.shape.rank == 1 else None
        return TensorShape([None if n is None else n - 1, self._uniform]).concatenate(
            self._values.shape[1:])

    def get_shape(self) -> TensorShape:
        return self.shape

    # -- row partition ------------------------------------------------------------------------
    def row_lengths(self, axis=1, name=None) -> Tensor | RaggedTensor:
        """The length of each row (along ``axis``; ragged when ``axis`` > 1)."""
        from .ops import array_ops

        rank = self.shape.rank
        if rank is not None and not -rank <= axis < rank:
            raise ValueError(f"axis={axis} out of bounds: expected {-rank}<=axis<{rank}")
        axis = axis % rank if rank is not None else axis
        if axis == 0:
            return self.nrows()
        with name_scope(name, "RaggedRowLengths", [self]):
            if axis == 1:
                if self._row_lengths is not None:
                    return self._row_lengths
                return self._row_splits[1:] - self._row_splits[:-1]
            if isinstance(self._values, RaggedTensor):
                return self.with_values(self._values.row_lengths(axis - 1))
            shape = array_ops.shape(self._values, out_type=self._row_splits.dtype)
            return self.with_values(array_ops.ones(shape[:axis - 1], self._row_splits.dtype) *
                                    shape[axis - 1])

    def nrows(self, out_type=None, name=None) -> Tensor:
        """The number of rows."""
        from .ops import array_ops, math_ops

        with name_scope(name, "RaggedNRows", [self]):
            n = self._nrows if self._nrows is not None else \
                array_ops.shape(self._row_splits, out_type=self._row_splits.dtype)[0] - 1
            return n if out_type is None or _dt.as_dtype(out_type) == n.dtype else \
                math_ops.cast(n, out_type)

    def value_rowids(self, name=None) -> Tensor:
        """The row of each value: ``[0, 0, 2]`` for row_splits ``[0, 2, 2, 3]``."""
        if self._value_rowids is not None:
            return self._value_rowids
        with name_scope(name, "RaggedValueRowIds", [self]):
            return row_splits_to_segment_ids(self._row_splits)

    def bounding_shape(self, axis=None, name=None, out_type=None) -> Tensor:
        """The smallest dense shape holding every row: [nrows, longest row..., inner...]."""
        from .ops import array_ops, math_ops, reduction_ops
        from .ops.concat_split_ops import concat, stack
        from .ops.gather_ops import gather

        out_type = self._row_splits.dtype if out_type is None else _dt.as_dtype(out_type)
        with name_scope(name, "RaggedBoundingBox", [self, axis]):
            zero = np.zeros((), self._row_splits.dtype.as_numpy_dtype)
            dims = [array_ops.shape(self._row_splits, out_type=self._row_splits.dtype)[0] - 1] + [
                math_ops.maximum(reduction_ops.reduce_max(s[1:] - s[:-1]), zero)
                for s in self.nested_row_splits]
            if out_type != self._row_splits.dtype:
                dims = [math_ops.cast(d, out_type) for d in dims]
            inner = array_ops.shape(self.flat_values, out_type=out_type)[1:]
            box = concat([stack(dims), inner], axis=0)
            return box if axis is None else gather(box, axis)

    # -- new tensors from this one -----------------------------------------------------------
    def with_values(self, new_values) -> RaggedTensor:
        """These row partitions over ``new_values`` (as many rows as ``values``)."""
        new_values = _values(new_values)
        self._values.shape[:1].assert_is_compatible_with(new_values.shape[:1])
        if isinstance(new_values, RaggedTensor) and \
                new_values.row_splits.dtype != self._row_splits.dtype:
            raise ValueError("self and new_values have mismatched row_splits dtypes; use "
                             "RaggedTensor.with_row_splits_dtype() to convert them to "
                             "compatible dtypes.")
        return RaggedTensor(new_values, self._row_splits, internal=True,
                            row_lengths=self._row_lengths, value_rowids=self._value_rowids,
                            nrows=self._nrows, uniform_row_length=self._uniform)

    def with_flat_values(self, new_values) -> RaggedTensor:
        """These nested row partitions over ``new_values`` (as many rows as flat_values)."""
        if isinstance(self._values, RaggedTensor):
            return self.with_values(self._values.with_flat_values(new_values))
        return self.with_values(new_values)

    def with_row_splits_dtype(self, dtype) -> RaggedTensor:
        """This tensor with int32 or int64 row partitions."""
        from .ops.math_ops import cast

        dtype = _dt.as_dtype(dtype)
        if dtype not in (_dt.int32, _dt.int64):
            raise ValueError(f"Argument `row_splits` dtype must be int32 or int64. Received "
                             f"{dtype}.")
        if self._row_splits.dtype == dtype:
            return self
        values = self._values.with_row_splits_dtype(dtype) \
            if isinstance(self._values, RaggedTensor) else self._values
        recast = (lambda t: None if t is None or t.dtype == dtype else cast(t, dtype))
        return RaggedTensor(values, cast(self._row_splits, dtype), internal=True,
                            row_lengths=recast(self._row_lengths),
                            value_rowids=recast(self._value_rowids), nrows=recast(self._nrows),
                            uniform_row_length=self._uniform)

    def to_tensor(self, default_value=None, name=None, shape=None) -> Tensor:
        """The dense tensor: rows padded with ``default_value`` (zero or empty) to the
        longest, or padded or cut to ``shape`` (None dims: the longest)."""
        from .ops.array_ops import constant as dense_constant

        with name_scope(name, "RaggedToTensor", [self, default_value, shape]):
            if default_value is not None:
                default_value = convert_to_tensor(default_value, name="default_value",
                                                  dtype=self.dtype)
            else:
                zero = b"" if self.dtype == _dt.string else False if self.dtype == _dt.bool \
                    else 0
                default_value = dense_constant(zero, dtype=self.dtype, name="zeros")
            splits_dtype = self._row_splits.dtype
            if isinstance(shape, (list, tuple)) and any(isinstance(d, Tensor) for d in shape) \
                    and all(isinstance(d, (int, Tensor)) for d in shape):
                from .ops.concat_split_ops import stack  # [4, n]: a shape tensor, as TF's
                from .ops.math_ops import cast

                # Each entry cast before the stack, so static shapes read it: (4, ?).
                shape = stack([cast(d, splits_dtype) if isinstance(d, Tensor) and
                               d.dtype != splits_dtype else d for d in shape])
            if isinstance(shape, Tensor):
                from .ops.math_ops import cast

                shape_t = shape if shape.dtype == splits_dtype else cast(shape, splits_dtype)
            elif shape is None or TensorShape(shape).rank is None:
                shape_t = convert_to_tensor(-1, splits_dtype, name="shape")
            else:
                shape_t = convert_to_tensor([-1 if d is None else d for d in
                                             TensorShape(shape).as_list()], splits_dtype,
                                            name="shape")
            splits = list(self.nested_row_splits)
            out = _ops.RAGGED_TENSOR_TO_TENSOR(shape_t, self.flat_values, default_value,
                                               splits, row_partition_types=["ROW_SPLITS"] *
                                               len(splits), name="RaggedTensorToTensor")
            mine = self.shape
            if mine.rank is not None and not isinstance(shape, Tensor):
                given = TensorShape(shape)
                out.set_shape(mine if given.rank is None else
                              [a if a is not None else b for a, b in
                               zip(given.as_list(), mine.as_list())])
            return out

    def to_sparse(self, name=None):
        """The SparseTensor of the values at their (row, column...) indices."""
        from .sparse_tensor import SparseTensor

        with name_scope(name, "RaggedToSparse", [self]):
            indices, values, dense_shape = _ops.RAGGED_TENSOR_TO_SPARSE(
                list(self.nested_row_splits), self.flat_values, name="RaggedTensorToSparse")
            return SparseTensor(indices, values, dense_shape)

    def to_list(self):
        raise ValueError("to_list can only be used in eager mode.")

    def __repr__(self):
        return f"tf.RaggedTensor(values={self._values}, row_splits={self._row_splits})"

    __str__ = __repr__

    def __bool__(self):
        raise TypeError("Using a RaggedTensor as a Python `bool` is not allowed.")


def is_ragged(value) -> bool:
    return isinstance(value, (RaggedTensor, RaggedTensorValue))


def placeholder(dtype, ragged_rank, value_shape=None, name=None) -> RaggedTensor | Tensor:
    """``tf.ragged.placeholder`` (TF1): a RaggedTensor to feed a RaggedTensorValue, made of
    placeholders, as TF's: ``flat_values`` of shape ``[None] + value_shape`` and an int64
    ``row_splits_<i>`` per ragged dimension (unchecked, as TF's). ``ragged_rank`` 0: a plain
    placeholder of shape ``value_shape``."""
    from .ops.array_ops import placeholder as dense_placeholder

    try:
        ragged_rank = operator.index(ragged_rank)
    except TypeError:
        raise TypeError(f"Argument `ragged_rank` must be an int. Received {ragged_rank}.") \
            from None
    if ragged_rank < 0:
        raise ValueError(f"Argument `ragged_rank` must be >= 0. Received {ragged_rank}.")
    if ragged_rank == 0:
        return dense_placeholder(dtype, value_shape, name)
    with name_scope(name, "RaggedPlaceholder", []):
        result = dense_placeholder(dtype, TensorShape([None]).concatenate(value_shape),
                                   "flat_values")
        for i in reversed(builtins.range(ragged_rank)):
            splits = dense_placeholder(_dt.int64, [None], f"row_splits_{i}")
            result = RaggedTensor.from_row_splits(result, splits, validate=False)
        return result


def _ragged_feed(key: RaggedTensor, value) -> tuple:
    """A RaggedTensor's feed, as TF1 reads it: the ``flat_values`` and ``nested_row_splits`` of
    a RaggedTensorValue of the same ragged_rank (TF would zip a deeper one short)."""
    if not (hasattr(value, "flat_values") and hasattr(value, "nested_row_splits")):
        raise TypeError(f"The value of a RaggedTensor feed must be a RaggedTensorValue (e.g. "
                        f"from tf.ragged.constant_value), got {_short(value)} for {key!r}")
    splits = tuple(value.nested_row_splits)
    if len(splits) != key.ragged_rank:
        raise ValueError(f"Cannot feed a RaggedTensorValue of ragged_rank {len(splits)} for "
                         f"a RaggedTensor of ragged_rank {key.ragged_rank}: {key!r}")
    return (value.flat_values, *splits)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _register_session():
    """Session.run fetches a RaggedTensor's values and row_splits and gives a
    RaggedTensorValue (nested values come back nested); a feed of one feeds its flat_values
    and each row_splits."""
    from .session import register_feed_composite, register_fetch_composite

    register_fetch_composite(RaggedTensor, lambda rt: (rt.values, rt.row_splits),
                             lambda parts: RaggedTensorValue(*parts))
    register_feed_composite(RaggedTensor, lambda rt: (rt.flat_values, *rt.nested_row_splits),
                            _ragged_feed)


_register_session()
_dispatch.register_ragged_type(RaggedTensor)


def _install_operators():
    """TF's ragged_operators: the elementwise functions (dispatched to the flat values); ``&``,
    ``|``, ``^`` and ``~`` are the logical ops only (an int RaggedTensor is refused, as in TF).
    ``==``/``!=`` stay identity comparisons and the class stays hashable, as TF1's Tensor."""
    from .ops import logic_ops, math_ops, unary_ops

    binary = {"add": math_ops.add, "sub": math_ops.subtract, "mul": math_ops.multiply,
              "truediv": math_ops.truediv, "floordiv": math_ops.floordiv,
              "mod": math_ops.floormod, "pow": math_ops.pow, "and": logic_ops.logical_and,
              "or": logic_ops.logical_or, "xor": logic_ops.logical_xor}
    for name, fn in binary.items():
        setattr(RaggedTensor, f"__{name}__", lambda self, other, fn=fn: fn(self, other))
        setattr(RaggedTensor, f"__r{name}__", lambda self, other, fn=fn: fn(other, self))
    for name, fn in {"lt": logic_ops.less, "le": logic_ops.less_equal, "gt": logic_ops.greater,
                     "ge": logic_ops.greater_equal}.items():
        setattr(RaggedTensor, f"__{name}__", lambda self, other, fn=fn: fn(self, other))
    RaggedTensor.__neg__ = lambda self: unary_ops.negative(self)
    RaggedTensor.__abs__ = lambda self: unary_ops.abs(self)
    RaggedTensor.__invert__ = lambda self: logic_ops.logical_not(self)


_install_operators()
