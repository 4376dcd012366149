"""tf.nn.raw_rnn and tf.nn.static_state_saving_rnn (core/rnn_extra.py): numpy references of the
LSTM and GRU steps with TF's stop-per-sequence semantics (finished rows emit zeros and keep their
state), raw_rnn's emit structure and loop state, its gradients against the unrolled dynamic_rnn
and central differences, a state saver's round trip, the errors; and, where TensorFlow with
Keras 2 (tf_keras) is installed, the same graphs in tf.compat.v1, values and gradients.

Run as a script (TF_USE_LEGACY_KERAS=1), this file is that comparison: one line per case."""

import collections
import os

import numpy as np
import pytest

import minitf as tf

MAX_TIME, BATCH, DEPTH = 5, 3, 2
rng = np.random.default_rng(7)
X = rng.standard_normal((MAX_TIME, BATCH, DEPTH)).astype(np.float32)  # time-major


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(v, scope, x, state):
    c, h = state
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ v[f"{scope}/kernel"] + v[f"{scope}/bias"],
                          4, axis=1)
    c = c * sigmoid(f + 1.0) + sigmoid(i) * np.tanh(j)
    return np.tanh(c) * sigmoid(o), (c, np.tanh(c) * sigmoid(o))


def gru_step(v, scope, x, h):
    r, u = np.split(sigmoid(np.concatenate([x, h], 1) @ v[f"{scope}/gates/kernel"] +
                            v[f"{scope}/gates/bias"]), 2, axis=1)
    cand = np.tanh(np.concatenate([x, r * h], 1) @ v[f"{scope}/candidate/kernel"] +
                   v[f"{scope}/candidate/bias"])
    h = u * h + (1 - u) * cand
    return h, h


def raw_rnn_ref(step, x, lengths, state):
    """raw_rnn's loop: steps while a row is unfinished; a finished row emits zeros and keeps
    its state."""
    outputs = []
    for t in range(max(lengths)):
        out, new = step(x[t], state)
        alive = (t < np.asarray(lengths))[:, None]
        outputs.append(np.where(alive, out, 0))
        state = tuple(np.where(alive, a, b) for a, b in zip(new, state)) \
            if isinstance(state, tuple) else np.where(alive, new, state)
    return np.stack(outputs), state


def docstring_loop_fn(T, cell, inputs_ta, sequence_length, batch_size, dtype=None):
    """TF's raw_rnn docstring example: dynamic_rnn through raw_rnn."""
    dtype = dtype or T.float32

    def loop_fn(time, cell_output, cell_state, loop_state):
        emit_output = cell_output  # None at time 0
        next_cell_state = cell.zero_state(batch_size, dtype) if cell_output is None \
            else cell_state
        elements_finished = time >= sequence_length
        finished = T.reduce_all(elements_finished)
        next_input = T.cond(finished, lambda: T.zeros([batch_size, DEPTH], dtype=dtype),
                            lambda: inputs_ta.read(time))
        return elements_finished, next_input, next_cell_state, emit_output, None
    return loop_fn


def _values(sess):
    return {v.op.name: sess.run(v).astype(np.float64) for v in tf.global_variables()}


def _docstring_graph(cell, dtype=tf.float32):
    inputs = tf.placeholder(dtype, [MAX_TIME, BATCH, DEPTH])
    lengths = tf.placeholder(tf.int32, [BATCH])
    inputs_ta = tf.TensorArray(dtype=dtype, size=MAX_TIME).unstack(inputs)
    emit_ta, state, loop_state = tf.nn.raw_rnn(
        cell, docstring_loop_fn(tf, cell, inputs_ta, lengths, BATCH, dtype))
    return inputs, lengths, emit_ta, state, loop_state


@pytest.mark.parametrize("lengths", [[5, 2, 3], [1, 3, 0]])
def test_raw_rnn_lstm_follows_the_numpy_steps(lengths):
    cell = tf.nn.rnn_cell.LSTMCell(4)
    inputs, seq_len, emit_ta, state, loop_state = _docstring_graph(cell)
    assert loop_state is None and isinstance(emit_ta, tf.TensorArray)
    assert isinstance(state, tf.nn.rnn_cell.LSTMStateTuple)
    assert [v.op.name for v in tf.global_variables()] == ["rnn/lstm_cell/kernel",
                                                         "rnn/lstm_cell/bias"]
    outputs = emit_ta.stack()
    assert outputs.shape.as_list() == [None, BATCH, 4]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _values(sess)
        got, got_state = sess.run([outputs, state], {inputs: X, seq_len: lengths})
    zero = (np.zeros((BATCH, 4)), np.zeros((BATCH, 4)))
    want, want_state = raw_rnn_ref(lambda x, s: lstm_step(v, "rnn/lstm_cell", x, s),
                                   X.astype(np.float64), lengths, zero)
    assert got.shape == (max(lengths), BATCH, 4)  # the loop stops once every row is done
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.c, want_state[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.h, want_state[1], rtol=1e-5, atol=1e-6)


def test_raw_rnn_gru_values_and_gradients_match_the_unrolled_dynamic_rnn():
    cell = tf.nn.rnn_cell.GRUCell(3)
    inputs, seq_len, emit_ta, state, _ = _docstring_graph(cell)
    outputs = emit_ta.stack()
    # The same cell (its variables reused) unrolled by dynamic_rnn: no loop, no TensorArray.
    unrolled, unrolled_state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=seq_len,
                                                 time_major=True, scope="unrolled",
                                                 dtype=tf.float32)
    assert len(tf.global_variables()) == 4
    w = tf.constant(rng.standard_normal((MAX_TIME, BATCH, 3)).astype(np.float32))
    steps = tf.shape(outputs)[0]
    loss = tf.reduce_sum(outputs * w[:steps]) + tf.reduce_sum(state ** 2)
    unrolled_loss = tf.reduce_sum(unrolled * w) + tf.reduce_sum(unrolled_state ** 2)
    xs = [inputs] + tf.trainable_variables()
    grads, unrolled_grads = tf.gradients(loss, xs), tf.gradients(unrolled_loss, xs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for lengths in ([5, 2, 3], [2, 4, 1]):
            feed = {inputs: X, seq_len: lengths}
            got, got_state, want, want_state = sess.run(
                [outputs, state, unrolled, unrolled_state], feed)
            np.testing.assert_allclose(got, want[:max(lengths)], rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(got_state, want_state, rtol=1e-6, atol=1e-7)
            for a, b in zip(sess.run(grads, feed), sess.run(unrolled_grads, feed)):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_raw_rnn_gradient_matches_central_differences():
    cell = tf.nn.rnn_cell.LSTMCell(2)
    inputs, seq_len, emit_ta, state, _ = _docstring_graph(cell, tf.float64)
    loss = tf.reduce_sum(tf.sin(emit_ta.stack())) + tf.reduce_sum(state.c * state.h)
    (grad,) = tf.gradients(loss, [inputs])
    x = X.astype(np.float64)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feed = {inputs: x, seq_len: [4, 2, 5]}
        got = sess.run(grad, feed)
        num, eps = np.zeros_like(x), 1e-6
        for idx in np.ndindex(*x.shape):
            for sign in (1, -1):
                moved = x.copy()
                moved[idx] += sign * eps
                num[idx] += sign * sess.run(loss, {inputs: moved, seq_len: [4, 2, 5]}) / (2 * eps)
    np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-7)
    assert np.all(got[2:, 1] == 0)  # row 1 stopped after two steps: later inputs do nothing


EmitPair = collections.namedtuple("EmitPair", ["doubled", "step"])


def emit_and_loop_state_fn(T, cell, inputs_ta, lengths, batch_size):
    """A loop_fn with its own emit structure (a namedtuple of a float and an int32 leaf, shapes
    without the batch) and a loop state (a running sum and a TensorArray of every h)."""
    def loop_fn(time, cell_output, cell_state, loop_state):
        finished = time >= lengths
        next_input = T.cond(T.reduce_all(finished),
                            lambda: T.zeros([batch_size, DEPTH]), lambda: inputs_ta.read(time))
        if cell_output is None:
            emit = EmitPair(T.zeros([3]), T.zeros([1], T.int32))
            loop = (T.constant(0.0), T.TensorArray(T.float32, size=0, dynamic_size=True))
            return finished, next_input, cell.zero_state(batch_size, T.float32), emit, loop
        emit = EmitPair(2.0 * cell_output, T.fill([batch_size, 1], time))
        total, seen = loop_state
        loop = (total + T.reduce_sum(cell_state.h), seen.write(time - 1, cell_state.h))
        return finished, next_input, cell_state, emit, loop
    return loop_fn


def test_raw_rnn_emit_structure_and_loop_state():
    cell = tf.nn.rnn_cell.LSTMCell(3)
    inputs = tf.placeholder(tf.float32, [MAX_TIME, BATCH, DEPTH])
    inputs_ta = tf.TensorArray(tf.float32, size=MAX_TIME).unstack(inputs)
    lengths = [3, 1, 2]
    emit_ta, state, (total, seen) = tf.nn.raw_rnn(
        cell, emit_and_loop_state_fn(tf, cell, inputs_ta, lengths, BATCH))
    assert isinstance(emit_ta, EmitPair) and emit_ta.step.dtype == tf.int32
    assert emit_ta.doubled.element_shape.as_list() == [BATCH, 3]
    doubled, step = emit_ta.doubled.stack(), emit_ta.step.stack()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _values(sess)
        got = sess.run([doubled, step, total, seen.stack(), state.h], {inputs: X})
    zero = (np.zeros((BATCH, 3)), np.zeros((BATCH, 3)))
    want, want_state = raw_rnn_ref(lambda x, s: lstm_step(v, "rnn/lstm_cell", x, s),
                                   X.astype(np.float64), lengths, zero)
    np.testing.assert_allclose(got[0], 2 * want, rtol=1e-5, atol=1e-6)
    # The step emitted at time t is t + 1, and zero for the rows finished by then.
    alive = np.arange(3)[:, None] < np.array(lengths)[None, :]
    np.testing.assert_array_equal(got[1][:, :, 0], np.where(alive, np.arange(1, 4)[:, None], 0))
    # The loop state saw each step's cell state before raw_rnn held the finished rows back:
    # the step from the state after t steps (rows stopping at their lengths).
    def step(x, s):
        return lstm_step(v, "rnn/lstm_cell", x, s)

    x64 = X.astype(np.float64)
    before = [zero] + [raw_rnn_ref(step, x64, [min(n, t) for n in lengths], zero)[1]
                       for t in (1, 2)]
    seen_ref = [step(x64[t], before[t])[1][1] for t in range(3)]
    np.testing.assert_allclose(got[3], np.stack(seen_ref), rtol=1e-5, atol=1e-6)
    assert not np.allclose(got[3][2, 1], want_state[1][1])  # row 1 (length 1) moved on here
    assert got[3].shape == (3, BATCH, 3)
    np.testing.assert_allclose(got[2], got[3].sum(), rtol=1e-5)
    np.testing.assert_allclose(got[4], want_state[1], rtol=1e-5, atol=1e-6)


def test_raw_rnn_with_a_batch_known_only_at_run_time():
    cell = tf.nn.rnn_cell.GRUCell(2)
    inputs = tf.placeholder(tf.float32, [MAX_TIME, None, DEPTH])
    lengths = tf.placeholder(tf.int32, [None])
    batch = tf.shape(inputs)[1]
    inputs_ta = tf.TensorArray(tf.float32, size=MAX_TIME).unstack(inputs)

    def loop_fn(time, cell_output, cell_state, loop_state):
        state = cell.zero_state(batch, tf.float32) if cell_output is None else cell_state
        finished = time >= lengths
        next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([batch, DEPTH]),
                             lambda: inputs_ta.read(time))
        return finished, next_input, state, cell_output, None

    emit_ta, state, _ = tf.nn.raw_rnn(cell, loop_fn)
    outputs = emit_ta.stack()
    assert outputs.shape.as_list() == [None, None, 2]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _values(sess)
        got, got_state = sess.run([outputs, state], {inputs: X[:, :2], lengths: [2, 4]})
    want, want_state = raw_rnn_ref(lambda x, s: gru_step(v, "rnn/gru_cell", x, s),
                                   X[:, :2].astype(np.float64), [2, 4], np.zeros((2, 2)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, want_state, rtol=1e-5, atol=1e-6)


def test_raw_rnn_errors():
    cell = tf.nn.rnn_cell.GRUCell(2)
    with pytest.raises(TypeError, match="Argument `loop_fn` must be a callable"):
        tf.nn.raw_rnn(cell, 3)
    with pytest.raises(TypeError, match="is not an RNNCell: 'output_size' property is missing"):
        tf.nn.raw_rnn(object(), lambda *a: None)
    lstm = tf.nn.rnn_cell.LSTMCell(2)

    def flat_state(time, cell_output, cell_state, loop_state):  # LSTM's state is a pair
        return (tf.constant([False]), tf.zeros([1, 2]), tf.zeros([1, 2]), None, None)
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tf.nn.raw_rnn(lstm, flat_state)


# -- static_state_saving_rnn ---------------------------------------------------------------------


class StateSaver:
    """The state_saver contract of TF's docstring: ``state(name)`` gives a state to start
    from, ``save_state(name, value)`` an op that saves one; here, non-trainable variables."""

    def __init__(self, T, sizes):
        self.T = T
        self.saved = {name: T.get_variable(f"saved_{name}", [BATCH, size], trainable=False,
                                           initializer=T.zeros_initializer())
                      for name, size in sizes.items()}

    def state(self, name):
        return self.T.identity(self.saved[name])

    def save_state(self, name, value):
        return self.T.assign(self.saved[name], value)


def test_static_state_saving_rnn_carries_the_state_from_run_to_run():
    cell = tf.nn.rnn_cell.LSTMCell(3)
    saver = StateSaver(tf, {"c": 3, "h": 3})
    xs = [tf.placeholder(tf.float32, [BATCH, DEPTH]) for _ in range(2)]
    outputs, state = tf.nn.static_state_saving_rnn(cell, xs, saver, ("c", "h"),
                                                   sequence_length=[2, 1, 2])
    assert isinstance(state, tf.nn.rnn_cell.LSTMStateTuple) and len(outputs) == 2
    assert "rnn/lstm_cell/kernel" in [v.op.name for v in tf.trainable_variables()]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _values(sess)
        feed = dict(zip(xs, X[:2]))
        first = sess.run(outputs[-1], feed)  # the last output waits for the save
        saved = sess.run([saver.saved["c"], saver.saved["h"]])
        second_outputs, second_state = sess.run([outputs, state], feed)
    state_ref = (np.zeros((BATCH, 3)), np.zeros((BATCH, 3)))
    runs = []
    for _ in range(2):  # two runs: the second starts from what the first saved
        outs, state_ref = raw_rnn_ref(lambda x, s: lstm_step(v, "rnn/lstm_cell", x, s),
                                      X[:2].astype(np.float64), [2, 1, 2], state_ref)
        runs.append((outs, state_ref))
    np.testing.assert_allclose(first, runs[0][0][-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(saved[0], runs[0][1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(saved[1], runs[0][1][1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.stack(second_outputs), runs[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second_state.h, runs[1][1][1], rtol=1e-5, atol=1e-6)


def test_static_state_saving_rnn_single_state_and_errors():
    cell = tf.nn.rnn_cell.GRUCell(2)
    saver = StateSaver(tf, {"h": 2})
    x = tf.placeholder(tf.float32, [BATCH, DEPTH])
    outputs, state = tf.nn.static_state_saving_rnn(cell, [x], saver, "h")
    assert state.op.type == "Identity"
    assert any(c.type == "Assign" for c in state.op.control_inputs)
    with pytest.raises(ValueError, match="`state_name` should be the same type as "
                                         "`cell.state_size`"):
        tf.nn.static_state_saving_rnn(cell, [x], saver, ("h",))
    with pytest.raises(ValueError, match="Number of elements in argument `state_name` and "
                                         "`cell.state_size` are mismatched"):
        tf.nn.static_state_saving_rnn(tf.nn.rnn_cell.LSTMCell(2), [x], saver, ("c", "h", "x"))


def test_raw_rnn_and_state_saving_match_tensorflow():
    """tf.compat.v1's raw_rnn (LSTMCell, GRUCell, a MultiRNNCell; the docstring loop_fn, an
    emit structure with a loop state) and static_state_saving_rnn: values and gradients."""
    from tests.core.legacy_tf import run_against_tf  # (not at the top: this file is a script too)

    run_against_tf(os.path.abspath(__file__), cases=CASES_AGAINST_TF)


# -- run as a script: the comparison with tf.compat.v1 (see test_..._match_tensorflow) ---------

CELLS = {
    "lstm": lambda T: T.nn.rnn_cell.LSTMCell(3),
    "gru": lambda T: T.nn.rnn_cell.GRUCell(4),
    "multi": lambda T: T.nn.rnn_cell.MultiRNNCell([T.nn.rnn_cell.LSTMCell(2),
                                                   T.nn.rnn_cell.GRUCell(3)]),
}
MODES = ("docstring", "docstring_run_time_batch", "emit_and_loop_state", "state_saving")
CASES_AGAINST_TF = len(CELLS) * len(MODES) - 2  # emit_and_loop_state is LSTM's only


def _build(T, cell, mode, inputs, lengths):
    """The graph of one case: (list of tensors to compare, loss)."""
    if mode == "state_saving":
        names = ("c", "h") if isinstance(cell.state_size, tuple) else "h"
        sizes = {"c": 3, "h": 3} if names == ("c", "h") else {"h": 4}
        if isinstance(cell, T.nn.rnn_cell.MultiRNNCell):
            names, sizes = ("a", "b", "d"), {"a": 2, "b": 2, "d": 3}
        saver = StateSaver(T, sizes)
        outputs, state = T.nn.static_state_saving_rnn(cell, T.unstack(inputs), saver, names,
                                                      sequence_length=lengths)
        flat = _flat(state)
        return [T.stack(outputs)] + flat, T.reduce_sum(T.stack(outputs) ** 2) + sum(
            T.reduce_sum(s) for s in flat)
    inputs_ta = T.TensorArray(T.float32, size=MAX_TIME).unstack(inputs)
    if mode == "emit_and_loop_state":
        emit_ta, state, (total, seen) = T.nn.raw_rnn(
            cell, emit_and_loop_state_fn(T, cell, inputs_ta, lengths, BATCH))
        outs = [emit_ta.doubled.stack(), emit_ta.step.stack(), total, seen.stack(), *state]
        return outs, T.reduce_sum(outs[0] ** 2) + total + T.reduce_sum(state.c)
    batch = BATCH if mode == "docstring" else T.shape(inputs)[1]
    emit_ta, state, _ = T.nn.raw_rnn(cell, docstring_loop_fn(T, cell, inputs_ta, lengths, batch))
    flat = _flat(state)
    outputs = emit_ta.stack()
    return [outputs] + flat, T.reduce_sum(T.sin(outputs)) + sum(T.reduce_sum(s * s)
                                                                for s in flat)


def _flat(state):
    if isinstance(state, tuple):
        return [t for s in state for t in _flat(s)]
    return [state]


def _run_case(T, name, mode):
    graph = T.Graph()
    with graph.as_default():
        batch = None if mode.endswith("run_time_batch") else BATCH
        inputs = T.placeholder(T.float32, [MAX_TIME, batch, DEPTH])
        lengths = T.placeholder(T.int32, [batch])
        cell = CELLS[name](T)
        outs, loss = _build(T, cell, mode, inputs, lengths)
        variables = sorted(T.trainable_variables(), key=lambda v: v.op.name)
        grads = T.gradients(loss, [inputs] + variables)
        values = np.random.default_rng(1)
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            for v in variables:  # the same values in both, by name order
                sess.run(v.assign(values.standard_normal(v.shape.as_list()).astype(np.float32)))
            results = []
            for n in ([5, 2, 3], [1, 4, 0]):  # state_saving: the second run starts saved
                results += sess.run(outs + grads, {inputs: X, lengths: n})
    return [v.op.name for v in variables], results


def _compare():
    import tensorflow.compat.v1 as tf1

    tf1.disable_v2_behavior()
    for name in CELLS:
        for mode in MODES:
            if mode == "emit_and_loop_state" and name != "lstm":
                continue
            (ours_names, ours), (their_names, theirs) = (_run_case(tf, name, mode),
                                                         _run_case(tf1, name, mode))
            same = ours and ours_names == their_names and len(ours) == len(theirs) and all(
                np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-4, atol=1e-5)
                for a, b in zip(ours, theirs))
            print(name, mode, "OK" if same else f"DIFF {ours_names} {their_names} "
                  f"{[np.shape(a) for a in ours]} {[np.shape(b) for b in theirs]}")


if __name__ == "__main__":
    _compare()


def test_device_wrapper_places_the_cell_and_changes_nothing_else():
    """``DeviceWrapper``: the wrapped cell's ops (and zero state) carry the device; the
    values are the bare cell's (same variables, as TF's wrapper adds no scope)."""
    x = np.random.default_rng(2).standard_normal((2, 4, 5)).astype(np.float32)
    outs = []
    for wrap in (False, True):
        with tf.Graph().as_default() as g:
            cell = tf.nn.rnn_cell.GRUCell(3, kernel_initializer=tf.constant_initializer(0.1))
            if wrap:
                cell = tf.nn.rnn_cell.DeviceWrapper(cell, "/cpu:0")
            zero = cell.zero_state(2, tf.float32)
            out, _ = tf.nn.dynamic_rnn(cell, tf.constant(x), initial_state=zero)
            names = sorted(v.op.name for v in tf.global_variables())
            # (initializers sit with their variable and take no device, as in TF1)
            cell_ops = [op for op in g.get_operations()
                        if "/gru_cell/" in op.name and "/Initializer/" not in op.name]
            assert cell_ops and all(op.device == ("/device:CPU:0" if wrap else "")
                                    for op in cell_ops + [zero.op])
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                outs.append((names, sess.run(out)))
    assert outs[0][0] == outs[1][0]
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
