"""``tf.lookup.experimental``: tables a graph changes as it runs, ``MutableHashTable`` and
``DenseHashTable``, over core/ops/lookup_mutable_ops.py (their find, size, export and import
ops are the static tables', core/ops/lookup_ops.py).

As in TF 1.x, a table made with ``checkpoint=True`` joins GraphKeys.SAVEABLE_OBJECTS, so
``tf.train.Saver()`` saves it as two tensors, ``<name>-keys`` and ``<name>-values`` (``name``
the constructor's argument, as TF), and a TF checkpoint restores into it and back. A table may
also be given in a Saver's var_list (saved under its dict key, else its name); a restore checks
every table's arrays before it changes any.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from .errors import InvalidArgumentError
from .graph import GraphKeys, Tensor, add_to_collection, convert_to_tensor, name_scope
from .ops import lookup_mutable_ops as _mops
from .ops import lookup_ops as _ops
from .ragged_dispatch import ragged_unary
from .train.saver import SaveableObject

__all__ = ["DenseHashTable", "MutableHashTable"]


class TableSaveable(SaveableObject):
    """A table in a checkpoint: its export (``keys``, ``values`` tensors of the table at
    ``handle``), restored by replacing its contents. Also made for a table of an imported
    graph (tf.train.import_meta_graph), whose names come from the graph's saver."""

    def __init__(self, handle, keys, values, name, names=None):
        keys_name, values_name = names or (name + "-keys", name + "-values")
        super().__init__(handle.op, [(keys_name, keys), (values_name, values)], name)
        self.table_handle = handle

    def check(self, arrays, save_path):
        """Refuses arrays the table cannot take (before any restore is applied)."""
        keys, values = arrays
        op = self.table_handle.op
        for arr, spec, what in ((keys, self.specs[0][1], "keys"),
                                (values, self.specs[1][1], "values")):
            want = np.dtype(object if spec.dtype == _dt.string else spec.dtype.as_numpy_dtype)
            if arr.dtype != want:
                raise InvalidArgumentError(
                    None, None, f"Checkpoint {save_path}: table '{self.name}' ({op.name}): its "
                    f"{what} {self.specs[0 if what == 'keys' else 1][0]} are "
                    f"{_dt_name(arr.dtype)} in the checkpoint but {spec.dtype.name} in the "
                    "graph")
        shape = tuple(op._get_attr("value_shape")) if op.type == \
            "MutableHashTableOfTensorsV2" else ()
        dense = op.type == "MutableDenseHashTableV2"
        if keys.ndim < 1 or (not dense and keys.ndim != 1) or values.ndim < 1 or \
                values.shape[0] != keys.shape[0] or \
                (not dense and tuple(values.shape[1:]) != shape):
            raise InvalidArgumentError(
                None, None, f"Checkpoint {save_path}: table '{self.name}' ({op.name}): keys of "
                f"shape {list(keys.shape)} and values of shape {list(values.shape)} do not fit "
                f"a table of values shaped {list(shape)}")

    def restore(self, sess, arrays):
        # The session's table object (made by its handle op), filled as LookupTableImportV2
        # would: the Saver builds no graph ops, and the graph may be finalized.
        table = sess.run(self.table_handle)
        table.import_values(*arrays)


def _dt_name(dtype) -> str:
    return "string" if dtype.kind == "O" else _dt.from_numpy(np.empty(0, dtype)).name


def table_saveable(handle, key_dtype, value_dtype, name, names=None) -> TableSaveable:
    """The saveable of the table at ``handle``, with its own export op."""
    with name_scope(None, f"{handle.op.name.split('/')[-1]}_lookup_table_export_values",
                    [handle]):
        keys, values = _ops.LOOKUP_TABLE_EXPORT(handle, Tkeys=_dt.as_dtype(key_dtype),
                                                Tvalues=_dt.as_dtype(value_dtype))
    return TableSaveable(handle, keys, values, name, names)


class _MutableTable:
    """What both tables share: dtypes, the handle, size, export and the checkpoint hook."""

    def _setup(self, key_dtype, value_dtype, handle, name, checkpoint):
        self._key_dtype, self._value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
        self._handle = handle
        self._name = name
        self._table_name = handle.op.name.split("/")[-1]
        if checkpoint:
            add_to_collection(GraphKeys.SAVEABLE_OBJECTS, self._to_saveable(name))

    def _to_saveable(self, name=None) -> TableSaveable:
        """How a Saver saves this table: under ``name`` (a var_list dict's key), else the
        constructor's name."""
        if getattr(self, "_exported", None) is None:  # one export op, however many Savers
            self._exported = self.export()
        return TableSaveable(self._handle, *self._exported, name or self._name)

    key_dtype = property(lambda self: self._key_dtype)
    value_dtype = property(lambda self: self._value_dtype)
    resource_handle = property(lambda self: self._handle)
    name = property(lambda self: self._table_name)
    default_value = property(lambda self: self._default_value)

    def size(self, name=None) -> Tensor:
        with name_scope(name, f"{self.name}_Size", [self._handle]):
            return _ops.LOOKUP_TABLE_SIZE(self._handle)

    def export(self, name=None):
        """(keys, values) of the table in no particular order (a DenseHashTable's: its bucket
        arrays, free buckets holding ``empty_key``)."""
        with name_scope(name, f"{self.name}_lookup_table_export_values", [self._handle]):
            return tuple(_ops.LOOKUP_TABLE_EXPORT(self._handle, Tkeys=self._key_dtype,
                                                  Tvalues=self._value_dtype))

    def insert(self, keys, values, name=None):
        """Sets each key's value (``values`` shaped as ``keys`` plus a value's shape)."""
        with name_scope(name, f"{self.name}_lookup_table_insert", [self._handle]):
            keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
            values = convert_to_tensor(values, dtype=self._value_dtype, name="values")
            return _mops.LOOKUP_TABLE_INSERT(self._handle, keys, values)

    def _remove(self, keys, name, message):
        if not isinstance(keys, Tensor):
            keys = convert_to_tensor(keys, dtype=self._key_dtype)
        if keys.dtype != self._key_dtype:
            raise TypeError(message.format(want=f"<dtype: '{self._key_dtype.name}'>",
                                           got=f"<dtype: '{keys.dtype.name}'>"))
        with name_scope(name, f"{self.name}_lookup_table_remove", [self._handle, keys]):
            return _mops.LOOKUP_TABLE_REMOVE(self._handle, keys)

    def __getitem__(self, keys):
        return self.lookup(keys)


def _no_anonymous(experimental_is_anonymous):
    if experimental_is_anonymous:  # its Anonymous*Table ops are not in minitf
        raise ValueError("experimental_is_anonymous=True is not supported by minitf")


class MutableHashTable(_MutableTable):
    """A table from keys to values that ``insert`` and ``remove`` change; a missing key gives
    ``default_value``, whose shape is each value's (a vector: MutableHashTableOfTensorsV2)."""

    def __init__(self, key_dtype, value_dtype, default_value, name="MutableHashTable",
                 checkpoint=True, experimental_is_anonymous=False):
        _no_anonymous(experimental_is_anonymous)
        self._default_value = convert_to_tensor(default_value, dtype=value_dtype)
        self._value_shape = self._default_value.shape
        attrs = dict(use_node_name_sharing=checkpoint, key_dtype=_dt.as_dtype(key_dtype),
                     value_dtype=_dt.as_dtype(value_dtype), name=name)
        if self._value_shape.rank == 0:
            handle = _mops.MUTABLE_HASH_TABLE(**attrs)
        else:
            handle = _mops.MUTABLE_HASH_TABLE_OF_TENSORS(value_shape=self._value_shape, **attrs)
        self._setup(key_dtype, value_dtype, handle, name, checkpoint)

    @ragged_unary(arg=1)  # a RaggedTensor's flat values looked up, its rows kept (TF)
    def lookup(self, keys, dynamic_default_values=None, name=None) -> Tensor:
        """Each key's value (keys' shape plus a value's); a missing key's is the default, or
        its own in ``dynamic_default_values`` (shaped as the result)."""
        with name_scope(name, f"{self.name}_lookup_table_find", [self._handle]):
            keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
            default = self._default_value if dynamic_default_values is None else \
                convert_to_tensor(dynamic_default_values, dtype=self._value_dtype)
            out = _ops.LOOKUP_TABLE_FIND(self._handle, keys, default)
        out.set_shape(keys.shape.concatenate(self._value_shape))  # the table knows the rest
        return out

    def remove(self, keys, name=None):
        """Removes ``keys`` (a missing key is ignored)."""
        return self._remove(keys, name, "Dtype of argument `keys` must be {want}, received: "
                                        "{got}")


class DenseHashTable(_MutableTable):
    """A mutable table in one array of buckets (open addressing, TF's MutableDenseHashTable):
    ``empty_key`` and ``deleted_key`` mark free and removed buckets and may never be used as
    keys. It starts with ``initial_num_buckets`` (a power of 2; TF's default 2**17) and
    doubles past 80% full."""

    def __init__(self, key_dtype, value_dtype, default_value, empty_key, deleted_key,
                 initial_num_buckets=None, name="MutableDenseHashTable", checkpoint=True,
                 experimental_is_anonymous=False):
        _no_anonymous(experimental_is_anonymous)
        self._default_value = convert_to_tensor(default_value, dtype=value_dtype,
                                                name="default_value")
        self._value_shape = self._default_value.shape
        empty = convert_to_tensor(empty_key, dtype=key_dtype, name="empty_key")
        deleted = convert_to_tensor(deleted_key, dtype=key_dtype, name="deleted_key")
        self._empty_key, self._deleted_key = empty_key, deleted_key
        self._key_rank = empty.shape.rank or 0  # a vector key: the keys' last dimension
        buckets = {} if initial_num_buckets is None else \
            {"initial_num_buckets": int(initial_num_buckets)}
        handle = _mops.MUTABLE_DENSE_HASH_TABLE(
            empty, deleted, use_node_name_sharing=checkpoint,
            value_dtype=_dt.as_dtype(value_dtype), value_shape=self._value_shape,
            name=name, **buckets)
        self._setup(key_dtype, value_dtype, handle, name, checkpoint)

    @ragged_unary(arg=1)  # a RaggedTensor's flat values looked up, its rows kept (TF)
    def lookup(self, keys, name=None) -> Tensor:
        """Each key's value; ``default_value`` for a missing key."""
        with name_scope(name, f"{self.name}_lookup_table_find", [self._handle]):
            keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
            out = _ops.LOOKUP_TABLE_FIND(self._handle, keys, self._default_value)
        if keys.shape.rank is not None:
            # The op's inference takes keys as scalars (it cannot see the table); with vector
            # keys, each key is a row of ``keys``.
            found = keys.shape[:keys.shape.rank - self._key_rank]
            out._shape = found.concatenate(self._value_shape)
        return out

    def insert_or_assign(self, keys, values, name=None):
        return self.insert(keys, values, name)

    def erase(self, keys, name=None):
        """Removes ``keys`` (a missing key is ignored)."""
        return self._remove(keys, name, "Signature mismatch. Keys must be dtype {want}, got "
                                        "{got}.")

    remove = erase
