"""tf.data.experimental.Optional and Iterator.get_next_as_optional: reading an iterator to its
end without OutOfRangeError, in tf.cond and tf.while_loop, checked by hand and against real
TensorFlow (the same pipelines built in both)."""

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from minitf.data.experimental import Optional


def _run_until_empty(sess, has_value, value, limit=10):
    """(has_value, value) per run, through the first run without a value."""
    out = []
    for _ in range(limit):
        h, v = sess.run([has_value, value])
        out.append((bool(h), v))
        if not h:
            return out
    raise AssertionError("the optional never became empty")


# -- the same pipelines in minitf and TensorFlow ---------------------------------------------------
def _cond_pipeline(tf_):
    ds = tf_.data.Dataset.from_tensor_slices(
        ({"a": np.array([1, 2], np.int32)}, np.array([[1, 2], [3, 4]], np.float32)))
    it = tf_.data.make_initializable_iterator(ds)
    opt = it.get_next_as_optional()
    x = tf_.cond(opt.has_value(), lambda: opt.get_value()[1] * 2.0,
                 lambda: tf_.constant([-1.0, -1.0]))
    return it.initializer, opt.has_value(), x


def _while_pipeline(tf_):
    ds = tf_.data.Dataset.from_tensor_slices(np.arange(1, 6, dtype=np.int64)).map(
        lambda v: v * 10)
    it = tf_.data.make_initializable_iterator(ds)

    def body(i, total):
        opt = it.get_next_as_optional()
        more = opt.has_value()
        got = tf_.cond(more, opt.get_value, lambda: tf_.constant(0, tf_.int64))
        return i + 1, total + got

    out = tf_.while_loop(lambda i, t: i < 8, body, [tf_.constant(0), tf_.constant(0, tf_.int64)])

    def drain(more, count, total):  # stops itself at the end of the data
        opt = it2.get_next_as_optional()
        got = tf_.cond(opt.has_value(), opt.get_value, lambda: tf_.constant(0, tf_.int64))
        return opt.has_value(), count + tf_.cast(opt.has_value(), tf_.int32), total + got

    it2 = tf_.data.make_initializable_iterator(ds)
    drained = tf_.while_loop(lambda more, c, t: more, drain,
                             [tf_.constant(True), tf_.constant(0), tf_.constant(0, tf_.int64)])
    return tf_.group(it.initializer, it2.initializer), out, drained[1:]


def _nested_optional(tf_):
    sp = tf_.SparseTensor([[0, 1], [2, 0]], [1.5, 2.5], [3, 2])
    opt = tf_.data.experimental.Optional.from_value(
        {"s": sp, "w": tf_.constant([b"a", b"bc"]), "k": (tf_.constant(3), 4.0)})
    value = opt.get_value()
    return opt.has_value(), tf_.sparse.to_dense(value["s"]), value["w"], value["k"]


def _build_and_run(tf_, build, steps):
    g = tf_.Graph()
    with g.as_default():
        init, *fetches = build(tf_)
    with tf_.Session(graph=g) as sess:
        sess.run(init)
        return [sess.run(fetches) for _ in range(steps)]


def test_cond_on_has_value_reads_to_the_end_without_out_of_range():
    got = _build_and_run(tf, _cond_pipeline, 4)
    assert [bool(h) for h, _ in got] == [True, True, False, False]  # stays empty at the end
    np.testing.assert_array_equal(np.stack([x for _, x in got]),
                                  [[2, 4], [6, 8], [-1, -1], [-1, -1]])


def test_while_loop_drains_an_iterator_through_has_value():
    got = _build_and_run(tf, _while_pipeline, 2)
    assert [int(v) for v in got[0][0]] == [8, 150]  # 10+20+...+50, then empty optionals
    assert [int(v) for v in got[0][1]] == [5, 150]  # five elements, then has_value ends it
    assert [int(v) for v in got[1][1]] == [0, 0]  # already at the end: nothing more


def test_same_pipelines_as_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for build, steps in [(_cond_pipeline, 4), (_while_pipeline, 2)]:
        mine, theirs = _build_and_run(tf, build, steps), _build_and_run(tf1, build, steps)
        for a, b in zip(mine, theirs):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    for tf_ in (tf, tf1):
        g = tf_.Graph()
        with g.as_default():
            fetches = _nested_optional(tf_)
        with tf_.Session(graph=g) as sess:
            has, dense, words, (k, f) = sess.run(fetches)
        assert has and list(words) == [b"a", b"bc"] and (k, f) == (3, 4.0)
        assert k.dtype == np.int32 and f.dtype == np.float32
        np.testing.assert_array_equal(dense, [[0, 1.5], [0, 0], [2.5, 0]])


def test_get_value_of_an_empty_optional_is_tensorflows_error():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for tf_, error in [(tf, errors.InvalidArgumentError), (tf1, tf1.errors.InvalidArgumentError)]:
        g = tf_.Graph()
        with g.as_default():
            empty = tf_.data.experimental.Optional.empty(tf_.TensorSpec([2], tf_.float32))
            value = empty.get_value()
        with tf_.Session(graph=g) as sess:
            assert not sess.run(empty.has_value())
            with pytest.raises(error, match="The given optional does not have a value"):
                sess.run(value)


def test_structures_and_names_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    nodes = {}
    for tf_ in (tf, tf1):
        g = tf_.Graph()
        with g.as_default():
            ds = tf_.data.Dataset.from_tensor_slices(({"a": [1, 2]}, [[1.0, 2.0], [3.0, 4.0]]))
            opt = tf_.data.make_initializable_iterator(ds).get_next_as_optional()
            opt.has_value()
            opt.get_value()
            tf_.data.experimental.Optional.from_value((1, 2.0)).get_value(name="read")
            assert opt._variant_tensor.dtype.name == "variant"
            assert opt._variant_tensor.shape.as_list() == []
        nodes[tf_] = {n.name: (n.op, sorted(k for k in n.attr if not k.startswith("_")))
                      for n in g.as_graph_def().node
                      if n.op.startswith("Optional") or n.op == "IteratorGetNextAsOptional"}
    assert nodes[tf] == nodes[tf1]
    assert nodes[tf]["read"] == ("OptionalGetValue", ["output_shapes", "output_types"])
    assert nodes[tf]["optional"] == ("OptionalFromValue", ["Toutput_types"])


# -- without TensorFlow ----------------------------------------------------------------------------
def test_from_value_nested_structure_and_element_spec():
    g = tf.Graph()
    with g.as_default():
        has, dense, words, k = _nested_optional(tf)
        opt = Optional.from_value({"x": np.array([[1, 2]], np.int64), "y": (b"s",)})
        spec = opt.element_spec
        value = opt.get_value()
    assert opt.value_structure is spec  # TF 1.15's name
    assert spec["x"].dtype == tf.int64 and spec["x"].shape.as_list() == [1, 2]
    assert spec["y"][0].dtype == tf.string
    assert value["x"].shape.as_list() == [1, 2]
    assert opt._variant_tensor.op.type == "OptionalFromValue" and opt._variant_tensor.op.name \
        == "optional_1"
    with tf.Session(graph=g) as sess:
        h, d, w, (kv, f), v = sess.run([has, dense, words, k, value])
    assert h and list(w) == [b"a", b"bc"] and (int(kv), float(f)) == (3, 4.0)
    np.testing.assert_array_equal(d, [[0, 1.5], [0, 0], [2.5, 0]])
    np.testing.assert_array_equal(v["x"], [[1, 2]])
    assert v["y"] == (b"s",)


def test_sparse_elements_and_module_level_get_next_as_optional():
    g = tf.Graph()
    with g.as_default():
        sp = tf.SparseTensor([[0, 1]], [7], [2, 2])
        it = tf.data.make_one_shot_iterator(tf.data.Dataset.from_tensors(sp).repeat(2))
        opt = tf.data.experimental.get_next_as_optional(it)
        assert isinstance(opt, Optional)
        dense = tf.cond(opt.has_value(), lambda: tf.sparse.to_dense(opt.get_value()),
                        lambda: tf.zeros([2, 2], tf.int32))
    with tf.Session(graph=g) as sess:
        got = [sess.run(dense).tolist() for _ in range(3)]
    assert got == [[[0, 7], [0, 0]], [[0, 7], [0, 0]], [[0, 0], [0, 0]]]


def test_reinitialising_the_iterator_refills_the_optional():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.int32, [None])
        it = tf.data.make_initializable_iterator(tf.data.Dataset.from_tensor_slices(x))
        opt = it.get_next_as_optional()
        value = tf.cond(opt.has_value(), opt.get_value, lambda: tf.constant(-1))
    with tf.Session(graph=g) as sess:
        sess.run(it.initializer, {x: [5]})
        assert _run_until_empty(sess, opt.has_value(), value) == [(True, 5), (False, -1)]
        sess.run(it.initializer, {x: [8, 9]})
        assert [v for _, v in _run_until_empty(sess, opt.has_value(), value)] == [8, 9, -1]


def test_get_next_takes_a_name():
    g = tf.Graph()
    with g.as_default():
        it = tf.data.make_one_shot_iterator(tf.data.Dataset.range(3))
        nxt = it.get_next(name="next_element")
    assert nxt.op.name == "next_element" and nxt.op.type == "IteratorGetNext"


def test_empty_optional_get_value_raises_and_empty_structure():
    g = tf.Graph()
    with g.as_default():
        empty = Optional.none_from_structure((tf.TensorSpec([], tf.int32),))
        value = empty.get_value()
        assert empty.empty is Optional.empty and empty._variant_tensor.op.type == "OptionalNone"
        nothing = Optional.from_value(())
        assert nothing.get_value() == ()
    with tf.Session(graph=g) as sess:
        assert sess.run([empty.has_value(), nothing.has_value()]) == [False, True]
        with pytest.raises(errors.InvalidArgumentError,
                           match=r"The given optional does not have a value"):
            sess.run(value)


def test_bad_input():
    from minitf.ops import optional_ops as ops

    g = tf.Graph()
    with g.as_default():
        with pytest.raises(TypeError, match="must hold tf.TensorSpec values"):
            Optional.empty((tf.int32,))
        with pytest.raises(TypeError, match="expects a tf.data Iterator"):
            tf.data.experimental.get_next_as_optional(tf.data.Dataset.range(2))
        with pytest.raises(TypeError, match="Input 'optional' of 'OptionalHasValue' Op has "
                           "type float32 that does not match expected type of variant"):
            ops.OPTIONAL_HAS_VALUE(tf.constant(1.0))
        with pytest.raises(TypeError, match="variant tensor"):
            Optional(tf.constant(1.0), tf.TensorSpec([], tf.float32))
        opt = Optional.from_value(np.float32(1.0))
        with pytest.raises(errors.InvalidArgumentError, match="at least one component"):
            ops.OPTIONAL_GET_VALUE(opt._variant_tensor, output_types=[], output_shapes=[])
        wrong_type = ops.OPTIONAL_GET_VALUE(opt._variant_tensor, output_types=[tf.int32],
                                            output_shapes=[[]])
        wrong_count = ops.OPTIONAL_GET_VALUE(opt._variant_tensor,
                                             output_types=[tf.float32, tf.float32],
                                             output_shapes=[[], []])
        wrong_shape = ops.OPTIONAL_GET_VALUE(opt._variant_tensor, output_types=[tf.float32],
                                             output_shapes=[[3]])
        it = tf.data.make_initializable_iterator(tf.data.Dataset.range(2))
        early = it.get_next_as_optional().has_value()
    with tf.Session(graph=g) as sess:
        with pytest.raises(errors.InvalidArgumentError, match="is type float32 but expected "
                           "type int32"):
            sess.run(wrong_type)
        with pytest.raises(errors.InvalidArgumentError, match="has 1 components, expected 2"):
            sess.run(wrong_count)
        with pytest.raises(errors.InvalidArgumentError, match=r"has shape \(\) but expected "
                           r"shape \(3,\)"):
            sess.run(wrong_shape)
        with pytest.raises(errors.FailedPreconditionError, match="has not been initialized"):
            sess.run(early)


def test_optional_ops_round_trip_through_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        opt = Optional.from_value((x, tf.constant(b"w")))
        tf.identity(opt.get_value()[0] * 2.0, name="doubled")
        tf.identity(opt.has_value(), name="has")
        tf.identity(Optional.empty(tf.TensorSpec([], tf.int32)).has_value(), name="has_none")
    graph_def = tf1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    tg = tf1.Graph()
    with tg.as_default():
        tf1.import_graph_def(graph_def, name="")
    with tf1.Session(graph=tg) as sess:
        d, h, n = sess.run(["doubled:0", "has:0", "has_none:0"], {"x:0": [1.5, -2.0]})
    np.testing.assert_array_equal(d, [3.0, -4.0])
    assert h and not n


def test_tensorflow_graph_def_with_optional_ops_runs_in_minitf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    g = tf1.Graph()
    with g.as_default():
        x = tf1.placeholder(tf1.float32, [2], name="x")
        opt = tf1.data.experimental.Optional.from_value({"a": x, "b": tf1.constant(b"w")})
        value = opt.get_value()
        tf1.identity(value["a"] * 2.0, name="doubled")
        tf1.identity(value["b"], name="word")
        tf1.identity(opt.has_value(), name="has")
        empty = tf1.data.experimental.Optional.empty(tf1.TensorSpec([], tf1.int32))
        tf1.identity(empty.has_value(), name="has_none")
        tf1.identity(empty.get_value(), name="bad")
    mine = tf.Graph()
    with mine.as_default():
        tf.import_graph_def(tf.GraphDef.FromString(g.as_graph_def().SerializeToString()),
                            name="")
    with tf.Session(graph=mine) as sess:
        d, w, h, n = sess.run(["doubled:0", "word:0", "has:0", "has_none:0"],
                              {"x:0": [1.5, -2.0]})
        with pytest.raises(errors.InvalidArgumentError, match="does not have a value"):
            sess.run("bad:0")
    np.testing.assert_array_equal(d, [3.0, -4.0])
    assert w == b"w" and h and not n
