"""tf.contrib.text.skip_gram_sample and skip_gram_sample_with_text_vocab: pairs enumerated by
hand for fixed windows (min_skips == max_skips), emit_self_as_target, start/limit, random
windows (each token's pairs are one of its possible windows), vocabulary filtering and
subsampling, batching, and the errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import text

WORDS = [b"the", b"quick", b"brown", b"fox", b"jumps"]


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(4)
        yield


def _pairs(tokens, labels):
    return list(zip(tokens.tolist(), labels.tolist()))


def _run(fetches, feed=None, tables=False):
    with tf.Session() as sess:
        if tables:
            sess.run(tf.tables_initializer())
        return sess.run(fetches, feed)


def test_namespace_and_op():
    assert tf.contrib.text is text
    tokens, labels = text.skip_gram_sample(tf.constant(WORDS))
    assert tokens.op.type == "SkipGramGenerateCandidates" and tokens.op is labels.op
    assert tokens.dtype == tf.string and tokens.shape.as_list() == [None]
    assert tokens.op.name == "skip_gram_sample/SkipGramGenerateCandidates"


def test_window_one_by_hand():
    tokens, labels = text.skip_gram_sample(tf.constant(WORDS), min_skips=1, max_skips=1)
    assert _pairs(*_run([tokens, labels])) == [
        (b"the", b"quick"),
        (b"quick", b"the"), (b"quick", b"brown"),
        (b"brown", b"quick"), (b"brown", b"fox"),
        (b"fox", b"brown"), (b"fox", b"jumps"),
        (b"jumps", b"fox")]


def test_window_two_with_self_as_target_by_hand():
    tokens, labels = text.skip_gram_sample(tf.constant(WORDS), min_skips=2, max_skips=2,
                                           emit_self_as_target=True)
    assert _pairs(*_run([tokens, labels])) == [
        (b"the", b"the"), (b"the", b"quick"), (b"the", b"brown"),
        (b"quick", b"the"), (b"quick", b"quick"), (b"quick", b"brown"), (b"quick", b"fox"),
        (b"brown", b"the"), (b"brown", b"quick"), (b"brown", b"brown"), (b"brown", b"fox"),
        (b"brown", b"jumps"),
        (b"fox", b"quick"), (b"fox", b"brown"), (b"fox", b"fox"), (b"fox", b"jumps"),
        (b"jumps", b"brown"), (b"jumps", b"fox"), (b"jumps", b"jumps")]


def test_start_and_limit_by_hand():
    ids = tf.constant([10, 11, 12, 13, 14, 15], tf.int64)
    # Tokens 1..3 only; labels stay in that range too.
    t, lab = text.skip_gram_sample(ids, min_skips=1, max_skips=1, start=1, limit=3)
    assert _pairs(*_run([t, lab])) == [(11, 12), (12, 11), (12, 13), (13, 12)]
    # limit past the end and -1: to the end.
    for limit in (100, -1):
        t, lab = text.skip_gram_sample(ids, min_skips=1, max_skips=1, start=4, limit=limit)
        assert _pairs(*_run([t, lab])) == [(14, 15), (15, 14)]
    t, lab = text.skip_gram_sample(ids, min_skips=1, max_skips=1, start=7)
    got = _run([t, lab])
    assert got[0].shape == (0,) and got[0].dtype == np.int64


def test_zero_window():
    ids = tf.constant([3, 1, 4], tf.int32)
    t, lab = text.skip_gram_sample(ids, min_skips=0, max_skips=0, emit_self_as_target=True)
    assert _pairs(*_run([t, lab])) == [(3, 3), (1, 1), (4, 4)]
    t, lab = text.skip_gram_sample(ids, min_skips=0, max_skips=0)
    assert _run(t).shape == (0,)


def test_random_windows_are_each_one_of_the_allowed_sizes():
    n = 40
    ids = np.arange(n, dtype=np.int64)
    t, lab = text.skip_gram_sample(tf.constant(ids), min_skips=1, max_skips=3, seed=7)
    sizes_seen = set()
    with tf.Session() as sess:
        for _ in range(3):
            tokens, labels = sess.run([t, lab])
            for i in range(n):
                got = sorted(labels[tokens == i].tolist())
                windows = {k: [j for j in range(max(0, i - k), min(n, i + k + 1)) if j != i]
                           for k in (1, 2, 3)}
                size = [k for k, w in windows.items() if w == got]
                assert size, (i, got)
                if 3 <= i < n - 3:
                    sizes_seen.add(size[0])
            # Tokens come out in order, each token's labels from left to right.
            assert np.all(np.diff(tokens) >= 0)
    assert sizes_seen == {1, 2, 3}


def test_window_size_tensors():
    lo, hi = tf.placeholder(tf.int32, []), tf.placeholder(tf.int32, [])
    t, lab = text.skip_gram_sample(tf.constant([1, 2, 3]), min_skips=lo, max_skips=hi)
    assert _pairs(*_run([t, lab], {lo: 2, hi: 2})) == [(1, 2), (1, 3), (2, 1), (2, 3),
                                                        (3, 1), (3, 2)]
    with pytest.raises(tf.errors.InvalidArgumentError, match="min_skips must be <= max_skips"):
        _run(t, {lo: 3, hi: 2})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Both min_skips and max_skips must be >= 0"):
        _run(t, {lo: -1, hi: 2})


def test_construction_errors():
    with pytest.raises(ValueError, match="Shape must be rank 1"):
        text.skip_gram_sample(tf.constant([[1, 2]]))
    with pytest.raises(ValueError, match="Shape must be rank 0"):
        text.skip_gram_sample(tf.constant([1, 2]), min_skips=[1])
    with pytest.raises(TypeError, match="no kernel for float32"):
        text.skip_gram_sample(tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="vocab_freq_table is not provided"):
        text.skip_gram_sample(tf.constant([1, 2]), vocab_min_count=2)
    table = _table([b"a"], [1])
    with pytest.raises(ValueError, match="vocab_subsampling is 0.1 while corpus_size is None"):
        text.skip_gram_sample(tf.constant([b"a"]), vocab_freq_table=table,
                              vocab_subsampling=0.1)
    with pytest.raises(ValueError, match="Invalid vocab_subsampling=2"):
        text.skip_gram_sample(tf.constant([b"a"]), vocab_freq_table=table,
                              vocab_subsampling=2, corpus_size=10)
    with pytest.raises(ValueError, match="must be a subclass of InitializableLookupTableBase"):
        text.skip_gram_sample(tf.constant([b"a"]), vocab_freq_table={b"a": 1})


def _table(keys, counts, dtype=tf.int64):
    return tf.contrib.lookup.HashTable(
        tf.contrib.lookup.KeyValueTensorInitializer(keys, np.array(counts), tf.string, dtype),
        default_value=-1)


def test_vocab_table_drops_unknown_and_rare_tokens():
    table = _table([b"the", b"quick", b"fox", b"jumps"], [100, 5, 30, 1])
    t, lab = text.skip_gram_sample(tf.constant(WORDS), min_skips=1, max_skips=1,
                                   vocab_freq_table=table, vocab_min_count=5)
    # "brown" (unknown) and "jumps" (count 1 < 5) go before pairing: the, quick, fox remain.
    assert _pairs(*_run([t, lab], tables=True)) == [
        (b"the", b"quick"), (b"quick", b"the"), (b"quick", b"fox"), (b"fox", b"quick")]


def test_subsampling_keeps_rare_tokens_and_thins_frequent_ones():
    n = 4000
    words = np.where(np.arange(n) % 2 == 0, b"common", b"rare").astype(object)
    # keep probability (sqrt(f / (s N)) + 1) s N / f: 1 or more for "rare" (f = s N), about
    # 0.11 for "common" (f = 100 s N).
    corpus, s = 1e6, 1e-4
    table = _table([b"common", b"rare"], [100 * s * corpus, s * corpus], tf.float64)
    kept = text.skip_gram_sample(tf.constant(words), min_skips=0, max_skips=0,
                                 emit_self_as_target=True, vocab_freq_table=table,
                                 vocab_subsampling=s, corpus_size=corpus, seed=3)[0]
    got = _run(kept, tables=True)
    assert np.sum(got == b"rare") == n // 2
    assert abs(np.sum(got == b"common") / (n // 2) - 0.11) < 0.03


def test_batch_size_batches_the_pairs_in_order():
    ids = tf.constant(np.arange(6, dtype=np.int64))
    t, lab = text.skip_gram_sample(ids, min_skips=1, max_skips=1, batch_size=4)
    assert t.shape.as_list() == [4] and lab.shape.as_list() == [4]
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        first = sess.run([t, lab])
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=5)
    assert _pairs(*first) == [(0, 1), (1, 0), (1, 2), (2, 1)]


def test_with_text_vocab(tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text("the,en,100\nquick,en,5\nfox,en,30\njumps,en,1\n")
    t, lab = text.skip_gram_sample_with_text_vocab(
        tf.constant(WORDS), str(vocab), vocab_token_index=0, vocab_freq_index=2,
        vocab_min_count=5, min_skips=1, max_skips=1)
    assert _pairs(*_run([t, lab], tables=True)) == [
        (b"the", b"quick"), (b"quick", b"the"), (b"quick", b"fox"), (b"fox", b"quick")]


def test_with_text_vocab_errors(tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text("the,100\nquick,5\n")
    words = tf.constant(WORDS)
    with pytest.raises(ValueError, match="should be different, but are both 1"):
        text.skip_gram_sample_with_text_vocab(words, str(vocab), 1, vocab_freq_index=1)
    with pytest.raises(ValueError, match="must both be >= 0"):
        text.skip_gram_sample_with_text_vocab(words, str(vocab), -1)
    with pytest.raises(ValueError, match="only has 2 columns"):
        text.skip_gram_sample_with_text_vocab(words, str(vocab), vocab_freq_index=2)
    with pytest.raises(ValueError, match=r"`corpus_size`=50 must be greater than or equal to "
                                         r"the sum of all the frequency counts \(105.0\)"):
        text.skip_gram_sample_with_text_vocab(words, str(vocab), vocab_subsampling=0.1,
                                              corpus_size=50)
    bad = tmp_path / "bad.csv"
    bad.write_text("the,-3\n")
    with pytest.raises(ValueError, match="negative frequency of -3"):
        text.skip_gram_sample_with_text_vocab(words, str(bad))
