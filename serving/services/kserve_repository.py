"""Triton's model repository extension on inference.GRPCInferenceService: RepositoryIndex,
RepositoryModelLoad and RepositoryModelUnload, with Triton's parameters and errors
(src/grpc/grpc_server.cc). What they do is serving/model_control.py's."""

from __future__ import annotations

import time

from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.protos import grpc_service_pb2 as pb

from ..dataplane import DataPlane
from ..model_control import ModelControl, check_load_parameter
from .common import unary

REPOSITORY_NOT_SUPPORTED = "'repository_name' specification is not supported"


def check_repository(repository_name: str):
    """minitf has one repository (its configured models): naming one is UNSUPPORTED, as
    Triton answers (UNIMPLEMENTED over gRPC)."""
    if repository_name:
        raise UnimplementedError(None, None, REPOSITORY_NOT_SUPPORTED)


def check_load_parameters(parameters):
    """RepositoryModelLoad's parameters, checked as Triton checks them: 'config' must be a
    string_param and 'file:...' a bytes_param (INVALID_ARGUMENT otherwise), then refused:
    minitf can do neither (UNIMPLEMENTED); any other key is INVALID_ARGUMENT."""
    for key, value in parameters.items():
        expected = "string_param" if key == "config" else \
            "bytes_param" if key.startswith("file:") else None
        if expected is not None and value.WhichOneof("parameter_choice") != expected:
            raise InvalidArgumentError(None, None, f"invalid value type for load parameter "
                                       f"'{key}', expected {expected}.")
        check_load_parameter(key)


def check_unload_parameters(parameters):
    """RepositoryModelUnload's 'unload_dependents' must be a bool_param (tritonclient always
    sends it); minitf has no ensembles, so there are no dependents to unload. Other keys are
    ignored, as Triton ignores them."""
    value = parameters.get("unload_dependents")
    if value is not None and value.WhichOneof("parameter_choice") != "bool_param":
        raise InvalidArgumentError(None, None, "invalid value type for 'unload_dependents' "
                                   "parameter, expected bool_param.")


def index_response(entries) -> pb.RepositoryIndexResponse:
    response = pb.RepositoryIndexResponse()
    for e in entries:
        m = response.models.add(name=e.name)
        if e.state is not None:
            if e.version is not None:
                m.version = str(e.version)
            m.state = e.state
            m.reason = e.reason
    return response


class RepositoryService:
    """RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload."""

    def __init__(self, plane: DataPlane, clock=time.monotonic):
        self.plane = plane
        self.clock = clock
        self.control = ModelControl(plane.repository)

    def repository_index(self, request, context, info):
        check_repository(request.repository_name)
        return index_response(self.control.index(request.ready))

    async def repository_model_load(self, request, context, info):
        check_repository(request.repository_name)
        info.model = request.model_name
        check_load_parameters(request.parameters)
        # Loading compiles and warms up: off the event loop, which keeps serving.
        await self.plane.manage(self.control.load, request.model_name)
        return pb.RepositoryModelLoadResponse()

    async def repository_model_unload(self, request, context, info):
        check_repository(request.repository_name)
        info.model = request.model_name
        check_unload_parameters(request.parameters)
        await self.plane.manage(self.control.unload, request.model_name)  # waits for batches
        return pb.RepositoryModelUnloadResponse()

    def handlers(self, metrics=None, max_response_bytes=None):
        service = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"]
        table = [
            ("RepositoryIndex", pb.RepositoryIndexRequest, self.repository_index,
             "kserve.RepositoryIndex"),
            ("RepositoryModelLoad", pb.RepositoryModelLoadRequest, self.repository_model_load,
             "kserve.RepositoryModelLoad"),
            ("RepositoryModelUnload", pb.RepositoryModelUnloadRequest,
             self.repository_model_unload, "kserve.RepositoryModelUnload"),
        ]
        return [unary(service, m, req, fn, api, metrics, self.clock,
                      max_response_bytes=max_response_bytes) for m, req, fn, api in table]


__all__ = ["RepositoryService", "check_repository", "check_load_parameters",
           "check_unload_parameters", "index_response", "REPOSITORY_NOT_SUPPORTED"]
