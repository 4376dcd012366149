"""Function calls in GraphDefs (TF2's PartitionedCall/StatefulPartitionedCall) inlined at
import: results against hand-computed values, the call's control edges, output-argument
indexing (core/raw_ops_outputs.py's table, checked against TF by tests/core/test_raw_ops.py),
the restore op's checkpoint keys, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.errors import InvalidArgumentError
from minitf.export.functions import inline_functions
from minitf.protos import types_pb2

from .function_defs import function as _function
from .function_defs import graph as _graph
from .function_defs import node as _node

FLOAT, INT32 = types_pb2.DT_FLOAT, types_pb2.DT_INT32


def _affine():
    """affine(x, w) = x * w + 1, in a function's naming (node:arg:index)."""
    return _function("affine", [("x", FLOAT), ("w", FLOAT)], [("y", FLOAT)], [
        _node("one", "Const", value=np.float32(1), dtype=FLOAT),
        _node("mul", "Mul", ["x", "w"], T=FLOAT),
        _node("add", "AddV2", ["mul:z:0", "one:output:0"], T=FLOAT),
    ], {"y": "add:z:0"})


def _run(gd, fetches, feeds=None):
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g) as sess:
            return sess.run(fetches, feeds or {})


def test_calls_and_nested_calls_compute_the_bodies():
    # outer(x, w) = affine(affine(x, w), w) * 2, through a PartitionedCall inside a function
    # and a call by the function's name at the top.
    outer = _function("outer", [("x", FLOAT), ("w", FLOAT)], [("out", FLOAT)], [
        _node("inner", "PartitionedCall", ["x", "w"], f="affine", Tin=(FLOAT, FLOAT),
              Tout=(FLOAT,)),
        _node("again", "affine", ["inner:output:0", "w"]),
        _node("two", "Const", value=np.float32(2), dtype=FLOAT),
        _node("double", "Mul", ["again:y:0", "two:output:0"], T=FLOAT),
    ], {"out": "double:z:0"})
    gd = _graph([
        _node("x", "Placeholder", dtype=FLOAT),
        _node("w", "Const", value=np.float32([2, 3]), dtype=FLOAT),
        _node("call", "StatefulPartitionedCall", ["x", "w"], f="outer", Tin=(FLOAT, FLOAT),
              Tout=(FLOAT,)),
        _node("result", "Identity", ["call"], T=FLOAT),
    ], [_affine(), outer])
    x = np.float32([1, -1])
    w = np.float32([2, 3])
    expected = ((x * w + 1) * w + 1) * 2
    np.testing.assert_allclose(_run(gd, "result:0", {"x:0": x}), expected)
    inlined = inline_functions(gd)
    names = [n.name for n in inlined.node]
    assert names[:4] == ["x", "w", "call", "result"]  # the original nodes keep their places
    assert {"call/inner/mul", "call/again/add", "call/double"} <= set(names)
    assert inlined.node[2].op == "IdentityN"


def test_output_arguments_index_multi_output_ops():
    # Unique's "idx" is its output 1; a list argument (Split's "output") counts from 0.
    f = _function("f", [("x", INT32)], [("idx", INT32), ("second", INT32)], [
        _node("u", "Unique", ["x"], T=INT32, out_idx=INT32),
        _node("axis", "Const", value=np.int32(0), dtype=INT32),
        _node("s", "Split", ["axis:output:0", "x"], T=INT32),
    ], {"idx": "u:idx:0", "second": "s:output:1"})
    f.node_def[2].attr["num_split"].i = 2
    gd = _graph([
        _node("x", "Placeholder", dtype=INT32),
        _node("call", "PartitionedCall", ["x"], f="f", Tin=(INT32,), Tout=(INT32, INT32)),
    ], [f])
    idx, second = _run(gd, ["call:0", "call:1"], {"x:0": np.int32([5, 7, 5, 9])})
    np.testing.assert_array_equal(idx, [0, 1, 0, 2])
    np.testing.assert_array_equal(second, [5, 9])


def test_the_calls_control_inputs_run_before_its_body():
    # The body reads a variable the call's control input assigns first.
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.float32(1), name="v")
        tf.assign(v, 5.0, name="set")
    gd = g.as_graph_def()
    f = _function("read", [("x", FLOAT)], [("y", FLOAT)],
                  [_node("copy", "Identity", ["x"], T=FLOAT)], {"y": "copy:output:0"})
    gd.node.extend([_node("call", "PartitionedCall", ["v", "^set"], f="read", Tin=(FLOAT,),
                          Tout=(FLOAT,))])
    gd.library.function.append(f)
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g2) as sess:
            sess.run(g2.get_operation_by_name("v/Assign"))
            assert sess.run("call:0") == 5.0


def test_a_call_waits_for_its_control_outputs():
    # A function whose only effect is a failing Assert (its control output): running the
    # call runs the Assert; its data output alone does too (outputs wait for the effects).
    f = _function("check", [("x", FLOAT)], [("y", FLOAT)], [
        _node("zero", "Const", value=np.float32(0), dtype=FLOAT),
        _node("positive", "Greater", ["x", "zero:output:0"], T=FLOAT),
        _node("assert", "Assert", ["positive:z:0", "x"], T=(FLOAT,)),
        _node("copy", "Identity", ["x"], T=FLOAT),
    ], {"y": "copy:output:0"}, control_ret={"assert": "assert"})
    gd = _graph([
        _node("x", "Placeholder", dtype=FLOAT),
        _node("call", "StatefulPartitionedCall", ["x"], f="check", Tin=(FLOAT,),
              Tout=(FLOAT,)),
    ], [f])
    assert _run(gd, "call:0", {"x:0": np.float32(2)}) == 2
    with pytest.raises(InvalidArgumentError, match="assertion failed"):
        _run(gd, "call:0", {"x:0": np.float32(-1)})
    with pytest.raises(InvalidArgumentError, match="assertion failed"):
        _run(gd, "call", {"x:0": np.float32(-1)})


def test_attr_placeholders_take_the_calls_attrs():
    f = _function("cast", [("x", INT32)], [("y", FLOAT)],
                  [_node("c", "Cast", ["x"], SrcT=INT32)], {"y": "c:y:0"})
    f.node_def[0].attr["DstT"].placeholder = "To"
    f.signature.attr.add(name="To", type="type")
    call = _node("call", "cast", ["x"])
    call.attr["To"].type = FLOAT
    gd = _graph([_node("x", "Placeholder", dtype=INT32), call], [f])
    out = _run(gd, "call:0", {"x:0": np.int32([3])})
    assert out.dtype == np.float32 and out.tolist() == [3.0]
    del gd.node[1].attr["To"]
    with pytest.raises(InvalidArgumentError, match="takes attr 'DstT' from the call's 'To'"):
        inline_functions(gd)


@pytest.mark.parametrize("case, message", [
    ("missing", "calls function 'nowhere', which the graph's function library does not"),
    ("recursive", "function 'loop' calls itself"),
    ("arity", "gives 1 inputs to function 'affine', which takes 2"),
    ("undefined", "reads 'ghost:output:0', which function 'bad' does not define"),
    ("no output", "has no output product:0"),
])
def test_bad_functions_are_refused_naming_what_is_wrong(case, message):
    x = _node("x", "Placeholder", dtype=FLOAT)
    functions = [_affine()]
    if case == "missing":
        call = _node("call", "PartitionedCall", ["x"], f="nowhere", Tin=(FLOAT,), Tout=(FLOAT,))
    elif case == "recursive":
        functions.append(_function("loop", [("x", FLOAT)], [("y", FLOAT)], [
            _node("again", "PartitionedCall", ["x"], f="loop", Tin=(FLOAT,), Tout=(FLOAT,))],
            {"y": "again:output:0"}))
        call = _node("call", "PartitionedCall", ["x"], f="loop", Tin=(FLOAT,), Tout=(FLOAT,))
    elif case == "arity":
        call = _node("call", "PartitionedCall", ["x"], f="affine", Tin=(FLOAT,), Tout=(FLOAT,))
    elif case == "undefined":
        functions.append(_function("bad", [("x", FLOAT)], [("y", FLOAT)], [
            _node("n", "Identity", ["ghost:output:0"], T=FLOAT)], {"y": "n:output:0"}))
        call = _node("call", "PartitionedCall", ["x"], f="bad", Tin=(FLOAT,), Tout=(FLOAT,))
    else:  # Unique has outputs y and idx, not MatMul's "product"
        functions.append(_function("bad", [("x", FLOAT)], [("y", FLOAT)], [
            _node("u", "Unique", ["x"], T=FLOAT, out_idx=INT32),
            _node("n", "Identity", ["u:product:0"], T=FLOAT)], {"y": "n:output:0"}))
        call = _node("call", "PartitionedCall", ["x"], f="bad", Tin=(FLOAT,), Tout=(FLOAT,))
    gd = _graph([x, call], functions)
    with pytest.raises(InvalidArgumentError, match=message):
        with tf.Graph().as_default():
            tf.import_graph_def(gd, name="")


def test_the_restore_op_says_where_a_renamed_variable_is(tmp_path):
    # A variable renamed in the graph (its Saver's restore op rewired too) is still found: TF's
    # loader runs the restore op, which assigns it the checkpoint's "w".
    from minitf.protos import saved_model_pb2

    m = tmp_path / "m"
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 1], name="x")
        w = tf.Variable([[2.0]], name="w")
        y = tf.matmul(x, w, name="y")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.saved_model.simple_save(sess, str(m), {"x": x}, {"y": y})
    sm = saved_model_pb2.SavedModel.FromString((m / "saved_model.pb").read_bytes())
    for n in sm.meta_graphs[0].graph_def.node:
        n.name = "renamed" if n.name == "w" else n.name
        n.input[:] = ["renamed" if i == "w" else i for i in n.input]
    (m / "saved_model.pb").write_bytes(sm.SerializeToString())
    model = export.load_saved_model(m)
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as sess:
        out = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: [[3.0]]})
    assert out.tolist() == [[6.0]]


def test_a_result_that_is_an_argument_waits_for_the_calls_control_inputs():
    # ret {y: "x"}: the result is the caller's own tensor; the call still runs after its
    # control input (a failing Assert), as TF's inliner makes it.
    f = _function("same", [("x", FLOAT)], [("y", FLOAT)], [], {"y": "x"})
    gd = _graph([
        _node("x", "Placeholder", dtype=FLOAT),
        _node("zero", "Const", value=np.float32(0), dtype=FLOAT),
        _node("positive", "Greater", ["x", "zero"], T=FLOAT),
        _node("all", "All", ["positive", "axis"], Tidx=INT32),
        _node("axis", "Const", value=np.int32(0), dtype=INT32),
        _node("check", "Assert", ["all", "x"], T=(FLOAT,)),
        _node("call", "PartitionedCall", ["x", "^check"], f="same", Tin=(FLOAT,),
              Tout=(FLOAT,)),
    ], [f])
    np.testing.assert_array_equal(_run(gd, "call:0", {"x:0": np.float32([1, 2])}), [1, 2])
    with pytest.raises(InvalidArgumentError, match="assertion failed"):
        _run(gd, "call:0", {"x:0": np.float32([-1, 2])})


def _chain(depth, partitioned):
    """f0(x) = x + 1; f{i}(x) = f{i-1}(x) + 1, each calling the next by op name (TF1's form)
    or through a PartitionedCall; the graph calls f{depth-1} on x."""
    one = _node("one", "Const", value=np.float32(1), dtype=FLOAT)
    functions = [_function("f0", [("x", FLOAT)], [("y", FLOAT)], [
        one, _node("add", "AddV2", ["x", "one:output:0"], T=FLOAT)], {"y": "add:z:0"})]
    for i in range(1, depth):
        call = _node("call", "PartitionedCall", ["x"], f=f"f{i - 1}", Tin=(FLOAT,),
                     Tout=(FLOAT,)) if partitioned else _node("call", f"f{i - 1}", ["x"])
        functions.append(_function(f"f{i}", [("x", FLOAT)], [("y", FLOAT)], [
            call, one, _node("add", "AddV2", [f"call:{'output' if partitioned else 'y'}:0",
                                              "one:output:0"], T=FLOAT)], {"y": "add:z:0"}))
    top = _node("call", "PartitionedCall", ["x"], f=f"f{depth - 1}", Tin=(FLOAT,),
                Tout=(FLOAT,)) if partitioned else _node("call", f"f{depth - 1}", ["x"])
    return _graph([_node("x", "Placeholder", dtype=FLOAT), top,
                   _node("result", "Identity", ["call"], T=FLOAT)], functions)


@pytest.mark.parametrize("partitioned", [False, True])
def test_a_call_chain_hundreds_deep_inlines(partitioned):
    """A chain of 1500 functions, each calling the next (TF imports it; inlining recursed, a
    RecursionError from depth ~600): inlined without recursion, each adding its 1."""
    depth = 1500
    gd = _chain(depth, partitioned)
    x = np.float32([0.5, -2])
    np.testing.assert_allclose(_run(gd, "result:0", {"x:0": x}), x + depth)
    names = {n.name for n in inline_functions(gd).node}
    assert "call/call/call/add" in names and "call/" + "call/" * (depth - 1) + "add" in names


def test_control_flow_nested_too_deep_is_refused_naming_the_depth():
    """If inside If inside If...: each level inlines through a lowering (a nested inliner
    run), so a chain past Python's stack is an InvalidArgumentError naming its depth."""
    one = _node("one", "Const", value=np.float32(1), dtype=FLOAT)
    functions = [_function("b0", [("p", types_pb2.DT_BOOL), ("x", FLOAT)], [("y", FLOAT)], [
        _node("id", "Identity", ["x"], T=FLOAT)], {"y": "id:output:0"})]
    for i in range(1, 3000):
        functions.append(_function(f"b{i}", [("p", types_pb2.DT_BOOL), ("x", FLOAT)],
                                   [("y", FLOAT)], [
            one, _node("add", "AddV2", ["x", "one:output:0"], T=FLOAT),
            _node("if", "StatelessIf", ["p", "p", "add:z:0"], Tcond=types_pb2.DT_BOOL,
                  Tin=(types_pb2.DT_BOOL, FLOAT), Tout=(FLOAT,), then_branch=f"b{i - 1}",
                  else_branch="b0")], {"y": "if:output:0"}))
    gd = _graph([_node("p", "Placeholder", dtype=types_pb2.DT_BOOL),
                 _node("x", "Placeholder", dtype=FLOAT),
                 _node("call", "b2999", ["p", "x"])], functions)
    with pytest.raises(InvalidArgumentError, match=r"node call calls functions nested at "
                       r"least \d+ deep through functional control flow"):
        inline_functions(gd)
    gd = _graph([_node("p", "Placeholder", dtype=types_pb2.DT_BOOL),  # 20 deep: computes
                 _node("x", "Placeholder", dtype=FLOAT),
                 _node("call", "b20", ["p", "x"]),
                 _node("result", "Identity", ["call"], T=FLOAT)], functions[:21])
    assert _run(gd, "result:0", {"p:0": True, "x:0": np.float32(0.5)}) == np.float32(20.5)
