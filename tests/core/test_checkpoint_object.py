"""Object-based checkpoints: tf.train.Checkpoint, CheckpointManager, CheckpointOptions.

The TF-free tests check against hand-written expectations: the keys TF names objects by,
object graphs and their bytes built by hand from trackable_object_graph.proto, values by
numpy. The side-by-side tests (skipped without TensorFlow / tf_keras) build the same model in
tf.compat.v1 graph mode and compare files, object graphs, values and messages both ways.
"""

import os
import time

import numpy as np
import pytest

import minitf as tf
from minitf.train import checkpoint_graph as cg
from minitf.train import checkpoint_manager as cm

X = (np.arange(6, dtype=np.float32).reshape(2, 3) / 5)
K1 = np.linspace(-1, 1, 12).reshape(3, 4)
K2 = np.linspace(1, -1, 8).reshape(4, 2)


def _model(lib, dense_cls, units=4):
    """Two dense layers trained by Adam, with fixed initial kernels (same in both libraries)."""
    x = lib.placeholder(lib.float32, [None, 3])
    d1 = dense_cls(units, name="d1", kernel_initializer=lib.constant_initializer(
        np.linspace(-1, 1, 3 * units).reshape(3, units)))
    d2 = dense_cls(2, name="d2", kernel_initializer=lib.constant_initializer(
        np.linspace(1, -1, 2 * units).reshape(units, 2)))
    y = d2(d1(x))
    opt = lib.train.AdamOptimizer(0.1)
    train = opt.minimize(lib.reduce_sum(y * y))
    return x, train, lib.train.Checkpoint(model=d1, head=d2, optimizer=opt)


def _trained(path, steps=2, save=True):
    """A minitf model trained ``steps`` steps and saved (or written) at ``path``; returns
    (checkpoint path, {variable name: value})."""
    g = tf.Graph()
    with g.as_default():
        x, train, ck = _model(tf, tf.layers.Dense)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(steps):
                s.run(train, {x: X})
            p = ck.save(path, session=s) if save else ck.write(path, session=s)
            return p, {v.op.name: s.run(v) for v in tf.global_variables()}


KEYS = {f"{layer}/{w}/.ATTRIBUTES/VARIABLE_VALUE" for layer in ("model", "head")
        for w in ("kernel", "bias")} | {
    f"{layer}/{w}/.OPTIMIZER_SLOT/optimizer/{m}/.ATTRIBUTES/VARIABLE_VALUE"
    for layer in ("model", "head") for w in ("kernel", "bias") for m in ("m", "v")} | {
    "optimizer/beta1_power/.ATTRIBUTES/VARIABLE_VALUE",
    "optimizer/beta2_power/.ATTRIBUTES/VARIABLE_VALUE",
    "save_counter/.ATTRIBUTES/VARIABLE_VALUE", "_CHECKPOINTABLE_OBJECT_GRAPH"}


# -- file contents -------------------------------------------------------------------------------
def test_keys_values_and_state_file(tmp_path):
    p, vals = _trained(str(tmp_path / "ckpt"))
    assert p == str(tmp_path / "ckpt-1")
    r = tf.train.load_checkpoint(p)
    assert set(r.get_variable_to_shape_map()) == KEYS
    assert np.array_equal(r.get_tensor("model/kernel/.ATTRIBUTES/VARIABLE_VALUE"),
                          vals["d1/kernel"])
    assert np.array_equal(r.get_tensor(
        "head/bias/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE"), vals["d2/bias/Adam_1"])
    # Two Adam steps from beta1 = 0.9: beta1_power = 0.9 ** 3.
    assert r.get_tensor("optimizer/beta1_power/.ATTRIBUTES/VARIABLE_VALUE") == \
        pytest.approx(0.9 ** 3)
    assert r.get_tensor("save_counter/.ATTRIBUTES/VARIABLE_VALUE") == 1
    assert r.get_variable_to_dtype_map()["save_counter/.ATTRIBUTES/VARIABLE_VALUE"] == tf.int64
    assert (tmp_path / "checkpoint").read_text() == \
        'model_checkpoint_path: "ckpt-1"\nall_model_checkpoint_paths: "ckpt-1"\n'
    assert tf.train.latest_checkpoint(str(tmp_path)) == p


def test_object_graph_structure():
    """Nodes in breadth-first order, slots appended per slot name then per variable node."""
    with tf.Graph().as_default():
        x, train, ck = _model(tf, tf.layers.Dense)
        ck.save_counter  # noqa: B018 - made as save() makes it
        nodes = cg.serialize(ck).nodes
    assert [n.children for n in nodes[:4]] == [
        [(1, "head"), (2, "model"), (3, "optimizer"), (4, "save_counter")],
        [(5, "kernel"), (6, "bias")], [(7, "kernel"), (8, "bias")],
        [(9, "beta1_power"), (10, "beta2_power")]]
    assert nodes[3].slot_variables == [(5, "m", 11), (6, "m", 12), (7, "m", 13), (8, "m", 14),
                                       (5, "v", 15), (6, "v", 16), (7, "v", 17), (8, "v", 18)]
    assert len(nodes) == 19
    assert nodes[5].attributes == [("VARIABLE_VALUE", "d2/kernel",
                                    "head/kernel/.ATTRIBUTES/VARIABLE_VALUE")]
    assert nodes[15].attributes == [("VARIABLE_VALUE", "d2/kernel/Adam_1",
                                     "head/kernel/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/"
                                     "VARIABLE_VALUE")]
    assert all(n.has_checkpoint_values for n in nodes)
    assert cg.decode_object_graph(cg.encode_object_graph(nodes)) == nodes


def test_object_graph_bytes_by_hand():
    with tf.Graph().as_default():
        ck = tf.train.Checkpoint(v=tf.Variable(1.0, name="v"), e=[])
        nodes = cg.serialize(ck).nodes
    key = b"v/.ATTRIBUTES/VARIABLE_VALUE"
    attr = b"\n\x0eVARIABLE_VALUE\x12\x01v\x1a" + bytes([len(key)]) + key
    node0 = b"\n\x05\x08\x01\x12\x01e" + b"\n\x05\x08\x02\x12\x01v" + b"*\x02\x08\x01"
    node1 = b"*\x00"  # an empty list: has_checkpoint_values present and false
    node2 = b"\x12" + bytes([len(attr)]) + attr + b"*\x02\x08\x01"
    want = b"".join(b"\n" + bytes([len(n)]) + n for n in (node0, node1, node2))
    assert cg.encode_object_graph(nodes) == want
    assert cg.decode_object_graph(want)[2].attributes == [("VARIABLE_VALUE", "v", key.decode())]
    assert cg.format_node(nodes[0]) == ('children {\n  node_id: 1\n  local_name: "e"\n}\n'
                                        'children {\n  node_id: 2\n  local_name: "v"\n}\n'
                                        'has_checkpoint_values {\n  value: true\n}\n')


def test_corrupt_object_graph_is_data_loss():
    with pytest.raises(tf.errors.DataLossError, match="_CHECKPOINTABLE_OBJECT_GRAPH"):
        cg.decode_object_graph(b"\n\x05\x08", "p")
    with pytest.raises(tf.errors.DataLossError, match="out of range"):
        cg.decode_object_graph(b"\n\x04\n\x02\x08\x07", "p")


def test_containers_escaping_and_shared_objects(tmp_path):
    with tf.Graph().as_default():
        a, b = tf.Variable(1.0, name="a"), tf.Variable([2.0, 3.0], name="b")
        c = tf.Variable(4, name="c")
        ck = tf.train.Checkpoint(d={"y": a, "x.1/z": b, "n": 5}, l=[b, 7, a],
                                 inner=tf.train.Checkpoint(z=c))
        ck.later = a  # assigned after construction: tracked, after the kwargs
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            p = ck.write(str(tmp_path / "w"), session=s)
        nodes = cg.serialize(ck).nodes
    assert not (tmp_path / "checkpoint").exists()  # write() keeps no state file
    # ``a`` is first reached as the root's ``later`` (breadth first): saved under that path.
    assert sorted(tf.train.list_variables(p)) == [
        ("_CHECKPOINTABLE_OBJECT_GRAPH", []), ("d/x..1.Sz/.ATTRIBUTES/VARIABLE_VALUE", [2]),
        ("inner/z/.ATTRIBUTES/VARIABLE_VALUE", []), ("later/.ATTRIBUTES/VARIABLE_VALUE", [])]
    assert nodes[0].children == [(1, "d"), (2, "inner"), (3, "l"), (4, "later")]
    assert nodes[1].children == [(4, "y"), (5, "x.1/z")]  # the int value is skipped
    assert nodes[3].children == [(5, "0"), (4, "2")]  # list positions; the int is skipped


def test_attribute_tracking():
    with tf.Graph().as_default():
        v, w = tf.Variable(1.0, name="v"), tf.Variable(2.0, name="w")
        ck = tf.train.Checkpoint(v=v)
        ck.w = w
        ck.note = "not trackable"
        assert [n for n, _ in cg.children(ck)] == ["v", "w"]
        ck.w = 3  # TF keeps the dependency when a non-trackable value replaces it
        assert [n for n, _ in cg.children(ck)] == ["v", "w"]
        del ck.v, ck.w
        assert cg.children(ck) == []
        ck.t, ck.l = (1, 2), []  # a tuple of plain values is no dependency; a list is
        assert [n for n, _ in cg.children(ck)] == ["l"]
        with pytest.raises(ValueError, match="was expecting a trackable object"):
            tf.train.Checkpoint(v=3)
        with pytest.raises(AttributeError, match="save_counter"):
            tf.train.Checkpoint(save_counter=v)
        with pytest.raises(ValueError, match="PartitionedVariable"):
            tf.train.Checkpoint(p=tf.get_variable(
                "p", [4, 2], partitioner=tf.fixed_size_partitioner(2)))


# -- restoring -----------------------------------------------------------------------------------
def test_restore_round_trip_and_save_counter(tmp_path):
    p, vals = _trained(str(tmp_path / "ckpt"))
    with tf.Graph().as_default():
        x, train, ck = _model(tf, tf.layers.Dense)
        with tf.Session() as s:
            st = ck.restore(p)
            assert st.assert_consumed() is st
            assert st.assert_existing_objects_matched() is st
            assert st.assert_nontrivial_match() is st and st.expect_partial() is st
            st.run_restore_ops()
            got = {v.op.name: s.run(v) for v in tf.global_variables()}
            assert set(got) == set(vals) | {"save_counter"}
            for k in vals:
                np.testing.assert_array_equal(got[k], vals[k])
            assert got["save_counter"] == 1
            assert ck.save(str(tmp_path / "ckpt")).endswith("ckpt-2")  # default session


def test_restore_partial_and_assertions(tmp_path):
    p, vals = _trained(str(tmp_path / "ckpt"))
    with tf.Graph().as_default():  # the optimizer left out
        x, train, ck = _model(tf, tf.layers.Dense)
        part = tf.train.Checkpoint(model=ck.model, head=ck.head)
        with tf.Session() as s:
            st = part.restore(p)
            with pytest.raises(AssertionError, match=r"Unresolved object in checkpoint "
                               r"\(root\)\.optimizer\.beta1_power: attributes \{"):
                st.assert_consumed()
            st.assert_existing_objects_matched().expect_partial().initialize_or_restore()
            np.testing.assert_array_equal(s.run(part.model.kernel), vals["d1/kernel"])
    with tf.Graph().as_default():  # a variable the checkpoint lacks
        x, train, ck = _model(tf, tf.layers.Dense)
        ck.other = tf.Variable(5.0, name="o")
        with tf.Session() as s:
            st = ck.restore(p)
            for check in (st.assert_consumed, st.assert_existing_objects_matched):
                with pytest.raises(AssertionError, match=r"Found 1 Python objects that were not "
                                   r"bound to checkpointed values.*'o:0'"):
                    check()
            st.initialize_or_restore(s)  # restores the others, initializes o
            assert s.run(ck.other) == 5.0
            np.testing.assert_array_equal(s.run(ck.head.bias), vals["d2/bias"])
    with tf.Graph().as_default():  # nothing matches
        ck = tf.train.Checkpoint(elsewhere=tf.Variable(1.0))
        st = ck.read(p)  # (restore would match the save_counter it makes, as in TF)
        with pytest.raises(AssertionError, match="Nothing except the root object matched"):
            st.assert_nontrivial_match()
        with pytest.raises(AssertionError, match="Nothing to load"):
            tf.train.Checkpoint().read(p).assert_nontrivial_match()


def test_unused_attribute(tmp_path):
    with tf.Graph().as_default():
        ck = tf.train.Checkpoint(x=tf.Variable(1.0, name="x"))
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            p = ck.write(str(tmp_path / "w"), session=s)
    with tf.Graph().as_default():
        ck = tf.train.Checkpoint(x=tf.train.Checkpoint())  # no variable where one was
        with pytest.raises(AssertionError, match=r"(?s)Unused attributes in these objects.*"
                           r"\(root\)\.x .*\['VARIABLE_VALUE'\]"):
            ck.read(p).assert_consumed()


def test_deferred_restore_of_objects_built_later(tmp_path):
    p, vals = _trained(str(tmp_path / "ckpt"))
    with tf.Graph().as_default():
        d1, d2 = tf.layers.Dense(4, name="d1"), tf.layers.Dense(2, name="d2")
        opt = tf.train.AdamOptimizer(0.1)
        ck = tf.train.Checkpoint(model=d1, head=d2, optimizer=opt)
        st = ck.restore(p)  # nothing built yet
        with pytest.raises(AssertionError, match="Unresolved object"):
            st.assert_consumed()
        x = tf.placeholder(tf.float32, [None, 3])
        opt.minimize(tf.reduce_sum(d2(d1(x)) ** 2))  # weights, slots and beta powers now
        st.assert_consumed()
        with tf.Session() as s:
            st.run_restore_ops(s)
            for v in tf.global_variables():
                if v.op.name != "save_counter":
                    np.testing.assert_array_equal(s.run(v), vals[v.op.name])


def test_restore_errors(tmp_path):
    p, _ = _trained(str(tmp_path / "ckpt"))
    with tf.Graph().as_default():
        x, train, ck = _model(tf, tf.layers.Dense, units=5)
        with pytest.raises(ValueError, match=r"Received incompatible tensor with shape \(4, 2\) "
                           r"when attempting to restore variable with shape \(5, 2\) and name "
                           r"head/kernel/\.ATTRIBUTES/VARIABLE_VALUE"):
            ck.restore(p)
    with tf.Graph().as_default():
        ck = tf.train.Checkpoint(save_counter_twin=tf.Variable(0.0))
        with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files "
                           "for .*nothere"):
            ck.restore(str(tmp_path / "nothere"))
        with pytest.raises(tf.errors.NotFoundError, match="a directory"):
            ck.restore(str(tmp_path))
    with tf.Graph().as_default():  # int64 in the file, float32 here
        ck = tf.train.Checkpoint(save_counter_=tf.Variable(0.0))
        ck.restore(p)
        status = tf.train.Checkpoint(optimizer={"beta1_power": tf.Variable(0, dtype=tf.int32)})
        st = status.read(p)
        with tf.Session() as s, pytest.raises(tf.errors.InvalidArgumentError,
                                              match="expected dtype int32 does not equal "
                                              "original dtype float32"):
            st.run_restore_ops(s)
    with tf.Graph().as_default():
        ck = tf.train.Checkpoint(v=tf.Variable(1.0))
        with pytest.raises(ValueError, match="needs a session"):
            ck.save(str(tmp_path / "x"))
        with pytest.raises(ValueError, match="needs a session"):
            ck.restore(p).run_restore_ops()


def test_restore_none_initializes(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(3.0)
        ck = tf.train.Checkpoint(v=v)
        st = ck.restore(None)
        for check in (st.assert_consumed, st.assert_existing_objects_matched,
                      st.assert_nontrivial_match):
            with pytest.raises(AssertionError, match=r"No checkpoint specified \(save_path=None"):
                check()
        with pytest.raises(AssertionError, match="no restore ops are available"):
            st.run_restore_ops()
        with tf.Session() as s:
            st.initialize_or_restore(s)
            assert s.run(v) == 3.0 and s.run(ck.save_counter) == 0


def test_name_based_restore_of_a_saver_checkpoint(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            p = tf.train.Saver(write_version=tf.train.SaverDef.V2).save(s, str(tmp_path / "s"))
    with tf.Graph().as_default():
        v = tf.Variable([0.0, 0.0], name="v")
        ck = tf.train.Checkpoint(v=v)
        st = ck.restore(p)
        st.assert_consumed()  # save_counter is optional
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            st.run_restore_ops(s)
            np.testing.assert_array_equal(s.run(v), [1.0, 2.0])
        ck.w = tf.Variable(1.0, name="w")
        with pytest.raises(AssertionError, match="Object not restored: <tf.Variable 'w:0'"):
            st.assert_consumed()


def test_saver_restores_an_object_based_checkpoint(tmp_path):
    """The other way round, as TF's Saver falls back: variable names through the object graph's
    full names (it said "Key a not found")."""
    with tf.Graph().as_default():
        a = tf.Variable([1.0, 2.0], name="a")
        dense = tf.layers.Dense(3, name="d")
        dense(tf.ones([1, 2]))
        ckpt = tf.train.Checkpoint(a=a, model=dense)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            path = ckpt.save(str(tmp_path / "ck"), session=s)
            kernel = s.run(dense.kernel)
    with tf.Graph().as_default():
        a = tf.Variable([0.0, 0.0], name="a")
        dense = tf.layers.Dense(3, name="d")
        dense(tf.ones([1, 2]))
        missing = tf.Variable(0.0, name="not_saved")
        with tf.Session() as s:
            tf.train.Saver([a, dense.kernel, dense.bias]).restore(s, path)
            np.testing.assert_array_equal(s.run(a), [1.0, 2.0])
            np.testing.assert_array_equal(s.run(dense.kernel), kernel)
            with pytest.raises(tf.errors.NotFoundError, match="Key not_saved not found"):
                tf.train.Saver([missing]).restore(s, path)


def test_tf_saver_and_minitf_saver_read_each_others_object_checkpoints(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    with tf1.Graph().as_default():
        a = tf1.Variable([1.0, 2.0], name="a", use_resource=False)
        with tf1.Session() as s:
            s.run(tf1.global_variables_initializer())
            theirs = tf1.train.Checkpoint(a=a).save(str(tmp_path / "tf"), session=s)
    with tf.Graph().as_default():
        a = tf.Variable([0.0, 0.0], name="a")
        with tf.Session() as s:
            tf.train.Saver([a]).restore(s, theirs)
            np.testing.assert_array_equal(s.run(a), [1.0, 2.0])
    with tf.Graph().as_default():
        b = tf.Variable([3.0, 4.0], name="b")
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            path = tf.train.Checkpoint(a=b).save(str(tmp_path / "mine"), session=s)
    with tf1.Graph().as_default():
        b = tf1.Variable([0.0, 0.0], name="b", use_resource=False)
        with tf1.Session() as s:
            tf1.train.Saver([b]).restore(s, path)
            np.testing.assert_array_equal(s.run(b), [3.0, 4.0])


def test_options_callbacks_and_skip_slots(tmp_path):
    calls = []
    with pytest.raises(AssertionError, match="at most one argument"):
        tf.train.CheckpointOptions(experimental_write_callbacks=[lambda a, b: None])
    with pytest.raises(ValueError, match="ShardingCallback"):
        tf.train.CheckpointOptions(experimental_sharding_callback=object())
    opts = tf.train.CheckpointOptions(experimental_write_callbacks=[calls.append,
                                                                    lambda: calls.append(0)],
                                      experimental_skip_slot_variables=True)
    assert opts.enable_async is False and opts.experimental_io_device is None
    with tf.Graph().as_default():
        x, train, ck = _model(tf, tf.layers.Dense)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            p = ck.write(str(tmp_path / "w"), session=s, options=opts)
            with pytest.raises(TypeError, match="CheckpointOptions"):
                ck.write(str(tmp_path / "w"), session=s, options={})
    assert calls == [p, 0]
    assert not any("OPTIMIZER_SLOT" in k for k, _ in tf.train.list_variables(p))


# -- CheckpointManager ---------------------------------------------------------------------------
def test_manager_keeps_deletes_and_records(tmp_path):
    d = str(tmp_path / "m")
    with tf.Graph().as_default():
        step = tf.Variable(0, dtype=tf.int64, name="step")
        ck = tf.train.Checkpoint(v=tf.Variable(1.0, name="v"))
        with pytest.raises(ValueError, match="got 0"):
            tf.train.CheckpointManager(ck, d, max_to_keep=0)
        with pytest.raises(ValueError, match="`step_counter` should be passed"):
            tf.train.CheckpointManager(ck, d, max_to_keep=2, checkpoint_interval=3)
        m = tf.train.CheckpointManager(ck, d, max_to_keep=2)
        assert m.latest_checkpoint is None and m.checkpoints == [] and m.directory == d
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            paths = [m.save() for _ in range(3)]
            assert paths == [os.path.join(d, f"ckpt-{i}") for i in (1, 2, 3)]
            assert m.save(checkpoint_number=10).endswith("ckpt-10")
            assert m.save(checkpoint_number=step).endswith("ckpt-0")
            assert s.run(ck.save_counter) == 5  # numbered or not, each save counts
        assert m.checkpoints == [os.path.join(d, "ckpt-10"), os.path.join(d, "ckpt-0")]
        assert sorted(os.listdir(d)) == ["checkpoint", "ckpt-0.data-00000-of-00001",
                                         "ckpt-0.index", "ckpt-10.data-00000-of-00001",
                                         "ckpt-10.index"]
        lines = (tmp_path / "m" / "checkpoint").read_text().splitlines()
        assert lines[:3] == ['model_checkpoint_path: "ckpt-0"',
                             'all_model_checkpoint_paths: "ckpt-10"',
                             'all_model_checkpoint_paths: "ckpt-0"']
        assert [ln.split(":")[0] for ln in lines[3:]] == [
            "all_model_checkpoint_timestamps"] * 2 + ["last_preserved_timestamp"]
        assert tf.train.latest_checkpoint(d) == m.latest_checkpoint == os.path.join(d, "ckpt-0")
        again = tf.train.CheckpointManager(ck, d, max_to_keep=2)
        assert again.checkpoints == m.checkpoints and again.latest_checkpoint == m.latest_checkpoint


def test_manager_interval_and_restore_or_initialize(tmp_path):
    with tf.Graph().as_default():
        step = tf.Variable(0, dtype=tf.int64, name="step")
        v = tf.Variable(1.0, name="v")
        ck = tf.train.Checkpoint(v=v)
        m = tf.train.CheckpointManager(ck, str(tmp_path / "i"), max_to_keep=None,
                                       step_counter=step, checkpoint_interval=2)
        saved = []
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for value in (0, 0, 1, 2, 3, 4):
                s.run(step.assign(value))
                saved.append(m.save())
            s.run(step.assign(5))
            saved.append(m.save(check_interval=False))
        assert [p and os.path.basename(p) for p in saved] == [
            "ckpt-1", None, None, "ckpt-2", None, "ckpt-3", "ckpt-4"]
        assert len(m.checkpoints) == 4  # max_to_keep=None: all kept
    with tf.Graph().as_default():
        v = tf.Variable(7.0, name="v")
        calls = []
        m = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), str(tmp_path / "i"), 1,
                                       init_fn=lambda: calls.append(1))
        assert m.restore_or_initialize() == os.path.join(str(tmp_path / "i"), "ckpt-4")
        empty = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), str(tmp_path / "e"), 1,
                                           init_fn=lambda: calls.append(2))
        assert empty.restore_or_initialize() is None and calls == [2]


def test_manager_keep_every_n_hours(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(cm.time, "time", lambda: clock[0])
    d = str(tmp_path / "k")
    with tf.Graph().as_default():
        ck = tf.train.Checkpoint(v=tf.Variable(1.0))
        m = tf.train.CheckpointManager(ck, d, max_to_keep=1, keep_checkpoint_every_n_hours=1)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for t in (1000.0, 1000.0 + 3600, 1000.0 + 3700, 1000.0 + 7300):
                clock[0] = t
                m.save()
    # Swept out in turn: ckpt-1 (t0, not an hour after the last preserved, t0 - 1) is
    # deleted; ckpt-2 (t0 + 3600) is preserved; ckpt-3 (only 100 s after it) is deleted;
    # ckpt-4 is the one kept.
    assert m.checkpoints == [os.path.join(d, "ckpt-4")]
    assert {f.split(".")[0] for f in os.listdir(d)} == {"checkpoint", "ckpt-2", "ckpt-4"}
    assert cm.read_state(d)[3] == 1000.0 + 3600


def test_state_file_round_trip(tmp_path):
    d = str(tmp_path)
    cm.write_state(d, os.path.join(d, 'a"b-2'), [os.path.join(d, "a-1")], [1.5, 2.25], 0.5)
    assert (tmp_path / "checkpoint").read_text() == (
        'model_checkpoint_path: "a\\"b-2"\nall_model_checkpoint_paths: "a-1"\n'
        'all_model_checkpoint_paths: "a\\"b-2"\nall_model_checkpoint_timestamps: 1.5\n'
        'all_model_checkpoint_timestamps: 2.25\nlast_preserved_timestamp: 0.5\n')
    assert cm.read_state(d) == (os.path.join(d, 'a"b-2'), [os.path.join(d, "a-1"),
                                                          os.path.join(d, 'a"b-2')],
                                [1.5, 2.25], 0.5)
    with pytest.raises(ValueError, match="timestamps, if provided, must match"):
        cm.write_state(d, "x", [], [1.0, 2.0])


# -- side by side with TensorFlow ----------------------------------------------------------------
def _tf_dense():
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_keras")
    from tf_keras.src.legacy_tf_layers import core as legacy_layers

    return legacy_layers.Dense


def _tf_trained(tf1, dense, path, steps=2):
    g = tf1.Graph()
    with g.as_default():
        x, train, ck = _model(tf1, dense)
        with tf1.Session() as s:
            s.run(tf1.global_variables_initializer())
            for _ in range(steps):
                s.run(train, {x: X})
            p = ck.save(path, session=s)
            return p, {v.op.name: s.run(v) for v in tf1.global_variables()}


def test_tf_side_by_side_files_and_object_graph(tmp_path):
    dense = _tf_dense()
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    tp, tvals = _tf_trained(tf1, dense, str(tmp_path / "tf" / "ckpt"))
    mp, mvals = _trained(str(tmp_path / "m" / "ckpt"))
    assert sorted(tvals) == sorted(mvals)
    for k in tvals:  # same training, so the same values (to float32 rounding)
        np.testing.assert_allclose(mvals[k], tvals[k], rtol=1e-5, atol=1e-6)
    tr, mr = tf1.train.load_checkpoint(tp), tf1.train.load_checkpoint(mp)
    assert tr.get_variable_to_shape_map() == mr.get_variable_to_shape_map()
    assert tr.get_variable_to_dtype_map() == mr.get_variable_to_dtype_map()
    tbytes = tr.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH")
    assert cg.decode_object_graph(tbytes) == cg.decode_object_graph(
        mr.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    assert tbytes == mr.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH")  # byte for byte
    assert open(os.path.join(os.path.dirname(tp), "checkpoint")).read() == \
        open(os.path.join(os.path.dirname(mp), "checkpoint")).read()


def test_tf_restores_minitf_and_minitf_restores_tf(tmp_path):
    dense = _tf_dense()
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    mp, mvals = _trained(str(tmp_path / "m" / "ckpt"), steps=3)
    g = tf1.Graph()
    with g.as_default():
        x, train, ck = _model(tf1, dense)
        with tf1.Session() as s:
            st = ck.restore(mp)
            st.assert_consumed()
            st.run_restore_ops(s)
            got = {v.op.name: s.run(v) for v in tf1.global_variables()}
    assert got["save_counter"] == 1
    for k in mvals:
        np.testing.assert_array_equal(got[k], mvals[k])
    tp, tvals = _tf_trained(tf1, dense, str(tmp_path / "tf" / "ckpt"), steps=1)
    with tf.Graph().as_default():
        x, train, ck = _model(tf, tf.layers.Dense)
        with tf.Session() as s:
            st = ck.restore(tp)
            st.assert_consumed()
            st.run_restore_ops(s)
            got = {v.op.name: s.run(v) for v in tf.global_variables()}
    for k in tvals:
        np.testing.assert_array_equal(got[k], tvals[k])


def test_tf_same_assertion_messages(tmp_path):
    dense = _tf_dense()
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    tp, _ = _tf_trained(tf1, dense, str(tmp_path / "tf" / "ckpt"))

    def messages(lib, dense_cls):
        out = []
        g = lib.Graph()
        with g.as_default():
            x, train, ck = _model(lib, dense_cls)
            part = lib.train.Checkpoint(model=ck.model, head=ck.head)
            try:
                part.restore(tp).assert_consumed()
            except AssertionError as e:
                out.append(str(e))
            ck.other = lib.Variable(1.0, name="o")
            try:
                ck.restore(tp).assert_existing_objects_matched()
            except AssertionError as e:
                out.append(str(e).split("[")[0])
            try:
                ck.restore(str(tmp_path / "missing"))
            except Exception as e:  # noqa: BLE001 - compared below
                out.append((type(e).__name__, str(e)))
            st = ck.restore(None)
            try:
                st.assert_consumed()
            except AssertionError as e:
                out.append(str(e))
        return out

    assert messages(tf, tf.layers.Dense) == messages(tf1, dense)


def test_tf_variables_and_containers_graph_bytes(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def build(lib):
        a = lib.Variable(1.0, name="a")
        b = lib.Variable([2.0, 3.0], name="b")
        ck = lib.train.Checkpoint(d={"y": a, "x.1/z": b}, l=[b, a],
                                  inner=lib.train.Checkpoint(z=lib.Variable(4, name="c")))
        ck.later = a
        return ck

    g = tf1.Graph()
    with g.as_default():
        ck = build(tf1)
        with tf1.Session() as s:
            s.run(tf1.global_variables_initializer())
            tp = ck.write(str(tmp_path / "tf"), session=s)
    with tf.Graph().as_default():
        ck = build(tf)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            mp = ck.write(str(tmp_path / "m"), session=s)
    key = "_CHECKPOINTABLE_OBJECT_GRAPH"
    assert tf1.train.load_checkpoint(tp).get_tensor(key) == \
        tf1.train.load_checkpoint(mp).get_tensor(key)
    assert tf1.train.list_variables(tp) == tf1.train.list_variables(mp)


def test_tf_manager_state_interop(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    d = str(tmp_path / "m")
    with tf.Graph().as_default():
        ck = tf.train.Checkpoint(v=tf.Variable(2.5, name="v"))
        m = tf.train.CheckpointManager(ck, d, max_to_keep=2)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(3):
                m.save()
    g = tf1.Graph()
    with g.as_default():
        v = tf1.Variable(0.0, name="v")
        ck = tf1.train.Checkpoint(v=v)
        tm = tf1.train.CheckpointManager(ck, d, max_to_keep=2)
        assert tm.checkpoints == m.checkpoints and tm.latest_checkpoint == m.latest_checkpoint
        assert tf1.train.latest_checkpoint(d) == m.latest_checkpoint
        with tf1.Session() as s:
            ck.restore(tm.latest_checkpoint).run_restore_ops(s)
            assert s.run(v) == 2.5 and s.run(ck.save_counter) == 3
            time.sleep(0.01)
            tm.save()  # TF continues the numbering and deletes minitf's oldest
    again = tf.train.CheckpointManager(tf.train.Checkpoint(), d, max_to_keep=2)
    assert [os.path.basename(p) for p in again.checkpoints] == ["ckpt-3", "ckpt-4"]
    assert sorted(f for f in os.listdir(d) if f.endswith(".index")) == ["ckpt-3.index",
                                                                        "ckpt-4.index"]


def _block_model(lib, layers, base):
    """Conv2D + BatchNormalization + a Layer subclass (its own weight, and a sub-layer kept in
    an attribute, which TF1's legacy layers do not track), trained by Momentum."""
    class Block(base):
        def build(self, shape):
            self.scale = self.add_weight("scale", [1], initializer=lib.ones_initializer())
            self.inner = layers.Dense(2, name="inner")

        def call(self, x):
            return self.inner(x) * self.scale

    x = lib.placeholder(lib.float32, [None, 4, 4, 1])
    c, bn = layers.Conv2D(2, 3, name="c"), layers.BatchNormalization(name="bn")
    h = lib.reshape(bn(c(x), training=True), [-1, 8])
    blk = Block(name="blk")
    y = blk(h)
    opt = lib.train.MomentumOptimizer(0.1, 0.9)
    opt.minimize(lib.reduce_sum(y * y))
    return lib.train.Checkpoint(conv=c, bn=bn, blk=blk, opt=opt, lst=[c, {"k": bn}])


def test_layer_children_batch_norm_and_subclass():
    with tf.Graph().as_default():
        ck = _block_model(tf, tf.layers, tf.layers.Layer)
        names = {k: [n for n, _ in cg.children(v)] for k, v in ck._trackable_children().items()}
        nodes = cg.serialize(ck).nodes
    assert names["bn"] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert names["blk"] == ["scale"]  # not the sub-layer ``inner`` (as TF1's legacy layers)
    assert names["conv"] == ["kernel", "bias"] and names["opt"] == []
    assert names["lst"] == ["0", "1"]
    # blk(1) bn(2) conv(3) lst(4) opt(5); scale(6)... slots for the trainable ones, in order.
    assert [s for _, s, _ in nodes[5].slot_variables] == ["momentum"] * 5
    assert [o for o, _, _ in nodes[5].slot_variables] == [6, 7, 8, 11, 12]


def test_tf_layers_and_momentum_object_graph(tmp_path):
    _tf_dense()
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from tf_keras.src.legacy_tf_layers import base, convolutional, core, normalization

    class Legacy:
        Dense, Conv2D = core.Dense, convolutional.Conv2D
        BatchNormalization = normalization.BatchNormalization

    def saved(lib, layers, layer_base, session_cls, path):
        g = lib.Graph()
        with g.as_default():
            ck = _block_model(lib, layers, layer_base)
            with session_cls() as s:
                s.run(lib.global_variables_initializer())
                return lib.train.load_checkpoint(ck.save(path, session=s))

    tr = saved(tf1, Legacy, base.Layer, tf1.Session, str(tmp_path / "tf" / "c"))
    mr = saved(tf, tf.layers, tf.layers.Layer, tf.Session, str(tmp_path / "m" / "c"))
    key = "_CHECKPOINTABLE_OBJECT_GRAPH"
    assert tr.get_tensor(key) == mr.get_tensor(key)
    assert tr.get_variable_to_shape_map() == mr.get_variable_to_shape_map()
