"""tf.contrib.rnn's extra cells and wrappers (CoupledInputForgetGateLSTMCell,
LayerNormBasicLSTMCell, NASCell, UGRNNCell, IntersectionRNNCell, IndRNNCell, IndyGRUCell,
IndyLSTMCell, HighwayWrapper, AttentionCellWrapper): TF1's variable names, and each cell's
equations written out in numpy (TF 2 has none of these cells to compare with), run over a
sequence with every variable set by name to a deterministic value."""

import numpy as np
import pytest

import minitf as tf
from tests.core.contrib.test_rnn import X, run_with, sigmoid

R = tf.contrib.rnn


def run_cell(cell, scope, x=X, init=None):
    """dynamic_rnn of ``cell`` over ``x``: (outputs, final state, values, variable names)."""
    outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(x), initial_state=init,
                                       dtype=tf.float32, scope=scope)
    names = [v.op.name for v in tf.global_variables(scope)]
    (out, st), values = run_with([outputs, state])
    return out, st, {n[len(scope) + 1:]: values[n] for n in names}, \
        [n[len(scope) + 1:] for n in names]


def norm(x, gamma, beta):
    mean = x.mean(1, keepdims=True)
    var = ((x - mean) ** 2).mean(1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * gamma + beta


def unroll(step, state, x=X):
    outs = []
    for t in range(x.shape[1]):
        out, state = step(x[:, t], state)
        outs.append(out)
    return np.stack(outs, 1), state


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("layer_norm", [False, True])
def test_coupled_input_forget_gate_lstm_cell(layer_norm):
    cell = R.CoupledInputForgetGateLSTMCell(3, use_peepholes=True, num_proj=2, proj_clip=0.3,
                                            forget_bias=0.5, layer_norm=layer_norm)
    assert cell.state_size == (3, 2) and cell.output_size == 2
    out, st, v, names = run_cell(cell, "c")
    p = "coupled_input_forget_gate_lstm_cell/"
    expected = ["W_0", "B"] + ([f"{s}/{g}" for s in ("transform", "forget", "output")
                                for g in ("gamma", "beta")] if layer_norm else []) + \
        ["W_F_diag", "W_O_diag"] + (["state/gamma", "state/beta"] if layer_norm else []) + \
        ["W_P_0"]
    assert names == [p + n for n in expected]

    def step(x, state):
        c, m = state
        z = np.concatenate([x, m], 1) @ v[p + "W_0"] + (0 if layer_norm else v[p + "B"])
        j, f, o = np.split(z, 3, axis=1)
        if layer_norm:
            j, f, o = (norm(a, v[p + s + "/gamma"], v[p + s + "/beta"])
                       for a, s in ((j, "transform"), (f, "forget"), (o, "output")))
        fa = sigmoid(f + 0.5 + v[p + "W_F_diag"] * c)
        c = fa * c + (1 - fa) * np.tanh(j)
        if layer_norm:
            c = norm(c, v[p + "state/gamma"], v[p + "state/beta"])
        m = np.clip((sigmoid(o + v[p + "W_O_diag"] * c) * np.tanh(c)) @ v[p + "W_P_0"], -.3, .3)
        return m, (c, m)

    want, (c, m) = unroll(step, (np.zeros((2, 3)), np.zeros((2, 2))))
    close(out, want)
    close(st.c, c)


def test_coupled_cell_shards_and_concatenated_state():
    cell = R.CoupledInputForgetGateLSTMCell(5, num_unit_shards=3, state_is_tuple=False)
    assert cell.state_size == 10
    out, st, v, names = run_cell(cell, "s")
    p = "coupled_input_forget_gate_lstm_cell/"
    assert names == [p + "W_0", p + "W_1", p + "W_2", p + "B"]
    assert [v[n].shape for n in names[:3]] == [(3, 15), (3, 15), (2, 15)]
    w = np.concatenate([v[p + f"W_{i}"] for i in range(3)])

    def step(x, state):
        c, m = state[:, :5], state[:, 5:]
        j, f, o = np.split(np.concatenate([x, m], 1) @ w + v[p + "B"], 3, axis=1)
        c = sigmoid(f + 1) * c + (1 - sigmoid(f + 1)) * np.tanh(j)
        m = sigmoid(o) * np.tanh(c)
        return m, np.concatenate([c, m], 1)

    want, final = unroll(step, np.zeros((2, 10)))
    close(out, want)
    close(st, final)
    with pytest.raises(ValueError, match="Too many shards"):
        tf.nn.dynamic_rnn(R.CoupledInputForgetGateLSTMCell(1, num_unit_shards=9),
                          tf.constant(X[:, :, :1]), dtype=tf.float32, scope="bad")


@pytest.mark.parametrize("layer_norm", [False, True])
def test_layer_norm_basic_lstm_cell(layer_norm):
    cell = R.LayerNormBasicLSTMCell(3, forget_bias=0.3, layer_norm=layer_norm, norm_gain=1.5,
                                    norm_shift=0.1)
    out, st, v, names = run_cell(cell, "ln")
    p = "layer_norm_basic_lstm_cell/"
    assert names == [p + "kernel"] + (
        [f"{p}{s}/{g}" for s in ("input", "transform", "forget", "output", "state")
         for g in ("gamma", "beta")] if layer_norm else [p + "bias"])
    if layer_norm:
        with tf.Session() as sess:  # the initial gain and shift
            sess.run(tf.global_variables_initializer())
            got = sess.run(tf.global_variables("ln")[1:3])
        np.testing.assert_array_equal(got[0], np.full(3, 1.5, np.float32))
        np.testing.assert_array_equal(got[1], np.full(3, 0.1, np.float32))

    def step(x, state):
        c, h = state
        z = np.concatenate([x, h], 1) @ v[p + "kernel"]
        if not layer_norm:
            z = z + v[p + "bias"]
        i, j, f, o = np.split(z, 4, axis=1)
        if layer_norm:
            i, j, f, o = (norm(a, v[f"{p}{s}/gamma"], v[f"{p}{s}/beta"]) for a, s in
                          ((i, "input"), (j, "transform"), (f, "forget"), (o, "output")))
        c = c * sigmoid(f + 0.3) + sigmoid(i) * np.tanh(j)
        if layer_norm:
            c = norm(c, v[p + "state/gamma"], v[p + "state/beta"])
        h = np.tanh(c) * sigmoid(o)
        return h, (c, h)

    want, (c, h) = unroll(step, (np.zeros((2, 3)), np.zeros((2, 3))))
    close(out, want)
    close(st.c, c)
    close(st.h, h)


def test_layer_norm_basic_lstm_cell_recurrent_dropout():
    """Dropout on the candidate only: with keep 0.5 some candidate entries are zero, the
    others doubled; a seeded cell gives the same result twice."""
    cell = R.LayerNormBasicLSTMCell(400, layer_norm=False, dropout_keep_prob=0.5,
                                    dropout_prob_seed=4)
    x = tf.constant(np.ones((1, 3), np.float32))
    zeros = tf.zeros([1, 400])
    _, state = cell(x, (zeros, zeros))
    (c, again), values = run_with([state.c, state.c])
    np.testing.assert_array_equal(c, again)
    z = np.ones((1, 3)) @ values["layer_norm_basic_lstm_cell/kernel"][:3] + \
        values["layer_norm_basic_lstm_cell/bias"]
    i, j, _, _ = np.split(z, 4, axis=1)
    full = sigmoid(i) * np.tanh(j) * 2  # c_prev is zero: c = sigmoid(i) * dropout(g)
    kept = np.isclose(c, full, rtol=1e-4, atol=1e-6)
    dropped = c == 0
    assert np.all(kept | dropped) and 120 < dropped.sum() < 280


def test_nas_cell():
    cell = R.NASCell(3, num_proj=2, use_biases=True)
    out, st, v, names = run_cell(cell, "n")
    p = "nas_cell/"
    assert names == [p + n for n in ("recurrent_kernel", "kernel", "bias",
                                     "projection_weights")]

    def step(x, state):
        c, m = state
        mm = np.split(m @ v[p + "recurrent_kernel"] + v[p + "bias"], 8, axis=1)
        xx = np.split(x @ v[p + "kernel"], 8, axis=1)
        relu = lambda a: np.maximum(a, 0)  # noqa: E731
        l1 = [sigmoid(xx[0] + mm[0]), relu(xx[1] + mm[1]), sigmoid(xx[2] + mm[2]),
              relu(xx[3] * mm[3]), np.tanh(xx[4] + mm[4]), sigmoid(xx[5] + mm[5]),
              np.tanh(xx[6] + mm[6]), sigmoid(xx[7] + mm[7])]
        a = np.tanh(np.tanh(l1[0] * l1[1]) + c)
        new_c = a * np.tanh(l1[2] + l1[3])
        new_m = np.tanh(new_c * np.tanh(np.tanh(l1[4] * l1[5]) + sigmoid(l1[6] + l1[7])))
        new_m = new_m @ v[p + "projection_weights"]
        return new_m, (new_c, new_m)

    want, (c, m) = unroll(step, (np.zeros((2, 3)), np.zeros((2, 2))))
    close(out, want)
    close(st.c, c)


def test_ugrnn_and_intersection_rnn_cells():
    out, st, v, names = run_cell(R.UGRNNCell(3, forget_bias=0.2), "u")
    assert names == ["ugrnn_cell/kernel", "ugrnn_cell/bias"]

    def ug(x, h):
        g, c = np.split(np.concatenate([x, h], 1) @ v["ugrnn_cell/kernel"] +
                        v["ugrnn_cell/bias"], 2, axis=1)
        g = sigmoid(g + 0.2)
        h = g * h + (1 - g) * np.tanh(c)
        return h, h

    close(out, unroll(ug, np.zeros((2, 3)))[0])
    out, st, v, names = run_cell(R.IntersectionRNNCell(4, num_in_proj=4), "i")
    p = "intersection_rnn_cell/"
    assert names == [p + "in_projection/kernel", p + "in_projection/bias", p + "kernel",
                     p + "bias"]

    def inter(x, h):
        x = x @ v[p + "in_projection/kernel"] + v[p + "in_projection/bias"]
        gh, hh, gy, y = np.split(np.concatenate([x, h], 1) @ v[p + "kernel"] + v[p + "bias"],
                                 4, axis=1)
        gh, gy = sigmoid(gh + 1), sigmoid(gy + 1)
        h = gh * h + (1 - gh) * np.tanh(hh)
        return gy * x + (1 - gy) * np.maximum(y, 0), h

    want, h = unroll(inter, np.zeros((2, 4)))
    close(out, want)
    close(st, h)
    with pytest.raises(ValueError, match="Must have input size == output size"):
        tf.nn.dynamic_rnn(R.IntersectionRNNCell(4), tf.constant(X), dtype=tf.float32,
                          scope="bad")


def test_ind_rnn_family():
    out, st, v, names = run_cell(R.IndRNNCell(3, activation=tf.nn.relu), "a")
    assert names == ["ind_rnn_cell/kernel_w", "ind_rnn_cell/kernel_u", "ind_rnn_cell/bias"]
    p = "ind_rnn_cell/"
    close(out, unroll(lambda x, h: (np.maximum(x @ v[p + "kernel_w"] + h * v[p + "kernel_u"] +
                                               v[p + "bias"], 0),) * 2, np.zeros((2, 3)))[0])
    out, st, v, names = run_cell(R.IndyGRUCell(3), "b")
    p = "indy_gru_cell/"
    assert names == [p + s for s in ("gates/kernel_w", "gates/kernel_u", "gates/bias",
                                     "candidate/kernel_w", "candidate/kernel_u",
                                     "candidate/bias")]

    def gru(x, h):
        r, u = np.split(sigmoid(x @ v[p + "gates/kernel_w"] + np.tile(h, 2) *
                                v[p + "gates/kernel_u"] + v[p + "gates/bias"]), 2, axis=1)
        c = np.tanh(x @ v[p + "candidate/kernel_w"] + r * h * v[p + "candidate/kernel_u"] +
                    v[p + "candidate/bias"])
        h = u * h + (1 - u) * c
        return h, h

    close(out, unroll(gru, np.zeros((2, 3)))[0])
    out, st, v, names = run_cell(R.IndyLSTMCell(3, forget_bias=0.4), "c")
    p = "indy_lstm_cell/"
    assert names == [p + "kernel_w", p + "kernel_u", p + "bias"]

    def lstm(x, state):
        c, h = state
        i, j, f, o = np.split(x @ v[p + "kernel_w"] + np.tile(h, 4) * v[p + "kernel_u"] +
                              v[p + "bias"], 4, axis=1)
        c = c * sigmoid(f + 0.4) + sigmoid(i) * np.tanh(j)
        h = np.tanh(c) * sigmoid(o)
        return h, (c, h)

    want, (c, h) = unroll(lstm, (np.zeros((2, 3)), np.zeros((2, 3))))
    close(out, want)
    close(st.c, c)


def test_ind_rnn_recurrent_weights_start_uniform_in_minus_one_one():
    cell = R.IndRNNCell(500)
    cell(tf.constant(X[:, 0]), tf.zeros([2, 500]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        u = sess.run(tf.global_variables()[1])
    assert u.shape == (1, 500) and np.abs(u).max() <= 1 and np.abs(u).max() > 0.95
    assert u.min() < -0.5 < 0.5 < u.max()


@pytest.mark.parametrize("couple", [True, False])
def test_highway_wrapper(couple):
    cell = R.HighwayWrapper(R.BasicRNNCell(3), couple_carry_transform_gates=couple,
                            carry_bias_init=0.5)
    out, st, v, names = run_cell(cell, "h")
    assert names == ["basic_rnn_cell/kernel", "basic_rnn_cell/bias", "carry_w", "carry_b"] + \
        ([] if couple else ["transform_w", "transform_b"])

    def step(x, h):
        h = np.tanh(np.concatenate([x, h], 1) @ v["basic_rnn_cell/kernel"] +
                    v["basic_rnn_cell/bias"])
        carry = sigmoid(x @ v["carry_w"] + v["carry_b"])
        transform = 1 - carry if couple else sigmoid(x @ v["transform_w"] + v["transform_b"])
        return x * carry + h * transform, h

    want, h = unroll(step, np.zeros((2, 3)))
    close(out, want)
    close(st, h)
    with pytest.raises(ValueError):
        tf.nn.dynamic_rnn(R.HighwayWrapper(R.BasicRNNCell(2)), tf.constant(X),
                          dtype=tf.float32, scope="bad")


@pytest.mark.parametrize("state_is_tuple", [True, False])
def test_attention_cell_wrapper(state_is_tuple):
    cell = R.AttentionCellWrapper(R.GRUCell(3), attn_length=2, attn_size=2, attn_vec_size=4,
                                  state_is_tuple=state_is_tuple)
    assert cell.output_size == 2
    assert cell.state_size == ((3, 2, 4) if state_is_tuple else 9)
    out, st, v, names = run_cell(cell, "att")
    p = "attention_cell_wrapper/"
    assert names == [p + s for s in (
        "kernel", "bias", "gru_cell/gates/kernel", "gru_cell/gates/bias",
        "gru_cell/candidate/kernel", "gru_cell/candidate/bias", "attention/attn_w",
        "attention/attn_v", "attention/kernel", "attention/bias",
        "attn_output_projection/kernel", "attn_output_projection/bias")]

    def step(x, state):
        h, attns, window = state
        x = np.concatenate([x, attns], 1) @ v[p + "kernel"] + v[p + "bias"]
        r, u = np.split(sigmoid(np.concatenate([x, h], 1) @ v[p + "gru_cell/gates/kernel"] +
                                v[p + "gru_cell/gates/bias"]), 2, axis=1)
        c = np.tanh(np.concatenate([x, r * h], 1) @ v[p + "gru_cell/candidate/kernel"] +
                    v[p + "gru_cell/candidate/bias"])
        h = u * h + (1 - u) * c
        hidden = window.reshape(2, 2, 2)  # [batch, attn_length, attn_size]
        features = hidden @ v[p + "attention/attn_w"][0, 0]
        y = h @ v[p + "attention/kernel"] + v[p + "attention/bias"]
        s = (v[p + "attention/attn_v"] * np.tanh(features + y[:, None])).sum(2)
        a = np.exp(s - s.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
        attns = (a[:, :, None] * hidden).sum(1)
        out = np.concatenate([u * 0 + h, attns], 1) @ v[p + "attn_output_projection/kernel"] + \
            v[p + "attn_output_projection/bias"]
        window = np.concatenate([hidden[:, 1:], out[:, None]], 1).reshape(2, 4)
        return out, (h, attns, window)

    want, (h, attns, window) = unroll(step, (np.zeros((2, 3)), np.zeros((2, 2)),
                                             np.zeros((2, 4))))
    close(out, want)
    final = st if state_is_tuple else (st[:, :3], st[:, 3:5], st[:, 5:])
    for a, b in zip(final, (h, attns, window)):
        close(a, b)


def test_attention_cell_wrapper_arguments():
    with pytest.raises(TypeError, match="The parameter cell is not RNNCell."):
        R.AttentionCellWrapper(object(), 2)
    with pytest.raises(ValueError, match="attn_length should be greater than zero, got 0"):
        R.AttentionCellWrapper(R.GRUCell(2), 0)
    with pytest.raises(ValueError, match="Cell returns tuple of states"):
        R.AttentionCellWrapper(R.LSTMCell(2), 2, state_is_tuple=False)


@pytest.mark.parametrize("compile_stateful", [False, True])
def test_compiled_wrapper_marks_the_step_for_xla_and_computes_the_same(compile_stateful):
    """TF's CompiledWrapper: the cell's ops built in a jit scope (stateful ones only with
    compile_stateful), its variables where the plain cell's are, the same outputs."""
    plain = run_cell(tf.nn.rnn_cell.GRUCell(4), "plain")
    with tf.Graph().as_default() as g:
        cell = R.CompiledWrapper(
            R.DropoutWrapper(tf.nn.rnn_cell.GRUCell(4), output_keep_prob=0.999999, seed=1),
            compile_stateful=compile_stateful)
        wrapped = run_cell(cell, "plain", init=None)
        marks = {op.type: op.get_attr("_XlaCompile") for op in g.get_operations()
                 if "Initializer" not in op.name and "_XlaCompile" in (op._marks or {})}
    assert wrapped[3] == plain[3] == ["gru_cell/gates/kernel", "gru_cell/gates/bias",
                                      "gru_cell/candidate/kernel", "gru_cell/candidate/bias"]
    close(wrapped[0], plain[0])  # (the dropout keeps all but one in a million)
    assert marks["MatMul"] is True
    assert marks["RandomUniform"] is compile_stateful
