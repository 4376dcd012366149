"""Session feeds of composite tensors (core/session_feeds.py's register_feed_composite): a
SparseTensor's or RaggedTensor's value feeds its component tensors, through feed_dict (tuple keys
too), make_callable and partial_run; ``tf.ragged.placeholder``. TF-free checks first, then the
same feeds side by side with TensorFlow 2.21 (skipped where it is not installed)."""

import numpy as np
import pytest

import minitf as tf
from minitf import session_feeds as feeds_module

from .side_by_side import run


def test_a_registered_composite_feeds_its_components(monkeypatch):
    monkeypatch.setattr(feeds_module, "_COMPOSITE_FEEDS", dict(feeds_module._COMPOSITE_FEEDS))
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

    class Scaled:
        def __init__(self, x):
            self.x = x

    def split_scaled(key, value):
        if not isinstance(value, (int, float)):
            raise TypeError(f"a Scaled feed takes a number, got {value!r}")
        return (np.full([2], value, np.float32),)

    feeds_module.register_feed_composite(Pair, lambda p: (p.a, p.b), lambda k, v: v[::-1])
    feeds_module.register_feed_composite(Scaled, lambda s: (s.x,), split_scaled)
    x, y = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [2])
    total = x * 10.0 + y
    with tf.Session() as sess:
        assert sess.run(total, {Pair(x, y): ([1.0, 2.0], [3.0, 4.0])}).tolist() == [31.0, 42.0]
        assert sess.run(total, {Scaled(x): 2, y: [0.5, 0.5]}).tolist() == [20.5, 20.5]
        # A nested key's value is flattened as TF's nest does: a list is two leaves there.
        assert sess.run(total, {(Scaled(x), y): (1, np.array([0.0, 1.0]))}).tolist() == \
            [10.0, 11.0]
        with pytest.raises(ValueError, match="Key had 2 elements, but value had 3 elements"):
            sess.run(total, {(Scaled(x), y): (1, [0.0, 1.0])})
        fn = sess.make_callable(total, [Pair(x, y)])
        assert fn(([1.0, 1.0], [2.0, 2.0])).tolist() == [21.0, 21.0]
        handle = sess.partial_run_setup([total], [Scaled(x), y])
        assert sess.partial_run(handle, total, {Scaled(x): 1, y: [1.0, 2.0]}).tolist() == \
            [11.0, 12.0]
        with pytest.raises(TypeError, match="a Scaled feed takes a number"):
            sess.run(total, {Scaled(x): "two", y: [0.0, 0.0]})


def test_sparse_tensor_feeds_and_partial_runs():
    sp = tf.sparse_placeholder(tf.float32, [2, 3])
    dense = tf.sparse.to_dense(sp)
    value = tf.SparseTensorValue([[0, 1], [1, 2]], [5.0, 6.0], [2, 3])
    want = [[0.0, 5.0, 0.0], [0.0, 0.0, 6.0]]
    scale = tf.placeholder(tf.float32, [])
    with tf.Session() as sess:
        assert sess.run(dense * scale, {sp: value, scale: 2.0}).tolist() == \
            [[0.0, 10.0, 0.0], [0.0, 0.0, 12.0]]
        # In a tuple key, TF's nest flattens the SparseTensorValue (a namedtuple) too.
        with pytest.raises(ValueError, match="Key had 2 elements, but value had 9 elements"):
            sess.run(dense * scale, {(sp, scale): (value, 2.0)})
        handle = sess.partial_run_setup([dense], [sp])
        assert sess.partial_run(handle, dense, {sp: value}).tolist() == want
        with pytest.raises(TypeError, match="SparseTensorValue or a"):
            sess.make_callable(dense, [sp])(np.zeros([2, 3]))


def test_feeding_a_ragged_tensor_and_ragged_placeholder():
    rt = tf.ragged.constant([[1, 2], [3]])
    value = tf.ragged.constant_value([[5], [6, 7]], dtype=np.int32)
    assert run(rt.to_tensor(), {rt: value}).tolist() == [[5, 0], [6, 7]]
    p = tf.ragged.placeholder(tf.int32, 1)
    assert (p.flat_values.name, p.row_splits.name) == \
        ("RaggedPlaceholder/flat_values:0", "RaggedPlaceholder/row_splits_0:0")
    assert p.shape.rank is None and p.row_splits.dtype == tf.int64
    p2 = tf.ragged.placeholder(tf.float32, 2, [2], name="pp")
    assert [s.name for s in p2.nested_row_splits] == ["pp/row_splits_0:0", "pp/row_splits_1:0"]
    assert p2.shape.as_list() == [None, None, None, 2] and p2.flat_values.name == \
        "pp/flat_values:0"
    dense_p = p.to_tensor()
    deep = tf.RaggedTensorValue(tf.RaggedTensorValue(np.float32([[1, 2], [3, 4], [5, 6]]),
                                                     np.array([0, 2, 3])), np.array([0, 1, 2]))
    with tf.Session() as sess:
        got = sess.run([dense_p, p, p.row_lengths()], {p: value})
        assert got[0].tolist() == [[5, 0], [6, 7]] and got[1].to_list() == [[5], [6, 7]]
        assert got[2].tolist() == [1, 2]
        i32 = tf.ragged.constant_value([[1, 2, 3], []], row_splits_dtype="int32")
        assert sess.run(dense_p, {p: i32}).tolist() == [[1, 2, 3], [0, 0, 0]]
        assert sess.run(p2, {p2: deep}).to_list() == [[[[1, 2], [3, 4]]], [[[5, 6]]]]
        assert sess.run(dense_p, {(p, rt): (value, value)}).tolist() == [[5, 0], [6, 7]]
        assert sess.make_callable(dense_p, [p])(value).tolist() == [[5, 0], [6, 7]]
        handle = sess.partial_run_setup([dense_p], [p])
        assert sess.partial_run(handle, dense_p, {p: value}).tolist() == [[5, 0], [6, 7]]
        with pytest.raises(TypeError, match="must be a RaggedTensorValue"):
            sess.run(dense_p, {p: [[5], [6, 7]]})
        with pytest.raises(ValueError, match="RaggedTensorValue of ragged_rank 2 for a "
                                             "RaggedTensor of ragged_rank 1"):
            sess.run(dense_p, {p: deep})
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(dense_p, {p: rt})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must feed a value"):
            sess.run(dense_p)
    plain = tf.ragged.placeholder(tf.float32, 0, [3], name="plain")
    assert isinstance(plain, tf.Tensor) and plain.name == "plain:0" and plain.shape == [3]
    with pytest.raises(TypeError, match="`ragged_rank` must be an int"):
        tf.ragged.placeholder(tf.int32, 1.0)
    with pytest.raises(ValueError, match="`ragged_rank` must be >= 0"):
        tf.ragged.placeholder(tf.int32, -1)



# -- side by side with TensorFlow -----------------------------------------------------------------
def test_vs_tf_feeding_ragged_tensors():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    values = [([[5], [6, 7]], None), ([[1, 2, 3], []], None), ([[[1.5, 2.0]], [[3.0, 4.0]]], 1)]

    def results(m, g):
        with g.as_default():
            rt = m.ragged.constant([[1, 2], [3]])
            p = m.ragged.placeholder(m.int32, 1)
            p2 = m.ragged.placeholder(m.float32, 2, [2], name="pp")
            pv = m.ragged.placeholder(m.float32, 1, [2])
            names = [t.name for t in (p.flat_values, p.row_splits, *p2.nested_row_splits,
                                      p2.flat_values)]
            shapes = [x.shape.as_list() if x.shape.rank is not None else None
                      for x in (p, p2, pv)]
            with m.Session(graph=g) as sess:
                v0, v1 = (m.ragged.constant_value(v, dtype=np.int32) for v, _ in values[:2])
                v2 = m.ragged.constant_value(values[2][0], ragged_rank=1, dtype=np.float32)
                deep = m.ragged.constant_value([[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 6.0]]]],
                                               ragged_rank=2, dtype=np.float32)
                got = sess.run([rt.to_tensor(), p.to_tensor(), p, pv.to_tensor(), p2.to_tensor(),
                                p2.row_lengths()], {rt: v0, p: v1, pv: v2, p2: deep})
                call = sess.make_callable(p.to_tensor(), [p])(v0)
        out = [x.to_list() if hasattr(x, "to_list") else x.tolist() for x in got]
        return names, shapes, out, call.tolist()

    assert results(tf, tf.Graph()) == results(tf1, tf1.Graph())
