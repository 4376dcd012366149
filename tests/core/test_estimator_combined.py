"""tf.estimator's DNNLinearCombined ("wide & deep") estimators: one training step checked
against a numpy forward and backward pass (each part's optimizer on its own variables, the
global step counted once), TF's default optimizers and learning rates, variable names,
classification end to end, and the argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

A = tf.feature_column.numeric_column("a")
B = tf.feature_column.numeric_column("b")


@pytest.fixture(autouse=True)
def _clear_writers():
    yield
    tf.summary.FileWriterCache.clear()


def _data(n=6, seed=0):
    rng = np.random.RandomState(seed)
    a, b = rng.randn(n).astype(np.float32), rng.randn(n).astype(np.float32)
    y = (2 * a - b + 0.5).astype(np.float32)
    return {"a": a, "b": b}, y


def _input(features, y):
    return tf.estimator.inputs.numpy_input_fn(features, y, batch_size=len(y), shuffle=False)


def _regressor(model_dir, linear_optimizer, dnn_optimizer):
    return tf.estimator.DNNLinearCombinedRegressor(
        model_dir=str(model_dir), linear_feature_columns=[A], dnn_feature_columns=[B],
        dnn_hidden_units=[3], linear_optimizer=linear_optimizer, dnn_optimizer=dnn_optimizer,
        config=tf.estimator.RunConfig(tf_random_seed=7))


LINEAR = ["linear/linear_model/a/weights", "linear/linear_model/bias_weights"]
DNN = ["dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_0/bias", "dnn/logits/kernel",
       "dnn/logits/bias"]


def _values(est):
    return {name: est.get_variable_value(name) for name in LINEAR + DNN}


def _numpy_gradients(w, features, y):
    """Gradients of the v1 regression head's loss (the batch's sum of squared errors) of
    pred = a * w_a + bias + relu(b @ K0 + b0) @ K1 + b1."""
    a, b = features["a"][:, None], features["b"][:, None]
    wa, bias = w[LINEAR[0]], w[LINEAR[1]]
    k0, b0, k1, b1 = (w[n] for n in DNN)
    pre = b @ k0 + b0
    h = np.maximum(pre, 0)
    pred = a @ wa + bias + h @ k1 + b1
    d = 2 * (pred - y[:, None])
    dh = (d @ k1.T) * (pre > 0)
    return {LINEAR[0]: a.T @ d, LINEAR[1]: d.sum(0), DNN[0]: b.T @ dh, DNN[1]: dh.sum(0),
            DNN[2]: h.T @ d, DNN[3]: d.sum(0)}


def test_one_step_against_numpy(tmp_path):
    features, y = _data()
    frozen = tf.train.GradientDescentOptimizer(0.0)
    start = _regressor(tmp_path, frozen, frozen)
    start.train(_input(features, y), steps=1)  # learning rate 0: the initial values
    before = _values(start)
    assert start.get_variable_value("global_step") == 1
    est = _regressor(tmp_path, tf.train.GradientDescentOptimizer(0.1),
                     tf.train.GradientDescentOptimizer(0.05))
    est.train(_input(features, y), steps=1)
    after = _values(est)
    grads = _numpy_gradients(before, features, y)
    for name in LINEAR:
        np.testing.assert_allclose(after[name], before[name] - 0.1 * grads[name], rtol=1e-5,
                                   atol=1e-6, err_msg=name)
    for name in DNN:
        np.testing.assert_allclose(after[name], before[name] - 0.05 * grads[name], rtol=1e-5,
                                   atol=1e-6, err_msg=name)
    assert est.get_variable_value("global_step") == 2  # one increment for both optimizers


def test_default_optimizers_and_learning_rates(tmp_path):
    """Ftrl at min(0.005, 1/sqrt(1 column)) for the linear part, Adagrad at 0.001 for the
    DNN. From a zero weight, Ftrl's first step equals Adagrad's: -lr * g / sqrt(0.1 + g^2)
    (both start their accumulators at 0.1)."""
    features, y = _data()
    frozen = tf.train.GradientDescentOptimizer(0.0)
    start = _regressor(tmp_path / "start", frozen, frozen)
    start.train(_input(features, y), steps=1)
    before = _values(start)
    est = tf.estimator.DNNLinearCombinedRegressor(
        model_dir=str(tmp_path / "defaults"), linear_feature_columns=[A],
        dnn_feature_columns=[B], dnn_hidden_units=[3],
        config=tf.estimator.RunConfig(tf_random_seed=7))
    est.train(_input(features, y), steps=1)
    names = est.get_variable_names()
    assert "linear/linear_model/a/weights/Ftrl" in names
    assert "dnn/hiddenlayer_0/kernel/Adagrad" in names
    after = _values(est)
    grads = _numpy_gradients(before, features, y)
    for name, lr in [(n, 0.005) for n in LINEAR] + [(n, 0.001) for n in DNN]:
        g = grads[name]
        np.testing.assert_allclose(after[name], before[name] - lr * g / np.sqrt(0.1 + g * g),
                                   rtol=1e-5, atol=1e-7, err_msg=name)


def test_classifier_trains_predicts_and_names(tmp_path):
    rng = np.random.RandomState(1)
    x = rng.randn(240, 2).astype(np.float32)
    labels = (x[:, 0] + 2 * x[:, 1] > 0).astype(np.int64)
    features = {"a": x[:, 0], "b": x[:, 1]}
    est = tf.estimator.DNNLinearCombinedClassifier(
        model_dir=str(tmp_path), linear_feature_columns=[A, B], dnn_feature_columns=[A, B],
        dnn_hidden_units=[8], linear_optimizer=tf.train.FtrlOptimizer(0.1),
        dnn_optimizer=tf.train.AdagradOptimizer(0.1),
        config=tf.estimator.RunConfig(tf_random_seed=3))
    est.train(tf.estimator.inputs.numpy_input_fn(features, labels, batch_size=32,
                                                 num_epochs=None, shuffle=True), steps=200)
    result = est.evaluate(_input(features, labels))
    assert result["accuracy"] > 0.95 and result["global_step"] == 200
    pred = next(est.predict(tf.estimator.inputs.numpy_input_fn(
        {"a": x[:1, 0], "b": x[:1, 1]}, shuffle=False)))
    assert pred["class_ids"][0] == labels[0]
    assert [n for n in est.get_variable_names() if "/" not in n or n.count("/") < 3] == [
        "dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_0/kernel", "dnn/logits/bias",
        "dnn/logits/kernel", "global_step", "linear/linear_model/bias_weights"]


def test_only_one_part(tmp_path):
    features, y = _data()
    linear_only = tf.estimator.DNNLinearCombinedRegressor(
        model_dir=str(tmp_path / "l"), linear_feature_columns=[A, B],
        linear_optimizer=tf.train.GradientDescentOptimizer(0.05))
    linear_only.train(tf.estimator.inputs.numpy_input_fn(features, y, batch_size=len(y),
                                                         num_epochs=None, shuffle=False),
                      steps=150)
    np.testing.assert_allclose(linear_only.get_variable_value("linear/linear_model/a/weights"),
                               [[2.0]], atol=0.05)
    assert not [n for n in linear_only.get_variable_names() if n.startswith("dnn")]
    dnn_only = tf.estimator.DNNLinearCombinedRegressor(
        model_dir=str(tmp_path / "d"), dnn_feature_columns=[A, B], dnn_hidden_units=[4])
    dnn_only.train(_input(features, y), steps=1)
    assert not [n for n in dnn_only.get_variable_names() if n.startswith("linear")]


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="Either linear_feature_columns or "
                                         "dnn_feature_columns must be defined"):
        tf.estimator.DNNLinearCombinedClassifier()
    with pytest.raises(ValueError, match="sparse_combiner"):
        tf.estimator.DNNLinearCombinedRegressor(linear_feature_columns=[A],
                                                linear_sparse_combiner="max")
    features, y = _data()
    est = tf.estimator.DNNLinearCombinedRegressor(model_dir=str(tmp_path),
                                                  dnn_feature_columns=[B])
    with pytest.raises(ValueError, match="dnn_hidden_units must be defined"):
        est.train(_input(features, y), steps=1)
    sharded = tf.estimator.DNNLinearCombinedRegressor(
        model_dir=str(tmp_path / "p"), linear_feature_columns=[A],
        input_layer_partitioner=lambda shape, dtype: [1, 1])
    with pytest.raises(tf.errors.UnimplementedError, match="input_layer_partitioner: minitf's "
                                                          "canned estimators do not partition"):
        sharded.train(_input(features, y), steps=1)
