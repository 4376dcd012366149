"""Sequence feature columns (TF 1.15's ``tf.contrib.feature_column``): columns whose examples
are sequences (a SparseTensor ``[batch, T]`` of values, or ``[batch, T * n]`` for ``n`` values
per step), turned by ``sequence_input_layer`` into a ``[batch, T, D]`` tensor and each
example's length, for an RNN.

A sequence categorical column wraps a categorical column, its ids reshaped to ``[batch, T, 1]``
so that ``embedding_column`` and ``indicator_column`` of it give one row per step instead of
combining the steps; those two columns are sequence dense columns (``_SequenceDenseColumn``,
registered as virtual subclasses) whose ``[batch, T, ...]`` tensor and lengths come from
``_sequence_dense_tensor`` here. ``_SequenceNumericColumn`` reads values densely per step."""

from __future__ import annotations

import abc
import collections


from .. import dtypes as _dt
from ..check_ops import assert_rank, assert_type
from ..default_graph import control_dependencies, name_scope
from ..ops import array_ops, concat_split_ops, math_ops, reduction_ops, transform_ops
from ..ops.logging_ops import assert_equal
from ..ops.parsing_ops import VarLenFeature
from ..ops.segment_ops import segment_max
from ..ops.unary_ops import ceil
from ..tensor_shape import TensorShape
from ..variables import variable_scope
from .categorical import (categorical_column_with_hash_bucket,
                          categorical_column_with_vocabulary_file,
                          categorical_column_with_vocabulary_list)
from .columns import (_check_numeric, _CategoricalColumn, _FeatureColumn, _LazyBuilder,
                      _register, categorical_column_with_identity)
from .dense import _EmbeddingLookup, _IndicatorColumn
from .layer import _normalize, _same_batch

__all__ = ["concatenate_context_input", "sequence_categorical_column_with_hash_bucket",
           "sequence_categorical_column_with_identity",
           "sequence_categorical_column_with_vocabulary_file",
           "sequence_categorical_column_with_vocabulary_list", "sequence_input_layer",
           "sequence_numeric_column"]


class _SequenceDenseColumn(_FeatureColumn, metaclass=abc.ABCMeta):
    """A column giving ``[batch, T] + _variable_shape`` and each example's length ``T_i``."""

    TensorSequenceLengthPair = collections.namedtuple(
        "TensorSequenceLengthPair", ["dense_tensor", "sequence_length"])

    @property
    def variable_shape(self):
        return self._variable_shape

    def get_sequence_dense_tensor(self, transformation_cache, state_manager=None):
        """TF's public protocol: ``(dense_tensor, sequence_length)`` from a
        FeatureTransformationCache (minitf's builder)."""
        self._check_state_manager(state_manager)
        return _sequence_dense_tensor(self, transformation_cache)


# TF 1.15's embedding and indicator columns are sequence dense columns too.
_SequenceDenseColumn.register(_EmbeddingLookup)
_SequenceDenseColumn.register(_IndicatorColumn)


def sequence_length_from_sparse_tensor(sp_tensor, num_elements=1):
    """``[batch]`` int64: per example, its last column index + 1, in steps of
    ``num_elements`` values (rounded up); 0 for examples without values."""
    with name_scope(None, "sequence_length") as scope:
        row_ids = sp_tensor.indices[:, 0]
        column_ids = sp_tensor.indices[:, 1]
        column_ids += array_ops.ones_like(column_ids)
        seq_length = segment_max(column_ids, segment_ids=row_ids)
        seq_length = math_ops.cast(ceil(seq_length / num_elements), _dt.int64)
        # The last rows without values have no segment: pad with zeros.
        n_pad = array_ops.shape(sp_tensor)[:1] - array_ops.shape(seq_length)[:1]
        padding = array_ops.zeros(n_pad, dtype=seq_length.dtype)
        return concat_split_ops.concat([seq_length, padding], axis=0, name=scope)


@_register()
class _SequenceCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "_SequenceCategoricalColumn", ["categorical_column"])):
    """A categorical column read as sequences: ids ``[batch, T, 1]``."""

    _parent_fields = ("categorical_column",)

    name = property(lambda self: self.categorical_column.name)
    _parse_example_spec = property(lambda self: self.categorical_column._parse_example_spec)
    _num_buckets = property(lambda self: self.categorical_column._num_buckets)

    def _transform_feature(self, inputs):
        return self.categorical_column._transform_feature(inputs)

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        from ..sparse import reshape

        pair = self.categorical_column._get_sparse_tensors(inputs)
        # A third dimension (the ids of one step), computed rather than -1 so that empty
        # sequences reshape too.
        shape = array_ops.shape(pair.id_tensor)
        target = concat_split_ops.stack(
            [shape[0], shape[1], reduction_ops.reduce_prod(shape[2:])])
        ids = reshape(pair.id_tensor, target)
        weights = None if pair.weight_tensor is None else reshape(pair.weight_tensor, target)
        return _CategoricalColumn.IdWeightPair(ids, weights)


@_register()
class _SequenceNumericColumn(_SequenceDenseColumn, collections.namedtuple(
        "_SequenceNumericColumn", ["key", "shape", "default_value", "dtype", "normalizer_fn"])):
    """``shape`` values per step, read from a SparseTensor ``[batch, T * n]``."""

    _parent_fields = ("key",)

    name = property(lambda self: self.key)
    _variable_shape = property(lambda self: TensorShape(list(self.shape)))

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(self.dtype)}

    def _transform_feature(self, inputs):
        value = inputs.get(self.key)
        return value if self.normalizer_fn is None else self.normalizer_fn(value)

    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        from ..sparse import to_dense

        sp = inputs.get(self)
        dense = to_dense(sp, default_value=self.default_value)
        # [batch, T] + shape
        dense = array_ops.reshape(dense, concat_split_ops.concat(
            [array_ops.shape(dense)[:1], [-1], list(self.shape)], axis=0))
        length = sequence_length_from_sparse_tensor(
            sp, num_elements=self._variable_shape.num_elements())
        return _SequenceDenseColumn.TensorSequenceLengthPair(dense, length)


def _not_sequence_error(column, kind):
    return ValueError(
        f"In {kind}: {column.name}. categorical_column must be of type "
        "_SequenceCategoricalColumn to use sequence_input_layer. Suggested fix: Use one of "
        f"sequence_categorical_column_with_*. Given (type {type(column.categorical_column)}): "
        f"{column.categorical_column}")


def _sequence_dense_tensor(column, inputs, weight_collections=None, trainable=None):
    """``column._get_sequence_dense_tensor``, for embedding and indicator columns too."""
    if isinstance(column, (_EmbeddingLookup, _IndicatorColumn)):
        kind = "embedding_column" if isinstance(column, _EmbeddingLookup) else \
            "indicator_column"
        if not isinstance(column.categorical_column, _SequenceCategoricalColumn):
            raise _not_sequence_error(column, kind)
        if kind == "embedding_column":
            dense = column._get_dense_tensor_internal(inputs, weight_collections, trainable)
        else:
            dense = inputs.get(column)  # the transform is the per-step multi-hot tensor
        ids = column.categorical_column._get_sparse_tensors(inputs).id_tensor
        return _SequenceDenseColumn.TensorSequenceLengthPair(
            dense, sequence_length_from_sparse_tensor(ids))
    return column._get_sequence_dense_tensor(inputs, weight_collections=weight_collections,
                                             trainable=trainable)


def _assert_all_equal_and_return(tensors, name=None):
    with name_scope(name, "assert_all_equal", tensors):
        if len(tensors) == 1:
            return tensors[0]
        checks = [assert_equal(tensors[0], t) for t in tensors[1:]]
        with control_dependencies(checks):
            return array_ops.identity(tensors[0])


def sequence_input_layer(features, feature_columns, weight_collections=None, trainable=True):
    """``(input_layer, sequence_length)``: the sequence dense columns' tensors for
    ``features``, each ``[batch, T, n]``, concatenated in the order of the columns' names
    into ``[batch, T, D]``; and the examples' lengths (int64 ``[batch]``, which must agree
    between the columns). Variables are made under ``sequence_input_layer/<column>/``."""
    columns = _normalize(feature_columns)
    for c in columns:
        if not isinstance(c, _SequenceDenseColumn):
            raise ValueError(
                "All feature_columns must be of type _SequenceDenseColumn. You can wrap a "
                "sequence_categorical_column with an embedding_column or indicator_column. "
                f"Given (type {type(c)}): {c}")
    with variable_scope(None, default_name="sequence_input_layer",
                        values=list(features.values())):
        builder = _LazyBuilder(features)
        outputs, lengths, ordered = [], [], sorted(columns, key=lambda c: c.name)
        for column in ordered:
            with variable_scope(None, default_name=column._var_scope_name):
                dense, length = _sequence_dense_tensor(
                    column, builder, weight_collections=weight_collections, trainable=trainable)
                # The step's values flattened: [batch, T, num_elements].
                n = column._variable_shape.num_elements()
                shape = array_ops.shape(dense)
                outputs.append(array_ops.reshape(dense, concat_split_ops.concat(
                    [shape[:2], [n]], axis=0)))
                lengths.append(length)
        _same_batch(outputs, ordered)
        _same_batch(lengths, ordered)
        length = _assert_all_equal_and_return(lengths)
        return concat_split_ops.concat(outputs, -1), length


def concatenate_context_input(context_input, sequence_input):
    """``sequence_input`` (float32 ``[batch, T, d0]``) with ``context_input`` (float32
    ``[batch, d1]``) repeated at every step appended: ``[batch, T, d0 + d1]``."""
    seq_rank_check = assert_rank(sequence_input, 3, message="sequence_input must have rank 3",
                                 data=[array_ops.shape(sequence_input)])
    seq_type_check = assert_type(
        sequence_input, _dt.float32,
        message=f"sequence_input must have dtype float32; got {sequence_input.dtype}.")
    ctx_rank_check = assert_rank(context_input, 2, message="context_input must have rank 2",
                                 data=[array_ops.shape(context_input)])
    ctx_type_check = assert_type(
        context_input, _dt.float32,
        message=f"context_input must have dtype float32; got {context_input.dtype}.")
    with control_dependencies([seq_rank_check, seq_type_check, ctx_rank_check,
                               ctx_type_check]):
        padded_length = array_ops.shape(sequence_input)[1]
        tiled = transform_ops.tile(transform_ops.expand_dims(context_input, 1),
                                   concat_split_ops.concat([[1], [padded_length], [1]], 0))
    return concat_split_ops.concat([sequence_input, tiled], 2)


# -- the columns ----------------------------------------------------------------------------------
def sequence_categorical_column_with_identity(key, num_buckets, default_value=None):
    """Sequences of integer ids in ``[0, num_buckets)`` (others become ``default_value``)."""
    return _SequenceCategoricalColumn(categorical_column_with_identity(
        key=key, num_buckets=num_buckets, default_value=default_value))


def sequence_categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=_dt.string):
    """Sequences of strings or integers hashed into ``hash_bucket_size`` ids."""
    return _SequenceCategoricalColumn(categorical_column_with_hash_bucket(
        key=key, hash_bucket_size=hash_bucket_size, dtype=dtype))


def sequence_categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None,
                                                     num_oov_buckets=0, default_value=None,
                                                     dtype=_dt.string):
    """Sequences of terms looked up in a vocabulary file (one term a line)."""
    return _SequenceCategoricalColumn(categorical_column_with_vocabulary_file(
        key=key, vocabulary_file=vocabulary_file, vocabulary_size=vocabulary_size,
        num_oov_buckets=num_oov_buckets, default_value=default_value, dtype=dtype))


def sequence_categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None,
                                                     default_value=-1, num_oov_buckets=0):
    """Sequences of terms looked up in ``vocabulary_list``."""
    return _SequenceCategoricalColumn(categorical_column_with_vocabulary_list(
        key=key, vocabulary_list=vocabulary_list, dtype=dtype, default_value=default_value,
        num_oov_buckets=num_oov_buckets))


def sequence_numeric_column(key, shape=(1,), default_value=0., dtype=_dt.float32,
                            normalizer_fn=None):
    """Sequences of ``shape`` numbers per step; ``default_value`` pads short sequences."""
    shape, dtype = _check_numeric(key, shape, dtype)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    return _SequenceNumericColumn(key, tuple(int(d) for d in shape), default_value, dtype,
                                  normalizer_fn)

