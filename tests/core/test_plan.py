"""The executor: pruning, ordering, cycles, folding, aliasing, liveness, memory safety."""

import numpy as np
import pytest

import minitf as tf
from minitf.plan import Plan, Resources


def test_peak_live_intermediates_is_constant_on_a_deep_chain():
    x = tf.placeholder(tf.float32, [1000])
    h = x
    for _ in range(100):
        h = h * 1.001 + 0.5
    plan = Plan.compile(tf.get_default_graph(), [x], [h])
    value = np.ones(1000, np.float32)
    (out,), live = plan.run_traced([value])
    assert plan.num_steps == 200
    assert max(live) <= 3, f"peak live intermediates {max(live)}"
    expected = value.copy()
    for _ in range(100):
        expected = expected * np.float32(1.001) + np.float32(0.5)
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_prunes_to_what_fetches_need_and_stops_at_feeds():
    x = tf.placeholder(tf.float32, [2], name="x")
    y = x * 2.0
    tf.placeholder(tf.float32, [2], name="other") * 3.0  # not needed: must not run
    z = y + 1.0
    plan = Plan.compile(tf.get_default_graph(), [y], [z])
    assert [op.name for op in plan.ops] == ["add"]
    assert plan.run([np.array([1.0, 2.0], np.float32)])[0].tolist() == [2.0, 3.0]


def test_topological_order_follows_control_dependencies():
    v = tf.Variable(1.0)
    first = tf.assign(v, 10.0)
    with tf.control_dependencies([first]):
        second = tf.assign_add(v, 1.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(second) == 11.0


def test_ops_run_in_the_order_they_become_ready_as_tensorflows_executor():
    # Spectral normalisation's idiom: ``b`` reads ``u`` with no dependency on the assign,
    # and is ready before it (the assign waits for u_hat), so it sees the old value in TF.
    u = tf.get_variable("u", initializer=1.0, trainable=False)
    u_hat = u * 2.0
    with tf.control_dependencies([u.assign(u_hat)]):
        a = tf.identity(u_hat)
    b = u * 2.0
    with tf.Session() as sess:
        sess.run(u.initializer)
        assert sess.run([a, b]) == [2.0, 2.0]  # hand-computed: both from u = 1
        assert sess.run(u) == 2.0


@pytest.mark.parametrize("op", [tf.add, tf.subtract, tf.multiply, tf.divide, tf.maximum])
def test_mismatched_shapes_at_run_time_use_tensorflows_words(op):
    a = tf.placeholder(tf.float32, [None, 2])
    b = tf.placeholder(tf.float32, [None, 2])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match=r"^Incompatible shapes: \[2,2\] vs. \[3,2\]"):
        sess.run(op(a, b), {a: np.ones((2, 2)), b: np.ones((3, 2))})


def test_cycle_is_rejected_naming_an_op():
    a = tf.placeholder(tf.float32, [], name="a")
    b = tf.identity(a, name="b")
    c = tf.identity(b, name="c")
    b.op._add_control_input(c.op)  # b waits for c, which reads b
    with pytest.raises(tf.errors.InvalidArgumentError, match="cycle.*Operation '(b|c)'"):
        Plan.compile(tf.get_default_graph(), [a], [c])


def test_constant_subgraphs_are_folded():
    x = tf.placeholder(tf.float32, [3])
    k = (tf.constant([1.0, 2.0, 3.0]) * 2.0 + 1.0) / 4.0
    y = x * k
    plan = Plan.compile(tf.get_default_graph(), [x], [y])
    assert [op.type for op in plan.ops] == ["Mul"]
    assert {op.type for op in plan.folded_ops} >= {"Const", "Mul", "AddV2", "RealDiv"}
    np.testing.assert_allclose(plan.run([np.ones(3, np.float32)])[0], [0.75, 1.25, 1.75])


def test_identity_ops_are_aliased_not_run():
    x = tf.placeholder(tf.float32, [2])
    y = tf.identity(tf.identity(x * 3.0))
    plan = Plan.compile(tf.get_default_graph(), [x], [y])
    assert [op.type for op in plan.ops] == ["Mul"]


def test_fetched_constants_and_variables_are_private_copies():
    c = tf.constant([1.0, 2.0])
    v = tf.Variable([1.0, 2.0])
    step = tf.assign_sub(v, [1.0, 1.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        got = sess.run(c)
        got[0] = 100.0  # mutating a fetched value must not corrupt the graph
        assert sess.run(c)[0] == 1.0
        before = sess.run(v)
        sess.run(step)  # updates the variable's buffer in place
        assert before.tolist() == [1.0, 2.0]
        assert sess.run(v).tolist() == [0.0, 1.0]
        before.fill(9.0)
        assert sess.run(v).tolist() == [0.0, 1.0]


def test_kernel_failures_become_op_errors_naming_the_node():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.placeholder(tf.float32, [None, 2], name="w")
    y = tf.matmul(x, w, name="product")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)Matrix size-incompatible.*"
                                                                  r"\{\{node product\}\}"):
            sess.run(y, {x: np.ones((2, 3)), w: np.ones((4, 2))})


def test_plan_without_resources_refuses_variables():
    v = tf.Variable(1.0)
    with pytest.raises(tf.errors.FailedPreconditionError, match="freeze the graph"):
        Plan.compile(tf.get_default_graph(), [], [v.value()])
    plan = Plan.compile(tf.get_default_graph(), [], [v.value()], resources=Resources())
    with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value Variable"):
        plan.run([])


def test_multi_output_op_with_one_output_fed():
    parts = tf.add_n([tf.constant([1.0]), tf.constant([2.0])])
    fed = tf.placeholder_with_default(parts, [1])
    y = fed * 2.0
    with tf.Session() as sess:
        assert sess.run(y).tolist() == [6.0]
        assert sess.run(y, {fed: [1.0]}).tolist() == [2.0]
