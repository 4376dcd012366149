"""tf.PriorityQueue (PriorityQueueV2 and the queue ops on it): lowest priority first, against
numpy's stable sort for distinct priorities; enqueue_many / dequeue_many / dequeue_up_to / close /
size; blocking, cancelling and deadlines; TF's errors. Against tf.compat.v1: the order of equal
priorities (TF's heap order), values, messages and the GraphDef nodes. Every run that could
block has a deadline and every thread is joined with a timeout."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import minitf as tf

from .blocking import OPTS, run_bounded as _run, start_thread as _start  # noqa: F401
from .blocking import wait_until_waiting


# -- TF-free -------------------------------------------------------------------------------------
def test_dequeues_lowest_priority_first():
    rng = np.random.default_rng(3)
    prios = rng.permutation(40).astype(np.int64) - 20  # distinct, negative ones too
    vals = rng.standard_normal((40, 2)).astype(np.float32)
    q = tf.PriorityQueue(100, [tf.float32, tf.string], shapes=[[2], []])
    assert q.queue_ref.op.type == "PriorityQueueV2" and q.name == "priority_queue"
    assert q.dtypes == [tf.int64, tf.float32, tf.string]
    assert q.queue_ref.op.get_attr("component_types") == [tf.float32, tf.string]
    p, v = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None, 2])
    enqueue_many = q.enqueue_many((p, v, tf.as_string(p)))
    prio, x, s = q.dequeue()
    many = q.dequeue_many(5)
    assert [t.shape.as_list() for t in many] == [[5], [5, 2], [5]]
    order = np.argsort(prios, kind="stable")
    with tf.Session() as sess:
        _run(sess, enqueue_many, {p: prios[:25], v: vals[:25]})
        _run(sess, q.enqueue((7, vals[0], "extra")))
        _run(sess, enqueue_many, {p: prios[25:], v: vals[25:]})
        assert _run(sess, q.size()) == 41
        first = _run(sess, [prio, x, s])
        batch = _run(sess, many)
        rest = [_run(sess, [prio, x]) for _ in range(35)]
        assert _run(sess, q.size()) == 0
    got = [first[0]] + list(batch[0]) + [r[0] for r in rest]
    want = sorted(list(prios) + [7])
    assert got == want
    assert first[2] == str(prios[order[0]]).encode()
    np.testing.assert_array_equal(batch[1], vals[order[1:6]])
    np.testing.assert_array_equal(batch[2], [str(k).encode() for k in prios[order[1:6]]])


def test_names_close_up_to_and_errors():
    q = tf.PriorityQueue(10, [tf.int32], shapes=[[]], names=["p", "x"])
    out = q.dequeue()
    assert set(out) == {"p", "x"} and out["p"].dtype == tf.int64
    with pytest.raises(ValueError, match="names must have the same length"):
        tf.PriorityQueue(10, [tf.int32], shapes=[[]], names=["x"])
    enqueue = q.enqueue({"p": tf.placeholder(tf.int64, []), "x": 5})
    up_to = q.dequeue_up_to(4)
    many = q.dequeue_many(4)
    with tf.Session() as sess:
        for k in (5, -2, 9):
            _run(sess, enqueue, {enqueue.inputs[1]: k})
        _run(sess, q.close())
        assert _run(sess, q.is_closed())
        with pytest.raises(tf.errors.CancelledError, match="PriorityQueue '.*' is closed."):
            _run(sess, enqueue, {enqueue.inputs[1]: 1})
        # DequeueMany needs all 4: it fails and leaves the elements; DequeueUpTo takes them.
        with pytest.raises(tf.errors.OutOfRangeError, match=r"PriorityQueue '_\d+_priority_"
                           r"queue' is closed and has insufficient elements \(requested 4, "
                           r"current size 3\)"):
            _run(sess, many)
        got = _run(sess, up_to)
        assert list(got["p"]) == [-2, 5, 9] and list(got["x"]) == [5, 5, 5]
        with pytest.raises(tf.errors.OutOfRangeError, match="requested 1, current size 0"):
            _run(sess, out)
        with pytest.raises(tf.errors.OutOfRangeError, match="requested 4, current size 0"):
            _run(sess, up_to)


def test_priority_must_be_a_scalar_and_dequeue_many_needs_shapes():
    q = tf.PriorityQueue(5, [tf.float32])  # TF 2.21 refuses shapes=None; minitf takes it
    assert q.queue_ref.op.get_attr("shapes") == []
    p = tf.placeholder(tf.int64)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
                "Expected the priority element to be a scalar, but received shape: [2]")):
            _run(sess, q.enqueue((p, 1.0)), {p: [1, 2]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="PriorityQueue's DequeueMany "
                           "requires the components to have specified shapes."):
            _run(sess, q.dequeue_many(1))
        _run(sess, q.enqueue((p, [1.0, 2.0])), {p: 3})  # any shape without shapes
        assert _run(sess, q.size()) == 1
    shaped = tf.PriorityQueue(5, [tf.float32], shapes=[[2]])
    with pytest.raises(ValueError):
        shaped.enqueue((1, [1.0, 2.0, 3.0]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(
                "Shape mismatch in tuple component 0. Expected [], got [2]")):
            _run(sess, shaped.enqueue((p, [1.0, 2.0])), {p: [1, 2]})


def test_dequeue_many_waits_for_a_whole_sorted_batch():
    """Unlike a FIFO queue, a DequeueMany takes nothing until n elements are in, so the
    batch is sorted over all of them; a full queue blocks the enqueuer until room appears."""
    q = tf.PriorityQueue(3, [tf.int32], shapes=[[]])
    p = tf.placeholder(tf.int64, [None])
    enqueue = q.enqueue_many((p, tf.cast(p, tf.int32) * 10))
    many = q.dequeue_many(3)
    results = {}
    with tf.Session() as sess:
        _run(sess, enqueue, {p: [5, 4]})
        t = _start(lambda: results.setdefault("batch", _run(sess, many)))
        time.sleep(0.3)
        assert "batch" not in results and _run(sess, q.size()) == 2
        _run(sess, enqueue, {p: [1]})
        t.join(10)
        assert list(results["batch"][0]) == [1, 4, 5]
        assert list(results["batch"][1]) == [10, 40, 50]
        _run(sess, enqueue, {p: [9, 8, 7]})  # full now
        t = _start(lambda: results.setdefault("enq", _run(sess, enqueue, {p: [0]})))
        time.sleep(0.3)
        assert "enq" not in results
        assert list(_run(sess, q.dequeue())) == [7, 70]
        t.join(10)
        assert list(_run(sess, many)[0]) == [0, 8, 9]


def test_blocked_dequeue_is_cancelled_by_session_close_and_times_out():
    q = tf.PriorityQueue(3, [tf.int32], shapes=[[]])
    out = q.dequeue()
    sess = tf.Session()
    with pytest.raises(tf.errors.DeadlineExceededError):
        sess.run(out, options=tf.RunOptions(timeout_in_ms=100))
    errors = []

    def dequeue():
        try:
            sess.run(out)
        except tf.errors.CancelledError as e:
            errors.append(e)

    t = _start(dequeue)
    wait_until_waiting(sess, q.queue_ref, "_dequeuers")
    sess.close()
    t.join(10)
    assert not t.is_alive() and "Dequeue operation was cancelled" in errors[0].message


def test_exported_in_tf_queue():
    assert tf.queue.PriorityQueue is tf.PriorityQueue
    assert "PriorityQueue" in tf.queue.__all__


# -- against TensorFlow --------------------------------------------------------------------------
def _message(e) -> str:
    lines = [ln for ln in e.message.splitlines() if ln and not ln.startswith(
        ("Graph exec", "Detected", "  File", "Node:", "\t", "    "))]
    return type(e).__name__ + ": " + re.sub(r"'_\d+_", "'_N_", lines[-1] if lines else "")


def _scenario(lib):
    """Equal priorities (TF's heap order), enqueue_many interleaved with dequeues, a
    dequeue_many, then a close and what TF says about it."""
    prios = [3, 1, 3, 2, 1, 3, 1, 2, 2, 3, 0, 1, 3, 3, 2, 1, 1, 0, 2, 3]
    out = []
    g = lib.Graph()
    with g.as_default():
        q = lib.PriorityQueue(100, [lib.int32, lib.string], shapes=[[], [2]])
        p, v = lib.placeholder(lib.int64, [None]), lib.placeholder(lib.int32, [None])
        enqueue = q.enqueue_many((p, v, lib.stack([lib.as_string(v), lib.as_string(p)], 1)))
        # TF's DequeueUpTo on a closed PriorityQueue holding fewer than n elements takes them
        # and then fails (OutOfRange, "requested <n - taken>"), losing them; minitf gives them,
        # as TF documents and its other queues do (test_names_close_up_to_and_errors). Here
        # the up_to finds its 5.
        one, many, up_to = q.dequeue(), q.dequeue_many(4), q.dequeue_up_to(5)
        with lib.Session(graph=g) as sess:
            sess.run(enqueue, {p: prios[:7], v: range(7)})
            out += [sess.run(one) for _ in range(3)]
            sess.run(enqueue, {p: prios[7:], v: range(7, 20)})
            out.append(sess.run(many))
            out.append(sess.run(q.size()))
            sess.run(q.close())
            for fetch in (many, up_to, one):
                try:
                    out.append(sess.run(fetch))
                except lib.errors.OpError as e:
                    out.append(_message(e))
            try:
                sess.run(q.enqueue((1, 2, ["a", "b"])))
            except lib.errors.OpError as e:
                out.append(_message(e))
    return out, g.as_graph_def()


def test_against_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    ours, our_graph = _scenario(tf)
    theirs, their_graph = _scenario(tf1)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(b, (str, np.integer)):
            assert a == b
        else:
            assert len(a) == len(b)
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)
    assert _nodes(our_graph) == _nodes(their_graph)


def _nodes(graph_def):
    """(name, op, inputs, attrs) of the queue's nodes, TF's default attrs dropped (minitf
    writes none), the constants' values compared through the results."""
    defaults = {"container": b"", "shared_name": b"", "timeout_ms": -1, "capacity": -1,
                "cancel_pending_enqueues": False}
    out = []
    for n in graph_def.node:
        if "queue" not in n.name:
            continue
        attrs = {}
        for k, v in n.attr.items():
            kind = v.WhichOneof("value")
            if kind == "tensor":
                continue
            value = getattr(v, kind)
            if kind == "list":
                value = (list(value.type), [[d.size for d in s.dim] for s in value.shape])
            if defaults.get(k, object()) != value:
                attrs[k] = value
        out.append((n.name, n.op, list(n.input), sorted(attrs.items())))
    return out


def test_tf1_namespaces_name_the_same_classes():
    # TF1 exposes these under several names; all must be the one class.
    assert tf.io.PriorityQueue is tf.queue.PriorityQueue is tf.PriorityQueue
    assert tf.sparse.SparseConditionalAccumulator is tf.SparseConditionalAccumulator
