"""tf.keras Model.compile/fit/evaluate/predict (TF1 graph-mode semantics) against numpy:
training reduces the loss on a separable problem, history keys, evaluate/predict batching,
generators, callbacks, errors. The side-by-side run against tf_keras is the last test."""

import os

import numpy as np
import pytest

import minitf as tf
from minitf import keras
from minitf.keras import backend as K  # noqa: N812 - Keras' own spelling

from .legacy_tf import run_against_tf

RNG = np.random.default_rng(7)
X = RNG.normal(size=(64, 2)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.float32)[:, None]  # linearly separable


@pytest.fixture(autouse=True)
def _fresh_graph():
    K.clear_session()
    np.random.seed(0)  # fit's shuffling
    yield
    K.clear_session()


def classifier(**compile_kw):
    model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(2,),
                                                 kernel_initializer="zeros")])
    model.compile(**dict(dict(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy",
                              metrics=["accuracy"]), **compile_kw))
    return model


def test_fit_reduces_loss_and_reports_keras_history_keys(capsys):
    model = classifier()
    history = model.fit(X, Y, epochs=15, batch_size=16, verbose=0, validation_split=0.25)
    assert capsys.readouterr().out == ""
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == list(range(15)) and model.history is history
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * np.log(2)  # from zero weights: ln 2
    assert history.history["accuracy"][-1] >= 0.9
    assert model.metrics_names == ["loss", "accuracy"]
    # evaluate and predict against the trained weights, recomputed in numpy
    w, b = model.get_weights()
    p = 1 / (1 + np.exp(-(X @ w + b)))
    bce = -(Y * np.log(p + 1e-7) + (1 - Y) * np.log(1 - p + 1e-7)).mean()
    acc = ((p > 0.5) == Y).mean()
    loss_value, acc_value = model.evaluate(X, Y, batch_size=10, verbose=0)
    assert np.isclose(loss_value, bce, rtol=1e-4) and np.isclose(acc_value, acc)
    np.testing.assert_allclose(model.predict(X, batch_size=7), p, rtol=1e-5)


def test_verbose_fit_prints_one_line_per_epoch(capsys):
    classifier().fit(X, Y, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out and "accuracy:" in out


def test_loss_is_weighted_mean_plus_regularization_and_metric_names():
    model = keras.Sequential([keras.layers.Dense(
        1, input_shape=(2,), kernel_initializer="ones", bias_initializer="zeros",
        kernel_regularizer=keras.regularizers.l2(0.1))])
    model.compile("sgd", "mse", metrics=["mae", "acc", keras.metrics.mean_squared_error])
    assert model.metrics_names == ["loss", "mae", "acc", "mean_squared_error"]
    sw = RNG.uniform(0, 2, size=64).astype(np.float32)
    loss, mae, _, mse = model.evaluate(X, Y, sample_weight=sw, batch_size=64, verbose=0)
    pred = X.sum(1, keepdims=True)
    se = ((pred - Y) ** 2)[:, 0]
    assert np.isclose(loss, (se * sw).mean() + 0.1 * 2, rtol=1e-5)  # l2(0.1) * |ones|^2
    assert np.isclose(mae, np.abs(pred - Y).mean(), rtol=1e-5)
    assert np.isclose(mse, se.mean(), rtol=1e-5)


def test_masked_output_loss_is_the_mean_over_valid_steps():
    model = keras.Sequential([keras.layers.Embedding(4, 2, mask_zero=True, input_length=3),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    tokens = np.array([[1, 2, 0], [3, 0, 0]])
    y = RNG.normal(size=(2, 3, 1)).astype(np.float32)
    err = ((model.predict(tokens) - y) ** 2)[..., 0]
    valid = tokens > 0
    assert np.isclose(model.evaluate(tokens, y, verbose=0), err[valid].mean(), rtol=1e-5)


def test_evaluate_averages_batches_by_size():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    x, y = X[:10], Y[:10]
    err = ((model.predict(x) - y) ** 2)[:, 0]
    for batch_size in (1, 3, 4, 10, 32):
        assert np.isclose(model.evaluate(x, y, batch_size=batch_size, verbose=0), err.mean(),
                          rtol=1e-5)
    assert model.predict(x, batch_size=3).shape == (10, 1)
    assert np.isclose(model.test_on_batch(x, y), err.mean(), rtol=1e-5)


def test_multi_input_multi_output_dict_data_and_loss_weights():
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(3,), name="b")
    h = keras.layers.Dense(4, activation="tanh")(keras.layers.concatenate([a, b]))
    out1 = keras.layers.Dense(3, activation="softmax", name="cls")(h)
    out2 = keras.layers.Dense(1, name="reg")(h)
    model = keras.Model([a, b], [out1, out2])
    model.compile("adam", {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights=[1.0, 0.25], metrics={"cls": "accuracy"})
    xs = {"a": X, "b": RNG.normal(size=(64, 3))}
    ys = {"cls": RNG.integers(0, 3, size=64), "reg": RNG.normal(size=(64, 1))}
    history = model.fit(xs, ys, epochs=2, batch_size=64, verbose=0)
    assert sorted(history.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    loss, cls_loss, reg_loss, _ = model.evaluate(xs, ys, batch_size=64, verbose=0)
    assert np.isclose(loss, cls_loss + 0.25 * reg_loss, rtol=1e-5)
    p_cls, p_reg = model.predict([X, xs["b"]])
    assert p_cls.shape == (64, 3) and p_reg.shape == (64, 1)
    with pytest.raises(ValueError, match='No data provided for "reg"'):
        model.fit(xs, {"cls": ys["cls"]}, verbose=0)
    with pytest.raises(ValueError, match="one entry per model output"):
        model.compile("adam", ["mse"])


def test_clear_errors_for_mismatched_data():
    model = classifier()
    with pytest.raises(ValueError, match=r"expected dense_input to have shape \(2,\) but got "
                                         r"array with shape \(3,\)"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    with pytest.raises(ValueError, match="Found 4 input samples and 5 target samples"):
        model.fit(np.ones((4, 2)), np.ones((5, 1)), verbose=0)
    with pytest.raises(ValueError, match="expected dense to have shape"):
        model.evaluate(np.ones((4, 2)), np.ones((4, 2)), verbose=0)
    with pytest.raises(RuntimeError, match="must compile your model"):
        keras.Sequential([keras.layers.Dense(1, input_shape=(2,))]).fit(X, Y, verbose=0)
    with pytest.raises(TypeError, match="Invalid keyword argument"):
        model.compile("sgd", "mse", bogus=1)
    with pytest.raises(ValueError, match="Unknown loss function"):
        model.compile("sgd", "nope")


def test_subclassed_and_deferred_models_are_built_from_the_data():
    class TwoLayer(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(1, activation="sigmoid")

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    for model in (TwoLayer(), keras.Sequential([keras.layers.Dense(8, activation="relu"),
                                                keras.layers.Dense(1, activation="sigmoid")])):
        model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["acc"])
        history = model.fit(X, Y, epochs=10, batch_size=16, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
        assert history.history["acc"][-1] > 0.8
        assert model.predict(X).shape == (64, 1) and len(model.inputs) == 1


def test_updates_run_in_training_and_learning_phase_is_fed():
    model = keras.Sequential([keras.layers.BatchNormalization(input_shape=(2,), momentum=0.5),
                              keras.layers.Dropout(0.999), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    bn = model.layers[0]
    before = K.get_value(bn.moving_mean)
    model.train_on_batch(X + 3.0, Y)
    after = K.get_value(bn.moving_mean)
    np.testing.assert_allclose(after, before * 0.5 + 0.5 * (X + 3.0).mean(0), rtol=1e-4)
    # inference: dropout off and the moving statistics used -> deterministic predictions
    np.testing.assert_array_equal(model.predict(X), model.predict(X))


def test_tf1_optimizer_and_class_weight():
    model = classifier(optimizer=tf.train.GradientDescentOptimizer(0.5))
    history = model.fit(X, Y, epochs=5, verbose=0, class_weight={0: 1.0, 1: 3.0})
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(ValueError, match="must contain all classes"):
        model.fit(X, Y, verbose=0, class_weight={0: 1.0})


class Batches(keras.utils.Sequence):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return X[i * 16:(i + 1) * 16], Y[i * 16:(i + 1) * 16]


def test_generators_sequences_and_datasets():
    model = classifier()
    model.fit(Batches(), epochs=3, verbose=0)
    arrays = model.evaluate(X, Y, batch_size=16, verbose=0)
    np.testing.assert_allclose(model.evaluate_generator(Batches()), arrays, rtol=1e-5)

    def gen():
        while True:
            for i in range(4):
                yield X[i * 16:(i + 1) * 16], Y[i * 16:(i + 1) * 16]

    history = model.fit_generator(gen(), steps_per_epoch=4, epochs=2, verbose=0,
                                  validation_data=Batches())
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    np.testing.assert_allclose(model.predict_generator(gen(), steps=4), model.predict(X),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="steps_per_epoch=None"):
        model.fit_generator(gen(), verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16)
    np.testing.assert_allclose(model.evaluate(dataset, verbose=0),
                               model.evaluate(X, Y, batch_size=16, verbose=0), rtol=1e-5)
    model.fit(dataset, epochs=1, verbose=0)


def test_callbacks(tmp_path):
    model = classifier()
    seen = []
    lam = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))
    sched = keras.callbacks.LearningRateScheduler(lambda epoch: 0.5 / (epoch + 1))
    csv_path = tmp_path / "log.csv"
    history = model.fit(X, Y, epochs=3, verbose=0, validation_split=0.25, callbacks=[
        lam, sched, keras.callbacks.CSVLogger(str(csv_path)),
        keras.callbacks.TensorBoard(str(tmp_path / "tb"))])
    assert seen == [0, 1, 2]
    assert np.allclose(history.history["lr"], [0.5, 0.25, 0.5 / 3])
    assert np.isclose(K.get_value(model.optimizer.lr), 0.5 / 3)
    lines = csv_path.read_text().splitlines()
    assert lines[0].split(",") == ["epoch", "accuracy", "loss", "lr", "val_accuracy",
                                   "val_loss"] and len(lines) == 4
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(tmp_path / "tb"))
    # EarlyStopping: patience 0 with a loss that cannot improve (lr 0) stops after epoch 2.
    K.set_value(model.optimizer.lr, 0.0)
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0)
    history = model.fit(X, Y, epochs=10, verbose=0, shuffle=False, callbacks=[stop])
    assert len(history.epoch) == 2
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0)
    K.set_value(model.optimizer.lr, 0.2)
    model.optimizer  # noqa: B018
    history = model.fit(X, Y, epochs=3, verbose=0, callbacks=[plateau])
    assert history.history["lr"][0] == pytest.approx(0.2)


def test_model_checkpoint_and_terminate_on_nan(tmp_path):
    model = classifier()
    path = str(tmp_path / "w_{epoch:02d}")
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[
        keras.callbacks.ModelCheckpoint(path, monitor="loss", save_weights_only=True)])
    assert any(name.startswith("w_02") for name in os.listdir(tmp_path))
    weights = model.get_weights()
    model.set_weights([np.zeros_like(w) for w in weights])
    model.load_weights(str(tmp_path / "w_02"))
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_allclose(a, b)
    bad = X.copy()
    bad[0, 0] = np.nan
    history = model.fit(bad, Y, epochs=5, batch_size=64, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN()])
    assert len(history.epoch) == 1


def test_utils():
    np.testing.assert_array_equal(keras.utils.to_categorical([0, 2, 1]), np.eye(3)[[0, 2, 1]])
    assert keras.utils.to_categorical([[1], [0]], 3).shape == (2, 3)
    np.testing.assert_allclose(keras.utils.normalize([[3.0, 4.0]]), [[0.6, 0.8]])
    with pytest.raises(RuntimeError, match="network"):
        keras.utils.get_file("x.tgz", "http://example.com/x.tgz")
    with pytest.raises(ImportError, match="pydot"):
        keras.utils.plot_model(None)


def test_training_matches_tf_keras():
    run_against_tf("keras_training_vs_tf.py", 39)
