"""The REST APIs on the HTTP port: TensorFlow Serving's (/v1/models/...) and KServe v2's
(/v2/...), as thin translators onto the DataPlane the gRPC APIs use.

The KServe handlers and JSON live in rest_kserve.py, TF Serving's JSON in rest_json.py.
A request runs on the HTTP server's thread: JSON is decoded, the version
resolved, and the data plane's blocking ``predict`` waits for its batch in the same batchers
the gRPC requests use. Validation, version and label resolution, metadata and the Classify /
Regress checks are the gRPC servicers' own; errors are ``{"error": "..."}`` with the HTTP
status TF Serving (http_server.cc ToHTTPStatusCode) or Triton (HttpCodeFromError) gives the
canonical code. Requests count in the same metrics and ModelStatistics, under "rest.*" APIs.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import zlib
from typing import NamedTuple
from urllib.parse import unquote

from google.protobuf import json_format

from minitf.errors import InvalidArgumentError, OpError
from minitf.protos import classification_pb2, get_model_metadata_pb2, regression_pb2

from . import rest_json
from .rest_kserve import API_REPOSITORY, REPOSITORY_PATH, KServeHandlers
from .rest_shared_memory import API_SHARED_MEMORY, SHARED_MEMORY_PATH, SharedMemoryHandlers
from .dataplane import DataPlane
from .servable import DEFAULT_SIGNATURE
from .services import inference
from .services.common import RequestInfo, _truncate, status_code
from .services.kserve import InferenceService
from .services.tfserving import PredictionService

log = logging.getLogger("minitf.serving")

API_PREDICT, API_CLASSIFY, API_REGRESS = "rest.predict", "rest.classify", "rest.regress"
API_METADATA = "rest.metadata"
API_INFER, API_V2_METADATA = "rest.v2.infer", "rest.v2.model_metadata"
API_V2_READY, API_V2_SERVER = "rest.v2.model_ready", "rest.v2.server_metadata"
API_V2_CONFIG, API_V2_STATS = "rest.v2.model_config", "rest.v2.model_statistics"
INFERENCE_APIS = (API_PREDICT, API_CLASSIFY, API_REGRESS, API_INFER)
JSON_TYPE = "application/json"

_VERSION = r"(?:/versions/(\d+)|/labels/([^/:]+))?"
_TFS_POST = re.compile(r"/v1/models/([^/:]+)" + _VERSION + r":(classify|regress|predict)", re.I)
# TF Serving's GET paths (model status and metadata; http_rest_api_handler.cc)
_TFS_GET = re.compile(r"/v1/models(?:/([^/:]+))?(?:/versions/(\d+))?(?:/labels/([^/:]+))?"
                      r"(?:/(metadata))?", re.I)
# Triton's model_regex_ (http_server.cc); "/v2/models/stats" is matched before it
_V2_MODEL = re.compile(r"/v2/models/([^/]+)(?:/versions/([^/]+))?(?:/(infer|ready|config|stats))?")
_V2_GET = {None: (API_V2_METADATA, "_model_metadata"), "ready": (API_V2_READY, "_model_ready"),
           "config": (API_V2_CONFIG, "_model_config"), "stats": (API_V2_STATS,
                                                                 "_model_statistics")}

# TF Serving's ToHTTPStatusCode (model_servers/http_server.cc), by canonical code.
TFSERVING_HTTP = {1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400,
                  10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401}
# Triton's HttpCodeFromError: INTERNAL 500, NOT_FOUND 404, UNAVAILABLE 503, UNSUPPORTED 501,
# everything else 400. (Triton has no RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED: a full queue
# and an expired timeout are UNAVAILABLE there.)
KSERVE_HTTP = {13: 500, 15: 500, 5: 404, 14: 503, 8: 503, 4: 503, 12: 501}
# The Content-Encodings of request bodies read, with zlib's wbits for each: gzip, as TF Serving
# and Triton (GetRequestCompressionType) read it, and Triton's deflate, which is the zlib format
# (RFC 9110 8.4.1.2; tritonclient sends zlib.compress). Others get 415, as from Triton.
_DECODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
              "deflate": zlib.MAX_WBITS}
_ACCEPTED = (("Accept-Encoding", "gzip, deflate"),)


class Response(NamedTuple):
    status: int
    body: bytes
    close: bool = False  # the request body was not read: the connection cannot be reused
    content_type: str = JSON_TYPE
    headers: tuple = ()  # more (name, value) pairs


class _BodyError(OpError):
    """The request body could not be read (HTTP status of its own: 411, 413, 415, 400)."""

    def __init__(self, status: int, code: int, message: str, headers: tuple = ()):
        super().__init__(None, None, message, code)
        self.status = status
        self.headers = headers


def version_number(text: str) -> int:
    """A version in a /v1 path (ASCII digits): an int64, as TF Serving's SimpleAtoi reads it;
    INVALID_ARGUMENT in its words for one past int64."""
    if int(text) >= 1 << 63:
        raise InvalidArgumentError(None, None, f"Failed to convert version: {text} to numeric.")
    return int(text)


def _error_body(message: str) -> bytes:
    return json.dumps({"error": _truncate(message)}).encode()


def _malformed(method: str, path: str) -> Response:
    """TF Serving's answer to a /v1 path no handler takes (the body, if any, is unread)."""
    return Response(400, _error_body(f"Malformed request: {method} {path}"), method == "POST")


class RestApi(KServeHandlers, SharedMemoryHandlers):
    """Routes a request to TF Serving's or KServe's REST handlers; ``handle`` returns None
    for a path it leaves to the HTTP server (health, /metrics, TF Serving's model status, and
    methods other than GET and POST on them)."""

    def __init__(self, plane: DataPlane, metrics=None, max_body_bytes: int = 2**31 - 1,
                 clock=time.monotonic, check_method_names: bool = False, turns=None):
        # A semaphore bounding the requests processed at once (--rest_api_num_threads),
        # taken once a request's body has been read: a slow upload must not hold a turn.
        self.turns = turns
        self._held = threading.local()
        self.plane = plane
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.clock = clock
        self.check_method_names = check_method_names
        self.tfserving = PredictionService(plane, clock, check_method_names)
        self.kserve = InferenceService(plane, clock)
        self._record = {}
        if metrics is not None:
            for api in INFERENCE_APIS + (API_METADATA, API_V2_METADATA, API_V2_READY,
                                         API_V2_SERVER, API_V2_CONFIG, API_V2_STATS,
                                         *API_REPOSITORY.values(),
                                         *API_SHARED_MEMORY.values()):
                self._record[api] = (metrics.recorder(api, api in INFERENCE_APIS),
                                     metrics.inflight.labels(api))

    # -- routing ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers, rfile, send_continue=None
               ) -> Response | None:
        """``send_continue()`` answers "Expect: 100-continue" (curl asks it before a body over
        1 KiB, and waits a second without it) once the body's size is known to be acceptable."""
        path = path.split("?", 1)[0]
        m = REPOSITORY_PATH.fullmatch(path)
        if m is not None:  # Triton's model repository extension (rest_kserve.py)
            return self._repository(method, m, headers, rfile, send_continue)
        m = SHARED_MEMORY_PATH.fullmatch(path)
        if m is not None:  # Triton's shared-memory extensions (rest_shared_memory.py)
            return self._shared_memory(method, m, headers, rfile, send_continue)
        if method == "POST":
            m = _TFS_POST.fullmatch(path)
            if m is not None:
                name, version, label, verb = m.groups()
                fn = {"predict": self._predict, "classify": self._classify,
                      "regress": self._regress}[verb.lower()]
                api = {"predict": API_PREDICT, "classify": API_CLASSIFY,
                       "regress": API_REGRESS}[verb.lower()]
                return self._run(api, TFSERVING_HTTP, fn, name, version, label,
                                 lambda: self._body(headers, rfile, send_continue))
            if path.lower().startswith("/v1/"):  # TF Serving's answer to any other POST
                return _malformed(method, path)
            m = _V2_MODEL.fullmatch(path)
            if m is not None and m.group(3) == "infer":
                response = self._run(API_INFER, KSERVE_HTTP, self._infer, m.group(1),
                                     m.group(2), lambda: self._body(headers, rfile,
                                                                    send_continue), headers)
                return _compressed(response, headers.get("Accept-Encoding"))
            return self._v2_other(method, path)
        if method != "GET":
            return None
        if path.lower().startswith("/v1/"):
            m = _TFS_GET.fullmatch(path)
            if m is None:  # TF Serving: no handler matches, "Malformed request" (400)
                # The status paths' other errors are the HTTP server's (its 404 names the
                # paths it serves); a verb path (":predict") cannot be a status path.
                return _malformed(method, path) if ":" in path else None
            name, version, label, metadata = m.groups()
            if not name:
                return Response(400, _error_body("Missing model name in request."))
            if metadata:
                if version is not None and label is not None:
                    return _malformed(method, path)
                return self._run(API_METADATA, TFSERVING_HTTP, self._metadata, name, version,
                                 label)
            return None  # model status: the HTTP server's
        if path in ("/v2", "/v2/"):
            return self._run(API_V2_SERVER, KSERVE_HTTP, self._server_metadata)
        if path == "/v2/models/stats":  # Triton: every model's statistics
            return self._run(API_V2_STATS, KSERVE_HTTP, self._model_statistics)
        m = _V2_MODEL.fullmatch(path)
        if m is not None and m.group(3) != "infer":
            api, fn = _V2_GET[m.group(3)]
            return self._run(api, KSERVE_HTTP, getattr(self, fn), m.group(1), m.group(2))
        return self._v2_other(method, path)

    @staticmethod
    def _v2_other(method: str, path: str) -> Response | None:
        """A /v2 path with no handler for ``method``: Triton answers 405 on a path that has a
        handler for another method, else 400 {"error": "Not Found"} (JSON, which
        tritonclient.http can parse), for any path under /v2."""
        if path == "/v2" or path.startswith("/v2/"):
            m = _V2_MODEL.fullmatch(path)
            if m is not None:
                allow = "POST" if m.group(3) == "infer" else "GET, HEAD"
                return Response(405, _error_body("Method Not Allowed"),
                                headers=(("Allow", allow),), close=method == "POST")
            if method == "POST" and path in ("/v2", "/v2/health/live", "/v2/health/ready"):
                return None  # the HTTP server's 405
            return Response(400, _error_body("Not Found"), close=method == "POST")
        return None

    def _run(self, api: str, http_status: dict, fn, *args) -> Response:
        """Calls ``fn(info, *args)`` -> (status, body); counts the request in ``api``'s metrics
        and maps an OpError to its HTTP status and {"error": message}."""
        record, inflight = self._record.get(api, (None, None))
        start, info, close = self.clock(), RequestInfo(), False
        if inflight is not None:
            inflight.inc()
        extra = ()
        self._held.read = False
        try:
            status, body, *extra = fn(info, *args)  # a 400 here: a model that is not ready
            code = "OK"
        except OpError as e:
            code = status_code(e).name
            status = e.status if isinstance(e, _BodyError) else http_status.get(e.error_code, 400)
            body, close = _error_body(e.message), isinstance(e, _BodyError)
            if isinstance(e, _BodyError) and e.headers:
                extra = (JSON_TYPE, e.headers)
        except Exception as e:  # noqa: BLE001 - reported to the client as INTERNAL
            log.exception("REST %s failed", api)
            code, status, body = "INTERNAL", 500, _error_body(f"{type(e).__name__}: {e}")
        finally:
            if inflight is not None:
                inflight.dec()
            if getattr(self._held, "turn", False):
                self._held.turn = False
                self.turns.release()
        if not self._held.read and any(callable(a) for a in args):
            close = True  # refused before its body was read: the connection cannot go on
        if record is not None:
            record(info.model, info.version, code, self.clock() - start)
        return Response(status, body, close, *extra)

    def _body(self, headers, rfile, send_continue=None) -> bytes:
        """The request body (408 if the client stops sending it for the REST timeout),
        decompressed as its Content-Encoding says, then a turn to process it."""
        self._held.read = True  # read, or refused while reading: either way, not left
        coding = _content_coding(headers)  # refused before the body is read
        try:
            body = self._read_body(headers, rfile, send_continue)
        except (TimeoutError, OSError) as e:
            raise _BodyError(408, 4, f"the request body did not arrive in time ({e})") from None
        if coding is not None:
            body = self._decompress(body, coding)
        if self.turns is not None:
            self.turns.acquire()
            self._held.turn = True
        return body

    def _read_body(self, headers, rfile, send_continue=None) -> bytes:
        """The request body, within the server's message size limit (--max_message_bytes, as
        for gRPC): Content-Length bytes, or a chunked body (Transfer-Encoding: chunked, which
        TF Serving's and Triton's HTTP servers read too); 411 with neither."""
        # Every field line of a header counts: one left unread is how a second request is
        # smuggled past a proxy that read it.
        encodings = headers.get_all("Transfer-Encoding") or []
        lengths = headers.get_all("Content-Length") or []
        if encodings and lengths:
            # RFC 9112 6.1: framed two ways, which a proxy in front may have read the other
            # way: refused (and the connection closed), not guessed.
            raise _BodyError(400, 3, "the request has both Transfer-Encoding and "
                             "Content-Length: send one")
        if encodings:
            encoding = ", ".join(encodings)
            codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
            if codings != ["chunked"]:  # RFC 9112 6.1: chunked must be last; no others here
                status = 501 if codings and codings[-1] == "chunked" and \
                    codings.count("chunked") == 1 else 400
                raise _BodyError(status, 12 if status == 501 else 3,
                                 f"Transfer-Encoding {encoding!r} is not supported: send "
                                 "the body with Content-Length or Transfer-Encoding: chunked")
            self._continue(headers, send_continue)
            return self._chunked(rfile)
        if not lengths:
            raise _BodyError(411, 3, "Content-Length is required (or Transfer-Encoding: "
                             "chunked)")
        # RFC 9112 6.3: repeated Content-Length values must agree (an identical list is one
        # length, RFC 9110 8.6); a conflict is an unrecoverable framing error: 400 and the
        # connection closes, else the rest of the body would be read as a request (smuggled).
        values = {v.strip() for length in lengths for v in length.split(",")}
        if len(values) != 1:
            raise _BodyError(400, 3, "conflicting Content-Length values: "
                             f"{', '.join(repr(v) for v in lengths)}")
        length = values.pop()
        if not (length.isascii() and length.isdigit()):
            raise _BodyError(400, 3, f"invalid Content-Length: {length!r}")
        n = int(length)
        self._check_size(n)
        self._continue(headers, send_continue)
        body = rfile.read(n) if n else b""
        if len(body) != n:
            raise _BodyError(400, 3, f"request body ended after {len(body)} of {n} bytes")
        return body

    def _decompress(self, body: bytes, coding: str) -> bytes:
        """``body`` decompressed, within the message size limit: zlib stops one byte past it,
        so a small body inflating to gigabytes (a zip bomb) is refused (413) having cost no
        more memory than an uncompressed body could. One gzip member, nothing after it."""
        limit = self.max_body_bytes
        d = zlib.decompressobj(_DECODINGS[coding])
        try:
            out = d.decompress(body, limit + 1)
        except zlib.error as e:
            raise _BodyError(400, 3, f"the request body is not valid {coding} data ({e})"
                             ) from None
        if len(out) > limit:
            raise _BodyError(413, 8, f"Request body of {len(body)} bytes ({coding}) decompresses "
                             f"to more than {limit} bytes: it exceeds the server's message size "
                             f"limit {limit} (--max_message_bytes)")
        if not d.eof:
            raise _BodyError(400, 3, f"the {coding} request body ends before its compressed "
                             "data does")
        if d.unused_data:
            raise _BodyError(400, 3, f"{len(d.unused_data)} bytes follow the {coding} "
                             "compressed data in the request body")
        return out

    def _check_size(self, n: int):
        if n > self.max_body_bytes:
            raise _BodyError(413, 8, f"Request body of {n} bytes exceeds the server's message "
                             f"size limit {self.max_body_bytes} (--max_message_bytes)")

    @staticmethod
    def _continue(headers, send_continue):
        if send_continue is not None and "100-continue" in headers.get("Expect", "").lower():
            send_continue()

    def _chunked(self, rfile) -> bytes:
        """A chunked body (RFC 9112 7.1): hex size lines (extensions ignored), each chunk and
        its CRLF, a 0 size, then trailer lines (ignored) up to an empty line. The total is
        checked before each chunk is read, so an oversized body is refused unread (413)."""
        parts, total = [], 0
        while True:
            line = rfile.readline(1026)
            size_text = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not size_text or \
                    any(c not in b"0123456789abcdefABCDEF" for c in size_text):
                raise _BodyError(400, 3, f"invalid chunk size line {line[:40]!r} after "
                                 f"{total} body bytes")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            self._check_size(total)
            chunk = rfile.read(size)
            if len(chunk) != size or rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _BodyError(400, 3, f"chunked request body ended inside a {size}-byte "
                                 "chunk")
            parts.append(chunk)
        for _ in range(100):  # the trailer section
            line = rfile.readline(8194)
            if line in (b"\r\n", b"\n"):
                return b"".join(parts)
            if not line.endswith(b"\n"):
                break
        raise _BodyError(400, 3, "chunked request body has no end (after the last chunk)")

    def _resolve(self, info, name, version=None, label=None):
        info.model = name
        entry = self.plane.resolve(name, version, label)
        info.version = entry.version
        return entry

    # -- TF Serving ---------------------------------------------------------------------------
    @staticmethod
    def _spec(name, version, label):
        """ParseModelInfo: the model name and label URL-decoded, the version an int64."""
        if version is not None:
            version = version_number(version)
        return unquote(name), version, None if label is None else unquote(label)

    @staticmethod
    def _document(body: bytes) -> dict:
        """TF Serving's ParseJson: an object, NaN and Infinity allowed."""
        if not body.strip():
            raise InvalidArgumentError(None, None, "JSON Parse error: The document is empty")
        try:
            doc = rest_json.parse_body(body)
        except UnicodeDecodeError as e:
            raise InvalidArgumentError(None, None, "JSON Parse error: Invalid encoding in "
                                       f"string. at offset: {e.start}") from None
        except json.JSONDecodeError as e:
            raise InvalidArgumentError(None, None, f"JSON Parse error: {e.msg} at offset: "
                                       f"{e.pos}") from None
        except RecursionError:
            raise InvalidArgumentError(None, None, "JSON Parse error: the document is nested "
                                       "too deeply") from None
        except ValueError as e:  # NumberTooBigError (rapidjson's words)
            raise InvalidArgumentError(None, None, f"JSON Parse error: {e}") from None
        if not isinstance(doc, dict):
            raise InvalidArgumentError(None, None, f"JSON Value: {rest_json.json_text(doc)} "
                                       "Is not object")
        if "signature_name" in doc and not isinstance(doc["signature_name"], str):  # null too
            raise InvalidArgumentError(None, None, f"JSON Value: {rest_json.json_text(doc)} not "
                                       "formatted correctly. 'signature_name' key must be a "
                                       "string value.")
        return doc

    def _predict(self, info, name, version, label, read):
        name, version, label = self._spec(name, version, label)
        info.model = name  # a request refused before resolving counts under its model
        doc = self._document(read())
        signature = doc.get("signature_name") or DEFAULT_SIGNATURE
        entry = self._resolve(info, name, version, label)
        runner = entry.servable.signatures.get(signature)  # GetInfoMap: no fallback
        if runner is None:
            raise InvalidArgumentError(None, None, f'Serving signature name: "{signature}" not '
                                       "found in signature def")
        infos = runner.signature.inputs
        if not infos:
            raise InvalidArgumentError(None, None, "Failed to get input map for signature: "
                                       f"{doc.get('signature_name') or 'DEFAULT'}")
        text = rest_json.json_text
        if "instances" in doc:
            if "inputs" in doc:
                raise InvalidArgumentError(None, None, f"JSON Value: {text(doc)} Not formatted "
                                           "correctly expecting only one of 'inputs' or "
                                           "'instances' keys to exist ")
            instances = doc["instances"]
            if not isinstance(instances, list):
                raise InvalidArgumentError(None, None, f"JSON Value: {text(doc)} Excepting "
                                           "'instances' to be an list/array")
            if not instances:
                raise InvalidArgumentError(None, None, f"JSON Value: {text(doc)} No values in "
                                           "'instances' array")
            row, inputs = True, rest_json.instances_to_inputs(instances, infos)
        elif "inputs" in doc:
            row, inputs = False, rest_json.columnar_to_inputs(doc["inputs"], infos)
        else:
            raise InvalidArgumentError(None, None, "Missing 'inputs' or 'instances' key")
        prediction = self.plane.predict(entry, runner.name, inputs)
        return 200, rest_json.predict_json(prediction.outputs, row).encode()

    def _examples_task(self, info, name, version, label, read, outputs_of, result, fill):
        """Classify or Regress: TF Serving parses the whole request before it resolves the
        version; then the gRPC API's signature checks, run and result checks."""
        name, version, label = self._spec(name, version, label)
        info.model = name
        doc = self._document(read())
        input_proto = rest_json.examples_input(doc)
        entry = self._resolve(info, name, version, label)
        runner = inference.find_signature(entry.servable, doc.get("signature_name", ""),
                                          "No signature was found with the name: ")
        fetch = outputs_of(runner, self.check_method_names)
        examples = inference.serialized_examples(input_proto)
        prediction = self.plane.predict(entry, runner.name, {inference.INPUTS: examples}, fetch)
        fill(prediction.outputs, len(examples), result)
        return result

    def _classify(self, info, name, version, label, read):
        result = self._examples_task(info, name, version, label, read,
                                     inference.classify_outputs,
                                     classification_pb2.ClassificationResult(),
                                     inference.classification_result)
        return 200, rest_json.classification_json(result).encode()

    def _regress(self, info, name, version, label, read):
        result = self._examples_task(info, name, version, label, read,
                                     inference.regress_outputs,
                                     regression_pb2.RegressionResult(),
                                     inference.regression_result)
        return 200, rest_json.regression_json(result).encode()

    def _metadata(self, info, name, version, label):
        """GetModelMetadata's response as TF Serving's REST API prints it: protobuf JSON with
        proto field names and default values, the SignatureDefMap unpacked."""
        name, version, label = self._spec(name, version, label)
        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        request.model_spec.name = name
        if version is not None:
            request.model_spec.version.value = version
        elif label is not None:
            request.model_spec.version_label = label
        response = self.tfserving.get_model_metadata(request, None, info)
        sigmap = get_model_metadata_pb2.SignatureDefMap.FromString(
            response.metadata["signature_def"].value)
        body = {"model_spec": _proto_json(response.model_spec),
                "metadata": {"signature_def": _proto_json(sigmap)}}
        return 200, json.dumps(body, indent=1).encode()


def _content_coding(headers) -> str | None:
    """The request's Content-Encoding (a key of _DECODINGS), None for none or identity; 415
    with the codings read (Accept-Encoding, as Triton) for any other, or for several."""
    values = headers.get_all("Content-Encoding") or []
    codings = [c.strip().lower() for v in values for c in v.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in _DECODINGS:
        return codings[0]
    raise _BodyError(415, 12, f"Content-Encoding {', '.join(values)!r} is not supported: "
                     "send the body uncompressed, gzip or deflate", _ACCEPTED)


def _response_coding(accept: str | None) -> str | None:
    """The coding of a compressed answer, as Triton picks it (CompressionTypeUsed): of
    identity, gzip and deflate in Accept-Encoding, the first with the highest q; None for
    identity or none."""
    best, weight = None, 0.0
    for item in (accept or "").split(","):
        name, *params = [p.strip() for p in item.split(";")]
        q = 1.0
        for p in params:
            if p[:2].lower() == "q=":
                try:
                    q = float(p[2:])
                except ValueError:
                    q = -1.0  # malformed: skipped, as Triton skips it
        name = name.lower()
        if name in ("identity", "gzip", "deflate") and q > weight:
            best, weight = name, q
    return None if best == "identity" else best


def _compressed(response: Response, accept: str | None) -> Response:
    """A successful infer answer compressed as Accept-Encoding asks (Triton compresses those
    alone); Inference-Header-Content-Length still counts the uncompressed JSON."""
    coding = _response_coding(accept) if response.status == 200 else None
    if coding is None:
        return response
    c = zlib.compressobj(wbits=_DECODINGS[coding])
    return response._replace(body=c.compress(response.body) + c.flush(),
                             headers=response.headers + (("Content-Encoding", coding),))


def _proto_json(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


__all__ = ["RestApi", "Response", "TFSERVING_HTTP", "KSERVE_HTTP"]
