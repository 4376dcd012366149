"""TensorFlow Serving's Classify, Regress and MultiInference (tf.Example inputs).

The model ("census") is a parse_example graph exported with minitf's SavedModelBuilder and
signature_def_utils (classification, regression and a few misshapen signatures); every answer
is checked against running the same graph in a Session on the same serialised Examples.

- Golden replay (always runs): requests serialised by tensorflow-serving-api's own classes
  (data/make_inference_golden.py) are sent as raw bytes; answers decode with minitf's protos.
- minitf's client (always runs): classify / regress / multi_inference, with and without a
  context, batching, the method-name check, metrics.
- Official client (marked ``tensorflow``): PredictionServiceStub unchanged, with
  tf.train.Example inputs; the golden bytes are what it builds today.
- An Estimator's canned LinearClassifier, exported with a parsing receiver, serves Classify
  and MultiInference.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import grpc
import numpy as np
import pytest

import minitf as tf
from minitf.protos import classification_pb2, inference_pb2, regression_pb2
from minitf.serving.batching import BatchingConfig
from minitf.serving.client import make_example, make_input
from minitf.serving.repository import ModelConfig
from minitf.serving.services.inference import serialized_examples

from .conftest import running_server

DATA = Path(__file__).resolve().parent / "data" / "inference"
GOLDEN = json.loads((DATA / "golden.json").read_text())["requests"]
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
LABELS = [b"setosa", b"versicolor", b"virginica"]
SCALES = {1: 1.0, 2: 2.0}  # version -> the scale it was exported with
RNG = np.random.default_rng(11)
W = RNG.standard_normal((4, 3)).astype(np.float32)
B = RNG.standard_normal(3).astype(np.float32)
X3 = np.array([[0.5, -1.25, 2.0, 0.75], [-0.5, 0.25, -1.5, 1.0], [1.5, 0.5, -0.25, -2.0]],
              np.float32)


class Census:
    """The graph, its session (for expectations) and its export, versions 1 and 2."""

    def __init__(self, base: str):
        self.graph = tf.Graph()
        sdu, utils = tf.saved_model.signature_def_utils, tf.saved_model.utils
        with self.graph.as_default():
            self.serialized = tf.placeholder(tf.string, [None], name="tf_example")
            feats = tf.parse_example(self.serialized, {
                "x": tf.FixedLenFeature([4], tf.float32),
                "bias": tf.FixedLenFeature([1], tf.float32, default_value=[0.0])})
            self.scale = tf.Variable(1.0, name="scale")
            w, b = tf.Variable(W, name="w"), tf.Variable(B, name="b")
            logits = (tf.matmul(feats["x"], w) + b + feats["bias"]) * self.scale
            self.scores = tf.nn.softmax(logits, name="scores")
            self.classes = tf.tile(tf.constant([LABELS]), [tf.shape(logits)[0], 1],
                                   name="classes")
            self.value = tf.add(tf.reduce_sum(feats["x"], axis=1, keepdims=True) * self.scale,
                                feats["bias"], name="value")
            one_row = tf.constant([LABELS], name="one_row")  # [1, 3] whatever the batch
            info = utils.build_tensor_info
            self.signatures = {
                "serving_default": sdu.classification_signature_def(
                    self.serialized, self.classes, self.scores),
                "scores_only": sdu.classification_signature_def(self.serialized, None,
                                                                self.scores),
                "regress": sdu.regression_signature_def(self.serialized, self.value),
                # What TF2 exports: the predict method name over a classification's shape.
                "predict_shaped": sdu.build_signature_def(
                    {"inputs": info(self.serialized)},
                    {"classes": info(self.classes), "scores": info(self.scores)},
                    tf.saved_model.PREDICT_METHOD_NAME),
                "double_scores": sdu.classification_signature_def(
                    self.serialized, None, tf.cast(self.scores, tf.float64)),
                "one_row": sdu.classification_signature_def(self.serialized, one_row, None),
                "regress_wide": sdu.regression_signature_def(self.serialized, self.scores),
                "predict": sdu.predict_signature_def({"examples": self.serialized},
                                                     {"scores": self.scores}),
            }
            self.sess = tf.Session(graph=self.graph)
            self.sess.run(tf.global_variables_initializer())
            for version, scale in SCALES.items():
                self.sess.run(self.scale.assign(scale))
                builder = tf.saved_model.builder.SavedModelBuilder(
                    os.path.join(base, str(version)))
                builder.add_meta_graph_and_variables(self.sess, ["serve"],
                                                     signature_def_map=self.signatures)
                builder.save()

    def expect(self, examples: np.ndarray, version: int) -> dict:
        """classes, scores and value of the graph for serialised Examples, in the Session."""
        self.sess.run(self.scale.assign(SCALES[version]))
        return self.sess.run({"classes": self.classes, "scores": self.scores,
                              "value": self.value}, {self.serialized: examples})


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    root = tmp_path_factory.mktemp("classify")
    model = Census(str(root / "census"))
    model.root = root
    yield model
    model.sess.close()


@pytest.fixture(scope="module")
def served(census):
    """"census" v1 and v2 with batching on (8 rows, 1 ms), and a raw channel."""
    config = ModelConfig(name="census", base_path=str(census.root / "census"),
                         version_policy="all")
    with running_server([config], BatchingConfig(max_batch_size=8,
                                                 batch_timeout_micros=1000)) as (server, client):
        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
        yield server, client, channel
        channel.close()


def replay(channel, name) -> bytes:
    entry = GOLDEN[name]
    return channel.unary_unary(entry["method"])((DATA / entry["file"]).read_bytes(), timeout=10)


def request_examples(name) -> np.ndarray:
    """The serialised Examples the server feeds for a golden request (context merged)."""
    entry = GOLDEN[name]
    cls = {"tensorflow.serving.ClassificationRequest": classification_pb2.ClassificationRequest,
           "tensorflow.serving.RegressionRequest": regression_pb2.RegressionRequest,
           "tensorflow.serving.MultiInferenceRequest": inference_pb2.MultiInferenceRequest,
           }[entry["type"]]
    return serialized_examples(cls.FromString((DATA / entry["file"]).read_bytes()).input)


def assert_classifications(result, classes=None, scores=None):
    rows = result.classifications
    n = len(classes if classes is not None else scores)
    assert len(rows) == n
    for i, row in enumerate(rows):
        k = len(classes[i] if classes is not None else scores[i])
        assert len(row.classes) == k
        for j, c in enumerate(row.classes):
            assert c.label == (classes[i][j].decode() if classes is not None else "")
            if scores is None:
                assert c.score == 0.0
            else:
                np.testing.assert_allclose(c.score, scores[i][j], rtol=1e-6, atol=1e-7)


def assert_regressions(result, value):
    got = np.array([r.value for r in result.regressions], np.float32)
    np.testing.assert_allclose(got, value.reshape(-1), rtol=1e-6, atol=1e-6)


# -- golden replay (always) ---------------------------------------------------------------------
REFUSED = {
    "classify_empty_input": ("INVALID_ARGUMENT", "Input is empty."),
    "classify_missing_model_spec": ("INVALID_ARGUMENT", "Missing ModelSpec"),
    "classify_unknown_signature": ("INVALID_ARGUMENT",
                                   "No signature was found with the name: nope"),
    "classify_regress_signature": (
        "INVALID_ARGUMENT", 'Expected classification signature outputs to contain at least '
        'one of "classes" or "scores". Signature was: '),
    "regress_classify_signature": ("INVALID_ARGUMENT", "Expected one output Tensor."),
    "classify_missing_feature": ("INVALID_ARGUMENT", "x"),
    "multi_duplicate_signature": ("INVALID_ARGUMENT",
                                  "Duplicate evaluation of signature: serving_default"),
    "multi_two_models": ("INVALID_ARGUMENT", "All ModelSpecs in a MultiInferenceRequest must "
                         "access the same model name."),
    "multi_predict_method": ("UNIMPLEMENTED",
                             "Unsupported signature method_name: tensorflow/serving/predict"),
}
ANSWERED = {"classify_default", "classify_context", "classify_scores_version1", "regress",
            "multi_classify_regress"}


def test_every_golden_request_has_an_expectation():
    assert set(GOLDEN) == set(REFUSED) | ANSWERED


@pytest.mark.parametrize("name,version", [("classify_default", 2), ("classify_context", 2)])
def test_golden_classify(census, served, name, version):
    response = classification_pb2.ClassificationResponse.FromString(replay(served[2], name))
    assert response.model_spec.name == "census"
    assert response.model_spec.version.value == version
    assert response.model_spec.signature_name == "serving_default"  # the default, named
    want = census.expect(request_examples(name), version)
    assert_classifications(response.result, want["classes"], want["scores"])


def test_golden_context_is_merged_and_an_example_overrides_it(census, served):
    """The context's bias joins every example; the third example's own bias wins."""
    examples = request_examples("classify_context")
    plain = census.expect(np.array([make_example({"x": x}).SerializeToString() for x in X3],
                                   dtype=object), 2)["value"]
    want = census.expect(examples, 2)["value"]
    np.testing.assert_allclose(want.reshape(-1) - plain.reshape(-1), [1.5, 1.5, -3.0],
                               rtol=1e-6)
    response = classification_pb2.ClassificationResponse.FromString(
        replay(served[2], "classify_context"))
    got = np.array([[c.score for c in row.classes] for row in response.result.classifications])
    np.testing.assert_allclose(got, census.expect(examples, 2)["scores"], rtol=1e-6)


def test_golden_classify_scores_only_version1(census, served):
    response = classification_pb2.ClassificationResponse.FromString(
        replay(served[2], "classify_scores_version1"))
    assert response.model_spec.version.value == 1
    assert response.model_spec.signature_name == "scores_only"
    want = census.expect(request_examples("classify_scores_version1"), 1)
    assert_classifications(response.result, scores=want["scores"])


def test_golden_regress(census, served):
    response = regression_pb2.RegressionResponse.FromString(replay(served[2], "regress"))
    assert (response.model_spec.name, response.model_spec.version.value,
            response.model_spec.signature_name) == ("census", 2, "regress")
    assert_regressions(response.result, census.expect(request_examples("regress"), 2)["value"])


def test_golden_multi_inference(census, served):
    response = inference_pb2.MultiInferenceResponse.FromString(
        replay(served[2], "multi_classify_regress"))
    want = census.expect(request_examples("multi_classify_regress"), 2)
    first, second = response.results
    assert (first.model_spec.signature_name, first.model_spec.version.value) == (
        "serving_default", 2)
    assert first.WhichOneof("result") == "classification_result"
    assert_classifications(first.classification_result, want["classes"], want["scores"])
    assert (second.model_spec.signature_name, second.model_spec.version.value) == ("regress", 2)
    assert second.WhichOneof("result") == "regression_result"
    assert_regressions(second.regression_result, want["value"])


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_golden_refused(served, name):
    code, fragment = REFUSED[name]
    with pytest.raises(grpc.RpcError) as err:
        replay(served[2], name)
    assert err.value.code().name == code, err.value.details()
    assert fragment in err.value.details()


# -- minitf's client ----------------------------------------------------------------------------
def _serialized(rows, **common) -> np.ndarray:
    out = np.empty(len(rows), dtype=object)
    out[:] = [make_example({"x": x, **common}).SerializeToString() for x in rows]
    return out


def test_client_classify_regress_and_context(census, served):
    client = served[1]
    got = client.classify("census", {"x": X3}, version=1)
    want = census.expect(_serialized(X3), 1)
    assert [[label for label, _ in row] for row in got] == [[b.decode() for b in LABELS]] * 3
    np.testing.assert_allclose([[s for _, s in row] for row in got], want["scores"], rtol=1e-6)
    assert client.last_model_spec.signature_name == "serving_default"

    value = client.regress("census", [{"x": x} for x in X3], context={"bias": 0.25},
                           signature="regress")
    np.testing.assert_allclose(value, census.expect(_serialized(X3, bias=0.25), 2)["value"]
                               .reshape(-1), rtol=1e-6)

    scores, values = client.multi_inference("census", {"x": X3}, [
        ("scores_only", "classify"), ("regress", "regress")], version=1)
    np.testing.assert_allclose([[s for _, s in row] for row in scores], want["scores"],
                               rtol=1e-6)
    assert all(label == "" for row in scores for label, _ in row)  # no classes output
    np.testing.assert_allclose(values, want["value"].reshape(-1), rtol=1e-6)


def test_concurrent_requests_batch_and_answer_each(census, served):
    """Concurrent Classify requests (1 to 3 examples each) share batches; each gets its own
    rows back."""
    server, client = served[0], served[1]
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal((1 + i % 3, 4)).astype(np.float32) for i in range(12)]
    results, errors = [None] * len(inputs), []

    def call(i):
        try:
            results[i] = client.classify("census", {"x": inputs[i]}, signature="scores_only")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    before = server.metrics.registry.get_sample_value(
        "minitf_batch_size_rows_count", {"model": "census"}) or 0
    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    for x, got in zip(inputs, results):
        np.testing.assert_allclose([[s for _, s in row] for row in got],
                                   census.expect(_serialized(x), 2)["scores"], rtol=1e-6)
    after = server.metrics.registry.get_sample_value("minitf_batch_size_rows_count",
                                                     {"model": "census"})
    assert 0 < after - before <= len(inputs)  # batches ran (fewer when requests merged)


@pytest.mark.parametrize("method,signature,code,fragment", [
    ("classify", "double_scores", "INVALID_ARGUMENT",
     "Expected scores Tensor of DT_FLOAT. Got: DT_DOUBLE"),
    ("classify", "one_row", "INVALID_ARGUMENT", "Expected classes output batch size of 3. Got: 1"),
    ("classify", "predict", "INVALID_ARGUMENT", "No classification inputs found in SignatureDef"),
    ("regress", "regress_wide", "INVALID_ARGUMENT", "Expected output Tensor shape to be either "
     "[batch_size] or [batch_size, 1] but got [3,3]"),
    ("regress", "nope", "INVALID_ARGUMENT", "No signature was found with the name: nope"),
])
def test_misshapen_signatures_are_refused(served, method, signature, code, fragment):
    with pytest.raises(grpc.RpcError) as err:
        getattr(served[1], method)("census", {"x": X3}, signature=signature)
    assert err.value.code().name == code
    assert fragment in err.value.details()


def test_unknown_model_and_signature_in_multi_inference(served):
    client = served[1]
    with pytest.raises(grpc.RpcError) as err:
        client.classify("nope", {"x": X3})
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        client.multi_inference("census", {"x": X3}, [("nope", "classify")])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Requested signature not found in model graph: nope" in err.value.details()


def test_predict_method_signature_and_the_method_name_check(census, served):
    """A predict-method signature of the classification shape serves Classify (TF Serving's
    default); with --enable_signature_method_name_check it is refused, as in TF Serving."""
    got = served[1].classify("census", {"x": X3}, signature="predict_shaped")
    np.testing.assert_allclose([[s for _, s in row] for row in got],
                               census.expect(_serialized(X3), 2)["scores"], rtol=1e-6)
    config = ModelConfig(name="census", base_path=str(census.root / "census"))
    with running_server([config], enable_signature_method_name_check=True) as (_, client):
        with pytest.raises(grpc.RpcError) as err:
            client.classify("census", {"x": X3}, signature="predict_shaped")
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details() == ("Expected classification signature method_name to be "
                                       "tensorflow/serving/classify. Was: "
                                       "tensorflow/serving/predict")
        with pytest.raises(grpc.RpcError) as err:
            client.multi_inference("census", {"x": X3}, [("scores_only", "regress")])
        assert "Expected regression signature method_name to be tensorflow/serving/regress" \
            in err.value.details()
        assert len(client.classify("census", {"x": X3})) == 3  # a classify signature still is


def test_metrics_count_each_api(census):
    config = ModelConfig(name="census", base_path=str(census.root / "census"))
    with running_server([config]) as (server, client):
        client.classify("census", {"x": X3})
        client.regress("census", {"x": X3}, signature="regress")
        client.multi_inference("census", {"x": X3}, [(None, "classify"),
                                                     ("regress", "regress")])
        with pytest.raises(grpc.RpcError):
            client.classify("census", {"x": X3[:0]})  # no examples
        registry = server.metrics.registry

        def count(api, code="OK"):
            return registry.get_sample_value("minitf_requests_total", {
                "model": "census", "version": "2", "api": api, "code": code})

        assert count("tfserving.Classify") == 1
        assert count("tfserving.Classify", "INVALID_ARGUMENT") == 1
        assert count("tfserving.Regress") == 1
        assert count("tfserving.MultiInference") == 1
        assert registry.get_sample_value("minitf_request_duration_seconds_count", {
            "model": "census", "api": "tfserving.MultiInference"}) == 1


def test_cli_predict_classify_and_regress(census, served, capsys):
    from minitf.serving import cli

    base = ["predict", "--server", f"127.0.0.1:{served[0].grpc_port}", "--model", "census",
            "--input", f"x={json.dumps(X3.tolist())}"]
    assert cli.main(base + ["--api", "classify", "--version", "1"]) == 0
    out = json.loads(capsys.readouterr().out)["classifications"]
    want = census.expect(_serialized(X3), 1)
    assert [[c["label"] for c in row] for row in out] == [[b.decode() for b in LABELS]] * 3
    np.testing.assert_allclose([[c["score"] for c in row] for row in out], want["scores"],
                               rtol=1e-6)
    assert cli.main(base + ["--api", "regress", "--signature", "regress", "--input",
                            "bias=[[1],[2],[3]]"]) == 0
    out = json.loads(capsys.readouterr().out)["regressions"]
    want = census.expect(np.array([make_example({"x": x, "bias": [b]}).SerializeToString()
                                   for x, b in zip(X3, [1.0, 2.0, 3.0])], dtype=object), 2)
    np.testing.assert_allclose(out, want["value"].reshape(-1), rtol=1e-6)
    assert cli.main(base + ["--api", "regress", "--input", "bias=[1]"]) == 2
    assert "different numbers of rows" in capsys.readouterr().err


def test_make_input_shapes():
    both = make_input({"x": X3[:2]}, context={"bias": 1.0})
    assert both.WhichOneof("kind") == "example_list_with_context"
    assert len(both.example_list_with_context.examples) == 2
    with pytest.raises(ValueError, match="different numbers of rows"):
        make_input({"x": X3, "bias": [1.0]})


# -- the official client (where TensorFlow is installed) -------------------------------------
@pytest.fixture(scope="module")
def official():
    tf_ = pytest.importorskip("tensorflow")
    pytest.importorskip("tensorflow_serving.apis")
    from tensorflow_serving.apis import (classification_pb2 as classification,
                                         inference_pb2 as inference,
                                         prediction_service_pb2_grpc as service,
                                         regression_pb2 as regression)
    return tf_, classification, regression, inference, service


def _tf_examples(tf_, rows):
    return [tf_.train.Example(features=tf_.train.Features(feature={
        "x": tf_.train.Feature(float_list=tf_.train.FloatList(value=list(map(float, x))))}))
        for x in rows]


@pytest.mark.tensorflow
def test_official_classify_regress_multi_inference(census, served, official):
    tf_, classification, regression, inference, service = official
    stub = service.PredictionServiceStub(served[2])
    examples = _tf_examples(tf_, X3)
    want = census.expect(np.array([e.SerializeToString() for e in examples], dtype=object), 2)

    req = classification.ClassificationRequest()
    req.model_spec.name = "census"
    req.input.example_list.examples.extend(examples)
    response = stub.Classify(req, timeout=10)
    assert response.model_spec.version.value == 2
    assert response.model_spec.signature_name == "serving_default"
    assert_classifications(response.result, want["classes"], want["scores"])

    req = regression.RegressionRequest()
    req.model_spec.name, req.model_spec.signature_name = "census", "regress"
    req.input.example_list_with_context.examples.extend(examples)
    req.input.example_list_with_context.context.features.feature[
        "bias"].float_list.value.append(2.0)
    response = stub.Regress(req, timeout=10)
    np.testing.assert_allclose([r.value for r in response.result.regressions],
                               want["value"].reshape(-1) + 2.0, rtol=1e-6)

    req = inference.MultiInferenceRequest()
    for signature, method in (("regress", REGRESS), ("scores_only", CLASSIFY)):
        task = req.tasks.add(method_name=method)
        task.model_spec.name, task.model_spec.signature_name = "census", signature
        task.model_spec.version.value = 1
    req.input.example_list.examples.extend(examples)
    response = stub.MultiInference(req, timeout=10)
    want1 = census.expect(np.array([e.SerializeToString() for e in examples], dtype=object), 1)
    assert [r.model_spec.signature_name for r in response.results] == ["regress",
                                                                        "scores_only"]
    assert all(r.model_spec.version.value == 1 for r in response.results)
    assert_regressions(response.results[0].regression_result, want1["value"])
    assert_classifications(response.results[1].classification_result, scores=want1["scores"])

    req = classification.ClassificationRequest()
    req.model_spec.name = "census"
    with pytest.raises(grpc.RpcError) as err:
        stub.Classify(req, timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details() == "Input is empty."


@pytest.mark.tensorflow
def test_golden_bytes_are_what_the_official_client_builds(official):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_inference_golden", DATA.parent / "make_inference_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build_requests()
    assert set(built) == set(GOLDEN)
    for name, (method, message) in built.items():
        assert GOLDEN[name]["method"] == method
        assert type(message).FromString((DATA / GOLDEN[name]["file"]).read_bytes()) == message


# -- an Estimator's canned classifier -----------------------------------------------------------
def test_estimator_linear_classifier_serves_classify(tmp_path):
    """tf.estimator.LinearClassifier, exported with build_parsing_serving_input_receiver_fn:
    Classify on its default (classification) signature answers as the exported graph does in a
    Session, and MultiInference runs its classification and regression heads together."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 2)).astype(np.float32)
    labels = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    columns = [tf.feature_column.numeric_column(k) for k in "ab"]
    est = tf.estimator.LinearClassifier(columns, model_dir=str(tmp_path / "model"))
    est.train(tf.estimator.inputs.numpy_input_fn({"a": x[:, 0], "b": x[:, 1]}, labels,
                                                 batch_size=16, shuffle=False), steps=8)
    spec = tf.feature_column.make_parse_example_spec(columns)
    path = est.export_saved_model(str(tmp_path / "export"),
                                  tf.estimator.export.build_parsing_serving_input_receiver_fn(
                                      spec))
    base = tmp_path / "served" / "linear"
    base.mkdir(parents=True)
    os.rename(path, base / "1")

    rows = [{"a": float(a), "b": float(b)} for a, b in x[:5]]
    serialized = np.array([make_example(r).SerializeToString() for r in rows], dtype=object)
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(base / "1"))
        want = {}
        for key in ("serving_default", "regression"):
            sig = meta.signature_def[key]
            want[key] = sess.run({k: v.name for k, v in sig.outputs.items()},
                                 {sig.inputs["inputs"].name: serialized})

    with running_server([ModelConfig(name="linear", base_path=str(base))],
                        BatchingConfig(max_batch_size=8, batch_timeout_micros=500)) as (
            _, client):
        got = client.classify("linear", rows)
        assert [[label for label, _ in row] for row in got] == [["0", "1"]] * 5
        np.testing.assert_allclose([[s for _, s in row] for row in got],
                                   want["serving_default"]["scores"], rtol=1e-6)
        scores, values = client.multi_inference("linear", rows, [
            ("classification", "classify"), ("regression", "regress")])
        np.testing.assert_allclose([[s for _, s in row] for row in scores],
                                   want["serving_default"]["scores"], rtol=1e-6)
        np.testing.assert_allclose(values, want["regression"]["outputs"].reshape(-1),
                                   rtol=1e-6)
        # its predict signature has more than one output: not a classification one
        with pytest.raises(grpc.RpcError) as err:
            client.classify("linear", rows, signature="predict")
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
