"""Bad requests get the right gRPC status and a message naming what is wrong -- never INTERNAL
or UNKNOWN -- over both APIs: wrong dtype or shape, unknown or missing aliases, unknown model,
version, label or signature, bad output filters, oversize messages, raw bytes that do not match
the shape, empty and malformed messages, BYTES/typed mismatches. A hypothesis property test then
sends random and mutated requests and checks that the server still answers correctly."""

from __future__ import annotations

import collections

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tritonclient.utils import InferenceServerException

from minitf.errors import DeadlineExceededError, InvalidArgumentError
from minitf.export.tensors import make_tensor_proto
from minitf.protos import (get_model_metadata_pb2, get_model_status_pb2, grpc_service_pb2,
                           method_path, model_service_pb2, predict_pb2, prediction_service_pb2,
                           session_service_pb2, tensor_pb2)
from minitf.serving.batching import BatchingConfig
from minitf.serving.repository import ModelConfig

from .conftest import reference, running_server, write_model

X = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, -2.0]], np.float32)
SMALL_MESSAGE = 4096  # max_message_bytes of the oversize test's server


def _path(module, service, method):
    return method_path(module.DESCRIPTOR.services_by_name[service].methods_by_name[method])


PREDICT = _path(prediction_service_pb2, "PredictionService", "Predict")
METADATA = _path(prediction_service_pb2, "PredictionService", "GetModelMetadata")
STATUS = _path(model_service_pb2, "ModelService", "GetModelStatus")
SESSION_RUN = _path(session_service_pb2, "SessionService", "SessionRun")
INFER = _path(grpc_service_pb2, "GRPCInferenceService", "ModelInfer")
KSERVE_METADATA = _path(grpc_service_pb2, "GRPCInferenceService", "ModelMetadata")
MODEL_READY = _path(grpc_service_pb2, "GRPCInferenceService", "ModelReady")
STATISTICS = _path(grpc_service_pb2, "GRPCInferenceService", "ModelStatistics")
REQUEST_TYPES = {PREDICT: predict_pb2.PredictRequest,
                 METADATA: get_model_metadata_pb2.GetModelMetadataRequest,
                 STATUS: get_model_status_pb2.GetModelStatusRequest,
                 SESSION_RUN: session_service_pb2.SessionRunRequest,
                 INFER: grpc_service_pb2.ModelInferRequest,
                 KSERVE_METADATA: grpc_service_pb2.ModelMetadataRequest,
                 MODEL_READY: grpc_service_pb2.ModelReadyRequest,
                 STATISTICS: grpc_service_pb2.ModelStatisticsRequest}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    write_model(str(root / "dense"), 1)
    models = [ModelConfig(name="dense", base_path=str(root / "dense"),
                          version_labels={"stable": 1})]
    with running_server(models, BatchingConfig(max_batch_size=8,
                                               batch_timeout_micros=500)) as (server, client):
        yield server, client


def send(channel, path, payload: bytes, timeout=10) -> bytes:
    """Raw bytes to a method path (no serialisers on either side)."""
    return channel.unary_unary(path)(payload, timeout=timeout)


def refused(fn, code: str, *fragments):
    """Runs ``fn``, which must fail with ``code`` and a message holding every fragment."""
    with pytest.raises(grpc.RpcError) as err:
        fn()
    details = err.value.details()
    assert err.value.code().name == code, details
    for fragment in fragments:
        assert fragment in details, details
    return details


def predict_request(inputs=None, model="dense", version=None, label=None, signature=None,
                    output_filter=()):
    req = predict_pb2.PredictRequest()
    req.model_spec.name = model
    if version is not None:
        req.model_spec.version.value = version
    if label is not None:
        req.model_spec.version_label = label
    if signature is not None:
        req.model_spec.signature_name = signature
    for alias, value in ({"x": X} if inputs is None else inputs).items():
        tensor = value if isinstance(value, tensor_pb2.TensorProto) else \
            make_tensor_proto(value)
        req.inputs[alias].CopyFrom(tensor)
    req.output_filter.extend(output_filter)
    return req


def infer_request(datatype="FP32", shape=(2, 4), raw=None, typed=None, name="x",
                  model="dense", version=""):
    req = grpc_service_pb2.ModelInferRequest(model_name=model, model_version=version)
    tensor = req.inputs.add(name=name, datatype=datatype, shape=list(shape))
    if typed is not None:
        field, values = typed
        getattr(tensor.contents, field).extend(values)
    if raw is not None:
        req.raw_input_contents.append(raw)
    return req


def predict(client, req):
    return send(client.channel, PREDICT, req.SerializeToString())


def infer(client, req):
    return send(client.channel, INFER, req.SerializeToString())


# -- TF Serving Predict ---------------------------------------------------------------------
def test_wrong_dtype(served):
    client = served[1]
    refused(lambda: client.predict("dense", {"x": X.astype(np.int32)}), "INVALID_ARGUMENT",
            "'x'", "float32", "int32")
    refused(lambda: client.predict("dense", {"x": np.array([[b"a"] * 4], dtype=object)}),
            "INVALID_ARGUMENT", "'x'", "float32", "string")


@pytest.mark.parametrize("value,shape", [(np.zeros((2, 5), np.float32), "[2, 5]"),
                                         (np.zeros(4, np.float32), "[4]"),
                                         (np.zeros((1, 2, 4), np.float32), "[1, 2, 4]")])
def test_wrong_shape(served, value, shape):
    refused(lambda: served[1].predict("dense", {"x": value}), "INVALID_ARGUMENT", "'x'",
            "[-1,4]", shape)


def test_unknown_and_missing_aliases(served):
    client = served[1]
    refused(lambda: client.predict("dense", {"x": X, "extra": X}), "INVALID_ARGUMENT",
            "Sent extra: {extra}")
    details = refused(lambda: client.predict("dense", {"image": X}), "INVALID_ARGUMENT",
                      "Sent extra: {image}", "Missing but required: {x}")
    assert "1!=1" in details  # TF Serving's wording: sizes, then the sets
    refused(lambda: client.predict("dense", {}), "INVALID_ARGUMENT",
            "Missing but required: {x}")


def test_unknown_model_version_label_signature(served):
    client = served[1]
    refused(lambda: client.predict("nope", {"x": X}), "NOT_FOUND", "Latest(nope)")
    refused(lambda: client.predict("dense", {"x": X}, version=4), "NOT_FOUND", "dense", "4")
    refused(lambda: client.predict("dense", {"x": X}, label="beta"), "INVALID_ARGUMENT",
            "Unrecognized servable version label: beta")
    refused(lambda: client.predict("dense", {"x": X}, signature="classify"),
            "FAILED_PRECONDITION", '"classify"')
    # KServe: the same model errors, and a version that is not a number.
    refused(lambda: client.infer("nope", {"x": X}), "NOT_FOUND", "'nope'")
    refused(lambda: client.infer("dense", {"x": X}, version=4), "NOT_FOUND", "4")
    refused(lambda: infer(client, infer_request(raw=X.tobytes(), version="v1")),
            "INVALID_ARGUMENT", "model_version", "'v1'")


def test_bad_output_filter(served):
    client = served[1]
    refused(lambda: client.predict("dense", {"x": X}, outputs=["scores"]), "INVALID_ARGUMENT",
            "scores", "{classes,logits,probs}")
    refused(lambda: client.predict("dense", {"x": X}, outputs=["probs", "probs"]),
            "INVALID_ARGUMENT", "duplicate", "probs")
    refused(lambda: client.infer("dense", {"x": X}, outputs=["scores"]), "INVALID_ARGUMENT",
            "scores")


def test_tensor_content_length_does_not_match_shape(served):
    tensor = make_tensor_proto(X)
    tensor.tensor_content = tensor.tensor_content[:-4]
    refused(lambda: predict(served[1], predict_request({"x": tensor})), "INVALID_ARGUMENT",
            "'x'", "28 bytes", "[2, 4]", "32")
    too_many = tensor_pb2.TensorProto(dtype=1, float_val=[1.0] * 9)
    too_many.tensor_shape.dim.add().size = 2
    too_many.tensor_shape.dim.add().size = 4
    refused(lambda: predict(served[1], predict_request({"x": too_many})), "INVALID_ARGUMENT",
            "9 values", "[2, 4]")


def test_tensor_dtypes_and_bytes_tensorflow_refuses(served):
    """A dtype minitf has no type for (bfloat16) is a bad request, not a missing method; one it
    has but the model does not take (complex64, qint8) is named; bool bytes other than 0/1 are
    refused, as TensorFlow's Tensor::FromProto refuses them."""
    tensor = tensor_pb2.TensorProto(dtype=14, tensor_content=bytes(16))  # DT_BFLOAT16
    tensor.tensor_shape.dim.add().size = 2
    tensor.tensor_shape.dim.add().size = 4
    refused(lambda: predict(served[1], predict_request({"x": tensor})), "INVALID_ARGUMENT",
            "'x'", "DT_BFLOAT16")
    tensor = tensor_pb2.TensorProto(dtype=11, tensor_content=bytes(8))  # DT_QINT8
    tensor.tensor_shape.dim.add().size = 2
    tensor.tensor_shape.dim.add().size = 4
    refused(lambda: predict(served[1], predict_request({"x": tensor})), "INVALID_ARGUMENT",
            "'x'", "float32", "qint8")
    tensor = tensor_pb2.TensorProto(dtype=8, tensor_content=bytes(64))  # DT_COMPLEX64
    tensor.tensor_shape.dim.add().size = 2
    tensor.tensor_shape.dim.add().size = 4
    refused(lambda: predict(served[1], predict_request({"x": tensor})), "INVALID_ARGUMENT",
            "'x'", "float32", "complex64")
    flags = tensor_pb2.TensorProto(dtype=10, tensor_content=bytes([0, 1, 2]))  # DT_BOOL
    flags.tensor_shape.dim.add().size = 3
    refused(lambda: predict(served[1], predict_request({"x": flags})), "INVALID_ARGUMENT",
            "'x'", "bool tensor_content", "other than 0 and 1")


def test_raw_bytes_do_not_match_the_shape(served):
    client = served[1]
    refused(lambda: infer(client, infer_request(raw=X.tobytes()[:-4])), "INVALID_ARGUMENT",
            "'x'", "28 bytes", "[2, 4]", "32")
    refused(lambda: infer(client, infer_request(shape=(3, 4), raw=X.tobytes())),
            "INVALID_ARGUMENT", "32 bytes", "[3, 4]", "48")
    # One raw entry per input, no more, no less.
    req = infer_request(raw=X.tobytes())
    req.raw_input_contents.append(X.tobytes())
    refused(lambda: infer(client, req), "INVALID_ARGUMENT", "raw_input_contents", "got 2")
    refused(lambda: infer(client, infer_request(shape=(-1, 4), raw=b"")), "INVALID_ARGUMENT",
            "[-1, 4]")
    # numpy's reshape would infer the -1 from the bytes; the protocol has no such dimension.
    refused(lambda: infer(client, infer_request(shape=(-1, 4), raw=X.tobytes())),
            "INVALID_ARGUMENT", "invalid shape [-1, 4]")


def test_bytes_and_typed_mismatches(served):
    client = served[1]
    # BYTES where FP32 is expected (raw BYTES framing is valid, the dtype is not).
    raw_bytes = b"".join(len(b"ab").to_bytes(4, "little") + b"ab" for _ in range(8))
    refused(lambda: infer(client, infer_request("BYTES", raw=raw_bytes)), "INVALID_ARGUMENT",
            "'x'", "float32", "string")
    refused(lambda: infer(client, infer_request("BYTES", raw=raw_bytes[:-1])),
            "INVALID_ARGUMENT", "'x'", "truncated")
    refused(lambda: infer(client, infer_request("BYTES", typed=("bytes_contents",
                                                                [b"a"] * 8))),
            "INVALID_ARGUMENT", "'x'", "string")
    # Typed contents in the wrong field for the datatype.
    refused(lambda: infer(client, infer_request("FP32", typed=("int_contents", [1] * 8))),
            "INVALID_ARGUMENT", "'x'", "fp32_contents")
    refused(lambda: infer(client, infer_request("FP32", typed=("fp32_contents", [1.0] * 7))),
            "INVALID_ARGUMENT", "7 values", "[2, 4]", "8")
    # Both typed and raw, FP16 typed (raw only by protocol), unknown datatype, wrong dtype.
    refused(lambda: infer(client, infer_request(raw=X.tobytes(),
                                                typed=("fp32_contents", [1.0] * 8))),
            "INVALID_ARGUMENT", "contents must be empty")
    refused(lambda: infer(client, infer_request("FP16", typed=("fp32_contents", [1.0] * 8))),
            "INVALID_ARGUMENT", "FP16", "raw_input_contents")
    refused(lambda: infer(client, infer_request("FLOAT32", raw=X.tobytes())),
            "INVALID_ARGUMENT", "'FLOAT32'", "FP32")
    refused(lambda: infer(client, infer_request("FP64", raw=X.astype(np.float64).tobytes())),
            "INVALID_ARGUMENT", "'x'", "float32", "float64")
    # A TF string tensor for a float input.
    strings = tensor_pb2.TensorProto(dtype=7, string_val=[b"a"] * 8)  # DT_STRING
    strings.tensor_shape.dim.add().size = 2
    strings.tensor_shape.dim.add().size = 4
    refused(lambda: predict(client, predict_request({"x": strings})), "INVALID_ARGUMENT",
            "'x'", "string")


# Shapes numpy cannot represent, though the request's data fits them (none): no elements,
# but the other dimensions multiply past what an array can address, or over 64 dimensions.
TOO_BIG = (0, 2**62)
OVERFLOWING = "its element count overflows (the dimensions other than 0 multiply to"


def test_shapes_numpy_cannot_represent_are_invalid_argument(served):
    """INVALID_ARGUMENT naming the shape and why, typed, raw (numbers and BYTES) and on a
    stream, as the REST API and TF Serving's Predict refuse them (INTERNAL "array is too big"
    or "cannot reshape" before; raw numbers said "0 bytes, but ... needs 0")."""
    client = served[1]
    shape = "shape [0, 4611686018427387904]"
    refused(lambda: infer(client, infer_request(shape=TOO_BIG, typed=("fp32_contents", []))),
            "INVALID_ARGUMENT", "input 'x'", shape, OVERFLOWING, "4611686018427387904 elements "
            "of 4 bytes")
    refused(lambda: infer(client, infer_request(shape=TOO_BIG, raw=b"")), "INVALID_ARGUMENT",
            "input 'x'", shape, OVERFLOWING)
    refused(lambda: infer(client, infer_request("BYTES", shape=(2**40, 2**40, 0), raw=b"")),
            "INVALID_ARGUMENT", "input 'x'", "shape [1099511627776, 1099511627776, 0]",
            OVERFLOWING, f"{2**80} elements")
    refused(lambda: infer(client, infer_request(shape=(0,) + (1,) * 64, raw=b"")),
            "INVALID_ARGUMENT", "input 'x'", "it has 65 dimensions, more than the 64 supported")
    stream = method_path(grpc_service_pb2.DESCRIPTOR.services_by_name[
        "GRPCInferenceService"].methods_by_name["ModelStreamInfer"])
    request = infer_request(shape=TOO_BIG, typed=("fp32_contents", []))
    [answer] = client.channel.stream_stream(stream)(iter([request.SerializeToString()]),
                                                    timeout=10)
    message = grpc_service_pb2.ModelStreamInferResponse.FromString(answer).error_message
    assert shape in message and OVERFLOWING in message, message
    predict(client, predict_request())  # the server goes on


def test_variant_tensors_are_refused_naming_the_dtype(served):
    """A DT_VARIANT TensorProto (no value list minitf reads) is INVALID_ARGUMENT saying so, in
    Predict and SessionRun (it was "attribute name must be string, not 'NoneType'")."""
    client = served[1]
    variant = tensor_pb2.TensorProto(dtype=21)  # DT_VARIANT
    variant.tensor_shape.dim.add().size = 1
    refused(lambda: predict(client, predict_request({"x": variant})), "INVALID_ARGUMENT",
            "input 'x': DT_VARIANT tensors are not supported")
    run = session_service_pb2.SessionRunRequest(model_spec={"name": "dense"}, fetch=["probs:0"],
                                                feed=[{"name": "x:0", "tensor": variant}])
    refused(lambda: send(client.channel, SESSION_RUN, run.SerializeToString()),
            "INVALID_ARGUMENT", "feed 'x:0': DT_VARIANT tensors are not supported")


@pytest.mark.parametrize("path,fragment", [
    (PREDICT, "Missing ModelSpec"), (METADATA, "Missing ModelSpec"),
    (STATUS, "Missing ModelSpec"), (SESSION_RUN, "Missing ModelSpec"),
    (INFER, "model name"), (KSERVE_METADATA, "model name")])
def test_empty_request(served, path, fragment):
    refused(lambda: send(served[1].channel, path, b""), "INVALID_ARGUMENT", fragment)


@pytest.mark.parametrize("path", sorted(REQUEST_TYPES))
@pytest.mark.parametrize("payload", [b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x12"],
                         ids=["bad-tag", "short-field", "truncated"])
def test_malformed_protobuf_bytes(served, path, payload):
    """Bytes that are not the message: INVALID_ARGUMENT naming the type, not INTERNAL."""
    refused(lambda: send(served[1].channel, path, payload), "INVALID_ARGUMENT",
            f"malformed {REQUEST_TYPES[path].__name__}")


def test_metadata_field_must_be_signature_def(served):
    """TF Serving's ValidateGetModelMetadataRequest: at least one field, each signature_def;
    a repeated signature_def is fine."""
    def metadata(fields):
        req = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=fields)
        req.model_spec.name = "dense"
        raw = send(served[1].channel, METADATA, req.SerializeToString())
        return get_model_metadata_pb2.GetModelMetadataResponse.FromString(raw)

    refused(lambda: metadata(["signature_def", "labels"]), "INVALID_ARGUMENT",
            "Metadata field labels is not supported")
    refused(lambda: metadata([]), "INVALID_ARGUMENT",
            "GetModelMetadataRequest must specify at least one metadata_field")
    assert metadata(["signature_def", "signature_def"]).model_spec.name == "dense"


def test_oversize_message(tmp_path):
    """A server with a small max_message_bytes refuses bigger requests with
    RESOURCE_EXHAUSTED (both APIs) and still answers small ones."""
    write_model(str(tmp_path / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(tmp_path / "dense"))],
                        max_message_bytes=SMALL_MESSAGE) as (server, client):
        big = np.zeros((SMALL_MESSAGE // 16 + 8, 4), np.float32)  # > SMALL_MESSAGE bytes
        refused(lambda: client.predict("dense", {"x": big}), "RESOURCE_EXHAUSTED",
                "larger than max", str(SMALL_MESSAGE))
        refused(lambda: client.infer("dense", {"x": big}), "RESOURCE_EXHAUSTED",
                "larger than max")
        official = triton.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
        try:
            with pytest.raises(InferenceServerException) as err:
                official.infer("dense", [triton.InferInput("x", list(big.shape), "FP32")
                                         .set_data_from_numpy(big)])
            assert err.value.status() == "StatusCode.RESOURCE_EXHAUSTED"
        finally:
            official.close()
        # A request that fits but whose answer does not (32 bytes out per 16 in): refused,
        # and counted as refused, on both APIs.
        rows = np.ones((SMALL_MESSAGE // 20, 4), np.float32)
        for api, call in (("tfserving.Predict", lambda: client.predict("dense", {"x": rows})),
                          ("kserve.ModelInfer", lambda: client.infer("dense", {"x": rows}))):
            def count(code, api=api):
                return server.metrics.registry.get_sample_value("minitf_requests_total", {
                    "model": "dense", "version": "1", "api": api, "code": code}) or 0
            ok, exhausted = count("OK"), count("RESOURCE_EXHAUSTED")
            refused(call, "RESOURCE_EXHAUSTED", "Response has byte size", str(SMALL_MESSAGE))
            assert (count("OK"), count("RESOURCE_EXHAUSTED")) == (ok, exhausted + 1), api
        np.testing.assert_allclose(client.predict("dense", {"x": X})["probs"],
                                   reference(X)["probs"], rtol=1e-5, atol=1e-6)


# -- property test: random and mutated requests -------------------------------------------------
VALID = {
    PREDICT: predict_request().SerializeToString(),
    INFER: infer_request(raw=X.tobytes()).SerializeToString(),
    SESSION_RUN: session_service_pb2.SessionRunRequest(
        model_spec={"name": "dense"}, fetch=["probs:0", "Relu:0"],
        feed=[{"name": "x:0", "tensor": make_tensor_proto(X)}]).SerializeToString(),
}
DATATYPES = ["BOOL", "UINT8", "INT8", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES", "BF16",
             "", "fp32"]
DIMS = st.lists(st.integers(-2, 5), max_size=3)


@st.composite
def mutated(draw):
    """A valid request's bytes with a few bytes flipped, inserted, deleted or truncated."""
    path = draw(st.sampled_from(sorted(VALID)))
    data = bytearray(VALID[path])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[i] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete":
            del data[i:i + draw(st.integers(1, 4))]
        else:
            del data[i:]
    return path, bytes(data)


@st.composite
def random_infer(draw):
    """Structurally valid ModelInferRequests with random datatypes, shapes and payloads."""
    req = grpc_service_pb2.ModelInferRequest(
        model_name=draw(st.sampled_from(["dense", "dense", "nope", ""])),
        model_version=draw(st.sampled_from(["", "1", "2", "x"])))
    raw = draw(st.booleans())
    for name in draw(st.lists(st.sampled_from(["x", "y", ""]), min_size=0, max_size=2)):
        tensor = req.inputs.add(name=name, datatype=draw(st.sampled_from(DATATYPES)),
                                shape=draw(DIMS))
        if raw:
            req.raw_input_contents.append(draw(st.binary(max_size=64)))
        else:
            tensor.contents.fp32_contents.extend(draw(st.lists(st.floats(width=32),
                                                               max_size=12)))
            tensor.contents.int64_contents.extend(draw(st.lists(st.integers(-3, 3),
                                                                max_size=3)))
    for name in draw(st.lists(st.sampled_from(["probs", "classes", "nope"]), max_size=2)):
        req.outputs.add(name=name)
    return INFER, req.SerializeToString()


@st.composite
def random_predict(draw):
    """PredictRequests whose tensor has a random dtype (valid or not), shape and content."""
    tensor = tensor_pb2.TensorProto(dtype=draw(st.integers(0, 30)))
    for d in draw(DIMS):
        tensor.tensor_shape.dim.add().size = d
    if draw(st.booleans()):
        tensor.tensor_content = draw(st.binary(max_size=64))
    else:
        tensor.float_val.extend(draw(st.lists(st.floats(width=32), max_size=12)))
        tensor.int64_val.extend(draw(st.lists(st.integers(-3, 3), max_size=3)))
        tensor.string_val.extend(draw(st.lists(st.binary(max_size=3), max_size=2)))
    tensor.tensor_shape.unknown_rank = draw(st.booleans()) and draw(st.booleans())
    req = predict_request({draw(st.sampled_from(["x", "y"])): tensor},
                          version=draw(st.sampled_from([None, 1, 3])),
                          output_filter=draw(st.lists(st.sampled_from(["probs", "nope"]),
                                                      max_size=2)))
    return PREDICT, req.SerializeToString()


garbage = st.tuples(st.sampled_from(sorted(REQUEST_TYPES)), st.binary(max_size=96))


def test_random_and_mutated_requests_leave_the_server_healthy(served):
    server, client = served
    outcomes: collections.Counter = collections.Counter()
    bad: list = []

    @settings(max_examples=250, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(garbage, mutated(), random_infer(), random_predict()))
    def fuzz(case):
        path, payload = case
        try:
            send(client.channel, path, payload, timeout=10)
            outcomes["OK"] += 1
        except grpc.RpcError as e:
            outcomes[e.code().name] += 1
            if e.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN) or \
                    not e.details():
                bad.append((path, payload, e.code(), e.details()))

    fuzz()
    assert not bad, bad[:5]
    # The cases reached real validation, not only the parser (a sanity check on the strategies).
    assert outcomes["INVALID_ARGUMENT"] > 50 and outcomes["NOT_FOUND"] > 0, outcomes
    assert set(outcomes) <= {"OK", "INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION",
                             "UNIMPLEMENTED"}, outcomes
    # Still serving, and correctly, over both APIs and SessionRun.
    ref = reference(X)
    np.testing.assert_allclose(client.predict("dense", {"x": X})["probs"], ref["probs"],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(client.infer("dense", {"x": X})["classes"], ref["classes"])
    [probs] = client.session_run("dense", {"x:0": X}, ["probs:0"])
    np.testing.assert_allclose(probs, ref["probs"], rtol=1e-5, atol=1e-6)
    assert client.health() == "SERVING"


def test_a_short_value_list_cannot_expand_into_gigabytes(server):
    """TF's fill rule (one value repeated to the shape) must not let a few bytes of request
    allocate a huge tensor: refused with INVALID_ARGUMENT before any allocation."""
    from minitf.protos import predict_pb2

    _, client = server
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "dense"
    t = req.inputs["x"]
    t.dtype = 1
    for d in (1 << 24, 4):
        t.tensor_shape.dim.add().size = d
    t.float_val.append(1.0)
    with pytest.raises(grpc.RpcError) as e:
        client._predict(req, timeout=10)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "too large to fill" in e.value.details()


# -- a deadline met at the same moment by gRPC and the batcher ---------------------------------
class _EndedCall:
    """A servicer context whose call gRPC has already ended: sending a status fails."""

    def time_remaining(self):
        return 0.0

    async def abort(self, code, details):
        raise RuntimeError('Failed "execute_batch"')  # what grpc raises for a finished call


@pytest.mark.parametrize("error, ends_as", [
    (DeadlineExceededError(None, None, "Deadline exceeded while the request waited"),
     "cancelled"),
    (InvalidArgumentError(None, None, "bad"), "the send failure")])
def test_a_status_that_cannot_be_sent_after_the_deadline_is_not_an_error(error, ends_as):
    """The batcher may drop a request as its deadline passes while gRPC ends the call for the
    same deadline. The client has its DEADLINE_EXCEEDED; the handler ends as a cancelled one
    instead of letting gRPC log the failed send. Any other failed send still surfaces."""
    import asyncio

    from minitf.serving.services.common import unary

    def fail(request, context, info):
        raise error

    service = grpc_service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"]
    _, method = unary(service, "ModelInfer", grpc_service_pb2.ModelInferRequest, fail,
                      "kserve.ModelInfer")
    expected = asyncio.CancelledError if ends_as == "cancelled" else RuntimeError
    with pytest.raises(expected):
        asyncio.run(method.unary_unary(b"", _EndedCall()))
