"""tf.estimator's head classes (TF 1.15's head/*.py, the v2 Head API): loss (reduced by
tf.keras.losses.Reduction, plus regularization), predictions, Keras metrics and
create_estimator_spec in each mode, and MultiHead. Values are checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

from .side_by_side import run

Modes = tf.estimator.ModeKeys
LOGITS = np.array([[-1.0], [0.5], [2.0], [-0.2]], np.float32)
LABELS = np.array([[0], [1], [0], [1]], np.int64)
WEIGHTS = np.array([1.0, 2.0, 0.5, 1.5], np.float32)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _sigmoid_ce(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def _eval(metrics_dict):
    """Runs every metric's update once (local variables initialized) and returns results."""
    ops = tf.estimator.heads._metric_ops(metrics_dict)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([u for _, u in ops.values()])
        return sess.run({k: v for k, (v, _) in ops.items()})


# -- BinaryClassHead ------------------------------------------------------------------------------
def test_binary_loss_reductions_and_regularization():
    ce = _sigmoid_ce(LABELS, LOGITS)
    head = tf.estimator.BinaryClassHead()
    assert head.loss_reduction == "sum_over_batch_size" and head.logits_dimension == 1
    features = {"w": WEIGHTS}
    loss = head.loss(LABELS, LOGITS)
    weighted = tf.estimator.BinaryClassHead(weight_column="w").loss(LABELS, LOGITS, features)
    summed = tf.estimator.BinaryClassHead(weight_column="w", loss_reduction="sum").loss(
        LABELS, LOGITS, features, regularization_losses=[tf.constant(0.25)])
    got = run([loss, weighted, summed])
    np.testing.assert_allclose(got[0], ce.mean(), rtol=1e-6)
    np.testing.assert_allclose(got[1], np.sum(ce[:, 0] * WEIGHTS) / 4, rtol=1e-6)
    np.testing.assert_allclose(got[2], np.sum(ce[:, 0] * WEIGHTS) + 0.25, rtol=1e-6)


def test_binary_predictions():
    head = tf.estimator.BinaryClassHead(label_vocabulary=["neg", "pos"])
    preds = run(head.predictions(LOGITS))
    p = _sigmoid(LOGITS)
    np.testing.assert_allclose(preds["logistic"], p, rtol=1e-6)
    np.testing.assert_allclose(preds["probabilities"], np.hstack([1 - p, p]), rtol=1e-6)
    np.testing.assert_array_equal(preds["class_ids"], (LOGITS > 0).astype(np.int64))
    assert preds["classes"].ravel().tolist() == [b"neg", b"pos", b"pos", b"neg"]
    assert preds["all_classes"][0].tolist() == [b"neg", b"pos"]
    only = head.predictions(LOGITS, keys=["logits", "class_ids"])
    assert set(only) == {"logits", "class_ids"}
    with pytest.raises(ValueError, match="nope is not a valid prediction key"):
        head.predictions(LOGITS, keys=["nope"])


def test_binary_metrics_against_numpy():
    head = tf.estimator.BinaryClassHead(weight_column="w", thresholds=[0.3])
    metrics = head.metrics(regularization_losses=[tf.constant(0.5)])
    assert isinstance(metrics["accuracy"], tf.keras.metrics.Accuracy)
    head.update_metrics(metrics, {"w": WEIGHTS}, LOGITS, LABELS,
                        regularization_losses=[tf.constant(0.5)])
    got = _eval(metrics)
    y, w, p = LABELS[:, 0], WEIGHTS, _sigmoid(LOGITS[:, 0])
    pred = (LOGITS[:, 0] > 0).astype(int)
    tp = np.sum(w * (pred == 1) * (y == 1))
    label_mean = np.sum(w * y) / w.sum()
    expected = {
        "average_loss": np.sum(w * _sigmoid_ce(y, LOGITS[:, 0])) / w.sum(),
        "accuracy": np.sum(w * (pred == y)) / w.sum(),
        "precision": tp / np.sum(w * (pred == 1)),
        "recall": tp / np.sum(w * (y == 1)),
        "prediction/mean": np.sum(w * p) / w.sum(),
        "label/mean": label_mean,
        "accuracy_baseline": max(label_mean, 1 - label_mean),
        "regularization_loss": 0.5,
        "accuracy/positive_threshold_0.3": np.sum(w * ((p >= 0.3) == y)) / w.sum(),
        "precision/positive_threshold_0.3":
            np.sum(w * (p > 0.3) * y) / np.sum(w * (p > 0.3)),
        "recall/positive_threshold_0.3": np.sum(w * (p > 0.3) * y) / np.sum(w * y),
    }
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-5, err_msg=key)
    assert 0.0 <= got["auc"] <= 1.0 and "auc_precision_recall" in got
    # Mostly negatives: the baseline is always predicting 0.
    mostly_zero = head.update_metrics(head.metrics(), {"w": np.ones(4, np.float32)}, LOGITS,
                                      np.array([[1], [0], [0], [0]]))
    np.testing.assert_allclose(_eval(mostly_zero)["accuracy_baseline"], 0.75)


def test_create_estimator_spec_modes():
    head = tf.estimator.BinaryClassHead(name="h")
    logits = tf.constant(LOGITS)
    spec = head.create_estimator_spec({}, Modes.PREDICT, logits)
    assert set(spec.export_outputs) == {"serving_default", "classification", "regression",
                                        "predict"}
    spec = head.create_estimator_spec({}, Modes.EVAL, logits, LABELS)
    assert set(spec.eval_metric_ops) >= {"accuracy/h", "average_loss/h", "auc/h"}
    np.testing.assert_allclose(run(spec.loss), _sigmoid_ce(LABELS, LOGITS).mean(), rtol=1e-6)
    spec = head.create_estimator_spec({}, Modes.TRAIN, logits, LABELS,
                                      train_op_fn=lambda loss: tf.no_op(name="my_train"))
    assert spec.train_op.name == "training/my_train"


def test_train_with_keras_and_v1_optimizers():
    x = np.array([[1.0], [2.0], [3.0], [4.0]], np.float32)
    y = np.array([[2.0], [1.0], [0.0], [3.0]], np.float32)
    head = tf.estimator.RegressionHead()
    w = tf.Variable([[0.5]])
    logits = tf.matmul(tf.constant(x), w)
    keras_spec = head.create_estimator_spec({}, Modes.TRAIN, logits, y,
                                            optimizer=tf.keras.optimizers.SGD(0.1),
                                            trainable_variables=[w])
    # MSE over the batch: d/dw mean((x w - y)^2) = 2 mean(x (x w - y)).
    grad = 2 * np.mean(x * (x * 0.5 - y))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(keras_spec.train_op)
        np.testing.assert_allclose(sess.run(w), [[0.5 - 0.1 * grad]], rtol=1e-6)
    step = tf.train.get_or_create_global_step()
    v1_spec = head.create_estimator_spec({}, Modes.TRAIN, logits, y,
                                         optimizer=tf.train.GradientDescentOptimizer(0.1))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(v1_spec.train_op)
        np.testing.assert_allclose(sess.run(w), [[0.5 - 0.1 * grad]], rtol=1e-6)
        assert sess.run(step) == 1


def test_train_op_errors():
    head = tf.estimator.RegressionHead()
    logits, labels = tf.constant([[1.0]]), tf.constant([[1.0]])

    def spec(**kwargs):
        return head.create_estimator_spec({}, Modes.TRAIN, logits, labels, **kwargs)

    with pytest.raises(ValueError, match="train_op_fn and optimizer cannot both be None"):
        spec()
    with pytest.raises(ValueError, match="train_op_fn and optimizer cannot both be set"):
        spec(optimizer=tf.keras.optimizers.SGD(0.1), train_op_fn=lambda loss: tf.no_op())
    with pytest.raises(ValueError, match="not a tf.keras.optimizers.Optimizer instance"):
        spec(optimizer="SGD")
    with pytest.raises(ValueError, match="trainable_variables cannot be None"):
        spec(optimizer=tf.keras.optimizers.SGD(0.1))
    with pytest.raises(ValueError, match="update_ops should be a list or a tuple"):
        spec(train_op_fn=lambda loss: tf.no_op(), update_ops=tf.no_op())
    with pytest.raises(ValueError, match="Invalid loss_reduction: weighted_sum"):
        tf.estimator.BinaryClassHead(loss_reduction="weighted_sum")
    with pytest.raises(ValueError, match="mode=infer2 unrecognized"):
        head.create_estimator_spec({}, "infer2", logits, labels)
    with pytest.raises(ValueError, match="logits shape must be"):
        head.loss(labels, tf.constant([[1.0, 2.0]]))
    with pytest.raises(TypeError):
        tf.estimator.Head()


# -- the other single heads ----------------------------------------------------------------------
def test_multi_class_head():
    logits = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], np.float32)
    labels = np.array([[1], [0]], np.int64)
    head = tf.estimator.MultiClassHead(3, label_vocabulary=None)
    loss = run(head.loss(labels, logits))
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(loss, -np.mean(log_softmax[[0, 1], [1, 0]]), rtol=1e-6)
    metrics = head.update_metrics(head.metrics(), {}, logits, labels)
    got = _eval(metrics)
    assert set(got) == {"average_loss", "accuracy"}
    np.testing.assert_allclose(got["accuracy"], 0.5)  # argmax [1, 2] vs labels [1, 0]
    with pytest.raises(ValueError, match="n_classes must be > 2"):
        tf.estimator.MultiClassHead(2)


def test_regression_heads():
    logits = np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)
    labels = np.array([[1.0, 0.0], [1.0, 2.0]], np.float32)
    head = tf.estimator.RegressionHead(label_dimension=2)
    np.testing.assert_allclose(run(head.loss(labels, logits)),
                               np.mean((logits - labels) ** 2), rtol=1e-6)
    got = _eval(head.update_metrics(head.metrics(), {}, logits, labels))
    np.testing.assert_allclose(got["prediction/mean"], logits.mean(), rtol=1e-6)
    np.testing.assert_allclose(got["label/mean"], labels.mean(), rtol=1e-6)

    poisson = tf.estimator.PoissonRegressionHead()
    lg, lb = np.array([[0.3], [1.2]], np.float32), np.array([[2.0], [3.0]], np.float32)
    # Full log-Poisson loss: exp(x) - y x + (y log y - y + 0.5 log(2 pi y)) for y > 1.
    stirling = lb * np.log(lb) - lb + 0.5 * np.log(2 * np.pi * lb)
    np.testing.assert_allclose(run(poisson.loss(lb, lg)),
                               np.mean(np.exp(lg) - lb * lg + stirling), rtol=1e-5)
    preds = run(poisson.predictions(lg))
    np.testing.assert_allclose(preds["predictions"], np.exp(lg), rtol=1e-6)
    np.testing.assert_allclose(preds["logits"], lg)

    logistic = tf.estimator.LogisticRegressionHead()
    soft = np.array([[0.25], [0.9]], np.float32)
    np.testing.assert_allclose(run(logistic.loss(soft, lg)), _sigmoid_ce(soft, lg).mean(),
                               rtol=1e-6)
    np.testing.assert_allclose(run(logistic.predictions(lg))["predictions"], _sigmoid(lg),
                               rtol=1e-6)


def test_multi_label_head():
    logits = np.array([[-1.0, 2.0, 0.0], [1.5, -0.5, 0.3]], np.float32)
    labels = np.array([[0, 1, 1], [1, 0, 0]], np.int64)
    head = tf.estimator.MultiLabelHead(3, classes_for_class_based_metrics=[1])
    np.testing.assert_allclose(run(head.loss(labels, logits)),
                               _sigmoid_ce(labels, logits).mean(), rtol=1e-6)
    got = _eval(head.update_metrics(head.metrics(), {}, logits, labels))
    assert set(got) == {"average_loss", "auc", "auc_precision_recall", "probability_mean/class1",
                        "auc/class1", "auc_precision_recall/class1"}
    np.testing.assert_allclose(got["probability_mean/class1"], _sigmoid(logits[:, 1]).mean(),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="n_classes must be > 1"):
        tf.estimator.MultiLabelHead(1)


# -- MultiHead ---------------------------------------------------------------------------------
def _multi_head(**kwargs):
    return tf.estimator.MultiHead([tf.estimator.MultiLabelHead(2, name="a"),
                                   tf.estimator.RegressionHead(name="b")], **kwargs)


def test_multi_head_loss_predictions_and_metrics():
    logits = np.array([[-1.0, 1.0, 0.5], [2.0, 0.0, -1.0]], np.float32)
    labels = {"a": np.array([[1, 0], [1, 1]], np.int64), "b": np.array([[1.0], [0.0]],
                                                                        np.float32)}
    head = _multi_head(head_weights=[1.0, 3.0])
    assert head.name == "a_b" and head.logits_dimension == 3
    loss_a = _sigmoid_ce(labels["a"], logits[:, :2]).mean()
    loss_b = np.mean((logits[:, 2:] - labels["b"]) ** 2)
    np.testing.assert_allclose(run(head.loss(labels, logits)), loss_a + 3 * loss_b, rtol=1e-6)
    split = run(head.loss(labels, {"a": logits[:, :2], "b": logits[:, 2:]}))
    np.testing.assert_allclose(split, loss_a + 3 * loss_b, rtol=1e-6)
    preds = run(head.predictions(logits))
    np.testing.assert_allclose(preds[("a", "probabilities")], _sigmoid(logits[:, :2]),
                               rtol=1e-6)
    np.testing.assert_allclose(preds[("b", "predictions")], logits[:, 2:])
    got = _eval(head.update_metrics(head.metrics(), {}, logits, labels))
    np.testing.assert_allclose(got["loss/a"], loss_a, rtol=1e-6)
    np.testing.assert_allclose(got["average_loss/b"], loss_b, rtol=1e-6)
    assert {"auc/a", "label/mean/b", "prediction/mean/b"} <= set(got)
    spec = head.create_estimator_spec({}, Modes.PREDICT, logits)
    assert set(spec.export_outputs) == {"serving_default", "a", "a/classification",
                                        "a/predict", "b", "b/regression", "b/predict",
                                        "predict"}
    assert set(spec.export_outputs["predict"].outputs) == {"a/logits", "a/probabilities",
                                                           "b/predictions"}


def test_multi_head_errors():
    with pytest.raises(ValueError, match="Must specify heads"):
        tf.estimator.MultiHead([])
    with pytest.raises(ValueError, match="heads and head_weights must have the same size"):
        _multi_head(head_weights=[1.0])
    with pytest.raises(ValueError, match="All given heads must have name specified"):
        tf.estimator.MultiHead([tf.estimator.RegressionHead()])
    head = _multi_head()
    with pytest.raises(ValueError, match=r"logits has missing values for head\(s\): \['b'\]"):
        head.loss({"a": [[0, 1]], "b": [[1.0]]}, {"a": tf.zeros([1, 2])})
    with pytest.raises(ValueError, match="labels must be a dict"):
        head.loss(tf.zeros([1, 3]), tf.zeros([1, 3]))
    with pytest.raises(ValueError, match="The last dimension of the logits tensor should "
                       "equal 3 but is 4"):
        head.predictions(tf.zeros([1, 4]))
    with pytest.raises(ValueError, match="The loss_reduction must be the same"):
        _ = tf.estimator.MultiHead([
            tf.estimator.RegressionHead(name="x"),
            tf.estimator.RegressionHead(name="y", loss_reduction="sum")]).loss_reduction
