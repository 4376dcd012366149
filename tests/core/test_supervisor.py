"""tf.train.Supervisor and tf.train.SessionManager as TF1 programs use them: the classic
``managed_session`` loop ending on OutOfRangeError, checkpoints and event files in logdir,
restore-or-init, the services and their threads, stopping from another thread, errors, and
the same programs against real TensorFlow where it is installed."""

from __future__ import annotations

import glob
import importlib.util
import os
import subprocess
import sys
import threading
import time

import pytest

import minitf as tf
from minitf.errors import DeadlineExceededError, OutOfRangeError, UnimplementedError
from minitf.export.events import summary_iterator

FAST = 0.05  # service interval (seconds): the services run a few times per test


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _model(n_inputs=None):
    """w trained towards 3; x from a Dataset of ``n_inputs`` elements (then OutOfRangeError),
    or a constant. Returns (w, loss, train)."""
    step = tf.train.get_or_create_global_step()
    if n_inputs is None:
        x = tf.constant(1.0)
    else:
        ds = tf.data.Dataset.range(n_inputs).map(lambda i: tf.cast(i * 0 + 1, tf.float32))
        x = tf.data.make_one_shot_iterator(ds).get_next()
    w = tf.Variable(0.0, name="w")
    loss = tf.square(w * x - 3.0, name="loss")
    tf.summary.scalar("train_loss", tf.square(w - 3.0))  # reads no input (a run would use one)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return w, loss, train


def _events(logdir):
    """[(step, kind, detail)] of every event file in logdir, oldest file first."""
    out = []
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for e in summary_iterator(path):
            kind = e.WhichOneof("what")
            detail = None
            if kind == "summary":
                detail = tuple(v.tag for v in e.summary.value)
            elif kind == "session_log":
                detail = ("", "START", "STOP", "CHECKPOINT")[e.session_log.status]
            out.append((e.step, kind, detail))
    return out


def _wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_classic_loop_trains_checkpoints_and_stops_on_out_of_range(tmp_path):
    w, loss, train = _model(n_inputs=60)
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=FAST,
                             save_summaries_secs=FAST)
    assert tf.get_default_graph().finalized
    steps, deadline = 0, time.monotonic() + 30
    with sv.managed_session() as sess:
        while not sv.should_stop():
            _, at = sess.run([train, sv.global_step])
            steps += 1
            time.sleep(0.002)  # leave the services a few ticks
            assert time.monotonic() < deadline
    assert at == steps == 60 and sv.should_stop()
    with pytest.raises(RuntimeError, match="closed"):
        sess.run(loss)  # managed_session closed it
    # The checkpoint service saved from step 0 on; nothing extra at exit (as TF).
    paths = tf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths
    assert 1 <= len(paths) <= 5 and all(tf.train.checkpoint_exists(p) for p in paths)
    last = tf.train.latest_checkpoint(str(tmp_path))
    assert int(last.rsplit("-", 1)[1]) <= 60
    assert abs(tf.train.load_variable(last, "w") - 3.0) < 3.0
    assert os.path.exists(tmp_path / "graph.pbtxt")
    events = _events(str(tmp_path))
    assert [k for _, k, _ in events[:4]] == ["file_version", "graph_def", "meta_graph_def",
                                            "session_log"]
    assert events[3][2] == "START" and events[-1][1:] == ("session_log", "STOP")
    details = [d for _, _, d in events]
    assert ("train_loss",) in details and ("global_step/sec",) in details
    assert "CHECKPOINT" in details
    assert max(s for s, _, _ in events) <= 60


def test_queue_runners_start_and_end_the_loop(tmp_path):
    # limit_epochs keeps a local variable: the default local_init_op initializes it.
    queue = tf.train.input_producer(tf.constant([1.0, 2.0, 3.0]), num_epochs=2, shuffle=False)
    x = queue.dequeue()
    total = tf.Variable(0.0, name="total")
    add = tf.assign_add(total, x)
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0)
    seen = []
    with sv.managed_session() as sess:
        while not sv.should_stop():
            seen.append(float(sess.run(add)))
            assert len(seen) <= 6
    assert seen == [1.0, 3.0, 6.0, 7.0, 9.0, 12.0]
    assert not [t for t in threading.enumerate() if t.name.startswith("QueueRunnerThread")]


def test_restores_from_the_latest_checkpoint_instead_of_initializing(tmp_path):
    w, _, train = _model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0)
    with sv.managed_session() as sess:
        for _ in range(5):
            sess.run(train)
        trained = sess.run(w)
        sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
    assert sv.save_path == os.path.join(str(tmp_path), "model.ckpt")

    with tf.Graph().as_default():
        w, _, train = _model()
        calls = []
        sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0,
                                 save_summaries_secs=0, init_fn=calls.append)
        with sv.managed_session() as sess:
            assert sess.run([w, sv.global_step]) == [trained, 5]
        assert calls == []  # neither init_op nor init_fn ran
    # TF's checkpoint format, as TF's Supervisor writes it (so TF resumes the directory too).
    assert sorted(os.listdir(tmp_path)).count("model.ckpt-5.index") == 1


def test_init_fn_runs_after_init_op_with_the_init_feed_dict():
    p = tf.placeholder(tf.float32, [], name="p")
    v = tf.Variable(p, name="v")
    u = tf.Variable(1.0, name="u")
    set_u = tf.assign(u, v * 2)  # built before the Supervisor finalizes the graph
    order = []

    def init_fn(sess):
        order.append(float(sess.run(v)))
        sess.run(set_u)

    sv = tf.train.Supervisor(init_feed_dict={p: 7.0}, init_fn=init_fn)
    assert sv.init_feed_dict == {p: 7.0}
    with sv.managed_session() as sess:
        assert sess.run([v, u]) == [7.0, 14.0]
    assert order == [7.0]

    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        set_v = tf.assign(v, 5.0).op
        sv = tf.train.Supervisor(init_op=None, init_fn=lambda s: s.run(set_v))
        assert sv.init_op is None
        with sv.managed_session() as sess:  # init_fn alone makes the model ready
            assert sess.run(v) == 5.0


def test_no_services_without_logdir():
    _, _, train = _model()
    sv = tf.train.Supervisor(logdir=None)
    assert sv.summary_writer is None and sv.save_path is None
    with sv.managed_session() as sess:
        assert sv.start_standard_services(sess) is None
        sess.run(train)
        with pytest.raises(RuntimeError, match="requires a summary writer"):
            sv.summary_computed(sess, b"")
    assert not [t for t in threading.enumerate() if isinstance(t, tf.train.LooperThread)]


def test_zero_secs_disable_the_services(tmp_path):
    _, _, train = _model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0)
    with sv.managed_session(start_standard_services=False) as sess:
        assert sv.start_standard_services(sess) == []
        sess.run(train)
        sess.run(train)
        sv.summary_computed(sess, sess.run(sv.summary_op))
    assert not glob.glob(str(tmp_path / "model.ckpt*"))
    assert [(s, k, d) for s, k, d in _events(str(tmp_path))][1:] == [
        (0, "graph_def", None), (0, "meta_graph_def", None), (0, "session_log", "START"),
        (2, "summary", ("train_loss",)), (0, "session_log", "STOP")]


def test_loop_calls_the_target_until_stop():
    tf.Variable(0.0)
    sv = tf.train.Supervisor()
    calls, enough = [], threading.Event()

    def tick(a, b=None):
        calls.append((a, b))
        if len(calls) >= 3:
            enough.set()

    with sv.managed_session():
        looper = sv.loop(0.01, tick, args=(1,), kwargs={"b": 2})
        assert enough.wait(5)
    assert not looper.is_alive()  # stop() joined it
    assert calls[0] == (1, 2)
    with pytest.raises(ValueError, match="require that you also pass 'target'"):
        tf.train.LooperThread(sv.coord, 1, args=(1,))
    with pytest.raises(ValueError, match="must be a Coordinator"):
        tf.train.LooperThread(None, 1)


def test_request_stop_from_another_thread():
    _, _, train = _model()
    sv = tf.train.Supervisor()
    waited = threading.Event()

    def watcher():
        sv.wait_for_stop()
        waited.set()

    with sv.managed_session() as sess:
        threading.Thread(target=watcher, daemon=True).start()
        stopper = threading.Timer(0.05, sv.coord.request_stop)
        stopper.start()
        deadline = time.monotonic() + 5
        while not sv.should_stop():
            sess.run(train)
            assert time.monotonic() < deadline
    assert waited.wait(5)


def test_errors_propagate_after_the_session_is_closed():
    _, loss, _ = _model()
    sv = tf.train.Supervisor()
    with pytest.raises(ValueError, match="boom"):
        with sv.managed_session() as sess:
            raise ValueError("boom")
    assert sv.should_stop()
    with pytest.raises(RuntimeError, match="closed"):
        sess.run(loss)

    # A failing service thread stops the loop; its exception leaves the block.
    with pytest.raises(KeyError, match="service"):
        with sv.managed_session() as sess:
            assert not sv.should_stop()  # cleared for the new session

            def fail():
                raise KeyError("service")

            sv.loop(0.01, fail)
            _wait_until(sv.should_stop)

    with sv.managed_session() as sess:  # OutOfRangeError ends the block cleanly
        raise OutOfRangeError(None, None, "End of sequence")

    with pytest.raises(UnimplementedError, match="one process"):
        with sv.managed_session("grpc://localhost:2222"):
            pass


def test_threads_ignoring_the_stop_fail_after_the_grace_period():
    tf.Variable(0.0)
    sv = tf.train.Supervisor(stop_grace_secs=0.05)
    release = threading.Event()
    stuck = threading.Thread(target=release.wait, args=(5,), name="stuck", daemon=True)
    try:
        with pytest.raises(RuntimeError, match="threads still running: stuck"):
            with sv.managed_session():
                sv.coord.register_thread(stuck)
                stuck.start()
    finally:
        release.set()


def test_use_default_and_none():
    assert tf.train.Supervisor.USE_DEFAULT == 0
    _, loss, _ = _model()
    sv = tf.train.Supervisor()
    g = tf.get_default_graph()
    assert sv.init_op is g.get_collection(tf.GraphKeys.INIT_OP)[0]
    assert sv.ready_op is g.get_collection(tf.GraphKeys.READY_OP)[0]
    assert sv.saver is g.get_collection(tf.GraphKeys.SAVERS)[0]
    assert sv.summary_op is g.get_collection(tf.GraphKeys.SUMMARY_OP)[0]
    assert sv.global_step.name == "global_step:0"
    assert sv.ready_for_local_init_op is None and sv.is_chief
    assert g.get_collection(tf.GraphKeys.LOCAL_INIT_OP)[0].type == "NoOp"
    assert isinstance(sv.session_manager, tf.train.SessionManager)
    assert isinstance(sv.coord, tf.train.Coordinator)
    assert (sv.save_model_secs, sv.save_summaries_secs) == (600, 120)
    # A second Supervisor on the graph takes the same ops from the collections.
    again = tf.train.Supervisor(graph=g)
    assert (again.init_op, again.saver, again.summary_op) == (sv.init_op, sv.saver,
                                                              sv.summary_op)

    with tf.Graph().as_default():
        tf.Variable(0.0, name="v")
        tf.Variable(0, name="global_step", dtype=tf.float32)  # not an integer: no step
        sv = tf.train.Supervisor(ready_op=None, init_op=None, saver=None, summary_op=None,
                                 local_init_op=None, init_fn=lambda s: None)
        assert (sv.ready_op, sv.init_op, sv.saver, sv.summary_op, sv.global_step) == \
            (None, None, None, None, None)
        with sv.managed_session():  # nothing checks readiness
            pass

    with tf.Graph().as_default():  # no variables: no saver, no summaries
        tf.constant(1.0)
        sv = tf.train.Supervisor()
        assert sv.saver is None and sv.summary_op is None and sv.global_step is None


def test_session_manager_messages_and_recovery(tmp_path):
    v = tf.Variable(1.0, name="v")
    ready = tf.report_uninitialized_variables()
    init = tf.global_variables_initializer()
    saver = tf.train.Saver()
    sm = tf.train.SessionManager(ready_op=ready)
    with pytest.raises(RuntimeError, match="^Model is not initialized and no init_op or "
                       "init_fn or local_init_op was given$"):
        sm.prepare_session("")
    seen = []

    def init_fn(sess):
        seen.append(sess)

    with pytest.raises(RuntimeError, match=r"^Init operations did not make model ready\.  "
                       r"Init op: None, init fn: <function.*, local_init_op: None, "
                       r"error: Variables not initialized: v$"):
        sm.prepare_session("", init_fn=init_fn)
    assert seen[0]._closed  # the session that failed to get ready is closed, not leaked
    sess, restored = sm.recover_session("", saver=saver, checkpoint_dir=str(tmp_path))
    assert not restored
    sess = sm.prepare_session("", init_op=init, saver=saver, checkpoint_dir=str(tmp_path))
    saver.save(sess, str(tmp_path / "m"), global_step=3)
    sess, restored = sm.recover_session("", saver=saver, checkpoint_dir=str(tmp_path))
    assert restored and sess.run(v) == 1.0
    sess, restored = sm.recover_session(
        "", saver=saver, checkpoint_filename_with_path=str(tmp_path / "m-3"))
    assert restored
    with pytest.raises(ValueError, match="Can not provide both checkpoint_dir"):
        sm.recover_session("", saver, str(tmp_path), str(tmp_path / "m-3"))
    with pytest.raises(DeadlineExceededError, match="not ready after waiting 0 secs.*v"):
        sm.wait_for_session("", max_wait_secs=0)
    # A local init op that makes the model ready: waiting succeeds at once.
    assert tf.train.SessionManager(local_init_op=init, ready_op=ready).wait_for_session("")
    with pytest.raises(ValueError, match="you must also pass a local_init_op"):
        tf.train.SessionManager(ready_for_local_init_op=ready)
    with pytest.raises(RuntimeError, match="ready for local_init.*Variables not init"):
        tf.train.SessionManager(local_init_op=tf.no_op(), ready_for_local_init_op=ready,
                                ready_op=ready).prepare_session("", init_fn=lambda s: None)
    with pytest.raises(UnimplementedError, match="one process"):
        sm.prepare_session("local", init_op=init)


def test_non_chief_writes_nothing_and_cannot_wait_for_a_chief(tmp_path):
    _model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), is_chief=False)
    assert (sv.is_chief, sv.save_path, sv.summary_writer, sv.save_model_secs) == \
        (False, None, None, None)
    assert not os.listdir(tmp_path)
    with pytest.raises(RuntimeError, match="Only chief supervisor"):
        sv.start_standard_services(None)
    with pytest.raises(DeadlineExceededError, match="sessions do not share variables"):
        with sv.managed_session():
            pass
    with tf.Graph().as_default():  # nothing to initialize: a worker's session is ready
        c = tf.constant(2.0)
        sv = tf.train.Supervisor(logdir=str(tmp_path), is_chief=False)
        with sv.managed_session() as sess:
            assert sess.run(c) == 2.0


def test_summary_computed_uses_the_current_step(tmp_path):
    _, loss, train = _model()
    sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, summary_op=None)
    assert sv.summary_op is None
    with sv.managed_session() as sess:
        for _ in range(3):
            sess.run(train)
        summary = sess.run(tf.get_collection(tf.GraphKeys.SUMMARIES)[0])
        sv.summary_computed(sess, summary)
        sv.summary_computed(sess, summary, global_step=10)
        # The step counter still runs (save_summaries_secs is set): its tag is
        # global_step/sec. Its thread writes once at start, so wait for it (a loaded machine
        # can reach the end of the session first, and a stopped looper writes nothing).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sv.summary_writer.flush()
            if ("global_step/sec",) in [d for _, _, d in _events(str(tmp_path))]:
                break
            time.sleep(0.05)
    steps = [s for s, k, d in _events(str(tmp_path)) if d == ("train_loss",)]
    assert steps == [3, 10]
    assert ("global_step/sec",) in [d for _, _, d in _events(str(tmp_path))]


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")
def test_against_tensorflow():
    """The same Supervisor programs in minitf and tf.compat.v1: defaults, messages, event
    kinds, checkpoints each side restores from the other's logdir (skipped without TF)."""
    script = os.path.join(os.path.dirname(__file__), "data", "supervisor_vs_tf.py")
    done = subprocess.run([sys.executable, script], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    assert "ALL OK" in done.stdout, done.stdout
