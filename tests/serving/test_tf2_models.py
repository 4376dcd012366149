"""TensorFlow 2's SavedModels served: tests/export/data/tf2's ``keras_mlp`` (tf_keras'
``model.save(save_format="tf")``), ``module_mlp`` (``tf.saved_model.save`` of a tf.Module
with two signatures, serving_default and scores) and ``lookup_module`` (a string lookup table
the init op fills), whose graphs call their model from the function library. The real server
answers through the KServe v2 gRPC API (Triton's official client, always) and TF Serving's
Predict API (minitf's client, always; the official tensorflow-serving-api stubs where
TensorFlow is installed) with the outputs TensorFlow computed (the .npz beside each model), and
its metadata shows the signatures TF declared and, as TF Serving's (which packs the file's whole
signature map), ``__saved_model_init_op`` (the loader's init op, never served) as the file has
it."""

from __future__ import annotations

import shutil
from pathlib import Path

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton

from minitf.protos import saved_model_pb2, types_pb2
from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import running_server

TF2 = Path(__file__).resolve().parents[1] / "export" / "data" / "tf2"
MODELS = ("keras_mlp", "module_mlp", "lookup_module")
# Signature -> (inputs, outputs): alias -> (KServe datatype, shape), as TF's SignatureDefs
# declare them (tests/export/test_tf2_saved_model.py checks the loader against the files).
DECLARED = {
    "keras_mlp": {"serving_default": ({"features": ("FP32", [-1, 8])},
                                      {"probs": ("FP32", [-1, 3])})},
    "module_mlp": {"serving_default": ({"x": ("FP32", [-1, 4])},
                                       {"y": ("FP32", [-1, 6]), "z": ("FP32", [-1, 3])}),
                   "scores": ({"x": ("FP32", [-1, 4]), "ids": ("INT32", [-1])},
                              {"picked": ("FP32", [-1]), "one_hot": ("FP32", [-1]),
                               "embedding": ("FP32", [-1, 2])})},
    "lookup_module": {"serving_default": ({"words": ("BYTES", [-1])},
                                          {"ids": ("INT64", [-1]), "scores": ("FP32", [-1])})},
}
DTYPE_ENUM = {"FP32": types_pb2.DT_FLOAT, "INT32": types_pb2.DT_INT32,
              "INT64": types_pb2.DT_INT64, "BYTES": types_pb2.DT_STRING}
INIT_OP_KEY = "__saved_model_init_op"


def tf_answers(name) -> dict:
    """``{signature: (inputs, outputs)}``: the first input set of each signature in
    ``<name>.npz`` (keys ``in:<alias>`` for serving_default, ``<signature>/in:<alias>`` for
    another; generate_tf2_with_tensorflow.py's scheme)."""
    out: dict = {}
    with np.load(TF2 / f"{name}.npz", allow_pickle=False) as z:
        for key in z.files:
            prefix, _, rest = key.rpartition("/")
            if "@" in prefix:  # a further input set: not used here
                continue
            kind, _, alias = rest.partition(":")
            entry = out.setdefault(prefix or "serving_default", ({}, {}))
            entry[0 if kind == "in" else 1][alias] = z[key]
    return out


def assert_tf_outputs(got: dict, want: dict, what: str):
    assert sorted(got) == sorted(want), what
    for alias, value in want.items():
        actual = np.asarray(got[alias])
        assert actual.dtype == value.dtype and actual.shape == value.shape, f"{what} {alias}"
        np.testing.assert_allclose(actual, value, rtol=1e-5, atol=1e-6, err_msg=f"{what} {alias}")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The MODELS as a model server's base paths (version 1), batching on."""
    root = tmp_path_factory.mktemp("tf2")
    for name in MODELS:
        shutil.copytree(TF2 / name / "1", root / name / "1")
    configs = [ModelConfig(name=name, base_path=str(root / name)) for name in MODELS]
    with running_server(configs, BatchingConfig(max_batch_size=8, batch_timeout_micros=1000),
                        reflection=False) as (server, client):
        yield server, client


@pytest.fixture(scope="module")
def triton_client(served):
    client = triton.InferenceServerClient(f"127.0.0.1:{served[0].grpc_port}")
    yield client
    client.close()


def _infer_inputs(inputs):
    return [triton.InferInput(alias, list(v.shape), triton_dtype(v)).set_data_from_numpy(v)
            for alias, v in inputs.items()]


def triton_dtype(value):
    if value.dtype.kind in "SO":
        return "BYTES"
    return {np.dtype(np.float32): "FP32", np.dtype(np.int32): "INT32"}[value.dtype]


def _cases():
    return [(name, sig) for name in MODELS for sig in DECLARED[name]]


# -- KServe v2 (gRPC) -----------------------------------------------------------------------------
@pytest.mark.parametrize("name,signature", _cases())
def test_kserve_infer_answers_as_tensorflow(triton_client, name, signature):
    inputs, want = tf_answers(name)[signature]
    params = None if signature == "serving_default" else {"signature_name": signature}
    result = triton_client.infer(name, _infer_inputs(inputs), parameters=params)
    assert_tf_outputs({a: result.as_numpy(a) for a in want}, want, f"{name} {signature}")
    assert {o.name for o in result.get_response().outputs} == set(want)


@pytest.mark.parametrize("name", MODELS)
def test_kserve_model_metadata_shows_the_signature(triton_client, name):
    """ModelMetadata describes serving_default (the signature an unnamed request runs), as TF
    declared its inputs and outputs."""
    meta = triton_client.get_model_metadata(name)
    assert meta.name == name and list(meta.versions) == ["1"]
    assert meta.platform == "tensorflow_savedmodel"
    ins, outs = DECLARED[name]["serving_default"]
    assert {t.name: (t.datatype, list(t.shape)) for t in meta.inputs} == ins
    assert {t.name: (t.datatype, list(t.shape)) for t in meta.outputs} == outs
    assert triton_client.is_model_ready(name, "1")


# -- TF Serving's Predict and GetModelMetadata (minitf's client) ----------------------------------
@pytest.mark.parametrize("name,signature", _cases())
def test_tfserving_predict_answers_as_tensorflow(served, name, signature):
    inputs, want = tf_answers(name)[signature]
    client = served[1]
    got = client.predict(name, inputs, signature=signature)
    assert client.last_model_spec.signature_name == signature
    assert client.last_model_spec.version.value == 1
    assert_tf_outputs(got, want, f"{name} {signature}")
    # Row by row (each request its own batch, or merged with others by the batcher).
    first = next(iter(inputs.values()))
    rows = [client.predict(name, {a: v[i:i + 1] for a, v in inputs.items()},
                           signature=signature) for i in range(len(first))]
    assert_tf_outputs({a: np.concatenate([r[a] for r in rows]) for a in want}, want,
                      f"{name} {signature} by rows")


def test_tfserving_predict_output_filter_on_a_tf2_model(served):
    inputs, want = tf_answers("module_mlp")["scores"]
    got = served[1].predict("module_mlp", inputs, signature="scores", outputs=["picked"])
    assert_tf_outputs(got, {"picked": want["picked"]}, "module_mlp scores [picked]")


def file_signature_defs(name) -> dict:
    sm = saved_model_pb2.SavedModel.FromString((TF2 / name / "1" / "saved_model.pb").read_bytes())
    return dict(sm.meta_graphs[0].signature_def)


@pytest.mark.parametrize("name", MODELS)
def test_tfserving_get_model_metadata_lists_tfs_signatures(served, name):
    sigmap = served[1].metadata(name)
    assert sorted(sigmap) == sorted([*DECLARED[name], INIT_OP_KEY])
    init_op = sigmap.pop(INIT_OP_KEY)  # as in the file (TF Serving copies the whole map)
    assert init_op == file_signature_defs(name)[INIT_OP_KEY]
    assert dict(init_op.outputs)[INIT_OP_KEY].name == "NoOp" and not init_op.inputs
    for signature, (ins, outs) in DECLARED[name].items():
        sd = sigmap[signature]
        assert sd.method_name == "tensorflow/serving/predict"
        for got, want in ((sd.inputs, ins), (sd.outputs, outs)):
            assert {a: (t.dtype, [d.size for d in t.tensor_shape.dim]) for a, t in got.items()} \
                == {a: (DTYPE_ENUM[dt], shape) for a, (dt, shape) in want.items()}
        # TF's placeholders keep the names its SignatureDef gives them.
        assert {a: t.name for a, t in sd.inputs.items()} == {
            a: f"{signature}_{a}:0" for a in ins}


def test_a_signature_that_changes_variables_is_listed_not_served(tmp_path):
    """counter_module's "bump" changes a variable: minitf leaves it out of serving (a frozen
    model cannot change), but its metadata lists it as the file declares it, as TF Serving's
    does; a Predict naming it is refused with the signature's name."""
    shutil.copytree(TF2 / "counter_module" / "1", tmp_path / "counter_module" / "1")
    config = ModelConfig(name="counter_module", base_path=str(tmp_path / "counter_module"))
    with running_server([config], reflection=False) as (_, client):
        sigmap = client.metadata("counter_module")
        declared = file_signature_defs("counter_module")
        assert sorted(sigmap) == sorted(declared) == ["__saved_model_init_op", "bump",
                                                      "serving_default"]
        assert sigmap["bump"] == declared["bump"]
        with pytest.raises(grpc.RpcError) as err:
            client.predict("counter_module", {}, signature="bump")
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert '"bump"' in err.value.details() and "changes variables" in err.value.details()
        x = np.array([1.0, 2.0], np.float32)
        np.testing.assert_allclose(client.predict("counter_module", {"x": x})["y"], x * 2.5)


def test_tfserving_unknown_signature_and_init_op_are_refused(served):
    inputs, _ = tf_answers("module_mlp")["serving_default"]
    for signature in ("nope", INIT_OP_KEY):
        with pytest.raises(grpc.RpcError) as err:
            served[1].predict("module_mlp", inputs, signature=signature)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION, signature
        assert f'"{signature}"' in err.value.details()


# -- the official tensorflow-serving-api client (where TensorFlow is installed) ------------------
@pytest.fixture(scope="module")
def official(served):
    tf = pytest.importorskip("tensorflow")
    pytest.importorskip("tensorflow_serving.apis")
    from tensorflow_serving.apis import (get_model_metadata_pb2, predict_pb2,
                                         prediction_service_pb2_grpc)
    channel = grpc.insecure_channel(f"127.0.0.1:{served[0].grpc_port}")
    yield tf, predict_pb2, get_model_metadata_pb2, \
        prediction_service_pb2_grpc.PredictionServiceStub(channel)
    channel.close()


@pytest.mark.tensorflow
@pytest.mark.parametrize("name,signature", _cases())
def test_official_predict_answers_as_tensorflow(official, name, signature):
    tf, predict_pb2, _, stub = official
    inputs, want = tf_answers(name)[signature]
    req = predict_pb2.PredictRequest()
    req.model_spec.name = name
    if signature != "serving_default":  # (an empty name means serving_default)
        req.model_spec.signature_name = signature
    for alias, value in inputs.items():
        req.inputs[alias].CopyFrom(tf.make_tensor_proto(value))
    response = stub.Predict(req, timeout=10)
    assert response.model_spec.signature_name == signature
    assert_tf_outputs({a: tf.make_ndarray(t) for a, t in response.outputs.items()}, want,
                      f"{name} {signature}")


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", MODELS)
def test_official_get_model_metadata(official, name):
    tf, _, metadata_pb2, stub = official
    req = metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    req.model_spec.name = name
    response = stub.GetModelMetadata(req, timeout=10)
    sigmap = metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(sigmap)
    assert sorted(sigmap.signature_def) == sorted([*DECLARED[name], INIT_OP_KEY])
    for signature, (ins, outs) in DECLARED[name].items():
        sd = sigmap.signature_def[signature]
        assert sd.method_name == tf.saved_model.PREDICT_METHOD_NAME
        for got, want in ((sd.inputs, ins), (sd.outputs, outs)):
            assert sorted(got) == sorted(want)
            for alias, (datatype, shape) in want.items():
                assert got[alias].dtype == DTYPE_ENUM[datatype]
                assert tf.TensorShape(got[alias].tensor_shape).as_list() == [
                    None if d == -1 else d for d in shape]
