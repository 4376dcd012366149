"""tf.estimator.BaselineClassifier / BaselineRegressor / BaselineEstimator (TF 1.15's v1
canned/baseline.py): one bias per output (``baseline/bias``), trained by Ftrl at 0.3 on a SUM
loss. Checked against numpy: the closed form of gradient descent on the bias, a numpy Ftrl,
the label mean / log-odds / class frequencies the bias converges to, and hand-computed eval
losses; where TensorFlow is installed, the same bias-only graph trained by its FtrlOptimizer."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

from .side_by_side import tf1_or_skip

X = np.arange(12, dtype=np.float32).reshape(6, 2)  # features are ignored
Y = np.array([1., 2., 3., 4., 5., 9.], np.float32)
YC = np.array([0, 1, 1, 1, 0, 1])


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield
    tf.summary.FileWriterCache.clear()


def _fn(labels=None, features=None, epochs=None, batch_size=6):
    features = {"x": X} if features is None else features
    return tf.estimator.inputs.numpy_input_fn(features, labels, batch_size=batch_size,
                                              num_epochs=epochs, shuffle=False)


def _numpy_ftrl(grad_fn, steps, lr=0.3, init_accum=0.1, size=1):
    """TF's Ftrl (learning_rate_power -0.5, no l1/l2) on a bias starting at 0."""
    var, accum, linear = np.zeros(size), np.full(size, init_accum), np.zeros(size)
    for _ in range(steps):
        g = grad_fn(var)
        new_accum = accum + g * g
        linear += g - (np.sqrt(new_accum) - np.sqrt(accum)) / lr * var
        accum = new_accum
        var = -linear / (np.sqrt(accum) / lr)
    return var


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# -- regressor -----------------------------------------------------------------------------------
def test_regressor_gradient_descent_closed_form(tmp_path):
    # SUM loss: d/db sum (b - y)^2 = 2 n (b - mean): b_k = mean (1 - (1 - 2 n lr)^k).
    lr, n, steps = 0.02, len(Y), 3
    est = tf.estimator.BaselineRegressor(
        model_dir=str(tmp_path), optimizer=lambda: tf.train.GradientDescentOptimizer(lr))
    est.train(_fn(Y), steps=steps)
    expected = Y.mean() * (1 - (1 - 2 * n * lr) ** steps)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), [expected], rtol=1e-5)
    assert est.get_variable_names() == ["baseline/bias", "global_step"]


def test_regressor_default_ftrl_matches_numpy_and_converges_to_mean(tmp_path):
    est = tf.estimator.BaselineRegressor(model_dir=str(tmp_path))
    est.train(_fn(Y), steps=4)
    expected = _numpy_ftrl(lambda b: 2 * np.sum(b - Y), 4)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), expected, rtol=1e-5)
    assert set(est.get_variable_names()) == {"baseline/bias", "baseline/bias/Ftrl",
                                             "baseline/bias/Ftrl_1", "global_step"}
    est.train(_fn(Y), steps=400)
    bias = est.get_variable_value("baseline/bias")
    np.testing.assert_allclose(bias, [Y.mean()], rtol=1e-3)
    # Predictions are the bias whatever the features.
    preds = list(est.predict(_fn(features={"x": -X}, epochs=1)))
    np.testing.assert_allclose([p["predictions"][0] for p in preds], [bias[0]] * 6)


def test_regressor_eval_metrics_hand_computed(tmp_path):
    est = tf.estimator.BaselineRegressor(model_dir=str(tmp_path))
    est.train(_fn(Y), steps=2)
    b = float(est.get_variable_value("baseline/bias")[0])
    # Two eval batches of 3: loss is the mean of the batches' SUM losses.
    metrics = est.evaluate(_fn(Y, epochs=1, batch_size=3))
    sq = (b - Y) ** 2
    np.testing.assert_allclose(metrics["loss"], np.mean([sq[:3].sum(), sq[3:].sum()]),
                               rtol=1e-5)
    np.testing.assert_allclose(metrics["average_loss"], sq.mean(), rtol=1e-5)
    np.testing.assert_allclose(metrics["label/mean"], Y.mean(), rtol=1e-6)
    np.testing.assert_allclose(metrics["prediction/mean"], b, rtol=1e-6)
    assert set(metrics) == {"loss", "average_loss", "label/mean", "prediction/mean",
                            "global_step"}


def test_regressor_weighted_converges_to_weighted_mean(tmp_path):
    w = np.array([1., 0., 2., 0., 1., 4.], np.float32)
    est = tf.estimator.BaselineRegressor(model_dir=str(tmp_path), weight_column="w",
                                         optimizer=lambda: tf.train.GradientDescentOptimizer(
                                             0.02))
    est.train(_fn(Y, features={"x": X, "w": w}), steps=300)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"),
                               [np.sum(w * Y) / w.sum()], rtol=1e-4)


def test_regressor_label_dimension(tmp_path):
    y2 = np.stack([Y, -2 * Y], axis=1)
    est = tf.estimator.BaselineRegressor(model_dir=str(tmp_path), label_dimension=2,
                                         optimizer=lambda: tf.train.GradientDescentOptimizer(
                                             0.02))
    est.train(_fn(y2), steps=300)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), y2.mean(0), rtol=1e-4)


# -- classifier ----------------------------------------------------------------------------------
def test_binary_classifier_ftrl_and_log_odds(tmp_path):
    est = tf.estimator.BaselineClassifier(model_dir=str(tmp_path))
    est.train(_fn(YC), steps=3)
    expected = _numpy_ftrl(lambda b: np.sum(_sigmoid(b) - YC), 3)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), expected, rtol=1e-5)
    est.train(_fn(YC), steps=400)
    p = YC.mean()
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), [np.log(p / (1 - p))],
                               rtol=1e-3)
    metrics = est.evaluate(_fn(YC, epochs=1))
    assert set(metrics) == {"accuracy", "accuracy_baseline", "auc", "auc_precision_recall",
                            "average_loss", "label/mean", "loss", "precision",
                            "prediction/mean", "recall", "global_step"}
    b = est.get_variable_value("baseline/bias")[0]
    ce = -(YC * np.log(_sigmoid(b)) + (1 - YC) * np.log(1 - _sigmoid(b)))
    np.testing.assert_allclose(metrics["loss"], ce.sum(), rtol=1e-4)  # v1: SUM
    np.testing.assert_allclose(metrics["average_loss"], ce.mean(), rtol=1e-4)
    np.testing.assert_allclose(metrics["accuracy"], p, rtol=1e-6)  # always predicts 1
    np.testing.assert_allclose(metrics["accuracy_baseline"], max(p, 1 - p), rtol=1e-6)
    np.testing.assert_allclose(metrics["recall"], 1.0)
    pred = next(est.predict(_fn(epochs=1)))
    np.testing.assert_allclose(pred["probabilities"], [1 - p, p], rtol=1e-3)
    assert pred["classes"] == [b"1"] and pred["class_ids"] == [1]


def test_multiclass_classifier_learns_class_frequencies(tmp_path):
    labels = np.array([0, 2, 2, 1, 2, 2])
    est = tf.estimator.BaselineClassifier(model_dir=str(tmp_path), n_classes=3,
                                          optimizer=lambda: tf.train.GradientDescentOptimizer(
                                              0.1))
    # One GD step by hand: d/db sum CE = n softmax(0) - counts.
    est.train(_fn(labels), steps=1)
    counts = np.bincount(labels, minlength=3)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"),
                               -0.1 * (6 / 3 - counts), rtol=1e-5)
    est.train(_fn(labels), steps=400)
    pred = next(est.predict(_fn(epochs=1)))
    np.testing.assert_allclose(pred["probabilities"], counts / 6, atol=2e-3)
    assert est.get_variable_value("baseline/bias").shape == (3,)


def test_classifier_vocabulary_and_weights(tmp_path):
    labels = np.array([[b"b"], [b"c"], [b"c"], [b"a"], [b"c"], [b"b"]])
    w = np.array([1., 1., 1., 3., 0., 1.], np.float32)
    est = tf.estimator.BaselineClassifier(model_dir=str(tmp_path), n_classes=3,
                                          label_vocabulary=["a", "b", "c"], weight_column="w",
                                          optimizer=lambda: tf.train.GradientDescentOptimizer(
                                              0.1))
    est.train(_fn(labels, features={"x": X, "w": w}), steps=400)
    pred = next(est.predict(_fn(epochs=1)))  # the weight feature is not needed to predict
    freq = np.array([3., 2., 2.]) / 7  # weighted: a=3, b=1+1, c=1+1(+0)
    np.testing.assert_allclose(pred["probabilities"], freq, atol=2e-3)
    assert pred["classes"] == [b"a"]


def test_baseline_estimator_with_a_given_head(tmp_path):
    labels = np.array([[1, 0], [1, 1], [0, 0], [1, 0]])
    est = tf.estimator.BaselineEstimator(
        tf.estimator.MultiLabelHead(n_classes=2),
        model_dir=str(tmp_path), optimizer=lambda: tf.train.GradientDescentOptimizer(0.5))
    est.train(_fn(labels, features={"x": X[:4]}, batch_size=4), steps=300)
    pred = next(est.predict(_fn(features={"x": X[:1]}, epochs=1, batch_size=1)))
    np.testing.assert_allclose(pred["probabilities"], labels.mean(0), atol=2e-3)
    contrib = tf.estimator.BaselineEstimator(
        tf.contrib.estimator.regression_head(), model_dir=str(tmp_path / "c"),
        optimizer=lambda: tf.train.GradientDescentOptimizer(0.1))
    contrib.train(_fn(Y), steps=200)
    np.testing.assert_allclose(contrib.get_variable_value("baseline/bias"), [Y.mean()],
                               rtol=1e-4)


# -- errors --------------------------------------------------------------------------------------
def test_errors(tmp_path):
    with pytest.raises(ValueError, match="n_classes must be > 2: 1"):
        tf.estimator.BaselineClassifier(n_classes=1)
    with pytest.raises(ValueError, match="Invalid loss_reduction: none"):
        tf.estimator.BaselineRegressor(loss_reduction="none")
    with pytest.raises(TypeError, match="Weight column must be either a string or "
                       "_NumericColumn"):
        est = tf.estimator.BaselineClassifier(model_dir=str(tmp_path / "w"), weight_column=3)
        est.train(_fn(YC), steps=1)
    est = tf.estimator.BaselineRegressor(model_dir=str(tmp_path / "e"))
    with pytest.raises(ValueError, match="at least one feature"):
        est.train(lambda: ({}, tf.constant(Y)), steps=1)
    with pytest.raises(tf.errors.InvalidArgumentError):  # features' batch sizes differ
        est.train(lambda: ({"a": tf.zeros([6, 1]), "b": tf.zeros([5, 1])}, tf.constant(Y)),
                  steps=1)
    with pytest.raises(ValueError, match="Unsupported optimizer name"):
        tf.estimator.BaselineRegressor(model_dir=str(tmp_path / "o"),
                                       optimizer="Nope").train(_fn(Y), steps=1)


# -- TensorFlow ----------------------------------------------------------------------------------
def test_ftrl_bias_against_tensorflow(tmp_path):
    """The numpy Ftrl above, and the estimator, against TF's FtrlOptimizer on the same
    bias-only SUM loss."""
    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        bias = tf1.get_variable("bias", [1], initializer=tf1.zeros_initializer())
        loss = tf1.reduce_sum(tf1.square(bias * tf1.ones([6, 1]) - Y.reshape(6, 1)))
        step = tf1.train.FtrlOptimizer(0.3).minimize(loss)
        with tf1.Session(graph=g) as sess:
            sess.run(tf1.global_variables_initializer())
            for _ in range(5):
                sess.run(step)
            want = sess.run(bias)
    est = tf.estimator.BaselineRegressor(model_dir=str(tmp_path))
    est.train(_fn(Y), steps=5)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), want, rtol=1e-5)
    np.testing.assert_allclose(_numpy_ftrl(lambda b: 2 * np.sum(b - Y), 5), want, rtol=1e-5)
