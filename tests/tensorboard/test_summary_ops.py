"""tf.summary wrappers and kernels: node names, tags, collections and errors as TensorFlow 2.21's
tf.compat.v1.summary gives them (verified with the oracle, hard-coded here), plus string
tensors (tf.string constants, placeholders and fetches)."""

import io

import numpy as np
import pytest
from PIL import Image

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.opdef import registered
from minitf.ops.summary_ops import SCALAR_SUMMARY
from minitf.protos import graph_pb2, summary_pb2


def _parse(data: bytes) -> summary_pb2.Summary:
    assert isinstance(data, bytes)
    return summary_pb2.Summary.FromString(data)


def _node(name):
    return tf.get_default_graph().get_operation_by_name(name)


# -- string tensors -------------------------------------------------------------------------------
def test_hello_tensorflow():
    hello = tf.constant("Hello, TensorFlow!")
    assert hello.dtype == tf.string and hello.shape.as_list() == []
    with tf.Session() as sess:
        assert sess.run(hello) == b"Hello, TensorFlow!"


def test_string_placeholders_feed_str_and_bytes_and_fetch_bytes():
    p = tf.placeholder(tf.string, [None], name="p")
    q = tf.placeholder(tf.string, [], name="q")
    with tf.Session() as sess:
        got = sess.run(tf.identity(p), {p: ["caf\u00e9", b"\x00\xff"]})
        assert got.dtype == object and list(got) == ["caf\u00e9".encode(), b"\x00\xff"]
        assert sess.run(tf.identity(q), {q: "abc"}) == b"abc"
        assert sess.run(tf.identity(q), {q: np.array("np", dtype=object)}) == b"np"
        unicode = np.array(["x", "yz"])  # numpy <U2
        assert list(sess.run(tf.identity(p), {p: unicode})) == [b"x", b"yz"]
        with pytest.raises(ValueError, match="Expected bytes or str"):
            sess.run(tf.identity(p), {p: [1, 2]})


def test_string_constant_survives_graph_def_round_trip():
    tf.constant(["a", b"\x00\xffbinary"], name="s")
    gd = graph_pb2.GraphDef.FromString(tf.get_default_graph().as_graph_def().SerializeToString())
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(gd, name="")
    with tf.Session(graph=graph) as sess:
        assert list(sess.run("s:0")) == [b"a", b"\x00\xffbinary"]


def test_serialized_protos_travel_as_string_tensors():
    """A Summary built by hand is fed (and held in a Const) as a string tensor and merged."""
    hand = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="fed", simple_value=4)])
    const = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="const", simple_value=5)])
    fed = tf.placeholder(tf.string, [])
    merged = tf.summary.merge([fed, tf.constant(const.SerializeToString())])
    with tf.Session() as sess:
        got = _parse(sess.run(merged, {fed: hand.SerializeToString()}))
    assert [(v.tag, v.simple_value) for v in got.value] == [("fed", 4), ("const", 5)]


# -- wrappers -------------------------------------------------------------------------------------
def test_scalar_naming_tags_and_collection():
    x = tf.placeholder(tf.float32, [None], name="x")
    with tf.name_scope("loss_scope"):
        s = tf.summary.scalar("loss", tf.reduce_mean(x))
    assert s.op.name == "loss_scope/loss" and s.op.type == "ScalarSummary"
    assert [t.op.name for t in s.op.inputs] == ["loss_scope/loss/tags", "loss_scope/Mean"]
    assert s.dtype == tf.string and s.shape.as_list() == []
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [s]
    with tf.Session() as sess:
        got = _parse(sess.run(s, {x: [1, 2, 3, -0.5]}))
    assert [(v.tag, v.simple_value) for v in got.value] == [("loss_scope/loss", 1.375)]


def test_repeated_names_family_and_illegal_characters():
    a = tf.summary.scalar("a", 1.0)
    a1 = tf.summary.scalar("a", 2.0)
    fam = tf.summary.scalar("b c!", 2.0, family="fam")
    mine = tf.summary.scalar("mine", 3, collections=["custom"])
    assert [a.op.name, a1.op.name, fam.op.name] == ["a", "a_1", "fam/b_c_"]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [a, a1, fam]
    assert tf.get_collection("custom") == [mine]
    with tf.Session() as sess:
        tags = [_parse(sess.run(t)).value[0].tag for t in (a, a1, fam)]
    assert tags == ["a", "a_1", "fam/fam/b_c_"]


def test_scalar_summary_of_vectors_and_shape_errors():
    tags = tf.placeholder(tf.string)
    values = tf.placeholder(tf.float32)
    summary = SCALAR_SUMMARY(tags, values)  # the op itself takes tags of any shape
    with tf.Session() as sess:
        got = _parse(sess.run(summary, {tags: [["x", "y"]], values: [[1, 2]]}))
        assert [(v.tag, v.simple_value) for v in got.value] == [("x", 1), ("y", 2)]
        for t, v, msg in [(["x"], [1.0, 2.0], r"\[1\] != \[2\] \(tag 'x'\)"),
                          ("x", [1.0], r"\[\] != \[1\] \(tag 'x'\)"),
                          (["x", "y"], 3.0, r"\[2\] != \[\](?! \(tag)")]:
            with pytest.raises(InvalidArgumentError,
                               match="tags and values are not the same shape: " + msg):
                sess.run(summary, {tags: t, values: v})
    with pytest.raises(TypeError, match="DataType string not in list of allowed values"):
        SCALAR_SUMMARY("t", tf.constant("s"))


def test_scalar_of_integer_and_float64_values():
    with tf.Session() as sess:
        got = _parse(sess.run(tf.summary.scalar("i", tf.constant(7, tf.int64))))
        assert got.value[0].simple_value == 7.0
        got = _parse(sess.run(tf.summary.scalar("d", tf.constant(1e300, tf.float64))))
        assert got.value[0].simple_value == np.inf  # static_cast<float>, as TensorFlow


def test_histogram_naming_and_errors():
    v = tf.placeholder(tf.float32, name="v")
    h = tf.summary.histogram("weights", v)
    assert h.op.name == "weights" and h.op.type == "HistogramSummary"
    assert [t.op.name for t in h.op.inputs] == ["weights/tag", "v"]
    with tf.Session() as sess:
        got = _parse(sess.run(h, {v: [[1.0, 2.0], [3.0, -0.5]]})).value[0]
        assert got.tag == "weights"
        assert (got.histo.min, got.histo.max, got.histo.num, got.histo.sum) == (-0.5, 3, 4, 5.5)
        with pytest.raises(InvalidArgumentError, match="Nan in summary histogram for: weights"):
            sess.run(h, {v: [1.0, np.nan]})
        with pytest.raises(InvalidArgumentError, match="Infinity in Histogram for: weights"):
            sess.run(h, {v: [np.inf, 1.0]})


def test_image_summary_tags_and_normalisation():
    images = tf.placeholder(tf.float32, [None, 2, 3, 1], name="images")
    one = tf.summary.image("one", images, max_outputs=1)
    many = tf.summary.image("many", images)
    assert many.op.get_attr("max_images") == 3
    assert list(tf.make_ndarray(many.op.get_attr("bad_color"))) == [255, 0, 0, 255]
    batch = np.stack([np.arange(6, dtype=np.float32).reshape(2, 3, 1),
                      np.linspace(-2, 1, 6, dtype=np.float32).reshape(2, 3, 1)])
    with tf.Session() as sess:
        a, b = (_parse(x) for x in sess.run([one, many], {images: batch}))
        assert [v.tag for v in a.value] == ["one/image"]
        assert [v.tag for v in b.value] == ["many/image/0", "many/image/1"]  # batch of 2 < 3
        with pytest.raises(InvalidArgumentError,
                           match=r"Tensor must be 4-D with last dim 1, 3, or 4, not \[1,2,2,2\]"):
            sess.run(tf.summary.image("bad", np.zeros((1, 2, 2, 2), np.float32)))
        for empty in ((1, 0, 2, 1), (1, 2, 0, 3)):  # no pixel: no valid PNG, as in TF
            with pytest.raises(InvalidArgumentError, match="must have non-zero dims"):
                sess.run(tf.summary.image("empty", np.zeros(empty, np.float32)))
    pixels = [np.asarray(Image.open(io.BytesIO(v.image.encoded_image_string)))
              for v in b.value]
    # All >= 0: scaled by 255 / max. Some negative: centred at 128, scaled by 127 / max|x|.
    np.testing.assert_array_equal(pixels[0], (batch[0, ..., 0] * np.float32(255 / 5)).astype(
        np.uint8))
    np.testing.assert_array_equal(pixels[1], (batch[1, ..., 0] * np.float32(127 / 2) + 128)
                                  .astype(np.uint8))
    assert b.value[0].image.colorspace == 1
    assert (b.value[0].image.height, b.value[0].image.width) == (2, 3)


def test_audio_summary_matches_tensorflow_bytes():
    """``tf.summary.audio``: TF 2.21 gave these bytes for this clip (samples out of range are
    clamped, halves round away from zero, the WAV header's rate 8000.7 rounds to 8001)."""
    clip = tf.placeholder(tf.float32, name="clip")
    rate = tf.placeholder(tf.float32, name="rate")
    one = tf.summary.audio("one", clip, rate, max_outputs=1)
    many = tf.summary.audio("snd", clip, 10.0, max_outputs=2)
    assert one.op.type == "AudioSummaryV2" and one.op.name == "one"
    assert many.op.inputs[2].op.name == "snd/sample_rate"
    assert one in tf.get_collection(tf.GraphKeys.SUMMARIES)
    samples = np.array([[0.5, -0.5, 1.5, -2, 0.75 / 32768, 1 / 65536, -1 / 65536, 3 / 65536]],
                       np.float32)
    with tf.Session() as sess:
        got = sess.run(one, {clip: samples, rate: 8000.7})
        assert got == (
            b'\n_\n\tone/audio2R\r\x9a\x05\xfaE\x10\x01\x18\x08"<RIFF4\x00\x00\x00WAVEfmt '
            b'\x10\x00\x00\x00\x01\x00\x01\x00A\x1f\x00\x00\x82>\x00\x00\x02\x00\x10\x00data'
            b'\x10\x00\x00\x00\x00@\x00\xc0\xff\x7f\x00\x80\x01\x00\x01\x00\xff\xff\x02\x00'
            b'*\taudio/wav')
        # Zero frames: length_frames is left out (proto3), the WAV has an empty data chunk.
        empty = _parse(sess.run(many, {clip: np.zeros((3, 0, 2), np.float32)}))
        assert [v.tag for v in empty.value] == ["snd/audio/0", "snd/audio/1"]
        assert empty.value[0].audio.length_frames == 0
        assert empty.value[0].audio.encoded_audio_string[40:] == b"\x00" * 4
        assert sess.run(many, {clip: np.zeros((0, 4), np.float32)}) == b""
        for feed, message in [
                ({clip: np.zeros(2, np.float32), rate: 1},
                 r"Tensor must be 3-D or 2-D, got: \[2\]"),
                ({clip: samples, rate: [1, 2]}, "sample_rate must be rank-0 or contain a single"),
                ({clip: samples, rate: 0}, r"sample_rate must be > 0"),
                ({clip: samples, rate: np.nan}, r"sample_rate must be > 0"),
                ({clip: samples, rate: 1e10}, r"sample_rate must be in \(0, 2\^32\), got: 1000"),
                ({clip: np.zeros((1, 2, 0), np.float32), rate: 1}, "audio is null"),
                ({clip: np.zeros((1, 0, 0), np.float32), rate: 1},
                 r"num_channels must be in \(0, 2\^16\), got: 0")]:
            with pytest.raises(InvalidArgumentError, match=message):
                sess.run(one, feed)
    with pytest.raises(ValueError, match="max_outputs"):
        tf.summary.audio("bad", samples, 1.0, max_outputs=0)
    with pytest.raises(TypeError):
        tf.summary.audio("ints", tf.zeros([1, 2], tf.int32), 1.0)


def test_audio_summary_side_by_side_with_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    clip = np.random.default_rng(3).uniform(-1.1, 1.1, (3, 50, 2)).astype(np.float32)
    outs = []
    for lib in (tf, tf1):
        g = lib.Graph()
        with g.as_default():
            s = lib.summary.audio("a", clip, 44100.5, max_outputs=2, family="fam")
            m = lib.summary.audio("b", clip[:, :, 0], 7.0, max_outputs=1)
        with lib.Session(graph=g) as sess:
            outs.append(sess.run([s, m]) + [[n.name for n in g.as_graph_def().node]])
    assert outs[0] == outs[1]


def test_text_summary_and_tensor_summary():
    note = tf.constant("hello *md*")
    t = tf.summary.text("note", note)
    assert t.op.type == "TensorSummaryV2"
    assert [x.op.name for x in t.op.inputs] == ["note/tag", "Const",
                                                "note/serialized_summary_metadata"]
    ts = tf.summary.tensor_summary("ts", tf.constant([1.5, 2.0]), summary_description="d")
    with tf.Session() as sess:
        text, tensor = (_parse(x).value[0] for x in sess.run([t, ts]))
    assert text.tag == "note" and text.metadata.plugin_data.plugin_name == "text"
    assert list(text.tensor.string_val) == [b"hello *md*"] and text.tensor.dtype == 7
    assert tensor.metadata.summary_description == "d"
    assert np.frombuffer(tensor.tensor.tensor_content, np.float32).tolist() == [1.5, 2.0]
    with pytest.raises(ValueError, match="to have dtype string"):
        tf.summary.text("bad", tf.constant(1.0))


def test_merge_naming_merge_all_and_duplicate_tags():
    assert tf.summary.merge_all() is None
    a = tf.summary.scalar("a", 1.0)
    b = tf.summary.scalar("b", 2.0)
    m = tf.summary.merge([a, b], name="foo")
    assert m.op.name == "foo/foo" and m.op.get_attr("N") == 2
    merged = tf.summary.merge_all()
    assert merged.op.name == "Merge/MergeSummary"
    assert tf.summary.merge_all(scope="b").op.inputs[0] is b
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [a, b]  # merges are not collected
    dup = tf.summary.merge([a, a])
    with tf.Session() as sess:
        got = _parse(sess.run(merged))
        assert [v.tag for v in got.value] == ["a", "b"]
        with pytest.raises(InvalidArgumentError, match="Duplicate tag a found in summary inputs"):
            sess.run(dup)
        with pytest.raises(InvalidArgumentError, match="Could not parse one of the summary"):
            sess.run(tf.summary.merge([tf.constant(b"garbage\xff")]))


def test_summary_ops_are_registered_as_tensorflow_declares_them():
    for op_type in ("ScalarSummary", "HistogramSummary", "ImageSummary", "AudioSummaryV2",
                    "TensorSummaryV2", "MergeSummary"):
        opdef = registered()[op_type]
        assert not opdef.differentiable and not opdef.stateful


def test_summary_nodes_export_with_tensorflow_attrs():
    tf.summary.image("pic", tf.zeros([1, 2, 2, 3]), max_outputs=2)
    tf.summary.audio("snd", tf.zeros([1, 4]), 16000, max_outputs=5)
    tf.summary.merge_all()
    gd = tf.get_default_graph().as_graph_def()
    nodes = {n.name: n for n in gd.node}
    assert nodes["pic"].op == "ImageSummary" and nodes["pic"].attr["max_images"].i == 2
    assert nodes["pic"].attr["T"].type == 1
    assert nodes["snd"].op == "AudioSummaryV2" and nodes["snd"].attr["max_outputs"].i == 5
    assert set(nodes["snd"].attr) == {"max_outputs"}  # TF's op has no type attr
    assert nodes["Merge/MergeSummary"].attr["N"].i == 2
    assert list(nodes["Merge/MergeSummary"].input) == ["pic", "snd"]


def test_summary_arguments_tf_refuses_or_clears():
    """TF 2.21: merge([]) and a None name raise ValueError; display_name='' and
    summary_description='' clear those fields of a given summary_metadata."""
    with pytest.raises(ValueError, match="shorter than minimum length 1"):
        tf.summary.merge([])
    with pytest.raises(ValueError, match=r"At least one of name \(None\)"):
        tf.summary.scalar(None, 2.5)
    meta = summary_pb2.SummaryMetadata(display_name="d0", summary_description="s0")
    meta.plugin_data.plugin_name = "custom"
    cleared = tf.summary.tensor_summary("ts", tf.constant(3.0), summary_metadata=meta,
                                        display_name="", summary_description="")
    renamed = tf.summary.tensor_summary("tr", tf.constant(3.0), summary_metadata=meta,
                                        display_name="d1")
    with tf.Session() as sess:
        got = [summary_pb2.Summary.FromString(b).value[0].metadata
               for b in sess.run([cleared, renamed])]
    assert (got[0].plugin_data.plugin_name, got[0].display_name,
            got[0].summary_description) == ("custom", "", "")
    assert (got[1].display_name, got[1].summary_description) == ("d1", "s0")
