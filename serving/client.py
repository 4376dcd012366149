"""A Python client for minitf's (and TensorFlow Serving's / Triton's) gRPC APIs.

    with Client("127.0.0.1:8500") as c:
        probs = c.predict("mlp", {"images": x})["probs"]          # TF Serving Predict
        probs = c.infer("mlp", {"images": x})["probs"]            # KServe v2 ModelInfer
        [y] = c.session_run("mlp", {"images:0": x}, ["probs:0"])  # SessionRun
        [[(label, score), ...], ...] = c.classify("census", {"age": [[39.0], [50.0]]})
"""

from __future__ import annotations

import numpy as np
import grpc

from minitf.export.tensors import make_ndarray, make_tensor_proto
from minitf.protos import (classification_pb2, example_pb2, get_model_metadata_pb2,
                           get_model_status_pb2, grpc_service_pb2, health_pb2, inference_pb2,
                           method_path, model_management_pb2, model_server_config_pb2,
                           model_service_pb2, named_tensor_pb2, predict_pb2,
                           prediction_service_pb2, regression_pb2, session_service_pb2,
                           unpack_any)

from .services.kserve import DATATYPES, decode_bytes, encode_bytes

_NP_TO_DATATYPE = {np.dtype(v[0]): k for k, v in DATATYPES.items() if v[0] is not object}


def _method(module, service, name):
    return method_path(module.DESCRIPTOR.services_by_name[service].methods_by_name[name])


class Client:
    """Blocking client. ``target`` is "host:port"; ``credentials`` for TLS."""

    def __init__(self, target: str, credentials: grpc.ChannelCredentials | None = None,
                 max_message_bytes: int = 2**31 - 1, timeout: float | None = 30.0):
        options = [("grpc.max_receive_message_length", max_message_bytes),
                   ("grpc.max_send_message_length", max_message_bytes)]
        self.channel = grpc.secure_channel(target, credentials, options) if credentials else \
            grpc.insecure_channel(target, options)
        self.timeout = timeout

        def call(module, service, name, response_class):
            return self.channel.unary_unary(
                _method(module, service, name),
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=response_class.FromString)

        ps = prediction_service_pb2
        self._predict = call(ps, "PredictionService", "Predict", predict_pb2.PredictResponse)
        self._classify = call(ps, "PredictionService", "Classify",
                              classification_pb2.ClassificationResponse)
        self._regress = call(ps, "PredictionService", "Regress",
                             regression_pb2.RegressionResponse)
        self._multi = call(ps, "PredictionService", "MultiInference",
                           inference_pb2.MultiInferenceResponse)
        self._metadata = call(ps, "PredictionService", "GetModelMetadata",
                              get_model_metadata_pb2.GetModelMetadataResponse)
        self._status = call(model_service_pb2, "ModelService", "GetModelStatus",
                            get_model_status_pb2.GetModelStatusResponse)
        self._reload = call(model_service_pb2, "ModelService", "HandleReloadConfigRequest",
                            model_management_pb2.ReloadConfigResponse)
        self._session = call(session_service_pb2, "SessionService", "SessionRun",
                             session_service_pb2.SessionRunResponse)
        kp = grpc_service_pb2
        self._infer = call(kp, "GRPCInferenceService", "ModelInfer", kp.ModelInferResponse)
        self._ready = call(kp, "GRPCInferenceService", "ModelReady", kp.ModelReadyResponse)
        self._server_ready = call(kp, "GRPCInferenceService", "ServerReady",
                                  kp.ServerReadyResponse)
        self._kmeta = call(kp, "GRPCInferenceService", "ModelMetadata",
                           kp.ModelMetadataResponse)
        self._health = call(health_pb2, "Health", "Check", health_pb2.HealthCheckResponse)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _spec(self, spec, model, version, signature, label=None):
        spec.name = model
        if version is not None:
            spec.version.value = int(version)
        elif label:
            spec.version_label = label
        if signature:
            spec.signature_name = signature

    # -- TensorFlow Serving ---------------------------------------------------------------------
    def predict(self, model, inputs: dict, version=None, signature=None, outputs=(),
                label=None, timeout=None) -> dict:
        req = predict_pb2.PredictRequest()
        self._spec(req.model_spec, model, version, signature, label)
        for alias, value in inputs.items():
            req.inputs[alias].CopyFrom(make_tensor_proto(np.asarray(value)))
        req.output_filter.extend(outputs)
        resp = self._predict(req, timeout=timeout or self.timeout)
        out = {a: make_ndarray(t) for a, t in resp.outputs.items()}
        self.last_model_spec = resp.model_spec
        return out

    def classify(self, model, examples, context=None, version=None, signature=None,
                 label=None, timeout=None) -> list:
        """TF Serving's Classify: ``[[(label, score), ...] per example]``. ``examples``: see
        :func:`make_input` (``context``: features shared by every example)."""
        req = classification_pb2.ClassificationRequest(input=make_input(examples, context))
        self._spec(req.model_spec, model, version, signature, label)
        resp = self._classify(req, timeout=timeout or self.timeout)
        self.last_model_spec = resp.model_spec
        return _classifications(resp.result)

    def regress(self, model, examples, context=None, version=None, signature=None,
                label=None, timeout=None) -> np.ndarray:
        """TF Serving's Regress: one float32 value per example."""
        req = regression_pb2.RegressionRequest(input=make_input(examples, context))
        self._spec(req.model_spec, model, version, signature, label)
        resp = self._regress(req, timeout=timeout or self.timeout)
        self.last_model_spec = resp.model_spec
        return np.array([r.value for r in resp.result.regressions], np.float32)

    def multi_inference(self, model, examples, tasks, context=None, version=None,
                        label=None, timeout=None) -> list:
        """TF Serving's MultiInference: ``tasks`` are (signature, "classify" | "regress")
        pairs over the same examples; one result per task, as ``classify`` / ``regress``
        return it."""
        req = inference_pb2.MultiInferenceRequest(input=make_input(examples, context))
        for signature, method in tasks:
            task = req.tasks.add(method_name=_METHODS.get(method, method))
            self._spec(task.model_spec, model, version, signature, label)
        resp = self._multi(req, timeout=timeout or self.timeout)
        return [_classifications(r.classification_result)
                if r.WhichOneof("result") == "classification_result" else
                np.array([x.value for x in r.regression_result.regressions], np.float32)
                for r in resp.results]

    def metadata(self, model, version=None) -> dict:
        req = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        self._spec(req.model_spec, model, version, None)
        resp = self._metadata(req, timeout=self.timeout)
        sigmap = unpack_any(resp.metadata["signature_def"], get_model_metadata_pb2.SignatureDefMap)
        return {name: sd for name, sd in sigmap.signature_def.items()}

    def status(self, model, version=None) -> list:
        req = get_model_status_pb2.GetModelStatusRequest()
        self._spec(req.model_spec, model, version, None)
        return list(self._status(req, timeout=self.timeout).model_version_status)

    def reload_config(self, models) -> model_management_pb2.ReloadConfigResponse:
        """Replaces the served models (TF Serving's HandleReloadConfigRequest). ``models``: a
        ModelServerConfig, or a list of {"name", "base_path"} dicts (other ModelConfig fields,
        such as "model_version_policy", as protobuf messages or dicts of them)."""
        req = model_management_pb2.ReloadConfigRequest()
        if isinstance(models, model_server_config_pb2.ModelServerConfig):
            req.config.CopyFrom(models)
        else:
            for m in models:
                req.config.model_config_list.config.add(
                    **{"model_platform": "tensorflow", **m})
        return self._reload(req, timeout=self.timeout)

    def session_run(self, model, feeds: dict, fetches, targets=(), version=None,
                    by_alias=False) -> list:
        req = session_service_pb2.SessionRunRequest(fetch=list(fetches), target=list(targets),
                                                    tensor_name_is_alias=by_alias)
        self._spec(req.model_spec, model, version, None)
        for name, value in feeds.items():
            req.feed.append(named_tensor_pb2.NamedTensorProto(
                name=name, tensor=make_tensor_proto(np.asarray(value))))
        resp = self._session(req, timeout=self.timeout)
        return [make_ndarray(t.tensor) for t in resp.tensor]

    # -- KServe v2 ----------------------------------------------------------------------------
    def infer(self, model, inputs: dict, version=None, outputs=(), raw=True, timeout=None,
              request_id="") -> dict:
        req = grpc_service_pb2.ModelInferRequest(model_name=model, id=request_id,
                                                 model_version="" if version is None
                                                 else str(version))
        for name, value in inputs.items():
            arr = np.asarray(value)
            datatype = "BYTES" if arr.dtype.kind in "OSU" else _NP_TO_DATATYPE[arr.dtype]
            t = req.inputs.add(name=name, datatype=datatype, shape=arr.shape)
            if raw:
                req.raw_input_contents.append(
                    encode_bytes(arr) if datatype == "BYTES" else
                    np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())
            else:
                field = DATATYPES[datatype][1]
                getattr(t.contents, field).extend(arr.reshape(-1).tolist())
        for name in outputs:
            req.outputs.add(name=name)
        resp = self._infer(req, timeout=timeout or self.timeout)
        out = {}
        for o, payload in zip(resp.outputs, resp.raw_output_contents):
            n = int(np.prod(o.shape)) if len(o.shape) else 1
            if o.datatype == "BYTES":
                arr = decode_bytes(payload, n, o.name)
            else:
                arr = np.frombuffer(payload, dtype=np.dtype(DATATYPES[o.datatype][0])
                                    .newbyteorder("<"))
            out[o.name] = arr.reshape(tuple(o.shape))
        return out

    def model_ready(self, model, version=None) -> bool:
        req = grpc_service_pb2.ModelReadyRequest(name=model, version="" if version is None
                                                 else str(version))
        return self._ready(req, timeout=self.timeout).ready

    def server_ready(self) -> bool:
        return self._server_ready(grpc_service_pb2.ServerReadyRequest(),
                                  timeout=self.timeout).ready

    def model_metadata(self, model, version=None):
        return self._kmeta(grpc_service_pb2.ModelMetadataRequest(
            name=model, version="" if version is None else str(version)), timeout=self.timeout)

    def health(self, service="") -> str:
        resp = self._health(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Waits until the channel connects and the server reports every model ready."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if self.server_ready():
                    return True
            except grpc.RpcError:
                pass
            time.sleep(0.05)
        return False


_METHODS = {"classify": "tensorflow/serving/classify", "regress": "tensorflow/serving/regress"}


def _classifications(result) -> list:
    return [[(c.label, c.score) for c in row.classes] for row in result.classifications]


def make_example(features: dict) -> example_pb2.Example:
    """A tf.Example from ``{name: values}``: floats as float_list, integers (and bools) as
    int64_list, str/bytes as bytes_list; a scalar is a one-value list."""
    example = example_pb2.Example()
    for name, values in features.items():
        arr = np.asarray(values).reshape(-1)
        feature = example.features.feature[name]
        if arr.dtype.kind in "OSU":
            feature.bytes_list.value.extend(v if isinstance(v, bytes) else str(v).encode()
                                            for v in arr.tolist())
        elif arr.dtype.kind in "iub":
            feature.int64_list.value.extend(arr.astype(np.int64).tolist())
        elif arr.dtype.kind == "f":
            feature.float_list.value.extend(arr.astype(np.float32).tolist())
        else:
            raise TypeError(f"feature {name!r}: no tf.Example list holds {arr.dtype}")
    return example


def make_input(examples, context=None):
    """A tensorflow.serving.Input. ``examples``: a dict of feature columns (row i of each is
    example i), or a sequence of tf.Examples (any protobuf class of it) or of feature dicts;
    ``context``: a feature dict or Example merged into every example."""
    from minitf.protos import input_pb2

    if isinstance(examples, dict):
        columns = {k: np.asarray(v) for k, v in examples.items()}
        rows = {len(v) for v in columns.values()}
        if len(rows) != 1:
            raise ValueError(f"feature columns have different numbers of rows: {sorted(rows)}")
        examples = [{k: v[i] for k, v in columns.items()} for i in range(rows.pop())]
    protos = [_as_example(e) for e in examples]
    if context is None:
        return input_pb2.Input(example_list=input_pb2.ExampleList(examples=protos))
    return input_pb2.Input(example_list_with_context=input_pb2.ExampleListWithContext(
        examples=protos, context=_as_example(context)))


def _as_example(value) -> example_pb2.Example:
    if isinstance(value, dict):
        return make_example(value)
    if isinstance(value, example_pb2.Example):
        return value
    return example_pb2.Example.FromString(value.SerializeToString())  # e.g. tf.train.Example
