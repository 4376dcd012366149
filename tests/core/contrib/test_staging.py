"""tf.contrib.staging.StagingArea over the Stage ops: put/get/peek/size/clear by hand values,
names and static shapes as TF's, blocking at capacity and memory limit (bounded by
RunOptions.timeout_in_ms, or released by a run in another thread), sharing by shared_name per
session, cancellation when the session closes, the errors; and side by side with TF's
data_flow_ops.StagingArea (TF's blocking ops ignore timeouts, so TF's waits are released by
threads there)."""

import threading
import time

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import staging

from ..side_by_side import run_graph_def_in_minitf, run_graph_def_in_tf, tf1_or_skip

SHORT = tf.RunOptions(timeout_in_ms=150)


def _area(lib, module, **kw):
    x = lib.placeholder(lib.float32, [2], name="x")
    y = lib.placeholder(lib.int32, [], name="y")
    area = module.StagingArea([lib.float32, lib.int32], shapes=[[2], []], **kw)
    return area, x, y


def test_namespace_names_and_static_shapes():
    assert tf.contrib.staging.StagingArea is staging.StagingArea
    area, x, y = _area(tf, staging, capacity=3)
    put, got, peek = area.put([x, y]), area.get(), area.peek(1)
    size, clear = area.size(), area.clear()
    assert (area.name, area.capacity, area.memory_limit) == ("StagingArea", 3, 0)
    assert put.type == "Stage" and put.name == "StagingArea_put"
    assert put.get_attr("shared_name") == b"StagingArea" and put.get_attr("capacity") == 3
    assert [t.name for t in got] == ["StagingArea_get:0", "StagingArea_get:1"]
    assert got[0].shape.as_list() == [2] and got[1].shape.as_list() == []
    assert peek[0].op.type == "StagePeek" and peek[0].op.name == "StagingArea_peek"
    assert size.op.type == "StageSize" and size.dtype == tf.int32 and size.shape.as_list() == []
    assert clear.type == "StageClear" and clear.name == "StagingArea_clear"
    assert put.colocation_groups() == [b"loc:@StagingArea_root/NoOp"]
    # The next area of the graph is StagingArea_1 (a graph-unique name).
    assert staging.StagingArea([tf.float32]).name == "StagingArea_1"


def test_put_get_peek_size_clear_values():
    area, x, y = _area(tf, staging)
    put, got, size, clear = area.put([x, y]), area.get(), area.size(), area.clear()
    peeks = [area.peek(i) for i in range(3)]
    with tf.Session() as sess:
        for i in range(3):
            sess.run(put, {x: [i, i + 0.5], y: 10 * i})
        assert sess.run(size) == 3
        for i in range(3):  # peek leaves each in place
            a, b = sess.run(peeks[i])
            np.testing.assert_array_equal(a, np.float32([i, i + 0.5]))
            assert b == 10 * i and a.dtype == np.float32
        a, b = sess.run(got)  # first in, first out
        np.testing.assert_array_equal(a, [0, 0.5])
        assert b == 0 and sess.run(size) == 2
        sess.run(clear)
        assert sess.run(size) == 0


def test_values_are_copied_when_put():
    v = tf.Variable([1.0, 2.0])
    area = staging.StagingArea([tf.float32])
    put, (got,) = area.put(v.read_value()), area.get()
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(put)
        sess.run(v.assign([5.0, 6.0]))
        np.testing.assert_array_equal(sess.run(got), [1.0, 2.0])


def test_names_put_and_get_dicts():
    area = staging.StagingArea([tf.float32, tf.string], names=["a", "b"])
    put = area.put({"a": tf.constant(1.5), "b": tf.constant("s")})
    got = area.get()
    assert sorted(got) == ["a", "b"]
    with tf.Session() as sess:
        sess.run(put)
        assert sess.run(got) == {"a": np.float32(1.5), "b": b"s"}
    with pytest.raises(ValueError, match="Keys in dictionary to put do not match names"):
        area.put({"c": tf.constant(1.0)})
    with pytest.raises(ValueError, match="You must enqueue a dictionary"):
        area.put([tf.constant(1.0), tf.constant("s")])


def test_capacity_blocks_put_until_a_get():
    area, x, y = _area(tf, staging, capacity=1)
    put, got = area.put([x, y]), area.get()
    with tf.Session() as sess:
        sess.run(put, {x: [1, 1], y: 1})
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(put, {x: [2, 2], y: 2}, options=SHORT)
        done = []
        t = threading.Thread(target=lambda: done.append(sess.run(put, {x: [3, 3], y: 3})))
        t.start()
        time.sleep(0.2)
        assert not done and t.is_alive()  # blocked: the area is full
        assert sess.run(got)[1] == 1
        t.join(5)
        assert done and sess.run(got)[1] == 3  # the timed-out put left nothing behind


def test_get_and_peek_block_until_there_is_an_element():
    area, x, y = _area(tf, staging)
    put, got, peek1 = area.put([x, y]), area.get(), area.peek(1)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(got, options=SHORT)
        sess.run(put, {x: [1, 1], y: 1})
        with pytest.raises(tf.errors.DeadlineExceededError):  # only index 0 is there
            sess.run(peek1, options=SHORT)
        threading.Timer(0.2, lambda: sess.run(put, {x: [2, 2], y: 2})).start()
        assert sess.run(peek1)[1] == 2


def test_memory_limit_blocks_and_refuses_too_big_elements():
    area = staging.StagingArea([tf.float32], memory_limit=8)
    x = tf.placeholder(tf.float32, [None])
    put, (got,) = area.put(x), area.get()
    with tf.Session() as sess:
        sess.run(put, {x: [1, 2]})  # 8 bytes: the limit
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(put, {x: [3]}, options=SHORT)
        with pytest.raises(tf.errors.ResourceExhaustedError,
                           match="combined size of '12' bytes into Staging Area with a memory "
                                 "limit of '8'"):
            sess.run(put, {x: [1, 2, 3]})
        np.testing.assert_array_equal(sess.run(got), [1, 2])
        sess.run(put, {x: [3]})


def test_shared_name_shares_within_a_session_only():
    a = staging.StagingArea([tf.int32], shared_name="shared")
    b = staging.StagingArea([tf.int32], shared_name="shared")
    put, (got,) = a.put(tf.constant(7)), b.get()
    with tf.Session() as sess:
        sess.run(put)
        assert sess.run(b.size()) == 1 and sess.run(got) == 7
        sess.run(put)
    with tf.Session() as other:  # a new session: a new, empty area
        assert other.run(b.size()) == 0


def test_raw_ops_without_shared_name_use_the_node_name():
    stage = tf.raw_ops.Stage(values=[tf.constant(1.0)], name="buf")
    size_same = tf.raw_ops.StageSize(dtypes=[tf.float32], shared_name="buf")
    size_other = tf.raw_ops.StageSize(dtypes=[tf.float32])
    with tf.Session() as sess:
        sess.run(stage)
        assert sess.run([size_same, size_other]) == [1, 0]


def test_closing_the_session_cancels_a_blocked_get():
    area = staging.StagingArea([tf.float32])
    (got,) = area.get()
    sess = tf.Session()
    errors = []

    def blocked():
        try:
            sess.run(got)
        except tf.errors.CancelledError as e:
            errors.append(e)

    t = threading.Thread(target=blocked)
    t.start()
    time.sleep(0.2)
    sess.close()
    t.join(5)
    assert errors and "Unstage operation was cancelled" in str(errors[0])


def test_bad_inputs():
    area, x, y = _area(tf, staging)
    with pytest.raises(ValueError, match="Datatypes do not match. '<dtype: 'int32'>' != "
                       "'<dtype: 'float32'>'"):
        area.put([y, y])
    with pytest.raises(ValueError, match="Unexpected number of inputs '3' vs '2'"):
        area.put([x, y, y])
    with pytest.raises(ValueError, match="not compatible|incompatible"):
        area.put([tf.placeholder(tf.float32, [3]), y])
    with pytest.raises(ValueError, match="shared_name must be a string"):
        staging.StagingArea([tf.float32], shared_name=3)
    with pytest.raises(ValueError, match="StagingArea shapes must be the same length"):
        staging.StagingArea([tf.float32], shapes=[[1], [2]])
    with pytest.raises(ValueError, match="StagingArea names must be the same length"):
        staging.StagingArea([tf.float32], names=["a", "b"])
    with pytest.raises(ValueError, match="Attr 'capacity' of 'Stage' Op passed -1 less than"):
        staging.StagingArea([tf.float32], capacity=-1).put(tf.constant(1.0))
    with pytest.raises(ValueError, match="Attr 'dtypes' of 'Unstage' Op passed list of length"):
        tf.raw_ops.Unstage(dtypes=[])
    # Two areas of one name but other dtypes: the element does not fit the get.
    put = staging.StagingArea([tf.float32, tf.float32], shared_name="s").put(
        [tf.constant(1.0), tf.constant(2.0)])
    (got,) = staging.StagingArea([tf.float32], shared_name="s").get()
    peek = tf.raw_ops.StagePeek(index=[0], dtypes=[tf.float32], shared_name="s")
    with tf.Session() as sess:
        sess.run(put)
        with pytest.raises(tf.errors.InvalidArgumentError, match="index must be scalar"):
            sess.run(peek)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Mismatch stage/unstage: 2 vs. 1"):
            sess.run(got)


# -- side by side with TensorFlow -----------------------------------------------------------------
def _script(lib, module, sess, run_in_thread):
    """The same steps in either framework; TF's blocked ops are released by other threads."""
    area, x, y = _area(lib, module, capacity=2)
    put, got, size = area.put([x, y]), area.get(), area.size()
    peek = area.peek(1)
    sess = sess(lib)
    out = []
    for i in range(2):
        sess.run(put, {x: [i, -i], y: i})
    out.append(sess.run(size))
    blocked = run_in_thread(lambda: sess.run(put, {x: [9, 9], y: 9}))
    time.sleep(0.2)
    out.append(blocked.is_alive())  # at capacity
    out.append(sess.run(peek))
    out.append(sess.run(got))
    blocked.join(5)
    out.append(sess.run(size))
    out.extend(sess.run(got) for _ in range(2))
    waiting = run_in_thread(lambda: out.append(("late", sess.run(got))))
    time.sleep(0.2)
    out.append(waiting.is_alive())  # empty
    sess.run(put, {x: [5, 5], y: 5})
    waiting.join(5)
    sess.close()
    return out


def _thread(fn):
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def _check_same(mine, theirs):
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs):
        if isinstance(m, tuple):
            assert m[0] == t[0]
            m, t = m[1], t[1]
        if isinstance(m, list):
            for a, b in zip(m, t):
                np.testing.assert_array_equal(a, b)
                assert np.asarray(a).dtype == np.asarray(b).dtype
        else:
            assert m == t


def test_matches_tensorflow_staging_area():
    tf1 = tf1_or_skip()
    from tensorflow.python.ops import data_flow_ops

    with tf1.Graph().as_default():
        theirs = _script(tf1, data_flow_ops, lambda lib: lib.Session(), _thread)
    with tf.Graph().as_default():
        mine = _script(tf, staging, lambda lib: lib.Session(), _thread)
    assert mine[1] is True and mine[-2] is True
    _check_same(mine, theirs)


def test_memory_limit_error_matches_tensorflow():
    tf1 = tf1_or_skip()
    from tensorflow.python.ops import data_flow_ops

    def build(lib, module):
        area = module.StagingArea([lib.float32, lib.int64], memory_limit=10)
        return area.put([lib.constant([1.0, 2.0]), lib.constant(3, lib.int64)])

    with tf1.Graph().as_default():
        put = build(tf1, data_flow_ops)
        with tf1.Session() as sess, pytest.raises(tf1.errors.ResourceExhaustedError) as theirs:
            sess.run(put)
    with tf.Graph().as_default():
        put = build(tf, staging)
        with tf.Session() as sess, pytest.raises(tf.errors.ResourceExhaustedError) as mine:
            sess.run(put)
    first = mine.value.message.split("\n")[0]
    assert first.startswith("Attempted to insert") and first in theirs.value.message


def test_graph_defs_run_in_the_other_framework():
    tf1 = tf1_or_skip()
    from tensorflow.python.ops import data_flow_ops

    def build(lib, module):
        area = module.StagingArea([lib.int32], shared_name="area")
        put = area.put(lib.constant([3, 4], name="value"))
        with lib.control_dependencies([put]):
            lib.identity(area.get()[0], name="out")

    theirs, mine = tf1.Graph(), tf.Graph()
    with theirs.as_default():
        build(tf1, data_flow_ops)
    with mine.as_default():
        build(tf, staging)
    np.testing.assert_array_equal(
        run_graph_def_in_minitf(theirs.as_graph_def().SerializeToString(), "out:0"), [3, 4])
    np.testing.assert_array_equal(
        run_graph_def_in_tf(mine.as_graph_def().SerializeToString(), "out:0"), [3, 4])
