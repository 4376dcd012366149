"""``tf.contrib.crf`` (TF 1.15): a linear-chain conditional random field over per-step tag
scores, composed from minitf's ops as TF composed it (dynamic_rnn over small cells for the
forward algorithm and Viterbi decoding). A sequence of length 1 skips the recursion and a
length of 0 scores 0, as in TF 1.15 (its ``smart_cond`` on the time dimension: a static one
chooses the branch now, a dynamic one through tf.cond)."""

from __future__ import annotations

import numpy as np

import minitf as tf

from ..rnn import RNNCell

__all__ = ["CrfDecodeBackwardRnnCell", "CrfDecodeForwardRnnCell", "CrfForwardRnnCell",
           "crf_binary_score", "crf_decode", "crf_forward", "crf_log_likelihood", "crf_log_norm",
           "crf_multitag_sequence_score", "crf_sequence_score", "crf_unary_score",
           "viterbi_decode"]


def _smart_cond_single_step(inputs, single_fn, multi_fn):
    """TF's smart_cond(max_seq_len == 1): a static time dimension picks a branch at graph
    construction; an unknown one picks at run time."""
    steps = inputs.shape[1].value if inputs.shape.rank is not None else None
    if steps is not None:
        return single_fn() if steps == 1 else multi_fn()
    return tf.cond(tf.equal(tf.shape(inputs)[1], 1), single_fn, multi_fn)


def _num_tags(tensor, axis):
    return tensor.shape[axis].value if tensor.shape.rank is not None else None


def crf_sequence_score(inputs, tag_indices, sequence_lengths, transition_params):
    """TF's crf_sequence_score: the unnormalized score [batch] of each tag sequence."""
    inputs = tf.convert_to_tensor(inputs, name="inputs")
    tag_indices = tf.convert_to_tensor(tag_indices, name="tag_indices")
    sequence_lengths = tf.convert_to_tensor(sequence_lengths, name="sequence_lengths")
    transition_params = tf.convert_to_tensor(transition_params, name="transition_params")

    def _single_seq_fn():
        batch_size = tf.shape(inputs, out_type=tag_indices.dtype)[0]
        example_inds = tf.reshape(tf.range(batch_size, dtype=tag_indices.dtype), [-1, 1])
        scores = tf.gather_nd(tf.squeeze(inputs, [1]),
                              tf.concat([example_inds, tag_indices], axis=1))
        return tf.where(tf.less_equal(sequence_lengths, 0), tf.zeros_like(scores), scores)

    def _multi_seq_fn():
        unary = crf_unary_score(tag_indices, sequence_lengths, inputs)
        binary = crf_binary_score(tag_indices, sequence_lengths, transition_params)
        return unary + binary

    return _smart_cond_single_step(inputs, _single_seq_fn, _multi_seq_fn)


def crf_multitag_sequence_score(inputs, tag_bitmap, sequence_lengths, transition_params):
    """TF's crf_multitag_sequence_score: the log-sum of the scores of every tag sequence
    allowed by ``tag_bitmap`` [batch, max_seq_len, num_tags] (bool)."""
    inputs = tf.convert_to_tensor(inputs, name="inputs")
    tag_bitmap = tf.convert_to_tensor(tag_bitmap, dtype=tf.bool, name="tag_bitmap")
    filtered = tf.where(tag_bitmap, inputs, tf.fill(tf.shape(inputs), float("-inf")))
    return crf_log_norm(filtered, sequence_lengths, transition_params)


def crf_log_norm(inputs, sequence_lengths, transition_params):
    """TF's crf_log_norm: the log partition function [batch] (forward algorithm)."""
    inputs = tf.convert_to_tensor(inputs, name="inputs")
    sequence_lengths = tf.convert_to_tensor(sequence_lengths, name="sequence_lengths")
    transition_params = tf.convert_to_tensor(transition_params, name="transition_params")
    first_input = tf.squeeze(tf.slice(inputs, [0, 0, 0], [-1, 1, -1]), [1])

    def _masked(log_norm):
        # A sequence of length <= 0 has no tags: its log-norm is 0, as in TF 1.15.
        return tf.where(tf.less_equal(sequence_lengths, 0), tf.zeros_like(log_norm), log_norm)

    def _single_seq_fn():
        return _masked(tf.reduce_logsumexp(first_input, [1]))

    def _multi_seq_fn():
        rest_of_input = tf.slice(inputs, [0, 1, 0], [-1, -1, -1])
        alphas = crf_forward(rest_of_input, first_input, transition_params, sequence_lengths)
        return _masked(tf.reduce_logsumexp(alphas, [1]))

    return _smart_cond_single_step(inputs, _single_seq_fn, _multi_seq_fn)


def crf_forward(inputs, state, transition_params, sequence_lengths):
    """The forward algorithm's alphas [batch, num_tags] after each row's ``sequence_lengths``
    steps, ``state`` being the first step's unary scores and ``inputs`` the rest's
    (tensorflow_addons' crf_forward; TF 1.15's crf_log_norm runs the same dynamic_rnn)."""
    inputs = tf.convert_to_tensor(inputs, name="inputs")
    sequence_lengths = tf.convert_to_tensor(sequence_lengths, name="sequence_lengths")
    # A row's recursion has length - 1 steps; a length below one has none.
    less_one = tf.maximum(tf.constant(0, dtype=sequence_lengths.dtype), sequence_lengths - 1)
    _, alphas = tf.nn.dynamic_rnn(cell=CrfForwardRnnCell(transition_params), inputs=inputs,
                                  sequence_length=less_one, initial_state=state,
                                  dtype=inputs.dtype)
    return alphas


def crf_log_likelihood(inputs, tag_indices, sequence_lengths, transition_params=None):
    """TF's crf_log_likelihood: (log-likelihood [batch], transition_params); without
    ``transition_params`` a [num_tags, num_tags] variable ``transitions`` is created in the
    current variable scope (its default initializer, glorot_uniform)."""
    inputs = tf.convert_to_tensor(inputs, name="inputs")
    num_tags = _num_tags(inputs, 2)
    if transition_params is None:
        if num_tags is None:
            raise ValueError("crf_log_likelihood: the number of tags (inputs' last dimension) "
                             f"must be known to create `transitions`, got {inputs.shape}")
        transition_params = tf.get_variable("transitions", [num_tags, num_tags])
    sequence_scores = crf_sequence_score(inputs, tag_indices, sequence_lengths,
                                         transition_params)
    log_norm = crf_log_norm(inputs, sequence_lengths, transition_params)
    return sequence_scores - log_norm, transition_params


def crf_unary_score(tag_indices, sequence_lengths, inputs):
    """TF's crf_unary_score: the sum [batch] of each sequence's chosen unary scores."""
    inputs = tf.convert_to_tensor(inputs, name="inputs")
    tag_indices = tf.convert_to_tensor(tag_indices, name="tag_indices")
    shape = tf.shape(inputs)
    batch_size, max_seq_len, num_tags = shape[0], shape[1], shape[2]
    flattened_inputs = tf.reshape(inputs, [-1])
    offsets = tf.expand_dims(tf.range(batch_size) * max_seq_len * num_tags, 1)
    offsets += tf.expand_dims(tf.range(max_seq_len) * num_tags, 0)
    if tag_indices.dtype == tf.int64:
        offsets = tf.cast(offsets, tf.int64)
    flattened_tag_indices = tf.reshape(offsets + tag_indices, [-1])
    unary_scores = tf.reshape(tf.gather(flattened_inputs, flattened_tag_indices),
                              [batch_size, max_seq_len])
    masks = tf.sequence_mask(sequence_lengths, maxlen=tf.shape(tag_indices)[1],
                             dtype=inputs.dtype)
    return tf.reduce_sum(unary_scores * masks, 1)


def crf_binary_score(tag_indices, sequence_lengths, transition_params):
    """TF's crf_binary_score: the sum [batch] of each sequence's transition scores."""
    tag_indices = tf.convert_to_tensor(tag_indices, name="tag_indices")
    transition_params = tf.convert_to_tensor(transition_params, name="transition_params")
    num_tags = _num_tags(transition_params, 0)
    if num_tags is None:
        num_tags = tf.cast(tf.shape(transition_params)[0], tag_indices.dtype)
    num_transitions = tf.shape(tag_indices)[1] - 1
    start_tag_indices = tf.slice(tag_indices, [0, 0], [-1, num_transitions])
    end_tag_indices = tf.slice(tag_indices, [0, 1], [-1, num_transitions])
    flattened_transition_indices = start_tag_indices * num_tags + end_tag_indices
    binary_scores = tf.gather(tf.reshape(transition_params, [-1]),
                              flattened_transition_indices)
    masks = tf.sequence_mask(sequence_lengths, maxlen=tf.shape(tag_indices)[1],
                             dtype=transition_params.dtype)
    truncated_masks = tf.slice(masks, [0, 1], [-1, -1])
    return tf.reduce_sum(binary_scores * truncated_masks, 1)


class _CrfCell(RNNCell):
    """TF's CRF cells override __call__: they own no variables and open no scope."""

    def __init__(self, num_tags):
        super().__init__()
        self._num_tags = num_tags

    @property
    def state_size(self):
        return self._num_tags

    @property
    def output_size(self):
        return self._num_tags


class CrfForwardRnnCell(_CrfCell):
    """TF's CrfForwardRnnCell: one step of the forward algorithm (state and output: alphas)."""

    def __init__(self, transition_params):
        transition_params = tf.convert_to_tensor(transition_params, name="transition_params")
        super().__init__(_num_tags(transition_params, 0))
        self._transition_params = tf.expand_dims(transition_params, 0)

    def __call__(self, inputs, state, scope=None):
        state = tf.expand_dims(state, 2)
        transition_scores = state + self._transition_params  # [B, O, O]
        new_alphas = inputs + tf.reduce_logsumexp(transition_scores, [1])
        return new_alphas, new_alphas


class CrfDecodeForwardRnnCell(_CrfCell):
    """TF's CrfDecodeForwardRnnCell: one Viterbi step: (backpointers int32, new scores)."""

    def __init__(self, transition_params):
        transition_params = tf.convert_to_tensor(transition_params, name="transition_params")
        super().__init__(_num_tags(transition_params, 0))
        self._transition_params = tf.expand_dims(transition_params, 0)

    def __call__(self, inputs, state, scope=None):
        state = tf.expand_dims(state, 2)  # [B, O, 1]
        transition_scores = state + self._transition_params  # [B, O, O]
        new_state = inputs + tf.reduce_max(transition_scores, [1])
        backpointers = tf.cast(tf.argmax(transition_scores, 1), dtype=tf.int32)
        return backpointers, new_state


class CrfDecodeBackwardRnnCell(_CrfCell):
    """TF's CrfDecodeBackwardRnnCell: follows one backpointer per step (state [B, 1])."""

    @property
    def state_size(self):
        return 1

    @property
    def output_size(self):
        return 1

    def __call__(self, inputs, state, scope=None):
        state = tf.squeeze(state, axis=[1])  # [B]
        b_indices = tf.range(tf.shape(inputs)[0])
        indices = tf.stack([b_indices, state], axis=1)  # [B, 2]
        new_tags = tf.expand_dims(tf.gather_nd(inputs, indices), axis=-1)  # [B, 1]
        return new_tags, new_tags


def viterbi_decode(score, transition_params):
    """TF's viterbi_decode, in numpy: (best tag list, its score) of one [seq_len, num_tags]
    score matrix."""
    score = np.asarray(score)
    transition_params = np.asarray(transition_params)
    trellis = np.zeros_like(score)
    backpointers = np.zeros_like(score, dtype=np.int32)
    trellis[0] = score[0]
    for t in range(1, score.shape[0]):
        v = np.expand_dims(trellis[t - 1], 1) + transition_params
        trellis[t] = score[t] + np.max(v, 0)
        backpointers[t] = np.argmax(v, 0)
    viterbi = [np.argmax(trellis[-1])]
    for bp in reversed(backpointers[1:]):
        viterbi.append(bp[viterbi[-1]])
    viterbi.reverse()
    return viterbi, np.max(trellis[-1])


def crf_decode(potentials, transition_params, sequence_length):
    """TF's crf_decode: (decode_tags [batch, max_seq_len] int32, best_score [batch]), the
    highest-scoring tag sequences found in the graph."""
    potentials = tf.convert_to_tensor(potentials, name="potentials")
    transition_params = tf.convert_to_tensor(transition_params, name="transition_params")
    sequence_length = tf.convert_to_tensor(sequence_length, name="sequence_length")

    def _single_seq_fn():
        squeezed = tf.squeeze(potentials, [1])
        decode_tags = tf.expand_dims(tf.argmax(squeezed, axis=1), 1)
        return tf.cast(decode_tags, dtype=tf.int32), tf.reduce_max(squeezed, axis=1)

    def _multi_seq_fn():
        num_tags = _num_tags(potentials, 2)
        initial_state = tf.squeeze(tf.slice(potentials, [0, 0, 0], [-1, 1, -1]), axis=[1])
        inputs = tf.slice(potentials, [0, 1, 0], [-1, -1, -1])  # [B, T-1, O]
        less_one = tf.maximum(tf.constant(0, dtype=sequence_length.dtype),
                              sequence_length - 1)
        backpointers, last_score = tf.nn.dynamic_rnn(
            CrfDecodeForwardRnnCell(transition_params), inputs=inputs,
            sequence_length=less_one, initial_state=initial_state, time_major=False,
            dtype=tf.int32)
        backpointers = tf.reverse_sequence(backpointers, less_one, seq_axis=1, batch_axis=0)
        initial_state = tf.cast(tf.argmax(last_score, axis=1), dtype=tf.int32)
        initial_state = tf.expand_dims(initial_state, axis=-1)  # [B, 1]
        decode_tags, _ = tf.nn.dynamic_rnn(
            CrfDecodeBackwardRnnCell(num_tags), inputs=backpointers,
            sequence_length=less_one, initial_state=initial_state, time_major=False,
            dtype=tf.int32)
        decode_tags = tf.squeeze(decode_tags, axis=[2])  # [B, T-1]
        decode_tags = tf.concat([initial_state, decode_tags], axis=1)  # [B, T]
        decode_tags = tf.reverse_sequence(decode_tags, sequence_length, seq_axis=1,
                                          batch_axis=0)
        return decode_tags, tf.reduce_max(last_score, axis=1)

    return _smart_cond_single_step(potentials, _single_seq_fn, _multi_seq_fn)
