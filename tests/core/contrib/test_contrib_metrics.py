"""tf.contrib.metrics: the streaming_* wrappers (contrib's (predictions, labels) order) against
numpy and side by side against tf.compat.v1.metrics; covariance, Pearson correlation,
concat, rates and f1_score against numpy over several batches."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import metrics as cm

RNG = np.random.RandomState(3)
P = [RNG.rand(6).astype(np.float32) for _ in range(3)]
L = [RNG.rand(6).astype(np.float32) for _ in range(3)]
W = [RNG.rand(6).astype(np.float32) for _ in range(3)]


def _stream(build, batches):
    """``build(p, l, w)`` on placeholders; the update run per batch, then the value."""
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None])
        lab = tf.placeholder(tf.float32, [None])
        w = tf.placeholder(tf.float32, [None])
        value, update = build(p, lab, w)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            ups = [sess.run(update, {p: a, lab: b, w: c}) for a, b, c in batches]
            return sess.run(value), ups


def test_argument_order_is_predictions_then_labels():
    preds = np.array([1, 0, 1, 1], np.int64)
    labels = np.array([1, 1, 0, 1], np.int64)
    with tf.Graph().as_default():
        fetch = [cm.streaming_precision(preds, labels), cm.streaming_recall(preds, labels),
                 cm.streaming_accuracy(preds, labels),
                 cm.streaming_true_positives(preds, labels),
                 cm.streaming_false_positives(preds, labels),
                 cm.streaming_false_negatives(preds, labels),
                 cm.streaming_true_negatives(preds, labels),
                 cm.streaming_mean_absolute_error(preds.astype(np.float32), np.zeros(4,
                                                                                    np.float32))]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            sess.run([u for _, u in fetch])
            got = sess.run([v for v, _ in fetch])
    np.testing.assert_allclose(got, [2 / 3, 2 / 3, 0.5, 2, 1, 1, 0, 0.75], rtol=1e-6)


def test_means_and_errors_over_batches():
    batches = list(zip(P, L, W))
    allp, alll, allw = (np.concatenate(x) for x in (P, L, W))
    got, _ = _stream(lambda p, lb, w: cm.streaming_mean(p, w), batches)
    np.testing.assert_allclose(got, (allp * allw).sum() / allw.sum(), rtol=1e-5)
    got, _ = _stream(lambda p, lb, w: cm.streaming_mean_squared_error(p, lb), batches)
    np.testing.assert_allclose(got, ((allp - alll) ** 2).mean(), rtol=1e-5)
    got, _ = _stream(lambda p, lb, w: cm.streaming_root_mean_squared_error(p, lb, w), batches)
    np.testing.assert_allclose(got, np.sqrt((allw * (allp - alll) ** 2).sum() / allw.sum()),
                               rtol=1e-5)
    got, _ = _stream(lambda p, lb, w: cm.streaming_percentage_less(p, 0.5), batches)
    np.testing.assert_allclose(got, (allp < 0.5).mean(), rtol=1e-6)


def test_covariance_and_pearson_match_numpy():
    batches = list(zip(P, L, W))
    allp, alll, allw = (np.concatenate(x).astype(np.float64) for x in (P, L, W))
    got, ups = _stream(lambda p, lb, w: cm.streaming_covariance(p, lb), batches)
    np.testing.assert_allclose(got, np.cov(allp, alll)[0, 1], rtol=1e-5)
    np.testing.assert_allclose(ups[0], np.cov(P[0], L[0])[0, 1], rtol=1e-5)
    got, _ = _stream(lambda p, lb, w: cm.streaming_covariance(p, lb, weights=w), batches)
    mp, ml = np.average(allp, weights=allw), np.average(alll, weights=allw)
    want = (allw * (allp - mp) * (alll - ml)).sum() / (allw.sum() - 1)
    np.testing.assert_allclose(got, want, rtol=1e-4)
    got, _ = _stream(lambda p, lb, w: cm.streaming_pearson_correlation(p, lb), batches)
    np.testing.assert_allclose(got, np.corrcoef(allp, alll)[0, 1], rtol=1e-4)
    got, _ = _stream(lambda p, lb, w: cm.streaming_covariance(p, lb), [(P[0][:1], L[0][:1],
                                                                      W[0][:1])])
    assert np.isnan(got)  # one element: no unbiased covariance


def test_covariance_local_variables():
    with tf.Graph().as_default():
        cm.streaming_pearson_correlation(tf.constant(P[0]), tf.constant(L[0]))
        names = sorted(v.op.name for v in tf.local_variables())
    assert "pearson_r/covariance/comoment" in names
    assert "pearson_r/variance_labels/mean_label" in names and len(names) == 12


def test_streaming_concat():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int32, [2, None])
        value, update = cm.streaming_concat(x, axis=1)
        capped, capped_update = cm.streaming_concat(x, axis=-1, max_size=4)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run(value).shape == (2, 0)
            sizes = [sess.run([update, capped_update], {x: [[1, 2], [3, 4]]}),
                     sess.run([update, capped_update], {x: [[5, 6, 7], [8, 9, 10]]})]
            got, got_capped = sess.run([value, capped])
    assert sizes == [[2, 2], [5, 4]]  # TF's update op is the size after the batch
    assert got.tolist() == [[1, 2, 5, 6, 7], [3, 4, 8, 9, 10]]
    assert got_capped.tolist() == [[1, 2, 5, 6], [3, 4, 8, 9]]
    with tf.Graph().as_default(), pytest.raises(ValueError, match=r"axis = 2 not in \[0, 2\)"):
        cm.streaming_concat(tf.zeros([2, 3]), axis=2)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="statically known size"):
        cm.streaming_concat(tf.placeholder(tf.float32, [None, None]))


def test_rates_and_f1():
    preds = np.array([1, 0, 1, 1, 0, 0], bool)
    labels = np.array([1, 1, 0, 1, 0, 0], bool)
    with tf.Graph().as_default():
        fpr = cm.streaming_false_positive_rate(preds, labels)
        fnr = cm.streaming_false_negative_rate(preds, labels)
        f1 = cm.f1_score(labels.astype(np.float32),
                         np.array([0.9, 0.2, 0.6, 0.8, 0.1, 0.3], np.float32))
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run(fpr[0]) == 0.0  # nothing seen: 0, not NaN
            sess.run([fpr[1], fnr[1], f1[1]])
            got = sess.run([fpr[0], fnr[0], f1[0]])
    # fp=1, tn=2; fn=1, tp=2; threshold between 0.3 and 0.6 separates perfectly but 0.6 (fp):
    # best threshold 0.6 < t < 0.8 gives tp=2, fp=0, fn=1 -> F1 = 0.8
    np.testing.assert_allclose(got, [1 / 3, 1 / 3, 0.8], rtol=1e-5)


def test_aggregate():
    with tf.Graph().as_default():
        a = cm.streaming_mean([1.0, 3.0])
        b = cm.streaming_mean([5.0])
        values, updates = cm.aggregate_metrics(a, b)
        assert values == [a[0], b[0]] and updates == [a[1], b[1]]
        vmap, umap = cm.aggregate_metric_map({"a": a, "b": b})
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            sess.run(umap)
            assert sess.run(vmap) == {"a": 2.0, "b": 5.0}
    with pytest.raises(ValueError, match="at least one"):
        cm.aggregate_metrics()


def test_wrappers_match_tensorflow_metrics():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    preds = RNG.rand(3, 8).astype(np.float32)
    labels = (RNG.rand(3, 8) > 0.5).astype(np.float32)
    cls_p = RNG.randint(0, 3, (3, 8))
    cls_l = RNG.randint(0, 3, (3, 8))

    def build(lib, contrib):
        p = lib.placeholder(lib.float32, [8])
        lab = lib.placeholder(lib.float32, [8])
        cp = lib.placeholder(lib.int64, [8])
        cl = lib.placeholder(lib.int64, [8])
        if contrib:
            pairs = [cm.streaming_auc(p, lab), cm.streaming_mean_iou(cp, cl, 3),
                     cm.streaming_precision_at_thresholds(p, lab, [0.3, 0.7]),
                     cm.streaming_specificity_at_sensitivity(p, lab, 0.5),
                     cm.streaming_mean_relative_error(p, lab, lab + 1.0),
                     cm.streaming_accuracy(cp, cl)]
        else:
            m = lib.metrics
            pairs = [m.auc(lab, p), m.mean_iou(cl, cp, 3),
                     m.precision_at_thresholds(lab, p, [0.3, 0.7]),
                     m.specificity_at_sensitivity(lab, p, 0.5),
                     m.mean_relative_error(lab, p, lab + 1.0), m.accuracy(cl, cp)]
        return (p, lab, cp, cl), pairs

    def run(lib, contrib):
        g = lib.Graph()
        with g.as_default():
            phs, pairs = build(lib, contrib)
            with lib.Session(graph=g) as sess:
                sess.run(lib.local_variables_initializer())
                for k in range(3):
                    sess.run([u for _, u in pairs],
                             dict(zip(phs, [preds[k], labels[k], cls_p[k], cls_l[k]])))
                return sess.run([v for v, _ in pairs])

    for got, want in zip(run(tf, True), run(tf1, False)):
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_counts_at_thresholds_are_the_confusion_variables_in_the_callers_scope():
    """contrib's streaming_*_at_thresholds return the counter itself (``true_positives:0``)
    and its AssignAdd, made where they are called, as TF 1.15."""
    pred = np.array([0.1, 0.6, 0.8, 0.3], np.float32)
    lab = np.array([0, 1, 0, 1], bool)
    with tf.Graph().as_default():
        tp, tp_up = cm.streaming_true_positives_at_thresholds(pred, lab, [0.2, 0.7])
        fn, fn_up = cm.streaming_false_negatives_at_thresholds(pred, lab, [0.2, 0.7])
        assert (tp.name, tp_up.op.type) == ("true_positives:0", "AssignAdd")
        assert fn.name == "false_negatives:0"
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            sess.run([tp_up, fn_up])
            sess.run([tp_up, fn_up])
            got = sess.run([tp, fn])
    # positives at 0.6 and 0.3: above 0.2 -> both; above 0.7 -> none (two batches)
    np.testing.assert_array_equal(got[0], [4, 0])
    np.testing.assert_array_equal(got[1], [0, 4])
