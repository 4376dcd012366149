"""tf.keras.estimator.model_to_estimator (TF 1.15): the Estimator starts from the Keras model's
weights (model_dir/keras/keras_model.ckpt), trains as Keras' fit does on the same batches
(checked against Keras and against numpy gradient descent), evaluates the compiled loss and
metrics, predicts with the learning phase off, and exports a SavedModel minitf serves."""

from __future__ import annotations

import os

import numpy as np
import pytest

import minitf as tf
from minitf.export import load_saved_model

from .legacy_tf import run_against_tf

keras = tf.keras
numpy_input_fn = tf.estimator.inputs.numpy_input_fn


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g
    tf.summary.FileWriterCache.clear()


def _data(n=32, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 3).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    return x, y


def _mlp(optimizer=None, metrics=("mae",), **layer_kwargs):
    inp = keras.Input((3,), name="feat")
    h = keras.layers.Dense(4, activation="tanh", name="h", **layer_kwargs)(inp)
    out = keras.layers.Dense(1, name="out")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer or keras.optimizers.SGD(0.05), "mse", metrics=list(metrics))
    return model


def _config(**kw):
    kw.setdefault("save_summary_steps", 1000)
    kw.setdefault("log_step_count_steps", None)
    return tf.estimator.RunConfig(**kw)


def _train_fn(x, y, batch=8, epochs=1):
    return numpy_input_fn(x, y, batch_size=batch, num_epochs=epochs, shuffle=False)


def _weights(est, model):
    return [est.get_variable_value(w.op.name) for w in model.weights]


def test_first_checkpoint_and_predictions_are_the_keras_models(tmp_path):
    x, y = _data()
    model = _mlp()
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)  # trained weights
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path), config=_config())
    ckpt = tmp_path / "keras" / "keras_model.ckpt"
    assert os.path.exists(str(ckpt) + ".index")  # TF's checkpoint format, where TF puts it
    reader = tf.train.load_checkpoint(str(ckpt))
    for w, value in zip(model.weights, model.get_weights()):
        np.testing.assert_array_equal(reader.get_tensor(w.op.name), value)
    assert est.latest_checkpoint() is None  # warm start, not model_dir's own checkpoint
    preds = list(est.predict(numpy_input_fn({"feat": x}, shuffle=False, batch_size=10)))
    assert set(preds[0]) == {"out"}  # keyed by the output names
    np.testing.assert_allclose(np.stack([p["out"] for p in preds]), model.predict(x),
                               rtol=1e-6, atol=1e-7)
    # A single-input model also takes its features as one tensor.
    preds = list(est.predict(numpy_input_fn(x, shuffle=False, batch_size=10)))
    np.testing.assert_allclose(np.stack([p["out"] for p in preds]), model.predict(x),
                               rtol=1e-6, atol=1e-7)


def test_evaluate_equals_keras_evaluate(tmp_path):
    x, y = _data()
    model = _mlp(metrics=("mae", "mse"))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path), config=_config())
    got = est.evaluate(_train_fn(x, y))
    want = dict(zip(model.metrics_names, model.evaluate(x, y, batch_size=8, verbose=0)))
    # TF 1.x's metric names (the functions' names), as model.metrics_names has them
    assert set(got) == {"loss", "mean_absolute_error", "mean_squared_error", "global_step"}
    for key in ("loss", "mean_absolute_error", "mean_squared_error"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5)
    pred = model.predict(x)
    np.testing.assert_allclose(got["mean_absolute_error"], np.abs(pred - y).mean(),
                               rtol=1e-5)  # numpy
    assert got["global_step"] == 0


def test_training_matches_keras_fit_and_numpy_sgd(tmp_path):
    """SGD, one batch per step, the same order: the Estimator's weights after an epoch are
    Keras fit's; for a linear model also numpy's gradient descent."""
    x, y = _data()
    model = _mlp()
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path / "mlp"),
                                             config=_config())
    before = est.evaluate(_train_fn(x, y))["loss"]
    est.train(_train_fn(x, y, epochs=3))
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert est.get_variable_value("global_step") == 12
    for got, want in zip(_weights(est, model), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    after = est.evaluate(_train_fn(x, y))["loss"]
    assert after < before  # (how much less depends on the unseeded initial weights)

    inp = keras.Input((3,), name="x")
    linear = keras.Model(inp, keras.layers.Dense(1, name="lin")(inp))
    linear.compile(keras.optimizers.SGD(0.1), "mse")
    w, b = [a.astype(np.float64) for a in linear.get_weights()]
    est = keras.estimator.model_to_estimator(linear, model_dir=str(tmp_path / "lin"),
                                             config=_config())
    est.train(_train_fn(x, y, epochs=2))
    for _ in range(2):
        for i in range(0, 32, 8):
            xb, yb = x[i:i + 8].astype(np.float64), y[i:i + 8].astype(np.float64)
            err = xb @ w + b - yb
            w, b = w - 0.1 * 2 * xb.T @ err / 8, b - 0.1 * 2 * err.mean(0)
    np.testing.assert_allclose(est.get_variable_value("lin/kernel"), w, rtol=1e-5)
    np.testing.assert_allclose(est.get_variable_value("lin/bias"), b, rtol=1e-5)


def test_adam_regularizer_and_batchnorm_train_as_fit(tmp_path):
    """Adam's slots, the L2 regularization loss and BatchNormalization's moving averages (the
    learning phase is 1 in training): as Keras fit."""
    x, y = _data()
    inp = keras.Input((3,), name="feat")
    h = keras.layers.Dense(4, name="h", use_bias=False,  # a bias before BN: rounding noise
                           kernel_regularizer=keras.regularizers.l2(0.01))(inp)
    h = keras.layers.BatchNormalization(name="bn")(h)
    out = keras.layers.Dense(1, name="out")(keras.layers.Activation("relu")(h))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path), config=_config())
    est.train(_train_fn(x, y, epochs=2))
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    names = [w.op.name for w in model.weights]
    assert "bn/moving_mean" in names
    for name, got, want in zip(names, _weights(est, model), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=name)
    # evaluate: BN uses the moving statistics (learning phase 0), as Keras' evaluate
    got = est.evaluate(_train_fn(x, y))["loss"]
    np.testing.assert_allclose(got, model.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-4)


def test_dropout_is_off_in_predict_and_eval(tmp_path):
    x, y = _data()
    inp = keras.Input((3,), name="feat")
    out = keras.layers.Dense(1, name="out")(keras.layers.Dropout(0.5)(
        keras.layers.Dense(8, name="h")(inp)))
    model = keras.Model(inp, out)
    model.compile("sgd", "mse")
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path), config=_config())
    preds = np.stack([p["out"] for p in est.predict(numpy_input_fn({"feat": x},
                                                                   shuffle=False))])
    np.testing.assert_allclose(preds, model.predict(x), rtol=1e-6)
    np.testing.assert_allclose(est.evaluate(_train_fn(x, y))["loss"],
                               model.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5)


def test_multi_input_multi_output(tmp_path):
    """Dict features and labels keyed by the model's input and output names; loss weights and
    per-output metrics named as model.metrics_names names them."""
    rng = np.random.RandomState(1)
    a, b = rng.randn(24, 2).astype(np.float32), rng.randn(24, 3).astype(np.float32)
    ya, yb = rng.randn(24, 1).astype(np.float32), rng.randn(24, 2).astype(np.float32)
    ia, ib = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    merged = keras.layers.Concatenate()([ia, ib])
    oa = keras.layers.Dense(1, name="ya")(merged)
    ob = keras.layers.Dense(2, name="yb")(merged)
    model = keras.Model([ia, ib], [oa, ob])
    model.compile(keras.optimizers.SGD(0.1), ["mse", "mae"], loss_weights=[1.0, 0.5],
                  metrics=["mae"])
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path), config=_config())

    def fn(epochs=1):
        return numpy_input_fn({"a": a, "b": b}, {"ya": ya, "yb": yb}, batch_size=8,
                              num_epochs=epochs, shuffle=False)

    got = est.evaluate(fn())
    want = dict(zip(model.metrics_names, model.evaluate([a, b], [ya, yb], batch_size=8,
                                                        verbose=0)))
    assert set(got) == {"loss", "global_step", "ya_mean_absolute_error",
                        "yb_mean_absolute_error"}
    for key in ("loss", "ya_mean_absolute_error", "yb_mean_absolute_error"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5)
    pa, pb = model.predict([a, b])
    want_loss = ((pa - ya) ** 2).mean() + 0.5 * np.abs(pb - yb).mean()  # numpy
    np.testing.assert_allclose(got["loss"], want_loss, rtol=1e-5)
    preds = list(est.predict(numpy_input_fn({"a": a, "b": b}, shuffle=False)))
    assert set(preds[0]) == {"ya", "yb"}
    np.testing.assert_allclose(np.stack([p["yb"] for p in preds]), pb, rtol=1e-6)
    est.train(fn(epochs=2))
    model.fit([a, b], [ya, yb], batch_size=8, epochs=2, shuffle=False, verbose=0)
    for got_w, want_w in zip(_weights(est, model), model.get_weights()):
        np.testing.assert_allclose(got_w, want_w, rtol=1e-5, atol=1e-6)

    with pytest.raises(KeyError, match="does not have the expected inputs keys"):
        next(est.predict(numpy_input_fn({"a": a, "c": b}, shuffle=False)))
    with pytest.raises(KeyError, match="does not have the expected outputs keys"):
        est.evaluate(numpy_input_fn({"a": a, "b": b}, {"ya": ya}, shuffle=False))
    with pytest.raises(ValueError, match="The model has 2 inputs"):
        next(est.predict(numpy_input_fn(a, shuffle=False)))


def test_sample_weights_weight_loss_and_weighted_metrics(tmp_path):
    x, y = _data()
    sw = np.linspace(0.0, 2.0, 32).astype(np.float32)
    inp = keras.Input((3,), name="feat")
    model = keras.Model(inp, keras.layers.Dense(1, name="out")(inp))
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mse"])
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path), config=_config())
    got = est.evaluate(numpy_input_fn({"features": x, "sample_weights": sw}, y,
                                      batch_size=8, shuffle=False, num_epochs=1))
    want = dict(zip(model.metrics_names, model.evaluate(x, y, sample_weight=sw, batch_size=8,
                                                        verbose=0)))
    for key in ("loss", "mean_absolute_error", "weighted_mean_squared_error"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, err_msg=key)
    err = (model.predict(x) - y)[:, 0] ** 2
    np.testing.assert_allclose(got["weighted_mean_squared_error"], (sw * err).sum() / sw.sum(),
                               rtol=1e-5)  # numpy
    np.testing.assert_allclose(got["loss"], np.mean([(sw[i:i + 8] * err[i:i + 8]).mean()
                                                     for i in range(0, 32, 8)]), rtol=1e-5)


def test_tf_train_optimizer_and_keras_model_path(tmp_path):
    x, y = _data()
    model = _mlp(optimizer=tf.train.GradientDescentOptimizer(0.05))
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path / "tfopt"),
                                             config=_config())
    est.train(_train_fn(x, y))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert est.get_variable_value("global_step") == 4
    for got, want in zip(_weights(est, model), model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

    saved = _mlp()
    saved.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    saved.save(str(tmp_path / "saved"))
    est = keras.estimator.model_to_estimator(keras_model_path=str(tmp_path / "saved"),
                                             model_dir=str(tmp_path / "frompath"),
                                             config=_config())
    preds = np.stack([p["out"] for p in est.predict(numpy_input_fn({"feat": x},
                                                                   shuffle=False))])
    np.testing.assert_allclose(preds, saved.predict(x), rtol=1e-6, atol=1e-7)


def test_existing_first_checkpoint_is_kept(tmp_path):
    x, _ = _data()
    first = _mlp()
    keras.estimator.model_to_estimator(first, model_dir=str(tmp_path), config=_config())
    other = _mlp()  # other random weights: the checkpoint already there wins, as TF's
    est = keras.estimator.model_to_estimator(other, model_dir=str(tmp_path), config=_config())
    preds = np.stack([p["out"] for p in est.predict(numpy_input_fn({"feat": x},
                                                                   shuffle=False))])
    np.testing.assert_allclose(preds, first.predict(x), rtol=1e-6, atol=1e-7)
    assert not np.allclose(preds, other.predict(x))


def test_errors(tmp_path):
    inp = keras.Input((3,), name="feat")
    uncompiled = keras.Model(inp, keras.layers.Dense(1)(inp))
    with pytest.raises(ValueError, match="has not been compiled yet"):
        keras.estimator.model_to_estimator(uncompiled, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Either `keras_model` or `keras_model_path`"):
        keras.estimator.model_to_estimator()
    model = _mlp()
    with pytest.raises(ValueError, match="but not both"):
        keras.estimator.model_to_estimator(model, keras_model_path=str(tmp_path))
    with pytest.raises(ValueError, match='must be one of "checkpoint" or "saver"'):
        keras.estimator.model_to_estimator(model, model_dir=str(tmp_path),
                                           checkpoint_format="h5")
    with pytest.raises(ValueError, match="set both in constructor and `RunConfig`"):
        keras.estimator.model_to_estimator(model, model_dir=str(tmp_path / "a"),
                                           config=_config(model_dir=str(tmp_path / "b")))
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path / "m"),
                                             config=_config())
    x, y = _data()
    with pytest.raises(KeyError, match="Difference: {'wrong'}"):
        next(est.predict(numpy_input_fn({"feat": x, "wrong": x}, shuffle=False)))
    with pytest.raises(ValueError, match="needs labels"):
        est.evaluate(numpy_input_fn({"feat": x}, shuffle=False))
    assert est.model_dir == str(tmp_path / "m")


def test_export_serves_keras_predictions(tmp_path):
    """export_saved_model after training: the SavedModel `minitf serve` loads answers as the
    Keras model trained the same way, through minitf's loader and its Servable."""
    from minitf.serving.servable import Servable

    x, y = _data()
    model = _mlp()
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path / "m"),
                                             config=_config())
    est.train(_train_fn(x, y))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
        {"feat": tf.placeholder(tf.float32, [None, 3], name="feat")})
    path = os.fsdecode(est.export_saved_model(str(tmp_path / "export"), receiver))
    expected = model.predict(x[:5])
    loaded = load_saved_model(path)
    sig = loaded.signatures["serving_default"]
    assert set(sig.inputs) == {"feat"} and set(sig.outputs) == {"out"}
    with tf.Session(graph=loaded.graph) as sess:
        got = sess.run(loaded.tensor(sig.outputs["out"].name),
                       {loaded.tensor(sig.inputs["feat"].name): x[:5]})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    servable = Servable("keras", 1, loaded)
    runner = servable.signature("serving_default")
    served = runner.run([x[:5]], ("out",))
    np.testing.assert_allclose(served["out"], expected, rtol=1e-5, atol=1e-6)


def test_against_tensorflow():
    """TF reads the first checkpoint and the exported SavedModel; tf_keras' fit on the same
    batches ends at the Estimator's weights (tests/core/data/keras_estimator_vs_tf.py)."""
    run_against_tf("keras_estimator_vs_tf.py", 3)


def test_masked_outputs_loss_and_metrics(tmp_path):
    """A Keras mask on the output: the loss is the mean over the valid timesteps, as
    compile's (tf_keras' apply_valid_mask), and so are the metrics."""
    rng = np.random.RandomState(0)
    x = rng.randn(16, 4, 2).astype(np.float32)
    x[:, 3:] = 0
    x[::2, 2:] = 0
    y = rng.randn(16, 4, 1).astype(np.float32)
    inp = keras.Input((4, 2), name="seq")
    model = keras.Model(inp, keras.layers.Dense(1, name="o")(keras.layers.Masking()(inp)))
    model.compile("sgd", "mse", metrics=["mae"])
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path), config=_config())
    got = est.evaluate(numpy_input_fn({"seq": x}, y, batch_size=8, shuffle=False))
    want = model.evaluate(x, y, batch_size=8, verbose=0)
    np.testing.assert_allclose([got["loss"], got["mean_absolute_error"]], want, rtol=1e-5)
    valid = np.any(x != 0, axis=-1)
    err = (model.predict(x) - y)[..., 0]
    np.testing.assert_allclose(got["mean_absolute_error"], np.abs(err)[valid].mean(),
                               rtol=1e-5)  # numpy


def test_warm_start_takes_trainable_variables_only(tmp_path):
    """As TF 1.15 (warm_start_from=<path>: vars_to_warm_start='.*', the trainable ones): the
    first checkpoint holds BatchNormalization's moving statistics, but the Estimator starts
    them from their initializers."""
    x, y = _data()
    inp = keras.Input((3,), name="feat")
    out = keras.layers.Dense(1, name="out")(keras.layers.BatchNormalization(name="bn")(inp))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(x + 3.0, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    moving_mean = model.get_layer("bn").moving_mean
    trained = keras.backend.get_value(moving_mean)
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path), config=_config())
    reader = tf.train.load_checkpoint(str(tmp_path / "keras" / "keras_model.ckpt"))
    np.testing.assert_array_equal(reader.get_tensor("bn/moving_mean"), trained)
    est.train(_train_fn(x, y), steps=1)
    np.testing.assert_allclose(est.get_variable_value("out/kernel"),
                               model.get_weights()[-2], atol=0.2)  # warm-started, one step
    gamma = est.get_variable_value("bn/gamma")
    assert np.all(np.abs(gamma - model.get_layer("bn").get_weights()[0]) < 0.05)
    # the moving mean moved from 0 (its initializer) by one step of momentum 0.99
    batch_mean = x[:8].mean(0)
    np.testing.assert_allclose(est.get_variable_value("bn/moving_mean"), 0.01 * batch_mean,
                               rtol=1e-4, atol=1e-6)
