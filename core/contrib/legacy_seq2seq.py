"""``tf.contrib.legacy_seq2seq`` (TF 1.15's contrib/legacy_seq2seq/python/ops/seq2seq.py): the
list-of-steps sequence-to-sequence models of TF1's translation tutorial and char-rnn, built on
minitf's RNN cells, static_rnn and contrib.rnn's Embedding/OutputProjection wrappers.

Inputs are Python lists with one [batch, depth] tensor (or [batch] ids) per step; the decoders
are unrolled. Variable scopes and names are TF1's (``embedding_rnn_seq2seq/rnn/
embedding_wrapper/embedding``, ``.../embedding_rnn_decoder/rnn_decoder/
output_projection_wrapper/basic_lstm_cell/kernel``...), so TF1 checkpoints load by name. The
attention decoders are in legacy_seq2seq_attention.py.
"""

from __future__ import annotations

import minitf as tf

from .legacy_seq2seq_attention import (_check_cell, _check_projection,  # noqa: F401
                                       _copy_cell, _decode_both_ways,
                                       _extract_argmax_and_embed, attention_decoder,
                                       embedding_attention_decoder, embedding_attention_seq2seq)
from .rnn_legacy import EmbeddingWrapper, OutputProjectionWrapper

__all__ = ["attention_decoder", "basic_rnn_seq2seq", "embedding_attention_decoder",
           "embedding_attention_seq2seq", "embedding_rnn_decoder", "embedding_rnn_seq2seq",
           "embedding_tied_rnn_seq2seq", "model_with_buckets", "one2many_rnn_seq2seq",
           "rnn_decoder", "sequence_loss", "sequence_loss_by_example", "tied_rnn_seq2seq"]


def rnn_decoder(decoder_inputs, initial_state, cell, loop_function=None, scope=None):
    """TF1's ``rnn_decoder``: ``cell`` over ``decoder_inputs`` from ``initial_state`` (scope
    ``rnn_decoder``). With ``loop_function(prev_output, i)``, step i > 0 takes its input from
    the previous output instead (only the first input, the "GO" symbol, is used). Returns
    (outputs list, final state)."""
    with tf.variable_scope(scope or "rnn_decoder"):
        state, outputs, prev = initial_state, [], None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with tf.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            if i > 0:
                tf.get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
            if loop_function is not None:
                prev = output
    return outputs, state


def basic_rnn_seq2seq(encoder_inputs, decoder_inputs, cell, dtype=tf.float32, scope=None):
    """TF1's ``basic_rnn_seq2seq``: a copy of ``cell`` encodes (``rnn``), ``cell`` decodes from
    its final state (``rnn_decoder``); the two do not share variables."""
    _check_cell("cell", cell)
    with tf.variable_scope(scope or "basic_rnn_seq2seq"):
        _, enc_state = tf.nn.static_rnn(_copy_cell(cell), list(encoder_inputs), dtype=dtype)
        return rnn_decoder(decoder_inputs, enc_state, cell)


def tied_rnn_seq2seq(encoder_inputs, decoder_inputs, cell, loop_function=None,
                     dtype=tf.float32, scope=None):
    """TF1's ``tied_rnn_seq2seq``: the same ``cell`` (same variables) encodes and decodes,
    both in scope ``combined_tied_rnn_seq2seq/<scope or tied_rnn_seq2seq>``."""
    _check_cell("cell", cell)
    with tf.variable_scope("combined_tied_rnn_seq2seq"):
        scope = scope or "tied_rnn_seq2seq"
        _, enc_state = tf.nn.static_rnn(cell, list(encoder_inputs), dtype=dtype, scope=scope)
        tf.get_variable_scope().reuse_variables()
        return rnn_decoder(decoder_inputs, enc_state, cell, loop_function=loop_function,
                           scope=scope)


def embedding_rnn_decoder(decoder_inputs, initial_state, cell, num_symbols, embedding_size,
                          output_projection=None, feed_previous=False,
                          update_embedding_for_previous=True, scope=None):
    """TF1's ``embedding_rnn_decoder``: symbol ids looked up in ``embedding`` [num_symbols,
    embedding_size], decoded by rnn_decoder; with ``feed_previous`` (a bool), steps after the
    first take the embedding of the previous output's argmax (through ``output_projection``
    (W, B) when given), gradients stopped there unless ``update_embedding_for_previous``."""
    with tf.variable_scope(scope or "embedding_rnn_decoder") as vs:
        output_projection = _check_projection(output_projection, num_symbols, vs.dtype)
        embedding = tf.get_variable("embedding", [num_symbols, embedding_size])
        loop_function = _extract_argmax_and_embed(
            embedding, output_projection, update_embedding_for_previous) \
            if feed_previous else None
        # looked up as rnn_decoder reaches each step (TF1 hands it a generator)
        embedded = (tf.nn.embedding_lookup(embedding, i) for i in decoder_inputs)
        return rnn_decoder(embedded, initial_state, cell, loop_function=loop_function)


def embedding_rnn_seq2seq(encoder_inputs, decoder_inputs, cell, num_encoder_symbols,
                          num_decoder_symbols, embedding_size, output_projection=None,
                          feed_previous=False, dtype=None, scope=None):
    """TF1's ``embedding_rnn_seq2seq``: a copy of ``cell`` in an EmbeddingWrapper encodes
    (``rnn/embedding_wrapper``); embedding_rnn_decoder decodes from its final state, ``cell``
    wrapped to output ``num_decoder_symbols`` unless ``output_projection`` is given.
    ``feed_previous`` may be a bool or a scalar bool tensor (both decoders are built)."""
    _check_cell("cell", cell)
    with tf.variable_scope(scope or "embedding_rnn_seq2seq") as vs:
        if dtype is not None:
            vs.set_dtype(dtype)
        else:
            dtype = vs.dtype
        encoder_cell = EmbeddingWrapper(_copy_cell(cell), embedding_classes=num_encoder_symbols,
                                        embedding_size=embedding_size)
        _, encoder_state = tf.nn.static_rnn(encoder_cell, list(encoder_inputs), dtype=dtype)
        if output_projection is None:
            cell = OutputProjectionWrapper(cell, num_decoder_symbols)

        def decode(flag, update_embedding=True):
            return embedding_rnn_decoder(
                decoder_inputs, encoder_state, cell, num_decoder_symbols, embedding_size,
                output_projection=output_projection, feed_previous=flag,
                update_embedding_for_previous=update_embedding)

        if isinstance(feed_previous, bool):
            return decode(feed_previous)
        return _decode_both_ways(feed_previous, lambda flag: decode(flag, False),
                                 len(decoder_inputs))


def embedding_tied_rnn_seq2seq(encoder_inputs, decoder_inputs, cell, num_symbols,
                               embedding_size, num_decoder_symbols=None, output_projection=None,
                               feed_previous=False, dtype=None, scope=None):
    """TF1's ``embedding_tied_rnn_seq2seq``: one ``embedding`` [num_symbols, embedding_size]
    for encoder and decoder inputs, then tied_rnn_seq2seq; outputs over
    ``num_decoder_symbols`` (default ``num_symbols``) unless ``output_projection``.
    ``feed_previous`` may be a bool or a scalar bool tensor."""
    _check_cell("cell", cell)
    with tf.variable_scope(scope or "embedding_tied_rnn_seq2seq", dtype=dtype) as vs:
        dtype = vs.dtype
        output_projection = _check_projection(output_projection, num_symbols, dtype)
        embedding = tf.get_variable("embedding", [num_symbols, embedding_size], dtype=dtype)
        emb_encoder_inputs = [tf.nn.embedding_lookup(embedding, x) for x in encoder_inputs]
        emb_decoder_inputs = [tf.nn.embedding_lookup(embedding, x) for x in decoder_inputs]
        if output_projection is None:
            cell = OutputProjectionWrapper(
                cell, num_symbols if num_decoder_symbols is None else num_decoder_symbols)

        def decode(flag, update_embedding=True):
            loop_function = _extract_argmax_and_embed(
                embedding, output_projection, update_embedding) if flag else None
            return tied_rnn_seq2seq(emb_encoder_inputs, emb_decoder_inputs, cell,
                                    loop_function=loop_function, dtype=dtype)

        if isinstance(feed_previous, bool):
            return decode(feed_previous)
        return _decode_both_ways(feed_previous, lambda flag: decode(flag, False),
                                 len(decoder_inputs))


def one2many_rnn_seq2seq(encoder_inputs, decoder_inputs_dict, enc_cell, dec_cells_dict,
                         num_encoder_symbols, num_decoder_symbols_dict, embedding_size,
                         feed_previous=False, dtype=None, scope=None):
    """TF1's ``one2many_rnn_seq2seq`` (multi-task): one embedding encoder, and per decoder
    name an embedding_rnn_decoder (scope ``one2many_decoder_<name>``) with its own cell
    wrapped to output ``num_decoder_symbols_dict[name]``. Returns (outputs dict, state
    dict)."""
    _check_cell("enc_cell", enc_cell)
    if set(dec_cells_dict) != set(decoder_inputs_dict):
        raise ValueError(f"keys of dec_cells_dict != keys of decoder_inputs_dict: "
                         f"{sorted(map(str, dec_cells_dict))} vs "
                         f"{sorted(map(str, decoder_inputs_dict))}")
    for dec_cell in dec_cells_dict.values():
        _check_cell("dec_cell", dec_cell)
    missing = set(decoder_inputs_dict) - set(num_decoder_symbols_dict)
    if missing:
        raise KeyError(f"num_decoder_symbols_dict has no entry for decoder(s) "
                       f"{sorted(map(str, missing))}")
    outputs_dict, state_dict = {}, {}
    with tf.variable_scope(scope or "one2many_rnn_seq2seq", dtype=dtype) as vs:
        dtype = vs.dtype
        enc_cell = EmbeddingWrapper(enc_cell, embedding_classes=num_encoder_symbols,
                                    embedding_size=embedding_size)
        _, encoder_state = tf.nn.static_rnn(enc_cell, list(encoder_inputs), dtype=dtype)
        for name, decoder_inputs in decoder_inputs_dict.items():
            num_decoder_symbols = num_decoder_symbols_dict[name]
            with tf.variable_scope(f"one2many_decoder_{name}"):
                dec_cell = OutputProjectionWrapper(dec_cells_dict[name], num_decoder_symbols)

                def decode(flag, decoder_inputs=decoder_inputs, dec_cell=dec_cell,
                           num_decoder_symbols=num_decoder_symbols):
                    return embedding_rnn_decoder(decoder_inputs, encoder_state, dec_cell,
                                                 num_decoder_symbols, embedding_size,
                                                 feed_previous=flag)

                if isinstance(feed_previous, bool):
                    outputs, state = decode(feed_previous)
                else:  # unlike the others, TF1 keeps updating the fed-back embeddings here
                    outputs, state = _decode_both_ways(feed_previous, decode,
                                                       len(decoder_inputs))
            outputs_dict[name], state_dict[name] = outputs, state
    return outputs_dict, state_dict


def _as_list(name, value):
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of tensors, one per time step, got "
                        f"{type(value).__name__}")
    return list(value)


def sequence_loss_by_example(logits, targets, weights, average_across_timesteps=True,
                             softmax_loss_function=None, name=None):
    """TF1's ``sequence_loss_by_example``: per example, the sum over steps of
    ``weight * crossentropy(logit, target)`` (``softmax_loss_function(labels=, logits=)``
    when given), divided by the summed weights (+1e-12) if ``average_across_timesteps``.
    Returns a [batch] tensor."""
    logits, targets = _as_list("logits", logits), _as_list("targets", targets)
    weights = _as_list("weights", weights)
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError(f"Lengths of logits, weights, and targets must be the same "
                         f"{len(logits)}, {len(weights)}, {len(targets)}.")
    with tf.name_scope(name, "sequence_loss_by_example", logits + targets + weights):
        log_perp_list = []
        for logit, target, weight in zip(logits, targets, weights):
            if softmax_loss_function is None:
                # (targets of shape [batch, 1] or scalars work too, as in TF1)
                crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=tf.reshape(target, [-1]), logits=logit)
            else:
                crossent = softmax_loss_function(labels=target, logits=logit)
            log_perp_list.append(crossent * weight)
        log_perps = tf.add_n(log_perp_list)
        if average_across_timesteps:
            log_perps /= tf.add_n(weights) + 1e-12  # all-zero weights give 0, not nan
    return log_perps


def sequence_loss(logits, targets, weights, average_across_timesteps=True,
                  average_across_batch=True, softmax_loss_function=None, name=None):
    """TF1's ``sequence_loss``: sequence_loss_by_example summed over the batch, divided by
    the batch size if ``average_across_batch``. Returns a scalar."""
    logits, targets = _as_list("logits", logits), _as_list("targets", targets)
    weights = _as_list("weights", weights)
    with tf.name_scope(name, "sequence_loss", logits + targets + weights):
        cost = tf.reduce_sum(sequence_loss_by_example(
            logits, targets, weights, average_across_timesteps=average_across_timesteps,
            softmax_loss_function=softmax_loss_function))
        if not average_across_batch:
            return cost
        batch_size = tf.shape(targets[0])[0]
        return cost / tf.cast(batch_size, cost.dtype)


def model_with_buckets(encoder_inputs, decoder_inputs, targets, weights, buckets, seq2seq,
                       softmax_loss_function=None, per_example_loss=False, name=None):
    """TF1's ``model_with_buckets``: for each (encoder length, decoder length) bucket,
    ``seq2seq`` on the first that many inputs (variables made by the first bucket, reused by
    the others) and its loss on the matching targets and weights: sequence_loss, or
    sequence_loss_by_example if ``per_example_loss``. Returns (outputs per bucket, losses)."""
    encoder_inputs = _as_list("encoder_inputs", encoder_inputs)
    decoder_inputs = _as_list("decoder_inputs", decoder_inputs)
    targets, weights = _as_list("targets", targets), _as_list("weights", weights)
    if not buckets:
        raise ValueError("buckets must be a non-empty list of (input size, output size) pairs")
    last_in, last_out = buckets[-1]
    for what, seq, need in (("encoder_inputs", encoder_inputs, last_in),
                            ("decoder_inputs", decoder_inputs, last_out),
                            ("targets", targets, last_out), ("weights", weights, last_out)):
        if len(seq) < need:
            raise ValueError(f"Length of {what} ({len(seq)}) must be at least that of last "
                             f"bucket ({need}).")
    losses, outputs = [], []
    with tf.name_scope(name, "model_with_buckets",
                       encoder_inputs + decoder_inputs + targets + weights):
        for j, (enc_len, dec_len) in enumerate(buckets):
            with tf.variable_scope(tf.get_variable_scope(), reuse=True if j > 0 else None):
                bucket_outputs, _ = seq2seq(encoder_inputs[:enc_len], decoder_inputs[:dec_len])
                outputs.append(bucket_outputs)
                loss = sequence_loss_by_example if per_example_loss else sequence_loss
                losses.append(loss(bucket_outputs, targets[:dec_len], weights[:dec_len],
                                   softmax_loss_function=softmax_loss_function))
    return outputs, losses
