"""tf.cond and its Switch / Merge ops: only the taken branch runs, gradients flow through it,
and the graphs freeze, serialise and compare with tf.compat.v1."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import minitf as tf
from minitf.opdef import lookup

X = np.array([1.0, -2.0, 3.0], np.float32)


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()


def test_switch_and_merge_ops():
    """Switch routes its input to output 1 (pred true) or 0; Merge forwards the live input
    and its index. Fetching the dead output names it."""
    x = tf.placeholder(tf.float32, [None])
    p = tf.placeholder(tf.bool, [])
    switch, merge = lookup("Switch"), lookup("Merge")
    f, t = switch(x, p)
    out, index = merge([f * 10.0, t + 1.0])
    assert f.shape.as_list() == [None] and index.dtype == tf.int32 and index.shape.rank == 0
    with tf.Session() as sess:
        got, i = sess.run([out, index], {x: X, p: True})
        np.testing.assert_array_equal(got, X + 1.0)
        assert i == 1
        got, i = sess.run([out, index], {x: X, p: False})
        np.testing.assert_array_equal(got, X * 10.0)
        assert i == 0
        np.testing.assert_array_equal(sess.run(t, {x: X, p: True}), X)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Retval\[0\] does not have value: Switch:1 is on the branch"):
            sess.run(t, {x: X, p: False})
        ref_out, ref_index = lookup("RefMerge")([f * 10.0, t + 1.0])  # TF1's form for refs
        np.testing.assert_array_equal(sess.run(ref_out, {x: X, p: False}), X * 10.0)
        assert sess.run(ref_index, {x: X, p: True}) == 1
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        switch(x, tf.constant([True, False]))
    q = tf.placeholder(tf.bool)  # unknown rank: checked when it runs
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="second input must be a scalar"):
        sess.run(switch(x, q)[1], {x: X, q: [True]})


def test_merge_shape_keeps_what_inputs_agree_on():
    a = tf.placeholder(tf.float32, [None, 3, 4])
    b = tf.placeholder(tf.float32, [2, 3, 5])
    out, _ = lookup("Merge")([a, b])
    assert out.shape.as_list() == [None, 3, None]
    out, _ = lookup("Merge")([a, tf.placeholder(tf.float32, [2, 3])])
    assert out.shape.rank is None


def test_cond_picks_the_branch_at_run_time():
    x = tf.placeholder(tf.float32, [None])
    p = tf.placeholder(tf.bool, [])
    v = tf.Variable(4.0)
    y = tf.cond(p, lambda: x * 2.0 + 1.0, lambda: tf.reduce_sum(x) * tf.ones_like(x) - v)
    assert y.shape.as_list() == [None] and y.dtype == tf.float32
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(y, {x: X, p: True}), X * 2 + 1)
        np.testing.assert_allclose(sess.run(y, {x: X, p: False}), np.full(3, X.sum() - 4.0))


def test_only_the_taken_branch_runs():
    """Side effects (an assign, an Assert) in the branch not taken never happen."""
    p = tf.placeholder(tf.bool, [])
    x = tf.placeholder(tf.float32, [])
    hits = tf.Variable(0.0)
    misses = tf.Variable(0.0)

    def checked():  # would fail the run if it ran with x <= 0
        with tf.control_dependencies([tf.assert_positive(x)]):
            return tf.assign_add(hits, 1.0)

    out = tf.cond(p, checked, lambda: tf.assign_add(misses, 1.0))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for pv, xv in [(True, 1.0), (False, -5.0), (False, -1.0), (True, 2.0), (True, 3.0)]:
            sess.run(out, {p: pv, x: xv})
        assert sess.run([hits, misses]) == [3.0, 2.0]
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(out, {p: True, x: -1.0})


def test_constants_and_python_values_in_branches():
    """Ops without inputs made in a branch (and Python results) belong to it: a branch may
    return constants, and a branch's constant does not run when the other one is taken."""
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: 1.5, lambda: tf.constant(-2.5) * 2.0)
    z = tf.cond(p, lambda: tf.zeros([2]), lambda: tf.ones([2]))
    with tf.Session() as sess:
        assert sess.run(y, {p: True}) == 1.5
        assert sess.run(y, {p: False}) == -5.0
        np.testing.assert_array_equal(sess.run(z, {p: False}), [1.0, 1.0])
    pivots = [op for op in tf.get_default_graph().get_operations() if op.type == "Const" and
              any(c.name.endswith("switch_t") for c in op.control_inputs)]
    assert pivots, "constants in the true branch hang on its pivot"


def test_constant_pred_and_outside_tensor_results():
    """A constant predicate still decides at run time (Switch is never folded); a branch may
    return a tensor made outside it."""
    x = tf.placeholder(tf.float32, [None])
    y = tf.cond(tf.constant(False), lambda: x, lambda: x * 3.0)
    w = tf.cond(tf.constant(True), lambda: x, lambda: x * 3.0)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: X}), X * 3)
        np.testing.assert_allclose(sess.run(w, {x: X}), X)


def test_nested_cond():
    x = tf.placeholder(tf.float32, [None])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.cond(x[0] > 1.5, lambda: x + 100.0, lambda: x - 100.0),
                lambda: x * 0.5)
    with tf.Session() as sess:
        for pv, xv, want in [(True, [1.0, 2.0], [-99.0, -98.0]),
                             (True, [2.0, 2.0], [102.0, 102.0]),
                             (False, [2.0, 4.0], [1.0, 2.0])]:
            np.testing.assert_allclose(sess.run(y, {p: pv, x: xv}), want)


def test_structures_and_strict():
    p = tf.placeholder(tf.bool, [])
    Pair = collections.namedtuple("Pair", "a b")
    out = tf.cond(p, lambda: {"u": tf.constant(1), "v": (tf.constant(2.0), tf.constant(3.0))},
                  lambda: {"u": tf.constant(4), "v": (tf.constant(5.0), tf.constant(6.0))})
    pair = tf.cond(p, lambda: Pair(tf.constant(1.0), tf.constant(2.0)),
                   lambda: Pair(tf.constant(3.0), tf.constant(4.0)))
    single = tf.cond(p, lambda: [tf.constant(7.0)], lambda: [tf.constant(8.0)])
    strict = tf.cond(p, lambda: [tf.constant(7.0)], lambda: [tf.constant(8.0)], strict=True)
    assert isinstance(out["v"], tuple) and isinstance(pair, Pair)
    assert isinstance(single, tf.Tensor) and isinstance(strict, list) and len(strict) == 1
    with tf.Session() as sess:
        assert sess.run(out, {p: False}) == {"u": 4, "v": (5.0, 6.0)}
        assert sess.run(pair, {p: True}) == Pair(1.0, 2.0)
        assert sess.run(single, {p: False}) == 8.0
        assert sess.run(strict, {p: True}) == [7.0]


def test_branch_returning_an_op():
    p = tf.placeholder(tf.bool, [])
    v = tf.Variable(1.0)
    out = tf.cond(p, lambda: tf.assign(v, 5.0).op, lambda: tf.no_op())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert bool(sess.run(out, {p: False})) is False and sess.run(v) == 1.0
        assert bool(sess.run(out, {p: True})) is True and sess.run(v) == 5.0


def test_variables_made_in_a_branch_are_initialized_outside_it():
    """A variable created in a branch (TF1 lifts it out, init_scope) initializes whichever
    branch runs later; an initial value made in the branch is refused, as in TF1."""
    p = tf.placeholder(tf.bool, [])

    def branch():
        w = tf.get_variable("w", [2], initializer=tf.constant_initializer([2.0, 3.0]))
        return w * 2.0

    y = tf.cond(p, branch, lambda: tf.zeros([2]))
    with pytest.raises(ValueError, match="Initializer for variable cond_1/v is from inside a "
                                         "control-flow construct"):
        tf.cond(p, lambda: tf.Variable(tf.constant(1.0), name="v"), lambda: 1.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(y, {p: False}), [0.0, 0.0])
        np.testing.assert_allclose(sess.run(y, {p: True}), [4.0, 6.0])


def test_cond_gradients_follow_the_taken_branch():
    """d/dx and d/dv: each branch's own derivative; zero for what the taken branch does not
    use (hand-computed)."""
    x = tf.placeholder(tf.float32, [None])
    p = tf.placeholder(tf.bool, [])
    v = tf.Variable(0.5)
    y = tf.cond(p, lambda: tf.square(x) * v, lambda: tf.sin(x))
    gx, gv = tf.gradients(tf.reduce_sum(y), [x, v])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([gx, gv], {x: X, p: True})
        np.testing.assert_allclose(got[0], 2 * X * 0.5, rtol=1e-6)
        np.testing.assert_allclose(got[1], np.sum(X ** 2), rtol=1e-6)
        got = sess.run([gx, gv], {x: X, p: False})
        np.testing.assert_allclose(got[0], np.cos(X), rtol=1e-6)
        assert got[1] == 0.0


def test_training_through_cond():
    """Gradient descent through a cond whose branch depends on the data: each step updates
    with the derivative of the branch it took (numpy reference)."""
    x = tf.placeholder(tf.float32, [])
    w = tf.Variable(1.0)
    loss = tf.cond(x > 0.0, lambda: tf.square(w * x - 2.0), lambda: tf.abs(w + x))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    want = 1.0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for xv in [1.0, -3.0, 2.0, -0.5, 0.5]:
            sess.run(train, {x: xv})
            grad = 2 * (want * xv - 2.0) * xv if xv > 0 else np.sign(want + xv)
            want = want - 0.1 * grad
            np.testing.assert_allclose(sess.run(w), want, rtol=1e-5)


def test_cond_errors_name_the_problem():
    p = tf.placeholder(tf.bool, [])
    with pytest.raises(TypeError, match="'pred' must not be a Python bool"):
        tf.cond(True, lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="'true_fn' must be callable"):
        tf.cond(p, 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="'false_fn' argument required"):
        tf.cond(p, lambda: 1.0)
    with pytest.raises(ValueError, match="'true_fn' must have a return value"):
        tf.cond(p, lambda: None, lambda: 2.0)
    with pytest.raises(ValueError, match="Incompatible return values"):
        tf.cond(p, lambda: (1.0, 2.0), lambda: 2.0)
    with pytest.raises(ValueError, match="Received float32 from 'true_fn' and int32"):
        tf.cond(p, lambda: 1.0, lambda: 2)
    with pytest.raises(TypeError, match="bool"):
        tf.cond(tf.constant(1.0), lambda: 1.0, lambda: 2.0)


def test_cond_graph_round_trips_through_graph_def_and_freeze():
    """A frozen cond graph (Switch, Merge, control inputs on the pivots) imported again runs
    both branches as the original did; a variable read in a branch (RefSwitch) becomes a
    plain Switch of its Const, both through freeze and convert_variables_to_constants."""
    from minitf import export

    x = tf.placeholder(tf.float32, [None], name="x")
    w = tf.Variable(2.0, name="w")
    y = tf.identity(tf.cond(tf.reduce_sum(x) > 0.0, lambda: x * w.read_value() + 1.0,
                            lambda: tf.fill(tf.shape(x), -1.0) * w), name="y")
    assert "RefSwitch" in {op.type for op in tf.get_default_graph().get_operations()}
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    frozen = export.freeze(sess, {"x": x}, {"y": y}).as_graph_def()
    converted = tf.graph_util.convert_variables_to_constants(
        sess, tf.get_default_graph().as_graph_def(), ["y"])
    for graph_def in (frozen, converted):
        ops = {n.op for n in graph_def.node}
        assert {"Switch", "Merge"} <= ops and not {"RefSwitch", "VariableV2"} & ops
        with tf.Graph().as_default() as g:
            tf.import_graph_def(graph_def, name="")
            with tf.Session(graph=g) as s2:
                for xv in (X, -X):
                    np.testing.assert_allclose(s2.run("y:0", {"x:0": xv}),
                                               sess.run(y, {x: xv}))
    sess.close()


def test_cond_matches_tensorflow():
    """The same conds in tf.compat.v1: values and gradients of both branches, nested."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            x = T.placeholder(T.float32, [None])
            p = T.placeholder(T.bool, [])
            v = T.Variable(0.7)
            y = T.cond(p, lambda: T.tanh(x * v) + T.cond(x[0] > 0.0, lambda: x, lambda: -x),
                       lambda: (T.exp(x * 0.1), v * 2.0)[0])
            grads = T.gradients(T.reduce_sum(y * y), [x, v])
            grads = [g if g is not None else T.constant(0.0) for g in grads]
            out = []
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                for pv, xv in [(True, X), (True, -X), (False, X)]:
                    out.append(sess.run([y] + grads, {x: xv, p: pv}))
            return out

    for ours, theirs in zip(run(tf), run(tf1)):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_case_takes_the_first_true_predicate():
    x = tf.placeholder(tf.int32, [])
    out = tf.case([(tf.less(x, 0), lambda: tf.constant(-1)),
                   (tf.equal(x, 0), lambda: tf.constant(0)),
                   (tf.less(x, 10), lambda: x * 2)], default=lambda: tf.constant(99))
    overlapping = tf.case([(tf.less(x, 5), lambda: tf.constant(1)),
                           (tf.less(x, 10), lambda: tf.constant(2))],
                          default=lambda: tf.constant(3))
    with tf.Session() as sess:
        for xv, want in [(-4, -1), (0, 0), (3, 6), (12, 99)]:
            assert sess.run(out, {x: xv}) == want
        assert [sess.run(overlapping, {x: v}) for v in (1, 7, 20)] == [1, 2, 3]


def test_case_without_default_or_exclusive_checks_at_run_time():
    """No default: the last pair's function is it, and no true predicate fails the run;
    exclusive: two true predicates fail it."""
    x = tf.placeholder(tf.int32, [])
    out = tf.case([(tf.less(x, 0), lambda: tf.constant(-1)),
                   (tf.greater(x, 0), lambda: tf.constant(1))])
    excl = tf.case({tf.less(x, 5): lambda: tf.constant(1),
                    tf.less(x, 10): lambda: tf.constant(2)},
                   default=lambda: tf.constant(3), exclusive=True)
    with tf.Session() as sess:
        assert sess.run(out, {x: -3}) == -1 and sess.run(out, {x: 3}) == 1
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="None of conditions evaluated as True"):
            sess.run(out, {x: 0})
        assert sess.run(excl, {x: 7}) == 2 and sess.run(excl, {x: 11}) == 3
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="exclusive=True: more than 1 conditions"):
            sess.run(excl, {x: 1})


def test_case_argument_errors():
    p = tf.placeholder(tf.bool, [])
    with pytest.raises(TypeError, match="must be a list, tuple, or dict"):
        tf.case(p)
    with pytest.raises(TypeError, match="must be a 2-tuple"):
        tf.case([(p, lambda: 1.0, 2)])
    with pytest.raises(TypeError, match="pred must be Tensor of type bool"):
        tf.case([(tf.constant(1), lambda: 1.0)])
    with pytest.raises(TypeError, match="must be callable"):
        tf.case([(p, 1.0)])


def test_case_matches_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            x = T.placeholder(T.float32, [])
            out = T.case([(x < -1.0, lambda: x * 3.0), (x < 1.0, lambda: T.sin(x)),
                          (x < 4.0, lambda: T.square(x))], default=lambda: -x)
            grad = T.gradients(out, x)[0]
            with T.Session() as sess:
                return [sess.run([out, grad], {x: v}) for v in (-2.0, 0.5, 2.0, 9.0)]

    np.testing.assert_allclose(run(tf), run(tf1), rtol=1e-6)


def test_a_control_edge_from_a_switch_that_ran_is_live():
    """An op depending on a Switch (not on its outputs) runs whenever the Switch ran, even
    though one of its outputs is dead; a fed tensor's op still says whether it ran."""
    x = tf.placeholder(tf.float32, [])
    p = tf.placeholder(tf.bool, [])
    _, t = lookup("Switch")(x, p)
    with tf.control_dependencies([t.op]):
        y = tf.identity(x + 1.0)
    branch = tf.cond(p, lambda: x * 2.0, lambda: x)
    inner = tf.get_default_graph().get_operation_by_name("cond/mul")
    with tf.control_dependencies([inner]):
        z = tf.identity(x - 1.0)
    with tf.Session() as sess:
        assert sess.run(y, {x: 1.0, p: True}) == 2.0
        assert sess.run(y, {x: 1.0, p: False}) == 2.0
        assert sess.run(branch, {x: 3.0, p: True}) == 6.0
        assert sess.run(z, {x: 1.0, p: True}) == 0.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not have value"):
            sess.run(z, {x: 1.0, p: False, inner.outputs[0]: 5.0})  # fed, but it did not run


def test_a_variable_read_in_the_branch_not_taken_is_not_read():
    """TF1's initialized_value pattern: an uninitialized variable read only in the branch
    that is not taken (TF1's RefSwitch defers the read)."""
    v = tf.Variable(3.0)
    y = tf.cond(tf.is_variable_initialized(v), v.read_value, lambda: tf.constant(-1.0))
    with tf.Session() as sess:
        assert sess.run(y) == -1.0
        sess.run(v.initializer)
        assert sess.run(y) == 3.0


def test_branch_ops_cannot_be_fetched():
    """As in TF1: the ops of a branch (and its switches) are not fetchable; the result is."""
    x = tf.placeholder(tf.float32, [])
    p = tf.placeholder(tf.bool, [])
    made = {}

    def branch():
        made["h"] = x * 2.0
        return made["h"] + 1.0

    y = tf.cond(p, branch, lambda: x)
    graph = tf.get_default_graph()
    assert not graph.is_fetchable(made["h"]) and graph.is_fetchable(y)
    with tf.Session() as sess:
        assert sess.run(y, {x: 1.0, p: True}) == 3.0
        with pytest.raises(ValueError, match="has been marked as not fetchable"):
            sess.run(made["h"], {x: 1.0, p: True})


def test_static_shapes_flow_into_branches():
    """Constant arguments made outside a branch keep their static value through its Switch, so
    shapes inside are as known as outside (a dense layer in a branch needs its input's last
    dimension)."""
    x = tf.placeholder(tf.float32, [None])
    p = tf.placeholder(tf.bool, [])
    shape = tf.constant([-1, 4])
    made = {}

    def branch():
        made["r"] = tf.reshape(x, shape)
        return tf.layers.dense(made["r"], 2)

    y = tf.cond(p, branch, lambda: tf.zeros([3, 2]))
    assert made["r"].shape.as_list() == [None, 4]
    assert y.shape.as_list() == [None, 2]


def test_variable_initial_values_from_any_branch_are_refused():
    """Whichever branch (nested, or captured and used after the cond) made the value."""
    p = tf.placeholder(tf.bool, [])
    kept = []

    def inner():
        kept.append(tf.constant(1.0) * 2.0)
        return kept[-1]

    tf.cond(p, lambda: tf.cond(p, inner, lambda: 0.0), lambda: 0.0)
    with pytest.raises(ValueError, match="is from inside a control-flow construct"):
        tf.Variable(kept[0])
    with pytest.raises(ValueError, match="is from inside a control-flow construct"):
        tf.cond(p, lambda: tf.cond(p, lambda: tf.Variable(kept[0]), lambda: 0.0),
                lambda: 0.0)


def test_case_exclusive_without_default_checks_the_others_only():
    """TF1: the last pair is the default, so exclusivity is checked on the pairs before it."""
    x = tf.placeholder(tf.int32, [])
    out = tf.case([(x > 0, lambda: tf.constant(1)), (x > 5, lambda: tf.constant(2))],
                  exclusive=True)
    with tf.Session() as sess:
        assert sess.run(out, {x: 9}) == 1


def test_strict_structure_types_must_match():
    p = tf.placeholder(tf.bool, [])
    with pytest.raises(TypeError, match="Incompatible return types"):
        tf.cond(p, lambda: (tf.constant(1.0),), lambda: [tf.constant(2.0)], strict=True)


def test_tensorflow_training_graph_with_cond_trains_the_same():
    """A TF1 training graph with tf.cond (v1 control flow: Switch/Merge in the forward pass
    and in its gated gradients) imported into minitf updates its variable as TensorFlow does,
    for both branches."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.protos import graph_pb2

    tf1.disable_control_flow_v2()
    try:
        g = tf1.Graph()
        with g.as_default():
            x = tf1.placeholder(tf1.float32, [3], name="x")
            p = tf1.placeholder(tf1.bool, [], name="p")
            v = tf1.get_variable("v", initializer=tf1.constant([0.5, 1.5, 2.5]),
                                 use_resource=False)
            y = tf1.cond(p, lambda: x * v, lambda: x + v)
            tf1.train.GradientDescentOptimizer(0.01).minimize(tf1.reduce_sum(y * y),
                                                              name="train")
            init = tf1.global_variables_initializer()
            want = []
            with tf1.Session() as sess:
                sess.run(init)
                for pv in (True, False, True):
                    sess.run("train", {x: X, p: pv})
                    want.append(sess.run(v))
        graph_def = graph_pb2.GraphDef.FromString(g.as_graph_def().SerializeToString())
    finally:
        tf1.enable_control_flow_v2()
    assert {"Switch", "Merge"} <= {n.op for n in graph_def.node}
    tf.import_graph_def(graph_def, name="")
    with tf.Session() as sess:
        sess.run(init.name)
        for pv, w in zip((True, False, True), want):
            sess.run("train", {"x:0": X, "p:0": pv})
            np.testing.assert_allclose(sess.run("v:0"), w, rtol=1e-6)


def test_initialized_value_is_the_value_once_initialized():
    """TF1's initialized_value: the initial value while the variable is uninitialized, its
    current value afterwards (a cond on is_variable_initialized)."""
    a = tf.Variable(2.0)
    b = tf.Variable(a.initialized_value() * 3.0)
    with tf.Session() as sess:
        sess.run(b.initializer)  # a not initialized yet: its initial value
        assert sess.run(b) == 6.0
        sess.run(a.initializer)
        sess.run(a.assign(5.0))
        sess.run(b.initializer)
        assert sess.run(b) == 15.0


def test_sparse_gradients_stay_sparse_through_cond():
    """A gather in a branch gives an IndexedSlices through Switch and Merge: the taken
    branch's rows, and from the other branch's Switch all rows as zeros, as TF1's merge makes
    them (by hand: ids [0, 2] in the true branch, 3 per element). Momentum's sparse update then
    trains as tf.compat.v1 with v1 control flow does."""
    table = np.arange(8, dtype=np.float32).reshape(4, 2) / 4.0
    steps = [([0, 2], True), ([1], False), ([3, 3], True), ([2], True)]

    def run(T):
        graph = T.Graph()
        with graph.as_default():
            emb = T.Variable(table)
            ids = T.placeholder(T.int32, [None])
            p = T.placeholder(T.bool, [])
            y = T.cond(p, lambda: T.gather(emb, ids) * 3.0, lambda: T.gather(emb, ids) ** 2)
            loss = T.reduce_sum(y)
            grad = T.gradients(loss, emb)[0]
            train = T.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                first = sess.run(grad, {ids: [0, 2], p: True})
                for i, pv in steps:
                    sess.run(train, {ids: i, p: pv})
                return type(grad).__name__, first, sess.run(emb)

    kind, first, got = run(tf)
    assert kind == "IndexedSlices"
    np.testing.assert_array_equal(first.indices, [0, 1, 2, 3, 0, 2])
    np.testing.assert_array_equal(first.values, [[0, 0]] * 4 + [[3, 3]] * 2)
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    tf1.disable_control_flow_v2()  # TF1's Switch/Merge (TF 2's If op gives no zero rows)
    try:
        theirs = run(tf1)
    finally:
        tf1.enable_control_flow_v2()
    assert theirs[0] == "IndexedSlices"
    np.testing.assert_array_equal(theirs[1].indices, first.indices)
    np.testing.assert_allclose(got, theirs[2], rtol=1e-5)


def test_ref_switch_defers_reads_and_updates():
    """RefSwitch passes the variable itself: an update through its output (as TF1 graphs
    assign in a branch) happens only when that branch runs, and a read only then too."""
    p = tf.placeholder(tf.bool, [])
    count = tf.Variable(0.0)
    _, taken = lookup("RefSwitch")(count._ref(), p)
    bump = tf.assign_add(taken, 1.0)
    read = tf.identity(taken) * 10.0
    unset = tf.Variable(5.0)
    _, unset_taken = lookup("RefSwitch")(unset._ref(), p)
    unset_read = tf.identity(unset_taken)
    v = tf.Variable(2.0)
    y = tf.cond(p, lambda: v.read_value() * 3.0, lambda: tf.constant(0.0))  # the ref: RefSwitch
    assert "RefSwitch" in {op.type for op in tf.get_default_graph().get_operations()
                           if op.name.startswith("cond/")}
    with tf.Session() as sess:
        sess.run([count.initializer, v.initializer])
        for pv in (True, False, True):
            sess.run(bump.op, {p: pv})  # a dead target just does not run
        assert sess.run(count) == 2.0
        assert sess.run(read, {p: True}) == 20.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not have value"):
            sess.run(unset_read, {p: False})  # not read: dead, no uninitialized error
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized"):
            sess.run(unset_read, {p: True})
        assert sess.run(y, {p: True}) == 6.0 and sess.run(y, {p: False}) == 0.0
        (grad,) = tf.gradients(y, v)
        assert sess.run(grad, {p: True}) == 3.0 and sess.run(grad, {p: False}) == 0.0


def test_ref_switch_graphs_move_both_ways_with_tensorflow():
    """A TF1 graph with an assign in a branch and initialized_value (RefSwitch) runs in minitf
    as in TensorFlow, and minitf's initialized_value graph runs in TensorFlow with only the
    dependent variable's initializer (its read is deferred there too)."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from minitf.protos import graph_pb2

    tf1.disable_control_flow_v2()
    try:
        g = tf1.Graph()
        with g.as_default():
            p = tf1.placeholder(tf1.bool, [], name="p")
            step = tf1.Variable(0.0, name="step", use_resource=False)
            a = tf1.Variable([1.0, 2.0], name="a", use_resource=False)
            b = tf1.Variable(a.initialized_value() * 2.0, name="b", use_resource=False)
            tf1.cond(p, lambda: tf1.assign_add(step, 1.0), lambda: tf1.identity(step),
                     name="up")
            want = []
            with tf1.Session() as sess:
                sess.run(b.initializer)  # a is not initialized yet: its initial value
                want.append(sess.run(b))
                sess.run(tf1.global_variables_initializer())
                want += [sess.run("up/Merge:0", {p: pv}) for pv in (True, False, True)]
        graph_def = graph_pb2.GraphDef.FromString(g.as_graph_def().SerializeToString())
    finally:
        tf1.enable_control_flow_v2()
    assert "RefSwitch" in {n.op for n in graph_def.node}
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            sess.run("b/Assign")
            got = [sess.run("b:0")]
            sess.run(["step/Assign", "a/Assign", "b/Assign"])
            got += [sess.run("up/Merge:0", {"p:0": pv}) for pv in (True, False, True)]
    for w, o in zip(want, got):
        np.testing.assert_array_equal(o, w)
    with tf.Graph().as_default() as ours:
        a = tf.Variable([1.0, 2.0], name="a")
        tf.Variable(a.initialized_value() * 2.0, name="b")
    theirs = tf1.Graph()
    with theirs.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(
            ours.as_graph_def().SerializeToString()), name="")
        with tf1.Session() as sess:
            sess.run("b/Assign")
            np.testing.assert_array_equal(sess.run("b:0"), [2.0, 4.0])


def test_what_follows_a_cond_is_not_conditional():
    """A cond's Merge joins both branches of one predicate, so the ops after it always run:
    the executor leaves them unguarded. A Merge of two unrelated Switches stays conditional,
    and an op after it does not run when neither input is live."""
    from minitf.plan import _Compiler

    x = tf.placeholder(tf.float32, [None])
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: x * 2.0, lambda: tf.constant(1.0) + x)  # a constant: the pivot
    after = tf.nn.relu(y) * 3.0
    q = tf.placeholder(tf.bool, [])
    switch, merge = lookup("Switch"), lookup("Merge")
    loose = tf.nn.relu(merge([switch(x, p)[1], switch(x, q)[1]])[0])
    everything = tf.get_default_graph().get_operations()  # in creation order: topological
    conditional = _Compiler._maybe_dead(everything, {x, p, q})
    assert y.op not in conditional and after.op not in conditional
    assert {"cond/mul", "cond/add", "cond/Const"} <= {op.name for op in conditional}
    assert loose.op in conditional
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(after, {x: [1.0, -3.0], p: False}), [6.0, 0.0])
        assert sess.run(loose, {x: [2.0], p: False, q: True}) == [2.0]
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not have value"):
            sess.run(loose, {x: [2.0], p: False, q: False})


def test_switch_n_routes_to_one_output():
    """_SwitchN (TF's lowered Case): output_index's output is live, the others dead; an index
    out of range takes the last output, as TF's kernel."""
    x = tf.placeholder(tf.float32, [None])
    i = tf.placeholder(tf.int32, [])
    outs = lookup("_SwitchN")(x, i, num_outs=3, name="switch_n")  # (a name can't start "_")
    assert len(outs) == 3 and all(o.shape.as_list() == [None] for o in outs)
    out, index = lookup("Merge")([outs[0] + 1.0, outs[1] * 2.0, outs[2] - 3.0])
    with tf.Session() as sess:
        for k, want, branch in ((0, X + 1.0, 0), (1, X * 2.0, 1), (2, X - 3.0, 2),
                                (7, X - 3.0, 2), (-1, X - 3.0, 2)):
            got, taken = sess.run([out, index], {x: X, i: k})
            np.testing.assert_array_equal(got, want)
            assert taken == branch
        with pytest.raises(tf.errors.InvalidArgumentError, match="switch_n:1 is on the branch"):
            sess.run(outs[1], {x: X, i: 0})
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        lookup("_SwitchN")(x, tf.constant([0, 1]), num_outs=2, name="bad")
