"""tf.RaggedTensor, tf.RaggedTensorValue and tf.ragged (core/ragged.py, core/ragged_ops.py):
TF-free checks against hand-written rows, then the same graphs side by side with TensorFlow
2.21 (skipped where it is not installed)."""

import collections

import numpy as np
import pytest

import minitf as tf

from .side_by_side import tf_run


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.reset_default_graph()


# -- TF-free ---------------------------------------------------------------------------------------
def test_constant_and_fetch_in_structures():
    rt = tf.ragged.constant([[1, 2], [3], []])
    assert isinstance(rt, tf.RaggedTensor) and rt.dtype == tf.int32
    assert rt.shape.as_list() == [3, None] and rt.ragged_rank == 1
    assert rt.row_splits.dtype == tf.int64
    pair = collections.namedtuple("pair", "a b")
    got = run({"x": [rt, (rt.values,)], "y": pair(rt, rt.row_splits)})
    value = got["x"][0]
    assert isinstance(value, tf.RaggedTensorValue)
    assert value.to_list() == [[1, 2], [3], []]
    assert value.values.tolist() == [1, 2, 3] and value.row_splits.tolist() == [0, 2, 3, 3]
    assert got["x"][1][0].tolist() == [1, 2, 3]
    assert isinstance(got["y"], pair) and got["y"].a.to_list() == [[1, 2], [3], []]
    assert run(rt).to_list() == [[1, 2], [3], []]  # a lone RaggedTensor fetch
    assert tf.Session().make_callable([rt])()[0].to_list() == [[1, 2], [3], []]


def test_constant_nesting_inner_shape_and_errors():
    rt3 = tf.ragged.constant([[[1.5, 2], [3]], [[4]]])
    assert rt3.ragged_rank == 2 and rt3.shape.as_list() == [2, None, None]
    assert rt3.dtype == tf.float32
    inner = tf.ragged.constant([[[1, 2], [3, 4]], [[5, 6]]], ragged_rank=1)
    assert inner.shape.as_list() == [2, None, 2] and inner.values.shape.as_list() == [3, 2]
    got = run([rt3, inner, tf.ragged.constant([["a"], []]), tf.ragged.constant([[], []])])
    assert got[0].to_list() == [[[1.5, 2.0], [3.0]], [[4.0]]]
    assert got[1].to_list() == [[[1, 2], [3, 4]], [[5, 6]]]
    assert got[2].to_list() == [[b"a"], []]
    assert got[3].to_list() == [[], []] and got[3].values.dtype == np.float32
    assert isinstance(tf.ragged.constant([1, 2]), tf.Tensor)  # no ragged dimension
    with pytest.raises(ValueError, match="same nesting depth"):
        tf.ragged.constant([[1, [2]]])
    with pytest.raises(ValueError, match="inconsistent shape"):
        tf.ragged.constant([[[1, 2], [3]]], ragged_rank=1)
    value = tf.ragged.constant_value([[1, 2], [3]], row_splits_dtype="int32")
    assert value.to_list() == [[1, 2], [3]] and value.row_splits.dtype == np.int32


def test_value_class():
    v = tf.RaggedTensorValue(tf.RaggedTensorValue(np.array([1, 2, 3]), np.array([0, 2, 3])),
                             np.array([0, 1, 2]))
    assert v.to_list() == [[[1, 2]], [[3]]] and v.ragged_rank == 2
    assert v.flat_values.tolist() == [1, 2, 3] and v.shape == (2, None, None)
    assert [s.tolist() for s in v.nested_row_splits] == [[0, 1, 2], [0, 2, 3]]
    assert str(v) == "<tf.RaggedTensorValue [[[1, 2]], [[3]]]>"
    assert tf.ragged.RaggedTensorValue is tf.RaggedTensorValue
    with pytest.raises(TypeError, match="row_splits must be a 1D int32 or int64"):
        tf.RaggedTensorValue(np.array([1]), [0, 1])
    with pytest.raises(ValueError, match="constructor is private"):
        tf.RaggedTensor(tf.constant([1]), tf.constant([0, 1], tf.int64))


def test_factories():
    vals = tf.constant([3, 1, 4, 1, 5, 9, 2])
    built = [
        tf.RaggedTensor.from_row_splits(vals, [0, 4, 4, 7, 7]),
        tf.RaggedTensor.from_row_lengths(vals, [4, 0, 3, 0]),
        tf.RaggedTensor.from_value_rowids(vals, [0, 0, 0, 0, 2, 2, 2], nrows=4),
        tf.RaggedTensor.from_nested_row_splits(vals, [[0, 1, 4], [0, 4, 4, 7, 7]]),
        tf.RaggedTensor.from_nested_row_lengths(vals, [[1, 3], [4, 0, 3, 0]]),
        tf.RaggedTensor.from_uniform_row_length(vals[:6], 2),
    ]
    assert built[5].shape.as_list() == [3, 2]
    got = run(built)
    rows = [[3, 1, 4, 1], [], [5, 9, 2], []]
    assert [g.to_list() for g in got] == [rows, rows, rows, [rows[:1], rows[1:]], [rows[:1],
                                          rows[1:]], [[3, 1], [4, 1], [5, 9]]]
    with pytest.raises(ValueError, match="row_splits tensor may not be empty"):
        tf.RaggedTensor.from_row_splits(vals, [])
    with pytest.raises(ValueError, match="Expected nrows >= value_rowids"):
        tf.RaggedTensor.from_value_rowids(vals, [0, 0, 0, 0, 2, 2, 2], nrows=2)
    with pytest.raises(TypeError, match="must have type bool"):
        tf.RaggedTensor.from_row_splits(vals, [0, 7], validate=1)


def test_validation_at_run_time():
    splits = tf.placeholder(tf.int64, [None])
    rt = tf.RaggedTensor.from_row_splits(tf.constant([1, 2, 3]), splits)
    assert run(rt, {splits: [0, 1, 3]}).to_list() == [[1], [2, 3]]
    for bad, what in (([1, 2, 3], "zero"), ([0, 2, 1, 3], "monotonic"),
                      ([0, 2], "_from_row_partition")):
        with pytest.raises(tf.errors.InvalidArgumentError, match=what):
            run(rt, {splits: bad})
    lengths = tf.placeholder(tf.int64, [None])
    with pytest.raises(tf.errors.InvalidArgumentError, match="from_row_lengths"):
        run(tf.RaggedTensor.from_row_lengths([1, 2], lengths), {lengths: [3, -1]})
    unchecked = tf.RaggedTensor.from_row_splits(tf.constant([1, 2, 3]), splits, validate=False)
    assert run(unchecked.row_splits, {splits: [1, 2]}).tolist() == [1, 2]


def test_from_tensor_lengths_padding_and_rank():
    t = tf.constant([[1, 2, 0], [3, 0, 0], [0, 0, 0]])
    plain = tf.RaggedTensor.from_tensor(t)
    assert plain.shape.as_list() == [3, 3]
    got = run([plain, tf.RaggedTensor.from_tensor(t, lengths=[2, 5, -1]),
               tf.RaggedTensor.from_tensor(t, padding=0),
               tf.RaggedTensor.from_tensor(tf.reshape(tf.range(8), [2, 2, 2]), ragged_rank=2),
               tf.RaggedTensor.from_tensor(tf.reshape(tf.range(12), [2, 3, 2]),
                                           lengths=([2, 1], [1, 0, 2]))])
    assert got[0].to_list() == [[1, 2, 0], [3, 0, 0], [0, 0, 0]]
    assert got[1].to_list() == [[1, 2], [3, 0, 0], []]
    assert got[2].to_list() == [[1, 2], [3], []]
    assert got[3].to_list() == [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]
    assert got[4].to_list() == [[[0], []], [[4, 5]]]  # as TF 2.21 gives it
    with pytest.raises(ValueError, match="not both"):
        tf.RaggedTensor.from_tensor(t, lengths=[1], padding=0)
    with pytest.raises(ValueError, match="must be greater than 1"):
        tf.RaggedTensor.from_tensor([1, 2])


def test_from_sparse_and_to_sparse():
    st = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], [1.0, 2.0, 3.0], [4, 5])
    rt = tf.RaggedTensor.from_sparse(st)
    back = rt.to_sparse()
    got = run([rt, back])
    assert got[0].to_list() == [[1.0, 2.0], [], [3.0], []]
    assert got[1].indices.tolist() == [[0, 0], [0, 1], [2, 0]]
    assert got[1].dense_shape.tolist() == [4, 2]
    gap = tf.SparseTensor([[0, 1]], [1.0], [1, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="not right-ragged"):
        run(tf.RaggedTensor.from_sparse(gap))
    with pytest.raises(ValueError, match="rank\\(st_input\\) must be 2"):
        tf.RaggedTensor.from_sparse(tf.SparseTensor([[0, 0, 0]], [1.0], [1, 1, 1]))


def test_partition_methods_and_to_tensor():
    rt = tf.ragged.constant([[[1, 2], [3]], [], [[4, 5, 6]]])
    got = run({"lengths": rt.row_lengths(), "inner": rt.row_lengths(axis=2),
               "nrows": rt.nrows(), "ids": rt.value_rowids(), "box": rt.bounding_shape(),
               "dense": rt.to_tensor(default_value=-1),
               "cut": rt.to_tensor(shape=[2, 1, 2]), "flat": rt.flat_values,
               "doubled": rt.with_flat_values(rt.flat_values * 2),
               "i32": rt.with_row_splits_dtype(tf.int32)})
    assert got["lengths"].tolist() == [2, 0, 1] and got["nrows"] == 3
    assert got["inner"].to_list() == [[2, 1], [], [3]]
    assert got["ids"].tolist() == [0, 0, 2] and got["box"].tolist() == [3, 2, 3]
    assert got["dense"].tolist() == [[[1, 2, -1], [3, -1, -1]], [[-1] * 3] * 2,
                                     [[4, 5, 6], [-1] * 3]]
    assert got["cut"].tolist() == [[[1, 2]], [[0, 0]]]
    assert got["doubled"].to_list() == [[[2, 4], [6]], [], [[8, 10, 12]]]
    assert got["i32"].row_splits.dtype == np.int32 and got["i32"].to_list() == \
        [[[1, 2], [3]], [], [[4, 5, 6]]]
    assert rt.to_tensor(shape=[2, 1, 2]).shape.as_list() == [2, 1, 2]
    with pytest.raises(ValueError, match="eager mode"):
        rt.to_list()


def test_to_tensor_gradient():
    values = tf.placeholder(tf.float64, [4])
    rt = tf.RaggedTensor.from_row_splits(values, [0, 3, 3, 4])
    dense = rt.to_tensor(default_value=tf.constant(0.5, tf.float64), shape=[3, 2])
    weights = np.arange(1.0, 7.0).reshape(3, 2)
    (grad,) = tf.gradients(tf.reduce_sum(dense * weights), [values])
    # Value 2 is cut off by the shape: no gradient reaches it.
    assert run(grad, {values: [1.0, 2.0, 3.0, 4.0]}).tolist() == [1.0, 2.0, 0.0, 5.0]


def test_ragged_namespace_functions():
    got = run({"range": tf.ragged.range([3, 0, 2], deltas=[1, 1, 2]),
               "range2": tf.ragged.range([1, 2], [4, 3], 1.5),
               "ids": tf.ragged.row_splits_to_segment_ids([0, 2, 2, 3]),
               "splits": tf.ragged.segment_ids_to_row_splits([0, 0, 2], num_segments=4),
               "mapped": tf.ragged.map_flat_values(tf.add, tf.ragged.constant([[1], [2, 3]]),
                                                   10)})
    assert got["range"].to_list() == [[0, 1, 2], [], [0]]
    assert got["range2"].to_list() == [[1.0, 2.5], [2.0]]
    assert got["ids"].tolist() == [0, 0, 2]
    assert got["splits"].tolist() == [0, 2, 2, 3, 3]
    assert got["mapped"].to_list() == [[11], [12, 13]]
    a = tf.RaggedTensor.from_row_splits([1, 2, 3], tf.placeholder_with_default(
        np.array([0, 1, 3], np.int64), [None]))
    b = tf.RaggedTensor.from_row_splits([1, 1, 1], [0, 2, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="incompatible row_splits"):
        run(tf.ragged.map_flat_values(tf.add, a, b))
    with pytest.raises(ValueError, match="same ragged_rank"):
        tf.ragged.map_flat_values(tf.add, a, tf.ragged.constant([[[1]], [[2]], [[3]]]))


def test_to_tensor_checks_a_shape_given_at_run_time():
    rt = tf.ragged.constant([[1, 2], [], [3]])
    inner = tf.ragged.constant([[[1, 2], [3, 4]], [], [[5, 6]]], ragged_rank=1)
    sh, free = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.int64)
    dense, dense_inner, dense_free = (rt.to_tensor(shape=sh), inner.to_tensor(shape=sh),
                                      rt.to_tensor(shape=free))
    with tf.Session() as sess:
        assert sess.run(dense, {sh: [4, -1]}).tolist() == [[1, 2], [0, 0], [3, 0], [0, 0]]
        assert sess.run(dense, {sh: [2, 1]}).tolist() == [[1], [0]]
        assert sess.run(dense_inner, {sh: [2, 1, -1]}).tolist() == [[[1, 2]], [[0, 0]]]
        assert sess.run(dense_free, {free: -1}).tolist() == [[1, 2], [0, 0], [3, 0]]
        for feed, message in [
                ([3, 2, 2], r"shape=\[3,2,2\] are incompatible: rt_input.rank = 2 but shape.rank"
                            " = 3"),
                ([-1], r"shape=\[\?\] are incompatible: rt_input.rank = 2 but shape.rank = 1"),
                ([4, -3], "Dimension -3 must be >= -1")]:
            with pytest.raises(tf.errors.InvalidArgumentError, match=message):
                sess.run(dense, {sh: feed})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"rt_input.shape\[2\] = 2 but shape\[2\] = 3"):
            sess.run(dense_inner, {sh: [2, 2, 3]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="only valid scalar shape"):
            sess.run(dense_free, {free: 5})
        with pytest.raises(tf.errors.InvalidArgumentError, match="at most rank 1 but is rank 2"):
            sess.run(dense_free, {free: [[3, 2]]})
    # What graph construction already knows is checked there, with TF's words.
    for shape, message in [
            (tf.placeholder(tf.int64, []), "Received a shape scalar with unknown static value"),
            (tf.placeholder(tf.int64, [3]), r"shape=\[\?,\?,\?\] are incompatible: "
                                            "rt_input.rank = 2 but shape.rank = 3"),
            (tf.placeholder(tf.int64, [None, 2]), "at most rank 1 but is rank 2"),
            (tf.constant([4, -3], tf.int64), "Invalid value in tensor used for shape: -3"),
            (tf.constant(5, tf.int64), "static value that is not '-1'")]:
        with pytest.raises(ValueError, match=message):
            rt.to_tensor(shape=shape)
    n = tf.placeholder(tf.int32, [])
    mixed = rt.to_tensor(shape=[4, n])  # a list holding a tensor is stacked, as in TF
    assert mixed.shape.as_list() == [4, None]
    assert run(mixed, {n: 3}).tolist() == [[1, 2, 0], [0, 0, 0], [3, 0, 0], [0, 0, 0]]


def _range_rows(starts, limits, deltas, dtype):
    """Each row as TF's kernel defines it: ceil(|(limit - start) / delta|) values (Python's
    range for integers), each the previous plus delta, one scalar addition in ``dtype`` at a
    time."""
    rows = []
    for s, lim, d in zip(*np.broadcast_arrays(starts, limits, deltas)):
        if np.issubdtype(dtype, np.integer):
            size = len(range(int(s), int(lim), int(d)))
        else:
            empty = (d > 0 and lim < s) or (d < 0 and lim > s)
            size = 0 if empty else int(np.ceil(abs((lim - s) / d)))
        row, v = [], dtype(s)
        for _ in range(size):
            row.append(v.item())
            v = dtype(v + d)
        rows.append(row)
    return rows


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_ragged_range_rows_match_the_element_by_element_reference(dtype):
    rng = np.random.default_rng(7)
    n = 200
    starts, limits = rng.integers(-20, 20, n), rng.integers(-20, 20, n)
    deltas = rng.choice([-3, -1, 1, 2, 5], n)
    if dtype in (np.float32, np.float64):
        starts, limits, deltas = starts * 0.7, limits * 1.3, deltas * 0.3
    starts, limits, deltas = (a.astype(dtype) for a in (starts, limits, deltas))
    for args in [(starts, limits, deltas), (starts[0], limits, deltas[0]),
                 (starts, limits[0], deltas), (starts[:0], limits[:0], deltas[:0])]:
        got = run(tf.ragged.range(*args))
        want = _range_rows(*args, dtype)
        assert got.values.dtype == dtype and got.to_list() == want
        assert got.row_splits.tolist() == np.cumsum([0] + [len(r) for r in want]).tolist()


def test_ragged_range_errors_and_a_large_range_fast():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Requires delta != 0"):
        run(tf.ragged.range([0, 1], 5, [1, 0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Requires \(\(limit - start\)"):
        run(tf.ragged.range([0.0, 1.0], [5.0, np.nan]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="must have the same shape"):
        run(tf.ragged.range(tf.placeholder_with_default([0, 1], [None]), [3, 4, 5]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="starts must be a scalar or"):
        run(tf.ragged.range(tf.placeholder_with_default([[0]], None), 3))
    with pytest.raises(tf.errors.InvalidArgumentError, match="total range size overflowed"):
        run(tf.ragged.range(np.int64(0), [2**30, 2**30], row_splits_dtype=tf.int32))
    # Many rows of every kind (empty, one, several): values against Python's range. (Its
    # speed is not asserted here: tests do not time; it took seconds with a loop per row.)
    n = 20_000
    big = tf.ragged.range(np.arange(n) % 7, np.arange(n) % 11, np.arange(n) % 3 + 1)
    with tf.Session() as sess:
        got = sess.run(big)
    assert got.row_splits[-1] == sum(len(range(i % 7, i % 11, i % 3 + 1)) for i in range(n))
    for i in np.random.default_rng(0).integers(0, n, 200):
        row = got.values[got.row_splits[i]:got.row_splits[i + 1]]
        assert row.tolist() == list(range(i % 7, i % 11, i % 3 + 1))


# -- side by side with TensorFlow -----------------------------------------------------------------
def _assert_same(mine, theirs):
    if isinstance(theirs, (list, tuple)):
        for a, b in zip(mine, theirs, strict=True):
            _assert_same(a, b)
    elif hasattr(theirs, "to_list"):
        assert type(mine).__name__ == "RaggedTensorValue"
        assert mine.to_list() == theirs.to_list()
        assert [s.tolist() for s in mine.nested_row_splits] == \
            [s.tolist() for s in theirs.nested_row_splits]
        assert mine.flat_values.dtype == theirs.flat_values.dtype
        assert mine.shape == theirs.shape
    elif hasattr(theirs, "dense_shape"):
        for a, b in zip(mine, theirs):
            assert np.asarray(a).tolist() == np.asarray(b).tolist()
    else:
        assert np.asarray(mine).tolist() == np.asarray(theirs).tolist()
        assert np.asarray(mine).dtype == np.asarray(theirs).dtype


def _ragged_graph(m):
    vals = m.constant([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0])
    t = m.constant([[1, 2, 0], [3, 0, 0], [0, 0, 0]])
    rt = m.ragged.constant([[[1, 2], [3]], [], [[4, 5, 6]]])
    return [
        m.RaggedTensor.from_row_splits(vals, [0, 4, 4, 7]),
        m.RaggedTensor.from_row_lengths(vals, [1, 0, 6]),
        m.RaggedTensor.from_value_rowids(vals, [0, 0, 2, 2, 2, 2, 4]),
        m.RaggedTensor.from_value_rowids(vals, [0, 0, 2, 2, 2, 2, 4], nrows=7),
        m.RaggedTensor.from_nested_row_lengths(vals, [[2, 1], [1, 0, 6]]),
        m.RaggedTensor.from_tensor(m.reshape(m.range(12), [2, 3, 2]),
                                   lengths=([2, 1], [1, 0, 2])),
        m.RaggedTensor.from_tensor(t), m.RaggedTensor.from_tensor(t, padding=0),
        m.RaggedTensor.from_tensor(t, lengths=[2, 7, -3]),
        m.RaggedTensor.from_tensor(m.reshape(m.range(12), [2, 3, 2]), ragged_rank=2),
        m.RaggedTensor.from_tensor(m.reshape(m.range(12), [2, 3, 2]), padding=[10, 11]),
        m.RaggedTensor.from_sparse(m.SparseTensor([[0, 0], [0, 1], [2, 0]], [1, 2, 3],
                                                  [4, 5])),
        rt, rt.row_lengths(), rt.row_lengths(axis=2), rt.nrows(), rt.value_rowids(),
        rt.bounding_shape(), rt.to_tensor(), rt.to_tensor(default_value=7, shape=[4, 1, 2]),
        rt.to_sparse(), rt.values.to_tensor(shape=[None, 5]),
        m.ragged.constant([[b"a", b"bc"], []]).to_tensor(),
        m.ragged.constant([[[1, 2]], [[3, 4], [5, 6]]], ragged_rank=1).to_tensor(),
        m.ragged.range([3, 1, 4], [9, 0, 4], [2, -1, 1]),
        m.ragged.range(m.constant([0.5, 1.0]), 2.0, 0.3),
        m.ragged.row_splits_to_segment_ids([0, 3, 3, 5]),
        m.ragged.segment_ids_to_row_splits([0, 0, 3]),
        m.ragged.map_flat_values(m.multiply, rt, rt),
    ]


def test_vs_tf_factories_and_methods():
    _assert_same(run(_ragged_graph(tf)), tf_run(_ragged_graph))


def test_vs_tf_static_shapes_and_construction_errors():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        want = [x.shape.as_list() for x in _ragged_graph(tf1)
                if not hasattr(x, "dense_shape")]  # TF knows no SparseTensor shape here
    got = [x.shape.as_list() for x in _ragged_graph(tf) if not hasattr(x, "dense_shape")]
    assert got == want
    # Constant bad splits: TF fails the run; minitf's checks fold constants and fail sooner.
    for build in (lambda m: m.RaggedTensor.from_row_splits([1, 2], [1, 2]),
                  lambda m: m.RaggedTensor.from_row_splits([1, 2], [0, 3])):
        with pytest.raises(tf1.errors.InvalidArgumentError):
            tf_run(build)
        with pytest.raises(tf.errors.InvalidArgumentError):
            run(build(tf))


def test_vs_tf_run_time_validation():
    def build(m):
        splits = m.placeholder_with_default(np.array([0, 2, 1, 3], np.int64), [None])
        return m.RaggedTensor.from_row_splits(m.constant([1, 2, 3]), splits)

    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with pytest.raises(tf1.errors.InvalidArgumentError, match="monotonic"):
        tf_run(build)
    with pytest.raises(tf.errors.InvalidArgumentError, match="monotonic"):
        run(build(tf))


def test_graph_defs_cross_both_ways():
    """TF's to_tensor of a from_value_rowids tensor writes FIRST_DIM_SIZE / VALUE_ROWIDS
    partitions; minitf's writes ROW_SPLITS: each runs the other's GraphDef."""
    from .side_by_side import run_both_ways

    def build(m):
        rt = m.RaggedTensor.from_value_rowids(m.constant([1.0, 2.0, 3.0]), [0, 0, 2], nrows=4,
                                              validate=False)  # TF asserts with If ops
        m.identity(rt.to_tensor(default_value=-1.0), name="dense")
        m.identity(m.ragged.range([2, 1]).to_sparse().indices, name="indices")
        m.identity(m.strings.unicode_decode([b"h\xc3\xa9\xff"], "UTF-8").to_tensor(),
                   name="decoded")

    names = ["dense:0", "indices:0", "decoded:0"]
    want = [[[1.0, 2.0], [-1.0, -1.0], [3.0, -1.0], [-1.0, -1.0]],
            [[0, 0], [0, 1], [1, 0]], [[104, 233, 0xFFFD]]]
    for got in run_both_ways(build, names):
        assert [g.tolist() for g in got] == want


@pytest.mark.parametrize("build", [lambda rt: tf.reduce_sum(rt, axis=1), lambda rt: tf.shape(rt)])
def test_dense_ops_refuse_a_ragged_tensor_by_name(build):
    # Not "Expected string" (numpy made an object array of it): the message says what to do.
    with tf.Graph().as_default():
        rt = tf.ragged.constant([[1, 2], [], [3]])
        with pytest.raises(TypeError, match="do not take a RaggedTensor; use its to_tensor()"):
            build(rt)


def _outcome(sess, fetch, feed, errors):
    """The fetched value as a list, or the error class name and message."""
    try:
        value = sess.run(fetch, feed)
    except errors.OpError as e:
        return type(e).__name__, e.message
    return value.to_list() if hasattr(value, "to_list") else value.tolist()


def test_vs_tf_to_tensor_with_a_run_time_shape():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    feeds = [[3, 2, 2], [4, -3], [4, -1], [-1, -1], [2, 1], [5, 3], [-1], [], [0, 0],
             [2, 1, 2], [3, -1, -1], [2, 2, 3], [2, 2, 1], [2, 2, -1]]

    def outcomes(m, g):
        with g.as_default():
            sh = m.placeholder(m.int64, [None])
            built = [m.ragged.constant(v, ragged_rank=r).to_tensor(shape=sh) for v, r in
                     (([[1, 2], [], [3]], 1), ([[[1, 2], [3]], [], [[4, 5, 6]]], 2),
                      ([[[1, 2], [3, 4]], [], [[5, 6]]], 1))]
            with m.Session(graph=g) as sess:
                return [_outcome(sess, d, {sh: f}, m.errors) for f in feeds for d in built]

    want, got = outcomes(tf1, tf1.Graph()), outcomes(tf, tf.Graph())
    for w, g in zip(want, got, strict=True):
        if isinstance(w, tuple):  # TF's message has more lines: the node, its stack
            assert isinstance(g, tuple) and g[0] == w[0] and g[1].splitlines()[0] in w[1]
        else:
            assert g == w


def test_vs_tf_to_tensor_shape_errors_at_graph_construction():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    builds = [lambda m: m.placeholder(m.int64, []), lambda m: m.placeholder(m.int64, [3]),
              lambda m: m.placeholder(m.int64, [None, 2]),
              lambda m: m.constant([4, -3], m.int64), lambda m: m.constant(5, m.int64),
              lambda m: [4, m.placeholder(m.int32, [])]]
    for build in builds:
        seen = []
        for m in (tf1, tf):
            with m.Graph().as_default():
                rt = m.ragged.constant([[1, 2], [], [3]])
                try:
                    seen.append(rt.to_tensor(shape=build(m)).shape.as_list())
                except ValueError as e:  # TF's ends with the NodeDef, minitf's with the op
                    seen.append(str(e).split(" for '")[0])
        assert seen[1] == seen[0]


def test_vs_tf_ragged_range():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    rng = np.random.default_rng(3)
    n = 400
    ints = [rng.integers(-30, 30, n), rng.integers(-30, 30, n), rng.choice([-4, -1, 1, 3], n)]
    cases = [(*(a.astype(np.int32) for a in ints), tf.int64),
             (*(a.astype(np.int64) for a in ints), tf.int32),
             (*(a.astype(np.float32) * f for a, f in zip(ints, (0.7, 1.3, 0.3))), tf.int64),
             (*(a.astype(np.float64) * f for a, f in zip(ints, (0.7, 1.3, 0.1))), tf.int64),
             (np.float32(0.5), ints[1][:50].astype(np.float32), np.float32(-0.25), tf.int64),
             (np.float32(0.0), np.float32(1.0), np.float32(0.1), tf.int64),
             (np.int32(3), np.int32(-3), np.int32(-1), tf.int64)]

    def build(m):
        return [m.ragged.range(s, lim, d, row_splits_dtype=m.as_dtype(t.name))
                for s, lim, d, t in cases]

    _assert_same(run(build(tf)), tf_run(build))
    for bad in ([0, 1], 5, [1, 0]), ([0.0, 1.0], [5.0, np.nan], 1.0):
        with pytest.raises(tf1.errors.InvalidArgumentError) as theirs:
            tf_run(lambda m, b=bad: m.ragged.range(*b))
        with pytest.raises(tf.errors.InvalidArgumentError) as mine:
            run(tf.ragged.range(*bad))
        assert mine.value.message.splitlines()[0] in theirs.value.message
