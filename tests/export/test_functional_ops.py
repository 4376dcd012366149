"""TF2's functional control flow (If, While, Case and their stateless forms) lowered to TF1's
Switch/Merge and Enter/Exit frames at import (export/functional_ops.py).

TF-free: hand-built GraphDefs with small FunctionDefs against hand-computed numpy values, the
control edges (the node's control inputs first, its control dependents after its branches'
side effects), and the errors. With TensorFlow installed: tf.functions built in eager mode,
frozen with their If/While kept (``lower_control_flow=False``), imported and run against
TensorFlow's own results on inputs taking each branch; and an unfrozen tf.saved_model.save
directory through minitf's SavedModel loader."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError
from minitf.export.functions import inline_functions
from minitf.protos import graph_pb2, types_pb2

from .function_defs import function as _function
from .function_defs import graph as _graph
from .function_defs import node as _node

FLOAT, INT32, BOOL, STRING = (types_pb2.DT_FLOAT, types_pb2.DT_INT32, types_pb2.DT_BOOL,
                              types_pb2.DT_STRING)


def _const(name, value):
    value = np.asarray(value)
    return _node(name, "Const", value=value, dtype=tf.as_dtype(value.dtype).as_datatype_enum)


def _run(gd, fetches, feeds=None):
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g) as sess:
            return sess.run(fetches, feeds or {})


# then(x, w) = x * w * 3 (the 3 a Const reading nothing: it hangs on the branch's pivot);
# other(x, w) = x - w.
def _then():
    return _function("then", [("x", FLOAT), ("w", FLOAT)], [("y", FLOAT)], [
        _const("three", np.float32(3)),
        _node("mul", "Mul", ["x", "w"], T=FLOAT),
        _node("out", "Mul", ["mul:z:0", "three:output:0"], T=FLOAT)], {"y": "out:z:0"})


def _other():
    return _function("other", [("x", FLOAT), ("w", FLOAT)], [("y", FLOAT)], [
        _node("sub", "Sub", ["x", "w"], T=FLOAT)], {"y": "sub:z:0"})


def _if_graph(op="If", tcond=BOOL, then="then"):
    return _graph([
        _node("p", "Placeholder", dtype=tcond),
        _node("x", "Placeholder", dtype=FLOAT),
        _const("w", np.float32([2, -1])),
        _node("cond", op, ["p", "x", "w"], Tcond=tcond, Tin=(FLOAT, FLOAT), Tout=(FLOAT,),
              then_branch=then, else_branch="other"),
        _node("result", "Identity", ["cond:0"], T=FLOAT),
    ], [_then(), _other()])


@pytest.mark.parametrize("op", ["If", "StatelessIf"])
def test_if_runs_the_branch_its_predicate_takes(op):
    gd = _if_graph(op)
    x, w = np.float32([1, 4]), np.float32([2, -1])
    np.testing.assert_allclose(_run(gd, "result:0", {"p:0": True, "x:0": x}), x * w * 3)
    np.testing.assert_allclose(_run(gd, "result:0", {"p:0": False, "x:0": x}), x - w)
    ops = [n.op for n in inline_functions(gd).node]
    assert op not in ops and {"Switch", "Merge"} <= set(ops)
    assert ops[3] == "IdentityN"  # the node keeps its place and name: cond:0 still means it


@pytest.mark.parametrize("tcond, true, false", [
    (INT32, np.int32(-2), np.int32(0)),
    (FLOAT, np.float32(0.5), np.float32(0)),
    (STRING, np.array(b"yes", dtype=object), np.array(b"", dtype=object)),
])
def test_a_predicate_that_is_not_bool_is_tested_as_tf_tests_a_scalar(tcond, true, false):
    gd = _if_graph(tcond=tcond)
    x = np.float32([1, 4])
    np.testing.assert_allclose(_run(gd, "result:0", {"p:0": true, "x:0": x}), [6, -12])
    np.testing.assert_allclose(_run(gd, "result:0", {"p:0": false, "x:0": x}), [-1, 5])


def test_a_predicate_that_is_not_a_scalar_fails_as_tfs_switch_does():
    with pytest.raises(InvalidArgumentError,
                       match=r"The second input must be a scalar, but it has shape \[2\]"):
        _run(_if_graph(), "result:0", {"p:0": np.array([True, False]), "x:0": np.float32([1, 4])})


def test_if_control_inputs_come_first_and_dependents_wait_for_its_side_effects():
    # The then branch asserts x > 0 (a control output); a NoOp waiting on the If must run it
    # when the branch is taken, and not when it is not. The If's control input sets v first.
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.float32(1), name="v")
        tf.assign(v, 5.0, name="set")
    check = _function("check", [("x", FLOAT)], [("y", FLOAT)], [
        _const("zero", np.float32(0)),
        _node("positive", "Greater", ["x", "zero:output:0"], T=FLOAT),
        _node("assert", "Assert", ["positive:z:0", "x"], T=(FLOAT,)),
        _node("copy", "Identity", ["x"], T=FLOAT)], {"y": "copy:output:0"},
        control_ret={"assert": "assert"})
    keep = _function("keep", [("x", FLOAT)], [("y", FLOAT)], [
        _node("copy", "Identity", ["x"], T=FLOAT)], {"y": "copy:output:0"})
    check0 = _function("check0", [("x", FLOAT)], [], check.node_def[:3], {},
                       control_ret={"assert": "assert"})
    none = _function("none", [("x", FLOAT)], [], [], {})
    # (returns its argument itself: the output is the input's Switch, which must wait too)
    same = _function("same", [("x", FLOAT)], [("y", FLOAT)], [], {"y": "x"})
    gd = g.as_graph_def()
    gd.node.extend([
        _node("p", "Placeholder", dtype=BOOL),
        _node("x", "Placeholder", dtype=FLOAT),
        _node("cond", "If", ["p", "x", "^set"], Tcond=BOOL, Tin=(FLOAT,), Tout=(FLOAT,),
              then_branch="check", else_branch="keep"),
        _node("vcond", "If", ["p", "v", "^set"], Tcond=BOOL, Tin=(FLOAT,), Tout=(FLOAT,),
              then_branch="same", else_branch="same"),
        _node("after", "NoOp", ["^cond"]),
        _node("effect", "StatelessIf", ["p", "x"], Tcond=BOOL, Tin=(FLOAT,),  # no outputs
              then_branch="check0", else_branch="none"),
    ])
    gd.library.function.extend([check, keep, same, check0, none])
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g2) as sess:
            sess.run(g2.get_operation_by_name("v/Assign"))
            assert sess.run("vcond:0", {"p:0": True}) == 5.0  # ^set ran before the branch
            sess.run("after", {"p:0": True, "x:0": np.float32(2)})
            sess.run("after", {"p:0": False, "x:0": np.float32(-1)})  # check not taken
            with pytest.raises(InvalidArgumentError, match="assertion failed"):
                sess.run("after", {"p:0": True, "x:0": np.float32(-1)})
            sess.run("effect", {"p:0": False, "x:0": np.float32(-1)})
            with pytest.raises(InvalidArgumentError, match="assertion failed"):
                sess.run("effect", {"p:0": True, "x:0": np.float32(-1)})


# A loop: (i, acc) -> (i + 1, acc * 2 + c) while i < n, c a Const of the body.
def _loop_functions():
    cond = _function("less", [("i", INT32), ("acc", FLOAT), ("n", INT32)], [("ok", BOOL)], [
        _node("less", "Less", ["i", "n"], T=INT32)], {"ok": "less:z:0"})
    body = _function("step", [("i", INT32), ("acc", FLOAT), ("n", INT32)],
                     [("i2", INT32), ("acc2", FLOAT), ("n2", INT32)], [
        _const("one", np.int32(1)),
        _const("c", np.float32(0.5)),
        _node("next", "AddV2", ["i", "one:output:0"], T=INT32),
        _node("two", "Const", value=np.float32(2), dtype=FLOAT),
        _node("twice", "Mul", ["acc", "two:output:0"], T=FLOAT),
        _node("plus", "AddV2", ["twice:z:0", "c:output:0"], T=FLOAT)],
        {"i2": "next:z:0", "acc2": "plus:z:0", "n2": "n"})
    return cond, body


def _loop_graph(op="While", cond="less", body="step"):
    return _graph([
        _node("n", "Placeholder", dtype=INT32),
        _node("acc0", "Placeholder", dtype=FLOAT),
        _const("i0", np.int32(0)),
        _node("loop", op, ["i0", "acc0", "n"], T=(INT32, FLOAT, INT32), cond=cond, body=body,
              parallel_iterations=7),
    ], list(_loop_functions()))


def _numpy_loop(acc, n):
    i = 0
    while i < n:
        i, acc = i + 1, acc * 2 + np.float32(0.5)
    return i, acc


@pytest.mark.parametrize("op", ["While", "StatelessWhile"])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_while_runs_its_body_until_its_condition_fails(op, n):
    gd = _loop_graph(op)
    acc0 = np.float32([1, -3])
    i, acc = _run(gd, ["loop:0", "loop:1"], {"n:0": np.int32(n), "acc0:0": acc0})
    want_i, want_acc = _numpy_loop(acc0, n)
    assert i == want_i
    np.testing.assert_allclose(acc, want_acc)
    enters = [x for x in inline_functions(gd).node if x.op == "Enter"]
    assert len(enters) == 3 and {x.attr["frame_name"].s for x in enters} == {b"loop"}
    assert {x.attr["parallel_iterations"].i for x in enters} == {7}


def test_a_loop_with_an_if_inside_and_two_loops_from_one_function():
    # body: acc = acc + 1 if i is even else acc * 2 (an If whose branches are functions).
    cond, _ = _loop_functions()
    inc = _function("inc", [("a", FLOAT)], [("b", FLOAT)], [
        _const("one", np.float32(1)),
        _node("add", "AddV2", ["a", "one:output:0"], T=FLOAT)], {"b": "add:z:0"})
    dbl = _function("dbl", [("a", FLOAT)], [("b", FLOAT)], [
        _node("add", "AddV2", ["a", "a"], T=FLOAT)], {"b": "add:z:0"})
    body = _function("step", [("i", INT32), ("acc", FLOAT), ("n", INT32)],
                     [("i2", INT32), ("acc2", FLOAT), ("n2", INT32)], [
        _const("one", np.int32(1)),
        _const("two", np.int32(2)),
        _const("zero", np.int32(0)),
        _node("mod", "FloorMod", ["i", "two:output:0"], T=INT32),
        _node("even", "Equal", ["mod:z:0", "zero:output:0"], T=INT32),
        _node("pick", "StatelessIf", ["even:z:0", "acc"], Tcond=BOOL, Tin=(FLOAT,),
              Tout=(FLOAT,), then_branch="inc", else_branch="dbl"),
        _node("next", "AddV2", ["i", "one:output:0"], T=INT32)],
        {"i2": "next:z:0", "acc2": "pick:output:0", "n2": "n"})
    gd = _graph([
        _node("n", "Placeholder", dtype=INT32),
        _const("i0", np.int32(0)),
        _const("acc0", np.float32(1)),
        _node("a", "While", ["i0", "acc0", "n"], T=(INT32, FLOAT, INT32), cond="less",
              body="step"),
        _node("b", "While", ["i0", "a:1", "n"], T=(INT32, FLOAT, INT32), cond="less",
              body="step"),
    ], [cond, body, inc, dbl])

    def reference(acc, n):
        for i in range(n):
            acc = acc + 1 if i % 2 == 0 else acc * 2
        return acc

    for n in (0, 3, 5):
        a, b = _run(gd, ["a:1", "b:1"], {"n:0": np.int32(n)})
        assert a == reference(1.0, n) and b == reference(reference(1.0, n), n)


def test_while_control_inputs_come_first_and_its_body_side_effects_run_each_iteration():
    # The loop starts from v, which its control input sets to 5 first; the body asserts
    # acc < 100 (a control output), which fails in the iteration that reaches it.
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.float32(1), name="v")
        tf.assign(v, 5.0, name="set")
    cond, body = _loop_functions()
    body.node_def.extend([
        _const("limit", np.float32(100)),
        _node("small", "Less", ["acc", "limit:output:0"], T=FLOAT),
        _node("assert", "Assert", ["small:z:0", "acc"], T=(FLOAT,))])
    body.signature.control_output.append("assert")
    body.control_ret["assert"] = "assert"
    gd = g.as_graph_def()
    gd.node.extend([
        _node("n", "Placeholder", dtype=INT32),
        _const("i0", np.int32(0)),
        _node("loop", "While", ["i0", "v", "n", "^set"], T=(INT32, FLOAT, INT32), cond="less",
              body="step")])
    gd.library.function.extend([cond, body])
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g2) as sess:
            sess.run(g2.get_operation_by_name("v/Assign"))
            assert sess.run("loop:1", {"n:0": np.int32(0)}) == 5.0  # ^set ran first
            assert sess.run("loop:1", {"n:0": np.int32(3)}) == _numpy_loop(np.float32(5), 3)[1]
            with pytest.raises(InvalidArgumentError, match="assertion failed"):
                sess.run("loop:1", {"n:0": np.int32(6)})  # 5, 10.5, 21.5, 43.5, 87.5, 175.5


def test_a_loop_condition_that_is_not_a_scalar_fails_as_tfs_loop_cond_does():
    cond = _function("less", [("i", INT32), ("acc", FLOAT), ("n", INT32)], [("ok", BOOL)], [
        _node("fill", "Fill", ["n", "i"], T=INT32, index_type=INT32),
        _node("less", "Less", ["fill:output:0", "n"], T=INT32)], {"ok": "less:z:0"})
    gd = _loop_graph()
    gd.library.function[0].CopyFrom(cond)
    with pytest.raises(InvalidArgumentError, match="The loop condition must be a scalar"):
        _run(gd, "loop:1", {"n:0": np.int32([2]), "acc0:0": np.float32(1)})


def _branch(name, op, k):
    nodes = [_const("k", np.float32(k))]
    nodes.append(_node("out", op, ["x", "k:output:0"], T=FLOAT))
    return _function(name, [("x", FLOAT)], [("y", FLOAT)], nodes, {"y": "out:z:0"})


@pytest.mark.parametrize("op", ["Case", "StatelessCase"])
def test_case_runs_the_indexed_branch_and_the_last_when_out_of_range(op):
    gd = _graph([
        _node("i", "Placeholder", dtype=INT32),
        _node("x", "Placeholder", dtype=FLOAT),
        _node("case", op, ["i", "x"], Tin=(FLOAT,), Tout=(FLOAT,),
              branches=["b0", "b1", "b2"]),
        _node("one", op, ["i", "x"], Tin=(FLOAT,), Tout=(FLOAT,), branches=["b1"]),
    ], [_branch("b0", "AddV2", 10), _branch("b1", "Mul", 3), _branch("b2", "Sub", 1)])
    x = np.float32([1, 2])
    for i, want in [(0, x + 10), (1, x * 3), (2, x - 1), (3, x - 1), (-1, x - 1)]:
        got, one = _run(gd, ["case:0", "one:0"], {"i:0": np.int32(i), "x:0": x})
        np.testing.assert_allclose(got, want)
        np.testing.assert_allclose(one, x * 3)


def _bad(case):
    if case == "half predicate":
        return _if_graph(tcond=types_pb2.DT_HALF)
    if case == "missing branch":
        return _if_graph(then="nowhere")
    if case == "Tin":
        gd = _if_graph()
        gd.node[3].attr["Tin"].list.type.pop()
        return gd
    if case == "arity":
        gd = _if_graph()
        gd.node[3].input.pop()
        gd.node[3].attr["Tin"].list.type.pop()
        return gd
    if case == "branch outputs":
        gd = _if_graph()
        gd.library.function[1].signature.output_arg.add(name="z", type=FLOAT)
        gd.library.function[1].ret["z"] = "sub:z:0"
        return gd
    if case == "body outputs":
        gd = _loop_graph()
        body = gd.library.function[1]
        body.signature.output_arg.pop()
        del body.ret["n2"]
        return gd
    if case == "missing body":
        return _loop_graph(body="nowhere")
    # recursive: the body's loop runs the body again
    gd = _loop_graph()
    body = gd.library.function[1]
    body.node_def.add().CopyFrom(_node("again", "While", ["i", "acc", "n"],
                                       T=(INT32, FLOAT, INT32), cond="less", body="step"))
    return gd


@pytest.mark.parametrize("case, message", [
    ("half predicate", "its predicate is float16, which cannot be converted to a boolean"),
    ("missing branch", "calls function 'nowhere', which the graph's function library does not"),
    ("Tin", "has 2 inputs after the predicate, but its attr 'Tin' lists 1 types"),
    ("arity", "gives 1 inputs to function 'then', which takes 2"),
    ("branch outputs", "its branches give 1 and 2 outputs"),
    ("body outputs", "gives 2 outputs for 3 loop variables"),
    ("missing body", "calls function 'nowhere'"),
    ("recursive", "function 'step' calls itself"),
])
def test_bad_control_flow_is_refused_naming_what_is_wrong(case, message):
    with pytest.raises(InvalidArgumentError, match=message):
        with tf.Graph().as_default():
            tf.import_graph_def(_bad(case), name="")


# -- side by side with TensorFlow 2 ---------------------------------------------------------------
def _import_tf_function(f, *specs):
    """``f`` traced for ``specs``, its variables frozen with If/While kept: (minitf graph,
    the GraphDef, input names, output names, TF's frozen concrete function)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    frozen = convert_variables_to_constants_v2(f.get_concrete_function(*specs),
                                               lower_control_flow=False)
    gd = graph_pb2.GraphDef.FromString(frozen.graph.as_graph_def().SerializeToString())
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    return g, gd, [t.name for t in frozen.inputs], [t.name for t in frozen.outputs], frozen


def _compare(tf2, f, specs, cases, must_have):
    g, gd, ins, outs, frozen = _import_tf_function(f, *specs)
    assert must_have <= {n.op for n in gd.node} | {
        n.op for fn in gd.library.function for n in fn.node_def}  # the test tests lowering
    with tf.Session(graph=g) as sess:
        for args in cases:
            got = sess.run(outs, dict(zip(ins, args)))
            want = frozen(*[tf2.constant(a) for a in args])
            for a, b in zip(got, want):
                np.testing.assert_allclose(a, b.numpy(), rtol=1e-6, err_msg=str(args))


def test_tf_cond_side_by_side():
    tf2 = pytest.importorskip("tensorflow")
    v = tf2.Variable(np.float32([1.5, -2.0]))

    @tf2.function
    def f(x, k):
        def then():
            return tf2.cond(k > 2, lambda: x * v, lambda: tf2.exp(x) + 1.0)  # nested

        y = tf2.cond(tf2.reduce_sum(x) > 0, then, lambda: x - v + 3.0)
        z = tf2.cond(k % 2 == 0, lambda: tf2.constant(7.0), lambda: tf2.reduce_max(y))
        return y, z

    specs = (tf2.TensorSpec([2], tf2.float32), tf2.TensorSpec([], tf2.int32))
    cases = [(np.float32(x), np.int32(k)) for x in ([1, 2], [-1, -2], [0.5, 0.25])
             for k in (0, 3, 5)]
    _compare(tf2, f, specs, cases, {"If"})


def test_tf_while_loop_side_by_side():
    tf2 = pytest.importorskip("tensorflow")
    v = tf2.Variable(np.float32([0.5, -1.0]))

    @tf2.function
    def f(x, n):
        def body(i, acc):
            acc = tf2.cond(i % 2 == 0, lambda: acc + v, lambda: acc * 2.0)  # cond inside
            return i + 1, acc

        i, acc = tf2.while_loop(lambda i, acc: i < n, body, (tf2.constant(0), x))
        total = tf2.while_loop(lambda j, s: j < 3, lambda j, s: (j + 1, s + v * 2.0),
                               (0, x))[1]  # reads a captured variable

        def outer(i, a):  # a loop in a loop: each its own frame
            return i + 1, tf2.while_loop(lambda j, b: j < i,
                                         lambda j, b: (j + 1, b * 1.5 + 1.0), (0, a))[1]

        nested = tf2.while_loop(lambda i, a: i < n, outer, (0, x))[1]
        return i, acc, total, nested

    specs = (tf2.TensorSpec([2], tf2.float32), tf2.TensorSpec([], tf2.int32))
    cases = [(np.float32([1, -2]), np.int32(n)) for n in (0, 1, 4, 7)]  # 0: no iteration
    _compare(tf2, f, specs, cases, {"While", "If"})


def test_tf_switch_case_side_by_side():
    tf2 = pytest.importorskip("tensorflow")

    @tf2.function
    def f(x, n):
        return tf2.switch_case(n, [lambda: x + 1.0, lambda: x * 3.0, lambda: -x])

    # TF's converter lowers Case itself (to _SwitchN), so the unfrozen graph (constants
    # only) is imported: it keeps the Case node.
    cf = f.get_concrete_function(tf2.TensorSpec([2], tf2.float32),
                                 tf2.TensorSpec([], tf2.int32))
    gd = graph_pb2.GraphDef.FromString(cf.graph.as_graph_def().SerializeToString())
    assert {"Case", "StatelessCase"} & {n.op for n in gd.node}
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g) as sess:
            for n in (0, 1, 2, 3, -1):
                x = np.float32([1, -2])
                got = sess.run(cf.outputs[0].name, {cf.inputs[0].name: x,
                                                     cf.inputs[1].name: np.int32(n)})
                np.testing.assert_allclose(got, cf(tf2.constant(x), tf2.constant(n)).numpy())


def test_tf_saved_model_with_control_flow_loads(tmp_path):
    tf2 = pytest.importorskip("tensorflow")
    from minitf.export import saved_model

    class M(tf2.Module):
        def __init__(self):
            super().__init__()
            self.w = tf2.Variable(np.float32([2.0, -1.0]))

        @tf2.function(input_signature=[tf2.TensorSpec([2], tf2.float32),
                                       tf2.TensorSpec([], tf2.int32)])
        def __call__(self, x, n):
            y = tf2.cond(tf2.reduce_sum(x) > 0, lambda: x * self.w, lambda: x + self.w)
            return {"y": tf2.while_loop(lambda i, s: i < n,
                                        lambda i, s: (i + 1, s * 0.5 + self.w), (0, y))[1]}

    m = M()
    tf2.saved_model.save(m, str(tmp_path / "m"))
    model = saved_model.load(str(tmp_path / "m"))
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as sess:
        for x, n in (([1, 2], 3), ([-1, -2], 0), ([3, -1], 5)):
            x = np.float32(x)
            got = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: x,
                                                   sig.inputs["n"].name: np.int32(n)})
            np.testing.assert_allclose(got, m(x, n)["y"].numpy(), rtol=1e-6)


def test_tf_frozen_graphs_lowered_by_tensorflow_load():
    """convert_variables_to_constants_v2's default lowers the control flow itself: If and
    While to Switch/Merge and frames, Case to _SwitchN (TF's internal N-way Switch)."""
    tf2 = pytest.importorskip("tensorflow")
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    v = tf2.Variable(np.float32([1, 2]))

    @tf2.function
    def f(n, x):
        y = tf2.switch_case(n, [lambda: x * v, lambda: x + v, lambda: -x])
        return tf2.cond(tf2.reduce_sum(y) > 0, lambda: y * 2.0, lambda: y - 1.0)

    frozen = convert_variables_to_constants_v2(f.get_concrete_function(
        tf2.TensorSpec([], tf2.int32), tf2.TensorSpec([2], tf2.float32)))
    gd = graph_pb2.GraphDef.FromString(frozen.graph.as_graph_def().SerializeToString())
    assert {"_SwitchN", "Switch", "Merge"} <= {n.op for n in gd.node}
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g) as sess:
            for n in (0, 1, 2, 7, -1):
                x = np.float32([3, -4])
                got = sess.run(frozen.outputs[0].name, {frozen.inputs[0].name: np.int32(n),
                                                        frozen.inputs[1].name: x})
                want = frozen(tf2.constant(n), tf2.constant(x))
                want = want[0] if isinstance(want, list) else want
                np.testing.assert_allclose(got, want.numpy(), err_msg=str(n))
