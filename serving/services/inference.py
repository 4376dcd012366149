"""TensorFlow Serving's tf.Example APIs: Classify, Regress and MultiInference.

As TF Serving runs them (servables/tensorflow/classifier.cc, regressor.cc, multi_inference.cc,
util.cc): the request's Examples are serialised into a [N] string tensor fed to the
signature's "inputs"; the "classes"/"scores" (or "outputs") it returns are checked and turned
into ClassificationResult / RegressionResult, one entry per example. The run itself is the
data plane's, as for Predict: version resolution, batching (a row per example), deadlines,
statistics. Errors carry TF Serving's codes and messages.
"""

from __future__ import annotations

import asyncio

import numpy as np
from google.protobuf import text_format

from minitf import dtypes as _dt
from minitf.errors import InvalidArgumentError, UnimplementedError
from minitf.export.tensors import make_tensor_proto, shape_to_proto
from minitf.protos import (classification_pb2, inference_pb2, meta_graph_pb2, regression_pb2,
                           types_pb2)

from ..dataplane import DataPlane
from ..servable import DEFAULT_SIGNATURE, SignatureRunner
from .common import off_loop, on_loop

CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
INPUTS = "inputs"  # kClassifyInputs == kRegressInputs
CLASSES, SCORES = "classes", "scores"
OUTPUTS = "outputs"  # kRegressOutputs
# A result holds a Python object per value: results from this many values on are built on a
# worker thread (as large payloads are decoded and encoded elsewhere).
OFF_LOOP_VALUES = 1 << 14


def signature_def(runner: SignatureRunner) -> meta_graph_pb2.SignatureDef:
    """The SignatureDef a runner serves (GetModelMetadata's, and the one error messages show)."""
    sd = meta_graph_pb2.SignatureDef(method_name=runner.method_name)
    for kind, infos in (("inputs", runner.signature.inputs),
                        ("outputs", runner.signature.outputs)):
        for alias, ti in infos.items():
            proto = getattr(sd, kind)[alias]
            proto.name = ti.name
            proto.dtype = ti.dtype.as_datatype_enum
            shape_to_proto(ti.shape, proto.tensor_shape)
    for alias, value in runner.defaults.items():  # as the file has them (TF Serving's is it)
        sd.defaults[alias].CopyFrom(make_tensor_proto(value))
    return sd


def _debug_string(runner) -> str:
    return text_format.MessageToString(signature_def(runner), as_one_line=True)


# -- input --------------------------------------------------------------------------------------
def serialized_examples(input_proto) -> np.ndarray:
    """tensorflow.serving.Input -> the [N] string tensor of serialised tf.Examples.

    With a context, each row is the serialised context followed by the serialised example:
    parsing that is protobuf's merge, so the context's features join every example and a
    feature both define takes the example's value -- TF Serving concatenates the same way.
    """
    kind = input_proto.WhichOneof("kind")
    if kind == "example_list":
        rows = [e.SerializeToString() for e in input_proto.example_list.examples]
    elif kind == "example_list_with_context":
        listed = input_proto.example_list_with_context
        context = listed.context.SerializeToString()
        rows = [context + e.SerializeToString() for e in listed.examples]
    else:
        rows = []
    if not rows:
        raise InvalidArgumentError(None, None, "Input is empty.")
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


# -- signatures (TF Serving's PreProcessClassification / PreProcessRegression) -----------------
def find_signature(servable, name: str, missing: str) -> SignatureRunner:
    key = name or DEFAULT_SIGNATURE  # as TF Serving: no fallback to a model's only one
    runner = servable.signatures.get(key)
    if runner is None:
        raise InvalidArgumentError(None, None, f"{missing}{key}")
    return runner


def classify_outputs(runner: SignatureRunner, check_method: bool) -> tuple[str, ...]:
    """The outputs Classify fetches; raises unless the signature is a classification one.
    ``check_method``: TF Serving's --enable_signature_method_name_check (off by default, so
    a predict signature of the right shape serves Classify: TF2 exports all say predict)."""
    sig = runner.signature
    if check_method and sig.method_name != CLASSIFY_METHOD:
        raise InvalidArgumentError(None, None, "Expected classification signature method_name "
                                   f"to be {CLASSIFY_METHOD}. Was: {sig.method_name}")
    _one_input(sig)
    if len(sig.outputs) not in (1, 2):
        raise InvalidArgumentError(None, None, "Expected one or two output Tensors, found "
                                   f"{len(sig.outputs)}")
    if INPUTS not in sig.inputs:
        raise InvalidArgumentError(None, None, "No classification inputs found in "
                                   f"SignatureDef: {_debug_string(runner)}")
    outputs = tuple(a for a in (CLASSES, SCORES) if a in sig.outputs)
    if not outputs:
        raise InvalidArgumentError(
            None, None, "Expected classification signature outputs to contain at least one "
            f'of "{CLASSES}" or "{SCORES}". Signature was: {_debug_string(runner)}')
    return outputs


def regress_outputs(runner: SignatureRunner, check_method: bool) -> tuple[str, ...]:
    sig = runner.signature
    if check_method and sig.method_name != REGRESS_METHOD:
        raise InvalidArgumentError(None, None, "Expected regression signature method_name to "
                                   f"be {REGRESS_METHOD}. Was: {sig.method_name}")
    _one_input(sig)
    if len(sig.outputs) != 1:
        raise InvalidArgumentError(None, None, "Expected one output Tensor.")
    if INPUTS not in sig.inputs:
        raise InvalidArgumentError(None, None, "No regression inputs found in SignatureDef: "
                                   f"{_debug_string(runner)}")
    if OUTPUTS not in sig.outputs:
        raise InvalidArgumentError(None, None, "No regression outputs found in SignatureDef: "
                                   f"{_debug_string(runner)}")
    return (OUTPUTS,)


def _one_input(sig):
    if len(sig.inputs) != 1:
        raise InvalidArgumentError(None, None, "Expected one input Tensor.")


# -- results (TF Serving's PostProcessClassificationResult / PostProcessRegressionResult) ------
def _dt_name(arr: np.ndarray) -> str:
    try:
        return types_pb2.DataType.Name(_dt.from_numpy(arr).as_datatype_enum)
    except (TypeError, ValueError):
        return str(arr.dtype)


def _shape(arr: np.ndarray) -> str:
    return "[" + ",".join(str(d) for d in arr.shape) + "]"  # TensorShape::DebugString


def classification_result(outputs: dict, num_examples: int, result) -> None:
    """Checks the classes/scores tensors and fills a ClassificationResult: one
    Classifications per example, one Class per column (label from classes, score from
    scores)."""
    classes, scores = outputs.get(CLASSES), outputs.get(SCORES)
    for alias, tensor, want in ((CLASSES, classes, "DT_STRING"), (SCORES, scores, "DT_FLOAT")):
        if tensor is None:
            continue
        if tensor.ndim != 2:
            raise InvalidArgumentError(None, None, "Expected Tensor shape: [batch_size "
                                       f"num_classes] but got {_shape(tensor)}")
        if _dt_name(tensor) != want:
            raise InvalidArgumentError(None, None, f"Expected {alias} Tensor of {want}. Got: "
                                       f"{_dt_name(tensor)}")
        if tensor.shape[0] != num_examples:
            raise InvalidArgumentError(None, None, f"Expected {alias} output batch size of "
                                       f"{num_examples}. Got: {tensor.shape[0]}")
    if classes is not None and scores is not None and classes.shape[1] != scores.shape[1]:
        raise InvalidArgumentError(None, None, "Tensors class and score should match in "
                                   f"dim_size(1). Got {classes.shape[1]} vs. {scores.shape[1]}")
    Class, Classifications = classification_pb2.Class, classification_pb2.Classifications
    rows = result.classifications
    if classes is None:
        rows.extend(Classifications(classes=[Class(score=s) for s in row])
                    for row in scores.tolist())
        return
    labels = [[_label(b) for b in row] for row in classes.tolist()]
    if scores is None:
        rows.extend(Classifications(classes=[Class(label=b) for b in row]) for row in labels)
    else:
        rows.extend(Classifications(classes=[Class(label=b, score=s) for b, s in zip(lr, sr)])
                    for lr, sr in zip(labels, scores.tolist()))


def _label(value) -> str:
    # Class.label is a proto3 string: TF Serving copies the bytes, and a client decodes them
    # as UTF-8; bytes that are not UTF-8 could not be sent at all, so they are replaced.
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def regression_result(outputs: dict, num_examples: int, result) -> None:
    tensor = outputs[OUTPUTS]
    if not (tensor.ndim == 1 or (tensor.ndim == 2 and tensor.shape[1] == 1)):
        raise InvalidArgumentError(None, None, "Expected output Tensor shape to be either "
                                   f"[batch_size] or [batch_size, 1] but got {_shape(tensor)}")
    if tensor.shape[0] != num_examples:
        raise InvalidArgumentError(None, None, "Input batch size did not match output batch "
                                   f"size: {num_examples} vs. {tensor.shape[0]}")
    if _dt_name(tensor) != "DT_FLOAT":
        raise InvalidArgumentError(None, None, "Expected output Tensor of DT_FLOAT.  Got: "
                                   f"{_dt_name(tensor)}")
    Regression = regression_pb2.Regression
    result.regressions.extend(Regression(value=v) for v in tensor.reshape(-1).tolist())


def _effective_spec(spec, name, version, signature):
    # TF Serving's MakeModelSpec: the name asked for, the signature that answered
    # (serving_default when none was named) and the version.
    spec.name = name
    spec.signature_name = signature
    spec.version.value = version


async def _fill(fn, outputs, num_examples, result):
    values = sum(a.size for a in outputs.values())
    if values < OFF_LOOP_VALUES:
        fn(outputs, num_examples, result)
    else:
        await off_loop(fn, outputs, num_examples, result)


async def _examples(request, info):
    return serialized_examples(request.input) if on_loop(info.size) else \
        await off_loop(serialized_examples, request.input)


# -- the three RPCs, after the servicer resolved the version -----------------------------------
async def _single_task(plane: DataPlane, entry, request, info, deadline, outputs_of,
                       response, result_of):
    """Classify or Regress: the signature's outputs (``outputs_of``) for the request's
    examples, each example's result filled by ``result_of``."""
    runner = find_signature(entry.servable, request.model_spec.signature_name,
                            "No signature was found with the name: ")
    fetch = outputs_of(runner)
    examples = await _examples(request, info)
    prediction = await plane.predict_async(entry, runner.name, {INPUTS: examples}, fetch,
                                           deadline, enforce_deadline=False)
    _effective_spec(response.model_spec, request.model_spec.name, entry.version, runner.name)
    await _fill(result_of, prediction.outputs, len(examples), response.result)
    return response


async def classify(plane: DataPlane, entry, request, info, deadline, check_method: bool):
    return await _single_task(plane, entry, request, info, deadline,
                              lambda runner: classify_outputs(runner, check_method),
                              classification_pb2.ClassificationResponse(),
                              classification_result)


async def regress(plane: DataPlane, entry, request, info, deadline, check_method: bool):
    return await _single_task(plane, entry, request, info, deadline,
                              lambda runner: regress_outputs(runner, check_method),
                              regression_pb2.RegressionResponse(), regression_result)


def check_tasks(request) -> None:
    """TF Serving's checks of the tasks that need no model: one model name for all."""
    if not request.tasks:
        raise InvalidArgumentError(None, None, "MultiInferenceRequest has no tasks: expected "
                                   "at least one")
    model = ""
    for task in request.tasks:
        name = task.model_spec.name
        if not name:
            raise InvalidArgumentError(None, None, "Found ModelSpec with an empty model name.")
        if model and name != model:
            raise InvalidArgumentError(None, None, "All ModelSpecs in a MultiInferenceRequest "
                                       "must access the same model name.")
        model = name


async def multi_inference(plane: DataPlane, entry, request, info, deadline,
                          check_method: bool):
    """Every task on the version the first task's ModelSpec resolves (as in TF Serving, whose
    other tasks' versions are not consulted; each result's model_spec says which answered).
    The tasks' signatures run side by side on the same examples, each through its own plan
    and batcher."""
    tasks, seen = [], set()
    for task in request.tasks:
        signature = task.model_spec.signature_name or DEFAULT_SIGNATURE
        if signature in seen:
            raise InvalidArgumentError(None, None, "Duplicate evaluation of signature: "
                                       f"{signature}")
        seen.add(signature)
        runner = entry.servable.signatures.get(signature)
        if runner is None:
            raise InvalidArgumentError(None, None, "Requested signature not found in model "
                                       f"graph: {signature}")
        if task.method_name == CLASSIFY_METHOD:
            fetch, fill = classify_outputs(runner, check_method), classification_result
        elif task.method_name == REGRESS_METHOD:
            fetch, fill = regress_outputs(runner, check_method), regression_result
        else:
            raise UnimplementedError(None, None, "Unsupported signature method_name: "
                                     f"{task.method_name}")
        tasks.append((task, runner, fetch, fill))
    examples = await _examples(request, info)
    predictions = await asyncio.gather(*(
        plane.predict_async(entry, runner.name, {INPUTS: examples}, fetch, deadline,
                            enforce_deadline=False) for _, runner, fetch, _ in tasks))
    response = inference_pb2.MultiInferenceResponse()
    for (task, runner, _, fill), prediction in zip(tasks, predictions):
        result = response.results.add()
        _effective_spec(result.model_spec, task.model_spec.name, entry.version, runner.name)
        target = result.classification_result if fill is classification_result else \
            result.regression_result
        target.SetInParent()  # the oneof says which kind of result, even an empty one
        await _fill(fill, prediction.outputs, len(examples), target)
    return response
