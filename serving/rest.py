"""The REST APIs on the HTTP port: TensorFlow Serving's (/v1/models/...) and KServe v2's
(/v2/...), as thin translators onto the DataPlane the gRPC APIs use.

A request runs on the HTTP server's thread: JSON is decoded (rest_json.py), the version
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
import time
from typing import NamedTuple
from urllib.parse import unquote

from google.protobuf import json_format

from minitf.errors import InvalidArgumentError, OpError, UnimplementedError
from minitf.protos import (classification_pb2, get_model_metadata_pb2, grpc_service_pb2,
                           regression_pb2)

from . import rest_json
from .dataplane import DataPlane
from .servable import DEFAULT_SIGNATURE
from .services import inference
from .services.common import RequestInfo, _truncate, status_code
from .services.kserve import InferenceService, _parse_version, _timeout_seconds
from .services.tfserving import PredictionService

log = logging.getLogger("minitf.serving")

API_PREDICT, API_CLASSIFY, API_REGRESS = "rest.predict", "rest.classify", "rest.regress"
API_METADATA = "rest.metadata"
API_INFER, API_V2_METADATA = "rest.v2.infer", "rest.v2.model_metadata"
API_V2_READY, API_V2_SERVER = "rest.v2.model_ready", "rest.v2.server_metadata"
INFERENCE_APIS = (API_PREDICT, API_CLASSIFY, API_REGRESS, API_INFER)
JSON_TYPE = "application/json"

_VERSION = r"(?:/versions/(\d+)|/labels/([^/:]+))?"
_TFS_POST = re.compile(r"/v1/models/([^/:]+)" + _VERSION + r":(classify|regress|predict)", re.I)
_TFS_METADATA = re.compile(r"/v1/models/([^/:]+)" + _VERSION + r"/metadata", re.I)
_V2_MODEL = re.compile(r"/v2/models/([^/]+)(?:/versions/([^/]+))?(?:/(infer|ready))?")

# TF Serving's ToHTTPStatusCode (model_servers/http_server.cc), by canonical code.
TFSERVING_HTTP = {1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400,
                  10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401}
# Triton's HttpCodeFromError: INTERNAL 500, NOT_FOUND 404, UNAVAILABLE 503, UNSUPPORTED 501,
# everything else 400. (Triton has no RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED: a full queue
# and an expired timeout are UNAVAILABLE there.)
KSERVE_HTTP = {13: 500, 15: 500, 5: 404, 14: 503, 8: 503, 4: 503, 12: 501}


class Response(NamedTuple):
    status: int
    body: bytes
    close: bool = False  # the request body was not read: the connection cannot be reused
    content_type: str = JSON_TYPE
    headers: tuple = ()  # more (name, value) pairs


class _BodyError(OpError):
    """The request body could not be read (HTTP status of its own: 411, 413, 400)."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(None, None, message, code)
        self.status = status


def _error_body(message: str) -> bytes:
    return json.dumps({"error": _truncate(message)}).encode()


class RestApi:
    """Routes a request to TF Serving's or KServe's REST handlers; ``handle`` returns None
    for a path neither serves (the HTTP server then answers as before)."""

    def __init__(self, plane: DataPlane, metrics=None, max_body_bytes: int = 2**31 - 1,
                 clock=time.monotonic, check_method_names: bool = False):
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
                                         API_V2_SERVER):
                self._record[api] = (metrics.recorder(api, api in INFERENCE_APIS),
                                     metrics.inflight.labels(api))

    # -- routing ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers, rfile, send_continue=None
               ) -> Response | None:
        """``send_continue()`` answers "Expect: 100-continue" (curl asks it before a body over
        1 KiB, and waits a second without it) once the body's size is known to be acceptable."""
        path = path.split("?", 1)[0]
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
                return Response(400, _error_body(f"Malformed request: POST {path}"), True)
            m = _V2_MODEL.fullmatch(path)
            if m is not None and m.group(3) == "infer":
                return self._run(API_INFER, KSERVE_HTTP, self._infer, m.group(1), m.group(2),
                                 lambda: self._body(headers, rfile, send_continue), headers)
            return None
        if method != "GET":
            return None
        m = _TFS_METADATA.fullmatch(path)
        if m is not None:
            return self._run(API_METADATA, TFSERVING_HTTP, self._metadata, *m.groups())
        if path in ("/v2", "/v2/"):
            return self._run(API_V2_SERVER, KSERVE_HTTP, self._server_metadata)
        m = _V2_MODEL.fullmatch(path)
        if m is not None and m.group(3) != "infer":
            if m.group(3) == "ready":
                return self._run(API_V2_READY, KSERVE_HTTP, self._model_ready, m.group(1),
                                 m.group(2))
            return self._run(API_V2_METADATA, KSERVE_HTTP, self._model_metadata, m.group(1),
                             m.group(2))
        return None

    def _run(self, api: str, http_status: dict, fn, *args) -> Response:
        """Calls ``fn(info, *args)`` -> (status, body); counts the request in ``api``'s metrics
        and maps an OpError to its HTTP status and {"error": message}."""
        record, inflight = self._record.get(api, (None, None))
        start, info, close = self.clock(), RequestInfo(), False
        if inflight is not None:
            inflight.inc()
        extra = ()
        try:
            status, body, *extra = fn(info, *args)  # a 400 here: a model that is not ready
            code = "OK"
        except OpError as e:
            code = status_code(e).name
            status = e.status if isinstance(e, _BodyError) else http_status.get(e.error_code, 400)
            body, close = _error_body(e.message), isinstance(e, _BodyError)
        except Exception as e:  # noqa: BLE001 - reported to the client as INTERNAL
            log.exception("REST %s failed", api)
            code, status, body = "INTERNAL", 500, _error_body(f"{type(e).__name__}: {e}")
        finally:
            if inflight is not None:
                inflight.dec()
        if record is not None:
            record(info.model, info.version, code, self.clock() - start)
        return Response(status, body, close, *extra)

    def _body(self, headers, rfile, send_continue=None) -> bytes:
        """The request body: Content-Length must be given and valid, and within the server's
        message size limit (--max_message_bytes, as for gRPC)."""
        if headers.get("Transfer-Encoding"):
            raise _BodyError(411, 3, "chunked request bodies are not supported: send "
                             "Content-Length")
        length = headers.get("Content-Length")
        if length is None:
            raise _BodyError(411, 3, "Content-Length is required")
        length = length.strip()
        if not (length.isascii() and length.isdigit()):
            raise _BodyError(400, 3, f"invalid Content-Length: {length!r}")
        n = int(length)
        if n > self.max_body_bytes:
            raise _BodyError(413, 8, f"Request body of {n} bytes exceeds the server's message "
                             f"size limit {self.max_body_bytes} (--max_message_bytes)")
        if send_continue is not None and "100-continue" in headers.get("Expect", "").lower():
            send_continue()
        body = rfile.read(n) if n else b""
        if len(body) != n:
            raise _BodyError(400, 3, f"request body ended after {len(body)} of {n} bytes")
        return body

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
            if int(version) >= 1 << 63:
                raise InvalidArgumentError(None, None, f"Failed to convert version: {version} "
                                           "to numeric.")
            version = int(version)
        return unquote(name), version, None if label is None else unquote(label)

    @staticmethod
    def _document(body: bytes) -> dict:
        """TF Serving's ParseJson: an object, NaN and Infinity allowed."""
        if not body.strip():
            raise InvalidArgumentError(None, None, "JSON Parse error: The document is empty")
        try:
            doc = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise InvalidArgumentError(None, None, "JSON Parse error: Invalid encoding in "
                                       f"string. at offset: {e.start}") from None
        except json.JSONDecodeError as e:
            raise InvalidArgumentError(None, None, f"JSON Parse error: {e.msg} at offset: "
                                       f"{e.pos}") from None
        except RecursionError:
            raise InvalidArgumentError(None, None, "JSON Parse error: the document is nested "
                                       "too deeply") from None
        if not isinstance(doc, dict):
            raise InvalidArgumentError(None, None, f"JSON Value: {rest_json.json_text(doc)} "
                                       "Is not object")
        signature = doc.get("signature_name")
        if signature is not None and not isinstance(signature, str):
            raise InvalidArgumentError(None, None, f"JSON Value: {rest_json.json_text(doc)} not "
                                       "formatted correctly. 'signature_name' key must be a "
                                       "string value.")
        return doc

    def _predict(self, info, name, version, label, read):
        name, version, label = self._spec(name, version, label)
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

    # -- KServe v2 ----------------------------------------------------------------------------
    def _server_metadata(self, info):
        response = self.kserve.server_metadata(grpc_service_pb2.ServerMetadataRequest(), None,
                                               info)
        return 200, json.dumps({"name": response.name, "version": response.version,
                                "extensions": list(response.extensions)}).encode()

    def _model_metadata(self, info, name, version):
        request = grpc_service_pb2.ModelMetadataRequest(name=unquote(name), version=version or "")
        r = self.kserve.model_metadata(request, None, info)

        def tensors(items):
            return [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)}
                    for t in items]
        return 200, json.dumps({"name": r.name, "versions": list(r.versions),
                                "platform": r.platform, "inputs": tensors(r.inputs),
                                "outputs": tensors(r.outputs)}).encode()

    def _model_ready(self, info, name, version):
        """Triton's answer: 200 when ready, 400 otherwise, no body."""
        info.model = name = unquote(name)
        ready = self.plane.model_ready(name, _parse_version(version or ""))
        return (200, b"") if ready else (400, b"")

    def _infer(self, info, name, version, read, headers):
        body = read()
        entry = self._resolve(info, unquote(name), _parse_version(version or ""))
        body, binary = _split_binary(body, headers.get(HEADER_LENGTH))
        try:
            doc = json.loads(body.decode("utf-8")) if body.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise InvalidArgumentError(None, None, "failed to parse the request JSON buffer: "
                                       f"{e}") from None
        if not isinstance(doc, dict):
            raise InvalidArgumentError(None, None, "the request body must be a JSON object "
                                       "with 'inputs'")
        tensors = doc.get("inputs")
        if not isinstance(tensors, list) or not tensors:
            raise InvalidArgumentError(None, None, "'inputs' must be a non-empty list of "
                                       "tensors")
        inputs, offset = {}, 0
        for t in tensors:
            size = _binary_size(t)
            if size is None:
                tensor_name, value = rest_json.kserve_tensor(t)
            else:  # the binary tensor extension: the next ``size`` bytes after the JSON
                if offset + size > len(binary):
                    raise InvalidArgumentError(None, None, f"input '{t.get('name')}': "
                                               f"binary_data_size {size} goes past the "
                                               f"{len(binary)} bytes after the JSON header")
                tensor_name, value = rest_json.kserve_binary_tensor(
                    t, binary[offset:offset + size])
                offset += size
            if tensor_name in inputs:
                raise InvalidArgumentError(None, None, f"input '{tensor_name}' is given twice")
            inputs[tensor_name] = value
        if offset != len(binary):
            raise InvalidArgumentError(None, None, f"{len(binary) - offset} bytes after the JSON "
                                       "header belong to no input's binary_data_size")
        requested = doc.get("outputs") or []
        if not isinstance(requested, list) or not all(
                isinstance(o, dict) and isinstance(o.get("name"), str) for o in requested):
            raise InvalidArgumentError(None, None, "'outputs' must be a list of objects with a "
                                       "'name'")
        params = _parameters(doc, "request")
        all_binary = params.get("binary_data_output", False)
        binary_out = {o["name"]: _parameters(o, f"output '{o['name']}'").get(
            "binary_data", all_binary) for o in requested}
        for o in requested:
            _refuse_extensions(o, "output")
        deadline, timeout = None, params.get("timeout")
        if timeout is not None:
            if type(timeout) is not int:
                raise InvalidArgumentError(None, None, "invalid value type for 'timeout' "
                                           "parameter, expected int64_param")
            seconds = _timeout_seconds(grpc_service_pb2.InferParameter(int64_param=timeout))
            deadline = None if seconds is None else self.clock() + seconds
        signature = params.get("signature_name")
        if signature is not None and not isinstance(signature, str):
            raise InvalidArgumentError(None, None, "'signature_name' parameter must be a "
                                       "string")
        outputs = [o["name"] for o in requested]
        prediction = self.plane.predict(entry, signature, inputs, outputs, deadline)
        values = prediction.outputs
        response = {"model_name": entry.name, "model_version": str(entry.version)}
        if isinstance(doc.get("id"), str) and doc["id"]:
            response["id"] = doc["id"]
        encoded = [rest_json.kserve_output(a, values[a], binary_out.get(a, all_binary) is True)
                   for a in outputs or sorted(values)]
        response["outputs"] = [o for o, _ in encoded]
        header = json.dumps(response).encode()
        raw = b"".join(r for _, r in encoded)
        if not any("parameters" in o for o, _ in encoded):
            return 200, header
        # Triton's layout: the JSON, then each binary output's bytes in order.
        return 200, header + raw, "application/octet-stream", ((HEADER_LENGTH, str(len(header))),)


HEADER_LENGTH = "Inference-Header-Content-Length"


def _split_binary(body: bytes, header_length) -> tuple[bytes, bytes]:
    """The JSON part and the binary part of a request body (Inference-Header-Content-Length
    says where the JSON ends; without it, the whole body is JSON)."""
    if header_length is None:
        return body, b""
    text = header_length.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > len(body):
        raise InvalidArgumentError(None, None, f"Unable to parse {HEADER_LENGTH}, got: "
                                   f"{header_length} (the body has {len(body)} bytes)")
    n = int(text)
    return body[:n], body[n:]


def _binary_size(t) -> int | None:
    if not isinstance(t, dict):
        return None
    _refuse_extensions(t, "input")
    size = _parameters(t, f"input '{t.get('name')}'").get("binary_data_size")
    if size is not None and (type(size) is not int or size < 0):
        raise InvalidArgumentError(None, None, f"input '{t.get('name')}': binary_data_size must "
                                   f"be a non-negative integer, got {json.dumps(size)}")
    return size


def _parameters(obj: dict, kind: str) -> dict:
    params = obj.get("parameters", {})
    if not isinstance(params, dict):
        raise InvalidArgumentError(None, None, f"{kind} 'parameters' must be a JSON object")
    return params


def _refuse_extensions(t: dict, kind: str):
    """Parameters of extensions this server does not implement are refused rather than
    ignored (as the gRPC API refuses classification and shared memory)."""
    params = _parameters(t, f"{kind} '{t.get('name')}'")
    for key, extension in (("classification", "classification"),
                           ("shared_memory_region", "shared memory")):
        if key in params:
            raise UnimplementedError(None, None, f"{kind} '{t.get('name')}': parameter '{key}' "
                                     f"asks for the {extension} extension, which this server "
                                     "does not support")


def _proto_json(message) -> dict:
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


__all__ = ["RestApi", "Response", "TFSERVING_HTTP", "KSERVE_HTTP"]
