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

# The TF side: a program printing facts(tf) as JSON under TF 1.x's behaviour.
_TF_MAIN = r'''
import json
import warnings

warnings.filterwarnings("ignore")
import tensorflow.compat.v1 as tf

tf.disable_v2_behavior()
print(json.dumps(facts(tf)))
'''
_TF_PROGRAM = _FACTS + _TF_MAIN


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


# == A second probe: Keras cells and user cells in the TF1 loops, state dropout filters, the
# cells' dtype / scope_name / get_config ==========================================================
# Run by minitf here and by tf.compat.v1 (TF 1.x behaviour: graph control flow, so Keras cells'
# variables are named under the loop, as in TF 1.15) in a subprocess.
_FACTS_2 = r'''
import numpy as np


def facts(tf):
    rc, K = tf.nn.rnn_cell, tf.keras.layers
    out = {}

    def err(f):
        try:
            f()
            return "no error"
        except Exception as e:  # noqa: BLE001 - the error is the fact
            return f"{type(e).__name__}: {e}"

    def shapes(s):
        return [shapes(x) for x in s] if isinstance(s, (list, tuple)) else s.shape.as_list()

    def keras_cells():
        x = np.ones([2, 3, 4], np.float32)
        with tf.Graph().as_default():
            o, s = tf.nn.dynamic_rnn(K.LSTMCell(3), tf.constant(x), dtype=tf.float32)
            out["keras_lstm"] = [o.shape.as_list(), type(s).__name__, shapes(s),
                                 [v.name for v in tf.global_variables()]]
        with tf.Graph().as_default():
            o, s = tf.nn.static_rnn(K.GRUCell(3), tf.unstack(tf.constant(x), axis=1),
                                    dtype=tf.float32)
            out["keras_gru"] = [len(o), shapes(s), [v.name for v in tf.global_variables()]]
        with tf.Graph().as_default():
            o, s = tf.nn.bidirectional_dynamic_rnn(K.SimpleRNNCell(3), K.SimpleRNNCell(2),
                                                   tf.constant(x), dtype=tf.float32)
            out["keras_bi"] = [shapes(o), shapes(s), [v.name for v in tf.global_variables()]]

    class MyCell(rc.RNNCell):
        def __init__(self, n, **kwargs):
            super().__init__(**kwargs)
            self._n, self.shapes_seen = n, []

        state_size = property(lambda self: self._n)
        output_size = property(lambda self: self._n)

        def build(self, shape):
            self.shapes_seen.append(tf.TensorShape(shape).as_list())
            self._kernel = self.add_variable("kernel", [shape[-1] + self._n, self._n])
            self._bias = self.add_weight("bias", [self._n], initializer=tf.zeros_initializer())
            self._count = self.add_weight("count", [], trainable=False,
                                          initializer=tf.zeros_initializer())

        def call(self, inputs, state):
            h = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), self._kernel) + self._bias)
            return h, h

    def describe(cell):
        return {"built": cell.built, "shapes": cell.shapes_seen, "name": cell.name,
                "dtype": cell.dtype, "scope": cell.scope_name,
                "trainable": [v.name for v in cell.trainable_variables],
                "weights": [v.name for v in cell.weights],
                "non_trainable": [v.name for v in cell.non_trainable_weights],
                "graph": [v.name for v in tf.global_variables()],
                "graph_trainable": [v.name for v in tf.trainable_variables()]}

    def user_cells():
        with tf.Graph().as_default():
            cell = MyCell(3)
            out["user_unbuilt"] = [cell.built, cell.dtype, cell.trainable_variables,
                                   err(lambda: cell.scope_name)]
            tf.nn.dynamic_rnn(cell, tf.ones([2, 4, 5]), dtype=tf.float32, scope="m")
            out["user_dynamic"] = describe(cell)
        with tf.Graph().as_default():
            cell = MyCell(3, name="foo")
            tf.nn.static_rnn(cell, [tf.ones([2, 5])] * 3, dtype=tf.float32)
            out["user_static"] = describe(cell)
        with tf.Graph().as_default():
            cell = MyCell(3)
            tf.nn.dynamic_rnn(cell, tf.ones([2, 4, 5], tf.float64), dtype=tf.float64)
            out["user_float64"] = [cell.dtype, [v.dtype.base_dtype.name
                                                for v in tf.global_variables()]]
        with tf.Graph().as_default():
            cells = [MyCell(3), MyCell(2)]
            tf.nn.dynamic_rnn(rc.MultiRNNCell(cells), tf.ones([2, 4, 5]), dtype=tf.float32)
            out["user_multi"] = [describe(c) for c in cells]

    def dropout_filters():
        calls = []

        def recording(answer):
            def visitor(s):
                calls.append(type(s).__name__ if isinstance(s, tuple) else "tensor")
                return answer(s) if callable(answer) else answer
            return visitor

        x = np.random.RandomState(0).randn(3, 4).astype(np.float32)
        visitors = {
            "default": None, "none": recording(False), "all": recording(True),
            "c_only": recording(lambda s: rc.LSTMStateTuple(True, False)
                                if isinstance(s, rc.LSTMStateTuple) else True),
            "first_cell": recording(lambda s: (True, False) if type(s) is tuple else True)}
        for name, visitor in visitors.items():
            calls.clear()
            with tf.Graph().as_default():
                multi = rc.MultiRNNCell([
                    rc.LSTMCell(5, initializer=tf.constant_initializer(0.3)),
                    rc.LSTMCell(5, initializer=tf.constant_initializer(0.2))])
                zero = multi.zero_state(3, tf.float32)
                with tf.variable_scope("s"):
                    _, ref = multi(tf.constant(x), zero)
                wrapped = rc.DropoutWrapper(multi, state_keep_prob=0.5, seed=7,
                                            dropout_state_filter_visitor=visitor)
                with tf.variable_scope("s", reuse=True):
                    _, got = wrapped(tf.constant(x), zero)
                with tf.Session() as sess:
                    sess.run(tf.global_variables_initializer())
                    ref, got = sess.run([ref, got])
            kinds = []
            for a, b in zip(tf.nest.flatten(ref), tf.nest.flatten(got)):
                if np.array_equal(a, b):
                    kinds.append("same")
                elif np.all((b == 0) | np.isclose(b, 2 * a)) and np.any(b == 0):
                    kinds.append("dropped")
                else:
                    kinds.append("other")
            out["dropout_" + name] = [kinds, list(calls)]
        out["dropout_not_callable"] = err(lambda: rc.DropoutWrapper(
            rc.GRUCell(2), state_keep_prob=0.5, dropout_state_filter_visitor=3))

    def cell_attributes():
        with tf.Graph().as_default():
            cells = {
                "basic_rnn": rc.BasicRNNCell(3, activation=tf.nn.relu),
                "gru": rc.GRUCell(3, kernel_initializer=tf.ones_initializer()),
                "basic_lstm": rc.BasicLSTMCell(3, forget_bias=0.5),
                "lstm": rc.LSTMCell(3, use_peepholes=True, num_proj=2, cell_clip=1.5),
                "lstm64": rc.LSTMCell(3, dtype=tf.float64, name="nm"),
                "multi": rc.MultiRNNCell([rc.GRUCell(2), rc.GRUCell(3)]),
                "dropout": rc.DropoutWrapper(rc.GRUCell(3), output_keep_prob=0.5, seed=2),
                "residual": rc.ResidualWrapper(rc.GRUCell(4)),
                "device": rc.DeviceWrapper(rc.GRUCell(3), "/cpu:0")}
            def scope_name(cell):
                try:
                    return cell.scope_name
                except Exception as e:  # noqa: BLE001 - the error is the fact
                    return f"{type(e).__name__}: {e}"

            for key, cell in cells.items():
                out["before_" + key] = [cell.dtype, scope_name(cell), cell.get_config()]
                dtype = tf.float64 if key == "lstm64" else tf.float32
                tf.nn.dynamic_rnn(cell, tf.ones([2, 3, 4], dtype), dtype=dtype, scope="d_" + key)
                out["after_" + key] = [cell.dtype, scope_name(cell), cell.get_config()]
        with tf.Graph().as_default():
            cell = rc.GRUCell(3)
            cell.build(tf.TensorShape([None, 4]))
            out["built_gru"] = [cell.dtype, cell.scope_name, cell.built]

    def initial_states():
        with tf.Graph().as_default():
            cell = rc.GRUCell(3)
            s = cell.get_initial_state(inputs=tf.ones([2, 4]))
            out["initial_state"] = [s.shape.as_list(), s.dtype.name,
                                    err(lambda: cell.get_initial_state(
                                        inputs=tf.ones([2, 4]), batch_size=5)),
                                    err(lambda: cell.get_initial_state(batch_size=2))]

    # one section failing (before a fix) leaves the others' facts
    for section in (keras_cells, user_cells, dropout_filters, cell_attributes, initial_states):
        try:
            section()
        except Exception as e:  # noqa: BLE001
            out[section.__name__ + " failed"] = f"{type(e).__name__}: {e}"
    return out
'''

_TF_PROGRAM_2 = _FACTS_2 + _TF_MAIN


@pytest.fixture(scope="module")
def facts2():
    scope: dict = {}
    exec(_FACTS_2, scope)  # noqa: S102 - the program shared with the TF side
    return scope["facts"](tf)


def test_keras_cells_in_the_tf1_loops_without_an_initial_state(facts2):
    # TF's loops ask a cell for get_initial_state(inputs=None, batch_size, dtype) (Keras'
    # zeros of its state_size), else zero_state; the variables are made where the cell is
    # first called (TF 1.x: inside the while loop's name scope)
    assert facts2["keras_lstm"] == [
        [2, 3, 3], "list", [[2, 3], [2, 3]],
        ["rnn/while/lstm_cell/kernel:0", "rnn/while/lstm_cell/recurrent_kernel:0",
         "rnn/while/lstm_cell/bias:0"]]
    assert facts2["keras_gru"] == [3, [2, 3], ["rnn/gru_cell/kernel:0",
                                                "rnn/gru_cell/recurrent_kernel:0",
                                                "rnn/gru_cell/bias:0"]]
    fw, bw = "bidirectional_rnn/fw/fw/while/", "bidirectional_rnn/bw/bw/while/"
    assert facts2["keras_bi"] == [
        [[2, 3, 3], [2, 3, 2]], [[2, 3], [2, 2]],
        [f"{fw}simple_rnn_cell/kernel:0", f"{fw}simple_rnn_cell/recurrent_kernel:0",
         f"{fw}simple_rnn_cell/bias:0", f"{bw}simple_rnn_cell_1/kernel:0",
         f"{bw}simple_rnn_cell_1/recurrent_kernel:0", f"{bw}simple_rnn_cell_1/bias:0"]]


def test_a_keras_lstm_cell_in_dynamic_rnn_computes_keras_lstm():
    x = np.random.RandomState(1).randn(2, 3, 4).astype(np.float32)
    with tf.Graph().as_default():
        cell = tf.keras.layers.LSTMCell(3)
        outputs, (h, c) = tf.nn.dynamic_rnn(cell, tf.constant(x), dtype=tf.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, got_h, got_c, (kernel, recurrent, bias) = sess.run(
                [outputs, h, c, [cell.kernel, cell.recurrent_kernel, cell.bias]])

    def hard_sigmoid(v):
        return np.clip(0.2 * v + 0.5, 0.0, 1.0)

    want_h, want_c, steps = np.zeros([2, 3]), np.zeros([2, 3]), []
    for t in range(3):  # Keras' gates i, f, c, o from zero states
        z = x[:, t] @ kernel + want_h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=1)
        want_c = hard_sigmoid(f) * want_c + hard_sigmoid(i) * np.tanh(g)
        want_h = hard_sigmoid(o) * np.tanh(want_c)
        steps.append(want_h)
    np.testing.assert_allclose(got, np.stack(steps, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_h, want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_c, want_c, rtol=1e-5, atol=1e-6)


def test_the_loops_use_a_cells_get_initial_state():
    class Counting(tf.nn.rnn_cell.RNNCell):
        """Adds its input to its state; its initial state is ones (not zero_state's zeros)."""

        state_size = property(lambda self: 2)
        output_size = property(lambda self: 2)

        def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
            assert inputs is None
            return tf.ones([batch_size, 2], dtype)

        def call(self, inputs, state):
            return inputs + state, inputs + state

    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    with tf.Graph().as_default():
        _, dynamic = tf.nn.dynamic_rnn(Counting(), tf.constant(x), dtype=tf.float32)
        _, static = tf.nn.static_rnn(Counting(), tf.unstack(tf.constant(x), axis=1),
                                     dtype=tf.float32)
        with tf.Session() as sess:
            dynamic, static = sess.run([dynamic, static])
    np.testing.assert_array_equal(dynamic, 1 + x.sum(1))
    np.testing.assert_array_equal(static, 1 + x.sum(1))


def test_a_user_cell_builds_its_weights_on_its_first_call(facts2):
    assert facts2["user_unbuilt"][:3] == [False, None, []]
    assert facts2["user_unbuilt"][3].startswith(
        'ValueError: No name available for layer scope because the layer "my_cell_1" has not '
        "been used yet.")
    # build once, with the step's input shape, in the cell's variable scope
    assert facts2["user_dynamic"] == {
        "built": True, "shapes": [[2, 5]], "name": "my_cell_1", "dtype": "float32",
        "scope": "m/my_cell", "trainable": ["m/my_cell/kernel:0", "m/my_cell/bias:0"],
        "weights": ["m/my_cell/kernel:0", "m/my_cell/bias:0", "m/my_cell/count:0"],
        "non_trainable": ["m/my_cell/count:0"],
        "graph": ["m/my_cell/kernel:0", "m/my_cell/bias:0", "m/my_cell/count:0"],
        "graph_trainable": ["m/my_cell/kernel:0", "m/my_cell/bias:0"]}
    assert facts2["user_static"] == {
        "built": True, "shapes": [[2, 5]], "name": "foo", "dtype": "float32",
        "scope": "rnn/foo", "trainable": ["rnn/foo/kernel:0", "rnn/foo/bias:0"],
        "weights": ["rnn/foo/kernel:0", "rnn/foo/bias:0", "rnn/foo/count:0"],
        "non_trainable": ["rnn/foo/count:0"],
        "graph": ["rnn/foo/kernel:0", "rnn/foo/bias:0", "rnn/foo/count:0"],
        "graph_trainable": ["rnn/foo/kernel:0", "rnn/foo/bias:0"]}
    assert facts2["user_float64"] == ["float64", ["float64"] * 3]
    first, second = facts2["user_multi"]
    assert first["shapes"] == [[2, 5]] and second["shapes"] == [[2, 3]]
    assert first["scope"] == "rnn/multi_rnn_cell/cell_0/my_cell"
    assert second["trainable"] == ["rnn/multi_rnn_cell/cell_1/my_cell/kernel:0",
                                   "rnn/multi_rnn_cell/cell_1/my_cell/bias:0"]


def test_a_user_cell_computes_with_the_weights_its_build_made():
    x = np.random.RandomState(2).randn(2, 4, 5).astype(np.float32)

    class MyCell(tf.nn.rnn_cell.RNNCell):
        state_size = property(lambda self: 3)
        output_size = property(lambda self: 3)

        def build(self, shape):
            self.kernel = self.add_variable("kernel", [shape[-1] + 3, 3])
            self.bias = self.add_weight("bias", [3], initializer=tf.constant_initializer(0.5))

        def call(self, inputs, state):
            h = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), self.kernel) + self.bias)
            return h, h

    with tf.Graph().as_default():
        cell = MyCell()
        outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(x), dtype=tf.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, kernel, bias = sess.run([outputs, cell.kernel, cell.bias])
    np.testing.assert_array_equal(bias, [0.5] * 3)
    h, steps = np.zeros([2, 3], np.float32), []
    for t in range(4):
        h = np.tanh(np.concatenate([x[:, t], h], 1) @ kernel + bias)
        steps.append(h)
    np.testing.assert_allclose(got, np.stack(steps, 1), rtol=1e-5, atol=1e-6)


def test_state_dropout_follows_the_filter_visitor(facts2):
    # the visitor sees the whole state first, then (where it answers True) each part
    two_lstms = ["tuple", "LSTMStateTuple", "tensor", "tensor", "LSTMStateTuple", "tensor",
                 "tensor"]
    # leaves in order: cell 0's c, h, cell 1's c, h
    assert facts2["dropout_default"] == [["same", "dropped", "same", "dropped"], []]
    assert facts2["dropout_none"] == [["same"] * 4, ["tuple"]]
    assert facts2["dropout_all"] == [["dropped"] * 4, two_lstms]
    assert facts2["dropout_c_only"] == [["dropped", "same", "dropped", "same"],
                                        ["tuple", "LSTMStateTuple", "tensor", "LSTMStateTuple",
                                         "tensor"]]
    assert facts2["dropout_first_cell"] == [["dropped", "dropped", "same", "same"],
                                            two_lstms[:4]]
    assert facts2["dropout_not_callable"] == ("TypeError: dropout_state_filter_visitor must "
                                              "be callable. Received: 3")


def test_state_dropout_visitor_against_the_undropped_state():
    state = (np.arange(1, 7, dtype=np.float32).reshape(2, 3),
             tf.nn.rnn_cell.LSTMStateTuple(np.full([2, 3], 2.0, np.float32),
                                           np.full([2, 3], 3.0, np.float32)))

    class Same(tf.nn.rnn_cell.RNNCell):
        """Outputs its input; its new state is its state, unchanged."""

        state_size = property(lambda self: (3, tf.nn.rnn_cell.LSTMStateTuple(3, 3)))
        output_size = property(lambda self: 3)

        def call(self, inputs, state):
            return inputs, state

    def run(visitor, variational=False):
        with tf.Graph().as_default():
            cell = tf.nn.rnn_cell.DropoutWrapper(
                Same(), state_keep_prob=0.25, seed=5, dropout_state_filter_visitor=visitor,
                variational_recurrent=variational, dtype=tf.float32)
            given = tf.nest.map_structure(tf.constant, state)
            _, new = cell(tf.ones([2, 3]), given)
            with tf.Session() as sess:
                return tf.nest.flatten(sess.run(new))

    for variational in (False, True):
        for got, want in zip(run(lambda s: False, variational), tf.nest.flatten(state)):
            np.testing.assert_array_equal(got, want)  # left exactly as it was
        dropped = run(lambda s: True, variational)
        for got, want in zip(dropped, tf.nest.flatten(state)):
            # each element dropped (0) or kept, scaled by 1 / keep_prob
            assert np.all((got == 0) | np.isclose(got, want / 0.25))
        assert any(np.any(got == 0) for got in dropped)
        # a structure of bools one level deep: only the LSTM state's c
        picked = run(lambda s: (False, True) if type(s) is tuple else
                     tf.nn.rnn_cell.LSTMStateTuple(True, False)
                     if isinstance(s, tf.nn.rnn_cell.LSTMStateTuple) else True, variational)
        np.testing.assert_array_equal(picked[0], state[0])
        np.testing.assert_array_equal(picked[2], state[1].h)
        assert np.all((picked[1] == 0) | np.isclose(picked[1], 8.0))
    with tf.Graph().as_default(), pytest.raises(TypeError, match="non-bool scalar: 1"):
        cell = tf.nn.rnn_cell.DropoutWrapper(Same(), state_keep_prob=0.5,
                                             dropout_state_filter_visitor=lambda s: 1)
        cell(tf.ones([2, 3]), tf.nest.map_structure(tf.constant, state))


def test_cells_dtype_scope_name_and_config(facts2):
    unused = 'ValueError: No name available for layer scope because the layer "{}" has not ' \
        "been used yet. The scope name  is determined the first time the layer instance is " \
        "called. You must therefore call the layer before querying `scope_name`."
    base = {"trainable": True, "dtype": None}
    lstm = {"name": "lstm_cell_1", **base, "num_units": 3, "use_peepholes": True,
            "cell_clip": 1.5, "initializer": None, "num_proj": 2, "proj_clip": None,
            "num_unit_shards": None, "num_proj_shards": None, "forget_bias": 1.0,
            "state_is_tuple": True, "activation": "tanh", "reuse": None}
    assert facts2["before_lstm"] == [None, unused.format("lstm_cell_1"), lstm]
    assert facts2["after_lstm"] == ["float32", "d_lstm/lstm_cell", {**lstm, "dtype": "float32"}]
    gru = {"name": "gru_cell_1", **base, "num_units": 3,
           "kernel_initializer": {"class_name": "Ones", "config": {"dtype": "float32"}},
           "bias_initializer": None, "activation": "tanh", "reuse": None}
    assert facts2["before_gru"][2] == gru
    assert facts2["after_gru"][::2] == ["float32", {**gru, "dtype": "float32"}]
    assert facts2["after_basic_rnn"][2] == {"name": "basic_rnn_cell_1", "trainable": True,
                                            "dtype": "float32", "num_units": 3,
                                            "activation": "relu", "reuse": None}
    assert facts2["after_basic_lstm"][2] == {
        "name": "basic_lstm_cell_1", "trainable": True, "dtype": "float32", "num_units": 3,
        "forget_bias": 0.5, "state_is_tuple": True, "activation": "tanh", "reuse": None}
    assert facts2["before_lstm64"][0] == facts2["after_lstm64"][0] == "float64"
    assert facts2["after_lstm64"][1] == "d_lstm64/nm"
    assert facts2["after_multi"] == ["float32", "d_multi/multi_rnn_cell",
                                     {"name": "multi_rnn_cell_1", "trainable": True,
                                      "dtype": "float32"}]
    # a wrapper is never called itself (it calls its cell): no dtype, no scope of its own
    assert facts2["after_dropout"][:2] == [None, unused.format("dropout_wrapper_1")]
    assert facts2["after_dropout"][2] == {
        "name": "dropout_wrapper_1", **base,
        "cell": {"class_name": "GRUCell", "config": {
            "name": "gru_cell_4", "trainable": True, "dtype": "float32", "num_units": 3,
            "kernel_initializer": None, "bias_initializer": None, "activation": "tanh",
            "reuse": None}},
        "input_keep_prob": 1.0, "output_keep_prob": 0.5, "state_keep_prob": 1.0,
        "variational_recurrent": False, "input_size": None, "seed": 2}
    assert facts2["after_residual"][2]["cell"]["config"]["num_units"] == 4
    assert facts2["after_device"][2]["device"] == "/cpu:0"
    assert facts2["built_gru"] == ["float32", "gru_cell", True]


def test_cell_scope_name_after_dynamic_rnn():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.LSTMCell(3)
        tf.nn.dynamic_rnn(cell, tf.zeros([2, 3, 4]), dtype=tf.float32, scope="d")
        assert (cell.dtype, cell.scope_name) == ("float32", "d/lstm_cell")
        assert cell.get_config()["num_units"] == 3


def test_rnn_cell_get_initial_state(facts2):
    assert facts2["initial_state"] == [
        [2, 3], "float32",
        "ValueError: batch size from input tensor is different from the input param. Input "
        "tensor batch: 2, batch_size: 5",
        "ValueError: batch_size and dtype cannot be None while constructing initial state: "
        "batch_size=2, dtype=None"]


def test_facts_2_match_tensorflow(facts2):
    assert facts2 == tf_side_json(_TF_PROGRAM_2)
