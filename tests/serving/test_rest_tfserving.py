"""TensorFlow Serving's REST API on the HTTP port (/v1: predict, classify, regress, metadata),
against a real server on 127.0.0.1 with urllib.request as the client.

Values are checked against numpy references (and, for classify/regress, the same graph run in
a Session); metadata against what the gRPC API returns for the same request; every error with
its status code and message.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from google.protobuf import json_format

from minitf.protos import get_model_metadata_pb2

from .conftest import reference
from .rest_helpers import ATOL, ROWS, RTOL, X3, _post_binary, _split, call, ok
from .test_classify_regress import LABELS
from .test_tfserving import hidden_reference


# -- TF Serving: predict ------------------------------------------------------------------------
def test_row_format_several_outputs_are_objects_per_row(rest_served):
    server, _ = rest_served
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


def test_columnar_format(rest_served):
    server, _ = rest_served
    doc = ok(server, "/v1/models/dense:predict", {"inputs": X3.tolist()})
    ref = reference(X3, 2.0)
    assert sorted(doc["outputs"]) == ["classes", "logits", "probs"]
    np.testing.assert_allclose(np.array(doc["outputs"]["probs"], np.float32), ref["probs"],
                               rtol=RTOL, atol=ATOL)
    assert doc["outputs"]["classes"] == ref["classes"].tolist()
    assert ok(server, "/v1/models/dense:predict", {"inputs": {"x": X3.tolist()}}) == doc


def test_single_output_is_unnamed_and_signature_selection(rest_served):
    server, _ = rest_served
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
def test_versions_and_labels(rest_served, path, scale):
    server, _ = rest_served
    doc = ok(server, path, {"inputs": X3.tolist()})
    np.testing.assert_allclose(np.array(doc["outputs"]["logits"], np.float32),
                               reference(X3, scale)["logits"], rtol=RTOL, atol=ATOL)


def test_strings_b64_int64_and_bool(rest_served):
    server, _ = rest_served
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


def test_float_formatting_as_tf_serving_writes_it(rest_served):
    """WriteDecimal: six digits when they round-trip, else 9 (float) / 17 (double); ".0" on
    whole numbers; NaN and Infinity as bare literals (and read back in requests)."""
    server, _ = rest_served
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
def test_classify_with_context(rest_served, version):
    server, _ = rest_served
    examples, context = _examples_json()
    doc = ok(server, f"/v1/models/census/versions/{version}:classify",
             {"examples": examples, "context": context})
    want = server.census.expect(_serialized(examples, context), version)
    assert len(doc["results"]) == 3
    for i, row in enumerate(doc["results"]):
        assert [c[0] for c in row] == [b.decode() for b in LABELS]
        np.testing.assert_allclose([c[1] for c in row], want["scores"][i], rtol=1e-6,
                                   atol=1e-7)


def test_regress(rest_served):
    server, _ = rest_served
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
def test_metadata_is_the_grpc_answer_as_protobuf_json(rest_served, path, model, version):
    server, client = rest_served
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
    ("nope:predict", {"inputs": ROWS}, 404, "Latest(nope)"),
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
    # More dimensions than numpy's 64 (a row of 'instances' 63: the batch is one more); 500
    # "maximum supported dimension for an ndarray is currently 64" before.
    ("dense:predict", b'{"instances": ' + b"[" * 70 + b"1" + b"]" * 70 + b"}", 400,
     "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: "
     "lists nested 69 deep make a tensor of 69 dimensions, more than the 63 supported in a row "
     "of 'instances'"),
    ("dense:predict", b'{"inputs": ' + b"[" * 65 + b"1" + b"]" * 65 + b"}", 400,
     "JSON Value: lists nested 65 deep make a tensor of 65 dimensions, more than the 64 "
     "supported"),
    # Numbers a double cannot hold, refused as TF Serving's rapidjson refuses them (500 "Exceeds
    # the limit (4300 digits)" before; 1e400 was read as infinity).
    ("dense:predict", b'{"instances": [[' + b"9" * 5000 + b", 2, 3, 4]]}", 400,
     "JSON Parse error: Number too big to be stored in double: 99999999999999999999... (5000 "
     "characters)"),
    ("dense:predict", b'{"instances": [[1e400, 2, 3, 4]]}', 400,
     "JSON Parse error: Number too big to be stored in double: 1e400"),
    ("dense:predict", b'{"inputs": [[1, 2, 3, -1E+309]]}', 400,
     "JSON Parse error: Number too big to be stored in double: -1E+309"),
    ("dense:predict", b'{"inputs": [[1, 2, 3, 1' + b"0" * 400 + b'.5]]}', 400,
     "Number too big to be stored in double: 10000000000000000000... (403 characters)"),
    ("census:regress", b'{"examples": [{"x": [1e999]}]}', 400,
     "JSON Parse error: Number too big to be stored in double: 1e999"),
    ("census:classify", b'{"examples": [{"x": [' + b"9" * 5000 + b"]}]}", 400,
     "JSON Parse error: Number too big to be stored in double"),
    # A feature name protobuf cannot hold (500 UnicodeEncodeError before).
    ("census:classify", b'{"examples": [{"\\ud800": [1.0]}]}', 400,
     'Feature name "\\ud800" is not valid Unicode (it holds a lone surrogate)'),
    ("census:classify", b'{"context": {"\\udfff": 1}, "examples": [{"x": [1.0]}]}', 400,
     'Feature name "\\udfff" is not valid Unicode'),
]


@pytest.mark.parametrize("path, body, status, fragment", TFS_ERRORS,
                         ids=[f"{i}-{e[0]}" for i, e in enumerate(TFS_ERRORS)])
def test_tf_serving_errors(rest_served, path, body, status, fragment):
    server, _ = rest_served
    got, doc, text = call(server, f"/v1/models/{path}", raw=body if isinstance(body, bytes)
                          else json.dumps(body).encode())
    assert got == status, text
    assert sorted(doc) == ["error"] and fragment in doc["error"], doc["error"]


def test_number_literals_a_double_holds_are_still_read(rest_served):
    """What the too-big check lets through: NaN and Infinity literals (TF Serving reads them),
    an exponent that underflows to 0, long digit strings that fit, and a string that merely
    looks like a big number (it only makes the body take the checked parse)."""
    server, _ = rest_served
    body = (b'{"inputs": [NaN, -Infinity, 1e-400, 1.5e+38, 0.' + b"1" * 300 + b"], "
            b'"signature_name": "serving_default", "note": "1e999 ' + b"9" * 400 + b'"}')
    status, doc, text = call(server, "/v1/models/ident:predict", raw=body)
    assert status == 200, text
    np.testing.assert_array_equal(np.array(doc["outputs"]["y"], np.float32), np.array(
        [np.nan, -np.inf, 0.0, 1.5e38, 0.1111111111], np.float32))


def test_status_refuses_a_version_past_int64_as_metadata_does(rest_served):
    """GET /v1/models/<m>/versions/<N> with N past int64: TF Serving's 400 "Failed to convert
    version" (404 "Could not find version" before), as the metadata path answers."""
    server, _ = rest_served
    error = {"error": "Failed to convert version: 99999999999999999999 to numeric."}
    for path in ("/v1/models/dense/versions/99999999999999999999",
                 "/v1/models/dense/versions/99999999999999999999/metadata"):
        status, doc, text = call(server, path)
        assert (status, doc) == (400, error), (path, text)
    status, doc, _ = call(server, "/v1/models/dense/versions/9223372036854775807")
    assert status == 404 and "9223372036854775807" in doc["error"]  # an int64: not found


@pytest.mark.parametrize("path, error", [
    ("/v1/models", "Missing model name in request."),
    ("/v1/models/dense:predict", "Malformed request: GET /v1/models/dense:predict"),
    ("/v1/models/dense/versions/1:classify",
     "Malformed request: GET /v1/models/dense/versions/1:classify"),
])
def test_tf_serving_get_paths_it_has_no_handler_for(rest_served, path, error):
    """http_rest_api_handler.cc: GET takes status and metadata paths; a status path without a
    model name is INVALID_ARGUMENT, any other /v1 path "Malformed request"."""
    server, _ = rest_served
    status, doc, text = call(server, path)
    assert (status, doc) == (400, {"error": error}), text


# -- shapes and formats TF Serving answers -----------------------------------------------------
def test_row_format_output_with_zero_rows(odd_served):
    """MakeRowFormatJsonFromTensors (since tensorflow/serving#1615): a 0-row output gives
    {"predictions": []}; the outputs' first dimensions must still agree."""
    server, _ = odd_served
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


def test_float16_outputs_cannot_be_written_as_tf_serving_says(odd_served):
    """TF Serving's JSON writer has no DT_HALF case (tensorflow/serving#1639; the PR adding
    it was never merged): the same error, naming the output too. An empty one writes."""
    server, _ = odd_served
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
