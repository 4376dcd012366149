"""tf.sparse.maximum/minimum, split, reduce_{max,sum}_sparse, expand_dims, eye, reset_shape,
mask, cross and cross_hashed (and the TF1 root names): values TensorFlow 2.21 gave, hard-coded
so that CI without TF checks them; then side by side with tf.compat.v1 graphs (values, index
order, dense shapes, dtypes), the errors, the gradients and a GraphDef round trip into TF.
(The kernels are also checked by the op harness, op_cases/sparse_extra.py.)"""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

A_IDX = np.array([[0, 1], [1, 0], [1, 3], [2, 2]], np.int64)
A_VALS = np.array([1.0, -2.0, 3.0, -4.0], np.float32)
B_IDX = np.array([[0, 0], [1, 0], [2, 2]], np.int64)
B_VALS = np.array([-5.0, 6.0, -7.0], np.float32)
IDX3 = np.array([[0, 0, 1], [0, 0, 3], [0, 2, 0], [1, 1, 1], [1, 1, 2], [1, 2, 0]], np.int64)
VALS3 = np.array([1.0, -2.0, 3.0, -4.0, 4.0, 0.5], np.float32)
SPLIT_IDX = np.array([[0, 2], [0, 4], [0, 5], [1, 0], [1, 1]], np.int64)
COUNTED = np.array([[3, 1, 3, 0], [5, 1, 1, 7]], np.int64)


def run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def parts(value):
    """A fetched SparseTensorValue (or a list of them) as plain lists."""
    if isinstance(value, list):
        return [parts(v) for v in value]
    return [np.asarray(p).tolist() for p in value]


def a_b(m, a_idx=A_IDX):
    return m.SparseTensor(a_idx, A_VALS, [3, 4]), m.SparseTensor(B_IDX, B_VALS, [3, 4])


# -- values TF 2.21 gave ---------------------------------------------------------------------
def test_maximum_and_minimum_take_the_union_with_implicit_zeros():
    a, b = a_b(tf)
    hi, lo = run([tf.sparse_maximum(a, b), tf.sparse.minimum(a, b)])
    union = [[0, 0], [0, 1], [1, 0], [1, 3], [2, 2]]
    assert parts(hi) == [union, [0.0, 1.0, 6.0, 3.0, -4.0], [3, 4]]  # TF 2.21 gave these
    assert parts(lo) == [union, [-5.0, 0.0, -2.0, 0.0, -7.0], [3, 4]]
    assert hi.values.dtype == np.float32


def test_maximum_of_unsorted_indices_is_tfs_merge_walk():
    # TF's kernel assumes row-major order and does not check it: one merge walk (TF 2.21).
    a, b = a_b(tf, A_IDX[[2, 0, 3, 1]])
    got = run(tf.sparse.maximum(a, b))
    assert parts(got) == [[[0, 0], [1, 0], [1, 3], [0, 1], [2, 2], [1, 0]],
                          [0.0, 6.0, 1.0, 0.0, 3.0, 0.0], [3, 4]]


def test_split_is_uneven_as_tf_first_pieces_one_longer():
    sp = tf.SparseTensor(SPLIT_IDX, np.arange(5.0), [2, 7])
    got = run(tf.sparse_split(sp_input=sp, num_split=3, axis=1))  # widths 3, 2, 2
    assert parts(got) == [[[[0, 2], [1, 0], [1, 1]], [0.0, 3.0, 4.0], [2, 3]],
                          [[[0, 1]], [1.0], [2, 2]], [[[0, 0]], [2.0], [2, 2]]]
    dense = run([tf.sparse.to_dense(p) for p in tf.sparse.split(sp_input=sp, num_split=2,
                                                                axis=-1)])
    full = np.zeros((2, 7))
    full[tuple(SPLIT_IDX.T)] = np.arange(5.0)
    np.testing.assert_array_equal(np.concatenate(dense, axis=1), full)


def test_split_keeps_each_pieces_entries_in_input_order():
    sp = tf.SparseTensor(SPLIT_IDX[::-1].copy(), np.arange(5.0), [2, 7])
    got = run(tf.sparse_split(sp_input=sp, num_split=2, axis=1))
    assert parts(got) == [[[[1, 1], [1, 0], [0, 2]], [0.0, 1.0, 4.0], [2, 4]],
                          [[[0, 1], [0, 0]], [2.0, 3.0], [2, 3]]]  # TF 2.21 gave these


@pytest.mark.parametrize("kwargs, want", [
    ({"axis": 1}, [[[0, 0], [0, 1], [0, 3], [1, 0], [1, 1], [1, 2]],
                   [3.0, 1.0, -2.0, 0.5, -4.0, 4.0], [2, 4]]),
    ({"reduction_axes": [0, 2]}, [[[0], [1], [2]], [-1.0, 0.0, 3.5], [3]]),
    ({"axis": -1, "keepdims": True}, [[[0, 0, 0], [0, 2, 0], [1, 1, 0], [1, 2, 0]],
                                      [-1.0, 3.0, 0.0, 0.5], [2, 3, 1]]),
    ({"keep_dims": True}, [[[0, 0, 0]], [2.5], [1, 1, 1]]),
])
def test_reduce_sum_sparse_keeps_the_slots_with_entries(kwargs, want):
    sp = tf.SparseTensor(IDX3, VALS3, [2, 3, 4])
    assert parts(run(tf.sparse_reduce_sum_sparse(sp, **kwargs))) == want  # TF 2.21 gave these


def test_reduce_max_sparse_ignores_implicit_zeros_and_sorts():
    sp = tf.SparseTensor(IDX3[[3, 0, 5, 1, 2, 4]], VALS3, [2, 3, 4])
    got = run([tf.sparse.reduce_max_sparse(sp, 1), tf.sparse.reduce_max_sparse(sp)])
    assert parts(got) == [[[[0, 0], [0, 1], [0, 3], [1, 0], [1, 1], [1, 2]],
                           [4.0, -2.0, -4.0, 3.0, 1.0, 0.5], [2, 4]],
                          [[[]], [4.0], []]]  # TF 2.21 gave these


@pytest.mark.parametrize("axis, keepdims", [(1, False), ([0, 1], True), ([1, 2], False),
                                             (None, False), (-2, True)])
def test_reduce_sum_and_max_of_a_huge_sparse_shape(axis, keepdims):
    """A [64, 2**34, 3] sparse tensor (dense: 13 TB of float32) with 500 entries, duplicates
    included, reduced over its long axis without densifying; compared with a sum and a max
    over the entries."""
    rng = np.random.default_rng(5)
    shape = (64, 1 << 34, 3)
    idx = np.stack([rng.integers(0, d, 500) for d in shape], 1)
    idx[-50:] = idx[:50]  # duplicated indices add up (max: the larger)
    vals = rng.standard_normal(500).astype(np.float32)
    sp = tf.SparseTensor(idx, vals, shape)
    got_sum, got_max = run([tf.sparse.reduce_sum(sp, axis, keepdims=keepdims),
                            tf.sparse.reduce_max(sp, axis, keepdims=keepdims)])
    axes = range(3) if axis is None else [a % 3 for a in np.atleast_1d(axis)]
    kept = [i for i in range(3) if i not in axes]
    want_sum, want_max = {}, {}
    for row, v in zip(idx, vals):
        key = tuple(row[kept])
        want_sum[key] = want_sum.get(key, 0.0) + float(v)
        want_max[key] = max(want_max.get(key, -np.inf), float(v))
    out_shape = [1 if i in axes else shape[i] for i in range(3)] if keepdims else \
        [shape[i] for i in kept]
    assert list(got_sum.shape) == list(got_max.shape) == out_shape
    flat_sum = got_sum.reshape([shape[i] for i in kept])
    flat_max = got_max.reshape([shape[i] for i in kept])
    for key in want_sum:
        np.testing.assert_allclose(flat_sum[key], want_sum[key], rtol=1e-5, atol=1e-6)
        assert flat_max[key] == np.float32(want_max[key])
    assert np.count_nonzero(flat_sum) <= len(want_sum)
    assert np.count_nonzero(flat_max) <= len(want_max)  # absent slices are 0, not -inf


def test_expand_dims_eye_and_reset_shape():
    sp = tf.SparseTensor([[3, 4, 1]], [7], [10, 10, 3])
    for axis, shape in ((0, [1, 10, 10, 3]), (1, [10, 1, 10, 3]), (-1, [10, 10, 3, 1]),
                        (None, [10, 10, 3, 1]), (-4, [1, 10, 10, 3])):
        out = tf.sparse.expand_dims(sp, axis)
        got = run(out)
        assert got.dense_shape.tolist() == shape and out.shape.as_list() == shape
        assert got.indices.tolist() == [[0 if s == 1 else v for s, v in
                                         zip(shape, [3, 4, 1][:shape.index(1)] + [0] +
                                             [3, 4, 1][shape.index(1):])]]
    eye = run(tf.sparse.eye(2, 4, dtype=tf.int32))
    assert parts(eye) == [[[0, 0], [1, 1]], [1, 1], [2, 4]] and eye.values.dtype == np.int32
    a, _ = a_b(tf)
    assert run(tf.sparse_reset_shape(a)).dense_shape.tolist() == [3, 4]  # the tight box
    assert run(tf.sparse.reset_shape(a, [5, 6])).dense_shape.tolist() == [5, 6]
    empty = tf.SparseTensor(np.zeros((0, 2), np.int64), np.zeros(0, np.float32), [3, 4])
    assert run(tf.sparse.reset_shape(empty)).dense_shape.tolist() == [0, 0]


def test_mask_drops_the_masked_slices():
    slices = tf.IndexedSlices(tf.constant(np.arange(8.0).reshape(4, 2)),
                              tf.constant([12, 26, 37, 45]), tf.constant([1000, 2]))
    out = tf.sparse_mask(slices, [12, 45])
    assert isinstance(out, tf.IndexedSlices)
    values, indices, shape = run([out.values, out.indices, out.dense_shape])
    assert values.tolist() == [[2.0, 3.0], [4.0, 5.0]] and indices.tolist() == [26, 37]
    assert shape.tolist() == [1000, 2]


def _cross_inputs(m):
    return [m.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "b", "c"], [2, 2]),
            m.SparseTensor([[0, 0], [1, 0]], np.array([4, 5], np.int32), [2, 1]),
            m.constant([["f"], ["g"]])]


def test_cross_and_cross_hashed():
    joined, dashed, hashed = run([tf.sparse.cross(_cross_inputs(tf)),
                                  tf.sparse.cross(_cross_inputs(tf), separator="-"),
                                  tf.sparse.cross_hashed(_cross_inputs(tf), num_buckets=1000)])
    at = [[0, 0], [1, 0], [1, 1]]
    assert parts(joined) == [at, [b"a_X_4_X_f", b"b_X_5_X_g", b"c_X_5_X_g"], [2, 2]]
    assert parts(dashed)[1] == [b"a-4-f", b"b-5-g", b"c-5-g"]
    assert parts(hashed) == [at, [515, 422, 912], [2, 2]]  # TF 2.21 gave these ids


def test_bincount_counts_per_row_or_overall():
    values = COUNTED
    weights = np.array([[0.5, 1, 2, 3], [1, 2, 4, 8]], np.float32)
    overall, rows, weighted, capped = run([
        tf.sparse.bincount(values), tf.sparse.bincount(values, axis=-1),
        tf.sparse.bincount(values, weights=weights, axis=-1),
        tf.sparse.bincount(tf.SparseTensor([[0, 0], [0, 3], [1, 1], [2, 0], [2, 2]],
                                           np.array([4, 1, 4, 2, 4], np.int32), [4, 5]),
                           axis=-1, minlength=7, maxlength=3)])
    # TF 2.21 gave these
    assert parts(overall) == [[[0], [1], [3], [5], [7]], [1, 3, 2, 1, 1], [8]]
    assert parts(rows) == [[[0, 0], [0, 1], [0, 3], [1, 1], [1, 5], [1, 7]],
                           [1, 1, 2, 2, 1, 1], [2, 8]]
    assert parts(weighted)[1] == [3.0, 1.0, 2.5, 6.0, 1.0, 8.0]
    assert weighted.values.dtype == np.float32
    assert parts(capped) == [[[0, 1], [2, 2]], [1, 1], [4, 3]]  # values >= maxlength drop
    with pytest.raises(InvalidArgumentError, match="must all be non-negative"):
        run(tf.sparse.bincount(-values))
    with pytest.raises(ValueError, match="mutually exclusive"):
        tf.sparse.bincount(values, weights=weights, binary_output=True)
    with pytest.raises(ValueError, match="Only 0 and -1"):
        tf.sparse.bincount(values, axis=1)
    with pytest.raises(ValueError, match="must be a SparseTensor if `values` is a Sparse"):
        tf.sparse.bincount(tf.SparseTensor([[0]], [1], [3]), weights=[1.0])


# -- errors --------------------------------------------------------------------------------------
def test_mismatched_operands_and_bad_arguments_name_the_problem():
    a, _ = a_b(tf)
    wide = tf.SparseTensor(B_IDX, B_VALS, [3, 5])
    with pytest.raises(InvalidArgumentError, match="got 4 and 5 for dimension 1"):
        run(tf.sparse_maximum(a, wide))
    flat = tf.SparseTensor([[1]], [1.0], [3])
    with pytest.raises(InvalidArgumentError, match="do not have the same ranks"):
        run(tf.sparse_minimum(a, flat))
    with pytest.raises(InvalidArgumentError, match=r"num_split should be between 1 and the "
                                                   r"splitting dimension size \(3\), got 4"):
        run(tf.sparse_split(sp_input=a, num_split=4, axis=0))
    with pytest.raises(InvalidArgumentError, match=r"axis should be in range \[-2, 2\), got 2"):
        run(tf.sparse_split(sp_input=a, num_split=2, axis=2))
    with pytest.raises(ValueError, match="Keyword arguments are required"):
        tf.sparse_split(a, 2, 1)
    with pytest.raises(ValueError, match="axis is required"):
        tf.sparse.split(sp_input=a, num_split=2)
    with pytest.raises(InvalidArgumentError, match="Invalid reduction dimension 2, for input "
                                                   "with 2 dimensions"):
        run(tf.sparse_reduce_sum_sparse(a, 2))
    with pytest.raises(ValueError, match="Cannot specify both 'keepdims' and 'keep_dims'"):
        tf.sparse.reduce_max_sparse(a, keepdims=True, keep_dims=True)
    with pytest.raises(TypeError, match="axis must be an integer"):
        tf.sparse.expand_dims(a, 1.5)
    with pytest.raises(TypeError, match="num_rows must be an integer"):
        tf.sparse.eye(2.0)
    with pytest.raises(TypeError, match="Inputs must be a list"):
        tf.sparse.cross(a)


def test_reset_shape_refuses_a_smaller_shape_statically_and_at_run_time():
    a, _ = a_b(tf)
    with pytest.raises(ValueError, match="new_shape should have dimension sizes >="):
        tf.sparse_reset_shape(a, [3, 3])
    with pytest.raises(ValueError, match="not compatible"):
        tf.sparse_reset_shape(a, [3, 4, 5])
    new = tf.placeholder(tf.int64, [2])
    out = tf.sparse_reset_shape(a, new)
    assert run(out, {new: [4, 4]}).dense_shape.tolist() == [4, 4]
    with pytest.raises(InvalidArgumentError):
        run(out, {new: [2, 9]})


def test_gradients_are_tfs():
    a, b = a_b(tf)
    with pytest.raises(NotImplementedError, match="Gradient for SparseSparseMaximum"):
        tf.gradients(tf.sparse_maximum(a, b).values, a.values)
    with pytest.raises(NotImplementedError, match="Gradient for SparseSparseMinimum"):
        tf.gradients(tf.sparse_minimum(a, b).values, a.values)
    for out in (tf.sparse_reduce_sum_sparse(a, 1).values,
                tf.sparse_reduce_max_sparse(a, 1).values,
                tf.sparse_split(sp_input=a, num_split=2, axis=1)[0].values):
        with pytest.raises(LookupError, match="No gradient defined"):
            tf.gradients(out, a.values)
    weights = tf.constant(np.ones((2, 4)))
    with pytest.raises(LookupError, match="No gradient defined"):
        tf.gradients(tf.sparse.bincount(COUNTED, weights=weights).values, weights)
    # expand_dims and reset_shape pass the values through: their gradient is the identity.
    g = tf.gradients(tf.reduce_sum(tf.sparse.expand_dims(a, 0).values * 3.0), a.values)[0]
    assert run(g).tolist() == [3.0] * 4


# -- side by side with TensorFlow ---------------------------------------------------------------
def _same_graph_cases():
    def sp3(m):
        return m.SparseTensor(IDX3, VALS3, [2, 3, 4])

    return {
        "maximum": lambda m: m.sparse_maximum(*a_b(m)),
        "minimum-int": lambda m: m.sparse.minimum(
            m.SparseTensor(A_IDX, np.array([3, -1, 2, -7], np.int32), [3, 4]),
            m.SparseTensor(B_IDX, np.array([-3, 1, 9], np.int32), [3, 4])),
        "maximum-unsorted": lambda m: m.sparse.maximum(*a_b(m, A_IDX[[1, 3, 0, 2]])),
        "split": lambda m: m.sparse_split(sp_input=sp3(m), num_split=2, axis=-1),
        "split-3": lambda m: m.sparse.split(sp_input=m.SparseTensor(
            SPLIT_IDX[[4, 1, 0, 3, 2]], np.arange(5), [2, 7]), num_split=3, axis=1),
        "split-strings": lambda m: m.sparse.split(sp_input=m.SparseTensor(
            A_IDX, ["a", "b", "c", "d"], [3, 4]), num_split=2, axis=0),
        "reduce-sum": lambda m: m.sparse_reduce_sum_sparse(sp3(m), [0, -1]),
        "reduce-sum-keep": lambda m: m.sparse.reduce_sum_sparse(sp3(m), 1, keepdims=True),
        "reduce-max-all": lambda m: m.sparse_reduce_max_sparse(sp3(m)),
        "reduce-max-int": lambda m: m.sparse.reduce_max_sparse(
            m.SparseTensor(IDX3, np.array([5, -1, 2, 2, -9, 0], np.int64), [2, 3, 4]), 2),
        "expand_dims": lambda m: m.sparse.expand_dims(sp3(m), 2),
        "eye": lambda m: m.sparse.eye(m.constant(3), 5, dtype=m.float64),
        "reset_shape": lambda m: m.sparse_reset_shape(sp3(m)),
        "reset_shape-new": lambda m: m.sparse.reset_shape(sp3(m), [3, 3, 9]),
        "cross": lambda m: m.sparse.cross(_cross_inputs(m), separator="+"),
        "cross_hashed": lambda m: m.sparse.cross_hashed(_cross_inputs(m), num_buckets=50,
                                                        hash_key=7),
        "bincount": lambda m: m.sparse.bincount(COUNTED, axis=-1, minlength=9),
        "bincount-weights": lambda m: m.sparse.bincount(COUNTED, weights=COUNTED * 0.5),
        "bincount-sparse": lambda m: m.sparse.bincount(
            m.SparseTensor(A_IDX[[2, 0, 3, 1]], [4, 1, 4, 2], [5, 4]), axis=-1,
            binary_output=True),
        "mask": lambda m: (lambda s: [s.values, s.indices, s.dense_shape])(m.sparse.mask(
            m.IndexedSlices(m.constant(np.arange(6.0).reshape(3, 2)),
                            m.constant([4, 8, 9]), m.constant([10, 2])), [9, 2])),
    }


CASES = _same_graph_cases()


def _flat(value):
    if isinstance(value, (list, tuple)) and not hasattr(value, "indices"):
        return [a for v in value for a in _flat(v)]
    if hasattr(value, "indices"):
        return [np.asarray(value.indices), np.asarray(value.values),
                np.asarray(value.dense_shape)]
    return [np.asarray(value)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        want = tf1.Session(graph=g).run(CASES[name](tf1))
    got = run(CASES[name](tf))
    for w, h in zip(_flat(want), _flat(got), strict=True):
        assert h.dtype == w.dtype and h.shape == w.shape, name
        np.testing.assert_array_equal(h, w, err_msg=name)


def _dims(shape):
    return None if shape.rank is None else shape.as_list()


def test_fed_shapes_match_tensorflow():
    """A sparse_placeholder: the rank and dims known only at run time (dynamic reduction axes,
    the run-time checks of reset_shape); static shapes as TF's."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def build(m):
        sp = m.sparse_placeholder(m.float32)
        return sp, [m.sparse.expand_dims(sp, 1), m.sparse.expand_dims(sp, -1),
                    m.sparse_reduce_sum_sparse(sp), m.sparse.reduce_max_sparse(sp, 0, True),
                    m.sparse_split(sp_input=sp, num_split=2, axis=1), m.sparse_maximum(sp, sp),
                    m.sparse.reset_shape(sp), m.sparse.reset_shape(sp, [5, 5, 5])]

    feed = (IDX3, VALS3, np.array([2, 3, 4], np.int64))
    g = tf1.Graph()
    with g.as_default():
        sp, outs = build(tf1)
        want = tf1.Session(graph=g).run(outs, {sp: feed})
        want_shapes = [_dims(o.shape) for o in outs if not isinstance(o, list)]
    sp, outs = build(tf)
    assert [_dims(o.shape) for o in outs if not isinstance(o, list)] == want_shapes
    for w, h in zip(_flat(want), _flat(run(outs, {sp: feed})), strict=True):
        assert h.dtype == w.dtype
        np.testing.assert_array_equal(h, w)


@pytest.mark.parametrize("build, fragment", [
    (lambda m: m.sparse_maximum(*a_b(m)[:1], m.SparseTensor(B_IDX, B_VALS, [3, 5])),
     "shapes do not match"),
    (lambda m: m.sparse_split(sp_input=a_b(m)[0], num_split=5, axis=1), "num_split"),
    (lambda m: m.sparse_split(sp_input=a_b(m)[0], num_split=2, axis=-3), "axis"),
    (lambda m: m.sparse_reduce_max_sparse(a_b(m)[0], [-3]), "Invalid reduction dimension"),
])
def test_errors_match_tensorflow(build, fragment):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default(), pytest.raises(tf1.errors.InvalidArgumentError, match=fragment):
        tf1.Session(graph=g).run(build(tf1))
    with pytest.raises(InvalidArgumentError, match=fragment):
        run(build(tf))


def test_graph_def_round_trips_through_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    graph = tf.Graph()
    with graph.as_default():
        fetches = {name: _flat_tensors(build(tf)) for name, build in CASES.items()}
        want = tf.Session(graph=graph).run(fetches)
    graph_def = tf1.GraphDef()
    graph_def.ParseFromString(graph.as_graph_def().SerializeToString())
    tf_graph = tf1.Graph()
    with tf_graph.as_default():
        tf1.import_graph_def(graph_def, name="")
        got = tf1.Session(graph=tf_graph).run(
            {name: [t.name for t in ts] for name, ts in fetches.items()})
    for name in CASES:
        for w, h in zip(want[name], got[name], strict=True):
            np.testing.assert_array_equal(np.asarray(h), np.asarray(w), err_msg=name)


def _flat_tensors(value):
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flat_tensors(v)]
    if isinstance(value, tf.SparseTensor):
        return [value.indices, value.values, value.dense_shape]
    return [value]
