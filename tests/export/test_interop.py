"""Models move both ways between minitf and real TensorFlow.

- TensorFlow -> minitf (always runs; the files in data/ were written by TensorFlow, see
  data/generate_with_tensorflow.py): minitf loads TF's frozen GraphDefs and TF1 SavedModels and
  reproduces TF's outputs within 1e-5.
- minitf -> TensorFlow (marked ``tensorflow``; skipped where it is not installed): minitf exports
  GraphDefs and SavedModels, one TensorFlow subprocess loads them all (GraphDef import with and
  without a prefix, text pbtxt, the TF1 SavedModel loader, TF2's ``tf.saved_model.load``) and its
  outputs must match minitf's.
- minitf -> minitf: ``tf.import_graph_def`` / ``as_graph_def`` round trips (input_map,
  return_elements, "import/" prefixes).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.protos import graph_pb2

from . import _models

DATA = Path(__file__).resolve().parent / "data"
MANIFEST = json.loads((DATA / "manifest.json").read_text())
TF_MODELS = sorted(MANIFEST["models"])


def _close(actual, expected, what=""):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, what
    assert actual.dtype == expected.dtype, what
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def _tf_data(name):
    entry = MANIFEST["models"][name]
    with np.load(DATA / entry["data"], allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    inputs = {k[3:]: v for k, v in arrays.items() if k.startswith("in:")}
    outputs = {k[4:]: v for k, v in arrays.items() if k.startswith("out:")}
    return entry, inputs, outputs


def _run_model(model, inputs):
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as sess:
        return sess.run({a: info.name for a, info in sig.outputs.items()},
                        {sig.inputs[a].name: v for a, v in inputs.items()})


# -- TensorFlow -> minitf ------------------------------------------------------------------------
def test_data_files_are_what_tensorflow_writes():
    """The committed files hold the TF-isms the loader must accept (or they prove nothing)."""
    ops, attrs, producers = set(), set(), set()
    for name in TF_MODELS:
        gd = graph_pb2.GraphDef()
        gd.ParseFromString((DATA / MANIFEST["models"][name]["frozen"]).read_bytes())
        producers.add(gd.versions.producer)
        for node in gd.node:
            ops.add(node.op)
            attrs.update(node.attr)
            if node.op == "Identity" and node.name.endswith("/read") and "_class" in node.attr:
                assert list(node.attr["_class"].list.s) == [
                    f"loc:@{node.name[:-5]}".encode()]  # (the RNN cell's reads have none)
    assert {"Add", "AddV2", "Identity", "Conv2D", "MaxPool", "Softmax", "ArgMax"} <= ops
    assert {"Enter", "NextIteration", "Exit", "TensorArrayV3", "TensorArrayScatterV3",
            "TensorArrayReadV3", "TensorArrayWriteV3", "TensorArrayGatherV3"} <= ops
    assert {"_class", "_output_shapes", "grad_a", "explicit_paddings"} <= attrs
    assert all(p >= 22 for p in producers)
    assert (DATA / "generate_with_tensorflow.py").exists()


@pytest.mark.parametrize("name", TF_MODELS)
def test_load_tensorflow_frozen_graph(name):
    entry, inputs, expected = _tf_data(name)
    model = export.load_frozen_graph(DATA / entry["frozen"], entry["inputs"], entry["outputs"])
    got = _run_model(model, inputs)
    assert set(got) == set(expected)
    for alias in expected:
        _close(got[alias], expected[alias], f"{name} {alias}")


@pytest.mark.parametrize("name", TF_MODELS)
def test_load_tensorflow_saved_model(name):
    entry, inputs, expected = _tf_data(name)
    model = export.load_saved_model(DATA / entry["saved_model"])
    sig = model.signatures["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    assert {a: i.name for a, i in sig.inputs.items()} == entry["inputs"]
    assert {a: i.name for a, i in sig.outputs.items()} == entry["outputs"]
    for alias, info in sig.inputs.items():
        assert info.dtype.as_numpy_dtype == inputs[alias].dtype
        assert info.shape.is_compatible_with(inputs[alias].shape)
    got = _run_model(model, inputs)
    for alias in expected:
        _close(got[alias], expected[alias], f"{name} {alias}")
        assert sig.outputs[alias].shape.is_compatible_with(expected[alias].shape)


@pytest.mark.parametrize("name", TF_MODELS)
def test_tensorflow_graph_def_through_import_graph_def(name):
    """TF's GraphDef imported into a graph of our own, wired to our placeholder by input_map."""
    entry, inputs, expected = _tf_data(name)
    gd = graph_pb2.GraphDef()
    gd.ParseFromString((DATA / entry["frozen"]).read_bytes())
    feeds = {}
    input_map = {}
    for alias, tensor_name in entry["inputs"].items():
        ph = tf.placeholder(tf.as_dtype(inputs[alias].dtype), [None] + list(
            inputs[alias].shape[1:]), name=f"my_{alias}")
        input_map[tensor_name] = ph
        feeds[ph] = inputs[alias]
    aliases = sorted(entry["outputs"])
    outs = tf.import_graph_def(gd, input_map=input_map,
                               return_elements=[entry["outputs"][a] for a in aliases])
    assert all(t.name.startswith("import/") for t in outs)
    with tf.Session() as sess:
        got = sess.run(outs, feeds)
    for alias, value in zip(aliases, got):
        _close(value, expected[alias], f"{name} {alias}")


# -- minitf -> TensorFlow (subprocess) ---------------------------------------------------------
TF_SCRIPT = r'''
import json, os, sys, traceback
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
import numpy as np
import tensorflow as tf
from google.protobuf import text_format
v1 = tf.compat.v1

def load_graph_def(path):
    gd = v1.GraphDef()
    if path.endswith(".pbtxt"):
        text_format.Parse(open(path).read(), gd)
    else:
        gd.ParseFromString(open(path, "rb").read())
    return gd

def run_case(case, feeds):
    kind, path = case["kind"], case["path"]
    if kind == "saved_model_v2":
        fn = tf.saved_model.load(path).signatures["serving_default"]
        out = fn(**{a: tf.constant(v) for a, v in feeds.items()})
        return {a: t.numpy() for a, t in out.items()}, {}
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as sess:
        info = {}
        if kind == "graph_def":
            v1.import_graph_def(load_graph_def(path), name=case["prefix"])
            pre = case["prefix"] + "/" if case["prefix"] else ""
            ins = {a: pre + n for a, n in case["inputs"].items()}
            outs = {a: pre + n for a, n in case["outputs"].items()}
        elif kind == "import_only":
            v1.import_graph_def(load_graph_def(path), name="")
            return {}, {"nodes": len(graph.get_operations())}
        else:
            meta = v1.saved_model.loader.load(sess, ["serve"], path)
            sig = meta.signature_def["serving_default"]
            info = {"method": sig.method_name,
                    "inputs": {a: [t.name, t.dtype, [d.size for d in t.tensor_shape.dim]]
                               for a, t in sig.inputs.items()},
                    "outputs": {a: [t.name, t.dtype, [d.size for d in t.tensor_shape.dim]]
                                for a, t in sig.outputs.items()}}
            ins = {a: t.name for a, t in sig.inputs.items()}
            outs = {a: t.name for a, t in sig.outputs.items()}
        values = sess.run(outs, {ins[a]: v for a, v in feeds.items()})
        return values, info

spec = json.load(open(sys.argv[1]))
results = {}
for case in spec["cases"]:
    try:
        with np.load(case["feeds"]) as z:
            feeds = {k: z[k] for k in z.files}
        values, info = run_case(case, feeds)
        np.savez(case["result"], **values)
        results[case["id"]] = {"ok": True, "info": info}
    except Exception:
        results[case["id"]] = {"ok": False, "error": traceback.format_exc()}
json.dump({"version": tf.__version__, "results": results}, open(spec["out"], "w"))
'''


def _tensorflow_available() -> bool:
    # Checked without importing it: TensorFlow only ever runs in a subprocess here.
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):  # e.g. blocked with sys.modules["tensorflow"] = None
        return False


def run_tensorflow(cases: list, workdir: Path) -> dict:
    """Runs ``cases`` in one TensorFlow subprocess; returns {case id: (ok, outputs, info)}."""
    spec_path, out_path = workdir / "spec.json", workdir / "tf_results.json"
    spec_path.write_text(json.dumps({"cases": cases, "out": str(out_path)}))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, "-c", TF_SCRIPT, str(spec_path)], capture_output=True,
                          text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(out_path.read_text())["results"]
    out = {}
    for case in cases:
        r = results[case["id"]]
        values = {}
        if r["ok"]:
            with np.load(case["result"], allow_pickle=False) as z:
                values = {k: z[k] for k in z.files}
        out[case["id"]] = (r["ok"], values, r.get("info") or r.get("error"))
    return out


@pytest.fixture(scope="module")
def minitf_in_tensorflow(tmp_path_factory):
    """Every minitf model exported five ways, all loaded by one TensorFlow subprocess."""
    if not _tensorflow_available():
        pytest.skip("tensorflow is not installed")
    work = tmp_path_factory.mktemp("to_tensorflow")
    cases, expected = [], {}
    for name, build in _models.MODELS.items():
        tf.reset_default_graph()
        m = build()
        expected[name] = m.run()
        feeds = work / f"{name}_feeds.npz"
        np.savez(feeds, **m.feeds)
        frozen = export.freeze(m.sess, m.inputs, m.outputs)
        ins = {a: t.name for a, t in frozen.inputs.items()}
        outs = {a: t.name for a, t in frozen.outputs.items()}
        export.write_graph_def(work / f"{name}.pb", frozen)
        tf.train.write_graph(frozen.as_graph_def(), str(work), f"{name}.pbtxt", as_text=True)
        export.save_model(work / name / "1", frozen)
        # The whole training graph (variables, gradients, optimizer updates, saver): TensorFlow
        # must accept every node and attr we write, not only the inference subset.
        tf.train.write_graph(m.sess.graph, str(work), f"{name}_train.pb", as_text=False)
        m.sess.close()
        common = {"feeds": str(feeds), "inputs": ins, "outputs": outs}
        for kind, path, prefix in [("graph_def", f"{name}.pb", ""),
                                   ("graph_def", f"{name}.pbtxt", "import"),
                                   ("saved_model_v1", f"{name}/1", None),
                                   ("saved_model_v2", f"{name}/1", None),
                                   ("import_only", f"{name}_train.pb", None)]:
            cid = f"{name}:{kind}:{path}"
            cases.append(dict(common, id=cid, kind=kind, path=str(work / path), prefix=prefix,
                              result=str(work / f"result_{len(cases)}.npz")))
    return run_tensorflow(cases, work), expected


def _cases(results, name, kind):
    found = [(cid, r) for cid, r in results.items()
             if cid.startswith(f"{name}:{kind}:")]
    assert found
    return found


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", sorted(_models.MODELS))
@pytest.mark.parametrize("kind", ["graph_def", "saved_model_v1", "saved_model_v2"])
def test_tensorflow_runs_minitf_export(minitf_in_tensorflow, name, kind):
    results, expected = minitf_in_tensorflow
    for cid, (ok, values, info) in _cases(results, name, kind):
        assert ok, f"{cid}: TensorFlow failed:\n{info}"
        assert set(values) == set(expected[name])
        for alias, want in expected[name].items():
            _close(values[alias], want, f"{cid} {alias}")


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", sorted(_models.MODELS))
def test_tensorflow_reads_minitf_signatures(minitf_in_tensorflow, name):
    results, expected = minitf_in_tensorflow
    [(cid, (ok, _, info))] = _cases(results, name, "saved_model_v1")
    assert ok, info
    assert info["method"] == "tensorflow/serving/predict"
    for alias, (_, dtype_enum, dims) in info["outputs"].items():
        want = expected[name][alias]
        assert tf.as_dtype(dtype_enum).as_numpy_dtype == want.dtype, cid
        assert len(dims) == want.ndim and dims[0] == -1, cid  # batch dimension stays unknown
        assert all(d in (-1, w) for d, w in zip(dims[1:], want.shape[1:])), cid


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", sorted(_models.MODELS))
def test_tensorflow_imports_minitf_training_graph(minitf_in_tensorflow, name):
    results, _ = minitf_in_tensorflow
    [(cid, (ok, _, info))] = _cases(results, name, "import_only")
    assert ok, f"{cid}: TensorFlow refused the training graph:\n{info}"
    assert info["nodes"] > 10


# -- minitf -> minitf: import_graph_def / as_graph_def ------------------------------------------
@pytest.fixture
def frozen_mlp():
    m = _models.mlp(hidden=16)
    frozen = export.freeze(m.sess, m.inputs, m.outputs)
    return m, frozen, frozen.as_graph_def()


def test_import_graph_def_default_prefix_and_uniquified_second_import(frozen_mlp):
    m, _, gd = frozen_mlp
    g = tf.Graph()
    with g.as_default():
        assert tf.import_graph_def(gd) is None  # no return_elements -> None, as in TF
        tf.import_graph_def(gd)
        names = {op.name for op in g.get_operations()}
        assert {"import/x", "import/probs", "import_1/x", "import_1/probs"} <= names
        assert tf.identity(g.get_tensor_by_name("import/probs:0"), name="import/probs").name \
            == "import/probs_1:0"
        with tf.Session() as sess:
            a, b = sess.run(["import/probs:0", "import_1/probs:0"],
                            {"import/x:0": m.feeds["x"], "import_1/x:0": m.feeds["x"]})
    want = m.run()["probs"]
    np.testing.assert_array_equal(a, want)
    np.testing.assert_array_equal(b, want)


def test_import_graph_def_input_map_and_return_elements(frozen_mlp):
    m, _, gd = frozen_mlp
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 64], name="features")
        doubled = x * 2.0
        probs, classes_op, classes = tf.import_graph_def(
            gd, input_map={"x": doubled}, return_elements=["probs:0", "classes", "classes:0"],
            name="model")
        assert probs.name == "model/probs:0" and probs.shape.as_list() == [None, 10]
        assert isinstance(classes_op, tf.Operation) and classes_op.name == "model/classes"
        assert classes.op is classes_op
        # The mapped placeholder is still imported but nothing reads it.
        assert g.get_operation_by_name("model/x").outputs[0].consumers() == []
        with tf.Session() as sess:
            got_probs, got_classes = sess.run([probs, classes], {x: m.feeds["x"] / 2.0})
    want = m.run()
    np.testing.assert_array_equal(got_probs, want["probs"])
    np.testing.assert_array_equal(got_classes, want["classes"])


def test_import_graph_def_empty_name_keeps_names(frozen_mlp):
    m, frozen, gd = frozen_mlp
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    assert [op.name for op in g.get_operations()] == \
        [op.name for op in frozen.graph.get_operations()]
    assert g.as_graph_def() == gd  # GraphDef -> Graph -> GraphDef is the identity


def test_import_graph_def_inside_name_scope(frozen_mlp):
    _, _, gd = frozen_mlp
    g = tf.Graph()
    with g.as_default(), tf.name_scope("outer"):
        [probs] = tf.import_graph_def(gd, return_elements=["probs:0"])
    assert probs.name == "outer/import/probs:0"


def test_import_graph_def_bad_return_element_and_arguments(frozen_mlp):
    _, _, gd = frozen_mlp
    with pytest.raises(ValueError, match="nope:0"):
        tf.import_graph_def(gd, return_elements=["nope:0"])
    with pytest.raises(ValueError, match="probs:3"):
        tf.import_graph_def(gd, return_elements=["probs:3"], name="again")
    with pytest.raises(TypeError, match="GraphDef"):
        tf.import_graph_def(gd.SerializeToString())
    # A value that is not a Tensor is converted, as TF does.
    tf.import_graph_def(gd, input_map={"x:0": np.zeros((1, 64), np.float32)}, name="numpy")
    with pytest.raises(ValueError, match=r"not found in graph_def: \[nothere:0\]"):
        tf.import_graph_def(gd, input_map={"nothere:0": tf.constant(1.0)})
    with pytest.raises(ValueError, match="Input 0 of node .*hidden/MatMul was passed int32"):
        tf.import_graph_def(gd, input_map={"x:0": tf.zeros([2, 64], tf.int32)})


def test_as_graph_def_of_a_training_graph_round_trips_in_minitf():
    """The whole default graph (variables, initializers, gradients, optimizer) survives
    as_graph_def -> import_graph_def; the imported copy trains like the original."""
    m = _models.linear()
    gd = tf.get_default_graph().as_graph_def()
    assert gd.versions.producer >= 22
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd)
        imported = {op.name[len("import/"):] for op in g.get_operations()}
    assert imported == {op.name for op in m.sess.graph.get_operations()}
    again = g.as_graph_def()
    assert [n.op for n in again.node] == [n.op for n in gd.node]
    assert [[i.replace("import/", "") for i in n.input] for n in again.node] == \
        [list(n.input) for n in gd.node]
    # Initialising and running the imported copy gives the original's initial outputs.
    with tf.Session(graph=g) as sess:
        sess.run("import/init")
        y0 = sess.run("import/y:0", {"import/x:0": m.feeds["x"]})
    m.sess.run("init")
    np.testing.assert_array_equal(y0, m.sess.run(m.outputs["y"], m.feed_dict()))
