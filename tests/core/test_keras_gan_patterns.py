"""tf.keras patterns of GAN training code (TF1 graph mode): a model compiled, then frozen
(``trainable = False``) inside a combined model, still trains by itself with the weights and
updates collected at compile; a nested model holding BatchNormalization, called on a new
Input, trains inside the outer model without its own Input fed; train_on_batch, test_on_batch
and evaluate return numpy scalars of the loss's dtype. Checked against hand-computed SGD steps
and numpy, then side by side with tf_keras (skipped without TensorFlow)."""

import os

import numpy as np
import pytest

import minitf as tf
from minitf import keras
from minitf.keras import backend as K  # noqa: N812 - Keras' own spelling

from .legacy_tf import tf_side_json

L = keras.layers
REPO = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
EPS = 1e-3  # BatchNormalization's default epsilon


@pytest.fixture(autouse=True)
def _fresh_graph():
    K.clear_session()
    yield
    K.clear_session()


def _frozen_after_compile(layers):
    """A model compiled with SGD(0.1), then frozen inside a combined model (the GAN pattern)."""
    d = keras.Sequential(layers)
    d.compile(loss="mse", optimizer=keras.optimizers.SGD(0.1))
    d.trainable = False
    z = L.Input((2,))
    combined = keras.Model(z, d(z))
    combined.compile(loss="mse", optimizer=keras.optimizers.SGD(0.1))
    return d, combined


# -- 1. the trainable state frozen at compile --------------------------------------------------
def test_model_frozen_after_compile_trains_its_compiled_weights():
    d, combined = _frozen_after_compile([L.Dense(1, input_dim=2, kernel_initializer="ones")])
    assert d.trainable_weights == [] and combined.trainable_weights == []
    x, y = np.array([[1.0, 2.0]]), np.zeros((1, 1))
    loss = d.train_on_batch(x, y)
    # by hand: prediction 3, loss 9, dloss/dpred 6: kernel 1 - 0.1 * 6 * x, bias 0 - 0.1 * 6
    assert loss == pytest.approx(9.0)
    kernel, bias = d.get_weights()
    np.testing.assert_allclose(kernel.ravel(), [0.4, -0.2], rtol=1e-6)
    np.testing.assert_allclose(bias, [-0.6], rtol=1e-6)
    # the combined model, compiled with d frozen, leaves d's weights alone
    assert combined.train_on_batch(x, y) == pytest.approx((0.4 - 0.4 - 0.6) ** 2, rel=1e-5)
    np.testing.assert_allclose(d.get_weights()[0].ravel(), [0.4, -0.2], rtol=1e-6)
    assert not d.trainable  # the flag the user set is back after the train step was built


def test_frozen_model_still_updates_its_batchnorm_statistics():
    d, combined = _frozen_after_compile([
        L.Dense(2, input_dim=2, kernel_initializer="ones"), L.BatchNormalization(momentum=0.5)])
    x = np.array([[1.0, 2.0], [3.0, 5.0], [0.0, -1.0]], np.float32)
    d.train_on_batch(x, np.zeros((3, 2)))
    h = x @ np.ones((2, 2))  # the forward pass before the step's update
    mean, var = [d.layers[1].get_weights()[i] for i in (2, 3)]
    np.testing.assert_allclose(mean, 0.5 * h.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var, 0.5 * 1.0 + 0.5 * h.var(0), rtol=1e-5)
    combined.train_on_batch(x, np.zeros((3, 2)))  # d's layers were frozen at its compile
    np.testing.assert_allclose(d.layers[1].get_weights()[2], mean, rtol=1e-6)


# -- 2. a nested model's updates from its calls on other inputs --------------------------------
@pytest.mark.parametrize("functional", [False, True])
def test_nested_batchnorm_model_trains_inside_an_outer_model(functional):
    if functional:
        i = L.Input((3,))
        inner = keras.Model(i, L.BatchNormalization(momentum=0.9)(
            L.Dense(4, kernel_initializer="ones")(i)))
    else:
        inner = keras.Sequential([L.Dense(4, input_dim=3, kernel_initializer="ones"),
                                  L.BatchNormalization(momentum=0.9)])
    z = L.Input(shape=(3,))
    outer = keras.Model(z, L.Dense(1, kernel_initializer="ones")(inner(z)))
    outer.compile(loss="mse", optimizer=keras.optimizers.SGD(0.1))
    x = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 6.0]], np.float32)
    y = np.array([[1.0], [0.0]], np.float32)
    loss = outer.train_on_batch(x, y)  # used to ask for the inner model's own Input

    a = x @ np.ones((3, 4))
    h = (a - a.mean(0)) / np.sqrt(a.var(0) + EPS)
    out = h.sum(1, keepdims=True)
    assert loss == pytest.approx(np.mean((out - y) ** 2), rel=1e-5)
    dout = 2 * (out - y) / len(x)
    np.testing.assert_allclose(outer.layers[-1].get_weights()[0], 1 - 0.1 * h.T @ dout,
                               rtol=1e-5, atol=1e-6)
    bn = inner.layers[-1]
    np.testing.assert_allclose(bn.get_weights()[2], 0.1 * a.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.get_weights()[3], 0.9 + 0.1 * a.var(0), rtol=1e-5)


def test_nested_models_activity_loss_counts_only_for_the_outer_models_inputs():
    # The inner model's call on its own Input made a loss too; only the outer call's counts.
    inner = keras.Sequential([L.Dense(4, input_dim=3, kernel_initializer="ones",
                                      activity_regularizer=keras.regularizers.l2(0.5))])
    z = L.Input(shape=(3,))
    outer = keras.Model(z, L.Dense(1, kernel_initializer="ones")(inner(z)))
    outer.compile(loss="mse", optimizer=keras.optimizers.SGD(0.0))
    # by hand: h = [3, 3, 3, 3], its l2 loss 0.5 * 36 = 18 per row (mean 18); out 12, mse 121
    assert outer.train_on_batch(np.ones((2, 3)), np.ones((2, 1))) == pytest.approx(139.0)


def test_training_updates_are_the_unconditional_and_the_models_own():
    inner = keras.Sequential([L.Dense(2, input_dim=2), L.BatchNormalization()])
    z = L.Input((2,))
    outer = keras.Model(z, inner(z))
    assert len(outer.updates) == 4  # two calls of BatchNormalization, two updates each
    kept = outer._for_own_inputs(outer.updates)
    assert len(kept) == 2
    assert kept == outer.get_updates_for(outer.inputs)
    assert outer.get_updates_for(None) == []


# -- 3. the values train_on_batch / test_on_batch / evaluate return ----------------------------
def test_batch_methods_return_numpy_scalars_of_the_loss_dtype():
    x, y = np.ones((5, 2), np.float32), np.zeros((5, 1), np.float32)
    m = keras.Sequential([L.Dense(1, input_dim=2)])
    m.compile(loss="mse", optimizer="sgd")
    for value in (m.train_on_batch(x, y), m.test_on_batch(x, y),
                  m.evaluate(x, y, batch_size=2, verbose=0)):
        assert type(value) is np.float32
    m.compile(loss="mse", optimizer="sgd", metrics=["mae"])
    for value in (m.train_on_batch(x, y), m.test_on_batch(x, y),
                  m.evaluate(x, y, batch_size=2, verbose=0)):
        assert [type(v) for v in value] == [np.float32, np.float32]
    m64 = keras.Sequential([L.Dense(1, input_dim=2, dtype="float64")])
    m64.compile(loss="mse", optimizer="sgd")
    assert type(m64.train_on_batch(x, y)) is np.float64
    assert type(m64.evaluate(x, y, verbose=0)) is np.float64


def test_fit_logs_and_history_stay_python_floats():
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    m = keras.Sequential([L.Dense(1, input_dim=2)])
    m.compile(loss="mse", optimizer="sgd", metrics=["mae"])
    seen = []

    class Record(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.extend(logs[k] for k in ("loss", "mean_absolute_error"))

    history = m.fit(x, y, batch_size=2, verbose=0, validation_data=(x, y),
                    callbacks=[Record()])
    assert {type(v) for v in seen} == {float}
    assert {type(v[0]) for v in history.history.values()} == {float}


# -- side by side with tf_keras -----------------------------------------------------------------
PROGRAM = r'''
import numpy as np


def run(tf):
    keras = tf.keras
    L = keras.layers
    out = {}

    def det(model, seed):
        ws = []
        for i, (w, v) in enumerate(zip(model.weights, model.get_weights())):
            name = w.name
            if "moving_variance" in name or "gamma" in name:
                ws.append(np.ones_like(v))
            elif "moving_mean" in name or "beta" in name:
                ws.append(np.zeros_like(v))
            else:
                ws.append((np.random.RandomState(seed + i).randn(*v.shape) * 0.3)
                          .astype(np.float32))
        model.set_weights(ws)

    # the brief's first repro
    d = keras.Sequential([L.Dense(1, input_dim=2, kernel_initializer="ones")])
    d.compile(loss="mse", optimizer=keras.optimizers.SGD(0.1))
    d.trainable = False
    z = L.Input((2,))
    combined = keras.Model(z, d(z))
    combined.compile(loss="mse", optimizer="sgd")
    d.train_on_batch(np.ones((1, 2)), np.zeros((1, 1)))
    out["frozen"] = d.get_weights()[0].ravel().tolist()

    # a nested BatchNormalization model, trained inside an outer one
    inner = keras.Sequential([L.Dense(4, input_dim=3), L.BatchNormalization()])
    z = L.Input(shape=(3,))
    outer = keras.Model(z, L.Dense(1)(inner(z)))
    outer.compile(loss="mse", optimizer="sgd", metrics=["mae"])
    det(outer, 1)
    x = np.random.RandomState(2).randn(6, 3).astype(np.float32)
    r = outer.train_on_batch(x, np.ones((6, 1)))
    out["nested_types"] = [type(v).__name__ for v in r]
    out["nested"] = [float(v) for v in r]
    r = outer.test_on_batch(x, np.ones((6, 1)))
    out["nested_test_types"] = [type(v).__name__ for v in r]
    r = outer.evaluate(x, np.ones((6, 1)), batch_size=4, verbose=0)
    out["nested_eval"] = [float(v) for v in r]
    out["nested_eval_types"] = [type(v).__name__ for v in r]
    out["nested_weights"] = [w.ravel().tolist() for w in outer.get_weights()]

    # the Keras-GAN flow
    latent = 4
    # no bias before BatchNormalization: its gradient is zero but for rounding, which Adam
    # would scale up to whole steps
    gen = keras.Sequential([L.Dense(8, input_dim=latent, use_bias=False),
                            L.BatchNormalization(momentum=0.8), L.LeakyReLU(0.2),
                            L.Dense(6, activation="tanh")])
    noise = L.Input((latent,))
    generator = keras.Model(noise, gen(noise))
    disc = keras.Sequential([L.Dense(8, input_dim=6, use_bias=False),
                             L.BatchNormalization(momentum=0.8), L.LeakyReLU(0.2),
                             L.Dense(1, activation="sigmoid")])
    img = L.Input((6,))
    discriminator = keras.Model(img, disc(img))
    discriminator.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.002, 0.5),
                          metrics=["accuracy"])
    z = L.Input((latent,))
    discriminator.trainable = False
    combined = keras.Model(z, discriminator(generator(z)))
    combined.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.002, 0.5))
    det(discriminator, 10)
    det(generator, 20)
    rng = np.random.RandomState(3)
    data = rng.uniform(-1, 1, (16, 6)).astype(np.float32)
    valid, fake = np.ones((4, 1)), np.zeros((4, 1))
    losses = []
    for step in range(3):
        noise_batch = rng.normal(0, 1, (4, latent))
        gen_imgs = generator.predict(noise_batch)
        d_real = discriminator.train_on_batch(data[rng.randint(0, 16, 4)], valid)
        d_fake = discriminator.train_on_batch(gen_imgs, fake)
        g_loss = combined.train_on_batch(noise_batch, valid)
        losses.append([float(v) for v in d_real] + [float(v) for v in d_fake] + [float(g_loss)])
        out["g_type"] = type(g_loss).__name__
    out["gan_losses"] = losses
    out["gan_disc"] = [w.ravel().tolist() for w in discriminator.get_weights()]
    out["gan_gen"] = [w.ravel().tolist() for w in generator.get_weights()]
    out["gan_pred"] = discriminator.predict(data[:3]).ravel().tolist()
    return out
'''

TF_SIDE = PROGRAM + """
import json
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
print(json.dumps(run(tf)))
"""


@pytest.fixture(scope="module")
def both():
    want = tf_side_json(TF_SIDE, REPO)  # skips without TensorFlow and tf_keras
    K.clear_session()
    scope: dict = {}
    exec(compile(PROGRAM, "gan_patterns_program", "exec"), scope)  # noqa: S102 - shared
    got = scope["run"](tf)
    K.clear_session()
    return got, want


def test_gan_patterns_match_tensorflow(both):
    got, want = both
    assert set(got) == set(want)
    for key in want:
        if key.endswith("type") or key.endswith("types"):
            assert got[key] == want[key], key
        elif key in ("nested_weights", "gan_disc", "gan_gen"):
            assert len(got[key]) == len(want[key]), key
            for a, b in zip(got[key], want[key]):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=key)
        else:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)
