"""Writes the golden request bytes replayed by tests/serving (for CI without TensorFlow).

Every request is built with the *official* classes -- ``tensorflow_serving.apis`` messages and
``tf.make_tensor_proto`` -- exactly as a TensorFlow Serving client would, and serialised
deterministically. Run it where tensorflow and tensorflow-serving-api are installed:

    .venv/bin/python tests/serving/data/make_golden.py

Outputs, next to this file:

- ``<name>.pb``: the serialised request;
- ``golden.json``: name -> file, canonical gRPC method path and the official request type;
- ``inputs.npz``: ``<name>/<alias or tensor name>`` -> the dense value TensorFlow itself decodes
  from that request's TensorProto (``tf.make_ndarray``), so tests compare against numpy on the
  same numbers without needing TensorFlow.

The expectations (which version answers, which outputs, which error) live in the tests; this
script only makes bytes. tests/serving/test_tfserving.py imports :func:`build_requests` (where
TensorFlow is installed) to check that the committed bytes are still what the client produces.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

PREDICT = "/tensorflow.serving.PredictionService/Predict"
METADATA = "/tensorflow.serving.PredictionService/GetModelMetadata"
STATUS = "/tensorflow.serving.ModelService/GetModelStatus"
SESSION_RUN = "/tensorflow.serving.SessionService/SessionRun"

# Three rows of the test model's input (float32 [None, 4]); fixed so the bytes are stable.
X3 = np.array([[0.5, -1.25, 2.0, 0.75],
               [-0.5, 0.25, -1.5, 1.0],
               [1.5, 0.5, -0.25, -2.0]], dtype=np.float32)


def build_requests() -> dict:
    """name -> (method path, official request message). Imports TensorFlow."""
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2, types_pb2
    from tensorflow.core.protobuf import named_tensor_pb2
    from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2,
                                         predict_pb2, session_service_pb2)

    def predict(model="dense", version=None, label=None, signature=None, inputs=None,
                output_filter=(), spec=True):
        req = predict_pb2.PredictRequest()
        if spec:
            req.model_spec.name = model
            if version is not None:
                req.model_spec.version.value = version
            if label is not None:
                req.model_spec.version_label = label
            if signature is not None:
                req.model_spec.signature_name = signature
        for alias, proto in (inputs if inputs is not None else {"x": tf.make_tensor_proto(X3)}
                             ).items():
            req.inputs[alias].CopyFrom(proto)
        req.output_filter.extend(output_filter)
        return PREDICT, req

    def typed(values, shape):
        # A client that fills float_val instead of tensor_content (e.g. written by hand or
        # from another language); a short list repeats its last value (TensorFlow's rule).
        proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=values)
        for d in shape:
            proto.tensor_shape.dim.add().size = d
        return proto

    def metadata(version=None):
        req = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        req.model_spec.name = "dense"
        if version is not None:
            req.model_spec.version.value = version
        return METADATA, req

    def status(version=None, label=None):
        req = get_model_status_pb2.GetModelStatusRequest()
        req.model_spec.name = "dense"
        if version is not None:
            req.model_spec.version.value = version
        if label is not None:
            req.model_spec.version_label = label
        return STATUS, req

    def session_run(feeds, fetches, version=1, alias=False, targets=()):
        req = session_service_pb2.SessionRunRequest(fetch=list(fetches), target=list(targets),
                                                    tensor_name_is_alias=alias)
        req.model_spec.name = "dense"
        req.model_spec.version.value = version
        for name, value in feeds.items():
            req.feed.append(named_tensor_pb2.NamedTensorProto(
                name=name, tensor=tf.make_tensor_proto(value)))
        return SESSION_RUN, req

    x3_f64 = tf.make_tensor_proto(X3.astype(np.float64))
    x_wide = tf.make_tensor_proto(np.zeros((3, 5), np.float32))
    return {
        # answered
        "predict_latest": predict(),
        "predict_version1_filter": predict(version=1, output_filter=["probs"]),
        "predict_label_stable": predict(label="stable", signature="serving_default",
                                        output_filter=["logits", "classes"]),
        "predict_label_canary": predict(label="canary"),
        "predict_signature_hidden": predict(model="multi", signature="hidden"),
        "predict_float_val": predict(version=1, inputs={"x": typed(
            [0.5, -1.0, 2.0, 0.25, -0.75, 1.5, 0.0, 1.0], [2, 4])}),
        "predict_float_val_repeat_last": predict(version=1, inputs={"x": typed(
            [0.5, -1.0], [2, 4])}),
        "metadata_latest": metadata(),
        "metadata_version1": metadata(version=1),
        "status_all": status(),
        "status_version1": status(version=1),
        "status_label_canary": status(label="canary"),
        "session_run_by_name": session_run({"x:0": X3}, ["probs:0", "Relu:0"]),
        "session_run_by_alias": session_run({"x": X3}, ["logits", "classes"], version=2,
                                            alias=True),
        # refused
        "predict_wrong_dtype": predict(inputs={"x": x3_f64}),
        "predict_wrong_shape": predict(inputs={"x": x_wide}),
        "predict_unknown_alias": predict(inputs={"images": tf.make_tensor_proto(X3)}),
        "predict_unknown_model": predict(model="nope"),
        "predict_unknown_version": predict(version=9),
        "predict_unknown_label": predict(label="beta"),
        "predict_unknown_signature": predict(signature="classify"),
        "predict_bad_output_filter": predict(output_filter=["scores"]),
        "predict_missing_model_spec": predict(spec=False),
        "session_run_unknown_fetch": session_run({"x:0": X3}, ["nope:0"]),
    }


def dense_inputs(message) -> dict:
    """``alias or tensor name -> ndarray`` of a request, decoded by TensorFlow itself."""
    import tensorflow as tf

    if hasattr(message, "inputs"):
        return {a: tf.make_ndarray(t) for a, t in message.inputs.items()}
    if hasattr(message, "feed"):
        return {f.name: tf.make_ndarray(f.tensor) for f in message.feed}
    return {}


def main() -> int:
    from importlib.metadata import version

    manifest = {
        "generator": "tests/serving/data/make_golden.py",
        "tensorflow": version("tensorflow"),
        "tensorflow_serving_api": version("tensorflow-serving-api"),
        "requests": {},
    }
    arrays = {}
    for name, (method, message) in build_requests().items():
        path = os.path.join(HERE, f"{name}.pb")
        with open(path, "wb") as f:
            f.write(message.SerializeToString(deterministic=True))
        manifest["requests"][name] = {"file": f"{name}.pb", "method": method,
                                      "type": message.DESCRIPTOR.full_name}
        for key, value in dense_inputs(message).items():
            arrays[f"{name}/{key}"] = value
    np.savez(os.path.join(HERE, "inputs.npz"), **arrays)
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(manifest['requests'])} requests to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
