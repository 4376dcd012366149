"""Triton's shared-memory extensions over REST, as its HTTP endpoint serves them:
``GET /v2/{system,cuda}sharedmemory[/region/<name>]/status`` (a JSON list of regions),
``POST .../region/<name>/register`` (``{"key", "offset", "byte_size"}``) and
``POST .../unregister``: 200 and no body. A mixin of ``rest.RestApi``; what they do is
serving/shared_memory.py's, the CUDA ones answered by the gRPC servicer's rules."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

from minitf.protos import grpc_service_pb2

from .rest_json import _bad
from .rest_kserve import _json_object
from .services.kserve_shared_memory import SharedMemoryService

# An optional region name, then the action (Triton's systemsharedmemory_regex_).
SHARED_MEMORY_PATH = re.compile(
    r"/v2/(system|cuda)sharedmemory(?:/region/([^/]+))?/(status|register|unregister)")
API_SHARED_MEMORY = {(kind, action): f"rest.v2.{kind}sharedmemory_{action}"
                     for kind in ("system", "cuda") for action in ("status", "register",
                                                                   "unregister")}


class SharedMemoryHandlers:
    """The /v2/*sharedmemory handlers of ``RestApi`` (SHARED_MEMORY_PATH)."""

    def _shared_memory(self, method, m, headers, rfile, send_continue):
        from .rest import KSERVE_HTTP, Response, _error_body  # rest imports this module
        kind, region, action = m.groups()
        allowed = "GET" if action == "status" else "POST"  # as Triton
        if method != allowed:
            return Response(405, _error_body("Method Not Allowed"), headers=(("Allow", allowed),))
        return self._run(API_SHARED_MEMORY[kind, action], KSERVE_HTTP, self._shared_memory_call,
                         kind, unquote(region or ""), action,
                         lambda: self._body(headers, rfile, send_continue))

    def _shared_memory_call(self, info, kind, region, action, read):
        """GET .../status -> [{"name", "key", "offset", "byte_size"}, ...]; POST .../register
        {"key", "offset", "byte_size"} and .../unregister: 200 and no body. CUDA shared memory
        is answered as a Triton without GPUs answers it."""
        body = read() if action != "status" else b""
        service = SharedMemoryService(self.plane.shared_memory)
        if action == "status":  # a list of regions, numbers as numbers (Triton's TritonJson)
            if kind == "cuda":  # none: empty, or NOT_FOUND naming the region asked for
                service.cuda_status(grpc_service_pb2.CudaSharedMemoryStatusRequest(name=region),
                                    None, info)
                return 200, b"[]"
            return 200, json.dumps([{"name": r.name, "key": r.key, "offset": r.offset,
                                     "byte_size": r.byte_size}
                                    for r in self.plane.shared_memory.status(region)]).encode()
        if action == "unregister":
            if kind == "system":
                self.plane.shared_memory.unregister(region)
            return 200, b""
        if not region:
            raise _bad(f"'region name' is necessary to register {kind} shared memory region")
        if kind == "cuda":
            service.cuda_register(grpc_service_pb2.CudaSharedMemoryRegisterRequest(name=region),
                                  None, info)
        doc = _json_object(body, "register")
        values = {}
        for field in ("key", "offset", "byte_size"):
            value = doc.get(field, 0 if field == "offset" else None)
            if value is None:
                raise _bad(f"Shared memory register request has no '{field}' field")
            if (type(value) is not str) if field == "key" else (type(value) is not int or
                                                                value < 0):
                raise _bad(f"Unable to parse '{field}': expected "
                           f"{'a string' if field == 'key' else 'a non-negative integer'}, "
                           f"got {json.dumps(value)}")
            values[field] = value
        self.plane.shared_memory.register(region, values["key"], values["offset"],
                                          values["byte_size"])
        return 200, b""


__all__ = ["API_SHARED_MEMORY", "SHARED_MEMORY_PATH", "SharedMemoryHandlers"]
