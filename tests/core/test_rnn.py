"""tf.nn.rnn_cell cells, static_rnn and dynamic_rnn: numpy references of TF1's cell equations,
TF1's variable names, sequence_length copy-through; and, where TensorFlow with Keras 2
(tf_keras) is installed, the same graphs in tf.compat.v1."""

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import run_against_tf

rng = np.random.default_rng(5)
X = rng.standard_normal((2, 4, 3)).astype(np.float32)  # batch 2, 4 steps, depth 3


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _values(sess):
    return {v.op.name: sess.run(v) for v in tf.global_variables()}


def _lstm_reference(w, b, x, n, forget_bias):
    c = h = np.zeros((x.shape[0], n))
    outs = []
    for t in range(x.shape[1]):
        i, j, f, o = np.split(np.concatenate([x[:, t], h], 1) @ w + b, 4, axis=1)
        c = c * sigmoid(f + forget_bias) + sigmoid(i) * np.tanh(j)
        h = np.tanh(c) * sigmoid(o)
        outs.append(h)
    return np.stack(outs, 1), c, h


def test_lstm_dynamic_and_static_rnn_follow_tf1_equations():
    x = tf.placeholder(tf.float32, [None, 4, 3])
    cell = tf.nn.rnn_cell.BasicLSTMCell(5, forget_bias=0.7)
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    assert isinstance(state, tf.nn.rnn_cell.LSTMStateTuple)
    assert outputs.shape.as_list() == [None, 4, 5]
    assert [v.op.name for v in tf.global_variables()] == ["rnn/basic_lstm_cell/kernel",
                                                         "rnn/basic_lstm_cell/bias"]
    # static_rnn in another scope, same cell object: its variables are reused, not re-made
    static_out, static_state = tf.nn.static_rnn(cell, tf.unstack(x, axis=1), dtype=tf.float32,
                                                scope="again")
    assert len(tf.global_variables()) == 2
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _values(sess)
        got = sess.run([outputs, state.c, state.h, tf.stack(static_out, 1), static_state.h],
                       {x: X})
    want, c, h = _lstm_reference(v["rnn/basic_lstm_cell/kernel"].astype(np.float64),
                                 v["rnn/basic_lstm_cell/bias"], X.astype(np.float64), 5, 0.7)
    for g, w in zip(got, [want, c, h, want, h]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_gru_and_basic_rnn_cells_and_their_variables():
    x = tf.placeholder(tf.float32, [2, 3])
    h0 = tf.placeholder(tf.float32, [2, 4])
    gru = tf.nn.rnn_cell.GRUCell(4)
    basic = tf.nn.rnn_cell.BasicRNNCell(4)
    gru_out, _ = gru(x, h0)
    basic_out, basic_state = basic(x, h0)
    assert basic_out is basic_state
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["gru_cell/gates/kernel", "gru_cell/gates/bias", "gru_cell/candidate/kernel",
                     "gru_cell/candidate/bias", "basic_rnn_cell/kernel", "basic_rnn_cell/bias"]
    h = rng.standard_normal((2, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _values(sess)
        g, r = sess.run([gru_out, basic_out], {x: X[:, 0], h0: h})
    np.testing.assert_array_equal(v["gru_cell/gates/bias"], np.ones(8))  # TF1 starts them at 1
    xh = np.concatenate([X[:, 0], h], 1).astype(np.float64)
    ru = sigmoid(xh @ v["gru_cell/gates/kernel"] + v["gru_cell/gates/bias"])
    reset, update = ru[:, :4], ru[:, 4:]
    cand = np.tanh(np.concatenate([X[:, 0], reset * h], 1) @ v["gru_cell/candidate/kernel"]
                   + v["gru_cell/candidate/bias"])
    np.testing.assert_allclose(g, update * h + (1 - update) * cand, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r, np.tanh(xh @ v["basic_rnn_cell/kernel"] +
                                          v["basic_rnn_cell/bias"]), rtol=1e-5, atol=1e-6)


def test_sequence_length_zeroes_outputs_and_carries_the_state():
    """Past a row's length its outputs are zero and its state stays what it was (TF1)."""
    x = tf.placeholder(tf.float32, [2, 4, 3])
    cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(3), tf.nn.rnn_cell.GRUCell(2)])
    full, full_state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    cut, cut_state = tf.nn.dynamic_rnn(cell, x, sequence_length=[4, 2], dtype=tf.float32)
    # The same cell over the first two steps only (its variables are reused).
    _, prefix_state = tf.nn.dynamic_rnn(cell, x[:, :2], dtype=tf.float32)
    assert [v.op.name for v in tf.global_variables()][0] == \
        "rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"
    assert len(tf.global_variables()) == 6
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        f, fs, c, cs, ps = sess.run([full, full_state[1], cut, cut_state[1], prefix_state[1]],
                                    {x: X})
    np.testing.assert_allclose(c[0], f[0], rtol=1e-6)  # full length: as without lengths
    np.testing.assert_allclose(c[1, :2], f[1, :2], rtol=1e-6)
    np.testing.assert_array_equal(c[1, 2:], 0)
    np.testing.assert_allclose(cs[0], fs[0], rtol=1e-6)
    np.testing.assert_allclose(cs[1], ps[1], rtol=1e-6)  # row 1 stopped after 2 steps
    assert not np.allclose(cs[1], fs[1])  # (which differs from running all 4)


@pytest.mark.parametrize("time_major", [False, True])
def test_dynamic_rnn_over_a_run_time_length_is_a_loop(time_major):
    """With the time dimension unknown until the graph runs, dynamic_rnn is a while loop over
    TensorArrays (TF1's form): it computes what the unrolled form does for each length, with
    the same variables, and so do its gradients (the loop's own gradient loop)."""
    cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(3), tf.nn.rnn_cell.GRUCell(2)])
    dims = [None, None, 3]
    x = tf.placeholder(tf.float32, dims)
    lengths = tf.placeholder(tf.int32, [None])
    loop_out, loop_state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths,
                                             dtype=tf.float32, time_major=time_major)
    assert {"Enter", "TensorArrayV3"} <= {op.type for op in
                                          tf.get_default_graph().get_operations()}
    assert loop_out.shape.as_list() == [None, None, 2]
    fixed = tf.placeholder(tf.float32, [4, 2, 3] if time_major else [2, 4, 3])
    fixed_lengths = tf.placeholder(tf.int32, [2])
    unrolled, unrolled_state = tf.nn.dynamic_rnn(cell, fixed, sequence_length=fixed_lengths,
                                                 dtype=tf.float32, time_major=time_major)
    assert len(tf.global_variables()) == 6  # the second call reuses the cell's variables
    loop_grads = tf.gradients(tf.reduce_sum(loop_out ** 2) + tf.reduce_sum(loop_state[1]),
                              tf.trainable_variables() + [x])
    unrolled_grads = tf.gradients(tf.reduce_sum(unrolled ** 2) +
                                  tf.reduce_sum(unrolled_state[1]),
                                  tf.trainable_variables() + [fixed])
    data = X.transpose(1, 0, 2) if time_major else X
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for n in ([4, 2], [3, 1]):
            got = sess.run([loop_out, loop_state], {x: data, lengths: n})
            want = sess.run([unrolled, unrolled_state], {fixed: data, fixed_lengths: n})
            for a, b in zip(sess.run(loop_grads, {x: data, lengths: n}),
                            sess.run(unrolled_grads, {fixed: data, fixed_lengths: n})):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-7)
            for a, b in zip([got[1][0].c, got[1][0].h, got[1][1]],
                            [want[1][0].c, want[1][0].h, want[1][1]]):
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        short = data[:2] if time_major else data[:, :2]  # fewer steps, same graph
        assert sess.run(loop_out, {x: short, lengths: [2, 2]}).shape == short.shape[:2] + (2,)


def test_rnn_matches_tensorflow():
    """tf.compat.v1's cells (five cells x four ways), where tf_keras is installed."""
    run_against_tf("rnn_against_tf.py", cases=56)


def test_dropout_wrapper_drops_and_scales():
    """Dropout on the inputs, outputs and state (not an LSTM's memory cell c), scaled by
    1/keep as tf.nn.dropout: about (1 - keep) of the outputs are zero, and with keep 1 the
    wrapper is the cell itself (the comparison with tf.compat.v1 runs in rnn_against_tf)."""
    x = tf.placeholder(tf.float32, [400, 6])
    cell = tf.nn.rnn_cell.LSTMCell(50)
    wrapped = tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=0.5, state_keep_prob=0.5,
                                            seed=3)
    state = cell.zero_state(400, tf.float32)
    out, new_state = wrapped(x, state)
    plain_out, plain_state = cell(x, state)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s, po, ps = sess.run([out, new_state, plain_out, plain_state],
                                {x: np.ones((400, 6), np.float32)})
    kept = o != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(o[kept], 2 * po[kept], rtol=1e-6)
    np.testing.assert_array_equal(s.c, ps.c)  # the memory cell is never dropped
    assert 0.4 < (s.h != 0).mean() < 0.6
    with pytest.raises(ValueError, match="input_keep_prob must be between 0 and 1"):
        tf.nn.rnn_cell.DropoutWrapper(cell, input_keep_prob=1.5)
    # The seed is salted per input, state and output (TF1's rule): different masks.
    gru = tf.nn.rnn_cell.GRUCell(50)
    salted = tf.nn.rnn_cell.DropoutWrapper(gru, output_keep_prob=0.5, state_keep_prob=0.5,
                                           seed=7)
    g_out, g_state = salted(x, gru.zero_state(400, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s = sess.run([g_out, g_state], {x: np.ones((400, 6), np.float32)})
    assert ((o != 0) != (s != 0)).mean() > 0.3


def test_segment_reductions_in_tf_math():
    data = tf.constant([1.0, 2.0, 3.0, 4.0])
    with tf.Session() as sess:
        assert list(sess.run(tf.math.segment_sum(data, [0, 0, 1, 1]))) == [3.0, 7.0]
        assert list(sess.run(tf.math.unsorted_segment_sum(data, [1, 0, 1, 0], 2))) == [6.0, 4.0]


def test_static_and_dynamic_bidirectional_rnns_agree():
    """Both bidirectional forms, given the same weights: the same outputs (fw and bw joined)
    and states, with lengths (each row's first steps reversed for the backward cell). The
    comparison with tf.compat.v1 runs in rnn_against_tf."""
    x = tf.placeholder(tf.float32, [2, 4, 3])
    lengths = [4, 2]
    with tf.variable_scope("s"):
        outs, s_fw, s_bw = tf.nn.static_bidirectional_rnn(
            tf.nn.rnn_cell.GRUCell(2), tf.nn.rnn_cell.GRUCell(2), tf.unstack(x, axis=1),
            dtype=tf.float32, sequence_length=lengths)
    with tf.variable_scope("d"):
        (fw, bw), (d_fw, d_bw) = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.GRUCell(2), tf.nn.rnn_cell.GRUCell(2), x, sequence_length=lengths,
            dtype=tf.float32)
    static_vars = {v.op.name[2:]: v for v in tf.global_variables() if v.op.name[0] == "s"}
    dynamic_vars = {v.op.name[2:]: v for v in tf.global_variables() if v.op.name[0] == "d"}
    assert sorted(static_vars) == sorted(dynamic_vars) and len(static_vars) == 8
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for name, v in static_vars.items():
            sess.run(tf.assign(dynamic_vars[name], v))
        a = sess.run([tf.stack(outs, axis=1), s_fw, s_bw], {x: X})
        b = sess.run([tf.concat([fw, bw], 2), d_fw, d_bw], {x: X})
    for p, q in zip(a, b):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(a[0][1, 2:], 0)  # past row 1's length: zeros
    assert np.abs(a[0][1, :2]).min() > 0


def test_variational_dropout_keeps_one_mask_for_every_step_and_row():
    """TF1's variational_recurrent: the masks are drawn once (when the wrapper is made), so a
    unit is dropped at every time step and in every batch row, and kept ones are scaled by
    1 / keep_prob."""
    x = tf.placeholder(tf.float32, [4, 5, 3])
    xs = np.random.default_rng(0).standard_normal((4, 5, 3)).astype(np.float32)
    init = tf.constant_initializer(0.1)
    with tf.variable_scope("plain"):
        full, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.LSTMCell(16, initializer=init), x,
                                    dtype=tf.float32)
    with tf.variable_scope("dropped"):
        cell = tf.nn.rnn_cell.DropoutWrapper(
            tf.nn.rnn_cell.LSTMCell(16, initializer=init), output_keep_prob=0.5,
            variational_recurrent=True, dtype=tf.float32, seed=3)
        dropped, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([full, dropped], {x: xs})
    kept = (b != 0).all(axis=(0, 1))
    assert ((b == 0).all(axis=(0, 1)) | kept).all()  # each unit: always or never dropped
    assert 0 < kept.sum() < 16
    np.testing.assert_allclose(b[..., kept], 2 * a[..., kept], rtol=1e-5)
    with pytest.raises(ValueError, match="dtype must be provided"):
        tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.LSTMCell(6), variational_recurrent=True)
    with pytest.raises(ValueError, match="input_size must be provided"):
        tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.LSTMCell(6), input_keep_prob=0.5,
                                      variational_recurrent=True, dtype=tf.float32)


def test_a_subclass_overriding_call_runs_in_a_scope_named_after_its_class():
    # TF1's documented way to write a cell: subclass RNNCell, define state_size, output_size
    # and call(); its variables live under the snake-cased class name.
    class MyCell(tf.nn.rnn_cell.RNNCell):
        state_size = output_size = property(lambda self: 2)

        def call(self, inputs, state):
            w = tf.get_variable("w", [int(inputs.shape[1]) + 2, 2],
                                initializer=tf.constant_initializer(0.1))
            out = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), w))
            return out, out

    with tf.Graph().as_default():
        x = np.ones((1, 3, 1), np.float32)
        _, state = tf.nn.dynamic_rnn(MyCell(), tf.constant(x), dtype=tf.float32)
        assert [v.name for v in tf.global_variables()] == ["rnn/my_cell/w:0"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run(state)
    h = np.zeros((1, 2))
    for _ in range(3):  # numpy: h = tanh([x, h] @ 0.1)
        h = np.tanh(np.concatenate([x[:, 0], h], 1) @ np.full((3, 2), 0.1))
    np.testing.assert_allclose(got, h, rtol=1e-6)
    with pytest.raises(NotImplementedError, match="must implement call"):
        tf.nn.rnn_cell.RNNCell()(tf.ones((1, 1)), tf.ones((1, 1)))


class _ArgmaxCell(tf.nn.rnn_cell.RNNCell):
    """Outputs the int32 argmax of input + state; the state is float."""

    state_size = 2
    output_size = 1

    def __call__(self, inputs, state, scope=None):
        new_state = inputs + state
        return tf.cast(tf.argmax(new_state, 1)[:, None], tf.int32), new_state


def test_dynamic_rnn_outputs_take_dtype_over_an_unknown_time_dimension():
    """TF's dynamic_rnn gives its outputs ``dtype`` when given, not the state's (CRF decoding
    carries int32 backpointers beside a float state)."""
    x = np.array([[[1.0, 0.0], [0.0, 3.0], [-5.0, 0.0]]], np.float32)
    with tf.Graph().as_default():
        inputs = tf.placeholder(tf.float32, [1, None, 2])
        outputs, state = tf.nn.dynamic_rnn(_ArgmaxCell(), inputs, dtype=tf.int32,
                                           initial_state=tf.zeros([1, 2]))
        assert outputs.dtype == tf.int32 and state.dtype == tf.float32
        with tf.Session() as sess:
            out, st = sess.run([outputs, state], {inputs: x})
    np.testing.assert_array_equal(out[0, :, 0], [0, 1, 1])  # argmax of running sums
    np.testing.assert_array_equal(st, [[-4.0, 3.0]])


def test_a_cell_whose_first_call_fails_builds_on_the_next():
    """TF1 marks a cell built only once a call succeeds: a first call refused before any
    variable exists leaves nothing to reuse."""
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.BasicLSTMCell(3)
        state = cell.zero_state(2, tf.float32)
        with pytest.raises(ValueError):
            cell(tf.zeros([2, 4, 1]), state)  # rank 3 inputs are refused before the kernel
        out, _ = cell(tf.zeros([2, 4]), state)
        assert out.shape.as_list() == [2, 3]
        assert sorted(v.op.name for v in tf.global_variables()) == [
            "basic_lstm_cell/bias", "basic_lstm_cell/kernel"]


class _PairCell(tf.nn.rnn_cell.RNNCell):
    """Takes (a, b) inputs and gives (sum, product) outputs: nested structures both ways."""

    state_size = 2
    output_size = (2, 2)

    def __call__(self, inputs, state, scope=None):
        a, b = inputs
        new = state + a * b
        return (new + 1.0, new * 2.0), new


@pytest.mark.parametrize("time", [4, None])
def test_dynamic_rnn_takes_nested_and_higher_rank_inputs(time):
    """TF's dynamic_rnn: inputs of rank >= 3 (a conv LSTM's [batch, time, h, w, c]) and nested
    inputs and outputs, unrolled or in the loop alike; the same as static_rnn."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 4, 2)).astype(np.float32)
    b = rng.standard_normal((2, 4, 2)).astype(np.float32)
    frames = rng.standard_normal((2, 4, 5, 5, 1)).astype(np.float32)
    with tf.Graph().as_default():
        pa = tf.placeholder(tf.float32, [2, time, 2])
        pb = tf.placeholder(tf.float32, [2, time, 2])
        (s, p), state = tf.nn.dynamic_rnn(_PairCell(), (pa, pb), dtype=tf.float32,
                                          sequence_length=[4, 2])
        conv = tf.contrib.rnn.Conv2DLSTMCell(input_shape=[5, 5, 1], output_channels=2,
                                             kernel_shape=[3, 3],
                                             initializers=tf.constant_initializer(0.05))
        pf = tf.placeholder(tf.float32, [2, time, 5, 5, 1])
        out, _ = tf.nn.dynamic_rnn(conv, pf, dtype=tf.float32, scope="conv")
        assert out.shape.as_list() == [2, time, 5, 5, 2]
        listed, _ = tf.nn.static_rnn(conv, tf.unstack(tf.constant(frames), axis=1),
                                     dtype=tf.float32, scope="conv")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([s, p, state, out, listed], {pa: a, pb: b, pf: frames})
    running = np.cumsum(a * b, axis=1)
    running[1, 2:] = running[1, 1]  # the second row stops after 2 steps
    np.testing.assert_allclose(got[2], running[:, -1], rtol=1e-6)
    alive = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], np.float32)[:, :, None]
    np.testing.assert_allclose(got[0], (running + 1) * alive, rtol=1e-6)
    np.testing.assert_allclose(got[1], running * 2 * alive, rtol=1e-6)
    np.testing.assert_allclose(got[3], np.stack(got[4], axis=1), rtol=1e-5, atol=1e-6)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="rank at least 3"):
        tf.nn.dynamic_rnn(_PairCell(), (tf.zeros([2, 2]), tf.zeros([2, 2])), dtype=tf.float32)


class _ConcatCell(tf.nn.rnn_cell.RNNCell):
    """A subclass (through RNNCell.__call__) that reads an (a, b) pair of different depths."""

    @property
    def state_size(self):
        return 3

    @property
    def output_size(self):
        return 3

    def call(self, inputs, state):
        a, b = inputs
        new = state + tf.concat([a, b], 1)
        return new, new


def test_rnn_cell_subclasses_take_nested_inputs_both_ways():
    """RNNCell.__call__ keeps a structure of inputs (it stacked same-shaped ones and failed
    on others); bidirectional_dynamic_rnn reverses each input."""
    a = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    b = -np.arange(6, dtype=np.float32).reshape(2, 3, 1)
    with tf.Graph().as_default():
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
            _ConcatCell(), _ConcatCell(), (tf.constant(a), tf.constant(b)), dtype=tf.float32)
        with tf.Session() as sess:
            got_fw, got_bw = sess.run([fw, bw])
    x = np.concatenate([a, b], 2)
    np.testing.assert_allclose(got_fw, np.cumsum(x, axis=1))
    np.testing.assert_allclose(got_bw, np.cumsum(x[:, ::-1], axis=1)[:, ::-1])
