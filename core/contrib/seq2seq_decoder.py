"""TF 1.15's ``tf.contrib.seq2seq`` Decoder, BasicDecoder and dynamic_decode
(contrib/seq2seq/python/ops/decoder.py, basic_decoder.py).

dynamic_decode is TF1's: a tf.while_loop (core/control_flow_while.py) running
``decoder.step`` while some batch entry is unfinished, every step's outputs written to
TensorArrays, so it differentiates through minitf's while-loop gradient and its variables are
TF1's (``decoder/basic_lstm_cell/kernel``, ``decoder/dense/kernel``).
"""

from __future__ import annotations

import collections

import minitf as tf

from ..rnn_extra import _assert_like_rnncell
from .seq2seq_helper import Helper, _transpose_batch_time

__all__ = ["BasicDecoder", "BasicDecoderOutput", "Decoder", "dynamic_decode"]

_nest = tf.nest


def _static_value(x):
    return x if isinstance(x, int) else tf.get_static_value(x)


def _zero_state_tensors(size, batch_size, dtype):
    """Zeros of shape [batch_size] + size for every leaf of ``size`` (TF's
    rnn_cell_impl._zero_state_tensors), static where both are known."""
    def zeros(s):
        static_batch = _static_value(batch_size)
        if isinstance(s, tf.Tensor):  # a size known at run time (attention over [B, T?] memory)
            full = tf.stack([tf.cast(batch_size, tf.int32), tf.cast(s, tf.int32)])
            out = tf.zeros(full, dtype=dtype)
            static = _static_value(s)
            out.set_shape([static_batch, None if static is None else int(static)])
            return out
        shape = tf.TensorShape([s]) if isinstance(s, int) else tf.TensorShape(s)
        if static_batch is not None and shape.is_fully_defined():
            return tf.zeros([int(static_batch)] + shape.as_list(), dtype=dtype)
        full = tf.concat([tf.reshape(tf.cast(batch_size, tf.int32), [1]),
                          tf.constant(shape.as_list(), dtype=tf.int32)], 0)
        out = tf.zeros(full, dtype=dtype)
        out.set_shape(tf.TensorShape([static_batch]).concatenate(shape))
        return out
    return _map_sizes(zeros, size)


def _map_sizes(fn, sizes, *rest):
    """nest.map_structure over output sizes whose leaves are ints or TensorShapes."""
    if isinstance(sizes, tf.TensorShape) or not isinstance(sizes, (tuple, list)):
        return fn(sizes, *rest)
    made = [_map_sizes(fn, s, *(r[i] for r in rest)) for i, s in enumerate(sizes)]
    return type(sizes)(*made) if hasattr(sizes, "_fields") else type(sizes)(made)


def _rnn_output_size(cell, output_layer):
    """The size of a decoder's rnn_output: the cell's, or what ``output_layer`` makes of it."""
    size = cell.output_size
    if output_layer is None:
        return size
    shapes = _map_sizes(lambda s: tf.TensorShape([None]).concatenate(
        tf.TensorShape([s]) if isinstance(s, int) else s), size)
    return _map_sizes(lambda s: tf.TensorShape(s)[1:], output_layer.compute_output_shape(shapes))


class Decoder:
    """TF1's ``tf.contrib.seq2seq.Decoder``: what dynamic_decode runs (``initialize``,
    ``step``, optionally ``finalize``)."""

    @property
    def batch_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        raise NotImplementedError

    @property
    def output_dtype(self):
        raise NotImplementedError

    def initialize(self, name=None):
        """(finished, first_inputs, initial_state)."""
        raise NotImplementedError

    def step(self, time, inputs, state, name=None):
        """(outputs, next_state, next_inputs, finished)."""
        raise NotImplementedError

    def finalize(self, outputs, final_state, sequence_lengths):
        raise NotImplementedError

    @property
    def tracks_own_finished(self):
        return False


def dynamic_decode(decoder, output_time_major=False, impute_finished=False,
                   maximum_iterations=None, parallel_iterations=32, swap_memory=False,
                   scope=None):
    """TF1's ``tf.contrib.seq2seq.dynamic_decode``: ``decoder`` stepped in a tf.while_loop until
    every entry is finished (or ``maximum_iterations``). Returns (final_outputs, final_state,
    final_sequence_lengths); outputs [batch, time, ...] unless ``output_time_major``;
    ``impute_finished`` zeroes the outputs and keeps the state of finished entries."""
    if not isinstance(decoder, Decoder):
        raise TypeError(f"Expected decoder to be type Decoder, but saw: {type(decoder)}")
    with tf.variable_scope(scope, "decoder"):
        if maximum_iterations is not None:
            maximum_iterations = tf.convert_to_tensor(maximum_iterations, dtype=tf.int32,
                                                      name="maximum_iterations")
            if maximum_iterations.shape.rank != 0:
                raise ValueError("maximum_iterations must be a scalar")

        initial_finished, initial_inputs, initial_state = decoder.initialize()
        zero_outputs = _map_sizes(lambda s, d: _zero_state_tensors(s, decoder.batch_size, d),
                                  decoder.output_size, decoder.output_dtype)
        if maximum_iterations is not None:
            initial_finished = tf.logical_or(initial_finished, 0 >= maximum_iterations)
        initial_sequence_lengths = tf.zeros_like(initial_finished, dtype=tf.int32)
        initial_time = tf.constant(0, dtype=tf.int32)

        def _shape(batch_size, from_shape):
            if not isinstance(from_shape, tf.TensorShape) or from_shape.rank == 0:
                return None
            return tf.TensorShape([_static_value(batch_size)]).concatenate(from_shape)

        def _create_ta(s, d):
            return tf.TensorArray(dtype=d, size=0, dynamic_size=True,
                                  element_shape=_shape(decoder.batch_size, s))

        initial_outputs_ta = _map_sizes(_create_ta, decoder.output_size, decoder.output_dtype)

        def condition(unused_time, unused_outputs_ta, unused_state, unused_inputs, finished,
                      unused_sequence_lengths):
            return tf.logical_not(tf.reduce_all(finished))

        def body(time, outputs_ta, state, inputs, finished, sequence_lengths):
            next_outputs, decoder_state, next_inputs, decoder_finished = decoder.step(
                time, inputs, state)
            if decoder.tracks_own_finished:
                next_finished = decoder_finished
            else:
                next_finished = tf.logical_or(decoder_finished, finished)
            next_sequence_lengths = tf.where(
                tf.logical_not(finished), tf.fill(tf.shape(sequence_lengths), time + 1),
                sequence_lengths)
            _nest.assert_same_structure(state, decoder_state)
            _nest.assert_same_structure(outputs_ta, next_outputs)
            _nest.assert_same_structure(inputs, next_inputs)

            if impute_finished:
                emit = _nest.map_structure(lambda out, zero: tf.where(finished, zero, out),
                                           next_outputs, zero_outputs)
            else:
                emit = next_outputs

            def _maybe_copy_state(new, cur):
                # TensorArrays and scalars pass through.
                if isinstance(cur, tf.TensorArray):
                    return new
                new.set_shape(cur.shape)
                return new if new.shape.rank == 0 else tf.where(finished, cur, new)

            if impute_finished:
                next_state = _nest.map_structure(_maybe_copy_state, decoder_state, state)
            else:
                next_state = decoder_state
            outputs_ta = _nest.map_structure(lambda ta, out: ta.write(time, out), outputs_ta,
                                             emit)
            return (time + 1, outputs_ta, next_state, next_inputs, next_finished,
                    next_sequence_lengths)

        res = tf.while_loop(
            condition, body,
            loop_vars=(initial_time, initial_outputs_ta, initial_state, initial_inputs,
                       initial_finished, initial_sequence_lengths),
            parallel_iterations=parallel_iterations, maximum_iterations=maximum_iterations,
            swap_memory=swap_memory)
        final_outputs_ta, final_state, final_sequence_lengths = res[1], res[2], res[5]
        final_outputs = _nest.map_structure(lambda ta: ta.stack(), final_outputs_ta)
        try:
            final_outputs, final_state = decoder.finalize(final_outputs, final_state,
                                                          final_sequence_lengths)
        except NotImplementedError:
            pass
        if not output_time_major:
            final_outputs = _nest.map_structure(_transpose_batch_time, final_outputs)
    return final_outputs, final_state, final_sequence_lengths


class BasicDecoderOutput(collections.namedtuple("BasicDecoderOutput",
                                                ("rnn_output", "sample_id"))):
    """TF1's ``tf.contrib.seq2seq.BasicDecoderOutput``: (rnn_output, sample_id)."""


class BasicDecoder(Decoder):
    """TF1's ``tf.contrib.seq2seq.BasicDecoder``: ``cell`` (then ``output_layer``) stepped on
    the inputs ``helper`` gives, sampling through ``helper``."""

    def __init__(self, cell, helper, initial_state, output_layer=None):
        _assert_like_rnncell("cell", cell)
        if not isinstance(helper, Helper):
            raise TypeError(f"helper must be a Helper, received: {type(helper)}")
        if output_layer is not None and not isinstance(output_layer, tf.layers.Layer):
            raise TypeError(f"output_layer must be a Layer, received: {type(output_layer)}")
        self._cell = cell
        self._helper = helper
        self._initial_state = initial_state
        self._output_layer = output_layer

    @property
    def batch_size(self):
        return self._helper.batch_size

    def _rnn_output_size(self):
        return _rnn_output_size(self._cell, self._output_layer)

    @property
    def output_size(self):
        return BasicDecoderOutput(rnn_output=self._rnn_output_size(),
                                  sample_id=self._helper.sample_ids_shape)

    @property
    def output_dtype(self):
        dtype = _nest.flatten(self._initial_state)[0].dtype
        return BasicDecoderOutput(_map_sizes(lambda _: dtype, self._rnn_output_size()),
                                  self._helper.sample_ids_dtype)

    def initialize(self, name=None):
        return self._helper.initialize() + (self._initial_state,)

    def step(self, time, inputs, state, name=None):
        with tf.name_scope(name, "BasicDecoderStep", (time, inputs, state)):
            cell_outputs, cell_state = self._cell(inputs, state)
            if self._output_layer is not None:
                cell_outputs = self._output_layer(cell_outputs)
            sample_ids = self._helper.sample(time=time, outputs=cell_outputs, state=cell_state)
            finished, next_inputs, next_state = self._helper.next_inputs(
                time=time, outputs=cell_outputs, state=cell_state, sample_ids=sample_ids)
        outputs = BasicDecoderOutput(cell_outputs, sample_ids)
        return outputs, next_state, next_inputs, finished
