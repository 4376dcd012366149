"""tf.contrib.rnn: TF1's aliases, the legacy Embedding/InputProjection/OutputProjection
wrappers and stack_bidirectional_(dynamic_)rnn — numpy references with TF1's variable names;
and, where TensorFlow and tf_keras are installed, the same graphs built as TF 1.15's contrib
code builds them on tf.compat.v1 (``tf_legacy_run``), variables set by name to the same values.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minitf as tf

rng = np.random.default_rng(3)
X = rng.standard_normal((2, 4, 3)).astype(np.float32)  # batch 2, 4 steps, depth 3


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def values_for(variables):
    """Deterministic values by variable name (the same on both sides)."""
    out = {}
    for k, v in enumerate(variables):
        shape = v.shape.as_list()
        out[v.op.name] = (0.4 * np.sin(np.arange(np.prod(shape)) * 0.73 + k)).reshape(
            shape).astype(np.float32)
    return out


def run_with(fetches, feed=None, values=None):
    """``fetches`` run after setting every global variable to ``values`` (by name)."""
    values = values if values is not None else values_for(tf.global_variables())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for v in tf.global_variables():
            sess.run(v.assign(values[v.op.name]))
        return sess.run(fetches, feed), values


def tf_legacy_run(body: str, values: dict, tmp_path, **arrays):
    """Runs ``body`` (Python using ``tf1``, ``np`` and the given ``arrays``; it builds its
    graph in ``g`` and sets ``fetches``) in TensorFlow with Keras 2 (TF_USE_LEGACY_KERAS, so
    tf.compat.v1.nn.rnn_cell exists), sets its variables by name to ``values`` and returns
    (fetched arrays, variable names in creation order). Skips without tensorflow/tf_keras."""
    if importlib.util.find_spec("tf_keras") is None or \
            importlib.util.find_spec("tensorflow") is None:
        pytest.skip("needs tensorflow and tf_keras")
    np.savez(tmp_path / "in.npz", **arrays)
    np.savez(tmp_path / "values.npz", **{k.replace("/", "|"): v for k, v in values.items()})
    script = textwrap.dedent("""
        import json, sys
        import numpy as np
        import tensorflow as tf
        tf1 = tf.compat.v1
        globals().update(dict(np.load(sys.argv[1])))
        values = {k.replace("|", "/"): v for k, v in np.load(sys.argv[2]).items()}
        g = tf1.Graph()
        with g.as_default():
        {body}
            names = [v.op.name for v in tf1.global_variables()]
            with tf1.Session() as sess:
                sess.run(tf1.global_variables_initializer())
                for v in tf1.global_variables():
                    v.load(values[v.op.name], sess)
                got = sess.run(tf.nest.flatten(fetches))
        np.savez(sys.argv[3], *got)
        print(json.dumps(names))
    """).replace("{body}", textwrap.indent(textwrap.dedent(body), "    "))
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "in.npz"), str(tmp_path / "values.npz"),
         str(tmp_path / "out.npz")], capture_output=True, text=True, timeout=600,
        env=dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    out = np.load(tmp_path / "out.npz")
    return [out[f"arr_{i}"] for i in range(len(out.files))], \
        json.loads(done.stdout.strip().splitlines()[-1])


def flat(structure):
    return tf.nest.flatten(structure)


# -- the namespace ---------------------------------------------------------------------------------
def test_contrib_rnn_reexports_tf_nn_rnn_cell_and_the_rnn_functions():
    rnn = tf.contrib.rnn
    for name in ("RNNCell", "BasicRNNCell", "BasicLSTMCell", "LSTMCell", "GRUCell",
                 "MultiRNNCell", "DropoutWrapper", "ResidualWrapper", "DeviceWrapper",
                 "LSTMStateTuple"):
        assert getattr(rnn, name) is getattr(tf.nn.rnn_cell, name), name
    assert rnn.static_rnn is tf.nn.static_rnn
    assert rnn.static_bidirectional_rnn is tf.nn.static_bidirectional_rnn
    assert rnn.static_state_saving_rnn is tf.nn.static_state_saving_rnn
    assert set(rnn.__all__) <= set(dir(rnn))
    with pytest.raises(AttributeError):
        rnn.NoSuchCell  # noqa: B018


def test_static_rnn_through_contrib_follows_the_lstm_equations():
    cell = tf.contrib.rnn.BasicLSTMCell(2)
    outputs, state = tf.contrib.rnn.static_rnn(cell, tf.unstack(tf.constant(X), axis=1),
                                               dtype=tf.float32)
    (got, c), values = run_with([outputs, state.c])
    w, b = values["rnn/basic_lstm_cell/kernel"], values["rnn/basic_lstm_cell/bias"]
    cs = h = np.zeros((2, 2))
    for t in range(4):
        i, j, f, o = np.split(np.concatenate([X[:, t], h], 1) @ w + b, 4, axis=1)
        cs = cs * sigmoid(f + 1) + sigmoid(i) * np.tanh(j)
        h = np.tanh(cs) * sigmoid(o)
        np.testing.assert_allclose(got[t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, cs, rtol=1e-5, atol=1e-6)


# -- the legacy wrappers ---------------------------------------------------------------------------
def _gru(x, h, values, prefix):
    n = h.shape[1]
    gk, gb = values[prefix + "gates/kernel"], values[prefix + "gates/bias"]
    ck, cb = values[prefix + "candidate/kernel"], values[prefix + "candidate/bias"]
    r, u = np.split(sigmoid(np.concatenate([x, h], 1) @ gk + gb), 2, axis=1)
    c = np.tanh(np.concatenate([x, r * h], 1) @ ck + cb)
    assert c.shape[1] == n
    return u * h + (1 - u) * c


def test_projection_wrappers_scope_their_variables_and_project():
    cell = tf.contrib.rnn.OutputProjectionWrapper(
        tf.contrib.rnn.InputProjectionWrapper(tf.contrib.rnn.GRUCell(3), num_proj=5,
                                              activation=tf.tanh), output_size=4)
    assert (cell.state_size, cell.output_size) == (3, 4)
    outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(X), dtype=tf.float32)
    names = [v.op.name for v in tf.global_variables()]
    p = "rnn/output_projection_wrapper/"
    assert names == [p + "input_projection_wrapper/kernel", p + "input_projection_wrapper/bias",
                     p + "input_projection_wrapper/gru_cell/gates/kernel",
                     p + "input_projection_wrapper/gru_cell/gates/bias",
                     p + "input_projection_wrapper/gru_cell/candidate/kernel",
                     p + "input_projection_wrapper/gru_cell/candidate/bias",
                     p + "kernel", p + "bias"]
    (got, final), values = run_with([outputs, state])
    h = np.zeros((2, 3))
    for t in range(4):
        proj = np.tanh(X[:, t] @ values[names[0]] + values[names[1]])
        h = _gru(proj, h, values, p + "input_projection_wrapper/gru_cell/")
        np.testing.assert_allclose(got[:, t], h @ values[p + "kernel"] + values[p + "bias"],
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(final, h, rtol=1e-5, atol=1e-6)


def test_embedding_wrapper_looks_up_ids_on_the_cpu():
    ids = tf.placeholder(tf.int32, [2])
    cell = tf.contrib.rnn.EmbeddingWrapper(tf.contrib.rnn.BasicRNNCell(3), embedding_classes=6,
                                           embedding_size=2)
    outputs, _ = tf.contrib.rnn.static_rnn(cell, [ids, ids + 1], dtype=tf.float32)
    embedding = tf.global_variables()[0]
    assert embedding.op.name == "rnn/embedding_wrapper/embedding"
    assert embedding.shape.as_list() == [6, 2]
    assert "CPU:0" in embedding.op.device.upper()
    assert [v.op.name for v in tf.global_variables()[1:]] == [
        "rnn/embedding_wrapper/basic_rnn_cell/kernel", "rnn/embedding_wrapper/basic_rnn_cell/bias"]
    (got,), values = run_with([outputs], {ids: [4, 0]})
    table = values["rnn/embedding_wrapper/embedding"]
    k, b = values["rnn/embedding_wrapper/basic_rnn_cell/kernel"], \
        values["rnn/embedding_wrapper/basic_rnn_cell/bias"]
    h = np.zeros((2, 3))
    for t, step_ids in enumerate(([4, 0], [5, 1])):
        h = np.tanh(np.concatenate([table[step_ids], h], 1) @ k + b)
        np.testing.assert_allclose(got[t], h, rtol=1e-5, atol=1e-6)


def test_embedding_wrapper_default_initializer_is_uniform_sqrt3():
    cell = tf.contrib.rnn.EmbeddingWrapper(tf.contrib.rnn.GRUCell(2), 500, 4)
    cell(tf.constant([1, 2]), cell.zero_state(2, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        table = sess.run(tf.global_variables()[0])
    assert np.abs(table).max() <= np.sqrt(3) and np.abs(table).max() > 1.5
    assert abs(table.mean()) < 0.1


def test_legacy_wrappers_refuse_bad_arguments():
    with pytest.raises(ValueError, match="Both embedding_classes and embedding_size must be > 0"):
        tf.contrib.rnn.EmbeddingWrapper(tf.contrib.rnn.GRUCell(2), 0, 3)
    with pytest.raises(ValueError, match="Parameter output_size must be > 0: 0."):
        tf.contrib.rnn.OutputProjectionWrapper(tf.contrib.rnn.GRUCell(2), 0)
    with pytest.raises(TypeError, match="is not an RNNCell"):
        tf.contrib.rnn.InputProjectionWrapper(object(), 3)


# -- stacked bidirectional RNNs ----------------------------------------------------------------
def _np_gru_layer(xs, values, prefix, reverse=False):
    steps = list(range(len(xs)))[::-1] if reverse else list(range(len(xs)))
    h, out = np.zeros((xs[0].shape[0], values[prefix + "candidate/bias"].shape[0])), {}
    for t in steps:
        h = _gru(xs[t], h, values, prefix)
        out[t] = h
    return [out[t] for t in range(len(xs))], h


@pytest.mark.parametrize("dynamic", [False, True])
def test_stack_bidirectional_rnn_layers_concatenate_both_directions(dynamic):
    cells = [[tf.contrib.rnn.GRUCell(2), tf.contrib.rnn.GRUCell(3)] for _ in range(2)]
    if dynamic:
        outputs, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
            cells[0], cells[1], tf.constant(X), dtype=tf.float32)
        assert outputs.shape.as_list() == [2, 4, 6]
    else:
        outputs, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_rnn(
            cells[0], cells[1], tf.unstack(tf.constant(X), axis=1), dtype=tf.float32)
        assert len(outputs) == 4 and outputs[0].shape.as_list() == [2, 6]
    assert isinstance(states_fw, tuple) and len(states_fw) == 2 == len(states_bw)
    names = [v.op.name for v in tf.global_variables()]
    # TF 1.15: the static stack hands its cell scope on; the dynamic one nests its own
    p = "stack_bidirectional_rnn/cell_{}/" + ("bidirectional_rnn/" if dynamic else "") + \
        "{}/gru_cell/"
    assert names[:4] == [p.format(0, "fw") + s for s in
                         ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias")]
    assert names[4] == p.format(0, "bw") + "gates/kernel"
    assert names[8] == p.format(1, "fw") + "gates/kernel"
    assert len(names) == 16
    (got, fw, bw), values = run_with([outputs, states_fw, states_bw])
    layer = [X[:, t] for t in range(4)]
    for i in range(2):
        out_fw, last_fw = _np_gru_layer(layer, values, p.format(i, "fw"))
        out_bw, last_bw = _np_gru_layer(layer, values, p.format(i, "bw"), reverse=True)
        layer = [np.concatenate([a, b], 1) for a, b in zip(out_fw, out_bw)]
        np.testing.assert_allclose(fw[i], last_fw, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bw[i], last_bw, rtol=1e-5, atol=1e-6)
    got = np.stack(got, 1) if not dynamic else got
    np.testing.assert_allclose(got, np.stack(layer, 1), rtol=1e-5, atol=1e-6)


def test_stack_bidirectional_rnn_checks_its_arguments_as_tf1():
    gru = tf.contrib.rnn.GRUCell
    x = tf.constant(X)
    for args, message in (
            (([], [gru(2)]), "Must specify at least one fw cell for BidirectionalRNN."),
            (([gru(2)], []), "Must specify at least one bw cell for BidirectionalRNN."),
            (((gru(2),), [gru(2)]), "cells_fw must be a list of RNNCells"),
            (([gru(2)], [gru(2), gru(2)]), "Forward and Backward cells must have the same "
                                           "depth.")):
        with pytest.raises(ValueError, match=message):
            tf.contrib.rnn.stack_bidirectional_dynamic_rnn(*args, x, dtype=tf.float32)
    with pytest.raises(ValueError, match="initial_states_fw must be a list of state tensors"):
        tf.contrib.rnn.stack_bidirectional_rnn([gru(2)], [gru(2)], tf.unstack(x, axis=1),
                                               initial_states_fw=[], dtype=tf.float32)


def test_stack_bidirectional_rnn_with_lengths_and_initial_states():
    lengths = tf.constant([4, 2])
    init = [tf.constant(np.full((2, 2), 0.3, np.float32))]
    outputs, fw, bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
        [tf.contrib.rnn.GRUCell(2)], [tf.contrib.rnn.GRUCell(2)], tf.constant(X),
        initial_states_fw=init, initial_states_bw=init, sequence_length=lengths)
    (got, f, b), values = run_with([outputs, fw, bw])
    assert np.all(got[1, 2:] == 0)  # past the second row's length
    p = "stack_bidirectional_rnn/cell_0/bidirectional_rnn/{}/gru_cell/"
    h = np.full((1, 2), 0.3)
    for t in range(2):
        h = _gru(X[1:, t], h, values, p.format("fw"))
    np.testing.assert_allclose(f[0][1:], h, rtol=1e-5, atol=1e-6)
    h = np.full((1, 2), 0.3)
    for t in (1, 0):  # the backward cell reads row 1's two steps reversed
        h = _gru(X[1:, t], h, values, p.format("bw"))
    np.testing.assert_allclose(b[0][1:], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1, 0, 2:], h[0], rtol=1e-5, atol=1e-6)


# -- side by side with TF 1.15's code on tf.compat.v1 -----------------------------------------
@pytest.mark.parametrize("dynamic", [False, True])
def test_stack_bidirectional_rnn_matches_tf1(dynamic, tmp_path):
    """TF 1.15's stack_bidirectional_(dynamic_)rnn, written out as contrib's code is, on
    tf.compat.v1's LSTMCell: the same variable names, outputs, final states and gradients."""
    def cells(n):
        return [tf.contrib.rnn.LSTMCell(n, use_peepholes=True), tf.contrib.rnn.LSTMCell(3)]

    x = tf.constant(X)
    lengths = tf.constant([4, 3])
    if dynamic:
        outputs, fw, bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
            cells(2), cells(2), x, sequence_length=lengths, dtype=tf.float32)
    else:
        outputs, fw, bw = tf.contrib.rnn.stack_bidirectional_rnn(
            cells(2), cells(2), tf.unstack(x, axis=1), sequence_length=lengths,
            dtype=tf.float32)
    loss = tf.reduce_sum(tf.square(outputs)) + tf.add_n([tf.reduce_sum(s) for s in flat(fw)])
    grads = tf.gradients(loss, tf.global_variables())
    names = [v.op.name for v in tf.global_variables()]
    got, values = run_with([outputs, fw, bw, grads])
    want, tf_names = tf_legacy_run(f"""
        x = tf1.constant(X)
        lengths = tf1.constant([4, 3])
        def cells(n):
            return [tf1.nn.rnn_cell.LSTMCell(n, use_peepholes=True),
                    tf1.nn.rnn_cell.LSTMCell(3)]
        cells_fw, cells_bw = cells(2), cells(2)
        # TF 1.15 contrib/rnn/python/ops/rnn.py, as written there
        states_fw, states_bw, prev_layer = [], [], {"x" if dynamic else "tf1.unstack(x, axis=1)"}
        with tf1.variable_scope("stack_bidirectional_rnn"):
            for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
                with tf1.variable_scope("cell_%d" % i) as cell_scope:
                    if {dynamic}:
                        outputs, (state_fw, state_bw) = tf1.nn.bidirectional_dynamic_rnn(
                            cell_fw, cell_bw, prev_layer, sequence_length=lengths,
                            dtype=tf.float32)
                        prev_layer = tf1.concat(outputs, 2)
                    else:
                        prev_layer, state_fw, state_bw = tf1.nn.static_bidirectional_rnn(
                            cell_fw, cell_bw, prev_layer, sequence_length=lengths,
                            dtype=tf.float32, scope=cell_scope)
                states_fw.append(state_fw)
                states_bw.append(state_bw)
        fw, bw = tuple(states_fw), tuple(states_bw)
        loss = tf1.reduce_sum(tf1.square(prev_layer)) + tf1.add_n(
            [tf1.reduce_sum(s) for s in tf.nest.flatten(fw)])
        fetches = [prev_layer, fw, bw, tf1.gradients(loss, tf1.global_variables())]
    """, values, tmp_path, X=X)
    assert tf_names == names
    got = flat(got)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)


def test_static_and_dynamic_stacks_name_their_variables_apart():
    """TF 1.15 passes the cell scope to static_bidirectional_rnn (cell_0/fw), while the
    dynamic stack's layers sit under bidirectional_rnn: both fit in one graph."""
    cells = [tf.contrib.rnn.GRUCell(2) for _ in range(4)]
    tf.contrib.rnn.stack_bidirectional_rnn([cells[0]], [cells[1]], tf.unstack(X, axis=1),
                                           dtype=tf.float32)
    tf.contrib.rnn.stack_bidirectional_dynamic_rnn([cells[2]], [cells[3]], tf.constant(X),
                                                   dtype=tf.float32)
    kernels = sorted(v.op.name for v in tf.global_variables() if v.op.name.endswith("kernel"))
    assert kernels == [f"stack_bidirectional_rnn/cell_0/{p}/gru_cell/{g}/kernel"
                       for p in ("bidirectional_rnn/bw", "bidirectional_rnn/fw", "bw", "fw")
                       for g in ("candidate", "gates")]
