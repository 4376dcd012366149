"""Wiring: options -> repository -> data plane -> gRPC services + HTTP (/metrics, health) ->
graceful stop."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from concurrent import futures
from http.server import ThreadingHTTPServer

import grpc
from prometheus_client import CollectorRegistry

from minitf.protos import service_name
from minitf.protos import grpc_service_pb2, health_pb2, model_service_pb2
from minitf.protos import prediction_service_pb2, session_service_pb2

from minitf.errors import OpError

from .config import ServerOptions, load_model_config_file
from .dataplane import DataPlane
from .http_port import Turns, end_connection, make_handler
from .metrics import Metrics
from .metrics_compat import CompatCollector
from .model_control import startup_unloaded
from .loading import make_loader
from .repository import ModelRepository
from .rest import RestApi
from .services.common import generic_handlers
from .services.health import HealthService, ReflectionService
from .services.kserve import InferenceService
from .services.kserve_repository import RepositoryService
from .services.kserve_shared_memory import SharedMemoryService
from .services.kserve_stream import StreamInferenceService
from .services.tfserving import ModelService, PredictionService, SessionService

log = logging.getLogger("minitf.serving")
HTTP_LISTEN_BACKLOG = 1024

def _service(module, name):
    return service_name(module.DESCRIPTOR.services_by_name[name])


SERVICE_NAMES = [
    _service(prediction_service_pb2, "PredictionService"),
    _service(model_service_pb2, "ModelService"),
    _service(session_service_pb2, "SessionService"),
    _service(grpc_service_pb2, "GRPCInferenceService"),
    _service(health_pb2, "Health"),
]


class ModelServer:
    """A running model server. ``start()`` binds the ports (0 picks a free one; a gRPC port of
    None, TF Serving's --port 0 with --grpc_socket_path, serves gRPC on the socket only)."""

    def __init__(self, options: ServerOptions, registry: CollectorRegistry | None = None,
                 clock=time.monotonic, process_metrics: bool = True):
        self.options = options
        self.metrics = Metrics(registry, [m.name for m in options.models], process_metrics)
        self.repository = ModelRepository(
            options.models, default_batching=options.batching, observer=self.metrics,
            clock=clock, per_model_batching=options.per_model_batching,
            loader=make_loader(options.saved_model_tags, options.enable_model_warmup,
                               options.num_request_iterations_for_warmup),
            control_mode=options.model_control_mode, unloaded=startup_unloaded(
                options.model_control_mode, options.load_models,
                [m.name for m in options.models]),
            load_retries=options.max_num_load_retries,
            load_retry_seconds=options.load_retry_interval_seconds,
            allow_unavailable_labels=options.allow_version_labels_for_unavailable_models)
        if options.compat_metrics:  # TF Serving's and Triton's series, derived when scraped
            CompatCollector(self.metrics, self.repository)
        # Unbatched plans and SessionRun run here, off the event loop.
        self._executor = futures.ThreadPoolExecutor(max_workers=options.grpc_threads,
                                                    thread_name_prefix="plan")
        self.plane = DataPlane(self.repository, self.metrics, clock, self._executor)
        self.plane.shared_memory.enabled = options.shared_memory
        self.health = HealthService(self.plane, SERVICE_NAMES)
        self._grpc: grpc.aio.Server | None = None
        self._streams: StreamInferenceService | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self.grpc_port: int | None = None
        self.http_port: int | None = None
        self._stopping = False
        self._stop_lock = threading.Lock()
        self._stopped = threading.Event()  # set once stop() has finished
        self._clock = clock
        self._blas_limits = None
        self._config_poll_stop = threading.Event()
        # REST requests being processed: stop() waits for them as gRPC's stop does for RPCs.
        self._rest_inflight = 0
        self._rest_idle = threading.Condition()
        # Open HTTP connections -> their handlers, closed at stop (keep-alive ones too).
        self._connections: dict = {}
        self._config_poller: threading.Thread | None = None

    def start(self):
        opts = self.options
        log.info("Starting minitf model server with %d model(s)", len(opts.models))
        self._blas_limits = _limit_blas_threads(opts.blas_threads)
        batching = [m.batching or opts.batching for m in opts.models]
        if opts.per_model_batching and not any(b is not None and b.enabled for b in batching):
            log.warning("--enable_per_model_batching_parameters has no effect: batching is "
                        "off (--enable_batching turns it on)")
        # Triton's NONE and EXPLICIT modes: the repository is read at start, not polled (in
        # explicit mode only RepositoryModelLoad or a reload changes what serves).
        self.repository.start(opts.poll_seconds if opts.model_control_mode == "poll" else 0)
        handlers = []
        self._streams = StreamInferenceService(self.plane, self._clock)
        for svc in (PredictionService(self.plane, self._clock,
                                      opts.enable_signature_method_name_check),
                    ModelService(self.plane, self._clock),
                    SessionService(self.plane, self._clock),
                    InferenceService(self.plane, self._clock),
                    self._streams,
                    RepositoryService(self.plane, self._clock),
                    SharedMemoryService(self.plane.shared_memory, self._clock), self.health):
            handlers.extend(svc.handlers(self.metrics, opts.max_message_bytes))
        if opts.reflection:
            # Reflection lists itself too, as grpc's reference implementation does.
            names = SERVICE_NAMES + ["grpc.reflection.v1alpha.ServerReflection",
                                     "grpc.reflection.v1.ServerReflection"]
            handlers.extend(ReflectionService(names).handlers())
        # gRPC runs on an asyncio event loop of its own: a request waiting for its batch
        # holds no thread, and a finished batch wakes the loop once (a thread per request
        # would need a wake-up each, which cost a third of the throughput).
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever, name="grpc-loop",
                                             daemon=True)
        self._loop_thread.start()
        try:
            self.grpc_port = self._on_loop(self._start_grpc(handlers))
        except BaseException:
            self._stop_loop()
            raise
        if self.grpc_port is not None:
            log.info("gRPC API listening on %s:%d (%s)", opts.host, self.grpc_port,
                     "TLS" if _tls(opts) else "plaintext")
        if opts.grpc_socket_path:
            log.info("gRPC API listening on UNIX socket %s", opts.grpc_socket_path)
        if opts.http_port is not None and opts.http_port >= 0:
            self._start_http()
        if opts.model_config_file and opts.model_config_file_poll_seconds > 0:
            self._config_poller = threading.Thread(target=self._poll_config_file,
                                                   name="config-poller", daemon=True)
            self._config_poller.start()
        return self

    def _poll_config_file(self):
        """TF Serving's --model_config_file_poll_wait_seconds: re-reads the model config file
        and applies it as HandleReloadConfigRequest would (so it also undoes what that RPC
        changed, as in TF Serving). A file that does not parse, or lists a model twice, is
        logged and changes nothing; the same error is logged once, not every poll."""
        opts = self.options
        last_error = None
        while not self._config_poll_stop.wait(opts.model_config_file_poll_seconds):
            try:
                models, _ = load_model_config_file(opts.model_config_file,
                                                   opts.config_file_batching)
                self.repository.reconfigure(models)
                error = None
            except ValueError as e:
                error = f"{e}; the models served are unchanged"
            except OpError as e:
                error = e.message
            except Exception as e:  # noqa: BLE001 - the poller must keep polling
                log.exception("Reloading the model config file %s failed",
                              opts.model_config_file)
                error = f"{type(e).__name__}: {e}"
            if error is not None and error != last_error:
                log.error("Reloading the model config file %s failed: %s",
                          opts.model_config_file, error)
            last_error = error

    async def _start_grpc(self, handlers) -> int:
        opts = self.options
        own = [("grpc.max_receive_message_length", opts.max_message_bytes),
               ("grpc.max_send_message_length", opts.max_message_bytes),
               ("grpc.so_reuseport", 0)] + _connection_age(opts)
        # TF Serving's --grpc_channel_arguments override minitf's settings of the same keys.
        given = {key for key, _ in opts.grpc_channel_arguments}
        server = grpc.aio.server(options=[(k, v) for k, v in own if k not in given] +
                                 list(opts.grpc_channel_arguments))
        server.add_generic_rpc_handlers(generic_handlers(handlers))
        credentials = _credentials(opts) if _tls(opts) else None
        # TF Serving's --grpc_socket_path, with the same credentials; a port of None: only it.
        addresses = ([] if opts.grpc_port is None else
                     [f"{_bracketed(opts.host)}:{opts.grpc_port}"]) + \
            ([f"unix:{opts.grpc_socket_path}"] if opts.grpc_socket_path else [])
        if not addresses:
            raise ValueError("no gRPC port and no --grpc_socket_path to serve gRPC on")
        ports = [server.add_secure_port(a, credentials) if credentials else
                 server.add_insecure_port(a) for a in addresses]
        for a, port in zip(addresses, ports):
            if not port:
                raise OSError(f"could not bind the gRPC {'socket' if a[:5] == 'unix:' else 'port'}"
                              f" {a}")
        await server.start()
        self._grpc = server
        return None if opts.grpc_port is None else ports[0]

    def _on_loop(self, coroutine, timeout=None):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _stop_loop(self):
        if self._loop is not None and not self._loop.is_closed():
            if self._loop_thread.is_alive():
                try:  # as asyncio.run does: a task left pending would log its destruction
                    self._on_loop(_cancel_pending(), 5)
                except Exception:  # noqa: BLE001 - stopping goes on regardless
                    log.warning("tasks still pending at shutdown were not cancelled")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join(10)
            if not self._loop_thread.is_alive():
                self._loop.close()  # its selector and self-pipe: descriptors otherwise leaked

    def _start_http(self):
        # At most this many REST requests are processed at once (TF Serving's fixed pool);
        # the others wait for a turn, once their body is read, on their connection's thread.
        turns = Turns(self.options.rest_api_num_threads or 4 * (os.cpu_count() or 1),
                      self._rest_idle)
        rest_api = RestApi(self.plane, self.metrics, self.options.max_message_bytes, self._clock,
                           self.options.enable_signature_method_name_check, turns)

        Handler = make_handler(self, rest_api)

        host = self.options.host.strip("[]")
        # A burst of connections waits in the listen queue instead of being reset:
        # socketserver's backlog is 5; Triton's HTTP endpoint listens with 1024 (the kernel
        # caps it at net.core.somaxconn).
        attributes = {"request_queue_size": HTTP_LISTEN_BACKLOG}
        if ":" in host:  # an IPv6 address
            attributes["address_family"] = socket.AF_INET6
        server_class = type("ModelHTTPServer", (ThreadingHTTPServer,), attributes)
        self._http = server_class((host, self.options.http_port), Handler)
        self._http.daemon_threads = True
        self.http_port = self._http.server_address[1]
        self._http_thread = threading.Thread(target=self._http.serve_forever, args=(0.1,),
                                             name="http",
                                             daemon=True)
        self._http_thread.start()
        log.info("HTTP REST APIs, /metrics and health listening on %s:%d", self.options.host,
                 self.http_port)

    def stop(self, grace: float | None = None):
        """Stops accepting requests, lets in-flight ones finish (up to ``grace`` seconds),
        drains the batch queues, then closes the ports. Requests still running after the grace
        period do not hold it up: gRPC cancels them, a REST one's connection is closed (after
        a 503 when one can still be sent), a batch goes on in its (daemon) thread."""
        with self._stop_lock:
            if self._stopping:
                return
            self._stopping = True
        grace = self.options.grace_seconds if grace is None else grace
        log.info("Shutting down: finishing in-flight requests (grace %.0fs)", grace)
        self.health.stopping.set()
        if self._streams is not None:  # open ModelStreamInfer streams end, not wait out grace
            self._streams.begin_shutdown()
        self._config_poll_stop.set()
        if self._config_poller is not None:
            self._config_poller.join(30)  # a reconfiguration it started finishes first
        try:
            deadline = time.monotonic() + grace
            stopped = asyncio.run_coroutine_threadsafe(self._grpc.stop(grace), self._loop) \
                if self._grpc is not None else None
            # New RPCs are refused now; draining the batchers runs queued requests at once
            # instead of after their batch timeout (later arrivals run unbatched). A batch
            # still running after the grace period is left to its thread.
            drain = threading.Thread(target=self._drain, name="drain", daemon=True)
            drain.start()
            if stopped is not None:
                try:  # gRPC's stop cancels the calls left at the deadline: a margin only
                    stopped.result(max(deadline - time.monotonic(), 0) + 5)
                except futures.TimeoutError:
                    log.warning("in-flight requests did not finish within %.0fs", grace + 5)
                except Exception:  # noqa: BLE001 - shut the rest down regardless
                    log.exception("stopping the gRPC server failed")
            drain.join(max(deadline - time.monotonic(), 0.1))
            if drain.is_alive():
                log.warning("batches still running after the grace period (%.0fs) are left "
                            "to finish", grace)
            with self._rest_idle:  # REST requests in flight finish too (new POSTs get 503)
                if not self._rest_idle.wait_for(lambda: self._rest_inflight == 0,
                                                max(deadline - time.monotonic(), 0)):
                    log.warning("%d REST requests still running after the grace period "
                                "(%.0fs): their connections are closed",
                                self._rest_inflight, grace)
                handlers, self._connections = self._connections, {}
                # Marked under the lock, so a handler either answers or leaves it to us.
                answers = [(h.connection, h.abandon()) for h in handlers.values()]
            for connection, answer in answers:  # kept-alive ones would serve on after stop
                end_connection(connection, answer)
        finally:
            self._stop_loop()
            self._executor.shutdown(wait=False, cancel_futures=True)
            self.plane.close()
            if self._http is not None:
                self._http.shutdown()
                self._http.server_close()
            if self._blas_limits is not None:
                self._blas_limits.restore_original_limits()
            self._stopped.set()
            log.info("Server stopped")

    def _drain(self):
        try:
            self.repository.stop()
        except Exception:  # noqa: BLE001 - stopping goes on regardless
            log.exception("stopping the model repository failed")

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until ``stop`` has finished (True), or ``timeout`` passes (False)."""
        return self._stopped.wait(timeout)


def _bracketed(host: str) -> str:
    """An IPv6 address in a host:port string needs brackets ("[::1]:8500")."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _limit_blas_threads(threads: int):
    """Caps the BLAS library's threads per call (process-wide, until restored): with gRPC
    threads and batch threads already running plans in parallel, BLAS threads on top spin
    and fight for the cores; on 2 cores that cut throughput several times over."""
    if threads <= 0:
        return None
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.warning("threadpoolctl is not installed: BLAS keeps its default thread count")
        return None
    return threadpool_limits(limits=threads, user_api="blas")


def _connection_age(opts: ServerOptions) -> list:
    """Closing connections after a while makes long-lived clients re-resolve and reconnect, so
    new replicas behind a headless Service or DNS get traffic (0: never)."""
    if opts.max_connection_age_seconds <= 0:
        return []
    ms = int(opts.max_connection_age_seconds * 1000)
    return [("grpc.max_connection_age_ms", ms), ("grpc.max_connection_age_grace_ms", 30_000)]


def _tls(opts: ServerOptions) -> bool:
    return bool(opts.ssl_cert or opts.ssl_key or opts.ssl_config)


def _credentials(opts: ServerOptions):
    if opts.ssl_config is not None:  # TF Serving's --ssl_config_file: PEM text
        c = opts.ssl_config
        return grpc.ssl_server_credentials(
            [(c.server_key.encode(), c.server_cert.encode())],
            root_certificates=c.custom_ca.encode() if c.custom_ca else None,
            require_client_auth=c.client_verify)
    if not (opts.ssl_cert and opts.ssl_key):
        raise ValueError("TLS needs both --ssl_cert and --ssl_key")
    with open(opts.ssl_key, "rb") as f:
        key = f.read()
    with open(opts.ssl_cert, "rb") as f:
        cert = f.read()
    ca = None
    if opts.ssl_client_ca:
        with open(opts.ssl_client_ca, "rb") as f:
            ca = f.read()
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca,
                                       require_client_auth=ca is not None)


async def _cancel_pending(finish_seconds: float = 1.0):
    """Lets the loop's other tasks end, then cancels those left (an RPC gRPC scheduled as it
    stopped accepting) and waits for them, so none is destroyed pending when the loop closes.
    gRPC's stop returns once core has finished the calls, but on a busy machine an RPC's task
    can still be a few loop steps from its end; cancelled there, gRPC logs the CancelledError
    with a traceback as an exception its servicer did not handle."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if not tasks:
        return
    _, left = await asyncio.wait(tasks, timeout=finish_seconds)
    for t in left:
        t.cancel()
    await asyncio.gather(*left, return_exceptions=True)
