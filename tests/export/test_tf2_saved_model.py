"""SavedModels written by TensorFlow 2 (``tf.saved_model.save`` of a tf.Module, tf_keras'
``model.save(save_format="tf")``) load in minitf and answer as TensorFlow did.

Their graphs hold no model: each signature's outputs are a ``StatefulPartitionedCall`` of a
function in ``graph_def.library``, which calls further functions (nested calls, ``If`` /
``StatelessIf`` branches, ``While`` / ``StatelessWhile`` bodies) with the variables passed
as resource handles, their values in a TF2 checkpoint. The files in data/tf2 were written by
TensorFlow 2.21 (data/generate_tf2_with_tensorflow.py, whose docstring gives the npz key
scheme) with TF's own outputs for fixed inputs; these tests read only those files, so they run
without TensorFlow.

The models with control flow (cond_module, while_module, keras_lstm, nested_while_module) are
a group of their own (``*_control_flow``), apart from the straight-line ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import minitf as tf
from minitf.export import saved_model
from minitf.protos import saved_model_pb2

DATA = Path(__file__).resolve().parent / "data" / "tf2"
PREDICT = "tensorflow/serving/predict"
INIT_OP_KEY = "__saved_model_init_op"
F32, I32 = tf.float32, tf.int32

# What each SavedModel's SignatureDefs declare (as the generator wrote them): signature ->
# (inputs, outputs), alias -> (dtype, shape); and the tensor each input alias names.
SIGNATURES = {
    "module_mlp": {
        "serving_default": ({"x": (F32, [None, 4])},
                            {"y": (F32, [None, 6]), "z": (F32, [None, 3])}),
        "scores": ({"x": (F32, [None, 4]), "ids": (I32, [None])},
                   {"picked": (F32, [None]), "one_hot": (F32, [None]),
                    "embedding": (F32, [None, 2])})},
    "keras_mlp": {"serving_default": ({"features": (F32, [None, 8])},
                                      {"probs": (F32, [None, 3])})},
    "keras_cnn": {"serving_default": ({"images": (F32, [None, 8, 8, 1])},
                                      {"probs": (F32, [None, 5])})},
    "cond_module": {"serving_default": ({"x": (F32, [None, 3])},
                                        {"first": (F32, [None, 2]), "second": (F32, [None, 2]),
                                         "y": (F32, [None, 2])})},
    "while_module": {"serving_default": ({"x": (F32, [None, 3]), "n": (I32, [])},
                                         {"x": (F32, [None, 3]), "count": (I32, []),
                                          "decayed": (F32, [None, 3]), "steps": (I32, [])})},
    "keras_lstm": {"serving_default": ({"sequence": (F32, [None, 5, 3])},
                                       {"out": (F32, [None, 2])})},
    "nested_while_module": {"serving_default": ({"x": (F32, [None, 3])},
                                                {"y": (F32, [None, 3]), "z": (F32, [None, 3])})},
    "lookup_module": {"serving_default": ({"words": (tf.string, [None])},
                                          {"ids": (tf.int64, [None]), "scores": (F32, [None])})},
    "vocab_module": {"serving_default": ({"words": (tf.string, [None])},
                                         {"ids": (tf.int64, [None])})},
    "mutable_table_module": {"serving_default": ({"keys": (tf.string, [None])},
                                                 {"values": (tf.int64, [None])})},
}
STRAIGHT = ["module_mlp", "keras_mlp", "keras_cnn", "lookup_module", "vocab_module",
            "mutable_table_module"]
CONTROL_FLOW = ["cond_module", "while_module", "keras_lstm", "nested_while_module"]
# Ops of each model's function library the fixtures are here to exercise (beside
# StatefulPartitionedCall, which all have).
LIBRARY_OPS = {
    "module_mlp": {"PartitionedCall", "ResourceGather", "GatherV2", "OneHot"},
    "keras_mlp": {"PartitionedCall", "BiasAdd", "Softmax"},
    "keras_cnn": {"PartitionedCall", "Conv2D", "FusedBatchNormV3", "MaxPool", "Mean"},
    "lookup_module": {"LookupTableImportV2", "LookupTableFindV2"},
    "vocab_module": {"InitializeTableFromTextFileV2", "LookupTableFindV2"},
    "mutable_table_module": {"LookupTableImportV2", "LookupTableFindV2"},
    "cond_module": {"If", "StatelessIf"},
    "while_module": {"While", "StatelessWhile"},
    "keras_lstm": {"StatelessWhile", "TensorListReserve", "TensorListFromTensor",
                   "TensorListGetItem", "TensorListSetItem", "TensorListStack"},
    "nested_while_module": {"While", "StatelessIf", "TensorListReserve", "TensorListSetItem",
                            "TensorListStack"},
}


def tf_cases(name) -> dict:
    """``{(signature, case): (inputs, outputs)}`` from ``<name>.npz``: keys
    ``[<signature>[@<case>]/]in:<alias>`` / ``...out:<alias>``, no prefix meaning
    serving_default's first input set (the generator's scheme)."""
    cases: dict = {}
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as z:
        for key in z.files:
            prefix, _, rest = key.rpartition("/")
            kind, _, alias = rest.partition(":")
            if kind == "grad":  # TensorFlow's gradients (test_imported_loop_gradients.py)
                continue
            signature, _, case = (prefix or "serving_default").partition("@")
            entry = cases.setdefault((signature, case), ({}, {}))
            entry[0 if kind == "in" else 1][alias] = z[key]
    return cases


def _saved_model_proto(name):
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString((DATA / name / "1" / "saved_model.pb").read_bytes())
    return sm


def _run(model, signature, inputs):
    sig = model.signatures[signature]
    with tf.Session(graph=model.graph) as sess:
        if model.init_ops:  # (the tables' fills; run as the server would)
            sess.run(list(model.init_ops), {n: np.array(p.encode(), dtype=object)
                                           for n, p in model.assets.items()})
        return sess.run({a: info.name for a, info in sig.outputs.items()},
                        {sig.inputs[a].name: v for a, v in inputs.items()})


def _close(actual, expected, what):
    actual = np.asarray(actual)
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def check_signatures(name):
    model = saved_model.load(DATA / name / "1")
    declared = _saved_model_proto(name).meta_graphs[0].signature_def
    want = SIGNATURES[name]
    # TF writes the init op into the signature map; TF Serving runs it at load and does not
    # serve it.
    assert INIT_OP_KEY in declared
    assert INIT_OP_KEY not in model.signatures
    # Kept as the file has it, with any other signature not served, for model metadata.
    assert model.unserved == {k: sd for k, sd in declared.items() if k not in model.signatures}
    assert sorted(model.signatures) == sorted(want)
    for signature, (ins, outs) in want.items():
        sig = model.signatures[signature]
        assert sig.method_name == PREDICT
        for kind, got, expected in (("input", sig.inputs, ins), ("output", sig.outputs, outs)):
            assert sorted(got) == sorted(expected), f"{signature} {kind}s"
            for alias, (dtype, shape) in expected.items():
                info, what = got[alias], f"{name} {signature} {kind} {alias}"
                assert info.dtype == dtype, what
                assert info.shape.as_list() == shape, what
                assert model.tensor(info.name).dtype == dtype, what
        # The inputs are TF's placeholders, by the names its SignatureDef gives (clients of
        # SessionRun feed them by name).
        assert {a: i.name for a, i in sig.inputs.items()} == {
            a: t.name for a, t in declared[signature].inputs.items()}


def check_outputs(name):
    model = saved_model.load(DATA / name / "1")
    cases = tf_cases(name)
    assert {s for s, _ in cases} == set(SIGNATURES[name])  # every signature has TF's answers
    for (signature, case), (inputs, expected) in sorted(cases.items()):
        assert sorted(inputs) == sorted(SIGNATURES[name][signature][0])
        got = _run(model, signature, inputs)
        assert sorted(got) == sorted(expected)
        for alias in expected:
            _close(got[alias], expected[alias], f"{name} {signature}@{case or 'first'} {alias}")


# -- the files ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_data_files_are_what_tensorflow_2_writes(name):
    """The committed files hold what the loader must handle (or the tests prove nothing): the
    model sits in the function library, called from the graph, with the init op in the map."""
    meta = _saved_model_proto(name).meta_graphs[0]
    assert list(meta.meta_info_def.tags) == ["serve"]
    assert set(meta.signature_def) == set(SIGNATURES[name]) | {INIT_OP_KEY}
    graph_ops = {n.op for n in meta.graph_def.node}
    assert "StatefulPartitionedCall" in graph_ops
    library = {n.op for f in meta.graph_def.library.function for n in f.node_def}
    assert {"StatefulPartitionedCall"} | LIBRARY_OPS[name] <= library
    if name != "mutable_table_module":  # (its only state is the table)
        assert "VarHandleOp" in graph_ops and "ReadVariableOp" in library | graph_ops
    for signature, sd in meta.signature_def.items():
        if signature != INIT_OP_KEY:  # every output comes out of a function call
            assert all(t.name.startswith("StatefulPartitionedCall") for t in sd.outputs.values())
    assert (DATA / name / "1" / "variables" / "variables.index").exists()
    assert (DATA.parent / "generate_tf2_with_tensorflow.py").exists()


def test_npz_key_scheme():
    cases = tf_cases("cond_module")
    assert sorted(cases) == [("serving_default", ""), ("serving_default", "negative"),
                             ("serving_default", "very_negative")]
    inputs, outputs = cases[("serving_default", "negative")]
    assert list(inputs) == ["x"] and sorted(outputs) == ["first", "second", "y"]
    assert sorted(tf_cases("module_mlp")) == [("scores", ""), ("serving_default", "")]


# -- straight-line models --------------------------------------------------------------------------
@pytest.mark.parametrize("name", STRAIGHT)
def test_signatures_as_tensorflow_declares(name):
    check_signatures(name)


@pytest.mark.parametrize("name", STRAIGHT)
def test_outputs_as_tensorflow_computed(name):
    check_outputs(name)


def test_module_mlp_second_signature_reads_its_own_inputs():
    """scores' outputs depend on ids, and its x is not serving_default's placeholder."""
    model = saved_model.load(DATA / "module_mlp" / "1")
    (inputs, expected), = [v for k, v in tf_cases("module_mlp").items() if k[0] == "scores"]
    assert model.signatures["scores"].inputs["x"].name != \
        model.signatures["serving_default"].inputs["x"].name
    flipped = dict(inputs, ids=(2 - inputs["ids"]).astype(np.int32))
    got = _run(model, "scores", flipped)
    # The embedding rows follow the ids: row 2 - i where TF gave row i.
    by_id = {int(i): row for i, row in zip(inputs["ids"], expected["embedding"])}
    np.testing.assert_array_equal(got["embedding"], np.stack([by_id[2 - int(i)] for i in
                                                              inputs["ids"]]))
    np.testing.assert_allclose(got["picked"], got["one_hot"], rtol=1e-6)


# -- control flow: If / StatelessIf, While / StatelessWhile, an LSTM ------------------------------
@pytest.mark.parametrize("name", CONTROL_FLOW)
def test_signatures_as_tensorflow_declares_control_flow(name):
    check_signatures(name)


@pytest.mark.parametrize("name", CONTROL_FLOW)
def test_outputs_as_tensorflow_computed_control_flow(name):
    check_outputs(name)


# -- TF1's loader API ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_tf1_loader_runs_tf2_saved_models(name):
    """``tf.saved_model.loader.load`` (what TF1 code calls) imports a TF2 SavedModel into a
    session's graph, inlined and frozen, and its signature tensors give TF's answers; the
    saver's two functions (with ops only a save needs) are left out."""
    (inputs, expected) = tf_cases(name)[("serving_default", "")]
    with tf.Graph().as_default() as g, tf.Session(graph=g) as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(DATA / name / "1"))
        sd = meta.signature_def["serving_default"]
        got = sess.run({a: t.name for a, t in sd.outputs.items()},
                       {sd.inputs[a].name: v for a, v in inputs.items()})
        assert not any(op.type in ("SaveV2", "RestoreV2", "DisableCopyOnRead")
                       for op in g.get_operations())
    for alias in expected:
        _close(got[alias], expected[alias], f"{name} {alias}")


# -- a signature that changes a variable -----------------------------------------------------------
def test_a_signature_that_changes_a_variable_is_left_out_and_the_others_serve(caplog):
    """counter_module's ``bump`` assigns to a variable, which a model frozen for serving
    cannot do: both loaders leave it out, with a warning naming it, and serve
    serving_default (they refused the whole model before)."""
    sm = _saved_model_proto("counter_module")
    meta = sm.meta_graphs[0]
    assert set(meta.signature_def) == {"serving_default", "bump", INIT_OP_KEY}
    assert "AssignAddVariableOp" in {n.op for f in meta.graph_def.library.function
                                     for n in f.node_def}
    (inputs, expected), = tf_cases("counter_module").values()
    with caplog.at_level("WARNING", logger="minitf.export"):
        model = saved_model.load(DATA / "counter_module" / "1")
    assert sorted(model.signatures) == ["serving_default"]
    assert "left out signature(s) bump: they change variables" in caplog.text
    _close(_run(model, "serving_default", inputs)["y"], expected["y"], "load_saved_model")
    np.testing.assert_allclose(expected["y"], inputs["x"] * 2.5)
    caplog.clear()
    with tf.Graph().as_default() as g, tf.Session(graph=g) as sess, \
            caplog.at_level("WARNING", logger="minitf.export"):
        meta = tf.saved_model.loader.load(sess, ["serve"], str(DATA / "counter_module" / "1"))
        sd = meta.signature_def["serving_default"]
        got = sess.run(sd.outputs["y"].name, {sd.inputs["x"].name: inputs["x"]})
    assert "left out signature 'bump'" in caplog.text
    _close(got, expected["y"], "loader.load")


def _patched_module_mlp(tmp_path, patch) -> Path:
    """module_mlp copied to ``tmp_path``, its graph changed by ``patch(nodes, functions)``
    (the graph's nodes and the library's functions by name)."""
    import shutil

    target = tmp_path / "module_mlp" / "1"
    shutil.copytree(DATA / "module_mlp" / "1", target)
    sm = _saved_model_proto("module_mlp")
    gd = sm.meta_graphs[0].graph_def
    patch({n.name: n for n in gd.node}, {f.signature.name: f for f in gd.library.function})
    (target / "saved_model.pb").write_bytes(sm.SerializeToString())
    return target


def test_a_signature_needing_an_op_or_dtype_minitf_lacks_is_left_out(tmp_path, caplog):
    """module_mlp's ``scores`` made to need an op minitf lacks (its call node becomes a
    SobolSample), or a DataType it lacks (bfloat16 in an attr): load_saved_model (so the
    server) leaves ``scores`` out, with a warning naming it and what it needs, and serves
    serving_default (the whole model was refused before). When every signature needs one,
    the error names the signature."""
    (inputs, expected), = [v for k, v in tf_cases("module_mlp").items()
                           if k == ("serving_default", "")]

    def sobol(nodes, functions):
        nodes["StatefulPartitionedCall"].op = "SobolSample"

    def bfloat16(nodes, functions):  # a node of the function scores calls
        body = functions[nodes["StatefulPartitionedCall"].attr["f"].func.name]
        node = next(n for n in body.node_def if n.op == "Identity")  # (calls are inlined)
        node.attr["Tpatched"].type = 14  # DT_BFLOAT16

    for patch, what in ((sobol, "op type 'SobolSample'"), (bfloat16, "DataType DT_BFLOAT16")):
        caplog.clear()
        with caplog.at_level("WARNING", logger="minitf.export"):
            model = saved_model.load(_patched_module_mlp(tmp_path / patch.__name__, patch))
        assert sorted(model.signatures) == ["serving_default"]
        assert sorted(model.unserved) == [INIT_OP_KEY, "scores"]
        assert f"left out signature 'scores' needs {what}, which minitf does not support" \
            in caplog.text
        for alias in ("y", "z"):
            _close(_run(model, "serving_default", inputs)[alias], expected[alias], alias)

    def both(nodes, functions):
        sobol(nodes, functions)
        nodes["StatefulPartitionedCall_1"].op = "SobolSample"

    from minitf.errors import UnimplementedError

    with pytest.raises(UnimplementedError, match="signature '(scores|serving_default)' needs "
                                                 "op type 'SobolSample'"):
        saved_model.load(_patched_module_mlp(tmp_path / "both", both))
