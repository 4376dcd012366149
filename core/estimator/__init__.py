"""``tf.estimator`` (TF 1.x): Estimator, EstimatorSpec, ModeKeys, RunConfig, train_and_evaluate
with TrainSpec / EvalSpec and exporters, ``tf.estimator.export`` (serving input receivers and
export outputs), ``tf.estimator.inputs`` (numpy_input_fn) and the canned linear, DNN and
combined (wide & deep) classifiers and regressors, and ``tf.estimator.experimental`` (early
stopping, in-memory evaluation). One process, graph mode: no distribution strategies, TPUs or
cluster (TF_CONFIG) configurations."""

from ..train.basic_session_run_hooks import (CheckpointSaverHook, CheckpointSaverListener,
                                             FeedFnHook, FinalOpsHook, LoggingTensorHook,
                                             NanLossDuringTrainingError, NanTensorHook,
                                             SecondOrStepTimer, StepCounterHook,
                                             StopAtStepHook, SummarySaverHook)
from ..train.session_run_hook import (SessionRunArgs, SessionRunContext, SessionRunHook,
                                      SessionRunValues)
from . import experimental, export, inputs
from .canned import (DNNClassifier, DNNLinearCombinedClassifier, DNNLinearCombinedRegressor,
                     DNNRegressor, LinearClassifier, LinearRegressor,
                     classifier_parse_example_spec, regressor_parse_example_spec)
from .estimator import Estimator
from .model_fn import EstimatorSpec, ModeKeys
from .run_config import RunConfig
from .warm_starting import WarmStartSettings
from .training import (EvalSpec, Exporter, FinalExporter, LatestExporter, TrainSpec,
                       train_and_evaluate)

__all__ = [
    "CheckpointSaverHook", "CheckpointSaverListener", "DNNClassifier",
    "DNNLinearCombinedClassifier", "DNNLinearCombinedRegressor", "DNNRegressor",
    "Estimator", "EstimatorSpec", "EvalSpec", "Exporter", "FeedFnHook", "FinalExporter",
    "FinalOpsHook", "LatestExporter", "LinearClassifier", "LinearRegressor",
    "LoggingTensorHook", "ModeKeys", "NanLossDuringTrainingError", "NanTensorHook",
    "RunConfig", "SecondOrStepTimer", "SessionRunArgs", "SessionRunContext", "SessionRunHook",
    "SessionRunValues", "StepCounterHook", "StopAtStepHook", "SummarySaverHook", "TrainSpec",
    "WarmStartSettings", "classifier_parse_example_spec", "experimental", "export", "inputs",
    "regressor_parse_example_spec", "train_and_evaluate"]
