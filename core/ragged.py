"""``tf.RaggedTensor``, ``tf.RaggedTensorValue`` and the ``tf.ragged`` namespace.

A RaggedTensor is, as TensorFlow's, a composite: a ``values`` tensor (or a nested RaggedTensor)
cut into rows by an int64 (or int32) ``row_splits`` vector: row i is
``values[row_splits[i]:row_splits[i + 1]]``. It has no op of its own: its factories compose
ordinary ops (and, with ``validate=True``, the run-time assertions TF adds), ``to_tensor`` and
``to_sparse`` are TF's single ops (core/ragged_ops.py), and Session.run fetches it as a
RaggedTensorValue. Indexing and operator overloads are not provided: use ``values``,
``row_splits``, ``to_tensor`` or ``tf.ragged.map_flat_values``."""

from __future__ import annotations

import builtins

import numpy as np

from . import dtypes as _dt
from . import ragged_ops as _ops
from .graph import Tensor, convert_to_tensor, name_scope
from .graph import constant_value as _static
from .ragged_ops import (constant, constant_value, map_flat_values, range,  # noqa: A004
                         row_splits_to_segment_ids, segment_ids_to_row_splits)
from .tensor_shape import TensorShape

__all__ = ["RaggedTensor", "RaggedTensorValue", "constant", "constant_value", "map_flat_values",
           "range", "row_splits_to_segment_ids", "segment_ids_to_row_splits"]


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



_VALIDATE = "Argument `validate` must have type bool. Received {}."


def _check_validate(validate):
    if not isinstance(validate, bool):
        raise TypeError(_VALIDATE.format(validate))


def _partition(value, name, dtype=None) -> Tensor:
    """A row-partitioning tensor (splits, lengths, rowids...): int64 unless it is already an
    int32 tensor or array, as TF's _convert_row_partition."""
    if isinstance(value, np.ndarray) and value.dtype == np.int32 and dtype is None:
        t = convert_to_tensor(value, name=name)
    else:
        t = convert_to_tensor(value, dtype=dtype, name=name, preferred_dtype=_dt.int64)
    if t.dtype not in (_dt.int32, _dt.int64):
        raise ValueError(f"{name} must have dtype int32 or int64")
    return t


def _values(values):
    if isinstance(values, RaggedTensor):
        return values
    values = convert_to_tensor(values, name="values")
    values.shape.with_rank_at_least(1)
    return values


def _with_checks(checks, t):
    from .distributions_util import with_dependencies

    return with_dependencies(checks, t)


def _nrows(values, dtype) -> Tensor:
    from .ops import array_ops

    if isinstance(values, RaggedTensor):
        return values.nrows(out_type=dtype)
    return array_ops.shape(values, out_type=dtype)[0]


class RaggedTensor:
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

    # -- factories ---------------------------------------------------------------------------
    @classmethod
    def _from_splits(cls, values, splits, validate, **cached):
        """The RaggedTensor of ``values`` cut by ``splits``; with ``validate``, checks at run
        time that the splits end at the number of values (TF's _from_row_partition)."""
        from .ops.logging_ops import assert_equal
        from .ops.math_ops import cast

        if isinstance(values, RaggedTensor) and values.row_splits.dtype != splits.dtype:
            raise ValueError(f"Values RaggedTensor has row_splits of dtype "
                             f"{values.row_splits.dtype.name}, partition has "
                             f"{splits.dtype.name}; use with_row_splits_dtype()")
        if validate:
            from .check_ops import assert_rank_at_least

            msg = "Arguments to _from_row_partition do not form a valid RaggedTensor"
            checks = [assert_equal(cast(splits[-1], splits.dtype), _nrows(values, splits.dtype),
                                   message=msg)]
            if not isinstance(values, RaggedTensor):
                checks.append(assert_rank_at_least(values, 1))
            splits = _with_checks(checks, splits)
        return cls(values, splits, internal=True, **cached)

    @classmethod
    def from_row_splits(cls, values, row_splits, name=None, validate=True):
        """Row i is ``values[row_splits[i]:row_splits[i + 1]]``; row_splits starts at 0 and
        does not decrease (checked at run time when ``validate``)."""
        from .check_ops import assert_rank
        from .ops.logging_ops import assert_equal, assert_non_negative

        _check_validate(validate)
        if isinstance(row_splits, (list, tuple)) and not row_splits:
            raise ValueError("row_splits tensor may not be empty.")
        with name_scope(name, "RaggedFromRowSplits", [values, row_splits]):
            values = _values(values)
            with name_scope(None, "RowPartitionFromRowSplits", [row_splits]):
                splits = _partition(row_splits, "row_splits")
                splits.shape.assert_has_rank(1)
                if validate:
                    msg = "Arguments to from_row_splits do not form a valid RaggedTensor:"
                    zero = np.zeros((), splits.dtype.as_numpy_dtype)
                    splits = _with_checks([
                        assert_rank(splits, 1, message=msg + "rank"),
                        assert_equal(splits[0], zero, message=msg + "zero"),
                        assert_non_negative(splits[1:] - splits[:-1], message=msg + "monotonic"),
                    ], splits)
            return cls._from_splits(values, splits, validate)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, name=None, validate=True):
        """Row i holds the next ``row_lengths[i]`` values (non-negative)."""
        from .check_ops import assert_rank
        from .ops.logging_ops import assert_non_negative

        _check_validate(validate)
        with name_scope(name, "RaggedFromRowLengths", [values, row_lengths]):
            values = _values(values)
            with name_scope(None, "RowPartitionFromRowLengths", [row_lengths]):
                lengths = _partition(row_lengths, "row_lengths")
                lengths.shape.assert_has_rank(1)
                if validate:
                    msg = "Arguments to from_row_lengths do not form a valid RowPartition"
                    lengths = _with_checks([assert_rank(lengths, 1, message=msg),
                                            assert_non_negative(lengths, message=msg)], lengths)
                splits = _splits_from_lengths(lengths)
            return cls._from_splits(values, splits, validate, row_lengths=lengths)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, name=None, validate=True):
        """Value j belongs to row ``value_rowids[j]`` (sorted); ``nrows`` rows (one past
        the last id if None), so rows may be empty."""
        from .check_ops import assert_rank
        from .ops.logging_ops import assert_less, assert_non_negative

        _check_validate(validate)
        with name_scope(name, "RaggedFromValueRowIds", [values, value_rowids, nrows]):
            values = _values(values)
            with name_scope(None, "RowPartitionFromValueRowIds", [value_rowids, nrows]):
                rowids = _partition(value_rowids, "value_rowids")
                const_ids = _static(rowids)
                if nrows is None:
                    if const_ids is None:
                        from .ops.concat_split_ops import concat

                        minus_one = np.array([-1], rowids.dtype.as_numpy_dtype)
                        nrows = concat([rowids[-1:], minus_one], axis=0)[0] + 1
                        const_nrows = None
                    else:
                        const_nrows = int(const_ids[-1]) + 1 if const_ids.size else 0
                        nrows = convert_to_tensor(const_nrows, rowids.dtype, name="nrows")
                else:
                    nrows = convert_to_tensor(nrows, rowids.dtype, name="nrows")
                    const_nrows = _static(nrows)
                    if const_nrows is not None:
                        const_nrows = int(const_nrows)
                        if const_nrows < 0:
                            raise ValueError(f"Expected nrows >= 0; got {const_nrows}")
                        if const_ids is not None and const_ids.size and \
                                not const_nrows >= const_ids[-1] + 1:
                            raise ValueError(f"Expected nrows >= value_rowids[-1] + 1; got "
                                             f"nrows={const_nrows}, value_rowids[-1]="
                                             f"{const_ids[-1]}")
                rowids.shape.assert_has_rank(1)
                nrows.shape.assert_has_rank(0)
                if validate:
                    msg = "Arguments to from_value_rowids do not form a valid RowPartition"
                    rowids = _with_checks([
                        assert_rank(rowids, 1, message=msg), assert_rank(nrows, 0, message=msg),
                        assert_non_negative(rowids[:1], message=msg),
                        assert_non_negative(rowids[1:] - rowids[:-1], message=msg),
                        assert_less(rowids[-1:], nrows, message=msg)], rowids)
                lengths = _lengths_from_rowids(rowids, nrows)
                if const_nrows is not None:
                    lengths.set_shape([const_nrows])
                splits = _splits_from_lengths(lengths)
            return cls._from_splits(values, splits, validate, row_lengths=lengths,
                                    value_rowids=rowids, nrows=nrows)

    @classmethod
    def from_uniform_row_length(cls, values, uniform_row_length, nrows=None, validate=True,
                                name=None):
        """Rows of ``uniform_row_length`` values each (its static value shows in the shape,
        as TF's)."""
        from .ops import array_ops, math_ops
        from .ops.logging_ops import assert_equal, assert_non_negative

        _check_validate(validate)
        with name_scope(name, "RaggedFromUniformRowLength", [values, uniform_row_length, nrows]):
            values = _values(values)
            length = _partition(uniform_row_length, "uniform_row_length")
            length.shape.assert_has_rank(0)
            nvals = _nrows(values, length.dtype)
            const_length = _static(length)
            if nrows is None:
                if const_length is None:
                    nrows = nvals // math_ops.maximum(length, np.ones((), nvals.dtype._np))
                elif int(const_length) == 0:
                    nrows = convert_to_tensor(0, length.dtype, name="nrows")
                else:
                    nrows = nvals // int(const_length)
            else:
                nrows = convert_to_tensor(nrows, length.dtype, name="nrows")
            if validate:
                msg = "uniform_row_length must be >= 0."
                checks = [assert_non_negative(length, message=msg),
                          assert_equal(nvals, nrows * length, message="Arguments to "
                                       "from_uniform_row_length do not form a valid RaggedTensor")]
                length = _with_checks(checks, length)
            one = np.ones((), length.dtype.as_numpy_dtype)
            splits = array_ops.range_(nrows + one) * length
            const_nrows = _static(nrows)
            if const_nrows is not None:
                splits.set_shape([int(const_nrows) + 1])
            return cls(values, splits, internal=True, nrows=nrows,
                       uniform_row_length=None if const_length is None else int(const_length))

    @classmethod
    def from_nested_row_splits(cls, flat_values, nested_row_splits, name=None, validate=True):
        """``flat_values`` cut by each row_splits in turn, the outermost first."""
        _check_validate(validate)
        if isinstance(nested_row_splits, Tensor):
            raise TypeError(f"Argument `nested_row_splits` must be a list of Tensors. Received "
                            f"{nested_row_splits}.")
        with name_scope(name, "RaggedFromNestedRowSplits", [flat_values, *nested_row_splits]):
            result = flat_values
            for splits in reversed(nested_row_splits):
                result = cls.from_row_splits(result, splits, validate=validate)
            return result

    @classmethod
    def from_nested_row_lengths(cls, flat_values, nested_row_lengths, name=None, validate=True):
        """``flat_values`` cut by each row_lengths in turn, the outermost first."""
        _check_validate(validate)
        if isinstance(nested_row_lengths, Tensor):
            raise TypeError(f"Argument `nested_row_lengths` must be a list of Tensors. "
                            f"Received {nested_row_lengths}.")
        with name_scope(name, "RaggedFromNestedRowlengths", [flat_values, *nested_row_lengths]):
            result = flat_values
            for lengths in reversed(nested_row_lengths):
                result = cls.from_row_lengths(result, lengths, validate=validate)
            return result

    @classmethod
    def from_tensor(cls, tensor, lengths=None, padding=None, ragged_rank=1, name=None,
                    row_splits_dtype=_dt.int64):
        """The rows of a dense ``tensor`` (rank >= 2), cut to ``lengths`` (negative: 0), or
        with trailing ``padding`` values stripped; its first ``ragged_rank + 1`` axes become
        the ragged ones."""
        from .composites import boolean_mask, sequence_mask
        from .ops import array_ops, logic_ops, math_ops, reduction_ops

        splits_dtype = _dt.as_dtype(row_splits_dtype)
        if lengths is not None and padding is not None:
            raise ValueError("Specify argument `lengths` or `padding`, but not both.")
        if not isinstance(ragged_rank, int) or isinstance(ragged_rank, bool):
            raise TypeError(f"Argument `ragged_rank` must be an int. Received {ragged_rank}.")
        if ragged_rank <= 0:
            raise ValueError(f"Argument `ragged_rank` must be greater than 0. Received "
                             f"{ragged_rank}.")
        with name_scope(name, "RaggedFromTensor", [tensor, lengths, padding]):
            tensor = convert_to_tensor(tensor, name="tensor")
            if tensor.shape.rank is not None and tensor.shape.rank < 2:
                raise ValueError(f"The rank of a RaggedTensor must be greater than 1, i.e., a "
                                 f"list of scalars won't have ragged dimensions. Received "
                                 f"argument `tensor` with rank {tensor.shape.rank}.")
            tensor.shape.with_rank_at_least(ragged_rank + 1)
            input_shape = array_ops.shape(tensor, out_type=splits_dtype)
            ncols = input_shape[1]
            if isinstance(lengths, (list, tuple)) and lengths and \
                    not isinstance(lengths[0], (int, float)):
                if ragged_rank not in (1, len(lengths)):
                    raise ValueError(f"If Argument `lengths` is a tuple of row_lengths, "
                                     f"argument `ragged_rank` must be len(lengths): "
                                     f"{len(lengths)}. Received ragged_rank: {ragged_rank}.")
                tensor.shape.with_rank_at_least(len(lengths) + 1)
                tokens = reduction_ops.reduce_sum(lengths[-1])
                ones = array_ops.ones([tokens], dtype=_dt.bool)
                mask = cls.from_nested_row_lengths(ones, lengths, validate=False)
                kept = boolean_mask(tensor, mask.to_tensor(default_value=False))
                return cls.from_nested_row_lengths(kept, lengths, validate=False)
            if ragged_rank > 1:
                from .ops.concat_split_ops import concat
                from .ops.reduction_ops import cumprod

                if tensor.shape.is_fully_defined():
                    dims = tensor.shape.as_list()
                    dim_size = np.cumprod(dims)
                    new_shape = [int(dim_size[ragged_rank - 1])] + dims[ragged_rank:]
                else:
                    dim_size = cumprod(input_shape)
                    new_shape = concat([dim_size[ragged_rank - 1:ragged_rank],
                                        input_shape[ragged_rank:]], axis=0)
                flat = array_ops.reshape(tensor, new_shape)
                result = cls.from_tensor(flat, lengths, padding, row_splits_dtype=splits_dtype)
                for axis in builtins.range(ragged_rank - 1, 0, -1):
                    dim = tensor.shape[axis].value
                    dim = input_shape[axis] if dim is None else \
                        convert_to_tensor(dim, splits_dtype)
                    nrows = dim_size[axis - 1]
                    if not isinstance(nrows, Tensor):
                        nrows = convert_to_tensor(int(nrows), splits_dtype)
                    result = cls.from_uniform_row_length(result, dim, nrows=nrows,
                                                         validate=False)
                return result
            if padding is not None:
                padding = convert_to_tensor(padding, name="padding", dtype=tensor.dtype)
                padding.shape.assert_is_compatible_with(tensor.shape[2:])
                is_padding = logic_ops.equal(padding, tensor)
                rank = tensor.shape.rank
                if rank is None or rank > 2:
                    axes = list(builtins.range(2, rank)) if rank is not None else \
                        array_ops.range_(2, array_ops.rank(tensor))
                    is_padding = reduction_ops.reduce_all(is_padding, axis=axes)
                is_value = math_ops.cast(logic_ops.logical_not(is_padding), splits_dtype)
                one = np.ones((), splits_dtype.as_numpy_dtype)
                position = is_value * array_ops.range_(one, ncols + one)[None, :]
                lengths = reduction_ops.reduce_max(position, axis=1)
            if lengths is not None:
                lengths = _partition(lengths, "lengths", splits_dtype)
                lengths.shape.assert_has_rank(1)
                lengths = math_ops.maximum(math_ops.minimum(lengths, ncols),
                                           np.zeros((), splits_dtype.as_numpy_dtype))
                values = boolean_mask(tensor, sequence_mask(lengths, maxlen=ncols))
                return cls.from_row_splits(values, _splits_from_lengths(lengths),
                                           validate=False)
            from .ops.concat_split_ops import concat

            values = array_ops.reshape(tensor, concat(
                [input_shape[0:1] * input_shape[1:2], input_shape[2:]], axis=0))
            const_nrows, const_ncols = (tensor.shape[i].value for i in (0, 1))
            nrows = input_shape[0] if const_nrows is None else \
                convert_to_tensor(const_nrows, splits_dtype)
            ncols = ncols if const_ncols is None else convert_to_tensor(const_ncols, splits_dtype)
            return cls.from_uniform_row_length(values, ncols, nrows=nrows, validate=False)

    @classmethod
    def from_sparse(cls, st_input, name=None, row_splits_dtype=_dt.int64):
        """The rows of a 2-D SparseTensor whose indices are in row-major order with no gap
        in a row (checked at run time); each row ends at its last value."""
        from .ops import math_ops
        from .sparse_tensor import SparseTensor, is_sparse

        splits_dtype = _dt.as_dtype(row_splits_dtype)
        if not is_sparse(st_input):
            raise TypeError(f"Argument `st_input` must be of type SparseTensor, but is of type "
                            f"{type(st_input).__name__}.")
        with name_scope(name, "RaggedFromSparse", [st_input]):
            if not isinstance(st_input, SparseTensor):
                st_input = SparseTensor.from_value(st_input)
            rank_of_shape = st_input.dense_shape.shape[0].value \
                if st_input.dense_shape.shape.rank else None
            rank_of_indices = st_input.indices.shape[1].value \
                if st_input.indices.shape.rank == 2 else None
            if rank_of_shape != 2 and rank_of_indices != 2:
                raise ValueError("rank(st_input) must be 2.")
            from .graph import control_dependencies

            with control_dependencies(_assert_ragged_right(st_input.indices)):
                rowids = math_ops.cast(st_input.indices[:, 0], splits_dtype)
                nrows = math_ops.cast(st_input.dense_shape[0], splits_dtype)
                return cls.from_value_rowids(st_input.values, rowids, nrows, validate=False)

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


def _splits_from_lengths(lengths) -> Tensor:
    from .ops import array_ops
    from .ops.concat_split_ops import concat
    from .ops.reduction_ops import cumsum

    return concat([array_ops.zeros([1], lengths.dtype), cumsum(lengths)], axis=0)


def _lengths_from_rowids(rowids, nrows) -> Tensor:
    """How many values each of ``nrows`` rows has (TF counts with bincount, in int32)."""
    from .ops.count_ops import bincount
    from .ops.math_ops import cast

    ids32, n32 = cast(rowids, _dt.int32), cast(nrows, _dt.int32)
    return bincount(ids32, minlength=n32, maxlength=n32, dtype=rowids.dtype)


def _assert_ragged_right(indices) -> list:
    """TF's check that SparseTensor indices leave no gap in any row."""
    from .ops import logic_ops, reduction_ops
    from .ops.logging_ops import Assert

    prefix, suffix = indices[:, :-1], indices[:, -1]
    changed = reduction_ops.reduce_any(logic_ops.not_equal(prefix[1:], prefix[:-1]), axis=1)
    one = np.ones((), np.int64)
    ok = logic_ops.where(changed, logic_ops.equal(suffix[1:], 0),
                         logic_ops.equal(suffix[1:], suffix[:-1] + one))
    right = logic_ops.logical_and(reduction_ops.reduce_all(logic_ops.equal(suffix[:1], 0)),
                                  reduction_ops.reduce_all(ok))
    return [Assert(right, ["SparseTensor is not right-ragged", "SparseTensor.indices =",
                           indices])]


def is_ragged(value) -> bool:
    return isinstance(value, (RaggedTensor, RaggedTensorValue))


def _register_fetch():
    """Session.run fetches a RaggedTensor's values and row_splits and gives a
    RaggedTensorValue (nested values come back nested)."""
    from .session import register_fetch_composite

    register_fetch_composite(RaggedTensor, lambda rt: (rt.values, rt.row_splits),
                             lambda parts: RaggedTensorValue(*parts))


_register_fetch()
