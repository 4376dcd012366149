"""``tf.RaggedTensor``'s factories: from_row_splits, from_row_lengths, from_value_rowids,
from_uniform_row_length, the nested forms, from_tensor and from_sparse, with the row-partition
helpers they share.

They compose ordinary ops, as TF's do (and, with ``validate=True``, the run-time assertions TF
adds), and make up more than half of the class's code, so they live here, apart from what a
RaggedTensor is and does (core/ragged.py): they are classmethods of the mixin RaggedFactories,
which RaggedTensor subclasses, so ``tf.RaggedTensor.from_row_splits(...)`` is unchanged. The
RaggedTensor class is core/ragged.py's, which imports this module: this one imports it inside
functions."""

from __future__ import annotations

import builtins

import numpy as np

from . import dtypes as _dt
from .graph import Tensor, convert_to_tensor, name_scope
from .graph import constant_value as _static

__all__ = ["RaggedFactories"]


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
    from .ragged import RaggedTensor  # core/ragged.py imports this module

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
    from .ragged import RaggedTensor  # core/ragged.py imports this module

    if isinstance(values, RaggedTensor):
        return values.nrows(out_type=dtype)
    return array_ops.shape(values, out_type=dtype)[0]


class RaggedFactories:
    """RaggedTensor's base class, holding its factory classmethods: each builds ``cls(...)``
    (a RaggedTensor) from values and a row partition."""

    @classmethod
    def _from_splits(cls, values, splits, validate, **cached):
        """The RaggedTensor of ``values`` cut by ``splits``; with ``validate``, checks at run
        time that the splits end at the number of values (TF's _from_row_partition)."""
        from .ops.logging_ops import assert_equal
        from .ops.math_ops import cast
        from .ragged import RaggedTensor  # core/ragged.py imports this module

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
