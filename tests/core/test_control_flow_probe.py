"""Control-flow cases a probe against TensorFlow found wrong: tf.cond returning TensorArrays,
gradients of conds inside loops exported to TensorFlow, dead control inputs of NextIteration,
SparseTensor loop variables with shape invariants, and the error for a mismatched body with
maximum_iterations. Values are checked by hand; exported graphs also run in TensorFlow when
it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError

X = np.array([1.0, 2.0, 3.0], np.float32)


# -- tf.cond returning a TensorArray ---------------------------------------------------------------
def test_cond_returns_a_tensor_array_with_the_taken_branch_written():
    p = tf.placeholder(tf.bool, [])
    ta = tf.TensorArray(tf.float32, size=2).write(0, 5.0)
    r = tf.cond(p, lambda: ta.write(1, 1.0), lambda: ta.write(1, 2.0))
    assert isinstance(r, tf.TensorArray) and r.flow.op.type == "Merge"
    stacked = r.stack()
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(stacked, {p: False}), [5.0, 2.0])
        np.testing.assert_array_equal(sess.run(stacked, {p: True}), [5.0, 1.0])


def test_cond_singletons_and_strict_keep_the_array():
    p = tf.placeholder(tf.bool, [])
    ta = tf.TensorArray(tf.float32, size=1)
    loose = tf.cond(p, lambda: [ta.write(0, 1.0)], lambda: [ta.write(0, 2.0)])
    strict = tf.cond(p, lambda: [ta.write(0, 3.0)], lambda: [ta.write(0, 4.0)], strict=True)
    assert isinstance(loose, tf.TensorArray)
    assert isinstance(strict, list) and isinstance(strict[0], tf.TensorArray)
    with tf.Session() as sess:
        assert sess.run(loose.stack(), {p: True}).tolist() == [1.0]
        assert sess.run(strict[0].stack(), {p: False}).tolist() == [4.0]


@pytest.mark.parametrize("taken,want_y,want_g", [(False, 74.0, 37.0), (True, 53.0, 46.0)])
def test_gradient_through_a_cond_returning_an_array_and_a_tensor(taken, want_y, want_g):
    """ta = [5x, x*x or 3x]; y = ta[0] + 10 ta[1] + (x + 1 or 2x), at x = 2 (as TF1)."""
    p = tf.placeholder(tf.bool, [])
    x = tf.placeholder(tf.float32, [])
    ta = tf.TensorArray(tf.float32, size=2).write(0, x * 5.0)
    arr, t = tf.cond(p, lambda: (ta.write(1, x * x), x + 1.0),
                     lambda: (ta.write(1, 3.0 * x), x * 2.0))
    assert isinstance(arr, tf.TensorArray)
    y = tf.reduce_sum(arr.stack() * [1.0, 10.0]) + t
    g = tf.gradients(y, x)[0]
    with tf.Session() as sess:
        got_y, got_g = sess.run([y, g], {p: taken, x: 2.0})
    assert (got_y, got_g) == (want_y, want_g)


def test_gradient_through_a_cond_writing_an_array_in_a_loop():
    """ta[i] = x (i + 1) for even i, x * x for odd i; y = ta[0] + 10 ta[1] + 100 ta[2]:
    y = x + 10 x^2 + 300 x, dy/dx = 1 + 20 x + 300 (993 and 361 at x = 3, as TF1)."""
    x = tf.placeholder(tf.float32, [])

    def body(i, ta):
        ta = tf.cond(tf.equal(i % 2, 0), lambda: ta.write(i, x * tf.cast(i + 1, tf.float32)),
                     lambda: ta.write(i, x * x))
        return i + 1, ta

    _, ta = tf.while_loop(lambda i, ta: i < 3, body, [0, tf.TensorArray(tf.float32, size=3)])
    y = tf.reduce_sum(ta.stack() * [1.0, 10.0, 100.0])
    g = tf.gradients(y, x)[0]
    with tf.Session() as sess:
        assert sess.run([y, g], {x: 3.0}) == [993.0, 361.0]


def test_cond_refuses_an_array_against_a_tensor():
    p = tf.placeholder(tf.bool, [])
    ta = tf.TensorArray(tf.float32, size=1)
    with pytest.raises(TypeError, match="'true_fn' is a TensorArray, but the one of 'false_fn' "
                       "is a Tensor"):
        tf.cond(p, lambda: ta.write(0, 1.0), lambda: tf.constant(2.0))


# -- gradients of conds in loops, exported to TensorFlow -------------------------------------------
def _cond_in_loop(T, x):
    """y: x, x^2, x^2 + 1, x^3 + x; dy/dx = 3x^2 + 1."""
    _, y = T.while_loop(
        lambda i, y: i < 3,
        lambda i, y: (i + 1, T.cond(T.equal(i % 2, 0), lambda: y * x, lambda: y + 1.0)),
        [0, x])
    return T.reduce_sum(y)


def _array_in_cond_in_loop(T, x):
    """Rows x, x * x, 3x weighted 1, 10, 100: d/dx = 1 + 20x + 300."""
    def body(i, ta):
        ta = T.cond(T.equal(i % 2, 0), lambda: ta.write(i, x * T.cast(i + 1, T.float32)),
                    lambda: ta.write(i, x * x))
        return i + 1, ta

    _, ta = T.while_loop(lambda i, ta: i < 3, body, [0, T.TensorArray(T.float32, size=3)])
    return T.reduce_sum(ta.stack() * [[1.0], [10.0], [100.0]])


def _nested_cond(T, x):
    """i = 0: z * x, then z + 1; i = 1: z + 1, then z * x: y = x^3 + 2x, dy/dx = 3x^2 + 2."""
    def outer(i, y):
        def inner(j, z):
            return j + 1, T.cond(T.equal((i + j) % 2, 0), lambda: z * x, lambda: z + 1.0)
        return i + 1, T.while_loop(lambda j, z: j < 2, inner, [0, y])[1]

    _, y = T.while_loop(lambda i, y: i < 2, outer, [0, x])
    return T.reduce_sum(y)


def _nested(T, x):
    """z = z x + (i + j) over i, j in {0, 1}: y = x^5 + x^2 + x + 2, dy/dx = 5x^4 + 2x + 1."""
    def outer(i, y):
        def inner(j, z):
            return j + 1, z * x + T.cast(i + j, T.float32)
        return i + 1, T.while_loop(lambda j, z: j < 2, inner, [0, y])[1]

    _, y = T.while_loop(lambda i, y: i < 2, outer, [0, x])
    return T.reduce_sum(y)


_EXPORTED = {
    "cond_in_loop": (_cond_in_loop, 3 * X ** 2 + 1),
    "array_in_cond_in_loop": (_array_in_cond_in_loop, 1 + 20 * X + 300),
    "cond_in_nested_loop": (_nested_cond, 3 * X ** 2 + 2),
    "nested_loops": (_nested, 5 * X ** 4 + 2 * X + 1),
}


def _exported(build):
    from minitf.protos import graph_pb2

    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        tf.identity(tf.gradients(build(tf, x), x)[0], name="gx")
        with tf.Session() as sess:
            ours = sess.run("gx:0", {"x:0": X})
    return graph_pb2.GraphDef.FromString(graph.as_graph_def().SerializeToString()), ours


@pytest.mark.parametrize("case", sorted(_EXPORTED))
def test_cond_in_loop_gradients_are_right_in_minitf_and_after_reimport(case):
    build, want = _EXPORTED[case]
    graph_def, ours = _exported(build)
    np.testing.assert_allclose(ours, want, rtol=1e-6)
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run("gx:0", {"x:0": X}), want, rtol=1e-6)


@pytest.mark.parametrize("case", sorted(_EXPORTED))
def test_cond_in_loop_gradient_graphs_run_in_tensorflow(case):
    """A push in a cond branch is dead when the branch is not taken: TF's executor would end
    the forward count on it (Retval does not have value) unless it goes through f_sync; inner
    loops must not interleave their pushes or pops across the outer iterations."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    build, want = _EXPORTED[case]
    graph_def, _ = _exported(build)
    with tf1.Graph().as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(graph_def.SerializeToString()), name="")
        with tf1.Session() as sess:
            for _ in range(3):  # TF runs iterations in parallel: an ordering bug is a race
                np.testing.assert_allclose(sess.run("gx:0", {"x:0": X}), want, rtol=1e-6)


def test_branch_pushes_go_through_f_sync():
    x = tf.placeholder(tf.float32, [3])
    tf.gradients(_cond_in_loop(tf, x), x)
    graph = tf.get_default_graph()
    count = graph.get_operation_by_name("gradients/while_grad/f_count/NextIteration")
    f_sync = graph.get_operation_by_name("gradients/while_grad/f_count/f_sync")
    assert f_sync.type == "ControlTrigger" and f_sync in count.control_inputs
    pushes = {op for op in graph.get_operations() if op.type == "StackPushV2"}
    # The values of a branch: its Switch outputs (what the cond's Merge forwards is not).
    in_branch = {op for op in pushes if op.inputs[1].op.type == "Switch"}
    assert in_branch and in_branch == pushes & set(f_sync.control_inputs)
    assert pushes - in_branch == pushes & set(count.control_inputs)


# -- NextIteration with a dead control input -------------------------------------------------------
def _loop_with_branch_control(always_true: bool):
    """y doubles in the true branch and adds one in the false one; its NextIteration waits on
    the true branch's op (as dead_next in the probe)."""
    made = []

    def body(i, y):
        def double():
            r = y * 2.0
            made.append(r.op)
            return r

        pred = tf.constant(True) if always_true else tf.equal(i % 2, 0)
        return i + 1, tf.cond(pred, double, lambda: y + 1.0)

    i, y = tf.while_loop(lambda i, y: i < 4, body, [0, tf.constant(1.0)])
    nexts = [op for op in tf.get_default_graph().get_operations()
             if op.type == "NextIteration"]
    nexts[1]._add_control_input(made[0])
    return i, y


def test_a_dead_control_input_of_next_iteration_leaves_the_variable_without_value():
    """TF: a NextIteration with a dead input (a control input too) is dead; the loop variable
    has no value after it (TF: Retval[0] does not have value)."""
    i, y = _loop_with_branch_control(always_true=False)
    with tf.Session() as sess:
        assert sess.run(i) == 4  # the counter does not need y
        with pytest.raises(InvalidArgumentError, match="no value for loop variable 1"):
            sess.run(y)


def test_a_live_control_input_of_next_iteration_is_waited_for():
    _, y = _loop_with_branch_control(always_true=True)
    with tf.Session() as sess:
        assert sess.run(y) == 16.0


# -- SparseTensor loop variables with shape invariants ---------------------------------------------
@pytest.mark.parametrize("invariant", [[None], [1], None, "default"])
def test_sparse_loop_variable_takes_its_dense_shapes_invariant(invariant):
    """As TF1: the invariant is the shape of dense_shape ([rank]); indices and values may
    grow (without an invariant too)."""
    sp = tf.SparseTensor([[0]], [1.0], [2])
    invariants = None if invariant == "default" else [tf.TensorShape([]),
                                                      tf.TensorShape(invariant)]
    _, r = tf.while_loop(lambda i, s: i < 2,
                         lambda i, s: (i + 1, tf.sparse.concat(0, [s, s])), [0, sp],
                         shape_invariants=invariants)
    rank = 1 if invariant in ([1], "default") else None
    assert r.indices.shape.as_list() == [None, rank]
    assert r.values.shape.as_list() == [None]
    assert r.dense_shape.shape.as_list() == [rank]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.sparse.to_dense(r)), [1, 0] * 4)


def test_sparse_loop_variable_invariant_is_a_vector_shape():
    sp = tf.SparseTensor([[0, 1]], [1.0], [2, 3])
    with pytest.raises(ValueError, match="Expected a shape with 1 dimension"):
        tf.while_loop(lambda i, s: i < 2, lambda i, s: (i + 1, s), [0, sp],
                      shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 3])])
    with pytest.raises(ValueError, match="not compatible with the initial shape"):
        tf.while_loop(lambda i, s: i < 2, lambda i, s: (i + 1, s), [0, sp],
                      shape_invariants=[tf.TensorShape([]), tf.TensorShape([3])])


def test_sparse_loop_variable_with_invariant_keeps_values():
    """The body sees a sparse variable of known rank only, as TF1's SparseTensorSpec."""
    sp = tf.SparseTensor([[0, 1]], [1.0], [2, 3])
    seen = []

    def body(i, s):
        seen.append(s.shape)
        return i + 1, tf.SparseTensor(s.indices, s.values * 2.0, s.dense_shape)

    _, r = tf.while_loop(lambda i, s: i < 2, body, [0, sp],
                         shape_invariants=[tf.TensorShape([]), tf.TensorShape([2])])
    assert seen[0].as_list() == [None, None]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.sparse.to_dense(r)),
                                      [[0, 4, 0], [0, 0, 0]])


# -- the body's structure with maximum_iterations --------------------------------------------------
def test_maximum_iterations_body_returning_a_tuple_for_a_list_is_a_type_error():
    """TF1 raises TypeError (only the kind of sequence differs); the message shows the
    caller's loop variables, not the hidden iteration counter."""
    with pytest.raises(TypeError) as info:
        tf.while_loop(lambda i, x: i < 9, lambda i, x: (i + 1, x),
                      [tf.constant(0), tf.constant(1.0)], maximum_iterations=3)
    message = str(info.value)
    assert "[tensor, tensor] went in and (tensor, tensor) came back" in message
    assert "[tensor, [" not in message


def test_maximum_iterations_body_structure_errors_follow_tf():
    with pytest.raises(ValueError, match=r"\[tensor, tensor\] went in and \[tensor\] came"):
        tf.while_loop(lambda i, x: i < 9, lambda i, x: [i + 1],
                      [tf.constant(0), tf.constant(1.0)], maximum_iterations=3)
    with pytest.raises(ValueError, match="tensor went in and \\[tensor\\] came back"):
        tf.while_loop(lambda i: i < 9, lambda i: [i + 1], [tf.constant(0)],
                      maximum_iterations=3)
    with pytest.raises(TypeError):  # TF1 meets the list/tuple difference first
        tf.while_loop(lambda i, x: i < 9, lambda i, x: (i + 1, (x,)),
                      [tf.constant(0), tf.constant(1.0)], maximum_iterations=3)


def test_without_maximum_iterations_a_tuple_may_come_back_for_a_list():
    i, x = tf.while_loop(lambda i, x: i < 9, lambda i, x: (i + 1, x),
                         [tf.constant(0), tf.constant(1.0)])
    with tf.Session() as sess:
        assert sess.run([i, x]) == [9, 1.0]


def test_cond_unpacks_a_nested_singleton_twice_as_tf1():
    """TF1 unpacks a singleton before and after merging: [[t]] comes back as t."""
    r = tf.cond(tf.constant(True), lambda: [[tf.constant(1)]], lambda: [[tf.constant(2)]])
    strict = tf.cond(tf.constant(True), lambda: [[tf.constant(1)]],
                     lambda: [[tf.constant(2)]], strict=True)
    assert isinstance(r, tf.Tensor) and isinstance(strict[0][0], tf.Tensor)
    with tf.Session() as sess:
        assert sess.run(r) == 1
