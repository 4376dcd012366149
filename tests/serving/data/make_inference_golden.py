"""Writes the golden Classify / Regress / MultiInference request bytes replayed by
tests/serving/test_classify_regress.py (for CI without TensorFlow).

Every request is built with the *official* classes -- ``tensorflow_serving.apis`` messages and
``tf.train.Example`` -- as a TensorFlow Serving client would, and serialised deterministically.
Run it where tensorflow and tensorflow-serving-api are installed:

    .venv/bin/python tests/serving/data/make_inference_golden.py

Outputs, in ``inference/`` next to this file: ``<name>.pb`` (the serialised request) and
``golden.json`` (name -> file, canonical gRPC method path, official request type). The
expectations live in the test, which also checks (where TensorFlow is installed) that these
bytes are still what the official client builds.
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inference")

CLASSIFY = "/tensorflow.serving.PredictionService/Classify"
REGRESS = "/tensorflow.serving.PredictionService/Regress"
MULTI = "/tensorflow.serving.PredictionService/MultiInference"
CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"

# The test model's features: "x" float [4] (required), "bias" float [1] (default 0).
ROWS = [[0.5, -1.25, 2.0, 0.75], [-0.5, 0.25, -1.5, 1.0], [1.5, 0.5, -0.25, -2.0]]


def build_requests() -> dict:
    """name -> (method path, official request message). Imports TensorFlow."""
    import tensorflow as tf
    from tensorflow_serving.apis import (classification_pb2, inference_pb2, regression_pb2)

    def example(x=None, bias=None):
        feature = {}
        if x is not None:
            feature["x"] = tf.train.Feature(float_list=tf.train.FloatList(value=x))
        if bias is not None:
            feature["bias"] = tf.train.Feature(float_list=tf.train.FloatList(value=[bias]))
        return tf.train.Example(features=tf.train.Features(feature=feature))

    def fill_input(message, examples=None, context=None):
        examples = [example(x) for x in ROWS] if examples is None else examples
        if context is None:
            message.input.example_list.examples.extend(examples)
        else:
            message.input.example_list_with_context.examples.extend(examples)
            message.input.example_list_with_context.context.CopyFrom(context)
        return message

    def spec(message, model="census", version=None, signature=None):
        message.model_spec.name = model
        if version is not None:
            message.model_spec.version.value = version
        if signature is not None:
            message.model_spec.signature_name = signature

    def classify(signature=None, version=None, examples=None, context=None, model_spec=True):
        req = classification_pb2.ClassificationRequest()
        if model_spec:
            spec(req, version=version, signature=signature)
        return CLASSIFY, fill_input(req, examples, context)

    def regress(signature="regress", version=None, examples=None):
        req = regression_pb2.RegressionRequest()
        spec(req, version=version, signature=signature)
        return REGRESS, fill_input(req, examples)

    def multi(tasks, examples=None, context=None):
        req = inference_pb2.MultiInferenceRequest()
        for model, signature, method in tasks:
            task = req.tasks.add(method_name=method)
            spec(task, model=model, signature=signature)
        return MULTI, fill_input(req, examples, context)

    # bias from the context for the first two examples; the third sets its own (it wins)
    with_context = [example(ROWS[0]), example(ROWS[1]), example(ROWS[2], bias=-3.0)]
    return {
        # answered
        "classify_default": classify(),
        "classify_context": classify(examples=with_context, context=example(bias=1.5)),
        "classify_scores_version1": classify(signature="scores_only", version=1),
        "regress": regress(),
        "multi_classify_regress": multi([("census", None, CLASSIFY_METHOD),
                                         ("census", "regress", REGRESS_METHOD)]),
        # refused
        "classify_empty_input": classify(examples=[]),
        "classify_missing_model_spec": classify(model_spec=False),
        "classify_unknown_signature": classify(signature="nope"),
        "classify_regress_signature": classify(signature="regress"),
        "regress_classify_signature": regress(signature="serving_default"),
        "classify_missing_feature": classify(examples=[example(bias=1.0)]),
        "multi_duplicate_signature": multi([("census", None, CLASSIFY_METHOD),
                                            ("census", "serving_default", CLASSIFY_METHOD)]),
        "multi_two_models": multi([("census", None, CLASSIFY_METHOD),
                                   ("other", "regress", REGRESS_METHOD)]),
        "multi_predict_method": multi([("census", "regress",
                                        "tensorflow/serving/predict")]),
    }


def main() -> int:
    from importlib.metadata import version

    os.makedirs(HERE, exist_ok=True)
    manifest = {
        "generator": "tests/serving/data/make_inference_golden.py",
        "tensorflow": version("tensorflow"),
        "tensorflow_serving_api": version("tensorflow-serving-api"),
        "requests": {},
    }
    for name, (method, message) in build_requests().items():
        with open(os.path.join(HERE, f"{name}.pb"), "wb") as f:
            f.write(message.SerializeToString(deterministic=True))
        manifest["requests"][name] = {"file": f"{name}.pb", "method": method,
                                      "type": message.DESCRIPTOR.full_name}
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(manifest['requests'])} requests to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
