"""``tf.train.Example`` records decoded by hand from the protobuf wire format (core imports no
generated protos), for the ParseExample ops (parsing_example_ops) and the SequenceExample ops
(parsing_sequence_ops, which read a context's Features the same way).

Example.features (1) -> Features.feature (1, map entries of key 1 / value 2) -> Feature oneof
bytes_list (1) / float_list (2) / int64_list (3) -> each list's ``value`` (1), packed or not.
Repeated fields merge as protobuf merges them: a later map entry for a key replaces an earlier
one, a list field seen twice is concatenated. Malformed input raises ``_CorruptError``, which
the kernels turn into TF's InvalidArgumentError naming the record.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as _dt
from .._wire import FIXED32, LEN, VARINT, WireError, field_spans, read_varint

_FEATURE_DTYPES = (_dt.float32, _dt.int64, _dt.string)
# Feature's oneof field number -> the TF type name used in error messages.
_KIND_NAMES = {1: "string", 2: "float", 3: "int64"}
_KIND_OF_DTYPE = {_dt.string: 1, _dt.float32: 2, _dt.int64: 3}


# -- Example wire decoding ---------------------------------------------------------------------
class _CorruptError(Exception):
    """The record is not a well-formed Example."""


def _message_fields(buf, start, end):
    try:
        yield from field_spans(buf, start, end)
    except WireError as e:
        raise _CorruptError(str(e)) from None


def _example_features(buf, wanted: set) -> dict:
    """{key bytes: (start, end) of the Feature message} for the ``wanted`` keys of a serialized
    Example; later map entries for a key replace earlier ones, as protobuf's map merge does."""
    found = {}
    for number, wt, _, s, e in _message_fields(buf, 0, len(buf)):
        if number != 1:
            continue  # unknown fields are skipped, as a proto3 parser keeps and ignores them
        if wt != LEN:
            raise _CorruptError("Example.features is not length-delimited")
        for key, value in map_entries(buf, s, e):
            if key in wanted:
                found[key] = value  # None: an entry without a value, i.e. an empty Feature
    return found


def map_entries(buf, start, end):
    """(key bytes, value span or None) of each entry of the map field 1 in [start, end) (a
    Features' feature map, a FeatureLists' feature_list map)."""
    for number, wt, _, s, e in _message_fields(buf, start, end):
        if number != 1:
            continue
        if wt != LEN:
            raise _CorruptError("a map field is not length-delimited")
        key, value = b"", None
        for n2, wt2, _, s2, e2 in _message_fields(buf, s, e):
            if n2 in (1, 2) and wt2 != LEN:
                raise _CorruptError("a map entry field has the wrong wire type")
            if n2 == 1:
                key = bytes(buf[s2:e2])
            elif n2 == 2:
                value = (s2, e2)
        yield key, value


def _decode_feature(buf, span):
    """(kind, values) of a Feature message: kind 1/2/3 (bytes/float/int64) or 0 when no kind
    is set (TF treats that as a missing feature)."""
    kind, parts = 0, []
    if span is None:
        return 0, []
    for number, wt, _, s, e in _message_fields(buf, *span):
        if number not in _KIND_NAMES:
            continue
        if wt != LEN:
            raise _CorruptError("a Feature list is not length-delimited")
        if number != kind:  # a different oneof member replaces the previous one
            kind, parts = number, []
        parts.append(_decode_list(buf, number, s, e))
    if kind == 1:
        return kind, [v for p in parts for v in p]
    if not parts:
        return kind, []
    return kind, np.concatenate(parts) if len(parts) > 1 else parts[0]


def _decode_list(buf, kind, start, end):
    if kind == 1:  # BytesList: repeated bytes
        out = []
        for number, wt, _, s, e in _message_fields(buf, start, end):
            if number == 1:
                if wt != LEN:
                    raise _CorruptError("BytesList.value is not length-delimited")
                out.append(bytes(buf[s:e]))
        return out
    chunks = []
    for number, wt, _, s, e in _message_fields(buf, start, end):
        if number != 1:
            continue
        if kind == 2:  # FloatList: packed (LEN) or one fixed32 per field
            if wt == LEN:
                if (e - s) % 4:
                    raise _CorruptError("packed floats of a length not a multiple of 4")
                chunks.append(np.frombuffer(buf, "<f4", (e - s) // 4, s))
            elif wt == FIXED32:
                chunks.append(np.frombuffer(buf, "<f4", 1, s))
            else:
                raise _CorruptError("FloatList.value has the wrong wire type")
        else:  # Int64List: packed varints (LEN) or one varint per field
            if wt == LEN:
                chunks.append(np.array(_varints(buf, s, e), dtype=np.uint64).view(np.int64))
            elif wt == VARINT:
                chunks.append(np.array([read_varint(buf, s)[0]], np.uint64).view(np.int64))
            else:
                raise _CorruptError("Int64List.value has the wrong wire type")
    dtype = np.float32 if kind == 2 else np.int64
    if not chunks:
        return np.zeros(0, dtype)
    return (np.concatenate(chunks) if len(chunks) > 1 else chunks[0]).astype(dtype)


def _varints(buf, pos, end):
    out = []
    try:
        while pos < end:
            v, pos = read_varint(buf, pos, end)
            out.append(v & 0xFFFFFFFFFFFFFFFF)
    except WireError as e:
        raise _CorruptError(str(e)) from None
    return out
