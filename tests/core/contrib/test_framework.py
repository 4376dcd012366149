"""tf.contrib.framework: the model-variable API, variable lookup, assignment from values and
checkpoints, the global step and tensor helpers (hand-computed; side by side with tf_slim)."""

import numpy as np
import pytest

import minitf as tf
from minitf import errors

fw = tf.contrib.framework


def _names(variables):
    return [v.op.name for v in variables]


def _model():
    """A small model: two scopes of model variables, a plain variable and a local one."""
    with tf.variable_scope("net"):
        with tf.variable_scope("conv1"):
            fw.model_variable("weights", [3, 2], initializer=tf.constant_initializer(0.5),
                              regularizer=lambda w: tf.reduce_sum(w) * 0.1)
            fw.model_variable("biases", [2], initializer=tf.zeros_initializer())
        with tf.variable_scope("logits"):
            fw.model_variable("weights", [2, 1], initializer=tf.ones_initializer())
            fw.variable("count", [], dtype=tf.int32, trainable=False,
                        initializer=tf.zeros_initializer(), collections=["extra", "extra"])
        fw.local_variable(np.zeros(3, np.float32), name="acc")
        fw.global_variable(np.zeros(2, np.float32), name="glob")


def test_variables_land_in_collections_with_scoped_names():
    with tf.Graph().as_default():
        _model()
        assert _names(fw.get_model_variables()) == [
            "net/conv1/weights", "net/conv1/biases", "net/logits/weights"]
        assert _names(fw.get_variables()) == _names(fw.get_model_variables()) + ["net/glob"]
        assert "net/glob" not in _names(fw.get_trainable_variables())
        assert _names(tf.get_collection("extra")) == ["net/logits/count"]  # duplicates removed
        assert _names(fw.get_local_variables()) == ["net/acc"]
        assert _names(fw.get_trainable_variables("net/conv1")) == [
            "net/conv1/weights", "net/conv1/biases"]
        assert _names(fw.get_variables_by_name("weights")) == [
            "net/conv1/weights", "net/logits/weights"]
        assert _names(fw.get_variables_by_suffix("ases")) == ["net/conv1/biases"]
        assert _names(fw.get_model_variables(suffix="weights")) == [
            "net/conv1/weights", "net/logits/weights"]
        with tf.variable_scope("net/logits") as scope:
            pass
        assert _names(fw.get_variables(scope, collection="extra")) == ["net/logits/count"]
        assert fw.get_unique_variable("net/conv1/weights").op.name == "net/conv1/weights"
        assert fw.get_variable_full_name(fw.get_unique_variable("net/conv1/biases")) == \
            "net/conv1/biases"
        reg = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        assert len(reg) == 1
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(reg[0]) == pytest.approx(0.3)


def test_lookup_errors_and_restore_lists():
    with tf.Graph().as_default():
        _model()
        with pytest.raises(ValueError, match="Couldn't find variable net/nope"):
            fw.get_unique_variable("net/nope")
        with pytest.raises(ValueError, match="does not uniquely identify"):
            fw.get_unique_variable("net/conv1/weigh")
        assert _names(fw.get_variables_to_restore(include=["net/conv1"],
                                                  exclude=["net/conv1/biases"])) == [
            "net/conv1/weights"]
        assert _names(fw.get_variables_to_restore(exclude=["net/logits"])) == [
            "net/conv1/weights", "net/conv1/biases", "net/glob"]
        with pytest.raises(TypeError, match="include is provided but is not a list or a tuple"):
            fw.get_variables_to_restore(include="net")
        with pytest.raises(TypeError, match="exclude is provided but is not a list or a tuple"):
            fw.get_variables_to_restore(exclude="net")
        all_vars = fw.get_variables()
        assert _names(fw.filter_variables(all_vars, include_patterns=["conv"],
                                          exclude_patterns=["biases"])) == ["net/conv1/weights"]
        assert fw.filter_variables(all_vars, include_patterns=["conv"], reg_search=False) == []
        assert _names(fw.filter_variables(all_vars, include_patterns=["net/l"],
                                          reg_search=False)) == ["net/logits/weights"]


def test_add_model_variable_once_and_custom_getter_sees_reuse():
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        fw.add_model_variable(v)
        fw.add_model_variable(v)
        assert fw.get_model_variables() == [v]
        seen = {}

        def getter(name, reuse=None, **kwargs):
            seen["reuse"] = reuse
            return tf.get_variable(name, **kwargs)

        with tf.variable_scope("s"):
            a = fw.variable("a", [2], custom_getter=getter)
        with tf.variable_scope("s", reuse=True):
            b = fw.variable("a", [2], custom_getter=getter)
        assert a is b and seen["reuse"] is True


def test_devices_strings_and_round_robin_chooser():
    with tf.Graph().as_default():
        chooser = fw.VariableDeviceChooser(num_tasks=2)
        with fw.arg_scope([fw.variable], device=chooser):
            a = fw.variable("a", [])
            b = fw.variable("b", [])
            c = fw.variable("c", [], device="/cpu:12")
            d = fw.variable("d", [])
        assert a.device == "/job:ps/task:0/device:CPU:0"
        assert b.device == "/job:ps/task:1/device:CPU:0"
        assert c.device == "/device:CPU:12"
        assert d.device == "/job:ps/task:0/device:CPU:0"
        gpu = fw.VariableDeviceChooser(device_type="GPU", replica=3)
        assert gpu(None) == "/replica:3/device:GPU:0"
        with fw.arg_scope([fw.model_variable], device=fw.VariableDeviceChooser()):
            e = fw.model_variable("e", [1])
        assert e.device == "/device:CPU:0"


def test_partitioned_variable_keeps_its_full_name():
    with tf.Graph().as_default():
        w = fw.variable("w", [4, 2], partitioner=tf.fixed_size_partitioner(2))
        parts = list(w)
        assert [p.op.name for p in parts] == ["w/part_0", "w/part_1"]
        assert {fw.get_variable_full_name(p) for p in parts} == {"w"}


def test_assign_from_values():
    with tf.Graph().as_default():
        _model()
        op, feed = fw.assign_from_values({"net/conv1/weights": np.arange(6.0),
                                          "net/logits/weights": np.array([7.0, 8.0])})
        assert sorted(p.op.name for p in feed) == ["placeholder/net/conv1/weights",
                                                    "placeholder/net/logits/weights"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(op, feed)
            np.testing.assert_array_equal(
                sess.run(fw.get_unique_variable("net/conv1/weights")),
                np.arange(6.0).reshape(3, 2))
            fn = fw.assign_from_values_fn({"net/conv1/biases": np.array([1.0, 2.0])})
            fn(sess)
            np.testing.assert_array_equal(sess.run(fw.get_unique_variable("net/conv1/biases")),
                                          [1.0, 2.0])
        with pytest.raises(ValueError, match="Variable net/logits/count wasn't found"):
            fw.assign_from_values({"net/logits/count": np.zeros(1)})  # not a global variable
        with pytest.raises(ValueError, match="Variable net/missing wasn't found"):
            fw.assign_from_values({"net/missing": np.zeros(1)})
        with pytest.raises(ValueError, match="doesn't uniquely identify a variable"):
            fw.assign_from_values({"net/conv1/": np.zeros(1)})


def _save_checkpoint(path, values):
    with tf.Graph().as_default():
        for name, value in values.items():
            tf.Variable(value, name=name)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return saver.save(sess, path)


def test_assign_from_checkpoint_and_fn(tmp_path):
    ckpt = _save_checkpoint(str(tmp_path / "model"), {
        "a": np.arange(4.0, dtype=np.float32).reshape(2, 2), "b": np.float32(3.0)})
    with tf.Graph().as_default():
        a = tf.get_variable("a", [2, 2])
        b = tf.get_variable("b", [])
        c = tf.get_variable("c", [1])
        renamed = tf.get_variable("other", [])
        with pytest.raises(ValueError, match=r"Checkpoint is missing variable \[c\]"):
            fw.assign_from_checkpoint(ckpt, [a, c])
        op, feed = fw.assign_from_checkpoint(ckpt, [a, b, c], ignore_missing_vars=True)
        op2, feed2 = fw.assign_from_checkpoint(ckpt, {"b": renamed})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(op, feed)
            sess.run(op2, feed2)
            np.testing.assert_array_equal(sess.run(a), np.arange(4.0).reshape(2, 2))
            assert sess.run(b) == 3.0 and sess.run(renamed) == 3.0
        wrong = tf.get_variable("wrong", [4])
        with pytest.raises(ValueError, match="Total size of new array must be unchanged for a"):
            fw.assign_from_checkpoint(ckpt, {"a": wrong})
        with pytest.raises(ValueError, match="var_list cannot be empty"):
            fw.assign_from_checkpoint_fn(ckpt, [])
        assert fw.assign_from_checkpoint_fn(ckpt, [c], ignore_missing_vars=True) is None
        restore = fw.assign_from_checkpoint_fn(ckpt, [a, b, c], ignore_missing_vars=True)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            restore(sess)
            assert sess.run(b) == 3.0


def test_global_step_functions():
    with tf.Graph().as_default() as g:
        assert fw.get_global_step() is None
        assert fw.assert_or_get_global_step() is None
        step = fw.create_global_step()
        assert step.op.name == "global_step" and step.dtype.base_dtype == tf.int64
        with pytest.raises(ValueError, match="already exists"):
            fw.create_global_step(g)
        assert fw.get_or_create_global_step() is step
        assert fw.assert_or_get_global_step(g) is step
        assert fw.assert_or_get_global_step(global_step_tensor=step) is step
        with pytest.raises(TypeError, match="does not have integer type"):
            fw.assert_global_step(tf.Variable(1.0))


def test_tensor_helpers_and_aliases():
    assert fw.nest.flatten is tf.nest.flatten  # contrib's nest is the fuller module
    assert fw.is_tensor is tf.is_tensor
    assert fw.convert_to_tensor_or_sparse_tensor is tf.convert_to_tensor_or_sparse_tensor
    assert fw.init_from_checkpoint is tf.train.init_from_checkpoint
    assert fw.list_variables is tf.train.list_variables
    assert fw.load_variable is tf.train.load_variable
    assert fw.load_checkpoint is tf.train.load_checkpoint
    for name in ("add_arg_scope", "arg_scope", "has_arg_scope", "arg_scoped_arguments",
                 "current_arg_scope", "arg_scope_func_key"):
        assert getattr(fw, name) is getattr(tf.contrib.framework, name)
    with tf.Graph().as_default():
        with tf.name_scope("outer"), tf.name_scope("inner"):
            assert fw.get_name_scope() == "outer/inner"
        total = fw.reduce_sum_n([tf.constant([1.0, 2.0]), tf.constant([[3.0], [4.0]])],
                                name="total")
        single = fw.reduce_sum_n([tf.constant([5.0, 6.0])])
        with pytest.raises(ValueError, match="No tensors provided"):
            fw.reduce_sum_n([])
        x = tf.placeholder(tf.float32, [None, 3])
        checked = fw.with_shape([2, 3], x)
        assert checked.shape.as_list() == [2, 3]
        known = tf.zeros([2, 3])
        assert fw.with_shape([2, 3], known) is known
        with pytest.raises(ValueError, match="Invalid shape for tensor"):
            fw.with_shape([3, 2], known)
        with pytest.raises(ValueError, match="Invalid rank 2"):
            fw.with_shape(np.zeros((1, 2), np.int32), known)
        with pytest.raises(ValueError, match="Invalid dtype"):
            fw.with_shape(tf.constant([2, 3], tf.int64), known)
        assert fw.with_shape([], tf.constant([4.0])).shape.as_list() == []
        with tf.Session() as sess:
            assert sess.run(total) == 10.0 and sess.run(single) == 11.0
            np.testing.assert_array_equal(sess.run(checked, {x: np.ones((2, 3))}),
                                          np.ones((2, 3)))
            with pytest.raises(errors.InvalidArgumentError, match="Wrong shape for"):
                sess.run(checked, {x: np.ones((4, 3))})


# -- side by side with tf_slim (TF 1.x's contrib.framework) --------------------------------------

def _build(lib, framework, devices):
    """The same model in minitf or TF; returns a description of every variable, the
    regularization losses and an initializer."""
    with lib.variable_scope("net"):
        framework.model_variable("weights", [3, 2], initializer=lib.constant_initializer(0.5),
                                 regularizer=lambda w: lib.reduce_sum(w) * 0.25)
        framework.variable("biases", [2], collections=["extra"],
                           initializer=lib.zeros_initializer())
        framework.model_variable("part", [4, 2], partitioner=lib.fixed_size_partitioner(2),
                                 initializer=lib.ones_initializer())
        if devices:  # TF cannot run /job:ps variables in a local session: described only
            chooser = framework.VariableDeviceChooser(num_tasks=2)
            with framework.arg_scope([framework.variable], device=chooser):
                for name in "abc":
                    framework.variable(name, [])
    graph = lib.get_default_graph()
    keys = [lib.GraphKeys.GLOBAL_VARIABLES, lib.GraphKeys.MODEL_VARIABLES,
            lib.GraphKeys.TRAINABLE_VARIABLES, lib.GraphKeys.LOCAL_VARIABLES, "extra"]
    described = {key: [v.op.name for v in graph.get_collection(key)] for key in keys}
    if devices:
        described["devices"] = [framework.get_unique_variable(f"net/{n}").device.replace(
            "/device:CPU:0", "/cpu:0") for n in "abc"]
        described["restore"] = [v.op.name for v in framework.get_variables_to_restore(
            exclude=["net/a"])]
    described["by_name"] = [v.op.name for v in framework.get_variables_by_name("weights")]
    described["full_names"] = [framework.get_variable_full_name(v)
                               for v in framework.get_model_variables()]
    init = lib.variables_initializer(framework.get_model_variables())
    return described, graph.get_collection(lib.GraphKeys.REGULARIZATION_LOSSES), init


def test_matches_tf_slim_names_collections_devices_and_values():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    slim = pytest.importorskip("tf_slim")
    for devices in (True, False):
        with tf1.Graph().as_default():
            theirs, their_reg, init = _build(tf1, slim, devices)
            if not devices:
                with tf1.Session() as sess:
                    sess.run(init)
                    their_loss = sess.run(their_reg)
        with tf.Graph().as_default():
            mine, my_reg, init = _build(tf, fw, devices)
            if not devices:
                with tf.Session() as sess:
                    sess.run(init)
                    my_loss = sess.run(my_reg)
        assert mine == theirs
    np.testing.assert_allclose(my_loss, their_loss)
    assert my_loss == [pytest.approx(0.75)]


def test_assign_from_a_tensorflow_checkpoint(tmp_path):
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    g = tf1.Graph()
    with g.as_default():
        tf1.Variable(value, name="scope/w")
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            path = tf1.train.Saver().save(sess, str(tmp_path / "tf_model"))
    with tf.Graph().as_default():
        with tf.variable_scope("scope"):
            w = fw.model_variable("w", [2, 3])
        op, feed = fw.assign_from_checkpoint(path, fw.get_model_variables())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(op, feed)
            np.testing.assert_array_equal(sess.run(w), value)
