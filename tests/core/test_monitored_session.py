"""tf.train.MonitoredTrainingSession, its hooks, Scaffold and Coordinator, as TF1 training
scripts use them: restore-or-initialise, stop at a step, checkpoints and summaries on a
schedule, hooks adding fetches and feeds, OutOfRangeError ending the ``with`` block."""

from __future__ import annotations

import glob
import os
import re
import threading

import numpy as np
import pytest

import minitf as tf
from minitf.errors import OutOfRangeError, UnimplementedError
from minitf.export.events import summary_iterator


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g
    tf.summary.FileWriterCache.clear()


def _model():
    """y = w * x, w from 0, trained towards 3 by GradientDescent; returns (x, loss, train)."""
    step = tf.train.get_or_create_global_step()
    x = tf.placeholder(tf.float32, [None], name="x")
    w = tf.Variable(0.0, name="w")
    loss = tf.reduce_mean(tf.square(w * x - 3.0 * x), name="loss")
    tf.summary.scalar("train_loss", loss)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return x, w, loss, train


class Recorder(tf.train.SessionRunHook):
    """Records every call, adds a fetch and a feed."""

    def __init__(self, fetch=None, feed=None):
        self.calls, self.results, self.fetch, self.feed = [], [], fetch, feed

    def begin(self):
        self.calls.append("begin")

    def after_create_session(self, session, coord):
        self.calls.append("after_create_session")
        assert isinstance(coord, tf.train.Coordinator)
        assert session.graph.finalized

    def before_run(self, run_context):
        self.calls.append("before_run")
        assert run_context.original_args.fetches is not None
        return tf.train.SessionRunArgs(self.fetch, self.feed)

    def after_run(self, run_context, run_values):
        self.calls.append("after_run")
        self.results.append(run_values.results)

    def end(self, session):
        self.calls.append("end")


def test_stop_at_step_checkpoints_and_restore(tmp_path):
    x, w, loss, train = _model()
    feed = {x: np.array([1.0, 2.0], np.float32)}
    step = tf.train.get_global_step()
    rec = Recorder(fetch=step)
    runs = 0
    with tf.train.MonitoredTrainingSession(
            checkpoint_dir=str(tmp_path), save_checkpoint_steps=3, save_summaries_steps=2,
            hooks=[tf.train.StopAtStepHook(last_step=7), rec]) as sess:
        while not sess.should_stop():
            sess.run(train, feed_dict=feed)
            runs += 1
    assert runs == 7
    # The hook saw each run's global step (as fetched with the train op that increments it:
    # TF1 leaves open whether before or after; minitf reads it after), and every call in order.
    assert all(r in (k, k + 1) for k, r in enumerate(rec.results)), rec.results
    assert rec.calls == ["begin", "after_create_session"] + ["before_run", "after_run"] * 7 + \
        ["end"]
    # Checkpoints at creation (0), every 3 steps, and at the end (7); the Saver keeps 5.
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-7")
    # TF's checkpoint format (the default Scaffold's Saver, as TF's): TF resumes the directory.
    saved = sorted(int(p.rsplit("-", 1)[1].split(".")[0])
                   for p in glob.glob(str(tmp_path / "model.ckpt-*.index")))
    assert saved == [0, 3, 6, 7]
    assert not glob.glob(str(tmp_path / "model.ckpt-*.npz"))
    assert os.path.exists(tmp_path / "graph.pbtxt")
    # Gradient descent by hand: w <- w - 0.1 * mean(2 (w - 3) x^2) = w - 0.5 (w - 3).
    want = 0.0
    for _ in range(7):
        want -= 0.5 * (want - 3.0)
    assert tf.train.load_variable(str(tmp_path), "w") == pytest.approx(want, rel=1e-6)
    # Summaries on the first run and every 2 steps after, each at the global step read with
    # its run (after the increment, as above); the graph is in the event file too.
    events = [e for f in glob.glob(str(tmp_path / "events.out.tfevents.*"))
              for e in summary_iterator(f)]
    loss_steps = sorted(e.step for e in events if e.HasField("summary")
                        for v in e.summary.value if v.tag == "train_loss")
    assert loss_steps == [1, 3, 5, 7]
    assert any(e.HasField("graph_def") for e in events)

    # A second session restores step 7 and w, and num_steps counts from there.
    final = tf.train.FinalOpsHook(step)
    with tf.train.MonitoredTrainingSession(
            checkpoint_dir=str(tmp_path), save_checkpoint_secs=None, save_checkpoint_steps=None,
            save_summaries_steps=None,
            hooks=[tf.train.StopAtStepHook(num_steps=2), final]) as sess:
        assert sess.run(step) == 7
        assert sess.run(w) == pytest.approx(want, rel=1e-6)
        while not sess.should_stop():
            sess.run(train, feed_dict=feed)
    assert final.final_ops_values == 9
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-7")  # none saved


def test_hooks_add_fetches_and_feeds_and_conflicts_are_errors():
    x, w, loss, train = _model()
    extra = tf.placeholder(tf.float32, [], name="extra")
    doubled = extra * 2.0
    rec = Recorder(fetch={"d": doubled, "l": loss},
                   feed={extra: np.float32(4.0), x: np.array([1.0], np.float32)})
    with tf.train.MonitoredSession(hooks=[rec]) as sess:
        assert sess.run(w) == 0.0
        assert rec.results[-1]["d"] == 8.0 and rec.results[-1]["l"] == pytest.approx(9.0)
        with pytest.raises(RuntimeError, match="fed by a SessionRunHook and user"):
            sess.run(loss, feed_dict={x: np.array([2.0], np.float32)})
    fed = tf.train.FeedFnHook(lambda: {extra: np.float32(1.0)})
    with tf.train.MonitoredSession(hooks=[fed, tf.train.FeedFnHook(lambda: {extra: 2.0})]) \
            as sess:
        with pytest.raises(RuntimeError, match="fed by two hooks"):
            sess.run(doubled)


def test_out_of_range_ends_the_with_block_and_other_errors_propagate():
    data = tf.constant([1.0, 2.0])
    i = tf.Variable(0, name="i")
    # An input that runs out after two elements, as an exhausted tf.data iterator does.
    take = tf.gather(data, tf.assign_add(i, 1) - 1)
    ends, got = [], []

    class End(tf.train.SessionRunHook):
        def end(self, session):
            ends.append(True)

    with tf.train.MonitoredSession(hooks=[End()]) as sess:
        for _ in range(5):
            if sess.run(i) >= 2:
                raise OutOfRangeError(None, None, "End of sequence")
            got.append(sess.run(take))
    assert got == [1.0, 2.0] and ends == [True]  # a clean end: hooks' end ran
    with pytest.raises(ValueError, match="boom"):
        with tf.train.MonitoredSession(hooks=[End()]):
            raise ValueError("boom")
    assert ends == [True]  # not after an error, as in TF


def test_nan_logging_final_ops_and_step_fn(caplog):
    x, w, loss, train = _model()
    nan = tf.placeholder(tf.float32, [], name="nan")
    final = tf.train.FinalOpsHook(w * 10.0)  # (the first session finalizes the graph)
    with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(nan)]) as sess:
        sess.run(w, feed_dict={nan: 1.0})
        with pytest.raises(tf.train.NanLossDuringTrainingError, match="NaN loss"):
            sess.run(w, feed_dict={nan: np.nan})
    stop = tf.train.NanTensorHook(nan, fail_on_nan_loss=False)
    with tf.train.MonitoredSession(hooks=[stop]) as sess:
        sess.run(w, feed_dict={nan: np.nan})
        assert sess.should_stop()
    logged = tf.train.LoggingTensorHook({"w": w, "step": "global_step:0"}, every_n_iter=2)
    with caplog.at_level("INFO", logger="minitf"):
        with tf.train.MonitoredSession(hooks=[final, logged]) as sess:
            for _ in range(3):
                sess.run(train, feed_dict={x: np.array([1.0], np.float32)})

            def step_fn(ctx):
                ctx.request_stop()
                return ctx.run_with_hooks(w) + ctx.session.run(w)

            # w <- w - 0.2 (w - 3): 0.6, 1.08, 1.464
            assert sess.run_step_fn(step_fn) == pytest.approx(2 * 1.464)
            assert sess.should_stop()
    assert final.final_ops_values == pytest.approx(14.64)
    # Every second run (the first, the third), the values read with the train op (updated).
    # After the first, TF's seconds since the last line follow.
    lines = [r.getMessage() for r in caplog.records if "step = " in r.getMessage()]
    assert len(lines) == 2 and lines[0] == f"step = 1, w = {np.float32(0.6)}"
    assert re.fullmatch(rf"step = 3, w = {np.float32(1.464)} \(\d+\.\d{{3}} sec\)", lines[1])


def test_scaffold_and_argument_errors(tmp_path):
    w = tf.Variable(1.0, name="w")
    seen = []
    scaffold = tf.train.Scaffold(init_fn=lambda scaffold, sess: seen.append(sess.run(w)))
    with tf.train.SingularMonitoredSession(scaffold=scaffold) as sess:
        assert seen == [1.0] and sess.raw_session().run(w) == 1.0
        assert tf.get_default_graph().finalized
    assert not tf.get_default_graph().finalized
    with pytest.raises(RuntimeError, match="Global step should be created to use "
                                           "StopAtStepHook"):
        tf.train.StopAtStepHook(num_steps=1).begin()
    with pytest.raises(ValueError, match="Exactly one of num_steps or last_step"):
        tf.train.StopAtStepHook()
    with pytest.raises(ValueError, match="every_secs or every_steps"):
        tf.train.SecondOrStepTimer()
    with pytest.raises(UnimplementedError, match="one process"):
        tf.train.MonitoredTrainingSession(master="grpc://localhost:2222")
    with pytest.raises(UnimplementedError, match="is_chief=False"):
        tf.train.MonitoredTrainingSession(is_chief=False)
    with tf.Graph().as_default():
        tf.Variable(1.0, name="v")
        never = tf.train.Scaffold(init_op=tf.no_op())
        with pytest.raises(RuntimeError, match="did not make model ready.*: v"):
            tf.train.MonitoredSession(tf.train.ChiefSessionCreator(scaffold=never))


def test_coordinator_stops_threads_and_reraises():
    coord = tf.train.Coordinator()
    seen = []

    def worker(n):
        with coord.stop_on_exception():
            while not coord.should_stop():
                if n == 1:
                    raise ValueError("worker 1 failed")
                coord.wait_for_stop(0.01)
            seen.append(n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    with pytest.raises(ValueError, match="worker 1 failed"):
        coord.join(threads, stop_grace_period_secs=10)
    assert sorted(seen) == [0, 2] and coord.joined
    clean = tf.train.Coordinator()
    clean.request_stop(OutOfRangeError(None, None, "done"))  # a clean stop type
    clean.join([])
    assert clean.should_stop()


def test_closing_unfinalizes_the_graph_and_no_run_after_a_stop(caplog):
    x, w, loss, train = _model()
    feed = {x: np.array([1.0], np.float32)}
    with tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(last_step=1)]) as sess:
        assert tf.get_default_graph().finalized
        sess.run(train, feed_dict=feed)
        assert sess.should_stop()
        with pytest.raises(RuntimeError, match="Run called even after should_stop requested"):
            sess.run(train, feed_dict=feed)
    assert not tf.get_default_graph().finalized  # TF gives it back: eval ops can follow
    doubled = w * 2.0
    formatted = []
    hook = tf.train.LoggingTensorHook([doubled, "loss:0"], every_n_iter=1,
                                      formatter=lambda values: formatted.append(values) or "")
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        assert sess.run(doubled, feed_dict=feed) == 0.0  # a new session: w from 0 again
        with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
            sess.close()
            sess.run(doubled)
    # A list's items are the formatter's keys, as in TF.
    assert set(formatted[0]) == {doubled, "loss:0"}
    tf.get_default_graph().finalize()
    with tf.train.MonitoredSession():
        pass
    assert tf.get_default_graph().finalized  # finalized before: stays so


def test_a_restarted_session_keeps_max_to_keep_over_earlier_checkpoints(tmp_path):
    """As TF's session manager, restoring hands the checkpoint state's earlier checkpoints to
    the saver: after a restart, max_to_keep deletes the oldest (it used to forget them)."""
    x, _, _, train = _model()
    feed = {x: np.array([1.0, 2.0], np.float32)}

    def run(last_step):
        scaffold = tf.train.Scaffold(saver=tf.train.Saver(max_to_keep=2))
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=str(tmp_path), scaffold=scaffold, save_checkpoint_steps=2,
                save_summaries_steps=None,
                hooks=[tf.train.StopAtStepHook(last_step=last_step)]) as sess:
            while not sess.should_stop():
                sess.run(train, feed_dict=feed)

    def saved():
        return sorted(int(p.rsplit("-", 1)[1].split(".")[0])
                      for p in glob.glob(str(tmp_path / "model.ckpt-*.npz")))

    run(4)
    assert saved() == [2, 4]
    run(8)
    assert saved() == [6, 8]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [p.rsplit("-", 1)[1] for p in state.all_model_checkpoint_paths] == ["6", "8"]


def test_coordinator_keeps_only_the_first_stops_exception():
    """As TF1's Coordinator: an exception reported after a stop was requested is dropped (the
    first one is what join raises); after join, one is raised where it is reported."""
    coord = tf.train.Coordinator()
    coord.request_stop()
    coord.request_stop(ValueError("late"))
    coord.join([])  # the stop carried no exception: nothing to raise
    coord = tf.train.Coordinator()
    coord.request_stop(ValueError("first"))
    coord.request_stop(KeyError("second"))
    with pytest.raises(ValueError, match="first"):
        coord.join([])
    with pytest.raises(KeyError, match="after join"):
        coord.request_stop(KeyError("after join"))


def _adam_toward(m, directory, last_step, target):
    """Trains w toward ``target`` with Adam in ``m`` (minitf or tf.compat.v1) under a
    MonitoredTrainingSession over ``directory``: resumes its checkpoint when there is one."""
    with m.Graph().as_default():
        step = m.train.get_or_create_global_step()
        w = m.get_variable("w", [2], initializer=m.constant_initializer([1.0, -1.0]))
        train = m.train.AdamOptimizer(0.1).minimize(m.reduce_sum(m.square(w - target)),
                                                    global_step=step)
        with m.train.MonitoredTrainingSession(
                checkpoint_dir=directory, save_checkpoint_steps=2, save_summaries_steps=None,
                save_summaries_secs=None, log_step_count_steps=None,
                hooks=[m.train.StopAtStepHook(last_step=last_step)]) as sess:
            while not sess.should_stop():
                sess.run(train)
    reader = tf.train.load_checkpoint(directory)  # the checkpoint the session ended with
    return reader.get_tensor("global_step"), reader.get_tensor("w")


def test_tensorflow_resumes_a_monitored_sessions_directory(tmp_path):
    """minitf trains 4 steps toward 5, TF resumes from its checkpoint for 2 steps toward 3 (the
    slots and step carried over: a fresh start would end elsewhere), as minitf resuming its own
    does; and minitf resumes TF's checkpoint in turn."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    mixed, alone = str(tmp_path / "mixed"), str(tmp_path / "alone")
    for directory in (mixed, alone):
        _adam_toward(tf, directory, 4, 5.0)
    resource = tf1.resource_variables_enabled()
    tf1.disable_resource_variables()  # TF1's ref variables, for this test only
    try:
        step, w = _adam_toward(tf1, mixed, 6, 3.0)
    finally:
        if resource:
            tf1.enable_resource_variables()
    step_alone, w_alone = _adam_toward(tf, alone, 6, 3.0)
    assert step == step_alone == 6
    np.testing.assert_allclose(w, w_alone, rtol=1e-6)
    assert not np.allclose(w, _adam_toward(tf, str(tmp_path / "fresh"), 6, 3.0)[1])
    step, w = _adam_toward(tf, mixed, 8, 3.0)  # and back: minitf resumes TF's checkpoint
    step_alone, w_alone = _adam_toward(tf, alone, 8, 3.0)
    assert step == 8
    np.testing.assert_allclose(w, w_alone, rtol=1e-6)


def test_checkpoint_saver_hook_writes_graph_and_checkpoint_events(tmp_path):
    """As TF's CheckpointSaverHook: its directory's events file gets the graph and the meta
    graph (with the saver) when the session is made, after the writer's own copy, and a
    CHECKPOINT session log, naming the checkpoint path, at every save (steps 0, 2 and the last
    one, 3); the writer is flushed at the end."""
    tf.summary.FileWriterCache.clear()
    d = str(tmp_path / "ckpt")
    step = tf.train.get_or_create_global_step()
    inc = tf.assign_add(step, 1)
    tf.Variable(1.0, name="w")
    hooks = [tf.train.CheckpointSaverHook(d, save_steps=2), tf.train.StopAtStepHook(last_step=3)]
    with tf.train.MonitoredSession(hooks=hooks) as sess:
        while not sess.should_stop():
            sess.run(inc)
    events = [e for f in glob.glob(os.path.join(d, "events*")) for e in summary_iterator(f)]
    kinds = [(e.step, e.WhichOneof("what")) for e in events]
    assert kinds == [(0, "file_version"), (0, "graph_def"), (0, "meta_graph_def"),
                     (0, "graph_def"), (0, "meta_graph_def"), (0, "session_log"),
                     (2, "session_log"), (3, "session_log")]
    logs = [e.session_log for e in events if e.WhichOneof("what") == "session_log"]
    assert {log.status for log in logs} == {tf.SessionLog.CHECKPOINT}
    assert {log.checkpoint_path for log in logs} == {os.path.join(d, "model.ckpt")}
    meta = tf.MetaGraphDef.FromString(events[4].meta_graph_def)
    assert meta.saver_def.filename_tensor_name and any(
        n.name == "w" for n in meta.graph_def.node)
    tf.summary.FileWriterCache.clear()


def _hooks_events(lib, directory):
    """Five global-step increments under StepCounterHook (every 2 steps) and SummarySaverHook;
    the event file's (step, kind, detail) records."""
    from minitf.export.events import summary_iterator as events_of

    with lib.Graph().as_default():
        gs = lib.train.get_or_create_global_step()
        inc = lib.assign_add(gs, 1)
        lib.summary.scalar("g", lib.cast(gs, lib.float32))
        hooks = [lib.train.StepCounterHook(every_n_steps=2, output_dir=directory),
                 lib.train.SummarySaverHook(save_steps=100, output_dir=directory,
                                            summary_op=lib.summary.merge_all())]
        with lib.train.MonitoredSession(hooks=hooks) as sess:
            for _ in range(5):
                sess.run(inc)
        lib.summary.FileWriterCache.clear()  # (TF's writer flushes when closed)
    out = []
    for f in sorted(glob.glob(os.path.join(directory, "events*"))):
        for e in events_of(f):
            kind = e.WhichOneof("what")
            detail = ([v.tag for v in e.summary.value] if kind == "summary" else
                      e.session_log.status if kind == "session_log" else None)
            out.append((e.step, kind, detail))
    return out


# TF 2.21's compat.v1 record of the program above: the session's START, the summary at the
# first step, then global_step/sec at steps 3 and 5 (the step after each due run).
_TF_HOOK_EVENTS = [(0, "file_version", None), (0, "graph_def", None),
                   (0, "meta_graph_def", None), (1, "session_log", 1), (1, "summary", ["g"]),
                   (3, "summary", ["global_step/sec"]), (5, "summary", ["global_step/sec"])]


def test_step_counter_and_summary_saver_events_as_tensorflow(tmp_path):
    assert _hooks_events(tf, str(tmp_path)) == _TF_HOOK_EVENTS


def test_step_counter_and_summary_saver_events_side_by_side(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert _hooks_events(tf1, str(tmp_path / "tf")) == _TF_HOOK_EVENTS
    assert _hooks_events(tf, str(tmp_path / "mt")) == _TF_HOOK_EVENTS


def test_checkpoint_file_keeps_an_absolute_save_path_absolute(tmp_path):
    # TF's checkpoint state: paths relative to the directory only when both are relative.
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        saver = tf.train.Saver([v])
        with tf.Session() as sess:
            sess.run(v.initializer)
            saver.save(sess, str(tmp_path / "model.ckpt"), global_step=3)
            state = (tmp_path / "checkpoint").read_text()
            assert f'model_checkpoint_path: "{tmp_path / "model.ckpt-3"}"' in state
            assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-3")
            cwd = os.getcwd()
            os.chdir(tmp_path)
            try:
                os.mkdir("sub")
                saver.save(sess, os.path.join("sub", "m"), global_step=1)
            finally:
                os.chdir(cwd)
            assert 'model_checkpoint_path: "m-1"' in (tmp_path / "sub" / "checkpoint").read_text()
