"""tf.estimator's names against TF 1.15's v1 API golden file (tensorflow.estimator.pbtxt):
every member but the BoostedTrees estimators; tf.estimator.tpu (tf.contrib.tpu's objects and
experimental.EmbeddingConfigSpec), VocabInfo, add_metrics and the hooks shared with
tf.train; the head-given canned estimators (LinearEstimator, DNNEstimator,
DNNLinearCombinedEstimator) checked by hand on small problems."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

# TF 1.15 tensorflow/tools/api/golden/v1/tensorflow.estimator.pbtxt
GOLDEN_1_15 = {
    "BaselineClassifier", "BaselineEstimator", "BaselineRegressor", "BestExporter",
    "BinaryClassHead", "BoostedTreesClassifier", "BoostedTreesEstimator",
    "BoostedTreesRegressor", "CheckpointSaverHook", "CheckpointSaverListener", "DNNClassifier",
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
    "regressor_parse_example_spec", "tpu", "train_and_evaluate"}
BOOSTED_TREES = {"BoostedTreesClassifier", "BoostedTreesEstimator", "BoostedTreesRegressor"}


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield
    tf.summary.FileWriterCache.clear()


def test_members_are_tf_1_15s():
    have = set(dir(tf.estimator))
    # BoostedTrees may be added by another module; everything else must be there.
    assert GOLDEN_1_15 - have <= BOOSTED_TREES
    assert set(tf.estimator.__all__) - BOOSTED_TREES == GOLDEN_1_15 - BOOSTED_TREES
    for name in GOLDEN_1_15 - BOOSTED_TREES:
        assert getattr(tf.estimator, name) is not None, name
    assert tf.estimator.VocabInfo is tf.train.VocabInfo
    assert tf.estimator.GlobalStepWaiterHook is tf.train.GlobalStepWaiterHook
    assert tf.estimator.ProfilerHook is tf.train.ProfilerHook


def test_tpu_namespace():
    tpu = tf.estimator.tpu
    assert set(dir(tpu)) == {"InputPipelineConfig", "RunConfig", "TPUConfig", "TPUEstimator",
                             "TPUEstimatorSpec", "experimental"}
    for name in ("InputPipelineConfig", "RunConfig", "TPUConfig", "TPUEstimator",
                 "TPUEstimatorSpec"):
        assert getattr(tpu, name) is getattr(tf.contrib.tpu, name)
    assert dir(tpu.experimental) == ["EmbeddingConfigSpec"]
    with pytest.raises(AttributeError, match="minitf provides tf.estimator.tpu.{"):
        _ = tpu.TPUPartitionedInput
    with pytest.raises(AttributeError, match="tf.estimator.tpu.experimental.{"
                       "EmbeddingConfigSpec}"):
        _ = tpu.experimental.AdagradParameters


def test_embedding_config_spec():
    spec_cls = tf.estimator.tpu.experimental.EmbeddingConfigSpec
    ids = tf.feature_column.categorical_column_with_identity("a", 10)
    column = tf.feature_column.embedding_column(ids, 4)
    sgd = tf.tpu.experimental.StochasticGradientDescentParameters(0.1)
    spec = spec_cls(feature_columns=[column], optimization_parameters=sgd)
    assert spec.partition_strategy == "div" and spec.clipping_limit is None
    assert spec.pipeline_execution_with_tensor_core is False
    with pytest.raises(ValueError, match="Exactly one of `feature_columns` and the pair"):
        spec_cls()
    with pytest.raises(ValueError, match='Invalid partition_strategy x. Must be one of "mod" '
                       'or "div"'):
        spec_cls(feature_columns=[column], optimization_parameters=sgd, partition_strategy="x")
    with pytest.raises(TypeError, match="All feature columns must be supported types"):
        spec_cls(feature_columns=[ids], optimization_parameters=sgd)
    with pytest.raises(ValueError, match="optimization_parameters must be an instance"):
        spec_cls(feature_columns=[column], optimization_parameters=0.1)
    with pytest.raises(tf.errors.UnimplementedError, match="TPU embeddings need a TPU"):
        tf.estimator.tpu.TPUEstimator(
            model_fn=lambda features, labels, mode, params: None,
            config=tf.estimator.tpu.RunConfig(), use_tpu=False, train_batch_size=8,
            embedding_config_spec=spec)


def test_add_metrics(tmp_path):
    x = np.array([[1.0], [2.0], [3.0], [4.0]], np.float32)
    y = np.array([2.0, 4.0, 5.0, 9.0], np.float32)
    fn = tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=4, num_epochs=1,
                                            shuffle=False)
    base = tf.estimator.BaselineRegressor(model_dir=str(tmp_path))
    base.train(tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=4, num_epochs=None,
                                                  shuffle=False), steps=3)
    bias = base.get_variable_value("baseline/bias")[0]

    def metric_fn(labels, predictions, features, config):
        assert config.model_dir == base.model_dir
        return {"mae": tf.metrics.mean_absolute_error(labels,
                                                      predictions["predictions"][:, 0]),
                "x_mean": tf.metrics.mean(features["x"])}

    extended = tf.estimator.add_metrics(base, metric_fn)
    assert isinstance(extended, tf.estimator.Estimator) and extended.model_dir == base.model_dir
    metrics = extended.evaluate(fn)
    np.testing.assert_allclose(metrics["mae"], np.mean(np.abs(bias - y)), rtol=1e-6)
    np.testing.assert_allclose(metrics["x_mean"], 2.5)
    assert "average_loss" in metrics  # the estimator's own metrics are kept
    with pytest.raises(ValueError, match=r"has following not expected args: \['mode'\]"):
        tf.estimator.add_metrics(base, lambda labels, mode: {})


# -- head-given canned estimators -------------------------------------------------------------
X = np.array([[1.0], [2.0], [-1.0], [0.5]], np.float32)
Y = np.array([[3.0], [1.0], [0.0], [2.0]], np.float32)


def _fn(labels, epochs=None):
    return tf.estimator.inputs.numpy_input_fn({"x": X}, labels, batch_size=4,
                                              num_epochs=epochs, shuffle=False)


def test_linear_estimator_one_step_by_hand(tmp_path):
    est = tf.estimator.LinearEstimator(
        tf.estimator.RegressionHead(), [tf.feature_column.numeric_column("x")],
        model_dir=str(tmp_path), optimizer=lambda: tf.train.GradientDescentOptimizer(0.1))
    est.train(_fn(Y), steps=1)
    # From zeros, mean squared error: dw = 2 mean(x (0 - y)), db = 2 mean(0 - y).
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/x/weights"),
                               [[-0.1 * 2 * np.mean(X * -Y)]], rtol=1e-6)
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/bias_weights"),
                               [0.1 * 2 * np.mean(Y)], rtol=1e-6)


def test_dnn_estimator_with_multi_label_head(tmp_path):
    labels = np.array([[1, 0], [1, 1], [0, 0], [1, 0]])
    est = tf.estimator.DNNEstimator(tf.contrib.estimator.multi_label_head(2), [3],
                                    [tf.feature_column.numeric_column("x")],
                                    model_dir=str(tmp_path))
    est.train(_fn(labels), steps=2)
    names = set(est.get_variable_names())
    assert {"dnn/hiddenlayer_0/kernel", "dnn/logits/kernel", "dnn/logits/bias"} <= names
    assert est.get_variable_value("dnn/logits/kernel").shape == (3, 2)
    metrics = est.evaluate(_fn(labels, epochs=1))
    assert {"auc", "auc_precision_recall", "average_loss", "loss"} <= set(metrics)
    pred = next(est.predict(tf.estimator.inputs.numpy_input_fn({"x": X}, batch_size=4,
                                                               num_epochs=1, shuffle=False)))
    np.testing.assert_allclose(pred["probabilities"], 1 / (1 + np.exp(-pred["logits"])),
                               rtol=1e-6)


def test_dnn_linear_combined_estimator(tmp_path):
    est = tf.estimator.DNNLinearCombinedEstimator(
        tf.estimator.RegressionHead(),
        linear_feature_columns=[tf.feature_column.numeric_column("x")],
        dnn_feature_columns=[tf.feature_column.numeric_column("x")], dnn_hidden_units=[2],
        model_dir=str(tmp_path))
    est.train(_fn(Y), steps=3)
    names = set(est.get_variable_names())
    assert {"linear/linear_model/x/weights", "dnn/hiddenlayer_0/kernel",
            "global_step"} <= names
    assert est.get_variable_value("global_step") == 3
    with pytest.raises(ValueError, match="Either linear_feature_columns or "
                       "dnn_feature_columns must be defined"):
        tf.estimator.DNNLinearCombinedEstimator(tf.estimator.RegressionHead())
