"""tf.metrics: streaming mean, accuracy, precision and recall against hand counts; names as
TF1's (the values below were also checked against tf.compat.v1 by hand)."""

import numpy as np
import pytest

import minitf as tf

BATCHES = [([1, 0, 1, 1], [1, 1, 1, 0]), ([0, 0], [0, 1])]


def _hand(batches):
    """Running (accuracy, mean of labels, precision, recall) after each batch."""
    out, seen_l, seen_p = [], [], []
    for labels, preds in batches:
        seen_l += labels
        seen_p += preds
        lab, pre = np.array(seen_l, bool), np.array(seen_p, bool)
        tp = np.sum(lab & pre)
        out.append((np.mean(np.array(seen_l) == np.array(seen_p)), np.mean(seen_l),
                    tp / np.sum(pre) if np.sum(pre) else 0.0,
                    tp / np.sum(lab) if np.sum(lab) else 0.0))
    return out


def test_streaming_metrics_count_every_batch():
    labels = tf.placeholder(tf.int64, [None])
    preds = tf.placeholder(tf.int64, [None])
    acc, acc_up = tf.metrics.accuracy(labels, preds)
    mean, mean_up = tf.metrics.mean(tf.cast(labels, tf.float32))
    prec, prec_up = tf.metrics.precision(labels, preds)
    rec, rec_up = tf.metrics.recall(labels, preds)
    assert [v.op.name for v in tf.local_variables()] == [
        "accuracy/total", "accuracy/count", "mean/total", "mean/count",
        "precision/true_positives/count", "precision/false_positives/count",
        "recall/true_positives/count", "recall/false_negatives/count"]
    assert tf.get_collection(tf.GraphKeys.METRIC_VARIABLES) == tf.local_variables()
    assert not tf.trainable_variables()
    assert (acc.op.name, acc_up.op.name) == ("accuracy/value", "accuracy/update_op")
    want = _hand(BATCHES)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run([acc, prec]) == [0.0, 0.0]  # nothing counted yet
        for (lv, pv), expected in zip(BATCHES, want):
            got = sess.run([acc_up, mean_up, prec_up, rec_up], {labels: lv, preds: pv})
            np.testing.assert_allclose(got, expected, rtol=1e-6)
        np.testing.assert_allclose(sess.run([acc, mean, prec, rec]), want[-1], rtol=1e-6)
        sess.run(tf.local_variables_initializer())  # resets the counts
        assert sess.run(acc) == 0.0


def test_weights_names_and_collections():
    values = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    weights = tf.constant([[1.0], [0.0]])  # broadcast over each row: only the first row counts
    m, up = tf.metrics.mean(values, weights, metrics_collections=["m"],
                            updates_collections=["u"])
    acc2, _ = tf.metrics.accuracy([1, 2], [1, 3], name=None)
    again, _ = tf.metrics.accuracy([1, 2], [1, 3])
    assert tf.get_collection("m") == [m] and tf.get_collection("u") == [up]
    assert acc2.op.name == "accuracy/value" and again.op.name == "accuracy_1/value"
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(up) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="incompatible"):
        tf.metrics.accuracy(tf.constant([1, 2]), tf.constant([1, 2, 3]))


def test_trailing_unit_dimensions_are_squeezed_as_in_tf1():
    """[N, 1] labels against [N] predictions compare element by element (not N x N), and
    rank-1 weights meet rank-2 values with a dimension added (TF1's squeezing)."""
    labels = tf.constant([[1], [0], [1], [1]])
    preds = tf.constant([1, 1, 1, 1])
    _, prec = tf.metrics.precision(labels, preds)
    _, rec = tf.metrics.recall(labels, preds)
    _, acc = tf.metrics.accuracy(labels, preds)
    _, weighted = tf.metrics.mean(tf.constant([[1.0, 1.0], [0.0, 0.0]]), tf.constant([3.0, 1.0]))
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        got = sess.run([prec, rec, acc, weighted])
    np.testing.assert_allclose(got, [0.75, 1.0, 0.75, 0.75], rtol=1e-6)
