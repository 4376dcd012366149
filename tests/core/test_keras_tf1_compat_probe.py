"""Five TF 1.15 tf.keras behaviours that minitf's Keras once missed (keras-rl relies on them):

1. a lambda loss compiles (TF's Loss names its scope 'lambda', not '<lambda>');
2. metrics are named as TF 1.x names them ('acc', 'mean_absolute_error', 'weighted_...'), in
   metrics_names, History, evaluate and the callbacks' logs ('val_acc');
3. targets are shape-checked only for the losses that need the output's shape;
4. ``optimizer.get_updates`` is called by keyword (keras-rl's wrappers take (params, loss));
5. a Lambda layer rebuilt in memory (clone_model) keeps its module's globals.

Checked against hand-computed values without TensorFlow, and side by side against tf_keras in
TF 1.x mode (``disable_v2_behavior`` in a process of its own, as tests/core/legacy_tf.py runs
its scripts) where TensorFlow is installed."""

import json
import os
import re
import warnings

import numpy as np
import pytest

from minitf import keras
from minitf.keras import backend as K  # noqa: N812 - Keras' own spelling

from .legacy_tf import run_against_tf

SCALE = 3.0  # read by a Lambda's function as a module global (5.)

RNG = np.random.RandomState(3)
X = RNG.normal(size=(8, 3)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2, 0, 1]]
W = RNG.normal(scale=0.5, size=(3, 3)).astype(np.float32)
B = RNG.normal(scale=0.1, size=(3,)).astype(np.float32)


@pytest.fixture(autouse=True)
def _fresh_graph():
    K.clear_session()
    yield
    K.clear_session()


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _dense(activation=None, units=3):
    model = keras.Sequential([keras.layers.Dense(units, activation=activation,
                                                 input_shape=(3,))])
    if units == 3:
        model.set_weights([W, B])
    return model


# -- 1. lambda losses -----------------------------------------------------------------------
def test_a_lambda_loss_compiles_and_trains_as_by_hand():
    model = _dense()
    model.compile(keras.optimizers.SGD(0.1),
                  loss=lambda y_true, y_pred: K.mean(K.square(y_pred - y_true), -1))
    loss = model.train_on_batch(X, Y)
    p = X @ W + B
    assert loss == pytest.approx(np.mean((p - Y) ** 2), rel=1e-5)
    grad = 2 * (p - Y) / p.size  # d mean((p - y)^2) / dp
    w, b = model.get_weights()
    np.testing.assert_allclose(w, W - 0.1 * X.T @ grad, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, B - 0.1 * grad.sum(0), rtol=1e-5, atol=1e-6)
    # the wrapped lambda's ops live under 'lambda', as TF names them
    ops = [op.name for op in model.total_loss.graph.get_operations()]
    assert any("_loss/lambda/" in name for name in ops), ops[:20]


def test_a_loss_object_around_a_lambda_is_called_in_scope_lambda():
    fn = keras.losses.LossFunctionWrapper(lambda t, p: K.mean(K.abs(p - t), -1),
                                          name="<lambda>")
    value = K.get_value(fn(K.constant([[1.0, 2.0]]), K.constant([[2.0, 4.0]])))
    assert value == pytest.approx(1.5)


# -- 2. TF 1.x metric names ---------------------------------------------------------------
NAMES = ["loss", "acc", "mean_absolute_error", "ce", "mean_squared_error",
         "categorical_accuracy", "weighted_acc", "weighted_mean_absolute_error"]


def _compiled_softmax():
    model = _dense("softmax")
    model.compile(keras.optimizers.SGD(0.0), "categorical_crossentropy",
                  metrics=["accuracy", "mae", "ce", "mse", keras.metrics.categorical_accuracy],
                  weighted_metrics=["acc", "mae"])
    return model


def test_metric_names_are_tf1s_in_metrics_names_history_and_evaluate():
    model = _compiled_softmax()
    assert model.metrics_names == NAMES
    sw = np.linspace(0.5, 2.0, 8).astype(np.float32)
    history = model.fit(X, Y, batch_size=8, epochs=1, verbose=0, shuffle=False,
                        sample_weight=sw, validation_data=(X, Y, sw))
    assert sorted(history.history) == sorted(NAMES + ["val_" + n for n in NAMES])
    values = dict(zip(model.metrics_names, model.evaluate(X, Y, sample_weight=sw,
                                                          verbose=0)))
    p = _softmax(X @ W + B)  # lr 0: the weights stay put
    hit = (p.argmax(-1) == Y.argmax(-1)).astype(np.float64)
    mae = np.abs(p - Y).mean(-1)
    ce = -(Y * np.log(np.clip(p, 1e-7, 1 - 1e-7))).sum(-1)
    want = {"loss": (sw * ce).mean(), "acc": hit.mean(), "mean_absolute_error": mae.mean(),
            "ce": ce.mean(), "mean_squared_error": ((p - Y) ** 2).mean(),
            "categorical_accuracy": hit.mean(),
            "weighted_acc": (sw * hit).sum() / sw.sum(),
            "weighted_mean_absolute_error": (sw * mae).sum() / sw.sum()}
    for name in NAMES:
        assert values[name] == pytest.approx(want[name], rel=1e-5), name
        assert history.history["val_" + name][0] == pytest.approx(want[name], rel=1e-5), name


def test_duplicate_and_multi_output_metric_names_are_tf1s():
    inp = keras.Input((3,))
    a = keras.layers.Dense(2, activation="softmax", name="a")(inp)
    b = keras.layers.Dense(1, activation="sigmoid", name="b")(inp)
    model = keras.Model(inp, [a, b])
    model.compile("sgd", ["categorical_crossentropy", "binary_crossentropy"],
                  metrics=["acc", "accuracy", "mae", "mse", "mae"], weighted_metrics=["mae"])
    # per output: its metrics (one per name), then its weighted ones
    assert model.metrics_names == [
        "loss", "a_loss", "b_loss", "a_acc", "a_mean_absolute_error", "a_mean_squared_error",
        "a_weighted_mean_absolute_error", "b_acc", "b_mean_absolute_error",
        "b_mean_squared_error", "b_weighted_mean_absolute_error"]
    assert [m.name for m in model.metrics] == model.metrics_names[3:]


def test_callbacks_monitor_tf1_names(tmp_path):
    model = _dense("softmax")
    model.compile(keras.optimizers.SGD(0.5), "categorical_crossentropy", metrics=["accuracy"])
    path = str(tmp_path / "best.h5")
    seen = []
    model.fit(X, Y, epochs=2, verbose=0, validation_data=(X, Y), callbacks=[
        keras.callbacks.ModelCheckpoint(path, monitor="val_acc", save_best_only=True,
                                        save_weights_only=True),
        keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(sorted(logs)))])
    assert os.path.exists(path)  # val_acc was in the logs (else: skipped, nothing written)
    assert seen[0] == ["acc", "loss", "val_acc", "val_loss"]


# -- 3. target shapes -----------------------------------------------------------------------
def squared_error(t, p):
    return K.mean(K.square(p - t))


def output_is_the_loss(t, p):  # keras-rl's pattern: the targets are dummies
    return p


def mean_prediction(t, p):
    return K.mean(p) + 0 * K.mean(t)


def test_a_user_loss_takes_targets_of_any_shape():
    inp = keras.Input((3,))
    model = keras.Model(inp, keras.layers.Lambda(lambda a: K.sum(a, -1))(inp))  # (None,)
    model.compile("sgd", loss=squared_error)
    assert model.train_on_batch(X, np.zeros(8)) == pytest.approx(
        np.mean(X.sum(-1) ** 2), rel=1e-5)
    model.compile("sgd", loss=output_is_the_loss)
    assert model.test_on_batch(X, np.zeros(8)) == pytest.approx(X.sum(-1).mean(), rel=1e-5)
    model = _dense()  # (None, 3) output, (8, 5) targets
    model.compile(keras.optimizers.SGD(0.0), loss=mean_prediction)
    assert model.train_on_batch(X, np.zeros((8, 5))) == pytest.approx(
        (X @ W + B).mean(), rel=1e-5)


def test_only_the_losses_that_need_the_outputs_shape_check_targets():
    for loss in ("mse", "binary_crossentropy", "categorical_crossentropy",
                 keras.losses.MeanSquaredError(), keras.losses.mean_squared_error):
        model = _dense()
        model.compile("sgd", loss)
        name = "mean_squared_error" if not isinstance(loss, str) else {
            "mse": "mean_squared_error"}.get(loss, loss)
        with pytest.raises(ValueError, match=re.escape(
                f"A target array with shape (8, 5) was passed for an output of shape "
                f"(None, 3) while using as loss `{name}`. This loss expects targets to have "
                "the same shape as the output.")):
            model.train_on_batch(X, np.zeros((8, 5)))
    model = _dense()
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"You are passing a target array of shape \(8, 1\) "
                                         "while using as loss `categorical_crossentropy`"):
        model.train_on_batch(X, np.zeros(8))
    model = _dense()  # mae: a (8,) target broadcasts against the (8, 3) output, as in TF
    model.compile(keras.optimizers.SGD(0.0), "mae")
    y = np.arange(8, dtype=np.float32)
    assert model.train_on_batch(X, y) == pytest.approx(
        np.abs(X @ W + B - y[:, None]).mean(), rel=1e-5)


# -- 4. get_updates by keyword --------------------------------------------------------------
class ParamsFirstSGD(keras.optimizers.SGD):
    """keras-rl's AdditionalUpdatesOptimizer: get_updates(self, params, loss)."""

    calls = 0

    def get_updates(self, params, loss):
        type(self).calls += 1
        return super().get_updates(loss=loss, params=params)


def test_get_updates_is_called_by_keyword_in_fit_and_the_estimator(tmp_path):
    model = _dense()
    model.compile(ParamsFirstSGD(0.1), "mse")
    model.train_on_batch(X, Y)
    p = X @ W + B
    grad = 2 * (p - Y) / p.size
    np.testing.assert_allclose(model.get_weights()[0], W - 0.1 * X.T @ grad, rtol=1e-5,
                               atol=1e-6)
    before = ParamsFirstSGD.calls
    est = keras.estimator.model_to_estimator(model, model_dir=str(tmp_path))  # 1st checkpoint
    from minitf.estimator.inputs import numpy_input_fn
    est.train(numpy_input_fn(X, Y, batch_size=8, shuffle=False, num_epochs=1))
    assert ParamsFirstSGD.calls >= before + 2  # the first checkpoint's and the train graph's


# -- 5. Lambda rebuilt with its module's globals --------------------------------------------
def _scaled_model():
    return keras.Sequential([
        keras.layers.Dense(2, input_shape=(3,), kernel_initializer="ones"),
        keras.layers.Lambda(lambda a: K.sum(a, 1, keepdims=True) * SCALE)])


def test_clone_model_keeps_a_lambdas_module_globals():
    model = _scaled_model()
    want = (X @ np.ones((3, 2))).sum(1, keepdims=True) * SCALE
    np.testing.assert_allclose(model.predict(X), want, rtol=1e-5)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(X), want, rtol=1e-5)
    config = model.layers[-1].get_config()
    assert config["function_type"] == "lambda" and config["module"] == __name__
    rebuilt = keras.models.model_from_json(model.to_json(), safe_mode=False)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(X), want, rtol=1e-5)


def test_custom_objects_are_extra_globals_and_files_stay_refused():
    layer = keras.layers.Lambda(lambda a: a + OFFSET)  # noqa: F821 - given by custom_objects
    config = layer.get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.layers.Lambda.from_config(config)  # code from a config: refused by default
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.model_from_json(json.dumps({"class_name": "Sequential", "config": {
            "name": "s", "layers": [{"class_name": "Lambda", "config": config}]}}))
    made = keras.layers.Lambda.from_config(config, custom_objects={"OFFSET": 2.0},
                                           safe_mode=False)
    assert K.get_value(made(K.constant([1.0, 5.0]))).tolist() == [3.0, 7.0]
    config["module"] = "no_such_module_loaded"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.layers.Lambda.from_config(config, safe_mode=False)
    assert any("is not loaded" in str(w.message) for w in caught)


# -- side by side with tf_keras in TF 1.x mode ----------------------------------------------
SCRIPT = r'''
import os
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_v2_behavior()  # TF 1.x's whole mode: TF 1.15's metric names
import tf_keras as tk
import minitf.keras as mk

R = np.random.RandomState(1)
X = R.normal(size=(8, 3)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2, 0, 1]]
SW = np.linspace(0.5, 2.0, 8).astype(np.float32)
W = [R.normal(scale=0.5, size=(3, 3)).astype(np.float32), np.zeros(3, np.float32)]
SCALE = 3.0


def sgd(lib, lr=0.1):
    return tk.optimizers.legacy.SGD(lr) if lib is tk else mk.optimizers.SGD(lr)


def close(a, b, what):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ok = a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-6)
    return [] if ok else [f"{what}: {a.ravel()[:5]} vs {b.ravel()[:5]}"]


def case(title):
    # runs fn on minitf and tf_keras, then check(minitf's, tf_keras'); prints OK or FAIL
    def run(fn, check):
        try:
            tk.backend.clear_session()
            mk.backend.clear_session()
            fails = check(fn(mk), fn(tk))
        except Exception as e:  # noqa: BLE001 - one case's error fails that case only
            fails = [f"{type(e).__name__}: {e}"[:300].replace("\n", " ")]
        print(("OK " if not fails else "FAIL ") + title + "; ".join([""] + fails[:3]))
    return run


def names_and_lambda_loss(lib):
    K = lib.backend
    model = lib.Sequential([lib.layers.Dense(3, activation="softmax", input_shape=(3,))])
    model.set_weights(W)
    model.compile(sgd(lib), loss=lambda y_true, y_pred: K.mean(K.square(y_pred - y_true), -1),
                  metrics=["accuracy", "mae", "ce", "mse", lib.metrics.categorical_accuracy,
                           "acc"],
                  weighted_metrics=["acc", "mae"])
    h = model.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False, sample_weight=SW,
                  validation_data=(X, Y, SW))
    return (model.metrics_names, h.history, model.evaluate(X, Y, sample_weight=SW, verbose=0),
            model.get_weights())


def check_names_and_lambda_loss(m, t):
    fails = [] if m[0] == t[0] else [f"metrics_names {m[0]} vs {t[0]}"]
    if sorted(m[1]) != sorted(t[1]):
        fails.append(f"history {sorted(m[1])} vs {sorted(t[1])}")
    for key in t[1]:
        fails += close(m[1].get(key, np.nan), t[1][key], key)
    return fails + close(m[2], t[2], "evaluate") + close(m[3][0], t[3][0], "kernel")


case("lambda loss, TF 1.x metric names, history, evaluate")(names_and_lambda_loss,
                                                            check_names_and_lambda_loss)


def multi_output_names(lib):
    inp = lib.Input((3,))
    a = lib.layers.Dense(2, activation="softmax", name="a")(inp)
    b = lib.layers.Dense(1, activation="sigmoid", name="b")(inp)
    model = lib.Model(inp, [a, b])
    model.compile("sgd", ["categorical_crossentropy", "binary_crossentropy"],
                  metrics=["acc", "accuracy", "mae", "mse", "mae"], weighted_metrics=["mae"])
    return model.metrics_names


case("multi-output metric names")(multi_output_names,
                                  lambda m, t: [] if m == t else [f"{m} vs {t}"])


def user_loss_targets(lib):
    K = lib.backend

    def mean_prediction(t, p):
        return K.mean(p) + 0 * K.mean(t)

    def output_is_the_loss(t, p):
        return p

    out = []
    model = lib.Sequential([lib.layers.Dense(3, input_shape=(3,))])
    model.set_weights(W)
    model.compile(sgd(lib), loss=mean_prediction)
    out.append(model.train_on_batch(X, np.zeros((8, 5))))
    out.append(model.get_weights()[0])
    inp = lib.Input((3,))
    hidden = lib.layers.Dense(3)(inp)
    model = lib.Model(inp, lib.layers.Lambda(lambda a: K.sum(a, -1))(hidden))
    model.layers[1].set_weights(W)
    model.compile(sgd(lib), loss=output_is_the_loss)  # keras-rl: dummy 1-D targets
    out.append(model.train_on_batch(X, np.zeros(8)))
    out.append(model.get_weights()[0])
    model = lib.Sequential([lib.layers.Dense(3, input_shape=(3,))])
    model.set_weights(W)
    model.compile(sgd(lib), "mae")
    out.append(model.train_on_batch(X, np.arange(8.0)))
    for loss in ("mse", "categorical_crossentropy"):
        model.compile(sgd(lib), loss)
        try:
            model.train_on_batch(X, np.zeros((8, 5)) if loss == "mse" else np.zeros(8))
            out.append("no error")
        except ValueError as e:
            out.append(str(e).split(". ")[0])
    return out


def check_targets(m, t):
    fails = []
    for i, (a, b) in enumerate(zip(m, t)):
        if isinstance(b, str):
            fails += [] if a == b else [f"{i}: {a!r} vs {b!r}"]
        else:
            fails += close(a, b, str(i))
    return fails


case("targets checked only for the losses that need the output's shape")(user_loss_targets,
                                                                           check_targets)


def params_first(lib):
    base = tk.optimizers.legacy.SGD if lib is tk else mk.optimizers.SGD

    class ParamsFirst(base):
        def get_updates(self, params, loss):
            return super().get_updates(loss=loss, params=params)

    model = lib.Sequential([lib.layers.Dense(3, input_shape=(3,))])
    model.set_weights(W)
    model.compile(ParamsFirst(0.1), "mse")
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    return model.get_weights()


case("get_updates(params, loss) by keyword")(
    params_first, lambda m, t: close(m[0], t[0], "kernel") + close(m[1], t[1], "bias"))


def clone_lambda(lib):
    K = lib.backend
    model = lib.Sequential([lib.layers.Dense(3, input_shape=(3,)),
                            lib.layers.Lambda(lambda a: K.sum(a, 1, keepdims=True) * SCALE)])
    model.set_weights(W)
    clone = lib.models.clone_model(model)
    clone.set_weights(W)
    return clone.predict(X)


case("clone_model of a Lambda using module globals")(
    clone_lambda, lambda m, t: close(m, t, "predict"))
'''


@pytest.mark.tensorflow
def test_against_tf_keras_in_tf1_mode(tmp_path):
    run_against_tf("tf1_compat_vs_tf.py", 5, SCRIPT, tmp_path)
