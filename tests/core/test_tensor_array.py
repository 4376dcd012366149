"""tf.TensorArray (TensorArrayV3 and its read/write ops) and what TF1 builds on it: tf.map_fn,
tf.scan, tf.foldl, tf.foldr. Values against numpy and tf.compat.v1; errors as TF words them."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

X = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0], [2.0, 2.0, 2.0], [0.0, 1.0, -3.0]],
             np.float32)


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_write_read_stack_and_size():
    ta = tf.TensorArray(tf.float32, size=3)
    ta = ta.write(0, [1.0, 2.0]).write(2, [5.0, 6.0]).write(1, tf.constant([3.0, 4.0]))
    assert ta.element_shape.as_list() == [2]
    stacked, first, size = ta.stack(), ta.read(0), ta.size()
    assert stacked.shape.as_list() == [3, 2] and first.shape.as_list() == [2]
    np.testing.assert_array_equal(_run(stacked), [[1, 2], [3, 4], [5, 6]])
    assert _run(size) == 3
    np.testing.assert_array_equal(_run(first), [1.0, 2.0])


def test_unstack_gather_scatter_concat_split():
    x = tf.placeholder(tf.float32, [None, 3])
    ta = tf.TensorArray(tf.float32, size=tf.shape(x)[0]).unstack(x)
    gathered = ta.gather([3, 0])
    sc = tf.TensorArray(tf.int32, size=4).scatter([2, 0, 3, 1], tf.constant([[20], [0], [30],
                                                                             [10]]))
    parts = tf.TensorArray(tf.float32, size=3, infer_shape=False,
                           clear_after_read=False).split(tf.range(6.0), [1, 2, 3])
    got = _run([gathered, sc.stack(), parts.read(1), parts.concat()], {x: X})
    np.testing.assert_array_equal(got[0], X[[3, 0]])
    np.testing.assert_array_equal(got[1], [[0], [10], [20], [30]])
    np.testing.assert_array_equal(got[2], [1.0, 2.0])
    np.testing.assert_array_equal(got[3], np.arange(6.0))


def test_fixed_size_arrays_know_their_stack_and_concat_shapes():
    """As TF: a constant, fixed size gives stack() its first dimension and concat() its
    length, and split() with equal constant lengths fixes the elements' shape."""
    ta = tf.TensorArray(tf.float32, size=3)
    for i in range(3):
        ta = ta.write(i, tf.constant([float(i), 1.0]))
    stacked, joined = ta.stack(), ta.concat()
    assert stacked.shape.as_list() == [3, 2] and joined.shape.as_list() == [6]
    pieces = tf.unstack(stacked)  # needs the static count
    assert len(pieces) == 3
    np.testing.assert_allclose(_run(pieces[2]), [2.0, 1.0])
    split = tf.TensorArray(tf.float32, size=3).split(tf.range(6.0), [2, 2, 2])
    assert split.read(0).shape.as_list() == [2] and split.concat().shape.as_list() == [6]
    np.testing.assert_allclose(_run(split.read(1)), [2.0, 3.0])
    empty = tf.TensorArray(tf.float32, size=0, element_shape=[2, 3])
    assert empty.stack().shape.as_list() == [0, 2, 3]
    # Unknown at graph construction: a dynamic size, a fed size, unequal split lengths.
    grown = tf.TensorArray(tf.float32, size=1, dynamic_size=True).write(0, [1.0, 2.0])
    assert grown.stack().shape.as_list() == [None, 2]
    fed = tf.TensorArray(tf.float32, size=tf.placeholder(tf.int32, [])).write(0, [1.0])
    assert fed.stack().shape.as_list() == [None, 1]
    uneven = tf.TensorArray(tf.float32, size=2).split(tf.range(3.0), [1, 2])
    assert uneven.read(0).shape.rank is None and uneven.concat().shape.rank is None


def test_arrays_in_a_loop_grow_and_concat():
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, infer_shape=False)
    _, ta = tf.while_loop(lambda i, ta: i < 4,
                          lambda i, ta: (i + 1, ta.write(i, tf.fill([i + 1],
                                                                    tf.cast(i, tf.float32)))),
                          [0, ta])
    concat, size = ta.concat(), ta.size()
    assert isinstance(ta, tf.TensorArray)
    got = _run([concat, size])
    np.testing.assert_array_equal(got[0], [0, 1, 1, 2, 2, 2, 3, 3, 3, 3])
    assert got[1] == 4


def test_reads_of_unwritten_elements():
    """With a fully defined element shape, an unwritten element reads as zeros (TF1);
    otherwise the read fails naming the index."""
    shaped = tf.TensorArray(tf.float32, size=2, element_shape=[2]).write(1, [1.0, 1.0])
    np.testing.assert_array_equal(_run(shaped.stack()), [[0, 0], [1, 1]])
    loose = tf.TensorArray(tf.float32, size=2, infer_shape=False).write(1, [1.0])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="index 0 because it has not yet been written to"):
        _run(loose.read(0))


def test_runtime_errors_name_what_is_wrong():
    cases = [
        (lambda: tf.TensorArray(tf.float32, size=2).write(2, 1.0).flow,
         "Tried to write to index 2 but array is not resizeable and size is: 2"),
        (lambda: tf.TensorArray(tf.float32, size=2).write(0, 1.0).write(0, 2.0).flow,
         "index 0 because it has already been written to"),
        (lambda: tf.TensorArray(tf.float32, size=1).read(3),
         "Tried to read from index 3 but array size is: 1"),
        (lambda: tf.TensorArray(tf.float32, size=2, infer_shape=False).write(0, [1.0]).write(
            1, [1.0, 2.0]).stack(), "inconsistent shapes"),
        (lambda: tf.TensorArray(tf.float32, size=3).split(tf.range(4.0), [1, 2]).flow,
         "sum of lengths is 3"),
        (lambda: tf.TensorArray(tf.float32, size=-1).flow, "size must be >= 0"),
    ]
    for make, message in cases:
        tf.reset_default_graph()
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            _run(make())
    with pytest.raises(tf.errors.UnimplementedError,  # TF's class for it
                       match="size zero, but element shape <unknown> is not fully defined"):
        _run(tf.TensorArray(tf.float32, size=0).stack())
    ta = tf.TensorArray(tf.float32, size=2, element_shape=[2]).write(0, [1.0, 2.0])
    value = ta.read(0)
    with tf.control_dependencies([value]):
        again = ta.read(0)  # cleared after the first read (clear_after_read)
    with pytest.raises(tf.errors.InvalidArgumentError, match="cleared after a previous read"):
        _run(again)


def test_construction_errors():
    ta = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="TensorArray dtype is float32 but Op is trying to write dtype "
                             "int32"):
        ta.write(0, tf.constant(1))
    with pytest.raises(ValueError, match="Size must be provided"):
        tf.TensorArray(tf.float32)
    with pytest.raises(ValueError, match="both a handle and size"):
        tf.TensorArray(tf.float32, size=2, handle=ta.handle, flow=ta.flow)
    ta = ta.write(0, [1.0, 2.0])
    with pytest.raises(ValueError, match="Inconsistent shapes"):
        ta.write(1, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="enters the loop as a TensorArray, but the body returns"):
        tf.while_loop(lambda i, t: i < 2, lambda i, t: (i + 1, t.flow), [0, ta])


def test_map_fn_against_numpy():
    x = tf.placeholder(tf.float32, [None, 3])
    doubled = tf.map_fn(lambda r: r * 2.0 + tf.reduce_sum(r), x)
    pair = tf.map_fn(lambda p: (p[0] + p[1], tf.cast(p[0] > 0, tf.int32)), (x, x * 3.0),
                     dtype=(tf.float32, tf.int32))
    scalars = tf.map_fn(lambda r: tf.reduce_max(r), x)
    assert doubled.shape.as_list() == [None, 3] and scalars.shape.as_list() == [None]
    got = _run([doubled, pair, scalars], {x: X})
    np.testing.assert_allclose(got[0], X * 2 + X.sum(1, keepdims=True))
    np.testing.assert_allclose(got[1][0], X * 4)
    np.testing.assert_array_equal(got[1][1], (X > 0).astype(np.int32))
    np.testing.assert_array_equal(got[2], X.max(1))
    static = tf.map_fn(lambda r: r + 1.0, tf.constant(X))
    assert static.shape.as_list() == [4, 3]
    empty = _run(doubled, {x: np.zeros((0, 3), np.float32)})
    assert empty.shape == (0, 3)


def test_map_fn_output_signature():
    """compat.v1's newer fn_output_signature: dtypes or TensorSpecs, nested, in place of
    dtype (and taking precedence over it, as in TF)."""
    x = tf.constant([[1, 2], [3, 4]])
    total = tf.map_fn(lambda r: tf.cast(tf.reduce_sum(r), tf.float32), x,
                      fn_output_signature=tf.float32)
    pair = tf.map_fn(lambda r: (r[0], tf.cast(r[1], tf.float64)), x, dtype=tf.int64,
                     fn_output_signature=(tf.int32, tf.TensorSpec([], tf.float64)))
    assert total.dtype == tf.float32 and [p.dtype for p in pair] == [tf.int32, tf.float64]
    got = _run([total, pair])
    np.testing.assert_allclose(got[0], [3.0, 7.0])
    np.testing.assert_array_equal(got[1][0], [1, 3])
    np.testing.assert_allclose(got[1][1], [2.0, 4.0])


def test_scan_and_folds_against_numpy():
    x = tf.placeholder(tf.float32, [None, 3])
    running = tf.scan(lambda a, r: a + r, x)
    decayed = tf.scan(lambda a, r: a * 0.5 + r, x, initializer=tf.zeros([3]), reverse=True)
    two = tf.scan(lambda a, r: (a[0] + r, a[1] * r), x, initializer=(tf.zeros([3]),
                                                                      tf.ones([3])))
    left = tf.foldl(lambda a, r: a * 2.0 + r, x)
    right = tf.foldr(lambda a, r: a * 2.0 + r, x, initializer=tf.ones([3]))
    got = _run([running, decayed, two, left, right], {x: X})
    np.testing.assert_allclose(got[0], np.cumsum(X, 0))
    want, acc = [], np.zeros(3, np.float32)
    for row in X[::-1]:
        acc = acc * 0.5 + row
        want.append(acc)
    np.testing.assert_allclose(got[1], want[::-1])
    np.testing.assert_allclose(got[2][0], np.cumsum(X, 0))
    np.testing.assert_allclose(got[2][1], np.cumprod(X, 0))
    acc = X[0]
    for row in X[1:]:
        acc = acc * 2 + row
    np.testing.assert_allclose(got[3], acc)
    acc = np.ones(3, np.float32)
    for row in X[::-1]:
        acc = acc * 2 + row
    np.testing.assert_allclose(got[4], acc)


def test_functional_errors():
    x = tf.placeholder(tf.float32, [None, 3])
    with pytest.raises(TypeError, match="fn must be callable"):
        tf.map_fn(3, x)
    with pytest.raises(ValueError, match="does not match the expected structure"):
        tf.map_fn(lambda r: (r, r), x)
    with pytest.raises(ValueError, match="1\\+ dimensional"):
        tf.map_fn(lambda r: r, tf.constant(1.0))


def test_gradients_through_arrays_and_functionals():
    """TF1's TensorArray gradient rules (a gradient array per tf.gradients call; a read's
    gradient is a write to it, and so on), checked against central differences."""
    x = tf.placeholder(tf.float64, [None, 3])
    w = tf.constant(np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [0.0, 0.2, 0.7]]))
    losses = {
        "map_fn": tf.reduce_sum(tf.square(tf.map_fn(lambda r: tf.tanh(r * 2.0) * r, x))),
        "scan": tf.reduce_sum(tf.scan(lambda a, r: tf.sin(a) * r + a, x) ** 2),
        "foldr": tf.reduce_sum(tf.foldr(lambda a, r: tf.tanh(tf.matmul(a[None], w)[0] + r), x)),
        "concat_split": tf.reduce_sum(tf.TensorArray(tf.float64, size=2, infer_shape=False).split(
            tf.reshape(x, [-1]) ** 3, [4, tf.size(x) - 4]).concat() * tf.range(
                tf.cast(tf.size(x), tf.float64))),
        "gather": tf.reduce_sum(tf.TensorArray(tf.float64, size=3, clear_after_read=False).unstack(
            x * x).gather(
            [2, 0, 2]) * [[1.0], [2.0], [3.0]]),
    }
    grads = {k: tf.gradients(v, x)[0] for k, v in losses.items()}
    xv, eps = np.array([[0.1, -0.5, 0.7], [0.3, 0.2, -0.4], [1.0, 0.5, -1.5]]), 1e-6
    with tf.Session() as sess:
        got = sess.run(grads, {x: xv})
        for k, loss in losses.items():
            want = np.zeros_like(xv)
            for idx in np.ndindex(*xv.shape):
                d = np.zeros_like(xv)
                d[idx] = eps
                want[idx] = (sess.run(loss, {x: xv + d}) - sess.run(loss, {x: xv - d})) / (2 * eps)
            np.testing.assert_allclose(got[k], want, rtol=1e-6, atol=1e-8, err_msg=k)


def _programs(T):
    x = T.placeholder(T.float32, [None, 3], name="x")
    w = T.constant(np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [0.0, 0.2, 0.7]], np.float32))
    out = {
        "map_dx": T.gradients(T.reduce_sum(T.square(T.map_fn(
            lambda r: T.tanh(T.matmul(r[None], w))[0] * T.reduce_sum(r), x))), x)[0],
        "scan_dx": T.gradients(T.reduce_sum(T.square(T.scan(
            lambda a, r: T.tanh(T.matmul(a[None], w)[0] + r), x))), x)[0],
        "map": T.map_fn(lambda r: r * 2.0 + T.reduce_sum(r), x),
        "scan": T.scan(lambda a, r: a + r, x),
        "scan_rev": T.scan(lambda a, r: a * 0.5 + r, x, initializer=T.zeros([3]),
                           reverse=True),
        "foldl": T.foldl(lambda a, r: a * 2.0 + r, x),
        "foldr": T.foldr(lambda a, r: a * 2.0 + r, x, initializer=T.ones([3])),
    }
    ta = T.TensorArray(T.float32, size=0, dynamic_size=True, infer_shape=False)
    _, ta = T.while_loop(lambda i, ta: i < 4, lambda i, ta: (
        i + 1, ta.write(i, T.fill([i + 1], T.cast(i, T.float32)))), [0, ta])
    out["concat"] = ta.concat()
    out["size"] = ta.size()
    out["split"] = T.TensorArray(T.float32, size=3, infer_shape=False).split(
        T.range(6.0), [1, 2, 3]).read(2)
    return x, out


def test_matches_tensorflow_and_graphs_move_both_ways():
    """The same programs in tf.compat.v1 (v1 control flow): equal values and static shapes,
    and each side's GraphDef runs in the other."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.protos import graph_pb2

    def build(T):
        graph = T.Graph()
        with graph.as_default():
            x, out = _programs(T)
            shapes = {k: v.shape.as_list() if v.shape.rank is not None else None
                      for k, v in out.items()}
            names = {k: v.name for k, v in out.items()}
            with T.Session() as sess:
                values = sess.run(out, {x: X})
        gd = graph_pb2.GraphDef.FromString(graph.as_graph_def().SerializeToString())
        return values, shapes, names, gd

    tf1.disable_control_flow_v2()
    try:
        theirs, their_shapes, their_names, their_gd = build(tf1)
    finally:
        tf1.enable_control_flow_v2()
    ours, our_shapes, names, our_gd = build(tf)
    assert our_shapes == their_shapes
    for k in ours:  # (float32 gradients: TF sums in another order)
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-5, atol=1e-6, err_msg=k)
    with tf.Graph().as_default():
        tf.import_graph_def(their_gd, name="")
        with tf.Session() as sess:
            mine = sess.run(their_names, {"x:0": X})
    with tf1.Graph().as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(our_gd.SerializeToString()), name="")
        with tf1.Session() as sess:
            in_tf = sess.run(names, {"x:0": X})
    for k in ours:
        np.testing.assert_allclose(mine[k], theirs[k], rtol=1e-5, atol=1e-6, err_msg=k)
        np.testing.assert_allclose(in_tf[k], ours[k], rtol=1e-5, atol=1e-6, err_msg=k)


def test_close_is_accepted():
    """close() is an op TF1 code runs after the last read; it frees nothing here (the
    elements live for one run anyway) and later reads in the run still work."""
    ta = tf.TensorArray(tf.float32, size=1).write(0, 4.0)
    closed = ta.close()
    assert closed.type == "TensorArrayCloseV3" and not closed.outputs
    value = ta.read(0)
    with tf.control_dependencies([closed]):
        after = tf.identity(value)
    assert _run(after) == 4.0


def test_string_arrays_and_map_fn_over_strings():
    words = tf.constant(["ab", "cd"])
    exclaimed = tf.map_fn(lambda w: w + "!", words)
    ta = tf.TensorArray(tf.string, size=2).write(0, tf.constant("a") + "b").write(1, "c")
    with tf.Session() as sess:
        assert list(sess.run(exclaimed)) == [b"ab!", b"cd!"]
        assert list(sess.run(ta.stack())) == [b"ab", b"c"]
