"""TF1's ``tf.saved_model`` API: simple_save / SavedModelBuilder write frozen SavedModels that
minitf and TensorFlow load; loader.load and the model loader read TensorFlow's unfrozen
SavedModels (ref and resource variables, from data/, written by TensorFlow) with the values of
their checkpoints."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf import export
from minitf.errors import (DataLossError, InvalidArgumentError, NotFoundError,
                           UnimplementedError)
from minitf.protos import meta_graph_pb2, saved_model_pb2

from .test_interop import _tensorflow_available, run_tensorflow

DATA = Path(__file__).resolve().parent / "data"
W = np.array([[1.0], [2.0]], np.float32)  # linear_variables_savedmodel's w (its generator)


def _linear():
    """x @ w + b with w, b variables; returns (sess, x, y)."""
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable(W, name="w")
    b = tf.Variable(0.5, name="b")
    y = tf.add(tf.matmul(x, w), b, name="y")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    return sess, x, w, y


def _predict(path, tags=("serve",), signature="serving_default", feeds=None, scope=None):
    """loader.load into a fresh graph, then the signature's outputs for ``feeds``."""
    graph = tf.Graph()
    with tf.Session(graph=graph) as sess:
        meta = tf.saved_model.loader.load(sess, list(tags), str(path), import_scope=scope)
        sig = meta.signature_def[signature]
        pre = f"{scope}/" if scope else ""
        return meta, sess.run({a: pre + i.name for a, i in sig.outputs.items()},
                              {pre + sig.inputs[a].name: v for a, v in feeds.items()})


def test_simple_save_writes_a_frozen_saved_model(tmp_path):
    sess, x, w, y = _linear()
    feed = np.array([[1.0, 1.0], [2.0, -1.0]], np.float32)
    want = feed @ W + 0.5
    tf.saved_model.simple_save(sess, str(tmp_path / "m"), {"x": x}, {"y": y})
    sess.run(w.assign([[9.0], [9.0]]))  # saved already: the model keeps the old values
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["saved_model.pb", "variables"]
    model = export.load_saved_model(tmp_path / "m")
    sig = model.signatures["serving_default"]
    assert sig.method_name == tf.saved_model.signature_constants.PREDICT_METHOD_NAME
    assert (sig.inputs["x"].name, sig.outputs["y"].name) == ("x:0", "y:0")
    assert {op.type for op in model.graph.get_operations()} <= {
        "Placeholder", "Const", "Identity", "MatMul", "AddV2", "Add"}
    with tf.Session(graph=model.graph) as s:
        np.testing.assert_allclose(s.run("y:0", {"x:0": feed}), want)
    meta, out = _predict(tmp_path / "m", feeds={"x": feed}, scope="imported")
    np.testing.assert_allclose(out["y"], want)
    assert list(meta.meta_info_def.tags) == ["serve"]
    with pytest.raises(AssertionError, match="already exists, and isn't empty"):
        tf.saved_model.simple_save(sess, str(tmp_path / "m"), {"x": x}, {"y": y})
    sess.close()


def test_builder_meta_graphs_share_the_values_saved_first(tmp_path):
    sess, x, w, y = _linear()
    feed = np.array([[1.0, 2.0]], np.float32)
    h = tf.identity(y * 2.0, name="h")
    sd = tf.saved_model.signature_def_utils
    builder = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "m"))
    assert isinstance(builder, tf.saved_model.Builder)
    builder.add_meta_graph_and_variables(
        sess, [tf.saved_model.tag_constants.SERVING],
        signature_def_map={"serving_default": sd.predict_signature_def({"x": x}, {"y": y}),
                           "double": sd.build_signature_def(
                               {"in": tf.saved_model.utils.build_tensor_info(x)},
                               {"out": tf.saved_model.utils.build_tensor_info(h)},
                               tf.saved_model.PREDICT_METHOD_NAME)})
    sess.run(w.assign([[5.0], [5.0]]))  # after the variables were saved: not in the model
    builder.add_meta_graph(["serve", "gpu"], signature_def_map={
        "serving_default": sd.predict_signature_def({"x": x}, {"h": h})})
    with pytest.raises(AssertionError, match="already been added"):
        builder.add_meta_graph(["gpu", "serve"], signature_def_map={
            "serving_default": sd.predict_signature_def({"x": x}, {"h": h})})
    path = builder.save()
    assert path == str(tmp_path / "m" / "saved_model.pb").encode()
    want = feed @ W + 0.5
    _, out = _predict(tmp_path / "m", feeds={"x": feed})
    np.testing.assert_allclose(out["y"], want)
    _, out = _predict(tmp_path / "m", signature="double", feeds={"in": feed})
    np.testing.assert_allclose(out["out"], 2 * want)
    _, out = _predict(tmp_path / "m", tags=("gpu", "serve"), feeds={"x": feed})
    np.testing.assert_allclose(out["h"], 2 * want)
    model = export.load_saved_model(tmp_path / "m", tags=("serve", "gpu"))
    assert list(model.signatures) == ["serving_default"]
    with pytest.raises(AssertionError, match="already been saved"):
        builder.save()
    sess.close()


def test_builder_saves_global_variables_and_a_failed_call_can_be_repeated(tmp_path):
    sess, x, _, y = _linear()
    # A local variable nobody initialised (a metrics counter, say) is not read, as TF's Saver
    # saves global variables only; a signature that needs one is refused by name.
    counter = tf.Variable(0.0, name="counter", collections=[tf.GraphKeys.LOCAL_VARIABLES])
    counted = tf.identity(y + counter, name="counted")
    builder = tf.saved_model.Builder(str(tmp_path / "m"))
    with pytest.raises(InvalidArgumentError, match="need variable 'counter', which was not "
                                                   "saved"):
        builder.add_meta_graph_and_variables(sess, ["serve"], {
            "s": tf.saved_model.predict_signature_def({"x": x}, {"c": counted})})
    builder.add_meta_graph_and_variables(sess, ["serve"], {  # the same builder, again
        "serving_default": tf.saved_model.predict_signature_def({"x": x}, {"y": y})})
    builder.save()
    feed = np.ones((1, 2), np.float32)
    _, out = _predict(tmp_path / "m", feeds={"x": feed})
    np.testing.assert_allclose(out["y"], feed @ W + 0.5)
    sess.close()


def test_builder_as_text_writes_saved_model_pbtxt(tmp_path):
    sess, x, _, y = _linear()
    builder = tf.saved_model.Builder(str(tmp_path / "t"))
    builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
        "serving_default": tf.saved_model.predict_signature_def({"x": x}, {"y": y})})
    assert builder.save(as_text=True).endswith(b"saved_model.pbtxt")
    assert tf.saved_model.contains_saved_model(str(tmp_path / "t"))
    feed = np.ones((3, 2), np.float32)
    _, out = _predict(tmp_path / "t", feeds={"x": feed})
    np.testing.assert_allclose(out["y"], feed @ W + 0.5)
    with tf.Session(graph=export.load_saved_model(tmp_path / "t").graph) as s:
        np.testing.assert_allclose(s.run("y:0", {"x:0": feed}), feed @ W + 0.5)
    # A newer TensorFlow's fields (TF 2.x writes OpDef.experimental_full_type) are skipped.
    text = (tmp_path / "t" / "saved_model.pbtxt").read_text()
    (tmp_path / "t" / "saved_model.pbtxt").write_text(text.replace(
        "meta_info_def {", "meta_info_def {\n    some_future_field: 3", 1))
    _, out = _predict(tmp_path / "t", feeds={"x": feed})
    np.testing.assert_allclose(out["y"], feed @ W + 0.5)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "saved_model.pbtxt").write_text("meta_graphs { oops")
    with pytest.raises(DataLossError, match="not a valid text SavedModel"):
        export.load_saved_model(tmp_path / "bad")
    sess.close()


def test_builder_and_signature_errors(tmp_path):
    sess, x, w, y = _linear()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(AssertionError, match="full already exists, and isn't empty"):
        tf.saved_model.Builder(str(tmp_path / "full"))
    (tmp_path / "empty").mkdir()  # an empty directory is fine, as in TF
    builder = tf.saved_model.Builder(str(tmp_path / "empty"))
    with pytest.raises(AssertionError, match="add_meta_graph_and_variables"):
        builder.add_meta_graph(["serve"], {})
    with pytest.raises(AssertionError, match="No MetaGraphDef"):
        builder.save()
    with pytest.raises(TypeError, match="must be a SignatureDef"):
        builder.add_meta_graph_and_variables(sess, ["serve"], {"s": {"x": x}})
    with pytest.raises(ValueError, match="cannot be None or empty"):
        tf.saved_model.predict_signature_def({}, {"y": y})
    with pytest.raises(TypeError, match="needs a Tensor"):
        tf.saved_model.build_tensor_info(w.op)
    builder = tf.saved_model.Builder(str(tmp_path / "b"))
    with pytest.raises(TypeError, match="tags must be a list"):
        builder.add_meta_graph_and_variables(sess, "serve", {})
    builder = tf.saved_model.Builder(str(tmp_path / "c"))
    with pytest.raises(ValueError, match="signature_def_map is empty"):
        builder.add_meta_graph_and_variables(sess, ["serve"], {})
    builder = tf.saved_model.Builder(str(tmp_path / "d"))
    with pytest.raises(TypeError, match="Asset path tensor a.txt must be a Tensor"):
        builder.add_meta_graph_and_variables(sess, ["serve"], {
            "s": tf.saved_model.predict_signature_def({"x": x}, {"y": y})},
            assets_collection=["a.txt"])
    # A signature whose output updates a variable cannot be frozen.
    upd = tf.identity(w.assign_add([[1.0], [1.0]]), name="upd")
    builder = tf.saved_model.Builder(str(tmp_path / "e"))
    with pytest.raises(InvalidArgumentError, match="updates a variable"):
        builder.add_meta_graph_and_variables(sess, ["serve"], {
            "s": tf.saved_model.predict_signature_def({"x": x}, {"u": upd})})
    sd = tf.saved_model.predict_signature_def({"x": x}, {"y": y})
    assert tf.saved_model.is_valid_signature(sd)
    # Classify and regress signatures (TF Serving's other APIs) over serialized Examples.
    sdu = tf.saved_model.signature_def_utils
    examples = tf.placeholder(tf.string, [None], name="examples")
    names = tf.constant(["a", "b"])
    cls = sdu.classification_signature_def(examples, names, y)
    assert (cls.method_name, sorted(cls.inputs), sorted(cls.outputs)) == (
        "tensorflow/serving/classify", ["inputs"], ["classes", "scores"])
    reg = sdu.regression_signature_def(examples, y)
    assert (reg.method_name, reg.inputs["inputs"].name, reg.outputs["outputs"].name) == (
        "tensorflow/serving/regress", "examples:0", "y:0")
    assert tf.saved_model.is_valid_signature(cls) and tf.saved_model.is_valid_signature(reg)
    assert not tf.saved_model.is_valid_signature(sdu.build_signature_def(
        {"inputs": tf.saved_model.build_tensor_info(x)}, {"outputs": reg.outputs["outputs"]},
        "tensorflow/serving/regress"))  # a float input is not serialized Examples
    with pytest.raises(ValueError, match="Classification examples must be a string Tensor"):
        sdu.classification_signature_def(x, names, y)
    with pytest.raises(ValueError, match="classes and scores cannot both be None"):
        sdu.classification_signature_def(examples, None, None)
    with pytest.raises(ValueError, match="Regression predictions must be a float Tensor"):
        sdu.regression_signature_def(examples, names)
    assert not tf.saved_model.is_valid_signature(meta_graph_pb2.SignatureDef())
    info = tf.saved_model.build_tensor_info(y)
    assert (info.name, info.dtype, [d.size for d in info.tensor_shape.dim]) == ("y:0", 1, [-1, 1])
    assert tf.saved_model.get_tensor_from_tensor_info(info) is y
    sess.close()


# -- TensorFlow's unfrozen SavedModels ----------------------------------------------------------
def _resource_data():
    with np.load(DATA / "resource_variables.npz", allow_pickle=False) as z:
        return {k[3:]: z[k] for k in z.files if k.startswith("in:")}, z["out:y"]


def test_model_loader_freezes_tensorflow_ref_variables():
    model = export.load_saved_model(DATA / "linear_variables_savedmodel")
    types = [op.type for op in model.graph.get_operations()]
    assert "VariableV2" not in types and "SaveV2" not in types and "Assign" not in types
    feed = np.array([[3.0, -1.0]], np.float32)
    with tf.Session(graph=model.graph) as s:
        np.testing.assert_array_equal(s.run("y:0", {"x:0": feed}), feed @ W)
    _, out = _predict(DATA / "linear_variables_savedmodel", feeds={"x": feed})
    np.testing.assert_array_equal(out["y"], feed @ W)


def test_tensorflow_resource_variables_and_resource_gather(caplog):
    inputs, want = _resource_data()
    model = export.load_saved_model(DATA / "resource_variables_savedmodel")
    types = {op.type for op in model.graph.get_operations()}
    assert not types & {"VarHandleOp", "ReadVariableOp", "ResourceGather"}
    assert "GatherV2" in types
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as s:
        got = s.run(sig.outputs["y"].name, {sig.inputs[a].name: v for a, v in inputs.items()})
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # loader.load keeps everything that still runs (the gradients too); the training step, the
    # saver and the local counter (not in the checkpoint) go, quietly.
    graph = tf.Graph()
    with caplog.at_level("WARNING", logger="minitf.export"), tf.Session(graph=graph) as sess:
        tf.saved_model.loader.load(sess, ["serve"], str(DATA / "resource_variables_savedmodel"),
                                   import_scope="m")
        np.testing.assert_allclose(sess.run("m/y:0", {"m/ids:0": inputs["ids"],
                                                      "m/x:0": inputs["x"]}), want, rtol=1e-6)
    types = {op.type for op in graph.get_operations()}
    assert {"ConcatOffset", "Tile", "MatMul"} <= types
    assert not types & {"SaveV2", "RestoreV2", "ResourceApplyGradientDescent",
                        "AssignAddVariableOp", "VarIsInitializedOp"}
    assert "m/counter" not in {op.name for op in graph.get_operations()}
    assert not caplog.text


def test_tensorflow_partitioned_variables_restore_their_slices():
    # Each part restores its slice of the checkpoint's one tensor (RestoreV2's
    # shape_and_slices); the whole tensor used to be refused for every part's shape.
    with np.load(DATA / "partitioned.npz", allow_pickle=False) as z:
        ids, want = z["in:ids"], z["out:y"]
    model = export.load_saved_model(DATA / "partitioned_savedmodel")
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as s:
        got = s.run(sig.outputs["y"].name, {sig.inputs["ids"].name: ids})
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with tf.Session(graph=tf.Graph()) as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(DATA / "partitioned_savedmodel"))
        sig = meta.signature_def["serving_default"]
        got = sess.run(sig.outputs["y"].name, {sig.inputs["ids"].name: ids})
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_a_main_op_that_assigns_variables_wins_over_the_checkpoint(caplog):
    # TF's loader restores the checkpoint, then runs the main op: here it puts `a` back to
    # its initializer and sets `b` to 7 (`c` keeps its checkpoint value). TF's own result:
    with np.load(DATA / "main_op.npz", allow_pickle=False) as z:
        x, want = z["in:x"], z["out:y"]
    with caplog.at_level("WARNING", logger="minitf.export"):
        model = export.load_saved_model(DATA / "main_op_savedmodel")
    assert "assigns the variables a, b after" in caplog.text
    with tf.Session(graph=model.graph) as s:
        np.testing.assert_array_equal(s.run("y:0", {"x:0": x}), want)
    with tf.Session(graph=tf.Graph()) as sess:
        tf.saved_model.loader.load(sess, ["serve"], str(DATA / "main_op_savedmodel"))
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": x}), want)


def _copy(name, tmp_path):
    return Path(shutil.copytree(DATA / name, tmp_path / name))


def test_unfrozen_saved_model_errors(tmp_path):
    m = _copy("linear_variables_savedmodel", tmp_path)
    with pytest.raises(RuntimeError, match=r"tags \['train'\] could not be found in "
                                           r"SavedModel .*, with available tags \[\['serve'\]\]"):
        tf.saved_model.loader.load(tf.Session(graph=tf.Graph()), ["train"], str(m))
    with pytest.raises(OSError, match=r"SavedModel file does not exist at: .*/"
                                      r"\{saved_model.pbtxt\|saved_model.pb\}$"):
        tf.saved_model.loader.load(tf.Session(graph=tf.Graph()), ["serve"], str(tmp_path))
    with pytest.raises(NotFoundError, match="no MetaGraphDef with tags"):  # the model loader
        export.load_saved_model(m, tags=("train",))
    # The variable's dtype or shape differs from the checkpoint's value.
    sm = saved_model_pb2.SavedModel.FromString((m / "saved_model.pb").read_bytes())
    node = next(n for n in sm.meta_graphs[0].graph_def.node if n.name == "w")
    node.attr["dtype"].type = 2  # DT_DOUBLE
    (m / "saved_model.pb").write_bytes(sm.SerializeToString())
    with pytest.raises(InvalidArgumentError, match="variable w is float64, but the checkpoint "
                                                   "holds float32"):
        export.load_saved_model(m)
    node.attr["dtype"].type = 1
    node.attr["shape"].shape.dim[0].size = 3
    (m / "saved_model.pb").write_bytes(sm.SerializeToString())
    with pytest.raises(InvalidArgumentError, match=r"shape \[3, 1\], but the checkpoint's "
                                                   r"value has \[2, 1\]"):
        export.load_saved_model(m)
    node.attr["shape"].shape.dim[0].size = 2
    node.name = "w2"  # the graph's variable is not in the checkpoint
    for n in sm.meta_graphs[0].graph_def.node:  # (nor does the Saver's restore op name it)
        if not n.name.startswith("save/"):
            n.input[:] = ["w2" if i == "w" else i for i in n.input]
    (m / "saved_model.pb").write_bytes(sm.SerializeToString())
    with pytest.raises(NotFoundError, match="variable w2 is not in the checkpoint"):
        export.load_saved_model(m)
    shutil.rmtree(m / "variables")
    with pytest.raises(NotFoundError, match=r"has variables \(w2\) but there is no checkpoint"):
        export.load_saved_model(m)
    # A signature that needs a variable update cannot be frozen.
    m = _copy("resource_variables_savedmodel", tmp_path / "r")
    sm = saved_model_pb2.SavedModel.FromString((m / "saved_model.pb").read_bytes())
    sm.meta_graphs[0].signature_def["serving_default"].outputs["y"].name = \
        "GradientDescent/update_dense/b/ResourceApplyGradientDescent"
    (m / "saved_model.pb").write_bytes(sm.SerializeToString())
    with pytest.raises(UnimplementedError, match="ResourceApplyGradientDescent.*changes a "
                                                 "variable"):
        export.load_saved_model(m)
    with pytest.raises(UnimplementedError, match="signature 'serving_default' tensor 'y'"):
        tf.saved_model.load(tf.Session(graph=tf.Graph()), ["serve"], str(m))


def test_a_missing_checkpoint_data_file_is_not_found(tmp_path):
    """A SavedModel whose variables.data-* file is gone: TF's NotFoundError naming the file,
    from both loaders (it was a bare ``KeyError: 'w'``: a ChainMap swallowed the reader's
    NotFoundError, a KeyError, and raised its own)."""
    m = _copy("linear_variables_savedmodel", tmp_path)
    data = m / "variables" / "variables.data-00000-of-00001"
    data.unlink()
    match = f"data file {data} \\(holding tensor 'w'\\) not found"
    with pytest.raises(NotFoundError, match=match):
        export.load_saved_model(m)
    with pytest.raises(NotFoundError, match=match):
        tf.saved_model.loader.load(tf.Session(graph=tf.Graph()), ["serve"], str(m))
    if _tensorflow_available():  # TF's class for the same directory
        import os
        import subprocess
        import sys

        code = ("import sys, tensorflow.compat.v1 as tf\n"
                "tf.disable_v2_behavior()\n"
                "try:\n"
                "    tf.saved_model.loader.load(tf.Session(graph=tf.Graph()), ['serve'], "
                "sys.argv[1])\n"
                "except Exception as e:\n"
                "    print(type(e).__name__)\n")
        done = subprocess.run([sys.executable, "-c", code, str(m)], capture_output=True,
                              text=True, timeout=600,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        assert done.stdout.split()[-1:] == ["NotFoundError"], done.stderr[-2000:]


def test_a_layer_s_own_lookup_error_is_not_swallowed():
    """The loader's layered mappings fall through only where a layer lacks the key."""
    from minitf.export.saved_model_load import _Layers

    class Failing(dict):
        def __getitem__(self, key):
            raise NotFoundError(None, None, f"data file of {key!r} not found")

    layers = _Layers({"a": 1}, Failing(w=0))
    assert layers["a"] == 1 and "w" in layers
    with pytest.raises(NotFoundError, match="data file of 'w' not found"):
        layers["w"]
    with pytest.raises(KeyError):
        layers["nothing"]


def test_loader_leaves_out_ops_minitf_lacks_unless_a_signature_needs_them(tmp_path, caplog):
    m = _copy("linear_variables_savedmodel", tmp_path)
    sm = saved_model_pb2.SavedModel.FromString((m / "saved_model.pb").read_bytes())
    gd = sm.meta_graphs[0].graph_def
    gd.node.add(name="audit", op="SomeCustomOp", input=["y"])
    gd.node.add(name="after_audit", op="Identity", input=["audit"]).attr["T"].type = 1
    (m / "saved_model.pb").write_bytes(sm.SerializeToString())
    feed = np.array([[1.0, 1.0]], np.float32)
    with caplog.at_level("WARNING", logger="minitf.export"):
        _, out = _predict(m, feeds={"x": feed})
    np.testing.assert_array_equal(out["y"], feed @ W)
    assert "left out the nodes using ops minitf does not support (SomeCustomOp)" in caplog.text
    sm.meta_graphs[0].signature_def["serving_default"].outputs["y"].name = "after_audit:0"
    (m / "saved_model.pb").write_bytes(sm.SerializeToString())
    with pytest.raises(UnimplementedError, match="needs op type 'SomeCustomOp' \\(node 'audit'\\)"):
        tf.saved_model.load(tf.Session(graph=tf.Graph()), ["serve"], str(m))
    # The model loader freezes what the signatures need only, so it reports the op itself.
    with pytest.raises(UnimplementedError, match="SomeCustomOp"):
        export.load_saved_model(m)


# -- minitf -> TensorFlow -----------------------------------------------------------------------
@pytest.mark.tensorflow
def test_tensorflow_loads_what_the_builder_writes(tmp_path):
    if not _tensorflow_available():
        pytest.skip("tensorflow is not installed")
    sess, x, _, y = _linear()
    feed = np.array([[1.0, 2.0], [0.5, 0.25]], np.float32)
    np.savez(tmp_path / "feeds.npz", x=feed)
    tf.saved_model.simple_save(sess, str(tmp_path / "simple"), {"x": x}, {"y": y})
    builder = tf.saved_model.Builder(str(tmp_path / "text"))
    builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
        "serving_default": tf.saved_model.predict_signature_def({"x": x}, {"y": y})})
    builder.save(as_text=True)
    sess.close()
    cases = [{"id": kind, "kind": "saved_model_v1", "path": str(tmp_path / kind),
              "feeds": str(tmp_path / "feeds.npz"), "inputs": {}, "outputs": {},
              "prefix": None, "result": str(tmp_path / f"{kind}.npz")}
             for kind in ("simple", "text")]
    for cid, (ok, values, info) in run_tensorflow(cases, tmp_path).items():
        assert ok, f"{cid}: {info}"
        np.testing.assert_allclose(values["y"], feed @ W + 0.5, err_msg=cid)


def test_only_the_variables_the_signatures_need_are_read(tmp_path):
    """An optimizer's slots, say, are never read: here a damaged extra tensor does not stop the
    load, while damage to a needed one is reported."""
    from minitf.train.tensor_bundle import data_filename, read_index, write_bundle

    m = _copy("linear_variables_savedmodel", tmp_path)
    prefix = str(m / "variables" / "variables")
    write_bundle(prefix, {"w": W, "w/Adam": np.full((2, 1), 7.0, np.float32)})
    entry = read_index(prefix)[1]["w/Adam"]
    data = bytearray(Path(data_filename(prefix, 0, 1)).read_bytes())
    data[entry.offset] ^= 0xFF
    Path(data_filename(prefix, 0, 1)).write_bytes(bytes(data))
    feed = np.array([[1.0, -1.0]], np.float32)
    with tf.Session(graph=export.load_saved_model(m).graph) as s:
        np.testing.assert_array_equal(s.run("y:0", {"x:0": feed}), feed @ W)
    _, out = _predict(m, feeds={"x": feed})
    np.testing.assert_array_equal(out["y"], feed @ W)
    entry = read_index(prefix)[1]["w"]
    data[entry.offset] ^= 0xFF
    Path(data_filename(prefix, 0, 1)).write_bytes(bytes(data))
    with pytest.raises(DataLossError, match="Checksum does not match for tensor 'w' in"):
        export.load_saved_model(m)


def test_tensorflow_resource_variables_in_cond_and_loop_and_an_intermediate_input(caplog):
    """TF1's tf.cond and tf.while_loop pass a resource variable's handle through Switch and
    Enter (typed DT_RESOURCE); frozen, they carry its value (typed float, as TF's converter
    retypes them). The signature input x is computed from a string (a regex and a number
    parse): it is fed, so load_saved_model makes it a placeholder and leaves its upstream out;
    tf.saved_model.loader.load imports the whole graph, so x can be computed there too."""
    with np.load(DATA / "resource_cf.npz", allow_pickle=False) as z:
        want = {k: z[k] for k in z.files}
    x = want["in:x"]
    model = export.load_saved_model(DATA / "resource_cf_savedmodel")
    assert model.graph.get_operation_by_name("x").type == "Placeholder"
    types = {op.type for op in model.graph.get_operations()}
    assert {"Switch", "Enter", "Merge"} <= types
    assert not types & {"VarHandleOp", "ReadVariableOp", "StaticRegexReplace"}
    sig = model.signatures["serving_default"]
    with tf.Session(graph=model.graph) as sess:
        for taken in (True, False):
            c, loop = sess.run([sig.outputs["c"].name, sig.outputs["l"].name],
                               {sig.inputs["x"].name: x, sig.inputs["p"].name: taken})
            np.testing.assert_array_equal(c, want[f"out:c:{taken}"])
            np.testing.assert_array_equal(loop, want["out:l"])
    with caplog.at_level("WARNING", logger="minitf.export"):
        _, out = _predict(DATA / "resource_cf_savedmodel", feeds={"x": x, "p": np.array(False)})
    np.testing.assert_array_equal(out["c"], want["out:c:False"])
    np.testing.assert_array_equal(out["l"], want["out:l"])
    assert "left out" not in caplog.text  # nothing in it is an op minitf lacks
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["serve"], str(DATA / "resource_cf_savedmodel"))
        got = sess.run("x:0", {"raw:0": np.array([b"1a", b"a2", b"4"], dtype=object)})
    np.testing.assert_array_equal(got, x)
