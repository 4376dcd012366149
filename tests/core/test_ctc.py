"""CTC: tf.nn.ctc_loss (the CTCLoss op and its gradient), ctc_greedy_decoder,
ctc_beam_search_decoder, ctc_loss_v2, collapse_repeated and ctc_unique_labels. Values against
hand-computed or brute-force ones first, then side by side with TensorFlow (graphs and sessions
of its own), errors with TF's classes and words, and GraphDefs that TF imports and runs."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf
from minitf import errors
from .side_by_side import run, tf1_or_skip, tf_run

from .op_cases.ctc import brute_loss, softmax

LOG3 = float(np.log(3.0))


def sparse(api, labels):
    """A SparseTensor of int32 label rows (lists of different lengths) in ``api``."""
    idx = [[b, t] for b, row in enumerate(labels) for t in range(len(row))]
    vals = [v for row in labels for v in row]
    shape = [len(labels), max(map(len, labels))]
    return api.SparseTensor(np.array(idx, np.int64), np.array(vals, np.int32),
                            np.array(shape, np.int64))


def loss_and_grad(api, x, labels, seq, weights=None, **kw):
    """ctc_loss and d(sum(weights * loss))/d logits, built with ``api`` (minitf or tf1)."""
    logits = api.constant(x)
    loss = api.nn.ctc_loss(sparse(api, labels), logits, np.array(seq, np.int32), **kw)
    w = np.ones(len(seq), x.dtype) if weights is None else weights
    return [loss, api.gradients(api.reduce_sum(loss * w), logits)[0]]


def random_logits(seed, shape, scale=2.0, dtype=np.float32):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


# -- ctc_loss without TensorFlow -------------------------------------------------------------------
def test_uniform_logits_count_alignments():
    """Equal logits: p(label) = (alignments of it) / C**T. For [0] over 2 frames of 3 classes:
    00, 0-, -0 merged (3 of 9); without merging only 0-, -0 (2 of 9)."""
    x = np.zeros((2, 1, 3), np.float32)
    merged = loss_and_grad(tf, x, [[0]], [2])
    apart = loss_and_grad(tf, x, [[0]], [2], ctc_merge_repeated=False)
    got = run([merged[0], apart[0]])
    np.testing.assert_allclose(got[0], [LOG3], rtol=1e-6)
    np.testing.assert_allclose(got[1], [np.log(4.5)], rtol=1e-6)


def test_loss_and_gradient_match_brute_force_with_lengths():
    x = random_logits(3, (5, 3, 4))
    labels, seq = [[1, 1], [0, 2, 0], [2]], [5, 5, 2]
    loss, grad = run(loss_and_grad(tf, x, labels, seq))
    for b in range(3):
        want_loss, want_grad = brute_loss(x[:seq[b], b], labels[b])
        np.testing.assert_allclose(loss[b], want_loss, rtol=1e-5)
        np.testing.assert_allclose(grad[:seq[b], b], want_grad, atol=2e-6)
        assert not grad[seq[b]:, b].any(), "frames past the sequence get no gradient"


def test_tensorflow_values_without_tensorflow():
    # TF 2.21 gave these (CTCLoss with its defaults) for these logits and labels.
    x = random_logits(1, (6, 3, 5))
    loss = run(loss_and_grad(tf, x, [[1, 1, 2], [0, 3, 3, 0], [2]], [6, 5, 3])[0])
    np.testing.assert_allclose(loss, [11.611541, 10.77028, 3.6863847], rtol=1e-5)


def test_loss_gradient_matches_central_differences():
    """The gradient rule (the op's second output times the incoming gradient) against
    central differences of the loss, in float64, with a different weight per element."""
    x = random_logits(5, (4, 2, 3), dtype=np.float64)
    w = np.array([0.7, -1.3])
    ph = tf.placeholder(tf.float64, x.shape)
    loss = tf.nn.ctc_loss(sparse(tf, [[0, 1], [1]]), ph, np.array([4, 3], np.int32))
    total = tf.reduce_sum(loss * w)
    grad = tf.gradients(total, ph)[0]
    with tf.Session() as sess:
        got = sess.run(grad, {ph: x})
        num = np.zeros_like(x)
        for j in np.ndindex(*x.shape):
            for sign in (1, -1):
                xp = x.copy()
                xp[j] += sign * 1e-6
                num[j] += sign * sess.run(total, {ph: xp}) / 2e-6
    np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-7)


def test_second_derivative_is_refused():
    """TF wraps the gradient in PreventGradient: differentiating it again is a LookupError."""
    x = tf.constant(random_logits(0, (3, 1, 3)))
    loss = tf.nn.ctc_loss(sparse(tf, [[1]]), x, np.array([3], np.int32))
    g = tf.gradients(loss, x)[0]
    assert "PreventGradient" in [op.type for op in tf.get_default_graph().get_operations()]
    with pytest.raises(LookupError, match="Gradient explicitly disabled"):
        tf.gradients(tf.reduce_sum(g), x)


def test_batch_major_equals_time_major():
    x = random_logits(2, (4, 2, 3))
    labels, seq = [[0], [1, 0]], [4, 3]
    a = run(loss_and_grad(tf, x, labels, seq))
    b = run(loss_and_grad(tf, np.transpose(x, (1, 0, 2)), labels, seq, time_major=False))
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    np.testing.assert_allclose(a[1], np.transpose(b[1], (1, 0, 2)), atol=1e-7)


def test_blank_valued_labels_end_the_target():
    """Labels >= num_classes - 1 end a target (TF's rule), so [2] over 3 classes is the empty
    target: the all-blank path. (TF 2.21 reads outside its matrices for an empty target and
    gives -log(y0 * y1 * (1 + y2)) here; this is the true probability.)"""
    x = random_logits(10, (3, 1, 3))
    loss = run(loss_and_grad(tf, x, [[2]], [3])[0])
    np.testing.assert_allclose(loss, [-np.log(softmax(x[:, 0])[:, 2]).sum()], rtol=1e-6)


def test_half_precision_logits_are_scored_in_float32():
    x = random_logits(9, (4, 2, 3)).astype(np.float16)
    half = tf.nn.ctc_loss(sparse(tf, [[0], [1, 0]]), tf.constant(x), np.array([4, 4], np.int32))
    full = tf.nn.ctc_loss(sparse(tf, [[0], [1, 0]]), tf.constant(x.astype(np.float32)),
                          np.array([4, 4], np.int32))
    a, b = run([half, full])
    assert half.dtype == tf.float16 and a.dtype == np.float16
    np.testing.assert_allclose(a, b, rtol=1e-3)


def test_ignore_longer_outputs_gives_zero_loss_and_gradient():
    x = random_logits(4, (3, 2, 4))
    loss, grad = run(loss_and_grad(tf, x, [[0, 1, 2, 0], [1]], [3, 3],
                                   ignore_longer_outputs_than_inputs=True))
    assert loss[0] == 0 and not grad[:, 0].any()
    np.testing.assert_allclose(loss[1], brute_loss(x[:, 1], [1])[0], rtol=1e-5)


def test_repeat_without_room_for_a_blank_is_infinite():
    """[1, 1] needs 1-1 (3 frames); in 2 there is no path: TF gives inf and the softmax."""
    x = random_logits(6, (2, 1, 3))
    loss, grad = run(loss_and_grad(tf, x, [[1, 1]], [2]))
    assert np.isinf(loss[0])
    np.testing.assert_allclose(grad[:, 0], softmax(x[:, 0]), rtol=1e-6)


def test_log_space_stays_finite_where_probabilities_underflow():
    """TF 2.21 gives inf here (its float32 softmax underflows to 0); log space stays exact."""
    x = np.zeros((3, 1, 3), np.float32)
    x[:, 0, 2] = 200.0  # the label's probability is e**-200 in a frame: 0 in float32
    loss = run(loss_and_grad(tf, x, [[0]], [3])[0])
    np.testing.assert_allclose(loss, [200 - LOG3], rtol=1e-6)  # 3 alignments: 0--, -0-, --0


def _loss_error(labels, seq, x=None, **kw):
    x = random_logits(0, (3, 2, 4)) if x is None else x
    with pytest.raises(errors.InvalidArgumentError) as e:
        run(tf.nn.ctc_loss(sparse(tf, labels), tf.constant(x), np.array(seq, np.int32), **kw))
    return e.value.message


def test_labels_longer_than_inputs_raise_tensorflows_error():
    msg = _loss_error([[0, 1, 2, 0], [1]], [3, 3])
    assert msg.startswith("Not enough time for target transition sequence (required: 4, "
                          "available: 3)0You can turn this error into a warning")


def test_bad_labels_and_lengths_are_named():
    assert "Labels length is zero in batch 1" in _loss_error([[0], []], [3, 3])
    assert "All labels must be nonnegative integers, batch: 0" in _loss_error([[-1], [0]], [3, 3])
    assert "Saw a non-null label" in _loss_error([[3, 1], [0]], [3, 3])
    assert "sequence_length(0) <= 3" in _loss_error([[0], [1]], [4, 3])
    assert "seq_len(1) < 0" in _loss_error([[0], [1]], [3, -1])
    bad_order = tf.SparseTensor(np.array([[0, 1], [0, 0], [1, 0]], np.int64),
                                np.array([1, 1, 0], np.int32), np.array([2, 2], np.int64))
    with pytest.raises(errors.InvalidArgumentError, match="indices.1. = .0,0. is out of order"):
        run(tf.nn.ctc_loss(bad_order, random_logits(0, (3, 2, 4)), np.array([3, 3], np.int32)))


def test_graph_construction_errors():
    x = tf.constant(random_logits(0, (3, 2, 4)))
    with pytest.raises(TypeError, match="to be a SparseTensor"):
        tf.nn.ctc_loss(np.array([[0]]), x, [3, 3])
    with pytest.raises(errors.InvalidArgumentError, match="Dimensions must be equal"):
        tf.nn.ctc_loss(sparse(tf, [[0], [1]]), x, np.array([3], np.int32))
    with pytest.raises(errors.InvalidArgumentError, match="rank 3"):
        tf.nn.ctc_loss(sparse(tf, [[0], [1]]), tf.zeros([3, 2]), np.array([3, 3], np.int32))
    with pytest.raises(TypeError, match="DataType int32"):
        tf.nn.ctc_greedy_decoder(tf.zeros([3, 2, 4], tf.int32), np.array([3, 3], np.int32))


# -- decoders without TensorFlow -------------------------------------------------------------------
def test_greedy_decoder_merges_and_skips_blanks():
    # Best classes per frame (blank = 2): 0 0 2 0 1 1 -> merged [0, 0, 1], unmerged [0,0,0,1,1].
    best = [0, 0, 2, 0, 1, 1]
    x = np.full((6, 1, 3), -1.0, np.float32)
    x[np.arange(6), 0, best] = 0.5
    (merged,), neg = run(tf.nn.ctc_greedy_decoder(x, np.array([6], np.int32)))
    (plain,), _ = run(tf.nn.ctc_greedy_decoder(x, np.array([6], np.int32),
                                               merge_repeated=False))
    assert merged.values.tolist() == [0, 0, 1] and merged.dense_shape.tolist() == [1, 3]
    assert plain.values.tolist() == [0, 0, 0, 1, 1]
    assert merged.indices.tolist() == [[0, 0], [0, 1], [0, 2]]
    np.testing.assert_allclose(neg, [[-3.0]])


def test_beam_search_prefers_the_summed_label():
    """GravesTh Fig. 7.5: P(a) = .3, .4 and P(-) = .7, .6. The best path is '--' (.42) but
    the label 'a' sums .58; the beam finds it, greedy decoding does not."""
    x = np.log(np.array([[[0.3, 0.7]], [[0.4, 0.6]]], np.float32))
    decoded, log_prob = run(tf.nn.ctc_beam_search_decoder(x, np.array([2], np.int32),
                                                          beam_width=2, top_paths=2))
    assert decoded[0].values.tolist() == [0] and decoded[1].values.tolist() == []
    np.testing.assert_allclose(log_prob, np.log([[0.58, 0.42]]), rtol=1e-6)
    (greedy,), _ = run(tf.nn.ctc_greedy_decoder(x, np.array([2], np.int32)))
    assert greedy.values.tolist() == []


def test_decoder_errors():
    x = random_logits(0, (3, 2, 4))
    with pytest.raises(errors.InvalidArgumentError, match="requested more paths than the beam"):
        run(tf.nn.ctc_beam_search_decoder(x, np.array([3, 3], np.int32), beam_width=2,
                                          top_paths=3))
    with pytest.raises(errors.InvalidArgumentError, match="Less leaves in the beam search"):
        run(tf.nn.ctc_beam_search_decoder(x, np.array([3, 0], np.int32), top_paths=2))
    with pytest.raises(errors.FailedPreconditionError, match=r"sequence_length\(1\) <= 3"):
        run(tf.nn.ctc_greedy_decoder(x, np.array([3, 4], np.int32)))
    with pytest.raises(errors.InvalidArgumentError, match="blank_index expected to be between "
                                                          "-4 and 3 but was 4"):
        run(tf.nn.ctc_greedy_decoder(x, np.array([3, 3], np.int32), blank_index=4))


# -- Python compositions ---------------------------------------------------------------------------
def test_collapse_repeated_and_unique_labels():
    labels = np.array([[1, 1, 2, 2, 1], [1, 2, 3, 4, 5]], np.int32)
    collapsed, lengths = run(tf.nn.collapse_repeated(labels, np.array([5, 5], np.int32)))
    assert collapsed.tolist() == [[1, 2, 1, 0, 0], [1, 2, 3, 4, 5]]
    assert lengths.tolist() == [3, 5]
    y, idx = run(tf.nn.ctc_unique_labels(np.array([[3, 4, 4, 3], [5, 0, 0, 0]], np.int64)))
    assert y.tolist() == [[3, 4, 0, 0], [5, 0, 0, 0]] and y.dtype == np.int64
    assert idx.tolist() == [[0, 1, 1, 0], [0, 1, 1, 1]] and idx.dtype == np.int32


def test_ctc_loss_v2_moves_the_blank():
    """Dense labels, blank 0: the same as ctc_loss with the blank class moved last."""
    x = random_logits(8, (5, 2, 4))
    dense = np.array([[1, 3, 0], [2, 2, 1]], np.int32)
    v2 = tf.nn.ctc_loss_v2(dense, x, np.array([2, 3], np.int32), np.array([5, 4], np.int32))
    moved = np.concatenate([x[:, :, 1:], x[:, :, :1]], axis=2)
    v1 = tf.nn.ctc_loss(sparse(tf, [[0, 2], [1, 1, 0]]), moved, np.array([5, 4], np.int32))
    a, b = run([v2, v1])
    np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(ValueError, match="blank_index"):
        tf.nn.ctc_loss_v2(sparse(tf, [[1]]), x[:, :1], None, np.array([5], np.int32))


# -- side by side with TensorFlow ------------------------------------------------------------------
LOSS_CASES = [  # (seed, shape, labels, sequence lengths): repeats, different lengths
    (11, (6, 3, 5), [[1, 1, 2], [0, 3, 3, 0], [2]], [6, 5, 3]),
    (12, (8, 4, 4), [[0, 0, 0], [2, 1], [1, 2, 1, 2], [0]], [8, 8, 5, 1]),
    (13, (5, 2, 6), [[4, 4], [3, 2, 3]], [3, 5]),
]
FLAGS = [{}, {"preprocess_collapse_repeated": True}, {"ctc_merge_repeated": False},
         {"preprocess_collapse_repeated": True, "ctc_merge_repeated": False}]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "-".join(f) or "defaults")
@pytest.mark.parametrize("case", LOSS_CASES, ids=lambda c: str(c[0]))
def test_loss_and_gradient_match_tensorflow(case, flags, dtype):
    seed, shape, labels, seq = case
    x = random_logits(seed, shape, dtype=dtype)
    w = np.linspace(-1.0, 2.0, shape[1]).astype(dtype)
    theirs = tf_run(lambda tf1: loss_and_grad(tf1, x, labels, seq, w, **flags))
    mine = run(loss_and_grad(tf, x, labels, seq, w, **flags))
    tol = 1e-5 if dtype == np.float32 else 1e-7  # TF mixes float math into float64 runs
    np.testing.assert_allclose(mine[0], theirs[0], rtol=tol)
    np.testing.assert_allclose(mine[1], theirs[1], rtol=tol, atol=tol)


EDGES = [  # (labels, sequence lengths, flags, batch-major)
    ([[0, 1, 2, 0, 1], [1], [2, 2]], [4, 4, 3], {"ignore_longer_outputs_than_inputs": True}, 0),
    ([[1, 1], [0], [2, 1]], [2, 4, 4], {}, 0),  # no room for the repeat: inf
    ([[1, 1], [0], [2, 1]], [4, 4, 4], {"time_major": False}, 1),
]


@pytest.mark.parametrize("edge", EDGES)
def test_edge_cases_match_tensorflow(edge):
    labels, seq, kw, batch_major = edge
    x = random_logits(14, (4, 3, 4))
    x = np.transpose(x, (1, 0, 2)) if batch_major else x
    theirs = tf_run(lambda tf1: loss_and_grad(tf1, x, labels, seq, **kw))
    mine = run(loss_and_grad(tf, x, labels, seq, **kw))
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_too_long_error_matches_tensorflow():
    tf1 = tf1_or_skip()
    x = random_logits(0, (3, 2, 4))
    with pytest.raises(tf1.errors.InvalidArgumentError) as theirs:
        tf_run(lambda t: t.nn.ctc_loss(sparse(t, [[0, 1, 2, 0], [1]]), x, np.array([3, 3])))
    mine = _loss_error([[0, 1, 2, 0], [1]], [3, 3])
    assert mine in theirs.value.message


def _same_sparse(a, b):
    for part in ("indices", "values", "dense_shape"):
        np.testing.assert_array_equal(getattr(a, part), getattr(b, part))


def _decode(api, fn, x, seq, **kw):
    return getattr(api.nn, fn)(api.constant(x), np.array(seq, np.int32), **kw)


@pytest.mark.parametrize("kw", [{}, {"merge_repeated": False}, {"blank_index": 0},
                                {"blank_index": -2, "merge_repeated": False}])
def test_greedy_decoder_matches_tensorflow(kw):
    x = np.round(random_logits(21, (7, 3, 4)))  # rounded: ties, which pick the first maximum
    seq = [7, -1, 4]  # a negative length decodes nothing, as a zero one
    theirs = tf_run(lambda tf1: _decode(tf1, "ctc_greedy_decoder", x, seq, **kw))
    mine = run(_decode(tf, "ctc_greedy_decoder", x, seq, **kw))
    _same_sparse(mine[0][0], theirs[0][0])
    np.testing.assert_allclose(mine[1], theirs[1])


BEAMS = [  # (seed, shape, sequence lengths, beam_width, top_paths, merge_repeated, scale)
    (31, (6, 3, 4), [6, 4, 5], 3, 2, True, 1.0),
    (32, (8, 2, 5), [8, 7], 5, 3, False, 3.0),
    (33, (10, 2, 3), [10, 9], 4, 4, True, 0.5),
    (34, (7, 2, 6), [7, 0], 1, 1, True, 2.0),
    (35, (25, 2, 12), [25, 18], 100, 3, False, 2.0),
    (36, (12, 3, 8), [12, 12, 6], 7, 2, True, 1.5),
]


@pytest.mark.parametrize("beam", BEAMS, ids=lambda b: str(b[0]))
def test_beam_search_matches_tensorflow(beam):
    seed, shape, seq, width, paths, merge, scale = beam
    x = random_logits(seed, shape, scale)
    kw = {"beam_width": width, "top_paths": paths, "merge_repeated": merge}
    theirs = tf_run(lambda tf1: _decode(tf1, "ctc_beam_search_decoder", x, seq, **kw))
    mine = run(_decode(tf, "ctc_beam_search_decoder", x, seq, **kw))
    for a, b in zip(mine[0], theirs[0]):
        _same_sparse(a, b)
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-5)


def test_beam_search_v2_matches_tensorflow():
    x = random_logits(37, (9, 2, 5))
    theirs = tf_run(lambda tf1: tf1.nn.ctc_beam_search_decoder_v2(x, [9, 6], 4, 2))
    mine = run(tf.nn.ctc_beam_search_decoder_v2(x, [9, 6], 4, 2))
    for a, b in zip(mine[0], theirs[0]):
        _same_sparse(a, b)
    np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-5)


def test_compositions_match_tensorflow():
    labels = np.array([[2, 2, 1, 1, 2, 0], [3, 3, 3, 3, 0, 0], [1, 2, 2, 3, 3, 4]], np.int32)
    lengths = np.array([5, 3, 6], np.int32)

    def build(api):
        return [*api.nn.collapse_repeated(labels, lengths),
                *api.nn.ctc_unique_labels(labels.astype(np.int64))]

    for a, b in zip(run(build(tf)), tf_run(build)):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


@pytest.mark.parametrize("blank", [None, -1, 2])
def test_ctc_loss_v2_matches_tensorflow(blank):
    x = random_logits(41, (6, 3, 5))
    dense = np.array([[1, 3, 3, 0], [2, 4, 0, 0], [1, 1, 1, 0]], np.int32)
    if blank is not None:
        dense = np.where(dense == (blank % 5), (blank + 1) % 5, dense).astype(np.int32)

    def build(api):
        logits = api.constant(x)
        loss = api.nn.ctc_loss_v2(dense, logits, np.array([3, 2, 3], np.int32),
                                  np.array([6, 5, 6], np.int32), blank_index=blank)
        return [loss, api.gradients(api.reduce_sum(loss * [1.0, 2.0, -1.0]), logits)[0]]

    for a, b in zip(run(build(tf)), tf_run(build)):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


def test_graph_round_trips_through_tensorflow():
    """CTCLoss (and its PreventGradient'ed gradient) and both decoders, built in minitf,
    imported into TensorFlow and run there."""
    tf1 = tf1_or_skip()
    x = random_logits(51, (6, 2, 4))
    labels, seq = [[1, 1], [0, 2, 1]], np.array([6, 5], np.int32)
    with tf.Graph().as_default() as ours:
        xp = tf.placeholder(tf.float32, [None, 2, 4], name="x")
        loss = tf.identity(tf.nn.ctc_loss(sparse(tf, labels), xp, seq, ctc_merge_repeated=False),
                           name="loss")
        tf.identity(tf.gradients(tf.reduce_sum(loss), xp)[0], name="dx")
        (g,), _ = tf.nn.ctc_greedy_decoder(xp, seq, blank_index=0)
        tf.identity(g.values, name="greedy")
        beams, log_prob = tf.nn.ctc_beam_search_decoder(xp, seq, beam_width=5, top_paths=2)
        tf.identity(beams[1].values, name="beam1")
        tf.identity(log_prob, name="log_prob")
        names = ["loss:0", "dx:0", "greedy:0", "beam1:0", "log_prob:0"]
        mine = run([ours.get_tensor_by_name(n) for n in names], {xp: x})
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(
            ours.as_graph_def().SerializeToString()), name="")
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(names, {"x:0": x})
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_tensorflow_graph_imports_and_runs_here():
    """The other direction: a TF-built graph with CTCLoss (and TF's gradient of it) and both
    decoders, imported into minitf."""
    x = random_logits(52, (5, 2, 4))
    names = ["loss:0", "dx:0", "beam:0", "greedy:0"]

    def build(tf1):
        xp = tf1.placeholder(tf1.float32, [None, 2, 4], name="x")
        loss = tf1.identity(tf1.nn.ctc_loss(sparse(tf1, [[1, 1], [2]]), xp, [5, 4]), name="loss")
        tf1.identity(tf1.gradients(tf1.reduce_sum(loss), xp)[0], name="dx")
        (beam,), _ = tf1.nn.ctc_beam_search_decoder(xp, [5, 4], beam_width=3)
        tf1.identity(beam.values, name="beam")
        (greedy,), _ = tf1.nn.ctc_greedy_decoder(xp, [5, 4])
        tf1.identity(greedy.values, name="greedy")
        graph = tf1.get_default_graph()
        return [graph.get_tensor_by_name(n) for n in names] + [xp]

    tf1 = tf1_or_skip()
    g = tf1.Graph()
    with g.as_default():
        fetches = build(tf1)
        with tf1.Session(graph=g) as sess:
            theirs = sess.run(fetches[:-1], {fetches[-1]: x})
    with tf.Graph().as_default():
        tf.import_graph_def(tf.GraphDef.FromString(g.as_graph_def().SerializeToString()),
                            name="")
        mine = run(names, {"x:0": x})
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
