"""``tf.lookup``: static hash tables and their initializers (TF 1.x's names:
``StaticHashTable``, ``KeyValueTensorInitializer``, ``TextFileInitializer``, ``TextFileIndex``),
over core/ops/lookup_ops.py. A table's initializer op joins the TABLE_INITIALIZERS collection,
so ``tf.tables_initializer()`` runs it, as in TF. ``tf.lookup.experimental`` holds the mutable
tables (core/lookup_mutable.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import dtypes as _dt
from .graph import GraphKeys, Tensor, add_to_collection, convert_to_tensor, name_scope
from .lookup_mutable import DenseHashTable, MutableHashTable
from .ops import lookup_ops as _ops
from .ragged_dispatch import ragged_unary

__all__ = ["KeyValueTensorInitializer", "StaticHashTable", "StaticVocabularyTable",
           "TextFileIndex", "TextFileInitializer", "experimental"]

# tf.lookup.experimental (TF's namespace; only its mutable tables are in minitf).
experimental = SimpleNamespace(DenseHashTable=DenseHashTable, MutableHashTable=MutableHashTable)


class TextFileIndex:
    """Column indices with a meaning of their own: the whole line, or its number."""

    WHOLE_LINE = -2  # TF's values: the op's key_index/value_index attrs carry them
    LINE_NUMBER = -1


class KeyValueTensorInitializer:
    """Initializes a table from a ``keys`` and a ``values`` tensor of the same shape."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        self._keys = convert_to_tensor(keys, dtype=key_dtype, name="keys")
        self._values = convert_to_tensor(values, dtype=value_dtype, name="values")
        self._name = name
        self.key_dtype, self.value_dtype = self._keys.dtype, self._values.dtype

    def initialize(self, table):
        with name_scope(self._name, "key_value_init", [table.resource_handle]):
            op = _ops.LOOKUP_TABLE_IMPORT(table.resource_handle, self._keys, self._values)
        add_to_collection(GraphKeys.TABLE_INITIALIZERS, op)
        return op


class TextFileInitializer:
    """Initializes a table from a text file, one entry per line: the key and value are columns
    split at ``delimiter`` (``TextFileIndex.WHOLE_LINE`` / ``LINE_NUMBER`` for the line itself
    or its number), up to ``vocab_size`` lines."""

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index,
                 vocab_size=None, delimiter="\t", name=None, value_index_offset=0):
        self.key_dtype, self.value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
        for what, index, dtype in (("key", key_index, self.key_dtype),
                                   ("value", value_index, self.value_dtype)):
            if index < -2:
                raise ValueError(f"Invalid {what} index {index}")
            if index == TextFileIndex.LINE_NUMBER and dtype != _dt.int64:
                raise ValueError(f"`{what}_dtype` must be int64 if `{what}_index` is {index}, "
                                 f"received: <dtype: '{dtype.name}'>")
            # A whole line is parsed as an integer for an integer dtype (ids in a file).
            if index == TextFileIndex.WHOLE_LINE and not (dtype.is_integer or
                                                          dtype == _dt.string):
                raise ValueError(f"`{what}_dtype` should be either integer or string for "
                                 f"`{what}_index` {index}, received: <dtype: '{dtype.name}'>")
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"Invalid vocab_size {vocab_size}.")
        if not isinstance(filename, Tensor):
            filename = convert_to_tensor(filename, dtype=_dt.string, name="asset_path")
            # The files a SavedModel copies as assets, as TF's collection.
            add_to_collection(GraphKeys.ASSET_FILEPATHS, filename)
        self._filename, self._name = filename, name
        self._key_index, self._value_index = int(key_index), int(value_index)
        self._vocab_size = -1 if vocab_size is None else int(vocab_size)
        self._delimiter, self._offset = delimiter, int(value_index_offset)

    def initialize(self, table):
        with name_scope(self._name, "text_file_init", [table.resource_handle]):
            op = _ops.INITIALIZE_TABLE_FROM_TEXT_FILE(
                table.resource_handle, self._filename, key_index=self._key_index,
                value_index=self._value_index, vocab_size=self._vocab_size,
                delimiter=self._delimiter, offset=self._offset)
        add_to_collection(GraphKeys.TABLE_INITIALIZERS, op)
        return op


class StaticHashTable:
    """A table from an initializer's keys to its values; ``lookup`` gives ``default_value``
    for a missing key. Immutable once initialized (``tf.tables_initializer()``)."""

    def __init__(self, initializer, default_value, name=None):
        self._initializer = initializer
        self._default = convert_to_tensor(default_value, dtype=initializer.value_dtype,
                                          name="Const")
        if self._default.shape.rank not in (None, 0):  # TF: one default for every key
            raise ValueError(f"Shapes {self._default.shape} and () are not compatible: "
                             f"default_value must be a scalar")
        self._handle = _ops.HASH_TABLE(key_dtype=initializer.key_dtype,
                                       value_dtype=initializer.value_dtype,
                                       name=name or "hash_table")
        # TF's name is the op's last component, without the name scope: lookups then open
        # "<name>_Lookup" under the caller's scope.
        self._name = self._handle.op.name.rsplit("/", 1)[-1]
        self._init_op = initializer.initialize(self)

    @property
    def resource_handle(self) -> Tensor:
        return self._handle

    @property
    def initializer(self):
        return self._init_op

    @property
    def key_dtype(self):
        return self._initializer.key_dtype

    @property
    def value_dtype(self):
        return self._initializer.value_dtype

    @property
    def default_value(self) -> Tensor:
        return self._default

    @property
    def name(self) -> str:
        return self._name

    def size(self, name=None) -> Tensor:
        with name_scope(name, f"{self._name}_Size"):
            return _ops.LOOKUP_TABLE_SIZE(self._handle)

    @ragged_unary(arg=1)  # a RaggedTensor's flat values looked up, its rows kept (TF)
    def lookup(self, keys, name=None) -> Tensor:
        """The value of each key (same shape as ``keys``); ``default_value`` if missing."""
        from .sparse_tensor import SparseTensor

        if isinstance(keys, SparseTensor):  # looked up value by value, as TF
            values = self.lookup(keys.values, name)
            return SparseTensor(keys.indices, values, keys.dense_shape)
        if isinstance(keys, Tensor) and keys.dtype != self.key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be <dtype: '{self.key_dtype.name}'>, "
                            f"received: <dtype: '{keys.dtype.name}'>")
        with name_scope(name, f"{self._name}_Lookup"):
            keys = convert_to_tensor(keys, dtype=self.key_dtype, name="keys")
            return _ops.LOOKUP_TABLE_FIND(self._handle, keys, self._default)

    def export(self, name=None):
        """(keys, values) of the table, in no particular order."""
        with name_scope(name, f"{self._name}_Export"):
            keys, values = _ops.LOOKUP_TABLE_EXPORT(self._handle, Tkeys=self.key_dtype,
                                                    Tvalues=self.value_dtype)
        return keys, values


HashTable = StaticHashTable  # TF 1.x's tf.contrib.lookup name


def oov_bucket_ids(table, values, num_oov_buckets, hash_bucket=None):
    """``table``'s id of each of ``values``, and for a key it lacks (every key when ``table``
    is None) ``table.size() + hash(key) % num_oov_buckets``, integer keys hashed as their
    decimal strings, as TF's vocabulary tables do; ``hash_bucket`` defaults to FarmHash."""
    from .ops import logic_ops, math_ops
    from .strings import as_string, to_hash_bucket_fast

    text = values if values.dtype == _dt.string else as_string(values)
    buckets = (hash_bucket or to_hash_bucket_fast)(text, num_oov_buckets, name="hash_bucket")
    if table is None:
        return buckets
    ids = table.lookup(values)
    buckets = math_ops.add(buckets, table.size())
    known = logic_ops.not_equal(ids, table.default_value)
    return logic_ops.where_v2(known, ids, buckets)


class StaticVocabularyTable:
    """A vocabulary (an initializer of keys -> int64 ids) plus ``num_oov_buckets`` buckets
    after it: a key not in the vocabulary gets ``vocab_size + hash(key) % num_oov_buckets``,
    with TF's string hash (FarmHash Fingerprint64; integer keys hashed as their decimal
    strings), so ids match TensorFlow's."""

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None):
        if isinstance(num_oov_buckets, bool) or not isinstance(num_oov_buckets, int) or \
                num_oov_buckets <= 0:
            raise ValueError(f"`num_oov_buckets` must be a positive integer, got "
                             f"{num_oov_buckets!r}")
        if initializer.value_dtype != _dt.int64:
            raise TypeError(f"Invalid `value_dtype`, expected int64 but got "
                            f"{initializer.value_dtype.name}.")
        key_dtype = initializer.key_dtype
        if key_dtype not in (_dt.int64, _dt.string):  # int32 ids only via lookup_key_dtype
            raise TypeError(f"Invalid `key_dtype`, expected one of (tf.int64, tf.string), but "
                            f"got <dtype: '{key_dtype.name}'>.")
        self._key_dtype = _dt.as_dtype(lookup_key_dtype) if lookup_key_dtype is not None \
            else key_dtype
        self._table = StaticHashTable(initializer, -1)
        self._num_oov_buckets = num_oov_buckets
        self._name = name or self._table.name

    key_dtype = property(lambda self: self._key_dtype)
    value_dtype = property(lambda self: _dt.int64)
    name = property(lambda self: self._name)
    resource_handle = property(lambda self: self._table.resource_handle)
    initializer = property(lambda self: self._table.initializer)

    def size(self, name=None) -> Tensor:
        """The vocabulary's size plus the OOV buckets."""
        with name_scope(name, f"{self._name}_Size"):
            return self._table.size() + np.int64(self._num_oov_buckets)

    @ragged_unary(arg=1)  # a RaggedTensor's flat values looked up, its rows kept (TF)
    def lookup(self, keys, name=None):
        from .ops import math_ops
        from .sparse_tensor import SparseTensor

        values = keys.values if isinstance(keys, SparseTensor) else \
            convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
        if values.dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype.name}, "
                            f"received: {values.dtype.name}")
        if self._table.key_dtype == _dt.int64 and values.dtype != _dt.int64:
            values = math_ops.cast(values, _dt.int64)
        with name_scope(name, f"{self._name}_Lookup"):
            ids = oov_bucket_ids(self._table, values, self._num_oov_buckets)
        if isinstance(keys, SparseTensor):
            return SparseTensor(keys.indices, ids, keys.dense_shape)
        return ids
