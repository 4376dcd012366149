"""grpc.health.v1.Health and server reflection, over raw gRPC calls with minitf's
wire-compatible protos (no client library of ours in between).

Health: "" is the whole server, per-model and per-service names, unknown names NOT_FOUND,
Watch streams NOT_SERVING -> SERVING when a model's first version appears.
Reflection (v1alpha and v1): list_services, file_containing_symbol / file_by_filename answering
descriptors under the canonical packages and file names that a fresh DescriptorPool accepts, and
whose messages match the official clients' own descriptors field for field.
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from tritonclient.grpc import service_pb2 as triton_service_pb2

from minitf.protos import (health_pb2, method_path, predict_pb2, reflection_v1_pb2,
                           reflection_v1alpha_pb2)
from minitf.serving.repository import ModelConfig

from .conftest import running_server, write_model

SERVICES = ["tensorflow.serving.PredictionService", "tensorflow.serving.ModelService",
            "tensorflow.serving.SessionService", "inference.GRPCInferenceService",
            "grpc.health.v1.Health"]
REFLECTION = ["grpc.reflection.v1alpha.ServerReflection", "grpc.reflection.v1.ServerReflection"]
Status = health_pb2.HealthCheckResponse


def _path(module, service, method):
    return method_path(module.DESCRIPTOR.services_by_name[service].methods_by_name[method])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("health")
    write_model(str(root / "dense"), 1)
    with running_server([ModelConfig(name="dense", base_path=str(root / "dense"))]) as (s, c):
        yield s, c.channel


def check(channel, service: str):
    call = channel.unary_unary(
        _path(health_pb2, "Health", "Check"), request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=health_pb2.HealthCheckResponse.FromString)
    return call(health_pb2.HealthCheckRequest(service=service), timeout=10).status


def watch(channel, service: str, timeout: float = 10.0):
    call = channel.unary_stream(
        _path(health_pb2, "Health", "Watch"), request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=health_pb2.HealthCheckResponse.FromString)
    return call(health_pb2.HealthCheckRequest(service=service), timeout=timeout)


# -- health ---------------------------------------------------------------------------------
def test_check_server_models_and_services(served):
    _, channel = served
    assert check(channel, "") == Status.SERVING
    assert check(channel, "dense") == Status.SERVING
    for name in SERVICES:
        assert check(channel, name) == Status.SERVING, name


@pytest.mark.parametrize("name", ["nope", "tensorflow.serving.Classify", "Dense"])
def test_check_unknown_is_not_found(served, name):
    with pytest.raises(grpc.RpcError) as err:
        check(served[1], name)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert name in err.value.details()


def test_watch_unknown_service_says_service_unknown(served):
    stream = watch(served[1], "nope", timeout=5)
    try:
        assert next(stream).status == Status.SERVICE_UNKNOWN  # the health protocol's answer
    finally:
        stream.cancel()


def test_watch_streams_not_serving_then_serving(tmp_path):
    """A model with no version yet: NOT_SERVING; once a version is written and polled in the
    stream announces SERVING (the call's deadline bounds the wait)."""
    base = tmp_path / "late"
    with running_server([ModelConfig(name="late", base_path=str(base))],
                        poll_seconds=0.05) as (server, client):
        server.health.watch_interval = 0.02  # re-check often: keeps the test short
        channel = client.channel
        assert check(channel, "") == Status.NOT_SERVING
        assert check(channel, "late") == Status.NOT_SERVING
        stream = watch(channel, "late", timeout=10)
        seen = []
        try:
            seen.append(next(stream).status)
            assert seen == [Status.NOT_SERVING]
            write_model(str(base), 1)  # atomic rename: the poller sees all of it or nothing
            for response in stream:
                seen.append(response.status)
                if response.status == Status.SERVING:
                    break
        finally:
            stream.cancel()
        # Only changes are streamed: one NOT_SERVING, then SERVING.
        assert seen == [Status.NOT_SERVING, Status.SERVING]
        assert check(channel, "") == Status.SERVING
        assert client.server_ready()


@pytest.mark.parametrize("module, service, method, message", [
    (health_pb2, "Health", "Watch", "malformed HealthCheckRequest"),
    (reflection_v1alpha_pb2, "ServerReflection", "ServerReflectionInfo",
     "malformed ServerReflectionRequest"),
    (reflection_v1_pb2, "ServerReflection", "ServerReflectionInfo",
     "malformed ServerReflectionRequest")], ids=["watch", "reflection-v1alpha", "reflection-v1"])
def test_malformed_request_bytes_are_invalid_argument(served, module, service, method,
                                                      message):
    """Bytes that are not the request message: INVALID_ARGUMENT naming its type, as every
    unary method answers (gRPC's own parsing gave UNKNOWN "Unexpected DecodeError")."""
    _, channel = served
    path = _path(module, service, method)
    call = channel.unary_stream(path) if method == "Watch" else channel.stream_stream(path)
    with pytest.raises(grpc.RpcError) as err:
        list(call(b"\x0a\xff" if method == "Watch" else iter([b"\x0a\xff"]), timeout=10))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert message in err.value.details()
    # A well-formed request still gets its answer.
    stream = watch(channel, "")
    assert next(stream).status == Status.SERVING
    stream.cancel()
    [answer] = reflect(channel, reflection_v1_pb2, [
        reflection_v1_pb2.ServerReflectionRequest(list_services="")])
    assert answer.WhichOneof("message_response") == "list_services_response"


# -- reflection -----------------------------------------------------------------------------
def reflect(channel, pb, requests: list) -> list:
    """One ServerReflectionInfo stream: sends ``requests`` and returns the answers."""
    call = channel.stream_stream(
        _path(pb, "ServerReflection", "ServerReflectionInfo"),
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=pb.ServerReflectionResponse.FromString)
    answers = list(call(iter(requests), timeout=10))
    assert len(answers) == len(requests)
    return answers


def add_files(pool, answer) -> list[descriptor_pb2.FileDescriptorProto]:
    assert answer.WhichOneof("message_response") == "file_descriptor_response", answer
    protos = [descriptor_pb2.FileDescriptorProto.FromString(raw)
              for raw in answer.file_descriptor_response.file_descriptor_proto]
    for proto in protos:  # dependencies come first, so each Add finds what it imports
        pool.Add(proto)
    return protos


def _fields(descriptor) -> list:
    return sorted((f.name, f.number, f.type, f.is_repeated) for f in descriptor.fields)


@pytest.mark.parametrize("pb", [reflection_v1alpha_pb2, reflection_v1_pb2],
                         ids=["v1alpha", "v1"])
def test_list_services(served, pb):
    [answer] = reflect(served[1], pb, [pb.ServerReflectionRequest(list_services="")])
    names = [s.name for s in answer.list_services_response.service]
    assert sorted(names) == sorted(SERVICES + REFLECTION)


@pytest.mark.parametrize("pb", [reflection_v1alpha_pb2, reflection_v1_pb2],
                         ids=["v1alpha", "v1"])
def test_file_containing_symbol_gives_canonical_descriptors(served, pb):
    answers = reflect(served[1], pb, [
        pb.ServerReflectionRequest(host="h", file_containing_symbol=SERVICES[0]),
        pb.ServerReflectionRequest(file_containing_symbol="inference.GRPCInferenceService"),
    ])
    pool = descriptor_pool.DescriptorPool()  # empty: everything must come over the wire
    first = add_files(pool, answers[0])
    assert answers[0].valid_host == "h"
    assert answers[0].original_request.file_containing_symbol == SERVICES[0]
    names = {p.name for p in first}
    assert "tensorflow_serving/apis/prediction_service.proto" in names
    assert "tensorflow/core/framework/tensor.proto" in names
    second = add_files(pool, answers[1])
    assert "grpc_service.proto" in {p.name for p in second}
    # Files already sent on this stream are not sent again.
    assert not names & {p.name for p in second}
    for proto in first + second:
        assert "minitf" not in proto.package and not proto.name.startswith("minitf/"), \
            proto.name

    service = pool.FindServiceByName("tensorflow.serving.PredictionService")
    predict = service.methods_by_name["Predict"]
    assert predict.input_type.full_name == "tensorflow.serving.PredictRequest"
    assert predict.output_type.full_name == "tensorflow.serving.PredictResponse"
    assert "GetModelMetadata" in service.methods_by_name
    # Same fields, numbers and types as the messages the server actually parses.
    assert _fields(predict.input_type) == _fields(predict_pb2.PredictRequest.DESCRIPTOR)

    kserve = pool.FindServiceByName("inference.GRPCInferenceService")
    assert {"ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata",
            "ModelInfer", "ModelConfig", "ModelStatistics"} <= set(kserve.methods_by_name)
    # ... and as Triton's own client descriptors (an independent reference).
    for name in ("ModelInferRequest", "ModelInferResponse", "ModelMetadataResponse"):
        ours = pool.FindMessageTypeByName(f"inference.{name}")
        theirs = triton_service_pb2.DESCRIPTOR.message_types_by_name[name]
        assert _fields(ours) == _fields(theirs), name


@pytest.mark.tensorflow
def test_reflected_tfserving_messages_match_the_official_ones(served):
    official = pytest.importorskip("tensorflow_serving.apis.predict_pb2")
    pb = reflection_v1alpha_pb2
    [answer] = reflect(served[1], pb, [pb.ServerReflectionRequest(
        file_containing_symbol="tensorflow.serving.PredictionService")])
    pool = descriptor_pool.DescriptorPool()
    add_files(pool, answer)
    for name in ("PredictRequest", "PredictResponse"):
        ours = pool.FindMessageTypeByName(f"tensorflow.serving.{name}")
        assert _fields(ours) == _fields(official.DESCRIPTOR.message_types_by_name[name])


def test_file_by_filename_and_unknown_symbol(served):
    pb = reflection_v1_pb2
    answers = reflect(served[1], pb, [
        pb.ServerReflectionRequest(file_by_filename="grpc/health/v1/health.proto"),
        pb.ServerReflectionRequest(file_containing_symbol="tensorflow.serving.NoSuchService"),
        pb.ServerReflectionRequest(file_by_filename="minitf/protos/health.proto"),
    ])
    pool = descriptor_pool.DescriptorPool()
    add_files(pool, answers[0])
    assert pool.FindServiceByName("grpc.health.v1.Health").methods_by_name["Watch"]
    for answer in answers[1:]:
        assert answer.WhichOneof("message_response") == "error_response"
        assert answer.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_grpcio_reflection_client(served):
    """The reference reflection client (grpcio-reflection), where it is installed."""
    database = pytest.importorskip(
        "grpc_reflection.v1alpha.proto_reflection_descriptor_database")
    db = database.ProtoReflectionDescriptorDatabase(served[1])
    assert set(SERVICES) <= set(db.get_services())
    pool = descriptor_pool.DescriptorPool(db)
    service = pool.FindServiceByName("inference.GRPCInferenceService")
    assert service.methods_by_name["ModelInfer"].input_type.full_name == \
        "inference.ModelInferRequest"


def test_liveness_is_serving_while_models_are_missing(tmp_path):
    """Liveness probes ask for "liveness": SERVING while the process runs, even when no model
    version is available (readiness says NOT_SERVING then)."""
    from minitf.serving.repository import ModelConfig

    from .conftest import running_server

    config = ModelConfig(name="empty", base_path=str(tmp_path / "nothing"))
    with running_server([config]) as (server, client):
        assert client.health("liveness") == "SERVING"
        assert client.health("") == "NOT_SERVING"
        server.health.stopping.set()
        assert client.health("liveness") == "NOT_SERVING"
