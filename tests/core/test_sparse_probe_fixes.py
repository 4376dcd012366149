"""Sparse/IndexedSlices defects a probe against TF 2.21's tf.compat.v1 found: identity of a
SparseTensor, add_n of one input, build-time shape errors of sparse reshape/add/segment ops,
fill_empty_rows' indicator shape, and to_dense of a rank-0 SparseTensor. Expected values are
hand-computed (TF's behaviour noted beside them)."""

import numpy as np
import pytest

import minitf as tf


def _sp():
    return tf.SparseTensor([[0, 0], [1, 2], [2, 3]], [1., 2., 3.], [3, 4])


def _run(x):
    with tf.Session() as sess:
        return sess.run(x)


def test_identity_of_sparse_tensor_is_sparse():
    with tf.Graph().as_default():
        out = tf.identity(_sp(), name="ignored")  # TF drops the name
        assert isinstance(out, tf.SparseTensor)
        assert out.shape.as_list() == [3, 4]
        assert [t.name for t in (out.indices, out.values, out.dense_shape)] == \
            ["Identity:0", "Identity_1:0", "Identity_2:0"]
        assert all(t.op.type == "Identity" for t in (out.indices, out.values, out.dense_shape))
        got = _run(out)
    assert got.indices.tolist() == [[0, 0], [1, 2], [2, 3]]
    assert got.values.tolist() == [1., 2., 3.]
    assert got.dense_shape.tolist() == [3, 4]


def _gather_grad():
    p = tf.constant(np.ones((5, 3), np.float32))
    g, = tf.gradients(tf.reduce_sum(tf.gather(p, [0, 2, 2])), [p])
    return g


def test_add_n_of_one_indexed_slices_is_dense():
    with tf.Graph().as_default():
        g = _gather_grad()
        assert isinstance(g, tf.IndexedSlices)
        avg = tf.add_n([g])
        assert isinstance(avg, tf.Tensor) and avg.shape.as_list() == [5, 3]
        named = tf.add_n([g], name="avg")
        assert named.name == "avg:0" and named.op.type == "Identity"
        halved = tf.add_n([g]) / 2.0
        got, got_named, got_half = _run([avg, named, halved])
    want = np.array([[1.] * 3, [0.] * 3, [2.] * 3, [0.] * 3, [0.] * 3], np.float32)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_named, want)
    np.testing.assert_array_equal(got_half, want / 2)


def test_add_n_of_one_tensor_is_itself_or_named_identity():
    with tf.Graph().as_default():
        c = tf.constant([1., 2.])
        assert tf.add_n([c]) is c  # TF returns the input itself
        named = tf.add_n([c], name="nm")
        assert named.name == "nm:0" and named.op.type == "Identity"
        assert list(named.op.inputs) == [c]
        assert _run(named).tolist() == [1., 2.]


def test_sparse_reshape_minus_one_that_does_not_fit_fails_at_build():
    with tf.Graph().as_default():
        # 12 elements: [5, -1] infers 12 // 5 = 2, and 5 * 2 != 12.
        with pytest.raises(ValueError, match=r"Cannot reshape a tensor with 12 elements to "
                           r"shape \[5, None\] \(10 elements\)"):
            tf.sparse.reshape(_sp(), [5, -1])
        with pytest.raises(ValueError, match="At most one dimension can be inferred"):
            tf.sparse.reshape(_sp(), [-1, -1])
        ok = tf.sparse.reshape(_sp(), [-1, 6])  # still fine: 12 // 6 = 2
        assert ok.shape.as_list() == [2, 6]
        assert _run(ok).indices.tolist() == [[0, 0], [1, 0], [1, 5]]


def test_sparse_add_of_incompatible_shapes_fails_at_build():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Shapes \(3, 4\) and \(3, 5\) are incompatible"):
            tf.sparse.add(_sp(), tf.SparseTensor([[0, 0]], [1.], [3, 5]))
        ok = tf.sparse.add(_sp(), tf.SparseTensor([[0, 0]], [1.], [3, 4]))
        assert ok.shape.as_list() == [3, 4]
        assert _run(ok).values.tolist() == [2., 2., 3.]


def test_sparse_segment_length_mismatch_fails_at_build():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal, but "
                           r"are 3 and 2\. Shapes are \[3\] and \[2\]"):
            tf.sparse.segment_sum(tf.ones([4, 3]), [0, 1, 2], [0, 1])
        ok = tf.sparse.segment_sum(tf.ones([4, 3]), [0, 1, 2], [0, 0, 1])
        assert _run(ok).tolist() == [[2.] * 3, [1.] * 3]


def test_fill_empty_rows_indicator_has_static_row_count():
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0, 0], [2, 3]], [1., 3.], [3, 4])
        filled, empty = tf.sparse.fill_empty_rows(sp, -1.)
        assert empty.shape.as_list() == [3]
        got_filled, got_empty = _run([filled, empty])
        # a placeholder dense_shape leaves the row count unknown
        ph = tf.SparseTensor(tf.placeholder(tf.int64, [None, 2]), tf.placeholder(tf.float32),
                             tf.placeholder(tf.int64, [2]))
        assert tf.sparse.fill_empty_rows(ph, 0.)[1].shape.as_list() == [None]
    assert got_empty.tolist() == [False, True, False]
    assert got_filled.indices.tolist() == [[0, 0], [1, 0], [2, 3]]
    assert got_filled.values.tolist() == [1., -1., 3.]


def test_to_dense_of_rank0_sparse_tensor():
    with tf.Graph().as_default():
        one = tf.SparseTensor(np.zeros((1, 0), np.int64), [5.], np.zeros((0,), np.int64))
        none = tf.SparseTensor(np.zeros((0, 0), np.int64), np.zeros(0, np.float32),
                               np.zeros((0,), np.int64))
        outs = [tf.sparse.to_dense(one), tf.sparse.to_dense(none, default_value=7.)]
        assert all(o.shape.as_list() == [] for o in outs)
        got = _run(outs)
    assert [np.shape(v) for v in got] == [(), ()]
    assert [float(v) for v in got] == [5., 7.]


def test_names_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def build(lib):
        sp = lib.SparseTensor([[0, 0], [1, 2], [2, 3]], [1., 2., 3.], [3, 4])
        out = lib.identity(sp, name="foo")
        c = lib.constant([1., 2.])
        named = lib.add_n([c], name="nm")
        return ([t.name for t in (out.indices, out.values, out.dense_shape)],
                lib.add_n([c]) is c, named.name, named.op.type)

    with tf1.Graph().as_default():
        ref = build(tf1)
    with tf.Graph().as_default():
        assert build(tf) == ref
