"""tf.contrib.summary in graph mode: the event files it writes, read back with minitf's
summary_iterator and TF's, against hand-computed values (the recorded steps, the fed scalars,
histogram statistics from numpy) and, when TensorFlow is installed, against the files the same
program writes with TF's summary_ops_v2 (the module behind TF 1.15's tf.contrib.summary)."""

import contextlib
import glob
import os
import threading
import time

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import summary as cs

from ..side_by_side import tf1_or_skip


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield
    cs._summary_state.writer = None  # set_as_default() outlives its test
    cs._summary_state.is_recording = None


def _tf_summary():
    """(tf.compat.v1, TF's summary_ops_v2), or skip."""
    tf1 = tf1_or_skip()
    try:
        from tensorflow.python.ops import summary_ops_v2
    except ImportError:
        pytest.skip("TensorFlow's summary_ops_v2 is not importable")
    if not hasattr(summary_ops_v2, "record_summaries_every_n_global_steps"):
        pytest.skip("this TensorFlow dropped the tf.contrib.summary functions")
    return tf1, summary_ops_v2


def _all_ops(s):
    return s.all_summary_ops() if hasattr(s, "all_summary_ops") else s.all_v2_summary_ops()


def _files(logdir):
    return sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*")))


def _png_pixels(data):
    with tf.Graph().as_default(), tf.Session() as sess:
        return sess.run(tf.image.decode_png(data)).tolist()


def _records(logdir, iterator):
    """The written events of a log directory, read with ``iterator`` (minitf's or TF's
    summary_iterator), wall times left out: sorted (step, kind, tag, payload) tuples."""
    out = []
    for path in _files(logdir):
        for event in iterator(path):
            if event.HasField("summary"):
                for v in event.summary.value:
                    kind = v.WhichOneof("value")
                    if kind == "image":  # same pixels; the PNG compression may differ
                        payload = (v.image.height, v.image.width, v.image.colorspace,
                                   _png_pixels(v.image.encoded_image_string))
                    else:
                        payload = v.SerializeToString()
                    out.append((event.step, kind, v.tag, payload))
            elif event.HasField("graph_def"):
                out.append((event.step, "graph", "", event.graph_def))
            else:
                assert event.file_version == "brain.Event:2", event
    return sorted(out, key=lambda r: (r[0], r[1], r[2]))


def _mine(logdir):
    return _records(logdir, tf.train.summary_iterator)


def _by_tf(logdir):
    tf1 = tf1_or_skip()
    return _records(logdir, tf1.train.summary_iterator)


def _run_program(lib, s, logdir, build, steps):
    """Builds ``build(lib, s)`` under a writer on ``logdir`` (returns a feed function of the
    step number), then runs all summary ops and increments the global step ``steps`` times,
    flushes and closes. ``lib`` is minitf or tf.compat.v1, ``s`` its contrib.summary."""
    g = lib.Graph()
    with g.as_default():
        step = lib.train.get_or_create_global_step()
        inc = lib.assign_add(step, 1)
        writer = s.create_file_writer(str(logdir), max_queue=1000, flush_millis=10 ** 7)
        with writer.as_default():
            feed = build(lib, s, step)
        ops = _all_ops(s)
        close = writer.close()
        with lib.Session(graph=g) as sess:
            sess.run(lib.global_variables_initializer())
            sess.run(s.summary_writer_initializer_op())
            results = []
            for i in range(steps):
                results.append(sess.run(ops, feed(i)))
                sess.run(inc)
            sess.run(close)
    return results


def _every_third_step(lib, s, step):
    x = lib.placeholder(lib.float32, [])
    with s.record_summaries_every_n_global_steps(3, step):
        s.scalar("loss", x)
        with lib.name_scope("model"):
            s.histogram("w", np.array([0.5, 1.5, 2.5, -3.0], np.float32)
                        * lib.cast(step + 1, lib.float32))
        s.generic("counts", lib.reshape(lib.cast(step, lib.int32) * [1, 2], [1, 2]))
    return lambda i: {x: 10.0 * i + 0.25}


def test_every_n_global_steps_records_those_steps_only(tmp_path):
    results = _run_program(tf, cs, tmp_path, _every_third_step, steps=7)
    assert [r[0] for r in results] == [i % 3 == 0 for i in range(7)]  # the conds' values
    recs = _mine(tmp_path)
    assert [(r[0], r[1], r[2]) for r in recs] == [
        (s, kind, tag) for s in (0, 3, 6)
        for kind, tag in (("histo", "model/w"), ("simple_value", "loss"),
                          ("tensor", "counts"))]
    events = [e for e in tf.train.summary_iterator(_files(tmp_path)[0])
              if e.HasField("summary")]
    for e in events:
        v = e.summary.value[0]
        s = e.step
        if v.tag == "loss":
            assert v.simple_value == np.float32(10.0 * s + 0.25)
        elif v.tag == "counts":
            assert list(v.tensor.tensor_shape.dim[i].size for i in range(2)) == [1, 2]
            assert np.frombuffer(v.tensor.tensor_content, "<i4").tolist() == [s, 2 * s]
        else:
            x = np.array([0.5, 1.5, 2.5, -3.0]) * (s + 1)
            h = v.histo
            assert (h.min, h.max, h.num) == (x.min(), x.max(), 4)
            assert (h.sum, h.sum_squares) == pytest.approx((x.sum(), (x * x).sum()))
            assert sum(h.bucket) == 4
            for k, count in enumerate(h.bucket):  # a bucket holds [previous limit, limit)
                if count:
                    inside = (x >= h.bucket_limit[k - 1]) & (x < h.bucket_limit[k])
                    assert count == inside.sum()


def test_every_n_global_steps_matches_tf(tmp_path):
    tf1, tfs = _tf_summary()
    _run_program(tf1, tfs, tmp_path / "tf", _every_third_step, steps=7)
    _run_program(tf, cs, tmp_path / "mine", _every_third_step, steps=7)
    theirs = _by_tf(tmp_path / "tf")
    assert len(theirs) == 9
    assert _mine(tmp_path / "mine") == theirs
    assert _by_tf(tmp_path / "mine") == theirs  # TF reads minitf's file


def _media(lib, s, step):
    rng = np.random.default_rng(3)
    pixels = rng.normal(size=(3, 2, 4, 3)).astype(np.float32)
    pixels[0, 1, 2, 1] = np.nan  # gets the bad color
    gray = rng.integers(0, 256, (1, 3, 2, 1)).astype(np.uint8)
    sound = np.clip(rng.normal(size=(2, 5, 2)) / 2, -1, 1).astype(np.float32)
    meta = b"\n\x08\n\x06custom"  # SummaryMetadata{plugin_data{plugin_name: "custom"}}
    with s.always_record_summaries():
        s.image("pic", pixels, max_images=2)
        s.image("gray", gray, max_images=1, bad_color=lib.constant([0, 255, 0], lib.uint8))
        s.audio("sound", sound, 8000.0, 3)
        s.generic("words", lib.constant([["a", "bc"]]), metadata=meta)
        s.scalar("fixed", lib.constant(7, lib.int64), step=40, family="fam")
    return lambda i: None


def test_image_audio_generic_and_family_match_tf(tmp_path):
    tf1, tfs = _tf_summary()
    _run_program(tf1, tfs, tmp_path / "tf", _media, steps=2)
    _run_program(tf, cs, tmp_path / "mine", _media, steps=2)
    theirs = _by_tf(tmp_path / "tf")
    assert {r[2] for r in theirs} == {"pic/image/0", "pic/image/1", "gray/image",
                                      "sound/audio/0", "sound/audio/1", "words",
                                      "fam/fam/fixed"}
    assert _mine(tmp_path / "mine") == theirs
    assert _by_tf(tmp_path / "mine") == theirs


def _one_scalar(condition):
    """A scalar under ``condition`` (a context manager or None) written at steps 0..2."""
    def build(lib, s, step):
        with condition(s) if condition else contextlib.nullcontext():
            s.scalar("x", lib.constant(1.5))
        return lambda i: None
    return build


@pytest.mark.parametrize("condition", [None, lambda s: s.never_record_summaries()],
                         ids=["no_condition", "never_record"])
def test_nothing_is_recorded_without_a_true_condition(tmp_path, condition):
    results = _run_program(tf, cs, tmp_path, _one_scalar(condition), steps=3)
    assert results == [[False]] * 3
    assert len(_files(tmp_path)) == 1 and _mine(tmp_path) == []  # the file_version event only


def test_always_record_writes_each_run_at_the_global_step(tmp_path):
    results = _run_program(tf, cs, tmp_path, _one_scalar(lambda s: s.always_record_summaries()),
                           steps=3)
    assert results == [[True]] * 3
    assert [(r[0], r[2]) for r in _mine(tmp_path)] == [(0, "x"), (1, "x"), (2, "x")]


def test_without_a_default_writer_summaries_are_no_ops(tmp_path):
    with cs.always_record_summaries():
        op = cs.scalar("x", tf.constant([1.0, 2.0]))  # no writer: not even checked, as TF
        ops = [op, cs.histogram("h", [1.0]), cs.flush(), cs.import_event(tf.constant(b"")),
               cs.graph(tf.placeholder(tf.string))]
    assert [o.type for o in ops] == ["NoOp"] * 5
    assert cs.all_summary_ops() == []
    with tf.Session() as sess:
        assert sess.run(cs.should_record_summaries()) == np.False_
    with cs.create_file_writer(None).as_default():  # a writer that does nothing
        assert cs.scalar("y", 1.0).type == "NoOp"


def test_flush_makes_events_visible_and_close_ends_the_writer(tmp_path):
    step = tf.train.get_or_create_global_step()
    writer = cs.create_file_writer(str(tmp_path), max_queue=100, flush_millis=10 ** 7)
    with writer.as_default(), cs.always_record_summaries():
        op = cs.scalar("x", 2.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(writer.init())
        sess.run(op)
        assert _mine(tmp_path) == []  # buffered
        sess.run(writer.flush())
        assert [(r[0], r[2]) for r in _mine(tmp_path)] == [(0, "x")]
        sess.run(tf.assign(step, 5))
        sess.run(op)
        sess.run(writer.close())  # flushes
        assert [(r[0], r[2]) for r in _mine(tmp_path)] == [(0, "x"), (5, "x")]
        with pytest.raises(tf.errors.NotFoundError, match="logdir:.*does not exist"):
            sess.run(op)  # closed: TF deleted the resource
        sess.run(writer.init())  # a new event file
        sess.run([op, writer.flush()])
    assert len(_files(tmp_path)) == 2
    assert [(r[0], r[2]) for r in _mine(tmp_path)] == [(0, "x"), (5, "x"), (5, "x")]


def test_closing_the_session_flushes(tmp_path):
    tf.train.get_or_create_global_step()
    writer = cs.create_file_writer(str(tmp_path), max_queue=100, flush_millis=10 ** 7)
    writer.set_as_default()
    with cs.always_record_summaries():
        op = cs.histogram("h", [1.0, 2.0])
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    cs.initialize(session=sess)
    sess.run(op)
    assert _mine(tmp_path) == []
    sess.close()
    assert [r[2] for r in _mine(tmp_path)] == ["h"]


def test_initialize_writes_the_graph_and_import_event_writes_as_is(tmp_path):
    tf.train.get_or_create_global_step()
    g = tf.get_default_graph()
    writer = cs.create_file_writer(str(tmp_path))
    event = tf.summary.Event(step=12, wall_time=3.5)
    event.summary.value.add(tag="imported", simple_value=4.0)
    with writer.as_default():
        imp = cs.import_event(tf.constant(event.SerializeToString()))
        init = tf.global_variables_initializer()
        nodes = [op.name for op in g.get_operations()]
        with tf.Session() as sess:
            sess.run(init)
            cs.initialize(graph=g, session=sess)
            sess.run([imp, writer.flush()])
    recs = _mine(tmp_path)
    assert [(r[0], r[1]) for r in recs] == [(0, "graph"), (12, "simple_value")]
    graph_def = tf.GraphDef.FromString(recs[0][3])
    assert [n.name for n in graph_def.node] == nodes
    written = [e for e in tf.train.summary_iterator(_files(tmp_path)[0]) if e.step == 12]
    assert written[0].SerializeToString() == event.SerializeToString()


def test_bad_input_errors(tmp_path):
    tf.train.get_or_create_global_step()
    writer = cs.create_file_writer(str(tmp_path))
    with writer.as_default(), cs.always_record_summaries():
        with pytest.raises(ValueError, match=r"scalar\('v'\).*must be a scalar.*\[2\]"):
            cs.scalar("v", tf.constant([1.0, 2.0]))
        with pytest.raises(ValueError, match="must be a scalar"):
            cs.scalar("v", [[1.0]])
        with pytest.raises(TypeError, match="DataType string not in list"):
            cs.scalar("s", tf.constant("a"))
        with pytest.raises((TypeError, ValueError), match="int64"):
            cs.scalar("t", 1.0, step=tf.constant(3))
        with pytest.raises(TypeError, match=r"graph\(\) needs a tf.Tensor"):
            cs.graph(tf.GraphDef())
        nan = cs.histogram("h", tf.constant([1.0, np.nan]))
        flat = cs.image("img", tf.zeros([2, 2, 3]))
        garbage = cs.import_event(tf.constant(b"\xff\xff"))
        early = cs.scalar("early", 1.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.NotFoundError, match="logdir:.*does not exist.*init"):
            sess.run(early)  # the writer was not created yet
        sess.run(cs.summary_writer_initializer_op())
        with pytest.raises(tf.errors.InvalidArgumentError, match="Nan in summary histogram "
                           "for: h"):
            sess.run(nan)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"4-D with last dim 1, 3, "
                           r"or 4, not \[2,2,3\]"):
            sess.run(flat)
        with pytest.raises(tf.errors.DataLossError, match="Bad tf.Event"):
            sess.run(garbage)
    with pytest.raises(NotImplementedError, match="create_db_writer.*create_file_writer"):
        cs.create_db_writer("file:/tmp/x.sqlite")
    with pytest.raises(RuntimeError, match="No default tf.contrib.summary.SummaryWriter"):
        cs.initialize()
    with writer.as_default(), pytest.raises(ValueError, match="session must be passed"):
        cs.initialize()


def test_errors_match_tf(tmp_path):
    """The run-time errors TF gives for the same mistakes (class and message)."""
    tf1, tfs = _tf_summary()
    for lib, s, where in ((tf1, tfs, "tf"), (tf, cs, "mine")):
        g = lib.Graph()
        with g.as_default():
            lib.train.get_or_create_global_step()
            writer = s.create_file_writer(str(tmp_path / where))
            with writer.as_default(), s.always_record_summaries():
                nan = s.histogram("h", lib.constant([np.inf, 1.0]))
                early = s.scalar("x", 1.0)
            with lib.Session(graph=g) as sess:
                sess.run(lib.global_variables_initializer())
                with pytest.raises(lib.errors.NotFoundError, match="logdir:.*does not exist"):
                    sess.run(early)
                sess.run(s.summary_writer_initializer_op())
                with pytest.raises(lib.errors.InvalidArgumentError,
                                   match="Infinity in summary histogram for: h"):
                    sess.run(nan)


def test_writers_nest_and_eval_dir(tmp_path):
    a = cs.create_file_writer(str(tmp_path / "a"))
    b = cs.create_summary_file_writer(str(tmp_path / "b"))  # the deprecated alias
    assert isinstance(a, cs.SummaryWriter) and len(cs.summary_writer_initializer_op()) == 2
    with a.as_default():
        with b.as_default():
            assert cs._summary_state.writer is b
        assert cs._summary_state.writer is a
    assert cs._summary_state.writer is None
    assert cs.eval_dir("/m") == os.path.join("/m", "eval")
    assert cs.eval_dir("/m", "test") == os.path.join("/m", "eval_test")
    assert a._resource.op.get_attr("shared_name") in ("logdir:" + str(tmp_path / "a"),
                                                     b"logdir:" + str(tmp_path / "a").encode())


def _raw_program(lib, logdir):
    """The writer ops through ``lib.raw_ops``: raw Summary protos merged into one event at step
    3, a GraphDef at step 4."""
    first, second = tf.summary.Summary(), tf.summary.Summary()
    first.value.add(tag="a", simple_value=1.0)
    second.value.add(tag="b", simple_value=2.0)
    graph_def = tf.GraphDef()
    graph_def.node.add(name="n", op="NoOp")
    r = lib.raw_ops
    g = lib.Graph()
    with g.as_default():
        w = r.SummaryWriter(shared_name="raw", container="")
        create = r.CreateSummaryFileWriter(writer=w, logdir=str(logdir), max_queue=10,
                                           flush_millis=10 ** 7, filename_suffix=".raw")
        raw = r.WriteRawProtoSummary(writer=w, step=lib.constant(3, lib.int64), tensor=lib.constant(
            [first.SerializeToString(), second.SerializeToString()]))
        graph = r.WriteGraphSummary(writer=w, step=lib.constant(4, lib.int64),
                                    tensor=lib.constant(graph_def.SerializeToString()))
        close = r.CloseSummaryWriter(writer=w)
        with lib.Session(graph=g) as sess:
            sess.run(create)
            sess.run(raw)
            sess.run(graph)
            sess.run(close)
    return graph_def


def test_raw_proto_and_graph_summaries(tmp_path):
    graph_def = _raw_program(tf, tmp_path)
    assert len(_files(tmp_path)) == 1 and _files(tmp_path)[0].endswith(".raw")
    events = [e for e in tf.train.summary_iterator(_files(tmp_path)[0]) if e.step]
    assert [(e.step, [(v.tag, v.simple_value) for v in e.summary.value]) for e in events] == [
        (3, [("a", 1.0), ("b", 2.0)]), (4, [])]  # both protos' values in one event
    assert events[1].graph_def == graph_def.SerializeToString()
    w = tf.raw_ops.SummaryWriter()
    bad = tf.raw_ops.WriteRawProtoSummary(writer=w, step=tf.constant(0, tf.int64),
                                          tensor=tf.constant([b"\x0a\x05"]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.NotFoundError, match="SummaryWriter.*does not exist"):
            sess.run(bad)  # the writer is looked up first
        sess.run(tf.raw_ops.CreateSummaryFileWriter(
            writer=w, logdir=str(tmp_path / "bad"), max_queue=1, flush_millis=1,
            filename_suffix=""))
        with pytest.raises(tf.errors.DataLossError, match="Summary binary proto.*index 0"):
            sess.run(bad)


def test_raw_proto_and_graph_summaries_match_tf(tmp_path):
    tf1 = tf1_or_skip()
    _raw_program(tf1, tmp_path / "tf")
    _raw_program(tf, tmp_path / "mine")
    theirs = _by_tf(tmp_path / "tf")
    assert len(theirs) == 3
    assert _mine(tmp_path / "mine") == theirs
    assert _by_tf(tmp_path / "mine") == theirs


def test_graph_def_runs_in_tf(tmp_path):
    """minitf's graph (the writer resource, the conds, the write ops) exported and run by TF
    writes what minitf writes."""
    tf1 = tf1_or_skip()
    logdir = {"mine": str(tmp_path / "mine"), "tf": str(tmp_path / "tf")}
    for who in ("mine", "tf"):
        g = tf.Graph()
        with g.as_default():
            step = tf.train.get_or_create_global_step()
            tf.assign_add(step, 1, name="inc")
            writer = cs.create_file_writer(logdir[who], max_queue=1000)
            with writer.as_default(), cs.record_summaries_every_n_global_steps(2, step):
                cs.scalar("loss", tf.cast(step, tf.float32) * 2.0)
                cs.histogram("h", [1.0, 2.0])
            fetches = [t.name for t in cs.all_summary_ops()]
            flush = writer.flush().name
            tf.global_variables_initializer()
        lib, graph = (tf, g) if who == "mine" else (tf1, tf1.Graph())
        if who == "tf":
            with graph.as_default():
                tf1.import_graph_def(tf1.GraphDef.FromString(
                    g.as_graph_def().SerializeToString()), name="")
        with lib.Session(graph=graph) as sess:
            sess.run(["init", "CreateSummaryFileWriter"])
            for _ in range(4):
                sess.run(fetches)
                sess.run("inc")
            sess.run(flush)
    theirs = _by_tf(logdir["tf"])
    assert [(r[0], r[2]) for r in theirs] == [(0, "h"), (0, "loss"), (2, "h"), (2, "loss")]
    assert _mine(logdir["mine"]) == theirs


# -- one writer per shared name; writes, flushes and closes from several threads ------------------
def _same_logdir_twice(lib, s, logdir):
    """Two create_file_writer(logdir) in one graph and session (TF names both resources
    "logdir:<logdir>"), each writing one scalar; closing the first closes the second."""
    g = lib.Graph()
    with g.as_default():
        lib.train.get_or_create_global_step()
        w1 = s.create_file_writer(str(logdir))
        w2 = s.create_file_writer(str(logdir))
        with w1.as_default(), s.always_record_summaries():
            a = s.scalar("a", 1.0)
        with w2.as_default(), s.always_record_summaries():
            b = s.scalar("b", 2.0)
        with lib.Session(graph=g) as sess:
            sess.run(lib.global_variables_initializer())
            sess.run([w1.init(), w2.init()])
            sess.run([a, b])
            sess.run([w1.flush(), w2.flush()])
            sess.run(w1.close())
            with pytest.raises(lib.errors.NotFoundError, match="logdir:.*does not exist"):
                sess.run(b)


def test_writers_of_one_logdir_share_one_event_file(tmp_path):
    _same_logdir_twice(tf, cs, tmp_path)
    assert len(_files(tmp_path)) == 1
    assert [(r[0], r[2]) for r in _mine(tmp_path)] == [(0, "a"), (0, "b")]


def test_writers_of_one_logdir_share_one_event_file_as_in_tf(tmp_path):
    tf1, tfs = _tf_summary()
    _same_logdir_twice(tf1, tfs, tmp_path / "tf")
    _same_logdir_twice(tf, cs, tmp_path / "mine")
    assert len(_files(tmp_path / "mine")) == len(_files(tmp_path / "tf")) == 1
    assert _mine(tmp_path / "mine") == _by_tf(tmp_path / "tf")


def _two_raw_writers(lib, tmp, shared_names, containers):
    """Two SummaryWriter ops created on two log directories; then the first is closed and the
    second written to. (event files per directory, what the write did)."""
    dirs = [str(tmp / "1"), str(tmp / "2")]
    g = lib.Graph()
    with g.as_default():
        handles = [lib.raw_ops.SummaryWriter(shared_name=n, container=c)
                   for n, c in zip(shared_names, containers)]
        inits = [lib.raw_ops.CreateSummaryFileWriter(
            writer=h, logdir=d, max_queue=10, flush_millis=1000, filename_suffix=".v2")
            for h, d in zip(handles, dirs)]
        write = lib.raw_ops.WriteScalarSummary(writer=handles[1], step=lib.constant(0, lib.int64),
                                               tag="t", value=1.0)
        close = lib.raw_ops.CloseSummaryWriter(writer=handles[0])
        with lib.Session(graph=g) as sess:
            sess.run(inits[0])
            sess.run(inits[1])  # a no-op when the resource is the first one
            files = [len(_files(d)) for d in dirs]
            sess.run(close)
            try:
                sess.run(write)
                after = "written"
            except lib.errors.NotFoundError:
                after = "NotFoundError"
    return files, after


_SHARING = [  # (shared names, containers), and whether TF's ResourceMgr gives one resource
    (("", ""), ("", ""), True),  # TF's ResourceHandleOp names both ""
    (("x", "x"), ("", ""), True),
    (("x", "y"), ("", ""), False),
    (("x", "x"), ("a", "b"), False),
    (("x", "x"), ("a", "a"), True),
]


@pytest.mark.parametrize("names,containers,shared", _SHARING)
def test_summary_writer_ops_share_by_container_and_shared_name(tmp_path, names, containers,
                                                                shared):
    assert _two_raw_writers(tf, tmp_path, names, containers) == (
        ([1, 0], "NotFoundError") if shared else ([1, 1], "written"))


@pytest.mark.parametrize("names,containers,shared", _SHARING)
def test_summary_writer_ops_share_as_in_tf(tmp_path, names, containers, shared):
    tf1 = tf1_or_skip()
    theirs = _two_raw_writers(tf1, tmp_path / "tf", names, containers)
    assert _two_raw_writers(tf, tmp_path / "mine", names, containers) == theirs


def test_writes_and_flushes_racing_close_neither_hang_nor_get_lost(tmp_path):
    """Summary and flush ops run in three threads while a fourth closes and re-creates the
    writer: every run ends, and each write that succeeded is in an event file (a write either
    precedes the close, which flushes it, or fails with NotFoundError)."""
    tf.train.get_or_create_global_step()
    writer = cs.create_file_writer(str(tmp_path), max_queue=1, flush_millis=10 ** 7)
    with writer.as_default(), cs.always_record_summaries():
        ops = [cs.scalar(f"a{i}", float(i)) for i in range(3)]
    flush, close, init = writer.flush(), writer.close(), writer.init()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    sess.run(init)
    stop = time.monotonic() + 2.0
    written, unexpected = [], []

    def loop(fetches, count):
        while time.monotonic() < stop:
            for f in fetches:
                try:
                    sess.run(f)
                    if count and f is not flush:
                        written.append(f)
                except tf.errors.NotFoundError:
                    pass  # closed: TF deleted the resource
                except Exception as e:  # noqa: BLE001 - collected for the assertion
                    unexpected.append(e)

    threads = [threading.Thread(target=loop, args=(ops + [flush], True), daemon=True)
               for _ in range(3)]
    threads.append(threading.Thread(target=loop, args=([close, init], False), daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} thread(s) stuck in a summary-writer op"
    assert unexpected == []
    sess.close()  # closes the last writer, flushing it
    assert len(written) > 0 and len(_files(tmp_path)) > 1
    assert len(_mine(tmp_path)) == len(written)
