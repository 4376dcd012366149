"""tf.py_func / tf.numpy_function: a Python function as an op, with TF's output checks and
error codes."""

import gc

import numpy as np
import pytest

import minitf as tf
from minitf.errors import (InvalidArgumentError, NotFoundError, OutOfRangeError,
                           UnimplementedError, UnknownError)


def test_py_func_without_outputs_is_an_operation_for_its_side_effect():
    calls = []
    x = tf.placeholder(tf.float32, [])
    log = tf.py_func(lambda v: calls.append(float(v)), [x], [])
    log_np = tf.numpy_function(lambda v: calls.append(-float(v)), [x], [])
    assert isinstance(log, tf.Operation) and isinstance(log_np, tf.Operation)
    with tf.control_dependencies([log]):
        y = tf.identity(x)
    with tf.Session() as sess:
        sess.run(log, {x: 1.0})
        sess.run(log_np, {x: 3.0})
        assert sess.run(y, {x: 2.0}) == 2.0
    assert calls == [1.0, -3.0, 2.0]


def test_py_func_outputs_and_dtypes():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        calls = []

        def stats(v, k):
            calls.append((v.copy(), k))
            return np.float32(v.sum()), (v * k).astype(np.float32), np.int64(v.size)

        total, scaled, size = tf.py_func(stats, [x, tf.constant(3.0, tf.float32)],
                                         [tf.float32, tf.float32, tf.int64])
        one = tf.py_func(lambda v: v[::-1].copy(), [x], tf.float32)  # a dtype: one tensor
        words = tf.numpy_function(lambda n: np.array([b"a" * int(n), "b"], object),
                                  [tf.constant(2)], tf.string)
        nothing = tf.py_func(lambda: None, [], [])
        assert isinstance(nothing, tf.Operation) and isinstance(one, tf.Tensor)
        assert total.op.type == "PyFunc" and total.shape.rank is None
        assert total.op.get_attr("Tout") == [tf.float32, tf.float32, tf.int64]
        with tf.Session() as sess:
            got = sess.run([total, scaled, size, one, words],
                           {x: np.array([1.0, 2.0, 4.0], np.float32)})
        assert got[0] == 7.0 and got[2] == 3
        np.testing.assert_array_equal(got[1], [3.0, 6.0, 12.0])
        np.testing.assert_array_equal(got[3], [4.0, 2.0, 1.0])
        assert list(got[4]) == [b"aa", b"b"]
        assert len(calls) == 1 and calls[0][1] == 3.0  # fetched three times, run once


def test_scalars_arrive_as_numpy_scalars_and_bytes():
    seen = []

    def load(name, index, scale):
        seen.append((type(name), type(index), type(scale)))
        return np.float32(len(name.decode()) * scale + {3: 100}[int(index)])

    with tf.Graph().as_default():
        t = tf.py_func(load, [tf.constant("three"), tf.constant(3), tf.constant(2.0)],
                       tf.float32)
        with tf.Session() as sess:
            assert sess.run(t) == 110.0
    assert seen == [(bytes, np.int32, np.float32)]


def test_stateless_py_func_still_runs_every_time():
    with tf.Graph().as_default():
        count = []
        t = tf.py_func(lambda: np.int32(len(count.append(1) or count)), [], tf.int32,
                       stateful=False)
        assert t.op.type == "PyFuncStateless"
        with tf.Session() as sess:
            assert [sess.run(t) for _ in range(3)] == [1, 2, 3]


@pytest.mark.parametrize("func, tout, error, message", [
    (lambda: 1.5, tf.float32, InvalidArgumentError,  # TF does not convert a Python float
     "0-th value returned by pyfunc_[0-9]+ is float64, but expects float32"),
    (lambda: (np.float32(1), np.float32(2)), [tf.float32], InvalidArgumentError,
     "returns 2 values, but expects to see 1 values"),
    (lambda: 3, tf.string, InvalidArgumentError, "is int, but expects string"),
    (lambda: int("x"), tf.int32, InvalidArgumentError, "ValueError: invalid literal"),
    (lambda: next(iter([])), tf.int32, OutOfRangeError, "StopIteration"),
    (lambda: {}["k"], tf.int32, UnknownError, "KeyError: 'k'"),
    (lambda: (_ for _ in ()).throw(NotImplementedError("later")), tf.int32,
     UnimplementedError, "NotImplementedError: later"),
])
def test_errors_carry_tf_codes(func, tout, error, message):
    with tf.Graph().as_default():
        t = tf.py_func(func, [], tout)
        with tf.Session() as sess, pytest.raises(error, match=message):
            sess.run(t)


def _graph_def_of_a_py_func():
    graph = tf.Graph()
    with graph.as_default():
        t = tf.py_func(lambda: np.int32(5), [], tf.int32)
        with tf.Session() as sess:
            assert sess.run(t) == 5
    return graph.as_graph_def(), t.op.get_attr("token").decode()  # bytes, as TF's


def test_function_lives_with_its_graph():
    gd, token = _graph_def_of_a_py_func()
    assert [n.op for n in gd.node] == ["PyFunc"]
    gc.collect()  # the graph is gone, and with it the only reference to the function
    with tf.Graph().as_default():  # the GraphDef in another graph: its function is gone
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess, pytest.raises(NotFoundError,
                                                 match=f"callback {token} is not found"):
            sess.run("PyFunc:0")
    with pytest.raises(TypeError, match="func must be callable"):
        tf.py_func(3, [], tf.int32)


def test_functions_without_weak_references_go_with_their_graph():
    """A ufunc takes no weak reference; it is still held only by its graph."""
    import weakref

    from minitf.ops import script_ops

    before = len(script_ops._FUNCS)
    refs = []
    for _ in range(5):
        g = tf.Graph()
        with g.as_default():
            t = tf.py_func(np.negative, [tf.constant([1.0, -2.0])], tf.float32)
            with tf.Session() as sess:
                assert sess.run(t).tolist() == [-1.0, 2.0]
        refs.append(weakref.ref(g))
        del g, t, sess
    gc.collect()
    assert [r() for r in refs] == [None] * 5
    assert len(script_ops._FUNCS) <= before

