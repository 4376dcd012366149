"""MultiRNNCell(state_is_tuple=False): the cells' states side by side in one tensor, as TF1's
(deprecated) flag gives them. Checked against the tuple-state cell with the same weights; the
comparison with TensorFlow is the "multi_concat" cell of tests/core/data/rnn_against_tf.py."""

from __future__ import annotations

import numpy as np
import pytest

import minitf as tf

X = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)


def final_state(m, state_is_tuple, lengths=(5, 3)):
    cells = [m.nn.rnn_cell.GRUCell(2), m.nn.rnn_cell.LSTMCell(4, state_is_tuple=False)]
    cell = m.nn.rnn_cell.MultiRNNCell(cells, state_is_tuple=state_is_tuple)
    outputs, state = m.nn.dynamic_rnn(cell, m.constant(X), sequence_length=list(lengths),
                                      dtype=m.float32)
    return cell, outputs, state


def run_with_weights(m, state_is_tuple):
    """Runs the stack with weights set from a seeded generator by variable name."""
    with m.Graph().as_default():
        cell, outputs, state = final_state(m, state_is_tuple)
        with m.Session() as sess:
            sess.run(m.global_variables_initializer())
            for v in sorted(m.trainable_variables(), key=lambda v: v.name):
                seed = sum(map(ord, v.name))
                sess.run(v.assign(np.random.default_rng(seed).uniform(
                    -0.5, 0.5, v.shape.as_list()).astype(np.float32)))
            return cell.state_size, sess.run([outputs, state])


def test_concatenated_state_is_the_tuple_states_side_by_side():
    size, (out, state) = run_with_weights(tf, False)
    _, (out_t, (gru, lstm)) = run_with_weights(tf, True)
    assert size == 2 + 8 and state.shape == (2, 10)
    np.testing.assert_allclose(out, out_t, rtol=1e-6)
    np.testing.assert_allclose(state, np.concatenate([gru, lstm], axis=1), rtol=1e-6)


def test_tuple_states_are_refused_without_the_flag():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="Some cells return tuples"):
        tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(2)], state_is_tuple=False)
