"""tf.contrib.rnn's LayerNormLSTMCell, GLSTMCell and PhasedLSTMCell: TF 1.15's variable names,
shapes and errors, and each cell's equations written out in numpy, run over a sequence with every
variable set by name to a deterministic value. TF-free."""

import numpy as np
import pytest

import minitf as tf
from tests.core.contrib.test_rnn import X, run_with, sigmoid
from tests.core.contrib.test_rnn_cells import close, norm, run_cell, unroll

R = tf.contrib.rnn


@pytest.mark.parametrize("layer_norm", [False, True])
def test_layer_norm_lstm_cell(layer_norm):
    cell = R.LayerNormLSTMCell(4, use_peepholes=True, cell_clip=0.8, num_proj=2, proj_clip=0.35,
                               forget_bias=0.3, layer_norm=layer_norm, norm_gain=1.5,
                               norm_shift=0.1)
    assert cell.state_size == (4, 2) and cell.output_size == 2
    out, st, v, names = run_cell(cell, "ln")
    p = "layer_norm_lstm_cell/"
    gates = ("input", "transform", "forget", "output")
    expected = ["kernel", "bias"] + \
        ([f"{g}/{w}" for g in gates for w in ("gamma", "beta")] if layer_norm else []) + \
        ["w_f_diag", "w_i_diag", "w_o_diag"] + \
        (["state/gamma", "state/beta"] if layer_norm else []) + ["projection/kernel"]
    assert names == [p + n for n in expected]
    assert v[p + "kernel"].shape == (5, 16) and v[p + "projection/kernel"].shape == (4, 2)

    def step(x, state):
        c, m = state
        z = np.concatenate([x, m], 1) @ v[p + "kernel"]
        if not layer_norm:
            z = z + v[p + "bias"]
        i, j, f, o = np.split(z, 4, axis=1)
        if layer_norm:
            i, j, f, o = (norm(a, v[p + g + "/gamma"], v[p + g + "/beta"])
                          for a, g in zip((i, j, f, o), gates))
        c = sigmoid(f + 0.3 + v[p + "w_f_diag"] * c) * c + \
            sigmoid(i + v[p + "w_i_diag"] * c) * np.tanh(j)
        if layer_norm:
            c = norm(c, v[p + "state/gamma"], v[p + "state/beta"])
        c = np.clip(c, -0.8, 0.8)
        m = sigmoid(o + v[p + "w_o_diag"] * c) * np.tanh(c)
        m = np.clip(m @ v[p + "projection/kernel"], -0.35, 0.35)
        return m, (c, m)

    want, (c, m) = unroll(step, (np.zeros((2, 4)), np.zeros((2, 2))))
    close(out, want)
    close(st.c, c)
    close(st.h, m)


def test_layer_norm_lstm_cell_initial_norm_values_and_plain_path():
    cell = R.LayerNormLSTMCell(3, layer_norm=True, norm_gain=2.0, norm_shift=-0.5,
                               initializer=tf.constant_initializer(0.25))
    out, state = cell(tf.constant(X[:, 0]), cell.zero_state(2, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run({v.op.name: v for v in tf.global_variables()})
        o = sess.run(out)
    p = "layer_norm_lstm_cell/"
    np.testing.assert_array_equal(got[p + "forget/gamma"], np.full(3, 2.0))
    np.testing.assert_array_equal(got[p + "state/beta"], np.full(3, -0.5))
    np.testing.assert_array_equal(got[p + "kernel"], np.full((6, 12), 0.25))
    # every gate's pre-activation is the same row sum, so its layer norm is the shift
    i = j = f = oo = np.full((2, 3), -0.5)
    c = norm(sigmoid(i) * np.tanh(j) + 0 * f, np.full(3, 2.0), np.full(3, -0.5))
    close(o, sigmoid(oo) * np.tanh(c))
    # without projection the state is (num_units, num_units)
    assert R.LayerNormLSTMCell(5).state_size == (5, 5)


def test_layer_norm_lstm_cell_errors():
    cell = R.LayerNormLSTMCell(2)
    with pytest.raises(ValueError, match="must have rank 2"):
        cell(tf.zeros([2, 3, 4]), cell.zero_state(2, tf.float32))
    with pytest.raises(ValueError, match="Could not infer input size"):
        cell(tf.placeholder(tf.float32, [2, None]), cell.zero_state(2, tf.float32))


@pytest.mark.parametrize("num_proj", [None, 4])
def test_glstm_cell(num_proj):
    x = np.concatenate([X, X[..., :1] * 0.5], -1)  # depth 4, two groups of 2
    cell = R.GLSTMCell(6, num_proj=num_proj, number_of_groups=2, forget_bias=0.7)
    out, st, v, names = run_cell(cell, "g", x=x)
    p = "glstm_cell/"
    assert names == [p + n for n in ["group0/kernel", "group1/kernel", "bias_i", "bias_j",
                                     "bias_f", "bias_o"] +
                     (["projection/kernel"] if num_proj else [])]
    out_group = (num_proj or 6) // 2
    assert v[p + "group0/kernel"].shape == (2 + out_group, 12)
    proj = num_proj or 6

    def step(xt, state):
        c, m = state
        parts = []
        for k in range(2):
            xk = np.concatenate([xt[:, 2 * k:2 * k + 2],
                                 m[:, out_group * k:out_group * (k + 1)]], 1)
            parts.append(np.split(xk @ v[p + f"group{k}/kernel"], 4, axis=1))
        i, j, f, o = (np.concatenate([parts[0][g], parts[1][g]], 1) + v[p + f"bias_{n}"]
                      for g, n in enumerate("ijfo"))
        c = sigmoid(f + 0.7) * c + sigmoid(i) * np.tanh(j)
        m = sigmoid(o) * np.tanh(c)
        if num_proj:
            m = m @ v[p + "projection/kernel"]
        return m, (c, m)

    want, (c, m) = unroll(step, (np.zeros((2, 6)), np.zeros((2, proj))), x=x)
    close(out, want)
    close(st.c, c)
    close(st.h, m)


def test_glstm_cell_errors():
    with pytest.raises(ValueError, match="num_units must be divisible by number_of_groups"):
        R.GLSTMCell(5, number_of_groups=2)
    with pytest.raises(ValueError, match="num_proj must be divisible by number_of_groups"):
        R.GLSTMCell(4, num_proj=3, number_of_groups=2)
    cell = R.GLSTMCell(4, number_of_groups=2)
    with pytest.raises(ValueError, match=r"input size \(3\) must be divisible by "
                                         r"number_of_groups \(2\)"):
        cell(tf.zeros([2, 3]), cell.zero_state(2, tf.float32))
    with pytest.raises(ValueError, match="input size must be statically known"):
        cell(tf.placeholder(tf.float32, [2, None]), cell.zero_state(2, tf.float32))


@pytest.mark.parametrize("peepholes", [False, True])
def test_phased_lstm_cell(peepholes):
    n = 3
    cell = R.PhasedLSTMCell(n, use_peepholes=peepholes, leak=0.01, ratio_on=0.2)
    times = np.array([[[0.5], [1.0]], [[2.25], [1.5]], [[3.0], [4.75]]], np.float32)
    state = cell.zero_state(2, tf.float32)
    outs = []
    for t in range(3):
        out, state = cell((tf.constant(times[t]), tf.constant(X[:, t])), state)
        outs.append(out)
    names = [v.op.name for v in tf.global_variables()]
    p = "phased_lstm_cell/"
    assert names == [p + s for s in ("mask_gates/kernel", "mask_gates/bias", "new_input/kernel",
                                     "new_input/bias", "output_gate/kernel", "output_gate/bias",
                                     "period", "phase", "ratio_on")]
    assert [v.op.name for v in tf.trainable_variables()] == names
    rows = 3 + n + (n if peepholes else 0)
    rng = np.random.default_rng(5)
    values = {p + "mask_gates/kernel": rng.standard_normal((rows, 2 * n)) * 0.5,
              p + "mask_gates/bias": rng.standard_normal(2 * n) * 0.1,
              p + "new_input/kernel": rng.standard_normal((3 + n, n)) * 0.5,
              p + "new_input/bias": rng.standard_normal(n) * 0.1,
              p + "output_gate/kernel": rng.standard_normal((rows, n)) * 0.5,
              p + "output_gate/bias": rng.standard_normal(n) * 0.1,
              p + "period": np.array([1.0, 2.5, 4.0]), p + "phase": np.array([0.0, 0.3, 1.2]),
              p + "ratio_on": np.array([0.2, 0.5, 0.9])}
    values = {k: v.astype(np.float32) for k, v in values.items()}
    (got, (c, h)), _ = run_with([outs, state], values=values)

    def lin(parts, name):
        return np.concatenate(parts, 1) @ values[p + name + "/kernel"] + values[p + name + "/bias"]

    c_np, h_np = np.zeros((2, n)), np.zeros((2, n))
    for t in range(3):
        x = X[:, t]
        gates = sigmoid(lin([x, h_np] + ([c_np] if peepholes else []), "mask_gates"))
        ig, fg = np.split(gates, 2, axis=1)
        new_c = c_np * fg + ig * np.tanh(lin([x, h_np], "new_input"))
        og = sigmoid(lin([x, h_np] + ([new_c] if peepholes else []), "output_gate"))
        new_h = np.tanh(new_c) * og
        period, ratio = values[p + "period"], values[p + "ratio_on"]
        cycle = np.mod(times[t] - values[p + "phase"], period) / period
        k_up = 2 * cycle / ratio
        k = np.where(cycle < 0.5 * ratio, k_up, np.where(cycle < ratio, 2 - k_up, 0.01 * cycle))
        c_np = k * new_c + (1 - k) * c_np
        h_np = k * new_h + (1 - k) * h_np
        close(got[t], h_np)
    close(c, c_np)
    close(h, h_np)


def test_phased_lstm_cell_initial_values_and_errors():
    tf.set_random_seed(3)
    cell = R.PhasedLSTMCell(50, trainable_ratio_on=False, period_init_min=2.0,
                            period_init_max=20.0)
    cell((tf.ones([1, 1]), tf.ones([1, 2])), cell.zero_state(1, tf.float32))
    assert [v.op.name for v in tf.trainable_variables()][-1] == "phased_lstm_cell/phase"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run({v.op.name.split("/")[-1]: v for v in tf.global_variables()})
    assert (got["period"] >= 2.0).all() and (got["period"] <= 20.0).all()
    assert got["period"].std() > 0.5
    assert (got["phase"] >= 0).all() and (got["phase"] <= got["period"]).all()
    np.testing.assert_array_equal(got["ratio_on"], np.full(50, 0.1, np.float32))
    with pytest.raises(ValueError, match=r"inputs \(time, features\)"):
        R.PhasedLSTMCell(2)(tf.ones([1, 2]), R.PhasedLSTMCell(2).zero_state(1, tf.float32))
