"""``tf.saved_model`` (TF1): SavedModelBuilder, simple_save, loader.load, the signature helpers
and the tag and signature constants. The implementation lives in minitf.export
(export/tf1_saved_model.py), which owns the protos; these forwards resolve it at call time so
the engine itself never depends on export."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

# tag_constants
SERVING, TRAINING, GPU, TPU = "serve", "train", "gpu", "tpu"
# signature_constants
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
PREDICT_INPUTS, PREDICT_OUTPUTS = "inputs", "outputs"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
CLASSIFY_INPUTS, CLASSIFY_OUTPUT_CLASSES, CLASSIFY_OUTPUT_SCORES = "inputs", "classes", "scores"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"
REGRESS_INPUTS, REGRESS_OUTPUTS = "inputs", "outputs"
# constants
SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_PBTXT = "saved_model.pb", "saved_model.pbtxt"
SAVED_MODEL_SCHEMA_VERSION = 1
VARIABLES_DIRECTORY = VARIABLES_FILENAME = "variables"
ASSETS_DIRECTORY, ASSETS_KEY = "assets", "saved_model_assets"
MAIN_OP_KEY, LEGACY_INIT_OP_KEY = "saved_model_main_op", "legacy_init_op"


def _forward(name):
    def call(*args, **kwargs):
        return getattr(importlib.import_module("minitf.export.tf1_saved_model"), name)(
            *args, **kwargs)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``tf.saved_model.{name}`` (see minitf.export.tf1_saved_model)."
    return call


simple_save = _forward("simple_save")
load = _forward("load")
maybe_saved_model_directory = contains_saved_model = _forward("maybe_saved_model_directory")
build_tensor_info = _forward("build_tensor_info")
get_tensor_from_tensor_info = _forward("get_tensor_from_tensor_info")
build_signature_def = _forward("build_signature_def")
predict_signature_def = _forward("predict_signature_def")
is_valid_signature = _forward("is_valid_signature")
classification_signature_def = _forward("classification_signature_def")
regression_signature_def = _forward("regression_signature_def")


def __getattr__(name):
    if name == "Builder":  # the class itself, so isinstance and subclassing work
        return importlib.import_module("minitf.export.tf1_saved_model").SavedModelBuilder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Namespace(SimpleNamespace):
    """A TF1 submodule's names; ``SavedModelBuilder`` resolves to the class on use."""

    def __getattr__(self, name):
        if name == "SavedModelBuilder" and self._builder:
            return __getattr__("Builder")
        raise AttributeError(f"{self._name} has no attribute {name!r}")


def main_op():
    """``tf.saved_model.main_op.main_op``: initialises local variables and tables."""
    from .ops.array_ops import group
    from .variables import local_variables_initializer, tables_initializer

    return group(local_variables_initializer(), tables_initializer())


builder = _Namespace(_name="tf.saved_model.builder", _builder=True)
loader = _Namespace(_name="tf.saved_model.loader", _builder=False, load=load,
                    maybe_saved_model_directory=maybe_saved_model_directory)
utils = _Namespace(_name="tf.saved_model.utils", _builder=False,
                   build_tensor_info=build_tensor_info,
                   get_tensor_from_tensor_info=get_tensor_from_tensor_info)
signature_def_utils = _Namespace(_name="tf.saved_model.signature_def_utils", _builder=False,
                                 build_signature_def=build_signature_def,
                                 predict_signature_def=predict_signature_def,
                                 classification_signature_def=classification_signature_def,
                                 regression_signature_def=regression_signature_def,
                                 is_valid_signature=is_valid_signature)
tag_constants = _Namespace(_name="tf.saved_model.tag_constants", _builder=False,
                           SERVING=SERVING, TRAINING=TRAINING, GPU=GPU, TPU=TPU)
signature_constants = _Namespace(_name="tf.saved_model.signature_constants", _builder=False, **{
    k: v for k, v in globals().items()
    if k.startswith(("DEFAULT_SERVING", "PREDICT_", "CLASSIFY_", "REGRESS_"))})
constants = _Namespace(_name="tf.saved_model.constants", _builder=False, **{
    k: v for k, v in globals().items() if k.startswith(("SAVED_MODEL_", "VARIABLES_", "ASSETS_",
                                                        "MAIN_OP", "LEGACY_INIT"))})
main_op = _Namespace(_name="tf.saved_model.main_op", _builder=False, main_op=main_op)
