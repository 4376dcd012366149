"""Lookup tables: HashTableV2 and the ops on its handle (InitializeTableV2,
LookupTableImportV2, InitializeTableFromTextFileV2, LookupTableFindV2, LookupTableSizeV2,
LookupTableExportV2), behind ``tf.lookup`` (core/lookup.py).

HashTableV2 outputs a handle (a resource: the ``Table`` object itself), one per op and session,
kept in the session's per-op state like an iterator's; the initializer ops fill it (they are in
the TABLE_INITIALIZERS collection, so ``tf.tables_initializer()`` runs them) and
LookupTableFindV2 maps keys to values, ``default_value`` for a missing key. Keys and values are
numpy scalars (strings as bytes) in a dict.
"""

from __future__ import annotations

import threading

import numpy as np

from .. import dtypes as _dt
from ..errors import (FailedPreconditionError, InvalidArgumentError, NotFoundError,
                      UnimplementedError)
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req, shape_error
from ..tensor_shape import TensorShape

__all__: list[str] = []  # the public API lives in core/lookup.py


class Table:
    """One table's contents in one session."""

    def __init__(self, name: str, key_dtype, value_dtype):
        self.name = name
        self.key_dtype, self.value_dtype = key_dtype, value_dtype
        self.data: dict | None = None  # None until initialized
        self.lock = threading.Lock()

    def require(self) -> dict:
        data = self.data
        if data is None:
            raise FailedPreconditionError(None, None, f"Table not initialized. (table "
                                          f"'{self.name}': run tf.tables_initializer() first)")
        return data

    def check_types(self, keys, values=None, what="keys"):
        for arr, want, part in ((keys, self.key_dtype, what), (values, self.value_dtype,
                                                                 "values")):
            if arr is None:
                continue
            got = _dt.string if np.asarray(arr).dtype.kind in "OSU" else \
                _dt.from_numpy(np.asarray(arr))
            if got != want:
                raise InvalidArgumentError(None, None, f"Table '{self.name}': {part} must be "
                                           f"{want.name}, got {got.name}")

    # The table ops' kernels call these, so a mutable table (lookup_mutable_ops.py) works with
    # the same LookupTableFindV2/SizeV2/ExportV2/ImportV2 ops by overriding them.
    def size(self) -> int:
        return len(self.data or ())  # TF: 0 before initialisation

    def find(self, keys, default_value):
        data = self.require()
        keys = np.asarray(keys)
        self.check_types(keys)
        default = np.asarray(default_value)
        if default.ndim and default.shape != keys.shape:  # a default per key, or one for all
            raise InvalidArgumentError(None, None, f"Expected shape [] or "
                                       f"{shape_str(keys.shape)} for default value, got "
                                       f"{shape_str(default.shape)}")
        flat = keys.reshape(-1).tolist()
        fills = default.reshape(-1).tolist() if default.ndim else [default[()]] * len(flat)
        out = [data.get(k, d) for k, d in zip(flat, fills)]
        return as_array(out, self.value_dtype).reshape(keys.shape)

    def import_values(self, keys, values):
        data = _pairs(self, keys, values, "LookupTableImportV2")
        with self.lock:  # replaces the whole contents
            self.data = data

    def export(self):
        data = self.require()
        return [as_array(list(data), self.key_dtype), as_array(list(data.values()),
                                                                self.value_dtype)]

    def contents(self):
        """[keys, values] of the entries (export's layout may hold more: a dense table's
        buckets); freezing a model writes these."""
        return self.export()

    def insert(self, keys, values):
        raise UnimplementedError(None, None, "Insert not supported by "
                                 "InitializableLookupTable implementations")

    def remove(self, keys):
        raise UnimplementedError(None, None, "Remove not supported by "
                                 "InitializableLookupTable implementations")


def shape_str(shape) -> str:
    """A shape as TF's messages print it (TensorShape::DebugString): [2,3]."""
    return "[" + ",".join(str(d) for d in shape) + "]"


def as_array(items: list, dtype) -> np.ndarray:
    """Python scalars (strings as bytes) as a 1-D array of ``dtype`` (object for strings)."""
    out = np.empty(len(items), object if dtype == _dt.string else dtype.as_numpy_dtype)
    out[:] = items
    return out


def _hash_table_kernel(state, *, container, shared_name, use_node_name_sharing, key_dtype,
                       value_dtype):
    table = state.get("table")
    if table is None:
        table = state.setdefault("table", Table(shared_name or "hash_table", key_dtype,
                                                value_dtype))
    return table


HASH_TABLE = register(OpDef(
    "HashTableV2", attrs={"container": "", "shared_name": "", "use_node_name_sharing": False,
                          "key_dtype": req("type"), "value_dtype": req("type")},
    kernel=_hash_table_kernel,
    infer=lambda **_: [TensorSpec(TensorShape([]), _dt.resource)],
    grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
    doc="A hash table's handle (its contents live in the session).",
))


def _shown(v) -> str:
    """A key or value as TF's message prints it (C++ stream formatting)."""
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return f"{v:g}" if isinstance(v, float) else str(v)


def _insert(data: dict, key, value) -> None:
    """TF's HashTable insert: the same key again must bring the same value."""
    old = data.setdefault(key, value)
    if old != value:  # (a NaN value never equals itself: refused too, as TF)
        raise FailedPreconditionError(None, None, f"HashTable has different value for same "
                                      f"key. Key {_shown(key)} has {_shown(old)} and trying to "
                                      f"add value {_shown(value)}")


def _pairs(table, keys, values, what):
    keys, values = np.asarray(keys), np.asarray(values)
    if keys.shape != values.shape:
        raise InvalidArgumentError(None, None, f"{what}: keys and values must have the same "
                                   f"shape, got {list(keys.shape)} and {list(values.shape)}")
    table.check_types(keys, values)
    data: dict = {}
    for k, v in zip(keys.reshape(-1).tolist(), values.reshape(-1).tolist()):
        _insert(data, k, v)
    return data


def _initialize_kernel(table, keys, values):
    data = _pairs(table, keys, values, "InitializeTableV2")
    with table.lock:  # an initialized table keeps its contents (TF 2's initializers do too)
        if table.data is None:
            table.data = data
    return ()


def _import_kernel(table, keys, values):
    table.import_values(keys, values)
    return ()


def _no_outputs(*_, **__):
    return []


def _pairs_infer(handle, keys, values):
    """TF's shape function: keys are a vector with as many entries as values."""
    if keys.shape.rank not in (None, 1):
        raise shape_error(f"Shape must be rank 1 but is rank {keys.shape.rank} for the keys")
    if keys.shape.rank == 1 and values.shape.rank is not None and values.shape.rank > 0:
        k, v = keys.shape[0].value, values.shape[0].value
        if k is not None and v is not None and k != v:
            raise shape_error(f"Dimensions must be equal, but are {k} and {v} for the keys "
                              f"and values: shapes {keys.shape} and {values.shape}")
    return []


_INIT = ["table_handle:resource", "keys:Tkey", "values:Tval"]
INITIALIZE_TABLE = register(OpDef(
    "InitializeTableV2", inputs=_INIT, kernel=_initialize_kernel, infer=_pairs_infer,
    grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Fills an empty table with keys -> values.",
))
LOOKUP_TABLE_IMPORT = register(OpDef(
    "LookupTableImportV2", inputs=["table_handle:resource", "keys:Tin", "values:Tout"],
    kernel=_import_kernel, infer=_pairs_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Replaces a table's contents with keys -> values.",
))


def _text_column(line: bytes, number: int, index: int, delimiter: bytes, dtype, path):
    """A line's key or value: -1 the line number, -2 the whole line, else a column."""
    if index == -1:
        value = number
    elif index == -2:
        value = line
    else:
        columns = line.split(delimiter) if delimiter else line.split()
        if index >= len(columns):
            raise InvalidArgumentError(None, None, f"Invalid number of columns in {path} line "
                                       f"{number} ({line.decode(errors='replace')}) : expected "
                                       f"at least {index + 1} got {len(columns)}")
        value = columns[index]
    if dtype == _dt.string:
        return value if isinstance(value, bytes) else str(value).encode()
    try:
        return int(value) if dtype.is_integer else float(value)
    except ValueError:
        raise InvalidArgumentError(None, None, f"Field {value!r} in line {number} of {path} is "
                                   f"not a valid {dtype.name}") from None


def _text_file_kernel(table, filename, *, key_index, value_index, vocab_size, delimiter,
                      offset):
    path = np.asarray(filename, object)[()]
    path = path.decode() if isinstance(path, bytes) else str(path)
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    except OSError as e:
        raise NotFoundError(None, None, f"{path}: {e.strerror or e}") from None
    if lines and lines[-1] == b"":
        lines.pop()  # the newline ending the last line
    ends = np.cumsum([len(ln) + 1 for ln in lines]).tolist()  # byte offset after each line
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    if vocab_size >= 0:
        if len(lines) < vocab_size:
            raise InvalidArgumentError(None, None, f"Invalid vocab_size in {path}: expected "
                                       f"{vocab_size} lines, got {len(lines)}")
        lines = lines[:vocab_size]
    sep = delimiter.encode() if isinstance(delimiter, str) else delimiter
    data: dict = {}
    for n, line in enumerate(lines):
        if not line:  # TF refuses an empty line, whatever the key and value columns
            raise InvalidArgumentError(None, None, f"Invalid content in {path}: empty line "
                                       f"found at position {ends[n]}.")
        key = _text_column(line, n, key_index, sep, table.key_dtype, path)
        value = _text_column(line, n, value_index, sep, table.value_dtype, path)
        if table.value_dtype.is_integer and value_index == -1:
            value += offset
        _insert(data, key, value)
    with table.lock:
        if table.data is None:
            table.data = data
    return ()


INITIALIZE_TABLE_FROM_TEXT_FILE = register(OpDef(
    "InitializeTableFromTextFileV2", inputs=["table_handle:resource", "filename:string"],
    attrs={"key_index": req("int"), "value_index": req("int"), "vocab_size": -1,
           "delimiter": "\t", "offset": 0},
    kernel=_text_file_kernel, infer=_no_outputs, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Fills a table from a text file: keys and values from columns, the whole line (-2) or "
        "the line number (-1).",
))


def _find_kernel(table, keys, default_value):
    return table.find(keys, default_value)


def _find_infer(handle, keys, default_value):
    """keys' shape and then a value's: a scalar default gives keys' shape; a longer one may be
    a vector table's default or a default per key (the table decides, at run time)."""
    d = default_value.shape
    if d.rank == 0:
        return [TensorSpec(keys.shape, default_value.dtype)]
    if d.rank is not None and keys.shape.rank is not None and d.rank > keys.shape.rank and \
            keys.shape.is_compatible_with(d[:keys.shape.rank]):
        return [TensorSpec(d, default_value.dtype)]  # per key, for a vector table
    return [TensorSpec(TensorShape(None), default_value.dtype)]


LOOKUP_TABLE_FIND = register(OpDef(
    "LookupTableFindV2", inputs=["table_handle:resource", "keys:Tin", "default_value:Tout"],
    kernel=_find_kernel, infer=_find_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="The value of each key; default_value where a key is missing.",
))
LOOKUP_TABLE_SIZE = register(OpDef(
    "LookupTableSizeV2", inputs=["table_handle:resource"],
    kernel=lambda table: np.int64(table.size()),
    infer=lambda h: [TensorSpec(TensorShape([]), _dt.int64)], grad=NOT_DIFFERENTIABLE,
    stateful=True, doc="The number of keys in a table.",
))


def _export_kernel(table, *, Tkeys, Tvalues):  # noqa: N803 - TF's attr names
    return table.export()


LOOKUP_TABLE_EXPORT = register(OpDef(
    "LookupTableExportV2", inputs=["table_handle:resource"],
    attrs={"Tkeys": req("type"), "Tvalues": req("type")},
    kernel=_export_kernel,
    # TF: unknown shapes (a dense table exports [buckets, key size] keys)
    infer=lambda h, *, Tkeys, Tvalues: [TensorSpec(TensorShape(None), Tkeys),
                                        TensorSpec(TensorShape(None), Tvalues)],
    grad=NOT_DIFFERENTIABLE, stateful=True, doc="A table's keys and values.",
))

# The mutable tables and LookupTableInsertV2/RemoveV2 (kept apart: this file would pass 500
# lines); imported here so importing the table ops registers them all.
from . import lookup_mutable_ops  # noqa: E402,F401
