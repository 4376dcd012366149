"""tf.summary.FileWriter: file naming, the events it writes, its writer thread and lifecycle."""

import gc
import os
import re
import socket
import threading
import time

import pytest

import minitf as tf
from minitf.errors import DataLossError
from minitf import summary as summary_module
from minitf.export.events import summary_iterator
from minitf.protos import config_pb2, event_pb2, graph_pb2, summary_pb2


def _files(logdir):
    return sorted(os.path.join(logdir, f) for f in os.listdir(logdir))


def _events(logdir):
    (path,) = _files(logdir)
    return list(summary_iterator(path))


def _scalar(tag, value):
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])


def test_file_name_and_first_event(tmp_path):
    before = int(time.time())
    writer = tf.summary.FileWriter(str(tmp_path / "run"))
    (path,) = _files(tmp_path / "run")  # created at once, with the file_version event
    name = os.path.basename(path)
    m = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\." + re.escape(socket.gethostname()), name)
    assert m and before <= int(m.group(1)) <= time.time()
    (first,) = list(summary_iterator(path))
    assert first.file_version == "brain.Event:2"
    assert first.wall_time == int(m.group(1))
    assert first.source_metadata.writer == "minitf.summary.FileWriter"
    writer.close()
    assert writer.get_logdir() == str(tmp_path / "run")


def test_summaries_in_order_with_steps(tmp_path):
    with tf.summary.FileWriter(tmp_path, filename_suffix=".v1") as writer:
        writer.add_summary(_scalar("a", 1.0).SerializeToString(), global_step=3)
        writer.add_summary(_scalar("a", 2.0), 4)  # a proto works too
        writer.add_summary(_scalar("b", 5.0))  # no step
        writer.add_summary(_scalar("c", 6.0), global_step=-2)
    assert _files(tmp_path)[0].endswith(".v1")
    events = _events(tmp_path)
    assert [e.WhichOneof("what") for e in events] == ["file_version"] + ["summary"] * 4
    assert [(e.step, e.summary.value[0].tag, e.summary.value[0].simple_value)
            for e in events[1:]] == [(3, "a", 1), (4, "a", 2), (0, "b", 5), (-2, "c", 6)]
    assert all(abs(e.wall_time - time.time()) < 60 for e in events)
    assert all(events[i].wall_time <= events[i + 1].wall_time for i in range(1, 4))
    writer.reopen()
    with pytest.raises(TypeError, match="not str"):
        writer.add_summary("a string")
    writer.close()


def test_graph_events(tmp_path):
    with tf.name_scope("layer"):
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        tf.nn.relu(x, name="act")
    graph = tf.get_default_graph()
    with tf.summary.FileWriter(tmp_path, graph) as writer:
        writer.add_graph(None, global_step=5, graph_def=graph.as_graph_def())
        with pytest.raises(ValueError, match="only graph, or graph_def"):
            writer.add_graph(graph, graph_def=graph.as_graph_def())
        with pytest.raises(TypeError, match="must be an instance of `Graph`"):
            writer.add_graph("graph")
    events = _events(tmp_path)
    kinds = [e.WhichOneof("what") for e in events]
    # The graph given at construction comes as a graph_def and a meta_graph_def (TF1).
    assert kinds == ["file_version", "graph_def", "meta_graph_def", "graph_def"]
    first = graph_pb2.GraphDef.FromString(events[1].graph_def)
    act = next(n for n in first.node if n.name == "layer/act")
    assert act.op == "Relu" and list(act.input) == ["layer/x"]
    assert len(act.attr["_output_shapes"].list.shape[0].dim) == 2  # as TF: add_shapes=True
    assert events[3].step == 5


def test_other_event_kinds(tmp_path):
    with tf.summary.FileWriter(tmp_path) as writer:
        writer.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.START), 1)
        writer.add_run_metadata(config_pb2.RunMetadata(), "step1", global_step=2)
        with pytest.raises(ValueError, match="already used"):
            writer.add_run_metadata(config_pb2.RunMetadata(), "step1")
        writer.add_meta_graph(b"\x12\x00", global_step=3)
        writer.add_event(event_pb2.Event(wall_time=1.5, step=9, file_version="custom"))
    events = _events(tmp_path)
    assert events[1].session_log.status == event_pb2.SessionLog.START
    assert events[2].tagged_run_metadata.tag == "step1" and events[2].step == 2
    assert events[3].meta_graph_def == b"\x12\x00"
    assert (events[4].wall_time, events[4].step, events[4].file_version) == (1.5, 9, "custom")


def test_metadata_only_on_the_first_value_of_a_tag(tmp_path):
    note = tf.summary.text("note", tf.constant("hi"))
    with tf.Session() as sess, tf.summary.FileWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_summary(sess.run(note), step)
    values = [e.summary.value[0] for e in _events(tmp_path)[1:]]
    assert [v.HasField("metadata") for v in values] == [True, False, False]
    assert values[0].metadata.plugin_data.plugin_name == "text"


def test_writes_happen_on_the_writer_thread(tmp_path, monkeypatch):
    """add_summary only queues: a slow disk does not slow the training loop."""
    writer = tf.summary.FileWriter(tmp_path)
    real = summary_module.encode_record
    threads = []
    disk = threading.Event()  # a disk that writes nothing until the test lets it
    caller = threading.current_thread()

    def slow_encode(data):
        threads.append(threading.current_thread())
        if threading.current_thread() is not caller:  # a write here would show, below
            disk.wait(20)
        return real(data)

    monkeypatch.setattr(summary_module, "encode_record", slow_encode)
    try:
        for step in range(5):  # returns although no write can finish
            writer.add_summary(_scalar("a", step), step)
        assert caller not in threads
        (path,) = _files(tmp_path)
        assert [e.WhichOneof("what") for e in summary_iterator(path)] == ["file_version"]
    finally:
        disk.set()
    writer.flush()  # waits for all of them
    assert len(threads) == 5 and caller not in threads
    assert len(list(summary_iterator(_files(tmp_path)[0]))) == 6
    writer.close()


def test_close_is_final_until_reopen(tmp_path):
    writer = tf.summary.FileWriter(tmp_path)
    writer.add_summary(_scalar("a", 1), 1)
    writer.close()
    writer.close()  # idempotent
    writer.add_summary(_scalar("a", 2), 2)  # ignored, as in TensorFlow
    writer.flush()
    assert len(_events(tmp_path)) == 2
    writer.reopen()
    writer.add_summary(_scalar("a", 3), 3)
    writer.close()
    first, second = _files(tmp_path)  # same second, same host: a second file, not overwritten
    assert len(list(summary_iterator(first))) == 2
    assert [e.step for e in summary_iterator(second)] == [0, 3]


def test_write_errors_are_raised_to_the_caller(tmp_path, monkeypatch):
    writer = tf.summary.FileWriter(tmp_path)

    def failing(data):
        raise OSError("disk full")

    monkeypatch.setattr(summary_module, "encode_record", failing)
    writer.add_summary(_scalar("a", 1), 1)
    with pytest.raises(OSError, match="disk full"):
        writer.flush()
    with pytest.raises(OSError, match="disk full"):
        writer.add_summary(_scalar("a", 2), 2)
    with pytest.raises(OSError, match="disk full"):
        writer.close()


def test_unclosed_writer_is_flushed_when_collected(tmp_path):
    writer = tf.summary.FileWriter(tmp_path)
    writer.add_summary(_scalar("a", 1), 7)
    thread = writer._thread
    del writer
    gc.collect()
    thread.join(timeout=10)
    assert [e.step for e in _events(tmp_path)] == [0, 7]


def test_file_writer_cache(tmp_path):
    tf.constant(1.0, name="c")
    a = tf.summary.FileWriterCache.get(str(tmp_path))
    assert tf.summary.FileWriterCache.get(str(tmp_path)) is a
    tf.summary.FileWriterCache.clear()
    assert a._closed
    kinds = [e.WhichOneof("what") for e in _events(tmp_path)]
    assert kinds == ["file_version", "graph_def", "meta_graph_def"]  # the default graph


def _wait_for_events(logdir, n, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(_events(logdir)) >= n:
                return True
        except DataLossError:  # caught mid-write
            pass
        time.sleep(0.01)
    return False


def test_max_queue_pending_events_are_written_without_flush(tmp_path):
    """TF1: max_queue pending events make an add call hand them to the writer."""
    writer = tf.summary.FileWriter(tmp_path, max_queue=3)
    writer.add_summary(_scalar("a", 1), 1)
    writer.add_summary(_scalar("a", 2), 2)
    time.sleep(0.05)
    assert len(_events(tmp_path)) == 1  # still pending (flush_secs is 120)
    writer.add_summary(_scalar("a", 3), 3)
    assert _wait_for_events(tmp_path, 4)
    writer.close()


def test_flush_secs_writes_pending_events(tmp_path):
    writer = tf.summary.FileWriter(tmp_path, flush_secs=0.05)
    writer.add_summary(_scalar("a", 1), 1)
    assert _wait_for_events(tmp_path, 2)
    writer.close()


def test_a_graph_given_at_construction_is_also_written_as_a_meta_graph(tmp_path):
    """As TF1's FileWriter(logdir, graph): file_version, graph_def, then meta_graph_def (a
    MetaGraphDef of the same GraphDef)."""
    from minitf.protos import meta_graph_pb2

    graph = tf.Graph()
    with graph.as_default():
        tf.constant(1.0, name="c")
    tf.summary.FileWriter(str(tmp_path), graph=graph).close()
    events = _events(str(tmp_path))
    assert [e.WhichOneof("what") for e in events] == ["file_version", "graph_def",
                                                      "meta_graph_def"]
    meta = meta_graph_pb2.MetaGraphDef.FromString(events[2].meta_graph_def)
    assert meta.graph_def == graph_pb2.GraphDef.FromString(events[1].graph_def)
    assert [n.name for n in meta.graph_def.node] == ["c"]


def test_a_file_in_the_way_of_the_logdir_is_tensorflows_failed_precondition(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("")
    for logdir in (blocker, blocker / "sub"):
        with pytest.raises(tf.errors.FailedPreconditionError, match="is not a directory"):
            tf.summary.FileWriter(str(logdir))


def test_get_summary_description_reads_a_tensor_summarys_json():
    from minitf.protos import node_def_pb2

    node = node_def_pb2.NodeDef(op="TensorSummary")
    node.attr["description"].s = b'{"type_hint": "image"}'
    assert tf.summary.get_summary_description(node).type_hint == "image"
    summary = tf.summary.tensor_summary("t", tf.constant(1.0))  # TensorSummaryV2, as TF's
    with pytest.raises(ValueError, match="Can't get_summary_description on TensorSummaryV2"):
        tf.summary.get_summary_description(summary.op.node_def)
