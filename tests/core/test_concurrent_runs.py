"""Runs of one session from several threads at once, where ops keep state between runs:

- an enqueue blocked on a full queue holds the value its input had when the op ran (not the
  variable's value when room appears), and ``close()`` waits its turn behind pending enqueues;
- the first runs of a one-shot iterator, and a ``get_next`` waiting when the session closes;
- two threads continuing one ``partial_run`` handle;
- the learned-unigram sampler's counts and fractional pooling's per-session seeds.

Threads meet through Events and Barriers, and a test waits for a thread to block by polling the
queue's waiting line (or the thread's stack) with a deadline, never by sleeping a guessed time.
Expected values are worked out by hand; every wait is bounded (seconds).
"""

from __future__ import annotations

import linecache
import sys
import threading
import time
import types

import numpy as np
import pytest

import minitf as tf

from .blocking import run_bounded as _run, start_thread as _start

_LIMIT = 10.0  # seconds: any wait longer than this fails the test


def _join(*threads):
    for t in threads:
        t.join(_LIMIT)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"


def _poll(condition, what: str):
    deadline = time.monotonic() + _LIMIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.001)


def _queue(sess, q):
    """The queue object a queue op made in ``sess`` (its per-op state's resource)."""
    state = sess._resources.state(q.queue_ref.op)
    _poll(lambda: state.get("resource") is not None, "the queue exists")
    return state["resource"]


def _waiting_at(thread, marker: str) -> bool:
    """Whether ``thread`` is stopped at a source line containing ``marker`` (a lock it waits
    for: the lock itself does not say who waits on it)."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if marker in linecache.getline(frame.f_code.co_filename, frame.f_lineno):
            return True
        frame = frame.f_back
    return False


def _catching(box: dict, key: str, fn):
    def run():
        try:
            box[key] = ("value", fn())
        except Exception as e:  # noqa: BLE001 - the test looks at it
            box[key] = ("error", e)
    return run


# -- queues --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["assign_add", "variable", "identity"])
def test_a_blocked_enqueue_holds_the_value_read_when_it_ran(kind):
    """v = 1 (queued); a second enqueue reads v = 2 and blocks on the full queue; v += 100;
    the dequeues give 1, 2 (the old code gave 1, 102: it copied the variable at push time)."""
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(1, [tf.float32], shapes=[[]])
        v = tf.Variable(0.0)
        step = tf.assign_add(v, 1.0)
        if kind == "assign_add":
            enq = q.enqueue(step)
        else:  # the variable's value (or an Identity of it) read after the step
            with tf.control_dependencies([step]):
                enq = q.enqueue(tf.identity(v) if kind == "identity" else v)
        bump, dequeue = tf.assign_add(v, 100.0), q.dequeue()
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        _run(sess, enq)  # the queue holds 1.0 and is full
        box: dict = {}
        t = _start(_catching(box, "enq", lambda: _run(sess, enq)))  # reads 2.0, then waits
        queue = _queue(sess, q)
        _poll(lambda: queue._enqueuers, "the enqueue waits for room")
        _run(sess, bump)  # v = 102.0 while the enqueue still waits
        assert _run(sess, dequeue) == 1.0
        _join(t)
        assert box["enq"][0] == "value"
        assert _run(sess, dequeue) == 2.0
        assert sess.run(v) == 102.0


def test_a_blocked_enqueue_many_holds_its_rows():
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(2, [tf.float32], shapes=[[2]])
        v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        enq = q.enqueue_many(v)
        bump, dequeue = tf.assign_add(v, tf.fill([2, 2], 100.0)), q.dequeue()
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        _run(sess, enq)  # full: [1, 2], [3, 4]
        t = _start(lambda: _run(sess, enq))  # reads the same rows, waits for room
        queue = _queue(sess, q)
        _poll(lambda: queue._enqueuers, "the enqueue waits for room")
        _run(sess, bump)
        got = [_run(sess, dequeue).tolist() for _ in range(4)]
        _join(t)
    assert got == [[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [3.0, 4.0]]


def test_close_waits_for_the_enqueues_ahead_of_it():
    """As TF's close (cancel_pending_enqueues=False): it takes its turn behind the enqueue
    already waiting; an enqueue after it finds the queue closed; closing again fails."""
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(1, [tf.int32], shapes=[[]])
        value = tf.placeholder(tf.int32, [])
        enq, dequeue, close = q.enqueue(value), q.dequeue(), q.close()
        is_closed = q.is_closed()
    with tf.Session(graph=g) as sess:
        _run(sess, enq, {value: 7})
        queue = _queue(sess, q)
        box: dict = {}
        first = _start(_catching(box, "first", lambda: _run(sess, enq, {value: 8})))
        _poll(lambda: len(queue._enqueuers) == 1, "the first enqueue waits")
        closer = _start(_catching(box, "close", lambda: _run(sess, close)))
        _poll(lambda: len(queue._enqueuers) == 2, "the close waits behind it")
        late = _start(_catching(box, "late", lambda: _run(sess, enq, {value: 9})))
        _poll(lambda: len(queue._enqueuers) == 3, "the late enqueue waits behind the close")
        assert closer.is_alive() and not _run(sess, is_closed)
        assert _run(sess, dequeue) == 7  # room: the first enqueue, then the close, go through
        _join(first, closer, late)
        assert box["first"][0] == "value" and box["close"][0] == "value"
        kind, error = box["late"]
        assert kind == "error" and isinstance(error, tf.errors.CancelledError)
        assert error.message.startswith(f"FIFOQueue '{queue.name}' is closed.")
        assert _run(sess, is_closed)
        assert _run(sess, dequeue) == 8
        with pytest.raises(tf.errors.OutOfRangeError):
            _run(sess, dequeue)
        with pytest.raises(tf.errors.CancelledError,
                           match=f"^Queue '{queue.name}' is already closed."):
            _run(sess, close)


# -- iterators -----------------------------------------------------------------------------------
def test_a_one_shot_iterator_is_started_before_another_first_run_uses_it():
    """Thread A's first run starts the pipeline (held inside ``_start``); thread B's first run
    meanwhile waits for it instead of failing with "has not been initialized"."""
    g = tf.Graph()
    with g.as_default():
        ds = tf.data.Dataset.from_tensor_slices(np.arange(4, dtype=np.int64))
        starting, release = threading.Event(), threading.Event()
        real_start = ds._start

        def slow_start(captured):
            starting.set()
            release.wait(_LIMIT)
            return real_start(captured)
        ds._start = slow_start
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
    with tf.Session(graph=g) as sess:
        box: dict = {}
        a = _start(_catching(box, "a", lambda: int(sess.run(nxt))))
        assert starting.wait(_LIMIT)
        b = _start(_catching(box, "b", lambda: int(sess.run(nxt))))
        _poll(lambda: not b.is_alive() or _waiting_at(b, "with start_lock"),
              "B failed or waits for the start")
        release.set()
        _join(a, b)
        assert sorted(box["a"][:1] + box["b"][:1]) == ["value", "value"], box
        assert sorted([box["a"][1], box["b"][1]]) == [0, 1]
        assert [int(sess.run(nxt)) for _ in range(2)] == [2, 3]


def test_session_close_cancels_a_get_next_waiting_for_its_element():
    waiting, go_on = threading.Event(), threading.Event()

    def gen():
        yield 0
        waiting.set()
        go_on.wait(_LIMIT)
        yield 1
    g = tf.Graph()
    with g.as_default():
        it = tf.data.make_initializable_iterator(
            tf.data.Dataset.from_generator(gen, tf.int64, []))
        nxt = it.get_next()
    sess = tf.Session(graph=g)
    sess.run(it.initializer)
    assert sess.run(nxt) == 0
    box: dict = {}
    t = _start(_catching(box, "next", lambda: sess.run(nxt)))
    assert waiting.wait(_LIMIT)
    sess.close()  # returns at once (TF's waits for the element first)
    go_on.set()
    _join(t)
    kind, error = box["next"]
    assert kind == "error" and isinstance(error, tf.errors.CancelledError), box
    assert "Run call was cancelled" in error.message


# -- partial runs --------------------------------------------------------------------------------
def test_two_threads_continuing_one_partial_run_run_its_ops_once():
    """A feeds a: its step waits in a dequeue. B feeds b meanwhile: it waits for A's step
    instead of running A's ops (the dequeue, the assign_add) a second time."""
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(10, [tf.float32], shapes=[[]])
        a, b = tf.placeholder(tf.float32, []), tf.placeholder(tf.float32, [])
        ca, cb = tf.Variable(0.0), tf.Variable(0.0)
        taken = q.dequeue_many(tf.cast(a, tf.int32))  # needs the feed a: not run at setup
        ra = tf.assign_add(ca, tf.reduce_sum(taken), use_locking=True) + 0.0
        rb = tf.assign_add(cb, b, use_locking=True) + 0.0
        enq = q.enqueue_many([[5.0, 7.0]])
        init = tf.global_variables_initializer()
    config = tf.ConfigProto(operation_timeout_in_ms=int(_LIMIT * 1000))
    with tf.Session(graph=g, config=config) as sess:
        sess.run(init)
        h = sess.partial_run_setup([ra, rb], [a, b])
        box: dict = {}
        ta = _start(_catching(box, "a", lambda: float(sess.partial_run(h, ra, {a: 1.0}))))
        queue = _queue(sess, q)
        _poll(lambda: len(queue._dequeuers) == 1, "A's step waits in the dequeue")
        tb = _start(_catching(box, "b", lambda: float(sess.partial_run(h, rb, {b: 10.0}))))
        _poll(lambda: len(queue._dequeuers) == 2 or _waiting_at(tb, "with state.lock"),
              "B's call waits")
        sess.run(enq)
        _join(ta, tb)
        assert box == {"a": ("value", 5.0), "b": ("value", 10.0)}
        assert sess.run([ca, cb]) == [5.0, 10.0]
        assert sess.run(q.size()) == 1  # 7.0 stays: one dequeue ran


def test_other_partial_run_handles_do_not_wait_for_a_blocked_one():
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(10, [tf.float32], shapes=[[]])
        a = tf.placeholder(tf.float32, [])
        out = tf.reduce_sum(q.dequeue_many(tf.cast(a, tf.int32))) + a
        other = a * 2.0
        enq = q.enqueue(3.0)
    config = tf.ConfigProto(operation_timeout_in_ms=int(_LIMIT * 1000))
    with tf.Session(graph=g, config=config) as sess:
        h1, h2 = sess.partial_run_setup(out, a), sess.partial_run_setup(other, a)
        box: dict = {}
        t = _start(_catching(box, "h1", lambda: float(sess.partial_run(h1, out, {a: 1.0}))))
        queue = _queue(sess, q)
        _poll(lambda: queue._dequeuers, "h1's step waits in the dequeue")
        assert sess.partial_run(h2, other, {a: 3.0}) == 6.0  # not behind h1's blocked call
        sess.run(enq)
        _join(t)
        assert box["h1"] == ("value", 4.0)


# -- samplers and pooling ------------------------------------------------------------------------
@pytest.fixture
def fast_switching():
    """Threads switch often (as a loaded machine makes them), so an unlocked read-modify-write
    of shared state shows up."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


def test_learned_unigram_sampler_counts_every_run_of_every_thread(fast_switching):
    """4 threads x 20 runs of one sampler (true classes 1, 2, 3 of range 10), in 8 sessions:
    no run fails, and a run after them samples from weights 1 + 80 for each true class and 1
    for the others: true_expected_count = 81 / (10 + 3 * 80) * num_sampled (unique=False)."""
    num_sampled = 4
    g = tf.Graph()
    with g.as_default():
        true = tf.constant([[1], [2], [3]], tf.int64)
        sampled = tf.nn.learned_unigram_candidate_sampler(true, 1, num_sampled, False, 10,
                                                          seed=3)

    def runs(sess, bar, errors):
        bar.wait()
        try:
            for _ in range(20):
                sess.run(sampled)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    for _ in range(8):
        with tf.Session(graph=g) as sess:
            bar, errors = threading.Barrier(4, timeout=_LIMIT), []
            _join(*[_start(runs, sess, bar, errors) for _ in range(4)])
            assert not errors, errors[0]
            _, true_count, _ = sess.run(sampled)
            np.testing.assert_allclose(true_count, [[81 / 250 * num_sampled]] * 3, rtol=1e-6)


def test_fractional_pool_first_runs_share_the_session_seeds(monkeypatch):
    """deterministic=True without a seed: the first runs of a session, from 4 threads, all
    draw their seeds before any is kept (the random source waits for all four); they and every
    later run still use one pooling sequence."""
    from minitf.ops import fractional_pool_ops as fp

    bar = threading.Barrier(4, timeout=_LIMIT)
    draws = iter(range(1, 1000))
    first_call = threading.local()

    def randbits(k):
        if not getattr(first_call, "done", False):
            first_call.done = True
            try:
                bar.wait()  # all four threads are past the "no seeds yet" check
            except threading.BrokenBarrierError:  # an implementation drawing once: fine
                pass
        return next(draws) * 7919  # distinct seeds: distinct pooling sequences
    monkeypatch.setattr(fp, "secrets", types.SimpleNamespace(randbits=randbits))
    x = np.random.RandomState(0).rand(1, 20, 20, 1).astype(np.float32)
    g = tf.Graph()
    with g.as_default():
        rows = tf.nn.fractional_max_pool(tf.constant(x), [1, 1.44, 1.73, 1], pseudo_random=True,
                                         deterministic=True)[1]
    with tf.Session(graph=g) as sess:
        box: dict = {}
        threads = [_start(_catching(box, i, lambda: tuple(sess.run(rows).tolist())))
                   for i in range(4)]
        _join(*threads)
        later = tuple(sess.run(rows).tolist())
    assert all(kind == "value" for kind, _ in box.values()), box
    assert {v for _, v in box.values()} == {later}
