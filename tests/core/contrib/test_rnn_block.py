"""tf.contrib.rnn's fused cells (LSTMBlockCell, LSTMBlockFusedCell, GRUBlockCell(V2), the
FusedRNNCell adaptors) on TF's fused ops: TF1's variable names, numpy references of the
equations, the TF-rule gradients (LSTMBlockCellGrad, BlockLSTMGrad, GRUBlockCellGrad) against
the same cells built from ordinary ops; and, where TensorFlow is installed, the ops beside
tf.raw_ops (kernels and gradient ops) and the cells beside tf.compat.v1's LSTMCell/GRUCell
(tf_keras), variables set by name to the same values."""

import numpy as np
import pytest

import minitf as tf
import minitf.ops.rnn_block_ops  # noqa: F401 - registers the ops (until core/ops imports it)
from minitf import raw_ops
from tests.core.contrib.test_rnn import X, run_with, sigmoid, tf_legacy_run
from tests.core.side_by_side import tf_run


def op_types():
    return {op.type for op in tf.get_default_graph().get_operations()}


def np_lstm(x, values, prefix, n, forget_bias=1.0, clip=None, peep=False, lengths=None,
            time_major=False):
    """TF1's LSTM (icfo gates) over [batch, time, depth]: (outputs, time-major with
    ``time_major``; c, h)."""
    w, b = values[prefix + "kernel"], values[prefix + "bias"]
    c = h = np.zeros((x.shape[0], n))
    outs = np.zeros(x.shape[:2] + (n,))
    for t in range(x.shape[1]):
        i, j, f, o = np.split(np.concatenate([x[:, t], h], 1) @ w + b, 4, axis=1)
        if peep:
            i, f = i + c * values[prefix + "w_i_diag"], f + c * values[prefix + "w_f_diag"]
        new_c = sigmoid(f + forget_bias) * c + sigmoid(i) * np.tanh(j)
        if clip is not None:
            new_c = np.clip(new_c, -clip, clip)
        if peep:
            o = o + new_c * values[prefix + "w_o_diag"]
        new_h = sigmoid(o) * np.tanh(new_c)
        alive = np.ones((x.shape[0], 1)) if lengths is None else \
            (t < np.asarray(lengths))[:, None]
        c, h = np.where(alive, new_c, c), np.where(alive, new_h, h)
        outs[:, t] = new_h * alive
    return (outs.transpose(1, 0, 2) if time_major else outs), c, h


# -- LSTMBlockCell -----------------------------------------------------------------------------
@pytest.mark.parametrize("peep,clip", [(False, None), (True, None), (True, 0.25)])
def test_lstm_block_cell_is_tf1s_lstm_in_one_op(peep, clip):
    cell = tf.contrib.rnn.LSTMBlockCell(3, forget_bias=0.5, cell_clip=clip, use_peephole=peep)
    assert cell.state_size == (3, 3) and cell.output_size == 3
    outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(X), dtype=tf.float32)
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"] + \
        (["rnn/lstm_cell/w_i_diag", "rnn/lstm_cell/w_f_diag", "rnn/lstm_cell/w_o_diag"]
         if peep else [])
    assert "LSTMBlockCell" in op_types() and isinstance(state, tf.contrib.rnn.LSTMStateTuple)
    (out, c, h), values = run_with([outputs, state.c, state.h])
    want = np_lstm(X, values, "rnn/lstm_cell/", 3, 0.5, clip, peep)
    for g, w in zip((out, c, h), want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    if clip is not None:
        assert np.abs(c).max() == pytest.approx(clip)


def test_lstm_block_cell_gradients_are_lstm_cells():
    """TF's rule (LSTMBlockCellGrad) gives LSTMCell's gradients: same variables, same loss."""
    def build(cell, scope):
        outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32, scope=scope)
        loss = tf.reduce_sum(tf.sin(outputs)) + tf.reduce_sum(state.c * 0.3)
        return tf.gradients(loss, [x] + tf.trainable_variables(scope))

    x = tf.constant(X)
    block = build(tf.contrib.rnn.LSTMBlockCell(3, use_peephole=True), "block")
    plain = build(tf.nn.rnn_cell.LSTMCell(3, use_peepholes=True), "plain")
    assert "LSTMBlockCellGrad" in op_types()
    values = {v.op.name: 0.3 * np.cos(np.arange(np.prod(v.shape.as_list())) * 0.41).reshape(
        v.shape.as_list()).astype(np.float32) for v in tf.global_variables()}
    (got, want), _ = run_with([block, plain], values=values)
    # (LSTMCell makes w_f_diag before w_i_diag: compare the peepholes by name)
    order = [v.op.name.split("/")[-1] for v in tf.trainable_variables("plain")]
    want = [want[0]] + [want[1 + order.index(n.op.name.split("/")[-1])]
                        for n in tf.trainable_variables("block")]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)


def test_lstm_block_cell_refuses_bad_states_and_inputs():
    cell = tf.contrib.rnn.LSTMBlockCell(2)
    with pytest.raises(ValueError, match="Expecting state to be a tuple with length 2."):
        cell(tf.constant(X[:, 0]), (tf.zeros([2, 2]),) * 3)
    with pytest.raises(ValueError, match=r"Expecting inputs_shape\[1\] to be set"):
        tf.contrib.rnn.LSTMBlockCell(2)(tf.placeholder(tf.float32, [2, None]),
                                        (tf.zeros([2, 2]), tf.zeros([2, 2])))


def test_lstm_block_cell_op_checks_shapes_when_run():
    w = tf.placeholder(tf.float32)
    z = tf.zeros([2])
    out = raw_ops.LSTMBlockCell(x=tf.constant(X[:, 0]), cs_prev=tf.zeros([2, 2]),
                                h_prev=tf.zeros([2, 2]), w=w, wci=z, wcf=z, wco=z,
                                b=tf.zeros([8]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"w.dim_size\(0\) != input_size \+ cell_size: 4 vs. 5"):
            sess.run(out[6], {w: np.zeros((4, 8), np.float32)})


# -- LSTMBlockFusedCell ------------------------------------------------------------------------
@pytest.mark.parametrize("peep", [False, True])
def test_lstm_block_fused_cell_runs_the_sequence_in_one_op(peep):
    cell = tf.contrib.rnn.LSTMBlockFusedCell(3, forget_bias=0.8, use_peephole=peep)
    x = tf.constant(X.transpose(1, 0, 2))  # time-major
    outputs, state = cell(x, dtype=tf.float32, sequence_length=[4, 2])
    assert [v.op.name for v in tf.global_variables()][:2] == ["lstm_fused_cell/kernel",
                                                               "lstm_fused_cell/bias"]
    assert "BlockLSTM" in op_types() and outputs.shape.as_list() == [4, 2, 3]
    grads = tf.gradients(tf.reduce_sum(outputs * outputs) + tf.reduce_sum(state.c),
                         tf.global_variables())
    (out, c, h), values = run_with([outputs, state.c, state.h])
    want = np_lstm(X, values, "lstm_fused_cell/", 3, 0.8, None, peep, lengths=[4, 2],
                   time_major=True)
    for g, w in zip((out, c, h), want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert "BlockLSTMGrad" in op_types()
    # the same gradients as tf.nn.dynamic_rnn of a (non-fused) LSTMCell with those variables
    plain = tf.nn.rnn_cell.LSTMCell(3, use_peepholes=peep, forget_bias=0.8)
    p_out, p_state = tf.nn.dynamic_rnn(plain, x, sequence_length=[4, 2], time_major=True,
                                       dtype=tf.float32, scope="plain")
    p_grads = tf.gradients(tf.reduce_sum(p_out * p_out) + tf.reduce_sum(p_state.c),
                           tf.trainable_variables("plain"))
    values.update({v.op.name: values["lstm_fused_cell/" + v.op.name.split("/")[-1]]
                   for v in tf.trainable_variables("plain")})
    (got, want), _ = run_with([grads, p_grads], values=values)
    order = [v.op.name.split("/")[-1] for v in tf.trainable_variables("plain")]
    for v, g in zip(tf.global_variables(), got):
        np.testing.assert_allclose(g, want[order.index(v.op.name.split("/")[-1])], rtol=1e-4,
                                   atol=1e-6)


def test_lstm_block_fused_cell_takes_lists_and_initial_states():
    cell = tf.contrib.rnn.LSTMBlockFusedCell(2)
    steps = [tf.constant(X[:, t]) for t in range(4)]
    c0 = tf.constant(np.full((2, 2), 0.5, np.float32))
    outputs, state = cell(steps, initial_state=(c0, c0))
    assert isinstance(outputs, list) and len(outputs) == 4
    again, _ = cell(steps, initial_state=(c0, c0))  # the same variables
    assert len(tf.global_variables()) == 2
    (out, out2, h), values = run_with([outputs, again, state.h])
    np.testing.assert_allclose(out, out2)
    w, b = values["lstm_fused_cell/kernel"], values["lstm_fused_cell/bias"]
    c = hh = np.full((2, 2), 0.5)
    for t in range(4):
        i, j, f, o = np.split(np.concatenate([X[:, t], hh], 1) @ w + b, 4, axis=1)
        c = sigmoid(f + 1) * c + sigmoid(i) * np.tanh(j)
        hh = sigmoid(o) * np.tanh(c)
        np.testing.assert_allclose(out[t], hh, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Either initial_state or dtype needs to be specified"):
        tf.contrib.rnn.LSTMBlockFusedCell(2)(tf.constant(X))


def test_fused_rnn_cell_adaptor_and_time_reversal():
    x = tf.constant(X.transpose(1, 0, 2))
    fwd = tf.contrib.rnn.FusedRNNCellAdaptor(tf.contrib.rnn.GRUBlockCell(2),
                                             use_dynamic_rnn=True)
    out, _ = fwd(x, dtype=tf.float32, scope="a")
    back = tf.contrib.rnn.TimeReversedFusedRNN(tf.contrib.rnn.FusedRNNCellAdaptor(
        tf.contrib.rnn.GRUBlockCell(2)))
    rev, rev_state = back(x, dtype=tf.float32, scope="b")
    (o, r, rs), values = run_with([out, rev, rev_state])
    for scope, got, order in (("a/gru_cell/", o, range(4)), ("b/gru_cell/", r, range(3, -1, -1))):
        h = np.zeros((2, 2))
        for t in order:
            xh = np.concatenate([X[:, t], h], 1)
            ru = sigmoid(xh @ values[scope + "w_ru"] + values[scope + "b_ru"])
            c = np.tanh(np.concatenate([X[:, t], ru[:, :2] * h], 1) @ values[scope + "w_c"] +
                        values[scope + "b_c"])
            h = ru[:, 2:] * h + (1 - ru[:, 2:]) * c
            np.testing.assert_allclose(got[t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rs, h, rtol=1e-5, atol=1e-6)


# -- GRUBlockCell ------------------------------------------------------------------------------
@pytest.mark.parametrize("v2", [False, True])
def test_gru_block_cell_is_gru_cell_in_one_op(v2):
    cls = tf.contrib.rnn.GRUBlockCellV2 if v2 else tf.contrib.rnn.GRUBlockCell
    x = tf.constant(X)
    block_out, _ = tf.nn.dynamic_rnn(cls(3), x, dtype=tf.float32, scope="block")
    plain_out, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(3), x, dtype=tf.float32,
                                     scope="plain")
    names = [v.op.name for v in tf.global_variables("block")]
    suffixes = ["gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"]
    assert names == ["block/gru_cell/" + s for s in
                     (suffixes if v2 else ["w_ru", "b_ru", "w_c", "b_c"])]
    assert "GRUBlockCell" in op_types()
    grads = tf.gradients(tf.reduce_sum(tf.sin(block_out)), [x] + tf.global_variables("block"))
    p_grads = tf.gradients(tf.reduce_sum(tf.sin(plain_out)), [x] + tf.global_variables("plain"))
    assert "GRUBlockCellGrad" in op_types()
    values = {v.op.name: 0.5 * np.sin(np.arange(np.prod(v.shape.as_list())) * 0.9 + k).reshape(
        v.shape.as_list()).astype(np.float32) for k, v in enumerate(tf.global_variables("block"))}
    values.update({f"plain/gru_cell/{s}": values[n] for s, n in zip(suffixes, names)})
    with tf.Session() as sess:  # the initial biases are TF1's: gates ones, candidate zeros
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(tf.global_variables("block")[1]), np.ones(6))
        np.testing.assert_array_equal(sess.run(tf.global_variables("block")[3]), np.zeros(3))
    (got, want, g, w), _ = run_with([block_out, plain_out, grads, p_grads], values=values)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for a, b in zip(g, w):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_gru_block_cell_arguments():
    with pytest.raises(ValueError, match="Exactly one of num_units or cell_size must be"):
        tf.contrib.rnn.GRUBlockCell()
    with pytest.raises(ValueError, match="Exactly one of num_units or cell_size must be"):
        tf.contrib.rnn.GRUBlockCell(2, cell_size=2)
    assert tf.contrib.rnn.GRUBlockCell(cell_size=4).state_size == 4
    with pytest.raises(ValueError, match="Expecting input_size to be set."):
        tf.contrib.rnn.GRUBlockCell(2)(tf.placeholder(tf.float32, [2, None]), tf.zeros([2, 2]))


def test_gradient_reaching_the_gate_outputs_is_exact():
    """TF's rules drop gradients of i, f, o, ci, co (r, u, c); minitf rebuilds the cell."""
    x = tf.constant(X[:, 0].astype(np.float32))  # TF's GRUBlockCell: float32 only
    h = tf.constant(np.full((2, 2), 0.2, np.float32))
    w_ru = tf.constant(np.full((5, 4), 0.3, np.float32))
    w_c = tf.constant(np.full((5, 2), -0.2, np.float32))
    b_ru, b_c = tf.constant(np.ones(4, np.float32)), tf.constant(np.zeros(2, np.float32))
    r, u, c, new_h = raw_ops.GRUBlockCell(x=x, h_prev=h, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c)
    (gx,) = tf.gradients(tf.reduce_sum(r * 2.0 + u + c * 3.0 + new_h), [x])
    with tf.Session() as sess:
        got = sess.run(gx)

    def loss(xv):
        xh = np.concatenate([xv, np.full((2, 2), 0.2)], 1)
        ru = sigmoid(xh @ np.full((5, 4), 0.3) + 1)
        cc = np.tanh(np.concatenate([xv, ru[:, :2] * 0.2], 1) @ np.full((5, 2), -0.2))
        nh = ru[:, 2:] * 0.2 + (1 - ru[:, 2:]) * cc
        return np.sum(ru[:, :2] * 2 + ru[:, 2:] + cc * 3 + nh)

    x0 = X[:, 0].astype(np.float64)
    num = np.zeros_like(x0)
    for j in np.ndindex(*x0.shape):
        d = np.zeros_like(x0)
        d[j] = 1e-6
        num[j] = (loss(x0 + d) - loss(x0 - d)) / 2e-6
    np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-6)  # float64 reference


# -- beside TensorFlow -------------------------------------------------------------------------
def _lstm_args(rng, t=None, batch=2, depth=3, n=2):
    def f(*s):
        return (rng.standard_normal(s) * 0.5).astype(np.float32)

    x = f(batch, depth) if t is None else f(t, batch, depth)
    return dict(x=x, cs_prev=f(batch, n), h_prev=f(batch, n), w=f(depth + n, 4 * n),
                wci=f(n), wcf=f(n), wco=f(n), b=f(4 * n))


def test_fused_ops_match_tf_raw_ops():
    pytest.importorskip("tensorflow")
    rng = np.random.default_rng(8)
    names = ["i", "cs", "f", "o", "ci", "co"]
    for peep, clip in ((False, 3.0), (True, 0.3), (True, -1.0)):
        kw = dict(_lstm_args(rng), forget_bias=0.7, cell_clip=clip, use_peephole=peep)
        want = tf_run(lambda tf1, kw=kw: tf1.raw_ops.LSTMBlockCell(**kw))
        got = run_with(raw_ops.LSTMBlockCell(**kw))[0]
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
        gkw = {k: v for k, v in kw.items() if k not in ("forget_bias", "cell_clip")}
        gkw.update(zip(names, got[:6]), cs_grad=got[6] * 0.5, h_grad=np.cos(got[1]))
        want = tf_run(lambda tf1, gkw=gkw: tf1.raw_ops.LSTMBlockCellGrad(**gkw))
        got = run_with(raw_ops.LSTMBlockCellGrad(**gkw))[0]
        assert np.abs(want[1]).max() > 1e-3
        for k, (g, w) in enumerate(zip(got, want)):
            if peep or k < 2:  # (TF leaves the peephole gradients unset without peepholes)
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    for op, grad_op, extra in (("BlockLSTM", "BlockLSTMGrad", {"forget_bias": 0.4}),
                               ("BlockLSTMV2", "BlockLSTMGradV2", {})):
        def tf_op(tf1, kw, name):
            return getattr(tf1.raw_ops, name)(**kw)

        for peep, clip, steps in ((False, 0.0, 4), (True, 0.5, 3), (True, 3.0, 4)):
            kw = dict(_lstm_args(rng, t=4), seq_len_max=np.int64(steps), cell_clip=clip,
                      use_peephole=peep, **extra)
            want = tf_run(lambda tf1, kw=kw, op=op: tf_op(tf1, kw, op))
            got = run_with(getattr(raw_ops, op)(**kw))[0]
            for k, (g, w) in enumerate(zip(got, want)):  # (TF leaves i..co past it unset)
                np.testing.assert_allclose(g if k in (1, 6) else g[:steps],
                                           w if k in (1, 6) else w[:steps], rtol=1e-5,
                                           atol=1e-6, err_msg=f"{op} output {k}")
            gkw = {k: v for k, v in kw.items() if k not in ("cell_clip", "forget_bias")}
            gkw.update(zip(names + ["h"], got), cs_grad=got[6] * 0.3, h_grad=np.cos(got[1]))
            want = tf_run(lambda tf1, gkw=gkw, g=grad_op: tf_op(tf1, gkw, g))
            got = run_with(getattr(raw_ops, grad_op)(**gkw))[0]
            for k, (g, w) in enumerate(zip(got, want)):
                np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6,
                                           err_msg=f"{grad_op} output {k}")
    gru = dict(x=_lstm_args(rng)["x"], h_prev=rng.standard_normal((2, 2)).astype(np.float32),
               w_ru=rng.standard_normal((5, 4)).astype(np.float32),
               w_c=rng.standard_normal((5, 2)).astype(np.float32),
               b_ru=np.ones(4, np.float32), b_c=np.zeros(2, np.float32))
    want = tf_run(lambda tf1: tf1.raw_ops.GRUBlockCell(**gru))
    got = run_with(raw_ops.GRUBlockCell(**gru))[0]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    gkw = dict(gru, r=got[0], u=got[1], c=got[2], d_h=np.sin(got[3]))
    want = tf_run(lambda tf1: tf1.raw_ops.GRUBlockCellGrad(**gkw))
    got = run_with(raw_ops.GRUBlockCellGrad(**gkw))[0]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def _block_lstm_grads(lib, ops, op, kw):
    tensors = {k: lib.constant(v) for k, v in kw.items() if isinstance(v, np.ndarray)}
    out = getattr(ops, op)(**dict(kw, **tensors))
    loss = lib.reduce_sum(lib.sin(out[6])) + lib.reduce_sum(out[1] * 0.7)
    names = ["x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b"]
    return lib.gradients(loss, [tensors[n] for n in names])


def test_block_lstm_gradient_matches_tf():
    """tf.gradients through BlockLSTM (TF 2.21 still registers TF1's rule) agree."""
    pytest.importorskip("tensorflow")
    rng = np.random.default_rng(4)
    kw = dict(_lstm_args(rng, t=4), seq_len_max=np.int64(3), cell_clip=-1.0, use_peephole=True)
    want = tf_run(lambda tf1: _block_lstm_grads(tf1, tf1.raw_ops, "BlockLSTM", kw))
    got = run_with(_block_lstm_grads(tf, raw_ops, "BlockLSTM", kw))[0]
    assert "BlockLSTMGrad" in op_types()
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)


def test_block_lstm_v2_gradient_is_the_derivative():
    """BlockLSTMV2's gradient is BlockLSTMGradV2 (its ifco layout). TF 2.21 registers
    BlockLSTMGrad (icfo) for it, which is not its derivative, so the reference here is
    central differences of the forward op, in float32 (TF allows only half and float)."""
    rng = np.random.default_rng(4)
    kw = dict(_lstm_args(rng, t=4), seq_len_max=np.int64(3), cell_clip=-1.0, use_peephole=True)
    kw = {k: v.astype(np.float32) if k != "seq_len_max" and isinstance(v, np.ndarray) else v
          for k, v in kw.items()}
    got = run_with(_block_lstm_grads(tf, raw_ops, "BlockLSTMV2", kw))[0]
    assert "BlockLSTMGradV2" in op_types()
    ph = {k: tf.placeholder(tf.float32, v.shape) for k, v in kw.items()
          if k != "seq_len_max" and isinstance(v, np.ndarray)}
    out = raw_ops.BlockLSTMV2(**dict(kw, **ph))
    loss = tf.reduce_sum(tf.sin(out[6])) + tf.reduce_sum(out[1] * 0.7)
    with tf.Session() as sess:
        for g, name in zip(got, ["x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b"]):
            num = np.zeros_like(kw[name])
            for j in np.ndindex(*num.shape):
                for sign in (1, -1):
                    v = kw[name].copy()
                    v[j] += sign * 1e-2
                    feed = {ph[k]: (v if k == name else kw[k]) for k in ph}
                    num[j] += sign * sess.run(loss, feed) / 2e-2
            np.testing.assert_allclose(g, num, rtol=2e-3, atol=2e-3, err_msg=name)


@pytest.mark.parametrize("peep", [False, True])
def test_lstm_block_cells_match_tf1_lstm_cell(peep, tmp_path):
    """LSTMBlockCell loads TF1 LSTMCell's variables by name (the same ``rnn/lstm_cell/...``)
    and computes tf.compat.v1's outputs, states and gradients; LSTMBlockFusedCell too, over a
    time-major batch with lengths."""
    x = tf.constant(X)
    outputs, state = tf.nn.dynamic_rnn(
        tf.contrib.rnn.LSTMBlockCell(3, forget_bias=0.6, use_peephole=peep), x,
        sequence_length=[4, 3], dtype=tf.float32)
    loss = tf.reduce_sum(tf.sin(outputs)) + tf.reduce_sum(state.c)
    grads = tf.gradients(loss, [x] + tf.global_variables())
    names = [v.op.name for v in tf.global_variables()]
    fused = tf.contrib.rnn.LSTMBlockFusedCell(3, forget_bias=0.6, use_peephole=peep)
    f_out, f_state = fused(tf.transpose(x, [1, 0, 2]), sequence_length=[4, 3],
                           dtype=tf.float32)
    values = {v.op.name: 0.4 * np.sin(np.arange(np.prod(v.shape.as_list())) * 0.7 + k).reshape(
        v.shape.as_list()).astype(np.float32) for k, v in enumerate(tf.global_variables()[:5])}
    values.update({"lstm_fused_cell/" + n.split("/")[-1]: values[n] for n in names})
    got, _ = run_with([outputs, state, grads, f_out, f_state], values=values)
    want, tf_names = tf_legacy_run(f"""
        x = tf1.constant(X)
        cell = tf1.nn.rnn_cell.LSTMCell(3, forget_bias=0.6, use_peepholes={peep})
        outputs, state = tf1.nn.dynamic_rnn(cell, x, sequence_length=[4, 3], dtype=tf.float32)
        loss = tf1.reduce_sum(tf1.sin(outputs)) + tf1.reduce_sum(state.c)
        v = tf1.global_variables()
        by_name = sorted(v, key=lambda t: {names!r}.index(t.op.name))
        fetches = [outputs, state, tf1.gradients(loss, [x] + by_name),
                   tf1.transpose(outputs, [1, 0, 2]), state]
    """, {n: values[n] for n in names}, tmp_path, X=X)
    assert sorted(tf_names) == sorted(names)
    got = tf.nest.flatten(got)
    assert len(got) == len(want) == 3 + 1 + len(names) + 3
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6, err_msg=f"fetch {k}")


def test_tf_graph_defs_with_the_fused_ops_run():
    """A GraphDef TensorFlow wrote with LSTMBlockCell, BlockLSTM and GRUBlockCell nodes
    imports into minitf and gives TF's values."""
    from tests.core.side_by_side import run_graph_def_in_minitf

    rng = np.random.default_rng(2)
    cell = dict(_lstm_args(rng), forget_bias=0.5, cell_clip=1.0, use_peephole=True)
    seq = dict(_lstm_args(rng, t=3), seq_len_max=np.int64(3), use_peephole=False)
    gru = dict(x=cell["x"], h_prev=cell["h_prev"], w_ru=np.ones((5, 4), np.float32) * 0.2,
               w_c=np.ones((5, 2), np.float32) * -0.3, b_ru=np.ones(4, np.float32),
               b_c=np.zeros(2, np.float32))

    def build(tf1):
        a = tf1.identity(tf1.raw_ops.LSTMBlockCell(**cell)[6], name="a")
        b = tf1.identity(tf1.raw_ops.BlockLSTM(**seq)[1], name="b")
        c = tf1.identity(tf1.raw_ops.GRUBlockCell(**gru)[3], name="c")
        tf_run.graph_def = tf1.get_default_graph().as_graph_def().SerializeToString()
        return [a, b, c]

    want = tf_run(build)
    got = run_graph_def_in_minitf(tf_run.graph_def, ["a:0", "b:0", "c:0"])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
