"""``tf.contrib.lookup`` (TF 1.15): vocabulary tables built from a tensor or a file, their
out-of-vocabulary hash buckets (``IdTableWithHashBuckets`` with TF's hashers, so ids match
TensorFlow's) and the mutable tables. The tables themselves are minitf's ``tf.lookup`` ones;
this module adds TF1's factory functions and contrib's argument names (``mapping``)."""

from __future__ import annotations

import collections
import functools

from .. import dtypes as _dt
from ..graph import Tensor, convert_to_tensor, name_scope
from ..lookup import (KeyValueTensorInitializer, oov_bucket_ids, StaticHashTable, TextFileIndex,
                      TextFileInitializer)
from ..lookup_mutable import DenseHashTable, MutableHashTable
from ..ragged_dispatch import ragged_unary
from ..sparse_tensor import SparseTensor

__all__ = ["FastHashSpec", "HashTable", "HasherSpec", "IdTableWithHashBuckets",
           "KeyValueTensorInitializer", "MutableDenseHashTable", "MutableHashTable",
           "StrongHashSpec", "TextFileIdTableInitializer", "TextFileIndex",
           "TextFileInitializer", "TextFileStringTableInitializer", "index_table_from_file",
           "index_table_from_tensor", "index_to_string", "index_to_string_table_from_file",
           "index_to_string_table_from_tensor", "string_to_index",
           "string_to_index_table_from_file", "string_to_index_table_from_tensor"]

MutableDenseHashTable = DenseHashTable  # TF 1.15's contrib name for core's DenseHashTable


class HasherSpec(collections.namedtuple("HasherSpec", ["hasher", "key"])):
    """TF's HasherSpec: which string hash buckets out-of-vocabulary keys ("fasthash",
    "legacy" or "stronghash" with its two-integer ``key``)."""

    __slots__ = ()


FastHashSpec = HasherSpec("fasthash", None)


class StrongHashSpec(HasherSpec):
    """TF's StrongHashSpec: SipHash-2-4 under a secret ``key`` of two integers."""

    __slots__ = ()

    def __new__(cls, key):
        if len(key) != 2:
            raise ValueError(f"key must have size 2, got {len(key)}.")
        if not isinstance(key[0], int) or not isinstance(key[1], int):
            raise TypeError(f"Invalid key {key}. Must be unsigned integer values.")
        return super().__new__(cls, "stronghash", key)


class HashTable(StaticHashTable):
    """TF 1.x's tf.contrib.lookup.HashTable: an initialized, immutable table (``init`` is its
    initializer op, TF1's older name for ``initializer``)."""

    def __init__(self, initializer, default_value, shared_name=None, name=None):
        super().__init__(initializer, default_value, name=name)

    @property
    def init(self):
        return self.initializer


class TextFileStringTableInitializer(TextFileInitializer):
    """TF's TextFileStringTableInitializer: int64 line numbers to the lines (strings)."""

    def __init__(self, filename, key_column_index=TextFileIndex.LINE_NUMBER,
                 value_column_index=TextFileIndex.WHOLE_LINE, vocab_size=None, delimiter="\t",
                 name="text_file_string_table_init"):
        super().__init__(filename, _dt.int64, key_column_index, _dt.string,
                         value_column_index, vocab_size=vocab_size, delimiter=delimiter,
                         name=name)


class TextFileIdTableInitializer(TextFileInitializer):
    """TF's TextFileIdTableInitializer: the lines (``key_dtype``) to their int64 numbers."""

    def __init__(self, filename, key_column_index=TextFileIndex.WHOLE_LINE,
                 value_column_index=TextFileIndex.LINE_NUMBER, vocab_size=None, delimiter="\t",
                 name="text_file_id_table_init", key_dtype=_dt.string):
        super().__init__(filename, key_dtype, key_column_index, _dt.int64,
                         value_column_index, vocab_size=vocab_size, delimiter=delimiter,
                         name=name)


def _hash_bucket_fn(hasher_spec):
    from ..ops.string_extra_ops import string_to_hash_bucket, string_to_hash_bucket_strong
    from ..strings import to_hash_bucket_fast

    if not isinstance(hasher_spec, HasherSpec):
        raise TypeError(f"hasher_spec must be of type HasherSpec {hasher_spec}")
    if hasher_spec.hasher == "fasthash":
        return to_hash_bucket_fast
    if hasher_spec.hasher == "legacy":
        return lambda s, num_buckets, name: string_to_hash_bucket(s, num_buckets, name=name)
    if hasher_spec.hasher == "stronghash":
        return functools.partial(string_to_hash_bucket_strong, key=hasher_spec.key)
    raise ValueError(f"Unknown hasher {hasher_spec.hasher}")


class IdTableWithHashBuckets:
    """TF's IdTableWithHashBuckets: ``table``'s ids, and for a key it lacks (or for every key
    when ``table`` is None) ``table.size() + hash(key) % num_oov_buckets`` (integer keys are
    hashed as their decimal strings, as TF)."""

    def __init__(self, table, num_oov_buckets, hasher_spec=FastHashSpec, name=None,
                 key_dtype=None):
        if table is None:
            name = name or "hash_bucket"
            key_dtype = _dt.as_dtype(key_dtype) if key_dtype is not None else _dt.string  # TF's
            if not key_dtype.is_integer and key_dtype != _dt.string:
                raise TypeError(f"Invalid key_dtype, expected integer or string, got "
                                f"{key_dtype}.")
            if num_oov_buckets == 0:  # TF's words: nothing would give an id
                raise ValueError("oov_buckets must be > 0 if no table is supplied.")
        else:
            if table.value_dtype != _dt.int64:
                raise TypeError(f"Invalid value dtype, expected {_dt.int64} but got "
                                f"{table.value_dtype}.")
            key_dtype = _dt.as_dtype(key_dtype) if key_dtype is not None else table.key_dtype
            if table.key_dtype != key_dtype and not (
                    key_dtype.is_integer and table.key_dtype == _dt.int64):
                raise TypeError(f"Invalid key dtype, expected {table.key_dtype} but got "
                                f"{key_dtype}.")
            name = name or table.name
        if isinstance(num_oov_buckets, bool) or not isinstance(num_oov_buckets, int) or \
                num_oov_buckets < 0:
            raise ValueError(f"oov_buckets must be a non-negative integer, got "
                             f"{num_oov_buckets}.")
        _hash_bucket_fn(hasher_spec)  # a bad spec fails now, not at the first lookup
        self._table, self._num_oov_buckets = table, num_oov_buckets
        self._hasher_spec, self._key_dtype, self._name = hasher_spec, key_dtype, name

    key_dtype = property(lambda self: self._key_dtype)
    value_dtype = property(lambda self: _dt.int64)
    name = property(lambda self: self._name)

    @property
    def initializer(self):
        from ..ops.constant_ops import no_op

        return self._table.initializer if self._table is not None else no_op()

    init = initializer

    def size(self, name=None) -> Tensor:
        """The table's size plus the OOV buckets."""
        from ..ops.array_ops import constant

        with name_scope(name, f"{self._name}_Size"):
            if self._table is None:
                return constant(self._num_oov_buckets, _dt.int64)
            return self._table.size() + self._num_oov_buckets

    @ragged_unary(arg=1)  # a RaggedTensor's flat values looked up, its rows kept (TF)
    def lookup(self, keys, name=None):
        """The id of each key (int64, keys' shape; a SparseTensor gives one)."""
        from ..ops import math_ops

        values = keys.values if isinstance(keys, SparseTensor) else keys
        if not isinstance(values, Tensor):
            values = convert_to_tensor(values, dtype=self._key_dtype, name="keys")
        if values.dtype.base_dtype != self._key_dtype:
            raise TypeError(f"Signature mismatch. Keys must be dtype {self._key_dtype}, got "
                            f"{values.dtype}.")
        if self._table is not None and self._table.key_dtype == _dt.int64:
            values = math_ops.cast(values, _dt.int64)
        if self._num_oov_buckets == 0:
            ids = self._table.lookup(values, name=name)
        else:
            with name_scope(name, f"{self._name}_Lookup"):
                hash_bucket = _hash_bucket_fn(self._hasher_spec)
                ids = oov_bucket_ids(self._table, values, self._num_oov_buckets,
                                     lambda text, n, name: hash_bucket(text, num_buckets=n,
                                                                       name=name))
        if isinstance(keys, SparseTensor):
            return SparseTensor(keys.indices, ids, keys.dense_shape)
        return ids


def _check_oov(num_oov_buckets):
    if num_oov_buckets < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got "
                         f"{num_oov_buckets}.")


def index_table_from_file(vocabulary_file=None, num_oov_buckets=0, vocab_size=None,
                          default_value=-1, hasher_spec=FastHashSpec, key_dtype=_dt.string,
                          name=None, key_column_index=TextFileIndex.WHOLE_LINE,
                          value_column_index=TextFileIndex.LINE_NUMBER, delimiter="\t"):
    """TF's index_table_from_file: each line of a vocabulary file to its (int64) number."""
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("vocabulary_file must be specified and must not be empty.")
    _check_oov(num_oov_buckets)
    if vocab_size is not None and vocab_size < 1:
        shown = vocabulary_file if not isinstance(vocabulary_file, Tensor) else "?"
        raise ValueError(f"vocab_size must be greater than 0, got {vocab_size}. "
                         f"vocabulary_file: {shown}")
    key_dtype = _dt.as_dtype(key_dtype)
    if not key_dtype.is_integer and key_dtype.base_dtype != _dt.string:
        raise TypeError("Only integer and string keys are supported.")
    with name_scope(name, "string_to_index"):
        with name_scope(None, "hash_table"):
            init = TextFileIdTableInitializer(
                vocabulary_file, vocab_size=vocab_size,
                key_dtype=_dt.int64 if key_dtype.is_integer else key_dtype, name="table_init",
                key_column_index=key_column_index, value_column_index=value_column_index,
                delimiter=delimiter)
            table = HashTable(init, default_value)
        if num_oov_buckets:
            table = IdTableWithHashBuckets(table, num_oov_buckets=num_oov_buckets,
                                           hasher_spec=hasher_spec, key_dtype=key_dtype)
        return table


def index_table_from_tensor(mapping, num_oov_buckets=0, default_value=-1,
                            hasher_spec=FastHashSpec, dtype=_dt.string, name=None):
    """TF's contrib index_table_from_tensor: each key of the 1-D ``mapping`` to its position
    (int64), with ``num_oov_buckets`` hash buckets after them."""
    import minitf as tf

    if mapping is None:
        raise ValueError("mapping must be specified.")
    _check_oov(num_oov_buckets)
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_integer and dtype.base_dtype != _dt.string:
        raise TypeError(f"Expected integer or string, got {dtype}.")
    with name_scope(name, "string_to_index"):
        keys = convert_to_tensor(mapping)
        if keys.dtype.is_integer != dtype.is_integer:
            raise ValueError(f"Expected {'integer' if dtype.is_integer else 'non-integer'}, "
                             f"got {keys.dtype}.")
        if not dtype.is_integer and keys.dtype.base_dtype != dtype:
            raise ValueError(f"Expected {dtype}, got {keys.dtype}.")
        values = tf.cast(tf.range(tf.size(keys)), _dt.int64)
        with name_scope(None, "hash_table"):
            table_keys = tf.cast(keys, _dt.int64) if keys.dtype.is_integer else keys
            init = KeyValueTensorInitializer(table_keys, values, table_keys.dtype.base_dtype,
                                             _dt.int64, name="table_init")
            table = HashTable(init, default_value)
        if num_oov_buckets:
            table = IdTableWithHashBuckets(table, num_oov_buckets=num_oov_buckets,
                                           hasher_spec=hasher_spec, key_dtype=dtype)
        return table


def index_to_string_table_from_file(vocabulary_file, vocab_size=None, default_value="UNK",
                                    name=None, key_column_index=TextFileIndex.LINE_NUMBER,
                                    value_column_index=TextFileIndex.WHOLE_LINE,
                                    delimiter="\t"):
    """TF's index_to_string_table_from_file: int64 line numbers to the file's lines."""
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("vocabulary_file must be specified and must not be empty.")
    if vocab_size is not None and vocab_size < 1:
        raise ValueError(f"vocab_size must be greater than 0, got {vocab_size}.")
    with name_scope(name, "index_to_string"):
        init = TextFileStringTableInitializer(
            vocabulary_file, vocab_size=vocab_size, name="table_init",
            key_column_index=key_column_index, value_column_index=value_column_index,
            delimiter=delimiter)
        return HashTable(init, default_value)


def index_to_string_table_from_tensor(mapping, default_value="UNK", name=None):
    """TF's contrib index_to_string_table_from_tensor: int64 positions to ``mapping``'s
    strings; ``default_value`` for any other id."""
    import minitf as tf

    if mapping is None:
        raise ValueError("mapping must be specified.")
    with name_scope(name, "index_to_string"):
        mapping = convert_to_tensor(mapping, _dt.string)
        keys = tf.cast(tf.range(tf.size(mapping)), _dt.int64)
        init = KeyValueTensorInitializer(keys, mapping, _dt.int64, _dt.string,
                                         name="table_init")
        return HashTable(init, default_value)


def string_to_index(tensor, mapping, default_value=-1, name=None):
    """TF's deprecated string_to_index: ``tensor``'s strings looked up in ``mapping``."""
    table = index_table_from_tensor(mapping=mapping, default_value=default_value, name=name)
    return table.lookup(tensor)


def index_to_string(tensor, mapping, default_value="UNK", name=None):
    """TF's deprecated index_to_string: ``tensor``'s int64 ids looked up in ``mapping``."""
    table = index_to_string_table_from_tensor(mapping=mapping, default_value=default_value,
                                              name=name)
    return table.lookup(tensor)


def string_to_index_table_from_file(vocabulary_file=None, num_oov_buckets=0, vocab_size=None,
                                    default_value=-1, hasher_spec=FastHashSpec, name=None):
    """TF's deprecated string_to_index_table_from_file (index_table_from_file)."""
    return index_table_from_file(vocabulary_file, num_oov_buckets, vocab_size, default_value,
                                 hasher_spec, key_dtype=_dt.string, name=name)


def string_to_index_table_from_tensor(mapping, num_oov_buckets=0, default_value=-1,
                                      hasher_spec=FastHashSpec, name=None):
    """TF's deprecated string_to_index_table_from_tensor (index_table_from_tensor)."""
    return index_table_from_tensor(mapping, num_oov_buckets, default_value, hasher_spec,
                                   dtype=_dt.string, name=name)
