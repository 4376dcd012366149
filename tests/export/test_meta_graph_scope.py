"""``tf.train.export_meta_graph(export_scope=..., graph_def=...)`` as TF1's
``export_scoped_meta_graph``: the nodes inside the scope with the scope stripped (names, inputs,
colocation, Enter frames), outside inputs as ``$unbound_inputs_<name>`` (listed in the
``unbound_inputs`` collection, which import_meta_graph requires input_map to bind), and the
collections' members inside the scope. The TF-free tests hold hand-written expectations; where
TensorFlow is installed the same graphs are exported by both and each file imported by the other.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.export.meta_graph import export_meta_graph, import_meta_graph
from minitf.export.meta_graph_scope import strip_name_scope
from minitf.protos import control_flow_pb2, graph_pb2, meta_graph_pb2, variable_pb2

X = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
W0 = np.array([[0.5], [-0.25]], np.float32)
LR = 0.1


def _build(T, loop=True):
    """x outside scope "m"; inside it a variable, a matmul reading x, a loss, its training op
    and (``loop``) a while loop adding sum(x) three times. The same in minitf or TF (``T``)."""
    x = T.placeholder(T.float32, [None, 2], name="x")
    with T.variable_scope("m"):
        w = T.get_variable("w", initializer=T.constant(W0), use_resource=False)
        y = T.matmul(x, w, name="y")
        loss = T.reduce_mean(T.square(y), name="loss")
        train = T.train.GradientDescentOptimizer(LR).minimize(loss, name="train")
        if loop:
            _, acc = T.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + T.reduce_sum(x)),
                                  [T.constant(0), T.constant(0.0)])
            T.identity(acc * 2.0, name="out")
    T.add_to_collection("train_op", train)
    T.add_to_collection("outs", y)
    T.add_to_collection("outs", x)  # outside the scope: left out
    T.add_to_collection("tags", b"t1")  # no name: kept
    return x


def _expected_after_step():
    """loss, w after one step and loss then, by numpy (loss = mean((X @ w)^2))."""
    y = X @ W0
    grad = X.T @ (2 * y / len(y))
    w1 = W0 - LR * grad
    return float(np.mean(y ** 2)), w1, float(np.mean((X @ w1) ** 2))


def _scoped_meta(loop=True, **kwargs):
    g = tf.Graph()
    with g.as_default():
        _build(tf, loop)
        return g, export_meta_graph(export_scope="m", **kwargs)


def _run_imported(T, meta, session_of):
    """Imports ``meta`` under "n" binding x; returns (loss, out, d out/d x, w after a step,
    loss after it, collections)."""
    if T is not tf:  # TensorFlow's own proto class
        from tensorflow.core.protobuf import meta_graph_pb2 as tf_meta_graph_pb2

        meta = tf_meta_graph_pb2.MetaGraphDef.FromString(meta.SerializeToString())
    else:
        meta = meta_graph_pb2.MetaGraphDef.FromString(meta.SerializeToString())
    g = T.Graph()
    with g.as_default():
        xx = T.placeholder(T.float32, [None, 2], name="xx")
        T.train.import_meta_graph(meta, import_scope="n", input_map={"$unbound_inputs_x": xx})
        loss, out = g.get_tensor_by_name("n/loss:0"), g.get_tensor_by_name("n/out:0")
        grad = T.gradients(out, xx)[0]
        cols = {k: [getattr(v, "name", v) for v in g.get_collection(k)]
                for k in ("variables", "train_op", "outs", "unbound_inputs")}
        with session_of(g) as s:
            s.run(T.global_variables_initializer())
            before = s.run([loss, out, grad], {xx: X})
            s.run(g.get_collection("train_op")[0], {xx: X})
            after = s.run([g.get_tensor_by_name("n/w:0"), loss], {xx: X})
    return (*before, *after, cols)


# -- TF-free ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("m/x", "x"), ("m/x:0", "x:0"), ("^m/x", "^x"), ("loc:@m/x", "loc:@x"), ("m//x", "x"),
    ("mm/x", "mm/x"), ("x", "x"), ("a/m/x", "a/m/x"), ("m", "m")])
def test_strip_name_scope_as_tf1(name, expected):
    assert strip_name_scope(name, "m") == expected
    assert strip_name_scope(name, "m/") == expected
    assert strip_name_scope(name, None) == name


def test_scoped_nodes_inputs_and_collections():
    g, meta = _scoped_meta()
    nodes = {n.name: n for n in meta.graph_def.node}
    assert {"w", "w/Assign", "w/read", "Const", "y", "loss", "train", "out",
            "while/Enter", "while/Exit_1", "while/LoopCond"} <= set(nodes)
    assert not any(n.startswith("m/") or n == "x" for n in nodes)
    assert list(nodes["y"].input) == ["$unbound_inputs_x", "w/read"]
    assert list(nodes["w/Assign"].input) == ["w", "Const"]
    readers = sorted(n for n, d in nodes.items() if "$unbound_inputs_x" in d.input)
    assert readers == ["gradients/m/y_grad/MatMul_1", "while/Sum/Enter", "y"]
    assert nodes["while/Enter"].attr["frame_name"].s == b"while/while_context"
    cols = meta.collection_def
    assert list(cols["unbound_inputs"].bytes_list.value) == [b"$unbound_inputs_x"]  # once
    assert list(cols["outs"].node_list.value) == ["y:0"]
    assert list(cols["train_op"].node_list.value) == ["train", "train"]
    assert list(cols["tags"].bytes_list.value) == [b"t1"]
    vd = variable_pb2.VariableDef.FromString(cols["variables"].bytes_list.value[0])
    assert (vd.variable_name, vd.initializer_name, vd.snapshot_name, vd.initial_value_name) == \
        ("w:0", "w/Assign", "w/read:0", "Const:0")
    # The graph's own collections are left as they were (TF1 stores unbound_inputs in them).
    assert "unbound_inputs" not in g.get_all_collection_keys()


def test_scoped_while_context_is_stripped():
    _, meta = _scoped_meta()
    (raw,) = meta.collection_def["while_context"].bytes_list.value
    ctx = control_flow_pb2.WhileContextDef.FromString(raw)
    assert ctx.context_name == "while/while_context"
    assert (ctx.pivot_name, list(ctx.loop_exit_names)) == \
        ("while/LoopCond:0", ["while/Exit:0", "while/Exit_1:0"])
    assert list(ctx.loop_enter_names) == ["while/Enter:0", "while/Enter_1:0"]
    assert dict(ctx.values_def.external_values) == {"x:0": "while/Sum/Enter:0"}
    # The outside x is not exported: TF's import under a scope would look it up.
    assert "x:0" not in ctx.values_def.values and "while/Sum:0" in ctx.values_def.values
    assert all(not v.startswith("m/") for v in ctx.values_def.values)


def test_import_scoped_binds_unbound_inputs_and_trains():
    _, meta = _scoped_meta()
    loss0, out, grad, w1, loss1, cols = _run_imported(tf, meta, lambda g: tf.Session(graph=g))
    exp_loss0, exp_w1, exp_loss1 = _expected_after_step()
    np.testing.assert_allclose(loss0, exp_loss0, rtol=1e-6)
    assert out == pytest.approx(2 * 3 * X.sum())
    np.testing.assert_allclose(grad, np.full_like(X, 6.0))
    np.testing.assert_allclose(w1, exp_w1, rtol=1e-6)
    np.testing.assert_allclose(loss1, exp_loss1, rtol=1e-5)
    assert cols == {"variables": ["n/w:0"], "train_op": ["n/train", "n/train"],
                    "outs": ["n/y:0"], "unbound_inputs": []}


def test_import_without_binding_is_refused():
    _, meta = _scoped_meta(loop=False)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Graph contains unbound inputs: "
                           r"\$unbound_inputs_x\. Must provide these inputs through input_map"):
            import_meta_graph(meta, import_scope="n")


def test_colocation_and_control_inputs_from_outside():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        with tf.name_scope("m"):
            with tf.colocate_with(x):
                tf.identity(x, name="a")  # colocated with an outside op: dropped
            c = tf.constant(1.0, name="c")
            with tf.colocate_with(c):
                b = tf.identity(c, name="b")
            with tf.control_dependencies([x.op]):
                tf.identity(b, name="d")
        meta = export_meta_graph(export_scope="m")
    nodes = {n.name: n for n in meta.graph_def.node}
    assert list(nodes["a"].attr["_class"].list.s) == []
    assert list(nodes["b"].attr["_class"].list.s) == [b"loc:@c"]
    assert list(nodes["d"].input) == ["b", "^$unbound_inputs_x"]
    # Only data inputs are listed, as TF1's filter keeps them.
    assert list(meta.collection_def["unbound_inputs"].bytes_list.value) == [b"$unbound_inputs_x"]
    g = tf.Graph()
    with g.as_default():
        xx = tf.placeholder(tf.float32, [2], name="xx")
        import_meta_graph(meta, import_scope="n",
                          input_map={"$unbound_inputs_x": xx, "^$unbound_inputs_x": xx})
        assert [o.name for o in g.get_operation_by_name("n/d").control_inputs] == ["xx"]
        with tf.Session() as s:
            np.testing.assert_allclose(s.run("n/a:0", {xx: [1.0, 2.0]}), [1.0, 2.0])
            assert s.run("n/d:0", {xx: [1.0, 2.0]}) == 1.0


def test_graph_def_argument_replaces_the_graphs():
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0, name="k")
        v = tf.Variable(2.0, name="v")
        other = graph_pb2.GraphDef()
        other.node.add(name="p", op="Placeholder").attr["dtype"].type = 1
        other.node.add(name="s/q", op="Identity", input=["p"]).attr["T"].type = 1
        meta = export_meta_graph(graph_def=other)
        assert [n.name for n in meta.graph_def.node] == ["p", "s/q"]
        assert meta.collection_def["variables"].bytes_list.value  # still the graph's
        scoped = export_meta_graph(graph_def=other, export_scope="s", clear_devices=True)
        assert [(n.name, list(n.input)) for n in scoped.graph_def.node] == \
            [("q", ["$unbound_inputs_p"])]
        assert "variables" not in scoped.collection_def  # v is outside "s"
        assert v.name == "v:0"
        with pytest.raises(TypeError, match="graph_def must be of type GraphDef"):
            export_meta_graph(graph_def=b"not a proto")


def test_collection_list_leaves_unbound_inputs_out():
    _, meta = _scoped_meta(loop=False, collection_list=["variables"])
    assert sorted(meta.collection_def) == ["variables"]


def test_scope_is_a_plain_prefix_as_tf1():
    with tf.Graph().as_default():
        tf.constant(1.0, name="m/a")
        tf.constant(2.0, name="mm/b")  # TF1 keeps it too (startswith), unstripped
        tf.constant(3.0, name="c")
        meta = export_meta_graph(export_scope="m")
    assert [n.name for n in meta.graph_def.node] == ["a", "mm/b"]


def test_loop_bounded_from_outside_is_refused():
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [], name="n")
        with tf.name_scope("L"):
            tf.while_loop(lambda i: i < 10, lambda i: i + 1, [tf.constant(0)],
                          maximum_iterations=n)
        with pytest.raises(ValueError, match=r"context 'L/while/while_context' inside "
                           r"export_scope 'L' uses 'n:0' from outside the scope"):
            export_meta_graph(export_scope="L")
        meta = export_meta_graph(export_scope="other")  # no loop inside: nothing to refuse
        assert "while_context" not in meta.collection_def


def test_queue_runner_and_partitioned_variable_in_scope():
    with tf.Graph().as_default():
        with tf.variable_scope("m"):
            q = tf.FIFOQueue(4, tf.float32, name="q")
            tf.train.add_queue_runner(tf.train.QueueRunner(q, [q.enqueue(1.0)]))
            tf.get_variable("p", shape=[4, 2], initializer=tf.zeros_initializer(),
                            partitioner=tf.fixed_size_partitioner(2), use_resource=False)
        meta = export_meta_graph(export_scope="m")
    from minitf.protos import queue_runner_pb2

    (raw,) = meta.collection_def["queue_runners"].bytes_list.value
    qr = queue_runner_pb2.QueueRunnerDef.FromString(raw)
    assert qr.queue_name == "q" and not qr.close_op_name.startswith("m/")
    parts = [variable_pb2.VariableDef.FromString(r)
             for r in meta.collection_def["variables"].bytes_list.value]
    assert [p.variable_name for p in parts] == ["p/part_0:0", "p/part_1:0"]
    assert {p.save_slice_info_def.full_name for p in parts} == {"p"}


# -- side by side with TensorFlow ------------------------------------------------------------------
def _tf_meta(tf1):
    g = tf1.Graph()
    with g.as_default():
        _build(tf1)
        return tf1.train.export_meta_graph(export_scope="m")


def test_strip_name_scope_matches_tf():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from tensorflow.python.framework import ops

    for name in ("m/x", "^m/x", "loc:@m/x", "m//x", "mm/x", "x", "a/m/x", "m/"):
        for scope in ("m", "m/", None):
            assert strip_name_scope(name, scope) == ops.strip_name_scope(name, scope), name
    assert tf1 is not None


def test_scoped_export_matches_tf(tf1_v1_control_flow):
    tf1 = tf1_v1_control_flow
    theirs, (_, ours) = _tf_meta(tf1), _scoped_meta()
    t = {n.name: n for n in theirs.graph_def.node}
    o = {n.name: n for n in ours.graph_def.node}
    forward = {n for n in t if not n.startswith("gradients/")}
    assert forward == {n for n in o if not n.startswith("gradients/")}
    # The same stripped and unbound inputs (TF writes "n:0" for some); the training op reads
    # the gradient through TF's tuple, which minitf's gradients do not build.
    for name in forward - {"train/update_m/w/ApplyGradientDescent"}:
        assert [i.removesuffix(":0") for i in t[name].input] == \
            [i.removesuffix(":0") for i in o[name].input], name
    for key in ("outs", "train_op", "tags", "variables", "trainable_variables"):
        assert theirs.collection_def[key].SerializeToString() == \
            ours.collection_def[key].SerializeToString(), key
    # TF lists an outside tensor once per reader; minitf once.
    assert set(theirs.collection_def["unbound_inputs"].bytes_list.value) == \
        set(ours.collection_def["unbound_inputs"].bytes_list.value) == {b"$unbound_inputs_x"}
    tw, ow = (control_flow_pb2.WhileContextDef.FromString(
        m.collection_def["while_context"].bytes_list.value[0]) for m in (theirs, ours))
    assert set(tw.values_def.values) - set(ow.values_def.values) == {"x:0"}  # see above
    tw.values_def.ClearField("values")
    ow.values_def.ClearField("values")
    assert tw.SerializeToString() == ow.SerializeToString()


def test_each_imports_the_others_scoped_file(tf1_v1_control_flow):
    tf1 = tf1_v1_control_flow
    _, ours = _scoped_meta()
    theirs = _tf_meta(tf1)
    expected = _run_imported(tf, ours, lambda g: tf.Session(graph=g))
    in_tf = _run_imported(tf1, ours, lambda g: tf1.Session(graph=g))
    from_tf = _run_imported(tf, theirs, lambda g: tf.Session(graph=g))
    for got in (in_tf, from_tf):
        for a, b in zip(got[:5], expected[:5]):
            np.testing.assert_allclose(a, b, rtol=1e-5)
        assert got[5]["variables"] == ["n/w:0"] and got[5]["outs"] == ["n/y:0"]
        assert got[5]["train_op"] == ["n/train", "n/train"]
    # TF itself refuses its own file here (its check compares sorted lists, the list has x
    # three times), as it refuses any input_map.
    with tf1.Graph().as_default():
        xx = tf1.placeholder(tf1.float32, [None, 2])
        with pytest.raises(ValueError, match="Graph contains unbound inputs"):
            tf1.train.import_meta_graph(theirs, import_scope="n",
                                        input_map={"$unbound_inputs_x": xx})
