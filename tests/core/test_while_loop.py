"""tf.while_loop and its frame ops (Enter, Merge, Switch, LoopCond, NextIteration, Exit): loops
run as one step of the plan around them, with values checked by hand and against
tf.compat.v1 (v1 control flow), and the graphs move both ways with TensorFlow."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import minitf as tf
from minitf.plan import Plan


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()


def test_counter_and_accumulator_by_hand():
    i, acc = tf.while_loop(lambda i, acc: i < 5, lambda i, acc: (i + 1, acc * 2.0 + 1.0),
                           [tf.constant(0), tf.constant([1.0, -1.0])])
    assert i.op.type == "Exit" and acc.shape.as_list() == [2]
    with tf.Session() as sess:
        got_i, got_acc = sess.run([i, acc])
    want = np.array([1.0, -1.0])
    for _ in range(5):
        want = want * 2.0 + 1.0
    assert got_i == 5 and got_i.dtype == np.int32
    np.testing.assert_array_equal(got_acc, want.astype(np.float32))


def test_iterations_depend_on_the_feed():
    """The number of iterations is decided when the graph runs: Collatz steps of a fed n."""
    n = tf.placeholder(tf.int64, [])
    steps, _ = tf.while_loop(
        lambda k, m: m > 1,
        lambda k, m: (k + 1, tf.where(tf.equal(m % 2, 0), m // 2, 3 * m + 1)),
        [tf.constant(0), n])

    def collatz(m):
        k = 0
        while m > 1:
            m, k = (m // 2 if m % 2 == 0 else 3 * m + 1), k + 1
        return k

    with tf.Session() as sess:
        for m in (1, 6, 27, 97):
            assert sess.run(steps, {n: m}) == collatz(m)


def test_zero_iterations_return_the_initial_values():
    x = tf.placeholder(tf.float32, [None])
    out = tf.while_loop(lambda v: tf.reduce_sum(v) > 100.0, lambda v: v * 0.5, [x])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out, {x: [1.0, 2.0]}), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(out, {x: [200.0, 100.0]}), [50.0, 25.0])


def test_result_structure_and_unwrapping():
    """One loop variable comes back unwrapped (unless return_same_structure); nested tuples,
    namedtuples and lists keep their structure, as the body returned it."""
    Pair = collections.namedtuple("Pair", "a b")
    one = tf.while_loop(lambda v: v < 3, lambda v: v + 1, [tf.constant(0)])
    same = tf.while_loop(lambda v: v < 3, lambda v: [v + 1], [tf.constant(0)],
                         return_same_structure=True)
    nested = tf.while_loop(lambda i, p: i < 2, lambda i, p: (i + 1, Pair(p.a + p.b, p.b)),
                           (tf.constant(0), Pair(tf.constant(1.0), tf.constant(3.0))))
    assert isinstance(one, tf.Tensor) and isinstance(same, list) and len(same) == 1
    assert isinstance(nested, tuple) and isinstance(nested[1], Pair)
    with tf.Session() as sess:
        assert sess.run(one) == 3 and sess.run(same) == [3]
        i, p = sess.run(nested)
        assert i == 2 and p == Pair(7.0, 3.0)


def test_maximum_iterations_bounds_the_loop():
    x = tf.constant(1.0)
    capped = tf.while_loop(lambda v: v < 1000.0, lambda v: v * 2.0, [x], maximum_iterations=4)
    two = tf.while_loop(lambda v, w: v < 1000.0, lambda v, w: [v * 2.0, w + 1], [x, 0],
                        maximum_iterations=tf.constant(20))
    with tf.Session() as sess:
        assert sess.run(capped) == 16.0
        assert sess.run(two) == [1024.0, 10]
    with pytest.raises(ValueError, match="must be a scalar"):
        tf.while_loop(lambda v: v < 1.0, lambda v: v, [x], maximum_iterations=[3, 4])


def test_shape_invariants():
    """A loop variable whose shape changes needs a less specific invariant, as in TF1; the
    loop's outputs carry the invariant."""
    grow = lambda i, v: (i + 1, tf.concat([v, v], 0))  # noqa: E731
    with pytest.raises(ValueError, match=r"Input tensor 'start:0' enters the loop with shape "
                       r"\(1,\), but has shape \(2,\) after one iteration.*shape_invariants"):
        tf.while_loop(lambda i, v: i < 3, grow, [tf.constant(0),
                                                 tf.constant([1.0], name="start")])
    i, v = tf.while_loop(lambda i, v: i < 3, grow, [tf.constant(0), tf.constant([1.0])],
                         shape_invariants=[tf.TensorShape([]), tf.TensorShape([None])])
    assert v.shape.as_list() == [None]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(v), np.ones(8, np.float32))
        assert sess.run(tf.shape(v))[0] == 8  # not folded from the initial shape
    with pytest.raises(ValueError, match="not compatible with the initial shape"):
        tf.while_loop(lambda v: True, lambda v: v, [tf.constant([1.0, 2.0])],
                      shape_invariants=[tf.TensorShape([3])])


def test_nested_loops_and_cond_in_the_body():
    """A loop in the body of a loop (its own frame), with a cond choosing per iteration."""
    def body(i, total):
        _, inner = tf.while_loop(lambda j, t: j < i, lambda j, t: (j + 1, t + j), [0, total])
        return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: inner * 2, lambda: inner - 1)

    n = tf.placeholder(tf.int32, [])
    _, out = tf.while_loop(lambda i, t: i < n, body, [tf.constant(0), tf.constant(1)])
    with tf.Session() as sess:
        for nv in (0, 1, 4, 7):
            want = 1
            for i in range(nv):
                want += sum(range(i))
                want = want * 2 if i % 2 == 0 else want - 1
            assert sess.run(out, {n: nv}) == want


def test_loop_in_a_branch_not_taken_does_not_run():
    p = tf.placeholder(tf.bool, [])
    count = tf.Variable(0)

    def looping():
        def body(k):
            with tf.control_dependencies([tf.assign_add(count, 1)]):
                return k + 1
        return tf.while_loop(lambda k: k < 3, body, [tf.constant(0)])

    out = tf.cond(p, looping, lambda: tf.constant(-1))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out, {p: False}) == -1 and sess.run(count) == 0
        assert sess.run(out, {p: True}) == 3 and sess.run(count) == 3


def test_variables_in_the_body():
    """An update in the body runs once per iteration (through a RefEnter), and a read made
    after it (a control dependency) sees it, both the snapshot (``v``, entered once: it views
    the variable's memory, as a TF1 ref variable's does) and read_value() (a RefEnter). TF1
    runs iterations in parallel, so there these reads race with the updates."""
    v = tf.Variable(1.0)

    def body(k, seen_before, seen_now):
        with tf.control_dependencies([tf.assign_add(v, 1.0)]):
            return k + 1, seen_before + v * 1.0, seen_now + v.read_value()

    _, before, now = tf.while_loop(lambda k, a, b: k < 3, body, [0, 0.0, 0.0])
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert {"RefEnter", "Enter"} <= types
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run([before, now]) == [2.0 + 3.0 + 4.0] * 2
        assert sess.run(v) == 4.0


def test_outside_control_dependencies_run_once_before_the_loop():
    """Control inputs from outside the loop (the call's control scope, or a control scope in
    the body on an outside op) move to the loop's Enter ops: they run once per Session.run."""
    runs = tf.Variable(0)
    early = tf.assign_add(runs, 1)
    with tf.control_dependencies([early]):
        out = tf.while_loop(lambda k: k < 5, lambda k: k + 1, [tf.constant(0)])
    other = tf.assign_add(runs, 10)

    def body(k):
        with tf.control_dependencies([other]):
            return k + 1

    out2 = tf.while_loop(lambda k: k < 5, body, [tf.constant(0)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out) == 5 and sess.run(runs) == 1
        assert sess.run(out2) == 5 and sess.run(runs) == 11
    enters = [op for op in tf.get_default_graph().get_operations() if op.type == "Enter"]
    assert any(early.op in e.control_inputs for e in enters)
    assert any(other.op in e.control_inputs for e in enters)


def test_constants_in_the_body_hang_on_the_pivot():
    """As TF1 builds it: an op with no inputs from the loop gets a control input on the pivot
    (the first loop variable's Merge in the condition, its Identity in the body)."""
    tf.while_loop(lambda v: v < tf.constant(10.0), lambda v: v + tf.constant(2.0), [0.0])
    graph = tf.get_default_graph()
    assert graph.get_operation_by_name("while/Const").control_inputs == []  # the initial 0.0
    assert graph.get_operation_by_name("while/Const_1").control_inputs == [
        graph.get_operation_by_name("while/Merge")]
    assert graph.get_operation_by_name("while/Const_2").control_inputs == [
        graph.get_operation_by_name("while/Identity")]


def test_argument_and_body_errors():
    x = tf.constant(1.0)
    with pytest.raises(TypeError, match="'cond' must be callable"):
        tf.while_loop(True, lambda v: v, [x])
    with pytest.raises(TypeError, match="'body' must be callable"):
        tf.while_loop(lambda v: True, None, [x])
    with pytest.raises(TypeError, match="'loop_vars' must be a list or tuple"):
        tf.while_loop(lambda v: v < 1.0, lambda v: v, x)
    with pytest.raises(ValueError, match="'loop_vars' must be provided"):
        tf.while_loop(lambda: True, lambda: (), [])
    with pytest.raises(TypeError, match="parallel_iterations"):
        tf.while_loop(lambda v: v < 1.0, lambda v: v, [x], parallel_iterations=0)
    with pytest.raises(ValueError, match="must return the structure of 'loop_vars'"):
        tf.while_loop(lambda a, b: a < 1.0, lambda a, b: a, [x, x])
    with pytest.raises(ValueError, match="enters the loop as float32, but the body returns "
                       "int32"):
        tf.while_loop(lambda v: v < 1.0, lambda v: tf.constant(1), [x])
    with pytest.raises(TypeError, match="bool"):
        tf.while_loop(lambda v: v, lambda v: v, [x])


def test_loop_internals_cannot_be_fetched():
    seen = []

    def body(v):
        seen.append(v * 3.0)
        return seen[-1]

    x = tf.placeholder(tf.float32, [])
    out = tf.while_loop(lambda v: v < 100.0, body, [x])
    with tf.Session() as sess:
        assert sess.run(out, {x: 2.0}) == 162.0
        with pytest.raises(ValueError, match="marked as not fetchable"):
            sess.run(seen[0], {x: 2.0})


def test_gradients_against_central_differences():
    """d/dx and d/dw through a loop that uses x as its start and in every iteration, and w as
    its snapshot and by reference (read_value), for 0 to 3 iterations."""
    x = tf.placeholder(tf.float64, [3])
    n = tf.placeholder(tf.int32, [])
    w = tf.Variable(np.float64(0.9))
    _, y = tf.while_loop(lambda i, v: i < n,
                         lambda i, v: (i + 1, tf.sin(v) * w + x * w.read_value()),
                         [0, x * 2.0])
    loss = tf.reduce_sum(y * y)
    gx, gw = tf.gradients(loss, [x, w])

    def f(xv, wv, nv):
        v = xv * 2
        for _ in range(nv):
            v = np.sin(v) * wv + xv * wv
        return (v * v).sum()

    xv, eps = np.array([0.1, -0.5, 0.7]), 1e-6
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for nv in (0, 1, 3):
            got_x, got_w = sess.run([gx, gw], {x: xv, n: nv})
            want_x = [(f(xv + eps * e, 0.9, nv) - f(xv - eps * e, 0.9, nv)) / (2 * eps)
                      for e in np.eye(3)]
            want_w = (f(xv, 0.9 + eps, nv) - f(xv, 0.9 - eps, nv)) / (2 * eps)
            np.testing.assert_allclose(got_x, want_x, rtol=1e-6)
            np.testing.assert_allclose(got_w, want_w, rtol=1e-6, atol=1e-9)


def test_gradients_through_conds_in_the_body():
    """Values made in a cond branch inside the loop are pushed only in the iterations that
    take the branch, and popped behind a guard on the same predicate: nested conds, against
    central differences, for inputs that take different branches in different iterations."""
    x = tf.placeholder(tf.float64, [3])

    def body(i, v):
        v2 = tf.cond(tf.reduce_sum(v) > 1.0, lambda: tf.sin(v) * 0.7, lambda: v * v + 0.7)
        v3 = tf.cond(tf.equal(i % 2, 0),
                     lambda: tf.cond(v2[0] > 0.0, lambda: v2 * 2.0, lambda: tf.exp(v2)),
                     lambda: v2 - x)
        return i + 1, v3

    _, y = tf.while_loop(lambda i, v: i < 5, body, [0, x])
    loss = tf.reduce_sum(y * y)
    (gx,) = tf.gradients(loss, x)

    def f(xv):
        v = xv.copy()
        for i in range(5):
            v2 = np.sin(v) * 0.7 if v.sum() > 1.0 else v * v + 0.7
            v = (v2 * 2.0 if v2[0] > 0.0 else np.exp(v2)) if i % 2 == 0 else v2 - xv
        return (v * v).sum()

    eps = 1e-6
    with tf.Session() as sess:
        for xv in (np.array([0.1, 0.5, 0.7]), np.array([-0.3, 0.2, 0.1]),
                   np.array([2.0, -1.0, 0.5])):
            want = [(f(xv + eps * e) - f(xv - eps * e)) / (2 * eps) for e in np.eye(3)]
            np.testing.assert_allclose(sess.run(gx, {x: xv}), want, rtol=1e-6, atol=1e-8)
    # A constant captured in one branch: its gradient stays in the iterations that took it.
    c = tf.constant(2.0)
    _, r = tf.while_loop(lambda i, a: i < 3, lambda i, a: (
        i + 1, tf.cond(i < 1, lambda: a * c, lambda: a + c)), [0, tf.constant(1.0)])
    with tf.Session() as sess:
        assert sess.run([r, tf.gradients(r, c)[0]]) == [6.0, 3.0]  # r = 1*c + c + c


def test_second_order_through_a_loop_is_refused():
    """As TF1: a gradient loop is not differentiated again (its stack pops are no constants;
    taking them for constants gave wrong second derivatives)."""
    x = tf.placeholder(tf.float32, [])
    y = tf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, v * x), [0, x])[1]
    (g,) = tf.gradients(y, x)
    with pytest.raises(TypeError, match="Second-order gradient for while loops not supported"):
        tf.gradients(g, x)
    with pytest.raises(TypeError, match="Second-order"):
        tf.hessians(y, x)


def test_gradients_of_nested_loops_and_loops_in_branches():
    """A loop in a loop's body is differentiated inside the gradient loop of the loop around
    it (its stacks hold every inner iteration of every outer one, popped in reverse); a loop
    in a cond branch, only when that branch ran. Against central differences."""
    x = tf.placeholder(tf.float64, [3])
    p = tf.placeholder(tf.bool, [])
    w = tf.constant(0.7, tf.float64)

    def outer(i, v):
        _, inner = tf.while_loop(lambda j, u: j < i + 1, lambda j, u: (
            j + 1, tf.sin(u) * w + x * tf.cast(j, tf.float64)), [0, v])
        return i + 1, inner * 0.9

    _, nested = tf.while_loop(lambda i, v: i < 3, outer, [0, x])
    branchy = tf.cond(p, lambda: tf.while_loop(lambda k, v: k < 2, lambda k, v: (
        k + 1, tf.tanh(v) * x), [0, x * 2.0])[1], lambda: x * w)
    losses = [tf.reduce_sum(nested ** 2), tf.reduce_sum(branchy ** 2)]
    grads = [tf.gradients(loss, x)[0] for loss in losses]
    xv, eps = np.array([0.1, -0.5, 0.7]), 1e-6
    with tf.Session() as sess:
        for pv in (True, False):
            for loss, g in zip(losses, grads):
                feed = {x: xv, p: pv}
                want = [(sess.run(loss, {x: xv + eps * e, p: pv}) -
                         sess.run(loss, {x: xv - eps * e, p: pv})) / (2 * eps)
                        for e in np.eye(3)]
                np.testing.assert_allclose(sess.run(g, feed), want, rtol=1e-6, atol=1e-9)


def test_complex_loop_variable_and_invariant_gradients():
    """A complex loop variable whose update reads a complex value every iteration sees (an
    invariant, v0): the gradient of a real loss with respect to the float input it is made
    from matches central differences (TF 2.21 gives [8.931, -5.686] at this point)."""
    x = tf.placeholder(tf.float32, [2])
    c = tf.complex(tf.constant([0.9, 0.5]), tf.constant([0.2, -0.4]))
    v0 = tf.complex(x, x * 0.5)
    _, v = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * c + v0),
                         [tf.constant(0), v0])
    loss = tf.reduce_sum(tf.math.real(v * tf.math.conj(v)))
    [grad] = tf.gradients(loss, [x])
    xv, eps = np.array([0.3, -0.7], np.float32), 1e-3
    with tf.Session() as sess:
        got = sess.run(grad, {x: xv})
        want = [(sess.run(loss, {x: xv + eps * e}) - sess.run(loss, {x: xv - eps * e})) /
                (2 * eps) for e in np.eye(2, dtype=np.float32)]
    np.testing.assert_allclose(got, want, rtol=1e-3)
    np.testing.assert_allclose(got, [8.931, -5.686], rtol=1e-3)


def test_loop_gradient_details_as_tf1():
    """An invariant the body's gradient never reaches gets None (not zeros), so minimize
    says "No gradients"; a gathered invariant's gradient stays sparse (TF1's accumulator,
    with its leading zero row at index 0); gradients under a control scope on ops after the
    loop (UPDATE_OPS) do not make a cycle."""
    x = tf.placeholder(tf.float32, [3])
    bound = tf.Variable(5.0)
    table = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3))
    ids = tf.constant([1, 3, 1])
    _, y = tf.while_loop(lambda i, v: tf.cast(i, tf.float32) < bound,
                         lambda i, v: (i + 1, v + tf.gather(table, ids[i % 3]) * 0.5), [0, x])
    g_bound, g_table = tf.gradients(tf.reduce_sum(y), [bound, table])
    assert g_bound is None and isinstance(g_table, tf.IndexedSlices)
    with pytest.raises(ValueError, match="No gradients provided"):
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y), var_list=[bound])
    after = tf.identity(y)
    with tf.control_dependencies([after.op]):
        (g_x,) = tf.gradients(tf.reduce_sum(y * y), x)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(g_table, {x: [0.0, 1.0, 2.0]})
        dense = np.zeros((4, 3), np.float32)
        np.add.at(dense, values.indices, values.values)
        np.testing.assert_allclose(dense, [[0] * 3, [1.5] * 3, [0] * 3, [1.0] * 3])
        assert list(values.indices[:1]) == [0] and not values.values[0].any()
        yv = sess.run(y, {x: [0.0, 1.0, 2.0]})
        np.testing.assert_allclose(sess.run(g_x, {x: [0.0, 1.0, 2.0]}), 2 * yv)


def test_training_through_a_loop_and_gradients_twice():
    """An optimizer trains a recurrence through its loop (as the unrolled recurrence trains),
    and a second tf.gradients of the same loop gets its own counter and stacks."""
    xv = np.array([[0.5, -0.3], [0.1, 0.8]], np.float32)
    results = []
    for unrolled in (False, True):
        tf.reset_default_graph()
        x = tf.placeholder(tf.float32, [None, 2])
        w = tf.Variable([[0.3, -0.2], [0.4, 0.1]])
        if unrolled:
            h = x
            for _ in range(3):
                h = tf.tanh(tf.matmul(h, w) + x)
        else:
            def body(i, h, w=w, x=x):
                return i + 1, tf.tanh(tf.matmul(h, w) + x)

            _, h = tf.while_loop(lambda i, h: i < 3, body, [0, x])
        loss = tf.reduce_sum(tf.square(h - 0.25))
        step = tf.train.AdamOptimizer(0.1).minimize(loss)
        (again,) = tf.gradients(loss * 2.0, w)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(5):
                sess.run(step, {x: xv})
            results.append(sess.run([w, loss, again], {x: xv}))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_imported_loop_internals_name_the_loop():
    """A GraphDef's loop has no fetch guard: the plan refuses a value inside it by name."""
    x = tf.placeholder(tf.float32, [], name="x")
    tf.while_loop(lambda v: v < 10.0, lambda v: v + 1.0, [x], name="w")
    gd = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            assert sess.run("w/Exit:0", {"x:0": 0.5}) == 10.5
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="inside the while loop 'w/while_context'|inside a while"):
                sess.run("w/add:0", {"x:0": 0.5})
        assert g.get_operation_by_name("w/Merge").outputs[0].shape.rank is None


def test_loop_frame_ops_by_hand():
    """The frame ops built directly (as a GraphDef holds them): Enter, Merge with its back
    edge, LoopCond, Switch, NextIteration and Exit; counts 0 -> 4 with an invariant added."""
    from minitf.opdef import lookup

    enter, merge, loop_cond, switch, next_iteration, exit_ = (
        lookup(t) for t in ("Enter", "Merge", "LoopCond", "Switch", "NextIteration", "Exit"))
    start = tf.constant(0)
    step = tf.placeholder(tf.int32, [])
    e = enter(start, frame_name="f")
    s = enter(step, frame_name="f", is_constant=True)
    m, _ = merge([e, e])
    c = loop_cond(tf.less(m, 4))
    f, t = switch(m, c)
    body = tf.identity(t) + s
    m.op._update_input(1, next_iteration(body))
    out = exit_(f)
    assert e.op.get_attr("parallel_iterations") == 10
    with tf.Session() as sess:
        assert sess.run(out, {step: 1}) == 4 and sess.run(out, {step: 3}) == 6
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be a scalar"):
        with tf.Session() as sess:
            bad = loop_cond(tf.placeholder(tf.bool, None))
            sess.run(bad, {bad.op.inputs[0]: [True, False]})


def test_loop_runs_in_concurrent_plans():
    """The plan's loop step keeps no state between runs: concurrent runs get their own."""
    import concurrent.futures

    n = tf.placeholder(tf.int32, [])
    _, total = tf.while_loop(lambda i, t: i < n, lambda i, t: (i + 1, t + i), [0, 0])
    plan = Plan.compile(tf.get_default_graph(), [n], [total])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda k: int(plan.run([np.int32(k)])[0]), range(200)))
    assert got == [k * (k - 1) // 2 for k in range(200)]


def test_freeze_turns_references_into_enters():
    """A variable read by reference in the body (RefEnter) freezes to an Enter of its Const,
    and the frozen graph computes what the session did."""
    from minitf import export

    x = tf.placeholder(tf.float32, [None], name="x")
    w = tf.Variable(0.5, name="w")
    y = tf.while_loop(lambda v: tf.reduce_max(v) < 10.0, lambda v: v + w.read_value(), [x])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(w, 1.5))
        want = sess.run(y, {x: [1.0, 2.0]})
        frozen = export.freeze(sess, {"x": x}, {"y": y})
        gd = export.convert_variables_to_constants(sess, sess.graph.as_graph_def(), [y.op.name])
    types = {op.type for op in frozen.graph.get_operations()}
    assert "RefEnter" not in types and "VariableV2" not in types and "Enter" in types
    assert "RefEnter" not in {n.op for n in gd.node}
    with tf.Session(graph=frozen.graph) as sess:
        np.testing.assert_array_equal(sess.run(frozen.outputs["y"],
                                               {frozen.inputs["x"]: [1.0, 2.0]}), want)
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y.name, {"x:0": [1.0, 2.0]}), want)


def _programs(T):
    """Loop programs built the same way in minitf and tf.compat.v1: (feeds, fetches)."""
    x = T.placeholder(T.float32, [None, 3])
    n = T.placeholder(T.int32, [])
    w = T.Variable(np.arange(9, dtype=np.float32).reshape(3, 3) / 10.0)
    out = {}
    out["rnn"] = T.while_loop(lambda i, h: i < n,
                              lambda i, h: (i + 1, T.tanh(T.matmul(h, w) + x)),
                              [T.constant(0), T.zeros_like(x)])[1]
    out["grow"] = T.while_loop(
        lambda i, acc: i < n, lambda i, acc: (i + 1, T.concat([acc, T.reduce_sum(x, 1,
                                                                               keepdims=True)
                                                               * T.cast(i, T.float32)], 1)),
        [T.constant(0), T.zeros([T.shape(x)[0], 0])],
        shape_invariants=[T.TensorShape([]), T.TensorShape([None, None])])[1]

    def body(i, v):
        inner = T.while_loop(lambda j, u: j < i, lambda j, u: (j + 1, u * 0.5 + 1.0), [0, v])[1]
        return i + 1, T.cond(T.reduce_sum(inner) > 3.0, lambda: inner - 1.0,
                             lambda: inner * 2.0)

    out["nested"] = T.while_loop(lambda i, v: i < n, body, [T.constant(0), x])[1]
    out["capped"] = T.while_loop(lambda v: T.reduce_max(v) < 50.0, lambda v: v * 1.7 + 0.1,
                                 [T.abs(x) + 0.5], maximum_iterations=n)
    counter = T.Variable(0.0)

    def counting(k):
        with T.control_dependencies([T.assign_add(counter, 1.0)]):
            return k + 1

    with T.control_dependencies([T.assign(counter, 0.0)]):
        out["count"] = T.while_loop(lambda k: k < n, counting, [0])
    with T.control_dependencies([out["count"]]):
        out["counter"] = T.identity(counter)
    return x, n, out


def test_loops_match_tensorflow():
    """Values, and gradients of each program's float outputs with respect to x and w."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    feeds = [(np.array([[0.1, -0.2, 0.3], [1.0, 0.5, -1.5]], np.float32), k) for k in (0, 1, 4)]

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            x, n, out = _programs(T)
            w = [v for v in T.global_variables() if v.shape.rank == 2][0]
            for k in ("rnn", "grow", "capped"):
                gx, gw = T.gradients(T.reduce_sum(T.square(out[k])), [x, w])
                out[f"{k}/dx"], out[f"{k}/dw"] = gx, gw if gw is not None else T.zeros_like(w)
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                return [sess.run(out, {x: xv, n: nv}) for xv, nv in feeds]

    tf1.disable_control_flow_v2()
    try:
        theirs = run(tf1)
    finally:
        tf1.enable_control_flow_v2()
    ours = run(tf)
    for o, t in zip(ours, theirs):
        assert set(o) == set(t)
        for k in o:
            np.testing.assert_allclose(o[k], t[k], rtol=1e-5, atol=1e-6, err_msg=k)


def test_loop_graphs_move_both_ways_with_tensorflow():
    """TF1's GraphDef of these loops runs in minitf, and minitf's runs in TensorFlow, each as
    the other computes it; the node names, ops and inputs are the same."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.protos import graph_pb2

    xv = np.array([[0.3, -0.2, 0.6]], np.float32)

    def build(T):
        graph = T.Graph()
        with graph.as_default():
            x, n, out = _programs(T)
            del out["count"], out["counter"]  # variables' initializers: not in this GraphDef
            names = {k: v.name for k, v in out.items()}
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                frozen = T.graph_util.convert_variables_to_constants(
                    sess, graph.as_graph_def(), [v.op.name for v in out.values()])
                values = sess.run(out, {x: xv, n: 3})
        return graph_pb2.GraphDef.FromString(frozen.SerializeToString()), names, values, \
            (x.name, n.name)

    tf1.disable_control_flow_v2()
    tf1.disable_resource_variables()  # TF1's ref variables, as minitf's
    try:
        theirs_gd, names, theirs, (xn, nn) = build(tf1)
    finally:
        tf1.enable_control_flow_v2()
        tf1.enable_resource_variables()
    ours_gd, our_names, ours, _ = build(tf)
    assert names == our_names

    def frames(gd):  # the loops' own nodes (other ops' helper nodes may be named apart)
        return {n.name: (n.op, list(n.input), n.attr["frame_name"].s) for n in gd.node
                if n.op in ("Enter", "Merge", "Switch", "LoopCond", "NextIteration", "Exit")}

    assert frames(ours_gd) == frames(theirs_gd) and len(frames(ours_gd)) > 30
    with tf.Graph().as_default():
        tf.import_graph_def(theirs_gd, name="")
        with tf.Session() as sess:
            in_minitf = sess.run(names, {xn: xv, nn: 3})
    with tf1.Graph().as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(ours_gd.SerializeToString()), name="")
        with tf1.Session() as sess:
            in_tf = sess.run(names, {xn: xv, nn: 3})
    for k in names:
        np.testing.assert_allclose(in_minitf[k], theirs[k], rtol=1e-5, atol=1e-6, err_msg=k)
        np.testing.assert_allclose(in_tf[k], ours[k], rtol=1e-5, atol=1e-6, err_msg=k)


def test_stack_ops_and_control_trigger_by_hand():
    """StackV2/StackPushV2/StackPopV2 (what a loop's gradient keeps its forward values in):
    last in, first out, within one run; an empty pop names the stack. ControlTrigger (TF's
    gradient loops sync on it) runs even when its control inputs are dead, so what waits on it
    still runs."""
    from minitf.opdef import lookup

    stack_op, push, pop, trigger = (lookup(t) for t in ("StackV2", "StackPushV2", "StackPopV2",
                                                        "ControlTrigger"))
    handle = stack_op(-1, elem_type=tf.float32, stack_name="s")
    first = push(handle, tf.constant(1.0))
    with tf.control_dependencies([first]):
        second = push(handle, tf.constant(2.0))
    with tf.control_dependencies([second]):
        a = pop(handle, elem_type=tf.float32)
    with tf.control_dependencies([a]):
        b = pop(handle, elem_type=tf.float32)
    with tf.control_dependencies([b]):
        c = pop(handle, elem_type=tf.float32)
    with tf.Session() as sess:
        assert sess.run([a, b]) == [2.0, 1.0]
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Stack\[s\] is empty"):
            sess.run(c)
    p = tf.placeholder(tf.bool, [])
    dead_side = lookup("Switch")(tf.constant(1.0), p)[1] * 3.0  # dead when p is False
    with tf.control_dependencies([dead_side]):
        synced = trigger()
    with tf.control_dependencies([synced]):
        after = tf.constant(5.0) + 1.0
    with tf.control_dependencies([dead_side]):
        blocked = tf.constant(5.0) + 2.0
    with tf.Session() as sess:
        assert sess.run(after, {p: False}) == 6.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not have value"):
            sess.run(blocked, {p: False})


def test_a_plan_updates_only_the_loop_variables_it_needs():
    """Once a loop's gradient exists, the loop also carries an iteration counter whose update
    pushes every value the gradient needs. A plan fetching only the forward result prunes
    that variable, and so the pushes; a plan fetching the gradient keeps them. Both give the
    values of a graph without the gradient."""
    from minitf.plan import _Loop

    x = tf.placeholder(tf.float32, [3])
    _, unused, y = tf.while_loop(lambda i, u, v: i < 4,
                                 lambda i, u, v: (i + 1, u * 2.0, tf.sin(v) + x), [0, x, x])
    (gx,) = tf.gradients(tf.reduce_sum(y), x)
    graph = tf.get_default_graph()

    def body_ops(fetches):  # the ops the plan's loops run in each iteration
        plan = Plan.compile(graph, [x], fetches)
        loops = [step.op for step in plan._steps if isinstance(step.op, _Loop)]
        return {op.type for loop in loops for op in loop._body.ops}, plan

    forward, plan = body_ops([y])
    assert "StackPushV2" not in forward and "Mul" not in forward  # the counter, and `unused`
    backward, _ = body_ops([gx])
    assert "StackPushV2" in backward
    xv = np.array([0.1, 0.2, 0.3], np.float32)
    want = xv.copy()
    for _ in range(4):
        want = np.sin(want) + xv
    np.testing.assert_allclose(plan.run([xv])[0], want, rtol=1e-6)


def test_gradients_past_integer_loop_variables():
    """An integer loop variable fed back from the floats (an argmax choosing the next input,
    a "finished" flag) has no gradient of its own, and the gradient of the floats around it
    is still there: checked against central differences (the argmax choices stay fixed near
    the point)."""
    w = tf.placeholder(tf.float64, [2, 2])
    table = tf.constant([[1.0, 2.0], [3.0, -1.0]], tf.float64)

    def body(t, h, token, done):
        h2 = tf.tanh(tf.matmul(h, w) + tf.gather(table, token))
        h2 = tf.where(done, h, h2)
        return t + 1, h2, tf.cast(tf.argmax(h2, axis=1), tf.int32), \
            tf.logical_or(done, h2[:, 0] > 0.9)

    _, h, _, _ = tf.while_loop(lambda t, *_: t < 3, body, (
        tf.constant(0), tf.ones([2, 2], tf.float64), tf.constant([0, 1]),
        tf.constant([False, False])))
    loss = tf.reduce_sum(h * h)
    (gw,) = tf.gradients(loss, w)
    wv, eps = np.array([[0.5, -0.2], [0.3, 0.1]]), 1e-6
    with tf.Session() as sess:
        want = np.zeros_like(wv)
        for idx in np.ndindex(2, 2):
            d = np.zeros_like(wv)
            d[idx] = eps
            want[idx] = (sess.run(loss, {w: wv + d}) - sess.run(loss, {w: wv - d})) / (2 * eps)
        np.testing.assert_allclose(sess.run(gw, {w: wv}), want, rtol=1e-6, atol=1e-9)
        assert np.abs(want).sum() > 0.1


def test_loop_gradients_stop_where_tf1_stops():
    """As TF1: an Exit in stop_gradients passes no gradient into the loop; a loop variable
    whose update the differentiated one never reads gets None (so does its invariant), not
    zeros, whatever the other xs; differentiating with respect to an Exit itself builds no
    gradient loop, also for a loop imported from a GraphDef."""
    w, u = tf.constant(1.5), tf.constant(2.0)
    _, x, y = tf.while_loop(lambda i, x, y: i < 3, lambda i, x, y: (i + 1, x * w, y * u),
                            [0, 1.0, 1.0])
    graph = tf.get_default_graph()
    (stopped,) = tf.gradients(2.0 * x * w, w, stop_gradients=[x])
    both = tf.gradients(x, [w, u])
    assert both[1] is None
    before = len(graph.get_operations())
    (by_exit,) = tf.gradients(x * x, x)
    added = graph.get_operations()[before:]
    assert not any(op.type in ("StackPushV2", "Enter") for op in added)
    with tf.Session() as sess:
        assert sess.run(stopped) == 2.0 * 1.5 ** 3  # x held constant
        assert sess.run(both[0]) == 3 * 1.5 ** 2
        assert sess.run(by_exit) == 2 * 1.5 ** 3
    gd = graph.as_graph_def()
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        exit_x = g.get_tensor_by_name(x.name)
        (g_exit,) = tf.gradients(exit_x * 3.0, exit_x)
        with tf.Session() as sess:
            assert sess.run(g_exit) == 3.0


def test_a_loop_reads_only_what_its_needed_variables_read():
    """Fetching one loop variable does not ask for a feed only another variable reads (as
    TF1, which runs only what the fetch reaches)."""
    p = tf.placeholder(tf.int32, [])
    i, x = tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x + p), [0, 0])
    with tf.Session() as sess:
        assert sess.run(i) == 3
        assert sess.run([i, x], {p: 2}) == [3, 6]
        with pytest.raises(tf.errors.InvalidArgumentError, match="must feed a value"):
            sess.run(x)
