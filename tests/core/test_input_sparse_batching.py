"""SparseTensors through TF1's queue-based batching (tf.train.batch and friends): stored in a
SparseTensorsMap, carried as int64 handles, rebuilt after the dequeue (the raw ops themselves:
test_sparse_tensors_map_ops.py). Hand-computed values run everywhere; the side-by-side ones
compare with TensorFlow where it is installed."""

import os

import numpy as np
import pytest

import minitf as tf
import minitf.ops.sparse_tensors_map_ops  # noqa: F401 - registers the ops before __init__ does

from .side_by_side import tf1_or_skip

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


# -- helpers -----------------------------------------------------------------------------------
def _drain(lib, fetch, limit=50):
    """Runs ``fetch`` in a new session of ``lib`` with the queue runners until OutOfRange."""
    out = []
    with lib.Session() as sess:
        sess.run([lib.global_variables_initializer(), lib.local_variables_initializer()])
        coord = lib.train.Coordinator()
        threads = lib.train.start_queue_runners(sess, coord)
        try:
            for _ in range(limit):
                out.append(sess.run(fetch))
        except lib.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=10)
    return out


def _in_tf(build):
    """``build(tf1)`` in a TensorFlow graph of its own, drained."""
    tf1 = tf1_or_skip()
    with tf1.Graph().as_default():
        return _drain(tf1, build(tf1))


def _in_minitf(build):
    with tf.Graph().as_default():
        return _drain(tf, build(tf))


def _same_sparse(got, want):
    np.testing.assert_array_equal(got.indices, want.indices)
    np.testing.assert_array_equal(got.values, want.values)
    np.testing.assert_array_equal(got.dense_shape, want.dense_shape)
    assert got.values.dtype == want.values.dtype and got.indices.dtype == np.int64


def _same_batches(got, want):
    assert len(got) == len(want)
    for g_batch, w_batch in zip(got, want):
        for g, w in zip(g_batch, w_batch):
            if hasattr(w, "dense_shape"):
                _same_sparse(g, w)
            else:
                np.testing.assert_array_equal(g, w)


def _ragged(lib, n):
    """Element n: the sparse vector [10n, 10n+1, ..., 10n+n-1] of dense shape [n + 1]."""
    n64 = lib.cast(n, lib.int64)
    return lib.SparseTensor(indices=lib.reshape(lib.range(n64), [-1, 1]),
                            values=lib.range(n64) + 10 * n64,
                            dense_shape=lib.reshape(n64 + 1, [1]))


def _counter(lib, limit, **kw):
    return lib.train.range_input_producer(limit, num_epochs=1, shuffle=False, **kw).dequeue()


def _elements(batches):
    """Each element of the batches of (sparse rank-1 rows, int) as (n, tuple of values)."""
    out = []
    for sp, ns in batches:
        for row, n in enumerate(ns):
            hit = sp.indices[:, 0] == row
            out.append((int(n), tuple(sp.indices[hit, 1]), tuple(sp.values[hit])))
    return sorted(out)


# -- batching, hand-computed -----------------------------------------------------------------------
def test_batch_rebuilds_the_batched_sparse_tensor():
    def build(lib):
        n = _counter(lib, 5)
        return lib.train.batch([_ragged(lib, n), n], 2, allow_smaller_final_batch=True)

    with tf.Graph().as_default():
        sp, n = build(tf)
        # The rank of the element (1) plus the batch dimension: known statically.
        assert sp.indices.shape.as_list() == [None, 2] and sp.dense_shape.shape.as_list() == [2]
        assert sp.values.dtype == tf.int64 and n.dtype == tf.int32
        types = {op.type for op in tf.get_default_graph().get_operations()}
        assert {"AddSparseToTensorsMap", "TakeManySparseFromTensorsMap"} <= types
        got = _drain(tf, [sp, n])
    assert len(got) == 3
    # Elements 0 and 1: [] of shape [1] and [10] of shape [2]; the batch is [2, max(1, 2)].
    _same_sparse(got[0][0], tf.SparseTensorValue(np.array([[1, 0]]), np.array([10]), [2, 2]))
    _same_sparse(got[1][0], tf.SparseTensorValue(
        np.array([[0, 0], [0, 1], [1, 0], [1, 1], [1, 2]]), np.array([20, 21, 30, 31, 32]),
        [2, 4]))
    _same_sparse(got[2][0], tf.SparseTensorValue(
        np.array([[0, 0], [0, 1], [0, 2], [0, 3]]), np.array([40, 41, 42, 43]), [1, 5]))
    assert [list(b[1]) for b in got] == [[0, 1], [2, 3], [4]]


def test_enqueue_many_splits_a_sparse_tensor_along_its_first_dimension():
    def build(lib):
        # Rows 0..3 of a [4, 2, 5] SparseTensor; row 2 is empty.
        sp = lib.SparseTensor(indices=np.array([[0, 0, 1], [0, 1, 4], [1, 0, 0], [3, 1, 2]],
                                               np.int64),
                              values=np.array([1.5, 2.5, 3.5, 4.5], np.float32),
                              dense_shape=np.array([4, 2, 5], np.int64))
        rows = lib.constant([0, 1, 2, 3])
        queue_in = lib.train.limit_epochs(lib.constant(0), 1)  # one pass, then OutOfRange
        with lib.control_dependencies([queue_in]):
            rows = lib.identity(rows)
        return lib.train.batch([sp, rows], 3, enqueue_many=True,
                               allow_smaller_final_batch=True)

    with tf.Graph().as_default():
        sp, rows = build(tf)
        assert sp.indices.shape.as_list() == [None, 3]  # rank 3 - 1 (enqueue_many) + 1
        got = _drain(tf, [sp, rows])
    assert [list(b[1]) for b in got] == [[0, 1, 2], [3]]
    _same_sparse(got[0][0], tf.SparseTensorValue(
        np.array([[0, 0, 1], [0, 1, 4], [1, 0, 0]]), np.array([1.5, 2.5, 3.5], np.float32),
        [3, 2, 5]))
    _same_sparse(got[1][0], tf.SparseTensorValue(np.array([[0, 1, 2]]),
                                                 np.array([4.5], np.float32), [1, 2, 5]))


def test_shuffle_batch_keeps_each_sparse_element_with_its_dense_partner():
    with tf.Graph().as_default():
        n = _counter(tf, 8)
        out = tf.train.shuffle_batch([_ragged(tf, n), n], 2, capacity=8, min_after_dequeue=2,
                                     seed=3, allow_smaller_final_batch=True)
        got = _drain(tf, out)
    assert _elements(got) == [(k, tuple(range(k)), tuple(range(10 * k, 11 * k)))
                              for k in range(8)]


def test_batch_join_and_shuffle_batch_join_store_into_the_first_lists_maps():
    def build(join, **kw):
        n = _counter(tf, 6)
        lists = [[_ragged(tf, n), n] for _ in range(2)]
        return join(lists, 2, allow_smaller_final_batch=True, **kw)

    want = [(k, tuple(range(k)), tuple(range(10 * k, 11 * k))) for k in range(6)]
    with tf.Graph().as_default():
        out = build(tf.train.batch_join)
        adds = [op for op in tf.get_default_graph().get_operations()
                if op.type == "AddSparseToTensorsMap"]
        # The second list's Add op stores into the first's map (its shared_name), which the
        # Take reads.
        assert [op.get_attr("shared_name") for op in adds] == [b"", adds[0].name.encode()]
        takes = [op for op in tf.get_default_graph().get_operations()
                 if op.type == "TakeManySparseFromTensorsMap"]
        assert takes[0].get_attr("shared_name") == adds[0].name.encode()
        assert _elements(_drain(tf, out)) == want
    with tf.Graph().as_default():
        out = build(tf.train.shuffle_batch_join, capacity=6, min_after_dequeue=1, seed=2)
        assert _elements(_drain(tf, out)) == want


def test_maybe_batch_with_run_time_and_vector_keep_input():
    with tf.Graph().as_default():
        n = _counter(tf, 6)
        out = tf.train.maybe_batch([_ragged(tf, n), n], tf.equal(n % 2, 0), 2,
                                   allow_smaller_final_batch=True)  # tf.cond around the Add
        assert _elements(_drain(tf, out)) == [(k, tuple(range(k)),
                                               tuple(range(10 * k, 11 * k)))
                                              for k in (0, 2, 4)]
    with tf.Graph().as_default():
        sp = tf.SparseTensor(np.array([[0, 0], [1, 1], [2, 0], [2, 2]], np.int64),
                             np.array([1, 2, 3, 4], np.int32), np.array([3, 3], np.int64))
        rows = tf.train.limit_epochs(tf.constant([0, 1, 2]), 1)
        out = tf.train.maybe_batch([sp, rows], tf.constant([True, False, True]), 2,
                                   enqueue_many=True)
        got = _drain(tf, out)
    assert len(got) == 1 and list(got[0][1]) == [0, 2]
    _same_sparse(got[0][0], tf.SparseTensorValue(np.array([[0, 0], [1, 0], [1, 2]]),
                                                 np.array([1, 3, 4], np.int32), [2, 3]))


def test_dynamic_pad_and_dicts_with_a_sparse_component():
    with tf.Graph().as_default():
        n = _counter(tf, 3)
        out = tf.train.batch({"label": _ragged(tf, n), "ids": tf.range(n)}, 3,
                             dynamic_pad=True)
        assert isinstance(out["label"], tf.SparseTensor)
        (got,) = _drain(tf, out)
    np.testing.assert_array_equal(got["ids"], [[0, 0], [0, 0], [0, 1]])
    _same_sparse(got["label"], tf.SparseTensorValue(
        np.array([[1, 0], [2, 0], [2, 1]]), np.array([10, 20, 21]), [3, 3]))


# -- bad input -------------------------------------------------------------------------------------
def test_batch_of_sparse_tensors_of_different_ranks_fails_at_the_take():
    """A SparseTensor of unknown static rank may be rank 1 in one element and 2 in the next:
    the Take after the dequeue refuses the batch with TF's error."""
    with tf.Graph().as_default():
        shapes = tf.FIFOQueue(4, tf.int64)  # element shapes unknown
        shape = shapes.dequeue()
        sp = tf.SparseTensor(tf.zeros(tf.stack([0, tf.size(shape)]), tf.int64),
                             tf.zeros([0], tf.float32), shape)
        assert sp.indices.shape.as_list() == [0, None]
        batched = tf.train.batch([sp], 2)
        assert batched.indices.shape.as_list() == [None, None]
        with tf.Session() as sess:
            sess.run(shapes.enqueue([np.array([3])]))
            sess.run(shapes.enqueue([np.array([3, 4])]))
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"Inconsistent rank across SparseTensors: rank prior to "
                                     r"SparseTensor\[1\] was: 2 but rank of SparseTensor\[1\] "
                                     r"is: 3"):
                sess.run(batched.values)
            coord.request_stop()
            sess.run(shapes.close(cancel_pending_enqueues=True))
            coord.join(threads, stop_grace_period_secs=10)


def test_batch_join_refuses_lists_that_disagree_on_sparseness():
    with tf.Graph().as_default():
        n = _counter(tf, 4)
        with pytest.raises(ValueError, match="Inconsistent SparseTensors list"):
            tf.train.batch_join([[_ragged(tf, n)], [tf.range(n)]], 2)


# -- side by side with TensorFlow ------------------------------------------------------------------
def test_batch_matches_tf():
    def build(lib):
        n = _counter(lib, 7)
        return lib.train.batch([_ragged(lib, n), n], 3, allow_smaller_final_batch=True)

    _same_batches(_in_minitf(build), _in_tf(build))


def test_dynamic_pad_batch_matches_tf():
    def build(lib):
        n = _counter(lib, 5)
        return lib.train.batch([lib.range(n), _ragged(lib, n)], 2, dynamic_pad=True)

    _same_batches(_in_minitf(build), _in_tf(build))


def _minibatches(lib, maybe):
    """Three [2, 4, 3] minibatches (entries depending on n), enqueued many."""
    n = _counter(lib, 3)
    n64 = lib.cast(n, lib.int64)
    sp = lib.SparseTensor(
        indices=lib.constant([[0, 0, 1], [0, 3, 2], [1, 1, 0]], lib.int64),
        values=lib.cast(lib.stack([n64, n64 + 1, n64 * 7]), lib.float32),
        dense_shape=lib.stack([lib.constant(2, lib.int64), 4, 3]))
    rows = lib.stack([n * 2, n * 2 + 1])
    if maybe is None:
        return lib.train.batch([sp, rows], 4, enqueue_many=True, allow_smaller_final_batch=True)
    keep = lib.stack([lib.equal(n % 2, 0), lib.constant(True)])  # drops row 2 (n = 1)
    if maybe == "scalar":  # drops rows 2 and 3, through a tf.cond around the AddMany
        keep = lib.not_equal(n, 1)
    return lib.train.maybe_batch([sp, rows], keep, 2, enqueue_many=True,
                                 allow_smaller_final_batch=True)


@pytest.mark.parametrize("maybe", [None, "vector"])
def test_enqueue_many_and_maybe_batch_match_tf(maybe):
    got = _in_minitf(lambda lib: _minibatches(lib, maybe))
    want = _in_tf(lambda lib: _minibatches(lib, maybe))
    assert len(want) == {None: 2, "vector": 3}[maybe]
    _same_batches(got, want)


def test_enqueue_many_with_a_run_time_scalar_keep_input():
    """TF 1.15's path, hand-computed: TF 2.21 builds this tf.cond as an If op (control flow
    v2), behind which its _restore_sparse_tensors cannot find the AddMany op (TypeError)."""
    got = _in_minitf(lambda lib: _minibatches(lib, "scalar"))
    assert [list(b[1]) for b in got] == [[0, 1], [4, 5]]
    indices = np.array([[0, 0, 1], [0, 3, 2], [1, 1, 0]])
    for (sp, _), values in zip(got, ([0, 1, 0], [2, 3, 14])):
        _same_sparse(sp, tf.SparseTensorValue(indices, np.array(values, np.float32), [2, 4, 3]))


def test_shuffle_batch_matches_tf_as_sets():
    def build(lib):
        n = _counter(lib, 9)
        return lib.train.shuffle_batch([_ragged(lib, n), n], 3, capacity=9, min_after_dequeue=3,
                                       seed=5, allow_smaller_final_batch=True)

    got, want = _in_minitf(build), _in_tf(build)
    assert [len(b[1]) for b in got] == [len(b[1]) for b in want]
    # Each batch's dense shape: the batch size and its longest element.
    for g in got:
        assert list(g[0].dense_shape) == [len(g[1]), max(g[1]) + 1]
    assert _elements(got) == _elements(want)


def test_shuffle_batch_join_matches_tf_as_sets():
    def build(lib):
        n = _counter(lib, 6)
        m = _counter(lib, 4)
        return lib.train.shuffle_batch_join([[_ragged(lib, n), n], [_ragged(lib, m), m]], 2,
                                            capacity=10, min_after_dequeue=2, seed=1,
                                            allow_smaller_final_batch=True)

    assert _elements(_in_minitf(build)) == _elements(_in_tf(build))


def test_graph_matches_tf_op_for_op():
    def build(lib):
        n = _counter(lib, 4)
        return lib.train.batch([_ragged(lib, n), n], 2)

    def ops(lib):
        with lib.Graph().as_default() as g:
            build(lib)
            return [(op.name, op.type, [t.name for t in op.inputs])
                    for op in g.get_operations() if op.name.startswith("batch")]

    tf1 = tf1_or_skip()
    assert ops(tf) == ops(tf1)


def _write_ocr_records(path):
    """Four examples of a CRNN+CTC dataset: a [6, 4] feature map, a variable-length label and
    a name."""
    from minitf.protos import example_pb2, feature_pb2

    rng = np.random.default_rng(0)
    labels = [[1, 2], [3], [2, 2, 1], [1, 3]]
    with tf.python_io.TFRecordWriter(path) as writer:
        for i, label in enumerate(labels):
            image = rng.standard_normal(24).astype(np.float32)
            ex = example_pb2.Example(features=feature_pb2.Features(feature={
                "image": feature_pb2.Feature(float_list=feature_pb2.FloatList(value=image)),
                "label": feature_pb2.Feature(int64_list=feature_pb2.Int64List(value=label)),
                "name": feature_pb2.Feature(bytes_list=feature_pb2.BytesList(
                    value=[f"img{i}".encode()])),
            }))
            writer.write(ex.SerializeToString())
    return labels


def _crnn(lib, path):
    """The TFRecord pipeline of a CRNN: parse, batch (the label a SparseTensor), CTC loss."""
    files = lib.train.string_input_producer([path], num_epochs=1, shuffle=False)
    _, record = lib.TFRecordReader().read(files)
    parsed = lib.parse_single_example(record, features={
        "image": lib.FixedLenFeature([24], lib.float32),
        "label": lib.VarLenFeature(lib.int64),
        "name": lib.FixedLenFeature([], lib.string)})
    image = lib.reshape(parsed["image"], [6, 4])
    images, labels, names = lib.train.batch(
        [image, lib.cast(parsed["label"], lib.int32), parsed["name"]], 2)
    weights = lib.constant(np.linspace(-1.0, 1.0, 20, dtype=np.float32).reshape(4, 5))
    logits = lib.reshape(lib.matmul(lib.reshape(images, [-1, 4]), weights), [2, 6, 5])
    loss = lib.nn.ctc_loss(labels, lib.transpose(logits, [1, 0, 2]), lib.fill([2], 6))
    return [loss, labels, names, logits]


def test_crnn_tfrecord_pipeline_ctc_loss(tmp_path):
    """Runs without TF: the batched label equals the SparseTensor built by hand from the
    written labels, and gives the same CTC loss as it."""
    path = str(tmp_path / "ocr.tfrecord")
    labels = _write_ocr_records(path)
    with tf.Graph().as_default():
        out = _drain(tf, _crnn(tf, path))
        logits_in = tf.placeholder(tf.float32, [6, 2, 5])
        sp_in = tf.sparse_placeholder(tf.int32)
        ref = tf.nn.ctc_loss(sp_in, logits_in, tf.fill([2], 6))
        with tf.Session() as sess:
            assert len(out) == 2
            for b, (loss, sp, names, logits) in enumerate(out):
                assert [n.decode() for n in names] == [f"img{2 * b}", f"img{2 * b + 1}"]
                pair = labels[2 * b:2 * b + 2]
                want_sp = tf.SparseTensorValue(
                    np.array([[r, j] for r, lab in enumerate(pair) for j in range(len(lab))]),
                    np.array([v for lab in pair for v in lab], np.int32),
                    [2, max(len(lab) for lab in pair)])
                _same_sparse(sp, want_sp)
                want = sess.run(ref, {sp_in: want_sp, logits_in: logits.transpose(1, 0, 2)})
                np.testing.assert_allclose(loss, want, rtol=1e-6)
                assert np.all(np.isfinite(loss)) and loss.shape == (2,)


def test_crnn_tfrecord_pipeline_matches_tf(tmp_path):
    path = str(tmp_path / "ocr.tfrecord")
    _write_ocr_records(path)
    got = _in_minitf(lambda lib: _crnn(lib, path))
    want = _in_tf(lambda lib: _crnn(lib, path))
    assert len(got) == len(want) == 2
    for (g_loss, g_sp, g_names, _), (w_loss, w_sp, w_names, _) in zip(got, want):
        _same_sparse(g_sp, w_sp)
        assert list(g_names) == list(w_names)
        np.testing.assert_allclose(g_loss, w_loss, rtol=1e-5)
