"""Cases for DecodeJSONExample. The references are the Example wire bytes written out by hand
from the protobuf encoding (map entries in the JSON's order, repeated values unpacked, as
TensorFlow's kernel writes them; checked against TF in tests/core/test_json_example.py)."""

import numpy as np

from .harness import Case


def _ld(tag: int, payload: bytes) -> bytes:
    return bytes([tag, len(payload)]) + payload


def _entry(key: bytes, feature: bytes) -> bytes:  # Features.feature map entry (field 1)
    return _ld(0x0A, _ld(0x0A, key) + _ld(0x12, feature))


# int64_list (Feature field 3) of 1, -5 (ten-byte varint), 7; then bytes_list (field 1) of
# b"hi", b"\0\xff" (base64 "aGk=" and unpadded "AP8").
_INT64 = _ld(0x1A, b"\x08\x01" + b"\x08" + b"\xfb" + b"\xff" * 8 + b"\x01" + b"\x08\x07")
_BYTES = _ld(0x0A, _ld(0x0A, b"hi") + _ld(0x0A, b"\x00\xff"))
# float_list (field 2) of 1.5 and NaN: fixed32 little-endian 0x3fc00000, 0x7fc00000.
_FLOATS = _ld(0x12, b"\x0d\x00\x00\xc0\x3f" + b"\x0d\x00\x00\xc0\x7f")

RECORDS = [
    ('{"features":{"feature":{"b":{"int64List":{"value":["1","-5",7]}},'
     '"a":{"bytesList":{"value":["aGk=","AP8"]}}}}}',
     _ld(0x0A, _entry(b"b", _INT64) + _entry(b"a", _BYTES))),
    ('{"features": {"feature": {"f": {"float_list": {"value": [1.5, "NaN"]}}}}}',
     _ld(0x0A, _entry(b"f", _FLOATS))),
    ("{}", b""),
    ('{"features":{}}', b"\x0a\x00"),
]


def _strings(items, shape):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


CASES = [
    Case("DecodeJSONExample", [_strings([t.encode() for t, _ in RECORDS], (2, 2))],
         ref=lambda json_examples: _strings([b for _, b in RECORDS], (2, 2)),
         id="DecodeJSONExample-bytes-int64-float-empty"),
    Case("DecodeJSONExample", [_strings([RECORDS[0][0].encode()], ())],
         ref=lambda json_examples: _strings([RECORDS[0][1]], ()), id="DecodeJSONExample-scalar"),
]
