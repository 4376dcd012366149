"""An event file written by real TensorFlow (data/tf_events.out.tfevents, made by
data/generate_with_tensorflow.py) against minitf: our reader reads it, our TFRecord framing of
its records is byte-identical, and every Event rebuilt with our encoder and our summary kernels
(same graph, same inputs) is byte-identical too; images, whose PNG compression may differ,
have identical pixels."""

import io
import pathlib

import numpy as np
import pytest
from PIL import Image

import minitf as tf
from minitf import summary as summary_module
from minitf import tfrecord
from minitf.errors import DataLossError
from minitf.export.events import summary_iterator
from minitf.protos import graph_pb2, summary_pb2

DATA = pathlib.Path(__file__).parent / "data"
EVENTS = DATA / "tf_events.out.tfevents"
STEPS = 3


@pytest.fixture(scope="module")
def tf_records():
    raw = EVENTS.read_bytes()
    return raw, list(tfrecord.read_records(io.BytesIO(raw)))


@pytest.fixture(scope="module")
def our_summaries():
    """The generator's graph, built and run with minitf on the same inputs: step -> bytes."""
    inputs = np.load(DATA / "inputs.npz")
    graph = tf.Graph()
    with graph.as_default():
        loss = tf.placeholder(tf.float32, [], name="loss")
        weights = tf.placeholder(tf.float32, [None], name="weights")
        extremes = tf.placeholder(tf.float64, [None], name="extremes")
        pics = tf.placeholder(tf.float32, [None, 6, 5, 1], name="pics")
        rgb = tf.placeholder(tf.uint8, [None, 4, 3, 3], name="rgb")
        notes = tf.placeholder(tf.string, [None], name="notes")
        with tf.name_scope("train"):
            s_loss = tf.summary.scalar("loss", loss)
        s_weights = tf.summary.histogram("weights", weights)
        s_extremes = tf.summary.histogram("extremes", extremes)
        s_pics = tf.summary.image("pics", pics, max_outputs=2)
        s_rgb = tf.summary.image("rgb", rgb, max_outputs=1)
        s_notes = tf.summary.text("notes", notes)
        merged = tf.summary.merge([s_loss, s_weights, s_extremes, s_notes])
    out = {}
    with tf.Session(graph=graph) as sess:
        for k in range(STEPS):
            feed = {loss: inputs[f"loss:{k}"], weights: inputs[f"weights:{k}"],
                    extremes: inputs[f"extremes:{k}"], pics: inputs[f"pics:{k}"],
                    rgb: inputs[f"rgb:{k}"], notes: inputs[f"notes:{k}"]}
            results = sess.run([s_loss, s_weights, s_extremes, s_pics, s_rgb, s_notes, merged],
                               feed)
            for i, summary in enumerate(results):
                out[10 * k + i] = summary
    return out


def test_our_framing_of_tensorflows_records_is_byte_identical(tf_records):
    raw, records = tf_records
    assert len(records) == 3 + 7 * STEPS  # file_version, graph, meta graph, 7 summaries a step
    assert b"".join(tfrecord.encode_record(r) for r in records) == raw


def test_our_reader_reads_tensorflows_event_file():
    events = list(summary_iterator(EVENTS))
    first = events[0]
    assert first.file_version == "brain.Event:2"
    assert first.source_metadata.writer == "tensorflow.core.util.events_writer"
    assert first.wall_time == int(first.wall_time)  # whole seconds, as in the file name
    graph = graph_pb2.GraphDef.FromString(events[1].graph_def)
    names = {n.name: n for n in graph.node}
    assert names["train/loss"].op == "ScalarSummary"
    assert list(names["train/loss"].input) == ["train/loss/tags", "loss"]
    assert events[2].WhichOneof("what") == "meta_graph_def"
    steps = [e.step for e in events[3:]]
    assert steps == [10 * k + i for k in range(STEPS) for i in range(7)]
    loss = [e.summary.value[0] for e in events[3:] if e.step % 10 == 0]
    assert [v.tag for v in loss] == ["train/loss"] * STEPS
    np.testing.assert_allclose([v.simple_value for v in loss],
                               [1 / (k + 1) + 0.123 for k in range(STEPS)], rtol=1e-6)


def test_every_event_rebuilt_by_minitf_is_byte_identical(tf_records, our_summaries):
    """The Event encoder (all kinds TensorFlow wrote) and the scalar, histogram, text and merge
    kernels reproduce TensorFlow's bytes exactly, metadata stripping included."""
    _, records = tf_records
    seen: set = set()
    checked = 0
    for record, event in zip(records, summary_iterator(EVENTS)):
        kind = event.WhichOneof("what")
        if kind == "file_version":
            ours = summary_module.encode_event(event.wall_time, file_version=event.file_version,
                                               source_metadata=event.source_metadata.writer)
        elif kind == "summary":
            summary = summary_module.strip_seen_metadata(our_summaries[event.step], seen)
            if event.step % 10 in (3, 4):  # images: same pixels, compared below
                summary = event.summary.SerializeToString()
            ours = summary_module.encode_event(event.wall_time, event.step, summary=summary)
        else:
            ours = summary_module.encode_event(event.wall_time, event.step,
                                               **{kind: getattr(event, kind)})
        assert ours == record, f"event {kind} at step {event.step} differs"
        checked += 1
    assert checked == len(records)


def test_image_summaries_have_tensorflows_pixels(our_summaries):
    for event in summary_iterator(EVENTS):
        if event.WhichOneof("what") != "summary" or event.step % 10 not in (3, 4):
            continue
        ours = summary_pb2.Summary.FromString(our_summaries[event.step])
        assert [v.tag for v in ours.value] == [v.tag for v in event.summary.value]
        for mine, theirs in zip(ours.value, event.summary.value):
            a, b = mine.image, theirs.image
            assert (a.height, a.width, a.colorspace) == (b.height, b.width, b.colorspace)
            np.testing.assert_array_equal(
                np.asarray(Image.open(io.BytesIO(a.encoded_image_string))),
                np.asarray(Image.open(io.BytesIO(b.encoded_image_string))))


def test_reader_reports_corruption(tmp_path):
    raw = bytearray(EVENTS.read_bytes())
    raw[100] ^= 0xFF
    path = tmp_path / "events.out.tfevents.bad"
    path.write_bytes(bytes(raw))
    with pytest.raises(DataLossError, match="corrupt"):
        list(summary_iterator(path))
