"""tf.keras recurrent layers and wrappers against numpy written step by step: SimpleRNN, LSTM
(implementations 1 and 2), GRU (reset_after False/True), stacked cells, masks, go_backwards,
initial states, Bidirectional and TimeDistributed; gradients against numerical differences;
weight names, configs, errors, dropout phases and freezing the while loop."""

import numpy as np
import pytest

import minitf as tf
from minitf import keras
from tests.core.legacy_tf import run_against_tf

L = keras.layers
RNG = np.random.default_rng(11)


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# -- numpy cells: (x_t, states, weights) -> (output, states) ------------------------------------
def simple_step(x, states, w, act=np.tanh):
    k, rk, b = w
    h = act(x @ k + states[0] @ rk + b)
    return h, [h]


def lstm_step(x, states, w, rec=hard_sigmoid):
    k, rk, b = w
    h, c = states
    z = x @ k + h @ rk + b
    u = h.shape[1]
    i, f, g, o = (z[:, n * u:(n + 1) * u] for n in range(4))
    c = rec(f) * c + rec(i) * np.tanh(g)
    h = rec(o) * np.tanh(c)
    return h, [h, c]


def gru_step(x, states, w, reset_after=False, rec=hard_sigmoid):
    k, rk, b = w
    h = states[0]
    u = h.shape[1]
    bi, br = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
    xz, xr, xh = (x @ k[:, n * u:(n + 1) * u] + bi[n * u:(n + 1) * u] for n in range(3))
    hz, hr = (h @ rk[:, n * u:(n + 1) * u] + br[n * u:(n + 1) * u] for n in range(2))
    z, r = rec(xz + hz), rec(xr + hr)
    if reset_after:
        hh = np.tanh(xh + r * (h @ rk[:, 2 * u:] + br[2 * u:]))
    else:
        hh = np.tanh(xh + (r * h) @ rk[:, 2 * u:])
    h = z * h + (1 - z) * hh
    return h, [h]


def run_numpy(step, xs, states, mask=None, go_backwards=False, zero_output_for_mask=False):
    """Keras' backend.rnn in numpy: (sequence of outputs, last output, final states)."""
    steps = list(range(xs.shape[1]))
    if go_backwards:
        steps = steps[::-1]
    outputs, prev = [], None
    for t in steps:
        out, new = step(xs[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            prev = np.zeros_like(out) if prev is None or zero_output_for_mask else prev
            out = np.where(m, out, prev)
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        outputs.append(out)
        prev, states = out, new
    return np.stack(outputs, 1), outputs[-1], states


def weights_for(layer, input_dim, dtype=np.float32):
    """Random values for the layer's weights, set into it; returns them."""
    values = [RNG.normal(scale=0.5, size=w.shape.as_list()).astype(dtype)
              for w in layer.weights]
    layer.set_weights(values)
    return values


def run_layer(layer, xs, mask=None, initial_state=None, **call_kwargs):
    x = tf.placeholder(tf.as_dtype(xs.dtype), [None] + list(xs.shape[1:]))
    kwargs = dict(call_kwargs)
    if mask is not None:
        kwargs["mask"] = tf.constant(mask)
    if initial_state is not None:
        kwargs["initial_state"] = [tf.constant(s) for s in initial_state]
    y = layer(x, **kwargs)
    sess = keras.backend.get_session()
    values = weights_for(layer, xs.shape[-1], xs.dtype)
    return sess.run(y, {x: xs}), values


XS = RNG.normal(size=(3, 5, 4)).astype(np.float32)
MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 1, 0], [0, 1, 1, 0, 0]], bool)


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_simple_rnn_sequences_and_state(unroll, go_backwards):
    layer = L.SimpleRNN(3, return_sequences=True, return_state=True, unroll=unroll,
                        go_backwards=go_backwards)
    (seq, state), w = run_layer(layer, XS)
    want_seq, want_last, want_states = run_numpy(
        lambda x, s: simple_step(x, s, w), XS, [np.zeros((3, 3), np.float32)],
        go_backwards=go_backwards)
    np.testing.assert_allclose(seq, want_seq, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state, want_states[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("implementation", [1, 2])
@pytest.mark.parametrize("unroll", [False, True])
def test_lstm_matches_numpy(implementation, unroll):
    layer = L.LSTM(3, implementation=implementation, unroll=unroll, return_state=True)
    (out, h, c), w = run_layer(layer, XS)
    _, last, states = run_numpy(lambda x, s: lstm_step(x, s, w), XS,
                                [np.zeros((3, 3), np.float32)] * 2)
    np.testing.assert_allclose(out, last, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, states[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, states[1], rtol=1e-5, atol=1e-6)
    assert [v.name for v in layer.weights] == [
        f"{layer.name}/lstm_cell/kernel:0", f"{layer.name}/lstm_cell/recurrent_kernel:0",
        f"{layer.name}/lstm_cell/bias:0"]


def test_lstm_unit_forget_bias_and_defaults():
    layer = L.LSTM(2)
    layer(tf.placeholder(tf.float32, [None, 4, 3]))
    bias = keras.backend.get_value(layer.cell.bias)
    np.testing.assert_array_equal(bias, [0, 0, 1, 1, 0, 0, 0, 0])
    assert layer.get_config()["recurrent_activation"] == "hard_sigmoid"
    assert L.GRU(2).get_config()["recurrent_activation"] == "hard_sigmoid"
    assert L.GRU(2).reset_after is False and L.LSTM(2).implementation == 1
    assert L.LSTM(2, unit_forget_bias=False).get_config()["unit_forget_bias"] is False


@pytest.mark.parametrize("reset_after", [False, True])
@pytest.mark.parametrize("implementation", [1, 2])
def test_gru_matches_numpy(reset_after, implementation):
    layer = L.GRU(3, reset_after=reset_after, implementation=implementation,
                  return_sequences=True)
    seq, w = run_layer(layer, XS)
    assert w[2].shape == ((2, 9) if reset_after else (9,))
    want, _, _ = run_numpy(lambda x, s: gru_step(x, s, w, reset_after), XS,
                           [np.zeros((3, 3), np.float32)])
    np.testing.assert_allclose(seq, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("unroll", [False, True])
def test_mask_carries_state_and_output(unroll):
    layer = L.LSTM(3, return_sequences=True, return_state=True, unroll=unroll)
    (seq, h, c), w = run_layer(layer, XS, mask=MASK)
    want, _, states = run_numpy(lambda x, s: lstm_step(x, s, w), XS,
                                [np.zeros((3, 3), np.float32)] * 2, mask=MASK)
    np.testing.assert_allclose(seq, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, states[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, states[1], rtol=1e-5, atol=1e-6)
    # a row whose first step is masked starts from zeros; a masked step repeats the last output
    np.testing.assert_array_equal(seq[2, 0], 0)
    np.testing.assert_array_equal(seq[1, 2], seq[1, 1])


def test_masking_layer_mask_reaches_the_rnn():
    xs = XS.copy()
    xs[MASK == 0] = 0.0
    x = tf.placeholder(tf.float32, [None, 5, 4])
    masked = L.Masking()(x)
    gru = L.GRU(3, return_sequences=True, go_backwards=True)
    y = gru(masked)
    assert y._keras_mask is not None  # return_sequences passes the mask on
    sess = keras.backend.get_session()
    w = weights_for(gru, 4)
    want, _, _ = run_numpy(lambda x, s: gru_step(x, s, w), xs, [np.zeros((3, 3), np.float32)],
                           mask=MASK, go_backwards=True)
    np.testing.assert_allclose(sess.run(y, {x: xs}), want, rtol=1e-5, atol=1e-6)
    assert L.GRU(3)(masked)._keras_mask is None


def test_initial_state_and_stacked_cells():
    h0 = RNG.normal(size=(3, 2)).astype(np.float32)
    c0 = RNG.normal(size=(3, 2)).astype(np.float32)
    g0 = RNG.normal(size=(3, 3)).astype(np.float32)
    layer = L.RNN([L.LSTMCell(2), L.GRUCell(3, reset_after=True)], return_state=True)
    (out, (h, c), g), w = run_layer(layer, XS, initial_state=[h0, c0, g0])
    assert [v.name for v in layer.weights][:1] == ["rnn/stacked_rnn_cells/lstm_cell/kernel:0"]

    def step(x, s):
        y, (h1, c1) = lstm_step(x, s[:2], w[:3])
        y, (g1,) = gru_step(y, s[2:], w[3:], reset_after=True)
        return y, [h1, c1, g1]

    _, last, states = run_numpy(step, XS, [h0, c0, g0])
    for got, want in zip((out, h, c, g), [last] + states):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_functional_initial_state_inputs():
    """Keras tensors given as initial_state become inputs of the call (the model records
    them), and the model called on new tensors computes the same."""
    x, h, c = keras.Input((5, 4)), keras.Input((3,)), keras.Input((3,))
    lstm = L.LSTM(3, return_sequences=True)
    model = keras.Model([x, h, c], lstm(x, initial_state=[h, c]))
    assert [len(node.keras_inputs) for node in lstm._inbound_nodes] == [3]
    h0, c0 = (RNG.normal(size=(3, 3)).astype(np.float32) for _ in range(2))
    sess = keras.backend.get_session()
    w = weights_for(lstm, 4)
    want, _, _ = run_numpy(lambda a, s: lstm_step(a, s, w), XS, [h0, c0])
    np.testing.assert_allclose(sess.run(model.outputs[0], {x: XS, h: h0, c: c0}), want,
                               rtol=1e-5, atol=1e-6)
    x2, s2 = tf.placeholder(tf.float32, [None, 5, 4]), tf.placeholder(tf.float32, [None, 3])
    np.testing.assert_allclose(sess.run(model([x2, s2, s2]), {x2: XS, s2: h0}),
                               run_numpy(lambda a, s: lstm_step(a, s, w), XS, [h0, h0])[0],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="mix of"):
        L.LSTM(3)(x, initial_state=[h, tf.zeros([1, 3])])


def test_time_major():
    layer = L.SimpleRNN(2, time_major=True, return_sequences=True)
    seq, w = run_layer(layer, XS.transpose(1, 0, 2).copy())
    want, _, _ = run_numpy(lambda x, s: simple_step(x, s, w), XS, [np.zeros((3, 2), np.float32)])
    np.testing.assert_allclose(seq, want.transpose(1, 0, 2), rtol=1e-5, atol=1e-6)


def _numeric_grad(f, value, eps=1e-6):
    grad = np.zeros_like(value)
    for idx in np.ndindex(*value.shape):
        old = value[idx]
        value[idx] = old + eps
        up = f()
        value[idx] = old - eps
        down = f()
        value[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("make", [
    lambda: L.LSTM(3, return_sequences=True, dtype="float64"),
    lambda: L.LSTM(3, implementation=2, unroll=True, dtype="float64"),
    lambda: L.GRU(3, return_sequences=True, dtype="float64"),
    lambda: L.GRU(3, reset_after=True, dtype="float64"),
], ids=["lstm", "lstm-unrolled", "gru", "gru-reset-after"])
def test_gradients_against_numerical_differences(make):
    """d loss / d inputs and weights, through the while loop (or the unrolled steps) and the
    mask, against central differences of the numpy reference."""
    xs = RNG.normal(size=(2, 4, 3))
    mask = np.array([[1, 1, 0, 1], [1, 1, 1, 0]], bool)
    layer = make()
    x = tf.placeholder(tf.float64, [None, 4, 3])
    y = layer(x, mask=tf.constant(mask))
    coef = RNG.normal(size=y.shape.as_list()[1:])
    loss = tf.reduce_sum(y * coef)
    grads = tf.gradients(loss, [x] + layer.weights)
    sess = keras.backend.get_session()
    w = weights_for(layer, 3, np.float64)
    got = sess.run(grads, {x: xs})
    is_lstm = isinstance(layer, L.LSTM)
    reset_after = getattr(layer, "reset_after", False)

    def reference():
        step = (lambda a, s: lstm_step(a, s, w)) if is_lstm else \
            (lambda a, s: gru_step(a, s, w, reset_after))
        seq, last, _ = run_numpy(step, xs, [np.zeros((2, 3))] * (2 if is_lstm else 1),
                                 mask=mask)
        return np.sum((seq if layer.return_sequences else last) * coef)

    np.testing.assert_allclose(sess.run(loss, {x: xs}), reference(), rtol=1e-10)
    for g, value in zip(got, [xs] + w):
        np.testing.assert_allclose(g, _numeric_grad(reference, value), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    layer = L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode=merge_mode)
    out, w = run_layer(layer, XS, mask=MASK)
    zeros = [np.zeros((3, 2), np.float32)] * 2
    fw, _, _ = run_numpy(lambda x, s: lstm_step(x, s, w[:3]), XS, zeros, mask=MASK,
                         zero_output_for_mask=True)
    bw, _, _ = run_numpy(lambda x, s: lstm_step(x, s, w[3:]), XS, zeros, mask=MASK,
                         go_backwards=True, zero_output_for_mask=True)
    bw = bw[:, ::-1]
    want = {"concat": lambda: np.concatenate([fw, bw], -1), "sum": lambda: fw + bw,
            "mul": lambda: fw * bw, "ave": lambda: (fw + bw) / 2,
            None: lambda: [fw, bw]}[merge_mode]()
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert layer.weights[0].name == "bidirectional/forward_lstm/lstm_cell/kernel:0"
    assert layer.weights[3].name == "bidirectional/backward_lstm/lstm_cell/kernel:0"


def test_bidirectional_states_and_backward_layer():
    back = L.GRU(2, go_backwards=True, return_state=True)
    layer = L.Bidirectional(L.SimpleRNN(2, return_state=True), backward_layer=back)
    s0 = [RNG.normal(size=(3, 2)).astype(np.float32) for _ in range(2)]
    (out, fs, bs), w = run_layer(layer, XS, initial_state=s0)
    _, f_last, f_states = run_numpy(lambda x, s: simple_step(x, s, w[:3]), XS, [s0[0]])
    _, b_last, b_states = run_numpy(lambda x, s: gru_step(x, s, w[3:]), XS, [s0[1]],
                                    go_backwards=True)
    np.testing.assert_allclose(out, np.concatenate([f_last, b_last], -1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fs, f_states[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bs, b_states[0], rtol=1e-5, atol=1e-6)
    assert "backward_layer" in layer.get_config()
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.GRU(2), backward_layer=L.GRU(2))
    with pytest.raises(ValueError, match="Invalid merge mode"):
        L.Bidirectional(L.GRU(2), merge_mode="max")


def test_time_distributed_dense():
    layer = L.TimeDistributed(L.Dense(2, activation="tanh"))
    out, (k, b) = run_layer(layer, XS)
    np.testing.assert_allclose(out, np.tanh(XS @ k + b), rtol=1e-5, atol=1e-6)
    assert [v.name for v in layer.weights] == ["time_distributed/kernel:0",
                                               "time_distributed/bias:0"]
    assert layer.compute_output_shape((None, 5, 4)).as_list() == [None, 5, 2]
    x = tf.placeholder(tf.float32, [None, 5, 4])
    assert L.TimeDistributed(L.Dense(2))(L.Masking()(x))._keras_mask.shape.as_list() == \
        [None, 5]
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        L.TimeDistributed(L.Dense(2))(tf.placeholder(tf.float32, [None, 4]))


def test_dropout_only_in_the_training_phase():
    layer = L.LSTM(3, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    x = tf.placeholder(tf.float32, [None, 5, 4])
    y = layer(x)
    sess = keras.backend.get_session()
    w = weights_for(layer, 4)
    want, _, _ = run_numpy(lambda a, s: lstm_step(a, s, w), XS, [np.zeros((3, 3), np.float32)] * 2)
    np.testing.assert_allclose(sess.run(y, {x: XS}), want, rtol=1e-5, atol=1e-6)
    phase = keras.backend.learning_phase()
    train = sess.run(y, {x: XS, phase: True})
    assert np.abs(train - want).max() > 1e-3
    assert not np.allclose(train, sess.run(y, {x: XS, phase: True}))  # new masks each run


def test_dropout_mask_is_the_same_at_every_step():
    """Keras draws the masks once per call: with equal inputs at every step and no recurrence,
    every step's output is the same, a dropped-out one."""
    layer = L.SimpleRNN(6, dropout=0.5, activation=None, use_bias=False, return_sequences=True,
                        recurrent_initializer="zeros", kernel_initializer="ones")
    x = tf.placeholder(tf.float32, [None, 4, 8])
    y = layer(x, training=True)
    out = keras.backend.get_session().run(y, {x: np.ones((20, 4, 8), np.float32)})
    np.testing.assert_allclose(out, np.repeat(out[:, :1], 4, axis=1))
    assert 0 < np.mean(out != 8.0)  # something was dropped (kept inputs scale by 2)


def test_config_round_trip_and_shapes():
    layer = L.GRU(4, reset_after=True, return_sequences=True, go_backwards=True,
                  kernel_regularizer="l2", name="g")
    config = layer.get_config()
    again = L.GRU.from_config(config)
    assert again.get_config() == config
    assert layer.compute_output_shape((None, 7, 3)).as_list() == [None, 7, 4]
    rnn = L.RNN([L.SimpleRNNCell(2), L.LSTMCell(3)], return_state=True)
    shapes = rnn.compute_output_shape((2, 7, 3))
    assert [s.as_list() for s in shapes] == [[2, 3], [2, 2], [2, 3], [2, 3]]
    copy = L.RNN.from_config(rnn.get_config())
    assert [type(c).__name__ for c in copy.cell.cells] == ["SimpleRNNCell", "LSTMCell"]
    y = layer(tf.placeholder(tf.float32, [None, 7, 3]))
    assert y.shape.as_list() == [None, 7, 4] and len(layer.losses) == 1


def test_errors():
    with pytest.raises(ValueError, match="stateful"):
        L.LSTM(2, stateful=True)
    with pytest.raises(ValueError, match="expected ndim=3"):
        L.LSTM(2)(tf.placeholder(tf.float32, [None, 3]))
    with pytest.raises(ValueError, match="Cannot unroll"):
        L.LSTM(2, unroll=True)(tf.placeholder(tf.float32, [None, None, 3]))
    with pytest.raises(ValueError, match="expects 2 state"):
        L.LSTM(2)(tf.placeholder(tf.float32, [None, 4, 3]), initial_state=[tf.zeros([1, 2])])
    with pytest.raises(ValueError, match="implementation"):
        L.LSTMCell(2, implementation=3)
    with pytest.raises(ValueError, match="units"):
        L.GRU(0)
    with pytest.raises(ValueError, match="state_size"):
        L.RNN(L.Dense(2))


def test_unknown_length_and_freezing():
    """A time dimension known only at run time runs the while loop; the frozen graph (variables
    as constants) computes the same."""
    layer = L.LSTM(3, return_sequences=True)
    x = tf.placeholder(tf.float32, [None, None, 4], name="x")
    y = tf.identity(layer(x), name="y")
    sess = keras.backend.get_session()
    w = weights_for(layer, 4)
    want, _, _ = run_numpy(lambda a, s: lstm_step(a, s, w), XS, [np.zeros((3, 3), np.float32)] * 2)
    np.testing.assert_allclose(sess.run(y, {x: XS}), want, rtol=1e-5, atol=1e-6)
    frozen = tf.graph_util.convert_variables_to_constants(
        sess, tf.get_default_graph().as_graph_def(), ["y"])
    with tf.Graph().as_default() as g:
        tf.import_graph_def(frozen, name="")
        with tf.Session(graph=g) as s2:
            np.testing.assert_allclose(s2.run("y:0", {"x:0": XS[:, :3]}), want[:, :3],
                                       rtol=1e-5, atol=1e-6)


def test_against_tf_keras():
    run_against_tf("keras_recurrent_vs_tf.py", 24)
