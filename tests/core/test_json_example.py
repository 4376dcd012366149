"""tf.decode_json_example (DecodeJSONExample): JSON tf.train.Examples to binary Examples.

TF-free tests check hand-encoded bytes, that the records parse back (with minitf's own Example
class) to what ``json_format.Parse`` reads from the same JSON, that ``tf.parse_single_example``
reads them, and TF's errors for malformed records. The TF-gated test runs the same records,
good and bad, through TensorFlow's kernel and compares bytes and error messages.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from google.protobuf import json_format

import minitf as tf
from minitf.protos import example_pb2

from .op_cases.json_example import RECORDS


def _run(records):
    tf.reset_default_graph()
    x = tf.placeholder(tf.string)
    y = tf.decode_json_example(x)
    with tf.Session() as sess:
        return sess.run(y, {x: records})


def test_graph_node_and_shapes():
    y = tf.decode_json_example(tf.constant([["{}", "{}"]]))
    assert y.op.type == "DecodeJSONExample" and y.op.name == "DecodeJSONExample"
    assert y.dtype == tf.string and y.shape.as_list() == [1, 2]
    named = tf.decode_json_example(tf.constant("{}"), name="parse")
    assert named.op.name == "parse" and named.shape.ndims == 0
    with pytest.raises(TypeError):
        tf.decode_json_example(tf.constant([1, 2]))


def test_hand_encoded_bytes():
    out = _run(np.array([text for text, _ in RECORDS], dtype=object))
    assert list(out) == [data for _, data in RECORDS]


def test_values_match_json_format_and_parse_example():
    text = ('{"features": {"feature": {'
            '"img": {"bytesList": {"value": ["/9j/", "AAEC"]}},'
            '"ids": {"int64List": {"value": ["9223372036854775807", -3, 0]}},'
            '"w": {"floatList": {"value": [0.1, -2.5e-3, "Infinity"]}},'
            '"none": {"floatList": {}}}}}')
    data = _run(np.array([text], dtype=object))[0]
    ours = example_pb2.Example.FromString(data)
    assert ours == json_format.Parse(text, example_pb2.Example())
    feature = ours.features.feature
    assert list(feature["img"].bytes_list.value) == [b"\xff\xd8\xff", b"\x00\x01\x02"]
    assert list(feature["ids"].int64_list.value) == [2**63 - 1, -3, 0]
    assert feature["none"].WhichOneof("kind") == "float_list"
    # Unpacked and in the JSON's key order: "img" comes first, ids' 0 is written explicitly.
    assert data[4:9] == b"\x0a\x03img" and b"\x08\x00" in data
    assert data != ours.SerializeToString()  # protobuf's own writer packs the values
    serialized = tf.constant(data)
    parsed = tf.parse_single_example(serialized, {
        "ids": tf.FixedLenFeature([3], tf.int64),
        "w": tf.VarLenFeature(tf.float32)})
    with tf.Session() as sess:
        values = sess.run(parsed)
    assert values["ids"].tolist() == [2**63 - 1, -3, 0]
    w = values["w"].values
    assert w[0] == np.float32(0.1) and w[1] == np.float32(-2.5e-3) and math.isinf(w[2])


def test_protobuf_legacy_syntax_as_tf():
    """Single quotes, trailing commas, one value for a list, null elements (their zero), null
    fields (not written) and nested arrays (flattened)."""
    records = ["{'features': {'feature': {'k': {'int64List': {'value': [1, 2,],},},},},}",
               '{"features":{"feature":{"k":{"int64List":{"value":"7"}}}}}',
               '{"features":{"feature":{"k":{"int64List":{"value":[null, [3, [4]]]}}}}}',
               '{"features":{"feature":{"k":null, "j":{"floatList":null}}}}',
               '{"features":null}']
    out = _run(np.array(records, dtype=object))
    k = b"\x0a\x01k"
    assert out[0] == b"\x0a\x0d\x0a\x0b" + k + b"\x12\x06\x1a\x04\x08\x01\x08\x02"
    assert out[1] == b"\x0a\x0b\x0a\x09" + k + b"\x12\x04\x1a\x02\x08\x07"
    assert out[2] == b"\x0a\x0f\x0a\x0d" + k + b"\x12\x08\x1a\x06\x08\x00\x08\x03\x08\x04"
    assert out[3] == b"\x0a\x0c\x0a\x03" + k + b"\x0a\x05\x0a\x01j\x12\x00"
    assert out[4] == b""


BAD = [  # (record, words of TF's message after "Error while parsing JSON: ")
    ("{", "unexpected EOF"),
    ("[]", "invalid JSON in type.googleapis.com/tensorflow.Example, near 1:1 (offset 0): "
           "unexpected character: '['; expected '{'"),
    ('{"bogus": 1}', "invalid JSON in type.googleapis.com/tensorflow.Example, near 1:10 "
                     "(offset 9): no such field: 'bogus'"),
    ('{"features":{"feature":{"a":{"bytesList":{"value":["YQ="]}}}}}',
     "@ features.feature[0].bytesList.value[0]: bytes, near 1:52 (offset 51): corrupt base64"),
    ('{"features":{"feature":{"a":{"int64List":{"value":[1.5]}}}}}',
     "value[0]: int64, near 1:52 (offset 51): expected integer, but JSON number had "
     "fractional part"),
    ('{"features":{"feature":{"a":{"floatList":{"value":[1, 1e39]}}}}}',
     "value[1]: float, near 1:54 (offset 53): float out of range"),
    ('{"features":{"feature":{"a":{"int64List":{}, "floatList":{}}}}}',
     "@ features.feature[0].floatList: message tensorflow.FloatList, near 1:58 (offset 57): "
     "'floatList' has already been set (either directly or as part of a oneof)"),
    ('{"features":{"feature":{"a":{}, "a":{}}}}',
     "got unexpectedly-repeated repeated map key: 'a'"),
    ('{"features":{}} x', "extraneous characters after end of JSON object"),
]


@pytest.mark.parametrize(("record", "words"), BAD, ids=[b[1][-30:] for b in BAD])
def test_malformed_records(record, words):
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        _run(np.array(["{}", record], dtype=object))
    assert "Error while parsing JSON: " in e.value.message and words in e.value.message


# --------------------------------------------------------------------------------------------
# Side by side with TensorFlow

SIDE_BY_SIDE = [text for text, _ in RECORDS] + [
    '{"features":{"feature":{"a":{"bytesList":{"value":["aGVsbG8=","AP8=", "", "a-_b",'
    ' "a+/b", "YWI"]}},"b":{"int64List":{"value":["1","-5", 7, 1e3, "2.0", "0x10",'
    ' -9223372036854775808, 9223372036854775807]}},"c":{"floatList":{"value":[1.5,-0.25,'
    ' "NaN", "Infinity", "-Infinity", 3.4028235e38, 1e-50, -0.0, "1.5", 16777217]}}}}}',
    '{"features":{"feature":{}}}', '{"features":{"feature":{"e":{}}}}',
    '{"features":{"feature":{"z":{"int64List":{}}, "y":{"int64List":{"value":[]}}}}}',
    '{"features":{},"features":{"feature":{"k":{"bytes_list":{"value":"YQ"}}}}}',
    '{"features":{"feature":{"x\\u00e9\\ud83d\\ude00":{"int64List":{"value":[1]}}}}}\n',
    "{'features':{'feature':{'q':{'floatList':{'value':[1,2,],},},},},}",
    '{"features":{"feature":{"k":null,"j":{"floatList":null},"i":{"int64List":{"value":'
    '[null,[3,[4]]]}}}}}',
    '  {\n "features" : {"feature": {"k": {"int64List": {"value": [1]}}}}}  ',
    # malformed
    "", "{", "[]", "null", "not json", '{"features": 3}', '{"bogus": 1}', '{"@type":"x"}',
    '{"features":{}} x', '{"features":{"feature":[]}}', '{"features":{"feature":{"a":{},"a":{}}}}',
    '{"features":{"feature":{"a":{"bytesList":{"value":["@@"]}}}}}',
    '{"features":{"feature":{"a":{"bytesList":{"value":["Y"]}}}}}',
    '{"features":{"feature":{"a":{"bytesList":{"value":[1]}}}}}',
    '{"features":{"feature":{"a":{"bytesList":{}, "int64List":{}}}}}',
    '{"features":{"feature":{"k":{"int64List":{"value":[1, 1.5]}}}}}',
    '{"features":{"feature":{"k":{"int64List":{"value":[" 1"]}}}}}',
    '{"features":{"feature":{"k":{"int64List":{"value":["9223372036854775808"]}}}}}',
    '{"features":{"feature":{"k":{"int64List":{"value":[true]}}}}}',
    '{"features":{"feature":{"k":{"floatList":{"value":[12, 3.4028236e38]}}}}}',
    '{"features":{"feature":{"k":{"floatList":{"value":["x"]}}}}}',
    '{"features":{"feature":{"k":{"int64List":{"value":[01]}}}}}',
    '{"features":{"feature":{"k":{"int64List":{"value":[1 2]}}}}}',
    '{"features":{"feature":{"k":{"int64List":{"value":[1]}, "bogus": 1}}}}',
    '{"features":{"feature":{"\\x":{}}}}',
]


@pytest.mark.tensorflow
def test_same_bytes_and_errors_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    graph = tf1.Graph()
    with graph.as_default():
        x = tf1.placeholder(tf1.string, [])
        y = tf1.io.decode_json_example(x)
    theirs, ours = [], []
    with tf1.Session(graph=graph) as sess:
        for record in SIDE_BY_SIDE:
            try:
                theirs.append(sess.run(y, {x: record}))
            except tf1.errors.InvalidArgumentError as e:
                # TF pads its parser's message with random extra spaces: compare words.
                theirs.append(" ".join(e.message.partition("\n\t [[")[0].split()))
    for record in SIDE_BY_SIDE:
        try:
            ours.append(_run(np.array(record, dtype=object)))
        except tf.errors.InvalidArgumentError as e:
            ours.append(" ".join(e.message.partition("\n\t [[")[0].split()))
    assert sum(isinstance(t, bytes) for t in theirs) == 13  # the good ones, the rest fail
    for record, mine, official in zip(SIDE_BY_SIDE, ours, theirs):
        if isinstance(official, bytes):
            assert mine == official, record
        else:
            assert official.endswith(mine), (record, mine, official)
            assert "Error while parsing JSON: " in mine
