"""Triton's ModelStreamInfer (inference.GRPCInferenceService): a bidirectional stream of
ModelInferRequests, each answered by one ModelStreamInferResponse, as Triton answers them for a
model that is not decoupled (all of ours).

What Triton's server does (src/grpc/stream_infer_handler.cc), and so what this does:

- Each request on the stream is independent (any model, version, inputs) and goes through the
  same decoding, validation, batching and encoding as a unary ModelInfer
  (``InferenceService.model_infer``).
- A request is issued as soon as it is read, and the next one is read at once: the requests of
  one stream run concurrently (so they can share a batch). For a non-decoupled model Triton
  queues each request for its response in the order it was read, so responses come back in
  request order; a slow request holds back the answers of those read after it.
- A request that fails does not end the stream: its response carries ``error_message`` (the
  error's message, without its code, as Triton's ``status.error_message()``) and an
  ``infer_response`` holding only the request's ``id``, so the client can tell which failed.
- Every answer Triton's response callback writes carries the parameter
  ``triton_final_response`` (true here: a non-decoupled model's response is its last).
  ``triton_enable_empty_final_response`` (a bool, or the request fails) only asks for an extra
  empty response when a decoupled model ends a request without one, which a non-decoupled
  model never does: so it adds nothing here either.
- The client half-closing its side: the outstanding requests finish and are answered, then
  the stream ends OK. The client cancelling: the outstanding requests are cancelled (a queued
  one leaves its batch queue) and count as CANCELLED.
- The server stopping (``begin_shutdown``): the requests already read are answered, then the
  stream ends UNAVAILABLE with Triton's shutdown message, so the client reconnects elsewhere
  (an idle stream does not hold the stop for its grace period).

Each request counts in the metrics and ModelStatistics as a unary ModelInfer does, under the
API label ``kserve.ModelStreamInfer``.
"""

from __future__ import annotations

import asyncio
import logging
import time

import grpc

from minitf._wire import length_delimited
from minitf.errors import InvalidArgumentError
from minitf.protos import grpc_service_pb2 as pb
from minitf.protos import method_path

from .common import (RequestInfo, cancel_code, check_response_size, error_status,
                     parse_message)
from .kserve import InferenceService

log = logging.getLogger("minitf.serving")

API_STREAM_INFER = "kserve.ModelStreamInfer"
# Requests read from one stream ahead of the response being written: past this, reading waits
# (so HTTP/2 flow control holds the client back) instead of queueing without bound.
MAX_OUTSTANDING = 1024
FINAL_RESPONSE = "triton_final_response"
EMPTY_FINAL_RESPONSE = "triton_enable_empty_final_response"
_INFER_RESPONSE = pb.ModelStreamInferResponse.DESCRIPTOR.fields_by_name["infer_response"].number
SHUTTING_DOWN = "GRPC server is shutting down and has stopped accepting new requests."


class _Request:
    """One request read from the stream, from the moment it is read until it is counted."""

    __slots__ = ("raw", "info", "start", "counted")

    def __init__(self, raw: bytes, start: float):
        self.raw = raw
        self.info = RequestInfo(len(raw))
        self.start = start
        self.counted = False


def _as_stream_response(infer_response: bytes) -> bytes:
    """A serialised ModelStreamInferResponse holding ``infer_response`` (already serialised),
    without parsing or copying it into a new message."""
    return length_delimited(_INFER_RESPONSE, infer_response)


def _error_response(message: str, request_id: str) -> bytes:
    return pb.ModelStreamInferResponse(
        error_message=message, infer_response=pb.ModelInferResponse(id=request_id)
    ).SerializeToString()


def _check_stream_parameters(request):
    param = request.parameters.get(EMPTY_FINAL_RESPONSE) if request.parameters else None
    if param is not None and param.WhichOneof("parameter_choice") != "bool_param":
        raise InvalidArgumentError(None, None, f"invalid value type for "
                                   f"'{EMPTY_FINAL_RESPONSE}' parameter, expected bool_param.")


def _resolve(future):
    if not future.done():
        future.set_result(None)


class StreamInferenceService:
    """inference.GRPCInferenceService/ModelStreamInfer"""

    def __init__(self, plane, clock=time.monotonic):
        self.plane = plane
        self.clock = clock
        self._unary = InferenceService(plane, clock)  # the one ModelInfer implementation
        self._stopping = False
        self._open: set = set()  # (loop, future) per open stream: resolved by begin_shutdown

    def begin_shutdown(self):
        """The server is stopping (any thread): each open stream answers what it has read,
        then ends."""
        self._stopping = True
        for loop, stop in list(self._open):
            loop.call_soon_threadsafe(_resolve, stop)

    def handlers(self, metrics=None, max_response_bytes=None):
        method = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"].methods_by_name[
            "ModelStreamInfer"]
        path = method_path(method)
        clock, infer = self.clock, self._unary.model_infer
        record = metrics.recorder(API_STREAM_INFER, inference=True) if metrics is not None \
            else None
        inflight = metrics.inflight_count(API_STREAM_INFER) if metrics is not None else None

        def count(entry: _Request, code: str):
            """Counts a request once, as the unary wrapper counts a call."""
            if entry.counted:
                return
            entry.counted = True
            if inflight is not None:
                inflight.value -= 1
            if record is not None:
                record(entry.info.model, entry.info.version, code, clock() - entry.start)

        async def answer(entry: _Request, context) -> bytes:
            """The serialised response to one request: its result or its error."""
            request_id = ""
            try:
                request = parse_message(pb.ModelInferRequest, entry.raw)
                request_id = request.id
                entry.info.model = request.model_name  # its metrics label, should this fail
                _check_stream_parameters(request)
                response = await infer(request, context, entry.info)
                response.parameters[FINAL_RESPONSE].bool_param = True
                out = _as_stream_response(response.SerializeToString())
                check_response_size(len(out), max_response_bytes)
            except asyncio.CancelledError:
                count(entry, cancel_code(context))
                raise
            except Exception as e:  # noqa: BLE001 - the request's error, not the stream's
                status, message = error_status(e, path)
                count(entry, status.name)
                return _error_response(message, request_id)
            count(entry, "OK")
            return out

        async def read(requests, context, outstanding: asyncio.Queue, live: dict):
            """Issues each request as it arrives; None once the client has half-closed."""
            try:
                async for raw in requests:
                    entry = _Request(raw, clock())
                    if inflight is not None:
                        inflight.value += 1
                    task = asyncio.ensure_future(answer(entry, context))
                    live[task] = entry
                    await outstanding.put(task)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a failed read ends the reading, as in Triton
                log.exception("%s: reading the request stream failed", path)
            await outstanding.put(None)

        async def stream(requests, context):
            # A coroutine writing with context.write, not an async generator: a cancellation
            # (client gone, deadline, server stop) then always lands in an await here, so the
            # cleanup below runs at once rather than when a suspended generator is collected.
            outstanding: asyncio.Queue = asyncio.Queue(MAX_OUTSTANDING)
            live: dict[asyncio.Task, _Request] = {}
            loop = asyncio.get_running_loop()
            stop = loop.create_future()
            handle = (loop, stop)
            self._open.add(handle)
            if self._stopping:
                stop.set_result(None)
            reader = asyncio.ensure_future(read(requests, context, outstanding, live))
            get = None
            try:
                while True:
                    if stop.done():  # stopping: read no more; answer what was read
                        reader.cancel()
                        if outstanding.empty():
                            await context.abort(grpc.StatusCode.UNAVAILABLE, SHUTTING_DOWN)
                        task = outstanding.get_nowait()
                    elif outstanding.empty():
                        get = asyncio.ensure_future(outstanding.get())
                        await asyncio.wait((get, stop), return_when=asyncio.FIRST_COMPLETED)
                        if not get.done():
                            get.cancel()
                            continue
                        task = get.result()
                    else:
                        task = outstanding.get_nowait()
                    if task is None:  # the client half-closed: all answered
                        break
                    response = await task  # in request order, as Triton's non-decoupled
                    del live[task]
                    await context.write(response)
            finally:
                self._open.discard(handle)
                if get is not None:  # cancelled while waiting for a request: left pending,
                    get.cancel()     # asyncio would log its destruction
                # Normally nothing is left. When the client cancelled (or the stream's deadline
                # passed, or the server stopped), cancel what is still running: a request
                # waiting in a batch queue is withdrawn from it.
                reader.cancel()
                if live:
                    code = cancel_code(context)
                    for task, entry in live.items():
                        task.cancel()
                        count(entry, code)  # one cancelled before it started counts too

        return [(path, grpc.stream_stream_rpc_method_handler(
            stream, request_deserializer=None, response_serializer=None))]


__all__ = ["StreamInferenceService", "API_STREAM_INFER", "MAX_OUTSTANDING"]
