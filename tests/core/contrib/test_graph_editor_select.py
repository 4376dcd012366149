"""tf.contrib.graph_editor util, select and subgraph on small hand-made graphs: the op sets of
forward/backward walks, their intersections and unions, boundary tensors and SubGraphView's
inputs/outputs against sets enumerated by hand; backward walks also against TensorFlow's
op_selector (the graph editor's walk, kept in TF 2) on the same graph; bad input errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import graph_editor as ge

from ..side_by_side import tf1_or_skip


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _build(tf_mod):
    """a, b -> c = a + b -> d = c * a -> e = -d -> g = e + f, f = sqrt(b);
    k = identity(c) with a control input on f."""
    a = tf_mod.placeholder(tf_mod.float32, [2], name="a")
    b = tf_mod.placeholder(tf_mod.float32, [2], name="b")
    c = tf_mod.add(a, b, name="c")
    d = tf_mod.multiply(c, a, name="d")
    e = tf_mod.negative(d, name="e")
    f = tf_mod.sqrt(b, name="f")
    g = tf_mod.add(e, f, name="g")
    with tf_mod.control_dependencies([f.op]):
        k = tf_mod.identity(c, name="k")
    return dict(a=a, b=b, c=c, d=d, e=e, f=f, g=g, k=k)


@pytest.fixture
def n():
    return _build(tf)


def _names(ops):
    return sorted(op.name for op in ops)


def _ops(n, names):
    return [n[x].op for x in names]


# -- forward / backward walks ----------------------------------------------------------------
@pytest.mark.parametrize("seeds, kwargs, want", [
    ("a", {}, "acdegk"),
    ("a", {"inclusive": False}, "cdegk"),
    ("b", {}, "bcdefgk"),
    ("f", {}, "fg"),
    ("a", {"stop_at_ts": "c"}, "acdeg"),  # c is reached, but not gone through
    ("a", {"within_ops": "ackg"}, "ack"),
    ("a", {"within_ops_fn": lambda op: op.type != "Mul"}, "ack"),
    ("", {}, ""),
])
def test_forward_walk_sets(n, seeds, kwargs, want):
    if isinstance(kwargs.get("stop_at_ts"), str):
        kwargs = dict(kwargs, stop_at_ts=[n[x] for x in kwargs["stop_at_ts"]])
    if isinstance(kwargs.get("within_ops"), str):
        kwargs = dict(kwargs, within_ops=_ops(n, kwargs["within_ops"]))
    got = ge.get_forward_walk_ops(_ops(n, seeds), **kwargs)
    assert _names(got) == sorted(want)
    assert len(got) == len(set(got))


def test_forward_walk_follows_control_outputs_and_tensor_seeds(n):
    g = tf.get_default_graph()
    assert _names(ge.get_forward_walk_ops([n["f"].op], control_outputs=ge.ControlOutputs(g))) \
        == ["f", "g", "k"]
    # tensors as seeds: their consumers (d and k for c), not the producer
    assert _names(ge.get_forward_walk_ops([n["c"]])) == ["d", "e", "g", "k"]
    assert _names(ge.get_forward_walk_ops(n["c"].op)) == ["c", "d", "e", "g", "k"]  # one op


@pytest.mark.parametrize("seeds, kwargs, want", [
    ("g", {}, "abcdefg"),
    ("g", {"inclusive": False}, "abcdef"),
    ("k", {}, "abck"),
    ("k", {"control_inputs": True}, "abcfk"),
    ("e", {}, "abcde"),
    ("g", {"within_ops": "gedf"}, "defg"),
])
def test_backward_walk_sets(n, seeds, kwargs, want):
    if isinstance(kwargs.get("within_ops"), str):
        kwargs = dict(kwargs, within_ops=_ops(n, kwargs["within_ops"]))
    assert _names(ge.get_backward_walk_ops(_ops(n, seeds), **kwargs)) == sorted(want)


def test_backward_walk_stops_and_tensor_seeds(n):
    assert _names(ge.get_backward_walk_ops([n["g"].op], stop_at_ts=[n["d"]])) == \
        ["b", "e", "f", "g"]
    assert _names(ge.get_backward_walk_ops([n["e"], n["f"]])) == ["a", "b", "c", "d", "e", "f"]


def test_backward_walk_matches_tf_op_selector():
    """TF 2 kept the graph editor's backward walk as op_selector.get_backward_walk_ops."""
    tf1 = tf1_or_skip()
    from tensorflow.python.ops import op_selector

    ours = _build(tf)
    tg = tf1.Graph()
    with tg.as_default():
        theirs = _build(tf1)
    cases = [(["g"], {}), (["k"], {"control_inputs": True}), (["g", "k"], {"inclusive": False}),
             (["g"], {"stop_at_ts": ["d", "f"]}), (["g"], {"within_ops": ["g", "e", "d", "c"]}),
             (["g"], {"within_ops": []}), (["g"], {"within_ops": ["e", "d"]})]
    for seeds, kw in cases:
        def args(nodes, kw=kw):
            out = dict(kw)
            if "stop_at_ts" in kw:
                out["stop_at_ts"] = [nodes[x] for x in kw["stop_at_ts"]]
            if "within_ops" in kw:
                out["within_ops"] = [nodes[x].op for x in kw["within_ops"]]
            return out
        want = op_selector.get_backward_walk_ops([theirs[s].op for s in seeds], **args(theirs))
        got = ge.get_backward_walk_ops([ours[s].op for s in seeds], **args(ours))
        assert _names(got) == _names(want), (seeds, kw)


def test_walks_intersection_and_union(n):
    g = tf.get_default_graph()
    assert _names(ge.get_walks_intersection_ops([n["a"].op], [n["g"].op])) == \
        ["a", "c", "d", "e", "g"]
    assert _names(ge.get_walks_intersection_ops([n["a"].op], [n["g"].op],
                                                forward_inclusive=False)) == ["c", "d", "e", "g"]
    assert _names(ge.get_walks_union_ops([n["f"].op], [n["c"].op])) == ["a", "b", "c", "f", "g"]
    # f reaches k only by its control edge
    assert ge.get_walks_intersection_ops([n["f"].op], [n["k"].op]) == []
    assert _names(ge.get_walks_intersection_ops(
        [n["f"].op], [n["k"].op], control_ios=ge.ControlOutputs(g))) == ["f", "k"]


def test_within_boundary_and_ops_ios(n):
    g = tf.get_default_graph()
    got = ge.get_within_boundary_ops(g, [n["d"].op], boundary_ops=[n["c"].op, n["g"].op])
    assert [op.name for op in got] == ["a", "c", "d", "e", "g"]  # in the graph's order
    assert _names(ge.get_within_boundary_ops(g, [n["d"].op], [n["c"].op, n["g"].op],
                                             inclusive=False)) == ["a", "d", "e"]
    with pytest.raises(ValueError, match="Boundary is intersecting with the seeds"):
        ge.get_within_boundary_ops(g, [n["d"].op], [n["d"].op])
    assert [op.name for op in ge.get_ops_ios([n["c"].op])] == ["a", "b", "d", "k"]
    assert [op.name for op in ge.get_ops_ios([n["f"].op], control_ios=ge.ControlOutputs(g))] \
        == ["b", "g", "k"]


def test_compute_boundary_ts(n):
    ops = _ops(n, "cde")
    ins, outs, inside = ge.compute_boundary_ts(ops)
    # c is read by d (inside) and k (outside): ambiguous, so an output (and an input)
    assert [t.name for t in ins] == ["a:0", "b:0", "c:0"]
    assert [t.name for t in outs] == ["c:0", "e:0"]
    assert [t.name for t in inside] == ["d:0"]
    ins, outs, inside = ge.compute_boundary_ts(ops, ambiguous_ts_are_outputs=False)
    assert ([t.name for t in ins], [t.name for t in outs], [t.name for t in inside]) == \
        (["a:0", "b:0"], ["e:0"], ["c:0", "d:0"])


# -- filters and selection -------------------------------------------------------------------
def test_filters_and_select(n):
    g = tf.get_default_graph()
    assert [t.name for t in ge.filter_ts([n["c"].op, n["d"].op], True)] == \
        ["a:0", "b:0", "c:0", "d:0"]
    assert [t.name for t in ge.filter_ts(g, lambda t: t.op.type == "Placeholder")] == \
        ["a:0", "b:0"]
    assert [t.name for t in ge.filter_ts_from_regex(g, r"^[ab]:")] == ["a:0", "b:0"]
    assert [op.name for op in ge.filter_ops_from_regex(g, "^(c|k)$")] == ["c", "k"]
    assert [op.name for op in ge.filter_ops(g, lambda op: op.type == "Sqrt")] == ["f"]
    assert [op.name for op in ge.select_ops("^(c|d)$", graph=g)] == ["c", "d"]
    assert [op.name for op in ge.select_ops([n["c"].op, n["a"]], "^c$", graph=g)] == ["c"]
    assert [t.name for t in ge.select_ts("^a:", n["b"], graph=g)] == ["a:0", "b:0"]
    ops, ts = ge.select_ops_and_ts("^c$", "(?#ts)^a:0$", graph=g)
    assert [op.name for op in ops] == ["c"] and [t.name for t in ts] == ["a:0"]
    assert [op.name for op in ge.select_ops("^[a-g]$", graph=g,
                                            positive_filter=lambda op: "Add" in op.type)] == \
        ["c", "g"]
    with pytest.raises(ValueError, match="keyword argument 'graph'"):
        ge.select_ops("^c$")
    with pytest.raises(ValueError, match="Wrong keywords argument: grpah"):
        ge.select_ops("^c$", grpah=g)
    with pytest.raises(TypeError, match="Expected a tf.Graph"):
        ge.select_ts("^c$", graph="g")


def test_name_scope_view(n):
    with tf.name_scope("blk"):
        p = tf.add(n["a"], n["b"], name="p")
        q = tf.negative(p, name="q")
    tf.negative(q, name="blk2")  # shares the prefix, not the scope
    g = tf.get_default_graph()
    assert _names(ge.get_name_scope_ops(g, "blk/")) == ["blk/p", "blk/q"]
    view = ge.sgv_scope("blk", graph=g)
    assert _names(view.ops) == ["blk/p", "blk/q"]
    assert [t.name for t in view.inputs] == ["a:0", "b:0"]
    assert [t.name for t in view.outputs] == ["blk/q:0"]


# -- SubGraphView ----------------------------------------------------------------------------
def test_subgraph_view_remaps(n):
    view = ge.sgv(n["c"].op)
    assert [t.name for t in view.inputs] == ["a:0", "b:0"]
    assert [t.name for t in view.outputs] == ["c:0"]
    assert [t.name for t in view.remap_inputs([1, 0]).inputs] == ["b:0", "a:0"]
    assert [t.name for t in view.remap_outputs([0, 0]).outputs] == ["c:0", "c:0"]
    assert [t.name for t in view.remap_outputs_to_consumers().outputs] == ["c:0", "c:0"]
    assert [t.name for t in view.remap([1], []).inputs] == ["b:0"]
    assert [t.name for t in view.remap_inputs(i for i in (1, 0)).inputs] == ["b:0", "a:0"]
    assert [t.name for t in view.remap([1], []).remap_default().inputs] == ["a:0", "b:0"]
    assert [t.name for t in view.inputs] == ["a:0", "b:0"]  # remaps make copies
    assert _names(view.consumers()) == ["d", "k"]
    assert view.input_index(n["b"]) == 1 and view.output_index(n["c"]) == 0
    assert "** ops[1]:\nc" in str(view)
    with pytest.raises(ValueError, match="Found repetition in mapping"):
        view.remap_inputs([0, 0])
    with pytest.raises(ValueError, match=r"Out of \[0, 2\[ range: 2"):
        view.remap_inputs([2])
    with pytest.raises(ValueError, match="Can't find d:0 in the inputs"):
        view.input_index(n["d"])


def test_subgraph_view_passthrough_and_empty(n):
    view = ge.sgv(n["c"].op, n["f"], n["a"])  # a touches c: not a passthrough
    assert [t.name for t in view.passthroughs] == ["f:0"]
    assert [t.name for t in view.inputs] == ["a:0", "b:0", "f:0"]
    assert [t.name for t in view.connected_outputs] == ["c:0"]
    assert view.is_passthrough(n["f"]) and not view.is_passthrough(n["a"])
    empty = ge.SubGraphView()
    assert not empty and empty.graph is None and str(empty) == "SubGraphView: empty"
    unused = ge.SubGraphView(_ops(n, "cf")).remap_inputs([0]).remap_outputs([0])
    # f reads no kept input and feeds no kept output
    assert _names(unused.remove_unused_ops().ops) == ["c"]


# -- util ------------------------------------------------------------------------------------
def test_util_lists_and_errors(n):
    g = tf.get_default_graph()
    assert ge.util.make_list_of_op is ge.make_list_of_op  # the submodules, as TF's
    assert ge.select.get_forward_walk_ops is ge.get_forward_walk_ops
    assert tf.contrib.graph_editor is ge and ge.sgv is ge.make_view
    assert ge.make_list_of_op(g) == g.get_operations()
    assert ge.make_list_of_op(n["c"].op) == [n["c"].op]
    assert ge.make_list_of_op({n["c"].op: 1}.keys()) == [n["c"].op]  # any iterable
    assert ge.make_list_of_op([n["c"].op, n["a"]], ignore_ts=True) == [n["c"].op]
    assert [t.name for t in ge.make_list_of_t(g)] == \
        [t.name for op in g.get_operations() for t in op.outputs]
    assert _names(ge.get_consuming_ops([n["a"]])) == ["c", "d"]
    assert _names(ge.get_generating_ops([n["a"], n["g"]])) == ["a", "g"]
    with pytest.raises(TypeError, match="Expected a tf.Operation, got: Tensor 'a:0'"):
        ge.make_list_of_op([n["c"].op, n["a"]])
    with pytest.raises(TypeError, match="allow_graph is False"):
        ge.make_list_of_t(g, allow_graph=False)
    other = tf.Graph()
    with other.as_default():
        z = tf.placeholder(tf.float32, name="z")
    with pytest.raises(ValueError, match="Tensor 'z:0' is not in the same graph as Tensor 'a:0'"):
        ge.make_list_of_t([n["a"], z])
    with pytest.raises(TypeError, match="Expected a tf.Graph"):
        ge.ControlOutputs([])


def test_control_outputs_follow_graph_edits(n):
    g = tf.get_default_graph()
    co = ge.ControlOutputs(g)
    assert co.get(n["f"].op) == [n["k"].op] and co.get(n["a"].op) == ()
    ge.add_control_inputs(n["g"].op, [n["a"].op])
    assert co.get(n["a"].op) == ()  # built before the edit
    assert co.update().get(n["a"].op) == [n["g"].op]


def test_placeholder_names_and_makers(n):
    with tf.name_scope("blk"):
        p = tf.add(n["a"], n["b"], name="p")
    assert ge.placeholder_name(n["c"]) == "geph__c_0"
    assert ge.placeholder_name(p) == "blk/geph__p_0"
    assert ge.placeholder_name(p, scope="") == "geph__p_0"
    assert ge.placeholder_name(p, scope="s") == "s/geph__p_0"
    assert ge.placeholder_name() == "geph" and ge.placeholder_name(scope="s/") == "s/geph"
    ph = ge.make_placeholder_from_tensor(p)
    assert ph.op.name == "blk/geph__p_0" and ph.dtype == tf.float32
    assert ph.shape.as_list() == [2] and ph.op.type == "Placeholder"
    assert ge.placeholder_name(ph) == "blk/geph__p_0"  # a placeholder's keeps its name
    q = ge.ph(tf.int32, [3], scope="s")
    assert q.op.name == "s/geph" and q.dtype == tf.int32 and q.shape.as_list() == [3]
    with pytest.raises(TypeError, match="Expected a tf.Tensor"):
        ge.placeholder_name(n["c"].op)
    with tf.Session() as sess:
        assert np.array_equal(sess.run(ph, {ph: [1.0, 2.0]}), [1.0, 2.0])
