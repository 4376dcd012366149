"""RaggedBincount (what Keras 2's TextVectorization writes for multi_hot / tf_idf): one bincount
per row of a ragged tensor given as (row_splits, flat values). TF-free tests check hand-computed
values, inferred shapes and TF's run-time errors; TF-gated ones run tf.raw_ops.RaggedBincount in
tf.compat.v1 side by side with minitf's raw op on random inputs, and a TF-written GraphDef."""

import numpy as np
import pytest

import minitf as tf
from minitf import raw_ops
from tests.core.side_by_side import (assert_raw_op_matches_tf, run,
                                     run_graph_def_in_minitf)

R = np.random.default_rng(11)
I64 = np.int64


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _rb(splits, values, size, weights, binary_output=False):
    return raw_ops.RaggedBincount(splits=np.asarray(splits, I64), values=values, size=size,
                                  weights=weights, binary_output=binary_output)


def _numpy_ref(splits, values, size, weights, binary_output):
    """Row r: np.bincount of values[splits[r]:splits[r+1]] below size (weights summed)."""
    out = np.zeros((len(splits) - 1, size), weights.dtype)
    for r, (a, b) in enumerate(zip(splits[:-1], splits[1:])):
        v = values[a:b]
        w = weights[a:b][v < size] if weights.size else None
        counts = np.bincount(v[v < size], w, minlength=size)[:size]
        out[r] = (counts != 0) if binary_output else counts
    return out


# -- values (TF-free) -----------------------------------------------------------------------------
def test_counts_weights_and_binary_output_by_hand():
    """Rows [1, 1], [3, 0, 7] with size 4: the 7 is dropped."""
    splits, values = [0, 2, 5], np.array([1, 1, 3, 0, 7], np.int32)
    no_weights = np.zeros(0, np.float32)
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32)
    got = run([_rb(splits, values, 4, no_weights), _rb(splits, values, 4, weights),
               _rb(splits, values, 4, weights, binary_output=True),
               _rb(splits, values.astype(I64), I64(4), np.array([5, 6, 7, 8, 9], I64))])
    np.testing.assert_array_equal(got[0], [[0, 2, 0, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(got[1], [[0, 3, 0, 0], [4, 0, 0, 3]])
    np.testing.assert_array_equal(got[2], [[0, 1, 0, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(got[3], [[0, 11, 0, 0], [8, 0, 0, 7]])
    assert got[0].dtype == np.float32 and got[3].dtype == np.int64


def test_random_rows_match_numpy_bincount():
    splits = np.concatenate([[0], np.cumsum(R.integers(0, 6, 8))])
    values = R.integers(0, 9, splits[-1]).astype(I64)
    weights = R.standard_normal(splits[-1])
    s, v = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.int64, [None])
    w, size = tf.placeholder(tf.float64, [None]), tf.placeholder(tf.int64, [])
    for binary in (False, True):
        for ws in (weights, np.zeros(0)):
            got = run(raw_ops.RaggedBincount(splits=s, values=v, size=size, weights=w,
                                             binary_output=binary),
                      {s: splits, v: values, w: ws, size: 7})
            np.testing.assert_allclose(got, _numpy_ref(splits, values, 7, ws, binary))


def test_empty_rows_no_rows_and_size_zero():
    got = run([_rb([0, 0, 2, 2], np.array([2, 0], np.int32), 3, np.zeros(0, np.int32)),
               _rb([0], np.zeros(0, np.int32), 3, np.zeros(0, np.float32)),
               _rb([0, 1, 2], np.array([2, 0], np.int32), 0, np.zeros(0, np.float32))])
    np.testing.assert_array_equal(got[0], [[0, 0, 0], [1, 0, 1], [0, 0, 0]])
    assert got[1].shape == (0, 3) and got[2].shape == (2, 0)


def test_splits_that_go_down_are_walked_as_tf_walks_them():
    """TF moves to the next row while the value index >= splits[row], never back: a split
    lower than one before it is skipped over (these outputs are TF 2.21's)."""
    values = np.array([1, 1, 3, 0, 2], np.int32)
    got = run([_rb([0, 3, 1, 5], values, 4, np.zeros(0, np.float32)),
               _rb([0, 4, 2, 5], values, 4, np.zeros(0, np.float32))])
    np.testing.assert_array_equal(got[0], [[0, 2, 0, 1], [0, 0, 0, 0], [1, 0, 1, 0]])
    np.testing.assert_array_equal(got[1], [[1, 2, 0, 1], [0, 0, 0, 0], [0, 0, 1, 0]])


def test_inferred_shape_dtype_and_no_gradient():
    w = tf.placeholder(tf.float32, [None])
    out = _rb([0, 2, 5], tf.placeholder(tf.int32, [None]), 4, w)
    assert out.shape.as_list() == [2, 4] and out.dtype == tf.float32
    assert out.op.get_attr("binary_output") is False and out.op.get_attr("Tidx") == tf.int32
    loose = raw_ops.RaggedBincount(splits=tf.placeholder(tf.int64), values=[1],
                                   size=tf.placeholder(tf.int32, []), weights=w)
    assert loose.shape.as_list() == [None, None]
    assert tf.gradients(tf.reduce_sum(out), w) == [None]  # TF registers no gradient either


# -- errors ---------------------------------------------------------------------------------------
RUN_ERRORS = [
    ([0, 2, 5], [1, -1, 3, 0, 7], 4, [], "Input must be non-negative"),
    ([0, 2, 5], [1, 1, 3, 9, -7], 4, [], "Input must be non-negative"),
    ([0, 2, 5], [1, 1, 3, 0, 7], -1, [], r"size \(-1\) must be non-negative"),
    ([], [], 4, [], "Splits must be non-empty"),
    ([1, 2, 5], [1, 1, 3, 0, 7], 4, [], "Splits must start with 0, not with 1"),
    ([0, 2, 4], [1, 1, 3, 0, 7], 4, [], "Splits must end with the number of values, got 4 "
     "instead of 5"),
    ([0, 2, 6], [1, 1, 3, 0, 7], 4, [], "got 6 instead of 5"),
]


@pytest.mark.parametrize("splits, values, size, weights, message", RUN_ERRORS)
def test_run_time_errors(splits, values, size, weights, message):
    s, v = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.int32, [None])
    z, w = tf.placeholder(tf.int32, []), tf.placeholder(tf.float32, [None])
    out = raw_ops.RaggedBincount(splits=s, values=v, size=z, weights=w)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        run(out, {s: splits, v: values, z: size, w: weights})


def test_weights_must_have_one_entry_per_value():
    """TF's kernel does not check (it reads past the end of shorter weights); minitf says so."""
    w = tf.placeholder(tf.float32, [None])
    out = _rb([0, 2, 5], np.array([1, 1, 3, 0, 7], np.int32), 4, w)
    for bad in ([1.0, 2.0], np.ones(6)):
        with pytest.raises(tf.errors.InvalidArgumentError, match="one entry per value"):
            run(out, {w: bad})


def test_size_must_be_a_scalar():
    z = tf.placeholder(tf.int32)
    out = _rb([0, 1], np.array([1], np.int32), z, np.zeros(0, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shape must be rank 0 but is rank 1"):
        run(out, {z: [3]})
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        _rb([0, 1], np.array([1], np.int32), np.array([3], np.int32), np.zeros(0, np.float32))
    with pytest.raises(ValueError, match=r"size \(-2\) must be non-negative"):
        _rb([0, 1], np.array([1], np.int32), -2, np.zeros(0, np.float32))


def test_construction_type_errors_in_tf_words():
    w = np.zeros(0, np.float32)
    with pytest.raises(TypeError, match="'values' has DataType float32 not in list"):
        _rb([0, 1], tf.placeholder(tf.float32, [None]), 3.0, w)
    with pytest.raises(TypeError, match="'weights' has DataType float16 not in list"):
        _rb([0, 1], np.array([1], np.int32), 3, np.zeros(1, np.float16))
    with pytest.raises(TypeError, match="Input 'splits' of 'RaggedBincount' Op has type int32"):
        raw_ops.RaggedBincount(splits=tf.placeholder(tf.int32, [None]), values=[1], size=3,
                               weights=w)
    with pytest.raises(TypeError, match="Input 'size' of 'RaggedBincount' Op has type int64"):
        _rb([0, 1], tf.placeholder(tf.int32, [None]), tf.placeholder(tf.int64, []), w)


# -- side by side with TensorFlow -----------------------------------------------------------------
def _random_inputs(vdt, wdt, rows=6):
    splits = np.concatenate([[0], np.cumsum(R.integers(0, 7, rows))]).astype(I64)
    values = R.integers(0, 12, splits[-1]).astype(vdt)
    weights = (R.standard_normal(splits[-1]) * 5).astype(wdt)
    return splits, values, weights


@pytest.mark.parametrize("vdt", [np.int32, np.int64])
@pytest.mark.parametrize("wdt", [np.float32, np.float64, np.int32, np.int64])
def test_random_inputs_match_tensorflow(vdt, wdt):
    splits, values, weights = _random_inputs(vdt, wdt)
    calls = [dict(splits=splits, values=values, size=vdt(9), weights=ws, binary_output=b)
             for ws in (weights, np.zeros(0, wdt)) for b in (False, True)]
    assert_raw_op_matches_tf("RaggedBincount", calls)


@pytest.mark.parametrize("splits, values, size, weights, message", RUN_ERRORS)
def test_run_time_errors_match_tensorflow(splits, values, size, weights, message):
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def build(t):
        s, v = t.placeholder(t.int64, [None]), t.placeholder(t.int32, [None])
        z, w = t.placeholder(t.int32, []), t.placeholder(t.float32, [None])
        return (t.raw_ops.RaggedBincount(splits=s, values=v, size=z, weights=w),
                {s: splits, v: values, z: size, w: weights})

    g = tf1.Graph()
    with g.as_default():
        out, feed = build(tf1)
        with tf1.Session(graph=g) as sess, pytest.raises(tf1.errors.InvalidArgumentError,
                                                        match=message):
            sess.run(out, feed)
    out, feed = build(tf)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        run(out, feed)


def test_tensorflow_written_graph_runs_in_minitf():
    """A GraphDef TF wrote (placeholders feeding RaggedBincount, Keras' multi_hot / counts)
    imported into minitf gives TF's outputs; also the decreasing-splits walk."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    splits, values, weights = _random_inputs(np.int64, np.float32, rows=9)
    bumpy = np.array([0, 4, 2, splits[-1]], I64)
    g = tf1.Graph()
    with g.as_default():
        s = tf1.placeholder(tf1.int64, [None], name="s")
        v = tf1.placeholder(tf1.int64, [None], name="v")
        w = tf1.placeholder(tf1.float32, [None], name="w")
        tf1.raw_ops.RaggedBincount(splits=s, values=v, size=np.int64(10), weights=w,
                                   binary_output=True, name="multi_hot")
        tf1.raw_ops.RaggedBincount(splits=s, values=v, size=np.int64(10), weights=w,
                                   name="counts")
        fetches = ["multi_hot:0", "counts:0"]
        with tf1.Session(graph=g) as sess:
            want = [sess.run(fetches, {s: sp, v: values, w: ws})
                    for sp in (splits, bumpy) for ws in (weights, np.zeros(0, np.float32))]
    graph_def = g.as_graph_def().SerializeToString()
    got = [run_graph_def_in_minitf(graph_def, fetches, {"s:0": sp, "v:0": values, "w:0": ws})
           for sp in (splits, bumpy) for ws in (weights, np.zeros(0, np.float32))]
    for g_pair, t_pair in zip(got, want):
        for a, b in zip(g_pair, t_pair):
            np.testing.assert_allclose(a, b, rtol=1e-6)
