"""tf.contrib.graph_editor transform: copies (same graph, other graph, scopes, collections,
handlers) and graph_replace / copy_with_input_replacements, whose new tensors compute what
numpy computes from the replacements; gradients through copies against numpy; the gradient-
checkpointing recipe of openai/gradient-checkpointing (recompute forward segments with
copy_with_input_replacements, reroute_ts, add_control_inputs) against numpy gradients; errors."""

import functools

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import graph_editor as ge

R = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _close(a, b, rtol=1e-5):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


@tf.RegisterGradient("GraphEditorTestTripleGrad")
def _triple_grad(op, dy):
    return [3.0 * dy]


# -- copy ------------------------------------------------------------------------------------
def test_copy_makes_placeholders_for_inputs():
    a = tf.placeholder(tf.float32, [2], name="a")
    b = tf.placeholder(tf.float32, [2], name="b")
    c = tf.add(a, b, name="c")
    d = tf.multiply(c, a, name="d")
    sgv_, info = ge.copy(ge.sgv(c.op, d.op))
    assert sorted(op.name for op in sgv_.ops) == ["c_1", "d_1"]
    assert [t.name for t in sgv_.inputs] == ["geph__a_0:0", "geph__b_0:0"]  # one per input
    assert [t.name for t in sgv_.outputs] == ["d_1:0"]
    assert info.transformed(d) is sgv_.outputs[0] and info.original(sgv_.outputs[0]) is d
    assert info.transformed("c") is info.transformed(c.op)
    assert info.transformed(["c:0", tf.no_op()]) == [info.transformed(c), None]
    assert "c => c_1" in str(info)
    pa, pb = np.float32([1, 2]), np.float32([3, -4])
    _close(_run(sgv_.outputs[0], {sgv_.inputs[0]: pa, sgv_.inputs[1]: pb}), (pa + pb) * pa)


def test_copy_scopes():
    a = tf.placeholder(tf.float32, [2], name="a")
    with tf.name_scope("blk"):
        p = tf.negative(a, name="p")
        tf.exp(p, name="q")
    g = tf.get_default_graph()
    sgv_, _ = ge.copy(ge.sgv_scope("blk", g), dst_scope="cp", src_scope="blk")
    assert sorted(op.name for op in sgv_.ops) == ["cp/p", "cp/q"]
    assert [t.op.name for t in sgv_.inputs] == ["cp/geph__a_0"]
    again, _ = ge.copy(ge.sgv_scope("blk", g), dst_scope="cp", src_scope="blk")
    assert sorted(op.name for op in again.ops) == ["cp_1/p", "cp_1/q"]
    reused, _ = ge.copy(ge.sgv_scope("blk", g), dst_scope="cp", src_scope="blk",
                        reuse_dst_scope=True)
    assert sorted(op.name for op in reused.ops) == ["cp/p_1", "cp/q_1"]
    full, _ = ge.copy(p.op, dst_scope="top")
    assert [op.name for op in full.ops] == ["top/blk/p"]
    with pytest.raises(ValueError, match="blk/p does not belong to source scope: zzz/"):
        ge.copy(p.op, src_scope="zzz")


def test_copy_into_another_graph():
    a = tf.placeholder(tf.float32, [3], name="a")
    w = tf.constant([1.0, 2.0, 3.0], name="w")
    y = tf.multiply(a, w, name="y")
    z = tf.tanh(y, name="z")
    dst = tf.Graph()
    sgv_, info = ge.copy(ge.sgv(y.op, z.op).remap_inputs([0]), dst_graph=dst)
    assert sgv_.graph is dst and info.transformed(z).graph is dst
    # a (an input) and w (hidden: remapped out of the inputs) both become placeholders there
    assert sorted(op.name for op in dst.get_operations()) == \
        ["geph__a_0", "geph__w_0", "y", "z"]
    with dst.as_default(), tf.Session(graph=dst) as sess:
        pa, pw = np.float32([1, -2, 0.5]), np.float32([2, 2, 2])
        got = sess.run(info.transformed(z), {dst.get_tensor_by_name("geph__a_0:0"): pa,
                                              dst.get_tensor_by_name("geph__w_0:0"): pw})
    _close(got, np.tanh(pa * pw))


def test_copy_keeps_device_override_collections_not_ambient_controls():
    x = tf.placeholder(tf.float32, [2], name="x")
    g = tf.get_default_graph()
    with tf.device("/cpu:0"), g.gradient_override_map({"Square": "GraphEditorTestTripleGrad"}):
        s = tf.square(x, name="s")
    tf.add_to_collection("mine", s.op)
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, s)
    gate = tf.no_op(name="gate")
    with tf.control_dependencies([gate]), tf.device("/gpu:0"):
        sgv_, info = ge.copy(s.op, dst_scope="cp")
    s_ = info.transformed(s)
    assert s_.op.device == s.op.device and s_.op.control_inputs == []
    assert tf.get_collection("cp/mine") == [s_.op]  # renamed into the destination scope
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == [s, s_]  # a standard name: kept
    (grad,) = tf.gradients(s_, sgv_.inputs[0])
    _close(_run(grad, {sgv_.inputs[0]: np.float32([1, 2])}), [3.0, 3.0])


def test_copy_op_handler_options():
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    s = tf.reduce_sum(x, axis=0, name="s")

    def keep_dims(node_def):
        node_def.attr["keep_dims"].b = True
        node_def.device = "/cpu:0"
        return node_def

    copier = ge.Transformer()
    copier.transform_op_handler = functools.partial(ge.copy_op_handler, nodedef_fn=keep_dims)
    view = ge.sgv(s.op).remap_inputs([0])  # the axis (input 1) stays the original Const
    sgv_, info = copier(view, tf.get_default_graph(), "kd")
    s_ = info.transformed(s)
    assert s_.shape.as_list() == [1, 3] and s_.op.device == "/cpu:0"
    px = R.standard_normal((2, 3)).astype(np.float32)
    _close(_run(s_, {sgv_.inputs[0]: px}), px.sum(0, keepdims=True))
    # copy_shape: the copy keeps the original's static shape over an unknown-shape input
    free = tf.placeholder(tf.float32, None, name="free")
    copier.transform_op_handler = functools.partial(ge.copy_op_handler, copy_shape=True)
    copier.transform_external_input_handler = lambda info, t: free
    _, info = copier(view, tf.get_default_graph(), "cs")
    assert info.transformed(s).shape.as_list() == [3]
    _, info = ge.copy_with_input_replacements(s.op, {x: free})
    assert info.transformed(s).shape.rank is None  # re-inferred from the replacement
    with pytest.raises(TypeError, match="new_inputs"):
        ge.copy_op_handler(None, s.op, True)


def test_in_place_transform_refused():
    x = tf.placeholder(tf.float32, [2], name="x")
    y = tf.negative(x, name="y")
    copier = ge.Transformer()
    copier.transform_op_handler = lambda info, op, new_inputs: (op, op.outputs)
    with pytest.raises(ValueError, match="In-place transformation not allowed"):
        copier(y.op, tf.get_default_graph(), "")
    with pytest.raises(TypeError, match="Expected a tf.Graph, got: str"):
        ge.copy(y.op, dst_graph="g")


def test_copy_orders_producers_first_and_rewires_cycles():
    a = tf.placeholder(tf.float32, [2], name="a")
    b = tf.placeholder(tf.float32, [2], name="b")
    p = tf.negative(a, name="p")
    q = tf.exp(b, name="q")
    ge.reroute_ts([q], [a], can_modify=[p.op])  # p (made first) now reads q (made later)
    _, info = ge.copy([p.op, q.op])
    assert not [op for op in tf.get_default_graph().get_operations() if "geph_tmp" in op.name]
    ph = info.transformed(q).op.inputs[0]
    _close(_run(info.transformed(p), {ph: np.float32([0, 1])}), -np.exp([0, 1]))
    ge.reroute_ts([p], [b], can_modify=[q.op])  # a cycle: p reads q, q reads p
    _, info = ge.copy([p.op, q.op])
    p_, q_ = info.transformed(p), info.transformed(q)
    assert list(p_.op.inputs) == [q_] and list(q_.op.inputs) == [p_]
    tmp = [op for op in tf.get_default_graph().get_operations() if "geph_tmp" in op.name]
    assert len(tmp) == 1 and tmp[0].outputs[0].consumers() == []


# -- replacements ----------------------------------------------------------------------------
@pytest.fixture
def mlp():
    w = R.standard_normal((3, 4)).astype(np.float32)
    bias = R.standard_normal(4).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    W = tf.Variable(w, name="W")
    b = tf.Variable(bias, name="b")
    h = tf.tanh(tf.matmul(x, W) + b, name="h")
    y = tf.reduce_sum(tf.square(h), name="y")
    return dict(x=x, W=W, b=b, h=h, y=y, w=w, bias=bias)


def test_graph_replace_values_and_structure(mlp):
    x2 = tf.placeholder(tf.float32, [5, 3], name="x2")
    y2, nest = ge.graph_replace([mlp["y"], {"h": mlp["h"], "w": mlp["W"].value()}],
                                {mlp["x"]: x2})
    assert nest["w"] is mlp["W"].value()  # not downstream of x: returned as it is
    assert nest["h"].shape.as_list() == [5, 4]  # shapes inferred from the replacement
    px = R.standard_normal((5, 3)).astype(np.float32)
    h = np.tanh(px @ mlp["w"] + mlp["bias"])
    got_y, got_h = _run([y2, nest["h"]], {x2: px})
    _close(got_h, h)
    _close(got_y, (h ** 2).sum())
    # the original still computes from x
    px1 = R.standard_normal((2, 3)).astype(np.float32)
    _close(_run(mlp["y"], {mlp["x"]: px1}),
           (np.tanh(px1 @ mlp["w"] + mlp["bias"]) ** 2).sum())


def test_graph_replace_variable_key_and_gradients(mlp):
    w2 = tf.placeholder(tf.float32, [3, 4], name="w2")
    y2 = ge.graph_replace(mlp["y"], {mlp["W"]: w2})  # a Variable stands for its value
    gx, gw = tf.gradients(y2, [mlp["x"], w2])
    px = R.standard_normal((2, 3)).astype(np.float32)
    pw = R.standard_normal((3, 4)).astype(np.float32)
    h = np.tanh(px @ pw + mlp["bias"])
    dz = 2 * h * (1 - h ** 2)
    got = _run([y2, gx, gw], {mlp["x"]: px, w2: pw})
    _close(got[0], (h ** 2).sum())
    _close(got[1], dz @ pw.T)
    _close(got[2], px.T @ dz)


def test_graph_replace_copies_control_dependents():
    x = tf.placeholder(tf.float32, [2], name="x")
    w = tf.placeholder(tf.float32, [2], name="w")
    p = tf.multiply(x, 2.0, name="p")
    with tf.control_dependencies([p.op]):
        q = tf.identity(w, name="q")
    x2 = tf.placeholder(tf.float32, [2], name="x2")
    q2 = ge.graph_replace(q, {x: x2})
    assert q2 is not q
    (gate,) = q2.op.control_inputs
    assert gate is not p.op and gate.inputs[0] is x2


def test_copy_with_input_replacements(mlp):
    h_ops = ge.get_backward_walk_ops(mlp["h"].op, stop_at_ts=[mlp["x"], mlp["W"].value(),
                                                               mlp["b"].value()])
    h_ops = [op for op in h_ops if op.type not in ("Placeholder", "Identity")]
    x2 = tf.constant(np.ones((1, 3), np.float32), name="x2")
    sgv_, info = ge.copy_with_input_replacements(h_ops, {mlp["x"]: x2})
    assert x2 in list(sgv_.inputs) and mlp["W"].value() in list(sgv_.inputs)
    _close(_run(info.transformed(mlp["h"])), np.tanh(np.ones((1, 3)) @ mlp["w"] + mlp["bias"]))
    with pytest.raises(TypeError, match="replacement_ts must be a dict"):
        ge.copy_with_input_replacements(h_ops, [(mlp["x"], x2)])


def test_graph_replace_errors(mlp):
    unrelated = tf.placeholder(tf.float32, [3], name="unrelated")
    with pytest.raises(ValueError, match="Targets and replacements are not connected"):
        ge.graph_replace(mlp["y"], {unrelated: tf.zeros([3])})
    other = tf.Graph()
    with other.as_default():
        z = tf.placeholder(tf.float32, [None, 3], name="z")
    with pytest.raises(ValueError, match="z:0 to replace is not in the graph of the targets"):
        ge.graph_replace(mlp["y"], {z: z})
    with pytest.raises(ValueError, match="replacement of x:0, z:0, is not in the destination"):
        ge.graph_replace(mlp["y"], {mlp["x"]: z})
    xi = tf.placeholder(tf.int32, [None, 3], name="xi")
    with pytest.raises(TypeError, match="input 0 was x:0 of type float32, its replacement "
                                        "xi:0 is int32"):
        ge.graph_replace(mlp["y"], {mlp["x"]: xi})
    with pytest.raises(TypeError, match="keys must be tf.Tensor"):
        ge.graph_replace(mlp["y"], {"x:0": xi})


def test_graph_replace_through_a_cond_and_its_gradient():
    x = tf.placeholder(tf.float32, [2], name="x")
    pred = tf.placeholder(tf.bool, [], name="pred")
    y = tf.cond(pred, lambda: tf.square(x), lambda: tf.negative(x))
    z = tf.reduce_sum(y * 3.0)
    x2 = tf.placeholder(tf.float32, [2], name="x2")
    z2 = ge.graph_replace(z, {x: x2})
    (g,) = tf.gradients(z2, x2)
    px = np.float32([1.5, -2.0])
    with tf.Session() as sess:
        for flag, want_z, want_g in ((True, 3 * (px ** 2).sum(), 6 * px),
                                     (False, -3 * px.sum(), [-3.0, -3.0])):
            got_z, got_g = sess.run([z2, g], {x2: px, pred: flag})
            _close(got_z, want_z)
            _close(got_g, want_g)


def test_while_loop_ops_refused():
    x = tf.placeholder(tf.float32, [], name="x")
    out = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0), [0, x])[1]
    y = tf.negative(out, name="y")
    with pytest.raises(tf.errors.UnimplementedError, match="tf.while_loop"):
        ge.graph_replace(y, {x: tf.constant(1.0)})


# -- gradient checkpointing ------------------------------------------------------------------
def _wait_for(ops, before):
    for op in ops:
        ge.add_control_inputs(op, [b for b in before if b not in op.control_inputs])


def _checkpointed_gradients(ys, xs, checkpoints):
    """d(sum ys)/d(xs) as openai/gradient-checkpointing computes it from given checkpoints:
    each forward segment is recomputed by a copy reading the checkpoints through stop_gradient
    (made to wait for the forward pass), differentiated segment by segment, latest first."""
    bwd_ops = ge.get_backward_walk_ops([y.op for y in ys], inclusive=True)
    fwd_ops = ge.get_forward_walk_ops([x.op for x in xs], inclusive=True, within_ops=bwd_ops)
    x_ops = [x.op for x in xs]
    fwd_ops = [op for op in fwd_ops if op.inputs and op not in x_ops and "/read" not in op.name]
    assert set(checkpoints) <= set(ge.filter_ts(fwd_ops, True))
    cut = {c: tf.stop_gradient(c, name=c.op.name + "_sg") for c in checkpoints}

    def segment(seeds, stop):
        ops = set(ge.get_backward_walk_ops(seeds, stop_at_ts=stop)) & set(fwd_ops)
        return list(ops - {t.op for t in stop})

    _, info = ge.copy_with_input_replacements(ge.sgv(segment([y.op for y in ys], checkpoints)),
                                              {})
    for origin, op in info._transformed_ops.items():
        op._set_device(origin.node_def.device)
    copied = info._transformed_ops.values()
    ge.reroute_ts(cut.values(), cut.keys(), can_modify=copied)  # dict views, as the recipe
    copied_ys = [info._transformed_ops[y.op]._outputs[0] for y in ys]
    dv = tf.gradients(copied_ys, list(cut.values()) + xs)
    _wait_for(list(copied) + [g.op for g in dv if g is not None], [y.op for y in ys])
    d_cut = dict(zip(checkpoints, dv[:len(checkpoints)]))
    d_xs = dv[len(checkpoints):]
    upstream = {c: len(set(ge.get_backward_walk_ops(c.op)) & {o.op for o in checkpoints})
                for c in checkpoints}
    for r in sorted(checkpoints, key=upstream.get, reverse=True):
        others = [c for c in checkpoints if c is not r]
        _, info = ge.copy_with_input_replacements(ge.sgv(segment([r.op], others)), {})
        copied = info._transformed_ops.values()
        ge.reroute_ts([cut[c] for c in others], others, can_modify=copied)
        dv = tf.gradients([info._transformed_ops[r.op]._outputs[0]],
                          [cut[c] for c in others] + xs, grad_ys=[d_cut[r]])
        _wait_for(list(copied) + [g.op for g in dv if g is not None], [d_cut[r].op])
        for c, dc in zip(others, dv[:len(others)]):
            if dc is not None:
                d_cut[c] = dc if d_cut[c] is None else d_cut[c] + dc
        for j, dx in enumerate(dv[len(others):]):
            if dx is not None:
                d_xs[j] = dx if d_xs[j] is None else d_xs[j] + dx
    return d_xs


def test_gradient_checkpointing_recipe():
    ws = [R.standard_normal(s).astype(np.float32) * 0.7 for s in ((3, 5), (5, 5), (5, 2))]
    px = R.standard_normal((4, 3)).astype(np.float32)
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    Ws = [tf.Variable(w, name=f"W{i + 1}") for i, w in enumerate(ws)]
    zs, hs, h = [], [], x
    for i, W in enumerate(Ws):
        zs.append(tf.matmul(h, W, name=f"z{i + 1}"))
        h = tf.tanh(zs[-1], name=f"h{i + 1}")
        hs.append(h)
    y = tf.reduce_sum(tf.square(h), name="y")
    recomputed = zs + [hs[2]]  # everything but the checkpoints h1, h2
    readers = {t: set(t.consumers()) for t in recomputed}

    grads = _checkpointed_gradients([y], Ws, checkpoints=[hs[0], hs[1]])

    # the backward pass reads no forward tensor but the checkpoints: it recomputed them
    assert {t: set(t.consumers()) for t in recomputed} == readers
    # numpy backprop
    a = [px]
    for w in ws:
        a.append(np.tanh(a[-1] @ w))
    want, dh = [None] * 3, 2 * a[3]
    for i in (2, 1, 0):
        dz = dh * (1 - a[i + 1] ** 2)
        want[i] = a[i].T @ dz
        dh = dz @ ws[i].T
    plain = tf.gradients(y, Ws)
    got = _run(grads + plain, {x: px})
    for i in range(3):
        _close(got[i], want[i])
        _close(got[i], got[3 + i])
