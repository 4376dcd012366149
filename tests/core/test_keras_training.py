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
    # TF 1.x's names ('accuracy' is 'acc'; TF 2's would keep the string given)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.epoch == list(range(15)) and model.history is history
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * np.log(2)  # from zero weights: ln 2
    assert history.history["acc"][-1] >= 0.9
    assert model.metrics_names == ["loss", "acc"]
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
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out and "acc:" in out


def test_loss_is_weighted_mean_plus_regularization_and_metric_names():
    model = keras.Sequential([keras.layers.Dense(
        1, input_shape=(2,), kernel_initializer="ones", bias_initializer="zeros",
        kernel_regularizer=keras.regularizers.l2(0.1))])
    model.compile("sgd", "mse", metrics=["mae", "acc", keras.metrics.mean_squared_error])
    assert model.metrics_names == ["loss", "mean_absolute_error", "acc", "mean_squared_error"]
    sw = RNG.uniform(0, 2, size=64).astype(np.float32)
    loss, mae, _, mse = model.evaluate(X, Y, sample_weight=sw, batch_size=64, verbose=0)
    pred = X.sum(1, keepdims=True)
    se = ((pred - Y) ** 2)[:, 0]
    assert np.isclose(loss, (se * sw).mean() + 0.1 * 2, rtol=1e-5)  # l2(0.1) * |ones|^2
    assert np.isclose(mae, np.abs(pred - Y).mean(), rtol=1e-5)
    assert np.isclose(mse, se.mean(), rtol=1e-5)


def test_per_pixel_losses_of_a_conv_output_take_per_sample_weights():
    # An autoencoder's or segmenter's mse keeps an (h, w) map per sample; fit's per-sample
    # weights (ones unless given) broadcast over it, so the loss is numpy's weighted mean.
    m = keras.Sequential([keras.layers.Conv2D(1, 1, kernel_initializer="ones", use_bias=False,
                                              input_shape=(4, 4, 1))])
    m.compile(keras.optimizers.SGD(0.0), "mse")
    x = np.arange(48, dtype=np.float32).reshape(3, 4, 4, 1) / 48
    y = np.ones((3, 4, 4, 1), np.float32)
    per_pixel = ((x - y) ** 2)[..., 0]
    assert m.train_on_batch(x, y) == pytest.approx(per_pixel.mean(), rel=1e-6)
    w = np.array([1.0, 0.0, 2.0], np.float32)
    want = (w[:, None, None] * per_pixel).sum() / per_pixel.size
    assert m.evaluate(x, y, sample_weight=w, verbose=0) == pytest.approx(want, rel=1e-6)


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
    assert sorted(history.history) == ["cls_acc", "cls_loss", "loss", "reg_loss"]
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
    with pytest.raises(ValueError, match=r"A target array with shape \(4, 2\) was passed for an "
                                         r"output of shape \(None, 1\) while using as loss "
                                         "`binary_crossentropy`"):
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
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
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
    assert lines[0].split(",") == ["epoch", "acc", "loss", "lr", "val_acc",
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


# -- optimizers: clipping on every path, sparse updates, graph size ---------------------------
def _one_step(opt, path, loss_of, variables):
    """Runs one update of ``opt`` through ``path`` in a fresh graph; the variables after it."""
    graph = tf.Graph()
    with graph.as_default():
        vs = [tf.Variable(np.asarray(v, np.float32), use_resource=True) for v in variables]
        loss = loss_of(*vs)
        if path == "minimize":
            op = opt.minimize(loss, vs)
        elif path == "apply_gradients":
            op = opt.apply_gradients(zip(tf.gradients(loss, vs), vs))
        else:
            op = opt.get_updates(loss, vs)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(op)
            return sess.run(vs)


@pytest.mark.parametrize("path", ["minimize", "apply_gradients", "get_updates"])
def test_gradient_clipping_applies_on_every_path(path):
    v0, w0 = np.array([3.0, 4.0]), np.array([1.0, -2.0])

    def loss(v, w):  # gradients 2v = [6, 8] (norm 10) and 3w^2 = [3, 12]
        return tf.reduce_sum(v * v) + tf.reduce_sum(w * w * w)
    g_v, g_w = 2 * v0, 3 * w0 ** 2
    sgd = keras.optimizers.SGD
    # clipnorm: each gradient scaled to norm 0.1 on its own
    v, w = _one_step(sgd(1.0, clipnorm=0.1), path, loss, [v0, w0])
    np.testing.assert_allclose(v, v0 - g_v * 0.1 / 10.0, rtol=1e-6)  # [2.94, 3.92]
    np.testing.assert_allclose(w, w0 - g_w * 0.1 / np.linalg.norm(g_w), rtol=1e-6)
    # clipvalue: each entry into [-0.5, 0.5]
    v, w = _one_step(sgd(1.0, clipvalue=0.5), path, loss, [v0, w0])
    np.testing.assert_allclose(v, v0 - 0.5, rtol=1e-6)
    np.testing.assert_allclose(w, w0 - 0.5, rtol=1e-6)
    # global_clipnorm: both scaled by 1 / the norm of all of them together
    total = np.sqrt((g_v ** 2).sum() + (g_w ** 2).sum())
    v, w = _one_step(sgd(1.0, global_clipnorm=1.0), path, loss, [v0, w0])
    np.testing.assert_allclose(v, v0 - g_v / total, rtol=1e-6)
    np.testing.assert_allclose(w, w0 - g_w / total, rtol=1e-6)
    # clipvalue first, then the global norm of the clipped gradients (tf_keras' order)
    c_v, c_w = np.clip(g_v, -7, 7), np.clip(g_w, -7, 7)
    scale = 2.0 / np.sqrt((c_v ** 2).sum() + (c_w ** 2).sum())
    v, w = _one_step(sgd(1.0, clipvalue=7.0, global_clipnorm=2.0), path, loss, [v0, w0])
    np.testing.assert_allclose(v, v0 - c_v * scale, rtol=1e-6)
    np.testing.assert_allclose(w, w0 - c_w * scale, rtol=1e-6)


def test_clipnorm_and_global_clipnorm_together_are_refused():
    with pytest.raises(ValueError, match="Cannot accept both `clipnorm` and `global_clipnorm`"):
        keras.optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)


def _sparse_steps(opt, table, steps):
    """Runs ``opt`` on loss = sum(gather(table, rows) * coefs) for each (rows, coefs) step;
    the table after each step and the op types in the graph."""
    graph = tf.Graph()
    with graph.as_default():
        var = tf.Variable(table.astype(np.float32), use_resource=True)
        rows = tf.placeholder(tf.int32, [None])
        coefs = tf.placeholder(tf.float32, [None, table.shape[1]])
        grad = tf.gradients(tf.reduce_sum(tf.gather(var, rows) * coefs), [var])[0]
        assert isinstance(grad, tf.IndexedSlices)
        op = opt.apply_gradients([(grad, var)])
        out = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for r, c in steps:
                sess.run(op, {rows: r, coefs: c})
                out.append(sess.run(var))
        return out, {o.type for o in graph.get_operations()}


SPARSE_TABLE = (np.arange(10).reshape(5, 2) / 10).astype(np.float32)
SPARSE_STEPS = [([1, 3, 1], np.array([[1.0, -2.0], [0.5, 0.5], [2.0, 1.0]])),
                ([2, 1], np.array([[-1.0, 1.0], [0.25, 3.0]]))]  # row 3: no gradient now


def _summed(rows, coefs, n):
    g = np.zeros((n, coefs.shape[1]))
    np.add.at(g, rows, coefs)
    return sorted(set(rows)), g


def test_sparse_keras_momentum_moves_only_the_rows_with_a_gradient():
    lr, m = 0.1, 0.9
    got, types = _sparse_steps(keras.optimizers.SGD(lr, momentum=m), SPARSE_TABLE,
                               SPARSE_STEPS)
    assert "SparseApplyMomentum" in types and "ApplyMomentum" not in types
    var, accum = SPARSE_TABLE.astype(np.float64), np.zeros((5, 2))
    for (rows, coefs), table in zip(SPARSE_STEPS, got):
        touched, g = _summed(rows, coefs, 5)
        accum[touched] = m * accum[touched] - lr * g[touched]  # Keras' velocity
        var[touched] += accum[touched]
        np.testing.assert_allclose(table, var, rtol=1e-6)
    np.testing.assert_array_equal(got[1][[0, 3, 4]], got[0][[0, 3, 4]])  # no gradient: still
    np.testing.assert_array_equal(got[1][[0, 4]], SPARSE_TABLE[[0, 4]])


def test_sparse_rmsprop_with_momentum_moves_only_the_rows_with_a_gradient():
    lr, rho, m, eps = 0.01, 0.9, 0.5, 1e-7
    got, types = _sparse_steps(keras.optimizers.RMSprop(lr, rho=rho, momentum=m),
                               SPARSE_TABLE, SPARSE_STEPS)
    assert "SparseApplyRMSProp" in types and "ApplyRMSProp" not in types
    var, ms, mom = SPARSE_TABLE.astype(np.float64), np.zeros((5, 2)), np.zeros((5, 2))
    for (rows, coefs), table in zip(SPARSE_STEPS, got):
        r, g = _summed(rows, coefs, 5)
        ms[r] = rho * ms[r] + (1 - rho) * g[r] ** 2
        mom[r] = m * mom[r] + lr * g[r] / np.sqrt(ms[r] + eps)  # epsilon inside the root
        var[r] -= mom[r]
        np.testing.assert_allclose(table, var, rtol=1e-5)
    np.testing.assert_array_equal(got[1][[0, 3, 4]], got[0][[0, 3, 4]])


def test_sparse_adagrad_and_plain_sgd_use_sparse_kernels():
    got, types = _sparse_steps(keras.optimizers.Adagrad(0.1), SPARSE_TABLE, SPARSE_STEPS[:1])
    assert "SparseApplyAdagradV2" in types
    r, g = _summed(*SPARSE_STEPS[0], 5)
    want = SPARSE_TABLE.copy()
    want[r] -= 0.1 * g[r] / (np.sqrt(0.1 + g[r] ** 2) + 1e-7)
    np.testing.assert_allclose(got[0], want, rtol=1e-6)
    got, types = _sparse_steps(keras.optimizers.SGD(0.5), SPARSE_TABLE, SPARSE_STEPS[:1])
    np.testing.assert_allclose(got[0], SPARSE_TABLE - 0.5 * g, rtol=1e-6)
    assert "ScatterAdd" in types


@pytest.mark.parametrize("name, kw, kernel", [
    ("SGD", {}, "ApplyGradientDescent"), ("SGD", {"momentum": 0.9}, "ApplyMomentum"),
    ("RMSprop", {"momentum": 0.5}, "ApplyRMSProp"), ("Adagrad", {}, "ApplyAdagradV2"),
    ("Adadelta", {}, "ApplyAdadelta"), ("Adam", {}, "ApplyAdam"), ("Adamax", {}, "ApplyAdaMax")])
def test_dense_updates_are_training_kernels_and_the_graph_stops_growing(name, kw, kernel):
    model = keras.Sequential([keras.layers.Embedding(6, 2, input_length=3),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(getattr(keras.optimizers, name)(**kw), "mse")
    x, y = np.array([[1, 2, 3], [0, 4, 4]]), np.ones((2, 1))
    graph = K.get_session().graph
    counts = []
    for _ in range(3):
        model.fit(x, y, epochs=2, verbose=0)
        model.evaluate(x, y, verbose=0)
        model.predict(x)
        counts.append(len(graph.get_operations()))
    assert counts[0] == counts[1] == counts[2]
    assert kernel in {op.type for op in graph.get_operations()}


# -- Precision / Recall with top_k and class_id -----------------------------------------------
YT_PR = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [1, 1, 0, 1]], np.float32)
YP_PR = np.array([[0.9, 0.8, 0.1, 0.3], [0.2, 0.3, 0.6, 0.1], [0.7, 0.4, 0.45, 0.8]],
                 np.float32)


def _counts(label, pred):
    return ((label & pred).sum(), (~label & pred).sum(), (label & ~pred).sum())


def test_precision_and_recall_at_top_k_and_class_id():
    label = YT_PR > 0
    top2 = np.zeros_like(label)
    np.put_along_axis(top2, np.argsort(-YP_PR, axis=1)[:, :2], True, axis=1)
    tp, fp, fn = _counts(label, top2)  # top_k: the k largest are positive (any threshold)
    for metric, want in ((keras.metrics.Precision(top_k=2), tp / (tp + fp)),
                         (keras.metrics.Recall(top_k=2), tp / (tp + fn))):
        assert K.get_value(metric(YT_PR, YP_PR)) == pytest.approx(want)
    tp, fp, fn = _counts(label, top2 & (YP_PR > 0.5))  # top_k with a threshold
    assert K.get_value(keras.metrics.Precision(0.5, top_k=2)(YT_PR, YP_PR)) == \
        pytest.approx(tp / (tp + fp))
    tp, fp, fn = _counts(label[:, 2], YP_PR[:, 2] > 0.4)  # class_id: one column
    assert K.get_value(keras.metrics.Precision(0.4, class_id=2)(YT_PR, YP_PR)) == \
        pytest.approx(tp / (tp + fp))
    assert K.get_value(keras.metrics.Recall(0.4, class_id=2)(YT_PR, YP_PR)) == \
        pytest.approx(tp / (tp + fn))
    tp, fp, fn = _counts(label[:, 0], top2[:, 0])  # both, thresholds per entry
    metric = keras.metrics.Recall(thresholds=[0.0, 0.75], top_k=2, class_id=0)
    tp2, _, fn2 = _counts(label[:, 0], top2[:, 0] & (YP_PR[:, 0] > 0.75))
    np.testing.assert_allclose(K.get_value(metric(YT_PR, YP_PR)),
                               [tp / (tp + fn), tp2 / (tp2 + fn2)], rtol=1e-6)
    assert metric.get_config()["top_k"] == 2 and metric.get_config()["class_id"] == 0
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        keras.metrics.Precision(thresholds=[0.5, 1.5])


def test_training_matches_tf_keras():
    run_against_tf("keras_training_vs_tf.py", 61)


def test_per_sample_weights_broadcast_over_a_sequence_output():
    """mse of a (batch, steps, units) output is per (sample, step); a per-sample weight is
    expanded to broadcast over the steps (Keras' squeeze_or_expand_dimensions)."""
    rng = np.random.RandomState(0)
    x = rng.rand(8, 3, 4).astype(np.float32)
    y = rng.rand(8, 3, 2).astype(np.float32)
    w = rng.rand(8).astype(np.float32)
    model = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(3, 4),
                                                       kernel_initializer="ones")])
    model.compile("sgd", "mse")
    per_step = ((x.sum(axis=-1, keepdims=True) - y) ** 2).mean(axis=-1)  # kernel of ones
    expected = (per_step * w[:, None]).sum() / per_step.size
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=w, verbose=0), expected,
                               rtol=1e-5)


# -- a second probe's findings ----------------------------------------------------------------
def _linear_model(optimizer="sgd", loss="mse", **compile_kw):
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(2,), kernel_initializer="ones",
                                                 bias_initializer="zeros")])
    model.compile(optimizer, loss, **compile_kw)
    return model


def test_fit_on_a_generator_passes_validation_and_class_weight_through():
    x = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    y = np.array([[1.0], [0.0]], np.float32)

    def batches():
        while True:
            yield x, y

    model = _linear_model(keras.optimizers.SGD(0.0), metrics=["mse"])  # weights stay put
    history = model.fit(batches(), steps_per_epoch=2, epochs=3, verbose=0,
                        validation_data=batches(), validation_steps=1, validation_freq=[1, 3],
                        class_weight={0: 1.0, 1: 3.0})
    # Predictions are x @ [1, 1] = [1, 1]: squared errors 0 and 1. A one-unit target's class
    # is its rounded value: the first row is class 1 (weight 3), the second class 0 (weight 1).
    errors = np.array([0.0, 1.0])
    weights = np.array([3.0, 1.0])
    assert history.history["loss"] == pytest.approx([(errors * weights).mean()] * 3)
    assert len(history.history["val_loss"]) == 2  # epochs 1 and 3 only
    assert history.history["val_loss"][0] == pytest.approx(errors.mean())


def test_a_loss_function_that_returns_a_scalar_trains():
    def my_loss(y_true, y_pred):
        return K.mean(K.abs(y_pred - y_true))

    x = np.array([[1.0, 2.0], [0.0, 1.0], [2.0, 2.0]], np.float32)
    y = np.array([[0.0], [2.0], [1.0]], np.float32)
    model = _linear_model(loss=my_loss)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(np.abs(x.sum(1, keepdims=True) - y)
                                                           .mean(), rel=1e-6)
    assert len(model.fit(x, y, epochs=2, verbose=0).history["loss"]) == 2


def test_validation_freq_is_an_int_or_a_list_of_epochs():
    from minitf.keras.training import _validates_at

    assert [e for e in range(1, 7) if _validates_at(2, e)] == [2, 4, 6]
    assert [e for e in range(1, 7) if _validates_at([1, 5], e)] == [1, 5]
    with pytest.raises(ValueError, match="less than 1"):
        _validates_at(0, 1)
    with pytest.raises(ValueError, match="Integer or"):
        _validates_at(1.5, 1)


def test_metric_aliases_of_tf1():
    x = np.array([[1.0, 2.0], [0.0, 1.0]], np.float32)
    y = np.array([[0.0], [2.0]], np.float32)
    model = _linear_model(metrics=["MSE", "MAE", "MSLE", "MAPE", "log_cosh"])
    values = dict(zip(model.metrics_names, model.evaluate(x, y, verbose=0)))
    pred = x.sum(1, keepdims=True)
    # named by their functions, as TF 1.x names them
    assert values["mean_squared_error"] == pytest.approx(((pred - y) ** 2).mean())
    assert values["mean_absolute_error"] == pytest.approx(np.abs(pred - y).mean())
    assert values["logcosh"] == pytest.approx(np.log(np.cosh(pred - y)).mean(), rel=1e-5)


def test_optimizer_decay_is_a_variable_and_in_the_config():
    opt = keras.optimizers.SGD(0.1, decay=0.5)
    model = _linear_model(opt)
    x = np.array([[1.0, 0.0]], np.float32)
    y = np.array([[3.0]], np.float32)
    model.fit(x, y, epochs=2, verbose=0)  # two steps: lr 0.1, then 0.1 / (1 + 0.5)
    w, b = 1.0, 0.0
    for lr in (0.1, 0.1 / 1.5):  # d/dw and d/db of (w + b - 3)^2 are both 2 (w + b - 3)
        step = lr * 2 * (3.0 - (w + b))
        w, b = w + step, b + step
    w2 = w
    assert K.get_value(model.layers[0].kernel)[0, 0] == pytest.approx(w2, rel=1e-6)
    assert K.get_value(opt.decay) == pytest.approx(0.5)
    assert opt.get_config()["decay"] == pytest.approx(0.5)
    assert keras.optimizers.Adam().get_config()["decay"] == 0.0


def test_model_checkpoint_with_an_integer_save_freq_saves_by_samples_seen(tmp_path):
    """TF 1.15: an integer save_freq saves after the batch by which that many samples were
    seen since the last save; the file name formats the batch's logs."""
    x = np.ones((10, 2), np.float32)
    y = np.zeros((10, 1), np.float32)
    model = _linear_model()
    path = str(tmp_path / "w-{epoch:02d}-{batch}")
    checkpoint = keras.callbacks.ModelCheckpoint(path, save_weights_only=True, save_freq=4)
    model.fit(x, y, batch_size=3, epochs=2, verbose=0, shuffle=False, callbacks=[checkpoint])
    # Batches of 3, 3, 3 and 1 samples in each epoch: 6 seen at batch 1, then 3 + 1 = 4 at
    # batch 3, and the same again in epoch 2.
    saved = sorted(p.name.split(".")[0] for p in tmp_path.iterdir() if p.name.endswith(".index"))
    assert saved == ["w-01-1", "w-01-3", "w-02-1", "w-02-3"]
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        keras.callbacks.ModelCheckpoint(path, save_freq="batch")


def test_tensorboard_callback_says_what_it_does_not_write(tmp_path, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="minitf"):
        keras.callbacks.TensorBoard(str(tmp_path), histogram_freq=1)
    assert "scalars and the graph only" in caplog.text
