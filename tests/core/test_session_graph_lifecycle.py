"""Sessions and graphs over their lifetimes, as TF 1.x: the default graph under an
InteractiveSession, control edges TF leaves out as implied, nesting of default graphs, and
the small attributes TF1 code reads (devices, versions, config, names)."""

import threading

import pytest

import minitf as tf

from .side_by_side import tf1_or_skip


def test_an_interactive_session_on_the_default_graph_leaves_reset_default_graph_working():
    sess = tf.InteractiveSession()  # the notebook habit: then start over
    try:
        old = tf.get_default_graph()
        tf.reset_default_graph()
        assert tf.get_default_graph() is not old
        assert sess.graph is old and tf.get_default_session() is sess
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_an_interactive_session_on_a_given_graph_makes_it_the_default():
    g = tf.Graph()
    sess = tf.InteractiveSession(graph=g)
    try:
        assert tf.get_default_graph() is g
        with pytest.raises(AssertionError, match="nested graphs"):
            tf.reset_default_graph()
    finally:
        sess.close()
    assert tf.get_default_graph() is not g


def test_control_edges_implied_by_an_input_made_in_the_block_are_left_out():
    v = tf.Variable(0.0)
    outside = tf.constant(5.0, name="outside")
    bump = tf.assign_add(v, 1.0)
    with tf.control_dependencies([bump]):
        inside = tf.constant(2.0, name="inside")
        implied = tf.identity(inside, name="implied")  # inside already waits for bump
        direct = tf.identity(outside, name="direct")
    assert [c.name for c in inside.op.control_inputs] == [bump.op.name]
    assert implied.op.control_inputs == []
    assert [c.name for c in direct.op.control_inputs] == [bump.op.name]
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(implied) == 2.0
        assert sess.run(v) == 1.0  # the edge through ``inside`` still ran the assign, once
        sess.run(direct)
        assert sess.run(v) == 2.0


def test_control_edges_match_tensorflow():
    tf1 = tf1_or_skip()

    def edges(t):
        g = t.Graph()
        with g.as_default():
            a = t.constant(1.0, name="a")
            outside = t.constant(3.0, name="outside")
            with t.control_dependencies([a]):
                b = t.constant(2.0, name="b")
                t.identity(b, name="e")
                t.add(b, outside, name="f")
                t.identity(outside, name="h")
                with t.control_dependencies([outside]):
                    t.identity(b, name="k")  # dominated for the outer block, not the inner
        return {op.name: sorted(c.name for c in op.control_inputs)
                for op in g.get_operations()}

    assert edges(tf) == edges(tf1)


def test_leaving_default_graphs_out_of_order_is_an_error():
    """In a thread of its own: the default-graph stack is per thread, and the one it leaves
    behind (as TF's) is not this thread's."""
    errors = []

    def out_of_order():
        g1, g2 = tf.Graph(), tf.Graph()
        outer, inner = g1.as_default(), g2.as_default()
        outer.__enter__()
        inner.__enter__()
        try:
            outer.__exit__(None, None, None)
        except AssertionError as e:
            errors.append(str(e))

    thread = threading.Thread(target=out_of_order)
    thread.start()
    thread.join(10)
    assert len(errors) == 1 and "Nesting violated for default stack" in errors[0]
    with tf.Graph().as_default() as g, tf.Graph().as_default() as h:  # in order: fine
        assert tf.get_default_graph() is h
    assert tf.get_default_graph() is not g


def test_evaluating_in_a_default_session_of_another_graph_says_so():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0)
    with tf.Session() as sess, sess.as_default():
        with pytest.raises(ValueError, match=r"default session to evaluate tensor.*Pass an "
                           r"explicit session to `eval\(session=sess\)`"):
            c.eval()
        with pytest.raises(ValueError, match=r"default session to execute operation.*"
                           r"`run\(session=sess\)`"):
            c.op.run()
        with pytest.raises(ValueError, match="Cannot use the given session to evaluate"):
            c.eval(session=sess)


def test_small_attributes_tf1_code_reads():
    g = tf.Graph()
    assert g.graph_def_versions.producer == g.as_graph_def().versions.producer > 0
    assert g.building_function is False and g._building_function is False
    assert g._container == ""
    with g.container("c1"):
        assert g._container == "c1"
    with pytest.raises(ValueError, match="allow_tensor and allow_operation can't both be"):
        g.as_graph_element("x", allow_tensor=False, allow_operation=False)
    with tf.Session(graph=g) as sess:
        [device] = sess.list_devices()
        assert device.name == "/job:localhost/replica:0/task:0/device:CPU:0"
        assert device.device_type == "CPU" and device.memory_limit_bytes > 0
        assert sess.sess_str == b""
    with pytest.raises(TypeError, match=r"config` must be a tf.ConfigProto, but got \"int\""):
        tf.Session(config=3)
    tf.Session(config=tf.ConfigProto()).close()


def test_a_saver_of_tensorflows_format_refuses_a_finalized_graph():
    tf.Variable(1.0, name="w")
    tf.get_default_graph().finalize()
    with pytest.raises(RuntimeError, match="Graph is finalized and cannot be modified"):
        tf.train.Saver(write_version=tf.train.SaverDef.V2)
