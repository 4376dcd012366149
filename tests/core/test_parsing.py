"""TFRecord writing (tf.python_io / tf.io) and tf.train.Example parsing (ParseExampleV2,
DecodeRaw): round trips through the writer, the iterator and TFRecordDataset; Examples built
with the protobuf classes parsed against hand-written arrays; every error; the tf.data
pipeline; and TFRecord files written by real TensorFlow (tests/core/data/tfrecord)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import errors, python_io
from minitf import io as tf_io
from minitf.ops.parsing_ops import (FixedLenFeature, FixedLenSequenceFeature, SparseFeature,
                                    VarLenFeature, decode_raw, parse_example,
                                    parse_single_example)

DATA = Path(__file__).parent / "data" / "tfrecord"
COMPRESSIONS = [None, "GZIP", "ZLIB"]


def _example(**features) -> bytes:
    """An Example of lists (bytes, float or int values by the first item's type)."""
    train = tf.train
    made = {}
    for key, values in features.items():
        if isinstance(values[0], bytes):
            made[key] = train.Feature(bytes_list=train.BytesList(value=values))
        elif isinstance(values[0], float):
            made[key] = train.Feature(float_list=train.FloatList(value=values))
        else:
            made[key] = train.Feature(int64_list=train.Int64List(value=values))
    return train.Example(features=train.Features(feature=made)).SerializeToString()


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _objects(*items):
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


# -- TFRecordWriter / tf_record_iterator ------------------------------------------------------
RECORDS = [b"abc", b"", b"\x00\xff" * 5000, "héllo".encode()]


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_writer_iterator_and_dataset_round_trip(tmp_path, compression):
    path = tmp_path / "r.tfrecord"
    with python_io.TFRecordWriter(str(path), compression) as writer:
        for record in RECORDS[:3]:
            writer.write(record)
        writer.write("héllo")  # a str is written as UTF-8, as TF does
    assert list(python_io.tf_record_iterator(str(path), compression)) == RECORDS
    dataset = tf.data.TFRecordDataset([str(path)], compression_type=compression or "")
    get_next = dataset.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert [sess.run(get_next) for _ in RECORDS] == RECORDS
        with pytest.raises(errors.OutOfRangeError):
            sess.run(get_next)


def test_plain_file_is_exactly_the_tfrecord_framing(tmp_path):
    path = tmp_path / "r.tfrecord"
    with python_io.TFRecordWriter(path) as writer:
        writer.write(b"abc")
    # length 3, masked CRC32C of the length, data, masked CRC32C of the data (TF's framing;
    # the CRCs are those tf.io.TFRecordWriter writes for this record).
    assert path.read_bytes() == (b"\x03" + bytes(7) + bytes.fromhex("b099490e") + b"abc"
                                 + bytes.fromhex("6e57f121"))


@pytest.mark.parametrize("options", [
    "GZIP", python_io.TFRecordOptions("GZIP"),
    python_io.TFRecordOptions(python_io.TFRecordCompressionType.GZIP, compression_level=1),
    tf_io.TFRecordOptions(tf_io.TFRecordCompressionType.ZLIB),
    python_io.TFRecordOptions(python_io.TFRecordCompressionType.NONE), "",
], ids=["str", "options-str", "options-enum-level", "io-zlib", "none-enum", "empty-str"])
def test_options_forms(tmp_path, options):
    path = tmp_path / "r"
    with tf_io.TFRecordWriter(str(path), options) as writer:
        writer.write(b"x" * 100)
    kind = python_io.TFRecordOptions.get_compression_type_string(options)
    # gzip's magic, zlib's header byte, or the record's length (100) as the file begins.
    assert path.read_bytes()[:2] == {"GZIP": b"\x1f\x8b", "ZLIB": b"\x78\x9c"}.get(
        kind, b"\x64\x00") or kind == "ZLIB"
    assert list(tf_io.tf_record_iterator(str(path), options)) == [b"x" * 100]


def test_compression_names_and_enum():
    opts = python_io.TFRecordOptions
    assert (python_io.TFRecordCompressionType.NONE, python_io.TFRecordCompressionType.ZLIB,
            python_io.TFRecordCompressionType.GZIP) == (0, 1, 2)
    assert opts.get_compression_type_string(opts(2)) == "GZIP"
    assert opts.get_compression_type_string("zlib") == "ZLIB"
    assert opts.get_compression_type_string(None) == ""
    assert opts.compression_type_map == {0: "", 1: "ZLIB", 2: "GZIP"}
    with pytest.raises(ValueError, match='Not a valid compression_type: "BAD"'):
        opts("BAD")


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_flush_makes_records_readable_before_close(tmp_path, compression):
    path = str(tmp_path / "r")
    writer = python_io.TFRecordWriter(path, compression)
    writer.write(b"first")
    writer.flush()
    if compression == "ZLIB":  # a zlib stream has no end yet: read what was flushed
        import zlib

        data = zlib.decompressobj().decompress(Path(path).read_bytes())
        assert data.endswith(b"first" + data[-4:])
    elif compression == "GZIP":
        import gzip

        with gzip.open(path) as f, pytest.raises(EOFError):
            f.read()  # the stream is not finished, but the record is in what was read
    else:
        assert list(python_io.tf_record_iterator(path)) == [b"first"]
    writer.close()
    assert list(python_io.tf_record_iterator(path, compression)) == [b"first"]


def test_writer_lifecycle_errors(tmp_path):
    writer = python_io.TFRecordWriter(str(tmp_path / "r"))
    writer.close()
    writer.close()  # idempotent
    with pytest.raises(errors.FailedPreconditionError, match="Writer is closed."):
        writer.write(b"x")
    with pytest.raises(errors.FailedPreconditionError):
        writer.flush()
    with pytest.raises(errors.NotFoundError, match="No such file or directory"):
        python_io.TFRecordWriter(str(tmp_path / "missing" / "r"))


def test_iterator_errors(tmp_path):
    with pytest.raises(errors.NotFoundError, match="No such file or directory"):
        python_io.tf_record_iterator(str(tmp_path / "nope"))
    path = tmp_path / "r"
    with python_io.TFRecordWriter(str(path)) as writer:
        writer.write(b"abc")
        writer.write(b"defg")
    data = path.read_bytes()
    (tmp_path / "bad").write_bytes(data[:-5] + b"X" + data[-4:])  # a flipped data byte
    it = python_io.tf_record_iterator(str(tmp_path / "bad"))
    assert next(it) == b"abc"
    with pytest.raises(errors.DataLossError, match="corrupt"):
        next(it)
    (tmp_path / "short").write_bytes(data[:-2])
    with pytest.raises(errors.DataLossError, match="truncated"):
        list(python_io.tf_record_iterator(str(tmp_path / "short")))


# -- tf.train.Example classes ------------------------------------------------------------------
def test_example_classes_are_protobuf_messages_wire_compatible_with_tf():
    ex = tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, -1])),
    }))
    # Example{features{feature{key:"a" value{int64_list{value:[1,-1] packed}}}}}, by hand.
    packed = b"\x01" + b"\xff" * 9 + b"\x01"
    int64_list = b"\x0a" + bytes([len(packed)]) + packed
    feature = b"\x1a" + bytes([len(int64_list)]) + int64_list
    entry = b"\x0a\x01a" + b"\x12" + bytes([len(feature)]) + feature
    features = b"\x0a" + bytes([len(entry)]) + entry
    assert ex.SerializeToString() == b"\x0a" + bytes([len(features)]) + features
    assert tf.train.Example.FromString(ex.SerializeToString()) == ex
    seq = tf.train.SequenceExample(feature_lists=tf.train.FeatureLists(feature_list={
        "f": tf.train.FeatureList(feature=[tf.train.Feature(
            float_list=tf.train.FloatList(value=[0.5]))])}))
    assert seq.feature_lists.feature_list["f"].feature[0].float_list.value == [0.5]
    assert tf.train.BytesList(value=[b"x"]).value == [b"x"]
    with pytest.raises(AttributeError):
        tf.train.NoSuchProto  # noqa: B018


# -- parsing -----------------------------------------------------------------------------------
SPEC = {
    "label": FixedLenFeature([], tf.int64),
    "x": FixedLenFeature([2], tf.float32, default_value=[-1.0, -2.0]),
    "name": FixedLenFeature([], tf.string, default_value="none"),
    "m": FixedLenFeature([2, 2], tf.int64, default_value=[[0, 0], [0, 0]]),
    "seq": FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
    "tok": FixedLenSequenceFeature([], tf.string, allow_missing=True, default_value="-"),
}
RECORD_A = _example(label=[3], x=[0.5, 1.5], name=[b"a"], m=[1, 2, 3, 4], seq=[1.0, 2.0],
                    tok=[b"p", b"q"])
RECORD_B = _example(label=[-(2**62)], seq=[3.0, 4.0, 5.0, 6.0], extra=[b"ignored"])


def test_parse_single_example_values_and_static_shapes():
    s = tf.placeholder(tf.string, [])
    out = parse_single_example(s, SPEC)
    shapes = {k: v.shape.as_tuple() for k, v in out.items()}
    assert shapes == {"label": (), "x": (2,), "name": (), "m": (2, 2), "seq": (None, 2),
                      "tok": (None,)}
    assert {k: v.dtype for k, v in out.items()} == {
        "label": tf.int64, "x": tf.float32, "name": tf.string, "m": tf.int64,
        "seq": tf.float32, "tok": tf.string}
    a = _run(out, {s: RECORD_A})
    assert a["label"] == 3 and a["label"].dtype == np.int64
    np.testing.assert_array_equal(a["x"], np.array([0.5, 1.5], np.float32))
    assert a["name"] == b"a"
    np.testing.assert_array_equal(a["m"], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(a["seq"], np.array([[1.0, 2.0]], np.float32))
    assert a["tok"].tolist() == [b"p", b"q"]
    b = _run(out, {s: RECORD_B})
    assert b["label"] == -(2**62)
    np.testing.assert_array_equal(b["x"], [-1.0, -2.0])  # defaults
    assert b["name"] == b"none"
    np.testing.assert_array_equal(b["m"], np.zeros([2, 2]))
    np.testing.assert_array_equal(b["seq"], [[3.0, 4.0], [5.0, 6.0]])
    assert b["tok"].shape == (0,) and b["tok"].dtype == object


def test_parse_example_batch_pads_sequences_with_the_default():
    s = tf.placeholder(tf.string, [None])
    out = parse_example(s, SPEC)
    assert out["m"].shape.as_tuple() == (None, 2, 2)
    assert out["seq"].shape.as_tuple() == (None, None, 2)
    got = _run(out, {s: [RECORD_A, RECORD_B, _example(label=[0])]})
    np.testing.assert_array_equal(got["label"], [3, -(2**62), 0])
    np.testing.assert_array_equal(got["x"], [[0.5, 1.5], [-1.0, -2.0], [-1.0, -2.0]])
    assert got["name"].tolist() == [b"a", b"none", b"none"]
    np.testing.assert_array_equal(got["seq"], np.array(
        [[[1, 2], [0, 0]], [[3, 4], [5, 6]], [[0, 0], [0, 0]]], np.float32))
    assert got["tok"].tolist() == [[b"p", b"q"], [b"-", b"-"], [b"-", b"-"]]
    assert parse_example(tf.placeholder(tf.string, [4]), SPEC)["x"].shape.as_tuple() == (4, 2)


def test_graph_holds_one_parse_example_v2_node_as_tf_builds_it():
    out = parse_example(tf.constant([RECORD_A]), {"x": SPEC["x"], "seq": SPEC["seq"]})
    op = out["x"].op
    assert op.type == "ParseExampleV2" and out["seq"].op is op
    assert op.name == "ParseExample/ParseExampleV2"
    assert op.get_attr("num_sparse") == 0
    shapes = op.get_attr("dense_shapes")  # TensorShapeProtos, as TF's
    assert [tf.TensorShape(s).as_list() for s in shapes] == [[None, 2], [2]]  # sorted keys
    assert op.get_attr("Tdense") == [tf.float32, tf.float32]
    single = parse_single_example(tf.constant(RECORD_A), {"x": SPEC["x"]})
    assert single["x"].op.name == "ParseSingleExample/ParseExample/ParseExampleV2"
    assert not tf.gradients(tf.reduce_sum(out["x"]), [op.inputs[5]])[0]


def _record(key: bytes, feature: bytes, other: bytes = b"") -> bytes:
    """An Example with one map entry, from the raw bytes of its Feature message."""
    def field(number, payload):  # a length-delimited field (payloads here are < 128 bytes)
        return bytes([number << 3 | 2, len(payload)]) + payload

    return field(1, field(1, field(1, key) + field(2, feature))) + other


def test_wire_forms_and_protobuf_merges():
    unpacked_float = b"\x0d" + np.float32(2.5).tobytes() + b"\x0d" + np.float32(-1).tobytes()
    unpacked_int = b"\x08\x05\x08" + b"\xff" * 9 + b"\x01"  # 5, -1 as separate varints

    def feature(kind, payload):
        return bytes([kind << 3 | 2, len(payload)]) + payload

    s = tf.placeholder(tf.string, [])
    f = parse_single_example(s, {"f": FixedLenFeature([2], tf.float32)})["f"]
    i = parse_single_example(s, {"i": FixedLenFeature([2], tf.int64)})["i"]
    assert _run(f, {s: _record(b"f", feature(2, unpacked_float))}).tolist() == [2.5, -1.0]
    assert _run(i, {s: _record(b"i", feature(3, unpacked_int))}).tolist() == [5, -1]
    # Unknown fields are skipped (a varint and a string after the features).
    with_unknown = _record(b"i", feature(3, unpacked_int), other=b"\x10\x07\x1a\x01z")
    assert _run(i, {s: with_unknown}).tolist() == [5, -1]
    # Two serialized Examples concatenated merge; a repeated key: the later entry wins.
    assert _run(i, {s: _example(i=[1, 2]) + _example(i=[3, 4])}).tolist() == [3, 4]
    # A list field seen twice in one Feature is concatenated; another kind replaces it.
    twice = feature(3, b"\x08\x08") + feature(3, b"\x08\x09")
    assert _run(i, {s: _record(b"i", twice)}).tolist() == [8, 9]
    replaced = feature(2, unpacked_float) + feature(3, b"\x08\x01\x08\x02")
    assert _run(i, {s: _record(b"i", replaced)}).tolist() == [1, 2]


def test_feature_without_a_kind_counts_as_missing_and_an_empty_list_does_not():
    no_kind = tf.train.Example(features=tf.train.Features(
        feature={"a": tf.train.Feature()})).SerializeToString()
    empty = tf.train.Example(features=tf.train.Features(
        feature={"a": tf.train.Feature(float_list=tf.train.FloatList())})).SerializeToString()
    s = tf.placeholder(tf.string, [None])
    out = parse_example(s, {"a": FixedLenFeature([], tf.float32, default_value=3.0)})["a"]
    assert _run(out, {s: [no_kind, b""]}).tolist() == [3.0, 3.0]
    with pytest.raises(errors.InvalidArgumentError, match=r"Index: 1.  Number of float values "
                       r"!= expected.  Values size: 0 but output shape: \[\]"):
        _run(out, {s: [no_kind, empty]})


def test_empty_batch():
    s = tf.placeholder(tf.string, [None])
    out = parse_example(s, {"a": FixedLenFeature([2], tf.float32), "b": SPEC["seq"]})
    got = _run(out, {s: np.zeros([0], object)})
    assert got["a"].shape == (0, 2) and got["b"].shape == (0, 0, 2)


# -- parsing errors ----------------------------------------------------------------------------
def _parse_error(records, spec, names=None, single=False):
    if single:
        out = parse_single_example(tf.constant(records), spec, example_names=names)
    else:
        out = parse_example(tf.constant(_objects(*records)), spec, example_names=names)
    with pytest.raises(errors.InvalidArgumentError) as info:
        _run(out)
    return info.value.message.split("\n")[0]


@pytest.mark.parametrize(("dtype", "name"), [(tf.float32, "float"), (tf.int64, "int64"),
                                             (tf.string, "string")])
def test_missing_required_feature(dtype, name):
    spec = {"x": FixedLenFeature([], dtype)}
    assert _parse_error([_example(a=[1.0])], spec) == \
        f"Name: <unknown>, Feature: x (data type: {name}) is required but could not be found."
    assert _parse_error(_example(a=[1.0]), spec, single=True) == \
        f"Feature: x (data type: {name}) is required but could not be found."


def test_errors_name_the_record():
    spec = {"a": FixedLenFeature([], tf.float32)}
    assert _parse_error([_example(a=[1.0]), _example(b=[1])], spec, names=["r0", "r1"]) == \
        "Name: r1, Feature: a (data type: float) is required but could not be found."
    assert _parse_error([_example(a=[1.0]), b"garbage!"], spec) == \
        "Name: <unknown>, Index: 1.  Could not parse example input, value: 'garbage!'"
    assert _parse_error(b"\x0a\x05abc", spec, single=True) == \
        "Could not parse example input, value: '\\n\\x05abc'"


@pytest.mark.parametrize(("record", "spec", "message"), [
    (_example(a=[1.0]), FixedLenFeature([], tf.int64),
     "Data types don't match. Data type: float but expected type: int64"),
    (_example(a=[1]), FixedLenFeature([], tf.float32),
     "Data types don't match. Data type: int64 but expected type: float"),
    (_example(a=[b"x"]), FixedLenFeature([], tf.float32),
     "Data types don't match. Data type: string but expected type: float"),
    (_example(a=[1]), FixedLenSequenceFeature([], tf.float32, allow_missing=True),
     "Data types don't match. Data type: int64 but expected type: float"),
    (_example(a=[1.0, 2.0]), FixedLenFeature([3], tf.float32),
     "Number of float values != expected.  Values size: 2 but output shape: [3]"),
    (_example(a=[1, 2]), FixedLenFeature([], tf.int64),
     "Number of int64 values != expected.  Values size: 2 but output shape: []"),
    (_example(a=[b"a", b"b"]), FixedLenFeature([1, 1], tf.string),
     "Number of string values != expected.  Values size: 2 but output shape: [1,1]"),
    (_example(a=[1.0, 2.0, 3.0]), FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
     "Number of float values is not a multiple of stride length. Saw 3 values but output "
     "shape is: [?,2]"),
], ids=["float-as-int", "int-as-float", "bytes-as-float", "sequence-type", "size", "size-int",
        "size-string", "stride"])
def test_wrong_type_and_size(record, spec, message):
    assert _parse_error([_example(b=[1]), record], {"a": spec}, names=["n0", "n1"]) == \
        f"Name: n1, Key: a, Index: 1.  {message}"
    assert _parse_error(record, {"a": spec}, single=True) == f"Key: a.  {message}"


@pytest.mark.parametrize("corrupt", [
    b"\xff\xff", b"\x0a\x05abc", b"\x0a\x02\x0a\x05", b"\x08", b"\x0b",
    _example(a=[1.0])[:-1],
    _record(b"a", b"\x12"),  # a float list without its length
    _record(b"a", b"\x12\x01"),  # a float list shorter than its length
    _record(b"a", b"\x12\x05\x0a\x03abc"),  # packed floats of 3 bytes
    _record(b"a", b"\x1a\x03\x0a\x01\xff"),  # a packed varint cut short
    _record(b"a", b"\x10\x01"),  # float_list as a varint
], ids=["varint", "length", "nested", "truncated-varint", "group", "cut", "list", "list-len",
        "packed-floats", "packed-varint", "list-wire-type"])
def test_corrupt_records_are_invalid_argument(corrupt):
    message = _parse_error([_example(a=[1.0]), corrupt],
                           {"a": FixedLenFeature([], tf.float32, default_value=0.0)})
    assert message.startswith("Name: <unknown>, Index: 1.  Could not parse example input")


def test_var_len_features_parse_into_sparse_tensors():
    records = _objects(_example(ids=[3, 1, 4], w=[0.5], tok=[b"a", b"bc"]),
                       _example(w=[1.0]), _example(ids=[5], w=[2.0], tok=[b""]))
    spec = {"ids": VarLenFeature(tf.int64), "tok": VarLenFeature(tf.string),
            "w": FixedLenFeature([], tf.float32), "none": VarLenFeature(tf.float32)}
    out = parse_example(tf.constant(records), spec)
    assert isinstance(out["ids"], tf.SparseTensor) and out["ids"].indices.shape.as_list() == \
        [None, 2]
    one = parse_single_example(tf.constant(records[0]), {"ids": VarLenFeature(tf.int64)})
    ops = [op for op in tf.get_default_graph().get_operations() if op.type == "ParseExampleV2"]
    assert len(ops) == 2 and ops[0].get_attr("num_sparse") == 3
    got, single = _run([out, one])
    ids, tok, none = got["ids"], got["tok"], got["none"]
    np.testing.assert_array_equal(ids.indices, [[0, 0], [0, 1], [0, 2], [2, 0]])
    np.testing.assert_array_equal(ids.values, [3, 1, 4, 5])
    np.testing.assert_array_equal(ids.dense_shape, [3, 3])
    assert tok.values.tolist() == [b"a", b"bc", b""]
    np.testing.assert_array_equal(tok.indices, [[0, 0], [0, 1], [2, 0]])
    assert none.indices.shape == (0, 2) and none.values.dtype == np.float32
    np.testing.assert_array_equal(none.dense_shape, [3, 0])
    np.testing.assert_allclose(got["w"], [0.5, 1.0, 2.0])
    np.testing.assert_array_equal(single["ids"].indices, [[0], [1], [2]])
    np.testing.assert_array_equal(single["ids"].dense_shape, [3])
    # A wrong kind is named, as for dense features.
    with pytest.raises(errors.InvalidArgumentError, match="Key: ids, Index: 0.  Data types "
                                                          "don't match"):
        _run(parse_example(tf.constant(records[:1]), {"ids": VarLenFeature(tf.float32)}))
    # A densified VarLenFeature feeds the usual ops (a bag of ids per record).
    with tf.Session() as sess:
        dense = sess.run(tf.sparse.to_dense(out["ids"], default_value=-1))
    np.testing.assert_array_equal(dense, [[3, 1, 4], [-1, -1, -1], [5, -1, -1]])


def test_sparse_feature_parses_as_tf_merges_it():
    # TF parses a SparseFeature (its index and value keys as VarLenFeatures, then merged).
    feature = SparseFeature("i", "v", tf.float32, 5)
    out = parse_example(tf.constant([_example(i=[3, 0], v=[1.0, 2.0])]),
                        {"ok": SPEC["x"], "f": feature})
    assert sorted(out) == ["f", "ok"] and out["f"].shape.as_list() == [None, 5]
    got = _run(out["f"])
    np.testing.assert_array_equal(got.indices, [[0, 0], [0, 3]])
    np.testing.assert_array_equal(got.values, [2.0, 1.0])


@pytest.mark.parametrize(("spec", "message"), [
    ({"a": FixedLenSequenceFeature([], tf.float32)}, "requires allow_missing to be True"),
    ({"a": FixedLenFeature([None], tf.float32)}, "need to be known"),
    # TF reshapes a default to the feature's shape (a padding value to a scalar).
    ({"a": FixedLenFeature([2], tf.float32, default_value=[1.0])},
     r"Cannot reshape a tensor with 1 elements to shape \[2\]"),
    ({"a": FixedLenSequenceFeature([], tf.float32, allow_missing=True, default_value=[1, 2])},
     r"Cannot reshape a tensor with 2 elements to shape \[\]"),
    ({}, "Missing: features was {}"),
    ({"a": (2, tf.float32)}, r"Unsupported tuple \(2, tf.float32\) for key 'a'"),
])
def test_bad_configurations_fail_at_graph_construction(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_example(tf.constant([b""]), spec)


def test_serialized_rank_is_checked():
    with pytest.raises(errors.InvalidArgumentError, match="at most rank 1 but is rank 2"):
        parse_example(tf.placeholder(tf.string, [2, 3]), {"a": SPEC["x"]})
    with pytest.raises(ValueError, match="must be a scalar"):
        parse_single_example(tf.placeholder(tf.string, [2]), {"a": SPEC["x"]})


# -- decode_raw --------------------------------------------------------------------------------
def test_decode_raw():
    data = tf.placeholder(tf.string, [None])
    out = decode_raw(data, tf.int16)
    assert out.shape.as_tuple() == (None, None) and out.dtype == tf.int16
    got = _run(out, {data: [b"\x01\x00\xff\xff", b"\x00\x01\x02\x00"]})
    np.testing.assert_array_equal(got, np.array([[1, -1], [256, 2]], np.int16))
    big = decode_raw(data, tf.int16, little_endian=False)
    np.testing.assert_array_equal(_run(big, {data: [b"\x00\x01"]}), [[1]])
    assert decode_raw(bytes=tf.constant(b"ab"), out_type=tf.uint8).dtype == tf.uint8
    with pytest.raises(errors.InvalidArgumentError, match=r"^Input to DecodeRaw has length 3 "
                       "that is not a multiple of 2, the size of int16"):
        _run(out, {data: [b"abc"]})
    with pytest.raises(errors.InvalidArgumentError, match="DecodeRaw requires input strings to "
                       "all be the same size, but element 1 has size 2 != 4"):
        _run(out, {data: [b"ab", b"abcd"]})
    with pytest.raises(errors.InvalidArgumentError, match=r"the size of float\b"):
        _run(decode_raw(data, tf.float32), {data: [b"abc"]})
    with pytest.raises(TypeError, match="not in list of allowed values"):
        decode_raw(data, tf.string)


# -- tf.data pipelines -------------------------------------------------------------------------
def _image_records(n):
    return [_example(image=[bytes(range(i, i + 6))], label=[i], shape=[2, 3]) for i in range(n)]


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_tfrecord_pipeline_with_parse_single_example_in_map(tmp_path, compression):
    files = []
    for k in range(2):
        files.append(str(tmp_path / f"part-{k}.tfrecord"))
        with python_io.TFRecordWriter(files[-1], compression) as writer:
            for record in _image_records(3)[k::2]:
                writer.write(record)
    spec = {"image": FixedLenFeature([], tf.string), "label": FixedLenFeature([], tf.int64),
            "shape": FixedLenFeature([2], tf.int64)}

    def parse(record):
        features = parse_single_example(record, spec)
        image = tf.reshape(decode_raw(features["image"], tf.uint8), [2, 3])
        return {"image": image, "label": features["label"]}

    dataset = tf.data.TFRecordDataset(files, compression_type=compression).map(parse).batch(2)
    batch = dataset.make_one_shot_iterator().get_next()
    assert batch["image"].shape.as_list() == [None, 2, 3]
    with tf.Session() as sess:
        first, second = sess.run(batch), sess.run(batch)
    np.testing.assert_array_equal(first["label"], [0, 2])
    np.testing.assert_array_equal(second["label"], [1])
    np.testing.assert_array_equal(first["image"][1], np.arange(2, 8).reshape(2, 3))


def test_batch_then_parse_example_in_map(tmp_path):
    path = str(tmp_path / "r")
    with python_io.TFRecordWriter(path) as writer:
        for record in _image_records(5):
            writer.write(record)
    dataset = tf.data.TFRecordDataset(path).batch(2).map(
        lambda records: parse_example(records, {"label": FixedLenFeature([], tf.int64)}))
    it = dataset.make_initializable_iterator()
    labels = it.get_next()["label"]
    with tf.Session() as sess:
        sess.run(it.initializer)
        assert [sess.run(labels).tolist() for _ in range(3)] == [[0, 1], [2, 3], [4]]


def test_parse_error_in_a_pipeline_fails_the_run(tmp_path):
    path = str(tmp_path / "r")
    with python_io.TFRecordWriter(path) as writer:
        writer.write(_example(label=[1]))
        writer.write(_example(other=[1]))
    dataset = tf.data.TFRecordDataset(path).map(
        lambda r: parse_single_example(r, {"label": FixedLenFeature([], tf.int64)}))
    label = dataset.make_one_shot_iterator().get_next()["label"]
    with tf.Session() as sess:
        assert sess.run(label) == 1
        with pytest.raises(errors.InvalidArgumentError, match="label .* is required"):
            sess.run(label)


# -- files written by TensorFlow ---------------------------------------------------------------
def _tf_expected():
    return json.loads((DATA / "expected.json").read_text())


def _spec_from_json(spec):
    out = {}
    for key, entry in spec.items():
        dtype = tf.as_dtype(entry["dtype"])
        default = entry.get("default")
        if entry["kind"] == "fixed":
            out[key] = FixedLenFeature(entry["shape"], dtype, default_value=default)
        else:
            out[key] = FixedLenSequenceFeature(entry["shape"], dtype, allow_missing=True,
                                               default_value=default)
    return out


def _expected_array(value, entry, batched):
    inner = tuple(entry["shape"])
    if entry["dtype"] == "string":
        arr = np.array(value, dtype=object)
        flat = [bytes.fromhex(v) for v in arr.reshape(-1)]
        arr = _objects(*flat).reshape(arr.shape) if flat else np.zeros(arr.shape, object)
    else:
        arr = np.array(value, dtype=entry["dtype"])
    if entry["kind"] == "sequence":  # the padded length is only in the data
        lead = (len(value),) if batched else ()
        arr = arr.reshape(lead + (-1,) + inner)
    return arr


def _assert_parsed(got, expected, spec, batched):
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        want = _expected_array(value, spec[key], batched)
        have = np.asarray(got[key], dtype=object if spec[key]["dtype"] == "string" else None)
        assert have.shape == want.shape, key
        assert have.dtype == want.dtype, key
        np.testing.assert_array_equal(have, want, err_msg=key)
        if have.dtype.kind == "f":  # -0.0 and float32 rounding as TF gave them
            assert have.tobytes() == want.tobytes(), key


@pytest.mark.parametrize(("name", "compression"), [
    ("examples.tfrecord", None), ("examples.tfrecord.gz", "GZIP"),
    ("examples.tfrecord.zlib", "ZLIB")])
def test_tensorflow_written_records_parse_as_tensorflow_parsed_them(name, compression):
    expected = _tf_expected()
    spec = _spec_from_json(expected["spec"])
    records = list(python_io.tf_record_iterator(str(DATA / name), compression))
    assert len(records) == len(expected["parse_single_example"])
    batch = parse_example(tf.constant(_objects(*records)), spec)
    images = decode_raw(batch["image"], tf.uint8)
    got, got_images = _run((batch, images))
    _assert_parsed(got, expected["parse_example"], expected["spec"], batched=True)
    np.testing.assert_array_equal(got_images, np.array(expected["decode_raw_image"], np.uint8))
    for record, want in zip(records, expected["parse_single_example"]):
        tf.reset_default_graph()
        got = _run(parse_single_example(tf.constant(record), spec))
        _assert_parsed(got, want, expected["spec"], batched=False)


def test_tensorflow_written_records_through_tfrecord_dataset():
    expected = _tf_expected()
    spec = _spec_from_json(expected["spec"])
    # Batch first, then parse the batch (sequence features of different lengths are padded).
    dataset = tf.data.TFRecordDataset(str(DATA / "examples.tfrecord.gz"), "GZIP").batch(8).map(
        lambda records: parse_example(records, spec))
    got = _run(dataset.make_one_shot_iterator().get_next())
    _assert_parsed(got, expected["parse_example"], expected["spec"], batched=True)


# -- the public names --------------------------------------------------------------------------
def test_tf_io_gathers_the_record_and_parsing_api():
    assert tf_io.TFRecordWriter is python_io.TFRecordWriter
    assert tf_io.tf_record_iterator is python_io.tf_record_iterator
    assert tf_io.parse_example is parse_example
    assert tf_io.parse_single_example is parse_single_example
    assert tf_io.FixedLenFeature is FixedLenFeature
    assert tf_io.FixedLenSequenceFeature is FixedLenSequenceFeature
    assert tf_io.decode_raw is decode_raw
    assert tf_io.gfile is tf.gfile
    assert FixedLenFeature([2], tf.float32) == FixedLenFeature(shape=[2], dtype=tf.float32,
                                                               default_value=None)
    assert FixedLenSequenceFeature([], tf.int64).allow_missing is False


# -- against TensorFlow itself -----------------------------------------------------------------
@pytest.mark.tensorflow
def test_same_results_and_messages_as_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    records = [RECORD_A, RECORD_B, _example(label=[5], tok=[b"z"])]
    cases = [(records, SPEC), ([RECORD_B], {"x": FixedLenFeature([], tf.float32)}),
             ([_example(a=[1.0, 2.0])], {"a": FixedLenFeature([3], tf.float32)}),
             ([_example(a=[1.0])], {"a": FixedLenFeature([], tf.int64)}),
             ([_example(a=[1.0, 2.0, 3.0])],
              {"a": FixedLenSequenceFeature([2], tf.float32, allow_missing=True)}),
             ([_example(a=[1.0, 2.0], b=[b"x"]), _example(c=[7]), _example(a=[3.0])],
              {"a": VarLenFeature(tf.float32), "b": VarLenFeature(tf.string),
               "c": VarLenFeature(tf.int64), "d": FixedLenFeature([], tf.int64, 4)}),
             ([_example(a=[1.0])], {"a": VarLenFeature(tf.int64)})]

    def tf_spec(spec):
        out = {}
        for key, f in spec.items():
            dtype = v1.as_dtype(f.dtype.name)
            if isinstance(f, VarLenFeature):
                out[key] = v1.VarLenFeature(dtype)
            elif isinstance(f, FixedLenFeature):
                out[key] = v1.FixedLenFeature(f.shape, dtype, f.default_value)
            else:
                out[key] = v1.FixedLenSequenceFeature(f.shape, dtype, f.allow_missing,
                                                      f.default_value)
        return out

    for batch, spec in cases:
        with real.Graph().as_default(), v1.Session() as sess:
            try:
                want = sess.run(v1.parse_example(v1.constant(batch), tf_spec(spec)))
            except real.errors.InvalidArgumentError as e:
                want = e.message.split("\n")[-2].strip()
        tf.reset_default_graph()
        try:
            got = _run(parse_example(tf.constant(_objects(*batch)), spec))
        except errors.InvalidArgumentError as e:
            got = e.message.split("\n")[0]
        if isinstance(want, str):
            assert got == want
            continue
        for key in spec:
            if isinstance(spec[key], VarLenFeature):  # SparseTensorValues: part by part
                for part in ("indices", "values", "dense_shape"):
                    a, b = getattr(got[key], part), getattr(want[key], part)
                    assert a.dtype == b.dtype, (key, part)
                    np.testing.assert_array_equal(a, b, err_msg=f"{key}.{part}")
                continue
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def _tensor_default_spec(t, x_default):
    return {"label": t.io.FixedLenFeature([], t.int64, default_value=t.zeros([], t.int64)),
            "x": t.io.FixedLenFeature([2], t.float32, default_value=x_default),
            "tok": t.io.FixedLenSequenceFeature([], t.string, allow_missing=True,
                                                default_value=t.constant("-"))}


def test_tensor_default_values_are_inputs_of_the_parse_op_as_in_tf():
    """research/slim's datasets pass ``default_value=tf.zeros([], tf.int64)``; TF takes any
    tensor there, constant or not, since the defaults are inputs of the parse op."""
    from tests.core.side_by_side import tf_run

    records = [RECORD_A, _example(tok=[b"z", b"y", b"x"])]

    def build(t):
        x_default = t.placeholder_with_default(t.constant([7.0, 8.0]), [2])
        return t.io.parse_example(t.constant(records), _tensor_default_spec(t, x_default))

    got = _run(build(tf))
    want = tf_run(build)
    assert sorted(got) == sorted(want)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])
    np.testing.assert_array_equal(got["x"], [[0.5, 1.5], [7.0, 8.0]])  # the second's default


def test_tensor_default_of_the_wrong_size_or_dtype_is_refused():
    fed = tf.placeholder(tf.float32)
    out = parse_example(tf.constant([_example(label=[1])]), _tensor_default_spec(tf, fed))
    for bad in ([1.0, 2.0, 3.0], [[1.0, 2.0, 3.0]]):
        with pytest.raises(errors.InvalidArgumentError, match="x: the default value's shape "
                           r"\[\d(,\d)?\] is not compatible with the dense shape \[2\]"):
            _run(out["x"], {fed: bad})
    with pytest.raises(TypeError, match="'x': default_value has dtype int64"):
        parse_example(tf.constant([RECORD_A]), _tensor_default_spec(tf, tf.zeros([2], tf.int64)))
