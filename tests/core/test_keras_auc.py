"""tf.keras.metrics.AUC and MeanIoU: results on small cases worked out by hand, accumulation
over batches and reset, configs, errors; then the side-by-side comparison with tf_keras
(tests/core/data/keras_auc_vs_tf.py)."""

import numpy as np
import pytest

import minitf as tf
from minitf import keras
from tests.core.keras_session import _fresh_graph  # noqa: F401 - autouse fixture
from tests.core.legacy_tf import run_against_tf

LABELS = [0, 0, 1, 1]
PREDS = [0.1, 0.4, 0.35, 0.8]
# Thresholds between the predictions: at -eps, 0.2, 0.37, 0.6 and 1+eps the (tp, fp, tn, fn)
# counts are (2,2,0,0), (2,1,1,0), (1,1,1,1), (1,0,2,1), (0,0,2,2).
CUTS = [0.2, 0.37, 0.6]


def evaluate(metric, batches):
    y = tf.placeholder(tf.float32, [None])
    p = tf.placeholder(tf.float32, [None])
    w = tf.placeholder(tf.float32, [None])
    update = metric.update_state(y, p, sample_weight=w)
    result = metric.result()
    with tf.Session() as sess:
        sess.run(tf.variables_initializer(metric.variables))
        for labels, preds, weights in batches:
            sess.run(update, {y: labels, p: preds, w: weights})
        return float(sess.run(result))


@pytest.mark.parametrize("kwargs, expected", [
    # ROC: (fpr, tpr) = (1,1), (.5,1), (.5,.5), (0,.5), (0,0): trapezoids .5 + .25
    ({}, 0.75),
    # PR: (recall, precision) = (1,.5), (1,2/3), (.5,.5), (.5,1), (0,0)
    ({"curve": "PR", "summation_method": "minoring"}, 0.5 * 0.5),
    ({"curve": "PR", "summation_method": "majoring"}, 0.5 * 2 / 3 + 0.5 * 1),
])
def test_auc_by_hand(kwargs, expected):
    metric = keras.metrics.AUC(thresholds=CUTS, **kwargs)
    assert evaluate(metric, [(LABELS, PREDS, [1, 1, 1, 1])]) == pytest.approx(expected)


def test_auc_accumulates_weighted_batches_and_resets():
    # The same four predictions in two batches, the second positive weighted 0 (as if absent):
    # with only one positive (0.8) above both negatives, ROC AUC is 1.
    metric = keras.metrics.AUC(thresholds=CUTS)
    got = evaluate(metric, [(LABELS[:2], PREDS[:2], [1, 1]), (LABELS[2:], PREDS[2:], [0, 1])])
    assert got == pytest.approx(1.0)
    keras.backend.get_session().run(tf.variables_initializer(metric.variables))
    metric.reset_states()
    assert keras.backend.get_value(metric.true_positives).sum() == 0


def test_multi_label_averages_per_column_curves():
    # Column 0 is the case above (0.75); column 1 is ranked perfectly (1.0); weights 1 and 3.
    y = np.array([LABELS, [0, 0, 1, 1]], np.float32).T
    p = np.array([PREDS, [0.1, 0.2, 0.7, 0.9]], np.float32).T
    for weights, expected in ((None, (0.75 + 1.0) / 2), ([1.0, 3.0], (0.75 + 3.0) / 4)):
        metric = keras.metrics.AUC(thresholds=CUTS, multi_label=True, label_weights=weights)
        value = keras.backend.get_session().run(metric(tf.constant(y), tf.constant(p)))
        assert value == pytest.approx(expected)


def test_mean_iou_by_hand():
    # Confusion matrix (rows: labels) [[1, 1], [0, 2]]: IoU 1/2 and 2/3; weights 1,2,1,1 make
    # it [[1, 2], [0, 2]]: IoU 1/3 and 2/4.
    for weights, expected in (([1, 1, 1, 1], (1 / 2 + 2 / 3) / 2),
                              ([1, 2, 1, 1], (1 / 3 + 2 / 4) / 2)):
        metric = keras.metrics.MeanIoU(num_classes=2)
        assert evaluate(metric, [([0, 0, 1, 1], [0, 1, 1, 1], weights)]) == \
            pytest.approx(expected)
    # A class that never occurs is left out of the mean: only class 0, perfectly.
    metric = keras.metrics.MeanIoU(num_classes=3)
    assert evaluate(metric, [([0, 0], [0, 0], [1, 1])]) == pytest.approx(1.0)


def test_configs_round_trip():
    auc = keras.metrics.AUC(thresholds=[0.7, 0.3], curve="pr", summation_method="Minoring",
                            name="my_auc")
    config = auc.get_config()
    assert config["thresholds"] == [0.3, 0.7] and config["curve"] == "PR"
    assert config["summation_method"] == "minoring" and config["name"] == "my_auc"
    again = keras.metrics.get({"class_name": "AUC", "config": config})
    assert again.get_config() == config and again.num_thresholds == 4
    iou = keras.metrics.get({"class_name": "MeanIoU", "config": {"num_classes": 5}})
    assert iou.total_cm.shape.as_list() == [5, 5]


def test_errors():
    with pytest.raises(ValueError, match="`num_thresholds` must be an integer > 1"):
        keras.metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match='Invalid AUC curve value: "ROCK"'):
        keras.metrics.AUC(curve="ROCK")
    with pytest.raises(ValueError, match='Invalid AUC summation method value: "sum"'):
        keras.metrics.AUC(summation_method="sum")
    with pytest.raises(ValueError, match="`num_labels` is needed only when `multi_label`"):
        keras.metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match="`label_weights` must be non-negative"):
        keras.metrics.AUC(label_weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="must have rank 2 when `multi_label=True`"):
        keras.metrics.AUC(multi_label=True).update_state(tf.zeros([4]), tf.zeros([4]))
    with pytest.raises(ValueError, match="Number of labels is not consistent"):
        keras.metrics.AUC(label_weights=[1.0, 2.0]).update_state(tf.zeros([4, 3]),
                                                                 tf.zeros([4, 3]))


def test_against_tf_keras():
    run_against_tf("keras_auc_vs_tf.py", cases=17)
