"""tf.contrib.legacy_seq2seq's models: TF1's variable names (read from TF 1.15's seq2seq.py and
core_rnn_cell.py scoping), feed_previous as a bool and as a tensor (the greedy loop checked by
feeding its own argmaxes back as teacher-forced inputs, and numpy), model_with_buckets sharing
variables across buckets, a char-rnn-style model training, and errors."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import legacy_seq2seq as s2s

from .test_legacy_seq2seq import _softmax, _values

R = np.random.default_rng(11)
B = 2
rnn_cell = tf.nn.rnn_cell


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def _ids(values):
    return [tf.constant(np.full(B, v, np.int32)) for v in values]


def _names(prefix=""):
    return sorted(v.op.name[len(prefix):] for v in tf.global_variables()
                  if v.op.name.startswith(prefix))


# -- TF1's variable names ------------------------------------------------------------------------
def test_basic_and_tied_seq2seq_names():
    enc = [tf.constant(R.normal(size=(B, 3)).astype(np.float32)) for _ in range(2)]
    dec = [tf.constant(R.normal(size=(B, 3)).astype(np.float32)) for _ in range(3)]
    outs, _ = s2s.basic_rnn_seq2seq(enc, dec, rnn_cell.GRUCell(4))
    assert len(outs) == 3
    gru = ["gru_cell/candidate/bias", "gru_cell/candidate/kernel", "gru_cell/gates/bias",
           "gru_cell/gates/kernel"]
    assert _names() == sorted([f"basic_rnn_seq2seq/rnn/{n}" for n in gru]
                              + [f"basic_rnn_seq2seq/rnn_decoder/{n}" for n in gru])
    with tf.variable_scope("t"):
        cell = tf.contrib.rnn.OutputProjectionWrapper(rnn_cell.GRUCell(4), 5)
        outs, _ = s2s.tied_rnn_seq2seq(enc, dec, cell)
    assert outs[0].shape.as_list() == [B, 5]
    # one set of variables for encoder and decoder
    prefix = "combined_tied_rnn_seq2seq/tied_rnn_seq2seq/output_projection_wrapper/"
    assert _names("t/") == sorted([prefix + n for n in gru] + [prefix + "bias",
                                                                prefix + "kernel"])


def test_embedding_seq2seq_names():
    enc, dec = _ids([1, 0]), _ids([0, 1, 2])
    with tf.variable_scope("r"):
        s2s.embedding_rnn_seq2seq(enc, dec, rnn_cell.BasicLSTMCell(3), 4, 5, 2)
    assert _names("r/embedding_rnn_seq2seq/") == sorted([
        "rnn/embedding_wrapper/embedding", "rnn/embedding_wrapper/basic_lstm_cell/kernel",
        "rnn/embedding_wrapper/basic_lstm_cell/bias", "embedding_rnn_decoder/embedding",
        "embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/basic_lstm_cell/kernel",
        "embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/basic_lstm_cell/bias",
        "embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/kernel",
        "embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/bias"])
    with tf.variable_scope("t"):
        s2s.embedding_tied_rnn_seq2seq(enc, dec, rnn_cell.GRUCell(3), 5, 2)
    wrap = "combined_tied_rnn_seq2seq/tied_rnn_seq2seq/output_projection_wrapper/"
    assert _names("t/embedding_tied_rnn_seq2seq/") == sorted(
        ["embedding", wrap + "kernel", wrap + "bias"]
        + [wrap + "gru_cell/" + n for n in ("gates/kernel", "gates/bias", "candidate/kernel",
                                            "candidate/bias")])
    with tf.variable_scope("m"):
        s2s.one2many_rnn_seq2seq(enc, {"x": dec}, rnn_cell.BasicRNNCell(3),
                                 {"x": rnn_cell.BasicRNNCell(3)}, 4, {"x": 6}, 2)
    dec_scope = "one2many_decoder_x/embedding_rnn_decoder/"
    assert _names("m/one2many_rnn_seq2seq/") == sorted([
        "rnn/embedding_wrapper/embedding", "rnn/embedding_wrapper/basic_rnn_cell/kernel",
        "rnn/embedding_wrapper/basic_rnn_cell/bias", dec_scope + "embedding",
        dec_scope + "rnn_decoder/output_projection_wrapper/basic_rnn_cell/kernel",
        dec_scope + "rnn_decoder/output_projection_wrapper/basic_rnn_cell/bias",
        dec_scope + "rnn_decoder/output_projection_wrapper/kernel",
        dec_scope + "rnn_decoder/output_projection_wrapper/bias"])


def test_embedding_attention_seq2seq_names_and_shapes():
    enc, dec = _ids([1, 0, 1]), _ids([0, 1])
    outs, state = s2s.embedding_attention_seq2seq(enc, dec, rnn_cell.GRUCell(3), 4, 5, 2,
                                                  num_heads=2)
    assert [o.shape.as_list() for o in outs] == [[B, 5]] * 2
    assert state.shape.as_list() == [B, 3]
    att = "embedding_attention_decoder/attention_decoder/"
    gru = ["gru_cell/gates/kernel", "gru_cell/gates/bias", "gru_cell/candidate/kernel",
           "gru_cell/candidate/bias"]
    assert _names("embedding_attention_seq2seq/") == sorted(
        ["rnn/embedding_wrapper/embedding"] + ["rnn/embedding_wrapper/" + n for n in gru]
        + ["embedding_attention_decoder/embedding"]
        + [att + n for n in ("AttnW_0", "AttnV_0", "AttnW_1", "AttnV_1", "kernel", "bias",
                             "Attention_0/kernel", "Attention_0/bias", "Attention_1/kernel",
                             "Attention_1/bias", "AttnOutputProjection/kernel",
                             "AttnOutputProjection/bias", "output_projection_wrapper/kernel",
                             "output_projection_wrapper/bias")]
        + [att + "output_projection_wrapper/" + n for n in gru])
    shapes = {v.op.name.split("/", 2)[-1]: v.shape.as_list() for v in tf.global_variables()}
    assert shapes["attention_decoder/AttnW_0"] == [1, 1, 3, 3]
    assert shapes["attention_decoder/kernel"] == [2 + 3 + 3, 2]  # [input, attn x 2] -> input
    assert shapes["attention_decoder/AttnOutputProjection/kernel"] == [5 + 3 + 3, 5]


def test_output_projection_keeps_cell_outputs():
    """With an output projection the decoder outputs the cell's own size (no wrapper)."""
    w = tf.get_variable("proj_w", [3, 5])
    b = tf.get_variable("proj_b", [5])
    outs, _ = s2s.embedding_attention_seq2seq(_ids([1, 0]), _ids([0, 1, 2]),
                                              rnn_cell.BasicLSTMCell(3), 2, 5, 2,
                                              output_projection=(w, b))
    assert [o.shape.as_list() for o in outs] == [[B, 3]] * 3
    assert not [n for n in _names() if "output_projection_wrapper" in n]


# -- feed_previous -------------------------------------------------------------------------------
def test_embedding_rnn_decoder_greedy_matches_numpy():
    """feed_previous=True: each step after GO embeds the argmax of the previous projected
    output (output_projection (W, B) applied first)."""
    V, E, U = 6, 3, 4
    h0 = R.normal(size=(B, U)).astype(np.float32)
    w_np, b_np = R.normal(size=(U, V)).astype(np.float32), R.normal(size=V).astype(np.float32)
    outs, _ = s2s.embedding_rnn_decoder(_ids([2, 5, 5, 5]), tf.constant(h0),
                                        rnn_cell.BasicRNNCell(U), V, E,
                                        output_projection=(w_np, b_np), feed_previous=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        emb, k, bias = _values("embedding_rnn_decoder/", ["embedding",
                                                          "rnn_decoder/basic_rnn_cell/kernel",
                                                          "rnn_decoder/basic_rnn_cell/bias"])
        got = sess.run(outs)
    h, sym = h0, np.full(B, 2)
    for t in range(4):
        h = np.tanh(np.concatenate([emb[sym], h], 1) @ k + bias)
        np.testing.assert_allclose(got[t], h, rtol=1e-5, atol=1e-6)
        sym = np.argmax(h @ w_np + b_np, 1)


def _copy_vars(sess, src, dst):
    """Assign every variable under ``dst/`` the value of the one with the same name under
    ``src/`` (the models' names must line up)."""
    by_name = {v.op.name: v for v in tf.global_variables()}
    dst_vars = [v for n, v in by_name.items() if n.startswith(dst + "/")]
    assert dst_vars
    for v in dst_vars:
        sess.run(tf.assign(v, by_name[src + v.op.name[len(dst):]]))


def _attention_model(enc, dec, feed_previous):
    return s2s.embedding_attention_seq2seq(enc, dec, rnn_cell.BasicLSTMCell(3), 4, 5, 3,
                                           num_heads=2, feed_previous=feed_previous)


def _rnn_model(enc, dec, feed_previous):
    return s2s.embedding_rnn_seq2seq(enc, dec, rnn_cell.GRUCell(3), 4, 5, 3,
                                     feed_previous=feed_previous)


def _tied_model(enc, dec, feed_previous):
    return s2s.embedding_tied_rnn_seq2seq(enc, dec,
                                          rnn_cell.BasicLSTMCell(3, state_is_tuple=False), 5,
                                          3, feed_previous=feed_previous)


def _one2many_model(enc, dec, feed_previous):
    outs, states = s2s.one2many_rnn_seq2seq(enc, {"a": dec}, rnn_cell.GRUCell(3),
                                            {"a": rnn_cell.GRUCell(3)}, 4, {"a": 5}, 3,
                                            feed_previous=feed_previous)
    return outs["a"], states["a"]


@pytest.mark.parametrize("model", [_attention_model, _rnn_model, _tied_model,
                                   _one2many_model])
def test_feed_previous_tensor_and_bool(model):
    """A bool-tensor feed_previous picks the greedy or the teacher-forced decoder at run time.
    Greedy outputs equal the teacher-forced ones fed GO + the greedy argmaxes; the bool model
    has the same variable names and, given the same values, the same outputs."""
    steps = 3
    enc = [tf.constant(R.integers(0, 4, size=B).astype(np.int32)) for _ in range(2)]
    dec = [tf.placeholder(tf.int32, [B]) for _ in range(steps)]
    fp = tf.placeholder(tf.bool, [])
    with tf.variable_scope("switch"):
        outs, state = model(enc, dec, fp)
    with tf.variable_scope("greedy"):
        greedy, _ = model(enc, dec, True)
    assert _names("switch/") == _names("greedy/")
    assert len(outs) == steps and tf.nest.flatten(state)
    go = np.full(B, 0, np.int32)
    junk = {d: R.integers(0, 5, size=B).astype(np.int32) for d in dec[1:]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_greedy = sess.run(outs, {fp: True, dec[0]: go, **junk})
        syms = [np.argmax(o, 1).astype(np.int32) for o in got_greedy[:-1]]
        forced = sess.run(outs, {fp: False, **dict(zip(dec, [go] + syms))})
        np.testing.assert_allclose(forced, got_greedy, rtol=1e-5, atol=1e-6)
        # teacher forcing does use the inputs: other inputs, other outputs
        other = sess.run(outs, {fp: False, dec[0]: go,
                                **{d: (s + 1) % 5 for d, s in zip(dec[1:], syms)}})
        assert np.abs(np.asarray(other[1:]) - np.asarray(forced[1:])).max() > 1e-5
        _copy_vars(sess, "switch", "greedy")
        np.testing.assert_allclose(sess.run(greedy, {dec[0]: go, **junk}), got_greedy,
                                   rtol=1e-5, atol=1e-6)


def test_feed_previous_tensor_gradients_flow():
    enc, dec = _ids([1, 2]), _ids([0, 1, 2])
    fp = tf.placeholder_with_default(False, [])
    outs, _ = _attention_model(enc, dec, fp)
    loss = s2s.sequence_loss(outs, _ids([1, 2, 3]), [tf.ones([B])] * 3)
    params = tf.trainable_variables()
    grads = tf.gradients(loss, params)
    assert all(g is not None for g in grads)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for flag in (False, True):
            # (the embeddings' gradients are IndexedSlices)
            values = [getattr(v, "values", v) for v in sess.run(grads, {fp: flag})]
            assert all(np.isfinite(np.asarray(v)).all() for v in values)
            assert sum(float(np.abs(np.asarray(v)).sum()) for v in values) > 0


# -- buckets -------------------------------------------------------------------------------------
@pytest.mark.parametrize("per_example", [False, True])
def test_model_with_buckets_shares_variables(per_example):
    buckets = [(2, 2), (3, 4)]
    enc = [tf.placeholder(tf.int32, [None]) for _ in range(3)]
    dec = [tf.placeholder(tf.int32, [None]) for _ in range(5)]
    targets = dec[1:]
    weights = [tf.ones_like(d, dtype=tf.float32) for d in dec[:4]]

    def seq2seq(e, d):
        return s2s.embedding_attention_seq2seq(e, d, rnn_cell.GRUCell(3), 6, 6, 3)

    with tf.variable_scope("root"):
        outputs, losses = s2s.model_with_buckets(enc, dec, targets, weights, buckets, seq2seq,
                                                 per_example_loss=per_example)
        assert tf.get_variable_scope().reuse is not True  # not left reusing
    assert [len(o) for o in outputs] == [2, 4]
    n_vars = len(tf.global_variables())
    with tf.Graph().as_default():
        s2s.embedding_attention_seq2seq(_ids([1, 2]), _ids([1, 2]), rnn_cell.GRUCell(3), 6, 6, 3)
        assert len(tf.global_variables()) == n_vars  # the second bucket made none
    assert [loss.shape.as_list() for loss in losses] == ([[None]] * 2 if per_example
                                                         else [[]] * 2)
    feed = {p: R.integers(0, 6, size=B).astype(np.int32) for p in enc + dec}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        outs, got = sess.run([outputs, losses], feed)
    for j, (_, dec_len) in enumerate(buckets):
        per = sum(-np.log(_softmax(outs[j][t])[np.arange(B), feed[dec[t + 1]]])
                  for t in range(dec_len)) / dec_len
        np.testing.assert_allclose(got[j], per if per_example else per.sum() / B, rtol=1e-5)


@pytest.mark.parametrize("model", ["embedding_attention_seq2seq", "embedding_rnn_seq2seq"])
def test_one_cell_shared_by_every_bucket_as_the_translate_model_does(model):
    """The translate tutorial passes one cell object to every bucket's model: the encoder's
    copy of an already used cell must still read the encoder's variables, so identical
    buckets give identical losses (the copy once ran with the decoder's weights)."""
    cell = rnn_cell.GRUCell(4)
    enc = [tf.placeholder(tf.int32, [None]) for _ in range(3)]
    dec = [tf.placeholder(tf.int32, [None]) for _ in range(3)]
    weights = [tf.ones([B]) for _ in range(3)]

    def seq2seq(e, d):
        return getattr(s2s, model)(e, d, cell, 9, 9, 4, feed_previous=False)

    _, losses = s2s.model_with_buckets(enc, dec, dec[1:] + [dec[0]], weights,
                                       [(3, 3), (3, 3)], seq2seq)
    feed = {p: R.integers(0, 9, size=B).astype(np.int32) for p in enc + dec}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first, second = sess.run(losses, feed)
    np.testing.assert_allclose(second, first, rtol=1e-6)


# -- training ------------------------------------------------------------------------------------
def test_char_rnn_trains():
    """sherjilozair/char-rnn-tensorflow's model: embedding, 2-layer LSTM through rnn_decoder
    (scope rnnlm), softmax_w/softmax_b, sequence_loss_by_example; Adam lowers the loss. The
    sampling graph reuses the variables with the greedy loop_function."""
    vocab, size, steps = 8, 16, 6
    text = np.array([i % vocab for i in range(B * steps * 4 + 1)], np.int32)
    xs, ys = text[:-1].reshape(B, -1)[:, :steps], text[1:].reshape(B, -1)[:, :steps]
    data = tf.placeholder(tf.int32, [B, steps])
    target = tf.placeholder(tf.int32, [B, steps])
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(size) for _ in range(2)])
    init = cell.zero_state(B, tf.float32)

    def model(infer):
        with tf.variable_scope("rnnlm", reuse=True if infer else None):
            w = tf.get_variable("softmax_w", [size, vocab])
            b = tf.get_variable("softmax_b", [vocab])
            embedding = tf.get_variable("embedding", [vocab, size])
            inputs = tf.split(tf.nn.embedding_lookup(embedding, data), steps, 1)
            inputs = [tf.squeeze(i, [1]) for i in inputs]

        def loop(prev, _):
            symbol = tf.stop_gradient(tf.argmax(tf.matmul(prev, w) + b, 1))
            return tf.nn.embedding_lookup(embedding, symbol)

        with tf.variable_scope(tf.get_variable_scope(), reuse=True if infer else None):
            outputs, last = s2s.rnn_decoder(inputs, init, cell,
                                            loop_function=loop if infer else None,
                                            scope="rnnlm")
        out = tf.reshape(tf.concat(outputs, 1), [-1, size])
        return tf.matmul(out, w) + b, last

    logits, _ = model(False)
    loss = s2s.sequence_loss_by_example([logits], [tf.reshape(target, [-1])],
                                        [tf.ones([B * steps])])
    cost = tf.reduce_sum(loss) / B / steps
    train = tf.train.AdamOptimizer(0.02).minimize(cost)
    sample_logits, _ = model(True)  # reuses every variable
    assert "rnnlm/multi_rnn_cell/cell_0/basic_lstm_cell/kernel" in _names()
    n_vars = len(tf.trainable_variables())
    assert n_vars == 3 + 4
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        costs = [sess.run([cost, train], {data: xs, target: ys})[0] for _ in range(30)]
        assert sess.run(sample_logits, {data: xs}).shape == (B * steps, vocab)
    assert costs[-1] < 0.5 * costs[0], costs


# -- errors --------------------------------------------------------------------------------------
def test_loss_length_mismatch_names_lengths():
    logits = [tf.zeros([B, 3])] * 3
    targets = _ids([0, 1, 2])
    with pytest.raises(ValueError, match=r"logits, weights, and targets must be the same "
                                         r"3, 2, 3"):
        s2s.sequence_loss_by_example(logits, targets, [tf.ones([B])] * 2)
    with pytest.raises(ValueError, match=r"must be the same 3, 3, 1"):
        s2s.sequence_loss(logits, targets[:1], [tf.ones([B])] * 3)
    with pytest.raises(TypeError, match="logits must be a list of tensors"):
        s2s.sequence_loss(tf.zeros([B, 3, 3]), targets, [tf.ones([B])] * 3)


@pytest.mark.parametrize("what,sizes,given,need", [
    ("encoder_inputs", (2, 5, 4, 4), 2, 3), ("decoder_inputs", (3, 3, 4, 4), 3, 4),
    ("targets", (3, 5, 3, 4), 3, 4), ("weights", (3, 5, 4, 2), 2, 4)])
def test_buckets_longer_than_inputs(what, sizes, given, need):
    enc, dec, tgt, wts = ([tf.zeros([B], tf.int32)] * n for n in sizes)
    with pytest.raises(ValueError, match=rf"Length of {what} \({given}\) must be at least that "
                                         rf"of last bucket \({need}\)"):
        s2s.model_with_buckets(enc, dec, tgt, wts, [(2, 2), (3, 4)], lambda e, d: (d, None))
    assert not tf.global_variables()
    with pytest.raises(ValueError, match="buckets must be a non-empty list"):
        s2s.model_with_buckets(enc, dec, tgt, wts, [], lambda e, d: (d, None))


def test_output_projection_shape_errors():
    enc, dec = _ids([1, 0]), _ids([0, 1])
    cell = rnn_cell.GRUCell(3)
    with pytest.raises(ValueError, match=r"output_projection\[0\] \(the weights W\) has shape "
                                         r"\(3, 4\), but must be \[output_size, "
                                         r"num_symbols=5\]"):
        s2s.embedding_rnn_seq2seq(enc, dec, cell, 2, 5, 2,
                                  output_projection=(tf.zeros([3, 4]), tf.zeros([5])))
    with pytest.raises(ValueError, match=r"output_projection\[1\] \(the biases B\) has shape "
                                         r"\(4,\)"):
        s2s.embedding_attention_decoder(dec, tf.zeros([B, 3]), tf.zeros([B, 2, 3]), cell, 5, 2,
                                        output_projection=(tf.zeros([3, 5]), tf.zeros([4])))
    with pytest.raises(ValueError, match="must be None or a pair"):
        s2s.embedding_tied_rnn_seq2seq(enc, dec, cell, 5, 2, output_projection=tf.zeros([3, 5]))


def test_attention_decoder_errors():
    h = tf.zeros([B, 3])
    att = tf.zeros([B, 4, 3])
    cell = rnn_cell.GRUCell(3)
    with pytest.raises(ValueError, match="at least 1 input"):
        s2s.attention_decoder([], h, att, cell)
    with pytest.raises(ValueError, match="less than 1 heads"):
        s2s.attention_decoder([h], h, att, cell, num_heads=0)
    with pytest.raises(ValueError, match=r"Shape\[2\] of attention_states must be known"):
        s2s.attention_decoder([h], h, tf.placeholder(tf.float32, [B, 4, None]), cell)
    with pytest.raises(ValueError, match="attention_states must be a .batch_size, attn_length"):
        s2s.attention_decoder([h], h, tf.zeros([B, 3]), cell)
    with pytest.raises(ValueError, match="Could not infer input size from input"):
        s2s.attention_decoder([tf.placeholder(tf.float32, [B, None])], h, att, cell)


def test_model_argument_errors():
    enc, dec = _ids([1]), _ids([0])
    with pytest.raises(TypeError, match="enc_cell is not an RNNCell"):
        s2s.one2many_rnn_seq2seq(enc, {"a": dec}, "gru", {"a": rnn_cell.GRUCell(2)}, 2,
                                 {"a": 3}, 2)
    with pytest.raises(ValueError, match=r"keys of dec_cells_dict != keys of "
                                         r"decoder_inputs_dict: \['b'\] vs \['a'\]"):
        s2s.one2many_rnn_seq2seq(enc, {"a": dec}, rnn_cell.GRUCell(2),
                                 {"b": rnn_cell.GRUCell(2)}, 2, {"a": 3}, 2)
    with pytest.raises(KeyError, match="num_decoder_symbols_dict has no entry"):
        s2s.one2many_rnn_seq2seq(enc, {"a": dec}, rnn_cell.GRUCell(2),
                                 {"a": rnn_cell.GRUCell(2)}, 2, {"b": 3}, 2)
    with pytest.raises(ValueError, match="feed_previous must be a Python bool or a scalar bool"):
        s2s.embedding_rnn_seq2seq(enc, dec, rnn_cell.GRUCell(2), 2, 3, 2,
                                  feed_previous=tf.constant([True, False]))
    with pytest.raises(TypeError, match="cell is not an RNNCell"):
        s2s.basic_rnn_seq2seq([tf.zeros([B, 2])], [tf.zeros([B, 2])], None)


def test_encoder_copy_shares_graph_objects():
    """The encoder's copy of a cell holding a tensor (a keep_prob placeholder) shares that
    tensor instead of copying the graph (TF1's deepcopy failed here)."""
    keep = tf.placeholder_with_default(1.0, [])
    cell = rnn_cell.DropoutWrapper(rnn_cell.GRUCell(3), output_keep_prob=keep)
    enc = [tf.constant(R.normal(size=(B, 2)).astype(np.float32)) for _ in range(2)]
    outs, _ = s2s.basic_rnn_seq2seq(enc, enc, cell)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a = sess.run(outs)
        b = sess.run(outs, {keep: 1.0})
    np.testing.assert_allclose(a, b)
    assert len(_names()) == 8  # encoder and decoder GRUs apart
