"""tf.contrib.seq2seq.sequence_loss, hardmax, tile_batch and gather_tree against numpy written
from their definitions (TF 2 has no contrib.seq2seq), plus the pieces built from core ops side
by side with tf.compat.v1."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import seq2seq

R = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _crossent(logits, targets):
    """-log softmax(logits)[target] per position, [batch, time]."""
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    b, t = targets.shape
    return -np.array([[logp[i, j, targets[i, j]] for j in range(t)] for i in range(b)])


LOGITS = R.standard_normal((3, 4, 5)).astype(np.float32)
TARGETS = R.integers(0, 5, (3, 4)).astype(np.int32)
WEIGHTS = np.array([[1, 1, 1, 0], [1, 0.5, 0, 0], [1, 1, 1, 1]], np.float32)


@pytest.mark.parametrize("flags", [
    dict(),
    dict(average_across_timesteps=False),
    dict(average_across_batch=False),
    dict(average_across_timesteps=False, average_across_batch=False),
    dict(average_across_timesteps=False, average_across_batch=False, sum_over_timesteps=True,
         sum_over_batch=True),
    dict(average_across_timesteps=False, average_across_batch=False, sum_over_timesteps=True),
    dict(average_across_timesteps=False, average_across_batch=False, sum_over_batch=True),
    dict(average_across_timesteps=True, average_across_batch=False, sum_over_batch=True),
])
def test_sequence_loss_reductions(flags):
    got = _run(seq2seq.sequence_loss(LOGITS, TARGETS, WEIGHTS, **flags))
    ce = _crossent(LOGITS.astype(np.float64), TARGETS) * WEIGHTS
    avg_t = flags.get("average_across_timesteps", True)
    avg_b = flags.get("average_across_batch", True)
    sum_t, sum_b = flags.get("sum_over_timesteps", False), flags.get("sum_over_batch", False)
    if avg_t and avg_b:
        want = ce.sum() / WEIGHTS.sum()
    elif sum_t and sum_b:
        want = ce.sum() / np.count_nonzero(WEIGHTS)
    elif avg_t or avg_b:
        axis = 0 if avg_b else 1
        want = ce.sum(axis) / WEIGHTS.sum(axis)
    elif sum_t or sum_b:
        axis = 0 if sum_b else 1
        want = ce.sum(axis) / np.count_nonzero(WEIGHTS, axis=axis)
    else:
        want = ce
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_sequence_loss_zero_weights_give_zero_not_nan():
    got = _run(seq2seq.sequence_loss(LOGITS, TARGETS, np.zeros((3, 4), np.float32)))
    assert got == 0.0


def test_sequence_loss_custom_softmax_loss_function():
    calls = []

    def squared(labels, logits):
        calls.append((labels.shape.as_list(), logits.shape.as_list()))
        return tf.reduce_sum(tf.square(logits - tf.one_hot(labels, 5)), -1)

    got = _run(seq2seq.sequence_loss(LOGITS, TARGETS, WEIGHTS, softmax_loss_function=squared,
                                     average_across_timesteps=False,
                                     average_across_batch=False))
    onehot = np.eye(5)[TARGETS]
    np.testing.assert_allclose(got, ((LOGITS - onehot) ** 2).sum(-1) * WEIGHTS, rtol=1e-5)
    assert calls == [([12], [12, 5])]  # flattened to [batch * time]


def test_sequence_loss_gradient():
    logits = tf.constant(LOGITS.astype(np.float64))
    loss = seq2seq.sequence_loss(logits, TARGETS, WEIGHTS.astype(np.float64))
    with tf.Session():
        err = tf.test.compute_gradient_error(logits, [3, 4, 5], loss, [])
    assert err < 1e-6


@pytest.mark.parametrize("args, message", [
    ((np.zeros((3, 5), np.float32), TARGETS, WEIGHTS), "Logits must be a"),
    ((LOGITS, TARGETS[0], WEIGHTS), "Targets must be a"),
    ((LOGITS, TARGETS, WEIGHTS[0]), "Weights must be a"),
])
def test_sequence_loss_rank_errors(args, message):
    with pytest.raises(ValueError, match=message):
        seq2seq.sequence_loss(*args)


def test_sequence_loss_conflicting_flags():
    with pytest.raises(ValueError, match="average_across_timesteps and sum_over_timesteps"):
        seq2seq.sequence_loss(LOGITS, TARGETS, WEIGHTS, sum_over_timesteps=True)
    with pytest.raises(ValueError, match="average_across_batch and sum_over_batch"):
        seq2seq.sequence_loss(LOGITS, TARGETS, WEIGHTS, average_across_timesteps=False,
                              sum_over_batch=True)


def test_hardmax_static_and_dynamic_depth():
    x = np.array([[1.0, 3.0, 2.0], [5.0, -1.0, 0.0]], np.float32)
    p = tf.placeholder(tf.float32, [None, None])
    got = _run([seq2seq.hardmax(x), seq2seq.hardmax(p)], {p: x})
    want = np.array([[0, 1, 0], [1, 0, 0]], np.float32)
    np.testing.assert_array_equal(got[0], want)
    np.testing.assert_array_equal(got[1], want)
    assert seq2seq.hardmax(x).shape.as_list() == [2, 3]


def test_tile_batch_repeats_each_entry_in_place():
    t = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    p = tf.placeholder(tf.float32, [None, 2, 2])
    tiled = seq2seq.tile_batch({"a": t, "b": (p, np.array([4, 5], np.int32))}, 2)
    assert tiled["a"].shape.as_list() == [6, 2, 2]
    assert tiled["b"][0].shape.as_list() == [None, 2, 2]
    got = _run(tiled, {p: t})
    np.testing.assert_array_equal(got["a"], t[[0, 0, 1, 1, 2, 2]])
    np.testing.assert_array_equal(got["b"][0], t[[0, 0, 1, 1, 2, 2]])
    np.testing.assert_array_equal(got["b"][1], [4, 4, 5, 5])
    with pytest.raises(ValueError, match="t must have statically known rank"):
        seq2seq.tile_batch(tf.constant(1.0), 2)


def test_gather_tree_contrib_example():
    # tf.contrib.seq2seq's gather_tree test: three beams traced back from the last step.
    step_ids = np.array([[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]], [[10, 11, 12]]], np.int32)
    parent_ids = np.array([[[0, 0, 0]], [[0, 1, 1]], [[2, 1, 2]], [[-1, -1, -1]]], np.int32)
    beams = seq2seq.gather_tree(step_ids, parent_ids, [3], 10)
    assert beams.op.type == "GatherTree" and beams.shape.as_list() == [4, 1, 3]
    want = np.array([[[2, 2, 2]], [[6, 5, 6]], [[7, 8, 9]], [[10, 10, 10]]], np.int32)
    np.testing.assert_array_equal(_run(beams), want)


def test_gather_tree_errors():
    ids = np.zeros((2, 1, 2), np.int32)
    with pytest.raises(TypeError, match="'T' has DataType float32"):
        seq2seq.gather_tree(ids.astype(np.float32), ids.astype(np.float32), [1], 0.0)
    with pytest.raises(ValueError, match="rank 3"):
        seq2seq.gather_tree(ids[0], ids[0], [1], 0)
    p = tf.placeholder(tf.int32)
    out = seq2seq.gather_tree(ids, p, [1], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="parent_ids.shape"):
        _run(out, {p: np.zeros((3, 1, 2), np.int32)})
    lengths = tf.placeholder(tf.int32, [None])
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_sequence_lengths"):
        _run(seq2seq.gather_tree(ids, ids, lengths, 0), {lengths: [1, 2]})


def test_namespace_exports_tf1_names():
    import minitf

    assert minitf.contrib.seq2seq is seq2seq
    for name in seq2seq.__all__:
        obj = getattr(seq2seq, name)
        assert obj.__doc__, name
