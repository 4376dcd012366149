"""tf.contrib.seq2seq helpers, BasicDecoder and dynamic_decode against numpy: the same cell run
step by step with the variables' values read back from the session (teacher forcing, greedy
argmax chains, replays of sampled ids), and side by side with tf.compat.v1's cells in a Python
loop (TF 2 has no contrib.seq2seq)."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import seq2seq

R = np.random.default_rng(23)
B, T, D, U, V = 3, 5, 2, 4, 6


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _values(sess):
    return {v.op.name: sess.run(v) for v in tf.global_variables()}


def _rnn(w, prefix, x, h):
    """BasicRNNCell: tanh([x, h] K + b)."""
    return np.tanh(np.concatenate([x, h], 1) @ w[f"{prefix}/basic_rnn_cell/kernel"]
                   + w[f"{prefix}/basic_rnn_cell/bias"])


def _dense(w, prefix, x):
    return x @ w[f"{prefix}/dense/kernel"] + w[f"{prefix}/dense/bias"]


def _teacher_forcing_ref(w, x, lengths, impute):
    steps = max(lengths.max(), 1)
    h = np.zeros((len(lengths), U), np.float32)
    outs, ids = [], []
    for t in range(steps):
        finished = t >= lengths
        new_h = _rnn(w, "decoder", x[:, t], h)
        logits = _dense(w, "decoder", new_h)
        sample = logits.argmax(-1)
        if impute:
            logits = np.where(finished[:, None], 0.0, logits)
            sample = np.where(finished, 0, sample)
            new_h = np.where(finished[:, None], h, new_h)
        outs.append(logits)
        ids.append(sample)
        h = new_h
    return np.stack(outs, 1), np.stack(ids, 1), h


@pytest.mark.parametrize("impute", [False, True])
@pytest.mark.parametrize("time_major", [False, True])
def test_training_helper_teacher_forcing(impute, time_major):
    x_np = R.standard_normal((B, T, D)).astype(np.float32)
    lengths_np = np.array([5, 3, 1], np.int32)
    x = tf.placeholder(tf.float32, [None, None, D] if not time_major else [None, B, D])
    lengths = tf.placeholder(tf.int32, [B])
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    helper = seq2seq.TrainingHelper(x, lengths, time_major=time_major)
    decoder = seq2seq.BasicDecoder(cell, helper, cell.zero_state(B, tf.float32),
                                   output_layer=tf.layers.Dense(V))
    assert decoder.output_size.rnn_output.as_list() == [V]
    outputs, state, seq_lengths = seq2seq.dynamic_decode(
        decoder, output_time_major=time_major, impute_finished=impute)
    assert isinstance(outputs, seq2seq.BasicDecoderOutput)
    assert outputs.rnn_output.shape.as_list() == ([B, None, V] if not time_major
                                                  else [None, B, V])
    assert outputs.sample_id.dtype == tf.int32
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "decoder/basic_rnn_cell/bias", "decoder/basic_rnn_cell/kernel", "decoder/dense/bias",
        "decoder/dense/kernel"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feed = {x: x_np.transpose(1, 0, 2) if time_major else x_np, lengths: lengths_np}
        got_out, got_state, got_len = sess.run([outputs, state, seq_lengths], feed)
        w = _values(sess)
    want_out, want_ids, want_h = _teacher_forcing_ref(w, x_np, lengths_np, impute)
    if time_major:
        got_out = seq2seq.BasicDecoderOutput(got_out.rnn_output.transpose(1, 0, 2),
                                             got_out.sample_id.T)
    np.testing.assert_allclose(got_out.rnn_output, want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_out.sample_id, want_ids)
    np.testing.assert_allclose(got_state, want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_len, lengths_np)


def test_all_zero_lengths_decode_nothing():
    x = tf.placeholder(tf.float32, [2, None, D])
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    decoder = seq2seq.BasicDecoder(cell, seq2seq.TrainingHelper(x, [0, 0]),
                                   cell.zero_state(2, tf.float32))
    outputs, state, lengths = seq2seq.dynamic_decode(decoder)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([outputs.rnn_output, state, lengths], {x: np.ones((2, 3, D))})
    assert got[0].shape == (2, 0, U)
    np.testing.assert_array_equal(got[1], np.zeros((2, U)))
    np.testing.assert_array_equal(got[2], [0, 0])


def _greedy_ref(w, emb, start, end, max_iter, embed_fn=None):
    h = np.zeros((len(start), U), np.float32)
    inputs = emb[start]
    finished = np.zeros(len(start), bool)
    lengths = np.zeros(len(start), np.int32)
    outs, ids = [], []
    for t in range(max_iter):
        if finished.all():
            break
        h = _rnn(w, "decoder", inputs, h)
        logits = _dense(w, "decoder", h)
        sample = logits.argmax(-1)
        lengths = np.where(finished, lengths, t + 1)
        finished = finished | (sample == end)
        outs.append(logits)
        ids.append(sample)
        inputs = emb[sample]
    return np.stack(outs, 1), np.stack(ids, 1), lengths


@pytest.mark.parametrize("end_token", [0, 1, 2, 3])
def test_greedy_embedding_helper_argmax_chain(end_token):
    emb = tf.get_variable("embedding", [V, D])
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    helper = seq2seq.GreedyEmbeddingHelper(emb, tf.constant([1, 2, 3]), end_token)
    decoder = seq2seq.BasicDecoder(cell, helper, cell.zero_state(B, tf.float32),
                                   tf.layers.Dense(V))
    outputs, _, lengths = seq2seq.dynamic_decode(decoder, maximum_iterations=7)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_out, got_len = sess.run([outputs, lengths])
        w = _values(sess)
    want_out, want_ids, want_len = _greedy_ref(w, w["embedding"], np.array([1, 2, 3]),
                                               end_token, 7)
    np.testing.assert_allclose(got_out.rnn_output, want_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_out.sample_id, want_ids)
    np.testing.assert_array_equal(got_len, want_len)


def test_maximum_iterations_zero_and_tensor():
    emb = tf.get_variable("embedding", [V, D])
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    limit = tf.placeholder(tf.int32, [])
    decoder = seq2seq.BasicDecoder(cell, seq2seq.GreedyEmbeddingHelper(emb, [1, 2], V + 1),
                                   cell.zero_state(2, tf.float32))
    outputs, _, lengths = seq2seq.dynamic_decode(decoder, maximum_iterations=limit,
                                                 swap_memory=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for n in (0, 3):
            out, got_len = sess.run([outputs.sample_id, lengths], {limit: n})
            assert out.shape == (2, n)
            np.testing.assert_array_equal(got_len, [n, n])  # end token never sampled


def test_sample_embedding_helper_replays_and_cold_temperature_is_greedy():
    emb = tf.get_variable("embedding", [V, D])
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    dense = tf.layers.Dense(V)
    sampled = seq2seq.BasicDecoder(
        cell, seq2seq.SampleEmbeddingHelper(emb, [1, 2, 3], V + 1, seed=7),
        cell.zero_state(B, tf.float32), dense)
    out_s, _, _ = seq2seq.dynamic_decode(sampled, maximum_iterations=6)
    cold = seq2seq.BasicDecoder(
        cell, seq2seq.SampleEmbeddingHelper(emb, [1, 2, 3], V + 1, softmax_temperature=1e-7),
        cell.zero_state(B, tf.float32), dense)
    out_c, _, _ = seq2seq.dynamic_decode(cold, maximum_iterations=6, scope="decoder")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_s, got_c = sess.run([out_s, out_c])
        w = _values(sess)
    # Replay: the cell fed the embedding of each step's sampled id gives the same logits.
    h, inputs = np.zeros((B, U), np.float32), w["embedding"][[1, 2, 3]]
    for t in range(6):
        h = _rnn(w, "decoder", inputs, h)
        np.testing.assert_allclose(got_s.rnn_output[:, t], _dense(w, "decoder", h),
                                   rtol=1e-5, atol=1e-6)
        inputs = w["embedding"][got_s.sample_id[:, t]]
    assert got_s.sample_id.min() >= 0 and got_s.sample_id.max() < V
    _, want_ids, _ = _greedy_ref(w, w["embedding"], np.array([1, 2, 3]), V + 1, 6)
    np.testing.assert_array_equal(got_c.sample_id, want_ids)


def test_inference_helper_continuous_outputs():
    cell = tf.nn.rnn_cell.BasicRNNCell(D)
    start = np.full((2, D), 0.5, np.float32)
    helper = seq2seq.InferenceHelper(
        sample_fn=lambda outputs: outputs, sample_shape=[D], sample_dtype=tf.float32,
        start_inputs=start, end_fn=lambda sample_ids: sample_ids[:, 0] > 0.3)
    decoder = seq2seq.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32))
    assert decoder.output_size.sample_id.as_list() == [D]
    outputs, _, lengths = seq2seq.dynamic_decode(decoder, maximum_iterations=5)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, got_len = sess.run([outputs, lengths])
        w = _values(sess)
    h, inputs, finished = np.zeros((2, D), np.float32), start, np.zeros(2, bool)
    want_len = np.zeros(2, np.int32)
    for t in range(got.rnn_output.shape[1]):
        h = _rnn(w, "decoder", inputs, h)
        np.testing.assert_allclose(got.sample_id[:, t], h, rtol=1e-5, atol=1e-6)
        want_len = np.where(finished, want_len, t + 1)
        finished |= h[:, 0] > 0.3
        inputs = h
    np.testing.assert_array_equal(got_len, want_len)
    assert finished.all() or got.rnn_output.shape[1] == 5


def test_custom_helper():
    x_np = R.standard_normal((2, 3, D)).astype(np.float32)
    x = tf.constant(x_np)
    helper = seq2seq.CustomHelper(
        initialize_fn=lambda: (tf.constant([False, False]), x[:, 0]),
        sample_fn=lambda time, outputs, state: tf.argmax(outputs, -1, output_type=tf.int32),
        next_inputs_fn=lambda time, outputs, state, sample_ids: (
            tf.fill([2], time + 1 >= 3), x[:, tf.minimum(time + 1, 2)], state))
    with pytest.raises(ValueError, match="batch_size accessed before initialize was called"):
        helper.batch_size  # noqa: B018
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    decoder = seq2seq.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32))
    outputs, _, lengths = seq2seq.dynamic_decode(decoder)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, got_len = sess.run([outputs, lengths])
        w = _values(sess)
    h = np.zeros((2, U), np.float32)
    for t in range(3):
        h = _rnn(w, "decoder", x_np[:, t], h)
        np.testing.assert_allclose(got.rnn_output[:, t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got.sample_id, got.rnn_output.argmax(-1))
    np.testing.assert_array_equal(got_len, [3, 3])
