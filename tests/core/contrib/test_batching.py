"""tf.contrib.batching.batch_function over the Batch and Unbatch ops: concurrent Session.run
calls merged into one batch (the function sees the merged rows, each caller gets its own),
a lone call after the timeout, padding to allowed_batch_sizes, batches split at
max_batch_size, the raw ops' outputs and errors; and side by side with TF's Batch/Unbatch
and nondifferentiable_batch_function."""

import threading

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import batching
from minitf.ops.batch_ops import BATCH

from ..side_by_side import tf1_or_skip


def _concurrently(sess, fetches, feeds):
    """``sess.run(fetches, feed)`` for each feed, all started together; results in order."""
    results, errors = [None] * len(feeds), []
    start = threading.Barrier(len(feeds))

    def worker(i):
        start.wait()
        try:
            results[i] = sess.run(fetches, feeds[i])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(feeds))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    if errors:
        raise errors[0]
    return results


def _layer(lib, decorator):
    """Rows times 10, and for each row the size of the batch it was computed in."""
    @decorator
    def layer(a):
        rows = lib.shape(a)[0]
        return a * 10.0, lib.fill(lib.stack([rows, 1]), rows)
    return layer


def test_namespace_and_graph():
    assert tf.contrib.batching.batch_function is batching.batch_function
    assert tf.nondifferentiable_batch_function is batching.batch_function  # TF 1.15's top level
    x = tf.placeholder(tf.float32, [None, 2])
    out = _layer(tf, batching.batch_function(1, 6, 2_000_000))(x)
    assert isinstance(out, list) and len(out) == 2
    assert [t.op.type for t in out] == ["Unbatch", "Unbatch"]
    assert out[0].op.name == "batch/unbatch/Unbatch" and out[0].shape.as_list() == [None, 2]
    batch = out[0].op.inputs[1].op
    assert batch.type == "Batch" and batch.name == "batch/Batch"
    assert batch.get_attr("shared_name") == b"batch/" and batch.get_attr("max_batch_size") == 6


def test_concurrent_runs_are_computed_as_one_batch():
    x = tf.placeholder(tf.float32, [None, 2])
    values, sizes = _layer(tf, batching.batch_function(1, 6, 5_000_000))(x)
    feeds = [{x: np.full((k, 2), k, np.float32)} for k in (1, 2, 3)]  # 6 rows: a full batch
    with tf.Session() as sess:
        results = _concurrently(sess, [values, sizes], feeds)
    for k, (v, s) in zip((1, 2, 3), results):
        np.testing.assert_array_equal(v, np.full((k, 2), 10 * k))
        np.testing.assert_array_equal(s, np.full((k, 1), 6))  # all six rows in one batch


def test_a_lone_run_goes_after_the_timeout_and_allowed_sizes_pad():
    x = tf.placeholder(tf.float32, [None])
    values, sizes = _layer(tf, batching.batch_function(1, 4, 1000, allowed_batch_sizes=[2, 4]))(x)
    with tf.Session() as sess:
        v, s = sess.run([values, sizes], {x: [1, 2, 3]})
        np.testing.assert_array_equal(v, [10, 20, 30])
        np.testing.assert_array_equal(s, [[4]] * 3)  # padded from 3 rows to 4
        v, s = sess.run([values, sizes], {x: [5]})
        np.testing.assert_array_equal(s, [[2]])


def test_a_task_that_does_not_fit_starts_the_next_batch():
    x = tf.placeholder(tf.float32, [None])
    values, sizes = _layer(tf, batching.batch_function(2, 3, 300_000))(x)
    with tf.Session() as sess:
        results = _concurrently(sess, [values, sizes],
                                [{x: [1.0, 1.0]}, {x: [2.0, 2.0]}])
    for k, (v, s) in zip((1, 2), results):
        np.testing.assert_array_equal(v, [10 * k] * 2)
        np.testing.assert_array_equal(s, [[2], [2]])  # 2 + 2 rows > 3: two batches


def test_raw_batch_outputs_and_unbatch():
    x = tf.placeholder(tf.float32, [None, 2])
    *batched, index, batch_id = BATCH(
        [x], num_batch_threads=1, max_batch_size=4, batch_timeout_micros=2_000_000,
        grad_timeout_micros=0, shared_name="b")
    assert batched[0].shape.as_list() == [None, 2] and index.shape.as_list() == [None, 3]
    assert batch_id.dtype == tf.int64 and batch_id.shape.as_list() == []
    back = tf.raw_ops.Unbatch(batched_tensor=batched[0] + 1, batch_index=index, id=batch_id,
                              timeout_micros=2_000_000)
    feeds = [{x: [[1, 1]]}, {x: [[2, 2], [3, 3], [4, 4]]}]
    with tf.Session() as sess:
        results = _concurrently(sess, [batched[0], index, batch_id, back], feeds)
    emitted = [r for r in results if len(r[0])]
    assert len(emitted) == 1  # one caller (the batch's last) holds all four rows
    b, idx, _, _ = emitted[0]
    caller = {int(r[2]): i for i, r in enumerate(results)}
    assert sorted(caller) == sorted(int(i) for i in idx[:, 0])
    for key, start, end in idx:  # (id, start, end) of each caller, in the order they came
        np.testing.assert_array_equal(b[start:end], feeds[caller[int(key)]][x])
    for r in results:
        if not len(r[0]):
            assert r[0].shape == (0, 2) and r[1].shape == (0, 3)
    for feed, r in zip(feeds, results):
        np.testing.assert_array_equal(r[3], np.asarray(feed[x]) + 1)


def test_unbatch_times_out_without_its_rows():
    out = tf.raw_ops.Unbatch(batched_tensor=tf.zeros([0, 2]), batch_index=tf.zeros([0, 3],
                             tf.int64), id=tf.constant(5, tf.int64), timeout_micros=50_000)
    with tf.Session() as sess, pytest.raises(tf.errors.DeadlineExceededError,
                                             match="did not arrive within timeout window"):
        sess.run(out)


def test_the_runs_deadline_fails_a_waiting_batch_run():
    # A run whose own deadline passes before its batch's timeout fails with
    # DeadlineExceeded, as TF's; the batch then closes without its rows.
    x = tf.placeholder(tf.float32, [None])
    out = BATCH([x], num_batch_threads=1, max_batch_size=10, batch_timeout_micros=5_000_000,
                grad_timeout_micros=0, shared_name="deadline")[0]
    with tf.Session() as sess, pytest.raises(tf.errors.DeadlineExceededError):
        sess.run(out, {x: [1.0]}, options=tf.RunOptions(timeout_in_ms=200))
    with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=200)) as sess, \
            pytest.raises(tf.errors.DeadlineExceededError):
        sess.run(out, {x: [1.0]})


def test_bad_inputs():
    with pytest.raises(ValueError, match="supposed to be Tensors; found 3"):
        batching.batch_function(1, 4, 10)(lambda a: a)(3)
    v = tf.placeholder(tf.float32, [None])
    m = tf.placeholder(tf.float32, [None, 2])
    with pytest.raises(ValueError, match="must be a Tensor or a list/tuple"):
        batching.batch_function(1, 4, 10)(lambda a: 3)(v)
    out = batching.batch_function(1, 2, 1000)(lambda a, b: a)(v, m)
    bad_sizes = batching.batch_function(1, 4, 1000, allowed_batch_sizes=[4, 2])(lambda a: a)(v)
    bad_last = batching.batch_function(1, 4, 1000, allowed_batch_sizes=[2, 3])(lambda a: a)(v)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Task size 3 is larger than maximum input batch size 2"):
            sess.run(out, {v: [1, 2, 3], m: np.zeros((3, 2))})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must have equal 0th-dim"):
            sess.run(out, {v: [1], m: np.zeros((2, 2))})
        with pytest.raises(tf.errors.InvalidArgumentError, match="monotonically increasing"):
            sess.run(bad_sizes, {v: [1]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must equal max_batch_size"):
            sess.run(bad_last, {v: [1]})
        s = tf.placeholder(tf.float32)
        scalar = BATCH([s], num_batch_threads=1, max_batch_size=2,
                                  batch_timeout_micros=0, grad_timeout_micros=0)
        with pytest.raises(tf.errors.InvalidArgumentError, match="at least one dimension"):
            sess.run(scalar, {s: 1.0})
        wide = tf.raw_ops.Unbatch(batched_tensor=tf.ones([2]), batch_index=tf.ones([1, 2],
                                  tf.int64), id=tf.constant(1, tf.int64), timeout_micros=1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Expected 1st dimension size "
                                                                 "to be 3 ; Got: 2"):
            sess.run(wide)
        split = tf.raw_ops.Unbatch(batched_tensor=tf.ones([2]), batch_index=tf.constant(
            [[1, 0, 3]], tf.int64), id=tf.constant(1, tf.int64), timeout_micros=1)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Sum of split sizes"):
            sess.run(split)
    with pytest.raises(ValueError, match="rank 0"):
        BATCH([tf.constant(1.0)], num_batch_threads=1, max_batch_size=2,
                         batch_timeout_micros=0, grad_timeout_micros=0)


def test_no_gradient():
    x = tf.placeholder(tf.float32, [None])
    (y,) = batching.batch_function(1, 4, 1000)(lambda a: a * 2.0)(x)
    with pytest.raises(LookupError):
        tf.gradients(y, x)


# -- side by side with TensorFlow -----------------------------------------------------------------
def test_matches_tensorflow_batch_function():
    tf1 = tf1_or_skip()
    feeds_of = [(k, np.full((k, 2), k, np.float32)) for k in (1, 2, 3)]

    def run(lib, decorator, graph):
        with graph.as_default():
            x = lib.placeholder(lib.float32, [None, 2])
            out = _layer(lib, decorator)(x)
            with lib.Session() as sess:
                return _concurrently(sess, list(out), [{x: v} for _, v in feeds_of])

    theirs = run(tf1, tf1.nondifferentiable_batch_function(1, 6, 5_000_000), tf1.Graph())
    mine = run(tf, batching.batch_function(1, 6, 5_000_000), tf.Graph())
    for t, m in zip(theirs, mine):
        for a, b in zip(t, m):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype


def test_matches_tensorflow_raw_batch_padding_and_index():
    tf1 = tf1_or_skip()

    def run(lib, graph, batch):
        with graph.as_default():
            x = lib.placeholder(lib.float32, [None, 2])
            z = lib.placeholder(lib.int32, [None])
            *batched, index, _ = batch(
                [x, z], num_batch_threads=1, max_batch_size=4, batch_timeout_micros=1000,
                allowed_batch_sizes=[2, 4], grad_timeout_micros=0)
            with lib.Session() as sess:
                b, i = sess.run([batched, index], {x: [[1, 2], [3, 4], [5, 6]], z: [7, 8, 9]})
                return b, i[:, 1:]  # the ids are random

    def tf_batch(tensors, **kw):
        out = tf1.raw_ops.Batch(in_tensors=tensors, **kw)
        return [*out.batched_tensors, out.batch_index, out.id]

    (tb, ti), (mb, mi) = run(tf1, tf1.Graph(), tf_batch), run(tf, tf.Graph(), BATCH)
    for a, b in zip(tb, mb):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ti, mi)
