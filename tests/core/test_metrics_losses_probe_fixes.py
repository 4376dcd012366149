"""Fixes from a probe of tf.metrics / tf.losses / the sampled losses against TF 2.21's
tf.compat.v1:

- metrics whose inputs have a rank known only at run time squeeze a trailing size-1 dimension
  of labels (or predictions) and squeeze or add one on weights at run time, as TF's
  _remove_squeezable_dimensions (core/metrics.py ``_squeezed``); [N, 1] labels against [N]
  predictions no longer compare N x N;
- weights whose shape is known only at run time are checked at run time, as TF's
  assert_broadcastable ("weights can not be broadcast to values."), by tf.losses and by the
  metrics (core/losses.py ``_assert_broadcastable``);
- nce_loss / sampled_softmax_loss with remove_accidental_hits mask only what
  ComputeAccidentalHits gives: of a sampled id drawn twice, only the last copy;
- softmax_cross_entropy_with_logits(_v2) of matrices ends in ``<scope>/Reshape_2``, and the
  sampled losses' outputs are named as TF's (frozen graphs' output names).

Each is checked against hand-computed values, and where TensorFlow is installed, the same
program (``_FACTS``) run in TF in a process of its own.
"""

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

BROADCAST = "weights can not be broadcast to values."

# Run by minitf here and by tf.compat.v1 in a subprocess: what both must agree on.
_FACTS = r'''
import numpy as np


def facts(tf):
    out = {}

    def run(fetch, feed, init=True):
        try:
            with tf.Session() as s:
                if init:
                    s.run(tf.local_variables_initializer())
                v = s.run(fetch, feed)
            return np.round(np.asarray(v, np.float64), 5).tolist()
        except Exception as e:  # noqa: BLE001 - the error is the fact
            return [type(e).__name__, "weights can not be broadcast" in str(e)]

    # metrics of inputs of unknown rank
    with tf.Graph().as_default():
        l = tf.placeholder(tf.int64, None)
        p = tf.placeholder(tf.int64, None)
        w = tf.placeholder(tf.float32, None)
        lf, pf = tf.cast(l, tf.float32), tf.cast(p, tf.float32)
        ms = {"accuracy": tf.metrics.accuracy(l, p),
              "accuracy_w": tf.metrics.accuracy(l, p, weights=w),
              "precision_w": tf.metrics.precision(l, p, weights=w),
              "recall_w": tf.metrics.recall(l, p, weights=w),
              "mae_w": tf.metrics.mean_absolute_error(lf, pf, weights=w),
              "mse_w": tf.metrics.mean_squared_error(lf, pf, weights=w),
              "true_positives_w": tf.metrics.true_positives(l, p, weights=w),
              "false_negatives_w": tf.metrics.false_negatives(l, p, weights=w),
              "auc_w": tf.metrics.auc(l, pf, weights=w, num_thresholds=5)}
        feeds = {"labels_col": {l: [[1], [0], [1]], p: [1, 1, 0], w: [1., 2., 3.]},
                 "preds_col": {l: [1, 0, 1], p: [[1], [1], [0]], w: [1., 2., 3.]},
                 "weights_col": {l: [1, 0, 1], p: [1, 1, 0], w: [[1.], [2.], [3.]]},
                 "weights_scalar": {l: [[1], [0], [1]], p: [1, 1, 0], w: 2.},
                 "weights_bad": {l: [1, 0, 1], p: [1, 1, 0], w: [[1., 1.], [2., 2.], [3., 3.]]}}
        for fk, fd in feeds.items():
            for name, (_, update) in ms.items():
                out[f"{fk}/{name}"] = run(update, fd)

    # losses with weights of a run-time shape
    with tf.Graph().as_default():
        lp = tf.placeholder(tf.float32, None)
        wp = tf.placeholder(tf.float32, None)
        wpart = tf.placeholder(tf.float32, [None, 4])
        losses = {"absolute_difference": tf.losses.absolute_difference(lp, lp * 2, weights=wp),
                  "none": tf.losses.compute_weighted_loss(lp, weights=wp,
                                                          reduction=tf.losses.Reduction.NONE),
                  "mse_sum": tf.losses.mean_squared_error(lp, lp * 2, weights=wp,
                                                          reduction=tf.losses.Reduction.SUM),
                  "pairwise": tf.losses.mean_pairwise_squared_error(lp, lp * 2, weights=wp)}
        L = np.arange(12, dtype=np.float32).reshape(3, 4)
        for wn, wv in [("vec4", np.array([1, 0, 2, 1], np.float32)),
                       ("3x2", np.ones((3, 2), np.float32)),
                       ("3x1", np.array([[1], [0], [2]], np.float32)),
                       ("scalar", np.float32(2))]:
            for name, t in losses.items():
                if name == "pairwise" and wn == "scalar":
                    continue
                out[f"{wn}/{name}"] = run(t, {lp: L, wp: wv}, init=False)
        # same rank, a dim known (4 against 1: Mul broadcasts it, assert_broadcastable does
        # not): TF decides at run time, not when building
        col = tf.constant(L[:, :1])
        try:
            part = tf.losses.absolute_difference(col, col * 2, weights=wpart)
            out["partial/3x4"] = run(part, {wpart: np.ones((3, 4), np.float32)}, init=False)
        except ValueError as e:
            out["partial/3x4"] = ["ValueError when building", str(e)]

    # metrics refusing weights at run time
    with tf.Graph().as_default():
        pr = np.array([[.1, .5, .2, .2], [.1, .1, .7, .1], [.9, 0, 0, .1]], np.float32)
        lab = np.array([[1, 3], [2, 0], [0, 0]], np.int64)
        w31 = np.array([[1.], [2.], [0.]], np.float32)
        l = tf.placeholder(tf.int64, None)
        w = tf.placeholder(tf.float32, None)
        pk = tf.placeholder(tf.float32, [None, 4])
        v = tf.placeholder(tf.float32, None)
        fd = {l: lab, pk: pr, w: w31}
        out["precision_at_k/fed"] = run(tf.metrics.precision_at_k(l, pk, 2, weights=w)[1], fd)
        out["average_precision_at_k/fed"] = run(
            tf.metrics.average_precision_at_k(l, pk, 2, weights=w)[1], fd)
        out["precision_at_k/const"] = run(
            tf.metrics.precision_at_k(lab, pr, 2, weights=w31)[1], {})
        out["average_precision_at_k/const"] = run(
            tf.metrics.average_precision_at_k(lab, pr, 2, weights=w31)[1], {})
        out["precision_at_k/ok"] = run(
            tf.metrics.precision_at_k(l, pk, 2, weights=w)[1], {l: lab, pk: pr, w: [1., 2., 0.]})
        out["mean_cosine_distance"] = run(
            tf.metrics.mean_cosine_distance(v, v, 1, weights=w)[1],
            {v: [[0.1, 0.6], [0.9, 0.3]], w: [[1., 2.], [0., 1.]]})

    # accidental hits with a sampled id drawn twice
    with tf.Graph().as_default():
        rng = np.random.RandomState(2)
        W = rng.randn(10, 3).astype(np.float32)
        b = rng.randn(10).astype(np.float32)
        x = rng.randn(2, 3).astype(np.float32)
        labels = np.array([[3], [1]], np.int64)
        sv = (tf.constant(np.array([3, 3, 5], np.int64)),
              tf.constant(np.full((2, 1), 0.3, np.float32)),
              tf.constant(np.array([.2, .4, .6], np.float32)))
        ssm = tf.nn.sampled_softmax_loss(W, b, labels, x, num_sampled=3, num_classes=10,
                                         sampled_values=sv, remove_accidental_hits=True)
        nce = tf.nn.nce_loss(W, b, labels, x, num_sampled=3, num_classes=10,
                             sampled_values=sv, remove_accidental_hits=True)
        out["sampled_softmax_loss"] = run(ssm, {}, init=False)
        out["nce_loss"] = run(nce, {}, init=False)
        out["sampled names"] = [ssm.name, nce.name]

    # the cross-entropies' output names
    with tf.Graph().as_default():
        names = []
        for shape in ([2, 3], [None, 3], [2, 2, 3], None):
            a = tf.placeholder(tf.float32, shape)
            for f in (tf.nn.softmax_cross_entropy_with_logits_v2,
                      tf.nn.softmax_cross_entropy_with_logits):
                t = f(labels=a, logits=a)
                names.append([t.name, None if t.shape.ndims is None else t.shape.as_list()])
        out["xent names"] = names
    return out
'''

_TF_PROGRAM = _FACTS + r'''
import json
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
print(json.dumps(facts(tf)))
'''


@pytest.fixture(scope="module")
def facts():
    namespace = {}
    exec(_FACTS, namespace)  # noqa: S102 - the test's own program
    return namespace["facts"](tf)


def _run_update(metric, feed):
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        return sess.run(metric[1], feed)


# -- 1. metrics of inputs of unknown rank: hand-computed -------------------------------------------
# labels [1, 0, 1], predictions [1, 1, 0], weights [1, 2, 3], some fed with a trailing 1.
def test_unknown_rank_labels_column_is_squeezed(facts):
    # equal at 0 only: 1/3 (HEAD: 3x3 broadcast, 5/9)
    assert facts["labels_col/accuracy"] == pytest.approx(1 / 3, abs=1e-5)
    assert facts["preds_col/accuracy"] == pytest.approx(1 / 3, abs=1e-5)
    assert facts["labels_col/accuracy_w"] == pytest.approx(1 / 6, abs=1e-5)
    # tp weight 1 (row 0), fp weight 2 (row 1), fn weight 3 (row 2)
    assert facts["labels_col/precision_w"] == pytest.approx(1 / 3, abs=1e-5)
    assert facts["labels_col/recall_w"] == pytest.approx(1 / 4, abs=1e-5)
    assert facts["labels_col/mae_w"] == pytest.approx(5 / 6, abs=1e-5)
    assert facts["labels_col/true_positives_w"] == pytest.approx(1.0)
    assert facts["labels_col/false_negatives_w"] == pytest.approx(3.0)
    assert facts["weights_scalar/accuracy_w"] == pytest.approx(1 / 3, abs=1e-5)


def test_unknown_rank_weights_column_is_squeezed(facts):
    assert facts["weights_col/accuracy_w"] == pytest.approx(1 / 6, abs=1e-5)
    assert facts["weights_col/precision_w"] == pytest.approx(1 / 3, abs=1e-5)
    assert facts["weights_col/mae_w"] == pytest.approx(5 / 6, abs=1e-5)
    assert facts["weights_col/mse_w"] == pytest.approx(5 / 6, abs=1e-5)
    assert facts["weights_col/true_positives_w"] == pytest.approx(1.0)  # HEAD: assert_rank_in
    # 5 thresholds: all positive (tpr 1, fpr 1), then rows 0, 1 positive (tpr 1/4, fpr 1) for
    # 0.25, 0.5, 0.75, none above 1: trapezoids give 1 * (1/4 + 0) / 2.
    assert facts["weights_col/auc_w"] == pytest.approx(0.125, abs=1e-5)


def test_unknown_rank_weights_not_broadcastable_fail_at_run_time(facts):
    for name in ("accuracy_w", "mae_w", "precision_w", "auc_w"):
        assert facts[f"weights_bad/{name}"][0] == "InvalidArgumentError", name


# -- 2. weights checked at run time ---------------------------------------------------------------
def test_losses_check_run_time_weights(facts):
    for wn in ("vec4", "3x2"):
        for name in ("absolute_difference", "none", "mse_sum", "pairwise"):
            assert facts[f"{wn}/{name}"] == ["InvalidArgumentError", True], (wn, name)
    assert facts["partial/3x4"] == ["InvalidArgumentError", True]
    labels = np.arange(12.0).reshape(3, 4)  # |2l - l| = l, weighted by rows [1, 0, 2]
    weighted = labels * np.array([[1], [0], [2]])
    assert facts["3x1/absolute_difference"] == pytest.approx(weighted.sum() / 8)
    assert facts["3x1/none"] == weighted.tolist()
    assert facts["3x1/mse_sum"] == pytest.approx((labels ** 2 * [[1], [0], [2]]).sum())
    assert facts["scalar/absolute_difference"] == pytest.approx(labels.mean() * 2)


def test_partially_known_weights_build_and_fail_only_when_run():
    with tf.Graph().as_default():
        values = tf.ones([3, 1])
        weights = tf.placeholder(tf.float32, [None, 4])  # HEAD: ValueError when building
        loss = tf.losses.absolute_difference(values, values * 2, weights=weights)
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                                 match=BROADCAST):
            sess.run(loss, {weights: np.ones((3, 4), np.float32)})


def test_metrics_check_run_time_and_constant_weights(facts):
    for name in ("precision_at_k/fed", "average_precision_at_k/fed", "precision_at_k/const",
                 "average_precision_at_k/const", "mean_cosine_distance"):
        assert facts[name] == ["InvalidArgumentError", True], name
    # top 2 per row: {1, 2}, {2, 0}, {0, 3}; hits 1, 2, 1 of 2; weights 1, 2, 0
    assert facts["precision_at_k/ok"] == pytest.approx((1 * 1 + 2 * 2) / (2 * 1 + 2 * 2),
                                                         abs=1e-5)


# -- 3. accidental hits of a repeated sampled id ---------------------------------------------------
def _sampled_expected():
    rng = np.random.RandomState(2)
    W = rng.randn(10, 3).astype(np.float64)
    b = rng.randn(10).astype(np.float64)
    x = rng.randn(2, 3).astype(np.float64)
    labels, sampled = np.array([3, 1]), np.array([3, 3, 5])
    true = (x * W[labels]).sum(1) + b[labels] - np.log(0.3)
    s = x @ W[sampled].T + b[sampled] - np.log([.2, .4, .6])
    s[0, 1] = -np.finfo(np.float32).max  # ComputeAccidentalHits: row 0, the last copy of 3 only
    logits = np.concatenate([true[:, None], s], 1)
    lse = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)
    ssm = lse - logits[:, 0]
    targets = np.zeros_like(logits)
    targets[:, 0] = 1
    sig = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    return ssm, sig.sum(1)


def test_accidental_hits_mask_only_the_last_copy(facts):
    ssm, nce = _sampled_expected()
    np.testing.assert_allclose(facts["sampled_softmax_loss"], ssm, rtol=1e-5)
    np.testing.assert_allclose(facts["nce_loss"], nce, rtol=1e-5)


# -- 4. output names -------------------------------------------------------------------------------
def test_output_names(facts):
    assert facts["sampled names"] == ["softmax_cross_entropy_with_logits/Reshape_2:0",
                                      "Reshape:0"]
    names = [n for n, _ in facts["xent names"]]
    assert names[:2] == ["softmax_cross_entropy_with_logits/Reshape_2:0",
                         "softmax_cross_entropy_with_logits_sg/Reshape_2:0"]
    assert all(n.endswith("/Reshape_2:0") for n in names)
    assert [s for _, s in facts["xent names"]] == [[2], [2], [None], [None], [2, 2], [2, 2],
                                                   None, None]


def test_matrix_cross_entropy_values_and_gradient():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((4, 5)).astype(np.float32)
    labels = rng.dirichlet(np.ones(5), 4).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5])
        loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=x)
        grad = tf.gradients(tf.reduce_sum(loss), x)[0]
        with tf.Session() as sess:
            got, g = sess.run([loss, grad], {x: logits})
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    np.testing.assert_allclose(got, -(labels * log_p).sum(1), rtol=1e-5)
    np.testing.assert_allclose(g, np.exp(log_p) * labels.sum(1, keepdims=True) - labels,
                               rtol=1e-4, atol=1e-6)


# -- with TensorFlow: the same program -------------------------------------------------------------
def test_facts_match_tensorflow(facts):
    theirs = tf_side_json(_TF_PROGRAM, legacy_keras=False)
    assert facts.keys() == theirs.keys()
    for key in facts:
        assert facts[key] == theirs[key], key
