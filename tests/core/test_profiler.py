"""tf.profiler (tfprof): parameter and float-op counts, the scope/op views, the report text,
and the scope view's run-time statistics read from a RunMetadata (time_and_memory()).

TF-free tests check counts computed by hand from the graphs' shapes (MatMul 2*m*k*n, Conv2D
2*out*kh*kw*cin, pooling kh*kw per output, BiasAdd one per element, ...), how the options shape
the tree, the report's layout, run-time columns computed by hand from a RunMetadata's step
stats, and what minitf refuses (the op view's run-time columns, timelines, the code and graph
views). Side-by-side tests build the same graphs in tf.compat.v1 (each in
its own tf1.Graph, ref variables chosen per scope) and compare the returned protos and the
printed reports character for character.
"""

import numpy as np
import pytest

import minitf as tf
from minitf.errors import InvalidArgumentError, UnimplementedError

P = tf.profiler.ProfileOptionBuilder
QUIET_PARAMS = P(P.trainable_variables_parameter()).with_empty_output().build()
QUIET_FLOPS = P(P.float_operation()).with_empty_output().build()


def mlp(lib, **kw):
    x = lib.placeholder(lib.float32, [8, 4], name="x")
    with lib.variable_scope("layer1", **kw):
        w = lib.get_variable("w", [4, 5])
        b = lib.get_variable("b", [5])
        h = lib.nn.relu(lib.matmul(x, w) + b)
    with lib.variable_scope("layer2", **kw):
        w2 = lib.get_variable("w", [5, 3])
        b2 = lib.get_variable("b", [3])
        y = lib.nn.bias_add(lib.matmul(h, w2), b2)
    return lib.reduce_mean(lib.square(y))


def cnn(lib, **kw):
    x = lib.placeholder(lib.float32, [2, 16, 16, 3], name="img")
    with lib.variable_scope("conv1", **kw):
        k = lib.get_variable("k", [3, 3, 3, 8])
        b = lib.get_variable("b", [8])
        c = lib.nn.relu(lib.nn.bias_add(lib.nn.conv2d(x, k, [1, 1, 1, 1], "SAME"), b))
        p = lib.nn.max_pool(c, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    with lib.variable_scope("conv2", **kw):
        k2 = lib.get_variable("k", [3, 3, 8, 4])
        c2 = lib.nn.conv2d(p, k2, [1, 2, 2, 1], "SAME")
        a = lib.nn.avg_pool(c2, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    with lib.variable_scope("fc", **kw):
        f = lib.reshape(a, [2, -1])
        w = lib.get_variable("w", [16, 10])
        logits = lib.matmul(f, w)
    return lib.reduce_sum(lib.nn.softmax(logits))


def adam(lib, **kw):
    x = lib.placeholder(lib.float32, [8, 4], name="x")
    with lib.variable_scope("dense", **kw):
        w = lib.get_variable("w", [4, 3])
        y = lib.matmul(x, w)
    loss = lib.reduce_sum(y)
    lib.train.AdamOptimizer(0.1).minimize(loss)
    return loss


def nested(lib, **kw):
    with lib.variable_scope("outer", **kw):
        with lib.variable_scope("inner"):
            a = lib.get_variable("a", [3, 4, 5])
            s = lib.get_variable("s", [])
        with lib.variable_scope("other"):
            lib.get_variable("c", [7], trainable=False)
            d = lib.get_variable("d", [2, 2])
    x = lib.placeholder(lib.float32, [None, 4], name="unk")
    lib.matmul(x, lib.ones([4, 2]))  # unknown batch: no flops stats
    lib.add_n([lib.ones([3]), lib.ones([3]), lib.ones([3])])
    return lib.reduce_sum(a) * s + lib.reduce_sum(d)


def _profile(build, cmd="scope", options=QUIET_PARAMS):
    g = tf.Graph()
    with g.as_default():
        build(tf)
        return tf.profiler.profile(g, cmd=cmd, options=options)


def _nodes(proto):
    """name -> node over a scope-view GraphNodeProto tree."""
    out = {proto.name: proto}
    for c in proto.children:
        out.update(_nodes(c))
    return out


# --- parameters --------------------------------------------------------------------------------


def test_trainable_parameters_by_scope():
    root = _profile(mlp)
    assert root.name == "_TFProfRoot"
    assert root.total_parameters == 4 * 5 + 5 + 5 * 3 + 3
    assert [c.name for c in root.children] == ["layer1", "layer2"]
    nodes = _nodes(root)
    assert nodes["layer1"].total_parameters == 25 and nodes["layer1"].parameters == 0
    assert nodes["layer1/w"].parameters == nodes["layer1/w"].total_parameters == 20
    assert nodes["layer2/b"].parameters == 3
    assert nodes["layer1/w"].total_definition_count == 1
    assert nodes["layer1"].total_definition_count == 3  # itself and its two variables
    assert root.total_definition_count == 7
    assert "x" not in nodes  # a placeholder is not a trainable variable


def test_nested_scopes_count_only_trainable_variables():
    nodes = _nodes(_profile(nested))
    assert nodes["outer/inner/a"].parameters == 60
    assert nodes["outer/inner/s"].parameters == 1  # a scalar counts one
    assert "outer/other/c" not in nodes  # not trainable
    assert nodes["outer/other"].total_parameters == 4
    assert nodes["outer"].total_parameters == 65
    assert [c.name for c in nodes["outer"].children] == ["outer/inner", "outer/other"]


def test_every_shape_attr_counts_when_all_types_are_accounted():
    opts = P(QUIET_PARAMS).with_accounted_types([".*"]).build()
    nodes = _nodes(_profile(mlp, options=opts))
    assert nodes["x"].parameters == 32  # Placeholder's shape attr, as in TF
    assert nodes["_TFProfRoot"].total_parameters == 43 + 32


def test_min_params_and_order_by_params():
    opts = P(QUIET_PARAMS).with_min_parameters(10).order_by("params").build()
    root = _profile(mlp, options=opts)
    # Scopes (0 own params) and small biases are hidden; the weights move up to the root.
    assert [(c.name, c.parameters) for c in root.children] == [("layer1/w", 20),
                                                               ("layer2/w", 15)]
    assert root.total_parameters == 35  # only what is displayed is accounted


def test_account_displayed_op_only_false_keeps_hidden_nodes_in_totals():
    opts = P(QUIET_PARAMS).with_node_names(hide_name_regexes=[".*/w"]) \
        .account_displayed_op_only(False).build()
    root = _profile(mlp, options=opts)
    assert root.total_parameters == 43
    assert {n for n in _nodes(root)} == {"_TFProfRoot", "layer1", "layer1/b", "layer2",
                                         "layer2/b"}
    shown = P(opts).account_displayed_op_only(True).build()
    assert _profile(mlp, options=shown).total_parameters == 8


def test_max_depth_start_trim_and_show_regexes():
    # The root is at depth 1, top-level scopes at 2, their variables at 3.
    assert not _profile(mlp, options=P(QUIET_PARAMS).with_max_depth(1).build()).children
    two = _profile(mlp, options=P(QUIET_PARAMS).with_max_depth(2).build())
    assert [c.name for c in two.children] == ["layer1", "layer2"]
    assert not two.children[0].children and two.total_parameters == 0  # nothing below shown
    start = _profile(nested, options=P(QUIET_PARAMS).with_node_names(
        start_name_regexes=["outer/inner"]).build())
    assert [c.name for c in start.children] == ["outer/inner"] and start.total_parameters == 61
    trim = _profile(mlp, options=P(QUIET_PARAMS).with_node_names(
        trim_name_regexes=["layer1"]).build())
    assert not _nodes(trim)["layer1"].children
    show = _profile(mlp, options=P(QUIET_PARAMS).with_node_names(
        show_name_regexes=[".*/w"]).build())
    assert [c.name for c in show.children] == ["layer1/w", "layer2/w"]


# --- float operations ---------------------------------------------------------------------------


def test_mlp_float_ops_by_scope():
    nodes = _nodes(_profile(mlp, options=QUIET_FLOPS))
    assert nodes["layer1/MatMul"].float_ops == 2 * 8 * 4 * 5
    assert nodes["layer2/MatMul"].float_ops == 2 * 8 * 5 * 3
    assert nodes["layer1/add"].float_ops == 8 * 5
    assert nodes["layer2/BiasAdd"].float_ops == 8 * 3
    assert nodes["Square"].float_ops == 24 and nodes["Mean"].float_ops == 24
    init = nodes["layer1/w/Initializer/random_uniform"]  # AddV2 20, its mul 20 and sub 1
    assert (init.float_ops, init.total_float_ops) == (20, 41)
    assert "layer1" not in nodes  # own float_ops 0 < min_float_ops 1
    assert nodes["_TFProfRoot"].total_float_ops == 320 + 240 + 40 + 24 * 3 + 41 + 31 + 11 + 7
    input_shapes = nodes["layer1/MatMul"].input_shapes
    assert [d.size for d in input_shapes[0].dim] == [8, 4]
    assert [d.size for d in input_shapes[1].dim] == [4, 5]
    # Ordered by total float ops, largest first.
    totals = [c.total_float_ops for c in nodes["_TFProfRoot"].children]
    assert totals == sorted(totals, reverse=True)


def test_cnn_float_ops():
    nodes = _nodes(_profile(cnn, options=QUIET_FLOPS))
    assert nodes["conv1/Conv2D"].float_ops == 2 * (2 * 16 * 16 * 8) * 3 * 3 * 3
    assert nodes["conv1/BiasAdd"].float_ops == 2 * 16 * 16 * 8
    assert nodes["conv1/MaxPool"].float_ops == 2 * 2 * (2 * 8 * 8 * 8)
    assert nodes["conv2/Conv2D"].float_ops == 2 * (2 * 4 * 4 * 4) * 3 * 3 * 8
    assert nodes["conv2/AvgPool"].float_ops == 2 * 2 * (2 * 2 * 2 * 4)
    assert nodes["fc/MatMul"].float_ops == 2 * 2 * 16 * 10
    assert nodes["Softmax"].float_ops == 5 * 2 * 10
    assert nodes["Sum"].float_ops == 2 * 10 - 1  # n - outputs: reduce to a scalar


def test_float_op_rules_and_incomplete_shapes(capsys):
    g = tf.Graph()
    with g.as_default():
        a = tf.ones([6, 4])
        tf.nn.l2_loss(a, name="l2")
        tf.add_n([a, a, a], name="addn")
        tf.matmul(a, tf.ones([6, 2]), transpose_a=True, name="mm_t")
        tf.squared_difference(a, a, name="sqd")
        tf.math.rsqrt(a, name="rsqrt")
        x = tf.placeholder(tf.float32, [None, 4])
        tf.matmul(x, tf.ones([4, 2]), name="unknown_batch")
        tf.nn.conv2d(tf.ones([1, 4, 4, 2]), tf.ones([2, 2, 2, 3]), [1, 1, 1, 1], "VALID",
                     data_format="NHWC", name="conv")
        nodes = _nodes(tf.profiler.profile(g, options=P(QUIET_FLOPS).with_min_float_operations(
            0).build()))
    assert nodes["l2"].float_ops == 3 * 24 - 1
    assert nodes["addn"].float_ops == 24 * 2
    assert nodes["mm_t"].float_ops == 2 * 6 * (4 * 2)  # k = a.shape[0] when transposed
    assert nodes["sqd"].float_ops == 2 * 24 and nodes["rsqrt"].float_ops == 2 * 24
    assert nodes["conv"].float_ops == 2 * (3 * 3 * 3) * 2 * 2 * 2
    assert nodes["unknown_batch"].float_ops == 0
    assert "1 ops no flops stats due to incomplete shapes.\n" in capsys.readouterr().err


def test_op_view_accumulates_by_type():
    root = _profile(mlp, cmd="op", options=QUIET_FLOPS)
    assert isinstance(root, tf.profiler.MultiGraphNodeProto)
    chain, node = [], root
    while node.children:
        node = node.children[0]
        chain.append((node.name, node.float_ops, node.total_float_ops))
    assert chain[0] == ("MatMul", 560, 762)  # MatMul first: 320 + 240 of 762
    assert [name for name, _, _ in chain] == ["MatMul", "AddV2", "Mul", "BiasAdd", "Mean",
                                              "Square", "Sub"]
    for (_, own, total), (_, _, next_total) in zip(chain, chain[1:] + [("", 0, 0)]):
        assert total == own + next_total
    matmul = root.children[0]
    assert [n.name for n in matmul.graph_nodes] == ["layer1/MatMul", "layer2/MatMul"]
    assert root.total_float_ops == 762


def test_op_view_parameters():
    root = _profile(mlp, cmd="op", options=P(QUIET_PARAMS).build())
    vars_ = root.children[0]
    assert vars_.name == "VariableV2" and vars_.parameters == 43
    assert not vars_.children  # the other types hold no trainable variable


def test_optimizer_update_ops():
    nodes = _nodes(_profile(adam, options=P(QUIET_FLOPS).with_min_float_operations(0)
                            .with_accounted_types(["MatMul", "Sum", "ApplyAdam"]).build()))
    assert nodes["gradients/dense/MatMul_grad/MatMul_1"].float_ops == 2 * 8 * 4 * 3
    assert nodes["Adam/update_dense/w/ApplyAdam"].float_ops == 0  # no rule in TF either
    assert nodes["Sum"].float_ops == 24 - 1


def cnn_train(lib, **kw):
    lib.train.GradientDescentOptimizer(0.1).minimize(cnn(lib, **kw))


BACKPROP_TYPES = ["Conv2D.*", "MaxPoolGrad", "AvgPoolGrad", "BiasAddGrad", "MatMul"]


def test_backprop_float_ops():
    root = _profile(cnn_train, cmd="op", options=P(QUIET_FLOPS)
                    .with_accounted_types(BACKPROP_TYPES).build())
    by_type, node = {}, root
    while node.children:
        node = node.children[0]
        by_type[node.name] = {g.name: g.float_ops for g in node.graph_nodes}
    conv2 = 2 * (2 * 4 * 4 * 4) * 3 * 3 * 8  # forward: 2 * outputs * kh * kw * cin
    # Backprop: 2 * image * kernel / (cin * stride_h * stride_w), the forward count again.
    assert by_type["Conv2DBackpropFilter"]["gradients/conv2/Conv2D_grad/Conv2DBackpropFilter"] \
        == 2 * (2 * 8 * 8 * 8) * (3 * 3 * 8 * 4) // (8 * 2 * 2) == conv2
    assert by_type["Conv2DBackpropInput"]["gradients/conv2/Conv2D_grad/Conv2DBackpropInput"] \
        == conv2
    pooled = 2 * 8 * 8 * 8  # MaxPool's output: kernel area per element, plus one each
    assert by_type["MaxPoolGrad"]["gradients/conv1/MaxPool_grad/MaxPoolGrad"] == 4 * pooled \
        + pooled
    assert by_type["AvgPoolGrad"]["gradients/conv2/AvgPool_grad/AvgPoolGrad"] \
        == 4 * (2 * 2 * 2 * 4) * 2
    assert by_type["BiasAddGrad"]["gradients/conv1/BiasAdd_grad/BiasAddGrad"] \
        == 2 * 16 * 16 * 8 - 8


# --- the report ---------------------------------------------------------------------------------


PARAMS_REPORT = """
=========================Options=============================
-max_depth                  10000
-min_bytes                  0
-min_peak_bytes             0
-min_residual_bytes         0
-min_output_bytes           0
-min_micros                 0
-min_accelerator_micros     0
-min_cpu_micros             0
-min_params                 0
-min_float_ops              0
-min_occurrence             0
-step                       -1
-order_by                   name
-account_type_regexes       _trainable_variables
-start_name_regexes         .*
-trim_name_regexes          
-show_name_regexes          .*
-hide_name_regexes          
-account_displayed_op_only  true
-select                     params
-output                     stdout:

==================Model Analysis Report======================

Doc:
scope: The nodes in the model graph are organized by their names, which is hierarchical like filesystem.
param: Number of parameters (in the Variable).

Profile:
node name | # parameters
_TFProfRoot (--/43 params)
  layer1 (--/25 params)
    layer1/b (5, 5/5 params)
    layer1/w (4x5, 20/20 params)
  layer2 (--/18 params)
    layer2/b (3, 3/3 params)
    layer2/w (5x3, 15/15 params)

======================End of Report==========================
"""  # noqa: E501, W291 - TF's long Doc line; tfprof prints empty lists with a trailing space


def test_stdout_report(capsys):
    g = tf.Graph()
    with g.as_default():
        mlp(tf)
        tf.profiler.profile()  # the default graph and trainable_variables_parameter()
    assert capsys.readouterr().out == PARAMS_REPORT


def test_op_report_and_humanised_numbers(capsys):
    _profile(cnn, cmd="op", options=P.float_operation())
    lines = capsys.readouterr().out.splitlines()
    body = lines[lines.index("node name | # float_ops") + 1:]
    assert body[0] == "Conv2D                   239.62k float_ops (100.00%, 95.83%)"
    assert body[1] == "BiasAdd                  4.10k float_ops (4.17%, 1.64%)"
    from minitf.profiler_model import format_number  # past a thousand, million, billion
    assert [format_number(n) for n in (999, 1000, 1234567, 2500000000)] == [
        "999", "1.00k", "1.23m", "2.50b"]


def test_file_and_empty_output(tmp_path, capsys):
    path = tmp_path / "report.txt"
    proto = _profile(mlp, options=P(P.trainable_variables_parameter())
                     .with_file_output(str(path)).build())
    assert capsys.readouterr().out == ""
    text = path.read_text()
    assert text.startswith("\nDoc:\nscope:") and "Options" not in text
    assert text == PARAMS_REPORT[PARAMS_REPORT.index("\nDoc:"):
                                 PARAMS_REPORT.index("\n======================End")]
    assert proto.total_parameters == 43
    _profile(mlp, options=QUIET_PARAMS)
    assert capsys.readouterr().out == ""


def test_select_occurrence_input_shapes_and_op_types(capsys):
    opts = P(P.float_operation()).select(["float_ops", "occurrence", "input_shapes",
                                          "op_types"]).build()
    _profile(mlp, options=opts)
    out = capsys.readouterr().out
    assert "node name | # float_ops | op types | op count (run|defined) | input shapes\n" in out
    assert "  layer1/MatMul (320/320 flops, MatMul, 0/0|1/1, 0:8x4|1:4x5)\n" in out
    assert "occurrence: The number of times it occurs\n" in out


# --- refusals and errors ------------------------------------------------------------------------


def test_refuses_what_is_not_built():
    g = tf.Graph()
    with g.as_default():
        mlp(tf)
        with pytest.raises(UnimplementedError, match="op view's select"):
            tf.profiler.profile(g, cmd="op", options=P.time_and_memory())
        with pytest.raises(UnimplementedError, match="timeline"):
            tf.profiler.profile(g, options=P(QUIET_PARAMS).with_timeline_output("t").build())
        with pytest.raises(UnimplementedError, match="step_stats"):
            tf.profiler.advise(g, run_meta=synthetic_run_meta(tf.RunMetadata))
        profiler = tf.profiler.Profiler(g)
        with pytest.raises(UnimplementedError, match="traceback"):
            profiler.profile_python(QUIET_PARAMS)
        with pytest.raises(UnimplementedError, match="graph view"):
            profiler.profile_graph(QUIET_PARAMS)
        with pytest.raises(UnimplementedError, match="code view"):
            tf.profiler.profile(g, cmd="code", options=QUIET_PARAMS)


def test_bad_cmd_and_output():
    g = tf.Graph()
    with g.as_default():
        mlp(tf)
        with pytest.raises(InvalidArgumentError, match="unknown cmd: nope"):
            tf.profiler.profile(g, cmd="nope")
        with pytest.raises(InvalidArgumentError, match="Unknown output type: printer"):
            tf.profiler.profile(g, options=P(QUIET_PARAMS).build() | {"output": "printer"})
        with pytest.raises(InvalidArgumentError, match="Missing required output_options"):
            tf.profiler.profile(g, options=P(QUIET_PARAMS).build() | {"output": "file"})


def test_profiler_methods_and_unknown_step(capsys):
    g = tf.Graph()
    with g.as_default():
        mlp(tf)
        profiler = tf.profiler.Profiler()
        assert profiler.profile_name_scope(QUIET_PARAMS).total_parameters == 43
        assert profiler.profile_operations(QUIET_FLOPS).total_float_ops == 762
        empty = profiler.profile_name_scope(P(QUIET_PARAMS).with_step(3).build())
        assert empty == tf.profiler.GraphNodeProto()
        assert "Options -step=3 not found." in capsys.readouterr().err
        from minitf.protos import tfprof_log_pb2
        profile = tfprof_log_pb2.ProfileProto.FromString(profiler.serialize_to_string())
        by_name = {n.name: n for n in profile.nodes.values()}
        assert list(by_name["layer1/w"].shape) == [4, 5]
        assert "_trainable_variables" in by_name["layer1/w"].op_types
        assert by_name["layer1/MatMul"].float_ops == 320
        assert by_name["layer1/MatMul"].inputs[0] == by_name["x"].id


def test_advise_and_write_op_log(tmp_path, capsys):
    g = tf.Graph()
    with g.as_default():
        mlp(tf)
        tf.identity(tf.ones([2]), name="BatchNorm/out")
        advice = tf.profiler.advise(g)
        assert set(advice.checkers) == {"ExpensiveOperationChecker", "OperationChecker",
                                        "AcceleratorUtilizationChecker"}
        assert list(advice.checkers["OperationChecker"].reports) == [
            "Maybe use faster FusedBatchNorm instead of BatchNorm"]
        assert "\nOperationChecker:\nMaybe use faster" in capsys.readouterr().out
        log = tf.profiler.OpLogProto()
        log.log_entries.add(name="x", types=["input"])
        tf.profiler.write_op_log(g, str(tmp_path), op_log=log)
    written = tf.profiler.OpLogProto.FromString((tmp_path / "tfprof_log").read_bytes())
    entries = {e.name: e for e in written.log_entries}
    assert list(entries["x"].types) == ["input"]
    assert entries["layer1/MatMul"].float_ops == 320
    assert list(entries["layer1/w"].types) == ["_trainable_variables"]
    # The user's types select nodes in a profile.
    root = tf.profiler.profile(g, op_log=log, options=P(QUIET_PARAMS)
                               .with_accounted_types(["input"]).build())
    assert root.total_parameters == 32


def test_option_builder():
    opts = (P().with_max_depth(3).with_min_parameters(2).with_min_float_operations(4)
            .with_min_occurrence(1).with_accounted_types(["a"]).order_by("params")
            .select(["params"]).with_step(2).with_min_memory(1, 2, 3, 4)
            .with_min_execution_time(5, 6, 7).with_node_names(["s"], ["sh"], ["h"], ["t"])
            .account_displayed_op_only(True).with_pprof_output("p").build())
    assert opts["max_depth"] == 3 and opts["min_params"] == 2 and opts["min_float_ops"] == 4
    assert opts["min_peak_bytes"] == 2 and opts["min_cpu_micros"] == 7
    assert (opts["start_name_regexes"], opts["show_name_regexes"], opts["hide_name_regexes"],
            opts["trim_name_regexes"]) == (["s"], ["sh"], ["h"], ["t"])
    assert opts["output"] == "pprof:outfile=p" and opts["step"] == 2
    assert P().with_file_output("f").build()["output"] == "file:outfile=f"
    assert P().with_stdout_output().build()["output"] == "stdout"
    base = P.float_operation()
    built = P(base).with_max_depth(1).build()
    assert base["max_depth"] == 10000 and built["max_depth"] == 1  # copies


# --- side by side with TensorFlow --------------------------------------------------------------


def _tf1():
    return pytest.importorskip("tensorflow.compat.v1")


def _tf_profile(tf1, build, cmd, options, capfd):
    g = tf1.Graph()
    with g.as_default():
        build(tf1, use_resource=False)  # ref variables, like minitf's
        capfd.readouterr()
        proto = tf1.profiler.profile(g, cmd=cmd, options=options)
        return str(proto), capfd.readouterr().out


def _mt_profile(build, cmd, options, capfd):
    g = tf.Graph()
    with g.as_default():
        build(tf)
        capfd.readouterr()
        proto = tf.profiler.profile(g, cmd=cmd, options=options)
        return str(proto), capfd.readouterr().out


def _variants(tf1):
    B = tf1.profiler.ProfileOptionBuilder
    params, flops = B.trainable_variables_parameter, B.float_operation
    return {
        "params": params(), "flops": flops(),
        "depth1": B(params()).with_max_depth(1).build(),
        "depth2": B(flops()).with_max_depth(2).build(),
        "min_params": B(params()).with_min_parameters(20).build(),
        "min_flops": B(flops()).with_min_float_operations(100).build(),
        "order_params": B(params()).order_by("params").build(),
        "order_occurrence": B(flops()).order_by("occurrence").build(),
        "account_all": B(params()).with_accounted_types([".*"]).build(),
        "account_some": B(flops()).with_accounted_types(["MatMul", "Conv.*"]).build(),
        "start": B(flops()).with_node_names(start_name_regexes=["conv.*", "outer/inner"])
        .build(),
        "trim": B(flops()).with_node_names(trim_name_regexes=["conv1.*", ".*Initializer.*"])
        .build(),
        "show": B(params()).with_node_names(show_name_regexes=[".*/w", ".*/k.*", "outer.*"])
        .build(),
        "hide": B(flops()).with_node_names(hide_name_regexes=[".*MatMul.*", ".*sub"]).build(),
        "all_accounted": B(flops()).account_displayed_op_only(False).build(),
        "select": B(flops()).select(["params", "float_ops", "occurrence", "input_shapes",
                                     "op_types", "device", "tensor_value"]).build(),
        "builder_defaults": B().select(["params"]).build(),
        "empty": {},
    }


# minitf's gradient graphs differ from TF's in helper ops (Sum's gradient broadcasts instead of
# reshape + tile, no tuple/control_dependency for one gradient): options that show or count
# every op of an optimizer graph are compared on the other graphs only.
_COUNTS_EVERY_OP = {"order_occurrence", "account_all", "all_accounted", "builder_defaults"}


@pytest.mark.parametrize("cmd", ["scope", "op"])
@pytest.mark.parametrize("build", [mlp, cnn, adam, nested], ids=lambda f: f.__name__)
def test_protos_and_reports_match_tensorflow(build, cmd, capfd):
    tf1 = _tf1()
    for name, options in _variants(tf1).items():
        if build is adam and name in _COUNTS_EVERY_OP:
            continue
        theirs = _tf_profile(tf1, build, cmd, options, capfd)
        ours = _mt_profile(build, cmd, options, capfd)
        assert ours[0] == theirs[0], f"{name}: protos differ"
        assert ours[1] == theirs[1], f"{name}: reports differ"


@pytest.mark.parametrize("cmd", ["scope", "op"])
def test_backprop_float_ops_match_tensorflow(cmd, capfd):
    tf1 = _tf1()
    B = tf1.profiler.ProfileOptionBuilder
    options = B(B.float_operation()).with_accounted_types(BACKPROP_TYPES).build()
    assert _mt_profile(cnn_train, cmd, options, capfd) == \
        _tf_profile(tf1, cnn_train, cmd, options, capfd)


def test_option_builder_dicts_match_tensorflow():
    tf1 = _tf1()
    B = tf1.profiler.ProfileOptionBuilder
    assert P.trainable_variables_parameter() == B.trainable_variables_parameter()
    assert P.float_operation() == B.float_operation()
    assert P.time_and_memory(3, 4, 5) == B.time_and_memory(3, 4, 5)
    assert P().build() == B().build()
    ours = P().with_min_memory(1, 2).with_min_execution_time(3).with_timeline_output("t") \
        .with_node_names(hide_name_regexes=["h"]).build()
    theirs = B().with_min_memory(1, 2).with_min_execution_time(3).with_timeline_output("t") \
        .with_node_names(hide_name_regexes=["h"]).build()
    assert ours == theirs


def test_protos_are_wire_compatible_with_tensorflow(tmp_path):
    tf1 = _tf1()
    from tensorflow.core.profiler import tfprof_log_pb2, tfprof_output_pb2
    ours = _profile(cnn, cmd="op", options=QUIET_FLOPS)
    theirs = tfprof_output_pb2.MultiGraphNodeProto.FromString(ours.SerializeToString())
    assert theirs.SerializeToString() == ours.SerializeToString()
    assert theirs.children[0].graph_nodes[0].input_shapes[0].dim[0].size == 2
    g = tf.Graph()
    with g.as_default():
        mlp(tf)
        tf.profiler.write_op_log(g, str(tmp_path))
    log = tfprof_log_pb2.OpLogProto.FromString((tmp_path / "tfprof_log").read_bytes())
    assert {e.name: e.float_ops for e in log.log_entries}["layer1/MatMul"] == 320
    assert tf1.profiler.OpLogProto is tfprof_log_pb2.OpLogProto


# --- run-time statistics (RunMetadata.step_stats) ----------------------------------------------

CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
# name: (all_start_micros, op_end_rel_micros, [(allocator total, live)], persistent, outputs)
STEP_STATS = {
    "layer1/MatMul": (1000, 40, [(160, 160)], 0, [160]),
    "layer1/add": (1050, 12, [(160, 0)], 0, [160]),
    "layer1/Relu": (1070, 0, [], 0, [160]),  # a forwarded buffer; quick: counts as 1us
    "layer2/MatMul": (1080, 1500, [(96, 96)], 0, [96]),
    "layer2/BiasAdd": (2600, 7, [(96, 96)], 0, [96]),
    "Const": (990, 0, [], 8, [8]),
    "_arg_x_0_0": (980, 2, [], 0, [128]),  # TF's own node: tfprof makes it one of its own
    "_SOURCE": (970, 1, [], 0, []),  # skipped by tfprof
}


def synthetic_run_meta(run_metadata_class, scale=1):
    """A RunMetadata with the step stats above (times multiplied by ``scale``)."""
    rm = run_metadata_class()
    dev = rm.step_stats.dev_stats.add(device=CPU)
    for name, (start, end, memory, persistent, outputs) in STEP_STATS.items():
        n = dev.node_stats.add(node_name=name, all_start_micros=start * scale,
                               op_end_rel_micros=end * scale, all_end_rel_micros=end * scale)
        for total, live in memory:
            n.memory.add(allocator_name="cpu", total_bytes=total, peak_bytes=total,
                         live_bytes=live)
        for k, nbytes in enumerate(outputs):
            out = n.output.add(slot=k)
            out.tensor_description.allocation_description.requested_bytes = nbytes
        n.memory_stats.persistent_memory_size = persistent
    return rm


def test_scope_view_of_step_stats_by_hand(tmp_path):
    out = tmp_path / "report"
    g = tf.Graph()
    with g.as_default():
        mlp(tf)
    proto = tf.profiler.profile(g, run_meta=synthetic_run_meta(tf.RunMetadata), cmd="scope",
                                options=P(P.time_and_memory()).with_file_output(str(out))
                                .build())
    text = out.read_text().split("Profile:\n")[1]
    # Ordered by total time; min_bytes=1 hides layer1/Relu (no memory) and _arg_x_0_0 (its
    # output is not an allocation); Const's 8 persistent bytes count as requested.
    assert text == (
        "node name | requested bytes | total execution time | accelerator execution time | "
        "cpu execution time\n"
        "_TFProfRoot (--/520B, --/1.56ms, --/0us, --/1.56ms)\n"
        "  layer2 (0B/192B, 0us/1.51ms, 0us/0us, 0us/1.51ms)\n"
        "    layer2/MatMul (96B/96B, 1.50ms/1.50ms, 0us/0us, 1.50ms/1.50ms)\n"
        "    layer2/BiasAdd (96B/96B, 7us/7us, 0us/0us, 7us/7us)\n"
        "  layer1 (0B/320B, 0us/52us, 0us/0us, 0us/52us)\n"
        "    layer1/MatMul (160B/160B, 40us/40us, 0us/0us, 40us/40us)\n"
        "    layer1/add (160B/160B, 12us/12us, 0us/0us, 12us/12us)\n"
        "  Const (8B/8B, 1us/1us, 0us/0us, 1us/1us)\n")
    matmul = proto.children[0].children[0]
    assert (matmul.name, matmul.exec_micros, matmul.cpu_exec_micros, matmul.requested_bytes,
            matmul.peak_bytes, matmul.residual_bytes, matmul.output_bytes, matmul.run_count) == (
        "layer2/MatMul", 1500, 1500, 96, 96, 96, 96, 1)
    assert list(matmul.devices) == [CPU.lower()]
    add = proto.children[1].children[1]
    assert (add.residual_bytes, add.output_bytes) == (0, 160)  # freed by the op: not residual


def test_profiler_steps_average_and_select(capsys):
    g = tf.Graph()
    with g.as_default():
        mlp(tf)
    profiler = tf.profiler.Profiler(g)
    profiler.add_step(0, synthetic_run_meta(tf.RunMetadata))
    profiler.add_step(3, synthetic_run_meta(tf.RunMetadata, scale=3))
    quiet = P(P.time_and_memory(min_micros=0, min_bytes=0)).with_empty_output()
    by_step = {}
    for step in (-1, 0, 3):
        proto = profiler.profile_name_scope(quiet.with_step(step).build())
        by_step[step] = proto.total_exec_micros
    # Step 0: 40 + 12 + 1 + 1500 + 7 + 1 + 2 (the 0us Relu and Const count 1us, _arg_x_0_0 is
    # a node of its own); step 3: three times that, but the quick ops still 1us; step -1: each
    # node's average over the two steps.
    assert by_step == {0: 1563, 3: 4685, -1: 80 + 24 + 1 + 3000 + 14 + 1 + 4}
    empty = profiler.profile_name_scope(quiet.with_step(5).build())
    assert empty == tf.profiler.GraphNodeProto()
    assert "Options -step=5 not found.\nAvailable steps: 0 3 \n" in capsys.readouterr().err
    profiler.add_step(1, tf.RunMetadata())  # no step stats: TF says so and adds nothing
    assert "Invalid RunMetadata for step 1" in capsys.readouterr().err


def test_profile_of_a_real_traced_run():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.nn.relu(tf.matmul(x, tf.constant(np.ones((3, 2), np.float32)), name="y"))
    rm = tf.RunMetadata()
    with tf.Session(graph=g) as sess:
        sess.run(y, {x: np.ones((4, 3), np.float32)}, run_metadata=rm,
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE))
    options = P(P.time_and_memory(min_micros=0, min_bytes=0)).with_empty_output().select(
        ["bytes", "output_bytes", "micros", "float_ops"]).build()
    proto = tf.profiler.profile(g, run_meta=rm, options=options)
    stats = {n.node_name: n for n in rm.step_stats.dev_stats[0].node_stats}
    shown = {c.name: c for c in proto.children}
    assert set(stats) == {"Const", "y", "Relu"} and set(shown) == set(stats) | {"x"}
    for name, stat in stats.items():
        node = shown[name]
        assert node.cpu_exec_micros == node.exec_micros == max(stat.op_end_rel_micros, 1)
        assert node.output_bytes == sum(o.tensor_description.allocation_description
                                        .requested_bytes for o in stat.output)
        assert node.run_count == 1
    assert proto.total_exec_micros == sum(n.exec_micros for n in shown.values())
    assert shown["y"].requested_bytes == shown["Relu"].requested_bytes == 32
    assert shown["Const"].requested_bytes == 24  # persistent: a constant's bytes
    # The run's shape [4, 2] is filled into the graph's [?, 2], as TF does.
    assert g.get_tensor_by_name("y:0").shape.as_list() == [4, 2]


@pytest.mark.parametrize("variant", ["time_and_memory", "all_columns", "by_bytes", "steps"])
def test_runtime_scope_view_matches_tensorflow(variant, capfd):
    tf1 = _tf1()
    B = tf1.profiler.ProfileOptionBuilder
    options = {
        "time_and_memory": B.time_and_memory(),
        "all_columns": B(B.time_and_memory(min_micros=0, min_bytes=0)).select(
            ["bytes", "peak_bytes", "residual_bytes", "output_bytes", "micros", "float_ops",
             "params", "occurrence", "device", "op_types", "input_shapes"]).build(),
        "by_bytes": B(B.time_and_memory(min_bytes=100)).order_by("bytes")
        .with_node_names(hide_name_regexes=["layer1/add"]).build(),
        "steps": B(B.time_and_memory(min_micros=0)).select(["micros", "cpu_micros"]).build(),
    }[variant]
    results = []
    for lib in (tf1, tf):
        g = lib.Graph()
        with g.as_default():
            mlp(lib, **({"use_resource": False} if lib is tf1 else {}))
            capfd.readouterr()
            rm = synthetic_run_meta(lib.RunMetadata)
            if variant == "steps":
                profiler = lib.profiler.Profiler(g)
                profiler.add_step(0, rm)
                profiler.add_step(2, synthetic_run_meta(lib.RunMetadata, scale=5))
                protos = [str(profiler.profile_name_scope(dict(options, step=step)))
                          for step in (-1, 2)]
            else:
                protos = [str(lib.profiler.profile(g, run_meta=rm, cmd="scope",
                                                   options=options))]
            results.append((protos, capfd.readouterr().out))
    (their_protos, their_text), (our_protos, our_text) = results
    assert "layer1/MatMul (" in their_text and "layer1/MatMul" in our_protos[0]
    assert our_text == their_text
    assert our_protos == their_protos


def test_traced_run_profiles_like_tensorflow(capfd):
    """The same graph run traced in each: the same nodes, columns and order of magnitude;
    the times and minitf's fresh arrays (where TF forwards a buffer) differ."""
    tf1 = _tf1()
    reports = []
    for lib in (tf1, tf):
        g = lib.Graph()
        with g.as_default():
            x = lib.placeholder(lib.float32, [None, 3], name="x")
            lib.reduce_sum(lib.matmul(x, lib.constant(np.ones((3, 2), np.float32)), name="y"),
                           name="s")
        rm = lib.RunMetadata()
        with lib.Session(graph=g) as sess:
            sess.run("s:0", {x: np.ones((4, 3), np.float32)}, run_metadata=rm,
                     options=lib.RunOptions(trace_level=3))
        capfd.readouterr()
        B = lib.profiler.ProfileOptionBuilder
        proto = lib.profiler.profile(g, run_meta=rm, options=B(B.time_and_memory()).select(
            ["bytes", "output_bytes", "device"]).order_by("name").build())
        reports.append((proto, capfd.readouterr().out))
    (theirs, their_text), (ours, our_text) = reports
    assert [c.name for c in ours.children] == [c.name for c in theirs.children]
    for mine, other in zip(ours.children, theirs.children):
        assert (mine.requested_bytes, mine.output_bytes, list(mine.devices)) == (
            other.requested_bytes, other.output_bytes, list(other.devices)), mine.name
    assert our_text == their_text
