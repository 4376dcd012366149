"""tf.nn.nce_loss / sampled_softmax_loss with given samples (numpy, and tf.compat.v1 where
installed), and the log-uniform candidate sampler's distribution and expected counts."""

import numpy as np
import pytest

import minitf as tf

rng = np.random.default_rng(0)
W = rng.standard_normal((10, 4)).astype(np.float32)
B = rng.standard_normal(10).astype(np.float32)
X = rng.standard_normal((3, 4)).astype(np.float32)
LABELS = np.array([[1], [4], [7]], np.int64)
SAMPLED = np.array([4, 0, 9], np.int64)  # 4 is row 1's true class: an accidental hit
TRUE_EXPECTED = np.array([[0.3], [0.2], [0.1]], np.float32)
SAMPLED_EXPECTED = np.array([0.5, 0.6, 0.05], np.float32)


def _logits(remove_hits):
    true = (X * W[LABELS[:, 0]]).sum(1, keepdims=True) + B[LABELS] - np.log(TRUE_EXPECTED)
    sampled = X @ W[SAMPLED].T + B[SAMPLED] - np.log(SAMPLED_EXPECTED)
    if remove_hits:
        sampled[LABELS[:, 0][:, None] == SAMPLED[None, :]] = np.finfo(np.float32).min
    return np.concatenate([true, sampled], 1).astype(np.float64)


def _loss(T, which, hits):
    graph = T.Graph()
    with graph.as_default():
        w, b = T.Variable(W), T.Variable(B)
        fn = T.nn.nce_loss if which == "nce" else T.nn.sampled_softmax_loss
        loss = fn(w, b, T.constant(LABELS), T.constant(X), 3, 10, remove_accidental_hits=hits,
                  sampled_values=(T.constant(SAMPLED), T.constant(TRUE_EXPECTED),
                                  T.constant(SAMPLED_EXPECTED)))
        grad = T.convert_to_tensor(T.gradients(T.reduce_sum(loss), w)[0])
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            return sess.run([loss, grad])


@pytest.mark.parametrize("hits", [False, True])
def test_losses_against_numpy(hits):
    logits = _logits(hits)
    targets = np.zeros_like(logits)
    targets[:, 0] = 1
    # nce: independent logistic regressions, summed per example
    nce = (np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))).sum(1)
    z = logits - logits.max(1, keepdims=True)
    softmax = -(z[:, 0] - np.log(np.exp(z).sum(1)))
    np.testing.assert_allclose(_loss(tf, "nce", hits)[0], nce, rtol=1e-5)
    np.testing.assert_allclose(_loss(tf, "softmax", hits)[0], softmax, rtol=1e-5)


def test_losses_and_gradients_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    for which in ("nce", "softmax"):
        for hits in (False, True):
            ours, theirs = _loss(tf, which, hits), _loss(tf1, which, hits)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=which)


def test_log_uniform_sampler():
    """Unique classes in range, Zipfian frequencies, TF's expected-count formula."""
    labels = tf.constant([[0], [5]], tf.int64)
    sampled, true_expected, sampled_expected = tf.nn.log_uniform_candidate_sampler(
        labels, 1, 8, True, 20, seed=3)
    assert sampled.shape.as_list() == [8] and true_expected.shape.as_list() == [2, 1]
    counts = np.zeros(20)
    with tf.Session() as sess:
        for _ in range(300):
            s, te, se = sess.run([sampled, true_expected, sampled_expected])
            assert len(set(s.tolist())) == 8 and s.min() >= 0 and s.max() < 20
            counts[s] += 1
            p = (np.log(np.arange(20) + 2) - np.log(np.arange(20) + 1)) / np.log(21)
            if np.allclose(se, 8 * p[s], rtol=1e-5):  # no repeats drawn: p * num_sampled
                np.testing.assert_allclose(te[:, 0], 8 * p[[0, 5]], rtol=1e-5)
                continue
            # repeats drawn: -expm1(tries * log1p(-p)), one whole number of tries for all
            tries = np.log1p(-se.astype(np.float64)) / np.log1p(-p[s])
            assert tries[0] > 8 and abs(tries[0] - round(tries[0])) < 1e-2
            np.testing.assert_allclose(tries, tries[0], rtol=1e-3)
            np.testing.assert_allclose(te[:, 0], -np.expm1(round(tries[0]) *
                                                           np.log1p(-p[[0, 5]])), rtol=1e-4)
    assert counts[0] > counts[10] > 0  # small classes are drawn more often (Zipfian)


def test_a_word2vec_step_lowers_the_nce_loss():
    """The canonical skip-gram setup: embeddings, nce weights, the default sampler; their
    gradients reach the tables sparsely and the loss falls."""
    tf.set_random_seed(1)
    vocab, dim = 50, 8
    embeddings = tf.Variable(tf.random_uniform([vocab, dim], -1.0, 1.0))
    nce_w = tf.Variable(tf.truncated_normal([vocab, dim], stddev=0.3))
    nce_b = tf.Variable(tf.zeros([vocab]))
    centers = tf.constant(np.arange(16) % vocab)
    contexts = tf.constant((np.arange(16)[:, None] + 1) % vocab)
    loss = tf.reduce_mean(tf.nn.nce_loss(nce_w, nce_b, contexts,
                                         tf.nn.embedding_lookup(embeddings, centers),
                                         num_sampled=5, num_classes=vocab))
    grads = tf.gradients(loss, [embeddings, nce_w])
    assert all(isinstance(g, tf.IndexedSlices) for g in grads)
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = np.mean([sess.run(loss) for _ in range(5)])
        for _ in range(100):
            sess.run(train)
        last = np.mean([sess.run(loss) for _ in range(5)])
    assert last < 0.7 * first
