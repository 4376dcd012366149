"""TFRecord framing, as TensorFlow writes event files and ``.tfrecord`` files.

Each record is::

    uint64 length (little-endian)
    uint32 masked_crc32c(length bytes)
    bytes  data[length]
    uint32 masked_crc32c(data)

CRC32C (Castagnoli, reflected polynomial 0x82F63B78) has no maintained implementation among our
dependencies, so it is computed here: a byte-at-a-time table for short inputs, and for long ones
(graphs, histograms) a numpy "slicing-by-N" variant that looks up every byte of a block at once
and XOR-reduces, carrying the running CRC from block to block. Both are checked against the
RFC 3720 vectors and against each other in tests/tensorboard/test_tfrecord.py.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

_POLY = 0x82F63B78
_MASK_DELTA = 0xA282EAD8


def _byte_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _byte_table()
_BLOCK = 256  # bytes per vectorised block
_SHORT = 512  # below this many bytes the plain loop is faster than numpy's overhead
_BLOCK_TABLES = None  # (_BLOCK, 256) uint32, built on first long input


def _block_tables() -> np.ndarray:
    """``T[k][v]``: the CRC register contribution (initial register 0) of byte value ``v`` at
    position ``k`` of a ``_BLOCK``-byte block, i.e. followed by ``_BLOCK - 1 - k`` more bytes.

    CRC is linear over GF(2), so a block's register update is the XOR of its bytes'
    contributions, and the incoming register enters as if XORed into the first four bytes."""
    global _BLOCK_TABLES
    if _BLOCK_TABLES is None:
        base = np.array(_TABLE, dtype=np.uint32)
        tables = np.empty((_BLOCK, 256), dtype=np.uint32)
        row = base.copy()  # one byte and nothing after it
        tables[_BLOCK - 1] = row
        for k in range(_BLOCK - 2, -1, -1):  # one more (zero) byte after it
            row = base[row & 0xFF] ^ (row >> 8)
            tables[k] = row
        _BLOCK_TABLES = tables
    return _BLOCK_TABLES


def _update_bytes(crc: int, data) -> int:
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def _update_blocks(crc: int, data) -> int:
    """Register update over ``data`` whose length is a multiple of ``_BLOCK``."""
    tables = _block_tables()
    blocks = np.frombuffer(data, dtype=np.uint8).reshape(-1, _BLOCK)
    # Every block's contribution with a zero incoming register, all at once.
    contrib = np.bitwise_xor.reduce(tables[np.arange(_BLOCK), blocks], axis=1).tolist()
    t0, t1, t2, t3 = (tables[k].tolist() for k in range(4))
    for c in contrib:
        crc = (t0[crc & 0xFF] ^ t1[(crc >> 8) & 0xFF] ^ t2[(crc >> 16) & 0xFF]
               ^ t3[crc >> 24] ^ c)
    return crc


def crc32c(data, crc: int = 0) -> int:
    """CRC32C of ``data`` (bytes-like); ``crc`` continues a previous value."""
    reg = crc ^ 0xFFFFFFFF
    view = memoryview(data).cast("B")
    n = len(view)
    if n < _SHORT:
        return _update_bytes(reg, view) ^ 0xFFFFFFFF
    head = n % _BLOCK
    reg = _update_bytes(reg, view[:head])
    reg = _update_blocks(reg, view[head:])
    return reg ^ 0xFFFFFFFF


def masked_crc32c(data) -> int:
    """TensorFlow's masked CRC: rotate right by 15 bits and add a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")


@functools.lru_cache(maxsize=4096)
def _header(length: int) -> bytes:
    # Event sizes repeat (one scalar summary per step): the header is computed once per size.
    packed = _U64.pack(length)
    return packed + _U32.pack(masked_crc32c(packed))


def encode_record(data: bytes) -> bytes:
    """One framed record: length, its masked CRC, the data and the data's masked CRC."""
    return b"".join((_header(len(data)), data, _U32.pack(masked_crc32c(data))))


class RecordError(ValueError):
    """A corrupt or truncated record."""


def read_records(stream: BinaryIO, check_crc: bool = True) -> Iterator[bytes]:
    """Yields the data of each record in ``stream``; raises RecordError on a bad CRC or a
    truncated record (a partially written last record is reported, not silently dropped)."""
    offset = 0
    while True:
        header = stream.read(12)
        if not header:
            return
        if len(header) < 12:
            raise RecordError(f"truncated record header at offset {offset}")
        length_bytes, (length_crc,) = header[:8], _U32.unpack(header[8:])
        if check_crc and masked_crc32c(length_bytes) != length_crc:
            raise RecordError(f"corrupt record length at offset {offset}")
        (length,) = _U64.unpack(length_bytes)
        data = stream.read(length)
        footer = stream.read(4)
        if len(data) < length or len(footer) < 4:
            raise RecordError(f"truncated record at offset {offset}")
        if check_crc and masked_crc32c(data) != _U32.unpack(footer)[0]:
            raise RecordError(f"corrupt record data at offset {offset}")
        offset += 16 + length
        yield data
