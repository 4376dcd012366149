"""tf.contrib.rnn's new cells side by side with TensorFlow 2.21, which has no tf.contrib: the
conv LSTM math against Keras' ConvLSTM1D/2D/3D, CudnnCompatibleGRUCell against Keras' cuDNN-style
GRU (reset_after=True), and CudnnCompatibleLSTMCell / LayerNormLSTMCell(layer_norm=False) against
tf.compat.v1's LSTMCell built with the same variable names (so a checkpoint of one loads into the
other), each with the same deterministic weights."""

import numpy as np
import pytest

import minitf as tf
from tests.core.contrib.test_rnn import X, run_with, tf_legacy_run
from tests.core.contrib.test_rnn_cells import close

R = tf.contrib.rnn


def keras():
    pytest.importorskip("tensorflow")
    import keras as k

    return k


@pytest.mark.parametrize("cls,keras_cls,spatial,kernel", [
    ("Conv1DLSTMCell", "ConvLSTM1D", [6], [3]),
    ("Conv2DLSTMCell", "ConvLSTM2D", [4, 5], [3, 2]),
    ("Conv3DLSTMCell", "ConvLSTM3D", [3, 4, 2], [2, 3, 3])])
def test_conv_lstm_cells_match_keras_conv_lstm(cls, keras_cls, spatial, kernel):
    k = keras()
    rng = np.random.default_rng(11)
    cin, f, steps = 2, 3, 3
    x = rng.standard_normal([2, steps] + spatial + [cin]).astype(np.float32)
    cell = getattr(R, cls)(input_shape=spatial + [cin], output_channels=f, kernel_shape=kernel,
                           forget_bias=0.4)
    outs, state = tf.nn.static_rnn(cell, [tf.constant(x[:, t]) for t in range(steps)],
                                   dtype=tf.float32)
    (got, (c, h)), values = run_with([outs, state])
    scope = f"rnn/{cell._base_name}/"
    w, b = values[scope + "kernel"], values[scope + "biases"]
    order = [0, 2, 1, 3]  # contrib's i, j, f, o -> Keras' i, f, c, o

    def blocks(a):
        return np.concatenate([np.split(a, 4, axis=-1)[i] for i in order], -1)

    bias = blocks(b).copy()
    bias[f:2 * f] += 0.4  # contrib adds forget_bias to the forget gate
    layer = getattr(k.layers, keras_cls)(f, kernel, padding="same", return_sequences=True,
                                         return_state=True, recurrent_activation="sigmoid")
    layer.build(x.shape)
    layer.set_weights([blocks(w[..., :cin, :]), blocks(w[..., cin:, :]), bias])
    seq, kh, kc = (np.asarray(t) for t in layer(x))
    close(np.stack(got, 1), seq)
    close(h, kh)
    close(c, kc)


def test_cudnn_compatible_gru_matches_keras_gru_reset_after():
    k = keras()
    n, depth = 3, X.shape[-1]
    cell = R.CudnnCompatibleGRUCell(n)
    outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(X), dtype=tf.float32)
    (out, st), v = run_with([outputs, state])
    p = "rnn/cudnn_compatible_gru_cell/"
    gk, gb = v[p + "gates/kernel"], v[p + "gates/bias"]
    r_k, u_k = gk[:, :n], gk[:, n:]
    kernel = np.concatenate([u_k[:depth], r_k[:depth],
                             v[p + "candidate/input_projection/kernel"]], 1)
    recurrent = np.concatenate([u_k[depth:], r_k[depth:],
                                v[p + "candidate/hidden_projection/kernel"]], 1)
    bias = np.stack([np.concatenate([gb[n:], gb[:n], v[p + "candidate/input_projection/bias"]]),
                     np.concatenate([np.zeros(2 * n), v[p + "candidate/hidden_projection/bias"]])])
    layer = k.layers.GRU(n, reset_after=True, return_sequences=True, return_state=True)
    layer.build(X.shape)
    layer.set_weights([kernel, recurrent, bias.astype(np.float32)])
    seq, kh = (np.asarray(t) for t in layer(X))
    close(out, seq)
    close(st, kh)


def test_cudnn_compatible_lstm_cell_matches_tf1_lstm_cell_by_name(tmp_path):
    cell = R.CudnnCompatibleLSTMCell(3)
    outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(X), dtype=tf.float32)
    (out, st), values = run_with([outputs, state])
    want, names = tf_legacy_run("""
        with g.as_default():
            cell = tf1.nn.rnn_cell.LSTMCell(3, forget_bias=0.0,
                                            name="cudnn_compatible_lstm_cell")
            outputs, state = tf1.nn.dynamic_rnn(cell, tf1.constant(x), dtype=tf1.float32)
            fetches = [outputs, state.c, state.h]
    """, values, tmp_path, x=X)
    assert names == ["rnn/cudnn_compatible_lstm_cell/kernel",
                     "rnn/cudnn_compatible_lstm_cell/bias"]
    close(out, want[0])
    close(st.c, want[1])
    close(st.h, want[2])


def test_layer_norm_lstm_cell_without_norm_matches_tf1_lstm_cell(tmp_path):
    cell = R.LayerNormLSTMCell(4, use_peepholes=True, cell_clip=0.7, num_proj=2,
                               proj_clip=0.3, forget_bias=0.6)
    outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(X), dtype=tf.float32)
    (out, st), values = run_with([outputs, state])
    want, names = tf_legacy_run("""
        with g.as_default():
            cell = tf1.nn.rnn_cell.LSTMCell(4, use_peepholes=True, cell_clip=0.7, num_proj=2,
                                            proj_clip=0.3, forget_bias=0.6,
                                            name="layer_norm_lstm_cell")
            outputs, state = tf1.nn.dynamic_rnn(cell, tf1.constant(x), dtype=tf1.float32)
            fetches = [outputs, state.c, state.h]
    """, values, tmp_path, x=X)
    assert names == [v.op.name for v in tf.global_variables()]
    close(out, want[0])
    close(st.c, want[1])
    close(st.h, want[2])
