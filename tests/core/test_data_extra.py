"""tf.data additions: Dataset.window (datasets of datasets, through flat_map/interleave),
Dataset.reduce, tf.data.experimental.dense_to_sparse_batch and rejection_resample. Expected
values are hand-computed (TF 2.21 gave the same); TensorFlow is also run side by side."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import errors

D = tf.data.Dataset


def elements(make, feed=None, lib=tf):
    """Every element of the dataset ``make()`` builds, through an initializable iterator."""
    g = lib.Graph()
    with g.as_default():
        ds = make(lib)
        it = lib.data.make_initializable_iterator(ds)
        nxt = it.get_next()
        out = []
        with lib.Session(graph=g) as sess:
            sess.run(it.initializer, feed)
            while True:
                try:
                    out.append(sess.run(nxt))
                except lib.errors.OutOfRangeError:
                    return out


def assert_elements(got, want):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        if hasattr(b, "indices"):
            for x, y in zip((a.indices, a.values, a.dense_shape),
                            (b.indices, b.values, b.dense_shape)):
                np.testing.assert_array_equal(x, y)
        elif isinstance(b, (tuple, dict)):
            assert_elements(list(a.values() if isinstance(a, dict) else a),
                            list(b.values() if isinstance(b, dict) else b))
        else:
            np.testing.assert_array_equal(a, b)
            assert np.asarray(a).dtype == np.asarray(b).dtype


# -- window ------------------------------------------------------------------------------------
WINDOWS = [  # (pipeline, what TF 2.21 gave)
    (lambda lib: lib.data.Dataset.range(7).window(3, shift=2).flat_map(lambda w: w.batch(3)),
     [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]),
    (lambda lib: lib.data.Dataset.range(7).window(3, shift=2, drop_remainder=True)
     .flat_map(lambda w: w.batch(3)), [[0, 1, 2], [2, 3, 4], [4, 5, 6]]),
    (lambda lib: lib.data.Dataset.range(10).window(2, shift=4, stride=3)
     .flat_map(lambda w: w.batch(5)), [[0, 3], [4, 7], [8]]),
    (lambda lib: lib.data.Dataset.range(5).window(2, shift=1, stride=2)
     .flat_map(lambda w: w.batch(5)), [[0, 2], [1, 3], [2, 4], [3], [4]]),
    (lambda lib: lib.data.Dataset.range(6).window(3).flat_map(lambda w: w), list(range(6))),
    (lambda lib: lib.data.Dataset.from_tensor_slices({"a": np.arange(5)}).window(2)
     .flat_map(lambda d: d["a"].batch(2)), [[0, 1], [2, 3], [4]]),
    (lambda lib: lib.data.Dataset.range(4).window(2).interleave(
        lambda w: w.map(lambda x: x * 10), cycle_length=2), [0, 20, 10, 30]),
]


@pytest.mark.parametrize("make, want", WINDOWS)
def test_window_flat_map(make, want):
    assert_elements(elements(make), [np.array(w, np.int64) for w in want])


def test_window_of_tuples_is_a_tuple_of_datasets():
    def make(lib):
        ds = lib.data.Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10.0))
        return ds.window(2).flat_map(
            lambda a, b: lib.data.Dataset.zip((a.batch(2), b.batch(2))))
    got = elements(make)
    assert_elements(got, [(np.array([0, 1]), np.array([0.0, 10.0])),
                          (np.array([2, 3]), np.array([20.0, 30.0])),
                          (np.array([4]), np.array([40.0]))])


def test_window_size_from_a_placeholder():
    with tf.Graph().as_default():
        size = tf.placeholder(tf.int64, [])
        ds = D.range(5).window(size).flat_map(lambda w: w.batch(10))
        it = ds.make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer, {size: 4})
            np.testing.assert_array_equal(sess.run(nxt), [0, 1, 2, 3])
            np.testing.assert_array_equal(sess.run(nxt), [4])


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 0}, "Window size must be greater than zero."),
    ({"size": 2, "shift": 0}, "Window shift must be greater than zero."),
    ({"size": 2, "stride": 0}, "Window stride must be greater than zero."),
])
def test_window_arguments_checked_as_tf(kwargs, message):
    with pytest.raises(errors.InvalidArgumentError, match=message):
        elements(lambda lib: D.range(3).window(**kwargs).flat_map(lambda w: w.batch(2)))


WINDOW_ARGS = [(n, size, shift, stride, drop) for n in (0, 7, 10) for size in (1, 3)
               for shift in (None, 2, 4) for stride in (1, 3) for drop in (False, True)]


def _window_counts(lib):
    """(cardinality, elements counted) of range(n).window(...) for every WINDOW_ARGS."""
    g = lib.Graph()
    with g.as_default():
        windows = [lib.data.Dataset.range(n).window(size, shift, stride, drop)
                   for n, size, shift, stride, drop in WINDOW_ARGS]
        counted = [ds.flat_map(lambda w: w.batch(1).take(1)).reduce(
            np.int64(0), lambda c, _: c + 1) for ds in windows]
        with lib.Session(graph=g) as sess:
            return sess.run([ds.cardinality() for ds in windows]), sess.run(counted)


def test_window_cardinality_counts_the_windows():
    cardinality, counted = _window_counts(tf)
    assert cardinality == counted
    # TF 2.21 gave these for range(7) and range(10) with size 3, shift 2, stride 3.
    assert cardinality[WINDOW_ARGS.index((7, 3, 2, 3, True))] == 1
    assert cardinality[WINDOW_ARGS.index((10, 3, 2, 3, False))] == 5


def test_window_cardinality_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert _window_counts(tf) == _window_counts(tf1)


def test_window_elements_only_go_to_flat_map_or_interleave():
    with tf.Graph().as_default():
        windows = D.range(3).window(2)
        assert repr(windows.output_types) == (
            "DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorShape([]))")
        with pytest.raises(TypeError, match="elements are datasets"):
            windows.map(lambda w: w)
        with pytest.raises(TypeError, match="elements are datasets"):
            tf.data.make_one_shot_iterator(windows)


# -- reduce ------------------------------------------------------------------------------------
def test_reduce_hand_computed():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.int64, [])
        total = D.range(5).reduce(np.int64(0), lambda s, x: s + x * p)
        pair = D.from_tensor_slices((np.arange(4.0), np.arange(4))).reduce(
            (np.float64(0), np.int64(1)), lambda s, e: (s[0] + e[0], s[1] * (e[1] + 1)))
        empty = D.range(0).reduce(np.int64(7), lambda s, x: s + x)
        grown = D.range(4).reduce(np.zeros([0], np.int64), lambda s, x: tf.concat([s, [x]], 0))
        assert total.shape.as_list() == [] and grown.shape.as_list() == [None]
        with tf.Session() as sess:
            got = sess.run([total, pair, empty, grown], {p: 2})
    assert got[0] == 20 and got[1] == (6.0, 24) and got[2] == 7
    np.testing.assert_array_equal(got[3], [0, 1, 2, 3])


def test_reduce_state_type_must_not_change():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="Dataset.reduce"):
            D.range(5).reduce(np.int64(0), lambda s, x: tf.cast(s, tf.float32))
        with pytest.raises(TypeError):
            D.range(5).reduce(np.int32(0), lambda s, x: s + x)


def test_reduce_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def run(lib):
        g = lib.Graph()
        with g.as_default():
            out = lib.data.Dataset.range(1, 6).map(lambda x: lib.cast(x, lib.float32)).reduce(
                (np.float32(0), np.float32(1)), lambda s, x: (s[0] + x * x, s[1] * x))
            with lib.Session(graph=g) as sess:
                return sess.run(out)

    assert run(tf) == run(tf1) == (55.0, 120.0)


# -- dense_to_sparse_batch --------------------------------------------------------------------
def _ragged(lib):
    data = lib.data.Dataset.from_tensor_slices(np.array([[1, 2, 0], [3, 0, 0], [4, 5, 6]],
                                                        np.int32))
    return data.map(lambda x: x[:lib.reduce_sum(lib.cast(x > 0, lib.int32))])


DENSE_TO_SPARSE = [
    (lambda lib: _ragged(lib).apply(lib.data.experimental.dense_to_sparse_batch(2, [5])),
     [([[0, 0], [0, 1], [1, 0]], np.array([1, 2, 3], np.int32), [2, 5]),
      ([[0, 0], [0, 1], [0, 2]], np.array([4, 5, 6], np.int32), [1, 5])]),
    (lambda lib: lib.data.Dataset.from_tensor_slices(np.arange(12).reshape(3, 2, 2)).apply(
        lib.data.experimental.dense_to_sparse_batch(2, [3, None])),
     [([[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0],
        [1, 1, 1]], np.arange(8), [2, 3, 2]),
      ([[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1]], np.arange(8, 12), [1, 3, 2])]),
]


@pytest.mark.parametrize("make, want", DENSE_TO_SPARSE)
def test_dense_to_sparse_batch(make, want):
    got = elements(make)
    assert len(got) == len(want)
    for st, (indices, values, shape) in zip(got, want):
        np.testing.assert_array_equal(st.indices, indices)
        np.testing.assert_array_equal(st.values, values)
        assert st.values.dtype == values.dtype
        np.testing.assert_array_equal(st.dense_shape, shape)


@pytest.mark.parametrize("make, want", DENSE_TO_SPARSE + WINDOWS[:4])
def test_matches_tensorflow(make, want):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    assert_elements(elements(make), elements(make, lib=tf1))


@pytest.mark.parametrize("data, batch, row, error, message", [
    ([[1, 2, 0]], 2, [2], errors.DataLossError,
     r"Input element had shape \(\[3\]\) that is larger than the row shape \(\[2\]\)."),
    (np.zeros([1, 2, 2]), 2, [3], errors.InvalidArgumentError,
     r"Input element had shape \(\[2,2\]\) that is incompatible with the row shape \(\[3\]\)."),
    ([1], 0, [3], errors.InvalidArgumentError, "Batch size must be greater than zero."),
])
def test_dense_to_sparse_batch_errors(data, batch, row, error, message):
    with pytest.raises(error, match=message):
        elements(lambda lib: D.from_tensor_slices(np.asarray(data)).apply(
            tf.data.experimental.dense_to_sparse_batch(batch, row)))


# -- rejection_resample -------------------------------------------------------------------------
LABELS = np.random.default_rng(0).choice(3, size=20000, p=[0.6, 0.3, 0.1]).astype(np.int64)


@pytest.mark.parametrize("initial", [[0.6, 0.3, 0.1], None])
def test_rejection_resample_reaches_the_target_distribution(initial):
    def make(lib):
        return D.from_tensor_slices(LABELS).apply(tf.data.experimental.rejection_resample(
            lambda x: x, [1 / 3, 1 / 3, 1 / 3], initial, seed=3))
    got = elements(make)
    classes = np.array([c for c, _ in got])
    assert all(c == e for c, e in got)  # pairs of (class, element)
    # TF 2.21 gave 7027 / 7144 elements here: a stream runs out after about a third.
    assert 6000 < len(got) < 8000
    np.testing.assert_allclose(np.bincount(classes) / len(classes), [1 / 3] * 3, atol=0.02)


def test_rejection_resample_keeps_everything_when_already_on_target():
    def make(lib):
        ds = D.from_tensor_slices({"x": np.arange(6.0), "y": np.array([0, 1, 0, 1, 0, 1])})
        return ds.apply(tf.data.experimental.rejection_resample(
            lambda e: e["y"], [0.5, 0.5], [0.5, 0.5], seed=1))
    got = elements(make)
    np.testing.assert_array_equal([c for c, _ in got], [0, 1, 0, 1, 0, 1])
    np.testing.assert_array_equal([e["x"] for _, e in got], np.arange(6.0))


def test_rejection_resample_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="scalar integer"):
            D.range(3).map(lambda x: tf.cast(x, tf.float32)).apply(
                tf.data.experimental.rejection_resample(lambda x: x, [0.5, 0.5]))
        with pytest.raises(errors.InvalidArgumentError, match="probability vector"):
            tf.data.experimental.rejection_resample(lambda x: x, [0.5, 0.7])(D.range(3))
    with pytest.raises(errors.InvalidArgumentError, match=r"class 5 is not in \[0, 2\)"):
        elements(lambda lib: D.range(3).map(lambda x: x + 5).apply(
            tf.data.experimental.rejection_resample(lambda x: x, [0.5, 0.5], seed=0)))
