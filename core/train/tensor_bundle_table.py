"""The sorted table (LevelDB's SSTable layout) a bundle's ``P.index`` is stored in: reading
one (blocks, their trailers and checksums, the footer) into its (key, value) items, and encoding
items as TensorFlow's table builder lays them out, block cuts and index keys included.

It knows nothing of tensors: the keys and values are the bundle's (tensor_bundle_entry.py
encodes them). The layout is described in tensor_bundle.py. (Split from tensor_bundle.py, which
re-exports these names.)"""

from __future__ import annotations

import struct

from .. import _wire
from ..errors import DataLossError, NotFoundError, UnimplementedError
from ..tfrecord import masked_crc32c

_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48  # two block handles padded to 2 * 20 bytes, then the 8-byte magic
_TRAILER = 5  # compression type byte + masked crc32c
_BLOCK_SIZE = 256 * 1024  # TF's table::Options default: start a new data block past this
_RESTART_INTERVAL = 16  # TF's (LevelDB's) default for data blocks
_U32 = struct.Struct("<I")


# -- reading a table -----------------------------------------------------------------------------
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


# -- writing a table -----------------------------------------------------------------------------
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
