"""``tf.estimator.export``: serving input receivers, export outputs (predict / classify /
regress signatures) and the SavedModel writing behind ``Estimator.export_saved_model``.

The SignatureDefs and the writer live in minitf.export; they are reached through
``minitf.saved_model``'s call-time forwards so core never imports export."""

from __future__ import annotations

import collections
import os
import shutil
import time

from .. import dtypes as _dt
from .. import saved_model as _sm
from .. import tf_logging as logging
from ..graph import Tensor
from ..sparse_tensor import SparseTensor

_SINGLE_NAMES = {"feature": "feature", "label": "label", "receiver_tensor": "input",
                 "receiver_tensors_alternative": "input"}


def _check_tensor(tensor, name, error_label):
    if not isinstance(tensor, (Tensor, SparseTensor)):
        fmt = f" {name}" if name else ""
        raise ValueError(f"{error_label}{fmt} must be a Tensor or SparseTensor.")


def _check_key(name, error_label, allow_ints=False):
    if not isinstance(name, str) and not (allow_ints and isinstance(name, int)):
        raise ValueError(f"{error_label} keys must be strings: {name}.")


def wrap_and_check_input_tensors(tensors, field_name, allow_int_keys=False) -> dict:
    if tensors is None:
        raise ValueError(f"{field_name}s must be defined.")
    if not isinstance(tensors, dict):
        tensors = {_SINGLE_NAMES[field_name]: tensors}
    for name, tensor in tensors.items():
        _check_key(name, field_name, allow_int_keys)
        _check_tensor(tensor, name, field_name)
    return tensors


class ServingInputReceiver(collections.namedtuple(
        "ServingInputReceiver", ["features", "receiver_tensors",
                                 "receiver_tensors_alternatives"])):
    """What a serving_input_receiver_fn returns: the features for model_fn (always a dict)
    and the tensors a request feeds (the signatures' inputs)."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        features = wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        receiver_tensors = wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        if receiver_tensors_alternatives is not None:
            if not isinstance(receiver_tensors_alternatives, dict):
                raise ValueError(f"receiver_tensors_alternatives must be a dict: "
                                 f"{receiver_tensors_alternatives}.")
            receiver_tensors_alternatives = {
                k: wrap_and_check_input_tensors(v, "receiver_tensors_alternative")
                for k, v in receiver_tensors_alternatives.items()}
        return super().__new__(cls, features, receiver_tensors, receiver_tensors_alternatives)


class TensorServingInputReceiver(collections.namedtuple(
        "TensorServingInputReceiver", ["features", "receiver_tensors",
                                       "receiver_tensors_alternatives"])):
    """A receiver whose features are one Tensor (model_fn gets it as is, not in a dict)."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        if features is None:
            raise ValueError("features must be defined.")
        _check_tensor(features, None, "feature")
        receiver = ServingInputReceiver({"feature": features}, receiver_tensors,
                                        receiver_tensors_alternatives)
        return super().__new__(cls, features, receiver.receiver_tensors,
                               receiver.receiver_tensors_alternatives)


def build_parsing_serving_input_receiver_fn(feature_spec, default_batch_size=None):
    """A receiver fn taking serialized tf.Examples (``examples``) parsed with
    ``feature_spec`` (e.g. ``tf.feature_column.make_parse_example_spec(columns)``)."""
    def serving_input_receiver_fn():
        from ..ops.array_ops import placeholder
        from ..ops.parsing_ops import parse_example

        serialized = placeholder(dtype=_dt.string, shape=[default_batch_size],
                                 name="input_example_tensor")
        features = parse_example(serialized, feature_spec)
        return ServingInputReceiver(features, {"examples": serialized})

    return serving_input_receiver_fn


def _placeholder_from_tensor(t, default_batch_size=None):
    from ..ops.array_ops import placeholder
    from ..tensor_shape import TensorShape

    shape = TensorShape([default_batch_size]).concatenate(t.shape[1:]) \
        if t.shape.rank is not None else None
    return placeholder(dtype=t.dtype, shape=shape, name=t.op.name)


def build_raw_serving_input_receiver_fn(features, default_batch_size=None):
    """A receiver fn whose requests feed the features directly: one placeholder per feature
    (a dict of Tensors, or one Tensor) with its dtype, its shape past the batch dimension and
    its op name."""
    def serving_input_receiver_fn():
        if isinstance(features, dict):
            receivers = {k: _placeholder_from_tensor(t, default_batch_size)
                         for k, t in features.items()}
            return ServingInputReceiver(receivers, dict(receivers))
        receiver = _placeholder_from_tensor(features, default_batch_size)
        return TensorServingInputReceiver(receiver, {"input": receiver})

    return serving_input_receiver_fn


# -- export outputs -----------------------------------------------------------------------------
class ExportOutput:
    """One signature of an exported model, built over the receiver tensors."""

    def as_signature_def(self, receiver_tensors):
        raise NotImplementedError

    @staticmethod
    def _single_string_input(receiver_tensors, what):
        if len(receiver_tensors) != 1:
            raise ValueError(f"{what} input must be a single string Tensor; got "
                             f"{receiver_tensors}")
        (_, examples), = receiver_tensors.items()
        if not isinstance(examples, Tensor) or examples.dtype != _dt.string:
            raise ValueError(f"{what} input must be a single string Tensor; got "
                             f"{receiver_tensors}")
        return examples


class PredictOutput(ExportOutput):
    """A predict signature: every output by its key (one Tensor is ``output``)."""

    def __init__(self, outputs):
        if not isinstance(outputs, dict):
            outputs = {"output": outputs}
        for key, value in outputs.items():
            if not isinstance(key, str):
                raise ValueError(f"Prediction output key must be a string; got {key}.")
            if not isinstance(value, Tensor):
                raise ValueError(f"Prediction output value must be a Tensor; got {value}.")
        self._outputs = dict(outputs)

    @property
    def outputs(self):
        return self._outputs

    def as_signature_def(self, receiver_tensors):
        return _sm.predict_signature_def(receiver_tensors, self._outputs)


class ClassificationOutput(ExportOutput):
    """A classify signature (TF Serving's Classify): float ``scores`` and/or string
    ``classes``, over serialized tf.Examples."""

    def __init__(self, scores=None, classes=None):
        if scores is not None and not (isinstance(scores, Tensor) and scores.dtype.is_floating):
            raise ValueError(f"Classification scores must be a float32 Tensor; got {scores}")
        if classes is not None and not (isinstance(classes, Tensor) and
                                        classes.dtype == _dt.string):
            raise ValueError(f"Classification classes must be a string Tensor; got {classes}")
        if scores is None and classes is None:
            raise ValueError("At least one of scores and classes must be set.")
        self._scores, self._classes = scores, classes

    scores = property(lambda self: self._scores)
    classes = property(lambda self: self._classes)

    def as_signature_def(self, receiver_tensors):
        examples = self._single_string_input(receiver_tensors, "Classification")
        return _sm.classification_signature_def(examples, self._classes, self._scores)


class RegressionOutput(ExportOutput):
    """A regress signature (TF Serving's Regress): one float value per example."""

    def __init__(self, value):
        if not (isinstance(value, Tensor) and value.dtype.is_floating):
            raise ValueError(f"Regression output value must be a float32 Tensor; got {value}")
        self._value = value

    value = property(lambda self: self._value)

    def as_signature_def(self, receiver_tensors):
        examples = self._single_string_input(receiver_tensors, "Regression")
        return _sm.regression_signature_def(examples, self._value)


def get_export_outputs(export_outputs, predictions) -> dict:
    """``export_outputs`` checked, with a default PredictOutput of ``predictions`` when None,
    and ``serving_default`` named (the only output is it; several must name one)."""
    if export_outputs is None:
        export_outputs = {_sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY: PredictOutput(predictions)}
    if not isinstance(export_outputs, dict):
        raise TypeError(f"export_outputs must be dict, given: {export_outputs}")
    for value in export_outputs.values():
        if not isinstance(value, ExportOutput):
            raise TypeError(f"Values in export_outputs must be ExportOutput objects. Given: "
                            f"{export_outputs}")
    export_outputs = dict(export_outputs)
    if len(export_outputs) == 1:
        (key, value), = export_outputs.items()
        if key != _sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
            export_outputs[_sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY] = value
    elif len(export_outputs) > 1 and _sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY not in export_outputs:
        raise ValueError("Multiple export_outputs were provided, but none of them is specified "
                         "as the default.  Do this by naming one of them with "
                         "signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY.")
    return export_outputs


def build_all_signature_defs(receiver_tensors, export_outputs,
                             receiver_tensors_alternatives=None) -> dict:
    """One SignatureDef per export output (and per alternative receiver, named
    ``<receiver>:<output>``); those the receiver does not suit (a classify signature over
    float inputs) are left out with a log line, as TF does."""
    if not isinstance(export_outputs, dict):
        raise ValueError(f"export_outputs must be a dict and not{type(export_outputs)}")
    signatures, excluded = {}, {}
    for key, output in export_outputs.items():
        try:
            signatures[f"{key or 'None'}"] = output.as_signature_def(receiver_tensors)
        except ValueError as e:
            excluded[f"{key or 'None'}"] = str(e)
    for receiver_name, tensors in (receiver_tensors_alternatives or {}).items():
        for key, output in export_outputs.items():
            name = f"{receiver_name or 'None'}:{key or 'None'}"
            try:
                signatures[name] = output.as_signature_def(tensors)
            except ValueError as e:
                excluded[name] = str(e)
    for name, why in excluded.items():
        logging.info("Signature %s was not exported: %s", name, why)
    valid = {k: v for k, v in signatures.items() if _sm.is_valid_signature(v)}
    if _sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY not in valid:
        logging.warning("Export includes no default signature!")
    return valid


# -- writing ------------------------------------------------------------------------------------
def get_timestamped_export_dir(export_dir_base) -> bytes:
    """``<base>/<seconds since the epoch>`` (bytes, as TF), waiting for an unused second."""
    for _ in range(10):
        path = os.path.join(os.fsencode(export_dir_base), str(int(time.time())).encode())
        temp = get_temp_export_dir(path)
        if not os.path.exists(path) and not os.path.exists(temp):
            return path
        time.sleep(1)
        logging.warning("Directory %s already exists; retrying (attempt %d/10)", path, _ + 1)
    raise RuntimeError("Failed to obtain a unique export directory name after 10 attempts.")


def get_temp_export_dir(timestamped_export_dir) -> bytes:
    head, tail = os.path.split(os.fsencode(timestamped_export_dir))
    return os.path.join(head, b"temp-" + tail)


def write_saved_model(export_dir_base, session, signature_def_map, assets_extra=None,
                      as_text=False, main_op=None) -> bytes:
    """Freezes ``session``'s graph for the signatures into ``<base>/<timestamp>/`` (built in
    ``temp-<timestamp>`` and renamed, so a polling server never sees half a model)."""
    export_dir = get_timestamped_export_dir(export_dir_base)
    temp_dir = get_temp_export_dir(export_dir)
    os.makedirs(os.path.dirname(temp_dir) or b".", exist_ok=True)
    try:
        builder = _sm.Builder(os.fsdecode(temp_dir))
        builder.add_meta_graph_and_variables(session, [_sm.SERVING],
                                             signature_def_map=signature_def_map,
                                             main_op=main_op, strip_default_attrs=True)
        builder.save(as_text=as_text)
        for dest, source in (assets_extra or {}).items():
            dest = os.path.join(temp_dir, b"assets.extra", os.fsencode(dest))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(source, dest)
        os.rename(temp_dir, export_dir)
    except BaseException:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise
    return export_dir
