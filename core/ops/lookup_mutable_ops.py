"""Mutable lookup tables: MutableHashTableV2 (scalar values), MutableHashTableOfTensorsV2
(vector values), MutableDenseHashTableV2 (open addressing, with an empty and a deleted key),
and the ops that change a table, LookupTableInsertV2 and LookupTableRemoveV2, behind
``tf.lookup.experimental`` (core/lookup_mutable.py).

Their handles are read by the same LookupTableFindV2 / SizeV2 / ExportV2 / ImportV2 ops as a
static table's (core/ops/lookup_ops.py): those call the table's methods, overridden here. A
table lives in the session's per-op state, as a HashTableV2's; it starts empty.

The dense table keeps TF's bucket arrays (quadratic probing, growth by doubling past
``max_load_factor``) because its export and its checkpoints are those arrays: keys land in the
buckets TF puts them in (integers hashed as themselves, strings with TF's Hash64), so bucket
arrays from TF's checkpoints are probed as TF probes them, and ours restore into TF.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from ..errors import InternalError, InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape, as_shape
from .lookup_ops import Table, as_array, shape_str

__all__: list[str] = []  # the public API lives in core/lookup_mutable.py

# The (key, value) dtypes TF registers a CPU kernel for, per op (TF 2.21).
_NUMBERS = ("int32", "int64", "float32", "float64")
_KERNELS = {
    "MutableHashTableV2": {("int32", v) for v in ("int32", "float32", "float64")} |
    {("int64", v) for v in (*_NUMBERS[1:], "int32", "string")} |
    {("string", v) for v in (*_NUMBERS, "bool")},
    "MutableDenseHashTableV2": {("int32", v) for v in ("int32", "float32", "float64")} |
    {("int64", v) for v in (*_NUMBERS, "bool")} | {("string", v) for v in (*_NUMBERS, "bool")},
}
_KERNELS["MutableHashTableOfTensorsV2"] = _KERNELS["MutableHashTableV2"]
_TF_NAMES = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE"}
_MASK = (1 << 64) - 1


def _check_kernel(op_type, key_dtype, value_dtype):
    if (key_dtype.name, value_dtype.name) not in _KERNELS[op_type]:
        names = [_TF_NAMES.get(d.name, "DT_" + d.name.upper()) for d in (key_dtype, value_dtype)]
        raise InvalidArgumentError(None, None, f"No OpKernel was registered to support Op "
                                   f"'{op_type}' with these attrs: [key_dtype={names[0]}, "
                                   f"value_dtype={names[1]}]")


def _numpy_type(dtype):
    return object if dtype == _dt.string else dtype.as_numpy_dtype


class MutableTable(Table):
    """MutableHashTableV2 / OfTensorsV2: key -> value (a row array for a vector table)."""

    def __init__(self, name, key_dtype, value_dtype, value_shape=()):
        super().__init__(name, key_dtype, value_dtype)
        self.value_shape = tuple(value_shape)
        self.data = {}

    def _checked(self, keys, values):
        """TF's check of keys and values: their dtypes, and values shaped keys + a value."""
        keys, values = np.asarray(keys), np.asarray(values)
        self.check_types(keys, values)
        want = keys.shape + self.value_shape
        if values.shape != want:
            raise InvalidArgumentError(None, None, f"Expected shape {shape_str(want)} for value, "
                                       f"got {shape_str(values.shape)}")
        rows = values.reshape((keys.size,) + self.value_shape)
        rows = list(np.array(rows)) if self.value_shape else rows.tolist()  # copies
        return keys.reshape(-1).tolist(), rows

    def insert(self, keys, values):
        keys, rows = self._checked(keys, values)
        with self.lock:
            self.data.update(zip(keys, rows))  # a key given twice: the last value wins

    def import_values(self, keys, values):
        keys, rows = self._checked(keys, values)
        with self.lock:
            self.data = dict(zip(keys, rows))

    def remove(self, keys):
        keys = np.asarray(keys)
        self.check_types(keys)
        with self.lock:
            for k in keys.reshape(-1).tolist():
                self.data.pop(k, None)  # a missing key is ignored, as TF

    def find(self, keys, default_value):
        keys, default = np.asarray(keys), np.asarray(default_value)
        self.check_types(keys)
        full = keys.shape + self.value_shape
        if default.shape not in (self.value_shape, full):  # one default, or one per key
            raise InvalidArgumentError(None, None, f"Expected shape {shape_str(self.value_shape)}"
                                       f" or {shape_str(full)} for default value, got "
                                       f"{shape_str(default.shape)}")
        out = np.empty(full, _numpy_type(self.value_dtype))
        rows = out.reshape((keys.size,) + self.value_shape)  # a view: filled row by row
        fills = default.reshape(rows.shape) if default.shape == full else None
        if default.ndim == 0:  # its element: a 0-d object array would go in a string row as is
            default = default[()]
        with self.lock:
            for i, k in enumerate(keys.reshape(-1).tolist()):
                v = self.data.get(k)
                rows[i] = v if v is not None else default if fills is None else fills[i]
        return out

    def export(self):
        with self.lock:
            keys, values = list(self.data), list(self.data.values())
        out = np.empty((len(values),) + self.value_shape, _numpy_type(self.value_dtype))
        for i, v in enumerate(values):
            out[i] = v
        return [as_array(keys, self.key_dtype), out]

    def size(self) -> int:
        return len(self.data)


def _hash_table_kernel(state, *, container, shared_name, use_node_name_sharing, key_dtype,
                       value_dtype, value_shape=None):
    table = state.get("table")
    if table is None:
        op_type = "MutableHashTableV2" if value_shape is None else "MutableHashTableOfTensorsV2"
        _check_kernel(op_type, key_dtype, value_dtype)
        if value_shape is not None and len(value_shape) != 1:  # TF's constructor check
            raise InvalidArgumentError(None, None, f"Default value must be a vector, got shape "
                                       f"{shape_str(value_shape)}")
        table = state.setdefault("table", MutableTable(shared_name or op_type, key_dtype,
                                                       value_dtype, value_shape or ()))
    return table


def _shape_attr(value_shape):
    """The value_shape attr as a tuple of ints (a fully defined shape, as TF requires)."""
    shape = as_shape(value_shape)
    if not shape.is_fully_defined():
        raise shape_error(f"value_shape must be fully defined, got {shape}")
    return tuple(shape.as_list())


_TABLE_ATTRS = {"container": "", "shared_name": "", "use_node_name_sharing": False,
                "key_dtype": req("type"), "value_dtype": req("type")}
_HANDLE = [TensorSpec(TensorShape([]), _dt.resource)]

MUTABLE_HASH_TABLE = register(OpDef(
    "MutableHashTableV2", attrs=_TABLE_ATTRS, kernel=_hash_table_kernel,
    infer=lambda **_: _HANDLE, grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="A mutable hash table's handle: scalar values; starts empty.",
))
MUTABLE_HASH_TABLE_OF_TENSORS = register(OpDef(
    "MutableHashTableOfTensorsV2", attrs={**_TABLE_ATTRS, "value_shape": TensorShape([])},
    kernel=lambda state, *, value_shape, **kw: _hash_table_kernel(
        state, value_shape=_shape_attr(value_shape), **kw),
    infer=lambda **_: _HANDLE, grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="A mutable hash table's handle: values of shape value_shape; starts empty.",
))


def _tf_hash64(data: bytes) -> int:
    """TF's Hash64 of a string (a MurmurHash64A, seed 0xDECAFCAFFE): 8 bytes at a time, the
    tail byte by byte, then a final mix."""
    m, r = 0xC6A4A7935BD1E995, 47
    n = len(data)
    h = (0xDECAFCAFFE ^ (n * m)) & _MASK
    whole = n - n % 8
    for i in range(0, whole, 8):
        k = (int.from_bytes(data[i:i + 8], "little") * m) & _MASK
        k = ((k ^ (k >> r)) * m) & _MASK
        h = ((h ^ k) * m) & _MASK
    if n % 8:
        h = ((h ^ int.from_bytes(data[whole:], "little")) * m) & _MASK
    h = ((h ^ (h >> r)) * m) & _MASK
    return h ^ (h >> r)


def _combine(a: int, b: int) -> int:
    """TF's Hash64Combine (the hash of a vector key, element by element)."""
    return (a ^ (b + 0x9E3779B97F4A7800 + ((a << 10) & _MASK) + (a >> 4))) & _MASK


class DenseTable(Table):
    """MutableDenseHashTableV2: TF's bucket arrays (keys, values), one row per bucket; an
    empty bucket holds ``empty_key``, a removed entry's ``deleted_key``."""

    def __init__(self, name, key_dtype, value_dtype, value_shape, empty_key, deleted_key,
                 num_buckets, max_load_factor):
        super().__init__(name, key_dtype, value_dtype)
        self.data = {}  # unused (Table's): the buckets hold the contents
        if not 0 < max_load_factor < 1:
            raise InvalidArgumentError(None, None, f"max_load_factor must be between 0 and 1, "
                                       f"got: {max_load_factor:g}")
        empty_key, deleted_key = np.asarray(empty_key), np.asarray(deleted_key)
        for what, shape in (("value", value_shape), ("key", empty_key.shape)):
            if len(shape) > 1:
                raise InvalidArgumentError(None, None, f"Empty {what} must be a scalar or a "
                                           f"vector, got shape {shape_str(shape)}")
        if deleted_key.shape != empty_key.shape:
            raise InvalidArgumentError(None, None, f"Empty and deleted keys must have same "
                                       f"shape, got shapes: {shape_str(empty_key.shape)} and "
                                       f"{shape_str(deleted_key.shape)}")
        self.check_types(empty_key, what="empty_key")
        self.key_shape, self.value_shape = empty_key.shape, tuple(value_shape)
        self.key_size, self.value_size = max(empty_key.size, 1), int(np.prod(value_shape))
        self.empty, self.deleted = self._keys(empty_key[None])[0], \
            self._keys(deleted_key[None])[0]
        if self.empty == self.deleted:
            raise InvalidArgumentError(None, None, "Empty and deleted keys cannot be equal")
        self.max_load_factor = np.float32(max_load_factor)  # a float attr: C++ float maths
        self._allocate(num_buckets)

    def _keys(self, keys: np.ndarray) -> list:
        """The keys of an array of them (a vector key as a tuple)."""
        if not self.key_shape:
            return keys.reshape(-1).tolist()
        return [tuple(r) for r in keys.reshape(-1, self.key_size).tolist()]

    def _hash(self, key) -> int:
        if isinstance(key, tuple):
            h = 0
            for k in key:
                h = _combine(h, self._hash(k))
            return h
        return _tf_hash64(key) if isinstance(key, bytes) else int(key) & _MASK

    def _allocate(self, num_buckets):
        if num_buckets < 4 or num_buckets & (num_buckets - 1):
            raise InvalidArgumentError(None, None, f"Number of buckets must be at least 4 and a "
                                       f"power of 2, got: {num_buckets}")
        self.buckets = [self.empty] * num_buckets
        self.values = np.zeros((num_buckets, self.value_size), _numpy_type(self.value_dtype))
        if self.value_dtype == _dt.string:
            self.values[...] = b""
        self.entries = 0

    def _probe(self, key, what: str, stop_at_deleted: bool) -> int:
        """The bucket holding ``key``, else the first empty one (or, to insert, deleted)."""
        if key == self.empty or key == self.deleted:
            name = "empty_key" if key == self.empty else "deleted_key"
            raise InvalidArgumentError(None, None, f"Using the {name} as a table key is not "
                                       f"allowed")
        buckets, mask = self.buckets, len(self.buckets) - 1
        index, probes = self._hash(key) & mask, 0
        while True:
            b = buckets[index]
            if b == key or b == self.empty or (stop_at_deleted and b == self.deleted):
                return index
            probes += 1
            index = (index + probes) & mask  # quadratic probing
            if probes >= len(buckets):
                raise InternalError(None, None, f"Internal error in MutableDenseHashTable "
                                    f"{what}")

    def _batch(self, keys: np.ndarray) -> int:
        """TF: keys are [n] + key shape (a scalar key counts as one)."""
        n = keys.shape[0] if keys.ndim else 1
        if keys.size != n * self.key_size:
            raise InvalidArgumentError(None, None, f"Expected key shape "
                                       f"{shape_str((n,) + self.key_shape)} got "
                                       f"{shape_str(keys.shape)}")
        return n

    def _check_pairs(self, keys, values, vectorized: bool):
        """TF's checks of keys and values for insert (import: the bucket layout, where a
        scalar key or value takes a column of its own)."""
        self.check_types(keys, values)
        key_shape = self.key_shape or ((1,) if vectorized else ())
        value_shape = self.value_shape or ((1,) if vectorized else ())
        if keys.shape[keys.ndim - len(self.key_shape):] != self.key_shape:
            raise InvalidArgumentError(None, None, f"Input key shape {shape_str(keys.shape)} "
                                       f"must end with the table's key shape "
                                       f"{shape_str(self.key_shape)}")
        want = keys.shape[:keys.ndim - len(key_shape)] + value_shape
        if values.shape != want:
            raise InvalidArgumentError(None, None, f"Expected shape {shape_str(want)} for value, "
                                       f"got {shape_str(values.shape)}")

    def _insert(self, keys: list, rows: np.ndarray, skip_markers: bool):
        for key, row in zip(keys, rows):
            if skip_markers and (key == self.empty or key == self.deleted):
                continue
            i = self._probe(key, "insert", True)
            if self.buckets[i] != key:
                self.entries += 1
                self.buckets[i] = key
            self.values[i] = row

    def insert(self, keys, values):
        keys, values = np.asarray(keys), np.asarray(values)
        self._check_pairs(keys, values, False)
        n = self._batch(keys)
        with self.lock:
            # As TF: every key counts as new when deciding to grow.
            if n + self.entries > len(self.buckets) * self.max_load_factor:
                size = len(self.buckets) * 2
                while n + self.entries > size * self.max_load_factor:
                    size *= 2
                old, old_values = self.buckets, self.values
                self._allocate(size)
                self._insert(old, old_values, True)
            self._insert(self._keys(keys), values.reshape(n, self.value_size), False)

    def remove(self, keys):
        keys = np.asarray(keys)
        self.check_types(keys)
        self._batch(keys)
        with self.lock:
            for key in self._keys(keys):
                i = self._probe(key, "remove", False)
                if self.buckets[i] == key:
                    self.buckets[i] = self.deleted
                    self.entries -= 1

    def find(self, keys, default_value):
        keys = np.asarray(keys)
        self.check_types(keys)
        n = self._batch(keys)
        # TF reads the first value of the default, whatever its shape.
        default = np.asarray(default_value).reshape(-1)[:self.value_size]
        out = np.empty((n, self.value_size), _numpy_type(self.value_dtype))
        with self.lock:
            for j, key in enumerate(self._keys(keys)):
                i = self._probe(key, "lookup", False)
                out[j] = self.values[i] if self.buckets[i] == key else default
        return out.reshape(keys.shape[:keys.ndim - len(self.key_shape)] + self.value_shape)

    def import_values(self, keys, values):
        """The bucket arrays as an export (or a checkpoint) holds them, taken as they are."""
        keys, values = np.asarray(keys), np.asarray(values)
        self._check_pairs(keys, values, True)
        n = keys.shape[0] if keys.ndim else 1
        with self.lock:
            self.buckets = self._keys(keys)
            self.values = np.array(values.reshape(n, self.value_size), copy=True)
            self.entries = sum(k != self.empty and k != self.deleted for k in self.buckets)

    def contents(self):
        keys, values = self.export()
        live = np.array([b != self.empty and b != self.deleted for b in self.buckets], bool)
        return [keys[live].reshape((-1,) + self.key_shape),
                values[live].reshape((-1,) + self.value_shape)]

    def export(self):
        with self.lock:
            keys = as_array(self.buckets, self.key_dtype) if not self.key_shape else \
                np.array(self.buckets, _numpy_type(self.key_dtype)).reshape(-1, self.key_size)
            return [keys.reshape(-1, self.key_size), self.values.copy()]

    def size(self) -> int:
        return self.entries


def _dense_kernel(state, empty_key, deleted_key, *, container, shared_name,
                  use_node_name_sharing, value_dtype, value_shape, initial_num_buckets,
                  max_load_factor):
    table = state.get("table")
    if table is None:
        empty_key = np.asarray(empty_key)  # key_dtype is derived: the kernel reads it here
        key_dtype = _dt.string if empty_key.dtype.kind in "OSU" else _dt.from_numpy(empty_key)
        _check_kernel("MutableDenseHashTableV2", key_dtype, value_dtype)
        table = state.setdefault("table", DenseTable(
            shared_name or "MutableDenseHashTable", key_dtype, value_dtype,
            _shape_attr(value_shape), empty_key, deleted_key, initial_num_buckets,
            max_load_factor))
    return table


def _dense_infer(empty_key, deleted_key, **_):
    for what, key in (("empty_key", empty_key), ("deleted_key", deleted_key)):
        if key.shape.rank is not None and key.shape.rank > 1:
            raise shape_error(f"Shape must be at most rank 1 but is rank {key.shape.rank} for "
                              f"the {what}")
    return _HANDLE


MUTABLE_DENSE_HASH_TABLE = register(OpDef(
    "MutableDenseHashTableV2", inputs=["empty_key:key_dtype", "deleted_key:key_dtype"],
    # key_dtype: the empty key's dtype
    attrs={**{k: v for k, v in _TABLE_ATTRS.items() if k != "key_dtype"},
           "value_shape": TensorShape([]), "initial_num_buckets": 131072,
           "max_load_factor": 0.8},
    kernel=_dense_kernel, infer=_dense_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    resource="state",
    doc="A dense (open addressing) hash table's handle; empty_key and deleted_key mark free "
        "and removed buckets and may not be used as keys.",
))


def _insert_kernel(table, keys, values):
    table.insert(keys, values)
    return ()


def _remove_kernel(table, keys):
    table.remove(keys)
    return ()


LOOKUP_TABLE_INSERT = register(OpDef(
    "LookupTableInsertV2", inputs=["table_handle:resource", "keys:Tin", "values:Tout"],
    kernel=_insert_kernel, infer=lambda *_: [], grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Sets each key's value (a mutable table; a static one refuses).",
))
LOOKUP_TABLE_REMOVE = register(OpDef(
    "LookupTableRemoveV2", inputs=["table_handle:resource", "keys:Tin"],
    kernel=_remove_kernel, infer=lambda *_: [], grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Removes keys from a mutable table; a missing key is ignored.",
))
