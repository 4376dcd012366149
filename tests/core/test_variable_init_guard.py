"""A variable whose initial value reads other variables (``Variable(a * 3)``) initializes on
its own, as TF1 guards such reads with the other variable's ``initialized_value()``: its value
once initialized, its initial value before."""

import numpy as np
import pytest

import minitf as tf

from .side_by_side import tf1_or_skip


def _chain(t):
    """The same program in minitf or tf.compat.v1 (``t``): b reads a, c reads a and b."""
    a = t.Variable(2.0, name="a", use_resource=False)
    b = t.Variable(a * 3.0, name="b", use_resource=False)
    with t.name_scope("s"):
        c = t.get_variable("c", initializer=t.square(b) + a, use_resource=False)
    return a, b, c


def test_an_initializer_reading_an_uninitialized_variable_uses_its_initial_value():
    a, b, _ = _chain(tf)
    with tf.Session() as sess:
        sess.run(b.initializer)  # a is not initialized: its initial value, 2, is read
        assert sess.run(b) == 6.0
        assert not sess.run(tf.is_variable_initialized(a))
        sess.run(a.initializer)
        sess.run(a.assign(5.0))
        sess.run(b.initializer)  # now a's value is read
        assert sess.run(b) == 15.0


def test_the_guard_is_one_level_deep_as_tf1s():
    """c's value reads b, whose initialized_value() falls back to b's raw initial value, which
    reads a unguarded: with nothing initialized, c's initializer fails naming a (TF1 too)."""
    a, b, c = _chain(tf)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value a"):
            sess.run(c.initializer)
        sess.run(a.initializer)
        sess.run(c.initializer)  # b uninitialized: its initial value a * 3 = 6; 36 + 2
        assert sess.run(c) == 38.0
        sess.run(b.initializer)  # then a changes (in one run the two would race)
        sess.run(a.assign(1.0))
        sess.run(c.initializer)  # b's value (6) and a's (1)
        assert sess.run(c) == 37.0


def test_copies_are_named_as_tf1_names_them():
    _, b, c = _chain(tf)
    assert b.initializer.inputs[1].op.name == "mul_b"
    assert [t.op.name for t in b.initializer.inputs[1].op.inputs] == ["a/read_b", "mul/y"]
    assert c.initializer.inputs[1].op.name == "s/add_c"
    assert b.initial_value.op.name == "mul"  # the initial value itself is not changed


def test_values_and_node_names_match_tensorflow():
    tf1 = tf1_or_skip()

    def program(t, graph_module):
        with graph_module.Graph().as_default() as g:
            a, b, c = _chain(t)
            with t.Session(graph=g) as sess:
                out = [sess.run(b.initializer) and None, sess.run(b)]
                sess.run(a.initializer)
                sess.run(a.assign(4.0))
                sess.run(c.initializer)
                out += [sess.run(c)]
                sess.run(b.initializer)
                out += [sess.run(b)]
            names = {op.name for op in g.get_operations()}
        return out, names

    ours, our_names = program(tf, tf)
    # TF 1.x's cond (Switch/Merge): with TF 2's functional cond the read of ``a`` is captured
    # outside the branch and fails before the branch is chosen.
    v2 = tf1.control_flow_v2_enabled()
    tf1.disable_control_flow_v2()
    try:
        theirs, their_names = program(tf1, tf1)
    finally:
        if v2:
            tf1.enable_control_flow_v2()
    np.testing.assert_allclose(ours[1:], theirs[1:])
    copies = {"mul_b", "a/read_b", "b/read_c", "a/read_c", "s/Square_c", "s/add_c"}
    assert copies <= our_names and copies <= their_names


def test_values_with_a_loop_or_a_stateful_read_are_left_alone():
    a = tf.Variable(2.0, name="a")
    counted = tf.while_loop(lambda i: i < a, lambda i: i + 1.0, [tf.constant(0.0)])
    looped = tf.Variable(counted, name="looped")
    bumped = tf.Variable(tf.assign_add(a, 1.0), name="bumped")
    assert looped.initializer.inputs[1] is looped.initial_value
    assert bumped.initializer.inputs[1] is bumped.initial_value
    with tf.Session() as sess:
        sess.run(a.initializer)
        sess.run([looped.initializer])
        sess.run(bumped.initializer)  # the assign_add runs once, in the initializer
        assert sess.run([looped, bumped, a]) == [2.0, 3.0, 3.0]


def test_a_read_of_a_variable_outside_the_collections_is_not_guarded():
    hidden = tf.Variable(2.0, name="hidden", collections=[])
    b = tf.Variable(hidden * 3.0, name="b")
    assert b.initializer.inputs[1] is b.initial_value
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="hidden"):
            sess.run(b.initializer)


def test_the_collections_are_read_only_for_an_initializer_reading_a_variable(monkeypatch):
    """Making a variable walked every variable of the graph to guard its initial value, so
    building N variables cost O(N^2) (8000 get_variable calls: 67 s); the walk is now made
    only when the initial value reads another variable."""
    from minitf import variable_init_guard

    calls = []
    real = variable_init_guard._variables_by_name
    monkeypatch.setattr(variable_init_guard, "_variables_by_name",
                        lambda graph: calls.append(graph) or real(graph))
    for i in range(50):
        tf.get_variable(f"v{i}", [3], initializer=tf.zeros_initializer())
    assert calls == []
    a = tf.Variable(np.float32(2.0), name="a")
    b = tf.Variable(a * 3.0, name="b")  # reads a: guarded, so the walk runs once
    assert len(calls) == 1
    with tf.Session() as sess:
        sess.run(b.initializer)  # a's initial value, though a was never initialized
        assert sess.run(b) == 6.0
