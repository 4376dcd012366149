"""What a bundle's index holds and how it is encoded: the file names, TensorFlow's DataType
enum against numpy dtypes, BundleEntry (one tensor's metadata), the BundleHeaderProto and
BundleEntryProto (decoded from and encoded to their wire form, by hand with core/_wire.py) and
the layout of a string tensor's bytes in a data file.

Both the reader (tensor_bundle_reader.py) and the writer (tensor_bundle_writer.py) build on it;
it takes only ``_loss`` (the DataLossError of a corrupt file) and ``_U32`` from the sorted table
(tensor_bundle_table.py). The format is described in tensor_bundle.py. (Split from
tensor_bundle.py, which re-exports these names.)"""

from __future__ import annotations

import os
import struct
from typing import NamedTuple

import numpy as np

from .. import _wire
from .. import dtypes as _dt
from ..errors import DataLossError, InvalidArgumentError, UnimplementedError
from ..tfrecord import crc32c
from .tensor_bundle_table import _U32, _loss

INDEX_SUFFIX = ".index"
_BUNDLE_VERSION = 1  # kTensorBundleVersion: what we write and the newest consumer we are
_MASK_DELTA = 0xA282EAD8

DT_STRING = 7
# TensorFlow DataType enum -> little-endian numpy dtype, for every type stored as raw bytes.
_NUMPY_BY_ENUM = {
    1: np.dtype("<f4"), 2: np.dtype("<f8"), 3: np.dtype("<i4"), 4: np.dtype("u1"),
    5: np.dtype("<i2"), 6: np.dtype("i1"), 8: np.dtype("<c8"), 9: np.dtype("<i8"),
    10: np.dtype("?"), 17: np.dtype("<u2"), 18: np.dtype("<c16"), 19: np.dtype("<f2"),
    22: np.dtype("<u4"), 23: np.dtype("<u8"),
}
_ENUM_BY_KIND = {(d.kind, d.itemsize): e for e, d in _NUMPY_BY_ENUM.items()}
# The quantized types (qint8 11, quint8 12, qint32 13, qint16 15, quint16 16): TF stores their
# raw integers, little-endian, under their own enum. Their numpy dtype is TF's one-field record
# (``tf.qint8.as_numpy_dtype``), which ``_dtype_enum`` recognises when writing; it is kept out
# of ``_ENUM_BY_KIND``, so a plain int8 array is still DT_INT8. Read values are the storage
# integers (minitf's values of a quantized tensor), see ``raw_dtype``.
_QUANTIZED_BY_ENUM = {d.as_datatype_enum: d.as_numpy_dtype for d in _dt.QUANTIZED_DTYPES}
_STORAGE_BY_ENUM = {d.as_datatype_enum: np.dtype(d._np).newbyteorder("<")
                    for d in _dt.QUANTIZED_DTYPES}
_ENUM_BY_RECORD = {v: e for e, v in _QUANTIZED_BY_ENUM.items()}
# Names for the types we refuse, so the error says which one it was.
_OTHER_NAMES = {0: "invalid", 11: "qint8", 12: "quint8", 13: "qint32", 14: "bfloat16",
                15: "qint16", 16: "quint16", 20: "resource", 21: "variant"}


class BundleEntry(NamedTuple):
    """One tensor's metadata, as stored in the index (``dtype`` is the DataType enum)."""

    dtype: int
    shape: tuple
    shard_id: int
    offset: int
    size: int
    crc32c: int  # masked, as stored
    # A tensor saved in slices: ((extents, entry of the slice's data), ...), extents a
    # (start, length) per dimension, length -1 for the whole dimension.
    slices: tuple = ()


def index_filename(prefix) -> str:
    return f"{prefix}{INDEX_SUFFIX}"


def data_filename(prefix, shard: int, num_shards: int) -> str:
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


def is_bundle(prefix) -> bool:
    """True when ``prefix.index`` exists (TF's checkpoint_exists test for V2 checkpoints)."""
    return os.path.isfile(index_filename(prefix))


def dtype_name(dtype_enum: int) -> str:
    """TensorFlow's name of a DataType enum value (for messages)."""
    if dtype_enum == DT_STRING:
        return "string"
    if dtype_enum in _NUMPY_BY_ENUM:
        return _NUMPY_BY_ENUM[dtype_enum].name
    return _OTHER_NAMES.get(dtype_enum, f"DataType enum {dtype_enum}")


def numpy_dtype(dtype_enum: int, name: str = "?") -> np.dtype:
    """The numpy dtype of a DataType enum (object for strings; TF's one-field record for a
    quantized type, which a variable's ``dtype.as_numpy_dtype`` is compared with);
    UnimplementedError otherwise."""
    if dtype_enum in _QUANTIZED_BY_ENUM:
        return _QUANTIZED_BY_ENUM[dtype_enum]
    return raw_dtype(dtype_enum, name)


def raw_dtype(dtype_enum: int, name: str = "?") -> np.dtype:
    """The dtype of the arrays a DataType enum's tensors are read into and written from: as
    ``numpy_dtype``, but a quantized type's storage integers (int8 for qint8...)."""
    if dtype_enum == DT_STRING:
        return np.dtype(object)
    try:
        return _NUMPY_BY_ENUM.get(dtype_enum) or _STORAGE_BY_ENUM[dtype_enum]
    except KeyError:
        raise UnimplementedError(None, None, f"Checkpoint tensor {name!r} has dtype "
                                 f"{dtype_name(dtype_enum)}, which minitf cannot read") from None


# -- decoding the protos -------------------------------------------------------------------------
def _unmask(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def _message(value, path, what):
    """Fields of a protobuf message as {number: [(wire_type, value)]}."""
    out: dict = {}
    try:
        for number, wt, _, start, end in _wire.field_spans(value):
            v = _wire.read_varint(value, start)[0] if wt == _wire.VARINT else value[start:end]
            out.setdefault(number, []).append((wt, v))
    except _wire.WireError as e:
        raise _loss(path, f"{what} is not parseable ({e})") from None
    return out


def _scalar(msg, number, wire_type, path, what, default=0):
    """The last value of a singular field (proto3: the last one wins)."""
    values = msg.get(number)
    if not values:
        return default
    wt, v = values[-1]
    if wt != wire_type:
        raise _loss(path, f"{what}: field {number} has wire type {wt}")
    if wire_type == _wire.FIXED32:
        return _U32.unpack(v)[0]
    return v


def _signed(n: int) -> int:
    return n - (1 << 64) if n >= 1 << 63 else n


def _shape(value, path, name) -> tuple:
    msg = _message(value, path, f"shape of {name!r}")
    if _scalar(msg, 3, _wire.VARINT, path, f"shape of {name!r}"):
        raise _loss(path, f"tensor {name!r} has an unknown-rank shape")
    dims = []
    for wt, dim in msg.get(2, []):
        if wt != _wire.LEN:
            raise _loss(path, f"shape of {name!r} is not parseable")
        size = _signed(_scalar(_message(dim, path, "dim"), 1, _wire.VARINT, path, "dim"))
        if size < 0:
            raise _loss(path, f"tensor {name!r} has invalid shape dimension {size}")
        dims.append(size)
    return tuple(dims)


def _entry(value, path, name, num_shards) -> BundleEntry:
    what = f"entry of tensor {name!r}"
    msg = _message(value, path, what)
    entry = BundleEntry(
        dtype=_scalar(msg, 1, _wire.VARINT, path, what),
        shape=_shape(_scalar(msg, 2, _wire.LEN, path, what, b""), path, name),
        shard_id=_signed(_scalar(msg, 3, _wire.VARINT, path, what)),
        offset=_signed(_scalar(msg, 4, _wire.VARINT, path, what)),
        size=_signed(_scalar(msg, 5, _wire.VARINT, path, what)),
        crc32c=_scalar(msg, 6, _wire.FIXED32, path, what),
        slices=tuple(_extents(v, path, name) for wt, v in msg.get(7, []) if wt == _wire.LEN))
    if not entry.slices and not (0 <= entry.shard_id < num_shards and
                                 entry.offset >= 0 and entry.size >= 0):
        raise _loss(path, f"tensor {name!r} points at shard {entry.shard_id} bytes "
                    f"[{entry.offset}, +{entry.size}) of a {num_shards}-shard bundle")
    return entry


def _extents(value, path, name) -> tuple:
    """A TensorSliceProto as ((start, length), ...), length -1 for a whole dimension."""
    out = []
    for wt, extent in _message(value, path, f"slice of {name!r}").get(1, []):
        msg = _message(extent, path, f"slice of {name!r}") if wt == _wire.LEN else {}
        out.append((_signed(_scalar(msg, 1, _wire.VARINT, path, name)),
                    _signed(_scalar(msg, 2, _wire.VARINT, path, name, default=-1))))
    return tuple(out)


# -- encoding the protos -------------------------------------------------------------------------
def _dtype_enum(name: str, arr: np.ndarray) -> int:
    if arr.dtype.kind in "OSU":
        return DT_STRING
    if arr.dtype.names:  # a quantized type's record (tf.qint8.as_numpy_dtype...)
        e = _ENUM_BY_RECORD.get(arr.dtype)
    else:
        e = _ENUM_BY_KIND.get((arr.dtype.kind, arr.dtype.itemsize))
    if e is None:
        raise InvalidArgumentError(None, None, f"Cannot write tensor {name!r}: numpy dtype "
                                   f"{arr.dtype} has no TensorFlow checkpoint equivalent")
    return e


def _entry_proto(dtype: int, shape, offset: int, size: int, crc: int,
                 shard_id: int = 0) -> bytes:
    # Fields in number order with proto3 defaults left out, as SerializeToString would.
    dims = b"".join(_wire.length_delimited(2, _wire.uint(1, d) if d else b"") for d in shape)
    out = _wire.uint(1, dtype) + _wire.length_delimited(2, dims)
    if shard_id:
        out += _wire.uint(3, shard_id)
    if offset:
        out += _wire.uint(4, offset)
    if size:
        out += _wire.uint(5, size)
    masked = (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF
    if masked:
        out += _wire.key(6, _wire.FIXED32) + _U32.pack(masked)
    return out


def _sliced_entry_proto(dtype: int, shape, blocks) -> bytes:
    """The entry of a tensor saved in slices: dtype, full shape and a TensorSliceProto per
    block (a start of 0 left out; the length, in a oneof, always written unless -1: the whole
    dimension, as a merged TF bundle may hold)."""
    dims = b"".join(_wire.length_delimited(2, _wire.uint(1, d) if d else b"") for d in shape)
    out = _wire.uint(1, dtype) + _wire.length_delimited(2, dims)
    for offset, size in blocks:
        extents = b"".join(_wire.length_delimited(1, (_wire.uint(1, o) if o else b"") +
                                                  (_wire.uint(2, n) if n >= 0 else b""))
                           for o, n in zip(offset, size))
        out += _wire.length_delimited(7, extents)
    return out


def _header_proto(num_shards: int = 1) -> bytes:
    # num_shards, endianness LITTLE (default, omitted), version {producer 1}.
    return _wire.uint(1, num_shards) + _wire.length_delimited(3, _wire.uint(1, _BUNDLE_VERSION))


# -- string tensors ------------------------------------------------------------------------------
def _encode_strings(name, arr: np.ndarray) -> tuple[bytes, int]:
    """(bytes as stored, unmasked entry crc) of a string tensor."""
    items = []
    for x in arr.reshape(-1).tolist():
        if isinstance(x, str):
            x = x.encode()
        elif not isinstance(x, (bytes, bytearray)):
            raise InvalidArgumentError(None, None, f"Cannot write string tensor {name!r}: "
                                       f"element {x!r} is not bytes or str")
        items.append(bytes(x))
    lengths = [len(x) for x in items]
    varints = b"".join(_wire.varint(n) for n in lengths)
    crc = crc32c(b"".join(struct.pack("<I" if n <= 0xFFFFFFFF else "<Q", n) for n in lengths))
    length_crc = _U32.pack((((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF)
    body = b"".join(items)
    crc = crc32c(body, crc32c(length_crc, crc))
    return varints + length_crc + body, crc


def _decode_strings(raw: np.ndarray, count: int, entry, name, path) -> np.ndarray:
    out = np.empty(count, dtype=object)
    if entry.size == 0 and count == 0:
        return out
    buf = raw.data  # memoryview over the bytes
    lengths, pos = [], 0
    try:
        for _ in range(count):
            n, pos = _wire.read_varint(buf, pos)
            lengths.append(n)
    except _wire.WireError:
        raise DataLossError(None, None, f"String tensor {name!r} in {path}: truncated or corrupt "
                            "lengths") from None
    # The checksum covers each length as uint32 (uint64 past 4 GiB), not the varint bytes.
    if all(n <= 0xFFFFFFFF for n in lengths):
        crc = crc32c(np.asarray(lengths, dtype="<u4"))
    else:
        crc = crc32c(b"".join(struct.pack("<I" if n <= 0xFFFFFFFF else "<Q", n)
                              for n in lengths))
    if pos + 4 + sum(lengths) != entry.size:
        raise DataLossError(None, None, f"String tensor {name!r} in {path}: lengths add up to "
                            f"{pos + 4 + sum(lengths)} bytes, the entry says {entry.size}")
    stored = _U32.unpack_from(buf, pos)[0]
    if _unmask(stored) != crc:
        raise DataLossError(None, None, f"String tensor {name!r} in {path}: the length checksum "
                            "does not match (corrupt checkpoint data)")
    crc = crc32c(buf[pos:pos + 4], crc)
    pos += 4
    crc = crc32c(buf[pos:], crc)
    if ((((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF) != entry.crc32c:
        raise DataLossError(None, None, f"Checksum does not match for tensor {name!r} in {path} "
                            "(corrupt checkpoint data)")
    data = bytes(buf[pos:])
    at = 0
    for i, n in enumerate(lengths):
        out[i] = data[at:at + n]
        at += n
    return out
