"""tf.contrib.cudnn_rnn against numpy written from cuDNN's equations (GRU: ``h' = (1 - z) n + z h``,
``n = tanh(W x + b_W + r * (R h + b_R))``) and its opaque layout spelled out by hand;
checkpoints into CudnnCompatible*Cell graphs and back; gradients against central differences;
training; errors; GraphDefs to and from TensorFlow."""

import numpy as np
import pytest

import minitf as tf
from minitf.contrib import cudnn_rnn as cr
from minitf.contrib import cudnn_rnn_ops as cro
from minitf.errors import InvalidArgumentError, UnimplementedError

R = np.random.default_rng(5)
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
LAYER = {"lstm": cr.CudnnLSTM, "gru": cr.CudnnGRU, "rnn_tanh": cr.CudnnRNNTanh,
         "rnn_relu": cr.CudnnRNNRelu}


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        yield


def sig(z):
    return 1 / (1 + np.exp(-z))


def canonical(mode, layers, units, depth, dirs, scale=0.5, dtype=np.float32):
    """Random cuDNN canonical weights and biases, in cuDNN's order."""
    g, ws, bs = GATES[mode], [], []
    for p in range(layers * dirs):
        width = depth if p < dirs else dirs * units
        ws += [R.standard_normal((units, width)) * scale for _ in range(g)]
        ws += [R.standard_normal((units, units)) * scale for _ in range(g)]
        bs += [R.standard_normal(units) * scale for _ in range(2 * g)]
    return [w.astype(dtype) for w in ws], [b.astype(dtype) for b in bs]


def ref(mode, x, h0, c0, ws, bs, layers, dirs, lens=None, masks=None):
    """cuDNN's forward, equation by equation: (outputs, h_n, c_n); ``masks[i]`` scales layer
    i's output (dropout) before layer i + 1."""
    g, (steps, batch, _), units = GATES[mode], x.shape, h0.shape[2]
    lens = np.full(batch, steps) if lens is None else np.asarray(lens)
    inp, hn, cn = x.astype(np.float64), np.zeros_like(h0, np.float64), np.zeros_like(h0, float)
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            p = layer * dirs + d
            W, Rr = ws[2 * g * p:2 * g * p + g], ws[2 * g * p + g:2 * g * (p + 1)]
            bW, bR = bs[2 * g * p:2 * g * p + g], bs[2 * g * p + g:2 * g * (p + 1)]
            out = np.zeros((steps, batch, units))
            for b in range(batch):
                h, c = h0[p, b].astype(float), (c0[p, b].astype(float) if mode == "lstm" else 0)
                order = range(lens[b])[::-1] if d else range(lens[b])
                for t in order:
                    xt = inp[t, b]
                    lin = [W[k] @ xt + bW[k] + Rr[k] @ h + bR[k] for k in range(g)].__getitem__
                    if mode == "lstm":
                        i, f, cc, o = sig(lin(0)), sig(lin(1)), np.tanh(lin(2)), sig(lin(3))
                        c = f * c + i * cc
                        h = o * np.tanh(c)
                    elif mode == "gru":
                        r, z = sig(lin(0)), sig(lin(1))
                        n = np.tanh(W[2] @ xt + bW[2] + r * (Rr[2] @ h + bR[2]))
                        h = (1 - z) * n + z * h
                    elif mode == "rnn_tanh":
                        h = np.tanh(lin(0))
                    else:
                        h = np.maximum(lin(0), 0)
                    out[t, b] = h
                hn[p, b], cn[p, b] = h, c
            outs.append(out)
        inp = np.concatenate(outs, 2)
        if masks is not None and layer < layers - 1:
            inp = inp * masks[layer]
    return inp, hn, cn


def _init_from(values):
    """An initializer handing out ``values`` in turn (called per canonical tensor, in order)."""
    it = iter(values)
    return lambda shape, dtype=None, partition_info=None: tf.constant(next(it), dtype=dtype)


def _states(mode, layers, dirs, batch, units):
    h, c = R.standard_normal((2, layers * dirs, batch, units)).astype(np.float32)
    return (h, c) if mode == "lstm" else (h,)


# -- forward -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", sorted(GATES))
@pytest.mark.parametrize("direction", ["unidirectional", "bidirectional"])
def test_layer_forward_matches_equations(mode, direction):
    layers, units, depth, steps, batch, dirs = 2, 3, 4, 5, 2, 1 + (direction != "unidirectional")
    ws, bs = canonical(mode, layers, units, depth, dirs)
    layer = LAYER[mode](layers, units, direction=direction, kernel_initializer=_init_from(ws),
                        bias_initializer=_init_from(bs))
    x = R.standard_normal((steps, batch, depth)).astype(np.float32)
    state = _states(mode, layers, dirs, batch, units)
    outputs, states = layer(tf.constant(x), initial_state=tuple(tf.constant(s) for s in state),
                            training=False)
    assert outputs.shape.as_list() == [steps, batch, dirs * units]
    assert layer.kernel.op.name == f"cudnn_{mode}/opaque_kernel"
    assert len(states) == (2 if mode == "lstm" else 1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([outputs, *states])
    for g, w in zip(got, ref(mode, x, state[0], state[-1], ws, bs, layers, dirs)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_layer_variable_names_shapes_and_zero_state():
    lstm = cr.CudnnLSTM(2, 3, direction="bidirectional")
    x = tf.placeholder(tf.float32, [None, None, 4])
    outputs, (h, c) = lstm(x)
    assert [v.op.name for v in tf.trainable_variables()] == ["cudnn_lstm/opaque_kernel"]
    assert lstm.trainable_variables == [lstm.kernel]
    assert lstm.canonical_weight_shapes == ([(3, 4)] * 4 + [(3, 3)] * 4) * 2 + \
        ([(3, 6)] * 4 + [(3, 3)] * 4) * 2 and lstm.canonical_bias_shapes == [[3]] * 32
    assert lstm.state_shape(7) == ([4, 7, 3], [4, 7, 3]) and outputs.shape[2] == 6
    assert cr.CudnnGRU(1, 5).state_shape(2) == ([1, 2, 5],)
    xv = R.standard_normal((3, 2, 4)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        opaque = sess.run(lstm.kernel)
        got = sess.run([outputs, h, c], {x: xv})
    # glorot uniform per canonical matrix, zero biases; size = every weight + bias
    assert opaque.shape == (sum(np.prod(s) for s in lstm.canonical_weight_shapes) + 32 * 3,)
    ws, bs = _opaque_to_canonical_by_hand(opaque, "lstm", 2, 3, 4, 2)
    assert not np.concatenate(bs).any()
    for w in ws:
        limit = np.sqrt(6 / sum(w.shape))
        assert limit / 3 < np.abs(w).max() <= limit
    zero = np.zeros((4, 2, 3), np.float32)
    for g, w in zip(got, ref("lstm", xv, zero, zero, ws, bs, 2, 2)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def _opaque_to_canonical_by_hand(opaque, mode, layers, units, depth, dirs):
    """cuDNN's standard layout: pseudo-layer after pseudo-layer, each its input weights
    (row-major [units, width] per gate), recurrent weights, input biases, recurrent biases."""
    g, at, ws, bs = GATES[mode], 0, [], []
    for p in range(layers * dirs):
        for width in [depth if p < dirs else dirs * units] * g + [units] * g:
            ws.append(opaque[at:at + units * width].reshape(units, width))
            at += units * width
        bs += [opaque[at + k * units:at + (k + 1) * units] for k in range(2 * g)]
        at += 2 * g * units
    assert at == opaque.size
    return ws, bs


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_opaque_layout_and_canonical_round_trip(mode):
    ws, bs = canonical(mode, 2, 3, 4, 2)
    params = cro.cudnn_rnn_canonical_to_opaque_params(mode, 2, 3, 4, ws, bs,
                                                      direction="bidirectional")
    w_back, b_back = cro.cudnn_rnn_opaque_params_to_canonical(mode, 2, 3, 4, params,
                                                              direction="bidirectional")
    size = cro.cudnn_rnn_opaque_params_size(mode, 2, 3, 4, direction="bidirectional")
    assert [w.shape.as_list() for w in w_back] == [list(w.shape) for w in ws]
    with tf.Session() as sess:
        opaque, w_got, b_got, n = sess.run([params, w_back, b_back, size])
    hand_w, hand_b = _opaque_to_canonical_by_hand(opaque, mode, 2, 3, 4, 2)
    assert n == opaque.size
    for got, hand, want in zip(w_got + b_got, hand_w + hand_b, ws + bs):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(hand, want)


# -- the function API, sequence lengths, batch-major --------------------------------------------
def test_function_api_v3_sequence_lengths_and_batch_major():
    layers, units, depth, steps, batch = 2, 3, 2, 4, 3
    ws, bs = canonical("gru", layers, units, depth, 2)
    params = cro.cudnn_rnn_canonical_to_opaque_params("gru", layers, units, depth, ws, bs,
                                                      direction="bidirectional")
    x = R.standard_normal((steps, batch, depth)).astype(np.float32)
    h0 = R.standard_normal((2 * layers, batch, units)).astype(np.float32)
    lens = np.array([4, 1, 2], np.int32)
    out, h = cro.cudnn_gru(x, h0, params, False, sequence_lengths=lens,
                           direction="bidirectional")
    assert out.op.type == "CudnnRNNV3"
    out_b, h_b = cro.cudnn_gru(x.transpose(1, 0, 2), h0.transpose(1, 0, 2), params, False,
                               sequence_lengths=lens, time_major=False,
                               direction="bidirectional")
    out_full, _ = cro.cudnn_gru(x.transpose(1, 0, 2), h0.transpose(1, 0, 2), params, False,
                                time_major=False, direction="bidirectional")
    with tf.Session() as sess:
        got = sess.run([out, h, out_b, h_b, out_full])
    (y, hn, _), full = ref("gru", x, h0, h0, ws, bs, layers, 2, lens), ref(
        "gru", x, h0, h0, ws, bs, layers, 2)[0]
    for g, w in zip(got, [y, hn, y.transpose(1, 0, 2), hn.transpose(1, 0, 2),
                          full.transpose(1, 0, 2)]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype,tol", [(np.float16, 2e-3), (np.float64, 1e-12)])
def test_half_and_double(dtype, tol):
    ws, bs = canonical("lstm", 1, 3, 2, 1, dtype=dtype)
    layer = cr.CudnnLSTM(1, 3, dtype=tf.as_dtype(dtype), kernel_initializer=_init_from(ws),
                         bias_initializer=_init_from(bs))
    x = R.standard_normal((4, 2, 2)).astype(dtype)
    outputs, (h, c) = layer(x, training=False)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run([outputs, h, c])
    zero = np.zeros((1, 2, 3))
    for g, w in zip(got, ref("lstm", x, zero, zero, ws, bs, 1, 1)):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def test_model_object_and_v2(monkeypatch):
    model = cro.CudnnLSTM(1, 2, 3)
    ws, bs = canonical("lstm", 1, 2, 3, 1)
    params = model.canonical_to_params(ws, bs)
    x = R.standard_normal((2, 1, 3)).astype(np.float32)
    h0, c0 = _states("lstm", 1, 1, 1, 2)
    monkeypatch.setenv("TF_CUDNN_RNN_USE_V2", "1")
    out, h, c = model(x, h0, c0, params, is_training=False)
    assert out.op.type == "CudnnRNNV2"
    with tf.Session() as sess:
        got = sess.run([out, h, c, model.params_size()])
    for g, w in zip(got, ref("lstm", x, h0, c0, ws, bs, 1, 1)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert got[3] == 4 * 2 * (3 + 2 + 2)


# -- checkpoints ---------------------------------------------------------------------------------
def _compatible_graph(mode, layers, units, x, state, bidi):
    cell = {"lstm": lambda: cro.CudnnCompatibleLSTMCell(units),
            "gru": lambda: cro.CudnnCompatibleGRUCell(units),
            "rnn_tanh": lambda: tf.nn.rnn_cell.BasicRNNCell(units, tf.tanh)}[mode]

    def per_layer(p):
        h = tf.constant(state[0][p])
        return tf.nn.rnn_cell.LSTMStateTuple(tf.constant(state[1][p]), h) if mode == "lstm" else h
    if not bidi:
        multi = tf.nn.rnn_cell.MultiRNNCell([cell() for _ in range(layers)])
        outputs, final = tf.nn.dynamic_rnn(multi, tf.constant(x), time_major=True,
                                           initial_state=tuple(per_layer(p) for p in range(layers)))
        finals = list(final)
    else:
        outputs, fw, bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
            [cell() for _ in range(layers)], [cell() for _ in range(layers)], tf.constant(x),
            initial_states_fw=[per_layer(2 * i) for i in range(layers)],
            initial_states_bw=[per_layer(2 * i + 1) for i in range(layers)], time_major=True)
        finals = [s for pair in zip(fw, bw) for s in pair]
    if mode == "lstm":
        return outputs, tf.stack([s.h for s in finals]), tf.stack([s.c for s in finals])
    return outputs, tf.stack(finals)


@pytest.mark.parametrize("mode,direction", [("lstm", "unidirectional"),
                                            ("lstm", "bidirectional"),
                                            ("gru", "unidirectional"), ("gru", "bidirectional"),
                                            ("rnn_tanh", "unidirectional")])
def test_checkpoint_restores_into_compatible_cells_and_back(tmp_path, mode, direction):
    layers, units, depth, steps, batch = 2, 3, 4, 5, 2
    dirs = 1 + (direction == "bidirectional")
    x = R.standard_normal((steps, batch, depth)).astype(np.float32)
    state = _states(mode, layers, dirs, batch, units)
    prefix = str(tmp_path / "cudnn")
    with tf.Graph().as_default(), tf.variable_scope("enc"):
        layer = LAYER[mode](layers, units, direction=direction,
                            bias_initializer=tf.random_normal_initializer(seed=1))
        outputs, states = layer(tf.constant(x), initial_state=tuple(tf.constant(s) for s in state))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            want = sess.run([outputs, *states])
            tf.train.Saver().save(sess, prefix)
            opaque = sess.run(layer.kernel)
    scope = f"enc/cudnn_{mode}"  # the layer's scope, where the saveable is made
    names = {n for n, _ in tf.train.list_variables(prefix)}
    assert f"{scope}/opaque_kernel" in names and len(names) == 1 + 2 * layers * dirs * (
        3 if mode == "gru" else 1)
    # the saved tensors are TF's canonical ones, computed here by hand from cuDNN's weights
    ws, bs = _opaque_to_canonical_by_hand(opaque, mode, layers, units, depth, dirs)
    g = 2 * GATES[mode]
    for p in range(layers * dirs):
        W, b = ws[g * p:g * (p + 1)], bs[g * p:g * (p + 1)]
        prefix_p = (f"{scope}/rnn/multi_rnn_cell/cell_{p}" if dirs == 1 else
                    f"{scope}/stack_bidirectional_rnn/cell_{p // 2}/bidirectional_rnn/"
                    f"{'fw' if p % 2 == 0 else 'bw'}")
        if mode == "lstm":
            order = [0, 2, 1, 3]  # cuDNN i, f, c, o -> TF i, c, f, o
            kernel = np.concatenate([np.concatenate([W[k], W[k + 4]], 1) for k in order]).T
            bias = np.concatenate([b[k] + b[k + 4] for k in order])
            cell = f"{prefix_p}/cudnn_compatible_lstm_cell"
            expected = {f"{cell}/kernel": kernel, f"{cell}/bias": bias}
        elif mode == "gru":  # reset and update gates stacked; the candidate's kept apart
            cell = f"{prefix_p}/cudnn_compatible_gru_cell"
            gates = np.concatenate([np.concatenate([W[0], W[3]], 1),
                                    np.concatenate([W[1], W[4]], 1)]).T
            expected = {f"{cell}/gates/kernel": gates,
                        f"{cell}/gates/bias": np.concatenate([b[0] + b[3], b[1] + b[4]]),
                        f"{cell}/candidate/input_projection/kernel": W[2].T,
                        f"{cell}/candidate/hidden_projection/kernel": W[5].T,
                        f"{cell}/candidate/input_projection/bias": b[2],
                        f"{cell}/candidate/hidden_projection/bias": b[5]}
        else:
            cell = f"{prefix_p}/basic_rnn_cell"
            expected = {f"{cell}/kernel": np.concatenate([W[0], W[1]], 1).T,
                        f"{cell}/bias": b[0] + b[1]}
        for name, value in expected.items():
            np.testing.assert_allclose(tf.train.load_variable(prefix, name), value, rtol=1e-6)
    # ... and a graph of CudnnCompatible cells restores them and computes the same
    with tf.Graph().as_default():
        with tf.variable_scope(scope):
            fetches = _compatible_graph(mode, layers, units, x, state, dirs == 2)
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, prefix)
            got = sess.run(fetches)
            tf.train.Saver().save(sess, prefix + "-cells")
    # ... and the cells' checkpoint restores into a cuDNN layer (through its saveable only)
    with tf.Graph().as_default(), tf.variable_scope("enc"):
        layer = LAYER[mode](layers, units, direction=direction)
        outputs, states = layer(tf.constant(x), initial_state=tuple(tf.constant(s) for s in state))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver(tf.get_collection(tf.GraphKeys.SAVEABLE_OBJECTS)).restore(
                sess, prefix + "-cells")
            again = sess.run([outputs, *states])
    for gv, av, wv in zip(got, again, want):
        np.testing.assert_allclose(gv, wv, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(av, wv, rtol=1e-5, atol=1e-5)


def test_restore_refuses_a_checkpoint_of_another_shape(tmp_path):
    prefix = str(tmp_path / "small")
    with tf.Graph().as_default():
        cr.CudnnLSTM(1, 3)(tf.zeros([2, 1, 4]))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, prefix)
    with tf.Graph().as_default():
        cr.CudnnLSTM(1, 5)(tf.zeros([2, 1, 4]))
        saver = tf.train.Saver(tf.get_collection(tf.GraphKeys.SAVEABLE_OBJECTS))
        with tf.Session() as sess:
            with pytest.raises(InvalidArgumentError, match="cudnn_compatible_lstm_cell/kernel"):
                saver.restore(sess, prefix)


# -- gradients and training ----------------------------------------------------------------------
def _numeric(f, value, eps=1e-6):
    """d f / d value by central differences."""
    out = np.zeros_like(value)
    for j in np.ndindex(*value.shape):
        for sign in (1, -1):
            v = value.copy()
            v[j] += sign * eps
            out[j] += sign * f(v) / (2 * eps)
    return out


@pytest.mark.parametrize("mode,direction,layers,lens", [
    ("lstm", "bidirectional", 2, None), ("gru", "unidirectional", 2, None),
    ("rnn_tanh", "bidirectional", 1, [3, 1]), ("rnn_relu", "unidirectional", 1, None),
    ("lstm", "unidirectional", 1, [2, 3])])
def test_gradients_match_central_differences(mode, direction, layers, lens):
    units, depth, steps, batch = 2, 3, 3, 2
    dirs = 1 + (direction == "bidirectional")
    ws, bs = canonical(mode, layers, units, depth, dirs, dtype=np.float64)
    opaque = np.concatenate([a.reshape(-1) for a in _interleave(ws, bs, GATES[mode])])
    values = [R.standard_normal((steps, batch, depth)),
              R.standard_normal((layers * dirs, batch, units)),
              R.standard_normal((layers * dirs, batch, units)), opaque]
    phs = [tf.placeholder(tf.float64, v.shape) for v in values]
    c = phs[2] if mode == "lstm" else tf.constant([], tf.float64)
    out, h, c_out = cro._cudnn_rnn(phs[0], phs[1], c, phs[3], True, mode,
                                   sequence_lengths=lens, direction=direction)
    weights = [tf.constant(R.standard_normal(t.shape.as_list())) for t in (out, h)]
    loss = tf.reduce_sum(out * weights[0]) + tf.reduce_sum(h * weights[1])
    if mode == "lstm":
        loss += tf.reduce_sum(c_out * tf.constant(R.standard_normal(c_out.shape.as_list())))
    xs = [0, 1, 3] + ([2] if mode == "lstm" else [])
    grads = tf.gradients(loss, [phs[i] for i in xs])
    feed = dict(zip(phs, values))
    with tf.Session() as sess:
        got = sess.run(grads, feed)
        for i, g in zip(xs, got):
            num = _numeric(lambda v, i=i: sess.run(loss, {**feed, phs[i]: v}), values[i])
            np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7, err_msg=f"input {i}")


def _interleave(ws, bs, g):
    """Canonical lists -> the opaque buffer's order (per pseudo-layer: weights, biases)."""
    return [t for p in range(len(ws) // (2 * g))
            for t in ws[2 * g * p:2 * g * (p + 1)] + bs[2 * g * p:2 * g * (p + 1)]]


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_training_decreases_loss(mode):
    x = tf.constant(R.standard_normal((6, 4, 3)).astype(np.float32))
    target = tf.constant(R.standard_normal((6, 4, 8)).astype(np.float32) * 0.5)
    outputs, _ = LAYER[mode](2, 4, direction="bidirectional")(x)
    loss = tf.reduce_mean(tf.square(outputs - target))
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([loss, train])[0] for _ in range(30)]
    assert losses[-1] < 0.6 * losses[0]
    assert all(np.isfinite(losses))


def test_dropout_between_layers_when_training():
    xv = R.standard_normal((4, 3, 2))
    x = tf.constant(xv)
    layer = cr.CudnnGRU(2, 5, dropout=0.5, dtype=tf.float64)  # (seed=k: equal gates, as TF)
    train_out, _ = layer(x, training=True)
    infer_out, _ = layer(x, training=False)
    dx = tf.gradients(tf.reduce_sum(train_out), x)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b, reserve, g, opaque = sess.run([train_out, infer_out, train_out.op.outputs[3], dx,
                                             layer.kernel])
    masks = reserve.reshape(1, 4, 3, 5)  # between the 2 layers only
    assert set(np.unique(masks)) == {0.0, 2.0}
    ws, bs = _opaque_to_canonical_by_hand(opaque, "gru", 2, 5, 2, 1)
    zero = np.zeros((2, 3, 5))
    np.testing.assert_allclose(b, ref("gru", xv, zero, 0, ws, bs, 2, 1)[0], atol=1e-12)
    np.testing.assert_allclose(a, ref("gru", xv, zero, 0, ws, bs, 2, 1, masks=masks)[0],
                               atol=1e-12)
    # the gradient goes through the masks the forward drew
    num = _numeric(lambda v: ref("gru", v, zero, 0, ws, bs, 2, 1, masks=masks)[0].sum(), xv)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


# -- errors --------------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(ValueError, match="Expecting input_shape with 3 dims, got 2"):
        cr.CudnnLSTM(1, 2)(tf.zeros([3, 4]))
    layer = cr.CudnnGRU(1, 2)
    layer(tf.zeros([3, 1, 4]))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(tf.zeros([3, 1, 5]))
    with pytest.raises(ValueError, match="last dimension of the inputs to `CudnnRNN`"):
        cr.CudnnLSTM(1, 2)(tf.placeholder(tf.float32, [3, 1, None]))
    with pytest.raises(ValueError, match="Invalid direction: sideways"):
        cr.CudnnLSTM(1, 2, direction="sideways")
    with pytest.raises(ValueError, match="Only support float16, float32, float64"):
        cr.CudnnLSTM(1, 2, dtype=tf.int32)
    with pytest.raises(TypeError, match="expecting tuple"):
        cr.CudnnLSTM(1, 2)(tf.zeros([3, 1, 4]), initial_state=[tf.zeros([1, 1, 2])] * 2)
    with pytest.raises(RuntimeError, match="before input shape is known"):
        _ = cr.CudnnLSTM(1, 2).canonical_weight_shapes
    with pytest.raises(InvalidArgumentError, match="Shape must be rank 3"):
        cro.cudnn_gru(tf.zeros([3, 4]), tf.zeros([1, 3, 2]), tf.zeros([10]), False)
    with pytest.raises(ValueError, match="Invalid rnn_mode"):
        cro.cudnn_rnn_opaque_params_size("lru", 1, 2, 3)
    h, ph = tf.zeros([1, 1, 2]), tf.placeholder(tf.float32)
    bad_params, _ = cro.cudnn_gru(tf.zeros([3, 1, 4]), h, tf.zeros([10]), False)
    skip = cro.cudnn_rnn_tanh(tf.zeros([3, 1, 2]), h, tf.zeros([12]), False,
                              input_mode="skip_input")[0]
    rank2 = cro.cudnn_rnn_tanh(ph, h, tf.zeros([12]), False)[0]  # (is_training=False)
    with tf.Session() as sess:
        with pytest.raises(InvalidArgumentError, match=r"vector of 48 params, got shape \[10\]"):
            sess.run(bad_params)
        with pytest.raises(UnimplementedError, match="skip_input"):
            sess.run(skip)
        with pytest.raises(InvalidArgumentError, match="RNN input must be a 3-D vector"):
            sess.run(rank2, {ph: np.zeros((3, 2), np.float32)})
    with pytest.raises(ValueError, match="is_training must be set to True"):
        tf.gradients(rank2, [ph])


# -- GraphDefs to and from TensorFlow -------------------------------------------------------------
def test_graph_defs_to_and_from_tensorflow():
    """A CudnnRNN graph TensorFlow built runs here; TensorFlow takes the GraphDef of a layer
    and its gradient (the ops' signatures and attrs are TF's)."""
    from tests.core.side_by_side import run_graph_def_in_minitf, tf1_or_skip

    tf1 = tf1_or_skip()
    ws, bs = canonical("lstm", 2, 3, 4, 1)
    opaque = np.concatenate([a.reshape(-1) for a in _interleave(ws, bs, 4)])
    x = R.standard_normal((5, 2, 4)).astype(np.float32)
    h0, c0 = _states("lstm", 2, 1, 2, 3)
    g = tf1.Graph()
    with g.as_default():
        inp = tf1.placeholder(tf1.float32, [None, None, 4], name="x")
        out = tf1.raw_ops.CudnnRNN(input=inp, input_h=h0, input_c=c0, params=opaque,
                                   rnn_mode="lstm", is_training=False, name="rnn")
        tf1.identity(out[0], name="y")
    got = run_graph_def_in_minitf(g.as_graph_def().SerializeToString(),
                                  ["y:0", "rnn:1", "rnn:2"], {"x:0": x})
    for gv, wv in zip(got, ref("lstm", x, h0, c0, ws, bs, 2, 1)):
        np.testing.assert_allclose(gv, wv, rtol=1e-5, atol=1e-5)
    outputs, _ = cr.CudnnGRU(2, 4, direction="bidirectional")(tf.placeholder(tf.float32,
                                                                             [None, None, 3]))
    tf.gradients(tf.reduce_sum(outputs), tf.trainable_variables())
    g = tf1.Graph()
    with g.as_default():
        tf1.import_graph_def(tf1.GraphDef.FromString(
            tf.get_default_graph().as_graph_def().SerializeToString()), name="")
    types = {op.type for op in g.get_operations()}
    assert {"CudnnRNN", "CudnnRNNBackprop", "CudnnRNNCanonicalToParams"} <= types
