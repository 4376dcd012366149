"""TF1's queue-based input pipelines: queues (blocking, close and cancel, timeouts, session
close), QueueRunners with a Coordinator, producers with num_epochs, batching, readers over temp
files, decode_csv, file ops, a classic pipeline trained with MonitoredTrainingSession, and the
same pipelines against tf.compat.v1. Every run that could block has a deadline and every thread
is joined with a timeout, so a bug fails a test instead of hanging the suite."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import minitf as tf

from .legacy_tf import run_against_tf

from .blocking import OPTS, run_bounded as _run, start_thread as _start  # noqa: F401
from .blocking import wait_until_waiting


def _join(*threads):
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"


# -- queues --------------------------------------------------------------------------------------
def test_fifo_order_enqueue_many_and_dequeue_many():
    q = tf.FIFOQueue(10, [tf.int32, tf.float32], shapes=[[], [2]])
    enqueue_many = q.enqueue_many(([1, 2, 3], [[1, 1], [2, 2], [3, 3]]))
    enqueue = q.enqueue((4, [4.0, 4.0]))
    x, y = q.dequeue()
    xs, ys = q.dequeue_many(2)
    assert (x.dtype, x.shape.as_list(), y.shape.as_list()) == (tf.int32, [], [2])
    assert [xs.shape.as_list(), ys.shape.as_list()] == [[2], [2, 2]]
    assert q.name == "fifo_queue" and q.queue_ref.op.type == "FIFOQueueV2"
    assert [o.type for o in (enqueue, enqueue_many)] == ["QueueEnqueueV2", "QueueEnqueueManyV2"]
    with tf.Session() as sess:
        _run(sess, enqueue_many)
        _run(sess, enqueue)
        assert _run(sess, q.size()) == 4
        got = [_run(sess, x)]
        many = _run(sess, [xs, ys])
        got += list(many[0]) + [_run(sess, x)]
        assert got == [1, 2, 3, 4]
        np.testing.assert_array_equal(many[1], [[2, 2], [3, 3]])
        assert _run(sess, q.size()) == 0


def test_names_dicts_and_static_checks():
    q = tf.FIFOQueue(4, [tf.int32, tf.string], shapes=[[2], []], names=["a", "b"])
    out = q.dequeue()
    assert set(out) == {"a", "b"} and out["a"].shape.as_list() == [2]
    with pytest.raises(ValueError, match="enqueue a dictionary"):
        q.enqueue(([1, 2], "x"))
    with pytest.raises(ValueError):
        q.enqueue({"a": [1, 2, 3], "b": "x"})
    with tf.Session() as sess:
        _run(sess, q.enqueue({"a": [1, 2], "b": "x"}))
        got = _run(sess, out)
        assert got["b"] == b"x" and list(got["a"]) == [1, 2]
        shaped = tf.FIFOQueue(2, tf.float32, shapes=[[2]])
        ph = tf.placeholder(tf.float32)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Shape mismatch in tuple "
                           r"component 0. Expected \[2\], got \[3\]"):
            _run(sess, shaped.enqueue(ph), {ph: [1.0, 2.0, 3.0]})
        unshaped = tf.FIFOQueue(2, tf.int32)
        with pytest.raises(tf.errors.InvalidArgumentError, match="require the components to "
                           "have specified shapes"):
            _run(sess, unshaped.dequeue_many(1))


def test_dequeue_blocks_until_a_producer_thread_enqueues():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    value = tf.placeholder(tf.int32, [])
    enqueue, dequeue = q.enqueue(value), q.dequeue()
    with tf.Session() as sess:
        def produce():
            for i in range(6):
                time.sleep(0.01)
                _run(sess, enqueue, {value: i})  # blocks while the queue holds 2
        producer = _start(produce)
        got = [_run(sess, dequeue) for _ in range(6)]
        _join(producer)
    assert got == list(range(6))


def test_concurrent_producers_and_consumers_on_one_session():
    """Runs from many threads at once on one session: nothing lost, nothing twice; a run
    blocked on the queue holds no lock the others need."""
    q = tf.FIFOQueue(3, tf.int32, shapes=[[]])
    value = tf.placeholder(tf.int32, [])
    enqueue, dequeue = q.enqueue(value), q.dequeue()
    got, errors = [], []
    with tf.Session() as sess:
        def produce(base):
            try:
                for i in range(50):
                    _run(sess, enqueue, {value: base + i})
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        def consume():
            try:
                for _ in range(50):
                    got.append(int(_run(sess, dequeue)))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [_start(produce, k * 1000) for k in range(4)] + \
            [_start(consume) for _ in range(4)]
        _join(*threads)
    assert not errors
    assert sorted(got) == sorted(k * 1000 + i for k in range(4) for i in range(50))


def test_close_semantics():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    value = tf.placeholder(tf.int32, [])
    enqueue, dequeue = q.enqueue(value), q.dequeue()
    with tf.Session() as sess:
        _run(sess, q.enqueue_many([[1, 2]]))
        blocked = []

        def enqueue_when_full():
            try:
                _run(sess, enqueue, {value: 3})
            except tf.errors.CancelledError as e:
                blocked.append(e.message)
        t = _start(enqueue_when_full)
        wait_until_waiting(sess, q.queue_ref, "_enqueuers")
        assert not _run(sess, q.is_closed())
        _run(sess, q.close(cancel_pending_enqueues=True))
        _join(t)
        assert blocked and blocked[0].startswith("Enqueue operation was cancelled")
        assert _run(sess, q.is_closed())
        with pytest.raises(tf.errors.CancelledError,
                           match=r"^FIFOQueue '_\d+_fifo_queue' is closed."):
            _run(sess, enqueue, {value: 4})
        # dequeue_many wants more than there is: OutOfRange, the elements stay
        with pytest.raises(tf.errors.OutOfRangeError, match="requested 3, current size 2"):
            _run(sess, q.dequeue_many(3))
        assert list(_run(sess, q.dequeue_up_to(3))) == [1, 2]
        with pytest.raises(tf.errors.OutOfRangeError) as info:
            _run(sess, dequeue)
        assert re.match(r"FIFOQueue '_\d+_fifo_queue' is closed and has insufficient elements "
                        r"\(requested 1, current size 0\)", info.value.message)


def test_close_wakes_a_blocked_dequeue_and_the_deadline_fires():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    dequeue = q.dequeue()
    with tf.Session() as sess:
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError, match="Timed out waiting"):
            sess.run(dequeue, options=tf.RunOptions(timeout_in_ms=50))
        assert time.monotonic() - start < 5
        errors = []

        def wait():
            try:
                _run(sess, dequeue)
            except tf.errors.OutOfRangeError as e:
                errors.append(e)
        t = _start(wait)
        time.sleep(0.05)
        _run(sess, q.close())
        _join(t)
        assert len(errors) == 1


def test_session_close_cancels_blocked_runs():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    dequeue = q.dequeue()
    sess = tf.Session()
    errors = []

    def wait():
        try:
            _run(sess, dequeue)
        except tf.errors.CancelledError as e:
            errors.append(e)
    t = _start(wait)
    wait_until_waiting(sess, q.queue_ref, "_dequeuers")
    sess.close()
    _join(t)
    assert len(errors) == 1 and "Dequeue operation was cancelled" in errors[0].message


def test_random_shuffle_queue_is_seeded_and_keeps_min_after_dequeue():
    def run_once():
        with tf.Graph().as_default():
            q = tf.RandomShuffleQueue(20, 5, tf.int32, shapes=[[]], seed=7)
            assert q.queue_ref.op.type == "RandomShuffleQueueV2"
            with tf.Session() as sess:
                _run(sess, q.enqueue_many([list(range(10))]))
                first = list(_run(sess, q.dequeue_many(5)))  # 10 - 5 >= min_after_dequeue
                with pytest.raises(tf.errors.DeadlineExceededError):  # would leave 4 < 5
                    sess.run(q.dequeue(), options=tf.RunOptions(timeout_in_ms=50))
                _run(sess, q.close())
                rest = list(_run(sess, q.dequeue_many(5)))  # closed: min_after_dequeue off
                return first, rest
    a, b = run_once(), run_once()
    assert a == b and sorted(a[0] + a[1]) == list(range(10))
    assert a[0] + a[1] != list(range(10))


def test_padding_fifo_queue_pads_to_the_longest():
    q = tf.PaddingFIFOQueue(5, [tf.int32, tf.string], shapes=[[None], []])
    v = tf.placeholder(tf.int32, [None])
    s = tf.placeholder(tf.string, [])
    many = q.dequeue_many(3)
    assert many[0].shape.as_list() == [3, None]
    with tf.Session() as sess:
        for row, word in (([1], "a"), ([1, 2, 3], "b"), ([], "c")):
            _run(sess, q.enqueue((v, s)), {v: row, s: word})
        ints, words = _run(sess, many)
    np.testing.assert_array_equal(ints, [[1, 0, 0], [1, 2, 3], [0, 0, 0]])
    assert list(words) == [b"a", b"b", b"c"]


# -- producers, batching, queue runners ---------------------------------------------------------
def _drain(fetch, init=True, limit=100):
    """Runs ``fetch`` with the queue runners until OutOfRange; returns the results."""
    out = []
    with tf.Session() as sess:
        if init:
            _run(sess, [tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        try:
            for _ in range(limit):
                out.append(_run(sess, fetch))
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=10)
        assert len(out) < limit, "the input did not end"
    return out


def test_string_input_producer_num_epochs_then_out_of_range():
    q = tf.train.string_input_producer(["a", "b", "c"], num_epochs=2, shuffle=False)
    assert [v.op.name for v in tf.local_variables()] == ["input_producer/limit_epochs/epochs"]
    assert [qr.name for qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)] == \
        ["input_producer"]
    assert [s.op.name for s in tf.get_collection(tf.GraphKeys.SUMMARIES)] == \
        ["input_producer/fraction_of_32_full"]
    assert _drain(q.dequeue()) == [b"a", b"b", b"c"] * 2


def test_producers_shuffle_reproducibly_and_slice_together():
    def order(seed):
        with tf.Graph().as_default():
            q = tf.train.range_input_producer(6, num_epochs=1, seed=seed)
            return _drain(q.dequeue())
    assert order(3) == order(3) and sorted(order(3)) == list(range(6))
    xs, ys = tf.train.slice_input_producer([tf.constant([1, 2, 3]), tf.constant([10, 20, 30])],
                                           num_epochs=1, shuffle=False)
    assert [tuple(map(int, p)) for p in _drain([xs, ys])] == [(1, 10), (2, 20), (3, 30)]


def test_batch_shapes_smaller_final_batch_and_dynamic_pad():
    q = tf.train.string_input_producer(["a", "bb", "ccc", "dddd", "e"], num_epochs=1,
                                       shuffle=False)
    word = q.dequeue()
    length = tf.strings.length(word)
    words, lengths = tf.train.batch([word, length], 2, allow_smaller_final_batch=True)
    assert words.shape.as_list() == [None] and lengths.dtype == tf.int32
    got = _drain([words, lengths])
    assert [list(w) for w, _ in got] == [[b"a", b"bb"], [b"ccc", b"dddd"], [b"e"]]

    with tf.Graph().as_default():
        q = tf.train.string_input_producer(["a", "bb", "ccc"], num_epochs=1, shuffle=False)
        ids = tf.range(tf.strings.length(q.dequeue()))
        padded = tf.train.batch([ids], 3, dynamic_pad=True)
        assert padded.shape.as_list() == [3, None]
        (batch,) = _drain(padded)
    np.testing.assert_array_equal(batch, [[0, 0, 0], [0, 1, 0], [0, 1, 2]])


def test_shuffle_batch_dicts_enqueue_many_and_maybe_batch():
    x = tf.constant(np.arange(12, dtype=np.float32).reshape(6, 2))
    out = tf.train.shuffle_batch({"x": x, "y": tf.range(6)}, 4, capacity=20,
                                 min_after_dequeue=2, enqueue_many=True, seed=1)
    assert out["x"].shape.as_list() == [4, 2] and out["y"].shape.as_list() == [4]
    assert "shuffle_batch/fraction_over_2_of_18_full" in [
        s.op.name for s in tf.get_collection(tf.GraphKeys.SUMMARIES)]
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        got = _run(sess, out)
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
    np.testing.assert_array_equal(got["x"][:, 0], got["y"] * 2)

    with tf.Graph().as_default():
        q = tf.train.range_input_producer(6, num_epochs=1, shuffle=False)
        n = q.dequeue()
        evens = tf.train.maybe_batch([n], tf.equal(n % 2, 0), 3)  # known at run time: tf.cond
        assert list(_drain(evens)[0]) == [0, 2, 4]


def test_batch_join_and_shuffle_batch_join_take_every_element():
    q = tf.train.range_input_producer(8, num_epochs=1, shuffle=False)
    a, b = q.dequeue(), q.dequeue()
    joined = tf.train.batch_join([[a], [b]], 4, allow_smaller_final_batch=True)
    assert sorted(int(v) for batch in _drain(joined) for v in batch) == list(range(8))
    with tf.Graph().as_default():
        q = tf.train.range_input_producer(8, num_epochs=1, shuffle=False)
        joined = tf.train.shuffle_batch_join([[q.dequeue()], [q.dequeue()]], 4, capacity=10,
                                             min_after_dequeue=2, seed=1,
                                             allow_smaller_final_batch=True)
        assert sorted(int(v) for batch in _drain(joined) for v in batch) == list(range(8))


def test_queue_runner_reports_errors_to_the_coordinator_and_closes_the_queue():
    source = tf.FIFOQueue(5, tf.string, shapes=[[]])
    numbers = tf.string_to_number(source.dequeue())
    out = tf.FIFOQueue(5, tf.float32, shapes=[[]])
    tf.train.add_queue_runner(tf.train.QueueRunner(out, [out.enqueue(numbers)]))
    with tf.Session() as sess:
        _run(sess, source.enqueue_many([["1", "x"]]))
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        assert len(threads) == 2  # the enqueue thread and the one closing on stop
        assert _run(sess, out.dequeue()) == 1.0
        with pytest.raises(tf.errors.InvalidArgumentError):
            coord.join(threads, stop_grace_period_secs=10)
        assert coord.should_stop()
        assert _run(sess, out.is_closed())  # the cancel op ran


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_start_queue_runners_without_a_coordinator_and_session_close():
    """Without a coordinator a runner's thread raises its error (TF's does too): closing the
    session cancels the blocked enqueue, so the thread ends."""
    q = tf.train.range_input_producer(1000, shuffle=False, capacity=4)
    with tf.Session() as sess:
        threads = tf.train.start_queue_runners(sess)
        assert _run(sess, q.dequeue()) == 0
    _join(*threads)
    (runner,) = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
    assert [type(e) for e in runner.exceptions_raised] == [tf.errors.CancelledError]


# -- readers -------------------------------------------------------------------------------------
def _records(path, items, options=None):
    with tf.python_io.TFRecordWriter(str(path), options) as w:
        for item in items:
            w.write(item)
    return str(path)


def _reader_session(files, reader, up_to=None):
    queue = tf.FIFOQueue(10, tf.string, shapes=[[]])
    read = reader.read(queue) if up_to is None else reader.read_up_to(queue, up_to)
    sess = tf.Session()
    _run(sess, queue.enqueue_many([files]))
    _run(sess, queue.close())
    return sess, read


def _read_all(sess, read, limit=50):
    out = []
    for _ in range(limit):
        try:
            out.append(_run(sess, read))
        except tf.errors.OutOfRangeError:
            return out
    raise AssertionError("the reader did not end")


def test_tfrecord_reader_keys_counters_reset_and_gzip(tmp_path):
    a = _records(tmp_path / "a.tfr", [b"r0", b"r11"])
    z = _records(tmp_path / "z.tfr", [b"zz"], tf.python_io.TFRecordOptions(
        tf.python_io.TFRecordCompressionType.GZIP))
    reader = tf.TFRecordReader()
    sess, read = _reader_session([a], reader)
    with sess:
        assert read[0].shape.as_list() == [] and reader.reader_ref.op.type == "TFRecordReaderV2"
        assert [tuple(p) for p in _read_all(sess, read)] == [
            (f"{a}:0".encode(), b"r0"), (f"{a}:18".encode(), b"r11")]  # byte offsets, as TF
        assert _run(sess, [reader.num_records_produced(), reader.num_work_units_completed()]) \
            == [2, 1]
        _run(sess, reader.reset())
        assert _run(sess, reader.num_records_produced()) == 0
    gz = tf.TFRecordReader(options=tf.python_io.TFRecordOptions(
        tf.python_io.TFRecordCompressionType.GZIP))
    sess, read = _reader_session([z, str(tmp_path / "missing")], gz)
    with sess:
        assert _run(sess, read)[1] == b"zz"
        with pytest.raises(tf.errors.NotFoundError, match="missing; No such file"):
            _run(sess, read)


def test_text_line_reader_skips_header_lines(tmp_path):
    one = tmp_path / "one.csv"
    one.write_bytes(b"a,b\n1,2\r\n3,4\n")
    sess, read = _reader_session([str(one), str(one)], tf.TextLineReader(skip_header_lines=1))
    with sess:
        got = [tuple(p) for p in _read_all(sess, read)]
    assert got == [(f"{one}:2".encode(), b"1,2"), (f"{one}:3".encode(), b"3,4")] * 2
    sess, read = _reader_session([str(one), str(one)], tf.TextLineReader(), up_to=5)
    with sess:
        batches = _read_all(sess, read)
    assert [list(values) for _, values in batches] == [[b"a,b", b"1,2", b"3,4"]] * 2


def test_fixed_length_whole_file_and_identity_readers(tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(b"HH" + b"abcdefghij" + b"F")
    sess, read = _reader_session([str(data)], tf.FixedLengthRecordReader(
        4, header_bytes=2, footer_bytes=1))
    with sess:
        assert [tuple(p) for p in _read_all(sess, read)] == [
            (f"{data}:0".encode(), b"abcd"), (f"{data}:1".encode(), b"efgh")]
    sess, read = _reader_session([str(data)], tf.WholeFileReader())
    with sess:
        assert [tuple(p) for p in _read_all(sess, read)] == [
            (str(data).encode(), b"HHabcdefghijF")]
    sess, read = _reader_session(["x", "y"], tf.IdentityReader())
    with sess:
        assert [tuple(p) for p in _read_all(sess, read)] == [(b"x", b"x"), (b"y", b"y")]


# -- decode_csv and files ------------------------------------------------------------------------
def test_decode_csv_values_and_errors():
    records = tf.constant(['1,2.5,"a,b",7', "3,,c,"])
    cols = tf.decode_csv(records, [[0], [1.0], ["z"], tf.constant([9], tf.int64)])
    assert [c.dtype for c in cols] == [tf.int32, tf.float32, tf.string, tf.int64]
    assert cols[0].op.type == "DecodeCSV" and cols[0].shape.as_list() == [2]
    semi = tf.decode_csv(["1;NA;x"], [[0], [5], [""]], field_delim=";", na_value="NA",
                         select_cols=[0, 1, 2])
    bad = tf.placeholder(tf.string, [None])
    checked = tf.decode_csv(bad, [[0], tf.constant([], tf.int32)])
    with tf.Session() as sess:
        a, b, c, d = _run(sess, cols)
        np.testing.assert_array_equal(a, [1, 3])
        np.testing.assert_allclose(b, [2.5, 1.0])
        assert list(c) == [b"a,b", b"c"] and list(d) == [7, 9]
        assert [list(v) for v in _run(sess, semi)] == [[1], [5], [b"x"]]
        for record, message in ((["1"], "Expect 2 fields but have 1 in record 0"),
                                (["x,1"], "Field 0 in record 0 is not a valid int32: x"),
                                (["1,"], "Field 1 is required but missing in record 0!"),
                                (['"1,2'], "Quoted field has to end with quote")):
            with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
                _run(sess, checked, {bad: record})
    with pytest.raises(ValueError, match="not strictly increasing"):
        tf.decode_csv(["1,2"], [[0], [0]], select_cols=[1, 0])


def test_file_ops_and_match_filenames_once(tmp_path):
    path = str(tmp_path / "sub" / "x.txt")
    write = tf.write_file(path, "hello")
    read = tf.read_file(path)
    matched = tf.train.match_filenames_once(str(tmp_path / "sub" / "*.txt"))
    assert matched.op.name == "matching_filenames" and matched in tf.local_variables()
    with tf.Session() as sess:
        _run(sess, write)
        assert _run(sess, read) == b"hello"
        assert list(_run(sess, tf.matching_files(str(tmp_path / "*" / "*.txt")))) == \
            [path.encode()]
        _run(sess, tf.local_variables_initializer())
        assert list(_run(sess, matched)) == [path.encode()]
        with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
            _run(sess, tf.read_file(path + ".missing"))


# -- the classic pipeline ------------------------------------------------------------------------
def test_classic_pipeline_trains_with_monitored_training_session(tmp_path):
    """string_input_producer -> TFRecordReader -> parse_single_example -> shuffle_batch,
    trained by MonitoredTrainingSession, which starts the queue runners and ends the with
    block at the end of the input."""
    files = []
    for k in range(2):
        items = []
        for i in range(10):
            x = np.array([i, k], np.float32)
            items.append(tf.train.Example(features=tf.train.Features(feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=x)),
                "y": tf.train.Feature(float_list=tf.train.FloatList(
                    value=[2 * x[0] - x[1]]))})).SerializeToString())
        files.append(_records(tmp_path / f"part-{k}.tfr", items))
    filenames = tf.train.string_input_producer(files, num_epochs=20, seed=1)
    _, serialized = tf.TFRecordReader().read(filenames)
    features = tf.parse_single_example(serialized, {
        "x": tf.FixedLenFeature([2], tf.float32), "y": tf.FixedLenFeature([], tf.float32)})
    xs, ys = tf.train.shuffle_batch([features["x"], features["y"]], 8, capacity=50,
                                    min_after_dequeue=10, num_threads=2, seed=2,
                                    allow_smaller_final_batch=True)
    w = tf.Variable(tf.zeros([2]))
    loss = tf.reduce_mean(tf.square(tf.reduce_sum(xs * w, axis=1) - ys))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=step)
    seen, losses = 0, []
    start = time.monotonic()
    with tf.train.MonitoredTrainingSession() as sess:
        while not sess.should_stop() and time.monotonic() - start < 60:
            _, batch, value = sess.run([train, ys, loss], options=OPTS)
            seen += len(batch)
            losses.append(value)
    assert seen == 2 * 10 * 20  # every record of every epoch, once
    assert np.mean(losses[-5:]) < 0.05 * np.mean(losses[:5])


def test_against_tensorflow():
    run_against_tf("queues_vs_tf.py", 11)


def test_queue_runners_travel_through_meta_graphs(tmp_path):
    """A meta graph records its queue runners as QueueRunnerDefs (TF's wire format); after
    import_meta_graph they start and feed the pipeline again (they used to be left out, so
    the imported pipeline blocked for ever). With TensorFlow installed, TF reads them too."""
    with tf.Graph().as_default():
        x, = tf.train.slice_input_producer([np.arange(12, dtype=np.float32)], shuffle=False)
        tf.identity(tf.train.batch([x], batch_size=3, name="xb"), name="out")
        meta = tf.train.export_meta_graph(str(tmp_path / "m.meta"))
    names = sorted(d.queue_name for d in _queue_runner_defs(meta))
    assert names == ["input_producer/input_producer", "xb/fifo_queue"]
    with tf.Graph().as_default():
        tf.train.import_meta_graph(str(tmp_path / "m.meta"))
        runners = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
        assert sorted(r.name for r in runners) == ["input_producer/input_producer",
                                                  "xb/fifo_queue"]
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            got = sess.run("out:0", options=tf.RunOptions(timeout_in_ms=10000))
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=10)
    np.testing.assert_array_equal(got, [0.0, 1.0, 2.0])
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    graph = tf1.Graph()
    with graph.as_default():
        tf1.train.import_meta_graph(str(tmp_path / "m.meta"))
        assert sorted(r.name for r in tf1.get_collection("queue_runners")) == [
            "input_producer/input_producer", "xb/fifo_queue"]


def _queue_runner_defs(meta):
    from minitf.protos import queue_runner_pb2

    return [queue_runner_pb2.QueueRunnerDef.FromString(raw)
            for raw in meta.collection_def["queue_runners"].bytes_list.value]


def test_match_filenames_once_feeds_a_string_input_producer(tmp_path):
    """string_input_producer takes a variable (match_filenames_once's); it called len() on
    it. Also TF1's names tutorials use: tf.initialize_local_variables, tf.io's readers and
    queues, tf.Summary."""
    for name in ("b.txt", "a.txt"):
        (tmp_path / name).write_text(f"{name}\n")
    with tf.Graph().as_default():
        files = tf.train.match_filenames_once(str(tmp_path / "*.txt"))
        queue = tf.train.string_input_producer(files, shuffle=False, num_epochs=1)
        key, value = tf.TextLineReader().read(queue)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.initialize_local_variables()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            got = [sess.run([key, value], options=tf.RunOptions(timeout_in_ms=10000))
                   for _ in range(2)]
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=10)
    assert [v for _, v in got] == [b"a.txt", b"b.txt"]  # glob order, sorted
    assert tf.io.decode_csv is tf.decode_csv and tf.io.read_file is tf.read_file
    assert tf.io.PaddingFIFOQueue is tf.PaddingFIFOQueue
    summary = tf.Summary(value=[tf.Summary.Value(tag="acc", simple_value=0.5)])
    assert summary.value[0].simple_value == 0.5 and tf.Event is tf.summary.Event
