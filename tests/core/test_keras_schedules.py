"""tf.keras.optimizers.schedules: values against hand-computed formulas, an optimizer stepping
with a schedule against numpy, configs through the optimizer and model.save/load_model, and
errors; then the side-by-side comparison with tf_keras
(tests/core/data/keras_schedules_vs_tf.py)."""

import math

import numpy as np
import pytest

import minitf as tf
from minitf import keras
from tests.core.keras_session import _fresh_graph  # noqa: F401 - autouse fixture
from tests.core.legacy_tf import run_against_tf

S = keras.optimizers.schedules


def at_steps(schedule, steps):
    step = tf.placeholder(tf.int64, [])
    out = schedule(step)
    with tf.Session() as sess:
        return [float(sess.run(out, {step: s})) for s in steps]


@pytest.mark.parametrize("schedule, formula", [
    (S.ExponentialDecay(0.1, 3, 0.5), lambda s: 0.1 * 0.5 ** (s / 3)),
    (S.ExponentialDecay(0.1, 3, 0.5, staircase=True), lambda s: 0.1 * 0.5 ** (s // 3)),
    (S.InverseTimeDecay(0.1, 2, 0.5), lambda s: 0.1 / (1 + 0.5 * s / 2)),
    (S.PolynomialDecay(0.1, 4, 0.01, power=2.0),
     lambda s: (0.1 - 0.01) * (1 - min(s, 4) / 4) ** 2 + 0.01),
    (S.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01]),
     lambda s: 0.1 if s <= 2 else 0.05 if s <= 4 else 0.01),
    (S.CosineDecay(0.1, 5, alpha=0.1),
     lambda s: 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * min(s, 5) / 5)) + 0.1)),
    (S.CosineDecay(0.01, 4, warmup_target=0.1, warmup_steps=3),
     lambda s: 0.01 + (0.1 - 0.01) * s / 3 if s < 3 else
     0.1 * 0.5 * (1 + math.cos(math.pi * (min(s, 7) - 3) / 4))),
    (S.CosineDecayRestarts(0.1, 2, t_mul=1.0, m_mul=0.5),  # periods of 2 steps, halving
     lambda s: 0.1 * 0.5 ** (s // 2) * 0.5 * (1 + math.cos(math.pi * (s % 2) / 2))),
])
def test_schedule_values(schedule, formula):
    steps = range(10)
    np.testing.assert_allclose(at_steps(schedule, steps), [formula(s) for s in steps],
                               rtol=1e-6)


def test_sgd_steps_with_the_scheduled_rate():
    # SGD on loss = sum(w * g): each step moves w by -lr(step) * g, lr halving every 2 steps.
    g = np.array([1.0, -2.0], np.float32)
    w = tf.Variable(np.zeros(2, np.float32))
    opt = keras.optimizers.SGD(learning_rate=S.ExponentialDecay(0.4, 2, 0.5, staircase=True))
    train = opt.minimize(tf.reduce_sum(w * g), [w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = []
        for _ in range(5):
            sess.run(train)
            got.append(sess.run(w))
    rates = [0.4, 0.4, 0.2, 0.2, 0.1]
    np.testing.assert_allclose(got, -np.cumsum(rates)[:, None] * g, rtol=1e-6)


def test_decay_applies_after_the_schedule():
    opt = keras.optimizers.SGD(learning_rate=S.PiecewiseConstantDecay([0], [1.0, 0.5]),
                               decay=1.0)
    w = tf.Variable(np.zeros(1, np.float32))
    train = opt.minimize(tf.reduce_sum(w), [w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)  # step 0: 1.0 / (1 + 0)
        sess.run(train)  # step 1: 0.5 / (1 + 1)
        np.testing.assert_allclose(sess.run(w), [-1.25])


def test_optimizer_config_round_trip_and_custom_schedule():
    class Halving(S.LearningRateSchedule):
        def __init__(self, start):
            self.start = start

        def __call__(self, step):
            return self.start * tf.pow(0.5, tf.cast(step, tf.float32))

        def get_config(self):
            return {"start": self.start}

    opt = keras.optimizers.Adam(learning_rate=S.PolynomialDecay(0.1, 10, cycle=True))
    config = opt.get_config()
    assert config["learning_rate"] == {"class_name": "PolynomialDecay", "config": {
        "initial_learning_rate": 0.1, "decay_steps": 10, "end_learning_rate": 0.0001,
        "power": 1.0, "cycle": True, "name": None}}
    again = keras.optimizers.deserialize({"class_name": "Adam", "config": config})
    assert isinstance(again.lr, S.PolynomialDecay) and again.lr.cycle
    custom = keras.optimizers.SGD(learning_rate=Halving(0.8)).get_config()
    with pytest.raises(ValueError, match="Unknown learning rate schedule: Halving"):
        keras.optimizers.SGD.from_config(dict(custom))
    back = keras.optimizers.SGD.from_config(dict(custom), {"Halving": Halving})
    assert isinstance(back.lr, Halving) and back.lr.start == 0.8


def test_model_with_schedule_saves_and_loads_compiled(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal((8, 1))
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile(keras.optimizers.RMSprop(S.InverseTimeDecay(0.01, 5, 0.3)), "mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(str(tmp_path / "m"))
    keras.backend.clear_session()
    loaded = keras.models.load_model(str(tmp_path / "m"))
    assert isinstance(loaded.optimizer.lr, S.InverseTimeDecay)
    assert loaded.optimizer.lr.get_config() == model.optimizer.lr.get_config()
    loaded.fit(x, y, epochs=1, verbose=0)  # and it trains


def test_errors():
    with pytest.raises(ValueError, match="boundaries should be 1 less than the length of "
                                         "values"):
        S.PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="Nadam optimizer does not support"):
        keras.optimizers.Nadam(learning_rate=S.ExponentialDecay(0.1, 2, 0.5))
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        S.LearningRateSchedule()(0)
    assert keras.experimental.CosineDecay is S.CosineDecay  # TF 1.15's home for it


def test_against_tf_keras():
    run_against_tf("keras_schedules_vs_tf.py", cases=16)


def test_nadam_reports_its_momentum_schedule_decay_as_tf_keras():
    """Nadam's config says "decay": 0.004 (the momentum schedule's, as tf_keras writes it), and
    a config's decay comes back as that schedule's, not as a learning-rate decay."""
    assert keras.optimizers.Nadam().get_config()["decay"] == 0.004
    config = keras.optimizers.Nadam(schedule_decay=0.01).get_config()
    again = keras.optimizers.Nadam.from_config(config)
    assert again.get_config()["decay"] == 0.01 and again._schedule_decay == 0.01
    assert again._initial_decay == 0.0  # no learning-rate decay
