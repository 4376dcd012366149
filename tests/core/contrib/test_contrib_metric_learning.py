"""tf.contrib.losses.metric_learning against numpy written from the papers' formulas on small
batches: pairwise distances, contrastive, triplet with semi-hard mining (mined by hand and by
a brute-force loop), N-pairs (single and multi-label), lifted structured and the clustering
loss; their gradients against central differences of the numpy losses; and the errors."""

import sys

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import losses
from minitf.contrib.losses import metric_learning as ml

R = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def _dist(x, squared=False):
    d = np.array([[np.sum((a - b) ** 2) for b in x] for a in x])
    return d if squared else np.sqrt(d)


def _triplet_ref(labels, x, margin):
    """FaceNet's loss, brute force: every (anchor, positive) pair, anchor != positive, with
    the closest negative farther than the positive (else the farthest negative)."""
    d = _dist(x, squared=True)
    total, pairs = 0.0, 0
    for a in range(len(x)):
        negatives = [d[a, n] for n in range(len(x)) if labels[n] != labels[a]]
        for p in range(len(x)):
            if p == a or labels[p] != labels[a]:
                continue
            semi_hard = [v for v in negatives if v > d[a, p]]
            d_an = min(semi_hard) if semi_hard else max(negatives)
            total += max(d[a, p] - d_an + margin, 0.0)
            pairs += 1
    return total / pairs


def _npairs_ref(targets, a, p, reg_lambda):
    reg = 0.25 * reg_lambda * (np.mean(np.sum(a ** 2, 1)) + np.mean(np.sum(p ** 2, 1)))
    s = a @ p.T
    log_softmax = s - s.max(1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(1, keepdims=True))
    t = targets / targets.sum(1, keepdims=True)
    return reg + np.mean(-(t * log_softmax).sum(1))


def _lifted_ref(labels, x, margin):
    """Song et al. 2016, eq. 4: J_ij = log(sum_{k in N(i)} e^(m - D_ik) + sum_{l in N(j)}
    e^(m - D_jl)) + D_ij over positive pairs; loss = sum max(J, 0)^2 / (2 |P|)."""
    d = _dist(x)
    n = len(x)
    total, pairs = 0.0, 0
    for i in range(n):
        for j in range(i + 1, n):
            if labels[i] != labels[j]:
                continue
            s = sum(np.exp(margin - d[i, k]) for k in range(n) if labels[k] != labels[i])
            s += sum(np.exp(margin - d[j, k]) for k in range(n) if labels[k] != labels[j])
            total += max(np.log(s) + d[i, j], 0.0) ** 2
            pairs += 1
    return total / (2 * pairs)


def _numeric_grad(f, x, eps=1e-4):
    g = np.zeros_like(x, np.float64)
    for idx in np.ndindex(x.shape):
        up, down = x.astype(np.float64), x.astype(np.float64)
        up[idx] += eps
        down[idx] -= eps
        g[idx] = (f(up) - f(down)) / (2 * eps)
    return g


def _check_grad(loss_of, ref_of, x, rtol=2e-3, atol=2e-4):
    e = tf.constant(x)
    got = _run(tf.gradients(loss_of(e), e)[0])
    np.testing.assert_allclose(got, _numeric_grad(ref_of, x), rtol=rtol, atol=atol)


def test_module_is_exposed():
    assert losses.metric_learning is ml
    assert tf.contrib.losses.metric_learning.triplet_semihard_loss is ml.triplet_semihard_loss


def test_pairwise_distance_and_its_gradient_at_zero_distance():
    x = R.normal(size=(5, 3)).astype(np.float32)
    x[3] = x[1]  # a zero off-diagonal distance
    got, got_sq = _run([ml.pairwise_distance(x), ml.pairwise_distance(x, squared=True)])
    np.testing.assert_allclose(got, _dist(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_sq, _dist(x, True), rtol=1e-5, atol=1e-5)
    assert got[1, 3] == 0 and np.all(np.diag(got) == 0)
    e = tf.constant(x)
    grad = _run(tf.gradients(tf.reduce_sum(ml.pairwise_distance(e)), e)[0])
    assert np.all(np.isfinite(grad))
    with pytest.raises(ValueError, match="2-D"):
        ml.pairwise_distance(tf.zeros([2, 3, 4]))


def test_contrastive_loss():
    a, p = R.normal(size=(6, 4)).astype(np.float32), R.normal(size=(6, 4)).astype(np.float32)
    y = np.array([1, 0, 1, 0, 0, 1], np.int32)

    def ref(pp):
        d = np.sqrt(np.sum((a - pp) ** 2, 1))
        return np.mean(y * d ** 2 + (1 - y) * np.maximum(2.5 - d, 0) ** 2)

    np.testing.assert_allclose(_run(ml.contrastive_loss(y, a, p, margin=2.5)), ref(p),
                               rtol=1e-5)
    _check_grad(lambda e: ml.contrastive_loss(y, a, e, margin=2.5), ref, p)


def test_masked_maximum_and_minimum():
    data = R.normal(size=(4, 5)).astype(np.float32)
    mask = (R.random((4, 5)) > 0.5).astype(np.float32)
    mask[2] = 0  # no element chosen: the row's minimum (maximum) comes back
    got_max, got_min = _run([ml.masked_maximum(data, mask), ml.masked_minimum(data, mask)])
    for r in range(4):
        chosen = data[r][mask[r] > 0]
        want_max = chosen.max() if chosen.size else data[r].min()
        want_min = chosen.min() if chosen.size else data[r].max()
        np.testing.assert_allclose(got_max[r, 0], want_max, rtol=1e-6)
        np.testing.assert_allclose(got_min[r, 0], want_min, rtol=1e-6)


def test_triplet_semihard_mined_by_hand():
    # 1-D points: class 0 at 0 and 1, class 1 at 1.5 and 4 (squared distances).
    x = np.array([[0.0], [1.0], [1.5], [4.0]], np.float32)
    y = np.array([0, 0, 1, 1])
    # (0,1): D_ap=1; negatives 2.25, 16: semi-hard 2.25 -> max(1-2.25+1, 0) = 0
    # (1,0): D_ap=1; negatives .25, 9: semi-hard 9 -> 0
    # (2,3): D_ap=6.25; negatives 2.25, .25: none beyond -> farthest 2.25 -> 5
    # (3,2): D_ap=6.25; negatives 16, 9: semi-hard 9 -> max(6.25-9+1, 0) = 0
    np.testing.assert_allclose(_run(ml.triplet_semihard_loss(y, x, margin=1.0)), 5.0 / 4)


def test_triplet_semihard_against_brute_force_and_gradient():
    x = R.normal(size=(8, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    np.testing.assert_allclose(_run(ml.triplet_semihard_loss(y, x, margin=0.7)),
                               _triplet_ref(y, x, 0.7), rtol=1e-5)
    _check_grad(lambda e: ml.triplet_semihard_loss(y, e, margin=0.7),
                lambda v: _triplet_ref(y, v, 0.7), x)
    with pytest.raises(ValueError, match="labels must be 1-D"):
        ml.triplet_semihard_loss(np.zeros((8, 1), np.int32), x)


def test_npairs_loss_and_gradient():
    a, p = R.normal(size=(5, 4)).astype(np.float32), R.normal(size=(5, 4)).astype(np.float32)
    y = np.array([3, 1, 3, 0, 2])
    targets = (y[:, None] == y[None, :]).astype(float)
    np.testing.assert_allclose(_run(ml.npairs_loss(y, a, p, reg_lambda=0.01)),
                               _npairs_ref(targets, a, p, 0.01), rtol=1e-5)
    _check_grad(lambda e: ml.npairs_loss(y, e, p, reg_lambda=0.01),
                lambda v: _npairs_ref(targets, v, p, 0.01), a)


def test_npairs_loss_multilabel_counts_shared_labels():
    a, p = R.normal(size=(3, 4)).astype(np.float32), R.normal(size=(3, 4)).astype(np.float32)
    label_sets = [{0, 2}, {2}, {1, 2, 3}]
    sparse = [tf.SparseTensor([[0, c] for c in sorted(s)], np.ones(len(s), np.int64), [1, 5])
              for s in label_sets]
    targets = np.array([[len(s & t) for t in label_sets] for s in label_sets], float)
    np.testing.assert_allclose(_run(ml.npairs_loss_multilabel(sparse, a, p, reg_lambda=0.02)),
                               _npairs_ref(targets, a, p, 0.02), rtol=1e-5)
    with pytest.raises(TypeError, match="list of SparseTensors"):
        ml.npairs_loss_multilabel([tf.constant([1])], a, p)


def test_lifted_struct_loss_and_gradient():
    x = R.normal(size=(7, 3)).astype(np.float32)
    y = np.array([0, 1, 0, 1, 2, 2, 0])
    np.testing.assert_allclose(_run(ml.lifted_struct_loss(y, x, margin=1.2)),
                               _lifted_ref(y, x, 1.2), rtol=1e-5)
    _check_grad(lambda e: ml.lifted_struct_loss(y, e, margin=1.2),
                lambda v: _lifted_ref(y, v, 1.2), x)


# -- clustering loss ----------------------------------------------------------------------------


def _nmi(a, b):
    from sklearn.metrics import normalized_mutual_info_score

    return normalized_mutual_info_score(a, b)


def _facility(d, centres):
    return -d[list(centres)].min(axis=0).sum()


def _assign(d, centres):
    pred = np.argmin(d[list(centres)], axis=0)
    for k, c in enumerate(centres):
        pred[c] = k
    return pred


def _cluster_ref(y, x, m, pam):
    """Song et al. 2017: greedy loss-augmented facility location (+ PAM swaps within each
    cluster), then max(F(S) + m (1 - NMI) - F(true medoids), 0)."""
    d = _dist(x)
    chosen = []
    for _ in range(len(set(y))):
        cands = [c for c in range(len(x)) if c not in chosen]
        scores = [_facility(d, chosen + [c]) + m * (1 - _nmi(y, _assign(d, chosen + [c])))
                  for c in cands]
        chosen.append(cands[int(np.argmax(scores))])
    for _ in range(pam):
        pred = _assign(d, chosen)
        for k in range(len(chosen)):
            members = list(np.flatnonzero(pred == k))
            scores = [-d[np.ix_(members, members)][:, i].sum() + m * (1 - _nmi(
                y, _assign(d, chosen[:k] + [c] + chosen[k + 1:]))) for i, c in enumerate(members)]
            chosen[k] = members[int(np.argmax(scores))]
    gt = sum(-d[np.ix_(y == c, y == c)].sum(axis=0).min() for c in set(y))
    return max(_facility(d, chosen) + m * (1 - _nmi(y, _assign(d, chosen))) - gt, 0.0)


@pytest.mark.parametrize("pam", [True, False])
def test_cluster_loss_against_numpy_search(pam):
    pytest.importorskip("sklearn")
    x = R.normal(size=(9, 2)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    loss = ml.cluster_loss(y[:, None], x, 1.5, enable_pam_finetuning=pam)
    np.testing.assert_allclose(_run(loss), _cluster_ref(y, x, 1.5, 5 if pam else 0),
                               rtol=1e-4, atol=1e-5)
    assert loss.shape.rank == 0
    names = {op.name.split(":")[0] for op in tf.get_default_graph().get_operations()
             if op.type == "ScalarSummary"}
    assert {"losses/score_pred", "losses/nmi", "losses/score_gt"} <= names


def test_cluster_loss_is_zero_for_separated_classes_and_has_a_gradient():
    pytest.importorskip("sklearn")
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = (np.repeat(centres, 3, 0) + R.normal(scale=0.1, size=(9, 2))).astype(np.float32)
    y = np.repeat([0, 1, 2], 3)
    assert _run(ml.cluster_loss(y, x, 0.1)) == pytest.approx(0.0, abs=1e-5)
    z = R.normal(size=(9, 2)).astype(np.float32)
    _check_grad(lambda e: ml.cluster_loss(y, e, 1.5), lambda v: _cluster_ref(y, v, 1.5, 5),
                z, rtol=1e-2, atol=1e-2)


def test_cluster_loss_errors(monkeypatch):
    with pytest.raises(ValueError, match="Unrecognized margin_type: f1"):
        ml.cluster_loss([0, 1], np.zeros((2, 2), np.float32), 1.0, margin_type="f1")
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.metrics", None)
    with pytest.raises(ImportError, match="depends on sklearn"):
        ml.cluster_loss([0, 1], np.zeros((2, 2), np.float32), 1.0)
