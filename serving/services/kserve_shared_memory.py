"""Triton's shared-memory extensions on inference.GRPCInferenceService: SystemSharedMemory
Status, Register and Unregister over serving/shared_memory.py's manager, and the CUDA ones
answered as a Triton built without GPUs answers them (src/grpc/grpc_server.cc)."""

from __future__ import annotations

import time

from minitf.errors import InvalidArgumentError, NotFoundError
from minitf.protos import grpc_service_pb2 as pb

from ..shared_memory import SharedMemoryManager
from .common import unary


class SharedMemoryService:
    def __init__(self, manager: SharedMemoryManager, clock=time.monotonic):
        self.manager = manager
        self.clock = clock

    def system_status(self, request, context, info):
        response = pb.SystemSharedMemoryStatusResponse()
        for r in self.manager.status(request.name):
            response.regions[r.name].CopyFrom(pb.SystemSharedMemoryStatusResponse.RegionStatus(
                name=r.name, key=r.key, offset=r.offset, byte_size=r.byte_size))
        return response

    def system_register(self, request, context, info):
        self.manager.register(request.name, request.key, request.offset, request.byte_size)
        return pb.SystemSharedMemoryRegisterResponse()

    def system_unregister(self, request, context, info):
        self.manager.unregister(request.name)
        return pb.SystemSharedMemoryUnregisterResponse()

    def cuda_status(self, request, context, info):
        if request.name:  # nothing is ever registered as CUDA shared memory here
            name = request.name
            system = any(r.name == name for r in self.manager.status())
            raise NotFoundError(None, None, f"The region named '{name}' is registered as "
                                "system shared memory, not CUDA shared memory" if system else
                                f"Unable to find cuda shared memory region: '{name}'")
        return pb.CudaSharedMemoryStatusResponse()

    def cuda_register(self, request, context, info):
        raise InvalidArgumentError(None, None, "failed to register CUDA shared memory region: "
                                   f"'{request.name}', GPUs not supported")

    def cuda_unregister(self, request, context, info):
        return pb.CudaSharedMemoryUnregisterResponse()  # none registered: nothing to do

    def handlers(self, metrics=None, max_response_bytes=None):
        service = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"]
        table = [
            ("SystemSharedMemoryStatus", pb.SystemSharedMemoryStatusRequest,
             self.system_status),
            ("SystemSharedMemoryRegister", pb.SystemSharedMemoryRegisterRequest,
             self.system_register),
            ("SystemSharedMemoryUnregister", pb.SystemSharedMemoryUnregisterRequest,
             self.system_unregister),
            ("CudaSharedMemoryStatus", pb.CudaSharedMemoryStatusRequest, self.cuda_status),
            ("CudaSharedMemoryRegister", pb.CudaSharedMemoryRegisterRequest,
             self.cuda_register),
            ("CudaSharedMemoryUnregister", pb.CudaSharedMemoryUnregisterRequest,
             self.cuda_unregister),
        ]
        return [unary(service, m, req, fn, f"kserve.{m}", metrics, self.clock,
                      max_response_bytes=max_response_bytes) for m, req, fn in table]


__all__ = ["SharedMemoryService"]
