"""A minimal protobuf wire-format encoder for the messages core writes itself, and the field
walker that also lets the export loader cut weights out of a model file without copying them.

The summary kernels and the event writer produce serialized ``Summary`` / ``Event`` bytes, but
core may not import the generated protos (DESIGN.md: core imports nothing of ours). The wire
format is small enough to write directly: https://protobuf.dev/programming-guides/encoding/.

Every helper returns the bytes of one field (key + payload). Callers emit fields in field-number
order and leave proto3 defaults out where protobuf would, so the output is byte-identical to
``SerializeToString()`` of the same message (tests/tensorboard/test_wire.py proves it).
"""

from __future__ import annotations

import struct

import numpy as np

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5

_PACK_D = struct.Struct("<d").pack
_PACK_F = struct.Struct("<f").pack
# One-byte varints cover every field key below 16 and most lengths: precompute them.
_SMALL = [bytes([i]) for i in range(128)]


def varint(n: int) -> bytes:
    """Base-128 varint; negative values are int64 two's complement (ten bytes), as protobuf."""
    if 0 <= n < 128:
        return _SMALL[n]
    if n < 0:
        n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def key(field: int, wire_type: int) -> bytes:
    return varint((field << 3) | wire_type)


def uint(field: int, n: int) -> bytes:
    """An int32/int64/uint64/enum/bool field (always written: the caller skips defaults)."""
    return key(field, VARINT) + varint(int(n))


def double(field: int, x: float) -> bytes:
    return key(field, FIXED64) + _PACK_D(x)


def optional_double(field: int, x: float) -> bytes:
    """A proto3 ``double`` field: omitted when it is +0.0 (protobuf compares bits, so -0.0 is
    written)."""
    data = _PACK_D(x)
    return key(field, FIXED64) + data if data != _ZERO8 else b""


_ZERO8 = bytes(8)


def float32(field: int, x) -> bytes:
    """A ``float`` field; ``x`` is rounded to float32 by numpy (inf on overflow, as C++)."""
    return key(field, FIXED32) + np.float32(x).tobytes()


def length_delimited(field: int, data: bytes) -> bytes:
    """A bytes, string or embedded-message field."""
    return key(field, LEN) + varint(len(data)) + data


def string(field: int, text) -> bytes:
    return length_delimited(field, text.encode() if isinstance(text, str) else bytes(text))


def packed_doubles(field: int, values) -> bytes:
    """A ``repeated double [packed = true]`` field (omitted when empty, as protobuf does)."""
    data = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return length_delimited(field, data) if data else b""


# -- reading ------------------------------------------------------------------------------------
class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(buf, pos: int, end: int | None = None) -> tuple[int, int]:
    """(value, position after it) of the varint at ``buf[pos]``, read no further than ``end``."""
    result = shift = 0
    if end is None:
        end = len(buf)
    while True:
        if pos >= end or shift > 63:
            raise WireError("truncated or malformed varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def field_spans(buf, start: int = 0, end: int | None = None):
    """Yields ``(field_number, wire_type, field_start, value_start, value_end)`` for each field
    of the message in ``buf[start:end]``, copying nothing (the export loader walks 100 MB
    models with it): a varint's value is ``read_varint(buf, value_start)``, any other payload
    ``buf[value_start:value_end]``. Raises WireError on malformed input (groups are not
    supported)."""
    pos = start
    if end is None:
        end = len(buf)
    while pos < end:
        field_start = pos
        k, pos = read_varint(buf, pos, end)
        number, wt = k >> 3, k & 7
        if number == 0:
            raise WireError("field number 0")
        if wt == VARINT:
            _, value_end = read_varint(buf, pos, end)
        elif wt == LEN:
            n, pos = read_varint(buf, pos, end)
            value_end = pos + n
        elif wt == FIXED64:
            value_end = pos + 8
        elif wt == FIXED32:
            value_end = pos + 4
        else:
            raise WireError(f"unsupported wire type {wt}")
        if value_end > end:
            raise WireError("truncated field")
        yield number, wt, field_start, pos, value_end
        pos = value_end


def fields(buf):
    """Yields ``(field_number, wire_type, value, start, end)`` for each top-level field:
    ``value`` is an int for varints, the payload ``bytes`` otherwise; ``buf[start:end]`` is the
    whole field."""
    for number, wt, start, value_start, end in field_spans(buf):
        value = read_varint(buf, value_start)[0] if wt == VARINT else \
            bytes(buf[value_start:end])
        yield number, wt, value, start, end
