"""tf.contrib.metrics' contrib-only metrics (accuracy, the histogram and dynamic AUCs, curve
points, rates at thresholds, precision at recall, top-k ratios, count, Cohen's kappa...)
against numpy, and side by side with tf_slim.metrics (TF 1.15's contrib metric_ops) on
tf.compat.v1 in a process of its own; confusion_matrix and the set ops against tf.compat.v1."""

import json
import os

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import metrics as cm
from tests.core.side_by_side import tf_run
from tests.core.legacy_tf import tf_side_json

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


RNG = np.random.RandomState(7)
PRED = [np.round(RNG.rand(8), 2).astype(np.float32) for _ in range(3)]  # ties at 2 decimals
LAB = [(RNG.rand(8) < 0.5).astype(np.int64) for _ in range(3)]
WTS = [RNG.rand(8).astype(np.float32) + 0.2 for _ in range(3)]

# One program, run with (tf, metrics) = minitf's or tf.compat.v1 and tf_slim.metrics.
PROGRAM = """
import numpy as np


def stream(tf, build, batches):
    '''build(p, l, w) on placeholders: the update run per batch; then the value, and the
    local variables' names.'''
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None])
        lab = tf.placeholder(tf.int64, [None])
        w = tf.placeholder(tf.float32, [None])
        value, update = build(p, lab, w)
        names = sorted(v.op.name for v in tf.local_variables())
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            for a, b, c in batches:
                sess.run(update, {p: a, lab: b, w: c})
            a, b, c = batches[-1]
            got = sess.run(value, {p: a, lab: b, w: c})
    if isinstance(got, tuple):  # a namedtuple
        got = [np.asarray(x).tolist() for x in got]
    return {"value": np.asarray(got).tolist(), "locals": names}


def run(tf, m, batches):
    batches = [tuple(np.asarray(x) for x in b) for b in batches]
    out = {}
    cases = {
        "hist_auc": lambda p, l, w: m.auc_using_histogram(tf.cast(l, tf.bool), p, [0.0, 1.0],
                                                          nbins=10),
        "curve_roc": lambda p, l, w: m.streaming_curve_points(l, p, num_thresholds=7),
        "curve_pr": lambda p, l, w: m.streaming_curve_points(l, p, w, num_thresholds=5,
                                                             curve="PR"),
        "dyn_roc": lambda p, l, w: m.streaming_dynamic_auc(l, p),
        "dyn_pr_w": lambda p, l, w: m.streaming_dynamic_auc(l, p, curve="PR", weights=w),
        "ci_logit": lambda p, l, w: m.auc_with_confidence_intervals(l, p),
        "ci_plain_w": lambda p, l, w: m.auc_with_confidence_intervals(
            l, p, w, alpha=0.9, logit_transformation=False),
        "pr_equal": lambda p, l, w: m.precision_recall_at_equal_thresholds(
            tf.cast(l, tf.bool), p, w, num_thresholds=6),
        "fpr_at": lambda p, l, w: m.streaming_false_positive_rate_at_thresholds(
            p, l, [0.2, 0.5, 0.8], w),
        "fnr_at": lambda p, l, w: m.streaming_false_negative_rate_at_thresholds(
            p, l, [0.2, 0.5, 0.8]),
        "rec_at_prec": lambda p, l, w: m.recall_at_precision(l, p, 0.45, num_thresholds=11),
        "rec_at_prec_strict": lambda p, l, w: m.recall_at_precision(
            l, p, 0.5, w, num_thresholds=11, strict_mode=True),
        "prec_at_rec": lambda p, l, w: m.precision_at_recall(l, p, 0.5, w, num_thresholds=9),
        "count_w": lambda p, l, w: m.count(p, w),
        "count": lambda p, l, w: m.count(p),
        "kappa": lambda p, l, w: m.cohen_kappa(l, tf.cast(p * 3, tf.int64), 3),
        "kappa_w": lambda p, l, w: m.cohen_kappa(l, tf.cast(p * 3, tf.int64), 3, weights=w),
        "top_k_prec": lambda p, l, w: m.streaming_sparse_precision_at_top_k(
            tf.reshape(tf.cast(p * 5, tf.int64), [-1, 2]), tf.reshape(l + 1, [-1, 2])),
        "top_k_prec_class": lambda p, l, w: m.streaming_sparse_precision_at_top_k(
            tf.reshape(tf.cast(p * 5, tf.int64), [-1, 2]), tf.reshape(l + 1, [-1, 2]),
            class_id=1),
        "top_k_rec": lambda p, l, w: m.sparse_recall_at_top_k(
            tf.reshape(l + 1, [-1, 2]), tf.reshape(tf.cast(p * 5, tf.int64), [-1, 2]),
            weights=tf.reshape(w, [-1, 2])[:, 0]),
        "top_k_ap": lambda p, l, w: m.streaming_sparse_average_precision_at_top_k(
            tf.reshape(tf.cast(p * 5, tf.int64), [-1, 2]), tf.reshape(l + 1, [-1, 2])),
    }
    for key, build in cases.items():
        out[key] = stream(tf, build, batches)
    with tf.Graph().as_default(), tf.Session() as sess:
        a = np.array([1, 2, 3, 2], np.int64)
        b = np.array([1, 2, 2, 2], np.int64)
        out["accuracy"] = sess.run(m.accuracy(tf.constant(a), tf.constant(b))).tolist()
        out["accuracy_w"] = sess.run(m.accuracy(tf.constant(a), tf.constant(b),
                                                weights=tf.constant([1., 2., 3., 4.]))).tolist()
    return out
"""

TF_SIDE = PROGRAM + """
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
sys.path.insert(0, sys.argv[2])
from tests.core.contrib.tf_slim_compat import patch_tf_slim_for_tf2
patch_tf_slim_for_tf2()
from tensorflow.python.ops import control_flow_ops
for name in ("Assert", "group", "no_op"):  # moved out of control_flow_ops in TF 2.x
    if not hasattr(control_flow_ops, name):
        setattr(control_flow_ops, name, getattr(tf, name))
import tf_slim
batches = json.loads(sys.argv[1])
print(json.dumps(run(tf, tf_slim.metrics, batches)))
"""


def _batches():
    return [[p.tolist(), lab.tolist(), w.tolist()] for p, lab, w in zip(PRED, LAB, WTS)]


def _ours():
    scope = {}
    exec(compile(PROGRAM, "metrics_program", "exec"), scope)  # noqa: S102 - shared program
    return json.loads(json.dumps(scope["run"](tf, tf.contrib.metrics, _batches())))


def test_contrib_metrics_match_tf_slim():
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_slim")
    pytest.importorskip("tf_keras")
    want = tf_side_json(TF_SIDE, json.dumps(_batches()), REPO)
    got = _ours()
    assert sorted(got) == sorted(want)
    for key in want:
        if isinstance(want[key], dict):
            assert got[key]["locals"] == want[key]["locals"], key
            np.testing.assert_allclose(got[key]["value"], want[key]["value"], rtol=2e-5,
                                       atol=1e-6, err_msg=key)
        else:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-6, err_msg=key)


# -- against numpy (these run without TensorFlow) -------------------------------------------------
def _stream_ours(build):
    scope = {}
    exec(compile(PROGRAM, "metrics_program", "exec"), scope)  # noqa: S102 - shared program
    batches = [tuple(np.asarray(x) for x in b) for b in _batches()]
    return scope["stream"](tf, build, batches)["value"]


ALL_P, ALL_L, ALL_W = (np.concatenate(x).astype(np.float64) for x in (PRED, LAB, WTS))


def _mann_whitney(scores, labels, weights):
    """P(score of a positive > score of a negative), ties counting half, weighted."""
    pos, neg = labels == 1, labels == 0
    sp, sn = scores[pos][:, None], scores[neg][None, :]
    pair = np.outer(weights[pos], weights[neg])
    wins = (sp > sn) + 0.5 * (sp == sn)
    return (pair * wins).sum() / pair.sum()


def test_dynamic_auc_is_mann_whitney():
    got = _stream_ours(lambda p, lab, w: cm.streaming_dynamic_auc(lab, p))
    np.testing.assert_allclose(got, _mann_whitney(ALL_P, ALL_L, np.ones_like(ALL_P)), rtol=1e-9)
    got = _stream_ours(lambda p, lab, w: cm.streaming_dynamic_auc(lab, p, weights=w))
    np.testing.assert_allclose(got, _mann_whitney(ALL_P, ALL_L, ALL_W), rtol=1e-6)


def test_confidence_interval_auc_is_mann_whitney_and_brackets_it():
    auc, lower, upper = _stream_ours(lambda p, lab, w: cm.auc_with_confidence_intervals(lab, p))
    np.testing.assert_allclose(auc, _mann_whitney(ALL_P, ALL_L, np.ones_like(ALL_P)),
                               rtol=1e-5)
    assert 0 < lower < auc < upper < 1


def test_histogram_auc_is_binned_mann_whitney():
    got = _stream_ours(lambda p, lab, w: cm.auc_using_histogram(tf.cast(lab, tf.bool), p,
                                                                [0.0, 1.0], nbins=10))
    bins = np.minimum(np.floor(ALL_P * 10), 9)
    np.testing.assert_allclose(got, _mann_whitney(bins, ALL_L, np.ones_like(ALL_P)), rtol=1e-6)


def test_precision_recall_at_equal_thresholds_counts():
    t = 6
    data = _stream_ours(lambda p, lab, w: cm.precision_recall_at_equal_thresholds(
        tf.cast(lab, tf.bool), p, w, num_thresholds=t))
    tp, fp, tn, fn, precision, recall, thresholds = (np.array(x) for x in data)
    bucket = np.floor(ALL_P * (t - 1))
    want_tp = [(ALL_W * ALL_L * (bucket >= i)).sum() for i in range(t)]
    want_fp = [(ALL_W * (1 - ALL_L) * (bucket >= i)).sum() for i in range(t)]
    np.testing.assert_allclose(tp, want_tp, rtol=1e-5)
    np.testing.assert_allclose(fp, want_fp, rtol=1e-5)
    np.testing.assert_allclose(fn, want_tp[0] - np.array(want_tp), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tn, want_fp[0] - np.array(want_fp), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(precision, tp / np.maximum(1e-7, tp + fp), rtol=1e-6)
    np.testing.assert_allclose(recall, tp / np.maximum(1e-7, tp + fn), rtol=1e-6)
    np.testing.assert_allclose(thresholds, np.linspace(0, 1, t), rtol=1e-6)


def test_rates_at_thresholds_and_precision_at_recall():
    thresholds = [0.2, 0.5, 0.8]  # compared in float32, as the metric compares
    p32 = ALL_P.astype(np.float32)
    above = [p32 > np.float32(t) for t in thresholds]
    got = _stream_ours(lambda p, lab, w: cm.streaming_false_positive_rate_at_thresholds(
        p, lab, thresholds, w))
    fp = np.array([(ALL_W * (1 - ALL_L) * a).sum() for a in above])
    tn = np.array([(ALL_W * (1 - ALL_L) * ~a).sum() for a in above])
    np.testing.assert_allclose(got, fp / (fp + tn + 1e-7), rtol=1e-5)
    got = _stream_ours(lambda p, lab, w: cm.streaming_false_negative_rate_at_thresholds(
        p, lab, thresholds))
    tp = np.array([(ALL_L * a).sum() for a in above])
    fn = np.array([(ALL_L * ~a).sum() for a in above])
    np.testing.assert_allclose(got, fn / (fn + tp + 1e-7), rtol=1e-5)
    # precision at the largest of 9 thresholds whose recall is still >= 0.5
    grid = [-1e-7] + [(i + 1) / 8 for i in range(7)] + [1 + 1e-7]
    tps = np.array([(ALL_L * (p32 > np.float32(t))).sum() for t in grid])
    fps = np.array([((1 - ALL_L) * (p32 > np.float32(t))).sum() for t in grid])
    best = np.nonzero(tps / ALL_L.sum() >= 0.5)[0].max()
    got = _stream_ours(lambda p, lab, w: cm.precision_at_recall(lab, p, 0.5, num_thresholds=9))
    np.testing.assert_allclose(got, (tps[best] + 1e-7) / (tps[best] + fps[best] + 1e-7),
                               rtol=1e-5)


def test_count_kappa_and_accuracy():
    got = _stream_ours(lambda p, lab, w: cm.count(p, w))
    np.testing.assert_allclose(got, ALL_W.sum(), rtol=1e-5)
    got = _stream_ours(lambda p, lab, w: cm.cohen_kappa(lab, tf.cast(p * 3, tf.int64), 3))
    table = np.zeros([3, 3])
    np.add.at(table, (ALL_L.astype(int), (ALL_P * 3).astype(int)), 1)
    n = table.sum()
    po, pe = np.trace(table) / n, (table.sum(0) * table.sum(1)).sum() / n ** 2
    np.testing.assert_allclose(got, (po - pe) / (1 - pe), rtol=1e-9)
    with tf.Session() as sess:
        a, b = np.array([1, 2, 3, 2]), np.array([1, 2, 2, 2])
        w = np.array([1., 2., 3., 4.], np.float32)
        got = sess.run([cm.accuracy(tf.constant(a), tf.constant(b)),
                        cm.accuracy(tf.constant(a), tf.constant(b), weights=w),
                        cm.accuracy(tf.constant([True, False]), tf.constant([True, True]))])
    np.testing.assert_allclose(got, [0.75, (w * (a == b)).sum() / w.sum(), 0.5], rtol=1e-6)


def test_top_k_wrappers_use_contrib_scopes():
    pred = tf.constant([[1, 2], [0, 3]], tf.int64)
    labels = tf.constant([[2, 4], [0, 1]], tf.int64)
    value, update = cm.streaming_sparse_precision_at_top_k(pred, labels)
    rvalue, rupdate = cm.sparse_recall_at_top_k(labels, pred, class_id=2)
    names = sorted(v.op.name for v in tf.local_variables())
    assert names == ["precision_at_k/false_positive_at_k", "precision_at_k/true_positive_at_k",
                     "recall_at_k_class2/false_negative_at_k_class2",
                     "recall_at_k_class2/true_positive_at_k_class2"]
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([update, rupdate])
        got = sess.run([value, rvalue])
    np.testing.assert_allclose(got, [2 / 4, 1.0])


def test_confusion_matrix_and_sets_match_tf():
    labels, preds, w = [0, 1, 2, 1], [0, 2, 2, 1], [1., 2., 3., 4.]
    a = [[1, 2, 3], [4, 5, 6]]
    b = [[2, 3, 9], [4, 4, 7]]
    ours = [cm.confusion_matrix(labels, preds), cm.confusion_matrix(
        labels, preds, num_classes=4, dtype=tf.float32, weights=w)]
    ours += [tf.sparse.to_dense(f(tf.constant(a), tf.constant(b))) for f in
             (cm.set_difference, cm.set_intersection, cm.set_union)]
    ours.append(cm.set_size(tf.sparse.from_dense(tf.constant(a))))
    with tf.Session() as sess:
        got = sess.run(ours)
    want = tf_run(lambda t: [t.confusion_matrix(labels, preds), t.confusion_matrix(
        labels, preds, num_classes=4, dtype=t.float32, weights=w)] + [
        t.sparse.to_dense(f(t.constant(a), t.constant(b))) for f in
        (t.sets.set_difference, t.sets.set_intersection, t.sets.set_union)] + [
        t.sets.set_size(t.sparse.from_dense(t.constant(a)))])
    for g, x in zip(got, want):
        assert g.dtype == x.dtype
        np.testing.assert_array_equal(g, x)


def test_bad_arguments_are_named():
    p, lab = tf.constant([0.1, 0.9]), tf.constant([0, 1], tf.int64)
    with pytest.raises(ValueError, match="Labels should have bool, integer, or string"):
        cm.accuracy(p, p)
    with pytest.raises(ValueError, match="Dtypes of predictions and labels should match"):
        cm.accuracy(tf.constant([1, 2]), lab)
    with pytest.raises(ValueError, match="boolean_labels should have dtype bool"):
        cm.auc_using_histogram(lab, p, [0.0, 1.0])
    with pytest.raises(ValueError, match="curve must be either ROC or PR"):
        cm.streaming_dynamic_auc(lab, p, curve="XY")
    with pytest.raises(ValueError, match="curve must be either ROC or PR"):
        cm.streaming_curve_points(lab, p, curve="XY")
    with pytest.raises(ValueError, match="`precision` must be in the range"):
        cm.recall_at_precision(lab, p, 1.5)
    with pytest.raises(ValueError, match="`target_recall` must be in the range"):
        cm.precision_at_recall(lab, p, -0.1)
    with pytest.raises(ValueError, match="num_classes` must be >= 2"):
        cm.cohen_kappa(lab, lab, 1)
    with pytest.raises(ValueError, match="alpha must be between 0 and 1"):
        cm.auc_with_confidence_intervals(lab, p, alpha=1.0)
    with pytest.raises(TypeError, match="labels must be of dtype bool"):
        cm.precision_recall_at_equal_thresholds(lab, p)
    with pytest.raises(ValueError, match="last dimension of top_k_predictions"):
        cm.streaming_sparse_average_precision_at_top_k(
            tf.placeholder(tf.int64, [None, None]), lab)


def test_dynamic_auc_rejects_labels_other_than_0_1_at_run_time():
    labels = tf.placeholder(tf.int64, [None])
    _, update = cm.streaming_dynamic_auc(labels, tf.constant([0.2, 0.4]))
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be 0 or 1"):
            sess.run(update, {labels: [0, 2]})


def test_auc_is_zero_when_one_label_only():
    auc, update = cm.streaming_dynamic_auc(tf.constant([1, 1]), tf.constant([0.2, 0.4]))
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(update)
        assert sess.run(auc) == 0.0
