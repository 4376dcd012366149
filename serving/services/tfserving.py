"""TensorFlow Serving's gRPC APIs: PredictionService (Predict, Classify, Regress,
MultiInference, GetModelMetadata), ModelService (GetModelStatus, HandleReloadConfigRequest)
and SessionService (SessionRun). Thin: decode, call the data plane, encode (the tf.Example
APIs' part of that is in inference.py)."""

from __future__ import annotations

import logging
import os
import time

from minitf.errors import InvalidArgumentError, OpError, UnimplementedError
from minitf.export.saved_model import DEFAULT_SIGNATURE
from minitf.export.tensors import make_ndarray, make_tensor_proto
from minitf.protos import (classification_pb2, get_model_metadata_pb2, get_model_status_pb2,
                           inference_pb2, model_management_pb2, model_service_pb2,
                           named_tensor_pb2, pack_any, predict_pb2, prediction_service_pb2,
                           regression_pb2, session_service_pb2)

from ..config import models_from_server_config
from ..dataplane import DataPlane
from . import inference
from .common import deadline_of, off_loop, on_loop, payload_bytes, unary

API_PREDICT = "tfserving.Predict"
API_CLASSIFY = "tfserving.Classify"
API_REGRESS = "tfserving.Regress"
API_MULTI_INFERENCE = "tfserving.MultiInference"
API_METADATA = "tfserving.GetModelMetadata"
API_STATUS = "tfserving.GetModelStatus"
API_RELOAD_CONFIG = "tfserving.HandleReloadConfigRequest"
API_SESSION_RUN = "tfserving.SessionRun"

# A request tensor sent as a short value list (TF's "repeat the last value" rule) may expand
# to at most this many elements; real data travels as tensor_content, bounded by the message.
MAX_FILLED = 1 << 22

log = logging.getLogger("minitf.serving")


def _version_of(spec):
    """(version, label) chosen by a ModelSpec; (None, None) means the latest."""
    choice = spec.WhichOneof("version_choice")
    if choice == "version":
        return spec.version.value, None
    if choice == "version_label":
        return None, spec.version_label
    return None, None


def _resolve(plane: DataPlane, request, info):
    if not request.HasField("model_spec"):
        raise InvalidArgumentError(None, None, "Missing ModelSpec")
    spec = request.model_spec
    info.model = spec.name
    version, label = _version_of(spec)
    entry = plane.resolve(spec.name, version, label)
    info.version = entry.version
    return entry


def _decode(tensors, what):
    out = {}
    for alias, proto in tensors.items():
        try:
            out[alias] = make_ndarray(proto, f"{what} '{alias}'", max_filled=MAX_FILLED)
        except UnimplementedError as e:  # a dtype no model here takes: a bad request, as in TF
            raise InvalidArgumentError(None, None, e.message) from None
        except (ValueError, TypeError, OverflowError) as e:
            if isinstance(e, OpError):
                raise
            raise InvalidArgumentError(None, None, f"{what} '{alias}': {e}") from None
    return out


def _effective_spec(spec, name, version, signature):
    spec.name = name
    spec.version.value = version
    spec.signature_name = signature


def _predict_response(entry, prediction):
    response = predict_pb2.PredictResponse()
    for alias, value in prediction.outputs.items():
        response.outputs[alias].CopyFrom(make_tensor_proto(value, fields_only=True))
    _effective_spec(response.model_spec, entry.name, entry.version, prediction.signature)
    return response


class PredictionService:
    """tensorflow.serving.PredictionService. ``check_method_names``: TF Serving's
    --enable_signature_method_name_check (Classify/Regress refuse signatures whose
    method_name is not classify/regress; off by default there too)."""

    def __init__(self, plane: DataPlane, clock=time.monotonic, check_method_names=False):
        self.plane = plane
        self.clock = clock
        self.check_method_names = check_method_names

    async def predict(self, request, context, info):
        entry = _resolve(self.plane, request, info)
        inputs = _decode(request.inputs, "input") if on_loop(info.size) else \
            await off_loop(_decode, request.inputs, "input")
        # As TF Serving: an empty name means serving_default, which a model must then have
        # (KServe, which names no signature, falls back to a model's only one).
        prediction = await self.plane.predict_async(
            entry, request.model_spec.signature_name or DEFAULT_SIGNATURE, inputs,
            list(request.output_filter),
            deadline_of(context, self.clock), enforce_deadline=False)  # gRPC cancels us
        if on_loop(payload_bytes(prediction.outputs.values())):
            return _predict_response(entry, prediction)
        return await off_loop(_predict_response, entry, prediction)

    async def classify(self, request, context, info):
        entry = _resolve(self.plane, request, info)
        return await inference.classify(self.plane, entry, request, info,
                                        deadline_of(context, self.clock), self.check_method_names)

    async def regress(self, request, context, info):
        entry = _resolve(self.plane, request, info)
        return await inference.regress(self.plane, entry, request, info,
                                       deadline_of(context, self.clock), self.check_method_names)

    async def multi_inference(self, request, context, info):
        inference.check_tasks(request)
        entry = _resolve(self.plane, request.tasks[0], info)  # as TF Serving: the first task's
        return await inference.multi_inference(self.plane, entry, request, info,
                                               deadline_of(context, self.clock),
                                               self.check_method_names)

    def get_model_metadata(self, request, context, info):
        entry = _resolve(self.plane, request, info)
        # TF Serving's checks (ValidateGetModelMetadataRequest): at least one field, and
        # each one signature_def (repeats allowed).
        if not request.metadata_field:
            raise InvalidArgumentError(None, None, "GetModelMetadataRequest must specify at "
                                       "least one metadata_field")
        for field in request.metadata_field:
            if field != "signature_def":
                raise InvalidArgumentError(None, None, f"Metadata field {field} is not "
                                           "supported")
        sigmap = get_model_metadata_pb2.SignatureDefMap()
        for name, runner in entry.servable.signatures.items():
            sigmap.signature_def[name].CopyFrom(inference.signature_def(runner))
        for name, sd in entry.servable.model.unserved.items():  # as TF Serving: the file's
            sigmap.signature_def[name].CopyFrom(sd)  # whole map
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = entry.name
        response.model_spec.version.value = entry.version
        # Packed under the canonical type URL so official clients can Unpack it.
        response.metadata["signature_def"].CopyFrom(pack_any(sigmap))
        return response

    def handlers(self, metrics=None, max_response_bytes=None):
        service = prediction_service_pb2.DESCRIPTOR.services_by_name["PredictionService"]

        def inferring(method, request_class, fn, api):
            return unary(service, method, request_class, fn, api, metrics, self.clock,
                         inference=True, max_response_bytes=max_response_bytes)

        return [
            inferring("Predict", predict_pb2.PredictRequest, self.predict, API_PREDICT),
            inferring("Classify", classification_pb2.ClassificationRequest, self.classify,
                      API_CLASSIFY),
            inferring("Regress", regression_pb2.RegressionRequest, self.regress, API_REGRESS),
            inferring("MultiInference", inference_pb2.MultiInferenceRequest,
                      self.multi_inference, API_MULTI_INFERENCE),
            unary(service, "GetModelMetadata", get_model_metadata_pb2.GetModelMetadataRequest,
                  self.get_model_metadata, API_METADATA, metrics, self.clock,
                  max_response_bytes=max_response_bytes),
        ]


class ModelService:
    """tensorflow.serving.ModelService (GetModelStatus, HandleReloadConfigRequest)."""

    def __init__(self, plane: DataPlane, clock=time.monotonic):
        self.plane = plane
        self.clock = clock

    def get_model_status(self, request, context, info):
        if not request.HasField("model_spec"):
            raise InvalidArgumentError(None, None, "Missing ModelSpec")
        spec = request.model_spec
        info.model = spec.name
        version, label = _version_of(spec)
        if label is not None:
            version = self.plane.resolve(spec.name, None, label).version
        response = get_model_status_pb2.GetModelStatusResponse()
        for st in self.plane.repository.status(spec.name, version):
            mvs = response.model_version_status.add()
            mvs.version = st.version
            mvs.state = int(st.state)
            mvs.status.SetInParent()  # TF Serving always sets it (error_code OK when healthy)
            if st.error is not None:
                mvs.status.error_code = st.error.error_code
                mvs.status.error_message = st.error.message
        return response

    async def handle_reload_config_request(self, request, context, info):
        """Replaces the served models with the request's model_config_list, as TF Serving's
        ModelServiceImpl: a failure is the RPC's status (also what the response's ``status``
        would say, but gRPC sends no response with an error), and ``metric`` reports how much
        each of ``metric_names`` grew during the reload (summed over its labels; TF Serving
        reads its first point). Relative base paths are relative to
        the server's working directory; the models get the server's default batching."""
        names = list(dict.fromkeys(request.metric_names))
        metrics = self.plane.metrics
        before = {n: metrics.samples(n) for n in names} if metrics is not None else {}
        try:
            models = _reload_models(request.config)
            await self.plane.manage(self.plane.repository.reconfigure, models)  # loads
        except OpError as e:
            log.error("ReloadConfig failed: %s", e.message)
            raise
        response = model_management_pb2.ReloadConfigResponse()
        response.status.SetInParent()  # error_code OK, as TF Serving's ToStatusProto
        for name in names:
            # The growth of the series there are now (a removed model's are gone), summed.
            after = metrics.samples(name) if metrics is not None else {}
            grown = sum(v - before.get(name, {}).get(k, 0) for k, v in after.items())
            response.metric.add(name=name, int64_value_increase=int(grown))
        return response

    def handlers(self, metrics=None, max_response_bytes=None):
        service = model_service_pb2.DESCRIPTOR.services_by_name["ModelService"]
        return [unary(service, "GetModelStatus", get_model_status_pb2.GetModelStatusRequest,
                      self.get_model_status, API_STATUS, metrics, self.clock,
                      max_response_bytes=max_response_bytes),
                unary(service, "HandleReloadConfigRequest",
                      model_management_pb2.ReloadConfigRequest,
                      self.handle_reload_config_request, API_RELOAD_CONFIG, metrics,
                      self.clock, max_response_bytes=max_response_bytes)]


def _reload_models(config) -> list:
    """The ModelConfigs of a ReloadConfigRequest's config, with TF Serving's refusals."""
    if config.WhichOneof("config") != "model_config_list":
        raise InvalidArgumentError(None, None, "ServerModelConfig type not supported by "
                                   "HandleReloadConfigRequest. Only ModelConfigList is "
                                   "currently supported")
    for i, m in enumerate(config.model_config_list.config):
        log.info("Config entry %d: name %s, base path %s, platform %s", i, m.name,
                 m.base_path, m.model_platform or "tensorflow")
    try:
        return models_from_server_config(config, os.getcwd())
    except ValueError as e:
        raise InvalidArgumentError(None, None, str(e)) from None


def _decode_feeds(named_tensors) -> dict:
    feeds = {}
    for nt in named_tensors:
        if nt.name in feeds:
            raise InvalidArgumentError(None, None, f"feed {nt.name!r} is given twice")
        feeds[nt.name] = _decode({nt.name: nt.tensor}, "feed")[nt.name]
    return feeds


def _session_run_response(request, entry, values):
    response = session_service_pb2.SessionRunResponse()
    for name, value in zip(request.fetch, values):
        response.tensor.append(named_tensor_pb2.NamedTensorProto(
            name=name, tensor=make_tensor_proto(value)))
    response.model_spec.name = entry.name
    response.model_spec.version.value = entry.version
    if request.model_spec.signature_name:
        response.model_spec.signature_name = request.model_spec.signature_name
    return response


class SessionService:
    """tensorflow.serving.SessionService: TF1's Session.run by tensor name (TF Serving defines
    it but its own server never serves it)."""

    def __init__(self, plane: DataPlane, clock=time.monotonic):
        self.plane = plane
        self.clock = clock

    async def session_run(self, request, context, info):
        entry = _resolve(self.plane, request, info)
        feeds = _decode_feeds(request.feed) if on_loop(info.size) else \
            await off_loop(_decode_feeds, request.feed)
        alias_sig = (request.model_spec.signature_name or "serving_default") \
            if request.tensor_name_is_alias else None
        values = await self.plane.session_run_async(entry, feeds, list(request.fetch),
                                                    list(request.target), alias_sig)
        if on_loop(payload_bytes(values)):
            return _session_run_response(request, entry, values)
        return await off_loop(_session_run_response, request, entry, values)

    def handlers(self, metrics=None, max_response_bytes=None):
        service = session_service_pb2.DESCRIPTOR.services_by_name["SessionService"]
        return [unary(service, "SessionRun", session_service_pb2.SessionRunRequest,
                      self.session_run, API_SESSION_RUN, metrics, self.clock,
                      max_response_bytes=max_response_bytes)]
