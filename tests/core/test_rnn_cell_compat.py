"""Cells written as TF 1.x's source writes them (probe findings on nmt, ConvLSTM and
alignment-history code): Layer keywords, TensorShape state sizes, MultiRNNCell's per-cell zero
states and TensorArray/scalar state entries in dynamic_rnn. References are hand values."""

import numpy as np
import pytest

import minitf as tf


class ConvLikeCell(tf.nn.rnn_cell.RNNCell):
    """As carlthome's ConvLSTMCell declares its sizes: TensorShapes; c accumulates x * w."""

    def __init__(self, reuse=None, name=None):
        super().__init__(_reuse=reuse, name=name)  # TF's own cells' spelling

    @property
    def state_size(self):
        return tf.nn.rnn_cell.LSTMStateTuple(tf.TensorShape([5, 5, 2]), tf.TensorShape([5, 5, 2]))

    @property
    def output_size(self):
        return tf.TensorShape([5, 5, 2])

    def call(self, x, state):
        w = tf.get_variable("w", [1], initializer=tf.constant_initializer(2.0))
        c = state.c + x * w
        return c, tf.nn.rnn_cell.LSTMStateTuple(c, state.h + 1.0)


def test_layer_keywords_and_tensor_shape_state_sizes():
    cell = ConvLikeCell()
    assert cell.trainable is True
    zeros = cell.zero_state(2, tf.float32)
    assert [z.shape.as_list() for z in zeros] == [[2, 5, 5, 2]] * 2
    n = tf.placeholder(tf.int32, [])
    assert [z.shape.as_list() for z in cell.zero_state(n, tf.float32)] == [[None, 5, 5, 2]] * 2
    x = np.arange(2 * 3 * 50, dtype=np.float32).reshape(2, 3, 5, 5, 2)
    out, state = tf.nn.dynamic_rnn(cell, tf.constant(x), dtype=tf.float32)
    assert out.shape.as_list() == [2, 3, 5, 5, 2] and state.h.shape.as_list() == [2, 5, 5, 2]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, (c, h), z = sess.run([out, state, zeros[0]], {n: 4})
    np.testing.assert_allclose(got, 2 * np.cumsum(x, axis=1))  # c_t = sum of 2 x up to t
    np.testing.assert_allclose(c, 2 * x.sum(axis=1))
    np.testing.assert_allclose(h, np.full((2, 5, 5, 2), 3.0))
    assert not z.any()
    with pytest.raises(TypeError, match="Keyword argument not understood: 'colour'"):
        tf.nn.rnn_cell.RNNCell(colour=1)


def test_multi_rnn_cell_asks_each_cell_for_its_zero_state():
    memory = tf.ones([2, 3, 4])
    attention = tf.contrib.seq2seq.AttentionWrapper(
        tf.nn.rnn_cell.BasicLSTMCell(4), tf.contrib.seq2seq.LuongAttention(4, memory))
    multi = tf.nn.rnn_cell.MultiRNNCell([attention, tf.nn.rnn_cell.BasicLSTMCell(4)])
    batch = tf.placeholder(tf.int32, [])
    zeros = multi.zero_state(batch, tf.float32)
    assert type(zeros[0]).__name__ == "AttentionWrapperState"  # the wrapper's own structure
    assert isinstance(zeros[1], tf.nn.rnn_cell.LSTMStateTuple)
    with tf.Session() as sess:
        first, second = sess.run([zeros[0].attention, zeros[1].c], {batch: 2})
    assert first.shape == (2, 4) and second.shape == (2, 4)
    assert not first.any() and not second.any()


@pytest.mark.parametrize("lengths", [None, [3, 2]])
def test_alignment_history_and_time_go_through_an_unrolled_dynamic_rnn(lengths):
    # Static time: dynamic_rnn unrolls; the AttentionWrapper's TensorArray and scalar time
    # pass through each step as TF's _copy_one_through lets them.
    s2s = tf.contrib.seq2seq
    cell = s2s.AttentionWrapper(tf.nn.rnn_cell.LSTMCell(4),
                                s2s.LuongAttention(4, tf.ones([2, 5, 4])), alignment_history=True)
    out, state = tf.nn.dynamic_rnn(cell, tf.ones([2, 3, 2]), sequence_length=lengths,
                                   initial_state=cell.zero_state(2, tf.float32))
    history = state.alignment_history.stack()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, time, alignments = sess.run([out, state.time, history])
    assert got.shape == (2, 3, 4) and time == 3 and alignments.shape == (3, 2, 5)
    np.testing.assert_allclose(alignments.sum(axis=2), np.ones((3, 2)), rtol=1e-6)  # softmax


def test_slim_has_contrib_layers_submodules():
    slim = tf.contrib.slim
    assert slim.utils is tf.contrib.layers.utils  # slim.nets' collect_named_outputs
    assert slim.layers.conv2d is slim.conv2d
    assert slim.initializers.xavier_initializer is slim.xavier_initializer
    assert slim.regularizers.l2_regularizer is slim.l2_regularizer


def test_cells_list_their_variables_as_tf_layers_do():
    # Texar and RL code read cell.trainable_variables (TF's cells are Layers): 2 for a
    # BasicLSTMCell, 4 for GRUCell, a MultiRNNCell's are its cells', a wrapper's its cell's.
    lstm, gru = tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.GRUCell(3)
    multi = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(3),
                                         tf.nn.rnn_cell.BasicLSTMCell(3)])
    dropout = tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.GRUCell(3))
    assert lstm.trainable_variables == [] and dropout.variables == []  # before the first call
    x = tf.ones([2, 4, 2])
    for i, cell in enumerate([lstm, gru, multi, dropout]):
        tf.nn.dynamic_rnn(cell, x, dtype=tf.float32, scope=f"r{i}")
    tf.get_variable("r0/basic_lstm_cell_extra", [1])  # another scope's name prefix: not its
    assert [v.op.name for v in lstm.trainable_variables] == [
        "r0/basic_lstm_cell/kernel", "r0/basic_lstm_cell/bias"]
    assert len(gru.weights) == 4 and len(multi.trainable_variables) == 4
    assert [v.op.name for v in multi.variables][:2] == [
        "r2/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
        "r2/multi_rnn_cell/cell_0/basic_lstm_cell/bias"]
    assert dropout.trainable_weights == dropout._cell.trainable_variables
    assert len(dropout.trainable_weights) == 4 and gru.non_trainable_variables == []
