"""TF 1.x behaviours a probe found missing in TFRecordWriter.write, decode_csv, DecodeCompressed,
ParseTensor, ReadFile and WriteFile. Expected values are the ones TF 2.21 (tf.compat.v1, graph
mode) gave, written out by hand; no TensorFlow needed."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import minitf as tf
from minitf import errors


def run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


# -- 1. TFRecordWriter.write takes bytes, bytearray or str only ----------------------------------
@pytest.mark.parametrize("record", [5, np.array([1, 2], np.uint8), [1, 2], memoryview(b"ab"),
                                    None, 1.5, True, (1, 2), "\udcff"],
                         ids=["int", "ndarray", "list", "memoryview", "None", "float", "bool",
                              "tuple", "unencodable-str"])
def test_tfrecord_writer_refuses_what_tf_refuses(tmp_path, record):
    path = str(tmp_path / "r.tfrecord")
    with tf.python_io.TFRecordWriter(path) as w:
        with pytest.raises(TypeError, match=r"write\(\): incompatible function arguments"):
            w.write(record)
        w.write(b"ab")
    # One record of 2 bytes: 8 (length) + 4 (crc) + 2 + 4 (crc); nothing from the refused one.
    assert os.path.getsize(path) == 18
    assert list(tf.python_io.tf_record_iterator(path)) == [b"ab"]


def test_tfrecord_writer_takes_bytes_bytearray_and_str(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    with tf.python_io.TFRecordWriter(path) as w:
        for record in (b"ab", bytearray(b"cd"), "\xe9", np.bytes_(b"ef"), np.str_("gh"),
                       bytearray()):
            w.write(record)
    assert list(tf.python_io.tf_record_iterator(path)) == [b"ab", b"cd", b"\xc3\xa9", b"ef",
                                                           b"gh", b""]


def test_tfrecord_writer_checks_the_type_before_closed(tmp_path):
    w = tf.python_io.TFRecordWriter(str(tmp_path / "r.tfrecord"))
    w.close()
    with pytest.raises(TypeError):
        w.write(5)
    with pytest.raises(errors.FailedPreconditionError, match="Writer is closed"):
        w.write(b"a")


# -- 2. decode_csv parses floats as strtod does ----------------------------------------------------
INF, NAN = math.inf, math.nan
FLOATS = [  # (field, float32 value, float64 value), as TF 2.21 gave them
    ("0x10", 16, 16), ("0x1p3", 8, 8), ("0X1A", 26, 26), ("0x.8", 0.5, 0.5),
    ("0x1P-2", 0.25, 0.25), ("0x1.8p1", 3, 3), ("-0x10", -16, -16), ("+0x10", 16, 16),
    ("  0x10  ", 16, 16), ("0x1e", 30, 30), ("0x1p+3", 8, 8), ("0x1.p1", 2, 2),
    ("0x0p0", 0, 0), ("0x1p2000", INF, INF), ("-0x1p2000", -INF, -INF),
    ("0x1p-2000", 0, 0), ("0x1p99999999999", INF, INF), ("0x1p-150", 0, 2.0 ** -150),
    ("0x1.8p-149", 2.0 ** -148, 1.5 * 2.0 ** -149),
    ("0xFFFFFFFFFFFFFFFFFFF", float(np.float32(2.0 ** 76)), 2.0 ** 76 - 1),
    ("nan(123)", NAN, NAN), ("nan()", NAN, NAN), ("nan(a_b)", NAN, NAN),
    ("inf", INF, INF), ("-INF", -INF, -INF), ("infinity", INF, INF), ("iNfInItY", INF, INF),
    ("nan", NAN, NAN), ("1e5", 1e5, 1e5), (" 1", 1, 1), ("1 ", 1, 1), ("\t1", 1, 1),
    ("\v1", 1, 1), ("1\f", 1, 1), ("+1.5", 1.5, 1.5), (".5", 0.5, 0.5), ("5.", 5, 5),
    ("010", 10, 10), ("1e400", INF, INF), ("1e-400", 0, 0), ("-0", -0.0, -0.0),
]
BAD_FLOATS = ["1_0", "0x", "0x10p", "0x-1", "00x1", "0x.p1", "0b1", "nan(1.2)", "nan(",
              "nan)", "nan(-1)", "nan( )", "infin", "infinityx", ".e5", "1e", "1e+", "e5", ".",
              "-", " ", "1.5.5", "1d", "1f", "- 1", "+-1", "\u0661", "1\xa0", "\uff11"]


def _decode(fields, dtype):
    return run(tf.decode_csv(tf.constant([f.encode() for f in fields]),
                             [tf.constant([0], dtype)], use_quote_delim=False))[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_decode_csv_floats_as_strtod(dtype):
    want = np.array([w32 if dtype == "float32" else w64 for _, w32, w64 in FLOATS], dtype)
    got = _decode([f for f, _, _ in FLOATS], getattr(tf, dtype))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("dtype,word", [("float32", "float"), ("float64", "double"),
                                        ("int32", "int32"), ("int64", "int64")])
@pytest.mark.parametrize("field", BAD_FLOATS)
def test_decode_csv_refuses_what_strtod_refuses(dtype, word, field):
    with pytest.raises(errors.InvalidArgumentError,
                       match=f"Field 0 in record 0 is not a valid {word}"):
        _decode([field], getattr(tf, dtype))


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("field", ["0x10", "0X1A", "-0x10", "0x1p3", "inf", "nan", "1e5",
                                   "5.", "+1.5"])
def test_decode_csv_integers_take_no_hex_or_float(dtype, field):
    with pytest.raises(errors.InvalidArgumentError, match=f"not a valid {dtype}"):
        _decode([field], getattr(tf, dtype))


def test_decode_csv_integers_take_decimal_with_blanks():
    fields = [" 1", "1 ", "\t1", "\v1", "+5", "-0", "010", "-2147483648"]
    np.testing.assert_array_equal(_decode(fields, tf.int32), [1, 1, 1, 1, 5, 0, 10, -2**31])
    np.testing.assert_array_equal(_decode(["9007199254740993", "9223372036854775807"],
                                          tf.int64), [2**53 + 1, 2**63 - 1])


# -- 3. attr and rank errors at run time, as TF ---------------------------------------------------
@pytest.mark.parametrize("kind", ["BZIP", "zlib", "NONE"])
@pytest.mark.parametrize("value", [b"abc", [], [b"a", b"b"]])
def test_decode_compressed_bad_type_fails_at_run(kind, value):
    out = tf.io.decode_compressed(tf.constant(value, tf.string), kind)  # builds
    assert out.dtype == tf.string
    with pytest.raises(errors.InvalidArgumentError, match="Only ZLIB, GZIP or NONE"):
        run(out)


@pytest.mark.parametrize("value,shape", [([b"x"], "[1]"), ([[b"x"]], "[1,1]"), ([], "[0]")])
def test_parse_tensor_non_scalar_fails_at_run(value, shape):
    out = tf.parse_tensor(tf.constant(value, tf.string), tf.float32)  # builds
    assert out.shape.rank is None and out.dtype == tf.float32
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"Expected `serialized` to be a scalar, got shape: "
                             + shape.replace("[", r"\[").replace("]", r"\]")):
        run(out)


@pytest.mark.parametrize("delim", ["::", "", "ab", "\xe9"])  # \xe9 is 2 bytes in UTF-8
@pytest.mark.parametrize("records", [["1"], []])
def test_decode_csv_bad_field_delim_fails_at_run(delim, records):
    out = tf.decode_csv(tf.constant(records, tf.string), [[0]], field_delim=delim)  # builds
    with pytest.raises(errors.InvalidArgumentError, match="field_delim should be only 1 char"):
        run(out)


def test_decode_csv_bad_defaults_still_fail_at_build():
    with pytest.raises(ValueError, match="at most rank 1"):
        tf.decode_csv(tf.constant(["1"]), [[[0]]])
    with pytest.raises(ValueError, match="length-0 or length-1"):
        tf.decode_csv(tf.constant(["1"]), [[0, 1]])


# -- 4. file errors with TF's classes ------------------------------------------------------------
def test_read_file_errors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(errors.FailedPreconditionError, match="sub; Is a directory"):
        run(tf.read_file(str(tmp_path / "sub")))
    with pytest.raises(errors.FailedPreconditionError, match="x; Not a directory"):
        run(tf.read_file(str(tmp_path / "file" / "x")))
    with pytest.raises(errors.NotFoundError, match="nope; No such file or directory"):
        run(tf.read_file(str(tmp_path / "nope")))
    with pytest.raises(errors.InvalidArgumentError, match="File name too long"):
        run(tf.read_file(str(tmp_path / ("a" * 300))))


def test_write_file_errors_and_parents(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(errors.FailedPreconditionError, match="sub; Is a directory"):
        run(tf.write_file(str(tmp_path / "sub"), "abc"))
    with pytest.raises(errors.FailedPreconditionError, match="new/; Is a directory"):
        run(tf.write_file(str(tmp_path / "new") + "/", "abc"))
    with pytest.raises(errors.FailedPreconditionError, match="file/x; Not a directory"):
        run(tf.write_file(str(tmp_path / "file" / "x"), "abc"))
    with pytest.raises(errors.FailedPreconditionError, match="file is not a directory"):
        run(tf.write_file(str(tmp_path / "file" / "y" / "x"), "abc"))
    with pytest.raises(errors.NotFoundError, match="No such file or directory"):
        run(tf.write_file("", "abc"))
    with pytest.raises(errors.InvalidArgumentError, match="File name too long"):
        run(tf.write_file(str(tmp_path / ("a" * 300)), "abc"))
    run(tf.write_file(str(tmp_path / "a" / "b" / "c.txt"), "abc"))  # parents are created
    assert (tmp_path / "a" / "b" / "c.txt").read_bytes() == b"abc"


def test_file_errors_from_a_symlink_loop_are_unknown(tmp_path):
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    with pytest.raises(errors.UnknownError, match="Too many levels of symbolic links"):
        run(tf.read_file(str(loop)))
    with pytest.raises(errors.UnknownError, match="Too many levels of symbolic links"):
        run(tf.write_file(str(loop), "x"))


# -- 5. record_defaults are named <scope>/record_defaults_<index> -------------------------------
def test_decode_csv_record_defaults_names():
    with tf.Graph().as_default() as g:
        records = tf.constant(["1,2,3"])
        tf.decode_csv(records, [[0], [1.0], ["a"]])
        tf.decode_csv(records, [[0], [1.0], ["a"]], name="x")
        tf.decode_csv(records, [[0], tf.constant([1.0]), ["a"]])
        out = tf.decode_csv(tf.constant(["1"]), [[0]])
    consts = [op.name for op in g.get_operations() if op.type == "Const"]
    assert consts == ["Const", "DecodeCSV/record_defaults_0", "DecodeCSV/record_defaults_1",
                      "DecodeCSV/record_defaults_2", "x/record_defaults_0",
                      "x/record_defaults_1", "x/record_defaults_2",
                      "Const_1", "DecodeCSV_1/record_defaults_0",
                      "DecodeCSV_1/record_defaults_2", "Const_2",
                      "DecodeCSV_2/record_defaults_0"]
    assert out[0].op.name == "DecodeCSV_2"
    assert [t.op.name for t in out[0].op.inputs] == ["Const_2", "DecodeCSV_2/record_defaults_0"]
