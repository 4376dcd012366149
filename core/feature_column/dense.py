"""Dense views of categorical columns: indicator (multi-hot counts or summed weights) and
embedding (a trainable ``[num_buckets, dimension]`` table combined per example)."""

from __future__ import annotations

import collections
import math

from .. import dtypes as _dt
from ..graph import GraphKeys
from ..ops import gather_ops, reduction_ops, transform_ops
from .columns import _CategoricalColumn, _DenseColumn, _shape


def _not_a_sequence(column, kind):
    """TF's error for a sequence column (feature_column/sequence.py) given to input_layer."""
    from .sequence import _SequenceCategoricalColumn

    if isinstance(column.categorical_column, _SequenceCategoricalColumn):
        raise ValueError(
            f"In {kind}: {column.name}. categorical_column must not be of type "
            "_SequenceCategoricalColumn. Suggested fix A: If you wish to use input_layer, use a "
            "non-sequence categorical_column_with_*. Suggested fix B: If you wish to create "
            "sequence input, use sequence_input_layer instead of input_layer. Given (type "
            f"{type(column.categorical_column)}): {column.categorical_column}")


class _IndicatorColumn(_DenseColumn, collections.namedtuple("_IndicatorColumn",
                                                            ["categorical_column"])):
    name = property(lambda self: f"{self.categorical_column.name}_indicator")
    _parse_example_spec = property(lambda self: self.categorical_column._parse_example_spec)
    _variable_shape = property(lambda self: _shape([1, self.categorical_column._num_buckets]))

    def _transform_feature(self, inputs):
        from .. import sparse

        pair = self.categorical_column._get_sparse_tensors(inputs)
        size = self.categorical_column._num_buckets
        if pair.weight_tensor is not None:  # each id's weights summed into its bucket
            merged = sparse.merge(pair.id_tensor, pair.weight_tensor, vocab_size=int(size))
            merged = sparse.slice(merged, [0, 0], merged.dense_shape)
            return gather_ops.scatter_nd(merged.indices, merged.values, merged.dense_shape)
        ids = sparse.to_dense(pair.id_tensor, default_value=-1)  # -1: no bucket, a zero row
        hot = transform_ops.one_hot(ids, depth=size, on_value=1.0, off_value=0.0)
        return reduction_ops.reduce_sum(hot, axis=[-2])

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _not_a_sequence(self, "indicator_column")
        return inputs.get(self)


def indicator_column(categorical_column):
    """A categorical column as a dense ``[batch, num_buckets]`` tensor: how many times each
    id occurs in an example (or the sum of its weights)."""
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a CategoricalColumn. Given: "
                         f"{categorical_column}")
    return _IndicatorColumn(categorical_column)


class _EmbeddingColumn(_DenseColumn, collections.namedtuple(
        "_EmbeddingColumn", ["categorical_column", "dimension", "combiner", "initializer",
                             "max_norm", "trainable"])):
    name = property(lambda self: f"{self.categorical_column.name}_embedding")
    _parse_example_spec = property(lambda self: self.categorical_column._parse_example_spec)
    _variable_shape = property(lambda self: _shape([self.dimension]))

    def _transform_feature(self, inputs):
        return inputs.get(self.categorical_column)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _not_a_sequence(self, "embedding_column")
        return self._get_dense_tensor_internal(inputs, weight_collections, trainable)

    def _get_dense_tensor_internal(self, inputs, weight_collections=None, trainable=None):
        from ..sparse import safe_embedding_lookup_sparse
        from ..variables import get_variable

        pair = self.categorical_column._get_sparse_tensors(inputs, weight_collections,
                                                           trainable)
        if weight_collections and GraphKeys.GLOBAL_VARIABLES not in weight_collections:
            weight_collections.append(GraphKeys.GLOBAL_VARIABLES)
        weights = get_variable("embedding_weights",
                               [self.categorical_column._num_buckets, self.dimension],
                               dtype=_dt.float32, initializer=self.initializer,
                               trainable=bool(self.trainable and trainable is not False),
                               collections=weight_collections)
        return safe_embedding_lookup_sparse(weights, pair.id_tensor, pair.weight_tensor,
                                            combiner=self.combiner, name=f"{self.name}_weights",
                                            max_norm=self.max_norm)


def embedding_column(categorical_column, dimension, combiner="mean", initializer=None,
                     ckpt_to_load_from=None, tensor_name_in_ckpt=None, max_norm=None,
                     trainable=True):
    """A categorical column as the ``combiner`` ("mean", "sqrtn" or "sum") of its ids'
    embeddings: rows of ``embedding_weights`` (initialized by ``initializer``, a truncated
    normal of stddev ``1/sqrt(dimension)`` by default)."""
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or "
                         "none of them.")
    if ckpt_to_load_from is not None:
        raise NotImplementedError("embedding_column: ckpt_to_load_from is not supported; use "
                                  "tf.train.init_from_checkpoint")
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a CategoricalColumn. Given: "
                         f"{categorical_column}")
    if initializer is not None and not callable(initializer):
        raise ValueError(f"initializer must be callable if specified. Embedding of "
                         f"column_name: {categorical_column.name}")
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner!r}")
    if initializer is None:
        from ..init_ops import truncated_normal_initializer

        initializer = truncated_normal_initializer(mean=0.0, stddev=1 / math.sqrt(dimension))
    return _EmbeddingColumn(categorical_column, dimension, combiner, initializer, max_norm,
                            trainable)


__all__ = ["embedding_column", "indicator_column"]
