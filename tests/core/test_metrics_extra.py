"""The rest of tf.metrics (core/metrics_extra.py, core/metrics_at_k.py) and tf.sets against
references computed by hand in numpy (explicit loops over thresholds, rows and classes), streamed
over several batches and reset; names, collections and errors as TF1's. The same metrics are
compared with tf.compat.v1 itself by tests/core/data/metrics_vs_tf.py."""

import numpy as np
import pytest

import minitf as tf

from .legacy_tf import run_against_tf

R = np.random.default_rng(3)


def _stream(pairs, batches, placeholders):
    """Runs each (value, update) pair over the batches: the update_op's results after each
    batch, then the values, then the values after a reset."""
    values = [v for v, _ in pairs]
    updates = [u for _, u in pairs]
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        steps = [sess.run(updates, dict(zip(placeholders, b))) for b in batches]
        final = sess.run(values, dict(zip(placeholders, batches[0])))
        sess.run(tf.local_variables_initializer())
        reset = sess.run(values, dict(zip(placeholders, batches[0])))
    return steps, final, reset


def _seen(batches, k):
    return np.concatenate([b[k] for b in batches])


# -- means and errors ----------------------------------------------------------------------------
def test_error_metrics_stream_with_weights():
    batches = [(R.normal(size=n).astype(np.float32), R.normal(size=n).astype(np.float32),
                R.uniform(0, 2, (n, 1)).astype(np.float32),
                np.where(R.uniform(size=n) < 0.3, 0, R.uniform(0.5, 2, n)).astype(np.float32))
               for n in (4, 6, 3)]
    y, p = tf.placeholder(tf.float32, [None]), tf.placeholder(tf.float32, [None])
    w, nz = tf.placeholder(tf.float32, [None, 1]), tf.placeholder(tf.float32, [None])
    pairs = [tf.metrics.mean_squared_error(y, p), tf.metrics.mean_squared_error(y, p, w),
             tf.metrics.root_mean_squared_error(y, p, w), tf.metrics.mean_absolute_error(y, p),
             tf.metrics.mean_relative_error(y, p, nz, w),
             tf.metrics.percentage_below(p, 0.25, weights=w)]
    steps, final, reset = _stream(pairs, batches, [y, p, w, nz])
    for i in range(len(batches)):
        seen = batches[:i + 1]
        ys, ps, ws, ns = (_seen(seen, k).astype(np.float64) for k in range(4))
        ws = ws[:, 0]  # [N, 1] weights lose their last dimension against [N] values
        rel = np.where(ns == 0, 0.0, np.abs(ys - ps) / np.where(ns == 0, 1, ns))
        want = [np.mean((ys - ps) ** 2), np.sum(ws * (ys - ps) ** 2) / np.sum(ws),
                np.sqrt(np.sum(ws * (ys - ps) ** 2) / np.sum(ws)), np.mean(np.abs(ys - ps)),
                np.sum(ws * rel) / np.sum(ws), np.sum(ws * (ps < 0.25)) / np.sum(ws)]
        np.testing.assert_allclose(steps[i], want, rtol=1e-5)
    np.testing.assert_allclose(final, steps[-1], rtol=1e-6)  # value reads the same state
    assert reset == [0.0] * len(pairs)


def test_cosine_distance_and_mean_tensor():
    vecs = R.normal(size=(3, 2, 4, 3))
    vecs /= np.linalg.norm(vecs, axis=-1, keepdims=True)
    batches = [(v[0].astype(np.float32), v[1].astype(np.float32),
                R.uniform(0, 1, (2, 3)).astype(np.float32)) for v in vecs]
    a, b = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [None, 3])
    t = tf.placeholder(tf.float32, [2, 3])
    pairs = [tf.metrics.mean_cosine_distance(a, b, dim=1), tf.metrics.mean_tensor(t),
             tf.metrics.mean_tensor(t * 2, weights=t)]
    assert pairs[1][0].shape.as_list() == [2, 3]
    steps, final, _ = _stream(pairs, batches, [a, b, t])
    dots = [np.sum(x * y, axis=1) for x, y, _ in batches]
    for i in range(3):
        ts = np.stack([bt[2] for bt in batches[:i + 1]]).astype(np.float64)
        np.testing.assert_allclose(steps[i][0], 1 - np.mean(np.concatenate(dots[:i + 1])),
                                   rtol=1e-5)
        np.testing.assert_allclose(steps[i][1], ts.mean(axis=0), rtol=1e-5)
        np.testing.assert_allclose(steps[i][2], np.sum(2 * ts * ts, 0) / np.sum(ts, 0),
                                   rtol=1e-5)
    np.testing.assert_allclose(final[1], steps[-1][1])


# -- classes -------------------------------------------------------------------------------------
def test_mean_iou_and_per_class_accuracy():
    batches = [(R.integers(0, 4, n), R.integers(0, 3, n), R.uniform(0, 1, n)) for n in (8, 5)]
    y, p = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.int64, [None])
    w = tf.placeholder(tf.float64, [None])
    iou, iou_up = tf.metrics.mean_iou(y, p, 4)
    iou_w, iou_w_up = tf.metrics.mean_iou(y, p, 4, weights=w)
    acc, acc_up = tf.metrics.mean_per_class_accuracy(y, p, 4, weights=w)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(iou) == 0.0  # no class seen: 0, not NaN
        for i, (yv, pv, wv) in enumerate(batches):
            cm_got, cmw_got, per_class = sess.run([iou_up, iou_w_up, acc_up],
                                                  {y: yv, p: pv, w: wv})
            ys, ps, ws = (_seen(batches[:i + 1], k) for k in range(3))
            cm, cmw = np.zeros((4, 4)), np.zeros((4, 4))
            for a, b, c in zip(ys, ps, ws):
                cm[a, b] += 1
                cmw[a, b] += c
            np.testing.assert_allclose(cm_got, cm)  # update_op is the matrix, as TF's
            np.testing.assert_allclose(cmw_got, cmw, rtol=1e-12)
            ious = [cm[c, c] / (cm[c].sum() + cm[:, c].sum() - cm[c, c]) for c in range(4)
                    if cm[c].sum() + cm[:, c].sum() > 0]
            np.testing.assert_allclose(sess.run(iou), np.mean(ious), rtol=1e-6)
            accs = [cmw[c, c] / cmw[c].sum() if cmw[c].sum() else 0.0 for c in range(4)]
            np.testing.assert_allclose(per_class, accs, rtol=1e-5)  # per class, as TF's
            np.testing.assert_allclose(sess.run(acc), np.mean(accs), rtol=1e-5)
    names = [v.op.name for v in tf.local_variables()]
    assert names == ["mean_iou/total_confusion_matrix", "mean_iou_1/total_confusion_matrix",
                     "mean_accuracy/total", "mean_accuracy/count"]
    assert tf.local_variables()[0].dtype == tf.float64


# -- counts, thresholds and curves ---------------------------------------------------------------
def _counts(labels, preds, weights, thresholds):
    """tp, fn, tn, fp per threshold, a prediction positive when above it (float32)."""
    out = np.zeros((4, len(thresholds)))
    for i, t in enumerate(np.float32(thresholds)):
        for y, p, w in zip(labels, preds, weights):
            pos = np.float32(p) > t
            out[[0, 1, 2, 3].index(0 if y and pos else 1 if y else 2 if not pos else 3), i] += w
    return out


BIN = [(R.integers(0, 2, n), np.round(R.uniform(0, 1, n), 2).astype(np.float32),
        R.uniform(0.2, 2, n).astype(np.float32)) for n in (20, 13, 30)]


def _binary_placeholders():
    return (tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None]),
            tf.placeholder(tf.float32, [None]))


def test_counts_and_ratios_at_thresholds():
    th = [0.0, 0.3, 0.5, 0.95]
    y, p, w = _binary_placeholders()
    pos = tf.greater(p, 0.5)
    m = tf.metrics
    pairs = [m.true_positives(y, pos), m.false_positives(y, pos, w),
             m.true_negatives(y, pos), m.false_negatives(y, pos, w),
             m.true_positives_at_thresholds(y, p, th), m.false_positives_at_thresholds(y, p, th),
             m.true_negatives_at_thresholds(y, p, th, w),
             m.false_negatives_at_thresholds(y, p, th),
             m.precision_at_thresholds(y, p, th, w), m.recall_at_thresholds(y, p, th)]
    steps, final, reset = _stream(pairs, BIN, [y, p, w])
    for i in range(len(BIN)):
        ys, ps, ws = (_seen(BIN[:i + 1], k) for k in range(3))
        one = np.ones_like(ws)
        c1, cw = _counts(ys, ps, one, [0.5]), _counts(ys, ps, ws, [0.5])
        ct, ctw = _counts(ys, ps, one, th), _counts(ys, ps, ws, th)
        want = [c1[0, 0], cw[3, 0], c1[2, 0], cw[1, 0], ct[0], ct[3], ctw[2], ct[1],
                ctw[0] / (1e-7 + ctw[0] + ctw[3]), ct[0] / (1e-7 + ct[0] + ct[1])]
        for g, e in zip(steps[i], want):
            np.testing.assert_allclose(g, e, rtol=1e-5)
    for g, e in zip(final, steps[-1]):
        np.testing.assert_allclose(g, e)
    assert all(np.all(np.asarray(r) == 0) for r in reset)


def _auc_ref(ys, ps, ws, n, curve, method, thresholds=None):
    """TF's Riemann sums over the thresholds, interval by interval, in float64."""
    inner = sorted(thresholds) if thresholds is not None else \
        [(i + 1) / (n - 1) for i in range(n - 2)]
    th = [-1e-7] + inner + [1 + 1e-7]
    tp, fn, tn, fp = _counts(ys, ps, ws, th)
    total, eps = 0.0, 1e-6
    for i in range(len(th) - 1):
        j = i + 1
        if curve == "PR" and method == "careful_interpolation":
            dtp, p0, p1 = tp[i] - tp[j], tp[i] + fp[i], tp[j] + fp[j]
            slope = dtp / (p0 - p1) if p0 - p1 > 0 else 0.0
            intercept = tp[j] - slope * p1
            ratio = p0 / p1 if p0 > 0 and p1 > 0 else 1.0
            if tp[j] + fn[j] > 0:
                total += slope * (dtp + intercept * np.log(ratio)) / (tp[j] + fn[j])
            continue
        rec = [(tp[k] + eps) / (tp[k] + fn[k] + eps) for k in (i, j)]
        if curve == "ROC":
            xs, hs = [fp[k] / (fp[k] + tn[k] + eps) for k in (i, j)], rec
        else:
            xs, hs = rec, [(tp[k] + eps) / (tp[k] + fp[k] + eps) for k in (i, j)]
        height = {"trapezoidal": sum(hs) / 2, "minoring": min(hs), "majoring": max(hs)}[method]
        total += (xs[0] - xs[1]) * height
    return total


AUCS = [("ROC", "trapezoidal", 200, None), ("ROC", "minoring", 50, None),
        ("ROC", "majoring", 50, None), ("PR", "trapezoidal", 40, None),
        ("PR", "careful_interpolation", 200, None), ("PR", "majoring", 10, None),
        ("ROC", "trapezoidal", None, [0.8, 0.2, 0.5])]


@pytest.mark.parametrize("weighted", [False, True])
def test_auc_matches_explicit_threshold_loops(weighted):
    y, p, w = _binary_placeholders()
    kw = {"weights": w} if weighted else {}
    pairs = [tf.metrics.auc(y, p, num_thresholds=n or 200, curve=c, summation_method=s,
                            thresholds=t, **kw) for c, s, n, t in AUCS]
    steps, final, reset = _stream(pairs, BIN, [y, p, w])
    for i in range(len(BIN)):
        ys, ps, ws = (_seen(BIN[:i + 1], k) for k in range(3))
        ws = ws if weighted else np.ones_like(ws)
        want = [_auc_ref(ys, ps, ws, n, c, s, t) for c, s, n, t in AUCS]
        np.testing.assert_allclose(steps[i], want, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(final, steps[-1])
    assert reset[0] == 0.0
    # Independent sanity: with 200 thresholds the ROC area is close to the rank statistic.
    ys, ps = _seen(BIN, 0), _seen(BIN, 1)
    if not weighted:
        pos, neg = ps[ys == 1], ps[ys == 0]
        mann_whitney = np.mean([(a > b) + 0.5 * (a == b) for a in pos for b in neg])
        assert abs(steps[-1][0] - mann_whitney) < 0.02
    assert [v.op.name for v in tf.local_variables()[:4]] == [
        "auc/true_positives", "auc/false_negatives", "auc/true_negatives",
        "auc/false_positives"]


def test_sensitivity_and_specificity_at_each_other():
    y, p, w = _binary_placeholders()
    pairs = [tf.metrics.sensitivity_at_specificity(y, p, 0.6, num_thresholds=11),
             tf.metrics.specificity_at_sensitivity(y, p, 0.5, weights=w, num_thresholds=9)]
    steps, _, _ = _stream(pairs, BIN, [y, p, w])
    k = 1e-7
    for i in range(len(BIN)):
        ys, ps, ws = (_seen(BIN[:i + 1], j) for j in range(3))
        th = [-k] + [(j + 1) / 10 for j in range(9)] + [1 + k]
        tp, fn, tn, fp = _counts(ys, ps, np.ones_like(ws), th)
        spec = tn / (tn + fp + k)
        best = int(np.argmin(np.abs(spec - 0.6)))  # the first closest
        sens = tp[best] / (tp[best] + fn[best] + k)
        th = [-k] + [(j + 1) / 8 for j in range(7)] + [1 - k]
        tp, fn, tn, fp = _counts(ys, ps, ws, th)
        dist = np.abs(tp / (tp + fn + k) - 0.5)
        last = max(j for j in range(len(th)) if dist[j] == dist.min())  # the last closest
        np.testing.assert_allclose(steps[i], [sens, tn[last] / (tn[last] + fp[last] + k)],
                                   rtol=1e-5)


# -- top k ---------------------------------------------------------------------------------------
def _topk(scores, k):
    return [sorted(range(len(s)), key=lambda c: (-s[c], c))[:k] for s in scores]


def _at_k_ref(label_rows, top, class_id=None, weights=None):
    """(precision, recall, average precision) summed the way TF streams them."""
    tp = fp = fn = ap_total = ap_count = 0.0
    for r, (labels, predicted) in enumerate(zip(label_rows, top)):
        w = 1.0 if weights is None else weights[r]
        lab, pred = set(labels), set(predicted)
        if class_id is not None:
            lab, pred = lab & {class_id}, pred & {class_id}
        tp += w * len(lab & pred)
        fp += w * len(pred - lab)
        fn += w * len(lab - pred)
        valid = {x for x in labels if x >= 0}
        hits, acc = 0, 0.0
        for i, c in enumerate(predicted):
            if c in valid:
                hits += 1
                acc += hits / (i + 1)
        # TF counts a dense row's labels >= 0 with repeats (a sparse row's distinct ones).
        ap_total += w * acc / min(sum(x >= 0 for x in labels), len(predicted))
        ap_count += w
    return tp / (tp + fp), tp / (tp + fn), ap_total / ap_count


def test_precision_recall_and_average_precision_at_k():
    n_cls = 6
    batches = []
    for n in (5, 7):
        dense = R.integers(0, n_cls, (n, 3))
        dense[::2, 2] = -1  # padding: a "label" no prediction matches (a false negative)
        batches.append((dense, R.normal(size=(n, n_cls)).astype(np.float32),
                        R.uniform(0.5, 1.5, n)))
    labels = tf.placeholder(tf.int64, [None, 3])
    logits = tf.placeholder(tf.float32, [None, n_cls])
    w = tf.placeholder(tf.float64, [None])
    m = tf.metrics
    pairs = [m.precision_at_k(labels, logits, 2), m.recall_at_k(labels, logits, 2),
             m.precision_at_k(labels, logits, 3, class_id=1, weights=w),
             m.recall_at_k(labels, logits, 3, class_id=1, weights=w),
             m.average_precision_at_k(labels, logits, 3),
             m.average_precision_at_k(labels, logits, 2, weights=w)]
    steps, final, _ = _stream(pairs, batches, [labels, logits, w])
    for i in range(len(batches)):
        rows = [r.tolist() for b in batches[:i + 1] for r in b[0]]
        scores = np.concatenate([b[1] for b in batches[:i + 1]])
        ws = _seen(batches[:i + 1], 2)
        p2, r2, _ = _at_k_ref(rows, _topk(scores, 2))
        p3, r3, _ = _at_k_ref(rows, _topk(scores, 3), class_id=1, weights=ws)
        ap3 = _at_k_ref(rows, _topk(scores, 3))[2]
        ap2w = _at_k_ref(rows, _topk(scores, 2), weights=ws)[2]
        np.testing.assert_allclose(steps[i], [p2, r2, p3, r3, ap3, ap2w], rtol=1e-10)
    np.testing.assert_allclose(final, steps[-1])
    assert [v.op.name for v in tf.local_variables()] == [
        "precision_at_2/true_positive_at_2", "precision_at_2/false_positive_at_2",
        "recall_at_2/true_positive_at_2", "recall_at_2/false_negative_at_2",
        "precision_at_3_class1/true_positive_at_3_class1",
        "precision_at_3_class1/false_positive_at_3_class1",
        "recall_at_3_class1/true_positive_at_3_class1",
        "recall_at_3_class1/false_negative_at_3_class1",
        "average_precision_at_3/max_1", "average_precision_at_3/total",  # TF's "max_1" too
        "average_precision_at_2/max_1", "average_precision_at_2/total"]
    assert all(v.dtype == tf.float64 for v in tf.local_variables())
    assert [pairs[0][0].op.name, pairs[0][1].op.name] == ["precision_at_2",
                                                          "precision_at_2/update"]


def test_top_k_metrics_with_sparse_and_single_labels():
    rows = [[0, 2], [1], [3, 4, 5]]
    sparse = tf.SparseTensorValue([[r, j] for r, row in enumerate(rows) for j in range(len(row))],
                                  np.array([v for row in rows for v in row], np.int64), [3, 3])
    idx = np.array([[2, 1, 0], [1, 0, 5], [5, 0, 1]], np.int32)
    single = np.array([2, 0, 5], np.int64)
    pairs = [tf.metrics.precision_at_top_k(sparse, idx), tf.metrics.recall_at_top_k(sparse, idx),
             tf.metrics.recall_at_top_k(sparse, idx, class_id=5),
             tf.metrics.precision_at_top_k(single, idx[:, :1], k=1),
             tf.metrics.average_precision_at_k(tf.SparseTensor(*sparse), tf.one_hot(idx[:, 0],
                                                                                  6), 1)]
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        got = sess.run([u for _, u in pairs])
    p, r, _ = _at_k_ref(rows, idx.tolist())
    r5 = _at_k_ref(rows, idx.tolist(), class_id=5)[1]
    p1 = _at_k_ref([[v] for v in single], idx[:, :1].tolist())[0]
    ap = _at_k_ref(rows, idx[:, :1].tolist())[2]
    np.testing.assert_allclose(got, [p, r, r5, p1, ap])
    assert pairs[0][0].op.name == "precision_at_k" and pairs[3][0].op.name == "precision_at_1"


# -- names, collections, errors ------------------------------------------------------------------
def test_names_collections_and_value_update_pairs():
    y, p = tf.constant([1, 0, 1]), tf.constant([0.9, 0.2, 0.4])
    m = tf.metrics
    tp, tp_up = m.true_positives(y, tf.greater(p, 0.5), metrics_collections=["mc"],
                                 updates_collections=["uc"])
    a, a_up = m.auc(y, p, metrics_collections=["mc"], updates_collections=["uc"])
    mse, mse_up = m.mean_squared_error([1.0], [0.0], name="my_mse")
    rmse, _ = m.root_mean_squared_error([1.0], [0.0])
    assert tf.get_collection("mc") == [tp, a] and tf.get_collection("uc") == [tp_up, a_up]
    assert tf.get_collection(tf.GraphKeys.METRIC_VARIABLES) == tf.local_variables()
    assert not tf.global_variables() and not tf.trainable_variables()
    assert [v.op.name for v in tf.local_variables()] == [
        "true_positives/count", "auc/true_positives", "auc/false_negatives",
        "auc/true_negatives", "auc/false_positives", "my_mse/total", "my_mse/count",
        "root_mean_squared_error/total", "root_mean_squared_error/count"]
    assert (a.op.name, a_up.op.name, mse.op.name) == ("auc/value", "auc/update_op",
                                                       "my_mse/value")
    assert rmse.op.type == "Sqrt"
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(tp) == 0.0
        assert sess.run(tp_up) == 1.0 and sess.run(tp_up) == 2.0  # each run adds the batch
        assert sess.run(tp) == 2.0  # the value reads, never adds


def test_errors_as_tf1():
    m = tf.metrics
    with pytest.raises(ValueError, match="partially known"):
        m.mean_tensor(tf.placeholder(tf.float32, [None, 2]))
    with pytest.raises(ValueError, match="`specificity` must be in the range"):
        m.sensitivity_at_specificity([1], [0.5], 1.5)
    with pytest.raises(ValueError, match="Curve must be either ROC or PR"):
        m.auc([1], [0.5], curve="XY")
    with pytest.raises(ValueError, match="Invalid summation_method"):
        m.auc([1], [0.5], summation_method="mid")
    with pytest.raises(ValueError, match="Invalid k=0"):
        m.average_precision_at_k([[1]], [[0.5, 0.2]], 0)
    with pytest.raises(ValueError, match="incompatible"):
        m.mean_absolute_error([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="weights can not be broadcast"):
        m.mean_squared_error([[1.0, 2.0]], [[1.0, 2.0]], weights=[[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="must have rank in"):
        m.true_positives([1, 0], [1, 1], weights=[[[1.0]]])
    with pytest.raises(TypeError, match="Types don't match"):  # int32 labels against int64 ids
        m.precision_at_k(tf.constant([[1, 2]]), tf.constant([[0.1, 0.2, 0.3]]), 2, class_id=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"predictions must be in \[0, 1\]"):
        m.auc(tf.constant([1]), tf.constant([1.5]))  # known at construction: checked then
    y, p = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None])
    yb = tf.placeholder(tf.bool, [None])
    _, up = m.auc(y, p, num_thresholds=3)
    _, up_bool = m.auc(yb, p, num_thresholds=3)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match="predictions must be in"):
            sess.run(up, {y: [1, 0], p: [1.5, 0.2]})
        # As TF's: the asserts hang on the casts; bool labels and float32 predictions need
        # none, so nothing checks them.
        assert sess.run(up_bool, {yb: [True, False], p: [1.5, 0.2]}) > 0.99


def test_control_dependency_on_a_fed_placeholder():
    """tf.metrics.mean of a float32 placeholder orders its count after ``values`` itself: the
    fed placeholder's control edge comes from the feed, as in TF."""
    x = tf.placeholder(tf.float32, [None])
    _, up = tf.metrics.mean(x)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(up, {x: [1.0, 2.0]}) == 1.5


# -- tf.sets -------------------------------------------------------------------------------------
def test_sets_api():
    a = tf.constant([[1, -1, 3, 3], [2, 2, 0, 5]], tf.int64)
    b = tf.constant([[-1, 3], [7, 5]], tf.int64)
    sp = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([5, 3, 7], tf.int64), [2, 2])
    with tf.Session() as sess:
        inter, diff, flipped, size = sess.run([tf.sets.set_intersection(a, b),
                                               tf.sets.difference(a, b, aminusb=False),
                                               tf.sets.set_difference(sp, a),
                                               tf.sets.size(tf.sets.union(a, sp))])
    assert inter.indices.tolist() == [[0, 0], [0, 1], [1, 0]]
    assert inter.values.tolist() == [-1, 3, 5] and inter.dense_shape.tolist() == [2, 2]
    assert diff.values.tolist() == [7] and diff.indices.tolist() == [[1, 0]]
    assert flipped.values.tolist() == [5, 7]  # sparse - dense, run as dense vs sparse
    assert size.tolist() == [4, 4]
    with pytest.raises(TypeError, match="invalid dtype"):
        tf.sets.set_union([[1.0]], [[2.0]])
    with pytest.raises(TypeError, match="Expected `SparseTensor`"):
        tf.sets.set_size(a)
    with pytest.raises(ValueError, match="at least rank 2"):
        tf.sets.set_intersection([1, 2], [2])
    bad = tf.SparseTensor([[0, 1], [0, 0]], tf.constant([1, 2], tf.int64), [1, 2])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="out of order"):
        sess.run(tf.sets.set_size(bad))


def test_against_tensorflow():
    run_against_tf("metrics_vs_tf.py", 1)
