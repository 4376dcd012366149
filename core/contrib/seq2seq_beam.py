"""TF 1.15's ``tf.contrib.seq2seq.BeamSearchDecoder`` and ``tile_batch``
(contrib/seq2seq/python/ops/beam_search_decoder.py).

Each step merges the [batch, beam] axes for the cell, scores every (beam, word) continuation
by its total log-probability (divided by the length penalty ``((5 + len) / 6) **
length_penalty_weight``, plus the coverage penalty with attention), keeps the top
``beam_width`` per batch entry, and gathers the cell state of each kept beam's parent. finalize
traces the parent pointers back with the GatherTree op (core/ops/gather_tree_ops.py).
"""

from __future__ import annotations

import collections

import numpy as np

import minitf as tf

from ..ops.gather_tree_ops import gather_tree
from .seq2seq_attention_wrapper import AttentionWrapperState
from .seq2seq_decoder import (Decoder, _assert_like_rnncell, _map_sizes, _rnn_output_size,
                              _static_value)

__all__ = ["BeamSearchDecoder", "BeamSearchDecoderOutput", "BeamSearchDecoderState",
           "FinalBeamSearchDecoderOutput", "tile_batch"]

_nest = tf.nest


class BeamSearchDecoderState(collections.namedtuple(
        "BeamSearchDecoderState", ("cell_state", "log_probs", "finished", "lengths",
                                   "accumulated_attention_probs"))):
    """TF1's ``tf.contrib.seq2seq.BeamSearchDecoderState``."""


class BeamSearchDecoderOutput(collections.namedtuple(
        "BeamSearchDecoderOutput", ("scores", "predicted_ids", "parent_ids"))):
    """TF1's ``tf.contrib.seq2seq.BeamSearchDecoderOutput``: each step's beam scores, word
    ids and parent beams."""


class FinalBeamSearchDecoderOutput(collections.namedtuple(
        "FinalBeamDecoderOutput", ["predicted_ids", "beam_search_decoder_output"])):
    """TF1's ``tf.contrib.seq2seq.FinalBeamSearchDecoderOutput``: the traced-back ids [batch,
    time, beam] and the raw per-step BeamSearchDecoderOutput."""


def _tile_batch(t, multiplier):
    t = tf.convert_to_tensor(t, name="t")
    shape_t = tf.shape(t)
    if t.shape.rank is None or t.shape.rank < 1:
        raise ValueError("t must have statically known rank")
    tiling = [1] * (t.shape.rank + 1)
    tiling[1] = multiplier
    batch = t.shape[0].value
    tiled = tf.tile(tf.expand_dims(t, 1), tiling)
    tiled = tf.reshape(tiled, tf.concat(([shape_t[0] * multiplier], shape_t[1:]), 0))
    tiled.set_shape(tf.TensorShape([batch * multiplier if batch is not None else None])
                    .concatenate(t.shape[1:]))
    return tiled


def tile_batch(t, multiplier, name=None):
    """TF1's ``tf.contrib.seq2seq.tile_batch``: every batch entry repeated ``multiplier``
    times in place ([a, b] -> [a, a, b, b]), for each tensor of the structure ``t``."""
    flat_t = _nest.flatten(t)
    with tf.name_scope(name, "tile_batch", flat_t + [multiplier]):
        return _nest.map_structure(lambda t_: _tile_batch(t_, multiplier), t)


def gather_tree_from_array(t, parent_ids, sequence_length):
    """``t`` [time, batch, beam, ...] reordered along the beams' back-traced paths."""
    with tf.name_scope("gather_tree"):
        max_time, batch_size, beam_width = (_dim_or_shape(parent_ids, i) for i in range(3))
        beam_ids = tf.expand_dims(tf.expand_dims(tf.range(beam_width), 0), 0)
        beam_ids = tf.tile(beam_ids, [max_time, batch_size, 1])
        max_sequence_lengths = tf.cast(tf.reduce_max(sequence_length, axis=1), tf.int32)
        sorted_beam_ids = gather_tree(beam_ids, parent_ids, max_sequence_lengths,
                                      beam_width + 1)
        # Out-of-range steps keep their own beam.
        in_bound_steps = tf.transpose(tf.sequence_mask(sequence_length, maxlen=max_time),
                                      perm=[2, 0, 1])
        sorted_beam_ids = tf.where(in_bound_steps, sorted_beam_ids, beam_ids)
        time_ind = tf.tile(tf.reshape(tf.range(max_time), [-1, 1, 1]),
                           [1, batch_size, beam_width])
        batch_ind = tf.tile(tf.reshape(tf.range(batch_size), [-1, 1, 1]),
                            [1, max_time, beam_width])
        batch_ind = tf.transpose(batch_ind, perm=[1, 0, 2])
        indices = tf.stack([time_ind, batch_ind, sorted_beam_ids], -1)
        final_shape = tf.shape(t)
        gather_from = tf.reshape(t, [max_time, batch_size, beam_width, -1])
        ordered = tf.gather_nd(gather_from, indices)
        ordered = tf.reshape(ordered, final_shape)
        ordered.set_shape(t.shape)
        return ordered


def _dim_or_shape(t, axis):
    value = t.shape[axis].value
    return value if value is not None else tf.shape(t)[axis]


def _check_maybe(t):
    if t.shape.rank is None:
        raise ValueError(f"Expected tensor ({t}) to have known rank, but ndims == None.")


class BeamSearchDecoder(Decoder):
    """TF1's ``tf.contrib.seq2seq.BeamSearchDecoder``: ``beam_width`` hypotheses per batch
    entry, decoded from ``start_tokens`` until ``end_token``. ``initial_state`` (and any
    attention memory) must be tiled to batch * beam_width with tile_batch."""

    def __init__(self, cell, embedding, start_tokens, end_token, initial_state, beam_width,
                 output_layer=None, length_penalty_weight=0.0, coverage_penalty_weight=0.0,
                 reorder_tensor_arrays=True):
        _assert_like_rnncell("cell", cell)
        if output_layer is not None and not isinstance(output_layer, tf.layers.Layer):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        self._cell = cell
        self._output_layer = output_layer
        self._reorder_tensor_arrays = reorder_tensor_arrays
        self._embedding_fn = embedding if callable(embedding) else \
            (lambda ids: tf.nn.embedding_lookup(embedding, ids))
        self._start_tokens = tf.convert_to_tensor(start_tokens, dtype=tf.int32,
                                                  name="start_tokens")
        if self._start_tokens.shape.rank != 1:
            raise ValueError("start_tokens must be a vector")
        self._end_token = tf.convert_to_tensor(end_token, dtype=tf.int32, name="end_token")
        if self._end_token.shape.rank != 0:
            raise ValueError("end_token must be a scalar")
        self._batch_size = tf.size(start_tokens)
        self._beam_width = beam_width
        self._length_penalty_weight = length_penalty_weight
        self._coverage_penalty_weight = coverage_penalty_weight
        self._initial_cell_state = _nest.map_structure(self._maybe_split_batch_beams,
                                                       initial_state)
        self._start_tokens = tf.tile(tf.expand_dims(self._start_tokens, 1),
                                     [1, self._beam_width])
        self._start_inputs = self._embedding_fn(self._start_tokens)
        self._finished = tf.one_hot(tf.zeros([self._batch_size], dtype=tf.int32),
                                    depth=self._beam_width, on_value=False, off_value=True,
                                    dtype=tf.bool)

    @property
    def batch_size(self):
        return self._batch_size

    def _rnn_output_size(self):
        return _rnn_output_size(self._cell, self._output_layer)

    @property
    def tracks_own_finished(self):
        """The beams track their own finished flags (a finished beam may be replaced)."""
        return True

    @property
    def output_size(self):
        shape = tf.TensorShape([self._beam_width])
        return BeamSearchDecoderOutput(scores=shape, predicted_ids=shape, parent_ids=shape)

    @property
    def output_dtype(self):
        dtype = _nest.flatten(self._initial_cell_state)[0].dtype
        return BeamSearchDecoderOutput(
            scores=_map_sizes(lambda _: dtype, self._rnn_output_size()),
            predicted_ids=tf.int32, parent_ids=tf.int32)

    def initialize(self, name=None):
        """(finished, start_inputs, initial BeamSearchDecoderState): only beam 0 is live."""
        finished, start_inputs = self._finished, self._start_inputs
        dtype = _nest.flatten(self._initial_cell_state)[0].dtype
        log_probs = tf.one_hot(tf.zeros([self._batch_size], dtype=tf.int32),
                               depth=self._beam_width,
                               on_value=tf.convert_to_tensor(0.0, dtype=dtype),
                               off_value=tf.convert_to_tensor(-np.inf, dtype=dtype),
                               dtype=dtype)
        init_attention_probs = _get_attention_probs(self._initial_cell_state,
                                                    self._coverage_penalty_weight)
        if init_attention_probs is None:
            init_attention_probs = ()
        initial_state = BeamSearchDecoderState(
            cell_state=self._initial_cell_state, log_probs=log_probs, finished=finished,
            lengths=tf.zeros([self._batch_size, self._beam_width], dtype=tf.int64),
            accumulated_attention_probs=init_attention_probs)
        return finished, start_inputs, initial_state

    def finalize(self, outputs, final_state, sequence_lengths):
        """The predicted ids traced back through the parent ids (GatherTree)."""
        del sequence_lengths
        max_sequence_lengths = tf.cast(tf.reduce_max(final_state.lengths, axis=1), tf.int32)
        predicted_ids = gather_tree(outputs.predicted_ids, outputs.parent_ids,
                                    max_sequence_lengths, self._end_token)
        if self._reorder_tensor_arrays:
            final_state = final_state._replace(cell_state=_nest.map_structure(
                lambda t: self._maybe_sort_array_beams(t, outputs.parent_ids,
                                                       final_state.lengths),
                final_state.cell_state))
        return FinalBeamSearchDecoderOutput(beam_search_decoder_output=outputs,
                                            predicted_ids=predicted_ids), final_state

    def _merge_batch_beams(self, t, s=None):
        s = tf.TensorShape(s)
        static_batch_size = _static_value(self._batch_size)
        t_shape = tf.shape(t)
        reshaped_t = tf.reshape(t, tf.concat(([self._batch_size * self._beam_width],
                                              t_shape[2:]), 0))
        reshaped_t.set_shape(tf.TensorShape(
            [None if static_batch_size is None else int(static_batch_size) * self._beam_width])
            .concatenate(s))
        return reshaped_t

    def _split_batch_beams(self, t, s=None):
        s = tf.TensorShape(s)
        t_shape = tf.shape(t)
        reshaped_t = tf.reshape(t, tf.concat(([self._batch_size, self._beam_width],
                                              t_shape[1:]), 0))
        static_batch_size = _static_value(self._batch_size)
        expected = tf.TensorShape([None if static_batch_size is None else
                                   int(static_batch_size), self._beam_width]).concatenate(s)
        if not reshaped_t.shape.is_compatible_with(expected):
            raise ValueError(
                "Unexpected behavior when reshaping between beam width and batch size.  The "
                f"reshaped tensor has shape: {reshaped_t.shape}.  We expected it to have shape "
                f"(batch_size, beam_width, depth) == {expected}.  Perhaps you forgot to create a "
                "zero_state with batch_size=encoder_batch_size * beam_width?")
        reshaped_t.set_shape(expected)
        return reshaped_t

    # (TF passes the cell's state_size leaf as ``s``; it is the tensor's own inner shape.)
    def _maybe_split_batch_beams(self, t):
        if isinstance(t, tf.TensorArray):
            return t
        _check_maybe(t)
        return self._split_batch_beams(t, t.shape[1:]) if t.shape.rank >= 1 else t

    def _maybe_merge_batch_beams(self, t):
        if isinstance(t, tf.TensorArray):
            return t
        _check_maybe(t)
        return self._merge_batch_beams(t, t.shape[2:]) if t.shape.rank >= 2 else t

    def _maybe_sort_array_beams(self, t, parent_ids, sequence_length):
        """A TensorArray of the cell state (alignment history) reordered along the paths."""
        if not isinstance(t, tf.TensorArray):
            return t
        shape = t.element_shape
        if shape.rank is None or shape.rank < 1:
            tf.logging.warn(f"The TensorArray {t.handle.name} in the cell state is not amenable "
                            "to sorting based on the beam search result. For a TensorArray to "
                            "be sorted, its elements shape must be defined and have at least a "
                            f"rank of 1, but saw shape: {shape}")
            return t
        static_batch = _static_value(self._batch_size)
        # TF 1.15's _check_static_batch_beam_maybe, condition kept as written there: with a
        # static batch size a [batch * beam, depth] element is not reordered (a warning).
        if static_batch is not None and shape[0].value is not None and (
                shape[0].value != int(static_batch) * self._beam_width or (
                    shape.rank >= 2 and shape[1].value is not None and (
                        shape[0].value != int(static_batch)
                        or shape[1].value != self._beam_width))):
            tf.logging.warn("TensorArray reordering expects elements to be reshapable to "
                            f"{[int(static_batch), self._beam_width, None]} which is "
                            f"incompatible with the current shape {shape}. Consider setting "
                            "reorder_tensor_arrays to False to disable TensorArray reordering "
                            "during the beam search.")
            return t
        stacked = t.stack()
        split = tf.reshape(stacked, tf.concat([tf.shape(stacked)[:1],
                                               [self._batch_size, self._beam_width],
                                               tf.shape(stacked)[2:]], 0))
        ordered = gather_tree_from_array(split, parent_ids, sequence_length)
        return tf.reshape(ordered, tf.shape(stacked))

    def step(self, time, inputs, state, name=None):
        """One beam step: (BeamSearchDecoderOutput, next state, next inputs, finished)."""
        with tf.name_scope(name, "BeamSearchDecoderStep", (time, inputs, state)):
            inputs = _nest.map_structure(lambda inp: self._merge_batch_beams(inp, inp.shape[2:]),
                                         inputs)
            cell_state = _nest.map_structure(self._maybe_merge_batch_beams, state.cell_state)
            cell_outputs, next_cell_state = self._cell(inputs, cell_state)
            cell_outputs = _nest.map_structure(
                lambda out: self._split_batch_beams(out, out.shape[1:]), cell_outputs)
            next_cell_state = _nest.map_structure(self._maybe_split_batch_beams,
                                                  next_cell_state)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            beam_search_output, beam_search_state = _beam_search_step(
                time=time, logits=cell_outputs, next_cell_state=next_cell_state,
                beam_state=state, batch_size=self._batch_size, beam_width=self._beam_width,
                end_token=self._end_token, length_penalty_weight=self._length_penalty_weight,
                coverage_penalty_weight=self._coverage_penalty_weight)
            finished = beam_search_state.finished
            sample_ids = beam_search_output.predicted_ids
            next_inputs = tf.cond(tf.reduce_all(finished), lambda: self._start_inputs,
                                  lambda: self._embedding_fn(sample_ids))
        return beam_search_output, beam_search_state, next_inputs, finished


def _beam_search_step(time, logits, next_cell_state, beam_state, batch_size, beam_width,
                      end_token, length_penalty_weight, coverage_penalty_weight):
    """TF's _beam_search_step: scores, top-k over beam x vocabulary, gathered states."""
    static_batch_size = _static_value(batch_size)
    static_batch_size = None if static_batch_size is None else int(static_batch_size)
    prediction_lengths = beam_state.lengths
    previously_finished = beam_state.finished
    not_finished = tf.logical_not(previously_finished)

    # Total log-probabilities of every continuation: [batch, beam, vocab].
    step_log_probs = tf.nn.log_softmax(logits)
    step_log_probs = _mask_probs(step_log_probs, end_token, previously_finished)
    total_probs = tf.expand_dims(beam_state.log_probs, 2) + step_log_probs

    vocab_size = _dim_or_shape(logits, -1)
    lengths_to_add = tf.one_hot(indices=tf.fill([batch_size, beam_width], end_token),
                                depth=vocab_size, on_value=np.int64(0), off_value=np.int64(1),
                                dtype=tf.int64)
    add_mask = tf.cast(not_finished, tf.int64)
    lengths_to_add *= tf.expand_dims(add_mask, 2)
    new_prediction_lengths = lengths_to_add + tf.expand_dims(prediction_lengths, 2)

    accumulated_attention_probs = None
    attention_probs = _get_attention_probs(next_cell_state, coverage_penalty_weight)
    if attention_probs is not None:
        attention_probs *= tf.expand_dims(tf.cast(not_finished, tf.float32), 2)
        accumulated_attention_probs = beam_state.accumulated_attention_probs + attention_probs

    scores = _get_scores(log_probs=total_probs, sequence_lengths=new_prediction_lengths,
                         length_penalty_weight=length_penalty_weight,
                         coverage_penalty_weight=coverage_penalty_weight,
                         finished=previously_finished,
                         accumulated_attention_probs=accumulated_attention_probs)

    scores_flat = tf.reshape(scores, [batch_size, -1])
    next_beam_scores, word_indices = tf.nn.top_k(scores_flat, k=beam_width)
    next_beam_scores.set_shape([static_batch_size, beam_width])
    word_indices.set_shape([static_batch_size, beam_width])

    next_beam_probs = _tensor_gather_helper(
        gather_indices=word_indices, gather_from=total_probs, batch_size=batch_size,
        range_size=beam_width * vocab_size, gather_shape=[-1], name="next_beam_probs")
    raw_next_word_ids = tf.mod(word_indices, vocab_size, name="next_beam_word_ids")
    next_word_ids = tf.cast(raw_next_word_ids, tf.int32)
    next_beam_ids = tf.cast(tf.floordiv(word_indices, vocab_size), tf.int32,
                            name="next_beam_parent_ids")

    previously_finished = _tensor_gather_helper(
        gather_indices=next_beam_ids, gather_from=previously_finished, batch_size=batch_size,
        range_size=beam_width, gather_shape=[-1])
    next_finished = tf.logical_or(previously_finished, tf.equal(next_word_ids, end_token),
                                  name="next_beam_finished")

    # Finished beams keep their length; the others (including those ending now) grow by 1.
    lengths_to_add = tf.cast(tf.logical_not(previously_finished), tf.int64)
    next_prediction_len = _tensor_gather_helper(
        gather_indices=next_beam_ids, gather_from=beam_state.lengths, batch_size=batch_size,
        range_size=beam_width, gather_shape=[-1])
    next_prediction_len += lengths_to_add
    next_accumulated_attention_probs = ()
    if accumulated_attention_probs is not None:
        next_accumulated_attention_probs = _tensor_gather_helper(
            gather_indices=next_beam_ids, gather_from=accumulated_attention_probs,
            batch_size=batch_size, range_size=beam_width,
            gather_shape=[batch_size * beam_width, -1], name="next_accumulated_attention_probs")

    next_cell_state = _nest.map_structure(
        lambda gather_from: _maybe_tensor_gather_helper(
            gather_indices=next_beam_ids, gather_from=gather_from, batch_size=batch_size,
            range_size=beam_width, gather_shape=[batch_size * beam_width, -1]),
        next_cell_state)
    next_state = BeamSearchDecoderState(
        cell_state=next_cell_state, log_probs=next_beam_probs, lengths=next_prediction_len,
        finished=next_finished, accumulated_attention_probs=next_accumulated_attention_probs)
    output = BeamSearchDecoderOutput(scores=next_beam_scores, predicted_ids=next_word_ids,
                                     parent_ids=next_beam_ids)
    return output, next_state


def _attention_probs_from_attn_state(attention_state):
    attention_probs = attention_state.alignments
    if isinstance(attention_probs, tuple):
        attention_probs = tf.reduce_mean(
            tf.concat([tf.expand_dims(p, -1) for p in attention_probs], -1), -1)
    return attention_probs


def _get_attention_probs(next_cell_state, coverage_penalty_weight):
    """The (mean) alignments of the attentional cells in the state, for the coverage
    penalty; None when it is off."""
    if coverage_penalty_weight == 0.0:
        return None
    probs_per_attn_layer = []
    if isinstance(next_cell_state, AttentionWrapperState):
        probs_per_attn_layer = [_attention_probs_from_attn_state(next_cell_state)]
    elif isinstance(next_cell_state, tuple):
        for state in next_cell_state:
            if isinstance(state, AttentionWrapperState):
                probs_per_attn_layer.append(_attention_probs_from_attn_state(state))
    if not probs_per_attn_layer:
        raise ValueError("coverage_penalty_weight must be 0.0 if no cell is attentional.")
    if len(probs_per_attn_layer) == 1:
        return probs_per_attn_layer[0]
    return tf.reduce_mean(tf.concat([tf.expand_dims(p, -1) for p in probs_per_attn_layer],
                                    -1), -1)


def _get_scores(log_probs, sequence_lengths, length_penalty_weight, coverage_penalty_weight,
                finished, accumulated_attention_probs):
    length_penalty_ = tf.cast(_length_penalty(sequence_lengths, length_penalty_weight),
                              log_probs.dtype)
    scores = log_probs / length_penalty_
    coverage_penalty_weight = tf.convert_to_tensor(coverage_penalty_weight,
                                                   name="coverage_penalty_weight")
    if coverage_penalty_weight.shape.rank != 0:
        raise ValueError("coverage_penalty_weight should be a scalar, but saw shape: "
                         f"{coverage_penalty_weight.shape}")
    if tf.get_static_value(coverage_penalty_weight) == 0.0:
        return scores
    if accumulated_attention_probs is None:
        raise ValueError("accumulated_attention_probs can be None only if coverage penalty is "
                         "disabled.")
    # Positions never attended (masked source steps) do not count.
    accumulated_attention_probs = tf.where(tf.equal(accumulated_attention_probs, 0.0),
                                           tf.ones_like(accumulated_attention_probs),
                                           accumulated_attention_probs)
    coverage_penalty = tf.reduce_sum(tf.log(tf.minimum(accumulated_attention_probs, 1.0)), 2)
    # Only finished hypotheses are penalized.
    coverage_penalty *= tf.cast(finished, tf.float32)
    weighted_coverage_penalty = coverage_penalty * coverage_penalty_weight
    return scores + tf.expand_dims(weighted_coverage_penalty, 2)


def _length_penalty(sequence_lengths, penalty_factor):
    """((5 + length) / 6) ** penalty_factor (Wu et al. 2016); 1.0 for a zero factor."""
    penalty_factor = tf.convert_to_tensor(penalty_factor, name="penalty_factor")
    penalty_factor.set_shape(())
    static_penalty = tf.get_static_value(penalty_factor)
    if static_penalty is not None and static_penalty == 0:
        return 1.0
    return tf.div((5. + tf.cast(sequence_lengths, tf.float32)) ** penalty_factor,
                  (5. + 1.) ** penalty_factor)


def _mask_probs(probs, eos_token, finished):
    """Finished beams put all their probability on ``eos_token``."""
    vocab_size = tf.shape(probs)[2]
    finished_row = tf.one_hot(eos_token, vocab_size, dtype=probs.dtype,
                              on_value=tf.convert_to_tensor(0., dtype=probs.dtype),
                              off_value=probs.dtype.min)
    finished_probs = tf.tile(tf.reshape(finished_row, [1, 1, -1]),
                             tf.concat([tf.shape(finished), [1]], 0))
    finished_mask = tf.tile(tf.expand_dims(finished, 2), [1, 1, vocab_size])
    return tf.where(finished_mask, finished_probs, probs)


def _maybe_tensor_gather_helper(gather_indices, gather_from, batch_size, range_size,
                                gather_shape):
    if isinstance(gather_from, tf.TensorArray):
        return gather_from
    _check_maybe(gather_from)
    if gather_from.shape.rank >= len(gather_shape):
        return _tensor_gather_helper(gather_indices, gather_from, batch_size, range_size,
                                     gather_shape)
    return gather_from


def _tensor_gather_helper(gather_indices, gather_from, batch_size, range_size, gather_shape,
                          name=None):
    """Rows of ``gather_from`` [batch, beam, ...] picked per batch entry by
    ``gather_indices`` [batch, beam]."""
    with tf.name_scope(name, "tensor_gather_helper"):
        range_ = tf.expand_dims(tf.range(batch_size) * range_size, 1)
        gather_indices = tf.reshape(gather_indices + range_, [-1])
        output = tf.gather(tf.reshape(gather_from, gather_shape), gather_indices)
        final_shape = tf.shape(gather_from)[:1 + len(gather_shape)]
        static_batch_size = _static_value(batch_size)
        final_static_shape = tf.TensorShape(
            [None if static_batch_size is None else int(static_batch_size)]).concatenate(
            gather_from.shape[1:1 + len(gather_shape)])
        output = tf.reshape(output, final_shape, name="output")
        output.set_shape(final_static_shape)
        return output
