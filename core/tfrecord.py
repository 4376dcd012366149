"""TFRecord framing, as TensorFlow writes event files and ``.tfrecord`` files.

Each record is::

    uint64 length (little-endian)
    uint32 masked_crc32c(length bytes)
    bytes  data[length]
    uint32 masked_crc32c(data)

CRC32C (Castagnoli, reflected polynomial 0x82F63B78) has no maintained implementation among our
dependencies, so it is computed here: a byte-at-a-time table for short inputs, and for long ones
(graphs, histograms, checkpoints of hundreds of MB) a numpy version that runs thousands of
independent CRCs side by side ("lanes", one per consecutive slice of the input, 4 bytes per step
through 16-bit tables) and then merges them pairwise: CRC is linear over GF(2), so a lane's
register is carried past the bytes after it by a fixed linear map ("feed k zero bytes"),
applied as four 256-entry table lookups. Both paths are checked against the RFC 3720 vectors and
against each other in tests/tensorboard/test_tfrecord.py and tests/core/test_tensor_bundle.py.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import struct
import zlib
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
_SHORT = 2048  # below this many bytes the plain loop is faster than numpy's overhead
_LANES = 16384  # lanes per full chunk (their registers stay in cache)
_LANE_BYTES = 256  # bytes per lane in a full chunk: 4 MiB chunks bound the temporary memory
_SMALL_LANE_BYTES = 16  # for a short tail: more, shorter lanes mean fewer numpy calls
_WORD_TABLES = None  # (lo, hi): 65536-entry uint32 tables for one 4-byte step, built lazily


def _word_tables():
    """``lo[v]`` / ``hi[v]``: the register contribution of a little-endian word's low / high
    16 bits ``v`` after all 4 bytes of the word are fed in (initial register 0)."""
    global _WORD_TABLES
    if _WORD_TABLES is None:
        t = np.array(_TABLE, dtype=np.uint32)
        by = [t]  # by[k][b]: byte b followed by k zero bytes
        for _ in range(3):
            by.append(t[by[-1] & 0xFF] ^ (by[-1] >> 8))
        v = np.arange(65536, dtype=np.uint32)
        _WORD_TABLES = (by[3][v & 0xFF] ^ by[2][v >> 8], by[1][v & 0xFF] ^ by[0][v >> 8])
    return _WORD_TABLES


def _apply(tables: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A linear map on registers, given as 4 byte tables (one per byte of the register)."""
    return (tables[0][x & 0xFF] ^ tables[1][(x >> 8) & 0xFF] ^ tables[2][(x >> 16) & 0xFF]
            ^ tables[3][x >> 24])


def _byte_tables(images: np.ndarray) -> np.ndarray:
    """The 4 byte tables of the linear map sending register bit ``i`` to ``images[i]``."""
    v = np.arange(256, dtype=np.uint32)
    tables = np.zeros((4, 256), dtype=np.uint32)
    for j in range(4):
        for b in range(8):
            tables[j] ^= np.where((v >> b) & 1, images[8 * j + b], 0).astype(np.uint32)
    return tables


@functools.lru_cache(maxsize=64)
def _shift_tables(k: int) -> np.ndarray:
    """Byte tables of "feed ``k`` zero bytes" (the register update a lane's value undergoes
    while the ``k`` bytes after its slice go in), by repeated squaring."""
    if k <= 4:
        images = np.array([1 << b for b in range(32)], dtype=np.uint32)
        t = np.array(_TABLE, dtype=np.uint32)
        for _ in range(k):
            images = t[images & 0xFF] ^ (images >> 8)
        return _byte_tables(images)
    half = _shift_tables(k // 2)
    rest = _shift_tables(k - k // 2)
    # Images of the basis under "rest", then carried through "half".
    images = _apply(rest, np.array([1 << b for b in range(32)], dtype=np.uint32))
    return _byte_tables(_apply(half, images))


def _update_lanes(reg: int, data, lanes: int) -> int:
    """Register update over ``data`` (``lanes`` equal slices, each a multiple of 4 bytes)."""
    lo, hi = _word_tables()
    words = np.frombuffer(data, dtype="<u4").reshape(lanes, -1)
    regs = np.zeros(lanes, dtype=np.uint32)
    regs[0] = reg  # the incoming register enters with the first lane only
    idx = np.empty(lanes, dtype=np.uint32)
    for j in range(words.shape[1]):
        x = regs ^ words[:, j]
        np.bitwise_and(x, 0xFFFF, out=idx)
        regs = lo.take(idx)
        np.right_shift(x, 16, out=idx)
        regs ^= hi.take(idx)
    # Merge neighbours: left lane carried past the right lane's bytes, XOR the right lane.
    span = words.shape[1] * 4
    while len(regs) > 1:
        if len(regs) % 2:  # a zero lane in front changes nothing (the map of 0 is 0)
            regs = np.concatenate([np.zeros(1, dtype=np.uint32), regs])
        regs = _apply(_shift_tables(span), regs[0::2]) ^ regs[1::2]
        span *= 2
    return int(regs[0])


def _update_bytes(crc: int, data) -> int:
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def crc32c(data, crc: int = 0) -> int:
    """CRC32C of ``data`` (bytes-like); ``crc`` continues a previous value."""
    reg = crc ^ 0xFFFFFFFF
    view = memoryview(data).cast("B")
    n = len(view)
    if n < _SHORT:
        return _update_bytes(reg, view) ^ 0xFFFFFFFF
    chunk = _LANES * _LANE_BYTES
    pos = 0
    while n - pos >= chunk:
        reg = _update_lanes(reg, view[pos:pos + chunk], _LANES)
        pos += chunk
    for lane_bytes in (_LANE_BYTES, _SMALL_LANE_BYTES):
        lanes = (n - pos) // lane_bytes
        if lanes >= 64:
            reg = _update_lanes(reg, view[pos:pos + lanes * lane_bytes], lanes)
            pos += lanes * lane_bytes
    reg = _update_bytes(reg, view[pos:])
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
        data = _read_at_most(stream, length)
        footer = stream.read(4)
        if len(data) < length or len(footer) < 4:
            raise RecordError(f"truncated record at offset {offset}")
        if check_crc and masked_crc32c(data) != _U32.unpack(footer)[0]:
            raise RecordError(f"corrupt record data at offset {offset}")
        offset += 16 + length
        yield data


_CHUNK = 1 << 24  # a record longer than this is read in chunks, unless the file's size is known


def _read_at_most(stream: BinaryIO, length: int) -> bytes:
    """``stream.read(length)``, allocating only for bytes that are there: a corrupt length
    (its CRC can be valid; up to 2^64-1) reads what is left, and the caller reports a
    truncated record, instead of a MemoryError or OverflowError asking for it all."""
    if length <= _CHUNK:
        return stream.read(length)
    left = None
    if isinstance(getattr(stream, "raw", stream), io.FileIO):  # not GzipFile: its fileno()
        # is the compressed file's. A plain file's size says whether the record fits.
        try:
            left = os.fstat(stream.fileno()).st_size - stream.tell()
        except OSError:  # (a pipe, say)
            left = None
    if left is not None:
        return stream.read(length) if length <= left else b""
    parts, got, step = [], 0, _CHUNK  # a stream (decompressed): chunks, doubling in size
    while got < length:
        part = stream.read(min(step, length - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
        step *= 2
    return b"".join(parts)


# -- files (shared by tf.python_io and tf.data's readers) -----------------------------------------
class _ZlibRaw(io.RawIOBase):
    """One zlib stream decompressed as it is read (bounded memory); a BufferedReader over it
    gives read(n) and readline()."""

    _CHUNK = 1 << 16

    def __init__(self, f):
        self._f = f
        self._z = zlib.decompressobj()
        self._pending, self._pos = b"", 0  # an offset: slicing the rest off would copy it

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._pos >= len(self._pending) and not self._z.eof:
            chunk = self._f.read(self._CHUNK)
            if not chunk:
                break
            self._pending, self._pos = self._z.decompress(chunk), 0
        n = min(len(buffer), len(self._pending) - self._pos)
        buffer[:n] = self._pending[self._pos:self._pos + n]
        self._pos += n
        return n

    def close(self):
        self._f.close()
        super().close()


def open_compressed(path, compression: str):
    """``path`` opened for reading through its compression ("", "GZIP" or "ZLIB", as TF
    writes them: one stream over the whole file); a missing file is NotFoundError, a
    directory FailedPreconditionError."""
    from .gfile import open_file

    f = open_file(path, "rb")  # the caller closes the stream
    if compression == "GZIP":
        return gzip.GzipFile(fileobj=f)
    if compression == "ZLIB":
        return io.BufferedReader(_ZlibRaw(f))
    return f


def records_of(stream, path) -> Iterator[bytes]:
    """The records of an open stream, a damaged or cut-off one as DataLossError naming
    ``path``."""
    from .errors import DataLossError

    try:
        yield from read_records(stream, check_crc=True)
    except RecordError as e:
        raise DataLossError(None, None, f"corrupted record in {path}: {e}") from None
    except (OSError, EOFError, zlib.error) as e:
        raise DataLossError(None, None, f"cannot read {path}: {e}") from None

