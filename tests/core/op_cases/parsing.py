"""Cases for the parsing ops (ParseExampleV2, DecodeRaw). Records are built with protobuf's own
generated classes (minitf.protos.example_pb2), independently of the kernel's hand decoder; the
expected arrays are written out by hand."""

import struct

import numpy as np

from .harness import Case, Const


def _example(**features) -> bytes:
    from minitf.protos import example_pb2

    ex = example_pb2.Example()
    for key, values in features.items():
        feature = ex.features.feature[key]
        if isinstance(values[0], bytes):
            feature.bytes_list.value.extend(values)
        elif isinstance(values[0], float):
            feature.float_list.value.extend(values)
        else:
            feature.int64_list.value.extend(values)
    return ex.SerializeToString()


def _strings(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _scalar(item):
    return np.array(item, dtype=object)


_EMPTY = np.zeros([0], dtype=object)
_NO_SPARSE = {"num_sparse": 0, "sparse_types": [], "ragged_value_types": [],
              "ragged_split_types": []}


def _parse_case(serialized, keys, defaults, shapes, want, case_id, names=_EMPTY, **kw):
    return Case("ParseExampleV2",
                [serialized, names, _EMPTY, _strings(*keys), _EMPTY, defaults],
                attrs={**_NO_SPARSE, "dense_shapes": shapes},
                ref=lambda *a, **k: tuple(want) if len(want) > 1 else want[0], id=case_id,
                **kw)


_BATCH = _strings(
    _example(x=[1.0, 2.0], n=[7], s=[b"a"], seq=[1, 2, 3, 4]),
    _example(x=[3.0, -4.5], s=[b"bc"], seq=[5, 6]),
    _example(x=[0.0, 1e-3], n=[-(2**40)], other=[b"ignored"]),
)

CASES = [
    _parse_case(
        _BATCH, ["n", "s", "seq", "x"],
        [np.array([-1], np.int64), _strings(b"?"), np.array(0, np.int64),
         np.zeros([0], np.float32)],
        [[1], [], [None, 2], [2]],
        [np.array([[7], [-1], [-(2**40)]], np.int64),
         _strings(b"a", b"bc", b"?"),
         np.array([[[1, 2], [3, 4]], [[5, 6], [0, 0]], [[0, 0], [0, 0]]], np.int64),
         np.array([[1.0, 2.0], [3.0, -4.5], [0.0, 1e-3]], np.float32)],
        case_id="ParseExampleV2-batch-defaults-sequence", exact_shape=False),
    _parse_case(
        _scalar(_example(img=[b"\x00\x01"], v=[0.5, 0.25, 0.125, 1.0])), ["img", "v"],
        [np.zeros([0], object), np.zeros([0], np.float32)], [[], [2, 2]],
        [_scalar(b"\x00\x01"), np.array([[0.5, 0.25], [0.125, 1.0]], np.float32)],
        case_id="ParseExampleV2-single"),
    _parse_case(
        _scalar(_example(t=[b"p", b"q", b"r"])), ["t"], [_scalar(b"")], [[None]],
        [_strings(b"p", b"q", b"r")], case_id="ParseExampleV2-single-sequence",
        exact_shape=False),
    _parse_case(
        _strings(_example(a=[1]), _example(a=[2])), ["a"], [np.zeros([0], np.int64)], [[]],
        [np.array([1, 2], np.int64)], names=_strings(b"r0", b"r1"),
        case_id="ParseExampleV2-names"),
    _parse_case(
        _EMPTY, ["a"], [np.zeros([0], np.float32)], [[3]], [np.zeros([0, 3], np.float32)],
        case_id="ParseExampleV2-empty-batch"),
]

# TF 1.x's ParseExample (keys as scalar inputs) and ParseSingleExample (keys as attrs).
CASES += [
    Case("ParseExample",
         [_BATCH, _EMPTY, [], [_scalar(b"seq"), _scalar(b"x")],
          [np.array(-1, np.int64), np.zeros([0], np.float32)]],
         attrs={"sparse_types": [], "dense_shapes": [[None, 2], [2]]},
         ref=lambda *a, **k: (
             np.array([[[1, 2], [3, 4]], [[5, 6], [-1, -1]], [[-1, -1], [-1, -1]]], np.int64),
             np.array([[1.0, 2.0], [3.0, -4.5], [0.0, 1e-3]], np.float32)),
         id="ParseExample-v1", exact_shape=False),
    Case("ParseSingleExample",
         [_scalar(_example(n=[4], s=[b"z"])), [np.zeros([0], np.int64), _strings(b"d")]],
         attrs={"num_sparse": 0, "sparse_keys": [], "dense_keys": ["n", "s"],
                "sparse_types": [], "dense_shapes": [[1], []]},
         ref=lambda *a, **k: (np.array([4], np.int64), _scalar(b"z")),
         id="ParseSingleExample-v1"),
]

_U16 = _strings(b"\x01\x00\x02\x00", b"\x03\x00\x04\x01")


def _raw_case(data, out_type, want, case_id, **attrs):
    # The string length is a run-time value: the last dimension is never static.
    return Case("DecodeRaw", [data], attrs={"out_type": out_type, **attrs},
                ref=lambda *a, **k: want, id=case_id, exact_shape=False)


CASES += [
    _raw_case(_U16, np.uint16, np.array([[1, 2], [3, 260]], np.uint16), "DecodeRaw-uint16"),
    _raw_case(_U16, np.uint16, np.array([[256, 512], [768, 1025]], np.uint16),
              "DecodeRaw-big-endian", little_endian=False),
    _raw_case(_U16, np.uint8, np.array([[1, 0, 2, 0], [3, 0, 4, 1]], np.uint8),
              "DecodeRaw-uint8-ignores-endianness", little_endian=False),
    _raw_case(_scalar(np.array([1.5, -2.0], "<f4").tobytes()), np.float32,
              np.array([1.5, -2.0], np.float32), "DecodeRaw-scalar-float32"),
    _raw_case(_strings(np.array([2.5], ">f8").tobytes()).reshape(1, 1), np.float64,
              np.array([[[2.5]]]), "DecodeRaw-2d-float64-big-endian", little_endian=False),
    _raw_case(_strings(np.array([-3, 2**40], "<i8").tobytes()), np.int64,
              np.array([[-3, 2**40]], np.int64), "DecodeRaw-int64"),
    _raw_case(_strings(np.array([-1, 300], "<i2").tobytes()), np.int16,
              np.array([[-1, 300]], np.int16), "DecodeRaw-int16"),
    _raw_case(_strings(b"\x00\x01\x02"), np.bool_, np.array([[False, True, True]]),
              "DecodeRaw-bool"),
    _raw_case(Const(_strings(b"", b"")), np.int32, np.zeros([2, 0], np.int32),
              "DecodeRaw-empty-strings"),
    # complex: (real, imaginary) pairs; big-endian swaps each part's bytes, not the pair
    _raw_case(_strings(struct.pack("<ffff", 1, 2, -3, 0.5)), np.complex64,
              np.array([[1 + 2j, -3 + 0.5j]], np.complex64), "DecodeRaw-complex64"),
    _raw_case(_strings(struct.pack(">dd", 1.5, -4)), np.complex128,
              np.array([[1.5 - 4j]]), "DecodeRaw-complex128-big-endian", little_endian=False),
]
