"""KServe v2 / Open Inference Protocol (inference.GRPCInferenceService), as Triton serves it:
typed ``contents`` or ``raw_input_contents`` in, ``raw_output_contents`` out, plus
ModelConfig and ModelStatistics so stock Triton tooling works."""

from __future__ import annotations

import math
import struct
import time

import numpy as np

import minitf
from minitf import dtypes as _dt
from minitf.errors import InvalidArgumentError, NotFoundError, UnimplementedError
from minitf.export.tensors import little_endian
from minitf.protos import grpc_service_pb2 as pb
from minitf.protos import model_config_pb2

from ..dataplane import DataPlane
from ..shared_memory import tensor_span
from .common import deadline_of, off_loop, on_loop, payload_bytes, unary

API_INFER = "kserve.ModelInfer"

# datatype string -> (numpy dtype, typed contents field, DType)
DATATYPES = {
    "BOOL": (np.bool_, "bool_contents", _dt.bool),
    "UINT8": (np.uint8, "uint_contents", _dt.uint8),
    "UINT16": (np.uint16, "uint_contents", _dt.uint16),
    "UINT32": (np.uint32, "uint_contents", _dt.uint32),
    "UINT64": (np.uint64, "uint64_contents", _dt.uint64),
    "INT8": (np.int8, "int_contents", _dt.int8),
    "INT16": (np.int16, "int_contents", _dt.int16),
    "INT32": (np.int32, "int_contents", _dt.int32),
    "INT64": (np.int64, "int64_contents", _dt.int64),
    "FP16": (np.float16, None, _dt.float16),  # raw only, per the protocol
    "FP32": (np.float32, "fp32_contents", _dt.float32),
    "FP64": (np.float64, "fp64_contents", _dt.float64),
    "BYTES": (object, "bytes_contents", _dt.string),
}
_DATATYPE_OF = {d[2]: name for name, d in DATATYPES.items()}
# datatype string -> little-endian numpy dtype of its raw form (None: BYTES)
_RAW_DTYPES = {name: None if d[0] is object else np.dtype(d[0]).newbyteorder("<")
               for name, d in DATATYPES.items()}
_RAW_NUMBERS = {name: d for name, d in _RAW_DTYPES.items() if d is not None}
# numpy dtype of an output -> datatype (others, BYTES included, take the slow path)
_DATATYPE_OF_NUMPY = {np.dtype(d[0]): name for name, d in DATATYPES.items() if d[0] is not object}
_UNKNOWN = object()
_CONFIG_TYPE = {name: getattr(model_config_pb2, "TYPE_" + ("STRING" if name == "BYTES"
                                                          else name)) for name in DATATYPES}


def datatype_of(dtype: _dt.DType) -> str:
    return _DATATYPE_OF[dtype]


_MAX_DIMS = 64  # numpy's limit on an array's dimensions


def reshape_input(name: str, values: np.ndarray, shape) -> np.ndarray:
    """``values`` (flat, already of the shape's element count) in ``shape``; INVALID_ARGUMENT
    naming why for a shape numpy cannot represent (the REST API's inputs come here too)."""
    try:
        return values.reshape(shape)
    except ValueError:
        pass
    if len(shape) > _MAX_DIMS:
        why = f"it has {len(shape)} dimensions, more than the {_MAX_DIMS} supported"
    else:  # no elements, yet the other dimensions multiply past what numpy can address
        why = (f"its element count overflows (the dimensions other than 0 multiply to "
               f"{math.prod(d for d in shape if d)} elements of {values.itemsize} bytes, "
               "more than an array can address)")
    raise InvalidArgumentError(None, None, f"input '{name}': cannot make a tensor of shape "
                               f"{list(shape)}: {why}")


def _elements(shape) -> int:
    n = 1
    for d in shape:
        if d < 0:
            raise InvalidArgumentError(None, None, f"invalid shape {list(shape)}")
        n *= d
    return n


def decode_bytes(raw: bytes, n: int, what: str) -> np.ndarray:
    """BYTES in raw form: each element is a 4-byte little-endian length and the bytes."""
    out, pos = [], 0
    for _ in range(n):
        if pos + 4 > len(raw):
            raise InvalidArgumentError(None, None, f"{what}: raw BYTES data is truncated")
        (size,) = struct.unpack_from("<I", raw, pos)
        pos += 4
        if pos + size > len(raw):
            raise InvalidArgumentError(None, None, f"{what}: raw BYTES data is truncated")
        out.append(bytes(raw[pos:pos + size]))
        pos += size
    if pos != len(raw):
        raise InvalidArgumentError(None, None, f"{what}: {len(raw) - pos} unexpected bytes after "
                                   f"{n} BYTES elements")
    arr = np.empty(n, dtype=object)
    arr[:] = out
    return arr


def encode_bytes(arr: np.ndarray) -> bytes:
    parts = []
    for v in arr.reshape(-1):
        b = v if isinstance(v, bytes) else str(v).encode()
        parts.append(struct.pack("<I", len(b)))
        parts.append(b)
    return b"".join(parts)


def parameter_values(parameters) -> dict:
    """An InferParameter map as ``{key: python value}`` (None for an unset one)."""
    return {k: None if (field := p.WhichOneof("parameter_choice")) is None else
            getattr(p, field) for k, p in parameters.items()}


def input_spans(request) -> dict:
    """The inputs given in shared memory: ``{index: TensorSpan}`` (usually empty)."""
    spans = {}
    for i, t in enumerate(request.inputs):
        if t.parameters:
            span = tensor_span("input", t.name, parameter_values(t.parameters))
            if span is not None:
                spans[i] = span
    return spans


def decode_inputs(request, spans=None, shared_memory=None) -> dict[str, np.ndarray]:
    """The request's inputs by name; those in ``spans`` (from :func:`input_spans`) are read
    from ``shared_memory``, the others from the request, raw or typed."""
    raw = request.raw_input_contents
    inputs = request.inputs
    if raw and len(raw) != len(inputs) - len(spans or ()):
        raise InvalidArgumentError(None, None, f"expected {len(inputs) - len(spans or ())} "
                                   "raw_input_contents (one per input not in shared memory), "
                                   f"got {len(raw)}")
    out = {}
    next_raw = 0
    for i, t in enumerate(inputs):
        name = t.name
        if name in out:
            raise InvalidArgumentError(None, None, f"input '{name}' is given twice")
        shape = tuple(t.shape)
        if spans and i in spans:
            if t.HasField("contents"):
                raise InvalidArgumentError(None, None, f"input '{name}': contents must be "
                                           "empty when the input is in shared memory")
            out[name] = _decode_raw_input(name, t.datatype, shape,
                                          shared_memory.read(spans[i]))
            continue
        if not raw:
            out[name] = _decode_contents(name, t, shape)
            continue
        if t.HasField("contents"):
            raise InvalidArgumentError(None, None, f"input '{name}': contents must be "
                                       "empty when raw_input_contents is used")
        out[name] = _decode_raw_input(name, t.datatype, shape, raw[next_raw])
        next_raw += 1
    return out


def _decode_raw_input(name: str, datatype: str, shape: tuple, data: bytes) -> np.ndarray:
    dtype = _RAW_NUMBERS.get(datatype)
    if dtype is not None:
        try:  # the common case in one step; _decode_raw names what is wrong otherwise
            arr = np.frombuffer(data, dtype=dtype).reshape(shape)
            if arr.shape == shape:  # not when reshape inferred a -1
                return arr
        except ValueError:
            pass
    return _decode_raw(name, datatype, shape, data)


def _decode_raw(name: str, datatype: str, shape: tuple, data: bytes) -> np.ndarray:
    """A raw input the fast path did not take: BYTES, an unknown datatype, numbers that do
    not fill the shape, or a shape numpy cannot represent."""
    raw_dtype = _RAW_DTYPES.get(datatype, _UNKNOWN)
    if raw_dtype is _UNKNOWN:
        raise _unsupported(name, datatype)
    if raw_dtype is None:  # BYTES
        return reshape_input(name, decode_bytes(data, _elements(shape), f"input '{name}'"),
                             shape)
    n = _elements(shape)
    if len(data) == n * raw_dtype.itemsize:  # the right size: numpy could not take the shape
        return reshape_input(name, np.frombuffer(data, dtype=raw_dtype), shape)
    raise InvalidArgumentError(
        None, None, f"input '{name}': raw data has {len(data)} bytes, but shape "
        f"{list(shape)} of {datatype} needs {n * raw_dtype.itemsize}")


def _unsupported(name: str, datatype: str) -> InvalidArgumentError:
    return InvalidArgumentError(None, None, f"input '{name}': unsupported datatype "
                                f"{datatype!r} (expected one of {sorted(DATATYPES)})")


def _decode_contents(name: str, t, shape: tuple) -> np.ndarray:
    what = f"input '{name}'"
    spec = DATATYPES.get(t.datatype)
    if spec is None:
        raise _unsupported(name, t.datatype)
    np_type, field, _ = spec
    n = _elements(shape)
    if field is None:
        raise InvalidArgumentError(None, None, f"{what}: {t.datatype} must be sent in "
                                   "raw_input_contents")
    values = getattr(t.contents, field)
    if len(values) != n:
        raise InvalidArgumentError(None, None, f"{what}: {len(values)} values in "
                                   f"{field}, shape {list(shape)} needs {n}")
    if np_type is object:
        arr = np.empty(n, dtype=object)
        arr[:] = list(values)
    else:
        try:
            arr = np.array(values, dtype=np_type)
        except OverflowError:
            raise InvalidArgumentError(None, None, f"{what}: a value is out of range for "
                                       f"{t.datatype}") from None
    return reshape_input(name, arr, shape)


def _infer_response(request, entry, outputs, prediction, classes=None, leases=None):
    response = pb.ModelInferResponse(model_name=entry.name, model_version=str(entry.version),
                                     id=request.id)
    add, raw = response.outputs.add, response.raw_output_contents
    values = prediction.outputs
    for alias in outputs or sorted(values):
        value = values[alias]
        if type(value) is not np.ndarray:
            value = np.asarray(value)
        if classes and alias in classes:
            value = classify(alias, value, classes[alias], prediction.signature in entry.batchers)
        datatype = _DATATYPE_OF_NUMPY.get(value.dtype)
        if datatype is None:
            datatype, value = _output_as_sent(alias, value)
        add(name=alias, datatype=datatype, shape=value.shape)
        data = encode_bytes(value) if datatype == "BYTES" else value.tobytes()
        lease = leases.get(alias) if leases else None
        if lease is not None:  # written to the client's region; an empty entry here, as Triton
            lease.write(data, f"output '{alias}'")
            data = b""
        raw.append(data)
    return response


def _output_as_sent(alias: str, value: np.ndarray) -> tuple[str, np.ndarray]:
    """The datatype of an output that is not a plain native-order number array, and the array
    to send (raw contents are little-endian)."""
    if value.dtype == object:
        return "BYTES", value
    value = little_endian(value)
    datatype = _DATATYPE_OF_NUMPY.get(value.dtype)
    if datatype is not None:
        return datatype, value
    try:
        return datatype_of(_dt.from_numpy(value)), value
    except (KeyError, TypeError):
        raise UnimplementedError(None, None, f"output '{alias}' has dtype {value.dtype}, "
                                 "which KServe v2 cannot carry") from None


def _parse_version(text: str):
    if not text:
        return None
    # ASCII digits only (str.isdigit also takes "²" and other scripts' digits), within int64
    if not (text.isascii() and text.isdigit()) or int(text) >= 1 << 63:
        raise InvalidArgumentError(None, None, f"model_version must be an integer, got {text!r}")
    return int(text)


def unknown_model(repository, name: str, version: int | None) -> NotFoundError:
    """A request for a model (version) not served, in Triton's words
    (ModelRepositoryManager::GetModel over ModelLifeCycle::GetModel)."""
    if name not in repository.model_names():
        what = "is not found"
    elif version is not None:
        what = f"version {version} is not found"
    else:
        what = "has no available versions"
    return NotFoundError(None, None, f"Request for unknown model: '{name}' {what}")


def class_count(count, is_integer: bool) -> int:
    """The count of Triton's "classification" output parameter, checked as Triton does."""
    if not is_integer:
        raise InvalidArgumentError(None, None, "invalid value type for 'classification' "
                                   "parameter, expected int64_param")
    if count <= 0:
        raise InvalidArgumentError(None, None, "invalid value for 'classification' parameter, "
                                   "expected >= 1")
    return count


def output_parameters(name: str, params: dict):
    """A requested output's classification count and shared-memory span (each None when
    not asked for), from its ``{key: python value}`` parameters."""
    span = tensor_span("output", name, params)
    if "classification" not in params:
        return None, span
    if span is not None:
        raise InvalidArgumentError(None, None, "output can't set both 'shared_memory_region' "
                                   "and 'classification'")
    count = params["classification"]
    return class_count(count, type(count) is int), None


_CLASSIFIABLE = frozenset(("UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32",
                           "INT64", "FP32", "FP64"))


def classify(alias: str, value: np.ndarray, count: int, batched: bool) -> np.ndarray:
    """Triton's classification extension: the ``count`` largest values of each batch row as
    BYTES ``"value:index"``, largest first (ties: the lower index first), shape
    ``[rows, min(count, row size)]``; the whole tensor is one row, shape ``[min(...)]``, when
    the model does not batch (ModelConfig's max_batch_size 0) or the batch is empty."""
    value = np.asarray(value)
    datatype = _DATATYPE_OF_NUMPY.get(value.dtype)
    if datatype is None:
        datatype, value = _output_as_sent(alias, value)
    if datatype not in _CLASSIFIABLE:
        raise InvalidArgumentError(None, None, f"output '{alias}': class result not available "
                                   f"for output due to unsupported type '{datatype}'")
    per_row = batched and value.ndim > 0 and len(value) > 0  # Triton: 0 rows is no batch
    n = int(np.prod(value.shape[1:])) if per_row else value.size
    rows = value.reshape(len(value) if per_row else 1, n)
    # Descending and stable: sort the reversed rows ascending, then reverse back.
    order = (n - 1) - np.argsort(rows[:, ::-1], axis=1, kind="stable")[:, ::-1][:, :count]
    top = np.take_along_axis(rows, order, axis=1)
    fmt = "%f:%d" if value.dtype.kind == "f" else "%d:%d"  # C++'s std::to_string, as Triton
    out = np.empty(top.shape, dtype=object)
    out.reshape(-1)[:] = [(fmt % pair).encode() for pair in
                          zip(top.reshape(-1).tolist(), order.reshape(-1).tolist())]
    return out if per_row else out[0]


def _timeout_seconds(param) -> float | None:
    """The request's ``timeout`` parameter (microseconds; 0 means none, as in Triton)."""
    if param.WhichOneof("parameter_choice") != "int64_param":
        raise InvalidArgumentError(None, None, "invalid value type for 'timeout' parameter, "
                                   "expected int64_param")
    if param.int64_param < 0:
        raise InvalidArgumentError(None, None, "'timeout' parameter must be >= 0 microseconds, "
                                   f"got {param.int64_param}")
    return param.int64_param / 1e6 if param.int64_param else None


def _signature_datatype(kind: str, alias: str, dtype: _dt.DType) -> str:
    """A signature tensor's datatype; UNIMPLEMENTED naming it for a dtype KServe v2 has no name
    for (complex, quantized), as ModelInfer answers for such an output."""
    try:
        return datatype_of(dtype)
    except KeyError:
        raise UnimplementedError(None, None, f"{kind} '{alias}' has dtype {dtype.name}, which "
                                 "KServe v2 cannot carry") from None


def _tensor_metadata(proto, kind, alias, info):
    proto.name = alias
    proto.datatype = _signature_datatype(kind, alias, info.dtype)
    dims = info.shape.as_tuple()
    proto.shape.extend(-1 if d is None else d for d in (dims or ()))


class InferenceService:
    """inference.GRPCInferenceService"""

    def __init__(self, plane: DataPlane, clock=time.monotonic, server_name="minitf"):
        self.plane = plane
        self.clock = clock
        self.server_name = server_name

    # -- health and metadata -------------------------------------------------------------------
    def server_live(self, request, context, info):
        return pb.ServerLiveResponse(live=self.plane.live())

    def server_ready(self, request, context, info):
        return pb.ServerReadyResponse(ready=self.plane.ready())

    def model_ready(self, request, context, info):
        info.model = request.name
        # An unknown model is not ready (Triton answers OK, ready=false, not NOT_FOUND).
        return pb.ModelReadyResponse(ready=self.plane.model_ready(
            request.name, _parse_version(request.version)))

    def server_metadata(self, request, context, info):
        return pb.ServerMetadataResponse(
            name=self.server_name, version=minitf.__version__, extensions=self._extensions())

    def _extensions(self) -> list[str]:
        """Triton's names (core's server.cc), in its order, for what minitf serves: not
        sequence, schedule_policy, cuda_shared_memory, trace or logging. Unloading with
        unload_dependents is exact here (no ensembles: nothing depends on a model);
        binary_tensor_data is the HTTP API's (Triton lists it whenever HTTP is built in)."""
        return ["classification", "model_repository", "model_repository(unload_dependents)",
                "model_configuration"] + \
            (["system_shared_memory"] if self.plane.shared_memory.enabled else []) + \
            ["binary_tensor_data", "parameters", "statistics"]

    def _entry(self, info, name, version_text):
        """The version a request names, counted under its model; NOT_FOUND in Triton's words
        (:func:`unknown_model`) when it is not served."""
        info.model = name
        version = _parse_version(version_text)
        try:
            entry = self.plane.resolve(name, version)
        except NotFoundError:
            raise unknown_model(self.plane.repository, name, version) from None
        info.version = entry.version
        return entry

    def resolve(self, info, name: str, version: int | None):
        """``_entry`` for a version already parsed (the REST API's)."""
        return self._entry(info, name, "" if version is None else str(version))

    def model_metadata(self, request, context, info):
        entry = self._entry(info, request.name, request.version)
        # As ModelInfer without a signature_name: serving_default, or the only one.
        runner = entry.servable.signature(None)
        response = pb.ModelMetadataResponse(
            name=entry.name, platform="tensorflow_savedmodel",
            versions=[str(v) for v in self.plane.repository.available_versions(entry.name)])
        for alias in runner.input_names:
            _tensor_metadata(response.inputs.add(), "input", alias,
                             runner.signature.inputs[alias])
        for alias in runner.output_names:
            _tensor_metadata(response.outputs.add(), "output", alias,
                             runner.signature.outputs[alias])
        return response

    def model_config(self, request, context, info):
        entry = self._entry(info, request.name, request.version)
        # As ModelInfer without a signature_name: serving_default, or the only one.
        runner = entry.servable.signature(None)
        batcher = entry.batchers.get(runner.name)
        max_batch = batcher.config.max_batch_size if batcher is not None else 0
        config = model_config_pb2.ModelConfig(name=entry.name, platform="tensorflow_savedmodel",
                                              max_batch_size=max_batch)
        for kind, names, infos in (("input", runner.input_names, runner.signature.inputs),
                                   ("output", runner.output_names, runner.signature.outputs)):
            for alias in names:
                ti = infos[alias]
                item = getattr(config, kind).add()
                item.name = alias
                item.data_type = _CONFIG_TYPE[_signature_datatype(kind, alias, ti.dtype)]
                dims = list(ti.shape.as_tuple() or ())
                if max_batch:  # Triton's dims exclude the batch dimension when batching
                    dims = dims[1:]
                item.dims.extend(-1 if d is None else d for d in dims)
        if max_batch:
            config.dynamic_batching.max_queue_delay_microseconds = \
                batcher.config.batch_timeout_micros
            config.dynamic_batching.preferred_batch_size.extend(
                batcher.config.allowed_batch_sizes)
        return pb.ModelConfigResponse(config=config)

    def model_statistics(self, request, context, info):
        """Triton's ModelStatistics, from the counters inference_stats.InferenceStats keeps as
        Triton's InferenceStatsAggregator does (per request; per execution, batch_stats)."""
        repo, stats = self.plane.repository, self.plane.stats
        if request.name:
            info.model = request.name  # counted under the model, as the other model calls
        names = [request.name] if request.name else repo.model_names()
        version = _parse_version(request.version)
        response = pb.ModelStatisticsResponse()
        for name in names:
            if name not in repo.model_names():
                raise unknown_model(repo, name, version)
            versions = [version] if version is not None else \
                sorted(set(repo.available_versions(name)) | set(stats.versions(name)))
            for v in versions:
                s = stats.get(name, v)
                if version is not None and not s and v not in repo.available_versions(name):
                    raise unknown_model(repo, name, v)
                ms = response.model_stats.add(name=name, version=str(v))
                ms.last_inference = s.get("last_ms", 0)
                ms.inference_count = s.get("rows", 0)
                ms.execution_count = s.get("executions", 0)
                st = ms.inference_stats
                st.success.count, st.success.ns = s.get("ok", 0), s.get("ok_ns", 0)
                st.fail.count, st.fail.ns = s.get("fail", 0), s.get("fail_ns", 0)
                st.queue.count, st.queue.ns = s.get("queue", 0), s.get("queue_ns", 0)
                # Every request answered has all three, as in Triton (one count).
                computed = s.get("compute", 0)
                st.compute_input.count, st.compute_input.ns = computed, s.get("input_ns", 0)
                st.compute_infer.count, st.compute_infer.ns = computed, s.get("compute_ns", 0)
                st.compute_output.count, st.compute_output.ns = computed, s.get("output_ns", 0)
                for size, count, input_ns, infer_ns, output_ns in stats.batch_stats(name, v):
                    b = ms.batch_stats.add(batch_size=size)
                    b.compute_input.count, b.compute_input.ns = count, input_ns
                    b.compute_infer.count, b.compute_infer.ns = count, infer_ns
                    b.compute_output.count, b.compute_output.ns = count, output_ns
        return response

    # -- inference ---------------------------------------------------------------------------
    async def model_infer(self, request, context, info) -> pb.ModelInferResponse:
        """One ModelInferRequest, decoded, validated, run (batched or not) and encoded: what
        ModelInfer answers, and what ModelStreamInfer answers for each request on a stream
        (``context`` is the stream's then). The RPC's own deadline is gRPC's to enforce (it
        cancels the call); a ``timeout`` parameter that ends sooner is enforced here."""
        entry = self._entry(info, request.model_name, request.model_version)
        shm = self.plane.shared_memory
        spans = input_spans(request)
        inputs = decode_inputs(request, spans, shm) if on_loop(info.size + sum(
            s.byte_size for s in spans.values())) else \
            await off_loop(decode_inputs, request, spans, shm)
        requested = request.outputs
        outputs, classes, leases = (), {}, {}
        try:  # (no coroutine of its own: it would cost every request a frame)
            if requested:  # usually empty: all outputs (a loop over nothing still costs)
                outputs = [o.name for o in requested]
                for o in requested:
                    if o.parameters:
                        count, span = output_parameters(o.name,
                                                        parameter_values(o.parameters))
                        if count is not None:
                            classes[o.name] = count
                        if span is not None:  # held from now: the region named now
                            leases[o.name] = shm.lease(span)
            deadline = deadline_of(context, self.clock)
            own_deadline = False  # gRPC cancels the call at its own deadline
            signature = None
            params = request.parameters
            if params:  # usually empty: skip the map lookups
                timeout = params.get("timeout")
                seconds = None if timeout is None else _timeout_seconds(timeout)
                if seconds is not None:
                    t = self.clock() + seconds
                    if deadline is None or t < deadline:
                        deadline, own_deadline = t, True
                sig_param = params.get("signature_name")
                if sig_param is not None:
                    signature = sig_param.string_param
            prediction = await self.plane.predict_async(entry, signature, inputs, outputs,
                                                        deadline, enforce_deadline=own_deadline)
            if on_loop(payload_bytes(prediction.outputs.values())):
                return _infer_response(request, entry, outputs, prediction, classes, leases)
            return await off_loop(_infer_response, request, entry, outputs, prediction,
                                  classes, leases)
        finally:
            for lease in leases.values():
                lease.release()

    def handlers(self, metrics=None, max_response_bytes=None):
        service = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"]
        table = [
            ("ServerLive", pb.ServerLiveRequest, self.server_live, "kserve.ServerLive"),
            ("ServerReady", pb.ServerReadyRequest, self.server_ready, "kserve.ServerReady"),
            ("ModelReady", pb.ModelReadyRequest, self.model_ready, "kserve.ModelReady"),
            ("ServerMetadata", pb.ServerMetadataRequest, self.server_metadata,
             "kserve.ServerMetadata"),
            ("ModelMetadata", pb.ModelMetadataRequest, self.model_metadata,
             "kserve.ModelMetadata"),
            ("ModelInfer", pb.ModelInferRequest, self.model_infer, API_INFER),
            ("ModelConfig", pb.ModelConfigRequest, self.model_config, "kserve.ModelConfig"),
            ("ModelStatistics", pb.ModelStatisticsRequest, self.model_statistics,
             "kserve.ModelStatistics"),
        ]
        return [unary(service, m, req, fn, api, metrics, self.clock, inference=api == API_INFER,
                      max_response_bytes=max_response_bytes) for m, req, fn, api in table]
