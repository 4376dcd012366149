"""``tf.contrib.layers``' real-valued, bucketized and crossed columns, and the dense views of
sparse columns (one-hot, embedding, shared embedding): the rest of feature_column.py, which
re-exports them."""

from __future__ import annotations

import collections
import collections.abc
import math
import numbers

import minitf as tf

from ...feature_column.columns import _CategoricalColumn as _CoreCategorical
from ...feature_column.columns import _DenseColumn as _CoreDense
from ...ops.feature_ops import BUCKETIZE
from .feature_column import (_as_dtype, _check_combiner, _DeepEmbeddingLookupArguments,
                             _FeatureColumn, _get_feature_config, _inner_flatten,
                             _LazyBuilderByColumnsToTensor, _LinearEmbeddingLookupArguments,
                             _reshape_real_valued_tensor, _SparseColumn, _WeightedSparseColumn,
                             sparse_feature_cross)

__all__ = ["bucketized_column", "crossed_column", "embedding_column", "one_hot_column",
           "real_valued_column", "shared_embedding_columns"]

# -- real-valued and bucketized ------------------------------------------------------------------
class _RealValuedColumn(_FeatureColumn, _CoreDense, collections.namedtuple(
        "_RealValuedColumn",
        ["column_name", "dimension", "default_value", "dtype", "normalizer"])):
    """A dense ``[batch, dimension]`` feature, normalized and cast to float32."""

    def __new__(cls, column_name, dimension, default_value, dtype, normalizer):
        if default_value is not None:
            default_value = tuple(default_value)
        return super().__new__(cls, column_name, dimension, default_value, dtype, normalizer)

    name = property(lambda self: self.column_name)
    key = property(lambda self: self._key_without_properties(["normalizer"]))
    normalizer_fn = property(lambda self: self.normalizer)
    _variable_shape = property(lambda self: tf.TensorShape([self.dimension]))

    @property
    def config(self):
        default = None if self.default_value is None else list(self.default_value)
        return {self.column_name: tf.FixedLenFeature([self.dimension], self.dtype, default)}

    def _transform_feature(self, inputs):
        value = inputs.get(self.name)
        if isinstance(value, tf.SparseTensor):
            raise ValueError(f"real_valued_column {self.name} needs a dense Tensor, got a "
                             f"SparseTensor.")
        if self.normalizer is not None:
            value = self.normalizer(value)
        return tf.cast(value, tf.float32)

    def _to_dnn_input_layer(self, input_tensor, weight_collections=None, trainable=True,
                            output_rank=2):
        value = tf.cast(input_tensor, tf.float32) if input_tensor.dtype != tf.float32 \
            else input_tensor
        return _reshape_real_valued_tensor(value, output_rank, self.name)

    def _to_dense_tensor(self, input_tensor):
        return input_tensor

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return inputs.get(self)


def real_valued_column(column_name, dimension=1, default_value=None, dtype=tf.float32,
                       normalizer=None):
    """A dense feature of ``dimension`` numbers (``default_value``, one number or
    ``dimension`` of them, fills missing ones when parsing)."""
    if dimension is None:
        raise TypeError(f"dimension must be an integer. Use the _real_valued_var_len_column "
                        f"for variable length features.dimension: {dimension}, column_name: "
                        f"{column_name}")
    if not isinstance(dimension, int) or isinstance(dimension, bool):
        raise TypeError(f"dimension must be an integer. dimension: {dimension}, column_name: "
                        f"{column_name}")
    if dimension < 1:
        raise ValueError(f"dimension must be greater than 0. dimension: {dimension}, "
                         f"column_name: {column_name}")
    dtype = _as_dtype(dtype, f"column_name: {column_name}")
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, column_name: "
                         f"{column_name}")
    if normalizer is not None and not callable(normalizer):
        raise TypeError(f"normalizer must be callable. column_name: {column_name}")
    if default_value is None:
        return _RealValuedColumn(column_name, dimension, None, dtype, normalizer)
    floating_only = dtype.is_floating and not dtype.is_integer
    if isinstance(default_value, int) and (dtype.is_integer or dtype.is_floating):
        value = default_value if dtype.is_integer else float(default_value)
        return _RealValuedColumn(column_name, dimension, [value] * dimension, dtype, normalizer)
    if isinstance(default_value, float) and floating_only:
        return _RealValuedColumn(column_name, dimension, [default_value] * dimension, dtype,
                                 normalizer)
    if isinstance(default_value, list):
        if len(default_value) != dimension:
            raise ValueError(f"The length of default_value must be equal to dimension. "
                             f"default_value: {default_value}, dimension: {dimension}, "
                             f"column_name: {column_name}")
        if all(isinstance(v, int) for v in default_value):
            values = default_value if dtype.is_integer else [float(v) for v in default_value]
            return _RealValuedColumn(column_name, dimension, values, dtype, normalizer)
        if all(isinstance(v, (int, float)) for v in default_value) and floating_only:
            return _RealValuedColumn(column_name, dimension, [float(v) for v in default_value],
                                     dtype, normalizer)
    raise TypeError(f"default_value must be compatible with dtype. default_value: "
                    f"{default_value}, dtype: {dtype}, column_name: {column_name}")


class _BucketizedColumn(_FeatureColumn, _CoreCategorical, _CoreDense, collections.namedtuple(
        "_BucketizedColumn", ["source_column", "boundaries"])):
    """A real-valued column's bucket per value: one-hot in a DNN, an id in a linear model
    (bucket b of dimension i is id ``i * length + b``)."""

    def __new__(cls, source_column, boundaries):
        if not isinstance(source_column, _RealValuedColumn):
            raise TypeError(f"source_column must be an instance of _RealValuedColumn. "
                            f"source_column: {source_column}")
        if not isinstance(boundaries, (list, tuple)) or not boundaries:
            raise ValueError(f"boundaries must be a non-empty list or tuple. boundaries: "
                             f"{boundaries}")
        kept = []  # equal neighbours collapse into one boundary
        for a, b in zip(boundaries, boundaries[1:]):
            if a > b:
                raise ValueError(f"boundaries must be a sorted list. boundaries: {boundaries}")
            if a < b:
                kept.append(a)
        kept.append(boundaries[-1])
        return super().__new__(cls, source_column, tuple(kept))

    name = property(lambda self: f"{self.source_column.name}_bucketized")
    length = property(lambda self: len(self.boundaries) + 1)
    config = property(lambda self: self.source_column.config)
    key = property(lambda self: f"{self}")
    _num_buckets = property(lambda self: self.length * self.source_column.dimension)
    _variable_shape = property(lambda self: tf.TensorShape([self._num_buckets]))

    def _transform_feature(self, inputs):
        return BUCKETIZE(inputs.get(self.source_column),
                         boundaries=[float(b) for b in self.boundaries], name="bucketize")

    def _to_dnn_input_layer(self, input_tensor, weight_collections=None, trainable=True,
                            output_rank=2):
        if output_rank != 2:
            raise ValueError("BucketizedColumn currently only supports output_rank=2")
        hot = tf.one_hot(tf.cast(input_tensor, tf.int64), self.length, 1.0, 0.0, name="one_hot")
        return tf.reshape(hot, [-1, self._num_buckets], name="reshape")

    def to_sparse_tensor(self, input_tensor):
        """The buckets as ids ``[batch, dimension]``: value i of a row is id
        ``bucket + i * length``."""
        dimension = self.source_column.dimension
        batch = tf.shape(input_tensor, name="shape")[0]
        rows = tf.reshape(tf.tile(tf.expand_dims(tf.range(0, batch), 1), [1, dimension]), [-1])
        cols = tf.tile(tf.range(0, dimension), tf.stack([batch]))
        ids = tf.reshape(input_tensor, [-1], name="reshape") + self.length * cols
        indices = tf.cast(tf.transpose(tf.stack((rows, cols))), tf.int64)
        return tf.SparseTensor(indices, ids, tf.cast(tf.stack([batch, dimension]), tf.int64))

    def _wide_embedding_lookup_arguments(self, input_tensor):
        return _LinearEmbeddingLookupArguments(self.to_sparse_tensor(input_tensor), None,
                                               self._num_buckets, tf.zeros_initializer(), "sum")

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        return _CoreCategorical.IdWeightPair(self.to_sparse_tensor(inputs.get(self)), None)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return self._to_dnn_input_layer(inputs.get(self))


def bucketized_column(source_column, boundaries):
    """``source_column`` cut at ``boundaries`` (sorted; each bucket includes its left
    boundary)."""
    return _BucketizedColumn(source_column, boundaries)


# -- crossed -------------------------------------------------------------------------------------
class _CrossedColumn(_FeatureColumn, _CoreCategorical, collections.namedtuple(
        "_CrossedColumn", ["columns", "hash_bucket_size", "hash_key", "combiner",
                           "ckpt_to_load_from", "tensor_name_in_ckpt"])):
    """See ``crossed_column``: its columns are kept sorted by name."""

    def __new__(cls, columns, hash_bucket_size, hash_key, combiner="sum",
                ckpt_to_load_from=None, tensor_name_in_ckpt=None):
        for column in columns:
            if not isinstance(column, (_SparseColumn, _CrossedColumn, _BucketizedColumn)):
                raise TypeError(f"columns must be a set of _SparseColumn, _CrossedColumn, or "
                                f"_BucketizedColumn instances. (column {column} is a "
                                f"{type(column).__name__})")
        if len(columns) < 2:
            raise ValueError(f"columns must contain at least 2 elements. columns: {columns}")
        if hash_bucket_size < 2:
            raise ValueError(f"hash_bucket_size must be at least 2. hash_bucket_size: "
                             f"{hash_bucket_size}")
        if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
            raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` "
                             "or none of them.")
        _check_combiner(combiner, "crossed_column")
        columns = tuple(sorted(columns, key=lambda c: c.name))
        return super().__new__(cls, columns, hash_bucket_size, hash_key, combiner,
                               ckpt_to_load_from, tensor_name_in_ckpt)

    name = property(lambda self: "_X_".join(sorted(c.name for c in self.columns)))
    length = property(lambda self: int(self.hash_bucket_size))
    key = property(lambda self: f"{self}")
    _num_buckets = property(lambda self: self.length)

    @property
    def config(self):
        config = {}
        for column in self.columns:
            config.update(_get_feature_config(column))
        return config

    def id_tensor(self, input_tensor):
        return input_tensor

    def weight_tensor(self, input_tensor):
        return None

    def _to_dnn_input_layer(self, input_tensor, weight_collections=None, trainable=True,
                            output_rank=2):
        raise ValueError(f"CrossedColumn is not supported in DNN. Please use embedding_column. "
                         f"column: {self}")

    def _checkpoint_path(self):
        if self.ckpt_to_load_from is not None:
            return self.ckpt_to_load_from, self.tensor_name_in_ckpt
        return None

    def _wide_embedding_lookup_arguments(self, input_tensor):
        return _LinearEmbeddingLookupArguments(input_tensor, None, self.length,
                                               tf.zeros_initializer(), self.combiner)

    def _leaves(self):
        for c in self.columns:
            yield from (c._leaves() if isinstance(c, _CrossedColumn) else [c])

    def _transform_feature(self, inputs):
        # Sparse columns cross their raw features (strings hash by fingerprint, integers as
        # they are), bucketized ones their bucket ids.
        tensors = [inputs.get(c.name) if isinstance(c, _SparseColumn) else
                   c.to_sparse_tensor(inputs.get(c)) for c in self._leaves()]
        return sparse_feature_cross(tensors, hashed_output=True, num_buckets=self.length,
                                    hash_key=self.hash_key, name="cross")

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        return _CoreCategorical.IdWeightPair(inputs.get(self), None)


def crossed_column(columns, hash_bucket_size, combiner="sum", ckpt_to_load_from=None,
                   tensor_name_in_ckpt=None, hash_key=None):
    """Ids of feature combinations: per example, every combination of one value of each
    column (sparse, bucketized or crossed), hashed into ``hash_bucket_size`` buckets (TF 1.x's
    HashCombine; FingerprintCat64 from ``hash_key`` when given)."""
    return _CrossedColumn(columns, hash_bucket_size, hash_key, combiner=combiner,
                          ckpt_to_load_from=ckpt_to_load_from,
                          tensor_name_in_ckpt=tensor_name_in_ckpt)


# -- dense views of sparse columns ---------------------------------------------------------------
class _OneHotColumn(_FeatureColumn, _CoreDense, collections.namedtuple(
        "_OneHotColumn", ["sparse_id_column"])):
    """See ``one_hot_column``."""

    name = property(lambda self: f"{self.sparse_id_column.name}_one_hot")
    length = property(lambda self: self.sparse_id_column.length)
    config = property(lambda self: _get_feature_config(self.sparse_id_column))
    key = property(lambda self: f"{self}")
    _variable_shape = property(lambda self: tf.TensorShape([self.length]))

    def insert_transformed_feature(self, columns_to_tensors):
        builder = _LazyBuilderByColumnsToTensor(columns_to_tensors)
        columns_to_tensors[self] = builder.get(self.sparse_id_column)

    def _to_dnn_input_layer(self, transformed_input_tensor, unused_weight_collections=None,
                            unused_trainable=False, output_rank=2):
        ids = _inner_flatten(self.sparse_id_column.id_tensor(transformed_input_tensor),
                             output_rank)
        weights = self.sparse_id_column.weight_tensor(transformed_input_tensor)
        if weights is not None:
            # Each id's weights summed into its slot (TF's to_dense refuses repeated or
            # unsorted ids there; a sum is what they mean).
            merged = tf.sparse_merge(ids, weights, vocab_size=self.length)
            merged = tf.sparse.slice(merged, tf.zeros_like(merged.dense_shape),
                                     merged.dense_shape)  # drops the ids < 0
            dense = tf.scatter_nd(merged.indices, merged.values, merged.dense_shape)
            return tf.reshape(dense, tf.concat([tf.shape(dense)[:-1], [self.length]], 0))
        dense_ids = tf.sparse.to_dense(ids, default_value=-1)  # -1: no slot, a zero row
        hot = tf.one_hot(dense_ids, depth=self.length, on_value=1.0, off_value=0.0)
        return tf.reduce_sum(hot, axis=[output_rank - 1])

    def _transform_feature(self, inputs):
        return self._to_dnn_input_layer(inputs.get(self.sparse_id_column))

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return inputs.get(self)


def one_hot_column(sparse_id_column):
    """A sparse (or weighted, or crossed) column as a DNN input: per example, how many times
    each id occurs (or the sum of its weights), ``[batch, length]``."""
    if not isinstance(sparse_id_column, (_SparseColumn, _WeightedSparseColumn, _CrossedColumn)):
        raise TypeError(f"sparse_id_column must be a sparse, weighted sparse or crossed "
                        f"column. Given: {sparse_id_column}")
    return _OneHotColumn(sparse_id_column)


class _EmbeddingColumn(_FeatureColumn, _CoreDense, collections.namedtuple(
        "_EmbeddingColumn",
        ["sparse_id_column", "dimension", "combiner", "initializer", "ckpt_to_load_from",
         "tensor_name_in_ckpt", "shared_embedding_name", "shared_vocab_size", "max_norm",
         "trainable"])):
    """See ``embedding_column``."""

    def __new__(cls, sparse_id_column, dimension, combiner="mean", initializer=None,
                ckpt_to_load_from=None, tensor_name_in_ckpt=None, shared_embedding_name=None,
                shared_vocab_size=None, max_norm=None, trainable=True):
        if not isinstance(sparse_id_column, (_SparseColumn, _WeightedSparseColumn,
                                             _CrossedColumn)):
            raise TypeError(f"sparse_id_column must be a sparse, weighted sparse or crossed "
                            f"column. Given: {sparse_id_column}")
        if not isinstance(dimension, numbers.Integral) or dimension < 1:
            raise ValueError(f"dimension must be a positive integer, got {dimension!r}. "
                             f"Embedding of column_name: {sparse_id_column.name}")
        if initializer is not None and not callable(initializer):
            raise ValueError(f"initializer must be callable if specified. Embedding of "
                             f"column_name: {sparse_id_column.name}")
        if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
            raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` "
                             "or none of them.")
        _check_combiner(combiner, sparse_id_column.name)
        if initializer is None:  # contrib's default: 1/sqrt(vocabulary), not core's dimension
            initializer = tf.truncated_normal_initializer(
                mean=0.0, stddev=1 / math.sqrt(sparse_id_column.length))
        return super().__new__(cls, sparse_id_column, dimension, combiner, initializer,
                               ckpt_to_load_from, tensor_name_in_ckpt, shared_embedding_name,
                               shared_vocab_size, max_norm, trainable)

    @property
    def name(self):
        suffix = "embedding" if self.shared_embedding_name is None else "shared_embedding"
        return f"{self.sparse_id_column.name}_{suffix}"

    length = property(lambda self: self.sparse_id_column.length
                      if self.shared_vocab_size is None else self.shared_vocab_size)
    config = property(lambda self: _get_feature_config(self.sparse_id_column))
    key = property(lambda self: self._key_without_properties(["initializer"]))
    _variable_shape = property(lambda self: tf.TensorShape([self.dimension]))

    def insert_transformed_feature(self, columns_to_tensors):
        builder = _LazyBuilderByColumnsToTensor(columns_to_tensors)
        columns_to_tensors[self] = builder.get(self.sparse_id_column)

    def _transform_feature(self, inputs):
        return inputs.get(self.sparse_id_column)

    def _deep_embedding_lookup_arguments(self, input_tensor):
        return _DeepEmbeddingLookupArguments(
            input_tensor=self.sparse_id_column.id_tensor(input_tensor),
            weight_tensor=self.sparse_id_column.weight_tensor(input_tensor),
            vocab_size=self.length, initializer=self.initializer, combiner=self.combiner,
            dimension=self.dimension, shared_embedding_name=self.shared_embedding_name,
            hash_key=None, max_norm=self.max_norm, trainable=self.trainable)

    def _checkpoint_path(self):
        if self.ckpt_to_load_from is not None:
            return self.ckpt_to_load_from, self.tensor_name_in_ckpt
        return None

    def _wide_embedding_lookup_arguments(self, input_tensor):
        raise ValueError(f"Column {self} is not supported in linear models. Please use "
                         f"sparse_column.")

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        return _embeddings_from_arguments(
            self, self._deep_embedding_lookup_arguments(inputs.get(self)), weight_collections,
            trainable)


def _embeddings_from_arguments(column, args, weight_collections, trainable, output_rank=2):
    """The embedding lookup of a column: its ``weights`` (or the shared embedding variable,
    made once per graph and found again through its collection), combined per example."""
    from ..framework import model_variable

    ids = _inner_flatten(args.input_tensor, output_rank)
    weights = None if args.weight_tensor is None else \
        _inner_flatten(args.weight_tensor, output_rank)
    trainable = (trainable is not False) and bool(args.trainable)
    shape = [args.vocab_size, args.dimension]
    if args.shared_embedding_name is not None:
        collection = "SHARED_EMBEDDING_COLLECTION_" + args.shared_embedding_name.upper()
        graph = tf.get_default_graph()
        shared = graph.get_collection_ref(collection)
        if len(shared) > 1:
            raise ValueError(f"Collection {collection} can only contain one (partitioned) "
                             f"variable.")
        if shared:
            embeddings = shared[0]
            if embeddings.shape.as_list() != shape:
                raise ValueError(f"The embedding variable with name {args.shared_embedding_name} "
                                 f"already exists, but its shape does not match required "
                                 f"embedding shape here. Please make sure to use different "
                                 f"shared_embedding_name for different shared embeddings.")
        else:
            embeddings = model_variable(args.shared_embedding_name, shape=shape,
                                        dtype=tf.float32, initializer=args.initializer,
                                        trainable=trainable, collections=weight_collections)
            graph.add_to_collection(collection, embeddings)
    else:
        embeddings = model_variable("weights", shape=shape, dtype=tf.float32,
                                    initializer=args.initializer, trainable=trainable,
                                    collections=weight_collections)
    _maybe_restore_from_checkpoint(column._checkpoint_path(), [embeddings])
    return tf.nn.safe_embedding_lookup_sparse(embeddings, ids, sparse_weights=weights,
                                              combiner=args.combiner,
                                              name=column.name + "weights",
                                              max_norm=args.max_norm)


def _maybe_restore_from_checkpoint(checkpoint_path, variables):
    if checkpoint_path is not None:
        path, tensor_name = checkpoint_path
        tf.train.init_from_checkpoint(
            path, {tensor_name: variables[0] if len(variables) == 1 else variables})


def embedding_column(sparse_id_column, dimension, combiner="mean", initializer=None,
                     ckpt_to_load_from=None, tensor_name_in_ckpt=None, max_norm=None,
                     trainable=True):
    """A sparse column as a DNN input: the ``combiner`` ("mean", "sqrtn" or "sum") of its ids'
    rows of a ``[length, dimension]`` embedding (a truncated normal of stddev
    ``1/sqrt(length)`` by default)."""
    return _EmbeddingColumn(sparse_id_column, dimension, combiner, initializer,
                            ckpt_to_load_from, tensor_name_in_ckpt, max_norm=max_norm,
                            trainable=trainable)


def shared_embedding_columns(sparse_id_columns, dimension, combiner="mean",
                             shared_embedding_name=None, initializer=None,
                             ckpt_to_load_from=None, tensor_name_in_ckpt=None, max_norm=None,
                             trainable=True):
    """Embedding columns of compatible sparse columns that look up one embedding variable,
    named ``shared_embedding_name`` (by default the columns' names joined, then
    ``_shared_embedding``)."""
    if not isinstance(sparse_id_columns, collections.abc.Sequence) or \
            isinstance(sparse_id_columns, str):
        raise TypeError(f"sparse_id_columns must be a non-string sequence (ex: list or tuple) "
                        f"instead of type {type(sparse_id_columns)}.")
    if len(sparse_id_columns) < 1:
        raise ValueError("The input sparse_id_columns should have at least one element.")
    for column in sparse_id_columns:
        if not isinstance(column, (_SparseColumn, _WeightedSparseColumn)):
            raise TypeError(f"Elements of sparse_id_columns must be _SparseColumn or "
                            f"_WeightedSparseColumn, but {column} is not.")
    if len(sparse_id_columns) == 1:
        return [_EmbeddingColumn(sparse_id_columns[0], dimension, combiner, initializer,
                                 ckpt_to_load_from, tensor_name_in_ckpt, shared_embedding_name,
                                 max_norm=max_norm, trainable=trainable)]
    first = sparse_id_columns[0]
    for column in sparse_id_columns[1:]:
        ok = first.is_compatible(column) if isinstance(first, _WeightedSparseColumn) else \
            column.is_compatible(first)
        if not ok:
            raise ValueError("The input sparse id columns are not compatible.")
    if not shared_embedding_name:
        # Deterministic whatever the order given: sparse columns (as tuples), then weighted
        # ones by name.
        ordered = sorted(c for c in sparse_id_columns if isinstance(c, _SparseColumn)) + \
            sorted((c for c in sparse_id_columns if not isinstance(c, _SparseColumn)),
                   key=lambda c: c.name)
        shared_embedding_name = "_".join(c.name for c in ordered[:3])
        if len(ordered) > 3:
            shared_embedding_name += f"_plus_{len(ordered) - 3}_others"
        shared_embedding_name += "_shared_embedding"
    return tuple(_EmbeddingColumn(column, dimension, combiner, initializer, ckpt_to_load_from,
                                  tensor_name_in_ckpt, shared_embedding_name, first.length,
                                  max_norm=max_norm, trainable=trainable)
                 for column in sparse_id_columns)
