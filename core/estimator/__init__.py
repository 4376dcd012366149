"""``tf.estimator`` (TF 1.x): Estimator, EstimatorSpec, ModeKeys, RunConfig, train_and_evaluate
with TrainSpec / EvalSpec and exporters (Final, Latest, Best), ``tf.estimator.export`` (serving
input receivers and export outputs), ``tf.estimator.inputs`` (numpy_input_fn), the canned
baseline, linear, DNN and combined (wide & deep) classifiers, regressors and head-given
estimators, the head classes (BinaryClassHead, ..., MultiHead), ``add_metrics``,
``tf.estimator.experimental`` (early stopping, in-memory evaluation) and ``tf.estimator.tpu``
(TPUEstimator without a TPU). One process, graph mode: tf.distribute strategies run in their
one-host form (RunConfig's train_distribute); no TPUs or cluster (TF_CONFIG) configurations.
Not provided: the BoostedTrees estimators."""

from ..train.basic_session_run_hooks import (CheckpointSaverHook, CheckpointSaverListener,
                                             FeedFnHook, FinalOpsHook, LoggingTensorHook,
                                             NanLossDuringTrainingError, NanTensorHook,
                                             SecondOrStepTimer, StepCounterHook,
                                             StopAtStepHook, SummarySaverHook)
from ..train.basic_session_run_hooks import ProfilerHook
from ..train.checkpoint_utils import VocabInfo
from ..train.session_run_hook import (SessionRunArgs, SessionRunContext, SessionRunHook,
                                      SessionRunValues)
from ..train.training_extras import GlobalStepWaiterHook
from . import experimental, export, inputs, tpu
from .best_exporter import BestExporter
from .canned import (BaselineClassifier, BaselineEstimator, BaselineRegressor, DNNClassifier,
                     DNNEstimator, DNNLinearCombinedClassifier, DNNLinearCombinedEstimator,
                     DNNLinearCombinedRegressor, DNNRegressor, LinearClassifier,
                     LinearEstimator, LinearRegressor, classifier_parse_example_spec,
                     regressor_parse_example_spec)
from .estimator import Estimator
from .extenders import add_metrics
from .heads import (BinaryClassHead, Head, LogisticRegressionHead, MultiClassHead,
                    MultiLabelHead, PoissonRegressionHead, RegressionHead)
from .model_fn import EstimatorSpec, ModeKeys
from .run_config import RunConfig
from .warm_starting import WarmStartSettings
from .multi_head import MultiHead
from .training import (EvalSpec, Exporter, FinalExporter, LatestExporter, TrainSpec,
                       train_and_evaluate)

__all__ = [
    "BaselineClassifier", "BaselineEstimator", "BaselineRegressor", "BestExporter",
    "BinaryClassHead", "CheckpointSaverHook", "CheckpointSaverListener", "DNNClassifier",
    "DNNEstimator", "DNNLinearCombinedClassifier", "DNNLinearCombinedEstimator",
    "DNNLinearCombinedRegressor", "DNNRegressor", "Estimator", "EstimatorSpec", "EvalSpec",
    "Exporter", "FeedFnHook", "FinalExporter", "FinalOpsHook", "GlobalStepWaiterHook", "Head",
    "LatestExporter", "LinearClassifier", "LinearEstimator", "LinearRegressor",
    "LoggingTensorHook", "LogisticRegressionHead", "ModeKeys", "MultiClassHead", "MultiHead",
    "MultiLabelHead", "NanLossDuringTrainingError", "NanTensorHook", "PoissonRegressionHead",
    "ProfilerHook", "RegressionHead", "RunConfig", "SecondOrStepTimer", "SessionRunArgs",
    "SessionRunContext", "SessionRunHook", "SessionRunValues", "StepCounterHook",
    "StopAtStepHook", "SummarySaverHook", "TrainSpec", "VocabInfo", "WarmStartSettings",
    "add_metrics", "classifier_parse_example_spec", "experimental", "export", "inputs",
    "regressor_parse_example_spec", "tpu", "train_and_evaluate"]
