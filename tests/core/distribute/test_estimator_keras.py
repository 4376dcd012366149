"""Estimator with RunConfig(train_distribute / eval_distribute) and Keras compile/fit inside a
strategy's scope: the same numbers as without a strategy (and as numpy's gradient descent)."""

import numpy as np
import pytest

import minitf as tf
from minitf.distribute.contrib import DistributeConfig

ds = tf.distribute
X = np.array([[1., 2.], [3., 4.], [5., 6.], [7., 8.]], np.float32)
Y = np.array([[1.], [2.], [3.], [4.]], np.float32)
LR = 0.01


def _input_fn():
    return tf.data.Dataset.from_tensor_slices((X, Y)).repeat().batch(2)


def _model_fn(features, labels, mode):
    w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
    b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    pred = tf.matmul(features, w) + b
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred})
    loss = tf.losses.mean_squared_error(labels, pred)
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(
            mode, loss=loss, eval_metric_ops={"mae": tf.metrics.mean_absolute_error(labels,
                                                                                     pred)})
    train_op = tf.train.GradientDescentOptimizer(LR).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def _numpy_gd(steps):
    w, b = np.zeros((2, 1)), np.zeros(1)
    for i in range(steps):
        x, y = X[2 * (i % 2):2 * (i % 2) + 2], Y[2 * (i % 2):2 * (i % 2) + 2]
        err = x @ w + b - y
        w, b = w - LR * 2 * x.T @ err / len(x), b - LR * 2 * err.mean(0)
    return w, b


def _train_eval_predict(tmp_path, **config):
    cfg = tf.estimator.RunConfig(log_step_count_steps=1000, **config)
    est = tf.estimator.Estimator(_model_fn, model_dir=str(tmp_path), config=cfg)
    est.train(_input_fn, steps=6)
    results = est.evaluate(_input_fn, steps=2)
    preds = [p["y"][0] for p in est.predict(lambda: tf.data.Dataset.from_tensor_slices(X)
                                            .batch(2))]
    return est.get_variable_value("w"), est.get_variable_value("b"), results, preds


@pytest.mark.parametrize("make", [ds.MirroredStrategy, lambda: ds.OneDeviceStrategy("/cpu:0"),
                                  ds.experimental.CentralStorageStrategy])
def test_estimator_with_strategies_matches_plain_and_numpy(tmp_path, make):
    s = make()
    w, b, res, preds = _train_eval_predict(tmp_path / "d", train_distribute=s,
                                           eval_distribute=s)
    w0, b0, res0, preds0 = _train_eval_predict(tmp_path / "p")
    want_w, want_b = _numpy_gd(6)
    np.testing.assert_allclose(w, want_w, rtol=1e-5)
    np.testing.assert_allclose(b, want_b, rtol=1e-5)
    np.testing.assert_allclose(w, w0)
    assert res.keys() == res0.keys() == {"loss", "mae", "global_step"}
    for key in res:
        np.testing.assert_allclose(res[key], res0[key])
    np.testing.assert_allclose(preds, (X @ want_w + want_b).ravel(), rtol=1e-5)
    np.testing.assert_allclose(preds, preds0)


def test_estimator_input_fn_gets_the_input_context(tmp_path):
    seen = []

    def input_fn(input_context=None):
        seen.append(input_context)
        return _input_fn()

    s = ds.MirroredStrategy()
    est = tf.estimator.Estimator(_model_fn, model_dir=str(tmp_path),
                                 config=tf.estimator.RunConfig(train_distribute=s))
    est.train(input_fn, steps=1)
    assert isinstance(seen[0], ds.InputContext) and seen[0].num_replicas_in_sync == 1
    with pytest.raises(ValueError, match="input_fn must return a tf.data.Dataset"):
        est.train(lambda: (tf.constant(X), tf.constant(Y)), steps=1)


def test_run_config_distribute_arguments():
    s, e = ds.MirroredStrategy(), ds.OneDeviceStrategy("/cpu:0")
    cfg = tf.estimator.RunConfig(train_distribute=s, eval_distribute=e)
    assert cfg.train_distribute is s and cfg.eval_distribute is e
    replaced = cfg.replace(train_distribute=None)
    assert replaced.train_distribute is None and replaced.eval_distribute is not None
    cfg = tf.estimator.RunConfig(experimental_distribute=DistributeConfig(s, e))
    assert (cfg.train_distribute, cfg.eval_distribute) == (s, e)
    with pytest.raises(ValueError, match="Either `train_distribute` or"):
        tf.estimator.RunConfig(train_distribute=s,
                               experimental_distribute=DistributeConfig(train_distribute=s))
    with pytest.raises(tf.errors.UnimplementedError, match="remote cluster"):
        tf.estimator.RunConfig(experimental_distribute=DistributeConfig(
            train_distribute=s, remote_cluster={"worker": ["a:1"]}))


def test_estimator_refuses_what_is_not_a_strategy(tmp_path):
    est = tf.estimator.Estimator(_model_fn, model_dir=str(tmp_path),
                                 config=tf.estimator.RunConfig(train_distribute="mirrored"))
    with pytest.raises(TypeError, match="must be a tf.distribute.Strategy"):
        est.train(_input_fn, steps=1)


def _keras_fit(optimizer, strategy):
    with tf.Graph().as_default():
        with (strategy or ds.get_strategy()).scope():
            model = tf.keras.Sequential([tf.keras.layers.Dense(
                1, kernel_initializer="zeros", input_shape=(2,))])
            model.compile(optimizer=optimizer(), loss="mse", metrics=["mae"])
            history = model.fit(X, Y, epochs=2, batch_size=2, verbose=0, shuffle=False)
            kinds = {type(v).__name__ for v in model.weights}
            return (history.history["loss"], model.get_weights(), model.evaluate(X, Y, verbose=0),
                    model.predict(X), kinds)


@pytest.mark.parametrize("optimizer", [lambda: tf.keras.optimizers.SGD(LR),
                                       lambda: tf.keras.optimizers.Adam(0.1),
                                       lambda: tf.train.GradientDescentOptimizer(LR)])
def test_keras_fit_in_a_strategy_scope_matches_no_strategy(optimizer):
    got = _keras_fit(optimizer, ds.MirroredStrategy())
    want = _keras_fit(optimizer, None)
    assert got[4] == {"MirroredVariable"} and want[4] == {"Variable"}
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    for g, w in zip(got[1], want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-6)
    np.testing.assert_allclose(got[3], want[3], rtol=1e-6)
