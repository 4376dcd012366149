"""tf.sparse.concat, slice, softmax, to_indicator and sparse_merge against dense numpy
references, and the errors that name what is wrong. (The kernels and gradients are also
checked by the op harness, op_cases/sparse.py; the graphs against tf.compat.v1 by
data/sparse_vs_tf.py.)"""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

A_IDX = np.array([[0, 2], [1, 0], [1, 3]], np.int64)
A_VALS = np.array([1.0, -2.0, 3.5], np.float32)
B_IDX = np.array([[0, 0], [2, 1]], np.int64)
B_VALS = np.array([4.0, 0.25], np.float32)


def dense_of(idx, vals, shape):
    out = np.zeros(shape, np.float64)
    for i, v in zip(idx, vals):
        out[tuple(i)] += v
    return out


def run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def canonical(indices):
    """Row-major order, as TF's sparse ops return their entries."""
    return [list(map(int, i)) for i in indices] == sorted(list(map(int, i)) for i in indices)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat_matches_numpy_concatenate(axis):
    with tf.Graph().as_default():
        a = tf.SparseTensor(A_IDX, A_VALS, [3, 4])
        b = tf.SparseTensor(B_IDX, B_VALS, [3, 2] if axis != 0 else [3, 4])
        out = tf.sparse_concat(axis, [a, b])
        got = run(out)
    want = np.concatenate([dense_of(A_IDX, A_VALS, (3, 4)),
                           dense_of(B_IDX, B_VALS, (3, 2) if axis != 0 else (3, 4))], axis)
    np.testing.assert_array_equal(dense_of(got.indices, got.values, got.dense_shape), want)
    assert list(got.dense_shape) == list(want.shape) and canonical(got.indices)
    assert out.shape.as_list() == list(want.shape)


def test_concat_expand_nonconcat_dim_takes_the_largest():
    with tf.Graph().as_default():
        a = tf.SparseTensor(A_IDX, A_VALS, [3, 4])
        b = tf.SparseTensor([[4, 0]], [9.0], [5, 1])
        out = tf.sparse.concat(1, [a, b], expand_nonconcat_dim=True)
        got = run(out)
    want = np.zeros((5, 5))
    want[:3, :4] = dense_of(A_IDX, A_VALS, (3, 4))
    want[4, 4] = 9.0
    np.testing.assert_array_equal(dense_of(got.indices, got.values, got.dense_shape), want)
    assert out.shape.as_list() == [5, 5]


def test_concat_errors_name_the_dimension():
    with tf.Graph().as_default():
        a, b = tf.sparse_placeholder(tf.float32), tf.sparse_placeholder(tf.float32)
        out = tf.sparse_concat(1, [a, b])
        assert out.shape.rank is None  # nothing known until fed
        with pytest.raises(InvalidArgumentError, match="expected 3 for dimension 0 but got 2 "
                                                       "at position 1"):
            run(out, {a: (A_IDX, A_VALS, [3, 4]), b: (B_IDX[:1], B_VALS[:1], [2, 2])})
        with pytest.raises(InvalidArgumentError, match="must be in range"):
            run(tf.sparse_concat(2, [a, b]),
                {a: (A_IDX, A_VALS, [3, 4]), b: (B_IDX, B_VALS, [3, 2])})
        # Ranks known at construction: refused there.
        with pytest.raises(ValueError, match="ranks differ"):
            tf.sparse_concat(0, [tf.SparseTensor(A_IDX, A_VALS, [3, 4]),
                                 tf.SparseTensor([[0, 0, 0]], [1.0], [1, 1, 1])])


@pytest.mark.parametrize("start,size", [([1, 0], [2, 3]), ([0, 2], [9, 9]), ([3, 0], [1, 1]),
                                        ([0, 0], [0, 0])])
def test_slice_matches_numpy_slicing(start, size):
    with tf.Graph().as_default():
        got = run(tf.sparse_slice(tf.SparseTensor(A_IDX, A_VALS, [3, 4]), start, size))
    full = dense_of(A_IDX, A_VALS, (3, 4))
    want = full[start[0]:start[0] + size[0], start[1]:start[1] + size[1]]
    assert list(got.dense_shape) == list(want.shape)
    np.testing.assert_array_equal(dense_of(got.indices, got.values, got.dense_shape), want)


def test_slice_gradient_reaches_only_the_kept_values():
    with tf.Graph().as_default():
        values = tf.constant(A_VALS)
        sliced = tf.sparse.slice(tf.SparseTensor(A_IDX, values, [3, 4]), [1, 0], [2, 4])
        grad, = tf.gradients(tf.reduce_sum(sliced.values * [10.0, 20.0]), values)
        np.testing.assert_array_equal(run(grad), [0.0, 10.0, 20.0])


def test_slice_errors():
    with tf.Graph().as_default():
        sp = tf.SparseTensor(A_IDX, A_VALS, [3, 4])
        with pytest.raises(InvalidArgumentError, match="start to be a vector of length 2"):
            run(tf.sparse_slice(sp, [0], [1, 1]))
        with pytest.raises(InvalidArgumentError, match="non-negative size, got -1"):
            run(tf.sparse_slice(sp, [0, 0], [2, -1]))


def test_softmax_over_each_rows_entries():
    idx = np.array([[0, 0], [0, 3], [2, 1], [2, 2], [2, 3]], np.int64)
    vals = np.array([1.0, 2.0, -1.0, 0.0, 3.0])
    with tf.Graph().as_default():
        values = tf.constant(vals)
        out = tf.sparse_softmax(tf.SparseTensor(idx, values, [3, 4]))
        weights = tf.constant([1.0, -2.0, 3.0, 0.5, 2.0], tf.float64)
        grad, = tf.gradients(tf.reduce_sum(out.values * weights), values)
        got, g = run([out, grad])
    want = np.concatenate([np.exp(vals[:2]) / np.exp(vals[:2]).sum(),
                           np.exp(vals[2:]) / np.exp(vals[2:]).sum()])
    np.testing.assert_allclose(got.values, want, rtol=1e-12)
    np.testing.assert_array_equal(got.indices, idx)
    # d/dx_i sum_j w_j y_j = y_i (w_i - sum_j w_j y_j) within a row
    w = np.array([1.0, -2.0, 3.0, 0.5, 2.0])
    rows = [slice(0, 2), slice(2, 5)]
    want_g = np.concatenate([want[r] * (w[r] - (w[r] * want[r]).sum()) for r in rows])
    np.testing.assert_allclose(g, want_g, rtol=1e-12)


def test_softmax_errors():
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError, match="rank >= 2"):
            run(tf.sparse.softmax(tf.SparseTensor([[0], [2]], [1.0, 2.0], [3])))
        with pytest.raises(TypeError, match="'sp_values' has DataType int32 not in list of "
                                            "allowed values: float16, float32, float64"):
            tf.sparse.softmax(tf.SparseTensor([[0, 0]], [1], [1, 1]))


def test_to_indicator_and_merge():
    ids = tf.SparseTensorValue([[0, 0], [0, 1], [0, 2], [2, 0], [2, 1]], [3, 1, 3, 0, 4],
                               [3, 3])
    with tf.Graph().as_default():
        sp_ids = tf.SparseTensor(ids.indices, tf.constant(ids.values, tf.int64), ids.dense_shape)
        indicator = tf.sparse_to_indicator(sp_ids, 5)
        weights = tf.SparseTensor(ids.indices, [0.5, 1.0, 2.0, 4.0, 8.0], ids.dense_shape)
        merged = tf.sparse_merge(sp_ids, weights, 5)
        got_ind, got_merged = run([indicator, merged])
    want = np.zeros((3, 5), bool)
    want_merged = np.zeros((3, 5))
    for (row, _), i, w in zip(ids.indices, ids.values, [0.5, 1.0, 2.0, 4.0, 8.0]):
        want[row, i] = True
        want_merged[row, i] += w
    np.testing.assert_array_equal(got_ind, want)
    assert got_ind.dtype == np.bool_
    # Row 0 holds id 3 twice: both entries stay, in canonical order (the dense sum adds them).
    np.testing.assert_array_equal(
        dense_of(got_merged.indices, got_merged.values, got_merged.dense_shape), want_merged)
    assert list(got_merged.dense_shape) == [3, 5] and canonical(got_merged.indices)


def test_merge_of_several_id_columns():
    with tf.Graph().as_default():
        first = tf.SparseTensor([[0, 0], [1, 0]], tf.constant([2, 0], tf.int64), [2, 1])
        second = tf.SparseTensor([[0, 0], [1, 0]], tf.constant([1, 3], tf.int32), [2, 1])
        values = tf.SparseTensor([[0, 0], [1, 0]], [5.0, 6.0], [2, 1])
        got = run(tf.sparse_merge([first, second], values, [3, 4]))
    np.testing.assert_array_equal(got.indices, [[0, 2, 1], [1, 0, 3]])
    np.testing.assert_array_equal(got.values, [5.0, 6.0])
    np.testing.assert_array_equal(got.dense_shape, [2, 3, 4])
    with tf.Graph().as_default(), pytest.raises(ValueError, match="same length"):
        tf.sparse_merge([first], values, [3, 4])


def test_sparse_dense_add_values_and_no_gradient():
    """SparseDenseCwiseAdd (the softmax gradient's op) adds the dense tensor at the entries;
    as in TF, asking for its own gradient is an error that names it."""
    with tf.Graph().as_default():
        from minitf.ops.sparse_ops import SPARSE_DENSE_CWISE_ADD

        values = tf.constant(A_VALS)
        dense = tf.constant([[10.0], [20.0], [30.0]])
        out = SPARSE_DENSE_CWISE_ADD(tf.constant(A_IDX), values, tf.constant([3, 4], tf.int64),
                                     dense)
        np.testing.assert_array_equal(run(out), A_VALS + [10.0, 20.0, 20.0])
        with pytest.raises(LookupError, match="SparseDenseCwiseAdd"):
            tf.gradients(out, values)


def test_unary_functions_map_a_sparse_tensors_values():
    """tf.abs, negative, sign, square, sqrt, erf and tanh take a SparseTensor (as TF1's do):
    the op on the values, indices and dense shape kept."""
    import math

    vals = np.array([-1.5, 4.0], np.float32)
    refs = {tf.abs: np.abs, tf.negative: np.negative, tf.sign: np.sign, tf.square: np.square,
            tf.sqrt: lambda v: np.sqrt(np.abs(v)), tf.erf: np.vectorize(math.erf),
            tf.tanh: np.tanh}
    with tf.Graph().as_default():
        for fn, ref in refs.items():
            given = np.abs(vals) if fn is tf.sqrt else vals
            out = fn(tf.SparseTensor([[0, 1], [1, 0]], given, [2, 2]))
            assert isinstance(out, tf.SparseTensor), fn.__name__
            got = run(out)
            np.testing.assert_allclose(got.values, ref(given), rtol=1e-6, err_msg=fn.__name__)
            np.testing.assert_array_equal(got.indices, [[0, 1], [1, 0]])
            np.testing.assert_array_equal(got.dense_shape, [2, 2])


def test_sparse_reshape_takes_an_int32_shape():
    """tf.shape gives int32; TF casts a reshape's shape to int64 (minitf refused it)."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 6])
        sp = tf.SparseTensor([[0, 1], [1, 3]], [1.0, 2.0], [3, 4])
        whole = tf.sparse_reshape(sp, tf.shape(x))
        mixed = tf.sparse.reshape(sp, [tf.shape(x)[0], -1])
        assert whole.shape.as_list() == [2, 6] and mixed.shape.as_list() == [2, 6]
        for got in run([whole, mixed], {x: np.zeros((2, 6))}):
            np.testing.assert_array_equal(got.indices, [[0, 1], [1, 1]])  # positions 1 and 7
            np.testing.assert_array_equal(got.dense_shape, [2, 6])
