"""minitf's tf.keras.optimizers.schedules against tf_keras' (Keras 2, v1 graph mode): each
schedule's value at steps 0-9 (fed as an int64 step), its config, and a model trained with a
schedule as the learning rate of each optimizer that takes one (history and final weights),
plus the optimizer's config round trip. Prints one "OK" line per case. Run with
TF_USE_LEGACY_KERAS=1 (tests/core/legacy_tf.py)."""

import copy
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()

import tf_keras  # noqa: E402

import minitf as mtf  # noqa: E402
from minitf import keras as mkeras  # noqa: E402

SCHEDULES = [
    ("ExponentialDecay", (0.1, 3, 0.5), {}),
    ("ExponentialDecay", (0.1, 3, 0.5), {"staircase": True}),
    ("PiecewiseConstantDecay", ([2, 4], [0.1, 0.05, 0.01]), {}),
    ("PolynomialDecay", (0.1, 4, 0.01), {"power": 2.0}),
    ("PolynomialDecay", (0.1, 3, 0.01), {"cycle": True}),
    ("InverseTimeDecay", (0.1, 2, 0.5), {"staircase": True}),
    ("CosineDecay", (0.1, 5), {"alpha": 0.1}),
    ("CosineDecay", (0.01, 4), {"warmup_target": 0.1, "warmup_steps": 3}),
    ("CosineDecayRestarts", (0.1, 2), {"t_mul": 2.0, "m_mul": 0.5}),
    ("CosineDecayRestarts", (0.1, 2), {"t_mul": 1.0, "alpha": 0.2}),
]
CASES = 0


def values(module, ns, graph_cls, session_cls, name, args, kwargs):
    with graph_cls().as_default():
        schedule = getattr(module.optimizers.schedules, name)(*args, **kwargs)
        step = ns.placeholder(ns.int64, [])
        out = schedule(step)
        with session_cls() as sess:
            got = [sess.run(out, {step: i}) for i in range(10)]
    return np.array(got), schedule.get_config()


def fit(module, name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = rng.standard_normal((16, 1)).astype(np.float32)
    module.backend.clear_session()  # a new default graph and Keras session
    optimizers = module.optimizers if module is mkeras else module.optimizers.legacy
    schedule = module.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True)
    model = module.Sequential([module.layers.Dense(1, input_shape=(3,),
                                                   kernel_initializer="ones")])
    model.compile(getattr(optimizers, name)(learning_rate=schedule), "mse")
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    config = model.optimizer.get_config()
    again = type(model.optimizer).from_config(copy.deepcopy(config))  # tf_keras edits it
    return (history.history["loss"], model.get_weights(), config["learning_rate"]["config"],
                again.get_config()["learning_rate"]["config"])


def check(label, fn):
    global CASES
    CASES += 1
    try:
        fn()
        print(f"OK {label}")
    except AssertionError as e:
        print(f"DIFF {label}: {str(e)[:2000]}")
    except Exception as e:  # noqa: BLE001
        print(f"FAIL {label}: {type(e).__name__}: {str(e)[:2000]}")


def schedule_case(name, args, kwargs):
    def run():
        mine, mine_config = values(mkeras, mtf, mtf.Graph, mtf.Session, name, args, kwargs)
        ref, ref_config = values(tf_keras, tf1, tf.Graph, tf1.Session, name, args, kwargs)
        np.testing.assert_allclose(mine, ref, rtol=1e-6, atol=1e-8)
        assert mine.dtype == ref.dtype, (mine.dtype, ref.dtype)
        assert mine_config == ref_config, (mine_config, ref_config)
    return run


def fit_case(name):
    def run():
        mine, ref = fit(mkeras, name), fit(tf_keras, name)
        np.testing.assert_allclose(mine[0], ref[0], rtol=2e-5)
        for a, b in zip(mine[1], ref[1]):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)
        assert mine[2] == ref[2] == mine[3] == ref[3], (mine[2:], ref[2:])
    return run


if __name__ == "__main__":
    for name, args, kwargs in SCHEDULES:
        check(f"{name} {kwargs}", schedule_case(name, args, kwargs))
    for name in ("SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax"):
        check(f"fit {name}", fit_case(name))
