"""tf.contrib.seq2seq.BeamSearchDecoder against brute force on a tiny vocabulary (every
sequence scored, the top beam_width kept), against a list-of-hypotheses numpy beam search (end
tokens, length penalty), and with attention over tiled memory against teacher-forced rescoring
of the beams it returns."""

import itertools

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import seq2seq
from minitf.contrib.seq2seq_beam import _get_scores

from .test_seq2seq_decoder import _values

R = np.random.default_rng(37)
B, D, U, V = 2, 3, 5, 4
START = np.array([1, 2], np.int32)


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(13)
        yield


def _log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _step(w, inputs, h):
    h = np.tanh(np.concatenate([inputs, h], -1) @ w["decoder/basic_rnn_cell/kernel"]
                + w["decoder/basic_rnn_cell/bias"])
    return h, _log_softmax(h @ w["decoder/dense/kernel"] + w["decoder/dense/bias"])


def _beam_decoder(width, end_token, scale=2.0, **kwargs):
    emb = tf.get_variable("embedding", [V, D])
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    # a larger output layer spreads the log-probabilities (fewer near-ties)
    dense = tf.layers.Dense(V, kernel_initializer=tf.random_normal_initializer(0, scale))
    decoder = seq2seq.BeamSearchDecoder(cell, emb, START, end_token,
                                        cell.zero_state(B * width, tf.float32), width,
                                        output_layer=dense, **kwargs)
    return decoder


def _run(fetches):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches), _values(sess)


@pytest.mark.parametrize("length_penalty_weight", [0.0, 0.7])
def test_beam_search_equals_brute_force_over_all_sequences(length_penalty_weight):
    steps, width = 3, V * V  # every two-token prefix survives: the last step is exact
    decoder = _beam_decoder(width, V + 5, length_penalty_weight=length_penalty_weight)
    outputs, state, lengths = seq2seq.dynamic_decode(decoder, maximum_iterations=steps)
    assert isinstance(outputs, seq2seq.FinalBeamSearchDecoderOutput)
    assert isinstance(state, seq2seq.BeamSearchDecoderState)
    assert outputs.predicted_ids.shape.as_list() == [B, None, width]
    (got, got_state, got_len), w = _run([outputs, state, lengths])
    np.testing.assert_array_equal(got_len, np.full((B, width), steps))
    np.testing.assert_array_equal(got_state.lengths, np.full((B, width), steps))
    penalty = ((5.0 + steps) / 6.0) ** length_penalty_weight
    for b in range(B):
        scored = []
        for seq in itertools.product(range(V), repeat=steps):
            h, inputs, total = np.zeros(U), w["embedding"][START[b]], 0.0
            for tok in seq:
                h, logp = _step(w, inputs, h)
                total += logp[tok]
                inputs = w["embedding"][tok]
            scored.append((total, seq))
        scored.sort(key=lambda s: -s[0])
        want_ids = np.array([s for _, s in scored[:width]]).T
        np.testing.assert_array_equal(got.predicted_ids[b], want_ids)
        np.testing.assert_allclose(got.beam_search_decoder_output.scores[b, -1],
                                   [t / penalty for t, _ in scored[:width]], rtol=1e-4)
        np.testing.assert_allclose(got_state.log_probs[b], [t for t, _ in scored[:width]],
                                   rtol=1e-4)


def _numpy_beam_search(w, width, end, alpha, max_steps):
    """Hypotheses as explicit token lists (no parent pointers), TF's scoring rules: a finished
    hypothesis only continues with ``end`` at no cost; the length used for scoring grows for
    every token but ``end``; the kept length grows while unfinished."""
    results = []
    for b in range(B):
        hyps = [dict(tokens=[], logp=0.0 if k == 0 else -np.inf, finished=False, length=0,
                     h=np.zeros(U), inputs=w["embedding"][START[b]]) for k in range(width)]
        for _ in range(max_steps):
            if all(hy["finished"] for hy in hyps):
                break
            cands = []
            for k, hy in enumerate(hyps):
                h, logp = _step(w, hy["inputs"], hy["h"])
                if hy["finished"]:
                    logp = np.full(V, np.finfo(np.float32).min)
                    logp[end] = 0.0
                for tok in range(V):
                    total = hy["logp"] + logp[tok]
                    grow = 0 if hy["finished"] or tok == end else 1
                    score = total / (((5.0 + hy["length"] + grow) / 6.0) ** alpha)
                    cands.append((score, k * V + tok, total, k, tok, h))
            cands.sort(key=lambda c: (-c[0], c[1]))
            new = []
            for score, _, total, k, tok, h in cands[:width]:
                parent = hyps[k]
                new.append(dict(tokens=parent["tokens"] + [tok], logp=total, score=score,
                                finished=parent["finished"] or tok == end,
                                length=parent["length"] + (not parent["finished"]), h=h,
                                inputs=w["embedding"][tok]))
            hyps = new
        results.append(hyps)
    return results


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("end_token", [0, 3])
def test_beam_search_with_end_tokens_matches_numpy_hypotheses(alpha, end_token):
    width, max_steps = 3, 6
    decoder = _beam_decoder(width, end_token, scale=1.0, length_penalty_weight=alpha)
    outputs, state, lengths = seq2seq.dynamic_decode(decoder, maximum_iterations=max_steps)
    (got, got_state, got_len), w = _run([outputs, state, lengths])
    want = _numpy_beam_search(w, width, end_token, alpha, max_steps)
    steps = got.predicted_ids.shape[1]
    for b in range(B):
        max_len = max(hy["length"] for hy in want[b])
        for k, hy in enumerate(want[b]):
            assert len(hy["tokens"]) == steps
            path = np.array(hy["tokens"])
            path[max_len:] = end_token  # GatherTree fills past the longest beam
            np.testing.assert_array_equal(got.predicted_ids[b, :, k], path)
            np.testing.assert_allclose(got_state.log_probs[b, k], hy["logp"], rtol=1e-4)
            np.testing.assert_allclose(got.beam_search_decoder_output.scores[b, -1, k],
                                       hy["score"], rtol=1e-4)
            assert got_state.lengths[b, k] == hy["length"]
            assert got_state.finished[b, k] == hy["finished"]
    # dynamic_decode's lengths: steps until each beam slot first reported finished
    assert got_len.shape == (B, width) and got_len.max() <= steps


def _attention_beam_graph(width, **kwargs):
    memory = tf.constant(R.standard_normal((B, 6, 4)), tf.float32)
    mem_len = tf.constant([6, 4])
    emb = tf.get_variable("embedding", [V, D])
    mechanism = seq2seq.LuongAttention(U, seq2seq.tile_batch(memory, width),
                                       seq2seq.tile_batch(mem_len, width), scale=True)
    cell = seq2seq.AttentionWrapper(tf.nn.rnn_cell.GRUCell(U), mechanism,
                                    attention_layer_size=U, alignment_history=True)
    dense = tf.layers.Dense(V, kernel_initializer=tf.random_normal_initializer(0, 2.0))
    decoder = seq2seq.BeamSearchDecoder(cell, emb, START, 0,
                                        cell.zero_state(B * width, tf.float32), width,
                                        output_layer=dense, **kwargs)
    return decoder, cell, dense, emb


def test_attention_beams_rescored_by_teacher_forcing():
    """Each returned beam's log-probability equals the sum of its tokens' log-probabilities
    when the same attention decoder is teacher-forced along it."""
    width, steps = 3, 5
    decoder, cell, dense, emb = _attention_beam_graph(width)
    outputs, state, _ = seq2seq.dynamic_decode(decoder, maximum_iterations=steps)
    (ids, log_probs), _ = _run([outputs.predicted_ids, state.log_probs])
    n = ids.shape[1]
    tokens = tf.constant(ids.transpose(0, 2, 1).reshape(B * width, n))  # tile_batch order
    inputs = tf.nn.embedding_lookup(emb, tf.concat(
        [tf.reshape(tf.tile(START[:, None], [1, width]), [-1, 1]), tokens[:, :-1]], 1))
    forced = seq2seq.BasicDecoder(cell, seq2seq.TrainingHelper(inputs, [n] * (B * width)),
                                  cell.zero_state(B * width, tf.float32), dense)
    out, _, _ = seq2seq.dynamic_decode(forced, scope="decoder")
    logp = tf.nn.log_softmax(out.rnn_output)
    (got_logp,), _ = _run([logp])
    flat = ids.transpose(0, 2, 1).reshape(B * width, n)
    for row in range(B * width):
        seq = flat[row]
        upto = (list(seq).index(0) + 1) if 0 in seq else n  # through the first end token
        total = sum(got_logp[row, t, seq[t]] for t in range(upto))
        np.testing.assert_allclose(total, log_probs.reshape(-1)[row], rtol=1e-4, atol=1e-5)


def test_beam_width_one_is_greedy_decoding_with_attention():
    decoder, cell, dense, emb = _attention_beam_graph(1)
    beam_out, _, _ = seq2seq.dynamic_decode(decoder, maximum_iterations=5)
    greedy = seq2seq.BasicDecoder(cell, seq2seq.GreedyEmbeddingHelper(emb, START, 0),
                                  cell.zero_state(B, tf.float32), dense)
    greedy_out, _, _ = seq2seq.dynamic_decode(greedy, maximum_iterations=5, scope="decoder")
    (beam_ids, greedy_ids), _ = _run([beam_out.predicted_ids[:, :, 0], greedy_out.sample_id])
    n = greedy_ids.shape[1]
    assert beam_ids.shape[1] == n
    for b in range(B):  # greedy keeps emitting after its end token: compare up to it
        seq = list(greedy_ids[b])
        upto = seq.index(0) + 1 if 0 in seq else n
        np.testing.assert_array_equal(beam_ids[b, :upto], greedy_ids[b, :upto])


def test_alignment_history_is_returned_and_coverage_penalty_runs():
    decoder, *_ = _attention_beam_graph(2, coverage_penalty_weight=0.4,
                                        length_penalty_weight=0.5)
    outputs, state, _ = seq2seq.dynamic_decode(decoder, maximum_iterations=4)
    assert isinstance(state.cell_state, seq2seq.AttentionWrapperState)
    (ids, acc), _ = _run([outputs.predicted_ids, state.accumulated_attention_probs])
    assert ids.shape[0] == B and ids.shape[2] == 2
    assert acc.shape == (B, 2, 6) and (acc[1, :, 4:] == 0).all()  # masked memory


def test_get_scores_matches_formula():
    log_probs = R.standard_normal((2, 3, 4)).astype(np.float32)
    lengths = R.integers(1, 5, (2, 3, 4))
    finished = np.array([[True, False, True], [False, False, True]])
    acc = R.uniform(0, 1.5, (2, 3, 5)).astype(np.float32)
    acc[0, 0, 2] = 0.0
    got = tf.Session().run(_get_scores(log_probs, lengths, 0.6, 0.3, finished, acc))
    penalty = ((5.0 + lengths) / 6.0) ** 0.6
    clipped = np.minimum(np.where(acc == 0, 1.0, acc), 1.0)
    coverage = np.log(clipped).sum(-1) * finished * 0.3
    np.testing.assert_allclose(got, log_probs / penalty + coverage[..., None], rtol=1e-5)


def test_beam_search_errors():
    emb = tf.zeros([V, D])
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    state = cell.zero_state(B * 2, tf.float32)
    with pytest.raises(ValueError, match="start_tokens must be a vector"):
        seq2seq.BeamSearchDecoder(cell, emb, 1, 0, state, 2)
    with pytest.raises(ValueError, match="end_token must be a scalar"):
        seq2seq.BeamSearchDecoder(cell, emb, START, [0], state, 2)
    with pytest.raises(TypeError, match="output_layer must be a Layer"):
        seq2seq.BeamSearchDecoder(cell, emb, START, 0, state, 2, output_layer=abs)
    with pytest.raises(ValueError, match="coverage_penalty_weight must be 0.0 if no cell is "
                                         "attentional"):
        decoder = seq2seq.BeamSearchDecoder(cell, emb, START, 0, state, 2,
                                            coverage_penalty_weight=0.5)
        decoder.initialize()
    with pytest.raises(ValueError):  # the state was not tiled to batch * beam_width
        seq2seq.BeamSearchDecoder(cell, emb, START, 0, cell.zero_state(B, tf.float32), 3)


def test_alignment_history_reordered_along_the_beams():
    """With the batch size known only at run time, finalize sorts the alignment history along
    each final beam's ancestry (TF 1.15's reorder_tensor_arrays); with it static, TF 1.15's
    shape check keeps the TensorArray as it is (and warns)."""
    width = 3
    memory = tf.constant(R.standard_normal((B, 6, 4)), tf.float32)
    start = tf.placeholder(tf.int32, [None])
    mechanism = seq2seq.BahdanauAttention(U, seq2seq.tile_batch(memory, width))
    cell = seq2seq.AttentionWrapper(tf.nn.rnn_cell.GRUCell(U), mechanism,
                                    alignment_history=True)
    dense = tf.layers.Dense(V, kernel_initializer=tf.random_normal_initializer(0, 2.0))
    emb = tf.get_variable("embedding", [V, D])
    batch = tf.size(start) * width
    results = []
    for reorder in (True, False):
        decoder = seq2seq.BeamSearchDecoder(cell, emb, start, V + 1,
                                            cell.zero_state(batch, tf.float32), width,
                                            output_layer=dense, reorder_tensor_arrays=reorder)
        outputs, state, _ = seq2seq.dynamic_decode(decoder, maximum_iterations=4,
                                                   scope="decoder")
        history = state.cell_state.alignment_history
        assert isinstance(history, tf.Tensor) == reorder
        results.append((outputs.beam_search_decoder_output.parent_ids,
                        history if reorder else history.stack()))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        (parents, sorted_hist), (_, raw_hist) = sess.run(results, {start: START})
    steps = parents.shape[1]
    raw = raw_hist.reshape(steps, B, width, -1)
    got = sorted_hist.reshape(steps, B, width, -1)
    for b in range(B):
        for k in range(width):
            beam = k
            for t in range(steps - 1, -1, -1):
                np.testing.assert_allclose(got[t, b, k], raw[t, b, beam], rtol=1e-6)
                beam = parents[b, t, beam]

    static = seq2seq.BeamSearchDecoder(cell, emb, START, V + 1,
                                       cell.zero_state(B * width, tf.float32), width,
                                       output_layer=dense)
    _, state, _ = seq2seq.dynamic_decode(static, maximum_iterations=2, scope="decoder")
    assert isinstance(state.cell_state.alignment_history, tf.TensorArray)
