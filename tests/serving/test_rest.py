"""The REST APIs on the HTTP port: TensorFlow Serving's /v1 (predict, classify, regress,
metadata) and KServe v2's /v2 (server and model metadata, ready, infer), against a real server
on 127.0.0.1 with urllib.request as the client.

Values are checked against numpy references (and, for classify/regress, the same graph run in
a Session); metadata and KServe answers against what the gRPC APIs return for the same
request; every error with its status code and message; and the requests in the metrics.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from google.protobuf import json_format

import minitf as tf
from minitf.export import save_model
from minitf.protos import get_model_metadata_pb2
from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, write_model
from .test_classify_regress import LABELS, Census
from .test_tfserving import hidden_reference, write_multi_signature_model

X3 = np.array([[0.5, -1.25, 2.0, 0.75], [-0.5, 0.25, -1.5, 1.0], [1.5, 0.5, -0.25, -2.0]],
              np.float32)
RTOL, ATOL = 1e-5, 1e-6


def write_mixed_model(base: str) -> str:
    """"mixed": inputs words (string [None]) and ids (int64 [None, 2]); outputs total (int64
    sum of ids), positive (bool), words (the strings back) and echo_bytes (the same, which TF
    Serving writes as {"b64": ...} for its name's "_bytes" suffix)."""
    graph = tf.Graph()
    with graph.as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        ids = tf.placeholder(tf.int64, [None, 2], name="ids")
        total = tf.reduce_sum(ids, axis=1, name="total")
        positive = tf.greater(total, tf.constant(0, tf.int64), name="positive")
        with tf.Session(graph=graph) as sess:
            return save_model(os.path.join(base, "1"), sess,
                              inputs={"words": words, "ids": ids},
                              outputs={"total": total, "positive": positive,
                                       "words": tf.identity(words, name="words_out"),
                                       "echo_bytes": tf.identity(words, name="echo")})


def write_identity_model(base: str) -> str:
    """"ident": x float32 [None] -> y (x) and d (x as float64): float formatting as is."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        with tf.Session(graph=graph) as sess:
            return save_model(os.path.join(base, "1"), sess, inputs={"x": x},
                              outputs={"y": tf.identity(x, name="y"),
                                       "d": tf.cast(x, tf.float64, name="d")})


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("rest")
    write_model(str(root / "dense"), 1, 1.0)
    write_model(str(root / "dense"), 2, 2.0)
    write_multi_signature_model(str(root / "multi"))
    write_mixed_model(str(root / "mixed"))
    write_identity_model(str(root / "ident"))
    census = Census(str(root / "census"))
    models = [ModelConfig(name="dense", base_path=str(root / "dense"), version_policy="all",
                          version_labels={"stable": 1, "canary": 2}),
              ModelConfig(name="multi", base_path=str(root / "multi")),
              ModelConfig(name="mixed", base_path=str(root / "mixed")),
              ModelConfig(name="ident", base_path=str(root / "ident")),
              ModelConfig(name="census", base_path=str(root / "census"), version_policy="all")]
    with running_server(models, BatchingConfig(max_batch_size=8, batch_timeout_micros=1000),
                        reflection=False) as (server, client):
        server.census = census
        yield server, client
    census.sess.close()


def call(server, path, body=None, raw: bytes | None = None):
    """(status, parsed JSON or None, text) of a GET (no body) or POST."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}", data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    return status, (json.loads(text) if text else None), text


def ok(server, path, body=None):
    status, doc, text = call(server, path, body)
    assert status == 200, text
    return doc


# -- TF Serving: predict ------------------------------------------------------------------------
def test_row_format_several_outputs_are_objects_per_row(served):
    server, _ = served
    doc = ok(server, "/v1/models/dense:predict", {"instances": X3.tolist()})
    ref = reference(X3, 2.0)  # the latest version
    rows = doc["predictions"]
    assert len(rows) == 3 and all(sorted(r) == ["classes", "logits", "probs"] for r in rows)
    for alias in ("probs", "logits"):
        np.testing.assert_allclose(np.array([r[alias] for r in rows], np.float32), ref[alias],
                                   rtol=RTOL, atol=ATOL)
    assert [r["classes"] for r in rows] == ref["classes"].tolist()
    # Named instances (objects) give the same answer.
    named = ok(server, "/v1/models/dense:predict", {"instances": [{"x": r} for r in X3.tolist()]})
    assert named == doc


def test_columnar_format(served):
    server, _ = served
    doc = ok(server, "/v1/models/dense:predict", {"inputs": X3.tolist()})
    ref = reference(X3, 2.0)
    assert sorted(doc["outputs"]) == ["classes", "logits", "probs"]
    np.testing.assert_allclose(np.array(doc["outputs"]["probs"], np.float32), ref["probs"],
                               rtol=RTOL, atol=ATOL)
    assert doc["outputs"]["classes"] == ref["classes"].tolist()
    assert ok(server, "/v1/models/dense:predict", {"inputs": {"x": X3.tolist()}}) == doc


def test_single_output_is_unnamed_and_signature_selection(served):
    server, _ = served
    doc = ok(server, "/v1/models/multi:predict", {"instances": X3.tolist()})
    np.testing.assert_allclose(np.array(doc["predictions"], np.float32), reference(X3)["probs"],
                               rtol=RTOL, atol=ATOL)
    doc = ok(server, "/v1/models/multi:predict", {"signature_name": "hidden",
                                                  "inputs": X3.tolist()})
    np.testing.assert_allclose(np.array(doc["outputs"], np.float32), hidden_reference(X3),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("path, scale", [
    ("/v1/models/dense:predict", 2.0),  # the latest
    ("/v1/models/dense/versions/1:predict", 1.0),
    ("/v1/models/dense/versions/2:predict", 2.0),
    ("/v1/models/dense/labels/stable:predict", 1.0),
    ("/v1/models/dense/labels/canary:predict", 2.0),
    ("/V1/Models/dense/Versions/1:PREDICT", 1.0),  # TF Serving's paths are case-insensitive
])
def test_versions_and_labels(served, path, scale):
    server, _ = served
    doc = ok(server, path, {"inputs": X3.tolist()})
    np.testing.assert_allclose(np.array(doc["outputs"]["logits"], np.float32),
                               reference(X3, scale)["logits"], rtol=RTOL, atol=ATOL)


def test_strings_b64_int64_and_bool(served):
    server, _ = served
    big = 2**40 + 3  # exact only as a JSON integer
    binary = b"\xff\x00raw"
    doc = ok(server, "/v1/models/mixed:predict", {"instances": [
        {"words": "héllo", "ids": [big, 1]},
        {"words": {"b64": base64.b64encode(binary).decode()}, "ids": [-5, 2]}]})
    rows = doc["predictions"]
    assert [r["total"] for r in rows] == [big + 1, -3]
    assert [r["positive"] for r in rows] == [True, False]
    assert rows[0]["words"] == "héllo"
    assert rows[1]["words"] == {"b64": base64.b64encode(binary).decode()}  # not UTF-8
    assert [base64.b64decode(r["echo_bytes"]["b64"]) for r in rows] == \
        ["héllo".encode(), binary]
    doc = ok(server, "/v1/models/mixed:predict", {"inputs": {
        "words": ["a", "b"], "ids": [[1, 2], [3, -4]], "ignored": 1}})
    assert doc["outputs"]["total"] == [3, -1]
    assert doc["outputs"]["positive"] == [True, False]
    assert doc["outputs"]["echo_bytes"] == [{"b64": "YQ=="}, {"b64": "Yg=="}]


def test_float_formatting_as_tf_serving_writes_it(served):
    """WriteDecimal: six digits when they round-trip, else 9 (float) / 17 (double); ".0" on
    whole numbers; NaN and Infinity as bare literals (and read back in requests)."""
    server, _ = served
    _, _, text = call(server, "/v1/models/ident:predict", raw=b'{"inputs": {"x": '
                      b'[0.2, 1, 9000000, 3e-05, NaN, Infinity, -Infinity, 0.3333333333]}}')
    doc = json.loads(text)
    y = text[text.index('"y": [') + 6:]
    assert y[:y.index("]")].split(",") == ["0.2", "1.0", "9e+06", "3e-05", "NaN", "Infinity",
                                           "-Infinity", "0.333333343"]
    d = text[text.index('"d": [') + 6:]
    # float32 values widened to double do not round-trip in six digits: 17 are written.
    assert d[:d.index("]")].split(",")[:2] == ["0.20000000298023224", "1.0"]
    assert np.isnan(doc["outputs"]["y"][4]) and doc["outputs"]["y"][5] == float("inf")


# -- TF Serving: classify, regress -------------------------------------------------------------
def _examples_json():
    examples = [{"x": [float(v) for v in row]} for row in X3]
    examples[1]["bias"] = 0.75  # overrides the context's
    return examples, {"bias": [0.25]}


def _serialized(examples, context):
    from minitf.protos import example_pb2
    out = []
    for ex in examples:
        merged = dict(context, **ex)
        e = example_pb2.Example()
        for k, v in merged.items():
            e.features.feature[k].float_list.value.extend(v if isinstance(v, list) else [v])
        out.append(e.SerializeToString())
    return np.array(out, dtype=object)


@pytest.mark.parametrize("version", [1, 2])
def test_classify_with_context(served, version):
    server, _ = served
    examples, context = _examples_json()
    doc = ok(server, f"/v1/models/census/versions/{version}:classify",
             {"examples": examples, "context": context})
    want = server.census.expect(_serialized(examples, context), version)
    assert len(doc["results"]) == 3
    for i, row in enumerate(doc["results"]):
        assert [c[0] for c in row] == [b.decode() for b in LABELS]
        np.testing.assert_allclose([c[1] for c in row], want["scores"][i], rtol=1e-6,
                                   atol=1e-7)


def test_regress(served):
    server, _ = served
    examples, _ = _examples_json()
    doc = ok(server, "/v1/models/census:regress", {"signature_name": "regress",
                                                   "examples": examples})
    want = server.census.expect(_serialized(examples, {}), 2)["value"].reshape(-1)
    np.testing.assert_allclose(doc["results"], want, rtol=1e-6, atol=1e-6)


# -- TF Serving: metadata -----------------------------------------------------------------------
@pytest.mark.parametrize("path, model, version", [
    ("/v1/models/dense/metadata", "dense", None),
    ("/v1/models/dense/versions/1/metadata", "dense", 1),
    ("/v1/models/dense/labels/canary/metadata", "dense", 2),
    ("/v1/models/multi/metadata", "multi", None)])
def test_metadata_is_the_grpc_answer_as_protobuf_json(served, path, model, version):
    server, client = served
    doc = ok(server, path)
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = model
    if version is not None:
        request.model_spec.version.value = version
    response = client._metadata(request, timeout=10)
    sigmap = get_model_metadata_pb2.SignatureDefMap.FromString(
        response.metadata["signature_def"].value)
    opts = dict(preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    assert doc["model_spec"] == json_format.MessageToDict(response.model_spec, **opts)
    assert doc["model_spec"]["name"] == model and doc["model_spec"]["signature_name"] == ""
    assert doc["model_spec"]["version"] == str(version or (2 if model == "dense" else 1))
    assert sorted(doc) == ["metadata", "model_spec"]
    want = json_format.MessageToDict(sigmap, **opts)
    got = doc["metadata"]["signature_def"]
    for name, sig in want["signature_def"].items():
        for field in ("method_name", "inputs", "outputs"):
            assert got["signature_def"][name][field] == sig[field], (name, field)
    assert got == want
    x = got["signature_def"]["serving_default"]["inputs"]["x"]
    assert (x["name"], x["dtype"]) == ("x:0", "DT_FLOAT")
    assert [d["size"] for d in x["tensor_shape"]["dim"]] == ["-1", "4"]


# -- TF Serving: errors ------------------------------------------------------------------------
ROWS = X3.tolist()
TFS_ERRORS = [
    ("dense:predict", b"{", 400, "JSON Parse error: "),
    ("dense:predict", b"", 400, "JSON Parse error: The document is empty"),
    ("dense:predict", b"[1, 2]", 400, "Is not object"),
    ("dense:predict", {"instances": ROWS, "inputs": ROWS}, 400,
     "expecting only one of 'inputs' or 'instances' keys to exist"),
    ("dense:predict", {"rows": ROWS}, 400, "Missing 'inputs' or 'instances' key"),
    ("dense:predict", {"instances": {"x": ROWS}}, 400, "'instances' to be an list/array"),
    ("dense:predict", {"instances": []}, 400, "No values in 'instances' array"),
    ("dense:predict", {"instances": [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0]]}, 400,
     "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: "
     "Expecting tensor size: 4 but got: 3"),
    ("dense:predict", {"inputs": [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]]}, 400,
     "Encountered list at unexpected size: 2 at level: 1 expected size: 4"),
    ("dense:predict", {"inputs": [[1.0, "2", 3.0, 4.0]]}, 400,
     'JSON Value: "2" Type: String is not of expected type: float'),
    ("dense:predict", {"inputs": [[16777217, 1.0, 1.0, 1.0]]}, 400,
     "Cannot convert JSON value: 16777217 to float without loss of precision."),
    ("dense:predict", {"inputs": [[1.0, 2.0, 3.0]]}, 400, "input 'x': expected shape [-1,4]"),
    ("dense:predict", {"instances": [{"x": ROWS[0], "y": 1}]}, 400,
     "JSON object: does not have named input: y"),
    ("dense:predict", {"signature_name": 3, "inputs": ROWS}, 400,
     "'signature_name' key must be a string value."),
    ("dense:predict", {"signature_name": None, "inputs": ROWS}, 400,  # FillSignature: not a string
     "'signature_name' key must be a string value."),
    ("dense:predict", {"signature_name": "nope", "inputs": ROWS}, 400,
     'Serving signature name: "nope" not found in signature def'),
    ("nope:predict", {"inputs": ROWS}, 404, "'nope'"),
    ("dense/versions/9:predict", {"inputs": ROWS}, 404, "9"),
    ("dense/labels/beta:predict", {"inputs": ROWS}, 400,
     "Unrecognized servable version label: beta"),
    ("dense", {"inputs": ROWS}, 400, "Malformed request: POST /v1/models/dense"),
    ("mixed:predict", {"instances": [["a"]]}, 400, "instances is a plain list, but expecting "
     "list of objects as multiple input tensors required"),
    ("mixed:predict", {"instances": [{"words": "a"}]}, 400, "must only have keys: ids,words"),
    ("mixed:predict", {"inputs": {"words": ["a"]}}, 400,
     "Missing named input: ids in 'inputs' object."),
    ("mixed:predict", {"inputs": {"words": [{"b64": "!!"}], "ids": [[1, 2]]}}, 400,
     "Unable to base64 decode"),
    ("mixed:predict", {"inputs": {"words": ["a"], "ids": [[1.5, 2]]}}, 400,
     "JSON Value: 1.5 Type: Number is not of expected type: int64"),
    ("census:classify", {"instances": []}, 400,
     "When method is classify, key 'examples' is expected and was not found"),
    ("census:classify", {"examples": [{"x": [[1.0]]}]}, 400,
     "Feature: x has element with unexpected JSON type: Array"),
    ("census:classify", {"examples": [{"x": [1, 2.5]}]}, 400,
     "Unexpected element type in feature: x expecting type: int64"),
    ("census:classify", {"signature_name": "regress", "examples": [{"x": [1.0]}]}, 400,
     'Expected classification signature outputs to contain at least one of "classes" or '
     '"scores".'),
    ("census:regress", {"signature_name": "nope", "examples": [{"x": [1.0]}]}, 400,
     "No signature was found with the name: nope"),
]


@pytest.mark.parametrize("path, body, status, fragment", TFS_ERRORS,
                         ids=[f"{i}-{e[0]}" for i, e in enumerate(TFS_ERRORS)])
def test_tf_serving_errors(served, path, body, status, fragment):
    server, _ = served
    got, doc, text = call(server, f"/v1/models/{path}", raw=body if isinstance(body, bytes)
                          else json.dumps(body).encode())
    assert got == status, text
    assert sorted(doc) == ["error"] and fragment in doc["error"], doc["error"]


def _raw_post(server, path, headers, body=b""):
    """A POST with exactly these headers (urllib always adds Content-Length)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        conn.putrequest("POST", path, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders(body or None)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_content_length_required_and_valid(served):
    server, _ = served
    status, doc = _raw_post(server, "/v1/models/dense:predict", {})
    assert status == 411 and doc["error"].startswith("Content-Length is required")
    status, doc = _raw_post(server, "/v2/models/dense/infer", {"Content-Length": "12x"})
    assert status == 400 and "invalid Content-Length: '12x'" in doc["error"]


def test_request_body_bounded_by_max_message_bytes(tmp_path):
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        max_message_bytes=4096, reflection=False) as (server, _):
        small = {"instances": X3.tolist()}
        assert call(server, "/v1/models/dense:predict", small)[0] == 200
        big = {"instances": np.zeros((300, 4)).tolist()}
        for path in ("/v1/models/dense:predict", "/v2/models/dense/infer"):
            status, doc, _ = call(server, path, big)
            assert status == 413, path
            assert "exceeds the server's message size limit 4096" in doc["error"]


# -- KServe v2 ---------------------------------------------------------------------------------
def test_server_and_model_metadata_match_grpc(served):
    server, client = served
    from minitf.protos import grpc_service_pb2
    meta = client.channel.unary_unary(
        "/inference.GRPCInferenceService/ServerMetadata",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=grpc_service_pb2.ServerMetadataResponse.FromString)(
        grpc_service_pb2.ServerMetadataRequest(), timeout=10)
    assert ok(server, "/v2") == {"name": meta.name, "version": meta.version,
                                 "extensions": list(meta.extensions)}
    for path, version in (("/v2/models/dense", None), ("/v2/models/dense/versions/1", 1),
                          ("/v2/models/mixed", None)):
        name = path.split("/")[3]
        want = client.model_metadata(name, version)
        doc = ok(server, path)
        assert doc["name"] == want.name and doc["platform"] == want.platform
        assert doc["versions"] == list(want.versions)
        for kind in ("inputs", "outputs"):
            assert doc[kind] == [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)}
                                 for t in getattr(want, kind)]
    assert ok(server, "/v2/models/dense")["inputs"] == [
        {"name": "x", "datatype": "FP32", "shape": [-1, 4]}]


def test_model_ready(served):
    server, _ = served
    assert call(server, "/v2/models/dense/ready")[:2] == (200, None)
    assert call(server, "/v2/models/dense/versions/1/ready")[:2] == (200, None)
    assert call(server, "/v2/models/dense/versions/7/ready")[:2] == (400, None)
    assert call(server, "/v2/models/nope/ready")[:2] == (400, None)


def test_infer_matches_grpc(served):
    server, client = served
    body = {"id": "req-7", "inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4],
                                       "data": X3.reshape(-1).tolist()}]}
    doc = ok(server, "/v2/models/dense/versions/1/infer", body)
    want = client.infer("dense", {"x": X3}, version=1)
    assert (doc["model_name"], doc["model_version"], doc["id"]) == ("dense", "1", "req-7")
    assert [o["name"] for o in doc["outputs"]] == sorted(want)
    for o in doc["outputs"]:
        assert o["shape"] == list(want[o["name"]].shape)
        assert o["datatype"] == {"probs": "FP32", "logits": "FP32", "classes": "INT64"}[o["name"]]
        got = np.array(o["data"]).reshape(o["shape"])
        np.testing.assert_array_equal(got.astype(want[o["name"]].dtype), want[o["name"]])
    # Nested data, a requested output, the latest version.
    nested = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4],
                          "data": X3.tolist()}], "outputs": [{"name": "probs"}]}
    doc = ok(server, "/v2/models/dense/infer", nested)
    assert doc["model_version"] == "2" and [o["name"] for o in doc["outputs"]] == ["probs"]
    np.testing.assert_allclose(np.array(doc["outputs"][0]["data"]).reshape(3, 3),
                               reference(X3, 2.0)["probs"], rtol=RTOL, atol=ATOL)


def test_infer_bytes_int64_bool_and_signature_parameter(served):
    server, client = served
    body = {"inputs": [{"name": "words", "datatype": "BYTES", "shape": [2], "data": ["ab", "ç"]},
                       {"name": "ids", "datatype": "INT64", "shape": [2, 2],
                        "data": [[2**40, 1], [-5, 2]]}]}
    doc = ok(server, "/v2/models/mixed/infer", body)
    want = client.infer("mixed", {"words": np.array([b"ab", "ç".encode()], dtype=object),
                                  "ids": np.array([[2**40, 1], [-5, 2]], np.int64)})
    outs = {o["name"]: o for o in doc["outputs"]}
    assert outs["total"]["data"] == want["total"].tolist() == [2**40 + 1, -3]
    assert outs["positive"] == {"name": "positive", "datatype": "BOOL", "shape": [2],
                                "data": [True, False]}
    assert outs["words"]["data"] == [b.decode() for b in want["words"].tolist()] == ["ab", "ç"]
    doc = ok(server, "/v2/models/multi/infer", {
        "parameters": {"signature_name": "hidden"},
        "inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4], "data": X3.tolist()}]})
    np.testing.assert_allclose(np.array(doc["outputs"][0]["data"]).reshape(3, 8),
                               hidden_reference(X3), rtol=RTOL, atol=ATOL)


def _x(**overrides):
    t = {"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1.0, 2.0, 3.0, 4.0]}
    t.update(overrides)
    return {"inputs": [t]}


KSERVE_ERRORS = [
    ("nope", _x(), 404, "'nope'"),
    ("dense/versions/9", _x(), 404, "9"),
    ("dense", b"{nope", 400, "failed to parse the request JSON buffer"),
    ("dense", {"inputs": []}, 400, "'inputs' must be a non-empty list"),
    ("dense", _x(shape=[1, 3]), 400,
     "Unable to parse 'data': Shape does not match true shape of 'data' field"),
    ("dense", _x(datatype="FP8"), 400, "unsupported datatype 'FP8'"),
    ("dense", _x(datatype="FP16"), 400, "receiving FP16 data via JSON is not supported"),
    ("dense", _x(datatype="INT32", data=[1, 2, 3, 4]), 400, "expected dtype float32, got int32"),
    ("dense", _x(data=[1.0, "2", 3.0, 4.0]), 400, "holds a value that is not FP32"),
    ("dense", _x(shape=[1, 2], data=[1.0, 2.0]), 400, "input 'x': expected shape [-1,4]"),
    ("dense", dict(_x(), outputs=[{"name": "nope"}]), 400,
     "output tensor alias not found in signature: nope"),
    ("dense", dict(_x(), outputs=[{"name": "probs", "parameters": {"classification": 2}}]),
     501, "parameter 'classification' asks for the classification extension"),
    ("dense", dict(_x(), parameters={"timeout": "soon"}), 400, "'timeout' parameter"),
    ("dense", dict(_x(), id=7), 400, "Unable to parse 'id': expected a string, got 7"),
    # Element counts past int64 (np.prod wrapped them: 500 INTERNAL), as gRPC refuses them.
    ("dense", _x(shape=[2**40, 2**40], data=[]), 400,
     "input 'x': shape [1099511627776, 1099511627776] has 1208925819614629174706176 elements"),
    ("dense", _x(shape=[2**64, 0], data=[]), 400, "'shape' must be a list of non-negative int64"),
]


@pytest.mark.parametrize("model, body, status, fragment", KSERVE_ERRORS,
                         ids=[f"{i}-{e[0]}" for i, e in enumerate(KSERVE_ERRORS)])
def test_kserve_errors(served, model, body, status, fragment):
    server, _ = served
    got, doc, text = call(server, f"/v2/models/{model}/infer",
                          raw=body if isinstance(body, bytes) else json.dumps(body).encode())
    assert got == status, text
    assert sorted(doc) == ["error"] and fragment in doc["error"], doc["error"]


def _post_binary(server, path, doc, binary=b"", header_length=None):
    """An infer request of the binary tensor extension: JSON, then the inputs' bytes."""
    header = json.dumps(doc).encode()
    length = str(len(header)) if header_length is None else header_length
    req = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}",
                                 data=header + binary,
                                 headers={"Inference-Header-Content-Length": length})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def _split(headers, body):
    n = int(headers["Inference-Header-Content-Length"])
    return json.loads(body[:n]), body[n:]


def test_binary_tensor_extension(served):
    """Inputs as raw little-endian bytes after the JSON header, outputs asked for with
    binary_data: Triton's layout (BYTES as 4-byte-length-prefixed elements, encoded and
    decoded here with tritonclient's own utilities)."""
    from tritonclient.utils import deserialize_bytes_tensor, serialize_byte_tensor
    server, client = served
    raw = X3.astype("<f4").tobytes()
    doc = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4],
                       "parameters": {"binary_data_size": len(raw)}}],
           "outputs": [{"name": "probs", "parameters": {"binary_data": True}},
                       {"name": "classes"}]}
    status, headers, body = _post_binary(server, "/v2/models/dense/versions/1/infer", doc, raw)
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    meta, rest = _split(headers, body)
    want = client.infer("dense", {"x": X3}, version=1)
    probs, classes = meta["outputs"]
    assert probs == {"name": "probs", "datatype": "FP32", "shape": [3, 3],
                     "parameters": {"binary_data_size": 36}}
    assert len(rest) == 36
    np.testing.assert_array_equal(np.frombuffer(rest, "<f4").reshape(3, 3), want["probs"])
    assert classes["data"] == want["classes"].tolist()
    words = np.array([b"ab", b"\xff\x01", b""], dtype=object)
    packed = serialize_byte_tensor(words).item()
    ids = np.array([[1, 2], [3, 4], [-9, 0]], "<i8").tobytes()
    doc = {"inputs": [{"name": "words", "datatype": "BYTES", "shape": [3],
                       "parameters": {"binary_data_size": len(packed)}},
                      {"name": "ids", "datatype": "INT64", "shape": [3, 2],
                       "parameters": {"binary_data_size": len(ids)}}],
           "parameters": {"binary_data_output": True}}
    status, headers, body = _post_binary(server, "/v2/models/mixed/infer", doc, packed + ids)
    assert status == 200
    meta, rest = _split(headers, body)
    chunks, offset = {}, 0
    for o in meta["outputs"]:
        size = o["parameters"]["binary_data_size"]
        chunks[o["name"]], offset = rest[offset:offset + size], offset + size
    assert offset == len(rest)
    assert deserialize_bytes_tensor(chunks["words"]).tolist() == words.tolist()
    assert np.frombuffer(chunks["total"], "<i8").tolist() == [3, 7, -9]
    assert np.frombuffer(chunks["positive"], np.bool_).tolist() == [True, True, False]


@pytest.mark.parametrize("binary, size, length, fragment", [
    (b"\0" * 16, 32, None, "binary_data_size 32 goes past the 16 bytes"),
    (b"\0" * 20, 16, None, "4 bytes after the JSON header belong to no input"),
    (b"\0" * 12, 12, None, "raw data has 12 bytes, but shape [1, 4] of FP32 needs 16"),
    (b"\0" * 16, 16, "x1", "Unable to parse Inference-Header-Content-Length, got: x1"),
    (b"\0" * 16, -1, None, "binary_data_size must be a non-negative integer"),
])
def test_binary_tensor_errors(served, binary, size, length, fragment):
    server, _ = served
    doc = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                       "parameters": {"binary_data_size": size}}]}
    status, _, body = _post_binary(server, "/v2/models/dense/infer", doc, binary, length)
    assert status == 400 and fragment in json.loads(body)["error"], body


def test_unknown_model_metadata_is_404(served):
    server, _ = served
    status, doc, _ = call(server, "/v2/models/nope")
    assert status == 404 and "'nope'" in doc["error"]
    status, doc, _ = call(server, "/v1/models/nope/metadata")
    assert status == 404 and "'nope'" in doc["error"]


# -- metrics and batching ----------------------------------------------------------------------
def _count(server, **labels) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics",
                                  timeout=10).read().decode()
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("minitf_requests_total{") and line[line.index("{") + 1:
                                                              line.index("}")] == want:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_count_in_metrics_and_model_statistics(served):
    server, _ = served
    labels = dict(api="rest.predict", code="OK", model="dense", version="1")
    failed = dict(api="rest.v2.infer", code="INVALID_ARGUMENT", model="dense", version="2")
    before, before_failed = _count(server, **labels), _count(server, **failed)
    stats_before = server.plane.stats.get("dense", 1)
    for _ in range(3):
        ok(server, "/v1/models/dense/versions/1:predict", {"instances": X3.tolist()})
    ok(server, "/v2/models/dense/versions/1/infer", _x())
    assert call(server, "/v2/models/dense/infer", _x(shape=[1, 3]))[0] == 400
    assert _count(server, **labels) == before + 3
    assert _count(server, **failed) == before_failed + 1
    stats = server.plane.stats.get("dense", 1)
    assert stats["ok"] - stats_before.get("ok", 0) == 4  # 3 predicts and an infer
    assert stats["rows"] - stats_before.get("rows", 0) == 10


def test_rest_predicts_share_the_batcher(tmp_path):
    """Four one-row REST requests sent together run as one batch of four."""
    write_model(str(tmp_path / "dense"), 1)
    config = ModelConfig(name="dense", base_path=str(tmp_path / "dense"))
    with running_server([config], BatchingConfig(max_batch_size=4,
                                                 batch_timeout_micros=2_000_000),
                        reflection=False) as (server, _):
        results = [None] * 4

        def send(i):
            results[i] = call(server, "/v1/models/dense:predict", {"instances": [ROWS[i % 3]]})

        threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert [r[0] for r in results] == [200] * 4
        stats = server.plane.stats.get("dense", 1)
        assert (stats["executions"], stats["rows"], stats["ok"]) == (1, 4, 4)
        for i, (_, doc, _) in enumerate(results):
            np.testing.assert_allclose(doc["predictions"][0]["probs"],
                                       reference(X3[i % 3:i % 3 + 1])["probs"][0],
                                       rtol=RTOL, atol=ATOL)


# -- KServe v2: config, statistics and unknown paths -------------------------------------------
def _grpc(client, method, request, response_type):
    return client.channel.unary_unary(
        f"/inference.GRPCInferenceService/{method}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_type.FromString)(request, timeout=10)


def _as_numbers(obj, keep=("name", "version")):
    """protobuf JSON (64-bit integers as strings) with those strings as numbers, as Triton
    writes them; string fields in ``keep`` stay strings."""
    if isinstance(obj, dict):
        return {k: obj[k] if k in keep else _as_numbers(obj[k], keep) for k in obj}
    if isinstance(obj, list):
        return [_as_numbers(v, keep) for v in obj]
    if isinstance(obj, str) and obj.lstrip("-").isdigit():
        return int(obj)
    return obj


def test_model_config_is_the_grpc_answer_as_triton_prints_it(served):
    """GET v2/models/<m>[/versions/<v>]/config (tritonclient.http's get_model_config): the
    ModelConfig message, proto field names, every field, 64-bit integers as JSON numbers."""
    from minitf.protos import grpc_service_pb2 as pb
    server, client = served
    opts = dict(preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    for path, version in (("/v2/models/dense/config", ""),
                          ("/v2/models/dense/versions/1/config", "1")):
        doc = ok(server, path)
        want = _grpc(client, "ModelConfig", pb.ModelConfigRequest(name="dense", version=version),
                     pb.ModelConfigResponse).config
        assert doc == _as_numbers(json_format.MessageToDict(want, **opts), keep=("name",))
        assert (doc["name"], doc["platform"], doc["max_batch_size"]) == \
            ("dense", "tensorflow_savedmodel", 8)
        x, = doc["input"]
        assert (x["name"], x["data_type"], x["dims"]) == ("x", "TYPE_FP32", [4])
        assert doc["dynamic_batching"]["max_queue_delay_microseconds"] == 1000  # not "1000"
    status, doc, _ = call(server, "/v2/models/nope/config")
    assert status == 404 and "'nope'" in doc["error"]


def test_model_statistics_are_the_grpc_answer_as_triton_prints_them(served):
    """GET v2/models[/<m>[/versions/<v>]]/stats (get_inference_statistics): {"model_stats":
    [...]}, counts as JSON numbers; without a model, every model's."""
    from minitf.protos import grpc_service_pb2 as pb
    server, client = served
    ok(server, "/v2/models/dense/versions/1/infer", _x())
    opts = dict(preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    for path, name, version in (("/v2/models/dense/versions/1/stats", "dense", "1"),
                                ("/v2/models/dense/stats", "dense", ""),
                                ("/v2/models/stats", "", "")):
        want = _grpc(client, "ModelStatistics", pb.ModelStatisticsRequest(
            name=name, version=version), pb.ModelStatisticsResponse)
        for ms in want.model_stats:  # every duration, as Triton writes them
            for field in ("success", "fail", "queue", "compute_input", "compute_infer",
                          "compute_output", "cache_hit", "cache_miss"):
                getattr(ms.inference_stats, field).SetInParent()
        doc = ok(server, path)
        assert doc == _as_numbers(json_format.MessageToDict(want, **opts))
    one = ok(server, "/v2/models/dense/versions/1/stats")["model_stats"]
    assert [(s["name"], s["version"]) for s in one] == [("dense", "1")]
    stats = server.plane.stats.get("dense", 1)
    assert one[0]["inference_count"] == stats["rows"] and one[0]["inference_count"] >= 1
    assert one[0]["inference_stats"]["success"] == {"count": stats["ok"], "ns": stats["ok_ns"]}
    assert one[0]["inference_stats"]["cache_miss"] == {"count": 0, "ns": 0}
    every = ok(server, "/v2/models/stats")["model_stats"]
    assert {s["name"] for s in every} == {"dense", "multi", "mixed", "ident", "census"}
    status, doc, _ = call(server, "/v2/models/nope/stats")
    assert status == 404 and "'nope'" in doc["error"]


@pytest.mark.parametrize("method, path, status, error", [
    ("GET", "/v2/nothing", 400, "Not Found"),
    ("GET", "/v2/models/dense/versions/1/extra", 400, "Not Found"),
    ("GET", "/v2/models/dense/infer", 405, "Method Not Allowed"),
    ("POST", "/v2/models/dense/config", 405, "Method Not Allowed"),
    ("POST", "/v2/models/stats", 405, "Method Not Allowed"),
    ("POST", "/v2/repository/index", 400, "Not Found"),
])
def test_unknown_v2_paths_answer_json_as_triton(served, method, path, status, error):
    """tritonclient.http parses every error body as JSON: no text/plain 404 under /v2."""
    server, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        conn.request(method, path, body=b"{}" if method == "POST" else None)
        resp = conn.getresponse()
        assert (resp.status, resp.getheader("Content-Type")) == (status, "application/json")
        assert json.loads(resp.read()) == {"error": error}
    finally:
        conn.close()


@pytest.mark.parametrize("path, error", [
    ("/v1/models", "Missing model name in request."),
    ("/v1/models/dense:predict", "Malformed request: GET /v1/models/dense:predict"),
    ("/v1/models/dense/versions/1:classify",
     "Malformed request: GET /v1/models/dense/versions/1:classify"),
])
def test_tf_serving_get_paths_it_has_no_handler_for(served, path, error):
    """http_rest_api_handler.cc: GET takes status and metadata paths; a status path without a
    model name is INVALID_ARGUMENT, any other /v1 path "Malformed request"."""
    server, _ = served
    status, doc, text = call(server, path)
    assert (status, doc) == (400, {"error": error}), text


# -- shapes and formats TF Serving and Triton answer -------------------------------------------
def write_odd_model(base: str) -> str:
    """"odd": x float32 [None]; serving_default -> total (0-d sum) and any (0-d bool); pos
    -> x's positive values (0 rows when none); split -> pos and the others; half -> x as
    float16."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        total = tf.reduce_sum(x, name="total")
        anyp = tf.greater(total, tf.constant(0.0), name="any")
        pos = tf.boolean_mask(x, tf.greater(x, tf.constant(0.0)), name="pos")
        rest = tf.boolean_mask(x, tf.logical_not(tf.greater(x, tf.constant(0.0))), name="rest")
        with tf.Session(graph=graph) as sess:
            return save_model(os.path.join(base, "1"), sess, signatures={
                "serving_default": {"inputs": {"x": x},
                                    "outputs": {"total": total, "any": anyp}},
                "pos": {"inputs": {"x": x}, "outputs": {"pos": pos}},
                "split": {"inputs": {"x": x}, "outputs": {"pos": pos, "rest": rest}},
                "half": {"inputs": {"x": x},
                         "outputs": {"h": tf.cast(x, tf.float16, name="h")}}})


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd")
    write_odd_model(str(root / "odd"))
    with running_server([ModelConfig(name="odd", base_path=str(root / "odd"))],
                        reflection=False) as (server, client):
        yield server, client


def test_kserve_0d_outputs_keep_shape_empty(odd):
    """A 0-d output is shape [] (as ModelInfer says), in JSON and in the binary extension."""
    server, client = odd
    x = [1.5, -0.25, 2.0]
    want = client.infer("odd", {"x": np.array(x, np.float32)})
    assert want["total"].shape == () and want["any"].shape == ()
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3], "data": x}]}
    outs = {o["name"]: o for o in ok(server, "/v2/models/odd/infer", body)["outputs"]}
    assert outs["total"] == {"name": "total", "datatype": "FP32", "shape": [],
                             "data": [3.25]}
    assert outs["any"] == {"name": "any", "datatype": "BOOL", "shape": [], "data": [True]}
    status, headers, raw = _post_binary(server, "/v2/models/odd/infer", dict(
        body, parameters={"binary_data_output": True}))
    meta, rest = _split(headers, raw)
    shapes = {o["name"]: (o["shape"], o["parameters"]["binary_data_size"])
              for o in meta["outputs"]}
    assert status == 200 and shapes == {"any": ([], 1), "total": ([], 4)}
    assert np.frombuffer(rest[1:], "<f4").tolist() == [float(want["total"])]


def test_row_format_output_with_zero_rows(odd):
    """MakeRowFormatJsonFromTensors (since tensorflow/serving#1615): a 0-row output gives
    {"predictions": []}; the outputs' first dimensions must still agree."""
    server, _ = odd
    assert ok(server, "/v1/models/odd:predict", {"signature_name": "pos",
                                                 "instances": [-1.0, -2.0]}) == \
        {"predictions": []}
    assert ok(server, "/v1/models/odd:predict", {"signature_name": "pos",
                                                 "inputs": [-1.0]}) == {"outputs": []}
    assert ok(server, "/v1/models/odd:predict", {"signature_name": "pos",
                                                 "instances": [-1.0, 2.5]}) == \
        {"predictions": [2.5]}
    status, doc, _ = call(server, "/v1/models/odd:predict", {"signature_name": "split",
                                                             "instances": [-1.0, -2.0]})
    assert status == 400
    assert doc["error"] in ("Tensor name: rest has inconsistent batch size: 2 expecting: 0",
                            "Tensor name: pos has inconsistent batch size: 0 expecting: 2")


def test_float16_outputs_cannot_be_written_as_tf_serving_says(odd):
    """TF Serving's JSON writer has no DT_HALF case (tensorflow/serving#1639; the PR adding
    it was never merged): the same error, naming the output too. An empty one writes."""
    server, _ = odd
    status, doc, _ = call(server, "/v1/models/odd:predict", {"signature_name": "half",
                                                             "instances": [1.5]})
    assert status == 400 and doc == {"error": "Failed to write JSON value for tensor type: "
                                              "half (output 'h')"}
    # KServe carries FP16 (in binary form only, as Triton).
    status, headers, raw = _post_binary(server, "/v2/models/odd/infer", {
        "inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1.5]}],
        "outputs": [{"name": "h", "parameters": {"binary_data": True}}],
        "parameters": {"signature_name": "half"}})
    meta, rest = _split(headers, raw)
    assert meta["outputs"][0]["datatype"] == "FP16"
    assert np.frombuffer(rest, "<f2").tolist() == [1.5]


def test_kserve_binary_shape_overflow_is_invalid_argument(served):
    server, _ = served
    doc = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2**40, 2**40],
                       "parameters": {"binary_data_size": 0}}]}
    status, _, body = _post_binary(server, "/v2/models/dense/infer", doc)
    assert status == 400 and "shape [1099511627776, 1099511627776] has" in \
        json.loads(body)["error"]


# -- request bodies ----------------------------------------------------------------------------
def _chunked_post(server, path, parts, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        conn.request("POST", path, body=iter(parts), encode_chunked=True,
                     headers=headers or {"Transfer-Encoding": "chunked"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_chunked_request_bodies_are_read(served):
    server, _ = served
    body = json.dumps({"instances": X3.tolist()}).encode()
    parts = [body[:10], body[10:11], body[11:]]
    want = ok(server, "/v1/models/dense:predict", {"instances": X3.tolist()})
    assert _chunked_post(server, "/v1/models/dense:predict", parts) == (200, want)
    body = json.dumps(_x()).encode()
    status, doc = _chunked_post(server, "/v2/models/dense/infer", [body[:7], body[7:]])
    assert status == 200 and doc["model_name"] == "dense"
    # Transfer codings other than chunked are refused, not misread.
    status, doc = _raw_post(server, "/v1/models/dense:predict",
                            {"Transfer-Encoding": "gzip, chunked"}, b"0\r\n\r\n")
    assert status == 501 and "Transfer-Encoding 'gzip, chunked' is not supported" in doc["error"]
    status, doc = _raw_post(server, "/v1/models/dense:predict", {"Transfer-Encoding": "chunked"},
                            b"zz\r\n")
    assert status == 400 and "invalid chunk size line" in doc["error"]


def test_chunked_body_bounded_by_max_message_bytes(tmp_path):
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        max_message_bytes=4096, reflection=False) as (server, _):
        big = json.dumps({"instances": np.zeros((300, 4)).tolist()}).encode()
        parts = [big[i:i + 1000] for i in range(0, len(big), 1000)]
        status, doc = _chunked_post(server, "/v1/models/dense:predict", parts)
        assert status == 413
        assert "exceeds the server's message size limit 4096" in doc["error"]
        small = json.dumps({"instances": X3.tolist()}).encode()
        assert _chunked_post(server, "/v1/models/dense:predict", [small])[0] == 200


def test_refused_requests_count_under_the_paths_model(served):
    """Malformed JSON is counted under the model the path names when it is configured (and
    under "_unknown" otherwise: labels stay bounded to configured models)."""
    server, _ = served
    labels = dict(api="rest.predict", code="INVALID_ARGUMENT", model="dense", version="")
    unknown = dict(labels, model="_unknown")
    before, before_unknown = _count(server, **labels), _count(server, **unknown)
    assert call(server, "/v1/models/dense:predict", raw=b"{nope")[0] == 400
    assert call(server, "/v1/models/nope-42:predict", raw=b"{nope")[0] == 400
    assert _count(server, **labels) == before + 1
    assert _count(server, **unknown) == before_unknown + 1
