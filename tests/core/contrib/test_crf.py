"""tf.contrib.crf against brute force over every tag sequence in numpy (tiny cases): sequence
scores, log-norm, log-likelihood, Viterbi paths; lengths 0 and 1; gradients numerically; a CRF
tagger trained by gradient descent."""

import itertools

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import crf

RNG = np.random.RandomState(7)


def _score(x, tags, trans):
    """One sequence's unnormalized score: unary plus transition terms."""
    s = sum(x[t, tags[t]] for t in range(len(tags)))
    return s + sum(trans[tags[t], tags[t + 1]] for t in range(len(tags) - 1))


def _brute(x, length, trans):
    """(log-norm, best path, best score) of x[:length] over all tag sequences."""
    if length <= 0:
        return 0.0, [], 0.0
    n = x.shape[1]
    seqs = list(itertools.product(range(n), repeat=length))
    scores = np.array([_score(x[:length], s, trans) for s in seqs])
    best = int(np.argmax(scores))
    m = scores.max()
    return m + np.log(np.exp(scores - m).sum()), list(seqs[best]), scores[best]


def _case(batch=3, steps=4, tags=3, lengths=(4, 2, 1)):
    x = RNG.randn(batch, steps, tags).astype(np.float32)
    y = RNG.randint(0, tags, size=(batch, steps)).astype(np.int32)
    trans = RNG.randn(tags, tags).astype(np.float32)
    return x, y, np.array(lengths, np.int32), trans


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


@pytest.mark.parametrize("lengths", [(4, 2, 1), (4, 4, 3), (0, 3, 1)])
def test_scores_log_norm_likelihood_match_brute_force(lengths):
    x, y, lens, trans = _case(lengths=lengths)
    with tf.Graph().as_default():
        seq = crf.crf_sequence_score(x, y, lens, trans)
        norm = crf.crf_log_norm(x, lens, trans)
        ll, tp = crf.crf_log_likelihood(x, y, lens, tf.constant(trans))
        got_seq, got_norm, got_ll = _run([seq, norm, ll])
    for b, n in enumerate(lens):
        want_norm = _brute(x[b], n, trans)[0]
        want_seq = _score(x[b, :n], y[b, :n], trans) if n > 0 else 0.0
        np.testing.assert_allclose(got_seq[b], want_seq, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got_norm[b], want_norm, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got_ll[b], want_seq - want_norm, rtol=1e-5, atol=1e-5)
    assert seq.shape.as_list() == [3] and ll.shape.as_list() == [3]


def test_unary_and_binary_scores_are_masked_by_length():
    x, y, lens, trans = _case(lengths=(4, 2, 0))
    with tf.Graph().as_default():
        un, bi = _run([crf.crf_unary_score(y, lens, x), crf.crf_binary_score(y, lens, trans)])
    for b, n in enumerate(lens):
        np.testing.assert_allclose(un[b], sum(x[b, t, y[b, t]] for t in range(n)), atol=1e-5)
        np.testing.assert_allclose(
            bi[b], sum(trans[y[b, t], y[b, t + 1]] for t in range(max(n - 1, 0))), atol=1e-5)


def test_int64_tag_indices():
    x, y, lens, trans = _case()
    with tf.Graph().as_default():
        a = _run(crf.crf_sequence_score(x, y.astype(np.int64), lens.astype(np.int64), trans))
    with tf.Graph().as_default():
        b = _run(crf.crf_sequence_score(x, y, lens, trans))
    np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("lengths", [(4, 2, 1), (3, 4, 4)])
def test_crf_decode_and_viterbi_decode_find_the_best_path(lengths):
    x, _, lens, trans = _case(lengths=lengths)
    with tf.Graph().as_default():
        tags_t, score_t = crf.crf_decode(x, tf.constant(trans), lens)
        assert tags_t.dtype == tf.int32
        tags, score = _run([tags_t, score_t])
    assert tags.shape == (3, 4)
    for b, n in enumerate(lens):
        _, want_path, want_score = _brute(x[b], n, trans)
        assert list(tags[b, :n]) == want_path
        np.testing.assert_allclose(score[b], want_score, rtol=1e-5)
        path, vscore = crf.viterbi_decode(x[b, :n], trans)
        assert [int(t) for t in path] == want_path
        np.testing.assert_allclose(vscore, want_score, rtol=1e-5)


def test_single_step_sequences_skip_the_recursion():
    x = RNG.randn(2, 1, 4).astype(np.float32)
    y = np.array([[2], [1]], np.int32)
    lens = np.array([1, 0], np.int32)
    trans = RNG.randn(4, 4).astype(np.float32)
    with tf.Graph().as_default():
        seq = crf.crf_sequence_score(x, y, lens, trans)
        norm = crf.crf_log_norm(x, lens, trans)
        tags, best = crf.crf_decode(x, trans, lens)
        got = _run([seq, norm, tags, best])
    np.testing.assert_allclose(got[0], [x[0, 0, 2], 0.0], rtol=1e-6)
    np.testing.assert_allclose(got[1][0], np.log(np.exp(x[0, 0]).sum()), rtol=1e-5)
    assert got[1][1] == 0.0
    assert got[2].tolist() == [[int(np.argmax(x[0, 0]))], [int(np.argmax(x[1, 0]))]]
    np.testing.assert_allclose(got[3], x[:, 0].max(axis=1), rtol=1e-6)


def test_unknown_time_dimension_decides_at_run_time():
    x, y, lens, trans = _case(lengths=(4, 2, 1))
    with tf.Graph().as_default():
        xp = tf.placeholder(tf.float32, [None, None, 3])
        yp = tf.placeholder(tf.int32, [None, None])
        lp = tf.placeholder(tf.int32, [None])
        norm = crf.crf_log_norm(xp, lp, trans)
        ll, _ = crf.crf_log_likelihood(xp, yp, lp, trans)
        tags, _ = crf.crf_decode(xp, trans, lp)
        with tf.Session() as sess:
            many = sess.run([norm, ll, tags], {xp: x, yp: y, lp: lens})
            one = sess.run([norm, tags], {xp: x[:, :1], yp: y[:, :1], lp: [1, 1, 1]})
    for b, n in enumerate(lens):
        logz, path, _ = _brute(x[b], n, trans)
        np.testing.assert_allclose(many[0][b], logz, rtol=1e-5)
        np.testing.assert_allclose(many[1][b], _score(x[b, :n], y[b, :n], trans) - logz,
                                   rtol=1e-5, atol=1e-5)
        assert list(many[2][b, :n]) == path
        np.testing.assert_allclose(one[0][b], np.log(np.exp(x[b, 0]).sum()), rtol=1e-5)
        assert one[1][b, 0] == np.argmax(x[b, 0])


def test_log_likelihood_creates_transitions_variable():
    x, y, lens, _ = _case()
    with tf.Graph().as_default():
        with tf.variable_scope("tagger"):
            ll, trans = crf.crf_log_likelihood(x, y, lens)
        assert trans.op.name == "tagger/transitions"
        assert trans.shape.as_list() == [3, 3]
        assert trans in tf.trainable_variables()
        got_ll, got_t = _run([ll, trans])
    for b, n in enumerate(lens):
        logz = _brute(x[b], n, got_t)[0]
        np.testing.assert_allclose(got_ll[b], _score(x[b, :n], y[b, :n], got_t) - logz,
                                   rtol=1e-5, atol=1e-5)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="number of tags"):
        crf.crf_log_likelihood(tf.placeholder(tf.float32, [2, 3, None]), y[:2, :3], lens[:2])


def test_gradients_match_numerical_differences():
    x, y, lens, trans = _case(lengths=(4, 2, 1))
    x64, t64 = x.astype(np.float64), trans.astype(np.float64)
    with tf.Graph().as_default():
        xv = tf.constant(x64)
        tv = tf.constant(t64)
        loss = -tf.reduce_sum(crf.crf_log_likelihood(xv, y, lens, tv)[0])
        with tf.Session():
            err = tf.test.compute_gradient_error([xv, tv], [x.shape, trans.shape], loss, [],
                                                 x_init_value=[x64, t64])
    assert err < 1e-5


def test_training_a_crf_tagger_decreases_loss():
    rng = np.random.RandomState(0)
    feats = rng.randn(8, 5, 4).astype(np.float32)
    gold = rng.randint(0, 3, size=(8, 5)).astype(np.int32)
    lens = rng.randint(1, 6, size=8).astype(np.int32)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        w = tf.get_variable("w", [4, 3])
        unary = tf.reshape(tf.matmul(tf.reshape(feats, [-1, 4]), w), [8, 5, 3])
        ll, trans = crf.crf_log_likelihood(unary, gold, lens)
        loss = tf.reduce_mean(-ll)
        step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        tags, _ = crf.crf_decode(unary, trans, lens)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss)
            for _ in range(60):
                sess.run(step)
            last, decoded = sess.run([loss, tags])
    assert last < 0.8 * first
    mask = np.arange(5)[None] < lens[:, None]
    assert (decoded[mask] == gold[mask]).mean() > 0.5


def test_cells_have_tf_sizes_and_steps():
    trans = RNG.randn(3, 3).astype(np.float32)
    state = RNG.randn(2, 3).astype(np.float32)
    inp = RNG.randn(2, 3).astype(np.float32)
    with tf.Graph().as_default():
        fwd = crf.CrfForwardRnnCell(trans)
        dec = crf.CrfDecodeForwardRnnCell(trans)
        back = crf.CrfDecodeBackwardRnnCell(3)
        assert (fwd.state_size, fwd.output_size, back.state_size) == (3, 3, 1)
        a, _ = fwd(inp, state)
        bp, sc = dec(inp, state)
        tags, _ = back(tf.constant([[2, 0, 1], [1, 1, 0]]), tf.constant([[0], [2]]))
        a, bp, sc, tags = _run([a, bp, sc, tags])
    v = state[:, :, None] + trans[None]
    np.testing.assert_allclose(a, inp + np.log(np.exp(v).sum(1)), rtol=1e-5)
    np.testing.assert_allclose(sc, inp + v.max(1), rtol=1e-6)
    assert bp.dtype == np.int32 and (bp == v.argmax(1)).all()
    assert tags.tolist() == [[2], [0]]


def test_multitag_sequence_score_sums_allowed_paths():
    x, _, lens, trans = _case(lengths=(3, 2, 1))
    bitmap = RNG.rand(3, 4, 3) > 0.4
    bitmap[..., 0] = True
    with tf.Graph().as_default():
        got = _run(crf.crf_multitag_sequence_score(x, bitmap, lens, trans))
    for b, n in enumerate(lens):
        seqs = [s for s in itertools.product(range(3), repeat=int(n))
                if all(bitmap[b, t, s[t]] for t in range(n))]
        want = np.log(sum(np.exp(_score(x[b, :n], s, trans)) for s in seqs))
        np.testing.assert_allclose(got[b], want, rtol=1e-5)
