"""grpc.health.v1.Health (overall, per service and per model) and server reflection
(grpc.reflection.v1alpha and v1), answering with the canonical proto names."""

from __future__ import annotations

import asyncio
import threading

import grpc
from google.protobuf import descriptor_pb2

from minitf.errors import InvalidArgumentError, NotFoundError
from minitf.protos import health_pb2, method_path, reflection_pool, reflection_v1_pb2
from minitf.protos import reflection_v1alpha_pb2 as refl_pb

from ..dataplane import DataPlane
from .common import parse_message, unary

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
# Liveness probes ask for this name: a server whose models are missing is not ready, but
# restarting it would not help.
LIVENESS = "liveness"


async def _parsed(message_class, raw: bytes, context):
    """``raw`` parsed as the unary methods parse it (common.parse_message): a malformed
    message ends the call INVALID_ARGUMENT naming it, not gRPC's UNKNOWN and a traceback."""
    try:
        return parse_message(message_class, raw)
    except InvalidArgumentError as e:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, e.message)


class HealthService:
    """``Check("")`` is the server (SERVING when every model has a version available and the
    server is not stopping); a gRPC service name or a model name checks that one;
    ``"liveness"`` is SERVING while the process runs (for liveness probes)."""

    def __init__(self, plane: DataPlane, services: list[str], watch_interval: float = 0.5):
        self.plane = plane
        self.services = set(services)
        self.watch_interval = watch_interval
        self.stopping = threading.Event()

    def status_of(self, service: str) -> int | None:
        if self.stopping.is_set():
            return NOT_SERVING
        if service == LIVENESS:
            return SERVING  # the process is up, whether or not its models are
        if service == "" or service in self.services:
            return SERVING if self.plane.ready() else NOT_SERVING
        if service in self.plane.repository.model_names():
            return SERVING if self.plane.model_ready(service) else NOT_SERVING
        return None

    def check(self, request, context, info):
        status = self.status_of(request.service)
        if status is None:
            raise NotFoundError(None, None, f"unknown service {request.service!r}")
        return health_pb2.HealthCheckResponse(status=status)

    async def watch(self, raw: bytes, context):
        request = await _parsed(health_pb2.HealthCheckRequest, raw, context)
        last = object()
        while True:
            status = self.status_of(request.service)
            if status is None:
                status = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
            if status != last:
                last = status
                yield health_pb2.HealthCheckResponse(status=status)
            if self.stopping.is_set() and status == NOT_SERVING:
                return
            await asyncio.sleep(self.watch_interval)  # the RPC's cancellation ends the loop

    def handlers(self, metrics=None, max_response_bytes=None):  # small answers: no limit
        service = health_pb2.DESCRIPTOR.services_by_name["Health"]
        watch = service.methods_by_name["Watch"]
        return [
            unary(service, "Check", health_pb2.HealthCheckRequest, self.check, "health.Check",
                  None),
            (method_path(watch), grpc.unary_stream_rpc_method_handler(
                self.watch, request_deserializer=None,
                response_serializer=lambda m: m.SerializeToString())),
        ]


class ReflectionService:
    """ServerReflectionInfo over a private pool holding our files under canonical names."""

    def __init__(self, service_names: list[str]):
        self.service_names = sorted(set(service_names))
        self.pool = reflection_pool()

    def _file_response(self, file_desc, sent: set, pb):
        out = []

        def add(fd):
            if fd.name in sent:
                return
            for dep in fd.dependencies:
                add(dep)
            proto = descriptor_pb2.FileDescriptorProto()
            fd.CopyToProto(proto)
            out.append(proto.SerializeToString())
            sent.add(fd.name)
        add(file_desc)
        return pb.ServerReflectionResponse(
            file_descriptor_response=pb.FileDescriptorResponse(file_descriptor_proto=out))

    def _answer(self, request, sent, pb):
        kind = request.WhichOneof("message_request")
        try:
            if kind == "list_services":
                return pb.ServerReflectionResponse(list_services_response=pb.ListServiceResponse(
                    service=[pb.ServiceResponse(name=n) for n in self.service_names]))
            if kind == "file_by_filename":
                return self._file_response(
                    self.pool.FindFileByName(request.file_by_filename), sent, pb)
            if kind == "file_containing_symbol":
                return self._file_response(
                    self.pool.FindFileContainingSymbol(request.file_containing_symbol), sent, pb)
            if kind == "all_extension_numbers_of_type":
                self.pool.FindMessageTypeByName(request.all_extension_numbers_of_type)
                return pb.ServerReflectionResponse(
                    all_extension_numbers_response=pb.ExtensionNumberResponse(
                        base_type_name=request.all_extension_numbers_of_type))
            if kind == "file_containing_extension":
                raise KeyError("no extensions are defined")
        except KeyError as e:
            return pb.ServerReflectionResponse(error_response=pb.ErrorResponse(
                error_code=grpc.StatusCode.NOT_FOUND.value[0], error_message=str(e)))
        return pb.ServerReflectionResponse(error_response=pb.ErrorResponse(
            error_code=grpc.StatusCode.UNIMPLEMENTED.value[0],
            error_message=f"unsupported reflection request {kind!r}"))

    def _info(self, pb):
        async def stream(requests, context):
            sent: set = set()
            async for raw in requests:
                request = await _parsed(pb.ServerReflectionRequest, raw, context)
                response = self._answer(request, sent, pb)
                response.valid_host = request.host
                response.original_request.CopyFrom(request)
                yield response
        return stream

    def handlers(self, metrics=None, max_response_bytes=None):  # small answers: no limit
        out = []
        for pb in (refl_pb, reflection_v1_pb2):
            service = pb.DESCRIPTOR.services_by_name["ServerReflection"]
            method = service.methods_by_name["ServerReflectionInfo"]
            out.append((method_path(method), grpc.stream_stream_rpc_method_handler(
                self._info(pb), request_deserializer=None,
                response_serializer=lambda m: m.SerializeToString())))
        return out
