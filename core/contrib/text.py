"""``tf.contrib.text`` (TF 1.15): skip-gram sampling (Mikolov et al., arXiv:1301.3781), the
(token, label) pairs word2vec trains on, from a rank-1 tensor of tokens.

The pairs come from the SkipGramGenerateCandidates op (core/ops/skip_gram_ops.py): each token
draws a window size in [min_skips, max_skips] and is paired with every token of its window.
Before that, as in TF, a vocabulary frequency table may drop unknown or rare tokens and
randomly drop frequent ones (word2vec's subsampling); ``batch_size`` batches the pairs through
``tf.train.batch`` (a queue: start its runners).
"""

from __future__ import annotations

import csv

import minitf as tf

from ..lookup import StaticHashTable
from ..ops.random_ops import _seed_attrs
from ..ops.skip_gram_ops import skip_gram_generate_candidates

__all__ = ["skip_gram_sample", "skip_gram_sample_with_text_vocab"]


def skip_gram_sample(input_tensor, min_skips=1, max_skips=5, start=0, limit=-1,
                     emit_self_as_target=False, vocab_freq_table=None, vocab_min_count=None,
                     vocab_subsampling=None, corpus_size=None, batch_size=None,
                     batch_capacity=None, seed=None, name=None):
    """TF's ``skip_gram_sample``: ``(tokens, labels)``, rank-1 tensors of ``input_tensor``'s
    dtype. For every token of ``input_tensor[start:start + limit]`` (to the end when ``limit``
    is -1) a window size ``skips`` is drawn from [min_skips, max_skips], and the token is
    paired with each token within ``skips`` positions of it in that range (with itself too
    when ``emit_self_as_target``). ``vocab_freq_table`` (a HashTable from token to count)
    first drops tokens it lacks and those counted below ``vocab_min_count``;
    ``vocab_subsampling`` with ``corpus_size`` then randomly drops frequent ones."""
    if vocab_freq_table is None and (vocab_min_count is not None or
                                     vocab_subsampling is not None or
                                     corpus_size is not None):
        raise ValueError(
            f"vocab_freq_table is not provided, but vocab_min_count={vocab_min_count}, "
            f"vocab_subsampling={vocab_subsampling}, or corpus_size={corpus_size} is not "
            "None. These settings are useless without a vocab_freq_table.")
    if (vocab_subsampling is None) != (corpus_size is None):
        raise ValueError(f"vocab_subsampling is {vocab_subsampling} while corpus_size is "
                         f"{corpus_size} - both must be provided in order for subsampling "
                         "to work.")
    with tf.name_scope(name, "skip_gram_sample",
                       values=[input_tensor, min_skips, max_skips, start, limit]):
        input_tensor = _filter_input(input_tensor, vocab_freq_table, vocab_min_count,
                                     vocab_subsampling, corpus_size, seed)
        tokens, labels = skip_gram_generate_candidates(
            input_tensor, min_skips, max_skips, start, limit, emit_self_as_target,
            **_seed_attrs(seed))
        if batch_size is not None and batch_size > 0:
            batch_capacity = (batch_capacity if batch_capacity is not None and
                              batch_capacity > 0 else 100 * batch_size)
            return tf.train.batch([tokens, labels], batch_size, capacity=batch_capacity,
                                  enqueue_many=True)
        return tokens, labels


def skip_gram_sample_with_text_vocab(input_tensor, vocab_freq_file, vocab_token_index=0,
                                     vocab_token_dtype=tf.string, vocab_freq_index=1,
                                     vocab_freq_dtype=tf.float64, vocab_delimiter=",",
                                     vocab_min_count=0, vocab_subsampling=None,
                                     corpus_size=None, min_skips=1, max_skips=5, start=0,
                                     limit=-1, emit_self_as_target=False, batch_size=None,
                                     batch_capacity=None, seed=None, name=None):
    """TF's ``skip_gram_sample_with_text_vocab``: ``skip_gram_sample`` with the frequency
    table read from a delimited text file (token in column ``vocab_token_index``, count in
    ``vocab_freq_index``). ``corpus_size`` defaults to the file's total count; a given one
    may not be smaller."""
    if vocab_token_index < 0 or vocab_freq_index < 0:
        raise ValueError(f"vocab_token_index={vocab_token_index} and "
                         f"vocab_freq_index={vocab_freq_index} must both be >= 0.")
    if vocab_token_index == vocab_freq_index:
        raise ValueError("vocab_token_index and vocab_freq_index should be different, but are "
                         f"both {vocab_token_index}.")
    vocab_freq_dtype = tf.as_dtype(vocab_freq_dtype)
    # The file's size and total count, read now as TF reads it (tokens below vocab_min_count
    # still count towards the corpus size).
    calculated_corpus_size = 0.0
    vocab_size = 0
    with tf.gfile.GFile(vocab_freq_file, mode="r") as f:
        for row in csv.reader(f, delimiter=vocab_delimiter):
            if vocab_token_index >= len(row) or vocab_freq_index >= len(row):
                raise ValueError(
                    f"Row in vocab file only has {len(row)} columns, so vocab_token_index="
                    f"{vocab_token_index} or vocab_freq_index={vocab_freq_index} is out of "
                    f"bounds. Row content: {row}")
            vocab_size += 1
            freq = vocab_freq_dtype.as_numpy_dtype(row[vocab_freq_index])
            if freq < 0:
                raise ValueError(f"Row in vocab file has negative frequency of {freq}. Row "
                                 f"content: {row}")
            calculated_corpus_size += freq
    if not corpus_size:
        corpus_size = calculated_corpus_size
    elif calculated_corpus_size - corpus_size > 1e-6:
        raise ValueError(
            f"`corpus_size`={corpus_size} must be greater than or equal to the sum of all the "
            f"frequency counts ({calculated_corpus_size}) of `vocab_freq_file` "
            f"({vocab_freq_file}).")
    vocab_freq_table = tf.contrib.lookup.HashTable(
        tf.contrib.lookup.TextFileInitializer(
            filename=vocab_freq_file, key_dtype=vocab_token_dtype,
            key_index=vocab_token_index, value_dtype=vocab_freq_dtype,
            value_index=vocab_freq_index, vocab_size=vocab_size, delimiter=vocab_delimiter),
        default_value=-1)  # tokens not in the file
    return skip_gram_sample(
        input_tensor, min_skips=min_skips, max_skips=max_skips, start=start, limit=limit,
        emit_self_as_target=emit_self_as_target, vocab_freq_table=vocab_freq_table,
        vocab_min_count=vocab_min_count, vocab_subsampling=vocab_subsampling,
        corpus_size=None if vocab_subsampling is None else corpus_size,
        batch_size=batch_size, batch_capacity=batch_capacity, seed=seed, name=name)


def _filter_input(input_tensor, vocab_freq_table, vocab_min_count, vocab_subsampling,
                  corpus_size, seed):
    """TF's filter: tokens the table lacks (its default value) or counts below
    ``vocab_min_count`` dropped; then each kept token of frequency f kept with probability
    ``(sqrt(f / (s * N)) + 1) * s * N / f`` (s: vocab_subsampling, N: corpus_size)."""
    if vocab_freq_table is None:
        return input_tensor
    if not isinstance(vocab_freq_table, StaticHashTable):
        raise ValueError("vocab_freq_table must be a subclass of InitializableLookupTableBase "
                         f"(such as HashTable) instead of type {type(vocab_freq_table)}.")
    with tf.name_scope("filter_vocab", values=[input_tensor, vocab_min_count]):
        freq = vocab_freq_table.lookup(input_tensor)
        mask = tf.not_equal(freq, vocab_freq_table.default_value)
        if vocab_min_count is not None:
            threshold = tf.cast(vocab_min_count, freq.dtype)
            mask = tf.logical_and(mask, tf.greater_equal(freq, threshold))
        input_tensor = tf.boolean_mask(input_tensor, mask)
        freq = tf.boolean_mask(freq, mask)
    if not vocab_subsampling:
        return input_tensor
    if vocab_subsampling < 0 or vocab_subsampling > 1:
        raise ValueError(f"Invalid vocab_subsampling={vocab_subsampling} - it should be within "
                         "range [0, 1].")
    with tf.name_scope("subsample_vocab", values=[input_tensor, freq, vocab_subsampling]):
        corpus_size = tf.cast(corpus_size, tf.float64)
        freq = tf.cast(freq, tf.float64)
        vocab_subsampling = tf.cast(vocab_subsampling, tf.float64)
        keep_prob = ((tf.sqrt(freq / (vocab_subsampling * corpus_size)) + 1.0) *
                     (vocab_subsampling * corpus_size / freq))
        random_prob = tf.random_uniform(tf.shape(freq), minval=0, maxval=1, dtype=tf.float64,
                                        seed=seed)
        return tf.boolean_mask(input_tensor, tf.less_equal(random_prob, keep_prob))
