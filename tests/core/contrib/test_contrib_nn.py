"""tf.contrib.nn: alpha dropout (its affine map by hand, mean and variance kept, identity at
keep_prob 1), the flipped cross-entropies and scaled softplus against numpy formulas, the
sampled losses against numpy written from the candidate-sampling equations, nth_element against
a numpy sort (and TensorFlow's NthElement), with gradients and errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import nn as cnn

from ..side_by_side import tf_run

R = np.random.default_rng(8)
ALPHA_P = -1.7580993408473766


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_namespace():
    assert tf.contrib.nn is cnn
    assert cnn.conv1d_transpose is tf.nn.conv1d_transpose
    assert set(cnn.__all__) == {
        "alpha_dropout", "conv1d_transpose",
        "deprecated_flipped_softmax_cross_entropy_with_logits",
        "deprecated_flipped_sparse_softmax_cross_entropy_with_logits",
        "deprecated_flipped_sigmoid_cross_entropy_with_logits", "nth_element",
        "rank_sampled_softmax_loss", "sampled_sparse_softmax_loss", "scaled_softplus"}


# -- alpha dropout -------------------------------------------------------------------------------

def test_alpha_dropout_is_identity_at_keep_prob_one():
    x = tf.constant(R.standard_normal((4, 5)).astype(np.float32))
    assert cnn.alpha_dropout(x, 1.0) is x
    assert cnn.alpha_dropout(x, tf.constant(1.0)) is x  # a constant tensor is known too
    ph = tf.placeholder(tf.float32, [])
    y = cnn.alpha_dropout(x, ph)  # unknown keep_prob: the dropout graph, identity at 1
    got, want = _run([y, x], {ph: 1.0})
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_alpha_dropout_output_is_the_affine_map_of_kept_or_saturated_units():
    keep = 0.7
    xv = R.standard_normal((50, 40)).astype(np.float32)
    got = _run(cnn.alpha_dropout(xv, keep, seed=5))
    a = (keep + keep * (1 - keep) * ALPHA_P ** 2) ** -0.5
    b = -a * ALPHA_P * (1 - keep)
    kept = np.isclose(got, a * xv + b, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(got, a * ALPHA_P + b, rtol=1e-5, atol=1e-6)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - (1 - keep)) < 0.03


@pytest.mark.parametrize("keep", [0.5, 0.8, 0.95])
def test_alpha_dropout_keeps_mean_and_variance(keep):
    xv = R.standard_normal((400, 500)).astype(np.float32)
    got = _run(cnn.alpha_dropout(xv, keep, seed=11))
    assert abs(got.mean()) < 0.01
    assert abs(got.var() - 1.0) < 0.02


def test_alpha_dropout_noise_shape_and_gradient():
    xv = R.standard_normal((30, 6)).astype(np.float32)
    x = tf.constant(xv)
    y = cnn.alpha_dropout(x, 0.5, noise_shape=[30, 1], seed=2)
    (g,) = tf.gradients(tf.reduce_sum(y), [x])
    out, grad = _run([y, g])
    a = (0.5 + 0.25 * ALPHA_P ** 2) ** -0.5
    rows_kept = np.isclose(out, a * xv + (-a * ALPHA_P * 0.5), atol=1e-5).all(1)
    rows_dropped = np.isclose(out, a * ALPHA_P - a * ALPHA_P * 0.5, atol=1e-5).all(1)
    assert np.all(rows_kept | rows_dropped)  # whole rows are kept or dropped
    np.testing.assert_allclose(grad, np.where(rows_kept[:, None], a, 0.0) * np.ones_like(xv),
                               rtol=1e-5)


def test_alpha_dropout_errors():
    with pytest.raises(ValueError, match=r"keep_prob must be a scalar tensor or a float in the "
                                         r"range \(0, 1\], got 1.5"):
        cnn.alpha_dropout(tf.ones([2]), 1.5)
    with pytest.raises(ValueError, match="got 0"):
        cnn.alpha_dropout(tf.ones([2]), 0.0)
    with pytest.raises(ValueError):
        cnn.alpha_dropout(tf.ones([2]), tf.constant([0.5, 0.5]))


# -- flipped cross-entropies ---------------------------------------------------------------------

def _log_softmax(z, axis=-1):
    m = z.max(axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis, keepdims=True))


def test_flipped_softmax_cross_entropy():
    logits = R.standard_normal((3, 4)).astype(np.float32)
    labels = R.dirichlet(np.ones(4), 3).astype(np.float32)
    lg, lb = tf.constant(logits), tf.constant(labels)
    loss = cnn.deprecated_flipped_softmax_cross_entropy_with_logits(lg, lb)
    along0 = cnn.deprecated_flipped_softmax_cross_entropy_with_logits(lg, lb, dim=0)
    np.testing.assert_allclose(_run(loss), -(labels * _log_softmax(logits)).sum(-1), rtol=1e-5)
    np.testing.assert_allclose(_run(along0), -(labels * _log_softmax(logits, 0)).sum(0),
                               rtol=1e-5)
    assert tf.gradients(loss, [lb]) == [None]  # TF1's version: no gradient into labels


def test_flipped_sparse_softmax_and_sigmoid_cross_entropy():
    logits = R.standard_normal((3, 5)).astype(np.float32)
    labels = np.array([0, 4, 2], np.int64)
    sparse = cnn.deprecated_flipped_sparse_softmax_cross_entropy_with_logits(logits, labels)
    np.testing.assert_allclose(_run(sparse), -_log_softmax(logits)[np.arange(3), labels],
                               rtol=1e-5)
    targets = R.uniform(size=(3, 5)).astype(np.float32)
    sig = cnn.deprecated_flipped_sigmoid_cross_entropy_with_logits(logits, targets)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    np.testing.assert_allclose(_run(sig), -(targets * np.log(p) + (1 - targets) * np.log(1 - p)),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="must have the same shape"):
        cnn.deprecated_flipped_sigmoid_cross_entropy_with_logits(logits, targets[:2])


# -- nth_element ---------------------------------------------------------------------------------

def test_nth_element_against_sort():
    x = R.standard_normal((2, 3, 6)).astype(np.float32)
    n = tf.placeholder(tf.int32, [])
    small, large = cnn.nth_element(x, n), cnn.nth_element(x, n, reverse=True)
    assert small.shape.as_list() == [2, 3] and small.op.type == "NthElement"
    for k in range(6):
        got_s, got_l = _run([small, large], {n: k})
        np.testing.assert_array_equal(got_s, np.sort(x, -1)[..., k])
        np.testing.assert_array_equal(got_l, np.sort(x, -1)[..., 5 - k])


def test_nth_element_gradient_splits_among_ties():
    x = tf.constant([[1.0, 3.0, 3.0, 0.0], [2.0, 5.0, 4.0, 1.0]])
    (g,) = tf.gradients(tf.reduce_sum(cnn.nth_element(x, 0, reverse=True) * [10.0, 1.0]), [x])
    np.testing.assert_allclose(_run(g), [[0, 5, 5, 0], [0, 1, 0, 0]])


def test_nth_element_errors():
    with pytest.raises(ValueError, match=r"Input must have last dimension > n = 3"):
        cnn.nth_element(tf.ones([2, 3]), 3)
    with pytest.raises(ValueError, match=r"must be non-negative but is -1"):
        cnn.nth_element(tf.ones([2, 3]), -1)
    with pytest.raises(ValueError, match="at least rank 1"):
        cnn.nth_element(tf.constant(1.0), 0)
    with pytest.raises(TypeError, match="'input' has DataType bool"):
        cnn.nth_element(tf.constant([True]), 0)
    x, n = tf.placeholder(tf.float32), tf.placeholder(tf.int32)
    op = cnn.nth_element(x, n)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least n\\+1 columns"):
        _run(op, {x: np.ones((2, 3)), n: 3})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need n >= 0, got -2"):
        _run(op, {x: np.ones((2, 3)), n: -2})


def test_nth_element_matches_tensorflow():
    x = R.standard_normal((3, 7)).astype(np.float32)
    want = tf_run(lambda tf1: [tf1.raw_ops.NthElement(input=x, n=2, reverse=r)
                               for r in (False, True)])
    got = _run([tf.raw_ops.NthElement(input=x, n=2, reverse=r) for r in (False, True)])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# -- scaled softplus -----------------------------------------------------------------------------

def _scaled_softplus(x, alpha, clip=None):
    y = alpha * np.log1p(np.exp(x / alpha))
    return y if clip is None else np.minimum(y, clip)


def test_scaled_softplus_values():
    x = R.standard_normal((3, 4))
    alpha = np.float64(0.3)
    got = _run([cnn.scaled_softplus(x.astype(np.float32), 0.3, 0.1),
                cnn.scaled_softplus(x, alpha)])
    np.testing.assert_allclose(got[0], _scaled_softplus(x, alpha, 0.1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], _scaled_softplus(x, alpha), rtol=1e-12)
    relu = _run(cnn.scaled_softplus(x, 1e-3))  # alpha -> 0: ReLU
    np.testing.assert_allclose(relu, np.maximum(x, 0), atol=1e-3)


def _numeric(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        g[i] = (f(hi) - f(lo)) / (2 * eps)
    return g


@pytest.mark.parametrize("clipping", [False, True])
def test_scaled_softplus_gradients_with_broadcasting(clipping):
    xv = R.standard_normal((5, 6))
    av = R.uniform(0.2, 1.0, (1, 6))
    cv = R.uniform(0.1, 1.5, (5, 1))
    w = R.standard_normal((5, 6))
    x, a, c = (tf.placeholder(tf.float64, v.shape) for v in (xv, av, cv))
    y = cnn.scaled_softplus(x, a, c if clipping else None)
    loss = tf.reduce_sum(y * w)
    wrt = [x, a, c] if clipping else [x, a]
    grads = tf.gradients(loss, wrt)
    feed = {x: xv, a: av, c: cv}

    def ref_loss(xx, aa, cc):
        return (_scaled_softplus(xx, aa, cc if clipping else None) * w).sum()

    got = _run(grads, feed)
    want = [_numeric(lambda v: ref_loss(v, av, cv), xv),
            _numeric(lambda v: ref_loss(xv, v, cv), av),
            _numeric(lambda v: ref_loss(xv, av, v), cv)]
    for g, n in zip(got, want):
        np.testing.assert_allclose(g, n, rtol=1e-5, atol=1e-6)
    # The gradient is TF's rule on the output, not autodiff through the forward ops.
    assert not any(op.type == "SoftplusGrad" for op in tf.get_default_graph().get_operations())


# -- sampled losses ------------------------------------------------------------------------------

NC, DIM, B = 10, 4, 3
W = R.standard_normal((NC, DIM)).astype(np.float32)
BIAS = R.standard_normal(NC).astype(np.float32)
X = R.standard_normal((B, DIM)).astype(np.float32)


def _sampled_softmax_ref(labels, sampled, true_exp, sampled_exp, remove_hits=True):
    """One loss per example: -log softmax over [true logit, sampled logits] at the true one,
    each logit w.x + b - log(expected count), a sampled class equal to the label masked."""
    losses = []
    for i in range(B):
        lab = labels[i, 0]
        true_logit = X[i] @ W[lab] + BIAS[lab] - np.log(true_exp[i, 0])
        s_logits = X[i] @ W[sampled].T + BIAS[sampled] - np.log(sampled_exp)
        if remove_hits:
            s_logits = np.where(sampled == lab, np.finfo(np.float32).min, s_logits)
        row = np.concatenate([[true_logit], s_logits]).astype(np.float64)
        losses.append(-_log_softmax(row)[0])
    return np.array(losses)


def _sampled_values(sampled):
    true_exp = np.full((B, 1), 0.4, np.float32)
    sampled_exp = np.linspace(0.2, 0.9, len(sampled)).astype(np.float32)
    return np.array(sampled, np.int64), true_exp, sampled_exp


def test_sampled_sparse_softmax_loss_against_numpy():
    labels = np.array([[2], [7], [4]], np.int64)
    values = _sampled_values([1, 7, 9, 0])  # 7 is an accidental hit for example 1
    for remove in (True, False):
        loss = cnn.sampled_sparse_softmax_loss(W, BIAS, labels, X, num_sampled=4,
                                               num_classes=NC, sampled_values=values,
                                               remove_accidental_hits=remove)
        np.testing.assert_allclose(_run(loss), _sampled_softmax_ref(labels, *values, remove),
                                   rtol=1e-5)


def test_sampled_sparse_softmax_loss_batch_of_one_and_sharded_weights():
    labels = np.array([[3]], np.int64)
    values = _sampled_values([5, 6])
    values = (values[0], values[1][:1], values[2])
    loss = cnn.sampled_sparse_softmax_loss([W[:5], W[5:]], BIAS, labels, X[:1], 2, NC,
                                           sampled_values=values, partition_strategy="div")
    assert loss.shape.as_list() == [1]
    got = _run(loss)
    want = -_log_softmax(np.array([X[0] @ W[3] + BIAS[3] - np.log(0.4),
                                   *(X[0] @ W[[5, 6]].T + BIAS[[5, 6]] - np.log(values[2]))],
                                  np.float64))[0]
    np.testing.assert_allclose(got, [want], rtol=1e-5)


def test_sampled_sparse_softmax_loss_default_sampler_trains():
    w = tf.Variable(W)
    loss = tf.reduce_mean(cnn.sampled_sparse_softmax_loss(
        w, BIAS, np.array([[1], [2], [3]], np.int64), X, num_sampled=3, num_classes=NC))
    (g,) = tf.gradients(loss, [w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        value, grad = sess.run([loss, tf.convert_to_tensor(g)])
    assert np.isfinite(value) and value > 0 and np.abs(grad).sum() > 0


def test_rank_sampled_softmax_loss_against_numpy():
    labels = np.array([[2], [7], [4]], np.int64)
    sampled, true_exp, sampled_exp = _sampled_values([1, 3, 5, 8, 9, 0])
    temperature = 0.7
    loss = cnn.rank_sampled_softmax_loss(
        W, BIAS, labels, X, num_sampled=6, num_resampled=3, num_classes=NC, num_true=1,
        sampled_values=(sampled, true_exp, sampled_exp), resampling_temperature=temperature,
        remove_accidental_hits=True, partition_strategy="div")
    # Resampling by hand: each sampled class's logsumexp over the batch of (w.x + b) / T.
    scores = [np.logaddexp.reduce((X @ W[s] + BIAS[s]) / temperature) for s in sampled]
    keep = np.argsort(scores)[::-1][:3]
    want = _sampled_softmax_ref(labels, sampled[keep], true_exp, sampled_exp[keep])
    np.testing.assert_allclose(_run(loss), want, rtol=1e-5)


def test_rank_sampled_softmax_loss_errors_and_default_sampler():
    labels = np.array([[2], [7], [4]], np.int64)
    kwargs = dict(num_true=1, sampled_values=None, resampling_temperature=1.0,
                  remove_accidental_hits=True)
    with pytest.raises(ValueError, match=r"num_sampled \(11\) cannot be greater than "
                                         r"num_classes \(10\)"):
        cnn.rank_sampled_softmax_loss(W, BIAS, labels, X, 11, 3, NC, partition_strategy="div",
                                      **kwargs)
    with pytest.raises(ValueError, match=r"num_resampled \(4\) must be less than num_sampled "
                                         r"\(4\)"):
        cnn.rank_sampled_softmax_loss(W, BIAS, labels, X, 4, 4, NC, partition_strategy="div",
                                      **kwargs)
    with pytest.raises(ValueError, match=r"unsupported partition_strategy \(x\)"):
        cnn.rank_sampled_softmax_loss(W, BIAS, labels, X, 4, 2, NC, partition_strategy="x",
                                      **kwargs)
    loss = cnn.rank_sampled_softmax_loss(W, BIAS, labels, X, 5, 2, NC, partition_strategy="mod",
                                         **kwargs)
    got = _run(loss)
    assert got.shape == (3,) and np.all(np.isfinite(got)) and np.all(got >= 0)
