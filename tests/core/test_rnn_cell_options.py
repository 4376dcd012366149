"""tf.nn.rnn_cell.LSTMCell's options (core/rnn.py): peepholes, cell clipping, a projection with
its clipping, the deprecated shards; a numpy LSTM step with each of them, TF1's variable names
and shapes, state and output sizes, gradients against central differences. And the static
shapes of dynamic_rnn / static_rnn with sequence_length (core/rnn_loops.py): TF1's, not the
lengths' batch. Where TensorFlow with Keras 2 (tf_keras) is installed, the same graphs in
tf.compat.v1: values, gradients, variable names and shapes, static shapes, checkpoints read
both ways.

Run as a script (TF_USE_LEGACY_KERAS=1), this file is that comparison: one line per case."""

import os
import sys
import tempfile

import numpy as np
import pytest

import minitf as tf

BATCH, MAX_TIME, DEPTH, UNITS = 3, 5, 2, 3
rng = np.random.default_rng(11)
X = rng.standard_normal((BATCH, MAX_TIME, DEPTH))
LENGTHS = np.array([5, 2, 0], np.int32)

CONFIGS = {
    "plain": {},
    "peepholes": dict(use_peepholes=True),
    "cell_clip": dict(cell_clip=0.4),
    "projection": dict(num_proj=2),
    "projection_clip": dict(num_proj=2, proj_clip=0.3),
    "all": dict(use_peepholes=True, cell_clip=0.5, num_proj=2, proj_clip=0.25,
                forget_bias=0.5),
    "all_concat_state": dict(use_peepholes=True, cell_clip=0.5, num_proj=2, proj_clip=0.25,
                             state_is_tuple=False),
    "shards": dict(use_peepholes=True, num_proj=2, num_unit_shards=2, num_proj_shards=2),
}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_reference(v, x, lengths, use_peepholes=False, cell_clip=None, num_proj=None,
                   proj_clip=None, forget_bias=1.0, **_):
    """TF1's LSTMCell over [batch, time, depth] with copy-through past each row's length:
    (outputs, c, h). ``v`` maps the names under rnn/lstm_cell/ to arrays."""
    batch, n = x.shape[0], v["bias"].shape[0] // 4
    c, h = np.zeros((batch, n)), np.zeros((batch, num_proj or n))
    outs = []
    for t in range(x.shape[1]):
        i, j, f, o = np.split(np.concatenate([x[:, t], h], 1) @ v["kernel"] + v["bias"], 4, 1)
        if use_peepholes:
            new_c = sigmoid(f + forget_bias + v["w_f_diag"] * c) * c + \
                sigmoid(i + v["w_i_diag"] * c) * np.tanh(j)
        else:
            new_c = sigmoid(f + forget_bias) * c + sigmoid(i) * np.tanh(j)
        if cell_clip is not None:
            new_c = np.clip(new_c, -cell_clip, cell_clip)
        gate_o = o + v["w_o_diag"] * new_c if use_peepholes else o
        m = sigmoid(gate_o) * np.tanh(new_c)
        if num_proj is not None:
            m = m @ v["projection/kernel"]
            if proj_clip is not None:
                m = np.clip(m, -proj_clip, proj_clip)
        alive = (lengths > t)[:, None]
        outs.append(np.where(alive, m, 0.0))
        c, h = np.where(alive, new_c, c), np.where(alive, m, h)
    return np.stack(outs, 1), c, h


def _build(T, options, dtype, time_known=True):
    """dynamic_rnn of LSTMCell(UNITS, **options) with lengths: (x, outputs, c, h)."""
    x = T.placeholder(dtype, [None, MAX_TIME if time_known else None, DEPTH])
    cell = T.nn.rnn_cell.LSTMCell(UNITS, **options)
    outputs, state = T.nn.dynamic_rnn(cell, x, sequence_length=LENGTHS, dtype=dtype)
    if options.get("state_is_tuple", True):
        c, h = state
    else:
        c, h = state[:, :UNITS], state[:, UNITS:]
    return x, outputs, c, h


def _set_random(sess, seed, dtype=np.float64):
    """Every variable to random values (by name order, so TF and minitf agree); returns
    {name under rnn/lstm_cell/: value}, partitions joined along rows."""
    values, draw = {}, np.random.default_rng(seed)
    for v in sorted(tf.global_variables(), key=lambda v: v.op.name):
        value = draw.standard_normal(v.shape.as_list()).astype(dtype)
        v.load(value, sess)
        name = v.op.name.split("rnn/lstm_cell/")[1]
        values.setdefault(name.split("/part_")[0], []).append(value)
    return {k: np.concatenate(p, 0) for k, p in values.items()}


# -- TF-free: numpy references ----------------------------------------------------------------
@pytest.mark.parametrize("config", list(CONFIGS))
def test_lstm_options_follow_the_numpy_step(config):
    options = CONFIGS[config]
    x, outputs, c, h = _build(tf, options, tf.float64)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _set_random(sess, 3)
        got = sess.run([outputs, c, h], {x: X})
    want = lstm_reference(v, X, LENGTHS, **options)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    for clip in ("cell_clip", "proj_clip"):  # each clip is hit, so the test could fail
        if options.get(clip):
            unclipped = lstm_reference(v, X, LENGTHS, **dict(options, **{clip: None}))
            assert not np.allclose(unclipped[0], want[0]), clip


@pytest.mark.parametrize("config", ["all", "all_concat_state"])
def test_run_time_length_loop_matches_the_numpy_step(config):
    options = CONFIGS[config]
    x, outputs, c, h = _build(tf, options, tf.float64, time_known=False)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _set_random(sess, 4)
        got = sess.run([outputs, c, h], {x: X})
    for g, w in zip(got, lstm_reference(v, X, LENGTHS, **options)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_variable_names_shapes_and_sizes_are_tf1s():
    cell = tf.nn.rnn_cell.LSTMCell(UNITS, use_peepholes=True, num_proj=2, num_unit_shards=2,
                                   num_proj_shards=2)
    assert cell.state_size == tf.nn.rnn_cell.LSTMStateTuple(3, 2) and cell.output_size == 2
    concat = tf.nn.rnn_cell.LSTMCell(UNITS, num_proj=2, state_is_tuple=False)
    assert concat.state_size == 5 and concat.output_size == 2
    assert tf.nn.rnn_cell.LSTMCell(4).state_size == (4, 4)
    zero = cell.zero_state(7, tf.float32)
    assert zero.c.shape.as_list() == [7, 3] and zero.h.shape.as_list() == [7, 2]
    x = tf.placeholder(tf.float32, [None, MAX_TIME, DEPTH])
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    assert outputs.shape.as_list() == [None, MAX_TIME, 2]
    assert state.c.shape.as_list() == [None, 3] and state.h.shape.as_list() == [None, 2]
    assert [(v.op.name, v.shape.as_list()) for v in tf.global_variables()] == [
        ("rnn/lstm_cell/kernel/part_0", [2, 12]), ("rnn/lstm_cell/kernel/part_1", [2, 12]),
        ("rnn/lstm_cell/bias", [12]), ("rnn/lstm_cell/w_f_diag", [3]),
        ("rnn/lstm_cell/w_i_diag", [3]), ("rnn/lstm_cell/w_o_diag", [3]),
        ("rnn/lstm_cell/projection/kernel/part_0", [2, 2]),
        ("rnn/lstm_cell/projection/kernel/part_1", [1, 2])]


def test_initializer_reaches_every_weight_but_the_bias():
    x = tf.placeholder(tf.float32, [2, DEPTH])
    cell = tf.nn.rnn_cell.LSTMCell(UNITS, use_peepholes=True, num_proj=2,
                                   initializer=tf.constant_initializer(0.5))
    cell(x, cell.zero_state(2, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = {v.op.name: sess.run(v) for v in tf.global_variables()}
    assert set(values) == {f"lstm_cell/{n}" for n in ("kernel", "bias", "w_f_diag", "w_i_diag",
                                                      "w_o_diag", "projection/kernel")}
    for name, value in values.items():
        assert np.all(value == (0.0 if name.endswith("bias") else 0.5)), name


def test_gradients_match_central_differences():
    """Through peepholes, both clips (some values clipped) and the projection."""
    options = dict(CONFIGS["all"], cell_clip=0.5, proj_clip=0.4)
    x, outputs, c, h = _build(tf, options, tf.float64)
    weights = np.random.default_rng(5).standard_normal((MAX_TIME, 2))
    loss = tf.reduce_sum(outputs * weights[None]) + tf.reduce_sum(tf.sin(c)) + \
        tf.reduce_sum(h * h)
    variables = sorted(tf.trainable_variables(), key=lambda v: v.op.name)
    grads = tf.gradients(loss, [x] + variables)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = _set_random(sess, 6)
        got = sess.run(grads, {x: X})
    out = lstm_reference(v, X, LENGTHS, **options)[0]
    for clip in ("cell_clip", "proj_clip"):  # both clips are hit
        assert not np.allclose(lstm_reference(v, X, LENGTHS, **dict(options, **{clip: None}))[0],
                               out), clip

    def ref_loss(v, x):
        out, c, h = lstm_reference(v, x, LENGTHS, **options)
        return np.sum(out * weights[None]) + np.sum(np.sin(c)) + np.sum(h * h)

    def numeric(array, f, eps=1e-6):
        g = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            keep = array[idx]
            array[idx] = keep + eps
            up = f()
            array[idx] = keep - eps
            g[idx] = (up - f()) / (2 * eps)
            array[idx] = keep
        return g

    x_copy = X.copy()
    np.testing.assert_allclose(got[0], numeric(x_copy, lambda: ref_loss(v, x_copy)),
                               rtol=1e-5, atol=1e-7)
    for var, g in zip(variables, got[1:]):
        name = var.op.name.split("rnn/lstm_cell/")[1]
        np.testing.assert_allclose(g, numeric(v[name], lambda: ref_loss(v, X)), rtol=1e-5,
                                   atol=1e-7, err_msg=name)


def test_shards_are_the_unsharded_cell_split_by_rows():
    results = []
    for shards in ({}, dict(num_unit_shards=3, num_proj_shards=2)):
        with tf.Graph().as_default():
            x, outputs, c, h = _build(tf, dict(num_proj=2, **shards), tf.float64)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                draw, parts = np.random.default_rng(8), {}
                full = {"kernel": draw.standard_normal((DEPTH + 2, 4 * UNITS)),
                        "bias": draw.standard_normal(4 * UNITS),
                        "projection/kernel": draw.standard_normal((UNITS, 2))}
                for var in tf.global_variables():
                    name = var.op.name.split("rnn/lstm_cell/")[1]
                    base = name.split("/part_")[0]
                    start = parts.get(base, 0)
                    rows = var.shape.as_list()[0]
                    var.load(full[base][start:start + rows], sess)
                    parts[base] = start + rows
                assert parts == {k: len(a) for k, a in full.items()}
                results.append(sess.run([outputs, c, h], {x: X}))
                names = sorted(v.op.name for v in tf.global_variables())
        if shards:
            assert names == sorted(["rnn/lstm_cell/bias"] + [
                f"rnn/lstm_cell/kernel/part_{i}" for i in range(3)] + [
                f"rnn/lstm_cell/projection/kernel/part_{i}" for i in range(2)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# -- TF-free: static shapes of the loops with sequence_length (TF1's, from its runs) ---------
def _static_shapes(T, case):
    """The static shapes of one case's outputs and state leaves, as lists."""
    kind, x_shape, lengths, extra = case
    g = T.Graph()
    with g.as_default():
        x = T.placeholder(T.float32, x_shape)
        kw = dict(extra)
        if lengths == "const":
            kw["sequence_length"] = T.constant([3, 1])
        elif lengths is not None:
            kw["sequence_length"] = T.placeholder(T.int32, lengths)
        if "initial_state" in kw:
            kw["initial_state"] = T.placeholder(T.float32, kw["initial_state"])
        else:
            kw["dtype"] = T.float32
        cell = T.nn.rnn_cell.LSTMCell(3) if kind.endswith("lstm") else \
            T.nn.rnn_cell.BasicRNNCell(3)
        if kind.startswith("dynamic"):
            out, state = T.nn.dynamic_rnn(cell, x, **kw)
            outs = [out]
        elif kind in ("static", "static_lstm"):
            outs, state = T.nn.static_rnn(cell, T.unstack(x, axis=1), **kw)
        elif kind == "bidirectional":
            outs, state = T.nn.bidirectional_dynamic_rnn(cell, T.nn.rnn_cell.BasicRNNCell(3), x,
                                                         **kw)
        else:
            outs, fw, bw = T.nn.static_bidirectional_rnn(
                cell, T.nn.rnn_cell.BasicRNNCell(3), T.unstack(x, axis=1), **kw)
            state = (fw, bw)
        leaves = T.nest.flatten(state)
    return [t.shape.as_list() if t.shape.rank is not None else None
            for t in list(outs) + leaves]


SHAPE_CASES = [  # (kind, inputs' shape, lengths, other arguments) -> TF1's static shapes
    (("dynamic", [None, 4, 2], "const", {}), [[None, 4, 3], [None, 3]]),
    (("dynamic", [None, None, 2], "const", {}), [[None, None, 3], [None, 3]]),
    (("dynamic", [None, None, 2], "const", {"time_major": True}), [[None, None, 3], [None, 3]]),
    (("dynamic", [4, None, 2], "const", {"time_major": True}), [[4, None, 3], [None, 3]]),
    (("dynamic", [None, None, 2], [2], {"time_major": True}), [[None, None, 3], [None, 3]]),
    (("dynamic_lstm", [None, 4, 2], "const", {}), [[None, 4, 3], [None, 3], [None, 3]]),
    (("dynamic", [2, 4, 2], None, {"initial_state": [None, 3]}), [[2, 4, 3], [None, 3]]),
    (("dynamic", [2, 4, 2], "const", {"initial_state": [None, 3]}), [[2, 4, 3], [None, 3]]),
    (("static", [None, 3, 2], "const", {}), [[None, 3]] * 3 + [[None, 3]]),
    (("static_lstm", [None, 3, 2], "const", {}), [[None, 3]] * 3 + [[None, 3], [None, 3]]),
    (("static", [2, 3, 2], None, {"initial_state": [None, 3]}), [[2, 3]] * 3 + [[2, 3]]),
    (("bidirectional", [None, 4, 2], "const", {}),
     [[None, 4, 3], [2, 4, 3], [None, 3], [2, 3]]),
    (("bidirectional", [None, None, 2], "const", {"time_major": True}),
     [[None, None, 3], [None, 2, 3], [None, 3], [2, 3]]),
    (("static_bidirectional", [None, 3, 2], "const", {}), [[2, 6]] * 3 + [[None, 3], [2, 3]]),
]


@pytest.mark.parametrize("case, want", SHAPE_CASES)
def test_static_shapes_with_sequence_length_are_tf1s(case, want):
    assert _static_shapes(tf, case) == want


def test_shapes_run_as_before():
    """The relaxed static shapes change no value: lengths [3, 1] over a static batch."""
    x = tf.placeholder(tf.float32, [None, 4, 2])
    cell = tf.nn.rnn_cell.BasicRNNCell(3)
    out, state = tf.nn.dynamic_rnn(cell, x, sequence_length=tf.constant([3, 1]),
                                   dtype=tf.float32)
    data = np.random.default_rng(2).standard_normal((2, 4, 2)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s = sess.run([out, state], {x: data})
    assert np.all(o[0, 3] == 0) and np.all(o[1, 1:] == 0) and np.any(o[1, 0] != 0)
    np.testing.assert_array_equal(s, np.stack([o[0, 2], o[1, 0]]))


# -- against tf.compat.v1 ----------------------------------------------------------------------
CASES_AGAINST_TF = 2 * len(CONFIGS) + len(SHAPE_CASES) + 2


def test_lstm_options_and_shapes_match_tensorflow():
    """Runs this file as a script against tf.compat.v1 where tf_keras is installed."""
    from tests.core.legacy_tf import run_against_tf  # (not at the top: this file is a script too)

    run_against_tf(os.path.abspath(__file__), cases=CASES_AGAINST_TF)


def _run_case(T, options, time_known):
    g = T.Graph()
    with g.as_default():
        x, outputs, c, h = _build(T, options, T.float32, time_known)
        weights = np.random.default_rng(5).standard_normal((MAX_TIME, outputs.shape[-1]))
        loss = T.reduce_sum(outputs * weights[None].astype(np.float32)) + \
            T.reduce_sum(T.sin(c)) + T.reduce_sum(h * h)
        variables = sorted(T.global_variables(), key=lambda v: v.op.name)
        grads = T.gradients(loss, [x] + variables)
        draw = np.random.default_rng(1)
        with T.Session() as sess:
            sess.run(T.global_variables_initializer())
            for v in variables:
                v.load(draw.standard_normal(v.shape.as_list()).astype(np.float32), sess)
            values = sess.run([outputs, c, h] + grads, {x: X.astype(np.float32)})
    shapes = [t.shape.as_list() for t in (outputs, c, h)]
    return [(v.op.name, v.shape.as_list()) for v in variables], shapes, values


def _checkpoint_case(tf1, save_with, restore_with):
    """A checkpoint of LSTMCell(all options, shards) written by one and read by the other:
    the reader's outputs are the writer's."""
    options = dict(CONFIGS["shards"], cell_clip=0.5, proj_clip=0.3)
    path = os.path.join(tempfile.mkdtemp(), "model.ckpt")
    results = []
    for T, saving in ((save_with, True), (restore_with, False)):
        with T.Graph().as_default():
            x, outputs, c, h = _build(T, options, T.float32)
            saver = T.train.Saver(write_version=T.train.SaverDef.V2)  # TF's format
            with T.Session() as sess:
                sess.run(T.global_variables_initializer())
                if saving:
                    draw = np.random.default_rng(9)
                    for v in sorted(T.global_variables(), key=lambda v: v.op.name):
                        v.load(draw.standard_normal(v.shape.as_list()).astype(np.float32),
                               sess)
                    saver.save(sess, path)
                else:
                    saver.restore(sess, path)
                results.append(sess.run([outputs, c, h], {x: X.astype(np.float32)}))
    return all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(*results))


def _compare():
    import tensorflow.compat.v1 as tf1

    tf1.disable_v2_behavior()
    for name, options in CONFIGS.items():
        for time_known in (True, False):
            ours, theirs = _run_case(tf, options, time_known), _run_case(tf1, options,
                                                                          time_known)
            same = ours[:2] == theirs[:2] and len(ours[2]) == len(theirs[2]) and all(
                np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-4, atol=1e-5)
                for a, b in zip(ours[2], theirs[2]))
            print(name, "static_time" if time_known else "run_time",
                  "OK" if same else f"DIFF {ours[:2]} {theirs[:2]}")
    for case, want in SHAPE_CASES:
        ours, theirs = _static_shapes(tf, case), _static_shapes(tf1, case)
        print("shapes", case, "OK" if ours == theirs == want else
              f"DIFF ours {ours} theirs {theirs} test {want}")
    print("checkpoint tf->minitf", "OK" if _checkpoint_case(tf1, tf1, tf) else "DIFF")
    print("checkpoint minitf->tf", "OK" if _checkpoint_case(tf1, tf, tf1) else "DIFF")


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    _compare()
