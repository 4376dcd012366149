"""core/_wire.py and the summary/event encoders against protobuf's own serializer: the bytes
core writes without the protos package are exactly what ``SerializeToString`` gives."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitf as tf
from minitf import _wire as w
from minitf.ops import summary_ops
from minitf.protos import event_pb2, histogram_pb2, summary_pb2, tensor_pb2
from minitf.summary import encode_event, strip_seen_metadata

INT64 = st.integers(-(2 ** 63), 2 ** 63 - 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("n, encoded", [
    (0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"),
    (2 ** 63 - 1, b"\xff" * 8 + b"\x7f"),
    (-1, b"\xff" * 9 + b"\x01"), (-2, b"\xfe" + b"\xff" * 8 + b"\x01"),
])
def test_varint_known_values(n, encoded):
    assert w.varint(n) == encoded
    assert w.read_varint(encoded, 0) == (n & 0xFFFFFFFFFFFFFFFF, len(encoded))


@settings(max_examples=100, deadline=None)
@given(wall_time=FINITE, step=INT64, tag=st.text(max_size=40), value=FINITE)
def test_event_with_scalar_summary_matches_protobuf(wall_time, step, tag, value):
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    want = event_pb2.Event(wall_time=wall_time, step=step, summary=summary).SerializeToString()
    ours_summary = summary_ops._scalar_kernel(np.array(tag.encode(), dtype=object),
                                              np.float64(value))[()]
    assert ours_summary == summary.SerializeToString()
    assert encode_event(wall_time, step, summary=ours_summary) == want


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e30, 1e30, allow_nan=False), max_size=50))
def test_histogram_proto_matches_protobuf(values):
    ours = summary_ops.histogram_proto(np.array(values))
    parsed = histogram_pb2.HistogramProto.FromString(ours)
    assert parsed.SerializeToString() == ours  # canonical: protobuf writes the same bytes
    assert parsed.num == len(values)
    assert sum(parsed.bucket) == len(values)


def test_histogram_buckets_follow_tensorflow_rules():
    """Reference from the definition (tsl/lib/histogram): bucket i holds values in
    [limit(i-1), limit(i)); runs of empty buckets collapse into their last limit."""
    limits, v = [], 1e-12
    while v < 1e20:
        limits.append(v)
        v *= 1.1
    limits = [-x for x in reversed(limits + [np.finfo(np.float64).max])] + [0.0] + \
        limits + [np.finfo(np.float64).max]
    values = [0.0, 0.0, 1e-13, -3.5, 7.0, 7.0001, 1e19]
    counts = [0] * len(limits)
    for x in values:
        counts[next(i for i, lim in enumerate(limits) if x < lim)] += 1
    want_limits, want_counts, i = [], [], 0
    while i < len(limits):
        end, count = limits[i], counts[i]
        i += 1
        if count == 0:
            while i < len(limits) and counts[i] == 0:
                end = limits[i]
                i += 1
        want_limits.append(end)
        want_counts.append(count)
    h = histogram_pb2.HistogramProto.FromString(summary_ops.histogram_proto(np.array(values)))
    assert list(h.bucket_limit) == want_limits
    assert list(h.bucket) == want_counts
    assert (h.min, h.max, h.num) == (-3.5, 1e19, 7)
    assert h.sum == sum(values) and h.sum_squares == sum(x * x for x in values)


def test_empty_histogram_is_tensorflows():
    h = histogram_pb2.HistogramProto.FromString(summary_ops.histogram_proto(np.zeros(0)))
    dbl_max = np.finfo(np.float64).max
    assert (h.min, h.max, h.num, h.sum) == (dbl_max, -dbl_max, 0, 0)
    assert list(h.bucket_limit) == [dbl_max] and list(h.bucket) == [0]


@pytest.mark.parametrize("value", [
    np.array(b"hello", dtype=object), np.array([[b"a", b""], [b"c", b"d"]], dtype=object),
    np.arange(6, dtype=np.float32).reshape(2, 3), np.array(3, dtype=np.int64),
    np.zeros((0, 4), np.float64), np.array([True, False]), np.array([1.5], np.float16),
])
def test_tensor_proto_matches_protobuf(value):
    ours = summary_ops.tensor_proto(value)
    parsed = tensor_pb2.TensorProto.FromString(ours)
    assert parsed.SerializeToString() == ours
    assert [d.size for d in parsed.tensor_shape.dim] == list(value.shape)
    if value.dtype == object:
        assert list(parsed.string_val) == list(value.reshape(-1))
    else:
        got = np.frombuffer(parsed.tensor_content, value.dtype).reshape(value.shape)
        np.testing.assert_array_equal(got, value)


@pytest.mark.parametrize("kind, payload", [
    ("file_version", "brain.Event:2"), ("graph_def", b"\x0a\x03\x0a\x01x"),
    ("session_log", event_pb2.SessionLog(status=1, msg="hi").SerializeToString()),
    ("meta_graph_def", b"\x12\x00"),
    ("tagged_run_metadata", event_pb2.TaggedRunMetadata(tag="t", run_metadata=b"r")
     .SerializeToString()),
])
def test_event_kinds_match_protobuf(kind, payload):
    fields = {"file_version": payload} if kind == "file_version" else {}
    if kind in ("graph_def", "meta_graph_def"):
        fields[kind] = payload
    elif kind == "session_log":
        fields[kind] = event_pb2.SessionLog.FromString(payload)
    elif kind == "tagged_run_metadata":
        fields[kind] = event_pb2.TaggedRunMetadata.FromString(payload)
    want = event_pb2.Event(wall_time=12.5, step=7, **fields).SerializeToString()
    assert encode_event(12.5, 7, **{kind: payload}) == want


def test_file_version_event_with_source_metadata():
    want = event_pb2.Event(wall_time=1700000000.0, file_version="brain.Event:2",
                           source_metadata=event_pb2.SourceMetadata(writer="w"))
    assert encode_event(1700000000.0, file_version="brain.Event:2", source_metadata="w") == \
        want.SerializeToString()


def test_fields_walker_reports_malformed_input():
    with pytest.raises(w.WireError):
        list(w.fields(b"\x0a\x05ab"))  # length 5, 2 bytes follow
    with pytest.raises(w.WireError):
        list(w.fields(b"\x0b"))  # wire type 3 (groups)
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="x", simple_value=1)])
    data = summary.SerializeToString()
    assert [(n, t) for n, t, *_ in w.fields(data)] == [(1, w.LEN)]


def test_strip_seen_metadata_matches_tensorflow_filewriter():
    """TF1's FileWriter keeps a tag's metadata on its first value only."""
    meta = summary_pb2.SummaryMetadata(plugin_data={"plugin_name": "text"})
    first = summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag="a", simple_value=1),
        summary_pb2.Summary.Value(tag="t", metadata=meta, tensor={"dtype": 7})])
    seen: set = set()
    data = first.SerializeToString()
    assert strip_seen_metadata(data, seen) is data
    stripped = summary_pb2.Summary.FromString(strip_seen_metadata(data, seen))
    assert not stripped.value[1].HasField("metadata")
    assert stripped.value[1].tensor.dtype == 7 and stripped.value[0].simple_value == 1
    assert seen == {b"a", b"t"}


def test_summary_protos_resolve_lazily():
    assert tf.summary.Summary is summary_pb2.Summary
    assert tf.summary.Event is event_pb2.Event
    assert tf.summary.SessionLog.START == 1
    with pytest.raises(AttributeError):
        tf.summary.NoSuchThing  # noqa: B018
