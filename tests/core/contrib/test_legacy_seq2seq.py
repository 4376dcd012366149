"""tf.contrib.legacy_seq2seq's numerics against numpy written from the equations: rnn_decoder
(BasicRNNCell, GRUCell, a loop function), attention_decoder (one and two heads, GRU and LSTM
states, initial_state_attention both ways), sequence_loss(_by_example) with its flags and a
custom softmax_loss_function. The weights are read back by TF1's variable names, so the names
are checked too. Models, feed_previous, buckets, training and errors: test_legacy_seq2seq_more.py.
"""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import legacy_seq2seq as s2s

R = np.random.default_rng(7)
B, T, D, U = 2, 3, 3, 4  # batch, decoder steps, input depth, cell units


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(5)
        yield


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _values(prefix, names):
    """The variables ``prefix + name`` (TF1's names) as numpy arrays, after initialisation."""
    by_name = {v.op.name: v for v in tf.global_variables()}
    missing = [prefix + n for n in names if prefix + n not in by_name]
    assert not missing, f"missing {missing}; have {sorted(by_name)}"
    sess = tf.get_default_session()
    return [sess.run(by_name[prefix + n]) for n in names]


def _gru(x, h, wg, bg, wc, bc):
    """TF1's GRUCell: r, u = sigmoid([x, h] Wg + bg); c = tanh([x, r h] Wc + bc);
    h' = u h + (1 - u) c."""
    r, u = np.split(_sigmoid(np.concatenate([x, h], 1) @ wg + bg), 2, axis=1)
    c = np.tanh(np.concatenate([x, r * h], 1) @ wc + bc)
    return u * h + (1 - u) * c


def _lstm(x, state, w, b):
    """TF1's BasicLSTMCell (forget_bias 1): i, j, f, o = split([x, h] W + b);
    c' = c sigmoid(f + 1) + sigmoid(i) tanh(j); h' = tanh(c') sigmoid(o)."""
    c, h = state
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ w + b, 4, axis=1)
    c = c * _sigmoid(f + 1.0) + _sigmoid(i) * np.tanh(j)
    h = np.tanh(c) * _sigmoid(o)
    return h, (c, h)


def test_rnn_decoder_basic_rnn_matches_numpy():
    xs = [R.normal(size=(B, D)).astype(np.float32) for _ in range(T)]
    h0 = R.normal(size=(B, U)).astype(np.float32)
    outs, state = s2s.rnn_decoder([tf.constant(x) for x in xs], tf.constant(h0),
                                  tf.nn.rnn_cell.BasicRNNCell(U))
    assert len(outs) == T and state.shape.as_list() == [B, U]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w, b = _values("rnn_decoder/basic_rnn_cell/", ["kernel", "bias"])
        got, got_state = sess.run([outs, state])
    h = h0
    for t, x in enumerate(xs):
        h = np.tanh(np.concatenate([x, h], 1) @ w + b)
        np.testing.assert_allclose(got[t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, h, rtol=1e-5, atol=1e-6)
    assert len(tf.global_variables()) == 2  # one cell, reused across the steps


def test_rnn_decoder_gru_with_loop_function_matches_numpy():
    """Steps after the first take loop_function(previous output, i), built in a
    ``loop_function`` scope; the given inputs past the first are ignored."""
    xs = [R.normal(size=(B, U)).astype(np.float32) for _ in range(T)]
    h0 = R.normal(size=(B, U)).astype(np.float32)
    m = R.normal(size=(U, U)).astype(np.float32)
    seen = []

    def loop(prev, i):
        seen.append((i, tf.get_variable_scope().name, tf.get_variable_scope().reuse))
        return tf.matmul(prev, tf.constant(m)) * float(i)

    outs, _ = s2s.rnn_decoder([tf.constant(x) for x in xs], tf.constant(h0),
                              tf.nn.rnn_cell.GRUCell(U), loop_function=loop, scope="dec")
    assert seen == [(1, "dec/loop_function", True), (2, "dec/loop_function", True)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        wg, bg, wc, bc = _values("dec/gru_cell/", ["gates/kernel", "gates/bias",
                                                   "candidate/kernel", "candidate/bias"])
        got = sess.run(outs)
    h, x = h0, xs[0]
    for t in range(T):
        h = _gru(x, h, wg, bg, wc, bc)
        np.testing.assert_allclose(got[t], h, rtol=1e-5, atol=1e-6)
        x = (h @ m) * float(t + 1)


def _attention_reference(xs, state, hidden, cell_step, query_of, p, heads, isa):
    """attention_decoder from its equations; ``p`` holds the variables by TF1 name."""
    n, length, size = hidden.shape

    def attend(st):
        q = query_of(st)
        reads = []
        for a in range(heads):
            feats = hidden @ p[f"AttnW_{a}"][0, 0]  # the 1x1 convolution: [n, length, size]
            y = q @ p[f"Attention_{a}/kernel"] + p[f"Attention_{a}/bias"]
            score = (p[f"AttnV_{a}"] * np.tanh(feats + y[:, None, :])).sum(-1)
            reads.append((_softmax(score)[:, :, None] * hidden).sum(1))
        return reads

    attns = attend(state) if isa else [np.zeros((n, size), np.float32)] * heads
    outs = []
    for x in xs:
        cell_in = np.concatenate([x] + attns, 1) @ p["kernel"] + p["bias"]
        cell_out, state = cell_step(cell_in, state)
        attns = attend(state)
        outs.append(np.concatenate([cell_out] + attns, 1) @ p["AttnOutputProjection/kernel"]
                    + p["AttnOutputProjection/bias"])
    return outs, state


@pytest.mark.parametrize("cell_kind", ["gru", "lstm"])
@pytest.mark.parametrize("heads", [1, 2])
@pytest.mark.parametrize("isa", [False, True])
def test_attention_decoder_matches_numpy(heads, isa, cell_kind):
    L, S, OUT = 5, 3, 6  # attention length, attention depth, output size
    xs = [R.normal(size=(B, D)).astype(np.float32) for _ in range(T)]
    hidden = R.normal(size=(B, L, S)).astype(np.float32)
    if cell_kind == "gru":
        cell = tf.nn.rnn_cell.GRUCell(U)
        s0 = R.normal(size=(B, U)).astype(np.float32)
        init = tf.constant(s0)
        cell_vars = ["gru_cell/gates/kernel", "gru_cell/gates/bias", "gru_cell/candidate/kernel",
                     "gru_cell/candidate/bias"]
    else:
        cell = tf.nn.rnn_cell.BasicLSTMCell(U)
        s0 = tuple(R.normal(size=(B, U)).astype(np.float32) for _ in range(2))
        init = tf.nn.rnn_cell.LSTMStateTuple(tf.constant(s0[0]), tf.constant(s0[1]))
        cell_vars = ["basic_lstm_cell/kernel", "basic_lstm_cell/bias"]
    outs, state = s2s.attention_decoder([tf.constant(x) for x in xs], init, tf.constant(hidden),
                                        cell, output_size=OUT, num_heads=heads,
                                        initial_state_attention=isa)
    names = [f"{k}_{a}" for a in range(heads) for k in ("AttnW", "AttnV")] + [
        f"Attention_{a}/{k}" for a in range(heads) for k in ("kernel", "bias")] + [
        "kernel", "bias", "AttnOutputProjection/kernel", "AttnOutputProjection/bias"]
    assert sorted(v.op.name for v in tf.global_variables()) == sorted(
        "attention_decoder/" + n for n in names + cell_vars)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        p = dict(zip(names, _values("attention_decoder/", names)))
        cv = _values("attention_decoder/", cell_vars)
        got, got_state = sess.run([outs, state])
    if cell_kind == "gru":
        def step(x, h):
            h = _gru(x, h, *cv)
            return h, h
        query_of = lambda st: st  # noqa: E731
    else:
        def step(x, st):
            return _lstm(x, st, *cv)
        query_of = lambda st: np.concatenate(st, 1)  # noqa: E731 (c and h side by side)
    want, want_state = _attention_reference(xs, s0, hidden, step, query_of, p, heads, isa)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.concatenate(tf.nest.flatten(got_state), 1),
                               np.concatenate(tf.nest.flatten(want_state), 1),
                               rtol=1e-4, atol=1e-5)


def test_attention_decoder_initial_state_attention_changes_first_output():
    """With initial_state_attention the first step reads attention from the initial state
    (zeros otherwise): the first outputs differ, the variables are the same ones."""
    hidden = tf.constant(R.normal(size=(B, 4, 3)).astype(np.float32))
    xs = [tf.constant(R.normal(size=(B, D)).astype(np.float32))]
    h0 = tf.constant(R.normal(size=(B, U)).astype(np.float32))
    cell = tf.nn.rnn_cell.GRUCell(U)
    with tf.variable_scope("d") as vs:
        plain, _ = s2s.attention_decoder(xs, h0, hidden, cell)
        vs.reuse_variables()
        primed, _ = s2s.attention_decoder(xs, h0, hidden, cell, initial_state_attention=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([plain[0], primed[0]])
    assert a.shape == b.shape == (B, U)
    assert np.abs(a - b).max() > 1e-4


def test_attention_decoder_dynamic_length_matches_static():
    """An attention length known only at run time gives the static-length results."""
    hidden = R.normal(size=(B, 5, 3)).astype(np.float32)
    xs = [tf.constant(R.normal(size=(B, D)).astype(np.float32)) for _ in range(2)]
    h0 = tf.constant(R.normal(size=(B, U)).astype(np.float32))
    dyn = tf.placeholder(tf.float32, [None, None, 3])
    cell = tf.nn.rnn_cell.GRUCell(U)
    with tf.variable_scope("d") as vs:
        static, _ = s2s.attention_decoder(xs, h0, tf.constant(hidden), cell, num_heads=2)
        vs.reuse_variables()
        dynamic, _ = s2s.attention_decoder(xs, h0, dyn, cell, num_heads=2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([static, dynamic], {dyn: hidden})
    np.testing.assert_allclose(a, b, rtol=1e-6)


# -- losses --------------------------------------------------------------------------------------
def _loss_case(n_steps=3, classes=5, zero_row=False):
    logits = [R.normal(size=(B + 1, classes)).astype(np.float32) for _ in range(n_steps)]
    targets = [R.integers(0, classes, size=B + 1).astype(np.int32) for _ in range(n_steps)]
    weights = [R.uniform(0.2, 1.5, size=B + 1).astype(np.float32) for _ in range(n_steps)]
    weights[1][0] = 0.0
    if zero_row:
        for w in weights:
            w[-1] = 0.0
    return logits, targets, weights


def _xent(logit, target):
    logp = np.log(_softmax(logit.astype(np.float64)))
    return -logp[np.arange(len(target)), target]


@pytest.mark.parametrize("average", [True, False])
def test_sequence_loss_by_example_matches_numpy(average):
    logits, targets, weights = _loss_case(zero_row=True)
    loss = s2s.sequence_loss_by_example([tf.constant(x) for x in logits],
                                        [tf.constant(t) for t in targets],
                                        [tf.constant(w) for w in weights],
                                        average_across_timesteps=average)
    assert loss.op.name.startswith("sequence_loss_by_example/")
    assert loss.shape.as_list() == [B + 1]
    want = sum(_xent(x, t) * w for x, t, w in zip(logits, targets, weights))
    if average:
        want = want / (sum(weights) + 1e-12)  # the all-zero row gives 0, not nan
    with tf.Session() as sess:
        got = sess.run(loss)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert np.isfinite(got).all()


@pytest.mark.parametrize("steps,batch", [(True, True), (True, False), (False, True),
                                         (False, False)])
def test_sequence_loss_matches_numpy(steps, batch):
    logits, targets, weights = _loss_case()
    loss = s2s.sequence_loss([tf.constant(x) for x in logits], [tf.constant(t) for t in targets],
                             [tf.constant(w) for w in weights], average_across_timesteps=steps,
                             average_across_batch=batch, name="my_loss")
    assert loss.shape.as_list() == [] and loss.op.name.startswith("my_loss/")
    per = sum(_xent(x, t) * w for x, t, w in zip(logits, targets, weights))
    if steps:
        per = per / (sum(weights) + 1e-12)
    want = per.sum() / (len(targets[0]) if batch else 1)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(loss), want, rtol=1e-5)


def test_sequence_loss_tf1_reference_values():
    """TF1's own test case: logits i + 0.5 everywhere over 5 classes (uniform softmax)."""
    logits = [tf.constant(i + 0.5, shape=[2, 5]) for i in range(3)]
    targets = [tf.constant(i, tf.int32, shape=[2]) for i in range(3)]
    weights = [tf.constant(1.0, shape=[2]) for _ in range(3)]
    with tf.Session() as sess:
        got = sess.run([s2s.sequence_loss(logits, targets, weights),
                        s2s.sequence_loss(logits, targets, weights,
                                          average_across_timesteps=False),
                        s2s.sequence_loss(logits, targets, weights, False, False),
                        s2s.sequence_loss_by_example(logits, targets, weights)])
    np.testing.assert_allclose(got[:3], [np.log(5), 3 * np.log(5), 6 * np.log(5)], rtol=1e-5)
    np.testing.assert_allclose(got[3], [np.log(5)] * 2, rtol=1e-5)


def test_sequence_loss_custom_softmax_loss_function():
    """softmax_loss_function gets the targets and logits by name, unreshaped."""
    logits, targets, weights = _loss_case()
    targets_2d = [t[:, None] for t in targets]  # e.g. sampled_softmax_loss wants [batch, 1]
    calls = []

    def squared(labels, logits):
        calls.append(labels.shape.as_list())
        onehot = tf.one_hot(tf.reshape(labels, [-1]), 5)
        return tf.reduce_sum(tf.square(tf.nn.softmax(logits) - onehot), 1)

    loss = s2s.sequence_loss([tf.constant(x) for x in logits],
                             [tf.constant(t) for t in targets_2d],
                             [tf.constant(w) for w in weights], softmax_loss_function=squared)
    assert calls == [[B + 1, 1]] * 3
    per = sum(((_softmax(x) - np.eye(5)[t]) ** 2).sum(1) * w
              for x, t, w in zip(logits, targets, weights)) / (sum(weights) + 1e-12)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(loss), per.sum() / (B + 1), rtol=1e-5)


def test_sequence_loss_gradient_matches_numpy():
    """d loss / d logits_t = w_t (softmax - onehot) / (sum of weights) / batch."""
    logits, targets, weights = _loss_case(n_steps=2)
    xs = [tf.constant(x) for x in logits]
    loss = s2s.sequence_loss(xs, [tf.constant(t) for t in targets],
                             [tf.constant(w) for w in weights])
    grads = tf.gradients(loss, xs)
    total = sum(weights)
    with tf.Session() as sess:
        got = sess.run(grads)
    for g, x, t, w in zip(got, logits, targets, weights):
        want = (_softmax(x) - np.eye(5)[t]) * (w / (total + 1e-12))[:, None] / (B + 1)
        np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-7)
