"""tf.contrib.seq2seq attention: mechanisms and AttentionWrapper decoding against numpy written
from the equations (scores by hand, masked softmax, context, attention layer), monotonic
attention against its recursion, TF1's variable names, errors and gradients."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import seq2seq

from .test_seq2seq_decoder import _values

R = np.random.default_rng(31)
B, T, D, U, M, MD, A = 2, 4, 3, 5, 6, 4, 7  # batch, steps, input, cell, memory len/depth, attn


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(9)
        yield


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _monotonic_ref(p, prev):
    """The recursion q_j = (1 - p_{j-1}) q_{j-1} + prev_j, attention_j = p_j q_j."""
    out = np.zeros_like(p)
    for b in range(p.shape[0]):
        q = 0.0
        for j in range(p.shape[1]):
            q = (1 - p[b, j - 1]) * q + prev[b, j] if j else prev[b, 0]
            out[b, j] = p[b, j] * q
    return out


def _scores(kind, w, scope, h, keys, normalize_or_scale):
    if kind in ("bahdanau", "bahdanau_monotonic"):
        q = h @ w[f"{scope}/{kind}_attention/query_layer/kernel"]
        v = w[f"{scope}/{kind}_attention/attention_v"]
        if normalize_or_scale:
            g, bias = (w[f"{scope}/{kind}_attention/attention_{n}"] for n in "gb")
            v = g * v / np.sqrt((v ** 2).sum())
            score = (v * np.tanh(keys + q[:, None] + bias)).sum(-1)
        else:
            score = (v * np.tanh(keys + q[:, None])).sum(-1)
    else:
        score = np.einsum("bu,bmu->bm", h, keys)
        if normalize_or_scale:
            score = score * w[f"{scope}/{kind}_attention/attention_g"]
    if kind.endswith("monotonic"):
        score = score + w[f"{scope}/{kind}_attention/attention_score_bias"]
    return score


def _attention_decode_ref(kind, w, x, memory, mem_len, flag, scope="decoder/attention_wrapper"):
    mask = np.arange(M)[None] < mem_len[:, None]
    values = memory * mask[..., None]
    keys = values @ w["memory_layer/kernel"]
    h = np.zeros((B, U))
    attention = np.zeros((B, A))
    alignments = np.eye(M)[[0] * B] if kind.endswith("monotonic") else np.zeros((B, M))
    outs, aligns = [], []
    for t in range(x.shape[1]):
        cell_in = np.concatenate([x[:, t], attention], 1)
        h = np.tanh(np.concatenate([cell_in, h], 1) @ w[f"{scope}/basic_rnn_cell/kernel"]
                    + w[f"{scope}/basic_rnn_cell/bias"])
        score = _scores(kind, w, scope, h, keys, flag)
        if kind.endswith("monotonic"):
            p = 1 / (1 + np.exp(-np.where(mask, score, -np.inf)))
            alignments = _monotonic_ref(p, alignments)
        else:
            alignments = _softmax(np.where(mask, score, -np.inf))
        context = np.einsum("bm,bmd->bd", alignments, values)
        attention = np.concatenate([h, context], 1) @ w[f"{scope}/attention_layer/kernel"]
        outs.append(attention)
        aligns.append(alignments)
    return np.stack(outs, 1), np.stack(aligns, 0), h


MECHANISMS = {
    "bahdanau": lambda mem, n, flag: seq2seq.BahdanauAttention(U, mem, n, normalize=flag),
    "luong": lambda mem, n, flag: seq2seq.LuongAttention(U, mem, n, scale=flag),
    "bahdanau_monotonic": lambda mem, n, flag: seq2seq.BahdanauMonotonicAttention(
        U, mem, n, normalize=flag, score_bias_init=0.5),
    "luong_monotonic": lambda mem, n, flag: seq2seq.LuongMonotonicAttention(
        U, mem, n, scale=flag, score_bias_init=-0.5),
}
EXPECTED_VARIABLES = {
    ("bahdanau", False): ["query_layer/kernel", "attention_v"],
    ("bahdanau", True): ["query_layer/kernel", "attention_v", "attention_g", "attention_b"],
    ("luong", False): [],
    ("luong", True): ["attention_g"],
    ("bahdanau_monotonic", False): ["query_layer/kernel", "attention_v",
                                    "attention_score_bias"],
    ("luong_monotonic", True): ["attention_g", "attention_score_bias"],
}


@pytest.mark.parametrize("kind, flag", list(EXPECTED_VARIABLES))
def test_attention_wrapper_decoding_matches_numpy(kind, flag):
    x_np = R.standard_normal((B, T, D))
    mem_np = R.standard_normal((B, M, MD))
    mem_len = np.array([M, 3], np.int32)
    mechanism = MECHANISMS[kind](tf.constant(mem_np, tf.float32), mem_len, flag)
    cell = seq2seq.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(U), mechanism,
                                    attention_layer_size=A, alignment_history=True)
    assert cell.output_size == A
    assert cell.state_size.alignments == M and cell.state_size.attention == A
    decoder = seq2seq.BasicDecoder(cell, seq2seq.TrainingHelper(x_np.astype(np.float32),
                                                                [T] * B),
                                   cell.zero_state(B, tf.float32))
    outputs, state, _ = seq2seq.dynamic_decode(decoder)
    assert isinstance(state, seq2seq.AttentionWrapperState)
    history = state.alignment_history.stack()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, got_hist, got_state = sess.run([outputs.rnn_output, history,
                                             state._replace(alignment_history=())])
        w = _values(sess)
    scope = "decoder/attention_wrapper"
    assert sorted(w) == sorted(
        ["memory_layer/kernel", f"{scope}/basic_rnn_cell/kernel",
         f"{scope}/basic_rnn_cell/bias", f"{scope}/attention_layer/kernel"]
        + [f"{scope}/{kind}_attention/{n}" for n in EXPECTED_VARIABLES[kind, flag]])
    want, want_hist, want_h = _attention_decode_ref(kind, w, x_np, mem_np, mem_len, flag)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_hist, want_hist, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_state.cell_state, want_h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_state.alignments, want_hist[-1], rtol=1e-4, atol=1e-5)
    assert got_state.time == T
    assert (got_hist[:, 1, 3:] == 0).all()  # masked memory positions get no attention


@pytest.mark.parametrize("mode", ["recursive", "parallel", "hard"])
def test_monotonic_attention_modes(mode):
    p = R.uniform(0.05, 0.95, (3, 6))
    prev = _softmax(R.standard_normal((3, 6)))
    if mode == "hard":
        p = (p > 0.5).astype(np.float64)
        prev = np.eye(6)[[0, 2, 5]]
    got = tf.Session().run(seq2seq.monotonic_attention(p, prev, mode))
    want = _monotonic_ref(p, prev)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    if mode == "hard":  # one-hot at the first chosen position at or after the previous one
        assert set(np.unique(got)) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="mode must be 'recursive', 'parallel', or 'hard'"):
        seq2seq.monotonic_attention(p, prev, "soft")


def test_safe_cumprod():
    x = np.array([[0.5, 0.0, 2.0, 0.25]])
    got = tf.Session().run([seq2seq.safe_cumprod(x, axis=1),
                            seq2seq.safe_cumprod(x, axis=1, exclusive=True)])
    clipped = np.clip(x, np.finfo(np.float64).tiny, 1)
    np.testing.assert_allclose(got[0], np.cumprod(clipped, 1), rtol=1e-12)
    np.testing.assert_allclose(got[1], [[1, 0.5, 0.5 * clipped[0, 1], 0.5 * clipped[0, 1]]],
                               rtol=1e-12)


def _wrapper(mem=None, **kwargs):
    mem = tf.constant(R.standard_normal((B, M, MD)), tf.float32) if mem is None else mem
    mechanism = seq2seq.LuongAttention(U, mem)
    return seq2seq.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(U), mechanism, **kwargs), mem


def test_output_attention_false_cell_input_fn_initial_state_and_multi():
    seen = []

    def cell_input_fn(inputs, attention):
        seen.append(attention.shape.as_list())
        return inputs

    init = tf.constant(R.standard_normal((B, U)), tf.float32)
    mem = tf.constant(R.standard_normal((B, M, MD)), tf.float32)
    cell = seq2seq.AttentionWrapper(
        tf.nn.rnn_cell.BasicRNNCell(U), [seq2seq.LuongAttention(U, mem),
                                         seq2seq.BahdanauAttention(3, mem)],
        cell_input_fn=cell_input_fn, output_attention=False, initial_cell_state=init)
    assert cell.output_size == U and cell.state_size.attention == 2 * MD
    state = cell.zero_state(B, tf.float32)
    assert isinstance(state.alignments, tuple) and len(state.alignments) == 2
    x_np = R.standard_normal((B, D)).astype(np.float32)
    output, new_state = cell(x_np, state)
    assert seen == [[B, 2 * MD]]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_out, got_state, init_v, w = sess.run([output, new_state, init, {
            v.op.name: v for v in tf.global_variables()}])
        mem_v = sess.run(mem)
    h = np.tanh(np.concatenate([x_np, init_v], 1)
                @ w["attention_wrapper/basic_rnn_cell/kernel"]
                + w["attention_wrapper/basic_rnn_cell/bias"])
    np.testing.assert_allclose(got_out, h, rtol=1e-5, atol=1e-6)
    a0 = _softmax(np.einsum("bu,bmu->bm", h, mem_v @ w["memory_layer/kernel"]))
    np.testing.assert_allclose(got_state.alignments[0], a0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.attention[:, :MD],
                               np.einsum("bm,bmd->bd", a0, mem_v), rtol=1e-5, atol=1e-6)


def test_clone_keeps_static_shapes():
    cell, _ = _wrapper(attention_layer_size=A)
    state = cell.zero_state(B, tf.float32)
    replaced = state.clone(cell_state=tf.placeholder(tf.float32, [None, None]))
    assert replaced.cell_state.shape.as_list() == [B, U]
    assert replaced.attention is state.attention
    with pytest.raises(ValueError):
        state.clone(cell_state=tf.zeros([B + 1, U]))


def test_attention_errors():
    mem = tf.zeros([B, M, MD])
    cell = tf.nn.rnn_cell.BasicRNNCell(U)
    with pytest.raises(TypeError, match="attention_mechanism must be an AttentionMechanism"):
        seq2seq.AttentionWrapper(cell, object())
    with pytest.raises(TypeError, match="attention_mechanism must contain only instances"):
        seq2seq.AttentionWrapper(cell, [seq2seq.LuongAttention(U, mem), 3])
    with pytest.raises(ValueError, match="attention_layer_size must contain exactly one"):
        seq2seq.AttentionWrapper(cell, seq2seq.LuongAttention(U, mem),
                                 attention_layer_size=[3, 4])
    with pytest.raises(ValueError, match="Only one of attention_layer_size and attention_layer"):
        seq2seq.AttentionWrapper(cell, seq2seq.LuongAttention(U, mem), attention_layer_size=3,
                                 attention_layer=tf.layers.Dense(3))
    with pytest.raises(TypeError, match="cell_input_fn must be callable"):
        seq2seq.AttentionWrapper(cell, seq2seq.LuongAttention(U, mem), cell_input_fn=3)
    with pytest.raises(ValueError, match="to have fully defined inner dims"):
        seq2seq.BahdanauAttention(U, tf.placeholder(tf.float32, [B, M, None]))
    wrapper = seq2seq.AttentionWrapper(cell, seq2seq.LuongAttention(U + 1, mem))
    with pytest.raises(TypeError, match="Expected state to be instance of "
                                        "AttentionWrapperState"):
        wrapper(tf.zeros([B, D]), tf.zeros([B, U]))
    wrapper = seq2seq.AttentionWrapper(cell, seq2seq.LuongAttention(U + 1, mem))
    with pytest.raises(ValueError, match="Incompatible or unknown inner dimensions between "
                                         "query and keys"):
        wrapper(tf.zeros([B, D]), wrapper.zero_state(B, tf.float32))


def test_batch_size_mismatch_is_reported():
    # Static sizes: when the graph is built (as TF1's assert_equal); fed ones: at run time.
    cell, _ = _wrapper()
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="When calling zero_state of AttentionWrapper attention_wrapper: "
                             "Non-matching batch sizes between the memory"):
        cell.zero_state(B + 1, tf.float32)
    batch = tf.placeholder(tf.int32, [])
    state = cell.zero_state(batch, tf.float32)
    with tf.Session() as sess:
        assert sess.run(state.cell_state, {batch: B}).shape == (B, U)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Non-matching batch sizes between the memory"):
            sess.run(state.cell_state, {batch: B + 1})


def test_attention_layer_given_as_a_layer():
    cell, _ = _wrapper(attention_layer=tf.layers.Dense(3, name="my_attention"))
    assert cell.output_size == 3
    output, _ = cell(tf.zeros([B, D]), cell.zero_state(B, tf.float32))
    assert output.shape.as_list() == [B, 3]
    assert "attention_wrapper/my_attention/kernel" in [v.op.name
                                                       for v in tf.global_variables()]


def test_numerical_gradient_through_attention_decoder():
    x = tf.constant(R.standard_normal((B, T, D)))
    mem = tf.constant(R.standard_normal((B, M, MD)))
    mechanism = seq2seq.BahdanauAttention(U, mem, [M, 2], normalize=True, dtype=tf.float64)
    cell = seq2seq.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(U, dtype=tf.float64),
                                    mechanism, attention_layer_size=A)
    decoder = seq2seq.BasicDecoder(cell, seq2seq.TrainingHelper(x, [T, 3]),
                                   cell.zero_state(B, tf.float64))
    outputs, _, _ = seq2seq.dynamic_decode(decoder, impute_finished=True)
    loss = tf.reduce_sum(tf.sin(outputs.rnn_output))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        err_m = tf.test.compute_gradient_error(mem, [B, M, MD], loss, [], delta=1e-6)
        err_x = tf.test.compute_gradient_error(x, [B, T, D], loss, [], delta=1e-6)
    assert err_m < 1e-7 and err_x < 1e-7


def test_bahdanau_lstm_decoding_matches_tf_compat_v1_python_loop(tmp_path):
    """AttentionWrapper(LSTM, normalized Bahdanau, attention layer) under dynamic_decode
    against the equations written with tf.compat.v1's LSTM cell, dense layers and
    get_variable in a Python loop, from the same variable values (and names)."""
    from .test_seq2seq_decoder_more import run_tf1

    x_np = R.standard_normal((B, T, D)).astype(np.float32)
    mem_np = R.standard_normal((B, M, MD)).astype(np.float32)
    mem_len = np.array([M, 3], np.int32)
    mechanism = seq2seq.BahdanauAttention(U, mem_np, mem_len, normalize=True)
    cell = seq2seq.AttentionWrapper(tf.nn.rnn_cell.BasicLSTMCell(U), mechanism,
                                    attention_layer_size=A, alignment_history=True)
    decoder = seq2seq.BasicDecoder(cell, seq2seq.TrainingHelper(x_np, [T] * B),
                                   cell.zero_state(B, tf.float32))
    outputs, state, _ = seq2seq.dynamic_decode(decoder)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, got_hist = sess.run([outputs.rnn_output, state.alignment_history.stack()])
        w = _values(sess)
    want = run_tf1(f"""
        B, T, U, M, A = {B}, {T}, {U}, {M}, {A}
        tf1.get_variable_scope().set_custom_getter(fixed)
        values = inp["mem"] * tf1.sequence_mask(inp["len"], M, dtype=tf1.float32)[..., None]
        keys = tf1.layers.dense(values, U, use_bias=False, name="memory_layer")
        cell = tf1.nn.rnn_cell.BasicLSTMCell(U)
        outs, aligns = [], []
        with tf1.variable_scope("decoder/attention_wrapper"):
            state = cell.zero_state(B, tf1.float32)
            attention = tf1.zeros([B, A])
            for t in range(T):
                h, state = cell(tf1.concat([inp["x"][:, t], attention], 1), state)
                with tf1.variable_scope("bahdanau_attention", reuse=t > 0):
                    q = tf1.layers.dense(h, U, use_bias=False, name="query_layer")
                    v = tf1.get_variable("attention_v", [U])
                    g = tf1.get_variable("attention_g", [])
                    b = tf1.get_variable("attention_b", [U])
                normed_v = g * v * tf1.rsqrt(tf1.reduce_sum(tf1.square(v)))
                score = tf1.reduce_sum(normed_v * tf1.tanh(keys + q[:, None] + b), 2)
                score = tf1.where(tf1.sequence_mask(inp["len"], M), score,
                                  tf1.fill([B, M], -np.inf))
                alignments = tf1.nn.softmax(score)
                context = tf1.matmul(alignments[:, None], values)[:, 0]
                attention = tf1.layers.dense(tf1.concat([h, context], 1), A, use_bias=False,
                                             name="attention_layer", reuse=t > 0)
                outs.append(attention)
                aligns.append(alignments)
        out["names"] = np.array(sorted(v.op.name for v in tf1.global_variables()))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            out["outputs"], out["history"] = sess.run([tf1.stack(outs, 1), tf1.stack(aligns)])
    """, tmp_path, x=x_np, mem=mem_np, len=mem_len, **w)
    assert sorted(w) == want["names"].tolist()
    np.testing.assert_allclose(got, want["outputs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_hist, want["history"], rtol=1e-5, atol=1e-6)


def test_memory_with_a_run_time_length_decodes_as_a_static_one():
    """nmt's setup: the memory comes from a [None, None] source, so the alignments' size is a
    tensor (TF's _zero_state_tensors takes it); the decode equals the static-shape graph's."""
    rng = np.random.RandomState(3)
    memory = rng.randn(2, 4, 5).astype(np.float32)
    targets = rng.randn(2, 3, 6).astype(np.float32)
    results = []
    for shape in ([2, 4, 5], [None, None, 5]):
        with tf.Graph().as_default():
            mem = tf.placeholder(tf.float32, shape)
            for name, Att in (("luong", tf.contrib.seq2seq.LuongAttention),
                              ("bahdanau", tf.contrib.seq2seq.BahdanauAttention)):
                with tf.variable_scope(name, initializer=tf.constant_initializer(0.1)):
                    cell = tf.contrib.seq2seq.AttentionWrapper(
                        tf.contrib.rnn.BasicLSTMCell(5), Att(5, mem), alignment_history=True)
                    batch = tf.shape(mem)[0]
                    helper = tf.contrib.seq2seq.TrainingHelper(tf.constant(targets), [3, 2])
                    decoder = tf.contrib.seq2seq.BasicDecoder(
                        cell, helper, cell.zero_state(batch, tf.float32))
                    out, state, _ = tf.contrib.seq2seq.dynamic_decode(decoder)
                    fetches = [out.rnn_output, state.alignment_history.stack()]
                    with tf.Session() as sess:
                        sess.run(tf.global_variables_initializer())
                        results.append(sess.run(fetches, {mem: memory}))
    for static, dynamic in zip(results[:2], results[2:]):
        for a, b in zip(static, dynamic):
            np.testing.assert_allclose(a, b, rtol=1e-6)
