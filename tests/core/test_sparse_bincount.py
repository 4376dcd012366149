"""SparseBincount (what TF2's tf.math.bincount writes for a SparseTensor input): the counts of
a SparseTensor's values, dense, [size] for rank 1 and a row per first index otherwise. TF-free
tests check hand-computed values, inferred shapes and TF's run-time errors; TF-gated ones run
tf.raw_ops.SparseBincount in tf.compat.v1 side by side with minitf's on random inputs, the
errors too, and a TF-written GraphDef."""

import numpy as np
import pytest

import minitf as tf
from minitf import raw_ops
from tests.core.side_by_side import (assert_raw_op_matches_tf, run,
                                     run_graph_def_in_minitf)

R = np.random.default_rng(12)
I64 = np.int64
INDICES = np.array([[0, 0], [0, 2], [1, 1], [1, 3], [2, 0]], I64)
VALUES = np.array([1, 3, 1, 0, 4], np.int32)
SHAPE = np.array([3, 5], I64)
NONE = np.zeros(0, np.float32)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _sb(indices, values, dense_shape, size, weights, binary_output=False):
    return raw_ops.SparseBincount(indices=indices, values=values, dense_shape=dense_shape,
                                  size=size, weights=weights, binary_output=binary_output)


# -- values (TF-free) -----------------------------------------------------------------------------
def test_rows_weights_and_binary_output_by_hand():
    """Rows 0: [1, 3], 1: [1, 0], 2: [4] with size 4 (the 4 is dropped); these are TF 2.21's
    outputs."""
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32)
    got = run([_sb(INDICES, VALUES, SHAPE, 4, NONE), _sb(INDICES, VALUES, SHAPE, 4, weights),
               _sb(INDICES, VALUES, SHAPE, 4, weights, binary_output=True)])
    np.testing.assert_array_equal(got[0], [[0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(got[1], [[0, 1, 0, 2], [4, 3, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(got[2], [[0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 0, 0]])
    assert got[0].dtype == np.float32


def test_rank_one_and_higher_ranks():
    """Rank 1 gives one [size] count; from rank 3 on, TF counts by the first index alone."""
    got = run([
        _sb(np.array([[0], [2], [3]], I64), np.array([2, 2, 1], I64), np.array([5], I64),
            I64(3), np.zeros(0, np.int32)),
        _sb(np.array([[0, 1, 1], [2, 0, 1], [2, 1, 0]], I64), np.array([0, 1, 1], np.int32),
            np.array([3, 2, 2], I64), 2, np.zeros(0, np.float64))])
    np.testing.assert_array_equal(got[0], [0, 1, 2])
    assert got[0].dtype == np.int32
    np.testing.assert_array_equal(got[1], [[1, 0], [0, 0], [0, 2]])


def test_random_inputs_match_numpy_bincount():
    n, rows = 40, 6
    indices = np.stack([R.integers(0, rows, n), R.integers(0, 9, n)], 1).astype(I64)
    values, weights = R.integers(0, 12, n).astype(I64), R.standard_normal(n)
    i, v = tf.placeholder(tf.int64, [None, 2]), tf.placeholder(tf.int64, [None])
    w, size = tf.placeholder(tf.float64, [None]), tf.placeholder(tf.int64, [])
    out = _sb(i, v, np.array([rows, 9], I64), size, w)
    for ws in (weights, np.zeros(0)):
        got = run(out, {i: indices, v: values, w: ws, size: 7})
        for r in range(rows):
            mine = (indices[:, 0] == r) & (values < 7)
            want = np.bincount(values[mine], ws[mine] if ws.size else None, minlength=7)
            np.testing.assert_allclose(got[r], want)


def test_inferred_shape_dtype_and_no_gradient():
    w = tf.placeholder(tf.float32, [None])
    i, v = tf.placeholder(tf.int64, [None, 2]), tf.placeholder(tf.int32, [None])
    out = _sb(i, v, SHAPE, 4, w)
    assert out.shape.as_list() == [3, 4] and out.dtype == tf.float32
    assert out.op.get_attr("binary_output") is False and out.op.get_attr("Tidx") == tf.int32
    assert _sb(i, v, tf.placeholder(tf.int64, [2]), 4, w).shape.as_list() == [None, 4]
    assert _sb(i, v, tf.placeholder(tf.int64, [1]), tf.placeholder(tf.int32, []),
               w).shape.as_list() == [None]
    assert _sb(i, v, tf.placeholder(tf.int64), 4, w).shape.rank is None
    with pytest.raises(LookupError, match="SparseBincount"):  # TF defines none either
        tf.gradients(tf.reduce_sum(out), w)


# -- errors ---------------------------------------------------------------------------------------
# (indices, values, dense_shape, size, message): TF 2.21's run-time messages.
RUN_ERRORS = [
    (INDICES, VALUES, [3], 4, r"Index rank \(2\) and shape rank \(1\) do not match"),
    (INDICES[:, 0], VALUES, [3], 4, "Sparse indices must be rank 2 but is rank 1"),
    (INDICES, VALUES.reshape(5, 1), SHAPE, 4, "Sparse values must be rank 1 but is rank 2"),
    (INDICES, VALUES, SHAPE.reshape(1, 2), 4, "Sparse shape must be rank 1 but is rank 2"),
    (INDICES[:4], VALUES, SHAPE, 4, r"Number of elements in indices \(4\) and values \(5\) do "
     "not match"),
    ([[0], [7]], VALUES[:2], [5], 4, r"Sparse index tuple indices\[1, :\] = \[7\] is out of "
     "bounds"),
    ([[0, -1]], VALUES[:1], SHAPE, 4, r"indices\[0, :\] = \[0, -1\] is out of bounds"),
    (INDICES, VALUES, [0, 5], 4, r"indices\[0, :\] = \[0, 0\] is out of bounds"),
    (INDICES, VALUES, SHAPE, -1, r"size \(-1\) must be non-negative"),
    ([[1], [3]], [2, -1], [5], 4, "Input arr must be non-negative!"),
]


def _build(t, indices, values, dense_shape, size):
    i, v = t.placeholder(t.int64), t.placeholder(t.int32)
    d, z = t.placeholder(t.int64), t.placeholder(t.int32, [])
    out = t.raw_ops.SparseBincount(indices=i, values=v, dense_shape=d, size=z,
                                   weights=np.zeros(0, np.float32))
    return out, {i: np.asarray(indices, I64), v: np.asarray(values, np.int32),
                 d: np.asarray(dense_shape, I64), z: size}


@pytest.mark.parametrize("indices, values, dense_shape, size, message", RUN_ERRORS)
def test_run_time_errors(indices, values, dense_shape, size, message):
    out, feed = _build(tf, indices, values, dense_shape, size)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        run(out, feed)


def test_negative_values_of_a_batch_are_refused():
    """TF's kernel writes before the row for them (undefined behaviour); minitf refuses them
    as TF refuses them for a rank-1 input."""
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input arr must be non-negative!"):
        run(_sb(INDICES, np.array([1, -3, 1, 0, 4], np.int32), SHAPE, 4, NONE))


def test_weights_must_have_one_entry_per_value():
    """TF's kernel does not check (it reads past the end of shorter weights); minitf says so."""
    w = tf.placeholder(tf.float32, [None])
    out = _sb(INDICES, VALUES, SHAPE, 4, w)
    for bad in ([1.0, 2.0], np.ones(6)):
        with pytest.raises(tf.errors.InvalidArgumentError, match="one entry per value"):
            run(out, {w: bad})


def test_construction_errors_in_tf_words():
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        _sb(INDICES, VALUES, SHAPE, [4], NONE)
    with pytest.raises(TypeError, match="'weights' has DataType string not in list"):
        _sb(INDICES, VALUES, SHAPE, 4, np.array([b"a"] * 5, object))
    with pytest.raises(TypeError, match="'values' has DataType float32 not in list"):
        _sb(INDICES, VALUES.astype(np.float32), SHAPE, 4.0, NONE)


# -- side by side with TensorFlow -----------------------------------------------------------------
@pytest.mark.parametrize("vdt", [np.int32, np.int64])
@pytest.mark.parametrize("wdt", [np.float32, np.float64, np.int32, np.int64])
def test_random_inputs_match_tensorflow(vdt, wdt):
    n = 30
    indices = np.stack([R.integers(0, 5, n), R.integers(0, 4, n)], 1).astype(I64)
    values = R.integers(0, 12, n).astype(vdt)
    weights = (R.standard_normal(n) * 5).astype(wdt)
    calls = [dict(indices=ix, values=values, dense_shape=shape, size=vdt(9), weights=ws,
                  binary_output=b)
             for ix, shape in ((indices, np.array([5, 4], I64)),
                               (indices[:, 1:], np.array([4], I64)))
             for ws in (weights, np.zeros(0, wdt)) for b in (False, True)]
    assert_raw_op_matches_tf("SparseBincount", calls)


@pytest.mark.parametrize("indices, values, dense_shape, size, message", RUN_ERRORS)
def test_run_time_errors_match_tensorflow(indices, values, dense_shape, size, message):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        out, feed = _build(tf1, indices, values, dense_shape, size)
        with tf1.Session(graph=g) as sess, pytest.raises(tf1.errors.InvalidArgumentError,
                                                        match=message):
            sess.run(out, feed)


def test_tensorflow_written_graph_runs_in_minitf():
    """A GraphDef TF wrote (placeholders feeding SparseBincount) imported into minitf gives
    TF's outputs."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        i = tf1.placeholder(tf1.int64, [None, 2], name="i")
        v = tf1.placeholder(tf1.int32, [None], name="v")
        w = tf1.placeholder(tf1.float32, [None], name="w")
        tf1.identity(tf1.raw_ops.SparseBincount(indices=i, values=v, dense_shape=SHAPE, size=4,
                                                weights=w), name="counts")
        feed = {"i:0": INDICES, "v:0": VALUES, "w:0": np.arange(5, dtype=np.float32)}
        with tf1.Session(graph=g) as sess:
            want = sess.run("counts:0", feed)
    got = run_graph_def_in_minitf(g.as_graph_def().SerializeToString(), "counts:0", feed)
    np.testing.assert_array_equal(got, want)
