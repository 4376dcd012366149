"""Dense views of categorical columns: indicator (multi-hot counts or summed weights) and
embedding (a trainable ``[num_buckets, dimension]`` table combined per example, optionally
starting from a checkpoint's tensor)."""

from __future__ import annotations

import collections
import math

from .. import dtypes as _dt
from ..default_graph import add_to_collection, get_collection, name_scope
from ..graph import GraphKeys
from ..ops import gather_ops, reduction_ops, transform_ops
from .columns import _CategoricalColumn, _DenseColumn, _register, _shape


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


def _sequence_dense_tensor(column, transformation_cache, state_manager):
    """TF's ``get_sequence_dense_tensor`` of an embedding or indicator column."""
    from .sequence import _sequence_dense_tensor as sequence_dense_tensor

    column._check_state_manager(state_manager)
    return sequence_dense_tensor(column, transformation_cache)


@_register()
class _IndicatorColumn(_DenseColumn, collections.namedtuple("_IndicatorColumn",
                                                            ["categorical_column"])):
    _parent_fields = ("categorical_column",)
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

    def get_sequence_dense_tensor(self, transformation_cache, state_manager=None):
        return _sequence_dense_tensor(self, transformation_cache, state_manager)


def indicator_column(categorical_column):
    """A categorical column as a dense ``[batch, num_buckets]`` tensor: how many times each
    id occurs in an example (or the sum of its weights)."""
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a CategoricalColumn. Given: "
                         f"{categorical_column}")
    return _IndicatorColumn(categorical_column)


class _EmbeddingLookup(_DenseColumn):
    """An embedding column's lookup: the categorical column's ids (and weights) combined
    over rows of a ``[num_buckets, dimension]`` table that ``_embedding_weights`` gives,
    initialized from ``tensor_name_in_ckpt`` of ``ckpt_to_load_from`` when they are given."""

    _parent_fields = ("categorical_column",)
    _makes_variables = True
    name = property(lambda self: f"{self.categorical_column.name}_{self._suffix}")
    _parse_example_spec = property(lambda self: self.categorical_column._parse_example_spec)
    _variable_shape = property(lambda self: _shape([self.dimension]))

    def _transform_feature(self, inputs):
        return inputs.get(self.categorical_column)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        _not_a_sequence(self, "embedding_column")
        return self._get_dense_tensor_internal(inputs, weight_collections, trainable)

    def _get_dense_tensor_internal(self, inputs, weight_collections=None, trainable=None):
        from ..sparse import safe_embedding_lookup_sparse

        pair = self.categorical_column._get_sparse_tensors(inputs, weight_collections,
                                                           trainable)
        if weight_collections and GraphKeys.GLOBAL_VARIABLES not in weight_collections:
            weight_collections.append(GraphKeys.GLOBAL_VARIABLES)
        weights = self._embedding_weights(weight_collections, trainable)
        self._restore_from_checkpoint(weights)
        return safe_embedding_lookup_sparse(weights, pair.id_tensor, pair.weight_tensor,
                                            combiner=self.combiner, name=f"{self.name}_weights",
                                            max_norm=self.max_norm)

    def get_sequence_dense_tensor(self, transformation_cache, state_manager=None):
        return _sequence_dense_tensor(self, transformation_cache, state_manager)

    def _restore_from_checkpoint(self, weights):
        """TF's: the table (a partitioned one's parts) starts from the checkpoint's tensor,
        by tf.train.init_from_checkpoint; called whenever the table is looked up, as TF."""
        if self.ckpt_to_load_from is None:
            return
        from ..partitioned_variables import PartitionedVariable
        from ..train.checkpoint_utils import init_from_checkpoint

        to_restore = weights
        if isinstance(to_restore, PartitionedVariable):
            to_restore = to_restore._get_variable_list()
        init_from_checkpoint(self.ckpt_to_load_from, {self.tensor_name_in_ckpt: to_restore})

    def _new_weights(self, weight_collections, trainable):
        from ..variables import get_variable

        return get_variable("embedding_weights",
                            [self.categorical_column._num_buckets, self.dimension],
                            dtype=_dt.float32, initializer=self.initializer,
                            trainable=bool(self.trainable and trainable is not False),
                            collections=weight_collections)


@_register()
class _EmbeddingColumn(_EmbeddingLookup, collections.namedtuple(
        "_EmbeddingColumn", ["categorical_column", "dimension", "combiner", "initializer",
                             "ckpt_to_load_from", "tensor_name_in_ckpt", "max_norm",
                             "trainable"])):
    _suffix = "embedding"
    _embedding_weights = _EmbeddingLookup._new_weights
    # minitf's lookup is always the safe one (invalid ids dropped), TF's default.
    _later_config_keys = {"use_safe_embedding_lookup": True}


@_register("_SharedEmbeddingColumn")  # TF 1.x's class and fields (v2's differ)
class _SharedEmbeddingColumn(_EmbeddingLookup, collections.namedtuple(
        "_SharedEmbeddingColumn", ["categorical_column", "dimension", "combiner", "initializer",
                                   "shared_embedding_collection_name", "ckpt_to_load_from",
                                   "tensor_name_in_ckpt", "max_norm", "trainable"])):
    """One of the columns ``shared_embedding_columns`` makes: its table is the one variable
    in the graph collection named ``shared_embedding_collection_name``, made by whichever
    column of the group is built first (under the variable scope of that name)."""

    _suffix = "shared_embedding"
    _var_scope_name = property(lambda self: self.shared_embedding_collection_name)

    def _get_dense_tensor_internal(self, inputs, weight_collections=None, trainable=None):
        # The columns share a variable scope; their ops get a name scope each, as TF's.
        with name_scope(None, default_name=self.name):
            return super()._get_dense_tensor_internal(inputs, weight_collections, trainable)

    def _embedding_weights(self, weight_collections, trainable):
        key = self.shared_embedding_collection_name
        shared = get_collection(key)
        if not shared:
            weights = self._new_weights(weight_collections, trainable)
            add_to_collection(key, weights)
            return weights
        if len(shared) > 1:
            raise ValueError(
                f"Collection {shared} can only contain one variable. Suggested fix A: Choose a "
                "unique name for this collection. Suggested fix B: Do not add any variables to "
                "this collection. The feature_column library already adds a variable under the "
                "hood.")
        expected = _shape([self.categorical_column._num_buckets, self.dimension])
        if shared[0].get_shape() != expected:
            raise ValueError(
                f"Shared embedding collection {key} contains variable {shared[0].name} of "
                f"unexpected shape {shared[0].get_shape()}. Expected shape is {expected}. "
                "Suggested fix A: Choose a unique name for this collection. Suggested fix B: Do "
                "not add any variables to this collection. The feature_column library already "
                "adds a variable under the hood.")
        return shared[0]


def _default_initializer(dimension):
    from ..init_ops import truncated_normal_initializer

    return truncated_normal_initializer(mean=0.0, stddev=1 / math.sqrt(dimension))


def _check_embedding_args(dimension, combiner, initializer, ckpt_to_load_from,
                          tensor_name_in_ckpt, initializer_error):
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or "
                         "none of them.")
    if initializer is not None and not callable(initializer):
        raise ValueError(initializer_error)
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner!r}")
    return initializer if initializer is not None else _default_initializer(dimension)


def embedding_column(categorical_column, dimension, combiner="mean", initializer=None,
                     ckpt_to_load_from=None, tensor_name_in_ckpt=None, max_norm=None,
                     trainable=True):
    """A categorical column as the ``combiner`` ("mean", "sqrtn" or "sum") of its ids'
    embeddings: rows of ``embedding_weights`` (initialized by ``initializer``, a truncated
    normal of stddev ``1/sqrt(dimension)`` by default, or tensor ``tensor_name_in_ckpt`` of
    checkpoint ``ckpt_to_load_from``: a file prefix or a directory, either format)."""
    initializer = _check_embedding_args(
        dimension, combiner, initializer, ckpt_to_load_from, tensor_name_in_ckpt,
        "initializer must be callable if specified. Embedding of "
        f"column_name: {getattr(categorical_column, 'name', categorical_column)}")
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(f"Unsupported input type. Input must be a CategoricalColumn. Given: "
                         f"{categorical_column}")
    return _EmbeddingColumn(categorical_column, dimension, combiner, initializer,
                            ckpt_to_load_from, tensor_name_in_ckpt, max_norm, trainable)


def shared_embedding_columns(categorical_columns, dimension, combiner="mean", initializer=None,
                             shared_embedding_collection_name=None, ckpt_to_load_from=None,
                             tensor_name_in_ckpt=None, max_norm=None, trainable=True):
    """One embedding column per categorical column, all looking up one table (e.g. a query's
    and a document's words): ``<collection name>/embedding_weights``, where the collection
    name defaults to the columns' names sorted and joined by "_" plus
    "_shared_embedding". The columns must be of one type (weighted or not) and have the same
    number of buckets. ``ckpt_to_load_from`` and ``tensor_name_in_ckpt`` start the table from
    a checkpoint's tensor, as embedding_column's."""
    initializer = _check_embedding_args(
        dimension, combiner, initializer, ckpt_to_load_from, tensor_name_in_ckpt,
        "initializer must be callable if specified.")
    categorical_columns = list(categorical_columns)
    if not categorical_columns:
        raise ValueError("shared_embedding_columns: categorical_columns is empty")
    # Sorted, so that the default collection name does not depend on the caller's order.
    ordered = sorted(categorical_columns, key=lambda c: c.name)
    first = ordered[0]
    if not isinstance(first, _CategoricalColumn):
        raise ValueError(f"All categorical_columns must be subclasses of _CategoricalColumn. "
                         f"Given: {first}, of type: {type(first)}")
    buckets = first._num_buckets
    base = _unweighted(first)
    for column in ordered[1:]:
        if not isinstance(_unweighted(column), type(base)):
            raise ValueError(
                f"To use shared_embedding_column, all categorical_columns must have the same "
                f"type, or be weighted_categorical_column of the same type. Given column: "
                f"{base} of type: {type(base)} does not match given column: {column} of type: "
                f"{type(column)}")
        if column._num_buckets != buckets:
            raise ValueError(
                f"To use shared_embedding_column, all categorical_columns must have the same "
                f"number of buckets. Given column: {base} with buckets: {buckets} does not "
                f"match column: {column} with buckets: {column._num_buckets}")
    name = shared_embedding_collection_name or \
        "_".join(c.name for c in ordered) + "_shared_embedding"
    return [_SharedEmbeddingColumn(c, dimension, combiner, initializer, name,
                                   ckpt_to_load_from, tensor_name_in_ckpt, max_norm, trainable)
            for c in categorical_columns]


def _unweighted(column):
    from .categorical import _WeightedCategoricalColumn

    return column.categorical_column if isinstance(column, _WeightedCategoricalColumn) \
        else column


__all__ = ["embedding_column", "indicator_column", "shared_embedding_columns"]
