"""KServe v2's REST API on the HTTP port as Triton serves it (/v2: server and model metadata,
ready, infer incl. the binary tensor extension, config, stats, unknown paths), against a real
server on 127.0.0.1 with urllib.request / http.client as the client.

Values are checked against numpy references and what the gRPC APIs return for the same
request; every error with its status code and message.
"""

from __future__ import annotations

import http.client
import json

import numpy as np
import pytest
from google.protobuf import json_format

from .conftest import reference
from .rest_helpers import ATOL, RTOL, X3, _post_binary, _split, _x, call, ok
from .test_tfserving import hidden_reference


# -- KServe v2 ---------------------------------------------------------------------------------
def test_server_and_model_metadata_match_grpc(rest_served):
    server, client = rest_served
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


def test_model_ready(rest_served):
    server, _ = rest_served
    assert call(server, "/v2/models/dense/ready")[:2] == (200, None)
    assert call(server, "/v2/models/dense/versions/1/ready")[:2] == (200, None)
    assert call(server, "/v2/models/dense/versions/7/ready")[:2] == (400, None)
    assert call(server, "/v2/models/nope/ready")[:2] == (400, None)


def test_infer_matches_grpc(rest_served):
    server, client = rest_served
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


def test_infer_bytes_int64_bool_and_signature_parameter(rest_served):
    server, client = rest_served
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
    ("dense", dict(_x(), outputs=[{"name": "probs", "parameters": {"classification": -1}}]),
     400, "invalid value for 'classification' parameter, expected >= 1"),
    ("dense", dict(_x(), outputs=[{"name": "probs", "parameters": {"classification": "2"}}]),
     400, "invalid value type for 'classification' parameter, expected int64_param"),
    ("dense", dict(_x(), outputs=[{"name": "probs", "parameters": {"classification": True}}]),
     400, "invalid value type for 'classification' parameter, expected int64_param"),
    ("dense", dict(_x(), outputs=[{"name": "probs",
                                   "parameters": {"shared_memory_region": "r0"}}]),
     400, "'shared_memory_byte_size' must be specified along with 'shared_memory_region' "
     "parameter for output 'probs'"),
    ("dense", dict(_x(), parameters={"timeout": "soon"}), 400, "'timeout' parameter"),
    ("dense", dict(_x(), id=7), 400, "Unable to parse 'id': expected a string, got 7"),
    # Element counts past int64 (np.prod wrapped them: 500 INTERNAL), as gRPC refuses them.
    ("dense", _x(shape=[2**40, 2**40], data=[]), 400,
     "input 'x': shape [1099511627776, 1099511627776] has 1208925819614629174706176 elements"),
    ("dense", _x(shape=[2**64, 0], data=[]), 400, "'shape' must be a list of non-negative int64"),
    # No elements, but dimensions numpy cannot address: why, in ModelInfer's words (one check).
    ("dense", _x(shape=[0, 2**62], data=[]), 400, "input 'x': cannot make a tensor of shape "
     "[0, 4611686018427387904]: its element count overflows"),
    # Numbers a double cannot hold, refused as Triton's rapidjson refuses them (500 "Exceeds
    # the limit (4300 digits)" before; 1e400 was read as infinity).
    ("dense", b'{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": ['
     + b"9" * 5000 + b", 2, 3, 4]}]}", 400, "failed to parse the request JSON buffer: Number "
     "too big to be stored in double: 99999999999999999999... (5000 characters)"),
    ("dense", b'{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": '
     b"[1e400, 2, 3, 4]}]}", 400, "Number too big to be stored in double: 1e400"),
    # An int64 parameter out of range (500 "Value out of range" before).
    ("dense", dict(_x(), parameters={"timeout": 10**30}), 400, "invalid value for 'timeout' "
     "parameter: 1000000000000000000000000000000 is out of range for int64_param"),
]


@pytest.mark.parametrize("model, body, status, fragment", KSERVE_ERRORS,
                         ids=[f"{i}-{e[0]}" for i, e in enumerate(KSERVE_ERRORS)])
def test_kserve_errors(rest_served, model, body, status, fragment):
    server, _ = rest_served
    got, doc, text = call(server, f"/v2/models/{model}/infer",
                          raw=body if isinstance(body, bytes) else json.dumps(body).encode())
    assert got == status, text
    assert sorted(doc) == ["error"] and fragment in doc["error"], doc["error"]


def test_repository_body_with_a_number_too_big_is_refused(rest_served):
    """The repository and shared-memory bodies parse as infer's (500 before)."""
    server, _ = rest_served
    status, doc, text = call(server, "/v2/repository/index",
                             raw=b'{"ready": ' + b"9" * 5000 + b"}")
    assert status == 400, text
    assert doc["error"].startswith("failed to parse the index request JSON buffer: Number too "
                                   "big to be stored in double: 9999"), doc


def test_classification_extension(rest_served):
    """An output with a "classification" count: each row's top k as "value:index" strings,
    in JSON and with binary_data (the binary BYTES layout), the same as gRPC answers."""
    server, client = rest_served
    body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 4],
                        "data": X3.reshape(-1).tolist()}],
            "outputs": [{"name": "probs", "parameters": {"classification": 2}},
                        {"name": "classes", "parameters": {"classification": 1,
                                                           "binary_data": True}}]}
    status, headers, raw = _post_binary(server, "/v2/models/dense/versions/1/infer", body)
    assert status == 200
    doc, binary = _split(headers, raw)
    probs, classes = doc["outputs"]
    assert (probs["datatype"], probs["shape"]) == ("BYTES", [3, 2])
    want = reference(X3)
    for row, strings in enumerate(np.array(probs["data"]).reshape(3, 2)):
        pairs = [s.split(":") for s in strings]
        top = np.argsort(-want["probs"][row])[:2]
        assert [int(i) for _, i in pairs] == top.tolist()
        np.testing.assert_allclose([float(v) for v, _ in pairs], want["probs"][row][top],
                                   atol=5e-7)
    assert (classes["datatype"], classes["shape"]) == ("BYTES", [3, 1])
    expected = b"".join(len(s).to_bytes(4, "little") + s for s in
                        (f"{c}:0".encode() for c in want["classes"]))
    assert binary == expected and classes["parameters"] == {"binary_data_size": len(expected)}
    # A count of 0 over REST: no classification (Triton reads it unsigned, 0 meaning none).
    body["outputs"] = [{"name": "probs", "parameters": {"classification": 0}}]
    doc = ok(server, "/v2/models/dense/versions/1/infer", body)
    assert doc["outputs"][0]["datatype"] == "FP32"
    np.testing.assert_allclose(np.array(doc["outputs"][0]["data"]).reshape(3, 3),
                               want["probs"], rtol=RTOL, atol=ATOL)


def test_binary_tensor_extension(rest_served):
    """Inputs as raw little-endian bytes after the JSON header, outputs asked for with
    binary_data: Triton's layout (BYTES as 4-byte-length-prefixed elements, encoded and
    decoded here with tritonclient's own utilities)."""
    from tritonclient.utils import deserialize_bytes_tensor, serialize_byte_tensor
    server, client = rest_served
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
def test_binary_tensor_errors(rest_served, binary, size, length, fragment):
    server, _ = rest_served
    doc = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                       "parameters": {"binary_data_size": size}}]}
    status, _, body = _post_binary(server, "/v2/models/dense/infer", doc, binary, length)
    assert status == 400 and fragment in json.loads(body)["error"], body


def test_unknown_model_metadata_is_404(rest_served):
    server, _ = rest_served
    status, doc, _ = call(server, "/v2/models/nope")
    assert status == 404 and "'nope'" in doc["error"]
    status, doc, _ = call(server, "/v1/models/nope/metadata")
    assert status == 404 and "Latest(nope)" in doc["error"]


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


def test_model_config_is_the_grpc_answer_as_triton_prints_it(rest_served):
    """GET v2/models/<m>[/versions/<v>]/config (tritonclient.http's get_model_config): the
    ModelConfig message, proto field names, every field, 64-bit integers as JSON numbers."""
    from minitf.protos import grpc_service_pb2 as pb
    server, client = rest_served
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


def test_model_statistics_are_the_grpc_answer_as_triton_prints_them(rest_served):
    """GET v2/models[/<m>[/versions/<v>]]/stats (get_inference_statistics): {"model_stats":
    [...]}, counts as JSON numbers; without a model, every model's."""
    from minitf.protos import grpc_service_pb2 as pb
    server, client = rest_served
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
    ("POST", "/v2/repository/nothing", 400, "Not Found"),
])
def test_unknown_v2_paths_answer_json_as_triton(rest_served, method, path, status, error):
    """tritonclient.http parses every error body as JSON: no text/plain 404 under /v2."""
    server, _ = rest_served
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    try:
        conn.request(method, path, body=b"{}" if method == "POST" else None)
        resp = conn.getresponse()
        assert (resp.status, resp.getheader("Content-Type")) == (status, "application/json")
        assert json.loads(resp.read()) == {"error": error}
    finally:
        conn.close()


# -- shapes and formats Triton answers ---------------------------------------------------------
def test_kserve_0d_outputs_keep_shape_empty(odd_served):
    """A 0-d output is shape [] (as ModelInfer says), in JSON and in the binary extension."""
    server, client = odd_served
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


def test_kserve_binary_shape_overflow_is_invalid_argument(rest_served):
    server, _ = rest_served
    doc = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2**40, 2**40],
                       "parameters": {"binary_data_size": 0}}]}
    status, _, body = _post_binary(server, "/v2/models/dense/infer", doc)
    assert status == 400 and "shape [1099511627776, 1099511627776] has" in \
        json.loads(body)["error"]
