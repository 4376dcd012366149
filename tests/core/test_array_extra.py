"""The array functions of core/array_extra.py and core/ops/{array_extra,partition}_ops.py beyond
the op harness: variable updates, error behaviour (run time and graph construction), static
shapes, gradients through the composites, and a comparison with tf.compat.v1."""

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import run_against_tf

R = np.random.default_rng(3)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# -- DynamicPartition / DynamicStitch -------------------------------------------------------------
def test_partition_then_stitch_round_trips_multi_dim_data():
    data = R.standard_normal((4, 3, 2)).astype(np.float32)
    parts = np.array([[2, 0, 2], [1, 1, 0], [2, 2, 2], [0, 1, 0]], np.int32)
    x = tf.placeholder(tf.float32, [4, 3, 2])
    p = tf.placeholder(tf.int32, [4, 3])
    outs = tf.dynamic_partition(x, p, 4)
    assert [o.shape.as_list() for o in outs] == [[None, 2]] * 4
    positions = tf.dynamic_partition(tf.reshape(tf.range(12), [4, 3]), p, 4)
    back = tf.reshape(tf.dynamic_stitch(positions, outs), [4, 3, 2])
    got_parts, got = _run([outs, back], {x: data, p: parts})
    np.testing.assert_array_equal(got, data)
    assert got_parts[3].shape == (0, 2)  # partition 3 is empty
    np.testing.assert_array_equal(got_parts[1], data[parts == 1])


def test_partition_errors():
    x = tf.placeholder(tf.float32, [None, 2])
    p = tf.placeholder(tf.int32, [None])
    outs = tf.dynamic_partition(x, p, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"partitions\[1\] = 2 is not in "
                       r"\[0, 2\)"):
        _run(outs, {x: np.zeros((3, 2)), p: [0, 2, 1]})
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"partitions\[0\] = -1"):
        _run(outs, {x: np.zeros((1, 2)), p: [-1]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="must start with partitions.shape"):
        _run(outs, {x: np.zeros((3, 2)), p: [0, 1]})
    q = tf.placeholder(tf.int32, [2, 3])
    two_d = tf.dynamic_partition(tf.zeros([2, 3]), q, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"partitions\[1,1\] = 5"):
        _run(two_d, {q: [[0, 1, 0], [1, 5, 0]]})
    # Statically incompatible shapes and a bad count fail at construction (ValueError).
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
        tf.dynamic_partition(tf.zeros([3, 2]), [0, 1], 2)
    with pytest.raises(ValueError, match="less than minimum 1"):
        tf.dynamic_partition(tf.zeros([3]), [0, 0, 0], 0)


def test_stitch_later_entries_win_and_errors():
    merged = tf.dynamic_stitch([[0, 1, 1], [1, 3]], [[10.0, 11.0, 12.0], [20.0, 21.0]])
    assert merged.shape.as_list() == [4]
    np.testing.assert_array_equal(_run(merged), [10.0, 20.0, 0.0, 21.0])
    i = tf.placeholder(tf.int32)
    d = tf.placeholder(tf.float32)
    out = tf.dynamic_stitch([i, [4]], [d, [1.0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] is out of range"):
        _run(out, {i: [0, -3], d: [1.0, 2.0]})
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"data\[0\].shape = \[3\] does not "
                       r"start with indices\[0\].shape = \[2\]"):
        _run(out, {i: [0, 1], d: [1.0, 2.0, 3.0]})
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Need data\[0\].shape\[1:\]"):
        _run(out, {i: [0, 1], d: [[1.0], [2.0]]})
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.dynamic_stitch([[1, 2]], [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="must be equal"):
        tf.dynamic_stitch([[1, 2], [3]], [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0, 3.0]]])
    with pytest.raises(ValueError, match="must match length"):
        tf.dynamic_stitch([[1], [2]], [[1.0]])
    with pytest.raises(TypeError):
        tf.dynamic_stitch([tf.constant([0], tf.int64)], [[1.0]])


def test_stitch_static_shapes():
    i = tf.placeholder(tf.int32, [None])
    d = tf.placeholder(tf.float32, [None, 3])
    assert tf.dynamic_stitch([i, [5]], [d, [[1.0, 2.0, 3.0]]]).shape.as_list() == [None, 3]
    assert tf.dynamic_stitch([[0, 3], [5]], [tf.zeros([2, 3]), tf.zeros([1, 3])]) \
        .shape.as_list() == [6, 3]
    assert tf.dynamic_stitch([i], [tf.placeholder(tf.float32)]).shape.rank is None
    assert tf.dynamic_stitch([i], [tf.placeholder(tf.float32, [3, 4, 5])]).shape.as_list() == \
        [None, 4, 5]


def test_partition_gradient_reaches_every_row_and_stitch_gradient_gathers():
    x = tf.placeholder(tf.float64, [5, 2])
    parts = tf.dynamic_partition(x, [1, 0, 1, 2, 1], 3)
    loss = tf.reduce_sum(parts[0] * 2.0) + tf.reduce_sum(parts[1] * 3.0)  # parts[2] unused
    (g,) = tf.gradients(loss, [x])
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert "ParallelDynamicStitch" in types
    np.testing.assert_array_equal(_run(g, {x: np.ones((5, 2))}),
                                  [[3, 3], [2, 2], [3, 3], [0, 0], [3, 3]])
    # Stitch with a repeated index: as TF, every writer of the row gets its gradient.
    a = tf.placeholder(tf.float64, [2])
    merged = tf.dynamic_stitch([[0, 1], [1]], [a, a[:1] * 5.0])
    (ga,) = tf.gradients(tf.reduce_sum(merged * [1.0, 10.0]), [a])
    np.testing.assert_array_equal(_run(ga, {a: [1.0, 1.0]}), [51.0, 10.0])


# -- the other ops --------------------------------------------------------------------------------
def test_count_up_to_counts_then_raises_out_of_range():
    v = tf.Variable(1, dtype=tf.int32)
    c = tf.count_up_to(v, 3)
    assert c.op.type == "CountUpTo" and c.shape.rank == 0 and c.dtype == tf.int32
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert [sess.run(c), sess.run(c)] == [1, 2]
        with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 3"):
            sess.run(c)
        assert sess.run(v) == 3
    with pytest.raises(ValueError, match="rank 0"):
        tf.count_up_to(tf.Variable([1, 2]), 3)
    with pytest.raises(TypeError):
        tf.count_up_to(tf.Variable(1.5), 3)
    with pytest.raises(TypeError):
        tf.count_up_to(tf.constant(1), 3)  # not a variable


def test_scatter_nd_sub_on_a_variable():
    v = tf.Variable(np.zeros((3, 2), np.float32))
    u = tf.scatter_nd_sub(v, [[1], [1], [0]], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert u.op.type == "ScatterNdSub" and not u.op.get_attr("use_locking")
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(u), [[-5, -6], [-4, -6], [0, 0]])
        np.testing.assert_array_equal(sess.run(v), [[-5, -6], [-4, -6], [0, 0]])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = \[5\]"):
            sess.run(tf.scatter_nd_sub(v, [[5]], [[1.0, 2.0]]))
    with pytest.raises(ValueError):
        tf.scatter_nd_sub(v, [[1]], [[1.0, 2.0, 3.0]])


def test_ops_without_a_tf_gradient_refuse_one():
    x = tf.placeholder(tf.float64, [3])
    for y in (tf.setdiff1d(x, [1.0]).out, tf.bitcast(x, tf.float32),
              tf.parallel_stack([x, x])):
        with pytest.raises(LookupError, match="No gradient defined"):
            tf.gradients(tf.reduce_sum(y), [x])
    # An integer result carries no gradient: nothing to refuse.
    assert tf.gradients(tf.reduce_sum(tf.cast(tf.bitcast(x, tf.int64), tf.float64)), [x]) == \
        [None]


def test_setdiff1d_unravel_index_broadcast_and_bitcast_errors():
    out, idx = tf.setdiff1d(tf.constant([b"a", b"b", b"c"]), [b"b"], index_dtype=tf.int64)
    got = _run([out, idx])
    assert got[0].tolist() == [b"a", b"c"] and got[1].dtype == np.int64
    with pytest.raises(ValueError, match="rank 1"):
        tf.setdiff1d([[1, 2]], [2])
    u = tf.placeholder(tf.int32)
    r = tf.unravel_index(u, [2, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match="index is out of bound"):
        _run(r, {u: [1, 8]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="scalar or vector"):
        _run(r, {u: [[1, 2]]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="zero at index 1"):
        _run(tf.unravel_index([1], [2, 0]))
    assert tf.unravel_index([1, 5, 7], [2, 4]).shape.as_list() == [2, 3]
    b = tf.broadcast_dynamic_shape([2, 3], u)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Incompatible shapes: \[2,3\] "
                       r"vs. \[4,1\]"):
        _run(b, {u: [4, 1]})
    assert tf.broadcast_dynamic_shape(tf.placeholder(tf.int32, [3]),
                                      tf.placeholder(tf.int32, [2])).shape.as_list() == [3]
    assert tf.broadcast_dynamic_shape(tf.placeholder(tf.int32, [None]),
                                      [1, 2]).shape.as_list() == [None]
    with pytest.raises(ValueError, match="Cannot bitcast"):
        tf.bitcast(tf.zeros([1, 3], tf.int32), tf.float64)
    with pytest.raises(ValueError, match="at least rank 1"):
        tf.bitcast(tf.constant(1, tf.int32), tf.float64)
    with pytest.raises(TypeError):
        tf.bitcast(tf.constant(True), tf.uint8)
    assert tf.bitcast(tf.placeholder(tf.int32, [2, None]), tf.int64).shape.as_list() == [2]
    w = tf.placeholder(tf.int32, [None])
    with pytest.raises(tf.errors.InvalidArgumentError, match="last dimension"):
        _run(tf.bitcast(w, tf.int64), {w: [1, 2, 3]})


def test_edit_distance():
    h = tf.SparseTensor([[0, 0, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0]], ["a", "b", "c", "d"],
                        [2, 2, 2])
    t = tf.SparseTensor([[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 0]], ["a", "b", "c", "a"],
                        [2, 2, 3])
    d = tf.edit_distance(h, t)
    assert d.shape.as_list() == [2, 2] and d.op.type == "EditDistance" and d.op.name == \
        "edit_distance"
    np.testing.assert_array_equal(_run(d), [[1.0, 1.0], [1.0, np.inf]])
    np.testing.assert_array_equal(_run(tf.edit_distance(h, t, normalize=False)),
                                  [[1.0, 2.0], [1.0, 1.0]])
    # SparseTensorValues and a sparse placeholder.
    sp = tf.sparse_placeholder(tf.int32)
    d2 = tf.edit_distance(sp, tf.SparseTensorValue([[0, 0], [0, 1]], [1, 2], [1, 2]))
    assert d2.shape.rank is None
    got = _run(d2, {sp: tf.SparseTensorValue([[0, 0], [0, 1], [0, 2]], [1, 3, 2], [1, 3])})
    np.testing.assert_allclose(got, [0.5])  # one insertion over a truth of 2
    with pytest.raises(TypeError, match="Hypothesis must be a SparseTensor"):
        tf.edit_distance(tf.constant([1]), t)
    with pytest.raises(TypeError, match="Truth must be a SparseTensor"):
        tf.edit_distance(h, [1])
    with pytest.raises(ValueError, match="does not match truth_shape: 2 vs. 3"):
        tf.edit_distance(tf.SparseTensor([[0, 0]], [1], [2, 2]),
                         tf.SparseTensor([[0, 0, 0]], [1], [2, 2, 2]))
    with pytest.raises(ValueError, match="rank at least 2"):
        tf.edit_distance(tf.SparseTensor([[0]], [1], [2]), tf.SparseTensor([[0]], [1], [2]))
    with pytest.raises(TypeError):
        tf.edit_distance(tf.SparseTensor([[0, 0]], [1], [2, 2]),
                         tf.SparseTensor([[0, 0]], [1.0], [2, 2]))
    with pytest.raises(tf.errors.InternalError, match="outside of the buffer"):
        _run(tf.edit_distance(tf.SparseTensor([[3, 0]], [1], [2, 2]),
                              tf.SparseTensor([[0, 0]], [1], [2, 2])))


def test_tensor_scatter_sub_max_min():
    t = tf.tensor_scatter_nd_sub(tf.ones([4, 2]), [[1], [1], [3]], [[1.0, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(_run(t), [[1, 1], [-3, -5], [1, 1], [-4, -5]])
    assert tf.tensor_scatter_sub is tf.tensor_scatter_nd_sub
    np.testing.assert_array_equal(_run(tf.tensor_scatter_nd_max(tf.zeros([4]), [[1], [1], [3]],
                                                                [-1.0, 3, -2])), [0, 3, 0, 0])
    np.testing.assert_array_equal(_run(tf.tensor_scatter_nd_min(tf.zeros([4]), [[1], [1], [3]],
                                                                [-1.0, 3, -2])), [0, -1, 0, -2])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = \[7\] does not "
                       r"index into shape \[4\]"):
        _run(tf.tensor_scatter_nd_min(tf.zeros([4]), [[1], [7]], [-1.0, 3]))
    with pytest.raises(ValueError):
        tf.tensor_scatter_nd_sub(tf.zeros([4]), [[1], [1]], [-1.0, 3, 4])
    # Ties split the gradient evenly between the tensor entry and the update.
    x = tf.placeholder(tf.float64, [3])
    y = tf.placeholder(tf.float64, [1])
    gx, gy = tf.gradients(tf.reduce_sum(tf.tensor_scatter_nd_max(x, [[1]], y)), [x, y])
    got = _run([gx, gy], {x: [1.0, 2.0, 3.0], y: [2.0]})
    np.testing.assert_array_equal(got[0], [1.0, 0.5, 1.0])
    np.testing.assert_array_equal(got[1], [0.5])


# -- composites -----------------------------------------------------------------------------------
def _np_repeat(x, r, axis):
    return np.repeat(x, r, axis=axis)


@pytest.mark.parametrize("repeats,axis,shape", [
    (2, None, [12]), (2, 0, [4, 3]), (2, 1, [2, 6]), ([1, 2], 0, [None, 3]),
    ([1, 0, 2], 1, [2, 3]), ([1, 0, 2], -1, [2, 3]), ([2], 1, [2, 6]), ([3], 0, [6, 3])])
def test_repeat_values_and_static_shapes(repeats, axis, shape):
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = tf.placeholder(tf.float32, [2, 3])
    r = tf.repeat(x, repeats, axis=axis)
    assert r.shape.as_list() == shape
    np.testing.assert_array_equal(_run(r, {x: data}), _np_repeat(data, repeats, axis))


def test_repeat_gradient_scalar_and_errors():
    x = tf.placeholder(tf.float64, [3])
    r = tf.repeat(x, [2, 0, 3])
    (g,) = tf.gradients(tf.reduce_sum(r * tf.range(5.0, dtype=tf.float64)), [x])
    np.testing.assert_array_equal(_run(tf.convert_to_tensor(g), {x: [1.0, 2.0, 3.0]}),
                                  [1.0, 0.0, 9.0])
    assert tf.repeat(tf.constant(3.0), 2).shape.as_list() == [2]
    np.testing.assert_array_equal(_run(tf.repeat([[1, 2], [3, 4]], 2)), [1, 1, 2, 2, 3, 3, 4, 4])
    with pytest.raises(ValueError):
        tf.repeat(tf.zeros([2, 3]), [1, 2, 3], 0)
    rp = tf.placeholder(tf.int32, [None])
    with pytest.raises(tf.errors.InvalidArgumentError):
        _run(tf.repeat(x, rp), {x: [1.0, 2.0, 3.0], rp: [1, 2]})


def test_parallel_stack_and_batch_gather():
    x = tf.placeholder(tf.float32, [2])
    ps = tf.parallel_stack([x, x * 2.0])
    assert ps.op.type == "ParallelConcat" and ps.shape.as_list() == [2, 2]
    assert ps.op.name == "parallel_stack/ParallelConcat"
    np.testing.assert_array_equal(_run(ps, {x: [1.0, 2.0]}), [[1, 2], [2, 4]])
    with pytest.raises(ValueError, match="fully defined"):
        tf.parallel_stack([tf.placeholder(tf.float32, [None])])
    params = np.arange(30, dtype=np.float32).reshape(2, 5, 3)
    p = tf.placeholder(tf.float32, [2, 5, 3])
    bg = tf.batch_gather(p, [[0, 4], [1, 1]])
    assert bg.shape.as_list() == [2, 2, 3]
    np.testing.assert_array_equal(_run(bg, {p: params}), [params[0, [0, 4]], params[1, [1, 1]]])
    (g,) = tf.gradients(tf.reduce_sum(bg), [p])
    dense = _run(tf.convert_to_tensor(g), {p: params})
    assert dense[1, 1].tolist() == [2.0, 2.0, 2.0] and dense.sum() == 12
    with pytest.raises(ValueError, match="unknown shape"):
        tf.batch_gather(p, tf.placeholder(tf.int32))


def test_shape_helpers():
    x = tf.placeholder(tf.float32, [None, 3])
    assert tf.broadcast_static_shape(tf.TensorShape([2, 1, None]), tf.TensorShape([3, 1])) \
        .as_list() == [2, 3, None]
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
        tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))
    assert tf.dimension_value(x.shape[0]) is None and tf.dimension_value(x.shape[1]) == 3
    assert type(tf.dimension_value(x.shape[1])) is int and tf.dimension_value(4) == 4
    assert tf.dimension_at_index(x.shape, 1) == tf.Dimension(3)
    assert tf.dimension_at_index(tf.TensorShape(None), 3).value is None
    assert tf.is_tensor(x) and tf.is_tensor(tf.Variable(1.0))
    assert tf.is_tensor(tf.SparseTensor([[0]], [1.0], [2]))
    assert not tf.is_tensor(np.ones(2)) and not tf.is_tensor(x.op) and not tf.is_tensor([1])
    np.testing.assert_array_equal(tf.get_static_value(tf.constant([1, 2])), [1, 2])
    assert tf.get_static_value(x) is None and tf.get_static_value([1, 2]) == [1, 2]
    assert tf.get_static_value(tf.constant(2) + 3) == 5
    assert tf.get_static_value(tf.shape(x)) is None
    partial = tf.get_static_value(tf.stack([tf.shape(x)[0], 3]), partial=True)
    assert partial[0] is None and partial[1] == 3


def test_convert_to_tensor_or_sparse_tensor():
    sv = tf.SparseTensorValue([[0]], [1.0], [2])
    st = tf.convert_to_tensor_or_sparse_tensor(sv)
    assert isinstance(st, tf.SparseTensor)
    assert tf.convert_to_tensor_or_sparse_tensor(st) is st
    t = tf.convert_to_tensor_or_sparse_tensor([1, 2], dtype=tf.float32)
    assert isinstance(t, tf.Tensor) and t.dtype == tf.float32
    with pytest.raises(RuntimeError, match="Sparse dtype mismatch"):
        tf.convert_to_tensor_or_sparse_tensor(st, dtype=tf.int32)


def test_against_tensorflow():
    """Values, gradients, static shapes and op types agree with tf.compat.v1."""
    run_against_tf("array_extra_vs_tf.py", cases=CASES_VS_TF)


CASES_VS_TF = 28


def test_count_up_to_counts_each_value_once_across_threads():
    """Threads racing on one counter (queue runners counting epochs): every value below the
    limit is handed out exactly once, then OutOfRangeError."""
    import sys
    import threading

    with tf.Graph().as_default():
        v = tf.Variable(0, dtype=tf.int64)
        counted = tf.count_up_to(v, 400)
        got, errors = [], []
        with tf.Session() as sess:
            sess.run(v.initializer)

            def worker():
                for _ in range(401):  # bounded: each ends by the limit at the latest
                    try:
                        got.append(int(sess.run(counted)))
                    except tf.errors.OutOfRangeError:
                        errors.append(1)
                        return

            threads = [threading.Thread(target=worker) for _ in range(4)]
            interval = sys.getswitchinterval()
            sys.setswitchinterval(1e-6)  # switch threads often: inside the kernel too
            try:
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=60)
            finally:
                sys.setswitchinterval(interval)
        assert sorted(got) == list(range(400)) and len(errors) == 4
