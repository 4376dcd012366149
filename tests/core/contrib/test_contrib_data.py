"""tf.contrib.data: the tf.data.experimental aliases and TF 1.x's contrib-only helpers,
against hand-computed elements."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import data as cdata


def _all(dataset):
    nxt = tf.data.make_one_shot_iterator(dataset).get_next()
    out = []
    with tf.Session() as sess:
        try:
            while True:
                out.append(sess.run(nxt))
        except tf.errors.OutOfRangeError:
            return out


def test_aliases_are_tf_data_experimental():
    for name in ("map_and_batch", "parallel_interleave", "shuffle_and_repeat", "unbatch",
                 "group_by_window", "bucket_by_sequence_length", "scan", "Reducer"):
        assert getattr(cdata, name) is getattr(tf.data.experimental, name)
    assert tf.contrib.data is cdata and cdata.AUTOTUNE == tf.data.experimental.AUTOTUNE


def test_drop_remainder_batches_and_sloppy_interleave():
    with tf.Graph().as_default():
        got = _all(tf.data.Dataset.range(7).apply(cdata.batch_and_drop_remainder(3)))
        assert [g.tolist() for g in got] == [[0, 1, 2], [3, 4, 5]]
        ds = tf.data.Dataset.range(1, 4).map(lambda n: tf.fill([n], n))
        padded = _all(ds.apply(cdata.padded_batch_and_drop_remainder(2, [None])))
        assert [p.tolist() for p in padded] == [[[1, 0], [2, 2]]]
        inter = _all(tf.data.Dataset.range(2).apply(cdata.sloppy_interleave(
            lambda x: tf.data.Dataset.from_tensors(x).repeat(2), cycle_length=2)))
        assert sorted(int(v) for v in inter) == [0, 0, 1, 1]


def test_sliding_window_batch():
    with tf.Graph().as_default():
        windows = tf.data.Dataset.range(6).apply(cdata.sliding_window_batch(3, stride=2))
        assert windows.output_shapes.as_list() == [None]  # TF's _SlideDataset: unknown
        got = _all(windows)
        assert [g.tolist() for g in got] == [[0, 1, 2], [2, 3, 4]]
        pairs = tf.data.Dataset.zip((tf.data.Dataset.range(4), tf.data.Dataset.range(10, 14)))
        got = _all(pairs.apply(cdata.sliding_window_batch(2)))
        assert [(a.tolist(), b.tolist()) for a, b in got] == [
            ([0, 1], [10, 11]), ([1, 2], [11, 12]), ([2, 3], [12, 13])]
    with pytest.raises(ValueError, match="both `stride` and `window_shift`"):
        cdata.sliding_window_batch(2, stride=1, window_shift=1)
    with tf.Graph().as_default(), pytest.raises(tf.errors.InvalidArgumentError,
                                                match="Window size must be greater than zero"):
        tf.data.Dataset.range(3).apply(cdata.sliding_window_batch(0))


def test_reduce_dataset_and_assert_element_shape():
    with tf.Graph().as_default():
        # TF 1.x's reduce_dataset: Dataset.reduce from init_func(0); finalize_func unused
        reducer = cdata.Reducer(lambda _: np.int64(100), lambda s, x: s + x, lambda s: s * 10)
        total = cdata.reduce_dataset(tf.data.Dataset.range(5), reducer)
        empty = cdata.reduce_dataset(tf.data.Dataset.range(0), reducer)
        with tf.Session() as sess:
            assert sess.run([total, empty]) == [110, 100]
        x = tf.placeholder(tf.float32, [None, None])
        ds = tf.data.Dataset.from_tensor_slices(x).apply(cdata.assert_element_shape([3]))
        assert ds.output_shapes.as_list() == [3]
        it = tf.data.make_initializable_iterator(ds)
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer, {x: np.ones((2, 3), np.float32)})
            assert sess.run(nxt).tolist() == [1.0, 1.0, 1.0]
            sess.run(it.initializer, {x: np.ones((2, 4), np.float32)})
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(nxt)
        with pytest.raises(ValueError):
            tf.data.Dataset.from_tensors(tf.zeros([2])).apply(cdata.assert_element_shape([3]))


def test_read_batch_features(tmp_path):
    path = str(tmp_path / "e.tfrecord")
    with tf.python_io.TFRecordWriter(path) as w:
        for i in range(4):
            w.write(tf.train.Example(features=tf.train.Features(feature={"v": tf.train.Feature(
                int64_list=tf.train.Int64List(value=[i]))})).SerializeToString())
    with tf.Graph().as_default():
        batch = cdata.read_batch_features(path, 2, {"v": tf.FixedLenFeature([], tf.int64)},
                                          randomize_input=False, num_epochs=1)
        with tf.Session() as sess:
            assert sess.run(batch)["v"].tolist() == [0, 1]
            assert sess.run(batch)["v"].tolist() == [2, 3]
