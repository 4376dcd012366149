"""Cases for the bitwise ops (core/ops/bitwise_ops.py), the extra string ops
(core/ops/string_extra_ops.py) and the serialization ops (core/ops/serialization_ops.py).
References are numpy's bit operations, Python's base64/zlib/gzip, TensorProtos built with the
generated protobuf classes, or values TF 2.21 gave (hashes and fingerprints)."""

import base64
import gzip
import zlib

import numpy as np

from minitf.protos import tensor_pb2

from .harness import Case, Const

I8 = np.array([-128, -1, 0, 1, 5, 127], np.int8)
U16 = np.array([0, 1, 255, 256, 40000, 65535], np.uint16)
I64 = np.array([-(2**63), -3, 0, 7, 2**40 + 1, 2**63 - 1], np.int64)
SHIFTS = np.array([-1, 0, 1, 3, 63, 64], np.int64)  # TF clamps the shift to [0, 63]

# TF 2.21 gave these buckets and fingerprints for STRS.
STRS = np.array([b"", b"a", b"hello", b"abcdefgh", b"abcdefghijklmnopq",
                 "h\xe9llo w\xf6rld \u65e5\u672c".encode()], object)
TF_HASH_2_62 = [105434511174508091, 2996632905371535868, 1331861223480393034,
                3429851175771700306, 3675176827060214941, 528595181609547682]
TF_STRONG_1_2 = [443797209252341627, 546566331822570742, 2957200328589801622,
                 2649018002260510108, 2589293315738655589, 723123455902860561]
TF_FINGERPRINTS = [[79, 64, 144, 47, 59, 106, 225, 154], [227, 117, 223, 182, 101, 66, 69, 179],
                   [232, 12, 56, 49, 169, 229, 139, 180], [9, 41, 200, 144, 41, 210, 233, 254],
                   [168, 147, 119, 45, 199, 6, 33, 158], [31, 66, 221, 10, 192, 152, 94, 158]]
TF_FINGERPRINT_INT_ROWS = [[226, 97, 231, 35, 137, 217, 164, 52],
                           [135, 205, 247, 214, 112, 21, 177, 81]]
TF_FINGERPRINT_STRING_ROWS = [[171, 136, 196, 48, 128, 193, 215, 38],
                              [209, 23, 155, 54, 102, 117, 25, 47]]


def s(*items, shape=None):
    out = np.empty(len(items), dtype=object)
    out[:] = [i.encode() if isinstance(i, str) else i for i in items]
    return out.reshape(shape) if shape else out


def _scalar(v):
    out = np.empty((), object)
    out[()] = v
    return out


def _proto(arr) -> bytes:
    """A TensorProto as TF's AsProtoTensorContent writes it, via the generated classes."""
    import minitf as tf

    arr = np.asarray(arr)
    p = tensor_pb2.TensorProto(dtype=tf.as_dtype(arr.dtype if arr.dtype != object else
                                                 tf.string).as_datatype_enum)
    p.tensor_shape.SetInParent()
    for d in arr.shape:
        p.tensor_shape.dim.add(size=d)
    if arr.dtype == object:
        p.string_val.extend(arr.reshape(-1).tolist())
    else:
        p.tensor_content = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    return p.SerializeToString()


SP_INDICES = np.array([[0, 0], [0, 3], [2, 1]], np.int64)
SP_VALUES = np.array([1.5, -2.0, 3.25], np.float32)
SP_SHAPE = np.array([3, 5], np.int64)
MANY = s(*[_proto(a) for a in (np.array([[0], [3]], np.int64), np.array([1.5, -2.0], np.float32),
                                np.array([5], np.int64),
                                np.zeros((0, 1), np.int64), np.zeros(0, np.float32),
                                np.array([5], np.int64),
                                np.array([[1]], np.int64), np.array([3.25], np.float32),
                                np.array([5], np.int64))], shape=(3, 3))
DATA = b"hello hello hello " * 5

CASES = [
    Case("BitwiseAnd", [I8, np.int8(0x0F)], ref=lambda x, y: np.bitwise_and(x, y)),
    Case("BitwiseOr", [U16, U16[::-1].copy()], ref=lambda x, y: x | y),
    Case("BitwiseXor", [I64, I64[::-1].copy()], ref=lambda x, y: x ^ y),
    Case("Invert", [I8], ref=lambda x: ~x),
    Case("Invert", [U16], ref=lambda x: ~x, id="Invert-uint16"),
    Case("LeftShift", [I64, SHIFTS],
         ref=lambda x, y: (x.astype(np.uint64) << np.clip(y, 0, 63).astype(np.uint64))
         .astype(np.int64)),
    Case("RightShift", [I64, SHIFTS], ref=lambda x, y: x >> np.clip(y, 0, 63)),
    Case("RightShift", [I8, np.array([9, -2, 1, 0, 7, 8], np.int8)],
         ref=lambda x, y: x >> np.clip(y, 0, 7).astype(np.int8), id="RightShift-int8-clamped"),
    Case("PopulationCount", [I64], ref=lambda x: np.array([1, 63, 0, 3, 2, 63], np.uint8)),
    Case("PopulationCount", [U16], ref=lambda x: np.array([0, 1, 8, 1, 5, 16], np.uint8),
         id="PopulationCount-uint16"),
    Case("StringToHashBucket", [STRS], attrs={"num_buckets": 2**62},
         ref=lambda x, num_buckets: np.array(TF_HASH_2_62, np.int64)),
    Case("StringToHashBucketStrong", [STRS], attrs={"num_buckets": 2**62, "key": [1, 2]},
         ref=lambda x, **_: np.array(TF_STRONG_1_2, np.int64)),
    Case("Fingerprint", [STRS, Const(_scalar(b"farmhash64"))],
         ref=lambda x, m: np.array(TF_FINGERPRINTS, np.uint8)),
    Case("Fingerprint", [np.arange(6, dtype=np.int32).reshape(2, 3),
                         Const(_scalar(b"farmhash64"))],
         ref=lambda x, m: np.array(TF_FINGERPRINT_INT_ROWS, np.uint8), id="Fingerprint-int32"),
    Case("Fingerprint", [STRS[:4].reshape(2, 2), Const(_scalar(b"farmhash64"))],
         ref=lambda x, m: np.array(TF_FINGERPRINT_STRING_ROWS, np.uint8),
         id="Fingerprint-string-rows"),
    Case("EncodeBase64", [STRS], attrs={"pad": True},
         ref=lambda x, pad: s(*[base64.urlsafe_b64encode(v) for v in x])),
    Case("EncodeBase64", [s(b"\xff\xfe\xfd\xfc", b"ab")], id="EncodeBase64-unpadded",
         ref=lambda x, pad=False: s(b"__79_A", b"YWI")),
    Case("DecodeBase64", [s("__79_A", "YWI=", "", "YWJj")],
         ref=lambda x: s(b"\xff\xfe\xfd\xfc", b"ab", b"", b"abc")),
    Case("DecodeCompressed", [s(zlib.compress(DATA), zlib.compress(b""))],
         attrs={"compression_type": "ZLIB"}, ref=lambda x, **_: s(DATA, b"")),
    Case("DecodeCompressed", [s(gzip.compress(DATA), gzip.compress(b"a") + gzip.compress(b"b"))],
         attrs={"compression_type": "GZIP"}, ref=lambda x, **_: s(DATA, b"ab"),
         id="DecodeCompressed-gzip-members"),
    Case("DecodeCompressed", [s("as is")], ref=lambda x, **_: x, id="DecodeCompressed-none"),
    Case("SerializeTensor", [np.arange(6, dtype=np.float32).reshape(2, 3)],
         ref=lambda x: _scalar(_proto(x))),
    Case("SerializeTensor", [STRS], ref=lambda x: _scalar(_proto(x)), id="SerializeTensor-str"),
    Case("ParseTensor", [_scalar(_proto(I64))], attrs={"out_type": np.int64},
         ref=lambda x, out_type: I64, exact_shape=False),
    Case("ParseTensor", [_scalar(tensor_pb2.TensorProto(
        dtype=1, tensor_shape={"dim": [{"size": 2}, {"size": 2}]},
        float_val=[1.0, 2.5]).SerializeToString())], attrs={"out_type": np.float32},
        ref=lambda x, out_type: np.array([[1.0, 2.5], [2.5, 2.5]], np.float32),
        exact_shape=False, id="ParseTensor-repeated-last-value"),
    Case("SerializeSparse", [SP_INDICES, SP_VALUES, SP_SHAPE],
         ref=lambda i, v, sh, **_: s(_proto(i), _proto(v), _proto(sh))),
    Case("SerializeManySparse", [SP_INDICES, SP_VALUES, SP_SHAPE], ref=lambda *a, **_: MANY,
         exact_shape=False),
    Case("DeserializeManySparse", [MANY], attrs={"dtype": np.float32}, exact_shape=False,
         ref=lambda x, dtype: (SP_INDICES, SP_VALUES, SP_SHAPE)),
    Case("DeserializeSparse", [MANY.reshape(3, 1, 3)], attrs={"dtype": np.float32},
         exact_shape=False,
         ref=lambda x, dtype: (np.array([[0, 0, 0], [0, 0, 3], [2, 0, 1]], np.int64), SP_VALUES,
                               np.array([3, 1, 5], np.int64))),
    Case("StringFormat", [[np.arange(10), s("a", 'b"'), np.float32(0.5)]],
         attrs={"template": "x={} s={} f={}", "placeholder": "{}"},
         ref=lambda xs, **_: _scalar(b'x=[0 1 2 ... 7 8 9] s=["a" "b\\""] f=0.5')),
    Case("StringFormat", [[np.arange(12).reshape(2, 6)]], attrs={"summarize": 1},
         ref=lambda xs, **_: _scalar(b"[[0 ... 5]\n [6 ... 11]]"), id="StringFormat-matrix"),
    Case("StringNGrams", [s("a", "b", "c", "d"), np.array([0, 3, 3, 4], np.int64)],
         attrs={"separator": "_", "ngram_widths": [2], "left_pad": "<", "right_pad": ">",
                "pad_width": 1, "preserve_short_sequences": False}, exact_shape=False,
         ref=lambda d, sp, **_: (s("<_a", "a_b", "b_c", "c_>", "<_>", "<_d", "d_>"),
                                 np.array([0, 4, 5, 7], np.int64))),
    Case("StringNGrams", [s("a", "b", "c"), np.array([0, 1, 3], np.int32)],
         attrs={"separator": " ", "ngram_widths": [3], "left_pad": "", "right_pad": "",
                "pad_width": 0, "preserve_short_sequences": True}, exact_shape=False,
         ref=lambda d, sp, **_: (s("a", "b c"), np.array([0, 1, 2], np.int32)),
         id="StringNGrams-preserve-short"),
    Case("UnsortedSegmentJoin", [s("a", "b", "c", "d", shape=(2, 2)),
                                 np.array([1, 1], np.int32), Const(np.int32(3))],
         attrs={"separator": "+"}, ref=lambda x, i, n, **_: s("", "", "a+c", "b+d", "", "",
                                                             shape=(3, 2))),
]

COVERED_BY = {
    # It writes and returns nothing: the tests capture what tf.print writes.
    "PrintV2": "test_bitwise_strings_io.py::test_print_writes_tf_print_format_to_the_stream",
}
