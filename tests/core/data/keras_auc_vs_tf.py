"""minitf's tf.keras.metrics.AUC and MeanIoU against tf_keras' (Keras 2, v1 graph mode): each
metric updated with the same two batches (labels, predictions, sample weights) and its result
and config compared; then AUC as a compiled metric of a model fitted in both (histories).
Prints one "OK" line per case. Run with TF_USE_LEGACY_KERAS=1 (tests/core/legacy_tf.py)."""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf1 = tf.compat.v1
tf1.disable_eager_execution()

import tf_keras  # noqa: E402

import minitf as mtf  # noqa: E402
from minitf import keras as mkeras  # noqa: E402

RNG = np.random.default_rng(11)
N, L = 24, 3
BATCHES = [(RNG.integers(0, 2, (N, L)).astype(np.float32), RNG.random((N, L)).astype(np.float32),
            RNG.random(N).astype(np.float32)) for _ in range(2)]
LOGITS = [(y, (p - 0.5) * 6, w) for y, p, w in BATCHES]
CLASSES = [(RNG.integers(0, 4, (N,)), RNG.integers(0, 4, (N,)), RNG.random(N)) for _ in range(2)]
SOFT = [(y, RNG.random((N, 4)).astype(np.float32), w) for y, _, w in CLASSES]

AUCS = [
    ({}, BATCHES, True), ({}, BATCHES, False),
    ({"curve": "PR"}, BATCHES, True),
    ({"curve": "PR", "summation_method": "minoring"}, BATCHES, False),
    ({"summation_method": "majoring", "num_thresholds": 7}, BATCHES, True),
    ({"curve": "PR_GAIN"}, BATCHES, False),
    ({"thresholds": [0.2, 0.5, 0.7]}, BATCHES, True),
    ({"multi_label": True}, BATCHES, True),
    ({"multi_label": True, "curve": "PR", "label_weights": [0.5, 1.0, 2.0]}, BATCHES, False),
    ({"multi_label": True, "num_labels": 3}, BATCHES, False),
    ({"label_weights": [0.5, 1.0, 2.0]}, BATCHES, True),
    ({"from_logits": True}, LOGITS, True),
]
IOUS = [({"num_classes": 4}, CLASSES, True), ({"num_classes": 4}, CLASSES, False),
        ({"num_classes": 4, "ignore_class": 0}, CLASSES, True),
        ({"num_classes": 4, "sparse_y_pred": False}, SOFT, True)]
CASES = 0


def run_metric(module, ns, graph_cls, session_cls, cls_name, kwargs, batches, weighted):
    with graph_cls().as_default():
        metric = getattr(module.metrics, cls_name)(**kwargs)
        y = ns.placeholder(ns.as_dtype(batches[0][0].dtype), batches[0][0].shape)
        p = ns.placeholder(ns.as_dtype(batches[0][1].dtype), batches[0][1].shape)
        w = ns.placeholder(ns.float32, [N]) if weighted else None
        update = metric.update_state(y, p, sample_weight=w)
        result = metric.result()
        with session_cls() as sess:
            sess.run(ns.variables_initializer(metric.variables))
            got = []
            for yv, pv, wv in batches:
                feed = {y: yv, p: pv}
                if weighted:
                    feed[w] = wv.astype(np.float32)
                sess.run(update, feed)
                got.append(sess.run(result))
        return np.array(got), metric.get_config()


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


def metric_case(cls_name, kwargs, batches, weighted):
    def run():
        mine, mine_config = run_metric(mkeras, mtf, mtf.Graph, mtf.Session, cls_name, kwargs,
                                       batches, weighted)
        ref, ref_config = run_metric(tf_keras, tf1, tf.Graph, tf1.Session, cls_name, kwargs,
                                     batches, weighted)
        np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-6)
        ref_config = {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                      for k, v in ref_config.items()}
        assert mine_config == ref_config, (mine_config, ref_config)
    return run


def fit(module):
    module.backend.clear_session()
    x = np.random.default_rng(0).standard_normal((32, 4)).astype(np.float32)
    y = (x[:, :1] + 0.3 * x[:, 1:2] > 0).astype(np.float32)
    model = module.Sequential([module.layers.Dense(1, activation="sigmoid", input_shape=(4,),
                                                   kernel_initializer="ones")])
    optimizer = (module.optimizers if module is mkeras else module.optimizers.legacy).SGD(0.1)
    model.compile(optimizer, "binary_crossentropy",
                  metrics=[module.metrics.AUC(name="auc"),
                           module.metrics.AUC(curve="PR", name="pr")])
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    return history.history


def fit_case():
    mine, ref = fit(mkeras), fit(tf_keras)
    assert sorted(mine) == sorted(ref), (sorted(mine), sorted(ref))
    for k in ref:
        np.testing.assert_allclose(mine[k], ref[k], rtol=2e-5, err_msg=k)


if __name__ == "__main__":
    for kwargs, batches, weighted in AUCS:
        check(f"AUC {kwargs} weighted={weighted}", metric_case("AUC", kwargs, batches, weighted))
    for kwargs, batches, weighted in IOUS:
        check(f"MeanIoU {kwargs} weighted={weighted}",
              metric_case("MeanIoU", kwargs, batches, weighted))
    check("fit with AUC metrics", fit_case)
