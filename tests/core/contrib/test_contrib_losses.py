"""tf.contrib.losses (contrib's argument order, logits / predictions first): numpy references
for each loss and its weighting, the LOSSES collection, and side-by-side runs against
tf.compat.v1.losses (same numbers for these weight shapes)."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import losses as cl

RNG = np.random.RandomState(5)
PRED = RNG.rand(4, 3).astype(np.float32)
LAB = RNG.rand(4, 3).astype(np.float32)
WROW = np.array([[1.0], [0.0], [2.0], [0.5]], np.float32)  # per batch entry
WFULL = (RNG.rand(4, 3) > 0.3).astype(np.float32) * 1.5


def _run(x):
    with tf.Session() as sess:
        return sess.run(x)


def _weighted_mean(losses, w):
    w = np.broadcast_to(w, losses.shape)
    return (losses * w).sum() / max((w != 0).sum(), 1)


@pytest.mark.parametrize("weights", [1.0, 0.0, WROW, WFULL])
def test_elementwise_losses_match_numpy(weights):
    cases = {
        "absolute_difference": (cl.absolute_difference, np.abs(PRED - LAB)),
        "mean_squared_error": (cl.mean_squared_error, (PRED - LAB) ** 2),
        "log_loss": (cl.log_loss, -LAB * np.log(PRED + 1e-7) - (1 - LAB) * np.log(1 - PRED + 1e-7)),
    }
    with tf.Graph().as_default():
        got = _run({k: f(tf.constant(PRED), tf.constant(LAB), weights=weights)
                    for k, (f, _) in cases.items()})
        assert len(tf.get_collection(tf.GraphKeys.LOSSES)) == 3
    for k, (_, ref) in cases.items():
        np.testing.assert_allclose(got[k], _weighted_mean(ref, np.asarray(weights)),
                                   rtol=1e-5, err_msg=k)


def test_cross_entropies_and_cosine():
    logits = RNG.randn(4, 3).astype(np.float32)
    onehot = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    ids = np.array([[0], [2], [1], [2]], np.int32)
    w = np.array([1.0, 2.0, 0.0, 1.0], np.float32)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    smooth = onehot * 0.9 + 0.1 / 3
    sig = np.maximum(logits, 0) - logits * LAB + np.log1p(np.exp(-np.abs(logits)))
    sig_s = (np.maximum(logits, 0) - logits * (LAB * 0.8 + 0.1) +
             np.log1p(np.exp(-np.abs(logits))))
    unit_p = PRED / np.linalg.norm(PRED, axis=1, keepdims=True)
    unit_l = LAB / np.linalg.norm(LAB, axis=1, keepdims=True)
    with tf.Graph().as_default():
        got = _run([cl.softmax_cross_entropy(logits, onehot, weights=w),
                    cl.softmax_cross_entropy(logits, onehot, label_smoothing=0.1),
                    cl.sparse_softmax_cross_entropy(logits, ids, weights=w),
                    cl.sigmoid_cross_entropy(logits, LAB),
                    cl.sigmoid_cross_entropy(logits, LAB, weights=WROW, label_smoothing=0.2),
                    cl.cosine_distance(unit_p, unit_l, axis=1),
                    cl.cosine_distance(unit_p, unit_l, dim=1, weights=WROW)])
    ce = -(onehot * logp).sum(1)
    np.testing.assert_allclose(got[0], (ce * w).sum() / 3, rtol=1e-5)
    np.testing.assert_allclose(got[1], (-(smooth * logp).sum(1)).mean(), rtol=1e-5)
    np.testing.assert_allclose(got[2], (ce * w).sum() / 3, rtol=1e-5)
    np.testing.assert_allclose(got[3], sig.mean(), rtol=1e-5)
    np.testing.assert_allclose(got[4], _weighted_mean(sig_s, WROW), rtol=1e-5)
    cos = 1 - (unit_p * unit_l).sum(1)
    np.testing.assert_allclose(got[5], cos.mean(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got[6], _weighted_mean(cos[:, None], WROW), rtol=1e-4, atol=1e-6)


def test_hinge_loss_is_unreduced_and_not_collected():
    logits = np.array([[0.5, -2.0], [1.5, 0.2]], np.float32)
    labels = np.array([[1, 0], [0, 1]], np.float32)
    with tf.Graph().as_default():
        h = cl.hinge_loss(tf.constant(logits), tf.constant(labels))
        assert tf.get_collection(tf.GraphKeys.LOSSES) == []
        got = _run(h)
    np.testing.assert_allclose(got, np.maximum(0, 1 - (2 * labels - 1) * logits))


def test_mean_pairwise_squared_error_matches_pairs():
    w = np.array([1.0, 0.0, 2.0, 0.5], np.float32)
    with tf.Graph().as_default():
        got = _run(cl.mean_pairwise_squared_error(PRED, LAB, weights=w))
    total = 0.0
    for b in range(4):
        d = PRED[b] - LAB[b]
        pairs = (d[:, None] - d[None, :]) ** 2
        total += w[b] * pairs.sum() / (3 * 3)  # TF's: ordered pairs over n**2 (i == j zero)
    np.testing.assert_allclose(got, total, rtol=1e-5)


def test_collections_and_total_loss():
    with tf.Graph().as_default():
        with tf.name_scope("a"):
            a = cl.mean_squared_error(PRED, LAB)
        cl.add_loss(tf.constant(2.0))
        cl.add_loss(tf.constant(5.0), loss_collection=None)
        tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.constant(0.25))
        assert cl.get_losses(scope="a") == [a]
        assert len(cl.get_losses()) == 2 and len(cl.get_regularization_losses()) == 1
        total, no_reg = cl.get_total_loss(), cl.get_total_loss(False, name="nr")
        assert total.op.name == "total_loss"
        got = _run([total, no_reg])
    mse = ((PRED - LAB) ** 2).mean()
    np.testing.assert_allclose(got, [mse + 2.25, mse + 2.0], rtol=1e-6)


def test_bad_arguments():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="You must specify 'axis'"):
            cl.cosine_distance(PRED, LAB)
        with pytest.raises(ValueError, match="not compatible|incompatible"):
            cl.absolute_difference(PRED, LAB[:2])
        with pytest.raises(ValueError, match="ndims cannot be None"):
            cl.compute_weighted_loss(tf.placeholder(tf.float32))


def test_losses_match_tensorflow_v1_losses():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    logits = RNG.randn(4, 3).astype(np.float32)
    onehot = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    wv = np.array([1.0, 2.0, 0.0, 1.0], np.float32)
    g = tf1.Graph()
    with g.as_default():
        L = tf1.losses
        want_t = [L.absolute_difference(LAB, PRED, weights=WROW),
                  L.mean_squared_error(LAB, PRED, weights=WFULL),
                  L.log_loss(LAB, PRED, weights=WROW),
                  L.mean_pairwise_squared_error(LAB, PRED, weights=wv[:, None]),
                  L.sigmoid_cross_entropy(LAB, logits, weights=WFULL, label_smoothing=0.1),
                  L.softmax_cross_entropy(onehot, logits, weights=wv, label_smoothing=0.2),
                  L.sparse_softmax_cross_entropy(np.argmax(onehot, 1), logits, weights=wv),
                  L.hinge_loss(onehot, logits, reduction=L.Reduction.NONE)]
        with tf1.Session(graph=g) as sess:
            want = sess.run(want_t)
    with tf.Graph().as_default():
        got = _run([cl.absolute_difference(PRED, LAB, weights=WROW),
                    cl.mean_squared_error(PRED, LAB, weights=WFULL),
                    cl.log_loss(PRED, LAB, weights=WROW),
                    cl.mean_pairwise_squared_error(PRED, LAB, weights=wv),
                    cl.sigmoid_cross_entropy(logits, LAB, weights=WFULL, label_smoothing=0.1),
                    cl.softmax_cross_entropy(logits, onehot, weights=wv, label_smoothing=0.2),
                    cl.sparse_softmax_cross_entropy(logits, np.argmax(onehot, 1), weights=wv),
                    cl.hinge_loss(logits, onehot)])
    # contrib's pairwise loss averages over n**2 ordered pairs, tf.losses' over n*(n-1).
    want[3] = want[3] * (3 - 1) / 3
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=str(k))
