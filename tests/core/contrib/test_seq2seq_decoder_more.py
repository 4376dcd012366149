"""tf.contrib.seq2seq scheduled-sampling helpers (replayed in numpy), errors, training through
dynamic_decode (loss decreases; numerical gradients), and a side-by-side run against
tf.compat.v1's LSTM cell and dense layer in a Python loop with the same weights."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import seq2seq

from .test_seq2seq_decoder import _dense, _rnn, _values

R = np.random.default_rng(29)
B, T, D, U, V = 3, 4, 2, 4, 6


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        yield


def _decode(helper, units, output_layer=None, batch=B, **kwargs):
    cell = tf.nn.rnn_cell.BasicRNNCell(units)
    decoder = seq2seq.BasicDecoder(cell, helper, cell.zero_state(batch, tf.float32),
                                   output_layer)
    return seq2seq.dynamic_decode(decoder, **kwargs)


def _run_with_values(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed), _values(sess)


def test_scheduled_embedding_helper_probability_zero_is_teacher_forcing():
    x_np = R.standard_normal((B, T, D)).astype(np.float32)
    emb = tf.get_variable("embedding", [V, D])
    helper = seq2seq.ScheduledEmbeddingTrainingHelper(x_np, [4, 4, 2], emb, 0.0, seed=1,
                                                      scheduling_seed=2)
    outputs, _, _ = _decode(helper, U, tf.layers.Dense(V))
    got, w = _run_with_values(outputs)
    np.testing.assert_array_equal(got.sample_id, -np.ones((B, T)))
    h = np.zeros((B, U), np.float32)
    for t in range(T):
        h = _rnn(w, "decoder", x_np[:, t], h)
        np.testing.assert_allclose(got.rnn_output[:, t], _dense(w, "decoder", h), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("probability", [1.0, 0.5])
def test_scheduled_embedding_helper_replay(probability):
    x_np = R.standard_normal((B, T, D)).astype(np.float32)
    emb = tf.get_variable("embedding", [V, D])
    helper = seq2seq.ScheduledEmbeddingTrainingHelper(x_np, [T] * B, emb, probability,
                                                      seed=1, scheduling_seed=2)
    outputs, _, _ = _decode(helper, U, tf.layers.Dense(V))
    got, w = _run_with_values(outputs)
    if probability == 1.0:
        assert (got.sample_id >= 0).all()
    h, inputs = np.zeros((B, U), np.float32), x_np[:, 0]
    for t in range(T):
        h = _rnn(w, "decoder", inputs, h)
        np.testing.assert_allclose(got.rnn_output[:, t], _dense(w, "decoder", h), rtol=1e-5,
                                   atol=1e-6)
        if t + 1 < T:
            ids = got.sample_id[:, t]
            inputs = np.where((ids > -1)[:, None], w["embedding"][np.maximum(ids, 0)],
                              x_np[:, t + 1])


@pytest.mark.parametrize("with_fn, with_aux", [(False, False), (True, False), (False, True),
                                                (True, True)])
def test_scheduled_output_helper_replay(with_fn, with_aux):
    aux_depth = 1 if with_aux else 0
    x_np = R.standard_normal((B, T, D)).astype(np.float32)
    aux_np = R.standard_normal((B, T, aux_depth)).astype(np.float32)
    helper = seq2seq.ScheduledOutputTrainingHelper(
        x_np, [T] * B, 0.5, seed=3, next_inputs_fn=(lambda o: 2.0 * o) if with_fn else None,
        auxiliary_inputs=aux_np if with_aux else None)
    outputs, _, _ = _decode(helper, D)
    got, w = _run_with_values(outputs)
    assert got.sample_id.dtype == np.int32 and set(np.unique(got.sample_id)) <= {0, 1}
    full = np.concatenate([x_np, aux_np], -1)
    h, inputs = np.zeros((B, D), np.float32), full[:, 0]
    for t in range(T):
        h = _rnn(w, "decoder", inputs, h)
        np.testing.assert_allclose(got.rnn_output[:, t], h, rtol=1e-5, atol=1e-6)
        if t + 1 < T:
            fed = np.concatenate([2.0 * h if with_fn else h, aux_np[:, t + 1]], -1)
            inputs = np.where(got.sample_id[:, t][:, None].astype(bool), fed, full[:, t + 1])


def test_constructor_and_argument_errors():
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    helper = seq2seq.TrainingHelper(tf.zeros([2, 3, D]), [3, 3])
    with pytest.raises(TypeError, match="Expected decoder to be type Decoder"):
        seq2seq.dynamic_decode(helper)
    with pytest.raises(TypeError, match="helper must be a Helper"):
        seq2seq.BasicDecoder(cell, object(), cell.zero_state(2, tf.float32))
    with pytest.raises(TypeError, match="output_layer must be a Layer"):
        seq2seq.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32), output_layer=len)
    with pytest.raises(TypeError, match="is not an RNNCell"):
        seq2seq.BasicDecoder(object(), helper, None)
    with pytest.raises(ValueError, match="Expected sequence_length to be a vector"):
        seq2seq.TrainingHelper(tf.zeros([2, 3, D]), [[3, 3]])
    emb = tf.zeros([V, D])
    with pytest.raises(ValueError, match="start_tokens must be a vector"):
        seq2seq.GreedyEmbeddingHelper(emb, 1, 0)
    with pytest.raises(ValueError, match="end_token must be a scalar"):
        seq2seq.GreedyEmbeddingHelper(emb, [1], [0])
    with pytest.raises(TypeError, match="Expected outputs to be a single Tensor"):
        seq2seq.GreedyEmbeddingHelper(emb, [1], 0).sample(0, (tf.zeros([1, V]),), None)
    with pytest.raises(ValueError, match="sampling_probability must be either a scalar or a "
                                         "vector"):
        seq2seq.ScheduledOutputTrainingHelper(tf.zeros([2, 3, D]), [3, 3], [[0.5]])
    decoder = seq2seq.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32))
    with pytest.raises(ValueError, match="maximum_iterations must be a scalar"):
        seq2seq.dynamic_decode(decoder, maximum_iterations=[3])


def _training_graph(dtype=tf.float32):
    """Teacher-forced decoder of a copy task: loss and its pieces."""
    x_np = R.standard_normal((B, T, D))
    targets = R.integers(0, V, (B, T)).astype(np.int32)
    x = tf.constant(x_np, dtype=dtype)
    cell = tf.nn.rnn_cell.BasicLSTMCell(U, dtype=dtype)
    helper = seq2seq.TrainingHelper(x, tf.constant([4, 3, 2]))
    decoder = seq2seq.BasicDecoder(cell, helper, cell.zero_state(B, dtype),
                                   tf.layers.Dense(V, dtype=dtype))
    outputs, _, lengths = seq2seq.dynamic_decode(decoder, impute_finished=True)
    weights = tf.sequence_mask(lengths, T, dtype=dtype)
    loss = seq2seq.sequence_loss(outputs.rnn_output, targets, weights)
    return x, outputs, loss


def test_training_through_dynamic_decode_reduces_loss():
    _, _, loss = _training_graph()
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss)
        for _ in range(60):
            sess.run(train)
        last = sess.run(loss)
    assert last < 0.5 * first


def test_numerical_gradient_through_dynamic_decode():
    x, outputs, loss = _training_graph(tf.float64)
    kernel = [v for v in tf.trainable_variables() if "lstm_cell/kernel" in v.name][0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        err_x = tf.test.compute_gradient_error(x, [B, T, D], loss, [], delta=1e-6)
        err_k = tf.test.compute_gradient_error(kernel, kernel.shape.as_list(), loss, [],
                                               delta=1e-6)
    assert err_x < 1e-7 and err_k < 1e-7


_PRELUDE = """
import sys
import numpy as np
import tensorflow.compat.v1 as tf1
tf1.disable_eager_execution()
inp = {k.replace("|", "/"): v for k, v in np.load(sys.argv[1]).items()}
out = {}


def fixed(getter, name, *args, **kwargs):
    # every variable starts from minitf's value of the same name
    kwargs["initializer"] = tf1.constant_initializer(inp[name])
    return getter(name, *args, **kwargs)
"""


def run_tf1(code, tmp_path, **arrays):
    """``code`` run by tf.compat.v1 with Keras 2 (its rnn_cell and layers; TF 2.16+ needs
    TF_USE_LEGACY_KERAS before the import, hence a process of its own) on ``arrays`` (as
    ``inp``, variable names with '/'); returns the ``out`` dict it fills."""
    import importlib.util
    import os
    import subprocess
    import sys
    import textwrap

    if importlib.util.find_spec("tf_keras") is None or \
            importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow and tf_keras")
    np.savez(tmp_path / "in.npz", **{k.replace("/", "|"): v for k, v in arrays.items()})
    script = _PRELUDE + textwrap.dedent(code) + "\nnp.savez(sys.argv[2], **out)\n"
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "in.npz"),
                           str(tmp_path / "out.npz")], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, TF_USE_LEGACY_KERAS="1",
                                                TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(tmp_path / "out.npz"))


def test_lstm_decoding_matches_tf_compat_v1_python_loop(tmp_path):
    """Teacher forcing and greedy decoding with an LSTM cell and an output layer, the same
    weights in both: minitf's dynamic_decode against tf.compat.v1's cell in a Python loop."""
    x_np = R.standard_normal((B, T, D)).astype(np.float32)
    emb_np = R.standard_normal((V, D)).astype(np.float32)
    cell = tf.nn.rnn_cell.BasicLSTMCell(U)
    dense = tf.layers.Dense(V)
    teacher = seq2seq.BasicDecoder(cell, seq2seq.TrainingHelper(x_np, [T] * B),
                                   cell.zero_state(B, tf.float32), dense)
    out_t, state_t, _ = seq2seq.dynamic_decode(teacher)
    greedy = seq2seq.BasicDecoder(cell, seq2seq.GreedyEmbeddingHelper(emb_np, [0, 1, 2], V + 1),
                                  cell.zero_state(B, tf.float32), dense)
    out_g, _, _ = seq2seq.dynamic_decode(greedy, maximum_iterations=T, scope="decoder")
    (got_t, got_state, got_g), w = _run_with_values([out_t, state_t, out_g])
    want = run_tf1(f"""
        B, T, U, V = {B}, {T}, {U}, {V}
        cell = tf1.nn.rnn_cell.BasicLSTMCell(U)
        with tf1.variable_scope("decoder", custom_getter=fixed):
            state, outs = cell.zero_state(B, tf1.float32), []
            for t in range(T):
                h, state = cell(tf1.constant(inp["x"][:, t]), state)
                outs.append(tf1.layers.dense(h, V, name="dense", reuse=t > 0))
            final = state
            state, ids = cell.zero_state(B, tf1.float32), []
            inputs = tf1.nn.embedding_lookup(inp["emb"], [0, 1, 2])
            for t in range(T):
                h, state = cell(inputs, state)
                step = tf1.argmax(tf1.layers.dense(h, V, name="dense", reuse=True), -1,
                                  output_type=tf1.int32)
                ids.append(step)
                inputs = tf1.nn.embedding_lookup(inp["emb"], step)
        names = sorted(v.op.name for v in tf1.global_variables())
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            out["teacher"], out["c"], out["h"], out["greedy"] = sess.run(
                [tf1.stack(outs, 1), final.c, final.h, tf1.stack(ids, 1)])
        out["names"] = np.array(names)
    """, tmp_path, x=x_np, emb=emb_np, **w)
    assert sorted(w) == want["names"].tolist()  # TF1's variable names
    np.testing.assert_allclose(got_t.rnn_output, want["teacher"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.h, want["h"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.c, want["c"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_g.sample_id, want["greedy"])
