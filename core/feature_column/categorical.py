"""The categorical columns that map keys to ids: vocabulary list and file (lookup tables, with
hashed out-of-vocabulary buckets), hash bucket, weighted and crossed columns."""

from __future__ import annotations

import collections
import os

import numpy as np

from .. import dtypes as _dt
from ..graph import Tensor, convert_to_tensor, name_scope
from ..lookup import (KeyValueTensorInitializer, StaticHashTable, StaticVocabularyTable,
                      TextFileIndex, TextFileInitializer)
from ..ops import array_ops, math_ops
from ..ops.feature_ops import SPARSE_CROSS
from ..ops.parsing_ops import VarLenFeature
from ..sparse_tensor import SparseTensor
from .columns import (_CategoricalColumn, _FeatureColumn, _IdsOnly, _key_is_string,
                      _register, _same_kind, _string_or_int, _to_sparse, _with_values)

_DEFAULT_HASH_KEY = 0xDECAFCAFFE  # TF's sparse_cross_hashed key when none is given


def _oov_check(key, num_oov_buckets, default_given):
    if num_oov_buckets:
        if default_given:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")


class _VocabularyColumn(_IdsOnly, _CategoricalColumn):
    """Shared by the list and file vocabularies: keys looked up in a table (integers as
    int64), unknown keys in hashed OOV buckets or ``default_value``."""

    _parent_fields = ("key",)

    def _transform_feature(self, inputs):
        sp = _to_sparse(inputs.get(self.key))
        _same_kind(self, sp)
        key_dtype = self.dtype
        if sp.dtype.is_integer:
            key_dtype = _dt.int64
            sp = math_ops.cast(sp, _dt.int64)
        with name_scope(f"{self.key}_lookup"):
            with name_scope("hash_table"):
                initializer = self._initializer(key_dtype)
                if self.num_oov_buckets:
                    table = StaticVocabularyTable(initializer, self.num_oov_buckets)
                else:
                    table = StaticHashTable(initializer, self.default_value)
        return table.lookup(sp)


@_register()
class _VocabularyListCategoricalColumn(_VocabularyColumn, collections.namedtuple(
        "_VocabularyListCategoricalColumn",
        ["key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets"])):
    name = property(lambda self: self.key)
    _num_buckets = property(lambda self: len(self.vocabulary_list) + self.num_oov_buckets)

    def _initializer(self, key_dtype):
        keys = convert_to_tensor(list(self.vocabulary_list))
        if keys.dtype.is_integer:
            keys = math_ops.cast(keys, _dt.int64)
        values = math_ops.cast(array_ops.range_(array_ops.size(keys)), _dt.int64)
        return KeyValueTensorInitializer(keys, values, keys.dtype, _dt.int64, name="table_init")


def _vocabulary_dtype(vocabulary_list):
    if all(isinstance(v, (str, bytes)) for v in vocabulary_list):
        return _dt.string
    return _dt.as_dtype(np.array(vocabulary_list).dtype)


def categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1,
                                            num_oov_buckets=0):
    """Ids of the keys in ``vocabulary_list`` (their positions); an unknown key gets
    ``default_value``, or one of ``num_oov_buckets`` hashed buckets after the vocabulary."""
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: "
                         f"{key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: "
                         f"{key}")
    vocabulary_dtype = _vocabulary_dtype(vocabulary_list)
    _oov_check(key, num_oov_buckets, default_value != -1)
    _string_or_int(vocabulary_dtype, f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocabulary_dtype
    else:
        dtype = _dt.as_dtype(dtype)
        if dtype.is_integer != vocabulary_dtype.is_integer:
            raise ValueError(f"dtype {dtype!r} and vocabulary dtype {vocabulary_dtype!r} do not "
                             f"match, column_name: {key}")
    _string_or_int(dtype, f"column_name: {key}")
    _key_is_string(key)
    return _VocabularyListCategoricalColumn(key, tuple(vocabulary_list), dtype, default_value,
                                            num_oov_buckets)


@_register()
class _VocabularyFileCategoricalColumn(_VocabularyColumn, collections.namedtuple(
        "_VocabularyFileCategoricalColumn",
        ["key", "vocabulary_file", "vocabulary_size", "num_oov_buckets", "dtype",
         "default_value"])):
    name = property(lambda self: self.key)
    _num_buckets = property(lambda self: self.vocabulary_size + self.num_oov_buckets)
    _later_config_keys = {"file_format": None}  # a text file, one term a line

    def _initializer(self, key_dtype):
        return TextFileInitializer(self.vocabulary_file, key_dtype, TextFileIndex.WHOLE_LINE,
                                   _dt.int64, TextFileIndex.LINE_NUMBER,
                                   vocab_size=self.vocabulary_size, name="table_init")


def categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None,
                                            num_oov_buckets=0, default_value=None,
                                            dtype=_dt.string):
    """Like the vocabulary list, the vocabulary being a file's lines (its first
    ``vocabulary_size`` lines; all of them by default)."""
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    if vocabulary_size is None:
        if not os.path.exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist.")
        with open(vocabulary_file, "rb") as f:
            vocabulary_size = sum(1 for _ in f)
    if not isinstance(vocabulary_size, Tensor) and vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    _oov_check(key, num_oov_buckets, default_value is not None)
    dtype = _dt.as_dtype(dtype)
    _string_or_int(dtype, f"column_name: {key}")
    _key_is_string(key)
    return _VocabularyFileCategoricalColumn(
        key, vocabulary_file, vocabulary_size, num_oov_buckets or 0, dtype,
        -1 if default_value is None else default_value)


@_register()
class _HashedCategoricalColumn(_IdsOnly, _CategoricalColumn, collections.namedtuple(
        "_HashedCategoricalColumn", ["key", "hash_bucket_size", "dtype"])):
    _parent_fields = ("key",)
    name = property(lambda self: self.key)
    _num_buckets = property(lambda self: self.hash_bucket_size)

    def _transform_feature(self, inputs):
        from ..strings import as_string, to_hash_bucket_fast

        sp = _to_sparse(inputs.get(self.key))
        _string_or_int(sp.dtype, f"column_name: {self.key} input_tensor")
        if self.dtype.is_integer != sp.dtype.is_integer:
            raise ValueError(f"Column dtype and SparseTensors dtype must be compatible. key: "
                             f"{self.key}, column dtype: {self.dtype!r}, tensor dtype: "
                             f"{sp.dtype!r}")
        text = sp.values if self.dtype == _dt.string else as_string(sp.values)
        return _with_values(sp, to_hash_bucket_fast(text, self.hash_bucket_size,
                                                    name="lookup"))


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=_dt.string):
    """Ids from hashing: strings (integers as their decimal strings) into
    ``hash_bucket_size`` buckets with TF's FarmHash fingerprint."""
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    if hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be at least 1. hash_bucket_size: "
                         f"{hash_bucket_size}, key: {key}")
    _key_is_string(key)
    dtype = _dt.as_dtype(dtype)
    _string_or_int(dtype, f"column_name: {key}")
    return _HashedCategoricalColumn(key, hash_bucket_size, dtype)


@_register()
class _WeightedCategoricalColumn(_CategoricalColumn, collections.namedtuple(
        "_WeightedCategoricalColumn", ["categorical_column", "weight_feature_key", "dtype"])):
    _parent_fields = ("categorical_column", "weight_feature_key")
    name = property(lambda self: f"{self.categorical_column.name}_weighted_by_"
                                 f"{self.weight_feature_key}")
    _num_buckets = property(lambda self: self.categorical_column._num_buckets)

    @property
    def _parse_example_spec(self):
        config = dict(self.categorical_column._parse_example_spec)
        if self.weight_feature_key in config:
            raise ValueError(f"Parse config {config[self.weight_feature_key]} already exists "
                             f"for {self.weight_feature_key}.")
        config[self.weight_feature_key] = VarLenFeature(self.dtype)
        return config

    def _transform_feature(self, inputs):
        weights = inputs.get(self.weight_feature_key)
        if self.dtype != weights.dtype:
            raise ValueError(f"Bad dtype, expected {self.dtype!r}, but got {weights.dtype!r}.")
        weights = _to_sparse(weights, ignore_value=0.0)  # a zero weight is a missing one
        if not weights.dtype.is_floating:
            weights = math_ops.cast(weights, _dt.float32)
        return inputs.get(self.categorical_column), weights

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        return _CategoricalColumn.IdWeightPair(*inputs.get(self))


def weighted_categorical_column(categorical_column, weight_feature_key, dtype=_dt.float32):
    """``categorical_column``'s ids, each weighted by the value at the same index of the
    feature ``weight_feature_key``."""
    dtype = None if dtype is None else _dt.as_dtype(dtype)
    if dtype is None or not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype {dtype!r} is not convertible to float.")
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(f"categorical_column must be a categorical column. Given: "
                         f"{categorical_column}")
    return _WeightedCategoricalColumn(categorical_column, weight_feature_key, dtype)


def _leaf_keys(cross):
    keys = []
    for k in cross.keys:
        keys.extend(_leaf_keys(k) if isinstance(k, _CrossedColumn) else [k])
    return keys


@_register()
class _CrossedColumn(_CategoricalColumn, collections.namedtuple(
        "_CrossedColumn", ["keys", "hash_bucket_size", "hash_key"])):
    _parent_fields = ("keys",)
    _num_buckets = property(lambda self: self.hash_bucket_size)

    @property
    def name(self):
        return "_X_".join(sorted(k if isinstance(k, str) else k.name
                                 for k in _leaf_keys(self)))

    @property
    def _parse_example_spec(self):
        config = {}
        for k in self.keys:
            config.update(k._parse_example_spec if isinstance(k, _FeatureColumn)
                          else {k: VarLenFeature(_dt.string)})
        return config

    def _transform_feature(self, inputs):
        sparse, dense = [], []
        for k in _leaf_keys(self):
            if isinstance(k, str):
                value = inputs.get(k)  # a raw feature: dense ones cross as they are
            else:
                pair = k._get_sparse_tensors(inputs)
                if pair.weight_tensor is not None:
                    raise ValueError(f"crossed_column does not support weight_tensor, but the "
                                     f"given column populates weight_tensor. Given column: "
                                     f"{k.name}")
                value = pair.id_tensor
            (sparse if isinstance(value, SparseTensor) else dense).append(value)
        internal = _dt.string
        values = []
        for v in [sp.values for sp in sparse] + dense:
            if v.dtype != _dt.string:
                v, internal = math_ops.cast(v, _dt.int64), _dt.int64
            values.append(v)
        indices, ids, shape = SPARSE_CROSS(
            [sp.indices for sp in sparse], values[:len(sparse)],
            [sp.dense_shape for sp in sparse], values[len(sparse):], hashed_output=True,
            num_buckets=self.hash_bucket_size, hash_key=self.hash_key or _DEFAULT_HASH_KEY,
            out_type=_dt.int64, internal_type=internal, name="SparseCross")
        return SparseTensor(indices, ids, shape)

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        return _CategoricalColumn.IdWeightPair(inputs.get(self), None)


def crossed_column(keys, hash_bucket_size, hash_key=None):
    """Ids of feature combinations: per example, every combination of one value of each key
    (a feature name or a categorical column), hashed into ``hash_bucket_size`` buckets as TF
    hashes them (SparseCross)."""
    if not hash_bucket_size or hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, (str, _CategoricalColumn)):
            raise ValueError(f"Unsupported key type. All keys must be either string, or "
                             f"categorical column except HashedCategoricalColumn. Given: {key}")
        if isinstance(key, _HashedCategoricalColumn):
            raise ValueError(f"categorical_column_with_hash_bucket is not supported for "
                             f"crossing. Hashing before crossing will increase probability of "
                             f"collision. Instead, use the feature name as a string. Given: "
                             f"{key}")
    return _CrossedColumn(tuple(keys), hash_bucket_size, hash_key)
