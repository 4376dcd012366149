"""The SparseTensorsMap ops (AddSparseToTensorsMap, AddManySparseToTensorsMap,
TakeManySparseFromTensorsMap) through tf.raw_ops: values, handles, the per-session map, TF's
errors; hand-computed, and side by side with TensorFlow where it is installed."""

import os

import numpy as np
import pytest

import minitf as tf
import minitf.ops.sparse_tensors_map_ops  # noqa: F401 - registers the ops before __init__ does

from .side_by_side import run_both_ways, tf1_or_skip

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


# -- the raw ops, hand-computed --------------------------------------------------------------------
def test_raw_ops_add_take_and_handles():
    r = tf.raw_ops
    i64 = np.int64
    h1 = r.AddSparseToTensorsMap(sparse_indices=np.array([[0, 1], [2, 0]], i64),
                                 sparse_values=[1.0, 2.0], sparse_shape=np.array([3, 4], i64),
                                 shared_name="m")
    h2 = r.AddSparseToTensorsMap(sparse_indices=np.array([[1, 5]], i64), sparse_values=[3.0],
                                 sparse_shape=np.array([2, 6], i64), shared_name="m")
    many = r.AddManySparseToTensorsMap(sparse_indices=np.array([[0, 1], [0, 3], [2, 0]], i64),
                                       sparse_values=[1, 2, 3],
                                       sparse_shape=np.array([4, 5], i64), shared_name="k")
    assert h1.shape.as_list() == [] and many.shape.as_list() == [None]
    with tf.Session() as sess:
        a, b = sess.run([h1, h2])
        handles = sess.run(many)
        taken = r.TakeManySparseFromTensorsMap(sparse_handles=tf.stack([h2, h1]),
                                               dtype=tf.float32, shared_name="m")
        # (h1 and h2 run again in this run: handles 2 and 3 of map "m")
        ind, val, shp = sess.run(list(taken))
        rows = r.TakeManySparseFromTensorsMap(sparse_handles=handles, dtype=tf.int32,
                                              shared_name="k")
        rind, rval, rshp = sess.run(list(rows))
    # Handles count up per map; AddMany numbers the non-empty rows first, then the empty ones.
    assert (a, b) == (0, 1) and list(handles) == [0, 2, 1, 3]
    np.testing.assert_array_equal(ind, [[0, 1, 5], [1, 0, 1], [1, 2, 0]])
    np.testing.assert_array_equal(val, np.array([3.0, 1.0, 2.0], np.float32))
    np.testing.assert_array_equal(shp, [2, 3, 6])
    np.testing.assert_array_equal(rind, [[0, 1], [0, 3], [2, 0]])
    assert rval.dtype == np.int32 and list(rval) == [1, 2, 3] and list(rshp) == [4, 5]


def test_each_session_has_its_own_map_and_take_removes_what_it_reads():
    h = tf.raw_ops.AddSparseToTensorsMap(sparse_indices=np.zeros((1, 1), np.int64),
                                         sparse_values=[7], sparse_shape=np.array([2], np.int64),
                                         shared_name="s")
    handles = tf.placeholder(tf.int64, [None])
    take = tf.raw_ops.TakeManySparseFromTensorsMap(sparse_handles=handles, dtype=tf.int32,
                                                   shared_name="s")
    with tf.Session() as sess:
        assert sess.run(h) == 0
        assert list(sess.run(take[1], {handles: [0]})) == [7]
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Unable to find SparseTensor: 0 in map: s"):
            sess.run(take[0], {handles: [0]})  # taken already
    with tf.Session() as sess:  # a new session: a new, empty map
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Unable to find SparseTensor: 0 in map: s"):
            sess.run(take[0], {handles: [0]})


def _run_error(build):
    with tf.Graph().as_default():
        fetch = build()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(fetch)
    return e.value.message.split("\n\t [[")[0]  # without the node TF appends


def test_bad_input_to_the_raw_ops():
    r = tf.raw_ops
    i64 = np.int64

    def pd(x, dtype=tf.int64):  # shapes known only at run time
        return tf.placeholder_with_default(np.array(x, dtype.as_numpy_dtype), None)

    def add(op, ind, val, shp):
        return getattr(r, op)(sparse_indices=pd(ind), sparse_values=pd(val, tf.int32),
                              sparse_shape=pd(shp))

    cases = [
        ("AddSparseToTensorsMap", [[0, 1]], [1, 2], [3, 4],
         "indices and values rows (indexing dimension) must match. (indices = 1, values = 2)"),
        ("AddSparseToTensorsMap", [[0, 1]], [1], [3], "Order length must be SparseTensor rank."),
        ("AddSparseToTensorsMap", [[0, 1]], [1], [3, -1], "Dimension -1 must be >= 0"),
        ("AddSparseToTensorsMap", [0], [1], [3],
         "Input indices should be a matrix but received shape [1]"),
        ("AddManySparseToTensorsMap", [[0, 1]], [1, 2], [3, 4], "Number of values must match "
         "first dimension of indices. Got 2 values, indices shape: [1,2]"),
        ("AddManySparseToTensorsMap", [[0]], [1], [3],
         "Rank of input SparseTensor should be > 1, but saw rank: 1"),
        ("AddManySparseToTensorsMap", [[0, 1]], [1], [3, -1],
         "Expected shape dimensions to be non-negative, got -1"),
        ("AddManySparseToTensorsMap", [[0, 5]], [1], [3, 4],
         "indices[0] = [0,5] is out of bounds: need 0 <= index < [3,4]"),
        ("AddManySparseToTensorsMap", [[0, 1], [0, 0]], [1, 2], [3, 4],
         "indices[1] = [0,0] is out of order"),
        ("AddManySparseToTensorsMap", [[0, 1], [0, 1]], [1, 2], [3, 4],
         "indices[1] = [0,1] is repeated"),
    ]
    for op, ind, val, shp, message in cases:
        got = _run_error(lambda c=(op, ind, val, shp): add(*c))
        assert got.startswith(message), (op, got)

    def take(handles, **kw):
        return r.TakeManySparseFromTensorsMap(sparse_handles=handles, dtype=tf.int32, **kw)[0]

    assert _run_error(lambda: take(pd([3]), shared_name="m")) == \
        "Unable to find SparseTensor: 3 in map: m"
    assert _run_error(lambda: take(pd(np.zeros(0, i64)), shared_name="m")) == \
        "Must have at least 1 serialized SparseTensor, but input matrix has 0 rows"
    assert _run_error(lambda: take(pd([[1]]), shared_name="m")) == \
        "sparse_handles should be a vector but received shape [1,1]"

    def mixed_ranks():
        h1 = r.AddSparseToTensorsMap(sparse_indices=np.array([[0, 1]], i64), sparse_values=[1],
                                     sparse_shape=np.array([3, 4], i64), shared_name="m")
        h2 = r.AddSparseToTensorsMap(sparse_indices=np.array([[1]], i64), sparse_values=[3],
                                     sparse_shape=np.array([2], i64), shared_name="m")
        return take(tf.stack([h1, h2]), shared_name="m")

    assert _run_error(mixed_ranks) == ("Inconsistent rank across SparseTensors: rank prior to "
                                       "SparseTensor[1] was: 3 but rank of SparseTensor[1] is: 2")

    def wrong_dtype():
        h = r.AddSparseToTensorsMap(sparse_indices=np.array([[0]], i64), sparse_values=[1],
                                    sparse_shape=np.array([3], i64), shared_name="m")
        return r.TakeManySparseFromTensorsMap(sparse_handles=tf.stack([h]), dtype=tf.float32,
                                              shared_name="m")[0]

    assert _run_error(wrong_dtype) == \
        "Requested SparseTensor of type float but SparseTensor[0].values.dtype() == int32"


def test_static_shape_errors_and_wrapper_type_errors():
    r = tf.raw_ops
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        r.AddSparseToTensorsMap(sparse_indices=np.array([0], np.int64), sparse_values=[1],
                                sparse_shape=np.array([3], np.int64))
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 0"):
        r.AddManySparseToTensorsMap(sparse_indices=np.array([[0]], np.int64), sparse_values=1,
                                    sparse_shape=np.array([3], np.int64))
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        r.TakeManySparseFromTensorsMap(sparse_handles=np.array([[1]], np.int64),
                                       dtype=tf.int32)
    from minitf.ops.sparse_tensors_map_ops import take_many_sparse_from_tensors_map

    with pytest.raises(TypeError, match="sparse_map_op be an Operation"):
        take_many_sparse_from_tensors_map("op", [0])
    with pytest.raises(TypeError, match="Instead, found `NoOp`"):
        take_many_sparse_from_tensors_map(tf.no_op(), [0])


# -- side by side with TensorFlow ------------------------------------------------------------------
def test_raw_ops_match_tf():
    def build(lib):
        r = lib.raw_ops
        i64 = np.int64
        h1 = r.AddSparseToTensorsMap(sparse_indices=np.array([[0, 1], [2, 0]], i64),
                                     sparse_values=np.array([1.5, 2.5], np.float64),
                                     sparse_shape=np.array([3, 4], i64), shared_name="a")
        h2 = r.AddSparseToTensorsMap(sparse_indices=np.zeros((0, 2), i64),
                                     sparse_values=np.zeros(0, np.float64),
                                     sparse_shape=np.array([5, 1], i64), shared_name="a")
        many = r.AddManySparseToTensorsMap(
            sparse_indices=np.array([[1, 0, 2], [1, 1, 0], [3, 0, 0]], i64),
            sparse_values=np.array([b"x", b"y", b"z"]), sparse_shape=np.array([5, 2, 3], i64),
            shared_name="b")
        with lib.control_dependencies([h1, h2]):
            one = r.TakeManySparseFromTensorsMap(sparse_handles=lib.stack([h2, h1]),
                                                 dtype=lib.float64, shared_name="a")
        rows = r.TakeManySparseFromTensorsMap(sparse_handles=lib.reverse(many, [0]),
                                              dtype=lib.string, shared_name="b")
        return [h1, h2, many, list(one), list(rows)]

    def run(lib):
        with lib.Graph().as_default():
            fetches = build(lib)
            with lib.Session() as sess:
                return sess.run(fetches)

    tf1_or_skip()
    got, want = run(tf), run(tf1_or_skip())
    assert sorted(got[:2]) == sorted(want[:2]) == [0, 1]  # (they run in either order)
    np.testing.assert_array_equal(got[2], want[2])
    for g, w in zip(got[3] + got[4], want[3] + want[4]):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


def test_errors_match_tf():
    def message(lib, build):
        with lib.Graph().as_default():
            fetch = build(lib)
            with lib.Session() as sess:
                with pytest.raises(lib.errors.InvalidArgumentError) as e:
                    sess.run(fetch)
        text = e.value.message
        # TF 2's message carries the traceback of the op's creation: keep the kernel's line.
        lines = [ln for ln in text.split("\n") if ln.startswith(("Unable", "Inconsistent"))]
        return lines[0]

    def missing(lib):
        h = lib.raw_ops.AddSparseToTensorsMap(sparse_indices=np.zeros((1, 1), np.int64),
                                              sparse_values=[1], sparse_shape=[2], name="add")
        return lib.raw_ops.TakeManySparseFromTensorsMap(sparse_handles=lib.stack([h + 5]),
                                                        dtype=lib.int32, shared_name="add")[0]

    def ranks(lib):
        r = lib.raw_ops
        h1 = r.AddSparseToTensorsMap(sparse_indices=np.array([[0, 1]], np.int64),
                                     sparse_values=[1], sparse_shape=[3, 4], shared_name="m")
        h2 = r.AddSparseToTensorsMap(sparse_indices=np.array([[1]], np.int64),
                                     sparse_values=[3], sparse_shape=[2], shared_name="m")
        return r.TakeManySparseFromTensorsMap(sparse_handles=lib.stack([h1, h2]),
                                              dtype=lib.int32, shared_name="m")[0]

    tf1 = tf1_or_skip()
    for build in (missing, ranks):
        assert message(tf, build) == message(tf1, build)


def test_graph_defs_run_in_the_other_framework():
    def build(lib):
        h = lib.raw_ops.AddManySparseToTensorsMap(
            sparse_indices=np.array([[0, 1], [2, 0]], np.int64), sparse_values=[4, 5],
            sparse_shape=np.array([3, 2], np.int64), name="add")
        lib.raw_ops.TakeManySparseFromTensorsMap(sparse_handles=lib.reverse(h, [0]),
                                                 dtype=lib.int32, shared_name="add",
                                                 name="take")

    fetches = ["take:0", "take:1", "take:2"]
    for ind, val, shp in run_both_ways(build, fetches):
        np.testing.assert_array_equal(ind, [[0, 0], [2, 1]])
        np.testing.assert_array_equal(val, [5, 4])
        np.testing.assert_array_equal(shp, [3, 2])
