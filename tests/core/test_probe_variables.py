"""Variables, moving averages and checkpoint helpers found missing or divergent by a probe
against TensorFlow: ExponentialMovingAverage(zero_debias) and its shadow names, Variable's
scatter_nd/batch/count_up_to/VariableDef methods, get_variable from a zero-argument callable,
the checkpoint-management functions, warm_start, and the global step's checks.

Reference numbers marked "TF printed" come from tf.compat.v1 (TensorFlow 2.21, graph mode, ref
variables) on the same graph; CI has no TensorFlow, so they are pasted here.
"""

import os
import time

import numpy as np
import pytest

import minitf as tf


# -- ExponentialMovingAverage ----------------------------------------------------------------------
def test_zero_debiased_average_of_a_tensor_matches_tensorflow():
    x = tf.placeholder(tf.float32, [2])
    ema = tf.train.ExponentialMovingAverage(0.9, zero_debias=True)
    op = ema.apply([x])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(3):
            sess.run(op, {x: [1.0 + i, 2.0]})
        got = sess.run(ema.average(x))
    # By hand: biased_t = 0.1 * sum(0.9^(t-k) x_k), divided by 1 - 0.9^3 (0.271).
    want0 = 0.1 * (0.81 * 1 + 0.9 * 2 + 3) / (1 - 0.9 ** 3)
    np.testing.assert_allclose(got, [want0, 2.0], rtol=1e-6)
    # TF printed, bit for bit:
    np.testing.assert_array_equal(got, np.float32([2.070110321044922, 1.999999761581421]))


def test_zero_debias_variable_names_and_values_inside_a_variable_scope():
    with tf.variable_scope("m"):
        x = tf.placeholder(tf.float64, [2], name="x")
        y = tf.placeholder(tf.float64, [2], name="x")
        ema = tf.train.ExponentialMovingAverage(0.8, zero_debias=True)
        op = ema.apply([x, y])
        w = tf.Variable([1.0, 2.0], name="w")
        op2 = ema.apply([w])  # TF debiases tensors only: a Variable starts at its value
    # TF printed these names (the slot-style doubled scope included):
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "m/m/m/x/ExponentialMovingAverage/biased", "m/m/m/x/ExponentialMovingAverage/local_step",
        "m/m/m/x_1/ExponentialMovingAverage/biased",
        "m/m/m/x_1/ExponentialMovingAverage/local_step", "m/m/w/ExponentialMovingAverage",
        "m/m/x/ExponentialMovingAverage", "m/m/x_1/ExponentialMovingAverage", "m/w"]
    assert ema.average_name(x) == "m/m/x/ExponentialMovingAverage"
    assert ema.average_name(w) == "m/m/w/ExponentialMovingAverage"
    assert ema.average_name(tf.constant(1.0, name="c")) == "c/ExponentialMovingAverage"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(4):
            sess.run([op, op2], {x: [1.0 + i, -3.0 * i], y: [0.5, 0.25]})
            sess.run(w.assign_add([1.0, 1.0]))
        got = sess.run([ema.average(x), ema.average(y), ema.average(w)])
    # TF printed these; float64 agrees to the last bit or so (numpy's SIMD pow can round the
    # bias factor 1 - 0.8^k one ulp away from the C library's, which TF uses).
    np.testing.assert_allclose(got[0], [2.7750677328150686, -5.325203198445204], rtol=1e-15)
    np.testing.assert_allclose(got[1], [0.5, 0.25], rtol=1e-15)  # a constant stays unbiased
    np.testing.assert_array_equal(got[2], np.float32([2.047999858856201, 3.047999858856201]))


def test_shadow_of_a_variable_is_named_under_the_variable_scope():
    with tf.variable_scope("model"):
        w = tf.get_variable("w", [2])
        ema = tf.train.ExponentialMovingAverage(0.9)
        ema.apply([w])
    # TF printed: model/model/w/ExponentialMovingAverage:0 (so TF checkpoints restore by name)
    assert ema.average(w).name == "model/model/w/ExponentialMovingAverage:0"
    assert ema.average_name(w) == "model/model/w/ExponentialMovingAverage"
    assert ema.variables_to_restore() == {"model/model/w/ExponentialMovingAverage": w}


# -- Variable methods ------------------------------------------------------------------------------
def test_variable_scatter_nd_and_count_up_to():
    v = tf.Variable(np.zeros((2, 2), np.float32), name="v")
    c = tf.Variable(0, name="c")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        # TF printed the same three values.
        assert sess.run(v.scatter_nd_update([[0, 1]], [5.0])).tolist() == [[0, 5], [0, 0]]
        assert sess.run(v.scatter_nd_add([[0, 1]], [1.0])).tolist() == [[0, 6], [0, 0]]
        assert sess.run(v.scatter_nd_sub([[1, 0]], [1.0])).tolist() == [[0, 6], [-1, 0]]
        up = c.count_up_to(2)
        assert [sess.run(up), sess.run(up)] == [0, 1]  # the value before each increment
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(up)


def test_batch_scatter_update():
    v = tf.Variable(np.zeros((2, 3), np.float32), name="v")
    out = tf.batch_scatter_update(v, [[2, 0], [1, 2]], [[5.0, 6.0], [7.0, 8.0]])
    u = tf.Variable(np.zeros((2, 2, 2), np.float32), name="u")
    out3 = u.batch_scatter_update(tf.IndexedSlices(
        tf.constant([[[1.0], [2.0]], [[3.0], [4.0]]]), tf.constant([[[1], [0]], [[0], [1]]])))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        # ref[i, indices[i, j]] = updates[i, j], by hand
        assert sess.run(out).tolist() == [[6, 0, 5], [0, 7, 8]]
        assert sess.run(out3).tolist() == [[[0, 1], [2, 0]], [[3, 0], [0, 4]]]
    with pytest.raises(TypeError, match="IndexedSlices"):
        u.batch_scatter_update([1])


def test_variable_def_round_trip():
    w = tf.Variable([1.0], name="w")
    with tf.name_scope("s"):
        u = tf.Variable([2.0], name="u", trainable=False)
    proto = w.to_proto()
    # TF printed the same fields.
    assert (proto.variable_name, proto.initializer_name, proto.snapshot_name,
            proto.initial_value_name, proto.trainable) == (
        "w:0", "w/Assign", "w/read:0", "w/initial_value:0", True)
    assert u.to_proto(export_scope="s").variable_name == "u:0"
    assert u.to_proto(export_scope="zz") is None
    u2 = tf.Variable.from_proto(u.to_proto())
    assert (u2.name, u2.initializer.name, u2.trainable) == ("s/u:0", "s/u/Assign", False)
    assert u2 not in tf.global_variables()  # TF1 adds it to no collection
    w2 = tf.Variable(variable_def=proto)
    with tf.Session() as sess:
        sess.run(w2.initializer)
        assert sess.run(w2).tolist() == [1.0] and sess.run(w).tolist() == [1.0]
    assert w.synchronization == tf.VariableSynchronization.AUTO
    assert w.aggregation == tf.VariableAggregation.NONE


def test_get_variable_from_a_zero_argument_callable_or_a_value():
    u = tf.get_variable("u", initializer=lambda: tf.ones([3]))
    k = tf.get_variable("k", initializer=lambda: tf.ones([2], tf.int32), dtype=tf.float64)
    t = tf.get_variable("t", initializer=tf.ones([2, 3]))
    n = tf.get_variable("n", initializer=np.arange(4, dtype=np.float64))
    f = tf.get_variable("f", shape=[2], initializer=lambda shape, dtype=None: tf.ones(shape))
    # As TF: shape and dtype from the value (the callable's wins over dtype=).
    assert [(x.shape.as_list(), x.dtype) for x in (u, k, t, n, f)] == [
        ([3], tf.float32), ([2], tf.int32), ([2, 3], tf.float32), ([4], tf.float64),
        ([2], tf.float32)]
    with pytest.raises(ValueError, match="must be fully defined"):
        tf.get_variable("bad", initializer=tf.zeros_initializer())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(u).tolist() == [1.0, 1.0, 1.0] and sess.run(n).tolist() == [0, 1, 2, 3]


def test_synchronization_and_aggregation_are_accepted_and_validated():
    v = tf.get_variable("v", [1], synchronization=tf.VariableSynchronization.ON_READ,
                        aggregation=tf.VariableAggregation.SUM)
    assert v not in tf.trainable_variables()  # TF: ON_READ variables are not trained
    with pytest.raises(ValueError, match="Invalid variable aggregation mode: sum"):
        tf.get_variable("x", [1], aggregation="sum")
    with pytest.raises(ValueError, match="Invalid variable aggregation mode"):
        tf.Variable(1.0, aggregation="sum")
    assert tf.VariableAggregation.ONLY_FIRST_TOWER is tf.VariableAggregation.ONLY_FIRST_REPLICA
    assert [m.value for m in tf.VariableSynchronization] == [0, 1, 2, 3]


def test_init_scope_and_no_regularizer():
    w = tf.Variable([1.0], name="w")
    with tf.control_dependencies([w.initializer]), tf.name_scope("abc"):
        with tf.init_scope():
            c = tf.constant(1.0, name="c")
    assert c.name == "abc/c:0" and c.op.control_inputs == []  # as TF printed
    assert tf.no_regularizer(w) is None
    r = tf.get_variable("r", [2], regularizer=tf.no_regularizer)
    assert r is not None and tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == []


# -- checkpoints -----------------------------------------------------------------------------------
def _save(tmp_path, steps):
    v = tf.Variable([1.0], name="v")
    saver = tf.train.Saver(max_to_keep=None)
    with tf.Session() as sess:
        sess.run(v.initializer)
        return [saver.save(sess, str(tmp_path / "model"), global_step=s) for s in steps]


def test_checkpoint_management_functions(tmp_path):
    paths = _save(tmp_path, [1, 2])
    mtimes = tf.train.get_checkpoint_mtimes(paths + [str(tmp_path / "missing")])
    assert len(mtimes) == 2 and all(abs(m - time.time()) < 600 for m in mtimes)
    tf.train.update_checkpoint_state(str(tmp_path), paths[0])
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == paths[0]
    assert state.all_model_checkpoint_paths == [paths[0]]
    tf.train.update_checkpoint_state(str(tmp_path), paths[1], all_model_checkpoint_paths=paths[:1])
    assert tf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths == paths
    tf.train.remove_checkpoint(paths[0])
    assert not tf.train.checkpoint_exists(paths[0]) and not os.path.exists(paths[0] + ".meta")
    assert tf.train.checkpoint_exists(paths[1])
    assert tf.train.get_checkpoint_mtimes(paths) == mtimes[1:]


def test_checkpoints_iterator_yields_new_checkpoints_then_times_out(tmp_path):
    paths = _save(tmp_path, [7])
    seen = list(tf.train.checkpoints_iterator(str(tmp_path), timeout=0.2))
    assert seen == paths
    calls = []
    it = tf.train.checkpoints_iterator(str(tmp_path / "none"), timeout=0.1,
                                       timeout_fn=lambda: calls.append(1) or len(calls) == 2)
    assert list(it) == [] and calls == [1, 1]  # timeout_fn False: keeps waiting


def test_saver_as_saver_def_and_duplicate_variables():
    v = tf.Variable([1.0], name="v")
    saver_def = tf.train.Saver(max_to_keep=3, keep_checkpoint_every_n_hours=2.0).as_saver_def()
    assert (saver_def.max_to_keep, saver_def.keep_checkpoint_every_n_hours) == (3, 2.0)
    assert tf.train.Saver(write_version=tf.train.SaverDef.V2).as_saver_def().version == 2
    # TF printed: ValueError The same saveable will be restored with two names: b
    with pytest.raises(ValueError, match="restored with two names: b"):
        tf.train.Saver({"a": v, "b": v})


def test_warm_start_from_a_checkpoint(tmp_path):
    with tf.Graph().as_default():
        tf.Variable([3.0, 4.0], name="w")
        tf.Variable([5.0], name="b")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    w = tf.Variable([0.0, 0.0], name="w")
    new_b = tf.Variable([0.0], name="new_b")
    tf.train.warm_start(path, vars_to_warm_start=".*",
                        var_name_to_prev_var_name={"new_b": "b"})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(w).tolist() == [3.0, 4.0] and sess.run(new_b).tolist() == [5.0]
    info = tf.train.VocabInfo("new.txt", 10, 1, "old.txt")
    assert (info.old_vocab_size, info.backup_initializer, info.axis) == (-1, None, 0)
    with pytest.raises(ValueError, match="axis"):
        tf.train.VocabInfo("new.txt", 10, 1, "old.txt", axis=2)


# -- the global step -------------------------------------------------------------------------------
def test_get_global_step_checks_as_tensorflow():
    with tf.Graph().as_default():
        g = tf.Variable(0.5, name="global_step")
        tf.add_to_collection(tf.GraphKeys.GLOBAL_STEP, g)
        # TF printed: TypeError Existing "global_step" does not have integer type: ...
        with pytest.raises(TypeError, match='does not have integer type'):
            tf.train.get_global_step()
    with tf.Graph().as_default():
        for n in "ab":
            tf.add_to_collection(tf.GraphKeys.GLOBAL_STEP, tf.Variable(0, name=n))
        assert tf.train.get_global_step() is None  # TF logs an error and returns None
    with tf.Graph().as_default():
        step = tf.Variable([0, 0], name="global_step")
        with pytest.raises(TypeError, match="is not scalar"):
            tf.train.assert_global_step(step)
        with pytest.raises(TypeError, match="must be a Variable or Tensor"):
            tf.train.assert_global_step(3)
        tf.train.assert_global_step(tf.train.create_global_step(tf.Graph()))
