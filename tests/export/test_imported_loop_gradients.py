"""tf.gradients through while loops this program did not build: imported with
``import_meta_graph`` (as TF1, which restores their contexts from ``while_context``), with a
bare ``import_graph_def`` (where TF1 fails: its gradient needs the contexts), and TensorFlow 2's
``While`` lowered at import. minitf recovers each loop's context from its frame
(core/control_flow_import.py).

References: the same graph built natively in minitf (its loop gradients are checked against
finite differences in tests/core), central finite differences for the files TensorFlow wrote
(data/, data/tf2/), and, where TensorFlow is installed, TensorFlow training the same graph.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf.export.meta_graph import export_meta_graph
from minitf.protos import graph_pb2

from .test_meta_while_context import CASES, W0, X, _build, train

DATA = Path(__file__).resolve().parent / "data"


def _imported_meta(path):
    def make():
        tf.train.import_meta_graph(path)
        return tf.get_default_graph().get_tensor_by_name("loss:0")
    return make


@pytest.mark.parametrize("case", [*CASES, "trained"])
def test_training_through_loops_of_an_imported_meta_graph(tmp_path, case):
    """TF1's transfer-learning workflow: import a .meta, add an optimizer, train. Each case
    trains to the weights the natively built graph trains to (both branches of
    loop_in_cond; "trained" already holds a gradient of its loop, so the loop carries a
    counter and stacks when the second gradient is built)."""
    path = str(tmp_path / "m.meta")
    with tf.Graph().as_default() as graph:
        _build(tf, case)
        export_meta_graph(path, graph=graph)
    for x in (X, [-v for v in X]):
        got = train(tf, _imported_meta(path), steps=3, x=x)
        want = train(tf, lambda: _build(tf, case), steps=3, x=x)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert not np.allclose(got, W0)  # it trained


@pytest.mark.parametrize("case", CASES)
def test_gradients_through_loops_of_a_bare_graph_def(case):
    """A GraphDef records nothing of its loops (TF1's tf.gradients fails on it): the frames
    alone give minitf the loops, and the gradients with respect to the input and to the
    variable's tensor are those of the native graph."""
    with tf.Graph().as_default() as graph:
        loss = _build(tf, case)
        w = tf.trainable_variables()[0]
        want_grads = tf.gradients(loss, [graph.get_tensor_by_name("x:0"), w])
        gd = graph.as_graph_def()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            want = sess.run(want_grads, {"x:0": X})
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(gd, name="")
        grads = tf.gradients(graph.get_tensor_by_name("loss:0"),
                             [graph.get_tensor_by_name("x:0"), graph.get_tensor_by_name("w:0")])
        with tf.Session() as sess:
            sess.run("w/Assign")
            got = sess.run(grads, {"x:0": X})
    for g, v in zip(got, want):
        np.testing.assert_allclose(g, v, rtol=1e-6)
        assert np.abs(v).max() > 0  # the loop passes a gradient on


def _doubling_loop():
    """The GraphDef of y = the loop v <- 2v + x from v = x until v >= 10."""
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [], name="x")
        tf.identity(tf.while_loop(lambda v: v < 10.0, lambda v: v * 2.0 + x, [x]), name="y")
        return graph.as_graph_def()


def test_one_graph_def_imported_twice_gives_two_loops():
    """Both imports keep the frame name (as TF's import does): each loop is still its own,
    with its own gradient. v <- 2v + x from v = x until v >= 10: x = 1 takes three steps
    (v = 15x), x = 2 two (v = 7x)."""
    gd = _doubling_loop()
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(gd, name="a")
        tf.import_graph_def(gd, name="b")
        xs = [graph.get_tensor_by_name(f"{s}/x:0") for s in "ab"]
        ys = [graph.get_tensor_by_name(f"{s}/y:0") for s in "ab"]
        grads = tf.gradients(ys[0] + 3.0 * ys[1], xs)
        with tf.Session() as sess:
            got = sess.run(grads + ys, {xs[0]: 1.0, xs[1]: 2.0})
    np.testing.assert_allclose(got, [15.0, 21.0, 15.0, 14.0])


def test_an_imported_loop_beside_a_loop_built_after_it():
    """The import keeps the frame name "while/while_context", which the program's own first
    loop then gets too: each keeps its own gradient, also taken a second time. v <- 2v + x
    from x = 1 gives 15x; v <- 3v + z from z = 1 stops at 121 = 121z."""
    gd = _doubling_loop()
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(gd, name="a")
        xa, ya = graph.get_tensor_by_name("a/x:0"), graph.get_tensor_by_name("a/y:0")
        [first] = tf.gradients(ya, xa)
        z = tf.placeholder(tf.float32, [])
        yz = tf.while_loop(lambda v: v < 100.0, lambda v: v * 3.0 + z, [z])
        [again] = tf.gradients(ya, xa)
        [own] = tf.gradients(yz, z)
        with tf.Session() as sess:
            got = sess.run([first, again, own, ya, yz], {xa: 1.0, z: 1.0})
    np.testing.assert_allclose(got, [15.0, 15.0, 121.0, 15.0, 121.0])


def test_what_tf1_refuses_or_stops_at_stays_so_after_import(tmp_path):
    """A gradient loop imported is not differentiated again (TF1's TypeError for second-order
    loop gradients; its stack pops would pass for constants); a loop written with
    back_prop=False is a stop_gradient after import_meta_graph too (its while_context says
    so); a loop in a tf.cond branch inside another loop is refused when the gradient is built
    (a GraphDef does not record the branch; the loop built here is refused too)."""
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [2], name="x")
        y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, tf.tanh(v) * x),
                          [tf.constant(0), x])[1]
        tf.identity(tf.gradients(tf.reduce_sum(y * y), x)[0], name="dx")
        stopped = tf.while_loop(lambda v: tf.reduce_sum(v) < 10.0, lambda v: v * 2.0, [x],
                                back_prop=False)
        tf.identity(stopped, name="stopped")

        def body(i, v):
            return i + 1, tf.cond(i < 1, lambda: tf.while_loop(
                lambda u: tf.reduce_sum(u) < 50.0, lambda u: u * 1.3 + 1.0, [v]),
                lambda: v * x)
        tf.identity(tf.while_loop(lambda i, v: i < 3, body, [tf.constant(0), x])[1],
                    name="branchy")
        path = str(tmp_path / "m.meta")
        export_meta_graph(path, graph=graph)
        with pytest.raises(LookupError, match="made in a loop inside a tf.while_loop"):
            tf.gradients(graph.get_tensor_by_name("branchy:0"), x)
    with tf.Graph().as_default() as graph:
        tf.train.import_meta_graph(path)
        x = graph.get_tensor_by_name("x:0")
        with pytest.raises(TypeError, match="Second-order gradient for while loops not "
                                            "supported"):
            tf.gradients(graph.get_tensor_by_name("dx:0"), x)
        assert tf.gradients(graph.get_tensor_by_name("stopped:0"), x) == [None]
        with pytest.raises(LookupError, match=r"the loop of 'while_\d/cond/while/LoopCond', in "
                                              "a tf.cond branch inside another loop"):
            tf.gradients(graph.get_tensor_by_name("branchy:0"), x)


def test_exporting_after_a_gradient_keeps_one_context_per_loop(tmp_path):
    """import_meta_graph, a gradient, export_meta_graph: the file's while_context holds the
    imported loop once (the context recovered for the gradient is not written again)."""
    path = str(tmp_path / "m.meta")
    with tf.Graph().as_default() as graph:
        _build(tf, "simple")
        export_meta_graph(path, graph=graph)
    with tf.Graph().as_default() as graph:
        tf.train.import_meta_graph(path)
        tf.gradients(graph.get_tensor_by_name("loss:0"), graph.get_tensor_by_name("x:0"))
        written = export_meta_graph(graph=graph).collection_def["while_context"]
    assert len(written.bytes_list.value) == 1


def _numerical(sess, loss, x, feed, eps=1e-3):
    """Central differences of ``loss`` with respect to ``x`` (in float64 around the feed)."""
    xv = np.asarray(feed[x], np.float64)
    out = np.zeros_like(xv)
    for idx in np.ndindex(xv.shape):
        step = np.zeros_like(xv)
        step[idx] = eps
        up = sess.run(loss, {**feed, x: (xv + step).astype(np.float32)})
        down = sess.run(loss, {**feed, x: (xv - step).astype(np.float32)})
        out[idx] = (up - down) / (2 * eps)
    return out


def _check_against_differences(graph, sess, output: str, x: str, feed: dict):
    x = graph.get_tensor_by_name(x)
    y = graph.get_tensor_by_name(output)
    weights = tf.constant(np.random.default_rng(7).uniform(0.5, 1.5, size=(
        sess.run(tf.shape(y), feed))).astype(np.float32))
    loss = tf.reduce_sum(y * y * weights)
    [grad] = tf.gradients(loss, [x])
    assert grad is not None
    got = sess.run(grad, feed)
    want = _numerical(sess, loss, x, feed)
    assert np.abs(want).max() > 1e-3  # the loop matters to the loss
    np.testing.assert_allclose(got, want, atol=2e-3 * np.abs(want).max())


@pytest.mark.parametrize("name,feed", [
    # tf.while_loop with a cond in its body and a loop nested in it, a data-dependent count
    ("while_frozen.pb", {"x:0": np.random.default_rng(1).normal(size=(4, 3)) * 1.5}),
    # tf.nn.dynamic_rnn of an LSTM cell: TensorArrays through the loop, sequence lengths
    ("rnn_frozen.pb", {"x:0": np.random.default_rng(2).normal(size=(3, 5, 3)),
                       "lengths:0": np.array([5, 3, 1], np.int32)}),
])
def test_gradients_through_tensorflow_frozen_loops(name, feed):
    """Files TensorFlow 1 wrote (data/generate_with_tensorflow.py): gradients with respect to
    the input through their loops match central differences."""
    gd = graph_pb2.GraphDef.FromString((DATA / name).read_bytes())
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            feed = {graph.get_tensor_by_name(k): np.asarray(v).astype(
                np.float32 if np.asarray(v).dtype.kind == "f" else np.asarray(v).dtype)
                for k, v in feed.items()}
            _check_against_differences(graph, sess, "y:0", "x:0", feed)


@pytest.mark.parametrize("name,output", [
    ("while_module", "x"),  # While reading a variable in its body
    ("while_module", "decayed"),  # StatelessWhile with a data-dependent count
    ("keras_lstm", "out"),  # keras' LSTM: a While over TensorLists
])
def test_gradients_through_tensorflow_2_loops(name, output):
    """TensorFlow 2's SavedModels (data/tf2/): their While loops, lowered to frames at
    import, differentiate; TensorList loop variables carry the gradient (a list of
    gradients, summed element-wise)."""
    data = np.load(DATA / "tf2" / f"{name}.npz")
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(DATA / "tf2" / name / "1"))
        sd = meta.signature_def["serving_default"]
        feed = {graph.get_tensor_by_name(ti.name): data[f"in:{alias}"]
                for alias, ti in sd.inputs.items()}
        first = "x" if name == "while_module" else "sequence"
        _check_against_differences(graph, sess, sd.outputs[output].name,
                                   sd.inputs[first].name, feed)


@pytest.mark.parametrize("output", ["y", "z"])
def test_gradients_through_nested_tensorflow_2_loops_are_tensorflows(output):
    """nested_while_module: a While in a While's body with a cond after it ("y"), then a
    While writing a TensorArray ("z"). The gradients of sum(output ** 2) are those
    TensorFlow's GradientTape gave (in the npz)."""
    data = np.load(DATA / "tf2" / "nested_while_module.npz")
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"],
                                          str(DATA / "tf2" / "nested_while_module" / "1"))
        sd = meta.signature_def["serving_default"]
        x = graph.get_tensor_by_name(sd.inputs["x"].name)
        y = graph.get_tensor_by_name(sd.outputs[output].name)
        [grad] = tf.gradients(tf.reduce_sum(tf.square(y)), [x])
        got = sess.run(grad, {x: data["in:x"]})
    np.testing.assert_allclose(got, data[f"grad:{output}:x"], rtol=1e-5, atol=1e-6)


def test_a_frame_not_of_tf1_form_is_refused_by_name():
    """A loop variable whose Merge does not take an Enter and a NextIteration: no loop is
    recovered, and the Exit's gradient says what is wrong (never a wrong gradient)."""
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [], name="x")
        tf.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, [x], name="loop")
        gd = graph.as_graph_def()
    merge = next(n for n in gd.node if n.op == "Merge")
    merge.input[1] = merge.input[0]  # Merge(Enter, Enter): the back edge is gone
    with tf.Graph().as_default() as graph:
        tf.import_graph_def(gd, name="")
        with pytest.raises(LookupError, match=r"'loop/Exit' \(Exit\): its frame is not a "
                                              "while loop of TF1's form"):
            tf.gradients(graph.get_tensor_by_name("loop/Exit:0"),
                         graph.get_tensor_by_name("x:0"))


@pytest.mark.tensorflow
@pytest.mark.parametrize("case", [*CASES, "trained"])
def test_training_through_loops_tensorflow_exported(tf1_v1_control_flow, tmp_path, case):
    """A .meta TensorFlow wrote (control flow v1): minitf imports it, adds an optimizer and
    trains to what TensorFlow trains the same graph to."""
    tf1 = tf1_v1_control_flow
    path = str(tmp_path / "m.meta")
    with tf1.Graph().as_default() as graph:
        _build(tf1, case)
        tf1.train.export_meta_graph(path, graph=graph)
    for x in (X, [-v for v in X]):
        got = train(tf, _imported_meta(path), steps=3, x=x)
        want = train(tf1, lambda: _build(tf1, case), steps=3, x=x)
        np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.tensorflow
def test_back_prop_false_in_a_tensorflow_meta_graph(tf1_v1_control_flow, tmp_path):
    """TF1 gives None through a loop it built with back_prop=False after importing its .meta;
    so does minitf (the while_context it reads), and a gradient through its sibling loop."""
    tf1 = tf1_v1_control_flow
    path = str(tmp_path / "m.meta")
    with tf1.Graph().as_default() as graph:
        x = tf1.placeholder(tf1.float32, [2], name="x")
        tf1.identity(tf1.while_loop(lambda v: tf1.reduce_sum(v) < 10.0, lambda v: v * 2.0,
                                    [x], back_prop=False), name="stopped")
        tf1.identity(tf1.while_loop(lambda v: tf1.reduce_sum(v) < 10.0, lambda v: v * 2.0,
                                    [x]), name="kept")
        tf1.train.export_meta_graph(path, graph=graph)
    with tf1.Graph().as_default() as graph:
        tf1.train.import_meta_graph(path)
        x = graph.get_tensor_by_name("x:0")
        assert tf1.gradients(graph.get_tensor_by_name("stopped:0"), x) == [None]
    with tf.Graph().as_default() as graph:
        tf.train.import_meta_graph(path)
        x = graph.get_tensor_by_name("x:0")
        assert tf.gradients(graph.get_tensor_by_name("stopped:0"), x) == [None]
        [kept] = tf.gradients(tf.reduce_sum(graph.get_tensor_by_name("kept:0")), x)
        with tf.Session() as sess:  # [1, 2] doubles twice (sum 12 >= 10): 4 each
            np.testing.assert_allclose(sess.run(kept, {x: [1.0, 2.0]}), [4.0, 4.0])
