"""tf.distribute's contexts: default replica context, scope (cross-replica), replica functions,
merge_call, and the errors for calls in the wrong context (TF 1.15's rules, by hand)."""

import pytest

import minitf as tf

ds = tf.distribute



def test_default_context_outside_any_scope():
    ctx = ds.get_replica_context()
    assert ctx is not None and ctx.replica_id_in_sync_group == 0
    assert ctx.num_replicas_in_sync == 1
    assert not ds.in_cross_replica_context() and not ds.has_strategy()
    assert ds.get_cross_replica_context() is None
    strategy = ds.get_strategy()
    assert ctx.strategy is strategy and strategy.num_replicas_in_sync == 1
    with pytest.raises(RuntimeError, match="unsupported by default"):
        _ = strategy.extended.worker_devices


def test_scope_is_cross_replica_and_run_is_replica():
    s = ds.MirroredStrategy()
    seen = {}
    with s.scope() as entered:
        assert entered is s
        assert ds.get_replica_context() is None and ds.in_cross_replica_context()
        assert ds.has_strategy() and ds.get_strategy() is s
        assert ds.get_cross_replica_context() is s

        def fn():
            ctx = ds.get_replica_context()
            seen["ctx"] = ctx
            seen["cross"] = ds.in_cross_replica_context()
            seen["id"] = ctx.replica_id_in_sync_group
            seen["devices"] = ctx.devices

            def merge_fn(strategy, x):
                seen["merge"] = (strategy is s, ds.in_cross_replica_context(),
                                 ds.get_replica_context())
                return x + 1.0

            return ctx.merge_call(merge_fn, args=(tf.constant(1.0),))

        out = s.experimental_run_v2(fn)
        assert ds.in_cross_replica_context()  # back after the replica function
    assert not ds.has_strategy()
    assert seen["cross"] is False and seen["ctx"].num_replicas_in_sync == 1
    assert seen["ctx"].strategy is s
    assert seen["merge"] == (True, True, None)
    assert seen["devices"] == [("/replica:0/task:0/device:CPU:0",)]
    with tf.Session() as sess:
        assert sess.run(seen["id"]) == 0 and seen["id"].dtype == tf.int32
        assert sess.run(out) == 2.0


def test_replica_ops_get_the_replica_device_and_merge_fn_does_not():
    s = ds.MirroredStrategy()
    made = {}
    with s.scope():
        def fn():
            made["replica"] = tf.constant(1.0) * 2.0
            return ds.get_replica_context().merge_call(
                lambda _, x: made.setdefault("merge", x + 1.0), args=(made["replica"],))
        s.experimental_run_v2(fn)
    assert made["replica"].device == "/replica:0/task:0/device:CPU:0"
    assert made["merge"].device == ""


def test_run_and_experimental_run_v2_and_experimental_run():
    s = ds.OneDeviceStrategy("/cpu:0")
    with s.scope():
        a = s.run(lambda x: x * 3.0, args=(tf.constant(2.0),))
        b = s.experimental_run_v2(lambda x, y=1.0: x + y, args=(tf.constant(2.0),),
                                  kwargs={"y": 5.0})
        it = s.make_dataset_iterator(tf.data.Dataset.from_tensor_slices([4.0, 5.0]))
        c = s.experimental_run(lambda x: x * 10.0, it)
    with tf.Session() as sess:
        sess.run(it.initialize())
        assert sess.run([a, b, c]) == [6.0, 7.0, 40.0]


def test_reentering_the_same_scope_is_allowed():
    s = ds.MirroredStrategy()
    scope = s.scope()
    with scope, scope, s.scope():
        assert ds.get_strategy() is s
    assert not ds.has_strategy()


def test_mixing_strategies_is_an_error():
    s1, s2 = ds.MirroredStrategy(), ds.MirroredStrategy()
    with s1.scope():
        with pytest.raises(RuntimeError, match="Mixing different tf.distribute.Strategy"):
            s2.scope().__enter__()
        with pytest.raises(RuntimeError, match="Mixing different"):
            s2.reduce("SUM", tf.constant(1.0))
    assert not ds.has_strategy()


def test_cross_replica_methods_refused_in_a_replica_context():
    s = ds.MirroredStrategy()
    msg = "Method requires being in cross-replica context"
    with s.scope():
        for call in (lambda: s.reduce("SUM", tf.constant(1.0)),
                     lambda: s.scope().__enter__(),
                     lambda: s.experimental_run_v2(lambda: None)):
            with pytest.raises(RuntimeError, match=msg):
                s.experimental_run_v2(call)


def test_replica_context_used_outside_its_function():
    s = ds.MirroredStrategy()
    kept = []
    with s.scope():
        s.experimental_run_v2(lambda: kept.append(ds.get_replica_context()))
        with pytest.raises(RuntimeError, match="Need to be inside `call_for_each_replica"):
            kept[0].merge_call(lambda strategy: None)
    with pytest.raises(RuntimeError, match="Mismatching tf.distribute.Strategy objects"):
        _ = kept[0].replica_id_in_sync_group


def test_default_strategy_scope_and_run():
    d = ds.get_strategy()
    with d.scope() as entered:
        assert entered is d and not ds.has_strategy()
        v = tf.Variable(1.0)
    assert d.extended.variable_created_in_scope(v)
    rid = d.experimental_run_v2(lambda: ds.get_replica_context().replica_id_in_sync_group)
    assert rid.dtype == tf.int32
    s = ds.MirroredStrategy()
    with s.scope():
        with pytest.raises(RuntimeError, match="Must not nest tf.distribute.Strategy scopes"):
            d.scope().__enter__()
    with pytest.raises(RuntimeError, match="Should only create a single instance"):
        type(d)()


def test_experimental_set_strategy():
    s = ds.MirroredStrategy()
    ds.experimental_set_strategy(s)
    try:
        assert ds.get_strategy() is s and ds.in_cross_replica_context()
        ds.experimental_set_strategy(None)
        assert not ds.has_strategy()
        with s.scope():
            with pytest.raises(RuntimeError, match="Must not be called inside"):
                ds.experimental_set_strategy(ds.MirroredStrategy())
    finally:
        ds.experimental_set_strategy(None)


def test_contexts_are_per_graph():
    s = ds.MirroredStrategy()
    with s.scope():
        with tf.Graph().as_default():
            assert not ds.has_strategy()
        assert ds.has_strategy()
