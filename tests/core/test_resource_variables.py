"""Resource variables (core/resource_variable.py): ``use_resource=True`` on tf.Variable,
tf.get_variable and tf.variable_scope, and ``tf.enable_resource_variables()``, give TF's read
semantics: every read is a new copy made under the control dependencies around it, and
``assign*`` returns a read made after its update. TF-free tests check hand-computed values;
the side-by-side ones run the same script in tf.compat.v1 (a process of its own)."""

import json
import os

import numpy as np
import pytest

import minitf as tf
from minitf.resource_variable import is_resource_variable
from tests.core.legacy_tf import tf_side_json


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield
    tf.disable_resource_variables()  # a test that turned the switch on leaves it off


def _run(fetches, feed=None, init=True):
    with tf.Session() as sess:
        if init:
            sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


# -- reads -------------------------------------------------------------------------------------
# The probe's script: each read honours the control dependency on the increment (which runs
# once per Session.run), so the four runs see 1, 2, 3 and 3.
_PROBE = """
v = tf.get_variable("v", initializer=0.0, use_resource=True)
inc = v.assign_add(1.0)
with tf.control_dependencies([inc]):
    a = v.value(); b = tf.convert_to_tensor(v); c = tf.matmul([[1.0]], tf.reshape(v, [1, 1]))
with tf.Session() as s:
    s.run(tf.global_variables_initializer())
    out = [float(s.run(a)), float(s.run(b)), s.run(c).tolist(), float(s.run(v))]
"""


def _mine(script: str) -> dict:
    scope = {"tf": tf, "np": np}
    exec(script, scope)  # noqa: S102 - the test's own script, run as TF runs it below
    return json.loads(json.dumps(scope["out"]))


def _theirs(script: str) -> dict:
    return tf_side_json("import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()\n"
                        "import json, numpy as np\n" + script + "\nprint(json.dumps(out))",
                        legacy_keras=False)


def test_reads_follow_control_dependencies_and_copy():
    assert _mine(_PROBE) == [1.0, 2.0, [[3.0]], 3.0]
    v = tf.get_variable("w", initializer=3.0, use_resource=True)
    x = v.assign_add(5.0)
    with tf.control_dependencies([x]):  # (TF's x is the update: its read could come later)
        z = v.assign_add(10.0)
    # x is a read made right after its own update: z's later one does not show through.
    assert _run([x, z]) == [8.0, 18.0]


def test_reads_match_tensorflow():
    assert _mine(_PROBE) == _theirs(_PROBE)


def test_a_read_is_a_copy_that_later_updates_do_not_change():
    v = tf.Variable([1.0, 2.0], use_resource=True)
    r = v.read_value()
    with tf.control_dependencies([r]):
        inc = v.assign_add([1.0, 1.0])
    before, after = _run([r, inc])
    np.testing.assert_array_equal(before, [1.0, 2.0])
    np.testing.assert_array_equal(after, [2.0, 3.0])


def test_each_use_makes_one_read_named_as_tf():
    v = tf.get_variable("v", [2], use_resource=True)
    assert isinstance(v, tf.Variable) and is_resource_variable(v)
    assert repr(v) == "<tf.Variable 'v:0' shape=(2,) dtype=float32>"
    assert v._as_graph_element().name == "v/Read/ReadVariableOp:0"
    assert v.name == "v:0" and v.op.type == "VariableV2" and v.dtype == tf.float32
    a = v.value()
    tf.matmul(tf.ones([1, 2]), tf.reshape(v, [2, 1]))  # converted twice, read once
    with tf.name_scope("ns"):
        v * 2.0
    v.read_value()
    v.value()
    tf.add(v, 1.0)
    tf.identity(tf.identity(v))
    assert a.op.type == "Copy" and a.op.inputs[0] is v._ref()
    # TF 2.21's names for its ReadVariableOps in the same script.
    assert [op.name for op in tf.get_default_graph().get_operations() if op.type == "Copy"] == [
        "v/Read/ReadVariableOp", "ReadVariableOp", "Reshape/ReadVariableOp",
        "ns/ReadVariableOp", "Read/ReadVariableOp", "ReadVariableOp_1", "Add/ReadVariableOp",
        "Identity_1/ReadVariableOp"]


def test_assign_returns_a_read_after_the_update_or_the_op():
    v = tf.Variable([1.0, 2.0], use_resource=True)
    a = v.assign([3.0, 4.0])
    op = v.assign_sub([1.0, 1.0], read_value=False)
    assert isinstance(a, tf.Tensor) and isinstance(op, tf.Operation)
    assert a.op.type == "Copy" and a.op.control_inputs[0].type == "Assign"
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(a), [3.0, 4.0])
        assert sess.run(op) is None
        np.testing.assert_array_equal(sess.run(v), [2.0, 3.0])
        # tf.assign* give the update's output: its op is the update, as TF's result's op is.
        added = tf.assign_add(v, [1.0, 2.0], name="added")
        assert added.op.type == "AssignAdd" and added.op.name == "added"
        np.testing.assert_array_equal(sess.run(tf.assign(v, [5.0, 5.0])), [5.0, 5.0])
        np.testing.assert_array_equal(sess.run(added), [6.0, 7.0])
        np.testing.assert_array_equal(
            sess.run(v.scatter_update(tf.IndexedSlices(tf.constant([9.0]), tf.constant([1])))),
            [6.0, 9.0])


def test_assign_checks_shapes_as_tf():
    v = tf.Variable([1.0, 2.0], name="v", use_resource=True)
    with pytest.raises(ValueError, match=r"Cannot assign value to variable ' v:0': Shape "
                                         r"mismatch.The variable shape \(2,\), and the assigned "
                                         r"value shape \(\) are incompatible."):
        v.assign(1.0)
    with pytest.raises(ValueError, match="Shapes must be equal rank, but are 1 and 0"):
        v.assign_add(1.0)
    w = tf.Variable(tf.zeros([2]), validate_shape=False, use_resource=True)
    grown = w.assign(tf.ones([3]))  # a variable of unknown shape takes any shape
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(grown), [1.0, 1.0, 1.0])


# -- gradients ---------------------------------------------------------------------------------
def test_gradients_reach_the_variable_from_every_read():
    v = tf.get_variable("v", initializer=np.float32([1.0, 2.0]), use_resource=True)
    loss = (tf.reduce_sum(v * v) + tf.reduce_sum(v.value() * 3.0) +
            tf.reduce_sum(v.read_value()) +
            tf.reduce_sum(tf.matmul(tf.reshape(v, [1, 2]), tf.ones([2, 1]))))
    (g,) = tf.gradients(loss, v)
    opt = tf.train.GradientDescentOptimizer(0.1)
    (pair,) = opt.compute_gradients(loss, var_list=[v])
    assert pair[1] is v
    train = opt.minimize(loss, var_list=[v])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(g), [7.0, 9.0])  # 2v + 3 + 1 + 1
        sess.run(train)
        np.testing.assert_allclose(sess.run(v), [0.3, 1.1], rtol=1e-6)


def test_sparse_gradients_stay_sparse():
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], use_resource=True)
    (g,) = tf.gradients(tf.reduce_sum(tf.gather(w, [0, 2, 0])), w)
    assert isinstance(g, tf.IndexedSlices)
    # Momentum's sparse update touches only the gathered row: rows 1 and 2 stay.
    train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(tf.gather(w, [0])),
                                                          var_list=[w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(tf.convert_to_tensor(g)), [[2, 2], [0, 0], [1, 1]])
        sess.run(train)
        sess.run(train)  # accumulator 1, then 1.9: the row drops by 0.1 + 0.19
        np.testing.assert_allclose(sess.run(w), [[0.71, 1.71], [3, 4], [5, 6]], rtol=1e-6)


def test_reads_inside_cond_and_while_loop():
    v = tf.Variable([1.0, 2.0], use_resource=True)
    p = tf.placeholder(tf.bool, [])
    c = tf.cond(p, lambda: v.value() * 2.0, lambda: v + 1.0)
    (gc,) = tf.gradients(tf.reduce_sum(c), v)
    total = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + tf.reduce_sum(v)),
                          [0, 0.0])[1]
    (gl,) = tf.gradients(total, v)

    def body(i, acc):
        with tf.control_dependencies([v.assign_add([1.0, 1.0])]):
            return i + 1, acc + tf.reduce_sum(v.value())

    counted = tf.while_loop(lambda i, a: i < 3, body, [0, 0.0], parallel_iterations=1)[1]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(c, {p: True}), [2.0, 4.0])
        np.testing.assert_array_equal(sess.run(c, {p: False}), [2.0, 3.0])
        np.testing.assert_array_equal(sess.run(gc, {p: True}), [2.0, 2.0])
        assert sess.run(total) == 9.0
        np.testing.assert_array_equal(sess.run(gl), [3.0, 3.0])
        assert sess.run(counted) == 5.0 + 7.0 + 9.0  # each read after that iteration's update


# -- the rest of the variable's life -----------------------------------------------------------
def test_saver_freeze_and_export(tmp_path):
    from minitf import export

    v = tf.get_variable("v", initializer=np.float32([1.0, 2.0]), use_resource=True)
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = tf.identity(tf.reduce_sum(x * v, 1), name="y")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        assert sess.run(tf.report_uninitialized_variables()).tolist() == [b"v"]
        sess.run(tf.global_variables_initializer())  # the initializer is unchanged
        assert sess.run(tf.report_uninitialized_variables()).size == 0
        path = saver.save(sess, str(tmp_path / "ck"))
        sess.run(v.assign([0.0, 0.0]))
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
        frozen_def = tf.graph_util.convert_variables_to_constants(
            sess, tf.get_default_graph().as_graph_def(), ["y"])
        frozen = export.freeze(sess, {"x": x}, {"y": y})
    assert tf.train.list_variables(str(tmp_path)) == [("v", [2])]
    export.save_model(str(tmp_path / "m" / "1"), frozen)
    model = export.load_saved_model(str(tmp_path / "m" / "1"))
    assert model is not None
    with tf.Graph().as_default():
        tf.import_graph_def(frozen_def, name="")
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run("y:0", {"x:0": [[1.0, 1.0]]}), [3.0])


def test_graph_def_round_trip_keeps_copies_and_gradients():
    from minitf import export

    v = tf.Variable([1.0, 2.0], name="v", use_resource=True)
    r = tf.identity(v.value(), name="r")
    with tf.control_dependencies([r]):
        tf.identity(v.assign_add([1.0, 1.0]), name="after")
    graph_def = export.graph_to_graph_def(tf.get_default_graph())
    with tf.Graph().as_default() as g:
        tf.import_graph_def(graph_def, name="")
        (grad,) = tf.gradients(tf.reduce_sum(g.get_tensor_by_name("r:0") * 3.0),
                               g.get_tensor_by_name("v:0"))
        with tf.Session() as sess:
            sess.run("v/Assign")
            got = sess.run(["r:0", "after:0", grad])
    np.testing.assert_array_equal(got[0], [1.0, 2.0])  # copied before the update ran
    np.testing.assert_array_equal(got[1], [2.0, 3.0])
    np.testing.assert_array_equal(got[2], [3.0, 3.0])


def _train_layers(use_resource):
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        with tf.variable_scope("m", use_resource=use_resource):
            x = tf.placeholder(tf.float32, [None, 3])
            hidden = tf.layers.dense(x, 4, activation=tf.nn.relu,
                                     kernel_initializer=tf.constant_initializer(0.3))
            out = tf.keras.layers.Dense(2, kernel_initializer="ones")(hidden)
        kinds = {is_resource_variable(w) for w in tf.global_variables()}
        loss = tf.reduce_mean(tf.square(out - 1.0))
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
        feed = {x: [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [sess.run([train, loss], feed)[1] for _ in range(5)]
        return kinds, losses


def test_layers_train_on_resource_variables_as_on_reference_ones():
    kinds, resource = _train_layers(True)
    assert kinds == {True}
    _, reference = _train_layers(False)  # no read races an update here: the same numbers
    np.testing.assert_allclose(resource, reference, rtol=1e-6)
    assert resource[-1] < resource[0]


def test_switch_and_scopes_pick_the_kind():
    assert not tf.resource_variables_enabled()
    assert not is_resource_variable(tf.Variable(1.0))
    assert not is_resource_variable(tf.get_variable("a", [1]))
    with tf.variable_scope("r", use_resource=True):
        assert is_resource_variable(tf.Variable(1.0))
        assert is_resource_variable(tf.get_variable("b", [1]))
        parts = tf.get_variable("p", [4, 2], partitioner=tf.fixed_size_partitioner(2))
        assert all(is_resource_variable(part) for part in parts)
    tf.enable_resource_variables()
    assert tf.resource_variables_enabled()
    assert is_resource_variable(tf.Variable(1.0)) and is_resource_variable(
        tf.get_variable("c", [1]))
    with tf.variable_scope("ref", use_resource=False):
        assert not is_resource_variable(tf.get_variable("d", [1]))
    assert not is_resource_variable(tf.Variable(1.0, use_resource=False))
    tf.disable_resource_variables()
    assert not tf.resource_variables_enabled() and not is_resource_variable(tf.Variable(1.0))


def test_creators_see_use_resource_as_tf_resolves_it():
    seen = []

    def creator(next_creator, **kwargs):
        seen.append(kwargs["use_resource"])
        return next_creator(**kwargs)

    with tf.variable_creator_scope(creator):
        tf.get_variable("a", [1])
        tf.Variable(1.0)
        made = tf.Variable(1.0, use_resource=True)
    assert seen == [False, None, True] and is_resource_variable(made)


def test_exported_graph_runs_and_differentiates_in_tensorflow(tmp_path):
    """TF loads the reads (Copy, with the Identity gradient override). There a Copy without
    debug specs forwards its input, so only reads no update races are compared."""
    from minitf import export

    v = tf.Variable([1.0, 2.0], name="v", use_resource=True)
    with tf.control_dependencies([v.assign_add([1.0, 1.0])]):
        tf.identity(v.value(), name="r")
    tf.identity(v.assign_sub([0.5, 0.5]), name="after")
    tf.identity(tf.reduce_sum(v * 3.0), name="y")
    path = tmp_path / "g.pb"
    path.write_bytes(export.graph_to_graph_def(tf.get_default_graph()).SerializeToString())
    theirs = tf_side_json(
        "import sys, json; import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()\n"
        "gd = tf.GraphDef.FromString(open(sys.argv[1], 'rb').read())\n"
        "tf.import_graph_def(gd, name='')\n"
        "g = tf.get_default_graph()\n"
        "grad = tf.gradients(g.get_tensor_by_name('y:0'), g.get_tensor_by_name('v:0'))[0]\n"
        "with tf.Session() as s:\n"
        "    s.run('v/Assign')\n"
        "    print(json.dumps([s.run(t).tolist() for t in ('r:0', 'after:0', grad)]))",
        os.fspath(path), legacy_keras=False)
    assert theirs == [[2.0, 3.0], [1.5, 2.5], [3.0, 3.0]]
