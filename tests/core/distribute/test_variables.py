"""Variables made in a strategy's scope: placement, MirroredVariable / SyncOnReadVariable and
TF 1.15's rules for updating them in a replica or the cross-replica context."""

import numpy as np
import pytest

import minitf as tf

ds = tf.distribute
CPU0 = "/replica:0/task:0/device:CPU:0"



def _run(fetches, init=True, steps=1):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(steps - 1):
            sess.run(fetches)
        return sess.run(fetches)


def test_mirrored_variables_are_placed_and_owned():
    s = ds.MirroredStrategy()
    outside = tf.Variable(0.0, name="outside")
    with s.scope():
        v = tf.Variable(1.0, name="w")
        g = tf.get_variable("g", [2], initializer=tf.ones_initializer())
        gs = tf.train.get_or_create_global_step()
    for var in (v, g, gs):
        assert type(var).__name__ == "MirroredVariable" and isinstance(var, tf.Variable)
        assert var.device == CPU0 and s.extended.variable_created_in_scope(var)
    assert v.name == "w:0" and g.name == "g:0" and gs.name == "global_step:0"
    assert not s.extended.variable_created_in_scope(outside)
    assert tf.trainable_variables() == [outside, v, g]
    assert _run([v, g]) == [1.0, pytest.approx([1.0, 1.0])]


def test_one_device_and_central_storage_make_plain_variables():
    for s in (ds.OneDeviceStrategy("/cpu:0"), ds.experimental.CentralStorageStrategy()):
        with tf.Graph().as_default():
            with s.scope():
                v = tf.Variable(1.0)
            assert type(v) is tf.Variable and v.device == CPU0
            assert s.extended.variable_created_in_scope(v)


def test_assign_in_a_replica_context_needs_an_aggregation():
    s = ds.MirroredStrategy()
    with s.scope():
        v = tf.Variable(1.0)
        with pytest.raises(ValueError, match="You must specify an aggregation method to update a "
                           "MirroredVariable in Replica Context"):
            s.experimental_run_v2(lambda: v.assign_add(1.0))


def test_assign_with_aggregations_in_a_replica_context():
    s = ds.MirroredStrategy()
    agg = tf.VariableAggregation
    with s.scope():
        a = tf.Variable(1.0, aggregation=agg.SUM)
        b = tf.Variable(1.0, aggregation=agg.MEAN)
        c = tf.Variable(1.0, aggregation=agg.ONLY_FIRST_REPLICA)
        ops = s.experimental_run_v2(lambda: [a.assign_add(2.0), b.assign(5.0),
                                             c.assign_sub(0.5)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(ops)
        # One replica: each aggregation of one value is that value.
        assert sess.run([a, b, c]) == [3.0, 5.0, 0.5]


def test_assign_in_the_cross_replica_context_and_outside_the_scope():
    s = ds.MirroredStrategy()
    with s.scope():
        v = tf.Variable(1.0)
        inside = v.assign(4.0)
    outside = v.assign_add(2.0)  # enters the strategy's scope itself, as TF
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(inside)
        assert sess.run(outside) == 6.0
    other = ds.MirroredStrategy()
    with other.scope():
        with pytest.raises(RuntimeError, match="Mixing different tf.distribute.Strategy"):
            v.assign(1.0)


def test_sync_on_read_variables():
    s = ds.MirroredStrategy()
    with s.scope():
        v = tf.Variable(1.0, synchronization=tf.VariableSynchronization.ON_READ,
                        aggregation=tf.VariableAggregation.SUM)
        m = tf.Variable(2.0, synchronization=tf.VariableSynchronization.ON_READ,
                        aggregation=tf.VariableAggregation.MEAN)
        assert type(v).__name__ == "SyncOnReadVariable" and not v.trainable
        up = s.experimental_run_v2(lambda: v.assign_add(2.0))  # each replica its own copy
        with pytest.raises(ValueError, match="does not support `assign_add` in cross-replica"):
            v.assign_add(1.0)
        with pytest.raises(ValueError, match="does not support `assign_sub`"):
            v.assign_sub(1.0)
        set_v = v.assign(10.0)
        add_m = m.assign_add(1.0)  # MEAN: allowed across replicas
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(up)
        assert sess.run(v) == 3.0
        sess.run([set_v, add_m])
        assert sess.run([v, m]) == [10.0, 3.0]


def test_bad_synchronization_and_aggregation():
    s = ds.MirroredStrategy()
    with s.scope():
        with pytest.raises(ValueError, match="`NONE` variable synchronization mode is not "
                           "supported with `Mirrored` distribution strategy"):
            tf.Variable(1.0, synchronization=tf.VariableSynchronization.NONE, name="n")
        with pytest.raises(ValueError, match="Invalid variable aggregation mode"):
            tf.Variable(1.0, aggregation="sometimes")


def test_colocate_vars_with():
    s = ds.MirroredStrategy()
    outside = tf.Variable(0.0)
    with s.scope():
        v = tf.Variable(1.0)
        with s.colocate_vars_with(v):
            w = tf.Variable(2.0)
        assert w.device == v.device and s.extended.variable_created_in_scope(w)
        with pytest.raises(ValueError, match="must only be passed a variable created in"):
            s.extended.colocate_vars_with(outside)
    with pytest.raises(RuntimeError, match='Need to be inside "with strategy.scope\\(\\)"'):
        s.extended.colocate_vars_with(v)


def test_update_and_update_non_slot_and_read_var():
    s = ds.MirroredStrategy()
    outside = tf.Variable(0.0)
    with s.scope():
        v = tf.Variable(1.0)
        up = s.extended.update(v, lambda var, d: var.assign_add(d), args=(3.0,))
        ungrouped = s.extended.update(v, lambda var: var.assign_add(1.0), group=False)
        non_slot = s.extended.update_non_slot(s.extended.non_slot_devices([v]),
                                              lambda: tf.constant(1.0) * 2.0)
        read = s.extended.read_var(v)
        with pytest.raises(AssertionError, match="needs a variable created in the scope"):
            s.extended.update(outside, lambda var: var)
    assert isinstance(ungrouped, tuple) and len(ungrouped) == 1
    assert "update_0" in up.name and non_slot.device == CPU0
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(up) == 4.0
        assert sess.run([non_slot, read]) == [2.0, 4.0]


def test_partitioners_are_dropped_by_mirrored_and_kept_by_central_storage():
    part = tf.fixed_size_partitioner(2)
    s = ds.MirroredStrategy()
    with s.scope():
        v = tf.get_variable("v", [4, 2], partitioner=part)
    assert isinstance(v, tf.Variable) and v.shape.as_list() == [4, 2]
    with tf.Graph().as_default():
        with ds.experimental.CentralStorageStrategy().scope():
            p = tf.get_variable("p", [4, 2], partitioner=part)
        assert not isinstance(p, tf.Variable) and len(list(p)) == 2
    # The scope's getter is removed on exit: partitioning works again.
    q = tf.get_variable("q", [4, 2], partitioner=part)
    assert not isinstance(q, tf.Variable)


def test_saver_round_trip_of_mirrored_variables(tmp_path):
    s = ds.MirroredStrategy()
    with s.scope():
        v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(v.assign([5.0, 6.0]))
        path = saver.save(sess, str(tmp_path / "m"))
    with tf.Session() as sess:
        saver.restore(sess, path)
        np.testing.assert_allclose(sess.run(v), [5.0, 6.0])
