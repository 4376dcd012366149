"""tf.bitwise, the string hash buckets and fingerprints, base64, DecodeCompressed, tensor and
sparse serialization, tf.strings.format / tf.print, ngrams and unsorted_segment_join: values
worked out without TF, TF's errors, and side by side with TensorFlow 2.21 (TF-gated), including
GraphDefs exported by minitf and run by TF."""

from __future__ import annotations

import gzip
import logging
import zlib

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from minitf.string_extra import hash64, siphash24, summarize_v2

INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
RNG = np.random.default_rng(7)
STRINGS = np.array([b"", b"a", b"ab", b"abcdefg", b"abcdefgh", b"abcdefghi", b"\x00" * 9,
                    "h\xe9llo w\xf6rld \u65e5\u672c\U0001f600".encode(), b"\xff" * 33]
                   + [bytes(RNG.integers(0, 256, n, dtype=np.uint8))
                      for n in [*range(10, 70), 127, 128, 129, 1000, 5000]], object)


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def tf_graph_run(build):
    """``build(tf1)``'s fetches run in a fresh TensorFlow graph."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default(), tf1.Session() as sess:
        return sess.run(build(tf1))


def both(build):
    """(minitf's values, TensorFlow's values) of the same TF1 code."""
    want = tf_graph_run(build)
    with tf.Graph().as_default():
        return run(build(tf)), want


def assert_same(got, want):
    for g, w in zip(got if isinstance(got, list) else [got], want if isinstance(want, list)
                    else [want]):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g, w)
        np.testing.assert_array_equal(g, w)


# -- tf.bitwise -----------------------------------------------------------------------------------
def test_bitwise_values_and_shift_clamping():
    x = np.array([-8, -1, 0, 5, 127], np.int8)
    got = run([tf.bitwise.bitwise_and(x, 6), tf.bitwise.bitwise_or(x, 6),
               tf.bitwise.bitwise_xor(x, 6), tf.bitwise.invert(x),
               tf.bitwise.left_shift(x, np.array([1, 9, -3, 7, 1], np.int8)),
               tf.bitwise.right_shift(x, np.array([1, 9, -3, 1, 8], np.int8)),
               tf.bitwise.population_count(x)])
    want = [[0, 6, 0, 4, 6], [-2, -1, 6, 7, 127], [-2, -7, 6, 3, 121], [7, 0, -1, -6, -128],
            # shifts clamp to [0, 7]: -1 << 7 wraps to -128, 5 << 7 to -128, 127 << 1 to -2
            [-16, -128, 0, -128, -2], [-4, -1, 0, 2, 0], [5, 8, 0, 2, 7]]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert got[-1].dtype == np.uint8 and got[0].dtype == np.int8


def test_bitwise_rejects_non_integers_and_mixed_dtypes():
    with pytest.raises(TypeError, match="BitwiseAnd|not in list of allowed values"):
        tf.bitwise.bitwise_and(tf.constant([1.0]), tf.constant([2.0]))
    with pytest.raises(TypeError, match="allowed values"):
        tf.bitwise.invert(tf.constant([True]))
    with pytest.raises(TypeError, match="allowed values"):
        tf.bitwise.population_count(tf.constant([1.5]))
    with pytest.raises(TypeError):
        tf.bitwise.left_shift(tf.constant([1], tf.int32), tf.constant([1], tf.int64))
    with pytest.raises(ValueError, match="Incompatible|[Ss]hape"):
        tf.bitwise.bitwise_or(tf.constant([1, 2]), tf.constant([1, 2, 3]))


@pytest.mark.parametrize("dtype", INTS)
def test_bitwise_as_tensorflow(dtype):
    info = np.iinfo(dtype)
    x = RNG.integers(info.min, info.max, 64, dtype=dtype, endpoint=True)
    y = RNG.integers(info.min, info.max, 64, dtype=dtype, endpoint=True)
    x[:4] = [info.min, info.max, 0, 1]
    shifts = np.resize(np.arange(-4 if info.min else 0, info.bits + 4), 64).astype(dtype)

    def build(t):
        b = t.bitwise
        pop = t.raw_ops.PopulationCount(x=x) if t is not tf else b.population_count(x)
        return [b.bitwise_and(x, y), b.bitwise_or(x, y), b.bitwise_xor(x, y), b.invert(x),
                b.left_shift(x, shifts), b.right_shift(x, shifts), pop,
                b.bitwise_and(x.reshape(8, 8), y[:8])]
    assert_same(*both(build))


# -- hash buckets and fingerprints --------------------------------------------------------------
def test_siphash_is_the_reference_siphash_2_4():
    # The test vector of the SipHash paper (Aumasson and Bernstein, appendix A).
    assert siphash24(0x0706050403020100, 0x0F0E0D0C0B0A0908, bytes(range(15))) == \
        0xA129CA6149BE45E5


def test_hash64_is_murmur64a_with_tfs_seed():
    # TF 2.21 gave these (StringToHashBucket with num_buckets 2**62 keeps the low 62 bits).
    assert hash64(b"") % 2**62 == 105434511174508091
    assert hash64(b"hello") % 2**62 == 1331861223480393034


def test_hash_bucket_errors():
    with pytest.raises(ValueError, match="num_buckets"):
        tf.string_to_hash_bucket(["a"], 0)
    with pytest.raises(ValueError, match="Key must have 2 elements"):
        tf.strings.to_hash_bucket_strong(["a"], 10, [1, 2, 3])
    with pytest.raises(TypeError):
        tf.string_to_hash_bucket(tf.constant([1]), 10)


def test_hash_buckets_and_fingerprints_as_tensorflow():
    def build(t):
        outs = [t.string_to_hash_bucket(STRINGS, nb) for nb in (1, 7, 2**31 - 1, 2**62)]
        outs += [t.strings.to_hash_bucket(input=STRINGS, num_buckets=1000)]
        outs += [t.strings.to_hash_bucket_strong(STRINGS, nb, key)
                 for nb in (3, 2**62) for key in ([0, 0], [1, 2], [2**63 - 1, -1], [-5, 10**15])]
        outs += [t.string_to_hash_bucket_strong(STRINGS, 100, [7, 8])]
        for data in (STRINGS, STRINGS[:60].reshape(20, 3), STRINGS[:12].reshape(3, 2, 2),
                     STRINGS.reshape(-1, 1), np.arange(24, dtype=np.float32).reshape(4, 6),
                     np.arange(5, dtype=np.int64), np.array([True, False]),
                     np.zeros((0, 3), np.int32), np.zeros((3, 0), np.int32),
                     np.array([[1.5], [2.5]], np.float16),
                     np.arange(12, dtype=np.uint8).reshape(2, 3, 2)):
            outs.append(t.fingerprint(data))
        return outs
    assert_same(*both(build))


def test_fingerprint_errors():
    with pytest.raises(ValueError, match="at least one dimension"):
        tf.fingerprint(tf.constant(3))
    with pytest.raises(ValueError, match="Unsupported fingerprint method"):
        tf.fingerprint(tf.constant([3]), method="md5")
    method = tf.placeholder(tf.string, [])
    with pytest.raises(errors.InvalidArgumentError, match="Unsupported fingerprint method: sha"):
        run(tf.fingerprint(tf.constant([3]), method=method), {method: "sha"})
    assert tf.fingerprint(tf.placeholder(tf.int32, [None, 4])).shape.as_list() == [None, 8]


# -- base64 and compression ----------------------------------------------------------------------
def test_base64_round_trip_and_alphabet():
    x = np.array([b"", b"a", b"ab", b"abc", b"\xfb\xff\xbf"], object)
    enc, padded = run([tf.encode_base64(x), tf.io.encode_base64(x, pad=True)])
    assert enc.tolist() == [b"", b"YQ", b"YWI", b"YWJj", b"-_-_"]  # web-safe: '-' and '_'
    assert padded.tolist() == [b"", b"YQ==", b"YWI=", b"YWJj", b"-_-_"]
    for text in (enc, padded):
        assert run(tf.decode_base64(text)).tolist() == x.tolist()


@pytest.mark.parametrize("bad,message", [
    (b"Y", "length cannot be 1 modulo 4"), (b"YQ=", "Invalid character"),
    (b"a+b/", "Invalid character"), (b"YWJj\n", "length cannot be 1 modulo 4"),
    (b"YW Jj", "Invalid character"), (b"YQ===", "Invalid character")])
def test_decode_base64_refuses_what_tensorflow_refuses(bad, message):
    with pytest.raises(errors.InvalidArgumentError, match=message):
        run(tf.io.decode_base64(bad))


def test_base64_as_tensorflow():
    bad = [b"Y", b"YQ=", b"a+b/", b"YQ===", b"Y===", b"YQ==YQ==", b"YWJ=j"]

    def build(t):
        return [t.encode_base64(STRINGS), t.encode_base64(STRINGS, pad=True),
                t.decode_base64(t.encode_base64(STRINGS)),
                t.decode_base64([b"YWI", b"YWI=", b"a-b_", b"", b"YQ"])]
    assert_same(*both(build))
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for text in bad:  # both refuse
        with pytest.raises(tf1.errors.InvalidArgumentError):
            tf_graph_run(lambda t, text=text: t.decode_base64(text))
        with pytest.raises(errors.InvalidArgumentError):
            run(tf.decode_base64(text))


DATA = "h\xe9llo world ".encode() * 40


def test_decode_compressed_values_and_errors():
    z, gz = zlib.compress(DATA), gzip.compress(DATA)
    got = run([tf.decode_compressed([z, z + b"trailing", z[:5], b""], "ZLIB"),
               tf.io.decode_compressed([gz, gzip.compress(b"a") + gzip.compress(b"b")], "GZIP"),
               tf.decode_compressed([DATA])])
    assert got[0].tolist() == [DATA, DATA, DATA[:2], b""]  # a truncated stream: what it held
    assert got[1].tolist() == [DATA, b"ab"] and got[2].tolist() == [DATA]
    with pytest.raises(errors.DataLossError, match="inflate"):
        run(tf.decode_compressed([b"garbage"], "ZLIB"))
    with pytest.raises(errors.DataLossError):
        run(tf.decode_compressed([z], "GZIP"))
    bad = tf.decode_compressed([z], "BZIP2")  # TF builds it and fails at run time
    with pytest.raises(errors.InvalidArgumentError, match="ZLIB, GZIP or NONE"):
        run(bad)


def test_decode_compressed_as_tensorflow():
    z, gz = zlib.compress(DATA, 9), gzip.compress(DATA)
    cases = {"ZLIB": [z, z[:5], z + b"x", z[:-4], b"", zlib.compress(b"")],
             "GZIP": [gz, gz[:-8], gzip.compress(b""), b"", gzip.compress(b"a") * 3],
             "": [z, b""]}
    assert_same(*both(lambda t: [t.decode_compressed(np.array(v, object), k)
                                 for k, v in cases.items()]))


# -- tensors and sparse tensors as TensorProto strings ------------------------------------------
VALUES = [np.array(5, np.int32), np.arange(6, dtype=np.float32).reshape(2, 3),
          np.array([], np.float64), np.zeros((2, 0, 3), np.int64), np.array([True, False]),
          np.array([b"a", b"", "\xe9\u65e5".encode()], object), np.array(b"x", object),
          np.arange(4, dtype=np.uint8), np.array([1.5, -2], np.float16),
          np.array([2**63 - 1, -(2**63)], np.int64), np.array([2**64 - 1], np.uint64),
          np.array([-1, 1], np.int8), np.array([1, 2], np.uint16), np.array([3], np.uint32)]


def _dtype(v):
    return tf.string if v.dtype == object else tf.as_dtype(v.dtype)


def test_serialize_and_parse_tensor_round_trip():
    for v in VALUES:
        got = np.asarray(run(tf.parse_tensor(tf.serialize_tensor(v), _dtype(v))),
                         object if v.dtype == object else None)
        assert got.shape == v.shape and got.dtype == v.dtype
        np.testing.assert_array_equal(got, v)
    # An int32 [2] tensor as TF writes it: dtype 3, shape {dim {size 2}}, raw content.
    assert run(tf.serialize_tensor(np.array([1, 2], np.int32))) == \
        b"\x08\x03\x12\x04\x12\x02\x08\x02\x22\x08\x01\x00\x00\x00\x02\x00\x00\x00"


def test_parse_tensor_errors():
    data = tf.serialize_tensor(np.array([1.5], np.float32))
    with pytest.raises(errors.InvalidArgumentError, match=r"Type mismatch between parsed "
                       r"tensor \(float32\) and dtype \(int32\)"):
        run(tf.parse_tensor(data, tf.int32))
    with pytest.raises(errors.InvalidArgumentError, match="Could not parse `serialized`"):
        run(tf.io.parse_tensor(b"\xff\xff\xff", tf.float32))
    with pytest.raises(errors.InvalidArgumentError, match="Could not parse"):  # 3 values in 2
        run(tf.parse_tensor(b"\x08\x03\x12\x04\x12\x02\x08\x02\x38\x01\x38\x02\x38\x03",
                            tf.int32))
    vector = tf.parse_tensor(["a", "b"], tf.int32)  # TF builds it and fails at run time
    with pytest.raises(errors.InvalidArgumentError, match=r"to be a scalar, got shape: \[2\]"):
        run(vector)


def test_tensor_serialization_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert_same(*both(lambda t: [t.serialize_tensor(v) for v in VALUES]))
    # TF's own protos, typed value lists included (make_tensor_proto writes those)
    protos = [tf1.make_tensor_proto(v).SerializeToString() for v in (
        np.array([1, 2, 3], np.int32), np.array(7.5, np.float32), np.full(5, 1.0),
        np.array([[True]]), np.array([b"s", b"t"], object))]
    types = ["int32", "float32", "float64", "bool", "string"]
    assert_same(*both(lambda t: [t.parse_tensor(p, getattr(t, d))
                                 for p, d in zip(protos, types)]))


def _sparse(t, dtype=np.float32):
    return t.SparseTensor(np.array([[0, 0], [0, 3], [2, 1], [3, 2]], np.int64),
                          np.array([1, 2, 3, 4], dtype), np.array([4, 5], np.int64))


def test_sparse_serialization_round_trips():
    serialized = tf.serialize_many_sparse(_sparse(tf))
    back = tf.deserialize_many_sparse(serialized, tf.float32, rank=2)
    assert back.indices.shape.as_list() == [None, 2] and back.dense_shape.shape.as_list() == [2]
    idx, vals, shape, rows = run([back.indices, back.values, back.dense_shape, serialized])
    np.testing.assert_array_equal(idx, [[0, 0], [0, 3], [2, 1], [3, 2]])
    np.testing.assert_array_equal(vals, [1, 2, 3, 4])
    np.testing.assert_array_equal(shape, [4, 5])
    assert rows.shape == (4, 3)
    one = tf.serialize_sparse(tf.SparseTensor([[1], [4]], ["a", "b"], [6]))
    two = tf.serialize_sparse(tf.SparseTensor([[0]], ["c"], [9]))
    both_ = tf.deserialize_many_sparse(tf.stack([one, two]), tf.string)
    idx, vals, shape = run([both_.indices, both_.values, both_.dense_shape])
    np.testing.assert_array_equal(idx, [[0, 1], [0, 4], [1, 0]])
    assert vals.tolist() == [b"a", b"b", b"c"] and shape.tolist() == [2, 9]  # largest shape


def test_sparse_serialization_errors():
    with pytest.raises(errors.InvalidArgumentError, match="Requested SparseTensor of type "
                       "int32 but SparseTensor\\[0\\].values.dtype\\(\\) == float32"):
        run(tf.deserialize_many_sparse(tf.serialize_many_sparse(_sparse(tf)), tf.int32).values)
    with pytest.raises(errors.InvalidArgumentError, match="Rank of input SparseTensor should "
                       "be > 1"):
        run(tf.serialize_many_sparse(tf.SparseTensor([[1]], [1.0], [3])))
    with pytest.raises(ValueError, match="3 as the last dimension"):
        tf.deserialize_many_sparse(tf.constant([["a", "b"]]), tf.float32)
    with pytest.raises(TypeError, match="'out_type' has DataType int32 not in list of allowed "
                                        "values: string, variant"):
        tf.serialize_sparse(_sparse(tf), out_type=tf.int32)
    with pytest.raises(TypeError, match="SparseTensor"):
        tf.serialize_sparse(tf.constant([1.0]))


def test_sparse_serialization_as_tensorflow():
    def build(t):
        many = t.serialize_many_sparse(_sparse(t, np.int64))
        back = t.deserialize_many_sparse(many, t.int64)
        strs = t.deserialize_many_sparse(t.stack([
            t.serialize_sparse(t.SparseTensor([[0], [3]], [b"a", b""], [4])),
            t.serialize_sparse(t.SparseTensor([[6]], ["\xe9"], [7]))]), t.string)
        return [t.serialize_sparse(_sparse(t)), many, back.indices, back.values,
                back.dense_shape, strs.indices, strs.values, strs.dense_shape]
    assert_same(*both(build))


# -- tf.strings.format and tf.print --------------------------------------------------------------
def test_summarize_layout_without_tensorflow():
    # TF 2.21 gave these (Tensor::SummarizeValue with print_v2).
    assert summarize_v2(np.arange(10), 3) == "[0 1 2 ... 7 8 9]"
    assert summarize_v2(np.arange(4).reshape(2, 2), -1) == "[[0 1]\n [2 3]]"
    assert summarize_v2(np.zeros((2, 0)), 3) == "[\n ...]"
    assert summarize_v2(np.array([0.1, 1 / 3]), 3) == "[0.1 0.33333333333333331]"
    assert summarize_v2(np.array([1e-7, 123456789, -np.nan], np.float32), 3) == \
        "[1e-07 123456792 -nan]"
    assert summarize_v2(np.array([b"a\n", b'"\xff'], object), 3) == '["a\\n" "\\"\udcff"]'
    assert summarize_v2(np.array([True, False]), 0) == ""


def test_string_format_values_and_errors():
    x = tf.constant(np.arange(24).reshape(2, 3, 4))
    got = run([tf.strings.format("x: {}", x, summarize=1),
               tf.strings.format("{} and {}", [tf.constant("s"), tf.constant(2.5)]),
               tf.strings.format("%s!", [tf.constant([True])], placeholder="%s")])
    assert got == [b"x: [[[0 ... 3]\n  ...\n  [8 ... 11]]\n\n [[12 ... 15]\n  ...\n"
                   b"  [20 ... 23]]]", b'"s" and 2.5', b"[1]!"]
    with pytest.raises(ValueError, match="The template expects 2 tensors"):
        tf.strings.format("{}{}", x)


def test_string_format_as_tensorflow():
    values = VALUES + [np.arange(100).reshape(10, 10), np.arange(7 * 7 * 7).reshape(7, 7, 7),
                       RNG.standard_normal((3, 4, 5)).astype(np.float32),
                       np.array([1e300, 1e-300, -0.0, np.inf, np.nan]), STRINGS[:8]]
    for summarize in (3, 1, 0, -1, 10):
        assert_same(*both(lambda t, n=summarize: [
            t.strings.format("<{}>", t.constant(v), summarize=n) for v in values]))


def test_print_writes_tf_print_format_to_the_stream(capsys, tmp_path, caplog):
    x = tf.constant([1, 2, 3])
    op = tf.print("x:", x, {"b": tf.constant(1.5), "a": [1, "s"]}, sep="|", end="!\n")
    assert isinstance(op, tf.Operation) and op.type == "PrintV2"
    ops = [op, tf.print(tf.constant("just this"), output_stream=tf.logging.info),
           tf.print(x, output_stream="file://" + str(tmp_path / "out.txt"))]
    with caplog.at_level(logging.INFO, logger="minitf"):
        run(ops)
        run(ops[2])
        run(tf.print("to stdout", output_stream=__import__("sys").stdout))
    out = capsys.readouterr()
    assert out.err == "x:|[1 2 3]|{'a': [1, 's'], 'b': 1.5}!\n"
    assert out.out == "to stdout\n"
    assert "just this" in caplog.text
    assert (tmp_path / "out.txt").read_text() == "[1 2 3]\n[1 2 3]\n"  # appended


def test_print_errors():
    with pytest.raises(ValueError, match="Unsupported output stream"):
        tf.print("a", output_stream="stderr")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        tf.print("a", stream=1)
    from minitf.ops.string_extra_ops import PRINT_V2
    with pytest.raises(ValueError, match="output stream must be one of"):
        PRINT_V2(tf.constant("a"), output_stream="nowhere")
    with pytest.raises(ValueError, match="rank 0"):
        PRINT_V2(tf.constant(["a", "b"]))


def test_print_as_tensorflow(tmp_path):
    def build(t, path):
        x, s = t.constant(np.arange(10)), t.constant("str")
        sp = t.SparseTensor([[0, 1], [1, 0]], [1.5, 2.5], [2, 2])
        stream = "file://" + path
        return [t.print("hello {}", x, output_stream=stream),
                t.print(s, output_stream=stream),
                t.print([x, (s, 2.5)], {"k": x, "j": None}, sep="|", end="END\n",
                        output_stream=stream),
                t.print(sp, summarize=1, output_stream=stream),
                t.print(output_stream=stream)]
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for lib, name in ((tf1, "tf"), (tf, "minitf")):
        with lib.Graph().as_default(), lib.Session() as sess:
            for op in build(lib, str(tmp_path / name)):
                sess.run(op)
    assert (tmp_path / "minitf").read_text() == (tmp_path / "tf").read_text()


# -- ngrams and unsorted_segment_join ---------------------------------------------------------
def test_ngrams_of_dense_tensors():
    words = tf.constant([["a", "b", "c"], ["d", "e", "f"]])
    got = run([tf.strings.ngrams(words, 2), tf.strings.ngrams(words, [1, 3], separator="_"),
               tf.strings.ngrams(tf.constant(["a", "b"]), 2, pad_values=("<", ">")),
               tf.strings.ngrams(words, 5, preserve_short_sequences=True)])
    assert got[0].tolist() == [[b"a b", b"b c"], [b"d e", b"e f"]]
    assert got[1].tolist() == [[b"a", b"b", b"c", b"a_b_c"], [b"d", b"e", b"f", b"d_e_f"]]
    assert got[2].tolist() == [b"< a", b"a b", b"b >"]
    assert got[3].tolist() == [[b"a b c"], [b"d e f"]]
    with pytest.raises(ValueError, match="greater than 0"):
        tf.strings.ngrams(words, 0)
    with pytest.raises(ValueError, match="pad_values must be provided"):
        tf.strings.ngrams(words, 2, padding_width=1)
    with pytest.raises(ValueError, match="rank>0"):
        tf.strings.ngrams(tf.constant("a"), 2)


def test_ngrams_as_tensorflow():
    data = [np.array([["a", "b", "c"], ["d", "", "\xe9"]], object),
            np.array([[["a", "b", "c", "d"]] * 2] * 2, object), np.array(["x", "y", "z"], object),
            np.array([["q"], ["r"]], object), np.zeros((2, 0), object)]
    options = [(2, None, None, False), ([1, 2, 3], "P", None, False), (4, ("L", "R"), 1, True),
               (5, None, None, True), ([2, 4], "#", 3, False)]

    def build(t):
        return [t.strings.ngrams(t.constant(d, dtype=t.string), w, separator=sep, pad_values=pv,
                                 padding_width=pw, preserve_short_sequences=ps)
                for d in data for (w, pv, pw, ps) in options for sep in (" ", "--")]
    assert_same(*both(build))


def test_unsorted_segment_join():
    x = tf.constant([["a", "x"], ["b", "y"], ["c", "z"]])
    got = run(tf.strings.unsorted_segment_join(x, [1, 0, 1], 3, separator="-"))
    assert got.tolist() == [[b"b", b"y"], [b"a-c", b"x-z"], [b"", b""]]
    with pytest.raises(errors.InvalidArgumentError, match="not allowed to exceed num_segments"):
        run(tf.strings.unsorted_segment_join(x, [0, -1, 0], 2))
    with pytest.raises(ValueError, match="does not prefix"):
        tf.strings.unsorted_segment_join(["a", "b"], [[0, 1]], 2)


def test_unsorted_segment_join_as_tensorflow():
    x = np.array([["a", "x"], ["b", "y"], ["c", "\xe9"], ["d", ""]], object)
    cases = [([1, 0, 1, 1], 3), ([0, 0, 0, 0], 1), ([[0, 1], [1, 0], [2, 2], [0, 0]], 3),
             ([3, 3, 3, 3], 5)]
    assert_same(*both(lambda t: [
        t.strings.unsorted_segment_join(t.constant(x), t.constant(ids, t.int64), n,
                                        separator=sep)
        for ids, n in cases for sep in ("", "-", "\u65e5")]))


# -- GraphDefs built by minitf, run by TensorFlow ------------------------------------------------
def test_graph_def_round_trips_through_tensorflow(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.int64, [None], name="x")
        s = tf.placeholder(tf.string, [None], name="s")
        outs = [tf.bitwise.bitwise_and(x, 12), tf.bitwise.bitwise_or(x, 3),
                tf.bitwise.bitwise_xor(x, x), tf.bitwise.invert(x),
                tf.bitwise.left_shift(x, 70), tf.bitwise.right_shift(x, 2),
                tf.bitwise.population_count(x),
                tf.string_to_hash_bucket(s, 1000), tf.strings.to_hash_bucket_strong(s, 99, [3, -4]),
                tf.fingerprint(s), tf.decode_base64(tf.encode_base64(s, pad=True)),
                tf.decode_compressed(s), tf.parse_tensor(tf.serialize_tensor(x), tf.int64),
                tf.serialize_sparse(tf.SparseTensor([[0, 1]], [2.5], [2, 2])),
                tf.deserialize_many_sparse(tf.serialize_many_sparse(
                    tf.SparseTensor([[0, 1], [1, 0]], [2.5, 1.0], [2, 2])), tf.float32).values,
                tf.strings.format("x={}, s={}", [x, s]), tf.strings.ngrams(s, 2),
                tf.strings.unsorted_segment_join(s, tf.zeros_like(x, tf.int32), 2)]
        printed = tf.print("x", x, output_stream="file://" + str(tmp_path / "log"))
        names = [t.name for t in outs]
    feed = {"x:0": np.array([5, -9, 2**62], np.int64), "s:0": np.array([b"a", b"", b"\xe9"])}
    with tf.Session(graph=g) as sess:
        ours = sess.run(names, feed)
    graph_def = tf1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with tf1.Graph().as_default(), tf1.Session() as sess:
        tf1.import_graph_def(graph_def, name="")
        theirs = sess.run(names, feed)
        sess.run(printed.name, feed)
    for a, b in zip(ours, theirs):
        assert_same(a, b)
    assert (tmp_path / "log").read_text() == "x [5 -9 4611686018427387904]\n"
