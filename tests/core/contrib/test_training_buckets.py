"""tf.contrib.training's bucket / bucket_by_sequence_length against a known input stream (every
element in the right bucket, padded as a PaddingFIFOQueue pads, each exactly once),
FeedingQueueRunner, and the greedy ps placement with byte_size_load_fn traced by hand. Every
session has a Coordinator and an operation timeout, so a bug fails instead of hanging."""

import contextlib

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import training

TIMEOUT_MS = 20000


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        yield


@contextlib.contextmanager
def _running():
    """A session whose queue runners run under a Coordinator; stops and joins them after."""
    config = tf.ConfigProto(operation_timeout_in_ms=TIMEOUT_MS)
    with tf.Session(config=config) as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        try:
            yield sess
        finally:
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=10)


def _drain(sess, fetches, limit=500):
    """Runs ``fetches`` until the input ends (OutOfRangeError); the results."""
    out = []
    for _ in range(limit):
        try:
            out.append(sess.run(fetches))
        except tf.errors.OutOfRangeError:
            return out
    raise AssertionError("the input did not end")


class _Feeder:
    """A padding queue the test fills with (int32 v, int64 [v] * v, 3 strings str(v))."""

    def __init__(self):
        self.v = tf.placeholder(tf.int32, ())
        self.vec = tf.placeholder(tf.int64, (None,))
        self.strs = tf.placeholder(tf.string, (3,))
        q = tf.PaddingFIFOQueue(5000, [tf.int32, tf.int64, tf.string], [(), (None,), (3,)])
        self.enqueue = q.enqueue((self.v, self.vec, self.strs))
        self.close = q.close()
        self.outputs = q.dequeue()

    def fill(self, sess, values):
        for v in values:
            sess.run(self.enqueue, {self.v: v, self.vec: [v] * v, self.strs: [str(v)] * 3})
        sess.run(self.close)


def _expected_rows(vs, width):
    """The padded int64 rows and string rows the batch of ``vs`` must hold."""
    rows = np.zeros((len(vs), width), np.int64)
    for i, v in enumerate(vs):
        rows[i, :v] = v
    return rows, np.array([[str(v).encode()] * 3 for v in vs], dtype=object)


@pytest.mark.parametrize("num_threads", [1, 3])
def test_bucket_even_odd_dynamic_pad_each_element_once(num_threads):
    feed = _Feeder()
    v, vec, strs = feed.outputs
    bucket_id, (bv, bvec, bstrs) = training.bucket(
        [v, vec, strs], which_bucket=v % 2, batch_size=4, num_buckets=2,
        num_threads=num_threads, dynamic_pad=True, allow_smaller_final_batch=True)
    assert bucket_id.shape.as_list() == []
    assert [t.shape.as_list() for t in (bv, bvec, bstrs)] == [[None], [None, None], [None, 3]]
    values = list(range(23))
    with _running() as sess:
        feed.fill(sess, values)
        batches = _drain(sess, [bucket_id, bv, bvec, bstrs])
    seen = []
    for b, vs, vecs, ss in batches:
        assert 1 <= len(vs) <= 4
        assert np.all(vs % 2 == b)  # every element in its bucket
        rows, srows = _expected_rows(vs, max(vs))  # padded to the batch's longest
        np.testing.assert_array_equal(vecs, rows)
        np.testing.assert_array_equal(ss, srows)
        seen += list(vs)
    assert sorted(seen) == values  # each exactly once, the smaller final batches included
    # 12 evens and 11 odds in batches of 4: the odd bucket ends with a batch of 3
    assert sorted(len(vs) for _, vs, _, _ in batches) == [3] + [4] * 5


def test_bucket_full_batches_only_drops_the_partial_ones_in_fifo_order():
    feed = _Feeder()
    v, vec, strs = feed.outputs
    bucket_id, (bv, bvec) = training.bucket([v, vec], which_bucket=tf.minimum(v // 5, 2),
                                            batch_size=3, num_buckets=3, dynamic_pad=True)
    assert [t.shape.as_list() for t in (bv, bvec)] == [[3], [3, None]]
    values = [7, 0, 12, 3, 1, 8, 14, 2, 9, 4, 11, 6, 13, 5, 10]
    with _running() as sess:
        feed.fill(sess, values)
        batches = _drain(sess, [bucket_id, bv, bvec])
    per_bucket = {b: [x for x in values if min(x // 5, 2) == b] for b in range(3)}
    got = {b: [] for b in range(3)}
    for b, vs, vecs in batches:
        assert len(vs) == 3
        np.testing.assert_array_equal(vecs, _expected_rows(vs, max(vs))[0])
        got[int(b)] += list(vs)
    for b in range(3):  # one thread: each bucket's full batches, in arrival order
        n = len(per_bucket[b]) // 3 * 3
        assert got[b] == per_bucket[b][:n]


def test_bucket_per_bucket_batch_sizes_and_keep_input():
    feed = _Feeder()
    v = feed.outputs[0]
    which = tf.cond(v < 10, lambda: tf.constant(0), lambda: tf.constant(1))
    bucket_id, outs = training.bucket({"v": v}, which_bucket=which, batch_size=[2, 5],
                                      num_buckets=2, keep_input=tf.not_equal(v % 3, 0),
                                      allow_smaller_final_batch=True)
    assert isinstance(outs, dict) and outs["v"].shape.as_list() == [None]
    values = list(range(20))
    with _running() as sess:
        feed.fill(sess, values)
        batches = _drain(sess, [bucket_id, outs["v"]])
    kept = [x for x in values if x % 3]
    seen = []
    for b, vs in batches:
        assert np.all((vs >= 10) == bool(b))
        full = 2 if b == 0 else 5
        assert len(vs) <= full
        seen += list(vs)
    assert sorted(seen) == kept
    # 6 kept below 10 in batches of 2; 7 kept from 10 in a batch of 5 and a final one of 2
    assert sorted((int(b), len(vs)) for b, vs in batches) == [(0, 2)] * 3 + [(1, 2), (1, 5)]


def test_bucket_from_an_input_producer_names_and_runners():
    values = np.arange(30, dtype=np.int32)
    v = tf.train.input_producer(values, num_epochs=1, shuffle=False).dequeue()
    bucket_id, [bv] = training.bucket([v], which_bucket=v % 3, batch_size=4, num_buckets=3,
                                      capacity=8, allow_smaller_final_batch=True)
    graph = tf.get_default_graph()
    assert bucket_id.name == "bucket/dequeue_top:0"
    for name in ("bucket/bucket_queue_0", "bucket/bucket_queue_2", "bucket/top_queue",
                 "bucket/read_bucket_1", "bucket/enqueue_from_bucket_1",
                 "bucket/group_enqueues"):
        graph.get_operation_by_name(name)
    runners = [qr for qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
               if qr.name.startswith("bucket/")]
    assert len(runners) == 2
    with _running() as sess:
        batches = _drain(sess, [bucket_id, bv])
    seen = []
    for b, vs in batches:
        assert np.all(vs % 3 == b)
        np.testing.assert_array_equal(vs, np.sort(vs))  # FIFO within a bucket
        seen += list(vs)
    assert sorted(seen) == list(values)


def test_bucket_errors():
    x = tf.constant(1)
    with pytest.raises(ValueError, match="must have exactly num_buckets"):
        training.bucket([x], tf.constant(0), 32, num_buckets=2, bucket_capacities=[3, 4, 5])
    with pytest.raises(ValueError, match="num_buckets elements"):
        training.bucket([x], tf.constant(0), [2, 3, 4], num_buckets=2)
    with pytest.raises(ValueError, match="Expected at least one tensor"):
        training.bucket([], tf.constant(0), 2, num_buckets=2)
    unknown = tf.placeholder(tf.float32, [None])
    with pytest.raises(ValueError, match="fully defined"):  # only a padding queue takes it
        training.bucket([unknown], tf.constant(0), 2, num_buckets=2)
    with pytest.raises(ValueError, match="cannot be a vector"):
        training.bucket([x], tf.constant(0), 2, num_buckets=2, keep_input=[True, False])


def _length_bucket(boundaries, length):
    """The reference: bucket i holds boundaries[i-1] <= length < boundaries[i]."""
    return int(np.searchsorted(boundaries, length, side="right"))


@pytest.mark.parametrize("allow_small", [False, True])
def test_bucket_by_sequence_length(allow_small):
    boundaries = [3, 5, 8]
    length = tf.placeholder(tf.int32, ())
    seq = tf.placeholder(tf.float32, (None, 2))
    label = tf.placeholder(tf.string, ())
    q = tf.PaddingFIFOQueue(1000, [tf.int32, tf.float32, tf.string], [(), (None, 2), ()])
    enqueue = q.enqueue((length, seq, label))
    close = q.close()
    length_t, seq_t, label_t = q.dequeue()
    lengths, outs = training.bucket_by_sequence_length(
        length_t, {"seq": seq_t, "label": label_t}, batch_size=4,
        bucket_boundaries=boundaries, dynamic_pad=True, allow_smaller_final_batch=allow_small)
    batch = None if allow_small else 4
    assert lengths.shape.as_list() == [batch]
    assert outs["seq"].shape.as_list() == [batch, None, 2]
    assert outs["label"].shape.as_list() == [batch]
    rng = np.random.default_rng(0)
    stream = [int(n) for n in rng.integers(1, 12, size=41)]
    with _running() as sess:
        for i, n in enumerate(stream):
            data = np.arange(n * 2, dtype=np.float32).reshape(n, 2) + 100 * i
            sess.run(enqueue, {length: n, seq: data, label: f"{i}"})
        sess.run(close)
        batches = _drain(sess, [lengths, outs["seq"], outs["label"]])
    seen = []
    for ls, seqs, labels in batches:
        assert len({_length_bucket(boundaries, n) for n in ls}) == 1  # one bucket per batch
        assert seqs.shape == (len(ls), max(ls), 2)
        for n, s, lab in zip(ls, seqs, labels):
            i = int(lab)
            assert stream[i] == n
            np.testing.assert_array_equal(s[:n], np.arange(n * 2).reshape(n, 2) + 100 * i)
            np.testing.assert_array_equal(s[n:], 0)  # padded with zeros
            seen.append(i)
    if allow_small:
        assert sorted(seen) == list(range(len(stream)))
    else:
        counts = np.bincount([_length_bucket(boundaries, n) for n in stream], minlength=4)
        assert len(seen) == len(set(seen)) == int(np.sum(counts // 4 * 4))


def test_bucket_by_sequence_length_errors():
    n = tf.constant(3)
    x = tf.constant([1.0])
    with pytest.raises(TypeError, match="list or tuple"):
        training.bucket_by_sequence_length(n, [x], 2, bucket_boundaries=3)
    with pytest.raises(ValueError, match="must not be empty"):
        training.bucket_by_sequence_length(n, [x], 2, bucket_boundaries=[])
    with pytest.raises(ValueError, match="sequential increasing lengths, but saw: 5 before 5"):
        training.bucket_by_sequence_length(n, [x], 2, bucket_boundaries=[3, 5, 5])
    with pytest.raises(TypeError, match="must be integers"):
        training.bucket_by_sequence_length(n, [x], 2, bucket_boundaries=[1.5, 3])
    with pytest.raises(ValueError, match="must have exactly num_buckets"):
        training.bucket_by_sequence_length(n, [x], 2, bucket_boundaries=[3, 4, 5, 10],
                                           bucket_capacities=[32] * 4)


# -- FeedingQueueRunner ------------------------------------------------------------------------
def _feed_fn(placeholder, values):
    it = iter(values)

    def feed():
        try:
            return {placeholder: next(it)}
        except StopIteration:
            raise tf.errors.OutOfRangeError(None, None, "no more values") from None
    return feed


def test_feeding_queue_runner_feeds_each_value_once_then_closes():
    q = tf.FIFOQueue(4, [tf.int32], shapes=[()])
    a, b = tf.placeholder(tf.int32, ()), tf.placeholder(tf.int32, ())
    runner = training.FeedingQueueRunner(
        q, [q.enqueue(a), q.enqueue(b)],
        feed_fns=[_feed_fn(a, range(0, 10)), _feed_fn(b, range(100, 107))])
    tf.train.add_queue_runner(runner)
    out = q.dequeue()
    with _running() as sess:
        got = [v for (v,) in _drain(sess, [out])]
    assert sorted(got) == list(range(10)) + list(range(100, 107))
    assert [v for v in got if v < 100] == list(range(10))  # each feed in order


def test_feeding_queue_runner_errors():
    q = tf.FIFOQueue(4, [tf.int32], shapes=[()])
    op = q.enqueue(1)
    with pytest.raises(ValueError, match="same length as enqueue_ops"):
        training.FeedingQueueRunner(q, [op, op], feed_fns=[lambda: None])
    runner = training.FeedingQueueRunner(q, [op])
    assert runner.queue_closed_exception_types == (tf.errors.OutOfRangeError,
                                                   tf.errors.CancelledError)
    with pytest.raises(NotImplementedError):
        runner.to_proto()


# -- device_setter -----------------------------------------------------------------------------
def test_greedy_load_balancing_places_on_the_least_loaded_ps():
    strategy = training.GreedyLoadBalancingStrategy(2, training.byte_size_load_fn)
    setter = tf.train.replica_device_setter(ps_tasks=2, ps_strategy=strategy)
    with tf.device(setter):
        a = tf.Variable(tf.zeros([100]), name="a")                 # 400 bytes
        b = tf.Variable(tf.zeros([10, 5], tf.float64), name="b")  # 400 bytes
        c = tf.Variable(tf.zeros([30]), name="c")                  # 120 bytes
        d = tf.Variable(tf.zeros([], tf.int64), name="d")          # 8 bytes
        e = tf.Variable(tf.zeros([20]), name="e")                  # 80 bytes
    # loads (0, 0) -> a on 0 (400, 0) -> b on 1 (400, 400) -> c on 0 (520, 400) -> d on 1
    # (520, 408) -> e on 1 (520, 488)
    tasks = [int(v.op.device.split("task:")[1]) for v in (a, b, c, d, e)]
    assert tasks == [0, 1, 0, 1, 1]
    assert all(v.op.device.startswith("/job:ps") for v in (a, b, c, d, e))


def test_byte_size_load_fn():
    v = tf.Variable(tf.zeros([3, 4], tf.float16))
    assert training.byte_size_load_fn(v.op) == 3 * 4 * 2
    assert training.byte_size_load_fn(tf.constant(np.zeros(5, np.int32)).op) == 20
    x, y = tf.split(tf.zeros([4]), 2)
    with pytest.raises(ValueError, match="must have a single output"):
        training.byte_size_load_fn(x.op)
    with pytest.raises(ValueError):
        training.byte_size_load_fn(tf.placeholder(tf.float32, [None]).op)
