"""tf.xla.experimental.compile (core/xla.py), the XlaClusterOutput op and
tf.contrib.compiler.xla: the cluster's ops (names, types, inputs, control inputs, the
_xla_compile_id attr), the returned structure and values, and TF's errors; checked by hand and
side by side with TensorFlow's own compile (graph mode) where it is installed."""

import logging

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import compiler
from minitf.ops.xla_ops import XLA_CLUSTER_OUTPUT

from .side_by_side import run_both_ways, tf1_or_skip

xla = tf.xla  # as TF 1.15 programs reach it

compile_ = xla.experimental.compile


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _xla_id(op):
    if hasattr(op, "node_def") and not isinstance(op.graph, tf.Graph):  # a TF op
        attr = op.node_def.attr
        return attr["_xla_compile_id"].s if "_xla_compile_id" in attr else None
    try:
        return op.get_attr("_xla_compile_id")
    except ValueError:
        return None


def _rows(graph):
    return [(op.name, op.type, [t.name for t in op.inputs], [c.name for c in op.control_inputs],
             _xla_id(op)) for op in graph.get_operations()]


def _shape(result):
    """A result's structure: tensors by name, dtype and shape; ops by name."""
    if isinstance(result, dict):
        return {k: _shape(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        return type(result).__name__, [_shape(v) for v in result]
    if hasattr(result, "dtype"):
        return "tensor", result.name, result.dtype.name, result.shape.as_list()
    return "op", result.name


# -- hand-checked -------------------------------------------------------------------------------
def test_flat_result_builds_tf_cluster_and_runs_the_computation():
    x = tf.placeholder(tf.float32, [2], name="x")
    c = tf.constant([1.0, 2.0], name="c")
    out = compile_(lambda a, b: (a * b + 1.0, tf.no_op(name="done")), [x, c])
    assert _shape(out) == ("list", [("tensor", "output_0:0", "float32", [2])])
    assert _rows(tf.get_default_graph()) == [
        ("x", "Placeholder", [], [], None),
        ("c", "Const", [], [], None),
        ("cluster/pivot", "NoOp", [], [], None),
        ("input_0", "Identity", ["x:0"], [], b"cluster"),
        ("input_1", "Identity", ["c:0"], [], b"cluster"),
        ("mul", "Mul", ["input_0:0", "input_1:0"], [], b"cluster"),
        ("add/y", "Const", [], ["cluster/pivot"], b"cluster"),
        ("add", "AddV2", ["mul:0", "add/y:0"], [], b"cluster"),
        ("done", "NoOp", [], ["cluster/pivot"], b"cluster"),
        ("NoOp", "NoOp", [], ["cluster/pivot"], b"cluster"),
        ("Identity", "Identity", ["add:0"], [], b"cluster"),
        ("output0", "XlaClusterOutput", ["Identity:0"], [], None),
        ("output_0", "Identity", ["output0:0"], ["done", "NoOp"], None)]
    with tf.Session() as sess:
        got = sess.run(out, {x: [3.0, 4.0]})
        np.testing.assert_allclose(got[0], np.array([3.0, 4.0]) * [1.0, 2.0] + 1.0)
        with pytest.raises(ValueError, match="'mul(:0)?' has been marked as not fetchable"):
            sess.run("mul:0", {x: [3.0, 4.0]})


def test_special_results_none_ops_single_value_and_nesting():
    none = compile_(lambda: None)
    assert isinstance(none, tf.Operation) and none.name == "output_0"
    assert [c.name for c in none.control_inputs] == ["NoOp"]
    ops_only = compile_(lambda: [tf.no_op(name="a")])
    assert ops_only.name == "output_0_1" and [c.name for c in ops_only.control_inputs] == \
        ["a", "NoOp_1"]
    single = compile_(lambda: 3)
    assert _shape(single) == ("list", [("tensor", "output_0_2:0", "int32", [])])
    nested = compile_(lambda a, b: {"s": a + b[0], "t": (b[1], a)}, [1.0, (2.0, 3.0)])
    assert _shape(nested) == {"s": ("tensor", "output_0_3:0", "float32", []),
                              "t": ("tuple", [("tensor", "output_1:0", "float32", []),
                                              ("tensor", "output_2:0", "float32", [])])}
    by_key = compile_(lambda d: d["a"] * d["b"], [{"b": 5.0, "a": 2.0}])  # keys sorted
    graph = tf.get_default_graph()
    assert graph.get_operation_by_name("cluster_4/pivot").type == "NoOp"
    flat_inputs = [graph.get_tensor_by_name(f"input_{i}_1:0").op.inputs[0] for i in (0, 1)]
    with tf.Session() as sess:
        assert sess.run(flat_inputs) == [2.0, 5.0]
        assert sess.run([none, ops_only]) == [None, None]
        assert sess.run(single) == [3]
        assert sess.run(nested) == {"s": 3.0, "t": (3.0, 1.0)}
        assert sess.run(by_key) == [10.0]


def test_names_follow_the_name_scope_and_clusters_are_numbered():
    with tf.name_scope("s"):
        out = compile_(lambda a: a + 1, [tf.constant(1.0)])
    second = compile_(lambda: tf.constant(2.0))
    graph = tf.get_default_graph()
    assert out[0].name == "s/output_0:0" and second[0].name == "output_0:0"
    assert graph.get_operation_by_name("s/s/cluster/pivot").type == "NoOp"
    assert _xla_id(graph.get_operation_by_name("s/input_0")) == b"s/cluster"
    assert _xla_id(second[0].op.inputs[0].op.inputs[0].op) == b"cluster"


def test_control_dependencies_from_outside_come_in_through_identities():
    a = tf.constant(1.0, name="a")
    n = tf.no_op(name="n")
    with tf.control_dependencies([a, n]):
        out = compile_(lambda: tf.constant(2.0, name="k") + 1)
    rows = {r[0]: r for r in _rows(tf.get_default_graph())}
    assert rows["cluster/pivot"][3] == ["a", "n"]
    assert rows["k"][3] == ["cluster/pivot", "Identity"]  # n has no output: dropped, as TF
    assert rows["Identity"][1:] == ("Identity", ["a:0"], [], b"cluster")
    assert rows["add/y"][3] == ["cluster/pivot", "add/Identity"]
    assert rows["add"][3] == [] and rows["NoOp"][3] == ["cluster/pivot", "NoOp/Identity"]
    with tf.Session() as sess:
        assert sess.run(out) == [3.0]


def test_bad_inputs_and_results():
    with pytest.raises(TypeError, match="^inputs must be a list$"):
        compile_(lambda a: a, 1.0)
    with pytest.raises(TypeError, match="^inputs must be a list$"):
        compile_(lambda a: a, {"a": 1.0})
    with pytest.raises(ValueError, match="zero or more Tensor values followed by zero or more"):
        compile_(lambda: [tf.no_op(), tf.constant(1.0)])
    with pytest.raises(ValueError, match='non-flat output structure.*Operation found: "NoOp_2"'):
        compile_(lambda: [tf.no_op(), [tf.constant(1.0)]])
    with pytest.raises(ValueError, match="return values must all either be Operations or "
                       "convertible to Tensors. Got error: "):
        compile_(lambda: [object()])
    with pytest.raises(ValueError, match="cannot be nested, \\(operator name: Const"):
        compile_(lambda: compile_(lambda: tf.constant(1.0)))


def test_reference_variables_made_outside_may_be_read_not_updated():
    v = tf.Variable(1.0, name="v")
    read = compile_(lambda: v * 2)
    with pytest.raises(NotImplementedError, match=r"^Non-resource Variables are not supported "
                       r"inside XLA computations \(operator name: AssignAdd\)$"):
        compile_(lambda: tf.assign_add(v, 1.0))
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(read) == [2.0]


def test_variables_made_inside_train_and_use_resource_is_on_while_building():
    seen = []

    def step(x):
        seen.append(tf.get_variable_scope().use_resource)
        w = tf.get_variable("w", initializer=1.0)
        loss = (w * x - 2.0) ** 2
        return loss, tf.train.GradientDescentOptimizer(0.1).minimize(loss)

    loss = compile_(step, [3.0])
    assert seen == [True] and tf.get_variable_scope().use_resource is None

    def bump():  # w was made by a compile: TF made it a resource variable, updatable
        with tf.variable_scope("", reuse=True):
            return tf.assign_add(tf.get_variable("w"), 1.0)

    bumped = compile_(bump)
    with pytest.raises(ZeroDivisionError):  # restored when the computation raises too
        compile_(lambda: 1 / 0)
    assert tf.get_variable_scope().use_resource is None
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(loss) == [1.0]  # (1*3-2)^2, then w -= 0.1 * 2*(3-2)*3
        np.testing.assert_allclose(sess.run("w:0"), 0.4, rtol=1e-6)
        np.testing.assert_allclose(sess.run(bumped), [1.4], rtol=1e-6)


def test_cond_and_while_inside_and_around_the_cluster():
    y = tf.constant(2.0)
    in_cond = compile_(lambda a: tf.cond(a > 1, lambda: a * y, lambda: a - y), [1.5])
    in_loop = compile_(lambda a: tf.while_loop(lambda i, s: i < 3,
                                               lambda i, s: (i + 1, s * a), [0, a]), [2.0])
    p = tf.placeholder_with_default(True, [])
    around_cond = tf.cond(p, lambda: compile_(lambda a: a * y, [5.0])[0], lambda: y)
    around_loop = tf.while_loop(lambda i, s: i < 3,
                                lambda i, s: (i + 1, compile_(lambda a: a * y, [s])[0]), [0, 1.0])
    with tf.Session() as sess:
        assert sess.run(in_cond) == [3.0] and sess.run(in_loop) == [3, 16.0]
        assert sess.run(around_cond) == 10.0 and sess.run(around_loop) == (3, 8.0)
        assert sess.run(around_cond, {p: False}) == 2.0


def test_gradients_inside_and_refused_outside():
    x = tf.constant(3.0)
    (dx,) = compile_(lambda a: tf.gradients(a * a, a), [x])
    (y,) = compile_(lambda a: a * a, [x])
    with pytest.raises(RuntimeError, match="Gradient computation of graph in xla.compile\\(\\) "
                       "is prohibited"):
        tf.gradients(y, x)
    with tf.Session() as sess:
        assert sess.run(dx) == 6.0


def test_xla_cluster_output_op_forwards_its_input():
    x = tf.constant([[1, 2]], dtype=tf.int64)
    y = XLA_CLUSTER_OUTPUT(x, name="out")
    assert y.op.type == "XlaClusterOutput" and y.dtype == tf.int64 and y.shape.as_list() == [1, 2]
    assert y.op.get_attr("T") == tf.int64
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), [[1, 2]])
    with pytest.raises(RuntimeError, match="Please move gradient computation inside"):
        f = tf.constant(1.0)
        tf.gradients(XLA_CLUSTER_OUTPUT(f), f)


def test_placeholder_and_print_are_reported(caplog):
    with caplog.at_level(logging.WARNING):
        compile_(lambda: tf.Print(tf.placeholder(tf.float32, [], name="p"), [1.0]))
    text = caplog.text
    assert "Operation of type Placeholder (p) is not supported in XLA" in text
    assert "1 unsupported operations found: \n  Print (Print)" in text


def test_jit_scope_and_argument_counts():
    assert xla.experimental.jit_scope is compiler.jit.experimental_jit_scope
    assert xla.__all__ == ["experimental"]
    count = xla.check_function_argument_count
    assert count(lambda a, b: 0, 2, None) is None
    assert count(lambda a, b: 0, 1, None) == "exactly 2 arguments"
    assert count(lambda a, b=1: 0, 0, None) == "at least 1 argument"
    assert count(lambda a, b=1: 0, 3, None) == "at most 2 arguments"
    assert count(lambda a, *r: 0, 5, None) is None

    class Queue:
        number_of_tuple_elements = 2

    assert count(lambda a, b, c: 0, 1, Queue()) is None


# -- tf.contrib.compiler.xla ----------------------------------------------------------------------
def test_contrib_xla_namespace():
    assert compiler.xla.compile is compile_
    assert compiler.xla.check_function_argument_count is xla.check_function_argument_count
    assert tf.contrib.compiler.xla is compiler.xla


def _model_fn(features, labels, mode, params):
    w = tf.get_variable("w", initializer=2.0)
    loss = tf.reduce_mean((w * features - labels) ** 2)
    if mode == tf.estimator.ModeKeys.TRAIN:
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, train_op=tf.train.GradientDescentOptimizer(0.1).minimize(loss))
    return tf.contrib.tpu.TPUEstimatorSpec(
        mode, loss=loss, eval_metrics=(lambda pred: {"m": tf.metrics.mean(pred)},
                                       {"pred": w * features}))


def test_estimator_model_fn_builds_train_and_eval_in_a_cluster():
    model_fn = compiler.xla.estimator_model_fn(_model_fn)
    assert model_fn.__wrapped__ is _model_fn
    features, labels = tf.constant([1.0, 2.0]), tf.constant([1.0, 1.0])
    train = model_fn(features, labels, tf.estimator.ModeKeys.TRAIN, {})
    assert train.loss.name == "output_0:0" and train.train_op.op.inputs[0] is train.loss
    with tf.variable_scope("", reuse=True):
        ev = model_fn(features, labels, tf.estimator.ModeKeys.EVAL, {})
    assert ev.loss.name == "output_0_1:0" and set(ev.eval_metric_ops) == {"m"}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(train.train_op) == 5.0  # ((2-1)^2 + (4-1)^2) / 2, then a step
        w = 2.0 - 0.1 * (2 * (1.0 * 1.0) + 2 * (3.0 * 2.0)) / 2
        sess.run(tf.local_variables_initializer())
        np.testing.assert_allclose(sess.run([ev.loss, ev.eval_metric_ops["m"][1]]),
                                   [((w - 1) ** 2 + (2 * w - 1) ** 2) / 2, 1.5 * w], rtol=1e-6)
    with pytest.raises(NotImplementedError, match="infer is not implemented, only TRAIN"):
        model_fn(features, None, tf.estimator.ModeKeys.PREDICT, {})


def test_estimator_model_fn_refuses_eval_metric_ops_and_unmatched_metric_tensors():
    def metric_ops(features, labels, mode, params):
        loss = tf.reduce_sum(features)
        return tf.estimator.EstimatorSpec(mode, loss=loss,
                                          eval_metric_ops={"m": tf.metrics.mean(loss)})

    def extra(features, labels, mode, params):
        return tf.contrib.tpu.TPUEstimatorSpec(
            mode, loss=tf.reduce_sum(features),
            eval_metrics=(lambda a: {}, {"a": features, "b": features}))

    with pytest.raises(ValueError, match="eval_metric_ops is not supported with XLA"):
        compiler.xla.estimator_model_fn(metric_ops)(tf.ones([2]), None, "eval", {})
    with pytest.raises(ValueError, match=r"Arguments \['b'\] are provided by evaluation"):
        compiler.xla.estimator_model_fn()(extra)(tf.ones([2]), None, "eval", {})


def test_estimator_runs_a_decorated_model_fn_as_tf_1_15(tmp_path):
    def input_fn():
        return tf.data.Dataset.from_tensors(([1.0, 2.0], [1.0, 1.0])).repeat(3)

    def counting(features, labels, mode, params):
        loss = tf.reduce_mean((tf.get_variable("w", initializer=2.0) * features - labels) ** 2)
        step = tf.train.get_global_step()  # made by the Estimator, outside the cluster
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    # TF 1.15's global step is a reference variable: the optimizer's AssignAdd (named after
    # the optimizer) is refused.
    with pytest.raises(NotImplementedError,
                       match=r"Non-resource Variables.*\(operator name: GradientDescent\)"):
        tf.estimator.Estimator(compiler.xla.estimator_model_fn(counting),
                               str(tmp_path / "a")).train(input_fn)
    est = tf.estimator.Estimator(compiler.xla.estimator_model_fn(_model_fn), str(tmp_path / "b"),
                                 params={})
    est.train(input_fn)  # 3 steps, but the global step stays 0: only step 0 is saved
    got = est.evaluate(input_fn, steps=1)
    assert (got["loss"], got["m"], got["global_step"]) == (5.0, 3.0, 0)


# -- side by side with TensorFlow -----------------------------------------------------------------
def _both(build):
    """``build(lib, compile)`` in a TF graph and a minitf graph: per side the result's
    structure, the graph's rows and the values run (or the error raised)."""
    tf1 = tf1_or_skip()
    sides = []
    for lib, xc in ((tf1, tf1.xla.experimental.compile), (tf, compile_)):
        graph = lib.Graph()
        with graph.as_default():
            try:
                result = build(lib, xc)
            except Exception as e:  # noqa: BLE001 - the errors are compared
                sides.append(("error", type(e).__name__, str(e)))
                continue
            with lib.Session(graph=graph) as sess:
                sess.run(lib.global_variables_initializer())
                values = sess.run(result)
            sides.append((_shape(result), _rows(graph), values))
    return sides


def _ref_var(lib):
    return lib.Variable(1.0, name="v", use_resource=False)


CASES = {
    "flat": lambda lib, xc: xc(lambda a, b: (a * b + 1.0, lib.no_op(name="done")),
                               [lib.constant([1.0, 2.0], name="c"), [3.0, 4.0]]),
    "none": lambda lib, xc: xc(lambda: None),
    "ops": lambda lib, xc: xc(lambda: lib.no_op(name="a")),
    "single": lambda lib, xc: xc(lambda: lib.constant(1.0)),
    "python": lambda lib, xc: xc(lambda: [1.0, 2]),
    "nested": lambda lib, xc: xc(lambda a, b: {"s": a + b[0], "t": (b[1], a)},
                                 [1.0, (2.0, 3.0)]),
    "dict_input": lambda lib, xc: xc(lambda d: d["a"] * 2, [{"a": 1.0, "b": 5}]),
    "read_ref": lambda lib, xc: xc(lambda v: v * 2, [_ref_var(lib).value()]),
    "scoped": lambda lib, xc: _scoped(lib, xc),
    "control": lambda lib, xc: _control(lib, xc),
    "bad_inputs": lambda lib, xc: xc(lambda a: a, 1.0),
    "op_first": lambda lib, xc: xc(lambda: [lib.no_op(), lib.constant(1.0)]),
    "op_nested": lambda lib, xc: xc(lambda: [lib.no_op(), [lib.constant(1.0)]]),
    "nested_compile": lambda lib, xc: xc(lambda: xc(lambda: lib.constant(1.0))),
    "update_ref": lambda lib, xc: _update(lib, xc),
}


def _scoped(lib, xc):
    with lib.name_scope("s"):
        out = xc(lambda a: a + 1, [lib.constant(1.0)])
    lib.no_op(name="cluster")
    return out


def _control(lib, xc):
    with lib.control_dependencies([lib.constant(1.0, name="a"), lib.no_op(name="n")]):
        return xc(lambda: lib.constant(2.0, name="k") + 1)


def _update(lib, xc):
    v = _ref_var(lib)
    return xc(lambda: lib.assign_add(v, 1.0))


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_cluster_results_and_errors_as_tensorflow(case):
    theirs, mine = _both(CASES[case])
    if theirs[0] == "error":
        assert mine == theirs
        return
    assert mine[0] == theirs[0]  # names, dtypes, shapes, nesting
    assert mine[1] == theirs[1]  # every op: name, type, inputs, control inputs, cluster
    assert _values(mine[2]) == _values(theirs[2])


def _values(v):
    if isinstance(v, dict):
        return {k: _values(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v).__name__, [_values(x) for x in v]
    return v if v is None else (np.asarray(v).dtype.name, np.asarray(v).tolist())


def test_graph_defs_run_in_the_other_framework():
    def build(lib):
        x = lib.constant([1.0, 2.0], name="x")
        xc = compile_ if lib is tf else lib.xla.experimental.compile
        xc(lambda a: {"y": a * 3.0, "z": a + 1.0}, [x])

    for got in run_both_ways(build, ["output_0:0", "output_1:0"]):
        np.testing.assert_allclose(got[0], [3.0, 6.0])
        np.testing.assert_allclose(got[1], [2.0, 3.0])
