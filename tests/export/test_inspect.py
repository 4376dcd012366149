"""minitf.export.inspect: model descriptions, text reports, Graphviz DOT and rendering."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.errors import (DataLossError, FailedPreconditionError, InvalidArgumentError,
                           NotFoundError, UnknownError)
from minitf.export import inspect as mi
from minitf.protos import graph_pb2

from . import _models

DATA = Path(__file__).resolve().parent / "data"


def _float_params(graph):
    consts = [tf.make_ndarray(op.get_attr("value")) for op in graph.get_operations()
              if op.type == "Const"]
    floats = [v for v in consts if v.dtype.kind == "f"]
    return sum(v.size for v in floats), sum(v.nbytes for v in floats)


def test_tensorflow_saved_model():
    path = DATA / "cnn_savedmodel"
    info = mi.inspect_model(path)
    json.dumps(info)  # JSON-ready as it is (the CLI prints it with --json)
    assert info["format"] == "saved_model"
    assert info["file"] == str(path / "saved_model.pb")
    assert info["file_size"] == os.path.getsize(path / "saved_model.pb")
    assert info["producer"] >= 22
    assert info["tags"] == ["serve"] and info["meta_graphs"] == [["serve"]]
    assert info["tensorflow_version"].startswith("2.")
    assert info["signatures"] == {"serving_default": {
        "method_name": "tensorflow/serving/predict",
        "inputs": {"images": {"name": "images:0", "dtype": "float32",
                              "shape": [None, 8, 8, 1]}},
        "outputs": {"probs": {"name": "probs:0", "dtype": "float32", "shape": [None, 10]}}}}
    model = export.load_saved_model(path)
    ops = model.graph.get_operations()
    assert info["nodes"] == len(ops)
    assert info["op_histogram"] == dict(Counter(op.type for op in ops))
    counts = list(info["op_histogram"].values())
    assert counts == sorted(counts, reverse=True)
    params, nbytes = _float_params(model.graph)
    assert info["parameters"] == params == 3 * 3 * 1 * 4 + 4 + 64 * 10 + 10
    assert info["parameter_bytes"] == nbytes == 4 * params
    assert info["frozen"] and info["variables"] == []


def test_frozen_graph_def_file_has_candidate_inputs_and_outputs():
    info = mi.inspect_model(DATA / "linear_frozen.pb")
    assert info["format"] == "graph_def" and info["signatures"] == {}
    assert "tags" not in info
    assert info["placeholders"] == [{"name": "x:0", "dtype": "float32", "shape": [None, 3]}]
    assert [o["name"] for o in info["graph_outputs"]] == ["y:0"]
    assert info["op_histogram"] == {"Const": 2, "Identity": 2, "Add": 1, "MatMul": 1,
                                    "Placeholder": 1}
    assert info["parameters"] == 3 * 2 + 2
    # TensorFlow's _output_shapes, where present, are reported with the outputs.
    cnn = mi.inspect_model(DATA / "cnn_frozen.pb")
    assert cnn["graph_outputs"] == [{"name": "probs:0", "op": "Softmax", "shapes": [[None, 10]]}]


@pytest.mark.parametrize("kind", ["saved_model", "graph_def"])
def test_minitf_model_with_large_tensors(tmp_path, kind):
    """Large weights are cut out before parsing; their elements are still counted."""
    m = _models.mlp(hidden=512)
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    if kind == "saved_model":
        path = export.save_model(tmp_path / "mlp" / "3", frozen)
        file = os.path.join(path, "saved_model.pb")
    else:
        path = file = export.write_graph_def(tmp_path / "mlp.pb", frozen)
    info = mi.inspect_model(path)
    params, nbytes = _float_params(frozen.graph)
    assert info["parameters"] == params == 64 * 512 + 512 + 512 * 10 + 10
    assert info["parameter_bytes"] == nbytes
    assert info["const_bytes"] >= nbytes
    assert info["file_size"] == os.path.getsize(file) > nbytes
    assert info["producer"] == export.GRAPH_DEF_PRODUCER
    if kind == "saved_model":
        sig = info["signatures"]["serving_default"]
        assert sig["inputs"] == {"x": {"name": "x:0", "dtype": "float32", "shape": [None, 64]}}
        assert sig["outputs"]["classes"] == {"name": "classes:0", "dtype": "int64",
                                             "shape": [None]}
        assert info["tensorflow_git_version"] == "minitf"
    # Inspecting a SavedModel file directly works too.
    assert mi.inspect_model(file)["format"] == kind


def test_unfrozen_model_is_flagged():
    info = mi.inspect_model(DATA / "linear_variables_savedmodel")
    assert not info["frozen"] and info["variables"] == ["w"]
    assert "NOT FROZEN: 1 variable(s) (w)" in mi.format_report(info)


def test_model_with_ops_minitf_cannot_run_is_still_described(tmp_path):
    gd = graph_pb2.GraphDef()
    x = gd.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = 1
    x.attr["shape"].shape.unknown_rank = True
    gd.node.add(name="rnn", op="NcclAllReduce", input=["x"])
    gd.node.add(name="h", op="VarHandleOp").attr["dtype"].type = 20  # DT_RESOURCE
    (tmp_path / "m.pb").write_bytes(gd.SerializeToString())
    info = mi.inspect_model(tmp_path / "m.pb")
    assert info["op_histogram"] == {"NcclAllReduce": 1, "Placeholder": 1, "VarHandleOp": 1}
    assert info["placeholders"] == [{"name": "x:0", "dtype": "float32", "shape": None}]
    assert info["variables"] == ["h"]
    assert "unknown rank" in mi.format_report(info)
    assert mi.dtype_name(20) == "resource" and mi.dtype_name(21) == "variant"
    assert mi.dtype_name(11) == "qint8" and mi.dtype_name(14) == "DT_BFLOAT16"
    assert mi.dtype_name(1234) == "DataType(1234)"


def test_text_saved_model(tmp_path):
    # saved_model.pbtxt, as the builder's save(as_text=True) and TensorFlow write it.
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        y = tf.identity(x * 2.0, name="y")
        builder = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "1"))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
            "serving_default": tf.saved_model.signature_def_utils.predict_signature_def(
                {"x": x}, {"y": y})})
        builder.save(as_text=True)
    for path in (tmp_path / "1", tmp_path / "1" / "saved_model.pbtxt"):
        info = mi.inspect_model(path)
        assert info["format"] == "saved_model"
        assert info["file"] == str(tmp_path / "1" / "saved_model.pbtxt")
        assert info["signatures"]["serving_default"]["outputs"]["y"]["name"] == "y:0"
        assert info["op_histogram"]["Mul"] == 1
    assert "Placeholder" in mi.to_dot(mi.load_graph(tmp_path / "1"))


# NodeDef field 7 (a FullTypeDef), which TF 2.x writes on some nodes.
_FULL_TYPE_TEXT = """
  experimental_type {
    type_id: TFT_PRODUCT
    args { type_id: TFT_SHAPE_TENSOR args { type_id: TFT_INT32 } }
  }
"""


def _graph_def_with_full_type():
    gd = graph_pb2.GraphDef()
    x = gd.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = 1
    shape = gd.node.add(name="shape", op="Shape", input=["x"])
    shape.attr["T"].type = 1
    shape.attr["out_type"].type = 3
    return gd


def test_fields_of_a_newer_tensorflow_are_skipped(tmp_path):
    gd = _graph_def_with_full_type()
    text = str(gd).replace('op: "Shape"\n', 'op: "Shape"\n' + _FULL_TYPE_TEXT)
    assert "experimental_type" in text
    (tmp_path / "g.pbtxt").write_text(text)
    info = mi.inspect_model(tmp_path / "g.pbtxt")
    assert info["op_histogram"] == {"Placeholder": 1, "Shape": 1}
    # The binary form: tag 7, length-delimited, a FullTypeDef {type_id: 10000} (an id this
    # FullTypeId enum does not name, kept as proto3 keeps unknown enum values).
    node = gd.node[1].SerializeToString() + b"\x3a\x03\x08\x90\x4e"
    raw = gd.node[0].SerializeToString()
    data = b"\x0a" + bytes([len(raw)]) + raw + b"\x0a" + bytes([len(node)]) + node
    (tmp_path / "g.pb").write_bytes(data)
    assert mi.inspect_model(tmp_path / "g.pb")["op_histogram"] == {"Placeholder": 1, "Shape": 1}
    parsed = graph_pb2.GraphDef.FromString(data)
    with tf.Graph().as_default() as g:
        tf.import_graph_def(parsed, name="")
        assert g.get_operation_by_name("shape").type == "Shape"
    bad = tmp_path / "bad.pbtxt"
    bad.write_text("node { name: ")
    with pytest.raises(DataLossError, match="not a valid text GraphDef"):
        mi.inspect_model(bad)


def test_format_report():
    report = mi.format_report(mi.inspect_model(DATA / "mlp_savedmodel"))
    lines = report.splitlines()
    assert lines[0] == str(DATA / "mlp_savedmodel")
    assert re.search(r"format: SavedModel \(.*saved_model\.pb, \d+\.\d KiB\)", report)
    assert "tags: serve" in report
    assert "signature_def['serving_default']:  method tensorflow/serving/predict" in report
    assert "    x: x:0  float32 (-1, 64)" in lines
    assert "    classes: classes:0  int64 (-1,)" in lines
    assert "parameters: 2,410 (9.4 KiB in float constants" in report
    assert re.search(r"^  MatMul +2$", report, re.M)
    pb = mi.format_report(mi.inspect_model(DATA / "cnn_frozen.pb"))
    assert "format: GraphDef" in pb and "no signatures" in pb
    assert "  input  images:0  float32 (-1, 8, 8, 1)" in pb
    assert "  output probs:0  (Softmax)  (-1, 10)" in pb


def test_inspect_errors(tmp_path):
    with pytest.raises(NotFoundError, match="nope"):
        mi.inspect_model(tmp_path / "nope")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(NotFoundError, match=r"no saved_model.pb \(or saved_model.pbtxt\)"):
        mi.inspect_model(tmp_path / "empty_dir")
    (tmp_path / "junk.pb").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(40)))
    with pytest.raises(DataLossError, match="junk.pb"):
        mi.inspect_model(tmp_path / "junk.pb")
    (tmp_path / "empty.pb").write_bytes(b"")
    with pytest.raises(InvalidArgumentError, match="no nodes"):
        mi.inspect_model(tmp_path / "empty.pb")
    with pytest.raises(NotFoundError, match="found"):
        mi.inspect_model(DATA / "mlp_savedmodel", tags=["train"])
    data = (DATA / "mlp_savedmodel" / "saved_model.pb").read_bytes()
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "saved_model.pb").write_bytes(data[:len(data) // 2])
    with pytest.raises(DataLossError, match="cut"):
        mi.inspect_model(tmp_path / "cut")


# -- DOT ------------------------------------------------------------------------------------------
def _dot_nodes(dot):
    return set(re.findall(r'^\s*"((?:[^"\\]|\\.)+)" \[label=', dot, re.M))


def _dot_edges(dot):
    name = r'"((?:[^"\\]|\\.)+)"'
    return re.findall(rf'^\s*{name} -> {name}( \[[^\]]*\])?;', dot, re.M)


def test_to_dot_of_a_graph_clusters_by_name_scope():
    m = _models.cnn()
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    dot = mi.to_dot(frozen.graph)
    assert dot.startswith('digraph "minitf" {') and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    ops = frozen.graph.get_operations()
    assert _dot_nodes(dot) == {op.name for op in ops}
    edges = _dot_edges(dot)
    assert len(edges) == sum(len(op.inputs) + len(op.control_inputs) for op in ops)
    assert ("conv/kernel/read", "conv/Conv2D", ' [label="(3, 3, 1, 4)"]') in edges
    assert ("images", "conv/Conv2D", ' [label="(-1, 8, 8, 1)"]') in edges
    assert 'subgraph "cluster_conv" {' in dot and 'subgraph "cluster_dense" {' in dot
    # "conv/kernel" and "conv/kernel/read" share a cluster inside "conv".
    conv = dot[dot.index('subgraph "cluster_conv" {'):dot.index('subgraph "cluster_dense" {')]
    kernel = conv[conv.index('subgraph "cluster_conv/kernel" {'):]
    assert '"conv/kernel" [label="kernel\\nConst"' in kernel
    assert '"conv/kernel/read" [label="read\\nIdentity"' in kernel
    assert '"probs" [label="probs\\nSoftmax"' in dot
    # A FrozenGraph and a loaded model are accepted as they are.
    assert mi.to_dot(frozen) == dot
    assert 'label="(' not in mi.to_dot(frozen.graph, show_shapes=False)


def test_to_dot_of_a_graph_def_with_control_edges_and_odd_names(tmp_path):
    a = tf.constant(1.0, name="a")
    with tf.control_dependencies([a]):
        b = tf.identity(a, name="b")
    tf.split(tf.ones([4]), 2, name="parts")
    tf.add(b, tf.get_default_graph().get_tensor_by_name("parts:1"), name="c")
    gd = tf.get_default_graph().as_graph_def(add_shapes=True)
    gd.node.add(name='weird"name', op="NoOp", input=["^c"])
    dot = mi.to_dot(gd, name="g")
    assert dot.startswith('digraph "g" {')
    edges = _dot_edges(dot)
    assert ("a", "b", ' [style=dashed color="#888888"]') not in edges  # a is also a data input
    assert ("parts", "c", ' [label=":1 (2,)"]') in edges
    assert ("c", 'weird\\"name', ' [style=dashed color="#888888"]') in edges
    assert '"weird\\"name" [label="weird\\"name\\nNoOp"' in dot
    with pytest.raises(TypeError, match="Graph or a GraphDef"):
        mi.to_dot(42)


def test_load_graph(tmp_path):
    gd = mi.load_graph(DATA / "mlp_savedmodel")
    assert isinstance(gd, graph_pb2.GraphDef) and len(gd.node) == 17
    assert len(mi.load_graph(DATA / "mlp_frozen.pb").node) == 17
    m = _models.mlp(hidden=512)
    path = export.save_model(tmp_path / "1", export.freeze(m.sess, m.inputs, m.outputs))
    gd = mi.load_graph(path)  # big weights left out: the proto stays small
    assert gd.ByteSize() < os.path.getsize(os.path.join(path, "saved_model.pb")) // 4


# -- render ---------------------------------------------------------------------------------------
def _fake_dot(directory: Path, body: str) -> None:
    """A `dot` executable (a Python script) that runs ``body`` with ``args`` = its arguments."""
    exe = directory / "dot"
    exe.write_text(f"#!{sys.executable}\nimport sys\nargs = sys.argv[1:]\n{body}")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.mark.skipif(os.name != "posix", reason="the fake `dot` relies on a shebang line")
def test_render_calls_dot_with_the_format_of_the_suffix(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # Records its arguments and copies stdin (the DOT text) to the -o file.
    _fake_dot(bin_dir, "import json, pathlib\n"
              f"pathlib.Path({str(tmp_path / 'args.json')!r}).write_text(json.dumps(args))\n"
              "pathlib.Path(args[2]).write_bytes(sys.stdin.buffer.read())\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    dot = mi.to_dot(mi.load_graph(DATA / "linear_frozen.pb"))
    out = tmp_path / "graph.svg"
    assert mi.render(dot, out) == str(out)
    assert out.read_text() == dot
    assert json.loads((tmp_path / "args.json").read_text()) == ["-Tsvg", "-o", str(out)]
    mi.render(dot, tmp_path / "graph.pdf", fmt="png")
    assert json.loads((tmp_path / "args.json").read_text())[0] == "-Tpng"


@pytest.mark.skipif(os.name != "posix", reason="the fake `dot` relies on a shebang line")
def test_render_reports_dot_failures(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_dot(bin_dir, "sys.stderr.write('Error: syntax error in line 1\\n')\nsys.exit(3)\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(UnknownError, match="exit 3.*syntax error in line 1"):
        mi.render("digraph {", tmp_path / "g.png")


def test_render_without_graphviz_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    with pytest.raises(FailedPreconditionError, match="Graphviz") as e:
        mi.render("digraph {}", tmp_path / "g.png")
    assert "apt-get install graphviz" in str(e.value)
    assert isinstance(e.value, RuntimeError)
    assert not (tmp_path / "g.png").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_with_real_graphviz(tmp_path):
    m = _models.cnn()
    dot = mi.to_dot(m.sess.graph)  # the whole training graph, gradients and all
    png = mi.render(dot, tmp_path / "cnn.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    svg = mi.render(mi.to_dot(mi.load_graph(DATA / "cnn_frozen.pb")), tmp_path / "cnn.svg")
    text = Path(svg).read_text()
    assert "<svg" in text and "cluster_conv" in text
    assert np.all([name in text for name in ("images", "probs", "conv/kernel/read")])


def test_a_function_librarys_ops_are_counted(tmp_path):
    # TF2's graphs keep the model in FunctionDefs; the report counts the ops inside them.
    gd = graph_pb2.GraphDef()
    gd.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
    gd.node.add(name="call", op="PartitionedCall", input=["x"]).attr["f"].func.name = "f"
    f = gd.library.function.add()
    f.signature.name = "f"
    f.node_def.add(name="a", op="Relu", input=["x"])
    f.node_def.add(name="b", op="Relu", input=["a:activations:0"])
    f.node_def.add(name="c", op="Neg", input=["b:activations:0"])
    (tmp_path / "m.pb").write_bytes(gd.SerializeToString())
    info = mi.inspect_model(tmp_path / "m.pb")
    assert info["op_histogram"] == {"PartitionedCall": 1, "Placeholder": 1}
    assert info["functions"] == 1
    assert info["function_op_histogram"] == {"Relu": 2, "Neg": 1}
    report = mi.format_report(info)
    assert "functions: 1 (inlined when loaded); ops in them:\n  Relu  2\n  Neg   1" in report


def test_missing_ops_are_those_the_signatures_reach(tmp_path):
    """``missing_ops``: op types minitf lacks that a signature reaches, through the functions it
    calls; an uncalled function's ops (keras_lstm's cuDNN variant) and what the loaders handle
    themselves (variables, calls, If/While, variable updates) do not count."""
    tf2_models = Path(__file__).resolve().parent / "data" / "tf2"
    lstm = mi.inspect_model(tf2_models / "keras_lstm" / "1")
    assert "CudnnRNNV3" in lstm["function_op_histogram"]  # in the library, never called
    assert lstm["missing_ops"] == []
    assert mi.inspect_model(tf2_models / "counter_module" / "1")["missing_ops"] == []
    assert "NOT SUPPORTED" not in mi.format_report(lstm)
    gd = graph_pb2.GraphDef()
    gd.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
    gd.node.add(name="call", op="PartitionedCall", input=["x"]).attr["f"].func.name = "outer"
    gd.node.add(name="unused", op="NcclAllReduce", input=["x"])  # reached by no output below
    outer = gd.library.function.add()
    outer.signature.name = "outer"
    branch = outer.node_def.add(name="if", op="If", input=["x"])
    branch.attr["then_branch"].func.name = "then"
    branch.attr["else_branch"].func.name = "other"
    for name, op in (("then", "SobolSample"), ("other", "Relu"), ("never", "Unheard")):
        f = gd.library.function.add()
        f.signature.name = name
        f.node_def.add(name="n", op=op)
    y = gd.node.add(name="y", op="Identity", input=["call"])
    y.attr["T"].type = 1
    (tmp_path / "m.pb").write_bytes(gd.SerializeToString())
    assert mi.missing_ops(gd, ["y"]) == ["SobolSample"]
    assert mi.missing_ops(gd) == ["NcclAllReduce", "SobolSample"]  # a GraphDef: every node
    report = mi.format_report(mi.inspect_model(tmp_path / "m.pb"))
    assert ("NOT SUPPORTED: ops the graph has that minitf lacks: NcclAllReduce, SobolSample"
            in report)


def test_unsupported_dtypes_are_those_the_signatures_reach(tmp_path):
    """``unsupported_dtypes``: DataTypes minitf cannot hold (bfloat16, float8) in the attrs and
    constants a signature reaches, function bodies included, reported as missing ops are (a
    Keras mixed_bfloat16 model used to pass inspect and then fail to load)."""
    gd = graph_pb2.GraphDef()
    gd.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
    call = gd.node.add(name="call", op="PartitionedCall", input=["x"])
    call.attr["f"].func.name = "body"
    body = gd.library.function.add()
    body.signature.name = "body"
    body.node_def.add(name="c", op="Cast", input=["x"]).attr["DstT"].type = 14  # bfloat16
    unused = gd.node.add(name="unused", op="Const")
    unused.attr["value"].tensor.dtype = 25  # DT_FLOAT8_E4M3FN, reached by no output below
    unused.attr["dtype"].type = 25
    y = gd.node.add(name="y", op="Identity", input=["call"])
    y.attr["T"].type = 1
    assert mi.unsupported_dtypes(gd, ["y"]) == ["DT_BFLOAT16"]
    assert mi.unsupported_dtypes(gd) == ["DT_BFLOAT16", "DT_FLOAT8_E4M3FN"]
    assert mi.unsupported_dtypes(gd, ["x"]) == []
    (tmp_path / "m.pb").write_bytes(gd.SerializeToString())
    report = mi.format_report(mi.inspect_model(tmp_path / "m.pb"))
    assert "NOT SUPPORTED: dtypes the graph has that minitf lacks: DT_BFLOAT16, " \
           "DT_FLOAT8_E4M3FN" in report
    tf2_models = Path(__file__).resolve().parent / "data" / "tf2"
    assert mi.inspect_model(tf2_models / "keras_lstm" / "1")["unsupported_dtypes"] == []
