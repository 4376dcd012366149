"""``tf.contrib.layers``' feature columns (TF 1.0-1.4's API, as TF 1.15 kept it): the base,
sparse and weighted columns, the parse spec, placeholders and ``sparse_feature_cross`` here;
real-valued, bucketized, crossed, one-hot and embedding columns in feature_column_more.py; the
model builders (``input_from_feature_columns``...) in feature_column_ops.py.

Columns are namedtuples with TF's class and field names: their ``key`` (their repr) orders
them, and so fixes the builders' concatenation and variable order as in TF. They also follow
core ``tf.feature_column``'s protocol (``_transform_feature``, ``_get_sparse_tensors``...), as
TF 1.15's do, so core ``input_layer``/``linear_model`` take them too. The math is core's:
the same FarmHash buckets, lookup tables, Bucketize and safe embedding lookups; crossed columns
hash with the contrib SparseFeatureCross ops (core/ops/sparse_feature_cross_ops.py)."""

from __future__ import annotations

import collections

import minitf as tf

from ...feature_column.columns import _CategoricalColumn as _CoreCategorical
from ...ops.sparse_feature_cross_ops import SPARSE_FEATURE_CROSS, SPARSE_FEATURE_CROSS_V2

__all__ = ["SPARSE_FEATURE_CROSS_DEFAULT_HASH_KEY", "bucketized_column",
           "create_feature_spec_for_parsing", "crossed_column", "embedding_column",
           "make_place_holder_tensors_for_base_features", "one_hot_column",
           "real_valued_column", "shared_embedding_columns",
           "sparse_column_with_hash_bucket", "sparse_column_with_integerized_feature",
           "sparse_column_with_keys", "sparse_column_with_vocabulary_file",
           "sparse_feature_cross", "weighted_sparse_column"]

SPARSE_FEATURE_CROSS_DEFAULT_HASH_KEY = 0xDECAFCAFFE
_COMBINERS = ("mean", "sqrtn", "sum")

_LinearEmbeddingLookupArguments = collections.namedtuple(
    "_LinearEmbeddingLookupArguments",
    ["input_tensor", "weight_tensor", "vocab_size", "initializer", "combiner"])
_DeepEmbeddingLookupArguments = collections.namedtuple(
    "_DeepEmbeddingLookupArguments",
    ["input_tensor", "weight_tensor", "vocab_size", "initializer", "combiner", "dimension",
     "shared_embedding_name", "hash_key", "max_norm", "trainable"])


def sparse_feature_cross(inputs, hashed_output=False, num_buckets=0, name=None, hash_key=None):
    """Per row, every combination of one feature of each input (SparseTensors first, then
    ``[batch, n]`` Tensors), joined with '_X_' or, ``hashed_output``, hashed into
    ``num_buckets`` (HashCombine chaining; FingerprintCat64 from ``hash_key`` when given)."""
    if not isinstance(inputs, list):
        raise TypeError("Inputs must be a list")
    inputs = [i if isinstance(i, tf.SparseTensor) else tf.convert_to_tensor(i) for i in inputs]
    sparse = [i for i in inputs if isinstance(i, tf.SparseTensor)]
    dense = [i for i in inputs if not isinstance(i, tf.SparseTensor)]
    internal = tf.string
    values = []
    for v in [sp.values for sp in sparse] + dense:
        if v.dtype != tf.string:
            v, internal = tf.cast(v, tf.int64), tf.int64
        values.append(v)
    attrs = {"hashed_output": bool(hashed_output), "num_buckets": int(num_buckets),
             "out_type": tf.int64 if hashed_output else tf.string, "internal_type": internal}
    if hash_key:
        op, attrs["hash_key"] = SPARSE_FEATURE_CROSS_V2, int(hash_key)
    else:
        op = SPARSE_FEATURE_CROSS
    indices, out, shape = op([sp.indices for sp in sparse], values[:len(sparse)],
                             [sp.dense_shape for sp in sparse], values[len(sparse):],
                             name=name or op.type, **attrs)
    return tf.SparseTensor(indices, out, shape)


# -- reshaping helpers ---------------------------------------------------------------------------
def _inner_flatten(value, rank):
    """``value`` with its dimensions from ``rank - 1`` on merged into one (TF's
    layers._inner_flatten), for Tensors and SparseTensors."""
    if isinstance(value, tf.SparseTensor):
        have = value.dense_shape.shape[0].value
        if have is not None and have < rank:
            raise ValueError(f"Inputs has rank {have}, which is less than the new rank {rank}")
        if have == rank:
            return value
        shape = value.dense_shape
        return tf.sparse.reshape(value, tf.concat(
            [shape[:rank - 1], tf.reshape(tf.reduce_prod(shape[rank - 1:]), [1])], 0))
    if value.shape.rank == rank:
        return value
    outer = tf.shape(value)[:rank - 1]
    return tf.reshape(value, tf.concat([outer, [-1]], 0))


def _reshape_real_valued_tensor(value, output_rank, column_name=None):
    """TF's rule for a dense input: one rank short is expanded, a larger rank is flattened,
    two or more short is an error."""
    rank = value.shape.rank
    if rank is not None:
        if output_rank > rank + 1:
            where = f"Error while processing column {column_name}." if column_name else ""
            raise ValueError(f"{where}Rank of input Tensor ({rank}) should be the same as "
                             f"output_rank ({output_rank}). For example, sequence data should "
                             f"typically be 3 dimensional (rank 3) while non-sequence data is "
                             f"typically 2 dimensional (rank 2).")
        if output_rank == rank + 1:
            return tf.expand_dims(value, -1, name="expand_dims")
        if output_rank == rank:
            return value
    return _inner_flatten(value, output_rank)


def _dense_to_sparse(value, ignore_value=None):
    """TF's contrib dense_to_sparse_tensor: the entries other than ``ignore_value`` ('' for
    strings, zero otherwise)."""
    value = tf.convert_to_tensor(value)
    with tf.name_scope(None, "DenseToSparseTensor", [value]):
        if ignore_value is None:
            ignore_value = "" if value.dtype == tf.string else 0
        ignore = tf.constant(ignore_value, dtype=value.dtype)
        indices = tf.where(tf.not_equal(value, ignore), name="indices")
        return tf.SparseTensor(indices, tf.gather_nd(value, indices, name="values"),
                               tf.shape(value, out_type=tf.int64, name="dense_shape"))


def _as_dtype(dtype, what):
    try:
        return tf.as_dtype(dtype)
    except (TypeError, ValueError, KeyError) as e:
        raise TypeError(f"{what}: {dtype!r} is not a dtype") from e


def _check_combiner(combiner, name):
    if combiner not in _COMBINERS:
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner!r}. "
                         f"column_name: {name}")


# -- the base ------------------------------------------------------------------------------------
class _FeatureColumn:
    """A contrib feature column: ``name``, ``config`` (its parse spec), ``key`` (its sort key)
    and ``insert_transformed_feature``; a builder asks it for deep or wide lookup arguments,
    or a dense tensor."""

    def _to_dnn_input_layer(self, input_tensor, weight_collections=None, trainable=True,
                            output_rank=2):
        raise ValueError("Calling an abstract method.")

    def _deep_embedding_lookup_arguments(self, input_tensor):
        raise NotImplementedError(f"No deep embedding lookup arguments for column {self}.")

    def _wide_embedding_lookup_arguments(self, input_tensor):
        raise NotImplementedError(f"No wide embedding lookup arguments for column {self}.")

    def _to_dense_tensor(self, input_tensor):
        raise NotImplementedError(f"No dense tensor representation for column {self}.")

    def _checkpoint_path(self):
        return None

    def _key_without_properties(self, properties):
        """The repr without ``properties`` (functions, whose repr holds an address)."""
        shown = [f"{k}={v}" for k, v in zip(self._fields, self) if k not in properties]
        return f"{type(self).__name__}({', '.join(shown)})"

    def insert_transformed_feature(self, columns_to_tensors):
        columns_to_tensors[self] = self._transform_feature(
            _LazyBuilderByColumnsToTensor(columns_to_tensors))

    @property
    def _parse_example_spec(self):
        return self.config


class _LazyBuilderByColumnsToTensor:
    """Core's builder protocol over a contrib ``columns_to_tensors`` dict, which keeps the
    transformed columns (so each is transformed once)."""

    def __init__(self, columns_to_tensors):
        self._columns_to_tensors = columns_to_tensors

    def get(self, key):
        if key in self._columns_to_tensors:
            return self._columns_to_tensors[key]
        if isinstance(key, str):
            raise ValueError(f"features dictionary doesn't contain key ({key})")
        if not isinstance(key, _FeatureColumn):
            raise TypeError(f'"key" must be either a "str" or "_FeatureColumn". Provided: {key}')
        key.insert_transformed_feature(self._columns_to_tensors)
        return self._columns_to_tensors[key]


# -- sparse columns ------------------------------------------------------------------------------
class _SparseIdLookupConfig(collections.namedtuple(
        "_SparseIdLookupConfig",
        ["vocabulary_file", "keys", "num_oov_buckets", "vocab_size", "default_value"])):
    """How a sparse column maps features to ids: a key list or a vocabulary file."""

    def __new__(cls, vocabulary_file=None, keys=None, num_oov_buckets=0, vocab_size=None,
                default_value=-1):
        return super().__new__(cls, vocabulary_file, keys, num_oov_buckets, vocab_size,
                               default_value)


class _SparseColumn(_FeatureColumn, _CoreCategorical, collections.namedtuple(
        "_SparseColumn",
        ["column_name", "is_integerized", "bucket_size", "lookup_config", "combiner", "dtype"])):
    """A categorical feature: a SparseTensor (or a dense Tensor, '' or -1 meaning missing)
    mapped to ids in ``[0, length)``, combined by ``combiner`` in a linear model."""

    def __new__(cls, column_name, is_integerized=False, bucket_size=None, lookup_config=None,
                combiner="sum", dtype=tf.string):
        dtype = _as_dtype(dtype, f"column_name: {column_name}")
        if is_integerized and bucket_size is None:
            raise ValueError(f"bucket_size must be set if is_integerized is True. column_name: "
                             f"{column_name}")
        if is_integerized and not dtype.is_integer:
            raise ValueError(f"dtype must be an integer if is_integerized is True. dtype: "
                             f"{dtype}, column_name: {column_name}.")
        if dtype != tf.string and not dtype.is_integer:
            raise ValueError(f"dtype must be string or integer. dtype: {dtype}, column_name: "
                             f"{column_name}")
        if bucket_size is None and lookup_config is None:
            raise ValueError(f"one of bucket_size or lookup_config must be set. column_name: "
                             f"{column_name}")
        if bucket_size is not None and lookup_config:
            raise ValueError(f"one and only one of bucket_size or lookup_config must be set. "
                             f"column_name: {column_name}")
        if bucket_size is not None and bucket_size < 1:
            raise ValueError(f"bucket_size must be at least 1. bucket_size: {bucket_size}, "
                             f"column_name: {column_name}")
        if lookup_config and not isinstance(lookup_config, _SparseIdLookupConfig):
            raise TypeError(f"lookup_config must be an instance of _SparseIdLookupConfig. Given "
                            f"one is in type {type(lookup_config)} for column_name {column_name}")
        if lookup_config and lookup_config.vocabulary_file and lookup_config.vocab_size is None:
            raise ValueError(f"vocab_size must be defined. column_name: {column_name}")
        if not isinstance(column_name, str):
            raise TypeError(f"column_name must be a string, got {column_name!r}")
        _check_combiner(combiner, column_name)
        return super().__new__(cls, column_name, is_integerized, bucket_size, lookup_config,
                               combiner, dtype)

    name = property(lambda self: self.column_name)
    config = property(lambda self: {self.column_name: tf.VarLenFeature(self.dtype)})
    key = property(lambda self: f"{self}")
    _num_buckets = property(lambda self: self.length)

    @property
    def length(self):
        """The number of ids: buckets, or vocabulary plus OOV buckets."""
        if self.bucket_size is not None:
            return self.bucket_size
        return self.lookup_config.vocab_size + self.lookup_config.num_oov_buckets

    def id_tensor(self, input_tensor):
        return input_tensor

    def weight_tensor(self, input_tensor):
        return None

    def _to_dnn_input_layer(self, input_tensor, weight_collections=None, trainable=True,
                            output_rank=2):
        raise ValueError(f"SparseColumn is not supported in DNN. Please use embedding_column "
                         f"or one_hot_column. column: {self}")

    def _wide_embedding_lookup_arguments(self, input_tensor):
        return _LinearEmbeddingLookupArguments(
            self.id_tensor(input_tensor), self.weight_tensor(input_tensor), self.length,
            tf.zeros_initializer(), self.combiner)

    def _get_input_sparse_tensor(self, value):
        if isinstance(value, tf.SparseTensor):
            return value
        value = tf.convert_to_tensor(value)
        ignore = "" if value.dtype == tf.string else -1  # -1 keeps every valid id, 0 too
        return _dense_to_sparse(_reshape_real_valued_tensor(value, 2, self.name), ignore)

    def is_compatible(self, other_column):
        """Whether two columns can share an embedding: the same lookup, or the same length
        and kind of dtype."""
        if self.lookup_config and other_column.lookup_config:
            return self.lookup_config == other_column.lookup_config
        return self.length == other_column.length and (
            self.dtype == other_column.dtype or
            (self.dtype.is_integer and other_column.dtype.is_integer))

    def _transform_feature(self, inputs):
        value = self._get_input_sparse_tensor(inputs.get(self.name))
        if (value.dtype == tf.string) != (self.dtype == tf.string):
            raise ValueError(f"Column {self.name} has dtype {self.dtype!r} but its feature has "
                             f"dtype {value.dtype!r}.")
        return self._do_transform(value)

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        value = inputs.get(self)
        return _CoreCategorical.IdWeightPair(self.id_tensor(value), self.weight_tensor(value))


def _with_values(sp, values):
    return tf.SparseTensor(sp.indices, values, sp.dense_shape)


class _SparseColumnIntegerized(_SparseColumn):
    """See ``sparse_column_with_integerized_feature``."""

    def _do_transform(self, st):
        return _with_values(st, tf.floormod(st.values, tf.cast(self.bucket_size, st.dtype),
                                            name="mod"))


def sparse_column_with_integerized_feature(column_name, bucket_size, combiner="sum",
                                           dtype=tf.int64):
    """Integer features used as ids, modulo ``bucket_size``."""
    return _SparseColumnIntegerized(column_name, is_integerized=True, bucket_size=bucket_size,
                                    combiner=combiner, dtype=dtype)


class _SparseColumnHashed(_SparseColumn):
    """See ``sparse_column_with_hash_bucket``."""

    def __new__(cls, column_name, is_integerized=False, bucket_size=None, lookup_config=None,
                combiner="sum", dtype=tf.string, hash_keys=None):
        if hash_keys is not None:
            if not isinstance(hash_keys, list) or not hash_keys:
                raise ValueError("hash_keys must be a non-empty list.")
            if any(not isinstance(pair, list) or len(pair) != 2 or
                   any(not isinstance(k, int) for k in pair) for pair in hash_keys):
                raise ValueError("Each element of hash_keys must be a pair of integers.")
        obj = super().__new__(cls, column_name, is_integerized, bucket_size, lookup_config,
                              combiner, dtype)
        obj.hash_keys = hash_keys  # not a field: TF keeps it out of the key
        return obj

    def _do_transform(self, st):
        text = tf.as_string(st.values) if self.dtype.is_integer else st.values
        if not self.hash_keys:
            return _with_values(st, tf.strings.to_hash_bucket_fast(text, self.bucket_size,
                                                                   name="lookup"))
        hashed = [_with_values(st, tf.string_to_hash_bucket_strong(text, self.bucket_size, key))
                  for key in self.hash_keys]
        return tf.sparse.concat(1, hashed, name="lookup")


def sparse_column_with_hash_bucket(column_name, hash_bucket_size, combiner="sum",
                                   dtype=tf.string, hash_keys=None):
    """Ids from hashing the features (integers as their decimal strings) into
    ``hash_bucket_size`` buckets with FarmHash (or, per ``hash_keys`` pair, a keyed hash)."""
    return _SparseColumnHashed(column_name, bucket_size=hash_bucket_size, combiner=combiner,
                               dtype=dtype, hash_keys=hash_keys)


class _SparseColumnKeys(_SparseColumn):
    """See ``sparse_column_with_keys``."""

    def _do_transform(self, st):
        from ..lookup import index_table_from_tensor

        if st.dtype.is_integer and st.dtype != tf.int64:
            st = _with_values(st, tf.cast(st.values, tf.int64))
        table = index_table_from_tensor(mapping=tuple(self.lookup_config.keys),
                                        default_value=self.lookup_config.default_value,
                                        dtype=self.dtype, name="lookup")
        return table.lookup(st)


def sparse_column_with_keys(column_name, keys, default_value=-1, combiner="sum",
                            dtype=tf.string):
    """Ids of the features in ``keys`` (their positions); others get ``default_value``."""
    keys = tuple(keys)
    return _SparseColumnKeys(column_name, lookup_config=_SparseIdLookupConfig(
        keys=keys, vocab_size=len(keys), default_value=default_value),
        combiner=combiner, dtype=dtype)


class _SparseColumnVocabulary(_SparseColumn):
    """See ``sparse_column_with_vocabulary_file``."""

    def _do_transform(self, st):
        from ..lookup import index_table_from_file

        if self.dtype.is_integer:
            st = _with_values(st, tf.as_string(st.values))
        config = self.lookup_config
        table = index_table_from_file(
            vocabulary_file=config.vocabulary_file, num_oov_buckets=config.num_oov_buckets,
            vocab_size=config.vocab_size, default_value=config.default_value,
            name=self.name + "_lookup")
        return table.lookup(st)


def sparse_column_with_vocabulary_file(column_name, vocabulary_file, num_oov_buckets=0,
                                       vocab_size=None, default_value=-1, combiner="sum",
                                       dtype=tf.string):
    """Ids of the features among the first ``vocab_size`` lines of ``vocabulary_file``;
    others get ``default_value`` or one of ``num_oov_buckets`` hashed buckets."""
    if vocab_size is None:
        raise ValueError(f"vocab_size should be defined. column_name: {column_name}")
    return _SparseColumnVocabulary(column_name, lookup_config=_SparseIdLookupConfig(
        vocabulary_file=vocabulary_file, num_oov_buckets=num_oov_buckets,
        vocab_size=vocab_size, default_value=default_value), combiner=combiner, dtype=dtype)


class _WeightedSparseColumn(_FeatureColumn, _CoreCategorical, collections.namedtuple(
        "_WeightedSparseColumn", ["sparse_id_column", "weight_column_name", "dtype"])):
    """See ``weighted_sparse_column``: its transform is the pair (ids, float weights)."""

    name = property(lambda self: f"{self.sparse_id_column.name}_weighted_by_"
                                 f"{self.weight_column_name}")
    length = property(lambda self: self.sparse_id_column.length)
    lookup_config = property(lambda self: self.sparse_id_column.lookup_config)
    key = property(lambda self: f"{self}")
    _num_buckets = property(lambda self: self.length)

    @property
    def config(self):
        config = _get_feature_config(self.sparse_id_column)
        config.update({self.weight_column_name: tf.VarLenFeature(self.dtype)})
        return config

    def id_tensor(self, input_tensor):
        return input_tensor[0]

    def weight_tensor(self, input_tensor):
        return input_tensor[1]

    def _to_dnn_input_layer(self, input_tensor, weight_collections=None, trainable=True,
                            output_rank=2):
        raise ValueError(f"WeightedSparseColumn is not supported in DNN. Please use "
                         f"embedding_column or one_hot_column. column: {self}")

    def _wide_embedding_lookup_arguments(self, input_tensor):
        return _LinearEmbeddingLookupArguments(
            self.id_tensor(input_tensor), self.weight_tensor(input_tensor), self.length,
            tf.zeros_initializer(), self.sparse_id_column.combiner)

    def _transform_feature(self, inputs):
        weights = inputs.get(self.weight_column_name)
        if not isinstance(weights, tf.SparseTensor):  # zero weights are missing ones
            weights = _dense_to_sparse(_reshape_real_valued_tensor(
                tf.convert_to_tensor(weights), 2, self.weight_column_name))
        if not (weights.dtype.is_floating or weights.dtype.is_integer):
            raise ValueError(f"Weights of column {self.name} must be numbers, got "
                             f"{weights.dtype!r}.")
        if not self.dtype.is_floating:
            weights = _with_values(weights, tf.cast(weights.values, tf.float32))
        return inputs.get(self.sparse_id_column), weights

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        value = inputs.get(self)
        return _CoreCategorical.IdWeightPair(self.id_tensor(value), self.weight_tensor(value))

    def is_compatible(self, other_column):
        if isinstance(other_column, _WeightedSparseColumn):
            return self.sparse_id_column.is_compatible(other_column.sparse_id_column)
        return self.sparse_id_column.is_compatible(other_column)


def weighted_sparse_column(sparse_id_column, weight_column_name, dtype=tf.float32):
    """``sparse_id_column``'s ids, each weighted by the value at the same index of the
    feature ``weight_column_name``."""
    dtype = _as_dtype(dtype, "weighted_sparse_column")
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype is not convertible to float. Given {dtype}")
    if not isinstance(sparse_id_column, _SparseColumn):
        raise ValueError(f"sparse_id_column must be a _SparseColumn made by a "
                         f"sparse_column_with_* function. Given: {sparse_id_column}")
    return _WeightedSparseColumn(sparse_id_column, weight_column_name, dtype)


# -- parsing -------------------------------------------------------------------------------------
def _get_feature_config(feature_column):
    if not isinstance(feature_column, _FeatureColumn):
        raise TypeError(f"feature_columns should only contain instances of _FeatureColumn. "
                        f"Given column is {feature_column}")
    return dict(feature_column.config)


def create_feature_spec_for_parsing(feature_columns):
    """The ``tf.parse_example`` spec of the base features the columns (an iterable, or a
    dict's values) read: a VarLenFeature or FixedLenFeature per feature name."""
    if isinstance(feature_columns, dict):
        feature_columns = feature_columns.values()
    config = {}
    for column in feature_columns:
        config.update(_get_feature_config(column))
    return config


def make_place_holder_tensors_for_base_features(feature_columns):
    """A placeholder per base feature: a sparse one for a VarLenFeature, a ``[None, n]`` one
    for a FixedLenFeature, named ``Placeholder_<feature>``."""
    placeholders = {}
    for name, spec in create_feature_spec_for_parsing(feature_columns).items():
        if isinstance(spec, tf.VarLenFeature):
            placeholders[name] = tf.sparse_placeholder(spec.dtype, name=f"Placeholder_{name}")
        else:
            placeholders[name] = tf.placeholder(spec.dtype, shape=(None, spec.shape[0]),
                                                name=f"Placeholder_{name}")
    return placeholders


# The other columns live in feature_column_more.py, which builds on the names above.
from .feature_column_more import (_BucketizedColumn, _CrossedColumn,  # noqa: E402, F401
                                  _EmbeddingColumn, _OneHotColumn, _RealValuedColumn,
                                  bucketized_column, crossed_column, embedding_column,
                                  one_hot_column, real_valued_column, shared_embedding_columns)
