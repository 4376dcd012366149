"""KServe v2 / Open Inference Protocol over REST, as Triton's HTTP endpoint serves it.

JSON tensors are ``{"name", "datatype", "shape", "data"}`` with ``data`` flat or nested in
row-major order, BYTES as strings; the binary tensor extension carries raw little-endian
values after the JSON header (Inference-Header-Content-Length). Errors are worded as Triton
words them. The handlers are a mixin of ``rest.RestApi``: metadata, config and statistics
are the gRPC servicer's answers (serving/services/kserve.py) printed as Triton prints them.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import unquote

import numpy as np
from google.protobuf import descriptor as _descriptor
from google.protobuf import json_format

from minitf.errors import UnimplementedError
from minitf.protos import grpc_service_pb2

from .model_control import ModelControl, check_load_parameter
from .rest_json import _bad, json_type, parse_body
from .services.kserve import (_RAW_NUMBERS, DATATYPES, _decode_raw, _output_as_sent,
                              _parse_version, _timeout_seconds, classify, encode_bytes,
                              output_parameters, reshape_input)
from .shared_memory import tensor_span
from .services.kserve_repository import check_repository

HEADER_LENGTH = "Inference-Header-Content-Length"
_INT64_MAX = 2**63 - 1
_KINDS = {"BYTES": "strings", "BOOL": "true/false", "FP32": "numbers", "FP64": "numbers"}
_FD = _descriptor.FieldDescriptor
_WIDE_INTS = (_FD.TYPE_INT64, _FD.TYPE_UINT64, _FD.TYPE_SINT64, _FD.TYPE_FIXED64,
              _FD.TYPE_SFIXED64)
# Triton's repo_regex_ (http_server.cc): an optional repository name, then the action.
REPOSITORY_PATH = re.compile(r"/v2/repository(?:/([^/]+))?/(index|models/([^/]+)/(load|unload))")
API_REPOSITORY = {"index": "rest.v2.repository_index", "load": "rest.v2.repository_load",
                  "unload": "rest.v2.repository_unload"}


# -- JSON tensors ---------------------------------------------------------------------------------
def _flatten(data) -> list:
    if not isinstance(data, list):
        return [data]
    if not any(isinstance(x, list) for x in data):
        return data
    flat = []
    for x in data:
        flat.extend(_flatten(x))
    return flat


def _header(t, kind) -> tuple[str, list, str, int]:
    """A JSON tensor's name, shape, datatype and element count, checked (the count exactly:
    a shape whose count does not fit int64 is refused, as the gRPC API refuses it)."""
    if not isinstance(t, dict):
        raise _bad(f"{kind} must be a JSON object, got {json_type(t)}")
    name = t.get("name")
    if not isinstance(name, str):
        raise _bad(f"{kind} has no 'name' string")
    for key in ("shape", "datatype"):
        if key not in t:
            raise _bad(f"{kind} '{name}' is missing '{key}'")
    shape, datatype = t["shape"], t["datatype"]
    if not isinstance(shape, list) or not all(type(d) is int and 0 <= d <= _INT64_MAX
                                              for d in shape):
        raise _bad(f"{kind} '{name}': 'shape' must be a list of non-negative int64 integers, "
                   f"got {json.dumps(shape)}")
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise _bad(f"{kind} '{name}': unsupported datatype {datatype!r} (expected one of "
                   f"{sorted(DATATYPES)})")
    n = math.prod(shape)
    if n > _INT64_MAX:
        raise _bad(f"{kind} '{name}': shape {shape} has {n} elements, more than int64 can count")
    return name, shape, datatype, n


def kserve_binary_tensor(t, data: bytes) -> tuple[str, np.ndarray]:
    """An input of the binary tensor extension (or in shared memory): its values are ``data``
    (raw little-endian, BYTES as 4-byte-length-prefixed elements, as in gRPC's
    raw_input_contents)."""
    name, shape, datatype, n = _header(t, "input")
    if "data" in t:
        raise _bad(f"input '{name}' has both 'data' and 'binary_data_size'")
    dtype = _RAW_NUMBERS.get(datatype)
    if dtype is not None and len(data) == dtype.itemsize * n:
        return name, reshape_input(name, np.frombuffer(data, dtype=dtype), shape)
    return name, _decode_raw(name, datatype, tuple(shape), data)  # BYTES, or names the error


def kserve_tensor(t, kind="input") -> tuple[str, np.ndarray]:
    """One JSON input tensor of an infer request -> (name, array)."""
    name, shape, datatype, n = _header(t, kind)
    if "data" not in t:
        raise _bad(f"{kind} '{name}' is missing 'data'")
    if datatype == "FP16":  # as Triton
        raise _bad(f"receiving FP16 data via JSON is not supported. Please use the binary data "
                   f"format for input {name}")
    flat = _flatten(t["data"])
    if len(flat) != n:
        raise _bad(f"Unable to parse 'data': Shape does not match true shape of 'data' field "
                   f"({kind} '{name}': shape {shape} has {n} elements, 'data' {len(flat)})")
    np_type = DATATYPES[datatype][0]
    if datatype == "BYTES":
        ok = all(isinstance(v, str) for v in flat)
    elif datatype == "BOOL":
        ok = all(type(v) is bool for v in flat)
    elif np.dtype(np_type).kind == "f":
        ok = all(type(v) in (int, float) for v in flat)
    else:
        info = np.iinfo(np_type)
        ok = all(type(v) is int and info.min <= v <= info.max for v in flat)
    if not ok:
        raise _bad(f"Unable to parse 'data': {kind} '{name}' holds a value that is not "
                   f"{datatype} (expected {_KINDS.get(datatype, 'integers in range')})")
    if datatype == "BYTES":
        values = np.empty(len(flat), dtype=object)
        values[:] = [v.encode("utf-8", "surrogatepass") for v in flat]
    else:
        values = np.array(flat, dtype=np_type)
    return name, reshape_input(name, values, shape)


def kserve_output(name: str, value: np.ndarray, binary: bool = False) -> tuple[dict, bytes]:
    """An output as JSON ({"name", "datatype", "shape", "data"}), or with ``binary`` as the
    binary extension sends it: the JSON without "data" (its size in "parameters") and the
    raw bytes to append. The shape is the output's own (a 0-d output is [], as ModelInfer
    reports it, though the little-endian copy numpy makes of it is 1-d)."""
    value = np.asarray(value)
    shape = list(value.shape)
    datatype, value = _output_as_sent(name, value)
    out = {"name": name, "datatype": datatype, "shape": shape}
    if binary:
        raw = encode_bytes(value) if datatype == "BYTES" else value.tobytes()
        out["parameters"] = {"binary_data_size": len(raw)}
        return out, raw
    if datatype == "BYTES":
        data = []
        for v in value.reshape(-1).tolist():
            b = v if isinstance(v, bytes) else str(v).encode()
            try:
                data.append(b.decode("utf-8"))
            except UnicodeDecodeError:
                raise UnimplementedError(None, None, f"output '{name}' holds bytes that are not "
                                         "UTF-8, which a JSON string cannot carry (ask for it "
                                         "with binary_data)") from None
    else:
        data = value.reshape(-1).tolist()
    out["data"] = data
    return out, b""


# -- request parts ------------------------------------------------------------------------------
def split_binary(body: bytes, header_length) -> tuple[bytes, bytes]:
    """The JSON part and the binary part of a request body (Inference-Header-Content-Length
    says where the JSON ends; without it, the whole body is JSON)."""
    if header_length is None:
        return body, b""
    text = header_length.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > len(body):
        raise _bad(f"Unable to parse {HEADER_LENGTH}, got: {header_length} (the body has "
                   f"{len(body)} bytes)")
    n = int(text)
    return body[:n], body[n:]


def binary_size(t) -> int | None:
    if not isinstance(t, dict):
        return None
    size = parameters(t, f"input '{t.get('name')}'").get("binary_data_size")
    if size is not None and (type(size) is not int or size < 0):
        raise _bad(f"input '{t.get('name')}': binary_data_size must be a non-negative integer, "
                   f"got {json.dumps(size)}")
    return size


def parameters(obj: dict, kind: str) -> dict:
    params = obj.get("parameters", {})
    if not isinstance(params, dict):
        raise _bad(f"{kind} 'parameters' must be a JSON object")
    return params


def triton_json(message) -> dict:
    """A message as Triton's HTTP endpoint prints it: protobuf JSON with proto field names and
    every field, but 64-bit integers as JSON numbers (Triton's ModelConfigToJson fixes them up;
    its statistics are written as numbers), not the strings protobuf's mapping gives."""
    return _numbers(message.DESCRIPTOR, json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True))


def _numbers(desc, obj):
    for field in desc.fields:
        if field.name not in obj:
            continue
        value = obj[field.name]
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            for k, v in value.items():
                value[k] = _field_value(value_field, v)
        elif _repeated(field):
            obj[field.name] = [_field_value(field, v) for v in value]
        else:
            obj[field.name] = _field_value(field, value)
    return obj


def _repeated(field) -> bool:
    if hasattr(field, "is_repeated"):  # protobuf >= 6 (``label`` is deprecated there)
        return field.is_repeated
    return field.label == _FD.LABEL_REPEATED


def _field_value(field, value):
    if field.type in _WIDE_INTS and isinstance(value, str):
        return int(value)
    if field.message_type is not None and isinstance(value, dict) and \
            not field.message_type.full_name.startswith("google.protobuf."):
        return _numbers(field.message_type, value)
    return value


# -- handlers ---------------------------------------------------------------------------------
def _json_object(body: bytes, what: str) -> dict:
    """A request body that may be empty (all defaults) or a JSON object."""
    if not body.strip():
        return {}
    try:
        doc = parse_body(body)
    except (ValueError, RecursionError) as e:  # bad UTF-8 or JSON, or a number too big
        raise _bad(f"failed to parse the {what} request JSON buffer: {e}") from None
    if not isinstance(doc, dict):
        raise _bad(f"the {what} request body must be a JSON object, got {json_type(doc)}")
    return doc


def _index_json(entry) -> dict:
    """An index entry as Triton's TRITONSERVER_ServerModelIndex writes it: the name alone
    for a model never loaded; else the version (when there is one), the state and any
    reason."""
    out = {"name": entry.name}
    if entry.state is not None:
        if entry.version is not None:
            out["version"] = str(entry.version)
        out["state"] = entry.state
        if entry.reason:
            out["reason"] = entry.reason
    return out


class KServeHandlers:
    """The /v2 handlers of ``RestApi``; each is ``fn(info, ...) -> (status, body[, ...])``.

    Triton's model repository extension (POST v2/repository/index and
    v2/repository/models/<name>/load|unload) comes to ``_repository`` (REPOSITORY_PATH)."""

    def _repository(self, method, m, headers, rfile, send_continue):
        from .rest import KSERVE_HTTP, Response, _error_body  # rest imports this module
        repository, action, name, verb = m.groups()
        if method != "POST":  # as Triton: the repository API is POST only
            return Response(405, _error_body("Method Not Allowed"), headers=(("Allow", "POST"),))
        api = API_REPOSITORY[verb or action]

        def read():
            return self._body(headers, rfile, send_continue)
        if action == "index":
            return self._run(api, KSERVE_HTTP, self._repository_index, repository, read)
        return self._run(api, KSERVE_HTTP, self._repository_control, repository,
                         unquote(name), verb, read)

    def _repository_index(self, info, repository, read):
        """POST v2/repository/index {"ready": bool} -> [{"name", "version", "state",
        "reason"}, ...]"""
        doc = _json_object(read(), "index")
        ready = doc.get("ready", False)
        if not isinstance(ready, bool):
            raise _bad(f"Unable to parse 'ready': expected a boolean, got {json_type(ready)}")
        check_repository(unquote(repository or ""))
        entries = ModelControl(self.plane.repository).index(ready)
        return 200, json.dumps([_index_json(e) for e in entries]).encode()

    def _repository_control(self, info, repository, name, verb, read):
        """POST v2/repository/models/<name>/load|unload {"parameters": {...}}: 200 and no
        body once done; the error as {"error": ...} otherwise."""
        doc = _json_object(read(), verb)
        info.model = name
        check_repository(unquote(repository or ""))
        params = parameters(doc, f"{verb} request")
        control = ModelControl(self.plane.repository)
        if verb == "load":
            for key, value in params.items():  # as Triton: every load parameter is a string
                if not isinstance(value, str):
                    raise _bad(f"Unable to parse load parameter '{key}': expected a string, "
                               f"got {json_type(value)}")
                check_load_parameter(key)
            control.load(name)
        else:
            dependents = params.get("unload_dependents", False)
            if not isinstance(dependents, bool):  # no ensembles here: nothing depends
                raise _bad("Unable to parse 'unload_dependents': expected a boolean, got "
                           f"{json_type(dependents)}")
            control.unload(name)
        return 200, b""

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

    def _model_config(self, info, name, version):
        """GET v2/models/<m>[/versions/<v>]/config: ModelConfig's answer, the ModelConfig
        message itself as JSON (Triton's HTTP endpoint sends the config unwrapped)."""
        request = grpc_service_pb2.ModelConfigRequest(name=unquote(name), version=version or "")
        response = self.kserve.model_config(request, None, info)
        return 200, json.dumps(triton_json(response.config)).encode()

    def _model_statistics(self, info, name=None, version=None):
        """GET v2/models[/<m>[/versions/<v>]]/stats: {"model_stats": [...]}, all models
        without a name."""
        request = grpc_service_pb2.ModelStatisticsRequest(name=unquote(name or ""),
                                                          version=version or "")
        info.model = request.name or None
        response = self.kserve.model_statistics(request, None, info)
        for ms in response.model_stats:  # Triton writes every duration, zeros included
            for field in ms.inference_stats.DESCRIPTOR.fields:
                getattr(ms.inference_stats, field.name).SetInParent()
        return 200, json.dumps(triton_json(response)).encode()

    def _infer(self, info, name, version, read, headers):
        info.model = unquote(name)  # counted under the model even when the body is refused
        body = read()
        entry = self.kserve.resolve(info, unquote(name), _parse_version(version or ""))
        body, binary = split_binary(body, headers.get(HEADER_LENGTH))
        try:
            doc = parse_body(body) if body.strip() else None
        except (ValueError, RecursionError) as e:  # bad UTF-8 or JSON, or a number too big
            raise _bad(f"failed to parse the request JSON buffer: {e}") from None
        if not isinstance(doc, dict):
            raise _bad("the request body must be a JSON object with 'inputs'")
        request_id = doc.get("id", "")
        if not isinstance(request_id, str):  # the protocol's "id" is a string
            raise _bad(f"Unable to parse 'id': expected a string, got {json.dumps(request_id)}")
        tensors = doc.get("inputs")
        if not isinstance(tensors, list) or not tensors:
            raise _bad("'inputs' must be a non-empty list of tensors")
        inputs, offset = {}, 0
        for t in tensors:
            size = binary_size(t)
            span = tensor_span("input", t.get("name"), t.get("parameters", {})) \
                if isinstance(t, dict) else None
            if span is not None and (size is not None or "data" in t):
                raise _bad("Input must set only one of the following fields: 'data', "
                           "'binary_data_size' in 'parameters', 'shared_memory_region' in "
                           "'parameters'")
            if span is not None:  # Triton's system shared memory: read like binary data
                tensor_name, value = kserve_binary_tensor(t, self.plane.shared_memory.read(
                    span))
            elif size is None:
                tensor_name, value = kserve_tensor(t)
            else:  # the binary tensor extension: the next ``size`` bytes after the JSON
                if offset + size > len(binary):
                    raise _bad(f"input '{t.get('name')}': binary_data_size {size} goes past the "
                               f"{len(binary)} bytes after the JSON header")
                tensor_name, value = kserve_binary_tensor(t, binary[offset:offset + size])
                offset += size
            if tensor_name in inputs:
                raise _bad(f"input '{tensor_name}' is given twice")
            inputs[tensor_name] = value
        if offset != len(binary):
            raise _bad(f"{len(binary) - offset} bytes after the JSON header belong to no "
                       "input's binary_data_size")
        requested = doc.get("outputs") or []
        if not isinstance(requested, list) or not all(
                isinstance(o, dict) and isinstance(o.get("name"), str) for o in requested):
            raise _bad("'outputs' must be a list of objects with a 'name'")
        params = parameters(doc, "request")
        all_binary = params.get("binary_data_output", False)
        binary_out, classes, spans = {}, {}, {}
        for o in requested:
            own = parameters(o, f"output '{o['name']}'")
            binary_out[o["name"]] = own.get("binary_data", all_binary)
            if own.get("classification") == 0 and type(own["classification"]) is int:
                own = {k: v for k, v in own.items() if k != "classification"}  # Triton: none
            count, span = output_parameters(o["name"], own)
            if count is not None:
                classes[o["name"]] = count
            if span is not None:
                if "binary_data" in own:
                    raise _bad("Output can't set both 'shared_memory_region' and "
                               "'binary_data'")
                spans[o["name"]] = span
        leases = {}
        try:  # the regions named now are the ones written, whatever happens to the names
            for name, span in spans.items():
                leases[name] = self.plane.shared_memory.lease(span)
            return self._run_infer(entry, request_id, params, requested, inputs, classes,
                                   leases, binary_out, all_binary)
        finally:
            for lease in leases.values():
                lease.release()

    def _run_infer(self, entry, request_id, params, requested, inputs, classes, leases,
                   binary_out, all_binary):
        deadline, timeout = None, params.get("timeout")
        if timeout is not None:
            if type(timeout) is not int:
                raise _bad("invalid value type for 'timeout' parameter, expected int64_param")
            if not -_INT64_MAX - 1 <= timeout <= _INT64_MAX:
                raise _bad(f"invalid value for 'timeout' parameter: {timeout} is out of range "
                           "for int64_param")
            seconds = _timeout_seconds(grpc_service_pb2.InferParameter(int64_param=timeout))
            deadline = None if seconds is None else self.clock() + seconds
        signature = params.get("signature_name")
        if signature is not None and not isinstance(signature, str):
            raise _bad("'signature_name' parameter must be a string")
        outputs = [o["name"] for o in requested]
        prediction = self.plane.predict(entry, signature, inputs, outputs, deadline)
        values = prediction.outputs
        response = {"model_name": entry.name, "model_version": str(entry.version)}
        if request_id:
            response["id"] = request_id
        batched = prediction.signature in entry.batchers
        encoded = []
        for a in outputs or sorted(values):
            value = classify(a, values[a], classes[a], batched) if a in classes else values[a]
            if a in leases:  # written to the client's region; the JSON has no data, as Triton
                out, raw = kserve_output(a, value, binary=True)
                leases[a].write(raw, f"output '{a}'")
                del out["parameters"]
                encoded.append((out, b""))
            else:
                encoded.append(kserve_output(a, value, binary_out.get(a, all_binary) is True))
        response["outputs"] = [o for o, _ in encoded]
        header = json.dumps(response).encode()
        raw = b"".join(r for _, r in encoded)
        if not any("parameters" in o for o, _ in encoded):
            return 200, header
        # Triton's layout: the JSON, then each binary output's bytes in order.
        return 200, header + raw, "application/octet-stream", ((HEADER_LENGTH, str(len(header))),)


__all__ = ["KServeHandlers", "kserve_tensor", "kserve_binary_tensor", "kserve_output",
           "triton_json", "HEADER_LENGTH"]
