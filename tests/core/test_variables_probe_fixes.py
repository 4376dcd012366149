"""Variables and variable scopes as TF 1.x (variables probe): what custom getters see, the
original name scope of a re-entered scope, variable_scope's graph, chained updates of reference
variables, argument checks and StridedSliceAssign's shape checks. Expected values were taken
from TF 2.21's tf.compat.v1 (graph mode, reference variables) and are hard-coded here."""

import numpy as np
import pytest

import minitf as tf


# -- 1. custom getters see TF's resolved trainable -------------------------------------------------
def test_a_custom_getter_sees_trainable_resolved():
    seen = []

    def getter(getter, name, *args, **kwargs):
        seen.append((name, kwargs["trainable"]))
        return getter(name, *args, **kwargs)

    with tf.variable_scope("s", custom_getter=getter):
        tf.get_variable("a", [1])
        tf.get_variable("b", [1], trainable=False)
        tf.get_variable("c", [1], synchronization=tf.VariableSynchronization.ON_READ)
        tf.get_variable("d", [1], synchronization=tf.VariableSynchronization.ON_READ,
                        trainable=True)
        tf.get_local_variable("e", [1])
    tf.get_variable("f", [1], custom_getter=getter)
    assert seen == [("s/a", True), ("s/b", False), ("s/c", False), ("s/d", True),
                    ("s/e", False), ("f", True)]


def test_a_float32_storage_getter_stores_float32_and_casts():
    # NVIDIA's mixed-precision getter: trainable defaults to True in its signature, so a
    # getter given trainable=None would store float16.
    def f32_getter(getter, name, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, *args, **kwargs):
        v = getter(name, shape, dtype=tf.float32 if trainable else dtype,  # NVIDIA's call
                   initializer=initializer, regularizer=regularizer, trainable=trainable,
                   *args, **kwargs)  # noqa: B026
        return tf.cast(v, dtype) if trainable and dtype != tf.float32 else v

    with tf.variable_scope("m", custom_getter=f32_getter):
        w = tf.get_variable("w", [2], dtype=tf.float16)
    assert w.dtype == tf.float16 and w.op.type == "Cast" and w.name == "Cast:0"
    assert [v.dtype.base_dtype for v in tf.global_variables()] == [tf.float32]
    assert [v.name for v in tf.trainable_variables()] == ["m/w:0"]


# -- 2. original_name_scope of a re-entered scope --------------------------------------------------
def test_a_reentered_scope_keeps_its_original_name_scope():
    with tf.variable_scope("conv") as sc:
        pass
    with tf.variable_scope(sc, auxiliary_name_scope=False) as sc2:
        assert sc2.original_name_scope == "conv/"
        assert tf.identity(1.0, name="y").name == "y:0"
    with tf.variable_scope(sc) as sc3:
        assert sc3.original_name_scope == "conv/"
        assert tf.get_variable_scope().original_name_scope == "conv/"
        assert tf.identity(1.0, name="y").name == "conv_1/y:0"  # ops: a new name scope
        with tf.name_scope(tf.get_variable_scope().original_name_scope):
            assert tf.identity(1.0, name="z").name == "conv/z:0"


def test_original_name_scope_of_nested_default_and_name_scoped_scopes():
    with tf.variable_scope("a"):
        with tf.variable_scope("b") as b:
            pass
    with tf.variable_scope(b) as b2:
        assert (b2.name, b2.original_name_scope) == ("a/b", "a/b/")
        assert tf.identity(1.0, name="x").name == "b/x:0"
    with tf.variable_scope(None, default_name="d") as d:
        assert d.original_name_scope == "d/"
    with tf.variable_scope(d, reuse=True) as d2:
        assert (d2.name, d2.original_name_scope) == ("d", "d/")
        assert tf.identity(1.0, name="x").name == "d_1/x:0"
    with tf.name_scope("ns"):
        with tf.variable_scope("vs") as vs:
            pass
    with tf.variable_scope(vs) as vs2:
        assert vs2.original_name_scope == "ns/vs/"


def test_original_name_scope_without_an_auxiliary_name_scope_and_of_the_root():
    with tf.name_scope("outer"):
        with tf.variable_scope("t", auxiliary_name_scope=False) as t:
            assert t.original_name_scope == "outer/"
            assert tf.identity(1.0, name="x").name == "outer/x:0"
    root_scope = tf.get_variable_scope()
    with tf.variable_scope("a"):
        with tf.variable_scope(root_scope) as root:
            assert (root.name, root.original_name_scope) == ("", "")
            assert tf.identity(1.0, name="x").name == "a/x:0"
        with tf.variable_scope("") as empty:
            assert empty.original_name_scope == ""
            assert tf.identity(1.0, name="x").name == "a/x_1:0"


def test_a_variable_scope_object_entered_twice_keeps_what_it_resolved():
    vs = tf.variable_scope("s")
    with vs as first:
        assert tf.identity(1.0, name="x").name == "s/x:0"
    with vs as second:
        assert first.original_name_scope == second.original_name_scope == "s/"
        assert tf.identity(1.0, name="x").name == "s_1/x:0"
    vd = tf.variable_scope(None, default_name="q")
    with vd as first:
        assert (first.name, first.original_name_scope) == ("q", "q/")
    with vd as second:  # TF keeps the unique name it found first: q, not q_1
        assert (second.name, second.original_name_scope) == ("q", "q/")
        assert tf.identity(1.0, name="x").name == "q_1/x:0"
        assert tf.get_variable("w", [1]).name == "q/w:0"


# -- 3. variable_scope makes its graph the default ------------------------------------------------
def test_reset_default_graph_inside_a_variable_scope_refuses():
    before = tf.get_default_graph()
    with pytest.raises(AssertionError, match="Do not use tf.reset_default_graph"):
        with tf.variable_scope("vs"):
            tf.reset_default_graph()
    assert tf.get_default_graph() is before  # the scope left the graph stack as it found it
    tf.reset_default_graph()  # outside any nesting: allowed


def test_a_variable_scope_opens_in_the_graph_of_its_values():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0)
    outer = tf.get_default_graph()
    with tf.variable_scope("s", values=[c]):
        assert tf.get_default_graph() is g
        w = tf.get_variable("w", [1])
        d = tf.identity(c, name="d")
    assert tf.get_default_graph() is outer
    assert w.graph is g and d.name == "s/d:0" and tf.global_variables() == []
    with g.as_default():
        other = tf.constant(2.0)
    with pytest.raises(ValueError, match="must be from the same graph"):
        with tf.variable_scope("m", values=[tf.constant(1.0), other]):
            pass
    made_here = tf.variable_scope("k")  # TF takes the default graph when the object is made
    with tf.Graph().as_default():
        with made_here:
            v = tf.get_variable("v", [1])
    assert v.graph is outer and v.name == "k/v:0"


# -- 4. updates return references to their variable -----------------------------------------------
def test_chained_updates_write_the_same_variable():
    v = tf.Variable(1.0)
    a = tf.assign_add(v.assign(2.0), 1.0)
    u = tf.Variable(5.0)
    b = tf.assign_sub(tf.assign(u, 3.0), 1.0)
    assert a.op.inputs[0].name == "Assign:0"  # TF's graph: the update takes the Assign
    with tf.Session() as sess:
        sess.run([v.initializer, u.initializer])
        assert sess.run(a) == 3.0 and sess.run(v) == 3.0
        assert sess.run(b) == 2.0 and sess.run(u) == 2.0


def test_chained_scatter_and_slice_updates():
    v = tf.Variable([1.0, 2.0, 3.0])
    a = tf.scatter_update(tf.assign_add(v, [1.0, 1.0, 1.0]), [0], [10.0])
    b = tf.scatter_add(a, [1], [100.0])
    c = tf.assign(b, [0.0, 0.0, 0.0])
    n = tf.Variable([1.0, 2.0, 3.0])
    nd = tf.scatter_nd_add(tf.scatter_nd_update(tf.assign(n, [5.0, 5.0, 5.0]), [[1]], [7.0]),
                           [[2]], [1.0])
    s = tf.Variable([1.0, 2.0, 3.0])
    sl = tf.assign_add(s[0].assign(5.0), [1.0, 1.0, 1.0])
    m = tf.Variable(1.0)
    chained_method = tf.assign(m.assign_add(2.0), 10.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(b), [10.0, 103.0, 4.0])
        np.testing.assert_array_equal(sess.run(v), [10.0, 103.0, 4.0])
        np.testing.assert_array_equal(sess.run(c), [0.0, 0.0, 0.0])
        np.testing.assert_array_equal(sess.run(nd), [5.0, 7.0, 6.0])
        np.testing.assert_array_equal(sess.run(n), [5.0, 7.0, 6.0])
        np.testing.assert_array_equal(sess.run(sl), [6.0, 3.0, 4.0])
        np.testing.assert_array_equal(sess.run(s), [6.0, 3.0, 4.0])
        assert sess.run(chained_method) == 10.0 and sess.run(m) == 10.0


def test_chained_updates_in_a_cond_and_non_reference_results():
    v = tf.Variable(1.0)
    p = tf.placeholder(tf.bool, [])
    a = v.assign(2.0)
    r = tf.cond(p, lambda: tf.assign_add(a, 1.0), lambda: tf.constant(0.0))
    inner = tf.cond(p, lambda: tf.assign_add(tf.assign(v, 5.0), 1.0), lambda: tf.constant(0.0))
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(r, {p: False}) == 0.0 and sess.run(v) == 2.0  # the Assign still ran
        sess.run(v.initializer)
        assert sess.run(r, {p: True}) == 3.0 and sess.run(v) == 3.0
        sess.run(v.initializer)
        assert sess.run(inner, {p: False}) == 0.0 and sess.run(v) == 1.0
        assert sess.run(inner, {p: True}) == 6.0 and sess.run(v) == 6.0
    w = tf.Variable(0)
    with pytest.raises(AttributeError, match="no attribute 'assign_add'"):
        tf.assign_add(w.count_up_to(3), 1)  # CountUpTo's output is a value, as in TF
    with pytest.raises(AttributeError, match="no attribute 'assign'"):
        tf.assign(v.value(), 2.0)


# -- 5. arguments TF refuses ----------------------------------------------------------------------
def test_invalid_variable_and_scope_arguments():
    with pytest.raises(ValueError, match=r"^The `constraint` argument must be a callable\.$"):
        tf.Variable([5.0, 5.0], constraint=3)
    with pytest.raises(ValueError, match=r"^The `constraint` argument must be a callable\.$"):
        tf.get_variable("w", [1], constraint=3)
    with pytest.raises(ValueError, match="collections argument to Variable constructor must be "
                                         "a list, tuple, or set. Got x"):
        tf.Variable([1.0], collections="x")
    assert tf.get_default_graph().get_operations() == []  # refused before building anything
    for bad in (3, b"x"):
        with pytest.raises(TypeError, match=r"^VariableScope: name_or_scope must be a string or "
                                            r"VariableScope\.$"):
            with tf.variable_scope(bad):
                pass
    with pytest.raises(TypeError, match="The auxiliary_name_scope must be `True` or `False`, "
                                        "while get 1"):
        tf.variable_scope("x", auxiliary_name_scope=1)
    assert tf.get_variable_scope().name == ""


# -- 6. StridedSliceAssign checks shapes when it runs ---------------------------------------------
@pytest.mark.parametrize("index, value, message", [
    (lambda v: v[0], [9.0, 9.0], r"Cannot broadcast input shape \[2\] into final shape \[3\]"
                                 r"(\n|$)"),
    (lambda v: v[:, 0], [1.0, 2.0, 3.0], r"input shape \[3\] into final shape \[2\](\n|$)"),
    (lambda v: v[0:1], [[1.0], [2.0]], r"input shape \[2,1\] into final shape \[1,3\](\n|$)"),
    (lambda v: v[0, 0], [1.0, 2.0], r"input shape \[2\] into final shape \[\](\n|$)"),
    (lambda v: v[0], [[1.0, 2.0, 3.0]] * 2, r"input shape \[2,3\] into final shape \[3\](\n|$)"),
    (lambda v: v[:, None, 0], [1.0, 2.0], r"input shape \[2\] into final shape \[2,1\](\n|$)"),
])
def test_a_slice_assignment_that_does_not_fit_fails_when_run(index, value, message):
    v = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    update = index(v).assign(value)  # TF's shape function: the variable's shape, no check
    assert update.shape.as_list() == [2, 3]
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            sess.run(update)


@pytest.mark.parametrize("index, value, numpy_index, numpy_value", [
    (lambda v: v[0], [[9.0, 8.0, 7.0]], 0, [9.0, 8.0, 7.0]),  # leading ones are dropped
    (lambda v: v[0], [[[1.0, 2.0, 3.0]]], 0, [1.0, 2.0, 3.0]),
    (lambda v: v[0, 0], [[4.0]], (0, 0), 4.0),
    (lambda v: v[0:0], [1.0, 2.0, 3.0, 4.0], slice(0, 0), 0.0),  # empty: nothing checked
    (lambda v: v[:, None, 0], [[1.0], [2.0]], (slice(None), 0), [1.0, 2.0]),
    (lambda v: v[...], [[1.0], [2.0]], Ellipsis, [[1.0], [2.0]]),
])
def test_a_slice_assignment_broadcasts_as_tensorflow(index, value, numpy_index, numpy_value):
    start = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    v = tf.Variable(start)
    update = index(v).assign(value)
    want = start.copy()
    want[numpy_index] = numpy_value
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(update), want)


def test_a_slice_assignment_value_of_the_wrong_type_is_the_ops_type_error():
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(TypeError, match="Expected float32 passed to parameter 'value' of op "
                                        "'StridedSliceAssign'"):
        v[0].assign("a")


def test_variable_scope_values_may_be_an_array():
    # TF takes any values (it looks for their graph); an array's truth value is ambiguous
    with tf.variable_scope("s", values=np.array([1.0, 2.0])) as scope:
        assert scope.name == "s"
        assert tf.get_variable("w", [1]).name == "s/w:0"
