"""Strategy.reduce, ReplicaContext.all_reduce and the extended reduce/broadcast methods, with
values worked out by hand (one replica: a SUM or MEAN across replicas is the value itself;
with ``axis`` it also reduces along that dimension)."""

import numpy as np
import pytest

import minitf as tf

ds = tf.distribute
X = np.array([[1., 2., 3.], [4., 5., 6.]], np.float32)



@pytest.mark.parametrize("make", [ds.MirroredStrategy, lambda: ds.OneDeviceStrategy("/cpu:0"),
                                  ds.experimental.CentralStorageStrategy])
def test_reduce_values_by_hand(make):
    s = make()
    with s.scope():
        x = s.experimental_run_v2(lambda: tf.constant(X))
        out = [s.reduce(ds.ReduceOp.SUM, x, axis=None), s.reduce("mean", x),
               s.reduce("SUM", x, axis=0), s.reduce(ds.ReduceOp.MEAN, x, axis=0),
               s.reduce("MEAN", x, axis=1), s.reduce("MEAN", x, axis=-1),
               s.reduce("sum", x, axis=1)]
    with tf.Session() as sess:
        got = sess.run(out)
    want = [X, X, [5., 7., 9.], [2.5, 3.5, 4.5], [2., 5.], [2., 5.], [6., 15.]]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)


def test_mean_over_an_unknown_length_divides_by_the_runtime_length():
    s = ds.MirroredStrategy()
    x = tf.placeholder(tf.float32, [None])
    with s.scope():
        m = s.reduce("MEAN", x, axis=0)
    with tf.Session() as sess:
        assert sess.run(m, {x: [1., 2., 6.]}) == pytest.approx(3.0)


def test_reduce_outside_the_scope_and_of_python_numbers():
    s = ds.MirroredStrategy()
    t = s.reduce("SUM", tf.constant(2.0))  # default replica context: allowed
    assert t.device == "/replica:0/task:0/device:CPU:0"
    assert s.reduce("SUM", 0) == 0  # TF: a zero stays a Python zero
    assert s.reduce("MEAN", 3.0) == 3.0
    with tf.Session() as sess:
        assert sess.run(t) == 2.0


def test_reduce_bad_arguments():
    s = ds.MirroredStrategy()
    x = tf.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="'MAX' is not a valid ReduceOp"):
        s.reduce("max", x)
    with pytest.raises(TypeError, match="Expected `reduce_op` to be a `tf.distribute.ReduceOp`"):
        s.reduce(tf.VariableAggregation.SUM, x)
    with pytest.raises(TypeError, match="Expected `axis` to be an integer"):
        s.reduce("MEAN", x, axis=[0])
    with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match="dimension"):
        s.reduce("MEAN", x, axis=3)


def test_all_reduce_value_and_gradient():
    s = ds.MirroredStrategy()
    x = tf.constant(3.0)
    with s.scope():
        def fn():
            ctx = ds.get_replica_context()
            y = ctx.all_reduce(ds.ReduceOp.SUM, {"a": x * x, "b": [x + 1.0]})
            m = ctx.all_reduce(ds.ReduceOp.MEAN, x * x)
            return y, m, tf.gradients(m, x)[0]
        y, m, g = s.experimental_run_v2(fn)
    with tf.Session() as sess:
        yv, mv, gv = sess.run([y, m, g])
    assert yv == {"a": 9.0, "b": [4.0]} and mv == 9.0 and gv == 6.0  # d(x^2)/dx at 3


def test_all_reduce_by_name_blocks_gradients():
    s = ds.MirroredStrategy()
    x = tf.constant(2.0)
    with s.scope():
        def fn():
            y = ds.get_replica_context().all_reduce("sum", x * x)
            with pytest.raises(LookupError, match="Gradient explicitly disabled"):
                tf.gradients(y, x)
            return y
        y = s.experimental_run_v2(fn)
    with tf.Session() as sess:
        assert sess.run(y) == 4.0


def test_extended_reduce_to_batch_reduce_to_and_broadcast():
    s = ds.MirroredStrategy()
    with s.scope():
        v = tf.Variable(0.0)
        t = s.experimental_run_v2(lambda: tf.constant(5.0))
        r = s.extended.reduce_to("SUM", t, v)
        batch = s.extended.batch_reduce_to(ds.ReduceOp.MEAN, [(t, v), (t, v)])
        b = s.extended.broadcast_to(tf.constant(7.0), v)
        assert s.extended.broadcast_to(3, v) == 3  # a Python number stays one
        with pytest.raises(ValueError, match="destinations can not be empty"):
            s.extended.reduce_to("SUM", t, "")
        with pytest.raises(AssertionError):
            s.extended.reduce_to(tf.VariableAggregation.SUM, t, v)
        with pytest.raises(ValueError, match="doesn't have device set"):
            s.extended.batch_reduce_to("SUM", [(2.0, v)])
    assert batch[0] is t and batch[1] is t  # one replica already on the device: unchanged
    with tf.Session() as sess:
        assert sess.run([r, b]) == [5.0, 7.0]


def test_local_results_unwrap_group_and_value_container():
    s = ds.MirroredStrategy()
    with s.scope():
        v = tf.Variable(1.0)
        out = s.experimental_run_v2(lambda: (v.read_value() + 1.0, tf.no_op()))
    assert s.experimental_local_results(out[0]) == (out[0],)
    assert s.unwrap(v) == (v,) and s.extended.value_container(v) is v
    assert s.group(out[1]) is out[1]
    grouped = s.group([out[1]], name="together")
    assert grouped.name == "together" and grouped.type == "NoOp"
