"""TensorFlow Serving's API, as its official client speaks it.

- Golden replay (always runs): requests serialised by tensorflow-serving-api's own classes
  (data/make_golden.py) are sent as raw bytes to the canonical method paths; the answers are
  decoded with minitf's protos and checked against numpy references, refusals by status code
  and message.
- Official client (marked ``tensorflow``; skipped without it): PredictionServiceStub and
  ModelServiceStub unchanged, responses decoded with the official classes and
  ``tf.make_ndarray``; the committed golden bytes are checked against what the client builds
  today, and every golden response also decodes with the official classes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import grpc
import numpy as np
import pytest

import minitf as tf
from minitf.export import save_model
from minitf.export.tensors import make_ndarray, make_tensor_proto
from minitf.protos import (get_model_metadata_pb2, get_model_status_pb2, predict_pb2,
                           session_service_pb2, unpack_any)
from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import B1, W1, W2, reference, running_server, write_model

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = json.loads((DATA / "golden.json").read_text())["requests"]
with np.load(DATA / "inputs.npz", allow_pickle=False) as _z:
    GOLDEN_INPUTS = {k: _z[k] for k in _z.files}

SCALES = {1: 1.0, 2: 2.0}  # "dense" version -> the logits scale it was written with
ALL_OUTPUTS = ("classes", "logits", "probs")
AVAILABLE = 30  # ModelVersionStatus.State.AVAILABLE

# Golden requests that are answered: what the answer must be.
ANSWERED = {
    "predict_latest": dict(model="dense", version=2, signature="serving_default",
                           outputs=ALL_OUTPUTS),
    "predict_version1_filter": dict(model="dense", version=1, signature="serving_default",
                                    outputs=("probs",)),
    "predict_label_stable": dict(model="dense", version=1, signature="serving_default",
                                 outputs=("classes", "logits")),
    "predict_label_canary": dict(model="dense", version=2, signature="serving_default",
                                 outputs=ALL_OUTPUTS),
    "predict_signature_hidden": dict(model="multi", version=1, signature="hidden",
                                     outputs=("h",)),
    "predict_float_val": dict(model="dense", version=1, signature="serving_default",
                              outputs=ALL_OUTPUTS),
    "predict_float_val_repeat_last": dict(model="dense", version=1,
                                          signature="serving_default", outputs=ALL_OUTPUTS),
}
# Golden requests that are refused: status code and substrings the message must contain.
REFUSED = {
    "predict_wrong_dtype": ("INVALID_ARGUMENT", ["'x'", "float32", "float64"]),
    "predict_wrong_shape": ("INVALID_ARGUMENT", ["'x'", "[-1,4]", "[3, 5]"]),
    "predict_unknown_alias": ("INVALID_ARGUMENT", ["Sent extra: {images}",
                                                   "Missing but required: {x}"]),
    "predict_unknown_model": ("NOT_FOUND", ["Latest(nope)"]),
    "predict_unknown_version": ("NOT_FOUND", ["dense", "9"]),
    "predict_unknown_label": ("INVALID_ARGUMENT", ["Unrecognized servable version label: beta"]),
    "predict_unknown_signature": ("FAILED_PRECONDITION", ['"classify"']),
    "predict_bad_output_filter": ("INVALID_ARGUMENT", ["scores", "{classes,logits,probs}"]),
    "predict_missing_model_spec": ("INVALID_ARGUMENT", ["Missing ModelSpec"]),
    "session_run_unknown_fetch": ("NOT_FOUND", ["nope:0"]),
}
OTHER = {"metadata_latest", "metadata_version1", "status_all", "status_version1",
         "status_label_canary", "session_run_by_name", "session_run_by_alias"}


def hidden_reference(x):
    return np.maximum(x @ W1 + B1, 0)


def write_multi_signature_model(base: str) -> str:
    """"multi" v1: signatures serving_default (x -> probs) and hidden (x -> h, the ReLU)."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w1, b1, w2 = (tf.Variable(v, name=n) for v, n in ((W1, "w1"), (B1, "b1"), (W2, "w2")))
        h = tf.nn.relu(tf.matmul(x, w1) + b1, name="h")
        probs = tf.nn.softmax(tf.matmul(h, w2), name="probs")
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            return save_model(os.path.join(base, "1"), sess, signatures={
                "serving_default": {"inputs": {"x": x}, "outputs": {"probs": probs}},
                "hidden": {"inputs": {"x": x}, "outputs": {"h": h}}})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """"dense" v1 (scale 1) and v2 (scale 2), both served, labels stable=1 canary=2; "multi"
    with two signatures. Batching on."""
    root = tmp_path_factory.mktemp("tfserving")
    for version, scale in SCALES.items():
        write_model(str(root / "dense"), version, scale)
    write_multi_signature_model(str(root / "multi"))
    models = [ModelConfig(name="dense", base_path=str(root / "dense"), version_policy="all",
                          version_labels={"stable": 1, "canary": 2}),
              ModelConfig(name="multi", base_path=str(root / "multi"))]
    with running_server(models, BatchingConfig(max_batch_size=8,
                                               batch_timeout_micros=1000)) as (server, client):
        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
        yield server, client, channel
        channel.close()


def replay(channel, name) -> bytes:
    """Sends a golden request's bytes unchanged (identity serialisers) and returns the raw
    response bytes."""
    entry = GOLDEN[name]
    call = channel.unary_unary(entry["method"])  # no serialisers: bytes in, bytes out
    return call((DATA / entry["file"]).read_bytes(), timeout=10)


def expected_outputs(name, model, version, signature, outputs):
    x = GOLDEN_INPUTS[f"{name}/x"]
    if signature == "hidden":
        return {"h": hidden_reference(x)}
    ref = reference(x, SCALES[version])
    return {a: ref[a] for a in outputs}


def assert_outputs(actual: dict, expected: dict):
    assert sorted(actual) == sorted(expected)
    for alias, want in expected.items():
        got = actual[alias]
        assert got.shape == want.shape, alias
        if np.issubdtype(want.dtype, np.floating):
            assert got.dtype == np.float32, alias
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=alias)
        else:
            assert got.dtype == np.int64, alias
            np.testing.assert_array_equal(got, want, err_msg=alias)


# -- golden replay (always) ---------------------------------------------------------------------
def test_every_golden_request_has_an_expectation():
    assert set(GOLDEN) == set(ANSWERED) | set(REFUSED) | OTHER


def test_golden_inputs_decode_like_tensorflow():
    """Our TensorProto decoder reads each golden request's tensors exactly as TensorFlow's
    make_ndarray did when the bytes were written (tensor_content and typed lists alike)."""
    checked = 0
    for name, entry in GOLDEN.items():
        raw = (DATA / entry["file"]).read_bytes()
        if entry["type"] == "tensorflow.serving.PredictRequest":
            tensors = dict(predict_pb2.PredictRequest.FromString(raw).inputs)
        elif entry["type"] == "tensorflow.serving.SessionRunRequest":
            tensors = {f.name: f.tensor for f in
                       session_service_pb2.SessionRunRequest.FromString(raw).feed}
        else:
            continue
        for key, proto in tensors.items():
            want = GOLDEN_INPUTS[f"{name}/{key}"]
            got = make_ndarray(proto)
            assert got.dtype == want.dtype and got.shape == want.shape, name
            np.testing.assert_array_equal(got, want, err_msg=name)
            checked += 1
    assert checked >= len(ANSWERED)


@pytest.mark.parametrize("name", sorted(ANSWERED))
def test_golden_predict_answered(served, name):
    _, _, channel = served
    want = ANSWERED[name]
    response = predict_pb2.PredictResponse.FromString(replay(channel, name))
    # The effective model spec: the version a label or "latest" resolved to, and the signature.
    assert response.model_spec.name == want["model"]
    assert response.model_spec.version.value == want["version"]
    assert response.model_spec.signature_name == want["signature"]
    actual = {a: make_ndarray(t) for a, t in response.outputs.items()}
    assert_outputs(actual, expected_outputs(name, **want))


def test_predict_outputs_travel_in_typed_fields(served):
    """As TF Serving answers by default (Tensor::AsProtoField): every value in its typed list,
    so a client that reads ``outputs['probs'].float_val`` (TF Serving's mnist_client does) gets
    them all, and nothing in tensor_content."""
    _, _, channel = served
    response = predict_pb2.PredictResponse.FromString(replay(channel, "predict_latest"))
    x = GOLDEN_INPUTS["predict_latest/x"]
    ref = reference(x, SCALES[ANSWERED["predict_latest"]["version"]])
    assert x.shape[0] > 1  # several rows: TF's Python encoder would use tensor_content
    for alias, field in (("probs", "float_val"), ("logits", "float_val"),
                         ("classes", "int64_val")):
        tensor = response.outputs[alias]
        assert tensor.tensor_content == b"", alias
        values = np.array(getattr(tensor, field))
        assert [d.size for d in tensor.tensor_shape.dim] == list(ref[alias].shape)
        if field == "float_val":
            np.testing.assert_allclose(values, ref[alias].reshape(-1), rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(values, ref[alias].reshape(-1))


def test_golden_float_val_repeats_last_value(served):
    """A short float_val list fills the shape with its last value (TensorFlow's rule)."""
    x = GOLDEN_INPUTS["predict_float_val_repeat_last/x"]
    assert x.shape == (2, 4) and np.all(x.reshape(-1)[1:] == -1.0)
    response = predict_pb2.PredictResponse.FromString(
        replay(served[2], "predict_float_val_repeat_last"))
    np.testing.assert_allclose(make_ndarray(response.outputs["logits"]),
                               reference(np.array([[0.5, -1, -1, -1], [-1, -1, -1, -1]],
                                                  np.float32))["logits"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_golden_refused(served, name):
    code, fragments = REFUSED[name]
    with pytest.raises(grpc.RpcError) as err:
        replay(served[2], name)
    assert err.value.code().name == code, err.value.details()
    for fragment in fragments:
        assert fragment in err.value.details()


@pytest.mark.parametrize("name,version", [("metadata_latest", 2), ("metadata_version1", 1)])
def test_golden_get_model_metadata(served, name, version):
    response = get_model_metadata_pb2.GetModelMetadataResponse.FromString(
        replay(served[2], name))
    assert response.model_spec.name == "dense"
    assert response.model_spec.version.value == version
    packed = response.metadata["signature_def"]
    # The canonical type URL, so the official client's Any.Unpack accepts it.
    assert packed.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    sigmap = unpack_any(packed, get_model_metadata_pb2.SignatureDefMap)
    assert list(sigmap.signature_def) == ["serving_default"]
    sd = sigmap.signature_def["serving_default"]
    assert sd.method_name == "tensorflow/serving/predict"
    assert sd.inputs["x"].name == "x:0"
    assert sd.inputs["x"].dtype == 1  # DT_FLOAT
    assert [d.size for d in sd.inputs["x"].tensor_shape.dim] == [-1, 4]
    assert sorted(sd.outputs) == list(ALL_OUTPUTS)
    assert sd.outputs["classes"].dtype == 9  # DT_INT64
    assert [d.size for d in sd.outputs["probs"].tensor_shape.dim] == [-1, 3]


@pytest.mark.parametrize("name,versions", [("status_all", [1, 2]), ("status_version1", [1]),
                                           ("status_label_canary", [2])])
def test_golden_get_model_status(served, name, versions):
    response = get_model_status_pb2.GetModelStatusResponse.FromString(replay(served[2], name))
    assert [s.version for s in response.model_version_status] == versions
    for s in response.model_version_status:
        assert s.state == AVAILABLE
        # Set even when healthy, as TF Serving's GetModelStatus sets it (error_code OK).
        assert s.HasField("status")
        assert s.status.error_code == 0 and s.status.error_message == ""


def test_golden_session_run(served):
    x = GOLDEN_INPUTS["session_run_by_name/x:0"]
    response = session_service_pb2.SessionRunResponse.FromString(
        replay(served[2], "session_run_by_name"))
    assert response.model_spec.name == "dense" and response.model_spec.version.value == 1
    assert [t.name for t in response.tensor] == ["probs:0", "Relu:0"]
    np.testing.assert_allclose(make_ndarray(response.tensor[0].tensor), reference(x)["probs"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(make_ndarray(response.tensor[1].tensor), hidden_reference(x),
                               rtol=1e-5, atol=1e-6)

    x = GOLDEN_INPUTS["session_run_by_alias/x"]
    response = session_service_pb2.SessionRunResponse.FromString(
        replay(served[2], "session_run_by_alias"))
    assert response.model_spec.version.value == 2
    assert [t.name for t in response.tensor] == ["logits", "classes"]
    ref = reference(x, SCALES[2])
    np.testing.assert_allclose(make_ndarray(response.tensor[0].tensor), ref["logits"],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(make_ndarray(response.tensor[1].tensor), ref["classes"])


# -- the official client (where TensorFlow is installed) -------------------------------------
class Official:
    """tensorflow + tensorflow_serving.apis, imported on first use (skips without them)."""

    def __init__(self):
        self.tf = pytest.importorskip("tensorflow")
        pytest.importorskip("tensorflow_serving.apis")
        from tensorflow_serving.apis import (get_model_metadata_pb2 as metadata,
                                             get_model_status_pb2 as status,
                                             model_service_pb2_grpc as model_service,
                                             predict_pb2 as predict,
                                             prediction_service_pb2_grpc as prediction_service,
                                             session_service_pb2 as session)
        self.predict, self.metadata, self.status, self.session = predict, metadata, status, session
        self.prediction_service, self.model_service = prediction_service, model_service

    def predict_request(self, x, model="dense", version=None, label=None, signature=None,
                        output_filter=()):
        req = self.predict.PredictRequest()
        req.model_spec.name = model
        if version is not None:
            req.model_spec.version.value = version
        if label is not None:
            req.model_spec.version_label = label
        if signature is not None:
            req.model_spec.signature_name = signature
        req.inputs["x"].CopyFrom(self.tf.make_tensor_proto(x))
        req.output_filter.extend(output_filter)
        return req

    def outputs(self, response) -> dict:
        return {a: self.tf.make_ndarray(t) for a, t in response.outputs.items()}


@pytest.fixture(scope="module")
def official():
    return Official()


@pytest.fixture(scope="module")
def stubs(served, official):
    channel = served[2]
    return (official.prediction_service.PredictionServiceStub(channel),
            official.model_service.ModelServiceStub(channel))


X2 = np.array([[0.1, 0.2, -0.3, 0.4], [1.0, -1.0, 0.5, -0.5]], np.float32)


@pytest.mark.tensorflow
def test_official_predict_all_outputs_latest(official, stubs):
    response = stubs[0].Predict(official.predict_request(X2), timeout=10)
    assert response.model_spec.name == "dense"
    assert response.model_spec.version.value == 2
    assert response.model_spec.signature_name == "serving_default"
    assert_outputs(official.outputs(response), reference(X2, SCALES[2]))


@pytest.mark.tensorflow
@pytest.mark.parametrize("version", [1, 2])
def test_official_predict_version_and_output_filter(official, stubs, version):
    response = stubs[0].Predict(official.predict_request(
        X2, version=version, output_filter=["probs", "classes"]), timeout=10)
    assert response.model_spec.version.value == version
    ref = reference(X2, SCALES[version])
    assert_outputs(official.outputs(response), {"probs": ref["probs"],
                                                "classes": ref["classes"]})


@pytest.mark.tensorflow
@pytest.mark.parametrize("label,version", [("stable", 1), ("canary", 2)])
def test_official_predict_version_label(official, stubs, label, version):
    response = stubs[0].Predict(official.predict_request(X2, label=label,
                                                         output_filter=["logits"]), timeout=10)
    assert response.model_spec.version.value == version  # the label's effective version
    assert_outputs(official.outputs(response),
                   {"logits": reference(X2, SCALES[version])["logits"]})


@pytest.mark.tensorflow
def test_official_predict_signature_name(official, stubs):
    response = stubs[0].Predict(official.predict_request(X2, model="multi",
                                                         signature="hidden"), timeout=10)
    assert response.model_spec.name == "multi"
    assert response.model_spec.signature_name == "hidden"
    assert_outputs(official.outputs(response), {"h": hidden_reference(X2)})
    # Without a signature name the default one answers, with its own outputs.
    response = stubs[0].Predict(official.predict_request(X2, model="multi"), timeout=10)
    assert response.model_spec.signature_name == "serving_default"
    assert_outputs(official.outputs(response), {"probs": reference(X2)["probs"]})


@pytest.mark.tensorflow
def test_official_predict_refusals(official, stubs):
    with pytest.raises(grpc.RpcError) as err:
        stubs[0].Predict(official.predict_request(X2, signature="nope"), timeout=10)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert '"nope"' in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        stubs[0].Predict(official.predict_request(X2.astype(np.float64)), timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "float64" in err.value.details()


@pytest.mark.tensorflow
def test_official_get_model_metadata(official, stubs):
    req = official.metadata.GetModelMetadataRequest(metadata_field=["signature_def"])
    req.model_spec.name = "multi"
    response = stubs[0].GetModelMetadata(req, timeout=10)
    assert response.model_spec.name == "multi" and response.model_spec.version.value == 1
    sigmap = official.metadata.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(sigmap)  # the official Any.Unpack
    assert sorted(sigmap.signature_def) == ["hidden", "serving_default"]
    tf_ = official.tf
    hidden = sigmap.signature_def["hidden"]
    assert hidden.method_name == tf_.saved_model.PREDICT_METHOD_NAME
    assert hidden.inputs["x"].dtype == tf_.float32.as_datatype_enum
    assert tf_.TensorShape(hidden.inputs["x"].tensor_shape).as_list() == [None, 4]
    assert tf_.TensorShape(hidden.outputs["h"].tensor_shape).as_list() == [None, 8]
    assert list(sigmap.signature_def["serving_default"].outputs) == ["probs"]


@pytest.mark.tensorflow
def test_official_get_model_status(official, stubs):
    req = official.status.GetModelStatusRequest()
    req.model_spec.name = "dense"
    response = stubs[1].GetModelStatus(req, timeout=10)
    states = official.status.ModelVersionStatus.State
    assert [(s.version, s.state) for s in response.model_version_status] == \
        [(1, states.AVAILABLE), (2, states.AVAILABLE)]
    req.model_spec.version.value = 7
    with pytest.raises(grpc.RpcError) as err:
        stubs[1].GetModelStatus(req, timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and "7" in err.value.details()


def _make_golden_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_golden", DATA / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.tensorflow
def test_golden_bytes_are_what_the_official_client_builds(official):
    """Regenerating the requests today gives the committed messages (compared parsed, with the
    official classes, so serialisation details of a protobuf upgrade do not matter)."""
    built = _make_golden_module().build_requests()
    assert set(built) == set(GOLDEN)
    for name, (method, message) in built.items():
        assert GOLDEN[name]["method"] == method
        committed = type(message).FromString((DATA / GOLDEN[name]["file"]).read_bytes())
        assert committed == message, name


@pytest.mark.tensorflow
def test_golden_responses_decode_with_official_classes(official, served):
    """The server's answers to the golden requests parse with the official response classes
    and ``tf.make_ndarray`` gives the same values as minitf's decoder."""
    channel = served[2]
    for name in sorted(ANSWERED):
        raw = replay(channel, name)
        theirs = official.predict.PredictResponse.FromString(raw)
        ours = predict_pb2.PredictResponse.FromString(raw)
        assert theirs.model_spec.version.value == ANSWERED[name]["version"]
        assert sorted(theirs.outputs) == sorted(ours.outputs)
        for alias in ours.outputs:
            a, b = official.tf.make_ndarray(theirs.outputs[alias]), make_ndarray(ours.outputs[
                alias])
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
    raw = replay(channel, "metadata_latest")
    sigmap = official.metadata.SignatureDefMap()
    assert official.metadata.GetModelMetadataResponse.FromString(raw).metadata[
        "signature_def"].Unpack(sigmap)
    assert sorted(sigmap.signature_def["serving_default"].outputs) == list(ALL_OUTPUTS)
    status = official.status.GetModelStatusResponse.FromString(replay(channel, "status_all"))
    assert [s.version for s in status.model_version_status] == [1, 2]
    session = official.session.SessionRunResponse.FromString(
        replay(channel, "session_run_by_name"))
    np.testing.assert_allclose(official.tf.make_ndarray(session.tensor[0].tensor),
                               reference(GOLDEN_INPUTS["session_run_by_name/x:0"])["probs"],
                               rtol=1e-5, atol=1e-6)


def test_serves_a_tensorflow_cnn_with_fused_batch_norm(tmp_path):
    """TensorFlow's own CNN with tf.layers.batch_normalization (FusedBatchNormV3, trained
    moving statistics), frozen by TF: served with TF's probabilities, whole batch or row by
    row."""
    import shutil

    data = Path(__file__).parents[1] / "export" / "data"
    shutil.copytree(data / "bn_cnn_savedmodel", tmp_path / "bn_cnn" / "1")
    z = np.load(data / "bn_cnn.npz")
    inputs = {k[3:]: z[k] for k in z.files if k.startswith("in:")}
    want = {k[4:]: z[k] for k in z.files if k.startswith("out:")}
    with running_server([ModelConfig(name="bn_cnn", base_path=str(tmp_path / "bn_cnn"))]) as (
            _, client):
        got = client.predict("bn_cnn", inputs)
        rows = [client.predict("bn_cnn", {a: v[i:i + 1] for a, v in inputs.items()})
                for i in range(len(next(iter(inputs.values()))))]
    assert set(got) == set(want)
    for alias, value in want.items():
        np.testing.assert_allclose(got[alias], value, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.concatenate([r[alias] for r in rows]), value, rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("name", ["linear_variables", "resource_variables"])
def test_serves_an_unfrozen_tensorflow_saved_model(tmp_path, name):
    """TensorFlow's SavedModelBuilder output with its variables/ checkpoint (ref variables;
    resource variables with an embedding lookup): the server freezes it at load and answers
    as TensorFlow computed."""
    import shutil

    data = Path(__file__).parents[1] / "export" / "data"
    shutil.copytree(data / f"{name}_savedmodel", tmp_path / name / "1")
    if name == "linear_variables":  # w = [[1], [2]] (its generator)
        inputs = {"x": np.array([[1.0, 2.0], [-3.0, 0.5]], np.float32)}
        want = inputs["x"] @ np.array([[1.0], [2.0]], np.float32)
    else:
        z = np.load(data / f"{name}.npz")
        inputs, want = {"ids": z["in:ids"], "x": z["in:x"]}, z["out:y"]
    with running_server([ModelConfig(name=name, base_path=str(tmp_path / name))]) as (
            _, client):
        got = client.predict(name, inputs)
    assert list(got) == ["y"]
    np.testing.assert_allclose(got["y"], want, rtol=1e-6)


@pytest.mark.parametrize("name", ["cond", "while", "rnn"])
def test_serves_a_tensorflow_model_with_tf1_control_flow(tmp_path, name):
    """TensorFlow's own TF1 SavedModels with tf.cond (Switch / Merge), tf.while_loop (Enter,
    NextIteration, Exit..., with a cond and a loop nested in the body) and dynamic_rnn (an
    LSTM over TensorArrays, sequences of their own lengths), from tests/export/data: the
    server answers as TensorFlow computed, and other inputs (other branches, other numbers of
    iterations) answer as minitf's engine does for the graph."""
    import shutil

    from minitf.export import load_saved_model

    data = Path(__file__).parents[1] / "export" / "data"
    shutil.copytree(data / f"{name}_savedmodel", tmp_path / name / "1")
    want = np.load(data / f"{name}.npz")
    inputs = {k[3:]: want[k] for k in want.files if k.startswith("in:")}
    model = load_saved_model(str(tmp_path / name / "1"))
    sig = model.signatures["serving_default"]
    engine = tf.Session(graph=model.graph)
    outs = {a: model.tensor(i.name) for a, i in sig.outputs.items()}
    ins = {a: model.tensor(i.name) for a, i in sig.inputs.items()}
    x = inputs["x"]
    with running_server([ModelConfig(name=name, base_path=str(tmp_path / name))]) as (
            _, client):
        got = client.predict(name, inputs)
        assert set(got) == {k[4:] for k in want.files if k.startswith("out:")}
        for alias in got:  # TF's matmuls sum in another order: ulps, over the iterations
            np.testing.assert_allclose(got[alias], want[f"out:{alias}"], rtol=1e-5, atol=1e-6)
        for other in (-x, x - 1.0, x[:1] * 0.3):
            feed = dict(inputs, x=other)
            if "lengths" in feed:
                feed["lengths"] = feed["lengths"][:len(other)]
            served = client.predict(name, feed)
            computed = engine.run(outs, {ins[a]: v for a, v in feed.items()})
            for alias in outs:
                np.testing.assert_allclose(served[alias], computed[alias], rtol=1e-6)
    engine.close()


def test_an_empty_signature_name_means_serving_default(tmp_path):
    """As TF Serving: a model without serving_default refuses a Predict (or Classify) naming
    no signature, FAILED_PRECONDITION with TF Serving's message, where minitf used to run its
    only signature (clients written against it broke on TF Serving). KServe, which names no
    signature, still falls back to the only one (test_kserve)."""
    from minitf.protos import classification_pb2

    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        save_model(str(tmp_path / "m" / "1"), sess, signatures={
            "my_sig": {"inputs": {"x": x}, "outputs": {"y": tf.identity(x * 3.0, name="y")}}})
    with running_server([ModelConfig(name="m", base_path=str(tmp_path / "m"))],
                        BatchingConfig(max_batch_size=4)) as (server, _), \
            grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        def call(method, request, response_class):
            path = f"/tensorflow.serving.PredictionService/{method}"  # TF Serving's wire name
            return channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=response_class.FromString)(
                request, timeout=10)

        request = predict_pb2.PredictRequest()
        request.model_spec.name = "m"
        request.inputs["x"].CopyFrom(make_tensor_proto(np.ones((1, 2), np.float32)))
        with pytest.raises(grpc.RpcError) as err:
            call("Predict", request, predict_pb2.PredictResponse)
        assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert err.value.details() == 'Serving signature key "serving_default" not found.'
        request.model_spec.signature_name = "my_sig"
        out = call("Predict", request, predict_pb2.PredictResponse)
        np.testing.assert_array_equal(make_ndarray(out.outputs["y"]), [[3.0, 3.0]])
        classify = classification_pb2.ClassificationRequest()
        classify.model_spec.name = "m"
        classify.input.example_list.examples.add()
        with pytest.raises(grpc.RpcError) as err:
            call("Classify", classify, classification_pb2.ClassificationResponse)
        assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert "No signature was found with the name: serving_default" in err.value.details()
