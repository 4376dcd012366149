"""tf.summary.FileWriter used from several threads: a flush or an add racing close() neither
hangs nor loses what was handed over before the close, and a closed writer ignores writes with
TensorFlow's warning (compared with tf.compat.v1.summary.FileWriter when TF is installed).
The single-threaded behaviour is tested in tests/tensorboard/test_file_writer.py."""

import glob
import os
import threading
import time
import warnings

import minitf as tf

from .side_by_side import tf1_or_skip


def _steps_by_file(logdir):
    """For each event file, the steps of its events but the file_version one, in order."""
    return [[e.step for e in tf.train.summary_iterator(path) if not e.file_version]
            for path in glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))]


def _steps(logdir):
    return sorted(s for steps in _steps_by_file(logdir) for s in steps)


def _close_while_handing_over(writer, call):
    """Runs ``call()`` in a thread; the moment it takes the pending events for the writer
    thread, another thread calls ``writer.close()`` and is given 0.5 s to finish before the
    events are handed over. Returns the two threads, joined with a timeout (alive: stuck)."""
    take = writer._pending.take
    closer = threading.Thread(target=writer.close, daemon=True)

    def take_then_close():
        events = take()
        if not closer.is_alive() and closer.ident is None:  # the first hand-over only
            closer.start()
            closer.join(timeout=0.5)  # done at once unless close() waits for the hand-over
        return events

    writer._pending.take = take_then_close
    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(timeout=10)
    closer.join(timeout=10)
    return caller, closer


def test_flush_racing_close_returns_and_writes_everything(tmp_path):
    writer = tf.summary.FileWriter(tmp_path, max_queue=100, flush_secs=1000)
    for step in (1, 2, 3):
        writer.add_event(tf.summary.Event(step=step))
    caller, closer = _close_while_handing_over(writer, writer.flush)
    assert not caller.is_alive(), "flush() never returned: its request reached a closed writer"
    assert not closer.is_alive()
    assert _steps(tmp_path) == [1, 2, 3]


def test_add_racing_close_is_not_lost(tmp_path):
    """The add reaching max_queue hands the events over while close() runs: the close writes
    them (the add came first), rather than the closed writer thread never reading them."""
    writer = tf.summary.FileWriter(tmp_path, max_queue=3, flush_secs=1000)
    writer.add_event(tf.summary.Event(step=1))
    writer.add_event(tf.summary.Event(step=2))
    caller, closer = _close_while_handing_over(
        writer, lambda: writer.add_event(tf.summary.Event(step=3)))
    assert not caller.is_alive() and not closer.is_alive()
    assert _steps(tmp_path) == [1, 2, 3]


def test_threads_adding_and_flushing_while_another_closes_and_reopens(tmp_path):
    """Random interleavings: every thread ends without an error, and the files hold each event
    at most once, in the order its thread added them (an add after a close is ignored)."""
    writer = tf.summary.FileWriter(tmp_path, max_queue=2, flush_secs=1000)
    stop = time.monotonic() + 1.5
    errors = []

    def adder(k):
        step = 0
        while time.monotonic() < stop:
            step += 1
            try:
                writer.add_event(tf.summary.Event(step=k * 10 ** 6 + step))
                writer.flush()
            except Exception as e:  # noqa: BLE001 - collected for the assertion
                errors.append(e)

    def closer():
        while time.monotonic() < stop:
            writer.close()
            writer.reopen()

    threads = [threading.Thread(target=adder, args=(k,), daemon=True) for k in range(3)]
    threads.append(threading.Thread(target=closer, daemon=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # adds to a closed writer warn, as in TF
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} thread(s) stuck in add/flush/close"
    assert errors == []
    writer.close()
    steps = _steps(tmp_path)
    assert len(steps) == len(set(steps)) > 0  # each event at most once
    for in_file in _steps_by_file(tmp_path):
        for k in range(3):  # each thread's events in the order it added them
            mine = [s for s in in_file if s // 10 ** 6 == k]
            assert mine == sorted(mine)


def _use_closed_writer(lib, logdir):
    """Writes step 1, closes, then adds, flushes and closes again; the warnings given."""
    g = lib.Graph()
    with g.as_default():
        writer = lib.summary.FileWriter(str(logdir))
        writer.add_event(lib.summary.Event(step=1))
        writer.close()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            writer.add_event(lib.summary.Event(step=2))
            writer.add_summary(lib.summary.Summary(), 3)
            writer.add_session_log(lib.SessionLog(), 4)
            writer.flush()
            writer.close()
    return [(w.category, str(w.message)) for w in caught]


def test_a_closed_writer_ignores_writes_with_a_warning(tmp_path):
    caught = _use_closed_writer(tf, tmp_path)
    assert [c for c, _ in caught] == [UserWarning] * 4  # the adds and the flush, not close
    assert all("closed FileWriter" in m and "noop" in m for _, m in caught)
    assert _steps(tmp_path) == [1]


def test_a_closed_writer_ignores_writes_as_tf_does(tmp_path):
    tf1 = tf1_or_skip()
    theirs = _use_closed_writer(tf1, tmp_path / "tf")
    assert _use_closed_writer(tf, tmp_path / "mine") == theirs
    assert _steps(tmp_path / "mine") == _steps(tmp_path / "tf") == [1]
