"""Fixes from a probe of minitf's RNN code against TF 2.21's tf.compat.v1 (with tf_keras):

- a second-order gradient through a TensorArray loop (map_fn, scan, dynamic_rnn, a while loop
  writing a TensorArray) raises TF's TypeError instead of silently giving None (the gradient
  array's flow is TF's ``identity(flow)``, core/ops/tensor_array_ops.py), first-order
  gradients unchanged; outside loops such a gradient fails its run, as TF's does;
- DropoutWrapper's state dropout keeps a state namedtuple other than LSTMStateTuple;
- ``LSTMStateTuple.dtype``;
- the cells' TF1 Layer attributes (``build``, ``name``, ``built``, ``count_params``,
  ``get_weights``) and the wrappers' ``cell`` / ``wrapped_cell``;
- ``static_rnn`` / ``static_bidirectional_rnn`` of no inputs: TF's ValueError.

Each is checked against numpy or hand-written expectations, and where TensorFlow with tf_keras
is installed, the same program (``_FACTS``) run in TF in a process of its own.
"""

import collections

import numpy as np
import pytest

import minitf as tf
from tests.core.legacy_tf import tf_side_json

SECOND_ORDER = "TypeError: Second-order gradient for while loops not supported."

# Run by minitf here and by tf.compat.v1 in a subprocess: what both must agree on.
_FACTS = r'''
import collections


def facts(tf):
    rc = tf.nn.rnn_cell
    out = {}

    def err(f):
        try:
            f()
            return "no error"
        except Exception as e:  # noqa: BLE001 - the error is the fact
            return f"{type(e).__name__}: {e}"

    def second_order(first):
        """The error of d/dw sum(d/dx sum(y)) for ``y = first(x, w)``, in a graph of its own
        (TF's graph is left in a strange state by a tf.gradients call that raised)."""
        with tf.Graph().as_default():
            w = tf.Variable(2.0)
            x = tf.constant([1.0, 2.0, 3.0])
            gx = tf.gradients(tf.reduce_sum(first(x, w)), x)[0]
            return err(lambda: tf.gradients(tf.reduce_sum(gx), w))

    def while_loop(x, w):
        ta = tf.TensorArray(tf.float32, 3).unstack(x)
        _, written = tf.while_loop(lambda i, o: i < 3,
                                   lambda i, o: (i + 1, o.write(i, ta.read(i) ** 2 * w)),
                                   (0, tf.TensorArray(tf.float32, 3)))
        return written.stack()

    def dynamic_rnn(x, w):
        _, s = tf.nn.dynamic_rnn(rc.GRUCell(3), tf.reshape(x * w, [1, 3, 1]),
                                 dtype=tf.float32)
        return tf.square(s)

    out["map_fn"] = second_order(lambda x, w: tf.map_fn(lambda r: r * r * w, x))
    out["scan"] = second_order(lambda x, w: tf.scan(lambda a, r: a + r * r * w, x))
    out["while_tensor_array"] = second_order(while_loop)
    out["dynamic_rnn"] = second_order(dynamic_rnn)

    def dropout_state():
        with tf.Graph().as_default():
            S = collections.namedtuple("S", ["a", "b"])

            class C(rc.RNNCell):
                state_size = property(lambda self: S(4, 4))
                output_size = property(lambda self: 4)

                def call(self, inputs, state):
                    a = tf.tanh(inputs + state.b)
                    return a, S(a, state.a + a)

            _, state = tf.nn.dynamic_rnn(rc.DropoutWrapper(C(), state_keep_prob=0.5),
                                         tf.ones([2, 5, 4]), dtype=tf.float32)
            out["dropout_state"] = [type(state).__name__, state.a.shape.as_list(),
                                    state.b.shape.as_list()]

    def lstm_state_tuple():
        with tf.Graph().as_default():
            out["lstm_dtype"] = str(rc.LSTMStateTuple(tf.zeros([1]), tf.zeros([1])).dtype)
            out["lstm_dtype_mixed"] = err(
                lambda: rc.LSTMStateTuple(tf.zeros([1]), tf.zeros([1], tf.float64)).dtype)

    def cell_layers():
        with tf.Graph().as_default():
            gru, lstm = rc.GRUCell(5), rc.BasicLSTMCell(4)
            out["names"] = [gru.name, rc.GRUCell(5).name, lstm.name,
                            rc.GRUCell(2, name="g").name]
            out["unbuilt"] = [gru.built, err(gru.count_params)]
            out["bad_build"] = err(lambda: rc.GRUCell(2).build(tf.TensorShape([None, None]))
                                   ).split(", received")[0]  # TF 2 spells shapes (None, None)
            gru.build(tf.TensorShape([None, 3]))
            peep = rc.LSTMCell(4, num_proj=2, use_peepholes=True)
            peep.build(tf.TensorShape([None, 3]))
            with tf.variable_scope("outer"):
                named = rc.BasicRNNCell(4, name="named")
                named.build([None, 3])
            dropout, residual = rc.DropoutWrapper(lstm), rc.ResidualWrapper(lstm)
            device = rc.DeviceWrapper(lstm, "/cpu:0")
            out["wrappers"] = [dropout.name, dropout.cell is lstm, dropout.wrapped_cell is lstm,
                               residual.cell is lstm, device.cell is lstm]
            dropout.build(tf.TensorShape([None, 3]))  # builds the wrapped cell
            multi = rc.MultiRNNCell([rc.GRUCell(2)])
            multi.build(tf.TensorShape([None, 3]))  # builds none of its cells
            out["built"] = [gru.built, peep.built, named.built, lstm.built, dropout.built,
                            multi.built]
            out["count_params"] = [gru.count_params(), peep.count_params(), lstm.count_params()]
            out["variables"] = [[v.name, v.shape.as_list()] for v in tf.global_variables()]
            out["cell_variables"] = [v.name for v in gru.variables + peep.variables]
            # calling them afterwards computes with the built variables, making none
            gru(tf.ones([2, 3]), gru.zero_state(2, tf.float32))
            tf.nn.dynamic_rnn(lstm, tf.ones([2, 4, 3]), dtype=tf.float32)
            with tf.variable_scope("enc"):
                tf.nn.static_rnn(peep, [tf.ones([2, 3])] * 2, dtype=tf.float32)
            out["variables_after_calls"] = len(tf.global_variables())
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                out["weights"] = [list(a.shape) for a in gru.get_weights()]

    def static_inputs():
        with tf.Graph().as_default():
            one, two = rc.GRUCell(2), rc.GRUCell(2)
            out["static_rnn"] = [
                err(lambda: tf.nn.static_rnn(one, [], dtype=tf.float32)),
                err(lambda: tf.nn.static_bidirectional_rnn(one, two, [], dtype=tf.float32)),
                err(lambda: tf.nn.static_rnn(one, (), dtype=tf.float32)),
                err(lambda: tf.nn.static_rnn(one, tf.ones([2, 2, 3]), dtype=tf.float32)
                    ).split(":")[0]]

    # one section failing (before a fix) leaves the others' facts
    for section in (dropout_state, lstm_state_tuple, cell_layers, static_inputs):
        try:
            section()
        except Exception as e:  # noqa: BLE001
            out[section.__name__ + " failed"] = f"{type(e).__name__}: {e}"
    return out
'''

_TF_PROGRAM = _FACTS + r'''
import json
import warnings

warnings.filterwarnings("ignore")
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
print(json.dumps(facts(tf)))
'''


def _minitf_facts() -> dict:
    scope: dict = {}
    exec(_FACTS, scope)  # noqa: S102 - the program shared with the TF side
    return scope["facts"](tf)


@pytest.fixture(scope="module")
def facts():
    return _minitf_facts()


# -- without TensorFlow: the expectations written out --------------------------------------------
def test_second_order_through_tensor_array_loops_raises_tf_error(facts):
    for what in ("map_fn", "scan", "while_tensor_array", "dynamic_rnn"):
        assert facts[what] == SECOND_ORDER, what


def test_first_order_tensor_array_gradients_unchanged():
    xs = np.array([1.0, 2.0, 3.0], np.float32)
    with tf.Graph().as_default():
        w = tf.Variable(2.0)
        x = tf.constant(xs)
        gm = tf.gradients(tf.reduce_sum(tf.map_fn(lambda r: r * r * w, x)), [x, w])
        gs = tf.gradients(tf.reduce_sum(tf.scan(lambda a, r: a + r * r * w, x,
                                                initializer=0.0)), [x, w])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            (map_x, map_w), (scan_x, scan_w) = sess.run([gm, gs])
    np.testing.assert_allclose(map_x, 2 * xs * 2.0)
    np.testing.assert_allclose(map_w, np.sum(xs ** 2))
    # scan's outputs are the running sums: element k counts in 3 - k of them
    counts = np.array([3, 2, 1], np.float32)
    np.testing.assert_allclose(scan_x, counts * 2 * xs * 2.0)
    np.testing.assert_allclose(scan_w, np.sum(counts * xs ** 2))


def test_second_order_through_a_tensor_array_outside_loops_fails_its_run():
    # TF builds this graph and fails the run (Wrong input container). Run, the gradient of
    # the gradient array would read zeros: a wrong answer (gx = 4 x, so 4 each).
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0, 3.0])
        ta = tf.TensorArray(tf.float32, 3).unstack(x)
        gx = tf.gradients(tf.reduce_sum(ta.stack() ** 2 * 2.0), x)[0]
        second = tf.gradients(tf.reduce_sum(gx), x)[0]
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(gx), [4.0, 8.0, 12.0])  # first order runs
            with pytest.raises(tf.errors.InvalidArgumentError, match="second-order"):
                sess.run(second)


def test_dropout_wrapper_keeps_a_state_namedtuple(facts):
    assert facts["dropout_state"] == ["S", [2, 4], [2, 4]]
    S = collections.namedtuple("S", ["a", "b"])

    class Copy(tf.nn.rnn_cell.RNNCell):
        state_size = property(lambda self: S(3, 3))
        output_size = property(lambda self: 3)

        def call(self, inputs, state):
            return inputs, S(inputs, inputs * 2.0)

    values = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.DropoutWrapper(Copy(), state_keep_prob=0.5, seed=3)
        _, state = cell(tf.constant(values), cell.zero_state(2, tf.float32))
        assert type(state) is S
        with tf.Session() as sess:
            a, b = sess.run([state.a, state.b])
    # each element dropped (0) or kept and scaled by 1 / keep_prob, as dropout does
    for got, kept in ((a, values * 2), (b, values * 4)):
        assert np.all((got == 0) | np.isclose(got, kept))


def test_lstm_state_tuple_dtype(facts):
    assert facts["lstm_dtype"] == "<dtype: 'float32'>"
    assert facts["lstm_dtype_mixed"] == ("TypeError: Inconsistent dtypes for internal state: "
                                         "<dtype: 'float32'> vs <dtype: 'float64'>")
    state = tf.nn.rnn_cell.LSTMStateTuple(np.float64(1.0), np.float64(2.0))
    assert state.dtype == np.float64 and state.c == 1.0 and isinstance(state, tuple)


def test_cell_layer_attributes(facts):
    assert facts["names"] == ["gru_cell_1", "gru_cell_2", "basic_lstm_cell_1", "g"]
    assert facts["unbuilt"] == [False, "ValueError: You tried to call `count_params` on "
                                "gru_cell_1, but the layer isn't built. You can build it "
                                "manually via: `gru_cell_1.build(batch_input_shape)`."]
    assert facts["bad_build"] == "ValueError: Expected inputs.shape[-1] to be known"
    assert facts["wrappers"] == ["dropout_wrapper_1", True, True, True, True]
    assert facts["built"] == [True] * 6
    # on depth 3: GRU(5) gates 8x10 + 10, candidate 8x5 + 5; LSTM(4, peepholes, projection
    # to 2) 5x16 + 16, 3 diagonals of 4, 4x2; BasicLSTM(4) 7x16 + 16
    assert facts["count_params"] == [135, 5 * 16 + 16 + 3 * 4 + 4 * 2, 7 * 16 + 16]
    assert facts["variables"] == [
        ["gru_cell/gates/kernel:0", [8, 10]], ["gru_cell/gates/bias:0", [10]],
        ["gru_cell/candidate/kernel:0", [8, 5]], ["gru_cell/candidate/bias:0", [5]],
        ["lstm_cell/kernel:0", [5, 16]], ["lstm_cell/bias:0", [16]],
        ["lstm_cell/w_f_diag:0", [4]], ["lstm_cell/w_i_diag:0", [4]],
        ["lstm_cell/w_o_diag:0", [4]], ["lstm_cell/projection/kernel:0", [4, 2]],
        ["outer/named/kernel:0", [7, 4]], ["outer/named/bias:0", [4]],
        ["basic_lstm_cell/kernel:0", [7, 16]], ["basic_lstm_cell/bias:0", [16]]]
    assert facts["cell_variables"] == [v for v, _ in facts["variables"][:10]]
    assert facts["variables_after_calls"] == 14
    assert facts["weights"] == [[8, 10], [10], [8, 5], [5]]


def test_a_built_cell_computes_with_its_built_variables():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], np.float32)
    h = np.array([[0.1, -0.2], [0.3, 0.4]], np.float32)
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.GRUCell(2)
        cell.build(tf.TensorShape([None, 3]))
        out, _ = cell(tf.constant(x), tf.constant(h))
        assert len(tf.global_variables()) == 4
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            gate_k, gate_b, cand_k, cand_b = cell.get_weights()
            got = sess.run(out)
    gates = 1 / (1 + np.exp(-(np.concatenate([x, h], 1) @ gate_k + gate_b)))
    r, u = gates[:, :2], gates[:, 2:]
    c = np.tanh(np.concatenate([x, r * h], 1) @ cand_k + cand_b)
    np.testing.assert_allclose(got, u * h + (1 - u) * c, rtol=1e-5)


def test_static_rnn_of_no_inputs(facts):
    assert facts["static_rnn"] == ["ValueError: Argument `inputs` must not be empty."] * 3 + \
        ["TypeError"]
    with tf.Graph().as_default(), pytest.raises(TypeError, match="must be a sequence"):
        tf.nn.static_rnn(tf.nn.rnn_cell.GRUCell(2), tf.ones([2, 2, 3]), dtype=tf.float32)


# -- with TensorFlow: the same program -----------------------------------------------------------
def test_facts_match_tensorflow(facts):
    theirs = tf_side_json(_TF_PROGRAM)
    assert facts == theirs
