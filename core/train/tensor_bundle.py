"""TensorFlow's own checkpoint format (TensorBundle, "V2"): read and write, no TensorFlow needed.

A bundle with prefix ``P`` is ``P.index`` plus data shards ``P.data-00000-of-0000N``:

- ``P.index`` is a LevelDB-style sorted table. Data blocks hold entries ``varint32 shared,
  varint32 non_shared, varint32 value_len, key[shared:], value`` (keys are prefix-compressed
  against the previous key, except at restart points), then the uint32 restart offsets and their
  count. Every block is followed by a 5-byte trailer: compression type (0 = none) and the masked
  CRC32C of block + type. An index block maps a separator key per data block to its handle
  (varint64 offset, varint64 size); the 48-byte footer holds the metaindex and index handles,
  zero padding and the magic 0xdb4775248b80fb57.
- Key ``""`` holds a BundleHeaderProto {num_shards = 1, endianness = 2, version = 3}; every other
  key is a tensor name whose value is a BundleEntryProto {dtype = 1, shape = 2, shard_id = 3,
  offset = 4, size = 5, crc32c = 6 (fixed32, masked), slices = 7}
  (tensorflow/core/protobuf/tensor_bundle.proto).
- A tensor saved in slices (a partitioned variable ``w``) has an entry under its own name with
  its dtype, full shape and ``slices`` (TensorSliceProto {repeated Extent {start = 1, length =
  2}}; no length: the whole dimension) and no data; each slice is an ordinary entry under the key
  EncodeTensorNameSlice(name, slice): OrderedCode's NumIncreasing(0), String(name),
  NumIncreasing(rank), then SignedNumIncreasing(start), (length) per dimension
  (tensor_slice.cc, ordered_code.cc). The slices' data follow their tensor's name order.
- A numeric tensor is its raw little-endian bytes in the shard; a string tensor is the varint64
  length of every element, the masked CRC32C of those lengths (each as uint32, or uint64 past
  4 GiB), then the bytes of every element. Its entry CRC covers the lengths (as uint32/uint64),
  the 4 stored checksum bytes and the element bytes (tensor_bundle.cc, WriteStringTensor).

The protos are decoded by hand with core/_wire.py: core may not import minitf.protos.
Every malformed input is reported as a DataLossError (corrupt / truncated), NotFoundError
(missing file) or UnimplementedError (valid but unsupported: big-endian, bfloat16...),
naming the file and the tensor; never an IndexError or struct.error.
"""

from __future__ import annotations

import os
import struct
import tempfile
from typing import NamedTuple

import numpy as np

from .. import _wire
from ..errors import (DataLossError, InternalError, InvalidArgumentError, NotFoundError,
                      UnimplementedError)
from ..tfrecord import crc32c, masked_crc32c

INDEX_SUFFIX = ".index"
_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48  # two block handles padded to 2 * 20 bytes, then the 8-byte magic
_TRAILER = 5  # compression type byte + masked crc32c
_BLOCK_SIZE = 256 * 1024  # TF's table::Options default: start a new data block past this
_RESTART_INTERVAL = 16  # TF's (LevelDB's) default for data blocks
_BUNDLE_VERSION = 1  # kTensorBundleVersion: what we write and the newest consumer we are
_MASK_DELTA = 0xA282EAD8
_U32 = struct.Struct("<I")

DT_STRING = 7
# TensorFlow DataType enum -> little-endian numpy dtype, for every type stored as raw bytes.
_NUMPY_BY_ENUM = {
    1: np.dtype("<f4"), 2: np.dtype("<f8"), 3: np.dtype("<i4"), 4: np.dtype("u1"),
    5: np.dtype("<i2"), 6: np.dtype("i1"), 8: np.dtype("<c8"), 9: np.dtype("<i8"),
    10: np.dtype("?"), 17: np.dtype("<u2"), 18: np.dtype("<c16"), 19: np.dtype("<f2"),
    22: np.dtype("<u4"), 23: np.dtype("<u8"),
}
_ENUM_BY_KIND = {(d.kind, d.itemsize): e for e, d in _NUMPY_BY_ENUM.items()}
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


class SlicesNotCoveredError(NotFoundError):
    """A block asked of a tensor saved in slices that its slices do not cover (RestoreV2 reports
    it as TF's InvalidArgumentError)."""


# -- slice keys (TF's OrderedCode) -----------------------------------------------------------------
def _num_increasing(n: int) -> bytes:
    data = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([len(data)]) + data


def _signed_increasing(v: int) -> bytes:
    x = ~v if v < 0 else v
    if x < 64:
        return bytes([(0x80 ^ v) & 0xFF])
    n = x.bit_length() // 7 + 1  # bytes: n - 1 header bits of ones, then the sign-extended value
    out = bytearray((v % (1 << 80)).to_bytes(10, "big")[-n:])
    header = (0xFFFF << (16 - n)) & 0xFFFF
    out[0] ^= header >> 8
    out[1] ^= header & 0xFF
    return bytes(out)


_ESCAPED = {0: b"\x00\xff", 0xFF: b"\xff\x00"}  # OrderedCode's String: then 00 01 ends it


def slice_key(name: str, extents) -> bytes:
    """The index key of one slice of tensor ``name`` (EncodeTensorNameSlice)."""
    escaped = b"".join(_ESCAPED.get(c, bytes([c])) for c in name.encode())
    out = _num_increasing(0) + escaped + b"\x00\x01" + _num_increasing(len(extents))
    return out + b"".join(_signed_increasing(s) + _signed_increasing(n) for s, n in extents)


class SliceSpec(NamedTuple):
    """One block of a tensor, as a SaveV2/RestoreV2 ``shape_and_slices`` entry names it (the
    attributes of a SaveSliceInfo, whose ``spec`` writes that string)."""

    full_shape: tuple
    var_offset: tuple
    var_shape: tuple
    lengths: tuple  # var_shape with -1 for a whole dimension given as '-'


def parse_shape_and_slice(spec) -> SliceSpec | None:
    """TF's shape-and-slice string, ``"<dims...> <extents>"`` with extents ``start,length`` or
    ``-`` (the whole dimension) joined by ``:`` (e.g. ``"5 2 0,3:-"``), as a SliceSpec; None for
    ``""``, the whole tensor (checkpoint::ParseShapeAndSlice). Its ``lengths`` keep ``-`` as -1,
    as TF stores the slice."""
    text = spec.decode() if isinstance(spec, bytes) else str(spec)
    if not text:
        return None
    *dims, extents = text.split(" ")

    def bad(why):
        return InvalidArgumentError(None, None, f"Invalid shape_and_slice {text!r}: {why}")
    if not dims or not all(d.isdigit() for d in dims):
        raise bad("expected non-negative dimension sizes, then the slice")
    full = tuple(int(d) for d in dims)
    pairs = []  # (start, length), length -1 for '-'
    for part in extents.split(":"):
        start, _, length = part.partition(",")
        if part != "-" and not (start.isdigit() and length.isdigit()):
            raise bad(f"expected a pair of numbers or '-' but got {part!r}")
        pairs.append((0, -1) if part == "-" else (int(start), int(length)))
    if len(pairs) != len(full):
        raise bad(f"the slice has {len(pairs)} extents for a shape of rank {len(full)}")
    for (start, length), dim in zip(pairs, full):
        if start + max(length, 0) > dim:
            raise bad(f"extent {start},{length} goes past dimension size {dim}")
    return SliceSpec(full, tuple(s for s, _ in pairs),
                     tuple(n if n >= 0 else d for (_, n), d in zip(pairs, full)),
                     tuple(n for _, n in pairs))


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
    """The numpy dtype of a DataType enum (object for strings); UnimplementedError otherwise."""
    if dtype_enum == DT_STRING:
        return np.dtype(object)
    try:
        return _NUMPY_BY_ENUM[dtype_enum]
    except KeyError:
        raise UnimplementedError(None, None, f"Checkpoint tensor {name!r} has dtype "
                                 f"{dtype_name(dtype_enum)}, which minitf cannot read") from None


# -- reading the index ---------------------------------------------------------------------------
def _unmask(masked: int) -> int:
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def _loss(path, what) -> DataLossError:
    return DataLossError(None, None, f"Unable to read checkpoint file {path}: {what}")


def _read_block(buf: bytes, handle: tuple, path: str, what: str) -> memoryview:
    offset, size = handle
    end = offset + size + _TRAILER
    if end > len(buf) - _FOOTER:
        raise _loss(path, f"truncated {what} block (bytes {offset}..{end} of a "
                    f"{len(buf)}-byte file)")
    block = memoryview(buf)[offset:offset + size + 1]  # contents + the type byte
    stored = _U32.unpack_from(buf, offset + size + 1)[0]
    if masked_crc32c(block) != stored:
        raise _loss(path, f"{what} block checksum mismatch (corrupt file)")
    kind = buf[offset + size]
    if kind == 1:
        raise UnimplementedError(None, None, f"Checkpoint file {path}: snappy-compressed "
                                 "blocks are not supported (TensorFlow writes uncompressed)")
    if kind != 0:
        raise _loss(path, f"bad block type {kind} in the {what} block")
    return block[:size]


def _block_entries(block: memoryview, path: str, what: str):
    """Yields (key bytes, value memoryview) of one table block."""
    n = len(block)
    if n < 4:
        raise _loss(path, f"{what} block too short")
    num_restarts = _U32.unpack_from(block, n - 4)[0]
    limit = n - 4 * (num_restarts + 1)
    if num_restarts == 0 or limit < 0:
        raise _loss(path, f"bad restart array in the {what} block")
    pos, key = 0, b""
    try:
        while pos < limit:
            shared, pos = _wire.read_varint(block, pos, limit)
            unshared, pos = _wire.read_varint(block, pos, limit)
            vlen, pos = _wire.read_varint(block, pos, limit)
            if shared > len(key) or pos + unshared + vlen > limit:
                raise _wire.WireError("entry overruns the block")
            key = key[:shared] + bytes(block[pos:pos + unshared])
            pos += unshared
            yield key, block[pos:pos + vlen]
            pos += vlen
    except _wire.WireError as e:
        raise _loss(path, f"corrupt entry in the {what} block ({e})") from None


def _handle(value, path, what) -> tuple:
    try:
        offset, pos = _wire.read_varint(value, 0)
        size, _ = _wire.read_varint(value, pos)
    except _wire.WireError:
        raise _loss(path, f"bad block handle for the {what}") from None
    return offset, size


def _table(path: str) -> list:
    """Every (key, value) of the sorted table in ``path``, checksums verified."""
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except FileNotFoundError:
        raise NotFoundError(None, None, f"Checkpoint index {path} not found") from None
    except IsADirectoryError:
        raise _loss(path, "is a directory") from None
    if len(buf) < _FOOTER:
        raise _loss(path, f"{len(buf)} bytes is too short for a table (truncated?)")
    footer = buf[-_FOOTER:]
    if struct.unpack_from("<Q", footer, _FOOTER - 8)[0] != _MAGIC:
        raise _loss(path, "not a TensorFlow checkpoint index (bad magic number; truncated?)")
    try:
        _, pos = _wire.read_varint(footer, 0, 40)
        _, pos = _wire.read_varint(footer, pos, 40)  # metaindex: TF keeps nothing there
        index_off, pos = _wire.read_varint(footer, pos, 40)
        index_size, _ = _wire.read_varint(footer, pos, 40)
    except _wire.WireError:
        raise _loss(path, "bad block handle in the footer") from None
    index = _read_block(buf, (index_off, index_size), path, "index")
    out = []
    for _, handle in _block_entries(index, path, "index"):
        block = _read_block(buf, _handle(handle, path, "data block"), path, "data")
        for k, v in _block_entries(block, path, "data"):
            if out and k <= out[-1][0]:
                raise _loss(path, "keys out of order (corrupt table)")
            out.append((k, v))
    return out


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


def read_index(prefix) -> tuple[int, dict]:
    """(num_shards, {name: BundleEntry}) of the bundle ``prefix``, reading no tensor data.

    Raises NotFoundError without ``prefix.index``, DataLossError for a corrupt one and
    UnimplementedError for big-endian bundles or a newer format version."""
    path = index_filename(prefix)
    entries = _table(path)
    if not entries or entries[0][0] != b"":
        raise _loss(path, "no bundle header entry")
    header = _message(entries[0][1], path, "bundle header")
    num_shards = _signed(_scalar(header, 1, _wire.VARINT, path, "bundle header"))
    if _scalar(header, 2, _wire.VARINT, path, "bundle header") != 0:
        raise UnimplementedError(None, None, f"Checkpoint {prefix} was written on a big-endian "
                                 "machine; minitf reads only little-endian bundles")
    version = _message(_scalar(header, 3, _wire.LEN, path, "bundle header", b""), path,
                       "bundle version")
    min_consumer = _scalar(version, 2, _wire.VARINT, path, "bundle version")
    bad = [v for wt, v in version.get(3, []) if wt == _wire.VARINT]
    if min_consumer > _BUNDLE_VERSION or _BUNDLE_VERSION in bad:
        raise UnimplementedError(None, None, f"Checkpoint {prefix} needs a newer reader (bundle "
                                 f"format min_consumer {min_consumer}; minitf reads version "
                                 f"{_BUNDLE_VERSION})")
    if num_shards < 1 and len(entries) > 1:
        raise _loss(path, f"bundle header says {num_shards} data shards")
    out, pieces = {}, {}
    for key, value in entries[1:]:
        if key.startswith(b"\x00"):  # a slice (EncodeTensorNameSlice keys begin with 0)
            pieces[key] = _entry(value, path, repr(key), num_shards)
            continue
        try:
            name = key.decode()
        except UnicodeDecodeError:
            raise _loss(path, f"tensor name {key!r} is not UTF-8") from None
        out[name] = _entry(value, path, name, num_shards)
    for name, entry in out.items():
        if entry.slices:
            out[name] = entry._replace(slices=tuple(
                (extents, _piece(pieces, name, extents, path)) for extents in entry.slices))
    return num_shards, out


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


def _piece(pieces, name, extents, path) -> BundleEntry:
    piece = pieces.get(slice_key(name, extents))
    if piece is None:
        raise _loss(path, f"tensor {name!r} lists slice {list(extents)} but the index has no "
                    "entry for it")
    return piece


def list_bundle(prefix) -> dict:
    """{name: (numpy dtype, shape)} without reading data (object dtype for strings)."""
    _, entries = read_index(prefix)
    return {name: (numpy_dtype(e.dtype, name), e.shape) for name, e in entries.items()}


# -- reading tensors -----------------------------------------------------------------------------
def _check_no_overlap(name: str, full, slices):
    """TF's check when a tensor's slices are registered: no two may overlap (reading would
    otherwise count a hole as covered)."""
    boxes = [[(s, s + n) if n >= 0 else (0, f) for (s, n), f in zip(extents, full)]
             for extents in slices]
    for j, box in enumerate(boxes):
        for k in range(j):
            if all(a < d and c < b for (a, b), (c, d) in zip(box, boxes[k])):
                raise InternalError(None, None, f"Tensor {name!r}: Overlapping slices: existing "
                                    f"slice = {_slice_text(slices[k])}, new slice = "
                                    f"{_slice_text(slices[j])}")


def _slice_text(extents) -> str:
    return ":".join(f"{s},{n}" if n >= 0 else "-" for s, n in extents)


class BundleReader:
    """Reads tensors of one bundle on demand (the index is read once, at construction). Used
    as a context manager it reads each data file into memory once, for the rest of the block:
    a dataset cache reads every element's components in turn, and a file access per tensor
    made reading the cache slower than recomputing it."""

    def __init__(self, prefix):
        self.prefix = str(prefix)
        self.num_shards, self.entries = read_index(self.prefix)
        self._loaded: dict | None = None  # path -> the file's bytes, inside ``with`` only

    def __enter__(self):
        self._loaded = {}
        return self

    def __exit__(self, *exc):
        self._loaded = None

    def read(self, name: str, offset=None, shape=None) -> np.ndarray:
        """Tensor ``name``, or its block at ``offset`` of ``shape``; a tensor saved in slices
        is put together from those that overlap the block (TF reads it into any partitioning)."""
        entry = self.entries.get(name)
        if entry is None:
            raise NotFoundError(None, None, f"Key {name} not found in checkpoint {self.prefix}")
        full = entry.shape
        offset = tuple(offset) if offset is not None else (0,) * len(full)
        shape = tuple(shape) if shape is not None else full
        if not entry.slices:
            value = self._read_entry(name, entry)
            return value if shape == full else \
                value[tuple(slice(o, o + n) for o, n in zip(offset, shape))]
        _check_no_overlap(name, full, [extents for extents, _ in entry.slices])
        out = np.empty(shape, numpy_dtype(entry.dtype, name))
        covered = 0
        for extents, piece in entry.slices:  # they do not overlap (checked above)
            starts = [s if n >= 0 else 0 for s, n in extents]
            ends = [s + n if n >= 0 else f for (s, n), f in zip(extents, full)]
            lo = [max(s, o) for s, o in zip(starts, offset)]
            hi = [min(e, o + n) for e, o, n in zip(ends, offset, shape)]
            if any(a >= b for a, b in zip(lo, hi)):
                continue
            data = self._read_entry(name, piece)
            if data.shape != tuple(e - s for s, e in zip(starts, ends)):
                raise DataLossError(None, None, f"Checkpoint {self.prefix}: a slice of tensor "
                                    f"{name!r} has shape {list(data.shape)}, its extents "
                                    f"{list(extents)} say otherwise")
            out[tuple(slice(a - o, b - o) for a, b, o in zip(lo, hi, offset))] = \
                data[tuple(slice(a - s, b - s) for a, b, s in zip(lo, hi, starts))]
            covered += int(np.prod([b - a for a, b in zip(lo, hi)]))
        if covered != out.size:
            raise SlicesNotCoveredError(None, None, f"Checkpoint {self.prefix}: the slices "
                                        f"saved of tensor {name!r} do not cover offset "
                                        f"{list(offset)}, shape {list(shape)} of it")
        return out

    def _read_entry(self, name: str, entry: BundleEntry) -> np.ndarray:
        dtype = numpy_dtype(entry.dtype, name)
        path = data_filename(self.prefix, entry.shard_id, self.num_shards)
        count = int(np.prod(entry.shape, dtype=object))
        strings = entry.dtype == DT_STRING
        if not strings and entry.size != count * dtype.itemsize:
            raise DataLossError(None, None, f"Checkpoint {self.prefix}: invalid size in the "
                                f"entry of tensor {name!r}: {entry.size} bytes stored, "
                                f"{count * dtype.itemsize} expected for {dtype.name} "
                                f"{list(entry.shape)}")
        if strings and count and entry.size < count + 4:  # >= 1 varint byte per element
            raise DataLossError(None, None, f"Checkpoint {self.prefix}: invalid size in the "
                                f"entry of string tensor {name!r}: {entry.size} bytes stored "
                                f"for {count} elements")
        raw = self._bytes(path, entry, name)
        if not strings and masked_crc32c(raw) != entry.crc32c:
            raise DataLossError(None, None, f"Checksum does not match for tensor {name!r} in "
                                f"{path} (corrupt checkpoint data)")
        if strings:
            return _decode_strings(raw, count, entry, name, path).reshape(entry.shape)
        return raw.view(dtype).reshape(entry.shape)

    def _bytes(self, path, entry, name) -> np.ndarray:
        if self._loaded is not None:
            data = self._loaded.get(path)
            if data is None:
                data = self._loaded[path] = self._open_data(path, name, np.fromfile)
            raw = data[entry.offset:entry.offset + entry.size].copy()
            got = raw.size
        else:
            with self._open_data(path, name, open) as f:
                # Checked before allocating: a corrupt index must not ask for terabytes.
                if os.fstat(f.fileno()).st_size < entry.offset + entry.size:
                    got = -1
                else:
                    f.seek(entry.offset)
                    raw = np.empty(entry.size, dtype=np.uint8)  # read into the array's memory
                    got = f.readinto(memoryview(raw)) if entry.size else 0
        if got != entry.size:
            raise DataLossError(None, None, f"Checkpoint data file {path} is truncated: tensor "
                                f"{name!r} needs bytes [{entry.offset}, "
                                f"{entry.offset + entry.size}), the file ends first")
        return raw

    def _open_data(self, path, name, how):
        try:
            return how(path, "rb") if how is open else how(path, dtype=np.uint8)
        except FileNotFoundError:
            raise NotFoundError(None, None, f"Checkpoint {self.prefix}: data file {path} of "
                                f"tensor {name!r} not found") from None

    def read_all(self) -> dict:
        return {name: self.read(name) for name in self.entries}


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


def read_bundle(prefix, names=None) -> dict:
    """{name: array} of every tensor (or of ``names``) in the bundle ``prefix``; strings come
    back as object arrays of bytes. Checksums are verified."""
    reader = BundleReader(prefix)
    if names is None:
        return reader.read_all()
    return {n: reader.read(n) for n in names}


# -- writing -------------------------------------------------------------------------------------
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # (read once, at import: the process's umask, restored at once)


def temp_file(directory: str, prefix: str, suffix: str = "") -> tuple[int, str]:
    """mkstemp with the mode a plain open() would give (mkstemp's is 0600): checkpoints are
    read by other users too, a model server say."""
    fd, path = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=suffix)
    os.fchmod(fd, 0o666 & ~_UMASK)
    return fd, path
def _dtype_enum(name: str, arr: np.ndarray) -> int:
    if arr.dtype.kind in "OSU":
        return DT_STRING
    e = _ENUM_BY_KIND.get((arr.dtype.kind, arr.dtype.itemsize))
    if e is None:
        raise InvalidArgumentError(None, None, f"Cannot write tensor {name!r}: numpy dtype "
                                   f"{arr.dtype} has no TensorFlow checkpoint equivalent")
    return e


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


class _DataWriter:
    """Appends tensors to a data file; ``add`` returns the entry pointing at the bytes."""

    def __init__(self, f):
        self.f, self.offset = f, 0

    def add(self, name, arr, dtype) -> bytes:
        if dtype == DT_STRING:
            data, crc = _encode_strings(name, arr)
            self.f.write(data)
            size = len(data)
        else:
            raw = np.ascontiguousarray(arr, dtype=_NUMPY_BY_ENUM[dtype]).reshape(-1).view(np.uint8)
            self.f.write(raw.data)
            size, crc = raw.size, crc32c(raw)
        entry = _entry_proto(dtype, arr.shape, self.offset, size, crc)
        self.offset += size
        return entry


def _header_proto(num_shards: int = 1) -> bytes:
    # num_shards, endianness LITTLE (default, omitted), version {producer 1}.
    return _wire.uint(1, num_shards) + _wire.length_delimited(3, _wire.uint(1, _BUNDLE_VERSION))


class _BlockBuilder:
    """One table block: prefix-compressed entries, restart points every ``interval`` keys."""

    def __init__(self, interval: int):
        self.interval, self.buf, self.restarts, self.count, self.last = interval, bytearray(), \
            [0], 0, b""

    def add(self, k: bytes, v: bytes) -> None:
        shared = 0
        if self.count % self.interval:
            limit = min(len(self.last), len(k))
            while shared < limit and self.last[shared] == k[shared]:
                shared += 1
        elif self.count:
            self.restarts.append(len(self.buf))
        self.buf += _wire.varint(shared) + _wire.varint(len(k) - shared) + _wire.varint(len(v))
        self.buf += k[shared:] + v
        self.last, self.count = k, self.count + 1

    def size_estimate(self) -> int:
        return len(self.buf) + 4 * len(self.restarts) + 4

    def finish(self) -> bytes:
        r = self.restarts
        return bytes(self.buf) + struct.pack(f"<{len(r)}I", *r) + _U32.pack(len(r))


def _separator(start: bytes, limit: bytes) -> bytes:
    """A short key >= start and < limit (LevelDB's FindShortestSeparator, so the index block
    matches TensorFlow's byte for byte)."""
    n = 0
    while n < min(len(start), len(limit)) and start[n] == limit[n]:
        n += 1
    if n < min(len(start), len(limit)) and start[n] < 0xFF and start[n] + 1 < limit[n]:
        return start[:n] + bytes([start[n] + 1])
    return start


def _successor(key: bytes) -> bytes:
    """A short key >= key (LevelDB's FindShortSuccessor)."""
    for i, b in enumerate(key):
        if b != 0xFF:
            return key[:i] + bytes([b + 1])
    return key


def encode_table(items) -> bytes:
    """A sorted table of ``items`` ([(key bytes, value bytes)], sorted, unique), uncompressed,
    laid out as TensorFlow's table builder does (same block cuts and index keys)."""
    out = bytearray()

    def block(contents: bytes) -> bytes:
        handle = _wire.varint(len(out)) + _wire.varint(len(contents))
        trailer = b"\x00" + _U32.pack(masked_crc32c(contents + b"\x00"))
        out.extend(contents + trailer)
        return handle

    index = _BlockBuilder(1)
    data, pending, data_last = _BlockBuilder(_RESTART_INTERVAL), None, b""  # pending: a handle
    # awaiting its index key
    for k, v in items:
        if pending is not None:  # the separator needs the next block's first key
            index.add(_separator(data_last, k), pending)
            pending = None
        data.add(k, v)
        if data.size_estimate() >= _BLOCK_SIZE:
            data_last, pending = data.last, block(data.finish())
            data = _BlockBuilder(_RESTART_INTERVAL)
    if data.count:
        data_last, pending = data.last, block(data.finish())
    if pending is not None:
        index.add(_successor(data_last), pending)
    meta = block(_BlockBuilder(1).finish())
    idx = block(index.finish())
    footer = (meta + idx).ljust(_FOOTER - 8, b"\x00") + struct.pack("<Q", _MAGIC)
    return bytes(out + footer)


def write_bundle(prefix, arrays: dict, slices: dict | None = None,
                 name_order: bool = True) -> None:
    """Writes ``arrays`` ({name: array-like}) as the one-shard bundle ``prefix.index`` +
    ``prefix.data-00000-of-00001``, readable by TensorFlow's ``tf.train.load_checkpoint`` and
    ``Saver.restore``. ``slices`` ({name: [(offset, shape), ...]}) saves those tensors as TF
    saves a partitioned variable: only those blocks of ``arrays[name]`` (the whole tensor), each
    under its slice key (a length of -1: the whole dimension, kept so as TF keeps it). Both
    files go to temporary names first and are renamed (data, then index), so a reader never
    sees half a bundle. The data follow the names' order (as TF's Saver sorts them), or with
    ``name_order=False`` that of ``arrays`` (as TF's SaveV2 takes its inputs)."""
    prefix = str(prefix)
    directory = os.path.dirname(prefix) or "."
    os.makedirs(directory, exist_ok=True)
    slices = slices or {}
    named = []
    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError(None, None, f"Checkpoint tensor names must be non-empty "
                                       f"strings, got {name!r}")
        arr = np.asarray(value)
        named.append((name.encode(), name, arr, _dtype_enum(name, arr)))
    if name_order:
        named.sort(key=lambda t: t[0])  # data in name order, a tensor's slices in turn (as TF)
    entries, tmp_paths = [], []
    try:
        fd, tmp_data = temp_file(directory, ".tmp-bundle-data-")
        tmp_paths.append(tmp_data)
        with os.fdopen(fd, "wb") as f:
            data = _DataWriter(f)
            for key, name, arr, dtype in named:
                blocks = [(tuple(o), tuple(n)) for o, n in slices.get(name, ())]
                if not blocks or (len(blocks) == 1 and all(
                        n < 0 or (o, n) == (0, d) for o, n, d in zip(*blocks[0], arr.shape))):
                    entries.append((key, data.add(name, arr, dtype)))  # a whole one: plain (TF)
                    continue
                entries.append((key, _sliced_entry_proto(dtype, arr.shape, blocks)))
                for offset, shape in blocks:
                    piece = arr[tuple(slice(o, o + n if n >= 0 else None)
                                      for o, n in zip(offset, shape))]
                    entries.append((slice_key(name, list(zip(offset, shape))),
                                    data.add(name, piece, dtype)))
        table = encode_table([(b"", _header_proto())] + sorted(entries))
        fd, tmp_index = temp_file(directory, ".tmp-bundle-index-")
        tmp_paths.append(tmp_index)
        with os.fdopen(fd, "wb") as f:
            f.write(table)
        os.replace(tmp_data, data_filename(prefix, 0, 1))
        os.replace(tmp_index, index_filename(prefix))
    except BaseException:
        for p in tmp_paths:
            if os.path.exists(p):
                os.unlink(p)
        raise


# -- merging (MergeV2Checkpoints) ----------------------------------------------------------------
def merge_bundles(prefixes, destination, allow_missing_files: bool = False) -> None:
    """TF's MergeBundles: the bundles ``prefixes`` (a sharded Saver's one per device) become the
    one bundle ``destination``. Their data files are renamed to its shards in turn and one index
    lists every entry with its new shard (the slices of one tensor from several bundles under
    one entry); the old index files are deleted."""
    found = []
    for p in map(str, prefixes):
        if is_bundle(p):
            found.append(p)
        elif not allow_missing_files:
            raise InvalidArgumentError(None, None, f"allow_missing_files was set to false and "
                                       f"{p} did not exist ({index_filename(p)} not found)")
    if not found:
        raise InvalidArgumentError(None, None, "At least one prefix checkpoint file must exist, "
                                   "but none existed.")
    entries: dict = {}
    shards: list = []  # data files in their new order
    for p in found:
        num_shards, index = read_index(p)
        for name, entry in index.items():
            _merge_entry(entries, name, entry, len(shards), p)
        shards += [data_filename(p, i, num_shards) for i in range(num_shards)]
    destination = str(destination)
    directory = os.path.dirname(destination) or "."
    os.makedirs(directory, exist_ok=True)
    for k, path in enumerate(shards):
        try:
            os.replace(path, data_filename(destination, k, len(shards)))
        except FileNotFoundError:
            raise NotFoundError(None, None, f"Merging checkpoints into {destination}: data file "
                                f"{path} not found") from None
    fd, tmp = temp_file(directory, ".tmp-bundle-index-")
    with os.fdopen(fd, "wb") as f:
        f.write(encode_table(_index_items(entries, len(shards))))
    os.replace(tmp, index_filename(destination))
    for p in found:
        if index_filename(p) != index_filename(destination):
            os.unlink(index_filename(p))


def _merge_entry(entries: dict, name: str, entry: BundleEntry, first_shard: int, prefix) -> None:
    """Adds one tensor of the bundle ``prefix``, its shards counted from ``first_shard``."""
    def dup(what):
        return InvalidArgumentError(None, None, f"Duplicate tensor keyed by {what} encountered, "
                                    f"when merging prefix: {prefix}")
    old = entries.get(name)
    if not entry.slices:
        if old is not None:
            raise dup(name)
        entries[name] = entry._replace(shard_id=entry.shard_id + first_shard)
        return
    pieces = tuple((ext, piece._replace(shard_id=piece.shard_id + first_shard))
                   for ext, piece in entry.slices)
    if old is None:
        entries[name] = entry._replace(slices=pieces)
        return
    if not old.slices or (old.dtype, old.shape) != (entry.dtype, entry.shape):
        raise InvalidArgumentError(None, None, f"Merging prefix {prefix}: tensor {name!r} "
                                   f"({dtype_name(entry.dtype)} {list(entry.shape)}, in slices) "
                                   f"is already there as {dtype_name(old.dtype)} "
                                   f"{list(old.shape)}{', in slices' if old.slices else ''}")
    again = {ext for ext, _ in old.slices} & {ext for ext, _ in pieces}
    if again:
        raise dup(f"{name} slice {list(min(again))}")
    entries[name] = old._replace(slices=old.slices + pieces)


def _index_items(entries: dict, num_shards: int) -> list:
    """The sorted (key, value) items of an index holding ``entries`` ({name: BundleEntry})."""
    items = [(b"", _header_proto(num_shards))]
    for name, e in entries.items():
        if not e.slices:
            items.append((name.encode(), _entry_proto(e.dtype, e.shape, e.offset, e.size,
                                                      _unmask(e.crc32c), e.shard_id)))
            continue
        blocks = [tuple(zip(*ext)) if ext else ((), ()) for ext, _ in e.slices]
        items.append((name.encode(), _sliced_entry_proto(e.dtype, e.shape, blocks)))
        items += [(slice_key(name, ext), _entry_proto(p.dtype, p.shape, p.offset, p.size,
                                                     _unmask(p.crc32c), p.shard_id))
                  for ext, p in e.slices]
    return sorted(items)
