"""The HTTP port: /metrics and health for probes and Prometheus, TF Serving's model status
paths, and the REST APIs (rest.py) with keep-alive connections, a draining stop and TF
Serving's CORS option. One thread per connection (http.server's ThreadingHTTPServer)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from minitf.errors import InvalidArgumentError, UnavailableError

from .rest import version_number
from .services.common import status_code

log = logging.getLogger("minitf.serving")

# TF Serving's CORS headers (http_rest_api_util.cc AddCORSHeaders), with
# --rest_api_enable_cors_support.
CORS_HEADERS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "POST, GET"),
                ("Access-Control-Allow-Headers", "Content-Type"))
# An answer up to this size goes out with its headers in one send (one TCP segment for the
# small ones); a bigger body is sent after them rather than copied once more.
_ONE_WRITE_BYTES = 64 << 10
SHUTTING_DOWN = json.dumps({"error": "The server is shutting down"}).encode()
# The handler whose REST request this thread is processing (Turns reads it).
_current = threading.local()


class Turns:
    """The REST API's turns (--rest_api_num_threads), which a request takes once its body has
    been read: taking one marks the request running, so a stop past the grace period can still
    answer it 503 cleanly (mid-upload it can only close the connection); and a request given
    up on while it waited for a turn is refused instead of run."""

    def __init__(self, count: int, lock):
        self._turns = threading.BoundedSemaphore(count)
        self._lock = lock  # the server's, which guards the handlers' phases

    def acquire(self):
        handler = getattr(_current, "handler", None)
        if handler is not None:
            with self._lock:
                if handler._phase == "reading":
                    handler._phase = "running"
        self._turns.acquire()
        if handler is not None and handler._abandoned:
            self._turns.release()
            raise UnavailableError(None, None, "The server is shutting down")

    def release(self):
        self._turns.release()


def end_connection(connection, answer: bytes | None):
    """Ends a connection at stop, first sending ``answer`` if there is one, without waiting:
    if it does not fit in the socket's buffer at once, the connection just closes. Its
    handler's thread sees the end of the stream and leaves."""
    try:
        if answer is not None:
            connection.settimeout(0.0)  # its handler neither reads nor writes it any more
            connection.send(answer)
    except OSError:
        pass
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _has_body(headers) -> bool:
    """Whether a request announces a body (Transfer-Encoding, or a Content-Length other than
    0; an invalid or conflicting Content-Length counts as one)."""
    if headers.get("Transfer-Encoding") is not None:
        return True
    return any(v.strip() != "0" for value in headers.get_all("Content-Length") or ()
               for v in value.split(","))


def make_handler(server, rest_api):
    """The request handler class of ``server``'s (a ModelServer's) HTTP port; ``rest_api``
    answers the REST paths."""

    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as TF Serving and Triton: every response carries its length, and a
        # body left unread closes the connection. An idle or half-sent connection is closed
        # after the REST timeout, so it does not hold its thread for ever.
        protocol_version = "HTTP/1.1"
        # The version of a request whose line gives none: http.server's "HTTP/0.9" would make
        # its answer to a malformed request line a bare body, with no status line.
        default_request_version = "HTTP/1.0"
        timeout = server.options.rest_api_timeout_seconds
        _body_pending = False  # the request's body is still unread (parse_request sets it)
        _continued = False  # "100 Continue" was sent for the request
        # The REST request in flight (guarded by server._rest_idle): "reading" its body,
        # "running" (its body read), "answering"; None: none. _abandoned: stop() gave up
        # on it after the grace period.
        _phase = None
        _abandoned = False

        def setup(self):
            super().setup()
            try:  # answers leave at once: with Nagle's algorithm an answer written after
                # another waited ~40 ms for the client's delayed ACK of the first
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # not a TCP socket
                pass
            with server._rest_idle:
                server._connections[self.connection] = self

        def finish(self):
            try:
                super().finish()
            finally:
                with server._rest_idle:
                    server._connections.pop(self.connection, None)

        def abandon(self) -> bytes | None:
            """Called by stop() past the grace period, holding server._rest_idle: gives up on
            the request in flight, if any. Returns the 503 to send when one can be sent
            cleanly (the body was read and the answer not begun), else None (just close)."""
            if self._phase is None:
                return None
            self._abandoned = True
            if self._phase != "running":
                return None
            head = ["HTTP/1.1 503 Service Unavailable", "Content-Type: application/json"]
            head += [f"{name}: {value}" for name, value in CORS_HEADERS
                     if server.options.cors]
            head += ["Connection: close", f"Content-Length: {len(SHUTTING_DOWN)}", "", ""]
            return "\r\n".join(head).encode("latin-1") + SHUTTING_DOWN

        def parse_request(self):
            self._body_pending = False
            self._continued = False
            if len(self.raw_requestline.split()) == 2:
                # "GET /path" with no version: HTTP/0.9, which http.server would answer with
                # a bare body, after waiting for headers HTTP/0.9 never sends. Refused, as
                # by servers that do not speak it (400, and the connection closes).
                self.command, self.request_version = None, self.default_request_version
                self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
                self.close_connection = True
                self.send_error(400, "HTTP/0.9 is not supported")
                self._linger()
                return False
            if not super().parse_request():
                return False
            # A body no handler reads would be parsed as the next request: the request a
            # proxy in front framed differently (smuggled). Its connection ends after the
            # answer instead (the REST API reads or refuses a POST's body itself).
            self._body_pending = _has_body(self.headers)
            return True

        def handle_one_request(self):
            super().handle_one_request()
            if self._body_pending and self.close_connection:
                self._body_pending = False
                self._linger()

        def handle(self):
            try:
                super().handle()
            except ConnectionError:  # the client left before its answer: nobody to tell, and
                pass                 # socketserver would print a traceback for each one

        def do_GET(self):  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            if path == "/metrics" or path == server.options.metrics_path:
                body = generate_latest(server.metrics.registry)
                self._send(200, body, CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/v2/health/live"):
                self._send(200, b"ok\n", "text/plain")
            elif path in ("/readyz", "/v2/health/ready"):
                ok = server.plane.ready() and not server.health.stopping.is_set()
                self._send(200 if ok else 503, b"ready\n" if ok else b"not ready\n",
                           "text/plain")
            elif self._rest("GET"):  # model metadata (TF Serving's and KServe's), /v2
                pass
            elif path.lower().startswith("/v1/models/"):  # case-insensitive, as TF's
                self._model_status(path[len("/v1/models/"):])
            else:
                self._send(404, b"not found\n", "text/plain")

        def do_POST(self):  # noqa: N802 - the REST APIs' predict, classify, regress, infer
            if not self._rest("POST"):
                self._not_allowed()  # /metrics, health, status: GET and HEAD only

        def _rest(self, method) -> bool:
            if method == "POST" and server.health.stopping.is_set():
                # As the gRPC port, which refuses new calls once stopping; the body is
                # left unread, so the connection closes.
                self.close_connection = True
                self._body_pending = False  # the lingering close below drops it
                self._send(503, json.dumps({"error": "The server is shutting down"})
                           .encode(), "application/json")
                self._linger()
                return True
            with server._rest_idle:
                server._rest_inflight += 1
                self._phase = "reading" if method == "POST" else "running"
                self._abandoned = False
            _current.handler = self
            try:  # in flight until its answer is written: stop() closes connections then
                response = rest_api.handle(method, self.path, self.headers, self.rfile,
                                           self._continue)
                if response is None:
                    return False
                with server._rest_idle:
                    abandoned = self._abandoned
                    if not abandoned:
                        self._phase = "answering"
                if abandoned:  # stop() answered it or closed its connection: write nothing
                    log.info("A REST request finished after the grace period; its connection "
                             "was closed at shutdown")
                    self.close_connection = True
                    self._body_pending = False
                    return True
                if response.close:  # the body was left unread
                    self.close_connection = True
                if method == "POST":  # its body was read, or response.close: lingered below
                    self._body_pending = False
                self._send(response.status, response.body, response.content_type,
                           response.headers)
            finally:
                _current.handler = None
                with server._rest_idle:
                    server._rest_inflight -= 1
                    self._phase = None
                    server._rest_idle.notify_all()
            if response.close:
                self._linger()
            return True

        def _linger(self):
            """A lingering close, as Apache's and nginx's: the client may still be sending
            the body left unread (a chunked upload refused half-way), and closing at once
            would reset the connection before it reads the answer. So shut the sending
            side, then read and drop what still arrives, for at most 2 s and 64 MiB."""
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(0.5)
                end, left = time.monotonic() + 2.0, 64 << 20
                while time.monotonic() < end and left > 0:
                    data = self.connection.recv(65536)
                    if not data:
                        break
                    left -= len(data)
            except OSError:  # reset or timed out: nothing more to wait for
                pass

        def handle_expect_100(self):
            # http.server would answer 100 while parsing the headers; the REST API sends it
            # (_continue) only once it will read the body: not before a 413, nor twice.
            return True

        def _continue(self):
            # Once per request, and never to an HTTP/1.0 client (RFC 9110 10.1.1).
            if self._continued or self.request_version < "HTTP/1.1":
                return
            self._continued = True
            self.send_response_only(100)
            self.end_headers()

        def do_HEAD(self):  # noqa: N802 - what GET answers, without the body
            self._head_only = True
            try:
                self.do_GET()
            finally:
                self._head_only = False  # a kept-alive connection's next request

        def _not_allowed(self):
            self.send_response(405)
            self.send_header("Allow", "GET, HEAD")
            self._end(b"")

        do_PUT = do_DELETE = do_PATCH = _not_allowed  # noqa: N815

        def do_OPTIONS(self):  # noqa: N802 - a browser's CORS preflight
            if not server.options.cors:
                self._not_allowed()
                return
            self.send_response(204)
            self._end(b"")

        def _cors(self):
            # TF Serving's --rest_api_enable_cors_support: its AddCORSHeaders.
            if server.options.cors:
                for name, value in CORS_HEADERS:
                    self.send_header(name, value)

        def _model_status(self, rest):
            # TF Serving's REST status paths: <name>, <name>/versions/<N>,
            # <name>/labels/<label>
            parts = [unquote(p) for p in rest.split("/")]  # as TF Serving decodes them
            try:
                version = None
                kind = parts[1].lower() if len(parts) == 3 else None
                if not parts[0] or len(parts) not in (1, 3) or kind not in (
                        None, "versions", "labels") or (kind == "versions" and not (
                            parts[2].isascii() and parts[2].isdigit())):
                    # No status path: TF Serving's answer to a request it cannot route.
                    message = f"Malformed request: GET {self.path.split('?', 1)[0]}"
                    self._send(400, json.dumps({"error": message}).encode(),
                               "application/json")
                    return
                if kind == "versions":
                    version = version_number(parts[2])  # 400 past int64, as TF Serving
                elif kind == "labels":
                    labels = server.repository.config(parts[0]).version_labels
                    if parts[2] not in labels:  # 400, as TF Serving (INVALID_ARGUMENT)
                        message = (f"Unrecognized servable version label: {parts[2]} "
                                   f"(model '{parts[0]}')")
                        self._send(400, json.dumps({"error": message}).encode(),
                                   "application/json")
                        return
                    version = labels[parts[2]]
                statuses = server.repository.status(parts[0], version)
            except KeyError as e:
                message = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
                self._send(404, json.dumps({"error": message}).encode(),
                           "application/json")
                return
            except InvalidArgumentError as e:
                self._send(400, json.dumps({"error": e.message}).encode(), "application/json")
                return
            body = {"model_version_status": [
                {"version": str(s.version), "state": s.state.name,
                 "status": {"error_code": "OK" if s.error is None else
                            status_code(s.error).name, "error_message":
                            "" if s.error is None else s.error.message}}
                for s in statuses]}
            self._send(200, json.dumps(body).encode(), "application/json")

        def _send(self, code, body, ctype, headers=()):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            for name, value in headers:
                self.send_header(name, value)
            self._end(body)

        def _end(self, body: bytes):
            """The common headers, then the headers and ``body`` in one write: two would send
            the headers in a segment of their own."""
            self._cors()
            if self._body_pending:  # unread: the next request cannot be found after it
                self.close_connection = True
            if self.close_connection:  # tell a keep-alive client not to send more
                self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            # http.server's end_headers() would write the buffered headers alone.
            self._headers_buffer.append(b"\r\n")
            head = b"".join(self._headers_buffer)
            self._headers_buffer = []
            if getattr(self, "_head_only", False):
                body = b""
            if len(body) <= _ONE_WRITE_BYTES:
                self.wfile.write(head + body)
            else:
                self.wfile.write(head)
                self.wfile.write(body)

        def log_message(self, fmt, *args):  # quiet: Prometheus scrapes every few seconds
            pass

    return Handler
