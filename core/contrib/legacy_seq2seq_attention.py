"""TF 1.15's ``tf.contrib.legacy_seq2seq`` attention decoders (attention_decoder,
embedding_attention_decoder, embedding_attention_seq2seq) and the helpers every legacy model
shares: the greedy loop function, the output-projection check, the cell copy and the two-graph
``tf.cond`` TF1 builds for a tensor ``feed_previous``.

Variables keep TF1's names so its checkpoints load: ``attention_decoder/AttnW_0``,
``AttnV_0``, the input projection ``kernel``/``bias`` straight in the decoder's scope,
``Attention_0/kernel``, ``AttnOutputProjection/kernel``, the embeddings ``embedding``.
"""

from __future__ import annotations

import copy

import minitf as tf

from ..graph import Graph
from ..layers_base import Layer
from ..ref_variable import Variable
from ..rnn import RNNCell
from ..tensor import Operation, Tensor
from ..variable_scopes import VariableScope
from .rnn_legacy import EmbeddingWrapper, OutputProjectionWrapper, _linear

__all__ = ["attention_decoder", "embedding_attention_decoder", "embedding_attention_seq2seq"]

# Graph objects a cell may hold (a keep_prob placeholder, its variable scope): a copied cell
# shares them. TF1's copy.deepcopy tried to copy the whole graph and failed on its locks.
_SHARED = (Graph, Operation, Tensor, Variable, VariableScope)


def _objects_in(root):
    """Every object ``root`` reaches through attributes and containers, graph objects
    (``_SHARED``) included but not entered."""
    seen, todo = {}, [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen[id(obj)] = obj
        if isinstance(obj, _SHARED):
            continue
        if isinstance(obj, (list, tuple, set, frozenset)):
            todo.extend(obj)
        elif isinstance(obj, dict):
            todo.extend(obj.values())
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            todo.extend(vars(obj).values())
    return seen.values()


def _copy_cell(cell):
    """A fresh copy of ``cell`` (TF1 deep-copies the decoder's cell for the encoder, so the
    two do not share variables), sharing whatever graph objects it refers to. A cell used
    before (the same model built again for another bucket) is copied unbuilt, so the copy
    finds its variables by name in the scope it is called in, not in the decoder's."""
    memo = {id(o): o for o in _objects_in(cell) if isinstance(o, _SHARED)}
    fresh = copy.deepcopy(cell, memo)
    for obj in _objects_in(fresh):
        if isinstance(obj, RNNCell):
            obj._scope, obj._built = None, False
        elif isinstance(obj, Layer):
            obj._scope, obj.built = None, False
            obj._trainable_weights, obj._non_trainable_weights = [], []
            obj._losses, obj._weight_losses, obj._updates = [], [], []
    return fresh


def _check_cell(name, cell):
    if not isinstance(cell, RNNCell) and not (
            callable(cell) and all(hasattr(cell, a) for a in ("output_size", "state_size",
                                                               "zero_state"))):
        raise TypeError(f"{name} is not an RNNCell: {type(cell)}")


def _check_projection(output_projection, num_symbols, dtype):
    """``output_projection`` as a (W [output_size, num_symbols], B [num_symbols]) pair of
    tensors, or a ValueError saying which part has the wrong shape."""
    if output_projection is None:
        return None
    if not isinstance(output_projection, (list, tuple)) or len(output_projection) != 2:
        raise ValueError("output_projection must be None or a pair (W, B) of weights "
                         f"[output_size, {num_symbols}] and biases [{num_symbols}], got "
                         f"{output_projection!r}")
    w = tf.convert_to_tensor(output_projection[0], dtype=dtype)
    b = tf.convert_to_tensor(output_projection[1], dtype=dtype)
    if not w.shape.is_compatible_with([None, num_symbols]):
        raise ValueError(f"output_projection[0] (the weights W) has shape {w.shape}, but must "
                         f"be [output_size, num_symbols={num_symbols}]")
    if not b.shape.is_compatible_with([num_symbols]):
        raise ValueError(f"output_projection[1] (the biases B) has shape {b.shape}, but must "
                         f"be [num_symbols={num_symbols}]")
    return w, b


def _extract_argmax_and_embed(embedding, output_projection=None, update_embedding=True):
    """TF1's greedy loop function: the previous output (projected by ``output_projection``
    when given), its argmax symbol, that symbol's embedding (gradients stopped unless
    ``update_embedding``)."""
    def loop_function(prev, _):
        if output_projection is not None:
            prev = tf.nn.xw_plus_b(prev, output_projection[0], output_projection[1])
        embedded = tf.nn.embedding_lookup(embedding, tf.argmax(prev, 1))
        return embedded if update_embedding else tf.stop_gradient(embedded)
    return loop_function


def _decode_both_ways(feed_previous, decode, num_outputs):
    """A tensor ``feed_previous``: TF1 builds the decoder twice, greedy first (making the
    variables), then fed with ``decoder_inputs`` (reusing them), and picks one with tf.cond.
    ``decode(flag)`` builds one; returns (outputs, state)."""
    feed_previous = tf.convert_to_tensor(feed_previous)
    if feed_previous.dtype.base_dtype != tf.bool or feed_previous.shape.rank not in (None, 0):
        raise ValueError("feed_previous must be a Python bool or a scalar bool tensor, got "
                         f"{feed_previous.dtype.name} tensor of shape {feed_previous.shape}")
    structure = []

    def branch(flag):
        with tf.variable_scope(tf.get_variable_scope(), reuse=None if flag else True):
            outputs, state = decode(flag)
        structure.append(state)
        return list(outputs) + tf.nest.flatten(state)

    merged = tf.cond(feed_previous, lambda: branch(True), lambda: branch(False), strict=True)
    outputs, states = list(merged[:num_outputs]), list(merged[num_outputs:])
    return outputs, tf.nest.pack_sequence_as(structure[0], states)


def attention_decoder(decoder_inputs, initial_state, attention_states, cell, output_size=None,
                      num_heads=1, loop_function=None, dtype=None, scope=None,
                      initial_state_attention=False):
    """TF1's ``attention_decoder``: at step i the cell runs on ``linear([input, attns])``;
    each head a reads ``attention_states`` with weights ``softmax(V_a . tanh(W_a h_j + U_a
    state))`` (W_a a 1x1 convolution ``AttnW_a``, V_a ``AttnV_a``, U_a ``Attention_a``), and
    the output is ``linear([cell_output, attns])`` (``AttnOutputProjection``). The first
    attentions are zeros, or read with the initial state if ``initial_state_attention``.
    Returns (outputs list, final state)."""
    decoder_inputs = list(decoder_inputs)
    if not decoder_inputs:
        raise ValueError("Must provide at least 1 input to attention decoder.")
    if num_heads < 1:
        raise ValueError("With less than 1 heads, use a non-attention decoder.")
    attention_states = tf.convert_to_tensor(attention_states)
    if attention_states.shape.rank != 3:
        raise ValueError("attention_states must be a [batch_size, attn_length, attn_size] "
                         f"tensor, got shape {attention_states.shape}")
    if attention_states.shape[2].value is None:
        raise ValueError(f"Shape[2] of attention_states must be known: "
                         f"{attention_states.shape}")
    if output_size is None:
        output_size = cell.output_size

    with tf.variable_scope(scope or "attention_decoder", dtype=dtype) as vs:
        dtype = vs.dtype
        batch_size = tf.shape(decoder_inputs[0])[0]
        attn_length = attention_states.shape[1].value
        if attn_length is None:
            attn_length = tf.shape(attention_states)[1]
        attn_size = attention_states.shape[2].value
        # W_a h_j for every j at once: a 1x1 convolution over [batch, length, 1, size]
        hidden = tf.reshape(attention_states, [-1, attn_length, 1, attn_size])
        hidden_features, v = [], []
        for a in range(num_heads):
            k = tf.get_variable(f"AttnW_{a}", [1, 1, attn_size, attn_size])
            hidden_features.append(tf.nn.conv2d(hidden, k, [1, 1, 1, 1], "SAME"))
            v.append(tf.get_variable(f"AttnV_{a}", [attn_size]))

        def attention(query):
            """One read per head: the attention-weighted sums of attention_states."""
            if tf.nest.is_nested(query):  # an LSTM / multi-layer state: its parts side by side
                parts = tf.nest.flatten(query)
                for q in parts:
                    if q.shape.rank not in (None, 2):
                        raise ValueError(f"attention_decoder: the state's parts must be 2-D, "
                                         f"got {q.shape}")
                query = tf.concat(parts, 1)
            reads = []
            for a in range(num_heads):
                with tf.variable_scope(f"Attention_{a}"):
                    y = tf.reshape(_linear(query, attn_size), [-1, 1, 1, attn_size])
                    s = tf.reduce_sum(v[a] * tf.tanh(hidden_features[a] + y), [2, 3])
                    weights = tf.reshape(tf.nn.softmax(s), [-1, attn_length, 1, 1])
                    reads.append(tf.reshape(tf.reduce_sum(weights * hidden, [1, 2]),
                                            [-1, attn_size]))
            return reads

        state, outputs, prev = initial_state, [], None
        attns = [tf.zeros(tf.stack([batch_size, attn_size]), dtype=dtype)
                 for _ in range(num_heads)]
        for a in attns:  # the depth is static even though the batch is not
            a.set_shape([None, attn_size])
        if initial_state_attention:
            attns = attention(initial_state)
        for i, inp in enumerate(decoder_inputs):
            if i > 0:
                tf.get_variable_scope().reuse_variables()
            if loop_function is not None and prev is not None:
                with tf.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            inp = tf.convert_to_tensor(inp)
            input_size = inp.shape.with_rank(2)[1]
            if input_size.value is None:
                raise ValueError(f"Could not infer input size from input: {inp.name}")
            x = _linear([inp] + attns, input_size.value)
            cell_output, state = cell(x, state)
            if i == 0 and initial_state_attention:  # Attention_a already made: reuse it
                with tf.variable_scope(tf.get_variable_scope(), reuse=True):
                    attns = attention(state)
            else:
                attns = attention(state)
            with tf.variable_scope("AttnOutputProjection"):
                output = _linear([cell_output] + attns, output_size)
            if loop_function is not None:
                prev = output
            outputs.append(output)
    return outputs, state


def embedding_attention_decoder(decoder_inputs, initial_state, attention_states, cell,
                                num_symbols, embedding_size, num_heads=1, output_size=None,
                                output_projection=None, feed_previous=False,
                                update_embedding_for_previous=True, dtype=None, scope=None,
                                initial_state_attention=False):
    """TF1's ``embedding_attention_decoder``: symbol ids looked up in ``embedding``
    [num_symbols, embedding_size] and decoded by attention_decoder; with ``feed_previous``
    (a bool), steps after the first take the embedding of the previous output's argmax
    (through ``output_projection`` when given)."""
    if output_size is None:
        output_size = cell.output_size
    output_projection = _check_projection(output_projection, num_symbols, dtype)
    with tf.variable_scope(scope or "embedding_attention_decoder", dtype=dtype):
        embedding = tf.get_variable("embedding", [num_symbols, embedding_size])
        loop_function = _extract_argmax_and_embed(
            embedding, output_projection, update_embedding_for_previous) \
            if feed_previous else None
        embedded = [tf.nn.embedding_lookup(embedding, i) for i in decoder_inputs]
        return attention_decoder(embedded, initial_state, attention_states, cell,
                                 output_size=output_size, num_heads=num_heads,
                                 loop_function=loop_function,
                                 initial_state_attention=initial_state_attention)


def embedding_attention_seq2seq(encoder_inputs, decoder_inputs, cell, num_encoder_symbols,
                                num_decoder_symbols, embedding_size, encoder_cell=None,
                                num_heads=1, output_projection=None, feed_previous=False,
                                dtype=None, scope=None, initial_state_attention=False):
    """TF1's ``embedding_attention_seq2seq``: an embedding encoder (a copy of ``cell`` unless
    ``encoder_cell``, wrapped in EmbeddingWrapper, run by static_rnn) whose outputs are
    attended to by embedding_attention_decoder, started from its final state. Without
    ``output_projection`` the decoder cell is wrapped to output ``num_decoder_symbols``.
    ``feed_previous`` may be a bool or a scalar bool tensor (both decoders are built)."""
    _check_cell("cell", cell)
    with tf.variable_scope(scope or "embedding_attention_seq2seq", dtype=dtype) as vs:
        dtype = vs.dtype
        encoder_cell = _copy_cell(cell) if encoder_cell is None else encoder_cell
        encoder_cell = EmbeddingWrapper(encoder_cell, embedding_classes=num_encoder_symbols,
                                        embedding_size=embedding_size)
        encoder_outputs, encoder_state = tf.nn.static_rnn(encoder_cell, list(encoder_inputs),
                                                          dtype=dtype)
        # what the decoder attends to: the encoder's outputs, [batch, length, size]
        depth = encoder_cell.output_size
        attention_states = tf.concat([tf.reshape(e, [-1, 1, depth]) for e in encoder_outputs],
                                     1)
        output_size = None
        if output_projection is None:
            cell = OutputProjectionWrapper(cell, num_decoder_symbols)
            output_size = num_decoder_symbols

        def decode(flag, update_embedding=True):
            return embedding_attention_decoder(
                decoder_inputs, encoder_state, attention_states, cell, num_decoder_symbols,
                embedding_size, num_heads=num_heads, output_size=output_size,
                output_projection=output_projection, feed_previous=flag,
                update_embedding_for_previous=update_embedding,
                initial_state_attention=initial_state_attention)

        if isinstance(feed_previous, bool):
            return decode(feed_previous)
        return _decode_both_ways(feed_previous, lambda flag: decode(flag, False),
                                 len(decoder_inputs))
