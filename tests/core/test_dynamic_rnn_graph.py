"""tf.nn.dynamic_rnn builds TF1's graph (rnn.py): everything in variable scope ``scope or
"rnn"``, a tf.while_loop over TensorArrays whether or not the time dimension is known (no
unrolling), outputs named ``rnn/transpose_1:0`` and the state the loop's Exits. Checked by
the names TF gives (recorded from tf.compat.v1 with TF1 control flow), against a numpy GRU
with finite-difference gradients, and, where TensorFlow with tf_keras is installed, against
tf.compat.v1 itself: names, loop structure, values and gradients."""

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitf as tf

rnn_cell = tf.nn.rnn_cell


# -- TF's names (as tf.compat.v1 names them, TF1 control flow) ---------------------------------
def _lstm_static():
    x = tf.placeholder(tf.float32, [None, 5, 3])
    return tf.nn.dynamic_rnn(rnn_cell.BasicLSTMCell(4), x, dtype=tf.float32)


def _gru_unknown_time_scoped():
    x = tf.placeholder(tf.float32, [None, None, 3])
    return tf.nn.dynamic_rnn(rnn_cell.GRUCell(4), x, dtype=tf.float32, scope="d")


def _time_major():
    x = tf.placeholder(tf.float32, [5, None, 3])
    return tf.nn.dynamic_rnn(rnn_cell.GRUCell(4), x, dtype=tf.float32, time_major=True)


def _lengths():
    x = tf.placeholder(tf.float32, [None, 5, 3])
    return tf.nn.dynamic_rnn(rnn_cell.GRUCell(4), x, dtype=tf.float32, sequence_length=[3, 5])


def _multi():
    x = tf.placeholder(tf.float32, [None, 5, 3])
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(4), rnn_cell.GRUCell(4)])
    return tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)


def _two():
    x = tf.placeholder(tf.float32, [None, 5, 3])
    return (tf.nn.dynamic_rnn(rnn_cell.GRUCell(4), x, dtype=tf.float32),
            tf.nn.dynamic_rnn(rnn_cell.GRUCell(4), x, dtype=tf.float32, scope="rnn2"))


def _bidirectional():
    x = tf.placeholder(tf.float32, [None, 5, 3])
    return tf.nn.bidirectional_dynamic_rnn(rnn_cell.GRUCell(4), rnn_cell.GRUCell(4), x,
                                           dtype=tf.float32)


TF_NAMES = [
    (_lstm_static, ["rnn/transpose_1:0", "rnn/while/Exit_3:0", "rnn/while/Exit_4:0"]),
    (_gru_unknown_time_scoped, ["d/transpose_1:0", "d/while/Exit_3:0"]),
    (_time_major, ["rnn/TensorArrayStack/TensorArrayGatherV3:0", "rnn/while/Exit_3:0"]),
    (_lengths, ["rnn/transpose_1:0", "rnn/while/Exit_3:0"]),
    (_multi, ["rnn/transpose_1:0", "rnn/while/Exit_3:0", "rnn/while/Exit_4:0",
              "rnn/while/Exit_5:0"]),
    (_two, ["rnn/transpose_1:0", "rnn/while/Exit_3:0", "rnn2/transpose_1:0",
            "rnn2/while/Exit_3:0"]),
    (_bidirectional, ["bidirectional_rnn/fw/fw/transpose_1:0", "ReverseV2:0",
                      "bidirectional_rnn/fw/fw/while/Exit_3:0",
                      "bidirectional_rnn/bw/bw/while/Exit_3:0"]),
]


@pytest.mark.parametrize("build,names", TF_NAMES, ids=[b.__name__ for b, _ in TF_NAMES])
def test_outputs_and_state_are_named_as_tf_names_them(build, names):
    assert [t.name for t in tf.nest.flatten(build())] == names


def test_the_graph_is_tfs_while_loop_in_the_rnn_scope():
    out, state = _lengths()
    assert out.shape.as_list() == [None, 5, 4] and state.shape.as_list() == [None, 4]
    names = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    for name, kind in [("rnn/transpose", "Transpose"), ("rnn/sequence_length", "Identity"),
                       ("rnn/CheckSeqLen", "Identity"), ("rnn/time", "Const"),
                       ("rnn/TensorArray", "TensorArrayV3"),
                       ("rnn/TensorArray_1", "TensorArrayV3"), ("rnn/Max", "Max"),
                       ("rnn/Minimum", "Minimum"), ("rnn/while/LoopCond", "LoopCond"),
                       ("rnn/while/GreaterEqual", "GreaterEqual"),
                       ("rnn/while/Select", "Select"),
                       ("rnn/TensorArrayStack/TensorArrayGatherV3", "TensorArrayGatherV3")]:
        assert names.get(name) == kind, name
    assert not [n for n in names if not n.startswith("rnn/") and n != "Placeholder"]


def test_a_known_time_dimension_is_not_unrolled():
    # T=400 over two LSTM layers was 47,293 nodes unrolled; TF's loop is the same at any T
    def count(steps):
        with tf.Graph().as_default() as g:
            x = tf.placeholder(tf.float32, [8, steps, 16])
            cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(32) for _ in range(2)])
            tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
            ops = g.get_operations()
            return len(ops), sum(op.type == "MatMul" for op in ops)

    assert count(400) == count(5) == count(None)
    assert count(400)[0] < 600 and count(400)[1] == 2


# -- values and gradients: a numpy GRU (TF1's GRUCell equations) -----------------------------------
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _gru_reference(x, lengths, v):
    """TF1's GRUCell over [batch, time, depth], rows stopping at their length (outputs zero,
    state carried): (outputs, final state)."""
    h = np.zeros((x.shape[0], v["candidate/bias"].shape[0]))
    outs = np.zeros(x.shape[:2] + h.shape[1:])
    for t in range(x.shape[1]):
        gates = _sigmoid(np.concatenate([x[:, t], h], 1) @ v["gates/kernel"] + v["gates/bias"])
        r, u = np.split(gates, 2, axis=1)
        c = np.tanh(np.concatenate([x[:, t], r * h], 1) @ v["candidate/kernel"] +
                    v["candidate/bias"])
        alive = (t < np.asarray(lengths))[:, None]
        h = np.where(alive, u * h + (1 - u) * c, h)
        outs[:, t] = np.where(alive, h, 0)
    return outs, h


def _loss(x, lengths, v):
    outs, h = _gru_reference(x, lengths, v)
    return np.sin(outs).sum() + 0.5 * h.sum()


def _numeric_grad(f, a, eps=1e-6):
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


@pytest.mark.parametrize("steps", [4, None], ids=["static_time", "unknown_time"])
@pytest.mark.parametrize("time_major", [False, True], ids=["batch_major", "time_major"])
def test_values_and_gradients_follow_a_numpy_gru(steps, time_major):
    rng = np.random.default_rng(3)
    data = rng.standard_normal((3, 4, 2))  # batch 3, 4 steps, depth 2
    lengths = [4, 2, 0]
    shape = [steps, 3, 2] if time_major else [3, steps, 2]
    x = tf.placeholder(tf.float64, shape)
    out, state = tf.nn.dynamic_rnn(rnn_cell.GRUCell(5), x, sequence_length=lengths,
                                   dtype=tf.float64, time_major=time_major)
    loss = tf.reduce_sum(tf.sin(out)) + 0.5 * tf.reduce_sum(state)
    variables = tf.trainable_variables()
    grads = tf.gradients(loss, [x] + variables)
    values = {v.op.name.split("gru_cell/")[1]: 0.5 * np.cos(
        np.arange(np.prod(v.shape.as_list())) * 0.3 + k).reshape(v.shape.as_list())
        for k, v in enumerate(variables)}
    feed = data.transpose(1, 0, 2) if time_major else data
    with tf.Session() as sess:
        for v in variables:
            sess.run(v.assign(values[v.op.name.split("gru_cell/")[1]]))
        got_out, got_state, *got_grads = sess.run([out, state] + grads, {x: feed})
    want_out, want_state = _gru_reference(data, lengths, values)
    np.testing.assert_allclose(got_out, want_out.transpose(1, 0, 2) if time_major else want_out,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_state, want_state, rtol=1e-10, atol=1e-12)
    dx = _numeric_grad(lambda a: _loss(a, lengths, values), data)
    np.testing.assert_allclose(got_grads[0], dx.transpose(1, 0, 2) if time_major else dx,
                               rtol=1e-6, atol=1e-8)
    for v, got in zip(variables, got_grads[1:]):
        key = v.op.name.split("gru_cell/")[1]
        want = _numeric_grad(lambda a, k=key: _loss(data, lengths, {**values, k: a}),
                             values[key])
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=key)


# -- against tf.compat.v1 ------------------------------------------------------------------------
# Built alike in minitf (as ``tf``) and in tf.compat.v1 (as ``tf``, TF1 control flow): each case
# sets ``fetches`` (outputs, state) from ``x``; the loss and gradients are added around it.
CASES = {
    "lstm_lengths": ("[2, 5, 3]", """
        cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(4),
                                            tf.nn.rnn_cell.BasicLSTMCell(3)])
        fetches = tf.nn.dynamic_rnn(cell, x, sequence_length=[5, 2], dtype=tf.float32)
    """),
    "gru_time_major_unknown_time": ("[None, 2, 3]", """
        fetches = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(4), x, dtype=tf.float32,
                                    time_major=True, scope="enc")
    """),
    "bidirectional": ("[2, 5, 3]", """
        fetches = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.LSTMCell(3), tf.nn.rnn_cell.GRUCell(2), x,
            sequence_length=tf.constant([3, 5]), dtype=tf.float32)
    """),
}
# TF's ops outside the cell: the loop's frame, the TensorArrays, the transposes and lengths
STRUCTURE = re.compile(
    r"(^|/)(transpose(_1)?|time|TensorArray(_1)?|sequence_length|CheckSeqLen|Max|Minimum|"
    r"while/(Enter|Merge|Switch|Identity|NextIteration|Exit|LoopCond|GreaterEqual|Select|"
    r"TensorArrayReadV3|TensorArrayWrite/TensorArrayWriteV3)(_\d+)?|"
    r"TensorArrayStack/TensorArrayGatherV3|"
    r"TensorArrayUnstack/TensorArrayScatter/TensorArrayScatterV3)$")

PROGRAM = """
def build(shape, body, values):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape, name="x")
        exec(body, dict(tf=tf, x=x, np=np), scope := {})
        fetches = tf.nest.flatten(scope["fetches"])
        structure = sorted(op.name for op in g.get_operations() if STRUCTURE.search(op.name))
        loss = sum(tf.reduce_sum(tf.sin(f) * (i + 1)) for i, f in enumerate(fetches))
        variables = tf.trainable_variables()
        grads = tf.gradients(loss, [x] + variables)
        names = [f.name for f in fetches]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for v in variables:
                sess.run(v.assign(values(v)))
            return names, structure, [v.op.name for v in variables], sess.run(
                fetches + grads, {x: X if shape[0] is not None else X.transpose(1, 0, 2)})
"""


def _values(v):
    n = int(np.prod(v.shape.as_list()))
    return (0.4 * np.sin(np.arange(n) * 0.7 + n % 5)).reshape(v.shape.as_list()).astype(
        np.float32)


X = np.random.default_rng(7).standard_normal((2, 5, 3)).astype(np.float32)


def _run_tf(tmp_path):
    """Every case in tf.compat.v1 (a process of its own: TF_USE_LEGACY_KERAS must be set
    before TensorFlow is imported, and TF1 control flow is process-wide)."""
    if importlib.util.find_spec("tensorflow") is None or \
            importlib.util.find_spec("tf_keras") is None:
        pytest.skip("needs tensorflow and tf_keras")
    script = textwrap.dedent("""
        import json, re, sys, textwrap
        import numpy as np
        import tensorflow
        tensorflow.compat.v1.disable_control_flow_v2()  # (this process only) TF1's loop
        tf = tensorflow.compat.v1
        STRUCTURE, X, CASES = re.compile(sys.argv[1]), np.load(sys.argv[2]), json.loads(sys.argv[3])
        def values(v):
            n = int(np.prod(v.shape.as_list()))
            return (0.4 * np.sin(np.arange(n) * 0.7 + n % 5)).reshape(
                v.shape.as_list()).astype(np.float32)
    """) + PROGRAM + textwrap.dedent("""
        result = {}
        for key, (shape, body) in CASES.items():
            names, structure, variables, arrays = build(eval(shape), textwrap.dedent(body), values)
            np.savez(f"{sys.argv[4]}/{key}.npz", *arrays)
            result[key] = [names, structure, variables]
        print(json.dumps(result))
    """)
    np.save(tmp_path / "x.npy", X)
    done = subprocess.run(
        [sys.executable, "-c", script, STRUCTURE.pattern, str(tmp_path / "x.npy"),
         json.dumps(CASES), str(tmp_path)], capture_output=True, text=True, timeout=600,
        env=dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for key, entry in result.items():
        arrays = np.load(tmp_path / f"{key}.npz")
        entry.append([arrays[f"arr_{i}"] for i in range(len(arrays.files))])
    return result


def test_names_structure_values_and_gradients_are_tf_compat_v1s(tmp_path):
    want = _run_tf(tmp_path)
    namespace = dict(tf=tf, np=np, X=X, STRUCTURE=STRUCTURE)
    exec(textwrap.dedent(PROGRAM), namespace)
    for key, (shape, body) in CASES.items():
        names, structure, variables, arrays = namespace["build"](
            eval(shape), textwrap.dedent(body), _values)
        w_names, w_structure, w_variables, w_arrays = want[key]
        assert names == w_names, key
        assert structure == w_structure, key
        assert variables == w_variables, key
        assert len(arrays) == len(w_arrays), key
        for k, (g, w) in enumerate(zip(arrays, w_arrays)):
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6, err_msg=f"{key} fetch {k}")
