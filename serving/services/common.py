"""What every servicer shares: canonical method registration, the OpError -> gRPC status
mapping, per-request metrics, and request deadlines."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable

import grpc
import numpy as np
from google.protobuf.message import DecodeError

from minitf.errors import InvalidArgumentError, OpError, ResourceExhaustedError, UnknownError
from minitf.protos import method_path

log = logging.getLogger("minitf.serving")

_STATUS_BY_CODE = {sc.value[0]: sc for sc in grpc.StatusCode}
MAX_MESSAGE_CHARS = 1024  # TF Serving truncates error messages to 1 KiB too
# Payloads from this size on are decoded and encoded on a worker thread: on the event loop,
# the copies (and the Python loops for BYTES) would stall every other RPC, health checks too.
OFF_LOOP_BYTES = 1 << 20


def status_code(error: OpError) -> grpc.StatusCode:
    return _STATUS_BY_CODE.get(error.error_code, grpc.StatusCode.UNKNOWN)


class RequestInfo:
    """Filled in by a handler so the wrapper can label metrics (model and version); ``size``
    is the request's size in bytes."""

    __slots__ = ("model", "version", "size")

    def __init__(self, size=0):
        self.model = ""
        self.version = None
        self.size = size


def on_loop(size: int) -> bool:
    """Whether a payload of ``size`` bytes is decoded or encoded right on the event loop;
    callers run larger ones with ``off_loop``. (A plain test, not a coroutine that decides:
    that coroutine cost more than the decoding of a small request.)"""
    return size < OFF_LOOP_BYTES


async def off_loop(fn, *args):
    """``fn(*args)`` on a worker thread."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def payload_bytes(arrays) -> int:
    """About what encoding ``arrays`` costs, in bytes (a string element counts 64)."""
    total = 0
    for a in arrays:
        a = np.asarray(a)
        total += a.size * 64 if a.dtype == object else a.nbytes
    return total


def deadline_of(context: grpc.ServicerContext, clock=time.monotonic) -> float | None:
    remaining = context.time_remaining()
    if remaining is None or remaining > 1e8:  # no deadline set by the client
        return None
    return clock() + remaining


# A client whose deadline passes cancels its call at its own deadline, which comes before the
# server's by the time the request took to reach the handler (a busy event loop adds
# milliseconds), so gRPC cancels the handler with a little of the server's deadline left.
DEADLINE_SLACK_S = 0.1


def cancel_code(context: grpc.ServicerContext) -> str:
    """The status a cancelled call counts as: DEADLINE_EXCEEDED when its deadline had (all but)
    passed, CANCELLED when the client gave up earlier or set no deadline."""
    remaining = context.time_remaining()
    return "DEADLINE_EXCEEDED" if remaining is not None and remaining <= DEADLINE_SLACK_S \
        else "CANCELLED"


def unary(service_descriptor, method_name: str, request_class, fn: Callable, api: str,
          metrics=None, clock=time.monotonic, inference: bool = False,
          max_response_bytes: int | None = None):
    """An asyncio method handler under the canonical path; ``fn(request, context, info)`` is
    a plain function (quick answers) or a coroutine function (anything that waits).

    The request is parsed here (not by gRPC) so a malformed message is INVALID_ARGUMENT, not
    INTERNAL; the response is serialised here too, so one larger than
    ``max_response_bytes`` is RESOURCE_EXHAUSTED in the metrics as well as for the client
    (gRPC would fail it after the handler had counted it OK). Any OpError becomes its gRPC
    status; anything else is logged and INTERNAL. An ``inference`` API's requests also count
    in the model version's statistics.
    """
    method = service_descriptor.methods_by_name[method_name]
    inflight = metrics.inflight_count(api) if metrics is not None else None
    is_async = inspect.iscoroutinefunction(fn)
    record = metrics.recorder(api, inference) if metrics is not None else None

    async def handler(raw: bytes, context):
        start = clock()
        info = RequestInfo(len(raw))
        if inflight is not None:
            inflight.value += 1
        try:
            request = parse_message(request_class, raw)
            response = await fn(request, context, info) if is_async else \
                fn(request, context, info)
            response = response.SerializeToString()
            check_response_size(len(response), max_response_bytes)
        except OpError as e:
            status, details = status_code(e), e.message
        except asyncio.CancelledError:
            # gRPC cancels the handler when the client gives up or its deadline passes.
            if record is not None:
                record(info.model, info.version, cancel_code(context), clock() - start)
            raise
        except Exception as e:  # noqa: BLE001 - reported to the client as INTERNAL
            log.exception("%s failed", method_path(method))
            status, details = grpc.StatusCode.INTERNAL, f"{type(e).__name__}: {e}"
        else:
            if record is not None:
                record(info.model, info.version, "OK", clock() - start)
            return response
        finally:
            if inflight is not None:
                inflight.value -= 1
        if record is not None:
            record(info.model, info.version, status.name, clock() - start)
        try:
            await context.abort(status, _truncate(details))  # raises AbortError: ends the RPC
        except grpc.aio.AbortError:
            raise
        except Exception:  # noqa: BLE001 - the status could not be sent
            if status is not grpc.StatusCode.DEADLINE_EXCEEDED:
                raise
            # gRPC ended the call at the same deadline (the batcher dropped the request as it
            # expired), so the client has its DEADLINE_EXCEEDED already; end the handler as a
            # cancelled one rather than have gRPC log the failed send as an error.
            raise asyncio.CancelledError from None

    return method_path(method), grpc.unary_unary_rpc_method_handler(
        handler, request_deserializer=None, response_serializer=None)


def parse_message(message_class, raw: bytes):
    """``raw`` parsed here rather than by gRPC, so a malformed message is INVALID_ARGUMENT
    naming what is wrong (gRPC would answer INTERNAL)."""
    try:
        return message_class.FromString(raw)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise InvalidArgumentError(None, None, f"malformed {message_class.__name__}: "
                                   f"{e}") from None


def check_response_size(size: int, max_response_bytes: int | None):
    """RESOURCE_EXHAUSTED for a serialised response larger than the server may send."""
    if max_response_bytes is not None and size > max_response_bytes:
        raise ResourceExhaustedError(
            None, None, f"Response has byte size {size} which exceeds the server's message "
            f"size limit {max_response_bytes} (--max_message_bytes)")


def error_status(e: Exception, what: str) -> tuple[grpc.StatusCode, str]:
    """The status and message a request that raised ``e`` answers with: an OpError's own;
    anything else is logged (naming ``what``) and INTERNAL."""
    if isinstance(e, OpError):
        return status_code(e), _truncate(e.message)
    log.exception("%s failed", what)
    return grpc.StatusCode.INTERNAL, _truncate(f"{type(e).__name__}: {e}")


def _truncate(message: str) -> str:
    if len(message) > MAX_MESSAGE_CHARS:
        return message[:MAX_MESSAGE_CHARS] + "...TRUNCATED"
    return message


def generic_handlers(handlers: list[tuple[str, grpc.RpcMethodHandler]]):
    """Groups (path, handler) pairs by service into grpc generic handlers."""
    by_service: dict[str, dict[str, grpc.RpcMethodHandler]] = {}
    for path, handler in handlers:
        service, _, method = path.lstrip("/").partition("/")
        by_service.setdefault(service, {})[method] = handler
    return [grpc.method_handlers_generic_handler(s, m) for s, m in by_service.items()]


def wrap_unknown(e: Exception) -> OpError:
    return e if isinstance(e, OpError) else UnknownError(None, None, str(e))
