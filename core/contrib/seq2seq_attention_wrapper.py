"""TF 1.15's ``tf.contrib.seq2seq.AttentionWrapper`` and ``AttentionWrapperState``
(contrib/seq2seq/python/ops/attention_wrapper.py).

An RNNCell (variable scope ``attention_wrapper``) that feeds its cell the input joined with the
previous attention, queries each attention mechanism with the cell's output, and makes the new
attention from the alignments' context (through ``attention_layer``, a bias-free Dense named
``attention_layer``, when ``attention_layer_size`` is given).
"""

from __future__ import annotations

import collections

import minitf as tf

from .seq2seq_attention import AttentionMechanism, _dim
from .seq2seq_decoder import _assert_like_rnncell, _zero_state_tensors

__all__ = ["AttentionWrapper", "AttentionWrapperState"]

_nest = tf.nest


class AttentionWrapperState(collections.namedtuple(
        "AttentionWrapperState", ("cell_state", "attention", "time", "alignments",
                                  "alignment_history", "attention_state"))):
    """TF1's ``tf.contrib.seq2seq.AttentionWrapperState``: the wrapped cell's state, the last
    attention, the step, the alignments (and their history), the mechanisms' states."""

    def clone(self, **kwargs):
        """A copy with some fields replaced; a replacing tensor takes the static shape of the
        one it replaces (ValueError if they are incompatible), as TF's."""
        def with_same_shape(old, new):
            if isinstance(old, tf.Tensor) and isinstance(new, tf.Tensor):
                if not old.shape.is_compatible_with(new.shape):
                    raise ValueError(f"Shapes {old.shape} and {new.shape} are incompatible")
                new.set_shape(old.shape)
            return new

        replaced = super()._replace(**kwargs)
        return type(self)(*[_nest.map_structure(with_same_shape, old, new)
                            if not isinstance(old, tf.TensorArray) else new
                            for old, new in zip(self, replaced)])


def _compute_attention(attention_mechanism, cell_output, attention_state, attention_layer):
    """(attention, alignments, next_attention_state) of one mechanism (TF's
    _compute_attention)."""
    alignments, next_attention_state = attention_mechanism(cell_output, state=attention_state)
    expanded_alignments = tf.expand_dims(alignments, 1)
    context_ = tf.squeeze(tf.matmul(expanded_alignments, attention_mechanism.values), [1])
    if attention_layer is not None:
        attention = attention_layer(tf.concat([cell_output, context_], 1))
    else:
        attention = context_
    return attention, alignments, next_attention_state


class AttentionWrapper(tf.nn.rnn_cell.RNNCell):
    """TF1's ``tf.contrib.seq2seq.AttentionWrapper``: ``cell`` with attention over one or more
    AttentionMechanisms."""

    _base_name = "attention_wrapper"

    def __init__(self, cell, attention_mechanism, attention_layer_size=None,
                 alignment_history=False, cell_input_fn=None, output_attention=True,
                 initial_cell_state=None, name=None, attention_layer=None, attention_fn=None):
        super().__init__(name=name)
        _assert_like_rnncell("cell", cell)
        if isinstance(attention_mechanism, (list, tuple)):
            self._is_multi = True
            attention_mechanisms = tuple(attention_mechanism)
            for mechanism in attention_mechanisms:
                if not isinstance(mechanism, AttentionMechanism):
                    raise TypeError("attention_mechanism must contain only instances of "
                                    "AttentionMechanism, saw type: "
                                    f"{type(mechanism).__name__}")
        else:
            self._is_multi = False
            if not isinstance(attention_mechanism, AttentionMechanism):
                raise TypeError("attention_mechanism must be an AttentionMechanism or list of "
                                "multiple AttentionMechanism instances, saw type: "
                                f"{type(attention_mechanism).__name__}")
            attention_mechanisms = (attention_mechanism,)

        if cell_input_fn is None:
            cell_input_fn = lambda inputs, attention: tf.concat([inputs, attention], -1)  # noqa: E731
        elif not callable(cell_input_fn):
            raise TypeError("cell_input_fn must be callable, saw type: "
                            f"{type(cell_input_fn).__name__}")

        if attention_layer_size is not None and attention_layer is not None:
            raise ValueError("Only one of attention_layer_size and attention_layer should be "
                             "set")
        if attention_layer_size is not None:
            sizes = tuple(attention_layer_size if isinstance(attention_layer_size, (list, tuple))
                          else (attention_layer_size,))
            if len(sizes) != len(attention_mechanisms):
                raise ValueError("If provided, attention_layer_size must contain exactly one "
                                 "integer per attention_mechanism, saw: "
                                 f"{len(sizes)} vs {len(attention_mechanisms)}")
            self._attention_layers = tuple(
                tf.layers.Dense(size, name="attention_layer", use_bias=False,
                                dtype=attention_mechanisms[i].dtype)
                for i, size in enumerate(sizes))
            self._attention_layer_size = sum(sizes)
        elif attention_layer is not None:
            self._attention_layers = tuple(attention_layer if isinstance(attention_layer,
                                                                         (list, tuple))
                                           else (attention_layer,))
            if len(self._attention_layers) != len(attention_mechanisms):
                raise ValueError("If provided, attention_layer must contain exactly one layer "
                                 "per attention_mechanism, saw: "
                                 f"{len(self._attention_layers)} vs {len(attention_mechanisms)}")
            self._attention_layer_size = sum(
                tf.TensorShape(layer.compute_output_shape(tf.TensorShape(
                    [None, cell.output_size + mechanism.values.shape[-1].value])))[-1].value
                for layer, mechanism in zip(self._attention_layers, attention_mechanisms))
        else:
            self._attention_layers = None
            self._attention_layer_size = sum(m.values.shape[-1].value
                                             for m in attention_mechanisms)

        self._attention_fn = attention_fn or _compute_attention
        self._cell = cell
        self._attention_mechanisms = attention_mechanisms
        self._cell_input_fn = cell_input_fn
        self._output_attention = output_attention
        self._alignment_history = alignment_history
        with tf.name_scope(name, "AttentionWrapperInit"):
            if initial_cell_state is None:
                self._initial_cell_state = None
            else:
                final_state_tensor = _nest.flatten(initial_cell_state)[-1]
                state_batch_size = _dim(final_state_tensor, 0)
                error_message = (
                    f"When constructing AttentionWrapper {self._base_name}: Non-matching batch "
                    "sizes between the memory (encoder output) and initial_cell_state.  Are "
                    "you using the BeamSearchDecoder?  You may need to tile your initial state "
                    "via the tf.contrib.seq2seq.tile_batch function with argument "
                    "multiple=beam_width.")
                with tf.control_dependencies(self._batch_size_checks(state_batch_size,
                                                                     error_message)):
                    self._initial_cell_state = _nest.map_structure(
                        lambda s: tf.identity(s, name="check_initial_cell_state"),
                        initial_cell_state)

    def _batch_size_checks(self, batch_size, error_message):
        return [tf.assert_equal(batch_size, m.batch_size, message=error_message)
                for m in self._attention_mechanisms]

    def _item_or_tuple(self, seq):
        t = tuple(seq)
        return t if self._is_multi else t[0]

    @property
    def output_size(self):
        return self._attention_layer_size if self._output_attention else self._cell.output_size

    @property
    def state_size(self):
        return AttentionWrapperState(
            cell_state=self._cell.state_size, time=tf.TensorShape([]),
            attention=self._attention_layer_size,
            alignments=self._item_or_tuple(a.alignments_size
                                           for a in self._attention_mechanisms),
            attention_state=self._item_or_tuple(a.state_size
                                                for a in self._attention_mechanisms),
            alignment_history=self._item_or_tuple(
                a.alignments_size if self._alignment_history else ()
                for a in self._attention_mechanisms))

    def zero_state(self, batch_size, dtype):
        """The initial AttentionWrapperState: the cell's zero (or ``initial_cell_state``),
        zero attention, each mechanism's initial alignments, empty histories."""
        with tf.name_scope(type(self).__name__ + "ZeroState", values=[batch_size]):
            if self._initial_cell_state is not None:
                cell_state = self._initial_cell_state
            else:
                cell_state = self._cell.zero_state(batch_size, dtype)
            error_message = (
                f"When calling zero_state of AttentionWrapper {self._base_name}: Non-matching "
                "batch sizes between the memory (encoder output) and the requested batch size."
                "  Are you using the BeamSearchDecoder?  If so, make sure your encoder output "
                "has been tiled to beam_width via tf.contrib.seq2seq.tile_batch, and the "
                "batch_size= argument passed to zero_state is batch_size * beam_width.")
            with tf.control_dependencies(self._batch_size_checks(batch_size, error_message)):
                cell_state = _nest.map_structure(
                    lambda s: tf.identity(s, name="checked_cell_state"), cell_state)
            initial_alignments = [m.initial_alignments(batch_size, dtype)
                                  for m in self._attention_mechanisms]
            return AttentionWrapperState(
                cell_state=cell_state, time=tf.zeros([], dtype=tf.int32),
                attention=_zero_state_tensors(self._attention_layer_size, batch_size, dtype),
                alignments=self._item_or_tuple(initial_alignments),
                attention_state=self._item_or_tuple(m.initial_state(batch_size, dtype)
                                                    for m in self._attention_mechanisms),
                alignment_history=self._item_or_tuple(
                    tf.TensorArray(dtype, size=0, dynamic_size=True,
                                   element_shape=alignment.shape)
                    if self._alignment_history else ()
                    for alignment in initial_alignments))

    def call(self, inputs, state):
        """One step: (output, next AttentionWrapperState)."""
        if not isinstance(state, AttentionWrapperState):
            raise TypeError("Expected state to be instance of AttentionWrapperState. "
                            f"Received type {type(state)} instead.")
        cell_inputs = self._cell_input_fn(inputs, state.attention)
        cell_output, next_cell_state = self._cell(cell_inputs, state.cell_state)
        cell_batch_size = _dim(cell_output, 0)
        error_message = (
            f"When applying AttentionWrapper {self._scope.name.split('/')[-1]}: Non-matching "
            "batch sizes between the memory (encoder output) and the query (decoder output).  "
            "Are you using the BeamSearchDecoder?  You may need to tile your memory input via "
            "the tf.contrib.seq2seq.tile_batch function with argument multiple=beam_width.")
        with tf.control_dependencies(self._batch_size_checks(cell_batch_size, error_message)):
            cell_output = tf.identity(cell_output, name="checked_cell_output")

        if self._is_multi:
            previous_attention_state = state.attention_state
            previous_alignment_history = state.alignment_history
        else:
            previous_attention_state = [state.attention_state]
            previous_alignment_history = [state.alignment_history]

        all_alignments, all_attentions, all_attention_states, maybe_all_histories = \
            [], [], [], []
        for i, mechanism in enumerate(self._attention_mechanisms):
            attention, alignments, next_attention_state = self._attention_fn(
                mechanism, cell_output, previous_attention_state[i],
                self._attention_layers[i] if self._attention_layers else None)
            alignment_history = previous_alignment_history[i].write(
                state.time, alignments) if self._alignment_history else ()
            all_attention_states.append(next_attention_state)
            all_alignments.append(alignments)
            all_attentions.append(attention)
            maybe_all_histories.append(alignment_history)

        attention = tf.concat(all_attentions, 1)
        next_state = AttentionWrapperState(
            time=state.time + 1, cell_state=next_cell_state, attention=attention,
            attention_state=self._item_or_tuple(all_attention_states),
            alignments=self._item_or_tuple(all_alignments),
            alignment_history=self._item_or_tuple(maybe_all_histories))
        if self._output_attention:
            return attention, next_state
        return cell_output, next_state
