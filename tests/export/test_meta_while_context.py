"""A minitf ``.meta`` carries TF1's control-flow collections: ``while_context`` (a WhileContextDef
per outermost tf.while_loop) and ``cond_context`` (a CondContextDef per outermost tf.cond branch
that minitf records: those around a loop), with the contexts inside each in its
``nested_contexts``. TensorFlow needs them to take new gradients through the loops of a graph it
imports with ``import_meta_graph``; without them its ``minimize`` fails with
``AttributeError: 'NoneType' object has no attribute 'outer_context'``.

The expected protos were written by TensorFlow 2.21 (``tf.train.export_meta_graph`` of the same
graphs, with control flow v1 and ref variables); where TensorFlow is installed the tests also
compare with it directly.
"""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import json_format, text_format

import minitf as tf
from minitf.export.meta_graph import (COND_CONTEXT, WHILE_CONTEXT, export_meta_graph,
                                      read_meta_graph)
from minitf.protos import control_flow_pb2

X = [1.0, 2.0]
W0 = np.array([0.5, -0.3], np.float32)


def _build(T, case: str):
    """The same graph in minitf or in TensorFlow (``T``); returns its loss."""
    x = T.placeholder(T.float32, [2], name="x")
    w = T.get_variable("w", initializer=W0, use_resource=False)

    def step(i, a):
        return i + 1, T.tanh(a) * w

    def loop(inputs):
        return T.while_loop(lambda i, a: i < 3, step, [T.constant(0), inputs])[1]

    if case in ("simple", "trained"):
        h = loop(x * w)
    elif case == "nested":
        def body(i, a):
            _, b = T.while_loop(lambda j, b: j < 2, lambda j, b: (j + 1, T.sin(b) * w),
                                [T.constant(0), a])
            return i + 1, b + a

        h = T.while_loop(lambda i, a: i < 3, body, [T.constant(0), x * w])[1]
    elif case == "cond_in_loop":
        def body(i, a):
            return i + 1, T.cond(i < 1, lambda: T.tanh(a) * w, lambda: a * a)

        h = T.while_loop(lambda i, a: i < 3, body, [T.constant(0), x * w])[1]
    elif case == "loop_in_cond":
        h = T.cond(T.reduce_sum(x) > 0, lambda: loop(x * w), lambda: x * w * w)
    elif case == "maximum_iterations":
        h = T.while_loop(lambda a: T.reduce_sum(a) < 100.0, lambda a: T.tanh(a) * w + a,
                         [x * w], maximum_iterations=4)
    loss = T.reduce_sum(T.square(h), name="loss")
    if case == "trained":  # the forward loop gets the gradient's iteration counter
        T.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
    return loss


def _minitf_meta(case: str, **kwargs):
    with tf.Graph().as_default() as graph:
        _build(tf, case)
        return export_meta_graph(graph=graph, **kwargs)


def _contexts(meta, key: str, message) -> list:
    if key not in meta.collection_def:
        return []
    return [message.FromString(raw) for raw in meta.collection_def[key].bytes_list.value]


def _whiles(meta) -> list:
    return _contexts(meta, WHILE_CONTEXT, control_flow_pb2.WhileContextDef)


def _conds(meta) -> list:
    return _contexts(meta, COND_CONTEXT, control_flow_pb2.CondContextDef)


# TensorFlow 2.21 wrote this for the "simple" graph.
TF_SIMPLE = """
context_name: "while/while_context" parallel_iterations: 10 back_prop: true
pivot_name: "while/LoopCond:0" pivot_for_pred_name: "while/Merge:0"
pivot_for_body_name: "while/Identity:0"
loop_exit_names: ["while/Exit:0", "while/Exit_1:0"]
loop_enter_names: ["while/Enter:0", "while/Enter_1:0"]
values_def {
  values: ["w/read:0", "while/Enter:0", "while/Enter_1:0", "while/Exit:0", "while/Exit_1:0",
           "while/Identity:0", "while/Identity_1:0", "while/Less/y:0", "while/Less:0",
           "while/LoopCond:0", "while/Merge:0", "while/Merge:1", "while/Merge_1:0",
           "while/Merge_1:1", "while/NextIteration:0", "while/NextIteration_1:0",
           "while/Switch:0", "while/Switch:1", "while/Switch_1:0", "while/Switch_1:1",
           "while/Tanh:0", "while/add/y:0", "while/add:0", "while/mul/Enter:0", "while/mul:0"]
  external_values { key: "w/read:0" value: "while/mul/Enter:0" }
}
"""


def test_a_loop_is_written_as_tensorflow_writes_it():
    meta = _minitf_meta("simple")
    expected = text_format.Parse(TF_SIMPLE, control_flow_pb2.WhileContextDef())
    assert _whiles(meta) == [expected]
    assert COND_CONTEXT not in meta.collection_def


def test_a_nested_loop_is_nested_in_the_outer_one():
    [outer] = _whiles(_minitf_meta("nested"))
    assert outer.context_name == "while/while_context"
    [nested] = outer.nested_contexts
    inner = nested.while_ctxt
    # As TF 2.21: the inner loop's names, its values apart from the outer loop's (which keep
    # the inner Exits and the Enter that brings w into the outer loop for it).
    assert (inner.context_name, inner.pivot_name, inner.pivot_for_body_name) == (
        "while/while/while_context", "while/while/LoopCond:0", "while/while/Identity:0")
    assert list(inner.loop_exit_names) == ["while/while/Exit:0", "while/while/Exit_1:0"]
    assert list(inner.loop_enter_names) == ["while/while/Enter:0", "while/while/Enter_1:0"]
    assert dict(inner.values_def.external_values) == {"w/read:0": "while/while/mul/Enter_1:0"}
    assert "while/while/Sin:0" in inner.values_def.values
    outer_values = set(outer.values_def.values)
    assert {"while/Const:0", "while/add_1:0", "while/while/Exit:0",
            "while/while/mul/Enter:0"} <= outer_values
    assert not {"while/while/Sin:0", "while/while/Enter:0"} & outer_values
    assert dict(outer.values_def.external_values) == {"w/read:0": "while/while/mul/Enter:0"}


def test_the_branches_of_a_cond_in_a_loop_are_nested_in_it():
    [loop] = _whiles(_minitf_meta("cond_in_loop"))
    branches = [c.cond_ctxt for c in loop.nested_contexts]
    # TF 2.21's names, pivots and outside values for the two branches.
    assert [(b.context_name, b.pivot_name, b.branch) for b in branches] == [
        ("while/cond/cond_text", "while/cond/switch_t:0", 1),
        ("while/cond/cond_text_1", "while/cond/switch_f:0", 0)]
    assert all(b.pred_name == "while/cond/pred_id:0" for b in branches)
    assert dict(branches[0].values_def.external_values) == {
        "while/cond/pred_id:0": "while/cond/pred_id:0",
        "while/cond/mul/Enter:0": "while/cond/mul/Enter:0",
        "while/Identity_1:0": "while/cond/Tanh/Switch:1",
        "w/read:0": "while/cond/mul/Switch:1"}
    assert list(branches[1].values_def.values) == [
        "while/Identity_1:0", "while/cond/mul_1/Switch:0", "while/cond/mul_1:0",
        "while/cond/pred_id:0", "while/cond/switch_f:0"]
    assert {"while/cond/Tanh:0", "while/cond/switch_t:0", "while/cond/Merge:0"} <= set(
        loop.values_def.values)  # TF1 lists a branch's values in the loop around it too


def test_a_loop_in_a_cond_is_nested_in_its_branch():
    meta = _minitf_meta("loop_in_cond")
    assert WHILE_CONTEXT not in meta.collection_def  # TF1 records only outermost contexts
    [branch] = _conds(meta)
    assert (branch.context_name, branch.pivot_name, branch.branch) == (
        "cond/cond_text", "cond/switch_t:0", 1)
    [nested] = branch.nested_contexts
    assert nested.while_ctxt.context_name == "cond/while/while_context"
    assert dict(nested.while_ctxt.values_def.external_values) == {
        "w/read:0": "cond/while/mul/Enter:0"}
    values = set(branch.values_def.values)
    assert {"cond/while/Exit_1:0", "cond/mul:0", "cond/Const:0"} <= values
    assert "cond/while/Tanh:0" not in values  # the loop's own


def test_maximum_iterations_is_named():
    [loop] = _whiles(_minitf_meta("maximum_iterations"))
    assert loop.maximum_iterations_name == "while/maximum_iterations:0"  # TF 2.21's
    assert loop.values_def.external_values["while/maximum_iterations:0"] == "while/Less/Enter:0"
    [plain] = _whiles(_minitf_meta("simple"))
    assert plain.maximum_iterations_name == ""


def test_gradient_loops_are_left_out_and_the_counter_is_a_loop_variable():
    [loop] = _whiles(_minitf_meta("trained"))  # TF1 records the forward loop only
    assert loop.context_name == "while/while_context"
    # TF1 appends the gradient's iteration counter to the loop's Enters and Exits.
    assert len(loop.loop_enter_names) == len(loop.loop_exit_names) == 3
    assert loop.loop_exit_names[:2] == ["while/Exit:0", "while/Exit_1:0"]
    counter_exit = loop.loop_exit_names[2]
    assert counter_exit.startswith("gradients/") and counter_exit in loop.values_def.values


def test_collection_list_and_graphs_without_loops():
    assert WHILE_CONTEXT not in _minitf_meta("simple", collection_list=["variables"]
                                             ).collection_def
    meta = _minitf_meta("simple", collection_list=[WHILE_CONTEXT])
    assert list(meta.collection_def) == [WHILE_CONTEXT]
    with tf.Graph().as_default() as graph:
        x = tf.placeholder(tf.float32, [2])
        tf.cond(tf.reduce_sum(x) > 0, lambda: x, lambda: -x)
        meta = export_meta_graph(graph=graph)
    assert not {WHILE_CONTEXT, COND_CONTEXT} & set(meta.collection_def)


def test_minitf_imports_its_contexts_and_writes_them_back_once(tmp_path):
    path = str(tmp_path / "m.meta")
    with tf.Graph().as_default() as graph:
        loss = _build(tf, "nested")
        export_meta_graph(path, graph=graph)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            want = sess.run(loss, {"x:0": X})
    written = _whiles(read_meta_graph(path))
    assert [w.context_name for w in written] == ["while/while_context"]
    with tf.Graph().as_default() as graph:
        tf.train.import_meta_graph(path)
        with tf.Session() as sess:  # the imported loop runs
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run("loss:0", {"x:0": X}), want, rtol=1e-6)
        assert _whiles(export_meta_graph(graph=graph)) == written  # kept, not doubled


# -- against TensorFlow ---------------------------------------------------------------------------
CASES = ["simple", "nested", "cond_in_loop", "loop_in_cond", "maximum_iterations"]


def _as_dicts(meta, key) -> list:
    return [json_format.MessageToDict(m, preserving_proto_field_name=True) for m in _contexts(
        meta, key, control_flow_pb2.WhileContextDef if key == WHILE_CONTEXT
        else control_flow_pb2.CondContextDef)]


@pytest.mark.tensorflow
@pytest.mark.parametrize("case", CASES)
def test_collections_match_tensorflow(tf1_v1_control_flow, case):
    tf1 = tf1_v1_control_flow
    with tf1.Graph().as_default() as graph:
        _build(tf1, case)
        theirs = tf1.train.export_meta_graph(graph=graph).SerializeToString()
    from minitf.protos import meta_graph_pb2

    theirs = meta_graph_pb2.MetaGraphDef.FromString(theirs)
    ours = _minitf_meta(case)
    assert _as_dicts(ours, WHILE_CONTEXT) == _as_dicts(theirs, WHILE_CONTEXT)
    if case == "loop_in_cond":  # the branch without a loop is recorded nowhere in minitf
        assert _as_dicts(ours, COND_CONTEXT) == _as_dicts(theirs, COND_CONTEXT)[:1]
    else:
        assert _as_dicts(ours, COND_CONTEXT) == _as_dicts(theirs, COND_CONTEXT)


def train(T, make_loss, steps: int, x=X):
    """``steps`` of gradient descent on ``make_loss()`` in minitf or TensorFlow (``T``): the
    weight they give."""
    with T.Graph().as_default():
        loss = make_loss()
        [w] = T.trainable_variables()
        step = T.train.GradientDescentOptimizer(0.1).minimize(loss)
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            for _ in range(steps):
                sess.run(step, {"x:0": x})
            return sess.run(w)


@pytest.mark.tensorflow
@pytest.mark.parametrize("case", [*CASES, "trained"])
def test_tensorflow_trains_through_minitf_loops(tmp_path, case):
    """TensorFlow imports minitf's .meta, builds new gradients through its loops and trains
    to what it gets for the graph built natively."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    path = str(tmp_path / "m.meta")
    with tf.Graph().as_default() as graph:
        _build(tf, case)
        export_meta_graph(path, graph=graph)

    def imported():
        tf1.train.import_meta_graph(path)
        return tf1.get_default_graph().get_tensor_by_name("loss:0")

    for x in (X, [-v for v in X]):  # in loop_in_cond: either branch
        got = train(tf1, imported, steps=3, x=x)
        want = train(tf1, lambda: _build(tf1, case), steps=3, x=x)
        np.testing.assert_allclose(got, want, rtol=1e-5)
    if case == "simple":  # one step: TF 2.21 gave these for the native graph
        np.testing.assert_allclose(train(tf1, imported, steps=1),
                                   [0.49519256, -0.29948273], rtol=1e-5)


def test_clear_devices_on_export_and_import(tmp_path):
    """TF1's ``clear_devices``: exporting or importing with it empties every node's device."""
    with tf.device("/job:ps/task:0"):
        tf.Variable(1.0, name="w")
    path = str(tmp_path / "m.meta")
    kept = tf.train.export_meta_graph(path)
    cleared = tf.train.export_meta_graph(graph=tf.get_default_graph(), clear_devices=True)
    assert {n.device for n in kept.graph_def.node} == {"/job:ps/task:0"}
    assert {n.device for n in cleared.graph_def.node} == {""}
    for clear, want in ((False, "/job:ps/task:0"), (True, "")):
        with tf.Graph().as_default() as g:
            tf.train.import_meta_graph(path, clear_devices=clear)
            assert g.get_operation_by_name("w/read").device == want
